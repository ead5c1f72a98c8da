// The Ashby sink: renders the host's write items (sdk/docs/sink-protocol.md) into Ashby RPC calls,
// finds what an ambiguous earlier attempt created, and reads objects back in canonical form.
// What each record becomes: docs/mapping.md. Thread-safe: write, find and read_back may run
// concurrently on one instance (the caches below are guarded by one mutex). The member functions
// are defined by part, in the files named at each group below (README.md, "Code").
#pragma once

#include <atsmigrate/connector.hpp>

#include <array>
#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <atsmigrate/kit/config.hpp>
#include <atsmigrate/model/record.hpp>
#include "ashby_client.hpp"
#include "candidate_memo.hpp"

namespace atsm::ashby {

// The configuration keys: Ashby's own settings (config_keys_json in connector.cpp lists them
// with their defaults, README.md describes them). The migration options are not among them: they
// come with prepare (PlanOptions).
// sink_protocol.cpp: the configuration keys, declared once (descriptor and parsing).
extern const kit::ConfigTable kConfig;

// The config's values; their defaults are kConfig's.
struct SinkConfig {
  std::string base_url;
  double rate_limit_per_minute = 0;
  // The archive reason (title or id) of archived candidacies whose reason is not mapped; empty:
  // none, such a candidacy fails.
  std::string default_archive_reason;
  std::string legacy_candidate_field;
  std::string legacy_application_field;
  std::string jobless_job;  // Ashby job (title or id) of lead applications
  std::string uploads;      // handle | multipart
  // hold: candidacies of a job confidential in the source wait until Ashby's job.info says the
  // job is confidential (the operator's step in the web app) | proceed: written at once.
  std::string confidential_jobs;
};

// Parses the config object; unknown keys and wrong types are ATSM_INVALID naming them (a
// migration option among them is named as one, with where it belongs).
SinkConfig parse_sink_config(std::string_view config_json);

// The migration options the sink acts on, from prepare's `options` (sdk/docs/sink-protocol.md
// §1): the host sends every option with its default filled in and applies the skip rules
// (private_notes, interviews, offers) itself, so a record that reaches the sink is written. The
// defaults here are the host's, for a prepare whose `options` leave one out.
struct PlanOptions {
  std::string jobless = "candidate_only";        // | lead_application (on config's jobless_job)
  std::string scorecards = "feedback_and_note";  // | feedback | note
  std::string feedback_form = "Migrated feedback";
  std::string default_interview_plan;  // empty: the only active plan
  std::string fallback_user;           // email, checked by prepare
};

// Reads prepare's `options` (nullptr: all defaults); an option the sink acts on whose value it
// does not support is ATSM_INVALID naming the option. The other options are the host's.
PlanOptions parse_plan_options(const boost::json::value* options);

// One write item of the sink protocol.
struct WriteItem {
  std::string key;
  model::Record record;
  std::vector<model::Record> group;
  std::map<std::string, std::string> refs;
  std::string target_id;
  bool lookup_first = false;
  boost::json::object extra;  // optional fields beyond the protocol (source_id, ...)
};
// Throws sdk::Error(ATSM_INVALID) naming the item and the field.
WriteItem parse_write_item(const boost::json::value& json, const std::string& kind);

struct ItemResult {
  std::string key;
  std::string status = "ok";
  std::string target_id;
  boost::json::array derived;
  std::vector<std::string> lossy;
  std::string skipped;  // non-empty: deliberately not written, and why
  std::string message;
  std::string vendor_code;
  std::string vendor_request_id;

  boost::json::object to_json() const;
};

class AshbySink : public sdk::Sink {
 public:
  AshbySink(sdk::Host host, std::string_view config_json);

  std::string prepare(const std::string& plan_json) override;
  std::string write(const std::string& kind, const std::string& items_json) override;
  std::optional<std::string> find(const std::string& kind, const std::string& item_json) override;
  std::optional<std::string> read_back(const std::string& kind,
                                       const std::string& target_id) override;

  // Extension atsm.sink.census/1: every candidate (person) or application (candidacy) that
  // carries legacy ids, as {"target_id", "keys", "emails"}; nullopt for other kinds.
  std::optional<std::string> census(const std::string& kind);

  // Extension atsm.sink.finish/1: every job an application detour opened goes back to its status.
  std::string finish(const std::string& summary_json);

  // Writes one item; never throws for the item's own failures (they go into the result).
  ItemResult write_item(const std::string& kind, const WriteItem& item);

 private:
  struct StageInfo {
    std::string id, title, type, plan_id;
    int64_t order = 0;
  };
  struct PlanInfo {
    std::string plan_id;
    std::vector<StageInfo> stages;  // plan order
  };
  struct FormInfo {
    std::string id, score_path, text_path, text_type;
  };
  struct StageEntry {
    StageInfo stage;
    std::string at;  // when the candidacy entered it
  };
  struct ApplicationHistory {
    std::vector<StageEntry> entries;  // oldest first
    std::string created_at;
    std::string archive_reason_id;  // of the Archived entry
    boost::json::array to_json() const;
  };

  // ---- prepare's steps (sink_prepare.cpp) ----
  boost::json::object read_catalog();
  void read_plans_and_stages(boost::json::object& catalog);
  void check_option_targets(const boost::json::object& plan, const boost::json::object& catalog,
                            boost::json::array& missing);
  boost::json::object calls_per_item() const;
  boost::json::array operator_steps(const boost::json::object& plan) const;

  // ---- catalog, cached (sink_catalog.cpp) ----
  std::vector<boost::json::object> cached_list(const std::string& method,
                                               const boost::json::object& body = {});
  void remember(const std::string& method, const boost::json::object& item);
  void forget(const std::string& method);
  std::map<std::string, StageInfo> stage_index();
  PlanInfo job_plan(const std::string& job_id);
  std::string default_plan_id();
  std::string plan_id_by_name(const std::string& name);
  FormInfo feedback_form();
  std::string legacy_field_id(const std::string& object_type);
  std::optional<boost::json::object> custom_field_by_id(const std::string& id);
  std::mutex& create_lock(const std::string& list_method, const std::string& name);
  std::string ensure_named(const std::string& list_method, const std::string& create_method,
                           const std::string& name_key, const std::string& name,
                           const boost::json::object& create_body);
  std::string ensure_tag(const std::string& title);
  std::string archive_reason_fallback();

  // ---- writers (sink_jobs.cpp, sink_candidates.cpp, sink_applications.cpp,
  //      sink_activity.cpp, sink_files.cpp) ----
  void write_department(const WriteItem& item, ItemResult& result, bool office);
  void write_job(const WriteItem& item, ItemResult& result);
  void write_tag(const WriteItem& item, ItemResult& result);
  void write_custom_field(const WriteItem& item, ItemResult& result);
  void write_person(const WriteItem& item, ItemResult& result);
  void write_candidacy(const WriteItem& item, ItemResult& result);
  std::string jobless_job_id();
  std::optional<StageInfo> stage_in_plan(const WriteItem& item, const std::string& stage_key,
                                         const PlanInfo& plan, const std::string& job_id,
                                         ItemResult& result);
  ApplicationHistory application_history(const WriteItem& item, const std::string& job_id,
                                         ItemResult& result);
  std::string application_source(const WriteItem& item, ItemResult& result);
  std::string create_new_application(const std::string& job_id, const boost::json::object& body);
  void update_application(const std::string& id, const ApplicationHistory& history,
                          const std::string& source_id, const std::string& credited,
                          ItemResult& result);
  void write_application_content(const WriteItem& item, const std::string& candidate_id,
                                 const std::string& application_id, ItemResult& result);
  void write_note(const WriteItem& item, ItemResult& result);
  void write_feedback(const WriteItem& item, ItemResult& result);
  void write_interviews(const WriteItem& item, ItemResult& result);
  void write_offer(const WriteItem& item, ItemResult& result);
  void write_file(const WriteItem& item, ItemResult& result);
  void remember_file_ids(const std::string& candidate_id, const boost::json::object& candidate,
                         bool created);
  std::set<std::string> file_ids_before_upload(const std::string& candidate_id);
  void forget_what_the_load_learnt_per_candidate();
  std::mutex& upload_lock(const std::string& candidate_id);
  std::string uploaded_file_id(const std::string& candidate_id,
                               const boost::json::object& candidate,
                               const std::set<std::string>& before, const model::File& file,
                               bool resume);
  void move_job(const std::string& id, const std::string& from, const std::string& to);
  // The lock that keeps one reopen detour of `job_id` at a time, and the job's status in Ashby.
  std::mutex& reopen_lock(const std::string& job_id);
  std::string job_status(const std::string& job_id);
  void write_hiring_team(const WriteItem& item, const std::string& job_id,
                         const boost::json::object& current, ItemResult& result);
  std::map<std::string, std::string> hiring_team_roles();
  boost::json::object create_application(const std::string& job_id,
                                         const boost::json::object& body);
  // Puts every job a detour left Open (recorded as a host intent, this run's or an earlier
  // one's) back to its recorded status and ends the intents. Returns how many were restored.
  size_t restore_detoured_jobs();
  void restore_detoured_job(const std::string& job_id, const std::string& status);
  // Why a candidacy on `job_id` waits for the operator (the job is confidential in the source
  // and not yet in Ashby), or "" to write it.
  std::string confidential_hold(const std::string& job_id);

  // ---- finders, the same lookups lookup_first uses (sink_find.cpp; find_candidate and
  //      find_file with their writers) ----
  std::optional<std::string> find_candidate(const WriteItem& item);
  std::optional<std::string> find_application(const WriteItem& item);
  std::optional<std::string> find_job(const WriteItem& item);
  std::optional<std::string> find_note_by_hash(const std::string& candidate_id,
                                               const std::string& hash);
  std::optional<std::string> find_feedback_by_hash(const std::string& application_id,
                                                   const std::string& hash);
  std::optional<std::string> find_file(const WriteItem& item);
  std::optional<std::string> find_item(const std::string& kind, const WriteItem& item);

  // ---- read-back (sink_read_back.cpp) ----
  std::optional<boost::json::object> fetch_or_none(const std::string& method,
                                                   const boost::json::object& body);
  std::optional<boost::json::object> read_note_or_feedback(const std::string& kind,
                                                           const std::string& target_id);
  std::optional<boost::json::object> read_file(const std::string& target_id);

  // ---- shared steps (sink_activity.cpp: notes; sink_candidates.cpp: values, tags) ----
  // How create_note's content is sent: HTML the sink composed (render.hpp's
  // composed_note_content picks text/html or text/plain), or as note_content decided.
  enum class NoteFormat { composed_html, html, plain_text };
  std::string create_note(const std::string& candidate_id, const std::string& content,
                          bool is_private, const std::optional<std::string>& created_at,
                          const std::string& hash, bool look_first,
                          NoteFormat format = NoteFormat::composed_html);
  void set_custom_values(const std::string& object_type, const std::string& object_id,
                         const boost::json::array& values, ItemResult& result);
  boost::json::array custom_values(const std::vector<model::CustomFieldValue>& values,
                                   const WriteItem& item, ItemResult& result);
  void add_tags(const std::string& candidate_id, const std::vector<std::string>& tags,
                const boost::json::object* candidate);
  std::string application_job_title(const std::string& application_id);
  std::string ref(const WriteItem& item, const std::optional<std::string>& source_key) const;

  SinkConfig config_;
  PlanOptions plan_options_;  // set by prepare, read by the writers
  Client client_;
  std::mutex mutex_;  // guards the caches below
  // (list method, name_key) -> held by the one create of that name under way; the catalog's
  // names are few.
  std::map<std::pair<std::string, std::string>, std::unique_ptr<std::mutex>> create_locks_;
  std::map<std::string, std::vector<boost::json::object>> lists_;
  // What this instance created, by list method: a list read that began before a create must not
  // hide it once cached, or a later lookup creates the object twice.
  std::map<std::string, std::vector<boost::json::object>> created_;
  // Bumped by forget(): a list read that began before it may miss what an ambiguous create
  // committed, so it is not cached over the read that began after.
  std::map<std::string, std::uint64_t> list_generation_;
  std::map<std::string, PlanInfo> job_plans_;
  std::map<std::string, std::string> tag_ids_;
  JobTitlesByApplication application_jobs_;
  // Per candidate: file ids seen, files this instance uploaded, tags held.
  CandidateMemos candidate_memos_;
  // hiringTeamRole.list as lower-case title -> role id, once read.
  std::optional<std::map<std::string, std::string>> hiring_team_roles_;
  std::map<std::string, std::string> latest_resume_;  // candidate -> uploaded_at of its resume
  std::map<std::string, std::string> legacy_fields_;  // object type -> field id
  std::map<std::string, std::mutex> reopen_locks_;    // job -> one reopen detour at a time
  std::mutex restore_mutex_;                          // one restore of detoured jobs at a time
  bool detours_checked_ = false;        // this instance restored what earlier runs left open
  std::set<std::string> open_detours_;  // jobs this instance opened and will restore at finish
  // Jobs confidential in the source that Ashby did not show as confidential yet (host intents,
  // read once per instance: job id -> title), and those job.info found not confidential in this
  // run (asked once per run: the operator's step comes between runs).
  std::optional<std::map<std::string, std::string>> confidential_pending_;
  std::set<std::string> confidential_not_yet_;
  std::map<std::string, std::string> job_statuses_;  // job -> the status this instance set
  bool closed_jobs_refuse_ = false;  // this Ashby refused an application on a job not Open
  // candidate -> held from "the ids before" to "the new id" of one upload: two uploads of one
  // name onto one candidate at once would each see both new files and could tell them apart
  // only by downloading them. A fixed set of locks, one per candidate's hash: a lock per
  // candidate would keep one for each of the account's candidates to the end of the run, and
  // two candidates sharing one (1 in 256) only take turns.
  std::array<std::mutex, 256> upload_locks_;
  std::optional<FormInfo> form_;
};

}  // namespace atsm::ashby
