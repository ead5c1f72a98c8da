// Helpers the parts of the Ashby sink share (the sink_*.cpp files); not part of its interface.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <atsmigrate/model/record.hpp>
#include "ashby_client.hpp"

namespace atsm::ashby {

// The parts name Boost.JSON's types unqualified.
using json::array;
using json::object;
using json::value;

std::string lower(std::string_view text);
// Titles match the way an operator reads them: case and surrounding spaces do not matter.
// name_key: the name as it compares (trimmed, lower-case).
std::string name_key(std::string_view name);
bool same_name(std::string_view a, std::string_view b);
// Throws sdk::Error(ATSM_INVALID, message).
[[noreturn]] void invalid(const std::string& message);
// A status a later attempt may cure.
bool transient(atsm_status status);
std::optional<int64_t> epoch_ms(std::string_view timestamp);
bool same_instant(const std::optional<std::string>& a, std::string_view b);
// A member of that type, or nullptr.
const json::object* object_at(const json::object& parent, std::string_view key);
const json::array* array_at(const json::object& parent, std::string_view key);
bool is_true(const json::object& item, std::string_view key);
// An answer's results as an object; ATSM_RETRY (malformed_response) when they are not one.
json::object as_object(const json::value& results, const std::string& method);
// The value of the custom field titled `title` (case-insensitive) on an Ashby object.
std::string custom_value_by_title(const json::object& ashby_object, const std::string& title);
// The legacy ids a custom field holds, ';'-separated.
std::set<std::string> split_keys(const std::string& text);
std::string join_keys(const std::set<std::string>& keys);
const char* ashby_object_type(model::CustomFieldObject object_type);

// The host intents (atsm.host.intents/1) of jobs an application detour opened: key the job id,
// value the status the job goes back to.
inline constexpr const char* kDetourTopic = "job_status_detour";
// The host intents of jobs confidential in the source whose candidacies wait until Ashby shows
// the job confidential: key the job id, value its title.
inline constexpr const char* kConfidentialTopic = "confidential_job_hold";

// job.list leaves Draft jobs out unless `status` names Draft
// (sandbox/validator/ashby-api-openapi.extract.json, job.list's description); a new job is Draft
// until opened, so every lookup asks for every status.
extern const json::object kEveryJobStatus;

}  // namespace atsm::ashby
