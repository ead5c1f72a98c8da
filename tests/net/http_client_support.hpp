// Shared by the HTTP client's tests (http_client_*test.cpp): requests, fast client options and a
// scripted loopback endpoint.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "default_logger.hpp"
#include "services/net/http_client.hpp"
#include "test_support.hpp"

namespace atsm::net::testing {

using namespace std::chrono_literals;

inline HttpClientOptions fast_backoff(RateLimiter* limiter = nullptr) {
  HttpClientOptions options;
  options.backoff_base = 5ms;
  options.backoff_cap = 50ms;
  options.rate_limiter = limiter;
  return options;
}

inline Request get(std::string url) {
  Request request;
  request.url = std::move(url);
  return request;
}

inline Request post(std::string url, std::string body = "{}") {
  Request request;
  request.method = "POST";
  request.url = std::move(url);
  request.body = std::move(body);
  request.headers.add("Content-Type", "application/json");
  return request;
}

inline std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (auto& byte : bytes)
    byte = static_cast<char>(random() & 0xff);
  return bytes;
}

// Serves a scripted sequence of statuses, then 200 "ok"; counts hits.
struct Script {
  std::vector<std::pair<int, std::string>> statuses_and_retry_after;
  std::atomic<int> hits{0};

  void install(httplib::Server& server, const std::string& path) {
    const auto handler = [this](const httplib::Request&, httplib::Response& response) {
      const int hit = hits++;
      if (hit < static_cast<int>(statuses_and_retry_after.size())) {
        const auto& [status, retry_after] = statuses_and_retry_after[hit];
        response.status = status;
        if (!retry_after.empty())
          response.set_header("Retry-After", retry_after);
        response.set_content("{\"error\":\"scripted\"}", "application/json");
        return;
      }
      response.status = 200;
      response.set_content("ok", "text/plain");
    };
    server.Get(path, handler);
    server.Post(path, handler);
  }
};

// A handler that stalls until released (or 10 s pass), recording whether it ever finished.
struct Stall {
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  std::atomic<int> entered{0};
  std::atomic<int> finished{0};

  void install(httplib::Server& server, const std::string& path) {
    const auto handler = [this](const httplib::Request&, httplib::Response& response) {
      ++entered;
      std::unique_lock lock(mutex);
      released_cv.wait_for(lock, 10s, [this] { return released; });
      response.set_content("late", "text/plain");
      ++finished;
    };
    server.Get(path, handler);
    server.Post(path, handler);
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      released = true;
    }
    released_cv.notify_all();
  }
};

}  // namespace atsm::net::testing
