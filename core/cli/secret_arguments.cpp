#include "cli/secret_arguments.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "services/net/log.hpp"

namespace atsm::cli {
namespace {

constexpr std::string_view kWhereSecretsGo =
    "put NAME=value in the file given with --credentials (mode 0600), or set NAME in the "
    "environment";

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c == '_' ? '-' : static_cast<char>(std::tolower(c));
  });
  return out;
}

bool contains_any(std::string_view text, std::initializer_list<std::string_view> words) {
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view word) { return text.find(word) != std::string::npos; });
}

// `--api-key`, `--token`, `--client-secret`, `--password`, `--key`: no option of atsmigrate is
// named so, and someone typing one is about to hand a secret over.
bool option_names_a_secret(std::string_view name) {
  const std::string lower = lowercase(name);
  return lower == "key" || lower.ends_with("-key") || lower.starts_with("key-") ||
         contains_any(lower, {"apikey", "secret", "password", "passwd", "token"});
}

// The KEY of `--set PLUGIN.KEY=VALUE` (or a bare NAME of `--set NAME=VALUE`). An environment-style
// name (LEVER_API_KEY) or a key that can only hold a secret is one; `archive.hash_secret`, which
// names a secret rather than holding it, is not.
bool setting_names_a_secret(std::string_view key) {
  const bool environment_style = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (environment_style)
    return contains_any(key, {"KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD"});
  static const std::array<std::string_view, 11> kSecretKeys = {
      "key",          "api-key",       "apikey",    "password",      "secret", "token",
      "access-token", "refresh-token", "api-token", "client-secret", "passwd"};
  const std::string lower = lowercase(key);
  return std::find(kSecretKeys.begin(), kSecretKeys.end(), lower) != kSecretKeys.end();
}

bool looks_like_secret(std::string_view arg) {
  if (arg.size() < 16 || arg.front() == '-')
    return false;
  bool digit = false;
  bool letter = false;
  for (const char c : arg) {
    const auto byte = static_cast<unsigned char>(c);
    digit = digit || std::isdigit(byte);
    letter = letter || std::isalpha(byte);
    // Paths, URLs, host names and sentences are not keys; keeping them readable helps the user.
    if (!std::isalnum(byte) && c != '_' && c != '-' && c != '+' && c != '=' && c != '~')
      return false;
  }
  return digit && letter;
}

}  // namespace

std::optional<std::string> secret_on_command_line(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--"))
      continue;
    const std::string name = arg.substr(2, arg.find('=') - 2);
    if (name == "set") {
      const bool inline_value = arg.find('=') != std::string::npos;
      if (!inline_value && i + 1 >= args.size())
        continue;
      const std::string setting = inline_value ? arg.substr(arg.find('=') + 1) : args[i + 1];
      const std::string assigned = setting.substr(0, setting.find('='));
      const std::string key = assigned.substr(assigned.rfind('.') + 1);
      if (setting_names_a_secret(key))
        return fmt::format(
            "--set {}=...: secrets are never taken on the command line (the value is not shown); "
            "{}",
            assigned, kWhereSecretsGo);
      continue;
    }
    if (option_names_a_secret(name))
      return fmt::format(
          "--{}: secrets are never taken on the command line (the value is not shown); {}", name,
          kWhereSecretsGo);
  }
  return std::nullopt;
}

std::string safe_parse_error(const std::string& message, const std::vector<std::string>& args) {
  std::string safe = message;
  bool hidden = false;
  for (const std::string& arg : args) {
    if (!looks_like_secret(arg))
      continue;
    for (std::size_t at = safe.find(arg); at != std::string::npos; at = safe.find(arg, at)) {
      safe.replace(at, arg.size(), net::kRedacted);
      at += net::kRedacted.size();
      hidden = true;
    }
  }
  safe = net::redact(safe);
  if (hidden)
    safe += fmt::format(
        " (not shown, as it may be a secret: secrets are never taken on the command line; {})",
        kWhereSecretsGo);
  return safe;
}

}  // namespace atsm::cli
