#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "../support/temp_dir.hpp"

namespace atsm::store::testing {

// The shared one (tests/support/temp_dir.hpp), under the name the suites know.
using TempDir = atsm::testing::TempDir;

// The permission bits of a file or directory (e.g. 0600).
inline unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw std::runtime_error("stat failed: " + path.string());
  }
  return info.st_mode & 07777;
}

}  // namespace atsm::store::testing
