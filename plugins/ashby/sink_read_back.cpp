// read_back: what Ashby holds, as a canonical record; census: every object carrying legacy ids.
#include "ashby_sink.hpp"

#include <cctype>

#include <atsmigrate/model/codec.hpp>
#include <atsmigrate/model/time.hpp>
#include "sink_support.hpp"

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

// "a:b" composite target ids (a note's candidate, a feedback's application) split in two.
std::pair<std::string, std::string> split_target(const std::string& target_id) {
  size_t colon = target_id.find(':');
  if (colon == std::string::npos)
    return {"", target_id};
  return {target_id.substr(0, colon), target_id.substr(colon + 1)};
}

std::string iso_or_empty(const object& item, std::string_view key) {
  std::string text = text_of(item, key);
  if (text.empty())
    return text;
  return model::normalize_timestamp(text).value_or("");
}

array custom_fields_of(const object& ashby_object) {
  array out;
  if (const array* fields = array_at(ashby_object, "customFields"))
    for (const value& field : *fields)
      if (field.is_object())
        out.push_back(object{
            {"field_key", "ashby:custom_field:" + text_of(field.as_object(), "id")},
            {"name", text_of(field.as_object(), "title")},
            {"value", field.as_object().contains("value") ? field.at("value") : value(nullptr)}});
  return out;
}

// A candidate (candidate.info's answer) as a canonical person.
object person_record(const object& candidate, const std::string& target_id) {
  object record{{"kind", "person"}, {"source", "ashby"}};
  record["source_key"] = "ashby:candidate:" + target_id;
  record["name"] = text_of(candidate, "name");
  array emails, phones, links, tags;
  if (const array* list = array_at(candidate, "emailAddresses"))
    for (const value& email : *list)
      emails.push_back(object{{"address", text_of(email.as_object(), "value")}});
  if (const array* list = array_at(candidate, "phoneNumbers"))
    for (const value& phone : *list)
      phones.push_back(object{{"number", text_of(phone.as_object(), "value")}});
  if (const array* list = array_at(candidate, "socialLinks"))
    for (const value& link : *list) {
      std::string type = text_of(link.as_object(), "type");
      links.push_back(object{{"url", text_of(link.as_object(), "url")},
                             {"type", type == "LinkedIn"  ? "linkedin"
                                      : type == "GitHub"  ? "github"
                                      : type == "Website" ? "website"
                                                          : "social"}});
    }
  if (const array* list = array_at(candidate, "tags"))
    for (const value& tag : *list)
      tags.emplace_back(text_of(tag.as_object(), "title"));
  record["emails"] = std::move(emails);
  record["phones"] = std::move(phones);
  record["links"] = std::move(links);
  record["tags"] = std::move(tags);
  if (const object* location = object_at(candidate, "location"))
    if (std::string summary = text_of(*location, "locationSummary"); !summary.empty())
      record["location"] = summary;
  if (std::string created = iso_or_empty(candidate, "createdAt"); !created.empty())
    record["created_at"] = created;
  record["custom_fields"] = custom_fields_of(candidate);
  return record;
}

// An application (application.info's answer) as a canonical candidacy.
object candidacy_record(const object& app, const std::string& target_id) {
  object record{{"kind", "candidacy"}, {"source", "ashby"}};
  record["source_key"] = "ashby:application:" + target_id;
  const object* candidate = object_at(app, "candidate");
  record["person_key"] = "ashby:candidate:" + (candidate ? text_of(*candidate, "id") : "");
  if (const object* job = object_at(app, "job"))
    record["job_key"] = "ashby:job:" + text_of(*job, "id");
  record["status"] = lower(text_of(app, "status"));
  if (const object* stage = object_at(app, "currentInterviewStage"))
    record["stage_key"] = "ashby:stage:" + text_of(*stage, "id");
  if (const object* reason = object_at(app, "archiveReason"))
    record["archive_reason_key"] = "ashby:archive_reason:" + text_of(*reason, "id");
  if (std::string archived = iso_or_empty(app, "archivedAt"); !archived.empty())
    record["archived_at"] = archived;
  array history;
  if (const array* list = array_at(app, "applicationHistory"))
    for (const value& entry : *list)
      if (std::string at = iso_or_empty(entry.as_object(), "enteredStageAt"); !at.empty())
        history.push_back(
            object{{"stage_key", "ashby:stage:" + text_of(entry.as_object(), "stageId")},
                   {"entered_at", at}});
  record["stage_history"] = std::move(history);
  if (const object* source = object_at(app, "source"))
    record["sources"] = array{object{{"source_key", "ashby:source:" + text_of(*source, "id")},
                                     {"name", text_of(*source, "title")}}};
  if (const object* user = object_at(app, "creditedToUser"))
    record["credited_to_user_key"] = "ashby:user:" + text_of(*user, "id");
  if (std::string created = iso_or_empty(app, "createdAt"); !created.empty())
    record["created_at"] = created;
  record["custom_fields"] = custom_fields_of(app);
  return record;
}

// A job (job.info's answer) as a canonical job.
object job_record(const object& job, const std::string& target_id) {
  object record{{"kind", "job"}, {"source", "ashby"}};
  record["source_key"] = "ashby:job:" + target_id;
  record["title"] = text_of(job, "title");
  record["status"] = lower(text_of(job, "status"));
  if (const value* confidential = job.if_contains("confidential");
      confidential && confidential->is_bool())
    record["confidential"] = *confidential;
  if (std::string department = text_of(job, "departmentId"); !department.empty())
    record["department_keys"] = array{value("ashby:department:" + department)};
  if (std::string location = text_of(job, "locationId"); !location.empty())
    record["office_keys"] = array{value("ashby:office:" + location)};
  if (std::string created = iso_or_empty(job, "createdAt"); !created.empty())
    record["created_at"] = created;
  return record;
}

// A submitted feedback (applicationFeedback.list's entry) on the application `app`.
object feedback_record(const object& feedback, const object& app, const std::string& parent,
                       const std::string& child) {
  object record{{"kind", "feedback"}, {"source", "ashby"}};
  const object* candidate = object_at(app, "candidate");
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
  return record;
}

// A candidate note (candidate.listNotes' entry): what Ashby holds for notes, interviews and
// offers alike.
object note_record(const object& note, const std::string& parent, const std::string& child) {
  object record{{"kind", "note"},
                {"source", "ashby"},
                {"source_key", "ashby:note:" + child},
                {"person_key", "ashby:candidate:" + parent},
                {"body", text_of(note, "content")},
                {"body_format", "html"}};
  if (std::string created = iso_or_empty(note, "createdAt"); !created.empty())
    record["created_at"] = created;
  if (const value* is_private = note.if_contains("isPrivate"); is_private && is_private->is_bool())
    record["is_private"] = *is_private;
  return record;
}

// A department, office, tag or custom field (its list's entry).
object listed_record(const std::string& kind, const object& entry, const std::string& target_id) {
  object record{{"kind", kind}, {"source", "ashby"}};
  record["source_key"] = "ashby:" + kind + ":" + target_id;
  record["name"] =
      kind == "tag" || kind == "custom_field" ? text_of(entry, "title") : text_of(entry, "name");
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
  return record;
}

}  // namespace

std::optional<std::string> AshbySink::read_back(const std::string& kind,
                                                const std::string& target_id) {
  // Every Ashby id is a UUID (the spec's `format: uuid`): a target id whose first part (the whole
  // id, or the parent of "parent:child", which is what the read sends) is none names no Ashby
  // object, and asking for it would be a request the spec refuses.
  if (!is_uuid(std::string_view(target_id).substr(0, target_id.find(':'))))
    return std::nullopt;
  std::optional<object> record;
  if (kind == "person") {
    if (auto candidate = fetch_or_none("candidate.info", object{{"id", target_id}}))
      record = person_record(*candidate, target_id);
  } else if (kind == "candidacy") {
    if (auto app = fetch_or_none("application.info", object{{"applicationId", target_id}}))
      record = candidacy_record(*app, target_id);
  } else if (kind == "job") {
    if (auto job = fetch_or_none("job.info", object{{"id", target_id}}))
      record = job_record(*job, target_id);
  } else if (kind == "note" || kind == "interview" || kind == "offer" ||
             (kind == "feedback" && target_id.find(':') != std::string::npos)) {
    record = read_note_or_feedback(kind, target_id);
  } else if (kind == "file") {
    record = read_file(target_id);
  } else if (kind == "department" || kind == "office" || kind == "tag" || kind == "custom_field") {
    std::string method = kind == "department" ? "department.list"
                         : kind == "office"   ? "location.list"
                         : kind == "tag"      ? "candidateTag.list"
                                              : "customField.list";
    for (const object& entry : client_.list_all(method, object{}))
      if (text_of(entry, "id") == target_id) {
        record = listed_record(kind, entry, target_id);
        break;
      }
  } else {
    invalid("ashby read_back: kind '" + kind + "' is not one the Ashby sink writes");
  }
  if (!record)
    return std::nullopt;
  try {
    return json::serialize(model::record_to_json(model::record_from_json(*record)));
  } catch (const model::ModelError& error) {
    throw sdk::Error(ATSM_INTERNAL, "ashby read_back of " + kind + " " + target_id +
                                        ": Ashby's object does not fit the model: " + error.what());
  }
}

// The answer of a read, or nullopt when Ashby says the object is not found.
std::optional<object> AshbySink::fetch_or_none(const std::string& method, const object& body) {
  try {
    return as_object(client_.results(method, body, CallKind::read), method);
  } catch (const sdk::Error& error) {
    if (error.vendor_code().find("not_found") != std::string::npos)
      return std::nullopt;
    throw;
  }
}

// "<candidate id>:<note id>" (notes, interviews, offers, feedback without an application) or
// "<application id>:<feedback id>".
std::optional<object> AshbySink::read_note_or_feedback(const std::string& kind,
                                                       const std::string& target_id) {
  auto [parent, child] = split_target(target_id);
  if (kind == "feedback") {
    // Feedback lives on an application, or (without one) as a note on the candidate.
    if (std::optional<object> app =
            fetch_or_none("application.info", object{{"applicationId", parent}})) {
      for (const object& feedback :
           client_.list_all("applicationFeedback.list", object{{"applicationId", parent}}))
        if (text_of(feedback, "id") == child)
          return feedback_record(feedback, *app, parent, child);
      return std::nullopt;
    }
  }
  if (parent.empty())
    invalid("ashby read_back of " + kind + ": target id " + target_id +
            " is not <candidate id>:<note id>");
  for (const object& note :
       client_.list_all("candidate.listNotes", object{{"candidateId", parent}}))
    if (text_of(note, "id") == child)
      return note_record(note, parent, child);
  return std::nullopt;
}

// "<candidate id>:<file id>": the file's name, whether it is the resume, and its bytes' SHA-256.
std::optional<object> AshbySink::read_file(const std::string& target_id) {
  auto [parent, child] = split_target(target_id);
  auto candidate = fetch_or_none("candidate.info", object{{"id", parent}});
  if (!candidate)
    return std::nullopt;
  if (const array* handles = array_at(*candidate, "fileHandles"))
    for (const value& handle : *handles)
      if (handle.is_object() && text_of(handle.as_object(), "id") == child) {
        const object* resume = object_at(*candidate, "resumeFileHandle");
        return object{{"kind", "file"},
                      {"source", "ashby"},
                      {"source_key", "ashby:file:" + child},
                      {"person_key", "ashby:candidate:" + parent},
                      {"file_name", text_of(handle.as_object(), "name")},
                      {"is_resume", resume != nullptr && text_of(*resume, "id") == child},
                      // The bytes, to check by SHA-256 (file.info's presigned download).
                      {"sha256", client_.download_sha256(text_of(handle.as_object(), "handle"))}};
      }
  return std::nullopt;
}

std::optional<std::string> AshbySink::census(const std::string& kind) {
  array held;
  if (kind == "person") {
    client_.for_each_listed("candidate.list", object{}, [&](const object& candidate) {
      std::set<std::string> keys =
          split_keys(custom_value_by_title(candidate, config_.legacy_candidate_field));
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
      std::string key = custom_value_by_title(application, config_.legacy_application_field);
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
