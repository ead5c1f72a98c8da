#include "greenhouse_source.hpp"

namespace atsm::greenhouse {

const std::map<std::string, std::vector<json::value>>& GreenhouseSource::referrers() {
  if (!referrers_)
    referrers_ = whole_list("referrers", "id");
  return *referrers_;
}

// Rejection details of a page of applications: on a full run the whole list, read once; on a
// delta run those of the page's applications (50 per call), so an application that changed
// for another reason keeps its details.
const std::map<std::string, std::vector<json::value>>& GreenhouseSource::rejection_details(
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
std::map<std::string, json::value> GreenhouseSource::rejection_notes(
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
void GreenhouseSource::add_prospect_detail(const std::string& application,
                                           ApplicationExtras& extras) {
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
    return name && name->is_string() ? std::optional(std::string(name->as_string())) : std::nullopt;
  };
  extras.prospect_pool = name_in("prospect_pools", "pool_id");
  extras.prospect_pool_stage = name_in("prospect_pool_stages", "pool_stage_id");
}

void GreenhouseSource::read_applications(const Position& from, sdk::Emitter& emitter) {
  const CustomFieldIndex& index = custom_field_index();
  std::int64_t last = from.last_id;
  walk("applications", delta(), from, "list /v3/applications",
       [&](json::array& items, const std::optional<std::string>&,
           const std::optional<std::string>& next) {
         auto stages =
             children_of(ids_of(items), "application_stages", "application_ids", "application_id");
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

}  // namespace atsm::greenhouse
