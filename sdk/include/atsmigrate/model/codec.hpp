// JSON codec of the canonical model (Boost.JSON).
//
// Every record JSON is an object with at least "kind", "source" and "source_key"; "raw" is
// optional. Input is validated (types, enums, timestamps, required members) and timestamps are
// normalised to UTC "Z". Members this version does not know go to `extra` and are written back.
// Failures throw ModelError naming the record and the field:
//   candidacy lever:opportunity:123: field 'status': expected one of lead|active|hired|archived,
//   got "open"
#pragma once

#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>

#include <atsmigrate/model/record.hpp>
#include <atsmigrate/model/types.hpp>

namespace atsm::model {

class ModelError : public std::runtime_error {
 public:
  // `record`: "candidacy lever:opportunity:123", "records[4]: person lever:contact:9", or
  // "record" when nothing identifies it yet. `field`: path such as "stage_history[2].entered_at";
  // empty when the problem is the record as a whole.
  ModelError(std::string record, std::string field, std::string reason);

  const std::string& record() const { return record_; }
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string record_;
  std::string field_;
  std::string reason_;
};

// One record from its JSON text / value. Throws ModelError.
Record parse_record(std::string_view json);
Record record_from_json(const boost::json::value& json);

// The record's JSON: "kind", "source", "source_key", the kind's members in declaration order,
// then `extra`'s members, then "raw". Output parses back to an equal Record.
boost::json::value record_to_json(const Record& record);
std::string serialize_record(const Record& record);

// A JSON array of records. Errors are prefixed with the element's index ("records[4]: ...").
std::vector<Record> parse_records(std::string_view json_array);
std::vector<Record> records_from_json(const boost::json::value& json_array);
std::string serialize_records(std::span<const Record> records);

// Types the codec converts (each record kind, Record, and the nested member types).
template <class T>
concept ModelType =
    std::is_same_v<T, Record> ||
    (std::is_base_of_v<RecordBase, T> && !std::is_same_v<T, RecordBase>) ||
    std::is_same_v<T, CustomFieldValue> || std::is_same_v<T, CustomFieldOption> ||
    std::is_same_v<T, Email> || std::is_same_v<T, Phone> || std::is_same_v<T, Link> ||
    std::is_same_v<T, Address> || std::is_same_v<T, StageChange> || std::is_same_v<T, SourceRef> ||
    std::is_same_v<T, RatingScale> || std::is_same_v<T, FeedbackField> ||
    std::is_same_v<T, Interviewer> || std::is_same_v<T, OfferField> ||
    std::is_same_v<T, Education> || std::is_same_v<T, Employment> || std::is_same_v<T, FormAnswer>;

// boost::json::value_from / value_to support for every ModelType. value_to throws ModelError
// (for a record kind, also when "kind" names another kind).
template <ModelType T>
void tag_invoke(const boost::json::value_from_tag&, boost::json::value& json, const T& model);
template <ModelType T>
T tag_invoke(const boost::json::value_to_tag<T>&, const boost::json::value& json);

}  // namespace atsm::model
