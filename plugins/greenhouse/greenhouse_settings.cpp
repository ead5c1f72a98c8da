#include "greenhouse_source.hpp"

namespace atsm::greenhouse {

// The configuration keys, declared once: the descriptor's config_keys_json and parse_settings.
const kit::ConfigTable kConfig(
    "greenhouse",
    {
        {.name = "base_url",
         .type = kit::http_url(),
         .description = "Harvest API base URL (v3 paths are appended)",
         .fallback = "https://harvest.greenhouse.io"},
        {.name = "token_url",
         .type = kit::http_url(),
         .description = "OAuth client-credentials token endpoint",
         .fallback = "https://auth.greenhouse.io/token"},
        {.name = "per_page",
         .type = kit::integer(1, 500),
         .description = "records per list page (1-500)",
         .fallback = 500},
        {.name = "since",
         .type = kit::timestamp(),
         .description = "ISO 8601 time: a delta run reads what was updated since "
                        "(updated_at=gte|...); deletions are not visible in v3"},
        {.name = "on_behalf_of",
         .type = kit::numeric_id(),
         .description = "numeric id of the acting Site Admin user (the token's sub); default: "
                        "the credential's service user"},
        {.name = "rate_limit",
         .type = kit::integer(1, 100000),
         .description = "requests per 30-second window until the server's X-RateLimit-Limit "
                        "says otherwise",
         .fallback = 50},
        {.name = "rate_scale",
         .type = kit::positive_number(),
         .description = "divides the 30-second window (the sandbox's --rate-scale)",
         .fallback = 8},
        {.name = "downloads_in_flight",
         .type = kit::integer(1, 32),
         .description = "attachments downloaded at the same time, 1 to 32 (their signed URLs "
                        "point at the file host, which shares no rate limit with the API)",
         .fallback = 8},
    });

// Every member a Greenhouse checkpoint holds, declared once: written by checkpoint_text and
// retry_checkpoint, read by parse_checkpoint. "refetch" is the host's (sink-protocol.md §5).
const kit::CheckpointFormat kCheckpoints("greenhouse",
                                         {"page", "last_id", "owed", "retry", "refetch"});

Settings parse_settings(std::string_view config_json) {
  const kit::Config config = kConfig.parse(config_json);
  Settings settings;
  settings.client.base_url = config.text("base_url");
  settings.client.token_url = config.text("token_url");
  settings.client.per_page = static_cast<int>(config.integer("per_page"));
  settings.since = config.optional_text("since");
  settings.client.on_behalf_of = config.text("on_behalf_of");
  settings.window_limit = static_cast<std::uint32_t>(config.integer("rate_limit"));
  settings.rate_scale = config.number("rate_scale");
  settings.downloads_in_flight = static_cast<std::size_t>(config.integer("downloads_in_flight"));
  return settings;
}

Position parse_checkpoint(const std::string& kind, const std::string& checkpoint) {
  Position position;
  const json::object object = kCheckpoints.parse(kind, checkpoint);
  if (const json::value* page = object.if_contains("page"); page && page->is_string())
    position.page = std::string(page->as_string());
  if (const json::value* last = object.if_contains("last_id"); last && last->is_int64())
    position.last_id = last->as_int64();
  auto ids = [&](const char* key) {
    if (const json::value* list = object.if_contains(key); list && list->is_array())
      for (const json::value& id : list->as_array())
        if (id.is_string())
          position.owed.emplace_back(id.as_string());
  };
  ids("owed");
  if (object.contains("retry")) {
    position.retry_only = true;
    ids("retry");
  }
  // The host's re-fetch of staged attachments whose bytes the work dir lost
  // (sdk/docs/sink-protocol.md §5): fetched like the ones a read could not fetch, by id.
  if (const json::value* list = object.if_contains("refetch"); list && list->is_array()) {
    position.retry_only = true;
    const std::string prefix = source_key("attachment", "");
    for (const json::value& entry : list->as_array())
      if (const json::value* key =
              entry.is_object() ? entry.as_object().if_contains("source_key") : nullptr;
          key && key->is_string() && key->as_string().starts_with(prefix))
        position.owed.push_back(std::string(key->as_string()).substr(prefix.size()));
  }
  return position;
}

namespace {

json::array id_array(const std::vector<std::string>& ids) {
  json::array out;
  for (const std::string& id : ids)
    out.emplace_back(id);
  return out;
}

}  // namespace

std::string checkpoint_text(const std::optional<std::string>& page, std::int64_t last_id,
                            const std::vector<std::string>& owed) {
  json::object out{{"last_id", last_id}};
  if (page)
    out["page"] = *page;
  if (!owed.empty())
    out["owed"] = id_array(owed);
  return kCheckpoints.write(out);
}

// The walk is over and only `ids` are still to fetch; "" (the kind is complete) when none are.
std::string retry_checkpoint(const std::vector<std::string>& ids) {
  return ids.empty() ? std::string() : kCheckpoints.write({{"retry", id_array(ids)}});
}

}  // namespace atsm::greenhouse
