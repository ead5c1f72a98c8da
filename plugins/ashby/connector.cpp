// The Ashby sink's descriptor and entry point (connector.h): the logic lives in ashby_sink.cpp.
#include "ashby_sink.hpp"

namespace {

atsm_status census(void* instance, const char* kind, const atsm_output* out, atsm_error* error) {
  return atsm::sdk::detail::guarded(error, [&] {
    // connector.hpp's open() hands the host the Impl object itself as the instance.
    auto* sink = static_cast<atsm::ashby::AshbySink*>(instance);
    std::optional<std::string> held = sink->census(kind ? kind : "");
    if (!held)
      throw atsm::sdk::Error(ATSM_NOT_FOUND, "the Ashby sink lists no census of this kind");
    atsm::sdk::detail::write_all(out, *held);
  });
}

const atsm_sink_census_v1 kCensus = {sizeof(atsm_sink_census_v1), ATSM_ABI_VERSION, &census};

atsm_status finish(void* instance, const char* summary_json, const atsm_output* out,
                   atsm_error* error) {
  return atsm::sdk::detail::guarded(error, [&] {
    auto* sink = static_cast<atsm::ashby::AshbySink*>(instance);
    atsm::sdk::detail::write_all(out, sink->finish(summary_json ? summary_json : "{}"));
  });
}

const atsm_sink_finish_v1 kFinish = {sizeof(atsm_sink_finish_v1), ATSM_ABI_VERSION, &finish};

const void* extension(const char* id) {
  if (id != nullptr && std::string_view(id) == ATSM_EXT_SINK_CENSUS)
    return &kCensus;
  if (id != nullptr && std::string_view(id) == ATSM_EXT_SINK_FINISH)
    return &kFinish;
  return nullptr;
}

}  // namespace

ATSM_DEFINE_CONNECTOR(
    atsm::ashby::AshbySink,
    (atsm::sdk::ConnectorInfo{
        .name = "ashby",
        .version = "1.0.0",
        .description = "Ashby sink: writes candidates, applications, notes, feedback and files "
                       "through the Ashby API, exactly once",
        .capabilities = ATSM_CAP_FIND | ATSM_CAP_READ_BACK | ATSM_CAP_THREAD_SAFE,
        .sink_kinds_json = R"(["department","office","job","tag","custom_field","person",)"
                           R"("candidacy","note","feedback","interview","offer","file"])",
        // Ashby's own settings only: the migration options (jobless, scorecards, feedback_form,
        // ...) come with prepare, from the mapping file's "options" (sdk/docs/sink-protocol.md §1).
        .config_keys_json = atsm::ashby::kConfig.config_keys_json(),
        .secrets_json =
            R"json([{"name":"ASHBY_API_KEY","description":"Ashby API key (Basic auth user name)","required":true}])json",
        .get_extension = &extension,
        .display_name = "Ashby"}))
