// The checks of `plugin verify`, one function per check, grouped in one file per family
// (load_checks, contract_checks, source_checks, sink_checks, robust_checks). Each runs inside the
// check's child process, answers the one line it checked, and ends with fail() or CheckSkip.
#pragma once

#include <filesystem>
#include <set>
#include <string>

#include "host/plugin_registry.hpp"
#include "verify/harness.hpp"
#include "verify/registry.hpp"

namespace atsm::verify {

// load.*
std::string check_load_abi(const std::filesystem::path& path, host::PluginRegistry& registry);
std::string check_descriptor(const atsm_connector& d);
std::string check_exports(const std::filesystem::path& path);

// contract.*
std::string check_statuses(Harness& h, const ChildContext&);
std::string check_errors(Harness& h, const ChildContext&);
std::string check_memory(Harness& h, const ChildContext&);
std::string check_after_close(Harness& h, const ChildContext&);
std::string check_threads(Harness& h, const ChildContext&);

// source.*
std::string check_source_read(Harness& h, const ChildContext&);
std::string check_source_schema(Harness& h, const ChildContext&);
std::string check_source_deterministic(Harness& h, const ChildContext&);
std::string check_source_resume(Harness& h, const ChildContext&);
std::string check_source_references(Harness& h, const ChildContext& context);
std::string check_source_files(Harness& h, const ChildContext&);

// sink.*
std::string check_sink_prepare(Harness& h, const ChildContext&);
std::string check_sink_round_trip(Harness& h, const ChildContext&);
std::string check_sink_lost_response(Harness& h, const ChildContext&);

// robust.*
std::string check_robust(Harness& h, const ChildContext& context);

}  // namespace atsm::verify
