// The generated dataset: deterministic, with every edge case the issue lists; the ground truth's
// counts agree with counts taken straight from the dataset.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
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

TEST(SandboxDataset, AGeneratedFilesSeedIsReadBackFromItsBytesAndNothingElseIsTakenForOne) {
  for (std::uint64_t seed : {0ULL, 1ULL, 99ULL, 0x9E3779B97F4A7C15ULL, ~0ULL})
    for (std::size_t size : {31u, 32u, 1024u, 32'769u}) {
      SandboxFile file;
      file.size = size;
      file.content_seed = seed;
      std::string bytes = file_bytes(file);
      EXPECT_EQ(generated_content_seed(bytes), std::optional<std::uint64_t>(seed))
          << "seed " << seed << ", size " << size;
      // One byte changed anywhere (the seed's own word, the middle, the tail): not generated.
      for (std::size_t at : {std::size_t{18}, size / 2, size - 1}) {
        std::string changed = bytes;
        changed[at] = static_cast<char>(changed[at] ^ 1);
        EXPECT_EQ(generated_content_seed(changed), std::nullopt) << "byte " << at;
      }
      // Cut short or grown by a byte: other sizes regenerate other bytes.
      EXPECT_EQ(generated_content_seed(bytes.substr(0, size - 1)), std::nullopt);
      EXPECT_EQ(generated_content_seed(bytes + "x"), std::nullopt);
    }
  EXPECT_EQ(generated_content_seed("%PDF-1.4 resume bytes"), std::nullopt);
  EXPECT_EQ(generated_content_seed(std::string(5000, 'a')), std::nullopt);
}

// Counts straight from the dataset, by the simplest reading of docs/mapping.md, for comparison.
struct Expected {
  std::int64_t candidates = 0, applications = 0, feedback = 0, notes = 0, files = 0,
               candidate_tags = 0;
  std::set<std::string> tags;
};

// One person's files (distinct bytes) and tags (distinct titles), added when the person is done.
struct PersonTally {
  std::set<std::string> hashes, tags;
  void add_to(Expected& out) const {
    out.files += static_cast<std::int64_t>(hashes.size());
    out.candidate_tags += static_cast<std::int64_t>(tags.size());
    out.tags.insert(tags.begin(), tags.end());
  }
};

Expected lever_expected(const Dataset& data) {
  Expected out;
  std::map<std::string, std::vector<const LeverOpportunity*>> live;
  for (const auto& opp : data.lever.opportunities)
    if (!opp.deleted_at)
      live[opp.contact_id].push_back(&opp);
  for (const auto& contact : data.lever.contacts) {
    auto found = live.find(contact.id);
    if (contact.anonymized || found == live.end())
      continue;
    ++out.candidates;  // Lever contacts have distinct emails
    PersonTally person;
    // A profile note holds what the candidate cannot: the headline, the second phone.
    if (!contact.headline.empty() || contact.phones.size() > 1)
      ++out.notes;
    for (const LeverOpportunity* opp : found->second) {
      for (const auto& note : opp->notes)
        out.notes += note.deleted_at ? 0 : 1;
      std::int64_t forms = 0;
      for (const auto& form : opp->feedback)
        forms += form.deleted_at ? 0 : 1;
      forms += static_cast<std::int64_t>(opp->profile_forms.size());  // migrated as feedback
      if (opp->posting_id) {
        ++out.applications;
        out.feedback += forms;
        // The application note: cover letter, company, posting-form answers (MAPPING).
        const auto& application = opp->application;
        if (!application.comments.empty() || !application.company.empty() ||
            !application.questions.empty())
          ++out.notes;
      } else {
        out.notes += forms;  // feedback on a jobless candidacy becomes a candidate note
      }
      out.notes +=
          (opp->interviews.empty() ? 0 : 1) + static_cast<std::int64_t>(opp->offers.size());
      for (const auto& file : opp->files)
        if (file.status == "processed")  // Lever answers 422 for the others
          person.hashes.insert(sha256_hex(file_bytes(file)));
      // Offer letters and file-upload answers are files on the candidate too.
      for (const auto& offer : opp->offers)
        for (const auto* letter : {&offer.sent_document, &offer.signed_document})
          if (*letter)
            person.hashes.insert(sha256_hex(file_bytes(**letter)));
      if (opp->application.answer_file)
        person.hashes.insert(sha256_hex(file_bytes(*opp->application.answer_file)));
      person.tags.insert(opp->tags.begin(), opp->tags.end());
    }
    person.add_to(out);
  }
  return out;
}

Expected greenhouse_expected(const Dataset& data) {
  const GreenhouseData& gh = data.greenhouse;
  Expected out;
  // Persons: candidates grouped by their first valid email (the generator gives a person's
  // copies the same first email); a candidate without one is a person of its own.
  std::map<std::string, std::vector<const GhCandidate*>> by_email;
  std::vector<std::vector<const GhCandidate*>> persons;
  for (const auto& c : gh.candidates) {
    std::string first;
    for (const auto& e : c.emails)
      if (first.empty() && is_valid_email(e.value))
        first = normalise_email(e.value);
    if (first.empty())
      persons.push_back({&c});
    else
      by_email[first].push_back(&c);
  }
  for (auto& [email, members] : by_email)
    persons.push_back(members);
  out.candidates = static_cast<std::int64_t>(persons.size());
  for (const auto& members : persons) {
    PersonTally person;
    for (const GhCandidate* c : members) {
      if (!c->company.empty() || !c->title.empty() || c->phones.size() > 1 ||
          c->addresses.size() > 1 || !c->educations.empty() || !c->employments.empty() ||
          !c->time_zone.empty() || !c->can_email)
        ++out.notes;  // profile note (education, employment, time zone, consent included)
      for (const auto& note : gh.notes)
        out.notes += note.candidate_id == c->id ? 1 : 0;
      for (const auto& attachment : gh.attachments)
        if (attachment.candidate_id == c->id)
          person.hashes.insert(sha256_hex(file_bytes(attachment.file)));
      person.tags.insert(c->tags.begin(), c->tags.end());
      for (const auto& app : gh.applications) {
        if (app.candidate_id != c->id)
          continue;
        if (app.job_id)
          ++out.applications;
        // A pooled prospect: a "Prospect pool" tag, and its stage in the application note, which
        // also holds the form's answers.
        bool pool_stage = false;
        for (const auto& detail : gh.prospect_details)
          if (detail.application_id == app.id && detail.pool_id != 0)
            for (const auto& pool : gh.prospect_pools)
              if (pool.id == detail.pool_id) {
                person.tags.insert("Prospect pool: " + pool.name);
                pool_stage = detail.pool_stage_id != 0;
              }
        if (!app.answers.empty() || pool_stage)
          ++out.notes;
        for (const auto& card : gh.scorecards) {
          if (card.application_id != app.id || card.status != "complete")
            continue;
          ++out.notes;  // the structured note of "feedback_and_note"
          if (app.job_id)
            ++out.feedback;
          else
            ++out.notes;  // the feedback itself, as a candidate note
        }
        bool interviewed =
            std::any_of(gh.interviews.begin(), gh.interviews.end(),
                        [&](const GhInterview& i) { return i.application_id == app.id; });
        out.notes += interviewed ? 1 : 0;
        for (const auto& offer : gh.offers)  // current versions only
          out.notes += offer.application_id == app.id && offer.status != "Deprecated" ? 1 : 0;
      }
    }
    person.add_to(out);
  }
  return out;
}

// The custom field definitions a perfect migration leaves: the default setup's (one per distinct
// Greenhouse custom field name) plus the candidate and application legacy-id fields.
std::int64_t expected_custom_fields(const Dataset& data) {
  std::set<std::string> names;
  for (const auto& field : data.greenhouse.custom_fields)
    names.insert(field.name);
  return static_cast<std::int64_t>(names.size()) + 2;
}

std::set<std::string> keys_of(const json::value& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.as_object())
    keys.emplace(key);
  return keys;
}

TEST(SandboxTruth, CountsHaveTheKeysOfTheStateCounts) {
  Options options;
  options.seed = 3;
  options.persons = 30;
  Sandbox sandbox(options);
  sandbox.start();
  const std::string& url = sandbox.endpoints().ashby_url;
  auto state = test::http(url + "/_sandbox/state?details=false");
  ASSERT_EQ(state.status, 200) << state.body;
  std::set<std::string> state_keys = keys_of(state.json().at("counts"));
  // The keys sandbox/README.md documents for GET /_sandbox/state.
  EXPECT_EQ(state_keys,
            (std::set<std::string>{"candidate", "application", "note", "feedback", "file",
                                   "candidate_tag", "job", "tag", "custom_field"}));
  for (const char* source : {"lever", "greenhouse", "both"}) {
    auto truth = test::http(url + "/_sandbox/truth?source=" + source);
    ASSERT_EQ(truth.status, 200) << truth.body;
    EXPECT_EQ(keys_of(truth.json().at("counts")), state_keys) << source;
  }
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
    EXPECT_EQ(counts.at("note").as_int64(), expected.notes) << source;
    EXPECT_EQ(counts.at("file").as_int64(), expected.files) << source;
    EXPECT_EQ(counts.at("candidate_tag").as_int64(), expected.candidate_tags) << source;
    EXPECT_EQ(counts.at("tag").as_int64(), static_cast<std::int64_t>(expected.tags.size()))
        << source;
    EXPECT_EQ(counts.at("custom_field").as_int64(), expected_custom_fields(data)) << source;
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
  std::set<std::string> all_tags = lever_expected(data).tags;
  for (const auto& tag : greenhouse_expected(data).tags)
    all_tags.insert(tag);
  EXPECT_EQ(both.at("counts").at("tag").as_int64(), static_cast<std::int64_t>(all_tags.size()))
      << "one tag per title across both sources";
  EXPECT_EQ(test::http(sandbox.endpoints().ashby_url + "/_sandbox/truth?source=workday").status,
            400);
}

}  // namespace
}  // namespace atsm::sandbox
