// Persons -> candidates, and the steps every writer shares: custom field values and tags.
#include "ashby_sink.hpp"

#include <algorithm>
#include <cmath>

#include <atsmigrate/model/email.hpp>
#include <atsmigrate/model/time.hpp>
#include "render.hpp"
#include "sink_support.hpp"

namespace atsm::ashby {

namespace {

std::string person_name(const model::Person& person) {
  if (person.name && !person.name->empty())
    return *person.name;
  std::string name = person.first_name.value_or("");
  if (person.last_name && !person.last_name->empty())
    name += (name.empty() ? "" : " ") + *person.last_name;
  return name;
}

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

// A Date field's value is a date-time (sandbox/validator/ashby-api-openapi.extract.json,
// customField.setValues: fieldValue's Date branch, format date-time): a calendar day is its start
// in UTC; null when it is neither.
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

// A Currency field's value is {value: number, currencyCode: ISO 4217}
// (sandbox/validator/ashby-api-openapi.extract.json, customField.setValues); sources give {unit,
// amount} (Greenhouse) or {currency, value}. Null when there is no amount or no three-letter code.
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
    std::set<std::string> held = candidate_memos_.tag_ids(candidate_id);
    present.insert(held.begin(), held.end());
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
    candidate_memos_.add_tag_ids(candidate_id, {tag_id});
  }
  if (candidate != nullptr) {
    std::lock_guard lock(mutex_);
    candidate_memos_.add_tag_ids(candidate_id, present);
  }
}

std::optional<std::string> AshbySink::find_candidate(const WriteItem& item) {
  std::vector<const model::Person*> persons = persons_of(item);
  std::vector<std::string> ignored;
  CandidateFields fields = candidate_fields(persons, ignored);
  auto ours = [&](const object& candidate) {
    for (const std::string& key :
         split_keys(custom_value_by_title(candidate, config_.legacy_candidate_field)))
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
    if (custom_value_by_title(c, config_.legacy_candidate_field).empty() && fields.created_at &&
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
       split_keys(custom_value_by_title(candidate, config_.legacy_candidate_field)))
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
  remember_file_ids(id, candidate, created);

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

}  // namespace atsm::ashby
