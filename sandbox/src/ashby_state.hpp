// What the emulated Ashby holds: the operator's configuration (from --ashby-config or the default
// for the dataset) plus everything written through the API, optionally journalled under --state.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace atsm::sandbox {

struct AshbyCall {
  std::string method;
  boost::json::object body;
  // Multipart uploads (the deprecated candidate.uploadResume/uploadFile form).
  std::map<std::string, std::string> form_fields;
  std::optional<std::pair<std::string, std::string>> form_file;  // (filename, bytes)
};

class AshbyState {
 public:
  AshbyState(const boost::json::object& config, std::optional<std::filesystem::path> state_dir,
             std::uint64_t seed, double rate_scale, std::int64_t max_file_bytes = 0,
             int download_url_ttl_s = 600);
  // The body of an HTTP-200 answer: {success:true, results…} or {success:false, errorInfo…}.
  boost::json::object call(const AshbyCall& call, const std::string& base_url);
  // The presigned upload target of the upload-handle flow; returns the HTTP status and body.
  std::pair<int, std::string> receive_upload(
      const std::string& handle, const std::optional<std::pair<std::string, std::string>>& file);
  // The bytes behind a `file.info` download URL (GET /_files/<handle>?expires=MS): HTTP status
  // and body (the file, or an S3-style XML error when unknown or expired).
  std::pair<int, std::string> download_file(const std::string& handle, std::int64_t expires_ms);
  boost::json::object inspect(bool details) const;
  // file.info's URLs handed out from now on live `seconds` (before rate_scale; negative: already
  // expired), so a test can make read-back downloads fail, then succeed, on one running sandbox.
  void set_download_url_ttl_s(double seconds) { download_url_ttl_s_ = seconds; }
  // From now on, the first URL file.info hands out for each file is already expired, as when the
  // download comes after the URL's life (a slow queue); the next ones live the TTL.
  void expire_first_download_urls(bool expire);
  // Whether application.create takes a job that is not Open (Options, undocumented by Ashby).
  void set_applications_on_closed_jobs(bool accept) { applications_on_closed_jobs_ = accept; }
  // The operator's step in Ashby's web app (the API cannot do it:
  // sandbox/validator/ashby-api-openapi.extract.json job.create and job.update take no
  // `confidential`): marks the job confidential or not, as job.info's `confidential` then answers.
  // False when there is no such job.
  bool set_job_confidential(const std::string& job_id, bool confidential);
  static bool is_write_method(const std::string& method);
  std::string new_request_id();

 private:
  using Object = boost::json::object;
  struct Collection {
    std::map<std::string, Object> by_id;
    std::vector<std::string> order;               // insertion order, for lists
    std::map<std::string, std::size_t> position;  // id -> index in order
  };
  // One RPC being answered: what its handler reads.
  struct Rpc {
    const AshbyCall& call;
    const boost::json::object& body;
    const std::string& method;
    const std::string now;  // the call's time, ISO-8601
    const std::string& base_url;
  };
  using Handler = boost::json::object (AshbyState::*)(const Rpc&);
  struct RpcMethod {
    Handler answer;
    bool writes;  // a write: the lost_response fault commits it, then drops the connection
  };
  // The method table: RPC name -> its handler (an unknown name is `unknown_endpoint`).
  static const std::map<std::string, RpcMethod>& handlers();
  boost::json::object dispatch(const AshbyCall& call, const std::string& base_url);

  // What the handlers share.
  // The object of `kind` whose id the body's `key` names, else the business error `code`.
  Object& require(const boost::json::object& body, const char* kind, const char* key,
                  const char* code);
  // A page of a list RPC (limit, cursor, syncToken), of the objects `keep` accepts; `only`: the
  // positions (in insertion order) of the objects that can match, from an index; null: all.
  boost::json::object list_in(const boost::json::object& body, const std::string& kind,
                              const std::vector<std::size_t>* only,
                              const std::function<bool(const Object&)>& keep);
  boost::json::object list(const boost::json::object& body, const std::string& kind,
                           const std::function<bool(const Object&)>& keep);
  boost::json::object list(const boost::json::object& body, const std::string& kind);
  const std::vector<std::size_t>* owned_by(const std::string& kind, const std::string& owner) const;
  void count_created(const std::string& method, Object& object);
  boost::json::value user_ref(const std::string& id);
  void set_source_and_credit(const boost::json::object& body, Object& target);
  void set_default_plan(const boost::json::object& body, Object& job);

  // The handlers, one per RPC, by family.
  // ashby_candidates.cpp
  boost::json::object write_candidate(const Rpc& rpc, bool create);
  boost::json::object candidate_create(const Rpc& rpc);
  boost::json::object candidate_update(const Rpc& rpc);
  boost::json::object candidate_info(const Rpc& rpc);
  boost::json::object candidate_list(const Rpc& rpc);
  boost::json::object candidate_search(const Rpc& rpc);
  boost::json::object tag_candidate(const Rpc& rpc, bool add);
  boost::json::object candidate_add_tag(const Rpc& rpc);
  boost::json::object candidate_remove_tag(const Rpc& rpc);
  boost::json::object candidate_tag_create(const Rpc& rpc);
  boost::json::object candidate_tag_list(const Rpc& rpc);
  boost::json::object candidate_anonymize(const Rpc& rpc);
  // ashby_notes_feedback.cpp
  boost::json::object candidate_create_note(const Rpc& rpc);
  boost::json::object candidate_list_notes(const Rpc& rpc);
  boost::json::object application_feedback_submit(const Rpc& rpc);
  boost::json::object application_feedback_list(const Rpc& rpc);
  // ashby_files.cpp
  boost::json::object file_create_upload_handle(const Rpc& rpc);
  boost::json::object upload_candidate_file(const Rpc& rpc, bool resume);
  boost::json::object candidate_upload_resume(const Rpc& rpc);
  boost::json::object candidate_upload_file(const Rpc& rpc);
  boost::json::object file_info(const Rpc& rpc);
  // ashby_jobs.cpp
  boost::json::object create_org_unit(const Rpc& rpc, const std::string& kind);
  boost::json::object department_create(const Rpc& rpc);
  boost::json::object location_create(const Rpc& rpc);
  boost::json::object department_list(const Rpc& rpc);
  boost::json::object location_list(const Rpc& rpc);
  boost::json::object job_create(const Rpc& rpc);
  boost::json::object job_update(const Rpc& rpc);
  boost::json::object job_set_status(const Rpc& rpc);
  boost::json::object hiring_team_role_list(const Rpc& rpc);
  boost::json::object hiring_team_add_member(const Rpc& rpc);
  boost::json::object job_info(const Rpc& rpc);
  boost::json::object job_list(const Rpc& rpc);
  boost::json::object interview_plan_list(const Rpc& rpc);
  boost::json::object interview_stage_list(const Rpc& rpc);
  boost::json::object job_interview_plan_info(const Rpc& rpc);
  // ashby_applications.cpp
  boost::json::object application_create(const Rpc& rpc);
  boost::json::object application_info(const Rpc& rpc);
  boost::json::object application_list(const Rpc& rpc);
  boost::json::object application_list_history(const Rpc& rpc);
  boost::json::object application_update(const Rpc& rpc);
  boost::json::object application_change_stage(const Rpc& rpc);
  // ashby_reference.cpp
  boost::json::object source_list(const Rpc& rpc);
  boost::json::object archive_reason_list(const Rpc& rpc);
  boost::json::object user_list(const Rpc& rpc);
  boost::json::object user_search(const Rpc& rpc);
  boost::json::object feedback_form_definition_list(const Rpc& rpc);
  boost::json::object feedback_form_definition_info(const Rpc& rpc);
  boost::json::object custom_field_create(const Rpc& rpc);
  boost::json::object custom_field_list(const Rpc& rpc);
  boost::json::object set_custom_field_values(const Rpc& rpc, bool single);
  boost::json::object custom_field_set_value(const Rpc& rpc);
  boost::json::object custom_field_set_values(const Rpc& rpc);
  std::string new_id(const std::string& kind);
  Object& put(const std::string& kind, Object object, bool journal = true);
  Object* find(const std::string& kind, const std::string& id);
  void journal(const std::string& kind, const Object& object);
  void load_config(const boost::json::object& config);
  void replay_journal();
  // Keeps an uploaded file's bytes (content-addressed, under --state too) for file.info.
  std::string keep_bytes(const std::string& bytes);

  mutable std::mutex mutex_;
  std::map<std::string, Collection> collections_;
  std::map<std::string, std::uint64_t> created_by_method_;
  std::optional<std::filesystem::path> state_dir_;
  std::ofstream journal_;
  std::uint64_t seed_;
  std::uint64_t id_salt_;
  std::uint64_t serial_ = 0;
  double rate_scale_;
  // file.info's presigned URL lifetime in seconds, before rate_scale_ (a test may change it).
  std::atomic<double> download_url_ttl_s_;
  bool expire_first_download_urls_ = false;
  std::set<std::string> handles_with_download_url_;  // since expire_first_download_urls(true)
  std::int64_t max_file_bytes_;                      // 0: no upload limit
  std::atomic<bool> applications_on_closed_jobs_{true};
  // Both upload flows refuse a file over the limit (code file_too_large).
  void refuse_if_too_large(std::int64_t bytes) const;
  std::string api_user_id_;
  std::map<std::string, std::pair<std::int64_t, std::string>>
      pending_uploads_;  // handle -> (expiry ms, name)
  // An uploaded file's bytes; one that is exactly a generated dataset file (what a migration
  // uploads) is kept as the seed that regenerates it, so 100,000 persons' files do not stay in
  // memory (issue 22 item 5).
  struct KeptFile {
    std::string bytes;
    std::optional<std::uint64_t> content_seed;
    std::size_t size = 0;
  };
  std::map<std::string, KeptFile> file_bytes_;  // sha256 -> every uploaded file
  // handle -> file id, so file.info and downloads find a file without scanning them all.
  std::map<std::string, std::string> file_id_by_handle_;
  // Normalised email -> candidate ids, so candidate.search does not scan every candidate.
  std::map<std::string, std::set<std::string>> candidates_by_email_;
  // "note|<candidate id>" and "feedback|<application id>" -> positions in the kind's order.
  std::map<std::string, std::vector<std::size_t>> positions_by_owner_;
};

}  // namespace atsm::sandbox
