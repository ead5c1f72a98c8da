#include "greenhouse_source.hpp"

namespace atsm::greenhouse {

// Names of the education options of `key` (school_name, degree, discipline): listed only by
// custom_field_key (docs/vendors/greenhouse.md §3).
const std::map<std::string, std::string>& GreenhouseSource::education_options(
    const std::string& key) {
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

// person.education and person.employment from /v3/candidate_educations and
// /v3/candidate_employments, each read whole once.
void GreenhouseSource::add_history(model::Person& person, const std::string& candidate) {
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
  // The model takes "YYYY", "YYYY-MM" or "YYYY-MM-DD"; any other value is left out rather than
  // failing the whole read when the record is serialized.
  auto date = [](std::optional<std::string> value) -> std::optional<std::string> {
    if (value && !model::is_valid_date(value->size() == 4   ? *value + "-01-01"
                                       : value->size() == 7 ? *value + "-01"
                                                            : *value))
      return std::nullopt;
    return value;
  };
  const auto& educations = account_list("candidate_educations", "candidate_id");
  if (auto found = educations.find(candidate); found != educations.end())
    for (const json::value& row : found->second) {
      model::Education item;
      auto option = [&](const char* member, const char* key) -> std::optional<std::string> {
        std::optional<std::string> id = member_id(row, member);
        if (!id)
          return std::nullopt;
        const auto& names = education_options(key);
        auto name = names.find(*id);
        return name == names.end() ? "option " + *id : name->second;
      };
      // No school listed: the entry still says what it can (school "").
      item.school = option("school_name_custom_field_option_id", "school_name").value_or("");
      item.degree = option("degree_custom_field_option_id", "degree");
      item.field_of_study = option("discipline_custom_field_option_id", "discipline");
      item.start = date(partial_date(row, "start_date_year", "start_date_month", "start_at"));
      item.end = date(partial_date(row, "end_date_year", "end_date_month", "end_at"));
      person.education.push_back(std::move(item));
    }
  const auto& employments = account_list("candidate_employments", "candidate_id");
  if (auto found = employments.find(candidate); found != employments.end())
    for (const json::value& row : found->second) {
      model::Employment item;
      item.company = text(row, "company_name");
      item.title = text(row, "title");
      item.start = date(text(row, "start_date"));
      std::optional<std::string> end = text(row, "end_date");
      item.end = date(end);
      item.current = !end.has_value();
      person.employment.push_back(std::move(item));
    }
}

// v3 keeps recruiter and coordinator on applications (§6.1): a full run lists every
// application once (⌈applications/per_page⌉ calls) and keeps only those two ids per candidate;
// a delta run asks for the changed candidates' applications, 50 candidates per call.
void GreenhouseSource::read_candidates(const Position& from, sdk::Emitter& emitter) {
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
             for (const json::value& app :
                  client_.list_all("applications",
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

}  // namespace atsm::greenhouse
