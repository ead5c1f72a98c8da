// Why records were skipped, kept lossily or staged with a bad field, by reason class: the reason
// without the record keys and quoted values it names ("its person <key> was not migrated:
// anonymised in the source"), so a report of 100,000 persons holds a handful of classes, not a
// key per record. Every record goes once to a JSONL file beside the report; the report lists the
// first few of each class and says how many there are.
#pragma once

#include <boost/json/array.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "services/store/private_fs.hpp"

namespace atsm::pipeline {

// The reason with every source key ("lever:contact:3f2…") made "<key>", every bare UUID (a
// vendor's own id) "<id>", every file name ("Chen_Resume.pdf") "<file>" and every quoted value
// ('…' or "…") made '…'.
std::string reason_class(std::string_view reason);

class RecordsByReason {
 public:
  static constexpr std::size_t kListed = 20;  // record keys per class in report.json

  // Writes every record to `file` (0600), replacing what a previous report wrote there.
  explicit RecordsByReason(std::filesystem::path file);
  RecordsByReason(const RecordsByReason&) = delete;
  RecordsByReason& operator=(const RecordsByReason&) = delete;

  // One record under a reason: counted and written once per (category, kind, class, key).
  // `detail`: the reason as it was given, ids included (kept in the file, not the report).
  void add(std::string_view category, std::string_view kind, std::string_view key,
           std::string_view reason);
  // One line of the file that no class holds (e.g. a bad source field).
  void write_line(const boost::json::object& line);

  // Per class, most records first: {category, kind, reason, records, listed: [key…], all_in?}.
  boost::json::array classes() const;
  // Records counted under `category`, per kind and class.
  std::map<std::string, std::map<std::string, std::int64_t>> counts(
      std::string_view category) const;
  std::int64_t lines() const { return lines_; }
  const std::filesystem::path& file() const { return file_; }
  // Makes the file complete and durable; before this it is a temporary beside it.
  void close();

 private:
  struct Class {
    std::int64_t records = 0;
    std::vector<std::string> listed;
  };
  std::filesystem::path file_;
  std::filesystem::path partial_;
  store::fs::UniqueFd fd_;
  std::string buffer_;
  std::int64_t lines_ = 0;
  std::map<std::tuple<std::string, std::string, std::string>, Class> classes_;
  std::unordered_set<std::uint64_t> seen_;  // hashes: 8 bytes a record, not its key
};

}  // namespace atsm::pipeline
