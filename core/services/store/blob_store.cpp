#include "services/store/blob_store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <utility>

#include "services/store/error.hpp"

namespace atsm::store {

namespace {

constexpr std::string_view kTempDirName = "tmp";
constexpr std::string_view kTempSuffix = ".part";
constexpr std::size_t kChunkSize = 64 * 1024;

[[noreturn]] void fail_errno(const std::string& what, const std::filesystem::path& file, int err) {
  throw StoreError(what + ": " + std::strerror(err), file);
}

std::filesystem::path blob_path(const std::filesystem::path& root, std::string_view hex) {
  if (!is_sha256_hex(hex)) {
    throw std::invalid_argument("blob store: '" + std::string(hex.substr(0, 80)) +
                                "' is not a SHA-256 hex digest");
  }
  return root / std::string(hex.substr(0, 2)) / std::string(hex);
}

// Moves a complete, fsynced temp file to its content address; equal content already there wins.
std::string install(const std::filesystem::path& root, const std::filesystem::path& temp_file,
                    std::string hex) {
  const auto target = blob_path(root, hex);
  const auto shard = target.parent_path();
  if (::mkdir(shard.c_str(), 0700) == 0) {
    fs::fsync_directory(root);
  } else if (errno != EEXIST) {
    fail_errno("cannot create blob directory", shard, errno);
  }
  struct stat existing {};
  if (::stat(target.c_str(), &existing) == 0) {
    ::unlink(temp_file.c_str());
    return hex;
  }
  if (::rename(temp_file.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_file.c_str());
    fail_errno("cannot move blob into place from " + temp_file.string(), target, err);
  }
  fs::fsync_directory(shard);
  return hex;
}

std::string read_whole_file(const std::filesystem::path& file) {
  fs::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    fail_errno("cannot open", file, errno);
  }
  std::string content;
  std::array<char, kChunkSize> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail_errno("read failed", file, errno);
    }
    if (n == 0) {
      break;
    }
    content.append(buffer.data(), static_cast<std::size_t>(n));
  }
  return content;
}

}  // namespace

BlobStore::Writer::Writer(std::filesystem::path root, fs::UniqueFd fd,
                          std::filesystem::path temp_file)
    : root_(std::move(root)), fd_(std::move(fd)), temp_file_(std::move(temp_file)) {}

BlobStore::Writer::Writer(Writer&& other) noexcept
    : root_(std::move(other.root_)),
      fd_(std::move(other.fd_)),
      temp_file_(std::exchange(other.temp_file_, {})),
      hash_(std::move(other.hash_)),
      size_(other.size_) {}

BlobStore::Writer& BlobStore::Writer::operator=(Writer&& other) noexcept {
  if (this != &other) {
    discard();
    root_ = std::move(other.root_);
    fd_ = std::move(other.fd_);
    temp_file_ = std::exchange(other.temp_file_, {});
    hash_ = std::move(other.hash_);
    size_ = other.size_;
  }
  return *this;
}

BlobStore::Writer::~Writer() {
  discard();
}

void BlobStore::Writer::discard() noexcept {
  fd_ = fs::UniqueFd();
  if (!temp_file_.empty()) {
    ::unlink(temp_file_.c_str());
    temp_file_.clear();
  }
}

void BlobStore::Writer::append(std::string_view chunk) {
  if (!fd_) {
    throw std::logic_error("blob writer: append after commit or after a failed write");
  }
  try {
    fs::write_all(fd_.get(), chunk, temp_file_);
  } catch (...) {
    discard();
    throw;
  }
  hash_.update(chunk);
  size_ += chunk.size();
}

std::string BlobStore::Writer::commit() {
  if (!fd_) {
    throw std::logic_error("blob writer: commit called twice");
  }
  try {
    fs::fsync_fd(fd_.get(), temp_file_);
    fd_.close(temp_file_);
    auto hex = install(root_, temp_file_, hash_.finish_hex());
    temp_file_.clear();  // renamed or removed by install
    return hex;
  } catch (...) {
    discard();
    throw;
  }
}

BlobStore::BlobStore(std::filesystem::path root)
    : root_(std::move(root)), temp_dir_(root_ / std::string(kTempDirName)) {
  fs::ensure_private_directory(root_);
  fs::ensure_private_directory(temp_dir_);
  remove_stale_temp_files();
}

void BlobStore::remove_stale_temp_files() const {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(temp_dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(kTempSuffix)) {
      continue;
    }
    pid_t pid = 0;
    const auto [end, parse_error] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (parse_error != std::errc() || end == name.data() || *end != '-' || pid <= 0) {
      continue;
    }
    // A partial file belongs to its writer while that process lives (it may be another store).
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

BlobStore::Writer BlobStore::writer() const {
  std::string pattern = (temp_dir_ / (std::to_string(::getpid()) + "-XXXXXX")).string();
  pattern += kTempSuffix;
  // mkostemps creates the file 0600, exclusively.
  const int fd = ::mkostemps(pattern.data(), static_cast<int>(kTempSuffix.size()), O_CLOEXEC);
  if (fd < 0) {
    fail_errno("cannot create a temporary blob file", temp_dir_, errno);
  }
  return Writer(root_, fs::UniqueFd(fd), std::filesystem::path(pattern));
}

std::string BlobStore::put(std::string_view bytes) {
  const auto hex = sha256_hex(bytes);
  if (contains(hex)) {
    return hex;
  }
  auto blob = writer();
  blob.append(bytes);
  return blob.commit();
}

std::string BlobStore::put_file(const std::filesystem::path& file) {
  fs::UniqueFd source(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source) {
    fail_errno("cannot open file to store", file, errno);
  }
  auto blob = writer();
  std::array<char, kChunkSize> buffer{};
  for (;;) {
    const ssize_t n = ::read(source.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail_errno("read failed", file, errno);
    }
    if (n == 0) {
      break;
    }
    blob.append(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  }
  return blob.commit();
}

bool BlobStore::contains(std::string_view hex) const {
  if (!is_sha256_hex(hex)) {
    return false;  // a name that is no digest names no blob; nothing on disk is touched
  }
  struct stat info {};
  return ::stat(blob_path(root_, hex).c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::filesystem::path BlobStore::path_of(std::string_view hex) const {
  return blob_path(root_, hex);
}

std::uint64_t BlobStore::size_of(std::string_view hex) const {
  const auto path = blob_path(root_, hex);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    fail_errno("blob not found", path, errno);
  }
  return static_cast<std::uint64_t>(info.st_size);
}

std::string BlobStore::read(std::string_view hex) const {
  return read_whole_file(blob_path(root_, hex));
}

bool BlobStore::verify(std::string_view hex) const {
  const auto path = blob_path(root_, hex);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw StoreError("blob not found", path);
  }
  try {
    return sha256_hex(in) == hex;
  } catch (const std::runtime_error& error) {
    throw StoreError(error.what(), path);
  }
}

}  // namespace atsm::store
