// The canonical ATS model: what every connector emits and consumes, and what the host stages,
// plans and loads. sdk/schema/*.schema.json describe the same shapes as JSON; this header is the
// C++ side. Conventions:
// - References to other records hold that record's source_key ("lever:contact:<id>").
// - Times are UTC ISO 8601 strings ("2019-03-04T14:02:00Z", see time.hpp); the codec
//   normalises any offset to "Z" on input.
// - std::optional fields and empty vectors are absent in JSON and stay absent on output.
// - `extra` keeps the JSON members this version does not know (written by newer plugins) and
//   writes them back, so nothing a plugin sends is lost in staging.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atsmigrate/model/enums.hpp>

namespace atsm::model {

// Members every record has. `source` is the system's name ("lever", "greenhouse", or any
// plugin's name); `source_key` is the record's immutable identity; `raw` is the vendor JSON the
// record was made from, verbatim.
struct RecordBase {
  std::string source;
  std::string source_key;
  std::optional<boost::json::value> raw;
  boost::json::object extra;

  bool operator==(const RecordBase&) const = default;
};

// A custom field's value on a person, candidacy or job. `field_key` is the custom_field
// record's source_key. `value` is any JSON: text, number, boolean, a "YYYY-MM-DD" date, an
// option name (single_select), an array of option names (multi_select), a user's source_key.
struct CustomFieldValue {
  std::string field_key;
  std::optional<std::string> name;  // the field's label, for reports
  boost::json::value value;
  boost::json::object extra;

  bool operator==(const CustomFieldValue&) const = default;
};

// ---- reference data ----------------------------------------------------------------------

struct User : RecordBase {
  std::string name;
  std::optional<std::string> email;
  std::vector<std::string> alternate_emails;  // the user's other addresses; matching tries them too
  std::optional<bool> active;
  std::optional<std::string> access_role;  // the vendor's role name ("admin", "interviewer", ...)

  bool operator==(const User&) const = default;
};

struct Department : RecordBase {
  std::string name;
  std::optional<std::string> parent_key;
  std::optional<std::string> location;

  bool operator==(const Department&) const = default;
};

struct Office : RecordBase {
  std::string name;
  std::optional<std::string> parent_key;
  std::optional<std::string> location;

  bool operator==(const Office&) const = default;
};

struct CustomFieldOption {
  std::string name;
  std::optional<std::string> key;  // the vendor's option id, when it has one
  boost::json::object extra;

  bool operator==(const CustomFieldOption&) const = default;
};

// A custom field definition. Values live on the records (CustomFieldValue).
struct CustomField : RecordBase {
  std::string name;
  CustomFieldObject object = CustomFieldObject::person;
  CustomFieldType field_type = CustomFieldType::text;
  std::vector<CustomFieldOption> options;  // for single_select / multi_select

  bool operator==(const CustomField&) const = default;
};

struct Job : RecordBase {
  std::string title;
  JobStatus status = JobStatus::open;
  std::optional<bool> confidential;
  std::vector<std::string> department_keys;
  std::vector<std::string> office_keys;
  std::optional<std::string> location;  // free text as the source shows it
  std::optional<std::string> team;
  std::optional<std::string> owner_user_key;
  std::vector<std::string> hiring_manager_user_keys;
  std::optional<std::string> requisition_code;
  std::optional<std::string> created_at;
  std::optional<std::string> updated_at;
  std::vector<CustomFieldValue> custom_fields;

  bool operator==(const Job&) const = default;
};

// A pipeline stage. Without job_key it belongs to the account-wide stage list that jobs without
// their own plan use (as Lever has).
struct Stage : RecordBase {
  std::string name;
  std::optional<std::string> job_key;
  std::optional<std::int64_t> order;  // position in its list, ascending
  StageType stage_type = StageType::other;

  bool operator==(const Stage&) const = default;
};

struct ArchiveReason : RecordBase {
  std::string name;
  ArchiveReasonType type = ArchiveReasonType::non_hired;

  bool operator==(const ArchiveReason&) const = default;
};

struct Source : RecordBase {
  std::string name;
  std::optional<std::string> type;  // the vendor's source category ("referral", "agency", ...)

  bool operator==(const Source&) const = default;
};

struct Tag : RecordBase {
  std::string name;

  bool operator==(const Tag&) const = default;
};

// ---- persons -------------------------------------------------------------------------------

struct Email {
  std::string address;                    // as the source gave it
  std::optional<std::string> normalized;  // normalize_email(address); set by the codec
  std::optional<std::string> type;        // "personal", "work", ...
  boost::json::object extra;

  bool operator==(const Email&) const = default;
};

struct Phone {
  std::string number;
  std::optional<std::string> type;  // "mobile", "home", ...
  boost::json::object extra;

  bool operator==(const Phone&) const = default;
};

struct Link {
  std::string url;
  LinkType type = LinkType::other;
  boost::json::object extra;

  bool operator==(const Link&) const = default;
};

struct Address {
  std::string value;  // the whole address as text
  std::optional<std::string> type;
  boost::json::object extra;

  bool operator==(const Address&) const = default;
};

// A school the person attended. `start`/`end` are as precise as the source is: "YYYY",
// "YYYY-MM" or "YYYY-MM-DD".
struct Education {
  std::string school;  // "" when the source names none
  std::optional<std::string> degree;
  std::optional<std::string> field_of_study;
  std::optional<std::string> start;
  std::optional<std::string> end;
  boost::json::object extra;

  bool operator==(const Education&) const = default;
};

// A past or present employment; dates as in Education.
struct Employment {
  std::optional<std::string> company;
  std::optional<std::string> title;
  std::optional<std::string> start;
  std::optional<std::string> end;  // absent while current
  std::optional<bool> current;
  boost::json::object extra;

  bool operator==(const Employment&) const = default;
};

struct Person : RecordBase {
  std::optional<std::string> name;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::vector<Email> emails;
  std::vector<Phone> phones;
  std::vector<Link> links;
  std::optional<std::string> location;
  std::vector<Address> addresses;
  std::optional<std::string> headline;
  std::optional<std::string> company;
  std::optional<std::string> title;
  std::vector<std::string> tags;  // tag names
  std::optional<std::string> owner_user_key;
  std::optional<std::string> recruiter_user_key;
  std::optional<std::string> coordinator_user_key;
  std::optional<bool> is_private;
  std::optional<bool> confidential;
  std::optional<bool> anonymized;
  std::optional<std::string> created_at;
  std::optional<std::string> updated_at;
  std::vector<CustomFieldValue> custom_fields;
  std::vector<Education> education;
  std::vector<Employment> employment;
  std::optional<std::string> time_zone;  // IANA ("Europe/Berlin")
  std::optional<bool> can_email;         // consent to be emailed

  bool operator==(const Person&) const = default;
};

// ---- candidacies ---------------------------------------------------------------------------

struct StageChange {
  std::string stage_key;
  std::string entered_at;
  std::optional<std::string> by_user_key;
  boost::json::object extra;

  bool operator==(const StageChange&) const = default;
};

// Where a candidacy came from: a source record's key, its name, or both.
struct SourceRef {
  std::optional<std::string> source_key;
  std::optional<std::string> name;
  boost::json::object extra;

  bool operator==(const SourceRef&) const = default;
};

// An answer to an application form or another candidate form. A file-upload answer names the
// file records it attached (`file_keys`, their source_keys).
struct FormAnswer {
  std::optional<std::string> form;
  std::string question;
  std::optional<std::string> answer;  // as text, choices joined with ", "
  std::vector<std::string> file_keys;
  boost::json::object extra;

  bool operator==(const FormAnswer&) const = default;
};

// A person's candidacy: a Lever opportunity, a Greenhouse application.
struct Candidacy : RecordBase {
  std::string person_key;
  std::optional<std::string> job_key;  // absent: a jobless candidacy
  CandidacyStatus status = CandidacyStatus::active;
  std::optional<std::string> stage_key;
  std::optional<std::string> archive_reason_key;
  std::optional<std::string> archived_at;
  std::vector<StageChange> stage_history;  // oldest first
  std::vector<SourceRef> sources;
  std::optional<std::string> credited_to_user_key;
  std::optional<std::string> owner_user_key;
  std::optional<std::string> created_at;
  std::optional<std::string> updated_at;
  std::optional<std::string> applied_at;
  std::optional<bool> is_prospect;
  std::optional<bool> confidential;
  std::vector<std::string> tags;  // tag names
  std::vector<CustomFieldValue> custom_fields;
  std::vector<FormAnswer> form_answers;
  std::optional<std::string> cover_letter;         // as text; a cover letter file is a File
  std::optional<std::string> prospect_pool;        // the pool's name
  std::optional<std::string> prospect_pool_stage;  // the stage's name in that pool

  bool operator==(const Candidacy&) const = default;
};

// ---- activity --------------------------------------------------------------------------------

struct Note : RecordBase {
  std::string person_key;
  std::optional<std::string> candidacy_key;
  std::optional<std::string> author_user_key;
  std::optional<std::string> author_name;
  std::string body;
  BodyFormat body_format = BodyFormat::text;
  std::optional<std::string> created_at;
  std::optional<bool> is_private;
  std::optional<bool> deleted;

  bool operator==(const Note&) const = default;
};

// The values a rating may take: either an ordered list (worst first) or a numeric range.
struct RatingScale {
  std::vector<boost::json::value> values;
  std::optional<double> min;
  std::optional<double> max;
  boost::json::object extra;

  bool operator==(const RatingScale&) const = default;
};

struct FeedbackField {
  std::string label;
  FeedbackFieldType type = FeedbackFieldType::other;
  std::optional<boost::json::value> value;  // absent: unanswered; JSON null is kept as null
  std::optional<RatingScale> scale;
  std::optional<std::string> note;
  std::optional<std::string> category;  // scorecard attribute group ("Skills", ...)
  boost::json::object extra;

  bool operator==(const FeedbackField&) const = default;
};

// A Lever feedback form or a Greenhouse scorecard.
struct Feedback : RecordBase {
  std::string person_key;
  std::optional<std::string> candidacy_key;
  std::optional<std::string> author_user_key;
  std::optional<std::string> author_name;
  std::optional<std::string> interview_key;
  std::optional<std::string> form_name;
  std::optional<std::string> submitted_at;
  std::optional<Recommendation> recommendation;
  std::vector<FeedbackField> fields;  // in the form's order
  std::optional<std::string> text;    // free-text summary outside the fields

  bool operator==(const Feedback&) const = default;
};

struct Interviewer {
  std::optional<std::string> user_key;
  std::optional<std::string> name;
  boost::json::object extra;

  bool operator==(const Interviewer&) const = default;
};

struct Interview : RecordBase {
  std::string person_key;
  std::optional<std::string> candidacy_key;
  std::optional<std::string> title;
  std::optional<std::string> start_at;
  std::optional<std::string> end_at;
  std::vector<Interviewer> interviewers;
  std::optional<std::string> location;
  std::optional<std::string> status;  // the vendor's status ("scheduled", "completed", ...)
  std::vector<std::string> feedback_keys;

  bool operator==(const Interview&) const = default;
};

struct OfferField {
  std::string label;
  std::optional<boost::json::value> value;
  boost::json::object extra;

  bool operator==(const OfferField&) const = default;
};

struct Offer : RecordBase {
  std::string person_key;
  std::optional<std::string> candidacy_key;
  std::optional<std::string> status;  // the vendor's status ("accepted", "rejected", ...)
  std::optional<std::string> created_at;
  std::optional<std::string> sent_at;
  std::optional<std::string> resolved_at;
  std::optional<std::string> start_date;  // "YYYY-MM-DD"
  std::vector<OfferField> fields;
  std::optional<std::string> creator_user_key;

  bool operator==(const Offer&) const = default;
};

// An attachment. Its bytes live in the host's blob store under `sha256`.
struct File : RecordBase {
  std::string person_key;
  std::optional<std::string> candidacy_key;
  std::string file_name;
  std::optional<std::string> content_type;
  std::optional<std::int64_t> size;   // bytes
  std::optional<std::string> sha256;  // lower-case hex; empty or absent when not downloaded
  std::optional<bool> is_resume;
  std::optional<std::string> uploaded_at;
  // What the source says the file is, when that keeps its bytes from being fetched (Lever's
  // "not processed"): the record is skipped.
  std::optional<std::string> skipped_reason;
  // What happened when the bytes were fetched and may not happen again (an expired URL, a storage
  // 403 or 5xx, a timeout), after the source's own retries: the record fails and a re-run
  // fetches it again.
  std::optional<std::string> fetch_failure;

  bool operator==(const File&) const = default;
};

}  // namespace atsm::model
