// The migration options are defined once: the host's list (pipeline/migration_options.hpp) must
// be the published schema (sdk/schema/migration-options.schema.json), name for name, choice for
// choice, default for default; and the mapping file's options are checked against it.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "pipeline/migration_options.hpp"

namespace {

namespace json = boost::json;
using atsm::pipeline::migration_option_specs;
using atsm::pipeline::MigrationOptions;
using atsm::pipeline::MigrationOptionSpec;

json::object schema() {
  std::ifstream in(ATSM_SOURCE_DIR "/sdk/schema/migration-options.schema.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return json::parse(text).as_object();
}

TEST(MigrationOptionsSchema, TheHostsListIsTheSchemasNameForName) {
  json::object published = schema();
  EXPECT_EQ(published.at("additionalProperties"), false);
  const json::object& properties = published.at("properties").as_object();
  std::vector<std::string> schema_names, host_names;
  for (const auto& [name, value] : properties)
    schema_names.emplace_back(name);
  for (const MigrationOptionSpec& spec : migration_option_specs())
    host_names.emplace_back(spec.name);
  EXPECT_EQ(host_names, schema_names);
}

TEST(MigrationOptionsSchema, EveryOptionsChoicesDefaultAndDescriptionMatchTheSchema) {
  json::object published = schema();
  const json::object& properties = published.at("properties").as_object();
  for (const MigrationOptionSpec& spec : migration_option_specs()) {
    SCOPED_TRACE(spec.name);
    const json::value* property = properties.if_contains(spec.name);
    ASSERT_NE(property, nullptr);
    const json::object& p = property->as_object();
    EXPECT_EQ(p.at("type"), "string");
    EXPECT_EQ(p.at("default"), spec.default_value);
    EXPECT_EQ(p.at("description"), spec.description);
    json::array choices;
    for (const char* choice : spec.choices)
      choices.emplace_back(choice);
    if (choices.empty())
      EXPECT_FALSE(p.contains("enum"));
    else
      EXPECT_EQ(p.at("enum"), choices);
  }
}

TEST(MigrationOptions, DefaultsAreTheSchemasAndEveryOptionGoesOutWithItsDefault) {
  MigrationOptions defaults;
  // The drifted default, reconciled: the plan, the protocol and the sink say the same.
  EXPECT_EQ(defaults.feedback_form, "Migrated feedback");
  json::object out = defaults.to_json();
  json::object published = schema();
  const json::object& properties = published.at("properties").as_object();
  EXPECT_EQ(out.size(), properties.size());
  for (const auto& [name, property] : properties)
    EXPECT_EQ(out.at(name), property.as_object().at("default")) << std::string(name);
}

TEST(MigrationOptions, GivenOptionsAreTakenAndTheOthersKeepTheirDefault) {
  std::vector<std::string> problems;
  json::value given = json::parse(R"({"private_notes":"skip","feedback_form":"Scorecard"})");
  MigrationOptions options = MigrationOptions::from_json(&given, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(options.private_notes, "skip");
  EXPECT_EQ(options.feedback_form, "Scorecard");
  EXPECT_EQ(options.interviews, "note");
  std::vector<std::string> none;
  EXPECT_EQ(MigrationOptions::from_json(nullptr, none).to_json(), MigrationOptions().to_json());
}

TEST(MigrationOptions, EveryProblemNamesItsOption) {
  std::vector<std::string> problems;
  json::value given =
      json::parse(R"({"interviews":"drop","colour":"red","fallback_user":5,"dedup":true})");
  MigrationOptions::from_json(&given, problems);
  ASSERT_EQ(problems.size(), 4u);
  auto mentions = [&](const std::string& part) {
    for (const std::string& problem : problems)
      if (problem.find(part) != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(mentions("'colour' is unknown"));
  EXPECT_TRUE(mentions("'interviews': expected note | skip, got drop"));
  EXPECT_TRUE(mentions("'fallback_user': expected a string, got 5"));
  EXPECT_TRUE(mentions("'dedup': expected email | none, got true"));
}

TEST(MigrationOptions, OptionsThatAreNotAnObjectAreAProblem) {
  std::vector<std::string> problems;
  json::value given = json::parse(R"(["dedup"])");
  MigrationOptions::from_json(&given, problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems.front().find("'options' must be an object"), std::string::npos);
}

}  // namespace
