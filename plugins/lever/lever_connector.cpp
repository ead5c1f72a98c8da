// The Lever source connector: reads a Lever account through the Data API and emits canonical
// records kind by kind, with checkpoints that resume a crashed read after its last batch.
// Plan of calls (README.md): reference lists once each; opportunities listed with expand instead
// of per-record calls; one list call per opportunity per child kind; one download per file.
#include "lever_source.hpp"

namespace atsm::lever {

LeverSource::LeverSource(sdk::Host host, std::string_view config_json)
    : host_(host), settings_(parse_settings(config_json)), client_(host, settings_.client) {
  // Lever: 10 requests/s per key with bursts of 20 (docs/vendors/lever.md §3); rate_scale speeds up
  // the steady rate for the sandbox, whose bucket also keeps a capacity of 20. Requests are paced
  // with a burst of 2 of their own, enough for a worker that wakes late to make its slot up
  // instead of losing it (a pace without a burst loses every late wake-up): the server's other 18
  // tokens absorb requests that meet on arrival after different latencies (1.8 s of spread at
  // 10/s), instead of 429s.
  host_.declare_token_bucket(kBucket, 10.0 * settings_.rate_scale, 2);
}

void LeverSource::read(const std::string& kind, const std::string& checkpoint,
                       sdk::Emitter& emitter) {
  check_confidential_access();
  json::object position = parse_checkpoint(kind, checkpoint);
  records_ = invalid_ = 0;
  skipped_ = 0;
  if (kind == "user")
    read_list(kind, "/users", {{"includeDeactivated", "true"}}, position, emitter,
              [](const json::value& item, std::int64_t) { return map_user(item); });
  else if (kind == "stage")
    read_list(kind, "/stages", {}, position, emitter, &map_stage);
  else if (kind == "archive_reason")
    read_archive_reasons(position, emitter);
  else if (kind == "source")
    read_list(kind, "/sources", {}, position, emitter,
              [](const json::value& item, std::int64_t) { return map_source(item); });
  else if (kind == "tag")
    read_list(kind, "/tags", {}, position, emitter,
              [](const json::value& item, std::int64_t) { return map_tag(item); });
  else if (kind == "job")
    read_jobs(position, emitter);
  else if (kind == "department" || kind == "office")
    read_categories(kind, emitter);
  else if (kind == "person")
    read_persons(position, emitter);
  else if (kind == "candidacy")
    read_candidacies(position, emitter);
  else if (kind == "note" || kind == "feedback" || kind == "interview" || kind == "offer" ||
           kind == "file")
    read_children(kind, position, emitter);
  else
    throw sdk::Error(ATSM_INVALID, "the lever connector has no kind '" + kind + "'");
  host_.log(ATSM_LOG_INFO, "read " + kind + ": " + std::to_string(records_) + " records, " +
                               std::to_string(invalid_) + " with validation errors, " +
                               std::to_string(skipped_) +
                               " skipped (soft-deleted or outside the delta); Lever calls so "
                               "far: " +
                               client_.calls_summary());
}

std::string LeverSource::confidentiality() const {
  return settings_.include_confidential && confidential_access_ ? "all" : "non-confidential";
}

// Lever leaves confidential records out of lists unless asked, and a key without confidential
// access cannot ask: say so loudly once, before anything is read, instead of migrating less in
// silence.
void LeverSource::check_confidential_access() {
  if (confidential_checked_)
    return;
  confidential_checked_ = true;
  if (!settings_.include_confidential) {
    host_.log(ATSM_LOG_WARN,
              "confidential postings and opportunities are skipped (config confidential=skip)");
    return;
  }
  try {
    client_.get("/postings", {{"confidentiality", "all"}, {"limit", "1"}},
                "confidential access check (GET /postings?confidentiality=all)");
  } catch (const sdk::Error& error) {
    if (error.http_status() != 403)
      throw;
    confidential_access_ = false;
    host_.log(ATSM_LOG_WARN,
              "THE LEVER API KEY HAS NO CONFIDENTIAL ACCESS: confidential postings and "
              "opportunities will NOT be migrated. Create a key with confidential access "
              "(it cannot be added later) or set confidential=skip to accept this. (" +
                  std::string(error.what()) + ")");
  }
}

void LeverSource::count(const std::vector<model::Record>& records) {
  records_ += records.size();
  for (const model::Record& record : records)
    if (validation_error_count(record) > 0)
      ++invalid_;
}

void LeverSource::emit(sdk::Emitter& emitter, const std::string& kind,
                       const std::vector<model::Record>& records, const std::string& checkpoint) {
  count(records);
  emitter.emit(kind, model::serialize_records(records), checkpoint);
  host_.progress(kind, records_, 0);
}

// The instant this read's view of the account is pinned to: opportunities created later are
// left to the next (delta) run, so a resumed read walks exactly the same lists.
// One instant per instance, so persons, candidacies and their children agree on which
// opportunities exist; a resumed read keeps the instant its checkpoint names.
std::int64_t LeverSource::snapshot_of(const json::object& position) const {
  return int_member(position, "snapshot", snapshot_);
}

Query LeverSource::opportunity_query() const {
  return {{"confidentiality", confidentiality()}};
}

}  // namespace atsm::lever

namespace {

constexpr const char* kSecretsJson = R"json([
{"name":"LEVER_API_KEY","description":"Lever API key (HTTP Basic, key as user); required unless auth is oauth","required":false},
{"name":"LEVER_OAUTH_TOKEN","description":"OAuth access token (auth oauth)","required":false},
{"name":"LEVER_OAUTH_REFRESH_TOKEN","description":"OAuth refresh token; the access token is renewed before it expires","required":false},
{"name":"LEVER_OAUTH_CLIENT_ID","description":"OAuth client id, for refreshes","required":false},
{"name":"LEVER_OAUTH_CLIENT_SECRET","description":"OAuth client secret, for refreshes","required":false}
])json";

constexpr const char* kSourceKindsJson =
    R"json(["user","department","office","job","stage","archive_reason","source","tag","person","candidacy","note","feedback","interview","offer","file"])json";

}  // namespace

namespace {

// What Lever documents that the connector does not carry (unmigrated_lever_fields), for the
// report. Built on first use; the extension table lives as long as the library.
const void* extension(const char* id) noexcept {
  if (id == nullptr || std::string_view(id) != ATSM_EXT_SOURCE_UNMIGRATED)
    return nullptr;
  try {
    static const atsm_source_unmigrated_v1 table = {
        sizeof(atsm_source_unmigrated_v1), ATSM_ABI_VERSION,
        atsm::lever::unmigrated_lever_fields_json().c_str()};
    return &table;
  } catch (...) {
    return nullptr;  // nothing crosses the ABI; the report then lists no declaration
  }
}

}  // namespace

ATSM_DEFINE_CONNECTOR(
    atsm::lever::LeverSource,
    (atsm::sdk::ConnectorInfo{
        .name = "lever",
        .version = "1.0.0",
        .description = "Lever Data API source: users, postings, stages, archive reasons, sources, "
                       "tags, contacts, opportunities, notes, feedback, interviews, offers, files",
        .capabilities = ATSM_CAP_INCREMENTAL,
        .source_kinds_json = kSourceKindsJson,
        .sink_kinds_json = "[]",
        .config_keys_json = atsm::lever::kConfig.config_keys_json(),
        .secrets_json = kSecretsJson,
        .get_extension = &extension,
        .display_name = "Lever",
    }))
