// Candidacies -> applications: stage history, archive reason, source, the application note,
// the detour through Open for jobs that are not, and the hold of confidential jobs.
#include "ashby_sink.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "render.hpp"
#include "sink_support.hpp"

namespace atsm::ashby {

void AshbySink::write_candidacy(const WriteItem& item, ItemResult& result) {
  const model::Candidacy& candidacy = std::get<model::Candidacy>(item.record);
  std::string candidate_id = ref(item, candidacy.person_key);
  if (candidate_id.empty())
    invalid("field 'person_key': " + candidacy.person_key + " has no target id in refs");
  std::string job_id = ref(item, candidacy.job_key);
  if (candidacy.job_key && job_id.empty())
    invalid("field 'job_key': " + *candidacy.job_key + " has no target id in refs");
  if (std::string held = confidential_hold(job_id); !held.empty()) {
    result.status = "held";
    result.message = held;
    return;
  }
  if (!candidacy.job_key) {
    if (plan_options_.jobless == "candidate_only") {
      add_tags(candidate_id, candidacy.tags, nullptr);
      write_application_content(item, candidate_id, "", result);
      result.skipped =
          "jobless candidacy: no application (jobless: candidate_only); its notes, "
          "feedback and files go to the candidate";
      return;
    }
    job_id = jobless_job_id();
  }
  ApplicationHistory history = application_history(item, job_id, result);
  std::string source_id = application_source(item, result);
  std::string credited = ref(item, candidacy.credited_to_user_key);
  if (credited.empty())
    credited = ref(item, candidacy.owner_user_key);

  std::string id = item.target_id;
  if (id.empty() && item.lookup_first)
    if (auto found = find_application(item))
      id = *found;
  if (id.empty()) {
    object body{{"candidateId", candidate_id}, {"jobId", job_id}};
    if (!history.created_at.empty())
      body["createdAt"] = history.created_at;
    if (!history.entries.empty())
      body["applicationHistory"] = history.to_json();
    if (!source_id.empty())
      body["sourceId"] = source_id;
    if (!credited.empty())
      body["creditedToUserId"] = credited;
    id = create_new_application(job_id, body);
    result.target_id = id;
  } else {
    result.target_id = id;
    update_application(id, history, source_id, credited, result);
  }
  array values{
      object{{"fieldId", legacy_field_id("Application")}, {"fieldValue", candidacy.source_key}}};
  for (value& entry : custom_values(candidacy.custom_fields, item, result))
    values.push_back(std::move(entry));
  set_custom_values("Application", id, values, result);
  add_tags(candidate_id, candidacy.tags, nullptr);
  write_application_content(item, candidate_id, id, result);
}

// The Ashby job of lead applications (config.jobless_job, by title or id).
std::string AshbySink::jobless_job_id() {
  std::string job_id;
  for (const object& job : client_.list_all("job.list", kEveryJobStatus))
    if (same_name(text_of(job, "title"), config_.jobless_job) ||
        text_of(job, "id") == config_.jobless_job)
      job_id = text_of(job, "id");
  if (job_id.empty())
    invalid("jobless candidacy: jobless_job '" + config_.jobless_job + "' names no Ashby job");
  return job_id;
}

// The candidacy's stage of `stage_key` in the job's plan: the mapped stage, or (mapped to a stage
// of another plan) the stage of the same title in this one; nullopt, said lossy, when unmapped.
std::optional<AshbySink::StageInfo> AshbySink::stage_in_plan(const WriteItem& item,
                                                             const std::string& stage_key,
                                                             const PlanInfo& plan,
                                                             const std::string& job_id,
                                                             ItemResult& result) {
  std::string stage_id = ref(item, stage_key);
  if (stage_id.empty()) {
    result.lossy.push_back("stage " + stage_key + " has no Ashby stage: left out of history");
    return std::nullopt;
  }
  for (const StageInfo& stage : plan.stages)
    if (stage.id == stage_id)
      return stage;
  // Mapped to a stage of another plan: the stage of the same title in this job's plan.
  std::map<std::string, StageInfo> all_stages = stage_index();
  auto other = all_stages.find(stage_id);
  if (other != all_stages.end())
    for (const StageInfo& stage : plan.stages)
      if (same_name(stage.title, other->second.title))
        return stage;
  invalid("stage " + stage_key + " maps to Ashby stage " + stage_id +
          ", which is not in the interview plan of job " + job_id);
}

// Every stage the candidacy entered, oldest first, with its time, repeats collapsed; the last
// the Hired or Archived stage for those statuses (docs/mapping.md §5).
AshbySink::ApplicationHistory AshbySink::application_history(const WriteItem& item,
                                                             const std::string& job_id,
                                                             ItemResult& result) {
  const model::Candidacy& candidacy = std::get<model::Candidacy>(item.record);
  PlanInfo plan = job_plan(job_id);
  auto first_of_type = [&](const std::string& type) -> std::optional<StageInfo> {
    for (const StageInfo& stage : plan.stages)
      if (stage.type == type)
        return stage;
    return std::nullopt;
  };
  ApplicationHistory history;
  history.created_at = candidacy.created_at.value_or(candidacy.applied_at.value_or(""));
  std::vector<StageEntry>& entries = history.entries;
  auto push = [&](const std::optional<StageInfo>& stage, const std::string& at) {
    if (stage && (entries.empty() || entries.back().stage.id != stage->id))
      entries.push_back({*stage, at.empty() ? history.created_at : at});
  };
  // A prospect starts in the plan's first Lead stage, whatever its source stages were.
  if (candidacy.is_prospect.value_or(false))
    push(first_of_type("Lead"), history.created_at);
  for (const model::StageChange& change : candidacy.stage_history)
    push(stage_in_plan(item, change.stage_key, plan, job_id, result), change.entered_at);
  if (candidacy.stage_history.empty() && candidacy.stage_key)
    push(stage_in_plan(item, *candidacy.stage_key, plan, job_id, result), history.created_at);
  std::string last_time = entries.empty() ? history.created_at : entries.back().at;
  std::string end_time = candidacy.archived_at.value_or(candidacy.updated_at.value_or(last_time));
  if (!entries.empty() && epoch_ms(end_time) < epoch_ms(last_time))
    end_time = last_time;
  if (candidacy.status == model::CandidacyStatus::hired) {
    std::optional<StageInfo> hired = first_of_type("Hired");
    if (!hired)
      throw sdk::Error(ATSM_PERMANENT, "the interview plan of job " + job_id +
                                           " has no Hired stage for a hired candidacy");
    push(hired, end_time);
  } else if (candidacy.status == model::CandidacyStatus::archived) {
    std::optional<StageInfo> archived = first_of_type("Archived");
    if (!archived)
      throw sdk::Error(ATSM_PERMANENT, "the interview plan of job " + job_id +
                                           " has no Archived stage for an archived candidacy");
    history.archive_reason_id = ref(item, candidacy.archive_reason_key);
    if (history.archive_reason_id.empty()) {
      history.archive_reason_id = archive_reason_fallback();
      if (history.archive_reason_id.empty())
        invalid(
            "field 'archive_reason_key': the archived candidacy has no mapped archive reason "
            "and default_archive_reason '" +
            config_.default_archive_reason + "' names none in Ashby");
      result.lossy.push_back("archive reason " + candidacy.archive_reason_key.value_or("(none)") +
                             " not mapped: the default archive reason was used");
    }
    push(archived, end_time);
  }
  return history;
}

// application.create's applicationHistory.
array AshbySink::ApplicationHistory::to_json() const {
  array out;
  for (size_t i = 0; i < entries.size(); ++i) {
    object entry{{"stageId", entries[i].stage.id},
                 {"stageNumber", static_cast<int64_t>(i)},
                 {"enteredStageAt", entries[i].at}};
    if (entries[i].stage.type == "Archived")
      entry["archiveReasonId"] = archive_reason_id;
    out.push_back(std::move(entry));
  }
  return out;
}

// The Ashby source of the candidacy's first source that has one (mapped, else by name).
std::string AshbySink::application_source(const WriteItem& item, ItemResult& result) {
  const model::Candidacy& candidacy = std::get<model::Candidacy>(item.record);
  std::string source_id;
  for (const model::SourceRef& source : candidacy.sources) {
    source_id = ref(item, source.source_key);
    if (source_id.empty() && source.name)
      for (const object& known : cached_list("source.list"))
        if (same_name(text_of(known, "title"), *source.name))
          source_id = text_of(known, "id");
    if (!source_id.empty())
      break;
  }
  if (source_id.empty() && !candidacy.sources.empty())
    result.lossy.push_back(
        "source " +
        candidacy.sources.front().name.value_or(candidacy.sources.front().source_key.value_or("")) +
        " has no Ashby source");
  if (candidacy.sources.size() > 1)
    result.lossy.push_back("Ashby applications have one source; only the first was kept");
  return source_id;
}

// application.create (through the detour for a job that is not Open); the new id.
std::string AshbySink::create_new_application(const std::string& job_id, const object& body) {
  object app = create_application(job_id, body);
  std::string id = text_of(app, "id");
  if (id.empty())
    throw sdk::Error(ATSM_AMBIGUOUS, "application.create answered without an id",
                     "malformed_response");
  if (const object* job = object_at(app, "job")) {
    std::lock_guard lock(mutex_);
    application_jobs_.remember(id, text_of(*job, "title"));
  }
  return id;
}

// An application written before: its fields again, and its current stage moved when it differs
// (Ashby cannot rewrite history: the move is stamped now, said lossy).
void AshbySink::update_application(const std::string& id, const ApplicationHistory& history,
                                   const std::string& source_id, const std::string& credited,
                                   ItemResult& result) {
  object update{{"applicationId", id}, {"sendNotifications", false}};
  if (!source_id.empty())
    update["sourceId"] = source_id;
  if (!credited.empty())
    update["creditedToUserId"] = credited;
  if (!history.created_at.empty())
    update["createdAt"] = history.created_at;
  object app = as_object(client_.results("application.update", update, CallKind::idempotent_write),
                         "application.update");
  const object* stage = object_at(app, "currentInterviewStage");
  if (history.entries.empty() || stage == nullptr)
    return;
  const StageInfo& last = history.entries.back().stage;
  if (text_of(*stage, "id") == last.id)
    return;
  object change{{"applicationId", id}, {"interviewStageId", last.id}};
  if (last.type == "Archived")
    change["archiveReasonId"] = history.archive_reason_id;
  client_.results("application.changeStage", change, CallKind::idempotent_write);
  result.lossy.push_back("stage change to " + last.title +
                         " is stamped now, not at its original time");
}

// What an Ashby application has no field for (application.create/update take no form answers,
// cover letter or pool; applicationForm.submit submits a job posting's live form, not a past
// one): the prospect pool becomes a candidate tag "Prospect pool: <name>", so a pool stays a
// list one can filter by; the pool stage, the cover letter and the form answers one candidate
// note (application_note_html), backdated to the application. Written last, after everything
// that can fail, and looked for by its reference when the item was written before.
void AshbySink::write_application_content(const WriteItem& item, const std::string& candidate_id,
                                          const std::string& application_id, ItemResult& result) {
  const model::Candidacy& candidacy = std::get<model::Candidacy>(item.record);
  if (candidacy.prospect_pool && !candidacy.prospect_pool->empty()) {
    add_tags(candidate_id, {"Prospect pool: " + *candidacy.prospect_pool}, nullptr);
    result.lossy.push_back("prospect pool kept as a candidate tag");
  }
  std::vector<std::string> lossy;
  std::string hash = reference_hash(item.key, "application");
  // The job's title (a read on an update) only for a note there is.
  if (application_note_html(candidacy, "", hash, lossy).empty())
    return;
  lossy.clear();
  std::string html =
      application_note_html(candidacy, application_job_title(application_id), hash, lossy);
  create_note(candidate_id, html, false,
              candidacy.applied_at ? candidacy.applied_at : candidacy.created_at, hash,
              // A jobless candidacy has no application to say it was written: always looked for.
              item.lookup_first || !item.target_id.empty() || application_id.empty());
  result.lossy.insert(result.lossy.end(), lossy.begin(), lossy.end());
}

// Whether Ashby takes an application on a job that is not Open is undocumented
// (sandbox/validator/ashby-api-openapi.extract.json, application.create). A refused create was not
// applied: the job is opened, the application created and the job put back, one such detour per job
// at a time, so the load works either way.
object AshbySink::create_application(const std::string& job_id, const object& body) {
  // Once this Ashby has refused a job that is not Open, a job this instance left closed takes
  // the detour at once, without the create it would refuse.
  bool known_closed = false;
  {
    std::lock_guard lock(mutex_);
    auto status = job_statuses_.find(job_id);
    known_closed = closed_jobs_refuse_ && status != job_statuses_.end() && status->second != "Open";
  }
  try {
    if (!known_closed)
      return as_object(client_.results("application.create", body, CallKind::create),
                       "application.create");
  } catch (const sdk::Error& error) {
    if (error.status() != ATSM_INVALID && error.status() != ATSM_PERMANENT)
      throw;  // only a refusal (nothing applied) takes the detour
  }
  {
    std::lock_guard reopen(reopen_lock(job_id));
    std::string status = job_status(job_id);
    // Open now: another worker's detour opened it since the refusal (or the refusal had another
    // cause, which the create repeats and throws). A refused create was not applied, so sending
    // it again cannot duplicate the application.
    if (status == "Open" || status.empty())
      return as_object(client_.results("application.create", body, CallKind::create),
                       "application.create");
    // The job stays Open for every later application of the run and goes back at finish; the
    // intent, committed before the job opens, lets any later run in the work dir put it back
    // if this one dies first. A host without durable intents gets one detour per application.
    bool durable = true;
    try {
      client_.host().begin_intent(kDetourTopic, job_id, status);
    } catch (const sdk::Error& error) {
      if (error.status() != ATSM_NOT_FOUND)
        throw;
      durable = false;
    }
    if (durable) {
      move_job(job_id, status, "Open");
      {
        std::lock_guard lock(mutex_);
        open_detours_.insert(job_id);
        closed_jobs_refuse_ = true;
      }
      return as_object(client_.results("application.create", body, CallKind::create),
                       "application.create");
    }
    move_job(job_id, status, "Open");
    std::optional<object> created;
    try {
      created = as_object(client_.results("application.create", body, CallKind::create),
                          "application.create");
    } catch (const sdk::Error&) {
      move_job(job_id, "Open", status);
      throw;
    }
    move_job(job_id, "Open", status);
    std::lock_guard lock(mutex_);
    closed_jobs_refuse_ = true;
    return *created;
  }
}

std::mutex& AshbySink::reopen_lock(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  return reopen_locks_[job_id];  // std::map: the mutex stays where it is while others are added
}

std::string AshbySink::job_status(const std::string& job_id) {
  return text_of(
      as_object(client_.results("job.info", object{{"id", job_id}}, CallKind::read), "job.info"),
      "status");
}

// Several jobs at a time, as many as the host's measured latency says Ashby's limit needs: one
// after another, the 150 jobs of a 10,000-person Greenhouse migration idled Ashby for 3.5 s at
// the load's end (job.info and job.setStatus at 86 calls/s). Each job has its own reopen lock and
// intent; after a failure no further job is begun, and the intents left open are the next run's.
size_t AshbySink::restore_detoured_jobs() {
  value open = json::parse(client_.host().open_intents_json(kDetourTopic));
  const array& intents = open.as_array();
  constexpr std::uint32_t kDefaultRestorers = 4;
  const std::size_t restorers = std::min<std::size_t>(
      intents.size(), client_.host().suggested_in_flight().value_or(kDefaultRestorers));
  std::atomic<std::size_t> next{0}, restored{0};
  std::atomic<bool> failed{false};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto restore_some = [&] {
    for (std::size_t i = next++; i < intents.size() && !failed; i = next++) {
      try {
        restore_detoured_job(text_of(intents[i].as_object(), "key"),
                             text_of(intents[i].as_object(), "value"));
        ++restored;
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure)
          failure = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> helpers;
  for (std::size_t w = 1; w < restorers; ++w)
    helpers.emplace_back(restore_some);
  restore_some();
  for (std::thread& helper : helpers)
    helper.join();
  if (failure)
    std::rethrow_exception(failure);
  return restored;
}

void AshbySink::restore_detoured_job(const std::string& job_id, const std::string& status) {
  std::lock_guard reopen(reopen_lock(job_id));
  std::string now = job_status(job_id);
  if (!now.empty() && now != status)
    move_job(job_id, now, status);
  client_.host().end_intent(kDetourTopic, job_id);
  std::lock_guard lock(mutex_);
  open_detours_.erase(job_id);
  job_statuses_[job_id] = status;
}

std::string AshbySink::confidential_hold(const std::string& job_id) {
  if (job_id.empty() || config_.confidential_jobs != "hold")
    return {};
  std::string title;
  bool asked = false;
  {
    std::lock_guard lock(mutex_);
    if (!confidential_pending_) {
      confidential_pending_.emplace();
      value open = json::parse(client_.host().open_intents_json(kConfidentialTopic));
      for (const value& intent : open.as_array())
        (*confidential_pending_)[text_of(intent.as_object(), "key")] =
            text_of(intent.as_object(), "value");
    }
    auto pending = confidential_pending_->find(job_id);
    if (pending == confidential_pending_->end())
      return {};
    title = pending->second;
    asked = confidential_not_yet_.count(job_id) > 0;
  }
  if (!asked) {
    // The job object's `confidential` (sandbox/validator/ashby-api-openapi.extract.json, job.info's
    // answer) shows the operator's step.
    object job =
        as_object(client_.results("job.info", object{{"id", job_id}}, CallKind::read), "job.info");
    if (is_true(job, "confidential")) {
      client_.host().end_intent(kConfidentialTopic, job_id);
      std::lock_guard lock(mutex_);
      confidential_pending_->erase(job_id);
      return {};
    }
    std::lock_guard lock(mutex_);
    confidential_not_yet_.insert(job_id);
  }
  return "held: job '" + title + "' (" + job_id +
         ") is confidential in the source but not in Ashby, whose API cannot make it so; make "
         "it confidential in Ashby's web app (the job's settings), then run the migration again "
         "to write this candidacy, or set ashby.confidential_jobs=proceed to write it without";
}

std::string AshbySink::finish(const std::string& summary_json) {
  (void)summary_json;
  size_t restored = 0;
  {
    std::lock_guard lock(restore_mutex_);
    restored = restore_detoured_jobs();
  }
  forget_what_the_load_learnt_per_candidate();
  return json::serialize(object{{"jobs_restored_after_detour", restored}});
}

// The load has ended: what it learnt per candidate and application (one entry each, tens of MB at
// 100,000 persons) is let go before the reconciliation reads back in the same process. Each is a
// saving, not a guarantee: a write after this asks Ashby (candidate.info, application.info) or the
// host's ledger, as the first write to a candidate of a new run does. The latest resume per
// candidate stays: no call tells which resume was set from which source record.
void AshbySink::forget_what_the_load_learnt_per_candidate() {
  std::lock_guard lock(mutex_);
  candidate_memos_.clear();
  application_jobs_.clear();
}

}  // namespace atsm::ashby
