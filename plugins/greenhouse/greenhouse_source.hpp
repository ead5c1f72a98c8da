// The Greenhouse source connector's state and steps, shared by its files: greenhouse_connector.cpp
// (the read entry point and the plugin's declaration), greenhouse_settings.cpp (config and
// checkpoints), greenhouse_lists.cpp (list walks and the lookups several kinds share),
// greenhouse_reference_reads.cpp, greenhouse_candidate_reads.cpp,
// greenhouse_application_reads.cpp, greenhouse_activity_reads.cpp (notes, scorecards, interviews,
// offers) and greenhouse_attachment_reads.cpp (downloads and owed attachments).
#pragma once

#include <atsmigrate/connector.hpp>
#include <atsmigrate/kit/kit.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include <atsmigrate/model/codec.hpp>
#include <atsmigrate/model/download_check.hpp>
#include <atsmigrate/model/time.hpp>
#include "greenhouse_client.hpp"
#include "greenhouse_mapping.hpp"

namespace atsm::greenhouse {
namespace json = boost::json;

// Parents per id-filtered call (Greenhouse's limit for `ids`, `application_ids`, ...).
constexpr std::size_t kIdsPerQuery = 50;
// Files per emitted batch: a checkpoint at least this often inside a page of downloads.
constexpr std::size_t kFilesPerBatch = 50;
constexpr double kWindowMs = 30000.0;

struct Settings {
  ClientSettings client;
  std::optional<std::string> since;  // normalised ISO 8601
  std::uint32_t window_limit = 50;
  double rate_scale = 1.0;
  std::size_t downloads_in_flight = 8;
};

// greenhouse_settings.cpp: the configuration keys and the checkpoint members, each declared once.
extern const kit::ConfigTable kConfig;
extern const kit::CheckpointFormat kCheckpoints;
Settings parse_settings(std::string_view config_json);

// Where a list walk stands: the page to fetch (none = the first page, rebuilt from the filters)
// and the id of the last item handled (lists run id-descending, so everything at or above it
// is done).
struct Position {
  std::optional<std::string> page;
  std::int64_t last_id = 0;
  // Attachments: those not fetched yet (fetched again after the walk), and whether the walk is
  // over and only they remain.
  std::vector<std::string> owed;
  bool retry_only = false;
};

Position parse_checkpoint(const std::string& kind, const std::string& checkpoint);
std::string checkpoint_text(const std::optional<std::string>& page, std::int64_t last_id,
                            const std::vector<std::string>& owed = {});
std::string retry_checkpoint(const std::vector<std::string>& ids);

// greenhouse_lists.cpp
std::int64_t numeric_id(const json::value& item);
std::string join(const std::vector<std::string>& ids, std::size_t from, std::size_t to);
std::optional<std::string> member_id(const json::value& item, const char* key);

class GreenhouseSource : public sdk::Source {
 public:
  GreenhouseSource(sdk::Host host, std::string_view config_json);

  void read(const std::string& kind, const std::string& checkpoint, sdk::Emitter& emitter) override;

 private:
  using PageFn = std::function<void(json::array& items, const std::optional<std::string>& page,
                                    const std::optional<std::string>& next)>;

  // ---- greenhouse_connector.cpp ----------------------------------------------------------------
  Query delta() const;
  void emit(sdk::Emitter& emitter, const std::string& kind,
            const std::vector<model::Record>& records, const std::string& checkpoint);

  // ---- greenhouse_lists.cpp: list walks, and lookups shared by several kinds -------------------
  void walk(const std::string& resource, const Query& query, Position from, const std::string& what,
            const PageFn& on_page);
  static std::int64_t last_id_of(const json::array& items, std::int64_t fallback);
  void read_simple(const std::string& kind, const std::string& resource, Query query,
                   const Position& from, sdk::Emitter& emitter,
                   const std::function<model::Record(const json::value&)>& map);
  std::map<std::string, std::vector<json::value>> children_of(
      const std::vector<std::string>& parents, const std::string& resource,
      const std::string& filter, const char* parent_key,
      const std::vector<std::string>* wanted = nullptr);
  void learn_candidates(const json::array& items);
  std::string candidate_of(const json::value& item);
  std::vector<std::string> ids_of(const json::array& items);
  std::map<std::string, std::vector<json::value>> whole_list(const std::string& resource,
                                                             const char* key);
  std::map<std::string, std::string> texts_by_id(const std::string& resource, const char* text);
  const std::map<std::string, std::vector<json::value>>& account_list(const std::string& resource,
                                                                      const char* key);

  // ---- greenhouse_reference_reads.cpp: jobs and custom fields ----------------------------------
  model::Record job_record(const json::value& item);
  const CustomFieldIndex& custom_field_index();
  const json::array& custom_fields();
  void read_custom_fields(const Position& from, sdk::Emitter& emitter);

  // ---- greenhouse_candidate_reads.cpp: persons -------------------------------------------------
  const std::map<std::string, std::string>& education_options(const std::string& key);
  void add_history(model::Person& person, const std::string& candidate);
  void read_candidates(const Position& from, sdk::Emitter& emitter);

  // ---- greenhouse_application_reads.cpp: candidacies -------------------------------------------
  const std::map<std::string, std::vector<json::value>>& referrers();
  const std::map<std::string, std::vector<json::value>>& rejection_details(
      const json::array& items);
  std::map<std::string, json::value> rejection_notes(
      const std::map<std::string, std::vector<json::value>>& details, const json::array& items);
  void add_prospect_detail(const std::string& application, ApplicationExtras& extras);
  void read_applications(const Position& from, sdk::Emitter& emitter);

  // ---- greenhouse_activity_reads.cpp: notes, scorecards, interviews, offers --------------------
  std::optional<std::string> job_interview_name(const std::optional<std::string>& id);
  std::optional<std::string> form_name(const json::value& scorecard);
  const std::map<std::string, std::vector<json::value>>& scorecard_answers();
  void read_notes(const Position& from, sdk::Emitter& emitter);
  const std::map<std::string, std::string>& attribute_names();
  const std::map<std::string, std::string>& question_texts();
  void read_scorecards(const Position& from, sdk::Emitter& emitter);
  void read_interviews(const Position& from, sdk::Emitter& emitter);
  void read_offers(const Position& from, sdk::Emitter& emitter);

  // ---- greenhouse_attachment_reads.cpp: attachments --------------------------------------------
  model::Record attachment_record(const json::value& item, const FetchedFile& fetched);
  static std::chrono::steady_clock::time_point stale_after(
      const json::value& item, std::chrono::steady_clock::time_point read);
  void refresh_urls(json::array& items, std::size_t start, std::set<std::string>& refreshed,
                    std::vector<std::chrono::steady_clock::time_point>& stale);
  std::optional<std::string> download_mismatch(const json::value& item, const Download& download);
  FetchedFile fetch_now(const json::value& item);
  static FetchedFile deleted_meanwhile();
  void note_unfetched(const std::string& id, const std::string& failure);
  struct PageDownload;
  void download_page(json::array& items, std::set<std::string>& refreshed,
                     std::vector<std::chrono::steady_clock::time_point>& stale,
                     const std::function<void(std::size_t, PageDownload&)>& take);
  void read_attachments(const Position& from, sdk::Emitter& emitter);
  void fetch_owed(std::vector<std::string> owed, std::map<std::string, json::value>& items,
                  sdk::Emitter& emitter);

  sdk::Host host_;
  Settings settings_;
  GreenhouseClient client_;
  bool delta_warned_ = false;
  std::optional<json::array> custom_fields_;
  std::optional<CustomFieldIndex> custom_field_index_;
  std::optional<std::map<std::string, std::string>> attribute_names_, question_texts_;
  std::optional<ApplicationStaff> all_staff_;
  std::optional<std::map<std::string, std::vector<json::value>>> referrers_, all_rejection_details_;
  std::map<std::string, std::vector<json::value>> page_rejection_details_;
  std::map<std::string, std::string> application_candidates_;
  // Child lists read whole because Greenhouse refused their parent filter.
  std::map<std::string, std::map<std::string, std::vector<json::value>>> whole_lists_;
  std::set<std::string> vanished_;
  std::map<std::string, std::map<std::string, std::vector<json::value>>> account_lists_;
  std::map<std::string, std::map<std::string, std::string>> education_options_;
  std::optional<std::map<std::string, std::string>> job_interview_names_;
  std::optional<std::map<std::string, std::vector<json::value>>> scorecard_answers_;
  std::uint64_t records_ = 0, invalid_ = 0, skipped_ = 0, failed_ = 0;
};

}  // namespace atsm::greenhouse
