#include <atsmigrate/kit/pause.hpp>

#include <algorithm>
#include <thread>

namespace atsm::kit {

void pause(const sdk::Host& host, std::chrono::milliseconds length) {
  const auto until = std::chrono::steady_clock::now() + length;
  host.check_cancelled();
  for (auto now = std::chrono::steady_clock::now(); now < until;
       now = std::chrono::steady_clock::now()) {
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
    host.check_cancelled();
  }
}

}  // namespace atsm::kit
