#include "greenhouse_source.hpp"

namespace atsm::greenhouse {

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

// Walks a list from `from`, calling on_page per page with the page's own URL (none for the
// first) and the next one. A refused cursor restarts the list and skips what was handled.
void GreenhouseSource::walk(const std::string& resource, const Query& query, Position from,
                            const std::string& what, const PageFn& on_page) {
  std::optional<std::string> url = from.page;
  std::int64_t done_through = from.last_id;
  bool restarted = false;
  // The bearer token follows a saved page URL only to this resource of the configured API (a
  // checkpoint from a run with another base_url starts the list over instead).
  std::string own = client_.settings().base_url + "/v3/" + resource + "?";
  if (url && url->rfind(own, 0) != 0) {
    host_.log(ATSM_LOG_WARN, "the " + resource + " checkpoint names a page outside " + own +
                                 "; restarting the list after id " + std::to_string(done_through));
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

std::int64_t GreenhouseSource::last_id_of(const json::array& items, std::int64_t fallback) {
  for (auto it = items.rbegin(); it != items.rend(); ++it)
    if (std::int64_t id = numeric_id(*it); id != 0)
      return id;
  return fallback;
}

// A list whose items map one to one, one batch per page.
void GreenhouseSource::read_simple(const std::string& kind, const std::string& resource,
                                   Query query, const Position& from, sdk::Emitter& emitter,
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

// Children of `parents` from /v3/<resource>?<filter>=<up to 50 ids>, grouped by `parent_key`
// (the parents' own ids unless `wanted` names the groups asked for). Should Greenhouse refuse
// the filter (422), the whole list is read once and kept instead.
std::map<std::string, std::vector<json::value>> GreenhouseSource::children_of(
    const std::vector<std::string>& parents, const std::string& resource, const std::string& filter,
    const char* parent_key, const std::vector<std::string>* wanted) {
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
void GreenhouseSource::learn_candidates(const json::array& items) {
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

std::string GreenhouseSource::candidate_of(const json::value& item) {
  if (std::optional<std::string> own = member_id(item, "candidate_id"))
    return *own;
  std::optional<std::string> app = member_id(item, "application_id");
  if (!app)
    return {};
  auto it = application_candidates_.find(*app);
  return it == application_candidates_.end() ? std::string() : it->second;
}

std::vector<std::string> GreenhouseSource::ids_of(const json::array& items) {
  std::vector<std::string> ids;
  for (const json::value& item : items)
    if (std::string id = id_of(item); !id.empty())
      ids.push_back(id);
  return ids;
}

// Rows of an account-wide list by their `key` member, read whole once (paged like the rest).
std::map<std::string, std::vector<json::value>> GreenhouseSource::whole_list(
    const std::string& resource, const char* key) {
  std::map<std::string, std::vector<json::value>> grouped;
  for (json::value& row : client_.list_all(resource, {}, "list /v3/" + resource))
    if (std::optional<std::string> group = member_id(row, key))
      grouped[*group].push_back(std::move(row));
  return grouped;
}

// Text of every row of a small account-wide list, by id (/v3/scorecard_questions,
// /v3/job_candidate_attributes).
std::map<std::string, std::string> GreenhouseSource::texts_by_id(const std::string& resource,
                                                                 const char* text) {
  std::map<std::string, std::string> out;
  for (const auto& [id, rows] : whole_list(resource, "id"))
    if (const json::value* value = rows.front().as_object().if_contains(text);
        value && value->is_string())
      out[id] = std::string(value->as_string());
  return out;
}

// An account-wide list read whole once and kept, by its `key` member.
const std::map<std::string, std::vector<json::value>>& GreenhouseSource::account_list(
    const std::string& resource, const char* key) {
  auto found = account_lists_.find(resource);
  if (found == account_lists_.end())
    found = account_lists_.emplace(resource, whole_list(resource, key)).first;
  return found->second;
}

}  // namespace atsm::greenhouse
