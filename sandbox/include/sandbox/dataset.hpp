// The generated dataset: a Lever account and a Greenhouse account, deterministic from (seed,
// persons). Times are epoch milliseconds throughout; the APIs render them in each vendor's format.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace atsm::sandbox {

// A file whose bytes are generated on demand from content_seed (PDF-like, `size` bytes).
struct SandboxFile {
  std::string id;
  std::string name;
  std::string ext;
  std::size_t size = 0;
  std::string status = "processed";  // Lever: processed | unsupported | error | processing
  std::int64_t uploaded_at = 0;
  bool resume = false;
  std::uint64_t content_seed = 0;
};
std::string file_bytes(const SandboxFile& file);
// The content_seed whose file_bytes of bytes.size() are exactly `bytes`, if any: a generated file
// uploaded back (the emulated Ashby keeps such uploads as their seed, not their bytes). The seed
// is read back from the bytes (splitmix64's output is invertible), then checked by regenerating.
std::optional<std::uint64_t> generated_content_seed(const std::string& bytes);
std::string sha256_hex(const std::string& bytes);

// ---- Lever ----
struct LeverUser {
  std::string id, name, email, access_role;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> deactivated_at;
};
struct LeverStage {
  std::string id, text;
  bool lead = false;
};
struct LeverArchiveReason {
  std::string id, text, type;  // type: hired | non-hired
  bool active = true;
};
struct LeverPosting {
  std::string id, text, state, team, department, location, commitment, owner;
  bool confidential = false;
  std::int64_t created_at = 0, updated_at = 0;
};
struct Phone {
  std::string type, value;
};
struct LeverContact {
  std::string id, name, headline, location;
  std::vector<std::string> emails;
  std::vector<Phone> phones;
  std::vector<std::string> links;
  bool anonymized = false;
};
struct StageChange {
  std::string to_stage_id, user_id;
  int to_stage_index = 0;
  std::int64_t at = 0;
};
struct LeverNoteComment {
  std::string value, user;
  std::int64_t created_at = 0;
};
struct LeverNote {
  std::string id, user;
  bool secret = false;
  std::vector<LeverNoteComment> comments;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> deleted_at;
};
struct FormField {
  std::string id, type, text;
  boost::json::value value;
  std::vector<std::string> options;  // dropdown / score-system options
  std::vector<std::string> scores;   // scorecard skills
};
struct LeverFeedback {
  std::string id, type, text, template_id, user, interview;
  std::vector<FormField> fields;
  std::int64_t created_at = 0, completed_at = 0;
  std::optional<std::int64_t> deleted_at;
};
struct LeverInterview {
  std::string id, subject, user, stage;
  std::vector<std::string> interviewers;  // user ids
  std::int64_t date = 0;
  int duration_min = 45;
};
struct LeverOffer {
  std::string id, status, creator;
  std::int64_t created_at = 0;
  std::vector<std::pair<std::string, boost::json::value>> fields;  // identifier -> value
  // Offer letters (lever_docs_examples.json "offers_list"): sent on sent/signed offers, signed
  // on signed ones.
  std::optional<SandboxFile> sent_document, signed_document;
};
// An expanded application's data beyond its posting (lever_docs_examples.json
// "application_retrieve"): the cover letter and posting-form answers, one a file upload.
struct LeverApplicationData {
  std::string comments;              // "" = none (null)
  std::string company;               // "" = null
  std::vector<FormField> questions;  // one posting form; a file-upload value is {id, name, ...}
  std::optional<SandboxFile> answer_file;  // the file-upload answer's bytes
};
struct LeverOpportunity {
  std::string id, contact_id, stage_id, owner, origin;
  std::vector<StageChange> stage_changes;
  std::optional<std::string> posting_id;  // a lead has none
  std::string application_id;
  bool confidential = false;
  std::optional<std::string> archive_reason_id;
  std::int64_t archived_at = 0;
  std::vector<std::string> tags, sources;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> updated_at;  // null on old, never-updated rows
  std::vector<LeverNote> notes;
  std::vector<LeverFeedback> feedback;
  std::vector<LeverInterview> interviews;
  std::vector<LeverOffer> offers;
  std::vector<SandboxFile> files;  // resume flag set on resumes
  LeverApplicationData application;
  // Profile forms (GET /opportunities/:id/forms, lever_docs_examples.json
  // "profile_form_retrieve"): feedback's shape with type "form".
  std::vector<LeverFeedback> profile_forms;
  // resume id -> parsedData {positions, schools} (lever_docs_examples.json "resumes_list").
  std::map<std::string, boost::json::value> resume_parsed;
  // Malformed the way real APIs occasionally are: "created_at_string" | "dangling_owner" | "".
  std::string quirk;
  std::optional<std::int64_t> deleted_at;  // listed only under /opportunities/deleted
};
struct LeverData {
  std::vector<LeverUser> users;
  std::vector<LeverStage> stages;
  std::vector<LeverArchiveReason> archive_reasons;
  std::vector<LeverPosting> postings;
  std::vector<LeverContact> contacts;
  std::vector<LeverOpportunity> opportunities;  // createdAt descending, id tiebreak
  std::vector<std::string> sources, tags;
};

// ---- Greenhouse (v3 shapes; ids are integers) ----
struct GhUser {
  std::int64_t id = 0;
  std::string first_name, last_name, email;
  bool deactivated = false, site_admin = false;
  // An API service account: listed only with show_service_accounts=true, primary_email ""
  // (docs/vendors/greenhouse.md §6).
  bool service_account = false;
  std::vector<std::string> extra_emails;  // v3 users.emails beside primary_email
  std::int64_t created_at = 0;
};
struct GhNamed {
  std::int64_t id = 0;
  std::string name, type_key;
};
struct GhStage {
  std::int64_t id = 0, job_id = 0;
  std::string name;
  int sort_order = 0;
};
struct GhJob {
  std::int64_t id = 0, department_id = 0, office_id = 0;
  std::string name, status;  // open | closed | draft
  bool confidential = false;
  std::int64_t created_at = 0, updated_at = 0;
  std::vector<GhStage> stages;
  // The job's interview kit: its scorecard questions (/v3/scorecard_questions) and the candidate
  // attributes its scorecards rate (/v3/job_candidate_attributes); answers and ratings name them
  // by id, matched here by text.
  std::int64_t interview_kit_id = 0;
  std::vector<GhNamed> scorecard_questions, candidate_attributes;
  // The interview plan (/v3/job_interviews, one per stage after Application Review, each with its
  // own interview kit, /v3/interview_kits) and the hiring team (/v3/job_hiring_managers,
  // /v3/job_owners).
  struct Question {
    std::int64_t id = 0;
    std::string text, answer_type;  // text | yes_no | single_select | multi_select
    std::vector<GhNamed> options;   // select types: /v3/scorecard_question_options
  };
  struct Interview {
    std::int64_t id = 0, stage_id = 0, kit_id = 0;
    std::string name;
    std::vector<Question> questions;  // the kit's (/v3/scorecard_questions)
  };
  std::vector<Interview> interviews;
  std::vector<std::int64_t> hiring_manager_ids;
  std::int64_t recruiter_owner_id = 0, opening_id = 0;
};
struct GhContact {
  std::string value, type;
};
struct GhCustomField {
  std::int64_t id = 0;
  std::string name, name_key, value_type;  // short_text, long_text, yes_no, single_select, ...
  std::vector<std::string> options;
};
struct GhEducation {
  std::int64_t id = 0;
  std::string school, degree, discipline;  // names of custom_field_options of those keys
  int start_year = 0, end_year = 0;
};
struct GhEmployment {
  std::int64_t id = 0;
  std::string company, title, start_date, end_date;  // dates YYYY-MM-DD; end "" = current
};
struct GhCandidate {
  std::int64_t id = 0;
  std::string first_name, last_name, company, title;
  std::string time_zone;  // IANA; "" = null
  bool can_email = true;
  std::vector<GhEducation> educations;
  std::vector<GhEmployment> employments;
  std::vector<GhContact> emails, phones, addresses, websites, social;
  std::vector<std::string> tags;
  std::map<std::string, boost::json::value> custom_fields;  // name_key -> value
  std::int64_t created_at = 0, updated_at = 0;
};
struct GhApplicationStage {
  std::int64_t id = 0, stage_id = 0;
  std::int64_t entered_at = 0;
  std::optional<std::int64_t> exited_at;
  bool entered_at_known = true;  // false: listed with entered_at null (backfilled history)
};
struct GhApplication {
  std::int64_t id = 0, candidate_id = 0;
  bool prospect = false;
  std::string status;  // in_process | rejected | hired | converted
  std::optional<std::int64_t> job_id, stage_id, rejection_reason_id;
  std::int64_t rejected_at = 0;
  std::int64_t source_id = 0, recruiter_id = 0;
  std::optional<std::int64_t> coordinator_id, referrer_id;  // referrer: a /v3/referrers id
  std::int64_t created_at = 0, updated_at = 0;
  std::vector<GhApplicationStage> stages;                    // oldest first; the last is current
  std::vector<std::pair<std::string, std::string>> answers;  // application form (question, answer)
  std::optional<std::int64_t> job_post_id;
};
// /v3/referrers: who referred a candidate; a user of the account or someone outside it.
struct GhReferrer {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> user_id;
};
// /v3/rejection_details: one per rejected application.
struct GhRejectionQuestion {
  std::string key, name, value;
};
struct GhRejectionDetail {
  std::int64_t id = 0, application_id = 0, rejected_by_id = 0;
  std::optional<std::int64_t> rejection_note_id;  // a /v3/notes row
  std::vector<GhRejectionQuestion> questions;     // question_custom_fields (short_text)
};
struct GhAttribute {
  std::string name, rating, note;  // rating: definitely_not|no|yes|strong_yes|mixed|no_decision
};
struct GhAnswer {
  std::string question, answer;
  std::vector<std::string> selected{};  // select-type questions: the chosen options' names
};
struct GhScorecard {
  std::int64_t id = 0, application_id = 0, interviewer_id = 0, submitter_id = 0;
  std::string interview, rating, status;  // rating: strong_no|no|yes|strong_yes|no_decision
  std::int64_t job_interview_id = 0;      // its kit: the job interview's (interview is its name)
  std::int64_t interviewed_at = 0, submitted_at = 0, created_at = 0, updated_at = 0;
  std::vector<GhAttribute> attributes;
  std::vector<GhAnswer> answers;
  std::string public_notes;  // "note to other interviewers" (scorecards.json); "" is null
};
struct GhInterview {
  std::int64_t id = 0, application_id = 0, job_id = 0;
  std::string name, status;  // name: the job interview's
  std::int64_t job_interview_id = 0;
  std::string video_conferencing_url;
  std::vector<std::int64_t> interviewer_ids;
  std::int64_t starts_at = 0, ends_at = 0, created_at = 0, updated_at = 0;
};
struct GhOffer {
  std::int64_t id = 0, application_id = 0;
  std::string status;  // Created | Accepted | Rejected | Deprecated
  std::int64_t sent_at = 0, starts_at = 0, created_at = 0, updated_at = 0;
  int version = 1;  // edits make a new version; the older ones become Deprecated
};
struct GhNote {
  std::int64_t id = 0, candidate_id = 0, user_id = 0;
  std::optional<std::int64_t> application_id;
  std::string body, visibility;  // publicly_visible | privately_visible | admin_only_visible
  std::int64_t created_at = 0;
  std::string type = "NOTE", subject{};  // v3 notes.type (NOTE, EMAIL, LINKEDIN_NOTE, ...)
};
struct GhAttachment {
  std::int64_t candidate_id = 0, application_id = 0;
  std::string type;  // resume | cover_letter | other ...
  std::int64_t created_at = 0;
  SandboxFile file;                 // file.id is the decimal attachment id
  bool candidate_id_listed = true;  // false: listed with candidate_id null (schema allows it)
};
struct GreenhouseData {
  std::vector<GhUser> users;
  std::vector<GhNamed> departments, offices, sources, rejection_reasons, tags;
  std::vector<GhCustomField> custom_fields;
  std::vector<GhJob> jobs;
  std::vector<GhCandidate> candidates;
  std::vector<GhApplication> applications;
  std::vector<GhScorecard> scorecards;
  std::vector<GhInterview> interviews;
  std::vector<GhOffer> offers;
  std::vector<GhNote> notes;
  std::vector<GhAttachment> attachments;
  std::vector<GhReferrer> referrers;
  std::vector<GhRejectionDetail> rejection_details;
  // Prospect pools (/v3/prospect_pools, their stages /v3/prospect_pool_stages) and each prospect
  // application's place in one (/v3/prospect_details).
  struct ProspectPool {
    std::int64_t id = 0;
    std::string name;
    std::vector<GhNamed> stages;
  };
  struct ProspectDetail {  // 0: null (no pool, no stage, unowned)
    std::int64_t id = 0, application_id = 0, pool_id = 0, pool_stage_id = 0, owner_id = 0;
  };
  std::vector<ProspectPool> prospect_pools;
  std::vector<ProspectDetail> prospect_details;
  // Education option lists (custom_field_options of keys school_name, degree, discipline).
  std::vector<GhNamed> schools, degrees, disciplines;
  std::int64_t next_id = 0;
};

struct Dataset {
  std::uint64_t seed = 0;
  int persons = 0;
  LeverData lever;
  GreenhouseData greenhouse;
};

Dataset generate_dataset(std::uint64_t seed, int persons);

// The Ashby setup an operator would make by hand for this dataset (the --ashby-config format).
boost::json::object default_ashby_config(const Dataset& data);

bool is_valid_email(const std::string& email);
std::string normalise_email(const std::string& email);

}  // namespace atsm::sandbox
