// Tests that capture logs into a local stream put the default logger back afterwards.
#pragma once

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace atsm::net::testing {

// Tests that capture logs into a local stream must detach it before the stream goes away.
inline void restore_default_logger() {
  spdlog::drop_all();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "atsm", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
}

}  // namespace atsm::net::testing
