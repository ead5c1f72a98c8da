// The Lever source connector's state and steps, shared by its files: lever_connector.cpp (the
// read entry point and the plugin's declaration), lever_settings.cpp (config and checkpoints),
// lever_paging.cpp (list walks and creation-time windows), lever_reference_reads.cpp,
// lever_opportunity_reads.cpp (persons and candidacies), lever_children.cpp (per-opportunity
// lists read by a worker pool) and lever_file_reads.cpp (downloads and owed files).
#pragma once

#include <atsmigrate/connector.hpp>
#include <atsmigrate/kit/kit.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
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
#include "lever_client.hpp"
#include "lever_mapping.hpp"

namespace atsm::lever {
namespace json = boost::json;

// Records per emitted batch for kinds that are not emitted page by page.
constexpr std::size_t kBatchSize = 100;
// Contact ids per `contact_id=` query when a delta run re-reads the touched persons.
constexpr std::size_t kContactsPerQuery = 50;

std::int64_t now_millis();

struct Settings {
  ClientSettings client;
  std::optional<std::int64_t> since;
  bool include_confidential = true;
  double rate_scale = 1.0;
  bool delta_children_recent = false;
  bool profile_forms = true;
  int concurrency = 0;  // 0: sized from the measured latency
};

// lever_settings.cpp: the configuration keys and the checkpoint members, each declared once.
extern const kit::ConfigTable kConfig;
extern const kit::CheckpointFormat kCheckpoints;
Settings parse_settings(std::string_view config_json);
json::object parse_checkpoint(const std::string& kind, const std::string& checkpoint);
using kit::int_member;
using kit::string_member;
// The identity of a list item: its id, or its text for /sources and /tags.
std::string item_id(const json::value& item);

// Where a list walk stands: the token of the page to fetch (none = first page) and the id of
// the last item already handled (to skip through after a restart).
struct ListPosition {
  std::optional<std::string> offset;
  std::string last_id;
};

class LeverSource : public sdk::Source {
 public:
  LeverSource(sdk::Host host, std::string_view config_json);

  void read(const std::string& kind, const std::string& checkpoint, sdk::Emitter& emitter) override;

 private:
  // ---- lever_connector.cpp: confidential access, emitting, the read's snapshot -----------------
  std::string confidentiality() const;
  void check_confidential_access();
  void count(const std::vector<model::Record>& records);
  void emit(sdk::Emitter& emitter, const std::string& kind,
            const std::vector<model::Record>& records, const std::string& checkpoint);
  std::int64_t snapshot_of(const json::object& position) const;
  Query opportunity_query() const;

  // ---- lever_paging.cpp: paged lists, and opportunities window by window ----------------------
  //
  // GET /opportunities is ordered by stage rank, then lastAdvancedAt, then id (issue 16 §1;
  // docs/vendors/lever.md §2), all of which move while recruiters work: a page token skips an
  // opportunity moved to an earlier stage during the walk, and a walk restarted after a stale token
  // cannot tell where it was. So opportunities are read in windows of creation time (createdAt
  // never changes; created_at_start/_end are documented and inclusive, docs/vendors/lever.md §2),
  // each narrow enough that Lever answers it whole in one response (hasNext false). One response is
  // one instant of the account: nothing moved can hide from it, and no token is ever kept. Widths
  // follow the density seen so far; a window answered with hasNext is asked again a quarter as
  // wide. The windows cover [from, until] without gap or overlap, so each opportunity is read
  // exactly once per walk.

  struct Window {
    std::int64_t start = 0, end = 0;  // createdAt, inclusive
    std::int64_t next_width = 0;      // the width to try after it
    bool last = false;                // it ends the walk
  };

  // What a read covers: every opportunity, or for a delta those created, updated, moved to
  // another stage or archived since. updatedAt alone would miss most: it is null on most real
  // opportunities and a stage move leaves it (issue 16 §1, §4); the four filters are documented
  // (docs/vendors/lever.md §2) and Lever ANDs filters, so each is a walk of its own, deduplicated
  // by id.
  struct ReadPhase {
    Query filter;
    std::int64_t created_from = 0;
  };

  void walk(
      const std::string& path, const Query& query, ListPosition from, const std::string& what,
      const std::function<void(json::array&, const ListPosition&, const ListPosition&)>& on_page);
  static std::string list_checkpoint(const ListPosition& after, std::int64_t count);
  void walk_windows(const Query& query, std::int64_t from, std::int64_t until, std::int64_t width,
                    const std::string& what,
                    const std::function<void(std::vector<json::value>&, const Window&)>& on_window);
  std::vector<json::value> walk_millisecond(const Query& query, std::int64_t at,
                                            const std::string& what);
  std::vector<ReadPhase> read_phases() const;

  // ---- lever_reference_reads.cpp: users, stages, archive reasons, sources, tags, postings ------
  void read_list(const std::string& kind, const std::string& path, const Query& query,
                 const json::object& position, sdk::Emitter& emitter,
                 const std::function<model::Record(const json::value&, std::int64_t)>& map);
  const std::vector<json::value>& postings();
  void read_jobs(const json::object& position, sdk::Emitter& emitter);
  void read_archive_reasons(const json::object& position, sdk::Emitter& emitter);
  void read_categories(const std::string& kind, sdk::Emitter& emitter);
  const HiredReasons& hired_reasons();
  const std::set<std::string>& lead_stages();

  // ---- lever_opportunity_reads.cpp: persons and candidacies ------------------------------------
  void read_persons(const json::object& position, sdk::Emitter& emitter);
  void add_resumes(std::map<std::string, ContactAggregate>& contacts,
                   const std::vector<std::string>& ids);
  void read_candidacies(const json::object& position, sdk::Emitter& emitter);
  void report_deleted_opportunities();

  // ---- lever_children.cpp: children of opportunities, read by a pool of workers ---------------
  class ChildSweep;
  std::vector<json::value> child_list(const OpportunityRef& opportunity, const std::string& child);
  void read_children_of(const std::string& kind, const OpportunityRef& opportunity,
                        std::vector<model::Record>& out);
  bool worth_sweeping(const json::value& opportunity) const;
  std::size_t child_workers() const;
  void read_children(const std::string& kind, const json::object& position, sdk::Emitter& emitter);

  // ---- lever_file_reads.cpp: file downloads checked against what Lever declared, files owed ----

  // The four kinds of Lever file records; each name is also its source-key object.
  enum class FileKind { resume, file, offer_document, application_file };

  // A file to download: its opportunity, its kind and id (an offer letter: the offer's id and
  // `status` "sent" or "signed"). Also what a read owes when the download was not the file.
  struct OwedFile {
    OpportunityRef opportunity;
    FileKind kind = FileKind::file;
    std::string id;
    std::string status = {};
  };

  static const char* kind_name(FileKind kind);
  static std::string file_key(const OwedFile& file);
  static std::string download_path(const OwedFile& file);
  static std::string download_what(const OwedFile& file);
  void read_offer_documents(const OpportunityRef& opportunity, std::vector<model::Record>& out);
  model::Record fetch_offer_document(const OpportunityRef& opportunity, const json::value& offer,
                                     const std::string& status);
  model::Record fetch_application_file(const OpportunityRef& opportunity,
                                       const json::object& answer);
  void remember_offer_documents(const std::string& opportunity_id,
                                const std::vector<json::value>& offers);
  bool in_delta(const json::value& child);
  static model::DeclaredFile declared_file(const json::value& meta, const char* name_key = "name");
  std::optional<std::string> download_mismatch(const model::DeclaredFile& declared,
                                               const FetchedFile& fetched);
  Download fetch_checked(const OwedFile& target, const model::DeclaredFile& declared);
  void fetch_file(const OpportunityRef& opportunity, const json::value& item, bool is_resume,
                  std::vector<model::Record>& out);
  static json::array owed_json(const std::vector<OwedFile>& owed);
  static std::optional<FileKind> kind_named(const std::string& name);
  static std::vector<OwedFile> owed_from(const json::object& position, const char* key);
  static std::vector<OwedFile> refetched_files(const json::object& position);
  void end_owing(sdk::Emitter& emitter, std::vector<model::Record>& batch);
  std::optional<json::value> reread(const OwedFile& file);
  void read_owed_files(const std::vector<OwedFile>& owed, sdk::Emitter& emitter);

  sdk::Host host_;
  Settings settings_;
  LeverClient client_;
  std::int64_t snapshot_ = now_millis();
  bool confidential_checked_ = false;
  bool confidential_access_ = true;
  std::optional<std::vector<json::value>> postings_;
  std::optional<HiredReasons> hired_reasons_;
  std::optional<std::set<std::string>> lead_stages_;
  // Offers with letters by opportunity id, remembered by an offer kind read from its start
  // (offers_read_ then true) so the file kind need not list them again.
  std::mutex offers_mutex_;
  std::map<std::string, std::vector<json::value>> offers_seen_;
  bool offers_read_ = false;
  std::uint64_t records_ = 0, invalid_ = 0;
  std::atomic<std::uint64_t> skipped_{0};
  std::mutex owed_mutex_;
  std::vector<OwedFile> owed_;  // files this read could not fetch as declared
};

}  // namespace atsm::lever
