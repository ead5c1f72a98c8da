// The emulated Ashby's files: the upload-handle flow with its presigned target, the deprecated
// multipart uploads, file.info's expiring download URLs and the bytes behind them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "ashby_rpc.hpp"
#include "ashby_state.hpp"
#include "sandbox/dataset.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace json = boost::json;
using namespace ashby_rpc;

json::object AshbyState::file_create_upload_handle(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& base_url = rpc.base_url;
  std::string context = required_string(body, "fileUploadContext");
  if (context != "CandidateResume" && context != "CandidateFiles" && context != "ApplicationForm")
    fail("invalid_input",
         "fileUploadContext must be CandidateResume, CandidateFiles or ApplicationForm");
  std::string name = required_string(body, "filename");
  required_string(body, "contentType");
  const json::value* length = field(body, "contentLength");
  if (!length || !length->is_number())
    fail("invalid_input", "Missing required parameter: contentLength");
  refuse_if_too_large(static_cast<std::int64_t>(length->to_number<double>()));
  std::string handle = "fh_" + Rng(mix_seed(seed_ ^ 0xF11E, ++serial_)).hex(32);
  // The presigned URL expires after 10 minutes (docs/vendors/ashby.md §5).
  pending_uploads_[handle] = {now_ms() + static_cast<std::int64_t>(600000 / rate_scale_), name};
  return results(json::object{{"handle", handle},
                              {"url", base_url + "/_upload/" + handle},
                              {"fields", json::object{{"key", "uploads/" + handle},
                                                      {"Content-Type", body.at("contentType")}}}});
}

json::object AshbyState::upload_candidate_file(const Rpc& rpc, bool resume) {
  const AshbyCall& call = rpc.call;
  const json::object& body = rpc.body;
  const std::string& method = rpc.method;
  const std::string& now = rpc.now;
  std::string candidate_id = call.form_fields.count("candidateId")
                                 ? call.form_fields.at("candidateId")
                                 : required_string(body, "candidateId");
  Object* candidate_ptr = find("candidate", candidate_id);
  if (!candidate_ptr)
    fail("candidate_not_found", "Candidate " + candidate_id + " not found");
  std::string file_id = new_id("file");
  // A candidate file's handle is opaque and never the upload handle: the spec's example
  // (sandbox/validator/ashby-api-openapi.extract.json, file.info fileHandle) is base64 of {handle:
  // {type: CandidateFile, fileId, ownerId}, signature, version}.
  json::object handle_claims{
      {"handle",
       json::object{{"type", "CandidateFile"}, {"fileId", file_id}, {"ownerId", candidate_id}}}};
  handle_claims["signature"] =
      base64url_encode(hmac_sha256_hex(std::to_string(seed_), json::serialize(handle_claims)));
  handle_claims["version"] = "1";
  Object file{{"id", file_id},
              {"_candidateId", candidate_id},
              {"_resume", resume},
              {"handle", base64url_encode(json::serialize(handle_claims))}};
  if (call.form_file) {
    refuse_if_too_large(static_cast<std::int64_t>(call.form_file->second.size()));
    file["name"] = call.form_file->first;
    file["_sha256"] = keep_bytes(call.form_file->second);
    file["_size"] = static_cast<std::int64_t>(call.form_file->second.size());
  } else {
    std::string handle = required_string(body, resume ? "resumeHandle" : "fileHandle");
    Object* uploaded = find("upload", handle);
    if (!uploaded)
      fail("invalid_input", "File handle " + handle + " has no uploaded file");
    file["name"] = uploaded->at("name");
    file["_sha256"] = uploaded->at("_sha256");
    file["_size"] = uploaded->at("_size");
  }
  Object candidate = *candidate_ptr;
  json::object handle_json{{"id", file["id"]}, {"name", file["name"]}, {"handle", file["handle"]}};
  candidate["fileHandles"].as_array().push_back(handle_json);
  if (resume)
    candidate["resumeFileHandle"] = handle_json;
  candidate["updatedAt"] = now;
  count_created(method, file);
  put("file", std::move(file));
  return results(render(put("candidate", std::move(candidate))));
}

json::object AshbyState::candidate_upload_resume(const Rpc& rpc) {
  return upload_candidate_file(rpc, true);
}

json::object AshbyState::candidate_upload_file(const Rpc& rpc) {
  return upload_candidate_file(rpc, false);
}

json::object AshbyState::file_info(const Rpc& rpc) {
  const json::object& body = rpc.body;
  const std::string& base_url = rpc.base_url;
  // A download URL for a file on a candidate (docs/vendors/ashby.md §5); presigned, so it expires.
  // Its lifetime is undocumented: the upload URL's 10 minutes unless a test sets it short.
  std::string handle = required_string(body, "fileHandle");
  if (file_id_by_handle_.count(handle)) {
    bool expired = expire_first_download_urls_ && handles_with_download_url_.insert(handle).second;
    std::int64_t expires =
        expired ? now_ms() - 1
                : now_ms() +
                      static_cast<std::int64_t>(download_url_ttl_s_.load() * 1000.0 / rate_scale_);
    return results(json::object{
        {"url", base_url + "/_files/" + handle + "?expires=" + std::to_string(expires)}});
  }
  fail("file_not_found", "File handle " + handle + " not found");
}

void AshbyState::refuse_if_too_large(std::int64_t bytes) const {
  if (max_file_bytes_ > 0 && bytes > max_file_bytes_)
    fail("file_too_large", "File of " + std::to_string(bytes) +
                               " bytes exceeds the upload limit of " +
                               std::to_string(max_file_bytes_) + " bytes");
}

std::pair<int, std::string> AshbyState::receive_upload(
    const std::string& handle, const std::optional<std::pair<std::string, std::string>>& file) {
  std::lock_guard lock(mutex_);
  auto it = pending_uploads_.find(handle);
  static const std::string kExpired =
      "<?xml version=\"1.0\" "
      "encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Request has "
      "expired</Message></Error>";
  if (it == pending_uploads_.end() || it->second.first < now_ms())
    return {403, kExpired};
  if (!file)
    return {400,
            "<?xml version=\"1.0\" "
            "encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code><Message>POST requires a "
            "file part named 'file', sent last</Message></Error>"};
  Object upload{{"id", handle},
                {"name", it->second.second},
                {"_sha256", keep_bytes(file->second)},
                {"_size", static_cast<std::int64_t>(file->second.size())}};
  put("upload", std::move(upload));
  pending_uploads_.erase(it);
  return {204, ""};
}

std::string AshbyState::keep_bytes(const std::string& bytes) {
  std::string sha = sha256_hex(bytes);
  auto [kept, inserted] = file_bytes_.try_emplace(sha);
  if (inserted) {
    kept->second.size = bytes.size();
    kept->second.content_seed = generated_content_seed(bytes);
    if (!kept->second.content_seed)
      kept->second.bytes = bytes;
  }
  if (inserted && state_dir_) {
    auto dir = *state_dir_ / "files";
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
    int fd = ::open((dir / sha).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
      throw std::runtime_error("cannot keep an uploaded file under " + dir.string());
    ::close(fd);
  }
  return sha;
}

void AshbyState::expire_first_download_urls(bool expire) {
  std::lock_guard lock(mutex_);
  expire_first_download_urls_ = expire;
  handles_with_download_url_.clear();
}

std::pair<int, std::string> AshbyState::download_file(const std::string& handle,
                                                      std::int64_t expires_ms) {
  static const std::string kDenied =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>"
      "Request has expired</Message></Error>";
  std::lock_guard lock(mutex_);
  if (expires_ms < now_ms())
    return {403, kDenied};
  if (auto id = file_id_by_handle_.find(handle); id != file_id_by_handle_.end()) {
    const Object* file = find("file", id->second);
    std::string sha(file->at("_sha256").as_string());
    if (auto it = file_bytes_.find(sha); it != file_bytes_.end()) {
      if (!it->second.content_seed)
        return {200, it->second.bytes};
      SandboxFile generated;
      generated.size = it->second.size;
      generated.content_seed = *it->second.content_seed;
      return {200, file_bytes(generated)};
    }
    if (state_dir_) {
      std::ifstream in(*state_dir_ / "files" / sha, std::ios::binary);
      if (in)
        return {200, std::string(std::istreambuf_iterator<char>(in), {})};
    }
  }
  return {404,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The "
          "specified key does not exist.</Message></Error>"};
}

}  // namespace atsm::sandbox
