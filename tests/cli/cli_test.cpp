// The `atsmigrate` command line as a user meets it: the built binary runs as a child process and
// its exit code, standard output and standard error are checked against README ("Plugins", "Exit
// codes") and against the build's own facts (the CMake project version, the ABI header).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atsmigrate/connector.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using atsm::net::testing::LoopbackServer;
using atsm::net::testing::TempDir;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Variables the CLI reads: the child starts without them unless a test sets them.
const std::vector<std::string> kControlledVariables = {"ATSMIGRATE_PLUGIN_PATH",
                                                       "LEVER_API_KEY",
                                                       "ASHBY_API_KEY",
                                                       "GREENHOUSE_CLIENT_ID",
                                                       "GREENHOUSE_CLIENT_SECRET",
                                                       "LEVER_OAUTH_TOKEN",
                                                       "LEVER_OAUTH_REFRESH_TOKEN"};

// Runs the built atsmigrate with `args` and the test's environment, minus the variables above,
// plus `env`. Output goes through files so that neither stream can block the child.
CliRun run_cli(const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env = {}) {
  TempDir capture;
  atsm::testing::ProcessOptions options;
  options.output_file = capture.path() / "stdout";
  options.errors_file = capture.path() / "stderr";
  options.stdin_null = true;
  options.unset_env = kControlledVariables;
  options.set_env = env;
  std::vector<std::string> argv{ATSM_CLI_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  atsm::testing::ProcessOutcome ran = atsm::testing::run_process(argv, options);
  if (!ran.started)
    ADD_FAILURE() << "cannot start " << argv[0];
  return CliRun{ran.exit_code, std::move(ran.output), std::move(ran.errors)};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;)
    words.push_back(word);
  return words;
}

// The connector ABI this build speaks, as the header (the spec) states it.
std::string header_abi_version() {
  return std::to_string(ATSM_ABI_VERSION_MAJOR) + "." + std::to_string(ATSM_ABI_VERSION_MINOR);
}

std::vector<std::string> strings_of(const json::value& array) {
  std::vector<std::string> items;
  for (const json::value& item : array.as_array())
    items.emplace_back(item.as_string());
  return items;
}

const json::object* plugin_named(const json::value& listing, const std::string& name) {
  for (const json::value& plugin : listing.at("plugins").as_array()) {
    if (plugin.at("name").as_string() == name)
      return &plugin.as_object();
  }
  return nullptr;
}

// Copies a plugin into `dir` with a mode the host accepts (not writable by group or others).
fs::path install_plugin(const std::string& plugin, const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path target = dir / fs::path(plugin).filename();
  fs::copy_file(plugin, target, fs::copy_options::overwrite_existing);
  fs::permissions(target, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  return target;
}

TEST(CliTest, VersionPrintsTheProjectVersion) {
  const CliRun run = run_cli({"--version"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, std::string("atsmigrate ") + ATSM_EXPECTED_VERSION + "\n");
}

TEST(CliTest, HelpListsTheCommands) {
  const CliRun run = run_cli({"--help"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // README: `plugins`, `plugin verify`, the migration (`migrate`) and the other commands on a work
  // dir.
  for (const std::string command :
       {"plugins", "plugin", "migrate", "extract", "plan", "load", "status", "export"}) {
    const auto lines = lines_of(run.out);
    const bool listed = std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
      const auto words = words_of(line);
      return line.starts_with("  ") && !words.empty() && words[0] == command;
    });
    EXPECT_TRUE(listed) << "--help does not list `" << command << "`:\n" << run.out;
  }
  for (const std::string option : {"--source", "--sink", "--workdir", "--plugin-path"})
    EXPECT_NE(run.out.find(option), std::string::npos) << option << " missing:\n" << run.out;
  // README "Exit codes": 0 clean, 1 usage, 2 partial, 3 fatal, 4 held.
  for (const std::string status : {"0 clean", "1 bad command line",
                                   "2 finished with failed records", "3 stopped", "4 records held"})
    EXPECT_NE(run.out.find(status), std::string::npos) << status << " missing:\n" << run.out;
}

TEST(CliTest, PluginsListShowsTheVendorPluginsWithRolesAndAbi) {
  const CliRun run = run_cli({"plugins", "list"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "") << "a build tree's own plugins are all accepted";
  const auto lines = lines_of(run.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(words_of(lines[0]), (std::vector<std::string>{"NAME", "DISPLAY", "VERSION", "ROLES",
                                                          "ABI", "KINDS", "PATH"}));
  // README: Lever and Greenhouse are sources, Ashby is a sink; each declares the vendor's name.
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"lever", {"Lever", "source"}},
      {"greenhouse", {"Greenhouse", "source"}},
      {"ashby", {"Ashby", "sink"}}};
  for (const auto& [name, display_and_roles] : expected) {
    const auto& [display, roles] = display_and_roles;
    const auto row = std::find_if(lines.begin() + 1, lines.end(), [&](const std::string& line) {
      const auto words = words_of(line);
      return !words.empty() && words[0] == name;
    });
    ASSERT_NE(row, lines.end()) << name << " not listed:\n" << run.out;
    const auto words = words_of(*row);
    ASSERT_EQ(words.size(), 7u) << *row;
    EXPECT_EQ(words[1], display) << *row;
    EXPECT_EQ(words[3], roles) << *row;
    EXPECT_EQ(words[4], header_abi_version()) << *row;
    EXPECT_EQ(fs::path(words[6]), fs::path(ATSM_BUILD_PLUGIN_DIR) / ("lib" + name + ".so")) << *row;
  }
}

TEST(CliTest, PluginsListJsonAgreesWithTheTable) {
  const CliRun run = run_cli({"plugins", "list", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json::value listing = json::parse(run.out);
  EXPECT_TRUE(listing.at("refused").as_array().empty()) << run.out;
  for (const std::string name : {"lever", "greenhouse", "ashby"}) {
    const json::object* plugin = plugin_named(listing, name);
    ASSERT_NE(plugin, nullptr) << name << " not listed:\n" << run.out;
    EXPECT_EQ(plugin->at("abi_version").as_string(), header_abi_version());
    EXPECT_TRUE(plugin->at("display_name_declared").as_bool()) << name;
    EXPECT_EQ(strings_of(plugin->at("roles")),
              std::vector<std::string>{name == "ashby" ? "sink" : "source"});
  }
}

TEST(CliTest, PluginsInfoAshbyShowsConfigKeysAndSecrets) {
  const CliRun run = run_cli({"plugins", "info", "ashby"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = lines_of(run.out);
  const auto find_line = [&](const std::string& needle) {
    return std::find_if(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.find(needle) != std::string::npos;
    });
  };
  const auto config_header = find_line("config keys");
  const auto secrets_header = find_line("secrets");
  const auto base_url = find_line("base_url");
  const auto api_key = find_line("ASHBY_API_KEY");
  ASSERT_NE(config_header, lines.end()) << run.out;
  ASSERT_NE(secrets_header, lines.end()) << run.out;
  // README: `--config {"ashby": {"base_url": ...}}`; Ashby's key comes as ASHBY_API_KEY.
  ASSERT_NE(base_url, lines.end()) << run.out;
  ASSERT_NE(api_key, lines.end()) << run.out;
  EXPECT_LT(config_header, base_url) << "base_url is listed among the config keys:\n" << run.out;
  EXPECT_LT(base_url, secrets_header) << run.out;
  EXPECT_LT(secrets_header, api_key) << "ASHBY_API_KEY is listed among the secrets:\n" << run.out;
  EXPECT_NE(api_key->find("(required)"), std::string::npos) << *api_key;
  EXPECT_NE(run.out.find("sink"), std::string::npos) << run.out;
}

TEST(CliTest, PluginsInfoAshbyJson) {
  const CliRun run = run_cli({"plugins", "info", "ashby", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json::value info = json::parse(run.out);
  EXPECT_EQ(info.at("name").as_string(), "ashby");
  EXPECT_EQ(strings_of(info.at("roles")), std::vector<std::string>{"sink"});
  EXPECT_EQ(info.at("abi_version").as_string(), header_abi_version());
  bool has_base_url = false;
  for (const json::value& key : info.at("config_keys").as_array())
    has_base_url = has_base_url || key.at("name").as_string() == "base_url";
  EXPECT_TRUE(has_base_url) << run.out;
  const json::array& secrets = info.at("secrets").as_array();
  const auto api_key = std::find_if(secrets.begin(), secrets.end(), [](const json::value& secret) {
    return secret.at("name").as_string() == "ASHBY_API_KEY";
  });
  ASSERT_NE(api_key, secrets.end()) << run.out;
  EXPECT_TRUE(api_key->at("required").as_bool());
}

TEST(CliTest, PluginsInfoOfAnUnknownPluginIsAUsageError) {
  const CliRun run = run_cli({"plugins", "info", "nosuch"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("no plugin named 'nosuch'"), std::string::npos) << run.err;
  // The message says what is there instead.
  for (const std::string name : {"lever", "greenhouse", "ashby"})
    EXPECT_NE(run.err.find(name), std::string::npos) << run.err;
}

TEST(CliTest, PluginPathVariableIsColonSeparatedAndSearchedInOrder) {
  TempDir dirs;
  const fs::path first = dirs.path() / "first";
  const fs::path second = dirs.path() / "second";
  const fs::path echo_first = install_plugin(ATSM_ECHO_PLUGIN, first);
  const fs::path plain = install_plugin(ATSM_PLAIN_C_PLUGIN, second);
  const fs::path echo_second = install_plugin(ATSM_ECHO_PLUGIN, second);

  const CliRun without = run_cli({"plugins", "list", "--json"});
  ASSERT_EQ(without.exit_code, 0) << without.err;
  EXPECT_EQ(plugin_named(json::parse(without.out), "echo"), nullptr)
      << "the test plugins are only found through the variable";

  for (const bool first_wins : {true, false}) {
    const std::string path_variable = first_wins ? first.string() + ":" + second.string()
                                                 : second.string() + ":" + first.string();
    const CliRun run =
        run_cli({"plugins", "list", "--json"}, {{"ATSMIGRATE_PLUGIN_PATH", path_variable}});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const json::value listing = json::parse(run.out);
    const json::object* echo = plugin_named(listing, "echo");
    const json::object* plain_c = plugin_named(listing, "plain");
    ASSERT_NE(echo, nullptr) << run.out;
    ASSERT_NE(plain_c, nullptr) << run.out;
    EXPECT_EQ(fs::path(std::string(plain_c->at("path").as_string())), plain);
    // Two plugins named echo: the one in the directory listed first wins, the other is refused.
    const fs::path winner = first_wins ? echo_first : echo_second;
    const fs::path loser = first_wins ? echo_second : echo_first;
    EXPECT_EQ(fs::path(std::string(echo->at("path").as_string())), winner) << path_variable;
    const json::array& refused = listing.at("refused").as_array();
    ASSERT_EQ(refused.size(), 1u) << run.out;
    EXPECT_EQ(fs::path(std::string(refused[0].at("path").as_string())), loser);
    EXPECT_NE(run.err.find(loser.string()), std::string::npos)
        << "the refusal names the file on stderr: " << run.err;
    for (const std::string name : {"lever", "greenhouse", "ashby"})
      EXPECT_NE(plugin_named(listing, name), nullptr) << "the build's own plugins still load";
  }
}

// A plugin directory of the crash test plugins named (tests/cli/plugins/crashing_connector.c).
fs::path install_crash_plugins(const std::vector<std::string>& names, const fs::path& dir) {
  for (const std::string& name : names)
    install_plugin(std::string(ATSM_CRASH_PLUGIN_DIR) + "/libtest_crash_" + name + ".so", dir);
  return dir;
}

const json::object* refusal_of(const json::value& listing, const fs::path& path) {
  for (const json::value& refused : listing.at("refused").as_array()) {
    if (fs::path(std::string(refused.at("path").as_string())) == path)
      return &refused.as_object();
  }
  return nullptr;
}

// Issue 19: a plugin whose entry point or descriptor crashes, aborts, exits or hangs is refused
// with its file and reason; every other plugin is still listed.
TEST(CliTest, PluginsListRefusesPluginsThatCrashAbortExitOrHangAndListsTheOthers) {
  TempDir dirs;
  const fs::path dir = dirs.path() / "plugins";
  install_plugin(ATSM_ECHO_PLUGIN, dir);
  install_plugin(ATSM_PLAIN_C_PLUGIN, dir);
  const std::vector<std::string> bad = {"entry_segv", "entry_abort",      "entry_hang",
                                        "entry_exit", "bad_name_pointer", "huge_description",
                                        "huge_name"};
  install_crash_plugins(bad, dir);
  const CliRun run =
      run_cli({"plugins", "list", "--json"}, {{"ATSMIGRATE_PLUGIN_PATH", dir.string()}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json::value listing = json::parse(run.out);
  for (const std::string name : {"echo", "plain", "lever", "greenhouse", "ashby"})
    EXPECT_NE(plugin_named(listing, name), nullptr) << name << " is still listed: " << run.out;
  for (const std::string& name : bad) {
    const fs::path path = dir / ("libtest_crash_" + name + ".so");
    const json::object* refusal = refusal_of(listing, path);
    ASSERT_NE(refusal, nullptr) << name << " is refused: " << run.out;
    const std::string reason(refusal->at("reason").as_string());
    EXPECT_NE(run.err.find(path.string()), std::string::npos) << "stderr names " << path;
    if (name == "huge_description") {
      EXPECT_NE(reason.find("description is longer than 1024 bytes"), std::string::npos) << reason;
    } else if (name == "huge_name") {
      EXPECT_NE(reason.find("name is missing or not of [a-z0-9_-]{1,64}"), std::string::npos)
          << reason;
    } else if (name == "entry_hang") {
      EXPECT_NE(reason.find("no answer within 5 s"), std::string::npos) << reason;
    } else {
      // A signal, or under a sanitizer its report and an exit status: either way, the probe.
      EXPECT_NE(reason.find("broke a probe process"), std::string::npos) << reason;
    }
  }
  EXPECT_LT(run.out.size() + run.err.size(), 64u * 1024)
      << "the 1 MB name and description are not printed";

  const CliRun table = run_cli({"plugins", "list"}, {{"ATSMIGRATE_PLUGIN_PATH", dir.string()}});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("echo"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("plain"), std::string::npos) << table.out;
}

// A bad plugin on the plugin path does not stop a run that does not use it.
TEST(CliTest, ARunThatDoesNotUseACrashingPluginIsUnaffected) {
  TempDir dirs;
  const fs::path dir =
      install_crash_plugins({"faulty", "entry_segv", "entry_abort"}, dirs.path() / "plugins");
  const fs::path work_dir = dirs.path() / "work";
  const CliRun run = run_cli({"extract", "--source", "faulty", "--workdir", work_dir.string()},
                             {{"ATSMIGRATE_PLUGIN_PATH", dir.string()}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.err.find("libtest_crash_entry_segv.so"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("extracted person"), std::string::npos) << run.err;
}

// A plugin that crashes the process mid-step (or calls exit): the next run names the plugin, the
// call and the step; exit(0) does not pass for success.
TEST(CliTest, APluginThatCrashesAMigrationIsNamedByTheNextRun) {
  TempDir dirs;
  const fs::path dir = install_crash_plugins({"faulty"}, dirs.path() / "plugins");
  const std::map<std::string, std::string> env{{"ATSMIGRATE_PLUGIN_PATH", dir.string()}};
  for (const std::string call : {"read", "write"}) {
    for (const std::string how : {"segv", "abort", "exit0"}) {
      const std::string mode = call + "-" + how;
      const fs::path work_dir = dirs.path() / ("work-" + mode);
      const CliRun crashed = run_cli({"--source", "faulty", "--sink", "faulty", "--workdir",
                                      work_dir.string(), "--set", "faulty.crash=" + mode},
                                     env);
      if (how == "exit0") {
        EXPECT_EQ(crashed.exit_code, 3) << mode << ": exit(0) mid-step is fatal\n" << crashed.err;
      } else {
        EXPECT_NE(crashed.exit_code, 0) << mode << crashed.err;
      }
      const CliRun status = run_cli({"status", "--workdir", work_dir.string()}, env);
      EXPECT_EQ(status.exit_code, 0) << status.err;
      const std::string named = "plugin 'faulty' in its " + call + " of person";
      EXPECT_NE(status.out.find(named), std::string::npos) << mode << ":\n" << status.out;
      EXPECT_NE(status.out.find("did not finish step 'migrate'"), std::string::npos) << status.out;
      // A segfault under AddressSanitizer is its report, and the sanitizer ends the process.
      const bool said_how =
          how == "exit0" ? status.out.find("exit() was called") != std::string::npos
                         : status.out.find("it died of SIG") != std::string::npos ||
                               status.out.find("a sanitizer stopped it") != std::string::npos;
      EXPECT_TRUE(said_how) << mode << ":\n" << status.out;
      if (call == "read") {
        // The next run that works says it too, once.
        const CliRun next =
            run_cli({"extract", "--source", "faulty", "--workdir", work_dir.string()}, env);
        EXPECT_EQ(next.exit_code, 0) << next.err;
        EXPECT_NE(next.err.find(named), std::string::npos) << mode << ":\n" << next.err;
        const CliRun after = run_cli({"status", "--workdir", work_dir.string()}, env);
        EXPECT_EQ(after.out.find("did not finish"), std::string::npos) << after.out;
      }
    }
  }
}

// Issue 18: `status` beside a live migration warned that the run "did not finish" (a run under way
// has a step in progress too). While another process holds the work dir's lock (as every run
// does: flock on WORKDIR/lock, README), status says a run is in progress and names it; once the
// lock is free, the record of a step that did not finish is reported again.
TEST(CliTest, StatusBesideARunInProgressSaysSoInsteadOfDidNotFinish) {
  TempDir dirs;
  const fs::path dir = install_crash_plugins({"faulty"}, dirs.path() / "plugins");
  const std::map<std::string, std::string> env{{"ATSMIGRATE_PLUGIN_PATH", dir.string()}};
  const fs::path work_dir = dirs.path() / "work";
  // A run that ends mid-step leaves the record of its step, as a live run's is.
  const CliRun ended = run_cli({"--source", "faulty", "--sink", "faulty", "--workdir",
                                work_dir.string(), "--set", "faulty.crash=read-exit0"},
                               env);
  ASSERT_EQ(ended.exit_code, 3) << ended.err;
  {
    const int fd = ::open((work_dir / "lock").c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    const std::string holder = "pid 4242, step migrate, since 2026-12-06T20:00:00Z\n";
    ASSERT_EQ(::ftruncate(fd, 0), 0);
    ASSERT_EQ(::pwrite(fd, holder.data(), holder.size(), 0), static_cast<ssize_t>(holder.size()));
    const CliRun busy = run_cli({"status", "--workdir", work_dir.string()}, env);
    ::close(fd);
    EXPECT_EQ(busy.exit_code, 0) << busy.err;
    EXPECT_NE(busy.out.find("a run is in progress in this work dir (pid 4242, step migrate, "
                            "since 2026-12-06T20:00:00Z)"),
              std::string::npos)
        << busy.out;
    EXPECT_EQ(busy.out.find("did not finish"), std::string::npos) << busy.out;
  }
  const CliRun idle = run_cli({"status", "--workdir", work_dir.string()}, env);
  EXPECT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_NE(idle.out.find("did not finish step 'migrate'"), std::string::npos) << idle.out;
  EXPECT_EQ(idle.out.find("in progress"), std::string::npos) << idle.out;
}

// A typo in --sink and a configuration value out of range are usage errors (exit 1), found
// before the source is asked anything.
TEST(CliTest, ASinkTypoOrABadConfigValueIsAUsageErrorBeforeAnyRequest) {
  LoopbackServer lever;
  std::atomic<int> calls{0};
  const auto count = [&calls](const httplib::Request&, httplib::Response& response) {
    ++calls;
    response.status = 500;
  };
  lever.server.Get(".*", count);
  lever.server.Post(".*", count);
  lever.start();
  TempDir work;
  const std::map<std::string, std::string> keys{{"LEVER_API_KEY", "unused-key"},
                                                {"ASHBY_API_KEY", "unused-key"}};
  const std::vector<std::vector<std::string>> mistakes = {
      {"--sink", "ashbyy"},
      {"--sink", "ashby", "--set", "lever.page_size=1000"},  // 1 to 100 (plugins info lever)
      {"--sink", "ashby", "--set", "ashby.rate_limit_per_minute=\"fast\""},
  };
  for (const std::vector<std::string>& mistake : mistakes) {
    std::vector<std::string> args = {"--source",  "lever",
                                     "--workdir", (work.path() / "work").string(),
                                     "--set",     "lever.base_url=" + lever.url("/v1")};
    args.insert(args.end(), mistake.begin(), mistake.end());
    const CliRun run = run_cli(args, keys);
    EXPECT_EQ(run.exit_code, 1) << mistake.back() << "\n" << run.err;
    EXPECT_EQ(calls.load(), 0) << mistake.back() << ": the source was not asked";
  }
}

// One config file for every vendor: a section of an installed plugin the run does not use is
// accepted; a plugin that is not installed, or an unknown key, is not.
TEST(CliTest, AConfigSectionOfAnInstalledPluginTheRunDoesNotUseIsAccepted) {
  TempDir dirs;
  const fs::path dir = install_crash_plugins({"faulty"}, dirs.path() / "plugins");
  const std::map<std::string, std::string> env{{"ATSMIGRATE_PLUGIN_PATH", dir.string()}};
  const auto config = [&](const std::string& text) {
    const fs::path file = dirs.path() / "config.json";
    std::ofstream(file) << text;
    return file.string();
  };
  const CliRun accepted = run_cli(
      {"extract", "--source", "faulty", "--workdir", (dirs.path() / "work").string(), "--config",
       config(R"({"faulty": {}, "greenhouse": {"base_url": "http://127.0.0.1:9"},
                  "ashby": {"rate_limit_per_minute": 100}})")},
      env);
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
  EXPECT_NE(accepted.err.find("configuration for plugin 'greenhouse' is not used"),
            std::string::npos)
      << accepted.err;
  const CliRun uninstalled =
      run_cli({"extract", "--source", "faulty", "--workdir", (dirs.path() / "work").string(),
               "--config", config(R"({"workday": {"base_url": "http://127.0.0.1:9"}})")},
              env);
  EXPECT_EQ(uninstalled.exit_code, 1) << uninstalled.err;
  EXPECT_NE(uninstalled.err.find("'workday'"), std::string::npos) << uninstalled.err;
  const CliRun unknown_key =
      run_cli({"extract", "--source", "faulty", "--workdir", (dirs.path() / "work").string(),
               "--config", config(R"({"greenhouse": {"colour": "red"}})")},
              env);
  EXPECT_EQ(unknown_key.exit_code, 1) << unknown_key.err;
  EXPECT_NE(unknown_key.err.find("colour"), std::string::npos) << unknown_key.err;
}

// README, exit codes: 3 is fatal, "the run could not go on: auth, ...". A Lever that refuses the
// key (401 on every call, served on loopback) stops the migration before anything is written.
TEST(CliTest, MigrationWhoseCredentialsAreRefusedIsFatal) {
  LoopbackServer lever;
  std::atomic<int> calls{0};
  const auto refuse = [&calls](const httplib::Request&, httplib::Response& response) {
    ++calls;
    response.status = 401;
    response.set_content(R"({"code":"Unauthorized","message":"Invalid API key"})",
                         "application/json");
  };
  lever.server.Get(".*", refuse);
  lever.server.Post(".*", refuse);
  lever.start();
  TempDir work;
  const fs::path work_dir = work.path() / "work";
  const CliRun run = run_cli({"--source", "lever", "--sink", "ashby", "--workdir",
                              work_dir.string(), "--set", "lever.base_url=" + lever.url("/v1")},
                             {{"LEVER_API_KEY", "refused-key"}, {"ASHBY_API_KEY", "unused"}});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_GT(calls.load(), 0) << "the source was asked";
  EXPECT_NE(run.err.find("fatal"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("refused-key"), std::string::npos) << "the key is redacted";
  EXPECT_FALSE(fs::exists(work_dir / "report.json")) << "no load ran";
}

// README, exit codes: 3 also covers a corrupt work dir.
TEST(CliTest, CorruptWorkDirIsFatal) {
  TempDir work;
  const fs::path work_dir = work.path() / "work";
  fs::create_directory(work_dir);
  fs::permissions(work_dir, fs::perms::owner_all);
  {
    std::ofstream garbage(work_dir / "staging.sqlite", std::ios::binary);
    garbage << std::string(8192, 'x');
  }
  fs::permissions(work_dir / "staging.sqlite", fs::perms::owner_read | fs::perms::owner_write);
  const CliRun run = run_cli({"status", "--workdir", work_dir.string()});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_NE(run.err.find("fatal"), std::string::npos) << run.err;
}

// Issue 19, "Secrets never echoed". A key typed where an argument goes, or handed over as a
// setting or an option, is refused (exit 1, README "Exit codes") with a message that says where
// secrets go, and the value appears in no output.
constexpr const char* kPastedKey = "lvr_8f2kQ9zX1mP4wTr0cYb";

TEST(CliTest, ASecretTypedAsAnArgumentIsNeverEchoed) {
  const CliRun run = run_cli({"--source", "lever", "--sink", "ashby", kPastedKey});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(run.out.find(kPastedKey), std::string::npos) << run.out;
  EXPECT_EQ(run.err.find(kPastedKey), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("not expected"), std::string::npos)
      << "the error still says what is wrong";
  EXPECT_NE(run.err.find("--credentials"), std::string::npos) << "and where secrets go";
  // An ordinary mistyped word is still shown: only what may be a key is hidden.
  const CliRun typo = run_cli({"--source", "lever", "--sink", "ashby", "extra-word"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.err.find("not expected: extra-word"), std::string::npos) << typo.err;
}

TEST(CliTest, ASecretHandedOverAsASettingOrOptionIsRefusedWithoutEchoingIt) {
  const std::vector<std::vector<std::string>> attempts = {
      {"--source", "lever", "--sink", "ashby", "--set", std::string("LEVER_API_KEY=") + kPastedKey},
      {"--source", "lever", "--sink", "ashby", std::string("--set=ASHBY_API_KEY=") + kPastedKey},
      {"--source", "lever", "--sink", "ashby", "--set", std::string("lever.api_key=") + kPastedKey},
      {"--source", "lever", "--sink", "ashby", "--api-key", kPastedKey},
      {"--source", "lever", "--sink", "ashby", std::string("--api-key=") + kPastedKey},
      {"plan", "--source", "lever", "--sink", "ashby", "--token", kPastedKey},
      {"--source", "greenhouse", "--sink", "ashby", "--client-secret", kPastedKey},
  };
  for (const std::vector<std::string>& args : attempts) {
    const CliRun run = run_cli(args);
    std::string shown;
    for (const std::string& arg : args)
      shown += arg + " ";
    EXPECT_EQ(run.exit_code, 1) << shown << run.err;
    EXPECT_EQ(run.err.find(kPastedKey), std::string::npos) << shown << run.err;
    EXPECT_EQ(run.out.find(kPastedKey), std::string::npos) << shown << run.out;
    EXPECT_NE(run.err.find("secrets are never taken on the command line"), std::string::npos)
        << shown << run.err;
    EXPECT_NE(run.err.find("--credentials"), std::string::npos) << shown << run.err;
  }
  // A setting that names a secret (the archive's hash_secret holds a secret's NAME) is not one.
  const CliRun naming = run_cli({"--source", "lever", "--sink", "archive", "--set",
                                 "archive.hash_secret=MY_HASH_KEY", "--workdir", "/nonexistent/x"});
  EXPECT_EQ(naming.err.find("secrets are never taken"), std::string::npos) << naming.err;
}

// Every file of a directory tree (SQLite files and their journals included) that holds `needle`.
std::vector<std::string> files_holding(const fs::path& root, const std::string& needle) {
  std::vector<std::string> found;
  if (!fs::exists(root))
    return found;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && read_file(entry.path()).find(needle) != std::string::npos)
      found.push_back(entry.path().string());
  }
  return found;
}

// A Lever that answers every call with an error quoting the request's Authorization header and
// the key inside it (some vendors do). The key, its Basic base64 and its bare base64 reach no
// output and no file of the work dir: not the fatal line, not the stored notices.
TEST(CliTest, AVendorErrorThatQuotesTheKeyLeavesItNowhere) {
  const std::string key = "lvr_Qm7Xc2pL9sV4nB8kT1";
  LoopbackServer lever;
  std::atomic<int> calls{0};
  lever.server.Get(".*", [&](const httplib::Request& request, httplib::Response& response) {
    ++calls;
    const std::string authorization = request.get_header_value("Authorization");
    response.status = 403;
    response.set_content(
        json::serialize(json::object{
            {"code", "Forbidden"},
            {"message", "key " + key + " (sent as 'Authorization: " + authorization + "', token " +
                            authorization.substr(6) + ") may not read this"}}),
        "application/json");
  });
  lever.start();
  TempDir work;
  const fs::path work_dir = work.path() / "work";
  const fs::path log_file = work.path() / "log.jsonl";
  const CliRun run = run_cli({"extract", "--source", "lever", "--sink", "ashby", "--workdir",
                              work_dir.string(), "--log-file", log_file.string(), "--log-level",
                              "debug", "--set", "lever.base_url=" + lever.url("/v1")},
                             {{"LEVER_API_KEY", key}, {"ASHBY_API_KEY", "unused-ashby-key"}});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_GT(calls.load(), 0);
  EXPECT_NE(run.err.find("fatal"), std::string::npos) << run.err;
  for (const std::string& form : {key, atsm::net::testing::base64_reference(key + ":"),
                                  atsm::net::testing::base64_reference(key)}) {
    EXPECT_EQ(run.out.find(form), std::string::npos) << form << "\n" << run.out;
    EXPECT_EQ(run.err.find(form), std::string::npos) << form << "\n" << run.err;
    EXPECT_EQ(files_holding(work_dir, form), std::vector<std::string>{}) << form;
    EXPECT_EQ(files_holding(work.path(), form), std::vector<std::string>{}) << form << " (log)";
  }
  EXPECT_TRUE(fs::exists(work_dir / "staging.sqlite")) << "the work dir was used";
}

TEST(CliTest, UnknownOptionIsAUsageError) {
  const CliRun run = run_cli({"plugins", "list", "--no-such-option"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("--no-such-option"), std::string::npos) << run.err;
}

}  // namespace
