#include "pipeline/reasons.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace atsm::pipeline {
namespace {

namespace json = boost::json;

bool key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// The length of a source key ("<source>:<kind>:<id>", the id up to a space or punctuation that
// ends a phrase) starting at `at`, or 0 when none starts there.
std::size_t key_length(std::string_view text, std::size_t at) {
  std::size_t i = at;
  for (int part = 0; part < 2; ++part) {
    std::size_t start = i;
    while (i < text.size() && key_char(text[i]))
      ++i;
    if (i == start || i >= text.size() || text[i] != ':' ||
        !std::isalpha(static_cast<unsigned char>(text[start])))
      return 0;
    ++i;
  }
  std::size_t id_start = i;
  while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) &&
         std::string_view(",;)'\"").find(text[i]) == std::string_view::npos)
    ++i;
  while (i > id_start && (text[i - 1] == '.' || text[i - 1] == ':'))
    --i;  // the end of a sentence, or "… <key>: why"
  return i > id_start ? i - at : 0;
}

bool hex_digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size())
    return false;
  for (std::size_t i = at; i < at + count; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(text[i])))
      return false;
  return true;
}

// The length of a vendor's own id written bare, a UUID (8-4-4-4-12 hex digits: "File 000c1400-…
// has not been processed"), starting at `at`, or 0.
std::size_t uuid_length(std::string_view text, std::size_t at) {
  std::size_t i = at;
  for (std::size_t group : {8, 4, 4, 4, 12}) {
    if (i != at && (i >= text.size() || text[i++] != '-'))
      return 0;
    if (!hex_digits(text, i, group))
      return 0;
    i += group;
  }
  return i < text.size() && key_char(text[i]) ? 0 : i - at;
}

// The length of a file name ("Chen_Resume.pdf": word characters, a dot, a 2-5 letter extension)
// starting at `at`, or 0.
std::size_t file_name_length(std::string_view text, std::size_t at) {
  std::size_t i = at;
  while (i < text.size() && (key_char(text[i]) || text[i] == '-'))
    ++i;
  if (i == at || i >= text.size() || text[i] != '.')
    return 0;
  std::size_t extension = ++i;
  while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
    ++i;
  std::size_t letters = i - extension;
  if (letters < 2 || letters > 5 || (i < text.size() && key_char(text[i])))
    return 0;
  return i - at;
}

}  // namespace

std::string reason_class(std::string_view reason) {
  std::string out;
  out.reserve(reason.size());
  for (std::size_t i = 0; i < reason.size();) {
    bool word_start = i == 0 || !key_char(reason[i - 1]);
    if (std::size_t length = word_start ? key_length(reason, i) : 0; length > 0) {
      out += "<key>";
      i += length;
      continue;
    }
    // A vendor's id or a file name: one per record too (a report of 100,000 persons had 1,677
    // classes of one record each before these).
    if (std::size_t length = word_start ? uuid_length(reason, i) : 0; length > 0) {
      out += "<id>";
      i += length;
      continue;
    }
    if (std::size_t length = word_start ? file_name_length(reason, i) : 0; length > 0) {
      out += "<file>";
      i += length;
      continue;
    }
    char c = reason[i];
    // A quoted value ('Jane Doe', "x@y"); an apostrophe inside a word ("person's") is not one.
    if ((c == '\'' || c == '"') && word_start) {
      std::size_t close = reason.find(c, i + 1);
      if (close != std::string_view::npos) {
        out += c;
        out += "…";
        out += c;
        i = close + 1;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

RecordsByReason::RecordsByReason(std::filesystem::path file)
    : file_(std::move(file)), partial_(file_.string() + ".partial") {
  int fd = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", partial_.string(), std::strerror(errno)));
  fd_ = store::fs::UniqueFd(fd);
  ::fchmod(fd, 0600);
}

void RecordsByReason::write_line(const json::object& line) {
  buffer_ += json::serialize(line);
  buffer_ += '\n';
  ++lines_;
  if (buffer_.size() >= (1u << 16)) {
    store::fs::write_all(fd_.get(), buffer_, partial_);
    buffer_.clear();
  }
}

void RecordsByReason::add(std::string_view category, std::string_view kind, std::string_view key,
                          std::string_view reason) {
  std::string reason_name = reason_class(reason);
  std::uint64_t hash =
      std::hash<std::string>{}(fmt::format("{}\n{}\n{}\n{}", category, kind, reason_name, key));
  if (!seen_.insert(hash).second)
    return;
  Class& entry = classes_[{std::string(category), std::string(kind), reason_name}];
  ++entry.records;
  if (entry.listed.size() < kListed)
    entry.listed.emplace_back(key);
  write_line(json::object{{"category", category},
                          {"kind", kind},
                          {"reason", reason_name},
                          {"key", key},
                          {"detail", reason}});
}

json::array RecordsByReason::classes() const {
  std::vector<const std::pair<const std::tuple<std::string, std::string, std::string>, Class>*>
      order;
  for (const auto& entry : classes_)
    order.push_back(&entry);
  std::stable_sort(order.begin(), order.end(),
                   [](auto* a, auto* b) { return a->second.records > b->second.records; });
  json::array out;
  for (const auto* entry : order) {
    const auto& [category, kind, reason] = entry->first;
    json::array listed;
    for (const std::string& key : entry->second.listed)
      listed.emplace_back(key);
    json::object line{{"category", category},
                      {"kind", kind},
                      {"reason", reason},
                      {"records", entry->second.records},
                      {"listed", std::move(listed)}};
    if (entry->second.records > static_cast<std::int64_t>(entry->second.listed.size()))
      line["all_in"] = file_.filename().string();
    out.push_back(std::move(line));
  }
  return out;
}

std::map<std::string, std::map<std::string, std::int64_t>> RecordsByReason::counts(
    std::string_view category) const {
  std::map<std::string, std::map<std::string, std::int64_t>> out;
  for (const auto& [name, entry] : classes_)
    if (std::get<0>(name) == category)
      out[std::get<1>(name)][std::get<2>(name)] += entry.records;
  return out;
}

void RecordsByReason::close() {
  if (!fd_)
    return;
  store::fs::write_all(fd_.get(), buffer_, partial_);
  buffer_.clear();
  store::fs::fsync_fd(fd_.get(), partial_);
  fd_.close(partial_);
  std::filesystem::rename(partial_, file_);
}

}  // namespace atsm::pipeline
