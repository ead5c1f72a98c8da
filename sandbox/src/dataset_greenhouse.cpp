// The generated Greenhouse (Harvest v3) side of the dataset: every edge case the migration guides
// name, in fixed proportions, plus what real v3 accounts hold beyond the basics.
#include <algorithm>
#include <map>
#include <set>

#include "dataset_parts.hpp"

namespace atsm::sandbox {
using namespace dataset_gen;

namespace {

namespace json = boost::json;

// v3 note bodies are plain text: "Newline characters are stored verbatim and rendered as line
// breaks" (sandbox/validator/greenhouse-v3/schemas/notes.json, `body`); `<` and `&` are characters,
// not markup.
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

}  // namespace

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

// What real v3 accounts hold beyond the basics (sandbox/validator/greenhouse-v3/schemas/*.json),
// added after everything else and chosen from ids, never from the RNG (so every other record is as
// before): a service account; per job an interview plan with one kit per interview, its scorecard
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

namespace {

// What the Greenhouse generator's steps share: the data, the seeded stream and the id sequence.
struct GhGenerator {
  GreenhouseData& gh;
  Rng& rng;
  std::int64_t id = 1000;

  std::int64_t next_id() { return ++id; }
  auto user_id() { return gh.users[static_cast<std::size_t>(rng.range(0, 11))].id; }
  auto any_user_id() { return rng.pick(gh.users).id; }

  void add_users();
  void add_reference_lists();
  void add_jobs(const Dataset& data);
  GhCandidate draw_candidate(const Identity& person, int copy);
  void add_application(const GhCandidate& candidate, const Identity& person, int a);
  // A candidacy's scorecards, phone interview and offer, by the stage it reached.
  void add_candidacy_activity(const GhApplication& app, const GhJob* job, std::size_t reached,
                              std::int64_t at);
  void add_attachments(const GhCandidate& candidate, const GhApplication& app,
                       const Identity& person);
  void add_notes(const GhCandidate& candidate);
};

void GhGenerator::add_users() {
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
}

void GhGenerator::add_reference_lists() {
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
}

void GhGenerator::add_jobs(const Dataset& data) {
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
}

GhCandidate GhGenerator::draw_candidate(const Identity& person, int copy) {
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
    candidate.websites.push_back({"https://" + person.email_local + ".example.dev", "personal"});
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
  return candidate;
}

void GhGenerator::add_application(const GhCandidate& candidate, const Identity& person, int a) {
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
  app.status = roll < 0.5 ? "in_process" : (roll < 0.85 || reached < 4 ? "rejected" : "hired");
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
  if (job != nullptr && !app.prospect)
    add_candidacy_activity(app, job, reached, at);
  add_attachments(candidate, app, person);
  gh.applications.push_back(std::move(app));
}

void GhGenerator::add_candidacy_activity(const GhApplication& app, const GhJob* job,
                                         std::size_t reached, std::int64_t at) {
  // v3 spells the overall recommendation (`candidate_rating`) and the attribute ratings
  // (`candidate_attribute_rating`) differently (docs/vendors/greenhouse.md §6); same size, so the
  // generator draws the same numbers.
  static const std::vector<std::string> kRatings{"strong_no", "no", "yes", "strong_yes",
                                                 "no_decision"};
  static const std::vector<std::string> kAttributeRatings{"definitely_not", "no", "yes",
                                                          "strong_yes", "no_decision"};
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
    card.attributes = {{"Communication", rng.pick(kAttributeRatings), "Clear and concise."},
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

void GhGenerator::add_attachments(const GhCandidate& candidate, const GhApplication& app,
                                  const Identity& person) {
  if (rng.chance(0.6)) {
    GhAttachment attachment;
    attachment.candidate_id = candidate.id;
    attachment.application_id = app.id;
    attachment.type = "resume";
    attachment.created_at = app.created_at;
    attachment.file = make_file(rng, std::to_string(next_id()), person.first, true, app.created_at);
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
}

void GhGenerator::add_notes(const GhCandidate& candidate) {
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
}

}  // namespace

void generate_greenhouse(Dataset& data, Rng& rng, const std::vector<Identity>& people,
                         const std::vector<int>& members) {
  GreenhouseData& gh = data.greenhouse;
  GhGenerator generator{gh, rng};
  auto next_id = [&]() { return generator.next_id(); };
  generator.add_users();
  generator.add_reference_lists();
  generator.add_jobs(data);
  for (std::size_t m = 0; m < members.size(); ++m) {
    const Identity& person = people[static_cast<std::size_t>(members[m])];
    // A few people were entered twice, with the same email in another case.
    int copies = rng.chance(0.04) || m == 1 ? 2 : 1;
    for (int copy = 0; copy < copies; ++copy) {
      GhCandidate candidate = generator.draw_candidate(person, copy);
      int applications = static_cast<int>(rng.range(1, 3) > 2 ? rng.range(2, 3) : 1);
      for (int a = 0; a < applications; ++a)
        generator.add_application(candidate, person, a);
      generator.add_notes(candidate);
      gh.candidates.push_back(std::move(candidate));
    }
  }
  add_greenhouse_references(gh, next_id);
  add_greenhouse_v3_shapes(gh, next_id);
  gh.next_id = generator.id;
  (void)kDatasetNow;
}

}  // namespace atsm::sandbox
