// The Greenhouse source connector: reads a Greenhouse account through Harvest v3 and emits
// canonical records kind by kind, with checkpoints that resume a crashed read after its last
// batch. Plan of calls: every kind is one account-wide list (per_page 500); children a record
// needs (stage history, scorecard attributes and answers, interviewers, an application's
// candidate) are read with id filters of up to 50 parents per call, never per record; attachments
// are downloaded as soon as their page is listed, each URL read again (50 per call) once it is
// past half its signed lifetime. A file that cannot be fetched now (an expired URL, a storage
// error, a timeout) is tried again with a fresh URL at the end of the list; what still fails is
// emitted with `fetch_failure` and the read ends ATSM_RETRY at a checkpoint naming exactly those.
#include <atsmigrate/connector.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "greenhouse_client.hpp"
#include "greenhouse_mapping.hpp"
#include "model/codec.hpp"
#include "model/download_check.hpp"
#include "model/time.hpp"

namespace atsm::greenhouse {
namespace {
namespace json = boost::json;

// Parents per id-filtered call (Greenhouse's limit for `ids`, `application_ids`, ...).
constexpr std::size_t kIdsPerQuery = 50;
// Files per emitted batch: a checkpoint at least this often inside a page of downloads.
constexpr std::size_t kFilesPerBatch = 50;
constexpr double kWindowMs = 30000.0;

struct Settings {
  ClientSettings client;
  std::optional<std::string> since;  // normalised ISO 8601
  std::uint32_t window_limit = 50;
  double rate_scale = 1.0;
};

std::string require_string(const json::value& value, const std::string& key) {
  if (!value.is_string())
    throw sdk::Error(ATSM_INVALID, "greenhouse config key '" + key + "' must be a string");
  return std::string(value.as_string());
}

// An integer setting: a JSON integer, an integral number or digits as text (--set gives text).
std::optional<std::int64_t> whole_number(const json::value& value) {
  if (value.is_int64())
    return value.as_int64();
  if (value.is_uint64() && value.as_uint64() < 1000000000ull)
    return static_cast<std::int64_t>(value.as_uint64());
  if (value.is_double()) {
    double number = value.as_double();
    if (number >= -1e9 && number <= 1e9 &&
        number == static_cast<double>(static_cast<std::int64_t>(number)))
      return static_cast<std::int64_t>(number);
  }
  if (value.is_string())
    if (std::optional<std::string> digits = id_text(value); digits && digits->size() <= 9)
      return std::stoll(*digits);
  return std::nullopt;
}

std::string require_url(const json::value& value, const std::string& key) {
  std::string url = require_string(value, key);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw sdk::Error(ATSM_INVALID, "greenhouse config key '" + key + "' must be an http(s) URL");
  return url;
}

Settings parse_settings(std::string_view config_json) {
  boost::system::error_code error;
  json::value config = json::parse(config_json, error);
  if (error || !config.is_object())
    throw sdk::Error(ATSM_INVALID, "greenhouse config is not a JSON object");
  Settings settings;
  std::vector<std::string> unknown;
  for (const auto& [key_view, value] : config.as_object()) {
    std::string key(key_view);
    if (key == "base_url") {
      settings.client.base_url = require_url(value, key);
    } else if (key == "token_url") {
      settings.client.token_url = require_url(value, key);
    } else if (key == "per_page") {
      std::optional<std::int64_t> size = whole_number(value);
      if (!size || *size < 1 || *size > 500)
        throw sdk::Error(ATSM_INVALID,
                         "greenhouse config key 'per_page' must be an integer from 1 to 500");
      settings.client.per_page = static_cast<int>(*size);
    } else if (key == "since") {
      std::string text = require_string(value, key);
      settings.since = model::normalize_timestamp(text);
      if (!settings.since)
        throw sdk::Error(ATSM_INVALID, "greenhouse config key 'since' is \"" + text +
                                           "\"; expected an ISO 8601 date-time with an offset, "
                                           "e.g. 2024-05-01T00:00:00Z");
    } else if (key == "on_behalf_of") {
      std::optional<std::string> id = id_text(value);
      if (!id)
        throw sdk::Error(ATSM_INVALID,
                         "greenhouse config key 'on_behalf_of' must be a numeric Greenhouse "
                         "user id (the acting Site Admin)");
      settings.client.on_behalf_of = *id;
    } else if (key == "rate_limit") {
      std::optional<std::int64_t> limit = whole_number(value);
      if (!limit || *limit < 1 || *limit > 100000)
        throw sdk::Error(ATSM_INVALID,
                         "greenhouse config key 'rate_limit' must be a positive integer "
                         "(requests per 30-second window)");
      settings.window_limit = static_cast<std::uint32_t>(*limit);
    } else if (key == "rate_scale") {
      if (!value.is_number() || !(value.to_number<double>() > 0))
        throw sdk::Error(ATSM_INVALID,
                         "greenhouse config key 'rate_scale' must be a positive number");
      settings.rate_scale = value.to_number<double>();
    } else {
      unknown.push_back(key);
    }
  }
  if (!unknown.empty()) {
    std::string names;
    for (const std::string& name : unknown)
      names += (names.empty() ? "" : ", ") + name;
    throw sdk::Error(ATSM_INVALID, "unknown greenhouse config key(s): " + names);
  }
  return settings;
}

// Where a list walk stands: the page to fetch (none = the first page, rebuilt from the filters)
// and the id of the last item handled (lists run id-descending, so everything at or above it
// is done).
struct Position {
  std::optional<std::string> page;
  std::int64_t last_id = 0;
  // Attachments: those not fetched yet (fetched again after the walk), and whether the walk is
  // over and only they remain.
  std::vector<std::string> owed;
  bool retry_only = false;
};

Position parse_checkpoint(const std::string& kind, const std::string& checkpoint) {
  Position position;
  if (checkpoint.empty())
    return position;
  boost::system::error_code error;
  json::value value = json::parse(checkpoint, error);
  if (error || !value.is_object())
    throw sdk::Error(ATSM_INVALID, "greenhouse checkpoint for " + kind + " is not a JSON object");
  const json::object& object = value.as_object();
  if (const json::value* page = object.if_contains("page"); page && page->is_string())
    position.page = std::string(page->as_string());
  if (const json::value* last = object.if_contains("last_id"); last && last->is_int64())
    position.last_id = last->as_int64();
  auto ids = [&](const char* key) {
    if (const json::value* list = object.if_contains(key); list && list->is_array())
      for (const json::value& id : list->as_array())
        if (id.is_string())
          position.owed.emplace_back(id.as_string());
  };
  ids("owed");
  if (object.contains("retry")) {
    position.retry_only = true;
    ids("retry");
  }
  // The host's re-fetch of staged attachments whose bytes the work dir lost
  // (sdk/docs/sink-protocol.md §5): fetched like the ones a read could not fetch, by id.
  if (const json::value* list = object.if_contains("refetch"); list && list->is_array()) {
    position.retry_only = true;
    const std::string prefix = source_key("attachment", "");
    for (const json::value& entry : list->as_array())
      if (const json::value* key =
              entry.is_object() ? entry.as_object().if_contains("source_key") : nullptr;
          key && key->is_string() && key->as_string().starts_with(prefix))
        position.owed.push_back(std::string(key->as_string()).substr(prefix.size()));
  }
  return position;
}

json::array id_array(const std::vector<std::string>& ids) {
  json::array out;
  for (const std::string& id : ids)
    out.emplace_back(id);
  return out;
}

std::string checkpoint_text(const std::optional<std::string>& page, std::int64_t last_id,
                            const std::vector<std::string>& owed = {}) {
  json::object out{{"last_id", last_id}};
  if (page)
    out["page"] = *page;
  if (!owed.empty())
    out["owed"] = id_array(owed);
  return json::serialize(out);
}

// The walk is over and only `ids` are still to fetch; "" (the kind is complete) when none are.
std::string retry_checkpoint(const std::vector<std::string>& ids) {
  return ids.empty() ? std::string() : json::serialize(json::object{{"retry", id_array(ids)}});
}

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

std::int64_t numeric_id(const json::value& item) {
  std::string id = id_of(item);
  if (id.empty() || id.size() > 18)
    return 0;
  return std::stoll(id);
}

std::string join(const std::vector<std::string>& ids, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to; ++i)
    out += (out.empty() ? "" : ",") + ids[i];
  return out;
}

std::optional<std::string> member_id(const json::value& item, const char* key) {
  if (!item.is_object())
    return std::nullopt;
  const json::value* value = item.as_object().if_contains(key);
  return value == nullptr ? std::nullopt : id_text(*value);
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

class GreenhouseSource : public sdk::Source {
 public:
  GreenhouseSource(sdk::Host host, std::string_view config_json)
      : host_(host), settings_(parse_settings(config_json)), client_(host, settings_.client) {
    double window_ms = std::clamp(kWindowMs / settings_.rate_scale, 1.0, 86400000.0);
    host_.declare_fixed_window(kBucket, settings_.window_limit,
                               static_cast<std::uint32_t>(window_ms));
  }

  void read(const std::string& kind, const std::string& checkpoint,
            sdk::Emitter& emitter) override {
    Position position = parse_checkpoint(kind, checkpoint);
    records_ = invalid_ = skipped_ = failed_ = 0;
    if (settings_.since && checkpoint.empty() && !delta_warned_) {
      delta_warned_ = true;
      host_.log(ATSM_LOG_WARN,
                "delta run (since " + *settings_.since +
                    "): Harvest v3 lists no deleted records, so deletions in Greenhouse since "
                    "then are NOT carried over");
    }
    auto simple = [&](const char* resource, Query query, model::Record (*map)(const json::value&)) {
      read_simple(kind, resource, std::move(query), position, emitter,
                  [map](const json::value& item) { return map(item); });
    };
    if (kind == "user")
      // Service accounts author notes and activity; v3 lists them only when asked (§6.6).
      simple("users", {{"show_service_accounts", "true"}}, &map_user);
    else if (kind == "department")
      simple("departments", {}, &map_department);
    else if (kind == "office")
      simple("offices", {}, &map_office);
    else if (kind == "custom_field")
      read_custom_fields(position, emitter);
    else if (kind == "job")
      // Reference data is small: read whole even on a delta run, so every reference resolves.
      read_simple(kind, "jobs", {}, position, emitter,
                  [this](const json::value& item) { return job_record(item); });
    else if (kind == "stage")
      simple("job_interview_stages", {}, &map_stage);
    else if (kind == "archive_reason")
      simple("rejection_reasons", {{"include_defaults", "true"}}, &map_rejection_reason);
    else if (kind == "source")
      simple("sources", {}, &map_source);
    else if (kind == "tag")
      simple("candidate_tags", {}, &map_tag);
    else if (kind == "person")
      read_candidates(position, emitter);
    else if (kind == "candidacy")
      read_applications(position, emitter);
    else if (kind == "note")
      read_notes(position, emitter);
    else if (kind == "feedback")
      read_scorecards(position, emitter);
    else if (kind == "interview")
      read_interviews(position, emitter);
    else if (kind == "offer")
      read_offers(position, emitter);
    else if (kind == "file")
      read_attachments(position, emitter);
    else
      throw sdk::Error(ATSM_INVALID, "the greenhouse connector has no kind '" + kind + "'");
    host_.log(ATSM_LOG_INFO, "read " + kind + ": " + std::to_string(records_) + " records, " +
                                 std::to_string(invalid_) + " with validation errors, " +
                                 std::to_string(skipped_) +
                                 " skipped (drafts, non-note activity, deleted files), " +
                                 std::to_string(failed_) +
                                 " failed for now (files a re-run fetches again); "
                                 "Greenhouse calls so far: " +
                                 client_.calls_summary());
  }

 private:
  using PageFn = std::function<void(json::array& items, const std::optional<std::string>& page,
                                    const std::optional<std::string>& next)>;

  // `updated_at=gte|<since>` on a delta run (reference §8).
  Query delta() const {
    if (!settings_.since)
      return {};
    return {{"updated_at", "gte|" + *settings_.since}};
  }

  void emit(sdk::Emitter& emitter, const std::string& kind,
            const std::vector<model::Record>& records, const std::string& checkpoint) {
    records_ += records.size();
    for (const model::Record& record : records)
      if (std::size_t problems = validation_error_count(record); problems > 0) {
        ++invalid_;
        host_.log(ATSM_LOG_WARN,
                  model::record_label(record) + ": " + std::to_string(problems) +
                      " validation problem(s): " +
                      json::serialize(model::envelope(record).extra.at("validation_errors")));
      }
    emitter.emit(kind, model::serialize_records(records), checkpoint);
    host_.progress(kind, records_, 0);
  }

  // Walks a list from `from`, calling on_page per page with the page's own URL (none for the
  // first) and the next one. A refused cursor restarts the list and skips what was handled.
  void walk(const std::string& resource, const Query& query, Position from, const std::string& what,
            const PageFn& on_page) {
    std::optional<std::string> url = from.page;
    std::int64_t done_through = from.last_id;
    bool restarted = false;
    // The bearer token follows a saved page URL only to this resource of the configured API (a
    // checkpoint from a run with another base_url starts the list over instead).
    std::string own = client_.settings().base_url + "/v3/" + resource + "?";
    if (url && url->rfind(own, 0) != 0) {
      host_.log(ATSM_LOG_WARN, "the " + resource + " checkpoint names a page outside " + own +
                                   "; restarting the list after id " +
                                   std::to_string(done_through));
      url.reset();
      restarted = true;
    }
    for (;;) {
      Page page;
      try {
        page = url ? client_.page_at(*url, what) : client_.first_page(resource, query, what);
      } catch (const CursorRejected& error) {
        if (!url || restarted)
          throw;
        host_.log(ATSM_LOG_WARN, std::string(error.what()) + "; restarting the list after id " +
                                     std::to_string(done_through));
        url.reset();
        restarted = true;
        continue;
      }
      if (done_through > 0) {
        auto handled = [&](const json::value& item) {
          std::int64_t id = numeric_id(item);
          return id != 0 && id >= done_through;
        };
        page.items.erase(std::remove_if(page.items.begin(), page.items.end(), handled),
                         page.items.end());
      }
      on_page(page.items, url, page.next);
      if (!page.items.empty() && numeric_id(page.items.back()) != 0)
        done_through = numeric_id(page.items.back());
      if (!page.next)
        return;
      url = page.next;
      host_.check_cancelled();
    }
  }

  static std::int64_t last_id_of(const json::array& items, std::int64_t fallback) {
    for (auto it = items.rbegin(); it != items.rend(); ++it)
      if (std::int64_t id = numeric_id(*it); id != 0)
        return id;
    return fallback;
  }

  // A list whose items map one to one, one batch per page.
  void read_simple(const std::string& kind, const std::string& resource, Query query,
                   const Position& from, sdk::Emitter& emitter,
                   const std::function<model::Record(const json::value&)>& map) {
    std::int64_t last = from.last_id;
    walk(resource, query, from, "list /v3/" + resource,
         [&](json::array& items, const std::optional<std::string>&,
             const std::optional<std::string>& next) {
           std::vector<model::Record> records;
           records.reserve(items.size());
           for (const json::value& item : items)
             records.push_back(map(item));
           last = last_id_of(items, last);
           emit(emitter, kind, records, next ? checkpoint_text(next, last) : "");
         });
  }

  // A job with its hiring team: /v3/job_hiring_managers and /v3/job_owners (the responsible
  // recruiter, else the first recruiter, is the owner), each read whole once.
  model::Record job_record(const json::value& item) {
    model::Record record = map_job(item, custom_field_index());
    model::Job& job = std::get<model::Job>(record);
    std::string id = id_of(item);
    const auto& managers = account_list("job_hiring_managers", "job_id");
    if (auto found = managers.find(id); found != managers.end())
      for (const json::value& row : found->second)
        if (std::optional<std::string> user = member_id(row, "user_id"))
          job.hiring_manager_user_keys.push_back(source_key("user", *user));
    const auto& owners = account_list("job_owners", "job_id");
    if (auto found = owners.find(id); found != owners.end())
      for (const json::value& row : found->second) {
        const json::value* type = row.is_object() ? row.as_object().if_contains("type") : nullptr;
        const json::value* responsible =
            row.is_object() ? row.as_object().if_contains("responsible") : nullptr;
        std::optional<std::string> user = member_id(row, "user_id");
        if (!user || type == nullptr || !type->is_string() || type->as_string() != "recruiter")
          continue;
        if (!job.owner_user_key ||
            (responsible && responsible->is_bool() && responsible->as_bool()))
          job.owner_user_key = source_key("user", *user);
      }
    return record;
  }

  // ---- lookups shared by several kinds ------------------------------------------------------

  const CustomFieldIndex& custom_field_index() {
    if (!custom_field_index_) {
      CustomFieldIndex index;
      for (const json::value& field : custom_fields())
        index.add(field);
      custom_field_index_ = std::move(index);
    }
    return *custom_field_index_;
  }

  const json::array& custom_fields() {
    if (!custom_fields_)
      custom_fields_ = client_.list_all("custom_fields", {}, "list /v3/custom_fields");
    return *custom_fields_;
  }

  void read_custom_fields(const Position& from, sdk::Emitter& emitter) {
    std::map<std::string, std::vector<json::value>> options;
    for (json::value& option :
         client_.list_all("custom_field_options", {}, "list /v3/custom_field_options"))
      if (std::optional<std::string> field = member_id(option, "custom_field_id"))
        options[*field].push_back(std::move(option));
    std::int64_t last = from.last_id;
    json::array seen;  // a read from the start sees every definition: jobs and persons reuse it
    walk("custom_fields", {}, from, "list /v3/custom_fields",
         [&](json::array& items, const std::optional<std::string>&,
             const std::optional<std::string>& next) {
           std::vector<model::Record> records;
           for (const json::value& item : items) {
             seen.push_back(item);
             std::optional<model::Record> record = map_custom_field(item, options[id_of(item)]);
             if (record)
               records.push_back(std::move(*record));
             else
               ++skipped_;
           }
           last = last_id_of(items, last);
           emit(emitter, "custom_field", records, next ? checkpoint_text(next, last) : "");
         });
    if (!from.page && from.last_id == 0 && !custom_fields_)
      custom_fields_ = std::move(seen);
  }

  // Children of `parents` from /v3/<resource>?<filter>=<up to 50 ids>, grouped by `parent_key`
  // (the parents' own ids unless `wanted` names the groups asked for). Should Greenhouse refuse
  // the filter (422), the whole list is read once and kept instead.
  std::map<std::string, std::vector<json::value>> children_of(
      const std::vector<std::string>& parents, const std::string& resource,
      const std::string& filter, const char* parent_key,
      const std::vector<std::string>* wanted = nullptr) {
    std::map<std::string, std::vector<json::value>> grouped;
    auto whole = whole_lists_.find(resource);
    for (std::size_t start = 0; start < parents.size() && whole == whole_lists_.end();
         start += kIdsPerQuery) {
      std::size_t end = std::min(parents.size(), start + kIdsPerQuery);
      json::array children;
      try {
        children = client_.list_all(
            resource, {{filter, join(parents, start, end)}},
            "list /v3/" + resource + " of " + std::to_string(end - start) + " parents");
      } catch (const sdk::Error& error) {
        if (error.status() != ATSM_INVALID)
          throw;
        host_.log(ATSM_LOG_WARN, std::string(error.what()) + "; reading all of /v3/" + resource +
                                     " once instead of by " + filter);
        std::map<std::string, std::vector<json::value>> all;
        for (json::value& child : client_.list_all(resource, {}, "list /v3/" + resource))
          if (std::optional<std::string> parent = member_id(child, parent_key))
            all[*parent].push_back(std::move(child));
        whole = whole_lists_.emplace(resource, std::move(all)).first;
        break;
      }
      for (json::value& child : children)
        if (std::optional<std::string> parent = member_id(child, parent_key))
          grouped[*parent].push_back(std::move(child));
    }
    if (whole == whole_lists_.end())
      return grouped;
    for (const std::string& group : wanted ? *wanted : parents)
      if (auto found = whole->second.find(group); found != whole->second.end())
        grouped[group] = found->second;
    return grouped;
  }

  // The candidate of each application named by `items` (v3 children carry only the
  // application_id), read 50 applications per call and remembered.
  void learn_candidates(const json::array& items) {
    std::vector<std::string> unknown;
    std::set<std::string> asked;
    for (const json::value& item : items)
      if (std::optional<std::string> app = member_id(item, "application_id"))
        if (!application_candidates_.count(*app) && asked.insert(*app).second)
          unknown.push_back(*app);
    for (std::size_t start = 0; start < unknown.size(); start += kIdsPerQuery) {
      std::size_t end = std::min(unknown.size(), start + kIdsPerQuery);
      for (const json::value& app : client_.list_all(
               "applications", {{"ids", join(unknown, start, end)}}, "list /v3/applications by id"))
        if (std::optional<std::string> candidate = member_id(app, "candidate_id"))
          application_candidates_[id_of(app)] = *candidate;
    }
  }

  std::string candidate_of(const json::value& item) {
    if (std::optional<std::string> own = member_id(item, "candidate_id"))
      return *own;
    std::optional<std::string> app = member_id(item, "application_id");
    if (!app)
      return {};
    auto it = application_candidates_.find(*app);
    return it == application_candidates_.end() ? std::string() : it->second;
  }

  std::vector<std::string> ids_of(const json::array& items) {
    std::vector<std::string> ids;
    for (const json::value& item : items)
      if (std::string id = id_of(item); !id.empty())
        ids.push_back(id);
    return ids;
  }

  // Rows of an account-wide list by their `key` member, read whole once (paged like the rest).
  std::map<std::string, std::vector<json::value>> whole_list(const std::string& resource,
                                                             const char* key) {
    std::map<std::string, std::vector<json::value>> grouped;
    for (json::value& row : client_.list_all(resource, {}, "list /v3/" + resource))
      if (std::optional<std::string> group = member_id(row, key))
        grouped[*group].push_back(std::move(row));
    return grouped;
  }

  // Text of every row of a small account-wide list, by id (/v3/scorecard_questions,
  // /v3/job_candidate_attributes).
  std::map<std::string, std::string> texts_by_id(const std::string& resource, const char* text) {
    std::map<std::string, std::string> out;
    for (const auto& [id, rows] : whole_list(resource, "id"))
      if (const json::value* value = rows.front().as_object().if_contains(text);
          value && value->is_string())
        out[id] = std::string(value->as_string());
    return out;
  }

  // An account-wide list read whole once and kept, by its `key` member.
  const std::map<std::string, std::vector<json::value>>& account_list(const std::string& resource,
                                                                      const char* key) {
    auto found = account_lists_.find(resource);
    if (found == account_lists_.end())
      found = account_lists_.emplace(resource, whole_list(resource, key)).first;
    return found->second;
  }

  // /v3/job_interviews.name by id: the title of an interview and of its kit's scorecards.
  std::optional<std::string> job_interview_name(const std::optional<std::string>& id) {
    if (!id)
      return std::nullopt;
    if (!job_interview_names_)
      job_interview_names_ = texts_by_id("job_interviews", "name");
    auto found = job_interview_names_->find(*id);
    return found == job_interview_names_->end() ? std::nullopt
                                                : std::optional<std::string>(found->second);
  }

  // A scorecard's form: its interview kit's job interview (scorecards.json interview_kit_id ->
  // interview_kits.json job_interview_id -> job_interviews.json name).
  std::optional<std::string> form_name(const json::value& scorecard) {
    std::optional<std::string> kit = member_id(scorecard, "interview_kit_id");
    if (!kit)
      return std::nullopt;
    const auto& kits = account_list("interview_kits", "id");
    auto found = kits.find(*kit);
    if (found == kits.end())
      return std::nullopt;
    return job_interview_name(member_id(found->second.front(), "job_interview_id"));
  }

  // Answers by scorecard, a select question's chosen options written into its `answer` (v3
  // leaves it null: the choices are /v3/scorecard_question_answer_options rows naming
  // /v3/scorecard_question_options), a yes/no question's boolean_value as Yes/No.
  const std::map<std::string, std::vector<json::value>>& scorecard_answers() {
    if (scorecard_answers_)
      return *scorecard_answers_;
    std::map<std::string, std::string> option_names =
        texts_by_id("scorecard_question_options", "name");
    std::map<std::string, std::vector<std::string>> chosen;  // answer id -> option names
    for (auto& [answer, rows] :
         whole_list("scorecard_question_answer_options", "scorecard_question_answer_id")) {
      // In the order they were chosen (lists run id-descending).
      std::sort(rows.begin(), rows.end(), [](const json::value& a, const json::value& b) {
        return numeric_id(a) < numeric_id(b);
      });
      for (const json::value& row : rows)
        if (std::optional<std::string> option = member_id(row, "scorecard_question_option_id"))
          chosen[answer].push_back(option_names.count(*option) ? option_names[*option]
                                                               : "option " + *option);
    }
    std::map<std::string, std::vector<json::value>> answers =
        whole_list("scorecard_question_answers", "scorecard_id");
    for (auto& [card, rows] : answers)
      for (json::value& row : rows) {
        if (!row.is_object())
          continue;
        json::object& object = row.as_object();
        const json::value* answer = object.if_contains("answer");
        bool empty = answer == nullptr || answer->is_null() ||
                     (answer->is_string() && answer->as_string().empty());
        if (!empty)
          continue;
        if (auto found = chosen.find(id_of(row)); found != chosen.end()) {
          std::string text;
          for (const std::string& name : found->second)
            text += (text.empty() ? "" : ", ") + name;
          object["answer"] = text;
        } else if (const json::value* flag = object.if_contains("boolean_value");
                   flag && flag->is_bool()) {
          object["answer"] = flag->as_bool() ? "Yes" : "No";
        }
      }
    scorecard_answers_ = std::move(answers);
    return *scorecard_answers_;
  }

  // ---- persons --------------------------------------------------------------------------------

  // Names of the education options of `key` (school_name, degree, discipline): listed only by
  // custom_field_key (greenhouse.md §3.2).
  const std::map<std::string, std::string>& education_options(const std::string& key) {
    auto found = education_options_.find(key);
    if (found != education_options_.end())
      return found->second;
    std::map<std::string, std::string> names;
    for (const json::value& row :
         client_.list_all("custom_field_options", {{"custom_field_key", key}},
                          "list /v3/custom_field_options of " + key))
      if (const json::value* name = row.is_object() ? row.as_object().if_contains("name") : nullptr;
          name && name->is_string())
        names[id_of(row)] = std::string(name->as_string());
    return education_options_.emplace(key, std::move(names)).first->second;
  }

  // person.education and person.employment (the session's model extension, members the host
  // keeps) from /v3/candidate_educations and /v3/candidate_employments, each read whole once.
  void add_history(model::Person& person, const std::string& candidate) {
    auto text = [](const json::value& row, const char* key) -> std::optional<std::string> {
      const json::value* value = row.is_object() ? row.as_object().if_contains(key) : nullptr;
      if (value == nullptr || !value->is_string() || value->as_string().empty())
        return std::nullopt;
      return std::string(value->as_string());
    };
    auto number = [](const json::value& row, const char* key) -> std::optional<std::int64_t> {
      const json::value* value = row.is_object() ? row.as_object().if_contains(key) : nullptr;
      return value && value->is_int64() ? std::optional(value->as_int64()) : std::nullopt;
    };
    // "YYYY" or "YYYY-MM" from year and month, else the date of a date-time.
    auto partial_date = [&](const json::value& row, const char* year, const char* month,
                            const char* at) -> std::optional<std::string> {
      if (std::optional<std::int64_t> y = number(row, year)) {
        auto padded = [](std::int64_t n, std::size_t width) {
          std::string digits = std::to_string(n);
          return std::string(digits.size() < width ? width - digits.size() : 0, '0') + digits;
        };
        std::string out = padded(*y, 4);
        if (std::optional<std::int64_t> m = number(row, month))
          out += "-" + padded(*m, 2);
        return out;
      }
      if (std::optional<std::string> time = text(row, at))
        return time->substr(0, 10);
      return std::nullopt;
    };
    json::array education;
    const auto& educations = account_list("candidate_educations", "candidate_id");
    if (auto found = educations.find(candidate); found != educations.end())
      for (const json::value& row : found->second) {
        json::object item;
        auto option = [&](const char* member, const char* key, const char* as) {
          if (std::optional<std::string> id = member_id(row, member)) {
            const auto& names = education_options(key);
            auto name = names.find(*id);
            item[as] = name == names.end() ? "option " + *id : name->second;
          }
        };
        option("school_name_custom_field_option_id", "school_name", "school");
        option("degree_custom_field_option_id", "degree", "degree");
        option("discipline_custom_field_option_id", "discipline", "field_of_study");
        if (auto start = partial_date(row, "start_date_year", "start_date_month", "start_at"))
          item["start"] = *start;
        if (auto end = partial_date(row, "end_date_year", "end_date_month", "end_at"))
          item["end"] = *end;
        if (!item.contains("school"))
          item["school"] = "";  // no school listed: the entry still says what it can
        education.push_back(std::move(item));
      }
    json::array employment;
    const auto& employments = account_list("candidate_employments", "candidate_id");
    if (auto found = employments.find(candidate); found != employments.end())
      for (const json::value& row : found->second) {
        json::object item;
        if (auto company = text(row, "company_name"))
          item["company"] = *company;
        if (auto title = text(row, "title"))
          item["title"] = *title;
        if (auto start = text(row, "start_date"))
          item["start"] = *start;
        std::optional<std::string> end = text(row, "end_date");
        if (end)
          item["end"] = *end;
        item["current"] = !end.has_value();
        employment.push_back(std::move(item));
      }
    if (!education.empty())
      person.extra["education"] = std::move(education);
    if (!employment.empty())
      person.extra["employment"] = std::move(employment);
  }

  // v3 keeps recruiter and coordinator on applications (§6.1): a full run lists every
  // application once (⌈applications/per_page⌉ calls) and keeps only those two ids per candidate;
  // a delta run asks for the changed candidates' applications, 50 candidates per call.
  void read_candidates(const Position& from, sdk::Emitter& emitter) {
    const CustomFieldIndex& index = custom_field_index();
    std::int64_t last = from.last_id;
    walk("candidates", delta(), from, "list /v3/candidates",
         [&](json::array& items, const std::optional<std::string>&,
             const std::optional<std::string>& next) {
           ApplicationStaff page_staff;
           const ApplicationStaff* staff = &page_staff;
           if (!settings_.since) {
             if (!all_staff_) {
               ApplicationStaff everyone;
               for (const json::value& app :
                    client_.list_all("applications", {}, "list /v3/applications for recruiters"))
                 everyone.add(app);
               all_staff_ = std::move(everyone);
             }
             staff = &*all_staff_;
           } else {
             std::vector<std::string> ids = ids_of(items);
             for (std::size_t start = 0; start < ids.size(); start += kIdsPerQuery)
               for (const json::value& app : client_.list_all(
                        "applications",
                        {{"candidate_ids",
                          join(ids, start, std::min(ids.size(), start + kIdsPerQuery))}},
                        "list /v3/applications of changed candidates"))
                 page_staff.add(app);
           }
           std::vector<model::Record> records;
           records.reserve(items.size());
           for (const json::value& item : items) {
             records.push_back(map_candidate(item, index, staff));
             add_history(std::get<model::Person>(records.back()), id_of(item));
           }
           last = last_id_of(items, last);
           emit(emitter, "person", records, next ? checkpoint_text(next, last) : "");
         });
  }

  // ---- candidacies and children -------------------------------------------------------------

  const std::map<std::string, std::vector<json::value>>& referrers() {
    if (!referrers_)
      referrers_ = whole_list("referrers", "id");
    return *referrers_;
  }

  // Rejection details of a page of applications: on a full run the whole list, read once; on a
  // delta run those of the page's applications (50 per call), so an application that changed
  // for another reason keeps its details.
  const std::map<std::string, std::vector<json::value>>& rejection_details(
      const json::array& items) {
    if (settings_.since) {
      page_rejection_details_ =
          children_of(ids_of(items), "rejection_details", "application_ids", "application_id");
      return page_rejection_details_;
    }
    if (!all_rejection_details_)
      all_rejection_details_ = whole_list("rejection_details", "application_id");
    return *all_rejection_details_;
  }

  // The rejection notes the details name, by id: /v3/notes?ids=, 50 per call.
  std::map<std::string, json::value> rejection_notes(
      const std::map<std::string, std::vector<json::value>>& details, const json::array& items) {
    std::vector<std::string> ids;
    for (const json::value& item : items)
      if (auto found = details.find(id_of(item)); found != details.end())
        for (const json::value& detail : found->second)
          if (std::optional<std::string> note = member_id(detail, "rejection_note_id"))
            ids.push_back(*note);
    std::map<std::string, json::value> notes;
    for (std::size_t start = 0; start < ids.size(); start += kIdsPerQuery)
      for (json::value& note : client_.list_all(
               "notes", {{"ids", join(ids, start, std::min(ids.size(), start + kIdsPerQuery))}},
               "list /v3/notes of rejections"))
        notes[id_of(note)] = std::move(note);
    return notes;
  }

  // A prospect's pool, pool stage and owner: /v3/prospect_details with the names from
  // /v3/prospect_pools and /v3/prospect_pool_stages, each read whole once and without a filter,
  // so the reading is the same whether Greenhouse ignores or refuses an undocumented one.
  void add_prospect_detail(const std::string& application, ApplicationExtras& extras) {
    const auto& details = account_list("prospect_details", "application_id");
    auto found = details.find(application);
    if (found == details.end())
      return;
    extras.prospect_detail = &found->second.front();
    auto name_in = [&](const char* list, const char* member) -> std::optional<std::string> {
      std::optional<std::string> id = member_id(*extras.prospect_detail, member);
      if (!id)
        return std::nullopt;
      const auto& rows = account_list(list, "id");
      auto row = rows.find(*id);
      const json::value* name = row == rows.end() || !row->second.front().is_object()
                                    ? nullptr
                                    : row->second.front().as_object().if_contains("name");
      return name && name->is_string() ? std::optional(std::string(name->as_string()))
                                       : std::nullopt;
    };
    extras.prospect_pool = name_in("prospect_pools", "pool_id");
    extras.prospect_pool_stage = name_in("prospect_pool_stages", "pool_stage_id");
  }

  void read_applications(const Position& from, sdk::Emitter& emitter) {
    const CustomFieldIndex& index = custom_field_index();
    std::int64_t last = from.last_id;
    walk("applications", delta(), from, "list /v3/applications",
         [&](json::array& items, const std::optional<std::string>&,
             const std::optional<std::string>& next) {
           auto stages = children_of(ids_of(items), "application_stages", "application_ids",
                                     "application_id");
           const auto& details = rejection_details(items);
           auto notes = rejection_notes(details, items);
           std::vector<model::Record> records;
           for (const json::value& item : items) {
             ApplicationExtras extras;
             if (std::optional<std::string> referrer = member_id(item, "referrer_id"))
               if (auto found = referrers().find(*referrer); found != referrers().end())
                 extras.referrer = &found->second.front();
             if (auto found = details.find(id_of(item)); found != details.end()) {
               extras.rejection_detail = &found->second.front();
               if (std::optional<std::string> note =
                       member_id(*extras.rejection_detail, "rejection_note_id"))
                 if (auto body = notes.find(*note); body != notes.end())
                   extras.rejection_note = &body->second;
             }
             add_prospect_detail(id_of(item), extras);
             records.push_back(map_application(item, stages[id_of(item)], index, extras));
             if (std::optional<std::string> candidate = member_id(item, "candidate_id"))
               application_candidates_[id_of(item)] = *candidate;
           }
           last = last_id_of(items, last);
           emit(emitter, "candidacy", records, next ? checkpoint_text(next, last) : "");
         });
  }

  void read_notes(const Position& from, sdk::Emitter& emitter) {
    std::int64_t last = from.last_id;
    walk("notes", delta(), from, "list /v3/notes",
         [&](json::array& items, const std::optional<std::string>&,
             const std::optional<std::string>& next) {
           std::vector<model::Record> records;
           // Every type: logged emails, LinkedIn messages, follow-ups... each says what it was.
           for (const json::value& item : items)
             records.push_back(map_note(item));
           last = last_id_of(items, last);
           emit(emitter, "note", records, next ? checkpoint_text(next, last) : "");
         });
  }

  // Read once, when the rows do not inline them (the documented v3 shape, §6.5).
  const std::map<std::string, std::string>& attribute_names() {
    if (!attribute_names_)
      attribute_names_ = texts_by_id("job_candidate_attributes", "name");
    return *attribute_names_;
  }

  const std::map<std::string, std::string>& question_texts() {
    if (!question_texts_)
      question_texts_ = texts_by_id("scorecard_questions", "question");
    return *question_texts_;
  }

  void read_scorecards(const Position& from, sdk::Emitter& emitter) {
    std::int64_t last = from.last_id;
    const std::map<std::string, std::string> no_names;
    walk("scorecards", delta(), from, "list /v3/scorecards",
         [&](json::array& items, const std::optional<std::string>&,
             const std::optional<std::string>& next) {
           json::array submitted;
           for (const json::value& item : items) {
             if (is_submitted_scorecard(item))
               submitted.push_back(item);
             else
               ++skipped_;
           }
           learn_candidates(submitted);
           // No source documents a parent filter on these lists: each is read whole once.
           const auto& attributes = account_list("scorecard_candidate_attributes", "scorecard_id");
           const auto& answers = scorecard_answers();
           bool names_needed = false;
           for (const auto& [card, rows] : attributes)
             for (const json::value& row : rows)
               if (!row.is_object() || !row.as_object().contains("name"))
                 names_needed = true;
           bool questions_needed = false;
           for (const auto& [card, rows] : answers)
             for (const json::value& row : rows)
               if (!row.is_object() || !row.as_object().contains("question"))
                 questions_needed = true;
           std::vector<model::Record> records;
           const std::vector<json::value> none;
           for (const json::value& item : submitted) {
             std::string id = id_of(item);
             auto rows = [&](const auto& grouped) -> const std::vector<json::value>& {
               auto found = grouped.find(id);
               return found == grouped.end() ? none : found->second;
             };
             records.push_back(
                 map_scorecard(item, rows(attributes), rows(answers), candidate_of(item),
                               names_needed ? attribute_names() : no_names,
                               questions_needed ? question_texts() : no_names, form_name(item)));
           }
           last = last_id_of(items, last);
           emit(emitter, "feedback", records, next ? checkpoint_text(next, last) : "");
         });
  }

  void read_interviews(const Position& from, sdk::Emitter& emitter) {
    std::int64_t last = from.last_id;
    walk("interviews", delta(), from, "list /v3/interviews",
         [&](json::array& items, const std::optional<std::string>&,
             const std::optional<std::string>& next) {
           learn_candidates(items);
           // Panels: /v3/interviewers defines no parent filter, so it is read whole once.
           const auto& panels = account_list("interviewers", "interview_id");
           const std::vector<json::value> none;
           std::vector<model::Record> records;
           for (const json::value& item : items) {
             auto panel = panels.find(id_of(item));
             records.push_back(map_interview(
                 item, panel == panels.end() ? none : panel->second, candidate_of(item),
                 job_interview_name(member_id(item, "job_interview_id"))));
           }
           last = last_id_of(items, last);
           emit(emitter, "interview", records, next ? checkpoint_text(next, last) : "");
         });
  }

  void read_offers(const Position& from, sdk::Emitter& emitter) {
    std::int64_t last = from.last_id;
    // Only each offer's current version: edits list superseded ones as Deprecated (§6.6).
    Query query = delta();
    query.emplace_back("current_only", "true");
    walk("offers", query, from, "list /v3/offers",
         [&](json::array& items, const std::optional<std::string>&,
             const std::optional<std::string>& next) {
           learn_candidates(items);
           std::vector<model::Record> records;
           for (const json::value& item : items)
             records.push_back(map_offer(item, candidate_of(item)));
           last = last_id_of(items, last);
           emit(emitter, "offer", records, next ? checkpoint_text(next, last) : "");
         });
  }

  // ---- attachments ----------------------------------------------------------------------------

  // candidate_id may be null (attachments.json): the application names the candidate (learnt
  // in bulk while walking; one read for a file fetched later by id in a fresh run).
  model::Record attachment_record(const json::value& item, const FetchedFile& fetched) {
    if (!member_id(item, "candidate_id"))
      learn_candidates(json::array{item});
    return map_attachment(item, fetched, candidate_of(item));
  }

  // A signed URL is used while it has more than half its life ahead; past that, the next
  // attachments' URLs are read again (one call for up to 50) just before their downloads.
  static std::chrono::steady_clock::time_point stale_after(
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
  void refresh_urls(json::array& items, std::size_t start, std::set<std::string>& refreshed,
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
  // filename but no size (specs/greenhouse-v3/schemas/attachments.json), so the check is the
  // answer's Content-Type and, for files small enough for an error page to hide in, the first
  // bytes.
  std::optional<std::string> download_mismatch(const json::value& item, const Download& download) {
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
  FetchedFile fetch_now(const json::value& item) {
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
  static FetchedFile deleted_meanwhile() {
    FetchedFile gone;
    gone.skipped_reason = "deleted in Greenhouse while it was being read (no longer listed)";
    return gone;
  }

  void note_unfetched(const std::string& id, const std::string& failure) {
    host_.log(ATSM_LOG_WARN, source_key("attachment", id) + " not fetched yet (" + failure +
                                 "); it is tried again with a fresh URL");
  }

  void read_attachments(const Position& from, sdk::Emitter& emitter) {
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
  void fetch_owed(std::vector<std::string> owed, std::map<std::string, json::value>& items,
                  sdk::Emitter& emitter) {
    constexpr int kRounds = 3;
    std::map<std::string, std::string> failures;
    for (int round = 0; round < kRounds && !owed.empty(); ++round) {
      if (round > 0)
        pause(std::chrono::milliseconds(500 << (round - 1)));
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

  void pause(std::chrono::milliseconds length) {
    auto until = std::chrono::steady_clock::now() + length;
    while (std::chrono::steady_clock::now() < until) {
      host_.check_cancelled();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  sdk::Host host_;
  Settings settings_;
  GreenhouseClient client_;
  bool delta_warned_ = false;
  std::optional<json::array> custom_fields_;
  std::optional<CustomFieldIndex> custom_field_index_;
  std::optional<std::map<std::string, std::string>> attribute_names_, question_texts_;
  std::optional<ApplicationStaff> all_staff_;
  std::optional<std::map<std::string, std::vector<json::value>>> referrers_, all_rejection_details_;
  std::map<std::string, std::vector<json::value>> page_rejection_details_;
  std::map<std::string, std::string> application_candidates_;
  // Child lists read whole because Greenhouse refused their parent filter.
  std::map<std::string, std::map<std::string, std::vector<json::value>>> whole_lists_;
  std::set<std::string> vanished_;
  std::map<std::string, std::map<std::string, std::vector<json::value>>> account_lists_;
  std::map<std::string, std::map<std::string, std::string>> education_options_;
  std::optional<std::map<std::string, std::string>> job_interview_names_;
  std::optional<std::map<std::string, std::vector<json::value>>> scorecard_answers_;
  std::uint64_t records_ = 0, invalid_ = 0, skipped_ = 0, failed_ = 0;
};

}  // namespace
}  // namespace atsm::greenhouse

namespace atsm::greenhouse {
namespace {
// The descriptions hold parentheses, so the raw string needs its own delimiter.
constexpr const char* kConfigKeysJson =
    R"json([{"name":"base_url","type":"string","description":"Harvest API base URL (v3 paths are appended)","default":"https://harvest.greenhouse.io","required":false},{"name":"token_url","type":"string","description":"OAuth client-credentials token endpoint","default":"https://auth.greenhouse.io/token","required":false},{"name":"per_page","type":"integer","description":"records per list page (1-500)","default":500,"required":false},{"name":"since","type":"string","description":"ISO 8601 time: a delta run reads what was updated since (updated_at=gte|...); deletions are not visible in v3","required":false},{"name":"on_behalf_of","type":"string","description":"numeric id of the acting Site Admin user (the token's sub); default: the credential's service user","required":false},{"name":"rate_limit","type":"integer","description":"requests per 30-second window until the server's X-RateLimit-Limit says otherwise","default":50,"required":false},{"name":"rate_scale","type":"number","description":"divides the 30-second window (the sandbox's --rate-scale)","default":1,"required":false}])json";

// What Harvest v3 holds that the connector does not carry into the canonical model, for the
// report (atsm.source.unmigrated/1, connector.h); objects are the v3 list names.
constexpr const char* kUnmigratedFieldsJson = R"json([
{"object":"applications","field":"job_post_id","reason":"the job post the candidate applied through: jobs are migrated, job-board posts are not (kept in the staged candidacy only)"},
{"object":"interviews","field":"video_conferencing_url","reason":"the meeting link of a past interview: kept in the staged interview only, no canonical field"},
{"object":"openings","field":"*","reason":"job openings (requisition slots) are not read: the canonical job has no openings"},
{"object":"eeoc","field":"*","reason":"EEOC answers are not read: voluntary demographic data a migration does not carry"},
{"object":"demographic_answers","field":"*","reason":"demographic answers are not read: voluntary demographic data a migration does not carry"}
])json";
constexpr atsm_source_unmigrated_v1 kUnmigrated = {sizeof(atsm_source_unmigrated_v1),
                                                   ATSM_ABI_VERSION, kUnmigratedFieldsJson};

const void* extension(const char* id) noexcept {
  if (id != nullptr && std::string_view(id) == ATSM_EXT_SOURCE_UNMIGRATED)
    return &kUnmigrated;
  return nullptr;
}
}  // namespace
}  // namespace atsm::greenhouse

ATSM_DEFINE_CONNECTOR(
    atsm::greenhouse::GreenhouseSource,
    (atsm::sdk::ConnectorInfo{
        .name = "greenhouse",
        .version = "1.0.0",
        .description = "Greenhouse Harvest v3 source: users, departments, offices, custom fields, "
                       "jobs, stages, rejection reasons, sources, tags, candidates, applications "
                       "(prospects included), notes, scorecards, interviews, offers, attachments",
        .capabilities = ATSM_CAP_INCREMENTAL,
        .source_kinds_json =
            R"(["user","department","office","custom_field","job","stage","archive_reason",)"
            R"("source","tag","person","candidacy","note","feedback","interview","offer","file"])",
        .sink_kinds_json = "[]",
        .config_keys_json = atsm::greenhouse::kConfigKeysJson,
        .secrets_json =
            R"([{"name":"GREENHOUSE_CLIENT_ID","description":"Harvest v3 OAuth client id","required":true},)"
            R"({"name":"GREENHOUSE_CLIENT_SECRET","description":"Harvest v3 OAuth client secret","required":true}])",
        .get_extension = &atsm::greenhouse::extension,
    }))
