#include <cstdint>
#include <stdexcept>

#include <gtest/gtest.h>

#include <atsmigrate/model/time.hpp>

namespace atsm::model {
namespace {

// Expected strings come from `date -u -d @<seconds> +%Y-%m-%dT%H:%M:%SZ`.
TEST(FormatEpochMillis, EpochZero) {
  EXPECT_EQ(format_epoch_millis(0), "1970-01-01T00:00:00Z");
}

TEST(FormatEpochMillis, NegativeRoundsTowardThePast) {
  EXPECT_EQ(format_epoch_millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_epoch_millis(-1000), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_epoch_millis(-86'400'000), "1969-12-31T00:00:00Z");
  EXPECT_EQ(format_epoch_millis(-2'208'988'800'000), "1900-01-01T00:00:00Z");
}

TEST(FormatEpochMillis, TypicalLeverTimestamp) {
  EXPECT_EQ(format_epoch_millis(1'551'708'120'000), "2019-03-04T14:02:00Z");
  EXPECT_EQ(format_epoch_millis(1'551'708'120'042), "2019-03-04T14:02:00.042Z");
  EXPECT_EQ(format_epoch_millis(951'782'400'000), "2000-02-29T00:00:00Z");
}

TEST(FormatEpochMillis, YearBounds) {
  EXPECT_EQ(format_epoch_millis(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_epoch_millis(-62'167'219'200'000), "0000-01-01T00:00:00Z");
  EXPECT_THROW(format_epoch_millis(253'402'300'800'000), std::out_of_range);
  EXPECT_THROW(format_epoch_millis(-62'167'219'200'001), std::out_of_range);
  EXPECT_THROW(format_epoch_millis(INT64_MAX), std::out_of_range);
  EXPECT_THROW(format_epoch_millis(INT64_MIN), std::out_of_range);
}

TEST(NormalizeTimestamp, KeepsUtcAsIs) {
  EXPECT_EQ(normalize_timestamp("2019-03-04T14:02:00Z"), "2019-03-04T14:02:00Z");
  EXPECT_EQ(normalize_timestamp("2019-03-04T14:02:00.123456789Z"),
            "2019-03-04T14:02:00.123456789Z");
}

TEST(NormalizeTimestamp, ConvertsOffsetsToUtc) {
  // date -u -d "2019-03-04T14:02:00+05:30" gives 08:32:00Z.
  EXPECT_EQ(normalize_timestamp("2019-03-04T14:02:00+05:30"), "2019-03-04T08:32:00Z");
  EXPECT_EQ(normalize_timestamp("2020-12-31T23:59:59-01:00"), "2021-01-01T00:59:59Z");
  EXPECT_EQ(normalize_timestamp("2019-03-04T00:30:00.5+01"), "2019-03-03T23:30:00.5Z");
  EXPECT_EQ(normalize_timestamp("2019-03-04T14:02:00-0000"), "2019-03-04T14:02:00Z");
}

TEST(NormalizeTimestamp, AcceptsOtherIso8601Forms) {
  EXPECT_EQ(normalize_timestamp("20190304T140200Z"), "2019-03-04T14:02:00Z");
  EXPECT_EQ(normalize_timestamp("2019-03-04 14:02z"), "2019-03-04T14:02:00Z");
  EXPECT_EQ(normalize_timestamp("2019-03-04t14:02:00,25Z"), "2019-03-04T14:02:00.25Z");
  EXPECT_EQ(normalize_timestamp("2019-063T14:02:00Z"), "2019-03-04T14:02:00Z");
  EXPECT_EQ(normalize_timestamp("2020-366T00:00:00Z"), "2020-12-31T00:00:00Z");
  EXPECT_EQ(normalize_timestamp("2019-W10-1T14:02:00Z"), "2019-03-04T14:02:00Z");
  EXPECT_EQ(normalize_timestamp("2020-W53-5T00:00:00Z"), "2021-01-01T00:00:00Z");
  EXPECT_EQ(normalize_timestamp("2009-W01-1T00:00:00Z"), "2008-12-29T00:00:00Z");
  EXPECT_EQ(normalize_timestamp("2019-12-31T24:00:00Z"), "2020-01-01T00:00:00Z");
}

TEST(NormalizeTimestamp, RejectsInvalid) {
  for (const char* text : {"",
                           "2019-03-04",
                           "2019-03-04T14:02:00",
                           "2019-02-29T00:00:00Z",
                           "2019-13-01T00:00:00Z",
                           "2019-00-10T00:00:00Z",
                           "2019-04-31T00:00:00Z",
                           "2019-03-04T25:00:00Z",
                           "2019-03-04T24:00:01Z",
                           "2019-03-04T14:60:00Z",
                           "2019-03-04T14:02:60Z",
                           "2019-03-04T14:02:00+24:00",
                           "2019-03-04T14:02:00.Z",
                           "2019-03-04T14:02:00.1234567890Z",
                           "2019-03-04T14:02:00Z ",
                           " 2019-03-04T14:02:00Z",
                           "2019-366T00:00:00Z",
                           "2021-W53-1T00:00:00Z",
                           "2019-W10-8T00:00:00Z",
                           "2019-3-4T14:02:00Z",
                           "9999-12-31T23:00:00-01:00",
                           "0000-01-01T00:30:00+01:00",
                           "1551708120000"}) {
    EXPECT_EQ(normalize_timestamp(text), std::nullopt) << text;
  }
  EXPECT_EQ(normalize_timestamp("9999-12-31T23:59:59.999Z"), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(normalize_timestamp("0000-01-01T00:00:00Z"), "0000-01-01T00:00:00Z");
}

TEST(TimestampToEpochMillis, InverseOfFormat) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{-999}, std::int64_t{1},
                          std::int64_t{1'551'708'120'042}, std::int64_t{253'402'300'799'999},
                          std::int64_t{-62'167'219'200'000}}) {
    EXPECT_EQ(timestamp_to_epoch_millis(format_epoch_millis(ms)), ms) << ms;
  }
  EXPECT_EQ(timestamp_to_epoch_millis("2019-03-04T14:02:00+05:30"), 1'551'688'320'000);
  EXPECT_EQ(timestamp_to_epoch_millis("1969-12-31T23:59:59.9999Z"), -1);
  EXPECT_EQ(timestamp_to_epoch_millis("not a time"), std::nullopt);
}

TEST(IsValidDate, CalendarDatesOnly) {
  EXPECT_TRUE(is_valid_date("2020-02-29"));
  EXPECT_TRUE(is_valid_date("0000-01-01"));
  EXPECT_FALSE(is_valid_date("2019-02-29"));
  EXPECT_FALSE(is_valid_date("2020-4-1"));
  EXPECT_FALSE(is_valid_date("20200401"));
  EXPECT_FALSE(is_valid_date("2020-092"));
  EXPECT_FALSE(is_valid_date("2020-04-01T00:00:00Z"));
}

}  // namespace
}  // namespace atsm::model
