// Small helpers shared by the sandbox's sources: a portable deterministic RNG, ids, times, JSON.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace atsm::sandbox {

// splitmix64: the same sequence on every platform, unlike std:: distributions.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Inclusive range.
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  bool chance(double p) { return uniform() < p; }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<std::size_t>(next() % items.size())];
  }
  std::string uuid();
  std::string hex(int chars);

 private:
  std::uint64_t state_;
};

std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b);
std::string iso_time(std::int64_t epoch_ms);
std::string iso_date(std::int64_t epoch_ms);
// Parses "2024-01-01T00:00:00Z" / ".000Z"; returns false when malformed.
bool parse_iso_time(const std::string& text, std::int64_t& epoch_ms);
std::int64_t now_ms();
std::string hmac_sha256_hex(const std::string& key, const std::string& data);
std::string base64url_encode(const std::string& data);
bool base64url_decode(const std::string& text, std::string& out);
std::string base64_decode_std(const std::string& text);
std::string url_decode(const std::string& text);
std::string url_encode(const std::string& text);
std::string to_lower(std::string text);
std::string trim(const std::string& text);

}  // namespace atsm::sandbox
