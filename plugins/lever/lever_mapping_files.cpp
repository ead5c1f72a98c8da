#include "lever_mapping.hpp"

#include "lever_mapping_fields.hpp"

namespace atsm::lever {
namespace json = boost::json;

std::string offer_document_key(const std::string& offer_id, const std::string& status) {
  return source_key("offer_document", offer_id + ":" + status);
}

namespace {

// What a file's download brought: the bytes' hash and measured size (the declared size stays when
// none was measured), or why there are none.
void apply_download(model::File& file, const Download& download) {
  if (!download.sha256.empty()) {
    file.sha256 = download.sha256;
    if (download.size)
      file.size = download.size;
  }
  file.content_type = download.content_type;
  file.skipped_reason = download.skipped_reason;
  file.fetch_failure = download.fetch_failure;
}

}  // namespace

model::Record map_offer_document(const json::value& offer, const std::string& status,
                                 const OpportunityRef& opportunity, const Download& download) {
  ValidationErrors problems;
  Fields f(offer, problems);
  std::string offer_id = f.required_id("id");
  std::string member = status + "Document";
  json::value document = nullptr;
  if (const json::object* found = f.object(member.c_str()))
    document = *found;
  auto file = start_record<model::File>(document, "offer_document", offer_id + ":" + status);
  file.source_key = offer_document_key(offer_id, status);
  file.person_key = child_key_person(opportunity);
  file.candidacy_key = source_key("opportunity", opportunity.id);
  file.is_resume = false;
  Fields d(document, problems, member);
  file.file_name = d.text("fileName").value_or("offer-letter-" + status + ".pdf");
  file.uploaded_at = d.time("uploadedAt");
  file.extra["offer_key"] = source_key("offer", offer_id);
  file.extra["offer_document"] = status;
  apply_download(file, download);
  return finish(std::move(file), problems);
}

model::Record map_application_file(const json::object& answer, const OpportunityRef& opportunity,
                                   const Download& download) {
  ValidationErrors problems;
  json::value raw(answer);
  Fields f(raw, problems);
  std::string id = f.required_id("id");
  auto file = start_record<model::File>(raw, "application_file", id);
  file.person_key = child_key_person(opportunity);
  file.candidacy_key = source_key("opportunity", opportunity.id);
  file.is_resume = false;
  std::optional<std::string> ext = f.text("ext");
  file.file_name = f.text("name").value_or("");
  if (file.file_name.empty())
    file.file_name = "answer" + ext.value_or("");
  file.uploaded_at = f.time("uploadedAt");
  file.size = f.millis("size");
  apply_download(file, download);
  return finish(std::move(file), problems);
}

model::Record map_file(const json::value& raw, const OpportunityRef& opportunity, bool is_resume,
                       const Download& download) {
  ValidationErrors problems;
  Fields f(raw, problems);
  auto file = start_record<model::File>(raw, is_resume ? "resume" : "file", f.required_id("id"));
  file.person_key = child_key_person(opportunity);
  file.candidacy_key = source_key("opportunity", opportunity.id);
  file.is_resume = is_resume;
  // A resume nests its file metadata; a file is flat.
  json::value meta_value = raw;
  if (is_resume) {
    const json::object* nested = f.object("file");
    meta_value = nested ? json::value(*nested) : json::value(json::object{});
  }
  Fields meta(meta_value, problems, is_resume ? "file" : "");
  file.file_name = meta.text("name").value_or("");
  std::optional<std::string> ext = meta.text("ext");
  if (file.file_name.empty()) {
    file.file_name = (is_resume ? "resume" : "file") + std::string(ext ? "." : "") +
                     (ext ? (ext->rfind('.', 0) == 0 ? ext->substr(1) : *ext) : "");
  }
  if (ext)
    file.extra["ext"] = ext->rfind('.', 0) == 0 ? ext->substr(1) : *ext;
  file.uploaded_at = meta.time("uploadedAt");
  if (!file.uploaded_at)
    file.uploaded_at = f.time("createdAt");
  file.size = meta.millis("size");
  if (std::optional<std::string> status =
          meta.one_of("status", {"processing", "processed", "unsupported", "error"}))
    file.extra["lever_status"] = *status;
  apply_download(file, download);
  return finish(std::move(file), problems);
}

}  // namespace atsm::lever
