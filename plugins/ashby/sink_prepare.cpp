// prepare: the catalog and everything the plan names that Ashby lacks, all at once.
#include "ashby_sink.hpp"

#include <algorithm>

#include "sink_support.hpp"

namespace atsm::ashby {

namespace {

using json::array;
using json::object;
using json::value;

// Ashby stage types to the canonical ones, for the catalog the host matches against.
const char* canonical_stage_type(std::string_view type) {
  if (type == "Lead")
    return "lead";
  if (type == "PreInterviewScreen")
    return "applied";
  if (type == "Active")
    return "interview";
  if (type == "Offer")
    return "offer";
  if (type == "Hired")
    return "hired";
  if (type == "Archived")
    return "archived";
  return "other";
}

// A mapping entry's target: a string, or an object's "ashby" / "title" / "name" / "email".
std::string mapping_target(const value& entry) {
  if (entry.is_string())
    return std::string(entry.as_string());
  if (entry.is_object())
    for (const char* key : {"ashby", "target", "title", "name", "email", "id"})
      if (std::string text = text_of(entry.as_object(), key); !text.empty())
        return text;
  return {};
}

}  // namespace

std::string AshbySink::prepare(const std::string& plan_json) {
  boost::system::error_code ec;
  value parsed = json::parse(plan_json, ec);
  if (ec || !parsed.is_object())
    invalid("ashby prepare: the plan is not a JSON object");
  const object& plan = parsed.as_object();
  if (const object* plan_options = object_at(plan, "options")) {
    // The plan's choices win over the instance's config for this run.
    object overrides;
    for (const auto& [key, member] : *plan_options)
      if (member.is_string() && (key == "feedback_form" || key == "default_interview_plan" ||
                                 key == "jobless" || key == "jobless_job" || key == "scorecards" ||
                                 key == "private_notes" || key == "interviews" || key == "offers" ||
                                 key == "fallback_user" || key == "default_archive_reason"))
        overrides[key] = member;
    object merged;
    SinkOptions current = options_;
    merged["base_url"] = current.base_url;
    merged["rate_limit_per_minute"] = current.rate_limit_per_minute;
    for (auto [key, field] : std::initializer_list<std::pair<const char*, std::string*>>{
             {"feedback_form", &current.feedback_form},
             {"default_interview_plan", &current.default_interview_plan},
             {"default_archive_reason", &current.default_archive_reason},
             {"legacy_candidate_field", &current.legacy_candidate_field},
             {"legacy_application_field", &current.legacy_application_field},
             {"jobless", &current.jobless},
             {"jobless_job", &current.jobless_job},
             {"scorecards", &current.scorecards},
             {"private_notes", &current.private_notes},
             {"interviews", &current.interviews},
             {"offers", &current.offers},
             {"uploads", &current.uploads},
             {"fallback_user", &current.fallback_user},
             {"confidential_jobs", &current.confidential_jobs}})
      merged[key] = *field;
    for (const auto& [key, member] : overrides)
      merged[key] = member;
    SinkOptions next = parse_sink_options(json::serialize(merged));
    std::lock_guard lock(mutex_);
    options_ = next;
    form_.reset();
  }

  array missing;
  auto add_missing = [&](const std::string& kind, const std::string& name,
                         const std::string& reason) {
    missing.push_back(object{{"kind", kind}, {"name", name}, {"reason", reason}});
  };
  object catalog;

  std::vector<object> plans = cached_list("interviewPlan.list");
  std::map<std::string, StageInfo> stages = stage_index();
  array plans_json, stage_json;
  std::map<std::string, std::string> plan_titles;
  for (const object& p : plans) {
    plan_titles[text_of(p, "id")] = text_of(p, "title");
    plans_json.push_back(object{{"id", text_of(p, "id")}, {"name", text_of(p, "title")}});
  }
  std::vector<StageInfo> ordered;
  for (const auto& [id, stage] : stages)
    ordered.push_back(stage);
  std::sort(ordered.begin(), ordered.end(), [](const StageInfo& a, const StageInfo& b) {
    return std::tie(a.plan_id, a.order) < std::tie(b.plan_id, b.order);
  });
  for (const StageInfo& stage : ordered)
    stage_json.push_back(object{{"id", stage.id},
                                {"name", stage.title},
                                {"stage_type", canonical_stage_type(stage.type)},
                                {"plan", plan_titles[stage.plan_id]},
                                {"plan_id", stage.plan_id},
                                {"ashby_type", stage.type}});
  catalog["interview_plan"] = std::move(plans_json);
  catalog["stage"] = std::move(stage_json);

  std::vector<object> users = cached_list("user.list", object{{"includeDeactivated", true}});
  array user_json;
  for (const object& user : users) {
    std::string name = text_of(user, "firstName");
    if (std::string last = text_of(user, "lastName"); !last.empty())
      name += (name.empty() ? "" : " ") + last;
    const value* enabled = user.if_contains("isEnabled");
    user_json.push_back(object{{"id", text_of(user, "id")},
                               {"name", name},
                               {"email", text_of(user, "email")},
                               {"active", enabled && enabled->is_bool() && enabled->as_bool()}});
  }
  catalog["user"] = user_json;

  array reason_json;
  for (const object& reason : cached_list("archiveReason.list"))
    reason_json.push_back(object{{"id", text_of(reason, "id")},
                                 {"name", text_of(reason, "text")},
                                 {"type", text_of(reason, "reasonType")}});
  catalog["archive_reason"] = reason_json;
  array source_json;
  for (const object& source : cached_list("source.list"))
    source_json.push_back(
        object{{"id", text_of(source, "id")}, {"name", text_of(source, "title")}});
  catalog["source"] = source_json;
  array field_json;
  for (const object& field : cached_list("customField.list"))
    field_json.push_back(object{{"id", text_of(field, "id")},
                                {"name", text_of(field, "title")},
                                {"object", text_of(field, "objectType")},
                                {"field_type", text_of(field, "fieldType")}});
  catalog["custom_field"] = field_json;
  array form_json;
  for (const object& form : cached_list("feedbackFormDefinition.list"))
    form_json.push_back(object{{"id", text_of(form, "id")}, {"name", text_of(form, "title")}});
  catalog["feedback_form"] = form_json;
  array department_json, location_json, job_json;
  for (const object& department : cached_list("department.list"))
    department_json.push_back(
        object{{"id", text_of(department, "id")}, {"name", text_of(department, "name")}});
  for (const object& location : cached_list("location.list"))
    location_json.push_back(
        object{{"id", text_of(location, "id")}, {"name", text_of(location, "name")}});
  std::vector<object> jobs = client_.list_all("job.list", kEveryJobStatus);
  for (const object& job : jobs)
    job_json.push_back(object{{"id", text_of(job, "id")},
                              {"name", text_of(job, "title")},
                              {"status", text_of(job, "status")}});
  catalog["department"] = department_json;
  catalog["office"] = location_json;
  catalog["job"] = job_json;

  auto has_plan = [&](const std::string& name) { return !plan_id_by_name(name).empty(); };
  auto has_stage = [&](const std::string& name) {
    return std::any_of(stages.begin(), stages.end(), [&](const auto& entry) {
      return same_name(entry.second.title, name) || entry.first == name;
    });
  };
  auto has_in = [&](const array& list, const char* key, const std::string& name) {
    return std::any_of(list.begin(), list.end(), [&](const value& entry) {
      return same_name(text_of(entry.as_object(), key), name) ||
             text_of(entry.as_object(), "id") == name;
    });
  };
  auto has_job = [&](const std::string& name) { return has_in(job_json, "name", name); };

  // Options that name target objects.
  if (!options_.default_interview_plan.empty()) {
    if (!has_plan(options_.default_interview_plan))
      add_missing("interview_plan", options_.default_interview_plan,
                  "no interview plan of that name; create it in Ashby (jobs are created with it)");
  } else if (plans.size() != 1) {
    add_missing("interview_plan", "(default_interview_plan)",
                "Ashby has " + std::to_string(plans.size()) +
                    " interview plans; name the one new jobs use in default_interview_plan");
  }
  const object* counts = object_at(plan, "counts");
  auto count_of = [&](const char* kind) -> int64_t {
    const value* count = counts ? counts->if_contains(kind) : nullptr;
    return count && count->is_number() ? count->to_number<int64_t>() : -1;
  };
  if (count_of("feedback") != 0 && options_.scorecards != "note") {
    try {
      feedback_form();
    } catch (const sdk::Error& error) {
      if (error.status() != ATSM_INVALID)
        throw;
      add_missing("feedback_form", options_.feedback_form,
                  std::string(error.what()) +
                      "; create it in Ashby with a Score field and a long text field");
    }
  }
  if (!options_.fallback_user.empty()) {
    bool found = std::any_of(user_json.begin(), user_json.end(), [&](const value& user) {
      return same_name(text_of(user.as_object(), "email"), options_.fallback_user) &&
             user.at("active").as_bool();
    });
    if (!found)
      add_missing("user", options_.fallback_user,
                  "the fallback user is not an active Ashby user; invite them or name another");
  }
  if (options_.jobless == "lead_application") {
    if (options_.jobless_job.empty())
      add_missing("job", "(jobless_job)",
                  "jobless candidacies become lead applications but jobless_job names no job");
    else if (!has_job(options_.jobless_job))
      add_missing("job", options_.jobless_job,
                  "no Ashby job of that title or id for lead applications (jobless_job)");
  }

  // The mapping file's explicit choices.
  if (const object* mapping = object_at(plan, "mapping")) {
    auto each = [&](const char* section, auto&& check) {
      if (const object* entries = object_at(*mapping, section))
        for (const auto& [source, entry] : *entries)
          check(std::string(source), entry);
    };
    each("stages", [&](const std::string& source, const value& entry) {
      std::string target = mapping_target(entry);
      if (!target.empty() && target != "skip" && !has_stage(target))
        add_missing("stage", target, "mapped from " + source + "; no interview stage of that name");
    });
    each("archive_reasons", [&](const std::string& source, const value& entry) {
      std::string target = mapping_target(entry);
      if (!target.empty() && target != "skip" && !has_in(reason_json, "name", target))
        add_missing("archive_reason", target,
                    "mapped from " + source + "; Ashby has no API to create archive reasons");
    });
    each("sources", [&](const std::string& source, const value& entry) {
      std::string target = mapping_target(entry);
      if (!target.empty() && target != "skip" && !has_in(source_json, "name", target))
        add_missing("source", target,
                    "mapped from " + source + "; Ashby has no API to create sources");
    });
    each("users", [&](const std::string& source, const value& entry) {
      std::string target = mapping_target(entry);
      if (!target.empty() && target != "skip" && !has_in(user_json, "email", target) &&
          !has_in(user_json, "name", target))
        add_missing("user", target, "mapped from " + source + "; no Ashby user with that email");
    });
    each("custom_fields", [&](const std::string& source, const value& entry) {
      std::string target = mapping_target(entry);
      if (!target.empty() && target != "skip" && !has_in(field_json, "name", target))
        add_missing("custom_field", target,
                    "mapped from " + source + "; no Ashby custom field of that title");
    });
    each("jobs", [&](const std::string& source, const value& entry) {
      if (!entry.is_object())
        return;
      std::string plan_name = text_of(entry.as_object(), "interview_plan");
      if (!plan_name.empty() && !has_plan(plan_name))
        add_missing("interview_plan", plan_name,
                    "mapped for job " + source + "; no interview plan of that name");
      std::string job = text_of(entry.as_object(), "job");
      if (!job.empty() && !has_job(job))
        add_missing("job", job, "mapped for job " + source + "; no Ashby job of that title or id");
    });
    if (const value* jobless_job = mapping->if_contains("jobless_job"); jobless_job) {
      std::string target = mapping_target(*jobless_job);
      if (!target.empty() && !has_job(target))
        add_missing("job", target, "jobless_job names no Ashby job");
    }
  }
  // What a write costs in Ashby calls, for the plan's forecast (measured on the sandbox: a
  // candidate is create + legacy-ID values + one addTag per tag + a profile note for about a
  // third; an application is create + legacy-ID value; a file is the upload handle and the
  // attach call, its bytes going to storage outside the API's limit, plus one candidate.info
  // for a candidate's first upload, to tell the new file from those already there; a job adds
  // one hiringTeam.addMember per member, about two; an application with form answers or a cover
  // letter one note, about half of them).
  object calls_per_item{
      {"department", 1},   {"office", 1},
      {"job", 5},          {"tag", 1},
      {"custom_field", 1}, {"person", object{{"base", 2.3}, {"per", object{{"tags", 1}}}}},
      {"candidacy", 2.5},  {"note", 1},
      {"feedback", 1},     {"interview", 1},
      {"offer", 1},        {"file", options_.uploads == "multipart" ? 1.5 : 2.5}};
  // What the API cannot do and the operator must, listed before any write: Ashby's job.create and
  // job.update define no `confidential` (specs/ashby), so a confidential source job is created
  // visible to everyone with job access until it is made confidential in Ashby.
  array operator_steps;
  if (const array* staged_jobs = array_at(plan, "jobs"))
    for (const value& entry : *staged_jobs) {
      if (!entry.is_object())
        continue;
      const value* confidential = entry.as_object().if_contains("confidential");
      if (confidential == nullptr || !confidential->is_bool() || !confidential->as_bool())
        continue;
      operator_steps.push_back(object{
          {"kind", "job"},
          {"source_key", text_of(entry.as_object(), "source_key")},
          {"name", text_of(entry.as_object(), "title")},
          {"step", options_.confidential_jobs == "hold"
                       ? "Ashby's API cannot make a job confidential: the load creates the job and "
                         "holds its candidacies (and their notes, feedback and files); make the "
                         "job confidential in Ashby's web app, then run the migration again to "
                         "write them (or set ashby.confidential_jobs=proceed to write them at once)"
                       : "Ashby's API cannot make a job confidential: once the job exists, make it "
                         "confidential in Ashby's web app before its candidates are shared; until "
                         "then the job and its applications are not restricted "
                         "(ashby.confidential_jobs=proceed)"}});
    }
  return json::serialize(
      object{{"catalog", std::move(catalog)},
             {"missing", std::move(missing)},
             {"operator_steps", std::move(operator_steps)},
             {"estimate", object{{"calls_per_item", std::move(calls_per_item)}}}});
}

}  // namespace atsm::ashby
