// Lever contract: shapes from docs/vendors/lever.md, auth, pagination, confidentiality, 422 and
// 429.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <memory>
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

class LeverContract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Options options;
    options.seed = 21;
    options.persons = 60;
    options.rate_scale = 1000;  // the bucket never gets in the way here
    sandbox_ = new Sandbox(options);
    sandbox_->start();
    data_ = new Dataset(generate_dataset(21, 60));
  }
  static void TearDownTestSuite() {
    delete sandbox_;
    delete data_;
  }
  static HttpOptions key() {
    HttpOptions options;
    options.userpwd = sandbox_->credentials().lever_api_key + ":";
    return options;
  }
  static std::string url(const std::string& path) { return sandbox_->endpoints().lever_url + path; }
  static std::vector<json::object> walk(const std::string& path, int limit,
                                        const HttpOptions& auth) {
    std::vector<json::object> items;
    std::string separator = path.find('?') == std::string::npos ? "?" : "&";
    std::string next;
    for (int page = 0; page < 10000; ++page) {
      std::string target = path + separator + "limit=" + std::to_string(limit) +
                           (next.empty() ? "" : "&offset=" + next);
      auto response = http(url(target), auth);
      EXPECT_EQ(response.status, 200) << target << " " << response.body;
      if (response.status != 200)
        break;
      auto body = response.json().as_object();
      for (const auto& item : body.at("data").as_array())
        items.push_back(item.as_object());
      EXPECT_LE(static_cast<int>(body.at("data").as_array().size()), limit);
      if (!body.at("hasNext").as_bool()) {
        EXPECT_FALSE(body.contains("next")) << "the last page carries no next token";
        break;
      }
      next = std::string(body.at("next").as_string());
    }
    return items;
  }
  static inline Sandbox* sandbox_ = nullptr;
  static inline Dataset* data_ = nullptr;
};

TEST_F(LeverContract, RejectsMissingAndWrongKeys) {
  auto missing = http(url("/v1/opportunities"));
  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(missing.json().as_object().contains("code"));
  HttpOptions wrong;
  wrong.userpwd = "not-a-key:";
  EXPECT_EQ(http(url("/v1/opportunities"), wrong).status, 401);
  EXPECT_EQ(http(url("/v1/opportunities"), key()).status, 200);
}

TEST_F(LeverContract, OpportunityShapesFollowTheReference) {
  auto response =
      http(url("/v1/opportunities?limit=100&confidentiality=all&expand=stage&expand=owner,contact"),
           key());
  ASSERT_EQ(response.status, 200);
  auto body = response.json().as_object();
  ASSERT_TRUE(body.at("hasNext").is_bool());
  std::size_t never_updated = 0;
  for (const auto& item : body.at("data").as_array()) {
    const auto& opp = item.as_object();
    never_updated += opp.at("updatedAt").is_null() ? 1 : 0;
    EXPECT_TRUE(opp.at("id").is_string());
    EXPECT_TRUE(opp.at("contact").is_object()) << "expand=contact";
    EXPECT_TRUE(opp.at("contact").at("emails").is_array());
    EXPECT_TRUE(opp.at("stage").at("text").is_string()) << "expand=stage";
    EXPECT_TRUE(opp.at("emails").is_array());
    EXPECT_TRUE(opp.at("phones").is_array());
    EXPECT_TRUE(opp.at("stageChanges").is_array());
    for (const auto& change : opp.at("stageChanges").as_array()) {
      EXPECT_TRUE(change.at("toStageId").is_string());
      EXPECT_TRUE(change.at("updatedAt").is_int64());
    }
    EXPECT_TRUE(opp.at("archived").is_null() || opp.at("archived").at("archivedAt").is_int64());
    EXPECT_TRUE(opp.at("createdAt").is_int64() || opp.at("createdAt").is_string())
        << "one record is malformed on purpose";
    EXPECT_TRUE(opp.at("updatedAt").is_int64() || opp.at("updatedAt").is_null());
    std::string confidentiality(opp.at("confidentiality").as_string());
    EXPECT_TRUE(confidentiality == "confidential" || confidentiality == "non-confidential");
    EXPECT_TRUE(opp.at("applications").is_array());
  }
  // updatedAt is null on most real opportunities (issue 16 §4), and set on many others.
  EXPECT_GT(2 * never_updated, body.at("data").as_array().size());
  EXPECT_LT(never_updated, body.at("data").as_array().size());
  auto single = http(
      url("/v1/opportunities/" + std::string(body.at("data").as_array()[0].at("id").as_string())),
      key());
  ASSERT_EQ(single.status, 200);
  EXPECT_TRUE(single.json().at("data").at("contact").is_string()) << "not expanded by default";
  auto trimmed =
      http(url("/v1/opportunities?limit=3&include=stage&include=tags&expand=owner"), key()).json();
  for (const auto& item : trimmed.at("data").as_array()) {
    std::set<std::string> keys;
    for (const auto& [name, value] : item.as_object())
      keys.insert(std::string(name));
    EXPECT_EQ(keys, (std::set<std::string>{"id", "stage", "tags", "owner"}))
        << "include keeps only those, expand wins";
  }
  auto missing = http(url("/v1/opportunities/00000000-0000-4000-a000-000000000000"), key());
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json().at("code"), "ResourceNotFound");
}

TEST_F(LeverContract, PaginationWalksEveryRecordOnceAtEveryPageSize) {
  std::set<std::string> expected;
  for (const auto& opp : data_->lever.opportunities)
    if (!opp.deleted_at)
      expected.insert(opp.id);
  for (int limit : {1, 7, 100}) {
    auto items = walk("/v1/opportunities?confidentiality=all", limit, key());
    std::set<std::string> seen;
    for (const auto& item : items)
      EXPECT_TRUE(seen.insert(std::string(item.at("id").as_string())).second)
          << "duplicate at limit " << limit;
    EXPECT_EQ(seen, expected) << "limit " << limit;
  }
  EXPECT_EQ(walk("/v1/users?includeDeactivated=true", 7, key()).size(), data_->lever.users.size());
  EXPECT_EQ(http(url("/v1/opportunities?limit=101"), key()).status, 400);
  EXPECT_EQ(http(url("/v1/opportunities?limit=0"), key()).status, 400);
}

TEST_F(LeverContract, ForgedOrReplayedOffsetTokensAreRejected) {
  auto first = http(url("/v1/opportunities?limit=5"), key()).json().as_object();
  std::string next(first.at("next").as_string());
  auto forged =
      http(url("/v1/opportunities?limit=5&offset=%5B1%2C0%2C%22x%22%2C%22deadbeefdeadbeef%22%5D"),
           key());
  EXPECT_EQ(forged.status, 400);
  EXPECT_NE(forged.body.find("Invalid offset token"), std::string::npos);
  // A token only fits the query that issued it.
  EXPECT_EQ(http(url("/v1/opportunities?limit=5&archived=true&offset=" + next), key()).status, 400);
  // Clients that re-encode the token still work.
  std::string twice;
  for (char c : next)
    twice += c == '%' ? std::string("%25") : std::string(1, c);
  auto reencoded = http(url("/v1/opportunities?limit=5&offset=" + twice), key());
  EXPECT_EQ(reencoded.status, 200);
  EXPECT_EQ(reencoded.body, http(url("/v1/opportunities?limit=5&offset=" + next), key()).body);
}

TEST_F(LeverContract, ConfidentialRecordsNeedAccessAndAnExplicitAsk) {
  std::set<std::string> confidential;
  for (const auto& opp : data_->lever.opportunities)
    if (opp.confidential && !opp.deleted_at)
      confidential.insert(opp.id);
  ASSERT_FALSE(confidential.empty());
  for (const auto& item : walk("/v1/opportunities", 100, key()))
    EXPECT_FALSE(confidential.count(std::string(item.at("id").as_string())));
  HttpOptions restricted;
  restricted.userpwd = sandbox_->lever_restricted_key() + ":";
  EXPECT_EQ(http(url("/v1/opportunities?confidentiality=all"), restricted).status, 403);
  EXPECT_EQ(http(url("/v1/opportunities/" + *confidential.begin()), restricted).status, 403);
  EXPECT_EQ(http(url("/v1/opportunities/" + *confidential.begin()), key()).status, 200);
  EXPECT_EQ(http(url("/v1/opportunities"), restricted).status, 200);
}

TEST_F(LeverContract, FiltersSelectTheRightRecords) {
  std::int64_t start = 1500000000000, end = 1600000000000;
  auto items =
      walk("/v1/opportunities?confidentiality=all&updated_at_start=" + std::to_string(start) +
               "&updated_at_end=" + std::to_string(end),
           100, key());
  std::size_t expected = 0;
  for (const auto& opp : data_->lever.opportunities)
    if (!opp.deleted_at && opp.updated_at && *opp.updated_at >= start && *opp.updated_at <= end)
      ++expected;
  EXPECT_EQ(items.size(), expected);
  for (const auto& item : items)
    EXPECT_TRUE(item.at("updatedAt").is_int64());
  auto archived = walk("/v1/opportunities?confidentiality=all&archived=true", 100, key());
  for (const auto& item : archived)
    EXPECT_FALSE(item.at("archived").is_null());
  EXPECT_EQ(http(url("/v1/opportunities?created_at_start=yesterday"), key()).status, 400);
  auto deleted = walk("/v1/opportunities/deleted", 100, key());
  std::size_t deleted_expected = 0;
  for (const auto& opp : data_->lever.opportunities)
    deleted_expected += opp.deleted_at ? 1 : 0;
  EXPECT_EQ(deleted.size(), deleted_expected);
}

TEST_F(LeverContract, UnprocessedFilesAnswer422AndProcessedOnesServeTheirBytes) {
  bool saw_422 = false, saw_bytes = false;
  for (const auto& opp : data_->lever.opportunities) {
    if (opp.deleted_at || opp.confidential)
      continue;
    for (const auto& file : opp.files) {
      std::string kind = file.resume ? "resumes" : "files";
      auto response = http(
          url("/v1/opportunities/" + opp.id + "/" + kind + "/" + file.id + "/download"), key());
      if (file.status == "processed") {
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.body.size(), file.size);
        EXPECT_EQ(sha256_hex(response.body), sha256_hex(file_bytes(file)));
        saw_bytes = true;
      } else {
        EXPECT_EQ(response.status, 422);
        EXPECT_EQ(response.json().at("code"), "UnprocessableEntity");
        saw_422 = true;
      }
    }
    if (saw_422 && saw_bytes)
      break;
  }
  EXPECT_TRUE(saw_bytes);
}

TEST_F(LeverContract, SubResourcesListNotesFeedbackAndFiles) {
  for (const auto& opp : data_->lever.opportunities) {
    if (opp.deleted_at || opp.notes.empty() || opp.feedback.empty())
      continue;
    auto notes = http(url("/v1/opportunities/" + opp.id + "/notes?expand=user"), key()).json();
    EXPECT_EQ(notes.at("data").as_array().size(), opp.notes.size())
        << "soft-deleted notes are listed too";
    auto feedback = http(url("/v1/opportunities/" + opp.id + "/feedback"), key()).json();
    ASSERT_EQ(feedback.at("data").as_array().size(), opp.feedback.size());
    EXPECT_TRUE(feedback.at("data").as_array()[0].at("fields").is_array());
    return;
  }
  FAIL() << "no opportunity with notes and feedback";
}

// docs/vendors/lever.md §5 (feedback, notes, postings and users): spot
// checks of the fields a migration reads and their types.
bool int_or_null(const json::value& value) {
  return value.is_int64() || value.is_null();
}
bool string_or_null(const json::value& value) {
  return value.is_string() || value.is_null();
}

TEST_F(LeverContract, NoteShapesFollowTheReference) {
  int checked = 0;
  for (const auto& opp : data_->lever.opportunities) {
    if (opp.deleted_at || opp.notes.empty() || checked >= 5)
      continue;
    auto notes = http(url("/v1/opportunities/" + opp.id + "/notes"), key()).json();
    ASSERT_FALSE(notes.at("hasNext").as_bool());
    for (const auto& item : notes.at("data").as_array()) {
      const auto& note = item.as_object();
      EXPECT_TRUE(note.at("id").is_string());
      EXPECT_EQ(note.at("text"), "Note");
      EXPECT_TRUE(note.at("user").is_string());
      EXPECT_TRUE(note.at("secret").is_bool());
      EXPECT_TRUE(note.at("createdAt").is_int64());
      EXPECT_TRUE(int_or_null(note.at("completedAt")));
      EXPECT_TRUE(int_or_null(note.at("deletedAt"))) << "soft-deleted notes are listed";
      ASSERT_FALSE(note.at("fields").as_array().empty()) << "a note is a thread of comments";
      for (const auto& comment : note.at("fields").as_array()) {
        EXPECT_EQ(comment.at("type"), "note");
        EXPECT_EQ(comment.at("text"), "Comment");
        EXPECT_TRUE(comment.at("value").is_string());
        EXPECT_TRUE(comment.at("user").is_string());
        EXPECT_TRUE(comment.at("createdAt").is_int64());
        EXPECT_TRUE(string_or_null(comment.at("stage")));
        const auto& score = comment.at("score");
        EXPECT_TRUE(score.is_null() || (score.as_int64() >= 1 && score.as_int64() <= 4));
      }
    }
    // The generator's notes, by id, with their secret flag and deletion.
    std::map<std::string, const json::object*> by_id;
    for (const auto& item : notes.at("data").as_array())
      by_id[std::string(item.at("id").as_string())] = &item.as_object();
    for (const auto& note : opp.notes) {
      ASSERT_TRUE(by_id.count(note.id)) << note.id;
      EXPECT_EQ(by_id[note.id]->at("secret").as_bool(), note.secret);
      EXPECT_EQ(by_id[note.id]->at("deletedAt").is_null(), !note.deleted_at.has_value());
      EXPECT_EQ(by_id[note.id]->at("fields").as_array()[0].at("value").as_string(),
                note.comments[0].value);
    }
    auto expanded = http(url("/v1/opportunities/" + opp.id + "/notes?expand=user"), key()).json();
    const auto& author = expanded.at("data").as_array()[0].at("user");
    EXPECT_TRUE(author.is_object()) << "expand=user";
    if (author.is_object()) {
      EXPECT_TRUE(author.at("id").is_string());
      EXPECT_TRUE(author.at("email").is_string());
    }
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

TEST_F(LeverContract, FeedbackShapesFollowTheReference) {
  std::set<std::string> types_seen;
  int forms = 0;
  for (const auto& opp : data_->lever.opportunities) {
    if (opp.deleted_at || opp.feedback.empty())
      continue;
    auto feedback = http(url("/v1/opportunities/" + opp.id + "/feedback"), key()).json();
    for (const auto& item : feedback.at("data").as_array()) {
      const auto& form = item.as_object();
      ++forms;
      EXPECT_TRUE(form.at("id").is_string());
      std::string type(form.at("type").as_string());
      EXPECT_TRUE(type == "interview" || type == "assignment" || type == "share") << type;
      EXPECT_TRUE(form.at("text").is_string());
      EXPECT_TRUE(form.at("baseTemplateId").is_string());
      EXPECT_TRUE(form.at("user").is_string());
      EXPECT_TRUE(string_or_null(form.at("interview")));
      EXPECT_TRUE(form.at("createdAt").is_int64());
      EXPECT_TRUE(int_or_null(form.at("updatedAt")));
      EXPECT_TRUE(int_or_null(form.at("completedAt")));
      EXPECT_TRUE(int_or_null(form.at("deletedAt")));
      int overall = 0;
      for (const auto& entry : form.at("fields").as_array()) {
        const auto& field = entry.as_object();
        EXPECT_TRUE(field.at("id").is_string());
        EXPECT_TRUE(field.at("text").is_string());
        EXPECT_TRUE(field.at("required").is_bool());
        ASSERT_TRUE(field.contains("value"));
        std::string field_type(field.at("type").as_string());
        types_seen.insert(field_type);
        const auto& value = field.at("value");
        if (field_type == "score-system") {
          ++overall;
          EXPECT_FALSE(field.at("options").as_array().empty());
          for (const auto& option : field.at("options").as_array())
            EXPECT_TRUE(option.at("text").is_string());
          EXPECT_TRUE(string_or_null(value));
        } else if (field_type == "dropdown") {
          for (const auto& option : field.at("options").as_array())
            EXPECT_TRUE(option.at("text").is_string());
          EXPECT_TRUE(string_or_null(value));
        } else if (field_type == "scorecard") {
          EXPECT_TRUE(field.at("scores").is_array());
          ASSERT_TRUE(value.is_array());
          EXPECT_EQ(value.as_array().size(), field.at("scores").as_array().size());
          for (const auto& score : value.as_array()) {
            EXPECT_TRUE(int_or_null(score.at("score")));
            EXPECT_TRUE(string_or_null(score.at("comment")));
          }
        } else if (field_type == "yes-no") {
          EXPECT_TRUE(value.is_null() || value == "yes" || value == "no");
        } else if (field_type == "score") {
          EXPECT_TRUE(value.is_null() || value.is_string() ||
                      (value.as_int64() >= 1 && value.as_int64() <= 4));
        } else if (field_type == "text" || field_type == "textarea") {
          EXPECT_TRUE(string_or_null(value));
        }
      }
      EXPECT_LE(overall, 1) << "at most one overall rating per form";
    }
    if (forms > 40)
      break;
  }
  EXPECT_GT(forms, 10);
  for (const char* type : {"score-system", "scorecard", "yes-no", "dropdown", "textarea"})
    EXPECT_TRUE(types_seen.count(type)) << type;
}

TEST_F(LeverContract, PostingShapesFollowTheReference) {
  auto postings = walk("/v1/postings?confidentiality=all", 100, key());
  ASSERT_EQ(postings.size(), data_->lever.postings.size());
  std::map<std::string, const LeverPosting*> by_id;
  for (const auto& posting : data_->lever.postings)
    by_id[posting.id] = &posting;
  for (const auto& posting : postings) {
    std::string id(posting.at("id").as_string());
    ASSERT_TRUE(by_id.count(id)) << id;
    EXPECT_EQ(posting.at("text").as_string(), by_id[id]->text);
    std::string state(posting.at("state").as_string());
    EXPECT_TRUE(state == "published" || state == "internal" || state == "closed" ||
                state == "draft" || state == "pending" || state == "rejected")
        << state;
    EXPECT_EQ(state, by_id[id]->state);
    EXPECT_TRUE(posting.at("createdAt").is_int64());
    EXPECT_TRUE(posting.at("updatedAt").is_int64());
    EXPECT_TRUE(posting.at("distributionChannels").is_array());
    EXPECT_EQ(posting.at("confidentiality"),
              by_id[id]->confidential ? "confidential" : "non-confidential");
    EXPECT_TRUE(string_or_null(posting.at("user")));
    EXPECT_TRUE(string_or_null(posting.at("owner")));
    EXPECT_TRUE(string_or_null(posting.at("hiringManager")));
    const auto& categories = posting.at("categories").as_object();
    for (const char* key : {"team", "department", "location", "commitment"})
      EXPECT_TRUE(string_or_null(categories.at(key))) << key;
    EXPECT_TRUE(categories.at("allLocations").is_array());
    EXPECT_TRUE(posting.at("tags").is_array());
    EXPECT_TRUE(posting.at("followers").is_array());
    EXPECT_TRUE(posting.at("content").is_object());
    EXPECT_TRUE(posting.at("urls").is_object() || posting.at("urls").is_null());
  }
  std::size_t open = 0;
  for (const auto& posting : data_->lever.postings)
    open += posting.confidential ? 0 : 1;
  EXPECT_EQ(walk("/v1/postings", 7, key()).size(), open) << "non-confidential by default";
}

TEST_F(LeverContract, UserShapesFollowTheReference) {
  auto users = walk("/v1/users?includeDeactivated=true", 100, key());
  ASSERT_EQ(users.size(), data_->lever.users.size());
  std::map<std::string, const LeverUser*> by_id;
  for (const auto& user : data_->lever.users)
    by_id[user.id] = &user;
  for (const auto& user : users) {
    std::string id(user.at("id").as_string());
    ASSERT_TRUE(by_id.count(id)) << id;
    EXPECT_EQ(user.at("name").as_string(), by_id[id]->name);
    EXPECT_EQ(user.at("email").as_string(), by_id[id]->email);
    EXPECT_TRUE(user.at("username").is_string());
    EXPECT_TRUE(user.at("createdAt").is_int64());
    EXPECT_TRUE(user.at("accessRole").is_string());
    EXPECT_EQ(user.at("deactivatedAt").is_null(), !by_id[id]->deactivated_at.has_value());
    for (const char* key :
         {"photo", "externalDirectoryId", "linkedContactIds", "jobTitle", "managerId"})
      EXPECT_TRUE(user.contains(key)) << key;
  }
  std::size_t active = 0;
  for (const auto& user : data_->lever.users)
    active += user.deactivated_at ? 0 : 1;
  EXPECT_EQ(walk("/v1/users", 100, key()).size(), active) << "active users only by default";
}

TEST_F(LeverContract, OAuthTokensWorkRotateAndAreRefused) {
  HttpOptions grant;
  grant.content_type = "application/x-www-form-urlencoded";
  grant.body = "grant_type=authorization_code&client_id=sandbox&client_secret=" +
               sandbox_->credentials().lever_api_key +
               "&code=sandbox-authorization-code&redirect_uri=http://localhost/cb";
  auto token = http(url("/oauth/token"), grant);
  ASSERT_EQ(token.status, 200) << token.body;
  auto body = token.json().as_object();
  EXPECT_EQ(body.at("token_type"), "Bearer");
  HttpOptions bearer;
  bearer.bearer = std::string(body.at("access_token").as_string());
  EXPECT_EQ(http(url("/v1/stages"), bearer).status, 200);
  HttpOptions refresh;
  refresh.content_type = "application/x-www-form-urlencoded";
  refresh.body = "grant_type=refresh_token&client_id=sandbox&client_secret=" +
                 sandbox_->credentials().lever_api_key +
                 "&refresh_token=" + std::string(body.at("refresh_token").as_string());
  EXPECT_EQ(http(url("/oauth/token"), refresh).status, 200);
  EXPECT_EQ(http(url("/oauth/token"), refresh).status, 403) << "a rotated refresh token is dead";
  bearer.bearer = "forged";
  EXPECT_EQ(http(url("/v1/stages"), bearer).status, 401);
}

// docs/vendors/lever.md §1: access tokens last 1 h ("expires_in":3600); a refresh grant gives a
// new access token and a new refresh token. On a clock scaled 3600x the hour is one second.
TEST(LeverOAuth, AnExpiredTokenIsRefusedAndARefreshedOneWorks) {
  Options options;
  options.persons = 5;
  options.rate_scale = 3600;
  Sandbox sandbox(options);
  sandbox.start();
  const std::string base = sandbox.endpoints().lever_url;
  const std::string secret = sandbox.credentials().lever_api_key;
  auto token_request = [&](const std::string& grant) {
    HttpOptions form;
    form.content_type = "application/x-www-form-urlencoded";
    form.body = grant + "&client_id=sandbox&client_secret=" + secret;
    return http(base + "/oauth/token", form);
  };
  auto granted = token_request(
      "grant_type=authorization_code&code=sandbox-authorization-code&redirect_uri=http://"
      "localhost/cb");
  ASSERT_EQ(granted.status, 200) << granted.body;
  auto first = granted.json().as_object();
  EXPECT_EQ(first.at("expires_in").as_int64(), 1) << "3600 s on a clock 3600x faster";
  HttpOptions bearer;
  bearer.bearer = std::string(first.at("access_token").as_string());
  EXPECT_EQ(http(base + "/v1/stages", bearer).status, 200) << "fresh token";
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  auto expired = http(base + "/v1/stages", bearer);
  EXPECT_EQ(expired.status, 401) << "expired token";
  EXPECT_TRUE(expired.json().at("code").is_string())
      << "Lever's error body (docs/vendors/lever.md §4)";
  EXPECT_TRUE(expired.json().at("message").is_string());

  auto refreshed = token_request("grant_type=refresh_token&refresh_token=" +
                                 std::string(first.at("refresh_token").as_string()));
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  auto second = refreshed.json().as_object();
  EXPECT_NE(second.at("access_token"), first.at("access_token"));
  EXPECT_NE(second.at("refresh_token"), first.at("refresh_token")) << "refresh tokens rotate";
  HttpOptions renewed;
  renewed.bearer = std::string(second.at("access_token").as_string());
  EXPECT_EQ(http(base + "/v1/stages", renewed).status, 200) << "the refreshed token works";
  EXPECT_EQ(http(base + "/v1/stages", bearer).status, 401) << "the expired one stays refused";
}

TEST(LeverOAuth, TokensLastAnHourByDefault) {
  Options options;
  options.persons = 5;
  Sandbox sandbox(options);
  sandbox.start();
  HttpOptions form;
  form.content_type = "application/x-www-form-urlencoded";
  form.body =
      "grant_type=authorization_code&code=sandbox-authorization-code&client_id=sandbox&"
      "client_secret=" +
      sandbox.credentials().lever_api_key;
  auto granted = http(sandbox.endpoints().lever_url + "/oauth/token", form);
  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(granted.json().at("expires_in").as_int64(), 3600);
}

TEST(LeverRateLimit, TokenBucketAllowsBurstOf20ThenRefillsAtTenPerSecondScaled) {
  Options options;
  options.persons = 5;
  options.rate_scale = 2;  // 20 tokens/s refill on the scaled clock
  Sandbox sandbox(options);
  sandbox.start();
  HttpOptions auth;
  auth.userpwd = sandbox.credentials().lever_api_key + ":";
  int ok = 0, limited = 0;
  std::string retry_after;
  auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < 60; ++i) {
    auto response = http(sandbox.endpoints().lever_url + "/v1/stages", auth);
    if (response.status == 200)
      ++ok;
    if (response.status == 429) {
      ++limited;
      retry_after = response.header("retry-after");
      EXPECT_EQ(response.json().at("code"), "TooManyRequests");
    }
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  EXPECT_GE(ok, 20) << "the burst";
  EXPECT_LE(ok, 20 + static_cast<int>(elapsed * 20.0) + 2) << "refill at 10/s x rate_scale";
  EXPECT_GT(limited, 0);
  EXPECT_FALSE(retry_after.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(http(sandbox.endpoints().lever_url + "/v1/stages", auth).status, 200)
      << "tokens come back";
  auto stats = http(sandbox.endpoints().lever_url + "/_sandbox/stats").json().as_object();
  EXPECT_EQ(stats.at("served_429").as_int64(), limited);
  EXPECT_EQ(stats.at("requests").at("GET /v1/stages").as_int64(), 61);
}

TEST(LeverMutate, ChangesRecordsTheirTimesAndTheTruth) {
  Options options;
  options.persons = 40;
  options.rate_scale = 1000;
  Sandbox sandbox(options);
  sandbox.start();
  auto truth_before = http(sandbox.endpoints().ashby_url + "/_sandbox/truth?source=lever")
                          .json()
                          .at("counts")
                          .as_object();
  HttpOptions mutate;
  mutate.body = R"({"count": 6})";
  auto response = http(sandbox.endpoints().lever_url + "/_sandbox/mutate", mutate);
  ASSERT_EQ(response.status, 200) << response.body;
  auto changed = response.json().at("changed").as_array();
  ASSERT_EQ(changed.size(), 6u);
  std::set<std::string> kinds;
  for (const auto& change : changed)
    kinds.insert(std::string(change.at("kind").as_string()));
  EXPECT_EQ(kinds, (std::set<std::string>{"stage_move", "new_note", "new_feedback", "new_file",
                                          "new_candidacy", "new_person"}));
  auto truth_after = http(sandbox.endpoints().ashby_url + "/_sandbox/truth?source=lever")
                         .json()
                         .at("counts")
                         .as_object();
  EXPECT_EQ(truth_after.at("application").as_int64(),
            truth_before.at("application").as_int64() + 2);
  EXPECT_EQ(truth_after.at("candidate").as_int64(), truth_before.at("candidate").as_int64() + 1);
  EXPECT_EQ(truth_after.at("feedback").as_int64(), truth_before.at("feedback").as_int64() + 1);
  HttpOptions auth;
  auth.userpwd = sandbox.credentials().lever_api_key + ":";
  std::int64_t recent = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() -
                        60000;
  auto updated =
      http(sandbox.endpoints().lever_url +
               "/v1/opportunities?confidentiality=all&updated_at_start=" + std::to_string(recent),
           auth)
          .json();
  EXPECT_GE(updated.at("data").as_array().size(), 3u) << "mutated records show in a delta read";
}

// ---- the opportunity list's order, tokens and the stage-move control (issue 16 §1, §4) ----------

class LeverOrder : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.seed = 33;
    options.persons = 50;
    options.rate_scale = 1000;
    sandbox = std::make_unique<Sandbox>(options);
    sandbox->start();
    data = generate_dataset(33, 50);
    auth.userpwd = sandbox->credentials().lever_api_key + ":";
  }
  std::string url(const std::string& path) const { return sandbox->endpoints().lever_url + path; }
  test::HttpResponse control(const std::string& path, const std::string& body) const {
    HttpOptions options;
    options.body = body;
    return http(url(path), options);
  }
  static std::string percent_decode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%' && i + 2 < text.size()) {
        out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += text[i];
      }
    }
    return out;
  }
  // The pipeline position of each stage, from the dataset (stages are listed in pipeline order).
  std::map<std::string, std::size_t> stage_position() const {
    std::map<std::string, std::size_t> position;
    for (std::size_t i = 0; i < data.lever.stages.size(); ++i)
      position[data.lever.stages[i].id] = i;
    return position;
  }

  std::unique_ptr<Sandbox> sandbox;
  Dataset data;
  HttpOptions auth;
};

// Recorded real pages: stage rank ascending, lastAdvancedAt descending, id ascending; `next` is
// the URL-encoded JSON [rank, lastAdvancedAt, id] of the next page's first item.
TEST_F(LeverOrder, OpportunitiesAreOrderedByStageRankThenLastAdvancedAtDescendingThenId) {
  auto position = stage_position();
  std::string next;
  std::vector<json::object> all;
  for (int page = 0; page < 1000; ++page) {
    auto response = http(url("/v1/opportunities?confidentiality=all&limit=7" +
                             (next.empty() ? "" : "&offset=" + next)),
                         auth);
    ASSERT_EQ(response.status, 200) << response.body;
    auto body = response.json().as_object();
    const auto& items = body.at("data").as_array();
    if (!next.empty()) {
      json::array token = json::parse(percent_decode(next)).as_array();
      ASSERT_GE(token.size(), 3u) << next;
      EXPECT_TRUE(token[0].is_number()) << "the rank";
      EXPECT_EQ(token[1], items.at(0).at("lastAdvancedAt")) << "the first item's lastAdvancedAt";
      EXPECT_EQ(token[2], items.at(0).at("id")) << "the first item's id";
    }
    for (const auto& item : items)
      all.push_back(item.as_object());
    if (!body.at("hasNext").as_bool())
      break;
    next = std::string(body.at("next").as_string());
  }
  std::size_t live = 0;
  for (const auto& opp : data.lever.opportunities)
    live += opp.deleted_at ? 0 : 1;
  ASSERT_EQ(all.size(), live);
  for (std::size_t i = 1; i < all.size(); ++i) {
    const json::object &a = all[i - 1], &b = all[i];
    std::size_t stage_a = position.at(std::string(a.at("stage").as_string()));
    std::size_t stage_b = position.at(std::string(b.at("stage").as_string()));
    EXPECT_LE(stage_a, stage_b) << "stage rank ascending at " << i;
    if (stage_a != stage_b)
      continue;
    std::int64_t advanced_a = a.at("lastAdvancedAt").as_int64();
    std::int64_t advanced_b = b.at("lastAdvancedAt").as_int64();
    EXPECT_GE(advanced_a, advanced_b) << "lastAdvancedAt descending at " << i;
    if (advanced_a == advanced_b) {
      EXPECT_LT(a.at("id").as_string(), b.at("id").as_string()) << "id ascending at " << i;
    }
  }
}

// The control moves opportunities to earlier and later stages; a token walk then loses the ones
// moved to an earlier stage behind it, exactly the loss the issue saw on real Lever.
TEST_F(LeverOrder, StageMovesDuringATokenWalkHideOpportunitiesAndAreFoundByAdvancedAt) {
  std::int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto armed = control("/_sandbox/lever/move_stages", R"({"per_list_call": 3})");
  ASSERT_EQ(armed.status, 200) << armed.body;
  std::set<std::string> seen;
  std::string next;
  for (int page = 0; page < 1000; ++page) {
    auto response = http(url("/v1/opportunities?confidentiality=all&limit=5" +
                             (next.empty() ? "" : "&offset=" + next)),
                         auth);
    ASSERT_EQ(response.status, 200) << response.body;
    auto body = response.json().as_object();
    for (const auto& item : body.at("data").as_array())
      seen.insert(std::string(item.at("id").as_string()));
    if (!body.at("hasNext").as_bool())
      break;
    next = std::string(body.at("next").as_string());
  }
  ASSERT_EQ(control("/_sandbox/lever/move_stages", R"({"per_list_call": 0})").status, 200);
  std::set<std::string> live;
  for (const auto& opp : data.lever.opportunities)
    if (!opp.deleted_at)
      live.insert(opp.id);
  std::vector<std::string> missed;
  std::set_difference(live.begin(), live.end(), seen.begin(), seen.end(),
                      std::back_inserter(missed));
  EXPECT_FALSE(missed.empty()) << "moves to earlier stages hide opportunities from a token walk";

  // Every move changed lastAdvancedAt (and not updatedAt): advanced_at_start finds them all.
  auto moved =
      http(url("/v1/opportunities?confidentiality=all&advanced_at_start=" + std::to_string(before)),
           auth)
          .json()
          .as_object();
  std::set<std::string> advanced;
  for (const auto& item : moved.at("data").as_array()) {
    advanced.insert(std::string(item.at("id").as_string()));
    EXPECT_GE(item.at("lastAdvancedAt").as_int64(), before);
  }
  for (const std::string& id : missed)
    EXPECT_TRUE(advanced.count(id)) << id << " was hidden by a move that advanced_at misses";
}

TEST_F(LeverOrder, AMoveChangesStageAndHistoryButNotUpdatedAt) {
  auto response = control("/_sandbox/lever/move_stages", R"({"count": 6})");
  ASSERT_EQ(response.status, 200) << response.body;
  auto moved = response.json().at("moved").as_array();
  ASSERT_EQ(moved.size(), 6u);
  auto position = stage_position();
  std::set<std::string> directions;
  for (const auto& move : moved) {
    std::string id(move.at("opportunity").as_string());
    directions.insert(std::string(move.at("direction").as_string()));
    const LeverOpportunity* original = nullptr;
    for (const auto& opp : data.lever.opportunities)
      original = opp.id == id ? &opp : original;
    ASSERT_NE(original, nullptr);
    auto now = http(url("/v1/opportunities/" + id), auth).json().at("data").as_object();
    EXPECT_EQ(now.at("stage"), move.at("to_stage"));
    std::size_t from = position.at(original->stage_id),
                to = position.at(std::string(now.at("stage").as_string()));
    EXPECT_EQ(to < from, move.at("direction") == "earlier") << id;
    EXPECT_EQ(now.at("stageChanges").as_array().size(), original->stage_changes.size() + 1) << id;
    EXPECT_GT(now.at("lastAdvancedAt").as_int64(), original->stage_changes.back().at) << id;
    EXPECT_EQ(now.at("updatedAt"),
              original->updated_at ? json::value(*original->updated_at) : json::value(nullptr))
        << id;
  }
  EXPECT_EQ(directions, (std::set<std::string>{"earlier", "later"}));
}

TEST_F(LeverOrder, StaleTokensAreRefusedWithTheConfiguredStatus) {
  auto first = http(url("/v1/opportunities?limit=5"), auth).json().as_object();
  std::string next(first.at("next").as_string());
  EXPECT_EQ(http(url("/v1/opportunities?limit=5&offset=" + next), auth).status, 200);
  ASSERT_EQ(control("/_sandbox/lever/offset_tokens", R"({"expire": true})").status, 200);
  auto stale = http(url("/v1/opportunities?limit=5&offset=" + next), auth);
  EXPECT_EQ(stale.status, 400);
  EXPECT_NE(stale.body.find("Invalid offset token"), std::string::npos);
  ASSERT_EQ(control("/_sandbox/lever/offset_tokens", R"({"status": 409})").status, 200);
  auto other = http(url("/v1/opportunities?limit=5&offset=" + next), auth);
  EXPECT_EQ(other.status, 409);
  EXPECT_NE(other.body.find("Invalid offset token"), std::string::npos);
  // A fresh token works; with stale_when_anchor_moved it stops working once its anchor moves.
  ASSERT_EQ(control("/_sandbox/lever/offset_tokens",
                    R"({"status": 400, "stale_when_anchor_moved": true})")
                .status,
            200);
  // A token whose anchor is an applicant (leads never move): the sandbox ranks its two lead
  // stages 130.5 and 230.5.
  std::string token, anchor;
  for (std::string offset;;) {
    auto page = http(url("/v1/opportunities?confidentiality=all&limit=5" +
                         (offset.empty() ? "" : "&offset=" + offset)),
                     auth)
                    .json()
                    .as_object();
    ASSERT_TRUE(page.at("hasNext").as_bool()) << "no applicant anchors a token";
    offset = std::string(page.at("next").as_string());
    json::array position = json::parse(percent_decode(offset)).as_array();
    if (position.at(0).to_number<double>() > 231) {
      token = offset;
      anchor = std::string(position.at(2).as_string());
      break;
    }
  }
  EXPECT_EQ(http(url("/v1/opportunities?confidentiality=all&limit=5&offset=" + token), auth).status,
            200);
  bool anchor_moved = false;
  for (int i = 0; i < 500 && !anchor_moved; ++i) {
    auto moved = control("/_sandbox/lever/move_stages", R"({"count": 1})").json().at("moved");
    for (const auto& move : moved.as_array())
      anchor_moved = anchor_moved || move.at("opportunity").as_string() == anchor;
  }
  ASSERT_TRUE(anchor_moved);
  auto refused = http(url("/v1/opportunities?confidentiality=all&limit=5&offset=" + token), auth);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("Invalid offset token"), std::string::npos);
}

}  // namespace
}  // namespace atsm::sandbox
