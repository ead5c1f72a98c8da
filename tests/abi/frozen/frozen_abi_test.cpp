// ABI compatibility: the current connector.h keeps every field of ABI 1.0 at its 1.0 offset, every
// 1.0 constant at its value, and every struct at least as large (minors only append); a plugin
// built against the frozen 1.0 header loads in this host.
#include <gtest/gtest.h>

#include <atsmigrate/connector.h>

#include <map>
#include <string>

#include "frozen_layout.h"
#include "host/plugin_registry.hpp"

namespace {

const atsm_layout_entry kCurrentLayout[] = {
#include "layout_fields.inc"
    {nullptr, 0}};

TEST(FrozenAbi, EveryOneDotZeroFieldKeepsItsOffsetAndEveryStructOnlyGrows) {
  std::map<std::string, size_t> current;
  for (const atsm_layout_entry* entry = kCurrentLayout; entry->what != nullptr; ++entry)
    current[entry->what] = entry->value;
  int compared = 0;
  for (const atsm_layout_entry* entry = atsm_frozen_layout; entry->what != nullptr; ++entry) {
    std::string what = entry->what;
    ASSERT_TRUE(current.count(what)) << what << " of ABI 1.0 is gone";
    if (what.rfind("sizeof ", 0) == 0)
      EXPECT_GE(current[what], entry->value) << what << " shrank";
    else
      EXPECT_EQ(current[what], entry->value) << what << " moved or changed";
    ++compared;
  }
  EXPECT_GT(compared, 120);
  EXPECT_EQ(ATSM_ABI_VERSION_MAJOR, 1u);
}

TEST(FrozenAbi, PluginBuiltAgainstTheOneDotZeroHeaderLoads) {
  atsm::host::PluginRegistry registry;
  const atsm::host::LoadedPlugin* plugin =
      registry.load_file(std::string(ATSM_TEST_PLUGIN_DIR) + "/libtest_frozen_v1_0.so");
  ASSERT_NE(plugin, nullptr) << (registry.refusals().empty() ? "" : registry.refusals()[0].line());
  EXPECT_EQ(plugin->name(), "frozen");
  EXPECT_EQ(plugin->abi_version(), ATSM_MAKE_ABI_VERSION(1, 0));
  EXPECT_EQ(plugin->source_kinds(), std::vector<std::string>{"person"});
  EXPECT_NE(plugin->descriptor().read, nullptr);
}

}  // namespace
