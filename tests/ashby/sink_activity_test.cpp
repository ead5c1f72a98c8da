// Notes, feedback and files through the ABI against the emulated Ashby: unsafe HTML neutralised,
// notes that read with their lines, feedback on the form, files uploaded once per bytes.
#include <gtest/gtest.h>

#include <set>

#include "sink_fixture.hpp"

namespace atsm::ashby::testing {
namespace {

TEST_F(AshbySinkTest, UnsafeNoteHtmlIsNeutralisedAndPlainTextEscaped) {
  std::string candidate =
      write_ok("person", item("lever:contact:n", person("n", "Nora Note", {"nora@example.com"})));
  json::object html_note{
      {"kind", "note"},
      {"source", "greenhouse"},
      {"source_key", "greenhouse:note:1"},
      {"person_key", "lever:contact:n"},
      {"author_name", "Jane Doe"},
      {"created_at", "2019-03-04T14:02:00Z"},
      {"body_format", "html"},
      {"body",
       "<p>Great <strong>call</strong></p><script>document.location='https://evil'</script>"
       "<img src=x onerror=alert(1)><a href=\"javascript:alert(2)\" onclick=\"x()\">link</a>"
       "<a href=\"https://ok.example\">portfolio</a><style>*{display:none}</style>"}};
  json::object text_note{{"kind", "note"},
                         {"source", "lever"},
                         {"source_key", "lever:note:2"},
                         {"person_key", "lever:contact:n"},
                         {"is_private", true},
                         {"body_format", "text"},
                         {"body", "<script>alert(3)</script>\nline two"}};
  std::map<std::string, std::string> refs{{"lever:contact:n", candidate}};
  std::string html_id = write_ok("note", item("greenhouse:note:1", html_note, refs));
  std::string text_id = write_ok("note", item("lever:note:2", text_note, refs));
  EXPECT_EQ(html_id.rfind(candidate + ":", 0), 0u) << html_id;
  json::object state = h.state();
  const auto& notes = state.at("candidates").at(0).at("notes").as_array();
  ASSERT_EQ(notes.size(), 2u);
  for (const auto& note : notes) {
    std::string content(note.at("content").as_string());
    for (const char* unsafe :
         {"<script", "onerror", "onclick", "javascript:", "<style", "<img", "evil"})
      EXPECT_EQ(content.find(unsafe), std::string::npos) << unsafe << " in " << content;
  }
  // The emulator lists notes in id order: tell them apart by their heading.
  bool html_first =
      notes.at(0).at("content").as_string().find("Greenhouse note") != json::string::npos;
  const json::value& html_stored = notes.at(html_first ? 0 : 1);
  const json::value& text_stored = notes.at(html_first ? 1 : 0);
  // A paragraph under the heading needs a line break no supported element gives: text/plain,
  // the safe link's target kept in the text.
  ASSERT_TRUE(html_stored.as_object().contains("type")) << json::serialize(notes);
  EXPECT_EQ(html_stored.at("type"), "text/plain");
  std::string first(html_stored.at("rendered").as_string());
  EXPECT_EQ(first.rfind("Greenhouse note — Jane Doe, 2019-03-04 14:02 UTC\nGreat call\n", 0), 0u)
      << first;
  EXPECT_NE(first.find("\nLinks:\nportfolio: https://ok.example\n"), std::string::npos) << first;
  EXPECT_EQ(html_stored.at("createdAt"), "2019-03-04T14:02:00.000Z");
  std::string second(text_stored.at("content").as_string());
  EXPECT_NE(second.find("&lt;script&gt;alert(3)&lt;/script&gt;\nline two"), std::string::npos)
      << second;
  EXPECT_TRUE(text_stored.at("isPrivate").as_bool());

  auto back = h.sink().read_back("note", text_id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->at("is_private"), true);
}

TEST_F(AshbySinkTest, FeedbackIsSubmittedOnTheFormWithAStructuredScorecardNote) {
  json::object catalog = h.prepare();
  std::string job = make_job();
  std::string candidate =
      write_ok("person", item("lever:contact:f", person("f", "Fay Feedback", {"fay@example.com"})));
  std::map<std::string, std::string> refs{{"lever:contact:f", candidate},
                                          {"lever:posting:p1", job}};
  json::object candidacy{{"kind", "candidacy"},           {"source", "lever"},
                         {"source_key", "lever:opp:f"},   {"person_key", "lever:contact:f"},
                         {"job_key", "lever:posting:p1"}, {"status", "active"}};
  std::string application = write_ok("candidacy", item("lever:opp:f", candidacy, refs));
  refs["lever:opp:f"] = application;
  refs["greenhouse:user:7"] = catalog_id(catalog, "user", "Migration Bot");
  json::object scorecard{{"kind", "feedback"},
                         {"source", "greenhouse"},
                         {"source_key", "greenhouse:scorecard:1"},
                         {"person_key", "lever:contact:f"},
                         {"candidacy_key", "lever:opp:f"},
                         {"author_user_key", "greenhouse:user:7"},
                         {"author_name", "Ivy Interviewer"},
                         {"form_name", "Technical Interview"},
                         {"submitted_at", "2020-01-02T15:00:00Z"},
                         {"recommendation", "yes"},
                         {"fields", json::array{json::object{{"label", "Algorithms"},
                                                             {"type", "scorecard_attribute"},
                                                             {"category", "Skills"},
                                                             {"value", "strong_yes"},
                                                             {"note", "excellent"}},
                                                json::object{{"label", "Would you work with them?"},
                                                             {"type", "text"},
                                                             {"value", "Gladly"}}}}};
  auto before = h.request_counts();
  json::object result = write_one("feedback", item("greenhouse:scorecard:1", scorecard, refs));
  ASSERT_EQ(result.at("status"), "ok") << json::serialize(result);
  auto counts = delta(before, h.request_counts());
  EXPECT_EQ(calls(counts, "applicationFeedback.submit"), 1);
  EXPECT_EQ(calls(counts, "candidate.createNote"), 1);
  EXPECT_EQ(result.at("derived").as_array().size(), 1u);
  json::object state = h.state();
  const auto& app = state.at("candidates").at(0).at("applications").at(0);
  ASSERT_EQ(app.at("feedback").as_array().size(), 1u);
  const auto& values = app.at("feedback").at(0).at("submittedValues");
  EXPECT_EQ(values.at("overall_score").at("score"), 3);
  std::string text(values.at("feedback_text").as_string());
  EXPECT_NE(text.find("Greenhouse feedback — Technical Interview — Ivy Interviewer, 2020-01-02 "
                      "15:00 UTC"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Would you work with them?: Gladly"), std::string::npos) << text;
  const auto& notes = state.at("candidates").at(0).at("notes").as_array();
  ASSERT_EQ(notes.size(), 1u);
  std::string note(notes.at(0).at("content").as_string());
  EXPECT_NE(note.find("Skills / Algorithms: strong_yes — excellent"), std::string::npos) << note;
  // Its lines (interviewer, submitted time...) need breaks no supported element gives: text/plain.
  EXPECT_EQ(notes.at(0).at("type"), "text/plain");
  std::string shown(notes.at(0).at("rendered").as_string());
  EXPECT_NE(shown.find("\nInterviewer: Ivy Interviewer\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("\n• Skills / Algorithms: strong_yes — excellent"), std::string::npos)
      << shown;
  EXPECT_NE(note.find("Ivy Interviewer"), std::string::npos) << note;

  // Without an application, feedback becomes a candidate note.
  json::object jobless = scorecard;
  jobless["source_key"] = "lever:feedback:2";
  jobless["source"] = "lever";
  jobless.erase("candidacy_key");
  jobless["fields"] =
      json::array{json::object{{"label", "Notes"}, {"type", "text"}, {"value", "ok"}}};
  std::string note_target = write_ok("feedback", item("lever:feedback:2", jobless, refs));
  EXPECT_EQ(note_target.rfind(candidate + ":", 0), 0u);
  EXPECT_EQ(h.state(false).at("counts").at("feedback"), 1);
  EXPECT_EQ(h.state(false).at("counts").at("note"), 2);
}

TEST_F(AshbySinkTest, FilesUploadThroughTheHandleFlowOncePerCandidateAndBytes) {
  std::string candidate =
      write_ok("person", item("lever:contact:r", person("r", "Rita Resume", {"rita@example.com"})));
  std::string bytes(70000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>((i * 131) % 251);
  std::string sha = h.put_blob(bytes);
  auto file = [&](const std::string& id, const std::string& name, bool resume) {
    return json::object{{"kind", "file"},
                        {"source", "lever"},
                        {"source_key", "lever:file:" + id},
                        {"person_key", "lever:contact:r"},
                        {"file_name", name},
                        {"content_type", "application/pdf"},
                        {"size", static_cast<int64_t>(bytes.size())},
                        {"sha256", sha},
                        {"is_resume", resume},
                        {"uploaded_at", "2020-01-01T00:00:00Z"}};
  };
  std::map<std::string, std::string> refs{{"lever:contact:r", candidate}};
  auto before = h.request_counts();
  std::string first = write_ok("file", item("lever:file:1", file("1", "cv.pdf", true), refs));
  auto counts = delta(before, h.request_counts());
  EXPECT_EQ(calls(counts, "file.createFileUploadHandle"), 1);
  EXPECT_EQ(calls(counts, "candidate.uploadResume"), 1);
  // The same bytes again (another source record of the same person): no second upload.
  std::string again = write_ok("file", item("lever:file:2", file("2", "cv-copy.pdf", false), refs));
  EXPECT_EQ(again, first);
  json::object skipped_record = file("3", "broken.pdf", false);
  skipped_record["skipped_reason"] = "Lever 422: file not processed";
  json::object skipped = write_one("file", item("lever:file:3", skipped_record, refs));
  EXPECT_EQ(skipped.at("status"), "ok");
  EXPECT_EQ(skipped.at("skipped"), "Lever 422: file not processed");

  json::object state = h.state();
  const auto& files = state.at("candidates").at(0).at("files").as_array();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files.at(0).at("sha256"), json::value(sha));
  EXPECT_EQ(files.at(0).at("name"), "cv.pdf");
  EXPECT_TRUE(files.at(0).at("resume").as_bool());

  // The multipart form, as the fallback or by choice.
  auto multipart = h.open_instance(json::object{{"uploads", "multipart"}});
  std::string other_sha = h.put_blob("other bytes");
  json::object other = file("4", "cover.txt", false);
  other["sha256"] = other_sha;
  other["size"] = 11;
  json::array results =
      multipart->write("file", json::serialize(json::array{item("lever:file:4", other, refs)}));
  ASSERT_EQ(results.at(0).at("status"), "ok") << json::serialize(results);
  state = h.state();
  std::set<std::string> hashes;
  for (const auto& stored : state.at("candidates").at(0).at("files").as_array())
    hashes.insert(std::string(stored.at("sha256").as_string()));
  EXPECT_EQ(hashes, (std::set<std::string>{sha, other_sha}));
  EXPECT_EQ(state.at("candidates").at(0).at("files").as_array().size(), 2u);
  auto back = h.sink().read_back("file", std::string(results.at(0).at("target_id").as_string()));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->at("file_name"), "cover.txt");
}

// Ashby keeps b, i, u, a, ul/ol/li, code and pre of a text/html note and strips the rest
// (sandbox/validator/ashby-api-openapi.extract.json candidate.createNote), so a line break there is
// whitespace: every note must read with its lines in Ashby. The emulator's `rendered` is what its
// web app shows after that stripping (HTML's rules: whitespace collapsed, a list item per line);
// the expected lines are written out here from the source notes.
TEST_F(AshbySinkTest, NotesReadBackWithTheirParagraphsAndListsAfterTheDocumentedStripping) {
  std::string candidate = write_ok(
      "person",
      item("lever:contact:q", person("q", "Quinn Notes", {"quinn@example.com"},
                                     json::object{{"headline", "Staff engineer"},
                                                  {"created_at", "2019-03-01T10:00:00Z"}})));
  std::map<std::string, std::string> refs{{"lever:contact:q", candidate}};
  auto note = [&](const std::string& source, const std::string& key, const std::string& format,
                  const std::string& body) {
    return write_ok("note", item(key,
                                 json::object{{"kind", "note"},
                                              {"source", source},
                                              {"source_key", key},
                                              {"person_key", "lever:contact:q"},
                                              {"author_name", "Jane Doe"},
                                              {"created_at", "2019-03-04T14:02:00Z"},
                                              {"body_format", format},
                                              {"body", body}},
                                 refs));
  };
  std::string paragraphs = "First paragraph.\n\nSecond paragraph,\nwith a line break.";
  std::string plain_id = note("lever", "lever:note:p", "text", paragraphs);
  std::string list_id = note("greenhouse", "greenhouse:note:h", "html",
                             "<ul><li>one</li><li><i>two</i></li></ul><ol><li>three</li></ol>");
  std::string prose_id =
      note("greenhouse", "greenhouse:note:m", "html",
           "<p>Intro with <b>bold</b> and\n<a href=\"https://ex.example/x\">a link</a>.</p>"
           "<p>Second<br>line</p><ul><li>item</li></ul>");

  std::map<std::string, json::object> by_id;
  json::object state = h.state();
  for (const auto& stored : state.at("candidates").at(0).at("notes").as_array())
    by_id[std::string(stored.at("id").as_string())] = stored.as_object();
  auto stored = [&](const std::string& target) -> const json::object& {
    return by_id.at(target.substr(target.find(':') + 1));
  };
  // Every note ends with its reference line, "atsmigrate ref" and 16 hex digits.
  auto expect_lines = [&](const json::object& held, const std::string& type,
                          const std::string& lines) {
    std::string rendered(held.at("rendered").as_string());
    EXPECT_EQ(held.at("type"), json::value(type)) << rendered;
    std::string::size_type reference = rendered.rfind("\natsmigrate ref ");
    ASSERT_NE(reference, std::string::npos) << rendered;
    EXPECT_EQ(rendered.substr(0, reference), lines);
    EXPECT_EQ(rendered.size() - reference, std::string("\natsmigrate ref ").size() + 16)
        << rendered;
  };
  // A plain-text note: text/plain, its paragraphs and line break as written.
  expect_lines(stored(plain_id), "text/plain",
               "Lever note — Jane Doe, 2019-03-04 14:02 UTC\n" + paragraphs);
  // An HTML note of lists: text/html, Ashby's lists carry every line.
  expect_lines(stored(list_id), "text/html",
               "Greenhouse note — Jane Doe, 2019-03-04 14:02 UTC\n• one\n• two\n1. three");
  EXPECT_NE(std::string(stored(list_id).at("content").as_string())
                .find("<ul><li>one</li><li><i>two</i></li></ul><ol><li>three</li></ol>"),
            std::string::npos);
  // An HTML note of paragraphs, which no supported element can separate: text/plain with its
  // paragraphs, its line break, its list and its link's target.
  expect_lines(stored(prose_id), "text/plain",
               "Greenhouse note — Jane Doe, 2019-03-04 14:02 UTC\n"
               "Intro with bold and a link.\n\nSecond\nline\n\n• item\n"
               "Links:\na link: https://ex.example/x");
  // The profile note the sink composes: a heading and a list, so text/html.
  for (const auto& [id, held] : by_id)
    if (std::string(held.at("rendered").as_string()).rfind("Migrated profile", 0) == 0)
      expect_lines(held, "text/html",
                   "Migrated profile — Lever contact, 2019-03-01\n• headline: Staff engineer");

  // The read-back holds each note's text.
  auto plain_back = h.sink().read_back("note", plain_id);
  ASSERT_TRUE(plain_back.has_value());
  EXPECT_NE(std::string(plain_back->at("body").as_string()).find("with a line break."),
            std::string::npos);
}

TEST_F(AshbySinkTest, TwoFilesOfOneNameOnOneCandidateAreEachIdentifiedWithoutTheUploadHandle) {
  std::string candidate =
      write_ok("person", item("lever:contact:d", person("d", "Dee Docs", {"dee@example.com"})));
  std::map<std::string, std::string> refs{{"lever:contact:d", candidate}};
  auto file = [&](const std::string& id, const std::string& bytes) {
    std::string sha = h.put_blob(bytes);
    return std::make_pair(sha, json::object{{"kind", "file"},
                                            {"source", "lever"},
                                            {"source_key", "lever:file:" + id},
                                            {"person_key", "lever:contact:d"},
                                            {"file_name", "resume.pdf"},
                                            {"content_type", "application/pdf"},
                                            {"size", static_cast<int64_t>(bytes.size())},
                                            {"sha256", sha},
                                            {"is_resume", false}});
  };
  auto [first_sha, first] = file("1", "first resume bytes");
  auto [second_sha, second] = file("2", "second resume, other bytes");
  std::string first_id = write_ok("file", item("lever:file:1", first, refs));
  std::string second_id = write_ok("file", item("lever:file:2", second, refs));
  EXPECT_NE(first_id, second_id);
  // Each target is the file with its own bytes (the read-back downloads them through file.info).
  for (const auto& [target, sha] :
       {std::make_pair(first_id, first_sha), std::make_pair(second_id, second_sha)}) {
    auto back = h.sink().read_back("file", target);
    ASSERT_TRUE(back.has_value()) << target;
    EXPECT_EQ(back->at("sha256"), json::value(sha)) << target;
  }
}

// A Lever file record of a PDF (not a resume) on `person_key`.
json::object pdf_file(const std::string& id, const std::string& person_key,
                      const std::string& file_name, const std::string& sha, int64_t size) {
  return json::object{{"kind", "file"},
                      {"source", "lever"},
                      {"source_key", "lever:file:" + id},
                      {"person_key", person_key},
                      {"file_name", file_name},
                      {"content_type", "application/pdf"},
                      {"size", size},
                      {"sha256", sha},
                      {"is_resume", false}};
}

// Telling an upload's new file from the candidate's others needs the ids the candidate held
// before it. The person's write already knows them: none on a candidate it created, those
// candidate.info listed on one it merged into. Asking candidate.info again before the first
// upload would cost one call per candidate, ~6 % of a migration's calls.
TEST_F(AshbySinkTest, AFirstUploadTellsItsFileFromTheOthersWithoutAskingCandidateInfoAgain) {
  auto file = [&](const std::string& id, const std::string& person_key, const std::string& sha,
                  int64_t size) { return pdf_file(id, person_key, "resume.pdf", sha, size); };
  // A candidate this instance creates.
  std::string created =
      write_ok("person", item("lever:contact:n", person("n", "Nora New", {"nora@example.com"})));
  std::string new_sha = h.put_blob("nora's resume");
  auto before = h.request_counts();
  std::string new_target =
      write_ok("file", item("lever:file:n", file("n", "lever:contact:n", new_sha, 13),
                            {{"lever:contact:n", created}}));
  EXPECT_EQ(calls(delta(before, h.request_counts()), "candidate.info"), 0);
  EXPECT_EQ(h.sink().read_back("file", new_target)->at("sha256"), json::value(new_sha));

  // A candidate an earlier run made, with a file of the same name already on it: this instance
  // merges a person into it, then uploads other bytes under that name.
  std::string old_sha = h.put_blob("an earlier resume");
  std::string merged;
  {
    std::unique_ptr<host::ConnectorInstance> earlier = h.open_instance();
    json::array people = earlier->write(
        "person", json::serialize(json::array{
                      item("lever:contact:m", person("m", "Mo Merged", {"mo@example.com"}))}));
    merged = std::string(people.at(0).at("target_id").as_string());
    json::array files = earlier->write(
        "file", json::serialize(
                    json::array{item("lever:file:old", file("old", "lever:contact:m", old_sha, 17),
                                     {{"lever:contact:m", merged}})}));
    ASSERT_EQ(files.at(0).at("status"), "ok") << json::serialize(files);
  }
  json::object merge = item("lever:contact:m2", person("m2", "Mo Merged", {"mo@example.com"}));
  merge["target_id"] = merged;
  EXPECT_EQ(write_ok("person", merge), merged);
  std::string newer_sha = h.put_blob("mo's newer resume");
  before = h.request_counts();
  std::string merged_target =
      write_ok("file", item("lever:file:m2", file("m2", "lever:contact:m2", newer_sha, 17),
                            {{"lever:contact:m2", merged}}));
  EXPECT_EQ(calls(delta(before, h.request_counts()), "candidate.info"), 0);
  // The upload's target is the new file, not the earlier one of the same name.
  EXPECT_EQ(h.sink().read_back("file", merged_target)->at("sha256"), json::value(newer_sha));
  json::object state = h.state();
  const json::object* stored = candidate_by_legacy(state, "lever:contact:m2");
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->at("files").as_array().size(), 2u);
}

// finish ends the load: what the sink learnt per candidate (the files it saw on each) is let go
// before the reconciliation reads back in the same process, and a write after it asks Ashby again.
TEST_F(AshbySinkTest, FinishLetsGoOfWhatTheLoadLearntPerCandidateAndALaterUploadStillFindsItsFile) {
  auto file = [&](const std::string& id, const std::string& sha, int64_t size) {
    return pdf_file(id, "lever:contact:f", "portfolio.pdf", sha, size);
  };
  std::string created =
      write_ok("person", item("lever:contact:f", person("f", "Fay Finish", {"fay@example.com"})));
  std::string first_sha = h.put_blob("fay's first");
  auto before = h.request_counts();
  write_ok("file", item("lever:file:1", file("1", first_sha, 11), {{"lever:contact:f", created}}));
  EXPECT_EQ(calls(delta(before, h.request_counts()), "candidate.info"), 0);

  ASSERT_TRUE(h.sink().finish(R"({"kinds":{}})"));
  std::string second_sha = h.put_blob("fay's second");
  before = h.request_counts();
  std::string second = write_ok(
      "file", item("lever:file:2", file("2", second_sha, 12), {{"lever:contact:f", created}}));
  EXPECT_EQ(calls(delta(before, h.request_counts()), "candidate.info"), 1)
      << "the files seen on the candidate were let go at finish";
  // Two files of one name on the candidate: the upload's target is the new one.
  EXPECT_EQ(h.sink().read_back("file", second)->at("sha256"), json::value(second_sha));
}

}  // namespace
}  // namespace atsm::ashby::testing
