// Ashby contract (docs/vendors/ashby.md): auth codes, 200-with-success:false business errors with
// errorInfo, no dedup on candidate.create, application.create validation, notes, uploads, --state.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "http_client.hpp"
#include "sandbox/dataset.hpp"
#include "sandbox/sandbox.hpp"

namespace atsm::sandbox {
namespace {

namespace json = boost::json;
using test::http;
using test::HttpOptions;

std::filesystem::path make_temp_dir() {
  const char* root = std::getenv("ATSM_TEST_TMP");
  std::filesystem::path base = root ? root : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(base);
  std::string pattern = (base / "sandbox-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed under " + base.string());
  return pattern;
}

class AshbyContract : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.persons = 20;
    options.rate_scale = 100;
    sandbox_ = std::make_unique<Sandbox>(options);
    sandbox_->start();
  }
  json::object call(const std::string& method, const json::object& body) {
    auto response = test::ashby(sandbox_->endpoints().ashby_url,
                                sandbox_->credentials().ashby_api_key, method, body);
    EXPECT_EQ(response.status, 200) << method << " " << response.body;
    return response.json().as_object();
  }
  json::object ok(const std::string& method, const json::object& body) {
    auto out = call(method, body);
    EXPECT_TRUE(out.at("success").as_bool()) << method << " " << json::serialize(out);
    return out;
  }
  void expect_error(const std::string& method, const json::object& body, const std::string& code) {
    auto out = call(method, body);
    ASSERT_FALSE(out.at("success").as_bool()) << method;
    EXPECT_EQ(out.at("errorInfo").at("code").as_string(), code) << json::serialize(out);
    EXPECT_EQ(out.at("errorInfo").at("requestId").as_string().size(), 26u);
    EXPECT_FALSE(out.at("errorInfo").at("message").as_string().empty());
    EXPECT_EQ(out.at("errors").as_array()[0].as_string(), code);
  }
  std::string first_id(const std::string& method, const json::object& body = {}) {
    return std::string(ok(method, body).at("results").as_array().at(0).at("id").as_string());
  }
  // An open job on the default plan; returns (job id, plan id).
  std::pair<std::string, std::string> open_job() {
    std::string plan = first_id("interviewPlan.list");
    std::string team(
        ok("department.create", {{"name", "Engineering"}}).at("results").at("id").as_string());
    std::string location(ok("location.create", {{"name", "Berlin"}, {"type", "Location"}})
                             .at("results")
                             .at("id")
                             .as_string());
    std::string job(ok("job.create", {{"title", "Engineer"},
                                      {"teamId", team},
                                      {"locationId", location},
                                      {"defaultInterviewPlanId", plan}})
                        .at("results")
                        .at("id")
                        .as_string());
    ok("job.setStatus", {{"jobId", job}, {"status", "Open"}});
    return {job, plan};
  }
  std::string stage(const std::string& plan, const std::string& type) {
    auto stages = ok("interviewStage.list", {{"interviewPlanId", plan}});
    for (const auto& s : stages.at("results").as_array())
      if (s.at("type") == type.c_str())
        return std::string(s.at("id").as_string());
    ADD_FAILURE() << "no " << type << " stage";
    return {};
  }
  json::object state() {
    return http(sandbox_->endpoints().ashby_url + "/_sandbox/state").json().as_object();
  }
  std::unique_ptr<Sandbox> sandbox_;
};

TEST_F(AshbyContract, AuthErrorsAreRealHttpCodes) {
  HttpOptions none;
  none.post = true;
  none.body = "{}";
  EXPECT_EQ(http(sandbox_->endpoints().ashby_url + "/candidate.list", none).status, 401);
  EXPECT_EQ(test::ashby(sandbox_->endpoints().ashby_url, "wrong-key", "candidate.list", {}).status,
            403);
  auto response = test::ashby(sandbox_->endpoints().ashby_url,
                              sandbox_->credentials().ashby_api_key, "candidate.list", {});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("ashby-version"), "2026-01-01");
}

TEST_F(AshbyContract, CandidateCreateNeverDeduplicatesAndSearchFindsBoth) {
  ok("candidate.create", {{"name", "Ada Lovelace"}, {"email", "ada@example.com"}});
  ok("candidate.create", {{"name", "Ada L."}, {"email", "ADA@example.com"}});
  auto found = ok("candidate.search", {{"email", "ada@example.com"}}).at("results").as_array();
  EXPECT_EQ(found.size(), 2u);
  auto s = state();
  EXPECT_EQ(s.at("counts").at("candidate").as_int64(), 2);
  EXPECT_EQ(s.at("duplicate_emails").as_int64(), 1);
  EXPECT_EQ(s.at("created_by_method").at("candidate.create").as_int64(), 2);
  expect_error("candidate.create", {{"email", "x@example.com"}}, "invalid_input");
  expect_error("candidate.create", {{"name", "Bad"}, {"email", "not-an-email"}}, "invalid_input");
  expect_error("candidate.info", {{"id", "00000000-0000-4000-a000-000000000000"}},
               "candidate_not_found");
}

TEST_F(AshbyContract, ApplicationCreateRejectsMissingReferencesWithDocumentedCodes) {
  auto [job, plan] = open_job();
  std::string candidate(
      ok("candidate.create", {{"name", "Grace"}}).at("results").at("id").as_string());
  std::string missing = "00000000-0000-4000-a000-000000000000";
  expect_error("application.create", {{"candidateId", candidate}, {"jobId", missing}},
               "requested_job_not_found");
  expect_error("application.create", {{"candidateId", missing}, {"jobId", job}},
               "candidate_not_found");
  expect_error("application.create",
               {{"candidateId", candidate}, {"jobId", job}, {"interviewStageId", missing}},
               "interview_stage_not_found");
  std::string archived = stage(plan, "Archived"), lead = stage(plan, "Lead");
  json::array no_reason{
      json::object{
          {"stageId", lead}, {"stageNumber", 0}, {"enteredStageAt", "2019-03-04T10:00:00Z"}},
      json::object{
          {"stageId", archived}, {"stageNumber", 1}, {"enteredStageAt", "2019-04-01T10:00:00Z"}}};
  expect_error("application.create",
               {{"candidateId", candidate}, {"jobId", job}, {"applicationHistory", no_reason}},
               "invalid_input");
  no_reason[1].as_object()["archiveReasonId"] = missing;
  expect_error("application.create",
               {{"candidateId", candidate}, {"jobId", job}, {"applicationHistory", no_reason}},
               "archive_reason_not_found");
  expect_error("application.create",
               {{"candidateId", candidate}, {"jobId", job}, {"sourceId", missing}},
               "invalid_input");
  EXPECT_EQ(state().at("counts").at("application").as_int64(), 0) << "nothing half-written";

  std::string reason = first_id("archiveReason.list");
  no_reason[1].as_object()["archiveReasonId"] = reason;
  auto app = ok("application.create", {{"candidateId", candidate},
                                       {"jobId", job},
                                       {"createdAt", "2019-03-04T10:00:00Z"},
                                       {"applicationHistory", no_reason}})
                 .at("results")
                 .as_object();
  EXPECT_EQ(app.at("status"), "Archived");
  EXPECT_EQ(app.at("createdAt"), "2019-03-04T10:00:00.000Z") << "backdated";
  EXPECT_EQ(app.at("applicationHistory").as_array().size(), 2u);
  auto plain = ok("application.create", {{"candidateId", candidate}, {"jobId", job}})
                   .at("results")
                   .as_object();
  EXPECT_EQ(plain.at("status"), "Lead") << "default: the plan's first Lead stage";
  std::string form = first_id("feedbackFormDefinition.list");
  expect_error("applicationFeedback.submit",
               {{"formDefinitionId", missing},
                {"applicationId", app.at("id")},
                {"feedbackForm", {{"fieldSubmissions", json::array{}}}}},
               "feedback_form_not_found");
  expect_error("applicationFeedback.submit",
               {{"formDefinitionId", form},
                {"applicationId", missing},
                {"feedbackForm", {{"fieldSubmissions", json::array{}}}}},
               "application_not_found");
  expect_error("applicationFeedback.submit",
               {{"formDefinitionId", form},
                {"applicationId", app.at("id")},
                {"feedbackForm",
                 {{"fieldSubmissions", json::array{json::object{{"path", "overall_score"},
                                                                {"value", {{"score", 9}}}}}}}}},
               "invalid_input");
  ok("applicationFeedback.submit",
     {{"formDefinitionId", form},
      {"applicationId", app.at("id")},
      {"feedbackForm",
       {{"fieldSubmissions",
         json::array{
             json::object{{"path", "overall_score"}, {"value", {{"score", 3}}}},
             json::object{{"path", "feedback_text"}, {"value", "Lever feedback — On-site"}}}}}}});
  auto s = state();
  EXPECT_EQ(s.at("counts").at("feedback").as_int64(), 1);
  ASSERT_EQ(s.at("jobs").as_array().size(), 1u);
  EXPECT_EQ(s.at("jobs").as_array()[0].at("status"), "Open");
  EXPECT_EQ(s.at("candidates").as_array()[0].at("applications").as_array().size(), 2u);
}

TEST_F(AshbyContract, NotesAreSanitisedAndListedPerCandidate) {
  std::string candidate(
      ok("candidate.create", {{"name", "Linus"}}).at("results").at("id").as_string());
  ok("candidate.createNote", {{"candidateId", candidate},
                              {"sendNotifications", false},
                              {"createdAt", "2019-03-04T14:02:00Z"},
                              {"note",
                               {{"type", "text/html"},
                                {"value",
                                 "<b>Lever note</b> — J. Doe<script>alert(1)</script><p "
                                 "onclick=\"x()\">hi</p><a href=\"javascript:x\">l</a>"}}}});
  ok("candidate.createNote",
     {{"candidateId", candidate}, {"note", "plain <text>"}, {"isPrivate", true}});
  auto notes = ok("candidate.listNotes", {{"candidateId", candidate}}).at("results").as_array();
  ASSERT_EQ(notes.size(), 2u);
  std::string html(notes[0].at("content").as_string());
  EXPECT_EQ(html.find("script"), std::string::npos);
  EXPECT_EQ(html.find("onclick"), std::string::npos);
  EXPECT_EQ(html.find("javascript"), std::string::npos);
  EXPECT_NE(html.find("<b>Lever note</b>"), std::string::npos);
  EXPECT_EQ(notes[0].at("createdAt"), "2019-03-04T14:02:00.000Z");
  EXPECT_EQ(notes[1].at("content"), "plain &lt;text&gt;");
  EXPECT_TRUE(notes[1].at("isPrivate").as_bool());
  expect_error("candidate.createNote",
               {{"candidateId", "00000000-0000-4000-a000-000000000000"}, {"note", "x"}},
               "candidate_not_found");
}

// Notes interleaved across candidates: each candidate's list pages through its own notes only,
// in the order they were written, and says there are no more after its last one.
TEST_F(AshbyContract, NotesOfACandidatePageThroughItsOwnNotesOnly) {
  std::vector<std::string> candidates;
  for (int i = 0; i < 3; ++i)
    candidates.emplace_back(ok("candidate.create", {{"name", "N" + std::to_string(i)}})
                                .at("results")
                                .at("id")
                                .as_string());
  for (int round = 0; round < 5; ++round)
    for (int i = 0; i < 3; ++i)
      ok("candidate.createNote",
         {{"candidateId", candidates[static_cast<std::size_t>(i)]},
          {"note", "note " + std::to_string(i) + "." + std::to_string(round)}});
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> seen;
    json::object body{{"candidateId", candidates[static_cast<std::size_t>(i)]}, {"limit", 2}};
    for (int pages = 1;; ++pages) {
      auto page = ok("candidate.listNotes", body);
      for (const auto& note : page.at("results").as_array())
        seen.emplace_back(note.at("content").as_string());
      if (!page.at("moreDataAvailable").as_bool())
        break;
      body["cursor"] = page.at("nextCursor");
      ASSERT_LE(pages, 3) << "5 notes at 2 a page";
    }
    std::vector<std::string> expected;
    for (int round = 0; round < 5; ++round)
      expected.push_back("note " + std::to_string(i) + "." + std::to_string(round));
    EXPECT_EQ(seen, expected) << "candidate " << i;
  }
}

TEST_F(AshbyContract, TagsAreIdempotentByTitleAndCustomFieldsValidated) {
  std::string candidate(
      ok("candidate.create", {{"name", "Tagged"}}).at("results").at("id").as_string());
  auto a = ok("candidateTag.create", {{"title", "Rehire"}}).at("results");
  auto b = ok("candidateTag.create", {{"title", "Rehire"}}).at("results");
  EXPECT_EQ(a.at("id"), b.at("id"));
  ok("candidate.addTag", {{"candidateId", candidate}, {"tagId", a.at("id")}});
  expect_error("candidate.addTag",
               {{"candidateId", candidate}, {"tagId", "00000000-0000-4000-a000-000000000000"}},
               "tag_not_found");
  EXPECT_EQ(state().at("counts").at("candidate_tag").as_int64(), 1);
  auto field = ok("customField.create",
                  {{"fieldType", "String"}, {"objectType", "Candidate"}, {"title", "Legacy IDs"}})
                   .at("results");
  ok("customField.setValues",
     {{"objectId", candidate},
      {"objectType", "Candidate"},
      {"values",
       json::array{json::object{{"fieldId", field.at("id")}, {"fieldValue", "lever:contact:1"}}}}});
  expect_error("customField.setValue",
               {{"objectId", candidate},
                {"objectType", "Candidate"},
                {"fieldId", field.at("id")},
                {"fieldValue", 12}},
               "invalid_input");
  expect_error("customField.create",
               {{"fieldType", "Strng"}, {"objectType", "Candidate"}, {"title", "x"}},
               "invalid_input");
  EXPECT_EQ(state().at("candidates").as_array()[0].at("customFields").at("Legacy IDs"),
            "lever:contact:1");
}

TEST_F(AshbyContract, UploadsByHandleAndByMultipartForm) {
  std::string candidate(
      ok("candidate.create", {{"name", "Files"}}).at("results").at("id").as_string());
  std::string bytes = "%PDF-1.4 resume bytes";
  auto handle = ok("file.createFileUploadHandle", {{"fileUploadContext", "CandidateResume"},
                                                   {"filename", "cv.pdf"},
                                                   {"contentType", "application/pdf"},
                                                   {"contentLength", bytes.size()}})
                    .at("results")
                    .as_object();
  HttpOptions upload;
  for (const auto& [name, value] : handle.at("fields").as_object())
    upload.parts.emplace_back(std::string(name), "", std::string(value.as_string()));
  upload.parts.emplace_back("file", "cv.pdf", bytes);
  auto uploaded = http(std::string(handle.at("url").as_string()), upload);
  EXPECT_EQ(uploaded.status, 204) << uploaded.body;
  ok("candidate.uploadResume", {{"candidateId", candidate}, {"resumeHandle", handle.at("handle")}});
  expect_error("candidate.uploadFile", {{"candidateId", candidate}, {"fileHandle", "fh_unknown"}},
               "invalid_input");
  HttpOptions form;
  form.userpwd = sandbox_->credentials().ashby_api_key + ":";
  form.parts = {{"candidateId", "", candidate}, {"file", "portfolio.pdf", "other bytes"}};
  auto multipart = http(sandbox_->endpoints().ashby_url + "/candidate.uploadFile", form);
  ASSERT_EQ(multipart.status, 200);
  EXPECT_TRUE(multipart.json().at("success").as_bool()) << multipart.body;
  auto info = ok("candidate.info", {{"id", candidate}}).at("results").as_object();
  EXPECT_EQ(info.at("fileHandles").as_array().size(), 2u);
  EXPECT_EQ(info.at("resumeFileHandle").at("name"), "cv.pdf");
  auto files = state().at("candidates").as_array()[0].at("files").as_array();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(state().at("counts").at("file").as_int64(), 2);
}

TEST_F(AshbyContract, ListsPageWithCursorsAndSyncTokenOnlyOnTheLastPage) {
  for (int i = 0; i < 5; ++i)
    ok("candidate.create", {{"name", "P" + std::to_string(i)}});
  auto first = ok("candidate.list", {{"limit", 2}});
  EXPECT_TRUE(first.at("moreDataAvailable").as_bool());
  EXPECT_FALSE(first.contains("syncToken"));
  std::size_t seen = first.at("results").as_array().size();
  json::value cursor = first.at("nextCursor");
  json::object last;
  while (true) {
    last = ok("candidate.list", {{"limit", 2}, {"cursor", cursor}});
    seen += last.at("results").as_array().size();
    if (!last.at("moreDataAvailable").as_bool())
      break;
    cursor = last.at("nextCursor");
  }
  EXPECT_EQ(seen, 5u);
  ASSERT_TRUE(last.contains("syncToken"));
  ok("candidate.create", {{"name", "Later"}});
  auto delta = ok("candidate.list", {{"syncToken", last.at("syncToken")}});
  EXPECT_EQ(delta.at("results").as_array().size(), 1u) << "only what changed since the token";
  expect_error("candidate.list", {{"limit", 101}}, "invalid_input");
}

// docs/vendors/ashby.md §3: `limit` <= 100, opaque cursors, `moreDataAvailable` until the last
// page. Every record is seen exactly once at page sizes 1, 7 and the maximum.
TEST_F(AshbyContract, PaginationWalksEveryRecordOnceAtEveryPageSize) {
  std::set<std::string> created;
  for (int i = 0; i < 150; ++i)  // more than one page at the maximum
    created.emplace(ok("candidate.create", {{"name", "Paged " + std::to_string(i)}})
                        .at("results")
                        .at("id")
                        .as_string());
  ASSERT_EQ(created.size(), 150u);
  for (int limit : {1, 7, 100}) {
    std::set<std::string> seen;
    json::object body{{"limit", limit}};
    int pages = 0;
    while (true) {
      auto page = ok("candidate.list", body);
      ++pages;
      const auto& results = page.at("results").as_array();
      EXPECT_LE(results.size(), static_cast<std::size_t>(limit));
      for (const auto& item : results)
        EXPECT_TRUE(seen.emplace(item.at("id").as_string()).second)
            << "seen twice at limit " << limit;
      if (!page.at("moreDataAvailable").as_bool()) {
        EXPECT_TRUE(page.contains("syncToken")) << "the last page carries the sync token";
        break;
      }
      EXPECT_FALSE(page.contains("syncToken")) << "only the last page carries it";
      body["cursor"] = page.at("nextCursor");
      ASSERT_LE(pages, 200) << "the walk does not end at limit " << limit;
    }
    EXPECT_EQ(seen, created) << "limit " << limit;
    EXPECT_EQ(pages, (150 + limit - 1) / limit) << "full pages until the last, limit " << limit;
  }
  expect_error("candidate.list", {{"limit", 0}}, "invalid_input");
  expect_error("candidate.list", {{"limit", 101}}, "invalid_input");
  expect_error("candidate.list", {{"cursor", "forged"}}, "invalid_input");
}

TEST(AshbyState, WritesSurviveARestartWithStateDir) {
  auto dir = make_temp_dir() / "state";
  Options options;
  options.persons = 5;
  options.state_dir = dir;
  options.credentials = random_credentials();
  json::value sync_token;
  {
    Sandbox sandbox(options);
    sandbox.start();
    const auto& key = options.credentials->ashby_api_key;
    auto created = test::ashby(sandbox.endpoints().ashby_url, key, "candidate.create",
                               {{"name", "Persisted"}, {"email", "p@example.com"}});
    ASSERT_TRUE(created.json().at("success").as_bool());
    auto tag =
        test::ashby(sandbox.endpoints().ashby_url, key, "candidateTag.create", {{"title", "Kept"}})
            .json();
    test::ashby(sandbox.endpoints().ashby_url, key, "candidate.addTag",
                {{"candidateId", created.json().at("results").at("id")},
                 {"tagId", tag.at("results").at("id")}});
    sync_token = test::ashby(sandbox.endpoints().ashby_url, key, "candidate.list", {})
                     .json()
                     .at("syncToken");
  }
  struct stat info {};
  ASSERT_EQ(::stat(dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir / "ashby-journal.jsonl").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  {
    Sandbox sandbox(options);
    sandbox.start();
    auto found = test::ashby(sandbox.endpoints().ashby_url, options.credentials->ashby_api_key,
                             "candidate.search", {{"email", "p@example.com"}});
    EXPECT_EQ(found.json().at("results").as_array().size(), 1u);
    EXPECT_EQ(found.json().at("results").as_array()[0].at("tags").as_array().size(), 1u);
    const auto& key = options.credentials->ashby_api_key;
    test::ashby(sandbox.endpoints().ashby_url, key, "candidate.create",
                {{"name", "After restart"}});
    auto state = http(sandbox.endpoints().ashby_url + "/_sandbox/state?details=false").json();
    EXPECT_EQ(state.at("counts").at("candidate").as_int64(), 2)
        << "new ids never overwrite journalled ones";
    EXPECT_EQ(state.at("created_by_method").at("candidate.create").as_int64(), 2);
    auto delta = test::ashby(sandbox.endpoints().ashby_url, key, "candidate.list",
                             {{"syncToken", sync_token}})
                     .json();
    ASSERT_TRUE(delta.at("success").as_bool());
    EXPECT_EQ(delta.at("results").as_array().size(), 1u)
        << "a token from before the restart still works";
  }
  std::filesystem::remove_all(dir.parent_path());
}

TEST(AshbyRateLimit, ThousandPerMinuteScaled) {
  Options options;
  options.persons = 5;
  options.rate_scale = 1;  // a 60-s window: no roll-over within the test
  Sandbox sandbox(options);
  sandbox.start();
  int ok = 0;
  test::HttpResponse last;
  for (int i = 0; i < 1003; ++i) {
    last = test::ashby(sandbox.endpoints().ashby_url, sandbox.credentials().ashby_api_key,
                       "source.list", {});
    if (last.status == 200)
      ++ok;
  }
  EXPECT_EQ(ok, 1000);
  EXPECT_EQ(last.status, 429);
  EXPECT_EQ(last.json().at("errorInfo").at("code"), "rate_limit_exceeded");
  EXPECT_TRUE(last.header("retry-after").empty())
      << "docs/vendors/ashby.md §4: whether Ashby sends Retry-After is unverified; the emulator "
         "does not by default";
}

TEST(AshbyRateLimit, RetryAfterIsOffByDefaultAndSwitchable) {
  for (bool switched_on : {false, true}) {
    Options options;
    options.persons = 5;
    set_fault_rate(options.faults[static_cast<std::size_t>(Vendor::ashby)], "rate_limit", 1.0);
    if (switched_on)
      options.ashby_retry_after = true;
    Sandbox sandbox(options);
    sandbox.start();
    auto response = test::ashby(sandbox.endpoints().ashby_url, sandbox.credentials().ashby_api_key,
                                "source.list", {});
    EXPECT_EQ(response.status, 429);
    EXPECT_EQ(response.json().at("errorInfo").at("code"), "rate_limit_exceeded");
    EXPECT_EQ(response.header("retry-after").empty(), !switched_on) << switched_on;
  }
}

// ---- the behaviours Ashby's OpenAPI document (sandbox/validator/ashby-api-openapi.extract.json)
// defines, refused when violated ----

// base64url (or base64) text to bytes, for reading the spec-shaped file handle.
std::string decode_base64(std::string text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0, buffer = 0;
  for (char c : text) {
    if (c == '-')
      c = '+';
    if (c == '_')
      c = '/';
    std::size_t at = kAlphabet.find(c);
    if (at == std::string::npos)
      continue;
    buffer = (buffer << 6) | static_cast<int>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

TEST_F(AshbyContract, JobsTakeNoConfidentialAndDraftsAreListedOnlyWhenAskedFor) {
  auto [open, plan] = open_job();
  std::string team(ok("department.list", {}).at("results").at(0).at("id").as_string());
  std::string location(ok("location.list", {}).at("results").at(0).at("id").as_string());
  // job.create / job.update define no `confidential`
  // (sandbox/validator/ashby-api-openapi.extract.json).
  expect_error(
      "job.create",
      {{"title", "Secret"}, {"teamId", team}, {"locationId", location}, {"confidential", true}},
      "invalid_input");
  expect_error("job.update", {{"jobId", open}, {"confidential", true}}, "invalid_input");
  std::string draft(
      ok("job.create", {{"title", "Drafted"}, {"teamId", team}, {"locationId", location}})
          .at("results")
          .at("id")
          .as_string());
  auto ids = [&](const json::object& body) {
    std::set<std::string> found;
    json::object listed = ok("job.list", body);
    for (const auto& job : listed.at("results").as_array())
      found.insert(std::string(job.at("id").as_string()));
    return found;
  };
  // "To include draft jobs, `Draft` must be specified in the `status` param" (job.list).
  EXPECT_EQ(ids({}), (std::set<std::string>{open}));
  EXPECT_EQ(ids({{"status", json::array{"Draft"}}}), (std::set<std::string>{draft}));
  EXPECT_EQ(ids({{"status", json::array{"Draft", "Open", "Closed", "Archived"}}}),
            (std::set<std::string>{open, draft}));
  expect_error("job.list", {{"status", json::array{"Paused"}}}, "invalid_input");
}

TEST_F(AshbyContract, ListsWhoseSchemaTakesNoLimitRefuseOne) {
  std::string plan = first_id("interviewPlan.list");
  for (const char* method : {"archiveReason.list", "source.list", "location.list"}) {
    ok(method, {});
    expect_error(method, {{"limit", 100}}, "invalid_input");
  }
  ok("interviewStage.list", {{"interviewPlanId", plan}});
  expect_error("interviewStage.list", {{"interviewPlanId", plan}, {"limit", 100}}, "invalid_input");
  ok("candidate.list", {{"limit", 100}});  // a list that takes one
}

// The methods sandbox/README.md lists, and the hiring-team pair the sink calls: the emulated
// Ashby's method table answers each (whatever the error for an empty body); and
// an unknown method answers the documented `unknown_endpoint` business error.
TEST_F(AshbyContract, EveryDocumentedMethodIsServedAndAnUnknownOneIsAnUnknownEndpoint) {
  static const char* const kDocumented[] = {"candidate.create",
                                            "candidate.update",
                                            "candidate.info",
                                            "candidate.list",
                                            "candidate.search",
                                            "candidate.addTag",
                                            "candidate.removeTag",
                                            "candidate.createNote",
                                            "candidate.listNotes",
                                            "candidate.uploadResume",
                                            "candidate.uploadFile",
                                            "candidate.anonymize",
                                            "candidateTag.create",
                                            "candidateTag.list",
                                            "application.create",
                                            "application.info",
                                            "application.list",
                                            "application.listHistory",
                                            "application.update",
                                            "application.changeStage",
                                            "applicationFeedback.submit",
                                            "applicationFeedback.list",
                                            "customField.create",
                                            "customField.list",
                                            "customField.setValue",
                                            "customField.setValues",
                                            "file.createFileUploadHandle",
                                            "file.info",
                                            "job.create",
                                            "job.update",
                                            "job.setStatus",
                                            "job.info",
                                            "job.list",
                                            "department.create",
                                            "department.list",
                                            "location.create",
                                            "location.list",
                                            "interviewPlan.list",
                                            "interviewStage.list",
                                            "jobInterviewPlan.info",
                                            "source.list",
                                            "archiveReason.list",
                                            "user.list",
                                            "user.search",
                                            "feedbackFormDefinition.list",
                                            "feedbackFormDefinition.info",
                                            "hiringTeamRole.list",
                                            "hiringTeam.addMember"};
  for (const char* method : kDocumented) {
    auto out = call(method, {});
    if (!out.at("success").as_bool()) {
      EXPECT_NE(out.at("errorInfo").at("code"), "unknown_endpoint") << method;
    }
  }
  expect_error("candidate.frobnicate", {}, "unknown_endpoint");
  auto out = call("candidate.frobnicate", {});
  EXPECT_NE(out.at("errorInfo").at("message").as_string().find("candidate.frobnicate"),
            std::string::npos);
}

TEST_F(AshbyContract, CurrencyAndDateValuesHaveTheSpecShapeOnly) {
  std::string candidate(
      ok("candidate.create", {{"name", "Money"}}).at("results").at("id").as_string());
  auto field_of = [&](const char* title, const char* type) {
    return std::string(ok("customField.create",
                          {{"title", title}, {"objectType", "Candidate"}, {"fieldType", type}})
                           .at("results")
                           .at("id")
                           .as_string());
  };
  std::string salary = field_of("Salary", "Currency"), start = field_of("Start", "Date");
  auto set = [&](const std::string& field, json::value value) {
    return json::object{{"objectId", candidate},
                        {"objectType", "Candidate"},
                        {"values", json::array{json::object{{"fieldId", field},
                                                            {"fieldValue", std::move(value)}}}}};
  };
  // Currency: {value: number, currencyCode: ISO 4217}; Date: a date-time (customField.setValues).
  expect_error("customField.setValues",
               set(salary, json::object{{"unit", "EUR"}, {"amount", 85000}}), "invalid_input");
  expect_error("customField.setValues",
               set(salary, json::object{{"value", "85000"}, {"currencyCode", "EUR"}}),
               "invalid_input");
  expect_error("customField.setValues", set(start, "2021-03-04"), "invalid_input");
  ok("customField.setValues", set(salary, json::object{{"value", 85000}, {"currencyCode", "EUR"}}));
  ok("customField.setValues", set(start, "2021-03-04T00:00:00.000Z"));
  auto custom = state().at("candidates").at(0).at("customFields").as_object();
  EXPECT_EQ(custom.at("Salary"), (json::object{{"value", 85000}, {"currencyCode", "EUR"}}));
  EXPECT_EQ(custom.at("Start"), "2021-03-04T00:00:00.000Z");
}

TEST_F(AshbyContract, FeedbackScoreIsExactlyTheDescribedObject) {
  auto [job, plan] = open_job();
  std::string candidate(
      ok("candidate.create", {{"name", "Scored"}}).at("results").at("id").as_string());
  std::string app(ok("application.create", {{"candidateId", candidate}, {"jobId", job}})
                      .at("results")
                      .at("id")
                      .as_string());
  json::object form = ok("feedbackFormDefinition.list", {}).at("results").at(0).as_object();
  std::string score_path, text_path;
  for (const auto& section : form.at("formDefinition").at("sections").as_array())
    for (const auto& entry : section.at("fields").as_array()) {
      std::string type(entry.at("field").at("type").as_string());
      if (type == "Score")
        score_path = std::string(entry.at("field").at("path").as_string());
      else if (text_path.empty() && (type == "LongText" || type == "RichText" || type == "String"))
        text_path = std::string(entry.at("field").at("path").as_string());
    }
  ASSERT_FALSE(score_path.empty());
  auto submit = [&](json::value score) {
    json::array fields{json::object{{"path", score_path}, {"value", std::move(score)}}};
    return json::object{{"formDefinitionId", form.at("id")},
                        {"applicationId", app},
                        {"feedbackForm", json::object{{"fieldSubmissions", fields}}}};
  };
  // The description's `{ score: 4 }` (applicationFeedback.submit), and nothing looser.
  for (json::value loose :
       {json::value("4"), json::value(4), json::value(json::object{{"score", "4"}}),
        json::value(json::object{{"score", 5}}),
        json::value(json::object{{"score", 4}, {"comment", "x"}})})
    expect_error("applicationFeedback.submit", submit(loose), "invalid_input");
  auto out = call("applicationFeedback.submit", submit(json::object{{"score", 4}}));
  // A form may require its text field too: then only that is refused, never the score's shape.
  if (!out.at("success").as_bool()) {
    EXPECT_NE(std::string(out.at("errorInfo").at("message").as_string()).find("Required field"),
              std::string::npos)
        << json::serialize(out);
  }
}

TEST_F(AshbyContract, CandidateFileHandlesAreOpaqueAndNotTheUploadHandle) {
  std::string candidate(
      ok("candidate.create", {{"name", "Handles"}}).at("results").at("id").as_string());
  std::string bytes = "%PDF-1.4 handle bytes";
  auto handle = ok("file.createFileUploadHandle", {{"fileUploadContext", "CandidateFiles"},
                                                   {"filename", "cv.pdf"},
                                                   {"contentType", "application/pdf"},
                                                   {"contentLength", bytes.size()}})
                    .at("results")
                    .as_object();
  HttpOptions upload;
  for (const auto& [name, value] : handle.at("fields").as_object())
    upload.parts.emplace_back(std::string(name), "", std::string(value.as_string()));
  upload.parts.emplace_back("file", "cv.pdf", bytes);
  ASSERT_EQ(http(std::string(handle.at("url").as_string()), upload).status, 204);
  auto uploaded =
      ok("candidate.uploadFile", {{"candidateId", candidate}, {"fileHandle", handle.at("handle")}})
          .at("results")
          .as_object();
  ASSERT_EQ(uploaded.at("fileHandles").as_array().size(), 1u);
  const auto& file = uploaded.at("fileHandles").at(0).as_object();
  EXPECT_NE(file.at("handle"), handle.at("handle")) << "a file handle is not the upload handle";
  // Shaped like the spec's example (file.info fileHandle): {handle: {type, fileId, ownerId}, ...}.
  json::object claims =
      json::parse(decode_base64(std::string(file.at("handle").as_string()))).as_object();
  EXPECT_EQ(claims.at("handle").at("type"), "CandidateFile");
  EXPECT_EQ(claims.at("handle").at("fileId"), file.at("id"));
  EXPECT_EQ(claims.at("handle").at("ownerId"), json::value(candidate));
  auto url = ok("file.info", {{"fileHandle", file.at("handle")}}).at("results").at("url");
  EXPECT_EQ(http(std::string(url.as_string())).body, bytes);
  expect_error("file.info", {{"fileHandle", handle.at("handle")}}, "file_not_found");
}

// The emulated Ashby keeps an upload that is a generated dataset file as its seed (issue 22 item
// 5): what file.info's URL serves is still the uploaded bytes, byte for byte, beside uploads that
// are not generated (one byte off a generated file, plain text), through both upload flows.
TEST_F(AshbyContract, EveryUploadIsDownloadedByteForByteWhetherTheDatasetGeneratedItOrNot) {
  std::string candidate(
      ok("candidate.create", {{"name", "Bytes"}}).at("results").at("id").as_string());
  SandboxFile generated;
  generated.size = 40'000;
  generated.content_seed = 12345;
  std::string one_byte_off = file_bytes(generated);
  one_byte_off[20'000] = static_cast<char>(one_byte_off[20'000] ^ 0x40);
  const std::vector<std::string> uploads{file_bytes(generated), one_byte_off,
                                         "plain text, not a generated file"};
  std::vector<std::string> downloaded;
  for (std::size_t i = 0; i < uploads.size(); ++i) {
    json::object results;
    if (i % 2 == 0) {  // the upload-handle flow
      auto handle = ok("file.createFileUploadHandle", {{"fileUploadContext", "CandidateFiles"},
                                                       {"filename", "f.pdf"},
                                                       {"contentType", "application/pdf"},
                                                       {"contentLength", uploads[i].size()}})
                        .at("results")
                        .as_object();
      HttpOptions upload;
      for (const auto& [name, value] : handle.at("fields").as_object())
        upload.parts.emplace_back(std::string(name), "", std::string(value.as_string()));
      upload.parts.emplace_back("file", "f.pdf", uploads[i]);
      ASSERT_EQ(http(std::string(handle.at("url").as_string()), upload).status, 204);
      results = ok("candidate.uploadFile",
                   {{"candidateId", candidate}, {"fileHandle", handle.at("handle")}})
                    .at("results")
                    .as_object();
    } else {  // the multipart form
      HttpOptions form;
      form.userpwd = sandbox_->credentials().ashby_api_key + ":";
      form.parts = {{"candidateId", "", candidate}, {"file", "f.pdf", uploads[i]}};
      auto multipart = http(sandbox_->endpoints().ashby_url + "/candidate.uploadFile", form);
      ASSERT_EQ(multipart.status, 200);
      results = multipart.json().at("results").as_object();
    }
    const auto& handles = results.at("fileHandles").as_array();
    ASSERT_EQ(handles.size(), i + 1);
    auto url =
        ok("file.info", {{"fileHandle", handles.at(i).at("handle")}}).at("results").at("url");
    downloaded.push_back(http(std::string(url.as_string())).body);
  }
  ASSERT_EQ(downloaded.size(), uploads.size());
  for (std::size_t i = 0; i < uploads.size(); ++i)
    EXPECT_TRUE(downloaded[i] == uploads[i]) << "upload " << i << " came back changed";
}

TEST_F(AshbyContract, NotesKeepPlainTextAndOnlyTheSupportedHtmlElements) {
  std::string candidate(
      ok("candidate.create", {{"name", "Noted"}}).at("results").at("id").as_string());
  std::string text = "First paragraph.\n\nSecond paragraph, line one\nline two & <more>";
  ok("candidate.createNote",
     {{"candidateId", candidate}, {"note", json::object{{"type", "text/plain"}, {"value", text}}}});
  // candidate.createNote: b, i, u, a, ul/ol/li, code, pre are kept; the rest is stripped.
  std::string html =
      "<p>Intro <b>bold</b> <strong>strong</strong></p><ul><li>one</li><li><i>two</i></li></ul>"
      "<div><pre><code>x</code></pre></div><script>alert(1)</script>";
  ok("candidate.createNote",
     {{"candidateId", candidate}, {"note", json::object{{"type", "text/html"}, {"value", html}}}});
  expect_error("candidate.createNote",
               {{"candidateId", candidate},
                {"note", json::object{{"type", "text/markdown"}, {"value", "x"}}}},
               "invalid_input");
  auto notes = ok("candidate.listNotes", {{"candidateId", candidate}}).at("results").as_array();
  ASSERT_EQ(notes.size(), 2u);
  std::set<std::string> contents;
  for (const auto& note : notes)
    contents.insert(std::string(note.at("content").as_string()));
  EXPECT_EQ(contents,
            (std::set<std::string>{
                "First paragraph.\n\nSecond paragraph, line one\nline two &amp; &lt;more&gt;",
                "Intro <b>bold</b> strong<ul><li>one</li><li><i>two</i></li></ul>"
                "<pre><code>x</code></pre>"}));
}

TEST(AshbyClosedJobs, ApplicationsOnAJobThatIsNotOpenFollowTheSeededSwitch) {
  for (bool accept : {true, false}) {
    Options options;
    options.persons = 5;
    options.rate_scale = 100;
    options.ashby_applications_on_closed_jobs = accept;
    Sandbox sandbox(options);
    sandbox.start();
    auto call = [&](const std::string& method, const json::object& body) {
      return test::ashby(sandbox.endpoints().ashby_url, sandbox.credentials().ashby_api_key, method,
                         body)
          .json()
          .as_object();
    };
    auto id_of = [](const json::object& out) {
      return std::string(out.at("results").at("id").as_string());
    };
    std::string team = id_of(call("department.create", {{"name", "Ops"}}));
    std::string location =
        id_of(call("location.create", {{"name", "Remote"}, {"type", "Location"}}));
    std::string plan(call("interviewPlan.list", {}).at("results").at(0).at("id").as_string());
    std::string job = id_of(call("job.create", {{"title", "Closed role"},
                                                {"teamId", team},
                                                {"locationId", location},
                                                {"defaultInterviewPlanId", plan}}));
    std::string candidate = id_of(call("candidate.create", {{"name", "Late"}}));
    auto apply = [&] {
      return call("application.create", {{"candidateId", candidate}, {"jobId", job}});
    };
    auto draft = apply();  // the new job is Draft
    EXPECT_EQ(draft.at("success").as_bool(), accept) << json::serialize(draft);
    call("job.setStatus", {{"jobId", job}, {"status", "Open"}});
    EXPECT_TRUE(apply().at("success").as_bool());
    call("job.setStatus", {{"jobId", job}, {"status", "Closed"}});
    auto closed = apply();
    EXPECT_EQ(closed.at("success").as_bool(), accept) << json::serialize(closed);
    if (!accept) {
      EXPECT_EQ(closed.at("errorInfo").at("code"), "invalid_input");
    }
  }
}

}  // namespace
}  // namespace atsm::sandbox
