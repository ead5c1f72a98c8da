// The Ashby sink's descriptor and entry point (connector.h): the logic lives in ashby_sink.cpp.
#include "ashby_sink.hpp"

namespace {

// Ashby's own settings only: the migration options (jobless, scorecards, feedback_form, ...)
// come with prepare, from the mapping file's "options" (sdk/docs/sink-protocol.md §1).
constexpr const char* kConfigKeys = R"json([
{"name":"base_url","type":"string","description":"Ashby API base URL","default":"https://api.ashbyhq.com","required":false},
{"name":"rate_limit_per_minute","type":"number","description":"requests per minute for the API key (Ashby: 1,000)","default":1000,"required":false},
{"name":"default_archive_reason","type":"string","description":"archive reason (title or id) of archived candidacies whose reason is not mapped; empty: none, such a candidacy fails","default":"Other","required":false},
{"name":"legacy_candidate_field","type":"string","description":"candidate custom field holding the source ids (created when missing)","default":"Legacy IDs","required":false},
{"name":"legacy_application_field","type":"string","description":"application custom field holding the source id (created when missing)","default":"Legacy ID","required":false},
{"name":"jobless_job","type":"string","description":"Ashby job (title or id) of lead applications (options.jobless: lead_application)","default":"","required":false},
{"name":"uploads","type":"string","description":"handle (upload-handle flow, multipart fallback) | multipart","default":"handle","required":false},
{"name":"confidential_jobs","type":"string","description":"hold (candidacies of a job confidential in the source wait until the job is confidential in Ashby: the operator marks it in the web app, then runs again) | proceed (write them at once)","default":"hold","required":false}
])json";

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
        .config_keys_json = kConfigKeys,
        .secrets_json =
            R"json([{"name":"ASHBY_API_KEY","description":"Ashby API key (Basic auth user name)","required":true}])json",
        .get_extension = &extension,
        .display_name = "Ashby"}))
