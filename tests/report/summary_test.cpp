// The report's verdict in-process, case by case: what makes a run clean, held or a run with
// differences, without a migration. The rules are sdk/schema/report.schema.json's
// (summary.verdict: "clean" without unexplained differences, failed records, read-back mismatches,
// records left unread or unreadable source records; "held" when that holds but records wait for an
// operator's step; "differences" otherwise) and docs/mapping.md's (a bad source field is left out
// and the record migrates: explained, like what a sink reports as lossy).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "pipeline/reasons.hpp"
#include "report/summary.hpp"

namespace {

using atsm::report::parse_verdict;
using atsm::report::summary_json;
using atsm::report::SummaryCounts;
using atsm::report::Verdict;
using atsm::report::verdict_of;

TEST(ReportVerdict, NothingFoundIsClean) {
  EXPECT_EQ(verdict_of(SummaryCounts{}), Verdict::clean);
  SummaryCounts read_back;
  read_back.read_back_checked = 120;
  read_back.notices = 3;
  EXPECT_EQ(verdict_of(read_back), Verdict::clean) << "checked records and notices are no fault";
}

TEST(ReportVerdict, ExplainedLossesKeepARunClean) {
  SummaryCounts counts;
  counts.field_errors = 4;
  counts.lossy_records = 9;
  EXPECT_EQ(verdict_of(counts), Verdict::clean);
}

TEST(ReportVerdict, HeldRecordsAloneMakeARunHeld) {
  SummaryCounts counts;
  counts.held = 1;
  counts.field_errors = 2;
  EXPECT_EQ(verdict_of(counts), Verdict::held);
}

// Each kind of difference on its own, and with held records beside it: differences win, since
// the operator's step would not fix them.
TEST(ReportVerdict, EachDifferenceOnItsOwnMakesARunDiffer) {
  const std::pair<const char*, int64_t SummaryCounts::*> differences[] = {
      {"unexplained", &SummaryCounts::unexplained},
      {"failed", &SummaryCounts::failed},
      {"rejected", &SummaryCounts::rejected},
      {"mismatches", &SummaryCounts::mismatches},
      {"unread", &SummaryCounts::unread}};
  for (const auto& [name, member] : differences) {
    SummaryCounts counts;
    counts.*member = 1;
    EXPECT_EQ(verdict_of(counts), Verdict::differences) << name;
    counts.held = 3;
    EXPECT_EQ(verdict_of(counts), Verdict::differences) << name << " beside held records";
  }
}

TEST(ReportVerdict, NamesRoundTripAndUnknownNamesAreRefused) {
  for (Verdict verdict : {Verdict::clean, Verdict::held, Verdict::differences})
    EXPECT_EQ(parse_verdict(atsm::report::verdict_name(verdict)), verdict);
  EXPECT_EQ(atsm::report::verdict_name(Verdict::differences), std::string("differences"));
  EXPECT_FALSE(parse_verdict("partial"));
  EXPECT_FALSE(parse_verdict(""));
}

// report.json's summary as sdk/schema/report.schema.json names its members.
TEST(ReportSummary, CarriesTheVerdictAndEveryCount) {
  SummaryCounts counts;
  counts.unexplained = 1;
  counts.failed = 2;
  counts.rejected = 3;
  counts.mismatches = 4;
  counts.unread = 5;
  counts.held = 6;
  counts.read_back_checked = 7;
  counts.field_errors = 8;
  counts.lossy_records = 9;
  counts.notices = 10;
  boost::json::object summary = summary_json(counts);
  EXPECT_EQ(summary.at("verdict").as_string(), "differences");
  const std::pair<const char*, int64_t> expected[] = {
      {"unexplained", 1},   {"failed", 2},  {"rejected", 3},          {"mismatches", 4},
      {"unread", 5},        {"held", 6},    {"read_back_checked", 7}, {"field_errors", 8},
      {"lossy_records", 9}, {"notices", 10}};
  for (const auto& [member, value] : expected)
    EXPECT_EQ(summary.at(member).to_number<int64_t>(), value) << member;
  EXPECT_EQ(summary.size(), 11u);
}

// The reasons of a 30,000-person Lever run that made a class per record (1,677 of 1,719 classes
// held one record): a vendor's bare UUID and a file name leave the reason like a record key.
TEST(ReasonClass, VendorIdsAndFileNamesLeaveTheReason) {
  using atsm::pipeline::reason_class;
  EXPECT_EQ(reason_class("the source could not serve it: Lever could not process the file (HTTP "
                         "422: UnprocessableEntity: File 000c1400-69c5-490a-a828-cfb18e6e72c5 "
                         "has not been processed and cannot be downloaded)"),
            "the source could not serve it: Lever could not process the file (HTTP 422: "
            "UnprocessableEntity: File <id> has not been processed and cannot be downloaded)");
  EXPECT_EQ(reason_class("upload handle flow failed (upload of Chen_Resume.pdf to the presigned "
                         "URL answered HTTP 403); used the multipart upload"),
            "upload handle flow failed (upload of <file> to the presigned URL answered HTTP "
            "403); used the multipart upload");
  EXPECT_EQ(reason_class("upload of Kwame_Portfolio.txt failed"), "upload of <file> failed");
  // Not an id or a file name: left as it is.
  EXPECT_EQ(reason_class("000c1400-69c5-490a-a828 is short; e.g. 1.0 works; in the source."),
            "000c1400-69c5-490a-a828 is short; e.g. 1.0 works; in the source.");
  EXPECT_EQ(reason_class("private note (private_notes: skip)"),
            "private note (private_notes: skip)");
}

}  // namespace
