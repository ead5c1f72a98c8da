// The archive sink's descriptor and entry point (connector.h): the logic lives in archive_sink.cpp.
#include "archive_sink.hpp"

namespace {

atsm_status finish(void* instance, const char* summary_json, const atsm_output* out,
                   atsm_error* error) {
  return atsm::sdk::detail::guarded(error, [&] {
    // connector.hpp's open() hands the host the Impl object itself as the instance.
    auto* sink = static_cast<atsm::archive::ArchiveSink*>(instance);
    atsm::sdk::detail::write_all(out, sink->finish(summary_json ? summary_json : "{}"));
  });
}

const atsm_sink_finish_v1 kFinish = {sizeof(atsm_sink_finish_v1), ATSM_ABI_VERSION, &finish};

const void* extension(const char* id) {
  if (id != nullptr && std::string_view(id) == ATSM_EXT_SINK_FINISH)
    return &kFinish;
  return nullptr;
}

}  // namespace

ATSM_DEFINE_CONNECTOR(
    atsm::archive::ArchiveSink,
    (atsm::sdk::ConnectorInfo{
        .name = "archive",
        .version = "1.0.0",
        .description = "Archive sink: the whole account as flat files (CSV, JSON Lines, XLSX) "
                       "with a manifest, field selection, keyed hashing and incremental append",
        .capabilities = ATSM_CAP_FIND | ATSM_CAP_READ_BACK | ATSM_CAP_THREAD_SAFE |
                        ATSM_CAP_VERBATIM,
        .sink_kinds_json = R"(["department","office","job","tag","person","candidacy","note",)"
                           R"("feedback","interview","offer","file"])",
        .config_keys_json = atsm::archive::kConfig.config_keys_json(),
        .secrets_json =
            R"json([{"name":"ARCHIVE_HASH_KEY","description":"HMAC key for hash_columns (another name can be chosen with hash_secret)","required":false}])json",
        .get_extension = &extension,
        .display_name = "Archive"}))
