#include "verify/check.hpp"

#include <cstdint>

namespace atsm::verify {

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::pass:
      return "pass";
    case Outcome::fail:
      return "fail";
    case Outcome::skip:
      return "skip";
  }
  return "fail";
}

[[noreturn]] void fail(std::string reason) {
  throw CheckFailure{std::move(reason)};
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80           ? 1
                         : (byte >> 5) == 0x6  ? 2
                         : (byte >> 4) == 0xE  ? 3
                         : (byte >> 3) == 0x1E ? 4
                                               : 0;
    bool ok = length != 0 && i + length <= text.size();
    for (std::size_t j = 1; ok && j < length; ++j)
      ok = (static_cast<unsigned char>(text[i + j]) & 0xC0) == 0x80;
    if (ok && length > 1) {
      // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
      std::uint32_t code = byte & (0x7F >> length);
      for (std::size_t j = 1; j < length; ++j)
        code = (code << 6) | (static_cast<unsigned char>(text[i + j]) & 0x3F);
      static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = code >= kMinimum[length] && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF);
    }
    if (!ok) {
      out += '?';
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string shorten(std::string_view text, std::size_t limit) {
  std::string line;
  for (char c : text.substr(0, limit))
    line += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (text.size() > limit)
    line += "...";
  return line;
}

}  // namespace atsm::verify
