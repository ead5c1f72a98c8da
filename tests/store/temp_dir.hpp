#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace atsm::store::testing {

// A fresh directory from mkdtemp (under $ATSM_TEST_TMP when set), removed with its content.
class TempDir {
 public:
  TempDir() {
    std::filesystem::path base = std::filesystem::temp_directory_path();
    if (const char* env = std::getenv("ATSM_TEST_TMP"); env && *env) {
      base = env;
      std::filesystem::create_directories(base);
    }
    std::string pattern = (base / "atsm-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed under " + base.string());
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The permission bits of a file or directory (e.g. 0600).
inline unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw std::runtime_error("stat failed: " + path.string());
  }
  return info.st_mode & 07777;
}

}  // namespace atsm::store::testing
