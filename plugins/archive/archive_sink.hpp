// The archive sink (README.md): every record the host hands it becomes rows of flat tables,
// kept in a small SQLite state beside the output, and written out as CSV, JSON Lines and XLSX
// files with a manifest when the load finishes (atsm.sink.finish/1).
#pragma once

#include <sqlite3.h>

#include <atsmigrate/connector.hpp>
#include <atsmigrate/kit/config.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "output.hpp"
#include "tables.hpp"

namespace atsm::archive {

struct ArchiveConfig {
  std::filesystem::path dir;
  std::vector<std::string> formats = {"csv"};
  std::set<std::string> tables;                               // empty: every table
  std::map<std::string, std::vector<std::string>> columns;    // table -> chosen columns
  std::map<std::string, std::set<std::string>> hash_columns;  // table -> hashed columns
  std::string hash_secret = "ARCHIVE_HASH_KEY";
  std::string mode = "snapshot";  // snapshot | append
  bool include_files = false;
  uint32_t xlsx_max_rows = 1048576;
};

// The configuration keys, declared once (descriptor and parse_config).
extern const kit::ConfigTable kConfig;
// Parses the plugin's configuration; throws atsm::sdk::Error(ATSM_INVALID) naming the key.
ArchiveConfig parse_config(std::string_view config_json);

class ArchiveSink : public atsm::sdk::Sink {
 public:
  ArchiveSink(atsm::sdk::Host host, std::string_view config_json);
  ~ArchiveSink() override;

  std::string prepare(const std::string& plan_json) override;
  std::string write(const std::string& kind, const std::string& items_json) override;
  std::optional<std::string> find(const std::string& kind, const std::string& item_json) override;
  std::optional<std::string> read_back(const std::string& kind,
                                       const std::string& target_id) override;
  // Removes what the source no longer has, then writes the files and the manifest.
  std::string finish(const std::string& summary_json);

 private:
  struct Selected {  // what of a table the output keeps
    std::vector<size_t> indexes;
    std::vector<std::string> columns;
    std::vector<bool> hashed;
  };

  void open_state();
  void exec(const char* sql);
  // Stores one item's rows; returns lossy notes. Runs inside the caller's transaction.
  std::vector<std::string> store_item(const std::string& kind, const std::string& key,
                                      std::vector<Row> rows, bool& changed);
  void remove_item(const std::string& kind, const std::string& key);
  void log_row(const std::string& table, const std::string& rid, const std::string& cells,
               bool deleted);
  std::string copy_file(const boost::json::object& record, std::vector<std::string>& lossy);
  std::string hmac(const std::string& value) const;
  // Writes every table in each chosen format and the manifest; returns the rows written.
  int64_t export_all(const std::filesystem::path& staging, boost::json::object& manifest);
  struct Export;  // one export_all's state (archive_sink.cpp)
  int64_t export_table(const std::string& table, const Selected& selected, Export& run,
                       boost::json::object& tables);
  boost::json::object close_workbook(Export& run, int64_t total);
  boost::json::array publish_outputs(const Export& run);
  void write_manifest(const std::filesystem::path& staging, const boost::json::object& manifest);

  atsm::sdk::Host host_;
  ArchiveConfig config_;
  std::map<std::string, Selected> selected_;
  std::string hash_key_;
  sqlite3* db_ = nullptr;
  int64_t run_ = 0;
  int64_t seq_ = 0;          // the last row's position in output order
  std::string run_started_;  // ISO 8601 UTC with milliseconds: the rows' _synced_at
  std::string source_;
  std::mutex mutex_;
};

}  // namespace atsm::archive
