#include "pipeline/reconcile.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <atsmigrate/model/email.hpp>
#include <atsmigrate/model/kind.hpp>
#include "pipeline/duplicates.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/load.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/record_text.hpp"

namespace atsm::pipeline {
namespace {

namespace json = boost::json;

// The id part of a read-back reference ("ashby:stage:<id>" -> "<id>").
std::string id_of(const std::string& reference);

// Whether a read-back reference ("ashby:job:<id>", or a verbatim sink's own key) designates the
// target the ledger or the plan holds.
bool refers_to(const std::string& reference, const std::string& target) {
  return reference == target || id_of(reference) == target;
}

std::string id_of(const std::string& reference) {
  std::size_t colon = reference.rfind(':');
  return colon == std::string::npos ? reference : reference.substr(colon + 1);
}

// Whitespace runs collapsed to one space, none at the ends.
std::string collapse_space(std::string_view text) {
  std::string collapsed;
  for (char c : text) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (collapsed.empty() || collapsed.back() == ' '))
      continue;
    collapsed += space ? ' ' : c;
  }
  while (!collapsed.empty() && collapsed.back() == ' ')
    collapsed.pop_back();
  return collapsed;
}

// HTML as a reader sees it: tags dropped (script and style with their content, which no reader
// sees), the common entities decoded, whitespace collapsed, so a source note and the sink's
// sanitised HTML of it compare equal.
std::string visible_text(std::string_view html) {
  std::string lowered = ascii_lower(html);
  std::string plain;
  bool in_tag = false;
  for (std::size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    bool skipped = false;
    for (const char* hidden : {"script", "style"}) {
      std::string open = std::string("<") + hidden;
      if (c == '<' && lowered.compare(i, open.size(), open) == 0) {
        std::size_t close = lowered.find(std::string("</") + hidden, i);
        std::size_t end = close == std::string::npos ? std::string::npos : lowered.find('>', close);
        i = end == std::string::npos ? html.size() : end;
        plain += ' ';
        skipped = true;
        break;
      }
    }
    if (skipped)
      continue;
    if (c == '<')
      in_tag = true;
    else if (c == '>' && in_tag) {
      in_tag = false;
      plain += ' ';
    } else if (!in_tag)
      plain += c;
  }
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&lt;", "<"},   {"&gt;", ">"},   {"&quot;", "\""}, {"&#39;", "'"},
      {"&#x27;", "'"}, {"&nbsp;", " "}, {"&amp;", "&"}};
  for (const auto& [entity, replacement] : kEntities) {
    for (std::size_t at = plain.find(entity); at != std::string::npos;
         at = plain.find(entity, at + std::strlen(replacement)))
      plain.replace(at, std::strlen(entity), replacement);
  }
  return collapse_space(plain);
}

// One written record chosen for the read-back: its staged form and where it went.
struct Written {
  std::string key;
  std::string target_id;
  json::object record;  // the staged record: read again for the records read back
};

// What the counting pass keeps of a kind's written records to choose the read-back: a byte of
// cohort flags per record and the first and last created, so memory stays flat in the account's
// size (issue 22 item 2); the chosen few are read again from staging by their place.
struct WrittenKind {
  enum Flag : std::uint8_t {
    kConfidential = 1,
    kCustomFields = 2,
    kHtmlNote = 4,
    kThreeCandidacies = 8,
    kMerged = 16,
  };
  std::vector<std::uint8_t> flags;  // one per written record, in staging order
  std::size_t first = 0, last = 0;  // the first and last created (their places)
  std::string first_created, last_created;

  void add(const std::string& created_at, std::uint8_t record_flags) {
    std::size_t i = flags.size();
    flags.push_back(record_flags);
    if (i == 0) {
      first_created = last_created = created_at;
      return;
    }
    if (!created_at.empty()) {
      if (first_created.empty() || created_at < first_created) {
        first = i;
        first_created = created_at;
      }
      if (created_at > last_created) {
        last = i;
        last_created = created_at;
      }
    }
  }
};

class Reconciler {
 public:
  Reconciler(Session& session, const Plan& plan, const ReconcileOptions& options,
             RecordsByReason* reasons)
      : session_(session),
        plan_(plan),
        options_(options),
        reasons_(reasons),
        scope_(session.ledger_scope()),
        // A verbatim sink (an archive) keeps records as the source gave them: the mapping
        // contract's (docs/mapping.md) transformations (hired status, stage phases) are not
        // expected of it.
        verbatim_((session.sink_plugin().descriptor().capabilities & ATSM_CAP_VERBATIM) != 0) {}

  Reconciliation run() {
    index_catalog();
    const std::string& source = session_.options().source;
    const host::LoadedPlugin& sink = session_.sink_plugin();
    std::map<std::string, std::map<std::string, std::int64_t>> methods =
        AuditTrail::summarise(session_.work_dir().audit()).methods;
    std::map<std::string, WrittenKind> written;
    // Every staged record is checked against the ledger: at 100,000 persons that is minutes, so
    // it shows its progress like the steps before it.
    std::uint64_t staged_total = 0;
    std::map<std::string, std::int64_t> staged_counts = session_.staging().counts(source);
    for (model::Kind kind_enum : model::kKindsInDependencyOrder) {
      std::string kind(model::to_string(kind_enum));
      for (const std::string& counted : {kind, rejected_kind(kind)})
        if (auto found = staged_counts.find(counted); found != staged_counts.end())
          staged_total += static_cast<std::uint64_t>(found->second);
    }
    Progress counting("reconcile: counts", staged_total);
    for (model::Kind kind_enum : model::kKindsInDependencyOrder) {
      std::string kind(model::to_string(kind_enum));
      bool writable = std::find(sink.sink_kinds().begin(), sink.sink_kinds().end(), kind) !=
                      sink.sink_kinds().end();
      bool mapped = std::find(kMappedKinds.begin(), kMappedKinds.end(), kind) != kMappedKinds.end();
      json::object counts{{"staged", 0}, {"rejected", 0}};
      std::int64_t staged = 0, done = 0, failed = 0, pending = 0, missing = 0;
      json::object skipped;
      session_.staging().for_each({kind, source}, [&](const store::StagedRecord& record) {
        ++staged;
        counting.advance();
        if (!writable || mapped)
          return;
        std::optional<store::LedgerEntry> entry =
            session_.ledger().get({scope_, kind, record.source_key});
        if (!entry) {
          ++missing;
          result_.unexplained.push_back(json::object{
              {"kind", kind},
              {"key", record.source_key},
              {"problem", "staged but never written, skipped or failed (no ledger entry)"}});
          return;
        }
        switch (entry->state) {
          case store::LedgerState::done:
            ++done;
            if (entry->target_id && !verbatim_) {
              json::object staged_record = json::parse(record.record_json).as_object();
              written[kind].add(text(staged_record, "created_at"),
                                flags_of(kind, record.source_key, staged_record));
            }
            break;
          case store::LedgerState::skipped: {
            std::string reason = entry->last_error.value_or("skipped");
            json::value& count = skipped[reason_class(reason)];
            count = (count.is_int64() ? count.as_int64() : 0) + 1;
            if (reasons_)
              reasons_->add("skipped", kind, record.source_key, reason);
            break;
          }
          case store::LedgerState::failed:
            if (entry->vendor_code.value_or("") == kHeldVendorCode) {
              result_.held.push_back(json::object{{"kind", kind},
                                                  {"key", record.source_key},
                                                  {"message", entry->last_error.value_or("")}});
              break;
            }
            ++failed;
            result_.failures.push_back(
                json::object{{"kind", kind},
                             {"key", record.source_key},
                             {"message", entry->last_error.value_or("")},
                             {"vendor_code", entry->vendor_code.value_or("")},
                             {"vendor_request_id", entry->request_id.value_or("")}});
            break;
          case store::LedgerState::intent:
            ++pending;
            result_.unexplained.push_back(
                json::object{{"kind", kind},
                             {"key", record.source_key},
                             {"problem",
                              "a write was started and never finished (an interrupted run); "
                              "re-run the migration: it looks the record up before writing"}});
            break;
        }
      });
      std::int64_t rejected = 0;
      session_.staging().for_each({rejected_kind(kind), source}, [&](const store::StagedRecord&) {
        ++rejected;
        counting.advance();
      });
      if (staged == 0 && rejected == 0)
        continue;
      counts["staged"] = staged;
      counts["rejected"] = rejected;
      counts["in_source"] = staged + rejected;
      if (writable && !mapped) {
        counts["written"] = done;
        json::object by_method;
        if (auto found = methods.find(kind); found != methods.end())
          for (const auto& [method, count] : found->second)
            if (method != "skip" && method != "fail" && method != "hold")
              by_method[method] = count;
        counts["by_method"] = by_method;
        counts["skipped"] = skipped;
        counts["failed"] = failed;
        counts["pending"] = pending;
        counts["unexplained"] = missing + pending;
      } else {
        counts["written"] = nullptr;  // mapped to what the target has, or not written by the sink
      }
      result_.counts[kind] = std::move(counts);
      candidacies_of_.clear();  // only the persons' cohort needs it
      candidacies_counted_ = false;
    }
    counting.finish();
    if (!verbatim_)
      check_for_duplicates(sink);
    // A verbatim sink's read_back answers the canonical record minus what its tables leave out
    // (plugins/archive/README.md), while the field comparison expects the mapping contract's
    // transformations: its counts are reconciled, its fields are not (yet).
    if ((sink.descriptor().capabilities & ATSM_CAP_READ_BACK) == 0 ||
        sink.descriptor().read_back == nullptr || verbatim_) {
      result_.read_back_available = false;
      return std::move(result_);
    }
    for (auto& [kind, records] : written) {
      std::map<std::size_t, std::set<std::string>> chosen = choose(kind, records);
      records = WrittenKind();
      read_back(kind, chosen_records(kind, std::move(chosen)));
    }
    return std::move(result_);
  }

 private:
  // The target's stages and their types, from the plan's catalog.
  void index_catalog() {
    if (const json::value* stages = plan_.catalog.if_contains("stage");
        stages && stages->is_array()) {
      for (const json::value& stage : stages->as_array())
        if (stage.is_object())
          target_stage_type_[text(stage.as_object(), "id")] = text(stage.as_object(), "stage_type");
    }
    session_.staging().for_each({"archive_reason", session_.options().source},
                                [&](const store::StagedRecord& staged) {
                                  json::object reason = json::parse(staged.record_json).as_object();
                                  if (text(reason, "type") == "hired")
                                    hired_reasons_.insert(staged.source_key);
                                });
    session_.staging().for_each(
        {"stage", session_.options().source}, [&](const store::StagedRecord& staged) {
          json::object stage = json::parse(staged.record_json).as_object();
          source_stage_[staged.source_key] = {text(stage, "name"), text(stage, "stage_type")};
        });
  }

  // The cohorts a written record belongs to (WrittenKind::Flag).
  std::uint8_t flags_of(const std::string& kind, const std::string& key,
                        const json::object& record) {
    std::uint8_t flags = 0;
    const json::value* confidential = record.if_contains("confidential");
    if (confidential && confidential->is_bool() && confidential->as_bool())
      flags |= WrittenKind::kConfidential;
    const json::value* custom = record.if_contains("custom_fields");
    if (custom && custom->is_array() && !custom->as_array().empty())
      flags |= WrittenKind::kCustomFields;
    if (kind == "note" && text(record, "body_format") == "html")
      flags |= WrittenKind::kHtmlNote;
    if (kind == "person") {
      if (!candidacies_counted_) {
        candidacies_counted_ = true;
        session_.staging().for_each({"candidacy", std::nullopt},
                                    [&](const store::StagedRecord& staged) {
                                      json::object c = json::parse(staged.record_json).as_object();
                                      candidacies_of_[text(c, "person_key")]++;
                                    });
      }
      if (auto found = candidacies_of_.find(key);
          found != candidacies_of_.end() && found->second >= 3)
        flags |= WrittenKind::kThreeCandidacies;
      if (plan_.group_of.contains(key))
        flags |= WrittenKind::kMerged;
    }
    return flags;
  }

  // Which written records are read back (their places among the kind's written records), and
  // why: a seeded sample plus the cohorts where migrations go wrong, plus the first and last
  // created.
  std::map<std::size_t, std::set<std::string>> choose(const std::string& kind,
                                                      const WrittenKind& records) {
    std::map<std::size_t, std::set<std::string>> chosen;  // index -> cohorts
    if (records.flags.empty())
      return chosen;
    std::vector<std::size_t> order(records.flags.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::mt19937_64 random(options_.seed ^ std::hash<std::string>{}(kind));
    std::shuffle(order.begin(), order.end(), random);
    std::size_t sample =
        std::max<std::size_t>(options_.sample_minimum,
                              static_cast<std::size_t>(options_.sample_fraction *
                                                       static_cast<double>(records.flags.size())));
    for (std::size_t i = 0; i < std::min(sample, order.size()); ++i)
      chosen[order[i]].insert("sample");
    for (std::size_t i = 0; i < records.flags.size(); ++i) {
      std::uint8_t flags = records.flags[i];
      if (flags & WrittenKind::kConfidential)
        chosen[i].insert("confidential");
      if (flags & WrittenKind::kCustomFields)
        chosen[i].insert("custom_fields");
      if (flags & WrittenKind::kThreeCandidacies)
        chosen[i].insert("3+_candidacies");
      if (flags & WrittenKind::kMerged)
        chosen[i].insert("merged");
      if (flags & WrittenKind::kHtmlNote)
        chosen[i].insert("html_note");
      if (kind == "file" && chosen.size() < options_.max_files)
        chosen[i].insert("file_sha256");
    }
    chosen[records.first].insert("first_created");
    chosen[records.last].insert("last_created");
    return chosen;
  }

  // The chosen records with their keys and target ids: the kind's staged records walked again in
  // the counting pass's order, the written ones numbered as it numbered them.
  std::vector<std::pair<Written, std::set<std::string>>> chosen_records(
      const std::string& kind, std::map<std::size_t, std::set<std::string>> chosen) {
    std::vector<std::pair<Written, std::set<std::string>>> out;
    out.reserve(chosen.size());
    std::size_t place = 0;
    auto next = chosen.begin();
    session_.staging().for_each({kind, session_.options().source}, [&](const store::StagedRecord&
                                                                           record) {
      if (next == chosen.end())
        return;
      std::optional<store::LedgerEntry> entry =
          session_.ledger().get({scope_, kind, record.source_key});
      if (!entry || entry->state != store::LedgerState::done || !entry->target_id)
        return;
      if (place++ != next->first)
        return;
      out.emplace_back(Written{record.source_key, *entry->target_id, {}}, std::move(next->second));
      ++next;
    });
    return out;
  }

  void mismatch(const std::string& kind, const Written& written, const std::string& field,
                json::value expected, json::value found) {
    result_.mismatches.push_back(json::object{{"kind", kind},
                                              {"key", written.key},
                                              {"target_id", written.target_id},
                                              {"field", field},
                                              {"expected", std::move(expected)},
                                              {"found", std::move(found)}});
    ++mismatched_;
  }

  // What the target answered for one record: the object, nothing (not found), or an error.
  struct ReadBack {
    std::optional<json::object> found;
    std::optional<std::string> error;
    bool transient = false;  // the error may pass (an expired download URL, a 5xx, a timeout)
  };

  // Reads the chosen records back with as many requests in flight as the sink's limit and
  // latency call for (the load's own rule), a chunk at a time so only a chunk's answers are held.
  void read_back(const std::string& kind,
                 const std::vector<std::pair<Written, std::set<std::string>>>& order) {
    constexpr std::size_t kChunk = 256;
    constexpr std::uint32_t kInitialReaders = 4;
    bool shared_instance =
        (session_.sink_plugin().descriptor().capabilities & ATSM_CAP_THREAD_SAFE) != 0;
    std::vector<std::unique_ptr<host::ConnectorInstance>> own_instances;
    Progress progress(fmt::format("reconcile: read back {}", kind), order.size());
    json::object cohorts;
    std::size_t checked = 0, unread = 0;
    mismatched_ = 0;
    for (std::size_t start = 0; start < order.size(); start += kChunk) {
      std::size_t count = std::min(kChunk, order.size() - start);
      std::vector<ReadBack> answers(count);
      std::uint32_t suggested =
          session_.services().suggested_in_flight(session_.sink_plugin().name());
      std::size_t readers =
          std::min<std::size_t>(count, suggested > 0 ? suggested : kInitialReaders);
      while (!shared_instance && own_instances.size() + 1 < readers)
        own_instances.push_back(session_.open_sink_instance());
      std::atomic<std::size_t> next{0};
      std::mutex failure_mutex;
      std::exception_ptr failure;
      auto read = [&](host::ConnectorInstance& sink) {
        for (std::size_t i = next++; i < count; i = next++) {
          const std::string& target_id = order[start + i].first.target_id;
          try {
            // A read can always be repeated, and the HTTP layer already backed off: short
            // pauses keep a read-back of hundreds of records quick when the vendor is flaky.
            answers[i].found = with_retries(
                "read back " + kind, [&] { return sink.read_back(kind, target_id); }, 6,
                std::chrono::milliseconds(100));
            progress.advance();
          } catch (const host::Error& error) {
            answers[i].error = error.what();
            answers[i].transient =
                error.status() == ATSM_RETRY || error.status() == ATSM_RATE_LIMITED;
            progress.advance();
          } catch (...) {
            std::lock_guard lock(failure_mutex);
            if (!failure)
              failure = std::current_exception();
            next = count;  // the others stop at their next record
          }
        }
      };
      {
        std::vector<std::jthread> threads;
        for (std::size_t r = 1; r < readers; ++r)
          threads.emplace_back(read,
                               std::ref(shared_instance ? session_.sink() : *own_instances[r - 1]));
        read(session_.sink());
      }
      if (failure)
        std::rethrow_exception(failure);
      for (std::size_t i = 0; i < count; ++i) {
        const auto& [chosen, reasons] = order[start + i];
        Written written = chosen;
        if (auto staged = session_.staging().get(session_.options().source, kind, written.key))
          written.record = json::parse(staged->record_json).as_object();
        for (const std::string& reason : reasons) {
          json::value& tally = cohorts[reason];
          tally = (tally.is_int64() ? tally.as_int64() : 0) + 1;
        }
        if (answers[i].error && answers[i].transient) {
          // Not read now is not different: listed apart, and a re-run of the report reads it.
          result_.unread.push_back(json::object{{"kind", kind},
                                                {"key", written.key},
                                                {"target_id", written.target_id},
                                                {"message", *answers[i].error}});
          ++unread;
          continue;
        }
        if (answers[i].error) {
          mismatch(kind, written, "(read_back)", "readable", json::value(*answers[i].error));
          continue;
        }
        ++checked;
        if (!answers[i].found) {
          mismatch(kind, written, "(exists)", "the object", "not found in the target");
          continue;
        }
        compare(kind, written, *answers[i].found);
      }
    }
    progress.finish();
    result_.read_back[kind] = json::object{{"checked", checked},
                                           {"mismatched", mismatched_},
                                           {"unread", unread},
                                           {"cohorts", std::move(cohorts)}};
  }

  // The fields the target holds, against what the plan says they should be.
  void compare(const std::string& kind, const Written& written, const json::object& found) {
    const json::object& record = written.record;
    if (kind == "person")
      compare_person(written, found);
    else if (kind == "candidacy")
      compare_candidacy(written, found);
    else if (kind == "job") {
      if (collapse_space(text(record, "title")) != collapse_space(text(found, "title")))
        mismatch(kind, written, "title", json::value(text(record, "title")),
                 json::value(text(found, "title")));
    } else if (kind == "note") {
      // A text note arrives escaped, an HTML note sanitised: both read the same.
      std::string expected = text(record, "body_format") == "html"
                                 ? visible_text(text(record, "body"))
                                 : collapse_space(text(record, "body"));
      std::string held = text(found, "body_format") == "html" ? visible_text(text(found, "body"))
                                                              : collapse_space(text(found, "body"));
      if (held.find(expected) == std::string::npos)
        mismatch(kind, written, "body", json::value(expected.substr(0, 200)),
                 json::value(held.substr(0, 200)));
      const json::value* is_private = record.if_contains("is_private");
      bool want_private = is_private && is_private->is_bool() && is_private->as_bool() &&
                          plan_.options.private_notes == "private";
      const json::value* held_private = found.if_contains("is_private");
      if (held_private && held_private->is_bool() && held_private->as_bool() != want_private)
        mismatch(kind, written, "is_private", want_private, held_private->as_bool());
    } else if (kind == "file") {
      std::string expected = text(record, "sha256");
      std::string held = text(found, "sha256");
      if (expected != held)
        mismatch(kind, written, "sha256", json::value(expected), json::value(held));
    }
  }

  void compare_person(const Written& written, const json::object& found) {
    // The candidate holds every valid email of the person's merged records.
    std::set<std::string> expected, held;
    auto add_emails = [&](const json::object& person) {
      if (const json::value* emails = person.if_contains("emails"); emails && emails->is_array())
        for (const json::value& email : emails->as_array())
          if (email.is_object())
            if (auto normal = model::normalize_email(text(email.as_object(), "address")))
              expected.insert(*normal);
    };
    add_emails(written.record);
    if (auto group = plan_.group_of.find(written.key); group != plan_.group_of.end()) {
      for (const std::string& member : plan_.groups[group->second].members) {
        for (const std::string& source : staged_sources())
          if (auto staged = session_.staging().get(source, "person", member))
            add_emails(json::parse(staged->record_json).as_object());
      }
    }
    if (const json::value* emails = found.if_contains("emails"); emails && emails->is_array())
      for (const json::value& email : emails->as_array())
        if (email.is_object())
          if (auto normal = model::normalize_email(text(email.as_object(), "address")))
            held.insert(*normal);
    if (expected != held) {
      json::array want, have;
      for (const std::string& email : expected)
        want.emplace_back(email);
      for (const std::string& email : held)
        have.emplace_back(email);
      mismatch("person", written, "emails", std::move(want), std::move(have));
    }
    // Every tag of the record is on the candidate (a merged candidate may hold more).
    std::set<std::string> tags_held;
    if (const json::value* tags = found.if_contains("tags"); tags && tags->is_array())
      for (const json::value& tag : tags->as_array())
        if (tag.is_string())
          tags_held.insert(ascii_lower(tag.as_string()));
    if (const json::value* tags = written.record.if_contains("tags"); tags && tags->is_array())
      for (const json::value& tag : tags->as_array())
        if (tag.is_string() && !tags_held.contains(ascii_lower(tag.as_string())))
          mismatch("person", written, "tags", tag, json::value(nullptr));
  }

  void compare_candidacy(const Written& written, const json::object& found) {
    const json::object& record = written.record;
    std::string status = text(record, "status");
    // A hired-type archive reason makes the Hired status (docs/mapping.md §4).
    if (!verbatim_ && status == "archived" &&
        hired_reasons_.contains(text(record, "archive_reason_key")))
      status = "hired";
    if (status != text(found, "status"))
      mismatch("candidacy", written, "status", json::value(status),
               json::value(text(found, "status")));
    if (std::string job = text(record, "job_key"); !job.empty()) {
      std::optional<std::string> target = session_.ledger().target_of({scope_, "job", job});
      if (target && !refers_to(text(found, "job_key"), *target))
        mismatch("candidacy", written, "job", json::value(*target),
                 json::value(id_of(text(found, "job_key"))));
    }
    if (status == "archived") {
      std::string reason = text(record, "archive_reason_key");
      auto mapped = plan_.resolved.find("archive_reason");
      if (!reason.empty() && mapped != plan_.resolved.end() && mapped->second.contains(reason) &&
          !refers_to(text(found, "archive_reason_key"), mapped->second.at(reason)))
        mismatch("candidacy", written, "archive_reason", json::value(mapped->second.at(reason)),
                 json::value(id_of(text(found, "archive_reason_key"))));
    }
    if (status != "active" && status != "lead")
      return;  // archived and hired applications stand in the Archived / Hired stage
    std::string stage = text(record, "stage_key");
    auto mapped = plan_.resolved.find("stage");
    if (stage.empty() || mapped == plan_.resolved.end() || !mapped->second.contains(stage))
      return;
    std::string held = id_of(text(found, "stage_key"));
    if (!refers_to(text(found, "stage_key"), mapped->second.at(stage))) {
      mismatch("candidacy", written, "stage", json::value(mapped->second.at(stage)),
               json::value(held));
      return;
    }
    // The planned stage is there; is it the right kind of stage? A mapping that sends a screen
    // to an offer stage is a broken mapping, whatever the names say.
    // Targets name their in-process stages coarsely (Ashby: one "Active" type for screens and
    // interviews), so the comparison is by phase: lead, in process, offer, hired, archived.
    auto phase = [](const std::string& type) -> std::string {
      if (type == "applied" || type == "screen" || type == "interview")
        return "in process";
      return type == "other" ? std::string() : type;
    };
    auto source_stage = source_stage_.find(stage);
    auto target_type = target_stage_type_.find(held);
    if (source_stage != source_stage_.end() && target_type != target_stage_type_.end()) {
      std::string want = phase(source_stage->second.second);
      std::string have = phase(target_type->second);
      if (!want.empty() && !have.empty() && want != have)
        mismatch("candidacy", written, "stage_phase",
                 json::value(fmt::format("{} ({} stage '{}')", want, source_stage->second.second,
                                         source_stage->second.first)),
                 json::value(fmt::format("{} ({} stage)", have, target_type->second)));
    }
  }

  // The target's own view (the sink's census, where it offers one): no record of these sources
  // held twice, no two migrated persons with one email, nothing the ledger places elsewhere.
  void check_for_duplicates(const host::LoadedPlugin& sink) {
    const std::vector<std::string>& staged = staged_sources();
    std::set<std::string> sources(staged.begin(), staged.end());
    sources.insert(session_.options().source);
    for (const char* kind : {"person", "candidacy"}) {
      if (std::find(sink.sink_kinds().begin(), sink.sink_kinds().end(), kind) ==
          sink.sink_kinds().end())
        continue;
      std::optional<json::array> census =
          with_retries(fmt::format("census of the target's {} records", kind),
                       [&] { return session_.sink().census(kind); });
      if (!census)
        continue;
      spdlog::info("reconcile: the target holds {} {} object(s) with source keys", census->size(),
                   kind);
      // One streamed read of the ledger, not a query per object of the census.
      std::map<std::string, std::string> written_as;
      session_.ledger().for_each(scope_, kind, store::LedgerState::done,
                                 [&](const store::LedgerEntry& entry) {
                                   if (entry.target_id)
                                     written_as[entry.key.source_key] = *entry.target_id;
                                 });
      json::array problems = duplicates_in_census(
          kind, *census, sources, [&](const std::string& key) -> std::optional<std::string> {
            auto found = written_as.find(key);
            return found == written_as.end() ? std::nullopt
                                             : std::optional<std::string>(found->second);
          });
      for (json::value& problem : problems)
        result_.unexplained.push_back(std::move(problem));
    }
  }

  const std::vector<std::string>& staged_sources() {
    if (sources_.empty()) {
      std::set<std::string> names;
      session_.staging().for_each({"person", std::nullopt}, [&](const store::StagedRecord& staged) {
        names.insert(staged.source);
      });
      sources_.assign(names.begin(), names.end());
    }
    return sources_;
  }

  Session& session_;
  const Plan& plan_;
  ReconcileOptions options_;
  RecordsByReason* reasons_;
  std::string scope_;
  bool verbatim_;
  Reconciliation result_;
  std::size_t mismatched_ = 0;
  std::map<std::string, std::string> target_stage_type_;  // target stage id -> stage type
  std::map<std::string, std::pair<std::string, std::string>> source_stage_;  // key -> name, type
  std::vector<std::string> sources_;
  std::set<std::string> hired_reasons_;
  // Staged candidacies per person key, while the persons are counted (the 3+ cohort).
  std::map<std::string, int> candidacies_of_;
  bool candidacies_counted_ = false;
};

}  // namespace

Reconciliation reconcile(Session& session, const Plan& plan, const ReconcileOptions& options,
                         RecordsByReason* reasons) {
  return Reconciler(session, plan, options, reasons).run();
}

}  // namespace atsm::pipeline
