#include "services/store/private_fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "services/store/error.hpp"

namespace atsm::store::fs {

namespace {

[[noreturn]] void fail_errno(const std::string& what, const std::filesystem::path& file, int err) {
  throw StoreError(what + ": " + std::strerror(err), file);
}

}  // namespace

void ensure_private_directory(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path p = dir; !p.empty(); p = p.parent_path()) {
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) {
      break;
    }
    missing.push_back(p);
    if (p == p.parent_path()) {
      break;
    }
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      fail_errno("cannot create directory", *it, errno);
    }
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw StoreError("not a directory", dir);
  }
}

void write_all(int fd, std::string_view bytes, const std::filesystem::path& file) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail_errno("write failed", file, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

void fsync_fd(int fd, const std::filesystem::path& file) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) {
      fail_errno("fsync failed", file, errno);
    }
  }
}

void fsync_directory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    fail_errno("cannot open directory to sync it", dir, errno);
  }
  fsync_fd(fd.get(), dir);
  fd.close(dir);
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.release();
  }
  return *this;
}

void UniqueFd::close(const std::filesystem::path& file) {
  int fd = release();
  // Linux always releases the descriptor, even when close reports an error: never retry.
  if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) {
    fail_errno("close failed", file, errno);
  }
}

}  // namespace atsm::store::fs
