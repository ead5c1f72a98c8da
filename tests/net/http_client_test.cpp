#include "services/net/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <condition_variable>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "http_client_support.hpp"
#include "services/net/log.hpp"

namespace atsm::net {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST(HttpClientTest, RedirectsAreNotFollowedUnlessAsked) {
  LoopbackServer server;
  std::atomic<int> target_hits{0};
  server.server.Get("/from", [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect("/to");
  });
  server.server.Get("/to", [&](const httplib::Request&, httplib::Response& response) {
    ++target_hits;
    response.set_content("arrived", "text/plain");
  });
  server.start();
  HttpClient client(fast_backoff());
  const Response stopped = client.perform(get(server.url("/from")));
  EXPECT_EQ(stopped.status, 302);
  EXPECT_EQ(stopped.headers.get("location"), "/to");
  EXPECT_EQ(target_hits.load(), 0);

  Request follow = get(server.url("/from"));
  follow.follow_redirects = true;
  const Response followed = client.perform(follow);
  EXPECT_EQ(followed.status, 200);
  EXPECT_EQ(followed.body, "arrived");
  EXPECT_EQ(target_hits.load(), 1);
}

TEST(HttpClientTest, MultipartUploadArrivesByteIdentical) {
  TempDir dir;
  const std::string in_memory = random_bytes(300 * 1024, 7);
  const std::string on_disk = random_bytes(1024 * 1024 + 13, 8);
  const auto file_path = dir.path() / "notes.bin";
  std::ofstream(file_path, std::ios::binary) << on_disk;

  LoopbackServer server;
  server.server.Post("/file.upload",
                     [&](const httplib::Request& request, httplib::Response& response) {
                       std::string problem;
                       if (!request.is_multipart_form_data())
                         problem = "not multipart";
                       const auto resume = request.get_file_value("resume");
                       const auto notes = request.get_file_value("notes");
                       const auto candidate = request.get_file_value("candidateId");
                       if (resume.content != in_memory)
                         problem += " resume bytes differ";
                       if (resume.filename != "resume.pdf")
                         problem += " resume filename " + resume.filename;
                       if (resume.content_type != "application/pdf")
                         problem += " resume type " + resume.content_type;
                       if (notes.content != on_disk)
                         problem += " notes bytes differ";
                       if (notes.filename != "notes-renamed.bin")
                         problem += " notes filename " + notes.filename;
                       if (candidate.content != "cand-42" || !candidate.filename.empty())
                         problem += " field";
                       response.status = problem.empty() ? 200 : 400;
                       response.set_content(problem.empty() ? "match" : problem, "text/plain");
                     });
  server.start();

  HttpClient client(fast_backoff());
  Request request;
  request.method = "POST";
  request.url = server.url("/file.upload");
  request.multipart = {
      MultipartPart{"candidateId", "", "", std::string("cand-42")},
      MultipartPart{"resume", "resume.pdf", "application/pdf", in_memory},
      MultipartPart{"notes", "notes-renamed.bin", "application/octet-stream", file_path},
  };
  const Response response = client.perform(request);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "match");
}

TEST(HttpClientTest, MissingMultipartFileIsRefusedBeforeSending) {
  HttpClient client(fast_backoff());
  Request request;
  request.method = "POST";
  request.url = "http://127.0.0.1:9/upload";
  request.multipart = {MultipartPart{"file", "", "", std::filesystem::path("/nonexistent/cv.pdf")}};
  try {
    client.perform(request);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/cv.pdf"), std::string::npos);
  }
}

TEST(HttpClientTest, LargeDownloadStreamsThroughTheSink) {
  const std::string payload = random_bytes(5 * 1024 * 1024, 11);
  LoopbackServer server;
  server.server.Get("/files/big", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content_provider(payload.size(), "application/octet-stream",
                                  [&](size_t offset, size_t length, httplib::DataSink& sink) {
                                    const size_t chunk = std::min<size_t>(length, 64 * 1024);
                                    return sink.write(payload.data() + offset, chunk);
                                  });
  });
  server.start();

  HttpClient client(fast_backoff());
  std::string received;
  std::size_t chunks = 0;
  Request request = get(server.url("/files/big"));
  request.download_sink = [&](std::string_view chunk) {
    received.append(chunk);
    ++chunks;
    return true;
  };
  const Response response = client.perform(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body.empty()) << "the body was held in memory";
  EXPECT_EQ(response.bytes_received, payload.size());
  EXPECT_GT(chunks, 1u);
  EXPECT_TRUE(received == payload) << "received " << received.size() << " bytes";
}

TEST(HttpClientTest, ErrorBodiesBypassTheSinkAndARefusingSinkStopsTheTransfer) {
  LoopbackServer server;
  server.server.Get("/files/gone", [](const httplib::Request&, httplib::Response& response) {
    response.status = 404;
    response.set_content("{\"message\":\"Resource not found\"}", "application/json");
  });
  server.server.Get("/files/ok", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(200000, 'x'), "application/octet-stream");
  });
  server.start();
  HttpClient client(fast_backoff());
  int sink_calls = 0;
  Request missing = get(server.url("/files/gone"));
  missing.download_sink = [&](std::string_view) {
    ++sink_calls;
    return true;
  };
  const Response not_found = client.perform(missing);
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.body, "{\"message\":\"Resource not found\"}");
  EXPECT_EQ(sink_calls, 0);

  Request throwing = get(server.url("/files/ok"));
  throwing.download_sink = [](std::string_view) -> bool {
    throw std::runtime_error("blob store full");
  };
  EXPECT_THROW(client.perform(throwing), std::runtime_error);

  Request refused = get(server.url("/files/ok"));
  refused.download_sink = [&](std::string_view) { return false; };
  const Response stopped = client.perform(refused);
  EXPECT_EQ(stopped.status, 0);
  EXPECT_EQ(stopped.attempts, 1u);
  EXPECT_FALSE(stopped.transport_error.empty());
}

TEST(HttpClientTest, SecretsNeverReachTheLog) {
  std::ostringstream captured;
  auto logger = install_logger({std::make_shared<spdlog::sinks::ostream_sink_mt>(captured)},
                               spdlog::level::trace);
  const std::string secret = "sk_live_secret_in_url_4242";
  const std::string header_only_secret = "hdr_only_token_777777";  // never registered by hand
  Redactor::instance().add_secret(secret);

  LoopbackServer server;
  std::atomic<bool> server_saw_secret{false};
  std::atomic<int> hits{0};
  server.server.Get(
      "/v1/opportunities", [&](const httplib::Request& request, httplib::Response& response) {
        server_saw_secret = request.get_param_value("api_key") == secret &&
                            request.get_header_value("Authorization") == "Bearer " + secret &&
                            request.get_header_value("X-Api-Token") == header_only_secret;
        response.status = hits++ == 0 ? 500 : 200;
      });
  server.start();

  HttpClient client(fast_backoff());
  Request request = get(server.url("/v1/opportunities?api_key=" + secret));
  request.headers.add("Authorization", "Bearer " + secret);
  request.headers.add("X-Api-Token", header_only_secret);
  const Response response = client.perform(request);
  spdlog::error("request failed: {} with header X-Api-Token {}", request.url, header_only_secret);
  logger->flush();

  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(server_saw_secret.load()) << "the request did not carry the secret";
  const std::string text = captured.str();
  EXPECT_EQ(text.find(secret), std::string::npos) << text;
  EXPECT_EQ(text.find(header_only_secret), std::string::npos) << text;
  EXPECT_NE(text.find("/v1/opportunities?api_key=[REDACTED]"), std::string::npos) << text;
  EXPECT_NE(text.find("(attempt 2/4)"), std::string::npos) << text;
  restore_default_logger();
}

TEST(HttpClientTest, ManyThreadsKeepManyRequestsInFlight) {
  LoopbackServer server(40);
  server.server.set_keep_alive_max_count(100);
  std::atomic<int> in_flight{0};
  std::atomic<int> peak{0};
  server.server.Get("/slow", [&](const httplib::Request&, httplib::Response& response) {
    const int now = ++in_flight;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(200ms);
    --in_flight;
    response.set_content("done", "text/plain");
  });
  server.start();

  HttpClient client(fast_backoff());
  constexpr int kThreads = 16;
  std::atomic<int> successes{0};
  // httplib listens with a backlog of 5, so 16 simultaneous connects lose SYNs for a second and
  // desynchronise the threads. A warm-up round opens the connections (kept alive in the pool, as
  // in a real run); the measured rounds start together.
  std::barrier warmed_up(kThreads, [&]() noexcept { peak = 0; });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&] {
      client.perform(get(server.url("/slow")));
      warmed_up.arrive_and_wait();
      for (int i = 0; i < 2; ++i) {
        if (client.perform(get(server.url("/slow"))).ok())
          ++successes;
      }
    });
  }
  for (auto& worker : workers)
    worker.join();
  EXPECT_EQ(successes.load(), 2 * kThreads);
  EXPECT_GE(peak.load(), 10);
  const auto metrics = client.endpoint_metrics();
  const auto entry = metrics.find(EndpointKey{"GET", "127.0.0.1", "/slow"});
  ASSERT_NE(entry, metrics.end());
  EXPECT_EQ(entry->second.requests, 3u * kThreads);
  EXPECT_EQ(entry->second.final_statuses.at(200), 3u * kThreads);
}

TEST(HttpClientTest, SequentialRequestsReuseTheConnection) {
  LoopbackServer server;
  server.server.set_keep_alive_max_count(100);
  std::mutex mutex;
  std::set<int> client_ports;
  server.server.Get("/ping", [&](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard lock(mutex);
    client_ports.insert(request.remote_port);
    response.set_content("pong", "text/plain");
  });
  server.start();
  HttpClient client(fast_backoff());
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(client.perform(get(server.url("/ping"))).body, "pong");
  EXPECT_EQ(client_ports.size(), 1u) << "each request opened a new connection";
}

TEST(HttpClientTest, RateLimitedRequestsAcquireAndReportToTheirBucket) {
  LoopbackServer server;
  Script script{{{429, "1"}}};
  script.install(server.server, "/api");
  server.start();
  RateLimiter limiter;
  limiter.configure("vendor", BucketPolicy::token_bucket(100, 10));
  HttpClient client(fast_backoff(&limiter));
  Request request = get(server.url("/api"));
  request.rate_limit_bucket = "vendor";
  const Response response = client.perform(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.attempts, 2u);
  const auto metrics = limiter.metrics("vendor");
  EXPECT_EQ(metrics.permits_granted, 2u);
  EXPECT_EQ(metrics.rate_limited_responses, 1u);
  EXPECT_EQ(metrics.pauses, 1u);
  EXPECT_EQ(metrics.in_flight, 0u);

  Request unknown = get(server.url("/api"));
  unknown.rate_limit_bucket = "other";
  EXPECT_THROW(client.perform(unknown), std::invalid_argument);
}

TEST(HttpClientTest, CancellationStopsARequestWaitingOnItsBucket) {
  LoopbackServer server;
  Script script{{}};
  script.install(server.server, "/api");
  server.start();
  RateLimiter limiter;
  limiter.configure("vendor", BucketPolicy::token_bucket(100, 10));
  limiter.pause_until("vendor", steady_clock().now() + 60s);
  HttpClient client(fast_backoff(&limiter));
  std::atomic<bool> cancel{false};
  Request request = get(server.url("/api"));
  request.rate_limit_bucket = "vendor";
  request.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    cancel = true;
  });
  const Response response = client.perform(request);
  canceller.join();
  EXPECT_TRUE(response.cancelled);
  EXPECT_EQ(response.attempts, 0u);
  EXPECT_EQ(script.hits.load(), 0);
}

TEST(HttpClientTest, EndpointMetricsGroupByPathWithoutQuery) {
  LoopbackServer server;
  Script script{{{503, ""}}};
  script.install(server.server, "/items");
  server.start();
  HttpClient client(fast_backoff());
  client.perform(get(server.url("/items?page=1")));
  client.perform(get(server.url("/items?page=2")));
  client.perform(post(server.url("/items")));
  const auto metrics = client.endpoint_metrics();
  const auto& gets = metrics.at(EndpointKey{"GET", "127.0.0.1", "/items"});
  EXPECT_EQ(gets.requests, 2u);
  EXPECT_EQ(gets.attempts, 3u);  // the first GET met one 503
  EXPECT_EQ(gets.final_statuses.at(200), 2u);
  const auto& posts = metrics.at(EndpointKey{"POST", "127.0.0.1", "/items"});
  EXPECT_EQ(posts.requests, 1u);
}

// One entry per endpoint, not per record: segments that name a record (longer than three
// characters, with a digit) are grouped as ":id"; version segments ("v1") and names stay.
TEST(HttpClientTest, EndpointMetricsGroupRecordIdsInThePath) {
  LoopbackServer server;
  server.server.Get(".*", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("{}", "application/json");
  });
  server.start();
  HttpClient client(fast_backoff());
  client.perform(get(server.url("/v1/opportunities/5f2c8a7e-1c2d-4e5f-9a0b-1c2d3e4f5a6b/notes")));
  client.perform(get(server.url("/v1/opportunities/0a1b2c3d-aaaa-4bbb-8ccc-dddddddddddd/notes")));
  client.perform(get(server.url("/v3/candidates/12345")));
  client.perform(get(server.url("/v1/stages")));
  const auto metrics = client.endpoint_metrics();
  EXPECT_EQ(metrics.size(), 3u);
  EXPECT_EQ(metrics.at(EndpointKey{"GET", "127.0.0.1", "/v1/opportunities/:id/notes"}).requests,
            2u);
  EXPECT_EQ(metrics.at(EndpointKey{"GET", "127.0.0.1", "/v3/candidates/:id"}).requests, 1u);
  EXPECT_EQ(metrics.at(EndpointKey{"GET", "127.0.0.1", "/v1/stages"}).requests, 1u);
}

TEST(HttpClientTest, InterruptedDownloadRestartsTheSinkOrIsNotRetried) {
  const std::string payload = random_bytes(1024 * 1024, 21);
  LoopbackServer server;
  std::atomic<int> hits{0};
  server.server.Get("/files/flaky", [&](const httplib::Request&, httplib::Response& response) {
    const bool cut_short = hits++ == 0;
    response.set_content_provider(
        payload.size(), "application/octet-stream",
        [&, cut_short](size_t offset, size_t length, httplib::DataSink& sink) {
          // The first response dies a quarter of the way in, after the headers promised 1 MB.
          if (cut_short && offset >= payload.size() / 4)
            return false;
          return sink.write(payload.data() + offset, std::min<size_t>(length, 64 * 1024));
        });
  });
  server.start();
  HttpClient client(fast_backoff());

  std::string received;
  int restarts = 0;
  Request request = get(server.url("/files/flaky"));
  request.download_sink = [&](std::string_view chunk) {
    received.append(chunk);
    return true;
  };
  request.download_restart = [&] {
    received.clear();
    ++restarts;
  };
  const Response response = client.perform(request);
  EXPECT_EQ(response.status, 200) << response.transport_error;
  EXPECT_EQ(response.attempts, 2u);
  EXPECT_EQ(restarts, 1);
  EXPECT_TRUE(received == payload) << "received " << received.size() << " bytes";

  // Without a way to restart the sink, a half-delivered body is not retried.
  hits = 0;
  received.clear();
  request.download_restart = nullptr;
  const Response partial = client.perform(request);
  EXPECT_EQ(partial.status, 0);
  EXPECT_EQ(partial.attempts, 1u);
  EXPECT_FALSE(partial.transport_error.empty());
  EXPECT_LT(received.size(), payload.size());
}

TEST(HttpClientTest, CancellationAbortsATransferInProgress) {
  LoopbackServer server;
  Stall stall;
  stall.install(server.server, "/stall");
  server.start();
  HttpClient client(fast_backoff());
  std::atomic<bool> cancel{false};
  Request request = get(server.url("/stall"));
  request.cancel = &cancel;
  std::thread canceller([&] {
    while (stall.entered.load() == 0)
      std::this_thread::sleep_for(5ms);
    cancel = true;
  });
  const Response response = client.perform(request);
  canceller.join();
  EXPECT_TRUE(response.cancelled);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.attempts, 1u);
  EXPECT_EQ(stall.finished.load(), 0);
  stall.release();
}

// Writes a self-signed certificate for 127.0.0.1/localhost and its key into `dir`.
std::pair<std::string, std::string> write_self_signed_certificate(
    const std::filesystem::path& dir) {
  EVP_PKEY* key = EVP_EC_gen("prime256v1");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  X509_add_ext(cert, san, -1);
  X509_EXTENSION_free(san);
  X509_sign(cert, key, EVP_sha256());
  const std::string cert_path = (dir / "cert.pem").string();
  const std::string key_path = (dir / "key.pem").string();
  FILE* cert_file = std::fopen(cert_path.c_str(), "w");
  PEM_write_X509(cert_file, cert);
  std::fclose(cert_file);
  FILE* key_file = std::fopen(key_path.c_str(), "w");
  PEM_write_PrivateKey(key_file, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(key_file);
  X509_free(cert);
  EVP_PKEY_free(key);
  return {cert_path, key_path};
}

TEST(HttpClientTest, TlsIsVerifiedUnlessAllowedForLoopback) {
  TempDir dir;
  const auto [cert_path, key_path] = write_self_signed_certificate(dir.path());
  auto tls = std::make_unique<httplib::SSLServer>(cert_path.c_str(), key_path.c_str());
  ASSERT_TRUE(tls->is_valid());
  LoopbackServer server(std::move(tls));
  server.server.Get("/secure", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("tls ok", "text/plain");
  });
  server.start();

  HttpClient verifying(fast_backoff());
  Request request = get(server.url("/secure", "https"));
  request.max_attempts = 1;
  const Response refused = verifying.perform(request);
  EXPECT_EQ(refused.status, 0);
  EXPECT_FALSE(refused.transport_error.empty());

  HttpClientOptions sandbox_options = fast_backoff();
  sandbox_options.allow_insecure_loopback_tls = true;
  HttpClient sandbox(sandbox_options);
  const Response accepted = sandbox.perform(request);
  EXPECT_EQ(accepted.status, 200) << accepted.transport_error;
  EXPECT_EQ(accepted.body, "tls ok");
}

TEST(HttpClientTest, IdempotencyDefaultsFollowTheMethod) {
  Request request;
  EXPECT_TRUE(request.is_idempotent());
  request.method = "POST";
  EXPECT_FALSE(request.is_idempotent());
  request.idempotent = true;  // e.g. an RPC-style read
  EXPECT_TRUE(request.is_idempotent());
  request = Request{};
  for (const char* method : {"PUT", "DELETE", "head"}) {
    request.method = method;
    EXPECT_TRUE(request.is_idempotent()) << method;
  }
  request.method = "PATCH";
  EXPECT_FALSE(request.is_idempotent());
}

TEST(HttpClientTest, LoopbackDetection) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("LOCALHOST"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.42.0.9"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("[::1]"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("api.ashbyhq.com"));
  EXPECT_FALSE(is_loopback_host("localhost.evil.example"));
  EXPECT_FALSE(is_loopback_host("::2"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
}

}  // namespace
}  // namespace atsm::net
