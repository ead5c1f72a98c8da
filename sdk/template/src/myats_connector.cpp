// MyATS: a source and a sink for a made-up ATS, as a starting point for a real connector. Every
// request goes through the host (rate limit, retries, redaction); records cross as canonical JSON
// (the SDK's schema/); exceptions become statuses at the boundary (connector.hpp).
//
// To adapt it: rename "myats", change the URLs and the two mapping functions (vendor JSON ->
// canonical record, canonical record -> vendor JSON), declare your kinds, and run
// `atsmigrate plugin verify` until every check passes.
#include <atsmigrate/connector.hpp>

#include <boost/json.hpp>
#include <cctype>
#include <optional>
#include <string>

namespace {

namespace json = boost::json;
using atsm::sdk::Error;

constexpr const char* kConfigKeys = R"json([
{"name":"base_url","type":"string","description":"MyATS API root, e.g. https://api.myats.example/v1","required":true},
{"name":"page_size","type":"integer","description":"records per list page, 1 to 100","default":50,"required":false}
])json";

constexpr const char* kSecrets =
    R"json([{"name":"MYATS_API_KEY","description":"MyATS API key (Bearer token)","required":true}])json";

struct Config {
  std::string base_url;
  int page_size = 50;
};

// Unknown keys and wrong types are ATSM_INVALID naming the key: the user sees which one.
Config parse_config(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object())
    throw Error(ATSM_INVALID, "myats: the configuration is not a JSON object");
  Config config;
  for (const auto& [key, member] : value.as_object()) {
    if (key == "base_url" && member.is_string()) {
      config.base_url = std::string(member.as_string());
    } else if (key == "page_size" && member.is_int64() && member.as_int64() >= 1 &&
               member.as_int64() <= 100) {
      config.page_size = static_cast<int>(member.as_int64());
    } else if (key == "base_url" || key == "page_size") {
      throw Error(ATSM_INVALID, "myats: config key '" + std::string(key) +
                                    "' must be a URL string (base_url) or 1-100 (page_size)");
    } else {
      throw Error(ATSM_INVALID, "myats: unknown config key '" + std::string(key).substr(0, 64) +
                                    "' (valid: base_url, page_size)");
    }
  }
  if (config.base_url.rfind("http://", 0) != 0 && config.base_url.rfind("https://", 0) != 0)
    throw Error(ATSM_INVALID, "myats: config key 'base_url' is required (an http(s) URL)");
  while (!config.base_url.empty() && config.base_url.back() == '/')
    config.base_url.pop_back();
  return config;
}

std::string url_encode(std::string_view text) {
  static const char* const hex = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  return encoded;
}

std::string text(const json::object& object, const char* field) {
  const json::value* value = object.if_contains(field);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

// Vendor JSON -> canonical records (sdk/schema/person.schema.json, candidacy.schema.json).
json::object person_of(const json::object& candidate) {
  json::object person{{"kind", "person"},
                      {"source", "myats"},
                      {"source_key", "myats:candidate:" + text(candidate, "id")},
                      {"name", text(candidate, "name")}};
  if (std::string email = text(candidate, "email"); !email.empty())
    person["emails"] = json::array{json::object{{"address", email}}};
  if (std::string created = text(candidate, "created_at"); !created.empty())
    person["created_at"] = created;
  return person;
}

json::object candidacy_of(const json::object& application) {
  json::object candidacy{{"kind", "candidacy"},
                         {"source", "myats"},
                         {"source_key", "myats:application:" + text(application, "id")},
                         {"person_key", "myats:candidate:" + text(application, "candidate_id")},
                         {"status", text(application, "status")}};
  if (std::string created = text(application, "created_at"); !created.empty())
    candidacy["created_at"] = created;
  return candidacy;
}

class MyAtsConnector : public atsm::sdk::Source, public atsm::sdk::Sink {
 public:
  MyAtsConnector(atsm::sdk::Host host, std::string_view config_json)
      : host_(host), config_(parse_config(config_json)) {
    // MyATS allows 10 requests a second with bursts of 20; every instance shares the bucket.
    host_.declare_token_bucket("myats", 10, 20);
  }

  // ---- source ----------------------------------------------------------------------------

  void read(const std::string& kind, const std::string& checkpoint,
            atsm::sdk::Emitter& emitter) override {
    const char* path = kind == "person"      ? "/candidates"
                       : kind == "candidacy" ? "/applications"
                                             : nullptr;
    if (path == nullptr)
      throw Error(ATSM_INVALID, "myats cannot read kind '" + kind.substr(0, 64) + "'");
    // The checkpoint is MyATS's own cursor: resuming from it gives exactly the rest.
    std::string cursor = checkpoint;
    for (;;) {
      host_.check_cancelled();
      std::string url = config_.base_url + path + "?limit=" + std::to_string(config_.page_size);
      if (!cursor.empty())
        url += "&cursor=" + url_encode(cursor);
      json::object page = get(url, "list " + kind);
      json::array records;
      if (const json::value* data = page.if_contains("data"); data && data->is_array()) {
        for (const json::value& item : data->as_array()) {
          if (item.is_object())
            records.push_back(kind == "person" ? person_of(item.as_object())
                                               : candidacy_of(item.as_object()));
        }
      }
      std::string next = text(page, "next_cursor");
      emitter.emit(kind, json::serialize(records), next);  // "" = the kind is complete
      if (next.empty())
        return;
      cursor = next;
    }
  }

  // ---- sink ------------------------------------------------------------------------------

  std::string prepare(const std::string& plan_json) override {
    boost::system::error_code ec;
    json::value plan = json::parse(plan_json, ec);
    if (ec || !plan.is_object())
      throw Error(ATSM_INVALID, "myats: the plan is not a JSON object");
    // MyATS has no stages, users or forms to match: an empty catalog, nothing missing. A real
    // sink lists every missing object here at once (sdk/docs/sink-protocol.md).
    return json::serialize(json::object{{"catalog", json::object{}}, {"missing", json::array{}}});
  }

  std::string write(const std::string& kind, const std::string& items_json) override {
    if (kind != "person")
      throw Error(ATSM_INVALID, "myats cannot write kind '" + kind.substr(0, 64) + "'");
    boost::system::error_code ec;
    json::value items = json::parse(items_json, ec);
    if (ec || !items.is_array())
      throw Error(ATSM_INVALID, "myats: items_json is not a JSON array of write items");
    json::array results;
    for (const json::value& entry : items.as_array())
      results.push_back(write_item(entry));
    return json::serialize(results);
  }

  std::optional<std::string> find(const std::string& kind, const std::string& item_json) override {
    (void)kind;
    boost::system::error_code ec;
    json::value item = json::parse(item_json, ec);
    if (ec || !item.is_object() || text(item.as_object(), "key").empty())
      throw Error(ATSM_INVALID, "myats: find needs a write item with a string key");
    return find_by_key(text(item.as_object(), "key"));
  }

  std::optional<std::string> read_back(const std::string& kind,
                                       const std::string& target_id) override {
    if (kind != "person")
      throw Error(ATSM_INVALID, "myats cannot read back kind '" + kind.substr(0, 64) + "'");
    atsm::sdk::HttpResponse response =
        request("GET", config_.base_url + "/candidates/" + url_encode(target_id), "");
    if (response.status == 404)
      return std::nullopt;
    json::object candidate = body_of(response, "read candidate " + target_id.substr(0, 64));
    return json::serialize(person_of(candidate));
  }

 private:
  json::object write_item(const json::value& entry) {
    const json::object* item = entry.if_object();
    std::string key = item ? text(*item, "key") : "";
    const json::value* record = item ? item->if_contains("record") : nullptr;
    if (key.empty() || record == nullptr || !record->is_object())
      return {{"key", key}, {"status", "invalid"}, {"message", "an item needs a key and a record"}};
    try {
      // A retry after a lost response: adopt what the earlier attempt created.
      const json::value* lookup = item->if_contains("lookup_first");
      if (lookup != nullptr && lookup->is_bool() && lookup->as_bool()) {
        if (std::optional<std::string> found = find_by_key(key))
          return {{"key", key}, {"status", "ok"}, {"target_id", *found}};
      }
      const json::object& person = record->as_object();
      std::string email;
      if (const json::value* emails = person.if_contains("emails");
          emails && emails->is_array() && !emails->as_array().empty() &&
          emails->as_array()[0].is_object())
        email = text(emails->as_array()[0].as_object(), "address");
      std::string name = text(person, "name");
      json::object body{{"name", name.empty() ? std::string("Unnamed candidate") : name},
                        {"email", email},
                        {"external_id", key}};
      atsm::sdk::HttpResponse response =
          request("POST", config_.base_url + "/candidates", json::serialize(body));
      json::object created = body_of(response, "create candidate " + key);
      return {{"key", key}, {"status", "ok"}, {"target_id", text(created, "id")}};
    } catch (const Error& error) {
      return {
          {"key", key}, {"status", atsm_status_name(error.status())}, {"message", error.what()}};
    }
  }

  std::optional<std::string> find_by_key(const std::string& key) {
    json::object page =
        get(config_.base_url + "/candidates/search?external_id=" + url_encode(key), "search");
    const json::value* data = page.if_contains("data");
    if (data == nullptr || !data->is_array() || data->as_array().empty() ||
        !data->as_array()[0].is_object())
      return std::nullopt;
    return text(data->as_array()[0].as_object(), "id");
  }

  atsm::sdk::HttpResponse request(const std::string& method, const std::string& url,
                                  const std::string& body) {
    atsm::sdk::HttpRequest request;
    request.method = method;
    request.url = url;
    request.body = body;
    if (!body.empty())
      request.headers.emplace_back("Content-Type", "application/json");
    request.bucket = "myats";
    // The host adds the Authorization header from the secret: the key never enters this code.
    request.auth_scheme = ATSM_AUTH_BEARER_SECRET;
    request.auth_secret = "MYATS_API_KEY";
    return host_.http(request);
  }

  json::object get(const std::string& url, const std::string& what) {
    return body_of(request("GET", url, ""), what);
  }

  // Classifies a response: 2xx parsed, 401/403 auth, 429 rate limited, 5xx retry, else invalid.
  static json::object body_of(const atsm::sdk::HttpResponse& response, const std::string& what) {
    std::string context = "myats " + what + ": HTTP " + std::to_string(response.status);
    if (response.status == 401 || response.status == 403)
      throw Error(ATSM_AUTH, context + " (check MYATS_API_KEY)");
    if (response.status == 429)
      throw Error(ATSM_RATE_LIMITED, context);
    if (response.status >= 500)
      throw Error(ATSM_RETRY, context);
    if (response.status < 200 || response.status >= 300)
      throw Error(ATSM_INVALID, context + ": " + response.body.substr(0, 200));
    boost::system::error_code ec;
    json::value value = json::parse(response.body, ec);
    if (ec || !value.is_object())
      throw Error(ATSM_PERMANENT, context + ": the body is not a JSON object");
    return value.as_object();
  }

  atsm::sdk::Host host_;
  Config config_;
};

}  // namespace

ATSM_DEFINE_CONNECTOR(MyAtsConnector,
                      (atsm::sdk::ConnectorInfo{
                          .name = "myats",
                          .version = "0.1.0",
                          .description = "MyATS (template): candidates and applications, both ways",
                          .capabilities = ATSM_CAP_FIND | ATSM_CAP_READ_BACK,
                          .source_kinds_json = R"(["person","candidacy"])",
                          .sink_kinds_json = R"(["person"])",
                          .config_keys_json = kConfigKeys,
                          .secrets_json = kSecrets,
                          .display_name = "MyATS",
                      }))
