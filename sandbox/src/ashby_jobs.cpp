// The emulated Ashby's jobs and their organisation: departments, locations, hiring teams and
// interview plans.
#include <algorithm>
#include <set>

#include "ashby_rpc.hpp"
#include "ashby_state.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace json = boost::json;
using namespace ashby_rpc;

namespace {

void refuse_confidential(const json::object& body, const std::string& method) {
  if (body.contains("confidential"))
    // Neither request schema defines `confidential`
    // (sandbox/validator/ashby-api-openapi.extract.json job.create, job.update; the job's
    // `confidential` is only read). Whether Ashby refuses or ignores it is not documented; the
    // strict reading is taken so a client that sends it fails the tests (the validating proxy's
    // --undocumented switch emulates both readings).
    fail("invalid_input", method + " takes no parameter confidential");
}

}  // namespace

json::object AshbyState::create_org_unit(const Rpc& rpc, const std::string& kind) {
  const json::object& body = rpc.body;
  const std::string& method = rpc.method;
  const std::string& now = rpc.now;
  Object object{
      {"id", new_id(kind)}, {"name", required_string(body, "name")}, {"isArchived", false}};
  if (kind == "location")
    object["type"] = optional_string(body, "type").value_or("Location");
  else
    object["createdAt"] = object["updatedAt"] = now;  // department.info requires both
  count_created(method, object);
  return results(render(put(kind, std::move(object))));
}

json::object AshbyState::department_create(const Rpc& rpc) {
  return create_org_unit(rpc, "department");
}

json::object AshbyState::location_create(const Rpc& rpc) {
  return create_org_unit(rpc, "location");
}

json::object AshbyState::department_list(const Rpc& rpc) {
  return list(rpc.body, "department");
}

json::object AshbyState::location_list(const Rpc& rpc) {
  refuse_limit(rpc.body, rpc.method);
  return list(rpc.body, "location");
}

// defaultInterviewPlanId, when given, is the job's one interview plan.
void AshbyState::set_default_plan(const json::object& body, Object& job) {
  if (auto plan_id = optional_string(body, "defaultInterviewPlanId")) {
    if (!find("interview_plan", *plan_id))
      fail("interview_plan_not_found", "Interview plan " + *plan_id + " not found");
    job["defaultInterviewPlanId"] = *plan_id;
    job["interviewPlanIds"] = json::array{json::value(*plan_id)};
  }
}

json::object AshbyState::job_create(const Rpc& rpc) {
  refuse_confidential(rpc.body, rpc.method);
  const json::object& body = rpc.body;
  const std::string& method = rpc.method;
  const std::string& now = rpc.now;
  std::string title = required_string(body, "title");
  Object& team = require(body, "department", "teamId", "department_not_found");
  Object& location = require(body, "location", "locationId", "location_not_found");
  Object job{{"id", new_id("job")},
             {"title", title},
             {"confidential", false},
             {"status", "Draft"},
             {"employmentType", "FullTime"},
             {"departmentId", team.at("id")},
             {"locationId", location.at("id")},
             {"interviewPlanIds", json::array{}},
             {"customFields", json::array{}},
             {"jobPostingIds", json::array{}},
             {"hiringTeam", json::array{}},
             {"createdAt", now},
             {"updatedAt", now},
             {"defaultInterviewPlanId", nullptr}};
  set_default_plan(body, job);
  count_created(method, job);
  return results(render(put("job", std::move(job))));
}

json::object AshbyState::job_update(const Rpc& rpc) {
  refuse_confidential(rpc.body, rpc.method);
  const json::object& body = rpc.body;
  const std::string& now = rpc.now;
  Object job = require(body, "job", "jobId", "job_not_found");
  if (auto title = optional_string(body, "title"))
    job["title"] = *title;
  set_default_plan(body, job);
  job["updatedAt"] = now;
  return results(render(put("job", std::move(job))));
}

json::object AshbyState::job_set_status(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& now = rpc.now;
  Object job = require(body, "job", "jobId", "job_not_found");
  std::string to = required_string(body, "status");
  std::string from(job.at("status").as_string());
  // Allowed moves (docs/vendors/ashby.md §5).
  static const std::set<std::pair<std::string, std::string>> kMoves{
      {"Draft", "Open"},   {"Draft", "Archived"},  {"Open", "Closed"},
      {"Closed", "Draft"}, {"Closed", "Archived"}, {"Archived", "Draft"}};
  if (!kMoves.count({from, to}))
    fail("invalid_input", "Job " + std::string(job.at("id").as_string()) + " cannot move from " +
                              from + " to " + to);
  if (to == "Open" && job.at("defaultInterviewPlanId").is_null())
    fail("invalid_input", "A job cannot open without a default interview plan");
  job["status"] = to;
  job["updatedAt"] = now;
  return results(render(put("job", std::move(job))));
}

json::object AshbyState::hiring_team_role_list(const Rpc& rpc) {
  const json::object& body = rpc.body;
  // In Ashby's document (sandbox/validator/paths-index.txt) but not in the extract: the shape is
  // unverified. namesOnly (default true) answers the role names; namesOnly false the roles,
  // each with its id and, by a seeded switch, its name under `title` or `label` (third-party
  // clients read either).
  const json::value* names_only = field(body, "namesOnly");
  bool names = !(names_only && names_only->is_bool() && !names_only->as_bool());
  const char* name_key = (mix_seed(seed_ ^ 0x41E7, 1) & 1) ? "title" : "label";
  json::array out;
  for (const auto& id : collections_["hiring_team_role"].order) {
    const Object& role = collections_["hiring_team_role"].by_id.at(id);
    if (names)
      out.push_back(role.at("title"));
    else
      out.push_back(json::object{{"id", role.at("id")}, {name_key, role.at("title")}});
  }
  return results(std::move(out));
}

json::object AshbyState::hiring_team_add_member(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& now = rpc.now;
  // sandbox/validator/ashby-api-openapi.extract.json hiringTeam.addMember: Application-, Job- or
  // Opening-level {…Id, teamMemberId, roleId}, answering the member {email, firstName, lastName,
  // role, userId}; a job's hiringTeam (job.info, webhook jobCreate's job.hiringTeam) lists its
  // members in that shape. Only the job level is emulated; adding a member twice keeps one.
  if (field(body, "applicationId") || field(body, "openingId"))
    fail("invalid_input", "the emulated Ashby keeps job-level hiring teams only");
  Object job = require(body, "job", "jobId", "job_not_found");
  Object& user = require(body, "user", "teamMemberId", "user_not_found");
  Object& role = require(body, "hiring_team_role", "roleId", "hiring_team_role_not_found");
  json::object member{{"email", user.at("email")},
                      {"firstName", user.at("firstName")},
                      {"lastName", user.at("lastName")},
                      {"role", role.at("title")},
                      {"userId", user.at("id")}};
  json::value& team = job["hiringTeam"];
  if (!team.is_array())
    team = json::array{};
  bool known = false;
  for (const json::value& held : team.as_array())
    known =
        known || (held.at("userId") == member.at("userId") && held.at("role") == member.at("role"));
  if (!known) {
    team.as_array().push_back(member);
    job["updatedAt"] = now;
    put("job", std::move(job));
  }
  return results(std::move(member));
}

json::object AshbyState::job_info(const Rpc& rpc) {
  const json::object& body = rpc.body;
  std::string id = required_string(body, "id");
  Object* job = find("job", id);
  if (!job)
    fail("job_not_found", "Job " + id + " not found");
  return results(render(*job));
}

json::object AshbyState::job_list(const Rpc& rpc) {
  const json::object& body = rpc.body;
  // "To include draft jobs, `Draft` must be specified in the `status` param"; with `status`,
  // only those statuses (sandbox/validator/ashby-api-openapi.extract.json, job.list).
  std::set<std::string> wanted{"Open", "Closed", "Archived"};
  if (const json::value* statuses = field(body, "status")) {
    if (!statuses->is_array())
      fail("invalid_input", "status must be an array of Draft, Open, Closed, Archived");
    wanted.clear();
    for (const json::value& status : statuses->as_array()) {
      if (!status.is_string() ||
          (status != "Draft" && status != "Open" && status != "Closed" && status != "Archived"))
        fail("invalid_input", "status must be an array of Draft, Open, Closed, Archived");
      wanted.emplace(status.as_string());
    }
  }
  return list(body, "job", [&](const Object& job) {
    return wanted.count(std::string(job.at("status").as_string())) > 0;
  });
}

json::object AshbyState::interview_plan_list(const Rpc& rpc) {
  return list(rpc.body, "interview_plan");
}

json::object AshbyState::interview_stage_list(const Rpc& rpc) {
  refuse_limit(rpc.body, rpc.method);
  const json::object& body = rpc.body;
  std::string plan_id(require(body, "interview_plan", "interviewPlanId", "interview_plan_not_found")
                          .at("id")
                          .as_string());
  json::object out = list(body, "interview_stage", [&](const Object& stage) {
    return stage.at("interviewPlanId").as_string() == plan_id;
  });
  out.erase("syncToken");
  return out;
}

json::object AshbyState::job_interview_plan_info(const Rpc& rpc) {
  const json::object& body = rpc.body;
  Object& job = require(body, "job", "jobId", "job_not_found");
  if (job.at("defaultInterviewPlanId").is_null())
    fail("interview_plan_not_found", "Job has no interview plan");
  std::string plan_id(job.at("defaultInterviewPlanId").as_string());
  json::array stages;
  for (const auto& id : collections_["interview_stage"].order) {
    const Object& stage = collections_["interview_stage"].by_id.at(id);
    if (stage.at("interviewPlanId").as_string() == plan_id) {
      // jobInterviewPlan.info's stages carry their activities (required); the emulated plans
      // schedule no interviews, so each stage has none.
      json::object item = render(stage);
      item["activities"] = json::array{};
      stages.push_back(std::move(item));
    }
  }
  return results(json::object{
      {"jobId", job.at("id")}, {"interviewPlanId", plan_id}, {"stages", std::move(stages)}});
}

}  // namespace atsm::sandbox
