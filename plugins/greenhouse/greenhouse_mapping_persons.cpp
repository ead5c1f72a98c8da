#include "greenhouse_mapping.hpp"

#include <tuple>

#include <atsmigrate/model/email.hpp>

#include "greenhouse_mapping_fields.hpp"

namespace atsm::greenhouse {
namespace json = boost::json;

// ---- persons ------------------------------------------------------------------------------------
namespace {

// {value, type} items of the five contact arrays.
struct Contact {
  std::string value;
  std::optional<std::string> type;
};

std::vector<Contact> contacts(const Fields& fields, const std::string& key,
                              ValidationErrors& problems) {
  std::vector<Contact> out;
  if (const json::array* items = fields.array(key))
    for (std::size_t i = 0; i < items->size(); ++i) {
      Fields item((*items)[i], problems, key + "[" + std::to_string(i) + "]");
      std::optional<std::string> value = item.words("value");
      if (!value) {
        problems.add(key + "[" + std::to_string(i) + "].value", "missing");
        continue;
      }
      std::optional<std::string> type = item.words("type");
      out.push_back({*value, type});
    }
  return out;
}

model::LinkType link_type(const std::string& url, bool social) {
  std::string text = lower(url);
  if (contains(text, "linkedin.com"))
    return model::LinkType::linkedin;
  if (contains(text, "github.com"))
    return model::LinkType::github;
  return social ? model::LinkType::social : model::LinkType::website;
}

}  // namespace

void ApplicationStaff::keep(std::map<std::string, Pick>& picks, const std::string& candidate,
                            Pick pick) {
  auto [it, inserted] = picks.try_emplace(candidate, pick);
  if (!inserted && std::tie(pick.created_ms, pick.application) >
                       std::tie(it->second.created_ms, it->second.application))
    it->second = std::move(pick);
}

void ApplicationStaff::add(const json::value& application) {
  if (!application.is_object())
    return;
  const json::object& object = application.as_object();
  auto id = [&](const char* key) -> std::optional<std::string> {
    const json::value* value = object.if_contains(key);
    return value == nullptr ? std::nullopt : id_text(*value);
  };
  std::optional<std::string> candidate = id("candidate_id");
  if (!candidate)
    return;
  Pick pick;
  if (std::optional<std::string> own = id("id"); own && own->size() <= 18)
    pick.application = std::stoll(*own);
  if (const json::value* created = object.if_contains("created_at");
      created && created->is_string())
    pick.created_ms =
        model::timestamp_to_epoch_millis(std::string(created->as_string())).value_or(0);
  if (std::optional<std::string> recruiter = id("recruiter_id")) {
    pick.user = *recruiter;
    keep(recruiters_, *candidate, pick);
  }
  if (std::optional<std::string> coordinator = id("coordinator_id")) {
    pick.user = *coordinator;
    keep(coordinators_, *candidate, pick);
  }
}

std::optional<std::string> ApplicationStaff::recruiter(const std::string& candidate_id) const {
  auto it = recruiters_.find(candidate_id);
  return it == recruiters_.end() ? std::nullopt : std::optional<std::string>(it->second.user);
}

std::optional<std::string> ApplicationStaff::coordinator(const std::string& candidate_id) const {
  auto it = coordinators_.find(candidate_id);
  return it == coordinators_.end() ? std::nullopt : std::optional<std::string>(it->second.user);
}

model::Record map_candidate(const json::value& raw, const CustomFieldIndex& index,
                            const ApplicationStaff* staff) {
  ValidationErrors problems;
  Fields fields(raw, problems);
  auto person = start<model::Person>("candidate", raw, fields, problems);
  person.first_name = fields.words("first_name");
  person.last_name = fields.words("last_name");
  std::string joined = person.first_name.value_or("") +
                       (person.first_name && person.last_name ? " " : "") +
                       person.last_name.value_or("");
  if (!joined.empty())
    person.name = joined;
  if (std::optional<std::string> preferred = fields.words("preferred_name"))
    person.extra["preferred_name"] = *preferred;
  for (const Contact& email : contacts(fields, "email_addresses", problems)) {
    model::Email mapped;
    mapped.address = email.value;
    mapped.type = email.type;
    mapped.normalized = model::normalize_email(email.value);
    if (!mapped.normalized)
      problems.add("email_addresses", "\"" + email.value + "\" is not an email address");
    person.emails.push_back(std::move(mapped));
  }
  for (const Contact& phone : contacts(fields, "phone_numbers", problems))
    person.phones.push_back({phone.value, phone.type, {}});
  for (const Contact& address : contacts(fields, "addresses", problems))
    person.addresses.push_back({address.value, address.type, {}});
  for (const Contact& site : contacts(fields, "website_addresses", problems)) {
    model::Link link{site.value, link_type(site.value, false), {}};
    if (site.type)
      link.extra["greenhouse_type"] = *site.type;
    person.links.push_back(std::move(link));
  }
  for (const Contact& social : contacts(fields, "social_media_addresses", problems))
    person.links.push_back({social.value, link_type(social.value, true), {}});
  person.company = fields.words("company");
  person.title = fields.words("title");
  if (const json::array* tags = fields.array("tags"))
    for (std::size_t i = 0; i < tags->size(); ++i) {
      const json::value& tag = (*tags)[i];
      // v3 lists names; tolerate {id, name} objects too.
      if (tag.is_string() && !tag.as_string().empty())
        person.tags.emplace_back(tag.as_string());
      else if (std::optional<std::string> name =
                   Fields(tag, problems, "tags[" + std::to_string(i) + "]").words("name"))
        person.tags.push_back(*name);
    }
  std::optional<bool> is_private = fields.flag("private");
  if (!is_private)
    is_private = fields.flag("is_private");  // v1 spelling
  person.is_private = is_private;
  // v3 candidates no longer carry them (§6.1): they come from the applications.
  std::optional<std::string> recruiter = fields.id("recruiter_id");
  std::optional<std::string> coordinator = fields.id("coordinator_id");
  std::string own_id = id_of(raw);
  if (!recruiter && staff != nullptr && !own_id.empty())
    recruiter = staff->recruiter(own_id);
  if (!coordinator && staff != nullptr && !own_id.empty())
    coordinator = staff->coordinator(own_id);
  person.recruiter_user_key = key_of("user", recruiter);
  person.coordinator_user_key = key_of("user", coordinator);
  person.created_at = fields.time("created_at");
  person.updated_at = fields.time("updated_at");
  person.custom_fields = custom_field_values(fields, "candidate", index, problems);
  json::array linked;
  for (const std::string& user : fields.ids("linked_user_ids"))
    linked.emplace_back(source_key("user", user));
  if (!linked.empty())
    person.extra["linked_user_keys"] = std::move(linked);
  person.time_zone = fields.words("time_zone");
  person.can_email = fields.flag("can_email");
  return finish(std::move(person), problems);
}

}  // namespace atsm::greenhouse
