// Jobs that are not Open or are confidential in the source: candidacies written either way, the
// detour through Open repaired by the next run, the hold until the operator's step.
#include <gtest/gtest.h>
#include <httplib.h>

#include "sink_fixture.hpp"

namespace atsm::ashby::testing {
namespace {

class AshbyClosedJobTest : public ::testing::TestWithParam<bool> {};

// application.create on a job that is not Open is undocumented
// (sandbox/validator/ashby-api-openapi.extract.json): the sink writes every candidacy whether the
// emulator accepts or refuses it, and each job ends in its status once the load finishes.
TEST_P(AshbyClosedJobTest, CandidaciesOfClosedAndArchivedJobsAreWrittenEitherWay) {
  AshbyHarness h(20, {}, {}, 0, 100, GetParam());
  json::object catalog = h.prepare();
  auto write = [&](const std::string& kind, const json::object& write_item) {
    json::array results = h.sink().write(kind, json::serialize(json::array{write_item}));
    EXPECT_EQ(results.at(0).at("status"), "ok") << json::serialize(results);
    return std::string(results.at(0).at("target_id").as_string());
  };
  auto job = [&](const std::string& id, const std::string& status) {
    return write("job",
                 item("lever:posting:" + id, json::object{{"kind", "job"},
                                                          {"source", "lever"},
                                                          {"source_key", "lever:posting:" + id},
                                                          {"title", "Role " + id},
                                                          {"status", status},
                                                          {"team", "Engineering"},
                                                          {"location", "Berlin"}}));
  };
  std::map<std::string, std::string> jobs{{"closed", job("c", "closed")},
                                          {"archived", job("a", "archived")},
                                          {"draft", job("d", "draft")}};
  std::string candidate =
      write("person", item("lever:contact:l", person("l", "Lee Late", {"lee@example.com"})));
  for (const auto& [status, job_id] : jobs) {
    json::object candidacy{{"kind", "candidacy"},
                           {"source", "lever"},
                           {"source_key", "lever:opportunity:" + status},
                           {"person_key", "lever:contact:l"},
                           {"job_key", "lever:posting:" + status},
                           {"status", "active"},
                           {"stage_key", "lever:stage:phone"},
                           {"created_at", "2019-03-04T10:00:00Z"}};
    write("candidacy", item("lever:opportunity:" + status, candidacy,
                            {{"lever:contact:l", candidate},
                             {"lever:posting:" + status, job_id},
                             {"lever:stage:phone", stage_id(catalog, "Phone Interview")}}));
  }
  // The load ends with finish (atsm.sink.finish/1), which puts back every job a detour opened.
  EXPECT_TRUE(h.sink().finish(R"({"kinds":{}})"));
  json::object state = h.state();
  EXPECT_EQ(state.at("candidates").at(0).at("applications").as_array().size(), 3u);
  std::map<std::string, std::string> held;
  for (const auto& job : state.at("jobs").as_array())
    held[std::string(job.at("id").as_string())] = std::string(job.at("status").as_string());
  EXPECT_EQ(held[jobs["closed"]], "Closed");
  EXPECT_EQ(held[jobs["archived"]], "Archived");
  EXPECT_EQ(held[jobs["draft"]], "Draft");
}

INSTANTIATE_TEST_SUITE_P(AcceptedOrRefused, AshbyClosedJobTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Accepted" : "Refused"; });

// Where Ashby refuses applications on a job that is not Open (the emulator's switch), the sink
// records a durable intent (host extension atsm.host.intents/1) before it opens the job, keeps
// the job Open for every later application of the run, and puts it back at finish. A run that
// dies inside the detour (its instance gone without finish, the intent left in the work dir's
// ledger) is repaired by the next run before it writes anything: the job ends in its source
// status and no application is written twice.
TEST(AshbyClosedJobDetour, OneOpeningPerJobAndAKilledRunIsRepairedByTheNext) {
  AshbyHarness h(20, {}, {}, 0, 100, /*applications_on_closed_jobs=*/false);
  json::object catalog = h.prepare();
  auto write_ok = [](host::ConnectorInstance& sink, const std::string& kind,
                     const json::array& items) {
    json::array results = sink.write(kind, json::serialize(items));
    std::vector<std::string> ids;
    for (const auto& result : results) {
      EXPECT_EQ(result.at("status"), "ok") << json::serialize(results);
      ids.emplace_back(result.at("target_id").as_string());
    }
    return ids;
  };
  auto job = [&](const std::string& id, const std::string& status) {
    return write_ok(h.sink(), "job",
                    {item("lever:posting:" + id, json::object{{"kind", "job"},
                                                              {"source", "lever"},
                                                              {"source_key", "lever:posting:" + id},
                                                              {"title", "Detour " + id},
                                                              {"status", status},
                                                              {"team", "Engineering"},
                                                              {"location", "Berlin"}})})
        .at(0);
  };
  const std::string closed_job = job("c", "closed"), archived_job = job("a", "archived");
  std::map<std::string, std::string> refs{
      {"lever:posting:c", closed_job},
      {"lever:posting:a", archived_job},
      {"lever:stage:phone", stage_id(catalog, "Phone Interview")}};
  json::array persons;
  for (int i = 0; i < 6; ++i)
    persons.push_back(item("lever:contact:p" + std::to_string(i),
                           person("p" + std::to_string(i), "Pat " + std::to_string(i),
                                  {"pat" + std::to_string(i) + "@example.com"})));
  std::vector<std::string> candidates = write_ok(h.sink(), "person", persons);
  for (int i = 0; i < 6; ++i)
    refs["lever:contact:p" + std::to_string(i)] = candidates[i];
  auto candidacy = [&](int i, const std::string& job_key) {
    std::string key = "lever:opportunity:o" + std::to_string(i);
    return item(key,
                json::object{{"kind", "candidacy"},
                             {"source", "lever"},
                             {"source_key", key},
                             {"person_key", "lever:contact:p" + std::to_string(i)},
                             {"job_key", job_key},
                             {"status", "active"},
                             {"stage_key", "lever:stage:phone"},
                             {"created_at", "2019-03-04T10:00:00Z"}},
                refs);
  };
  auto job_status = [&](const std::string& id) {
    return std::string(h.ashby("job.info", {{"id", id}}).at("results").at("status").as_string());
  };
  auto applications_on = [&](const std::string& job_title) {
    size_t count = 0;
    json::object state = h.state();
    for (const auto& candidate : state.at("candidates").as_array())
      for (const auto& application : candidate.at("applications").as_array())
        count += application.at("job") == json::value(job_title) ? 1 : 0;
    return count;
  };

  // The first run: four applications on the Closed job, in two batches, then it dies (its
  // instance goes away without finish, as under SIGKILL).
  auto before = h.request_counts();
  {
    std::unique_ptr<host::ConnectorInstance> killed = h.open_instance();
    write_ok(*killed, "candidacy",
             {candidacy(0, "lever:posting:c"), candidacy(1, "lever:posting:c")});
    write_ok(*killed, "candidacy",
             {candidacy(2, "lever:posting:c"), candidacy(3, "lever:posting:c")});
  }
  auto first_run = delta(before, h.request_counts());
  EXPECT_EQ(job_status(closed_job), "Open") << "the job stays Open for the whole run";
  EXPECT_EQ(calls(first_run, "application.create"), 5)
      << "one refused create, then one create per application";
  EXPECT_EQ(calls(first_run, "job.setStatus"), 2) << "Closed -> Draft -> Open, once";
  EXPECT_EQ(calls(first_run, "job.info"), 1);
  EXPECT_EQ(applications_on("Detour c"), 4u);

  // The next run in the same work dir puts the job back before its first write (here an
  // application on the Archived job, which takes its own detour), and its finish restores that.
  before = h.request_counts();
  {
    std::unique_ptr<host::ConnectorInstance> rerun = h.open_instance();
    write_ok(*rerun, "candidacy",
             {candidacy(4, "lever:posting:a"), candidacy(5, "lever:posting:a")});
    EXPECT_EQ(job_status(closed_job), "Closed") << "repaired before the rerun wrote anything";
    EXPECT_EQ(job_status(archived_job), "Open");
    EXPECT_TRUE(rerun->finish(R"({"kinds":{}})"));
  }
  auto second_run = delta(before, h.request_counts());
  EXPECT_EQ(job_status(closed_job), "Closed");
  EXPECT_EQ(job_status(archived_job), "Archived");
  EXPECT_EQ(applications_on("Detour c"), 4u) << "no application written twice";
  EXPECT_EQ(applications_on("Detour a"), 2u);
  // Restore Open -> Closed (1) + Archived -> Draft -> Open (2) + Open -> Closed -> Archived (2).
  EXPECT_EQ(calls(second_run, "job.setStatus"), 5);
  // Nothing is left to restore: a third run's finish moves no job.
  before = h.request_counts();
  EXPECT_TRUE(h.open_instance()->finish(R"({"kinds":{}})"));
  EXPECT_EQ(calls(delta(before, h.request_counts()), "job.setStatus"), 0);
}

// The jobs a detour opened go back at finish several at a time (one after another, a few hundred
// of them idled Ashby for seconds at the load's end), and each goes back once.
TEST(AshbyClosedJobDetour, FinishRestoresTheDetouredJobsSeveralAtATime) {
  AshbyHarness h(20, {}, {}, /*latency_ms=*/200, /*rate_scale=*/20,
                 /*applications_on_closed_jobs=*/false);
  json::object catalog = h.prepare();
  auto write_one = [&](const std::string& kind, const json::object& write_item) {
    json::array results = h.sink().write(kind, json::serialize(json::array{write_item}));
    EXPECT_EQ(results.at(0).at("status"), "ok") << json::serialize(results);
    return std::string(results.at(0).at("target_id").as_string());
  };
  auto peak_in_flight = [&] {
    httplib::Client client("127.0.0.1", h.emulator().endpoints().ashby_port);
    auto response = client.Get("/_sandbox/stats");
    return json::parse(response->body).at("peak_in_flight").as_int64();
  };
  constexpr int kJobs = 8;
  std::vector<std::string> jobs;
  for (int i = 0; i < kJobs; ++i) {
    std::string id = "r" + std::to_string(i), key = "lever:posting:" + id;
    jobs.push_back(write_one("job", item(key, json::object{{"kind", "job"},
                                                           {"source", "lever"},
                                                           {"source_key", key},
                                                           {"title", "Restore " + id},
                                                           {"status", "closed"},
                                                           {"team", "Engineering"},
                                                           {"location", "Berlin"}})));
    std::string contact = "lever:contact:" + id;
    std::string candidate = write_one(
        "person", item(contact, person(id, "Rita " + id, {"rita" + id + "@example.com"})));
    std::string opportunity = "lever:opportunity:" + id;
    write_one("candidacy", item(opportunity,
                                json::object{{"kind", "candidacy"},
                                             {"source", "lever"},
                                             {"source_key", opportunity},
                                             {"person_key", contact},
                                             {"job_key", key},
                                             {"status", "active"},
                                             {"stage_key", "lever:stage:phone"},
                                             {"created_at", "2019-03-04T10:00:00Z"}},
                                {{key, jobs.back()},
                                 {contact, candidate},
                                 {"lever:stage:phone", stage_id(catalog, "Phone Interview")}}));
  }
  for (const std::string& job : jobs)
    ASSERT_EQ(h.ashby("job.info", {{"id", job}}).at("results").at("status"), "Open");
  ASSERT_EQ(peak_in_flight(), 1) << "the writes above went one at a time";

  auto before = h.request_counts();
  EXPECT_TRUE(h.sink().finish(R"({"kinds":{}})"));
  EXPECT_GT(peak_in_flight(), 1) << "the jobs went back one after another";
  for (const std::string& job : jobs)
    EXPECT_EQ(h.ashby("job.info", {{"id", job}}).at("results").at("status"), "Closed");
  EXPECT_EQ(calls(delta(before, h.request_counts()), "job.setStatus"), kJobs)
      << "each job put back once";
}

// The jobs, persons and candidacy items of the confidential-job tests: one job confidential in
// the source ("Secret role"), one not ("Open role"), three persons.
struct ConfidentialFixture {
  std::string secret_job, open_job;
  std::map<std::string, std::string> refs;

  explicit ConfidentialFixture(AshbyHarness& h) {
    json::object catalog = h.prepare();
    auto first_id = [](const json::array& results) {
      EXPECT_EQ(results.at(0).at("status"), "ok") << json::serialize(results);
      return std::string(results.at(0).at("target_id").as_string());
    };
    auto job = [&](const std::string& id, const std::string& title, bool confidential) {
      return first_id(h.sink().write(
          "job", json::serialize(json::array{
                     item("lever:posting:" + id, json::object{{"kind", "job"},
                                                              {"source", "lever"},
                                                              {"source_key", "lever:posting:" + id},
                                                              {"title", title},
                                                              {"status", "open"},
                                                              {"confidential", confidential},
                                                              {"team", "Engineering"},
                                                              {"location", "Berlin"}})})));
    };
    secret_job = job("s", "Secret role", true);
    open_job = job("n", "Open role", false);
    refs = {{"lever:posting:s", secret_job},
            {"lever:posting:n", open_job},
            {"lever:stage:phone", stage_id(catalog, "Phone Interview")}};
    for (int i = 0; i < 3; ++i) {
      std::string n = std::to_string(i);
      refs["lever:contact:c" + n] = first_id(h.sink().write(
          "person", json::serialize(json::array{
                        item("lever:contact:c" + n,
                             person("c" + n, "Casey " + n, {"casey" + n + "@example.com"}))})));
    }
  }

  json::object candidacy(int i, const std::string& job_key) const {
    std::string key = "lever:opportunity:k" + std::to_string(i);
    return item(key,
                json::object{{"kind", "candidacy"},
                             {"source", "lever"},
                             {"source_key", key},
                             {"person_key", "lever:contact:c" + std::to_string(i)},
                             {"job_key", job_key},
                             {"status", "active"},
                             {"stage_key", "lever:stage:phone"},
                             {"created_at", "2019-03-04T10:00:00Z"}},
                refs);
  }

  // The results' statuses, in order.
  static std::vector<std::string> statuses(const json::array& results) {
    std::vector<std::string> out;
    for (const auto& result : results)
      out.emplace_back(result.at("status").as_string());
    return out;
  }

  static size_t applications_on(AshbyHarness& h, const std::string& title) {
    size_t count = 0;
    json::object state = h.state();
    for (const auto& candidate : state.at("candidates").as_array())
      for (const auto& application : candidate.at("applications").as_array())
        count += application.at("job") == json::value(title) ? 1 : 0;
    return count;
  }
};

// A job confidential in the source: Ashby's API cannot make it so
// (sandbox/validator/ashby-api-openapi.extract.json: job.create and job.update define no
// `confidential`; job.info's job answers it). Its candidacies are held (status `held`, naming the
// job and the operator's step) until job.info shows the job confidential, which the operator does
// in Ashby's web app (here the sandbox's
// /_sandbox/job_confidential); a later run then writes exactly the held ones.
TEST(AshbyConfidentialJobs, CandidaciesAreHeldUntilTheJobIsConfidentialInAshby) {
  AshbyHarness h(20, {}, json::object{{"confidential_jobs", "hold"}});
  ConfidentialFixture f(h);
  json::array first =
      h.sink().write("candidacy", json::serialize(json::array{f.candidacy(0, "lever:posting:s"),
                                                              f.candidacy(1, "lever:posting:s"),
                                                              f.candidacy(2, "lever:posting:n")}));
  EXPECT_EQ(ConfidentialFixture::statuses(first), (std::vector<std::string>{"held", "held", "ok"}))
      << json::serialize(first);
  std::string message(first.at(0).at("message").as_string());
  EXPECT_NE(message.find("Secret role"), std::string::npos) << message;
  EXPECT_NE(message.find("make it confidential in Ashby's web app"), std::string::npos) << message;
  EXPECT_EQ(ConfidentialFixture::applications_on(h, "Secret role"), 0u);
  EXPECT_EQ(ConfidentialFixture::applications_on(h, "Open role"), 1u);

  // A run before the operator's step holds them again (the hold is kept in the work dir, not in
  // the instance that wrote the job).
  json::array again = h.open_instance()->write(
      "candidacy", json::serialize(json::array{f.candidacy(0, "lever:posting:s")}));
  EXPECT_EQ(ConfidentialFixture::statuses(again), std::vector<std::string>{"held"});

  json::object marked = h.ashby("_sandbox/job_confidential",
                                json::object{{"jobId", f.secret_job}, {"confidential", true}});
  EXPECT_EQ(marked.at("confidential"), true);
  json::array rerun = h.open_instance()->write(
      "candidacy", json::serialize(json::array{f.candidacy(0, "lever:posting:s"),
                                               f.candidacy(1, "lever:posting:s")}));
  EXPECT_EQ(ConfidentialFixture::statuses(rerun), (std::vector<std::string>{"ok", "ok"}))
      << json::serialize(rerun);
  EXPECT_EQ(ConfidentialFixture::applications_on(h, "Secret role"), 2u);
  EXPECT_EQ(ConfidentialFixture::applications_on(h, "Open role"), 1u);
  EXPECT_EQ(h.ashby("job.info", {{"id", f.secret_job}}).at("results").at("confidential"), true);
}

// The override: with confidential_jobs=proceed they are written at once, the job left as Ashby
// has it (not confidential) for the operator's step the plan names.
TEST(AshbyConfidentialJobs, ProceedWritesThemAtOnce) {
  AshbyHarness h(20, {}, json::object{{"confidential_jobs", "proceed"}});
  ConfidentialFixture f(h);
  json::array results =
      h.sink().write("candidacy", json::serialize(json::array{f.candidacy(0, "lever:posting:s"),
                                                              f.candidacy(1, "lever:posting:s")}));
  EXPECT_EQ(ConfidentialFixture::statuses(results), (std::vector<std::string>{"ok", "ok"}))
      << json::serialize(results);
  EXPECT_EQ(ConfidentialFixture::applications_on(h, "Secret role"), 2u);
  EXPECT_EQ(h.ashby("job.info", {{"id", f.secret_job}}).at("results").at("confidential"), false);
}

}  // namespace
}  // namespace atsm::ashby::testing
