// Greenhouse Harvest v3 JSON -> canonical records (docs/vendors/greenhouse.md §6-§7,
// docs/mapping.md).
//
// Pure functions: no I/O. A mapper accepts whatever Greenhouse sends and never throws for bad
// vendor data: a field of the wrong type, an unknown enum value, a bad timestamp or a missing id
// becomes a named problem in the record's `extra.validation_errors`
// ([{"field": "...", "message": "..."}]) and the record is still produced, so the host stages it
// and the run reports it. Each record keeps the vendor JSON it came from in `raw`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include <atsmigrate/kit/validation_errors.hpp>
#include <atsmigrate/model/record.hpp>

namespace atsm::greenhouse {

inline constexpr const char* kSourceName = "greenhouse";

// "greenhouse:<object>:<id>".
std::string source_key(const std::string& object, const std::string& id);

// A Greenhouse id (integer, or digits as text) as decimal text; nullopt otherwise.
std::optional<std::string> id_text(const boost::json::value& value);
// The decimal `id` of a vendor object; empty when it has none.
std::string id_of(const boost::json::value& object);

// Problems found while mapping one record, and their count (the kit's validation_errors).
using kit::validation_error_count;
using kit::ValidationErrors;

// custom field definitions by (field_type, name_key): records' values are keyed by name_key.
class CustomFieldIndex {
 public:
  void add(const boost::json::value& custom_field);
  // The custom_field record key for a value of `object_type` ("candidate", "application",
  // "job", "offer") named `name_key`; nullopt when no such definition was listed.
  std::optional<std::string> key_for(const std::string& object_type,
                                     const std::string& name_key) const;

 private:
  std::map<std::pair<std::string, std::string>, std::string> keys_;
};

// ---- reference data ---------------------------------------------------------------------------

model::Record map_user(const boost::json::value& raw);
model::Record map_department(const boost::json::value& raw);
model::Record map_office(const boost::json::value& raw);
// A custom field definition with its /custom_field_options rows. nullopt for field types the
// canonical model has no object for (offer, opening, rejection_question, ...).
std::optional<model::Record> map_custom_field(const boost::json::value& raw,
                                              const std::vector<boost::json::value>& options);
model::Record map_job(const boost::json::value& raw, const CustomFieldIndex& fields);
model::Record map_stage(const boost::json::value& raw);
model::Record map_rejection_reason(const boost::json::value& raw);
model::Record map_source(const boost::json::value& raw);
model::Record map_tag(const boost::json::value& raw);

// Stage type from a stage's name ("Application Review" -> applied, "Offer" -> offer, ...).
model::StageType stage_type_from_name(const std::string& name);

// ---- persons, candidacies and their children --------------------------------------------------

// The recruiter and coordinator v3 keeps on applications (`recruiter_id`, `coordinator_id`,
// docs/vendors/greenhouse.md §6), per candidate: each from the candidate's most recently created
// application that names one (ties: the higher application id).
class ApplicationStaff {
 public:
  void add(const boost::json::value& application);
  std::optional<std::string> recruiter(const std::string& candidate_id) const;
  std::optional<std::string> coordinator(const std::string& candidate_id) const;

 private:
  struct Pick {
    std::int64_t created_ms = 0, application = 0;
    std::string user;
  };
  static void keep(std::map<std::string, Pick>& picks, const std::string& candidate, Pick pick);
  std::map<std::string, Pick> recruiters_, coordinators_;
};

// A candidate; its recruiter and coordinator come from `staff` (its applications) unless the
// candidate row names them itself (v1 shape).
model::Record map_candidate(const boost::json::value& raw, const CustomFieldIndex& fields,
                            const ApplicationStaff* staff = nullptr);

// The rows of other v3 lists an application refers to (absent: not listed).
struct ApplicationExtras {
  const boost::json::value* referrer = nullptr;          // /v3/referrers row of `referrer_id`
  const boost::json::value* rejection_detail = nullptr;  // /v3/rejection_details row
  const boost::json::value* rejection_note = nullptr;    // /v3/notes row the detail names
  const boost::json::value* prospect_detail = nullptr;   // /v3/prospect_details row
  // Names of the detail's pool_id (/v3/prospect_pools) and pool_stage_id
  // (/v3/prospect_pool_stages), when listed.
  std::optional<std::string> prospect_pool = {}, prospect_pool_stage = {};
};
// An application (prospects included) with its /application_stages rows (any order). A referrer
// that is a user becomes `credited_to_user_key`, any other keeps its name in
// `extra.referrer_name`; the rejection details become `extra.archive_details` (the rejection
// note's text, then "question: answer" lines) and `extra.archived_by_user_key`. A prospect's
// detail gives `prospect_pool`, `prospect_pool_stage` (names) and its owner as `owner_user_key`
// (the application's recruiter, when another user, stays as `extra.recruiter_user_key`).
model::Record map_application(const boost::json::value& raw,
                              const std::vector<boost::json::value>& stages,
                              const CustomFieldIndex& fields, const ApplicationExtras& extras = {});
model::Record map_note(const boost::json::value& raw);
// A scorecard with its /scorecard_candidate_attributes and /scorecard_question_answers rows (any
// order: fields follow the rows' creation order);
// `candidate_id` comes from the scorecard's application (v3 scorecards do not carry it);
// `form_name` is its kit's job interview's name (v3 scorecards carry no `interview`).
// `attribute_names` resolves job_candidate_attribute_id (/v3/job_candidate_attributes) and
// `question_texts` scorecard_question_id (/v3/scorecard_questions) when a row has no inlined
// name or question (v3 rows have neither, docs/vendors/greenhouse.md §6). Attribute ratings are
// v3's definitely_not|no|yes|strong_yes|mixed|no_decision; definitely_not becomes strong_no.
model::Record map_scorecard(const boost::json::value& raw,
                            const std::vector<boost::json::value>& attributes,
                            const std::vector<boost::json::value>& answers,
                            const std::string& candidate_id,
                            const std::map<std::string, std::string>& attribute_names,
                            const std::map<std::string, std::string>& question_texts = {},
                            const std::optional<std::string>& form_name = std::nullopt);
// A scheduled interview with its /interviewers rows (any order); its title is
// `job_interview_name` (/v3/job_interviews.name of its job_interview_id) when known.
model::Record map_interview(const boost::json::value& raw,
                            const std::vector<boost::json::value>& interviewers,
                            const std::string& candidate_id,
                            const std::optional<std::string>& job_interview_name = std::nullopt);
model::Record map_offer(const boost::json::value& raw, const std::string& candidate_id);

// What fetching an attachment's bytes came to.
struct FetchedFile {
  std::string sha256;  // empty when not downloaded
  std::optional<std::int64_t> size;
  std::optional<std::string> content_type;
  // What the source says the file is, when that keeps the bytes away (a skip).
  std::optional<std::string> skipped_reason;
  // What happened while fetching, when it may pass (an expired URL, a storage error): a failure.
  std::optional<std::string> failure;
};
// An attachment; its signed `url` is kept in `raw` without the signature (a bearer credential
// for the file while it lives).
// `application_candidate`: the candidate of its application, for a row whose candidate_id is
// null.
model::Record map_attachment(const boost::json::value& raw, const FetchedFile& fetched,
                             const std::string& application_candidate = {});

// True for scorecards that were submitted (v3 lists drafts too; v1 listed only submitted ones).
bool is_submitted_scorecard(const boost::json::value& raw);
// True for /notes rows that are notes (type NOTE, or no type), not emails or system activity.
bool is_note(const boost::json::value& raw);

}  // namespace atsm::greenhouse
