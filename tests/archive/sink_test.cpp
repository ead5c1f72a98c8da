// The archive sink against a fake host: bad values (formula injection, invalid UTF-8, text past
// XLSX's cell limit, commas, quotes, newlines), sheet splitting, retried writes, tombstones and
// configuration errors, and read_back's typed canonical records (checked against the written
// records and sdk/schema). The files are read back by roundtrip.py (Python's csv, json, openpyxl).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <set>

#include "archive_sink.hpp"
#include "net/test_support.hpp"

namespace {

namespace json = boost::json;
using atsm::archive::ArchiveSink;
using atsm::net::testing::TempDir;

const std::string kRoundtrip = ATSM_SOURCE_DIR "/tests/archive/roundtrip.py";

// The host services the sink uses: secrets, the ledger's done keys, blobs, a log.
struct FakeHost {
  std::map<std::string, std::string> secrets = {{"ARCHIVE_HASH_KEY", "unit-test-key"}};
  std::set<std::string> done;  // "kind|key" the ledger holds as written
  std::vector<std::string> log;
  atsm_host_services table{};

  FakeHost() {
    table.struct_size = sizeof table;
    table.abi_version = ATSM_ABI_VERSION;
    table.host = this;
    table.log = [](void* host, atsm_log_level, const char* message) {
      static_cast<FakeHost*>(host)->log.emplace_back(message);
    };
    table.get_secret = [](void* host, const char* name, const atsm_output* out,
                          atsm_error* error) -> atsm_status {
      auto& secrets = static_cast<FakeHost*>(host)->secrets;
      auto found = secrets.find(name);
      if (found == secrets.end())
        return atsm_fail(error, ATSM_NOT_FOUND, "not set");
      return out->write(out->context, found->second.data(), found->second.size());
    };
    table.register_secret = [](void*, const char*) {};
    table.blob_get = [](void*, const char*, const atsm_output*, atsm_error* error) {
      return atsm_fail(error, ATSM_NOT_FOUND, "no blobs here");
    };
    table.ledger_target = [](void* host, const char* kind, const char* key, const atsm_output* out,
                             atsm_error* error) -> atsm_status {
      auto& done = static_cast<FakeHost*>(host)->done;
      if (!done.contains(std::string(kind) + "|" + key))
        return atsm_fail(error, ATSM_NOT_FOUND, "not done");
      return out->write(out->context, key, std::strlen(key));
    };
    table.is_cancelled = [](void*) -> int32_t { return 0; };
  }
  atsm::sdk::Host host() { return atsm::sdk::Host(&table); }
};

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string person_item(const std::string& id, const json::object& fields,
                        bool lookup_first = false) {
  json::object record{{"kind", "person"}, {"source", "test"}, {"source_key", "test:person:" + id}};
  for (const auto& [key, value] : fields)
    record[key] = value;
  return json::serialize(json::object{
      {"key", "test:person:" + id}, {"record", record}, {"lookup_first", lookup_first}});
}

std::string batch(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? "," : "") + items[i];
  return out + "]";
}

json::object python_read(const std::filesystem::path& dir) {
  std::string command =
      "/usr/bin/python3 " + kRoundtrip + " " + dir.string() + " --forbid /dev/null --synced-at x";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string text;
  char buffer[4096];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    text.append(buffer, got);
  EXPECT_EQ(::pclose(pipe), 0) << text;
  return json::parse(text).as_object();
}

std::string config(const std::filesystem::path& dir, const std::string& extra = "") {
  return R"({"dir":")" + dir.string() + R"(","formats":["csv","jsonl","xlsx"])" + extra + "}";
}

TEST(ArchiveSink, NeutralisesFormulasRepairsTextAndSplitsSheets) {
  TempDir temp;
  FakeHost fake;
  std::filesystem::path dir = temp.path() / "out";
  ArchiveSink sink(fake.host(), config(dir, R"(,"xlsx_max_rows":3)"));
  std::string long_text(40000, 'x');
  // Raw bytes 0xC3 0x28 are not UTF-8; the sink parses such JSON and repairs the value.
  std::string items = batch({
      person_item("1", {{"name", "=HYPERLINK(\"http://evil\",\"x\")"},
                        {"headline", "+1 (555) 0100"},
                        {"title", "-2+3"},
                        {"company", "@SUM(A1)"},
                        {"location", "Paris, \"Left Bank\"\nsecond line"}}),
      person_item("2", {{"headline", long_text}}),
      person_item("3", {{"name", "ok"}}),
  });
  items.insert(items.find("\"ok\"") + 1, "bad \xC3\x28 ");
  json::array results = json::parse(sink.write("person", items)).as_array();
  ASSERT_EQ(results.size(), 3u);
  for (const json::value& result : results)
    EXPECT_EQ(result.at("status").as_string(), "ok") << json::serialize(result);
  ASSERT_TRUE(results[2].as_object().contains("lossy"));
  EXPECT_NE(json::serialize(results[2].at("lossy")).find("persons test:person:3 field name"),
            std::string::npos);
  sink.finish("{}");

  json::object manifest = json::parse(read_text(dir / "manifest.json")).as_object();
  json::object sanitised = manifest.at("sanitised").as_object();
  EXPECT_EQ(sanitised.at("invalid_utf8_replaced").as_int64(), 1);
  EXPECT_EQ(sanitised.at("xlsx_truncated").as_int64(), 1);
  EXPECT_EQ(sanitised.at("formula_prefixed").as_int64(), 8);  // 4 values x (CSV + XLSX)
  EXPECT_EQ(manifest.at("xlsx_sheets").at("persons").as_array().size(), 2u);  // 2 + 1 rows

  std::string csv = read_text(dir / "persons.csv");
  EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""), std::string::npos) << csv;
  EXPECT_NE(csv.find(",'+1 (555) 0100,"), std::string::npos);
  EXPECT_NE(csv.find(",'@SUM(A1),"), std::string::npos);
  EXPECT_NE(csv.find("\"Paris, \"\"Left Bank\"\"\nsecond line\""), std::string::npos);
  EXPECT_NE(csv.find("bad \xEF\xBF\xBD( ok"), std::string::npos);
  std::string jsonl = read_text(dir / "persons.jsonl");
  EXPECT_NE(jsonl.find(R"("name":"=HYPERLINK)"), std::string::npos);  // data, not a sheet
  // Python reads every format back to the same values (XLSX's truncated cell aside).
  json::object back = python_read(dir);
  EXPECT_TRUE(back.at("errors").as_array().empty()) << json::serialize(back.at("errors"));
  EXPECT_EQ(back.at("tables").at("persons").as_int64(), 3);
}

TEST(ArchiveSink, RetriedWriteIsAdoptedNotDuplicated) {
  TempDir temp;
  FakeHost fake;
  std::filesystem::path dir = temp.path() / "out";
  ArchiveSink sink(fake.host(), config(dir));
  std::string item =
      person_item("1", {{"name", "Ada"}, {"emails", json::array{{{"address", "a@x.io"}}}}});
  EXPECT_EQ(json::parse(sink.write("person", batch({item}))).at(0).at("target_id").as_string(),
            "test:person:1");
  // The answer was lost: the host retries with lookup_first, or asks find first.
  std::string retried =
      person_item("1", {{"name", "Ada"}, {"emails", json::array{{{"address", "a@x.io"}}}}}, true);
  EXPECT_EQ(sink.find("person", retried), std::optional<std::string>("test:person:1"));
  EXPECT_EQ(sink.find("person", person_item("2", {})), std::nullopt);
  EXPECT_EQ(json::parse(sink.write("person", batch({retried}))).at(0).at("target_id").as_string(),
            "test:person:1");
  json::object back = json::parse(*sink.read_back("person", "test:person:1")).as_object();
  EXPECT_EQ(back.at("name").as_string(), "Ada");
  EXPECT_EQ(back.at("tables").at("person_emails").as_array().size(), 1u);
  EXPECT_EQ(sink.read_back("person", "test:person:2"), std::nullopt);
  sink.finish("{}");
  json::object manifest = json::parse(read_text(dir / "manifest.json")).as_object();
  EXPECT_EQ(manifest.at("tables").at("persons").at("rows").as_int64(), 1);
  EXPECT_EQ(manifest.at("tables").at("person_emails").at("rows").as_int64(), 1);
}

TEST(ArchiveSink, RecordsGoneFromTheSourceBecomeTombstonesInAppendMode) {
  TempDir temp;
  FakeHost fake;
  std::filesystem::path dir = temp.path() / "out";
  {
    ArchiveSink first(fake.host(), config(dir, R"(,"mode":"append")"));
    first.write("person",
                batch({person_item("1", {{"name", "Ada"}}), person_item("2", {{"name", "Bob"}}),
                       person_item("3", {{"name", "Cy"}})}));
    first.finish("{}");
  }
  // Run 2: person 1 changed, 2 is gone, 3 is unchanged and not re-sent (the ledger has it).
  fake.done.insert("person|test:person:3");
  ArchiveSink second(fake.host(), config(dir, R"(,"mode":"append")"));
  second.write("person", batch({person_item("1", {{"name", "Ada Lovelace"}})}));
  second.finish("{}");
  json::object manifest = json::parse(read_text(dir / "manifest.json")).as_object();
  EXPECT_EQ(manifest.at("removed_since_last_run").as_int64(), 1);
  std::string synced(manifest.at("run_started_at").as_string());
  json::object back = python_read(dir);
  EXPECT_TRUE(back.at("errors").as_array().empty()) << json::serialize(back.at("errors"));
  EXPECT_EQ(back.at("tables").at("persons").as_int64(), 5);  // 3 + changed 1 + tombstone 2
  std::string csv = read_text(dir / "persons.csv");
  EXPECT_NE(csv.find("test:person:1,Ada Lovelace"), std::string::npos);
  EXPECT_NE(csv.find("test:person:2,Bob,"), std::string::npos);
  EXPECT_NE(csv.find("," + synced + ",true\r\n"), std::string::npos) << csv;
  // A snapshot dir cannot be continued in append mode, nor the other way round.
  try {
    ArchiveSink wrong(fake.host(), config(dir, R"(,"mode":"snapshot")"));
    FAIL() << "mode change accepted";
  } catch (const atsm::sdk::Error& error) {
    EXPECT_NE(std::string(error.what()).find("holds an archive written in mode append"),
              std::string::npos);
  }
}

TEST(ArchiveSink, SnapshotDropsWhatTheSourceNoLongerHas) {
  TempDir temp;
  FakeHost fake;
  std::filesystem::path dir = temp.path() / "out";
  {
    ArchiveSink first(fake.host(), config(dir));
    first.write("person",
                batch({person_item("1", {{"name", "Ada"}}), person_item("2", {{"name", "Bob"}})}));
    first.finish("{}");
  }
  ArchiveSink second(fake.host(), config(dir, R"(,"tables":["persons"])"));
  second.write("person", batch({person_item("1", {{"name", "Ada"}})}));
  second.finish("{}");
  std::string csv = read_text(dir / "persons.csv");
  EXPECT_EQ(csv.find("test:person:2"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "person_emails.csv"));  // no longer chosen
}

TEST(ArchiveSink, ConfigurationErrorsNameTheKeyAndTheValidChoices) {
  TempDir temp;
  FakeHost fake;
  auto message = [&](const std::string& config_json) {
    try {
      ArchiveSink sink(fake.host(), config_json);
    } catch (const atsm::sdk::Error& error) {
      EXPECT_EQ(error.status(), ATSM_INVALID);
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  std::string dir = (temp.path() / "out").string();
  EXPECT_NE(message(R"({"dir":")" + dir + R"(","columns":{"persons":["name","shoe_size"]}})")
                .find("table persons has no column 'shoe_size'; valid columns: source, "
                      "source_key, name, first_name"),
            std::string::npos);
  EXPECT_NE(message(R"({"dir":")" + dir + R"(","tables":"persons,people"})")
                .find("unknown table 'people'; valid tables: users, departments"),
            std::string::npos);
  EXPECT_NE(message(R"({"dir":")" + dir + R"(","formats":"csv,xls"})").find("csv, jsonl, xlsx"),
            std::string::npos);
  EXPECT_NE(message(R"({"dir":")" + dir + R"(","colour":"red"})").find("unknown key 'colour'"),
            std::string::npos);
  EXPECT_NE(message("{}").find("'dir' is required"), std::string::npos);
  fake.secrets.clear();
  EXPECT_NE(message(R"({"dir":")" + dir + R"(","hash_columns":["person_emails.address"]})")
                .find("needs the secret ARCHIVE_HASH_KEY"),
            std::string::npos);
}

// A schema node with the document its local $refs point into.
struct SchemaAt {
  const json::object* node;
  const json::object* doc;
};

const json::object& schema_of(const std::string& name) {
  static std::map<std::string, json::object> loaded;
  auto found = loaded.find(name);
  if (found == loaded.end()) {
    std::string text = read_text(ATSM_SOURCE_DIR "/sdk/schema/" + name + ".schema.json");
    found = loaded.emplace(name, json::parse(text).as_object()).first;
  }
  return found->second;
}

SchemaAt resolve(SchemaAt at) {
  while (const json::value* ref = at.node->if_contains("$ref")) {
    std::string text(ref->as_string());
    const json::object* doc = text.starts_with("#") ? at.doc : &schema_of("common");
    std::string name = text.substr(text.rfind('/') + 1);
    at = {&doc->at("$defs").at(name).as_object(), doc};
  }
  return at;
}

// Every member of `value` the schema declares has the JSON type the schema gives it, nested
// elements included.
void expect_schema_types(const json::value& value, SchemaAt at, const std::string& path) {
  at = resolve(at);
  if (const json::value* type = at.node->if_contains("type")) {
    const std::string name(type->as_string());
    bool ok = name == "string"    ? value.is_string()
              : name == "boolean" ? value.is_bool()
              : name == "integer" ? value.is_int64() || value.is_uint64()
              : name == "number"  ? value.is_number()
              : name == "array"   ? value.is_array()
              : name == "object"  ? value.is_object()
                                  : false;
    EXPECT_TRUE(ok) << path << " should be a JSON " << name << ", is " << json::serialize(value);
  }
  if (const json::value* items = at.node->if_contains("items"); items && value.is_array()) {
    size_t index = 0;
    for (const json::value& element : value.as_array())
      expect_schema_types(element, {&items->as_object(), at.doc},
                          path + "[" + std::to_string(index++) + "]");
  }
  if (const json::value* properties = at.node->if_contains("properties");
      properties && value.is_object()) {
    for (const auto& [name, member] : value.as_object()) {
      if (const json::value* declared = properties->as_object().if_contains(name))
        expect_schema_types(member, {&declared->as_object(), at.doc},
                            path + "." + std::string(name));
    }
  }
}

// Canonical records with every list, object, number and boolean field the archive's tables hold
// (README's table list), written through prepare (reference kinds) or write.
const std::vector<std::pair<std::string, json::object>>& typed_records() {
  static const std::vector<std::pair<std::string, json::object>> records = [] {
    auto record = [](const std::string& kind, json::object fields) {
      json::object out{{"kind", kind}, {"source", "test"}, {"source_key", "test:" + kind + ":1"}};
      for (auto& [key, value] : fields)
        out[key] = std::move(value);
      return std::make_pair(kind, std::move(out));
    };
    json::array custom_values{
        json::object{{"field_key", "test:custom_field:1"}, {"name", "Level"}, {"value", 42}},
        json::object{{"field_key", "test:custom_field:2"}, {"value", json::array{"a", "b"}}},
        json::object{{"field_key", "test:custom_field:3"}, {"value", nullptr}},
        json::object{{"field_key", "test:custom_field:4"}, {"value", true}},
        json::object{{"field_key", "test:custom_field:5"}, {"value", 2.5}},
        json::object{{"field_key", "test:custom_field:6"},
                     {"value", json::object{{"amount", 100}, {"currency", "EUR"}}}},
        json::object{{"field_key", "test:custom_field:7"}, {"value", "true"}}};
    return std::vector<std::pair<std::string, json::object>>{
        record(
            "user",
            {{"name", "Uma"}, {"email", "uma@x.io"}, {"active", false}, {"access_role", "admin"}}),
        record("custom_field",
               {{"name", "Level"},
                {"object", "person"},
                {"field_type", "single_select"},
                {"options", json::array{json::object{{"name", "Junior"}, {"key", "j"}},
                                        json::object{{"name", "Senior"}}}}}),
        record("stage", {{"name", "Screen"},
                         {"job_key", "test:job:1"},
                         {"order", 3},
                         {"stage_type", "screen"}}),
        record("department", {{"name", "R&D"}, {"parent_key", "test:department:0"}}),
        record("job", {{"title", "Engineer"},
                       {"status", "open"},
                       {"confidential", true},
                       {"department_keys", json::array{"test:department:1", "test:department:2"}},
                       {"office_keys", json::array{"test:office:1"}},
                       {"hiring_manager_user_keys", json::array{}},
                       {"created_at", "2021-01-02T03:04:05Z"},
                       {"custom_fields", custom_values}}),
        record("person",
               {{"name", "Ada"},
                {"emails", json::array{json::object{{"address", "Ada@X.io"},
                                                    {"normalized", "ada@x.io"},
                                                    {"type", "work"}},
                                       json::object{{"address", "ada@home.io"}}}},
                {"phones", json::array{json::object{{"number", "+44 20 7946 0000"}}}},
                {"links",
                 json::array{json::object{{"url", "https://github.com/ada"}, {"type", "github"}}}},
                {"addresses", json::array{json::object{{"value", "1 Main St"}, {"type", "home"}}}},
                {"tags", json::array{"python", "rust"}},
                {"is_private", false},
                {"confidential", true},
                {"anonymized", false},
                {"custom_fields", custom_values}}),
        record(
            "candidacy",
            {{"person_key", "test:person:1"},
             {"job_key", "test:job:1"},
             {"status", "active"},
             {"stage_history", json::array{json::object{{"stage_key", "test:stage:1"},
                                                        {"entered_at", "2021-01-02T03:04:05Z"},
                                                        {"by_user_key", "test:user:1"}},
                                           json::object{{"stage_key", "test:stage:2"},
                                                        {"entered_at", "2021-02-02T03:04:05.5Z"}}}},
             {"sources",
              json::array{json::object{{"source_key", "test:source:1"}, {"name", "Referral"}},
                          json::object{{"name", "LinkedIn"}}}},
             {"tags", json::array{"fast-track"}},
             {"is_prospect", true},
             {"confidential", false},
             {"custom_fields", custom_values}}),
        record("note", {{"person_key", "test:person:1"},
                        {"body", "<p>Hi</p>"},
                        {"body_format", "html"},
                        {"is_private", true},
                        {"deleted", false}}),
        record("feedback",
               {{"person_key", "test:person:1"},
                {"recommendation", "yes"},
                {"fields",
                 json::array{json::object{{"label", "Coding"},
                                          {"type", "rating"},
                                          {"value", 4},
                                          {"scale", json::object{{"min", 1}, {"max", 5}}}},
                             json::object{{"label", "Areas"},
                                          {"type", "multiple_select"},
                                          {"value", json::array{"x", "y"}},
                                          {"note", "both"}},
                             json::object{{"label", "Hire?"}, {"type", "yes_no"}, {"value", false}},
                             json::object{{"label", "Unanswered"}, {"type", "text"}}}}}),
        record("interview", {{"person_key", "test:person:1"},
                             {"feedback_keys", json::array{"test:feedback:1", "test:feedback:2"}},
                             {"interviewers", json::array{json::object{{"user_key", "test:user:1"},
                                                                       {"name", "Uma"}},
                                                          json::object{{"name", "Guest"}}}}}),
        record("offer",
               {{"person_key", "test:person:1"},
                {"fields", json::array{json::object{{"label", "Salary"}, {"value", 120000}},
                                       json::object{{"label", "Remote"}, {"value", true}},
                                       json::object{{"label", "Bonus"}, {"value", 1.5}},
                                       json::object{{"label", "Notes"}}}}}),
        record("file", {{"person_key", "test:person:1"},
                        {"file_name", "cv.pdf"},
                        {"size", 2048},
                        {"is_resume", true}}),
    };
  }();
  return records;
}

bool planned(const std::string& kind) {
  return kind == "user" || kind == "custom_field" || kind == "stage";
}

// Hands every typed record to the sink: the reference kinds in prepare's plan, the rest written.
void write_typed_records(ArchiveSink& sink) {
  json::object references;
  for (const auto& [kind, record] : typed_records()) {
    if (planned(kind))
      references[kind] = json::array{record};
  }
  sink.prepare(json::serialize(json::object{{"source", "test"}, {"references", references}}));
  for (const auto& [kind, record] : typed_records()) {
    if (planned(kind))
      continue;
    json::array answer =
        json::parse(sink.write(kind, json::serialize(json::array{json::object{
                                         {"key", record.at("source_key")}, {"record", record}}})))
            .as_array();
    ASSERT_EQ(answer.at(0).at("status").as_string(), "ok") << json::serialize(answer);
  }
}

TEST(ArchiveSink, ReadBackAnswersEachRecordWithItsCanonicalJsonTypes) {
  TempDir temp;
  FakeHost fake;
  std::filesystem::path dir = temp.path() / "out";
  ArchiveSink sink(fake.host(), config(dir));
  write_typed_records(sink);
  for (const auto& [kind, written] : typed_records()) {
    SCOPED_TRACE(kind);
    // The test's own records are canonical, as the schema types them.
    expect_schema_types(written, {&schema_of(kind), &schema_of(kind)}, "written " + kind);
    std::optional<std::string> answer =
        sink.read_back(kind, std::string(written.at("source_key").as_string()));
    ASSERT_TRUE(answer.has_value());
    json::object back = json::parse(*answer).as_object();
    ASSERT_TRUE(back.contains("tables"));  // the rows as the files show them
    back.erase("tables");
    expect_schema_types(back, {&schema_of(kind), &schema_of(kind)}, "read back " + kind);
    // Every member written comes back with its value and JSON type; nothing else comes back
    // (members the record did not have stay absent).
    for (const auto& [name, value] : written)
      EXPECT_EQ(back.contains(name) ? back.at(name) : json::value("<absent>"), value)
          << kind << "." << name;
    for (const auto& [name, value] : back)
      EXPECT_TRUE(written.contains(name)) << kind << "." << name << " was not written";
  }
  EXPECT_EQ(sink.read_back("job", "test:job:2"), std::nullopt);
}

TEST(ArchiveSink, FilesKeepTheTextFormOfTypedValues) {
  TempDir temp;
  FakeHost fake;
  std::filesystem::path dir = temp.path() / "out";
  ArchiveSink sink(fake.host(), config(dir));
  write_typed_records(sink);
  sink.finish("{}");
  // README: every value is text, numbers and booleans as JSON spells them, arrays and objects as
  // JSON text, an absent value null (JSON Lines) or an empty field (CSV).
  auto first_line = [&](const std::string& file) {
    std::string text = read_text(dir / file);
    return json::parse(text.substr(0, text.find('\n'))).as_object();
  };
  json::object job = first_line("jobs.jsonl");
  EXPECT_EQ(job.at("department_keys"), json::value(R"(["test:department:1","test:department:2"])"));
  EXPECT_EQ(job.at("hiring_manager_user_keys"), json::value("[]"));
  EXPECT_EQ(job.at("confidential"), json::value("true"));
  EXPECT_EQ(job.at("team"), json::value(nullptr));
  EXPECT_EQ(first_line("stages.jsonl").at("order"), json::value("3"));
  EXPECT_EQ(first_line("files.jsonl").at("size"), json::value("2048"));
  std::string values = read_text(dir / "custom_field_values.csv");
  EXPECT_NE(values.find("job,test:job:1,1,test:custom_field:1,Level,42\r\n"), std::string::npos)
      << values;
  EXPECT_NE(values.find("job,test:job:1,2,test:custom_field:2,,\"[\"\"a\"\",\"\"b\"\"]\"\r\n"),
            std::string::npos);
  EXPECT_NE(values.find("job,test:job:1,3,test:custom_field:3,,\r\n"), std::string::npos);
  EXPECT_NE(values.find("job,test:job:1,4,test:custom_field:4,,true\r\n"), std::string::npos);
  EXPECT_NE(values.find("job,test:job:1,5,test:custom_field:5,,2.5\r\n"), std::string::npos);
  EXPECT_NE(values.find(
                R"(job,test:job:1,6,test:custom_field:6,,"{""amount"":100,""currency"":""EUR""}")"),
            std::string::npos);
  json::object back = python_read(dir);
  EXPECT_TRUE(back.at("errors").as_array().empty()) << json::serialize(back.at("errors"));
}

TEST(ArchiveSink, ReadBackOfAGroupAnswersTheItemsOwnRecord) {
  TempDir temp;
  FakeHost fake;
  ArchiveSink sink(fake.host(), config(temp.path() / "out"));
  auto person = [](const std::string& key, const std::string& address) {
    return json::object{{"kind", "person"},
                        {"source", "test"},
                        {"source_key", key},
                        {"emails", json::array{json::object{{"address", address}}}}};
  };
  // The other record's key starts like the item's child rows ("test:person:1#...").
  json::object item{{"key", "test:person:1"},
                    {"record", person("test:person:1", "one@x.io")},
                    {"group", json::array{person("test:person:1#2", "other@x.io")}}};
  sink.write("person", json::serialize(json::array{item}));
  json::object back = json::parse(*sink.read_back("person", "test:person:1")).as_object();
  EXPECT_EQ(back.at("source_key"), json::value("test:person:1"));
  EXPECT_EQ(back.at("emails"), (json::array{json::object{{"address", "one@x.io"}}}));
  EXPECT_EQ(back.at("tables").at("persons").as_array().size(), 2u);
}

TEST(ArchiveSink, HashedColumnReadsBackAsItsHash) {
  TempDir temp;
  FakeHost fake;
  std::filesystem::path dir = temp.path() / "out";
  ArchiveSink sink(fake.host(), config(dir, R"(,"hash_columns":["person_emails.address"])"));
  sink.write("person",
             batch({person_item(
                 "1", {{"emails", json::array{{{"address", "a@x.io"}, {"type", "work"}}}}})}));
  json::object back = json::parse(*sink.read_back("person", "test:person:1")).as_object();
  json::value email = back.at("emails").at(0);
  EXPECT_EQ(email.at("type"), json::value("work"));
  std::string hash(email.at("address").as_string());
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(read_text(dir / ".atsm-archive.sqlite").find("a@x.io"), std::string::npos);
}

// A state written before rows kept their typed values (no `fields` column) is upgraded in place:
// read_back answers its text until the record is written again, and that rewrite, its text
// unchanged, adds no row to an append archive.
TEST(ArchiveSink, StateWithoutTypedValuesIsUpgradedWithoutNewAppendRows) {
  TempDir temp;
  FakeHost fake;
  std::filesystem::path dir = temp.path() / "out";
  const json::object& job = typed_records()[4].second;
  ASSERT_EQ(job.at("kind"), json::value("job"));
  std::string item =
      json::serialize(json::array{json::object{{"key", "test:job:1"}, {"record", job}}});
  {
    ArchiveSink first(fake.host(), config(dir, R"(,"mode":"append")"));
    first.write("job", item);
    first.finish("{}");
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / ".atsm-archive.sqlite").c_str(), &db), SQLITE_OK);
  // The earlier version's state: no typed values, and item hashes over the text alone.
  EXPECT_EQ(sqlite3_exec(db, "ALTER TABLE rows DROP COLUMN fields; UPDATE items SET hash='text'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  std::string before = read_text(dir / "jobs.csv");
  ArchiveSink second(fake.host(), config(dir, R"(,"mode":"append")"));
  json::object old = json::parse(*second.read_back("job", "test:job:1")).as_object();
  EXPECT_EQ(old.at("confidential"), json::value("true"));  // the text is all it had
  second.write("job", item);
  json::object back = json::parse(*second.read_back("job", "test:job:1")).as_object();
  EXPECT_EQ(back.at("confidential"), json::value(true));
  EXPECT_EQ(back.at("department_keys"), job.at("department_keys"));
  EXPECT_EQ(back.at("custom_fields"), job.at("custom_fields"));
  second.finish("{}");
  std::string after = read_text(dir / "jobs.csv");
  EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), 2) << after;  // header + the one row
  EXPECT_EQ(std::count(before.begin(), before.end(), '\n'), 2) << before;
}

}  // namespace
