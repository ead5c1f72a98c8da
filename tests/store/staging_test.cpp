#include "services/store/staging.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "services/store/sha256.hpp"
#include "temp_dir.hpp"

namespace atsm::store {
namespace {

using testing::mode_of;
using testing::TempDir;

RecordToStage person(const std::string& key, const std::string& name) {
  return {key, R"({"id":")" + key + R"(","name":")" + name + R"("})",
          R"({"id":")" + key + R"(","vendor_name":")" + name + R"("})"};
}

std::vector<std::string> keys_of_kind(const StagingStore& store, const std::string& kind,
                                      std::optional<std::string> source = std::nullopt) {
  std::vector<std::string> keys;
  store.for_each({.kind = kind, .source = source},
                 [&](const StagedRecord& record) { keys.push_back(record.source_key); });
  return keys;
}

class StagingTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path file = dir / "staging/staging.db";
  StagingStore store{file};
};

TEST_F(StagingTest, FileIsPrivate) {
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(file.parent_path()), 0700u);
}

TEST_F(StagingTest, StoresRecordRawJsonAndHash) {
  std::vector<RecordToStage> batch{person("p-1", "Ada")};
  auto result = store.put_batch("lever", "persons", batch, std::nullopt);
  EXPECT_EQ(result.inserted, 1u);
  auto record = store.get("lever", "persons", "p-1");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->source, "lever");
  EXPECT_EQ(record->kind, "persons");
  EXPECT_EQ(record->record_json, batch[0].record_json);
  EXPECT_EQ(record->raw_json, batch[0].raw_json);
  EXPECT_EQ(record->payload_hash, sha256_hex(batch[0].record_json));
  EXPECT_FALSE(record->staged_at.empty());
  EXPECT_FALSE(store.get("greenhouse", "persons", "p-1"));
}

TEST_F(StagingTest, UpsertKeepsInsertionOrderAndReportsChanges) {
  std::vector<RecordToStage> first{person("c", "C"), person("a", "A"), person("b", "B")};
  auto result = store.put_batch("lever", "persons", first, std::nullopt);
  EXPECT_EQ(result.inserted, 3u);

  const auto seq_of_a = store.get("lever", "persons", "a")->seq;
  auto changed_a = person("a", "A2");
  auto raw_only_c = person("c", "C");
  raw_only_c.raw_json = R"({"id":"c","vendor_name":"C","updatedAt":2})";
  std::vector<RecordToStage> second{changed_a, raw_only_c, person("d", "D")};
  result = store.put_batch("lever", "persons", second, std::nullopt);
  EXPECT_EQ(result.inserted, 1u);
  EXPECT_EQ(result.changed, 1u);
  EXPECT_EQ(result.unchanged, 1u);

  EXPECT_EQ(keys_of_kind(store, "persons"), (std::vector<std::string>{"c", "a", "b", "d"}));
  auto a = store.get("lever", "persons", "a");
  EXPECT_EQ(a->seq, seq_of_a);
  EXPECT_EQ(a->record_json, changed_a.record_json);
  EXPECT_EQ(a->payload_hash, sha256_hex(changed_a.record_json));
  EXPECT_EQ(store.get("lever", "persons", "c")->raw_json, raw_only_c.raw_json);
  EXPECT_EQ(store.counts(), (std::map<std::string, std::int64_t>{{"persons", 4}}));
}

TEST_F(StagingTest, IterationByKindAndSourceAndResumeAfterSeq) {
  store.put_batch("lever", "persons", std::vector{person("l1", "x"), person("l2", "y")}, {});
  store.put_batch("lever", "jobs", std::vector{person("j1", "job")}, {});
  store.put_batch("greenhouse", "persons", std::vector{person("g1", "z")}, {});
  store.put_batch("lever", "persons", std::vector{person("l3", "w")}, {});

  EXPECT_EQ(keys_of_kind(store, "persons"), (std::vector<std::string>{"l1", "l2", "g1", "l3"}));
  EXPECT_EQ(keys_of_kind(store, "persons", "lever"), (std::vector<std::string>{"l1", "l2", "l3"}));
  EXPECT_EQ(keys_of_kind(store, "jobs"), (std::vector<std::string>{"j1"}));
  EXPECT_TRUE(keys_of_kind(store, "offers").empty());

  // A consumer that read the first two resumes after the last seq it saw.
  std::vector<std::string> head;
  std::int64_t last = 0;
  std::int64_t seen = 0;
  store.for_each({.kind = "persons"}, [&](const StagedRecord& record) {
    if (seen++ < 2) {
      head.push_back(record.source_key);
      last = record.seq;
    }
  });
  std::vector<std::string> rest;
  const auto end = store.for_each({.kind = "persons", .after_seq = last},
                                  [&](const StagedRecord& r) { rest.push_back(r.source_key); });
  EXPECT_EQ(rest, (std::vector<std::string>{"g1", "l3"}));
  EXPECT_EQ(end, store.get("lever", "persons", "l3")->seq);
  EXPECT_EQ(store.for_each({.kind = "persons", .after_seq = end}, [](const StagedRecord&) {}), end);

  EXPECT_EQ(store.counts("lever"),
            (std::map<std::string, std::int64_t>{{"jobs", 1}, {"persons", 3}}));
  EXPECT_EQ(store.counts("greenhouse"), (std::map<std::string, std::int64_t>{{"persons", 1}}));
}

TEST_F(StagingTest, ChunksOfALimitReadTheKindOnceInOrder) {
  for (int i = 0; i < 7; ++i)
    store.put_batch("lever", "notes", std::vector{person("n" + std::to_string(i), "x")}, {});
  std::vector<std::string> keys;
  std::vector<std::int64_t> chunk_sizes;
  std::int64_t after = 0;
  for (;;) {
    std::int64_t rows = 0;
    after = store.for_each({.kind = "notes", .after_seq = after, .limit = 3},
                           [&](const StagedRecord& record) {
                             keys.push_back(record.source_key);
                             ++rows;
                           });
    chunk_sizes.push_back(rows);
    if (rows < 3)
      break;
  }
  EXPECT_EQ(chunk_sizes, (std::vector<std::int64_t>{3, 3, 1}));
  EXPECT_EQ(keys, (std::vector<std::string>{"n0", "n1", "n2", "n3", "n4", "n5", "n6"}));
}

TEST_F(StagingTest, GroupedIterationBringsAGroupsRecordsTogetherInInsertionOrder) {
  // Interviews by candidacy, else by person (the first member present and not empty).
  auto interview = [](const std::string& key, const std::string& candidacy,
                      const std::string& person) {
    std::string record = R"({"id":")" + key + R"(","person_key":")" + person + R"(")";
    if (!candidacy.empty())
      record += R"(,"candidacy_key":")" + candidacy + R"(")";
    return RecordToStage{key, record + "}", "{}"};
  };
  std::vector<RecordToStage> staged = {interview("i1", "c2", "p2"), interview("i2", "c1", "p1"),
                                       interview("i3", "", "p9"),   interview("i4", "c2", "p2"),
                                       interview("i5", "c1", "p1"), interview("i6", "", "p9")};
  store.put_batch("lever", "interviews", staged, {});
  std::vector<std::string> keys;
  std::int64_t last =
      store.for_each({.kind = "interviews", .grouped_by = {"candidacy_key", "person_key"}},
                     [&](const StagedRecord& record) { keys.push_back(record.source_key); });
  EXPECT_EQ(keys, (std::vector<std::string>{"i2", "i5", "i1", "i4", "i3", "i6"}));
  EXPECT_EQ(last, 6) << "the largest seq read";
}

TEST_F(StagingTest, IterationSeesASnapshotWhileWritesGoOn) {
  store.put_batch("lever", "notes", std::vector{person("n1", "a"), person("n2", "b")}, {});
  std::vector<std::string> seen;
  store.for_each({.kind = "notes"}, [&](const StagedRecord& record) {
    seen.push_back(record.source_key);
    store.put_batch("lever", "notes", std::vector{person("more-" + record.source_key, "m")}, {});
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(store.counts()["notes"], 4);
}

TEST_F(StagingTest, CheckpointCommitsWithItsBatch) {
  EXPECT_FALSE(store.checkpoint("lever", "persons"));
  store.put_batch("lever", "persons", std::vector{person("p1", "a")}, "page-2");
  EXPECT_EQ(store.checkpoint("lever", "persons"), "page-2");
  // A batch without a checkpoint leaves the last one in place.
  store.put_batch("lever", "persons", std::vector{person("p2", "b")}, std::nullopt);
  EXPECT_EQ(store.checkpoint("lever", "persons"), "page-2");
  EXPECT_FALSE(store.checkpoint("lever", "jobs"));
  EXPECT_FALSE(store.checkpoint("greenhouse", "persons"));

  // A batch that fails part-way (invalid JSON in its third record) stores nothing: neither the
  // records before the bad one nor its checkpoint.
  auto bad = person("p5", "e");
  bad.record_json = R"({"id":"p5",)";
  std::vector<RecordToStage> failing{person("p3", "c"), person("p1", "changed"), bad};
  try {
    store.put_batch("lever", "persons", failing, "page-3");
    FAIL() << "an invalid record must fail the batch";
  } catch (const StoreError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("p5"), std::string::npos) << message;
    EXPECT_NE(message.find("record JSON"), std::string::npos) << message;
  }
  EXPECT_EQ(store.checkpoint("lever", "persons"), "page-2");
  EXPECT_FALSE(store.get("lever", "persons", "p3"));
  EXPECT_EQ(store.get("lever", "persons", "p1")->record_json, person("p1", "a").record_json);
  EXPECT_EQ(store.counts()["persons"], 2);

  // Resuming in a fresh process sees the same point.
  StagingStore reopened(file);
  EXPECT_EQ(reopened.checkpoint("lever", "persons"), "page-2");
}

TEST_F(StagingTest, InvalidInputNamesTheRecord) {
  auto bad_raw = person("p9", "x");
  bad_raw.raw_json = "not json";
  try {
    store.put_batch("lever", "persons", std::vector{bad_raw}, {});
    FAIL();
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("raw vendor JSON"), std::string::npos);
  }
  EXPECT_THROW(store.put_batch("lever", "persons", std::vector{person("", "x")}, {}), StoreError);
  EXPECT_THROW(store.put_batch("", "persons", std::vector{person("p", "x")}, {}), StoreError);
  EXPECT_TRUE(store.counts().empty());
}

TEST_F(StagingTest, ConcurrentWritersAndReaders) {
  constexpr int kThreads = 4;
  constexpr int kBatches = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      const std::string kind = "kind" + std::to_string(t);
      for (int b = 0; b < kBatches; ++b) {
        std::vector<RecordToStage> batch;
        for (int i = 0; i < 5; ++i) {
          batch.push_back(person(std::to_string(b) + "-" + std::to_string(i), "n"));
        }
        store.put_batch("lever", kind, batch, "after-" + std::to_string(b));
        EXPECT_EQ(keys_of_kind(store, kind).size(), static_cast<std::size_t>((b + 1) * 5));
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    const std::string kind = "kind" + std::to_string(t);
    EXPECT_EQ(store.counts()[kind], kBatches * 5);
    EXPECT_EQ(store.checkpoint("lever", kind), "after-" + std::to_string(kBatches - 1));
  }
}

}  // namespace
}  // namespace atsm::store
