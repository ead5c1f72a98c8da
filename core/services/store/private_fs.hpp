#pragma once

#include <filesystem>
#include <string_view>

// File-system helpers for files that hold candidate data: private modes and crash-safe writes.
namespace atsm::store::fs {

// Creates `dir` and any missing parents with mode 0700 (existing directories are left as they are).
// Throws StoreError naming the directory.
void ensure_private_directory(const std::filesystem::path& dir);

// Writes all of `bytes` to `fd`, retrying on EINTR and short writes. `file` names it in errors.
void write_all(int fd, std::string_view bytes, const std::filesystem::path& file);

// Flushes `fd` to stable storage.
void fsync_fd(int fd, const std::filesystem::path& file);

// Makes a directory's entries (a rename, a new file) durable.
void fsync_directory(const std::filesystem::path& dir);

// Closes the descriptor on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes now, reporting a failed close (which can mean lost data on some file systems).
  void close(const std::filesystem::path& file);

 private:
  int fd_ = -1;
};

}  // namespace atsm::store::fs
