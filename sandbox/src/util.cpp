#include "util.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "sandbox/dataset.hpp"

namespace atsm::sandbox {

std::string Rng::hex(int chars) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<std::size_t>(chars));
  std::uint64_t bits = next();
  for (int i = 0; i < chars; ++i) {
    if (i % 16 == 15)
      bits = next();
    out.push_back(kDigits[bits & 15]);
    bits >>= 4;
  }
  return out;
}

std::string Rng::uuid() {
  return hex(8) + "-" + hex(4) + "-4" + hex(3) + "-a" + hex(3) + "-" + hex(12);
}

std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
  Rng rng(a * 0x100000001B3ULL ^ (b + 0x9E3779B97F4A7C15ULL));
  rng.next();
  return rng.next();
}

std::string iso_time(std::int64_t epoch_ms) {
  std::int64_t secs = epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000;
  int ms = static_cast<int>(epoch_ms - secs * 1000);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::string iso_date(std::int64_t epoch_ms) {
  return iso_time(epoch_ms).substr(0, 10);
}

bool parse_iso_time(const std::string& text, std::int64_t& epoch_ms) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute,
                  &second) != 6)
    return false;
  int millis = 0;
  if (text.size() > 20 && text[19] == '.')
    millis = std::atoi(text.substr(20, 3).c_str());
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  epoch_ms = static_cast<std::int64_t>(timegm(&tm)) * 1000 + millis;
  return true;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kDigits[digest[i] >> 4]);
    out.push_back(kDigits[digest[i] & 15]);
  }
  return out;
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kDigits[digest[i] >> 4]);
    out.push_back(kDigits[digest[i] & 15]);
  }
  return out;
}

static constexpr char kB64Url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(const std::string& data) {
  std::string out;
  std::size_t i = 0;
  while (i + 2 < data.size()) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += {kB64Url[v >> 18], kB64Url[(v >> 12) & 63], kB64Url[(v >> 6) & 63], kB64Url[v & 63]};
    i += 3;
  }
  if (i + 1 == data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    out += {kB64Url[v >> 18], kB64Url[(v >> 12) & 63]};
  } else if (i + 2 == data.size()) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8);
    out += {kB64Url[v >> 18], kB64Url[(v >> 12) & 63], kB64Url[(v >> 6) & 63]};
  }
  return out;
}

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-' || c == '+')
    return 62;
  if (c == '_' || c == '/')
    return 63;
  return -1;
}

bool base64url_decode(const std::string& text, std::string& out) {
  out.clear();
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=')
      break;
    int v = b64_value(c);
    if (v < 0)
      return false;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return true;
}

std::string base64_decode_std(const std::string& text) {
  std::string out;
  if (!base64url_decode(text, out))
    return {};
  return out;
}

std::string url_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int v = 0;
      if (std::sscanf(text.substr(i + 1, 2).c_str(), "%2x", &v) == 1) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

std::string url_encode(const std::string& text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kDigits[c >> 4], kDigits[c & 15]};
    }
  }
  return out;
}

std::string to_lower(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos)
    return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

bool is_valid_email(const std::string& email) {
  auto at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos)
    return false;
  auto trimmed = trim(email);
  if (trimmed.find_first_of(" \t,;()<>") != std::string::npos)
    return false;
  auto domain = trimmed.substr(trimmed.find('@') + 1);
  auto dot = domain.find('.');
  return dot != std::string::npos && dot > 0 && dot + 1 < domain.size();
}

std::string normalise_email(const std::string& email) {
  return to_lower(trim(email));
}

std::string file_bytes(const SandboxFile& file) {
  std::string out;
  out.resize(file.size);
  static const std::string kHead = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  static const std::string kTail = "\n%%EOF\n";
  Rng rng(file.content_seed);
  for (std::size_t i = 0; i < out.size(); i += 8) {
    std::uint64_t v = rng.next();
    for (std::size_t j = 0; j < 8 && i + j < out.size(); ++j) {
      out[i + j] = static_cast<char>(v >> (8 * j));
    }
  }
  if (out.size() >= kHead.size() + kTail.size()) {
    out.replace(0, kHead.size(), kHead);
    out.replace(out.size() - kTail.size(), kTail.size(), kTail);
  }
  return out;
}

namespace {

// The inverse of x ^= x >> shift (shift >= 1): each pass recovers `shift` more top bits.
std::uint64_t unxorshift(std::uint64_t x, int shift) {
  std::uint64_t out = x;
  for (int bits = shift; bits < 64; bits += shift)
    out = x ^ (out >> shift);
  return out;
}

// The multiplicative inverse of an odd number modulo 2^64 (Newton's iteration doubles the
// correct low bits each step: 3, 6, 12, 24, 48, 96).
constexpr std::uint64_t inverse_mod_2_64(std::uint64_t odd) {
  std::uint64_t inverse = odd;
  for (int i = 0; i < 5; ++i)
    inverse *= 2 - odd * inverse;
  return inverse;
}

}  // namespace

std::optional<std::uint64_t> generated_content_seed(const std::string& bytes) {
  // file_bytes overwrites the first 15 and last 7 bytes; the third generator output (bytes 16-23)
  // is intact when there are at least 31 bytes.
  constexpr std::size_t kThirdWord = 16;
  if (bytes.size() < kThirdWord + 8 + 7)
    return std::nullopt;
  std::uint64_t output = 0;
  for (std::size_t j = 0; j < 8; ++j)
    output |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[kThirdWord + j]))
              << (8 * j);
  // Rng::next backwards: the state after the third step, then the seed before the first.
  std::uint64_t z = unxorshift(output, 31);
  z *= inverse_mod_2_64(0x94D049BB133111EBULL);
  z = unxorshift(z, 27);
  z *= inverse_mod_2_64(0xBF58476D1CE4E5B9ULL);
  z = unxorshift(z, 30);
  SandboxFile candidate;
  candidate.size = bytes.size();
  candidate.content_seed = z - 3 * 0x9E3779B97F4A7C15ULL;
  if (file_bytes(candidate) != bytes)
    return std::nullopt;
  return candidate.content_seed;
}

}  // namespace atsm::sandbox
