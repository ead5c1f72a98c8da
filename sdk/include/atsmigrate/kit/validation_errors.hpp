// A record with one bad field is emitted without that field and with
// `validation_errors: [{"field", "message"}]` (docs/mapping.md, "Bad source data"): the host lists
// each such field in the report instead of rejecting the whole record.
#pragma once

#include <atsmigrate/model/record.hpp>

#include <boost/json/object.hpp>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace atsm::kit {

// The problems found while mapping one record.
class ValidationErrors {
 public:
  void add(std::string field, std::string message);
  bool empty() const { return entries_.empty(); }
  // Adds them to the record's `extra` as "validation_errors" (nothing when there are none).
  void write_to(boost::json::object& extra) const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// How many problems a mapped record carries (0 when it is clean).
std::size_t validation_error_count(const model::Record& record);

}  // namespace atsm::kit
