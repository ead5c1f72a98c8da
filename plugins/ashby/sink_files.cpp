// Files: uploaded once per candidate and bytes, through the upload handle flow or multipart.
#include "ashby_sink.hpp"

#include "sink_support.hpp"

namespace atsm::ashby {

std::optional<std::string> AshbySink::find_file(const WriteItem& item) {
  const model::File& file = std::get<model::File>(item.record);
  std::string candidate_id = ref(item, file.person_key);
  if (candidate_id.empty() || !file.sha256)
    return std::nullopt;
  std::set<std::string> owned;
  {
    std::lock_guard lock(mutex_);
    // These bytes already went onto this candidate in this run: that upload is the item's, and
    // no read is needed to know it.
    if (std::optional<std::string> id = candidate_memos_.uploaded_file(candidate_id, *file.sha256))
      return id;
    owned = candidate_memos_.uploaded_file_ids(candidate_id);
  }
  object candidate =
      as_object(client_.results("candidate.info", object{{"id", candidate_id}}, CallKind::read),
                "candidate.info");
  // Ashby shows a file's name but neither its size nor a hash, and a candidate often has several
  // files of one name (a resume per candidacy): a handle of the same name is adopted only when
  // its bytes, downloaded through file.info, have the same SHA-256.
  if (const array* handles = array_at(candidate, "fileHandles"))
    for (const value& entry : *handles) {
      if (!entry.is_object())
        continue;
      const object& handle = entry.as_object();
      std::string id = text_of(handle, "id");
      if (text_of(handle, "name") != file.file_name || owned.count(id) > 0)
        continue;
      if (client_.download_sha256(text_of(handle, "handle")) == *file.sha256)
        return id;
    }
  return std::nullopt;
}

// The candidate's files as the person's write left them: a candidate this instance created has
// none, and the candidate.info of a merge lists them. Its first upload then needs no
// candidate.info of its own to tell the new file from the old ones (one call per candidate).
void AshbySink::remember_file_ids(const std::string& candidate_id, const object& candidate,
                                  bool created) {
  const array* handles = array_at(candidate, "fileHandles");
  if (handles == nullptr && !created)
    return;  // not said: the first upload asks candidate.info
  std::set<std::string> ids;
  if (handles != nullptr)
    for (const value& entry : *handles)
      if (entry.is_object())
        ids.insert(text_of(entry.as_object(), "id"));
  std::lock_guard lock(mutex_);
  candidate_memos_.see_file_ids(candidate_id, ids);
}

// The ids of the candidate's files before an upload: what this instance saw on it, else what
// candidate.info lists.
std::set<std::string> AshbySink::file_ids_before_upload(const std::string& candidate_id) {
  {
    std::lock_guard lock(mutex_);
    if (std::optional<std::set<std::string>> seen = candidate_memos_.file_ids_seen(candidate_id))
      return *seen;
  }
  object candidate =
      as_object(client_.results("candidate.info", object{{"id", candidate_id}}, CallKind::read),
                "candidate.info");
  std::set<std::string> ids;
  if (const array* handles = array_at(candidate, "fileHandles"))
    for (const value& entry : *handles)
      if (entry.is_object())
        ids.insert(text_of(entry.as_object(), "id"));
  std::lock_guard lock(mutex_);
  candidate_memos_.see_file_ids(candidate_id, ids);
  return *candidate_memos_.file_ids_seen(candidate_id);
}

std::mutex& AshbySink::upload_lock(const std::string& candidate_id) {
  return upload_locks_[std::hash<std::string>{}(candidate_id) % upload_locks_.size()];
}

// The uploaded file among the candidate's file handles after uploadResume/uploadFile. The spec
// promises only that the answer is the candidate (sandbox/validator/ashby-api-openapi.extract.json:
// results is candidate.info's, with fileHandles [{id, name, handle}] and resumeFileHandle); a file
// handle is not the upload handle (its example encodes {type: CandidateFile, fileId, ownerId}). So
// the new file is the id that was not there before, of the file's name (the resume handle for a
// resume); when another upload to the same candidate raced this one, the bytes behind each
// candidate decide.
std::string AshbySink::uploaded_file_id(const std::string& candidate_id, const object& candidate,
                                        const std::set<std::string>& before,
                                        const model::File& file, bool resume) {
  std::vector<std::pair<std::string, std::string>> fresh;  // (id, handle)
  std::set<std::string> now;
  if (const array* handles = array_at(candidate, "fileHandles"))
    for (const value& entry : *handles) {
      if (!entry.is_object())
        continue;
      std::string id = text_of(entry.as_object(), "id");
      now.insert(id);
      if (before.count(id) == 0 && text_of(entry.as_object(), "name") == file.file_name)
        fresh.emplace_back(id, text_of(entry.as_object(), "handle"));
    }
  {
    std::lock_guard lock(mutex_);
    candidate_memos_.see_file_ids(candidate_id, now);
  }
  if (resume)
    if (const object* handle = object_at(candidate, "resumeFileHandle"))
      for (const auto& [id, ignored] : fresh)
        if (id == text_of(*handle, "id"))
          return id;
  if (fresh.size() == 1)
    return fresh.front().first;
  std::set<std::string> claimed;
  {
    std::lock_guard lock(mutex_);
    claimed = candidate_memos_.uploaded_file_ids(candidate_id);
  }
  for (const auto& [id, handle] : fresh)
    if (claimed.count(id) == 0 && client_.download_sha256(handle) == file.sha256.value_or(""))
      return id;
  return {};
}

void AshbySink::write_file(const WriteItem& item, ItemResult& result) {
  const model::File& file = std::get<model::File>(item.record);
  if (file.skipped_reason) {
    result.skipped = *file.skipped_reason;
    return;
  }
  if (!file.sha256 || file.sha256->empty()) {
    result.skipped = "the file's bytes were never downloaded from the source";
    return;
  }
  std::string candidate_id = ref(item, file.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + file.person_key + " has no target id in refs");
  if (!item.target_id.empty()) {
    result.target_id = item.target_id;  // the same bytes (content-addressed) are there already
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (std::optional<std::string> id =
            candidate_memos_.uploaded_file(candidate_id, *file.sha256)) {
      result.target_id = candidate_id + ":" + *id;
      result.lossy.push_back("the same bytes are already on the candidate: uploaded once");
      return;
    }
  }
  if (item.lookup_first) {
    if (auto found = find_file(item)) {
      result.target_id = candidate_id + ":" + *found;
      std::lock_guard lock(mutex_);
      candidate_memos_.remember_upload(candidate_id, *file.sha256, *found);
      return;
    }
  }
  bool resume = file.is_resume.value_or(false);
  if (resume) {
    std::lock_guard lock(mutex_);
    std::string uploaded = file.uploaded_at.value_or("");
    auto it = latest_resume_.find(candidate_id);
    if (it != latest_resume_.end() && epoch_ms(it->second) > epoch_ms(uploaded)) {
      resume = false;
      result.lossy.push_back("an older resume: uploaded as a file, the newer one stays the resume");
    } else {
      latest_resume_[candidate_id] = uploaded;
    }
  }
  int64_t size = file.size.value_or(-1);
  if (size < 0) {
    std::optional<std::string> bytes = client_.host().blob_get(*file.sha256);
    if (!bytes)
      invalid("field 'sha256': blob " + *file.sha256 + " is not in the blob store");
    size = static_cast<int64_t>(bytes->size());
  }
  std::string content_type = file.content_type.value_or("application/octet-stream");
  std::string method = resume ? "candidate.uploadResume" : "candidate.uploadFile";
  std::lock_guard one_upload_at_a_time(upload_lock(candidate_id));
  const std::set<std::string> before = file_ids_before_upload(candidate_id);
  object candidate;
  bool use_multipart = config_.uploads == "multipart";
  if (!use_multipart) {
    object handle;
    try {
      handle =
          as_object(client_.results(
                        "file.createFileUploadHandle",
                        object{{"fileUploadContext", resume ? "CandidateResume" : "CandidateFiles"},
                               {"filename", file.file_name},
                               {"contentType", content_type},
                               {"contentLength", size}},
                        CallKind::idempotent_write),
                    "file.createFileUploadHandle");
      const object* fields = object_at(handle, "fields");
      client_.post_presigned(text_of(handle, "url"), fields ? *fields : object{}, file.file_name,
                             content_type, *file.sha256);
    } catch (const sdk::Error& error) {
      // The handle flow is refused (not offered, or the storage said no): the multipart form.
      if (error.status() != ATSM_PERMANENT && error.status() != ATSM_INVALID)
        throw;
      use_multipart = true;
      result.lossy.push_back(std::string("upload handle flow failed (") + error.what() +
                             "); used the multipart upload");
    }
    if (!use_multipart) {
      std::string handle_id = text_of(handle, "handle");
      candidate =
          as_object(client_.results(method,
                                    object{{"candidateId", candidate_id},
                                           {resume ? "resumeHandle" : "fileHandle", handle_id}},
                                    CallKind::create),
                    method);
    }
  }
  if (use_multipart)
    candidate = client_.upload_multipart(method, candidate_id, resume ? "resume" : "file",
                                         file.file_name, content_type, *file.sha256);
  std::string file_id = uploaded_file_id(candidate_id, candidate, before, file, resume);
  if (file_id.empty())
    throw sdk::Error(ATSM_AMBIGUOUS, method + " answered a candidate without the uploaded file",
                     "malformed_response");
  result.target_id = candidate_id + ":" + file_id;
  std::lock_guard lock(mutex_);
  candidate_memos_.remember_upload(candidate_id, *file.sha256, file_id);
}

}  // namespace atsm::ashby
