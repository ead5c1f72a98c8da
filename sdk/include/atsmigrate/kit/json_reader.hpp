// Reading a vendor's JSON: typed member access with defaults (a member that is missing or of
// another type reads as the default, never throws), required members that throw naming the
// record and the field, and the words that describe a JSON value's type in messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace atsm::kit {

// "null", "a boolean", "a number", "a string", "an array" or "an object": for "expected a
// string, got a number".
const char* json_type(const boost::json::value& value);

// A whole number: a JSON integer (within int64), an integral double within +-9e15 (JSON numbers a
// vendor wrote with a fraction or exponent), or up to 18 decimal digits with an optional '-' as
// text. nullopt otherwise.
std::optional<std::int64_t> whole_number(const boost::json::value& value);

// An id as text: a string as is, a JSON integer as its digits; nullopt otherwise (or empty).
std::optional<std::string> id_text(const boost::json::value& value);

std::optional<std::string> string_member(const boost::json::object& object, std::string_view key);
std::string string_member_or(const boost::json::object& object, std::string_view key,
                             std::string fallback);
std::int64_t int_member(const boost::json::object& object, std::string_view key,
                        std::int64_t fallback);
std::optional<bool> bool_member(const boost::json::object& object, std::string_view key);
// The member when it is an array / an object; nullptr when missing or of another type.
const boost::json::array* array_member(const boost::json::object& object, std::string_view key);
const boost::json::object* object_member(const boost::json::object& object, std::string_view key);

// Required members: throw sdk::Error(ATSM_INVALID) "<record>: field '<key>' is missing" or
// "<record>: field '<key>': expected a string, got a number". `record` names what is read
// ("lever opportunity 4f2c...").
const boost::json::object& require_object(const boost::json::value& value, std::string_view record);
std::string require_string(const boost::json::object& object, std::string_view key,
                           std::string_view record);
std::int64_t require_integer(const boost::json::object& object, std::string_view key,
                             std::string_view record);

// A stable stand-in id for a vendor record whose own id is missing, so it can still be staged,
// reported and found again on a re-run: "missing-id-" and a hash of the record's JSON.
std::string missing_id(const boost::json::value& raw);

}  // namespace atsm::kit
