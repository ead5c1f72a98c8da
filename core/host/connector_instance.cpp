#include "host/connector_instance.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <exception>

#include "host/plugin_calls.hpp"

namespace atsm::host {
namespace {

struct ReadContext {
  const ConnectorInstance* instance;
  const std::string* kind;
  const ConnectorInstance::BatchHandler* handler;
  std::exception_ptr failure;  // host-side only: rethrown after the plugin has returned
};

boost::json::value parse_plugin_json(const std::string& text, const std::string& what) {
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(text, error);
  if (error)
    throw Error(ATSM_INVALID, fmt::format("{} is not valid JSON: {}", what, error.message()));
  return value;
}

}  // namespace

ConnectorInstance::ConnectorInstance(const LoadedPlugin& plugin, HostServices& services,
                                     const std::string& config_json)
    : plugin_(plugin) {
  atsm_error error;
  atsm_error_init(&error);
  atsm_status status;
  {
    PluginCallScope in_flight(plugin_.name(), "open");
    status = plugin_.descriptor().open(services.table(), config_json.c_str(), &instance_, &error);
  }
  if (status != ATSM_OK)
    fail("open", status, error);
  if (instance_ == nullptr) {
    throw Error(ATSM_INTERNAL,
                fmt::format("{}: open succeeded but returned no instance", describe()));
  }
}

ConnectorInstance::~ConnectorInstance() {
  if (instance_ != nullptr) {
    PluginCallScope in_flight(plugin_.name(), "close");
    plugin_.descriptor().close(instance_);
  }
}

std::string ConnectorInstance::describe() const {
  return fmt::format("plugin {} ({})", plugin_.name(), plugin_.path().string());
}

void ConnectorInstance::fail(const char* call, atsm_status status, const atsm_error& error) const {
  // The plugin's buffers are fixed-size but may lack a terminator if it misbehaved.
  atsm_error safe = error;
  safe.message[sizeof safe.message - 1] = '\0';
  safe.vendor_code[sizeof safe.vendor_code - 1] = '\0';
  safe.vendor_request_id[sizeof safe.vendor_request_id - 1] = '\0';
  std::string message =
      fmt::format("{}: {} failed ({}): {}", describe(), call, atsm_status_name(status),
                  safe.message[0] ? safe.message : "no message");
  throw Error(status, message, safe.vendor_code, safe.vendor_request_id, safe.http_status,
              safe.retry_after_ms);
}

void ConnectorInstance::read(const std::string& kind, const std::string& checkpoint,
                             const BatchHandler& handler) {
  if (!plugin_.is_source())
    throw Error(ATSM_INVALID, fmt::format("{} is not a source", describe()));
  ReadContext context{this, &kind, &handler, nullptr};
  atsm_emitter emitter{
      &context, [](void* raw, const atsm_batch* batch) -> atsm_status {
        auto& ctx = *static_cast<ReadContext*>(raw);
        try {
          if (batch == nullptr || batch->records_json == nullptr) {
            throw Error(ATSM_INVALID, "emitted a batch without records");
          }
          std::string batch_kind = batch->kind ? batch->kind : *ctx.kind;
          if (batch_kind != *ctx.kind) {
            throw Error(ATSM_INVALID, fmt::format("emitted a batch of '{}' while reading '{}'",
                                                  batch_kind, *ctx.kind));
          }
          boost::system::error_code error;
          boost::json::value value =
              boost::json::parse(std::string_view(batch->records_json, batch->records_size), error);
          if (error || !value.is_array()) {
            throw Error(ATSM_INVALID,
                        fmt::format("emitted a batch of {} that is not a JSON array{}{}", *ctx.kind,
                                    error ? ": " : "", error ? error.message() : ""));
          }
          (*ctx.handler)(*ctx.kind, value.as_array(), batch->checkpoint ? batch->checkpoint : "");
          return ATSM_OK;
        } catch (...) {
          ctx.failure = std::current_exception();
          return ATSM_CANCELLED;
        }
      }};
  atsm_error error;
  atsm_error_init(&error);
  atsm_status status;
  {
    PluginCallScope in_flight(plugin_.name(), "read", &kind);
    status =
        plugin_.descriptor().read(instance_, kind.c_str(), checkpoint.c_str(), &emitter, &error);
  }
  if (context.failure) {
    try {
      std::rethrow_exception(context.failure);
    } catch (const Error& failure) {
      throw Error(failure.status(),
                  fmt::format("{}: read of {}: {}", describe(), kind, failure.what()));
    }
  }
  if (status != ATSM_OK)
    fail(("read of " + kind).c_str(), status, error);
}

std::optional<boost::json::value> ConnectorInstance::call_with_output(
    const std::string& what,
    const std::function<atsm_status(const atsm_output*, atsm_error*)>& call) {
  std::string text;
  atsm_output out = sdk::detail::string_output(text);
  atsm_error error;
  atsm_error_init(&error);
  atsm_status status = call(&out, &error);
  if (status == ATSM_NOT_FOUND)
    return std::nullopt;
  if (status != ATSM_OK)
    fail(what.c_str(), status, error);
  return parse_plugin_json(text, describe() + ": the answer to " + what);
}

boost::json::object ConnectorInstance::prepare(const std::string& plan_json) {
  if (!plugin_.is_sink())
    throw Error(ATSM_INVALID, fmt::format("{} is not a sink", describe()));
  std::optional<boost::json::value> value =
      call_with_output("prepare", [&](const atsm_output* out, atsm_error* error) {
        PluginCallScope in_flight(plugin_.name(), "prepare");
        return plugin_.descriptor().prepare(instance_, plan_json.c_str(), out, error);
      });
  if (!value || !value->is_object())
    throw Error(ATSM_INVALID, describe() + ": prepare's report is not a JSON object");
  return std::move(value->as_object());
}

boost::json::array ConnectorInstance::write(const std::string& kind,
                                            const std::string& items_json) {
  if (!plugin_.is_sink())
    throw Error(ATSM_INVALID, fmt::format("{} is not a sink", describe()));
  std::optional<boost::json::value> value =
      call_with_output("write of " + kind, [&](const atsm_output* out, atsm_error* error) {
        PluginCallScope in_flight(plugin_.name(), "write", &kind);
        return plugin_.descriptor().write(instance_, kind.c_str(), items_json.c_str(), out, error);
      });
  if (!value || !value->is_array())
    throw Error(ATSM_INVALID, describe() + ": write's results are not a JSON array");
  return std::move(value->as_array());
}

std::optional<std::string> ConnectorInstance::find(const std::string& kind,
                                                   const std::string& item_json) {
  if (plugin_.descriptor().find == nullptr) {
    throw Error(ATSM_INVALID,
                fmt::format("{} cannot look up earlier writes (no find)", describe()));
  }
  std::optional<boost::json::value> value =
      call_with_output("find of " + kind, [&](const atsm_output* out, atsm_error* error) {
        PluginCallScope in_flight(plugin_.name(), "find", &kind);
        return plugin_.descriptor().find(instance_, kind.c_str(), item_json.c_str(), out, error);
      });
  if (!value)
    return std::nullopt;
  const boost::json::value* target =
      value->is_object() ? value->as_object().if_contains("target_id") : nullptr;
  if (target == nullptr || !target->is_string()) {
    throw Error(ATSM_INVALID, describe() + ": find's answer lacks a string target_id");
  }
  return std::string(target->as_string());
}

std::optional<boost::json::object> ConnectorInstance::read_back(const std::string& kind,
                                                                const std::string& target_id) {
  if (plugin_.descriptor().read_back == nullptr) {
    throw Error(ATSM_INVALID,
                fmt::format("{} cannot read records back (no read_back)", describe()));
  }
  std::optional<boost::json::value> value =
      call_with_output("read_back of " + kind, [&](const atsm_output* out, atsm_error* error) {
        PluginCallScope in_flight(plugin_.name(), "read_back", &kind);
        return plugin_.descriptor().read_back(instance_, kind.c_str(), target_id.c_str(), out,
                                              error);
      });
  if (!value)
    return std::nullopt;
  if (!value->is_object())
    throw Error(ATSM_INVALID, describe() + ": read_back's record is not a JSON object");
  return std::move(value->as_object());
}

bool ConnectorInstance::finish(const std::string& summary_json) {
  const atsm_connector& descriptor = plugin_.descriptor();
  if (!plugin_.is_sink() || descriptor.get_extension == nullptr)
    return false;
  const auto* extension =
      static_cast<const atsm_sink_finish_v1*>(descriptor.get_extension(ATSM_EXT_SINK_FINISH));
  if (extension == nullptr || extension->finish == nullptr)
    return false;
  call_with_output("finish", [&](const atsm_output* out, atsm_error* error) {
    PluginCallScope in_flight(plugin_.name(), "finish");
    return extension->finish(instance_, summary_json.c_str(), out, error);
  });
  return true;
}

std::optional<boost::json::array> ConnectorInstance::census(const std::string& kind) {
  const atsm_connector& descriptor = plugin_.descriptor();
  if (!plugin_.is_sink() || descriptor.get_extension == nullptr)
    return std::nullopt;
  const auto* extension =
      static_cast<const atsm_sink_census_v1*>(descriptor.get_extension(ATSM_EXT_SINK_CENSUS));
  if (extension == nullptr || extension->struct_size < sizeof(atsm_sink_census_v1) ||
      extension->census == nullptr)
    return std::nullopt;
  std::optional<boost::json::value> value =
      call_with_output("census of " + kind, [&](const atsm_output* out, atsm_error* error) {
        return extension->census(instance_, kind.c_str(), out, error);
      });
  if (!value)
    return std::nullopt;
  if (!value->is_array())
    throw Error(ATSM_INVALID, describe() + ": the census of " + kind + " is not a JSON array");
  return std::move(value->as_array());
}

}  // namespace atsm::host
