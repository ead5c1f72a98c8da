#pragma once
// A misbehaving vendor for tests: a loopback HTTP proxy in front of a real server (the sandbox's
// Lever, Greenhouse or Ashby) that forwards every request and, where a scripted rule matches,
// rewrites the answer: a status, extra headers (Retry-After: 1000000000), a body of HTML or
// random bytes, a truncated body, a body far too large (streamed, never held), an error that
// quotes the request's Authorization header back, or any rewrite of the upstream JSON.
//
//   atsm::testing::VendorProxy lever(sandbox.endpoints().lever_url);
//   lever.add_rule({.method = "GET", .path_prefix = "/v1/opportunities", .times = 1,
//                   .action = {.status = 429, .headers = {{"Retry-After", "2"}}}});
//   lever.start();   // then point the connector's base_url at lever.url("/v1")
//
// Rules are tried in the order added; the first that matches (and has turns left) acts.

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace atsm::testing {

// What a rule does to one answer. Unset members leave the upstream answer as it is.
struct Misbehaviour {
  // Answer without asking upstream (the request never reaches the real server).
  bool skip_upstream = false;
  int status = 0;  // 0: the upstream status (200 when skip_upstream)
  // Added to the answer, replacing an upstream header of the same name.
  std::vector<std::pair<std::string, std::string>> headers;
  // Replaces the body; content_type goes with it ("application/json" when empty).
  std::optional<std::string> body;
  std::string content_type;
  // Rewrites the upstream (or replaced) body, e.g. to add a huge field to one record.
  std::function<std::string(const std::string& body)> rewrite_body;
  // Cuts the body to this many bytes (truncated JSON), after the steps above.
  std::optional<std::size_t> truncate_to;
  // Serves this many bytes instead of the body: a JSON string of filler, streamed in chunks.
  std::optional<std::uint64_t> huge_body_bytes;
  // Answers a vendor-style JSON error that quotes the request's Authorization header and the key
  // inside it (decoded from Basic, or the Bearer token), as some vendors do.
  bool quote_authorization = false;
};

struct ProxyRule {
  std::string method;       // "" matches every method
  std::string path_prefix;  // "" matches every path (the query is not part of it)
  std::size_t skip = 0;     // let this many matching requests through untouched first
  std::size_t times = std::numeric_limits<std::size_t>::max();  // then act this many times
  Misbehaviour action;
};

class VendorProxy {
 public:
  // `upstream_url`: "http://127.0.0.1:PORT" (a path after it is ignored).
  explicit VendorProxy(const std::string& upstream_url);
  ~VendorProxy();
  VendorProxy(const VendorProxy&) = delete;
  VendorProxy& operator=(const VendorProxy&) = delete;

  // Thread-safe; returns the rule's index for hits().
  std::size_t add_rule(ProxyRule rule);
  void start();
  void stop();  // idempotent; also done by the destructor

  int port() const { return port_; }
  std::string url(const std::string& path = "") const;
  // The rule acts no more (the vendor is well again for what it matched).
  void disable(std::size_t rule);
  // How many answers the rule rewrote so far.
  std::size_t hits(std::size_t rule) const;
  std::size_t requests() const { return requests_.load(); }

 private:
  struct RuleState {
    ProxyRule rule;
    std::size_t matched = 0;
    std::size_t acted = 0;
  };
  void handle(const httplib::Request& request, httplib::Response& response);
  std::optional<Misbehaviour> take_action(const httplib::Request& request);

  std::string upstream_host_;
  int upstream_port_ = 0;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<RuleState> rules_;
  std::atomic<std::size_t> requests_{0};
};

// base64 (standard alphabet, padded), for tests that look for a key's encodings.
std::string base64_encode(const std::string& bytes);

}  // namespace atsm::testing
