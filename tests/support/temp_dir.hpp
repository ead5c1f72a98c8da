// A private temporary directory for a test: the one shared by every suite (issue 20: it existed
// in four copies).
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace atsm::testing {

// A fresh mkdtemp directory (0700) under $ATSM_TEST_TMP (or the system temp dir), removed with
// its content afterwards.
class TempDir {
 public:
  TempDir() : TempDir("atsm-test") {}
  // `prefix` starts the directory's name, to tell whose it is.
  explicit TempDir(std::string_view prefix) {
    std::filesystem::path parent = std::filesystem::temp_directory_path();
    if (const char* base = std::getenv("ATSM_TEST_TMP"); base != nullptr && *base != '\0')
      parent = base;
    std::filesystem::create_directories(parent);
    std::string pattern = (parent / (std::string(prefix) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed under " + parent.string());
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace atsm::testing
