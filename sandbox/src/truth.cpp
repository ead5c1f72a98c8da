// Ground truth: what a perfect migration of the generated dataset leaves in Ashby, computed from
// the generator's own records by the rules of docs/mapping.md with its defaults. This code is
// deliberately independent of the product's transforms (it shares nothing with core/ or plugins/).
#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <set>

#include "util.hpp"
#include "world.hpp"

namespace atsm::sandbox {
namespace json = boost::json;
namespace {

// The address of the Ashby user the default setup gives the i-th Greenhouse user: the second one's
// account is under an address Greenhouse lists among the user's other emails (users.json
// `emails`), found only through user.alternate_emails.
std::string greenhouse_user_ashby_email(const GreenhouseData& gh, std::size_t i) {
  const GhUser& user = gh.users[i];
  return i == 1 && !user.extra_emails.empty() ? user.extra_emails.front() : user.email;
}

// One source record of a person before merging (a Lever contact or a Greenhouse candidate).
struct SourceRecord {
  std::string legacy_id, name;
  std::vector<std::string> emails;  // as given, in order
  std::int64_t updated_at = 0;
  std::set<std::string> tags;
  json::array applications;
  std::int64_t notes = 0, feedback = 0;
  std::vector<std::string> file_hashes;
  json::array source_notes;    // the text of every migrated source note
  json::array feedback_items;  // one per feedback submission: application and mapped score
  std::int64_t created_at = 0;
};

// Whether Ashby takes the file's upload (it refuses one over its limit).
bool fits(const SandboxFile& file, std::int64_t max_file_bytes) {
  return max_file_bytes <= 0 || static_cast<std::int64_t>(file.size) <= max_file_bytes;
}

// Hashing every file is most of the truth's cost; a file's bytes depend only on (seed, size).
std::string file_sha256(const SandboxFile& file) {
  static std::mutex mutex;
  static std::map<std::pair<std::uint64_t, std::size_t>, std::string> cache;
  std::pair<std::uint64_t, std::size_t> key{file.content_seed, file.size};
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end())
      return it->second;
  }
  std::string digest = sha256_hex(file_bytes(file));
  std::lock_guard lock(mutex);
  cache.emplace(key, digest);
  return digest;
}

void collapse_push(json::array& history, const std::string& title) {
  if (history.empty() || history.back().as_string() != title)
    history.emplace_back(title);
}

void lever_records(const Dataset& data, std::int64_t max_file_bytes,
                   std::vector<SourceRecord>& out) {
  const LeverData& lv = data.lever;
  std::map<std::string, std::string> stage_title, reason_text, reason_type, posting_title;
  std::set<std::string> lead_stages;
  for (const auto& stage : lv.stages) {
    stage_title[stage.id] = stage.text;
    if (stage.lead)
      lead_stages.insert(stage.id);
  }
  for (const auto& reason : lv.archive_reasons)
    reason_text[reason.id] = reason.text, reason_type[reason.id] = reason.type;
  for (const auto& posting : lv.postings)
    posting_title[posting.id] = posting.text;
  std::map<std::string, std::vector<const LeverOpportunity*>> by_contact;
  for (const auto& opp : lv.opportunities)
    if (!opp.deleted_at)
      by_contact[opp.contact_id].push_back(&opp);
  for (const auto& contact : lv.contacts) {
    auto it = by_contact.find(contact.id);
    if (contact.anonymized || it == by_contact.end())
      continue;  // anonymised: skipped with reason
    SourceRecord record;
    record.legacy_id = "lever:contact:" + contact.id;
    record.name = contact.name;
    record.emails = contact.emails;
    record.created_at = INT64_MAX;
    // Profile note: what the candidate cannot hold (headline, second phone, the work history and
    // schools of a parsed resume, ...).
    bool parsed_history = false;
    for (const LeverOpportunity* opp : it->second)
      for (const SandboxFile& file : opp->files)
        if (auto parsed = opp->resume_parsed.find(file.id);
            file.resume && parsed != opp->resume_parsed.end())
          for (const char* list : {"positions", "schools"})
            parsed_history =
                parsed_history || !parsed->second.as_object().at(list).as_array().empty();
    if (!contact.headline.empty() || contact.phones.size() > 1 || parsed_history)
      ++record.notes;
    for (const LeverOpportunity* opp : it->second) {
      record.updated_at = std::max(record.updated_at, opp->updated_at.value_or(opp->created_at));
      record.created_at = std::min(record.created_at, opp->created_at);
      for (const auto& tag : opp->tags)
        record.tags.insert(tag);
      for (const auto& note : opp->notes) {
        if (note.deleted_at)
          continue;
        ++record.notes;
        json::array texts;
        for (const auto& comment : note.comments)
          texts.emplace_back(comment.value);
        record.source_notes.push_back(json::object{{"source", "lever"},
                                                   {"createdAt", iso_time(note.created_at)},
                                                   {"isPrivate", note.secret},
                                                   {"texts", std::move(texts)}});
      }
      bool has_application = opp->posting_id.has_value();
      std::vector<const LeverFeedback*> forms;
      for (const auto& form : opp->feedback)
        forms.push_back(&form);
      for (const auto& form : opp->profile_forms)  // profile forms migrate as feedback
        forms.push_back(&form);
      for (const LeverFeedback* form_ptr : forms) {
        const LeverFeedback& form = *form_ptr;
        if (form.deleted_at)
          continue;
        // Feedback on a candidacy without an application becomes a candidate note.
        if (!has_application) {
          ++record.notes;
          continue;
        }
        ++record.feedback;
        json::value score = nullptr;  // the overall rating: "3 - Hire" -> 3
        for (const auto& field : form.fields)
          if (field.type == "score-system" && field.value.is_string() &&
              !field.value.as_string().empty())
            score = static_cast<std::int64_t>(field.value.as_string()[0] - '0');
        record.feedback_items.push_back(
            json::object{{"application", "lever:opportunity:" + opp->id}, {"score", score}});
      }
      if (!opp->interviews.empty())
        ++record.notes;
      record.notes += static_cast<std::int64_t>(opp->offers.size());
      for (const auto& file : opp->files)
        if (file.status == "processed" && fits(file, max_file_bytes))
          record.file_hashes.push_back(file_sha256(file));
      // Offer letters and file-upload answers are files on the candidate too (issue 16 §3).
      std::vector<const SandboxFile*> more;
      for (const auto& offer : opp->offers)
        for (const auto* letter : {&offer.sent_document, &offer.signed_document})
          if (*letter)
            more.push_back(&**letter);
      if (opp->application.answer_file)
        more.push_back(&*opp->application.answer_file);
      for (const SandboxFile* file : more)
        if (fits(*file, max_file_bytes))
          record.file_hashes.push_back(file_sha256(*file));
      if (!has_application)
        continue;
      json::array history;
      for (const auto& change : opp->stage_changes)
        collapse_push(history, stage_title[change.to_stage_id]);
      std::string status = "Active";
      json::object app{{"legacyId", "lever:opportunity:" + opp->id},
                       {"job", posting_title[*opp->posting_id]}};
      // The application note (issue 16 §3): the cover letter, then the company and each posting
      // question with its answer as text (choices joined with ", ", a file by its name).
      {
        const LeverApplicationData& data = opp->application;
        json::array answers;
        if (!data.company.empty())
          answers.push_back(json::array{"Company", json::value(data.company)});
        for (const FormField& question : data.questions) {
          std::string text;
          if (question.value.is_string())
            text = question.value.as_string();
          else if (question.value.is_array())
            for (const auto& choice : question.value.as_array())
              text += (text.empty() ? "" : ", ") + std::string(choice.as_string());
          else if (question.value.is_object())
            text = question.value.at("name").as_string();
          answers.push_back(json::array{json::value(question.text), json::value(text)});
        }
        if (!data.comments.empty() || !answers.empty()) {
          ++record.notes;
          json::object note{{"answers", std::move(answers)}};
          if (!data.comments.empty())
            note["coverLetter"] = data.comments;
          app["applicationNote"] = std::move(note);
        }
      }
      if (opp->archive_reason_id) {
        if (reason_type[*opp->archive_reason_id] == "hired") {
          status = "Hired";
          collapse_push(history, "Hired");
        } else {
          status = "Archived";
          collapse_push(history, "Archived");
          app["archiveReason"] = reason_text[*opp->archive_reason_id];
        }
      } else if (lead_stages.count(opp->stage_id)) {
        status = "Lead";
      }
      app["status"] = status;
      app["stage"] = history.back();
      app["history"] = std::move(history);
      record.applications.push_back(std::move(app));
    }
    out.push_back(std::move(record));
  }
}

void greenhouse_records(const Dataset& data, std::int64_t max_file_bytes,
                        std::vector<SourceRecord>& out) {
  const GreenhouseData& gh = data.greenhouse;
  std::map<std::int64_t, std::string> stage_name, job_name, reason_name;
  for (const auto& job : gh.jobs) {
    job_name[job.id] = job.name;
    for (const auto& stage : job.stages)
      stage_name[stage.id] = stage.name;
  }
  for (const auto& reason : gh.rejection_reasons)
    reason_name[reason.id] = reason.name;
  std::map<std::int64_t, std::vector<const GhApplication*>> apps;
  for (const auto& app : gh.applications)
    apps[app.candidate_id].push_back(&app);
  std::map<std::int64_t, std::int64_t> interviews_by_app;
  std::map<std::int64_t, std::vector<const GhNote*>> notes;
  for (const auto& note : gh.notes)
    notes[note.candidate_id].push_back(&note);
  for (const auto& interview : gh.interviews)
    ++interviews_by_app[interview.application_id];
  std::map<std::int64_t, std::vector<const GhScorecard*>> cards;
  for (const auto& card : gh.scorecards)
    cards[card.application_id].push_back(&card);
  // One offer per application offer: its current version (superseded ones are Deprecated).
  std::map<std::int64_t, std::int64_t> offers;
  for (const auto& offer : gh.offers)
    if (offer.status != "Deprecated")
      ++offers[offer.application_id];
  // A prospect's pool (issue 17 item 7): the sink tags the candidate "Prospect pool: <name>" and
  // names the pool stage in the application note.
  std::map<std::int64_t, std::string> pool_names;
  for (const auto& pool : gh.prospect_pools)
    pool_names[pool.id] = pool.name;
  std::map<std::int64_t, const GreenhouseData::ProspectDetail*> prospect_of;
  for (const auto& detail : gh.prospect_details)
    prospect_of[detail.application_id] = &detail;
  // An attachment listed without candidate_id belongs to its application's candidate.
  std::map<std::int64_t, std::vector<const GhAttachment*>> files;
  for (const auto& attachment : gh.attachments)
    files[attachment.candidate_id].push_back(&attachment);
  for (const auto& candidate : gh.candidates) {
    SourceRecord record;
    record.legacy_id = "greenhouse:candidate:" + std::to_string(candidate.id);
    record.name = candidate.first_name + " " + candidate.last_name;
    for (const auto& email : candidate.emails)
      record.emails.push_back(email.value);
    record.updated_at = candidate.updated_at;
    record.created_at = candidate.created_at;
    record.tags.insert(candidate.tags.begin(), candidate.tags.end());
    // Every /v3/notes row is one note, whatever its type (logged emails, LinkedIn messages,
    // ...); its body is plain text.
    for (const GhNote* note : notes[candidate.id]) {
      ++record.notes;
      record.source_notes.push_back(
          json::object{{"source", "greenhouse"},
                       {"type", note->type},
                       {"createdAt", iso_time(note->created_at)},
                       {"isPrivate", note->visibility != "publicly_visible"},
                       {"texts", json::array{json::value(note->body)}}});
    }
    // The profile note: what the candidate cannot hold, education, employment, time zone and
    // withheld email consent included.
    if (!candidate.company.empty() || !candidate.title.empty() || candidate.phones.size() > 1 ||
        candidate.addresses.size() > 1 || !candidate.educations.empty() ||
        !candidate.employments.empty() || !candidate.time_zone.empty() || !candidate.can_email)
      ++record.notes;
    for (const auto* attachment : files[candidate.id])
      if (fits(attachment->file, max_file_bytes))
        record.file_hashes.push_back(file_sha256(attachment->file));
    for (const GhApplication* app : apps[candidate.id]) {
      bool has_application = app->job_id.has_value();
      for (const GhScorecard* card : cards[app->id]) {
        if (card->status != "complete")
          continue;  // drafts are not submitted feedback
        // Default scorecards: "feedback_and_note": one feedback plus one structured note.
        ++record.notes;
        if (!has_application) {
          ++record.notes;
          continue;
        }
        ++record.feedback;
        static const std::map<std::string, int> kScores{
            {"strong_no", 1}, {"definitely_not", 1}, {"no", 2}, {"yes", 3}, {"strong_yes", 4}};
        auto score = kScores.find(card->rating);
        record.feedback_items.push_back(json::object{
            {"application", "greenhouse:application:" + std::to_string(app->id)},
            {"score", score == kScores.end() ? json::value(nullptr) : json::value(score->second)}});
      }
      if (interviews_by_app[app->id] > 0)
        ++record.notes;
      record.notes += offers[app->id];
      // The application note (issue 17 item 10): the form's questions with their answers.
      json::array answers;
      for (const auto& [question, answer] : app->answers)
        answers.push_back(json::array{json::value(question), json::value(answer)});
      const auto prospect = prospect_of.find(app->id);
      const bool pooled = prospect != prospect_of.end() && prospect->second->pool_id != 0;
      if (pooled)
        record.tags.insert("Prospect pool: " + pool_names.at(prospect->second->pool_id));
      if (!answers.empty() || (pooled && prospect->second->pool_stage_id != 0))
        ++record.notes;
      if (!has_application)
        continue;
      json::array history;
      if (app->prospect)
        collapse_push(history, "New Lead");
      for (const auto& stage : app->stages)
        collapse_push(history, stage_name[stage.stage_id]);
      json::object item{{"legacyId", "greenhouse:application:" + std::to_string(app->id)},
                        {"job", job_name[*app->job_id]}};
      std::string status = app->prospect ? "Lead" : "Active";
      if (app->status == "hired") {
        status = "Hired";
        collapse_push(history, "Hired");
      } else if (app->status == "rejected") {
        status = "Archived";
        collapse_push(history, "Archived");
        if (app->rejection_reason_id)
          item["archiveReason"] = reason_name[*app->rejection_reason_id];
      }
      item["status"] = status;
      item["stage"] = history.back();
      item["history"] = std::move(history);
      if (!answers.empty())
        item["applicationNote"] = json::object{{"answers", std::move(answers)}};
      record.applications.push_back(std::move(item));
    }
    out.push_back(std::move(record));
  }
}

// The truth's counts over persons.
struct TruthTotals {
  std::int64_t applications = 0, notes = 0, feedback = 0, files = 0, tags = 0, merges = 0;
  std::set<std::string>
      tag_titles;  // candidateTag.create dedups by title (docs/vendors/ashby.md §5)
};

// The source records of each person (by the first record's index).
std::map<std::size_t, std::vector<std::size_t>> merged_persons(
    const std::vector<SourceRecord>& records) {
  // Merge records sharing a normalised valid email (union-find); invalid emails never merge.
  std::vector<std::size_t> parent(records.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::function<std::size_t(std::size_t)> root = [&](std::size_t i) {
    return parent[i] == i ? i : parent[i] = root(parent[i]);
  };
  std::map<std::string, std::size_t> owner;
  for (std::size_t i = 0; i < records.size(); ++i)
    for (const auto& email : records[i].emails) {
      if (!is_valid_email(email))
        continue;
      auto [it, inserted] = owner.try_emplace(normalise_email(email), i);
      if (!inserted)
        parent[root(i)] = root(it->second);
    }
  std::map<std::size_t, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < records.size(); ++i)
    groups[root(i)].push_back(i);
  return groups;
}

// One person of the truth, from its source records; adds it to the totals.
json::object person_truth(const std::vector<SourceRecord>& records,
                          const std::vector<std::size_t>& members, TruthTotals& totals) {
  // Name and primary email from the most recently updated record.
  const SourceRecord* latest = &records[members[0]];
  for (std::size_t i : members)
    if (records[i].updated_at > latest->updated_at)
      latest = &records[i];
  std::string email;
  for (const auto& candidate : latest->emails)
    if (is_valid_email(candidate)) {
      email = normalise_email(candidate);
      break;
    }
  std::vector<std::string> alternates;
  std::set<std::string> tag_set, hashes;
  json::array legacy, apps, source_notes, feedback_items;
  std::int64_t person_notes = 0, person_feedback = 0, created = INT64_MAX;
  for (std::size_t i : members) {
    const SourceRecord& record = records[i];
    legacy.emplace_back(record.legacy_id);
    for (const auto& address : record.emails) {
      if (!is_valid_email(address))
        continue;
      std::string normalised = normalise_email(address);
      if (email.empty())
        email = normalised;
      if (normalised != email &&
          std::find(alternates.begin(), alternates.end(), normalised) == alternates.end())
        alternates.push_back(normalised);
    }
    tag_set.insert(record.tags.begin(), record.tags.end());
    hashes.insert(record.file_hashes.begin(),
                  record.file_hashes.end());  // same bytes once per candidate
    for (const auto& app : record.applications)
      apps.push_back(app);
    person_notes += record.notes;
    person_feedback += record.feedback;
    for (const auto& note : record.source_notes)
      source_notes.push_back(note);
    for (const auto& item : record.feedback_items)
      feedback_items.push_back(item);
    created = std::min(created, record.created_at);
  }
  if (members.size() > 1)
    ++totals.merges;
  std::sort(legacy.begin(), legacy.end(), [](const json::value& a, const json::value& b) {
    return a.as_string() < b.as_string();
  });
  json::array alt_json, tags_json, hashes_json;
  for (const auto& a : alternates)
    alt_json.emplace_back(a);
  for (const auto& t : tag_set)
    tags_json.emplace_back(t);
  for (const auto& h : hashes)
    hashes_json.emplace_back(h);
  totals.applications += static_cast<std::int64_t>(apps.size());
  totals.notes += person_notes;
  totals.feedback += person_feedback;
  totals.files += static_cast<std::int64_t>(hashes.size());
  totals.tags += static_cast<std::int64_t>(tag_set.size());
  totals.tag_titles.insert(tag_set.begin(), tag_set.end());
  std::string legacy_text;
  for (const auto& id : legacy) {
    if (!legacy_text.empty())
      legacy_text += ';';
    legacy_text.append(id.as_string().data(), id.as_string().size());
  }
  return json::object{{"legacyIds", legacy_text},
                      {"name", latest->name},
                      {"email", email.empty() ? json::value(nullptr) : json::value(email)},
                      {"alternateEmails", std::move(alt_json)},
                      {"createdAt", iso_time(created)},
                      {"tags", std::move(tags_json)},
                      {"applications", std::move(apps)},
                      {"notes", person_notes},
                      {"sourceNotes", std::move(source_notes)},
                      {"feedback", person_feedback},
                      {"feedbackItems", std::move(feedback_items)},
                      {"files", std::move(hashes_json)}};
}

json::array truth_jobs(const Dataset& data, const std::string& source) {
  // Every posting / job becomes an Ashby job; published (and internal) / open -> Open. Its
  // hiring team: each hiring manager as "Hiring Manager", the owner (Lever's posting owner,
  // Greenhouse's responsible recruiter) as "Recruiter", each by email when the user is one the
  // default --ashby-config has (active, not a service account).
  json::array job_list;
  std::map<std::string, std::string> lever_user_email;
  for (const auto& user : data.lever.users)
    if (!user.deactivated_at)
      lever_user_email[user.id] = user.email;
  std::map<std::int64_t, std::string> gh_user_email;
  for (std::size_t i = 0; i < data.greenhouse.users.size(); ++i) {
    const GhUser& user = data.greenhouse.users[i];
    if (!user.deactivated && !user.service_account)
      gh_user_email[user.id] = greenhouse_user_ashby_email(data.greenhouse, i);
  }
  auto member = [](const std::string& email, const char* role) {
    return json::object{{"email", email}, {"role", role}};
  };
  if (source == "lever" || source == "both")
    for (const auto& posting : data.lever.postings) {
      std::string status = posting.state == "closed"  ? "Closed"
                           : posting.state == "draft" ? "Draft"
                                                      : "Open";
      json::array team;
      // The emulated posting's hiringManager is its owner (lever_server.cpp).
      if (auto user = lever_user_email.find(posting.owner); user != lever_user_email.end()) {
        team.push_back(member(user->second, "Hiring Manager"));
        team.push_back(member(user->second, "Recruiter"));
      }
      job_list.push_back(json::object{{"legacyId", "lever:posting:" + posting.id},
                                      {"title", posting.text},
                                      {"status", status},
                                      {"confidential", posting.confidential},
                                      {"hiringTeam", std::move(team)}});
    }
  if (source == "greenhouse" || source == "both")
    for (const auto& job : data.greenhouse.jobs) {
      std::string status = job.status == "closed"  ? "Closed"
                           : job.status == "draft" ? "Draft"
                                                   : "Open";
      json::array team;
      for (std::int64_t manager : job.hiring_manager_ids)
        if (auto user = gh_user_email.find(manager); user != gh_user_email.end())
          team.push_back(member(user->second, "Hiring Manager"));
      if (auto user = gh_user_email.find(job.recruiter_owner_id); user != gh_user_email.end())
        team.push_back(member(user->second, "Recruiter"));
      job_list.push_back(json::object{{"legacyId", "greenhouse:job:" + std::to_string(job.id)},
                                      {"title", job.name},
                                      {"status", status},
                                      {"confidential", job.confidential},
                                      {"hiringTeam", std::move(team)}});
    }
  return job_list;
}

}  // namespace

json::object compute_truth(const Dataset& data, const std::string& source,
                           std::int64_t max_file_bytes) {
  std::vector<SourceRecord> records;
  if (source == "lever" || source == "both")
    lever_records(data, max_file_bytes, records);
  if (source == "greenhouse" || source == "both")
    greenhouse_records(data, max_file_bytes, records);
  std::map<std::size_t, std::vector<std::size_t>> groups = merged_persons(records);

  json::array persons;
  TruthTotals totals;
  for (const auto& [first, members] : groups)
    persons.push_back(person_truth(records, members, totals));
  json::array job_list = truth_jobs(data, source);
  auto jobs = static_cast<std::int64_t>(job_list.size());
  // Custom field definitions: the default --ashby-config's (one Candidate field per Greenhouse
  // custom field, whatever the source) onto which the mapping file maps every source field, plus
  // the two legacy-id fields the load creates when missing (docs/mapping.md §3, "Legacy ids"):
  // "Legacy IDs" on candidates and "Legacy ID" on applications, each once something holds it.
  std::set<std::string> field_titles;
  for (const auto& field : data.greenhouse.custom_fields)
    field_titles.insert(field.name);
  auto custom_fields = static_cast<std::int64_t>(field_titles.size()) + (persons.empty() ? 0 : 1) +
                       (totals.applications == 0 ? 0 : 1);
  return json::object{{"source", source},
                      {"counts", json::object{{"candidate", persons.size()},
                                              {"application", totals.applications},
                                              {"note", totals.notes},
                                              {"feedback", totals.feedback},
                                              {"file", totals.files},
                                              {"candidate_tag", totals.tags},
                                              {"job", jobs},
                                              {"tag", totals.tag_titles.size()},
                                              {"custom_field", custom_fields}}},
                      {"merged_persons", totals.merges},
                      {"jobs", std::move(job_list)},
                      {"persons", std::move(persons)}};
}

json::object default_ashby_config(const Dataset& data) {
  json::array users, sources, reasons;
  std::set<std::string> seen;
  auto add_user = [&](const std::string& first, const std::string& last, const std::string& email,
                      bool enabled) {
    if (!seen.insert(email).second)
      return;
    users.push_back(json::object{{"firstName", first},
                                 {"lastName", last},
                                 {"email", email},
                                 {"isEnabled", enabled},
                                 {"globalRole", "Elevated Access"}});
  };
  add_user("Migration", "Bot", "migration-bot@acme.example",
           true);  // the API key's user and fallback
  for (const auto& user : data.lever.users) {
    if (user.deactivated_at)
      continue;
    auto space = user.name.find(' ');
    add_user(user.name.substr(0, space), user.name.substr(space + 1), user.email, true);
  }
  for (std::size_t i = 0; i < data.greenhouse.users.size(); ++i) {
    const GhUser& user = data.greenhouse.users[i];
    if (!user.deactivated && !user.service_account)
      add_user(user.first_name, user.last_name, greenhouse_user_ashby_email(data.greenhouse, i),
               true);
  }
  std::set<std::string> titles;
  for (const auto& text : data.lever.sources)
    if (titles.insert(text).second)
      sources.push_back(json::object{{"title", text}});
  for (const auto& source : data.greenhouse.sources)
    if (titles.insert(source.name).second)
      sources.push_back(json::object{{"title", source.name}});
  titles.clear();
  for (const auto& reason : data.lever.archive_reasons)
    if (reason.type != "hired" && titles.insert(reason.text).second)
      reasons.push_back(json::object{
          {"text", reason.text},
          {"reasonType", reason.text == "Withdrew" ? "RejectedByCandidate" : "RejectedByOrg"}});
  for (const auto& reason : data.greenhouse.rejection_reasons)
    if (titles.insert(reason.name).second)
      reasons.push_back(
          json::object{{"text", reason.name},
                       {"reasonType", reason.type_key == "THEY_REJECTED_US" ? "RejectedByCandidate"
                                                                            : "RejectedByOrg"}});
  json::array stages;
  for (auto [title, type] : {std::pair{"New Lead", "Lead"},
                             {"Reached Out", "Lead"},
                             {"New Applicant", "PreInterviewScreen"},
                             {"Application Review", "PreInterviewScreen"},
                             {"Recruiter Screen", "Active"},
                             {"Phone Interview", "Active"},
                             {"On-site Interview", "Active"},
                             {"Offer", "Offer"},
                             {"Hired", "Hired"},
                             {"Archived", "Archived"}})
    stages.push_back(json::object{{"title", title}, {"type", type}});
  json::array custom;
  static const std::map<std::string, std::string> kTypes{{"short_text", "String"},
                                                         {"long_text", "LongText"},
                                                         {"yes_no", "Boolean"},
                                                         {"single_select", "ValueSelect"},
                                                         {"multi_select", "MultiValueSelect"},
                                                         {"currency", "Currency"},
                                                         {"number", "Number"},
                                                         {"date", "Date"},
                                                         {"url", "Url"},
                                                         {"user", "String"}};
  for (const auto& field : data.greenhouse.custom_fields) {
    json::object item{{"title", field.name},
                      {"objectType", "Candidate"},
                      {"fieldType", kTypes.at(field.value_type)}};
    if (!field.options.empty()) {
      json::array values;
      for (const auto& option : field.options)
        values.push_back(json::object{{"label", option}, {"value", option}});
      item["selectableValues"] = std::move(values);
    }
    custom.push_back(std::move(item));
  }
  return json::object{
      {"apiKeyUserEmail", "migration-bot@acme.example"},
      {"users", std::move(users)},
      {"sources", std::move(sources)},
      {"archiveReasons", std::move(reasons)},
      {"interviewPlans", json::array{json::object{{"title", "Default Interview Plan"},
                                                  {"stages", std::move(stages)}}}},
      {"feedbackForms",
       json::array{json::object{{"title", "Migrated Feedback"},
                                {"isDefaultForm", false},
                                {"fields", json::array{json::object{{"path", "overall_score"},
                                                                    {"title", "Score"},
                                                                    {"type", "Score"}},
                                                       json::object{{"path", "feedback_text"},
                                                                    {"title", "Feedback"},
                                                                    {"type", "LongText"},
                                                                    {"isRequired", true}}}}}}},
      {"customFields", std::move(custom)}};
}

}  // namespace atsm::sandbox
