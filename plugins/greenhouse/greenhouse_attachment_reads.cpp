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

void GreenhouseSource::read_attachments(const Position& from, sdk::Emitter& emitter) {
  std::vector<std::string> owed = from.owed;  // failed for now: fetched again at the end
  std::map<std::string, json::value> owed_items;
  if (!from.retry_only)
    walk("attachments", delta(), from, "list /v3/attachments",
         [&](json::array& items, const std::optional<std::string>& page,
             const std::optional<std::string>& next) {
           // Read the URL, then download, file by file: the page's URLs serve while they are
           // fresh, then each run of 50 is read again right before its downloads.
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
           for (std::size_t i = 0; i < items.size(); ++i) {
             std::string id = id_of(items[i]);
             if (std::chrono::steady_clock::now() >= stale[i])
               refresh_urls(items, i, refreshed, stale);
             FetchedFile fetched;
             if (!vanished_.count(id)) {
               fetched = fetch_now(items[i]);
               // A URL refused early: this one and the next ones' are read again at once (an
               // expired URL says its neighbours expired too), then one more try.
               if (fetched.failure && !refreshed.count(id)) {
                 refresh_urls(items, i, refreshed, stale);
                 if (!vanished_.count(id))
                   fetched = fetch_now(items[i]);
               }
             }
             if (vanished_.count(id)) {
               ++skipped_;
               batch.push_back(attachment_record(items[i], deleted_meanwhile()));
             } else if (fetched.failure) {
               note_unfetched(id, *fetched.failure);
               owed.push_back(id);
               owed_items[id] = items[i];
             } else {
               batch.push_back(attachment_record(items[i], fetched));
             }
             // Checkpoints inside the page: a kill loses at most one batch of downloads.
             if (batch.size() >= kFilesPerBatch && i + 1 < items.size() &&
                 numeric_id(items[i]) != 0) {
               emit(emitter, "file", batch, checkpoint_text(page, numeric_id(items[i]), owed));
               batch.clear();
             }
             host_.check_cancelled();
           }
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
