// The archive sink against a fake host: bad values (formula injection, invalid UTF-8, text past
// XLSX's cell limit, commas, quotes, newlines), sheet splitting, retried writes, tombstones and
// configuration errors. The files are read back by roundtrip.py (Python's csv, json, openpyxl).
#include <gtest/gtest.h>

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

}  // namespace
