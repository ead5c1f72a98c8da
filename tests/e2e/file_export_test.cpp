// End to end, a file-export source (tests/e2e/plugins/export_dir_source.cpp: a legacy ATS's
// export directory, no incremental capability) into the emulated Ashby: its declared display
// name heads the notes Ashby holds, and a fresh export into the same place is read again only
// with --reread, exactly once (the run without it says so instead of passing in silence).
#include <gtest/gtest.h>

#include <array>

#include "e2e_fixture.hpp"

namespace {

using namespace atsm::e2e_testing;

class FileExport : public E2E {
 protected:
  void SetUp() override {
    atsm::sandbox::Options options;
    options.seed = 5;
    options.persons = 1;
    start(options);
    export_dir = dir.path() / "export";
    std::filesystem::create_directories(export_dir);
  }

  // The export the legacy ATS wrote: `persons` (key suffix, name, email) with one note each.
  void write_export(const std::vector<std::array<std::string, 3>>& persons) {
    json::array person_records, note_records;
    for (const auto& [id, name, email] : persons) {
      person_records.push_back(
          json::object{{"kind", "person"},
                       {"source", "legacy_export"},
                       {"source_key", "legacy_export:person:" + id},
                       {"name", name},
                       {"emails", json::array{json::object{{"address", email}}}},
                       {"created_at", "2020-02-03T10:00:00Z"}});
      note_records.push_back(json::object{{"kind", "note"},
                                          {"source", "legacy_export"},
                                          {"source_key", "legacy_export:note:" + id},
                                          {"person_key", "legacy_export:person:" + id},
                                          {"author_name", "Rita Recruiter"},
                                          {"body", "Strong portfolio, call back."},
                                          {"body_format", "text"},
                                          {"created_at", "2020-02-04T11:30:00Z"}});
    }
    std::ofstream(export_dir / "person.json") << json::serialize(person_records);
    std::ofstream(export_dir / "note.json") << json::serialize(note_records);
  }

  Outcome migrate(const std::string& output_name, bool reread = false) {
    std::string ashby_url =
        atsm::testing::ashby_url_through(validator.get(), sandbox->endpoints().ashby_url);
    std::vector<std::string> args = {"migrate",
                                     "--plugin-path",
                                     ATSM_E2E_TEST_PLUGIN_DIR,
                                     "--source",
                                     "legacy_export",
                                     "--sink",
                                     "ashby",
                                     "--workdir",
                                     (dir.path() / "work").string(),
                                     "--credentials",
                                     credentials.string(),
                                     "--set",
                                     "legacy_export.dir=" + export_dir.string(),
                                     "--set",
                                     "ashby.base_url=" + ashby_url,
                                     "--set",
                                     "ashby.rate_limit_per_minute=50000"};
    if (reread)
      args.push_back("--reread");
    return run(args, std::nullopt, {}, output_name);
  }

  // The emulated Ashby's candidates that carry this source's legacy ids, by email.
  std::map<std::string, json::object> migrated_candidates() {
    std::map<std::string, json::object> found;
    json::object state = ashby_get("/_sandbox/state");
    for (const json::value& value : state.at("candidates").as_array()) {
      const json::object& candidate = value.as_object();
      const json::value* ids = candidate.at("customFields").as_object().if_contains("Legacy IDs");
      if (ids == nullptr || !ids->is_string() ||
          std::string_view(ids->as_string()).find("legacy_export:") == std::string_view::npos)
        continue;
      for (const json::value& email : candidate.at("emails").as_array())
        found[std::string(email.as_string())] = candidate;
    }
    return found;
  }

  std::filesystem::path export_dir;
};

// connector.h atsm.connector.display/1: the source declares "Legacy Export"; the plan hands it to
// the Ashby sink, whose note heading is "<display name> note — <author>, <time>" (docs/mapping.md
// §6), never the plugin name capitalised ("Legacy_export").
TEST_F(FileExport, TheSourcesDisplayNameHeadsItsNotesInAshby) {
  write_export({{"1", "Ada Lovelace", "ada@legacy.example"}});
  Outcome first = migrate("first.txt");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::map<std::string, json::object> candidates = migrated_candidates();
  ASSERT_EQ(candidates.count("ada@legacy.example"), 1u) << first.output;
  const json::array& notes = candidates["ada@legacy.example"].at("notes").as_array();
  ASSERT_EQ(notes.size(), 1u);
  std::string text(notes[0].at("rendered").as_string());
  if (text.empty())
    text = std::string(notes[0].at("content").as_string());
  EXPECT_EQ(text.rfind("Legacy Export note — Rita Recruiter, 2020-02-04 11:30 UTC", 0), 0u) << text;
  EXPECT_EQ(text.find("Legacy_export"), std::string::npos) << text;
}

// A fresh export into the same directory: a run without --reread reads nothing (every kind is
// complete in the work dir) and says how to read it; with --reread the changed person is updated,
// the new one created, and nothing is created twice.
TEST_F(FileExport, AFreshExportIsReadAgainOnlyWithRereadAndExactlyOnce) {
  write_export(
      {{"1", "Ada Lovelace", "ada@legacy.example"}, {"2", "Grace Hopper", "grace@legacy.example"}});
  Outcome first = migrate("first.txt");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const int64_t candidates_after_first =
      ashby_get("/_sandbox/state").at("counts").at("candidate").as_int64();
  const int64_t notes_after_first = ashby_get("/_sandbox/state").at("counts").at("note").as_int64();
  ASSERT_EQ(migrated_candidates().size(), 2u) << first.output;

  // The new export: Grace renamed, Alan added, Ada as she was.
  write_export({{"1", "Ada Lovelace", "ada@legacy.example"},
                {"2", "Grace Brewster Hopper", "grace@legacy.example"},
                {"3", "Alan Turing", "alan@legacy.example"}});
  Outcome ignored = migrate("without-reread.txt");
  ASSERT_EQ(ignored.exit_code, 0) << ignored.output;
  EXPECT_NE(ignored.output.find("nothing read: every kind of the source is complete in this work "
                                "dir; to read a new snapshot of it (a fresh export), run again "
                                "with --reread"),
            std::string::npos)
      << ignored.output;
  std::map<std::string, json::object> unchanged = migrated_candidates();
  EXPECT_EQ(unchanged.size(), 2u) << "nothing of the new export was read";
  EXPECT_EQ(unchanged["grace@legacy.example"].at("name"), json::value("Grace Hopper"));

  Outcome reread = migrate("with-reread.txt", true);
  ASSERT_EQ(reread.exit_code, 0) << reread.output;
  EXPECT_EQ(reread.output.find("nothing read"), std::string::npos) << reread.output;
  json::object state = ashby_get("/_sandbox/state");
  EXPECT_EQ(state.at("duplicate_emails").as_int64(), 0) << "no candidate created twice";
  EXPECT_EQ(state.at("counts").at("candidate").as_int64(), candidates_after_first + 1)
      << "only Alan is new";
  EXPECT_EQ(state.at("counts").at("note").as_int64(), notes_after_first + 1)
      << "only Alan's note is new";
  std::map<std::string, json::object> after = migrated_candidates();
  ASSERT_EQ(after.size(), 3u) << reread.output;
  EXPECT_EQ(after["grace@legacy.example"].at("name"), json::value("Grace Brewster Hopper"))
      << "the changed record is updated";
  EXPECT_EQ(after["alan@legacy.example"].at("name"), json::value("Alan Turing"));
  EXPECT_EQ(after["ada@legacy.example"].at("name"), json::value("Ada Lovelace"));
}

}  // namespace
