// The report's summary and verdict, from counts alone: a pure function, so each verdict is tested
// in-process (tests/report/summary_test.cpp) without a migration.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

namespace atsm::report {

// What the reconciliation and extraction found, counted.
struct SummaryCounts {
  int64_t unexplained = 0;  // differences nobody explained
  int64_t failed = 0;       // records the sink failed (a re-run retries them)
  int64_t rejected = 0;     // source records that could not be read
  int64_t mismatches = 0;   // read-back fields that differ from what was written
  int64_t unread = 0;       // records the target could not serve for the read-back now
  int64_t held = 0;         // records waiting for an operator's step in the target
  int64_t read_back_checked = 0;
  int64_t field_errors = 0;   // source fields left out for bad data: explained, not a difference
  int64_t lossy_records = 0;  // what the sink could not keep, by its own account: explained
  int64_t notices = 0;
};

enum class Verdict {
  clean,        // everything migrated and read back as written
  held,         // nothing differs, but records wait for an operator's step
  differences,  // something failed, differs, was rejected or could not be read back
};

Verdict verdict_of(const SummaryCounts& counts);
const char* verdict_name(Verdict verdict);  // "clean", "held", "differences"
std::optional<Verdict> parse_verdict(std::string_view name);

// report.json's "summary": the verdict and every count.
boost::json::object summary_json(const SummaryCounts& counts);

}  // namespace atsm::report
