// The connector kit's helpers, each with what it must refuse. Expected values come from RFC 3986
// (percent-encoding) and connector.h (the config_keys_json format, ATSM_INVALID for unknown keys
// and foreign checkpoints), not from the kit's code.
#include <atsmigrate/kit/kit.hpp>

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>

namespace {

namespace json = boost::json;
namespace kit = atsm::kit;
using atsm::sdk::Error;

// The status and message of what `run` throws; ATSM_OK and "" when it throws nothing.
template <typename Run>
std::pair<atsm_status, std::string> refusal(Run run) {
  try {
    run();
  } catch (const Error& error) {
    return {error.status(), error.what()};
  }
  return {ATSM_OK, ""};
}

const kit::ConfigTable& table() {
  static const kit::ConfigTable kTable(
      "demo",
      {
          {.name = "base_url",
           .type = kit::http_url(),
           .description = "API base URL",
           .fallback = "https://api.example.com"},
          {.name = "page_size",
           .type = kit::integer(1, 100),
           .description = "records per page",
           .fallback = 100},
          {.name = "rate_scale",
           .type = kit::positive_number(),
           .description = "rate multiplier",
           .fallback = 1},
          {.name = "mode",
           .type = kit::choice({"snapshot", "append"}),
           .description = "write mode",
           .fallback = "snapshot"},
          {.name = "since", .type = kit::timestamp(), .description = "delta start"},
          {.name = "formats",
           .type = kit::string_list(),
           .description = "output formats",
           .fallback = json::array{"csv"}},
          {.name = "include_files",
           .type = kit::boolean(),
           .description = "copy files",
           .fallback = false},
          {.name = "acting_user", .type = kit::numeric_id(), .description = "user id"},
          {.name = "columns", .type = kit::json_object(), .description = "per table"},
          {.name = "dir", .type = kit::text(), .description = "output dir", .required = true},
      });
  return kTable;
}

TEST(KitConfig, TheTableIsTheDescriptorsConfigKeysInConnectorHsFormat) {
  // connector.h: [{"name","type","description","default","required"}], default only when set.
  json::value described = json::parse(table().config_keys_json());
  json::array expected = {
      {{"name", "base_url"},
       {"type", "string"},
       {"description", "API base URL"},
       {"default", "https://api.example.com"},
       {"required", false}},
      {{"name", "page_size"},
       {"type", "integer"},
       {"description", "records per page"},
       {"default", 100},
       {"required", false}},
      {{"name", "rate_scale"},
       {"type", "number"},
       {"description", "rate multiplier"},
       {"default", 1},
       {"required", false}},
      {{"name", "mode"},
       {"type", "string"},
       {"description", "write mode"},
       {"default", "snapshot"},
       {"required", false}},
      {{"name", "since"}, {"type", "string"}, {"description", "delta start"}, {"required", false}},
      {{"name", "formats"},
       {"type", "array"},
       {"description", "output formats"},
       {"default", json::array{"csv"}},
       {"required", false}},
      {{"name", "include_files"},
       {"type", "boolean"},
       {"description", "copy files"},
       {"default", false},
       {"required", false}},
      {{"name", "acting_user"},
       {"type", "string"},
       {"description", "user id"},
       {"required", false}},
      {{"name", "columns"}, {"type", "object"}, {"description", "per table"}, {"required", false}},
      {{"name", "dir"}, {"type", "string"}, {"description", "output dir"}, {"required", true}},
  };
  EXPECT_EQ(described, json::value(expected)) << table().config_keys_json();
  // A published declaration can be kept as it was (archive's xlsx_max_rows stays "number").
  EXPECT_STREQ(kit::declared_type(kit::integer(2, 5).declared_as("number")), "number");
  EXPECT_STREQ(kit::declared_type(kit::integer(2, 5)), "integer");
}

TEST(KitConfig, GivenValuesAndDefaultsAreTyped) {
  kit::Config config = table().parse(
      R"({"dir":"/tmp/x","page_size":"20","since":"2024-05-01T02:00:00+02:00",)"
      R"("formats":"csv, xlsx","include_files":"true","acting_user":12345,"columns":{"a":["b"]}})");
  EXPECT_EQ(config.text("dir"), "/tmp/x");
  EXPECT_EQ(config.integer("page_size"), 20);  // digits as text: a config file's "20"
  EXPECT_TRUE(config.given("page_size"));
  EXPECT_FALSE(config.given("base_url"));
  EXPECT_EQ(config.text("base_url"), "https://api.example.com");
  EXPECT_EQ(config.number("rate_scale"), 1.0);
  EXPECT_EQ(config.text("mode"), "snapshot");
  EXPECT_EQ(config.optional_text("since"), "2024-05-01T00:00:00Z");  // ISO 8601 offset to UTC
  EXPECT_EQ(config.list("formats"), (std::vector<std::string>{"csv", "xlsx"}));
  EXPECT_TRUE(config.flag("include_files"));
  EXPECT_EQ(config.text("acting_user"), "12345");
  EXPECT_EQ(config.value("columns"), json::parse(R"({"a":["b"]})"));

  kit::Config minimal = table().parse(R"({"dir":"d"})");
  EXPECT_EQ(minimal.optional_text("since"), std::nullopt);
  EXPECT_EQ(minimal.list("formats"), std::vector<std::string>{"csv"});
  EXPECT_FALSE(minimal.flag("include_files"));
  EXPECT_EQ(minimal.integer("page_size"), 100);
  EXPECT_EQ(refusal([&] { minimal.text("colour"); }).first, ATSM_INTERNAL);  // not declared
}

TEST(KitConfig, UnknownKeysAreRefusedByNameWithTheValidOnes) {
  auto [status, message] = refusal([] { table().parse(R"({"dir":"d","colour":"red"})"); });
  EXPECT_EQ(status, ATSM_INVALID);
  EXPECT_NE(message.find("demo config: unknown key 'colour'"), std::string::npos) << message;
  EXPECT_NE(message.find("valid keys: base_url, page_size"), std::string::npos) << message;
  auto [several_status, several] =
      refusal([] { table().parse(R"({"pagesize":5,"colour":"red","dir":"d"})"); });
  EXPECT_EQ(several_status, ATSM_INVALID);
  EXPECT_NE(several.find("unknown keys 'pagesize', 'colour'"), std::string::npos) << several;
}

TEST(KitConfig, WrongTypesAndValuesAreRefusedNamingConnectorAndKey) {
  struct Case {
    const char* config;
    const char* expected;
  };
  for (const Case& bad : std::initializer_list<Case>{
           {R"({"dir":5})", "demo config key 'dir' must be a string"},
           {R"({"dir":"d","base_url":"ftp://x"})",
            "demo config key 'base_url' must be an http(s) URL"},
           {R"({"dir":"d","page_size":0})",
            "demo config key 'page_size' must be an integer from 1 to 100"},
           {R"({"dir":"d","page_size":101})", "'page_size' must be an integer from 1 to 100"},
           {R"({"dir":"d","page_size":2.5})", "'page_size' must be an integer"},
           {R"({"dir":"d","page_size":"20x"})", "'page_size' must be an integer"},
           {R"({"dir":"d","rate_scale":0})",
            "demo config key 'rate_scale' must be a positive number"},
           {R"({"dir":"d","rate_scale":"2"})", "'rate_scale' must be a positive number"},
           {R"({"dir":"d","mode":"maybe"})",
            "demo config key 'mode' is \"maybe\"; expected \"snapshot\", \"append\""},
           {R"({"dir":"d","since":"yesterday"})",
            "demo config key 'since' is \"yesterday\"; expected an ISO 8601"},
           {R"({"dir":"d","since":"2024-05-01T00:00:00"})",
            "'since' is \"2024-05-01T00:00:00\""},  // no offset
           {R"({"dir":"d","formats":[1]})", "demo config key 'formats' must hold strings only"},
           {R"({"dir":"d","formats":{}})", "'formats' must be a JSON array of strings"},
           {R"({"dir":"d","include_files":"yes"})",
            "demo config key 'include_files' must be true or false"},
           {R"({"dir":"d","acting_user":"admin"})",
            "demo config key 'acting_user' must be a numeric id"},
           {R"({"dir":"d","columns":[]})", "demo config key 'columns' must be a JSON object"},
           {R"({})", "demo config key 'dir' is required: output dir"},
           {R"([1])", "demo config is not a JSON object"},
           {R"({"dir":)", "demo config is not a JSON object"},
       }) {
    auto [status, message] = refusal([&] { table().parse(bad.config); });
    EXPECT_EQ(status, ATSM_INVALID) << bad.config;
    EXPECT_NE(message.find(bad.expected), std::string::npos) << bad.config << ": " << message;
  }
}

TEST(KitJsonReader, TypedMembersFallBackAndRequiredOnesNameRecordAndField) {
  json::object item = json::parse(R"({"id":"a1","count":3,"big":1e3,"digits":"42","flag":true,)"
                                  R"("list":[1],"nested":{},"text":7})")
                          .as_object();
  EXPECT_EQ(kit::string_member(item, "id"), "a1");
  EXPECT_EQ(kit::string_member(item, "text"), std::nullopt);  // a number is not a string
  EXPECT_EQ(kit::string_member_or(item, "missing", "x"), "x");
  EXPECT_EQ(kit::int_member(item, "count", -1), 3);
  EXPECT_EQ(kit::int_member(item, "big", -1), 1000);
  EXPECT_EQ(kit::int_member(item, "digits", -1), 42);
  EXPECT_EQ(kit::int_member(item, "id", -1), -1);
  EXPECT_EQ(kit::bool_member(item, "flag"), true);
  EXPECT_EQ(kit::bool_member(item, "count"), std::nullopt);
  ASSERT_NE(kit::array_member(item, "list"), nullptr);
  EXPECT_EQ(kit::array_member(item, "nested"), nullptr);
  EXPECT_NE(kit::object_member(item, "nested"), nullptr);
  EXPECT_EQ(kit::id_text(json::value(12)), "12");
  EXPECT_EQ(kit::id_text(json::value("x9")), "x9");
  EXPECT_EQ(kit::id_text(json::value(nullptr)), std::nullopt);

  EXPECT_EQ(kit::require_string(item, "id", "demo user a1"), "a1");
  EXPECT_EQ(kit::require_integer(item, "count", "demo user a1"), 3);
  auto missing = refusal([&] { kit::require_string(item, "email", "demo user a1"); });
  EXPECT_EQ(missing.first, ATSM_INVALID);
  EXPECT_EQ(missing.second, "demo user a1: field 'email' is missing");
  auto wrong = refusal([&] { kit::require_string(item, "text", "demo user a1"); });
  EXPECT_EQ(wrong.second, "demo user a1: field 'text': expected a string, got a number");
  auto not_integer = refusal([&] { kit::require_integer(item, "digits", "demo user a1"); });
  EXPECT_EQ(not_integer.second, "demo user a1: field 'digits': expected an integer, got a string");
  auto not_object = refusal([] { kit::require_object(json::array{}, "demo page 2"); });
  EXPECT_EQ(not_object.second, "demo page 2: expected an object, got an array");
}

TEST(KitJsonReader, TypesAreDescribedInWords) {
  EXPECT_STREQ(kit::json_type(json::value(nullptr)), "null");
  EXPECT_STREQ(kit::json_type(json::value(true)), "a boolean");
  EXPECT_STREQ(kit::json_type(json::value(1.5)), "a number");
  EXPECT_STREQ(kit::json_type(json::value(-1)), "a number");
  EXPECT_STREQ(kit::json_type(json::value("x")), "a string");
  EXPECT_STREQ(kit::json_type(json::array{}), "an array");
  EXPECT_STREQ(kit::json_type(json::object{}), "an object");
}

TEST(KitJsonReader, TheMissingIdStandInIsStablePerRecord) {
  json::value one = json::parse(R"({"name":"A"})");
  json::value other = json::parse(R"({"name":"B"})");
  EXPECT_EQ(kit::missing_id(one), kit::missing_id(json::parse(R"({"name":"A"})")));
  EXPECT_NE(kit::missing_id(one), kit::missing_id(other));
  EXPECT_EQ(kit::missing_id(one).rfind("missing-id-", 0), 0u);
}

TEST(KitUrl, PercentEncodingFollowsRfc3986) {
  // §2.3: unreserved characters are never encoded.
  EXPECT_EQ(kit::url_encode("AZaz09-._~"), "AZaz09-._~");
  // §2.2 reserved and everything else: "%" HEXDIG HEXDIG, uppercase (§2.1); a space is %20.
  EXPECT_EQ(kit::url_encode("a b"), "a%20b");
  EXPECT_EQ(kit::url_encode(":/?#[]@!$&'()*+,;="),
            "%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D");
  EXPECT_EQ(kit::url_encode("100%"), "100%25");
  // §2.5: UTF-8 octets, each encoded ("é" is C3 A9).
  EXPECT_EQ(kit::url_encode("caf\xC3\xA9"), "caf%C3%A9");
  EXPECT_EQ(kit::url_encode(std::string("a\0b", 3)), "a%00b");
  EXPECT_EQ(kit::url_encode("gte|2024,1", "|,"), "gte|2024,1");
  EXPECT_EQ(kit::url_encode(""), "");
}

TEST(KitCheckpoint, ParsesItsOwnAndRefusesForeignOrMalformedOnes) {
  const kit::CheckpointFormat format("demo", {"page", "last_id", "refetch"});
  EXPECT_TRUE(format.parse("person", "").empty());  // the beginning
  EXPECT_TRUE(format.parse("person", "{}").empty());
  json::object mine = format.parse("person", R"({"page":"p2","last_id":7})");
  EXPECT_EQ(mine.at("page"), "p2");
  EXPECT_EQ(mine.at("last_id"), 7);
  for (const char* foreign : {R"({"cursor":"abc"})", R"({"offset":5,"count":2})"}) {
    auto [status, message] = refusal([&] { format.parse("person", foreign); });
    EXPECT_EQ(status, ATSM_INVALID) << foreign;
    EXPECT_NE(message.find("demo checkpoint for person is not one this connector wrote"),
              std::string::npos)
        << message;
  }
  for (const char* malformed : {"[1,2]", "\"page\"", "{not json", "42"}) {
    auto [status, message] = refusal([&] { format.parse("note", malformed); });
    EXPECT_EQ(status, ATSM_INVALID) << malformed;
    EXPECT_EQ(message, "demo checkpoint for note is not a JSON object") << malformed;
  }
}

TEST(KitCheckpoint, WritesOnlyDeclaredMembersAndReadsWhatItWrote) {
  const kit::CheckpointFormat format("demo", {"page", "last_id"});
  std::string written = format.write({{"page", "p3"}, {"last_id", 9}});
  EXPECT_EQ(json::parse(written), json::parse(R"({"page":"p3","last_id":9})"));
  EXPECT_EQ(format.parse("job", written).at("last_id"), 9);
  auto [status, message] = refusal([&] { format.write({{"page", "p3"}, {"cursor", 1}}); });
  EXPECT_EQ(status, ATSM_INTERNAL);
  EXPECT_NE(message.find("'cursor'"), std::string::npos) << message;
}

// A host whose cancellation flag the test sets, counting how often the connector asked.
struct CancelHost {
  int asked = 0;
  bool cancelled = false;
  atsm_host_services services{};
  CancelHost() {
    services.struct_size = sizeof services;
    services.abi_version = ATSM_ABI_VERSION;
    services.host = this;
    services.is_cancelled = [](void* host) -> int32_t {
      auto* self = static_cast<CancelHost*>(host);
      ++self->asked;
      return self->cancelled ? 1 : 0;
    };
  }
};

TEST(KitPause, ReturnsWhenNotCancelledAndStopsWithCancelledWhenTheHostCancels) {
  CancelHost quiet;
  atsm::sdk::Host host(&quiet.services);
  EXPECT_NO_THROW(kit::pause(host, std::chrono::milliseconds(120)));
  EXPECT_GE(quiet.asked, 2);  // asked before and while waiting, not only at the end

  CancelHost stopped;
  stopped.cancelled = true;
  atsm::sdk::Host cancelled_host(&stopped.services);
  auto [status, message] =
      refusal([&] { kit::pause(cancelled_host, std::chrono::hours(1)); });  // returns at once
  EXPECT_EQ(status, ATSM_CANCELLED);
}

}  // namespace

// docs/mapping.md "Bad source data": a record with one bad field carries
// validation_errors: [{"field", "message"}], which the host lists in the report.
TEST(KitValidationErrors, AreWrittenAsTheDocumentedMemberAndCounted) {
  kit::ValidationErrors errors;
  atsm::model::Person person;
  errors.write_to(person.extra);
  EXPECT_FALSE(person.extra.contains("validation_errors")) << "a clean record carries none";
  EXPECT_EQ(kit::validation_error_count(atsm::model::Record(person)), 0u);

  errors.add("emails[1]", "\"not-an-email\" is not an email address");
  errors.add("created_at", "\"yesterday\" is not a time");
  EXPECT_FALSE(errors.empty());
  errors.write_to(person.extra);
  EXPECT_EQ(json::serialize(person.extra.at("validation_errors")),
            R"([{"field":"emails[1]","message":"\"not-an-email\" is not an email address"},)"
            R"({"field":"created_at","message":"\"yesterday\" is not a time"}])");
  EXPECT_EQ(kit::validation_error_count(atsm::model::Record(person)), 2u);
}
