#include "services/store/sha256.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace atsm::store {
namespace {

// FIPS 180-2 test vectors (the same digests `sha256sum` prints).
constexpr std::string_view kEmpty =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kAbc =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view kTwoBlocks =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr std::string_view kMillionA =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

TEST(Sha256, KnownVectorsFromBytes) {
  EXPECT_EQ(sha256_hex(""), kEmpty);
  EXPECT_EQ(sha256_hex("abc"), kAbc);
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), kTwoBlocks);
}

TEST(Sha256, StreamSpanningManyReadBuffers) {
  std::istringstream in(std::string(1'000'000, 'a'));
  EXPECT_EQ(sha256_hex(in), kMillionA);
  std::istringstream empty("");
  EXPECT_EQ(sha256_hex(empty), kEmpty);
}

TEST(Sha256, IncrementalEqualsOneShot) {
  Sha256 hash;
  hash.update("a");
  hash.update("");
  hash.update("bc");
  EXPECT_EQ(hash.finish_hex(), kAbc);
  EXPECT_THROW(hash.update("x"), std::logic_error);
  EXPECT_THROW(hash.finish_hex(), std::logic_error);
}

TEST(Sha256, BinaryBytesWithEmbeddedNul) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(sha256_hex(with_nul), sha256_hex("a"));
  EXPECT_EQ(sha256_hex(with_nul).size(), 64u);
}

TEST(Sha256, RecognisesDigestForm) {
  EXPECT_TRUE(is_sha256_hex(kAbc));
  EXPECT_FALSE(is_sha256_hex(kAbc.substr(1)));
  EXPECT_FALSE(is_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  EXPECT_FALSE(is_sha256_hex("../../etc/passwd"));
}

}  // namespace
}  // namespace atsm::store
