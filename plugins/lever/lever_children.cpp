#include "lever_source.hpp"

namespace atsm::lever {

// The children of a list of opportunities, read by a pool of workers while the list is walked.
// The walk adds opportunities in list order; next_done hands them back in that order once read.
class LeverSource::ChildSweep {
 public:
  struct Slot {
    std::shared_ptr<const Window> window;
    std::string id;
    bool last_in_window = false;
    std::optional<OpportunityRef> opportunity;  // none: nothing to read
    std::vector<model::Record> records;
    bool done = false;
  };

  ChildSweep(LeverSource& source, std::string kind) : source_(source), kind_(std::move(kind)) {}
  ChildSweep(const ChildSweep&) = delete;
  ChildSweep& operator=(const ChildSweep&) = delete;
  ~ChildSweep() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_.notify_all();
    for (std::thread& worker : workers_)
      worker.join();
  }

  void add(std::shared_ptr<const Window> window, std::string id, bool last_in_window,
           std::optional<OpportunityRef> opportunity) {
    std::lock_guard lock(mutex_);
    Slot& slot = slots_.emplace_back();
    slot.window = std::move(window);
    slot.id = std::move(id);
    slot.last_in_window = last_in_window;
    slot.done = !opportunity;
    slot.opportunity = std::move(opportunity);
    work_.notify_one();
  }

  // Grows the pool to `wanted` workers (it never shrinks: idle ones only wait).
  void staff(std::size_t wanted) {
    while (workers_.size() < wanted)
      workers_.emplace_back([this] { work(); });
  }

  // The first slot once it is read, when more than `keep_outstanding` slots are waiting (0:
  // every slot). Rethrows a worker's failure; nullopt when the condition is not met.
  std::optional<Slot> next_done(std::size_t keep_outstanding) {
    std::unique_lock lock(mutex_);
    if (slots_.size() <= keep_outstanding) {
      if (failure_)
        std::rethrow_exception(failure_);
      return std::nullopt;
    }
    done_.wait(lock, [&] { return failure_ || slots_.front().done; });
    if (failure_)
      std::rethrow_exception(failure_);
    Slot slot = std::move(slots_.front());
    slots_.pop_front();
    if (taken_ > 0)  // else the slot needed no worker and none had reached it
      --taken_;
    return slot;
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      // Slots before taken_ are read or being read; the rest wait for a worker.
      work_.wait(lock, [&] { return stopping_ || failure_ || taken_ < slots_.size(); });
      if (stopping_ || failure_)
        return;
      Slot& slot = slots_[taken_++];
      if (slot.done)
        continue;
      lock.unlock();
      std::vector<model::Record> records;
      std::exception_ptr failure;
      try {
        source_.read_children_of(kind_, *slot.opportunity, records);
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      // The deque only grows at the back and loses read slots at the front: `slot` is intact.
      slot.records = std::move(records);
      slot.done = true;
      if (failure && !failure_)
        failure_ = failure;
      done_.notify_all();
      if (failure_)
        work_.notify_all();
    }
  }

  LeverSource& source_;
  const std::string kind_;
  std::mutex mutex_;
  std::condition_variable work_, done_;
  std::deque<Slot> slots_;
  std::size_t taken_ = 0;  // slots_[0, taken_) have been handed to a worker (or needed none)
  bool stopping_ = false;
  std::exception_ptr failure_;
  std::vector<std::thread> workers_;
};

// Every item of a per-opportunity list; Lever's "no resume" 404 counts as an empty list.
std::vector<json::value> LeverSource::child_list(const OpportunityRef& opportunity,
                                                 const std::string& child) {
  std::vector<json::value> all;
  std::string path = "/opportunities/" + opportunity.id + "/" + child;
  try {
    walk(path, {}, {}, "list " + child + " of opportunity " + opportunity.id,
         [&](json::array& items, const ListPosition&, const ListPosition&) {
           for (json::value& item : items)
             all.push_back(std::move(item));
         });
  } catch (const sdk::Error& error) {
    // Lever answers 404 instead of [] for an opportunity without a resume (docs/vendors/lever.md
    // §4); a profile-form list may be missing the same way (or the route, on a Lever-compatible
    // server without forms).
    if (error.status() != ATSM_NOT_FOUND || (child != "resumes" && child != "forms"))
      throw;
  }
  return all;
}

void LeverSource::read_children_of(const std::string& kind, const OpportunityRef& opportunity,
                                   std::vector<model::Record>& out) {
  if (kind == "file") {
    for (bool is_resume : {true, false})
      for (const json::value& item : child_list(opportunity, is_resume ? "resumes" : "files")) {
        if (!in_delta(item)) {
          ++skipped_;
          continue;
        }
        fetch_file(opportunity, item, is_resume, out);
      }
    read_offer_documents(opportunity, out);
    for (const json::object& answer : opportunity.application_files) {
      if (!in_delta(json::value(answer))) {
        ++skipped_;
        continue;
      }
      out.push_back(fetch_application_file(opportunity, answer));
    }
    return;
  }
  std::string child = kind == "note"        ? "notes"
                      : kind == "interview" ? "interviews"
                      : kind == "offer"     ? "offers"
                                            : "feedback";
  std::int64_t now = now_millis();
  std::vector<json::value> items = child_list(opportunity, child);
  if (kind == "offer")
    remember_offer_documents(opportunity.id, items);
  for (const json::value& item : items) {
    if (((kind == "note" || kind == "feedback") && is_soft_deleted(item)) || !in_delta(item)) {
      ++skipped_;
      continue;
    }
    if (kind == "note")
      out.push_back(map_note(item, opportunity));
    else if (kind == "feedback")
      out.push_back(map_feedback(item, opportunity));
    else if (kind == "interview")
      out.push_back(map_interview(item, opportunity, now));
    else
      out.push_back(map_offer(item, opportunity));
  }

  if (kind != "feedback" || !settings_.profile_forms)
    return;
  for (const json::value& item : child_list(opportunity, "forms")) {
    if (is_soft_deleted(item) || !in_delta(item)) {
      ++skipped_;
      continue;
    }
    out.push_back(map_profile_form(item, opportunity));
  }
}

// With delta_children=recent a delta run reads children only of opportunities whose
// updatedAt or lastInteractionAt moved since; otherwise (the default) it sweeps them all,
// because Lever does not move updatedAt for new notes, feedback, interviews, offers or files.
bool LeverSource::worth_sweeping(const json::value& opportunity) const {
  if (!settings_.since || !settings_.delta_children_recent || !opportunity.is_object())
    return true;
  for (const char* key : {"updatedAt", "lastInteractionAt"})
    if (const json::value* value = opportunity.as_object().if_contains(key))
      if (std::optional<std::int64_t> ms = parse_millis(*value); ms && *ms >= *settings_.since)
        return true;
  return false;
}

// Workers reading children: the configured number, else what the host's measured latency
// says Lever's limit needs (Little's law), else kDefaultChildWorkers until it has measured.
std::size_t LeverSource::child_workers() const {
  constexpr std::size_t kDefaultChildWorkers = 4;
  if (settings_.concurrency > 0)
    return static_cast<std::size_t>(settings_.concurrency);
  return host_.suggested_in_flight().value_or(kDefaultChildWorkers);
}

// Checkpoints: inside a window, the window and the last id done (windows are handled in id
// order); at a window's end, the next window. A resume asks the window again whole.
void LeverSource::read_children(const std::string& kind, const json::object& position,
                                sdk::Emitter& emitter) {
  if (kind == "file") {
    {
      std::lock_guard lock(owed_mutex_);
      // A resumed read still owes what the read it resumes could not fetch.
      owed_ = position.contains("retry") ? std::vector<OwedFile>{} : owed_from(position, "owed");
    }
    if (position.contains("retry")) {
      read_owed_files(owed_from(position, "retry"), emitter);
      return;
    }
    if (position.contains("refetch")) {
      read_owed_files(refetched_files(position), emitter);
      return;
    }
  }
  std::int64_t snapshot = snapshot_of(position);
  std::int64_t from = int_member(position, "from", 0);
  std::int64_t width = int_member(position, "width", 0);
  std::string done_through = string_member(position, "after").value_or("");
  std::int64_t done_window_end = int_member(position, "window_end", -1);
  if (!done_through.empty() && done_window_end >= from)
    width = done_window_end - from + 1;  // the same window as before the crash
  // A file read's checkpoints also carry what it still owes (files not fetched as declared).
  auto with_owed = [&](json::object out) {
    std::lock_guard lock(owed_mutex_);
    if (!owed_.empty())
      out["owed"] = owed_json(owed_);
    return kCheckpoints.write(out);
  };
  auto inside = [&](const Window& window, const std::string& last) {
    return with_owed(json::object{{"snapshot", snapshot},
                                  {"from", window.start},
                                  {"window_end", window.end},
                                  {"after", last}});
  };
  auto after = [&](const Window& window) {
    return with_owed(json::object{
        {"snapshot", snapshot}, {"from", window.end + 1}, {"width", window.next_width}});
  };
  ChildSweep sweep(*this, kind);
  std::vector<model::Record> buffer;
  // Completed opportunities leave the sweep in window and id order, so checkpoints stay exact.
  auto take_done = [&](std::size_t keep_outstanding) {
    while (std::optional<ChildSweep::Slot> slot = sweep.next_done(keep_outstanding)) {
      for (model::Record& record : slot->records)
        buffer.push_back(std::move(record));
      // The walk's very last opportunity is checkpointed by the final, empty one.
      bool ends_the_walk = slot->last_in_window && slot->window->last;
      if (slot->last_in_window && !slot->window->last) {
        emit(emitter, kind, buffer, after(*slot->window));
        buffer.clear();
      } else if (buffer.size() >= kBatchSize && !ends_the_walk) {
        emit(emitter, kind, buffer, inside(*slot->window, slot->id));
        buffer.clear();
      }
      host_.check_cancelled();
    }
  };
  Query query = opportunity_query();
  if (kind == "file")
    query.emplace_back("expand", "applications");  // their file-upload answers
  walk_windows(query, from, snapshot, width, "list /opportunities (" + kind + ")",
               [&](std::vector<json::value>& items, const Window& window) {
                 // Within the window a checkpoint was taken in, what it had done is skipped.
                 if (!done_through.empty() && window.end <= done_window_end)
                   std::erase_if(items, [&](const json::value& item) {
                     return item_id(item) <= done_through;
                   });
                 auto shared = std::make_shared<const Window>(window);
                 for (std::size_t i = 0; i < items.size(); ++i) {
                   const json::value& item = items[i];
                   std::optional<OpportunityRef> opportunity;
                   if (item.is_object() && !item_id(item).empty() && worth_sweeping(item))
                     opportunity = OpportunityRef{item_id(item), contact_id_of(item.as_object()),
                                                  application_files(item)};
                   sweep.add(shared, item_id(item), i + 1 == items.size(), std::move(opportunity));
                 }
                 sweep.staff(child_workers());
                 // The next window is fetched while the workers read this one's children: only what
                 // exceeds two pages' worth waits here.
                 take_done(2 * std::max<std::size_t>(items.size(), kBatchSize));
               });
  take_done(0);
  if (kind == "file")
    end_owing(emitter, buffer);
  else
    emit(emitter, kind, buffer, "");
  if (kind == "offer" && position.empty())
    offers_read_ = true;
}

}  // namespace atsm::lever
