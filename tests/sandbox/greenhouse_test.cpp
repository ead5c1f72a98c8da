// Greenhouse Harvest v3 contract (docs/vendors/greenhouse.md): client-credentials tokens, Link
// next-only cursors, per_page <= 500, 30-s window headers, expiring signed attachment URLs.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "http_client.hpp"
#include "sandbox/dataset.hpp"
#include "sandbox/sandbox.hpp"

namespace atsm::sandbox {
namespace {

namespace json = boost::json;
using test::http;
using test::HttpOptions;

std::string fetch_token(const Sandbox& sandbox) {
  HttpOptions options;
  options.userpwd = sandbox.credentials().greenhouse_client_id + ":" +
                    sandbox.credentials().greenhouse_client_secret;
  options.content_type = "application/x-www-form-urlencoded";
  options.body = "grant_type=client_credentials";
  auto response = http(sandbox.endpoints().greenhouse_url + "/token", options);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(response.json().as_object().contains("expires_at"));
  return std::string(response.json().at("access_token").as_string());
}

// Follows Link rel="next" until it is gone; returns every item.
std::vector<json::object> walk(const std::string& first_url, const std::string& token,
                               std::size_t* pages = nullptr) {
  std::vector<json::object> items;
  std::string target = first_url;
  HttpOptions auth;
  auth.bearer = token;
  for (int page = 0; page < 100000 && !target.empty(); ++page) {
    auto response = http(target, auth);
    EXPECT_EQ(response.status, 200) << target << " " << response.body;
    if (response.status != 200)
      break;
    auto body = response.json();
    for (const auto& item : body.as_array())
      items.push_back(item.as_object());
    if (pages)
      ++*pages;
    std::string link = response.header("link");
    target.clear();
    if (!link.empty()) {
      EXPECT_NE(link.find("rel=\"next\""), std::string::npos);
      EXPECT_EQ(link.find("rel=\"prev\""), std::string::npos);
      target = link.substr(1, link.find('>') - 1);
    }
  }
  return items;
}

class GreenhouseContract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Options options;
    options.seed = 31;
    options.persons = 60;
    options.rate_scale = 1000;
    sandbox_ = new Sandbox(options);
    sandbox_->start();
    data_ = new Dataset(generate_dataset(31, 60));
    token_ = new std::string(fetch_token(*sandbox_));
  }
  static void TearDownTestSuite() {
    delete sandbox_;
    delete data_;
    delete token_;
  }
  static std::string url(const std::string& path) {
    return sandbox_->endpoints().greenhouse_url + path;
  }
  static inline Sandbox* sandbox_ = nullptr;
  static inline Dataset* data_ = nullptr;
  static inline std::string* token_ = nullptr;
};

TEST_F(GreenhouseContract, TokenEndpointRefusesBadClientsAndGrants) {
  HttpOptions bad;
  bad.userpwd = sandbox_->credentials().greenhouse_client_id + ":wrong";
  bad.content_type = "application/x-www-form-urlencoded";
  bad.body = "grant_type=client_credentials";
  auto response = http(url("/token"), bad);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.json().at("error"), "invalid_client");
  bad.userpwd = sandbox_->credentials().greenhouse_client_id + ":" +
                sandbox_->credentials().greenhouse_client_secret;
  bad.body = "grant_type=password";
  EXPECT_EQ(http(url("/token"), bad).status, 400);
  auto unauthenticated = http(url("/v3/candidates"));
  EXPECT_EQ(unauthenticated.status, 401);
  EXPECT_TRUE(unauthenticated.header("x-ratelimit-limit").empty())
      << "a v3 401 has no rate headers";
  EXPECT_EQ(http(url("/v3/no_such_thing")).status, 404) << "routing before auth";
}

TEST_F(GreenhouseContract, CursorPaginationWalksEveryRecordOnceInIdDescendingOrder) {
  for (int per_page : {1, 7, 500}) {
    std::size_t pages = 0;
    auto items = walk(url("/v3/candidates?per_page=" + std::to_string(per_page)), *token_, &pages);
    std::set<std::int64_t> ids;
    std::int64_t previous = INT64_MAX;
    for (const auto& item : items) {
      std::int64_t id = item.at("id").as_int64();
      EXPECT_TRUE(ids.insert(id).second) << "duplicate at per_page " << per_page;
      EXPECT_LT(id, previous) << "id descending";
      previous = id;
    }
    EXPECT_EQ(ids.size(), data_->greenhouse.candidates.size()) << "per_page " << per_page;
    EXPECT_EQ(pages, (ids.size() + static_cast<std::size_t>(per_page) - 1) /
                         static_cast<std::size_t>(per_page));
  }
  auto applications = walk(url("/v3/applications?per_page=7"), *token_);
  EXPECT_EQ(applications.size(), data_->greenhouse.applications.size());
  bool prospect_without_job = false;
  for (const auto& app : applications)
    prospect_without_job =
        prospect_without_job || (app.at("prospect").as_bool() && app.at("job_id").is_null());
  EXPECT_TRUE(prospect_without_job);
}

// docs/vendors/greenhouse.md §6: answer rows carry only `scorecard_question_id` (the text is in
// /v3/scorecard_questions), attribute rows only `job_candidate_attribute_id` (names in
// /v3/job_candidate_attributes), and attribute ratings use definitely_not, never strong_no.
TEST_F(GreenhouseContract, ScorecardChildrenNameTheirQuestionsAndAttributesByIdOnly) {
  std::map<std::int64_t, std::string> questions, attributes;
  for (const auto& row : walk(url("/v3/scorecard_questions?per_page=500"), *token_))
    questions[row.at("id").as_int64()] = std::string(row.at("question").as_string());
  for (const auto& row : walk(url("/v3/job_candidate_attributes?per_page=500"), *token_))
    attributes[row.at("id").as_int64()] = std::string(row.at("name").as_string());
  std::multiset<std::string> served_questions, expected_questions;
  for (const auto& row : walk(url("/v3/scorecard_question_answers?per_page=500"), *token_)) {
    EXPECT_FALSE(row.contains("question")) << json::serialize(row);
    served_questions.insert(questions.at(row.at("scorecard_question_id").as_int64()));
  }
  std::set<std::string> ratings;
  std::multiset<std::string> served_attributes, expected_attributes;
  for (const auto& row : walk(url("/v3/scorecard_candidate_attributes?per_page=500"), *token_)) {
    EXPECT_FALSE(row.contains("name")) << json::serialize(row);
    served_attributes.insert(attributes.at(row.at("job_candidate_attribute_id").as_int64()));
    ratings.insert(std::string(row.at("candidate_attribute_rating").as_string()));
  }
  for (const auto& card : data_->greenhouse.scorecards) {
    for (const auto& answer : card.answers)
      expected_questions.insert(answer.question);
    for (const auto& attribute : card.attributes)
      expected_attributes.insert(attribute.name);
  }
  EXPECT_EQ(served_questions, expected_questions);
  EXPECT_EQ(served_attributes, expected_attributes);
  const std::set<std::string> reference{"definitely_not", "no",    "yes",
                                        "strong_yes",     "mixed", "no_decision"};
  EXPECT_TRUE(ratings.count("definitely_not"));
  for (const auto& rating : ratings)
    EXPECT_TRUE(reference.count(rating)) << rating;
}

TEST_F(GreenhouseContract, ReferrersAndRejectionDetailsAreServed) {
  auto referrers = walk(url("/v3/referrers"), *token_);
  ASSERT_EQ(referrers.size(), data_->greenhouse.referrers.size());
  bool user = false, outsider = false;
  for (const auto& row : referrers) {
    EXPECT_TRUE(row.at("name").is_string());
    (row.at("user_id").is_null() ? outsider : user) = true;
  }
  EXPECT_TRUE(user && outsider);
  std::set<std::int64_t> rejected;
  for (const auto& app : data_->greenhouse.applications)
    if (app.status == "rejected")
      rejected.insert(app.id);
  auto details = walk(url("/v3/rejection_details?per_page=50"), *token_);
  std::set<std::int64_t> detailed;
  bool with_note = false;
  for (const auto& row : details) {
    detailed.insert(row.at("application_id").as_int64());
    with_note = with_note || !row.at("rejection_note_id").is_null();
  }
  EXPECT_EQ(detailed, rejected);
  EXPECT_TRUE(with_note);
}

TEST_F(GreenhouseContract, InvalidPagingRequestsAnswer422) {
  HttpOptions auth;
  auth.bearer = *token_;
  auto too_big = http(url("/v3/candidates?per_page=501"), auth);
  EXPECT_EQ(too_big.status, 422);
  EXPECT_NE(too_big.body.find("greater than: 500"), std::string::npos);
  auto first = http(url("/v3/candidates?per_page=2"), auth);
  std::string link = first.header("link");
  std::string next = link.substr(1, link.find('>') - 1);
  EXPECT_EQ(http(next + "&per_page=2", auth).status, 422)
      << "a cursor request may carry no other parameter";
  EXPECT_EQ(http(url("/v3/candidates?cursor=Zm9yZ2Vk"), auth).status, 422);
  EXPECT_EQ(
      http(
          url("/v3/"
              "candidates?created_at=gte|2020-01-01T00:00:00Z&updated_at=gte|2020-01-01T00:00:00Z"),
          auth)
          .status,
      422);
}

TEST_F(GreenhouseContract, FiltersByParentIdsAndDates) {
  const auto& app = data_->greenhouse.applications.front();
  auto stages =
      walk(url("/v3/application_stages?application_ids=" + std::to_string(app.id)), *token_);
  EXPECT_EQ(stages.size(), app.stages.size());
  auto recent = walk(url("/v3/candidates?updated_at=gte|2020-01-01T00:00:00Z"), *token_);
  std::size_t expected = 0;
  for (const auto& c : data_->greenhouse.candidates)
    expected += c.updated_at >= 1577836800000 ? 1 : 0;
  EXPECT_EQ(recent.size(), expected);
}

TEST(GreenhouseRateLimit, FixedWindowWithHeadersThen429AndRetryAfter) {
  Options options;
  options.persons = 5;
  Sandbox sandbox(options);
  sandbox.start();
  HttpOptions auth;
  auth.bearer = fetch_token(sandbox);
  int limit = -1, ok = 0;
  test::HttpResponse last;
  for (int i = 0; i < 80; ++i) {
    last = http(sandbox.endpoints().greenhouse_url + "/v3/users", auth);
    if (limit < 0)
      limit = std::stoi(last.header("x-ratelimit-limit"));
    EXPECT_FALSE(last.header("x-ratelimit-reset").empty());
    if (last.status == 200)
      ++ok;
  }
  EXPECT_EQ(ok, limit)
      << "exactly the window's limit passes (no window rolls over within a 30-s test)";
  EXPECT_EQ(last.status, 429);
  EXPECT_EQ(last.header("x-ratelimit-remaining"), "0");
  EXPECT_GE(std::stoi(last.header("retry-after")), 1);
}

TEST(GreenhouseAttachments, SignedUrlsServeBytesThenExpireWith403) {
  Options options;
  options.persons = 20;
  options.attachment_url_ttl_s = 2;
  options.rate_scale = 1;
  Sandbox sandbox(options);
  sandbox.start();
  Dataset data = generate_dataset(options.seed, options.persons);
  auto items =
      walk(sandbox.endpoints().greenhouse_url + "/v3/attachments?per_page=1", fetch_token(sandbox));
  ASSERT_FALSE(items.empty());
  std::string signed_url(items.back().at("url").as_string());
  auto fresh = http(signed_url);
  ASSERT_EQ(fresh.status, 200);
  std::int64_t id = items.back().at("id").as_int64();
  for (const auto& attachment : data.greenhouse.attachments)
    if (attachment.file.id == std::to_string(id)) {
      EXPECT_EQ(sha256_hex(fresh.body), sha256_hex(file_bytes(attachment.file)));
    }
  auto tampered = http(signed_url.substr(0, signed_url.size() - 2) + "00");
  EXPECT_EQ(tampered.status, 403);
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  auto expired = http(signed_url);
  EXPECT_EQ(expired.status, 403);
  EXPECT_NE(expired.body.find("<Code>AccessDenied</Code>"), std::string::npos);
  EXPECT_NE(expired.body.find("expired"), std::string::npos);
}

TEST(GreenhouseTokens, ExpiredBearerTokensAreRefused) {
  Options options;
  options.persons = 5;
  options.token_ttl_s = 2;
  Sandbox sandbox(options);
  sandbox.start();
  HttpOptions auth;
  auth.bearer = fetch_token(sandbox);
  EXPECT_EQ(http(sandbox.endpoints().greenhouse_url + "/v3/users", auth).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  EXPECT_EQ(http(sandbox.endpoints().greenhouse_url + "/v3/users", auth).status, 401);
}

TEST(GreenhouseMutate, AddsRecordsVisibleInListsAndTruth) {
  Options options;
  options.persons = 30;
  options.rate_scale = 1000;
  Sandbox sandbox(options);
  sandbox.start();
  std::string token = fetch_token(sandbox);
  auto before =
      walk(sandbox.endpoints().greenhouse_url + "/v3/applications?per_page=500", token).size();
  HttpOptions mutate;
  mutate.body = R"({"count": 6})";
  auto response = http(sandbox.endpoints().greenhouse_url + "/_sandbox/mutate", mutate);
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.json().at("changed").as_array().size(), 6u);
  EXPECT_EQ(
      walk(sandbox.endpoints().greenhouse_url + "/v3/applications?per_page=500", token).size(),
      before + 2);
}

}  // namespace
}  // namespace atsm::sandbox

namespace atsm::sandbox {
namespace {

TEST(GreenhouseTokens, ANonAdminActingUserGets403OnLists) {
  Options options;
  options.persons = 5;
  Sandbox sandbox(options);
  sandbox.start();
  Dataset data = generate_dataset(options.seed, options.persons);
  std::int64_t admin = 0, member = 0;
  for (const auto& user : data.greenhouse.users) {
    if (user.deactivated)
      continue;
    (user.site_admin ? admin : member) = user.id;
  }
  auto token_for = [&](std::int64_t sub) {
    HttpOptions options;
    options.userpwd = sandbox.credentials().greenhouse_client_id + ":" +
                      sandbox.credentials().greenhouse_client_secret;
    options.content_type = "application/x-www-form-urlencoded";
    options.body = "grant_type=client_credentials&sub=" + std::to_string(sub);
    return std::string(http(sandbox.endpoints().greenhouse_url + "/token", options)
                           .json()
                           .at("access_token")
                           .as_string());
  };
  HttpOptions auth;
  auth.bearer = token_for(member);
  EXPECT_EQ(http(sandbox.endpoints().greenhouse_url + "/v3/candidates", auth).status, 403);
  auth.bearer = token_for(admin);
  EXPECT_EQ(http(sandbox.endpoints().greenhouse_url + "/v3/candidates", auth).status, 200);
}

}  // namespace
}  // namespace atsm::sandbox
