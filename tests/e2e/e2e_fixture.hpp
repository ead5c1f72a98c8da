// The end-to-end fixture (E2E): the sandbox behind the validating proxy, the `atsmigrate` binary
// run against it, and comparisons of what Ashby holds with the sandbox's ground truth. Shared by
// the e2e test files (migration_test.cpp and its siblings), one per subject.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "ashby_spec_validator.hpp"
#include "net/test_support.hpp"
#include "process.hpp"
#include "sandbox/dataset.hpp"
#include "sandbox/sandbox.hpp"

namespace atsm::e2e_testing {

namespace json = boost::json;
using atsm::net::testing::TempDir;

inline const std::string kAtsmigrate = ATSM_BINARY_DIR "/bin/atsmigrate";
// The API key's user in the sandbox's default Ashby setup: the truth credits unmatched users to it.
inline const std::string kFallbackUser = "migration-bot@acme.example";

struct Outcome {
  int exit_code = -1;
  std::string output;
};

class E2E : public ::testing::Test {
 protected:
  // The product talks to the emulated Ashby through the validating proxy (sandbox/validator),
  // which refuses what Ashby's OpenAPI document forbids and counts every violation either way;
  // TearDown fails the test on any (ATSM_ASHBY_SPEC: tests/support/ashby_spec_validator.hpp).
  void start(atsm::sandbox::Options options) {
    options.rate_scale = 50;  // every limit x50: the same shape, a test-sized wall time
    sandbox = std::make_unique<atsm::sandbox::Sandbox>(options);
    sandbox->start();
    credentials = dir.path() / "credentials";
    atsm::sandbox::write_credentials_file(credentials, sandbox->credentials());
    validator = atsm::testing::start_ashby_spec_validator(sandbox->endpoints().ashby_url);
  }

  void TearDown() override { atsm::testing::expect_no_ashby_spec_violations(validator.get()); }

  std::vector<std::string> migration_args(const std::string& source) {
    const auto& endpoints = sandbox->endpoints();
    std::string source_url =
        source == "lever" ? endpoints.lever_url + "/v1" : endpoints.greenhouse_url;
    std::string ashby_url = atsm::testing::ashby_url_through(validator.get(), endpoints.ashby_url);
    // The datasets hold confidential jobs: written at once here; the test of the hold drops this.
    std::vector<std::string> args = {"--source",      source,
                                     "--sink",        "ashby",
                                     "--workdir",     (dir.path() / "work").string(),
                                     "--credentials", credentials.string(),
                                     "--set",         source + ".base_url=" + source_url,
                                     "--set",         source + ".rate_scale=50",
                                     "--set",         "ashby.base_url=" + ashby_url,
                                     "--set",         "ashby.rate_limit_per_minute=50000",
                                     "--set",         "ashby.confidential_jobs=proceed"};
    if (source == "greenhouse") {
      // The sandbox serves Greenhouse's token endpoint beside the API.
      args.insert(args.end(),
                  {"--set", "greenhouse.token_url=" + endpoints.greenhouse_url + "/token"});
    }
    return args;
  }

  // Runs atsmigrate with `args`, its output captured in `output_name` under the test's dir; kills
  // it with SIGKILL as soon as `kill_when` holds (polled every 20 ms), or after `kill_after`
  // when given.
  Outcome run(std::vector<std::string> args,
              std::optional<std::chrono::milliseconds> kill_after = std::nullopt,
              const std::function<bool()>& kill_when = {},
              const std::string& output_name = "output.txt") {
    atsm::testing::ProcessOptions options;
    options.output_file = dir.path() / output_name;
    options.kill_after = kill_after;
    options.kill_when = kill_when;
    args.insert(args.begin(), kAtsmigrate);
    atsm::testing::ProcessOutcome ran = atsm::testing::run_process(args, options);
    return Outcome{ran.exit_code, std::move(ran.output)};
  }

  // The operator's step between the first plan and the migration: unmatched users go to the
  // fallback user (docs/mapping.md §4); everything else the starter mapping matched by name.
  void accept_starter_mapping() {
    std::filesystem::path file = dir.path() / "work" / "mapping.json";
    std::ifstream in(file);
    ASSERT_TRUE(in) << "plan must write a starter mapping";
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    json::object mapping = json::parse(text).as_object();
    mapping["options"].as_object()["fallback_user"] = kFallbackUser;
    std::ofstream(file) << json::serialize(mapping);
  }

  // The first plan writes the starter mapping; the operator then accepts it (see above).
  void plan_and_accept(const std::string& source) {
    std::vector<std::string> plan = migration_args(source);
    plan.insert(plan.begin(), "plan");
    run(plan);
    accept_starter_mapping();
  }

  // Every fault of the sandbox at 5 % on every vendor, lost responses included.
  void start_with_chaos() {
    atsm::sandbox::Options options;
    options.seed = 12;
    options.persons = 40;
    for (auto& vendor : options.faults)
      vendor = atsm::sandbox::fault_profile("chaos");
    options.stall_ms = 2000;
    start(options);
  }

  json::object read_report() {
    std::ifstream in(dir.path() / "work" / "report.json");
    return json::parse(std::string(std::istreambuf_iterator<char>(in), {})).as_object();
  }

  // A sandbox control: POST `body` to `path` on `port`.
  static void control(int port, const std::string& path, const std::string& body) {
    httplib::Client client("127.0.0.1", port);
    auto response = client.Post(path.c_str(), body, "application/json");
    ASSERT_TRUE(response && response->status == 200)
        << path << ": " << (response ? response->body : "no answer");
  }

  json::object ashby_get(const std::string& path) {
    httplib::Client client("127.0.0.1", sandbox->endpoints().ashby_port);
    client.set_read_timeout(60, 0);
    auto response = client.Get(path.c_str());
    EXPECT_TRUE(response) << path;
    return response ? json::parse(response->body).as_object() : json::object();
  }

  static std::set<std::string> split_ids(const json::value& text) {
    std::set<std::string> ids;
    if (!text.is_string())
      return ids;
    std::string value(text.as_string());
    std::stringstream stream(value);
    for (std::string id; std::getline(stream, id, ';');) {
      if (!id.empty())
        ids.insert(id);
    }
    return ids;
  }

  // Ashby's contents equal the ground truth: counts per kind, then person by person. Without
  // `compare_history`, an application's stage history is not compared (Ashby records the stage
  // changes made to it, so moves made between two reads of the source are not in its history).
  void expect_matches_truth(const std::string& source, bool compare_history = true) {
    json::object state = ashby_get("/_sandbox/state");
    json::object truth = ashby_get("/_sandbox/truth?source=" + source);
    EXPECT_EQ(state.at("duplicate_emails").as_int64(), 0) << "no candidate may be created twice";
    for (const auto& [kind, expected] : truth.at("counts").as_object()) {
      EXPECT_EQ(state.at("counts").as_object().at(kind), expected)
          << "count of " << std::string(kind);
    }
    std::map<std::set<std::string>, const json::object*> by_legacy_ids;
    for (const json::value& candidate : state.at("candidates").as_array()) {
      const json::object& object = candidate.as_object();
      const json::value* ids = object.at("customFields").as_object().if_contains("Legacy IDs");
      if (ids)
        by_legacy_ids[split_ids(*ids)] = &object;
    }
    size_t compared = 0;
    for (const json::value& value : truth.at("persons").as_array()) {
      const json::object& person = value.as_object();
      auto found = by_legacy_ids.find(split_ids(person.at("legacyIds")));
      if (found == by_legacy_ids.end()) {
        ADD_FAILURE() << "no candidate holds " << json::serialize(person.at("legacyIds"));
        continue;
      }
      const json::object& candidate = *found->second;
      std::string label = json::serialize(person.at("legacyIds"));
      EXPECT_EQ(candidate.at("name"), person.at("name")) << label;
      if (person.at("email").is_string()) {
        ASSERT_FALSE(candidate.at("emails").as_array().empty()) << label;
        EXPECT_EQ(candidate.at("emails").as_array()[0], person.at("email")) << label;
      }
      std::set<std::string> tags_expected, tags_held;
      for (const json::value& tag : person.at("tags").as_array())
        tags_expected.emplace(tag.as_string());
      for (const json::value& tag : candidate.at("tags").as_array())
        tags_held.emplace(tag.as_string());
      EXPECT_EQ(tags_held, tags_expected) << label;
      std::map<std::string, const json::object*> applications;
      for (const json::value& app : candidate.at("applications").as_array()) {
        const json::value* legacy =
            app.as_object().at("customFields").as_object().if_contains("Legacy ID");
        if (legacy && legacy->is_string())
          applications[std::string(legacy->as_string())] = &app.as_object();
      }
      EXPECT_EQ(applications.size(), person.at("applications").as_array().size()) << label;
      for (const json::value& expected_app : person.at("applications").as_array()) {
        const json::object& expected = expected_app.as_object();
        auto app = applications.find(std::string(expected.at("legacyId").as_string()));
        if (app == applications.end()) {
          ADD_FAILURE() << label << ": no application " << json::serialize(expected.at("legacyId"));
          continue;
        }
        for (const char* field : {"job", "status", "stage", "history"}) {
          if (std::string(field) == "history" && !compare_history)
            continue;
          EXPECT_EQ(app->second->at(field), expected.at(field)) << label << " " << field;
        }
        if (const json::value* reason = expected.if_contains("archiveReason")) {
          EXPECT_EQ(app->second->at("archiveReason"), *reason) << label;
        }
        if (const json::value* note = expected.if_contains("applicationNote"))
          expect_application_note(candidate, expected.at("job"), note->as_object(), label);
      }
      {
        std::multiset<std::string> files_expected, files_held;
        for (const json::value& hash : person.at("files").as_array())
          files_expected.emplace(hash.as_string());
        for (const json::value& file : candidate.at("files").as_array()) {
          files_held.emplace(file.at("sha256").as_string());
        }
        EXPECT_EQ(files_held, files_expected) << label << ": files by SHA-256";
      }
      ++compared;
    }
    EXPECT_GT(compared, 10u);
    expect_hiring_teams(state, truth);
  }

  // The candidate holds a note for the application on `job` with its cover letter (each line)
  // and every "question: answer" of the truth, as a reader sees it (`rendered`: after Ashby's
  // documented stripping, whether the sink sent HTML or plain text). A person may hold several
  // applications to one job: one of its notes has them all.
  static void expect_application_note(const json::object& candidate, const json::value& job,
                                      const json::object& expected, const std::string& label) {
    std::vector<std::string> wanted;
    if (const json::value* letter = expected.if_contains("coverLetter")) {
      wanted.push_back("Cover letter");
      std::stringstream lines{std::string(letter->as_string())};
      for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r')
          line.pop_back();
        if (!line.empty())
          wanted.push_back(line);
      }
    }
    for (const json::value& pair : expected.at("answers").as_array())
      wanted.push_back(std::string(pair.as_array()[0].as_string()) + ": " +
                       std::string(pair.as_array()[1].as_string()));
    std::string heading = " application — " + std::string(job.as_string());
    bool found = false;
    for (const json::value& note : candidate.at("notes").as_array()) {
      std::string rendered(note.at("rendered").as_string());
      if (rendered.find(heading) == std::string::npos)
        continue;
      found = found || std::all_of(wanted.begin(), wanted.end(), [&](const std::string& part) {
                return rendered.find(part) != std::string::npos;
              });
    }
    EXPECT_TRUE(found) << label << ": no application note on " << job << " holds "
                       << json::serialize(json::value_from(wanted));
  }

  // Every job's hiring team in Ashby is the truth's: (email, role) per member, by job title.
  static void expect_hiring_teams(const json::object& state, const json::object& truth) {
    auto members = [](const json::value& team) {
      std::multiset<std::pair<std::string, std::string>> out;
      for (const json::value& member : team.as_array())
        out.emplace(std::string(member.at("email").as_string()),
                    std::string(member.at("role").as_string()));
      return out;
    };
    std::map<std::string, const json::object*> held;
    for (const json::value& job : state.at("jobs").as_array())
      held[std::string(job.at("title").as_string())] = &job.as_object();
    size_t with_team = 0;
    for (const json::value& job : truth.at("jobs").as_array()) {
      std::string title(job.at("title").as_string());
      auto found = held.find(title);
      if (found == held.end()) {
        ADD_FAILURE() << "no Ashby job " << title;
        continue;
      }
      EXPECT_EQ(members(found->second->at("hiringTeam")), members(job.at("hiringTeam")))
          << "hiring team of " << title;
      with_team += job.at("hiringTeam").as_array().empty() ? 0 : 1;
    }
    EXPECT_GT(with_team, 0u) << "the truth has hiring teams to compare";
  }

  // What no source settles about v3 (docs/vendors/greenhouse.md §3, §7): whether an undocumented
  // filter is ignored or refused, and whether attachment URLs redirect. Each combination migrates
  // exactly.
  void expect_greenhouse_matches_truth(bool refuse, bool redirect) {
    atsm::sandbox::Options options;
    options.seed = 13;
    options.persons = 40;
    options.greenhouse_refuse_unknown_filters = refuse;
    options.greenhouse_redirect_attachments = redirect;
    start(options);
    plan_and_accept("greenhouse");
    Outcome migration = run(migration_args("greenhouse"));
    ASSERT_EQ(migration.exit_code, 0) << migration.output;
    expect_matches_truth("greenhouse");
  }

  // A parallel-run period: after a full migration, recruiters change ten records in the source
  // (stage moves, new notes, feedback, files, candidacies and persons: the sandbox's mutate, which
  // also moves its truth). `--delta` reads only what changed since the first read started and
  // writes exactly the new objects; Ashby then equals the new truth, and another delta writes
  // nothing.
  void expect_delta_writes_exactly_what_changed(const std::string& source, std::uint64_t seed) {
    atsm::sandbox::Options options;
    options.seed = seed;
    options.persons = 40;
    start(options);
    plan_and_accept(source);
    Outcome full = run(migration_args(source));
    ASSERT_EQ(full.exit_code, 0) << full.output;
    expect_matches_truth(source);
    json::object truth_before =
        ashby_get("/_sandbox/truth?source=" + source).at("counts").as_object();
    json::object held_before = ashby_get("/_sandbox/state").at("counts").as_object();

    httplib::Client vendor("127.0.0.1", source == "lever" ? sandbox->endpoints().lever_port
                                                          : sandbox->endpoints().greenhouse_port);
    auto mutated = vendor.Post("/_sandbox/mutate", R"({"count": 10})", "application/json");
    ASSERT_TRUE(mutated && mutated->status == 200);
    ASSERT_EQ(json::parse(mutated->body).at("changed").as_array().size(), 10u) << mutated->body;
    json::object truth_after =
        ashby_get("/_sandbox/truth?source=" + source).at("counts").as_object();

    std::vector<std::string> delta = migration_args(source);
    delta.push_back("--delta");
    Outcome changed = run(delta);
    ASSERT_EQ(changed.exit_code, 0) << changed.output;
    EXPECT_NE(changed.output.find("delta: reading what changed in " + source + " since"),
              std::string::npos)
        << changed.output;
    expect_matches_truth(source);
    json::object held_after = ashby_get("/_sandbox/state").at("counts").as_object();
    for (const char* kind : {"candidate", "application", "note", "feedback", "file"}) {
      EXPECT_EQ(held_after.at(kind).as_int64() - held_before.at(kind).as_int64(),
                truth_after.at(kind).as_int64() - truth_before.at(kind).as_int64())
          << "new " << kind << "s written by the delta";
    }

    json::object created = ashby_get("/_sandbox/state").at("created_by_method").as_object();
    Outcome again = run(delta);
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(ashby_get("/_sandbox/state").at("created_by_method").as_object(), created)
        << "a delta with nothing new writes nothing\n"
        << again.output;
  }

  TempDir dir;
  std::unique_ptr<atsm::sandbox::Sandbox> sandbox;
  std::unique_ptr<atsm::testing::AshbySpecValidator> validator;
  std::filesystem::path credentials;
};

}  // namespace atsm::e2e_testing
