// What the three emulated vendors share: request stats, seeded faults, latency, rate limiters and
// the catch-all dispatch that applies them in the same order for every vendor.
#pragma once

#include <httplib.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "sandbox/sandbox.hpp"

namespace atsm::sandbox {

namespace json = boost::json;

enum class Fault {
  none,
  rate_limit,
  server_error,
  reset,
  stall,
  truncate,
  ashby_transient,
  lost_response
};
const char* fault_name(Fault fault);

// Interruptible sleeps so stop() never waits for a stall or a slow-tail latency.
class Sleeper {
 public:
  // False when interrupted by stop.
  bool sleep_for_ms(std::int64_t ms);
  void stop();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

class Stats {
 public:
  void count_request(const std::string& endpoint);
  void count_429();
  void count_fault(Fault fault);
  json::object to_json() const;

  // A request being served, from its count to its answer: the peak says how many a client
  // kept in flight at once.
  class InFlight {
   public:
    explicit InFlight(Stats& stats);
    ~InFlight();
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    Stats& stats_;
  };

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> requests_;
  std::map<std::string, std::uint64_t> faults_;
  std::uint64_t total_ = 0;
  std::uint64_t served_429_ = 0;
  std::uint64_t in_flight_ = 0;
  std::uint64_t peak_in_flight_ = 0;
};

// One decision per request from (seed, request number): the same seed gives the same sequence.
// `rate_limit` comes in storms: the request numbers are cut into blocks of about
// kMeanStorm / rate requests, and each block holds one storm, a run of consecutive 429s of
// kMeanStorm +- kStormSpread requests at a random place, so the overall rate stays the configured
// one. The other faults are drawn per request among the requests outside a storm, each scaled so
// that its overall rate stays its configured one.
class FaultInjector {
 public:
  static constexpr double kMeanStorm = 3.0;
  static constexpr std::int64_t kStormSpread = 1;  // storms of 2 to 4 requests
  FaultInjector(std::uint64_t seed, FaultRates rates) : seed_(seed), rates_(rates) {}
  // `sequence` receives the request's number, which seeds any choice within the fault.
  Fault draw(bool is_write, bool is_ashby, std::uint64_t& sequence);
  // Whether request number n falls in a 429 storm (a pure function of seed and n).
  bool in_storm(std::uint64_t n) const;

 private:
  std::uint64_t seed_;
  FaultRates rates_;
  std::atomic<std::uint64_t> counter_{0};
};

// Lever: per-key token bucket (docs/vendors/lever.md §3).
class TokenBucket {
 public:
  TokenBucket(double capacity, double refill_per_s) : capacity_(capacity), refill_(refill_per_s) {}
  // True when a token was taken; else retry_after_s says when one will be there.
  bool take(const std::string& key, double& retry_after_s);

 private:
  struct State {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  std::mutex mutex_;
  std::map<std::string, State> buckets_;
  double capacity_, refill_;
};

// Greenhouse (30 s) and Ashby (60 s): fixed windows per key.
class FixedWindow {
 public:
  FixedWindow(int limit, double window_s) : limit_(limit), window_ms_(window_s * 1000.0) {}
  struct Result {
    bool allowed;
    int limit;
    int remaining;
    std::int64_t reset_epoch_s;
    int retry_after_s;
    double reset_in_s;  // exact, for a scaled run's fractional Retry-After
  };
  Result take(const std::string& key);
  // The key's current window (one starting now if none runs), without taking from it: the
  // reset a refusal names.
  Result peek(const std::string& key);

 private:
  // The key's window as of `now`, a new one once the last has ended (mutex_ held).
  std::pair<std::int64_t, int>& current_locked(const std::string& key, std::int64_t now);
  Result result_locked(std::int64_t start, int used, std::int64_t now) const;

  std::mutex mutex_;
  std::map<std::string, std::pair<std::int64_t, int>> windows_;  // key -> (window start ms, used)
  int limit_;
  double window_ms_;
};

// Closes the client's TCP connection at once (no response bytes): reset and lost_response.
void drop_connection(const httplib::Request& request);
// Sends the headers and half the body, then closes: a truncated response.
void truncate_response(httplib::Response& response);

void set_json(httplib::Response& response, int status, const json::value& body);
std::string endpoint_key(const std::string& method, const std::string& path);
std::string bearer_or_basic_key(const httplib::Request& request, bool& is_basic);

// Base of the three vendor servers: owns the httplib::Server and applies stats, latency and
// faults before the vendor's own handler.
class VendorServer {
 public:
  VendorServer(Vendor vendor, const Options& options, Sleeper& sleeper);
  virtual ~VendorServer();
  void start(const std::string& host, int port);
  void stop();
  int port() const { return port_; }
  Stats& stats() { return stats_; }

 protected:
  virtual void handle(const httplib::Request& request, httplib::Response& response) = 0;
  virtual bool handle_inspection(const httplib::Request& request, httplib::Response& response);
  virtual bool is_write(const httplib::Request& request) const = 0;
  virtual void write_fault_429(httplib::Response& response) = 0;
  virtual void write_server_error(httplib::Response& response, int status) = 0;
  virtual void write_transient(httplib::Response&) {}
  double scaled_ms(double ms) const { return ms / options_.rate_scale; }
  // A Retry-After of `seconds` (already scaled): whole seconds rounded up, as vendors send them,
  // at the real scale; under --rate-scale the exact fraction (at least 1 ms), so a scaled run
  // waits what the real one would, divided like every other delay.
  std::string retry_after_text(double seconds) const;

  Vendor vendor_;
  const Options& options_;
  Sleeper& sleeper_;
  Stats stats_;

 private:
  void dispatch(const httplib::Request& request, httplib::Response& response);
  std::int64_t draw_latency_ms();

  FaultInjector faults_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<std::uint64_t> latency_counter_{0};
};

}  // namespace atsm::sandbox
