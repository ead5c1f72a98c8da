#pragma once

#include <istream>
#include <memory>
#include <string>
#include <string_view>

// The one place the project computes SHA-256 (OpenSSL EVP). Digests are lowercase hex, 64 chars.
namespace atsm::store {

// Incremental hashing for data that arrives in pieces (downloads, file copies).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  // Ends the computation; the object must not be updated afterwards.
  std::string finish_hex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  bool finished_ = false;
};

std::string sha256_hex(std::string_view bytes);
// Reads `in` to its end. Throws std::runtime_error if the stream fails before end of file.
std::string sha256_hex(std::istream& in);
// True for a 64-character lowercase hex string, the form every digest here takes.
bool is_sha256_hex(std::string_view text) noexcept;

}  // namespace atsm::store
