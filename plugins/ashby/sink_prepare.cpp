// prepare: the catalog and everything the plan names that Ashby lacks, all at once.
#include "ashby_sink.hpp"

#include <algorithm>
#include <tuple>

#include "render.hpp"
#include "sink_support.hpp"

namespace atsm::ashby {

namespace {

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

// Whether `list` (catalog entries) holds one whose `key` is `name` (as an operator reads names)
// or whose id is `name`.
bool has_in(const array& list, const char* key, const std::string& name) {
  return std::any_of(list.begin(), list.end(), [&](const value& entry) {
    return same_name(text_of(entry.as_object(), key), name) ||
           text_of(entry.as_object(), "id") == name;
  });
}

const array& catalog_list(const object& catalog, const char* kind) {
  return catalog.at(kind).as_array();
}

void add_missing(array& missing, const std::string& kind, const std::string& name,
                 const std::string& reason) {
  missing.push_back(object{{"kind", kind}, {"name", name}, {"reason", reason}});
}

// The mapping file's explicit choices that name no object in Ashby.
void check_mapping_targets(const object& mapping, const object& catalog, array& missing) {
  auto each = [&](const char* section, auto&& check) {
    if (const object* entries = object_at(mapping, section))
      for (const auto& [source, entry] : *entries)
        check(std::string(source), entry);
  };
  auto has_job = [&](const std::string& name) {
    return has_in(catalog_list(catalog, "job"), "name", name);
  };
  // A section whose entries name objects of `kind` by `key`: every one Ashby lacks, and why.
  auto named = [&](const char* section, const char* kind, const char* key, const char* why) {
    each(section, [&](const std::string& source, const value& entry) {
      std::string target = mapping_target(entry);
      if (!target.empty() && target != "skip" && !has_in(catalog_list(catalog, kind), key, target))
        add_missing(missing, kind, target, "mapped from " + source + "; " + why);
    });
  };
  named("stages", "stage", "name", "no interview stage of that name");
  named("archive_reasons", "archive_reason", "name", "Ashby has no API to create archive reasons");
  named("sources", "source", "name", "Ashby has no API to create sources");
  each("users", [&](const std::string& source, const value& entry) {
    std::string target = mapping_target(entry);
    const array& users = catalog_list(catalog, "user");
    if (!target.empty() && target != "skip" && !has_in(users, "email", target) &&
        !has_in(users, "name", target))
      add_missing(missing, "user", target,
                  "mapped from " + source + "; no Ashby user with that email");
  });
  named("custom_fields", "custom_field", "name", "no Ashby custom field of that title");
  each("jobs", [&](const std::string& source, const value& entry) {
    if (!entry.is_object())
      return;
    std::string plan_name = text_of(entry.as_object(), "interview_plan");
    if (!plan_name.empty() && !has_in(catalog_list(catalog, "interview_plan"), "name", plan_name))
      add_missing(missing, "interview_plan", plan_name,
                  "mapped for job " + source + "; no interview plan of that name");
    std::string job = text_of(entry.as_object(), "job");
    if (!job.empty() && !has_job(job))
      add_missing(missing, "job", job,
                  "mapped for job " + source + "; no Ashby job of that title or id");
  });
  if (const value* jobless_job = mapping.if_contains("jobless_job"); jobless_job) {
    std::string target = mapping_target(*jobless_job);
    if (!target.empty() && !has_job(target))
      add_missing(missing, "job", target, "jobless_job names no Ashby job");
  }
}

}  // namespace

std::string AshbySink::prepare(const std::string& plan_json) {
  boost::system::error_code ec;
  value parsed = json::parse(plan_json, ec);
  if (ec || !parsed.is_object())
    invalid("ashby prepare: the plan is not a JSON object");
  const object& plan = parsed.as_object();
  // The run's migration options come with the plan, every time (nothing kept from another plan).
  PlanOptions options = parse_plan_options(plan.if_contains("options"));
  remember_source_labels(plan.if_contains("source_display_names"));
  {
    std::lock_guard lock(mutex_);
    plan_options_ = options;
    form_.reset();
  }
  object catalog = read_catalog();
  array missing;
  check_option_targets(plan, catalog, missing);
  if (const object* mapping = object_at(plan, "mapping"))
    check_mapping_targets(*mapping, catalog, missing);
  return json::serialize(object{{"catalog", std::move(catalog)},
                                {"missing", std::move(missing)},
                                {"operator_steps", operator_steps(plan)},
                                {"estimate", object{{"calls_per_item", calls_per_item()}}}});
}

// The interview plans and their stages, in plan order, as the host matches them.
void AshbySink::read_plans_and_stages(object& catalog) {
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
}

// What Ashby holds, by the host's kinds (sink-protocol.md §1).
object AshbySink::read_catalog() {
  object catalog;
  read_plans_and_stages(catalog);
  array user_json;
  for (const object& user : cached_list("user.list", object{{"includeDeactivated", true}})) {
    std::string name = text_of(user, "firstName");
    if (std::string last = text_of(user, "lastName"); !last.empty())
      name += (name.empty() ? "" : " ") + last;
    const value* enabled = user.if_contains("isEnabled");
    user_json.push_back(object{{"id", text_of(user, "id")},
                               {"name", name},
                               {"email", text_of(user, "email")},
                               {"active", enabled && enabled->is_bool() && enabled->as_bool()}});
  }
  catalog["user"] = std::move(user_json);
  array reason_json;
  for (const object& reason : cached_list("archiveReason.list"))
    reason_json.push_back(object{{"id", text_of(reason, "id")},
                                 {"name", text_of(reason, "text")},
                                 {"type", text_of(reason, "reasonType")}});
  catalog["archive_reason"] = std::move(reason_json);
  // The kinds listed as {id, name} from one member.
  auto named = [&](const char* kind, const char* method, const char* name_key) {
    array entries;
    for (const object& entry : cached_list(method))
      entries.push_back(object{{"id", text_of(entry, "id")}, {"name", text_of(entry, name_key)}});
    catalog[kind] = std::move(entries);
  };
  named("source", "source.list", "title");
  array field_json;
  for (const object& field : cached_list("customField.list"))
    field_json.push_back(object{{"id", text_of(field, "id")},
                                {"name", text_of(field, "title")},
                                {"object", text_of(field, "objectType")},
                                {"field_type", text_of(field, "fieldType")}});
  catalog["custom_field"] = std::move(field_json);
  named("feedback_form", "feedbackFormDefinition.list", "title");
  named("department", "department.list", "name");
  named("office", "location.list", "name");
  array job_json;
  for (const object& job : client_.list_all("job.list", kEveryJobStatus))
    job_json.push_back(object{{"id", text_of(job, "id")},
                              {"name", text_of(job, "title")},
                              {"status", text_of(job, "status")}});
  catalog["job"] = std::move(job_json);
  return catalog;
}

// The objects the options name (the default interview plan, the feedback form, the fallback
// user, the job of lead applications) that Ashby lacks.
void AshbySink::check_option_targets(const object& plan, const object& catalog, array& missing) {
  const PlanOptions& options = plan_options_;
  const array& plans = catalog_list(catalog, "interview_plan");
  if (!options.default_interview_plan.empty()) {
    if (!has_in(plans, "name", options.default_interview_plan))
      add_missing(missing, "interview_plan", options.default_interview_plan,
                  "no interview plan of that name; create it in Ashby (jobs are created with it)");
  } else if (plans.size() != 1) {
    add_missing(missing, "interview_plan", "(default_interview_plan)",
                "Ashby has " + std::to_string(plans.size()) +
                    " interview plans; name the one new jobs use in default_interview_plan");
  }
  const object* counts = object_at(plan, "counts");
  const value* feedback_count = counts ? counts->if_contains("feedback") : nullptr;
  bool no_feedback =
      feedback_count && feedback_count->is_number() && feedback_count->to_number<int64_t>() == 0;
  if (!no_feedback && options.scorecards != "note") {
    try {
      feedback_form();
    } catch (const sdk::Error& error) {
      if (error.status() != ATSM_INVALID)
        throw;
      add_missing(missing, "feedback_form", options.feedback_form,
                  std::string(error.what()) +
                      "; create it in Ashby with a Score field and a long text field");
    }
  }
  if (!options.fallback_user.empty()) {
    const array& users = catalog_list(catalog, "user");
    bool found = std::any_of(users.begin(), users.end(), [&](const value& user) {
      return same_name(text_of(user.as_object(), "email"), options.fallback_user) &&
             user.at("active").as_bool();
    });
    if (!found)
      add_missing(missing, "user", options.fallback_user,
                  "the fallback user is not an active Ashby user; invite them or name another");
  }
  if (options.jobless == "lead_application") {
    if (config_.jobless_job.empty())
      add_missing(missing, "job", "(jobless_job)",
                  "jobless candidacies become lead applications but jobless_job names no job");
    else if (!has_in(catalog_list(catalog, "job"), "name", config_.jobless_job))
      add_missing(missing, "job", config_.jobless_job,
                  "no Ashby job of that title or id for lead applications (jobless_job)");
  }
}

// What a write costs in Ashby calls, for the plan's forecast (measured on the sandbox: a
// candidate is create + legacy-ID values + one addTag per tag + a profile note for about a
// third; an application is create + legacy-ID value; a file is the upload handle and the
// attach call, its bytes going to storage outside the API's limit, plus one candidate.info
// for a candidate's first upload, to tell the new file from those already there; a job adds
// one hiringTeam.addMember per member, about two; an application with form answers or a cover
// letter one note, about half of them).
object AshbySink::calls_per_item() const {
  return object{
      {"department", 1},   {"office", 1},
      {"job", 5},          {"tag", 1},
      {"custom_field", 1}, {"person", object{{"base", 2.3}, {"per", object{{"tags", 1}}}}},
      {"candidacy", 2.5},  {"note", 1},
      {"feedback", 1},     {"interview", 1},
      {"offer", 1},        {"file", config_.uploads == "multipart" ? 1.5 : 2.5}};
}

// What the API cannot do and the operator must, listed before any write: Ashby's job.create and
// job.update define no `confidential` (sandbox/validator/ashby-api-openapi.extract.json), so a
// confidential source job is created visible to everyone with job access until it is made
// confidential in Ashby.
array AshbySink::operator_steps(const object& plan) const {
  array steps;
  if (const array* staged_jobs = array_at(plan, "jobs"))
    for (const value& entry : *staged_jobs) {
      if (!entry.is_object())
        continue;
      const value* confidential = entry.as_object().if_contains("confidential");
      if (confidential == nullptr || !confidential->is_bool() || !confidential->as_bool())
        continue;
      steps.push_back(object{
          {"kind", "job"},
          {"source_key", text_of(entry.as_object(), "source_key")},
          {"name", text_of(entry.as_object(), "title")},
          {"step", config_.confidential_jobs == "hold"
                       ? "Ashby's API cannot make a job confidential: the load creates the job and "
                         "holds its candidacies (and their notes, feedback and files); make the "
                         "job confidential in Ashby's web app, then run the migration again to "
                         "write them (or set ashby.confidential_jobs=proceed to write them at once)"
                       : "Ashby's API cannot make a job confidential: once the job exists, make it "
                         "confidential in Ashby's web app before its candidates are shared; until "
                         "then the job and its applications are not restricted "
                         "(ashby.confidential_jobs=proceed)"}});
    }
  return steps;
}

}  // namespace atsm::ashby
