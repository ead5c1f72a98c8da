// The records the emulated Lever answers (docs/vendors/lever.md): users, contacts, opportunities
// and their child lists (notes, feedback, interviews, offers, files, forms, applications).
#include <algorithm>
#include <set>

#include "lever_common.hpp"
#include "servers.hpp"
#include "util.hpp"

namespace atsm::sandbox {
using namespace lever_api;

namespace {

// The stage the opportunity was in at `at`: a comment names the stage it was written at, which a
// later move does not rewrite (lever_docs_examples.json `note_retrieve`: two comments of one note
// name two stages; the earliest known stage before the first recorded change).
const std::string& stage_at(const LeverOpportunity& opp, std::int64_t at) {
  const std::string* stage = &opp.stage_id;
  for (auto change = opp.stage_changes.rbegin(); change != opp.stage_changes.rend(); ++change) {
    stage = &change->to_stage_id;
    if (change->at <= at)
      return *stage;
  }
  return *stage;
}

}  // namespace

json::value LeverServer::render_user(const std::string& id) const {
  auto it = world_.user_by_id.find(id);
  if (it == world_.user_by_id.end())
    return id.empty() ? json::value(nullptr) : json::value(id);
  const LeverUser& user = world_.data.lever.users[it->second];
  return json::object{{"id", user.id},
                      {"name", user.name},
                      {"username", user.email.substr(0, user.email.find('@'))},
                      {"email", user.email},
                      {"accessRole", user.access_role},
                      {"photo", nullptr},
                      {"createdAt", user.created_at},
                      {"deactivatedAt", user.deactivated_at ? json::value(*user.deactivated_at)
                                                            : json::value(nullptr)},
                      {"externalDirectoryId", nullptr},
                      {"linkedContactIds", nullptr},
                      {"jobTitle", nullptr},
                      {"managerId", nullptr}};
}

json::object LeverServer::render_contact(const LeverContact& contact) const {
  json::array emails, phones;
  if (!contact.anonymized) {
    for (const auto& email : contact.emails)
      emails.emplace_back(email);
    for (const auto& phone : contact.phones)
      phones.push_back(json::object{{"type", phone.type}, {"value", phone.value}});
  }
  return json::object{
      {"id", contact.id},
      {"name", contact.anonymized ? "Anonymized Candidate" : contact.name},
      {"headline", contact.anonymized ? "" : contact.headline},
      {"isAnonymized", contact.anonymized},
      {"location", json::object{{"name", contact.anonymized ? "" : contact.location}}},
      {"emails", std::move(emails)},
      {"phones", std::move(phones)}};
}

json::object LeverServer::render_opportunity(const LeverOpportunity& opp,
                                             const std::set<std::string>& expand) const {
  const LeverContact& contact = world_.data.lever.contacts[world_.contact_by_id.at(opp.contact_id)];
  json::object contact_json = render_contact(contact);
  json::array links, tags, sources, changes;
  if (!contact.anonymized)
    for (const auto& link : contact.links)
      links.emplace_back(link);
  for (const auto& tag : opp.tags)
    tags.emplace_back(tag);
  for (const auto& source : opp.sources)
    sources.emplace_back(source);
  // Most real stage changes carry no userId (issue 16 §4, recorded payloads); one in four
  // keeps it here, chosen from the seed.
  for (std::size_t i = 0; i < opp.stage_changes.size(); ++i) {
    const auto& change = opp.stage_changes[i];
    bool with_user = mix_seed(options_.seed, std::hash<std::string>{}(opp.id) + i) % 4 == 0;
    changes.push_back(
        json::object{{"toStageId", change.to_stage_id},
                     {"toStageIndex", change.to_stage_index},
                     {"userId", with_user ? json::value(change.user_id) : json::value(nullptr)},
                     {"updatedAt", change.at}});
  }
  json::value archived = nullptr;
  if (opp.archive_reason_id)
    archived = json::object{{"reason", *opp.archive_reason_id}, {"archivedAt", opp.archived_at}};
  json::value stage(json::string_view(opp.stage_id));
  if (expand.count("stage")) {
    auto it = world_.stage_by_id.find(opp.stage_id);
    if (it != world_.stage_by_id.end())
      stage =
          json::object{{"id", opp.stage_id}, {"text", world_.data.lever.stages[it->second].text}};
  }
  json::value owner = expand.count("owner") ? render_user(opp.owner) : json::value(opp.owner);
  json::array followers;
  followers.push_back(expand.count("followers") ? render_user(opp.owner) : json::value(opp.owner));
  json::array applications;
  if (expand.count("applications")) {
    json::value posting = nullptr, posting_owner = nullptr;
    if (opp.posting_id) {
      posting = *opp.posting_id;
      posting_owner = world_.data.lever.postings[world_.posting_by_id.at(*opp.posting_id)].owner;
    }
    applications.push_back(json::object{
        {"id", opp.application_id},
        {"opportunityId", opp.id},
        {"candidateId", opp.id},
        {"createdAt", opp.created_at},
        {"type", opp.posting_id ? "posting" : "user"},
        {"posting", posting},
        {"postingOwner", posting_owner},
        {"postingHiringManager", nullptr},
        {"user", opp.posting_id ? json::value(nullptr) : json::value(opp.owner)},
        {"name", contact_json["name"]},
        {"email", contact.emails.empty() || contact.anonymized ? json::value(nullptr)
                                                               : json::value(contact.emails[0])},
        {"phone", nullptr},
        {"company", opp.application.company.empty() ? json::value(nullptr)
                                                    : json::value(opp.application.company)},
        {"links", nullptr},
        {"comments", opp.application.comments.empty() ? json::value(nullptr)
                                                      : json::value(opp.application.comments)},
        {"customQuestions", custom_questions(opp)},
        {"archived", archived},
        {"requisitionForHire", nullptr}});
  } else {
    applications.emplace_back(opp.application_id);
  }
  std::int64_t last_change = last_advanced_at(opp);
  json::object out{
      {"id", opp.id},
      {"name", contact_json["name"]},
      {"headline", contact_json["headline"]},
      {"contact", expand.count("contact") ? json::value(contact_json) : json::value(contact.id)},
      {"emails", contact_json["emails"]},
      {"phones", contact_json["phones"]},
      {"confidentiality", opp.confidential ? "confidential" : "non-confidential"},
      {"location", contact.anonymized ? "" : contact.location},
      {"links", std::move(links)},
      {"archived", archived},
      {"tags", std::move(tags)},
      {"sources", std::move(sources)},
      {"stage", stage},
      {"stageChanges", std::move(changes)},
      {"origin", opp.origin},
      {"sourcedBy", nullptr},
      {"owner", owner},
      {"followers", std::move(followers)},
      {"applications", std::move(applications)},
      {"createdAt", opp.quirk == "created_at_string" ? json::value(std::to_string(opp.created_at))
                                                     : json::value(opp.created_at)},
      {"updatedAt", opp.updated_at ? json::value(*opp.updated_at) : json::value(nullptr)},
      {"lastInteractionAt", std::max(last_change, opp.updated_at.value_or(0))},
      {"lastAdvancedAt", last_change},
      {"snoozedUntil", nullptr},
      {"urls", json::object{{"list", "https://hire.lever.co/candidates"},
                            {"show", "https://hire.lever.co/candidates/" + opp.id}}},
      {"dataProtection", nullptr},
      {"isAnonymized", contact.anonymized},
      {"opportunityLocation", "unspecified"}};
  return out;
}

// An application's posting-form answers (lever_docs_examples.json "application_retrieve"
// customQuestions): one form of type posting named after the posting.
json::array LeverServer::custom_questions(const LeverOpportunity& opp) const {
  const LeverApplicationData& app = opp.application;
  if (app.questions.empty() || !opp.posting_id)
    return {};
  json::array fields;
  for (const FormField& question : app.questions) {
    json::object field{{"type", question.type},
                       {"text", question.text},
                       {"description", ""},
                       {"required", false},
                       {"value", question.value}};
    if (!question.options.empty()) {
      json::array options;
      for (const auto& option : question.options)
        options.push_back(json::object{{"text", option}});
      field["options"] = std::move(options);
    }
    fields.push_back(std::move(field));
  }
  const LeverPosting& posting =
      world_.data.lever.postings[world_.posting_by_id.at(*opp.posting_id)];
  return json::array{json::object{{"type", "posting"},
                                  {"text", posting.text},
                                  {"user", nullptr},
                                  {"description", ""},
                                  {"fields", std::move(fields)},
                                  {"baseTemplateId", opp.application_id},
                                  {"stage", nullptr},
                                  {"createdAt", opp.created_at},
                                  {"completedAt", opp.created_at}}};
}

json::object LeverServer::render_file(const LeverOpportunity& opp, const SandboxFile& file) const {
  std::string kind = file.resume ? "resumes" : "files";
  json::object meta{{"name", file.name},
                    {"ext", file.resume ? file.ext : "." + file.ext},
                    {"uploadedAt", file.uploaded_at},
                    {"status", file.status},
                    {"size", static_cast<std::int64_t>(file.size)},
                    {"downloadUrl", "https://hire.lever.co/candidates/" + opp.id + "/" + kind +
                                        "/" + file.id + "/download"}};
  if (!file.resume) {
    meta["id"] = file.id;
    // A file's uploadedAt and size are strings in every documented file example
    // (tests/lever/docs/lever_docs_examples.json "files_list_verbatim", "files_list_note").
    meta["uploadedAt"] = std::to_string(file.uploaded_at);
    meta["size"] = std::to_string(file.size);
    return meta;
  }
  return json::object{{"id", file.id},
                      {"createdAt", file.uploaded_at},
                      {"file", std::move(meta)},
                      {"parsedData", opp.resume_parsed.count(file.id)
                                         ? opp.resume_parsed.at(file.id)
                                         : json::value(json::object{{"positions", json::array{}},
                                                                    {"schools", json::array{}}})}};
}

static json::value render_field(const FormField& field) {
  json::object out{{"id", field.id},    {"type", field.type}, {"text", field.text},
                   {"description", ""}, {"required", false},  {"value", field.value}};
  if (!field.options.empty()) {
    json::array options;
    for (const auto& option : field.options)
      options.push_back(json::object{{"text", option}});
    out["options"] = std::move(options);
    out["prompt"] = "Select one";
  }
  if (!field.scores.empty()) {
    json::array scores;
    for (const auto& score : field.scores)
      scores.push_back(json::object{{"text", score}, {"description", ""}});
    out["scores"] = std::move(scores);
  }
  return out;
}

void LeverServer::opportunity_children(const httplib::Request& request, httplib::Response& response,
                                       const LeverOpportunity& opp, const std::string& kind,
                                       const std::string& child_id, const std::string& action) {
  std::set<std::string> expand;
  for (const auto& value : multi_values(request, "expand"))
    expand.insert(value);
  std::vector<std::pair<std::string, json::value>> items;  // (id, rendered)
  if (!child_items(opp, kind, expand, items)) {
    set_json(response, 404, lever_error("ResourceNotFound", "Unknown route " + request.path));
    return;
  }
  if (child_id.empty()) {
    std::vector<json::value> values;
    for (auto& item : items)
      values.push_back(std::move(item.second));
    if (documented_shape(opp) && (kind == "files" || kind == "forms")) {
      // The documentation's own examples: /files a bare array ("files_list_verbatim"), /forms
      // the one form as a bare object ("profile_forms_list_note"); no paging either way.
      if (kind == "forms" && values.size() == 1)
        set_json(response, 200, values.front());
      else
        set_json(response, 200, json::array(values.begin(), values.end()));
      return;
    }
    send_page(request, response, values);
    return;
  }
  serve_child(request, response, opp, kind, child_id, action, items);
}

bool LeverServer::child_items(const LeverOpportunity& opp, const std::string& kind,
                              const std::set<std::string>& expand,
                              std::vector<std::pair<std::string, json::value>>& items) const {
  auto user = [&](const std::string& id) {
    return expand.count("user") ? render_user(id) : json::value(id);
  };
  if (kind == "notes") {
    for (const auto& note : opp.notes) {
      json::array fields;
      for (const auto& comment : note.comments)
        fields.push_back(json::object{{"type", "note"},
                                      {"text", "Comment"},
                                      {"value", comment.value},
                                      {"createdAt", comment.created_at},
                                      {"user", user(comment.user)},
                                      {"score", nullptr},
                                      {"stage", stage_at(opp, comment.created_at)}});
      items.emplace_back(note.id,
                         json::object{{"id", note.id},
                                      {"text", "Note"},
                                      {"fields", std::move(fields)},
                                      {"user", user(note.user)},
                                      {"secret", note.secret},
                                      {"completedAt", note.created_at},
                                      {"createdAt", note.created_at},
                                      {"deletedAt", note.deleted_at ? json::value(*note.deleted_at)
                                                                    : json::value(nullptr)}});
    }
  } else if (kind == "feedback") {
    for (const auto& form : opp.feedback) {
      json::array fields;
      for (const auto& field : form.fields)
        fields.push_back(render_field(field));
      items.emplace_back(form.id,
                         json::object{{"id", form.id},
                                      {"type", form.type},
                                      {"text", form.text},
                                      {"instructions", ""},
                                      {"baseTemplateId", form.template_id},
                                      {"fields", std::move(fields)},
                                      {"interview", form.interview},
                                      {"panel", nullptr},
                                      {"user", user(form.user)},
                                      {"createdAt", form.created_at},
                                      {"updatedAt", form.completed_at},
                                      {"completedAt", form.completed_at},
                                      {"deletedAt", form.deleted_at ? json::value(*form.deleted_at)
                                                                    : json::value(nullptr)}});
    }
  } else if (kind == "interviews") {
    for (const auto& interview : opp.interviews) {
      json::array interviewers;
      for (const auto& id : interview.interviewers) {
        auto it = world_.user_by_id.find(id);
        const LeverUser* u =
            it == world_.user_by_id.end() ? nullptr : &world_.data.lever.users[it->second];
        interviewers.push_back(json::object{{"id", id},
                                            {"name", u ? u->name : ""},
                                            {"email", u ? u->email : ""},
                                            {"feedbackTemplate", nullptr}});
      }
      items.emplace_back(interview.id, json::object{{"id", interview.id},
                                                    {"panel", nullptr},
                                                    {"subject", interview.subject},
                                                    {"note", ""},
                                                    {"interviewers", std::move(interviewers)},
                                                    {"timezone", "Europe/Berlin"},
                                                    {"createdAt", interview.date - 86400000},
                                                    {"date", interview.date},
                                                    {"duration", interview.duration_min},
                                                    {"location", "Video call"},
                                                    {"feedbackTemplate", nullptr},
                                                    {"feedbackForms", json::array{}},
                                                    {"feedbackReminder", "daily"},
                                                    {"user", user(interview.user)},
                                                    {"stage", interview.stage},
                                                    {"canceledAt", nullptr},
                                                    {"postings", json::array{}}});
    }
  } else if (kind == "offers") {
    for (const auto& offer : opp.offers) {
      json::array fields;
      for (const auto& [identifier, value] : offer.fields)
        fields.push_back(
            json::object{{"text", identifier}, {"identifier", identifier}, {"value", value}});
      items.emplace_back(
          offer.id, json::object{{"id", offer.id},
                                 {"createdAt", offer.created_at},
                                 {"status", offer.status},
                                 {"creator", expand.count("creator") ? render_user(offer.creator)
                                                                     : json::value(offer.creator)},
                                 {"fields", std::move(fields)},
                                 {"signatures", json::object{}},
                                 {"approved", true},
                                 {"approvedAt", offer.created_at},
                                 // The documented offers carry no sentAt: the sent letter's
                                 // uploadedAt dates the sending ("offers_list").
                                 {"sentDocument", offer_document(opp, offer, "sent")},
                                 {"signedDocument", offer_document(opp, offer, "signed")}});
    }
  } else if (kind == "resumes" || kind == "files") {
    for (const auto& file : opp.files)
      if (file.resume == (kind == "resumes"))
        items.emplace_back(file.id, render_file(opp, file));
  } else if (kind == "forms") {
    // Profile forms ("profile_form_retrieve", "profile_forms_list_note").
    for (const auto& form : opp.profile_forms) {
      json::array fields;
      for (const auto& field : form.fields)
        fields.push_back(render_field(field));
      items.emplace_back(form.id, json::object{{"id", form.id},
                                               {"type", form.type},
                                               {"text", form.text},
                                               {"instructions", ""},
                                               {"baseTemplateId", form.template_id},
                                               {"fields", std::move(fields)},
                                               {"user", user(form.user)},
                                               {"stage", opp.stage_id},
                                               {"completedAt", form.completed_at},
                                               {"createdAt", form.created_at},
                                               {"deletedAt", nullptr}});
    }
  } else if (kind == "referrals" || kind == "panels") {
    // Real Lever answers 200 with a (possibly empty) list ("referrals_list_note"); the dataset
    // holds no referral forms (referrals are application customQuestions) and no panels
    // (interviews are served without one), so both lists are empty.
  } else if (kind == "applications") {
    std::set<std::string> app_expand{"applications"};
    auto rendered = render_opportunity(opp, app_expand);
    items.emplace_back(opp.application_id, rendered["applications"].as_array()[0]);
  } else {
    return false;
  }
  return true;
}

// One child (GET /opportunities/:id/<kind>/:child), or its download.
void LeverServer::serve_child(const httplib::Request& request, httplib::Response& response,
                              const LeverOpportunity& opp, const std::string& kind,
                              const std::string& child_id, const std::string& action,
                              std::vector<std::pair<std::string, json::value>>& items) const {
  // A file-upload answer's bytes, by its id under /files (unverified: Lever documents the answer
  // {id, ext, name, size, uploadedAt} but no download route for it).
  if (kind == "files" && action == "download" && opp.application.answer_file &&
      opp.application.answer_file->id == child_id) {
    const SandboxFile& answer = *opp.application.answer_file;
    response.status = 200;
    response.set_header("Content-Disposition", "attachment; filename=\"" + answer.name + "\"");
    response.set_content(file_bytes(answer), "application/octet-stream");
    return;
  }
  for (auto& [id, value] : items) {
    if (id != child_id)
      continue;
    if (action.empty()) {
      set_json(response, 200, json::object{{"data", value}});
      return;
    }
    if (action == "download" && kind == "offers") {
      // GET /opportunities/:id/offers/:offer/download?status=sent|signed
      // (lever_docs_examples.json "offer_download_note").
      for (const auto& offer : opp.offers) {
        if (offer.id != child_id)
          continue;
        std::string status = request.get_param_value("status");
        const std::optional<SandboxFile>& letter = status == "signed" ? offer.signed_document
                                                   : status == "sent" ? offer.sent_document
                                                                      : std::nullopt;
        if (!letter)
          break;
        response.status = 200;
        response.set_header("Content-Disposition", "attachment; filename=\"" + letter->name + "\"");
        response.set_content(file_bytes(*letter), "application/pdf");
        return;
      }
    }
    if (action == "download" && (kind == "resumes" || kind == "files")) {
      for (const auto& file : opp.files) {
        if (file.id != child_id)
          continue;
        if (file.status != "processed") {
          // Lever answers 422 for files it could not process (docs/vendors/lever.md §4, §5).
          set_json(
              response, 422,
              lever_error("UnprocessableEntity",
                          "File " + file.id + " has not been processed and cannot be downloaded"));
          return;
        }
        response.status = 200;
        response.set_header("Content-Disposition", "attachment; filename=\"" + file.name + "\"");
        response.set_content(file_bytes(file),
                             file.ext == "pdf" ? "application/pdf" : "application/octet-stream");
        return;
      }
    }
    break;
  }
  set_json(response, 404,
           lever_error("ResourceNotFound", kind + " " + child_id + " was not found"));
}

json::value LeverServer::offer_document(const LeverOpportunity& opp, const LeverOffer& offer,
                                        const std::string& status) const {
  const std::optional<SandboxFile>& letter =
      status == "signed" ? offer.signed_document : offer.sent_document;
  if (!letter)
    return nullptr;
  return json::object{{"fileName", letter->name},
                      {"uploadedAt", letter->uploaded_at},
                      {"downloadUrl", "https://api.lever.co/v1/opportunities/" + opp.id +
                                          "/offers/" + offer.id + "/download?status=" + status}};
}

bool LeverServer::documented_shape(const LeverOpportunity& opp) const {
  if (options_.lever_list_shapes == "documented")
    return true;
  if (options_.lever_list_shapes != "mixed")
    return false;
  return mix_seed(options_.seed, std::hash<std::string>{}(opp.id)) % 2 == 0;
}
}  // namespace atsm::sandbox
