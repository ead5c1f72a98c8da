// The host's side of atsm_host_services: a run implements these virtual functions and lends the
// generated C table to every connector instance it opens. The trampolines catch every exception,
// so nothing thrown here ever unwinds into plugin code.
#pragma once

#include <atsmigrate/connector.h>

#include <atsmigrate/connector.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atsm::host {

// Failures are thrown as atsm::sdk::Error (a status + message), on the host side as in plugins.
using sdk::Error;

class HostServices {
 public:
  HostServices();
  virtual ~HostServices() = default;
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  // The C table to hand to `open`; valid as long as this object.
  const atsm_host_services* table() const { return &table_; }

  virtual void log(atsm_log_level level, std::string_view message) = 0;
  virtual std::optional<std::string> secret(const std::string& name) = 0;
  virtual void register_secret(const std::string& value) = 0;
  virtual void declare_bucket(const atsm_rate_policy& policy) = 0;
  // Calls `on_response` once with the final response; throws Error when none arrived.
  virtual void http(const atsm_http_request& request, atsm_http_response_fn on_response,
                    void* context) = 0;
  virtual std::string blob_put(std::string_view bytes) = 0;
  virtual std::optional<std::string> blob_get(const std::string& sha256_hex) = 0;
  virtual std::optional<std::string> ledger_target(const std::string& kind,
                                                   const std::string& source_key) = 0;
  virtual void progress(const std::string& kind, uint64_t done, uint64_t total) = 0;
  virtual bool cancelled() = 0;
  // Requests the connector should keep in flight (extension atsm.host.in_flight/1); 0 = no
  // advice yet.
  virtual std::uint32_t suggested_in_flight() { return 0; }
  // Durable intents (extension atsm.host.intents/1), offered when keeps_intents() is true.
  virtual bool keeps_intents() { return false; }
  virtual void begin_intent(const std::string& topic, const std::string& key,
                            const std::string& value) {
    (void)topic, (void)key, (void)value;
    throw Error(ATSM_NOT_FOUND, "this host keeps no durable intents");
  }
  virtual void end_intent(const std::string& topic, const std::string& key) {
    (void)topic, (void)key;
  }
  // The topic's unfinished intents, key -> value.
  virtual std::vector<std::pair<std::string, std::string>> open_intents(const std::string& topic) {
    (void)topic;
    return {};
  }
  virtual const void* extension(const std::string& id) {
    (void)id;
    return nullptr;
  }

 private:
  atsm_host_services table_;
};

}  // namespace atsm::host
