#include "lever_source.hpp"

namespace atsm::lever {

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The configuration keys, declared once: the descriptor's config_keys_json and parse_settings.
const kit::ConfigTable kConfig(
    "lever",
    {
        {.name = "base_url",
         .type = kit::http_url(),
         .description = "Lever Data API base URL; /v1 is appended to a server root",
         .fallback = "https://api.lever.co/v1"},
        {.name = "page_size",
         .type = kit::integer(1, 100),
         .description = "records per list page, 1 to 100",
         .fallback = 100},
        {.name = "since",
         .type = kit::timestamp(),
         .description = "ISO 8601 time: a delta run reads opportunities updated since "
                        "(updated_at_start) and children created since"},
        {.name = "confidential",
         .type = kit::choice({"include", "skip"}),
         .description = "include: lists use confidentiality=all and a key without confidential "
                        "access is reported loudly; skip: non-confidential only",
         .fallback = "include"},
        {.name = "rate_scale",
         .type = kit::positive_number(),
         .description = "multiplies the declared rate limit of 10/s with bursts of 20 (for the "
                        "sandbox's --rate-scale)",
         .fallback = 1},
        {.name = "auth",
         .type = kit::choice({"api_key", "oauth"}),
         .description = "api_key: LEVER_API_KEY; oauth: the LEVER_OAUTH_* secrets",
         .fallback = "api_key"},
        {.name = "oauth_token_url",
         .type = kit::http_url(),
         .description = "OAuth token endpoint used to refresh the access token",
         .fallback = "https://auth.lever.co/oauth/token"},
        {.name = "delta_children",
         .type = kit::choice({"sweep", "recent"}),
         .description = "sweep: a delta run reads the children of every opportunity; recent: "
                        "only of opportunities whose updatedAt or lastInteractionAt moved",
         .fallback = "sweep"},
        {.name = "concurrency",
         .type = kit::integer(0, 32),
         .description = "opportunities whose children are read at the same time (requests in "
                        "flight), 1 to 32; 0: as many as the measured latency needs to run at "
                        "the rate limit (Little's law)",
         .fallback = 0},
        {.name = "profile_forms",
         .type = kit::choice({"include", "skip"}),
         .description = "include: the feedback kind also reads each opportunity's profile forms "
                        "(Lever's custom fields) as feedback records lever:form:<id>; skip: not "
                        "read",
         .fallback = "include"},
    });

// Every member a Lever checkpoint holds, declared once: written with kCheckpoints.write, read
// with parse_checkpoint. "refetch" is the host's (sdk/docs/sink-protocol.md §5).
const kit::CheckpointFormat kCheckpoints("lever", {"after", "after_contact", "count", "from",
                                                   "last", "offset", "owed", "phase", "retry",
                                                   "snapshot", "width", "window_end", "refetch"});

Settings parse_settings(std::string_view config_json) {
  const kit::Config config = kConfig.parse(config_json);
  Settings settings;
  settings.client.base_url = config.text("base_url");
  settings.client.page_size = static_cast<int>(config.integer("page_size"));
  if (std::optional<std::string> since = config.optional_text("since")) {
    settings.since = model::timestamp_to_epoch_millis(*since);
    // Lever's filters take epoch milliseconds: an instant before 1970 has none.
    if (!settings.since || *settings.since < 0)
      throw sdk::Error(ATSM_INVALID, "lever config key 'since' is \"" + *since +
                                         "\"; expected an ISO 8601 date-time with an offset, "
                                         "from 1970 on, e.g. 2024-05-01T00:00:00Z");
  }
  settings.include_confidential = config.text("confidential") == "include";
  settings.rate_scale = config.number("rate_scale");
  settings.client.auth = config.text("auth") == "oauth" ? AuthMode::oauth : AuthMode::api_key;
  settings.client.oauth_token_url = config.text("oauth_token_url");
  settings.delta_children_recent = config.text("delta_children") == "recent";
  settings.concurrency = static_cast<int>(config.integer("concurrency"));
  settings.profile_forms = config.text("profile_forms") == "include";
  return settings;
}

json::object parse_checkpoint(const std::string& kind, const std::string& checkpoint) {
  return kCheckpoints.parse(kind, checkpoint);
}

// The identity of a list item: its id, or its text for /sources and /tags.
std::string item_id(const json::value& item) {
  if (!item.is_object())
    return {};
  for (const char* key : {"id", "text"})
    if (const json::value* value = item.as_object().if_contains(key); value && value->is_string())
      return std::string(value->as_string());
  return {};
}

}  // namespace atsm::lever
