// What the Ashby sink remembers per candidate and application during a load: every fact comes
// back exactly as it was given, whatever the id's shape, and Ashby's ids (UUIDs) and SHA-256s
// take a fraction of their text.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ashby/candidate_memo.hpp"

namespace atsm::ashby {
namespace {

const std::string kCandidate = "0b3f2c9e-5a4d-4e8f-9c21-7d6e5f4a3b2c";
const std::string kOther = "1c4a3d0f-6b5e-4f90-8d32-8e7f6a5b4c3d";
const std::string kSha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const std::string kOtherSha = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

TEST(PackedId, UuidsAndHexTakeAFractionOfTheirTextAndOtherIdsStayDistinct) {
  EXPECT_EQ(packed_id(kCandidate).size(), 17u);  // 36 characters
  EXPECT_EQ(packed_id(kSha).size(), 34u);        // 64 characters
  // Text that is neither (upper case, other shapes) is kept whole, so two ids never collide.
  std::set<std::string> packed;
  for (const std::string& id : {kCandidate, std::string("0B3F2C9E-5A4D-4E8F-9C21-7D6E5F4A3B2C"),
                                std::string("0b3f2c9e5a4d4e8f9c217d6e5f4a3b2c"), std::string("42"),
                                std::string("4"), std::string(""), std::string("a\nb")})
    EXPECT_TRUE(packed.insert(packed_id(id)).second) << id;
}

TEST(CandidateMemos, FileIdsAreUnknownUntilListedThenComeBackExactly) {
  CandidateMemos memos;
  EXPECT_FALSE(memos.file_ids_seen(kCandidate).has_value());
  memos.see_file_ids(kCandidate, {});
  ASSERT_TRUE(memos.file_ids_seen(kCandidate).has_value());  // known: none
  EXPECT_TRUE(memos.file_ids_seen(kCandidate)->empty());
  // Ids of any shape: UUIDs, upper case, a long text with a newline and a NUL, hex.
  std::string long_text(300, 'x');
  long_text += std::string("\n\0end", 5);
  const std::set<std::string> ids{kOther, "ABCDEF01-2345-6789-ABCD-EF0123456789", long_text, "ab12",
                                  "file-7"};
  memos.see_file_ids(kCandidate, ids);
  memos.see_file_ids(kCandidate, {kOther});  // seen again: once
  EXPECT_EQ(memos.file_ids_seen(kCandidate), ids);
  EXPECT_FALSE(memos.file_ids_seen(kOther).has_value());
}

TEST(CandidateMemos, UploadsAreFoundByCandidateAndBytes) {
  CandidateMemos memos;
  memos.remember_upload(kCandidate, kSha, "file-a");
  memos.remember_upload(kCandidate, kOtherSha, kOther);
  memos.remember_upload(kOther, kSha, "file-c");
  EXPECT_EQ(memos.uploaded_file(kCandidate, kSha), "file-a");
  EXPECT_EQ(memos.uploaded_file(kCandidate, kOtherSha), kOther);
  EXPECT_EQ(memos.uploaded_file(kOther, kSha), "file-c");
  EXPECT_FALSE(memos.uploaded_file(kOther, kOtherSha).has_value());
  EXPECT_EQ(memos.uploaded_file_ids(kCandidate), (std::set<std::string>{"file-a", kOther}));
  // An upload is not a listing: the candidate's files are still unknown.
  EXPECT_FALSE(memos.file_ids_seen(kCandidate).has_value());
}

TEST(CandidateMemos, TagsAccumulateOnceAndACandidateWithoutAnyTakesNoEntry) {
  CandidateMemos memos;
  memos.add_tag_ids(kCandidate, {});
  EXPECT_EQ(memos.candidates(), 0u);
  memos.add_tag_ids(kCandidate, {kOther, "t-1"});
  memos.add_tag_ids(kCandidate, {"t-1", "t-2"});
  EXPECT_EQ(memos.tag_ids(kCandidate), (std::set<std::string>{kOther, "t-1", "t-2"}));
  EXPECT_TRUE(memos.tag_ids(kOther).empty());
  memos.clear();
  EXPECT_EQ(memos.candidates(), 0u);
  EXPECT_TRUE(memos.tag_ids(kCandidate).empty());
}

TEST(JobTitlesByApplication, EachApplicationKeepsItsOwnTitle) {
  JobTitlesByApplication titles;
  titles.remember(kCandidate, "Software Engineer");
  titles.remember(kOther, "Software Engineer");
  titles.remember("app-3", "");
  EXPECT_EQ(titles.find(kCandidate), "Software Engineer");
  EXPECT_EQ(titles.find("app-3"), "");
  EXPECT_FALSE(titles.find("app-4").has_value());
  titles.remember(kOther, "Recruiter");  // renamed: the later answer holds
  EXPECT_EQ(titles.find(kOther), "Recruiter");
  EXPECT_EQ(titles.find(kCandidate), "Software Engineer");
  titles.clear();
  EXPECT_FALSE(titles.find(kCandidate).has_value());
}

}  // namespace
}  // namespace atsm::ashby
