#include <gtest/gtest.h>

#include <atsmigrate/model/email.hpp>

namespace atsm::model {
namespace {

TEST(NormalizeEmail, TrimsAndLowerCasesOnly) {
  EXPECT_EQ(normalize_email("Ada@Example.COM"), "ada@example.com");
  EXPECT_EQ(normalize_email("  ada@example.com\t\r\n"), "ada@example.com");
  // No provider-specific rewriting: dots and +tags are significant.
  EXPECT_EQ(normalize_email("A.Da+Jobs@GMail.com"), "a.da+jobs@gmail.com");
  // Non-ASCII bytes pass through unchanged (only ASCII letters are folded).
  EXPECT_EQ(normalize_email("J\xC3\x9CRGEN@Example.de"), "j\xC3\x9Crgen@example.de");
}

TEST(NormalizeEmail, InvalidAddressesHaveNoNormalForm) {
  for (const char* address : {"", "   ", "ada", "ada@", "@example.com", " @example.com",
                              "ada@@example.com", "a@b@example.com", "@"}) {
    EXPECT_EQ(normalize_email(address), std::nullopt) << '"' << address << '"';
  }
}

TEST(NormalizeEmail, DifferentlyWrittenAddressesMeet) {
  EXPECT_EQ(normalize_email(" JANE.DOE@example.com"), normalize_email("jane.doe@EXAMPLE.com "));
  EXPECT_NE(normalize_email("jane.doe@example.com"), normalize_email("janedoe@example.com"));
}

}  // namespace
}  // namespace atsm::model
