#pragma once

// A text -> text map kept in a private SQLite file instead of in memory: what a step must look up
// per record of an account of any size. SQLite holds a bounded page cache and leaves the rest on
// disk, so the map costs the same memory at 1,000 records as at 1,000,000. Scratch only: the file
// is replaced on open and removed on close, never fsynced (a crash loses nothing the next run
// does not rebuild).

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "services/store/sqlite.hpp"

namespace atsm::store {

// Thread-safe.
class ScratchMap {
 public:
  // Creates `file` (0600) anew, dropping whatever an earlier process left there.
  explicit ScratchMap(const std::filesystem::path& file);
  ScratchMap(const ScratchMap&) = delete;
  ScratchMap& operator=(const ScratchMap&) = delete;

  // Sets `key` to `value`, replacing what it held.
  void put(std::string_view key, std::string_view value);
  // Sets `key` to `value` unless it holds a value already; true when it was set.
  bool put_if_absent(std::string_view key, std::string_view value);
  std::optional<std::string> get(std::string_view key) const;
  std::int64_t size() const;
  void clear();

  // Many puts in one commit (a commit per put appends to the log each time); what commit() does
  // not end is dropped. Holds the map's lock until it ends: other threads wait meanwhile.
  class Batch {
   public:
    explicit Batch(ScratchMap& map);
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    void put(std::string_view key, std::string_view value);
    bool put_if_absent(std::string_view key, std::string_view value);
    // The value `key` holds so far, this batch's puts included.
    std::optional<std::string> get(std::string_view key) const;
    void commit();

   private:
    ScratchMap& map_;
    std::unique_lock<std::mutex> lock_;
    sqlite::Transaction transaction_;
  };

  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  static sqlite::Database open(const std::filesystem::path& file);
  void put_locked(std::string_view key, std::string_view value);
  bool put_if_absent_locked(std::string_view key, std::string_view value);
  std::optional<std::string> get_locked(std::string_view key) const;

  // Removes the file and SQLite's companions of it when the map ends, after the connection
  // (declared before it, so destroyed after it).
  struct RemovedAtEnd {
    std::filesystem::path file;
    ~RemovedAtEnd();
  };

  std::filesystem::path file_;
  RemovedAtEnd removed_at_end_;
  mutable std::mutex mutex_;  // guards db_ and its statements
  mutable sqlite::Database db_;
  sqlite::Statement put_;
  sqlite::Statement put_if_absent_;
  mutable sqlite::Statement get_;
};

}  // namespace atsm::store
