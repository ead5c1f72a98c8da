#include "verify/registry.hpp"

#include <fmt/format.h>
#include <set>

#include "verify/checks.hpp"

namespace atsm::verify {

namespace json = boost::json;

const std::vector<CheckSpec>& all_checks() {
  static const std::vector<CheckSpec> checks = {
      {"load.abi", "loads and negotiates the ABI (also in a later 1.x host)"},
      {"load.descriptor", "descriptor: name, version, roles, kinds, config schema, struct sizes"},
      {"load.exports", "exports only atsm_connector_entry"},
      {"contract.statuses", "every status returned is an atsm_status"},
      {"contract.errors", "a failed call fills atsm_error; bad input is refused"},
      {"contract.memory", "an instance releases what it allocated (heap accounting)"},
      {"contract.after_close", "no host service is called after close"},
      {"contract.threads", "thread tags honoured; concurrent calls when thread-safe"},
      {"source.read", "every declared kind reads to the end"},
      {"source.schema", "every record validates against its kind's canonical schema"},
      {"source.deterministic", "reading twice gives the same records"},
      {"source.resume", "resuming from every checkpoint gives exactly the rest"},
      {"source.references", "references point to records the source emitted"},
      {"sink.prepare", "prepare reports missing target configuration as a list"},
      {"sink.round_trip", "write -> find -> read_back round-trips every declared kind"},
      {"sink.lost_response", "a write repeated after a lost response is adopted, not duplicated"},
      {"robust.fuzz", "seeded garbage into every entry point gives a status, never a crash"},
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

// The verifier's own settings: the "verify" member of --config, e.g.
//   {"verify": {"allow_dangling_references": ["feedback.interview"]}}
// names references (RECORD_KIND.REFERENCED_KIND) a source may leave pointing at records it never
// emits because the vendor's data does (an interview deleted after its feedback was written).
std::set<std::string> allowed_dangling(const ChildContext& context) {
  std::set<std::string> allowed;
  const json::object* root = context.config ? &*context.config : nullptr;
  const json::value* verify = root ? root->if_contains("verify") : nullptr;
  const json::value* list = verify && verify->is_object()
                                ? verify->as_object().if_contains("allow_dangling_references")
                                : nullptr;
  if (list != nullptr && list->is_array()) {
    for (const json::value& field : list->as_array()) {
      if (field.is_string())
        allowed.insert(std::string(field.as_string()));
    }
  }
  return allowed;
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
    if (check == "contract.statuses")
      result.detail = check_statuses(h);
    else if (check == "contract.errors")
      result.detail = check_errors(h);
    else if (check == "contract.memory")
      result.detail = check_memory(h);
    else if (check == "contract.after_close")
      result.detail = check_after_close(h);
    else if (check == "contract.threads")
      result.detail = check_threads(h);
    else if (check == "source.read")
      result.detail = check_source_read(h);
    else if (check == "source.schema")
      result.detail = check_source_schema(h);
    else if (check == "source.deterministic")
      result.detail = check_source_deterministic(h);
    else if (check == "source.resume")
      result.detail = check_source_resume(h);
    else if (check == "source.references")
      result.detail = check_source_references(h, allowed_dangling(context));
    else if (check == "sink.prepare")
      result.detail = check_sink_prepare(h);
    else if (check == "sink.round_trip")
      result.detail = check_sink_round_trip(h);
    else if (check == "sink.lost_response")
      result.detail = check_sink_lost_response(h);
    else if (check == "robust.fuzz")
      result.detail = check_robust(h, context.fuzz_cases);
    else
      fail("unknown check " + check);
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
