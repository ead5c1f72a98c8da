// Lever Data API JSON -> canonical records (docs/vendors/lever.md, docs/mapping.md).
//
// Pure functions: no I/O. Every mapper accepts whatever Lever sends and never throws for bad
// vendor data: a field of the wrong type, an unknown enum value, a missing id or an invalid email
// becomes a named problem in the record's `extra.validation_errors`
// ([{"field": "...", "message": "..."}]) and the record is still produced, so the host stages it
// and the run goes on. Each record keeps the vendor JSON it came from in `raw`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atsmigrate/kit/validation_errors.hpp>
#include <atsmigrate/model/record.hpp>

namespace atsm::lever {

inline constexpr const char* kSourceName = "lever";

// "lever:<object>:<id>".
std::string source_key(const std::string& object, const std::string& id);

// ValidationErrors found while mapping one record (the kit's validation_errors).
using kit::validation_error_count;
using kit::ValidationErrors;

// What the child mappers need to know about the opportunity a child belongs to.
struct OpportunityRef {
  std::string id;
  std::string contact_id;
  // File-upload answers of its applications (application_files), for the file kind.
  std::vector<boost::json::object> application_files = {};
};

// ---- reference data ---------------------------------------------------------------------------

model::Record map_user(const boost::json::value& raw);
// A lead stage: Lever's built-in `lead-*` ids, or a stage titled "New lead"/"Lead" whatever its
// id (accounts show built-in stages with UUID ids).
bool is_lead_stage(const std::string& id, const std::string& title);
model::Record map_stage(const boost::json::value& raw, std::int64_t order);
model::Record map_archive_reason(const boost::json::value& raw);
// /sources and /tags items are {text, count}; their text is their identity.
model::Record map_source(const boost::json::value& raw);
model::Record map_tag(const boost::json::value& raw);
model::Record map_posting(const boost::json::value& raw);
// Departments and offices exist in Lever only as posting categories; one record per distinct
// name ("lever:department:<name>", "lever:office:<name>"), raw = {"name": ..., "postings": [...]}.
std::vector<model::Record> departments_from_postings(
    const std::vector<boost::json::value>& postings);
std::vector<model::Record> offices_from_postings(const std::vector<boost::json::value>& postings);

// ---- persons ------------------------------------------------------------------------------------

// A contact seen through its opportunities (listed with expand=contact): one person per contact
// however many opportunities it has. The newest opportunity (Lever lists newest first, but the
// aggregate does not depend on order) gives name, links, location and owner; tags, sources and
// followers are the union over all opportunities; createdAt and origin are the earliest's.
class ContactAggregate {
 public:
  void add_opportunity(const boost::json::object& opportunity);
  // A resume of one of the contact's opportunities: its parsedData (work history, schools)
  // becomes the person's employment and education, without repeats.
  void add_resume(const boost::json::value& resume);
  model::Record to_person(const std::string& contact_id) const;
  const std::vector<std::string>& opportunity_ids() const { return opportunity_ids_; }

 private:
  // Kept serialized: an aggregate lives for every contact of the account at once until the walk
  // ends, and a parsed boost::json tree takes several times its text (bench/scale, issue 22).
  std::string contact_;  // the expanded contact object, or empty
  std::string newest_;   // what to_person takes from the newest opportunity, or empty
  bool has_newest_ = false;
  std::optional<std::int64_t> newest_created_;
  std::optional<std::int64_t> earliest_created_;
  std::string earliest_origin_;
  std::set<std::string> tags_, sources_, followers_;
  std::vector<std::string> opportunity_ids_;
  bool any_confidential_ = false;
  std::vector<model::Education> education_;
  std::vector<model::Employment> employment_;
};

// The contact id of an opportunity (`contact` as an id or an expanded object); empty if absent.
std::string contact_id_of(const boost::json::object& opportunity);

// ---- candidacies and their children
// ---------------------------------------------------------------

// Archive reason id -> true when its type is "hired".
using HiredReasons = std::map<std::string, bool>;

// `lead_stages`: ids of the stages is_lead_stage says are leads (status lead).
model::Record map_opportunity(const boost::json::value& raw, const HiredReasons& reasons,
                              const std::set<std::string>& lead_stages = {});
// The file-upload answers of an opportunity's expanded applications (`{id, ext, name, size,
// uploadedAt}` each); their bytes are emitted as file records keyed application_file_key(id).
std::vector<boost::json::object> application_files(const boost::json::value& opportunity);
std::string application_file_key(const std::string& file_id);
model::Record map_note(const boost::json::value& raw, const OpportunityRef& opportunity);
model::Record map_feedback(const boost::json::value& raw, const OpportunityRef& opportunity);
// A profile form (`/opportunities/:opp/forms`: custom questions a team fills in about a candidate,
// Lever's custom fields) has feedback's shape; it is emitted as a feedback record keyed
// "lever:form:<id>" with extra.feedback_type "form".
model::Record map_profile_form(const boost::json::value& raw, const OpportunityRef& opportunity);
model::Record map_interview(const boost::json::value& raw, const OpportunityRef& opportunity,
                            std::int64_t now_ms);
model::Record map_offer(const boost::json::value& raw, const OpportunityRef& opportunity);

// The outcome of fetching a file's bytes.
struct Download {
  std::string sha256;  // empty when not downloaded
  std::optional<std::int64_t> size;
  std::optional<std::string> content_type;
  std::optional<std::string> skipped_reason;
  // Downloaded, but not what Lever declared (an HTML page, a short body): a failure for now.
  std::optional<std::string> fetch_failure;
};
// An offer letter: `status` "sent" or "signed" names the offer's sentDocument/signedDocument.
std::string offer_document_key(const std::string& offer_id, const std::string& status);
model::Record map_offer_document(const boost::json::value& offer, const std::string& status,
                                 const OpportunityRef& opportunity, const Download& download);
// A file-upload answer of an application (application_files).
model::Record map_application_file(const boost::json::object& answer,
                                   const OpportunityRef& opportunity, const Download& download);
// A resume (`{id, createdAt, file{...}, parsedData}`) or a file (`{id, name, ext, ...}`).
model::Record map_file(const boost::json::value& raw, const OpportunityRef& opportunity,
                       bool is_resume, const Download& download);

// The time a child was last touched (created, updated, completed, uploaded), for delta sweeps;
// nullopt when it carries no time.
std::optional<std::int64_t> child_touched_at(const boost::json::value& raw);
// True for soft-deleted notes and feedback (`deletedAt` set): they are not migrated.
bool is_soft_deleted(const boost::json::value& raw);

// The documented Lever fields (tests/lever/docs/lever_docs_examples.json, "<example>:<path>" with
// array indices folded to []) that no canonical record carries, each with the reason. README.md
// lists them; tests/lever/docs_examples_test.cpp proves every other documented value lands.
const std::map<std::string, std::string>& unmigrated_lever_fields();
// The same list as the connector declares it to the host (atsm.source.unmigrated/1, connector.h):
// [{"object": "<documented example>" or "*", "field": "<path>", "reason": "..."}].
const std::string& unmigrated_lever_fields_json();

// An epoch-ms timestamp as Lever sends it: an integer, an integral double or a numeric string.
std::optional<std::int64_t> parse_millis(const boost::json::value& value);

}  // namespace atsm::lever
