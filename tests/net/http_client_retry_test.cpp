// The HTTP client's retries: which answers are repeated, after how long, how often, and
// which writes come back ambiguous instead.
#include "services/net/http_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "http_client_support.hpp"

namespace atsm::net {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST(HttpClientTest, GetIsRetriedOn500And503ThenSucceeds) {
  LoopbackServer server;
  Script script{{{500, ""}, {503, ""}}};
  script.install(server.server, "/flaky");
  server.start();
  HttpClient client(fast_backoff());
  const Response response = client.perform(get(server.url("/flaky")));
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.ok());
  EXPECT_EQ(response.body, "ok");
  EXPECT_EQ(response.attempts, 3u);
  EXPECT_EQ(script.hits.load(), 3);
  EXPECT_FALSE(response.ambiguous);
  EXPECT_EQ(response.headers.get("content-type"), "text/plain");
}

TEST(HttpClientTest, RetriesAreBoundedByMaxAttempts) {
  LoopbackServer server;
  Script script{{{502, ""}, {502, ""}, {502, ""}, {502, ""}, {502, ""}}};
  script.install(server.server, "/down");
  server.start();
  HttpClient client(fast_backoff());
  Request request = get(server.url("/down"));
  request.max_attempts = 3;
  const Response response = client.perform(request);
  EXPECT_EQ(response.status, 502);
  EXPECT_EQ(response.attempts, 3u);
  EXPECT_EQ(script.hits.load(), 3);
  EXPECT_FALSE(response.ambiguous);
  EXPECT_EQ(response.body, "{\"error\":\"scripted\"}");
}

TEST(HttpClientTest, TooManyRequestsWaitsAtLeastRetryAfter) {
  LoopbackServer server;
  Script script{{{429, "1"}}};
  script.install(server.server, "/limited");
  server.start();
  HttpClient client(fast_backoff());
  const auto started = std::chrono::steady_clock::now();
  const Response response = client.perform(get(server.url("/limited")));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.attempts, 2u);
  EXPECT_GE(waited, 1s);
  EXPECT_GE(response.elapsed, 1000ms);
}

TEST(HttpClientTest, RetryAfterBeyondTheLimitIsReturnedToTheCaller) {
  LoopbackServer server;
  Script script{{{429, "3600"}}};
  script.install(server.server, "/long");
  server.start();
  HttpClient client(fast_backoff());
  const Response response = client.perform(get(server.url("/long")));
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(response.attempts, 1u);
  EXPECT_EQ(response.headers.get("Retry-After"), "3600");
  ASSERT_TRUE(response.refused_retry_after.has_value());
  EXPECT_GT(*response.refused_retry_after, 3590s);  // less the time since the header was read
  EXPECT_LE(*response.refused_retry_after, 3600s);
}

// Issue 19: `Retry-After: 1e300` overflowed a conversion (undefined behaviour, which UBSan in this
// build halts on) and 1000000000 paused a vendor for 15 minutes. Any value beyond the cap comes
// back at once, refused; the value itself is clamped, never wrapped.
TEST(HttpClientTest, ExtremeRetryAfterValuesAreRefusedWithoutOverflow) {
  for (const std::string value : {"1e300", "1000000000", "99999999999999999999", "1.7e308"}) {
    LoopbackServer server;
    Script script{{{429, value}}};
    script.install(server.server, "/extreme");
    server.start();
    HttpClient client(fast_backoff());
    const auto started = std::chrono::steady_clock::now();
    const Response response = client.perform(get(server.url("/extreme")));
    EXPECT_EQ(response.status, 429) << value;
    EXPECT_EQ(response.attempts, 1u) << value;
    ASSERT_TRUE(response.refused_retry_after.has_value()) << value;
    EXPECT_GT(*response.refused_retry_after, HttpClientOptions{}.max_retry_after) << value;
    EXPECT_GT(response.refused_retry_after->count(), 0) << value << ": no wrap to negative";
    EXPECT_LT(std::chrono::steady_clock::now() - started, 60s) << value << " was waited for";
  }
}

// One 429 event: another request's 429 paused the bucket at t0 ("Retry-After: 1"); this request,
// in flight then, hears the same 300 ms later only because its answer was slower. The vendor's
// word holds the key until t0 + 1 s (RateLimiter): the repeat goes then, first in line, and not
// 1 s after its own answer (t0 + 1.3 s), which would make the 429 cost more than the vendor said.
TEST(HttpClientTest, AStragglersRepeatGoesWhenItsBucketsPauseEndsNotItsOwnDelayLater) {
  FakeClock clock;
  RateLimiter limiter(clock);
  limiter.configure("vendor", BucketPolicy::token_bucket(100, 10));
  LoopbackServer server;
  std::atomic<int> hits{0};
  Clock::time_point event_start{};
  Clock::time_point repeat_arrived{};
  server.server.Get("/items", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content("{}", "application/json");
    if (hits++ > 0) {
      repeat_arrived = clock.now();
      return;
    }
    event_start = clock.now();
    limiter.observe("vendor", 429, Headers{{"Retry-After", "1"}});  // the other request's 429
    clock.advance(300ms);
    response.status = 429;
    response.set_header("Retry-After", "1");
  });
  server.start();
  HttpClientOptions options = fast_backoff(&limiter);
  options.clock = &clock;
  HttpClient client(options);
  Request request = get(server.url("/items"));
  request.rate_limit_bucket = "vendor";
  const Response response = client.perform(request);
  EXPECT_TRUE(response.ok()) << response.transport_error;
  EXPECT_EQ(response.attempts, 2u);
  EXPECT_EQ(repeat_arrived - event_start, Clock::duration(1s));
  const auto metrics = client.endpoint_metrics().at(EndpointKey{"GET", "127.0.0.1", "/items"});
  EXPECT_EQ(metrics.backing_off, 0ms) << "the repeat waited in its bucket, not in a sleep";
}

TEST(HttpClientTest, AHonouredRetryAfterIsAnnouncedBeforeTheWait) {
  LoopbackServer server;
  Script script{{{429, "1"}}};
  script.install(server.server, "/announced");
  server.start();
  HttpClientOptions options = fast_backoff();
  std::vector<WaitNotice> notices;
  options.on_wait = [&](const WaitNotice& notice) { notices.push_back(notice); };
  HttpClient client(options);
  const Response response = client.perform(get(server.url("/announced?page=2")));
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].status, 429);
  EXPECT_GE(notices[0].delay, 900ms);  // 1 s less the time since the header was read
  EXPECT_EQ(notices[0].endpoint, "GET " + server.url("/announced")) << "no query string";
}

// A 200 MB answer took 1.77 GB of memory: bodies kept in memory are capped, the transfer is cut
// at the cap and not repeated (the same request brings the same body).
TEST(HttpClientTest, ABodyOverTheCapIsCutAndNotRetried) {
  LoopbackServer server;
  std::atomic<int> hits{0};
  server.server.Get("/huge", [&](const httplib::Request&, httplib::Response& response) {
    ++hits;
    response.set_content(std::string(3u << 20, 'x'), "application/json");
  });
  server.server.Get("/small", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(512u << 10, 'y'), "application/json");
  });
  server.start();
  HttpClientOptions options = fast_backoff();
  options.max_body_bytes = 1u << 20;
  HttpClient client(options);
  const Response response = client.perform(get(server.url("/huge")));
  EXPECT_TRUE(response.body_too_large);
  EXPECT_FALSE(response.ok());
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(response.attempts, 1u);
  EXPECT_EQ(hits.load(), 1);
  EXPECT_NE(response.transport_error.find("larger than the 1 MiB cap"), std::string::npos)
      << response.transport_error;
  const Response small = client.perform(get(server.url("/small")));
  EXPECT_TRUE(small.ok());
  EXPECT_EQ(small.body.size(), 512u << 10);
  // A download streamed to a sink is not held in memory, so the cap does not apply to it.
  Request download = get(server.url("/huge"));
  std::uint64_t streamed = 0;
  download.download_sink = [&](std::string_view chunk) {
    streamed += chunk.size();
    return true;
  };
  EXPECT_TRUE(client.perform(download).ok());
  EXPECT_EQ(streamed, 3u << 20);
}

// A 200 whose body is an HTML page, random bytes or truncated JSON is transient: retried like a
// 5xx, and flagged when it never gets better; a write is ambiguous (it may have been applied).
TEST(HttpClientTest, A2xxBodyThatIsNotJsonIsRetriedThenFlagged) {
  LoopbackServer server;
  std::atomic<int> hits{0};
  const std::vector<std::string> bad = {"<html><body>Bad gateway</body></html>",
                                        random_bytes(300, 7), R"({"data":[{"id":"1"},{"id")"};
  server.server.Get("/once", [&](const httplib::Request&, httplib::Response& response) {
    const int hit = hits++;
    if (hit < 3)
      response.set_content(bad[static_cast<std::size_t>(hit)], "text/html");
    else
      response.set_content(R"({"data":[]})", "application/json");
  });
  server.server.Get("/always", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content("<html>maintenance</html>", "text/html");
  });
  server.server.Post("/always", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content("<html>maintenance</html>", "text/html");
  });
  server.start();
  HttpClient client(fast_backoff());
  Request once = get(server.url("/once"));
  once.expect_json = true;
  const Response recovered = client.perform(once);
  EXPECT_TRUE(recovered.ok());
  EXPECT_FALSE(recovered.malformed_body);
  EXPECT_EQ(recovered.attempts, 4u);
  EXPECT_EQ(recovered.body, R"({"data":[]})");

  Request always = get(server.url("/always"));
  always.expect_json = true;
  always.max_attempts = 3;
  const Response broken = client.perform(always);
  EXPECT_EQ(broken.status, 200);
  EXPECT_TRUE(broken.malformed_body);
  EXPECT_EQ(broken.attempts, 3u);

  Request write = post(server.url("/always"));
  write.expect_json = true;
  const Response ambiguous = client.perform(write);
  EXPECT_TRUE(ambiguous.malformed_body);
  EXPECT_TRUE(ambiguous.ambiguous);
  EXPECT_EQ(ambiguous.attempts, 1u);

  // Without expect_json the body is the caller's business.
  const Response unchecked = client.perform(get(server.url("/always")));
  EXPECT_TRUE(unchecked.ok());
  EXPECT_FALSE(unchecked.malformed_body);
}

TEST(HttpClientTest, PostWith500IsNotRetriedAndIsAmbiguous) {
  LoopbackServer server;
  Script script{{{500, ""}}};
  script.install(server.server, "/candidate.create");
  server.start();
  HttpClient client(fast_backoff());
  const Response response = client.perform(post(server.url("/candidate.create")));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.attempts, 1u);
  EXPECT_EQ(script.hits.load(), 1);
  EXPECT_TRUE(response.ambiguous);
}

TEST(HttpClientTest, PostWith503WithoutRetryAfterIsAmbiguous) {
  LoopbackServer server;
  Script script{{{503, ""}}};
  script.install(server.server, "/note.create");
  server.start();
  HttpClient client(fast_backoff());
  const Response response = client.perform(post(server.url("/note.create")));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.attempts, 1u);
  EXPECT_TRUE(response.ambiguous);
}

TEST(HttpClientTest, PostWith429OrWith503AndRetryAfterIsRetried) {
  LoopbackServer server;
  Script script{{{429, ""}, {503, "0"}}};
  script.install(server.server, "/candidate.create");
  server.start();
  HttpClient client(fast_backoff());
  const Response response = client.perform(post(server.url("/candidate.create")));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.attempts, 3u);
  EXPECT_EQ(script.hits.load(), 3);
  EXPECT_FALSE(response.ambiguous);
}

TEST(HttpClientTest, PostIsRetriedWhenTheConnectionIsRefused) {
  int closed_port = 0;
  {
    LoopbackServer server;
    server.start();
    closed_port = server.port();
  }
  HttpClient client(fast_backoff());
  Request request = post("http://127.0.0.1:" + std::to_string(closed_port) + "/x");
  request.max_attempts = 3;
  const Response response = client.perform(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.attempts, 3u);
  EXPECT_FALSE(response.transport_error.empty());
  EXPECT_FALSE(response.ambiguous) << "a refused connection provably did not process the POST";
}

// The header's contract: bounded exponential backoff with full jitter, i.e. before retry n the
// client waits a random time in [0, min(backoff_cap, backoff_base * 2^(n-1))]. On a FakeClock
// time moves only while the client backs off, so the gaps between a request's arrivals at the
// server are exactly its delays.
TEST(HttpClientTest, BackoffIsExponentialWithFullJitterWithinTheCap) {
  FakeClock clock;
  LoopbackServer server;
  std::mutex mutex;
  std::vector<Clock::time_point> arrivals;
  server.server.Get("/unavailable", [&](const httplib::Request&, httplib::Response& response) {
    {
      std::lock_guard lock(mutex);
      arrivals.push_back(clock.now());
    }
    response.status = 503;
  });
  server.start();
  HttpClientOptions options;
  options.backoff_base = 1000ms;
  options.backoff_cap = 3000ms;
  options.clock = &clock;
  HttpClient client(options);

  constexpr int kRequests = 40;
  constexpr std::uint32_t kAttempts = 4;
  const std::array<std::chrono::milliseconds, kAttempts - 1> ceilings = {1000ms, 2000ms, 3000ms};
  std::array<std::vector<std::chrono::milliseconds>, kAttempts - 1> delays;
  for (int i = 0; i < kRequests; ++i) {
    {
      std::lock_guard lock(mutex);
      arrivals.clear();
    }
    Request request = get(server.url("/unavailable"));
    request.max_attempts = kAttempts;
    const Response response = client.perform(request);
    ASSERT_EQ(response.status, 503);
    ASSERT_EQ(response.attempts, kAttempts);
    std::lock_guard lock(mutex);
    ASSERT_EQ(arrivals.size(), kAttempts);
    for (std::uint32_t retry = 0; retry + 1 < kAttempts; ++retry) {
      delays[retry].push_back(std::chrono::duration_cast<std::chrono::milliseconds>(
          arrivals[retry + 1] - arrivals[retry]));
    }
  }
  for (std::uint32_t retry = 0; retry + 1 < kAttempts; ++retry) {
    const auto& observed = delays[retry];
    for (const auto delay : observed) {
      EXPECT_GE(delay, 0ms);
      EXPECT_LE(delay, ceilings[retry]) << "delay before attempt " << retry + 2;
    }
    // Jittered: the same attempt number waits differently from one request to the next.
    const std::set<std::chrono::milliseconds> distinct(observed.begin(), observed.end());
    EXPECT_GE(distinct.size(), static_cast<std::size_t>(kRequests / 2))
        << "delays before attempt " << retry + 2 << " barely vary";
    // Exponential: later retries reach past the earlier ceilings (a miss has odds < 1e-7).
    if (retry > 0) {
      EXPECT_GT(*std::max_element(observed.begin(), observed.end()), ceilings[retry - 1])
          << "delays before attempt " << retry + 2 << " never exceed the previous ceiling";
    }
  }
}

}  // namespace
}  // namespace atsm::net
