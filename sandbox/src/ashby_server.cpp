// Emulated Ashby RPC API (docs/vendors/ashby.md): POST /<category>.<method>, Basic auth with the
// key as user, HTTP 401/403/429 only for auth and rate limit, every business error HTTP 200 with
// success:false. Also serves the presigned upload target and the inspection endpoints.
#include "ashby_state.hpp"
#include "servers.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace {

json::object envelope_error(const std::string& code, const std::string& message,
                            const std::string& request_id) {
  return json::object{
      {"success", false},
      {"errors", json::array{json::value(code)}},
      {"errorInfo", json::object{{"code", code}, {"message", message}, {"requestId", request_id}}}};
}

}  // namespace

AshbyServer::AshbyServer(const Options& options, Sleeper& sleeper, World& world,
                         const Credentials& credentials, AshbyState& state)
    : VendorServer(Vendor::ashby, options, sleeper),
      world_(world),
      credentials_(credentials),
      state_(state),
      // 1,000 requests per minute per key (docs/vendors/ashby.md §4).
      window_(1000, 60.0 / options.rate_scale) {}

bool AshbyServer::is_write(const httplib::Request& request) const {
  return request.path.size() > 1 && AshbyState::is_write_method(request.path.substr(1));
}

void AshbyServer::write_fault_429(httplib::Response& response) {
  if (options_.ashby_retry_after)
    response.set_header("Retry-After", retry_after_text(1.0 / options_.rate_scale));
  set_json(
      response, 429,
      envelope_error("rate_limit_exceeded",
                     "Your organization has exceeded the rate limit of 1000 requests per minute.",
                     state_.new_request_id()));
}

void AshbyServer::write_server_error(httplib::Response& response, int status) {
  set_json(response, status,
           envelope_error("internal_server_error", "An unexpected error occurred.",
                          state_.new_request_id()));
}

void AshbyServer::write_transient(httplib::Response& response) {
  // HTTP 200 with success:false, as every Ashby business answer; the code marks it retryable.
  set_json(response, 200,
           envelope_error("temporarily_unavailable",
                          "The request could not be completed right now; retry later.",
                          state_.new_request_id()));
}

bool AshbyServer::handle_inspection(const httplib::Request& request, httplib::Response& response) {
  if (request.method == "GET" && request.path == "/_sandbox/state") {
    set_json(response, 200, state_.inspect(request.get_param_value("details") != "false"));
    return true;
  }
  if (request.method == "GET" && request.path == "/_sandbox/truth") {
    std::string source = request.has_param("source") ? request.get_param_value("source") : "both";
    if (source != "lever" && source != "greenhouse" && source != "both") {
      set_json(response, 400,
               json::object{
                   {"error", "source must be lever, greenhouse or both, not '" + source + "'"}});
      return true;
    }
    std::string body;
    {
      std::shared_lock lock(world_.mutex);
      std::lock_guard cache_lock(truth_mutex_);
      auto& cached = truth_cache_[source];
      if (cached.second.empty() || cached.first != world_.mutations) {
        cached = {world_.mutations, json::serialize(compute_truth(world_.data, source,
                                                                  options_.ashby_max_file_bytes))};
      }
      body = cached.second;
    }
    response.status = 200;
    response.set_content(body, "application/json");
    return true;
  }
  if (request.path == "/_sandbox/revoke_key") {
    // POST {"after_calls": N} deactivates the key after N more API calls; {"restore": true}
    // reactivates it. GET (and every answer) tells the state and the calls refused since.
    if (request.method == "POST") {
      try {
        json::object body = json::parse(request.body).as_object();
        if (const json::value* restore = body.if_contains("restore");
            restore && restore->as_bool()) {
          calls_before_revocation_ = -1;
          refused_since_revocation_ = 0;
        } else {
          calls_before_revocation_ =
              std::max<std::int64_t>(0, body.at("after_calls").to_number<std::int64_t>());
        }
      } catch (const std::exception& error) {
        set_json(response, 400,
                 json::object{{"error", std::string("expected {\"after_calls\": N} or "
                                                    "{\"restore\": true}: ") +
                                            error.what()}});
        return true;
      }
    }
    set_json(response, 200,
             json::object{{"revoked", calls_before_revocation_.load() == 0},
                          {"refused_since_revocation", refused_since_revocation_.load()}});
    return true;
  }
  if (request.method == "POST" && request.path == "/_sandbox/job_confidential") {
    // {"jobId": "...", "confidential": true}: what the operator does in Ashby's web app, which
    // the API cannot (sandbox/validator/ashby-api-openapi.extract.json: job.create/job.update
    // define no `confidential`; job.info's job answers it).
    std::string job_id;
    bool confidential = true;
    try {
      json::object body = json::parse(request.body).as_object();
      job_id = std::string(body.at("jobId").as_string());
      if (const json::value* flag = body.if_contains("confidential"))
        confidential = flag->as_bool();
    } catch (const std::exception& error) {
      set_json(response, 400,
               json::object{{"error", std::string("expected {\"jobId\": ID, \"confidential\": "
                                                  "true|false}: ") +
                                          error.what()}});
      return true;
    }
    if (!state_.set_job_confidential(job_id, confidential)) {
      set_json(response, 404, json::object{{"error", "no job " + job_id}});
      return true;
    }
    set_json(response, 200, json::object{{"jobId", job_id}, {"confidential", confidential}});
    return true;
  }
  if (request.method == "POST" && request.path == "/_sandbox/download_ttl") {
    double seconds = 0;
    bool first_url_expired = false;
    try {
      json::object body = json::parse(request.body).as_object();
      seconds = body.at("seconds").to_number<double>();
      if (const json::value* first = body.if_contains("first_url_expired"))
        first_url_expired = first->as_bool();
    } catch (const std::exception& error) {
      set_json(response, 400,
               json::object{{"error", std::string("download_ttl body: ") + error.what()}});
      return true;
    }
    state_.set_download_url_ttl_s(seconds);
    state_.expire_first_download_urls(first_url_expired);
    set_json(response, 200,
             json::object{{"seconds", seconds}, {"first_url_expired", first_url_expired}});
    return true;
  }
  return VendorServer::handle_inspection(request, response);
}

void AshbyServer::handle(const httplib::Request& request, httplib::Response& response) {
  std::string base_url = "http://" + options_.host + ":" + std::to_string(port());
  if (request.method == "POST" && request.path.rfind("/_upload/", 0) == 0) {
    // The presigned upload target: fields first, the file last, named `file` (docs/vendors/ashby.md
    // §5).
    std::optional<std::pair<std::string, std::string>> file;
    if (request.has_file("file")) {
      auto part = request.get_file_value("file");
      file = std::make_pair(part.filename, part.content);
    }
    auto [status, body] = state_.receive_upload(request.path.substr(9), file);
    response.status = status;
    if (!body.empty())
      response.set_content(body, "application/xml");
    return;
  }
  if (request.method == "GET" && request.path.rfind("/_files/", 0) == 0) {
    // The presigned download URL that file.info answers: storage, not the API (no key).
    std::int64_t expires = 0;
    try {
      expires = std::stoll(request.get_param_value("expires"));
    } catch (const std::exception&) {
      expires = 0;
    }
    auto [status, body] = state_.download_file(request.path.substr(8), expires);
    response.status = status;
    response.set_content(body, status == 200 ? "application/octet-stream" : "application/xml");
    return;
  }
  response.set_header("Ashby-Version", "2026-01-01");
  response.set_header("Ashby-Version-Status", "active");
  std::string header = request.get_header_value("Authorization");
  if (header.empty()) {
    set_json(
        response, 401,
        envelope_error("unauthenticated", "Missing API key: send it as the Basic auth user name",
                       state_.new_request_id()));
    return;
  }
  bool basic = false;
  std::string pair = bearer_or_basic_key(request, basic);
  // A key deactivated mid-run (POST /_sandbox/revoke_key) is refused like a wrong one: 403 for a
  // wrong or deactivated key (docs/vendors/ashby.md §1).
  std::int64_t left = calls_before_revocation_.load();
  while (left > 0 && !calls_before_revocation_.compare_exchange_weak(left, left - 1)) {
  }
  if (left == 0)
    ++refused_since_revocation_;
  if (!basic || pair.substr(0, pair.find(':')) != credentials_.ashby_api_key || left == 0) {
    set_json(response, 403,
             envelope_error("invalid_api_key", "The API key is invalid or deactivated",
                            state_.new_request_id()));
    return;
  }
  auto limit = window_.take(credentials_.ashby_api_key);
  if (!limit.allowed) {
    if (options_.ashby_retry_after)
      response.set_header("Retry-After", std::to_string(limit.retry_after_s));
    set_json(
        response, 429,
        envelope_error("rate_limit_exceeded",
                       "Your organization has exceeded the rate limit of 1000 requests per minute.",
                       state_.new_request_id()));
    return;
  }
  if (request.method != "POST" || request.path.size() < 2 ||
      request.path.find('.') == std::string::npos) {
    set_json(response, 404,
             envelope_error("unknown_endpoint",
                            "Ashby serves POST /<category>.<method>; not " + request.method + " " +
                                request.path,
                            state_.new_request_id()));
    return;
  }
  AshbyCall call;
  call.method = request.path.substr(1);
  if (request.is_multipart_form_data()) {
    // The deprecated multipart upload: parts candidateId and resume/file.
    for (const auto& [name, part] : request.files) {
      if (part.filename.empty())
        call.form_fields[name] = part.content;
      else
        call.form_file = std::make_pair(part.filename, part.content);
    }
  } else {
    try {
      json::value body = json::parse(request.body.empty() ? std::string("{}") : request.body);
      if (!body.is_object())
        throw std::invalid_argument("the body must be a JSON object");
      call.body = body.as_object();
    } catch (const std::exception& error) {
      set_json(response, 200,
               envelope_error("invalid_input",
                              "Body of " + call.method + " is not valid JSON: " + error.what(),
                              state_.new_request_id()));
      return;
    }
  }
  set_json(response, 200, state_.call(call, base_url));
}

}  // namespace atsm::sandbox
