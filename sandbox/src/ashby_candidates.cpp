// The emulated Ashby's candidate RPCs (docs/vendors/ashby.md): no dedup on candidate.create,
// tag create idempotent by title.
#include <algorithm>

#include "ashby_rpc.hpp"
#include "ashby_state.hpp"
#include "sandbox/dataset.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace json = boost::json;
using namespace ashby_rpc;

json::object AshbyState::write_candidate(const Rpc& rpc, bool create) {
  const json::object& body = rpc.body;
  const std::string& method = rpc.method;
  const std::string& now = rpc.now;
  Object candidate;
  if (create) {
    candidate = Object{
        {"id", new_id("candidate")},       {"name", required_string(body, "name")},
        {"emailAddresses", json::array{}}, {"phoneNumbers", json::array{}},
        {"socialLinks", json::array{}},    {"tags", json::array{}},
        {"applicationIds", json::array{}}, {"fileHandles", json::array{}},
        {"customFields", json::array{}},   {"createdAt", checked_time(body, "createdAt", now)}};
    candidate["profileUrl"] =
        "https://app.ashbyhq.com/candidates/" + std::string(candidate["id"].as_string());
  } else {
    candidate = require(body, "candidate", "candidateId", "candidate_not_found");
    if (auto name = optional_string(body, "name"))
      candidate["name"] = *name;
    if (field(body, "createdAt"))
      candidate["createdAt"] = checked_time(body, "createdAt", now);
  }
  auto add_email = [&](const std::string& email, bool primary) {
    if (!is_valid_email(email))
      fail("invalid_input", "Invalid email address: " + email);
    json::object entry{{"value", email}, {"type", "Personal"}, {"isPrimary", primary}};
    auto& emails = candidate["emailAddresses"].as_array();
    if (primary) {
      for (auto& existing : emails)
        existing.as_object()["isPrimary"] = false;
      candidate["primaryEmailAddress"] = entry;
    }
    emails.push_back(std::move(entry));
  };
  if (auto email = optional_string(body, "email"))
    add_email(*email, true);
  if (auto* alternates = field(body, "alternateEmailAddresses")) {
    for (const auto& email : alternates->as_array())
      add_email(std::string(email.as_string()), false);
  }
  if (auto alternate = optional_string(body, "alternateEmail"))
    add_email(*alternate, false);
  if (auto phone = optional_string(body, "phoneNumber")) {
    json::object entry{{"value", *phone}, {"type", "Personal"}, {"isPrimary", true}};
    candidate["primaryPhoneNumber"] = entry;
    candidate["phoneNumbers"].as_array().push_back(std::move(entry));
  }
  for (auto [key, type] : {std::pair{"linkedInUrl", "LinkedIn"},
                           {"githubUrl", "GitHub"},
                           {"website", "Website"},
                           {"websiteUrl", "Website"}}) {
    if (auto url = optional_string(body, key)) {
      if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0)
        fail("invalid_input", std::string(key) + " must be a valid URL");
      candidate["socialLinks"].as_array().push_back(json::object{{"type", type}, {"url", *url}});
    }
  }
  if (auto* links = field(body, "socialLinks"))
    candidate["socialLinks"] = *links;
  if (auto* location = field(body, "location")) {
    const auto& parts = location->as_object();
    json::array components;
    std::string summary;
    for (auto [key, type] :
         {std::pair{"city", "City"}, {"region", "Region"}, {"country", "Country"}}) {
      if (auto* part = parts.if_contains(key);
          part && part->is_string() && !part->as_string().empty()) {
        components.push_back(json::object{{"type", type}, {"name", *part}});
        summary += (summary.empty() ? "" : ", ") + std::string(part->as_string());
      }
    }
    candidate["location"] = json::object{{"id", new_id("location")},
                                         {"locationSummary", summary},
                                         {"locationComponents", std::move(components)}};
  }
  set_source_and_credit(body, candidate);
  candidate["updatedAt"] = now;
  if (create)
    count_created(method, candidate);
  return results(render(put("candidate", std::move(candidate))));
}

json::object AshbyState::candidate_create(const Rpc& rpc) {
  return write_candidate(rpc, true);
}

json::object AshbyState::candidate_update(const Rpc& rpc) {
  return write_candidate(rpc, false);
}

json::object AshbyState::candidate_info(const Rpc& rpc) {
  const json::object& body = rpc.body;
  std::string id = required_string(body, "id");
  Object* candidate = find("candidate", id);
  if (!candidate)
    fail("candidate_not_found", "Candidate " + id + " not found");
  return results(render(*candidate));
}

json::object AshbyState::candidate_list(const Rpc& rpc) {
  return list(rpc.body, "candidate");
}

json::object AshbyState::candidate_search(const Rpc& rpc) {
  const json::object& body = rpc.body;
  auto email = optional_string(body, "email");
  auto name = optional_string(body, "name");
  if (!email && !name)
    fail("invalid_input", "candidate.search needs email or name");
  json::array matches;
  auto& candidates = collections_["candidate"];
  std::vector<std::string> ids;
  if (email) {
    for (const auto& id : candidates_by_email_[normalise_email(*email)])
      ids.push_back(id);
    std::sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) {
      return candidates.position.at(a) < candidates.position.at(b);
    });
  } else {
    ids = candidates.order;
  }
  for (const auto& id : ids) {
    const Object& candidate = candidates.by_id.at(id);
    bool ok = !name || to_lower(std::string(candidate.at("name").as_string())) == to_lower(*name);
    if (ok)
      matches.push_back(render(candidate));
    if (matches.size() == 100)
      break;
  }
  return results(std::move(matches));
}

json::object AshbyState::tag_candidate(const Rpc& rpc, bool add) {
  const json::object& body = rpc.body;
  const std::string& now = rpc.now;
  Object candidate = require(body, "candidate", "candidateId", "candidate_not_found");
  Object& tag = require(body, "candidate_tag", "tagId", "tag_not_found");
  auto& tags = candidate["tags"].as_array();
  auto it = std::find_if(tags.begin(), tags.end(),
                         [&](const json::value& t) { return t.at("id") == tag.at("id"); });
  if (add && it == tags.end())
    tags.push_back(render(tag));
  if (!add && it != tags.end())
    tags.erase(it);
  candidate["updatedAt"] = now;
  return results(render(put("candidate", std::move(candidate))));
}

json::object AshbyState::candidate_add_tag(const Rpc& rpc) {
  return tag_candidate(rpc, true);
}

json::object AshbyState::candidate_remove_tag(const Rpc& rpc) {
  return tag_candidate(rpc, false);
}

json::object AshbyState::candidate_tag_create(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& method = rpc.method;
  std::string title = required_string(body, "title");
  for (const auto& [id, tag] : collections_["candidate_tag"].by_id)
    if (tag.at("title").as_string() == title)
      return results(render(tag));  // idempotent by title
  Object tag{{"id", new_id("candidate_tag")}, {"title", title}, {"isArchived", false}};
  count_created(method, tag);
  return results(render(put("candidate_tag", std::move(tag))));
}

json::object AshbyState::candidate_tag_list(const Rpc& rpc) {
  return list(rpc.body, "candidate_tag");
}

json::object AshbyState::candidate_anonymize(const Rpc& rpc) {
  const json::object& body = rpc.body;
  Object candidate = require(body, "candidate", "candidateId", "candidate_not_found");
  for (const auto& app_id : candidate.at("applicationIds").as_array()) {
    Object* app = find("application", std::string(app_id.as_string()));
    if (app && (app->at("status") == "Active" || app->at("status") == "Lead"))
      fail("invalid_input", "Candidate has applications that are not Archived or Hired");
  }
  candidate["name"] = "Anonymized Candidate";
  candidate["emailAddresses"] = json::array{};
  candidate["phoneNumbers"] = json::array{};
  candidate.erase("primaryEmailAddress");
  candidate.erase("primaryPhoneNumber");
  return results(render(put("candidate", std::move(candidate))));
}

}  // namespace atsm::sandbox
