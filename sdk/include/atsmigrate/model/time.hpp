// Timestamps of the canonical model: UTC ISO 8601 strings such as "2019-03-04T14:02:00Z", with
// optional fractional seconds ("2019-03-04T14:02:00.123Z"). Years 0000..9999 only, as ISO 8601's
// four-digit years allow without prior agreement.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atsm::model {

// Epoch milliseconds (Lever's timestamps; negative is before 1970) to the model's form. Whole
// seconds have no fraction; otherwise exactly three fraction digits. Throws std::out_of_range
// when the instant falls outside years 0000..9999.
std::string format_epoch_millis(std::int64_t epoch_ms);

// The current instant (system clock) in the model's form, to the millisecond: what the host
// stamps on its own records (audit lines, run logs, checkpoints, reports).
std::string now_timestamp();

// Validates an ISO 8601 date-time that carries a UTC offset and returns it as UTC with "Z".
// Accepted: calendar (2019-03-04), ordinal (2019-063) and week (2019-W10-1) dates, extended or
// basic (20190304T140200Z); 'T', 't' or ' ' between date and time; hh:mm or hh:mm:ss with an
// optional fraction of 1..9 digits after '.' or ','; 24:00:00 as the end of a day; offset Z,
// +hh:mm, +hhmm or +hh. The fraction's digits are kept as written. nullopt when `text` is not
// such a date-time, names a day that does not exist, has no offset, or leaves years 0000..9999.
std::optional<std::string> normalize_timestamp(std::string_view text);

// The instant `text` names (any form normalize_timestamp accepts) as epoch milliseconds; any
// fraction beyond milliseconds is truncated toward the past. nullopt when invalid.
std::optional<std::int64_t> timestamp_to_epoch_millis(std::string_view text);

// True for an existing calendar date written "YYYY-MM-DD" (e.g. an offer's start date).
bool is_valid_date(std::string_view text);

}  // namespace atsm::model
