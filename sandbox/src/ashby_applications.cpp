// The emulated Ashby's applications: application.create validated against the job's interview
// plan, stage changes and history.
#include <algorithm>
#include <set>

#include "ashby_rpc.hpp"
#include "ashby_state.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace json = boost::json;
using namespace ashby_rpc;

namespace {

// application.info: every applicationHistory entry says which actions it allows (required; enum
// none|delete|set_entered_at). Which ones Ashby allows on an imported entry is not documented.
const json::array kHistoryActions{"none"};

// application.info's archiveReason is the archive reason plus its customFields (required).
json::object application_archive_reason(const json::object& reason) {
  json::object out = render(reason);
  out["customFields"] = json::array{};
  return out;
}

}  // namespace

json::object AshbyState::application_create(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& method = rpc.method;
  const std::string& now = rpc.now;
  Object candidate = require(body, "candidate", "candidateId", "candidate_not_found");
  std::string job_id = required_string(body, "jobId");
  Object* job = find("job", job_id);
  if (!job)
    fail("requested_job_not_found",
         "Job " + job_id + " not found - are you lacking permissions to see confidential jobs?");
  // Undocumented either way (sandbox/validator/ashby-api-openapi.extract.json, application.create):
  // the seeded switch decides.
  if (!applications_on_closed_jobs_ && job->at("status") != "Open")
    fail("invalid_input", "Job " + job_id + " is " + std::string(job->at("status").as_string()) +
                              ": applications can only be added to an open job");
  std::string plan_id;
  if (auto requested = optional_string(body, "interviewPlanId"))
    plan_id = *requested;
  else if (job->at("defaultInterviewPlanId").is_string())
    plan_id = std::string(job->at("defaultInterviewPlanId").as_string());
  if (plan_id.empty() || !find("interview_plan", plan_id))
    fail("interview_plan_not_found",
         "Interview plan '" + plan_id + "' not found for job " + job_id);
  auto stage_in_plan = [&](const std::string& stage_id) -> Object& {
    Object* stage = find("interview_stage", stage_id);
    if (!stage || stage->at("interviewPlanId").as_string() != plan_id)
      fail("interview_stage_not_found",
           "Interview stage " + stage_id + " is not in interview plan " + plan_id);
    return *stage;
  };
  std::string created_at = checked_time(body, "createdAt", now);
  json::array history;
  Object* current = nullptr;
  std::string archive_reason_id;
  if (auto* entries = field(body, "applicationHistory")) {
    std::set<std::int64_t> numbers;
    std::int64_t highest = -1;
    for (const auto& entry_value : entries->as_array()) {
      const auto& entry = entry_value.as_object();
      Object& stage = stage_in_plan(required_string(entry, "stageId"));
      const json::value* number = field(entry, "stageNumber");
      if (!number || !number->is_int64() || number->as_int64() < 0)
        fail("invalid_input", "applicationHistory stageNumber must be a non-negative integer");
      if (!numbers.insert(number->as_int64()).second)
        fail("invalid_input",
             "applicationHistory stageNumber " + std::to_string(number->as_int64()) + " repeated");
      std::string entered = checked_time(entry, "enteredStageAt", "");
      if (entered.empty())
        fail("invalid_input", "Missing required parameter: applicationHistory[].enteredStageAt");
      json::object item{{"id", new_id("history")},    {"stageId", stage.at("id")},
                        {"title", stage.at("title")}, {"stageNumber", number->as_int64()},
                        {"enteredStageAt", entered},  {"allowedActions", kHistoryActions}};
      auto reason = optional_string(entry, "archiveReasonId");
      if (stage.at("type") == "Archived") {
        if (!reason)
          fail("invalid_input", "archiveReasonId is required for the Archived stage " +
                                    std::string(stage.at("id").as_string()));
        if (!find("archive_reason", *reason))
          fail("archive_reason_not_found", "Archive reason " + *reason + " not found");
        item["archiveReasonId"] = *reason;
      } else if (reason) {
        fail("invalid_input", "archiveReasonId is only allowed on an Archived stage");
      }
      if (number->as_int64() > highest) {
        highest = number->as_int64();
        current = &stage;
        archive_reason_id = reason.value_or("");
      }
      history.push_back(std::move(item));
    }
    std::sort(history.begin(), history.end(), [](const json::value& a, const json::value& b) {
      return a.at("stageNumber").as_int64() < b.at("stageNumber").as_int64();
    });
  }
  if (auto stage_id = optional_string(body, "interviewStageId"); stage_id && !current) {
    current = &stage_in_plan(*stage_id);
  }
  if (!current) {
    // Default: the plan's first Lead stage (docs/vendors/ashby.md §5).
    for (const auto& id : collections_["interview_stage"].order) {
      Object& stage = collections_["interview_stage"].by_id.at(id);
      if (stage.at("interviewPlanId").as_string() == plan_id && stage.at("type") == "Lead") {
        current = &stage;
        break;
      }
    }
    if (!current)
      fail("interview_stage_not_found", "Interview plan " + plan_id + " has no Lead stage");
    history.push_back(json::object{{"id", new_id("history")},
                                   {"stageId", current->at("id")},
                                   {"title", current->at("title")},
                                   {"stageNumber", 0},
                                   {"enteredStageAt", created_at},
                                   {"allowedActions", kHistoryActions}});
  }
  std::string type(current->at("type").as_string());
  std::string status = type == "Archived" ? "Archived"
                       : type == "Hired"  ? "Hired"
                       : type == "Lead"   ? "Lead"
                                          : "Active";
  Object app{
      {"id", new_id("application")},
      {"createdAt", created_at},
      {"updatedAt", now},
      {"status", status},
      {"candidate", json::object{{"id", candidate.at("id")}, {"name", candidate.at("name")}}},
      {"currentInterviewStage", render(*current)},
      {"job", json::object{{"id", job->at("id")},
                           {"title", job->at("title")},
                           {"locationId", job->at("locationId")},
                           {"departmentId", job->at("departmentId")}}},
      {"hiringTeam", json::array{}},
      {"customFields", json::array{}},
      {"applicationHistory", std::move(history)},
      {"_planId", plan_id}};
  if (!archive_reason_id.empty()) {
    Object& reason = *find("archive_reason", archive_reason_id);
    app["archiveReason"] = application_archive_reason(reason);
    app["archivedAt"] = app["applicationHistory"].as_array().back().at("enteredStageAt");
  }
  set_source_and_credit(body, app);
  count_created(method, app);
  Object& stored = put("application", std::move(app));
  candidate["applicationIds"].as_array().push_back(stored.at("id"));
  candidate["updatedAt"] = now;
  put("candidate", std::move(candidate));
  return results(render(stored));
}

json::object AshbyState::application_info(const Rpc& rpc) {
  const json::object& body = rpc.body;
  std::string id = required_string(body, "applicationId");
  Object* app = find("application", id);
  if (!app)
    fail("application_not_found",
         "Application " + id + " not found - are you lacking permissions to edit candidates?");
  return results(render(*app));
}

json::object AshbyState::application_list(const Rpc& rpc) {
  const json::object& body = rpc.body;
  auto job_id = optional_string(body, "jobId");
  return list(body, "application", [&](const Object& app) {
    return !job_id || app.at("job").at("id").as_string() == *job_id;
  });
}

json::object AshbyState::application_list_history(const Rpc& rpc) {
  const json::object& body = rpc.body;
  Object& app = require(body, "application", "applicationId", "application_not_found");
  return json::object{{"results", app.at("applicationHistory")}, {"moreDataAvailable", false}};
}

json::object AshbyState::application_update(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& now = rpc.now;
  Object app = require(body, "application", "applicationId", "application_not_found");
  set_source_and_credit(body, app);
  if (field(body, "createdAt"))
    app["createdAt"] = checked_time(body, "createdAt", now);
  app["updatedAt"] = now;
  return results(render(put("application", std::move(app))));
}

json::object AshbyState::application_change_stage(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& now = rpc.now;
  Object app = require(body, "application", "applicationId", "application_not_found");
  std::string stage_id = required_string(body, "interviewStageId");
  Object* stage = find("interview_stage", stage_id);
  if (!stage || stage->at("interviewPlanId") != app.at("_planId"))
    fail("interview_stage_not_found",
         "Interview stage " + stage_id + " not in the application's plan");
  auto reason = optional_string(body, "archiveReasonId");
  if (stage->at("type") == "Archived") {
    if (!reason)
      fail("invalid_input", "archiveReasonId is required for an Archived stage");
    if (!find("archive_reason", *reason))
      fail("archive_reason_not_found", "Archive reason " + *reason + " not found");
    app["archiveReason"] = application_archive_reason(*find("archive_reason", *reason));
    app["archivedAt"] = now;
  } else if (reason) {
    fail("invalid_input", "archiveReasonId is only allowed on an Archived stage");
  }
  std::string type(stage->at("type").as_string());
  app["status"] = type == "Archived" ? "Archived"
                  : type == "Hired"  ? "Hired"
                  : type == "Lead"   ? "Lead"
                                     : "Active";
  app["currentInterviewStage"] = render(*stage);
  auto& history = app["applicationHistory"].as_array();
  history.push_back(json::object{{"id", new_id("history")},
                                 {"stageId", stage_id},
                                 {"title", stage->at("title")},
                                 {"stageNumber", static_cast<std::int64_t>(history.size())},
                                 {"enteredStageAt", now},
                                 {"allowedActions", kHistoryActions}});
  app["updatedAt"] = now;
  return results(render(put("application", std::move(app))));
}

}  // namespace atsm::sandbox
