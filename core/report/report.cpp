#include "report/report.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include <atsmigrate/model/kind.hpp>
#include <atsmigrate/model/time.hpp>
#include "pipeline/audit.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/reasons.hpp"
#include "report/summary.hpp"
#include "services/store/private_fs.hpp"

namespace atsm::report {
namespace {

namespace json = boost::json;
using pipeline::Session;

// Beside report.json: every record behind a reason class and every bad source field.
constexpr const char* kRecordsFile = "report-records.jsonl";
// Notices listed in report.json (and report.html); cut_lists.notices says how many there are.
constexpr std::size_t kMaxNoticesListed = 1000;

std::filesystem::path run_log(const Session& session) {
  return session.work_dir().root / "runs.jsonl";
}

// What extraction found wrong with the source's data, kept in the staging store so that a resumed
// run reports it too: records that could not be staged at all (rejected) and records staged with
// named field errors (the bad field left out, the rest migrated).
struct DataProblems {
  json::array rejected;         // {kind, key, reason}
  json::object fields_by_kind;  // kind -> records with field errors
  json::array fields;           // {kind, key, field, message}, the first kMaxListed
  int64_t fields_total = 0;     // all of them (every one is in the records file)
  static constexpr size_t kMaxListed = 500;
};

DataProblems data_problems(Session& session, pipeline::RecordsByReason& records) {
  DataProblems problems;
  const std::string& source = session.options().source;
  int64_t listed = 0;
  for (model::Kind kind : model::kKindsInDependencyOrder) {
    std::string name(model::to_string(kind));
    session.staging().for_each(
        {pipeline::rejected_kind(name), source}, [&](const store::StagedRecord& staged) {
          json::value kept = json::parse(staged.record_json);
          const json::value* error = kept.as_object().if_contains("error");
          problems.rejected.push_back(
              json::object{{"kind", name},
                           {"key", staged.source_key},
                           {"reason", error ? *error : json::value("unreadable")}});
        });
    int64_t with_errors = 0;
    session.staging().for_each({name, source}, [&](const store::StagedRecord& staged) {
      if (staged.record_json.find("\"validation_errors\"") == std::string::npos)
        return;  // cheap test first: most records have none
      json::value record = json::parse(staged.record_json);
      const json::value* errors = record.as_object().if_contains("validation_errors");
      if (!errors || !errors->is_array() || errors->as_array().empty())
        return;
      ++with_errors;
      for (const json::value& error : errors->as_array()) {
        if (!error.is_object())
          continue;
        json::object entry{{"kind", name}, {"key", staged.source_key}};
        for (const char* member : {"field", "message"})
          if (const json::value* text = error.as_object().if_contains(member))
            entry[member] = *text;
        ++problems.fields_total;
        json::object line{{"category", "field_error"}};
        for (const auto& [member, value] : entry)
          line[member] = value;
        records.write_line(line);
        if (listed++ < static_cast<int64_t>(DataProblems::kMaxListed))
          problems.fields.push_back(std::move(entry));
      }
    });
    if (with_errors > 0)
      problems.fields_by_kind[name] = with_errors;
  }
  return problems;
}

// Per rate-limit bucket (one per vendor key) and per API host: what this run asked of the vendors.
json::object calls_json(Session& session) {
  json::object buckets;
  for (const auto& [name, metrics] : session.limiter().all_metrics()) {
    buckets[name] =
        json::object{{"requests", metrics.permits_granted},
                     {"rate_limited_responses", metrics.rate_limited_responses},
                     {"pauses", metrics.pauses},
                     {"seconds_paused", std::chrono::duration<double>(metrics.time_paused).count()},
                     {"seconds_waiting_for_the_limit",
                      std::chrono::duration<double>(metrics.time_waiting).count()},
                     {"achieved_per_second", metrics.achieved_rate_per_second()},
                     {"limit_per_second", metrics.limit_per_second},
                     {"peak_in_flight", metrics.peak_in_flight}};
  }
  json::object hosts;
  for (const auto& [endpoint, metrics] : session.http().endpoint_metrics()) {
    json::value& slot = hosts[endpoint.host];
    if (!slot.is_object())
      slot = json::object{{"requests", 0}, {"retries", 0}, {"transport_errors", 0}};
    json::object& host = slot.as_object();
    host["requests"] = host["requests"].to_number<uint64_t>() + metrics.requests;
    host["retries"] = host["retries"].to_number<uint64_t>() + (metrics.attempts - metrics.requests);
    host["transport_errors"] =
        host["transport_errors"].to_number<uint64_t>() + metrics.transport_errors;
    // Attempts by outcome and the requesting threads' waits (bench/faults reads them).
    const auto add = [&host](const std::string& name, double value, bool seconds) {
      json::value& counter = host[name];
      if (seconds)
        counter = (counter.is_number() ? counter.to_number<double>() : 0.0) + value;
      else
        counter = (counter.is_number() ? counter.to_number<uint64_t>() : 0) +
                  static_cast<uint64_t>(value);
    };
    for (const auto& [outcome, count] : metrics.attempt_outcomes)
      add("attempts_" + outcome, static_cast<double>(count), false);
    add("seconds_backing_off", std::chrono::duration<double>(metrics.backing_off).count(), true);
    add("seconds_in_timed_out_attempts",
        std::chrono::duration<double>(metrics.in_timed_out_attempts).count(), true);
  }
  return {{"buckets", buckets}, {"hosts", hosts}};
}

// Every run's calls per rate-limit bucket, summed: requests, 429s, the time the runs took, and
// the floor the vendor's limit sets (requests / limit).
json::object vendors(const Session& session) {
  json::object buckets;
  std::ifstream in(run_log(session));
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    json::value run = json::parse(line, ec);
    if (ec || !run.is_object())
      continue;  // a line cut by a crash
    const json::value* calls = run.as_object().if_contains("calls");
    const json::value* wall = run.as_object().if_contains("wall_seconds");
    if (!calls || !calls->is_object() || !calls->as_object().contains("buckets"))
      continue;
    for (const auto& [name, metrics_value] : calls->at("buckets").as_object()) {
      const json::object& metrics = metrics_value.as_object();
      json::value& slot = buckets[name];
      if (!slot.is_object())
        slot = json::object{{"requests", 0},
                            {"rate_limited_responses", 0},
                            {"runs_wall_seconds", 0.0},
                            {"limit_per_second", 0.0}};
      json::object& total = slot.as_object();
      auto number = [](const json::value* value) {
        return value && value->is_number() ? value->to_number<double>() : 0.0;
      };
      total["requests"] = total["requests"].to_number<int64_t>() +
                          static_cast<int64_t>(number(metrics.if_contains("requests")));
      total["rate_limited_responses"] =
          total["rate_limited_responses"].to_number<int64_t>() +
          static_cast<int64_t>(number(metrics.if_contains("rate_limited_responses")));
      total["runs_wall_seconds"] = total["runs_wall_seconds"].to_number<double>() + number(wall);
      if (double limit = number(metrics.if_contains("limit_per_second")); limit > 0)
        total["limit_per_second"] = limit;
    }
  }
  for (auto& [name, slot] : buckets) {
    json::object& total = slot.as_object();
    double limit = total["limit_per_second"].to_number<double>();
    total["floor_seconds"] =
        limit > 0 ? total["requests"].to_number<double>() / limit : json::value(nullptr);
  }
  return buckets;
}

json::object last_run_json(const pipeline::LoadStats& stats) {
  json::object kinds;
  for (const auto& [kind, counts] : stats.kinds) {
    json::object skipped;
    for (const auto& [reason, count] : counts.skipped)
      skipped[reason] = count;
    kinds[kind] = json::object{{"created", counts.created},     {"updated", counts.updated},
                               {"unchanged", counts.unchanged}, {"merged", counts.merged},
                               {"failed", counts.failed},       {"skipped", skipped}};
  }
  json::object run{
      {"kinds", kinds}, {"adopted", stats.adopted}, {"peak_workers", stats.peak_workers}};
  if (!stats.adopting.empty())
    run["adopting"] = stats.adopting;
  return run;
}

// What the source connector declares it does not carry into the canonical model, or carries
// only in another form (extension atsm.source.unmigrated/1, connector.h), each with its reason.
// Empty when the source declares nothing; a declaration that is not the documented JSON is left
// out with a notice rather than failing the report.
json::array source_fields_not_migrated(Session& session, json::array& notices) {
  json::array fields;
  const std::string& source = session.options().source;
  if (source.empty())
    return fields;
  const atsm_connector& descriptor = session.source_plugin().descriptor();
  if (descriptor.get_extension == nullptr)
    return fields;
  const auto* declared = static_cast<const atsm_source_unmigrated_v1*>(
      descriptor.get_extension(ATSM_EXT_SOURCE_UNMIGRATED));
  if (declared == nullptr || declared->struct_size < sizeof(atsm_source_unmigrated_v1) ||
      declared->fields_json == nullptr)
    return fields;
  boost::system::error_code ec;
  json::value list = json::parse(declared->fields_json, ec);
  if (ec || !list.is_array()) {
    notices.push_back(
        json::object{{"plugin", source},
                     {"message",
                      "its list of fields not migrated (atsm.source.unmigrated/1) is not a JSON "
                      "array; not shown"}});
    return fields;
  }
  for (const json::value& entry : list.as_array()) {
    const json::object* item = entry.if_object();
    auto text = [&](const char* key) -> std::optional<std::string> {
      const json::value* member = item ? item->if_contains(key) : nullptr;
      if (member == nullptr || !member->is_string() || member->as_string().empty())
        return std::nullopt;
      return std::string(member->as_string());
    };
    std::optional<std::string> object = text("object"), field = text("field"),
                               reason = text("reason");
    if (!object || !field || !reason)
      continue;  // a declaration without its reason says nothing a reader can use
    fields.push_back(json::object{
        {"source", source}, {"object", *object}, {"field", *field}, {"reason", *reason}});
  }
  return fields;
}

}  // namespace

namespace {

// What `now` counted since `before` (both from calls_json): counters are subtracted, rates and
// limits are kept as they are now.
json::object calls_since(json::object now, const json::object& before) {
  static const char* const kCounters[] = {"requests",
                                          "rate_limited_responses",
                                          "pauses",
                                          "seconds_paused",
                                          "seconds_waiting_for_the_limit",
                                          "retries",
                                          "transport_errors",
                                          "attempts_ok",
                                          "attempts_429",
                                          "attempts_5xx",
                                          "attempts_reset",
                                          "attempts_truncated",
                                          "attempts_timed_out",
                                          "attempts_other",
                                          "seconds_backing_off",
                                          "seconds_in_timed_out_attempts"};
  for (const char* group : {"buckets", "hosts"}) {
    const json::value* old_group = before.if_contains(group);
    for (auto& [name, entry] : now[group].as_object()) {
      const json::value* old_entry =
          old_group && old_group->is_object() ? old_group->as_object().if_contains(name) : nullptr;
      if (!old_entry || !old_entry->is_object())
        continue;
      for (const char* counter : kCounters) {
        json::value* value = entry.as_object().if_contains(counter);
        const json::value* old_value = old_entry->as_object().if_contains(counter);
        if (!value || !old_value || !value->is_number() || !old_value->is_number())
          continue;
        if (value->is_double() || old_value->is_double())
          *value = value->to_number<double>() - old_value->to_number<double>();
        else
          *value = value->to_number<int64_t>() - old_value->to_number<int64_t>();
      }
    }
  }
  return now;
}

}  // namespace

namespace {

// The process's peak resident set so far (getrusage's ru_maxrss, KiB on Linux), in MiB: what
// bench/scale reads per step (issue 22: memory flat in the account's size).
double peak_rss_mb() {
  struct rusage usage {};
  if (::getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace

void append_run_log(Session& session, const std::string& step, double wall_seconds,
                    const json::object* since) {
  json::object calls = calls_json(session);
  json::object line{{"finished_at", model::now_timestamp()},
                    {"step", step},
                    {"wall_seconds", wall_seconds},
                    {"peak_rss_mb", peak_rss_mb()},
                    {"calls", since ? calls_since(std::move(calls), *since) : std::move(calls)}};
  std::string text = json::serialize(line) + "\n";
  std::filesystem::path file = run_log(session);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
  store::fs::UniqueFd owned(fd);
  store::fs::write_all(fd, text, file);
  owned.close(file);
}

json::object build_report(Session& session, const pipeline::Plan& plan,
                          const pipeline::ReconcileOptions& options,
                          const pipeline::LoadStats* last_run) {
  // The read-back's calls are the vendors' too: logged as a step of their own, before the
  // report sums the log.
  json::object calls_before = calls_json(session);
  auto started = std::chrono::steady_clock::now();
  // Every record behind a reason, and every bad source field, one JSON line each beside the
  // report: the report lists the first few of each and points here for the rest.
  pipeline::RecordsByReason records(session.work_dir().root / kRecordsFile);
  pipeline::Reconciliation reconciled = pipeline::reconcile(session, plan, options, &records);
  append_run_log(session, "reconcile",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                 &calls_before);
  DataProblems problems = data_problems(session, records);
  // What the sink could not keep, by reason class, each record counted once however many runs
  // wrote it (the values stay in the work dir's audit trail).
  pipeline::AuditTrail::for_each_lossy(
      session.work_dir().audit(),
      [&](const std::string& kind, const std::string& key, const std::string& what) {
        records.add("lossy", kind, key, what);
      });
  json::object lossy;
  int64_t lossy_records = 0;
  for (const auto& [kind, classes] : records.counts("lossy"))
    for (const auto& [what, count] : classes) {
      lossy[kind + ": " + what] = count;
      lossy_records += count;
    }
  // What the target's API could not do (e.g. confidential jobs): the plan's operator steps, one
  // notice per object, by name; and what the source declares it does not carry.
  json::array own_notices;
  if (const json::value* steps = plan.summary.if_contains("operator_steps"))
    for (const json::value& step : steps->as_array()) {
      if (!step.is_object())
        continue;
      const json::object& entry = step.as_object();
      auto text = [&](const char* key) {
        const json::value* member = entry.if_contains(key);
        return member && member->is_string() ? std::string(member->as_string()) : std::string();
      };
      own_notices.push_back(
          json::object{{"plugin", session.options().sink},
                       {"message", fmt::format("operator step for {} '{}' ({}): {}", text("kind"),
                                               text("name"), text("source_key"), text("step"))}});
    }
  json::array unmigrated = source_fields_not_migrated(session, own_notices);
  // Every notice goes to the records file, the connectors' (as many as they gave: a warning per
  // record of 100,000 persons) then these; the report lists the first kMaxNoticesListed.
  json::array notices;
  int64_t notices_total = 0;
  auto add_notice = [&](json::object notice) {
    ++notices_total;
    json::object line{{"category", "notice"}};
    for (const auto& [member, value] : notice)
      line[member] = value;
    records.write_line(line);
    if (notices.size() < kMaxNoticesListed)
      notices.push_back(std::move(notice));
  };
  session.for_each_notice([&](const std::string& plugin, const std::string& message) {
    add_notice(json::object{{"plugin", plugin}, {"message", message}});
  });
  for (json::value& notice : own_notices)
    add_notice(std::move(notice.as_object()));
  records.close();
  json::object cut_lists;
  if (problems.fields_total > static_cast<int64_t>(problems.fields.size()))
    cut_lists["field_errors"] = json::object{{"listed", problems.fields.size()},
                                             {"of", problems.fields_total},
                                             {"all_in", kRecordsFile}};
  if (notices_total > static_cast<int64_t>(notices.size()))
    cut_lists["notices"] =
        json::object{{"listed", notices.size()}, {"of", notices_total}, {"all_in", kRecordsFile}};
  int64_t checked = 0;
  for (const auto& [kind, entry] : reconciled.read_back)
    checked += entry.at("checked").to_number<int64_t>();
  int64_t field_errors = 0;
  for (const auto& [kind, count] : problems.fields_by_kind)
    field_errors += count.to_number<int64_t>();
  SummaryCounts counts;
  counts.unexplained = static_cast<int64_t>(reconciled.unexplained.size());
  counts.failed = static_cast<int64_t>(reconciled.failures.size());
  counts.rejected = static_cast<int64_t>(problems.rejected.size());
  counts.mismatches = static_cast<int64_t>(reconciled.mismatches.size());
  counts.unread = static_cast<int64_t>(reconciled.unread.size());
  counts.held = static_cast<int64_t>(reconciled.held.size());
  counts.read_back_checked = checked;
  counts.field_errors = field_errors;
  counts.lossy_records = lossy_records;
  counts.notices = notices_total;
  json::object summary = summary_json(counts);
  json::object report{
      {"format", "atsmigrate-report/3"},
      {"generated_at", model::now_timestamp()},
      {"source", session.options().source},
      {"sink", session.options().sink},
      {"summary", std::move(summary)},
      {"counts", std::move(reconciled.counts)},
      {"unexplained", std::move(reconciled.unexplained)},
      {"failures", std::move(reconciled.failures)},
      {"held", std::move(reconciled.held)},
      {"rejected", std::move(problems.rejected)},
      {"mismatches", std::move(reconciled.mismatches)},
      {"unread", std::move(reconciled.unread)},
      {"read_back_available", reconciled.read_back_available},
      {"read_back", std::move(reconciled.read_back)},
      {"field_errors_by_kind", std::move(problems.fields_by_kind)},
      {"field_errors", std::move(problems.fields)},
      {"lossy", std::move(lossy)},
      {"reasons", records.classes()},
      {"records_file", json::object{{"path", kRecordsFile}, {"lines", records.lines()}}},
      {"cut_lists", std::move(cut_lists)},
      {"notices", std::move(notices)},
      {"vendors", vendors(session)}};
  // The source's own declaration of what it does not carry, apart from the per-record counts.
  report["source_fields_not_migrated"] = std::move(unmigrated);
  if (last_run)
    report["last_run"] = last_run_json(*last_run);
  return report;
}

void write_report_files(Session& session, const json::object& report) {
  pipeline::write_private_file(session.work_dir().report_json(), json::serialize(report));
  pipeline::write_private_file(session.work_dir().root / "report.html", render_report_html(report));
}

}  // namespace atsm::report
