// Waiting inside a connector call without ignoring the host: a pause (a retry's back-off, a
// vendor's Retry-After) that ends early with sdk::Error(ATSM_CANCELLED) when the host cancels.
#pragma once

#include <chrono>

#include <atsmigrate/connector.hpp>

namespace atsm::kit {

// Sleeps `length`, checking host.check_cancelled() at least every 50 ms.
void pause(const sdk::Host& host, std::chrono::milliseconds length);

}  // namespace atsm::kit
