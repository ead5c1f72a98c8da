#include "host/connector_instance.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <exception>
#include <string_view>
#include <vector>

#include "services/net/log.hpp"

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

// Members that carry a message (a vendor's error text, which may quote a key): fully redacted.
// Everything else is data (a read-back note may say "Basic knowledge"): only secrets go.
bool is_message_member(std::string_view key) {
  return key == "error" || key == "message" || key == "vendor_code" || key == "request_id" ||
         key == "warning" || key == "detail" || key == "reason";
}

// Every string a plugin hands back passes the redactor before the host stores or shows it.
void redact_strings(boost::json::value& value, bool message) {
  if (boost::json::string* text = value.if_string()) {
    std::string clean = message ? net::redact(*text) : net::redact_secrets(*text);
    if (clean != *text)
      *text = clean;
  } else if (boost::json::array* array = value.if_array()) {
    for (boost::json::value& item : *array)
      redact_strings(item, message);
  } else if (boost::json::object* object = value.if_object()) {
    for (auto& [key, member] : *object)
      redact_strings(member, message || is_message_member(key));
  }
}

// The top-level elements of a JSON array's text, as spans, found without parsing them (a record
// over the cap must not be parsed: a 300 MiB record took 3.6 GB as a document). nullopt when the
// text is not shaped like an array.
std::optional<std::vector<std::string_view>> array_elements(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::size_t i = 0;
  while (i < text.size() && is_space(text[i]))
    ++i;
  if (i == text.size() || text[i] != '[')
    return std::nullopt;
  ++i;
  std::vector<std::string_view> elements;
  std::size_t depth = 0;
  bool in_string = false;
  std::size_t start = std::string_view::npos;
  auto close_element = [&](std::size_t end) {
    if (start == std::string_view::npos)
      return;
    while (end > start && is_space(text[end - 1]))
      --end;
    elements.push_back(text.substr(start, end - start));
    start = std::string_view::npos;
  };
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (start == std::string_view::npos && !is_space(c) && c != ',' && !(depth == 0 && c == ']'))
      start = i;
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == '}' || (c == ']' && depth > 0)) {
      --depth;
    } else if (depth == 0 && c == ',') {
      close_element(i);
    } else if (depth == 0 && c == ']') {
      close_element(i);
      return elements;
    }
  }
  return std::nullopt;
}

// The element's "source_key" string, looked up without parsing (first occurrence), "" if none.
std::string source_key_of(std::string_view element) {
  constexpr std::string_view kKey = "\"source_key\"";
  const std::size_t at = element.find(kKey);
  if (at == std::string_view::npos)
    return {};
  std::size_t i = element.find_first_not_of(" \t\r\n", at + kKey.size());
  if (i == std::string_view::npos || element[i] != ':')
    return {};
  i = element.find_first_not_of(" \t\r\n", i + 1);
  if (i == std::string_view::npos || element[i] != '"')
    return {};
  std::string key;
  for (++i; i < element.size() && element[i] != '"' && key.size() < 256; ++i) {
    if (element[i] == '\\')
      ++i;
    if (i < element.size())
      key.push_back(element[i]);
  }
  return key;
}

// The batch's text with every record over `max_bytes` replaced by a stub that names it and says
// why; the text unchanged when none is.
std::string without_oversized_records(std::string_view batch, std::size_t max_bytes,
                                      const std::string& kind) {
  std::optional<std::vector<std::string_view>> elements = array_elements(batch);
  if (!elements)
    return std::string(batch);
  std::string out = "[";
  for (std::string_view element : *elements) {
    if (out.size() > 1)
      out.push_back(',');
    if (element.size() <= max_bytes) {
      out.append(element);
      continue;
    }
    boost::json::object stub{
        {"source_key", source_key_of(element)},
        {kRefusedRecordField,
         fmt::format("a {} record of {:.1f} MiB is larger than the {} MiB cap (--max-record-mb); "
                     "it was not read",
                     kind, static_cast<double>(element.size()) / (1 << 20), max_bytes >> 20)}};
    out.append(boost::json::serialize(stub));
  }
  out.push_back(']');
  return out;
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
  // A plugin's message often quotes the vendor's, which may quote the key.
  std::string message =
      net::redact(fmt::format("{}: {} failed ({}): {}", describe(), call, atsm_status_name(status),
                              safe.message[0] ? safe.message : "no message"));
  throw Error(status, message, net::redact(safe.vendor_code), net::redact(safe.vendor_request_id),
              safe.http_status, safe.retry_after_ms);
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
          std::string_view text(batch->records_json, batch->records_size);
          std::string bounded;
          if (text.size() > ctx.instance->max_record_bytes_) {
            bounded = without_oversized_records(text, ctx.instance->max_record_bytes_, *ctx.kind);
            text = bounded;
          }
          boost::system::error_code error;
          boost::json::value value = boost::json::parse(text, error);
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
                  net::redact(fmt::format("{}: read of {}: {}", describe(), kind, failure.what())));
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
  boost::json::value value = parse_plugin_json(text, describe() + ": the answer to " + what);
  redact_strings(value, false);
  return value;
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
  // Read only within the table's own struct_size (connector.h, "Versions").
  if (extension == nullptr || extension->struct_size < sizeof(atsm_sink_finish_v1) ||
      extension->finish == nullptr)
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
