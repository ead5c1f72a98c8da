// The HTTP client's time limits: total, connect and low-speed timeouts, and reads abandoned
// when they hang.
#include "services/net/http_client.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "http_client_support.hpp"

namespace atsm::net {
namespace {

using namespace std::chrono_literals;
using namespace testing;

TEST(HttpClientTest, TotalTimeoutEndsAStalledRequest) {
  LoopbackServer server;
  Stall stall;
  stall.install(server.server, "/stall");
  server.start();
  HttpClient client(fast_backoff());
  Request request = get(server.url("/stall"));
  request.timeouts.total = 300ms;
  request.max_attempts = 1;
  const Response response = client.perform(request);
  EXPECT_EQ(stall.finished.load(), 0) << "the client waited for the stalled handler";
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.transport_error.find("imed out"), std::string::npos)
      << response.transport_error;
  EXPECT_EQ(response.attempts, 1u);
  stall.release();
}

// Answers at once, except request number `stalled_request` (from 1), which hangs until
// released: a vendor's stall among normal answers.
struct OneStall {
  int stalled_request = 0;
  std::atomic<int> hits{0};
  Stall stall;

  void install(httplib::Server& server, const std::string& path) {
    const auto handler = [this](const httplib::Request&, httplib::Response& response) {
      if (++hits == stalled_request) {
        ++stall.entered;
        std::unique_lock lock(stall.mutex);
        stall.released_cv.wait_for(lock, 10s, [this] { return stall.released; });
        ++stall.finished;
      }
      response.set_content("{}", "application/json");
    };
    server.Get(path, handler);
    server.Post(path, handler);
  }
};

// A host that answered 60 GETs at once (so the client knows its p90), and whose next request
// (the 61st) hangs until released.
class HostWithOneHungAnswer : public ::testing::Test {
 protected:
  void SetUp() override {
    vendor.stalled_request = 61;
    vendor.install(server.server, "/items");
    server.start();
    for (int i = 0; i < 60; ++i)
      ASSERT_TRUE(client.perform(get(server.url("/items"))).ok());
  }

  // Releases the hung answer well past any cut a read would get (>= 100 ms).
  std::thread release_after_any_cut() {
    return std::thread([this] {
      while (vendor.stall.entered.load() == 0)
        std::this_thread::sleep_for(5ms);
      std::this_thread::sleep_for(600ms);
      vendor.stall.release();
    });
  }

  LoopbackServer server;
  OneStall vendor;
  HttpClient client{fast_backoff()};
};

TEST_F(HostWithOneHungAnswer, AHungReadIsAbandonedAtAMultipleOfTheHostsP90AndAskedAgain) {
  Request request = get(server.url("/items"));
  request.timeouts.total = 20s;  // the request's own limit, far beyond the host's p90
  const Response response = client.perform(request);
  EXPECT_TRUE(response.ok()) << response.transport_error;
  EXPECT_EQ(response.attempts, 2u);
  EXPECT_EQ(vendor.stall.finished.load(), 0) << "the client waited for the stalled answer";
  const auto all_metrics = client.endpoint_metrics();
  const auto& metrics = all_metrics.at(EndpointKey{"GET", "127.0.0.1", "/items"});
  EXPECT_EQ(metrics.attempt_outcomes.at("timed_out"), 1u);
  EXPECT_EQ(metrics.attempt_outcomes.at("ok"), 61u);
  vendor.stall.release();
}

TEST_F(HostWithOneHungAnswer, AHungWriteIsWaitedForNotCutShort) {
  // A write abandoned while the vendor works on it could be committed after the lookup meant to
  // find it: it keeps its own limit, however fast the host usually answers.
  std::thread releaser = release_after_any_cut();
  Request request = post(server.url("/items"));
  request.timeouts.total = 20s;
  const Response response = client.perform(request);
  releaser.join();
  EXPECT_TRUE(response.ok()) << response.transport_error;
  EXPECT_FALSE(response.ambiguous);
  EXPECT_EQ(response.attempts, 1u);
  EXPECT_EQ(vendor.stall.finished.load(), 1);
}

TEST_F(HostWithOneHungAnswer, AHungReadOnlyPostIsAbandonedAndAskedAgainLikeAGet) {
  // A POST that only reads (Ashby's *.list, *.info, *.search) changes nothing at the vendor.
  Request request = post(server.url("/items"));
  request.read_only = true;
  request.timeouts.total = 20s;
  const Response response = client.perform(request);
  EXPECT_TRUE(response.ok()) << response.transport_error;
  EXPECT_FALSE(response.ambiguous);
  EXPECT_EQ(response.attempts, 2u);
  EXPECT_EQ(vendor.stall.finished.load(), 0) << "the client waited for the stalled answer";
  const auto all_metrics = client.endpoint_metrics();
  const auto& metrics = all_metrics.at(EndpointKey{"POST", "127.0.0.1", "/items"});
  EXPECT_EQ(metrics.attempt_outcomes.at("timed_out"), 1u);
  EXPECT_EQ(metrics.attempt_outcomes.at("ok"), 1u);
  vendor.stall.release();
}

TEST_F(HostWithOneHungAnswer, AHungRepeatablePostThatIsNoReadIsWaitedFor) {
  // An update marked safe to repeat: a first copy landing late could overwrite a later change.
  std::thread releaser = release_after_any_cut();
  Request request = post(server.url("/items"));
  request.idempotent = true;
  request.timeouts.total = 20s;
  const Response response = client.perform(request);
  releaser.join();
  EXPECT_TRUE(response.ok()) << response.transport_error;
  EXPECT_EQ(response.attempts, 1u);
  EXPECT_EQ(vendor.stall.finished.load(), 1);
}

// Two vendors on one host (every emulated vendor listens on 127.0.0.1; a gateway can do the same in
// a deployment) are two servers: what the client learned of one's latencies must not cut the reads
// of the other. The second vendor is slow (its first answer takes 3 s), not hung: with nothing
// learned of it yet, its read keeps the request's own limit, however fast its neighbour answers.
TEST(HttpClientTest, EachPortOfAHostKeepsItsOwnLatenciesForTheHangTimeout) {
  LoopbackServer fast_vendor;
  fast_vendor.server.Get("/items", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("{}", "application/json");
  });
  LoopbackServer slow_vendor;
  Stall slow_answer;
  slow_answer.install(slow_vendor.server, "/items");
  fast_vendor.start();
  slow_vendor.start();
  HttpClient client(fast_backoff());
  for (int i = 0; i < 60; ++i)
    ASSERT_TRUE(client.perform(get(fast_vendor.url("/items"))).ok());

  // Answers once the read was asked again (a cut), or after 3 s.
  std::thread releaser([&] {
    for (int waited_ms = 0; waited_ms < 3000 && slow_answer.entered.load() < 2; waited_ms += 5)
      std::this_thread::sleep_for(5ms);
    slow_answer.release();
  });
  Request request = get(slow_vendor.url("/items"));
  request.timeouts.total = 20s;
  const Response response = client.perform(request);
  releaser.join();
  EXPECT_TRUE(response.ok()) << response.transport_error;
  EXPECT_EQ(response.attempts, 1u) << "the slow vendor's read was cut at its neighbour's p90";
  EXPECT_EQ(slow_answer.entered.load(), 1);
}

TEST(HttpClientTest, PostTimingOutAfterSendingIsAmbiguousAndNotRetried) {
  LoopbackServer server;
  Stall stall;
  stall.install(server.server, "/stall");
  server.start();
  HttpClient client(fast_backoff());
  Request request = post(server.url("/stall"));
  request.timeouts.total = 300ms;
  request.max_attempts = 3;
  const Response response = client.perform(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.attempts, 1u);
  EXPECT_TRUE(response.ambiguous);
  EXPECT_EQ(stall.entered.load(), 1);
  stall.release();
}

// A loopback listener whose accept queue is full and never drained: Linux drops the SYNs of
// further connections, so a connect to it hangs the way one to an unresponsive host does, without
// leaving the machine.
class FullBacklogListener {
 public:
  FullBacklogListener() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener_, 0) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    address_ = address;
    // Connect until one connection is left hanging: from then on the queue is full.
    for (int i = 0; i < 16 && !full_; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      fillers_.push_back(fd);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&address_), sizeof address_) == 0)
        continue;
      pollfd wait{fd, POLLOUT, 0};
      full_ = errno == EINPROGRESS && ::poll(&wait, 1, 300) == 0;
    }
  }
  ~FullBacklogListener() {
    for (int fd : fillers_)
      ::close(fd);
    ::close(listener_);
  }
  FullBacklogListener(const FullBacklogListener&) = delete;
  FullBacklogListener& operator=(const FullBacklogListener&) = delete;

  bool full() const { return full_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(ntohs(address_.sin_port)) + path;
  }

 private:
  int listener_ = -1;
  sockaddr_in address_{};
  std::vector<int> fillers_;
  bool full_ = false;
};

TEST(HttpClientTest, ConnectTimeoutEndsAConnectionThatNeverCompletes) {
  FullBacklogListener listener;
  ASSERT_TRUE(listener.full()) << "could not fill the listener's accept queue";
  HttpClient client(fast_backoff());
  Request request = get(listener.url("/x"));
  request.timeouts.connect = 300ms;
  request.timeouts.total = 20s;
  request.max_attempts = 1;
  const auto started = std::chrono::steady_clock::now();
  const Response response = client.perform(request);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.attempts, 1u);
  EXPECT_FALSE(response.transport_error.empty());
  EXPECT_GE(waited, 250ms) << "gave up before the connect timeout";
  EXPECT_LT(waited, 5s) << "the connect timeout, not the total one, ended the attempt";
}

TEST(HttpClientTest, PostWhoseConnectTimedOutIsRetriedAndNotAmbiguous) {
  FullBacklogListener listener;
  ASSERT_TRUE(listener.full()) << "could not fill the listener's accept queue";
  HttpClient client(fast_backoff());
  Request request = post(listener.url("/x"));
  request.timeouts.connect = 200ms;
  request.timeouts.total = 20s;
  request.max_attempts = 2;
  const auto started = std::chrono::steady_clock::now();
  const Response response = client.perform(request);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.attempts, 2u) << "a connection never made cannot have carried the POST";
  EXPECT_FALSE(response.ambiguous);
  EXPECT_GE(waited, 2 * 200ms - 50ms);
  EXPECT_LT(waited, 5s);
}

// Sends the headers and a first piece of the body, then nothing until released. Bodies here are
// application/octet-stream: httplib would gzip a text body and hold back the pieces.
struct Trickle {
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;

  void install(httplib::Server& server, const std::string& path, std::string first_piece) {
    server.Get(path, [this, first_piece](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider(
          "application/octet-stream",
          [this, first_piece, sent = false](size_t, httplib::DataSink& sink) mutable {
            if (!sent) {
              sent = true;
              return sink.write(first_piece.data(), first_piece.size());
            }
            std::unique_lock lock(mutex);
            if (released_cv.wait_for(lock, 50ms, [this] { return released; }))
              sink.done();
            return true;
          });
    });
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      released = true;
    }
    released_cv.notify_all();
  }
};

TEST(HttpClientTest, LowSpeedTimeoutEndsABodyThatStalls) {
  LoopbackServer server;
  Trickle trickle;
  trickle.install(server.server, "/stalls", "first bytes");
  server.start();
  HttpClient client(fast_backoff());
  Request request = get(server.url("/stalls"));
  request.timeouts.total = 30s;
  request.timeouts.low_speed_bytes_per_second = 100;
  request.timeouts.low_speed_window = 1s;
  request.max_attempts = 1;
  const auto started = std::chrono::steady_clock::now();
  const Response response = client.perform(request);
  const auto waited = std::chrono::steady_clock::now() - started;
  trickle.release();
  EXPECT_EQ(response.status, 0) << "a stalled body is a transport failure, not a response";
  EXPECT_EQ(response.bytes_received, std::string("first bytes").size())
      << "the headers and the first bytes arrived before the stall";
  EXPECT_NE(response.transport_error.find("too slow"), std::string::npos)
      << response.transport_error;
  EXPECT_GE(waited, 900ms) << "abandoned before the low-speed window passed";
  EXPECT_LT(waited, 10s) << "the low-speed timeout, not the total one, ended the attempt";
}

TEST(HttpClientTest, LowSpeedTimeoutSparesASlowButSteadyBody) {
  LoopbackServer server;
  constexpr int kPieces = 15;
  server.server.Get("/steady", [](const httplib::Request&, httplib::Response& response) {
    response.set_chunked_content_provider(
        "application/octet-stream", [piece = 0](size_t, httplib::DataSink& sink) mutable {
          if (piece++ == kPieces) {
            sink.done();
            return true;
          }
          std::this_thread::sleep_for(100ms);
          const std::string bytes(200, 'x');  // 2000 bytes/s, above the limit below
          return sink.write(bytes.data(), bytes.size());
        });
  });
  server.start();
  HttpClient client(fast_backoff());
  Request request = get(server.url("/steady"));
  request.timeouts.low_speed_bytes_per_second = 100;
  request.timeouts.low_speed_window = 1s;
  request.max_attempts = 1;
  const Response response = client.perform(request);
  EXPECT_TRUE(response.ok()) << response.transport_error;
  EXPECT_EQ(response.body, std::string(kPieces * 200, 'x'));
  EXPECT_GE(response.elapsed, 1s) << "the transfer outlasted the low-speed window";
}

}  // namespace
}  // namespace atsm::net
