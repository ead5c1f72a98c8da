// A work dir migrates one source account into one target account. Its staging, checkpoints and
// ledger mean nothing against another account: a finished work dir pointed at another Ashby
// would "find" nothing it wrote and report hundreds of mismatches; pointed at another Lever it
// would read nothing new. Each plugin's account is recorded on its first use and every later run
// is checked against it.
#pragma once

#include <boost/json/object.hpp>
#include <filesystem>
#include <string>

#include "host/plugin_registry.hpp"
#include "services/net/secrets.hpp"

namespace atsm::pipeline {

// Who a plugin talks to: its base URL (configured, else its declared default) and a fingerprint
// of its primary credential (the first declared secret that is set): 12 hex digits of a SHA-256,
// which names a key without revealing it.
struct AccountIdentity {
  std::string base_url;
  std::string key_fingerprint;  // "" when the plugin has no secret set

  std::string describe() const;
  friend bool operator==(const AccountIdentity&, const AccountIdentity&) = default;
};

AccountIdentity account_of(const host::LoadedPlugin& plugin, const boost::json::object& config,
                           const net::SecretStore& secrets);

// Records `plugin`'s account in WORK_DIR/accounts.json. Once the work dir holds what it read from
// or wrote to that account (`holds_its_data`), a run with another identity is refused with a
// UsageError naming both, unless `rebind` (the same account under a new key or address); until
// then the latest identity is simply recorded, so a first run that failed on a wrong address or
// a missing key does not bind the work dir to it.
void bind_account(const std::filesystem::path& work_dir, const std::string& plugin,
                  const std::string& role, const AccountIdentity& identity, bool holds_its_data,
                  bool rebind);

}  // namespace atsm::pipeline
