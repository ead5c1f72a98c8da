#include "services/net/log.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "default_logger.hpp"
#include "test_support.hpp"

namespace atsm::net {
namespace {

using testing::restore_default_logger;

TEST(RedactorTest, ReplacesRegisteredValuesEverywhere) {
  Redactor::instance().add_secret("lever_key_7f3a9c");
  EXPECT_EQ(redact("GET /v1/x?key=lever_key_7f3a9c&again=lever_key_7f3a9c"),
            "GET /v1/x?key=[REDACTED]&again=[REDACTED]");
}

TEST(RedactorTest, IgnoresValuesShorterThanFourCharacters) {
  EXPECT_FALSE(Redactor::instance().add_secret("abc"));
  EXPECT_EQ(redact("abc abc"), "abc abc");
  EXPECT_TRUE(Redactor::instance().add_secret("wxyz"));
  EXPECT_EQ(redact("wxyz"), "[REDACTED]");
}

TEST(RedactorTest, LongerSecretContainingAShorterOneIsRedactedWhole) {
  Redactor::instance().add_secret("inner_secret");
  Redactor::instance().add_secret("outer_inner_secret_tail");
  EXPECT_EQ(redact("x outer_inner_secret_tail y inner_secret"), "x [REDACTED] y [REDACTED]");
}

TEST(RedactorTest, MasksAuthorizationHeadersAndSchemeTokens) {
  EXPECT_EQ(redact("Authorization: Basic dW5rbm93bjo="), "Authorization: [REDACTED]");
  EXPECT_EQ(redact("sent authorization=whatever here\nnext line"),
            "sent authorization=[REDACTED]\nnext line");
  EXPECT_EQ(redact("{\"Authorization\": \"Bearer eyJhbGciOi.abc.def\"}"),
            "{\"Authorization\": [REDACTED]");
  EXPECT_EQ(redact("token Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig rest"),
            "token Bearer [REDACTED] rest");
  EXPECT_EQ(redact("using basic dXNlcjpwYXNzd29yZA== now"), "using basic [REDACTED] now");
  // Ordinary prose is left alone.
  EXPECT_EQ(redact("basic info about bearer bonds"), "basic info about bearer bonds");
  EXPECT_EQ(redact("basics 1234567890abc"), "basics 1234567890abc");
  EXPECT_EQ(redact("xauthorization: not a header name"), "xauthorization: not a header name");
  EXPECT_EQ(redact("Proxy-Authorization: Basic abc"), "Proxy-Authorization: [REDACTED]");
}

// Issue 19's note: a vendor quoting the request back shows the key as Lever and Ashby send it
// (Basic base64("key:")), as Greenhouse's token call does (Basic base64("id:secret")), or as a
// bearer token; in JSON that escapes '/', or in a URL. Every form is redacted.
TEST(RedactorTest, EveryEncodingOfARegisteredSecretIsRedacted) {
  const std::string key = "lvr_8f2kQ9zX1mP4wT";
  Redactor::instance().add_secret(key);
  const std::string basic = testing::base64_reference(key + ":");
  EXPECT_EQ(redact_secrets("{\"sent\":\"" + basic + "\"}"), "{\"sent\":\"[REDACTED]\"}");
  EXPECT_EQ(redact("header was Basic " + basic + " (rejected)"),
            "header was Basic [REDACTED] (rejected)");
  EXPECT_EQ(redact_secrets("bare " + testing::base64_reference(key) + "."), "bare [REDACTED].");
  EXPECT_EQ(redact_secrets("url-safe " + testing::base64_reference(key + ":", true)),
            "url-safe [REDACTED]");
  // In a URL the token follows "%20": the run of base64 characters ("20" + token) goes whole.
  EXPECT_EQ(redact_secrets("Basic%20" + basic), "Basic%[REDACTED]");
  EXPECT_EQ(redact_secrets("Bearer " + key), "Bearer [REDACTED]");

  const std::string client_secret = "gh/Secret+value9Z";
  Redactor::instance().add_secret(client_secret);
  EXPECT_EQ(redact_secrets("pair " + testing::base64_reference("client-id-42:" + client_secret)),
            "pair [REDACTED]");
  EXPECT_EQ(redact_secrets("url ?s=gh%2FSecret%2Bvalue9Z&x=1"), "url ?s=[REDACTED]&x=1");
  EXPECT_EQ(redact_secrets(R"({"s":"gh\/Secret+value9Z"})"), R"({"s":"[REDACTED]"})");
}

// Data (a note, a read-back record) loses only the secrets, never prose that looks like a header.
TEST(RedactorTest, SecretsOnlyRedactionLeavesHeaderLikeProseAlone) {
  Redactor::instance().add_secret("ashby_key_Zq81xx");
  const std::string note = "Basic knowledge of Kubernetes; Bearer bonds; authorization: pending";
  EXPECT_EQ(redact_secrets(note), note);
  EXPECT_EQ(redact_secrets(note + " ashby_key_Zq81xx"), note + " [REDACTED]");
  EXPECT_EQ(redact_secrets("Ordinary words and ids 5f2c1e9a-77aa-4b1c-9d3e-0a1b2c3d4e5f stay"),
            "Ordinary words and ids 5f2c1e9a-77aa-4b1c-9d3e-0a1b2c3d4e5f stay");
}

TEST(RedactorTest, HandlesVeryLongLines) {
  const std::string body(2'000'000, 'a');
  EXPECT_EQ(redact("Authorization: " + body), "Authorization: [REDACTED]");
  EXPECT_EQ(redact("Bearer " + body + "\nnext"), "Bearer [REDACTED]\nnext");
  EXPECT_EQ(redact(body + " basic").size(), body.size() + 6);
}

TEST(RedactorTest, IsSafeToUseFromManyThreads) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        const std::string secret = "thread" + std::to_string(t) + "_secret_" + std::to_string(i);
        Redactor::instance().add_secret(secret);
        EXPECT_EQ(redact("[" + secret + "]"), "[[REDACTED]]");
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
}

TEST(LogTest, ParsesLevelsCaseInsensitively) {
  EXPECT_EQ(parse_level("trace"), spdlog::level::trace);
  EXPECT_EQ(parse_level("DEBUG"), spdlog::level::debug);
  EXPECT_EQ(parse_level("Info"), spdlog::level::info);
  EXPECT_EQ(parse_level("warning"), spdlog::level::warn);
  EXPECT_EQ(parse_level("error"), spdlog::level::err);
  EXPECT_EQ(parse_level("critical"), spdlog::level::critical);
  EXPECT_EQ(parse_level("off"), spdlog::level::off);
  try {
    parse_level("verbose");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("'verbose'"), std::string::npos);
  }
}

TEST(LogTest, EveryLineThroughTheDefaultLoggerIsRedacted) {
  std::ostringstream captured;
  auto logger = install_logger({std::make_shared<spdlog::sinks::ostream_sink_mt>(captured)},
                               spdlog::level::trace);
  Redactor::instance().add_secret("client_secret_55aa");
  spdlog::trace("oauth exchange with client_secret_55aa");
  spdlog::info("header Authorization: Bearer something_long_enough");
  spdlog::debug("level below threshold is {}", "kept");
  logger->flush();
  const std::string text = captured.str();
  EXPECT_EQ(text.find("client_secret_55aa"), std::string::npos) << text;
  EXPECT_EQ(text.find("something_long_enough"), std::string::npos) << text;
  EXPECT_NE(text.find("oauth exchange with [REDACTED]"), std::string::npos) << text;
  EXPECT_NE(text.find("level below threshold is kept"), std::string::npos) << text;
  restore_default_logger();
}

TEST(LogTest, LevelFromOptionsFiltersLines) {
  std::ostringstream captured;
  install_logger({std::make_shared<spdlog::sinks::ostream_sink_mt>(captured)}, parse_level("warn"));
  spdlog::info("quiet line");
  spdlog::warn("loud line");
  EXPECT_EQ(captured.str().find("quiet line"), std::string::npos);
  EXPECT_NE(captured.str().find("loud line"), std::string::npos);
  restore_default_logger();
}

TEST(LogTest, JsonFileIsPrivateAndHoldsOneRedactedObjectPerLine) {
  testing::TempDir dir;
  const auto path = dir.path() / "run.log.jsonl";
  {
    // A pre-existing world-readable file is tightened, not trusted.
    std::ofstream(path) << "";
    ::chmod(path.c_str(), 0644);
  }
  Redactor::instance().add_secret("json_file_secret_99");
  auto logger = setup_logging(LogOptions{"debug", path});
  spdlog::set_pattern("%v");  // a later pattern change must not turn the file into plain text
  spdlog::debug("first \"quoted\" line with json_file_secret_99");
  spdlog::error("second line\twith tab");
  logger->flush();

  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  std::ifstream in(path);
  std::vector<boost::json::object> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(boost::json::parse(line).as_object());
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("level").as_string(), "debug");
  EXPECT_EQ(lines[0].at("msg").as_string(), "first \"quoted\" line with [REDACTED]");
  EXPECT_EQ(lines[0].at("logger").as_string(), "atsm");
  EXPECT_EQ(lines[1].at("level").as_string(), "error");
  EXPECT_EQ(lines[1].at("msg").as_string(), "second line\twith tab");
  const std::string ts(lines[1].at("ts").as_string());
  EXPECT_EQ(ts.size(), std::string("2026-01-01T00:00:00.000Z").size()) << ts;
  EXPECT_EQ(ts.back(), 'Z');
  restore_default_logger();
}

TEST(LogTest, BadLevelOrUnwritableFileIsAnError) {
  EXPECT_THROW(setup_logging(LogOptions{"loud", std::nullopt}), std::invalid_argument);
  testing::TempDir dir;
  try {
    setup_logging(LogOptions{"info", dir.path() / "no-such-dir" / "x.jsonl"});
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("x.jsonl"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace atsm::net
