#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace atsm::store {

// A storage failure: what went wrong and the file it concerns, so the user can find it.
class StoreError : public std::runtime_error {
 public:
  StoreError(const std::string& message, std::filesystem::path file)
      : std::runtime_error(message + " [" + file.string() + "]"), file_(std::move(file)) {}

  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::filesystem::path file_;
};

// A ledger state change the state machine forbids (e.g. `done` -> `intent` with the same payload).
class IllegalTransition : public StoreError {
 public:
  using StoreError::StoreError;
};

}  // namespace atsm::store
