// What the Ashby sink's tests share: a lever person record, lookups in the emulator's state and
// the prepare catalog, and the fixture that writes through a harness.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

namespace atsm::ashby::testing {

// Every Ashby method that writes: prepare must call none of them.
extern const std::set<std::string> kWriteMethods;

// A canonical Lever person record with `extra` members merged in.
json::object person(const std::string& id, const std::string& name,
                    const std::vector<std::string>& emails, json::object extra = {});
// The emulator state's candidate whose "Legacy IDs" holds `key`, or nullptr.
const json::object* candidate_by_legacy(const json::object& state, const std::string& key);
// The id of the prepare catalog's stage (or entry of `kind`) named `name`; a test failure if none.
std::string stage_id(const json::object& catalog, const std::string& name);
std::string catalog_id(const json::object& catalog, const std::string& kind,
                       const std::string& name);

class AshbySinkTest : public ::testing::Test {
 protected:
  json::object write_one(const std::string& kind, const json::object& write_item) {
    json::array results = h.sink().write(kind, json::serialize(json::array{write_item}));
    EXPECT_EQ(results.size(), 1u);
    return results.at(0).as_object();
  }
  std::string write_ok(const std::string& kind, const json::object& write_item) {
    json::object result = write_one(kind, write_item);
    EXPECT_EQ(result.at("status").as_string(), "ok") << json::serialize(result);
    return std::string(result.at("target_id").as_string());
  }
  // A job on the default plan, created through the sink.
  std::string make_job(const std::string& title = "Backend Engineer") {
    return write_ok(
        "job", item("lever:posting:" + title, json::object{{"kind", "job"},
                                                           {"source", "lever"},
                                                           {"source_key", "lever:posting:" + title},
                                                           {"title", title},
                                                           {"status", "open"},
                                                           {"team", "Engineering"},
                                                           {"location", "Berlin"}}));
  }
  AshbyHarness h;
};

}  // namespace atsm::ashby::testing
