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
#include "pipeline/record_text.hpp"
#include "pipeline/references.hpp"
#include "services/store/scratch_map.hpp"
#include "services/store/sha256.hpp"

namespace atsm::pipeline {
namespace {

namespace json = boost::json;

bool flag(const json::object& record, const char* key) {
  const json::value* value = record.if_contains(key);
  return value && value->is_bool() && value->as_bool();
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
        verbatim_((session.sink_plugin().descriptor().capabilities & ATSM_CAP_VERBATIM) != 0),
        file_targets_(session.work_dir().scratch("load-file-targets")),
        first_candidacies_(session.work_dir().scratch("load-first-candidacies")) {}

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
    open_pool();
    try {
      load_kinds();
    } catch (...) {
      close_pool(true);
      throw;
    }
    close_pool(false);
    throw_if_failed();
    stats_.peak_workers = peak_workers_;
    stats_.peak_records_held = in_flight_.peak_held();
    stats_.peak_keys_remembered = peak_keys_remembered_;
    return std::move(stats_);
  }

 private:
  // Every kind the sink writes, in dependency order, each read while the earlier ones' last
  // writes go on; then what still waits for records being written.
  void load_kinds() {
    const host::LoadedPlugin& sink = session_.sink_plugin();
    for (model::Kind kind : model::kKindsInDependencyOrder) {
      std::string name(model::to_string(kind));
      bool writable = std::find(sink.sink_kinds().begin(), sink.sink_kinds().end(), name) !=
                      sink.sink_kinds().end();
      bool mapped = std::find(kMappedKinds.begin(), kMappedKinds.end(), name) != kMappedKinds.end();
      if (!writable || mapped)
        continue;
      current_kind_ = name;
      load_kind(name);
      throw_if_failed();
    }
    current_kind_.clear();
    for (;;) {
      take_ready_again();
      std::unique_lock lock(pool_mutex_);
      if (fatal_ || in_flight_.postponed() == 0)
        break;
      if (queue_.empty() && busy_.empty() && in_flight_.ready_count() == 0) {
        // Nothing is being written, so nothing they wait for can become final: records that
        // point at each other (a cycle the source should not hold). They go as the ledger stands,
        // as they did before writes overlapped, rather than never.
        std::vector<RecordKey> stuck = in_flight_.release_all();
        lock.unlock();
        spdlog::warn("{} record(s) wait for each other; written as the ledger stands",
                     stuck.size());
        take_again(stuck, true);
        continue;
      }
      pool_changed_.wait_for(lock, std::chrono::milliseconds(100));
    }
    throw_if_failed();
  }

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

  // What became of a staged record that was taken.
  enum class Taken {
    item,       // it is (part of) an item to write: taken (unsettled) until that write ends
    postponed,  // it waits for records it points at: taken, taken again once they are settled
    covered,    // an item of this run covers it (a person's group, the same bytes): nothing more
    final,      // its ledger row is final now (skipped, deferred, written by an earlier item)
    not_now,    // left for the kind's last pass (the source may still fetch it)
  };

  // The items being read from staging in one go: grouped items find their group here.
  struct Collecting {
    std::vector<Item> items;
    std::map<std::string, size_t> interview_item;  // candidacy key -> index (one note each)
    std::map<std::string, size_t> file_item;       // content key -> index
    // Interview groups (one note per candidacy) one of whose records waits: the whole group
    // waits for what any of them waits for, so the note is written once with all of them.
    struct WaitingGroup {
      std::vector<RecordKey> waits;
      std::vector<std::string> members;
    };
    std::map<std::string, WaitingGroup> waiting_groups;
    // Records that wait for each other with nothing in flight: taken whatever they point at
    // (see load_kinds).
    bool waits_ignored = false;
  };

  // Claims `keys` of `kind` as taken (guarded).
  void claim(const std::string& kind, const std::string& key) {
    std::lock_guard lock(pool_mutex_);
    in_flight_.take({kind, key});
  }

  std::vector<RecordKey> waits_for(const std::string& kind, const json::object& record,
                                   const Collecting& into) {
    if (into.waits_ignored)
      return {};
    std::lock_guard lock(pool_mutex_);
    return unsettled_references(
        kind, record, [&](const RecordKey& other) { return in_flight_.unsettled(other); },
        tag_keys_);
  }

  void postpone(const std::string& kind, const std::string& key, std::vector<RecordKey> waits) {
    std::lock_guard lock(pool_mutex_);
    in_flight_.postpone({kind, key}, std::move(waits));
  }

  // Whether an earlier pass of this run over the kind being read took `staged`.
  bool taken_earlier(const store::StagedRecord& staged) const {
    return staged.seq <= taken_through_seq_ && !left_for_last_pass_.contains(staged.source_key);
  }

  void note_remembered() {
    peak_keys_remembered_ = std::max(peak_keys_remembered_, left_for_last_pass_.size());
  }

  static std::string interview_group(const json::object& record) {
    std::string candidacy = text(record, "candidacy_key");
    return (candidacy.empty() ? text(record, "person_key") : candidacy) + "#interviews";
  }

  // Takes one staged record of `kind` into `into` (first read, or a postponed record taken
  // again). `kind_complete`: the kind is extracted as far as this run goes.
  Taken take(const std::string& kind, const store::StagedRecord& staged, Collecting& into,
             bool kind_complete) {
    std::vector<Item>& items = into.items;
    const std::string source = session_.options().source;
    json::object record = json::parse(staged.record_json).as_object();
    if (std::string failure = text(record, "fetch_failure"); !failure.empty()) {
      // The source may still fetch it in this run (its read retries before it gives up): the
      // pass after the kind's extraction ended takes it as it then stands.
      if (!kind_complete) {
        left_for_last_pass_.insert(staged.source_key);
        note_remembered();
        return Taken::not_now;
      }
      left_for_last_pass_.erase(staged.source_key);
      fail_unfetched(kind, staged.source_key, failure);
      return Taken::final;
    }
    left_for_last_pass_.erase(staged.source_key);
    // A verbatim sink (an archive) keeps what the rules of docs/mapping.md would leave out.
    if (std::string reason = verbatim_ ? "" : skip_reason(kind, record, plan_); !reason.empty()) {
      skip(kind, staged.source_key, reason);
      return Taken::final;
    }
    if (kind == "person")
      if (auto in_group = plan_.group_of.find(staged.source_key);
          in_group != plan_.group_of.end() && groups_done_.contains(in_group->second))
        return Taken::covered;  // written with its group
    // What it points at must be final in the ledger before it is judged or written.
    std::vector<RecordKey> waits = waits_for(kind, record, into);
    if (kind == "interview") {
      std::string group = interview_group(record);
      if (!waits.empty() || into.waiting_groups.contains(group)) {
        Collecting::WaitingGroup& whole = into.waiting_groups[group];
        whole.waits.insert(whole.waits.end(), waits.begin(), waits.end());
        whole.members.push_back(staged.source_key);
        claim(kind, staged.source_key);  // postponed with its group by collected()
        return Taken::postponed;
      }
    }
    if (!waits.empty()) {
      postpone(kind, staged.source_key, std::move(waits));
      return Taken::postponed;
    }
    if (std::string reason = skipped_owner(kind, record); !reason.empty()) {
      skip(kind, staged.source_key, reason);
      return Taken::final;
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
      return Taken::final;
    }
    if (kind == "file" && !verbatim_) {
      // The same bytes go to a candidate once (docs/mapping.md §9), across sources, resumed runs
      // and concurrent writers: one item per (candidate, SHA-256), the other records ride along.
      std::string content_key = file_content_key(record);
      if (!content_key.empty()) {
        if (std::optional<std::string> written = file_targets_.get(content_key)) {
          bool recorded = record_done(kind, staged.source_key, "same-bytes", *written, "");
          std::lock_guard lock(mutex_);
          (recorded ? stats_.kinds[kind].merged : stats_.kinds[kind].unchanged)++;
          return Taken::final;
        }
        if (auto it = into.file_item.find(content_key); it != into.file_item.end()) {
          items[it->second].also_done.push_back(staged.source_key);
          claim(kind, staged.source_key);
          return Taken::item;
        }
        {
          // The same bytes already on their way (an earlier read of this run): this record rides
          // along once that upload is final.
          std::lock_guard lock(pool_mutex_);
          if (auto uploading = content_in_flight_.find(content_key);
              uploading != content_in_flight_.end()) {
            in_flight_.postpone({kind, staged.source_key}, {{kind, uploading->second}});
            return Taken::postponed;
          }
          content_in_flight_[content_key] = staged.source_key;
          in_flight_.take({kind, staged.source_key});
        }
        into.file_item[content_key] = items.size();
        Item item{staged.source_key, std::move(record), {}, {}, {}, {}};
        item.content_key = std::move(content_key);
        items.push_back(std::move(item));
        return Taken::item;
      }
    }
    if (kind == "interview") {
      // One note per candidacy holds all its interviews (docs/mapping.md §8): one item per
      // candidacy.
      std::string group_key = interview_group(record);
      claim(kind, staged.source_key);
      if (auto it = into.interview_item.find(group_key); it != into.interview_item.end()) {
        items[it->second].group.push_back(std::move(record));
        items[it->second].also_done.push_back(staged.source_key);
        return Taken::item;
      }
      into.interview_item[group_key] = items.size();
      items.push_back({group_key, std::move(record), {}, {staged.source_key}, {}, {}});
      return Taken::item;
    }
    if (kind == "person") {
      if (auto in_group = plan_.group_of.find(staged.source_key);
          in_group != plan_.group_of.end()) {
        const PersonGroup& group = plan_.groups[in_group->second];
        Item item;
        item.key = staged.source_key;
        std::vector<RecordKey> group_waits;
        for (const std::string& member : group.members) {
          json::object member_record =
              member == staged.source_key ? record : staged_record("person", member);
          if (member_record.empty())
            continue;
          for (RecordKey& wait : waits_for("person", member_record, into))
            group_waits.push_back(std::move(wait));
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
        if (!group_waits.empty()) {
          postpone(kind, staged.source_key, std::move(group_waits));
          return Taken::postponed;
        }
        groups_done_.insert(in_group->second);
        claim(kind, item.key);
        for (const std::string& member : item.also_done)
          claim(kind, member);
        items.push_back(std::move(item));
        return Taken::item;
      }
    }
    if (kind == "tag") {
      std::lock_guard lock(pool_mutex_);
      tag_keys_[ascii_lower(text(record, "name"))] = staged.source_key;
    }
    claim(kind, staged.source_key);
    items.push_back({staged.source_key, std::move(record), {}, {}, {}, {}});
    return Taken::item;
  }

  // After a read: the interview groups one of whose records waits wait whole; parents come
  // before children in the kinds that nest.
  std::vector<Item> collected(const std::string& kind, Collecting& into) {
    std::vector<Item> items;
    for (Item& item : into.items) {
      auto waiting = into.waiting_groups.find(item.key);
      if (kind != "interview" || waiting == into.waiting_groups.end()) {
        items.push_back(std::move(item));
        continue;
      }
      for (const std::string& member : item.also_done)
        waiting->second.members.push_back(member);
    }
    for (auto& [group, whole] : into.waiting_groups)
      for (const std::string& member : whole.members)
        postpone(kind, member, whole.waits);
    return items;
  }

  // Items read from staging, with how many rows were read for them and whether they end the read.
  using ChunkRead = std::function<void(std::vector<Item> items, int64_t rows, bool last)>;

  // Reads the records of `kind` staged after `after_seq` (at most `limit` when given) that this run
  // has not handled yet and hands their items to `chunk_read`. A grouped kind is read whole, in
  // groups, and handed over a chunk at a time: at the first group's end after `limit` records, so
  // a group is never split. Returns the last seq seen.
  int64_t collect(const std::string& kind, int64_t after_seq, std::optional<int64_t> limit,
                  bool kind_complete, const ChunkRead& chunk_read) {
    Collecting into;
    const std::vector<std::string> grouped = grouped_by(kind);
    store::StagingQuery query{kind, session_.options().source, after_seq,
                              grouped.empty() ? limit : std::nullopt, grouped};
    int64_t rows = 0;
    if (nested(kind)) {
      int64_t last_seq = collect_parents_first(kind, query, into, rows, kind_complete);
      chunk_read(collected(kind, into), rows, true);
      return last_seq;
    }
    std::string group;  // of the record read last (grouped kinds)
    int64_t last_seq = session_.staging().for_each(query, [&](const store::StagedRecord& staged) {
      if (!grouped.empty()) {
        if (limit && rows >= *limit && staged.group != group) {
          chunk_read(collected(kind, into), rows, false);
          into = Collecting{};
          rows = 0;
        }
        group = staged.group;
      }
      ++rows;
      if (taken_earlier(staged))
        return;  // an earlier pass of this run took it
      take(kind, staged, into, kind_complete);
    });
    chunk_read(collected(kind, into), rows, !limit || !grouped.empty() || rows < *limit);
    return last_seq;
  }

  // The members a kind's items are grouped by (the first present and not empty), for a kind
  // whose item gathers several records: interviews, one note per candidacy (interview_group).
  static std::vector<std::string> grouped_by(const std::string& kind) {
    if (kind == "interview")
      return {"candidacy_key", "person_key"};
    return {};
  }

  // Kinds whose records may have a parent of their own kind (`parent_key`).
  static bool nested(const std::string& kind) { return kind == "department" || kind == "office"; }

  // Takes a nested kind's records parents first, at any depth (they are few: read whole). A child
  // taken after its parent waits for the parent's write to be final (WritesInFlight), so each
  // level's records are written at once, and a parent's slow write holds up its own children
  // only, not its siblings nor the kinds loaded after it.
  int64_t collect_parents_first(const std::string& kind, const store::StagingQuery& query,
                                Collecting& into, int64_t& rows, bool kind_complete) {
    std::vector<store::StagedRecord> records;
    std::map<std::string, std::string> parent_of;
    int64_t last_seq = session_.staging().for_each(query, [&](const store::StagedRecord& staged) {
      parent_of[staged.source_key] =
          text(json::parse(staged.record_json).as_object(), "parent_key");
      records.push_back(staged);
    });
    auto depth = [&](const std::string& key) {
      std::size_t levels = 0;
      // A chain longer than the kind loops: it ends there (the loop waits as a cycle does).
      for (auto at = parent_of.find(key);
           at != parent_of.end() && !at->second.empty() && levels <= parent_of.size();
           at = parent_of.find(at->second))
        ++levels;
      return levels;
    };
    std::vector<std::pair<std::size_t, const store::StagedRecord*>> by_depth;
    for (const store::StagedRecord& staged : records)
      by_depth.emplace_back(depth(staged.source_key), &staged);
    std::stable_sort(by_depth.begin(), by_depth.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [ignored, staged] : by_depth) {
      ++rows;
      if (!taken_earlier(*staged))
        take(kind, *staged, into, kind_complete);
    }
    return last_seq;
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
    store::ScratchMap::Batch batch(file_targets_);
    session_.staging().for_each({"file", std::nullopt}, [&](const store::StagedRecord& staged) {
      std::optional<store::LedgerEntry> entry =
          session_.ledger().get({scope_, "file", staged.source_key});
      if (!entry || entry->state != store::LedgerState::done || !entry->target_id)
        return;
      std::string content_key = file_content_key(json::parse(staged.record_json).as_object());
      if (!content_key.empty())
        batch.put_if_absent(content_key, *entry->target_id);
    });
    batch.commit();
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
  // (docs/mapping.md §3: both come from the earliest candidacy, mapped). Kept in a scratch map
  // (person source key -> [created_at, source key, credited user key]), not in memory.
  struct FirstCandidacy {
    std::string created_at;  // ISO 8601 UTC; "" (unknown) sorts last
    std::string source_key;
    std::string user_key;  // credited user, else owner

    std::string to_text() const {
      return json::serialize(json::array{created_at, source_key, user_key});
    }
    static FirstCandidacy from_text(std::string_view text) {
      json::array fields = json::parse(text).as_array();
      auto field = [&](std::size_t i) { return std::string(fields.at(i).as_string()); };
      return {field(0), field(1), field(2)};
    }
  };

  void index_first_candidacies() {
    first_candidacies_.clear();
    store::ScratchMap::Batch batch(first_candidacies_);
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
          std::string person = text(record, "person_key");
          std::optional<std::string> known = batch.get(person);
          if (!known || earlier(candidacy.created_at, FirstCandidacy::from_text(*known).created_at))
            batch.put(person, candidacy.to_text());
        });
    batch.commit();
  }

  // The candidate's source and credited user, as target ids, from the earliest candidacy of any
  // member of the person's group.
  void add_first_candidacy_refs(const Item& item, json::object& out) const {
    std::optional<FirstCandidacy> first;
    auto consider = [&](const std::string& person_key) {
      std::optional<std::string> known = first_candidacies_.get(person_key);
      if (!known)
        return;
      FirstCandidacy candidacy = FirstCandidacy::from_text(*known);
      if (!first || earlier(candidacy.created_at, first->created_at))
        first = std::move(candidacy);
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

  // Kinds read from staging in chunks, so memory stays flat whatever the account's size (they are
  // the ones that grow with it). A person's group is tracked across chunks (groups_done_), and so
  // are the same bytes of a file (content_in_flight_, and file_targets_ on disk); interviews (one
  // item per candidacy) are read grouped, each chunk ending at a candidacy's end (grouped_by).
  // Departments and offices are few and sorted parents first within one read; jobs, tags and custom
  // fields are few.
  static bool chunked(const std::string& kind) {
    return kind == "person" || kind == "candidacy" || kind == "note" || kind == "feedback" ||
           kind == "interview" || kind == "offer" || kind == "file";
  }

  void load_kind(const std::string& kind) {
    BackgroundExtraction* feed = options_.extraction;
    const bool streaming = feed != nullptr && streamed(kind);
    if (feed != nullptr && !streaming)
      while (!feed->complete(kind))
        wait_for_extraction(*feed);
    if (kind == "person")
      index_first_candidacies();
    if (kind == "file")
      index_written_files();
    taken_through_seq_ = 0;
    left_for_last_pass_.clear();
    {
      std::lock_guard lock(pool_mutex_);
      kind_runs_[kind].progress = std::make_unique<Progress>(fmt::format("load {}", kind), 0);
    }
    int64_t cursor = 0;
    const std::optional<int64_t> limit =
        chunked(kind) ? std::optional<int64_t>(options_.chunk_records) : std::nullopt;
    for (;;) {
      // Asked before reading: once the kind is complete, this pass sees all of it. The last pass
      // starts over from the first record, for a record that changed since an earlier run keeps
      // its place (seq) in the staging store; what this run already took is skipped.
      bool complete = feed == nullptr || feed->complete(kind);
      current_kind_complete_ = complete;
      int64_t from = complete ? 0 : cursor;
      if (complete)
        taken_through_seq_ = cursor;  // the passes before took every record up to the cursor
      // A chunked pass's total is what is queued plus what is still unread (an upper bound).
      int64_t unread = complete && limit ? staged_count(kind) : 0;
      for (bool last_chunk = false; !last_chunk; from = cursor) {
        cursor = collect(kind, from, limit, complete,
                         [&](std::vector<Item> items, int64_t rows, bool last) {
                           last_chunk = last;
                           unread = std::max<int64_t>(0, unread - rows);
                           queue_chunk(kind, items, last ? 0 : unread, complete);
                         });
      }
      if (complete)
        break;
      wait_for_extraction(*feed);
    }
    std::lock_guard lock(pool_mutex_);
    kind_runs_[kind].produced = true;
    finish_kind_if_done(kind);
  }

  // Queues the items of a chunk read from staging; `unread`: the kind's records still unread
  // after it (an upper bound), `complete`: the kind is extracted as far as this run goes.
  void queue_chunk(const std::string& kind, std::vector<Item>& items, int64_t unread,
                   bool complete) {
    std::deque<Item> pending = still_to_write(kind, items);
    items.clear();
    {
      std::lock_guard lock(pool_mutex_);
      KindRun& run = kind_runs_[kind];
      run.counting = complete;
      run.unread = static_cast<uint64_t>(unread);
      if (complete && run.progress)
        run.progress->set_total(run.queued + pending.size() + run.unread);
    }
    enqueue(kind, pending);
    throw_if_failed();
    // Written while the next chunk is read: what waited on records now final goes too.
    take_ready_again();
  }

  // Waits a moment for the extraction to stage more, taking postponed records again meanwhile:
  // their owners' writes end whatever the source is doing.
  void wait_for_extraction(BackgroundExtraction& feed) {
    constexpr std::chrono::milliseconds kLookAgainEvery{50};
    feed.wait_for_more(kLookAgainEvery);
    take_ready_again();
  }

  // The postponed records nothing they wait for is unsettled any more, read again from staging
  // by key and taken as in a first read.
  void take_ready_again() {
    std::vector<RecordKey> ready;
    {
      std::lock_guard lock(pool_mutex_);
      ready = in_flight_.ready();
    }
    take_again(ready, false);
  }

  // `waits_ignored`: taken whatever they point at (see load_kinds).
  void take_again(const std::vector<RecordKey>& ready, bool waits_ignored) {
    std::map<std::string, Collecting> by_kind;
    for (const RecordKey& record : ready) {
      by_kind[record.kind].waits_ignored = waits_ignored;
      std::optional<store::StagedRecord> staged =
          session_.staging().get(session_.options().source, record.kind, record.key);
      // The kind still being read may not be complete yet; every earlier kind is.
      bool complete = record.kind != current_kind_ || current_kind_complete_;
      Taken taken =
          staged ? take(record.kind, *staged, by_kind[record.kind], complete) : Taken::final;
      if (taken == Taken::final || taken == Taken::not_now) {
        std::lock_guard lock(pool_mutex_);
        in_flight_.settle(record);
        finish_kind_if_done(record.kind);
      }
    }
    for (auto& [kind, into] : by_kind) {
      std::vector<Item> items = collected(kind, into);
      std::deque<Item> pending = still_to_write(kind, items);
      enqueue(kind, pending, true);
      std::lock_guard lock(pool_mutex_);
      finish_kind_if_done(kind);
    }
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
        {
          std::lock_guard lock(mutex_);
          stats_.kinds[kind].unchanged++;
        }
        std::lock_guard lock(pool_mutex_);
        settle(kind, item);
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

  // ---- The writer pool: lives for the whole load, fed by a bounded queue ----

  // The item's records are final in the ledger (guarded by pool_mutex_).
  void settle(const std::string& kind, const Item& item) {
    in_flight_.settle({kind, item.key});
    for (const std::string& other : item.also_done)
      in_flight_.settle({kind, other});
    if (!item.content_key.empty())
      if (auto uploading = content_in_flight_.find(item.content_key);
          uploading != content_in_flight_.end() && uploading->second == item.key)
        content_in_flight_.erase(uploading);
  }

  // The kind's progress line ends once it is read whole and nothing of it is unsettled (guarded).
  void finish_kind_if_done(const std::string& kind) {
    auto found = kind_runs_.find(kind);
    if (found == kind_runs_.end() || !found->second.produced || !found->second.progress)
      return;
    if (in_flight_.unsettled_of(kind) == 0)
      found->second.progress->finish();
  }

  void throw_if_failed() {
    std::lock_guard lock(pool_mutex_);
    if (fatal_)
      std::rethrow_exception(fatal_);
  }

  // Queues `pending` for the writers, waiting while the queue is full (what is read ahead stays
  // bounded). While it waits, postponed records whose wait ended are taken again. `ahead`: records
  // taken again go before new work, in order, without waiting for room (they were read before, and
  // the queue's new work waits behind them anyway).
  void enqueue(const std::string& kind, std::deque<Item>& pending, bool ahead = false) {
    const std::size_t capacity =
        static_cast<std::size_t>(std::max<int64_t>(options_.chunk_records, 64));
    std::size_t placed = 0;  // ahead: how many of `pending` went to the queue's front so far
    while (!pending.empty()) {
      bool retake = false;
      {
        std::unique_lock lock(pool_mutex_);
        pool_changed_.wait(lock, [&] {
          retake = !ahead && in_flight_.ready_count() > 0;
          return fatal_ || ahead || retake || queue_.size() < capacity;
        });
        if (fatal_)
          return;
        if (!retake || queue_.size() < capacity) {
          KindRun& run = kind_runs_[kind];
          run.queued++;
          if (run.counting && run.progress)
            run.progress->set_total(run.queued + run.unread);
          Queued queued{kind, std::move(pending.front())};
          if (ahead)
            queue_.insert(
                queue_.begin() + static_cast<std::ptrdiff_t>(std::min(placed++, queue_.size())),
                std::move(queued));
          else
            queue_.push_back(std::move(queued));
          pending.pop_front();
          start_writers();
          pool_changed_.notify_all();
        }
      }
      if (retake)
        take_ready_again();
    }
  }

  // Waits until nothing is queued or being written.
  void drain() {
    std::unique_lock lock(pool_mutex_);
    pool_changed_.wait(lock, [&] { return fatal_ || (queue_.empty() && busy_.empty()); });
  }

  // Starts writers up to the number allowed while there is work (guarded).
  void start_writers() {
    while (writers_.size() < allowed_ && !queue_.empty())
      writers_.emplace_back([this, w = static_cast<unsigned>(writers_.size())] { write_loop(w); });
    peak_workers_ = std::max(peak_workers_, static_cast<unsigned>(writers_.size()));
  }

  void open_pool() {
    shared_instance_ =
        (session_.sink_plugin().descriptor().capabilities & ATSM_CAP_THREAD_SAFE) != 0;
    unsigned wanted = wanted_workers();
    std::lock_guard lock(pool_mutex_);
    allowed_ = std::max(1u, wanted);
    supervisor_ = std::thread([this] { supervise(); });
  }

  // Ends the pool: with `abandon`, the writers leave after their batch (what is queued is not
  // written yet, its ledger rows untouched); else once the queue is empty.
  void close_pool(bool abandon) {
    {
      std::lock_guard lock(pool_mutex_);
      closing_ = true;
      abandoning_ = abandon;
      pool_changed_.notify_all();
    }
    if (supervisor_.joinable())
      supervisor_.join();
    for (std::thread& writer : writers_)
      writer.join();
    writers_.clear();
    std::lock_guard lock(pool_mutex_);
    for (auto& [kind, run] : kind_runs_)
      if (run.progress && !abandon)
        run.progress->finish();
  }

  // Writers held by a hung write, once enough batches of their kind finished to know a typical
  // item (guarded).
  unsigned hung_writers() {
    constexpr std::size_t kMinFinished = 8;
    auto now = std::chrono::steady_clock::now();
    unsigned hung = 0;
    for (const auto& [w, at_work] : busy_) {
      auto times = item_times_.find(at_work.kind);
      if (times == item_times_.end() || times->second.size() < kMinFinished)
        continue;
      std::vector<std::chrono::milliseconds> sorted = times->second;
      auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
      std::nth_element(sorted.begin(), middle, sorted.end());
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - at_work.since);
      hung += writer_hung(elapsed, at_work.items, *middle) ? 1 : 0;
    }
    return hung;
  }

  // More writers are allowed while the measured latency says the limit needs them, and one more
  // for each writer a hung write holds (unless the operator set --workers).
  void supervise() {
    for (;;) {
      unsigned measured = wanted_workers();
      std::unique_lock lock(pool_mutex_);
      if (fatal_ || abandoning_ || (closing_ && queue_.empty()))
        return;
      unsigned wanted = options_.workers > 0 ? measured : writers_wanted(measured, hung_writers());
      wanted = std::max(1u, wanted);
      if (wanted != allowed_) {
        allowed_ = wanted;
        start_writers();
        pool_changed_.notify_all();
      }
      pool_changed_.wait_for(lock, std::chrono::milliseconds(100),
                             [&] { return fatal_ || abandoning_ || (closing_ && queue_.empty()); });
    }
  }

  void write_loop(unsigned w) {
    std::unique_ptr<host::ConnectorInstance> own;
    try {
      host::ConnectorInstance* sink = &session_.sink();
      if (!shared_instance_ && w > 0) {
        std::lock_guard lock(open_mutex_);
        own = session_.open_sink_instance();
        sink = own.get();
      }
      for (;;) {
        std::string kind;
        std::vector<Item> batch;
        {
          std::unique_lock lock(pool_mutex_);
          pool_changed_.wait(lock, [&] {
            return fatal_ || abandoning_ || (closing_ && queue_.empty()) ||
                   (!queue_.empty() && busy_.size() < allowed_);
          });
          if (fatal_ || abandoning_ || queue_.empty())
            return;
          kind = queue_.front().kind;
          std::size_t take = batch_take(queue_.size(), allowed_, options_.batch_size);
          // One kind per call to the sink.
          while (!queue_.empty() && batch.size() < take && queue_.front().kind == kind) {
            batch.push_back(std::move(queue_.front().item));
            queue_.pop_front();
          }
          busy_[w] = {std::chrono::steady_clock::now(), batch.size(), kind};
          pool_changed_.notify_all();  // room in the queue
        }
        write_batch(*sink, kind, batch);
        std::lock_guard lock(pool_mutex_);
        auto per_item = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - busy_[w].since) /
                        static_cast<std::int64_t>(batch.size());
        constexpr std::size_t kItemTimes = 64;
        std::vector<std::chrono::milliseconds>& times = item_times_[kind];
        std::size_t& finished = batches_finished_[kind];
        if (times.size() < kItemTimes)
          times.push_back(per_item);
        else
          times[finished % kItemTimes] = per_item;
        ++finished;
        busy_.erase(w);
        for (const Item& item : batch)
          settle(kind, item);
        if (auto run = kind_runs_.find(kind); run != kind_runs_.end() && run->second.progress)
          run->second.progress->advance(batch.size());
        finish_kind_if_done(kind);
        pool_changed_.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(pool_mutex_);
      if (!fatal_)
        fatal_ = std::current_exception();
      session_.services().cancelled = true;
      pool_changed_.notify_all();
    }
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
    if (!item.content_key.empty())
      file_targets_.put_if_absent(item.content_key, target);
    std::lock_guard lock(mutex_);
    KindCounts& counts = stats_.kinds[kind];
    (item.target_id ? counts.updated : counts.created)++;
    counts.merged += static_cast<int64_t>(item.group.size());
    if (looked_up)
      stats_.adopted++;
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
  // What this run took of the kind being read, without a key per record: an earlier pass took
  // every record up to `taken_through_seq_` (passes read in seq order, and a record staged later
  // gets a larger seq) but those it left for the kind's last pass (the source may still fetch
  // them: few).
  int64_t taken_through_seq_ = 0;
  std::set<std::string> left_for_last_pass_;
  std::string current_kind_;           // the kind being read
  bool current_kind_complete_ = true;  // it is extracted as far as this run goes
  std::set<size_t> groups_done_;       // person groups (plan_.groups) this run took
  // Per record of the account, so on disk (thread-safe): file content key -> target id of the
  // upload, and person source key -> its first candidacy (FirstCandidacy::to_text).
  store::ScratchMap file_targets_;
  store::ScratchMap first_candidacies_;
  std::size_t peak_keys_remembered_ = 0;  // LoadStats::peak_keys_remembered
  unsigned peak_workers_ = 0;
  bool ledger_empty_at_start_ = true;
  bool adopt_unknown_ = false;  // decided before any write, read-only after
  std::string adoption_reason_;
  std::mutex mutex_;
  LoadStats stats_;
  std::mutex open_mutex_;  // one sink instance opened at a time

  // The writer pool and what is in flight, guarded by pool_mutex_ (fatal_ too). Told on every
  // change: an item queued or taken, a batch finished, a writer failed, the pool closing.
  std::mutex pool_mutex_;
  std::condition_variable pool_changed_;
  struct Queued {
    std::string kind;
    Item item;
  };
  std::deque<Queued> queue_;
  std::vector<std::thread> writers_;
  std::thread supervisor_;
  bool shared_instance_ = true;  // the sink is ATSM_CAP_THREAD_SAFE: one instance for all
  unsigned allowed_ = 1;         // writers allowed at work at once
  bool closing_ = false;         // nothing more is queued: writers leave once the queue is empty
  bool abandoning_ = false;      // the run stops: writers leave after their batch
  // The writers at work (since when, how many items, of which kind) and the time per item of the
  // latest finished batches per kind: what tells a writer held by a hung write (writer_hung).
  struct Busy {
    std::chrono::steady_clock::time_point since;
    std::size_t items = 0;
    std::string kind;
  };
  std::map<unsigned, Busy> busy_;
  std::map<std::string, std::vector<std::chrono::milliseconds>> item_times_;
  std::map<std::string, std::size_t> batches_finished_;
  WritesInFlight in_flight_;
  std::map<std::string, std::string> content_in_flight_;  // file content key -> item uploading it
  std::map<std::string, std::string> tag_keys_;  // lower-case tag name -> key, of the tags taken
  // Per kind: its progress line, items queued, records still unread (a chunked kind's upper
  // bound), whether its total is known (the kind is complete), whether it was read whole.
  struct KindRun {
    std::unique_ptr<Progress> progress;
    uint64_t queued = 0;
    uint64_t unread = 0;
    bool counting = false;
    bool produced = false;
  };
  std::map<std::string, KindRun> kind_runs_;
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

std::vector<RecordKey> unsettled_references(const std::string& kind, const json::object& record,
                                            const std::function<bool(const RecordKey&)>& unsettled,
                                            const std::map<std::string, std::string>& tag_keys) {
  std::vector<RecordKey> waits_for;
  // Only what is written before it, or with it (a parent of its own kind): a person lists its
  // candidacies (`candidacy_keys`), feedback its interview, and those are written after them.
  std::optional<model::Kind> own = model::kind_from_string(kind);
  auto consider = [&](RecordKey referenced) {
    std::optional<model::Kind> other = model::kind_from_string(referenced.kind);
    if (!own || !other || model::dependency_rank(*other) > model::dependency_rank(*own))
      return;
    if (std::find(waits_for.begin(), waits_for.end(), referenced) == waits_for.end() &&
        unsettled(referenced))
      waits_for.push_back(std::move(referenced));
  };
  for_each_reference(record, kind, [&](const std::string& ref_kind, const std::string& key) {
    consider({ref_kind, key});
  });
  if (kind == "person" || kind == "candidacy") {
    if (const json::value* tags = record.if_contains("tags"); tags && tags->is_array())
      for (const json::value& tag : tags->as_array()) {
        if (!tag.is_string())
          continue;
        auto found = tag_keys.find(ascii_lower(tag.as_string()));
        if (found != tag_keys.end())
          consider({"tag", found->second});
      }
  }
  return waits_for;
}

void WritesInFlight::add_unsettled(const RecordKey& record) {
  if (unsettled_.insert(record).second)
    ++unsettled_per_kind_[record.kind];
}

void WritesInFlight::take(const RecordKey& record) {
  add_unsettled(record);
  peak_held_ = std::max(peak_held_, unsettled_.size() - postponed_.size());
}

void WritesInFlight::settle(const RecordKey& record) {
  forget_postponed(record);
  if (unsettled_.erase(record) > 0)
    --unsettled_per_kind_[record.kind];
  if (auto waiting = waiters_.find(record); waiting != waiters_.end())
    for (const RecordKey& waiter : waiting->second)
      maybe_ready_.insert(waiter);
}

std::size_t WritesInFlight::unsettled_of(const std::string& kind) const {
  auto found = unsettled_per_kind_.find(kind);
  return found == unsettled_per_kind_.end() ? 0 : found->second;
}

void WritesInFlight::postpone(const RecordKey& record, std::vector<RecordKey> waits_for) {
  forget_postponed(record);
  add_unsettled(record);
  for (const RecordKey& other : waits_for)
    waiters_[other].insert(record);
  // What it waits for may have settled between the look and now.
  if (waits_settled(waits_for))
    maybe_ready_.insert(record);
  postponed_[record] = std::move(waits_for);
}

bool WritesInFlight::waits_settled(const std::vector<RecordKey>& waits) const {
  return std::none_of(waits.begin(), waits.end(),
                      [&](const RecordKey& other) { return unsettled_.contains(other); });
}

// `record` is no longer postponed: it leaves the index of who waits for whom.
void WritesInFlight::forget_postponed(const RecordKey& record) {
  auto found = postponed_.find(record);
  if (found == postponed_.end())
    return;
  for (const RecordKey& other : found->second)
    if (auto waiting = waiters_.find(other); waiting != waiters_.end()) {
      waiting->second.erase(record);
      if (waiting->second.empty())
        waiters_.erase(waiting);
    }
  maybe_ready_.erase(record);
  postponed_.erase(found);
}

std::vector<RecordKey> WritesInFlight::ready() {
  std::vector<RecordKey> ready;
  std::set<RecordKey> candidates = std::move(maybe_ready_);
  maybe_ready_.clear();
  // A candidate one of whose waits was taken again since stays postponed: it is looked at again
  // when that one settles.
  for (const RecordKey& record : candidates) {
    auto found = postponed_.find(record);
    if (found == postponed_.end() || !waits_settled(found->second))
      continue;
    ready.push_back(record);
    forget_postponed(record);
  }
  return ready;
}

std::vector<RecordKey> WritesInFlight::release_all() {
  std::vector<RecordKey> released;
  for (auto& [record, waits] : postponed_)
    released.push_back(record);
  postponed_.clear();
  waiters_.clear();
  maybe_ready_.clear();
  return released;
}

std::size_t WritesInFlight::ready_count() const {
  return static_cast<std::size_t>(
      std::count_if(maybe_ready_.begin(), maybe_ready_.end(), [&](const RecordKey& record) {
        auto found = postponed_.find(record);
        return found != postponed_.end() && waits_settled(found->second);
      }));
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
