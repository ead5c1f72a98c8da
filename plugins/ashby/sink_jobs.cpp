// Reference kinds (departments, offices, tags, custom fields) and jobs, with their hiring team
// and status.
#include "ashby_sink.hpp"

#include "sink_support.hpp"

namespace atsm::ashby {

namespace {

const char* ashby_field_type(model::CustomFieldType type) {
  switch (type) {
    case model::CustomFieldType::text:
    case model::CustomFieldType::user:
      return "String";
    case model::CustomFieldType::long_text:
      return "LongText";
    case model::CustomFieldType::number:
      return "Number";
    case model::CustomFieldType::date:
      return "Date";
    case model::CustomFieldType::boolean:
      return "Boolean";
    case model::CustomFieldType::single_select:
      return "ValueSelect";
    case model::CustomFieldType::multi_select:
      return "MultiValueSelect";
    case model::CustomFieldType::currency:
      return "Currency";
    case model::CustomFieldType::url:
      return "Url";
  }
  return "String";
}

// What the report counts for a job confidential in the source (the plan names each one).
constexpr const char* kConfidentialJobLoss =
    "confidential in the source: Ashby's API cannot make a job confidential; make it "
    "confidential in Ashby's web app (the plan lists each such job)";

}  // namespace

void AshbySink::write_department(const WriteItem& item, ItemResult& result, bool office) {
  const std::string& name = office ? std::get<model::Office>(item.record).name
                                   : std::get<model::Department>(item.record).name;
  if (name.empty())
    invalid("field 'name' is empty");
  if (office)
    result.target_id = ensure_named("location.list", "location.create", "name", name,
                                    object{{"name", name}, {"type", "Location"}});
  else
    result.target_id =
        ensure_named("department.list", "department.create", "name", name, object{{"name", name}});
}

void AshbySink::write_tag(const WriteItem& item, ItemResult& result) {
  const model::Tag& tag = std::get<model::Tag>(item.record);
  if (tag.name.empty())
    invalid("field 'name' is empty");
  result.target_id = ensure_tag(tag.name);
}

void AshbySink::write_custom_field(const WriteItem& item, ItemResult& result) {
  const model::CustomField& field = std::get<model::CustomField>(item.record);
  if (std::string mapped = ref(item, field.source_key); !mapped.empty()) {
    result.target_id = mapped;  // the mapping file chose an existing Ashby field
    return;
  }
  object body{{"title", field.name},
              {"objectType", ashby_object_type(field.object)},
              {"fieldType", ashby_field_type(field.field_type)}};
  if (!field.options.empty()) {
    array values;
    for (const model::CustomFieldOption& option : field.options)
      values.push_back(object{{"label", option.name}, {"value", option.name}});
    body["selectableValues"] = std::move(values);
  }
  if (field.field_type == model::CustomFieldType::user)
    result.lossy.push_back("user-typed field " + field.name + " holds the user's name as text");
  result.target_id =
      ensure_named("customField.list", "customField.create", "title", field.name, body);
}

void AshbySink::write_job(const WriteItem& item, ItemResult& result) {
  const model::Job& job = std::get<model::Job>(item.record);
  if (job.title.empty())
    invalid("field 'title' is empty");
  std::string team_id = job.department_keys.empty() ? "" : ref(item, job.department_keys.front());
  if (team_id.empty()) {
    std::string name = job.team.value_or("");
    if (name.empty()) {
      name = "Unassigned";
      result.lossy.push_back("no department: the job is in the 'Unassigned' department");
    }
    team_id =
        ensure_named("department.list", "department.create", "name", name, object{{"name", name}});
  }
  if (job.department_keys.size() > 1)
    result.lossy.push_back("Ashby jobs have one department; only the first was kept");
  std::string location_id = job.office_keys.empty() ? "" : ref(item, job.office_keys.front());
  if (location_id.empty()) {
    std::string name = job.location.value_or("");
    if (name.empty()) {
      name = "Unspecified";
      result.lossy.push_back("no location: the job is at the 'Unspecified' location");
    }
    location_id = ensure_named("location.list", "location.create", "name", name,
                               object{{"name", name}, {"type", "Location"}});
  }
  std::string plan_id = text_of(item.extra, "interview_plan_id");
  if (std::string plan_name = text_of(item.extra, "interview_plan");
      plan_id.empty() && !plan_name.empty()) {
    plan_id = plan_id_by_name(plan_name);
    if (plan_id.empty())
      invalid("interview plan '" + plan_name + "' does not exist in Ashby");
  }
  if (plan_id.empty())
    plan_id = default_plan_id();

  std::string id = item.target_id;
  if (id.empty() && item.lookup_first)
    if (auto found = find_job(item))
      id = *found;
  object current;
  if (id.empty()) {
    object body{{"title", job.title},
                {"teamId", team_id},
                {"locationId", location_id},
                {"defaultInterviewPlanId", plan_id}};
    current = as_object(client_.results("job.create", body, CallKind::create), "job.create");
    id = text_of(current, "id");
    if (id.empty())
      throw sdk::Error(ATSM_AMBIGUOUS, "job.create answered a job without an id",
                       "malformed_response");
  } else {
    current = as_object(client_.results("job.update",
                                        object{{"jobId", id},
                                               {"title", job.title},
                                               {"teamId", team_id},
                                               {"locationId", location_id},
                                               {"defaultInterviewPlanId", plan_id}},
                                        CallKind::idempotent_write),
                        "job.update");
  }
  result.target_id = id;
  // Neither job.create nor job.update defines `confidential`
  // (sandbox/validator/ashby-api-openapi.extract.json): the plan lists these jobs with the
  // operator's step (make_confidential_steps), the report counts them here.
  if (job.confidential.value_or(false)) {
    result.lossy.push_back(kConfidentialJobLoss);
    // Remembered in the work dir, so a later run still holds the job's candidacies (and
    // releases them) although the job itself is not written again.
    if (config_.confidential_jobs == "hold" && !is_true(current, "confidential")) {
      try {
        client_.host().begin_intent(kConfidentialTopic, id, job.title);
      } catch (const sdk::Error& error) {
        if (error.status() != ATSM_NOT_FOUND)
          throw;  // without the host extension the hold lasts this run only
      }
      std::lock_guard lock(mutex_);
      if (!confidential_pending_)
        confidential_pending_.emplace();
      (*confidential_pending_)[id] = job.title;
    }
  }
  {
    std::lock_guard lock(mutex_);
    job_plans_.erase(id);
  }
  static const std::map<model::JobStatus, std::string> kStatus{
      {model::JobStatus::open, "Open"},
      {model::JobStatus::closed, "Closed"},
      {model::JobStatus::draft, "Draft"},
      {model::JobStatus::archived, "Archived"}};
  move_job(id, text_of(current, "status"), kStatus.at(job.status));
  write_hiring_team(item, id, current, result);
}

// The job's hiring team (job.hiring_manager_user_keys, owner_user_key) through
// hiringTeam.addMember's job-level form (sandbox/validator/ashby-api-openapi.extract.json: {jobId,
// teamMemberId, roleId}): each hiring manager as "Hiring Manager", the owner as "Recruiter"
// (Greenhouse's responsible recruiter, Lever's posting owner). A member the job's answer already
// lists is not added again. A user that resolves to no Ashby user, or only to the fallback user
// (options.fallback_user stands in for authors, not for a hiring team), and a role Ashby does not
// offer are lossy lines.
void AshbySink::write_hiring_team(const WriteItem& item, const std::string& job_id,
                                  const object& current, ItemResult& result) {
  const model::Job& job = std::get<model::Job>(item.record);
  std::vector<std::pair<std::string, std::string>> wanted;  // (user key, role title)
  for (const std::string& key : job.hiring_manager_user_keys)
    wanted.emplace_back(key, "Hiring Manager");
  if (job.owner_user_key)
    wanted.emplace_back(*job.owner_user_key, "Recruiter");
  if (wanted.empty())
    return;
  std::string fallback_id;
  if (!plan_options_.fallback_user.empty())
    for (const object& user : cached_list("user.list", object{{"includeDeactivated", true}}))
      if (same_name(text_of(user, "email"), plan_options_.fallback_user))
        fallback_id = text_of(user, "id");
  std::set<std::pair<std::string, std::string>> present;  // (user id, lower-case role)
  if (const array* team = array_at(current, "hiringTeam"))
    for (const value& member : *team)
      if (member.is_object())
        present.emplace(text_of(member.as_object(), "userId"),
                        lower(text_of(member.as_object(), "role")));
  std::map<std::string, std::string> roles;
  bool roles_read = false;
  for (const auto& [key, role] : wanted) {
    std::string what = role == "Recruiter" ? "job owner" : "hiring manager";
    std::string user_id = ref(item, key);
    if (user_id.empty() || user_id == fallback_id) {
      result.lossy.push_back(what + " is not an Ashby user: not on the hiring team");
      continue;
    }
    if (!present.emplace(user_id, lower(role)).second)
      continue;
    if (!roles_read) {
      roles = hiring_team_roles();
      roles_read = true;
    }
    auto found = roles.find(lower(role));
    if (found == roles.end()) {
      result.lossy.push_back(what + " not on the hiring team: Ashby lists no '" + role +
                             "' hiring team role");
      continue;
    }
    client_.results("hiringTeam.addMember",
                    object{{"jobId", job_id}, {"teamMemberId", user_id}, {"roleId", found->second}},
                    CallKind::idempotent_write);
  }
}

// New jobs are Draft; walks the moves job.setStatus allows
// (sandbox/validator/ashby-api-openapi.extract.json, job.setStatus: Draft -> Open | Archived, Open
// -> Closed, Closed -> Draft | Archived, Archived -> Draft).
void AshbySink::move_job(const std::string& id, const std::string& from, const std::string& to) {
  static const std::map<std::string, std::vector<std::string>> kPath{
      {"Draft>Open", {"Open"}},
      {"Draft>Closed", {"Open", "Closed"}},
      {"Draft>Archived", {"Archived"}},
      {"Open>Closed", {"Closed"}},
      {"Open>Archived", {"Closed", "Archived"}},
      {"Open>Draft", {"Closed", "Draft"}},
      {"Closed>Open", {"Draft", "Open"}},
      {"Closed>Draft", {"Draft"}},
      {"Closed>Archived", {"Archived"}},
      {"Archived>Draft", {"Draft"}},
      {"Archived>Open", {"Draft", "Open"}},
      {"Archived>Closed", {"Draft", "Open", "Closed"}}};
  if (from == to) {
    std::lock_guard lock(mutex_);
    job_statuses_[id] = to;
    return;
  }
  auto path = kPath.find(from + ">" + to);
  if (path == kPath.end())
    throw sdk::Error(ATSM_PERMANENT, "job " + id + " cannot move from " + from + " to " + to);
  for (const std::string& step : path->second) {
    try {
      client_.results("job.setStatus", object{{"jobId", id}, {"status", step}},
                      CallKind::idempotent_write);
    } catch (const sdk::Error& error) {
      // A repeated move (its first answer was lost) is refused; the job is where we want it.
      if (error.status() != ATSM_INVALID)
        throw;
      object now =
          as_object(client_.results("job.info", object{{"id", id}}, CallKind::read), "job.info");
      if (text_of(now, "status") != step)
        throw;
    }
  }
  std::lock_guard lock(mutex_);
  job_statuses_[id] = to;
}

}  // namespace atsm::ashby
