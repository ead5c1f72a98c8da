// The exactly-once protocol driven in-process: extract, plan and load against the scripted fake
// source and sink (fake_connectors.hpp), with a real staging store and ledger (SQLite files in a
// temp dir). Each test is one case of the protocol or one fault; the expected outcomes are the
// protocol's (core/pipeline/ledger_protocol.hpp, sdk/docs/sink-protocol.md §2), observed from the
// outside: what the sink was handed, what it holds, and what the ledger says.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fake_connectors.hpp"
#include "net/test_support.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/load.hpp"
#include "pipeline/migration.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/reconcile.hpp"
#include "pipeline/session.hpp"
#include "services/store/ledger.hpp"
#include "services/store/staging.hpp"

namespace {

namespace json = boost::json;
namespace fake = atsm::testing::fake;
using atsm::pipeline::LoadOptions;
using atsm::pipeline::LoadStats;
using atsm::pipeline::Session;
using atsm::pipeline::SessionOptions;
using atsm::store::LedgerEntry;
using atsm::store::LedgerState;

const std::string kScope = std::string("sink:") + fake::kSinkName;

std::string key(const std::string& kind, int n) {
  return std::string(fake::kSourceName) + ":" + kind + ":" + std::to_string(n);
}

json::object person(int n, const std::string& email = "", const std::string& updated_at = "") {
  json::object record{{"kind", "person"},
                      {"source", fake::kSourceName},
                      {"source_key", key("person", n)},
                      {"name", "Person " + std::to_string(n)}};
  if (!email.empty())
    record["emails"] = json::array{json::object{{"address", email}}};
  if (!updated_at.empty())
    record["updated_at"] = updated_at;
  return record;
}

json::object hanging_off(const std::string& kind, int n, int person_n) {
  return {{"kind", kind},
          {"source", fake::kSourceName},
          {"source_key", key(kind, n)},
          {"person_key", key("person", person_n)}};
}

json::object candidacy(int n, int person_n) {
  json::object record = hanging_off("candidacy", n, person_n);
  record["status"] = "active";
  return record;
}

json::object note(int n, int person_n) {
  json::object record = hanging_off("note", n, person_n);
  record["body"] = "note " + std::to_string(n);
  record["body_format"] = "text";
  return record;
}

class InProcessLoad : public ::testing::Test {
 protected:
  void SetUp() override { fake::reset(); }

  SessionOptions options() const {
    SessionOptions result;
    result.source = fake::kSourceName;
    result.sink = fake::kSinkName;
    result.work_dir = dir_.path() / "work";
    result.in_process_connectors = {&fake::source_entry, &fake::sink_entry};
    return result;
  }

  static void stage(const json::object& record) {
    std::lock_guard lock(fake::mutex());
    fake::script().records[std::string(record.at("kind").as_string())].push_back(record);
  }
  static void answer(const std::string& kind, const std::string& source_key, fake::Answer reply) {
    std::lock_guard lock(fake::mutex());
    fake::script().answers[{kind, source_key}].push_back(std::move(reply));
  }
  static fake::Answer reply(std::string status, std::string message = "scripted",
                            std::string vendor_code = "", bool creates = false) {
    return {std::move(status), std::move(message), std::move(vendor_code), creates};
  }
  static fake::Script& sink() { return fake::script(); }  // read after a run only

  // The mapping file's options (the work dir's own mapping.json, which the plan reads).
  void set_options(const json::object& migration_options) {
    Session session(options());  // creates the work dir, private
    atsm::pipeline::write_private_file(
        session.work_dir().starter_mapping(),
        json::serialize(json::object{{"options", migration_options}}));
  }

  // One migration as `atsmigrate migrate` runs it (extraction first): extract, plan, load.
  // `batch_size`: items per write call (the load's default when 0).
  LoadStats migrate(unsigned max_attempts = 6, size_t batch_size = 0) {
    Session session(options());
    extracted_ = atsm::pipeline::extract(session);
    atsm::pipeline::Plan plan = atsm::pipeline::make_plan(session);
    LoadOptions load;
    if (batch_size > 0)
      load.batch_size = batch_size;
    load.workers = 1;
    load.max_attempts = max_attempts;
    load.retry_pause = std::chrono::milliseconds(1);
    return atsm::pipeline::load(session, plan, load);
  }

  std::optional<LedgerEntry> row(const std::string& kind, const std::string& source_key) const {
    atsm::store::Ledger ledger(dir_.path() / "work" / "ledger.sqlite");
    return ledger.get({kScope, kind, source_key});
  }

  // What a crash between recording the intent and hearing the sink leaves: the intent alone.
  void crash_after_intent(const std::string& kind, const std::string& source_key) {
    Session session(options());
    session.ledger().record_intent({kScope, kind, source_key}, "hash-of-the-lost-attempt");
  }

  atsm::net::testing::TempDir dir_;
  atsm::pipeline::ExtractStats extracted_;  // the last migrate()'s extraction
};

TEST_F(InProcessLoad, AFirstRunCreatesEachRecordOnceAndASecondRunFindsThemUnchanged) {
  stage(person(1));
  stage(note(1, 1));
  LoadStats first = migrate();
  EXPECT_EQ(first.kinds["person"].created, 1);
  EXPECT_EQ(first.kinds["note"].created, 1);
  EXPECT_EQ(sink().created, 2);
  ASSERT_TRUE(row("person", key("person", 1)));
  EXPECT_EQ(row("person", key("person", 1))->state, LedgerState::done);
  EXPECT_EQ(row("person", key("person", 1))->target_id,
            sink().objects.at({"person", key("person", 1)}));
  // A first write of a record this ledger never saw does not look it up first.
  EXPECT_FALSE(sink().received_for("person", key("person", 1)).front().lookup_first());

  LoadStats second = migrate();
  EXPECT_EQ(second.kinds["person"].unchanged, 1);
  EXPECT_EQ(second.kinds["note"].unchanged, 1);
  EXPECT_EQ(second.kinds["person"].created + second.kinds["person"].updated, 0);
  EXPECT_EQ(sink().created, 2);
  EXPECT_EQ(sink().received.size(), 2u);  // nothing handed to the sink again
}

TEST_F(InProcessLoad, AnIntentLeftByACrashIsLookedUpFirstAndTheSinkAdoptsWhatTheWriteCreated) {
  stage(person(1));
  crash_after_intent("person", key("person", 1));
  sink().objects[{"person", key("person", 1)}] = "T-earlier";  // the lost attempt's object
  LoadStats stats = migrate();
  auto handed = sink().received_for("person", key("person", 1));
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_TRUE(handed.front().lookup_first());
  EXPECT_EQ(sink().created, 0);
  EXPECT_EQ(stats.adopted, 1);
  EXPECT_EQ(row("person", key("person", 1))->state, LedgerState::done);
  EXPECT_EQ(row("person", key("person", 1))->target_id, "T-earlier");
}

TEST_F(InProcessLoad, AnIntentLeftByACrashWhoseWriteNeverLandedIsWrittenOnce) {
  stage(person(1));
  crash_after_intent("person", key("person", 1));
  migrate();
  auto handed = sink().received_for("person", key("person", 1));
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_TRUE(handed.front().lookup_first());  // the lookup misses, so the sink writes it
  EXPECT_EQ(sink().created, 1);
  EXPECT_EQ(row("person", key("person", 1))->state, LedgerState::done);
}

TEST_F(InProcessLoad, ALostAnswerIsWrittenAgainLookingUpFirstAndAdoptedNotDuplicated) {
  stage(person(1));
  answer("person", key("person", 1), reply("ambiguous", "scripted", "", true));
  LoadStats stats = migrate();
  auto handed = sink().received_for("person", key("person", 1));
  ASSERT_EQ(handed.size(), 2u);
  EXPECT_FALSE(handed[0].lookup_first());
  EXPECT_TRUE(handed[1].lookup_first());
  EXPECT_EQ(handed[1].attempt(), 2);
  EXPECT_EQ(sink().created, 1);
  EXPECT_EQ(stats.adopted, 1);
  EXPECT_EQ(row("person", key("person", 1))->target_id, "T-1");
}

TEST_F(InProcessLoad, ATransientFailureIsRetriedLookingUpFirstAndSucceeds) {
  stage(person(1));
  answer("person", key("person", 1), reply("retry"));
  answer("person", key("person", 1), reply("rate_limited"));
  LoadStats stats = migrate();
  auto handed = sink().received_for("person", key("person", 1));
  ASSERT_EQ(handed.size(), 3u);
  EXPECT_TRUE(handed[1].lookup_first());
  EXPECT_TRUE(handed[2].lookup_first());
  EXPECT_EQ(stats.kinds["person"].failed, 0);
  EXPECT_EQ(sink().created, 1);
  EXPECT_EQ(row("person", key("person", 1))->state, LedgerState::done);
}

TEST_F(InProcessLoad, TransientFailuresUpToTheLastAttemptFailTheRecord) {
  stage(person(1));
  for (int i = 0; i < 3; ++i)
    answer("person", key("person", 1), reply("retry", "try later"));
  LoadStats stats = migrate(/*max_attempts=*/3);
  EXPECT_EQ(sink().received_for("person", key("person", 1)).size(), 3u);
  EXPECT_EQ(stats.kinds["person"].failed, 1);
  ASSERT_EQ(stats.failures.size(), 1u);
  EXPECT_EQ(stats.failures.front().status, "retry");
  EXPECT_EQ(row("person", key("person", 1))->state, LedgerState::failed);
}

TEST_F(InProcessLoad, APermanentFailureFailsTheRecordAtOnceAndTheNextRunLooksItUpFirst) {
  stage(person(1));
  answer("person", key("person", 1), reply("permanent", "refused", "invalid_email"));
  LoadStats stats = migrate();
  EXPECT_EQ(sink().received_for("person", key("person", 1)).size(), 1u);
  ASSERT_EQ(stats.failures.size(), 1u);
  EXPECT_EQ(stats.failures.front().status, "permanent");
  EXPECT_EQ(stats.failures.front().vendor_code, "invalid_email");
  std::optional<LedgerEntry> failed = row("person", key("person", 1));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state, LedgerState::failed);
  EXPECT_EQ(failed->vendor_code, "invalid_email");

  migrate();
  auto handed = sink().received_for("person", key("person", 1));
  ASSERT_EQ(handed.size(), 2u);
  EXPECT_TRUE(handed[1].lookup_first());
  EXPECT_EQ(row("person", key("person", 1))->state, LedgerState::done);
}

TEST_F(InProcessLoad, AChangedPayloadUpdatesTheObjectWrittenBefore) {
  stage(person(1));
  migrate();
  std::string target = *row("person", key("person", 1))->target_id;
  {
    std::lock_guard lock(fake::mutex());
    fake::script().records["person"] = json::array{person(1)};
    fake::script().records["person"][0].as_object()["name"] = "Renamed";
  }
  // A fresh read of the source (a new work dir's staging would do the same): the kind again.
  {
    Session session(options());
    session.staging().put_batch(fake::kSourceName, "person", {}, std::string());
  }
  LoadStats stats = migrate();
  EXPECT_EQ(stats.kinds["person"].updated, 1);
  auto handed = sink().received_for("person", key("person", 1));
  ASSERT_EQ(handed.size(), 2u);
  EXPECT_EQ(std::string(handed[1].item.at("target_id").as_string()), target);
  EXPECT_EQ((sink().updates[{"person", target}]), 1);
  EXPECT_EQ(sink().created, 1);
  EXPECT_EQ(row("person", key("person", 1))->target_id, target);
}

TEST_F(InProcessLoad, PersonsSharingAnEmailAreOneWriteAndTheOtherRecordIsCoveredByItsTarget) {
  stage(person(1, "Ada@Example.com", "2024-01-01T00:00:00Z"));
  stage(person(2, "ada@example.com ", "2025-01-01T00:00:00Z"));
  LoadStats stats = migrate();
  EXPECT_EQ(sink().created, 1);
  ASSERT_EQ(sink().received.size(), 1u);
  // The newest record is the candidate; the other rides along as its group.
  const json::object& item = sink().received.front().item;
  EXPECT_EQ(item.at("record").as_object().at("source_key"), json::value(key("person", 2)));
  ASSERT_EQ(item.at("group").as_array().size(), 1u);
  EXPECT_EQ(item.at("group").as_array()[0].as_object().at("source_key"),
            json::value(key("person", 1)));
  EXPECT_EQ(stats.kinds["person"].merged, 1);
  // Both records are done, under the one target.
  std::string target = sink().objects.begin()->second;
  for (int n : {1, 2}) {
    std::optional<LedgerEntry> done = row("person", key("person", n));
    ASSERT_TRUE(done) << n;
    EXPECT_EQ(done->state, LedgerState::done);
    EXPECT_EQ(done->target_id, target);
  }
}

TEST_F(InProcessLoad, InterviewsOfOneCandidacyAreOneWriteAndEachInterviewIsCovered) {
  stage(person(1));
  stage(candidacy(1, 1));
  for (int n : {1, 2}) {
    json::object interview = hanging_off("interview", n, 1);
    interview["candidacy_key"] = key("candidacy", 1);
    stage(interview);
  }
  migrate();
  EXPECT_TRUE(extracted_.rejected.empty());
  EXPECT_EQ(sink().received_for("candidacy", key("candidacy", 1)).size(), 1u);
  std::size_t interview_writes = 0;
  for (const fake::Received& one : sink().received)
    interview_writes += one.kind == "interview";
  EXPECT_EQ(interview_writes, 1u);
  std::string target = sink().objects.at({"interview", key("candidacy", 1) + "#interviews"});
  for (int n : {1, 2}) {
    std::optional<LedgerEntry> covered = row("interview", key("interview", n));
    ASSERT_TRUE(covered) << n;
    EXPECT_EQ(covered->state, LedgerState::done);
    EXPECT_EQ(covered->target_id, target);
  }
}

// Writes kept in flight across kinds (load.hpp, WritesInFlight): while the write of an owner
// stalls, the next kind's writes go on, and a record pointing at the stalled owner waits for it,
// then goes with the owner's target id.
class WritesAcrossKinds : public InProcessLoad {
 protected:
  LoadStats migrate_with_writers(unsigned workers, int64_t chunk_records = 2) {
    Session session(options());
    extracted_ = atsm::pipeline::extract(session);
    atsm::pipeline::Plan plan = atsm::pipeline::make_plan(session);
    LoadOptions load;
    load.workers = workers;
    load.chunk_records = chunk_records;  // 2: several chunks per kind
    load.retry_pause = std::chrono::milliseconds(1);
    return atsm::pipeline::load(session, plan, load);
  }
  static void hold(const std::string& kind, const std::string& source_key,
                   const std::string& until_kind, const std::string& until_key) {
    std::lock_guard lock(fake::mutex());
    fake::script().hold_until[{kind, source_key}] = {until_kind, until_key};
  }
  static std::ptrdiff_t event(const std::string& what) {
    const std::vector<std::string>& events = sink().events;
    auto found = std::find(events.begin(), events.end(), what);
    return found == events.end() ? -1 : found - events.begin();
  }
  static std::string ref(const fake::Received& received, const std::string& source_key) {
    const json::value* target = received.item.at("refs").as_object().if_contains(source_key);
    return target && target->is_string() ? std::string(target->as_string()) : std::string();
  }
};

TEST_F(WritesAcrossKinds, ChildrenWaitForTheirStalledOwnerWhileTheOthersAreWritten) {
  for (int n = 1; n <= 6; ++n) {
    stage(person(n));
    stage(candidacy(n, n));
    stage(note(n, n));
  }
  // Person 1's write stalls until candidacy 6 reaches the sink: candidacies are read and written
  // while a person's write is still in flight.
  hold("person", key("person", 1), "candidacy", key("candidacy", 6));
  LoadStats stats = migrate_with_writers(3);
  EXPECT_TRUE((sink().hold_met[{"person", key("person", 1)}]))
      << "the next kind waited for the stalled write";
  EXPECT_EQ(stats.kinds["person"].created, 6);
  EXPECT_EQ(stats.kinds["candidacy"].created, 6);
  EXPECT_EQ(stats.kinds["note"].created, 6);
  EXPECT_EQ(sink().created, 18);
  for (int n = 1; n <= 6; ++n) {
    const std::string owner = key("person", n);
    for (const char* kind : {"candidacy", "note"}) {
      std::vector<fake::Received> handed = sink().received_for(kind, key(kind, n));
      ASSERT_EQ(handed.size(), 1u) << kind << " " << n << " is written exactly once";
      EXPECT_EQ(ref(handed.front(), owner), sink().objects.at({"person", owner}))
          << kind << " " << n << " goes with its person's target";
      std::optional<LedgerEntry> done = row(kind, key(kind, n));
      ASSERT_TRUE(done);
      EXPECT_EQ(done->state, LedgerState::done);
    }
  }
  // The stalled person's children reached the sink only after its answer.
  std::ptrdiff_t answered = event("answered person " + key("person", 1));
  ASSERT_GE(answered, 0);
  EXPECT_GT(event("handed candidacy " + key("candidacy", 1)), answered);
  EXPECT_GT(event("handed note " + key("note", 1)), answered);
  EXPECT_LT(event("handed candidacy " + key("candidacy", 6)), answered);
}

TEST_F(WritesAcrossKinds, AStalledWriteHoldsNoOtherItemOfItsKind) {
  // Person 1's write stalls until person 8 reaches the sink: the other seven are written by the
  // other writer meanwhile, none of them queued behind the stalled one in its write call.
  for (int n = 1; n <= 8; ++n)
    stage(person(n));
  hold("person", key("person", 1), "person", key("person", 8));
  LoadStats stats = migrate_with_writers(2, 64);  // all eight queued at once
  EXPECT_TRUE((sink().hold_met[{"person", key("person", 1)}]))
      << "person 8 waited for the stalled write";
  EXPECT_EQ(stats.kinds["person"].created, 8);
  std::ptrdiff_t stalled = event("answered person " + key("person", 1));
  ASSERT_GE(stalled, 0);
  for (int n = 2; n <= 8; ++n)
    EXPECT_LT(event("answered person " + key("person", n)), stalled)
        << "person " << n << " was answered while person 1's write hung";
}

TEST_F(WritesAcrossKinds, ARecordThatWaitedGoesAheadOfTheWorkQueuedMeanwhile) {
  // Candidacy 1 waits for person 1, whose write stalls until note 10 reaches the sink; sixty notes
  // of the other persons are queued meanwhile. Once person 1 is answered, its candidacy is written
  // before the notes still queued, not after them.
  for (int n = 1; n <= 6; ++n)
    stage(person(n));
  stage(candidacy(1, 1));
  constexpr int kNotes = 60;
  for (int n = 1; n <= kNotes; ++n)
    stage(note(n, 2 + n % 5));
  hold("person", key("person", 1), "note", key("note", 10));
  {
    // Each answer takes a moment, as a vendor's does: the record taken again must get ahead of
    // fifty queued notes, not win a race against writers answering in microseconds.
    std::lock_guard lock(fake::mutex());
    sink().write_latency = std::chrono::milliseconds(5);
  }
  migrate_with_writers(2, 64);  // the notes queued in one read
  EXPECT_TRUE((sink().hold_met[{"person", key("person", 1)}]));
  std::ptrdiff_t owner = event("answered person " + key("person", 1));
  std::ptrdiff_t waited = event("handed candidacy " + key("candidacy", 1));
  ASSERT_GE(owner, 0);
  EXPECT_GT(waited, owner) << "it went with its person's target";
  EXPECT_LT(waited, event("handed note " + key("note", kNotes)))
      << "it went ahead of the notes queued while it waited";
  ASSERT_EQ(sink().received_for("candidacy", key("candidacy", 1)).size(), 1u);
  EXPECT_EQ(ref(sink().received_for("candidacy", key("candidacy", 1)).front(), key("person", 1)),
            sink().objects.at({"person", key("person", 1)}));
}

// Departments nest (parent_key). Each waits for its own parent's write only: a parent whose write
// hangs holds up neither its siblings nor the kinds loaded after departments, and a child (staged
// before its parent here) goes with its parent's target.
TEST_F(WritesAcrossKinds, ANestedRecordWaitsForItsParentOnlyNotForTheWholeKind) {
  auto department = [](int n, int parent) {
    json::object record{{"kind", "department"},
                        {"source", fake::kSourceName},
                        {"source_key", key("department", n)},
                        {"name", "Department " + std::to_string(n)}};
    if (parent > 0)
      record["parent_key"] = key("department", parent);
    return record;
  };
  stage(department(4, 3));  // grandchild, staged first
  stage(department(3, 1));
  stage(department(2, 0));
  stage(department(1, 0));
  for (int n = 1; n <= 3; ++n)
    stage(person(n));
  // Department 1's write hangs until person 3 reaches the sink.
  hold("department", key("department", 1), "person", key("person", 3));
  LoadStats stats = migrate_with_writers(3);
  EXPECT_TRUE((sink().hold_met[{"department", key("department", 1)}]))
      << "the persons waited for the hanging department";
  EXPECT_EQ(stats.kinds["department"].created, 4);
  EXPECT_EQ(stats.kinds["person"].created, 3);
  std::ptrdiff_t parent = event("answered department " + key("department", 1));
  ASSERT_GE(parent, 0);
  EXPECT_LT(event("answered department " + key("department", 2)), parent)
      << "its sibling was written while it hung";
  std::ptrdiff_t child = event("handed department " + key("department", 3));
  EXPECT_GT(child, parent);
  EXPECT_GT(event("handed department " + key("department", 4)),
            event("answered department " + key("department", 3)));
  for (int n : {3, 4}) {
    std::vector<fake::Received> handed = sink().received_for("department", key("department", n));
    ASSERT_EQ(handed.size(), 1u);
    std::string parent_key = key("department", n == 3 ? 1 : 3);
    EXPECT_EQ(ref(handed.front(), parent_key), sink().objects.at({"department", parent_key}));
  }
}

TEST_F(WritesAcrossKinds, AnInterviewGroupWaitingForItsCandidacyIsStillOneWrite) {
  for (int n = 1; n <= 2; ++n) {
    stage(person(n));
    stage(candidacy(n, n));
  }
  for (int n = 1; n <= 3; ++n) {
    // Interviews 1 and 2 belong to candidacy 1, interview 3 to candidacy 2.
    int owner = n <= 2 ? 1 : 2;
    json::object interview = hanging_off("interview", n, owner);
    interview["candidacy_key"] = key("candidacy", owner);
    stage(interview);
  }
  hold("candidacy", key("candidacy", 1), "interview", key("candidacy", 2) + "#interviews");
  migrate_with_writers(3);
  EXPECT_TRUE((sink().hold_met[{"candidacy", key("candidacy", 1)}]));
  std::vector<fake::Received> note =
      sink().received_for("interview", key("candidacy", 1) + "#interviews");
  ASSERT_EQ(note.size(), 1u) << "one note for the candidacy's interviews";
  EXPECT_EQ(note.front().item.at("group").as_array().size(), 1u) << "both interviews in it";
  EXPECT_EQ(ref(note.front(), key("candidacy", 1)),
            sink().objects.at({"candidacy", key("candidacy", 1)}));
  EXPECT_GT(event("handed interview " + key("candidacy", 1) + "#interviews"),
            event("answered candidacy " + key("candidacy", 1)));
  std::string target = sink().objects.at({"interview", key("candidacy", 1) + "#interviews"});
  for (int n : {1, 2}) {
    std::optional<LedgerEntry> covered = row("interview", key("interview", n));
    ASSERT_TRUE(covered) << n;
    EXPECT_EQ(covered->state, LedgerState::done);
    EXPECT_EQ(covered->target_id, target);
  }
}

// The kinds that grow with the account are read from staging in chunks (LoadOptions::
// chunk_records), files and interviews too: what is held at once stays bounded, and what an item
// gathers (a candidate's copies of the same bytes, a candidacy's interviews) is still gathered
// across chunks.
class LoadChunks : public WritesAcrossKinds {
 protected:
  // Bytes in the work dir's blob store, as the source's download leaves them; their SHA-256.
  std::string blob(const std::string& bytes) {
    Session session(options());
    return session.blobs().put(bytes);
  }
  static json::object file(int n, int person_n, const std::string& sha256) {
    json::object record = hanging_off("file", n, person_n);
    record["file_name"] = "file-" + std::to_string(n) + ".pdf";
    record["sha256"] = sha256;
    return record;
  }
  static json::object interview(int n, int candidacy_n) {
    json::object record = hanging_off("interview", n, candidacy_n);
    record["candidacy_key"] = key("candidacy", candidacy_n);
    return record;
  }
  // The records the load may hold at once: its queue (64 items at least), one chunk being read
  // (a grouped kind's chunk ends at its group's end: one more item), and the writers' items, each
  // item of `records_per_item`.
  static std::size_t bound(int64_t chunk_records, unsigned workers,
                           std::size_t records_per_item = 1) {
    return (64 + static_cast<std::size_t>(chunk_records) + 1 + workers) * records_per_item;
  }
  // Puts `record` straight into the staging store: a kind the fake source does not read (users,
  // sources), or a record a later extraction would stage (the fake reads each kind once).
  void put_staged(const json::object& record) {
    Session session(options());
    std::vector<atsm::store::RecordToStage> batch{
        {std::string(record.at("source_key").as_string()), json::serialize(record), "{}"}};
    session.staging().put_batch(fake::kSourceName, std::string(record.at("kind").as_string()),
                                batch, std::nullopt);
  }
  static std::size_t uploads(const std::string& person_key, const std::string& sha256) {
    std::size_t count = 0;
    for (const fake::Received& one : sink().received) {
      const json::object& record = one.item.at("record").as_object();
      count += one.kind == "file" && record.at("person_key") == json::value(person_key) &&
               record.at("sha256") == json::value(sha256);
    }
    return count;
  }
};

TEST_F(LoadChunks, ACandidatesCopiesOfTheSameBytesInDifferentChunksAreUploadedOnce) {
  for (int n = 1; n <= 3; ++n)
    stage(person(n));
  const std::string resume = blob("person 1's resume");
  const std::string letter = blob("a cover letter");
  // Person 1's copies of its resume and of the letter lie apart, two records a chunk, between the
  // other persons' files; person 3 has the letter too (another candidate: its own upload).
  std::vector<std::pair<int, std::string>> files;  // person, bytes
  for (int round = 1; round <= 4; ++round) {
    files.emplace_back(1, resume);
    files.emplace_back(2, blob("person 2's file " + std::to_string(round)));
    files.emplace_back(3, letter);
    files.emplace_back(1, letter);
  }
  for (std::size_t n = 0; n < files.size(); ++n)
    stage(file(static_cast<int>(n + 1), files[n].first, files[n].second));
  LoadStats stats = migrate_with_writers(2, 2);
  EXPECT_EQ(uploads(key("person", 1), resume), 1u);
  EXPECT_EQ(uploads(key("person", 1), letter), 1u);
  EXPECT_EQ(uploads(key("person", 3), letter), 1u);
  EXPECT_EQ(stats.kinds["file"].created, 3 + 4);  // person 2's four files are all different
  EXPECT_EQ(stats.kinds["file"].failed, 0);
  // Every copy is done, under its candidate's one upload of those bytes.
  std::map<std::pair<int, std::string>, std::string> target;
  for (std::size_t n = 0; n < files.size(); ++n) {
    std::optional<LedgerEntry> done = row("file", key("file", static_cast<int>(n + 1)));
    ASSERT_TRUE(done && done->target_id) << "file " << n + 1;
    EXPECT_EQ(done->state, LedgerState::done);
    auto [it, first] = target.emplace(files[n], *done->target_id);
    EXPECT_EQ(it->second, *done->target_id) << "file " << n + 1;
  }
}

TEST_F(LoadChunks, TheFilesHeldAtOnceStayBoundedWhateverTheirNumber) {
  // The person is written by a first run, so no file waits for it: files that wait for their
  // person's write are read back together when it ends (a loaded machine made that the peak).
  stage(person(1));
  migrate_with_writers(1, 4);
  constexpr int kFiles = 160;
  for (int n = 1; n <= kFiles; ++n)
    put_staged(file(n, 1, blob("file " + std::to_string(n))));
  LoadStats stats = migrate_with_writers(1, 4);
  EXPECT_EQ(stats.kinds["file"].created, kFiles);
  EXPECT_LE(stats.peak_records_held, bound(4, 1)) << "the files were read whole";
  EXPECT_GT(stats.peak_records_held, 0u);
}

TEST_F(LoadChunks, ACandidacysInterviewsInDifferentChunksAreStillOneNote) {
  for (int n = 1; n <= 3; ++n) {
    stage(person(n));
    stage(candidacy(n, n));
  }
  // Staged interleaved (as a source that lists interviews by date stages them): with two records
  // a chunk, no candidacy's interviews lie within one chunk.
  const std::vector<int> of_candidacy = {1, 2, 3, 1, 2, 3, 1};
  for (std::size_t n = 0; n < of_candidacy.size(); ++n)
    stage(interview(static_cast<int>(n + 1), of_candidacy[n]));
  LoadStats stats = migrate_with_writers(2, 2);
  EXPECT_EQ(stats.kinds["interview"].created, 3);
  for (int c = 1; c <= 3; ++c) {
    std::string note_key = key("candidacy", c) + "#interviews";
    std::vector<fake::Received> notes = sink().received_for("interview", note_key);
    ASSERT_EQ(notes.size(), 1u) << "one note for candidacy " << c;
    std::size_t interviews =
        static_cast<std::size_t>(std::count(of_candidacy.begin(), of_candidacy.end(), c));
    const json::value* group = notes.front().item.if_contains("group");
    EXPECT_EQ(group ? group->as_array().size() : 0u, interviews - 1)
        << "every interview of candidacy " << c << " in its note";
    std::string target = sink().objects.at({"interview", note_key});
    for (std::size_t n = 0; n < of_candidacy.size(); ++n) {
      if (of_candidacy[n] != c)
        continue;
      std::optional<LedgerEntry> covered =
          row("interview", key("interview", static_cast<int>(n + 1)));
      ASSERT_TRUE(covered) << n + 1;
      EXPECT_EQ(covered->state, LedgerState::done);
      EXPECT_EQ(covered->target_id, target);
    }
  }
}

TEST_F(LoadChunks, TheInterviewsHeldAtOnceStayBoundedWhateverTheirNumber) {
  constexpr int kCandidacies = 100;
  for (int n = 1; n <= kCandidacies; ++n) {
    stage(person(n));
    stage(candidacy(n, n));
  }
  for (int n = 1; n <= 2 * kCandidacies; ++n)
    stage(interview(n, 1 + n % kCandidacies));  // two per candidacy, apart
  LoadStats stats = migrate_with_writers(1, 4);
  EXPECT_EQ(stats.kinds["interview"].created, kCandidacies);
  EXPECT_LE(stats.peak_records_held, bound(4, 1, 2)) << "the interviews were read whole";
}

// What the load looks up per record (what it took of a kind, the files it uploaded, the persons'
// first candidacies) is kept on disk, not in memory: the keys it remembers stay bounded.
TEST_F(LoadChunks, TheKeysRememberedStayBoundedWhateverTheNumberOfPersons) {
  constexpr int kPersons = 60;
  for (int n = 1; n <= kPersons; ++n) {
    stage(person(n));
    json::object owned = candidacy(n, n);
    owned["created_at"] = "2026-01-01T00:00:00.000Z";
    stage(owned);
    stage(note(n, n));
  }
  LoadStats stats = migrate_with_writers(1, 4);
  EXPECT_EQ(stats.kinds["person"].created, kPersons);
  EXPECT_EQ(stats.kinds["candidacy"].created, kPersons);
  EXPECT_EQ(stats.kinds["note"].created, kPersons);
  EXPECT_LE(stats.peak_keys_remembered, 4u) << "a key per person or record was kept";
}

TEST_F(LoadChunks, TheKeysRememberedStayBoundedWhateverTheNumberOfFiles) {
  stage(person(1));
  constexpr int kFiles = 60;
  for (int n = 1; n <= kFiles; ++n)
    stage(file(n, 1, blob("file " + std::to_string(n))));
  LoadStats stats = migrate_with_writers(1, 4);
  EXPECT_EQ(stats.kinds["file"].created, kFiles);
  EXPECT_LE(stats.peak_keys_remembered, 4u) << "a key per file was kept";
}

TEST_F(LoadChunks, BytesAnEarlierRunUploadedAreNotUploadedAgainForANewCopy) {
  stage(person(1));
  stage(person(2));
  const std::string resume = blob("a resume");
  stage(file(1, 1, resume));
  stage(file(2, 2, blob("another file")));
  migrate_with_writers(1, 2);
  ASSERT_EQ(uploads(key("person", 1), resume), 1u);
  // The next run finds another copy of the same bytes for the same candidate, among new files.
  put_staged(file(3, 2, blob("a third file")));
  put_staged(file(4, 1, resume));
  LoadStats second = migrate_with_writers(1, 2);
  EXPECT_EQ(uploads(key("person", 1), resume), 1u) << "uploaded again";
  EXPECT_EQ(second.kinds["file"].created, 1);
  EXPECT_EQ(second.kinds["file"].merged, 1);
  std::optional<LedgerEntry> first = row("file", key("file", 1));
  std::optional<LedgerEntry> copy = row("file", key("file", 4));
  ASSERT_TRUE(first && copy);
  EXPECT_EQ(copy->state, LedgerState::done);
  EXPECT_EQ(copy->target_id, first->target_id);
}

// A candidate's source and credited user come from the earliest candidacy of its person's group
// (docs/mapping.md §3), wherever the candidacies lie in the staging store.
TEST_F(LoadChunks, ACandidatesSourceAndCreditedUserComeFromItsEarliestCandidacy) {
  sink().catalog = json::object{
      {"source", json::array{json::object{{"id", "S-referral"}, {"name", "Referral"}},
                             json::object{{"id", "S-job-board"}, {"name", "Job board"}}}},
      {"user",
       json::array{json::object{{"id", "U-ada"}, {"name", "Ada"}, {"email", "ada@x.example"}},
                   json::object{{"id", "U-bob"}, {"name", "Bob"}, {"email", "bob@x.example"}}}}};
  put_staged({{"kind", "source"},
              {"source", fake::kSourceName},
              {"source_key", key("source", 1)},
              {"name", "Referral"}});
  put_staged({{"kind", "source"},
              {"source", fake::kSourceName},
              {"source_key", key("source", 2)},
              {"name", "Job board"}});
  put_staged({{"kind", "user"},
              {"source", fake::kSourceName},
              {"source_key", key("user", 1)},
              {"name", "Ada"},
              {"email", "ada@x.example"}});
  put_staged({{"kind", "user"},
              {"source", fake::kSourceName},
              {"source_key", key("user", 2)},
              {"name", "Bob"},
              {"email", "bob@x.example"}});
  // Persons 3 and 4 are one candidate (the same email); person 4's candidacy is the earliest.
  stage(person(1));
  stage(person(2));
  stage(person(3, "same@x.example"));
  stage(person(4, "same@x.example"));
  auto candidacy_of = [](int n, int person_n, const char* created_at, int source_n, int user_n) {
    json::object record = candidacy(n, person_n);
    record["created_at"] = created_at;
    record["sources"] = json::array{json::object{{"source_key", key("source", source_n)}}};
    record["credited_to_user_key"] = key("user", user_n);
    return record;
  };
  stage(candidacy_of(1, 1, "2026-03-01T00:00:00.000Z", 1, 1));
  stage(candidacy_of(2, 2, "2026-02-01T00:00:00.000Z", 1, 1));
  stage(candidacy_of(3, 3, "2026-02-01T00:00:00.000Z", 1, 1));
  stage(candidacy_of(4, 1, "2026-01-01T00:00:00.000Z", 2, 2));  // person 1's earliest
  stage(candidacy_of(5, 4, "2026-01-15T00:00:00.000Z", 2, 2));  // the group's earliest
  json::object owner_only = candidacy_of(6, 2, "2026-01-01T00:00:00.000Z", 2, 2);
  owner_only.erase("credited_to_user_key");
  owner_only["owner_user_key"] = key("user", 2);  // credited to nobody: its owner counts
  stage(owner_only);
  migrate_with_writers(1, 2);
  auto written = [](int person_n) {
    for (int n : {person_n, person_n == 3 ? 4 : 3})
      if (std::vector<fake::Received> handed = sink().received_for("person", key("person", n));
          !handed.empty())
        return handed.front().item;
    return json::object{};
  };
  for (int n : {1, 2, 3}) {
    json::object item = written(n);
    ASSERT_FALSE(item.empty()) << "person " << n;
    EXPECT_EQ(item["source_id"], json::value("S-job-board")) << "person " << n;
    EXPECT_EQ(item["credited_to_user_id"], json::value("U-bob")) << "person " << n;
  }
}

// Skip rules: the host applies them; a skipped record never reaches the sink.
class SkipRules : public InProcessLoad {
 protected:
  void expect_skipped(const std::string& kind, const std::string& source_key,
                      const std::string& reason_part, const LoadStats& stats) {
    EXPECT_TRUE(sink().received_for(kind, source_key).empty());
    std::optional<LedgerEntry> skipped = row(kind, source_key);
    ASSERT_TRUE(skipped);
    EXPECT_EQ(skipped->state, LedgerState::skipped);
    EXPECT_NE(skipped->last_error.value_or("").find(reason_part), std::string::npos)
        << skipped->last_error.value_or("");
    int64_t counted = 0;
    for (const auto& [reason, count] : stats.kinds.at(kind).skipped)
      counted += count;
    EXPECT_EQ(counted, 1);
  }
};

TEST_F(SkipRules, PrivateNotesWhenTheOptionSaysSkip) {
  set_options({{"private_notes", "skip"}});
  stage(person(1));
  json::object private_note = note(1, 1);
  private_note["is_private"] = true;
  stage(private_note);
  stage(note(2, 1));
  LoadStats stats = migrate();
  expect_skipped("note", key("note", 1), "options.private_notes=skip", stats);
  EXPECT_EQ(sink().received_for("note", key("note", 2)).size(), 1u);
}

TEST_F(SkipRules, PrivateNotesAreWrittenByDefault) {
  stage(person(1));
  json::object private_note = note(1, 1);
  private_note["is_private"] = true;
  stage(private_note);
  migrate();
  EXPECT_EQ(sink().received_for("note", key("note", 1)).size(), 1u);
}

TEST_F(SkipRules, InterviewsWhenTheOptionSaysSkip) {
  set_options({{"interviews", "skip"}});
  stage(person(1));
  stage(hanging_off("interview", 1, 1));
  LoadStats stats = migrate();
  EXPECT_TRUE(sink().received_for("interview", key("person", 1) + "#interviews").empty());
  expect_skipped("interview", key("interview", 1), "options.interviews=skip", stats);
}

TEST_F(SkipRules, OffersWhenTheOptionSaysSkip) {
  set_options({{"offers", "skip"}});
  stage(person(1));
  stage(hanging_off("offer", 1, 1));
  LoadStats stats = migrate();
  expect_skipped("offer", key("offer", 1), "options.offers=skip", stats);
}

TEST_F(SkipRules, ConfidentialRecordsWhenTheOptionSaysSkip) {
  set_options({{"confidential", "skip"}});
  json::object secret = person(1);
  secret["confidential"] = true;
  stage(secret);
  stage(person(2));
  LoadStats stats = migrate();
  expect_skipped("person", key("person", 1), "options.confidential=skip", stats);
  EXPECT_EQ(sink().received_for("person", key("person", 2)).size(), 1u);
}

TEST_F(SkipRules, ProspectsWhenTheOptionSaysSkip) {
  set_options({{"prospects", "skip"}});
  stage(person(1));
  json::object prospect = candidacy(1, 1);
  prospect["is_prospect"] = true;
  stage(prospect);
  LoadStats stats = migrate();
  expect_skipped("candidacy", key("candidacy", 1), "options.prospects=skip", stats);
}

TEST_F(SkipRules, AnonymisedPersonsAndWhatHangsOffThem) {
  json::object anonymous = person(1);
  anonymous["anonymized"] = true;
  stage(anonymous);
  stage(note(1, 1));
  LoadStats stats = migrate();
  expect_skipped("person", key("person", 1), "anonymised", stats);
  // The note's person was not migrated: the note is skipped with it, never sent.
  expect_skipped("note", key("note", 1), "was not migrated", stats);
}

TEST_F(SkipRules, DeletedNotes) {
  stage(person(1));
  json::object deleted = note(1, 1);
  deleted["deleted"] = true;
  stage(deleted);
  LoadStats stats = migrate();
  expect_skipped("note", key("note", 1), "deleted in the source", stats);
}

TEST_F(SkipRules, ARecordTheSinkSkipsItselfIsSkippedWithItsReason) {
  stage(person(1));
  answer("person", key("person", 1), reply("skipped", "the target refuses it"));
  LoadStats stats = migrate();
  std::optional<LedgerEntry> skipped = row("person", key("person", 1));
  ASSERT_TRUE(skipped);
  EXPECT_EQ(skipped->state, LedgerState::skipped);
  EXPECT_EQ(skipped->last_error, "the target refuses it");
  EXPECT_EQ(sink().created, 0);
  EXPECT_EQ(stats.kinds["person"].skipped.size(), 1u);
}

// Faults, each on its own.
TEST_F(InProcessLoad, ARecordHeldForAnOperatorAndWhatHangsOffItWait) {
  stage(person(1));
  stage(note(1, 1));
  answer("person", key("person", 1), reply("held", "open the job first"));
  LoadStats stats = migrate();
  EXPECT_EQ(stats.kinds["person"].held, 1);
  EXPECT_EQ(stats.kinds["note"].held, 1);
  EXPECT_TRUE(stats.failures.empty());
  EXPECT_EQ(row("person", key("person", 1))->vendor_code, atsm::pipeline::kHeldVendorCode);
  EXPECT_EQ(row("note", key("note", 1))->vendor_code, atsm::pipeline::kHeldVendorCode);
  EXPECT_TRUE(sink().received_for("note", key("note", 1)).empty());
}

TEST_F(InProcessLoad, ARecordWhoseOwnerFailedIsDeferredNotWrittenElsewhere) {
  stage(person(1));
  stage(note(1, 1));
  answer("person", key("person", 1), reply("permanent", "refused"));
  LoadStats stats = migrate();
  EXPECT_TRUE(sink().received_for("note", key("note", 1)).empty());
  std::optional<LedgerEntry> deferred = row("note", key("note", 1));
  ASSERT_TRUE(deferred);
  EXPECT_EQ(deferred->state, LedgerState::failed);
  EXPECT_EQ(deferred->vendor_code, "owner_not_written");
  EXPECT_EQ(stats.kinds["note"].failed, 1);
}

TEST_F(InProcessLoad, ARevokedKeyStopsTheRunAndLeavesTheRecordAtIntent) {
  stage(person(1));
  answer("person", key("person", 1), reply("auth", "key revoked"));
  try {
    migrate();
    FAIL() << "the load went on after an auth failure";
  } catch (const atsm::host::Error& error) {
    EXPECT_EQ(error.status(), ATSM_AUTH);
  }
  EXPECT_EQ(row("person", key("person", 1))->state, LedgerState::intent);
}

TEST_F(InProcessLoad, SuccessWithoutATargetIdFailsTheRecord) {
  stage(person(1));
  answer("person", key("person", 1), reply("no_target"));
  LoadStats stats = migrate();
  ASSERT_EQ(stats.failures.size(), 1u);
  EXPECT_EQ(stats.failures.front().status, "internal");
  EXPECT_EQ(row("person", key("person", 1))->state, LedgerState::failed);
}

TEST_F(InProcessLoad, AWholeWriteCallFailingTransientlyIsRetriedForEveryItem) {
  stage(person(1));
  stage(person(2));
  {
    std::lock_guard lock(fake::mutex());
    fake::script().whole_call_fails["person"] = ATSM_RETRY;
  }
  LoadStats stats = migrate(6, 2);  // both persons fit the call that fails
  EXPECT_EQ(stats.kinds["person"].created, 2);
  // The writer may take the first person before the second is queued: then the failed call held
  // the first alone, and the second went out once, in a call that did not fail.
  std::size_t in_failed_call = 0;
  for (int n : {1, 2}) {
    const std::vector<std::string>& events = sink().events;
    bool failed = std::find(events.begin(), events.end(),
                            "failed call person " + key("person", n)) != events.end();
    in_failed_call += failed ? 1 : 0;
    auto handed = sink().received_for("person", key("person", n));
    ASSERT_EQ(handed.size(), 1u);  // the failed call handed nothing over
    EXPECT_EQ(handed.front().lookup_first(), failed) << n;
    EXPECT_EQ(handed.front().attempt(), failed ? 2 : 1) << n;
  }
  EXPECT_GE(in_failed_call, 1u);
}

TEST_F(InProcessLoad, AWholeWriteCallFailingWithAuthStopsTheRun) {
  stage(person(1));
  {
    std::lock_guard lock(fake::mutex());
    fake::script().whole_call_fails["person"] = ATSM_AUTH;
  }
  EXPECT_THROW(migrate(), atsm::host::Error);
  EXPECT_EQ(row("person", key("person", 1))->state, LedgerState::intent);
}

TEST_F(InProcessLoad, AnEmptyLedgerBesideATargetHoldingTheRecordsAdoptsEveryRecord) {
  stage(person(1));
  stage(person(2));
  sink().objects[{"person", key("person", 1)}] = "T-lost-ledger";
  LoadStats stats = migrate();
  EXPECT_FALSE(stats.adopting.empty());
  EXPECT_GT(sink().finds, 0);
  for (int n : {1, 2})
    EXPECT_TRUE(sink().received_for("person", key("person", n)).front().lookup_first()) << n;
  EXPECT_EQ(row("person", key("person", 1))->target_id, "T-lost-ledger");
  EXPECT_EQ(sink().created, 1);  // person 2 only
}

TEST_F(InProcessLoad, TheSinkIsHandedEveryMigrationOptionWithItsDefault) {
  stage(person(1));
  migrate();
  const json::object& options = sink().prepared_with.at("options").as_object();
  EXPECT_EQ(options.at("feedback_form"), "Migrated feedback");
  EXPECT_EQ(options.at("private_notes"), "private");
  EXPECT_EQ(options.at("jobless"), "candidate_only");
  EXPECT_EQ(options.at("fallback_user"), "");
  EXPECT_EQ(options.size(), 11u);
}

// The source's faults, each on its own.
TEST_F(InProcessLoad, ARecordTheModelRejectsIsListedAndTheRestIsWritten) {
  stage(person(1));
  json::object bodiless = note(1, 1);
  bodiless.erase("body");  // required by the canonical model
  stage(bodiless);
  stage(note(2, 1));
  migrate();
  ASSERT_EQ(extracted_.rejected.size(), 1u);
  EXPECT_EQ(extracted_.rejected.front().source_key, key("note", 1));
  EXPECT_NE(extracted_.rejected.front().reason.find("body"), std::string::npos);
  EXPECT_TRUE(sink().received_for("note", key("note", 1)).empty());
  EXPECT_EQ(sink().received_for("note", key("note", 2)).size(), 1u);
}

TEST_F(InProcessLoad, ARecordTheSourceCouldNotFetchNowFailsUnsentAndTheKindStaysOpen) {
  stage(person(1));
  json::object unfetched = note(1, 1);
  unfetched["fetch_failure"] = "the storage answered 503";
  stage(unfetched);
  {
    std::lock_guard lock(fake::mutex());
    fake::script().read_ends_with["note"] = ATSM_RETRY;
  }
  LoadStats stats = migrate();
  EXPECT_EQ(extracted_.unfetched.at("note"), 1);
  EXPECT_TRUE(sink().received_for("note", key("note", 1)).empty());
  std::optional<LedgerEntry> failed = row("note", key("note", 1));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state, LedgerState::failed);
  EXPECT_EQ(failed->vendor_code, "source_fetch_failed");
  EXPECT_EQ(stats.kinds["note"].failed, 1);
  Session session(options());
  EXPECT_NE(session.staging().checkpoint(fake::kSourceName, "note"),
            std::optional<std::string>(atsm::pipeline::kExtractComplete));
}

// Reconcile over what the load left: every staged record must end done, skipped or failed.
TEST_F(InProcessLoad, ReconcileFindsEveryRecordAccountedForAfterACleanRun) {
  stage(person(1));
  stage(note(1, 1));
  json::object deleted = note(2, 1);
  deleted["deleted"] = true;
  stage(deleted);
  migrate();
  Session session(options());
  atsm::pipeline::Plan plan = atsm::pipeline::make_plan(session);
  atsm::pipeline::Reconciliation result = atsm::pipeline::reconcile(session, plan, {});
  EXPECT_TRUE(result.unexplained.empty()) << json::serialize(result.unexplained);
  EXPECT_TRUE(result.failures.empty());
  const json::object& notes = result.counts.at("note").as_object();
  EXPECT_EQ(notes.at("staged"), 2);
  EXPECT_EQ(notes.at("written"), 1);
  EXPECT_EQ(notes.at("skipped").as_object().size(), 1u);
  EXPECT_EQ(result.counts.at("person").as_object().at("written"), 1);
}

TEST_F(InProcessLoad, ReconcileNamesAnIntentLeftBehindAndAFailedRecord) {
  stage(person(1));
  stage(person(2));
  answer("person", key("person", 2), reply("permanent", "scripted", "refused"));
  migrate();
  crash_after_intent("person", key("person", 1));  // as if a later run died mid-write
  Session session(options());
  atsm::pipeline::Plan plan = atsm::pipeline::make_plan(session);
  atsm::pipeline::Reconciliation result = atsm::pipeline::reconcile(session, plan, {});
  ASSERT_EQ(result.unexplained.size(), 1u);
  EXPECT_EQ(result.unexplained[0].as_object().at("key"), json::value(key("person", 1)));
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].as_object().at("key"), json::value(key("person", 2)));
  EXPECT_EQ(result.failures[0].as_object().at("vendor_code"), "refused");
}

// The step sequence (pipeline/migration.hpp) as the command line runs it.
class StepSequence : public InProcessLoad {
 protected:
  struct Recorder : atsm::pipeline::StepObserver {
    std::vector<std::string> told;
    void extracted(const atsm::pipeline::ExtractStats&) override { told.push_back("extracted"); }
    void timed(const std::string& step, double) override { told.push_back("timed " + step); }
    void planned(const atsm::pipeline::Plan&) override { told.push_back("planned"); }
  };
  atsm::pipeline::StepResult run(const std::string& step, bool dry_run = false) {
    Session session(options());
    atsm::pipeline::StepRequest request;
    request.step = step;
    request.dry_run = dry_run;
    request.workers = 1;
    return atsm::pipeline::run_step(session, request, recorder);
  }
  Recorder recorder;
};

TEST_F(StepSequence, MigrateExtractsBesideTheLoadThenPlansLoadsAndTimesTheRun) {
  stage(person(1));
  stage(note(1, 1));
  atsm::pipeline::StepResult result = run("migrate");
  EXPECT_EQ(result.end, atsm::pipeline::StepResult::End::loaded);
  ASSERT_TRUE(result.load);
  EXPECT_EQ(result.load->kinds["person"].created, 1);
  EXPECT_EQ(result.load->kinds["note"].created, 1);
  EXPECT_EQ(recorder.told, (std::vector<std::string>{"planned", "extracted", "timed migrate"}));
  EXPECT_EQ(sink().created, 2);
}

// A kind written while the source still reads it: what a pass took is not taken again by the
// kind's last pass, and what the source could not fetch at first is taken then, once, as the
// source finally staged it.
TEST_F(StepSequence, AKindWrittenWhileItIsReadIsWrittenOnceRecordByRecord) {
  stage(person(1));
  stage(note(1, 1));
  json::object unfetched = note(2, 1);
  unfetched["fetch_failure"] = "the storage answered 503";
  stage(unfetched);
  {
    std::lock_guard lock(fake::mutex());
    // The source fetches note 2 on its second try, and finds note 3, once note 1 is written.
    fake::script().later_batch["note"] = {json::array{note(2, 1), note(3, 1)},
                                          {"note", key("note", 1)}};
  }
  atsm::pipeline::StepResult result = run("migrate");
  ASSERT_TRUE(result.load);
  auto event = [](const std::string& what) {
    const std::vector<std::string>& events = sink().events;
    return std::find(events.begin(), events.end(), what) - events.begin();
  };
  EXPECT_LT(event("handed note " + key("note", 1)), event("staged later note"))
      << "the notes were not written while they were read";
  for (int n = 1; n <= 3; ++n)
    EXPECT_EQ(sink().received_for("note", key("note", n)).size(), 1u) << "note " << n;
  EXPECT_EQ(result.load->kinds["note"].created, 3);
  EXPECT_EQ(result.load->kinds["note"].failed, 0);
  EXPECT_EQ(result.load->kinds["note"].unchanged, 0) << "a note was taken twice";
  EXPECT_LE(result.load->peak_keys_remembered, 1u);
}

TEST_F(StepSequence, ExtractStagesAndStops) {
  stage(person(1));
  atsm::pipeline::StepResult result = run("extract");
  EXPECT_EQ(result.end, atsm::pipeline::StepResult::End::extracted);
  EXPECT_FALSE(result.unfetched);
  EXPECT_EQ(recorder.told, (std::vector<std::string>{"extracted", "timed extract"}));
  EXPECT_TRUE(sink().received.empty());
  Session session(options());
  EXPECT_EQ(atsm::pipeline::staged_counts(session).at("person"), 1);
}

TEST_F(StepSequence, PlanAndADryRunWriteNothing) {
  stage(person(1));
  EXPECT_EQ(run("plan").end, atsm::pipeline::StepResult::End::planned);
  EXPECT_EQ(run("migrate", /*dry_run=*/true).end, atsm::pipeline::StepResult::End::planned);
  EXPECT_TRUE(sink().received.empty());
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "work" / "plan.json"));
}

TEST_F(StepSequence, LoadWithNothingStagedIsAUsageError) {
  EXPECT_THROW(run("load"), atsm::pipeline::UsageError);
}

}  // namespace
