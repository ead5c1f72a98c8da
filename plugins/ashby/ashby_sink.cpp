#include "ashby_sink.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>

#include "html.hpp"
#include "model/codec.hpp"
#include "model/email.hpp"
#include "model/time.hpp"
#include "render.hpp"

namespace atsm::ashby {
namespace {

// 8-4-4-4-12 hexadecimal digits, as RFC 4122 writes a UUID.
bool is_uuid(std::string_view text) {
  if (text.size() != 36)
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i])))
      return false;
  }
  return true;
}

using json::array;
using json::object;
using json::value;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Titles match the way an operator reads them: case and surrounding spaces do not matter.
bool same_name(std::string_view a, std::string_view b) {
  auto trim = [](std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
      text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
      text.remove_suffix(1);
    return text;
  };
  return lower(trim(a)) == lower(trim(b));
}

[[noreturn]] void invalid(const std::string& message) {
  throw sdk::Error(ATSM_INVALID, message);
}

bool transient(atsm_status status) {
  return status == ATSM_RETRY || status == ATSM_RATE_LIMITED || status == ATSM_AMBIGUOUS ||
         status == ATSM_CANCELLED;
}

std::optional<int64_t> epoch_ms(std::string_view timestamp) {
  return model::timestamp_to_epoch_millis(timestamp);
}

bool same_instant(const std::optional<std::string>& a, std::string_view b) {
  if (!a)
    return false;
  auto left = epoch_ms(*a), right = epoch_ms(b);
  return left && right && *left == *right;
}

const object* object_at(const object& parent, std::string_view key) {
  const value* member = parent.if_contains(key);
  return member != nullptr && member->is_object() ? &member->as_object() : nullptr;
}

const array* array_at(const object& parent, std::string_view key) {
  const value* member = parent.if_contains(key);
  return member != nullptr && member->is_array() ? &member->as_array() : nullptr;
}

object as_object(const value& results, const std::string& method) {
  if (!results.is_object())
    throw sdk::Error(ATSM_RETRY, "Ashby " + method + " answered a result that is not an object",
                     "malformed_response");
  return results.as_object();
}

// The value of the custom field titled `title` (case-insensitive) on an Ashby object.
std::string custom_value_by_title(const object& ashby_object, const std::string& title) {
  if (const array* fields = array_at(ashby_object, "customFields"))
    for (const value& field : *fields)
      if (field.is_object() && same_name(text_of(field.as_object(), "title"), title))
        if (const value* v = field.as_object().if_contains("value"); v && v->is_string())
          return std::string(v->as_string());
  return {};
}

std::set<std::string> split_keys(const std::string& text) {
  std::set<std::string> keys;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos)
      end = text.size();
    if (end > start)
      keys.insert(text.substr(start, end - start));
    start = end + 1;
  }
  return keys;
}

std::string join_keys(const std::set<std::string>& keys) {
  std::string text;
  for (const std::string& key : keys)
    text += (text.empty() ? "" : ";") + key;
  return text;
}

std::string person_name(const model::Person& person) {
  if (person.name && !person.name->empty())
    return *person.name;
  std::string name = person.first_name.value_or("");
  if (person.last_name && !person.last_name->empty())
    name += (name.empty() ? "" : " ") + *person.last_name;
  return name;
}

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

const char* ashby_object_type(model::CustomFieldObject object_type) {
  switch (object_type) {
    case model::CustomFieldObject::person:
      return "Candidate";
    case model::CustomFieldObject::candidacy:
      return "Application";
    case model::CustomFieldObject::job:
      return "Job";
  }
  return "Candidate";
}

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

// "a:b" composite target ids (a note's candidate, a feedback's application) split in two.
std::pair<std::string, std::string> split_target(const std::string& target_id) {
  size_t colon = target_id.find(':');
  if (colon == std::string::npos)
    return {"", target_id};
  return {target_id.substr(0, colon), target_id.substr(colon + 1)};
}

// What the report counts for a job confidential in the source (the plan names each one).
constexpr const char* kConfidentialJobLoss =
    "confidential in the source: Ashby's API cannot make a job confidential; make it "
    "confidential in Ashby's web app (the plan lists each such job)";

// The host intents (atsm.host.intents/1) of jobs an application detour opened: key the job id,
// value the status the job goes back to.
constexpr const char* kDetourTopic = "job_status_detour";
// The host intents of jobs confidential in the source whose candidacies wait until Ashby shows
// the job confidential: key the job id, value its title.
constexpr const char* kConfidentialTopic = "confidential_job_hold";

bool is_true(const object& item, std::string_view key) {
  const value* member = item.if_contains(key);
  return member != nullptr && member->is_bool() && member->as_bool();
}

// job.list leaves Draft jobs out unless `status` names Draft (specs/ashby, job.list's
// description); a new job is Draft until opened, so every lookup asks for every status.
const object kEveryJobStatus{
    {"status", array{value("Draft"), value("Open"), value("Closed"), value("Archived")}}};

std::string iso_or_empty(const object& item, std::string_view key) {
  std::string text = text_of(item, key);
  if (text.empty())
    return text;
  return model::normalize_timestamp(text).value_or("");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Options, items, results

SinkOptions parse_sink_options(std::string_view config_json) {
  SinkOptions options;
  boost::system::error_code ec;
  value parsed = json::parse(config_json, ec);
  if (ec || !parsed.is_object())
    invalid("ashby config: expected a JSON object, got '" + std::string(config_json.substr(0, 80)) +
            "'");
  std::map<std::string, std::string*, std::less<>> strings{
      {"base_url", &options.base_url},
      {"feedback_form", &options.feedback_form},
      {"default_interview_plan", &options.default_interview_plan},
      {"default_archive_reason", &options.default_archive_reason},
      {"legacy_candidate_field", &options.legacy_candidate_field},
      {"legacy_application_field", &options.legacy_application_field},
      {"jobless", &options.jobless},
      {"jobless_job", &options.jobless_job},
      {"scorecards", &options.scorecards},
      {"private_notes", &options.private_notes},
      {"interviews", &options.interviews},
      {"offers", &options.offers},
      {"uploads", &options.uploads},
      {"fallback_user", &options.fallback_user},
      {"confidential_jobs", &options.confidential_jobs}};
  std::vector<std::string> unknown;
  for (const auto& [key, member] : parsed.as_object()) {
    if (key == "rate_limit_per_minute") {
      if (!member.is_number() || member.to_number<double>() <= 0)
        invalid("ashby config: 'rate_limit_per_minute' must be a positive number");
      options.rate_limit_per_minute = member.to_number<double>();
      continue;
    }
    auto it = strings.find(std::string_view(key));
    if (it == strings.end()) {
      unknown.push_back(std::string(key));
      continue;
    }
    if (!member.is_string())
      invalid("ashby config: '" + std::string(key) + "' must be a string");
    *it->second = std::string(member.as_string());
  }
  if (!unknown.empty()) {
    std::string names;
    for (const std::string& name : unknown)
      names += (names.empty() ? "'" : ", '") + name + "'";
    invalid("ashby config: unknown key(s) " + names);
  }
  auto check = [](const std::string& key, const std::string& got,
                  std::initializer_list<const char*> allowed) {
    for (const char* choice : allowed)
      if (got == choice)
        return;
    std::string list;
    for (const char* choice : allowed)
      list += (list.empty() ? "" : " | ") + std::string(choice);
    invalid("ashby config: '" + key + "' must be " + list + ", not '" + got + "'");
  };
  check("jobless", options.jobless, {"candidate_only", "lead_application"});
  check("scorecards", options.scorecards, {"feedback_and_note", "feedback", "note"});
  check("private_notes", options.private_notes, {"private", "skip"});
  check("interviews", options.interviews, {"note", "skip"});
  check("offers", options.offers, {"note", "skip"});
  check("uploads", options.uploads, {"handle", "multipart"});
  check("confidential_jobs", options.confidential_jobs, {"hold", "proceed"});
  if (options.base_url.rfind("http://", 0) != 0 && options.base_url.rfind("https://", 0) != 0)
    invalid("ashby config: 'base_url' must be an http(s) URL, not '" + options.base_url + "'");
  return options;
}

WriteItem parse_write_item(const value& json_item, const std::string& kind) {
  if (!json_item.is_object())
    invalid("write item of kind " + kind + ": expected a JSON object");
  const object& raw = json_item.as_object();
  WriteItem item;
  item.key = text_of(raw, "key");
  if (item.key.empty())
    invalid("write item of kind " + kind + ": field 'key' is missing or not a string");
  const value* record = raw.if_contains("record");
  if (record == nullptr)
    invalid("write item " + item.key + ": field 'record' is missing");
  try {
    item.record = model::record_from_json(*record);
    if (const array* group = array_at(raw, "group"))
      for (const value& member : *group)
        item.group.push_back(model::record_from_json(member));
  } catch (const model::ModelError& error) {
    invalid("write item " + item.key + ": " + error.what());
  }
  std::string record_kind(model::to_string(model::kind_of(item.record)));
  if (record_kind != kind)
    invalid("write item " + item.key + ": field 'record': a " + record_kind +
            " record in a write of kind " + kind);
  if (const object* refs = object_at(raw, "refs")) {
    for (const auto& [key, target] : *refs) {
      if (!target.is_string())
        invalid("write item " + item.key + ": field 'refs." + std::string(key) +
                "' must be a string");
      item.refs[std::string(key)] = std::string(target.as_string());
    }
  }
  item.target_id = text_of(raw, "target_id");
  if (const value* lookup = raw.if_contains("lookup_first"); lookup && lookup->is_bool())
    item.lookup_first = lookup->as_bool();
  for (const auto& [key, member] : raw)
    if (key != "key" && key != "record" && key != "group" && key != "refs" && key != "target_id" &&
        key != "lookup_first" && key != "attempt")
      item.extra[key] = member;
  return item;
}

object ItemResult::to_json() const {
  array lossy_json;
  for (const std::string& line : lossy)
    lossy_json.emplace_back(line);
  object out{{"key", key},
             {"status", status},
             {"target_id", target_id},
             {"derived", derived},
             {"lossy", std::move(lossy_json)},
             {"message", message},
             {"vendor_code", vendor_code},
             {"vendor_request_id", vendor_request_id}};
  if (!skipped.empty())
    out["skipped"] = skipped;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Construction and catalog

AshbySink::AshbySink(sdk::Host host, std::string_view config_json)
    : options_(parse_sink_options(config_json)), client_(host, options_.base_url) {
  // Ashby counts requests per minute (ashby.md §4), by their arrival. Paced at 97 % of the
  // limit, a minute of sends fits its window even when some arrive up to 1.8 s later than others
  // (a slow tail); at the full rate, or with a large burst, the window's last requests would
  // meet 429s, each of which wastes a call and pauses the bucket. A burst of 2 lets a writer
  // that wakes late make its slot up instead of losing it.
  constexpr double kPacedShare = 0.97;
  double per_second = kPacedShare * options_.rate_limit_per_minute / 60.0;
  host.declare_token_bucket(kBucket, per_second, 2);
  // Reports: 15 per minute and 3 at once (ashby.md §4), scaled like the main bucket.
  host.declare_token_bucket(kReportsBucket, 15.0 * options_.rate_limit_per_minute / 1000.0 / 60.0,
                            1, 3);
}

std::vector<object> AshbySink::cached_list(const std::string& method, const object& body) {
  {
    std::lock_guard lock(mutex_);
    auto it = lists_.find(method);
    if (it != lists_.end())
      return it->second;
  }
  std::vector<object> items = client_.list_all(method, body);
  std::lock_guard lock(mutex_);
  auto [it, inserted] = lists_.try_emplace(method, std::move(items));
  if (inserted)
    for (const object& made : created_[method])
      if (std::none_of(it->second.begin(), it->second.end(), [&](const object& listed) {
            return text_of(listed, "id") == text_of(made, "id");
          }))
        it->second.push_back(made);
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
  if (!options_.default_interview_plan.empty()) {
    std::string id = plan_id_by_name(options_.default_interview_plan);
    if (id.empty())
      throw sdk::Error(ATSM_INVALID, "the default interview plan '" +
                                         options_.default_interview_plan +
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
    if (!same_name(text_of(form, "title"), options_.feedback_form))
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
      throw sdk::Error(ATSM_INVALID, "the feedback form '" + options_.feedback_form +
                                         "' has no long text field to hold the feedback");
    std::lock_guard lock(mutex_);
    form_ = info;
    return info;
  }
  throw sdk::Error(ATSM_INVALID,
                   "no feedback form named '" + options_.feedback_form + "' exists in Ashby");
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
  std::lock_guard create_lock(create_mutex_);
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
  const std::string& title = object_type == "Candidate" ? options_.legacy_candidate_field
                                                        : options_.legacy_application_field;
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

std::string AshbySink::archive_reason_fallback() {
  std::vector<object> reasons = cached_list("archiveReason.list");
  std::string wanted = options_.default_archive_reason.empty() ? std::string("Other")
                                                               : options_.default_archive_reason;
  for (const object& reason : reasons)
    if (same_name(text_of(reason, "text"), wanted) || text_of(reason, "id") == wanted)
      return text_of(reason, "id");
  return {};
}

std::string AshbySink::ref(const WriteItem& item, const std::optional<std::string>& key) const {
  if (!key)
    return {};
  auto it = item.refs.find(*key);
  return it == item.refs.end() ? std::string() : it->second;
}

// ---------------------------------------------------------------------------------------------
// prepare: the catalog and everything the plan names that Ashby lacks, all at once

namespace {

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

// ---------------------------------------------------------------------------------------------
// write

std::string AshbySink::write(const std::string& kind, const std::string& items_json) {
  static const std::set<std::string, std::less<>> kKinds{
      "department", "office", "job",      "tag",       "custom_field", "person",
      "candidacy",  "note",   "feedback", "interview", "offer",        "file"};
  if (kKinds.count(kind) == 0)
    invalid("ashby write: kind '" + kind + "' is not one the Ashby sink writes");
  boost::system::error_code ec;
  value parsed = json::parse(items_json, ec);
  if (ec || !parsed.is_array())
    invalid("ashby write of " + kind + ": the items are not a JSON array");
  {
    // A run killed inside a detour left its jobs Open: they go back before anything is written.
    std::lock_guard lock(restore_mutex_);
    if (!detours_checked_) {
      try {
        restore_detoured_jobs();
        detours_checked_ = true;
      } catch (const sdk::Error& error) {
        if (!transient(error.status()))
          throw;
        // The next write, or finish, tries again; the items need not wait for it.
        client_.host().log(ATSM_LOG_WARN,
                           std::string("ashby: a job opened for applications by an earlier run "
                                       "could not be put back yet: ") +
                               error.what());
      }
    }
  }
  array results;
  const array& items = parsed.as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    client_.host().check_cancelled();
    ItemResult result;
    try {
      WriteItem item = parse_write_item(items[i], kind);
      result = write_item(kind, item);
    } catch (const sdk::Error& error) {
      result.status = atsm_status_name(error.status());
      result.message = error.what();
      if (items[i].is_object())
        result.key = text_of(items[i].as_object(), "key");
      if (result.key.empty())
        result.key = "items[" + std::to_string(i) + "]";
    }
    results.push_back(result.to_json());
  }
  return json::serialize(results);
}

ItemResult AshbySink::write_item(const std::string& kind, const WriteItem& item) {
  ItemResult result;
  result.key = item.key;
  try {
    if (kind == "department" || kind == "office")
      write_department(item, result, kind == "office");
    else if (kind == "job")
      write_job(item, result);
    else if (kind == "tag")
      write_tag(item, result);
    else if (kind == "custom_field")
      write_custom_field(item, result);
    else if (kind == "person")
      write_person(item, result);
    else if (kind == "candidacy")
      write_candidacy(item, result);
    else if (kind == "note")
      write_note(item, result);
    else if (kind == "feedback")
      write_feedback(item, result);
    else if (kind == "interview")
      write_interviews(item, result);
    else if (kind == "offer")
      write_offer(item, result);
    else if (kind == "file")
      write_file(item, result);
    else
      invalid("write item " + item.key + ": kind '" + kind + "' is not written by the Ashby sink");
  } catch (const sdk::Error& error) {
    atsm_status status = error.status();
    // The object exists but a later step failed: the host must look it up (lookup_first) and
    // let the sink finish, never create it again.
    if (!result.target_id.empty() && result.target_id != item.target_id && transient(status))
      status = ATSM_AMBIGUOUS;
    result.status = atsm_status_name(status);
    result.message = "ashby " + kind + " " + item.key + ": " + error.what();
    if (!result.target_id.empty())
      result.message += " (target " + result.target_id + " exists)";
    result.vendor_code = error.vendor_code();
    result.vendor_request_id = error.vendor_request_id();
  } catch (const std::exception& error) {
    result.status = "internal";
    result.message = "ashby " + kind + " " + item.key + ": " + error.what();
  }
  return result;
}

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

std::optional<std::string> AshbySink::find_job(const WriteItem& item) {
  const model::Job& job = std::get<model::Job>(item.record);
  std::vector<object> jobs = client_.list_all("job.list", kEveryJobStatus);
  std::optional<std::string> found;
  // The most recent job of that title: an ambiguous create is the newest one.
  for (const object& candidate : jobs)
    if (text_of(candidate, "title") == job.title)
      found = text_of(candidate, "id");
  return found;
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
  // Neither job.create nor job.update defines `confidential` (specs/ashby): the plan lists
  // these jobs with the operator's step (make_confidential_steps), the report counts them here.
  if (job.confidential.value_or(false)) {
    result.lossy.push_back(kConfidentialJobLoss);
    // Remembered in the work dir, so a later run still holds the job's candidacies (and
    // releases them) although the job itself is not written again.
    if (options_.confidential_jobs == "hold" && !is_true(current, "confidential")) {
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

// The roles Ashby offers, by lower-case title. hiringTeamRole.list is in Ashby's document
// (specs/ashby/paths-index.txt) but outside the extract, so its answer's shape is unverified:
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

// The job's hiring team (job.hiring_manager_user_keys, owner_user_key) through
// hiringTeam.addMember's job-level form (specs/ashby: {jobId, teamMemberId, roleId}): each hiring
// manager as "Hiring Manager", the owner as "Recruiter" (Greenhouse's responsible recruiter,
// Lever's posting owner). A member the job's answer already lists is not added again. A user
// that resolves to no Ashby user, or only to the fallback user (options.fallback_user stands in
// for authors, not for a hiring team), and a role Ashby does not offer are lossy lines.
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
  if (!options_.fallback_user.empty())
    for (const object& user : cached_list("user.list", object{{"includeDeactivated", true}}))
      if (same_name(text_of(user, "email"), options_.fallback_user))
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

// New jobs are Draft; walks the moves job.setStatus allows (specs/ashby, job.setStatus: Draft ->
// Open | Archived, Open -> Closed, Closed -> Draft | Archived, Archived -> Draft).
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

// ---------------------------------------------------------------------------------------------
// persons -> candidates

namespace {

std::vector<const model::Person*> persons_of(const WriteItem& item) {
  std::vector<const model::Person*> persons{&std::get<model::Person>(item.record)};
  for (const model::Record& member : item.group)
    if (const auto* person = std::get_if<model::Person>(&member))
      persons.push_back(person);
  return persons;
}

struct CandidateFields {
  std::string name;
  std::string email;
  std::vector<std::string> alternates;
  std::string phone;
  std::string linkedin, github, website;
  array other_links;  // socialLinks entries Ashby's create cannot take
  std::optional<LocationParts> location;
  std::optional<std::string> created_at;
  std::set<std::string> legacy_keys;
  std::vector<std::string> tags;
};

CandidateFields candidate_fields(const std::vector<const model::Person*>& persons,
                                 std::vector<std::string>& lossy) {
  CandidateFields fields;
  const model::Person& primary = *persons.front();
  fields.name = person_name(primary);
  for (const model::Person* person : persons) {
    if (fields.name.empty())
      fields.name = person_name(*person);
    fields.legacy_keys.insert(person->source_key);
    for (const model::Email& email : person->emails) {
      std::optional<std::string> normalized = model::normalize_email(email.address);
      if (!normalized) {
        lossy.push_back("an invalid email of " + person->source_key + " not migrated");
        continue;
      }
      if (fields.email.empty())
        fields.email = *normalized;
      else if (*normalized != fields.email &&
               std::find(fields.alternates.begin(), fields.alternates.end(), *normalized) ==
                   fields.alternates.end())
        fields.alternates.push_back(*normalized);
    }
    if (fields.phone.empty() && !person->phones.empty())
      fields.phone = person->phones.front().number;
    for (const model::Link& link : person->links) {
      if (!is_http_url(link.url))
        continue;  // kept in the profile note
      std::string type = social_link_type(link);
      if (type == "LinkedIn" && fields.linkedin.empty())
        fields.linkedin = link.url;
      else if (type == "GitHub" && fields.github.empty())
        fields.github = link.url;
      else if (type == "Website" && fields.website.empty())
        fields.website = link.url;
      else
        fields.other_links.push_back(object{{"type", type}, {"url", link.url}});
    }
    if (!fields.location) {
      std::string text = person->location.value_or("");
      if (text.empty() && !person->addresses.empty())
        text = person->addresses.front().value;
      if (!text.empty())
        fields.location = parse_location(text);
    }
    if (person->created_at &&
        (!fields.created_at || epoch_ms(*person->created_at) < epoch_ms(*fields.created_at)))
      fields.created_at = person->created_at;
    for (const std::string& tag : person->tags)
      if (std::find(fields.tags.begin(), fields.tags.end(), tag) == fields.tags.end())
        fields.tags.push_back(tag);
  }
  if (fields.name.empty()) {
    fields.name = fields.email.empty() ? "Unnamed candidate" : fields.email;
    lossy.push_back("no name in the source: the candidate is named '" + fields.name + "'");
  }
  return fields;
}

// A Date field's value is a date-time (specs/ashby, customField.setValues: fieldValue's Date
// branch, format date-time): a calendar day is its start in UTC; null when it is neither.
value ashby_date(const value& source) {
  if (!source.is_string())
    return nullptr;
  std::string text(source.as_string());
  if (model::is_valid_date(text))
    return value(text + "T00:00:00.000Z");
  if (auto ms = model::timestamp_to_epoch_millis(text))
    return value(model::format_epoch_millis(*ms));
  return nullptr;
}

// A Currency field's value is {value: number, currencyCode: ISO 4217} (specs/ashby,
// customField.setValues); sources give {unit, amount} (Greenhouse) or {currency, value}. Null
// when there is no amount or no three-letter code.
value ashby_currency(const value& source) {
  if (!source.is_object())
    return nullptr;
  const object& money = source.as_object();
  std::optional<double> amount;
  for (const char* key : {"value", "amount"})
    if (const value* number = money.if_contains(key); number && !amount) {
      if (number->is_number()) {
        amount = number->to_number<double>();
      } else if (number->is_string()) {
        try {
          size_t used = 0;
          std::string text(number->as_string());
          double parsed = std::stod(text, &used);
          if (used == text.size())
            amount = parsed;
        } catch (const std::exception&) {
        }
      }
    }
  std::string code;
  for (const char* key : {"currencyCode", "unit", "currency"})
    if (code.empty())
      code = text_of(money, key);
  std::transform(code.begin(), code.end(), code.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  bool letters = code.size() == 3 && std::all_of(code.begin(), code.end(), [](unsigned char c) {
                   return std::isupper(c) != 0;
                 });
  if (!amount || !letters)
    return nullptr;
  value out = object{{"value", *amount}, {"currencyCode", code}};
  if (std::floor(*amount) == *amount && std::abs(*amount) < 9e15)
    out.as_object()["value"] = static_cast<int64_t>(*amount);
  return out;
}

object location_json(const LocationParts& parts) {
  object location;
  if (!parts.city.empty())
    location["city"] = parts.city;
  if (!parts.region.empty())
    location["region"] = parts.region;
  if (!parts.country.empty())
    location["country"] = parts.country;
  return location;
}

}  // namespace

array AshbySink::custom_values(const std::vector<model::CustomFieldValue>& values,
                               const WriteItem& item, ItemResult& result) {
  array out;
  for (const model::CustomFieldValue& entry : values) {
    std::string label = entry.name.value_or(entry.field_key);
    std::string field_id = ref(item, entry.field_key);
    if (field_id.empty()) {
      result.lossy.push_back("custom field " + label + " has no Ashby field: value not migrated");
      continue;
    }
    std::optional<object> definition = custom_field_by_id(field_id);
    if (!definition) {
      result.lossy.push_back("custom field " + label + " maps to Ashby field " + field_id +
                             ", which does not exist: value not migrated");
      continue;
    }
    std::string type = text_of(*definition, "fieldType");
    const value& v = entry.value;
    value converted;
    if (v.is_null()) {
      continue;
    } else if (type == "String" || type == "LongText" || type == "Email" || type == "Phone") {
      converted = value_text(v);
    } else if (type == "ValueSelect") {
      const value* first = v.is_array() ? (v.as_array().empty() ? nullptr : &v.as_array()[0]) : &v;
      if (first == nullptr)
        continue;
      if (v.is_array() && v.as_array().size() > 1)
        result.lossy.push_back("custom field " + label +
                               ": only the first of several values kept (single select in Ashby)");
      converted = value_text(*first);
    } else if (type == "MultiValueSelect") {
      array list;
      if (v.is_array())
        for (const value& option : v.as_array())
          list.emplace_back(value_text(option));
      else
        list.emplace_back(value_text(v));
      converted = std::move(list);
    } else if (type == "Boolean") {
      if (v.is_bool())
        converted = v;
      else if (v.is_string())
        converted = lower(v.as_string()) == "true" || lower(v.as_string()) == "yes";
      else
        converted = nullptr;
    } else if (type == "Number") {
      if (v.is_number()) {
        converted = v;
      } else if (v.is_string()) {
        try {
          converted = std::stod(std::string(v.as_string()));
        } catch (const std::exception&) {
          converted = nullptr;
        }
      }
    } else if (type == "Url") {
      if (v.is_string() && is_http_url(v.as_string()))
        converted = v;
      else
        converted = nullptr;
    } else if (type == "Date") {
      converted = ashby_date(v);
    } else if (type == "Currency") {
      converted = ashby_currency(v);
    } else {
      converted = v;  // NumberRange, CompensationRange: as the source gave them
    }
    if (converted.is_null()) {
      result.lossy.push_back("custom field " + label + ": a value that does not fit Ashby's " +
                             type + " field not migrated");
      continue;
    }
    out.push_back(object{{"fieldId", field_id}, {"fieldValue", std::move(converted)}});
  }
  return out;
}

void AshbySink::set_custom_values(const std::string& object_type, const std::string& object_id,
                                  const array& values, ItemResult& result) {
  if (values.empty())
    return;
  object body{{"objectId", object_id}, {"objectType", object_type}, {"values", values}};
  try {
    client_.results("customField.setValues", body, CallKind::idempotent_write);
  } catch (const sdk::Error& error) {
    if (error.status() != ATSM_INVALID || values.size() == 1)
      throw;
    // One value Ashby refuses must not cost the others (and never the legacy id): set them one
    // at a time and report the refused ones.
    for (const value& entry : values) {
      try {
        client_.results(
            "customField.setValues",
            object{{"objectId", object_id}, {"objectType", object_type}, {"values", array{entry}}},
            CallKind::idempotent_write);
      } catch (const sdk::Error& single) {
        if (single.status() != ATSM_INVALID)
          throw;
        result.lossy.push_back("custom field " + text_of(entry.as_object(), "fieldId") +
                               " refused by Ashby: " + single.what());
      }
    }
  }
}

void AshbySink::add_tags(const std::string& candidate_id, const std::vector<std::string>& tags,
                         const object* candidate) {
  // The tags the candidate holds: from its answer when there is one, else what this instance
  // added (a candidacy's tags are mostly its person's, already added with the candidate).
  std::set<std::string> present;
  if (candidate != nullptr)
    if (const array* existing = array_at(*candidate, "tags"))
      for (const value& tag : *existing)
        if (tag.is_object())
          present.insert(text_of(tag.as_object(), "id"));
  {
    std::lock_guard lock(mutex_);
    const std::set<std::string>& added = tags_added_[candidate_id];
    present.insert(added.begin(), added.end());
  }
  for (const std::string& title : tags) {
    if (title.empty())
      continue;
    std::string tag_id = ensure_tag(title);
    if (!present.insert(tag_id).second)
      continue;
    client_.results("candidate.addTag", object{{"candidateId", candidate_id}, {"tagId", tag_id}},
                    CallKind::idempotent_write);
    std::lock_guard lock(mutex_);
    tags_added_[candidate_id].insert(tag_id);
  }
  if (candidate != nullptr) {
    std::lock_guard lock(mutex_);
    tags_added_[candidate_id].insert(present.begin(), present.end());
  }
}

std::optional<std::string> AshbySink::find_candidate(const WriteItem& item) {
  std::vector<const model::Person*> persons = persons_of(item);
  std::vector<std::string> ignored;
  CandidateFields fields = candidate_fields(persons, ignored);
  auto ours = [&](const object& candidate) {
    for (const std::string& key :
         split_keys(custom_value_by_title(candidate, options_.legacy_candidate_field)))
      if (fields.legacy_keys.count(key) > 0)
        return true;
    return false;
  };
  std::vector<std::string> emails;
  if (!fields.email.empty())
    emails.push_back(fields.email);
  emails.insert(emails.end(), fields.alternates.begin(), fields.alternates.end());
  std::optional<std::string> by_email;
  for (const std::string& email : emails) {
    value found = client_.results("candidate.search", object{{"email", email}}, CallKind::read);
    if (!found.is_array())
      continue;
    for (const value& candidate : found.as_array()) {
      if (!candidate.is_object())
        continue;
      if (ours(candidate.as_object()))
        return text_of(candidate.as_object(), "id");
      if (!by_email)
        by_email = text_of(candidate.as_object(), "id");
    }
  }
  if (by_email)
    return by_email;
  // No email: the name, and the creation time we backdated it to, on a candidate that has no
  // legacy id yet (the ambiguous create never got that far) or has ours.
  value found = client_.results("candidate.search", object{{"name", fields.name}}, CallKind::read);
  if (!found.is_array())
    return std::nullopt;
  for (const value& candidate : found.as_array()) {
    if (!candidate.is_object())
      continue;
    const object& c = candidate.as_object();
    if (ours(c))
      return text_of(c, "id");
    if (custom_value_by_title(c, options_.legacy_candidate_field).empty() && fields.created_at &&
        same_instant(fields.created_at, text_of(c, "createdAt")))
      return text_of(c, "id");
  }
  return std::nullopt;
}

void AshbySink::write_person(const WriteItem& item, ItemResult& result) {
  std::vector<const model::Person*> persons = persons_of(item);
  CandidateFields fields = candidate_fields(persons, result.lossy);
  std::string id = item.target_id;
  if (id.empty() && item.lookup_first)
    if (auto found = find_candidate(item))
      id = *found;
  const bool created = id.empty();
  object candidate;
  if (created) {
    object body{{"name", fields.name}};
    if (!fields.email.empty())
      body["email"] = fields.email;
    if (!fields.alternates.empty()) {
      array alternates;
      for (const std::string& email : fields.alternates)
        alternates.emplace_back(email);
      body["alternateEmailAddresses"] = std::move(alternates);
    }
    if (!fields.phone.empty())
      body["phoneNumber"] = fields.phone;
    if (!fields.linkedin.empty())
      body["linkedInUrl"] = fields.linkedin;
    if (!fields.github.empty())
      body["githubUrl"] = fields.github;
    if (!fields.website.empty())
      body["website"] = fields.website;
    if (fields.location)
      body["location"] = location_json(*fields.location);
    if (fields.created_at)
      body["createdAt"] = *fields.created_at;
    if (std::string source = text_of(item.extra, "source_id"); !source.empty())
      body["sourceId"] = source;
    if (std::string user = text_of(item.extra, "credited_to_user_id"); !user.empty())
      body["creditedToUserId"] = user;
    candidate =
        as_object(client_.results("candidate.create", body, CallKind::create), "candidate.create");
    id = text_of(candidate, "id");
    if (id.empty())
      throw sdk::Error(ATSM_AMBIGUOUS, "candidate.create answered a candidate without an id",
                       "malformed_response");
    result.target_id = id;
  } else {
    result.target_id = id;
    candidate = as_object(client_.results("candidate.info", object{{"id", id}}, CallKind::read),
                          "candidate.info");
    // A merge or a changed record: add what the candidate lacks, never drop what it has.
    std::set<std::string> present;
    if (const array* emails = array_at(candidate, "emailAddresses"))
      for (const value& email : *emails)
        if (email.is_object())
          if (auto normalized = model::normalize_email(text_of(email.as_object(), "value")))
            present.insert(*normalized);
    object update{{"candidateId", id}, {"sendNotifications", false}};
    if (text_of(candidate, "name") != fields.name)
      update["name"] = fields.name;
    if (present.empty() && !fields.email.empty()) {
      update["email"] = fields.email;
      present.insert(fields.email);
    }
    if (update.size() > 2)
      candidate = as_object(client_.results("candidate.update", update, CallKind::idempotent_write),
                            "candidate.update");
    std::vector<std::string> wanted = fields.alternates;
    if (!fields.email.empty())
      wanted.insert(wanted.begin(), fields.email);
    for (const std::string& email : wanted) {
      if (!present.insert(email).second)
        continue;
      candidate = as_object(
          client_.results(
              "candidate.update",
              object{{"candidateId", id}, {"alternateEmail", email}, {"sendNotifications", false}},
              CallKind::idempotent_write),
          "candidate.update");
    }
  }

  // Legacy ids (merged with what an earlier run wrote) and the person's custom field values.
  std::set<std::string> legacy = fields.legacy_keys;
  for (const std::string& key :
       split_keys(custom_value_by_title(candidate, options_.legacy_candidate_field)))
    legacy.insert(key);
  array values{
      object{{"fieldId", legacy_field_id("Candidate")}, {"fieldValue", join_keys(legacy)}}};
  std::vector<model::CustomFieldValue> person_values;
  for (const model::Person* person : persons)
    person_values.insert(person_values.end(), person->custom_fields.begin(),
                         person->custom_fields.end());
  for (value& entry : custom_values(person_values, item, result))
    values.push_back(std::move(entry));
  set_custom_values("Candidate", id, values, result);

  if (!fields.other_links.empty()) {
    // socialLinks replaces every link (and the URL fields are then ignored): send them all.
    array links;
    if (!fields.linkedin.empty())
      links.push_back(object{{"type", "LinkedIn"}, {"url", fields.linkedin}});
    if (!fields.github.empty())
      links.push_back(object{{"type", "GitHub"}, {"url", fields.github}});
    if (!fields.website.empty())
      links.push_back(object{{"type", "Website"}, {"url", fields.website}});
    for (const value& link : fields.other_links)
      links.push_back(link);
    candidate = as_object(client_.results("candidate.update",
                                          object{{"candidateId", id},
                                                 {"socialLinks", std::move(links)},
                                                 {"sendNotifications", false}},
                                          CallKind::idempotent_write),
                          "candidate.update");
  }
  add_tags(id, fields.tags, &candidate);

  // One profile note per merged source record with content the candidate cannot hold.
  for (const model::Person* person : persons) {
    std::string hash = reference_hash(person->source_key, "profile");
    std::string html = profile_note_html(*person, hash, result.lossy);
    if (html.empty())
      continue;
    std::string note_id = create_note(id, html, false, person->created_at, hash, !created);
    result.derived.push_back(object{{"kind", "note"},
                                    {"target_id", id + ":" + note_id},
                                    {"what", "profile note of " + person->source_key}});
  }
}

// ---------------------------------------------------------------------------------------------
// candidacies -> applications

std::optional<std::string> AshbySink::find_application(const WriteItem& item) {
  const model::Candidacy& candidacy = std::get<model::Candidacy>(item.record);
  std::string candidate_id = ref(item, candidacy.person_key);
  std::string job_id = ref(item, candidacy.job_key);
  if (candidate_id.empty())
    return std::nullopt;
  object candidate =
      as_object(client_.results("candidate.info", object{{"id", candidate_id}}, CallKind::read),
                "candidate.info");
  const array* ids = array_at(candidate, "applicationIds");
  std::optional<std::string> unlabelled;
  for (const value& app_id : ids ? *ids : array{}) {
    if (!app_id.is_string())
      continue;
    object app =
        as_object(client_.results("application.info", object{{"applicationId", app_id.as_string()}},
                                  CallKind::read),
                  "application.info");
    std::string legacy = custom_value_by_title(app, options_.legacy_application_field);
    if (legacy == candidacy.source_key)
      return std::string(app_id.as_string());
    const object* job = object_at(app, "job");
    bool same_job = job != nullptr && (job_id.empty() || text_of(*job, "id") == job_id);
    // An ambiguous create never set the legacy id: same job, the backdated creation time.
    if (legacy.empty() && same_job && !unlabelled &&
        (!candidacy.created_at || same_instant(candidacy.created_at, text_of(app, "createdAt"))))
      unlabelled = std::string(app_id.as_string());
  }
  return unlabelled;
}

void AshbySink::write_candidacy(const WriteItem& item, ItemResult& result) {
  const model::Candidacy& candidacy = std::get<model::Candidacy>(item.record);
  std::string candidate_id = ref(item, candidacy.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + candidacy.person_key + " has no target id in refs");
  std::string job_id = ref(item, candidacy.job_key);
  if (candidacy.job_key && job_id.empty())
    invalid("field 'job_key': " + *candidacy.job_key + " has no target id in refs");
  if (std::string held = confidential_hold(job_id); !held.empty()) {
    result.status = "held";
    result.message = held;
    return;
  }
  if (!candidacy.job_key) {
    if (options_.jobless == "candidate_only") {
      add_tags(candidate_id, candidacy.tags, nullptr);
      write_application_content(item, candidate_id, "", result);
      result.skipped =
          "jobless candidacy: no application (jobless: candidate_only); its notes, "
          "feedback and files go to the candidate";
      return;
    }
    for (const object& job : client_.list_all("job.list", kEveryJobStatus))
      if (same_name(text_of(job, "title"), options_.jobless_job) ||
          text_of(job, "id") == options_.jobless_job)
        job_id = text_of(job, "id");
    if (job_id.empty())
      invalid("jobless candidacy: jobless_job '" + options_.jobless_job + "' names no Ashby job");
  }
  PlanInfo plan = job_plan(job_id);
  std::map<std::string, StageInfo> all_stages;
  auto stage_in_plan = [&](const std::string& stage_key) -> const StageInfo* {
    std::string stage_id = ref(item, stage_key);
    if (stage_id.empty()) {
      result.lossy.push_back("stage " + stage_key + " has no Ashby stage: left out of history");
      return nullptr;
    }
    for (const StageInfo& stage : plan.stages)
      if (stage.id == stage_id)
        return &stage;
    // Mapped to a stage of another plan: the stage of the same title in this job's plan.
    if (all_stages.empty())
      all_stages = stage_index();
    auto other = all_stages.find(stage_id);
    if (other != all_stages.end())
      for (const StageInfo& stage : plan.stages)
        if (same_name(stage.title, other->second.title))
          return &stage;
    invalid("stage " + stage_key + " maps to Ashby stage " + stage_id +
            ", which is not in the interview plan of job " + job_id);
  };
  auto first_of_type = [&](const std::string& type) -> const StageInfo* {
    for (const StageInfo& stage : plan.stages)
      if (stage.type == type)
        return &stage;
    return nullptr;
  };

  struct Entry {
    const StageInfo* stage;
    std::string at;
  };
  std::vector<Entry> history;
  std::string created_at = candidacy.created_at.value_or(candidacy.applied_at.value_or(""));
  auto push = [&](const StageInfo* stage, const std::string& at) {
    if (stage != nullptr && (history.empty() || history.back().stage->id != stage->id))
      history.push_back({stage, at.empty() ? created_at : at});
  };
  // A prospect starts in the plan's first Lead stage, whatever its source stages were.
  if (candidacy.is_prospect.value_or(false))
    push(first_of_type("Lead"), created_at);
  for (const model::StageChange& change : candidacy.stage_history)
    push(stage_in_plan(change.stage_key), change.entered_at);
  if (candidacy.stage_history.empty() && candidacy.stage_key)
    push(stage_in_plan(*candidacy.stage_key), created_at);
  std::string last_time = history.empty() ? created_at : history.back().at;
  std::string end_time = candidacy.archived_at.value_or(candidacy.updated_at.value_or(last_time));
  if (!history.empty() && epoch_ms(end_time) < epoch_ms(last_time))
    end_time = last_time;
  std::string archive_reason_id;
  if (candidacy.status == model::CandidacyStatus::hired) {
    const StageInfo* hired = first_of_type("Hired");
    if (hired == nullptr)
      throw sdk::Error(ATSM_PERMANENT, "the interview plan of job " + job_id +
                                           " has no Hired stage for a hired candidacy");
    push(hired, end_time);
  } else if (candidacy.status == model::CandidacyStatus::archived) {
    const StageInfo* archived = first_of_type("Archived");
    if (archived == nullptr)
      throw sdk::Error(ATSM_PERMANENT, "the interview plan of job " + job_id +
                                           " has no Archived stage for an archived candidacy");
    archive_reason_id = ref(item, candidacy.archive_reason_key);
    if (archive_reason_id.empty()) {
      archive_reason_id = archive_reason_fallback();
      if (archive_reason_id.empty())
        invalid(
            "field 'archive_reason_key': the archived candidacy has no mapped archive reason "
            "and default_archive_reason names none in Ashby");
      result.lossy.push_back("archive reason " + candidacy.archive_reason_key.value_or("(none)") +
                             " not mapped: the default archive reason was used");
    }
    push(archived, end_time);
  }
  array history_json;
  for (size_t i = 0; i < history.size(); ++i) {
    object entry{{"stageId", history[i].stage->id},
                 {"stageNumber", static_cast<int64_t>(i)},
                 {"enteredStageAt", history[i].at}};
    if (history[i].stage->type == "Archived")
      entry["archiveReasonId"] = archive_reason_id;
    history_json.push_back(std::move(entry));
  }

  std::string source_id;
  for (const model::SourceRef& source : candidacy.sources) {
    source_id = ref(item, source.source_key);
    if (source_id.empty() && source.name)
      for (const object& known : cached_list("source.list"))
        if (same_name(text_of(known, "title"), *source.name))
          source_id = text_of(known, "id");
    if (!source_id.empty())
      break;
  }
  if (source_id.empty() && !candidacy.sources.empty())
    result.lossy.push_back(
        "source " +
        candidacy.sources.front().name.value_or(candidacy.sources.front().source_key.value_or("")) +
        " has no Ashby source");
  if (candidacy.sources.size() > 1)
    result.lossy.push_back("Ashby applications have one source; only the first was kept");
  std::string credited = ref(item, candidacy.credited_to_user_key);
  if (credited.empty())
    credited = ref(item, candidacy.owner_user_key);

  std::string id = item.target_id;
  if (id.empty() && item.lookup_first)
    if (auto found = find_application(item))
      id = *found;
  if (id.empty()) {
    object body{{"candidateId", candidate_id}, {"jobId", job_id}};
    if (!created_at.empty())
      body["createdAt"] = created_at;
    if (!history_json.empty())
      body["applicationHistory"] = history_json;
    if (!source_id.empty())
      body["sourceId"] = source_id;
    if (!credited.empty())
      body["creditedToUserId"] = credited;
    object app = create_application(job_id, body);
    id = text_of(app, "id");
    if (id.empty())
      throw sdk::Error(ATSM_AMBIGUOUS, "application.create answered without an id",
                       "malformed_response");
    result.target_id = id;
    if (const object* job = object_at(app, "job")) {
      std::lock_guard lock(mutex_);
      application_jobs_[id] = text_of(*job, "title");
    }
  } else {
    result.target_id = id;
    object update{{"applicationId", id}, {"sendNotifications", false}};
    if (!source_id.empty())
      update["sourceId"] = source_id;
    if (!credited.empty())
      update["creditedToUserId"] = credited;
    if (!created_at.empty())
      update["createdAt"] = created_at;
    object app =
        as_object(client_.results("application.update", update, CallKind::idempotent_write),
                  "application.update");
    const object* stage = object_at(app, "currentInterviewStage");
    if (!history.empty() && stage != nullptr && text_of(*stage, "id") != history.back().stage->id) {
      object change{{"applicationId", id}, {"interviewStageId", history.back().stage->id}};
      if (history.back().stage->type == "Archived")
        change["archiveReasonId"] = archive_reason_id;
      client_.results("application.changeStage", change, CallKind::idempotent_write);
      result.lossy.push_back("stage change to " + history.back().stage->title +
                             " is stamped now, not at its original time");
    }
  }
  array values{
      object{{"fieldId", legacy_field_id("Application")}, {"fieldValue", candidacy.source_key}}};
  for (value& entry : custom_values(candidacy.custom_fields, item, result))
    values.push_back(std::move(entry));
  set_custom_values("Application", id, values, result);
  add_tags(candidate_id, candidacy.tags, nullptr);
  write_application_content(item, candidate_id, id, result);
}

// What an Ashby application has no field for (application.create/update take no form answers,
// cover letter or pool; applicationForm.submit submits a job posting's live form, not a past
// one): the prospect pool becomes a candidate tag "Prospect pool: <name>", so a pool stays a
// list one can filter by; the pool stage, the cover letter and the form answers one candidate
// note (application_note_html), backdated to the application. Written last, after everything
// that can fail, and looked for by its reference when the item was written before.
void AshbySink::write_application_content(const WriteItem& item, const std::string& candidate_id,
                                          const std::string& application_id, ItemResult& result) {
  const model::Candidacy& candidacy = std::get<model::Candidacy>(item.record);
  if (candidacy.prospect_pool && !candidacy.prospect_pool->empty()) {
    add_tags(candidate_id, {"Prospect pool: " + *candidacy.prospect_pool}, nullptr);
    result.lossy.push_back("prospect pool kept as a candidate tag");
  }
  std::vector<std::string> lossy;
  std::string hash = reference_hash(item.key, "application");
  // The job's title (a read on an update) only for a note there is.
  if (application_note_html(candidacy, "", hash, lossy).empty())
    return;
  lossy.clear();
  std::string html =
      application_note_html(candidacy, application_job_title(application_id), hash, lossy);
  create_note(candidate_id, html, false,
              candidacy.applied_at ? candidacy.applied_at : candidacy.created_at, hash,
              // A jobless candidacy has no application to say it was written: always looked for.
              item.lookup_first || !item.target_id.empty() || application_id.empty());
  result.lossy.insert(result.lossy.end(), lossy.begin(), lossy.end());
}

// Whether Ashby takes an application on a job that is not Open is undocumented (specs/ashby,
// application.create). A refused create was not applied: the job is opened, the application
// created and the job put back, one such detour per job at a time, so the load works either way.
object AshbySink::create_application(const std::string& job_id, const object& body) {
  // Once this Ashby has refused a job that is not Open, a job this instance left closed takes
  // the detour at once, without the create it would refuse.
  bool known_closed = false;
  {
    std::lock_guard lock(mutex_);
    auto status = job_statuses_.find(job_id);
    known_closed = closed_jobs_refuse_ && status != job_statuses_.end() && status->second != "Open";
  }
  try {
    if (!known_closed)
      return as_object(client_.results("application.create", body, CallKind::create),
                       "application.create");
  } catch (const sdk::Error& error) {
    if (error.status() != ATSM_INVALID && error.status() != ATSM_PERMANENT)
      throw;  // only a refusal (nothing applied) takes the detour
  }
  {
    std::lock_guard reopen(reopen_lock(job_id));
    std::string status = job_status(job_id);
    // Open now: another worker's detour opened it since the refusal (or the refusal had another
    // cause, which the create repeats and throws). A refused create was not applied, so sending
    // it again cannot duplicate the application.
    if (status == "Open" || status.empty())
      return as_object(client_.results("application.create", body, CallKind::create),
                       "application.create");
    // The job stays Open for every later application of the run and goes back at finish; the
    // intent, committed before the job opens, lets any later run in the work dir put it back
    // if this one dies first. A host without durable intents gets one detour per application.
    bool durable = true;
    try {
      client_.host().begin_intent(kDetourTopic, job_id, status);
    } catch (const sdk::Error& error) {
      if (error.status() != ATSM_NOT_FOUND)
        throw;
      durable = false;
    }
    if (durable) {
      move_job(job_id, status, "Open");
      {
        std::lock_guard lock(mutex_);
        open_detours_.insert(job_id);
        closed_jobs_refuse_ = true;
      }
      return as_object(client_.results("application.create", body, CallKind::create),
                       "application.create");
    }
    move_job(job_id, status, "Open");
    std::optional<object> created;
    try {
      created = as_object(client_.results("application.create", body, CallKind::create),
                          "application.create");
    } catch (const sdk::Error&) {
      move_job(job_id, "Open", status);
      throw;
    }
    move_job(job_id, "Open", status);
    std::lock_guard lock(mutex_);
    closed_jobs_refuse_ = true;
    return *created;
  }
}

std::mutex& AshbySink::reopen_lock(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  return reopen_locks_[job_id];  // std::map: the mutex stays where it is while others are added
}

std::string AshbySink::job_status(const std::string& job_id) {
  return text_of(
      as_object(client_.results("job.info", object{{"id", job_id}}, CallKind::read), "job.info"),
      "status");
}

size_t AshbySink::restore_detoured_jobs() {
  value open = json::parse(client_.host().open_intents_json(kDetourTopic));
  size_t restored = 0;
  for (const value& intent : open.as_array()) {
    std::string job_id = text_of(intent.as_object(), "key");
    std::string status = text_of(intent.as_object(), "value");
    std::lock_guard reopen(reopen_lock(job_id));
    std::string now = job_status(job_id);
    if (!now.empty() && now != status)
      move_job(job_id, now, status);
    client_.host().end_intent(kDetourTopic, job_id);
    std::lock_guard lock(mutex_);
    open_detours_.erase(job_id);
    job_statuses_[job_id] = status;
    ++restored;
  }
  return restored;
}

std::string AshbySink::confidential_hold(const std::string& job_id) {
  if (job_id.empty() || options_.confidential_jobs != "hold")
    return {};
  std::string title;
  bool asked = false;
  {
    std::lock_guard lock(mutex_);
    if (!confidential_pending_) {
      confidential_pending_.emplace();
      value open = json::parse(client_.host().open_intents_json(kConfidentialTopic));
      for (const value& intent : open.as_array())
        (*confidential_pending_)[text_of(intent.as_object(), "key")] =
            text_of(intent.as_object(), "value");
    }
    auto pending = confidential_pending_->find(job_id);
    if (pending == confidential_pending_->end())
      return {};
    title = pending->second;
    asked = confidential_not_yet_.count(job_id) > 0;
  }
  if (!asked) {
    // The job object's `confidential` (specs/ashby, job.info's answer) shows the operator's step.
    object job =
        as_object(client_.results("job.info", object{{"id", job_id}}, CallKind::read), "job.info");
    if (is_true(job, "confidential")) {
      client_.host().end_intent(kConfidentialTopic, job_id);
      std::lock_guard lock(mutex_);
      confidential_pending_->erase(job_id);
      return {};
    }
    std::lock_guard lock(mutex_);
    confidential_not_yet_.insert(job_id);
  }
  return "held: job '" + title + "' (" + job_id +
         ") is confidential in the source but not in Ashby, whose API cannot make it so; make "
         "it confidential in Ashby's web app (the job's settings), then run the migration again "
         "to write this candidacy, or set ashby.confidential_jobs=proceed to write it without";
}

std::string AshbySink::finish(const std::string& summary_json) {
  (void)summary_json;
  std::lock_guard lock(restore_mutex_);
  size_t restored = restore_detoured_jobs();
  return json::serialize(object{{"jobs_restored_after_detour", restored}});
}

// ---------------------------------------------------------------------------------------------
// notes, feedback, interviews, offers

std::optional<std::string> AshbySink::find_note_by_hash(const std::string& candidate_id,
                                                        const std::string& hash) {
  std::string mark = reference_text(hash);
  for (const object& note :
       client_.list_all("candidate.listNotes", object{{"candidateId", candidate_id}}))
    if (text_of(note, "content").find(mark) != std::string::npos)
      return text_of(note, "id");
  return std::nullopt;
}

std::string AshbySink::create_note(const std::string& candidate_id, const std::string& content,
                                   bool is_private, const std::optional<std::string>& created_at,
                                   const std::string& hash, bool look_first, NoteFormat format) {
  if (look_first)
    if (auto found = find_note_by_hash(candidate_id, hash))
      return *found;
  NoteContent sent = format == NoteFormat::composed_html
                         ? composed_note_content(content)
                         : NoteContent{format == NoteFormat::plain_text, content};
  object body{{"candidateId", candidate_id},
              {"note", object{{"type", sent.plain_text ? "text/plain" : "text/html"},
                              {"value", std::move(sent.value)}}},
              {"sendNotifications", false}};
  if (is_private)
    body["isPrivate"] = true;
  if (created_at)
    body["createdAt"] = *created_at;
  object note = as_object(client_.results("candidate.createNote", body, CallKind::create),
                          "candidate.createNote");
  std::string id = text_of(note, "id");
  if (id.empty())
    throw sdk::Error(ATSM_AMBIGUOUS, "candidate.createNote answered a note without an id",
                     "malformed_response");
  return id;
}

void AshbySink::write_note(const WriteItem& item, ItemResult& result) {
  const model::Note& note = std::get<model::Note>(item.record);
  if (note.deleted.value_or(false)) {
    result.skipped = "deleted in the source";
    return;
  }
  if (note.is_private.value_or(false) && options_.private_notes == "skip") {
    result.skipped = "private note (private_notes: skip)";
    return;
  }
  std::string candidate_id = ref(item, note.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + note.person_key + " has no target id in refs");
  std::string hash = reference_hash(item.key, "note");
  if (!item.target_id.empty()) {
    result.target_id = item.target_id;  // Ashby cannot edit a note; the one written stays
    result.lossy.push_back("note changed in the source: Ashby notes cannot be edited");
    return;
  }
  // Plain text goes as text/plain, its line breaks kept; HTML as text/html only where Ashby's
  // elements show its lines, else as text/plain (note_content).
  NoteContent content = note_content(note, hash);
  std::string id = create_note(candidate_id, content.value, note.is_private.value_or(false),
                               note.created_at, hash, item.lookup_first,
                               content.plain_text ? NoteFormat::plain_text : NoteFormat::html);
  result.target_id = candidate_id + ":" + id;
}

std::optional<std::string> AshbySink::find_feedback_by_hash(const std::string& application_id,
                                                            const std::string& hash) {
  std::string mark = reference_text(hash);
  for (const object& feedback :
       client_.list_all("applicationFeedback.list", object{{"applicationId", application_id}})) {
    if (const object* values = object_at(feedback, "submittedValues"))
      if (json::serialize(*values).find(mark) != std::string::npos)
        return text_of(feedback, "id");
  }
  return std::nullopt;
}

void AshbySink::write_feedback(const WriteItem& item, ItemResult& result) {
  const model::Feedback& feedback = std::get<model::Feedback>(item.record);
  std::string candidate_id = ref(item, feedback.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + feedback.person_key + " has no target id in refs");
  std::string application_id = ref(item, feedback.candidacy_key);
  const bool attributes = has_attribute_ratings(feedback);
  const std::string feedback_hash = reference_hash(item.key, "feedback");
  const std::string scorecard_hash = reference_hash(item.key, "scorecard");
  if (!item.target_id.empty()) {
    result.target_id = item.target_id;
    result.lossy.push_back("feedback changed in the source: Ashby feedback cannot be edited");
    return;
  }
  result.lossy.push_back("feedback cannot be backdated in Ashby: the original time is in the text");
  if (application_id.empty()) {
    result.lossy.push_back("feedback on a candidacy without an application: a candidate note");
    std::string note_id =
        create_note(candidate_id, feedback_note_html(feedback, feedback_hash), false,
                    feedback.submitted_at, feedback_hash, item.lookup_first);
    result.target_id = candidate_id + ":" + note_id;
  } else if (options_.scorecards != "note" || !attributes) {
    std::optional<std::string> existing;
    if (item.lookup_first)
      existing = find_feedback_by_hash(application_id, feedback_hash);
    if (existing) {
      result.target_id = application_id + ":" + *existing;
    } else {
      FormInfo form = feedback_form();
      array submissions;
      if (!form.score_path.empty())
        if (auto score = feedback_score(feedback))
          submissions.push_back(
              object{{"path", form.score_path}, {"value", object{{"score", *score}}}});
      std::string text = feedback_text(feedback, feedback_hash);
      submissions.push_back(
          object{{"path", form.text_path},
                 {"value", form.text_type == "RichText"
                               ? value(object{{"type", "PlainText"}, {"value", text}})
                               : value(text)}});
      object body{{"formDefinitionId", form.id},
                  {"applicationId", application_id},
                  {"feedbackForm", object{{"fieldSubmissions", std::move(submissions)}}}};
      if (std::string user = ref(item, feedback.author_user_key); !user.empty())
        body["userId"] = user;
      else
        result.lossy.push_back("interviewer not mapped: credited to the API key's user");
      object submitted =
          as_object(client_.results("applicationFeedback.submit", body, CallKind::create),
                    "applicationFeedback.submit");
      const object* instance = object_at(submitted, "submittedFormInstance");
      std::string id = instance ? text_of(*instance, "id") : "";
      if (id.empty())
        throw sdk::Error(ATSM_AMBIGUOUS,
                         "applicationFeedback.submit answered without a submitted form instance",
                         "malformed_response");
      result.target_id = application_id + ":" + id;
    }
  }
  if (attributes && options_.scorecards != "feedback") {
    std::string note_id =
        create_note(candidate_id, scorecard_note_html(feedback, scorecard_hash), false,
                    feedback.submitted_at, scorecard_hash, item.lookup_first);
    std::string target = candidate_id + ":" + note_id;
    if (result.target_id.empty())
      result.target_id = target;
    else
      result.derived.push_back(
          object{{"kind", "note"}, {"target_id", target}, {"what", "structured scorecard note"}});
    result.lossy.push_back("per-attribute ratings kept in a structured note");
  }
}

std::string AshbySink::application_job_title(const std::string& application_id) {
  if (application_id.empty())
    return {};
  {
    std::lock_guard lock(mutex_);
    if (auto it = application_jobs_.find(application_id); it != application_jobs_.end())
      return it->second;
  }
  object app = as_object(client_.results("application.info",
                                         object{{"applicationId", application_id}}, CallKind::read),
                         "application.info");
  const object* job = object_at(app, "job");
  std::string title = job ? text_of(*job, "title") : "";
  std::lock_guard lock(mutex_);
  application_jobs_[application_id] = title;
  return title;
}

void AshbySink::write_interviews(const WriteItem& item, ItemResult& result) {
  std::vector<model::Interview> interviews{std::get<model::Interview>(item.record)};
  for (const model::Record& member : item.group)
    if (const auto* interview = std::get_if<model::Interview>(&member))
      interviews.push_back(*interview);
  if (options_.interviews == "skip") {
    result.skipped = "interviews: skip";
    return;
  }
  std::stable_sort(interviews.begin(), interviews.end(), [](const auto& a, const auto& b) {
    return epoch_ms(a.start_at.value_or("")) < epoch_ms(b.start_at.value_or(""));
  });
  const model::Interview& first = interviews.front();
  std::string candidate_id = ref(item, first.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + first.person_key + " has no target id in refs");
  if (!item.target_id.empty()) {
    result.target_id = item.target_id;
    result.lossy.push_back("interviews changed in the source: Ashby notes cannot be edited");
    return;
  }
  std::string hash = reference_hash(item.key, "interviews");
  std::string html =
      interviews_note_html(interviews, application_job_title(ref(item, first.candidacy_key)), hash);
  std::string id = create_note(candidate_id, html, false, first.start_at, hash, item.lookup_first);
  result.target_id = candidate_id + ":" + id;
  result.lossy.push_back("interviews kept as a note; no interview schedule is created");
}

void AshbySink::write_offer(const WriteItem& item, ItemResult& result) {
  const model::Offer& offer = std::get<model::Offer>(item.record);
  if (options_.offers == "skip") {
    result.skipped = "offers: skip";
    return;
  }
  std::string candidate_id = ref(item, offer.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + offer.person_key + " has no target id in refs");
  if (!item.target_id.empty()) {
    result.target_id = item.target_id;
    result.lossy.push_back("offer changed in the source: Ashby notes cannot be edited");
    return;
  }
  std::string hash = reference_hash(item.key, "offer");
  std::string html =
      offer_note_html(offer, application_job_title(ref(item, offer.candidacy_key)), hash);
  std::string id =
      create_note(candidate_id, html, false, offer.created_at, hash, item.lookup_first);
  result.target_id = candidate_id + ":" + id;
  result.lossy.push_back("offer kept as a note: Ashby's offer flow cannot be backdated");
}

// ---------------------------------------------------------------------------------------------
// files

std::optional<std::string> AshbySink::find_file(const WriteItem& item) {
  const model::File& file = std::get<model::File>(item.record);
  std::string candidate_id = ref(item, file.person_key);
  if (candidate_id.empty() || !file.sha256)
    return std::nullopt;
  std::set<std::string> owned;
  {
    std::lock_guard lock(mutex_);
    // These bytes already went onto this candidate in this run: that upload is the item's, and
    // no read is needed to know it.
    if (auto it = files_.find({candidate_id, *file.sha256}); it != files_.end())
      return it->second;
    for (const auto& [identity, file_id] : files_)
      if (identity.first == candidate_id)
        owned.insert(file_id);
  }
  object candidate =
      as_object(client_.results("candidate.info", object{{"id", candidate_id}}, CallKind::read),
                "candidate.info");
  // Ashby shows a file's name but neither its size nor a hash, and a candidate often has several
  // files of one name (a resume per candidacy): a handle of the same name is adopted only when
  // its bytes, downloaded through file.info, have the same SHA-256.
  if (const array* handles = array_at(candidate, "fileHandles"))
    for (const value& entry : *handles) {
      if (!entry.is_object())
        continue;
      const object& handle = entry.as_object();
      std::string id = text_of(handle, "id");
      if (text_of(handle, "name") != file.file_name || owned.count(id) > 0)
        continue;
      if (client_.download_sha256(text_of(handle, "handle")) == *file.sha256)
        return id;
    }
  return std::nullopt;
}

// The ids of the candidate's files before an upload: what this instance saw on it, else what
// candidate.info lists.
std::set<std::string> AshbySink::file_ids_before_upload(const std::string& candidate_id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = file_ids_seen_.find(candidate_id); it != file_ids_seen_.end())
      return it->second;
  }
  object candidate =
      as_object(client_.results("candidate.info", object{{"id", candidate_id}}, CallKind::read),
                "candidate.info");
  std::set<std::string> ids;
  if (const array* handles = array_at(candidate, "fileHandles"))
    for (const value& entry : *handles)
      if (entry.is_object())
        ids.insert(text_of(entry.as_object(), "id"));
  std::lock_guard lock(mutex_);
  file_ids_seen_[candidate_id].insert(ids.begin(), ids.end());
  return file_ids_seen_[candidate_id];
}

// The uploaded file among the candidate's file handles after uploadResume/uploadFile. The spec
// promises only that the answer is the candidate (specs/ashby: results is candidate.info's, with
// fileHandles [{id, name, handle}] and resumeFileHandle); a file handle is not the upload handle
// (its example encodes {type: CandidateFile, fileId, ownerId}). So the new file is the id that
// was not there before, of the file's name (the resume handle for a resume); when another upload
// to the same candidate raced this one, the bytes behind each candidate decide.
std::string AshbySink::uploaded_file_id(const std::string& candidate_id, const object& candidate,
                                        const std::set<std::string>& before,
                                        const model::File& file, bool resume) {
  std::vector<std::pair<std::string, std::string>> fresh;  // (id, handle)
  std::set<std::string> now;
  if (const array* handles = array_at(candidate, "fileHandles"))
    for (const value& entry : *handles) {
      if (!entry.is_object())
        continue;
      std::string id = text_of(entry.as_object(), "id");
      now.insert(id);
      if (before.count(id) == 0 && text_of(entry.as_object(), "name") == file.file_name)
        fresh.emplace_back(id, text_of(entry.as_object(), "handle"));
    }
  {
    std::lock_guard lock(mutex_);
    file_ids_seen_[candidate_id].insert(now.begin(), now.end());
  }
  if (resume)
    if (const object* handle = object_at(candidate, "resumeFileHandle"))
      for (const auto& [id, ignored] : fresh)
        if (id == text_of(*handle, "id"))
          return id;
  if (fresh.size() == 1)
    return fresh.front().first;
  std::set<std::string> claimed;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [identity, file_id] : files_)
      if (identity.first == candidate_id)
        claimed.insert(file_id);
  }
  for (const auto& [id, handle] : fresh)
    if (claimed.count(id) == 0 && client_.download_sha256(handle) == file.sha256.value_or(""))
      return id;
  return {};
}

void AshbySink::write_file(const WriteItem& item, ItemResult& result) {
  const model::File& file = std::get<model::File>(item.record);
  if (file.skipped_reason) {
    result.skipped = *file.skipped_reason;
    return;
  }
  if (!file.sha256 || file.sha256->empty()) {
    result.skipped = "the file's bytes were never downloaded from the source";
    return;
  }
  std::string candidate_id = ref(item, file.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + file.person_key + " has no target id in refs");
  if (!item.target_id.empty()) {
    result.target_id = item.target_id;  // the same bytes (content-addressed) are there already
    return;
  }
  const std::pair<std::string, std::string> identity{candidate_id, *file.sha256};
  {
    std::lock_guard lock(mutex_);
    if (auto it = files_.find(identity); it != files_.end()) {
      result.target_id = candidate_id + ":" + it->second;
      result.lossy.push_back("the same bytes are already on the candidate: uploaded once");
      return;
    }
  }
  if (item.lookup_first) {
    if (auto found = find_file(item)) {
      result.target_id = candidate_id + ":" + *found;
      std::lock_guard lock(mutex_);
      files_[identity] = *found;
      return;
    }
  }
  bool resume = file.is_resume.value_or(false);
  if (resume) {
    std::lock_guard lock(mutex_);
    std::string uploaded = file.uploaded_at.value_or("");
    auto it = latest_resume_.find(candidate_id);
    if (it != latest_resume_.end() && epoch_ms(it->second) > epoch_ms(uploaded)) {
      resume = false;
      result.lossy.push_back("an older resume: uploaded as a file, the newer one stays the resume");
    } else {
      latest_resume_[candidate_id] = uploaded;
    }
  }
  int64_t size = file.size.value_or(-1);
  if (size < 0) {
    std::optional<std::string> bytes = client_.host().blob_get(*file.sha256);
    if (!bytes)
      invalid("field 'sha256': blob " + *file.sha256 + " is not in the blob store");
    size = static_cast<int64_t>(bytes->size());
  }
  std::string content_type = file.content_type.value_or("application/octet-stream");
  std::string method = resume ? "candidate.uploadResume" : "candidate.uploadFile";
  const std::set<std::string> before = file_ids_before_upload(candidate_id);
  object candidate;
  bool use_multipart = options_.uploads == "multipart";
  if (!use_multipart) {
    object handle;
    try {
      handle =
          as_object(client_.results(
                        "file.createFileUploadHandle",
                        object{{"fileUploadContext", resume ? "CandidateResume" : "CandidateFiles"},
                               {"filename", file.file_name},
                               {"contentType", content_type},
                               {"contentLength", size}},
                        CallKind::idempotent_write),
                    "file.createFileUploadHandle");
      const object* fields = object_at(handle, "fields");
      client_.post_presigned(text_of(handle, "url"), fields ? *fields : object{}, file.file_name,
                             content_type, *file.sha256);
    } catch (const sdk::Error& error) {
      // The handle flow is refused (not offered, or the storage said no): the multipart form.
      if (error.status() != ATSM_PERMANENT && error.status() != ATSM_INVALID)
        throw;
      use_multipart = true;
      result.lossy.push_back(std::string("upload handle flow failed (") + error.what() +
                             "); used the multipart upload");
    }
    if (!use_multipart) {
      std::string handle_id = text_of(handle, "handle");
      candidate =
          as_object(client_.results(method,
                                    object{{"candidateId", candidate_id},
                                           {resume ? "resumeHandle" : "fileHandle", handle_id}},
                                    CallKind::create),
                    method);
    }
  }
  if (use_multipart)
    candidate = client_.upload_multipart(method, candidate_id, resume ? "resume" : "file",
                                         file.file_name, content_type, *file.sha256);
  std::string file_id = uploaded_file_id(candidate_id, candidate, before, file, resume);
  if (file_id.empty())
    throw sdk::Error(ATSM_AMBIGUOUS, method + " answered a candidate without the uploaded file",
                     "malformed_response");
  result.target_id = candidate_id + ":" + file_id;
  std::lock_guard lock(mutex_);
  files_[identity] = file_id;
}

// ---------------------------------------------------------------------------------------------
// find

std::optional<std::string> AshbySink::find_item(const std::string& kind, const WriteItem& item) {
  auto by_name = [&](const std::string& method, const char* key,
                     const std::string& name) -> std::optional<std::string> {
    forget(method);
    for (const object& entry : cached_list(method))
      if (same_name(text_of(entry, key), name))
        return text_of(entry, "id");
    return std::nullopt;
  };
  auto note_in = [&](const std::string& person_key,
                     const char* purpose) -> std::optional<std::string> {
    std::string candidate_id = ref(item, person_key);
    if (candidate_id.empty())
      return std::nullopt;
    if (auto found = find_note_by_hash(candidate_id, reference_hash(item.key, purpose)))
      return candidate_id + ":" + *found;
    return std::nullopt;
  };
  if (kind == "department")
    return by_name("department.list", "name", std::get<model::Department>(item.record).name);
  if (kind == "office")
    return by_name("location.list", "name", std::get<model::Office>(item.record).name);
  if (kind == "tag") {
    for (const object& tag : client_.list_all("candidateTag.list", object{}))
      if (same_name(text_of(tag, "title"), std::get<model::Tag>(item.record).name))
        return text_of(tag, "id");
    return std::nullopt;
  }
  if (kind == "custom_field") {
    const auto& field = std::get<model::CustomField>(item.record);
    forget("customField.list");
    for (const object& entry : cached_list("customField.list"))
      if (same_name(text_of(entry, "title"), field.name) &&
          text_of(entry, "objectType") == ashby_object_type(field.object))
        return text_of(entry, "id");
    return std::nullopt;
  }
  if (kind == "job")
    return find_job(item);
  if (kind == "person")
    return find_candidate(item);
  if (kind == "candidacy")
    return find_application(item);
  if (kind == "note")
    return note_in(std::get<model::Note>(item.record).person_key, "note");
  if (kind == "feedback") {
    const auto& feedback = std::get<model::Feedback>(item.record);
    std::string application_id = ref(item, feedback.candidacy_key);
    if (!application_id.empty())
      if (auto found = find_feedback_by_hash(application_id, reference_hash(item.key, "feedback")))
        return application_id + ":" + *found;
    if (auto found = note_in(feedback.person_key, "feedback"))
      return found;
    return note_in(feedback.person_key, "scorecard");
  }
  if (kind == "interview")
    return note_in(std::get<model::Interview>(item.record).person_key, "interviews");
  if (kind == "offer")
    return note_in(std::get<model::Offer>(item.record).person_key, "offer");
  if (kind == "file") {
    if (auto found = find_file(item))
      return ref(item, std::get<model::File>(item.record).person_key) + ":" + *found;
    return std::nullopt;
  }
  invalid("ashby find: kind '" + kind + "' is not one the Ashby sink writes");
}

std::optional<std::string> AshbySink::find(const std::string& kind, const std::string& item_json) {
  boost::system::error_code ec;
  value parsed = json::parse(item_json, ec);
  if (ec)
    invalid("ashby find of " + kind + ": the item is not JSON");
  WriteItem item = parse_write_item(parsed, kind);
  return find_item(kind, item);
}

// ---------------------------------------------------------------------------------------------
// read_back: what Ashby holds, as a canonical record

std::optional<std::string> AshbySink::read_back(const std::string& kind,
                                                const std::string& target_id) {
  // Every Ashby id is a UUID (the spec's `format: uuid`): a target id whose first part (the whole
  // id, or the parent of "parent:child", which is what the read sends) is none names no Ashby
  // object, and asking for it would be a request the spec refuses.
  if (!is_uuid(std::string_view(target_id).substr(0, target_id.find(':'))))
    return std::nullopt;
  auto fetch = [&](const std::string& method, object body) -> std::optional<object> {
    try {
      return as_object(client_.results(method, body, CallKind::read), method);
    } catch (const sdk::Error& error) {
      if (error.vendor_code().find("not_found") != std::string::npos)
        return std::nullopt;
      throw;
    }
  };
  auto custom_fields_of = [](const object& ashby_object) {
    array out;
    if (const array* fields = array_at(ashby_object, "customFields"))
      for (const value& field : *fields)
        if (field.is_object())
          out.push_back(object{
              {"field_key", "ashby:custom_field:" + text_of(field.as_object(), "id")},
              {"name", text_of(field.as_object(), "title")},
              {"value", field.as_object().contains("value") ? field.at("value") : value(nullptr)}});
    return out;
  };
  object record{{"kind", kind}, {"source", "ashby"}};
  if (kind == "person") {
    auto candidate = fetch("candidate.info", object{{"id", target_id}});
    if (!candidate)
      return std::nullopt;
    record["source_key"] = "ashby:candidate:" + target_id;
    record["name"] = text_of(*candidate, "name");
    array emails, phones, links, tags;
    if (const array* list = array_at(*candidate, "emailAddresses"))
      for (const value& email : *list)
        emails.push_back(object{{"address", text_of(email.as_object(), "value")}});
    if (const array* list = array_at(*candidate, "phoneNumbers"))
      for (const value& phone : *list)
        phones.push_back(object{{"number", text_of(phone.as_object(), "value")}});
    if (const array* list = array_at(*candidate, "socialLinks"))
      for (const value& link : *list) {
        std::string type = text_of(link.as_object(), "type");
        links.push_back(object{{"url", text_of(link.as_object(), "url")},
                               {"type", type == "LinkedIn"  ? "linkedin"
                                        : type == "GitHub"  ? "github"
                                        : type == "Website" ? "website"
                                                            : "social"}});
      }
    if (const array* list = array_at(*candidate, "tags"))
      for (const value& tag : *list)
        tags.emplace_back(text_of(tag.as_object(), "title"));
    record["emails"] = std::move(emails);
    record["phones"] = std::move(phones);
    record["links"] = std::move(links);
    record["tags"] = std::move(tags);
    if (const object* location = object_at(*candidate, "location"))
      if (std::string summary = text_of(*location, "locationSummary"); !summary.empty())
        record["location"] = summary;
    if (std::string created = iso_or_empty(*candidate, "createdAt"); !created.empty())
      record["created_at"] = created;
    record["custom_fields"] = custom_fields_of(*candidate);
  } else if (kind == "candidacy") {
    auto app = fetch("application.info", object{{"applicationId", target_id}});
    if (!app)
      return std::nullopt;
    record["source_key"] = "ashby:application:" + target_id;
    const object* candidate = object_at(*app, "candidate");
    record["person_key"] = "ashby:candidate:" + (candidate ? text_of(*candidate, "id") : "");
    if (const object* job = object_at(*app, "job"))
      record["job_key"] = "ashby:job:" + text_of(*job, "id");
    record["status"] = lower(text_of(*app, "status"));
    if (const object* stage = object_at(*app, "currentInterviewStage"))
      record["stage_key"] = "ashby:stage:" + text_of(*stage, "id");
    if (const object* reason = object_at(*app, "archiveReason"))
      record["archive_reason_key"] = "ashby:archive_reason:" + text_of(*reason, "id");
    if (std::string archived = iso_or_empty(*app, "archivedAt"); !archived.empty())
      record["archived_at"] = archived;
    array history;
    if (const array* list = array_at(*app, "applicationHistory"))
      for (const value& entry : *list)
        if (std::string at = iso_or_empty(entry.as_object(), "enteredStageAt"); !at.empty())
          history.push_back(
              object{{"stage_key", "ashby:stage:" + text_of(entry.as_object(), "stageId")},
                     {"entered_at", at}});
    record["stage_history"] = std::move(history);
    if (const object* source = object_at(*app, "source"))
      record["sources"] = array{object{{"source_key", "ashby:source:" + text_of(*source, "id")},
                                       {"name", text_of(*source, "title")}}};
    if (const object* user = object_at(*app, "creditedToUser"))
      record["credited_to_user_key"] = "ashby:user:" + text_of(*user, "id");
    if (std::string created = iso_or_empty(*app, "createdAt"); !created.empty())
      record["created_at"] = created;
    record["custom_fields"] = custom_fields_of(*app);
  } else if (kind == "job") {
    auto job = fetch("job.info", object{{"id", target_id}});
    if (!job)
      return std::nullopt;
    record["source_key"] = "ashby:job:" + target_id;
    record["title"] = text_of(*job, "title");
    record["status"] = lower(text_of(*job, "status"));
    if (const value* confidential = job->if_contains("confidential");
        confidential && confidential->is_bool())
      record["confidential"] = *confidential;
    if (std::string department = text_of(*job, "departmentId"); !department.empty())
      record["department_keys"] = array{value("ashby:department:" + department)};
    if (std::string location = text_of(*job, "locationId"); !location.empty())
      record["office_keys"] = array{value("ashby:office:" + location)};
    if (std::string created = iso_or_empty(*job, "createdAt"); !created.empty())
      record["created_at"] = created;
  } else if (kind == "note" || kind == "interview" || kind == "offer" ||
             (kind == "feedback" && target_id.find(':') != std::string::npos)) {
    auto [parent, child] = split_target(target_id);
    if (kind == "feedback") {
      // Feedback lives on an application, or (without one) as a note on the candidate.
      std::optional<object> app = fetch("application.info", object{{"applicationId", parent}});
      if (app) {
        for (const object& feedback :
             client_.list_all("applicationFeedback.list", object{{"applicationId", parent}})) {
          if (text_of(feedback, "id") != child)
            continue;
          const object* candidate = object_at(*app, "candidate");
          record["source_key"] = "ashby:feedback:" + child;
          record["person_key"] = "ashby:candidate:" + (candidate ? text_of(*candidate, "id") : "");
          record["candidacy_key"] = "ashby:application:" + parent;
          if (const object* user = object_at(feedback, "submittedByUser"))
            record["author_user_key"] = "ashby:user:" + text_of(*user, "id");
          if (std::string at = iso_or_empty(feedback, "submittedAt"); !at.empty())
            record["submitted_at"] = at;
          array fields;
          if (const object* values = object_at(feedback, "submittedValues"))
            for (const auto& [path, submitted] : *values)
              // Ashby's submittedValues do not say the field's type: "other" (required).
              fields.push_back(object{{"label", path}, {"type", "other"}, {"value", submitted}});
          record["fields"] = std::move(fields);
          return json::serialize(model::record_to_json(model::record_from_json(record)));
        }
        return std::nullopt;
      }
    }
    if (parent.empty())
      invalid("ashby read_back of " + kind + ": target id " + target_id +
              " is not <candidate id>:<note id>");
    for (const object& note :
         client_.list_all("candidate.listNotes", object{{"candidateId", parent}})) {
      if (text_of(note, "id") != child)
        continue;
      // Notes are what Ashby holds for notes, interviews and offers alike.
      record = object{{"kind", "note"},
                      {"source", "ashby"},
                      {"source_key", "ashby:note:" + child},
                      {"person_key", "ashby:candidate:" + parent},
                      {"body", text_of(note, "content")},
                      {"body_format", "html"}};
      if (std::string created = iso_or_empty(note, "createdAt"); !created.empty())
        record["created_at"] = created;
      if (const value* is_private = note.if_contains("isPrivate");
          is_private && is_private->is_bool())
        record["is_private"] = *is_private;
      return json::serialize(model::record_to_json(model::record_from_json(record)));
    }
    return std::nullopt;
  } else if (kind == "file") {
    auto [parent, child] = split_target(target_id);
    auto candidate = fetch("candidate.info", object{{"id", parent}});
    if (!candidate)
      return std::nullopt;
    if (const array* handles = array_at(*candidate, "fileHandles"))
      for (const value& handle : *handles)
        if (handle.is_object() && text_of(handle.as_object(), "id") == child) {
          record["source_key"] = "ashby:file:" + child;
          record["person_key"] = "ashby:candidate:" + parent;
          record["file_name"] = text_of(handle.as_object(), "name");
          const object* resume = object_at(*candidate, "resumeFileHandle");
          record["is_resume"] = resume != nullptr && text_of(*resume, "id") == child;
          // The bytes, to check by SHA-256 (file.info's presigned download).
          record["sha256"] = client_.download_sha256(text_of(handle.as_object(), "handle"));
          return json::serialize(model::record_to_json(model::record_from_json(record)));
        }
    return std::nullopt;
  } else if (kind == "department" || kind == "office" || kind == "tag" || kind == "custom_field") {
    std::string method = kind == "department" ? "department.list"
                         : kind == "office"   ? "location.list"
                         : kind == "tag"      ? "candidateTag.list"
                                              : "customField.list";
    for (const object& entry : client_.list_all(method, object{})) {
      if (text_of(entry, "id") != target_id)
        continue;
      record["source_key"] = "ashby:" + kind + ":" + target_id;
      record["name"] = kind == "tag" || kind == "custom_field" ? text_of(entry, "title")
                                                               : text_of(entry, "name");
      if (kind == "custom_field") {
        std::string object_type = text_of(entry, "objectType");
        record["object"] = object_type == "Application" ? "candidacy"
                           : object_type == "Job"       ? "job"
                                                        : "person";
        static const std::map<std::string, std::string> kTypes{{"String", "text"},
                                                               {"LongText", "long_text"},
                                                               {"Number", "number"},
                                                               {"Date", "date"},
                                                               {"Boolean", "boolean"},
                                                               {"ValueSelect", "single_select"},
                                                               {"MultiValueSelect", "multi_select"},
                                                               {"Currency", "currency"},
                                                               {"Url", "url"}};
        auto type = kTypes.find(text_of(entry, "fieldType"));
        record["field_type"] = type == kTypes.end() ? "text" : type->second;
      }
      return json::serialize(model::record_to_json(model::record_from_json(record)));
    }
    return std::nullopt;
  } else {
    invalid("ashby read_back: kind '" + kind + "' is not one the Ashby sink writes");
  }
  try {
    return json::serialize(model::record_to_json(model::record_from_json(record)));
  } catch (const model::ModelError& error) {
    throw sdk::Error(ATSM_INTERNAL, "ashby read_back of " + kind + " " + target_id +
                                        ": Ashby's object does not fit the model: " + error.what());
  }
}

std::optional<std::string> AshbySink::census(const std::string& kind) {
  array held;
  if (kind == "person") {
    client_.for_each_listed("candidate.list", object{}, [&](const object& candidate) {
      std::set<std::string> keys =
          split_keys(custom_value_by_title(candidate, options_.legacy_candidate_field));
      if (keys.empty())
        return;
      array emails;
      if (const array* list = array_at(candidate, "emailAddresses"))
        for (const value& email : *list)
          if (email.is_object())
            emails.push_back(value(text_of(email.as_object(), "value")));
      held.push_back(object{{"target_id", text_of(candidate, "id")},
                            {"keys", array(keys.begin(), keys.end())},
                            {"emails", std::move(emails)}});
    });
  } else if (kind == "candidacy") {
    client_.for_each_listed("application.list", object{}, [&](const object& application) {
      std::string key = custom_value_by_title(application, options_.legacy_application_field);
      if (key.empty())
        return;
      held.push_back(
          object{{"target_id", text_of(application, "id")}, {"keys", array{value(key)}}});
    });
  } else {
    return std::nullopt;
  }
  return json::serialize(held);
}

}  // namespace atsm::ashby
