// The Lever source connector: reads a Lever account through the Data API and emits canonical
// records kind by kind, with checkpoints that resume a crashed read after its last batch.
// Plan of calls (README.md): reference lists once each; opportunities listed with expand instead
// of per-record calls; one list call per opportunity per child kind; one download per file.
#include <atsmigrate/connector.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "lever_client.hpp"
#include "lever_mapping.hpp"
#include "model/codec.hpp"
#include "model/download_check.hpp"
#include "model/time.hpp"

namespace atsm::lever {
namespace {
namespace json = boost::json;

// Records per emitted batch for kinds that are not emitted page by page.
constexpr std::size_t kBatchSize = 100;
// Contact ids per `contact_id=` query when a delta run re-reads the touched persons.
constexpr std::size_t kContactsPerQuery = 50;

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Settings {
  ClientSettings client;
  std::optional<std::int64_t> since;
  bool include_confidential = true;
  double rate_scale = 1.0;
  bool delta_children_recent = false;
  bool profile_forms = true;
  int concurrency = 0;  // 0: sized from the measured latency
};

std::string require_string(const json::value& value, const std::string& key) {
  if (!value.is_string())
    throw sdk::Error(ATSM_INVALID, "lever config key '" + key + "' must be a string");
  return std::string(value.as_string());
}

std::string require_choice(const json::value& value, const std::string& key,
                           std::initializer_list<const char*> choices) {
  std::string text = require_string(value, key);
  std::string allowed;
  for (const char* choice : choices) {
    if (text == choice)
      return text;
    allowed += (allowed.empty() ? "" : ", ") + std::string("\"") + choice + "\"";
  }
  throw sdk::Error(ATSM_INVALID,
                   "lever config key '" + key + "' is \"" + text + "\"; expected " + allowed);
}

Settings parse_settings(std::string_view config_json) {
  boost::system::error_code error;
  json::value config = json::parse(config_json, error);
  if (error || !config.is_object())
    throw sdk::Error(ATSM_INVALID, "lever config is not a JSON object");
  Settings settings;
  std::vector<std::string> unknown;
  for (const auto& [key_view, value] : config.as_object()) {
    std::string key(key_view);
    if (key == "base_url") {
      settings.client.base_url = require_string(value, key);
      if (settings.client.base_url.rfind("http://", 0) != 0 &&
          settings.client.base_url.rfind("https://", 0) != 0)
        throw sdk::Error(ATSM_INVALID, "lever config key 'base_url' must be an http(s) URL");
    } else if (key == "page_size") {
      std::optional<std::int64_t> size = parse_millis(value);
      if (!size || value.is_string() || *size < 1 || *size > 100)
        throw sdk::Error(ATSM_INVALID,
                         "lever config key 'page_size' must be an integer from 1 to 100");
      settings.client.page_size = static_cast<int>(*size);
    } else if (key == "since") {
      std::string text = require_string(value, key);
      settings.since = model::timestamp_to_epoch_millis(text);
      if (!settings.since || *settings.since < 0)
        throw sdk::Error(ATSM_INVALID, "lever config key 'since' is \"" + text +
                                           "\"; expected an ISO 8601 date-time with an offset, "
                                           "e.g. 2024-05-01T00:00:00Z");
    } else if (key == "confidential") {
      settings.include_confidential = require_choice(value, key, {"include", "skip"}) == "include";
    } else if (key == "rate_scale") {
      if (!value.is_number() || !(value.to_number<double>() > 0))
        throw sdk::Error(ATSM_INVALID, "lever config key 'rate_scale' must be a positive number");
      settings.rate_scale = value.to_number<double>();
    } else if (key == "auth") {
      settings.client.auth = require_choice(value, key, {"api_key", "oauth"}) == "oauth"
                                 ? AuthMode::oauth
                                 : AuthMode::api_key;
    } else if (key == "oauth_token_url") {
      settings.client.oauth_token_url = require_string(value, key);
    } else if (key == "delta_children") {
      settings.delta_children_recent = require_choice(value, key, {"sweep", "recent"}) == "recent";
    } else if (key == "concurrency") {
      std::optional<std::int64_t> width = parse_millis(value);
      if (!width || value.is_string() || *width < 0 || *width > 32)
        throw sdk::Error(ATSM_INVALID,
                         "lever config key 'concurrency' must be an integer from 0 to 32");
      settings.concurrency = static_cast<int>(*width);
    } else if (key == "profile_forms") {
      settings.profile_forms = require_choice(value, key, {"include", "skip"}) == "include";
    } else {
      unknown.push_back(key);
    }
  }
  if (!unknown.empty()) {
    std::string names;
    for (const std::string& name : unknown)
      names += (names.empty() ? "" : ", ") + name;
    throw sdk::Error(ATSM_INVALID, "unknown lever config key(s): " + names);
  }
  return settings;
}

json::object parse_checkpoint(const std::string& kind, const std::string& checkpoint) {
  if (checkpoint.empty())
    return {};
  boost::system::error_code error;
  json::value value = json::parse(checkpoint, error);
  if (error || !value.is_object())
    throw sdk::Error(ATSM_INVALID, "lever checkpoint for " + kind + " is not a JSON object");
  return std::move(value.as_object());
}

std::optional<std::string> string_member(const json::object& object, const char* key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string())
    return std::nullopt;
  return std::string(value->as_string());
}

std::int64_t int_member(const json::object& object, const char* key, std::int64_t fallback) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr)
    return fallback;
  return parse_millis(*value).value_or(fallback);
}

// The identity of a list item: its id, or its text for /sources and /tags.
std::string item_id(const json::value& item) {
  if (!item.is_object())
    return {};
  for (const char* key : {"id", "text"})
    if (const json::value* value = item.as_object().if_contains(key); value && value->is_string())
      return std::string(value->as_string());
  return {};
}

// Where a list walk stands: the token of the page to fetch (none = first page) and the id of
// the last item already handled (to skip through after a restart).
struct ListPosition {
  std::optional<std::string> offset;
  std::string last_id;
};

class LeverSource : public sdk::Source {
 public:
  LeverSource(sdk::Host host, std::string_view config_json)
      : host_(host), settings_(parse_settings(config_json)), client_(host, settings_.client) {
    // Lever: 10 requests/s per key with bursts of 20 (reference §3); rate_scale speeds up the
    // steady rate for the sandbox, whose bucket also keeps a capacity of 20. Requests are paced
    // with a burst of 2 of their own, enough for a worker that wakes late to make its slot up
    // instead of losing it (a pace without a burst loses every late wake-up): the server's other 18
    // tokens absorb requests that meet on arrival after different latencies (1.8 s of spread at
    // 10/s), instead of 429s.
    host_.declare_token_bucket(kBucket, 10.0 * settings_.rate_scale, 2);
  }

  void read(const std::string& kind, const std::string& checkpoint,
            sdk::Emitter& emitter) override {
    check_confidential_access();
    json::object position = parse_checkpoint(kind, checkpoint);
    records_ = invalid_ = 0;
    skipped_ = 0;
    if (kind == "user")
      read_list(kind, "/users", {{"includeDeactivated", "true"}}, position, emitter,
                [](const json::value& item, std::int64_t) { return map_user(item); });
    else if (kind == "stage")
      read_list(kind, "/stages", {}, position, emitter, &map_stage);
    else if (kind == "archive_reason")
      read_archive_reasons(position, emitter);
    else if (kind == "source")
      read_list(kind, "/sources", {}, position, emitter,
                [](const json::value& item, std::int64_t) { return map_source(item); });
    else if (kind == "tag")
      read_list(kind, "/tags", {}, position, emitter,
                [](const json::value& item, std::int64_t) { return map_tag(item); });
    else if (kind == "job")
      read_jobs(position, emitter);
    else if (kind == "department" || kind == "office")
      read_categories(kind, emitter);
    else if (kind == "person")
      read_persons(position, emitter);
    else if (kind == "candidacy")
      read_candidacies(position, emitter);
    else if (kind == "note" || kind == "feedback" || kind == "interview" || kind == "offer" ||
             kind == "file")
      read_children(kind, position, emitter);
    else
      throw sdk::Error(ATSM_INVALID, "the lever connector has no kind '" + kind + "'");
    host_.log(ATSM_LOG_INFO, "read " + kind + ": " + std::to_string(records_) + " records, " +
                                 std::to_string(invalid_) + " with validation errors, " +
                                 std::to_string(skipped_) +
                                 " skipped (soft-deleted or outside the delta); Lever calls so "
                                 "far: " +
                                 client_.calls_summary());
  }

 private:
  std::string confidentiality() const {
    return settings_.include_confidential && confidential_access_ ? "all" : "non-confidential";
  }

  // Lever leaves confidential records out of lists unless asked, and a key without confidential
  // access cannot ask: say so loudly once, before anything is read, instead of migrating less in
  // silence.
  void check_confidential_access() {
    if (confidential_checked_)
      return;
    confidential_checked_ = true;
    if (!settings_.include_confidential) {
      host_.log(ATSM_LOG_WARN,
                "confidential postings and opportunities are skipped (config confidential=skip)");
      return;
    }
    try {
      client_.get("/postings", {{"confidentiality", "all"}, {"limit", "1"}},
                  "confidential access check (GET /postings?confidentiality=all)");
    } catch (const sdk::Error& error) {
      if (error.http_status() != 403)
        throw;
      confidential_access_ = false;
      host_.log(ATSM_LOG_WARN,
                "THE LEVER API KEY HAS NO CONFIDENTIAL ACCESS: confidential postings and "
                "opportunities will NOT be migrated. Create a key with confidential access "
                "(it cannot be added later) or set confidential=skip to accept this. (" +
                    std::string(error.what()) + ")");
    }
  }

  void count(const std::vector<model::Record>& records) {
    records_ += records.size();
    for (const model::Record& record : records)
      if (validation_error_count(record) > 0)
        ++invalid_;
  }

  void emit(sdk::Emitter& emitter, const std::string& kind,
            const std::vector<model::Record>& records, const std::string& checkpoint) {
    count(records);
    emitter.emit(kind, model::serialize_records(records), checkpoint);
    host_.progress(kind, records_, 0);
  }

  // Walks a paged list from `from`, calling on_page(items, before, after) per page; `after` has
  // no offset on the last page. When Lever rejects a token (stale, or issued for another sort)
  // the walk starts the list over: items this walk already handled are dropped by id, the rest
  // are handed on again (a resumed walk re-emits what it read before its crash, which staging
  // takes as the same records). Nothing is dropped on the word of an anchor that may have moved
  // or been deleted meanwhile.
  void walk(
      const std::string& path, const Query& query, ListPosition from, const std::string& what,
      const std::function<void(json::array&, const ListPosition&, const ListPosition&)>& on_page) {
    constexpr int kRestarts = 5;
    std::set<std::string> handled;
    int restarts = 0;
    bool restarted = false;
    ListPosition before = from;
    for (;;) {
      Page page;
      try {
        page = client_.page(path, query, before.offset, what);
      } catch (const InvalidOffsetToken& error) {
        if (!before.offset || ++restarts > kRestarts)
          throw;
        host_.log(ATSM_LOG_WARN, std::string(error.what()) + "; restarting the list");
        before.offset.reset();
        restarted = true;
        continue;
      }
      if (restarted) {
        json::array fresh;
        for (json::value& item : page.data)
          if (std::string id = item_id(item); id.empty() || !handled.count(id))
            fresh.push_back(std::move(item));
        page.data = std::move(fresh);
      }
      for (const json::value& item : page.data)
        handled.insert(item_id(item));
      ListPosition after{page.next, page.data.empty() ? before.last_id : item_id(page.data.back())};
      on_page(page.data, before, after);
      if (!page.next)
        return;
      before = after;
      host_.check_cancelled();
    }
  }

  static std::string list_checkpoint(const ListPosition& after, std::int64_t count) {
    if (!after.offset)
      return "";
    return json::serialize(
        json::object{{"offset", *after.offset}, {"last", after.last_id}, {"count", count}});
  }

  // A reference list, one batch per page.
  void read_list(const std::string& kind, const std::string& path, const Query& query,
                 const json::object& position, sdk::Emitter& emitter,
                 const std::function<model::Record(const json::value&, std::int64_t)>& map) {
    ListPosition from{string_member(position, "offset"),
                      string_member(position, "last").value_or("")};
    std::int64_t count = int_member(position, "count", 0);
    walk(path, query, from, "list " + path,
         [&](json::array& items, const ListPosition&, const ListPosition& after) {
           std::vector<model::Record> records;
           for (const json::value& item : items)
             records.push_back(map(item, count++));
           emit(emitter, kind, records, list_checkpoint(after, count));
         });
  }

  const std::vector<json::value>& postings() {
    if (!postings_) {
      std::vector<json::value> all;
      std::set<std::string> seen;
      auto collect = [&](json::array& items, const ListPosition&, const ListPosition&) {
        for (json::value& item : items)
          if (seen.insert(item_id(item)).second)
            all.push_back(std::move(item));
      };
      walk("/postings", {{"confidentiality", confidentiality()}}, {}, "list /postings", collect);
      // Published postings that are internal-only are listed only when asked by channel
      // (lever_docs_examples.json "postings_list_note"): one more list so every posting is read.
      walk("/postings",
           {{"confidentiality", confidentiality()},
            {"state", "published"},
            {"distributionChannel", "internal"}},
           {}, "list internal /postings", collect);
      postings_ = std::move(all);
    }
    return *postings_;
  }

  // Jobs: the postings this instance already listed for departments and offices (no second
  // walk), else the two lists.
  void read_jobs(const json::object& position, sdk::Emitter& emitter) {
    // Postings are few: always the two lists postings() reads (public and internal-only), in
    // one batch, so a resumed read cannot miss the internal-only ones.
    (void)position;
    std::vector<model::Record> records;
    for (const json::value& posting : postings())
      records.push_back(map_posting(posting));
    emit(emitter, "job", records, "");
  }

  // Archive reasons, remembered (id -> hired) for the candidacy statuses when read from the start.
  void read_archive_reasons(const json::object& position, sdk::Emitter& emitter) {
    HiredReasons seen;
    read_list("archive_reason", "/archive_reasons", {}, position, emitter,
              [&](const json::value& item, std::int64_t) {
                model::Record record = map_archive_reason(item);
                if (const auto* reason = std::get_if<model::ArchiveReason>(&record))
                  seen[item_id(item)] = reason->type == model::ArchiveReasonType::hired;
                return record;
              });
    if (position.empty())
      hired_reasons_ = std::move(seen);
  }

  // Departments and offices exist only as posting categories: small, emitted in one batch.
  void read_categories(const std::string& kind, sdk::Emitter& emitter) {
    std::vector<model::Record> records = kind == "department"
                                             ? departments_from_postings(postings())
                                             : offices_from_postings(postings());
    for (std::size_t start = 0; start < records.size() || start == 0; start += kBatchSize) {
      std::size_t end = std::min(records.size(), start + kBatchSize);
      std::vector<model::Record> batch(records.begin() + static_cast<std::ptrdiff_t>(start),
                                       records.begin() + static_cast<std::ptrdiff_t>(end));
      // Re-deriving is cheap (postings are few), so the kind completes or starts over.
      emit(emitter, kind, batch, "");
      if (end >= records.size())
        break;
    }
  }

  // The instant this read's view of the account is pinned to: opportunities created later are
  // left to the next (delta) run, so a resumed read walks exactly the same lists.
  // One instant per instance, so persons, candidacies and their children agree on which
  // opportunities exist; a resumed read keeps the instant its checkpoint names.
  std::int64_t snapshot_of(const json::object& position) const {
    return int_member(position, "snapshot", snapshot_);
  }

  Query opportunity_query() const { return {{"confidentiality", confidentiality()}}; }

  // ---- opportunities, window by window ----------------------------------------------------------
  //
  // GET /opportunities is ordered by stage rank, then lastAdvancedAt, then id (issue 16 §1;
  // lever.md header), all of which move while recruiters work: a page token skips an opportunity
  // moved to an earlier stage during the walk, and a walk restarted after a stale token cannot
  // tell where it was. So opportunities are read in windows of creation time (createdAt never
  // changes; created_at_start/_end are documented and inclusive, lever.md §5.1), each narrow
  // enough that Lever answers it whole in one response (hasNext false). One response is one
  // instant of the account: nothing moved can hide from it, and no token is ever kept.
  // Widths follow the density seen so far; a window answered with hasNext is asked again a
  // quarter as wide. The windows cover [from, until] without gap or overlap, so each
  // opportunity is read exactly once per walk.

  struct Window {
    std::int64_t start = 0, end = 0;  // createdAt, inclusive
    std::int64_t next_width = 0;      // the width to try after it
    bool last = false;                // it ends the walk
  };

  void walk_windows(
      const Query& query, std::int64_t from, std::int64_t until, std::int64_t width,
      const std::string& what,
      const std::function<void(std::vector<json::value>&, const Window&)>& on_window) {
    // Aim below a full page, so a window grown from a sparse one rarely overflows.
    const double target = std::max(1.0, 0.7 * settings_.client.page_size);
    std::int64_t start = std::max<std::int64_t>(from, 0);
    if (width <= 0)
      width = until - start + 1;  // first try: everything at once (a small account: one call)
    while (start <= until) {
      std::int64_t end = width > until - start ? until : start + width - 1;
      Query windowed = query;
      windowed.emplace_back("created_at_start", std::to_string(start));
      windowed.emplace_back("created_at_end", std::to_string(end));
      Page page = client_.page("/opportunities", windowed, std::nullopt, what);
      std::vector<json::value> items;
      if (page.next && end > start) {
        width = std::max<std::int64_t>(1, (end - start + 1) / 4);
        continue;
      }
      if (page.next)
        items = walk_millisecond(windowed, start, what);
      else
        items.assign(std::make_move_iterator(page.data.begin()),
                     std::make_move_iterator(page.data.end()));
      // Handled in id order: stable whatever moves, so a checkpoint can name the last one done.
      std::sort(items.begin(), items.end(),
                [](const json::value& a, const json::value& b) { return item_id(a) < item_id(b); });
      double factor =
          items.empty() ? 4.0 : std::clamp(target / static_cast<double>(items.size()), 0.25, 4.0);
      Window window{start, end,
                    std::max<std::int64_t>(1, static_cast<std::int64_t>(
                                                  static_cast<double>(end - start + 1) * factor)),
                    end >= until};
      on_window(items, window);
      if (window.last)
        return;
      start = end + 1;
      width = window.next_width;
      host_.check_cancelled();
    }
  }

  // More than a page of opportunities created in one millisecond (a bulk import): no narrower
  // window exists, so that millisecond is paged, and paged again until a whole walk brings no
  // opportunity the earlier ones had not (one moved during every walk could still hide: said).
  std::vector<json::value> walk_millisecond(const Query& query, std::int64_t at,
                                            const std::string& what) {
    constexpr int kMaxWalks = 5;
    std::map<std::string, json::value> seen;
    for (int pass = 0; pass < kMaxWalks; ++pass) {
      bool found_new = false;
      walk("/opportunities", query, {}, what,
           [&](json::array& items, const ListPosition&, const ListPosition&) {
             for (json::value& item : items)
               found_new = seen.emplace(item_id(item), std::move(item)).second || found_new;
           });
      if (pass > 0 && !found_new)
        break;
    }
    host_.log(ATSM_LOG_WARN,
              std::to_string(seen.size()) +
                  " opportunities were created in the same millisecond (" + std::to_string(at) +
                  "), more than one page: they were paged until a walk found nothing new; one "
                  "moved to an earlier stage during every such walk would be missed");
    std::vector<json::value> items;
    for (auto& [id, item] : seen)
      items.push_back(std::move(item));
    return items;
  }

  // What a read covers: every opportunity, or for a delta those created, updated, moved to
  // another stage or archived since. updatedAt alone would miss most: it is null on most real
  // opportunities and a stage move leaves it (issue 16 §1, §4); the four filters are documented
  // (lever.md §5.1) and Lever ANDs filters, so each is a walk of its own, deduplicated by id.
  struct ReadPhase {
    Query filter;
    std::int64_t created_from = 0;
  };

  std::vector<ReadPhase> read_phases() const {
    if (!settings_.since)
      return {ReadPhase{}};
    std::string since = std::to_string(*settings_.since);
    return {ReadPhase{{}, *settings_.since}, ReadPhase{{{"updated_at_start", since}}, 0},
            ReadPhase{{{"advanced_at_start", since}}, 0},
            ReadPhase{{{"archived_at_start", since}}, 0}};
  }

  const HiredReasons& hired_reasons() {
    if (!hired_reasons_) {
      HiredReasons reasons;
      walk("/archive_reasons", {}, {}, "list /archive_reasons",
           [&](json::array& items, const ListPosition&, const ListPosition&) {
             for (const json::value& item : items) {
               if (!item.is_object())
                 continue;
               std::string id = item_id(item);
               const json::value* type = item.as_object().if_contains("type");
               reasons[id] = type && type->is_string() && type->as_string() == "hired";
             }
           });
      hired_reasons_ = std::move(reasons);
    }
    return *hired_reasons_;
  }

  // Stages that hold leads, typed by id and title (is_lead_stage): one /stages list per instance.
  const std::set<std::string>& lead_stages() {
    if (!lead_stages_) {
      std::set<std::string> leads;
      walk("/stages", {}, {}, "list /stages",
           [&](json::array& items, const ListPosition&, const ListPosition&) {
             for (const json::value& item : items) {
               const json::value* text =
                   item.is_object() ? item.as_object().if_contains("text") : nullptr;
               std::string title = text && text->is_string() ? std::string(text->as_string()) : "";
               if (is_lead_stage(item_id(item), title))
                 leads.insert(item_id(item));
             }
           });
      lead_stages_ = std::move(leads);
    }
    return *lead_stages_;
  }

  // ---- persons ----------------------------------------------------------------------------------

  void read_persons(const json::object& position, sdk::Emitter& emitter) {
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
    std::vector<std::string> pending;  // contacts still to emit, in id order
    for (const auto& [id, aggregate_of] : contacts)
      if (after_contact.empty() || id > after_contact)
        pending.push_back(id);
    for (std::size_t start = 0; start < pending.size() || start == 0; start += kBatchSize) {
      std::size_t end = std::min(pending.size(), start + kBatchSize);
      add_resumes(contacts, pending, start, end);
      std::vector<model::Record> batch;
      for (std::size_t i = start; i < end; ++i)
        batch.push_back(contacts.at(pending[i]).to_person(pending[i]));
      emit(emitter, "person", batch,
           end < pending.size() ? json::serialize(json::object{{"snapshot", snapshot},
                                                               {"after_contact", pending[end - 1]}})
                                : "");
    }
  }

  // The work history and schools of the resumes (parsedData) of the contacts pending[start, end):
  // no opportunity list carries resumes, so it is GET /opportunities/:id/resumes, one call per
  // opportunity (lever.md §4), by as many workers as child lists, batch by batch so a crash loses
  // at most one batch of them.
  void add_resumes(std::map<std::string, ContactAggregate>& contacts,
                   const std::vector<std::string>& pending, std::size_t start, std::size_t end) {
    std::vector<std::pair<std::string, std::string>> todo;  // (contact, opportunity)
    for (std::size_t i = start; i < end; ++i) {
      const ContactAggregate& contact = contacts.at(pending[i]);
      // An anonymized (GDPR) contact's work history is not read.
      if (std::get<model::Person>(contact.to_person(pending[i])).anonymized.value_or(false))
        continue;
      for (const std::string& opportunity : contact.opportunity_ids())
        todo.emplace_back(pending[i], opportunity);
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

  // ---- candidacies
  // --------------------------------------------------------------------------------

  // Checkpoints name the phase and the next window: a resume asks that window again whole.
  void read_candidacies(const json::object& position, sdk::Emitter& emitter) {
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
            emit(emitter, "candidacy", records, json::serialize(next));
          });
      from = -1;
      width = 0;
    }
    emit(emitter, "candidacy", {}, "");
  }

  // Deleted opportunities are not migrated; the run says which ones Lever deleted.
  void report_deleted_opportunities() {
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

  // ---- children of opportunities ----------------------------------------------------------------

  // Every item of a per-opportunity list; Lever's "no resume" 404 counts as an empty list.
  std::vector<json::value> child_list(const OpportunityRef& opportunity, const std::string& child) {
    std::vector<json::value> all;
    std::string path = "/opportunities/" + opportunity.id + "/" + child;
    try {
      walk(path, {}, {}, "list " + child + " of opportunity " + opportunity.id,
           [&](json::array& items, const ListPosition&, const ListPosition&) {
             for (json::value& item : items)
               all.push_back(std::move(item));
           });
    } catch (const sdk::Error& error) {
      // Lever answers 404 instead of [] for an opportunity without a resume (reference §4);
      // a profile-form list may be missing the same way (or the route, on a Lever-compatible
      // server without forms).
      if (error.status() != ATSM_NOT_FOUND || (child != "resumes" && child != "forms"))
        throw;
    }
    return all;
  }

  // ---- file downloads, checked against what Lever declared ------------------------------------

  // The four kinds of Lever file records; each name is also its source-key object.
  enum class FileKind { resume, file, offer_document, application_file };

  static const char* kind_name(FileKind kind) {
    switch (kind) {
      case FileKind::resume:
        return "resume";
      case FileKind::file:
        return "file";
      case FileKind::offer_document:
        return "offer_document";
      case FileKind::application_file:
        return "application_file";
    }
    return "file";
  }

  // A file to download: its opportunity, its kind and id (an offer letter: the offer's id and
  // `status` "sent" or "signed"). Also what a read owes when the download was not the file.
  struct OwedFile {
    OpportunityRef opportunity;
    FileKind kind = FileKind::file;
    std::string id;
    std::string status = {};
  };

  static std::string file_key(const OwedFile& file) {
    return file.kind == FileKind::offer_document ? offer_document_key(file.id, file.status)
                                                 : source_key(kind_name(file.kind), file.id);
  }

  // Where Lever serves the bytes: resumes and files by id (reference §5.6); an offer letter by
  // offer and status (lever_docs_examples.json "offer_download_note"); a file-upload answer by its
  // id under /files (unverified: Lever documents the answer {id, ext, name, size, uploadedAt} but
  // no download route of its own).
  static std::string download_path(const OwedFile& file) {
    std::string opportunity = "/opportunities/" + file.opportunity.id;
    switch (file.kind) {
      case FileKind::resume:
        return opportunity + "/resumes/" + file.id + "/download";
      case FileKind::offer_document:
        return opportunity + "/offers/" + file.id + "/download?status=" + file.status;
      case FileKind::file:
      case FileKind::application_file:
        break;
    }
    return opportunity + "/files/" + file.id + "/download";
  }

  static std::string download_what(const OwedFile& file) {
    std::string of = " of opportunity " + file.opportunity.id;
    switch (file.kind) {
      case FileKind::resume:
        return "download of resume " + file.id + of;
      case FileKind::offer_document:
        return "download of the " + file.status + " letter of offer " + file.id + of;
      case FileKind::application_file:
        return "download of application answer file " + file.id + of;
      case FileKind::file:
        break;
    }
    return "download of file " + file.id + of;
  }

  // Offer letters (sentDocument/signedDocument), downloaded with
  // GET /opportunities/:id/offers/:offer/download?status=sent|signed (lever_docs_examples.json
  // "offer_download_note"). The offers listed by this instance's offer kind are reused, so a
  // full run lists each opportunity's offers once.
  void read_offer_documents(const OpportunityRef& opportunity, std::vector<model::Record>& out) {
    std::vector<json::value> offers;
    {
      std::lock_guard lock(offers_mutex_);
      auto found = offers_seen_.find(opportunity.id);
      if (found != offers_seen_.end())
        offers = found->second;
    }
    if (!offers_read_)
      offers = child_list(opportunity, "offers");
    for (const json::value& offer : offers) {
      std::string offer_id = item_id(offer);
      for (const char* status : {"sent", "signed"}) {
        const json::value* document =
            offer.as_object().if_contains(std::string(status) + "Document");
        if (document == nullptr || !document->is_object() || offer_id.empty())
          continue;
        if (!in_delta(*document)) {
          ++skipped_;
          continue;
        }
        out.push_back(fetch_offer_document(opportunity, offer, status));
      }
    }
  }

  // An offer letter declares its fileName but no size (lever_docs_examples.json offers_list).
  model::Record fetch_offer_document(const OpportunityRef& opportunity, const json::value& offer,
                                     const std::string& status) {
    model::DeclaredFile declared;
    if (const json::value* document = offer.as_object().if_contains(status + "Document");
        document && document->is_object())
      declared = declared_file(*document, "fileName");
    Download download =
        fetch_checked({opportunity, FileKind::offer_document, item_id(offer), status}, declared);
    return map_offer_document(offer, status, opportunity, download);
  }

  // A file-upload answer declares {id, ext, name, size, uploadedAt} (lever_docs_examples.json
  // "application_retrieve").
  model::Record fetch_application_file(const OpportunityRef& opportunity,
                                       const json::object& answer) {
    json::value raw(answer);
    Download download =
        fetch_checked({opportunity, FileKind::application_file, item_id(raw)}, declared_file(raw));
    return map_application_file(answer, opportunity, download);
  }

  // The offers of an opportunity that carry a letter, for the file kind of this instance.
  void remember_offer_documents(const std::string& opportunity_id,
                                const std::vector<json::value>& offers) {
    std::vector<json::value> with_letters;
    for (const json::value& offer : offers)
      if (offer.is_object())
        for (const char* member : {"sentDocument", "signedDocument"})
          if (const json::value* document = offer.as_object().if_contains(member);
              document && document->is_object()) {
            with_letters.push_back(offer);
            break;
          }
    if (with_letters.empty())
      return;
    std::lock_guard lock(offers_mutex_);
    offers_seen_[opportunity_id] = std::move(with_letters);
  }

  bool in_delta(const json::value& child) {
    if (!settings_.since)
      return true;
    std::optional<std::int64_t> touched = child_touched_at(child);
    return !touched || *touched >= *settings_.since;
  }

  // What Lever declared about a file before its download: its name and size, members of `meta`
  // (a resume nests them in `file`, an offer letter names the file `fileName`; reference §5.6 and
  // lever_docs_examples.json `resumes_list`, `files_list_verbatim`, `offers_list`).
  static model::DeclaredFile declared_file(const json::value& meta, const char* name_key = "name") {
    model::DeclaredFile declared;
    if (!meta.is_object())
      return declared;
    declared.file_name = string_member(meta.as_object(), name_key).value_or("");
    if (const json::value* size = meta.as_object().if_contains("size"))
      declared.size = parse_millis(*size);  // a number, or a numeric string as in the doc examples
    return declared;
  }

  // Why the stored bytes of `fetched` cannot be the declared file (nullopt: they may be). The
  // first bytes are read back only for files small enough for an error page to hide in.
  std::optional<std::string> download_mismatch(const model::DeclaredFile& declared,
                                               const FetchedFile& fetched) {
    constexpr std::uint64_t kSniffedUpTo = 1 << 20;
    std::optional<std::string> bytes;
    if (fetched.size <= kSniffedUpTo)
      bytes = host_.blob_get(fetched.sha256);
    std::string_view head = bytes ? std::string_view(*bytes).substr(0, 512) : std::string_view();
    return model::download_mismatch(declared, {fetched.size, fetched.content_type, head});
  }

  // Downloads a file of any kind and checks it against what Lever declared (an HTML page answered
  // 200, a body cut short or another file's bytes is not the file): a mismatch is asked again,
  // then returned as `fetch_failure` and owed to the retry checkpoint that ends the read (issue
  // 23's path). A download Lever refuses with an error status is a skip.
  Download fetch_checked(const OwedFile& target, const model::DeclaredFile& declared) {
    constexpr int kDownloadAttempts = 3;
    Download download;
    if (target.id.empty()) {
      download.skipped_reason =
          std::string("the ") + kind_name(target.kind) + " entry has no id to download it by";
      return download;
    }
    std::string what = download_what(target);
    for (int attempt = 1;; ++attempt) {
      FetchedFile fetched = client_.download(download_path(target), what);
      if (fetched.sha256.empty()) {
        download.skipped_reason =
            (fetched.status == 422
                 ? "Lever could not process the file (HTTP 422"
                 : "Lever did not serve the file (HTTP " + std::to_string(fetched.status)) +
            (fetched.error_message.empty() ? ")" : ": " + fetched.error_message + ")");
        host_.log(ATSM_LOG_WARN, file_key(target) + " skipped: " + *download.skipped_reason);
        return download;
      }
      std::optional<std::string> mismatch = download_mismatch(declared, fetched);
      if (!mismatch) {
        download.sha256 = fetched.sha256;
        download.size = static_cast<std::int64_t>(fetched.size);
        download.content_type = fetched.content_type;
        return download;
      }
      host_.log(ATSM_LOG_WARN,
                "Lever " + what + " (attempt " + std::to_string(attempt) + "): " + *mismatch);
      if (attempt == kDownloadAttempts) {
        download.fetch_failure = *mismatch + " (tried " + std::to_string(attempt) + " times)";
        std::lock_guard lock(owed_mutex_);
        owed_.push_back(target);
        return download;
      }
      pause(std::chrono::milliseconds(250 << (attempt - 1)));
    }
  }

  void fetch_file(const OpportunityRef& opportunity, const json::value& item, bool is_resume,
                  std::vector<model::Record>& out) {
    const json::value* meta = &item;
    if (is_resume)
      meta = item.is_object() ? item.as_object().if_contains("file") : nullptr;
    Download download =
        fetch_checked({opportunity, is_resume ? FileKind::resume : FileKind::file, item_id(item)},
                      meta ? declared_file(*meta) : model::DeclaredFile{});
    out.push_back(map_file(item, opportunity, is_resume, download));
  }

  void pause(std::chrono::milliseconds length) {
    auto until = std::chrono::steady_clock::now() + length;
    while (std::chrono::steady_clock::now() < until) {
      host_.check_cancelled();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // ---- files owed to a later read (fetched, but not what Lever declared) ---------------------

  static json::array owed_json(const std::vector<OwedFile>& owed) {
    json::array out;
    for (const OwedFile& file : owed) {
      json::object entry{{"opportunity", file.opportunity.id},
                         {"contact", file.opportunity.contact_id},
                         {"kind", kind_name(file.kind)},
                         {"id", file.id}};
      if (!file.status.empty())
        entry["status"] = file.status;
      out.push_back(std::move(entry));
    }
    return out;
  }

  static std::optional<FileKind> kind_named(const std::string& name) {
    for (FileKind kind :
         {FileKind::resume, FileKind::file, FileKind::offer_document, FileKind::application_file})
      if (name == kind_name(kind))
        return kind;
    return std::nullopt;
  }

  static std::vector<OwedFile> owed_from(const json::object& position, const char* key) {
    std::vector<OwedFile> owed;
    const json::value* list = position.if_contains(key);
    if (list == nullptr || !list->is_array())
      return owed;
    for (const json::value& entry : list->as_array()) {
      if (!entry.is_object())
        continue;
      const json::object& object = entry.as_object();
      // Checkpoints written before offer letters and answer files were owed say `resume`.
      bool resume = object.contains("resume") && object.at("resume").is_bool() &&
                    object.at("resume").as_bool();
      std::optional<FileKind> kind =
          kind_named(string_member(object, "kind").value_or(resume ? "resume" : "file"));
      if (!kind)
        continue;
      OwedFile file{{string_member(object, "opportunity").value_or(""),
                     string_member(object, "contact").value_or("")},
                    *kind,
                    string_member(object, "id").value_or(""),
                    string_member(object, "status").value_or("")};
      if (!file.opportunity.id.empty() && !file.id.empty() &&
          (file.kind != FileKind::offer_document || !file.status.empty()))
        owed.push_back(std::move(file));
    }
    return owed;
  }

  // The host's re-fetch of staged files whose bytes the work dir lost (sdk/docs/sink-protocol.md
  // §5): each entry names the file's source key (lever:<kind>:<id>, an offer letter
  // lever:offer_document:<offer>:<status>) and its staged record, whose candidacy and person keys
  // give the opportunity and contact to read it from.
  static std::vector<OwedFile> refetched_files(const json::object& position) {
    std::vector<OwedFile> files;
    const json::value* list = position.if_contains("refetch");
    if (list == nullptr || !list->is_array())
      return files;
    auto id_after = [](const std::string& key, const std::string& prefix) {
      return key.rfind(prefix, 0) == 0 ? key.substr(prefix.size()) : std::string();
    };
    for (const json::value& entry : list->as_array()) {
      if (!entry.is_object() || !entry.as_object().contains("record") ||
          !entry.as_object().at("record").is_object())
        continue;
      const json::object& record = entry.as_object().at("record").as_object();
      std::string key = string_member(record, "source_key").value_or("");
      OwedFile file;
      for (FileKind kind :
           {FileKind::resume, FileKind::file, FileKind::offer_document, FileKind::application_file})
        if (std::string id = id_after(key, source_key(kind_name(kind), "")); !id.empty()) {
          file.kind = kind;
          file.id = std::move(id);
        }
      if (file.kind == FileKind::offer_document) {
        std::size_t colon = file.id.rfind(':');
        file.status = colon == std::string::npos ? "" : file.id.substr(colon + 1);
        file.id = colon == std::string::npos ? "" : file.id.substr(0, colon);
        if (file.status != "sent" && file.status != "signed")
          file.id.clear();
      }
      file.opportunity.id = id_after(string_member(record, "candidacy_key").value_or(""),
                                     source_key("opportunity", ""));
      file.opportunity.contact_id =
          id_after(string_member(record, "person_key").value_or(""), source_key("contact", ""));
      if (!file.id.empty() && !file.opportunity.id.empty())
        files.push_back(std::move(file));
    }
    return files;
  }

  // The end of a file read that owes files: the last batch at a checkpoint naming exactly those
  // (the host keeps the kind open there), then ATSM_RETRY, so the next run fetches them and
  // nothing else.
  void end_owing(sdk::Emitter& emitter, std::vector<model::Record>& batch) {
    std::vector<OwedFile> owed;
    {
      std::lock_guard lock(owed_mutex_);
      owed.swap(owed_);
    }
    if (owed.empty()) {
      emit(emitter, "file", batch, "");
      return;
    }
    emit(emitter, "file", batch, json::serialize(json::object{{"retry", owed_json(owed)}}));
    std::string listed;
    for (const OwedFile& file : owed)
      if (listed.size() < 600)
        listed += (listed.empty() ? "" : ", ") + file_key(file);
    throw sdk::Error(ATSM_RETRY, std::to_string(owed.size()) +
                                     " Lever file(s) were not served as declared (" + listed +
                                     "); a re-run fetches exactly them");
  }

  // What Lever says of an owed file now, as listed (nullopt: deleted since): a resume or file by
  // its single GET; an offer (with that letter) from the opportunity's offers, which have no
  // single GET (lever.md §5 table); a file-upload answer from the opportunity read with
  // expand=applications (applications are "deprecated" as a route of their own: lever.md §5 table).
  std::optional<json::value> reread(const OwedFile& file) {
    const std::string& opportunity = file.opportunity.id;
    if (file.kind == FileKind::offer_document) {
      for (json::value& offer : child_list(file.opportunity, "offers"))
        if (offer.is_object() && item_id(offer) == file.id)
          if (const json::value* document = offer.as_object().if_contains(file.status + "Document");
              document && document->is_object())
            return std::move(offer);
      return std::nullopt;
    }
    std::string path = "/opportunities/" + opportunity;
    Query query;
    if (file.kind == FileKind::application_file)
      query.emplace_back("expand", "applications");
    else
      path += std::string(file.kind == FileKind::resume ? "/resumes/" : "/files/") + file.id;
    std::optional<json::value> data;
    try {
      json::value answer = client_.get(path, query, "read " + file_key(file) + " again");
      if (answer.is_object())
        if (const json::value* found = answer.as_object().if_contains("data");
            found && found->is_object())
          data = *found;
    } catch (const sdk::Error& error) {
      if (error.status() != ATSM_NOT_FOUND)
        throw;
    }
    if (!data || file.kind != FileKind::application_file)
      return data;
    for (json::object& answer : application_files(*data))
      if (item_id(json::value(answer)) == file.id)
        return json::value(std::move(answer));
    return std::nullopt;
  }

  // A retry checkpoint or a re-fetch: each file read again as Lever lists it now, then downloaded
  // and checked; one deleted since is what Lever says it is now, a skip.
  void read_owed_files(const std::vector<OwedFile>& owed, sdk::Emitter& emitter) {
    std::vector<model::Record> batch;
    for (const OwedFile& file : owed) {
      host_.check_cancelled();
      std::optional<json::value> item = reread(file);
      Download gone;
      if (!item) {
        gone.skipped_reason = "deleted in Lever since its download failed (no longer served)";
        ++skipped_;
      }
      switch (file.kind) {
        case FileKind::resume:
        case FileKind::file:
          if (item)
            fetch_file(file.opportunity, *item, file.kind == FileKind::resume, batch);
          else
            batch.push_back(map_file(json::object{{"id", file.id}}, file.opportunity,
                                     file.kind == FileKind::resume, gone));
          break;
        case FileKind::offer_document:
          batch.push_back(item ? fetch_offer_document(file.opportunity, *item, file.status)
                               : map_offer_document(json::object{{"id", file.id}}, file.status,
                                                    file.opportunity, gone));
          break;
        case FileKind::application_file:
          batch.push_back(
              item ? fetch_application_file(file.opportunity, item->as_object())
                   : map_application_file(json::object{{"id", file.id}}, file.opportunity, gone));
          break;
      }
    }
    end_owing(emitter, batch);
  }
  void read_children_of(const std::string& kind, const OpportunityRef& opportunity,
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
  bool worth_sweeping(const json::value& opportunity) const {
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
  std::size_t child_workers() const {
    constexpr std::size_t kDefaultChildWorkers = 4;
    if (settings_.concurrency > 0)
      return static_cast<std::size_t>(settings_.concurrency);
    return host_.suggested_in_flight().value_or(kDefaultChildWorkers);
  }

  // Checkpoints: inside a window, the window and the last id done (windows are handled in id
  // order); at a window's end, the next window. A resume asks the window again whole.
  void read_children(const std::string& kind, const json::object& position, sdk::Emitter& emitter) {
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
      return json::serialize(out);
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
    walk_windows(
        query, from, snapshot, width, "list /opportunities (" + kind + ")",
        [&](std::vector<json::value>& items, const Window& window) {
          // Within the window a checkpoint was taken in, what it had done is skipped.
          if (!done_through.empty() && window.end <= done_window_end)
            std::erase_if(items,
                          [&](const json::value& item) { return item_id(item) <= done_through; });
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

  // The children of a list of opportunities, read by a pool of workers while the list is walked.
  // The walk adds opportunities in list order; next_done hands them back in that order once read.
  class ChildSweep {
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

  sdk::Host host_;
  Settings settings_;
  LeverClient client_;
  std::int64_t snapshot_ = now_millis();
  bool confidential_checked_ = false;
  bool confidential_access_ = true;
  std::optional<std::vector<json::value>> postings_;
  std::optional<HiredReasons> hired_reasons_;
  std::optional<std::set<std::string>> lead_stages_;
  // Offers with letters by opportunity id, remembered by an offer kind read from its start
  // (offers_read_ then true) so the file kind need not list them again.
  std::mutex offers_mutex_;
  std::map<std::string, std::vector<json::value>> offers_seen_;
  bool offers_read_ = false;
  std::uint64_t records_ = 0, invalid_ = 0;
  std::atomic<std::uint64_t> skipped_{0};
  std::mutex owed_mutex_;
  std::vector<OwedFile> owed_;  // files this read could not fetch as declared
};

}  // namespace
}  // namespace atsm::lever

namespace {

constexpr const char* kConfigKeysJson = R"json([
{"name":"base_url","type":"string","description":"Lever Data API base URL; /v1 is appended to a server root","default":"https://api.lever.co/v1","required":false},
{"name":"page_size","type":"integer","description":"records per list page, 1 to 100","default":100,"required":false},
{"name":"since","type":"string","description":"ISO 8601 time: a delta run reads opportunities updated since (updated_at_start) and children created since","required":false},
{"name":"confidential","type":"string","description":"include: lists use confidentiality=all and a key without confidential access is reported loudly; skip: non-confidential only","default":"include","required":false},
{"name":"rate_scale","type":"number","description":"multiplies the declared rate limit of 10/s with bursts of 20 (for the sandbox's --rate-scale)","default":1,"required":false},
{"name":"auth","type":"string","description":"api_key: LEVER_API_KEY; oauth: the LEVER_OAUTH_* secrets","default":"api_key","required":false},
{"name":"oauth_token_url","type":"string","description":"OAuth token endpoint used to refresh the access token","default":"https://auth.lever.co/oauth/token","required":false},
{"name":"delta_children","type":"string","description":"sweep: a delta run reads the children of every opportunity; recent: only of opportunities whose updatedAt or lastInteractionAt moved","default":"sweep","required":false},
{"name":"concurrency","type":"integer","description":"opportunities whose children are read at the same time (requests in flight), 1 to 32; 0: as many as the measured latency needs to run at the rate limit (Little's law)","default":0,"required":false},
{"name":"profile_forms","type":"string","description":"include: the feedback kind also reads each opportunity's profile forms (Lever's custom fields) as feedback records lever:form:<id>; skip: not read","default":"include","required":false}
])json";

constexpr const char* kSecretsJson = R"json([
{"name":"LEVER_API_KEY","description":"Lever API key (HTTP Basic, key as user); required unless auth is oauth","required":false},
{"name":"LEVER_OAUTH_TOKEN","description":"OAuth access token (auth oauth)","required":false},
{"name":"LEVER_OAUTH_REFRESH_TOKEN","description":"OAuth refresh token; the access token is renewed before it expires","required":false},
{"name":"LEVER_OAUTH_CLIENT_ID","description":"OAuth client id, for refreshes","required":false},
{"name":"LEVER_OAUTH_CLIENT_SECRET","description":"OAuth client secret, for refreshes","required":false}
])json";

constexpr const char* kSourceKindsJson =
    R"json(["user","department","office","job","stage","archive_reason","source","tag","person","candidacy","note","feedback","interview","offer","file"])json";

}  // namespace

namespace {

// What Lever documents that the connector does not carry (unmigrated_lever_fields), for the
// report. Built on first use; the extension table lives as long as the library.
const void* extension(const char* id) noexcept {
  if (id == nullptr || std::string_view(id) != ATSM_EXT_SOURCE_UNMIGRATED)
    return nullptr;
  try {
    static const atsm_source_unmigrated_v1 table = {
        sizeof(atsm_source_unmigrated_v1), ATSM_ABI_VERSION,
        atsm::lever::unmigrated_lever_fields_json().c_str()};
    return &table;
  } catch (...) {
    return nullptr;  // nothing crosses the ABI; the report then lists no declaration
  }
}

}  // namespace

ATSM_DEFINE_CONNECTOR(
    atsm::lever::LeverSource,
    (atsm::sdk::ConnectorInfo{
        .name = "lever",
        .version = "1.0.0",
        .description = "Lever Data API source: users, postings, stages, archive reasons, sources, "
                       "tags, contacts, opportunities, notes, feedback, interviews, offers, files",
        .capabilities = ATSM_CAP_INCREMENTAL,
        .source_kinds_json = kSourceKindsJson,
        .sink_kinds_json = "[]",
        .config_keys_json = kConfigKeysJson,
        .secrets_json = kSecretsJson,
        .get_extension = &extension,
    }))
