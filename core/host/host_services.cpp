#include "host/host_services.hpp"

#include <boost/json.hpp>
#include <cstring>

namespace atsm::host {
namespace {

HostServices& self(void* host) {
  return *static_cast<HostServices*>(host);
}

// Runs `body` and turns any exception into a status for the plugin.
template <class Body>
atsm_status guarded(atsm_error* error, Body&& body) noexcept {
  return sdk::detail::guarded(error, std::forward<Body>(body));
}

void write_output(const atsm_output* out, const std::string& text) {
  sdk::detail::write_all(out, text);
}

const atsm_host_in_flight_v1 kInFlight{sizeof(atsm_host_in_flight_v1), ATSM_ABI_VERSION,
                                       [](void* host) -> uint32_t {
                                         try {
                                           return self(host).suggested_in_flight();
                                         } catch (...) {
                                           return 0;  // no advice: the connector keeps its default
                                         }
                                       }};

std::string required_text(const char* text, const char* what) {
  if (text == nullptr || *text == '\0')
    throw Error(ATSM_INVALID, std::string("durable intent without a ") + what);
  return text;
}

const atsm_host_intents_v1 kIntents{
    sizeof(atsm_host_intents_v1), ATSM_ABI_VERSION,
    [](void* host, const char* topic, const char* key, const char* value, atsm_error* error) {
      return guarded(error, [&] {
        self(host).begin_intent(required_text(topic, "topic"), required_text(key, "key"),
                                value ? value : "");
      });
    },
    [](void* host, const char* topic, const char* key, atsm_error* error) {
      return guarded(error, [&] {
        self(host).end_intent(required_text(topic, "topic"), required_text(key, "key"));
      });
    },
    [](void* host, const char* topic, const atsm_output* out, atsm_error* error) {
      return guarded(error, [&] {
        boost::json::array open;
        for (const auto& [key, value] : self(host).open_intents(required_text(topic, "topic")))
          open.push_back(boost::json::object{{"key", key}, {"value", value}});
        write_output(out, boost::json::serialize(open));
      });
    }};

}  // namespace

HostServices::HostServices() {
  std::memset(&table_, 0, sizeof table_);
  table_.struct_size = sizeof table_;
  table_.abi_version = ATSM_ABI_VERSION;
  table_.host = this;
  table_.log = [](void* host, atsm_log_level level, const char* message) {
    try {
      self(host).log(level, message ? message : "");
    } catch (...) {
      // Logging must never fail a plugin's call.
    }
  };
  table_.get_secret = [](void* host, const char* name, const atsm_output* out, atsm_error* error) {
    atsm_status status = ATSM_OK;
    atsm_status guard = guarded(error, [&] {
      std::optional<std::string> value = self(host).secret(name ? name : "");
      if (!value) {
        std::string message = std::string("secret ") + (name ? name : "") +
                              " is not set: put NAME=value in the file given with --credentials "
                              "(mode 0600) or set it in the environment";
        status = atsm_fail(error, ATSM_NOT_FOUND, message.c_str());
        return;
      }
      write_output(out, *value);
    });
    return guard != ATSM_OK ? guard : status;
  };
  table_.register_secret = [](void* host, const char* value) {
    try {
      if (value != nullptr)
        self(host).register_secret(value);
    } catch (...) {
      // Registration failing (out of memory) leaves nothing better to do than to go on.
    }
  };
  table_.declare_bucket = [](void* host, const atsm_rate_policy* policy, atsm_error* error) {
    return guarded(error, [&] {
      if (policy == nullptr || policy->bucket == nullptr)
        throw Error(ATSM_INVALID, "rate policy without a bucket name");
      atsm_rate_policy copy{};
      std::memcpy(&copy, policy, std::min<size_t>(policy->struct_size, sizeof copy));
      self(host).declare_bucket(copy);
    });
  };
  table_.http = [](void* host, const atsm_http_request* request, atsm_http_response_fn on_response,
                   void* context, atsm_error* error) {
    return guarded(error, [&] {
      if (request == nullptr || request->method == nullptr || request->url == nullptr ||
          on_response == nullptr) {
        throw Error(ATSM_INVALID, "HTTP request without method, URL or response callback");
      }
      atsm_http_request copy{};
      std::memcpy(&copy, request, std::min<size_t>(request->struct_size, sizeof copy));
      self(host).http(copy, on_response, context);
    });
  };
  table_.blob_put = [](void* host, const void* data, size_t size, char sha256_hex[65],
                       atsm_error* error) {
    return guarded(error, [&] {
      std::string hex = self(host).blob_put(std::string_view(static_cast<const char*>(data), size));
      atsm_copy_text(sha256_hex, 65, hex.c_str());
    });
  };
  table_.blob_get = [](void* host, const char* sha256_hex, const atsm_output* out,
                       atsm_error* error) {
    atsm_status status = ATSM_OK;
    atsm_status guard = guarded(error, [&] {
      std::optional<std::string> bytes = self(host).blob_get(sha256_hex ? sha256_hex : "");
      if (!bytes) {
        status = atsm_fail(error, ATSM_NOT_FOUND, "no such blob");
        return;
      }
      write_output(out, *bytes);
    });
    return guard != ATSM_OK ? guard : status;
  };
  table_.ledger_target = [](void* host, const char* kind, const char* source_key,
                            const atsm_output* out, atsm_error* error) {
    atsm_status status = ATSM_OK;
    atsm_status guard = guarded(error, [&] {
      std::optional<std::string> target =
          self(host).ledger_target(kind ? kind : "", source_key ? source_key : "");
      if (!target) {
        status = atsm_fail(error, ATSM_NOT_FOUND, "no target written for this record yet");
        return;
      }
      write_output(out, *target);
    });
    return guard != ATSM_OK ? guard : status;
  };
  table_.progress = [](void* host, const char* kind, uint64_t done, uint64_t total) {
    try {
      self(host).progress(kind ? kind : "", done, total);
    } catch (...) {
      // Progress display is best effort.
    }
  };
  table_.is_cancelled = [](void* host) -> int32_t {
    try {
      return self(host).cancelled() ? 1 : 0;
    } catch (...) {
      return 1;
    }
  };
  table_.get_extension = [](void* host, const char* id) -> const void* {
    try {
      if (id != nullptr && std::strcmp(id, ATSM_EXT_HOST_IN_FLIGHT) == 0)
        return &kInFlight;
      if (id != nullptr && std::strcmp(id, ATSM_EXT_HOST_INTENTS) == 0)
        return self(host).keeps_intents() ? &kIntents : nullptr;
      return id ? self(host).extension(id) : nullptr;
    } catch (...) {
      return nullptr;
    }
  };
}

}  // namespace atsm::host
