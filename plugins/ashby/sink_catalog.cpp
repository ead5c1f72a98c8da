// What Ashby already holds, read once and cached: lists, interview plans, the feedback form,
// the legacy-id fields, tags, archive reasons and hiring team roles.
#include "ashby_sink.hpp"

#include <algorithm>

#include "sink_support.hpp"

namespace atsm::ashby {

std::vector<object> AshbySink::cached_list(const std::string& method, const object& body) {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = lists_.find(method);
    if (it != lists_.end())
      return it->second;
    generation = list_generation_[method];
  }
  std::vector<object> items = client_.list_all(method, body);
  std::lock_guard lock(mutex_);
  for (const object& made : created_[method])
    if (std::none_of(items.begin(), items.end(), [&](const object& listed) {
          return text_of(listed, "id") == text_of(made, "id");
        }))
      items.push_back(made);
  if (list_generation_[method] != generation)
    return items;  // forgotten while it was read: the read that began after is the one to keep
  auto [it, inserted] = lists_.try_emplace(method, std::move(items));
  return it->second;
}

void AshbySink::remember(const std::string& method, const object& item) {
  std::lock_guard lock(mutex_);
  created_[method].push_back(item);
  auto it = lists_.find(method);
  if (it != lists_.end())
    it->second.push_back(item);
}

void AshbySink::forget(const std::string& method) {
  std::lock_guard lock(mutex_);
  lists_.erase(method);
  ++list_generation_[method];
}

std::map<std::string, AshbySink::StageInfo> AshbySink::stage_index() {
  std::map<std::string, StageInfo> index;
  for (const object& plan : cached_list("interviewPlan.list")) {
    std::string plan_id = text_of(plan, "id");
    std::string method = "interviewStage.list#" + plan_id;
    std::vector<object> stages;
    {
      std::lock_guard lock(mutex_);
      if (auto it = lists_.find(method); it != lists_.end())
        stages = it->second;
    }
    if (stages.empty()) {
      stages = client_.list_all("interviewStage.list", object{{"interviewPlanId", plan_id}});
      std::lock_guard lock(mutex_);
      lists_[method] = stages;
    }
    for (const object& stage : stages) {
      StageInfo info{text_of(stage, "id"), text_of(stage, "title"), text_of(stage, "type"), plan_id,
                     0};
      if (const value* order = stage.if_contains("orderInInterviewPlan");
          order && order->is_int64())
        info.order = order->as_int64();
      index[info.id] = info;
    }
  }
  return index;
}

AshbySink::PlanInfo AshbySink::job_plan(const std::string& job_id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = job_plans_.find(job_id); it != job_plans_.end())
      return it->second;
  }
  object info =
      as_object(client_.results("jobInterviewPlan.info", object{{"jobId", job_id}}, CallKind::read),
                "jobInterviewPlan.info");
  PlanInfo plan;
  plan.plan_id = text_of(info, "interviewPlanId");
  if (const array* stages = array_at(info, "stages")) {
    for (const value& stage : *stages) {
      if (!stage.is_object())
        continue;
      const object& s = stage.as_object();
      StageInfo entry{text_of(s, "id"), text_of(s, "title"), text_of(s, "type"), plan.plan_id, 0};
      if (const value* order = s.if_contains("orderInInterviewPlan"); order && order->is_int64())
        entry.order = order->as_int64();
      plan.stages.push_back(entry);
    }
  }
  std::stable_sort(plan.stages.begin(), plan.stages.end(),
                   [](const StageInfo& a, const StageInfo& b) { return a.order < b.order; });
  if (plan.plan_id.empty() || plan.stages.empty())
    throw sdk::Error(ATSM_PERMANENT, "Ashby job " + job_id + " has no interview plan with stages",
                     "interview_plan_not_found");
  std::lock_guard lock(mutex_);
  job_plans_[job_id] = plan;
  return plan;
}

std::string AshbySink::plan_id_by_name(const std::string& name) {
  for (const object& plan : cached_list("interviewPlan.list"))
    if (same_name(text_of(plan, "title"), name) || text_of(plan, "id") == name)
      return text_of(plan, "id");
  return {};
}

std::string AshbySink::default_plan_id() {
  if (!plan_options_.default_interview_plan.empty()) {
    std::string id = plan_id_by_name(plan_options_.default_interview_plan);
    if (id.empty())
      throw sdk::Error(ATSM_INVALID, "the default interview plan '" +
                                         plan_options_.default_interview_plan +
                                         "' does not exist in Ashby");
    return id;
  }
  std::vector<object> plans = cached_list("interviewPlan.list");
  if (plans.size() != 1)
    throw sdk::Error(ATSM_INVALID, "default_interview_plan is not set and Ashby has " +
                                       std::to_string(plans.size()) +
                                       " interview plans: name the one new jobs use");
  return text_of(plans.front(), "id");
}

AshbySink::FormInfo AshbySink::feedback_form() {
  {
    std::lock_guard lock(mutex_);
    if (form_)
      return *form_;
  }
  for (const object& form : cached_list("feedbackFormDefinition.list")) {
    if (!same_name(text_of(form, "title"), plan_options_.feedback_form))
      continue;
    FormInfo info;
    info.id = text_of(form, "id");
    const object* definition = object_at(form, "formDefinition");
    const array* sections = definition ? array_at(*definition, "sections") : nullptr;
    for (const value& section : sections ? *sections : array{}) {
      const array* fields = section.is_object() ? array_at(section.as_object(), "fields") : nullptr;
      for (const value& entry : fields ? *fields : array{}) {
        const object* field = entry.is_object() ? object_at(entry.as_object(), "field") : nullptr;
        if (field == nullptr)
          continue;
        std::string type = text_of(*field, "type");
        if (type == "Score" && info.score_path.empty())
          info.score_path = text_of(*field, "path");
        if ((type == "LongText" || type == "RichText" || type == "String") &&
            (info.text_path.empty() || (info.text_type == "String" && type != "String"))) {
          info.text_path = text_of(*field, "path");
          info.text_type = type;
        }
      }
    }
    if (info.text_path.empty())
      throw sdk::Error(ATSM_INVALID, "the feedback form '" + plan_options_.feedback_form +
                                         "' has no long text field to hold the feedback");
    std::lock_guard lock(mutex_);
    form_ = info;
    return info;
  }
  throw sdk::Error(ATSM_INVALID,
                   "no feedback form named '" + plan_options_.feedback_form + "' exists in Ashby");
}

std::optional<object> AshbySink::custom_field_by_id(const std::string& id) {
  for (const object& field : cached_list("customField.list"))
    if (text_of(field, "id") == id)
      return field;
  forget("customField.list");  // created since the list was read: read it again once
  for (const object& field : cached_list("customField.list"))
    if (text_of(field, "id") == id)
      return field;
  return std::nullopt;
}

// One create of a name at a time, so two threads never both create it; creates of other names
// go on meanwhile (a create held up by a slow answer held every other one up before).
std::mutex& AshbySink::create_lock(const std::string& list_method, const std::string& name) {
  std::lock_guard lock(mutex_);
  std::unique_ptr<std::mutex>& slot = create_locks_[{list_method, name_key(name)}];
  if (!slot)
    slot = std::make_unique<std::mutex>();
  return *slot;
}

std::string AshbySink::ensure_named(const std::string& list_method,
                                    const std::string& create_method, const std::string& name_key,
                                    const std::string& name, const object& create_body) {
  auto lookup = [&]() -> std::string {
    for (const object& item : cached_list(list_method))
      if (same_name(text_of(item, name_key), name) &&
          (!create_body.contains("objectType") ||
           text_of(item, "objectType") == text_of(create_body, "objectType")))
        return text_of(item, "id");
    return {};
  };
  if (std::string id = lookup(); !id.empty())
    return id;
  std::lock_guard one_create_of_this_name(create_lock(list_method, name));
  if (std::string id = lookup(); !id.empty())
    return id;  // another thread created it meanwhile
  try {
    object created =
        as_object(client_.results(create_method, create_body, CallKind::create), create_method);
    remember(list_method, created);
    return text_of(created, "id");
  } catch (const sdk::Error& error) {
    if (error.status() != ATSM_AMBIGUOUS)
      throw;
    // The create may have been applied: read the list again and adopt what is there.
    forget(list_method);
    if (std::string id = lookup(); !id.empty())
      return id;
    throw sdk::Error(ATSM_RETRY,
                     std::string(error.what()) + "; '" + name + "' was not created, retry",
                     error.vendor_code(), error.vendor_request_id(), error.http_status());
  }
}

std::string AshbySink::legacy_field_id(const std::string& object_type) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = legacy_fields_.find(object_type); it != legacy_fields_.end())
      return it->second;
  }
  const std::string& title = object_type == "Candidate" ? config_.legacy_candidate_field
                                                        : config_.legacy_application_field;
  std::string id = ensure_named("customField.list", "customField.create", "title", title,
                                object{{"title", title},
                                       {"objectType", object_type},
                                       {"fieldType", "String"},
                                       {"description", "Source record ids written by atsmigrate"}});
  std::lock_guard lock(mutex_);
  legacy_fields_[object_type] = id;
  return id;
}

std::string AshbySink::ensure_tag(const std::string& title) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = tag_ids_.find(lower(title)); it != tag_ids_.end())
      return it->second;
  }
  // candidateTag.create returns the existing tag of that title, so repeating it is safe.
  object tag = as_object(
      client_.results("candidateTag.create", object{{"title", title}}, CallKind::idempotent_write),
      "candidateTag.create");
  std::string id = text_of(tag, "id");
  if (id.empty())
    throw sdk::Error(ATSM_RETRY, "Ashby candidateTag.create answered a tag without an id",
                     "malformed_response");
  std::lock_guard lock(mutex_);
  tag_ids_[lower(title)] = id;
  return id;
}

// config.default_archive_reason ("Other" unless set), by title or id; empty when it is empty or
// names no archive reason in Ashby.
std::string AshbySink::archive_reason_fallback() {
  const std::string& wanted = config_.default_archive_reason;
  if (wanted.empty())
    return {};
  for (const object& reason : cached_list("archiveReason.list"))
    if (same_name(text_of(reason, "text"), wanted) || text_of(reason, "id") == wanted)
      return text_of(reason, "id");
  return {};
}

// The roles Ashby offers, by lower-case title. hiringTeamRole.list is in Ashby's document
// (sandbox/validator/paths-index.txt) but outside the extract, so its answer's shape is unverified:
// `namesOnly: false` asks for the roles rather than their names, and each role's id is read with
// its `title` or `label` (third-party clients use either). Names alone carry no id: none usable.
std::map<std::string, std::string> AshbySink::hiring_team_roles() {
  {
    std::lock_guard lock(mutex_);
    if (hiring_team_roles_)
      return *hiring_team_roles_;
  }
  std::map<std::string, std::string> roles;
  value listed =
      client_.results("hiringTeamRole.list", object{{"namesOnly", false}}, CallKind::read);
  if (listed.is_array())
    for (const value& role : listed.as_array()) {
      if (!role.is_object())
        continue;
      std::string title = text_of(role.as_object(), "title");
      if (title.empty())
        title = text_of(role.as_object(), "label");
      std::string id = text_of(role.as_object(), "id");
      if (!title.empty() && !id.empty())
        roles.emplace(lower(title), id);
    }
  std::lock_guard lock(mutex_);
  hiring_team_roles_ = roles;
  return roles;
}

}  // namespace atsm::ashby
