// Deterministic dataset generator: every edge case the migration guides name, in fixed proportions.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "dataset_parts.hpp"
#include "sandbox/dataset.hpp"
#include "util.hpp"

namespace atsm::sandbox {
namespace dataset_gen {

// Long bodies are 2 % of notes: enough to exercise limits without bloating memory.
int note_kind(Rng& rng) {
  static const int kThresholds[] = {10, 20, 22, 32, 42};
  std::int64_t roll = rng.range(0, 99);
  int kind = 0;
  while (kind < 5 && roll >= kThresholds[kind])
    ++kind;
  return kind;
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

}  // namespace dataset_gen

using namespace dataset_gen;

namespace {

namespace json = boost::json;

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

}  // namespace

namespace {

// The Lever users records name: an active one (of the first 13) or any.
struct LeverUserPicker {
  const LeverData& lv;
  Rng& rng;
  const std::string& active() const {
    return lv.users[static_cast<std::size_t>(rng.range(0, 12))].id;
  }
  const std::string& any() const { return rng.pick(lv.users).id; }
};

void add_lever_users(LeverData& lv, Rng& rng) {
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
}

void add_lever_reference_lists(LeverData& lv, Rng& rng) {
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
}

void add_lever_postings(Dataset& data, Rng& rng) {
  LeverData& lv = data.lever;
  LeverUserPicker users{lv, rng};
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
    posting.owner = users.active();
    posting.confidential = i == 1 || rng.chance(0.08);
    posting.created_at = kEpoch2015 + rng.range(0, 3000) * kDay;
    posting.updated_at = posting.created_at + rng.range(0, 200) * kDay;
    lv.postings.push_back(posting);
  }
}

LeverContact draw_lever_contact(const Identity& person, Rng& rng) {
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
  return contact;
}

// 1 to 20+ opportunities per contact, most have one; the first contact always has 21.
int lever_opportunity_count(const Dataset& data, std::size_t m, Rng& rng) {
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
  return count;
}

// An opportunity's own fields and its stage path, which ends at stage index `last` at `at`.
LeverOpportunity draw_lever_opportunity(const LeverData& lv, Rng& rng, const LeverContact& contact,
                                        int opportunity_serial, std::size_t& last,
                                        std::int64_t& at) {
  LeverUserPicker users{lv, rng};
  const auto& reasons = lv.archive_reasons;
  LeverOpportunity opp;
  opp.id = rng.uuid();
  opp.application_id = rng.uuid();
  opp.contact_id = contact.id;
  opp.owner = users.active();
  static const std::vector<std::string> kOrigins{"applied", "sourced",  "referred",
                                                 "agency",  "internal", "university"};
  opp.origin = rng.pick(kOrigins);
  opp.created_at = kEpoch2015 + rng.range(0, 3800) * kDay + rng.range(0, kDay - 1);
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
  last = lead ? static_cast<std::size_t>(rng.range(0, 1))
              : static_cast<std::size_t>(rng.range(static_cast<std::int64_t>(first), 6));
  at = opp.created_at;
  for (std::size_t s = first; s <= last; ++s) {
    opp.stage_changes.push_back({lv.stages[s].id, users.active(), static_cast<int>(s), at});
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
  // payloads; docs/vendors/lever.md §6 `updatedAt`): 10 of the 16 first hex digits of the seeded id
  // clear it, which leaves every other draw of the dataset as it was.
  if (std::string("0123456789").find(opp.id.front()) != std::string::npos)
    opp.updated_at.reset();
  return opp;
}

void add_lever_notes(LeverOpportunity& opp, const LeverData& lv, Rng& rng) {
  LeverUserPicker users{lv, rng};
  int notes = static_cast<int>(rng.range(0, 3));
  for (int n = 0; n < notes; ++n) {
    LeverNote note;
    note.id = rng.uuid();
    note.user = users.any();
    note.secret = rng.chance(0.1);
    note.created_at = opp.created_at + rng.range(0, 30) * kDay;
    note.comments.push_back({note_text(rng), note.user, note.created_at});
    if (rng.chance(0.2)) {
      note.comments.push_back({"Reply: agreed 👍", users.active(), note.created_at + 3600000});
    }
    if (rng.chance(0.05))
      note.deleted_at = note.created_at + kDay;
    opp.notes.push_back(std::move(note));
  }
}

void add_lever_feedback(LeverOpportunity& opp, const LeverData& lv, Rng& rng, std::size_t last) {
  LeverUserPicker users{lv, rng};
  int feedback = last >= 3 ? static_cast<int>(rng.range(0, 2)) : 0;
  for (int f = 0; f < feedback; ++f) {
    LeverFeedback form;
    form.id = rng.uuid();
    form.type = "interview";
    form.text = rng.chance(0.5) ? "On-site interview" : "Phone screen";
    form.template_id = "tmpl-" + std::to_string(rng.range(1, 3));
    form.user = users.any();
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
    FormField again{
        rng.uuid(), "yes-no", "Hire for another team?", json::value(rng.chance(0.5) ? "yes" : "no"),
        {},         {}};
    FormField level{
        rng.uuid(), "dropdown", "Level", json::value("Senior"), {"Junior", "Mid", "Senior"}, {}};
    FormField score{rng.uuid(), "score", "Thumbs", json::value(rng.range(1, 4)), {}, {}};
    FormField text{rng.uuid(), "textarea", "Notes", json::value("Solid ✅ — would work with again."),
                   {},         {}};
    form.fields = {rating, skills, again, level, score, text};
    if (rng.chance(0.05))
      form.deleted_at = form.completed_at + kDay;
    opp.feedback.push_back(std::move(form));
  }
}

// Interviews, an offer, files, deletion and the two quirky opportunities.
void add_lever_activity(LeverOpportunity& opp, const LeverData& lv, Rng& rng,
                        const Identity& person, const LeverContact& contact, int opportunity_serial,
                        std::size_t last, std::int64_t at) {
  LeverUserPicker users{lv, rng};
  const auto& reasons = lv.archive_reasons;
  if (last >= 4 && rng.chance(0.5)) {
    LeverInterview interview;
    interview.id = rng.uuid();
    interview.subject = "Interview with " + contact.name;
    interview.user = users.active();
    interview.stage = lv.stages[4].id;
    interview.interviewers = {users.active(), users.any()};
    interview.date = opp.created_at + 5 * kDay;
    opp.interviews.push_back(std::move(interview));
  }
  if (last >= 6) {
    LeverOffer offer;
    offer.id = rng.uuid();
    offer.creator = users.active();
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
}

}  // namespace

void generate_lever(Dataset& data, Rng& rng, const std::vector<Identity>& people,
                    const std::vector<int>& members) {
  LeverData& lv = data.lever;
  add_lever_users(lv, rng);
  add_lever_reference_lists(lv, rng);
  add_lever_postings(data, rng);
  int opportunity_serial = 0;
  for (std::size_t m = 0; m < members.size(); ++m) {
    const Identity& person = people[static_cast<std::size_t>(members[m])];
    LeverContact contact = draw_lever_contact(person, rng);
    int count = lever_opportunity_count(data, m, rng);
    for (int k = 0; k < count; ++k) {
      std::size_t last = 0;
      std::int64_t at = 0;
      LeverOpportunity opp =
          draw_lever_opportunity(lv, rng, contact, ++opportunity_serial, last, at);
      add_lever_notes(opp, lv, rng);
      add_lever_feedback(opp, lv, rng, last);
      add_lever_activity(opp, lv, rng, person, contact, opportunity_serial, last, at);
      lv.opportunities.push_back(std::move(opp));
    }
    lv.contacts.push_back(std::move(contact));
  }
  std::sort(lv.opportunities.begin(), lv.opportunities.end(),
            [](const LeverOpportunity& a, const LeverOpportunity& b) {
              return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
            });
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
