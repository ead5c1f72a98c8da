#include "pipeline/accounts.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <fstream>

#include "pipeline/session.hpp"
#include "services/store/sha256.hpp"

namespace atsm::pipeline {
namespace {

namespace json = boost::json;

std::filesystem::path accounts_file(const std::filesystem::path& work_dir) {
  return work_dir / "accounts.json";
}

std::string text_at(const json::object& object, const char* key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

}  // namespace

std::string AccountIdentity::describe() const {
  return fmt::format("{} with key fingerprint {}",
                     base_url.empty() ? "the default address" : base_url,
                     key_fingerprint.empty() ? "(no key)" : key_fingerprint);
}

AccountIdentity account_of(const host::LoadedPlugin& plugin, const json::object& config,
                           const net::SecretStore& secrets) {
  AccountIdentity identity;
  if (const json::value* given = config.if_contains("base_url"); given && given->is_string())
    identity.base_url = std::string(given->as_string());
  for (const host::ConfigKey& key : plugin.config_keys()) {
    if (key.name != "base_url" || !identity.base_url.empty() || key.default_value.empty())
      continue;
    boost::system::error_code error;
    json::value declared = json::parse(key.default_value, error);
    if (!error && declared.is_string())
      identity.base_url = std::string(declared.as_string());
  }
  for (const host::SecretSpec& secret : plugin.secrets()) {
    if (std::optional<std::string> value = secrets.get(secret.name)) {
      // A domain prefix: the fingerprint is of no use outside this file.
      std::string digest =
          store::sha256_hex("atsmigrate account fingerprint 1\n" + secret.name + "\n" + *value);
      identity.key_fingerprint = digest.substr(0, 12);
      break;
    }
  }
  return identity;
}

void bind_account(const std::filesystem::path& work_dir, const std::string& plugin,
                  const std::string& role, const AccountIdentity& identity, bool holds_its_data,
                  bool rebind) {
  const std::filesystem::path file = accounts_file(work_dir);
  json::object accounts;
  if (std::ifstream in(file, std::ios::binary); in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code error;
    json::value parsed = json::parse(text, error);
    if (error || !parsed.is_object())
      throw std::runtime_error(
          fmt::format("{}: not valid JSON ({}); it records which accounts "
                      "this work dir migrates",
                      file.string(), error ? error.message() : "not an object"));
    accounts = std::move(parsed.as_object());
  }
  if (const json::value* recorded = accounts.if_contains(plugin);
      recorded && recorded->is_object()) {
    AccountIdentity before{text_at(recorded->as_object(), "base_url"),
                           text_at(recorded->as_object(), "key_fingerprint")};
    if (before == identity)
      return;
    if (holds_its_data && !rebind) {
      throw UsageError(fmt::format(
          "this work dir ({}) migrates the {} account at {}; this run's {} is the account at {}. "
          "To migrate another account, start a new migration with another --workdir. If it is "
          "the same account under a new key or address, run again with --rebind-accounts.",
          work_dir.string(), plugin, before.describe(), role, identity.describe()));
    }
    if (holds_its_data)
      spdlog::warn("{}: the work dir's {} account is now {} (was {}), as --rebind-accounts asked",
                   plugin, role, identity.describe(), before.describe());
  }
  accounts[plugin] = json::object{{"role", role},
                                  {"base_url", identity.base_url},
                                  {"key_fingerprint", identity.key_fingerprint}};
  write_private_file(file, json::serialize(accounts));
}

}  // namespace atsm::pipeline
