#include "greenhouse_source.hpp"

namespace atsm::greenhouse {

namespace {

// How long a signed URL lives from now, when it says: S3 SigV4's X-Amz-Date (yyyymmddThhmmssZ)
// plus X-Amz-Expires (seconds), or the emulator's X-Amz-Expires-At (Unix milliseconds).
std::optional<std::chrono::milliseconds> signed_url_lifetime(const std::string& url) {
  auto param = [&](const std::string& name) -> std::optional<std::string> {
    for (char separator : {'?', '&'}) {
      std::size_t at = url.find(separator + name + "=");
      if (at == std::string::npos)
        continue;
      at += name.size() + 2;
      return url.substr(at, url.find('&', at) - at);
    }
    return std::nullopt;
  };
  auto number = [](const std::optional<std::string>& text) -> std::optional<std::int64_t> {
    if (!text || text->empty() || text->size() > 18 ||
        text->find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return std::stoll(*text);
  };
  std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  if (std::optional<std::int64_t> at = number(param("X-Amz-Expires-At")))
    return std::chrono::milliseconds(*at - now_ms);
  std::optional<std::int64_t> expires = number(param("X-Amz-Expires"));
  std::optional<std::string> date = param("X-Amz-Date");
  if (!expires || !date)
    return std::nullopt;
  std::optional<std::string> iso;
  if (date->size() == 16 && (*date)[8] == 'T' && (*date)[15] == 'Z')
    iso = date->substr(0, 4) + "-" + date->substr(4, 2) + "-" + date->substr(6, 2) + "T" +
          date->substr(9, 2) + ":" + date->substr(11, 2) + ":" + date->substr(13, 2) + "Z";
  std::optional<std::int64_t> signed_ms =
      iso ? model::timestamp_to_epoch_millis(*iso) : std::nullopt;
  if (!signed_ms)
    return std::nullopt;
  return std::chrono::milliseconds(*signed_ms + *expires * 1000 - now_ms);
}

// "<Code>AccessDenied</Code>...<Message>Request has expired</Message>" -> "AccessDenied:
// Request has expired": what an S3-style file host said, for a skipped file's reason.
std::string file_host_message(const std::string& body) {
  auto element = [&](const std::string& name) {
    std::size_t open = body.find("<" + name + ">");
    std::size_t close = body.find("</" + name + ">");
    if (open == std::string::npos || close == std::string::npos || close < open)
      return std::string();
    open += name.size() + 2;
    return body.substr(open, std::min<std::size_t>(close - open, 200));
  };
  std::string code = element("Code"), message = element("Message");
  return code + (code.empty() || message.empty() ? "" : ": ") + message;
}

}  // namespace

// candidate_id may be null (attachments.json): the application names the candidate (learnt
// in bulk while walking; one read for a file fetched later by id in a fresh run).
model::Record GreenhouseSource::attachment_record(const json::value& item,
                                                  const FetchedFile& fetched) {
  if (!member_id(item, "candidate_id"))
    learn_candidates(json::array{item});
  return map_attachment(item, fetched, candidate_of(item));
}

// A signed URL is used while it has more than half its life ahead; past that, the next
// attachments' URLs are read again (one call for up to 50) just before their downloads.
std::chrono::steady_clock::time_point GreenhouseSource::stale_after(
    const json::value& item, std::chrono::steady_clock::time_point read) {
  std::optional<std::chrono::milliseconds> lifetime;
  if (item.is_object())
    if (const json::value* url = item.as_object().if_contains("url"); url && url->is_string())
      lifetime = signed_url_lifetime(std::string(url->as_string()));
  if (!lifetime)
    return std::chrono::steady_clock::time_point::max();  // says nothing: used as it is
  return read + *lifetime / 2;
}

// Fresh signed URLs for the attachments of `items` from `start` (up to 50), written into the
// items with the time they go stale; marks them refreshed.
void GreenhouseSource::refresh_urls(json::array& items, std::size_t start,
                                    std::set<std::string>& refreshed,
                                    std::vector<std::chrono::steady_clock::time_point>& stale) {
  std::vector<std::string> ids;
  std::size_t end = start;
  for (; end < items.size() && ids.size() < kIdsPerQuery; ++end)
    if (std::string id = id_of(items[end]); !id.empty()) {
      refreshed.insert(id);
      ids.push_back(id);
    }
  std::map<std::string, json::value> fresh;
  for (json::value& row : client_.list_all("attachments", {{"ids", join(ids, 0, ids.size())}},
                                           "re-list /v3/attachments for fresh URLs"))
    fresh[id_of(row)] = std::move(row);
  auto read = std::chrono::steady_clock::now();
  for (std::size_t i = start; i < end; ++i) {
    auto it = fresh.find(id_of(items[i]));
    if (it != fresh.end() && items[i].is_object() && it->second.is_object())
      if (const json::value* url = it->second.as_object().if_contains("url")) {
        items[i].as_object()["url"] = *url;
        stale[i] = stale_after(items[i], read);
      }
  }
  // Listed a moment ago and not now: deleted in Greenhouse since (what the source says the
  // attachment is, so a skip).
  for (const std::string& id : ids)
    if (!fresh.count(id))
      vanished_.insert(id);
}

// Why the stored bytes cannot be the attachment (nullopt: they may be). Harvest v3 declares a
// filename but no size (sandbox/validator/greenhouse-v3/schemas/attachments.json), so the check is
// the answer's Content-Type and, for files small enough for an error page to hide in, the first
// bytes.
std::optional<std::string> GreenhouseSource::download_mismatch(const json::value& item,
                                                               const Download& download) {
  constexpr std::uint64_t kSniffedUpTo = 1 << 20;
  model::DeclaredFile declared;
  if (item.is_object())
    if (const json::value* name = item.as_object().if_contains("filename");
        name && name->is_string())
      declared.file_name = std::string(name->as_string());
  std::optional<std::string> bytes;
  if (download.size <= kSniffedUpTo)
    bytes = host_.blob_get(download.sha256);
  std::string_view head = bytes ? std::string_view(*bytes).substr(0, 512) : std::string_view();
  return model::download_mismatch(declared, {download.size, download.content_type, head});
}

// One download of the item's URL, now. A condition that may pass (an expired URL, a storage
// 403 or 5xx, a timeout) comes back as `failure`, with the file host's answer.
FetchedFile GreenhouseSource::fetch_now(const json::value& item) {
  FetchedFile out;
  std::optional<std::string> url;
  if (item.is_object())
    if (const json::value* value = item.as_object().if_contains("url");
        value && value->is_string() && !value->as_string().empty())
      url = std::string(value->as_string());
  if (!url) {
    out.failure = "the attachment has no URL";
    return out;
  }
  try {
    Download download = client_.download(*url, "download of attachment " + id_of(item));
    if (!download.sha256.empty()) {
      // An HTML page answered 200 (a login wall, an expired-link page) is not the attachment:
      // a failure for now, asked again with a fresh URL like any other.
      if (std::optional<std::string> mismatch = download_mismatch(item, download)) {
        out.failure = *mismatch;
        return out;
      }
      out.sha256 = download.sha256;
      out.size = static_cast<std::int64_t>(download.size);
      out.content_type = download.content_type;
      return out;
    }
    out.failure = "the file URL answered HTTP " + std::to_string(download.status);
    if (std::string said = file_host_message(download.error_body); !said.empty())
      *out.failure += " (" + said + ")";
  } catch (const sdk::Error& error) {
    if (error.status() != ATSM_RETRY && error.status() != ATSM_RATE_LIMITED)
      throw;
    out.failure = error.what();
  }
  return out;
}

// Listed a moment ago and not now: deleted in Greenhouse since. That is what the source says
// the attachment is, so a skip, not a failure.
FetchedFile GreenhouseSource::deleted_meanwhile() {
  FetchedFile gone;
  gone.skipped_reason = "deleted in Greenhouse while it was being read (no longer listed)";
  return gone;
}

void GreenhouseSource::note_unfetched(const std::string& id, const std::string& failure) {
  host_.log(ATSM_LOG_WARN, source_key("attachment", id) + " not fetched yet (" + failure +
                               "); it is tried again with a fresh URL");
}

namespace {

std::string url_of(const json::value& item) {
  if (item.is_object())
    if (const json::value* url = item.as_object().if_contains("url"); url && url->is_string())
      return std::string(url->as_string());
  return {};
}

}  // namespace

// One attachment of a page as its download left it: the item (with the URL it was fetched
// through), the outcome, and whether Greenhouse no longer lists it.
struct GreenhouseSource::PageDownload {
  bool done = false;
  bool vanished = false;
  json::value item;
  FetchedFile fetched;
};

// Downloads the page's attachments, settings_.downloads_in_flight at a time, and hands each
// outcome to `take` in the page's order (a checkpoint inside a page names the last id done, so
// what is emitted is always a prefix of the page). The signed URLs point at the file host, not
// the API: one download at a time left a large account's files arriving slower than the sink
// could write them. A page's URLs serve while they are fresh, then each run of 50 is read again
// right before its downloads, in the page's order; `refreshed`, `stale`, `items` and vanished_
// are shared by the downloads under one lock.
void GreenhouseSource::download_page(json::array& items, std::set<std::string>& refreshed,
                                     std::vector<std::chrono::steady_clock::time_point>& stale,
                                     const std::function<void(std::size_t, PageDownload&)>& take) {
  std::vector<std::string> ids;
  ids.reserve(items.size());
  for (const json::value& item : items)
    ids.push_back(id_of(item));
  std::vector<PageDownload> outcomes(items.size());
  std::mutex mutex;
  std::condition_variable settled;
  std::size_t next = 0;
  std::set<std::size_t> downloading;  // handed out and not settled
  bool stopping = false;
  std::exception_ptr failure;

  auto download = [&](std::size_t i, PageDownload& out) {
    out.fetched = fetch_now(out.item);
    if (!out.fetched.failure)
      return;
    // A URL refused early: this one and the next ones' are read again at once (an expired URL
    // says its neighbours expired too), from the first download under way that is not read
    // again yet, so downloads failing together share one read; then one more try. A URL
    // another download refreshed meanwhile gets that one try too.
    bool again = false;
    {
      std::lock_guard lock(mutex);
      if (!refreshed.count(ids[i])) {
        std::size_t from = i;
        for (std::size_t other : downloading)
          if (!refreshed.count(ids[other])) {
            from = std::min(from, other);
            break;  // the set is ordered: the first one is the lowest
          }
        refresh_urls(items, from, refreshed, stale);
        again = true;
      } else {
        again = url_of(items[i]) != url_of(out.item);
      }
      out.vanished = vanished_.count(ids[i]) > 0;
      out.item = items[i];
    }
    if (again && !out.vanished)
      out.fetched = fetch_now(out.item);
  };
  auto work = [&] {
    for (;;) {
      PageDownload out;
      std::size_t i = 0;
      try {
        {
          std::lock_guard lock(mutex);
          if (stopping || next >= items.size())
            return;
          i = next++;
          downloading.insert(i);
          if (std::chrono::steady_clock::now() >= stale[i])
            refresh_urls(items, i, refreshed, stale);
          out.vanished = vanished_.count(ids[i]) > 0;
          out.item = items[i];
        }
        if (!out.vanished)
          download(i, out);
      } catch (...) {
        std::lock_guard lock(mutex);
        downloading.erase(i);
        if (!failure)
          failure = std::current_exception();
        stopping = true;
        settled.notify_all();
        return;
      }
      std::lock_guard lock(mutex);
      downloading.erase(i);
      out.done = true;
      outcomes[i] = std::move(out);
      settled.notify_all();
    }
  };

  std::vector<std::thread> workers;
  auto stop = [&] {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    for (std::thread& worker : workers)
      worker.join();
    workers.clear();
  };
  try {
    for (std::size_t w = 0; w < std::min(settings_.downloads_in_flight, items.size()); ++w)
      workers.emplace_back(work);
    for (std::size_t i = 0; i < items.size(); ++i) {
      PageDownload out;
      {
        std::unique_lock lock(mutex);
        settled.wait(lock, [&] { return outcomes[i].done || failure != nullptr; });
        if (!outcomes[i].done)
          std::rethrow_exception(failure);
        out = std::move(outcomes[i]);
      }
      take(i, out);
    }
  } catch (...) {
    stop();
    throw;
  }
  stop();
}

void GreenhouseSource::read_attachments(const Position& from, sdk::Emitter& emitter) {
  std::vector<std::string> owed = from.owed;  // failed for now: fetched again at the end
  std::map<std::string, json::value> owed_items;
  if (!from.retry_only)
    walk("attachments", delta(), from, "list /v3/attachments",
         [&](json::array& items, const std::optional<std::string>& page,
             const std::optional<std::string>& next) {
           auto listed = std::chrono::steady_clock::now();
           std::vector<std::chrono::steady_clock::time_point> stale(items.size());
           for (std::size_t i = 0; i < items.size(); ++i)
             stale[i] = stale_after(items[i], listed);
           std::set<std::string> refreshed;
           std::vector<model::Record> batch;
           // candidate_id may be null (attachments.json): the application names the candidate.
           json::array without_candidate;
           for (const json::value& item : items)
             if (!member_id(item, "candidate_id"))
               without_candidate.push_back(item);
           learn_candidates(without_candidate);
           download_page(items, refreshed, stale, [&](std::size_t i, PageDownload& out) {
             std::string id = id_of(out.item);
             if (out.vanished) {
               ++skipped_;
               batch.push_back(attachment_record(out.item, deleted_meanwhile()));
             } else if (out.fetched.failure) {
               note_unfetched(id, *out.fetched.failure);
               owed.push_back(id);
               owed_items[id] = out.item;
             } else {
               batch.push_back(attachment_record(out.item, out.fetched));
             }
             // Checkpoints inside the page: a kill loses at most one batch of downloads.
             if (batch.size() >= kFilesPerBatch && i + 1 < items.size() &&
                 numeric_id(out.item) != 0) {
               emit(emitter, "file", batch, checkpoint_text(page, numeric_id(out.item), owed));
               batch.clear();
             }
             host_.check_cancelled();
           });
           std::int64_t last = last_id_of(items, from.last_id);
           emit(emitter, "file", batch,
                next ? checkpoint_text(next, last, owed) : retry_checkpoint(owed));
         });
  if (!owed.empty())
    fetch_owed(owed, owed_items, emitter);
}

// The attachments not fetched yet, each read again by id for a fresh URL and downloaded at
// once, in rounds with growing pauses. What still fails is emitted with `fetch_failure` (the
// host reports it as failed, not skipped) and the read ends ATSM_RETRY at a checkpoint that
// names exactly those, so the next run fetches them and nothing else.
void GreenhouseSource::fetch_owed(std::vector<std::string> owed,
                                  std::map<std::string, json::value>& items,
                                  sdk::Emitter& emitter) {
  constexpr int kRounds = 3;
  std::map<std::string, std::string> failures;
  for (int round = 0; round < kRounds && !owed.empty(); ++round) {
    if (round > 0)
      kit::pause(host_, std::chrono::milliseconds(500 << (round - 1)));
    std::vector<std::string> still;
    std::vector<model::Record> fetched_now;
    for (const std::string& id : owed) {
      host_.check_cancelled();
      std::optional<json::value> item;
      try {
        for (json::value& row : client_.list_all("attachments", {{"ids", id}},
                                                 "re-list /v3/attachments for a fresh URL"))
          if (id_of(row) == id)
            item = std::move(row);
      } catch (const sdk::Error& error) {
        if (error.status() != ATSM_RETRY && error.status() != ATSM_RATE_LIMITED)
          throw;
        failures[id] = std::string("its fresh URL could not be read: ") + error.what();
        still.push_back(id);
        continue;
      }
      if (!item) {
        // Deleted in Greenhouse since it was listed: what the source says it is, a skip.
        ++skipped_;
        if (auto known = items.find(id); known != items.end())
          fetched_now.push_back(attachment_record(known->second, deleted_meanwhile()));
        continue;
      }
      items[id] = *item;
      FetchedFile fetched = fetch_now(*item);
      if (fetched.failure) {
        failures[id] = *fetched.failure;
        still.push_back(id);
      } else {
        fetched_now.push_back(attachment_record(*item, fetched));
      }
    }
    owed = std::move(still);
    if (!fetched_now.empty())
      emit(emitter, "file", fetched_now, retry_checkpoint(owed));
  }
  if (owed.empty())
    return;
  std::vector<model::Record> failed;
  std::string listed;
  for (const std::string& id : owed) {
    if (!items.count(id))
      continue;  // never listed in this read (a resumed one): its checkpoint still names it
    FetchedFile fetched;
    fetched.failure =
        failures[id] + " (tried " + std::to_string(kRounds) + " times, each with a fresh URL)";
    failed.push_back(attachment_record(items[id], fetched));
    if (listed.size() < 600)
      listed += (listed.empty() ? "" : "; ") + source_key("attachment", id) + ": " + failures[id];
  }
  failed_ += owed.size();
  emit(emitter, "file", failed, retry_checkpoint(owed));
  throw sdk::Error(ATSM_RETRY, std::to_string(owed.size()) +
                                   " Greenhouse attachment(s) could not be downloaded now (" +
                                   listed + "); a re-run fetches exactly them");
}

}  // namespace atsm::greenhouse
