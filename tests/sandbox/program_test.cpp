// The ats-sandbox executable: one ready JSON line, a 0600 credentials file, clean stop on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "http_client.hpp"
#include "sandbox/sandbox.hpp"

namespace atsm::sandbox {
namespace {

namespace json = boost::json;

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
};

Child spawn(const std::vector<std::string>& args) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], 1);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    std::vector<char*> argv;
    std::string bin = ATS_SANDBOX_BIN;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& arg : copy)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  return Child{pid, ::fdopen(pipe_fds[0], "r")};
}

std::string read_line(FILE* in) {
  std::string line;
  int c;
  while ((c = std::fgetc(in)) != EOF && c != '\n')
    line.push_back(static_cast<char>(c));
  return line;
}

int stop(Child& child, int signal_number) {
  ::kill(child.pid, signal_number);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  std::fclose(child.out);
  return status;
}

TEST(SandboxProgram, PrintsOneReadyLineWritesPrivateCredentialsAndStopsOnSigterm) {
  Child child = spawn({"--persons", "20", "--seed", "3"});
  std::string line = read_line(child.out);
  auto ready = json::parse(line).as_object();
  EXPECT_TRUE(ready.at("ready").as_bool());
  std::string credentials(ready.at("credentials").as_string());
  struct stat info {};
  ASSERT_EQ(::stat(credentials.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  Credentials keys = read_credentials_file(credentials);
  test::HttpOptions auth;
  auth.userpwd = keys.lever_api_key + ":";
  EXPECT_EQ(test::http(std::string(ready.at("lever").as_string()) + "/v1/stages", auth).status,
            200);
  EXPECT_EQ(
      test::ashby(std::string(ready.at("ashby").as_string()), keys.ashby_api_key, "source.list", {})
          .status,
      200);
  EXPECT_EQ(test::http(std::string(ready.at("greenhouse").as_string()) + "/_sandbox/stats").status,
            200);
  int status = stop(child, SIGTERM);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(std::filesystem::exists(credentials))
      << "the generated credentials are removed on exit";
}

TEST(SandboxProgram, UsesGivenCredentialsAndStopsOnSigint) {
  const char* root = std::getenv("ATSM_TEST_TMP");
  std::filesystem::path base = root ? root : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(base);
  std::string pattern = (base / "program-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  std::filesystem::path file = std::filesystem::path(pattern) / "keys.env";
  Credentials keys{"lever-key", "gh-id", "gh-secret", "ashby-key"};
  write_credentials_file(file, keys);
  Child child =
      spawn({"--persons", "5", "--credentials", file.string(), "--fault", "lever:server_error=0"});
  auto ready = json::parse(read_line(child.out)).as_object();
  EXPECT_EQ(std::string(ready.at("credentials").as_string()),
            std::filesystem::absolute(file).string());
  EXPECT_EQ(test::ashby(std::string(ready.at("ashby").as_string()), "ashby-key", "source.list", {})
                .status,
            200);
  int status = stop(child, SIGINT);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::filesystem::remove_all(pattern);
}

TEST(SandboxProgram, RejectsAnUnknownFault) {
  Child child = spawn({"--fault", "meteor=0.1"});
  EXPECT_TRUE(read_line(child.out).empty());
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  std::fclose(child.out);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
}

TEST(SandboxCredentials, FileIsPrivateAndRoundTrips) {
  const char* root = std::getenv("ATSM_TEST_TMP");
  std::filesystem::path base = root ? root : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(base);
  std::string pattern = (base / "creds-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  auto file = std::filesystem::path(pattern) / "c.env";
  Credentials keys = random_credentials();
  write_credentials_file(file, keys);
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  Credentials back = read_credentials_file(file);
  EXPECT_EQ(back.lever_api_key, keys.lever_api_key);
  EXPECT_EQ(back.ashby_api_key, keys.ashby_api_key);
  EXPECT_NE(random_credentials().lever_api_key, keys.lever_api_key);
  std::ofstream(file) << "LEVER_API_KEY=x\n";
  EXPECT_THROW(read_credentials_file(file), std::runtime_error);
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace atsm::sandbox

namespace atsm::sandbox {
namespace {

TEST(SandboxLifecycle, ABusyPortFailsStartWithTheVendorNamedAndStopsCleanly) {
  Sandbox first(Options{});
  first.start();
  Options clash;
  clash.persons = 5;
  clash.port_ashby = first.endpoints().ashby_port;
  Sandbox second(clash);
  try {
    second.start();
    FAIL() << "binding a busy port must fail";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("ashby"), std::string::npos) << error.what();
  }
  EXPECT_THROW(second.start(), std::logic_error);
  first.stop();
  first.stop();  // idempotent
}

}  // namespace
}  // namespace atsm::sandbox

namespace atsm::sandbox {
namespace {

TEST(SandboxProgram, PrintsTheDefaultAshbyConfigThatItAlsoAccepts) {
  Child child = spawn({"--print-ashby-config", "--persons", "10"});
  std::string line = read_line(child.out);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  std::fclose(child.out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto config = json::parse(line).as_object();
  EXPECT_FALSE(config.at("interviewPlans").as_array().empty());
  const char* root = std::getenv("ATSM_TEST_TMP");
  std::filesystem::path base = root ? root : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(base);
  std::string pattern = (base / "config-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  auto file = std::filesystem::path(pattern) / "ashby.json";
  // An operator's edit: one more source.
  config["sources"].as_array().push_back(json::object{{"title", "Hand-made Source"}});
  std::ofstream(file) << json::serialize(config);
  Options options;
  options.persons = 10;
  options.ashby_config_file = file;
  Sandbox sandbox(options);
  sandbox.start();
  auto sources = test::ashby(sandbox.endpoints().ashby_url, sandbox.credentials().ashby_api_key,
                             "source.list", {})
                     .json();
  bool found = false;
  for (const auto& source : sources.at("results").as_array())
    found = found || source.at("title") == "Hand-made Source";
  EXPECT_TRUE(found);
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace atsm::sandbox
