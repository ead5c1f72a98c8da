// The archive sink end to end: the `atsmigrate` binary exports the sandbox's Lever or Greenhouse
// account over loopback HTTP into flat files. Expected row counts come from the sandbox's own
// generated dataset (never from the product); the files are read back by Python's csv module,
// json and openpyxl (roundtrip.py), independently of the sink's code.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <set>

#include "net/test_support.hpp"
#include "sandbox/dataset.hpp"
#include "sandbox/sandbox.hpp"

namespace {

namespace json = boost::json;
using atsm::net::testing::TempDir;

const std::string kAtsmigrate = ATSM_BINARY_DIR "/bin/atsmigrate";
const std::string kRoundtrip = ATSM_SOURCE_DIR "/tests/archive/roundtrip.py";
const std::string kHashKey = "archive-test-hmac-key";
constexpr std::uint64_t kSeed = 7;
constexpr int kPersons = 120;

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string hmac_hex(const std::string& key, const std::string& value) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(), digest, &length);
  std::string out;
  static const char* const digits = "0123456789abcdef";
  for (unsigned i = 0; i < length; ++i) {
    out += digits[digest[i] >> 4];
    out += digits[digest[i] & 0xF];
  }
  return out;
}

class ArchiveExport : public ::testing::Test {
 protected:
  void SetUp() override {
    atsm::sandbox::Options options;
    options.seed = kSeed;
    options.persons = kPersons;
    options.rate_scale = 50;
    sandbox = std::make_unique<atsm::sandbox::Sandbox>(options);
    sandbox->start();
    credentials = dir.path() / "credentials";
    atsm::sandbox::write_credentials_file(credentials, sandbox->credentials());
    std::ofstream(credentials, std::ios::app) << "ARCHIVE_HASH_KEY=" << kHashKey << "\n";
    ::chmod(credentials.c_str(), 0600);
    data = atsm::sandbox::generate_dataset(kSeed, kPersons);
  }

  std::vector<std::string> args(const std::string& source, const std::string& work,
                                const std::vector<std::string>& settings) {
    const auto& endpoints = sandbox->endpoints();
    std::string url = source == "lever" ? endpoints.lever_url + "/v1" : endpoints.greenhouse_url;
    std::vector<std::string> out = {"--source",      source,
                                    "--sink",        "archive",
                                    "--workdir",     (dir.path() / work).string(),
                                    "--credentials", credentials.string(),
                                    "--set",         source + ".base_url=" + url,
                                    "--set",         source + ".rate_scale=50",
                                    "--set",         "archive.dir=" + archive().string()};
    if (source == "greenhouse")
      out.insert(out.end(),
                 {"--set", "greenhouse.token_url=" + endpoints.greenhouse_url + "/token"});
    for (const std::string& setting : settings)
      out.insert(out.end(), {"--set", "archive." + setting});
    return out;
  }

  int run(std::vector<std::string> arguments) {
    std::filesystem::path log = dir.path() / "output.txt";
    pid_t child = ::fork();
    if (child == 0) {
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      (void)out;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      std::vector<char*> argv{const_cast<char*>(kAtsmigrate.c_str())};
      for (std::string& arg : arguments)
        argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(kAtsmigrate.c_str(), argv.data());
      std::_Exit(127);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    output = read_text(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::filesystem::path archive() const { return dir.path() / "archive"; }

  json::object manifest() {
    return json::parse(read_text(archive() / "manifest.json")).as_object();
  }

  // roundtrip.py's answer: rows per table as Python read them, and any disagreement.
  json::object read_back(const std::vector<std::string>& forbidden = {},
                         const std::string& synced_at = "") {
    std::filesystem::path forbid = dir.path() / "forbidden.txt";
    {
      std::ofstream out(forbid);
      for (const std::string& value : forbidden)
        out << value << "\n";
    }
    std::string command = "/usr/bin/python3 " + kRoundtrip + " " + archive().string() +
                          " --forbid " + forbid.string() +
                          (synced_at.empty() ? "" : " --synced-at " + synced_at);
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string text;
    char buffer[4096];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
      text.append(buffer, got);
    EXPECT_EQ(::pclose(pipe), 0) << text;
    return json::parse(text).as_object();
  }

  // Every output is 0600 in a 0700 dir; the manifest's SHA-256 and row counts hold.
  void expect_private_and_whole() {
    struct stat info {};
    ASSERT_EQ(::stat(archive().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(archive())) {
      ASSERT_EQ(::stat(entry.path().c_str(), &info), 0);
      EXPECT_EQ(info.st_mode & 0777, entry.is_directory() ? 0700u : 0600u) << entry.path();
    }
    json::object written = manifest();
    for (const json::value& output : written.at("outputs").as_array()) {
      std::string path(output.at("path").as_string());
      std::string command = "sha256sum " + (archive() / path).string();
      FILE* pipe = ::popen(command.c_str(), "r");
      char sum[65] = {};
      ASSERT_EQ(std::fread(sum, 1, 64, pipe), 64u);
      ::pclose(pipe);
      EXPECT_EQ(std::string(sum), std::string(output.at("sha256").as_string())) << path;
    }
  }

  void expect_counts(const std::map<std::string, int64_t>& expected) {
    json::object back = read_back();
    EXPECT_TRUE(back.at("errors").as_array().empty()) << json::serialize(back.at("errors"));
    json::object tables = manifest().at("tables").as_object();
    for (const auto& [table, rows] : expected) {
      EXPECT_EQ(back.at("tables").at(table).as_int64(), rows) << table << " (read by Python)";
      EXPECT_EQ(tables.at(table).at("rows").as_int64(), rows) << table << " (manifest)";
    }
  }

  TempDir dir;
  std::unique_ptr<atsm::sandbox::Sandbox> sandbox;
  std::filesystem::path credentials;
  atsm::sandbox::Dataset data;
  std::string output;
};

TEST_F(ArchiveExport, LeverExportHasTheDatasetsRowCounts) {
  ASSERT_EQ(run(args("lever", "work", {"formats=csv,jsonl,xlsx", "include_files=true"})), 0)
      << output;
  const auto& lv = data.lever;
  // What Lever's API serves and the connector documents: deleted opportunities are only listed
  // under /opportunities/deleted, soft-deleted notes and feedback are skipped (plugins/lever).
  std::map<std::string, int64_t> expected = {{"users", lv.users.size()},
                                             {"stages", lv.stages.size()},
                                             {"jobs", lv.postings.size()},
                                             {"archive_reasons", lv.archive_reasons.size()},
                                             {"persons", 0},
                                             {"candidacies", 0},
                                             {"stage_history", 0},
                                             {"notes", 0},
                                             {"feedback", 0},
                                             {"interviews", 0},
                                             {"offers", 0},
                                             {"files", 0},
                                             {"person_emails", 0},
                                             {"person_phones", 0}};
  std::set<std::string> contacts;
  for (const auto& opportunity : lv.opportunities) {
    if (opportunity.deleted_at)
      continue;
    contacts.insert(opportunity.contact_id);
    expected["candidacies"]++;
    expected["stage_history"] += static_cast<int64_t>(opportunity.stage_changes.size());
    for (const auto& note : opportunity.notes)
      expected["notes"] += note.deleted_at ? 0 : 1;
    for (const auto& form : opportunity.feedback)
      expected["feedback"] += form.deleted_at ? 0 : 1;
    expected["feedback"] += static_cast<int64_t>(opportunity.profile_forms.size());
    expected["interviews"] += static_cast<int64_t>(opportunity.interviews.size());
    expected["offers"] += static_cast<int64_t>(opportunity.offers.size());
    expected["files"] += static_cast<int64_t>(opportunity.files.size());
    // Offer letters and file-upload answers are files too.
    for (const auto& offer : opportunity.offers)
      expected["files"] += (offer.sent_document ? 1 : 0) + (offer.signed_document ? 1 : 0);
    expected["files"] += opportunity.application.answer_file ? 1 : 0;
  }
  for (const auto& contact : lv.contacts) {
    if (!contacts.contains(contact.id))
      continue;
    expected["persons"]++;
    expected["person_emails"] += static_cast<int64_t>(contact.emails.size());
    expected["person_phones"] += static_cast<int64_t>(contact.phones.size());
  }
  expect_counts(expected);
  expect_private_and_whole();
  json::object files = manifest().at("attachments").as_object();
  EXPECT_GT(files.at("count").as_int64(), 0);
}

TEST_F(ArchiveExport, GreenhouseExportHasTheDatasetsRowCounts) {
  ASSERT_EQ(run(args("greenhouse", "work", {"formats=csv,jsonl,xlsx"})), 0) << output;
  const auto& gh = data.greenhouse;
  // Superseded offer versions (Deprecated) are not migrated: Greenhouse's current_only=true.
  auto current_offers =
      static_cast<int64_t>(std::count_if(gh.offers.begin(), gh.offers.end(), [](const auto& offer) {
        return offer.status != "Deprecated";
      }));
  std::map<std::string, int64_t> expected = {{"users", gh.users.size()},
                                             {"jobs", gh.jobs.size()},
                                             {"departments", gh.departments.size()},
                                             {"offices", gh.offices.size()},
                                             {"persons", gh.candidates.size()},
                                             {"candidacies", gh.applications.size()},
                                             {"notes", gh.notes.size()},
                                             {"feedback", 0},
                                             {"interviews", gh.interviews.size()},
                                             {"offers", current_offers},
                                             {"files", gh.attachments.size()},
                                             {"stage_history", 0},
                                             {"person_emails", 0},
                                             {"person_phones", 0},
                                             {"person_addresses", 0}};
  // Draft scorecards are skipped by the connector (plugins/greenhouse).
  for (const auto& scorecard : gh.scorecards)
    expected["feedback"] += scorecard.status == "complete" ? 1 : 0;
  for (const auto& application : gh.applications)
    expected["stage_history"] += static_cast<int64_t>(application.stages.size());
  for (const auto& candidate : gh.candidates) {
    expected["person_emails"] += static_cast<int64_t>(candidate.emails.size());
    expected["person_phones"] += static_cast<int64_t>(candidate.phones.size());
    expected["person_addresses"] += static_cast<int64_t>(candidate.addresses.size());
  }
  expect_counts(expected);
  expect_private_and_whole();
}

TEST_F(ArchiveExport, HashedColumnsNeverHoldTheClearValue) {
  ASSERT_EQ(run(args("lever", "work",
                     {"formats=csv,jsonl,xlsx",
                      "hash_columns=person_emails.address,person_emails.normalized"})),
            0)
      << output;
  std::vector<std::string> emails;
  std::set<std::string> expected_hashes;
  for (const auto& contact : data.lever.contacts) {
    for (const std::string& email : contact.emails) {
      if (email.size() > 4)
        emails.push_back(email);
      expected_hashes.insert(hmac_hex(kHashKey, email));
    }
  }
  // No cell of any format holds a clear address (roundtrip.py), nor does the sink's state.
  json::object back = read_back(emails);
  EXPECT_TRUE(back.at("errors").as_array().empty()) << json::serialize(back.at("errors"));
  std::string state = read_text(archive() / ".atsm-archive.sqlite");
  for (const std::string& email : emails)
    EXPECT_EQ(state.find(email), std::string::npos) << email << " in the archive's state";
  // The same input and key give the same hash: an independent HMAC-SHA-256 of each address.
  std::ifstream csv(archive() / "person_emails.csv");
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "person_key,position,address,normalized,type\r");
  int checked = 0;
  while (std::getline(csv, line)) {
    size_t first = line.find(',');
    size_t second = line.find(',', first + 1);
    size_t third = line.find(',', second + 1);
    std::string address = line.substr(second + 1, third - second - 1);
    EXPECT_TRUE(expected_hashes.contains(address)) << line;
    ++checked;
  }
  EXPECT_GT(checked, 50);
  // The key itself is never written anywhere: not in the output, the log or the manifest.
  EXPECT_EQ(output.find(kHashKey), std::string::npos);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(archive())) {
    if (entry.is_regular_file()) {
      EXPECT_EQ(read_text(entry.path()).find(kHashKey), std::string::npos) << entry.path();
    }
  }
  json::object written = manifest();
  EXPECT_EQ(written.at("tables").at("person_emails").at("hashed").as_array().size(), 2u);
}

TEST_F(ArchiveExport, AppendRunAfterTenMutationsAddsExactlyThoseRows) {
  ASSERT_EQ(run(args("lever", "w1", {"mode=append"})), 0) << output;
  json::object first = manifest();
  int64_t first_rows = first.at("tables").at("candidacies").at("rows").as_int64();

  httplib::Client lever(sandbox->endpoints().lever_url);
  auto answer = lever.Post("/_sandbox/mutate", R"({"count": 10})", "application/json");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  json::array changes = json::parse(answer->body).at("changed").as_array();
  ASSERT_EQ(changes.size(), 10u);
  std::set<std::string> ids, opportunities, new_persons;
  std::map<std::string, int64_t> by_kind;
  for (const json::value& change : changes) {
    std::string opportunity(change.at("opportunity").as_string());
    std::string contact(change.at("contact").as_string());
    ids.insert(opportunity);
    ids.insert(contact);
    opportunities.insert(opportunity);
    std::string kind(change.at("kind").as_string());
    by_kind[kind]++;
    if (kind == "new_person")
      new_persons.insert(contact);
  }

  // A fresh work dir re-reads the account; the archive appends only what changed.
  ASSERT_EQ(run(args("lever", "w2", {"mode=append"})), 0) << output;
  json::object second = manifest();
  std::string synced_at(second.at("run_started_at").as_string());
  EXPECT_EQ(second.at("removed_since_last_run").as_int64(), 0);
  json::object back = read_back({}, synced_at);
  EXPECT_TRUE(back.at("errors").as_array().empty()) << json::serialize(back.at("errors"));
  json::object synced = back.at("synced").as_object();
  auto appended = [&](const std::string& table) -> int64_t {
    return synced.contains(table) ? static_cast<int64_t>(synced.at(table).as_array().size()) : 0;
  };
  // Every appended row belongs to a changed opportunity or contact, none is a tombstone.
  const std::set<std::string> allowed = {"candidacies",     "stage_history", "candidacy_sources",
                                         "candidacy_tags",  "notes",         "feedback",
                                         "feedback_fields", "files",         "persons",
                                         "person_emails",   "person_phones", "person_links",
                                         "person_tags"};
  // A new feedback form's fields name the form: its key joins the changed ids.
  if (synced.contains("feedback")) {
    for (const json::value& row : synced.at("feedback").as_array()) {
      if (ids.contains(std::string(row.at("candidacy_key").as_string()).substr(18)))
        ids.insert(std::string(row.at("source_key").as_string()));
    }
  }
  for (const auto& [table, rows] : synced) {
    EXPECT_TRUE(allowed.contains(std::string(table))) << "rows appended to " << table;
    for (const json::value& row : rows.as_array()) {
      std::string text = json::serialize(row);
      bool related = false;
      for (const std::string& id : ids)
        related = related || text.find(id) != std::string::npos;
      EXPECT_TRUE(related) << table << ": " << text;
      EXPECT_EQ(row.at("_deleted").as_string(), "false") << text;
    }
  }
  EXPECT_EQ(appended("candidacies"), static_cast<int64_t>(opportunities.size()));
  EXPECT_EQ(appended("notes"), by_kind["new_note"]);
  EXPECT_EQ(appended("feedback"), by_kind["new_feedback"]);
  EXPECT_EQ(appended("feedback_fields"), 2 * by_kind["new_feedback"]);  // Rating and Notes
  EXPECT_EQ(appended("files"), by_kind["new_file"]);
  EXPECT_EQ(appended("stage_history"),
            by_kind["stage_move"] + by_kind["new_candidacy"] + by_kind["new_person"]);
  int64_t persons_found = 0;
  if (synced.contains("persons")) {
    for (const json::value& row : synced.at("persons").as_array())
      persons_found += new_persons.contains(std::string(row.at("source_key").as_string())
                                                .substr(std::string("lever:contact:").size()));
  }
  EXPECT_EQ(persons_found, static_cast<int64_t>(new_persons.size()));
  EXPECT_EQ(second.at("tables").at("candidacies").at("rows").as_int64(),
            first_rows + appended("candidacies"));

  // Run again with nothing changed: nothing is appended.
  ASSERT_EQ(run(args("lever", "w3", {"mode=append"})), 0) << output;
  json::object third = manifest();
  json::object again = read_back({}, std::string(third.at("run_started_at").as_string()));
  EXPECT_TRUE(again.at("synced").as_object().empty()) << json::serialize(again.at("synced"));
}

}  // namespace
