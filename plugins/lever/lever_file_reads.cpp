#include "lever_source.hpp"

namespace atsm::lever {

const char* LeverSource::kind_name(FileKind kind) {
  switch (kind) {
    case FileKind::resume:
      return "resume";
    case FileKind::file:
      return "file";
    case FileKind::offer_document:
      return "offer_document";
    case FileKind::application_file:
      return "application_file";
  }
  return "file";
}

std::string LeverSource::file_key(const OwedFile& file) {
  return file.kind == FileKind::offer_document ? offer_document_key(file.id, file.status)
                                               : source_key(kind_name(file.kind), file.id);
}

// Where Lever serves the bytes: resumes and files by id (docs/vendors/lever.md §5); an offer letter
// by offer and status (lever_docs_examples.json "offer_download_note"); a file-upload answer by its
// id under /files (unverified: Lever documents the answer {id, ext, name, size, uploadedAt} but
// no download route of its own).
std::string LeverSource::download_path(const OwedFile& file) {
  std::string opportunity = "/opportunities/" + file.opportunity.id;
  switch (file.kind) {
    case FileKind::resume:
      return opportunity + "/resumes/" + file.id + "/download";
    case FileKind::offer_document:
      return opportunity + "/offers/" + file.id + "/download?status=" + file.status;
    case FileKind::file:
    case FileKind::application_file:
      break;
  }
  return opportunity + "/files/" + file.id + "/download";
}

std::string LeverSource::download_what(const OwedFile& file) {
  std::string of = " of opportunity " + file.opportunity.id;
  switch (file.kind) {
    case FileKind::resume:
      return "download of resume " + file.id + of;
    case FileKind::offer_document:
      return "download of the " + file.status + " letter of offer " + file.id + of;
    case FileKind::application_file:
      return "download of application answer file " + file.id + of;
    case FileKind::file:
      break;
  }
  return "download of file " + file.id + of;
}

// Offer letters (sentDocument/signedDocument), downloaded with
// GET /opportunities/:id/offers/:offer/download?status=sent|signed (lever_docs_examples.json
// "offer_download_note"). The offers listed by this instance's offer kind are reused, so a
// full run lists each opportunity's offers once.
void LeverSource::read_offer_documents(const OpportunityRef& opportunity,
                                       std::vector<model::Record>& out) {
  std::vector<json::value> offers;
  {
    std::lock_guard lock(offers_mutex_);
    auto found = offers_seen_.find(opportunity.id);
    if (found != offers_seen_.end())
      offers = found->second;
  }
  if (!offers_read_)
    offers = child_list(opportunity, "offers");
  for (const json::value& offer : offers) {
    std::string offer_id = item_id(offer);
    for (const char* status : {"sent", "signed"}) {
      const json::value* document = offer.as_object().if_contains(std::string(status) + "Document");
      if (document == nullptr || !document->is_object() || offer_id.empty())
        continue;
      if (!in_delta(*document)) {
        ++skipped_;
        continue;
      }
      out.push_back(fetch_offer_document(opportunity, offer, status));
    }
  }
}

// An offer letter declares its fileName but no size (lever_docs_examples.json offers_list).
model::Record LeverSource::fetch_offer_document(const OpportunityRef& opportunity,
                                                const json::value& offer,
                                                const std::string& status) {
  model::DeclaredFile declared;
  if (const json::value* document = offer.as_object().if_contains(status + "Document");
      document && document->is_object())
    declared = declared_file(*document, "fileName");
  Download download =
      fetch_checked({opportunity, FileKind::offer_document, item_id(offer), status}, declared);
  return map_offer_document(offer, status, opportunity, download);
}

// A file-upload answer declares {id, ext, name, size, uploadedAt} (lever_docs_examples.json
// "application_retrieve").
model::Record LeverSource::fetch_application_file(const OpportunityRef& opportunity,
                                                  const json::object& answer) {
  json::value raw(answer);
  Download download =
      fetch_checked({opportunity, FileKind::application_file, item_id(raw)}, declared_file(raw));
  return map_application_file(answer, opportunity, download);
}

// The offers of an opportunity that carry a letter, for the file kind of this instance.
void LeverSource::remember_offer_documents(const std::string& opportunity_id,
                                           const std::vector<json::value>& offers) {
  std::vector<json::value> with_letters;
  for (const json::value& offer : offers)
    if (offer.is_object())
      for (const char* member : {"sentDocument", "signedDocument"})
        if (const json::value* document = offer.as_object().if_contains(member);
            document && document->is_object()) {
          with_letters.push_back(offer);
          break;
        }
  if (with_letters.empty())
    return;
  std::lock_guard lock(offers_mutex_);
  offers_seen_[opportunity_id] = std::move(with_letters);
}

bool LeverSource::in_delta(const json::value& child) {
  if (!settings_.since)
    return true;
  std::optional<std::int64_t> touched = child_touched_at(child);
  return !touched || *touched >= *settings_.since;
}

// What Lever declared about a file before its download: its name and size, members of `meta`
// (a resume nests them in `file`, an offer letter names the file `fileName`; docs/vendors/lever.md
// §5 and lever_docs_examples.json `resumes_list`, `files_list_verbatim`, `offers_list`).
model::DeclaredFile LeverSource::declared_file(const json::value& meta, const char* name_key) {
  model::DeclaredFile declared;
  if (!meta.is_object())
    return declared;
  declared.file_name = string_member(meta.as_object(), name_key).value_or("");
  if (const json::value* size = meta.as_object().if_contains("size"))
    declared.size = parse_millis(*size);  // a number, or a numeric string as in the doc examples
  return declared;
}

// Why the stored bytes of `fetched` cannot be the declared file (nullopt: they may be). The
// first bytes are read back only for files small enough for an error page to hide in.
std::optional<std::string> LeverSource::download_mismatch(const model::DeclaredFile& declared,
                                                          const FetchedFile& fetched) {
  constexpr std::uint64_t kSniffedUpTo = 1 << 20;
  std::optional<std::string> bytes;
  if (fetched.size <= kSniffedUpTo)
    bytes = host_.blob_get(fetched.sha256);
  std::string_view head = bytes ? std::string_view(*bytes).substr(0, 512) : std::string_view();
  return model::download_mismatch(declared, {fetched.size, fetched.content_type, head});
}

// Downloads a file of any kind and checks it against what Lever declared (an HTML page answered
// 200, a body cut short or another file's bytes is not the file): a mismatch is asked again,
// then returned as `fetch_failure` and owed to the retry checkpoint that ends the read (issue
// 23's path). A download Lever refuses with an error status is a skip.
Download LeverSource::fetch_checked(const OwedFile& target, const model::DeclaredFile& declared) {
  constexpr int kDownloadAttempts = 3;
  Download download;
  if (target.id.empty()) {
    download.skipped_reason =
        std::string("the ") + kind_name(target.kind) + " entry has no id to download it by";
    return download;
  }
  std::string what = download_what(target);
  for (int attempt = 1;; ++attempt) {
    FetchedFile fetched = client_.download(download_path(target), what);
    if (fetched.sha256.empty()) {
      download.skipped_reason =
          (fetched.status == 422
               ? "Lever could not process the file (HTTP 422"
               : "Lever did not serve the file (HTTP " + std::to_string(fetched.status)) +
          (fetched.error_message.empty() ? ")" : ": " + fetched.error_message + ")");
      host_.log(ATSM_LOG_WARN, file_key(target) + " skipped: " + *download.skipped_reason);
      return download;
    }
    std::optional<std::string> mismatch = download_mismatch(declared, fetched);
    if (!mismatch) {
      download.sha256 = fetched.sha256;
      download.size = static_cast<std::int64_t>(fetched.size);
      download.content_type = fetched.content_type;
      return download;
    }
    host_.log(ATSM_LOG_WARN,
              "Lever " + what + " (attempt " + std::to_string(attempt) + "): " + *mismatch);
    if (attempt == kDownloadAttempts) {
      download.fetch_failure = *mismatch + " (tried " + std::to_string(attempt) + " times)";
      std::lock_guard lock(owed_mutex_);
      owed_.push_back(target);
      return download;
    }
    kit::pause(host_, std::chrono::milliseconds(250 << (attempt - 1)));
  }
}

void LeverSource::fetch_file(const OpportunityRef& opportunity, const json::value& item,
                             bool is_resume, std::vector<model::Record>& out) {
  const json::value* meta = &item;
  if (is_resume)
    meta = item.is_object() ? item.as_object().if_contains("file") : nullptr;
  Download download =
      fetch_checked({opportunity, is_resume ? FileKind::resume : FileKind::file, item_id(item)},
                    meta ? declared_file(*meta) : model::DeclaredFile{});
  out.push_back(map_file(item, opportunity, is_resume, download));
}

json::array LeverSource::owed_json(const std::vector<OwedFile>& owed) {
  json::array out;
  for (const OwedFile& file : owed) {
    json::object entry{{"opportunity", file.opportunity.id},
                       {"contact", file.opportunity.contact_id},
                       {"kind", kind_name(file.kind)},
                       {"id", file.id}};
    if (!file.status.empty())
      entry["status"] = file.status;
    out.push_back(std::move(entry));
  }
  return out;
}

std::optional<LeverSource::FileKind> LeverSource::kind_named(const std::string& name) {
  for (FileKind kind :
       {FileKind::resume, FileKind::file, FileKind::offer_document, FileKind::application_file})
    if (name == kind_name(kind))
      return kind;
  return std::nullopt;
}

std::vector<LeverSource::OwedFile> LeverSource::owed_from(const json::object& position,
                                                          const char* key) {
  std::vector<OwedFile> owed;
  const json::value* list = position.if_contains(key);
  if (list == nullptr || !list->is_array())
    return owed;
  for (const json::value& entry : list->as_array()) {
    if (!entry.is_object())
      continue;
    const json::object& object = entry.as_object();
    // Checkpoints written before offer letters and answer files were owed say `resume`.
    bool resume =
        object.contains("resume") && object.at("resume").is_bool() && object.at("resume").as_bool();
    std::optional<FileKind> kind =
        kind_named(string_member(object, "kind").value_or(resume ? "resume" : "file"));
    if (!kind)
      continue;
    OwedFile file{{string_member(object, "opportunity").value_or(""),
                   string_member(object, "contact").value_or("")},
                  *kind,
                  string_member(object, "id").value_or(""),
                  string_member(object, "status").value_or("")};
    if (!file.opportunity.id.empty() && !file.id.empty() &&
        (file.kind != FileKind::offer_document || !file.status.empty()))
      owed.push_back(std::move(file));
  }
  return owed;
}

// The host's re-fetch of staged files whose bytes the work dir lost (sdk/docs/sink-protocol.md
// §5): each entry names the file's source key (lever:<kind>:<id>, an offer letter
// lever:offer_document:<offer>:<status>) and its staged record, whose candidacy and person keys
// give the opportunity and contact to read it from.
std::vector<LeverSource::OwedFile> LeverSource::refetched_files(const json::object& position) {
  std::vector<OwedFile> files;
  const json::value* list = position.if_contains("refetch");
  if (list == nullptr || !list->is_array())
    return files;
  auto id_after = [](const std::string& key, const std::string& prefix) {
    return key.rfind(prefix, 0) == 0 ? key.substr(prefix.size()) : std::string();
  };
  for (const json::value& entry : list->as_array()) {
    if (!entry.is_object() || !entry.as_object().contains("record") ||
        !entry.as_object().at("record").is_object())
      continue;
    const json::object& record = entry.as_object().at("record").as_object();
    std::string key = string_member(record, "source_key").value_or("");
    OwedFile file;
    for (FileKind kind :
         {FileKind::resume, FileKind::file, FileKind::offer_document, FileKind::application_file})
      if (std::string id = id_after(key, source_key(kind_name(kind), "")); !id.empty()) {
        file.kind = kind;
        file.id = std::move(id);
      }
    if (file.kind == FileKind::offer_document) {
      std::size_t colon = file.id.rfind(':');
      file.status = colon == std::string::npos ? "" : file.id.substr(colon + 1);
      file.id = colon == std::string::npos ? "" : file.id.substr(0, colon);
      if (file.status != "sent" && file.status != "signed")
        file.id.clear();
    }
    file.opportunity.id = id_after(string_member(record, "candidacy_key").value_or(""),
                                   source_key("opportunity", ""));
    file.opportunity.contact_id =
        id_after(string_member(record, "person_key").value_or(""), source_key("contact", ""));
    if (!file.id.empty() && !file.opportunity.id.empty())
      files.push_back(std::move(file));
  }
  return files;
}

// The end of a file read that owes files: the last batch at a checkpoint naming exactly those
// (the host keeps the kind open there), then ATSM_RETRY, so the next run fetches them and
// nothing else.
void LeverSource::end_owing(sdk::Emitter& emitter, std::vector<model::Record>& batch) {
  std::vector<OwedFile> owed;
  {
    std::lock_guard lock(owed_mutex_);
    owed.swap(owed_);
  }
  if (owed.empty()) {
    emit(emitter, "file", batch, "");
    return;
  }
  emit(emitter, "file", batch, kCheckpoints.write({{"retry", owed_json(owed)}}));
  std::string listed;
  for (const OwedFile& file : owed)
    if (listed.size() < 600)
      listed += (listed.empty() ? "" : ", ") + file_key(file);
  throw sdk::Error(ATSM_RETRY, std::to_string(owed.size()) +
                                   " Lever file(s) were not served as declared (" + listed +
                                   "); a re-run fetches exactly them");
}

// What Lever says of an owed file now, as listed (nullopt: deleted since): a resume or file by
// its single GET; an offer (with that letter) from the opportunity's offers, which have no
// single GET (docs/vendors/lever.md §5); a file-upload answer from the opportunity read with
// expand=applications (applications are "deprecated" as a route of their own: docs/vendors/lever.md
// §5).
std::optional<json::value> LeverSource::reread(const OwedFile& file) {
  const std::string& opportunity = file.opportunity.id;
  if (file.kind == FileKind::offer_document) {
    for (json::value& offer : child_list(file.opportunity, "offers"))
      if (offer.is_object() && item_id(offer) == file.id)
        if (const json::value* document = offer.as_object().if_contains(file.status + "Document");
            document && document->is_object())
          return std::move(offer);
    return std::nullopt;
  }
  std::string path = "/opportunities/" + opportunity;
  Query query;
  if (file.kind == FileKind::application_file)
    query.emplace_back("expand", "applications");
  else
    path += std::string(file.kind == FileKind::resume ? "/resumes/" : "/files/") + file.id;
  std::optional<json::value> data;
  try {
    json::value answer = client_.get(path, query, "read " + file_key(file) + " again");
    if (answer.is_object())
      if (const json::value* found = answer.as_object().if_contains("data");
          found && found->is_object())
        data = *found;
  } catch (const sdk::Error& error) {
    if (error.status() != ATSM_NOT_FOUND)
      throw;
  }
  if (!data || file.kind != FileKind::application_file)
    return data;
  for (json::object& answer : application_files(*data))
    if (item_id(json::value(answer)) == file.id)
      return json::value(std::move(answer));
  return std::nullopt;
}

// A retry checkpoint or a re-fetch: each file read again as Lever lists it now, then downloaded
// and checked; one deleted since is what Lever says it is now, a skip.
void LeverSource::read_owed_files(const std::vector<OwedFile>& owed, sdk::Emitter& emitter) {
  std::vector<model::Record> batch;
  for (const OwedFile& file : owed) {
    host_.check_cancelled();
    std::optional<json::value> item = reread(file);
    Download gone;
    if (!item) {
      gone.skipped_reason = "deleted in Lever since its download failed (no longer served)";
      ++skipped_;
    }
    switch (file.kind) {
      case FileKind::resume:
      case FileKind::file:
        if (item)
          fetch_file(file.opportunity, *item, file.kind == FileKind::resume, batch);
        else
          batch.push_back(map_file(json::object{{"id", file.id}}, file.opportunity,
                                   file.kind == FileKind::resume, gone));
        break;
      case FileKind::offer_document:
        batch.push_back(item ? fetch_offer_document(file.opportunity, *item, file.status)
                             : map_offer_document(json::object{{"id", file.id}}, file.status,
                                                  file.opportunity, gone));
        break;
      case FileKind::application_file:
        batch.push_back(
            item ? fetch_application_file(file.opportunity, item->as_object())
                 : map_application_file(json::object{{"id", file.id}}, file.opportunity, gone));
        break;
    }
  }
  end_owing(emitter, batch);
}

}  // namespace atsm::lever
