// ats-sandbox: emulated Lever, Greenhouse and Ashby APIs on loopback, started in-process or by the
// `ats-sandbox` executable. See sandbox/README.md for the inspection JSON.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace atsm::sandbox {

enum class Vendor { lever = 0, greenhouse = 1, ashby = 2 };
inline constexpr std::array<const char*, 3> kVendorNames{"lever", "greenhouse", "ashby"};

// Fraction of requests (0..1) that get each fault. lost_response applies to writes only,
// ashby_transient to Ashby only.
struct FaultRates {
  double rate_limit = 0;
  double server_error = 0;
  double reset = 0;
  double stall = 0;
  double truncate = 0;
  double ashby_transient = 0;
  double lost_response = 0;
};
inline constexpr std::array<const char*, 7> kFaultNames{
    "rate_limit", "server_error", "reset", "stall", "truncate", "ashby_transient", "lost_response"};

// Sets `rates.<name>` (a name of kFaultNames); throws std::invalid_argument naming the fault.
void set_fault_rate(FaultRates& rates, const std::string& name, double rate);
// Named profiles: "none", "chaos" (every fault at 5 %). Throws std::invalid_argument otherwise.
FaultRates fault_profile(const std::string& name);

struct Credentials {
  std::string lever_api_key;
  std::string greenhouse_client_id;
  std::string greenhouse_client_secret;
  std::string ashby_api_key;
};

// NAME=value lines (LEVER_API_KEY, GREENHOUSE_CLIENT_ID, GREENHOUSE_CLIENT_SECRET, ASHBY_API_KEY).
Credentials read_credentials_file(const std::filesystem::path& path);
// Written with mode 0600 (created private, never world-readable in between).
void write_credentials_file(const std::filesystem::path& path, const Credentials& credentials);
Credentials random_credentials();

struct Options {
  std::uint64_t seed = 1;
  int persons = 200;
  // Multiplies every documented rate limit and divides every latency, window and TTL.
  double rate_scale = 1.0;
  // Median latency per request; 0 = answer at once.
  int latency_ms = 0;
  // Per-vendor fault rates, indexed by Vendor.
  std::array<FaultRates, 3> faults{};
  // How long a `stall` fault holds a request before answering (before rate_scale).
  int stall_ms = 30000;
  std::string host = "127.0.0.1";
  int port_lever = 0;
  int port_greenhouse = 0;
  int port_ashby = 0;
  std::optional<Credentials> credentials;  // random when absent
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::filesystem::path> ashby_config_file;
  // Lifetime of Greenhouse signed attachment URLs (before rate_scale): seven days, as documented
  // for v3 attachment links (sandbox/validator/greenhouse-v3/schemas/attachments.json, `url`;
  // docs/vendors/greenhouse.md §7). A test sets it short on purpose to see URLs expire between
  // reading and downloading.
  int attachment_url_ttl_s = 7 * 24 * 3600;
  // What no source settles about Greenhouse v3, emulated both ways; unset: chosen by the seed
  // (bit 0 and bit 1), so each seed is one combination. Whether a filter a list does not define
  // is ignored (false) or refused with 422 (true), docs/vendors/greenhouse.md §3 [unverified]:
  std::optional<bool> greenhouse_refuse_unknown_filters;
  // Whether attachment `url`s are signed file URLs (false) or a Greenhouse endpoint answering 302
  // to a fresh one (true): "may be a Greenhouse redirect endpoint ... follow redirects"
  // (docs/vendors/greenhouse.md §7, sandbox/validator/greenhouse-v3/schemas/attachments.json):
  std::optional<bool> greenhouse_redirect_attachments;
  // Lifetime of the presigned URL Ashby's file.info answers (before rate_scale). Undocumented
  // (docs/vendors/ashby.md §5 documents 10 minutes for the upload URL): 10 minutes unless a test
  // sets it short.
  int ashby_download_url_ttl_s = 600;
  // Lifetime of Lever OAuth and Greenhouse bearer tokens (before rate_scale).
  int token_ttl_s = 3600;
  // Send Retry-After with Lever 429s (whether Lever sends it is unverified: docs/vendors/lever.md
  // §3).
  bool lever_retry_after = true;
  // The shape of per-opportunity child lists (tests/lever/docs/lever_docs_examples.json): "wrapped"
  // is {data, hasNext} as every recorded list is; "documented" answers /files as a bare array
  // ("files_list_verbatim") and /forms as a bare object when there is one form ("profile_forms_
  // list_note"), else a bare array; "mixed" picks one of the two per opportunity from the seed.
  std::string lever_list_shapes = "wrapped";
  // Send Retry-After with Ashby 429s: whether Ashby does is unverified (docs/vendors/ashby.md §4);
  // off by default. Greenhouse always sends it.
  bool ashby_retry_after = false;
  // Ashby refuses an upload handle for a file larger than this (code `file_too_large`); 0: no
  // limit. Ashby's real limit is unverified (docs/vendors/ashby.md §5); tests set a small one
  // to see a refused record reported while the rest migrates. The truth leaves such files out.
  std::int64_t ashby_max_file_bytes = 0;
  // Whether Ashby takes application.create on a job that is not Open (Draft, Closed, Archived):
  // undocumented (sandbox/validator/ashby-api-openapi.extract.json, application.create), so both
  // are emulated. Unset: drawn from the seed, so runs of different seeds meet both; the client must
  // be right under each.
  std::optional<bool> ashby_applications_on_closed_jobs;
  // Each keep-alive connection holds a worker thread while it is open, so a client with more
  // connections than threads waits for an idle one to time out (seconds): a vendor's real
  // servers take far more. 128 is more than a run ever opens (32 writers, 32 readers and a few
  // walkers); the threads mostly sleep.
  int worker_threads = 128;
};

struct Endpoints {
  int lever_port = 0;
  int greenhouse_port = 0;
  int ashby_port = 0;
  std::string lever_url;
  std::string greenhouse_url;
  std::string ashby_url;
};

class Sandbox {
 public:
  explicit Sandbox(Options options);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Generates the dataset, binds the three ports and serves until stop(); starts once. Throws on
  // failure. Ignores SIGPIPE process-wide (a client that goes away must not kill the process).
  void start();
  // Idempotent; waits for every in-flight request (stalls are cut short).
  void stop();

  const Endpoints& endpoints() const;
  const Credentials& credentials() const;
  // A Lever key without confidential access, for tests of confidentiality (not in the file).
  const std::string& lever_restricted_key() const;
  const Options& options() const;

  // The single line `ats-sandbox` prints when ready.
  std::string ready_line(const std::filesystem::path& credentials_path) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace atsm::sandbox
