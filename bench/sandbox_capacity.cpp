// How much the sandbox serves: start time and memory for a dataset, the ground truth's cost, and
// requests per second on three endpoints with N keep-alive clients (sandbox/README.md,
// "Capacity"). The sandbox runs in this process (the library the tests use); the clients are
// libcurl easy handles, one per thread, reused so the connection stays open, with TCP_NODELAY.
//
//   sandbox_capacity [--persons N] [--clients C] [--seconds S] [--rate-scale F]
//
// F lifts the emulated vendor rate limits (Lever 10/s x F, Ashby 1,000/min x F) so that they never
// answer 429 and the figures measure the server itself.
#include <curl/curl.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/sandbox.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point begin) {
  return std::chrono::duration<double>(Clock::now() - begin).count();
}

// Resident set size of this process in MB (VmRSS in /proc/self/status).
double rss_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  return 0.0;
}

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// One client: a libcurl handle kept across requests (keep-alive), Basic auth with `user`.
class Client {
 public:
  explicit Client(const std::string& userpwd) : curl_(curl_easy_init()) {
    if (curl_ == nullptr)
      throw std::runtime_error("curl_easy_init failed");
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body_);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(curl_, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl_, CURLOPT_USERPWD, userpwd.c_str());
    json_ = curl_slist_append(nullptr, "Content-Type: application/json");
  }
  ~Client() {
    curl_slist_free_all(json_);
    curl_easy_cleanup(curl_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // GET (post empty) or POST a JSON body; true on HTTP 200. The body is left in body().
  bool request(const std::string& url, const std::string& post = {}) {
    body_.clear();
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    if (post.empty()) {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
    } else {
      curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, json_);
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, post.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(post.size()));
    }
    long status = 0;
    if (curl_easy_perform(curl_) != CURLE_OK)
      return false;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    return status == 200;
  }
  const std::string& body() const { return body_; }

 private:
  CURL* curl_;
  curl_slist* json_;
  std::string body_;
};

struct Throughput {
  double per_second = 0;
  std::uint64_t errors = 0;
};

// Runs `clients` threads, each calling step(client, thread index, iteration) in a loop, for a
// warm-up second and then `seconds`; counts the successful steps of the measured part.
Throughput measure(int clients, double seconds, const std::string& userpwd,
                   const std::function<bool(Client&, int, std::uint64_t)>& step) {
  std::atomic<bool> measuring{false}, done{false};
  std::atomic<std::uint64_t> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      Client client(userpwd);
      for (std::uint64_t i = 0; !done.load(std::memory_order_relaxed); ++i) {
        bool success = step(client, c, i);
        if (measuring.load(std::memory_order_relaxed))
          (success ? ok : failed).fetch_add(1, std::memory_order_relaxed);
      }
    });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  measuring = true;
  auto begin = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  measuring = false;
  double elapsed = seconds_since(begin);
  done = true;
  for (auto& thread : threads)
    thread.join();
  return {static_cast<double>(ok.load()) / elapsed, failed.load()};
}

// The `next` token of a Lever list page, or "" on the last page (found without parsing the page).
std::string next_token(const std::string& body) {
  static const std::string kKey = "\"next\":\"";
  auto at = body.rfind(kKey);
  if (at == std::string::npos)
    return {};
  auto begin = at + kKey.size();
  return body.substr(begin, body.find('"', begin) - begin);
}

int int_arg(int argc, char** argv, const std::string& name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name)
      return std::atoi(argv[i + 1]);
  return fallback;
}

double double_arg(int argc, char** argv, const std::string& name, double fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name)
      return std::strtod(argv[i + 1], nullptr);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int persons = int_arg(argc, argv, "--persons", 10000);
  const int clients = int_arg(argc, argv, "--clients", 16);
  const double seconds = double_arg(argc, argv, "--seconds", 5.0);
  const double rate_scale = double_arg(argc, argv, "--rate-scale", 1e6);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  atsm::sandbox::Options options;
  options.persons = persons;
  options.rate_scale = rate_scale;
  auto begin = Clock::now();
  atsm::sandbox::Sandbox sandbox(options);
  sandbox.start();
  double ready_s = seconds_since(begin);
  double rss = rss_mb();
  const auto& endpoints = sandbox.endpoints();
  const std::string lever_key = sandbox.credentials().lever_api_key + ":";
  const std::string ashby_key = sandbox.credentials().ashby_api_key + ":";

  double truth_s = 0;
  {
    Client client(ashby_key);
    auto truth_begin = Clock::now();
    if (!client.request(endpoints.ashby_url + "/_sandbox/truth?source=both"))
      throw std::runtime_error("GET /_sandbox/truth?source=both failed");
    truth_s = seconds_since(truth_begin);
  }

  Throughput stages = measure(clients, seconds, lever_key, [&](Client& client, int, std::uint64_t) {
    return client.request(endpoints.lever_url + "/v1/stages");
  });

  // Each client walks the opportunities list page by page, and starts again after the last one.
  std::vector<std::string> next(static_cast<std::size_t>(clients));
  const std::string pages_url = endpoints.lever_url + "/v1/opportunities?limit=100&expand=contact";
  Throughput pages =
      measure(clients, seconds, lever_key, [&](Client& client, int c, std::uint64_t) {
        std::string& token = next[static_cast<std::size_t>(c)];
        bool ok = client.request(token.empty() ? pages_url : pages_url + "&offset=" + token);
        token = ok ? next_token(client.body()) : std::string();
        return ok;
      });

  Throughput creates =
      measure(clients, seconds, ashby_key, [&](Client& client, int c, std::uint64_t i) {
        std::string id = std::to_string(c) + "-" + std::to_string(i);
        boost::json::object body{{"name", "Bench " + id},
                                 {"email", "bench-" + id + "@example.com"}};
        return client.request(endpoints.ashby_url + "/candidate.create",
                              boost::json::serialize(body)) &&
               client.body().find("\"success\":true") != std::string::npos;
      });
  sandbox.stop();
  curl_global_cleanup();

  std::printf(
      "sandbox capacity: --persons %d, %d keep-alive clients, %.0f s per figure, "
      "--rate-scale %g, %u hardware threads\n",
      persons, clients, seconds, rate_scale, std::thread::hardware_concurrency());
  std::printf("  ready (dataset generated, three ports bound)   %8.2f s   RSS %.0f MB\n", ready_s,
              rss);
  std::printf("  GET /_sandbox/truth?source=both (first call)   %8.2f s\n", truth_s);
  std::printf("  Lever GET /v1/stages                           %8.0f req/s  (%llu errors)\n",
              stages.per_second, static_cast<unsigned long long>(stages.errors));
  std::printf(
      "  Lever GET /v1/opportunities?limit=100&expand=contact %6.0f pages/s (~%.0f records/s, "
      "%llu errors)\n",
      pages.per_second, pages.per_second * 100, static_cast<unsigned long long>(pages.errors));
  std::printf("  Ashby POST /candidate.create                   %8.0f req/s  (%llu errors)\n",
              creates.per_second, static_cast<unsigned long long>(creates.errors));
  return stages.errors + pages.errors + creates.errors == 0 ? 0 : 1;
}
