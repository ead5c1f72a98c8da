#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <atsmigrate/model/codec.hpp>
#include <atsmigrate/model/kind.hpp>
#include "sample_records.hpp"

namespace atsm::model {
namespace {

namespace json = boost::json;

std::string error_of(std::string_view text) {
  try {
    parse_record(text);
  } catch (const ModelError& error) {
    return error.what();
  }
  return "(accepted)";
}

std::vector<Record> all_samples() {
  auto records = testing::full_sample_records();
  for (auto& record : testing::minimal_sample_records())
    records.push_back(std::move(record));
  return records;
}

TEST(Kind, NamesAndDependencyOrder) {
  const std::vector<std::string_view> expected{
      "user",           "department", "office", "custom_field", "job",       "stage",
      "archive_reason", "source",     "tag",    "person",       "candidacy", "note",
      "feedback",       "interview",  "offer",  "file"};
  ASSERT_EQ(kKindsInDependencyOrder.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Kind kind = kKindsInDependencyOrder[i];
    EXPECT_EQ(to_string(kind), expected[i]);
    EXPECT_EQ(kind_from_string(expected[i]), kind);
    EXPECT_EQ(dependency_rank(kind), i);
  }
  EXPECT_EQ(kind_from_string("Person"), std::nullopt);
  EXPECT_EQ(kind_from_string("scorecard"), std::nullopt);
  static_assert(kind_of_type<ArchiveReason> == Kind::archive_reason);
  static_assert(std::is_same_v<RecordType<Kind::candidacy>, Candidacy>);
}

TEST(Codec, SamplesCoverEveryKind) {
  std::set<Kind> full;
  for (const auto& record : testing::full_sample_records())
    full.insert(kind_of(record));
  std::set<Kind> minimal;
  for (const auto& record : testing::minimal_sample_records())
    minimal.insert(kind_of(record));
  EXPECT_EQ(full.size(), kKindCount);
  EXPECT_EQ(minimal.size(), kKindCount);
}

TEST(Codec, EveryKindRoundTrips) {
  for (const Record& record : all_samples()) {
    SCOPED_TRACE(record_label(record));
    const std::string text = serialize_record(record);
    const Record parsed = parse_record(text);
    EXPECT_EQ(parsed, record);
    EXPECT_EQ(serialize_record(parsed), text);
  }
}

TEST(Codec, MinimalRecordsWriteOnlyWhatIsSet) {
  const auto minimal = testing::minimal_sample_records();
  const json::value person = record_to_json(minimal.at(dependency_rank(Kind::person)));
  EXPECT_EQ(person,
            json::parse(R"({"kind":"person","source":"acme","source_key":"acme:person:1"})"));
  const json::value note = record_to_json(minimal.at(dependency_rank(Kind::note)));
  EXPECT_EQ(note, json::parse(R"({"kind":"note","source":"acme","source_key":"acme:note:1",
      "person_key":"acme:person:1","body":"","body_format":"text"})"));
}

TEST(Codec, OptionalMembersAbsentStayAbsent) {
  const char* text = R"({"kind":"candidacy","source":"lever","source_key":"lever:opportunity:1",
      "person_key":"lever:contact:1","status":"active"})";
  const Record record = parse_record(text);
  const auto& candidacy = std::get<Candidacy>(record);
  EXPECT_FALSE(candidacy.job_key.has_value());
  EXPECT_FALSE(candidacy.is_prospect.has_value());
  EXPECT_FALSE(candidacy.raw.has_value());
  EXPECT_EQ(record_to_json(record), json::parse(text));
}

TEST(Codec, UnknownMembersAreKeptAtEveryLevel) {
  const char* text = R"({
    "kind":"person","source":"newats","source_key":"newats:person:1",
    "pronouns":"she/her",
    "emails":[{"address":"a@b.c","verified":true,"type":"work"}],
    "custom_fields":[{"field_key":"newats:cf:1","value":3,"currency":"EUR"}],
    "raw":{"id":1}})";
  const Record record = parse_record(text);
  const auto& person = std::get<Person>(record);
  EXPECT_EQ(person.extra, json::parse(R"({"pronouns":"she/her"})").get_object());
  EXPECT_EQ(person.emails.at(0).extra, json::parse(R"({"verified":true})").get_object());
  EXPECT_EQ(person.custom_fields.at(0).extra, json::parse(R"({"currency":"EUR"})").get_object());

  json::value expected = json::parse(text);
  expected.at("emails").at(0).as_object()["normalized"] = "a@b.c";
  EXPECT_EQ(record_to_json(record), expected);
  EXPECT_EQ(parse_record(serialize_record(record)), record);
}

TEST(Codec, ExtraNeverOverridesAKnownMember) {
  Tag tag;
  tag.source = "acme";
  tag.source_key = "acme:tag:1";
  tag.name = "VIP";
  tag.extra["name"] = "spoofed";
  tag.extra["kind"] = "person";
  tag.extra["color"] = "red";
  const json::value written = record_to_json(Record(tag));
  EXPECT_EQ(written.at("name"), "VIP");
  EXPECT_EQ(written.at("kind"), "tag");
  EXPECT_EQ(written.at("color"), "red");
}

TEST(Codec, RawIsKeptVerbatim) {
  const char* raw =
      R"({"id":"c1","nested":{"list":[1,2.5,"x",null,true]},"big":18446744073709551615,
      "emptyObj":{},"unicode":"Zoë 🎉"})";
  std::string text =
      R"({"kind":"tag","source":"lever","source_key":"lever:tag:x","name":"x","raw":)";
  text += raw;
  text += "}";
  const Record record = parse_record(text);
  ASSERT_TRUE(envelope(record).raw.has_value());
  EXPECT_EQ(*envelope(record).raw, json::parse(raw));
  EXPECT_EQ(record_to_json(record).at("raw"), json::parse(raw));
}

TEST(Codec, TimestampsAreNormalisedToUtc) {
  const Record record = parse_record(R"({"kind":"note","source":"gh","source_key":"gh:note:1",
      "person_key":"gh:candidate:1","body":"hi","body_format":"text",
      "created_at":"2019-03-04T14:02:00+05:30"})");
  EXPECT_EQ(std::get<Note>(record).created_at, "2019-03-04T08:32:00Z");

  // Set from C++ with an offset: written normalised too.
  Note note = std::get<Note>(record);
  note.created_at = "2019-03-04T14:02:00.250-01:00";
  EXPECT_EQ(record_to_json(Record(note)).at("created_at"), "2019-03-04T15:02:00.250Z");
}

TEST(Codec, EmailNormalFormIsDerivedFromTheAddress) {
  const Record record =
      parse_record(R"({"kind":"person","source":"lever","source_key":"lever:contact:1",
      "emails":[{"address":" Ada@Example.com ","normalized":"something-else"},
                {"address":"not an email","normalized":"x@y"}]})");
  const auto& emails = std::get<Person>(record).emails;
  ASSERT_EQ(emails.size(), 2u);
  EXPECT_EQ(emails[0].address, " Ada@Example.com ");
  EXPECT_EQ(emails[0].normalized, "ada@example.com");
  EXPECT_EQ(emails[1].normalized, std::nullopt);

  Person person = std::get<Person>(record);
  person.emails[0].normalized.reset();
  const json::value written = record_to_json(Record(person));
  EXPECT_EQ(written.at("emails").at(0).at("normalized"), "ada@example.com");
  EXPECT_FALSE(written.at("emails").at(1).as_object().contains("normalized"));
}

TEST(Codec, NullIsAValueOnlyWhereAnyJsonIsAllowed) {
  const Record record =
      parse_record(R"({"kind":"feedback","source":"gh","source_key":"gh:scorecard:1",
      "person_key":"gh:candidate:1","fields":[{"label":"a","type":"text","value":null},
      {"label":"b","type":"text"}]})");
  const auto& fields = std::get<Feedback>(record).fields;
  ASSERT_EQ(fields.size(), 2u);
  ASSERT_TRUE(fields[0].value.has_value());
  EXPECT_TRUE(fields[0].value->is_null());
  EXPECT_FALSE(fields[1].value.has_value());
  const json::value written = record_to_json(record);
  EXPECT_TRUE(written.at("fields").at(0).as_object().contains("value"));
  EXPECT_FALSE(written.at("fields").at(1).as_object().contains("value"));
}

TEST(Codec, IntegersAcceptIntegralNumbersOnly) {
  const auto file_with_size = [](const char* size) {
    return std::string(R"({"kind":"file","source":"x","source_key":"x:file:1","person_key":"x:p:1",
        "file_name":"cv.pdf","size":)") +
           size + "}";
  };
  EXPECT_EQ(std::get<File>(parse_record(file_with_size("1024.0"))).size, 1024);
  EXPECT_EQ(std::get<File>(parse_record(file_with_size("1024"))).size, 1024);
  EXPECT_EQ(error_of(file_with_size("1.5")),
            "file x:file:1: field 'size': expected an integer, got 1.5");
  EXPECT_EQ(error_of(file_with_size("\"1024\"")),
            "file x:file:1: field 'size': expected an integer, got \"1024\"");
}

TEST(CodecErrors, NameRecordAndField) {
  EXPECT_EQ(error_of(R"({"kind":"candidacy","source":"lever","source_key":"lever:opportunity:123",
                         "person_key":"lever:contact:1","status":"open"})"),
            "candidacy lever:opportunity:123: field 'status': expected one of "
            "lead|active|hired|archived, got \"open\"");
  EXPECT_EQ(error_of(R"({"kind":"candidacy","source":"lever","source_key":"lever:opportunity:123",
                         "status":"active"})"),
            "candidacy lever:opportunity:123: field 'person_key': required but missing");
  EXPECT_EQ(error_of(R"({"kind":"candidacy","source":"lever","source_key":"lever:opportunity:7",
      "person_key":"lever:contact:1","status":"active","stage_history":[
      {"stage_key":"lever:stage:a","entered_at":"2019-03-04T14:02:00Z"},
      {"stage_key":"lever:stage:b","entered_at":"yesterday"}]})"),
            "candidacy lever:opportunity:7: field 'stage_history[1].entered_at': expected an ISO "
            "8601 date-time with a UTC offset (e.g. \"2019-03-04T14:02:00Z\"), got \"yesterday\"");
  EXPECT_EQ(error_of(R"({"kind":"person","source":"lever","source_key":"lever:contact:1",
                         "headline":null})"),
            "person lever:contact:1: field 'headline': expected a string, got null");
  EXPECT_EQ(error_of(R"({"kind":"person","source":"lever","source_key":"lever:contact:1",
                         "links":[{"url":"https://myspace.com/a","type":"myspace"}]})"),
            "person lever:contact:1: field 'links[0].type': expected one of "
            "linkedin|github|website|social|other, got \"myspace\"");
  EXPECT_EQ(error_of(R"({"kind":"file","source":"lever","source_key":"lever:file:1",
                         "person_key":"lever:contact:1","file_name":"a","sha256":"ABC"})"),
            "file lever:file:1: field 'sha256': expected 64 lower-case hex digits or \"\", got "
            "\"ABC\"");
  EXPECT_EQ(error_of(R"({"kind":"tag","source":"lever","source_key":"","name":"x"})"),
            "tag: field 'source_key': must not be empty");
}

TEST(CodecErrors, RecordLevelProblems) {
  EXPECT_EQ(error_of(R"({"kind":"widget","source":"x","source_key":"x:w:1"})"),
            "record x:w:1: field 'kind': expected one of user|department|office|custom_field|job|"
            "stage|archive_reason|source|tag|person|candidacy|note|feedback|interview|offer|file, "
            "got \"widget\"");
  EXPECT_EQ(error_of(R"({"source":"x","source_key":"x:w:1"})"),
            "record x:w:1: field 'kind': required but missing");
  EXPECT_EQ(error_of(R"([1,2])"), "record: expected a JSON object, got an array");
  EXPECT_EQ(error_of(R"({"kind":"tag","source":"x","source_key":"x:t:1","name":"a",})")
                .rfind("record: invalid JSON: ", 0),
            0u);
  EXPECT_EQ(error_of(R"({"kind":"tag","source_key":"x:t:1","name":"a"})"),
            "tag x:t:1: field 'source': required but missing");
}

TEST(CodecErrors, ExposeRecordAndFieldSeparately) {
  try {
    parse_record(R"({"kind":"job","source":"gh","source_key":"gh:job:9","title":"x","status":"open",
        "custom_fields":[{"field_key":"gh:cf:1"}]})");
    FAIL() << "accepted a custom field value without a value";
  } catch (const ModelError& error) {
    EXPECT_EQ(error.record(), "job gh:job:9");
    EXPECT_EQ(error.field(), "custom_fields[0].value");
    EXPECT_EQ(error.reason(), "required but missing");
  }
}

TEST(CodecErrors, InvalidModelIsNotWritten) {
  Note note;
  note.source = "lever";
  note.source_key = "lever:note:1";
  note.person_key = "lever:contact:1";
  note.created_at = "last week";
  try {
    serialize_record(Record(note));
    FAIL() << "wrote an invalid timestamp";
  } catch (const ModelError& error) {
    EXPECT_EQ(error.record(), "note lever:note:1");
    EXPECT_EQ(error.field(), "created_at");
  }
  note.created_at.reset();
  note.source.clear();
  EXPECT_THROW(serialize_record(Record(note)), ModelError);
}

TEST(Batch, RoundTripsAnArray) {
  const auto records = all_samples();
  const std::string text = serialize_records(records);
  EXPECT_TRUE(json::parse(text).is_array());
  EXPECT_EQ(parse_records(text), records);
  EXPECT_TRUE(parse_records("[]").empty());
}

TEST(Batch, ErrorsNameTheElement) {
  try {
    parse_records(R"([{"kind":"tag","source":"a","source_key":"a:tag:1","name":"x"},
        {"kind":"person","source":"a","source_key":"a:person:2","emails":[{"address":5}]}])");
    FAIL() << "accepted a numeric email address";
  } catch (const ModelError& error) {
    EXPECT_STREQ(error.what(),
                 "records[1]: person a:person:2: field 'emails[0].address': expected a string, "
                 "got 5");
  }
  EXPECT_THROW(parse_records(R"({"kind":"tag"})"), ModelError);
}

TEST(Conversions, ValueFromAndValueTo) {
  for (const Record& record : all_samples()) {
    const json::value written = json::value_from(record);
    EXPECT_EQ(json::value_to<Record>(written), record);
  }
  const auto samples = testing::full_sample_records();
  const Person& person = std::get<Person>(samples.at(dependency_rank(Kind::person)));
  const json::value written = json::value_from(person);
  EXPECT_EQ(written.at("kind"), "person");
  EXPECT_EQ(json::value_to<Person>(written), person);

  const json::value email_json = json::value_from(person.emails.at(0));
  EXPECT_EQ(json::value_to<Email>(email_json), person.emails.at(0));

  // A record of another kind is refused with both kinds named.
  try {
    (void)json::value_to<Note>(written);
    FAIL() << "converted a person into a note";
  } catch (const ModelError& error) {
    EXPECT_STREQ(error.what(),
                 "person lever:contact:c1: field 'kind': expected \"note\", got \"person\"");
  }
  EXPECT_THROW((void)json::value_to<Phone>(json::parse(R"({"type":"mobile"})")), ModelError);

  // Standard containers of records convert through the same functions.
  const auto records = all_samples();
  EXPECT_EQ(json::value_to<std::vector<Record>>(json::value_from(records)), records);
}

TEST(CodecErrors, LongValuesAreCutOnACharacterBoundary) {
  std::string status(59, 'x');
  status += "\u00e9tat and more";  // the two bytes of 'é' straddle the 60-byte cut
  const std::string message = error_of(R"({"kind":"candidacy","source":"s","source_key":"s:c:1",
      "person_key":"s:p:1","status":")" +
                                       status + "\"}");
  EXPECT_NE(message.find("got \"" + std::string(59, 'x') + "\"..."), std::string::npos) << message;
}

// The records the JSON Schemas must reject (tests/model/schema_negative.jsonl) are rejected by
// the codec too, so the two descriptions of the model agree.
TEST(SchemaAgreement, CodecRejectsTheSchemaNegatives) {
  std::ifstream negatives(ATSM_MODEL_NEGATIVES_FILE);
  ASSERT_TRUE(negatives) << "cannot open " << ATSM_MODEL_NEGATIVES_FILE;
  std::string line;
  int cases = 0;
  while (std::getline(negatives, line)) {
    if (line.empty())
      continue;
    const json::value entry = json::parse(line);
    const std::string record = json::serialize(entry.at("record"));
    EXPECT_THROW(parse_record(record), ModelError) << entry.at("why") << ": " << record;
    ++cases;
  }
  EXPECT_GE(cases, 10);
}

}  // namespace
}  // namespace atsm::model
