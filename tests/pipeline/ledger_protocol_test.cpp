// Every branch of the ledger protocol's decisions (core/pipeline/ledger_protocol.hpp) and of the
// plan's skip rules, as pure functions: no ledger, no sink. The expected answers are the
// protocol's own rules as sdk/docs/sink-protocol.md §2 and docs/mapping.md state them.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "pipeline/ledger_protocol.hpp"
#include "pipeline/load.hpp"
#include "pipeline/plan.hpp"

namespace {

namespace json = boost::json;
using namespace atsm::pipeline;
using atsm::store::LedgerEntry;
using atsm::store::LedgerState;

LedgerEntry row(LedgerState state, const std::string& hash = "h",
                std::optional<std::string> target = std::nullopt) {
  LedgerEntry entry;
  entry.state = state;
  entry.payload_hash = hash;
  entry.target_id = std::move(target);
  return entry;
}

TEST(BeforeWrite, ARecordTheLedgerNeverSawIsWritten) {
  EXPECT_EQ(before_write(std::nullopt, "h").action, BeforeWrite::write);
}

TEST(BeforeWrite, ARecordLeftAtIntentOrFailedIsWrittenAgain) {
  EXPECT_EQ(before_write(row(LedgerState::intent, "h"), "h").action, BeforeWrite::write);
  EXPECT_EQ(before_write(row(LedgerState::failed, "h"), "h").action, BeforeWrite::write);
}

TEST(BeforeWrite, ARecordDoneWithTheSamePayloadIsUnchanged) {
  EXPECT_EQ(before_write(row(LedgerState::done, "h", "T-1"), "h").action, BeforeWrite::unchanged);
}

TEST(BeforeWrite, ARecordDoneWithAnotherPayloadUpdatesItsTarget) {
  BeforeWriteDecision decision = before_write(row(LedgerState::done, "old", "T-1"), "new");
  EXPECT_EQ(decision.action, BeforeWrite::update);
  EXPECT_EQ(decision.target_id, "T-1");
}

TEST(LookupFirst, OnlyAnAttemptWhoseOutcomeIsUnknownLooksUpFirst) {
  EXPECT_FALSE(lookup_first(std::nullopt, false));
  EXPECT_FALSE(lookup_first(row(LedgerState::done), false));
  EXPECT_FALSE(lookup_first(row(LedgerState::skipped), false));
  EXPECT_TRUE(lookup_first(row(LedgerState::intent), false));
  EXPECT_TRUE(lookup_first(row(LedgerState::failed), false));
}

TEST(LookupFirst, ARunThatAdoptsLooksEveryRecordUp) {
  EXPECT_TRUE(lookup_first(std::nullopt, true));
  EXPECT_TRUE(lookup_first(row(LedgerState::done), true));
}

TEST(BatchFailure, AuthCancellationAndABrokenPluginStopTheRun) {
  EXPECT_TRUE(batch_failure_stops_the_run(ATSM_AUTH));
  EXPECT_TRUE(batch_failure_stops_the_run(ATSM_CANCELLED));
  EXPECT_TRUE(batch_failure_stops_the_run(ATSM_INTERNAL));
}

TEST(BatchFailure, OtherStatusesBecomeEveryItemsResult) {
  for (atsm_status status : {ATSM_RETRY, ATSM_RATE_LIMITED, ATSM_AMBIGUOUS, ATSM_PERMANENT,
                             ATSM_INVALID, ATSM_NOT_FOUND})
    EXPECT_FALSE(batch_failure_stops_the_run(status)) << atsm_status_name(status);
}

AfterWriteDecision answer(json::object result, unsigned attempt = 1, unsigned max = 6) {
  return after_write(result, attempt, max);
}

TEST(AfterWrite, OkWithATargetIsDone) {
  EXPECT_EQ(answer({{"status", "ok"}, {"target_id", "T-1"}}).action, AfterWrite::done);
}

TEST(AfterWrite, OkWithASkipReasonIsSkippedWithIt) {
  AfterWriteDecision decision = answer({{"status", "ok"}, {"skipped", "jobless"}});
  EXPECT_EQ(decision.action, AfterWrite::skipped);
  EXPECT_EQ(decision.skipped, "jobless");
}

TEST(AfterWrite, OkWithoutATargetIsAnInternalFailure) {
  AfterWriteDecision decision = answer({{"status", "ok"}});
  EXPECT_EQ(decision.action, AfterWrite::failed);
  EXPECT_EQ(decision.status, "internal");
  EXPECT_FALSE(decision.message.empty());
}

TEST(AfterWrite, HeldWaitsForAnOperator) {
  EXPECT_EQ(answer({{"status", "held"}}).action, AfterWrite::held);
}

TEST(AfterWrite, AuthStopsTheRun) {
  EXPECT_EQ(answer({{"status", "auth"}}).action, AfterWrite::stop);
  EXPECT_EQ(answer({{"status", "auth"}}, 6, 6).action, AfterWrite::stop);
}

TEST(AfterWrite, ALostAnswerIsRetriedAtOnce) {
  AfterWriteDecision decision = answer({{"status", "ambiguous"}});
  EXPECT_EQ(decision.action, AfterWrite::retry);
  EXPECT_FALSE(decision.pause);
}

TEST(AfterWrite, TransientTroubleIsRetriedAfterAPause) {
  for (const char* status : {"retry", "rate_limited"}) {
    AfterWriteDecision decision = answer({{"status", status}}, 5, 6);
    EXPECT_EQ(decision.action, AfterWrite::retry) << status;
    EXPECT_TRUE(decision.pause) << status;
  }
}

TEST(AfterWrite, TheLastAttemptsTransientTroubleFailsTheRecordWithItsStatus) {
  for (const char* status : {"retry", "rate_limited", "ambiguous"}) {
    AfterWriteDecision decision = answer({{"status", status}}, 6, 6);
    EXPECT_EQ(decision.action, AfterWrite::failed) << status;
    EXPECT_EQ(decision.status, status);
    EXPECT_TRUE(decision.message.empty());  // the sink's message stands
  }
}

TEST(AfterWrite, PermanentAndUnknownStatusesFailTheRecord) {
  EXPECT_EQ(answer({{"status", "permanent"}}).action, AfterWrite::failed);
  EXPECT_EQ(answer({{"status", "invalid"}}).status, "invalid");
  EXPECT_EQ(answer({}).action, AfterWrite::failed);
}

TEST(RetryPause, DoublesFromTheBaseAndStopsAt32Times) {
  using std::chrono::milliseconds;
  EXPECT_EQ(retry_pause(1, milliseconds(200)), milliseconds(400));
  EXPECT_EQ(retry_pause(2, milliseconds(200)), milliseconds(800));
  EXPECT_EQ(retry_pause(5, milliseconds(200)), milliseconds(6400));
  EXPECT_EQ(retry_pause(9, milliseconds(200)), milliseconds(6400));
}

TEST(DoneMethod, AdoptUpdateOrCreate) {
  EXPECT_STREQ(done_method(true, true), "adopt");
  EXPECT_STREQ(done_method(true, false), "adopt");
  EXPECT_STREQ(done_method(false, true), "update");
  EXPECT_STREQ(done_method(false, false), "create");
}

TEST(Covered, ARecordCoveredByAnotherItemsTargetIsRecordedUnlessTheLedgerSaysSo) {
  EXPECT_TRUE(covered_needs_recording(std::nullopt, "h", "T-1"));
  EXPECT_TRUE(covered_needs_recording(row(LedgerState::intent, "h", "T-1"), "h", "T-1"));
  EXPECT_TRUE(covered_needs_recording(row(LedgerState::done, "old", "T-0"), "h", "T-1"));
  EXPECT_FALSE(covered_needs_recording(row(LedgerState::done, "h", "T-0"), "h", "T-1"));
  EXPECT_FALSE(covered_needs_recording(row(LedgerState::done, "old", "T-1"), "h", "T-1"));
}

TEST(WrittenBefore, OnlyADoneRowKeepsItsTarget) {
  EXPECT_FALSE(written_before(std::nullopt));
  EXPECT_FALSE(written_before(row(LedgerState::failed)));
  EXPECT_FALSE(written_before(row(LedgerState::skipped)));
  EXPECT_TRUE(written_before(row(LedgerState::done)));
}

TEST(OwnerState, ARecordWaitsForAnOwnerNotWrittenYet) {
  EXPECT_EQ(owner_state(std::nullopt), OwnerState::written_or_unknown);
  EXPECT_EQ(owner_state(row(LedgerState::done)), OwnerState::written_or_unknown);
  EXPECT_EQ(owner_state(row(LedgerState::skipped)), OwnerState::written_or_unknown);
  EXPECT_EQ(owner_state(row(LedgerState::intent)), OwnerState::pending);
  EXPECT_EQ(owner_state(row(LedgerState::failed)), OwnerState::pending);
  LedgerEntry held = row(LedgerState::failed);
  held.vendor_code = kHeldVendorCode;
  EXPECT_EQ(owner_state(held), OwnerState::held);
}

// The plan's skip rules (docs/mapping.md §10), each on its own.
class SkipReason : public ::testing::Test {
 protected:
  std::string reason(const std::string& kind, json::object record) {
    return skip_reason(kind, record, plan);
  }
  Plan plan;
};

TEST_F(SkipReason, NothingIsSkippedByDefault) {
  plan.carried_tags = {"t"};
  EXPECT_EQ(reason("note", {{"is_private", true}}), "");
  EXPECT_EQ(reason("person", {{"confidential", true}}), "");
  EXPECT_EQ(reason("interview", {}), "");
  EXPECT_EQ(reason("offer", {}), "");
  EXPECT_EQ(reason("candidacy", {{"is_prospect", true}}), "");
  EXPECT_EQ(reason("tag", {{"name", "t"}}), "");
}

TEST_F(SkipReason, ConfidentialRecordsOfAnyKindWhenSkipped) {
  plan.options.confidential = "skip";
  EXPECT_NE(reason("person", {{"confidential", true}}), "");
  EXPECT_NE(reason("job", {{"confidential", true}}), "");
  EXPECT_EQ(reason("job", {{"confidential", false}}), "");
}

TEST_F(SkipReason, AnonymisedPersons) {
  EXPECT_NE(reason("person", {{"anonymized", true}}), "");
}

TEST_F(SkipReason, DeletedNotes) {
  EXPECT_NE(reason("note", {{"deleted", true}}), "");
}

TEST_F(SkipReason, PrivateNotesWhenSkipped) {
  plan.options.private_notes = "skip";
  EXPECT_NE(reason("note", {{"is_private", true}}), "");
  EXPECT_EQ(reason("note", {{"is_private", false}}), "");
}

TEST_F(SkipReason, FilesTheSourceCouldNotServe) {
  EXPECT_NE(reason("file", {{"skipped_reason", "too large"}}), "");
}

TEST_F(SkipReason, TagsNoMigratedRecordCarries) {
  EXPECT_NE(reason("tag", {{"name", "orphan"}}), "");
}

TEST_F(SkipReason, InterviewsOffersAndProspectsWhenSkipped) {
  plan.options.interviews = "skip";
  plan.options.offers = "skip";
  plan.options.prospects = "skip";
  EXPECT_NE(reason("interview", {}), "");
  EXPECT_NE(reason("offer", {}), "");
  EXPECT_NE(reason("candidacy", {{"is_prospect", true}}), "");
  EXPECT_EQ(reason("candidacy", {{"is_prospect", false}}), "");
}

TEST(BatchTake, AFullBatchWhileTheQueueIsLong) {
  EXPECT_EQ(batch_take(400, 32, 8), 8u);
  EXPECT_EQ(batch_take(9, 1, 8), 8u);
}

TEST(BatchTake, TheLastItemsAreSharedEvenlyAmongTheWriters) {
  // 400 persons' last 40 over 10 writers: 4 each, not 8 for five writers while five idle.
  EXPECT_EQ(batch_take(40, 10, 8), 4u);
  EXPECT_EQ(batch_take(41, 10, 8), 5u);
  EXPECT_EQ(batch_take(10, 10, 8), 1u);
  EXPECT_EQ(batch_take(3, 32, 8), 1u);
}

TEST(BatchTake, AtLeastOneItemWhateverTheArguments) {
  EXPECT_EQ(batch_take(5, 0, 8), 5u);
  EXPECT_EQ(batch_take(5, 2, 0), 1u);
  EXPECT_EQ(batch_take(0, 4, 8), 1u);
}

TEST(WriterHung, ABatchFarBeyondItsTypicalTimeIsHung) {
  using std::chrono::milliseconds;
  // 8 items at a typical 40 ms each: 320 ms is normal, four times that is a hung write.
  EXPECT_FALSE(writer_hung(milliseconds(320), 8, milliseconds(40)));
  EXPECT_FALSE(writer_hung(milliseconds(1280), 8, milliseconds(40)));
  EXPECT_TRUE(writer_hung(milliseconds(1281), 8, milliseconds(40)));
}

TEST(WriterHung, NeverBeforeTheFloorHoweverFastTheTypicalItem) {
  using std::chrono::milliseconds;
  EXPECT_FALSE(writer_hung(kHungWriterFloor, 1, milliseconds(1)));
  EXPECT_TRUE(writer_hung(kHungWriterFloor + milliseconds(1), 1, milliseconds(1)));
  EXPECT_FALSE(writer_hung(milliseconds(100), 0, milliseconds(0)));
}

TEST(WritersWanted, OneMoreForEachHungWriterAtMostTwiceTheNeed) {
  EXPECT_EQ(writers_wanted(10, 0), 10u);
  EXPECT_EQ(writers_wanted(10, 3), 13u);
  EXPECT_EQ(writers_wanted(10, 25), 20u);
  EXPECT_EQ(writers_wanted(1, 1), 2u);
}

}  // namespace
