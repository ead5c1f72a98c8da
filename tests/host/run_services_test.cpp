// The host services as a plugin reaches them: through the C table, over real loopback HTTP, into
// a real blob store and ledger on disk.
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <atomic>

#include <fstream>
#include <sstream>

#include "host/run_services.hpp"
#include "net/test_support.hpp"
#include "services/net/log.hpp"

namespace {

using atsm::net::testing::LoopbackServer;
using atsm::net::testing::TempDir;

constexpr const char* kApiKey = "sekret-key-123";
// `printf 'sekret-key-123:' | base64`: Basic auth with the key as user and an empty password.
constexpr const char* kExpectedBasic = "Basic c2VrcmV0LWtleS0xMjM6";

struct Captured {
  std::string status_and_body;
  int status = 0;
  std::string body;
  std::string blob;
  uint64_t blob_size = 0;
  std::string request_id;
};

void capture(void* context, const atsm_http_response* response) {
  auto& out = *static_cast<Captured*>(context);
  out.status = response->status;
  out.body.assign(response->body, response->body_size);
  out.blob = response->blob_sha256 ? response->blob_sha256 : "";
  out.blob_size = response->blob_size;
  for (size_t i = 0; i < response->header_count; ++i) {
    if (std::string(response->headers[i].name) == "X-Request-Id")
      out.request_id = response->headers[i].value;
  }
}

class RunServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server.server.Get("/secure", [](const httplib::Request& request, httplib::Response& response) {
      bool ok = request.get_header_value("Authorization") == kExpectedBasic;
      response.status = ok ? 200 : 401;
      response.set_header("X-Request-Id", "req-7");
      response.set_content(ok ? "welcome" : "who are you", "text/plain");
    });
    server.server.Get("/file", [this](const httplib::Request&, httplib::Response& response) {
      response.set_content(file_bytes, "application/pdf");
    });
    server.server.Get("/gone", [](const httplib::Request&, httplib::Response& response) {
      response.status = 422;
      response.set_content(R"({"code":"UnprocessableEntity","message":"file not processed"})",
                           "application/json");
    });
    server.server.Post("/create", [](const httplib::Request&, httplib::Response& response) {
      response.status = 500;
      response.set_content("oops", "text/plain");
    });
    server.server.Get("/busy", [this](const httplib::Request&, httplib::Response& response) {
      if (busy_hits++ == 0) {
        response.status = 503;
        response.set_header("Retry-After", "2");
      }
      response.set_content("{}", "application/json");
    });
    for (int i = 0; i < (1 << 20); ++i)
      file_bytes.push_back(static_cast<char>((i * 131) % 251));
    server.start();

    std::ofstream credentials(dir.path() / "credentials");
    credentials << "ATSM_TEST_KEY=" << kApiKey << "\n";
    credentials.close();
    std::filesystem::permissions(
        dir.path() / "credentials",
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    secrets = std::make_unique<atsm::net::SecretStore>(dir.path() / "credentials");
    blobs = std::make_unique<atsm::store::BlobStore>(dir.path() / "blobs");
    ledger = std::make_unique<atsm::store::Ledger>(dir.path() / "ledger.sqlite");
    atsm::net::HttpClientOptions options;
    options.rate_limiter = &limiter;
    options.backoff_base = std::chrono::milliseconds(1);
    http = std::make_unique<atsm::net::HttpClient>(options);
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text);
    logger = std::make_shared<spdlog::logger>("test", atsm::net::make_redacting(sink));
    logger->set_level(spdlog::level::trace);
    shared.reset(new atsm::host::SharedServices{
        *secrets, limiter, *http, *blobs, logger, ledger.get(), "scope-1", {}});
    services = std::make_unique<atsm::host::RunServices>(*shared, "tester");
    table = services->table();
  }

  atsm_http_request request(const char* method, const std::string& path) {
    url = "http://127.0.0.1:" + std::to_string(server.port()) + path;
    atsm_http_request raw{};
    raw.struct_size = sizeof raw;
    raw.abi_version = ATSM_ABI_VERSION;
    raw.method = method;
    raw.url = url.c_str();
    raw.idempotent = std::string(method) == "GET";
    return raw;
  }

  atsm_status call(const atsm_http_request& raw, Captured& out) {
    atsm_error_init(&error);
    return table->http(table->host, &raw, &capture, &out, &error);
  }

  LoopbackServer server;
  std::atomic<int> busy_hits{0};
  std::string file_bytes;
  TempDir dir;
  std::ostringstream log_text;
  atsm::net::RateLimiter limiter;
  std::unique_ptr<atsm::net::SecretStore> secrets;
  std::unique_ptr<atsm::store::BlobStore> blobs;
  std::unique_ptr<atsm::store::Ledger> ledger;
  std::unique_ptr<atsm::net::HttpClient> http;
  std::shared_ptr<spdlog::logger> logger;
  std::unique_ptr<atsm::host::SharedServices> shared;
  std::unique_ptr<atsm::host::RunServices> services;
  const atsm_host_services* table = nullptr;
  std::string url;
  atsm_error error;
};

TEST_F(RunServicesTest, BuildsBasicAuthFromANamedSecretAndNeverLogsIt) {
  atsm_http_request raw = request("GET", "/secure");
  raw.auth_scheme = ATSM_AUTH_BASIC_SECRET_AS_USER;
  raw.auth_secret = "ATSM_TEST_KEY";
  Captured out;
  ASSERT_EQ(call(raw, out), ATSM_OK) << error.message;
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body, "welcome");
  EXPECT_EQ(out.request_id, "req-7");
  table->log(table->host, ATSM_LOG_INFO, (std::string("token is ") + kApiKey).c_str());
  logger->flush();
  EXPECT_NE(log_text.str().find("[tester] token is [REDACTED]"), std::string::npos)
      << log_text.str();
  EXPECT_EQ(log_text.str().find(kApiKey), std::string::npos) << log_text.str();
  EXPECT_EQ(log_text.str().find("c2VrcmV0LWtleS0xMjM6"), std::string::npos) << log_text.str();
}

TEST_F(RunServicesTest, AMissingSecretIsAnAuthErrorThatSaysHowToProvideIt) {
  atsm_http_request raw = request("GET", "/secure");
  raw.auth_scheme = ATSM_AUTH_BEARER_SECRET;
  raw.auth_secret = "ATSM_NOT_SET_ANYWHERE";
  Captured out;
  EXPECT_EQ(call(raw, out), ATSM_AUTH);
  EXPECT_NE(std::string(error.message).find("ATSM_NOT_SET_ANYWHERE is not set"), std::string::npos)
      << error.message;
  EXPECT_NE(std::string(error.message).find("--credentials"), std::string::npos) << error.message;
}

TEST_F(RunServicesTest, StreamsADownloadIntoTheBlobStore) {
  atsm_http_request raw = request("GET", "/file");
  raw.download_to_blob = 1;
  Captured out;
  ASSERT_EQ(call(raw, out), ATSM_OK) << error.message;
  EXPECT_EQ(out.status, 200);
  EXPECT_TRUE(out.body.empty()) << "the body went to the blob store, not memory";
  ASSERT_EQ(out.blob.size(), 64u);
  EXPECT_EQ(out.blob_size, file_bytes.size());
  EXPECT_EQ(blobs->read(out.blob), file_bytes);
}

TEST_F(RunServicesTest, AFailedDownloadHandsTheErrorBodyBackAndStoresNothing) {
  atsm_http_request raw = request("GET", "/gone");
  raw.download_to_blob = 1;
  Captured out;
  ASSERT_EQ(call(raw, out), ATSM_OK) << error.message;
  EXPECT_EQ(out.status, 422);
  EXPECT_NE(out.body.find("file not processed"), std::string::npos);
  EXPECT_TRUE(out.blob.empty());
}

TEST_F(RunServicesTest, AWriteThatFailedAfterSendingIsAmbiguousNotRetried) {
  atsm_http_request raw = request("POST", "/create");
  raw.body = "{}";
  raw.body_size = 2;
  Captured out;
  EXPECT_EQ(call(raw, out), ATSM_AMBIGUOUS) << error.message;
  EXPECT_EQ(error.http_status, 500);
}

TEST_F(RunServicesTest, BlobsAndLedgerLookups) {
  char hex[65] = {};
  atsm_error_init(&error);
  ASSERT_EQ(table->blob_put(table->host, "abc", 3, hex, &error), ATSM_OK);
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  EXPECT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string read_back;
  atsm_output out = atsm::sdk::detail::string_output(read_back);
  ASSERT_EQ(table->blob_get(table->host, hex, &out, &error), ATSM_OK);
  EXPECT_EQ(read_back, "abc");

  std::string target;
  atsm_output target_out = atsm::sdk::detail::string_output(target);
  EXPECT_EQ(table->ledger_target(table->host, "job", "lever:posting:1", &target_out, &error),
            ATSM_NOT_FOUND);
  ledger->record_intent({"scope-1", "job", "lever:posting:1"}, "hash");
  ledger->mark_done({"scope-1", "job", "lever:posting:1"}, "ashby-job-9");
  ASSERT_EQ(table->ledger_target(table->host, "job", "lever:posting:1", &target_out, &error),
            ATSM_OK);
  EXPECT_EQ(target, "ashby-job-9");
}

TEST_F(RunServicesTest, RefusesAnImpossibleRatePolicy) {
  atsm_rate_policy policy{};
  policy.struct_size = sizeof policy;
  policy.abi_version = ATSM_ABI_VERSION;
  policy.bucket = "lever";
  policy.kind = ATSM_RATE_TOKEN_BUCKET;
  policy.rate_per_second = 0;
  atsm_error_init(&error);
  EXPECT_EQ(table->declare_bucket(table->host, &policy, &error), ATSM_INVALID);
  policy.rate_per_second = 10;
  policy.burst = 20;
  EXPECT_EQ(table->declare_bucket(table->host, &policy, &error), ATSM_OK);
  EXPECT_TRUE(limiter.has_bucket("lever"));
}

}  // namespace

// The advice a connector gets through extension atsm.host.in_flight/1: Little's law on the
// latency measured for that connector (rate x time on the wire, x2 + 2 of headroom), up to 32.
TEST_F(RunServicesTest, AdvisesRequestsInFlightFromTheMeasuredLatency) {
  atsm::sdk::Host host(table);
  host.declare_token_bucket("tester-api", 100, 1);
  EXPECT_EQ(host.suggested_in_flight(), std::nullopt) << "nothing measured yet";
  shared->record_traffic("tester", 10, std::chrono::milliseconds(500));
  EXPECT_EQ(host.suggested_in_flight(), std::nullopt) << "10 attempts are too few to measure";
  shared->record_traffic("tester", 30, std::chrono::milliseconds(1500));
  // 40 attempts, 50 ms each: 100/s x 0.05 s = 5 in flight; x2 + 2.
  EXPECT_EQ(host.suggested_in_flight(), std::optional<uint32_t>(12));
  shared->record_traffic("tester", 40, std::chrono::milliseconds(40 * 2000));
  EXPECT_EQ(host.suggested_in_flight(), std::optional<uint32_t>(32)) << "capped";
  // Another plugin's traffic is its own.
  atsm::host::RunServices other_services(*shared, "other");
  atsm::sdk::Host other(other_services.table());
  other.declare_token_bucket("other-api", 1000, 1);
  shared->record_traffic("other", 100, std::chrono::milliseconds(100));
  EXPECT_EQ(other.suggested_in_flight(), std::optional<uint32_t>(4)) << "1 ms: 1 in flight, x2 + 2";
}

// A worker that sleeps between attempts (here an unpaced request told "Retry-After: 2" by a 503)
// holds its request all that time: the advice counts it like time on the wire, or faults would
// leave a vendor's limit unused while the workers sleep.
TEST_F(RunServicesTest, TheInFlightAdviceCountsTheTimeWorkersBackOffBetweenAttempts) {
  atsm::sdk::Host host(table);
  host.declare_token_bucket("tester-api", 100, 1);
  Captured out;
  ASSERT_EQ(call(request("GET", "/busy"), out), ATSM_OK) << error.message;
  EXPECT_EQ(busy_hits.load(), 2);
  shared->record_traffic("tester", 18, std::chrono::milliseconds(0));
  // 20 attempts, at least 2 s among them: >= 100 ms each; 100/s x 0.1 s = 10 in flight; x2 + 2.
  EXPECT_GE(host.suggested_in_flight().value_or(0), 22u);
}

// A blob whose bytes changed on disk after they were fetched (disk damage, a stray edit) is
// never handed to a plugin nor sent to a vendor as the file: the error says what happened.
TEST_F(RunServicesTest, ABlobDamagedOnDiskIsNeitherReadNorSent) {
  std::atomic<int> uploads{0};
  server.server.Post("/upload", [&](const httplib::Request&, httplib::Response& response) {
    ++uploads;
    response.set_content("{}", "application/json");
  });
  const std::string original = "%PDF-1.4 a resume";
  const std::string hex = blobs->put(original);
  {
    std::ofstream damage(blobs->path_of(hex), std::ios::binary | std::ios::trunc);
    damage << "<html>not the resume</html>";
  }

  std::string read;
  atsm_output out{&read, [](void* context, const char* data, size_t size) {
                    static_cast<std::string*>(context)->append(data, size);
                    return ATSM_OK;
                  }};
  atsm_error_init(&error);
  EXPECT_EQ(table->blob_get(table->host, hex.c_str(), &out, &error), ATSM_PERMANENT);
  EXPECT_NE(std::string(error.message).find("no longer hash to their name"), std::string::npos)
      << error.message;
  EXPECT_TRUE(read.empty());

  atsm_multipart_part part{"file", "resume.pdf", "application/pdf", nullptr, 0, hex.c_str()};
  atsm_http_request raw = request("POST", "/upload");
  raw.parts = &part;
  raw.part_count = 1;
  Captured captured;
  EXPECT_EQ(call(raw, captured), ATSM_PERMANENT);
  EXPECT_NE(std::string(error.message).find(hex), std::string::npos) << error.message;
  EXPECT_EQ(uploads.load(), 0) << "damaged bytes never leave the machine";
}
