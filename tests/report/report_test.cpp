// The reconciliation report (issue 9) end to end: the real `atsmigrate` binary migrates the
// sandbox's Lever account into the emulated Ashby, and the report.json and report.html it writes
// are checked against independent sources: the SDK's JSON Schema (python3-jsonschema), the
// sandbox's ground truth (computed by the sandbox from its own data), and what headless Chromium
// makes of the page.
#include <gtest/gtest.h>
#include <gumbo.h>
#include <unistd.h>

#include <fmt/format.h>
#include <httplib.h>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>

#include "ashby_spec_validator.hpp"
#include "net/test_support.hpp"
#include "process.hpp"
#include "report/report.hpp"
#include "sandbox/dataset.hpp"
#include "sandbox/sandbox.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using atsm::net::testing::TempDir;

const std::string kAtsmigrate = ATSM_BINARY_DIR "/bin/atsmigrate";
// The API key's user in the sandbox's default Ashby setup: unmatched users are credited to it.
const std::string kFallbackUser = "migration-bot@acme.example";
// A Lever stage of the sandbox (type screen) and the Ashby stage of another phase it is
// deliberately mapped to.
const std::string kScreenStage = "Recruiter Screen";
const std::string kOfferStage = "Offer";

struct Outcome {
  int exit_code = -1;
  std::string output;  // standard output (and standard error unless kept apart)
  std::string errors;  // standard error when kept apart
};

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Runs `program` (searched in PATH) with `args`; standard error goes beside standard output
// unless `split_errors`.
Outcome run_program(const std::string& program, std::vector<std::string> args,
                    const fs::path& scratch, bool split_errors = false,
                    const std::map<std::string, std::string>& env = {}) {
  atsm::testing::ProcessOptions options;
  options.output_file = scratch / "stdout.txt";
  if (split_errors)
    options.errors_file = scratch / "stderr.txt";
  options.search_path = true;
  options.set_env = env;
  args.insert(args.begin(), program);
  atsm::testing::ProcessOutcome ran = atsm::testing::run_process(args, options);
  return Outcome{ran.exit_code, std::move(ran.output), std::move(ran.errors)};
}

// Chromium from PATH; empty when it is not installed.
std::string find_chromium() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    std::string dir =
        dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    for (const char* name : {"chromium", "chromium-browser"}) {
      fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0)
        return candidate.string();
    }
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return "";
}

// --- A small DOM over gumbo, for what Chromium dumps. ---

struct Dom {
  explicit Dom(const std::string& html) : text(html), output(gumbo_parse(text.c_str())) {}
  ~Dom() { gumbo_destroy_output(&kGumboDefaultOptions, output); }
  Dom(const Dom&) = delete;
  Dom& operator=(const Dom&) = delete;
  std::string text;
  GumboOutput* output;
};

void each_element(const GumboNode* node, const std::function<void(const GumboNode*)>& visit) {
  if (node->type != GUMBO_NODE_ELEMENT)
    return;
  visit(node);
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i)
    each_element(static_cast<const GumboNode*>(children.data[i]), visit);
}

std::string attribute(const GumboNode* node, const char* name) {
  const GumboAttribute* found = gumbo_get_attribute(&node->v.element.attributes, name);
  return found ? found->value : "";
}

bool has_class(const GumboNode* node, const std::string& name) {
  std::string classes = " " + attribute(node, "class") + " ";
  return classes.find(" " + name + " ") != std::string::npos;
}

// The element with `id` and its position in document order (-1 when absent).
std::pair<const GumboNode*, int> by_id(const GumboNode* root, const std::string& id) {
  const GumboNode* found = nullptr;
  int position = -1, index = 0;
  each_element(root, [&](const GumboNode* node) {
    if (!found && attribute(node, "id") == id) {
      found = node;
      position = index;
    }
    ++index;
  });
  return {found, position};
}

std::vector<const GumboNode*> elements(const GumboNode* root, GumboTag tag) {
  std::vector<const GumboNode*> found;
  each_element(root, [&](const GumboNode* node) {
    if (node->v.element.tag == tag)
      found.push_back(node);
  });
  return found;
}

void append_text(const GumboNode* node, std::string& out) {
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE) {
    out += node->v.text.text;
    return;
  }
  if (node->type != GUMBO_NODE_ELEMENT)
    return;
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i)
    append_text(static_cast<const GumboNode*>(children.data[i]), out);
}

std::string text_of(const GumboNode* node) {
  std::string out;
  if (node)
    append_text(node, out);
  return out;
}

// The table that follows the heading with `id` (report_html puts each in a div.scroll).
const GumboNode* table_after(const GumboNode* root, const std::string& id) {
  auto [heading, position] = by_id(root, id);
  if (!heading)
    return nullptr;
  const GumboNode* table = nullptr;
  int index = 0;
  each_element(root, [&](const GumboNode* node) {
    if (!table && index > position && node->v.element.tag == GUMBO_TAG_TABLE)
      table = node;
    ++index;
  });
  return table;
}

// Rows of a table's tbody, each as its cells' text.
std::vector<std::vector<std::string>> body_rows(const GumboNode* table) {
  std::vector<std::vector<std::string>> rows;
  if (!table)
    return rows;
  for (const GumboNode* body : elements(table, GUMBO_TAG_TBODY))
    for (const GumboNode* row : elements(body, GUMBO_TAG_TR)) {
      std::vector<std::string> cells;
      for (const GumboNode* cell : elements(row, GUMBO_TAG_TD))
        cells.push_back(text_of(cell));
      rows.push_back(std::move(cells));
    }
  return rows;
}

// Width and height from a PNG's IHDR chunk; {0, 0} when the file is no PNG.
std::pair<uint32_t, uint32_t> png_size(const fs::path& file) {
  std::string bytes = read_file(file);
  if (bytes.size() < 24 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
      bytes.compare(12, 4, "IHDR") != 0)
    return {0, 0};
  auto be32 = [&](size_t at) {
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i)
      value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
    return value;
  };
  return {be32(16), be32(20)};
}

class Report : public ::testing::Test {
 protected:
  void start(int persons) {
    atsm::sandbox::Options options;
    options.seed = 21;
    options.persons = persons;
    options.rate_scale = 50;  // every limit x50: the same shape, a test-sized wall time
    sandbox = std::make_unique<atsm::sandbox::Sandbox>(options);
    sandbox->start();
    credentials = dir.path() / "credentials";
    atsm::sandbox::write_credentials_file(credentials, sandbox->credentials());
    // Ashby's traffic through the validating proxy (tests/support/ashby_spec_validator.hpp).
    spec_validator = atsm::testing::start_ashby_spec_validator(sandbox->endpoints().ashby_url);
  }

  void TearDown() override { atsm::testing::expect_no_ashby_spec_violations(spec_validator.get()); }

  fs::path work() const { return dir.path() / "work"; }

  std::vector<std::string> args(const std::string& command = "") {
    const auto& endpoints = sandbox->endpoints();
    const std::string ashby_url =
        atsm::testing::ashby_url_through(spec_validator.get(), endpoints.ashby_url);
    // The dataset holds confidential jobs: written at once, not held for the operator.
    std::vector<std::string> args = {
        "--source",      "lever",
        "--sink",        "ashby",
        "--workdir",     work().string(),
        "--credentials", credentials.string(),
        "--set",         "lever.base_url=" + endpoints.lever_url + "/v1",
        "--set",         "lever.rate_scale=50",
        "--set",         "ashby.base_url=" + ashby_url,
        "--set",         "ashby.rate_limit_per_minute=50000",
        "--set",         "ashby.confidential_jobs=proceed"};
    if (!command.empty())
      args.insert(args.begin(), command);
    return args;
  }

  Outcome atsmigrate(const std::vector<std::string>& arguments) {
    return run_program(kAtsmigrate, arguments, dir.path());
  }

  // The first plan writes the starter mapping; the operator accepts it with a fallback user.
  json::object plan_and_accept() {
    atsmigrate(args("plan"));
    fs::path file = work() / "mapping.json";
    EXPECT_TRUE(fs::exists(file)) << "plan must write a starter mapping";
    json::object mapping = json::parse(read_file(file)).as_object();
    mapping["options"].as_object()["fallback_user"] = kFallbackUser;
    return mapping;
  }

  void write_mapping(const json::object& mapping) {
    std::ofstream(work() / "mapping.json") << json::serialize(mapping);
  }

  // The accepted mapping with the Lever screen stage sent to Ashby's Offer stage: names and
  // types disagree, the target accepts it, only the read-back can tell.
  void break_stage_mapping(json::object& mapping) {
    json::object& stages = mapping.at("stage").as_object();
    json::object* screen = nullptr;
    const json::value* offer_target = nullptr;
    for (auto& [key, entry] : stages) {
      if (entry.at("name") == kScreenStage.c_str())
        screen = &entry.as_object();
      if (entry.at("name") == kOfferStage.c_str())
        offer_target = &entry.at("target");
    }
    ASSERT_NE(screen, nullptr) << json::serialize(stages);
    ASSERT_TRUE(offer_target && offer_target->is_string()) << json::serialize(stages);
    ASSERT_NE(screen->at("target"), *offer_target);
    screen->at("target") = *offer_target;
  }

  json::object report_json() const {
    return json::parse(read_file(work() / "report.json")).as_object();
  }

  json::object sandbox_get(const std::string& path) {
    httplib::Client client("127.0.0.1", sandbox->endpoints().ashby_port);
    client.set_read_timeout(60, 0);
    auto response = client.Get(path.c_str());
    EXPECT_TRUE(response) << path;
    return response ? json::parse(response->body).as_object() : json::object();
  }

  // Validates report.json with python3-jsonschema against the SDK's schema.
  void expect_valid_report() {
    Outcome validation = run_program(
        ATSM_PYTHON3,
        {ATSM_VALIDATE_REPORT, "--schema", ATSM_REPORT_SCHEMA, (work() / "report.json").string()},
        dir.path());
    EXPECT_EQ(validation.exit_code, 0) << validation.output;
  }

  // "Personal data in the report is limited to ids and what a mismatch needs" (issue 9): no
  // name, email or phone number of the sandbox's candidates (regenerated from the same seed) is
  // in report.json or report.html when nothing mismatched on them.
  void expect_no_personal_data() {
    const atsm::sandbox::Options& options = sandbox->options();
    atsm::sandbox::Dataset data = atsm::sandbox::generate_dataset(options.seed, options.persons);
    std::set<std::string> personal;
    for (const auto& contact : data.lever.contacts) {
      personal.insert(contact.name);
      personal.insert(contact.emails.begin(), contact.emails.end());
      for (const auto& phone : contact.phones)
        personal.insert(phone.value);
    }
    personal.erase("");
    ASSERT_GT(personal.size(), 20u);
    for (const char* name : {"report.json", "report.html"}) {
      std::string text = read_file(work() / name);
      for (const std::string& value : personal)
        EXPECT_EQ(text.find(value), std::string::npos) << name << " holds personal data: " << value;
    }
  }

  TempDir dir;
  std::unique_ptr<atsm::sandbox::Sandbox> sandbox;
  std::unique_ptr<atsm::testing::AshbySpecValidator> spec_validator;
  fs::path credentials;
};

// Small enough that every candidacy is read back (the sample takes at least 50 of each kind).
constexpr int kPersons = 25;

TEST_F(Report, CleanMigrationReportIsCleanAndValidatesAgainstTheSchema) {
  start(kPersons);
  write_mapping(plan_and_accept());
  Outcome migration = atsmigrate(args());
  ASSERT_EQ(migration.exit_code, 0) << migration.output;
  EXPECT_NE(migration.output.find("Reconciliation: clean."), std::string::npos) << migration.output;
  expect_valid_report();

  json::object report = report_json();
  const json::object& summary = report.at("summary").as_object();
  EXPECT_EQ(summary.at("verdict"), "clean");
  EXPECT_EQ(summary.at("unexplained"), 0);
  EXPECT_EQ(summary.at("mismatches"), 0);
  EXPECT_EQ(summary.at("failed"), 0);
  EXPECT_TRUE(report.at("unexplained").as_array().empty())
      << json::serialize(report.at("unexplained"));
  EXPECT_TRUE(report.at("mismatches").as_array().empty())
      << json::serialize(report.at("mismatches"));
  EXPECT_GT(summary.at("read_back_checked").to_number<int64_t>(), 0);
  EXPECT_TRUE(report.contains("last_run")) << "a migration's report describes its run";

  // Against the sandbox's ground truth: every application and every file is in the report.
  json::object truth = sandbox_get("/_sandbox/truth?source=lever");
  int64_t applications = 0, files = 0;
  for (const json::value& person : truth.at("persons").as_array()) {
    applications += static_cast<int64_t>(person.at("applications").as_array().size());
    files += static_cast<int64_t>(person.at("files").as_array().size());
  }
  ASSERT_GT(files, 0) << "the dataset must have files to check";
  const json::object& counts = report.at("counts").as_object();
  EXPECT_EQ(counts.at("candidacy").at("written"), applications);
  EXPECT_EQ(counts.at("file").at("written"), files);
  const json::object& read_back = report.at("read_back").as_object();
  ASSERT_TRUE(read_back.contains("file")) << json::serialize(read_back);
  EXPECT_EQ(read_back.at("file").at("cohorts").at("file_sha256"), files)
      << "every file is checked by SHA-256";
  EXPECT_EQ(read_back.at("candidacy").at("checked"), applications);

  // The read-back's own calls to Ashby are logged as a step of their own (about one read per
  // record checked), so the report's calls per vendor hold them.
  int64_t read_back_calls = 0;
  std::ifstream runs(work() / "runs.jsonl");
  for (std::string line; std::getline(runs, line);) {
    json::object run = json::parse(line).as_object();
    if (run.at("step") != "reconcile")
      continue;
    for (const auto& [bucket, metrics] : run.at("calls").at("buckets").as_object())
      if (bucket.starts_with("ashby"))
        read_back_calls += metrics.at("requests").to_number<int64_t>();
  }
  EXPECT_GE(read_back_calls, applications) << "each application read back is one call at least";

  // What the source does not migrate, declared by the Lever connector, with its reasons: among
  // them the posting fields of Lever's documented example
  // (tests/lever/docs/lever_docs_examples.json "postings_list") that the canonical job has no field
  // for.
  const json::array& unmigrated = report.at("source_fields_not_migrated").as_array();
  std::set<std::string> listed;
  for (const json::value& entry : unmigrated) {
    EXPECT_EQ(entry.at("source"), "lever");
    EXPECT_FALSE(entry.at("reason").as_string().empty()) << json::serialize(entry);
    listed.insert(std::string(entry.at("object").as_string()) + ":" +
                  std::string(entry.at("field").as_string()));
  }
  for (const char* field : {"postings_list:salaryRange.min", "postings_list:salaryRange.max",
                            "postings_list:salaryRange.currency", "postings_list:workplaceType",
                            "opportunity_retrieve:dataProtection.store.expiresAt"})
    EXPECT_TRUE(listed.count(field)) << field << " is not listed as not migrated";
  EXPECT_NE(read_file(work() / "report.html").find("Source fields not migrated"),
            std::string::npos);
  expect_no_personal_data();
}

// Many records under one reason: counted by reason class, the class listed once with its first
// 20 records and the cut said, every record one line of the records file beside the report.
// The many records: every feedback, which Ashby cannot backdate (its time goes in the text).
TEST_F(Report, ManyRecordsPerReasonAreCountedByClassListedOnceAndAllInTheRecordsFile) {
  start(40);
  write_mapping(plan_and_accept());
  Outcome migration = atsmigrate(args());
  ASSERT_EQ(migration.exit_code, 0) << migration.output;
  expect_valid_report();  // also: every class against the records file (validate_report.py)

  json::object report = report_json();
  const int64_t feedback = report.at("counts").at("feedback").at("written").as_int64();
  ASSERT_GT(feedback, 20) << "the dataset must give a cut list";
  const json::object* backdated = nullptr;
  for (const json::value& entry : report.at("reasons").as_array())
    if (entry.at("category") == "lossy" && entry.at("kind") == "feedback" &&
        entry.at("reason").as_string().starts_with("feedback cannot be backdated"))
      backdated = &entry.as_object();
  ASSERT_NE(backdated, nullptr) << json::serialize(report.at("reasons"));
  const int64_t records = backdated->at("records").as_int64();
  EXPECT_EQ(records, feedback) << "each written feedback once, however many runs wrote it";
  EXPECT_EQ(backdated->at("listed").as_array().size(), 20u);
  EXPECT_EQ(backdated->at("all_in"), "report-records.jsonl");
  EXPECT_EQ(report.at("lossy").at("feedback: " + std::string(backdated->at("reason").as_string())),
            records);
  // No class of the report names a record: a few classes, not a key per record.
  EXPECT_LT(report.at("reasons").as_array().size(), 30u) << json::serialize(report.at("reasons"));

  // The records file: 0600, one line per record of the class, each record once.
  fs::path file = work() / "report-records.jsonl";
  ASSERT_TRUE(fs::exists(file));
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  std::set<std::string> keys;
  std::ifstream lines(file);
  for (std::string line; std::getline(lines, line);) {
    json::object entry = json::parse(line).as_object();
    if (entry.at("category") == "lossy" && entry.at("reason") == backdated->at("reason")) {
      EXPECT_TRUE(keys.insert(std::string(entry.at("key").as_string())).second) << line;
    }
  }
  EXPECT_EQ(static_cast<int64_t>(keys.size()), records);

  // report.html: the class folded once, its count and the pointer to the whole list.
  std::string html = read_file(work() / "report.html");
  EXPECT_NE(html.find("<details class=\"reason\"><summary><b>" + std::to_string(records) + "</b>"),
            std::string::npos);
  EXPECT_NE(
      html.find("and " + std::to_string(records - 20) + " more (all in report-records.jsonl)"),
      std::string::npos);
}

TEST_F(Report, ReportCommandAloneGivesTheSameVerdictAndWritesPrivateFiles) {
  start(kPersons);
  write_mapping(plan_and_accept());
  Outcome migration = atsmigrate(args());
  ASSERT_EQ(migration.exit_code, 0) << migration.output;
  json::object after_migration = report_json();
  fs::remove(work() / "report.json");
  fs::remove(work() / "report.html");

  Outcome report = atsmigrate(args("report"));
  EXPECT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(report.output.find("Reconciliation: clean."), std::string::npos) << report.output;
  for (const char* name : {"report.json", "report.html"}) {
    fs::path file = work() / name;
    ASSERT_TRUE(fs::exists(file)) << name;
    EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << name << " must be 0600";
    EXPECT_GT(fs::file_size(file), 0u) << name;
  }
  json::object alone = report_json();
  EXPECT_EQ(alone.at("summary"), after_migration.at("summary"))
      << "the same work dir and seed give the same reconciliation";
  EXPECT_EQ(alone.at("counts"), after_migration.at("counts"));
  EXPECT_EQ(alone.at("read_back"), after_migration.at("read_back"));
  EXPECT_FALSE(alone.contains("last_run")) << "`report` alone ran no load";
  EXPECT_NE(read_file(work() / "report.html").find("class=\"verdict clean\""), std::string::npos);
  expect_valid_report();
}

TEST_F(Report, BrokenStageMappingIsCaughtByTheReadBackAndNamedInTheReport) {
  start(kPersons);
  json::object mapping = plan_and_accept();
  break_stage_mapping(mapping);
  write_mapping(mapping);
  Outcome migration = atsmigrate(args());
  EXPECT_EQ(migration.exit_code, 2) << migration.output;
  EXPECT_NE(migration.output.find("Read-back mismatches"), std::string::npos) << migration.output;
  expect_valid_report();

  // Which applications stand in the screen stage: the sandbox's truth (what Ashby would hold
  // under the right mapping), not anything the product computed.
  json::object truth = sandbox_get("/_sandbox/truth?source=lever");
  std::set<std::string> in_screen;
  int64_t applications = 0;
  for (const json::value& person : truth.at("persons").as_array())
    for (const json::value& app : person.at("applications").as_array()) {
      ++applications;
      if (app.at("status") == "Active" && app.at("stage") == kScreenStage.c_str())
        in_screen.emplace(app.at("legacyId").as_string());
    }
  ASSERT_FALSE(in_screen.empty()) << "the dataset must have applications in " << kScreenStage;

  json::object report = report_json();
  EXPECT_EQ(report.at("summary").at("verdict"), "differences");
  ASSERT_EQ(report.at("read_back").at("candidacy").at("checked"), applications)
      << "every candidacy is read back";
  std::set<std::string> caught;
  for (const json::value& value : report.at("mismatches").as_array()) {
    const json::object& mismatch = value.as_object();
    EXPECT_EQ(mismatch.at("kind"), "candidacy") << json::serialize(mismatch);
    EXPECT_EQ(mismatch.at("field"), "stage_phase") << json::serialize(mismatch);
    EXPECT_NE(std::string(mismatch.at("expected").as_string()).find("'" + kScreenStage + "'"),
              std::string::npos)
        << "the mismatch names the source stage: " << json::serialize(mismatch);
    EXPECT_NE(std::string(mismatch.at("found").as_string()).find("offer"), std::string::npos)
        << json::serialize(mismatch);
    caught.emplace(mismatch.at("key").as_string());
  }
  EXPECT_EQ(caught, in_screen) << "exactly the applications in the mis-mapped stage";
  EXPECT_EQ(report.at("summary").at("mismatches"), in_screen.size());
  expect_no_personal_data();
}

// report.html in headless Chromium: the summary first, the tables, on a phone and a laptop, and
// no network resource. Set ATSM_REPORT_SCREENSHOTS to a directory to keep the screenshots
// and the page.
TEST_F(Report, ReportHtmlRendersInHeadlessChromium) {
  std::string chromium = find_chromium();
  ASSERT_FALSE(chromium.empty())
      << "headless Chromium is needed and not installed: install Debian's `chromium` "
         "(script/test installs it with the other packages)";
  start(kPersons);
  json::object mapping = plan_and_accept();
  break_stage_mapping(mapping);  // so the page has mismatches to show
  write_mapping(mapping);
  Outcome migration = atsmigrate(args());
  ASSERT_EQ(migration.exit_code, 2) << migration.output;
  json::object report = report_json();
  fs::path page = work() / "report.html";
  ASSERT_TRUE(fs::exists(page));

  fs::path profile = dir.path() / "chromium-profile";
  fs::create_directories(profile);
  std::map<std::string, std::string> env{{"HOME", profile.string()},
                                         {"XDG_CONFIG_HOME", (profile / "config").string()},
                                         {"XDG_CACHE_HOME", (profile / "cache").string()}};
  auto browse = [&](std::vector<std::string> extra) {
    std::vector<std::string> arguments = {"120",
                                          chromium,
                                          "--headless",
                                          "--no-sandbox",
                                          "--disable-gpu",
                                          "--disable-quic",
                                          "--no-first-run",
                                          "--disable-background-networking",
                                          "--disable-component-update",
                                          "--disable-sync",
                                          "--hide-scrollbars",
                                          "--user-data-dir=" + profile.string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    arguments.push_back("file://" + page.string());
    return run_program("timeout", arguments, dir.path(), true, env);
  };

  Outcome dumped = browse({"--dump-dom"});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.errors;
  Dom dom(dumped.output);
  const GumboNode* root = dom.output->root;
  ASSERT_FALSE(elements(root, GUMBO_TAG_BODY).empty()) << dumped.output << dumped.errors;

  // The verdict, then the summary tiles with report.json's figures, before any table.
  auto [verdict, verdict_at] = by_id(root, "verdict");
  ASSERT_NE(verdict, nullptr) << dumped.output;
  EXPECT_TRUE(has_class(verdict, "differences"));
  EXPECT_NE(text_of(verdict).find("Differences found"), std::string::npos) << text_of(verdict);
  auto [summary, summary_at] = by_id(root, "summary");
  ASSERT_NE(summary, nullptr) << dumped.output;
  std::map<std::string, std::string> tiles;
  for (const GumboNode* tile : elements(summary, GUMBO_TAG_DIV)) {
    if (!has_class(tile, "tile"))
      continue;
    std::vector<const GumboNode*> figure = elements(tile, GUMBO_TAG_B);
    ASSERT_EQ(figure.size(), 1u);
    std::string all = text_of(tile), number = text_of(figure[0]);
    tiles[all.substr(number.size())] = number;
  }
  const json::object& figures = report.at("summary").as_object();
  std::map<std::string, std::string> expected_tiles{
      {"unexplained differences", json::serialize(figures.at("unexplained"))},
      {"read-back mismatches", json::serialize(figures.at("mismatches"))},
      {"not read back now", json::serialize(figures.at("unread"))},
      {"failed records", json::serialize(figures.at("failed"))},
      {"held for an operator", json::serialize(figures.at("held"))},
      {"unreadable source records", json::serialize(figures.at("rejected"))},
      {"records read back", json::serialize(figures.at("read_back_checked"))},
      {"records with a bad field", json::serialize(figures.at("field_errors"))},
      {"lossy encodings", json::serialize(figures.at("lossy_records"))},
      {"connector notices", json::serialize(figures.at("notices"))}};
  EXPECT_EQ(tiles, expected_tiles);
  std::vector<const GumboNode*> tables = elements(root, GUMBO_TAG_TABLE);
  ASSERT_FALSE(tables.empty());
  EXPECT_LT(verdict_at, summary_at);
  EXPECT_LT(summary_at, by_id(root, "mismatches").second) << "the summary comes first";

  // The mismatches table: one row per mismatch, naming the record, the field and the stage.
  auto mismatch_rows = body_rows(table_after(root, "mismatches"));
  ASSERT_EQ(mismatch_rows.size(), report.at("mismatches").as_array().size());
  for (size_t i = 0; i < mismatch_rows.size(); ++i) {
    const json::object& mismatch = report.at("mismatches").as_array()[i].as_object();
    ASSERT_EQ(mismatch_rows[i].size(), 6u);
    EXPECT_EQ(mismatch_rows[i][1], mismatch.at("key").as_string());
    EXPECT_EQ(mismatch_rows[i][3], "stage_phase");
    EXPECT_NE(mismatch_rows[i][4].find(kScreenStage), std::string::npos) << mismatch_rows[i][4];
  }
  // Counts per kind with a bar each, and the read-back per kind.
  auto count_rows = body_rows(table_after(root, "counts"));
  EXPECT_EQ(count_rows.size(), report.at("counts").as_object().size());
  std::set<std::string> kinds;
  for (const auto& row : count_rows)
    if (!row.empty())
      kinds.insert(row[0]);
  EXPECT_TRUE(kinds.contains("candidacy") && kinds.contains("person") && kinds.contains("file"));
  size_t bars = 0;
  each_element(root, [&](const GumboNode* node) { bars += has_class(node, "bar") ? 1 : 0; });
  EXPECT_GT(bars, 0u);
  EXPECT_EQ(body_rows(table_after(root, "read_back")).size(),
            report.at("read_back").as_object().size());
  EXPECT_EQ(body_rows(table_after(root, "vendors")).size(),
            report.at("vendors").as_object().size());

  // Self-contained: no network resource in an attribute or a stylesheet.
  std::regex remote(R"(^\s*(https?:)?//)", std::regex::icase);
  std::regex remote_url(R"(url\(\s*['"]?\s*(https?:)?//)", std::regex::icase);
  each_element(root, [&](const GumboNode* node) {
    for (const char* name : {"src", "href", "srcset", "action", "poster", "data", "formaction"})
      EXPECT_FALSE(std::regex_search(attribute(node, name), remote))
          << name << "=" << attribute(node, name);
    EXPECT_NE(node->v.element.tag, GUMBO_TAG_SCRIPT) << "the page carries no script";
  });
  std::string source = read_file(page);
  EXPECT_FALSE(std::regex_search(source, remote_url)) << "a url() to the network";
  EXPECT_EQ(source.find("@import"), std::string::npos);

  // Screenshots at a phone's and a laptop's size.
  const char* keep = std::getenv("ATSM_REPORT_SCREENSHOTS");
  for (auto [width, height] : {std::pair{412u, 915u}, std::pair{1280u, 900u}}) {
    fs::path shot = dir.path() / fmt::format("report-{}x{}.png", width, height);
    Outcome shooting = browse(
        {"--screenshot=" + shot.string(), fmt::format("--window-size={},{}", width, height)});
    ASSERT_EQ(shooting.exit_code, 0) << shooting.errors;
    EXPECT_EQ(png_size(shot), std::pair(width, height)) << shot;
    if (keep) {
      fs::create_directories(keep);
      fs::copy_file(shot, fs::path(keep) / shot.filename(), fs::copy_options::overwrite_existing);
    }
  }
  if (keep)
    fs::copy_file(page, fs::path(keep) / "report.html", fs::copy_options::overwrite_existing);
}

// A report the size of a 100,000-person migration's (issue 22: 6,223 connector notices, 2,000
// source records with a bad field, 40 reason classes of 20 listed records, hundreds of
// mismatches), rendered by the report code and opened in headless Chromium: every section is
// there, each cut list says how many there are and where they all are, and the page draws. How
// long it takes is measured by bench/scale, not asserted here.
TEST(ReportHtml, AReportOfAHundredThousandPersonsRendersInHeadlessChromiumWithEverySection) {
  std::string chromium = find_chromium();
  ASSERT_FALSE(chromium.empty()) << "headless Chromium is needed and not installed: install "
                                    "Debian's `chromium` (script/test installs it)";
  constexpr int kNotices = 6223, kNoticesListed = 1000, kFieldErrors = 2000,
                kFieldErrorsListed = 500, kClasses = 40, kMismatches = 300;
  const std::vector<std::string> kinds{"person", "candidacy", "note", "feedback", "file"};
  json::object counts;
  for (const std::string& kind : kinds)
    counts[kind] = json::object{{"staged", 100000},
                                {"rejected", 0},
                                {"in_source", 100000},
                                {"written", 97000},
                                {"skipped", json::object{{"why <key>", 3000}}},
                                {"failed", 0},
                                {"pending", 0},
                                {"unexplained", 0}};
  json::array mismatches, notices, field_errors, reasons;
  for (int i = 0; i < kMismatches; ++i)
    mismatches.push_back(json::object{{"kind", "candidacy"},
                                      {"key", fmt::format("lever:opportunity:{:08}", i)},
                                      {"target_id", fmt::format("target-{}", i)},
                                      {"field", "stage_phase"},
                                      {"expected", "in process (screen stage 'Screen')"},
                                      {"found", "offer (offer stage)"}});
  for (int i = 0; i < kNoticesListed; ++i)
    notices.push_back(json::object{
        {"plugin", "lever"},
        {"message", fmt::format("lever:resume:{:08} skipped: Lever could not process it", i)}});
  for (int i = 0; i < kFieldErrorsListed; ++i)
    field_errors.push_back(
        json::object{{"kind", "person"},
                     {"key", fmt::format("lever:contact:{:08}", i)},
                     {"field", "emails[0]"},
                     {"message", "\"x(at)example.org\" is not an email address"}});
  for (int c = 0; c < kClasses; ++c) {
    json::array listed;
    for (int i = 0; i < 20; ++i)
      listed.emplace_back(fmt::format("lever:file:{:04}{:04}", c, i));
    reasons.push_back(json::object{{"category", c % 2 ? "lossy" : "skipped"},
                                   {"kind", "file"},
                                   {"reason", fmt::format("reason class {}", c)},
                                   {"records", 1000 + c},
                                   {"listed", std::move(listed)},
                                   {"all_in", "report-records.jsonl"}});
  }
  json::object report{
      {"format", "atsmigrate-report/3"},
      {"source", "lever"},
      {"sink", "ashby"},
      {"summary", json::object{{"verdict", "differences"},
                               {"unexplained", 0},
                               {"failed", 0},
                               {"rejected", 0},
                               {"mismatches", kMismatches},
                               {"unread", 0},
                               {"held", 0},
                               {"read_back_checked", 52000},
                               {"field_errors", kFieldErrors},
                               {"lossy_records", 430000},
                               {"notices", kNotices}}},
      {"counts", std::move(counts)},
      {"unexplained", json::array{}},
      {"failures", json::array{}},
      {"held", json::array{}},
      {"rejected", json::array{}},
      {"mismatches", std::move(mismatches)},
      {"unread", json::array{}},
      {"read_back_available", true},
      {"read_back",
       json::object{{"candidacy", json::object{{"checked", 52000},
                                               {"mismatched", kMismatches},
                                               {"unread", 0},
                                               {"cohorts", json::object{{"sample", 5000}}}}}}},
      {"field_errors_by_kind", json::object{{"person", kFieldErrors}}},
      {"field_errors", std::move(field_errors)},
      {"lossy", json::object{{"file: reason class 1", 1001}}},
      {"reasons", std::move(reasons)},
      {"records_file", json::object{{"path", "report-records.jsonl"}, {"lines", 500000}}},
      {"cut_lists",
       json::object{{"notices", json::object{{"listed", kNoticesListed},
                                             {"of", kNotices},
                                             {"all_in", "report-records.jsonl"}}},
                    {"field_errors", json::object{{"listed", kFieldErrorsListed},
                                                  {"of", kFieldErrors},
                                                  {"all_in", "report-records.jsonl"}}}}},
      {"notices", std::move(notices)},
      {"vendors", json::object{}},
      {"source_fields_not_migrated", json::array{}}};

  TempDir dir;
  fs::path page = dir.path() / "report.html";
  {
    std::ofstream out(page, std::ios::binary);
    out << atsm::report::render_report_html(report);
  }
  fs::path profile = dir.path() / "chromium-profile";
  fs::create_directories(profile);
  std::map<std::string, std::string> env{{"HOME", profile.string()},
                                         {"XDG_CONFIG_HOME", (profile / "config").string()},
                                         {"XDG_CACHE_HOME", (profile / "cache").string()}};
  auto browse = [&](std::vector<std::string> extra) {
    std::vector<std::string> arguments = {"120",
                                          chromium,
                                          "--headless",
                                          "--no-sandbox",
                                          "--disable-gpu",
                                          "--no-first-run",
                                          "--disable-background-networking",
                                          "--disable-component-update",
                                          "--disable-sync",
                                          "--hide-scrollbars",
                                          "--user-data-dir=" + profile.string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    arguments.push_back("file://" + page.string());
    return run_program("timeout", arguments, dir.path(), true, env);
  };
  Outcome dumped = browse({"--dump-dom"});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.errors;
  Dom dom(dumped.output);
  const GumboNode* root = dom.output->root;
  for (const char* section :
       {"verdict", "summary", "mismatches", "counts", "reasons", "notices", "field_errors"})
    EXPECT_NE(by_id(root, section).first, nullptr) << "no #" << section << " in the page";
  // An id names one element (HTML); a section shown twice would repeat it.
  std::map<std::string, int> ids;
  each_element(root, [&](const GumboNode* node) {
    if (std::string id = attribute(node, "id"); !id.empty())
      ++ids[id];
  });
  for (const auto& [id, count] : ids)
    EXPECT_EQ(count, 1) << "#" << id << " is in the page " << count << " times";
  EXPECT_EQ(body_rows(table_after(root, "mismatches")).size(), std::size_t{kMismatches});
  EXPECT_EQ(body_rows(table_after(root, "notices")).size(), std::size_t{kNoticesListed});
  EXPECT_EQ(body_rows(table_after(root, "field_errors")).size(), std::size_t{kFieldErrorsListed});
  std::size_t folded = 0;
  each_element(root, [&](const GumboNode* node) {
    folded += node->v.element.tag == GUMBO_TAG_DETAILS && has_class(node, "reason") ? 1 : 0;
  });
  EXPECT_EQ(folded, std::size_t{kClasses}) << "one collapsible section per reason class";
  // The cut lists say how many there are and where they all are.
  std::string text = text_of(root);
  EXPECT_NE(text.find(fmt::format("({} of {})", kNoticesListed, kNotices)), std::string::npos);
  EXPECT_NE(text.find(fmt::format("all {} are in report-records.jsonl", kNotices)),
            std::string::npos);
  EXPECT_NE(text.find(fmt::format("all {} are in report-records.jsonl", kFieldErrors)),
            std::string::npos);
  fs::path shot = dir.path() / "large-report.png";
  Outcome shooting = browse({"--screenshot=" + shot.string(), "--window-size=1280,900"});
  ASSERT_EQ(shooting.exit_code, 0) << shooting.errors;
  EXPECT_EQ(png_size(shot), std::pair(1280u, 900u)) << "the page is drawn";
}

}  // namespace
