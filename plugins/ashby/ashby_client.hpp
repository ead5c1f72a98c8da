// Ashby's RPC transport over the host's HTTP service: every call is a POST of a JSON body to
// /<category>.<method>, and every answer is classified here, because Ashby reports business
// errors as HTTP 200 with success:false (docs/vendors/ashby.md §2).
#pragma once

#include <atsmigrate/connector.hpp>

#include <boost/json.hpp>
#include <functional>
#include <string>
#include <vector>

namespace atsm::ashby {

namespace json = boost::json;

inline constexpr const char* kBucket = "ashby";
inline constexpr const char* kReportsBucket = "ashby_reports";
inline constexpr const char* kApiKeySecret = "ASHBY_API_KEY";

// How a call may be repeated. A read and an idempotent write (tag create, setValues, addTag) may
// be retried by the host; a create may not, and its lost answer comes back as ATSM_AMBIGUOUS.
enum class CallKind { read, idempotent_write, create };

// The error of one Ashby call: code, message and request id from errorInfo (else errors[]),
// classified transient (retry / rate_limited / ambiguous) or permanent (invalid / permanent /
// auth). Throws sdk::Error with that status; a missing or malformed body is never a success.
json::object classify_response(const sdk::HttpResponse& response, const std::string& method,
                               CallKind kind);

class Client {
 public:
  Client(sdk::Host host, std::string base_url);

  // The whole success envelope ({"success":true,"results":...,...}); throws sdk::Error.
  json::object call(const std::string& method, const json::object& body, CallKind kind) const;
  // The envelope's "results".
  json::value results(const std::string& method, const json::object& body, CallKind kind) const;
  // Every item of a paginated list call (cursor / moreDataAvailable), 100 per page.
  std::vector<json::object> list_all(const std::string& method, json::object body = {}) const;
  // The same, an item at a time, for lists too long to hold (the whole account's candidates).
  void for_each_listed(const std::string& method, json::object body,
                       const std::function<void(const json::object&)>& visit) const;

  // The deprecated multipart form of candidate.uploadResume / uploadFile (a create).
  json::object upload_multipart(const std::string& method, const std::string& candidate_id,
                                const std::string& part_name, const std::string& file_name,
                                const std::string& content_type,
                                const std::string& blob_sha256) const;
  // POSTs the file to the presigned URL of file.createFileUploadHandle: the handle's fields
  // first, the file last, named "file". Repeating it only replaces the same upload.
  void post_presigned(const std::string& url, const json::object& fields,
                      const std::string& file_name, const std::string& content_type,
                      const std::string& blob_sha256) const;

  // The SHA-256 of a candidate's file: file.info's presigned URL, downloaded into the blob store
  // at once; a failed download is tried again with a fresh URL, and ATSM_RETRY when it stays so.
  std::string download_sha256(const std::string& file_handle) const;
  const sdk::Host& host() const { return host_; }
  const std::string& base_url() const { return base_url_; }

 private:
  // The host's HTTP call; a transport failure names the method.
  sdk::HttpResponse send(const sdk::HttpRequest& request, const std::string& method) const;

  sdk::Host host_;
  std::string base_url_;
};

// A JSON member as text ("" when absent or not a string).
std::string text_of(const json::object& object, std::string_view key);

}  // namespace atsm::ashby
