// The load's decisions about what waits for what while writes stay in flight across chunks and
// kinds (core/pipeline/load.hpp): which references of a record are not final yet, and when a
// postponed record may be taken again. Expected values from the canonical model's reference
// fields (sdk/docs, docs/mapping.md: a candidacy points at its person and job, a note at its
// person and candidacy, a department at its parent; tags are carried by name).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "pipeline/load.hpp"

namespace {

namespace json = boost::json;
using atsm::pipeline::RecordKey;
using atsm::pipeline::unsettled_references;
using atsm::pipeline::WritesInFlight;

std::vector<RecordKey> waits(const std::string& kind, const json::object& record,
                             const std::set<RecordKey>& unsettled,
                             const std::map<std::string, std::string>& tag_keys = {}) {
  return unsettled_references(
      kind, record, [&](const RecordKey& key) { return unsettled.contains(key); }, tag_keys);
}

TEST(UnsettledReferences, ARecordWaitsOnlyForWhatItPointsAtThatIsNotFinal) {
  json::object candidacy{{"source_key", "s:candidacy:1"},
                         {"person_key", "s:person:1"},
                         {"job_key", "s:job:1"},
                         {"stage_key", "s:stage:1"}};
  std::set<RecordKey> unsettled{{"person", "s:person:1"}, {"person", "s:person:2"}};
  EXPECT_EQ(waits("candidacy", candidacy, unsettled),
            (std::vector<RecordKey>{{"person", "s:person:1"}}));
  EXPECT_TRUE(waits("candidacy", candidacy, {{"person", "s:person:2"}}).empty());
  // Its own key is not a reference.
  EXPECT_TRUE(waits("candidacy", candidacy, {{"candidacy", "s:candidacy:1"}}).empty());
}

TEST(UnsettledReferences, EachReferenceOnceEvenWhenSeveralFieldsHoldIt) {
  json::object note{{"person_key", "s:person:1"},
                    {"candidacy_key", "s:candidacy:1"},
                    {"mentioned_person_keys", json::array{"s:person:1"}}};
  std::set<RecordKey> unsettled{{"person", "s:person:1"}, {"candidacy", "s:candidacy:1"}};
  std::vector<RecordKey> found = waits("note", note, unsettled);
  EXPECT_EQ(std::set<RecordKey>(found.begin(), found.end()), unsettled);
  EXPECT_EQ(found.size(), 2u);
}

TEST(UnsettledReferences, ADepartmentWaitsForItsParent) {
  json::object child{{"source_key", "s:department:2"}, {"parent_key", "s:department:1"}};
  EXPECT_EQ(waits("department", child, {{"department", "s:department:1"}}),
            (std::vector<RecordKey>{{"department", "s:department:1"}}));
}

TEST(UnsettledReferences, ACandidateWaitsForATagItCarriesByNameUpToCase) {
  json::object person{{"source_key", "s:person:1"}, {"tags", json::array{"Referral", "Other"}}};
  std::map<std::string, std::string> tag_keys{{"referral", "s:tag:7"}, {"other", "s:tag:8"}};
  EXPECT_EQ(waits("person", person, {{"tag", "s:tag:7"}}, tag_keys),
            (std::vector<RecordKey>{{"tag", "s:tag:7"}}));
  // A tag this run does not write (unknown by name) is nothing to wait for.
  EXPECT_TRUE(waits("person", person, {{"tag", "s:tag:9"}}, tag_keys).empty());
  // Records of other kinds do not carry tags.
  EXPECT_TRUE(waits("note", person, {{"tag", "s:tag:7"}}, tag_keys).empty());
}

TEST(UnsettledReferences, NeverWhatIsWrittenAfterItInDependencyOrder) {
  // A person lists its candidacies and feedback names its interview: both are written later, so
  // waiting for them would wait forever (each candidacy waits for its person).
  json::object person{{"source_key", "s:person:1"},
                      {"candidacy_keys", json::array{"s:candidacy:1"}}};
  EXPECT_TRUE(waits("person", person, {{"candidacy", "s:candidacy:1"}}).empty());
  json::object feedback{{"person_key", "s:person:1"}, {"interview_key", "s:interview:1"}};
  EXPECT_EQ(waits("feedback", feedback, {{"interview", "s:interview:1"}, {"person", "s:person:1"}}),
            (std::vector<RecordKey>{{"person", "s:person:1"}}));
}

TEST(WritesInFlight, ARecordIsUnsettledFromItsTakeToItsSettlement) {
  WritesInFlight flight;
  RecordKey person{"person", "p1"};
  EXPECT_FALSE(flight.unsettled(person));
  flight.take(person);
  flight.take(person);  // once
  EXPECT_TRUE(flight.unsettled(person));
  EXPECT_EQ(flight.unsettled_of("person"), 1u);
  EXPECT_EQ(flight.unsettled_of("note"), 0u);
  flight.settle(person);
  EXPECT_FALSE(flight.unsettled(person));
  EXPECT_EQ(flight.unsettled_of("person"), 0u);
  flight.settle(person);  // settling twice changes nothing
  EXPECT_EQ(flight.unsettled_of("person"), 0u);
}

TEST(WritesInFlight, APostponedRecordIsReadyOnlyOnceEverythingItWaitsForIsSettled) {
  WritesInFlight flight;
  RecordKey person{"person", "p1"}, job{"job", "j1"}, candidacy{"candidacy", "c1"};
  flight.take(person);
  flight.take(job);
  flight.postpone(candidacy, {person, job});
  EXPECT_TRUE(flight.unsettled(candidacy)) << "what waits is not final either";
  EXPECT_EQ(flight.postponed(), 1u);
  EXPECT_TRUE(flight.ready().empty());
  flight.settle(person);
  EXPECT_TRUE(flight.ready().empty()) << "the job is still being written";
  flight.settle(job);
  EXPECT_EQ(flight.ready(), std::vector<RecordKey>{candidacy});
  EXPECT_EQ(flight.postponed(), 0u);
  EXPECT_TRUE(flight.unsettled(candidacy)) << "ready is taken again, not final";
  EXPECT_TRUE(flight.ready().empty()) << "handed out once";
}

TEST(WritesInFlight, AChainWaitsLinkByLink) {
  // A note waits for a candidacy that itself waits for its person.
  WritesInFlight flight;
  RecordKey person{"person", "p1"}, candidacy{"candidacy", "c1"}, note{"note", "n1"};
  flight.take(person);
  flight.postpone(candidacy, {person});
  flight.postpone(note, {candidacy});
  EXPECT_EQ(flight.postponed(), 2u);
  flight.settle(person);
  EXPECT_EQ(flight.ready(), std::vector<RecordKey>{candidacy});
  EXPECT_TRUE(flight.ready().empty()) << "the candidacy is queued, not written yet";
  flight.settle(candidacy);
  EXPECT_EQ(flight.ready(), std::vector<RecordKey>{note});
}

TEST(WritesInFlight, SettlingAPostponedRecordEndsItsWait) {
  WritesInFlight flight;
  RecordKey person{"person", "p1"}, candidacy{"candidacy", "c1"};
  flight.take(person);
  flight.postpone(candidacy, {person});
  flight.settle(candidacy);  // skipped meanwhile, say
  EXPECT_EQ(flight.postponed(), 0u);
  flight.settle(person);
  EXPECT_TRUE(flight.ready().empty());
}

TEST(WritesInFlight, AWaitTakenAgainBeforeTheRecordIsHandedOutHoldsItUntilItSettlesAgain) {
  // A file waits for the upload of the same bytes; the upload settles (left for the kind's last
  // pass, say) and is taken again before the load asks what is ready.
  WritesInFlight flight;
  RecordKey upload{"file", "f1"}, same_bytes{"file", "f2"};
  flight.take(upload);
  flight.postpone(same_bytes, {upload});
  flight.settle(upload);
  EXPECT_EQ(flight.ready_count(), 1u);
  flight.take(upload);
  EXPECT_EQ(flight.ready_count(), 0u) << "what it waits for is unsettled again";
  EXPECT_TRUE(flight.ready().empty());
  EXPECT_EQ(flight.postponed(), 1u);
  flight.settle(upload);
  EXPECT_EQ(flight.ready(), std::vector<RecordKey>{same_bytes});
}

TEST(WritesInFlight, ARecordWhoseWaitsSettledBeforeItWasPostponedIsReadyAtOnce) {
  // The load looks at what a record waits for, then postpones it: a write may end in between.
  WritesInFlight flight;
  RecordKey person{"person", "p1"}, candidacy{"candidacy", "c1"};
  flight.take(person);
  flight.settle(person);
  flight.postpone(candidacy, {person});
  EXPECT_EQ(flight.ready_count(), 1u);
  EXPECT_EQ(flight.ready(), std::vector<RecordKey>{candidacy});
  EXPECT_EQ(flight.postponed(), 0u);
}

TEST(WritesInFlight, RecordsWaitingForEachOtherAreReleasedWhole) {
  WritesInFlight flight;
  RecordKey a{"department", "a"}, b{"department", "b"};
  flight.postpone(a, {b});
  flight.postpone(b, {a});
  EXPECT_EQ(flight.ready_count(), 0u);
  EXPECT_TRUE(flight.ready().empty());
  EXPECT_EQ(flight.release_all(), (std::vector<RecordKey>{a, b}));
  EXPECT_EQ(flight.postponed(), 0u);
  EXPECT_TRUE(flight.unsettled(a)) << "still to be taken again and settled";
}

}  // namespace
