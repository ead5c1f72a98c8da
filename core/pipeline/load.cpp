#include "pipeline/load.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <thread>

#include <atsmigrate/model/kind.hpp>
#include "pipeline/audit.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/reasons.hpp"
#include "pipeline/references.hpp"
#include "services/store/sha256.hpp"

namespace atsm::pipeline {
namespace {

namespace json = boost::json;

bool flag(const json::object& record, const char* key) {
  const json::value* value = record.if_contains(key);
  return value && value->is_bool() && value->as_bool();
}

std::string text(const json::object& record, const char* key) {
  const json::value* value = record.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

// Whether ISO 8601 UTC time `a` is before `b`; an unknown ("") time is after every known one.
bool earlier(const std::string& a, const std::string& b) {
  return !a.empty() && (b.empty() || a < b);
}

// One ledger row's worth of work.
struct Item {
  std::string key;
  json::object record;
  json::array group;
  std::vector<std::string> also_done;  // other keys of this source that the same target covers
  std::string hash;
  std::optional<std::string> target_id;
  std::string content_key{};  // files: candidate target + SHA-256 (uploaded once)
};

class Loader {
 public:
  Loader(Session& session, const Plan& plan, const LoadOptions& options)
      : session_(session),
        plan_(plan),
        options_(options),
        scope_(session.ledger_scope()),
        verbatim_((session.sink_plugin().descriptor().capabilities & ATSM_CAP_VERBATIM) != 0) {}

  LoadStats run() {
    // Every source staged in this work dir, read once: persons merge across them.
    sources_ = known_sources();
    for (const auto& [kind, counts] : session_.ledger().counts(scope_))
      ledger_empty_at_start_ = ledger_empty_at_start_ && counts.total() == 0;
    adopt_unknown_ = earlier_writes_unknown_to_the_ledger();
    if (adopt_unknown_) {
      spdlog::warn(
          "{}: every record is looked up in the target before it is written, and adopted when "
          "found (slower; nothing is created twice)",
          adoption_reason_);
      stats_.adopting = adoption_reason_;
    }
    const host::LoadedPlugin& sink = session_.sink_plugin();
    for (model::Kind kind : model::kKindsInDependencyOrder) {
      std::string name(model::to_string(kind));
      bool writable = std::find(sink.sink_kinds().begin(), sink.sink_kinds().end(), name) !=
                      sink.sink_kinds().end();
      bool mapped = std::find(kMappedKinds.begin(), kMappedKinds.end(), name) != kMappedKinds.end();
      if (!writable || mapped)
        continue;
      load_kind(name);
      if (fatal_)
        std::rethrow_exception(fatal_);
    }
    stats_.peak_workers = peak_workers_;
    return std::move(stats_);
  }

 private:
  // Target ids of everything `record` and its group reference: mapped kinds from the plan,
  // written kinds from the ledger.
  json::object resolve_refs(const std::string& kind, const json::object& record,
                            const json::array& group) {
    json::object refs;
    auto visit = [&](const std::string& ref_kind, const std::string& key) {
      if (refs.contains(key))
        return;
      if (auto mapped = plan_.resolved.find(ref_kind); mapped != plan_.resolved.end()) {
        if (auto found = mapped->second.find(key); found != mapped->second.end())
          refs[key] = found->second;
        return;
      }
      if (std::optional<std::string> target = session_.ledger().target_of({scope_, ref_kind, key}))
        refs[key] = *target;
    };
    for_each_reference(record, kind, visit);
    for (const json::value& member : group)
      for_each_reference(member, kind, visit);
    return refs;
  }

  json::object staged_record(const std::string& kind, const std::string& key) {
    // A person's group can hold records of any source staged in the work dir.
    for (const std::string& source : sources_) {
      if (auto staged = session_.staging().get(source, kind, key))
        return json::parse(staged->record_json).as_object();
    }
    return {};
  }

  // The items of `kind` staged after `after_seq` (at most `limit` records when given) that this
  // run has not handled yet; `last_seq` gets the last seq seen and `rows` how many were read.
  std::vector<Item> collect(const std::string& kind, int64_t after_seq, int64_t& last_seq,
                            std::optional<int64_t> limit, int64_t& rows) {
    std::vector<Item> items;
    std::map<std::string, size_t>
        interview_item;  // candidacy key -> index (interviews group per candidacy)
    std::map<std::string, size_t> file_item;  // content key -> index
    const std::string source = session_.options().source;
    store::StagingQuery query{kind, source, after_seq, limit};
    rows = 0;
    last_seq = session_.staging().for_each(query, [&](const store::StagedRecord& staged) {
      ++rows;
      if (handled_.contains(staged.source_key))
        return;  // an earlier pass of this run took it
      json::object record = json::parse(staged.record_json).as_object();
      if (std::string failure = text(record, "fetch_failure"); !failure.empty()) {
        // The source may still fetch it in this run (its read retries before it gives up): the
        // pass after the kind's extraction ended takes it as it then stands.
        if (!kind_complete_)
          return;
        handled_.insert(staged.source_key);
        fail_unfetched(kind, staged.source_key, failure);
        return;
      }
      handled_.insert(staged.source_key);
      // A verbatim sink (an archive) keeps what the rules of docs/mapping.md would leave out.
      if (std::string reason = verbatim_ ? "" : skip_reason(kind, record, plan_); !reason.empty()) {
        skip(kind, staged.source_key, reason);
        return;
      }
      if (std::string reason = skipped_owner(kind, record); !reason.empty()) {
        skip(kind, staged.source_key, reason);
        return;
      }
      bool owner_held = false;
      if (std::string reason = unwritten_owner(kind, record, owner_held); !reason.empty()) {
        // Written now it would land in the wrong place (feedback without its application becomes
        // a note): it waits for a run in which its owner is written.
        session_.ledger().record_intent({scope_, kind, staged.source_key}, "deferred");
        Item deferred{staged.source_key, {}, {}, {}, {}, {}};
        if (owner_held)
          hold(kind, deferred, json::object{{"message", reason}});
        else
          finish_failed(kind, deferred,
                        json::object{{"message", reason}, {"vendor_code", "owner_not_written"}},
                        "deferred");
        return;
      }
      if (kind == "file" && !verbatim_) {
        // The same bytes go to a candidate once (docs/mapping.md §9), across sources, resumed runs
        // and concurrent writers: one item per (candidate, SHA-256), the other records ride along.
        std::string content_key = file_content_key(record);
        if (!content_key.empty()) {
          std::optional<std::string> written;
          {
            std::lock_guard lock(mutex_);
            if (auto done = file_targets_.find(content_key); done != file_targets_.end())
              written = done->second;
          }
          if (written) {
            bool recorded = record_done(kind, staged.source_key, "same-bytes", *written, "");
            std::lock_guard lock(mutex_);
            (recorded ? stats_.kinds[kind].merged : stats_.kinds[kind].unchanged)++;
            return;
          }
          if (auto it = file_item.find(content_key); it != file_item.end()) {
            items[it->second].also_done.push_back(staged.source_key);
            return;
          }
          file_item[content_key] = items.size();
          Item item{staged.source_key, std::move(record), {}, {}, {}, {}};
          item.content_key = std::move(content_key);
          items.push_back(std::move(item));
          return;
        }
      }
      if (kind == "interview") {
        // One note per candidacy holds all its interviews (docs/mapping.md §8): one item per
        // candidacy.
        std::string candidacy = text(record, "candidacy_key");
        std::string group_key =
            (candidacy.empty() ? text(record, "person_key") : candidacy) + "#interviews";
        if (auto it = interview_item.find(group_key); it != interview_item.end()) {
          items[it->second].group.push_back(std::move(record));
          items[it->second].also_done.push_back(staged.source_key);
          return;
        }
        interview_item[group_key] = items.size();
        items.push_back({group_key, std::move(record), {}, {staged.source_key}, {}, {}});
        return;
      }
      if (kind == "person") {
        if (auto in_group = plan_.group_of.find(staged.source_key);
            in_group != plan_.group_of.end()) {
          if (!groups_done_.insert(in_group->second).second)
            return;  // written with its group
          const PersonGroup& group = plan_.groups[in_group->second];
          Item item;
          item.key = staged.source_key;
          for (const std::string& member : group.members) {
            json::object member_record =
                member == staged.source_key ? record : staged_record("person", member);
            if (member_record.empty())
              continue;
            std::optional<store::LedgerEntry> entry =
                session_.ledger().get({scope_, "person", member});
            if (entry && entry->target_id && !item.target_id)
              item.target_id = entry->target_id;
            if (member != item.key && text(member_record, "source") == source)
              item.also_done.push_back(member);
            if (member == group.primary) {
              item.record = std::move(member_record);
            } else {
              item.group.push_back(std::move(member_record));
            }
          }
          items.push_back(std::move(item));
          return;
        }
      }
      items.push_back({staged.source_key, std::move(record), {}, {}, {}, {}});
    });
    // Parents before children for the kinds that nest.
    if (kind == "department" || kind == "office") {
      std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        return a.record.contains("parent_key") < b.record.contains("parent_key");
      });
    }
    return items;
  }

  // A file's candidate (its person's target) and bytes; "" when either is unknown.
  std::string file_content_key(const json::object& record) {
    std::string sha = text(record, "sha256");
    std::string person = text(record, "person_key");
    if (sha.empty() || person.empty())
      return {};
    std::optional<std::string> candidate = session_.ledger().target_of({scope_, "person", person});
    return candidate ? *candidate + "#" + sha : std::string();
  }

  // The files earlier runs wrote, by content key, so a resumed run does not upload them again
  // for another record with the same bytes.
  void index_written_files() {
    file_targets_.clear();
    session_.staging().for_each({"file", std::nullopt}, [&](const store::StagedRecord& staged) {
      std::optional<store::LedgerEntry> entry =
          session_.ledger().get({scope_, "file", staged.source_key});
      if (!entry || entry->state != store::LedgerState::done || !entry->target_id)
        return;
      std::string content_key = file_content_key(json::parse(staged.record_json).as_object());
      if (!content_key.empty())
        file_targets_.emplace(content_key, *entry->target_id);
    });
  }

  // A record whose person or job was deliberately not migrated goes with it, for the same reason.
  std::string skipped_owner(const std::string& kind, const json::object& record) {
    std::string reason;
    for_each_reference(record, kind, [&](const std::string& ref_kind, const std::string& key) {
      if (!reason.empty() || (ref_kind != "person" && ref_kind != "job"))
        return;
      std::optional<store::LedgerEntry> entry = session_.ledger().get({scope_, ref_kind, key});
      if (entry && entry->state == store::LedgerState::skipped) {
        reason = fmt::format("its {} {} was not migrated: {}", ref_kind, key,
                             entry->last_error.value_or("skipped"));
      }
    });
    return reason;
  }

  // A record whose person, job or candidacy this run tried and failed to write.
  // `held`: the owner waits for an operator's step (kHeldVendorCode), and so does the record.
  std::string unwritten_owner(const std::string& kind, const json::object& record, bool& held) {
    std::string reason;
    // Only what hangs off a candidate or an application waits; the owners themselves never do.
    static const std::set<std::string> kDependent = {"candidacy", "note",  "feedback",
                                                     "interview", "offer", "file"};
    if (!kDependent.contains(kind))
      return reason;
    for_each_reference(record, kind, [&](const std::string& ref_kind, const std::string& key) {
      if (!reason.empty() || (ref_kind != "person" && ref_kind != "job" && ref_kind != "candidacy"))
        return;
      std::optional<store::LedgerEntry> entry = session_.ledger().get({scope_, ref_kind, key});
      if (OwnerState state = owner_state(entry); state != OwnerState::written_or_unknown) {
        held = state == OwnerState::held;
        reason = fmt::format("its {} {} is not written yet ({}); a re-run writes both", ref_kind,
                             key, entry->last_error.value_or("pending"));
      }
    });
    return reason;
  }

  // The ledger entry as it now stands, into the audit trail.
  void audit(const std::string& method, const std::string& kind, const std::string& key,
             const std::vector<std::string>& lossy = {}) {
    if (std::optional<store::LedgerEntry> entry = session_.ledger().get({scope_, kind, key}))
      session_.audit().record(method, *entry, lossy);
  }

  void skip(const std::string& kind, const std::string& key, const std::string& reason) {
    if (written_before(session_.ledger().get({scope_, kind, key}))) {
      // Written by an earlier run, skipped now (anonymised in the source since, or a rule of a
      // newer version): the target keeps what it has; nothing is deleted there.
      std::lock_guard lock(mutex_);
      stats_.kinds[kind].unchanged++;
      return;
    }
    session_.ledger().mark_skipped({scope_, kind, key}, reason);
    audit("skip", kind, key);
    std::lock_guard lock(mutex_);
    // By reason class: a reason naming its record would make a key per record.
    stats_.kinds[kind].skipped[reason_class(reason)]++;
  }

  // A record the source could not fetch now (an expired URL, a storage error): not a skip, a
  // failure, which the report lists and a re-run retries. What an earlier run wrote stays.
  void fail_unfetched(const std::string& kind, const std::string& key, const std::string& failure) {
    if (written_before(session_.ledger().get({scope_, kind, key}))) {
      std::lock_guard lock(mutex_);
      stats_.kinds[kind].unchanged++;
      return;
    }
    session_.ledger().record_intent({scope_, kind, key}, "unfetched");
    finish_failed(kind, Item{key, {}, {}, {}, {}, {}},
                  json::object{{"message", "the source could not serve it now: " + failure +
                                               "; a re-run fetches it again"},
                               {"vendor_code", "source_fetch_failed"}},
                  "retry");
  }

  // The earliest candidacy of every staged person, for the candidate's source and credited user
  // (docs/mapping.md §3: both come from the earliest candidacy, mapped).
  struct FirstCandidacy {
    std::string created_at;  // ISO 8601 UTC; "" (unknown) sorts last
    std::string source_key;
    std::string user_key;  // credited user, else owner
  };

  void index_first_candidacies() {
    session_.staging().for_each(
        {"candidacy", std::nullopt}, [&](const store::StagedRecord& staged) {
          json::object record = json::parse(staged.record_json).as_object();
          FirstCandidacy candidacy{
              text(record, "created_at"), {}, text(record, "credited_to_user_key")};
          if (candidacy.user_key.empty())
            candidacy.user_key = text(record, "owner_user_key");
          if (const json::value* sources = record.if_contains("sources");
              sources && sources->is_array())
            for (const json::value& source : sources->as_array())
              if (source.is_object() && candidacy.source_key.empty())
                candidacy.source_key = text(source.as_object(), "source_key");
          auto [it, inserted] = first_candidacy_.try_emplace(text(record, "person_key"), candidacy);
          if (!inserted && earlier(candidacy.created_at, it->second.created_at))
            it->second = std::move(candidacy);
        });
  }

  // The candidate's source and credited user, as target ids, from the earliest candidacy of any
  // member of the person's group.
  void add_first_candidacy_refs(const Item& item, json::object& out) const {
    const FirstCandidacy* first = nullptr;
    auto consider = [&](const std::string& person_key) {
      auto it = first_candidacy_.find(person_key);
      if (it == first_candidacy_.end())
        return;
      if (!first || earlier(it->second.created_at, first->created_at))
        first = &it->second;
    };
    consider(item.key);
    for (const json::value& member : item.group)
      if (member.is_object())
        consider(text(member.as_object(), "source_key"));
    if (!first)
      return;
    auto mapped = [&](const char* kind, const std::string& key) -> std::string {
      auto of_kind = plan_.resolved.find(kind);
      if (key.empty() || of_kind == plan_.resolved.end())
        return {};
      auto found = of_kind->second.find(key);
      return found == of_kind->second.end() ? std::string() : found->second;
    };
    if (std::string source = mapped("source", first->source_key); !source.empty())
      out["source_id"] = source;
    if (std::string user = mapped("user", first->user_key); !user.empty())
      out["credited_to_user_id"] = user;
  }

  // Kinds written while their extraction goes on: each record stands alone (interviews are
  // grouped per candidacy, so they wait for their whole kind).
  static bool streamed(const std::string& kind) {
    return kind == "note" || kind == "feedback" || kind == "offer" || kind == "file";
  }

  // Kinds read from staging in chunks, so memory stays flat whatever the account's size: their
  // items never gather records from elsewhere in the kind (a person's group is tracked across
  // chunks). Interviews (one item per candidacy) and files (one per candidate and content) are
  // grouped within one read, so they are read whole; departments and offices are few and sorted.
  static bool chunked(const std::string& kind) {
    return kind == "person" || kind == "candidacy" || kind == "note" || kind == "feedback" ||
           kind == "offer";
  }

  void load_kind(const std::string& kind) {
    BackgroundExtraction* feed = options_.extraction;
    const bool streaming = feed != nullptr && streamed(kind);
    if (feed != nullptr && !streaming)
      feed->wait_complete(kind);
    if (kind == "person")
      index_first_candidacies();
    if (kind == "file")
      index_written_files();
    handled_.clear();
    groups_done_.clear();
    Progress progress(fmt::format("load {}", kind), 0);
    uint64_t queued = 0;
    int64_t cursor = 0;
    const std::optional<int64_t> limit =
        chunked(kind) ? std::optional<int64_t>(options_.chunk_records) : std::nullopt;
    for (;;) {
      // Asked before reading: once the kind is complete, this pass sees all of it. The last pass
      // starts over from the first record, for a record that changed since an earlier run keeps
      // its place (seq) in the staging store; what this run already took is skipped.
      bool complete = feed == nullptr || feed->complete(kind);
      kind_complete_ = complete;
      int64_t from = complete ? 0 : cursor;
      // A chunked pass's total is what is queued plus what is still unread (an upper bound).
      int64_t unread = complete && limit ? staged_count(kind) : 0;
      for (int64_t rows = 0;; from = cursor) {
        std::vector<Item> items = collect(kind, from, cursor, limit, rows);
        std::deque<Item> pending = still_to_write(kind, items);
        items.clear();
        queued += pending.size();
        bool last_chunk = !limit || rows < *limit;
        unread = std::max<int64_t>(0, unread - rows);
        progress.set_total(complete ? queued + static_cast<uint64_t>(last_chunk ? 0 : unread) : 0);
        write_items(kind, pending, progress);
        if (fatal_)
          std::rethrow_exception(fatal_);
        if (last_chunk)
          break;
      }
      if (complete)
        break;
      feed->wait_for_more(std::chrono::seconds(1));
    }
    progress.finish();
  }

  int64_t staged_count(const std::string& kind) {
    std::map<std::string, int64_t> counts = session_.staging().counts(session_.options().source);
    auto it = counts.find(kind);
    return it == counts.end() ? 0 : it->second;
  }

  // Drops what an earlier run wrote with the same payload; what it wrote with another payload is
  // an update of its target.
  std::deque<Item> still_to_write(const std::string& kind, std::vector<Item>& items) {
    std::deque<Item> pending;
    for (Item& item : items) {
      item.hash = payload_hash(item.record, item.group);
      BeforeWriteDecision decision =
          before_write(session_.ledger().get({scope_, kind, item.key}), item.hash);
      if (decision.action == BeforeWrite::unchanged) {
        std::lock_guard lock(mutex_);
        stats_.kinds[kind].unchanged++;
        continue;
      }
      if (decision.action == BeforeWrite::update)
        item.target_id = decision.target_id;
      pending.push_back(std::move(item));
    }
    return pending;
  }

  // Writers in flight against the sink: --workers when given, else what the run's measured
  // latency says the sink's limit needs (host/run_services); before there is anything to
  // measure: kInitialWorkers.
  unsigned wanted_workers() {
    if (options_.workers > 0)
      return options_.workers;
    constexpr unsigned kInitialWorkers = 4;
    std::uint32_t suggested =
        session_.services().suggested_in_flight(session_.sink_plugin().name());
    return suggested > 0 ? suggested : kInitialWorkers;
  }

  void write_items(const std::string& kind, std::deque<Item>& pending, Progress& progress) {
    if (pending.empty())
      return;
    bool nested = kind == "department" || kind == "office";
    bool shared_instance =
        (session_.sink_plugin().descriptor().capabilities & ATSM_CAP_THREAD_SAFE) != 0;

    std::mutex queue_mutex;
    // Told when the queue runs dry or a writer fails: the last writers join without waiting out
    // the pause between two looks at the measured latency.
    std::condition_variable queue_changed;
    std::vector<std::thread> threads;
    // The writers at work (since when, how many items) and the time per item of the latest
    // finished batches: what tells a writer held by a hung write (writer_hung).
    struct Busy {
      std::chrono::steady_clock::time_point since;
      std::size_t items = 0;
    };
    std::map<unsigned, Busy> busy;
    constexpr std::size_t kItemTimes = 64;
    std::vector<std::chrono::milliseconds> item_times;
    std::size_t batches_finished = 0;
    auto worker = [&](unsigned w) {
      std::unique_ptr<host::ConnectorInstance> own;
      try {
        host::ConnectorInstance* sink = &session_.sink();
        if (!shared_instance && w > 0) {
          std::lock_guard lock(queue_mutex);
          own = session_.open_sink_instance();
          sink = own.get();
        }
        for (;;) {
          std::vector<Item> batch;
          {
            std::lock_guard lock(queue_mutex);
            if (fatal_)
              return;
            std::size_t take =
                nested ? 1 : batch_take(pending.size(), threads.size(), options_.batch_size);
            while (!pending.empty() && batch.size() < take) {
              batch.push_back(std::move(pending.front()));
              pending.pop_front();
            }
            if (pending.empty())
              queue_changed.notify_all();
            if (!batch.empty())
              busy[w] = {std::chrono::steady_clock::now(), batch.size()};
          }
          if (batch.empty())
            return;
          write_batch(*sink, kind, batch);
          {
            std::lock_guard lock(queue_mutex);
            auto per_item = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - busy[w].since) /
                            static_cast<std::int64_t>(batch.size());
            if (item_times.size() < kItemTimes)
              item_times.push_back(per_item);
            else
              item_times[batches_finished % kItemTimes] = per_item;
            ++batches_finished;
            busy.erase(w);
          }
          progress.advance(batch.size());
        }
      } catch (...) {
        std::lock_guard lock(queue_mutex);
        if (!fatal_)
          fatal_ = std::current_exception();
        session_.services().cancelled = true;
        queue_changed.notify_all();
      }
    };
    // Writers held by a hung write, once enough batches finished to know a typical item.
    auto hung_writers = [&]() -> unsigned {
      constexpr std::size_t kMinFinished = 8;
      if (item_times.size() < kMinFinished)
        return 0;
      std::vector<std::chrono::milliseconds> sorted = item_times;
      auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
      std::nth_element(sorted.begin(), middle, sorted.end());
      auto now = std::chrono::steady_clock::now();
      unsigned hung = 0;
      for (const auto& [w, at_work] : busy) {
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - at_work.since);
        hung += writer_hung(elapsed, at_work.items, *middle) ? 1 : 0;
      }
      return hung;
    };
    // More writers join while the measured latency says the limit needs them, and one more for
    // each writer a hung write holds (unless the operator set --workers).
    for (;;) {
      unsigned measured = nested ? 1u : wanted_workers();
      std::unique_lock lock(queue_mutex);
      if (pending.empty() || fatal_)
        break;
      unsigned wanted =
          nested || options_.workers > 0 ? measured : writers_wanted(measured, hung_writers());
      while (threads.size() < wanted)
        threads.emplace_back(worker, static_cast<unsigned>(threads.size()));
      peak_workers_ = std::max(peak_workers_, static_cast<unsigned>(threads.size()));
      queue_changed.wait_for(lock, std::chrono::milliseconds(100),
                             [&] { return pending.empty() || fatal_; });
    }
    for (std::thread& thread : threads)
      thread.join();
  }

  std::vector<std::string> known_sources() {
    std::set<std::string> names;
    session_.staging().for_each({"person", std::nullopt}, [&](const store::StagedRecord& staged) {
      names.insert(staged.source);
    });
    names.insert(session_.options().source);
    return {names.begin(), names.end()};
  }

  // The write item the sink gets for `item` (sdk/docs/sink-protocol.md, section 2).
  json::object write_item(const std::string& kind, const Item& item, unsigned attempt,
                          bool lookup_first) {
    json::object written{{"key", item.key},
                         {"record", item.record},
                         {"refs", resolve_refs(kind, item.record, item.group)},
                         {"attempt", attempt},
                         {"lookup_first", lookup_first}};
    if (!item.group.empty())
      written["group"] = item.group;
    if (item.target_id)
      written["target_id"] = *item.target_id;
    if (kind == "person")
      add_first_candidacy_refs(item, written);
    if (kind == "job") {
      // The interview plan a new job gets: the mapping file's per-job choice, else the default.
      auto chosen = plan_.job_plan.find(item.key);
      std::string interview_plan = chosen != plan_.job_plan.end() && !chosen->second.empty()
                                       ? chosen->second
                                       : plan_.options.default_interview_plan;
      if (!interview_plan.empty())
        written["interview_plan"] = interview_plan;
    }
    return written;
  }

  // Whether this run must look every record up in the target before writing it: the ledger
  // lost rows the audit trail shows written, or knows nothing of this target (deleted,
  // truncated, a new work dir) while the target already holds persons carrying this work dir's
  // source keys (the sink's census; without one, a few staged persons are looked up: persons,
  // because the target identifies them by legacy id and email, where a job has only its title).
  // A ledger that knows the target costs nothing.
  bool earlier_writes_unknown_to_the_ledger() {
    if (verbatim_)
      return false;
    // The audit trail witnesses every outcome the ledger recorded: fewer ledger rows than the
    // trail's records means the ledger lost some (a damaged WAL, a restored backup, a deleted
    // file), and with them what those writes created.
    std::map<std::string, store::StateCounts> rows = session_.ledger().counts(scope_);
    for (const auto& [kind, written] :
         AuditTrail::written_records(session_.work_dir().audit(), scope_)) {
      std::int64_t held = rows.count(kind) ? rows.at(kind).total() : 0;
      if (written > held) {
        adoption_reason_ = fmt::format(
            "the ledger holds {} {} record(s) where the audit trail shows {} written: it lost "
            "some (damaged, replaced or deleted)",
            held, kind, written);
        return true;
      }
    }
    if (!ledger_empty_at_start_)
      return false;
    const host::LoadedPlugin& sink = session_.sink_plugin();
    if (std::find(sink.sink_kinds().begin(), sink.sink_kinds().end(), "person") ==
        sink.sink_kinds().end())
      return false;
    // The target's own list of what carries this work dir's source keys, where the sink offers
    // one (one paged read, on a run whose ledger is empty only); else a few look-ups below.
    std::optional<json::array> census;
    try {
      census = with_retries("census of the target's persons",
                            [&] { return session_.sink().census("person"); });
    } catch (const host::Error& error) {
      if (error.status() == ATSM_AUTH || error.status() == ATSM_CANCELLED)
        throw;
      adoption_reason_ = fmt::format(
          "the ledger is empty and the target could not list what it holds ({})", error.what());
      return true;
    }
    if (census) {
      const std::set<std::string> ours(sources_.begin(), sources_.end());
      std::size_t held = 0;
      for (const json::value& entry : *census) {
        const json::value* keys =
            entry.is_object() ? entry.as_object().if_contains("keys") : nullptr;
        bool carries_ours = false;
        for (const json::value& key : keys && keys->is_array() ? keys->as_array() : json::array{})
          if (key.is_string()) {
            std::string_view text = key.as_string();
            carries_ours = carries_ours || ours.count(std::string(text.substr(0, text.find(':'))));
          }
        held += carries_ours ? 1 : 0;
      }
      if (held == 0)
        return false;
      adoption_reason_ = fmt::format(
          "the ledger is empty, but the target already holds {} person(s) with this work dir's "
          "source keys (an earlier run whose ledger was lost, or a new work dir)",
          held);
      return true;
    }
    constexpr int64_t kProbedPersons = 8;
    std::vector<Item> sample;
    session_.staging().for_each({"person", session_.options().source, 0, kProbedPersons},
                                [&](const store::StagedRecord& staged) {
                                  Item item;
                                  item.key = staged.source_key;
                                  item.record = json::parse(staged.record_json).as_object();
                                  sample.push_back(std::move(item));
                                });
    size_t found = 0;
    for (const Item& item : sample) {
      try {
        std::string probe = json::serialize(write_item("person", item, 1, true));
        if (with_retries("look up " + item.key + " in the target",
                         [&] { return session_.sink().find("person", probe); }))
          ++found;
      } catch (const host::Error& error) {
        if (error.status() == ATSM_AUTH || error.status() == ATSM_CANCELLED)
          throw;
        // Unknown either way: looking up first costs calls, never a duplicate.
        adoption_reason_ = fmt::format(
            "the ledger is empty and the target could not be asked whether it holds person {} ({})",
            item.key, error.what());
        return true;
      }
    }
    if (found == 0)
      return false;
    adoption_reason_ = fmt::format(
        "the ledger is empty, but the target already holds {} of the first {} persons looked up "
        "(an earlier run whose ledger was lost, or a new work dir)",
        found, sample.size());
    return true;
  }

  void write_batch(host::ConnectorInstance& sink, const std::string& kind,
                   std::vector<Item>& batch) {
    std::vector<bool> lookup_first(batch.size(), false);
    for (size_t i = 0; i < batch.size(); ++i) {
      std::optional<store::LedgerEntry> prior =
          session_.ledger().record_intent({scope_, kind, batch[i].key}, batch[i].hash);
      lookup_first[i] = pipeline::lookup_first(prior, adopt_unknown_);
    }
    std::vector<size_t> todo(batch.size());
    std::iota(todo.begin(), todo.end(), 0);
    for (unsigned attempt = 1; !todo.empty(); ++attempt) {
      json::array items;
      for (size_t i : todo)
        items.push_back(write_item(kind, batch[i], attempt, lookup_first[i]));
      json::array results;
      try {
        results = sink.write(kind, json::serialize(items));
      } catch (const host::Error& error) {
        if (batch_failure_stops_the_run(error.status()))
          throw;
        results.clear();
        for (size_t i : todo) {
          results.push_back(json::object{{"key", batch[i].key},
                                         {"status", atsm_status_name(error.status())},
                                         {"message", error.what()},
                                         {"vendor_code", error.vendor_code()},
                                         {"vendor_request_id", error.vendor_request_id()}});
        }
      }
      if (results.size() != todo.size()) {
        throw host::Error(ATSM_INTERNAL,
                          fmt::format("sink {} answered {} results for {} {} items",
                                      sink.plugin().name(), results.size(), todo.size(), kind));
      }
      std::vector<size_t> again;
      bool vendor_trouble = false;  // an item failed for something besides a lost answer
      for (size_t r = 0; r < todo.size(); ++r) {
        size_t i = todo[r];
        const json::object& result = results[r].as_object();
        AfterWriteDecision decision = after_write(result, attempt, options_.max_attempts);
        switch (decision.action) {
          case AfterWrite::skipped:
            skip(kind, batch[i].key, decision.skipped);
            break;
          case AfterWrite::done:
            finish_done(kind, batch[i], result, lookup_first[i]);
            break;
          case AfterWrite::held:
            // The sink waits for an operator's step in the target (its message says which).
            hold(kind, batch[i], result);
            break;
          case AfterWrite::stop:
            // Stop at once (exit 3). The item stays at `intent`, so the resume looks it up.
            throw host::Error(
                ATSM_AUTH, fmt::format("{} {}: {}", kind, batch[i].key, text(result, "message")));
          case AfterWrite::retry:
            lookup_first[i] = true;
            vendor_trouble = vendor_trouble || decision.pause;
            spdlog::debug("{} {}: {} ({}); trying again, looking up first", kind, batch[i].key,
                          text(result, "status"), text(result, "message"));
            again.push_back(i);
            break;
          case AfterWrite::failed:
            if (decision.message.empty()) {
              finish_failed(kind, batch[i], result, decision.status);
            } else {
              finish_failed(kind, batch[i], json::object{{"message", decision.message}},
                            decision.status);
            }
            break;
        }
      }
      todo = std::move(again);
      // A lost answer is looked up at once (the HTTP layer already paused as the vendor's state
      // called for); transient trouble the HTTP layer could not absorb gives the vendor a moment.
      if (vendor_trouble)
        std::this_thread::sleep_for(retry_pause(attempt, options_.retry_pause));
    }
  }

  // Records that `key` is covered by an object another item wrote; false when the ledger already
  // says so.
  bool record_done(const std::string& kind, const std::string& key, const std::string& hash,
                   const std::string& target, const std::string& request_id) {
    if (!covered_needs_recording(session_.ledger().get({scope_, kind, key}), hash, target))
      return false;
    session_.ledger().record_intent({scope_, kind, key}, hash);
    session_.ledger().mark_done({scope_, kind, key}, target, request_id);
    audit("same_target", kind, key);
    return true;
  }

  void finish_done(const std::string& kind, const Item& item, const json::object& result,
                   bool looked_up) {
    std::string target = text(result, "target_id");
    session_.ledger().mark_done({scope_, kind, item.key}, target,
                                text(result, "vendor_request_id"));
    std::vector<std::string> lossy;
    if (const json::value* lines = result.if_contains("lossy"); lines && lines->is_array())
      for (const json::value& line : lines->as_array())
        if (line.is_string())
          lossy.emplace_back(line.as_string());
    audit(done_method(looked_up, item.target_id.has_value()), kind, item.key, lossy);
    for (const std::string& other : item.also_done) {
      if (other != item.key)
        record_done(kind, other, item.hash, target, text(result, "vendor_request_id"));
    }
    std::lock_guard lock(mutex_);
    if (!item.content_key.empty())
      file_targets_.emplace(item.content_key, target);
    KindCounts& counts = stats_.kinds[kind];
    (item.target_id ? counts.updated : counts.created)++;
    counts.merged += static_cast<int64_t>(item.group.size());
    if (looked_up)
      stats_.adopted++;
    if (const json::value* lossy = result.if_contains("lossy"); lossy && lossy->is_array()) {
      for (const json::value& line : lossy->as_array()) {
        if (line.is_string())
          stats_.lossy.push_back(
              fmt::format("{} {}: {}", kind, item.key, std::string(line.as_string())));
      }
    }
  }

  void hold(const std::string& kind, const Item& item, const json::object& result) {
    std::string message = text(result, "message");
    session_.ledger().mark_failed({scope_, kind, item.key}, message.empty() ? "held" : message,
                                  kHeldVendorCode, text(result, "vendor_request_id"));
    audit("hold", kind, item.key);
    std::lock_guard lock(mutex_);
    stats_.kinds[kind].held++;
  }

  void finish_failed(const std::string& kind, const Item& item, const json::object& result,
                     const std::string& status) {
    std::string message = text(result, "message");
    session_.ledger().mark_failed({scope_, kind, item.key}, message.empty() ? status : message,
                                  text(result, "vendor_code"), text(result, "vendor_request_id"));
    audit("fail", kind, item.key);
    spdlog::warn("{} {} failed ({}): {}", kind, item.key, status, message);
    std::lock_guard lock(mutex_);
    stats_.kinds[kind].failed++;
    stats_.failures.push_back({kind, item.key, status, message, text(result, "vendor_code"),
                               text(result, "vendor_request_id")});
  }

  Session& session_;
  const Plan& plan_;
  LoadOptions options_;
  std::string scope_;
  bool verbatim_;
  std::vector<std::string> sources_;
  std::map<std::string, FirstCandidacy> first_candidacy_;  // person source key ->
  std::set<std::string> handled_;  // keys of the kind being loaded that this run took
  bool kind_complete_ = true;      // the kind being loaded is extracted as far as this run goes
  std::set<size_t> groups_done_;   // person groups (plan_.groups) this pass of persons wrote
  std::map<std::string, std::string> file_targets_;  // file content key -> target (guarded)
  unsigned peak_workers_ = 0;
  bool ledger_empty_at_start_ = true;
  bool adopt_unknown_ = false;  // decided before any write, read-only after
  std::string adoption_reason_;
  std::mutex mutex_;
  LoadStats stats_;
  std::exception_ptr fatal_;
};

}  // namespace

std::string payload_hash(const json::object& record, const json::array& group) {
  // `updated_at` moves whenever the source touches a record, whether or not anything the target
  // receives changed (a new note moves its opportunity's): it does not make an update.
  auto without_updated_at = [](json::object copy) {
    copy.erase("updated_at");
    return copy;
  };
  json::array members;
  for (const json::value& member : group)
    members.push_back(member.is_object() ? json::value(without_updated_at(member.as_object()))
                                         : member);
  return store::sha256_hex(json::serialize(without_updated_at(record)) + json::serialize(members));
}

// Why a record is not written at all, by the plan's options (docs/mapping.md §10), or "" to write
// it.
std::string skip_reason(const std::string& kind, const json::object& record, const Plan& plan) {
  const MigrationOptions& options = plan.options;
  if (options.confidential == "skip" && flag(record, "confidential"))
    return "confidential (options.confidential=skip)";
  if (kind == "person" && flag(record, "anonymized"))
    return "anonymised in the source";
  if (kind == "note" && flag(record, "deleted"))
    return "deleted in the source";
  if (kind == "note" && flag(record, "is_private") && options.private_notes == "skip") {
    return "private note (options.private_notes=skip)";
  }
  if (kind == "file" && !text(record, "skipped_reason").empty()) {
    return "the source could not serve it: " + text(record, "skipped_reason");
  }
  if (kind == "tag" && !plan.carried_tags.contains(text(record, "name")))
    return "no migrated candidate carries it (tags come with their candidates)";
  if (kind == "interview" && options.interviews == "skip")
    return "interviews not migrated (options.interviews=skip)";
  if (kind == "offer" && options.offers == "skip")
    return "offers not migrated (options.offers=skip)";
  if (kind == "candidacy") {
    if (flag(record, "is_prospect") && options.prospects == "skip")
      return "prospect (options.prospects=skip)";
    // A jobless candidacy (options.jobless) still goes to the sink: what it carries besides its
    // children (tags, a prospect pool, form answers, a cover letter) is kept on the candidate,
    // and the sink answers that the candidacy itself is skipped.
  }
  return {};
}

LoadStats load(Session& session, const Plan& plan, const LoadOptions& options) {
  LoadStats stats = Loader(session, plan, options).run();
  // A sink that commits at the end (the archive's files and manifest) does it now.
  json::object kinds;
  for (const auto& [kind, counts] : stats.kinds) {
    kinds[kind] = json::object{{"created", counts.created},
                               {"updated", counts.updated},
                               {"unchanged", counts.unchanged},
                               {"failed", counts.failed}};
  }
  session.sink().finish(json::serialize(json::object{{"kinds", kinds}}));
  return stats;
}

}  // namespace atsm::pipeline
