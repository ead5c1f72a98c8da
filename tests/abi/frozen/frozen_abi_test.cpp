// ABI compatibility: the current connector.h keeps every field of ABI 1.0, 1.1, 1.2 and 1.3 at its
// frozen offset, every constant at its value, and every struct at least as large (minors only
// append); plugins built against the frozen headers load in this host; and both directions of mixed
// minors behave as connector.h's "Mixed minors" says: this host serves a 1.0 connector without
// 1.1's additions and a 1.1 connector with a label derived from its name, a 1.0 host
// (frozen_v1_0_host.c) refuses a 1.1 connector that needs VERBATIM, and a 1.1 host
// (frozen_v1_1_host.c) loads a 1.2 connector, never asking for its display name.
#include <gtest/gtest.h>

#include <atsmigrate/connector.h>
#include <atsmigrate/connector.hpp>

#include <cstring>
#include <map>
#include <string>

#include "frozen_layout.h"
#include "frozen_v1_0_host.h"
#include "host/connector_instance.hpp"
#include "host/plugin_registry.hpp"
#include "host/run_services.hpp"
#include "memory_services.hpp"
#include "plugin_run.hpp"

namespace {

using atsm::abi_testing::MemoryServices;
using atsm::host::ConnectorInstance;
using atsm::host::LoadedPlugin;
using atsm::host::PluginRegistry;

const std::string kPluginDir = ATSM_TEST_PLUGIN_DIR;

const atsm_layout_entry kCurrentLayout[] = {
#include "layout_fields_v1_3.inc"
    {nullptr, 0}};

const atsm_layout_text kCurrentTexts[] = {
#include "texts_v1_2.inc"
    {nullptr, nullptr}};

// Compares a frozen header's facts with the current header's; returns how many were compared.
int expect_layout_kept(const atsm_layout_entry* frozen, const std::string& version) {
  std::map<std::string, size_t> current;
  for (const atsm_layout_entry* entry = kCurrentLayout; entry->what != nullptr; ++entry)
    current[entry->what] = entry->value;
  int compared = 0;
  for (const atsm_layout_entry* entry = frozen; entry->what != nullptr; ++entry) {
    std::string what = entry->what;
    EXPECT_TRUE(current.count(what)) << what << " of ABI " << version << " is gone";
    // Sizes grow by appending; the minor grows with each release.
    if (what.rfind("sizeof ", 0) == 0 || what == "ATSM_ABI_VERSION_MINOR")
      EXPECT_GE(current[what], entry->value) << what << " shrank";
    else
      EXPECT_EQ(current[what], entry->value) << what << " moved or changed";
    ++compared;
  }
  return compared;
}

const LoadedPlugin* load(PluginRegistry& registry, const std::string& file) {
  const LoadedPlugin* plugin = registry.load_file(kPluginDir + "/" + file);
  EXPECT_NE(plugin, nullptr) << (registry.refusals().empty() ? ""
                                                             : registry.refusals().back().line());
  return plugin;
}

std::string refusal(PluginRegistry& registry, const std::string& file) {
  EXPECT_EQ(registry.load_file(kPluginDir + "/" + file), nullptr) << file << " loaded";
  return registry.refusals().empty() ? std::string() : registry.refusals().back().line();
}

TEST(FrozenAbi, EveryOneDotZeroFieldKeepsItsOffsetAndEveryStructOnlyGrows) {
  EXPECT_GT(expect_layout_kept(atsm_frozen_layout, "1.0"), 120);
  EXPECT_EQ(ATSM_ABI_VERSION_MAJOR, 1u);
}

TEST(FrozenAbi, EveryOneDotOneFieldKeepsItsOffsetAndEveryStructOnlyGrows) {
  EXPECT_GT(expect_layout_kept(atsm_frozen_layout_v1_1, "1.1"), 150);
  EXPECT_GE(ATSM_ABI_VERSION_MINOR, 1u);
}

TEST(FrozenAbi, EveryOneDotTwoFieldKeepsItsOffsetAndEveryStructOnlyGrows) {
  EXPECT_GT(expect_layout_kept(atsm_frozen_layout_v1_2, "1.2"), 150);
  EXPECT_GE(ATSM_ABI_VERSION_MINOR, 2u);
}

TEST(FrozenAbi, EveryOneDotThreeFieldKeepsItsOffsetAndEveryStructOnlyGrows) {
  EXPECT_GT(expect_layout_kept(atsm_frozen_layout_v1_3, "1.3"), 150);
  EXPECT_GE(ATSM_ABI_VERSION_MINOR, 3u);
}

// Compares a frozen header's text constants with the current header's; returns how many.
int expect_texts_kept(const atsm_layout_text* frozen) {
  std::map<std::string, std::string> current;
  for (const atsm_layout_text* entry = kCurrentTexts; entry->what != nullptr; ++entry)
    current[entry->what] = entry->text;
  int compared = 0;
  for (const atsm_layout_text* entry = frozen; entry->what != nullptr; ++entry) {
    EXPECT_EQ(current[entry->what], entry->text) << entry->what;
    ++compared;
  }
  return compared;
}

TEST(FrozenAbi, EveryOneDotOneExtensionIdIsKept) {
  EXPECT_EQ(expect_texts_kept(atsm_frozen_texts_v1_1), 6);
}

TEST(FrozenAbi, EveryOneDotTwoExtensionIdIsKept) {
  EXPECT_EQ(expect_texts_kept(atsm_frozen_texts_v1_2), 7);
  EXPECT_STREQ(ATSM_EXT_CONNECTOR_DISPLAY, "atsm.connector.display/1");
}

TEST(FrozenAbi, PluginBuiltAgainstTheOneDotZeroHeaderLoads) {
  PluginRegistry registry;
  const LoadedPlugin* plugin = load(registry, "libtest_frozen_v1_0.so");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->name(), "frozen");
  EXPECT_EQ(plugin->abi_version(), ATSM_MAKE_ABI_VERSION(1, 0));
  EXPECT_EQ(plugin->source_kinds(), std::vector<std::string>{"person"});
  EXPECT_NE(plugin->descriptor().read, nullptr);
}

TEST(FrozenAbi, PluginBuiltAgainstTheOneDotOneHeaderLoadsWithItsAdditions) {
  PluginRegistry registry;
  const LoadedPlugin* plugin = load(registry, "libtest_frozen_v1_1.so");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->abi_version(), ATSM_MAKE_ABI_VERSION(1, 1));
  EXPECT_EQ(plugin->capabilities(), std::vector<std::string>{"verbatim"});
  MemoryServices services;
  ConnectorInstance sink(*plugin, services, "{}");
  EXPECT_TRUE(sink.finish("{\"kinds\":{}}")) << "the 1.1 sink.finish extension is reached";
}

TEST(FrozenAbi, PluginBuiltAgainstTheOneDotTwoHeaderLoadsWithItsDisplayName) {
  PluginRegistry registry;
  const LoadedPlugin* plugin = load(registry, "libtest_frozen_v1_2.so");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->abi_version(), ATSM_MAKE_ABI_VERSION(1, 2));
  EXPECT_TRUE(plugin->declares_display_name());
  EXPECT_EQ(plugin->display_name(), "Frozen Twelve (ABI 1.2)");
}

// connector.h: a display name is 1 to 64 bytes of UTF-8 without a control character; a host
// refuses one that is not, rather than writing it into a target.
TEST(FrozenAbi, ThisHostRefusesADisplayNameWithAControlCharacter) {
  PluginRegistry registry;
  std::string line = refusal(registry, "libtest_frozen_v1_2_broken.so");
  EXPECT_NE(line.find("display name contains a control character"), std::string::npos) << line;
}

// A connector built with connector.hpp declares its display name in one line of ConnectorInfo,
// and keeps answering its own extensions beside it.
TEST(FrozenAbi, TheCxxHelperDeclaresTheDisplayNameBesideTheConnectorsOwnExtensions) {
  PluginRegistry registry;
  const LoadedPlugin* echo = registry.load_file(ATSM_ECHO_PLUGIN);
  ASSERT_NE(echo, nullptr) << registry.refusals().back().line();
  EXPECT_EQ(echo->display_name(), "Echo Syst\xc3\xa8me");
  EXPECT_TRUE(echo->declares_display_name());
  ASSERT_NE(echo->descriptor().get_extension, nullptr);
  EXPECT_NE(echo->descriptor().get_extension("atsm.test.echo/1"), nullptr);
  EXPECT_EQ(echo->descriptor().get_extension("atsm.no.such/1"), nullptr);
}

// A newer host, an older connector: a 1.1 (or 1.0) connector has no display name; this host
// derives one from its name, as connector.h says, and does not count it as declared.
TEST(MixedMinors, ThisHostDerivesALabelForConnectorsBeforeOneDotTwo) {
  PluginRegistry registry;
  const LoadedPlugin* eleven = load(registry, "libtest_frozen_v1_1.so");
  const LoadedPlugin* ten = load(registry, "libtest_frozen_v1_0.so");
  ASSERT_NE(eleven, nullptr);
  ASSERT_NE(ten, nullptr);
  EXPECT_EQ(eleven->display_name(), "Frozen11");
  EXPECT_FALSE(eleven->declares_display_name());
  EXPECT_EQ(ten->display_name(), "Frozen");
  EXPECT_FALSE(ten->declares_display_name());
}

// An older host, a newer connector: a 1.1 host loads 1.2 connectors (the frozen C one, and one
// built with connector.hpp) as it loads any, never asking for the display name; even a display
// name this host would refuse does not matter to it.
TEST(MixedMinors, AOneDotOneHostLoadsOneDotTwoConnectorsIgnoringTheirDisplayName) {
  for (const std::string& file :
       {kPluginDir + "/libtest_frozen_v1_2.so", kPluginDir + "/libtest_frozen_v1_2_broken.so",
        std::string(ATSM_ECHO_PLUGIN)}) {
    atsm_v1_0_host_outcome outcome = atsm_v1_1_host_load(file.c_str());
    EXPECT_EQ(outcome.loaded, 1) << file << ": " << outcome.refusal;
    // The frozen ones were built against 1.2, the echo connector against this header.
    EXPECT_EQ(outcome.abi_version,
              file == ATSM_ECHO_PLUGIN ? ATSM_ABI_VERSION : ATSM_MAKE_ABI_VERSION(1, 2))
        << file;
  }
}

// What a connector built with connector.hpp puts in atsm_http_request.idempotent, seen by a host
// of ABI 1.`host_minor` (a services table of that minor whose http records the request).
struct SentRequest {
  int32_t idempotent = -1;
  uint32_t abi_version = 0;
};
SentRequest sent_by_current_connector(uint32_t host_minor, const atsm::sdk::HttpRequest& request) {
  static thread_local SentRequest seen;
  seen = SentRequest{};
  atsm_host_services table{};
  table.struct_size = sizeof table;
  table.abi_version = ATSM_MAKE_ABI_VERSION(1, host_minor);
  table.http = [](void*, const atsm_http_request* raw, atsm_http_response_fn on_response,
                  void* context, atsm_error*) {
    seen = SentRequest{raw->idempotent, raw->abi_version};
    atsm_http_response response{};
    response.struct_size = sizeof response;
    response.abi_version = ATSM_ABI_VERSION;
    response.status = 200;
    on_response(context, &response);
    return ATSM_OK;
  };
  atsm::sdk::Host(&table).http(request);
  return seen;
}

// An older host, a newer connector: a 1.3 connector marks a read ATSM_HTTP_READ only for a host
// from 1.3 on; an older host gets ATSM_HTTP_REPEATABLE (1), what every minor since 1.0 has read as
// "repeatable", so it serves the read as before. A write stays 0 and a GET 1 for every host.
TEST(MixedMinors, AOneDotThreeConnectorMarksAReadAsSuchOnlyForAHostThatKnowsTheValue) {
  atsm::sdk::HttpRequest read;
  read.method = "POST";
  read.url = "http://127.0.0.1:1/candidate.list";
  read.read = true;
  EXPECT_EQ(sent_by_current_connector(3, read).idempotent, 2) << "ATSM_HTTP_READ is 2";
  EXPECT_EQ(sent_by_current_connector(3, read).abi_version, ATSM_ABI_VERSION);
  for (uint32_t older : {0u, 1u, 2u})
    EXPECT_EQ(sent_by_current_connector(older, read).idempotent, 1) << "host 1." << older;

  atsm::sdk::HttpRequest update = read;
  update.read = false;
  update.idempotent = true;
  atsm::sdk::HttpRequest create = update;
  create.idempotent = std::nullopt;
  atsm::sdk::HttpRequest get;
  get.url = read.url;
  for (uint32_t minor : {2u, 3u}) {
    EXPECT_EQ(sent_by_current_connector(minor, update).idempotent, 1) << "host 1." << minor;
    EXPECT_EQ(sent_by_current_connector(minor, create).idempotent, 0) << "host 1." << minor;
    EXPECT_EQ(sent_by_current_connector(minor, get).idempotent, 1) << "host 1." << minor;
  }
}

// A newer host, an older connector: to a 1.2 connector, 2 was just "non-zero" (repeatable, maybe
// with an effect), so this host takes ATSM_HTTP_READ as "a read" only from a request of 1.3 on.
TEST(MixedMinors, ThisHostTakesTheReadValueOnlyFromAOneDotThreeRequest) {
  atsm_http_request request{};
  request.struct_size = sizeof request;
  request.method = "POST";
  request.idempotent = 2;
  request.abi_version = ATSM_MAKE_ABI_VERSION(1, 3);
  EXPECT_TRUE(atsm::host::is_read_request(request));
  for (uint32_t older : {0u, 1u, 2u}) {
    request.abi_version = ATSM_MAKE_ABI_VERSION(1, older);
    EXPECT_FALSE(atsm::host::is_read_request(request)) << "connector 1." << older;
  }
  request.abi_version = ATSM_MAKE_ABI_VERSION(2, 3);
  EXPECT_FALSE(atsm::host::is_read_request(request)) << "another major";
  request.abi_version = ATSM_MAKE_ABI_VERSION(1, 3);
  for (int32_t value : {0, 1, 3, -1}) {
    request.idempotent = value;
    EXPECT_FALSE(atsm::host::is_read_request(request)) << value;
  }
}

// A newer host, an older connector: it loads and works, and gets none of 1.1's additions.
TEST(MixedMinors, ThisHostServesAOneDotZeroSinkWithoutOneDotOneAdditions) {
  PluginRegistry registry;
  const LoadedPlugin* plugin = load(registry, "libtest_frozen_v1_0_sink.so");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->abi_version(), ATSM_MAKE_ABI_VERSION(1, 0));
  EXPECT_TRUE(plugin->capabilities().empty());
  EXPECT_EQ(plugin->descriptor().capabilities & ATSM_CAP_VERBATIM, 0u) << "an ordinary sink";
  MemoryServices services;
  ConnectorInstance sink(*plugin, services, "{}");
  EXPECT_TRUE(sink.prepare("{}").contains("catalog"));
  boost::json::array results = sink.write("person", R"([{"key":"frozen:person:1"}])");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].at("target_id").as_string(), "t-1");
  EXPECT_FALSE(sink.finish("{\"kinds\":{}}")) << "no atsm.sink.finish/1 from a 1.0 sink";
  EXPECT_FALSE(sink.census("person")) << "no atsm.sink.census/1 from a 1.0 sink";
  EXPECT_EQ(services.lines, std::vector<std::string>{"frozen 1.0 sink opened"});
}

// The same through the run's real services (what a migration lends a connector): a 1.0 source
// reads, logs through them and resumes from its checkpoint.
TEST(MixedMinors, ThisHostsRunServicesServeAOneDotZeroSource) {
  atsm::testing::PluginRunOptions options;
  options.plugin_file = kPluginDir + "/libtest_frozen_v1_0.so";
  atsm::testing::PluginRun run(options);
  std::unique_ptr<ConnectorInstance> source = run.open();
  std::vector<std::string> keys, checkpoints;
  auto collect = [&](const std::string&, boost::json::array& records,
                     const std::string& checkpoint) {
    for (const boost::json::value& record : records)
      keys.emplace_back(record.at("source_key").as_string());
    checkpoints.push_back(checkpoint);
  };
  source->read("person", "", collect);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"frozen:person:1", "frozen:person:2", "frozen:person:3"}));
  EXPECT_EQ(checkpoints, (std::vector<std::string>{"after-2", ""}));
  EXPECT_NE(run.log().find("frozen 1.0 connector opened"), std::string::npos) << run.log();
  keys.clear();
  source->read("person", "after-2", collect);
  EXPECT_EQ(keys, std::vector<std::string>{"frozen:person:3"});
}

// A 1.0 descriptor with a bit 1.0 left undefined: honouring it as VERBATIM or ignoring it would
// both be guesses; the host refuses, naming the bit.
TEST(MixedMinors, ThisHostRefusesAOneDotZeroConnectorSettingABitOneDotZeroDidNotDefine) {
  PluginRegistry registry;
  std::string line = refusal(registry, "libtest_frozen_v1_0_stray.so");
  EXPECT_NE(line.find("built for ABI 1.0"), std::string::npos) << line;
  EXPECT_NE(line.find("capability bits 0x10 "), std::string::npos) << line;
}

// A required capability of a later minor that this host does not know: refused, not ignored.
TEST(MixedMinors, ThisHostRefusesARequiredCapabilityItDoesNotKnow) {
  PluginRegistry registry;
  std::string line = refusal(registry, "libtest_frozen_v1_1_future.so");
  EXPECT_NE(line.find("capability bits 0x10000 "), std::string::npos) << line;
  EXPECT_NE(line.find("ABI " + atsm::host::abi_version_text(ATSM_ABI_VERSION)), std::string::npos)
      << line;
}

// An older host, a newer connector that needs VERBATIM: the 1.0 host must not load it as an
// ordinary sink. The connector declines it, and the 1.0 host refuses it for that.
TEST(MixedMinors, AOneDotZeroHostRefusesAOneDotOneConnectorThatNeedsVerbatim) {
  for (const std::string& file :
       {kPluginDir + "/libtest_frozen_v1_1.so", std::string(ATSM_ARCHIVE_PLUGIN)}) {
    atsm_v1_0_host_outcome outcome = atsm_v1_0_host_load(file.c_str());
    EXPECT_EQ(outcome.loaded, 0) << file << " loaded in a 1.0 host as " << outcome.name
                                 << " with capabilities " << outcome.capabilities;
    EXPECT_STREQ(outcome.refusal, "its entry point returned no descriptor for host ABI 1.0")
        << file;
  }
}

// The refusal is specific to what a 1.0 host cannot serve: a 1.1 connector without VERBATIM
// (built with connector.hpp), and the 1.0 connectors, load in the 1.0 host.
TEST(MixedMinors, AOneDotZeroHostLoadsOneDotOneConnectorsThatDoNotNeedVerbatim) {
  atsm_v1_0_host_outcome echo = atsm_v1_0_host_load(ATSM_ECHO_PLUGIN);
  EXPECT_EQ(echo.loaded, 1) << echo.refusal;
  EXPECT_STREQ(echo.name, "echo");
  EXPECT_EQ(echo.abi_version, ATSM_ABI_VERSION);
  for (const char* file : {"libtest_frozen_v1_0.so", "libtest_frozen_v1_0_sink.so"}) {
    atsm_v1_0_host_outcome outcome = atsm_v1_0_host_load((kPluginDir + "/" + file).c_str());
    EXPECT_EQ(outcome.loaded, 1) << file << ": " << outcome.refusal;
    EXPECT_EQ(outcome.abi_version, ATSM_MAKE_ABI_VERSION(1, 0)) << file;
  }
}

}  // namespace
