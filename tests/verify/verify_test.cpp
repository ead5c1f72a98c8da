// `atsmigrate plugin verify` run as a user runs it: the binary, forked checks, --json. The
// in-memory conformance connector passes every check; each of its broken builds fails exactly the
// check named for the rule it breaks; Lever, Greenhouse and Ashby pass against the sandbox, the
// archive sink against a directory.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "ashby_spec_validator.hpp"
#include "net/test_support.hpp"
#include "sandbox/sandbox.hpp"

namespace {

namespace json = boost::json;
using atsm::net::testing::TempDir;

const std::string kAtsmigrate = ATSM_BINARY_DIR "/bin/atsmigrate";
const std::string kPlugins = ATSM_VERIFY_PLUGIN_DIR;

struct VerifyRun {
  int exit_code = -1;
  std::string output;
  json::object report;
};

// Runs `atsmigrate ARGS` with stdout captured (and stderr, with `with_stderr`; else it goes to
// the test log). The argv is built before the fork: the child of a threaded test must not
// allocate.
VerifyRun run_atsmigrate(std::vector<std::string> args, bool with_stderr) {
  args.insert(args.begin(), kAtsmigrate);
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out[2];
  EXPECT_EQ(::pipe(out), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    if (with_stderr)
      ::dup2(out[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execv(kAtsmigrate.c_str(), argv.data());
    std::_Exit(127);
  }
  ::close(out[1]);
  VerifyRun run;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(out[0], buffer, sizeof buffer)) > 0)
    run.output.append(buffer, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

// Runs `atsmigrate plugin verify ARGS --json`; stderr goes to the test log.
VerifyRun verify(std::vector<std::string> args) {
  args.insert(args.begin(), {"plugin", "verify"});
  args.push_back("--json");
  VerifyRun run = run_atsmigrate(std::move(args), false);
  boost::system::error_code ec;
  json::value value = json::parse(run.output, ec);
  if (!ec && value.is_object())
    run.report = value.as_object();
  return run;
}

std::map<std::string, json::object> checks_of(const VerifyRun& run) {
  std::map<std::string, json::object> checks;
  if (const json::value* list = run.report.if_contains("checks")) {
    for (const json::value& check : list->as_array())
      checks[std::string(check.at("name").as_string())] = check.as_object();
  }
  return checks;
}

std::string result_of(const VerifyRun& run, const std::string& check) {
  auto checks = checks_of(run);
  auto found = checks.find(check);
  return found == checks.end() ? "absent" : std::string(found->second.at("result").as_string());
}

TEST(Verify, ConformanceConnectorPassesEveryCheck) {
  VerifyRun run = verify({kPlugins + "/libverify_conformance.so", "--seed", "1"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  auto checks = checks_of(run);
  EXPECT_EQ(checks.size(), 18u) << run.output;
  for (const auto& [name, check] : checks)
    EXPECT_EQ(check.at("result").as_string(), "pass") << name << ": " << json::serialize(check);
}

TEST(Verify, PluginBuiltAgainstTheFrozenOneDotZeroHeaderPasses) {
  VerifyRun run = verify({ATSM_ABI_PLUGIN_DIR "/libtest_frozen_v1_0.so", "--seed", "2"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

// Rule 20's plugin has a required key (as the export-directory connector of issue 21 had): its
// configuration names it, so that only the unknown key is wrong.
std::vector<std::string> config_args(const std::string& plugin, const TempDir& dir) {
  if (plugin != "libverify_broken_20.so")
    return {};
  std::filesystem::path config = dir.path() / "config.json";
  std::ofstream(config) << R"({"conformance": {"dir": ")" << dir.path().string() << R"("}})";
  return {"--config", config.string()};
}

TEST(Verify, EachBrokenRuleIsCaughtByTheCheckNamedForIt) {
  const std::vector<std::pair<std::string, std::string>> rules = {ATSM_BROKEN_RULES};
  ASSERT_EQ(rules.size(), 21u);
  TempDir dir;
  for (const auto& [plugin, check] : rules) {
    std::vector<std::string> args = {
        kPlugins + "/" + plugin, "--seed", "1", "--timeout", "5", "--only", check + ",load.abi"};
    for (const std::string& arg : config_args(plugin, dir))
      args.push_back(arg);
    VerifyRun run = verify(args);
    EXPECT_EQ(run.exit_code, 2) << plugin << ": " << run.output;
    EXPECT_EQ(result_of(run, check), "fail")
        << plugin << " must fail " << check << ": " << run.output;
    auto checks = checks_of(run);
    if (checks.count(check)) {
      EXPECT_FALSE(checks[check].at("reason").as_string().empty()) << plugin;
    }
    // The well-formed parts of each broken plugin still pass: a rule is caught by its own check.
    EXPECT_EQ(result_of(run, "load.abi"), check == "load.abi" ? "fail" : "pass") << plugin;
  }
}

// Issue 21: four mistakes an earlier verify passed. Each fails its check with a reason that names
// the record (or the key, or the checkpoint) and the field, from the broken plugin's own data.
TEST(Verify, IssueTwentyOneMistakesFailNamingRecordAndField) {
  struct Case {
    std::string plugin;
    std::string check;
    std::vector<std::string> named;
  };
  const std::vector<Case> cases = {
      // The sha256 sum of the plugin's file bytes ("conformance file bytes\n", by sha256sum).
      {"libverify_broken_18.so",
       "source.files",
       {"file conformance:file:1", "'sha256'",
        "e4be932a583dd748a73f69e291198c6c372dbd5004e1673fa46e390391d09616", "blob_put"}},
      {"libverify_broken_19.so",
       "source.schema",
       {"person conformance:person:1", "'source'", "conformance-export", "'conformance'"}},
      {"libverify_broken_20.so", "contract.errors", {"'atsm_verify_no_such_key'", "ATSM_INVALID"}},
      {"libverify_broken_21.so",
       "source.resume",
       {"read 'person'", "foreign checkpoint", "ATSM_INVALID"}},
  };
  TempDir dir;
  for (const Case& mistake : cases) {
    std::vector<std::string> args = {kPlugins + "/" + mistake.plugin, "--only", mistake.check};
    for (const std::string& arg : config_args(mistake.plugin, dir))
      args.push_back(arg);
    VerifyRun run = verify(args);
    EXPECT_EQ(run.exit_code, 2) << mistake.plugin << ": " << run.output;
    auto checks = checks_of(run);
    ASSERT_TRUE(checks.count(mistake.check)) << mistake.plugin << ": " << run.output;
    std::string reason(checks[mistake.check].at("reason").as_string());
    for (const std::string& named : mistake.named)
      EXPECT_NE(reason.find(named), std::string::npos)
          << mistake.plugin << " " << mistake.check << " must name " << named << ": " << reason;
  }
  // The same checks pass the connector that keeps those rules.
  VerifyRun sound = verify({kPlugins + "/libverify_conformance.so", "--only",
                            "source.files,source.schema,contract.errors,source.resume"});
  EXPECT_EQ(sound.exit_code, 0) << sound.output;
  EXPECT_EQ(result_of(sound, "source.files"), "pass") << sound.output;
}

// The host itself refuses what source.files and source.schema catch (issue 21: the migration
// into the archive reported clean with every file lost). The same migration from the sound
// connector stages every file.
TEST(Verify, MigrationRefusesRecordsVerifyFails) {
  TempDir dir;
  auto migrate = [&](const std::string& plugin) {
    // Alone in its plugin directory: every build of the kit is named "conformance".
    std::filesystem::path root = dir.path() / plugin;
    std::filesystem::create_directories(root / "plugins");
    std::filesystem::copy_file(kPlugins + "/" + plugin, root / "plugins" / "libconformance.so");
    return run_atsmigrate({"--source", "conformance", "--sink", "archive", "--workdir",
                           (root / "work").string(), "--plugin-path", (root / "plugins").string(),
                           "--set", "archive.dir=" + (root / "archive").string()},
                          true);
  };
  VerifyRun sound = migrate("libverify_conformance.so");
  EXPECT_EQ(sound.exit_code, 0) << sound.output;
  EXPECT_NE(sound.output.find("Reconciliation: clean"), std::string::npos) << sound.output;

  VerifyRun unstored = migrate("libverify_broken_18.so");
  EXPECT_NE(unstored.exit_code, 0) << unstored.output;
  EXPECT_EQ(unstored.output.find("Reconciliation: clean"), std::string::npos) << unstored.output;
  for (int file = 1; file <= 5; ++file)
    EXPECT_NE(
        unstored.output.find("file conformance:file:" + std::to_string(file) + ": field 'sha256'"),
        std::string::npos)
        << unstored.output;

  VerifyRun foreign = migrate("libverify_broken_19.so");
  EXPECT_NE(foreign.exit_code, 0) << foreign.output;
  EXPECT_NE(foreign.output.find("person conformance:person:1: field 'source': is "
                                "'conformance-export'"),
            std::string::npos)
      << foreign.output;
}

TEST(Verify, CrashAndHangAreFailedChecksWithSignalAndLogTail) {
  VerifyRun crash =
      verify({kPlugins + "/libverify_broken_16.so", "--only", "robust.fuzz", "--seed", "1"});
  auto fuzz = checks_of(crash)["robust.fuzz"];
  ASSERT_FALSE(fuzz.empty()) << crash.output;
  EXPECT_EQ(fuzz.at("signal").as_string(), "SIGILL (4)") << crash.output;
  // The last log line names the seed and the case that crashed.
  std::string tail = json::serialize(fuzz.at("log_tail"));
  EXPECT_NE(tail.find("robust.fuzz seed 1 case"), std::string::npos) << tail;

  VerifyRun hang =
      verify({kPlugins + "/libverify_broken_8.so", "--only", "source.read", "--timeout", "2"});
  auto read = checks_of(hang)["source.read"];
  ASSERT_FALSE(read.empty()) << hang.output;
  EXPECT_NE(read.at("reason").as_string().find("timed out after 2 s"), std::string::npos);
  EXPECT_EQ(hang.exit_code, 2);
}

TEST(Verify, SeedReproducesTheSameFuzzCases) {
  VerifyRun first =
      verify({kPlugins + "/libverify_broken_16.so", "--only", "robust.fuzz", "--seed", "5"});
  VerifyRun again =
      verify({kPlugins + "/libverify_broken_16.so", "--only", "robust.fuzz", "--seed", "5"});
  auto a = checks_of(first)["robust.fuzz"];
  auto b = checks_of(again)["robust.fuzz"];
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(json::serialize(a.at("log_tail").as_array().back()).substr(30),
            json::serialize(b.at("log_tail").as_array().back()).substr(30));
  EXPECT_EQ(first.report.at("seed").as_int64(), 5);
}

TEST(Verify, UnknownCheckAndMissingPluginAreUsageErrors) {
  EXPECT_EQ(verify({kPlugins + "/libverify_conformance.so", "--only", "no.such"}).exit_code, 1);
  EXPECT_EQ(verify({"no-such-plugin"}).exit_code, 1);
}

TEST(Verify, VendorPluginsPassAgainstTheSandbox) {
  TempDir dir;
  atsm::sandbox::Options options;
  options.persons = 5;
  options.rate_scale = 50;
  atsm::sandbox::Sandbox sandbox(options);
  sandbox.start();
  std::filesystem::path credentials = dir.path() / "credentials";
  atsm::sandbox::write_credentials_file(credentials, sandbox.credentials());
  const auto& endpoints = sandbox.endpoints();
  // The Ashby plugin's calls, the fuzz's included, are judged by Ashby's document.
  auto validator = atsm::testing::start_ashby_spec_validator(endpoints.ashby_url);
  json::object config{
      {"lever",
       json::object{
           {"base_url", endpoints.lever_url + "/v1"}, {"rate_scale", 50}, {"page_size", 2}}},
      {"greenhouse", json::object{{"base_url", endpoints.greenhouse_url},
                                  {"token_url", endpoints.greenhouse_url + "/token"},
                                  {"rate_scale", 50},
                                  {"per_page", 2}}},
      {"ashby", json::object{{"base_url", atsm::testing::ashby_url_through(validator.get(),
                                                                           endpoints.ashby_url)},
                             {"rate_limit_per_minute", 50000}}},
      {"archive", json::object{{"dir", (dir.path() / "archive").string()}}},
      // Lever feedback names interviews its interview lists do not hold (as the real API does).
      {"verify", json::object{{"allow_dangling_references", json::array{"feedback.interview"}}}}};
  std::filesystem::path config_file = dir.path() / "config.json";
  std::ofstream(config_file) << json::serialize(config);
  for (const char* plugin : {"lever", "greenhouse", "ashby", "archive"}) {
    VerifyRun run = verify({plugin, "--config", config_file.string(), "--credentials",
                            credentials.string(), "--seed", "3"});
    EXPECT_EQ(run.exit_code, 0) << plugin << ": " << run.output;
    for (const auto& [name, check] : checks_of(run))
      EXPECT_NE(check.at("result").as_string(), "fail")
          << plugin << " " << name << ": " << json::serialize(check);
    // The sinks' write -> find -> read_back ran, not skipped.
    if (std::string_view(plugin) == "ashby" || std::string_view(plugin) == "archive") {
      EXPECT_EQ(result_of(run, "sink.round_trip"), "pass") << plugin << ": " << run.output;
    }
  }
  atsm::testing::expect_no_ashby_spec_violations(validator.get());
}

}  // namespace
