#include "lever_mapping.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include <boost/json/serialize.hpp>

#include "model/email.hpp"
#include "model/time.hpp"

namespace atsm::lever {
namespace json = boost::json;
namespace {

const char* type_name(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "something else";
}

// Typed, problem-recording access to the members of one vendor object.
class Fields {
 public:
  Fields(const json::value& raw, Problems& problems, std::string prefix = "")
      : problems_(problems), prefix_(std::move(prefix)) {
    if (raw.is_object()) {
      object_ = &raw.as_object();
    } else {
      problems_.add(prefix_.empty() ? "(record)" : prefix_,
                    std::string("expected an object, got ") + type_name(raw));
    }
  }

  const json::value* get(const char* key) const {
    if (object_ == nullptr)
      return nullptr;
    const json::value* value = object_->if_contains(key);
    return value == nullptr || value->is_null() ? nullptr : value;
  }

  std::optional<std::string> text(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return std::nullopt;
    if (value->is_string())
      return std::string(value->as_string());
    wrong_type(key, "a string", *value);
    return std::nullopt;
  }

  // A string that must be present and non-empty (ids).
  std::string required_id(const char* key) {
    std::optional<std::string> value = text(key);
    if (!value || value->empty()) {
      if (get(key) == nullptr)
        problems_.add(path(key), "required id is missing");
      return {};
    }
    return *value;
  }

  std::optional<std::int64_t> millis(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return std::nullopt;
    std::optional<std::int64_t> parsed = parse_millis(*value);
    if (!parsed)
      problems_.add(path(key), std::string("expected epoch milliseconds, got ") +
                                   type_name(*value) + " " + json::serialize(*value).substr(0, 60));
    return parsed;
  }

  // The ISO 8601 form of an epoch-ms member.
  std::optional<std::string> time(const char* key) {
    std::optional<std::int64_t> ms = millis(key);
    if (!ms)
      return std::nullopt;
    try {
      return model::format_epoch_millis(*ms);
    } catch (const std::out_of_range&) {
      problems_.add(path(key), "timestamp " + std::to_string(*ms) + " is outside years 0000-9999");
      return std::nullopt;
    }
  }

  std::optional<bool> boolean(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return std::nullopt;
    if (value->is_bool())
      return value->as_bool();
    wrong_type(key, "a boolean", *value);
    return std::nullopt;
  }

  const json::array* array(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return nullptr;
    if (value->is_array())
      return &value->as_array();
    wrong_type(key, "an array", *value);
    return nullptr;
  }

  const json::object* object(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return nullptr;
    if (value->is_object())
      return &value->as_object();
    wrong_type(key, "an object", *value);
    return nullptr;
  }

  // Strings of an array member; non-strings are reported.
  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    if (const json::array* items = array(key)) {
      for (std::size_t i = 0; i < items->size(); ++i) {
        if ((*items)[i].is_string())
          out.emplace_back((*items)[i].as_string());
        else
          problems_.add(path(key) + "[" + std::to_string(i) + "]",
                        std::string("expected a string, got ") + type_name((*items)[i]));
      }
    }
    return out;
  }

  // A reference that is either an id or an expanded object with an id (owner, user, ...).
  std::optional<std::string> ref_id(const char* key) {
    const json::value* value = get(key);
    if (value == nullptr)
      return std::nullopt;
    if (value->is_string())
      return value->as_string().empty() ? std::nullopt
                                        : std::optional<std::string>(value->as_string());
    if (value->is_object()) {
      const json::value* id = value->as_object().if_contains("id");
      if (id != nullptr && id->is_string() && !id->as_string().empty())
        return std::string(id->as_string());
      problems_.add(path(key) + ".id", "expanded object has no id");
      return std::nullopt;
    }
    wrong_type(key, "an id or an object", *value);
    return std::nullopt;
  }

  // A member that must be one of `allowed`; an unknown value is reported and returned as is.
  std::optional<std::string> one_of(const char* key, std::initializer_list<const char*> allowed) {
    std::optional<std::string> value = text(key);
    if (value && std::none_of(allowed.begin(), allowed.end(),
                              [&](const char* name) { return *value == name; })) {
      std::string choices;
      for (const char* name : allowed)
        choices += (choices.empty() ? "" : "|") + std::string(name);
      problems_.add(path(key), "unknown value \"" + *value + "\" (expected " + choices + ")");
    }
    return value;
  }

  std::string path(const char* key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  Problems& problems() { return problems_; }

 private:
  void wrong_type(const char* key, const char* expected, const json::value& got) {
    problems_.add(path(key), std::string("expected ") + expected + ", got " + type_name(got));
  }

  const json::object* object_ = nullptr;
  Problems& problems_;
  std::string prefix_;
};

// Stable stand-in id for a record whose own id is missing, so it can still be staged.
std::string placeholder_id(const json::value& raw) {
  std::size_t hash = std::hash<std::string>{}(json::serialize(raw));
  return "missing-id-" + std::to_string(hash);
}

template <class T>
T start_record(const json::value& raw, const std::string& object, const std::string& id) {
  T record;
  record.source = kSourceName;
  record.source_key = source_key(object, id.empty() ? placeholder_id(raw) : id);
  record.raw = raw;
  return record;
}

template <class T>
model::Record finish(T&& record, const Problems& problems) {
  problems.write_to(record.extra);
  return model::Record(std::forward<T>(record));
}

std::optional<std::string> user_key(const std::optional<std::string>& id) {
  if (!id)
    return std::nullopt;
  return source_key("user", *id);
}

model::LinkType link_type(const std::string& url) {
  std::string lower = url;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("linkedin.com") != std::string::npos)
    return model::LinkType::linkedin;
  if (lower.find("github.com") != std::string::npos)
    return model::LinkType::github;
  for (const char* social : {"twitter.com", "x.com/", "facebook.com", "instagram.com",
                             "dribbble.com", "behance.net", "stackoverflow.com"}) {
    if (lower.find(social) != std::string::npos)
      return model::LinkType::social;
  }
  return model::LinkType::website;
}

// Lever score-system options read "4 - Strong Hire"; plain scores are 1..4 (number or string).
std::optional<model::Recommendation> recommendation_of(const json::value& value) {
  std::optional<std::int64_t> score;
  if (value.is_int64() || value.is_uint64() || value.is_double()) {
    score = parse_millis(value);
  } else if (value.is_string() && !value.as_string().empty()) {
    char first = value.as_string()[0];
    if (first >= '1' && first <= '4')
      score = first - '0';
  }
  if (!score)
    return std::nullopt;
  switch (*score) {
    case 1:
      return model::Recommendation::strong_no;
    case 2:
      return model::Recommendation::no;
    case 3:
      return model::Recommendation::yes;
    case 4:
      return model::Recommendation::strong_yes;
    default:
      return std::nullopt;
  }
}

model::RatingScale option_scale(const json::array* options) {
  model::RatingScale scale;
  if (options == nullptr)
    return scale;
  for (const json::value& option : *options) {
    if (option.is_object()) {
      if (const json::value* text = option.as_object().if_contains("text"))
        scale.values.push_back(*text);
    } else if (option.is_string()) {
      scale.values.push_back(option);
    }
  }
  // Lever lists ratings best first; the model wants worst first.
  std::reverse(scale.values.begin(), scale.values.end());
  return scale;
}

std::vector<json::value> option_values(const json::array* options) {
  std::vector<json::value> values;
  if (options != nullptr)
    for (const json::value& option : *options)
      if (option.is_object() && option.as_object().contains("text"))
        values.push_back(option.as_object().at("text"));
  return values;
}

// Lever sends a date-only value (a date field, an anticipated start date) as the epoch ms of
// midnight in the account's time zone: the documented profile-form date 1418716800000 is
// 2014-12-16T08:00Z, midnight US Pacific ("profile_form_retrieve"). Local midnights fall on
// whole quarter hours; the calendar date is the UTC date twelve hours later, right for every
// zone from UTC-11:45 to UTC+12 (not for UTC+12:45..+14, where it lands a day late). A value
// that is not on a quarter hour is an instant, and its UTC date is taken.
std::optional<std::string> date_of_local_midnight(std::int64_t ms) {
  constexpr std::int64_t kQuarterHour = 15 * 60'000;
  constexpr std::int64_t kHalfDay = 12 * 3600'000;
  std::int64_t at = ms % kQuarterHour == 0 ? ms + kHalfDay : ms;
  try {
    return model::format_epoch_millis(at).substr(0, 10);
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
}

model::RatingScale one_to_four() {
  model::RatingScale scale;
  scale.min = 1;
  scale.max = 4;
  return scale;
}

// Lever form fields (feedback and profile forms; reference §5.3) -> canonical feedback fields.
void map_form_fields(const json::array* fields, Problems& problems,
                     std::vector<model::FeedbackField>& out,
                     std::optional<model::Recommendation>& recommendation) {
  if (fields == nullptr)
    return;
  // The documented interview form rates the candidate with a `score` field "4 - Strong Hire"
  // and no `overall` flag (specs/lever/lever_docs_examples.json "feedback_retrieve"); a form
  // that flags none takes its first score as the overall one.
  bool any_overall = false;
  const json::value* first_score = nullptr;
  for (std::size_t i = 0; i < fields->size(); ++i) {
    const std::string at = "fields[" + std::to_string(i) + "]";
    Fields field((*fields)[i], problems, at);
    std::string type = field.text("type").value_or("");
    model::FeedbackField mapped;
    mapped.label = field.text("text").value_or("");
    const json::value* value = field.get("value");
    if (const json::value* raw_value =
            (*fields)[i].is_object() ? (*fields)[i].as_object().if_contains("value") : nullptr)
      mapped.value = *raw_value;  // JSON null = unanswered, kept as null
    if (type == "scorecard") {
      // One canonical field per skill, grouped under the scorecard's label.
      const json::array* skills = field.array("scores");
      const json::array* ratings =
          value != nullptr && value->is_array() ? &value->as_array() : nullptr;
      if (value != nullptr && ratings == nullptr)
        problems.add(at + ".value", std::string("expected an array, got ") + type_name(*value));
      std::size_t count = std::max(skills ? skills->size() : 0, ratings ? ratings->size() : 0);
      for (std::size_t s = 0; s < count; ++s) {
        model::FeedbackField skill;
        // A rating, not a scorecard_attribute: the Lever feedback's text keeps every skill with
        // its rating and scale, so nothing is lost and no structured note is due (MAPPING.md
        // gives those to Greenhouse scorecards).
        skill.type = model::FeedbackFieldType::rating;
        skill.category = mapped.label;
        skill.scale = one_to_four();
        if (skills && s < skills->size() && (*skills)[s].is_object()) {
          const json::value* text = (*skills)[s].as_object().if_contains("text");
          if (text && text->is_string())
            skill.label = std::string(text->as_string());
        }
        if (skill.label.empty())
          skill.label = mapped.label + " " + std::to_string(s + 1);
        if (ratings && s < ratings->size() && (*ratings)[s].is_object()) {
          const json::object& rating = (*ratings)[s].as_object();
          if (const json::value* score = rating.if_contains("score"))
            skill.value = *score;
          if (const json::value* comment = rating.if_contains("comment");
              comment && comment->is_string())
            skill.note = std::string(comment->as_string());
        } else {
          skill.value = nullptr;
        }
        out.push_back(std::move(skill));
      }
      continue;
    }
    if (type == "score-system") {
      mapped.type = model::FeedbackFieldType::rating;
      mapped.scale = option_scale(field.array("options"));
      if (value != nullptr)
        recommendation = recommendation_of(*value);
    } else if (type == "score") {
      mapped.type = model::FeedbackFieldType::score;
      mapped.scale = one_to_four();
      bool overall = field.boolean("overall").value_or(false);
      any_overall = any_overall || overall;
      if (value != nullptr && first_score == nullptr)
        first_score = value;
      if (value != nullptr && !recommendation && overall)
        recommendation = recommendation_of(*value);
    } else if (type == "yes-no") {
      mapped.type = model::FeedbackFieldType::yes_no;
      if (value != nullptr &&
          !(value->is_string() && (value->as_string() == "yes" || value->as_string() == "no")))
        problems.add(at + ".value", "expected \"yes\", \"no\" or null");
    } else if (type == "text" || type == "university") {
      mapped.type = model::FeedbackFieldType::text;
    } else if (type == "code") {
      mapped.type = model::FeedbackFieldType::text;
      if (std::optional<std::string> language = field.text("language"))
        mapped.extra["language"] = *language;
    } else if (type == "textarea") {
      mapped.type = model::FeedbackFieldType::textarea;
    } else if (type == "dropdown") {
      mapped.type = model::FeedbackFieldType::dropdown;
    } else if (type == "multiple-choice") {
      mapped.type = model::FeedbackFieldType::multiple_choice;
    } else if (type == "multiple-select") {
      mapped.type = model::FeedbackFieldType::multiple_select;
    } else if (type == "date") {
      mapped.type = model::FeedbackFieldType::date;
      if (value != nullptr) {
        if (std::optional<std::int64_t> ms = field.millis("value")) {
          if (std::optional<std::string> date = date_of_local_midnight(*ms))
            mapped.value = *date;
          else
            problems.add(at + ".value", "date is outside years 0000-9999");
        }
      }
    } else if (type == "currency") {
      mapped.type = model::FeedbackFieldType::number;
      if (std::optional<std::string> currency = field.text("currency"))
        mapped.extra["currency"] = *currency;
    } else if (type == "file-upload") {
      mapped.type = model::FeedbackFieldType::other;
    } else {
      mapped.type = model::FeedbackFieldType::other;
      problems.add(at + ".type", "unknown field type \"" + type + "\"");
    }
    std::vector<json::value> options = option_values(field.array("options"));
    if (!options.empty() && mapped.type != model::FeedbackFieldType::rating)
      mapped.extra["options"] = json::array(options.begin(), options.end());
    if (std::optional<std::string> description = field.text("description");
        description && !description->empty())
      mapped.extra["description"] = *description;
    out.push_back(std::move(mapped));
  }
  if (!recommendation && !any_overall && first_score != nullptr)
    recommendation = recommendation_of(*first_score);
}

std::string child_key_person(const OpportunityRef& opportunity) {
  return source_key("contact", opportunity.contact_id);
}

}  // namespace

std::string source_key(const std::string& object, const std::string& id) {
  return std::string(kSourceName) + ":" + object + ":" + id;
}

void Problems::add(std::string field, std::string message) {
  entries_.emplace_back(std::move(field), std::move(message));
}

void Problems::write_to(json::object& extra) const {
  if (entries_.empty())
    return;
  json::array errors;
  for (const auto& [field, message] : entries_)
    errors.push_back(json::object{{"field", field}, {"message", message}});
  extra["validation_errors"] = std::move(errors);
}

std::size_t validation_error_count(const model::Record& record) {
  const json::value* errors = model::envelope(record).extra.if_contains("validation_errors");
  return errors != nullptr && errors->is_array() ? errors->as_array().size() : 0;
}

std::optional<std::int64_t> parse_millis(const json::value& value) {
  if (value.is_int64())
    return value.as_int64();
  if (value.is_uint64()) {
    if (value.as_uint64() > static_cast<std::uint64_t>(INT64_MAX))
      return std::nullopt;
    return static_cast<std::int64_t>(value.as_uint64());
  }
  if (value.is_double()) {
    double number = value.as_double();
    if (!std::isfinite(number) || std::floor(number) != number || std::fabs(number) > 9.0e15)
      return std::nullopt;
    return static_cast<std::int64_t>(number);
  }
  if (value.is_string()) {
    const json::string& text = value.as_string();
    if (text.empty() || text.size() > 18)
      return std::nullopt;
    std::size_t start = text[0] == '-' ? 1 : 0;
    if (start == text.size())
      return std::nullopt;
    for (std::size_t i = start; i < text.size(); ++i)
      if (text[i] < '0' || text[i] > '9')
        return std::nullopt;
    return std::stoll(std::string(text));
  }
  return std::nullopt;
}

std::string contact_id_of(const json::object& opportunity) {
  const json::value* contact = opportunity.if_contains("contact");
  if (contact == nullptr)
    return {};
  if (contact->is_string())
    return std::string(contact->as_string());
  if (contact->is_object()) {
    const json::value* id = contact->as_object().if_contains("id");
    if (id != nullptr && id->is_string())
      return std::string(id->as_string());
  }
  return {};
}

// ---- reference data ---------------------------------------------------------------------------

model::Record map_user(const json::value& raw) {
  Problems problems;
  Fields f(raw, problems);
  auto user = start_record<model::User>(raw, "user", f.required_id("id"));
  user.name = f.text("name").value_or("");
  if (user.name.empty())
    problems.add("name", "user has no name");
  user.email = f.text("email");
  if (user.email && !model::normalize_email(*user.email))
    problems.add("email", "\"" + *user.email + "\" is not an email address");
  // deactivatedAt null = active.
  f.millis("deactivatedAt");
  user.active = f.get("deactivatedAt") == nullptr;
  user.access_role = f.text("accessRole");
  return finish(std::move(user), problems);
}

bool is_lead_stage(const std::string& id, const std::string& title) {
  std::string lower = title;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return id.rfind("lead-", 0) == 0 || lower == "new lead" || lower == "lead";
}

model::Record map_stage(const json::value& raw, std::int64_t order) {
  Problems problems;
  Fields f(raw, problems);
  std::string id = f.required_id("id");
  auto stage = start_record<model::Stage>(raw, "stage", id);
  stage.name = f.text("text").value_or("");
  stage.order = order;
  std::string lower = stage.name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Lever's built-in stage ids name their role, but accounts also show them with UUID ids
  // ("New applicant", "New lead": specs/lever/lever_docs_examples.json "stages_list"), so the
  // title types them as well.
  if (is_lead_stage(id, stage.name))
    stage.stage_type = model::StageType::lead;
  else if (id == "applicant-new" || lower == "new applicant" || lower == "applicant")
    stage.stage_type = model::StageType::applied;
  else if (id == "offer" || lower.find("offer") != std::string::npos)
    stage.stage_type = model::StageType::offer;
  else if (lower.find("screen") != std::string::npos)
    stage.stage_type = model::StageType::screen;
  else if (lower.find("interview") != std::string::npos ||
           lower.find("on-site") != std::string::npos || lower.find("onsite") != std::string::npos)
    stage.stage_type = model::StageType::interview;
  else if (lower.find("hired") != std::string::npos)
    stage.stage_type = model::StageType::hired;
  else
    stage.stage_type = model::StageType::other;
  return finish(std::move(stage), problems);
}

model::Record map_archive_reason(const json::value& raw) {
  Problems problems;
  Fields f(raw, problems);
  auto reason = start_record<model::ArchiveReason>(raw, "archive_reason", f.required_id("id"));
  reason.name = f.text("text").value_or("");
  std::optional<std::string> type = f.one_of("type", {"hired", "non-hired"});
  if (!type)
    problems.add("type", "archive reason has no type");
  reason.type =
      type == "hired" ? model::ArchiveReasonType::hired : model::ArchiveReasonType::non_hired;
  if (std::optional<std::string> status = f.one_of("status", {"active", "inactive"}))
    reason.extra["status"] = *status;
  return finish(std::move(reason), problems);
}

model::Record map_source(const json::value& raw) {
  Problems problems;
  Fields f(raw, problems);
  std::string text = f.required_id("text");
  auto source = start_record<model::Source>(raw, "source", text);
  source.name = text;
  return finish(std::move(source), problems);
}

model::Record map_tag(const json::value& raw) {
  Problems problems;
  Fields f(raw, problems);
  std::string text = f.required_id("text");
  auto tag = start_record<model::Tag>(raw, "tag", text);
  tag.name = text;
  return finish(std::move(tag), problems);
}

namespace {

// A posting's locations: allLocations when present, else its single location.
std::vector<std::string> posting_locations(const json::object* categories) {
  std::vector<std::string> out;
  if (categories == nullptr)
    return out;
  if (const json::value* all = categories->if_contains("allLocations"); all && all->is_array())
    for (const json::value& location : all->as_array())
      if (location.is_string() && !location.as_string().empty())
        out.emplace_back(location.as_string());
  if (out.empty())
    if (const json::value* one = categories->if_contains("location");
        one && one->is_string() && !one->as_string().empty())
      out.emplace_back(one->as_string());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::string> category(const json::object* categories, const char* name) {
  if (categories == nullptr)
    return std::nullopt;
  const json::value* value = categories->if_contains(name);
  if (value == nullptr || !value->is_string() || value->as_string().empty())
    return std::nullopt;
  return std::string(value->as_string());
}

template <class T>
std::vector<model::Record> named_from_postings(const std::vector<json::value>& postings,
                                               const char* object, bool locations) {
  std::map<std::string, json::array> names;  // name -> posting ids
  for (const json::value& posting : postings) {
    if (!posting.is_object())
      continue;
    const json::object& fields = posting.as_object();
    const json::value* categories_value = fields.if_contains("categories");
    const json::object* categories = categories_value && categories_value->is_object()
                                         ? &categories_value->as_object()
                                         : nullptr;
    std::vector<std::string> found;
    if (locations) {
      found = posting_locations(categories);
    } else if (std::optional<std::string> department = category(categories, "department")) {
      found.push_back(*department);
    }
    const json::value* id = fields.if_contains("id");
    for (const std::string& name : found) {
      json::array& ids = names[name];
      if (id != nullptr && id->is_string())
        ids.push_back(*id);
    }
  }
  std::vector<model::Record> out;
  for (auto& [name, ids] : names) {
    json::value raw = json::object{{"name", name}, {"postings", ids}};
    T record = start_record<T>(raw, object, name);
    record.name = name;
    out.emplace_back(std::move(record));
  }
  return out;
}

}  // namespace

std::vector<model::Record> departments_from_postings(const std::vector<json::value>& postings) {
  return named_from_postings<model::Department>(postings, "department", false);
}

std::vector<model::Record> offices_from_postings(const std::vector<json::value>& postings) {
  return named_from_postings<model::Office>(postings, "office", true);
}

model::Record map_posting(const json::value& raw) {
  Problems problems;
  Fields f(raw, problems);
  auto job = start_record<model::Job>(raw, "posting", f.required_id("id"));
  job.title = f.text("text").value_or("");
  if (job.title.empty())
    problems.add("text", "posting has no title");
  std::optional<std::string> state =
      f.one_of("state", {"published", "internal", "closed", "draft", "pending", "rejected"});
  if (state == "published" || state == "internal")
    job.status = model::JobStatus::open;
  else if (state == "closed")
    job.status = model::JobStatus::closed;
  else if (state == "rejected")
    job.status = model::JobStatus::archived;
  else
    job.status = model::JobStatus::draft;  // draft, pending approval, or unknown
  if (state)
    job.extra["lever_state"] = *state;
  if (std::optional<std::string> confidentiality =
          f.one_of("confidentiality", {"confidential", "non-confidential"}))
    job.confidential = *confidentiality == "confidential";
  const json::object* categories = f.object("categories");
  if (std::optional<std::string> department = category(categories, "department"))
    job.department_keys.push_back(source_key("department", *department));
  for (const std::string& location : posting_locations(categories))
    job.office_keys.push_back(source_key("office", location));
  job.location = category(categories, "location");
  job.team = category(categories, "team");
  if (std::optional<std::string> commitment = category(categories, "commitment"))
    job.extra["commitment"] = *commitment;
  job.owner_user_key = user_key(f.ref_id("owner"));
  if (!job.owner_user_key)
    job.owner_user_key = user_key(f.ref_id("user"));
  if (std::optional<std::string> manager = f.ref_id("hiringManager"))
    job.hiring_manager_user_keys.push_back(source_key("user", *manager));
  std::vector<std::string> codes = f.strings("requisitionCodes");
  if (!codes.empty())
    job.requisition_code = codes.front();
  else
    job.requisition_code = f.text("reqCode");
  job.created_at = f.time("createdAt");
  job.updated_at = f.time("updatedAt");
  return finish(std::move(job), problems);
}

// ---- persons ------------------------------------------------------------------------------------

namespace {
// The person fields an opportunity carries beside its contact (links live only there).
constexpr const char* kPersonFieldsOfOpportunity[] = {"links",    "name",   "headline",
                                                      "location", "emails", "phones"};
}  // namespace

void ContactAggregate::add_opportunity(const json::object& opportunity) {
  Problems ignored;  // problems are reported on the candidacy record
  json::value holder(opportunity);
  Fields f(holder, ignored);
  std::optional<std::int64_t> created = f.millis("createdAt");
  if (const json::value* contact = opportunity.if_contains("contact");
      contact && contact->is_object())
    contact_ = *contact;
  bool newer = !has_newest_ || (created && (!newest_created_ || *created > *newest_created_));
  if (newer) {
    // Only what to_person takes from it (the person fields, the owner, the anonymized flag): an
    // aggregate lives for every contact of the account at once, and a whole opportunity is
    // many times that.
    newest_.clear();
    for (const char* key : kPersonFieldsOfOpportunity)
      if (const json::value* value = opportunity.if_contains(key))
        newest_[key] = *value;
    for (const char* key : {"owner", "isAnonymized"})
      if (const json::value* value = opportunity.if_contains(key))
        newest_[key] = *value;
    has_newest_ = true;
    newest_created_ = created;
  }
  if (created && (!earliest_created_ || *created < *earliest_created_)) {
    earliest_created_ = created;
    earliest_origin_ = f.text("origin").value_or("");
  }
  for (const std::string& tag : f.strings("tags"))
    tags_.insert(tag);
  for (const std::string& source : f.strings("sources"))
    sources_.insert(source);
  if (const json::array* followers = f.array("followers")) {
    for (const json::value& follower : *followers) {
      if (follower.is_string())
        followers_.insert(std::string(follower.as_string()));
      else if (follower.is_object() && follower.as_object().contains("id") &&
               follower.as_object().at("id").is_string())
        followers_.insert(std::string(follower.as_object().at("id").as_string()));
    }
  }
  if (f.text("confidentiality") == std::optional<std::string>("confidential"))
    any_confidential_ = true;
  if (std::optional<std::string> id = f.text("id"))
    opportunity_ids_.push_back(*id);
}

namespace {

// parsedData's {year, month} -> "YYYY" or "YYYY-MM" (as precise as the source is).
std::optional<std::string> year_month(const json::value* value) {
  if (value == nullptr || !value->is_object())
    return std::nullopt;
  const json::value* year = value->as_object().if_contains("year");
  std::optional<std::int64_t> y = year ? parse_millis(*year) : std::nullopt;
  if (!y || *y < 1 || *y > 9999)
    return std::nullopt;
  char text[8];
  std::snprintf(text, sizeof text, "%04d", static_cast<int>(*y));
  std::string out = text;
  const json::value* month = value->as_object().if_contains("month");
  std::optional<std::int64_t> m = month ? parse_millis(*month) : std::nullopt;
  if (m && *m >= 1 && *m <= 12) {
    std::snprintf(text, sizeof text, "-%02d", static_cast<int>(*m));
    out += text;
  }
  return out;
}

std::optional<std::string> nonempty_text(const json::object& object, const char* key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string() || value->as_string().empty())
    return std::nullopt;
  return std::string(value->as_string());
}

}  // namespace

void ContactAggregate::add_resume(const json::value& resume) {
  const json::value* parsed =
      resume.is_object() ? resume.as_object().if_contains("parsedData") : nullptr;
  if (parsed == nullptr || !parsed->is_object())
    return;
  // resumes_list: positions {org, title, summary, location, start, end} and schools {org,
  // degree, field, summary, start, end} -> person.employment / person.education (common.md).
  auto each = [&](const char* key, auto&& add) {
    const json::value* items = parsed->as_object().if_contains(key);
    if (items != nullptr && items->is_array())
      for (const json::value& item : items->as_array())
        if (item.is_object())
          add(item.as_object());
  };
  each("positions", [&](const json::object& position) {
    json::object entry;
    if (auto org = nonempty_text(position, "org"))
      entry["company"] = *org;
    if (auto title = nonempty_text(position, "title"))
      entry["title"] = *title;
    if (auto start = year_month(position.if_contains("start")))
      entry["start"] = *start;
    if (auto end = year_month(position.if_contains("end")))
      entry["end"] = *end;
    if (!entry.empty() &&
        std::find(employment_.begin(), employment_.end(), entry) == employment_.end())
      employment_.push_back(std::move(entry));
  });
  each("schools", [&](const json::object& school) {
    auto org = nonempty_text(school, "org");
    if (!org)
      return;
    json::object entry{{"school", *org}};
    if (auto degree = nonempty_text(school, "degree"))
      entry["degree"] = *degree;
    if (auto field = nonempty_text(school, "field"))
      entry["field_of_study"] = *field;
    if (auto start = year_month(school.if_contains("start")))
      entry["start"] = *start;
    if (auto end = year_month(school.if_contains("end")))
      entry["end"] = *end;
    if (std::find(education_.begin(), education_.end(), entry) == education_.end())
      education_.push_back(std::move(entry));
  });
}

model::Record ContactAggregate::to_person(const std::string& contact_id) const {
  Problems problems;
  // The raw record is the contact as Lever shows it, plus the opportunity-level person fields
  // (links live only there) of the newest opportunity.
  json::object raw;
  if (contact_.is_object())
    raw = contact_.as_object();
  for (const char* key : kPersonFieldsOfOpportunity)
    if (!raw.contains(key) && newest_.contains(key))
      raw[key] = newest_.at(key);
  json::value raw_value(raw);
  auto person = start_record<model::Person>(raw_value, "contact", contact_id);
  if (contact_id.empty())
    problems.add("contact", "opportunity names no contact id");
  Fields f(raw_value, problems);
  person.name = f.text("name");
  if (!person.name || person.name->empty()) {
    // Real accounts hold opportunities with name "" and no contact data (issue 16 §3): Ashby
    // needs a name, so the record says so instead of becoming a nameless candidate.
    std::string opportunities;
    for (const std::string& id : opportunity_ids_)
      opportunities += (opportunities.empty() ? "" : ", ") + source_key("opportunity", id);
    problems.add("name", source_key("contact", contact_id) + " has no name (Ashby requires one)" +
                             (opportunities.empty() ? "" : "; seen on " + opportunities));
  }
  person.headline = f.text("headline");
  if (person.headline && person.headline->empty())
    person.headline.reset();
  // Contact location is {name}; the opportunity's is a string.
  if (const json::value* location = f.get("location")) {
    if (location->is_string()) {
      person.location = std::string(location->as_string());
    } else if (location->is_object()) {
      const json::value* name = location->as_object().if_contains("name");
      if (name && name->is_string())
        person.location = std::string(name->as_string());
    } else {
      problems.add("location",
                   std::string("expected a string or {name}, got ") + type_name(*location));
    }
    if (person.location && person.location->empty())
      person.location.reset();
  }
  std::vector<std::string> emails = f.strings("emails");
  for (std::size_t i = 0; i < emails.size(); ++i) {
    model::Email email;
    email.address = emails[i];
    email.normalized = model::normalize_email(email.address);
    if (!email.normalized)
      problems.add("emails[" + std::to_string(i) + "]",
                   "\"" + email.address + "\" is not an email address");
    person.emails.push_back(std::move(email));
  }
  if (const json::array* phones = f.array("phones")) {
    for (std::size_t i = 0; i < phones->size(); ++i) {
      Fields phone((*phones)[i], problems, "phones[" + std::to_string(i) + "]");
      model::Phone mapped;
      mapped.number = phone.text("value").value_or("");
      if (mapped.number.empty())
        continue;
      mapped.type = phone.one_of("type", {"other", "home", "mobile", "work", "skype"});
      person.phones.push_back(std::move(mapped));
    }
  }
  for (const std::string& url : f.strings("links")) {
    model::Link link;
    link.url = url;
    link.type = link_type(url);
    person.links.push_back(std::move(link));
  }
  person.anonymized = f.boolean("isAnonymized");
  person.tags.assign(tags_.begin(), tags_.end());
  if (has_newest_) {
    json::value newest(newest_);
    Problems ignored;
    Fields opportunity(newest, ignored);
    person.owner_user_key = user_key(opportunity.ref_id("owner"));
    if (!person.anonymized)
      person.anonymized = opportunity.boolean("isAnonymized");
  }
  person.confidential = any_confidential_;
  if (earliest_created_) {
    try {
      person.created_at = model::format_epoch_millis(*earliest_created_);
    } catch (const std::out_of_range&) {
      problems.add("createdAt", "timestamp is outside years 0000-9999");
    }
  }
  if (!earliest_origin_.empty())
    person.extra["origin"] = earliest_origin_;
  if (!sources_.empty()) {
    json::array sources;
    for (const std::string& source : sources_)
      sources.push_back(
          json::object{{"source_key", source_key("source", source)}, {"name", source}});
    person.extra["sources"] = std::move(sources);
  }
  if (!followers_.empty()) {
    json::array followers;
    for (const std::string& follower : followers_)
      followers.emplace_back(source_key("user", follower));
    person.extra["follower_user_keys"] = std::move(followers);
  }
  if (!education_.empty())
    person.extra["education"] = json::array(education_.begin(), education_.end());
  if (!employment_.empty())
    person.extra["employment"] = json::array(employment_.begin(), employment_.end());
  json::array opportunities;
  for (const std::string& id : opportunity_ids_)
    opportunities.emplace_back(source_key("opportunity", id));
  person.extra["candidacy_keys"] = std::move(opportunities);
  return finish(std::move(person), problems);
}

// ---- candidacies -------------------------------------------------------------------------------

namespace {

// One answer as text: strings as they are, a multiple-select's values joined, a date field's
// local date, a file-upload answer by its file name (its bytes become a file record).
std::optional<std::string> answer_text(const json::value& value, const std::string& type) {
  if (value.is_null())
    return std::nullopt;
  if (value.is_string())
    return std::string(value.as_string());
  if (type == "date")
    if (std::optional<std::int64_t> ms = parse_millis(value))
      return date_of_local_midnight(*ms);
  if (value.is_array()) {
    std::string joined;
    for (const json::value& item : value.as_array())
      if (std::optional<std::string> text = answer_text(item, ""))
        joined += (joined.empty() ? "" : ", ") + *text;
    return joined;
  }
  if (value.is_object()) {
    const json::object& object = value.as_object();
    for (const char* key : {"name", "text", "value"})
      if (const json::value* member = object.if_contains(key); member && member->is_string())
        return std::string(member->as_string());
  }
  if (value.is_bool())
    return value.as_bool() ? "yes" : "no";
  return json::serialize(value);
}

}  // namespace

std::string application_file_key(const std::string& file_id) {
  return source_key("application_file", file_id);
}

std::vector<json::object> application_files(const json::value& opportunity) {
  std::vector<json::object> files;
  if (!opportunity.is_object())
    return files;
  const json::value* applications = opportunity.as_object().if_contains("applications");
  if (applications == nullptr || !applications->is_array())
    return files;
  for (const json::value& application : applications->as_array()) {
    const json::value* forms =
        application.is_object() ? application.as_object().if_contains("customQuestions") : nullptr;
    if (forms == nullptr || !forms->is_array())
      continue;
    for (const json::value& form : forms->as_array()) {
      const json::value* fields =
          form.is_object() ? form.as_object().if_contains("fields") : nullptr;
      if (fields == nullptr || !fields->is_array())
        continue;
      for (const json::value& field : fields->as_array()) {
        if (!field.is_object())
          continue;
        const json::value* type = field.as_object().if_contains("type");
        const json::value* value = field.as_object().if_contains("value");
        if (type && type->is_string() && type->as_string() == "file-upload" && value &&
            value->is_object() && value->as_object().contains("id"))
          files.push_back(value->as_object());
      }
    }
  }
  return files;
}

namespace {

// An expanded application's answers (specs/lever/lever_docs_examples.json "application_retrieve",
// "application_referral_from_list"): posting and referral form answers (customQuestions), the
// applicant's company and the requisition hired for become form answers; comments, the cover
// letter. ownerId/hiringManager/postingOwner/postingHiringManager repeat the posting's (the job
// record carries them); name, email, phone and links repeat the person's.
void add_application_answers(Fields& app, Problems& problems, json::array& answers,
                             std::string& cover_letter) {
  if (std::optional<std::string> comments = app.text("comments"); comments && !comments->empty())
    cover_letter += (cover_letter.empty() ? "" : "\n\n") + *comments;
  if (std::optional<std::string> company = app.text("company"); company && !company->empty())
    answers.push_back(
        json::object{{"form", "Application"}, {"question", "Company"}, {"answer", *company}});
  if (const json::object* requisition = app.object("requisitionForHire")) {
    const json::value* code = requisition->if_contains("requisitionCode");
    if (code && code->is_string() && !code->as_string().empty())
      answers.push_back(json::object{{"form", "Application"},
                                     {"question", "Requisition for hire"},
                                     {"answer", code->as_string()}});
  }
  const json::array* forms = app.array("customQuestions");
  if (forms == nullptr)
    return;
  for (std::size_t i = 0; i < forms->size(); ++i) {
    Fields form((*forms)[i], problems, app.path("customQuestions") + "[" + std::to_string(i) + "]");
    std::string form_name = form.text("text").value_or("");
    const json::array* fields = form.array("fields");
    if (fields == nullptr)
      continue;
    for (std::size_t j = 0; j < fields->size(); ++j) {
      Fields field((*fields)[j], problems, form.path("fields") + "[" + std::to_string(j) + "]");
      std::string type = field.text("type").value_or("");
      json::object answer;
      if (!form_name.empty())
        answer["form"] = form_name;
      answer["question"] = field.text("text").value_or("");
      const json::value* value = field.get("value");
      if (value != nullptr) {
        if (std::optional<std::string> text = answer_text(*value, type))
          answer["answer"] = *text;
        if (type == "file-upload" && value->is_object()) {
          const json::value* id = value->as_object().if_contains("id");
          if (id && id->is_string())
            answer["file_keys"] =
                json::array{json::value(application_file_key(std::string(id->as_string())))};
          else
            problems.add(field.path("value.id"), "file-upload answer names no file id");
        }
      }
      answers.push_back(std::move(answer));
    }
  }
}

}  // namespace

model::Record map_opportunity(const json::value& raw, const HiredReasons& reasons,
                              const std::set<std::string>& lead_stages) {
  Problems problems;
  Fields f(raw, problems);
  auto candidacy = start_record<model::Candidacy>(raw, "opportunity", f.required_id("id"));
  std::string contact = raw.is_object() ? contact_id_of(raw.as_object()) : "";
  if (contact.empty())
    problems.add("contact", "required id is missing");
  candidacy.person_key = source_key("contact", contact.empty() ? "missing" : contact);
  // The posting comes from the (expanded) application; a lead has none.
  if (const json::array* applications = f.array("applications")) {
    std::vector<std::string> postings;
    json::array form_answers;
    std::string cover_letter;
    for (std::size_t i = 0; i < applications->size(); ++i) {
      const json::value& application = (*applications)[i];
      if (!application.is_object())
        continue;  // an unexpanded id: nothing to learn
      Fields app(application, problems, "applications[" + std::to_string(i) + "]");
      if (std::optional<std::string> posting = app.ref_id("posting"))
        postings.push_back(*posting);
      if (!candidacy.applied_at)
        candidacy.applied_at = app.time("createdAt");
      if (std::optional<std::string> type = app.one_of("type", {"posting", "user", "referral"}))
        candidacy.extra["application_type"] = *type;
      add_application_answers(app, problems, form_answers, cover_letter);
    }
    if (!form_answers.empty())
      candidacy.extra["form_answers"] = std::move(form_answers);
    if (!cover_letter.empty())
      candidacy.extra["cover_letter"] = cover_letter;
    if (!postings.empty())
      candidacy.job_key = source_key("posting", postings.front());
    if (postings.size() > 1) {
      json::array more;
      for (std::size_t i = 1; i < postings.size(); ++i)
        more.emplace_back(source_key("posting", postings[i]));
      candidacy.extra["additional_job_keys"] = std::move(more);
    }
  }
  std::optional<std::string> stage = f.ref_id("stage");
  if (stage)
    candidacy.stage_key = source_key("stage", *stage);
  // Archived: {reason, archivedAt} or null.
  std::optional<std::string> reason;
  if (const json::object* archived = f.object("archived")) {
    json::value archived_value(*archived);
    Fields a(archived_value, problems, "archived");
    reason = a.ref_id("reason");
    candidacy.archived_at = a.time("archivedAt");
    if (reason)
      candidacy.archive_reason_key = source_key("archive_reason", *reason);
    else
      problems.add("archived.reason", "archived opportunity has no reason");
  }
  // Status (seed guide, MAPPING.md): archived with a hired-type reason -> hired; any other
  // archived -> archived; in a lead stage -> lead; otherwise active.
  if (f.object("archived") != nullptr) {
    auto found = reason ? reasons.find(*reason) : reasons.end();
    if (reason && found == reasons.end())
      problems.add("archived.reason", "unknown archive reason " + *reason);
    candidacy.status = found != reasons.end() && found->second ? model::CandidacyStatus::hired
                                                               : model::CandidacyStatus::archived;
  } else if (stage && (stage->rfind("lead-", 0) == 0 || lead_stages.count(*stage) > 0)) {
    candidacy.status = model::CandidacyStatus::lead;
  } else {
    candidacy.status = model::CandidacyStatus::active;
  }
  // Stage history, oldest first.
  if (const json::array* changes = f.array("stageChanges")) {
    std::vector<std::pair<std::int64_t, model::StageChange>> ordered;
    for (std::size_t i = 0; i < changes->size(); ++i) {
      Fields change((*changes)[i], problems, "stageChanges[" + std::to_string(i) + "]");
      std::optional<std::string> to = change.text("toStageId");
      std::optional<std::int64_t> at = change.millis("updatedAt");
      std::optional<std::string> when = change.time("updatedAt");
      if (!to || !at || !when) {
        if (!to)
          problems.add(change.path("toStageId"), "required id is missing");
        continue;
      }
      model::StageChange mapped;
      mapped.stage_key = source_key("stage", *to);
      mapped.entered_at = *when;
      mapped.by_user_key = user_key(change.text("userId"));
      ordered.emplace_back(*at, std::move(mapped));
    }
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [at, change] : ordered)
      candidacy.stage_history.push_back(std::move(change));
  }
  for (const std::string& name : f.strings("sources")) {
    model::SourceRef source;
    source.source_key = source_key("source", name);
    source.name = name;
    candidacy.sources.push_back(std::move(source));
  }
  candidacy.credited_to_user_key = user_key(f.ref_id("sourcedBy"));
  candidacy.owner_user_key = user_key(f.ref_id("owner"));
  candidacy.created_at = f.time("createdAt");
  if (!candidacy.created_at && f.get("createdAt") == nullptr)
    problems.add("createdAt", "opportunity has no creation time");
  candidacy.updated_at = f.time("updatedAt");
  candidacy.is_prospect = !candidacy.job_key.has_value();
  if (std::optional<std::string> confidentiality =
          f.one_of("confidentiality", {"confidential", "non-confidential"}))
    candidacy.confidential = *confidentiality == "confidential";
  candidacy.tags = f.strings("tags");
  if (std::optional<std::string> origin = f.one_of(
          "origin", {"agency", "applied", "internal", "referred", "sourced", "university"}))
    candidacy.extra["origin"] = *origin;
  if (const json::array* followers = f.array("followers")) {
    json::array keys;
    for (const json::value& follower : *followers) {
      if (follower.is_string())
        keys.emplace_back(source_key("user", std::string(follower.as_string())));
      else if (follower.is_object() && follower.as_object().contains("id") &&
               follower.as_object().at("id").is_string())
        keys.emplace_back(
            source_key("user", std::string(follower.as_object().at("id").as_string())));
    }
    if (!keys.empty())
      candidacy.extra["follower_user_keys"] = std::move(keys);
  }
  if (std::optional<std::string> last = f.time("lastInteractionAt"))
    candidacy.extra["last_interaction_at"] = *last;
  if (std::optional<bool> anonymized = f.boolean("isAnonymized"); anonymized && *anonymized)
    candidacy.extra["anonymized"] = true;
  return finish(std::move(candidacy), problems);
}

// ---- children
// -------------------------------------------------------------------------------------

model::Record map_note(const json::value& raw, const OpportunityRef& opportunity) {
  Problems problems;
  Fields f(raw, problems);
  auto note = start_record<model::Note>(raw, "note", f.required_id("id"));
  note.person_key = child_key_person(opportunity);
  note.candidacy_key = source_key("opportunity", opportunity.id);
  std::optional<std::string> note_author = f.ref_id("user");
  note.author_user_key = user_key(note_author);
  note.created_at = f.time("createdAt");
  note.is_private = f.boolean("secret");
  f.millis("deletedAt");
  note.deleted = f.get("deletedAt") != nullptr;
  // A note is a thread: one field per comment. The body keeps every comment in order; later
  // comments name their author and time because the target credits the whole note to one user.
  std::string body;
  if (const json::array* comments = f.array("fields")) {
    for (std::size_t i = 0; i < comments->size(); ++i) {
      Fields comment((*comments)[i], problems, "fields[" + std::to_string(i) + "]");
      std::optional<std::string> value = comment.text("value");
      if (!value)
        continue;
      // A comment's score and the stage it was written at (note_retrieve) stay in the body,
      // which is what reaches the target.
      std::string context;
      if (const json::value* score = comment.get("score"))
        context = "score " +
                  (score->is_string() ? std::string(score->as_string()) : json::serialize(*score));
      if (std::optional<std::string> stage = comment.ref_id("stage"))
        context +=
            (context.empty() ? "" : ", ") + std::string("at stage ") + source_key("stage", *stage);
      if (!context.empty())
        *value += " [" + context + "]";
      std::optional<std::string> by = comment.ref_id("user");
      // Later comments, and a first one written by someone else than the note's author, say who
      // wrote them: the target credits the whole note to one user.
      if (!body.empty() || (by && by != note_author)) {
        body += body.empty() ? "" : "\n\n";
        std::optional<std::string> at = comment.time("createdAt");
        body += "— reply";
        if (by)
          body += " by " + source_key("user", *by);
        if (at)
          body += " at " + *at;
        body += ":\n";
      }
      body += *value;
    }
  }
  if (body.empty()) {
    if (std::optional<std::string> text = f.text("text"))
      body = *text;
    else
      problems.add("fields", "note has no text");
  }
  note.body = body;
  note.body_format = model::BodyFormat::text;
  return finish(std::move(note), problems);
}

namespace {

model::Record map_form(const json::value& raw, const OpportunityRef& opportunity,
                       const char* object) {
  Problems problems;
  Fields f(raw, problems);
  auto feedback = start_record<model::Feedback>(raw, object, f.required_id("id"));
  feedback.person_key = child_key_person(opportunity);
  feedback.candidacy_key = source_key("opportunity", opportunity.id);
  // The retrieved form names user/interview, the documented update response userId/interviewId
  // ("feedback_retrieve", "feedback_update_response").
  std::optional<std::string> author = f.ref_id("user");
  feedback.author_user_key = user_key(author ? author : f.ref_id("userId"));
  std::optional<std::string> interview = f.ref_id("interview");
  if (!interview)
    interview = f.ref_id("interviewId");
  if (interview)
    feedback.interview_key = source_key("interview", *interview);
  feedback.form_name = f.text("text");
  feedback.submitted_at = f.time("completedAt");
  if (!feedback.submitted_at)
    feedback.submitted_at = f.time("createdAt");
  if (std::optional<std::string> type =
          f.one_of("type", {"interview", "assignment", "assigment", "share", "form", "referral"}))
    feedback.extra["feedback_type"] = *type;
  if (std::optional<std::string> instructions = f.text("instructions");
      instructions && !instructions->empty())
    feedback.extra["instructions"] = *instructions;
  if (std::optional<std::string> template_id = f.text("baseTemplateId"))
    feedback.extra["template_id"] = *template_id;
  map_form_fields(f.array("fields"), problems, feedback.fields, feedback.recommendation);
  return finish(std::move(feedback), problems);
}

}  // namespace

model::Record map_feedback(const json::value& raw, const OpportunityRef& opportunity) {
  return map_form(raw, opportunity, "feedback");
}

model::Record map_profile_form(const json::value& raw, const OpportunityRef& opportunity) {
  return map_form(raw, opportunity, "form");
}

model::Record map_interview(const json::value& raw, const OpportunityRef& opportunity,
                            std::int64_t now_ms) {
  Problems problems;
  Fields f(raw, problems);
  auto interview = start_record<model::Interview>(raw, "interview", f.required_id("id"));
  interview.person_key = child_key_person(opportunity);
  interview.candidacy_key = source_key("opportunity", opportunity.id);
  interview.title = f.text("subject");
  std::optional<std::int64_t> date = f.millis("date");
  interview.start_at = f.time("date");
  if (date) {
    if (std::optional<std::int64_t> minutes = f.millis("duration")) {
      try {
        interview.end_at = model::format_epoch_millis(*date + *minutes * 60'000);
      } catch (const std::out_of_range&) {
        problems.add("duration", "interview end is outside years 0000-9999");
      }
    }
  }
  interview.location = f.text("location");
  if (interview.location && interview.location->empty())
    interview.location.reset();
  if (const json::array* interviewers = f.array("interviewers")) {
    for (std::size_t i = 0; i < interviewers->size(); ++i) {
      Fields person((*interviewers)[i], problems, "interviewers[" + std::to_string(i) + "]");
      model::Interviewer mapped;
      mapped.user_key = user_key(person.text("id"));
      mapped.name = person.text("name");
      if (std::optional<std::string> email = person.text("email"); email && !email->empty())
        mapped.extra["email"] = *email;
      interview.interviewers.push_back(std::move(mapped));
    }
  }
  f.millis("canceledAt");
  if (f.get("canceledAt") != nullptr)
    interview.status = "canceled";
  else if (date)
    interview.status = *date <= now_ms ? "completed" : "scheduled";
  for (const std::string& form : f.strings("feedbackForms"))
    interview.feedback_keys.push_back(source_key("feedback", form));
  if (std::optional<std::string> stage = f.ref_id("stage"))
    interview.extra["stage_key"] = source_key("stage", *stage);
  if (std::optional<std::string> panel = f.ref_id("panel"))
    interview.extra["panel"] = *panel;
  if (std::optional<std::string> note = f.text("note"); note && !note->empty())
    interview.extra["note"] = *note;
  return finish(std::move(interview), problems);
}

model::Record map_offer(const json::value& raw, const OpportunityRef& opportunity) {
  Problems problems;
  Fields f(raw, problems);
  auto offer = start_record<model::Offer>(raw, "offer", f.required_id("id"));
  offer.person_key = child_key_person(opportunity);
  offer.candidacy_key = source_key("opportunity", opportunity.id);
  offer.status = f.one_of("status", {"draft", "approval-sent", "approved", "sent", "sent-manually",
                                     "opened", "denied", "signed"});
  offer.created_at = f.time("createdAt");
  offer.sent_at = f.time("sentAt");
  offer.creator_user_key = user_key(f.ref_id("creator"));
  // Offer letters (offers_list: sentDocument/signedDocument {fileName, uploadedAt, downloadUrl})
  // become file records on the candidacy (offer_document_key); the offer names them.
  json::array documents;
  for (const char* status : {"sent", "signed"}) {
    std::string member = std::string(status) + "Document";
    const json::object* document = f.object(member.c_str());
    if (document == nullptr)
      continue;
    json::value document_value(*document);
    Fields d(document_value, problems, member);
    std::optional<std::string> uploaded = d.time("uploadedAt");
    if (std::string(status) == "sent" && !offer.sent_at)
      offer.sent_at = uploaded;  // the documented offers carry no sentAt
    if (std::string(status) == "signed" && (offer.status == "signed" || offer.status == "denied"))
      offer.resolved_at = uploaded;
    json::object named{{"status", status}, {"file_name", d.text("fileName").value_or("")}};
    if (!offer.source_key.empty() && f.get("id") != nullptr)
      named["file_key"] = offer_document_key(f.text("id").value_or(""), status);
    documents.push_back(std::move(named));
  }
  if (!documents.empty())
    offer.extra["documents"] = std::move(documents);
  if (const json::array* fields = f.array("fields")) {
    for (std::size_t i = 0; i < fields->size(); ++i) {
      Fields field((*fields)[i], problems, "fields[" + std::to_string(i) + "]");
      model::OfferField mapped;
      std::optional<std::string> identifier = field.text("identifier");
      mapped.label = field.text("text").value_or(identifier.value_or(""));
      if (identifier)
        mapped.extra["identifier"] = *identifier;
      const json::value* value = field.get("value");
      mapped.value = value ? *value : json::value(nullptr);
      if (identifier == std::optional<std::string>("anticipated_start_date") && value) {
        // A date string ("2024-05-01") or epoch ms.
        if (value->is_string() && model::is_valid_date(value->as_string().subview().substr(0, 10)))
          offer.start_date = std::string(value->as_string().subview().substr(0, 10));
        else if (std::optional<std::int64_t> ms = parse_millis(*value))
          offer.start_date = date_of_local_midnight(*ms);
        else
          problems.add(field.path("value"), "start date is neither a date nor epoch milliseconds");
      }
      offer.fields.push_back(std::move(mapped));
    }
  }
  return finish(std::move(offer), problems);
}

std::string offer_document_key(const std::string& offer_id, const std::string& status) {
  return source_key("offer_document", offer_id + ":" + status);
}

namespace {

// What a file's download brought: the bytes' hash and measured size (the declared size stays when
// none was measured), or why there are none.
void apply_download(model::File& file, const Download& download) {
  if (!download.sha256.empty()) {
    file.sha256 = download.sha256;
    if (download.size)
      file.size = download.size;
  }
  file.content_type = download.content_type;
  file.skipped_reason = download.skipped_reason;
  file.fetch_failure = download.fetch_failure;
}

}  // namespace

model::Record map_offer_document(const json::value& offer, const std::string& status,
                                 const OpportunityRef& opportunity, const Download& download) {
  Problems problems;
  Fields f(offer, problems);
  std::string offer_id = f.required_id("id");
  std::string member = status + "Document";
  json::value document = nullptr;
  if (const json::object* found = f.object(member.c_str()))
    document = *found;
  auto file = start_record<model::File>(document, "offer_document", offer_id + ":" + status);
  file.source_key = offer_document_key(offer_id, status);
  file.person_key = child_key_person(opportunity);
  file.candidacy_key = source_key("opportunity", opportunity.id);
  file.is_resume = false;
  Fields d(document, problems, member);
  file.file_name = d.text("fileName").value_or("offer-letter-" + status + ".pdf");
  file.uploaded_at = d.time("uploadedAt");
  file.extra["offer_key"] = source_key("offer", offer_id);
  file.extra["offer_document"] = status;
  apply_download(file, download);
  return finish(std::move(file), problems);
}

model::Record map_application_file(const json::object& answer, const OpportunityRef& opportunity,
                                   const Download& download) {
  Problems problems;
  json::value raw(answer);
  Fields f(raw, problems);
  std::string id = f.required_id("id");
  auto file = start_record<model::File>(raw, "application_file", id);
  file.person_key = child_key_person(opportunity);
  file.candidacy_key = source_key("opportunity", opportunity.id);
  file.is_resume = false;
  std::optional<std::string> ext = f.text("ext");
  file.file_name = f.text("name").value_or("");
  if (file.file_name.empty())
    file.file_name = "answer" + ext.value_or("");
  file.uploaded_at = f.time("uploadedAt");
  file.size = f.millis("size");
  apply_download(file, download);
  return finish(std::move(file), problems);
}

model::Record map_file(const json::value& raw, const OpportunityRef& opportunity, bool is_resume,
                       const Download& download) {
  Problems problems;
  Fields f(raw, problems);
  auto file = start_record<model::File>(raw, is_resume ? "resume" : "file", f.required_id("id"));
  file.person_key = child_key_person(opportunity);
  file.candidacy_key = source_key("opportunity", opportunity.id);
  file.is_resume = is_resume;
  // A resume nests its file metadata; a file is flat.
  json::value meta_value = raw;
  if (is_resume) {
    const json::object* nested = f.object("file");
    meta_value = nested ? json::value(*nested) : json::value(json::object{});
  }
  Fields meta(meta_value, problems, is_resume ? "file" : "");
  file.file_name = meta.text("name").value_or("");
  std::optional<std::string> ext = meta.text("ext");
  if (file.file_name.empty()) {
    file.file_name = (is_resume ? "resume" : "file") + std::string(ext ? "." : "") +
                     (ext ? (ext->rfind('.', 0) == 0 ? ext->substr(1) : *ext) : "");
  }
  if (ext)
    file.extra["ext"] = ext->rfind('.', 0) == 0 ? ext->substr(1) : *ext;
  file.uploaded_at = meta.time("uploadedAt");
  if (!file.uploaded_at)
    file.uploaded_at = f.time("createdAt");
  file.size = meta.millis("size");
  if (std::optional<std::string> status =
          meta.one_of("status", {"processing", "processed", "unsupported", "error"}))
    file.extra["lever_status"] = *status;
  apply_download(file, download);
  return finish(std::move(file), problems);
}

std::optional<std::int64_t> child_touched_at(const json::value& raw) {
  if (!raw.is_object())
    return std::nullopt;
  std::optional<std::int64_t> latest;
  auto consider = [&](const json::object& object, const char* key) {
    if (const json::value* value = object.if_contains(key))
      if (std::optional<std::int64_t> ms = parse_millis(*value))
        latest = latest ? std::max(*latest, *ms) : *ms;
  };
  const json::object& object = raw.as_object();
  for (const char* key : {"createdAt", "updatedAt", "completedAt", "uploadedAt", "sentAt",
                          "approvedAt", "canceledAt"})
    consider(object, key);
  if (const json::value* nested = object.if_contains("file"); nested && nested->is_object())
    consider(nested->as_object(), "uploadedAt");
  // Note threads grow by comments.
  if (const json::value* fields = object.if_contains("fields"); fields && fields->is_array())
    for (const json::value& field : fields->as_array())
      if (field.is_object())
        consider(field.as_object(), "createdAt");
  return latest;
}

const std::map<std::string, std::string>& unmigrated_lever_fields() {
  // Why each is not carried; "*:<path>" applies to every example.
  static const std::map<std::string, std::string> fields{
      {"*:fields[].id", "form field ids identify Lever template fields; fields are kept by label"},
      {"*:fields[].required", "whether a question was required: form design, not an answer"},
      {"*:fields[].prompt", "placeholder text of a dropdown: form design, not an answer"},
      {"*:fields[].isSummary", "Lever UI summary flag: form design, not an answer"},
      {"*:fields[].options[].optionId", "option ids of Lever's template; options are kept by text"},
      {"*:deletedAt",
       "soft-deleted notes and forms are not migrated (counted as skipped in the log)"},
      {"*:accountId", "the Lever account's id: meaningless in the target"},
      {"*:downloadUrl", "the bytes are downloaded through the API; the Lever link is left behind"},
      {"*:file.downloadUrl",
       "the bytes are downloaded through the API; the Lever link is left behind"},
      {"*:sentDocument.downloadUrl", "the letter is downloaded through the API (a file record)"},
      {"*:signedDocument.downloadUrl", "the letter is downloaded through the API (a file record)"},
      {"*:urls.list", "links into Lever's UI, which the migration leaves behind"},
      {"*:urls.show", "links into Lever's UI, which the migration leaves behind"},
      {"*:urls.apply", "links into Lever's job site, which the migration leaves behind"},
      {"*:count", "how many opportunities use a source or tag: recomputed by the target"},
      {"*:snoozedUntil", "snoozing is a Lever reminder with no canonical equivalent"},
      {"*:confidentiality", "\"non-confidential\" is the default; \"confidential\" is carried"},
      {"application_retrieve:id",
       "an application's own id: the candidacy is keyed by its opportunity"},
      {"application_referral_from_list:id",
       "an application's own id: the candidacy is keyed by its opportunity"},
      {"application_retrieve:opportunityId", "repeats the opportunity the application belongs to"},
      {"application_referral_from_list:opportunityId",
       "repeats the opportunity the application belongs to"},
      {"application_retrieve:candidateId",
       "repeats the opportunity the application belongs to (legacy name)"},
      {"application_referral_from_list:candidateId",
       "repeats the opportunity the application belongs to (legacy name)"},
      {"application_retrieve:name",
       "the applicant's name repeats the contact's, which the person carries"},
      {"application_referral_from_list:name",
       "the applicant's name repeats the contact's, which the person carries"},
      {"application_retrieve:email",
       "the applicant's email repeats the contact's, which the person carries"},
      {"application_referral_from_list:email",
       "the applicant's email repeats the contact's, which the person carries"},
      {"application_retrieve:phone.value",
       "the applicant's phone repeats the contact's, which the person carries"},
      {"application_referral_from_list:user",
       "the user who added the application: no canonical field for it"},
      {"application_retrieve:ownerId",
       "the posting's owner at application time: the job record carries it"},
      {"application_retrieve:hiringManager",
       "the posting's hiring manager at application time: the job record carries it"},
      {"application_retrieve:requisitionForHire.id",
       "the requisition is carried by its code (a form answer)"},
      {"application_retrieve:requisitionForHire.hiringManagerOnHire",
       "a Lever requisition detail; the requisition code is carried"},
      {"*:customQuestions[].user", "the user who added the form: no canonical author for answers"},
      {"*:customQuestions[].userId",
       "the user who added the form: no canonical author for answers"},
      {"*:customQuestions[].referrerId", "the referrer's user id: the answers name the referrer"},
      {"*:customQuestions[].accountId", "the Lever account's id: meaningless in the target"},
      {"*:customQuestions[].baseTemplateId",
       "Lever form template id: answers are kept by question text"},
      {"*:customQuestions[].createdAt", "when the form was added: the application time is carried"},
      {"*:customQuestions[].completedAt",
       "when the form was answered: the application time is carried"},
      {"*:customQuestions[].fields[].type", "the question's type: the answer is carried as text"},
      {"*:customQuestions[].fields[].isSummary",
       "Lever UI summary flag: form design, not an answer"},
      {"*:customQuestions[].fields[].summaryText",
       "Lever UI summary label: form design, not an answer"},
      {"*:customQuestions[].fields[].required",
       "whether a question was required: form design, not an answer"},
      {"*:customQuestions[].fields[].prompt",
       "placeholder text of a dropdown: form design, not an answer"},
      {"feedback_retrieve:panel", "the interview panel's id: the interview link is carried"},
      {"feedback_update_response:panelId",
       "the interview panel's id: the interview link is carried"},
      {"feedback_update_response:profileId", "repeats the opportunity the form belongs to"},
      {"feedback_update_response:postingIds[]", "the candidacy carries its posting"},
      {"feedback_update_response:isCompleted", "implied by completedAt, which is carried"},
      {"feedback_update_response:createdAt", "completedAt dates the submission and is carried"},
      {"feedback_update_response:fields[].overall",
       "marks the overall rating, which becomes the recommendation"},
      {"interview_retrieve:feedbackReminder",
       "a Lever reminder setting with no canonical equivalent"},
      {"interview_retrieve:feedbackTemplate",
       "the Lever form template for the interview's feedback"},
      {"interview_retrieve:interviewers[].feedbackTemplate",
       "the Lever form template for an interviewer"},
      {"interview_retrieve:postings[]", "the candidacy carries its posting"},
      {"interview_retrieve:timezone",
       "start and end are carried as instants (UTC); the display zone is not"},
      {"interview_retrieve:user",
       "the user who scheduled the interview: no canonical field for it"},
      {"note_retrieve:text", "the constant title \"Note\" of a note thread"},
      {"note_retrieve:fields[].text", "the constant label \"Comment\" of a note comment"},
      {"*:applications[]",
       "unexpanded application ids; the expanded applications are read instead"},
      {"opportunity_retrieve:stageChanges[].toStageIndex",
       "the stage's position: the stage record's order carries it"},
      {"opportunity_retrieve:dataProtection.store.expiresAt",
       "GDPR consent expiry: no canonical field (not migrated)"},
      {"postings_list:categories.level",
       "the posting's level: no canonical job field (not migrated)"},
      {"postings_list:country", "the posting's country: no canonical job field (not migrated)"},
      {"postings_list:workplaceType",
       "remote/hybrid/onsite: no canonical job field (not migrated)"},
      {"postings_list:distributionChannels[]",
       "where the posting is advertised: job-board state is not migrated"},
      {"postings_list:content.description",
       "job-board posting text: postings are migrated as jobs, not job posts"},
      {"postings_list:content.descriptionHtml",
       "job-board posting text: postings are migrated as jobs, not job posts"},
      {"postings_list:content.lists[].text",
       "job-board posting text: postings are migrated as jobs, not job posts"},
      {"postings_list:content.lists[].content",
       "job-board posting text: postings are migrated as jobs, not job posts"},
      {"postings_list:content.closing",
       "job-board posting text: postings are migrated as jobs, not job posts"},
      {"postings_list:content.closingHtml",
       "job-board posting text: postings are migrated as jobs, not job posts"},
      {"postings_list:salaryDescription",
       "job-board salary text: no canonical job field (not migrated)"},
      {"postings_list:salaryDescriptionHtml",
       "job-board salary text: no canonical job field (not migrated)"},
      {"postings_list:salaryRange.min", "salary range: no canonical job field (not migrated)"},
      {"postings_list:salaryRange.max", "salary range: no canonical job field (not migrated)"},
      {"postings_list:salaryRange.currency", "salary range: no canonical job field (not migrated)"},
      {"postings_list:salaryRange.interval", "salary range: no canonical job field (not migrated)"},
      {"profile_form_retrieve:stage",
       "the stage the form was filled at: no canonical feedback field"},
      {"profile_form_retrieve:fields[].type",
       "currency is carried as a number field with its currency"},
      {"resumes_list:parsedData.positions[].start.month", "carried in employment start as YYYY-MM"},
      {"resumes_list:parsedData.positions[].end.month", "carried in employment end as YYYY-MM"},
      {"resumes_list:parsedData.schools[].start.month", "carried in education start as YYYY-MM"},
      {"resumes_list:parsedData.schools[].end.month", "carried in education end as YYYY-MM"},
      {"resumes_list:parsedData.positions[].location",
       "no member of person.employment for it (not migrated)"},
      {"resumes_list:parsedData.positions[].summary",
       "no member of person.employment for it (not migrated)"},
      {"resumes_list:parsedData.schools[].summary",
       "no member of person.education for it (not migrated)"},
      {"users_list:createdAt", "when the Lever user was created: target users are not created"},
      {"users_list:deactivatedAt", "carried as active=false"},
      {"users_list:externalDirectoryId", "the SSO directory id: target users are matched by email"},
      {"users_list:jobTitle", "the user's job title: target users are matched, not created"},
      {"users_list:linkedContactIds[]", "the user's own candidate profiles in Lever"},
      {"users_list:managerId", "the user's manager: target users are matched, not created"},
      {"users_list:photo", "the user's avatar URL: target users are matched, not created"},
      {"users_list:username", "the Lever login name: target users are matched by email"},
      {"*:customQuestions[].fields[].options[].text",
       "the choices not picked: form design, not an answer"},
  };
  return fields;
}

const std::string& unmigrated_lever_fields_json() {
  static const std::string text = [] {
    json::array fields;
    for (const auto& [key, reason] : unmigrated_lever_fields()) {
      std::size_t colon = key.find(':');
      fields.push_back(json::object{
          {"object", key.substr(0, colon)}, {"field", key.substr(colon + 1)}, {"reason", reason}});
    }
    return json::serialize(fields);
  }();
  return text;
}

bool is_soft_deleted(const json::value& raw) {
  if (!raw.is_object())
    return false;
  const json::value* deleted = raw.as_object().if_contains("deletedAt");
  return deleted != nullptr && !deleted->is_null();
}

}  // namespace atsm::lever
