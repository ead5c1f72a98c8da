// Indexes over the dataset and the recruiter activity of /_sandbox/mutate.
#include <algorithm>
#include <stdexcept>

#include "util.hpp"
#include "world.hpp"

namespace atsm::sandbox {
namespace json = boost::json;

void World::reindex() {
  opportunity_by_id.clear();
  contact_by_id.clear();
  user_by_id.clear();
  stage_by_id.clear();
  posting_by_id.clear();
  reason_by_id.clear();
  gh_candidate_by_id.clear();
  gh_application_by_id.clear();
  gh_job_by_id.clear();
  gh_attachment_by_id.clear();
  const auto& lv = data.lever;
  for (std::size_t i = 0; i < lv.opportunities.size(); ++i)
    opportunity_by_id[lv.opportunities[i].id] = i;
  for (std::size_t i = 0; i < lv.contacts.size(); ++i)
    contact_by_id[lv.contacts[i].id] = i;
  for (std::size_t i = 0; i < lv.users.size(); ++i)
    user_by_id[lv.users[i].id] = i;
  for (std::size_t i = 0; i < lv.stages.size(); ++i)
    stage_by_id[lv.stages[i].id] = i;
  for (std::size_t i = 0; i < lv.postings.size(); ++i)
    posting_by_id[lv.postings[i].id] = i;
  for (std::size_t i = 0; i < lv.archive_reasons.size(); ++i)
    reason_by_id[lv.archive_reasons[i].id] = i;
  const auto& gh = data.greenhouse;
  for (std::size_t i = 0; i < gh.candidates.size(); ++i)
    gh_candidate_by_id[gh.candidates[i].id] = i;
  for (std::size_t i = 0; i < gh.applications.size(); ++i)
    gh_application_by_id[gh.applications[i].id] = i;
  for (std::size_t i = 0; i < gh.jobs.size(); ++i)
    gh_job_by_id[gh.jobs[i].id] = i;
  for (std::size_t i = 0; i < gh.attachments.size(); ++i)
    gh_attachment_by_id[std::stoll(gh.attachments[i].file.id)] = i;
  ++mutations;
}

namespace {

SandboxFile new_file(Rng& rng, std::string id, std::int64_t at) {
  SandboxFile file;
  file.id = std::move(id);
  file.ext = "pdf";
  file.name = "Added_During_Parallel_Run_" + file.id.substr(0, 6) + ".pdf";
  file.size = static_cast<std::size_t>(rng.range(2048, 32768));
  file.uploaded_at = at;
  file.content_seed = rng.next();
  return file;
}

}  // namespace

json::array mutate_lever(World& world, int count) {
  LeverData& lv = world.data.lever;
  json::array changes;
  std::int64_t now = now_ms();
  for (int i = 0; i < count; ++i) {
    Rng rng(mix_seed(world.data.seed ^ 0x11E7E4, ++world.mutation_rng_counter));
    std::vector<std::size_t> live;
    for (std::size_t k = 0; k < lv.opportunities.size(); ++k)
      if (!lv.opportunities[k].deleted_at && lv.opportunities[k].posting_id &&
          !lv.opportunities[k].archive_reason_id &&
          !lv.contacts[world.contact_by_id.at(lv.opportunities[k].contact_id)].anonymized)
        live.push_back(k);
    if (live.empty())
      break;
    LeverOpportunity& opp = lv.opportunities[live[rng.next() % live.size()]];
    std::string kind;
    switch (i % 6) {
      case 0: {
        std::size_t index = world.stage_by_id.at(opp.stage_id);
        index = std::min(index + 1, lv.stages.size() - 1);
        opp.stage_changes.push_back(
            {lv.stages[index].id, lv.users[0].id, static_cast<int>(index), now});
        opp.stage_id = lv.stages[index].id;
        kind = "stage_move";
        break;
      }
      case 1:
        opp.notes.push_back(
            {rng.uuid(),
             lv.users[1].id,
             false,
             {{"Parallel-run note ✍️ " + std::to_string(i), lv.users[1].id, now}},
             now,
             std::nullopt});
        kind = "new_note";
        break;
      case 2: {
        LeverFeedback form;
        form.id = rng.uuid();
        form.type = "interview";
        form.text = "Parallel-run interview";
        form.template_id = "tmpl-1";
        form.user = lv.users[2].id;
        form.interview = rng.uuid();
        form.created_at = now;
        form.completed_at = now;
        form.fields = {{rng.uuid(),
                        "score-system",
                        "Rating",
                        json::value("3 - Hire"),
                        {"4 - Strong Hire", "3 - Hire", "2 - No Hire", "1 - Strong No Hire"},
                        {}},
                       {rng.uuid(),
                        "textarea",
                        "Notes",
                        json::value("Added during the parallel run."),
                        {},
                        {}}};
        opp.feedback.push_back(std::move(form));
        kind = "new_feedback";
        break;
      }
      case 3:
        opp.files.push_back(new_file(rng, rng.uuid(), now));
        kind = "new_file";
        break;
      case 4:
      case 5: {
        LeverOpportunity fresh;
        fresh.id = rng.uuid();
        fresh.application_id = rng.uuid();
        fresh.owner = lv.users[0].id;
        fresh.origin = "sourced";
        fresh.posting_id = lv.postings[rng.next() % lv.postings.size()].id;
        fresh.confidential = lv.postings[world.posting_by_id.at(*fresh.posting_id)].confidential;
        fresh.created_at = now;
        fresh.updated_at = now;
        fresh.stage_id = "applicant-new";
        fresh.stage_changes.push_back({"applicant-new", lv.users[0].id, 2, now});
        fresh.sources = {"Referral"};
        if (i % 6 == 4) {
          fresh.contact_id = opp.contact_id;
          kind = "new_candidacy";
        } else {
          LeverContact contact;
          contact.id = rng.uuid();
          contact.name = "Parallel Person " + std::to_string(world.mutation_rng_counter);
          contact.headline = "Joined during the parallel run";
          contact.emails = {"parallel.person." + std::to_string(world.mutation_rng_counter) +
                            "@example.com"};
          fresh.contact_id = contact.id;
          lv.contacts.push_back(std::move(contact));
          kind = "new_person";
        }
        changes.push_back(
            json::object{{"kind", kind}, {"opportunity", fresh.id}, {"contact", fresh.contact_id}});
        lv.opportunities.push_back(std::move(fresh));
        world.reindex();
        continue;
      }
    }
    opp.updated_at = now;
    changes.push_back(
        json::object{{"kind", kind}, {"opportunity", opp.id}, {"contact", opp.contact_id}});
  }
  std::sort(lv.opportunities.begin(), lv.opportunities.end(),
            [](const LeverOpportunity& a, const LeverOpportunity& b) {
              return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
            });
  world.reindex();
  return changes;
}

json::array move_lever_stages(World& world, int count) {
  LeverData& lv = world.data.lever;
  json::array moved;
  std::int64_t now = now_ms();
  // Applicant stages only: a move never turns an applicant into a lead.
  std::vector<std::size_t> applicant_stages;
  for (std::size_t s = 0; s < lv.stages.size(); ++s)
    if (!lv.stages[s].lead)
      applicant_stages.push_back(s);
  if (applicant_stages.size() < 2)
    return moved;
  for (int i = 0; i < count; ++i) {
    Rng rng(mix_seed(world.data.seed ^ 0x57A6E5, ++world.mutation_rng_counter));
    std::vector<std::size_t> live;
    for (std::size_t k = 0; k < lv.opportunities.size(); ++k) {
      const LeverOpportunity& opp = lv.opportunities[k];
      if (!opp.deleted_at && opp.posting_id && !opp.archive_reason_id &&
          !lv.stages[world.stage_by_id.at(opp.stage_id)].lead &&
          !lv.contacts[world.contact_by_id.at(opp.contact_id)].anonymized)
        live.push_back(k);
    }
    if (live.empty())
      break;
    LeverOpportunity& opp = lv.opportunities[live[rng.next() % live.size()]];
    auto at = std::find(applicant_stages.begin(), applicant_stages.end(),
                        world.stage_by_id.at(opp.stage_id));
    bool earlier = i % 2 == 0;
    if (at == applicant_stages.begin())
      earlier = false;
    else if (at + 1 == applicant_stages.end())
      earlier = true;
    std::size_t to = earlier ? *(at - 1) : *(at + 1);
    // A later move than the opportunity's last one, even within the same millisecond.
    std::int64_t when =
        std::max(now, opp.stage_changes.empty() ? 0 : opp.stage_changes.back().at + 1);
    opp.stage_changes.push_back({lv.stages[to].id, lv.users[0].id, static_cast<int>(to), when});
    opp.stage_id = lv.stages[to].id;
    moved.push_back(json::object{{"opportunity", opp.id},
                                 {"to_stage", opp.stage_id},
                                 {"direction", earlier ? "earlier" : "later"}});
  }
  ++world.mutations;
  return moved;
}

json::object corrupt_lever(World& world, const std::string& what) {
  if (what != "note_time_in_microseconds")
    throw std::invalid_argument("unknown corruption '" + what +
                                "' (known: note_time_in_microseconds)");
  for (LeverOpportunity& opp : world.data.lever.opportunities) {
    if (opp.deleted_at || !opp.posting_id ||
        world.data.lever.contacts[world.contact_by_id.at(opp.contact_id)].anonymized)
      continue;
    for (auto& note : opp.notes) {
      if (note.deleted_at)
        continue;
      note.created_at *= 1000;
      world.reindex();
      return json::object{{"opportunity", opp.id},
                          {"contact", opp.contact_id},
                          {"note", note.id},
                          {"createdAt", note.created_at}};
    }
  }
  throw std::invalid_argument("no live opportunity has a note to corrupt");
}

json::array mutate_greenhouse(World& world, int count) {
  GreenhouseData& gh = world.data.greenhouse;
  json::array changes;
  std::int64_t now = now_ms();
  for (int i = 0; i < count; ++i) {
    Rng rng(mix_seed(world.data.seed ^ 0x6EE7, ++world.mutation_rng_counter));
    std::vector<std::size_t> live;
    for (std::size_t k = 0; k < gh.applications.size(); ++k)
      if (gh.applications[k].status == "in_process" && gh.applications[k].job_id &&
          !gh.applications[k].prospect)
        live.push_back(k);
    if (live.empty())
      break;
    GhApplication& app = gh.applications[live[rng.next() % live.size()]];
    GhCandidate& candidate = gh.candidates[world.gh_candidate_by_id.at(app.candidate_id)];
    const GhJob& job = gh.jobs[world.gh_job_by_id.at(*app.job_id)];
    std::string kind;
    switch (i % 6) {
      case 0: {
        std::size_t index = 0;
        for (std::size_t s = 0; s < job.stages.size(); ++s)
          if (job.stages[s].id == app.stage_id)
            index = s;
        index = std::min(index + 1, job.stages.size() - 1);
        if (!app.stages.empty())
          app.stages.back().exited_at = now;
        app.stages.push_back({++gh.next_id, job.stages[index].id, now, std::nullopt});
        app.stage_id = job.stages[index].id;
        kind = "stage_move";
        break;
      }
      case 1:
        gh.notes.push_back({++gh.next_id, candidate.id, gh.users[0].id, app.id,
                            "Parallel-run note ✍️\nwith a second line", "publicly_visible",
                            now});
        kind = "new_note";
        break;
      case 2: {
        GhScorecard card;
        card.id = ++gh.next_id;
        card.application_id = app.id;
        card.interviewer_id = gh.users[1].id;
        card.submitter_id = card.interviewer_id;
        card.job_interview_id = job.interviews[1].id;  // the phone stage's interview
        card.interview = job.interviews[1].name;
        card.rating = "yes";
        card.status = "complete";
        card.interviewed_at = card.submitted_at = card.created_at = card.updated_at = now;
        card.attributes = {{"Communication", "yes", "Added during the parallel run."}};
        card.answers = {{"Key Take-Aways", "Parallel-run scorecard."}};
        gh.scorecards.push_back(std::move(card));
        kind = "new_scorecard";
        break;
      }
      case 3: {
        GhAttachment attachment{candidate.id, app.id, "other", now,
                                new_file(rng, std::to_string(++gh.next_id), now)};
        gh.attachments.push_back(std::move(attachment));
        kind = "new_attachment";
        break;
      }
      case 4:
      case 5: {
        GhApplication fresh;
        fresh.id = ++gh.next_id;
        fresh.status = "in_process";
        fresh.job_id = gh.jobs[rng.next() % gh.jobs.size()].id;
        const GhJob& fresh_job = gh.jobs[world.gh_job_by_id.at(*fresh.job_id)];
        fresh.stage_id = fresh_job.stages[0].id;
        fresh.stages.push_back({++gh.next_id, fresh_job.stages[0].id, now, std::nullopt});
        fresh.source_id = gh.sources[0].id;
        fresh.recruiter_id = gh.users[0].id;
        fresh.created_at = fresh.updated_at = now;
        if (i % 6 == 4) {
          fresh.candidate_id = candidate.id;
          candidate.updated_at = now;
          kind = "new_application";
        } else {
          GhCandidate person;
          person.id = ++gh.next_id;
          person.first_name = "Parallel";
          person.last_name = "Candidate " + std::to_string(world.mutation_rng_counter);
          person.emails = {
              {"parallel.candidate." + std::to_string(world.mutation_rng_counter) + "@example.org",
               "personal"}};
          person.created_at = person.updated_at = now;
          fresh.candidate_id = person.id;
          gh.candidates.push_back(std::move(person));
          kind = "new_candidate";
        }
        changes.push_back(json::object{
            {"kind", kind}, {"application", fresh.id}, {"candidate", fresh.candidate_id}});
        gh.applications.push_back(std::move(fresh));
        world.reindex();
        continue;
      }
    }
    app.updated_at = now;
    candidate.updated_at = now;
    changes.push_back(
        json::object{{"kind", kind}, {"application", app.id}, {"candidate", candidate.id}});
  }
  world.reindex();
  return changes;
}

}  // namespace atsm::sandbox
