#include "server_common.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "util.hpp"

namespace atsm::sandbox {

const char* fault_name(Fault fault) {
  switch (fault) {
    case Fault::rate_limit:
      return "rate_limit";
    case Fault::server_error:
      return "server_error";
    case Fault::reset:
      return "reset";
    case Fault::stall:
      return "stall";
    case Fault::truncate:
      return "truncate";
    case Fault::ashby_transient:
      return "ashby_transient";
    case Fault::lost_response:
      return "lost_response";
    case Fault::none:
      break;
  }
  return "none";
}

void set_fault_rate(FaultRates& rates, const std::string& name, double rate) {
  if (!(rate >= 0.0 && rate <= 1.0))
    throw std::invalid_argument("fault rate for '" + name + "' must be within 0..1");
  if (name == "rate_limit")
    rates.rate_limit = rate;
  else if (name == "server_error")
    rates.server_error = rate;
  else if (name == "reset")
    rates.reset = rate;
  else if (name == "stall")
    rates.stall = rate;
  else if (name == "truncate")
    rates.truncate = rate;
  else if (name == "ashby_transient")
    rates.ashby_transient = rate;
  else if (name == "lost_response")
    rates.lost_response = rate;
  else
    throw std::invalid_argument("unknown fault '" + name + "'");
}

FaultRates fault_profile(const std::string& name) {
  FaultRates rates;
  if (name == "none")
    return rates;
  if (name == "chaos") {
    for (const char* fault : kFaultNames)
      set_fault_rate(rates, fault, 0.05);
    return rates;
  }
  throw std::invalid_argument("unknown fault profile '" + name + "' (known: none, chaos)");
}

bool Sleeper::sleep_for_ms(std::int64_t ms) {
  std::unique_lock lock(mutex_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

void Sleeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void Stats::count_request(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  ++requests_[endpoint];
  ++total_;
}

Stats::InFlight::InFlight(Stats& stats) : stats_(stats) {
  std::lock_guard lock(stats_.mutex_);
  stats_.peak_in_flight_ = std::max(stats_.peak_in_flight_, ++stats_.in_flight_);
}

Stats::InFlight::~InFlight() {
  std::lock_guard lock(stats_.mutex_);
  --stats_.in_flight_;
}

void Stats::count_429() {
  std::lock_guard lock(mutex_);
  ++served_429_;
}

void Stats::count_fault(Fault fault) {
  std::lock_guard lock(mutex_);
  ++faults_[fault_name(fault)];
}

json::object Stats::to_json() const {
  std::lock_guard lock(mutex_);
  json::object requests, faults;
  for (const auto& [key, count] : requests_)
    requests[key] = count;
  for (const char* name : kFaultNames) {
    auto it = faults_.find(name);
    faults[name] = it == faults_.end() ? 0 : it->second;
  }
  return json::object{{"requests_total", total_},
                      {"requests", std::move(requests)},
                      {"served_429", served_429_},
                      {"peak_in_flight", peak_in_flight_},
                      {"faults", std::move(faults)}};
}

bool FaultInjector::in_storm(std::uint64_t n) const {
  double rate = rates_.rate_limit;
  if (rate <= 0.0)
    return false;
  if (rate >= 1.0)
    return true;
  // One storm per block; its expected length is rate x block, so the overall rate is `rate`.
  auto block = static_cast<std::uint64_t>(std::max<long long>(1, std::llround(kMeanStorm / rate)));
  double mean = rate * static_cast<double>(block);
  auto base = static_cast<std::int64_t>(std::floor(mean));
  auto size = static_cast<std::int64_t>(block);
  // The spread around the mean never needs clipping, so the expectation stays exact.
  std::int64_t spread =
      std::max<std::int64_t>(0, std::min({kStormSpread, base - 1, size - base - 1}));
  Rng rng(mix_seed(seed_ ^ 0x5702, n / block));
  std::int64_t length =
      base + (rng.chance(mean - static_cast<double>(base)) ? 1 : 0) + rng.range(-spread, spread);
  length = std::clamp<std::int64_t>(length, 0, size);
  std::int64_t start = rng.range(0, size - length);
  auto offset = static_cast<std::int64_t>(n % block);
  return offset >= start && offset < start + length;
}

Fault FaultInjector::draw(bool is_write, bool is_ashby, std::uint64_t& sequence) {
  std::uint64_t n = counter_.fetch_add(1);
  sequence = n;
  if (in_storm(n))
    return Fault::rate_limit;
  Rng rng(mix_seed(seed_, n));
  // Outside storms, each fault is drawn at rate / (1 - storm rate): its overall rate is `rate`.
  double outside = 1.0 - std::min(rates_.rate_limit, 1.0);
  double u = rng.uniform() * outside;
  const std::pair<Fault, double> order[] = {
      {Fault::server_error, rates_.server_error},
      {Fault::reset, rates_.reset},
      {Fault::stall, rates_.stall},
      {Fault::truncate, rates_.truncate},
      {Fault::ashby_transient, is_ashby ? rates_.ashby_transient : 0.0},
      {Fault::lost_response, is_write ? rates_.lost_response : 0.0}};
  double cumulative = 0;
  for (const auto& [fault, rate] : order) {
    cumulative += rate;
    if (u < cumulative)
      return fault;
  }
  return Fault::none;
}

bool TokenBucket::take(const std::string& key, double& retry_after_s) {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  auto [it, inserted] = buckets_.try_emplace(key, State{capacity_, now});
  State& state = it->second;
  double elapsed = std::chrono::duration<double>(now - state.last).count();
  state.tokens = std::min(capacity_, state.tokens + elapsed * refill_);
  state.last = now;
  if (state.tokens >= 1.0) {
    state.tokens -= 1.0;
    return true;
  }
  retry_after_s = (1.0 - state.tokens) / refill_;
  return false;
}

std::pair<std::int64_t, int>& FixedWindow::current_locked(const std::string& key,
                                                          std::int64_t now) {
  auto& window = windows_[key];
  auto& [start, used] = window;
  if (start == 0 || now >= start + static_cast<std::int64_t>(window_ms_)) {
    start = now;  // windows run from the key's first request, so a test never straddles one
    used = 0;
  }
  return window;
}

FixedWindow::Result FixedWindow::result_locked(std::int64_t start, int used,
                                               std::int64_t now) const {
  std::int64_t reset_ms = start + static_cast<std::int64_t>(window_ms_);
  Result result{};
  result.limit = limit_;
  result.reset_epoch_s = (reset_ms + 999) / 1000;
  result.retry_after_s = static_cast<int>(std::max<std::int64_t>(1, (reset_ms - now + 999) / 1000));
  result.reset_in_s = static_cast<double>(reset_ms - now) / 1000.0;
  result.allowed = used < limit_;
  result.remaining = std::max(0, limit_ - used);
  return result;
}

FixedWindow::Result FixedWindow::take(const std::string& key) {
  std::lock_guard lock(mutex_);
  std::int64_t now = now_ms();
  auto& [start, used] = current_locked(key, now);
  if (used >= limit_)
    return result_locked(start, used, now);
  ++used;
  Result result = result_locked(start, used, now);
  result.allowed = true;  // this request took the last of the window, if it was the last
  return result;
}

FixedWindow::Result FixedWindow::peek(const std::string& key) {
  std::lock_guard lock(mutex_);
  std::int64_t now = now_ms();
  auto& [start, used] = current_locked(key, now);
  return result_locked(start, used, now);
}

namespace {

int port_of(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  if (address.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  return -1;
}

// Calls `act(fd)` for each connected socket of this process with these local and peer ports:
// httplib does not expose a request's socket to its handler.
template <typename Act>
void for_each_connection(int local_port, int peer_port, Act&& act) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr)
    return;
  while (dirent* entry = readdir(dir)) {
    int fd = std::atoi(entry->d_name);
    if (fd <= 2)
      continue;
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof local, peer_len = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0)
      continue;
    if (port_of(local) == local_port && port_of(peer) == peer_port)
      act(fd);
  }
  closedir(dir);
}

}  // namespace

void drop_connection(const httplib::Request& request) {
  for_each_connection(request.local_port, request.remote_port, [](int fd) {
    linger abort_on_close{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    shutdown(fd, SHUT_RDWR);
  });
}

void truncate_response(httplib::Response& response) {
  auto body = std::make_shared<std::string>(std::move(response.body));
  response.body.clear();
  std::string content_type = response.get_header_value("Content-Type");
  if (content_type.empty())
    content_type = "application/json";
  response.headers.erase("Content-Type");
  std::size_t full = std::max<std::size_t>(body->size(), 2);
  response.set_content_provider(full, content_type,
                                [body](std::size_t, std::size_t, httplib::DataSink& sink) {
                                  sink.write(body->data(), body->size() / 2);
                                  return false;  // httplib then closes the connection mid-body
                                });
}

void set_json(httplib::Response& response, int status, const json::value& body) {
  response.status = status;
  response.set_content(json::serialize(body), "application/json");
}

std::string endpoint_key(const std::string& method, const std::string& path) {
  std::string out = method + " ";
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t next = path.find('/', i + 1);
    std::string segment = path.substr(i, next == std::string::npos ? std::string::npos : next - i);
    std::string bare = segment.size() > 1 ? segment.substr(1) : "";
    bool digits = !bare.empty() && bare.find_first_not_of("0123456789") == std::string::npos;
    bool uuid_like = bare.size() >= 16 && bare.find('-') != std::string::npos;
    bool file_handle = bare.rfind("fh_", 0) == 0;
    out += (digits || uuid_like || file_handle) ? "/:id" : segment;
    if (next == std::string::npos)
      break;
    i = next;
  }
  return out;
}

std::string bearer_or_basic_key(const httplib::Request& request, bool& is_basic) {
  std::string header = request.get_header_value("Authorization");
  is_basic = false;
  if (header.rfind("Bearer ", 0) == 0)
    return header.substr(7);
  if (header.rfind("Basic ", 0) == 0) {
    is_basic = true;
    return base64_decode_std(trim(header.substr(6)));
  }
  return {};
}

VendorServer::VendorServer(Vendor vendor, const Options& options, Sleeper& sleeper)
    : vendor_(vendor),
      options_(options),
      sleeper_(sleeper),
      faults_(mix_seed(options.seed, 0xFA17 + static_cast<std::uint64_t>(vendor)),
              options.faults[static_cast<std::size_t>(vendor)]) {
  int workers = std::max(options.worker_threads, 4);
  server_.new_task_queue = [workers] {
    return new httplib::ThreadPool(static_cast<std::size_t>(workers));
  };
  // httplib's default adds SO_REUSEPORT, which would let two sandboxes share a port silently.
  server_.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_.set_tcp_nodelay(true);  // headers and body go out as separate writes: no Nagle stall
  server_.set_keep_alive_max_count(1000);
  // Idle connections give their thread back soon (a client that shrank its pool leaves some).
  server_.set_keep_alive_timeout(5);
  server_.set_payload_max_length(64ULL * 1024 * 1024);
  auto handler = [this](const httplib::Request& request, httplib::Response& response) {
    dispatch(request, response);
  };
  server_.Get(".*", handler);
  server_.Post(".*", handler);
  server_.Put(".*", handler);
  server_.Delete(".*", handler);
  server_.Patch(".*", handler);
}

VendorServer::~VendorServer() {
  stop();
}

void VendorServer::start(const std::string& host, int port) {
  if (port == 0) {
    port_ = server_.bind_to_any_port(host);
    if (port_ <= 0)
      throw std::runtime_error(std::string("cannot bind ") +
                               kVendorNames[static_cast<int>(vendor_)] + " server on " + host);
  } else {
    if (!server_.bind_to_port(host, port))
      throw std::runtime_error(std::string("cannot bind ") +
                               kVendorNames[static_cast<int>(vendor_)] + " server to " + host +
                               ":" + std::to_string(port));
    port_ = port;
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void VendorServer::stop() {
  if (thread_.joinable()) {
    server_.stop();
    thread_.join();
  }
}

bool VendorServer::handle_inspection(const httplib::Request& request, httplib::Response& response) {
  if (request.method == "GET" && request.path == "/_sandbox/stats") {
    set_json(response, 200, stats_.to_json());
    return true;
  }
  return false;
}

std::int64_t VendorServer::draw_latency_ms() {
  if (options_.latency_ms <= 0)
    return 0;
  Rng rng(mix_seed(options_.seed ^ 0x1A7E, latency_counter_.fetch_add(1)));
  // Log-normal around the median (sigma 0.35), and 2 % of requests in a 4-8x slow tail.
  double u1 = std::max(rng.uniform(), 1e-12), u2 = rng.uniform();
  double normal = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.141592653589793 * u2);
  double ms = options_.latency_ms * std::exp(0.35 * normal);
  if (rng.chance(0.02))
    ms *= 4.0 + 4.0 * rng.uniform();
  return static_cast<std::int64_t>(scaled_ms(ms));
}

namespace {

// Debian's cpp-httplib answers `Accept-Encoding: br` with Brotli at quality 11: about 230 ms of
// CPU for a 166 KB page of opportunities, which no vendor spends per response and which would
// make the emulator, not the vendor's latency, the bottleneck. The sandbox serves gzip, as the
// vendors' servers do. httplib passes the request as const but owns it as a mutable object.
void drop_brotli(const httplib::Request& request) {
  auto found = request.headers.find("Accept-Encoding");
  if (found == request.headers.end() || found->second.find("br") == std::string::npos)
    return;
  std::string kept;
  std::string_view offered = found->second;
  while (!offered.empty()) {
    std::size_t comma = offered.find(',');
    std::string_view token = offered.substr(0, comma);
    offered = comma == std::string_view::npos ? std::string_view() : offered.substr(comma + 1);
    std::size_t first = token.find_first_not_of(' ');
    token = first == std::string_view::npos ? std::string_view() : token.substr(first);
    if (token.empty() || token.substr(0, 2) == "br")
      continue;
    kept += (kept.empty() ? "" : ", ") + std::string(token);
  }
  const_cast<std::string&>(found->second) = kept;
}

}  // namespace

std::string VendorServer::retry_after_text(double seconds) const {
  if (options_.rate_scale == 1.0)
    return std::to_string(static_cast<long long>(std::ceil(std::max(seconds, 0.0))));
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", std::max(seconds, 0.001));
  return text;
}

void VendorServer::dispatch(const httplib::Request& request, httplib::Response& response) {
  drop_brotli(request);
  if (request.path.rfind("/_sandbox/", 0) == 0) {
    if (!handle_inspection(request, response)) {
      set_json(response, 404, json::object{{"message", "unknown inspection path " + request.path}});
    }
    return;
  }
  stats_.count_request(endpoint_key(request.method, request.path));
  Stats::InFlight in_flight(stats_);
  if (std::int64_t latency = draw_latency_ms(); latency > 0) {
    if (!sleeper_.sleep_for_ms(latency))
      return;
  }
  std::uint64_t sequence = 0;
  // Ashby's presigned targets are storage (S3), not the API. The download behind file.info gets
  // no fault at all (a truncated body there would read as other bytes); the upload target gets
  // the transport's faults (resets, stalls, 5xx, lost answers) but never the API's own 429s or
  // HTTP-200 error envelopes, which storage does not send. Greenhouse's attachment URLs stay in
  // the whole profile: surviving their faults is the source connector's job.
  const bool ashby = vendor_ == Vendor::ashby;
  bool storage_download =
      ashby && request.method == "GET" && request.path.rfind("/_files/", 0) == 0;
  bool storage_upload =
      ashby && request.method == "POST" && request.path.rfind("/_upload/", 0) == 0;
  Fault fault = storage_download
                    ? Fault::none
                    : faults_.draw(is_write(request), ashby && !storage_upload, sequence);
  if (storage_upload && fault == Fault::rate_limit)
    fault = Fault::none;
  if (fault != Fault::none)
    stats_.count_fault(fault);
  switch (fault) {
    case Fault::rate_limit:
      stats_.count_429();
      write_fault_429(response);
      return;
    case Fault::server_error: {
      static const int kStatuses[] = {500, 502, 503};
      write_server_error(response,
                         kStatuses[Rng(mix_seed(options_.seed ^ 0x5E4, sequence)).range(0, 2)]);
      return;
    }
    case Fault::reset:
      drop_connection(request);
      response.status = 500;
      return;
    case Fault::stall:
      if (!sleeper_.sleep_for_ms(static_cast<std::int64_t>(scaled_ms(options_.stall_ms))))
        return;
      break;
    case Fault::ashby_transient:
      write_transient(response);
      return;
    default:
      break;
  }
  handle(request, response);
  if (response.status == 429)
    stats_.count_429();
  if (fault == Fault::truncate)
    truncate_response(response);
  if (fault == Fault::lost_response)
    drop_connection(request);
}

}  // namespace atsm::sandbox
