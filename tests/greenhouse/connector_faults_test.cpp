// The Greenhouse plugin through the ABI against a sandbox that fails on purpose: rate limits,
// server errors, expired or dead attachment URLs, refused filters, killed and resumed reads.
// Expected values come from the sandbox's own dataset, never from the plugin.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include <atsmigrate/model/codec.hpp>
#include <atsmigrate/model/email.hpp>
#include <atsmigrate/model/time.hpp>
#include "greenhouse_harness.hpp"

namespace atsm::greenhouse::testing {
namespace {

// ---- failures the connector survives ----------------------------------------------------------

TEST(GreenhouseFaults, RateLimitsServerErrorsResetsAndTruncationStillYieldEveryRecordOnce) {
  sandbox::Options options = sandbox_options();
  auto& faults = options.faults[static_cast<std::size_t>(sandbox::Vendor::greenhouse)];
  faults.rate_limit = 0.1;  // of ~70 requests (downloads included): some 429s for sure
  faults.server_error = 0.05;
  faults.reset = 0.03;
  faults.truncate = 0.03;
  options.token_ttl_s = 30;  // 1 s after the rate scale: tokens are renewed during the run
  Harness harness(options);
  json::object config = harness.config();
  config["per_page"] = 25;
  auto instance = harness.open(config);
  const auto& gh = dataset();
  EXPECT_EQ(by_key<model::Person>(harness.read(*instance, "person"), malformed_email).size(),
            gh.candidates.size());
  EXPECT_EQ(by_key<model::Candidacy>(harness.read(*instance, "candidacy")).size(),
            gh.applications.size());
  auto files = by_key<model::File>(harness.read(*instance, "file"));
  EXPECT_EQ(files.size(), gh.attachments.size());
  json::object stats = harness.stats();
  EXPECT_GT(stats.at("served_429").as_int64(), 0) << json::serialize(stats);
  EXPECT_GT(harness.requests("POST /token"), 1) << "the 1-s token was renewed";
}

// A loopback front for the Greenhouse API that misbehaves on purpose: it breaks the signature of
// attachment URLs in listings (as an expired URL would be), and may refuse parent filters.
struct FrontBehaviour {
  bool break_listed_urls = false;      // in listings that do not ask by id
  bool break_refreshed_urls = false;   // in `ids=` re-reads too
  bool refuse_parent_filters = false;  // 422 for application_ids= / scorecard_ids=
};

class GreenhouseFront {
 public:
  GreenhouseFront(int upstream_port, FrontBehaviour behaviour)
      : upstream_port_(upstream_port), behaviour_(behaviour) {
    server_.Get(R"(/v3/.*)", [this](const httplib::Request& request, httplib::Response& response) {
      const std::string& target = request.target;
      if (behaviour_.refuse_parent_filters &&
          (target.find("application_ids=") != std::string::npos ||
           target.find("scorecard_ids=") != std::string::npos)) {
        response.status = 422;
        response.set_content(R"({"message":"Unprocessable Content","errors":["unknown filter"]})",
                             "application/json");
        return;
      }
      httplib::Client upstream("127.0.0.1", upstream_port_);
      httplib::Headers headers{{"Authorization", request.get_header_value("Authorization")}};
      auto answer = upstream.Get(target.c_str(), headers);
      if (!answer) {
        response.status = 502;
        return;
      }
      response.status = answer->status;
      std::string body = answer->body;
      bool by_id = target.find("ids=") != std::string::npos;
      if (request.path == "/v3/attachments" && answer->status == 200 &&
          (by_id ? behaviour_.break_refreshed_urls : behaviour_.break_listed_urls)) {
        json::value rows = json::parse(body);
        for (json::value& row : rows.as_array()) {
          std::string url(row.as_object().at("url").as_string());
          row.as_object()["url"] =
              url.substr(0, url.find("X-Amz-Signature=")) + "X-Amz-Signature=0000";
        }
        body = json::serialize(rows);
      }
      for (const auto& [name, value] : answer->headers) {
        if (name == "Link") {
          std::string upstream_base = "http://127.0.0.1:" + std::to_string(upstream_port_);
          std::string link = value;
          link.replace(link.find(upstream_base), upstream_base.size(), url());
          response.set_header(name, link);
        } else if (name.rfind("X-RateLimit", 0) == 0 || name == "Retry-After") {
          response.set_header(name, value);
        }
      }
      response.set_content(body, "application/json");
    });
    // One request per connection, so stopping never waits for an idle keep-alive client.
    server_.set_keep_alive_max_count(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~GreenhouseFront() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int upstream_port_;
  FrontBehaviour behaviour_;
  int port_ = 0;
  std::thread thread_;
};

TEST(GreenhouseAttachments, AnExpiredUrlIsRenewedByOneFreshReadOfTheAttachments) {
  Harness harness(sandbox_options());
  GreenhouseFront front(harness.box().endpoints().greenhouse_port, {.break_listed_urls = true});
  json::object config = harness.config(front.url());
  config["per_page"] = 40;
  auto instance = harness.open(config);
  auto files = by_key<model::File>(harness.read(*instance, "file"));
  const auto& gh = dataset();
  ASSERT_EQ(files.size(), gh.attachments.size());
  for (const auto& attachment : gh.attachments) {
    const model::File& mapped = files.at(key("attachment", std::stoll(attachment.file.id)));
    EXPECT_FALSE(mapped.skipped_reason.has_value()) << *mapped.skipped_reason;
    EXPECT_EQ(mapped.sha256, sandbox::sha256_hex(sandbox::file_bytes(attachment.file)));
  }
  // One re-read serves up to 50 expired URLs: far fewer calls than files.
  std::int64_t rereads = harness.requests("GET /v3/attachments") -
                         static_cast<std::int64_t>(gh.attachments.size() / 40 + 1);
  EXPECT_GT(rereads, 0);
  EXPECT_LE(rereads, static_cast<std::int64_t>(gh.attachments.size() / 40 + 2) * 2);
}

// "Not now" is not "never": a URL the file host keeps refusing, fresh reads included, is a file
// that failed, not one that was skipped. The read emits it with the file host's answer in
// `fetch_failure`, ends ATSM_RETRY (never OK with files missing), and its last checkpoint names
// exactly those files: a read from that checkpoint, once the host serves again, fetches them
// with one read by id each and walks nothing else.
TEST(GreenhouseAttachments, AUrlThatStaysDeadIsAFailedFileThatALaterReadFetches) {
  // The file host's own refusal (S3's 403 AccessDenied) is what this test reads: direct URLs,
  // since a broken redirect URL is refused by Greenhouse, not by the file host.
  sandbox::Options options = sandbox_options();
  options.greenhouse_redirect_attachments = false;
  Harness harness(options);
  const auto& gh = dataset();
  std::map<std::string, model::File> emitted;
  std::string checkpoint;
  {
    GreenhouseFront front(harness.box().endpoints().greenhouse_port,
                          {.break_listed_urls = true, .break_refreshed_urls = true});
    auto instance = harness.open(harness.config(front.url()));
    try {
      instance->read("file", "",
                     [&](const std::string&, json::array& records, const std::string& next) {
                       for (const json::value& record : records) {
                         model::File file = std::get<model::File>(model::record_from_json(record));
                         emitted.insert_or_assign(file.source_key, file);
                       }
                       checkpoint = next;
                     });
      ADD_FAILURE() << "a read with files it could not fetch must not end OK";
    } catch (const Error& error) {
      EXPECT_EQ(error.status(), ATSM_RETRY) << error.what();
      EXPECT_NE(std::string(error.what()).find("a re-run fetches exactly them"), std::string::npos)
          << error.what();
    }
  }
  ASSERT_EQ(emitted.size(), gh.attachments.size());
  for (const auto& [source_key, file] : emitted) {
    EXPECT_FALSE(file.skipped_reason.has_value()) << source_key << ": " << *file.skipped_reason;
    ASSERT_TRUE(file.fetch_failure.has_value()) << source_key;
    EXPECT_NE(file.fetch_failure->find("HTTP 403"), std::string::npos) << *file.fetch_failure;
    EXPECT_NE(file.fetch_failure->find("AccessDenied"), std::string::npos) << *file.fetch_failure;
    EXPECT_NE(file.fetch_failure->find("fresh URL"), std::string::npos) << *file.fetch_failure;
    EXPECT_FALSE(file.sha256.has_value());
  }
  json::object position = json::parse(checkpoint).as_object();
  ASSERT_TRUE(position.contains("retry")) << checkpoint;
  EXPECT_EQ(position.at("retry").as_array().size(), gh.attachments.size()) << checkpoint;

  std::int64_t lists_before = harness.requests("GET /v3/attachments");
  auto instance = harness.open(harness.config());  // the file host serves again
  auto files = by_key<model::File>(harness.read(*instance, "file", checkpoint));
  ASSERT_EQ(files.size(), gh.attachments.size());
  for (const auto& attachment : gh.attachments) {
    const model::File& mapped = files.at(key("attachment", std::stoll(attachment.file.id)));
    EXPECT_FALSE(mapped.fetch_failure.has_value()) << *mapped.fetch_failure;
    EXPECT_EQ(mapped.sha256, sandbox::sha256_hex(sandbox::file_bytes(attachment.file)));
  }
  EXPECT_EQ(harness.requests("GET /v3/attachments") - lists_before,
            static_cast<std::int64_t>(gh.attachments.size()))
      << "one read by id per owed file, and no walk of the list";
}

// URLs that live a short while (here 300 ms) are read again, 50 at a time, once past half their
// life and right before their downloads, so none is used expired (one that still is, in the
// latency's slow tail, is read again and fetched): every file arrives with its bytes and none is
// reported as failed.
TEST(GreenhouseAttachments, ShortLivedUrlsAreReadAgainRightBeforeTheirDownloads) {
  sandbox::Options options = sandbox_options();
  options.attachment_url_ttl_s = 9;  // 300 ms after the rate scale
  options.latency_ms = 600;          // 20 ms a request: a page of downloads outlives its URLs
  Harness harness(options);
  json::object config = harness.config();
  config["per_page"] = 100;
  auto instance = harness.open(config);
  auto files = by_key<model::File>(harness.read(*instance, "file"));
  const auto& gh = dataset();
  ASSERT_EQ(files.size(), gh.attachments.size());
  for (const auto& attachment : gh.attachments) {
    const model::File& mapped = files.at(key("attachment", std::stoll(attachment.file.id)));
    EXPECT_FALSE(mapped.fetch_failure.has_value()) << *mapped.fetch_failure;
    EXPECT_FALSE(mapped.skipped_reason.has_value()) << *mapped.skipped_reason;
    EXPECT_EQ(mapped.sha256, sandbox::sha256_hex(sandbox::file_bytes(attachment.file)));
  }
  EXPECT_GT(harness.requests("GET /v3/attachments"), 1) << "the URLs were read again";
}

// The signed URLs point at the file host, not the API: downloads run several at a time, and the
// files still arrive in the list's order (a checkpoint inside a page names the last id done), the
// same order and bytes as one download at a time. The sandbox counts the requests it served at
// once.
TEST(GreenhouseAttachments, DownloadsRunSeveralAtATimeAndFilesArriveInTheListsOrder) {
  sandbox::Options options = sandbox_options();
  options.latency_ms = 600;  // 20 ms a request after the rate scale: downloads overlap if they can
  auto read_files = [&](std::int64_t downloads_in_flight) {
    Harness harness(options);
    json::object config = harness.config();
    config["per_page"] = 30;
    config["downloads_in_flight"] = downloads_in_flight;
    auto instance = harness.open(config);
    std::vector<std::pair<std::string, std::string>> files;  // (source key, sha256), as emitted
    for (const model::Record& record : harness.read(*instance, "file")) {
      const auto& file = std::get<model::File>(record);
      files.emplace_back(file.source_key, file.sha256.value_or(""));
    }
    return std::make_pair(files, harness.stats().at("peak_in_flight").as_int64());
  };
  auto [one_at_a_time, sequential_peak] = read_files(1);
  auto [several, parallel_peak] = read_files(8);
  const auto& gh = dataset();
  ASSERT_EQ(one_at_a_time.size(), gh.attachments.size());
  for (const auto& attachment : gh.attachments) {
    std::string source_key = key("attachment", std::stoll(attachment.file.id));
    std::string sha = sandbox::sha256_hex(sandbox::file_bytes(attachment.file));
    EXPECT_NE(std::find(several.begin(), several.end(), std::make_pair(source_key, sha)),
              several.end())
        << source_key;
  }
  EXPECT_EQ(several, one_at_a_time);
  EXPECT_EQ(sequential_peak, 1);
  EXPECT_GT(parallel_peak, 1);
}

TEST(GreenhouseChildren, ARefusedParentFilterFallsBackToOneWholeListRead) {
  Harness harness(sandbox_options());
  GreenhouseFront front(harness.box().endpoints().greenhouse_port, {.refuse_parent_filters = true});
  json::object config = harness.config(front.url());
  config["per_page"] = 20;
  auto instance = harness.open(config);
  const auto& gh = dataset();
  auto candidacies = by_key<model::Candidacy>(harness.read(*instance, "candidacy"));
  ASSERT_EQ(candidacies.size(), gh.applications.size());
  for (const auto& app : gh.applications)
    EXPECT_EQ(candidacies.at(key("application", app.id)).stage_history.size(), app.stages.size());
  auto interviews = by_key<model::Interview>(harness.read(*instance, "interview"));
  for (const auto& interview : gh.interviews)
    EXPECT_EQ(interviews.at(key("interview", interview.id)).interviewers.size(),
              interview.interviewer_ids.size());
  // Each child list was read whole once (one page of 20 at a time), not once per page.
  std::size_t stage_rows = 0;
  for (const auto& app : gh.applications)
    stage_rows += app.stages.size();
  EXPECT_EQ(harness.requests("GET /v3/application_stages"),
            static_cast<std::int64_t>((stage_rows + 19) / 20));
  EXPECT_NE(harness.log_text().find("reading all of /v3/application_stages once"),
            std::string::npos);
}

// Whether v3 ignores or refuses a filter a list does not define, and whether attachment URLs
// redirect, is not known (docs/vendors/greenhouse.md §3, §7): under each combination the read is
// the same, with no field or panel member repeated and every file downloaded.
TEST(GreenhouseSwitches, EveryCombinationReadsTheSameFeedbackPanelsAndFiles) {
  const auto& gh = dataset();
  for (bool refuse : {false, true})
    for (bool redirect : {false, true}) {
      SCOPED_TRACE(std::string(refuse ? "refused" : "ignored") + " unknown filters, " +
                   (redirect ? "redirecting" : "direct") + " URLs");
      sandbox::Options options = sandbox_options();
      options.greenhouse_refuse_unknown_filters = refuse;
      options.greenhouse_redirect_attachments = redirect;
      Harness harness(options);
      auto instance = harness.open(harness.config());
      auto feedback = by_key<model::Feedback>(harness.read(*instance, "feedback"));
      for (const auto& card : gh.scorecards)
        if (card.status == "complete") {
          EXPECT_EQ(
              feedback.at(key("scorecard", card.id)).fields.size(),
              card.attributes.size() + card.answers.size() + (card.public_notes.empty() ? 0 : 1));
        }
      auto interviews = by_key<model::Interview>(harness.read(*instance, "interview"));
      for (const auto& interview : gh.interviews)
        EXPECT_EQ(interviews.at(key("interview", interview.id)).interviewers.size(),
                  interview.interviewer_ids.size());
      expect_prospect_details(by_key<model::Candidacy>(harness.read(*instance, "candidacy")));
      auto files = by_key<model::File>(harness.read(*instance, "file"));
      ASSERT_EQ(files.size(), gh.attachments.size());
      for (const auto& attachment : gh.attachments) {
        const model::File& mapped = files.at(key("attachment", std::stoll(attachment.file.id)));
        EXPECT_EQ(mapped.person_key, key("candidate", attachment.candidate_id));
        EXPECT_EQ(mapped.sha256, sandbox::sha256_hex(sandbox::file_bytes(attachment.file)));
      }
      EXPECT_EQ(harness.requests("GET /v3/scorecard_question_answers"), 1)
          << "read whole once, not per batch of scorecards";
    }
}

// ---- checkpoints -----------------------------------------------------------------------------

// Reads `kind` in small pages, is "killed" after `batches` committed batches, then resumes from
// the last checkpoint in a fresh instance: together the two runs hold every record once.
void expect_resume_after_kill(const std::string& kind, std::size_t expected, int batches) {
  Harness harness(sandbox_options());
  json::object config = harness.config();
  config["per_page"] = 7;
  std::vector<model::Record> committed;
  std::string checkpoint;
  {
    auto instance = harness.open(config);
    int seen = 0;
    try {
      instance->read(kind, "",
                     [&](const std::string&, json::array& records, const std::string& next) {
                       if (++seen > batches)
                         throw std::runtime_error("killed");
                       for (const json::value& record : records)
                         committed.push_back(model::record_from_json(record));
                       checkpoint = next;
                     });
      FAIL() << "the read should have been stopped";
    } catch (const std::exception& error) {
      EXPECT_NE(std::string(error.what()).find("killed"), std::string::npos) << error.what();
    }
  }
  ASSERT_FALSE(checkpoint.empty());
  auto resumed = harness.open(config);
  std::vector<model::Record> rest = harness.read(*resumed, kind, checkpoint);
  EXPECT_FALSE(rest.empty());
  committed.insert(committed.end(), rest.begin(), rest.end());
  std::set<std::string> keys;
  for (const model::Record& record : committed)
    EXPECT_TRUE(keys.insert(model::envelope(record).source_key).second)
        << "emitted twice: " << model::envelope(record).source_key;
  EXPECT_EQ(keys.size(), expected);
}

TEST(GreenhouseResume, ACandidateListResumesAfterItsLastCommittedPage) {
  expect_resume_after_kill("person", dataset().candidates.size(), 2);
}

TEST(GreenhouseResume, AttachmentDownloadsResumeAfterTheLastCommittedBatch) {
  expect_resume_after_kill("file", dataset().attachments.size(), 3);
}

TEST(GreenhouseResume, AnExpiredCursorRestartsTheListAndSkipsWhatWasDone) {
  Harness harness(sandbox_options());
  json::object config = harness.config();
  config["per_page"] = 7;
  std::vector<model::Record> first;
  std::string checkpoint;
  {
    auto instance = harness.open(config);
    try {
      instance->read("candidacy", "",
                     [&](const std::string&, json::array& records, const std::string& next) {
                       if (!checkpoint.empty())
                         throw std::runtime_error("killed");
                       for (const json::value& record : records)
                         first.push_back(model::record_from_json(record));
                       checkpoint = next;
                     });
    } catch (const std::exception&) {
    }
  }
  // A cursor the server no longer accepts (its MAC no longer matches).
  json::object position = json::parse(checkpoint).as_object();
  std::string page(position.at("page").as_string());
  position["page"] = page.substr(0, page.find("cursor=") + 7) + "expired0";
  auto resumed = harness.open(config);
  std::vector<model::Record> rest = harness.read(*resumed, "candidacy", json::serialize(position));
  std::set<std::string> keys;
  for (const auto* part : {&first, &rest})
    for (const model::Record& record : *part)
      EXPECT_TRUE(keys.insert(model::envelope(record).source_key).second);
  EXPECT_EQ(keys.size(), dataset().applications.size());
  EXPECT_NE(harness.log_text().find("restarting the list"), std::string::npos);
}

TEST(GreenhouseResume, ACheckpointPageOutsideTheConfiguredApiIsNeverFollowed) {
  Harness harness(sandbox_options());
  json::object config = harness.config();
  config["per_page"] = 7;
  std::string elsewhere = json::serialize(
      json::object{{"page", "http://127.0.0.1:1/v3/candidates?cursor=abc"}, {"last_id", 0}});
  auto instance = harness.open(config);
  auto persons =
      by_key<model::Person>(harness.read(*instance, "person", elsewhere), malformed_email);
  EXPECT_EQ(persons.size(), dataset().candidates.size());
  EXPECT_NE(harness.log_text().find("names a page outside"), std::string::npos);
}

}  // namespace
}  // namespace atsm::greenhouse::testing
