#pragma once

// Content-addressed file store for attachments (resumes, offer letters) fetched during extraction.
//
// Layout: <root>/<first 2 hex of SHA-256>/<64 hex of SHA-256>, directories 0700, files 0600.
// In-progress writes live in <root>/tmp/ as "<pid>-<random>.part"; each blob is written there,
// fsynced, then renamed into place (and the directory fsynced), so a blob path either holds the
// complete content or does not exist. Equal bytes are stored once.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "services/store/private_fs.hpp"
#include "services/store/sha256.hpp"

namespace atsm::store {

// Thread-safe: instances hold no mutable state besides the files themselves, and several threads
// or processes may store into one root at once.
class BlobStore {
 public:
  // Incremental writer for content that arrives in chunks (an HTTP download). Destroying it
  // without commit() removes the partial file.
  class Writer {
   public:
    Writer(Writer&& other) noexcept;
    Writer& operator=(Writer&& other) noexcept;
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer();

    void append(std::string_view chunk);
    // Makes the content durable under its hash and returns the hash. The writer is then spent.
    std::string commit();
    std::uint64_t size() const noexcept { return size_; }

   private:
    friend class BlobStore;
    Writer(std::filesystem::path root, fs::UniqueFd fd, std::filesystem::path temp_file);
    void discard() noexcept;

    std::filesystem::path root_;  // a copy: the writer may outlive the BlobStore it came from
    fs::UniqueFd fd_;
    std::filesystem::path temp_file_;
    Sha256 hash_;
    std::uint64_t size_ = 0;
  };

  // Opens the store at `root`, creating it (0700) if missing. Removes partial files left in
  // <root>/tmp by processes that no longer run.
  explicit BlobStore(std::filesystem::path root);

  std::string put(std::string_view bytes);
  // Copies a file into the store, hashing while copying.
  std::string put_file(const std::filesystem::path& file);
  Writer writer() const;

  // False also for text that is not a SHA-256 digest (e.g. a plugin's malformed reference).
  bool contains(std::string_view hex) const;
  // Where the blob lives (whether or not it exists). Throws std::invalid_argument for a hex that
  // is not a SHA-256 digest.
  std::filesystem::path path_of(std::string_view hex) const;
  // Throws StoreError when the blob is absent.
  std::uint64_t size_of(std::string_view hex) const;
  std::string read(std::string_view hex) const;
  // Re-hashes the stored content: false if it no longer matches its name (disk damage).
  bool verify(std::string_view hex) const;

  const std::filesystem::path& root() const noexcept { return root_; }

 private:
  void remove_stale_temp_files() const;

  std::filesystem::path root_;
  std::filesystem::path temp_dir_;
};

}  // namespace atsm::store
