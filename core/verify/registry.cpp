#include "verify/registry.hpp"

#include <fmt/format.h>
#include <algorithm>

#include "verify/checks.hpp"

namespace atsm::verify {

namespace json = boost::json;

const std::vector<CheckSpec>& all_checks() {
  static const std::vector<CheckSpec> checks = {
      {"load.abi", "loads and negotiates the ABI (also in a later 1.x host)", nullptr},
      {"load.descriptor", "descriptor: name, version, roles, kinds, config schema, struct sizes",
       nullptr},
      {"load.exports", "exports only atsm_connector_entry", nullptr},
      {"contract.statuses", "every status returned is an atsm_status", &check_statuses},
      {"contract.errors", "a failed call fills atsm_error; bad input is refused", &check_errors},
      {"contract.memory", "an instance releases what it allocated (heap accounting)",
       &check_memory},
      {"contract.after_close", "no host service is called after close", &check_after_close},
      {"contract.threads", "thread tags honoured; concurrent calls when thread-safe",
       &check_threads},
      {"source.read", "every declared kind reads to the end", &check_source_read},
      {"source.schema",
       "every record validates against its kind's canonical schema; its source is the plugin's "
       "name",
       &check_source_schema},
      {"source.deterministic", "reading twice gives the same records", &check_source_deterministic},
      {"source.resume",
       "resuming from every checkpoint gives exactly the rest; a foreign one is refused",
       &check_source_resume},
      {"source.references", "references point to records the source emitted",
       &check_source_references},
      {"source.files", "every file record's sha256 names bytes stored with blob_put",
       &check_source_files},
      {"sink.prepare", "prepare reports missing target configuration as a list",
       &check_sink_prepare},
      {"sink.round_trip", "write -> find -> read_back round-trips every declared kind",
       &check_sink_round_trip},
      {"sink.lost_response", "a write repeated after a lost response is adopted, not duplicated",
       &check_sink_lost_response},
      {"robust.fuzz", "seeded garbage into every entry point gives a status, never a crash",
       &check_robust},
  };
  return checks;
}

namespace {

// The plugin's configuration from --config: {"NAME": {...}} like the migration's, or the
// plugin's own object.
std::string plugin_config(const ChildContext& context, const std::string& name) {
  if (!context.config)
    return "{}";
  json::value value = *context.config;
  if (const json::value* own = value.as_object().if_contains(name); own && own->is_object())
    return json::serialize(*own);
  value.as_object().erase("verify");
  return json::serialize(value);
}

}  // namespace

CheckResult run_check_here(const std::string& check, const ChildContext& context) {
  CheckResult result;
  try {
    host::PluginRegistry registry;
    if (check == "load.abi") {
      result.detail = check_load_abi(context.path, registry);
      return result;
    }
    if (check == "load.exports") {
      result.detail = check_exports(context.path);
      return result;
    }
    const host::LoadedPlugin* plugin = registry.load_file(context.path);
    if (plugin == nullptr)
      fail("the plugin does not load: " + (registry.refusals().empty()
                                               ? std::string("refused")
                                               : registry.refusals().back().reason));
    if (check == "load.descriptor") {
      result.detail = check_descriptor(plugin->descriptor());
      return result;
    }
    Harness h(*plugin, plugin_config(context, plugin->name()), context.credentials, context.seed,
              context.blob_dir);
    auto spec = std::find_if(all_checks().begin(), all_checks().end(),
                             [&](const CheckSpec& known) { return known.name == check; });
    if (spec == all_checks().end() || spec->run == nullptr)
      fail("unknown check " + check);
    result.detail = spec->run(h, context);
    // A breach of the call contract seen on the way fails the check too, naming its rule; a
    // contract.* check answers for its own rule only.
    if (auto violation = h.recorder().first(check.starts_with("contract.") ? check : ""))
      fail(fmt::format("{}: {}", violation->first, violation->second));
  } catch (const CheckFailure& failure) {
    result.outcome = Outcome::fail;
    result.reason = failure.reason;
  } catch (const CheckSkip& skip) {
    result.outcome = Outcome::skip;
    result.reason = skip.reason;
  } catch (const std::exception& error) {
    result.outcome = Outcome::fail;
    result.reason = fmt::format("the verifier stopped: {}", error.what());
  }
  return result;
}

}  // namespace atsm::verify
