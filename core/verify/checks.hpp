// The checks of `plugin verify`, one function per check, grouped in one file per family
// (load_checks, contract_checks, source_checks, sink_checks, robust_checks). Each runs inside the
// check's child process, answers the one line it checked, and ends with fail() or CheckSkip.
#pragma once

#include <filesystem>
#include <set>
#include <string>

#include "host/plugin_registry.hpp"
#include "verify/harness.hpp"

namespace atsm::verify {

// load.*
std::string check_load_abi(const std::filesystem::path& path, host::PluginRegistry& registry);
std::string check_descriptor(const atsm_connector& d);
std::string check_exports(const std::filesystem::path& path);

// contract.*
std::string check_statuses(Harness& h);
std::string check_errors(Harness& h);
std::string check_memory(Harness& h);
std::string check_after_close(Harness& h);
std::string check_threads(Harness& h);

// source.*
std::string check_source_read(Harness& h);
std::string check_source_schema(Harness& h);
std::string check_source_deterministic(Harness& h);
std::string check_source_resume(Harness& h);
std::string check_source_references(Harness& h, const std::set<std::string>& allowed);

// sink.*
std::string check_sink_prepare(Harness& h);
std::string check_sink_round_trip(Harness& h);
std::string check_sink_lost_response(Harness& h);

// robust.*
std::string check_robust(Harness& h, unsigned cases);

}  // namespace atsm::verify
