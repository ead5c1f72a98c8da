#include "lever_mapping.hpp"

#include <algorithm>
#include <cstdio>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atsmigrate/model/email.hpp>

#include "lever_mapping_fields.hpp"

namespace atsm::lever {
namespace json = boost::json;

// ---- persons ------------------------------------------------------------------------------------

namespace {
// The person fields an opportunity carries beside its contact (links live only there).
constexpr const char* kPersonFieldsOfOpportunity[] = {"links",    "name",   "headline",
                                                      "location", "emails", "phones"};
}  // namespace

namespace {

model::LinkType link_type(const std::string& url) {
  std::string lower = url;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("linkedin.com") != std::string::npos)
    return model::LinkType::linkedin;
  if (lower.find("github.com") != std::string::npos)
    return model::LinkType::github;
  for (const char* social : {"twitter.com", "x.com/", "facebook.com", "instagram.com",
                             "dribbble.com", "behance.net", "stackoverflow.com"}) {
    if (lower.find(social) != std::string::npos)
      return model::LinkType::social;
  }
  return model::LinkType::website;
}

}  // namespace

void ContactAggregate::add_opportunity(const json::object& opportunity) {
  ValidationErrors ignored;  // problems are reported on the candidacy record
  json::value holder(opportunity);
  Fields f(holder, ignored);
  std::optional<std::int64_t> created = f.millis("createdAt");
  if (const json::value* contact = opportunity.if_contains("contact");
      contact && contact->is_object())
    contact_ = json::serialize(*contact);
  bool newer = !has_newest_ || (created && (!newest_created_ || *created > *newest_created_));
  if (newer) {
    // Only what to_person takes from it (the person fields, the owner, the anonymized flag): a
    // whole opportunity is many times that.
    json::object newest;
    for (const char* key : kPersonFieldsOfOpportunity)
      if (const json::value* value = opportunity.if_contains(key))
        newest[key] = *value;
    for (const char* key : {"owner", "isAnonymized"})
      if (const json::value* value = opportunity.if_contains(key))
        newest[key] = *value;
    newest_ = json::serialize(newest);
    has_newest_ = true;
    newest_created_ = created;
  }
  if (created && (!earliest_created_ || *created < *earliest_created_)) {
    earliest_created_ = created;
    earliest_origin_ = f.text("origin").value_or("");
  }
  for (const std::string& tag : f.strings("tags"))
    tags_.insert(tag);
  for (const std::string& source : f.strings("sources"))
    sources_.insert(source);
  if (const json::array* followers = f.array("followers")) {
    for (const json::value& follower : *followers) {
      if (follower.is_string())
        followers_.insert(std::string(follower.as_string()));
      else if (follower.is_object() && follower.as_object().contains("id") &&
               follower.as_object().at("id").is_string())
        followers_.insert(std::string(follower.as_object().at("id").as_string()));
    }
  }
  if (f.text("confidentiality") == std::optional<std::string>("confidential"))
    any_confidential_ = true;
  if (std::optional<std::string> id = f.text("id"))
    opportunity_ids_.push_back(*id);
}

namespace {

// parsedData's {year, month} -> "YYYY" or "YYYY-MM" (as precise as the source is).
std::optional<std::string> year_month(const json::value* value) {
  if (value == nullptr || !value->is_object())
    return std::nullopt;
  const json::value* year = value->as_object().if_contains("year");
  std::optional<std::int64_t> y = year ? parse_millis(*year) : std::nullopt;
  if (!y || *y < 1 || *y > 9999)
    return std::nullopt;
  char text[8];
  std::snprintf(text, sizeof text, "%04d", static_cast<int>(*y));
  std::string out = text;
  const json::value* month = value->as_object().if_contains("month");
  std::optional<std::int64_t> m = month ? parse_millis(*month) : std::nullopt;
  if (m && *m >= 1 && *m <= 12) {
    std::snprintf(text, sizeof text, "-%02d", static_cast<int>(*m));
    out += text;
  }
  return out;
}

std::optional<std::string> nonempty_text(const json::object& object, const char* key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string() || value->as_string().empty())
    return std::nullopt;
  return std::string(value->as_string());
}

}  // namespace

void ContactAggregate::add_resume(const json::value& resume) {
  const json::value* parsed =
      resume.is_object() ? resume.as_object().if_contains("parsedData") : nullptr;
  if (parsed == nullptr || !parsed->is_object())
    return;
  // resumes_list: positions {org, title, summary, location, start, end} and schools {org,
  // degree, field, summary, start, end} -> person.employment / person.education (common.md).
  auto each = [&](const char* key, auto&& add) {
    const json::value* items = parsed->as_object().if_contains(key);
    if (items != nullptr && items->is_array())
      for (const json::value& item : items->as_array())
        if (item.is_object())
          add(item.as_object());
  };
  each("positions", [&](const json::object& position) {
    model::Employment entry;
    entry.company = nonempty_text(position, "org");
    entry.title = nonempty_text(position, "title");
    entry.start = year_month(position.if_contains("start"));
    entry.end = year_month(position.if_contains("end"));
    if (entry != model::Employment{} &&
        std::find(employment_.begin(), employment_.end(), entry) == employment_.end())
      employment_.push_back(std::move(entry));
  });
  each("schools", [&](const json::object& school) {
    auto org = nonempty_text(school, "org");
    if (!org)
      return;
    model::Education entry;
    entry.school = *org;
    entry.degree = nonempty_text(school, "degree");
    entry.field_of_study = nonempty_text(school, "field");
    entry.start = year_month(school.if_contains("start"));
    entry.end = year_month(school.if_contains("end"));
    if (std::find(education_.begin(), education_.end(), entry) == education_.end())
      education_.push_back(std::move(entry));
  });
}

model::Record ContactAggregate::to_person(const std::string& contact_id) const {
  ValidationErrors problems;
  // The raw record is the contact as Lever shows it, plus the opportunity-level person fields
  // (links live only there) of the newest opportunity.
  json::object raw;
  if (!contact_.empty())
    raw = json::parse(contact_).as_object();
  json::object newest;
  if (!newest_.empty())
    newest = json::parse(newest_).as_object();
  for (const char* key : kPersonFieldsOfOpportunity)
    if (!raw.contains(key) && newest.contains(key))
      raw[key] = newest.at(key);
  json::value raw_value(raw);
  auto person = start_record<model::Person>(raw_value, "contact", contact_id);
  if (contact_id.empty())
    problems.add("contact", "opportunity names no contact id");
  Fields f(raw_value, problems);
  person.name = f.text("name");
  if (!person.name || person.name->empty()) {
    // Real accounts hold opportunities with name "" and no contact data (issue 16 §3): Ashby
    // needs a name, so the record says so instead of becoming a nameless candidate.
    std::string opportunities;
    for (const std::string& id : opportunity_ids_)
      opportunities += (opportunities.empty() ? "" : ", ") + source_key("opportunity", id);
    problems.add("name", source_key("contact", contact_id) + " has no name (Ashby requires one)" +
                             (opportunities.empty() ? "" : "; seen on " + opportunities));
  }
  person.headline = f.text("headline");
  if (person.headline && person.headline->empty())
    person.headline.reset();
  // Contact location is {name}; the opportunity's is a string.
  if (const json::value* location = f.get("location")) {
    if (location->is_string()) {
      person.location = std::string(location->as_string());
    } else if (location->is_object()) {
      const json::value* name = location->as_object().if_contains("name");
      if (name && name->is_string())
        person.location = std::string(name->as_string());
    } else {
      problems.add("location",
                   std::string("expected a string or {name}, got ") + kit::json_type(*location));
    }
    if (person.location && person.location->empty())
      person.location.reset();
  }
  std::vector<std::string> emails = f.strings("emails");
  for (std::size_t i = 0; i < emails.size(); ++i) {
    model::Email email;
    email.address = emails[i];
    email.normalized = model::normalize_email(email.address);
    if (!email.normalized)
      problems.add("emails[" + std::to_string(i) + "]",
                   "\"" + email.address + "\" is not an email address");
    person.emails.push_back(std::move(email));
  }
  if (const json::array* phones = f.array("phones")) {
    for (std::size_t i = 0; i < phones->size(); ++i) {
      Fields phone((*phones)[i], problems, "phones[" + std::to_string(i) + "]");
      model::Phone mapped;
      mapped.number = phone.text("value").value_or("");
      if (mapped.number.empty())
        continue;
      mapped.type = phone.one_of("type", {"other", "home", "mobile", "work", "skype"});
      person.phones.push_back(std::move(mapped));
    }
  }
  for (const std::string& url : f.strings("links")) {
    model::Link link;
    link.url = url;
    link.type = link_type(url);
    person.links.push_back(std::move(link));
  }
  person.anonymized = f.boolean("isAnonymized");
  person.tags.assign(tags_.begin(), tags_.end());
  if (has_newest_) {
    json::value newest_value(std::move(newest));
    ValidationErrors ignored;
    Fields opportunity(newest_value, ignored);
    person.owner_user_key = user_key(opportunity.ref_id("owner"));
    if (!person.anonymized)
      person.anonymized = opportunity.boolean("isAnonymized");
  }
  person.confidential = any_confidential_;
  if (earliest_created_) {
    try {
      person.created_at = model::format_epoch_millis(*earliest_created_);
    } catch (const std::out_of_range&) {
      problems.add("createdAt", "timestamp is outside years 0000-9999");
    }
  }
  if (!earliest_origin_.empty())
    person.extra["origin"] = earliest_origin_;
  if (!sources_.empty()) {
    json::array sources;
    for (const std::string& source : sources_)
      sources.push_back(
          json::object{{"source_key", source_key("source", source)}, {"name", source}});
    person.extra["sources"] = std::move(sources);
  }
  if (!followers_.empty()) {
    json::array followers;
    for (const std::string& follower : followers_)
      followers.emplace_back(source_key("user", follower));
    person.extra["follower_user_keys"] = std::move(followers);
  }
  person.education = education_;
  person.employment = employment_;
  json::array opportunities;
  for (const std::string& id : opportunity_ids_)
    opportunities.emplace_back(source_key("opportunity", id));
  person.extra["candidacy_keys"] = std::move(opportunities);
  return finish(std::move(person), problems);
}

}  // namespace atsm::lever
