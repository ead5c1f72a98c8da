#include "pipeline/forecast.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include <atsmigrate/model/kind.hpp>
#include "pipeline/extract.hpp"
#include "pipeline/load.hpp"
#include "pipeline/record_text.hpp"

namespace atsm::pipeline {
namespace {

namespace json = boost::json;

void bump(json::object& counts, const std::string& key, int64_t by = 1) {
  json::value& slot = counts[key];
  slot = (slot.is_int64() ? slot.as_int64() : 0) + by;
}

// Calls one item of `kind` costs, from the sink's estimate: a number, or base + per element.
double item_calls(const json::object& estimate, const std::string& kind,
                  const json::object& record) {
  const json::value* entry = estimate.if_contains(kind);
  if (!entry)
    return 0;
  if (entry->is_number())
    return entry->to_number<double>();
  if (!entry->is_object())
    return 0;
  double calls = 0;
  if (const json::value* base = entry->as_object().if_contains("base"); base && base->is_number())
    calls = base->to_number<double>();
  if (const json::value* per = entry->as_object().if_contains("per"); per && per->is_object())
    for (const auto& [member, cost] : per->as_object())
      if (const json::value* items = record.if_contains(member);
          items && items->is_array() && cost.is_number())
        calls += cost.to_number<double>() * static_cast<double>(items->as_array().size());
  return calls;
}

}  // namespace

json::object forecast(Session& session, const Plan& plan) {
  const std::string& source = session.options().source;
  const std::string scope = session.ledger_scope();
  const host::LoadedPlugin& sink = session.sink_plugin();
  // A verbatim sink (an archive) keeps what the rules of docs/mapping.md would leave out.
  const bool verbatim = (sink.descriptor().capabilities & ATSM_CAP_VERBATIM) != 0;
  json::object estimate;
  if (const json::value* given = plan.prepared.if_contains("estimate");
      given && given->is_object() && given->as_object().contains("calls_per_item") &&
      given->at("calls_per_item").is_object())
    estimate = given->at("calls_per_item").as_object();

  // Custom field types on both sides, for the type changes docs/mapping.md §3 calls lossy.
  std::map<std::string, std::string> source_field_type;  // source key -> field_type
  session.staging().for_each({"custom_field", source}, [&](const store::StagedRecord& staged) {
    source_field_type[staged.source_key] =
        text(json::parse(staged.record_json).as_object(), "field_type");
  });
  std::map<std::string, std::string> target_field_type;  // target id -> field_type
  if (const json::value* fields = plan.catalog.if_contains("custom_field");
      fields && fields->is_array())
    for (const json::value& field : fields->as_array())
      if (field.is_object())
        target_field_type[text(field.as_object(), "id")] = text(field.as_object(), "field_type");
  auto mapped_field = [&](const std::string& key) -> std::string {
    auto kind = plan.resolved.find("custom_field");
    if (kind == plan.resolved.end())
      return {};
    auto found = kind->second.find(key);
    return found == kind->second.end() ? std::string() : found->second;
  };
  std::set<std::string> jobless_candidacies;  // skipped as candidate_only: their children are notes

  json::object kinds;
  double total_calls = 0;
  for (model::Kind kind_enum : model::kKindsInDependencyOrder) {
    std::string kind(model::to_string(kind_enum));
    bool writable = std::find(sink.sink_kinds().begin(), sink.sink_kinds().end(), kind) !=
                    sink.sink_kinds().end();
    bool mapped = std::find(kMappedKinds.begin(), kMappedKinds.end(), kind) != kMappedKinds.end();
    if (!writable || mapped)
      continue;
    int64_t create = 0, update = 0, unchanged = 0, merged = 0;
    json::object skipped, lossy;
    double calls = 0;
    std::set<std::string> groups_seen, interview_groups, file_contents;
    int64_t staged_count = 0;
    session.staging().for_each({kind, source}, [&](const store::StagedRecord& staged) {
      ++staged_count;
      json::object record = json::parse(staged.record_json).as_object();
      if (std::string reason = verbatim ? "" : skip_reason(kind, record, plan); !reason.empty()) {
        // A file's reason names the file; the forecast counts them under one line.
        static const std::string kUnserved = "the source could not serve it";
        bump(skipped, reason.rfind(kUnserved, 0) == 0 ? kUnserved : reason);
        if (kind == "candidacy" && !record.contains("job_key"))
          jobless_candidacies.insert(staged.source_key);
        return;
      }
      if (kind == "person") {
        if (auto group = plan.group_of.find(staged.source_key); group != plan.group_of.end()) {
          if (!groups_seen.insert(std::to_string(group->second)).second) {
            ++merged;  // written with its group's candidate
            return;
          }
        }
      }
      if (kind == "interview") {
        // One note per candidacy holds its interviews.
        std::string candidacy = text(record, "candidacy_key");
        if (!interview_groups.insert(candidacy.empty() ? text(record, "person_key") : candidacy)
                 .second)
          return;
        bump(lossy, "interviews kept as one note per candidacy");
      }
      if (kind == "file" && !text(record, "sha256").empty() &&
          !file_contents.insert(text(record, "person_key") + "#" + text(record, "sha256")).second) {
        ++merged;  // the same bytes go to a candidate once
        return;
      }
      std::optional<store::LedgerEntry> entry =
          session.ledger().get({scope, kind, staged.source_key});
      if (entry && entry->state == store::LedgerState::done) {
        // The load's payload hash: the record and its group (a merged candidate's hash covers
        // every member, so a written group counts as unchanged here).
        std::string hash = payload_hash(record, json::array());
        if (entry->payload_hash == hash || plan.group_of.contains(staged.source_key)) {
          ++unchanged;
          return;
        }
        ++update;
      } else {
        ++create;
      }
      calls += item_calls(estimate, kind, record);
      if (kind == "feedback") {
        bump(lossy, "feedback cannot be backdated: the original time is in its text");
        bool attributes = false;
        if (const json::value* fields = record.if_contains("fields"); fields && fields->is_array())
          for (const json::value& field : fields->as_array())
            attributes = attributes || (field.is_object() &&
                                        text(field.as_object(), "type") == "scorecard_attribute");
        if (attributes && plan.options.scorecards != "feedback") {
          bump(lossy, "per-attribute ratings kept in a structured note");
          calls += item_calls(estimate, "note", {});
        }
        if (jobless_candidacies.contains(text(record, "candidacy_key")))
          bump(lossy, "on a candidacy without an application: a candidate note");
      }
      if (kind == "note" && jobless_candidacies.contains(text(record, "candidacy_key")))
        bump(lossy, "on a candidacy without an application: on the candidate");
      if (kind == "offer")
        bump(lossy, "offers kept as a note (no backdated offer in the target)");
      if (const json::value* values = record.if_contains("custom_fields");
          values && values->is_array()) {
        for (const json::value& value : values->as_array()) {
          if (!value.is_object())
            continue;
          std::string field = text(value.as_object(), "field_key");
          std::string from = source_field_type[field];
          std::string to = target_field_type[mapped_field(field)];
          if (from == "multi_select" && to == "single_select")
            bump(lossy, "custom field: a multi-select into a single-select keeps the first value");
          else if (from == "user" && !to.empty() && to != "user")
            bump(lossy, "custom field: a user-typed value becomes the user's name as text");
        }
      }
    });
    json::object entry{{"create", create},
                       {"update", update},
                       {"unchanged", unchanged},
                       {"merged", merged},
                       {"skipped", skipped},
                       {"lossy", lossy},
                       {"calls", static_cast<int64_t>(calls + 0.5)}};
    if (session.staging().checkpoint(source, kind) != kExtractComplete && staged_count >= 0 &&
        std::find(session.source_plugin().source_kinds().begin(),
                  session.source_plugin().source_kinds().end(),
                  kind) != session.source_plugin().source_kinds().end())
      entry["incomplete"] = true;  // still being extracted: the numbers will grow
    kinds[kind] = std::move(entry);
    total_calls += calls;
  }
  double limit = 0;
  host::PluginTraffic traffic = session.services().traffic(sink.name());
  for (const std::string& bucket : traffic.buckets)
    limit = std::max(limit, session.limiter().metrics(bucket).limit_per_second);
  json::object calls{{"total", static_cast<int64_t>(total_calls + 0.5)},
                     {"limit_per_second", limit}};
  calls["seconds"] = limit > 0 ? json::value(total_calls / limit) : json::value(nullptr);
  return {{"kinds", kinds}, {"calls", calls}};
}

void print_forecast(const json::object& forecast) {
  std::string out = fmt::format(
      "\nWhat the load will do (dry run: nothing is written):\n"
      "{:<12} {:>8} {:>8} {:>9} {:>7} {:>8} {:>7} {:>8}\n",
      "KIND", "CREATE", "UPDATE", "UNCHANGED", "MERGED", "SKIPPED", "LOSSY", "CALLS");
  std::map<std::string, int64_t> reasons, losses;
  for (const auto& [kind, value] : forecast.at("kinds").as_object()) {
    const json::object& entry = value.as_object();
    int64_t skipped = 0, lossy = 0;
    for (const auto& [reason, count] : entry.at("skipped").as_object()) {
      skipped += count.as_int64();
      reasons[fmt::format("{}: {}", std::string(kind), std::string(reason))] += count.as_int64();
    }
    for (const auto& [what, count] : entry.at("lossy").as_object()) {
      lossy += count.as_int64();
      losses[fmt::format("{}: {}", std::string(kind), std::string(what))] += count.as_int64();
    }
    out += fmt::format("{:<12} {:>8} {:>8} {:>9} {:>7} {:>8} {:>7} {:>8}{}\n", std::string(kind),
                       entry.at("create").as_int64(), entry.at("update").as_int64(),
                       entry.at("unchanged").as_int64(), entry.at("merged").as_int64(), skipped,
                       lossy, entry.at("calls").as_int64(),
                       entry.contains("incomplete") ? "  (still being extracted)" : "");
  }
  if (!reasons.empty()) {
    out += "Skipped, with the reason:\n";
    for (const auto& [reason, count] : reasons)
      out += fmt::format("  {:>6}  {}\n", count, reason);
  }
  if (!losses.empty()) {
    out += "Encoded lossily, with what is lost:\n";
    for (const auto& [what, count] : losses)
      out += fmt::format("  {:>6}  {}\n", count, what);
  }
  const json::object& calls = forecast.at("calls").as_object();
  if (!calls.at("seconds").is_null()) {
    double seconds = calls.at("seconds").to_number<double>();
    out += fmt::format(
        "The load will make about {} calls to the target; at its limit of {:.1f}/s that is about "
        "{:.0f} min {:02.0f} s.\n",
        calls.at("total").as_int64(), calls.at("limit_per_second").to_number<double>(),
        std::floor(seconds / 60), std::fmod(seconds, 60));
  }
  std::fputs(out.c_str(), stderr);
}

}  // namespace atsm::pipeline
