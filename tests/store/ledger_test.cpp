#include "services/store/ledger.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

namespace atsm::store {
namespace {

using testing::mode_of;
using testing::TempDir;

// UTC ISO 8601 with milliseconds: 2026-11-25T16:19:38.123Z ('9' stands for any digit).
bool is_iso8601_utc_millis(const std::string& text) {
  constexpr std::string_view kShape = "9999-99-99T99:99:99.999Z";
  if (text.size() != kShape.size()) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == '9' ? !digit : text[i] != kShape[i]) {
      return false;
    }
  }
  return true;
}

const LedgerKey kPerson{"lever->ashby", "persons", "p-1"};

class LedgerTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path file = dir / "work/ledger.db";
  Ledger ledger{file};
};

TEST_F(LedgerTest, FileIsPrivate) {
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(file.parent_path()), 0700u);
}

TEST_F(LedgerTest, IntentThenDoneRecordsTargetAndRequest) {
  EXPECT_FALSE(ledger.record_intent(kPerson, "h1").has_value());
  auto entry = ledger.get(kPerson);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->state, LedgerState::intent);
  EXPECT_EQ(entry->attempts, 1);
  EXPECT_EQ(entry->payload_hash, "h1");
  EXPECT_FALSE(entry->target_id);
  EXPECT_FALSE(ledger.target_of(kPerson));

  ledger.mark_done(kPerson, "cand-9", "req-1");
  entry = ledger.get(kPerson);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->state, LedgerState::done);
  EXPECT_EQ(entry->target_id, "cand-9");
  EXPECT_EQ(entry->request_id, "req-1");
  EXPECT_EQ(ledger.target_of(kPerson), "cand-9");
  EXPECT_TRUE(is_iso8601_utc_millis(entry->created_at)) << entry->created_at;
  EXPECT_TRUE(is_iso8601_utc_millis(entry->updated_at)) << entry->updated_at;
  EXPECT_FALSE(is_iso8601_utc_millis("2026-11-25 16:19:38"));
  EXPECT_LE(entry->created_at, entry->updated_at);
}

TEST_F(LedgerTest, RepeatedIntentReturnsPriorIntentSoCallerMustFind) {
  ledger.record_intent(kPerson, "h1");
  auto prior = ledger.record_intent(kPerson, "h1");
  ASSERT_TRUE(prior);
  EXPECT_EQ(prior->state, LedgerState::intent);
  EXPECT_EQ(prior->attempts, 1);
  EXPECT_EQ(ledger.get(kPerson)->attempts, 2);
}

TEST_F(LedgerTest, DoneWithSamePayloadRefusesNewIntent) {
  ledger.record_intent(kPerson, "h1");
  ledger.mark_done(kPerson, "cand-9");
  try {
    ledger.record_intent(kPerson, "h1");
    FAIL() << "done -> intent with the same payload must be refused";
  } catch (const IllegalTransition& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("p-1"), std::string::npos) << message;
    EXPECT_NE(message.find("already done"), std::string::npos) << message;
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  }
  // The refusal changed nothing.
  auto entry = ledger.get(kPerson);
  EXPECT_EQ(entry->state, LedgerState::done);
  EXPECT_EQ(entry->attempts, 1);
}

TEST_F(LedgerTest, ChangedPayloadIsTheUpdatePathAndKeepsTarget) {
  ledger.record_intent(kPerson, "h1");
  ledger.mark_done(kPerson, "cand-9");
  auto prior = ledger.record_intent(kPerson, "h2");
  ASSERT_TRUE(prior);
  EXPECT_EQ(prior->state, LedgerState::done);
  EXPECT_EQ(prior->payload_hash, "h1");
  auto entry = ledger.get(kPerson);
  EXPECT_EQ(entry->state, LedgerState::intent);
  EXPECT_EQ(entry->payload_hash, "h2");
  EXPECT_EQ(entry->target_id, "cand-9");
  EXPECT_EQ(ledger.target_of(kPerson), "cand-9");
  ledger.mark_done(kPerson, "cand-9", "req-2");
  EXPECT_EQ(ledger.get(kPerson)->attempts, 2);
}

TEST_F(LedgerTest, FailureRecordsVendorDetailsAndCanBeRetried) {
  ledger.record_intent(kPerson, "h1");
  ledger.mark_failed(kPerson, "email is invalid", "invalid_email", "req-7");
  auto entry = ledger.get(kPerson);
  EXPECT_EQ(entry->state, LedgerState::failed);
  EXPECT_EQ(entry->last_error, "email is invalid");
  EXPECT_EQ(entry->vendor_code, "invalid_email");
  EXPECT_EQ(entry->request_id, "req-7");

  auto prior = ledger.record_intent(kPerson, "h1");
  ASSERT_TRUE(prior);
  EXPECT_EQ(prior->state, LedgerState::failed);
  ledger.mark_done(kPerson, "cand-1");
  entry = ledger.get(kPerson);
  EXPECT_EQ(entry->state, LedgerState::done);
  EXPECT_FALSE(entry->last_error);
  EXPECT_FALSE(entry->vendor_code);
  EXPECT_EQ(entry->attempts, 2);
}

TEST_F(LedgerTest, EmptyOptionalFieldsAreStoredAsNull) {
  ledger.record_intent(kPerson, "h1");
  ledger.mark_failed(kPerson, "rejected");
  auto entry = ledger.get(kPerson);
  EXPECT_FALSE(entry->vendor_code);
  EXPECT_FALSE(entry->request_id);
}

TEST_F(LedgerTest, SkipBeforeAnyAttemptAndLaterRetry) {
  ledger.mark_skipped(kPerson, "job 'j-1' is not mapped");
  auto entry = ledger.get(kPerson);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->state, LedgerState::skipped);
  EXPECT_EQ(entry->attempts, 0);
  EXPECT_EQ(entry->last_error, "job 'j-1' is not mapped");
  auto prior = ledger.record_intent(kPerson, "h1");
  ASSERT_TRUE(prior);
  EXPECT_EQ(prior->state, LedgerState::skipped);
  ledger.mark_skipped(kPerson, "still unmapped");
  EXPECT_EQ(ledger.get(kPerson)->last_error, "still unmapped");
}

TEST_F(LedgerTest, OutcomesWithoutIntentAreRefused) {
  EXPECT_THROW(ledger.mark_done(kPerson, "cand-1"), IllegalTransition);
  EXPECT_THROW(ledger.mark_failed(kPerson, "boom"), IllegalTransition);
  EXPECT_FALSE(ledger.get(kPerson));

  ledger.record_intent(kPerson, "h1");
  ledger.mark_done(kPerson, "cand-1");
  EXPECT_THROW(ledger.mark_done(kPerson, "cand-2"), IllegalTransition);
  EXPECT_THROW(ledger.mark_failed(kPerson, "boom"), IllegalTransition);
  EXPECT_THROW(ledger.mark_skipped(kPerson, "why"), IllegalTransition);
  EXPECT_EQ(ledger.target_of(kPerson), "cand-1");

  const LedgerKey other{"lever->ashby", "notes", "n-1"};
  ledger.record_intent(other, "h");
  ledger.mark_failed(other, "bad");
  EXPECT_THROW(ledger.mark_done(other, "note-1"), IllegalTransition);
  EXPECT_THROW(ledger.mark_failed(other, "again"), IllegalTransition);
}

TEST_F(LedgerTest, MissingRequiredFieldsAreRefused) {
  EXPECT_THROW(ledger.record_intent({"s", "persons", ""}, "h"), StoreError);
  EXPECT_THROW(ledger.record_intent(kPerson, ""), StoreError);
  ledger.record_intent(kPerson, "h");
  EXPECT_THROW(ledger.mark_done(kPerson, ""), StoreError);
  EXPECT_THROW(ledger.mark_failed(kPerson, ""), StoreError);
  EXPECT_THROW(ledger.mark_skipped(kPerson, ""), StoreError);
  EXPECT_EQ(ledger.get(kPerson)->state, LedgerState::intent);
}

TEST_F(LedgerTest, StatePersistsAcrossReopen) {
  ledger.record_intent(kPerson, "h1");
  ledger.mark_done(kPerson, "cand-9", "req-1");
  Ledger reopened(file);
  auto entry = reopened.get(kPerson);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->state, LedgerState::done);
  EXPECT_EQ(entry->target_id, "cand-9");
}

TEST_F(LedgerTest, ScopesAndKindsAreSeparate) {
  ledger.record_intent({"run-a", "persons", "k"}, "h");
  ledger.record_intent({"run-b", "persons", "k"}, "h");
  ledger.record_intent({"run-a", "notes", "k"}, "h");
  ledger.mark_done({"run-a", "persons", "k"}, "t-a");
  EXPECT_EQ(ledger.target_of({"run-a", "persons", "k"}), "t-a");
  EXPECT_FALSE(ledger.target_of({"run-b", "persons", "k"}));
  EXPECT_FALSE(ledger.target_of({"run-a", "notes", "k"}));
}

TEST_F(LedgerTest, ForEachStreamsByStateAndAllowsWritesFromCallback) {
  for (int i = 0; i < 5; ++i) {
    const LedgerKey key{"run", "persons", "p-" + std::to_string(i)};
    ledger.record_intent(key, "h");
    if (i % 2 == 0) {
      ledger.mark_done(key, "t-" + std::to_string(i));
    }
  }
  ledger.record_intent({"run", "notes", "n-1"}, "h");

  std::vector<std::string> all;
  ledger.for_each("run", "persons", std::nullopt,
                  [&](const LedgerEntry& entry) { all.push_back(entry.key.source_key); });
  EXPECT_EQ(all, (std::vector<std::string>{"p-0", "p-1", "p-2", "p-3", "p-4"}));

  // Resuming: every row left in `intent` is finished from inside the iteration.
  std::vector<std::string> pending;
  ledger.for_each("run", "persons", LedgerState::intent, [&](const LedgerEntry& entry) {
    pending.push_back(entry.key.source_key);
    ledger.mark_done(entry.key, "found-" + entry.key.source_key);
  });
  EXPECT_EQ(pending, (std::vector<std::string>{"p-1", "p-3"}));
  EXPECT_EQ(ledger.target_of({"run", "persons", "p-3"}), "found-p-3");

  int intents = 0;
  ledger.for_each("run", "persons", LedgerState::intent, [&](const LedgerEntry&) { ++intents; });
  EXPECT_EQ(intents, 0);
}

TEST_F(LedgerTest, CountsPerKindPerState) {
  const std::string scope = "run";
  ledger.record_intent({scope, "persons", "a"}, "h");
  ledger.mark_done({scope, "persons", "a"}, "t");
  ledger.record_intent({scope, "persons", "b"}, "h");
  ledger.record_intent({scope, "persons", "c"}, "h");
  ledger.mark_failed({scope, "persons", "c"}, "bad");
  ledger.mark_skipped({scope, "notes", "n"}, "author unmapped");
  ledger.record_intent({"other", "persons", "x"}, "h");

  auto counts = ledger.counts(scope);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts["persons"], (StateCounts{.intent = 1, .done = 1, .failed = 1, .skipped = 0}));
  EXPECT_EQ(counts["notes"], (StateCounts{.intent = 0, .done = 0, .failed = 0, .skipped = 1}));
  EXPECT_EQ(counts["persons"].total(), 3);
  EXPECT_TRUE(ledger.counts("nobody").empty());
}

TEST(LedgerStateNames, RoundTrip) {
  for (auto state :
       {LedgerState::intent, LedgerState::done, LedgerState::failed, LedgerState::skipped}) {
    EXPECT_EQ(parse_ledger_state(to_string(state)), state);
  }
  EXPECT_FALSE(parse_ledger_state("planned"));
}

TEST_F(LedgerTest, EightThreadsWritingDistinctKeysAllLand) {
  constexpr int kThreads = 8;
  constexpr int kKeysPerThread = 150;
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([this, t] {
      for (int i = 0; i < kKeysPerThread; ++i) {
        const LedgerKey key{"run", "persons", std::to_string(t) + "-" + std::to_string(i)};
        EXPECT_FALSE(ledger.record_intent(key, "h"));
        if (i % 10 == 9) {
          ledger.mark_failed(key, "rejected", "E1");
        } else {
          ledger.mark_done(key, "t-" + key.source_key);
        }
        // Readers interleave with the writers.
        EXPECT_TRUE(ledger.get(key));
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  auto counts = ledger.counts("run")["persons"];
  EXPECT_EQ(counts.total(), kThreads * kKeysPerThread);
  EXPECT_EQ(counts.failed, kThreads * kKeysPerThread / 10);
  EXPECT_EQ(counts.intent, 0);
  std::set<std::string> seen;
  ledger.for_each("run", "persons", LedgerState::done, [&](const LedgerEntry& entry) {
    EXPECT_EQ(entry.target_id, "t-" + entry.key.source_key);
    seen.insert(entry.key.source_key);
  });
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(counts.done));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kKeysPerThread; ++i) {
      if (i % 10 != 9) {
        EXPECT_TRUE(seen.count(std::to_string(t) + "-" + std::to_string(i)));
      }
    }
  }
}

TEST_F(LedgerTest, TwoConnectionsToOneFileShareState) {
  Ledger second(file);
  ledger.record_intent(kPerson, "h1");
  auto prior = second.record_intent(kPerson, "h1");
  ASSERT_TRUE(prior);
  EXPECT_EQ(prior->state, LedgerState::intent);
  second.mark_done(kPerson, "cand-3");
  EXPECT_EQ(ledger.target_of(kPerson), "cand-3");
}

}  // namespace
}  // namespace atsm::store
