// Host services held in memory: what the ABI plumbing needs, no network or disk. Shared by the
// ABI tests (abi_test.cpp, frozen/frozen_abi_test.cpp).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "host/host_services.hpp"

namespace atsm::abi_testing {

class MemoryServices : public atsm::host::HostServices {
 public:
  void log(atsm_log_level, std::string_view message) override {
    std::lock_guard lock(mutex_);
    lines.emplace_back(message);
  }
  std::optional<std::string> secret(const std::string& name) override {
    auto found = secrets.find(name);
    return found == secrets.end() ? std::nullopt : std::optional(found->second);
  }
  void register_secret(const std::string&) override {}
  void declare_bucket(const atsm_rate_policy&) override {}
  void http(const atsm_http_request&, atsm_http_response_fn, void*) override {
    throw atsm::host::Error(ATSM_INVALID, "no network in this test");
  }
  std::string blob_put(std::string_view bytes) override {
    blobs["b" + std::to_string(blobs.size())] = std::string(bytes);
    return "b" + std::to_string(blobs.size() - 1);
  }
  std::optional<std::string> blob_get(const std::string& hex) override {
    auto found = blobs.find(hex);
    return found == blobs.end() ? std::nullopt : std::optional(found->second);
  }
  std::optional<std::string> ledger_target(const std::string&, const std::string&) override {
    return std::nullopt;
  }
  void progress(const std::string&, uint64_t, uint64_t) override {}
  bool cancelled() override { return false; }

  std::vector<std::string> lines;
  std::map<std::string, std::string> secrets;
  std::map<std::string, std::string> blobs;

 private:
  std::mutex mutex_;
};

}  // namespace atsm::abi_testing
