#include <atsmigrate/model/email.hpp>

#include <algorithm>

namespace atsm::model {
namespace {

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::optional<std::string> normalize_email(std::string_view address) {
  while (!address.empty() && is_ascii_space(address.front()))
    address.remove_prefix(1);
  while (!address.empty() && is_ascii_space(address.back()))
    address.remove_suffix(1);

  const auto at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  if (at == 0 || at + 1 == address.size())
    return std::nullopt;

  // ASCII only: bytes of UTF-8 sequences are >= 0x80 and pass through unchanged.
  std::string normalized(address);
  std::transform(normalized.begin(), normalized.end(), normalized.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  return normalized;
}

}  // namespace atsm::model
