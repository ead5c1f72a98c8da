// A C++ facade over one opened connector instance: C statuses become atsm::sdk::Error
// exceptions whose messages name the plugin, and what a plugin hands back is validated before
// the rest of the host sees it.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "host/host_services.hpp"
#include "host/plugin_registry.hpp"

namespace atsm::host {

// Largest record a source may emit (its JSON text), by default; a larger one is not parsed but
// handed on as a stub {"source_key", kRefusedRecordField: reason}, which extraction lists as
// rejected.
inline constexpr std::size_t kDefaultMaxRecordBytes = 16u << 20;
inline constexpr const char* kRefusedRecordField = "atsm_refused";

class ConnectorInstance {
 public:
  // Receives each batch a source emits, already parsed. Throwing stops the read; the exception
  // reaches the caller of read().
  using BatchHandler = std::function<void(const std::string& kind, boost::json::array& records,
                                          const std::string& checkpoint)>;

  // Opens an instance with `config_json` (a JSON object). Throws Error naming the plugin.
  ConnectorInstance(const LoadedPlugin& plugin, HostServices& services,
                    const std::string& config_json);
  ~ConnectorInstance();
  ConnectorInstance(const ConnectorInstance&) = delete;
  ConnectorInstance& operator=(const ConnectorInstance&) = delete;

  const LoadedPlugin& plugin() const { return plugin_; }
  void set_max_record_bytes(std::size_t bytes) { max_record_bytes_ = bytes; }

  // Source: streams `kind` from `checkpoint` ("" = start) into `handler`.
  void read(const std::string& kind, const std::string& checkpoint, const BatchHandler& handler);

  // Sink calls; results are returned as the JSON text the plugin wrote, validated as JSON.
  boost::json::object prepare(const std::string& plan_json);
  boost::json::array write(const std::string& kind, const std::string& items_json);
  std::optional<std::string> find(const std::string& kind, const std::string& item_json);
  std::optional<boost::json::object> read_back(const std::string& kind,
                                               const std::string& target_id);
  // Tells a sink that offers ATSM_EXT_SINK_FINISH that the load handed it everything; false when
  // the sink does not offer it.
  bool finish(const std::string& summary_json);
  // Every object of `kind` the target holds with the source keys it carries (extension
  // ATSM_EXT_SINK_CENSUS); nullopt when the sink does not offer it or cannot list `kind`.
  std::optional<boost::json::array> census(const std::string& kind);

 private:
  // Runs a call that answers through an output; nullopt for ATSM_NOT_FOUND, the parsed JSON
  // otherwise; any other failure throws Error naming the plugin.
  std::optional<boost::json::value> call_with_output(
      const std::string& what,
      const std::function<atsm_status(const atsm_output*, atsm_error*)>& call);
  [[noreturn]] void fail(const char* call, atsm_status status, const atsm_error& error) const;
  std::string describe() const;

  const LoadedPlugin& plugin_;
  void* instance_ = nullptr;
  std::size_t max_record_bytes_ = kDefaultMaxRecordBytes;
};

}  // namespace atsm::host
