// Deterministic dataset generator: every edge case the migration guides name, in fixed proportions.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "sandbox/dataset.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace {

namespace json = boost::json;

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kEpoch2015 = 1'420'070'400'000;   // 2015-01-01
constexpr std::int64_t kDatasetNow = 1'767'225'600'000;  // 2026-01-01: "now" for generated history

const std::vector<std::string> kFirstNames{
    "Ada",    "José", "Zoë",    "Łukasz", "Priya", "Chen", "Fatima", "Oliver", "Amara",
    "Søren",  "Mei",  "Dmitri", "Aisha",  "Mateo", "Yuki", "Noah",   "Élodie", "Kwame",
    "Ingrid", "Ravi", "Sofia",  "Tomás",  "Hana",  "Liam", "Nadia",  "Björn",  "Camila"};
const std::vector<std::string> kLastNames{
    "Lovelace", "García", "O'Brien", "Kowalski", "Patel",     "Wang",   "Haddad",
    "Smith",    "Okafor", "Jensen",  "Li",       "Ivanov",    "Khan",   "Rossi",
    "Tanaka",   "Müller", "Dubois",  "Mensah",   "Berg",      "Sharma", "Silva",
    "Núñez",    "Kim",    "Walsh",   "Petrova",  "Lindqvist", "Herrera"};
const std::vector<std::string> kDomains{"example.com", "mail.example.org", "example.net",
                                        "posteo.example", "example.co.uk"};
const std::vector<std::string> kPhones{
    "+44 20 7946 0958",  "+81 3-1234-5678", "+1 (415) 555-0100", "+49 30 901820",
    "+55 11 91234-5678", "+91 98765 43210", "+33 1 23 45 67 89", "+61 2 9876 5432"};
const std::vector<std::string> kLocations{"Berlin, Germany",
                                          "San Francisco, CA, USA",
                                          "London, United Kingdom",
                                          "Tokyo, Japan",
                                          "São Paulo, Brazil",
                                          "Remote - anywhere in Europe",
                                          "Bengaluru, Karnataka, India",
                                          ""};
const std::vector<std::string> kCompanies{"Brickly LLC", "Tomato Emporium", "Acme GmbH",
                                          "Initech",     "Globex",          "Umbrella KK"};
const std::vector<std::string> kTitles{
    "Software Engineer",         "Account Executive", "Data Scientist",    "Product Designer",
    "Site Reliability Engineer", "Recruiter",         "Marketing Manager", "Support Lead"};
const std::vector<std::string> kUserNames{
    "Rachel Green",   "Monica Geller", "Ross Geller",     "Chandler Bing",
    "Joey Tribbiani", "Phoebe Buffay", "Gunther Central", "Janice Hosenstein",
    "Carol Willick",  "Susan Bunch",   "Richard Burke",   "Emily Waltham",
    "Mike Hannigan",  "Tag Jones",     "Kathy Ling",      "David Sci"};
const std::vector<std::string> kSources{"LinkedIn", "Referral",    "Job Board",
                                        "Agency",   "Career Site", "Conference"};
const std::vector<std::string> kTags{"Engineering", "Senior", "Remote",   "Python",
                                     "Sales",       "Rehire", "Ünicode ✓"};
// Shared by both sources so the default Ashby plan maps every stage by title.
const std::vector<std::string> kGhStageNames{"Application Review", "Recruiter Screen",
                                             "Phone Interview", "On-site Interview", "Offer"};

const std::string kLongNoteParagraph =
    "Long-form debrief: the candidate walked through three systems in depth, with trade-offs, "
    "failure modes and what they would change next time. ";

// Long bodies are 2 % of notes: enough to exercise limits without bloating memory.
int note_kind(Rng& rng) {
  static const int kThresholds[] = {10, 20, 22, 32, 42};
  std::int64_t roll = rng.range(0, 99);
  int kind = 0;
  while (kind < 5 && roll >= kThresholds[kind])
    ++kind;
  return kind;
}

std::string note_text(Rng& rng) {
  switch (note_kind(rng)) {
    case 0:
      return "Great call 🎉 — très bien, 非常好. Follow up next week.";
    case 1:
      return "<script>alert('xss')</script> pasted from an email";
    case 2: {
      std::string text;
      while (text.size() < 20000)
        text += kLongNoteParagraph;
      return text;
    }
    case 3:
      return "Line one\nLine two\n\n- bullet with <b>angle</b> brackets & ampersand";
    default:
      return "Spoke with the candidate about timing; interested, notice period 4 weeks.";
  }
}

// v3 note bodies are plain text: "Newline characters are stored verbatim and rendered as line
// breaks" (specs/greenhouse-v3/schemas/notes.json, `body`); `<` and `&` are characters, not markup.
std::string gh_note_text(Rng& rng) {
  switch (note_kind(rng)) {
    case 0:
      return "Strong systems background 🚀\n- Go\n- C++";
    case 1:
      return "Asked about <script>alert(1)</script> & escaping: fine.";
    case 3:
      return "Portfolio: https://example.com (a <b> tag is text here)";
    case 2: {
      std::string text;
      while (text.size() < 15000)
        text += kLongNoteParagraph + "\n";
      return text;
    }
    case 4:
      return "Plain text note, Ünïcödé and 中文 included.";
    default:
      return "Recruiter screen done,\nmoving to phone interview.";
  }
}

SandboxFile make_file(Rng& rng, std::string id, const std::string& stem, bool resume,
                      std::int64_t at) {
  SandboxFile file;
  file.id = std::move(id);
  static const std::vector<std::string> kExts{"pdf", "pdf", "pdf", "docx", "txt"};
  file.ext = resume ? "pdf" : rng.pick(kExts);
  file.name = stem + (resume ? "_Resume." : "_Portfolio.") + file.ext;
  // Mostly small, a few several-MB files so downloads and uploads see both.
  file.size = rng.chance(0.005) ? static_cast<std::size_t>(rng.range(1'000'000, 4'000'000))
                                : static_cast<std::size_t>(rng.range(1'024, 32'768));
  file.resume = resume;
  file.uploaded_at = at;
  file.content_seed = rng.next();
  return file;
}

struct Identity {
  std::string first, last, email_local, domain;
  bool has_email = true, malformed_email = false;
  std::vector<std::string> phones;
  std::string location, company, title;
};

}  // namespace

static void generate_lever(Dataset& data, Rng& rng, const std::vector<Identity>& people,
                           const std::vector<int>& members) {
  LeverData& lv = data.lever;
  for (std::size_t i = 0; i < kUserNames.size(); ++i) {
    LeverUser user;
    user.id = rng.uuid();
    user.name = kUserNames[i];
    std::string local = to_lower(kUserNames[i].substr(0, kUserNames[i].find(' ')));
    user.email = local + "@acme.example";
    user.access_role = i == 0 ? "super admin" : (i < 4 ? "admin" : "team member");
    user.created_at = kEpoch2015 + static_cast<std::int64_t>(i) * kDay;
    if (i >= kUserNames.size() - 3)
      user.deactivated_at = kEpoch2015 + 2000 * kDay;
    lv.users.push_back(user);
  }
  auto active_user = [&]() -> const std::string& {
    return lv.users[static_cast<std::size_t>(rng.range(0, 12))].id;
  };
  auto any_user = [&]() -> const std::string& { return rng.pick(lv.users).id; };

  lv.stages = {{"lead-new", "New Lead", true},
               {"lead-reached-out", "Reached Out", true},
               {"applicant-new", "New Applicant", false},
               {rng.uuid(), "Recruiter Screen", false},
               {rng.uuid(), "Phone Interview", false},
               {rng.uuid(), "On-site Interview", false},
               {"offer", "Offer", false}};
  lv.archive_reasons = {{rng.uuid(), "Hired", "hired", true},
                        {rng.uuid(), "Underqualified", "non-hired", true},
                        {rng.uuid(), "Withdrew", "non-hired", true},
                        {rng.uuid(), "Position Filled", "non-hired", true},
                        {rng.uuid(), "Timing", "non-hired", true},
                        {rng.uuid(), "Legacy Reason", "non-hired", false}};
  lv.sources = kSources;
  lv.tags = kTags;

  int posting_count = std::max(4, data.persons / 25);
  static const std::vector<std::string> kStates{"published", "published", "published", "internal",
                                                "closed",    "closed",    "draft"};
  static const std::vector<std::string> kTeams{"Engineering", "Sales", "Marketing", "Support"};
  for (int i = 0; i < posting_count; ++i) {
    LeverPosting posting;
    posting.id = rng.uuid();
    posting.text = rng.pick(kTitles) + " " + std::to_string(i + 1);
    posting.state = rng.pick(kStates);
    posting.team = rng.pick(kTeams);
    posting.department = posting.team;
    posting.location = rng.pick(std::vector<std::string>{"Berlin", "New York", "Remote", "Tokyo"});
    posting.commitment = "Full-time";
    posting.owner = active_user();
    posting.confidential = i == 1 || rng.chance(0.08);
    posting.created_at = kEpoch2015 + rng.range(0, 3000) * kDay;
    posting.updated_at = posting.created_at + rng.range(0, 200) * kDay;
    lv.postings.push_back(posting);
  }

  const auto& reasons = lv.archive_reasons;
  int opportunity_serial = 0;
  for (std::size_t m = 0; m < members.size(); ++m) {
    const Identity& person = people[static_cast<std::size_t>(members[m])];
    LeverContact contact;
    contact.id = rng.uuid();
    contact.name = person.first + " " + person.last;
    contact.headline = person.company;
    contact.location = person.location;
    if (person.malformed_email) {
      contact.emails.push_back(person.email_local + "(at)" + person.domain);
    } else if (person.has_email) {
      // Mixed case and stray spaces: the plan must normalise before merging.
      std::string email = person.email_local + "@" + person.domain;
      if (rng.chance(0.2))
        email[0] = static_cast<char>(std::toupper(email[0]));
      contact.emails.push_back(email);
      if (rng.chance(0.2))
        contact.emails.push_back(person.email_local + ".alt@" + person.domain);
    }
    static const std::vector<std::string> kPhoneTypes{"mobile", "work", "home", "other"};
    for (const auto& phone : person.phones)
      contact.phones.push_back({rng.pick(kPhoneTypes), phone});
    if (rng.chance(0.5))
      contact.links.push_back("https://www.linkedin.com/in/" + person.email_local);
    if (rng.chance(0.2))
      contact.links.push_back("https://github.com/" + person.email_local);
    if (rng.chance(0.1))
      contact.links.push_back("https://" + person.email_local + ".example.dev");
    contact.anonymized = rng.chance(0.01);

    // 1 to 20+ opportunities per contact, most have one; the first contact always has 21.
    int count = 1;
    double roll = rng.uniform();
    if (m == 0 && data.persons >= 20)
      count = 21;
    else if (roll < 0.20)
      count = 2;
    else if (roll < 0.30)
      count = static_cast<int>(rng.range(3, 5));
    else if (roll < 0.32)
      count = static_cast<int>(rng.range(6, 22));
    for (int k = 0; k < count; ++k) {
      LeverOpportunity opp;
      opp.id = rng.uuid();
      opp.application_id = rng.uuid();
      opp.contact_id = contact.id;
      opp.owner = active_user();
      static const std::vector<std::string> kOrigins{"applied", "sourced",  "referred",
                                                     "agency",  "internal", "university"};
      opp.origin = rng.pick(kOrigins);
      opp.created_at = kEpoch2015 + rng.range(0, 3800) * kDay + rng.range(0, kDay - 1);
      ++opportunity_serial;
      if (opportunity_serial == 3)
        opp.created_at = 0;  // epoch boundary
      if (opportunity_serial == 4)
        opp.created_at = 1;
      bool lead = rng.chance(0.15);
      if (!lead) {
        const LeverPosting& posting = rng.pick(lv.postings);
        opp.posting_id = posting.id;
        opp.confidential = posting.confidential;
      }
      if (rng.chance(0.02))
        opp.confidential = true;
      // Stage path: leads stay in lead stages; applicants advance from New Applicant.
      std::size_t first = lead || rng.chance(0.1) ? 0 : 2;
      std::size_t last =
          lead ? static_cast<std::size_t>(rng.range(0, 1))
               : static_cast<std::size_t>(rng.range(static_cast<std::int64_t>(first), 6));
      std::int64_t at = opp.created_at;
      for (std::size_t s = first; s <= last; ++s) {
        opp.stage_changes.push_back({lv.stages[s].id, active_user(), static_cast<int>(s), at});
        at += rng.range(1, 10) * kDay;
      }
      if (rng.chance(0.05) && opp.stage_changes.size() >= 2) {
        // Moved back and forth: the same stage entered twice.
        auto repeat = opp.stage_changes.back();
        repeat.at = at;
        opp.stage_changes.push_back(repeat);
        at += kDay;
      }
      opp.stage_id = opp.stage_changes.back().to_stage_id;
      if (rng.chance(0.4)) {
        bool hired = !lead && last >= 5 && rng.chance(0.6);
        opp.archive_reason_id =
            hired ? reasons[0].id : reasons[static_cast<std::size_t>(rng.range(1, 5))].id;
        opp.archived_at = at;
      }
      if (rng.chance(0.5))
        opp.tags.push_back(rng.pick(lv.tags));
      if (rng.chance(0.2))
        opp.tags.push_back(rng.pick(lv.tags));
      std::sort(opp.tags.begin(), opp.tags.end());
      opp.tags.erase(std::unique(opp.tags.begin(), opp.tags.end()), opp.tags.end());
      opp.sources.push_back(rng.pick(lv.sources));
      if (!rng.chance(0.03))
        opp.updated_at = std::max(at, opp.created_at) + rng.range(0, kDay);
      // updatedAt is null on most real opportunities (issue 16 §4, a replay of recorded
      // payloads; lever.md §5.1 `updatedAt`): 10 of the 16 first hex digits of the seeded id
      // clear it, which leaves every other draw of the dataset as it was.
      if (std::string("0123456789").find(opp.id.front()) != std::string::npos)
        opp.updated_at.reset();

      int notes = static_cast<int>(rng.range(0, 3));
      for (int n = 0; n < notes; ++n) {
        LeverNote note;
        note.id = rng.uuid();
        note.user = any_user();
        note.secret = rng.chance(0.1);
        note.created_at = opp.created_at + rng.range(0, 30) * kDay;
        note.comments.push_back({note_text(rng), note.user, note.created_at});
        if (rng.chance(0.2)) {
          note.comments.push_back({"Reply: agreed 👍", active_user(), note.created_at + 3600000});
        }
        if (rng.chance(0.05))
          note.deleted_at = note.created_at + kDay;
        opp.notes.push_back(std::move(note));
      }
      int feedback = last >= 3 ? static_cast<int>(rng.range(0, 2)) : 0;
      for (int f = 0; f < feedback; ++f) {
        LeverFeedback form;
        form.id = rng.uuid();
        form.type = "interview";
        form.text = rng.chance(0.5) ? "On-site interview" : "Phone screen";
        form.template_id = "tmpl-" + std::to_string(rng.range(1, 3));
        form.user = any_user();
        form.interview = rng.uuid();
        form.created_at = opp.created_at + rng.range(1, 20) * kDay;
        form.completed_at = form.created_at + 3600000;
        static const std::vector<std::string> kRatings{"4 - Strong Hire", "3 - Hire", "2 - No Hire",
                                                       "1 - Strong No Hire"};
        FormField rating{
            rng.uuid(), "score-system", "Rating", json::value(rng.pick(kRatings)), kRatings, {}};
        FormField skills{rng.uuid(),    "scorecard", "Skills",
                         json::value(), {},          {"Communication", "Ownership"}};
        skills.value = json::array{json::object{{"score", rng.range(1, 4)}, {"comment", "Clear"}},
                                   json::object{{"score", rng.range(1, 4)}, {"comment", nullptr}}};
        FormField again{rng.uuid(),
                        "yes-no",
                        "Hire for another team?",
                        json::value(rng.chance(0.5) ? "yes" : "no"),
                        {},
                        {}};
        FormField level{
            rng.uuid(), "dropdown", "Level", json::value("Senior"), {"Junior", "Mid", "Senior"},
            {}};
        FormField score{rng.uuid(), "score", "Thumbs", json::value(rng.range(1, 4)), {}, {}};
        FormField text{rng.uuid(), "textarea",
                       "Notes",    json::value("Solid ✅ — would work with again."),
                       {},         {}};
        form.fields = {rating, skills, again, level, score, text};
        if (rng.chance(0.05))
          form.deleted_at = form.completed_at + kDay;
        opp.feedback.push_back(std::move(form));
      }
      if (last >= 4 && rng.chance(0.5)) {
        LeverInterview interview;
        interview.id = rng.uuid();
        interview.subject = "Interview with " + contact.name;
        interview.user = active_user();
        interview.stage = lv.stages[4].id;
        interview.interviewers = {active_user(), any_user()};
        interview.date = opp.created_at + 5 * kDay;
        opp.interviews.push_back(std::move(interview));
      }
      if (last >= 6) {
        LeverOffer offer;
        offer.id = rng.uuid();
        offer.creator = active_user();
        offer.created_at = at;
        offer.status = opp.archive_reason_id == reasons[0].id ? "signed" : "sent";
        offer.fields = {{"salary_amount", json::value(rng.range(60, 200) * 1000)},
                        {"anticipated_start_date", json::value(iso_date(at + 30 * kDay))}};
        opp.offers.push_back(std::move(offer));
      }
      if (rng.chance(0.7)) {
        opp.files.push_back(make_file(rng, rng.uuid(), person.first, true, opp.created_at));
      }
      if (rng.chance(0.3)) {
        opp.files.push_back(make_file(rng, rng.uuid(), person.first, false, opp.created_at + kDay));
      }
      for (auto& file : opp.files) {
        // Lever answers 422 for files it could not process.
        if (rng.chance(0.05))
          file.status = rng.chance(0.5) ? "unsupported" : "error";
      }
      opp.deleted_at = rng.chance(0.01) ? std::optional<std::int64_t>(at + kDay) : std::nullopt;
      if (opportunity_serial == 5)
        opp.quirk = "created_at_string";
      if (opportunity_serial == 6)
        opp.quirk = "dangling_owner";
      if (opp.quirk == "dangling_owner")
        opp.owner = "00000000-dead-4bad-a000-000000000000";
      lv.opportunities.push_back(std::move(opp));
    }
    lv.contacts.push_back(std::move(contact));
  }
  std::sort(lv.opportunities.begin(), lv.opportunities.end(),
            [](const LeverOpportunity& a, const LeverOpportunity& b) {
              return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
            });
}

// What v3 keeps in their own lists, added after everything else without drawing random numbers
// (so every other record is as before): per job an interview kit with its scorecard questions
// and candidate attributes; referrers (users and outsiders) for the Referral-sourced
// applications; a coordinator on every third application; rejection details for every rejected
// application, half with a rejection note, a third with an answered rejection question.
template <class NextId>
static void add_greenhouse_references(GreenhouseData& gh, NextId& next_id) {
  for (GhJob& job : gh.jobs) {
    job.interview_kit_id = next_id();
    for (const char* question :
         {"Key Take-Aways", "Does the candidate have experience designing APIs?"})
      job.scorecard_questions.push_back({next_id(), question, ""});
    for (const char* attribute : {"Communication", "Analytical"})
      job.candidate_attributes.push_back({next_id(), attribute, "Skills"});
  }
  for (std::size_t k = 2; k < 5; ++k)  // active users (the last two are deactivated)
    gh.referrers.push_back(
        {next_id(), gh.users[k].first_name + " " + gh.users[k].last_name, gh.users[k].id});
  gh.referrers.push_back({next_id(), "Dana Outsider", std::nullopt});
  gh.referrers.push_back({next_id(), "Sam Alumni-Network", std::nullopt});
  std::int64_t referral = 0;
  for (const GhNamed& source : gh.sources)
    if (source.name == "Referral")
      referral = source.id;
  std::map<std::int64_t, std::string> reason_name;
  for (const GhNamed& reason : gh.rejection_reasons)
    reason_name[reason.id] = reason.name;
  std::vector<GhNote> rejection_notes;
  for (GhApplication& app : gh.applications) {
    auto serial = static_cast<std::size_t>(app.id);
    if (app.source_id == referral)
      app.referrer_id = gh.referrers[serial % gh.referrers.size()].id;
    if (serial % 3 == 0)
      app.coordinator_id = gh.users[(serial / 3) % 12].id;
    if (app.status != "rejected")
      continue;
    GhRejectionDetail detail;
    detail.id = next_id();
    detail.application_id = app.id;
    detail.rejected_by_id = app.recruiter_id;
    if (serial % 2 == 0) {
      GhNote note;
      note.id = next_id();
      note.candidate_id = app.candidate_id;
      note.user_id = app.recruiter_id;
      note.application_id = app.id;
      note.body = "Rejected (" + reason_name[app.rejection_reason_id.value_or(0)] +
                  "): not enough depth in system design; open to re-apply in a year.";
      note.visibility = "privately_visible";
      note.created_at = app.rejected_at;
      detail.rejection_note_id = note.id;
      rejection_notes.push_back(std::move(note));
    }
    if (serial % 3 == 1)
      detail.questions.push_back(
          {"rejection_follow_up", "Follow up later?", serial % 2 == 0 ? "Yes, in 2027" : "No"});
    gh.rejection_details.push_back(std::move(detail));
  }
  for (GhNote& note : rejection_notes)
    gh.notes.push_back(std::move(note));
}

// What real v3 accounts hold beyond the basics (specs/greenhouse-v3/schemas/*.json), added after
// everything else and chosen from ids, never from the RNG (so every other record is as before):
// a service account; per job an interview plan with one kit per interview, its scorecard
// questions (text, yes_no, single_select, multi_select) and the hiring team; select answers;
// superseded offer versions (Deprecated); notes of several types; backfilled stage history
// (entered_at null); attachments listed without candidate_id; prospect pools; education,
// employment, time zones, email consent; application form answers.
template <class NextId>
static void add_greenhouse_v3_shapes(GreenhouseData& gh, NextId& next_id) {
  GhUser service;
  service.id = next_id();
  service.first_name = "Harvest";
  service.last_name = "Integration";
  service.service_account = true;
  service.created_at = kEpoch2015;
  gh.users.push_back(service);
  for (std::size_t k = 0; k < 3; ++k)
    gh.users[k].extra_emails = {to_lower(gh.users[k].first_name) + "@globex-alias.example"};
  for (const char* name : {"MIT", "ETH Zürich", "University of Tokyo"})
    gh.schools.push_back({next_id(), name, "school_name"});
  for (const char* name : {"Bachelor's Degree", "Master's Degree", "PhD"})
    gh.degrees.push_back({next_id(), name, "degree"});
  for (const char* name : {"Computer Science", "Economics", "Physics"})
    gh.disciplines.push_back({next_id(), name, "discipline"});
  static const char* kInterviewNames[] = {"Recruiter Phone Screen", "Technical Phone Interview",
                                          "On-site Panel"};
  std::map<std::int64_t, const GhJob*> job_by_id;
  for (std::size_t j = 0; j < gh.jobs.size(); ++j) {
    GhJob& job = gh.jobs[j];
    for (std::size_t s = 1; s <= 3; ++s) {
      GhJob::Interview interview{
          next_id(), job.stages[s].id, next_id(), kInterviewNames[s - 1], {}};
      interview.questions.push_back({next_id(), "Key Take-Aways", "text", {}});
      interview.questions.push_back(
          {next_id(), "Does the candidate have experience designing APIs?", "yes_no", {}});
      GhJob::Question fit{next_id(), "Overall fit", "single_select", {}};
      for (const char* option : {"Strong fit", "Good fit", "Weak fit"})
        fit.options.push_back({next_id(), option, ""});
      interview.questions.push_back(std::move(fit));
      GhJob::Question languages{next_id(), "Languages discussed", "multi_select", {}};
      for (const char* option : {"C++", "Go", "Python"})
        languages.options.push_back({next_id(), option, ""});
      interview.questions.push_back(std::move(languages));
      job.interviews.push_back(std::move(interview));
    }
    job.hiring_manager_ids = {gh.users[j % 12].id};
    job.recruiter_owner_id = gh.users[(j + 1) % 12].id;
    job.opening_id = next_id();
    job_by_id[job.id] = &job;
  }
  std::map<std::int64_t, const GhApplication*> app_by_id;
  for (const GhApplication& app : gh.applications)
    app_by_id[app.id] = &app;
  for (GhScorecard& card : gh.scorecards) {
    const GhJob& job = *job_by_id.at(*app_by_id.at(card.application_id)->job_id);
    std::size_t s = 1;
    while (s < 3 && job.stages[s].name != card.interview)
      ++s;
    const GhJob::Interview& interview = job.interviews[s - 1];
    card.job_interview_id = interview.id;
    card.interview = interview.name;
    card.answers.push_back({"Overall fit", "", {interview.questions[2].options[card.id % 3].name}});
    card.answers.push_back({"Languages discussed", "", {"C++", "Python"}});
    if (card.id % 3 == 0)
      card.public_notes = "Panel: please probe system design <depth> & trade-offs.";
  }
  for (GhInterview& interview : gh.interviews) {
    const GhJob::Interview& planned = job_by_id.at(interview.job_id)->interviews[1];
    interview.job_interview_id = planned.id;
    interview.name = planned.name;
    if (interview.id % 2 == 0)
      interview.video_conferencing_url = "https://meet.example/" + std::to_string(interview.id);
  }
  std::vector<GhOffer> superseded;
  for (GhOffer& offer : gh.offers)
    if (offer.id % 2 == 0) {
      GhOffer old = offer;
      old.id = next_id();
      old.status = "Deprecated";
      old.version = 1;
      old.created_at = offer.created_at - 3 * kDay;
      old.updated_at = offer.created_at;
      offer.version = 2;
      superseded.push_back(old);
    }
  gh.offers.insert(gh.offers.end(), superseded.begin(), superseded.end());
  for (GhApplication& app : gh.applications) {
    if (app.id % 7 == 0 && app.stages.size() > 1)
      app.stages.front().entered_at_known = false;
    if (!app.prospect && app.job_id && app.id % 3 == 0) {
      app.answers = {{"How did you hear about us?", "A friend & former colleague"},
                     {"Are you authorized to work in the country?", "Yes"}};
      app.job_post_id = *app.job_id + 500000;
    }
  }
  for (GhAttachment& attachment : gh.attachments)
    attachment.candidate_id_listed = std::stoll(attachment.file.id) % 5 != 0;
  for (const char* name : {"Future Engineering", "Silver Medalists"}) {
    GreenhouseData::ProspectPool pool{next_id(), name, {}};
    for (const char* stage : {"Cold", "Warm", "Engaged"})
      pool.stages.push_back({next_id(), stage, ""});
    gh.prospect_pools.push_back(std::move(pool));
  }
  std::size_t prospects = 0;
  for (const GhApplication& app : gh.applications)
    if (app.prospect) {
      ++prospects;
      const auto& pool = gh.prospect_pools[app.id % 2];
      GreenhouseData::ProspectDetail detail{next_id(), app.id, pool.id, pool.stages[app.id % 3].id,
                                            app.recruiter_id};
      // prospect_details.json: a prospect may sit in no pool yet (pool_id and pool_stage_id
      // null), be unowned (prospect_owner_id null), or be owned by someone else than the
      // application's recruiter.
      if (prospects % 4 == 1)
        detail.pool_id = detail.pool_stage_id = 0;
      if (prospects % 5 == 2)
        detail.owner_id = 0;
      else if (app.id % 2 == 0)
        detail.owner_id = gh.users[(app.id / 2) % 12].id;
      gh.prospect_details.push_back(detail);
    }
  static const char* kTimeZones[] = {"Europe/Berlin", "America/New_York", "", ""};
  static const char* kKinds[] = {"EMAIL",          "LINKEDIN_NOTE",   "FOLLOW_UP",
                                 "TAKE_HOME_TEST", "LINKEDIN_INMAIL", "ACTIVITY"};
  std::vector<GhNote> notes;
  for (GhCandidate& candidate : gh.candidates) {
    candidate.time_zone = kTimeZones[candidate.id % 4];
    candidate.can_email = candidate.id % 9 != 0;
    if (candidate.id % 3 == 0)
      candidate.educations.push_back({next_id(), gh.schools[candidate.id % 3].name,
                                      gh.degrees[candidate.id % 3].name,
                                      gh.disciplines[candidate.id % 2].name, 2008, 2012});
    if (candidate.id % 2 == 0 && !candidate.company.empty()) {
      candidate.employments.push_back({next_id(), candidate.company,
                                       candidate.title.empty() ? "Engineer" : candidate.title,
                                       "2019-03-01", ""});
      candidate.employments.push_back({next_id(), "Initech", "Intern", "2016-06-01", "2017-08-31"});
    }
    if (candidate.id % 3 != 1)
      continue;
    GhNote note;
    note.id = next_id();
    note.candidate_id = candidate.id;
    note.type = kKinds[(candidate.id / 3) % 6];
    // System activity is written by the API's service account (show_service_accounts=true).
    note.user_id = note.type == "ACTIVITY" ? service.id : gh.users[candidate.id % 12].id;
    note.visibility = "publicly_visible";
    note.subject = note.type == "EMAIL" ? "Next steps & scheduling" : "";
    note.body = "Hi " + candidate.first_name + ",\nthanks for your time <3 & talk soon.";
    note.created_at = candidate.created_at + kDay;
    notes.push_back(std::move(note));
  }
  gh.notes.insert(gh.notes.end(), notes.begin(), notes.end());
}

static void generate_greenhouse(Dataset& data, Rng& rng, const std::vector<Identity>& people,
                                const std::vector<int>& members) {
  GreenhouseData& gh = data.greenhouse;
  std::int64_t id = 1000;
  auto next_id = [&]() { return ++id; };
  for (std::size_t i = 0; i < 14; ++i) {
    GhUser user;
    user.id = next_id();
    const std::string& name = kUserNames[(i + 2) % kUserNames.size()];
    user.first_name = name.substr(0, name.find(' '));
    user.last_name = name.substr(name.find(' ') + 1);
    user.email = to_lower(user.first_name) + "." + to_lower(user.last_name) + "@globex.example";
    user.site_admin = i < 2;
    user.deactivated = i >= 12;
    user.created_at = kEpoch2015 + static_cast<std::int64_t>(i) * kDay;
    gh.users.push_back(user);
  }
  auto user_id = [&]() { return gh.users[static_cast<std::size_t>(rng.range(0, 11))].id; };
  auto any_user_id = [&]() { return rng.pick(gh.users).id; };
  for (const char* name : {"Engineering", "Sales", "Marketing"})
    gh.departments.push_back({next_id(), name, ""});
  for (const char* name : {"New York", "London", "Tokyo"})
    gh.offices.push_back({next_id(), name, ""});
  for (const auto& name : kSources)
    gh.sources.push_back({next_id(), name, ""});
  gh.rejection_reasons = {{next_id(), "Lacking skill(s)/qualification(s)", "WE_REJECTED_THEM"},
                          {next_id(), "Withdrew", "THEY_REJECTED_US"},
                          {next_id(), "Position Filled", "WE_REJECTED_THEM"},
                          {next_id(), "Timing", "NONE_SPECIFIED"}};
  for (const auto& name : kTags)
    gh.tags.push_back({next_id(), name, ""});
  gh.custom_fields = {
      {next_id(), "Desired Salary", "desired_salary", "short_text", {}},
      {next_id(), "Cover Summary", "cover_summary", "long_text", {}},
      {next_id(), "Willing to Relocate", "willing_to_relocate", "yes_no", {}},
      {next_id(), "Seniority", "seniority", "single_select", {"Junior", "Mid", "Senior"}},
      {next_id(), "Languages", "languages", "multi_select", {"English", "German", "Japanese"}},
      {next_id(), "Current Salary", "current_salary", "currency", {}},
      {next_id(), "Years of Experience", "years_of_experience", "number", {}},
      {next_id(), "Available From", "available_from", "date", {}},
      {next_id(), "Portfolio", "portfolio", "url", {}},
      {next_id(), "Referring Employee", "referring_employee", "user", {}}};

  int job_count = std::max(3, data.persons / 30);
  static const std::vector<std::string> kJobStatus{"open", "open", "open", "closed", "draft"};
  for (int j = 0; j < job_count; ++j) {
    GhJob job;
    job.id = next_id();
    job.name = rng.pick(kTitles) + " (GH " + std::to_string(j + 1) + ")";
    job.status = rng.pick(kJobStatus);
    job.confidential = j == 1 || rng.chance(0.08);
    job.department_id = rng.pick(gh.departments).id;
    job.office_id = rng.pick(gh.offices).id;
    job.created_at = kEpoch2015 + rng.range(0, 3000) * kDay;
    job.updated_at = job.created_at + rng.range(0, 100) * kDay;
    for (std::size_t s = 0; s < kGhStageNames.size(); ++s)
      job.stages.push_back({next_id(), job.id, kGhStageNames[s], static_cast<int>(s)});
    gh.jobs.push_back(std::move(job));
  }

  // v3 spells the overall recommendation (`candidate_rating`) and the attribute ratings
  // (`candidate_attribute_rating`) differently (greenhouse.md §6.5); same size, so the generator
  // draws the same numbers.
  static const std::vector<std::string> kRatings{"strong_no", "no", "yes", "strong_yes",
                                                 "no_decision"};
  static const std::vector<std::string> kAttributeRatings{"definitely_not", "no", "yes",
                                                          "strong_yes", "no_decision"};
  for (std::size_t m = 0; m < members.size(); ++m) {
    const Identity& person = people[static_cast<std::size_t>(members[m])];
    // A few people were entered twice, with the same email in another case.
    int copies = rng.chance(0.04) || m == 1 ? 2 : 1;
    for (int copy = 0; copy < copies; ++copy) {
      GhCandidate candidate;
      candidate.id = next_id();
      candidate.first_name = person.first;
      candidate.last_name = person.last;
      candidate.company = person.company;
      candidate.title = person.title;
      if (person.malformed_email) {
        candidate.emails.push_back({person.email_local + "@@" + person.domain, "personal"});
      } else if (person.has_email) {
        std::string email = person.email_local + "@" + person.domain;
        if (copy == 1)
          email[0] = static_cast<char>(std::toupper(email[0]));
        candidate.emails.push_back({email, "personal"});
        if (rng.chance(0.15))
          candidate.emails.push_back({person.email_local + "@work.example", "work"});
      }
      for (const auto& phone : person.phones)
        candidate.phones.push_back({phone, "mobile"});
      if (!person.location.empty() && rng.chance(0.6))
        candidate.addresses.push_back({"1 Main Street\n" + person.location, "home"});
      if (rng.chance(0.1))
        candidate.addresses.push_back({"PO Box 12, " + person.location, "work"});
      if (rng.chance(0.3))
        candidate.websites.push_back(
            {"https://" + person.email_local + ".example.dev", "personal"});
      if (rng.chance(0.3))
        candidate.social.push_back({"https://www.linkedin.com/in/" + person.email_local, ""});
      if (rng.chance(0.4))
        candidate.tags.push_back(rng.pick(kTags));
      candidate.created_at = kEpoch2015 + rng.range(0, 3800) * kDay;
      candidate.updated_at = candidate.created_at + rng.range(0, 300) * kDay;
      if (rng.chance(0.3)) {
        const GhCustomField& field = rng.pick(gh.custom_fields);
        json::value value;
        if (field.value_type == "yes_no")
          value = rng.chance(0.5);
        else if (field.value_type == "single_select")
          value = field.options[1];
        else if (field.value_type == "multi_select")
          value = json::array{field.options[0], field.options[2]};
        else if (field.value_type == "currency")
          value = json::object{{"unit", "EUR"}, {"amount", 85000}};
        else if (field.value_type == "number")
          value = rng.range(0, 30);
        else if (field.value_type == "date")
          value = iso_date(candidate.created_at);
        else if (field.value_type == "url")
          value = "https://example.com/" + person.email_local;
        else if (field.value_type == "user")
          value = json::object{{"user_id", user_id()}};
        else
          value = "Value for " + field.name + " ✓";
        candidate.custom_fields[field.name_key] = value;
      }
      int applications = static_cast<int>(rng.range(1, 3) > 2 ? rng.range(2, 3) : 1);
      for (int a = 0; a < applications; ++a) {
        GhApplication app;
        app.id = next_id();
        app.candidate_id = candidate.id;
        app.created_at = candidate.created_at + static_cast<std::int64_t>(a) * 40 * kDay;
        app.source_id = rng.pick(gh.sources).id;
        app.recruiter_id = user_id();
        app.prospect = rng.chance(0.12);
        const GhJob* job = nullptr;
        if (!app.prospect || rng.chance(0.5)) {
          job = &rng.pick(gh.jobs);
          app.job_id = job->id;
        }
        double roll = rng.uniform();
        std::size_t reached = app.prospect ? 0 : static_cast<std::size_t>(rng.range(0, 4));
        app.status =
            roll < 0.5 ? "in_process" : (roll < 0.85 || reached < 4 ? "rejected" : "hired");
        std::int64_t at = app.created_at;
        if (job != nullptr && app.prospect)
          app.status = "in_process";
        if (job != nullptr && !app.prospect) {
          for (std::size_t s = 0; s <= reached; ++s) {
            GhApplicationStage stage{next_id(), job->stages[s].id, at, std::nullopt};
            at += rng.range(1, 12) * kDay;
            if (!app.stages.empty())
              app.stages.back().exited_at = stage.entered_at;
            app.stages.push_back(stage);
          }
          app.stage_id = app.stages.back().stage_id;
        }
        if (app.prospect)
          app.status = rng.chance(0.8) ? "in_process" : "rejected";
        if (app.status == "rejected") {
          app.rejection_reason_id = rng.pick(gh.rejection_reasons).id;
          app.rejected_at = at;
        }
        app.updated_at = at + kDay;
        if (job != nullptr && !app.prospect) {
          int scorecards = reached >= 1 ? static_cast<int>(rng.range(0, 2)) : 0;
          for (int s = 0; s < scorecards; ++s) {
            GhScorecard card;
            card.id = next_id();
            card.application_id = app.id;
            card.interviewer_id = any_user_id();
            card.submitter_id = card.interviewer_id;
            card.interview = kGhStageNames[std::min<std::size_t>(reached, 3)];
            card.rating = rng.pick(kRatings);
            card.status = rng.chance(0.1) ? "draft" : "complete";
            card.interviewed_at = app.created_at + (s + 1) * kDay;
            card.submitted_at = card.interviewed_at + 7200000;
            card.created_at = card.interviewed_at;
            card.updated_at = card.submitted_at;
            card.attributes = {
                {"Communication", rng.pick(kAttributeRatings), "Clear and concise."},
                {"Analytical", rng.chance(0.2) ? "mixed" : rng.pick(kAttributeRatings), ""}};
            card.answers = {{"Key Take-Aways", "Seems like a solid candidate ✅"},
                            {"Does the candidate have experience designing APIs?", "Yes"}};
            gh.scorecards.push_back(std::move(card));
          }
          if (reached >= 2 && rng.chance(0.5)) {
            GhInterview interview;
            interview.id = next_id();
            interview.application_id = app.id;
            interview.job_id = job->id;
            interview.name = "Phone Interview";
            interview.status = "complete";
            interview.interviewer_ids = {user_id()};
            interview.starts_at = app.created_at + 3 * kDay;
            interview.ends_at = interview.starts_at + 3600000;
            interview.created_at = app.created_at + kDay;
            interview.updated_at = interview.ends_at;
            gh.interviews.push_back(interview);
          }
          if (reached >= 4) {
            GhOffer offer;
            offer.id = next_id();
            offer.application_id = app.id;
            offer.status = app.status == "hired" ? "Accepted" : "Rejected";
            offer.created_at = at - kDay;
            offer.sent_at = at;
            offer.starts_at = at + 30 * kDay;
            offer.updated_at = at;
            gh.offers.push_back(offer);
          }
        }
        if (rng.chance(0.6)) {
          GhAttachment attachment;
          attachment.candidate_id = candidate.id;
          attachment.application_id = app.id;
          attachment.type = "resume";
          attachment.created_at = app.created_at;
          attachment.file =
              make_file(rng, std::to_string(next_id()), person.first, true, app.created_at);
          gh.attachments.push_back(std::move(attachment));
        }
        if (rng.chance(0.15)) {
          GhAttachment attachment;
          attachment.candidate_id = candidate.id;
          attachment.application_id = app.id;
          attachment.type = "other";
          attachment.created_at = app.created_at + kDay;
          attachment.file =
              make_file(rng, std::to_string(next_id()), person.first, false, app.created_at + kDay);
          gh.attachments.push_back(std::move(attachment));
        }
        gh.applications.push_back(std::move(app));
      }
      int notes = static_cast<int>(rng.range(0, 2));
      static const std::vector<std::string> kVisibility{"publicly_visible", "publicly_visible",
                                                        "privately_visible", "admin_only_visible"};
      for (int n = 0; n < notes; ++n) {
        GhNote note;
        note.id = next_id();
        note.candidate_id = candidate.id;
        note.user_id = any_user_id();
        note.body = gh_note_text(rng);
        note.visibility = rng.pick(kVisibility);
        note.created_at = candidate.created_at + rng.range(0, 60) * kDay;
        gh.notes.push_back(std::move(note));
      }
      gh.candidates.push_back(std::move(candidate));
    }
  }
  add_greenhouse_references(gh, next_id);
  add_greenhouse_v3_shapes(gh, next_id);
  gh.next_id = id;
  (void)kDatasetNow;
}

// Lever data real accounts hold beyond the first dataset (issue 16 §4), added after everything
// else from a stream of its own so every earlier record stays as it was: offer letters, the
// applications' cover letters and posting-form answers (a third with a file upload), the
// resumes' parsed work history and schools.
static void add_lever_documents(LeverData& lv, std::uint64_t seed) {
  Rng rng(mix_seed(seed, 3));
  for (LeverOpportunity& opp : lv.opportunities) {
    for (LeverOffer& offer : opp.offers) {
      if (offer.status != "sent" && offer.status != "signed")
        continue;
      SandboxFile sent = make_file(rng, rng.uuid(), "offer", false, offer.created_at + 3600'000);
      sent.ext = "pdf";
      sent.name = "employment-offer-letter.pdf";
      offer.sent_document = sent;
      if (offer.status == "signed") {
        SandboxFile signed_letter =
            make_file(rng, rng.uuid(), "offer", false, offer.created_at + 2 * 86400'000);
        signed_letter.ext = "pdf";
        signed_letter.name = "employment-offer-letter_signed.pdf";
        offer.signed_document = signed_letter;
      }
    }
    // One or two profile forms on a fifth of the opportunities, so /forms answers both a single
    // object and an array in its documented shape.
    if (rng.chance(0.2)) {
      int forms = rng.chance(0.5) ? 1 : 2;
      for (int i = 0; i < forms; ++i) {
        LeverFeedback form;
        form.id = rng.uuid();
        form.type = "form";
        form.text = i == 0 ? "Offer information" : "Background check";
        form.template_id = rng.uuid();
        form.user = opp.owner;
        form.created_at = opp.created_at + (i + 1) * 86400'000;
        form.completed_at = form.created_at;
        // A date-only value is local midnight (here US Pacific, as documented).
        std::int64_t day = (opp.created_at / 86400'000 + 30) * 86400'000 + 8 * 3600'000;
        form.fields = {
            FormField{rng.uuid(), "date", "Start date", json::value(day), {}, {}},
            FormField{rng.uuid(), "yes-no", "Eligible for benefits?", json::value("yes"), {}, {}},
            FormField{rng.uuid(), "text", "Manager", json::value("Jen"), {}, {}}};
        opp.profile_forms.push_back(std::move(form));
      }
    }
    if (!opp.posting_id)
      continue;
    LeverApplicationData& app = opp.application;
    if (rng.chance(0.4))
      app.comments = "Dear hiring team,\r\n\r\nPlease find enclosed my CV for this role.";
    if (rng.chance(0.3))
      app.company = rng.chance(0.5) ? "Initech" : "Globex";
    if (rng.chance(0.5)) {
      app.questions.push_back(FormField{rng.uuid(),
                                        "multiple-select",
                                        "Which languages are you comfortable with?",
                                        json::array{"C++", "SQL"},
                                        {"C++", "SQL", "Go"},
                                        {}});
      app.questions.push_back(FormField{
          rng.uuid(), "text", "What role most interests you?", json::value("Backend"), {}, {}});
      if (rng.chance(0.3)) {
        SandboxFile answer = make_file(rng, rng.uuid(), "assignment", false, opp.created_at);
        app.answer_file = answer;
        app.questions.push_back(
            FormField{rng.uuid(),
                      "file-upload",
                      "Please attach the programming assignment",
                      json::object{{"id", answer.id},
                                   {"ext", "." + answer.ext},
                                   {"name", answer.name},
                                   {"size", static_cast<std::int64_t>(answer.size)},
                                   {"uploadedAt", answer.uploaded_at}},
                      {},
                      {}});
      }
    }
    for (const SandboxFile& file : opp.files) {
      if (!file.resume)
        continue;
      std::int64_t start = 2005 + static_cast<std::int64_t>(rng.range(0, 10));
      opp.resume_parsed[file.id] = json::object{
          {"positions",
           json::array{json::object{{"org", "Initech"},
                                    {"title", "Software Engineer"},
                                    {"summary", "Built things"},
                                    {"location", "Berlin"},
                                    {"start", json::object{{"year", start + 4}, {"month", 7}}},
                                    {"end", nullptr}}}},
          {"schools",
           json::array{json::object{{"org", "TU Berlin"},
                                    {"degree", "BSc"},
                                    {"field", "Computer Science"},
                                    {"summary", nullptr},
                                    {"start", json::object{{"year", start}, {"month", 9}}},
                                    {"end", json::object{{"year", start + 4}, {"month", 6}}}}}}};
    }
  }
}

Dataset generate_dataset(std::uint64_t seed, int persons) {
  Dataset data;
  data.seed = seed;
  data.persons = std::max(persons, 1);
  Rng rng(mix_seed(seed, 0x5eed));
  std::vector<Identity> people;
  std::vector<int> lever_members, greenhouse_members;
  for (int i = 0; i < data.persons; ++i) {
    Identity person;
    person.first = rng.pick(kFirstNames);
    person.last = rng.pick(kLastNames);
    std::string local;
    for (char c : to_lower(person.first + "." + person.last)) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.')
        local.push_back(c);
    }
    person.email_local = (local.size() > 2 ? local : "person") + "." + std::to_string(i);
    person.domain = rng.pick(kDomains);
    double roll = rng.uniform();
    person.has_email = roll >= 0.04;
    person.malformed_email = roll >= 0.04 && roll < 0.07;
    int phones = static_cast<int>(rng.range(0, 2));
    for (int p = 0; p < phones; ++p)
      person.phones.push_back(rng.pick(kPhones));
    person.location = rng.pick(kLocations);
    person.company = rng.pick(kCompanies);
    person.title = rng.pick(kTitles);
    // 55 % Lever only, 35 % Greenhouse only, 10 % both (a consolidation after an acquisition).
    double where = rng.uniform();
    bool lever = where < 0.65 || i == 0 || i == 2;
    bool greenhouse = where >= 0.55 || i == 1 || i == 2;
    if (i == 2)
      person.has_email = true, person.malformed_email = false;
    if (lever)
      lever_members.push_back(i);
    if (greenhouse)
      greenhouse_members.push_back(i);
    people.push_back(std::move(person));
  }
  Rng lever_rng(mix_seed(seed, 1));
  generate_lever(data, lever_rng, people, lever_members);
  add_lever_documents(data.lever, seed);
  Rng greenhouse_rng(mix_seed(seed, 2));
  generate_greenhouse(data, greenhouse_rng, people, greenhouse_members);
  return data;
}

}  // namespace atsm::sandbox
