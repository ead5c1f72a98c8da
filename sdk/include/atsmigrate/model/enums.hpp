// Enumerations of the canonical model and their JSON spellings.
//
// Every enum's JSON spelling is its enumerator's name; EnumTraits<E>::names lists them in
// declaration order so the conversions below stay table-driven and constexpr.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace atsm::model {

// Record kinds, declared in dependency order: a record only refers to kinds declared before it
// (feedback may name an interview, which comes later; the loader resolves that one by key).
enum class Kind {
  user,
  department,
  office,
  custom_field,
  job,
  stage,
  archive_reason,
  source,
  tag,
  person,
  candidacy,
  note,
  feedback,
  interview,
  offer,
  file,
};

enum class StageType { lead, applied, screen, interview, offer, hired, archived, other };
enum class CandidacyStatus { lead, active, hired, archived };
enum class JobStatus { open, closed, draft, archived };
enum class ArchiveReasonType { hired, non_hired };
enum class LinkType { linkedin, github, website, social, other };
enum class BodyFormat { text, html };
enum class Recommendation { strong_no, no, yes, strong_yes, no_decision };
enum class FeedbackFieldType {
  score,
  yes_no,
  text,
  textarea,
  dropdown,
  multiple_choice,
  multiple_select,
  date,
  rating,
  scorecard_attribute,
  number,
  other,
};
enum class CustomFieldObject { person, candidacy, job };
enum class CustomFieldType {
  text,
  long_text,
  number,
  date,
  boolean,
  single_select,
  multi_select,
  user,
  currency,
  url,
};

template <class E>
struct EnumTraits;

template <>
struct EnumTraits<Kind> {
  static constexpr std::array<std::string_view, 16> names{
      "user",           "department", "office", "custom_field", "job",       "stage",
      "archive_reason", "source",     "tag",    "person",       "candidacy", "note",
      "feedback",       "interview",  "offer",  "file"};
};
template <>
struct EnumTraits<StageType> {
  static constexpr std::array<std::string_view, 8> names{
      "lead", "applied", "screen", "interview", "offer", "hired", "archived", "other"};
};
template <>
struct EnumTraits<CandidacyStatus> {
  static constexpr std::array<std::string_view, 4> names{"lead", "active", "hired", "archived"};
};
template <>
struct EnumTraits<JobStatus> {
  static constexpr std::array<std::string_view, 4> names{"open", "closed", "draft", "archived"};
};
template <>
struct EnumTraits<ArchiveReasonType> {
  static constexpr std::array<std::string_view, 2> names{"hired", "non_hired"};
};
template <>
struct EnumTraits<LinkType> {
  static constexpr std::array<std::string_view, 5> names{"linkedin", "github", "website", "social",
                                                         "other"};
};
template <>
struct EnumTraits<BodyFormat> {
  static constexpr std::array<std::string_view, 2> names{"text", "html"};
};
template <>
struct EnumTraits<Recommendation> {
  static constexpr std::array<std::string_view, 5> names{"strong_no", "no", "yes", "strong_yes",
                                                         "no_decision"};
};
template <>
struct EnumTraits<FeedbackFieldType> {
  static constexpr std::array<std::string_view, 12> names{"score",
                                                          "yes_no",
                                                          "text",
                                                          "textarea",
                                                          "dropdown",
                                                          "multiple_choice",
                                                          "multiple_select",
                                                          "date",
                                                          "rating",
                                                          "scorecard_attribute",
                                                          "number",
                                                          "other"};
};
template <>
struct EnumTraits<CustomFieldObject> {
  static constexpr std::array<std::string_view, 3> names{"person", "candidacy", "job"};
};
template <>
struct EnumTraits<CustomFieldType> {
  static constexpr std::array<std::string_view, 10> names{
      "text",          "long_text",    "number", "date",     "boolean",
      "single_select", "multi_select", "user",   "currency", "url"};
};

template <class E>
concept ModelEnum = requires {
  EnumTraits<E>::names;
};

template <ModelEnum E>
constexpr std::string_view to_string(E value) {
  return EnumTraits<E>::names.at(static_cast<std::size_t>(value));
}

// nullopt when `text` is not one of E's spellings (matching is exact and case-sensitive).
template <ModelEnum E>
constexpr std::optional<E> enum_from_string(std::string_view text) {
  const auto& names = EnumTraits<E>::names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text)
      return static_cast<E>(i);
  }
  return std::nullopt;
}

// "a|b|c": the allowed spellings, for error messages.
template <ModelEnum E>
std::string enum_choices() {
  std::string joined;
  for (std::string_view name : EnumTraits<E>::names) {
    if (!joined.empty())
      joined += '|';
    joined += name;
  }
  return joined;
}

}  // namespace atsm::model
