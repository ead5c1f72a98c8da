// End to end: the `atsmigrate` binary with its real plugins migrates the sandbox's Lever or
// Greenhouse account into the emulated Ashby over loopback HTTP. What Ashby holds afterwards is
// compared with the sandbox's ground truth (computed from the generator's data by its own code),
// never with anything the product computed.
#include <gtest/gtest.h>

#include "e2e_fixture.hpp"

namespace {

using namespace atsm::e2e_testing;

TEST_F(E2E, LeverIntoAshbyMatchesTheGroundTruthAndASecondRunWritesNothing) {
  atsm::sandbox::Options options;
  options.seed = 11;
  options.persons = 40;
  start(options);

  std::vector<std::string> plan = migration_args("lever");
  plan.insert(plan.begin(), "plan");
  Outcome first = run(plan);
  EXPECT_EQ(first.exit_code, 1) << "unmatched users stop the plan before any write\n"
                                << first.output;
  EXPECT_NE(first.output.find("not mapped (map it, or set options.fallback_user)"),
            std::string::npos)
      << first.output;
  EXPECT_EQ(ashby_get("/_sandbox/state").at("created_by_method").as_object().size(), 0u)
      << "nothing written";

  accept_starter_mapping();
  // The load reads persons, candidacies, notes and feedback from staging 7 records at a time:
  // merged persons and candidacies split across chunks still land once.
  std::vector<std::string> chunked = migration_args("lever");
  chunked.insert(chunked.end(), {"--load-chunk", "7"});
  Outcome migration = run(chunked);
  ASSERT_EQ(migration.exit_code, 0) << migration.output;
  expect_matches_truth("lever");

  json::object before = ashby_get("/_sandbox/state").at("created_by_method").as_object();
  Outcome again = run(migration_args("lever"));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(ashby_get("/_sandbox/state").at("created_by_method").as_object(), before)
      << "a finished migration run again writes nothing";

  // The secret never reaches a log line, the summary or a file in the work dir.
  const std::string key = sandbox->credentials().ashby_api_key;
  EXPECT_EQ(migration.output.find(key), std::string::npos);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path() / "work")) {
    if (!entry.is_regular_file())
      continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content.find(key), std::string::npos) << entry.path();
    EXPECT_EQ(entry.status().permissions() &
                  (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none)
        << entry.path() << " must be private";
  }
}

// Ashby's job.create/job.update take no `confidential`
// (sandbox/validator/ashby-api-openapi.extract.json): the plan names every confidential job with
// the operator's step before any write, the report lists them again, and nothing undocumented is
// sent (the emulator refuses it). The load holds the candidacies of those jobs (and what hangs off
// them) and exits 4 saying what to do; once the operator has made the jobs confidential in Ashby
// (the sandbox's control), the next run writes exactly what was held. Where Ashby refuses
// applications on a job that is not Open (undocumented: the sandbox's switch, here set to refuse),
// every application still lands and every job ends in its source status.
TEST_F(E2E, ConfidentialJobsAreHeldUntilTheOperatorStepAndClosedJobsStillTakeTheirCandidacies) {
  atsm::sandbox::Options options;
  options.seed = 11;
  options.persons = 40;
  options.ashby_applications_on_closed_jobs = false;
  start(options);
  json::object truth = ashby_get("/_sandbox/truth?source=lever");
  std::set<std::string> confidential;
  std::map<std::string, std::string> status_by_title;
  for (const json::value& job : truth.at("jobs").as_array()) {
    if (job.at("confidential").as_bool())
      confidential.emplace(job.at("legacyId").as_string());
    status_by_title[std::string(job.at("title").as_string())] =
        std::string(job.at("status").as_string());
  }
  ASSERT_FALSE(confidential.empty()) << "the dataset holds confidential postings";

  plan_and_accept("lever");
  std::vector<std::string> plan = migration_args("lever");
  plan.insert(plan.begin(), "plan");
  Outcome planned = run(plan);
  ASSERT_EQ(planned.exit_code, 0) << planned.output;
  EXPECT_EQ(ashby_get("/_sandbox/state").at("created_by_method").as_object().size(), 0u)
      << "the plan writes nothing";
  std::ifstream plan_file(dir.path() / "work" / "plan.json");
  json::object plan_json =
      json::parse(std::string(std::istreambuf_iterator<char>(plan_file), {})).as_object();
  std::set<std::string> listed;
  for (const json::value& step : plan_json.at("operator_steps").as_array())
    listed.emplace(step.at("source_key").as_string());
  EXPECT_EQ(listed, confidential);
  for (const std::string& key : confidential)
    EXPECT_NE(planned.output.find("(" + key + "): Ashby's API cannot make a job confidential"),
              std::string::npos)
        << key << "\n"
        << planned.output;

  std::vector<std::string> holding = migration_args("lever");
  auto proceed = std::find(holding.begin(), holding.end(), "ashby.confidential_jobs=proceed");
  ASSERT_NE(proceed, holding.end());
  holding.erase(proceed - 1, proceed + 1);  // the default: hold
  Outcome held = run(holding);
  ASSERT_EQ(held.exit_code, 4) << "held records exit 4\n" << held.output;
  EXPECT_NE(held.output.find("make it confidential in Ashby's web app"), std::string::npos)
      << held.output;
  json::object report = read_report();
  EXPECT_EQ(report.at("summary").at("verdict"), "held");
  EXPECT_EQ(report.at("summary").at("failed"), 0);
  std::set<std::string> held_candidacies;
  for (const json::value& entry : report.at("held").as_array())
    if (entry.at("kind") == "candidacy")
      held_candidacies.emplace(entry.at("key").as_string());
  // Exactly the candidacies of the confidential jobs are held (the truth's applications name
  // their job by title), and none of them is in Ashby.
  std::set<std::string> confidential_titles;
  for (const json::value& job : truth.at("jobs").as_array())
    if (job.at("confidential").as_bool())
      confidential_titles.emplace(job.at("title").as_string());
  std::set<std::string> expected_held;
  for (const json::value& person : truth.at("persons").as_array())
    for (const json::value& app : person.at("applications").as_array())
      if (confidential_titles.contains(std::string(app.at("job").as_string())))
        expected_held.emplace(app.at("legacyId").as_string());
  EXPECT_FALSE(expected_held.empty());
  EXPECT_EQ(held_candidacies, expected_held);
  json::object state = ashby_get("/_sandbox/state");
  for (const json::value& candidate : state.at("candidates").as_array())
    for (const json::value& app : candidate.at("applications").as_array())
      EXPECT_FALSE(confidential_titles.contains(std::string(app.at("job").as_string())))
          << "an application of a confidential job was written before the operator's step";

  // The operator makes each such job confidential in Ashby's web app; the next run writes them.
  for (const json::value& job : state.at("jobs").as_array())
    if (confidential_titles.contains(std::string(job.at("title").as_string())))
      control(sandbox->endpoints().ashby_port, "/_sandbox/job_confidential",
              json::serialize(json::object{{"jobId", job.at("id")}, {"confidential", true}}));
  Outcome migration = run(holding);
  ASSERT_EQ(migration.exit_code, 0) << migration.output;
  expect_matches_truth("lever");
  EXPECT_EQ(read_report().at("summary").at("held"), 0);
  state = ashby_get("/_sandbox/state");
  for (const json::value& job : state.at("jobs").as_array()) {
    EXPECT_EQ(job.at("confidential"),
              json::value(confidential_titles.contains(std::string(job.at("title").as_string()))));
    EXPECT_EQ(job.at("status"),
              json::value(status_by_title[std::string(job.at("title").as_string())]))
        << job.at("title");
  }
  std::string notices = json::serialize(read_report().at("notices"));
  for (const std::string& key : confidential)
    EXPECT_NE(notices.find("(" + key + ")"), std::string::npos) << key << " in " << notices;
}

// Where Ashby refuses applications on a job that is not Open, the sink opens such a job once
// (its intent to put it back committed to the work dir first), writes all its applications and
// restores it at the end. SIGKILLed while a job stands Open for that detour, the next run puts
// it back before writing anything, finishes the load, and every job ends in its source status
// with no application written twice.
TEST_F(E2E, AClosedJobDetourKilledMidwayIsRestoredByTheNextRun) {
  atsm::sandbox::Options options;
  options.seed = 9;  // Lever postings Closed and Draft with applications (seed 11 has none)
  options.persons = 40;
  options.ashby_applications_on_closed_jobs = false;
  start(options);
  std::map<std::string, std::string> status_by_title;
  const json::object truth = ashby_get("/_sandbox/truth?source=lever");
  for (const json::value& job : truth.at("jobs").as_array())
    status_by_title[std::string(job.at("title").as_string())] =
        std::string(job.at("status").as_string());
  plan_and_accept("lever");
  // Inside a detour: an application landed since a job that is not Open in the source stood
  // Open in Ashby.
  auto detour_open = [&] {
    json::object state = ashby_get("/_sandbox/state");
    if (state.empty() || state.at("counts").at("application").as_int64() == 0)
      return false;
    for (const json::value& job : state.at("jobs").as_array())
      if (job.at("status") == "Open" &&
          status_by_title[std::string(job.at("title").as_string())] != "Open")
        return true;
    return false;
  };
  Outcome killed = run(migration_args("lever"), std::nullopt, detour_open);
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << "the run ended before the kill\n" << killed.output;
  Outcome resumed = run(migration_args("lever"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  expect_matches_truth("lever");
  const json::object state = ashby_get("/_sandbox/state");
  for (const json::value& job : state.at("jobs").as_array())
    EXPECT_EQ(job.at("status"),
              json::value(status_by_title[std::string(job.at("title").as_string())]))
        << job.at("title");
}

// The same override, explicit: with ashby.confidential_jobs=proceed nothing is held, the first
// run writes every candidacy of the confidential jobs and exits 0.
TEST_F(E2E, ConfidentialJobsProceedWithoutTheHoldWhenAsked) {
  atsm::sandbox::Options options;
  options.seed = 11;
  options.persons = 20;
  start(options);
  plan_and_accept("lever");
  Outcome migration = run(migration_args("lever"));
  ASSERT_EQ(migration.exit_code, 0) << migration.output;
  EXPECT_EQ(read_report().at("summary").at("held"), 0);
  expect_matches_truth("lever");
}

TEST_F(E2E, GreenhouseIntoAshbyMatchesTheGroundTruth) {
  expect_greenhouse_matches_truth(true, false);
}
TEST_F(E2E, GreenhouseWithUnknownFiltersIgnoredMatchesTheGroundTruth) {
  expect_greenhouse_matches_truth(false, false);
}
TEST_F(E2E, GreenhouseWithRedirectingFileUrlsMatchesTheGroundTruth) {
  expect_greenhouse_matches_truth(true, true);
}
TEST_F(E2E, GreenhouseWithIgnoredFiltersAndRedirectsMatchesTheGroundTruth) {
  expect_greenhouse_matches_truth(false, true);
}

// A user whose Ashby account carries one of the addresses Greenhouse lists besides the primary one
// (users.json `emails`; the sandbox's Ashby holds its second Greenhouse user that way) is matched
// by the starter mapping through user.alternate_emails; a primary email that matches still wins.
TEST_F(E2E, AGreenhouseUserIsMatchedToTheAshbyUserHoldingOneOfItsOtherEmails) {
  atsm::sandbox::Options options;
  options.seed = 13;
  options.persons = 40;
  start(options);
  std::vector<std::string> plan = migration_args("greenhouse");
  plan.insert(plan.begin(), "plan");
  run(plan);
  std::ifstream in(dir.path() / "work" / "mapping.json");
  ASSERT_TRUE(in) << "plan must write a starter mapping";
  json::object mapping =
      json::parse(std::string(std::istreambuf_iterator<char>(in), {})).as_object();
  const json::object& entries = mapping.at("user").as_object();
  const auto& users = atsm::sandbox::generate_dataset(13, 40).greenhouse.users;
  auto target = [&](const atsm::sandbox::GhUser& user) {
    return entries.at("greenhouse:user:" + std::to_string(user.id)).at("target");
  };
  ASSERT_FALSE(users[1].extra_emails.empty());
  EXPECT_EQ(target(users[1]), json::value(users[1].extra_emails.front()));
  ASSERT_FALSE(users[2].extra_emails.empty());
  EXPECT_EQ(target(users[2]), json::value(users[2].email));
}

}  // namespace
