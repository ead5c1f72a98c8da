#include "lever_source.hpp"

namespace atsm::lever {

void LeverSource::read_persons(const json::object& position, sdk::Emitter& emitter) {
  std::int64_t snapshot = snapshot_of(position);
  std::string after_contact = string_member(position, "after_contact").value_or("");
  std::map<std::string, ContactAggregate> contacts;
  auto aggregate = [&](std::vector<json::value>& items, const Window&) {
    for (const json::value& item : items) {
      if (!item.is_object())
        continue;
      std::string contact = contact_id_of(item.as_object());
      contacts[contact].add_opportunity(item.as_object());
    }
  };
  Query query = opportunity_query();
  query.emplace_back("expand", "contact");
  if (!settings_.since) {
    walk_windows(query, 0, snapshot, 0, "list /opportunities (persons)", aggregate);
  } else {
    // Delta: the contacts behind opportunities changed since, each re-read with all of its
    // opportunities so tags, sources and first-seen times stay whole.
    std::set<std::string> touched;
    for (const ReadPhase& phase : read_phases()) {
      Query changed = opportunity_query();
      changed.insert(changed.end(), phase.filter.begin(), phase.filter.end());
      walk_windows(changed, phase.created_from, snapshot, 0,
                   "list /opportunities changed since (persons)",
                   [&](std::vector<json::value>& items, const Window&) {
                     for (const json::value& item : items)
                       if (item.is_object())
                         touched.insert(contact_id_of(item.as_object()));
                   });
    }
    touched.erase("");
    std::vector<std::string> ids(touched.begin(), touched.end());
    for (std::size_t start = 0; start < ids.size(); start += kContactsPerQuery) {
      Query by_contact = query;
      for (std::size_t i = start; i < std::min(ids.size(), start + kContactsPerQuery); ++i)
        by_contact.emplace_back("contact_id", ids[i]);
      walk_windows(by_contact, 0, snapshot, 0, "list /opportunities by contact (persons)",
                   aggregate);
    }
  }
  // Emitted in id order, batch by batch; a batch's aggregates are dropped once it is emitted, so
  // resumes read for it do not pile up behind it.
  contacts.erase(contacts.begin(),
                 after_contact.empty() ? contacts.begin() : contacts.upper_bound(after_contact));
  do {
    std::vector<std::string> ids;
    for (auto it = contacts.begin(); it != contacts.end() && ids.size() < kBatchSize; ++it)
      ids.push_back(it->first);
    add_resumes(contacts, ids);
    std::vector<model::Record> batch;
    for (const std::string& id : ids) {
      batch.push_back(contacts.at(id).to_person(id));
      contacts.erase(id);
    }
    emit(emitter, "person", batch,
         contacts.empty()
             ? ""
             : kCheckpoints.write({{"snapshot", snapshot}, {"after_contact", ids.back()}}));
  } while (!contacts.empty());
}

// The work history and schools of the resumes (parsedData) of the contacts `ids`:
// no opportunity list carries resumes, so it is GET /opportunities/:id/resumes, one call per
// opportunity (docs/vendors/lever.md §4), by as many workers as child lists, batch by batch so a
// crash loses at most one batch of them.
void LeverSource::add_resumes(std::map<std::string, ContactAggregate>& contacts,
                              const std::vector<std::string>& ids) {
  std::vector<std::pair<std::string, std::string>> todo;  // (contact, opportunity)
  for (const std::string& id : ids) {
    const ContactAggregate& contact = contacts.at(id);
    // An anonymized (GDPR) contact's work history is not read.
    if (std::get<model::Person>(contact.to_person(id)).anonymized.value_or(false))
      continue;
    for (const std::string& opportunity : contact.opportunity_ids())
      todo.emplace_back(id, opportunity);
  }
  // Added in (contact, opportunity id) order whatever order the walk or the workers took, so a
  // person's history reads the same on every run.
  std::sort(todo.begin(), todo.end());
  std::vector<std::vector<json::value>> resumes(todo.size());
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::exception_ptr failure;
  auto work = [&] {
    for (std::size_t i = next++; i < todo.size(); i = next++) {
      try {
        resumes[i] = child_list(OpportunityRef{todo[i].second, todo[i].first}, "resumes");
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure)
          failure = std::current_exception();
        next = todo.size();
      }
    }
  };
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < std::min(child_workers(), todo.size()); ++w)
    workers.emplace_back(work);
  for (std::thread& worker : workers)
    worker.join();
  if (failure)
    std::rethrow_exception(failure);
  for (std::size_t i = 0; i < todo.size(); ++i)
    for (const json::value& resume : resumes[i])
      contacts.at(todo[i].first).add_resume(resume);
}

// Checkpoints name the phase and the next window: a resume asks that window again whole.
void LeverSource::read_candidacies(const json::object& position, sdk::Emitter& emitter) {
  std::int64_t snapshot = snapshot_of(position);
  if (position.empty())
    report_deleted_opportunities();
  const HiredReasons& reasons = hired_reasons();
  const std::set<std::string>& leads = lead_stages();
  Query query = opportunity_query();
  query.emplace_back("expand", "applications");
  std::vector<ReadPhase> phases = read_phases();
  std::int64_t from = int_member(position, "from", -1);
  std::int64_t width = int_member(position, "width", 0);
  std::set<std::string> emitted;  // a delta's phases overlap
  for (auto phase = static_cast<std::size_t>(int_member(position, "phase", 0));
       phase < phases.size(); ++phase) {
    Query filtered = query;
    filtered.insert(filtered.end(), phases[phase].filter.begin(), phases[phase].filter.end());
    walk_windows(
        filtered, from >= 0 ? from : phases[phase].created_from, snapshot, width,
        "list /opportunities (candidacies)",
        [&](std::vector<json::value>& items, const Window& window) {
          std::vector<model::Record> records;
          for (const json::value& item : items)
            if (emitted.insert(item_id(item)).second)
              records.push_back(map_opportunity(item, reasons, leads));
          auto index = static_cast<std::int64_t>(phase);
          json::object next{{"snapshot", snapshot}, {"phase", window.last ? index + 1 : index}};
          if (!window.last) {
            next["from"] = window.end + 1;
            next["width"] = window.next_width;
          }
          emit(emitter, "candidacy", records, kCheckpoints.write(next));
        });
    from = -1;
    width = 0;
  }
  emit(emitter, "candidacy", {}, "");
}

// Deleted opportunities are not migrated; the run says which ones Lever deleted.
void LeverSource::report_deleted_opportunities() {
  Query query;
  if (settings_.since)
    query.emplace_back("deleted_at_start", std::to_string(*settings_.since));
  std::vector<std::string> ids;
  walk("/opportunities/deleted", query, {}, "list /opportunities/deleted",
       [&](json::array& items, const ListPosition&, const ListPosition&) {
         for (const json::value& item : items)
           ids.push_back(item_id(item));
       });
  if (ids.empty())
    return;
  std::string listed;
  for (std::size_t i = 0; i < ids.size() && i < 20; ++i)
    listed += (listed.empty() ? "" : ", ") + source_key("opportunity", ids[i]);
  host_.log(ATSM_LOG_WARN, std::to_string(ids.size()) +
                               " opportunities were deleted in Lever and are not migrated: " +
                               listed + (ids.size() > 20 ? ", ..." : ""));
}

}  // namespace atsm::lever
