#pragma once
// Secrets by name (API keys, client ids/secrets), never from the command line: from a private
// credentials file and/or the process environment. Every value handed out is registered with the
// Redactor so it cannot reach a log.

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace atsm::net {

class SecretsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SecretStore {
 public:
  // Environment only.
  SecretStore() = default;

  // Loads a credentials file of `NAME=value` lines: blank lines and `#` comments are skipped,
  // `export NAME=value` is accepted, one pair of matching surrounding quotes is stripped, and
  // everything else after `=` is the value (a `#` there is part of it, as secrets may hold one).
  // Throws SecretsError when the file is not a regular file, is accessible by group or others
  // (mode must be 0600 or stricter), or has a malformed line (the message gives the file and
  // line number, never the line's text, which may be a secret).
  explicit SecretStore(const std::filesystem::path& credentials_file);

  // The credentials file wins over the environment: the file is the user's deliberate,
  // per-migration choice, while the environment may carry a stale key from another job.
  std::optional<std::string> get(std::string_view name) const;

  const std::optional<std::filesystem::path>& file() const noexcept { return file_; }

 private:
  std::optional<std::filesystem::path> file_;
  std::map<std::string, std::string, std::less<>> file_values_;
};

}  // namespace atsm::net
