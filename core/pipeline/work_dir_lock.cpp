#include "pipeline/work_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <string>

#include <atsmigrate/model/time.hpp>

namespace atsm::pipeline {
namespace {

std::string read_holder(int fd) {
  std::string text(512, '\0');
  ssize_t got = ::pread(fd, text.data(), text.size(), 0);
  text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  // One line: "pid 1234, step migrate, since 2026-12-06T17:10:00Z".
  if (std::size_t end = text.find('\n'); end != std::string::npos)
    text.resize(end);
  return text;
}

}  // namespace

WorkDirLock::WorkDirLock(const std::filesystem::path& work_dir, std::string_view step) {
  const std::filesystem::path path = file(work_dir);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot open the work dir's lock {}: {}", path.string(), std::strerror(errno)));
  }
  fd_ = store::fs::UniqueFd(fd);
  int locked;
  do {
    locked = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (locked != 0 && errno == EINTR);
  if (locked != 0) {
    if (errno != EWOULDBLOCK) {
      throw std::runtime_error(
          fmt::format("cannot lock the work dir {}: {}", work_dir.string(), std::strerror(errno)));
    }
    std::string holder = read_holder(fd);
    throw WorkDirBusy(fmt::format(
        "the work dir {} is in use by another atsmigrate run ({}); wait for it to end or stop "
        "it, then run this command again (a run that died releases the work dir by itself). "
        "Nothing was done.",
        work_dir.string(), holder.empty() ? "holder unknown" : holder));
  }
  // Only the holder writes the file, so a reader sees the current holder or an empty file.
  std::string holder =
      fmt::format("pid {}, step {}, since {}\n", ::getpid(), step, model::now_timestamp());
  if (::ftruncate(fd, 0) == 0)
    store::fs::write_all(fd, holder, path);
}

std::optional<std::string> WorkDirLock::holder(const std::filesystem::path& work_dir) {
  store::fs::UniqueFd fd(::open(file(work_dir).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    return std::nullopt;
  int locked;
  do {
    locked = ::flock(fd.get(), LOCK_SH | LOCK_NB);
  } while (locked != 0 && errno == EINTR);
  if (locked == 0) {
    ::flock(fd.get(), LOCK_UN);
    return std::nullopt;
  }
  if (errno != EWOULDBLOCK)
    return std::nullopt;
  std::string text = read_holder(fd.get());
  return text.empty() ? std::string("holder unknown") : text;
}

}  // namespace atsm::pipeline
