// The reconciliation report on the terminal. The report itself is built by the report library
// (report/report.hpp); its functions are named here too, for the commands that write it.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "report/report.hpp"

namespace atsm::cli {

using report::append_run_log;
using report::build_report;
using report::write_report_files;

// The reconciliation's verdict on the terminal: unexplained differences first, then failures,
// rejected records and mismatches. Returns the exit code it stands for (0 clean, 2 otherwise).
int print_reconciliation(const boost::json::object& report, const std::string& report_file);

}  // namespace atsm::cli
