#include "services/net/secrets.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "services/net/log.hpp"
#include "test_support.hpp"

namespace atsm::net {
namespace {

using testing::TempDir;

std::filesystem::path write_file(const std::filesystem::path& path, const std::string& content,
                                 mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

std::string error_of(const std::filesystem::path& path) {
  try {
    SecretStore store(path);
  } catch (const SecretsError& error) {
    return error.what();
  }
  return {};
}

TEST(SecretStoreTest, ParsesNameValueLinesWithCommentsExportAndQuotes) {
  TempDir dir;
  const auto path = write_file(dir.path() / "credentials",
                               "# Lever production key\n"
                               "\n"
                               "LEVER_API_KEY=lev_abcdef123456\n"
                               "export ASHBY_API_KEY=\"ash key with spaces\"\n"
                               "  GH_CLIENT_SECRET = 'quoted=value#not-a-comment'  \n"
                               "EMPTY=\n"
                               "WINDOWS_LINE=crlf_value_1234\r\n",
                               0600);
  SecretStore store(path);
  EXPECT_EQ(store.get("LEVER_API_KEY"), "lev_abcdef123456");
  EXPECT_EQ(store.get("ASHBY_API_KEY"), "ash key with spaces");
  EXPECT_EQ(store.get("GH_CLIENT_SECRET"), "quoted=value#not-a-comment");
  EXPECT_EQ(store.get("EMPTY"), "");
  EXPECT_EQ(store.get("WINDOWS_LINE"), "crlf_value_1234");
  EXPECT_FALSE(store.get("ATSM_TEST_SURELY_UNSET_NAME").has_value());
}

TEST(SecretStoreTest, LoadedValuesAreRegisteredWithTheRedactor) {
  TempDir dir;
  const auto path =
      write_file(dir.path() / "credentials", "TOKEN=registered_secret_0042\nSHORT=abc\n", 0600);
  SecretStore store(path);
  EXPECT_EQ(redact("key is registered_secret_0042."), "key is [REDACTED].");
  EXPECT_EQ(redact("abc stays"), "abc stays");  // too short to register
}

TEST(SecretStoreTest, RefusesFileReadableByGroupOrOthers) {
  TempDir dir;
  const auto path = write_file(dir.path() / "credentials", "KEY=value_value\n", 0644);
  const std::string error = error_of(path);
  EXPECT_NE(error.find(path.string()), std::string::npos) << error;
  EXPECT_NE(error.find("readable by group or others (mode 0644); chmod 600 it"), std::string::npos)
      << error;

  write_file(path, "KEY=value_value\n", 0640);
  EXPECT_NE(error_of(path).find("(mode 0640)"), std::string::npos);
  write_file(path, "KEY=value_value\n", 0602);
  EXPECT_NE(error_of(path).find("accessible by group or others (mode 0602)"), std::string::npos);
}

TEST(SecretStoreTest, AcceptsOwnerOnlyModes) {
  TempDir dir;
  const auto path = write_file(dir.path() / "credentials", "KEY=value_value\n", 0400);
  EXPECT_EQ(SecretStore(path).get("KEY"), "value_value");
  write_file(path, "KEY=value_value\n", 0600);
  EXPECT_EQ(SecretStore(path).get("KEY"), "value_value");
}

TEST(SecretStoreTest, RefusesNonRegularAndMissingFiles) {
  TempDir dir;
  const auto sub = dir.path() / "a-directory";
  std::filesystem::create_directory(sub);
  ::chmod(sub.c_str(), 0700);
  EXPECT_NE(error_of(sub).find("is not a regular file"), std::string::npos);
  const auto missing = dir.path() / "missing";
  const std::string error = error_of(missing);
  EXPECT_NE(error.find("cannot open credentials file"), std::string::npos) << error;
  EXPECT_NE(error.find(missing.string()), std::string::npos) << error;
}

TEST(SecretStoreTest, MalformedLineNamesFileAndLineButNotTheValue) {
  TempDir dir;
  const auto path = write_file(dir.path() / "credentials",
                               "# comment\nGOOD=fine_value\nsk_live_pasted_without_a_name\n", 0600);
  const std::string error = error_of(path);
  EXPECT_NE(error.find(path.string()), std::string::npos) << error;
  EXPECT_NE(error.find("line 3"), std::string::npos) << error;
  EXPECT_EQ(error.find("sk_live_pasted"), std::string::npos) << error;

  write_file(path, "KEY=\"unterminated_secret_value\n", 0600);
  const std::string quote_error = error_of(path);
  EXPECT_NE(quote_error.find("line 1"), std::string::npos) << quote_error;
  EXPECT_NE(quote_error.find("unclosed quote"), std::string::npos) << quote_error;
  EXPECT_EQ(quote_error.find("unterminated_secret"), std::string::npos) << quote_error;

  write_file(path, "1BAD=secret_value_here\n", 0600);
  const std::string name_error = error_of(path);
  EXPECT_NE(name_error.find("line 1"), std::string::npos) << name_error;
  EXPECT_EQ(name_error.find("secret_value_here"), std::string::npos) << name_error;

  write_file(path, "KEY=one_value\n\nKEY=two_value\n", 0600);
  const std::string duplicate_error = error_of(path);
  EXPECT_NE(duplicate_error.find("line 3"), std::string::npos) << duplicate_error;
  EXPECT_NE(duplicate_error.find("already defined on line 1"), std::string::npos);
  EXPECT_EQ(duplicate_error.find("_value"), std::string::npos) << duplicate_error;
}

TEST(SecretStoreTest, FileTakesPrecedenceOverEnvironment) {
  TempDir dir;
  ::setenv("ATSM_NET_TEST_BOTH", "from_environment", 1);
  ::setenv("ATSM_NET_TEST_ENV_ONLY", "environment_only_secret", 1);
  const auto path = write_file(dir.path() / "credentials", "ATSM_NET_TEST_BOTH=from_file\n", 0600);
  SecretStore store(path);
  EXPECT_EQ(store.get("ATSM_NET_TEST_BOTH"), "from_file");
  EXPECT_EQ(store.get("ATSM_NET_TEST_ENV_ONLY"), "environment_only_secret");
  EXPECT_EQ(redact("environment_only_secret"), "[REDACTED]");

  SecretStore environment_only;
  EXPECT_EQ(environment_only.get("ATSM_NET_TEST_BOTH"), "from_environment");
  ::unsetenv("ATSM_NET_TEST_BOTH");
  ::unsetenv("ATSM_NET_TEST_ENV_ONLY");
}

}  // namespace
}  // namespace atsm::net
