// The connector ABI as the host sees it: negotiation, refusals and the C++ facade over a
// connector instance, with purpose-built plugins.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>

#include "host/connector_instance.hpp"
#include "host/plugin_registry.hpp"
#include "memory_services.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using atsm::abi_testing::MemoryServices;
using atsm::host::ConnectorInstance;
using atsm::host::PluginRegistry;

namespace {

const fs::path kPluginDir = ATSM_TEST_PLUGIN_DIR;

std::string refusal_for(const PluginRegistry& registry, const std::string& file_name) {
  for (const auto& refusal : registry.refusals()) {
    if (refusal.path.filename() == file_name)
      return refusal.line();
  }
  return {};
}

class AbiTest : public ::testing::Test {
 protected:
  void SetUp() override { registry.load_directories({kPluginDir}); }
  PluginRegistry registry;
};

TEST_F(AbiTest, LoadsWellBehavedPluginsInCAndCxx) {
  const auto* echo = registry.find("echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->version(), "1.0.0");
  EXPECT_TRUE(echo->is_source());
  EXPECT_TRUE(echo->is_sink());
  EXPECT_EQ(echo->source_kinds(), std::vector<std::string>{"person"});
  ASSERT_EQ(echo->config_keys().size(), 1u);
  EXPECT_EQ(echo->config_keys()[0].name, "base_url");
  EXPECT_EQ(echo->config_keys()[0].default_value, "\"http://x\"");
  ASSERT_EQ(echo->secrets().size(), 1u);
  EXPECT_TRUE(echo->secrets()[0].required);
  EXPECT_EQ(echo->capabilities(), (std::vector<std::string>{"find", "read_back"}));

  const auto* plain = registry.find("plain");
  ASSERT_NE(plain, nullptr);
  EXPECT_TRUE(plain->is_source());
  EXPECT_FALSE(plain->is_sink());
  EXPECT_EQ(registry.plugins().size(), 2u) << "only the two good plugins load";
}

TEST_F(AbiTest, RefusesAMajorVersionMismatchNamingBothVersions) {
  std::string line = refusal_for(registry, "libtest_broken_future.so");
  EXPECT_NE(line.find("libtest_broken_future.so"), std::string::npos) << line;
  EXPECT_NE(line.find("ABI 2.0"), std::string::npos) << line;
  EXPECT_NE(line.find("ABI " + atsm::host::abi_version_text(ATSM_ABI_VERSION)), std::string::npos)
      << line;
}

TEST_F(AbiTest, RefusesAShortDescriptor) {
  std::string line = refusal_for(registry, "libtest_broken_short.so");
  EXPECT_NE(line.find("descriptor is 16 bytes"), std::string::npos) << line;
}

TEST_F(AbiTest, RefusesGarbageJsonInTheDescriptor) {
  std::string line = refusal_for(registry, "libtest_broken_garbage.so");
  EXPECT_NE(line.find("source_kinds_json is not valid JSON"), std::string::npos) << line;
}

TEST_F(AbiTest, RefusesALibraryWithoutTheEntrySymbol) {
  std::string line = refusal_for(registry, "libtest_no_entry.so");
  EXPECT_NE(line.find("no entry symbol atsm_connector_entry"), std::string::npos) << line;
}

TEST_F(AbiTest, SurvivesAnEntryPointThatThrows) {
  std::string line = refusal_for(registry, "libtest_throwing_entry.so");
  EXPECT_NE(line.find("entry point threw"), std::string::npos) << line;
}

TEST(AbiRegistry, RefusesAGroupWritableFileAndANameCollision) {
  atsm::testing::TempDir temp("atsm-abi");
  const fs::path& dir = temp.path();
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  fs::copy_file(kPluginDir / "libtest_echo_connector.so", dir / "a" / "libecho.so");
  fs::copy_file(kPluginDir / "libtest_echo_connector.so", dir / "b" / "libecho.so");
  fs::copy_file(kPluginDir / "libtest_plain_c_source.so", dir / "b" / "libplain.so");
  ::chmod((dir / "b" / "libplain.so").c_str(), 0664);

  PluginRegistry registry;
  registry.load_directories({dir / "a", dir / "b", dir / "missing"});
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0]->path(), dir / "a" / "libecho.so");
  std::vector<std::string> lines;
  for (const auto& refusal : registry.refusals())
    lines.push_back(refusal.line());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(
      lines[0].find("the name 'echo' is already taken by " + (dir / "a" / "libecho.so").string()),
      std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("writable by group or others (mode 0664)"), std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find("does not exist"), std::string::npos) << lines[2];
}

TEST_F(AbiTest, StreamsBatchesWithCheckpointsThroughTheFacade) {
  MemoryServices services;
  ConnectorInstance echo(*registry.find("echo"), services, "{}");
  std::vector<std::string> keys, checkpoints;
  auto collect = [&](const std::string& kind, boost::json::array& records,
                     const std::string& checkpoint) {
    EXPECT_EQ(kind, "person");
    for (auto& record : records)
      keys.emplace_back(record.as_object().at("source_key").as_string());
    checkpoints.push_back(checkpoint);
  };
  echo.read("person", "", collect);
  EXPECT_EQ(keys, (std::vector<std::string>{"echo:person:1", "echo:person:2", "echo:person:3"}));
  EXPECT_EQ(checkpoints, (std::vector<std::string>{"after-2", ""}));
  EXPECT_EQ(services.lines, std::vector<std::string>{"reading person"});

  keys.clear();
  echo.read("person", "after-2", collect);
  EXPECT_EQ(keys, std::vector<std::string>{"echo:person:3"})
      << "resuming skips the committed batch";
}

TEST_F(AbiTest, AHandlerFailureStopsTheReadAndReachesTheCaller) {
  MemoryServices services;
  ConnectorInstance echo(*registry.find("echo"), services, "{}");
  int batches = 0;
  try {
    echo.read("person", "", [&](const std::string&, boost::json::array&, const std::string&) {
      ++batches;
      throw atsm::host::Error(ATSM_INTERNAL, "staging disk full");
    });
    FAIL() << "expected the handler's failure";
  } catch (const atsm::host::Error& error) {
    EXPECT_EQ(error.status(), ATSM_INTERNAL);
    EXPECT_NE(std::string(error.what()).find("staging disk full"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(batches, 1) << "the plugin stops at the first refused batch";
}

TEST_F(AbiTest, GarbageRecordsAndThrownExceptionsBecomeErrorsNamingThePlugin) {
  MemoryServices services;
  ConnectorInstance echo(*registry.find("echo"), services, "{}");
  auto ignore = [](const std::string&, boost::json::array&, const std::string&) {};
  try {
    echo.read("garbage", "", ignore);
    FAIL() << "garbage JSON must not be accepted";
  } catch (const atsm::host::Error& error) {
    EXPECT_EQ(error.status(), ATSM_INVALID);
    std::string message = error.what();
    EXPECT_NE(message.find("plugin echo ("), std::string::npos) << message;
    EXPECT_NE(message.find("libtest_echo_connector.so"), std::string::npos) << message;
    EXPECT_NE(message.find("not a JSON array"), std::string::npos) << message;
  }
  try {
    echo.read("explode", "", ignore);
    FAIL() << "an exception inside the plugin must surface as an error";
  } catch (const atsm::host::Error& error) {
    EXPECT_EQ(error.status(), ATSM_INTERNAL);
    EXPECT_NE(std::string(error.what()).find("boom while reading"), std::string::npos)
        << error.what();
  }
}

TEST_F(AbiTest, SinkCallsCarryStatusesAndVendorDetails) {
  MemoryServices services;
  ConnectorInstance echo(*registry.find("echo"), services, "{}");
  EXPECT_EQ(echo.prepare("{\"a\":1}").at("target").at("plan_bytes").as_int64(), 7);
  EXPECT_FALSE(echo.find("person", R"({"source_key":"echo:person:1"})")) << "nothing written yet";
  boost::json::array results = echo.write("person", "[]");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].at("target_id").as_string(), "t-1");
  EXPECT_EQ(echo.find("person", R"({"source_key":"echo:person:1"})"),
            std::optional<std::string>("t-1"));
  EXPECT_EQ(echo.read_back("person", "t-1")->at("name").as_string(), "Ada");
  EXPECT_FALSE(echo.read_back("person", "t-404"));
  try {
    echo.write("explode", "[]");
    FAIL();
  } catch (const atsm::host::Error& error) {
    EXPECT_EQ(error.status(), ATSM_PERMANENT);
    EXPECT_EQ(error.vendor_code(), "job_not_found");
    EXPECT_EQ(error.vendor_request_id(), "req-42");
    EXPECT_EQ(error.http_status(), 200);
  }
}

TEST_F(AbiTest, OpenFailuresAndExtensions) {
  MemoryServices services;
  try {
    ConnectorInstance rejected(*registry.find("echo"), services, R"({"reject":true})");
    FAIL();
  } catch (const atsm::host::Error& error) {
    EXPECT_EQ(error.status(), ATSM_INVALID);
    EXPECT_NE(std::string(error.what()).find("config key 'reject'"), std::string::npos);
  }
  const atsm_connector& table = registry.find("echo")->descriptor();
  ASSERT_NE(table.get_extension, nullptr);
  EXPECT_NE(table.get_extension("atsm.test.echo/1"), nullptr);
  EXPECT_EQ(table.get_extension("atsm.test.echo/2"), nullptr);
}

TEST_F(AbiTest, APlainCPluginUsesHostServices) {
  MemoryServices services;
  ConnectorInstance plain(*registry.find("plain"), services, "{}");
  size_t records = 0;
  plain.read("user", "", [&](const std::string&, boost::json::array& batch, const std::string&) {
    records += batch.size();
  });
  EXPECT_EQ(records, 1u);
  EXPECT_EQ(services.lines, std::vector<std::string>{"plain C connector opened"});
}

}  // namespace
