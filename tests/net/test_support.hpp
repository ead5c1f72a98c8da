#pragma once
// Shared by the net tests and others: a private temp directory and an in-process loopback HTTP
// server.

#include <httplib.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "../support/temp_dir.hpp"

namespace atsm::net::testing {

// The shared one (tests/support/temp_dir.hpp), under the name the suites know.
using TempDir = atsm::testing::TempDir;

// httplib server on 127.0.0.1 with an OS-chosen port, served from a background thread.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::size_t worker_threads = 32)
      : LoopbackServer(std::make_unique<httplib::Server>(), worker_threads) {}
  // For an httplib::SSLServer.
  LoopbackServer(std::unique_ptr<httplib::Server> owned, std::size_t worker_threads = 32)
      : owned_(std::move(owned)), server(*owned_) {
    server.new_task_queue = [worker_threads] { return new httplib::ThreadPool(worker_threads); };
  }
  ~LoopbackServer() { stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Register handlers on `server` first, then start.
  void start() {
    port_ = server.bind_to_any_port("127.0.0.1");
    if (port_ <= 0)
      throw std::runtime_error("cannot bind a loopback port");
    thread_ = std::thread([this] { server.listen_after_bind(); });
    // httplib's stop() is a no-op until the accept loop runs: wait for it, or stop could hang.
    while (!server.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    server.stop();
    if (thread_.joinable())
      thread_.join();
  }
  int port() const { return port_; }
  std::string url(const std::string& path, const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::unique_ptr<httplib::Server> owned_;

 public:
  httplib::Server& server;

 private:
  int port_ = 0;
  std::thread thread_;
};

// Base64 (RFC 4648: standard or URL-safe alphabet, padded), written here rather than taken from
// the code under test, for the forms in which a vendor may quote a secret back.
inline std::string base64_reference(const std::string& bytes, bool url_safe = false) {
  const std::string alphabet =
      std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") +
      (url_safe ? "-_" : "+/");
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (const unsigned char c : bytes) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(alphabet[(bits >> count) & 63]);
    }
  }
  if (count > 0)
    out.push_back(alphabet[(bits << (6 - count)) & 63]);
  while (out.size() % 4 != 0)
    out.push_back('=');
  return out;
}

}  // namespace atsm::net::testing
