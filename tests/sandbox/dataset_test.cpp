// The generated dataset: deterministic, with every edge case the issue lists; the ground truth's
// counts agree with counts taken straight from the dataset.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "http_client.hpp"
#include "sandbox/dataset.hpp"
#include "sandbox/sandbox.hpp"

namespace atsm::sandbox {
namespace {

namespace json = boost::json;

TEST(SandboxDataset, SameSeedGivesSameDataOtherSeedDiffers) {
  Dataset a = generate_dataset(42, 80), b = generate_dataset(42, 80), c = generate_dataset(43, 80);
  ASSERT_EQ(a.lever.opportunities.size(), b.lever.opportunities.size());
  for (std::size_t i = 0; i < a.lever.opportunities.size(); ++i) {
    EXPECT_EQ(a.lever.opportunities[i].id, b.lever.opportunities[i].id);
    EXPECT_EQ(a.lever.opportunities[i].created_at, b.lever.opportunities[i].created_at);
  }
  ASSERT_EQ(a.greenhouse.candidates.size(), b.greenhouse.candidates.size());
  EXPECT_EQ(a.greenhouse.candidates.back().emails.size(),
            b.greenhouse.candidates.back().emails.size());
  EXPECT_NE(a.lever.opportunities[0].id, c.lever.opportunities[0].id);
}

TEST(SandboxDataset, HoldsTheEdgeCasesTheGuidesName) {
  Dataset data = generate_dataset(5, 300);
  const auto& lv = data.lever;
  std::map<std::string, int> per_contact;
  for (const auto& opp : lv.opportunities)
    ++per_contact[opp.contact_id];
  EXPECT_GE(std::max_element(per_contact.begin(), per_contact.end(),
                             [](auto& x, auto& y) { return x.second < y.second; })
                ->second,
            20);
  auto any_opp = [&](auto&& predicate) {
    return std::any_of(lv.opportunities.begin(), lv.opportunities.end(), predicate);
  };
  EXPECT_TRUE(any_opp([](const LeverOpportunity& o) { return !o.posting_id; }))
      << "leads without posting";
  EXPECT_TRUE(any_opp([](const LeverOpportunity& o) { return o.confidential; }));
  EXPECT_TRUE(any_opp([&](const LeverOpportunity& o) {
    return o.archive_reason_id == lv.archive_reasons[0].id;
  })) << "hired";
  EXPECT_TRUE(any_opp([&](const LeverOpportunity& o) {
    return o.archive_reason_id && o.archive_reason_id != lv.archive_reasons[0].id;
  }));
  EXPECT_TRUE(any_opp([](const LeverOpportunity& o) { return o.created_at == 0; }))
      << "epoch boundary";
  EXPECT_TRUE(any_opp([](const LeverOpportunity& o) { return !o.updated_at; })) << "null updatedAt";
  EXPECT_TRUE(any_opp([](const LeverOpportunity& o) { return o.quirk == "dangling_owner"; }));
  EXPECT_TRUE(any_opp([](const LeverOpportunity& o) { return o.quirk == "created_at_string"; }));
  EXPECT_TRUE(any_opp([](const LeverOpportunity& o) { return o.deleted_at.has_value(); }));
  EXPECT_TRUE(any_opp([](const LeverOpportunity& o) {
    return std::any_of(o.notes.begin(), o.notes.end(), [](const LeverNote& n) {
      return n.comments[0].value.find("<script>") != std::string::npos;
    });
  }));
  EXPECT_TRUE(any_opp([](const LeverOpportunity& o) {
    return std::any_of(o.notes.begin(), o.notes.end(),
                       [](const LeverNote& n) { return n.comments[0].value.size() > 10000; });
  }));
  EXPECT_TRUE(any_opp([](const LeverOpportunity& o) {
    return std::any_of(o.files.begin(), o.files.end(),
                       [](const SandboxFile& f) { return f.status != "processed"; });
  })) << "files Lever answers 422 for";
  std::set<std::string> field_types;
  for (const auto& opp : lv.opportunities)
    for (const auto& form : opp.feedback)
      for (const auto& field : form.fields)
        field_types.insert(field.type);
  for (const char* type : {"score-system", "scorecard", "yes-no", "dropdown", "score", "textarea"})
    EXPECT_TRUE(field_types.count(type)) << type;
  EXPECT_TRUE(std::any_of(lv.users.begin(), lv.users.end(),
                          [](const LeverUser& u) { return u.deactivated_at.has_value(); }));
  EXPECT_TRUE(std::any_of(lv.contacts.begin(), lv.contacts.end(),
                          [](const LeverContact& c) { return c.emails.empty(); }));
  EXPECT_TRUE(std::any_of(lv.contacts.begin(), lv.contacts.end(), [](const LeverContact& c) {
    return !c.emails.empty() && !is_valid_email(c.emails[0]);
  }));

  const auto& gh = data.greenhouse;
  EXPECT_TRUE(std::any_of(gh.applications.begin(), gh.applications.end(),
                          [](const GhApplication& a) { return a.prospect && !a.job_id; }));
  EXPECT_TRUE(std::any_of(gh.applications.begin(), gh.applications.end(),
                          [](const GhApplication& a) { return a.prospect && a.job_id; }));
  std::map<std::string, int> gh_emails;
  for (const auto& c : gh.candidates)
    if (!c.emails.empty() && is_valid_email(c.emails[0].value))
      ++gh_emails[normalise_email(c.emails[0].value)];
  EXPECT_TRUE(std::any_of(gh_emails.begin(), gh_emails.end(), [](auto& e) {
    return e.second >= 2;
  })) << "two GH candidates share an email";
  std::set<std::string> lever_emails;
  for (const auto& c : lv.contacts)
    for (const auto& e : c.emails)
      lever_emails.insert(normalise_email(e));
  EXPECT_TRUE(std::any_of(gh_emails.begin(), gh_emails.end(), [&](auto& e) {
    return lever_emails.count(e.first) > 0;
  })) << "people in both";
  std::set<std::string> ratings;
  for (const auto& card : gh.scorecards)
    ratings.insert(card.rating);
  for (const char* rating : {"strong_no", "no", "yes", "strong_yes", "no_decision"})
    EXPECT_TRUE(ratings.count(rating)) << rating;
  std::set<std::string> custom_types;
  for (const auto& field : gh.custom_fields)
    custom_types.insert(field.value_type);
  EXPECT_GE(custom_types.size(), 10u);
  EXPECT_TRUE(std::any_of(gh.attachments.begin(), gh.attachments.end(),
                          [](const GhAttachment& a) { return a.file.size > 1000000; }) ||
              std::any_of(lv.opportunities.begin(), lv.opportunities.end(),
                          [](const LeverOpportunity& o) {
                            return std::any_of(
                                o.files.begin(), o.files.end(),
                                [](const SandboxFile& f) { return f.size > 1000000; });
                          }))
      << "several-MB files";
}

TEST(SandboxDataset, FileBytesArePdfLikeAndStable) {
  SandboxFile file;
  file.size = 5000;
  file.content_seed = 99;
  std::string bytes = file_bytes(file);
  ASSERT_EQ(bytes.size(), 5000u);
  EXPECT_EQ(bytes.substr(0, 8), "%PDF-1.4");
  EXPECT_EQ(bytes.substr(bytes.size() - 6), "%%EOF\n");
  EXPECT_EQ(sha256_hex(bytes), sha256_hex(file_bytes(file)));
}

// Counts straight from the dataset, by the simplest reading of MAPPING.md, for comparison.
struct Expected {
  std::int64_t candidates = 0, applications = 0, feedback = 0;
};

Expected lever_expected(const Dataset& data) {
  Expected out;
  std::set<std::string> live_contacts;
  std::set<std::string> anonymized;
  for (const auto& c : data.lever.contacts)
    if (c.anonymized)
      anonymized.insert(c.id);
  for (const auto& opp : data.lever.opportunities) {
    if (opp.deleted_at || anonymized.count(opp.contact_id))
      continue;
    live_contacts.insert(opp.contact_id);
    if (!opp.posting_id)
      continue;
    ++out.applications;
    for (const auto& form : opp.feedback)
      out.feedback += form.deleted_at ? 0 : 1;
  }
  out.candidates =
      static_cast<std::int64_t>(live_contacts.size());  // Lever contacts have distinct emails
  return out;
}

Expected greenhouse_expected(const Dataset& data) {
  Expected out;
  std::set<std::string> emails;
  std::int64_t without_email = 0;
  for (const auto& c : data.greenhouse.candidates) {
    std::vector<std::string> valid;
    for (const auto& e : c.emails)
      if (is_valid_email(e.value))
        valid.push_back(normalise_email(e.value));
    if (valid.empty())
      ++without_email;
    else
      emails.insert(valid[0]);  // the generator gives a person's copies the same first email
  }
  out.candidates = static_cast<std::int64_t>(emails.size()) + without_email;
  std::set<std::int64_t> with_job;
  for (const auto& a : data.greenhouse.applications)
    if (a.job_id)
      ++out.applications, with_job.insert(a.id);
  for (const auto& card : data.greenhouse.scorecards)
    if (card.status == "complete" && with_job.count(card.application_id))
      ++out.feedback;
  return out;
}

TEST(SandboxTruth, CountsMatchTheDataset) {
  Options options;
  options.seed = 11;
  options.persons = 150;
  Sandbox sandbox(options);
  sandbox.start();
  Dataset data = generate_dataset(11, 150);
  for (const char* source : {"lever", "greenhouse"}) {
    auto response = test::http(sandbox.endpoints().ashby_url + "/_sandbox/truth?source=" + source);
    ASSERT_EQ(response.status, 200) << response.body;
    auto truth = response.json().as_object();
    Expected expected =
        std::string(source) == "lever" ? lever_expected(data) : greenhouse_expected(data);
    const auto& counts = truth.at("counts").as_object();
    EXPECT_EQ(counts.at("candidate").as_int64(), expected.candidates) << source;
    EXPECT_EQ(counts.at("application").as_int64(), expected.applications) << source;
    EXPECT_EQ(counts.at("feedback").as_int64(), expected.feedback) << source;
    // Per-person entries add up to the counts.
    std::int64_t apps = 0, notes = 0, files = 0;
    for (const auto& person : truth.at("persons").as_array()) {
      apps += static_cast<std::int64_t>(person.at("applications").as_array().size());
      notes += person.at("notes").as_int64();
      files += static_cast<std::int64_t>(person.at("files").as_array().size());
      for (const auto& app : person.at("applications").as_array()) {
        const auto& history = app.at("history").as_array();
        ASSERT_FALSE(history.empty());
        EXPECT_EQ(history.back(), app.at("stage"));
        if (app.at("status") == "Archived") {
          EXPECT_TRUE(app.as_object().contains("archiveReason"));
        }
      }
    }
    EXPECT_EQ(apps, counts.at("application").as_int64());
    std::int64_t feedback_items = 0, source_notes = 0;
    for (const auto& person : truth.at("persons").as_array()) {
      feedback_items += static_cast<std::int64_t>(person.at("feedbackItems").as_array().size());
      source_notes += static_cast<std::int64_t>(person.at("sourceNotes").as_array().size());
      for (const auto& item : person.at("feedbackItems").as_array()) {
        const auto& score = item.at("score");
        EXPECT_TRUE(score.is_null() || (score.as_int64() >= 1 && score.as_int64() <= 4));
      }
    }
    EXPECT_EQ(feedback_items, counts.at("feedback").as_int64());
    std::int64_t expected_source_notes = 0;
    if (std::string(source) == "lever") {
      for (const auto& opp : data.lever.opportunities) {
        if (opp.deleted_at)
          continue;
        for (const auto& note : opp.notes)
          expected_source_notes += note.deleted_at ? 0 : 1;
      }
      for (const auto& contact : data.lever.contacts) {
        if (!contact.anonymized)
          continue;
        for (const auto& opp : data.lever.opportunities)
          if (opp.contact_id == contact.id && !opp.deleted_at)
            for (const auto& note : opp.notes)
              expected_source_notes -= note.deleted_at ? 0 : 1;
      }
    } else {
      expected_source_notes = static_cast<std::int64_t>(data.greenhouse.notes.size());
    }
    EXPECT_EQ(source_notes, expected_source_notes) << source;
    EXPECT_EQ(static_cast<std::int64_t>(truth.at("jobs").as_array().size()),
              counts.at("job").as_int64());
    EXPECT_EQ(
        counts.at("job").as_int64(),
        static_cast<std::int64_t>(std::string(source) == "lever" ? data.lever.postings.size()
                                                                 : data.greenhouse.jobs.size()));
    EXPECT_EQ(notes, counts.at("note").as_int64());
    EXPECT_EQ(files, counts.at("file").as_int64());
  }
  auto both =
      test::http(sandbox.endpoints().ashby_url + "/_sandbox/truth?source=both").json().as_object();
  auto lever =
      test::http(sandbox.endpoints().ashby_url + "/_sandbox/truth?source=lever").json().as_object();
  auto greenhouse = test::http(sandbox.endpoints().ashby_url + "/_sandbox/truth?source=greenhouse")
                        .json()
                        .as_object();
  // People in both sources merge into one candidate; applications never merge.
  EXPECT_LT(both.at("counts").at("candidate").as_int64(),
            lever.at("counts").at("candidate").as_int64() +
                greenhouse.at("counts").at("candidate").as_int64());
  EXPECT_EQ(both.at("counts").at("application").as_int64(),
            lever.at("counts").at("application").as_int64() +
                greenhouse.at("counts").at("application").as_int64());
  EXPECT_EQ(test::http(sandbox.endpoints().ashby_url + "/_sandbox/truth?source=workday").status,
            400);
}

}  // namespace
}  // namespace atsm::sandbox
