#include "pipeline/audit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include <atsmigrate/model/time.hpp>
#include "services/store/private_fs.hpp"

namespace atsm::pipeline {
namespace {

namespace json = boost::json;

json::value optional_text(const std::optional<std::string>& text) {
  return text ? json::value(*text) : json::value(nullptr);
}

// Calls `visit` with each whole line of the trail that names its kind; a line cut by a crash, or
// one that is not an object, is passed over.
template <class Visit>
void for_each_entry(const std::filesystem::path& file, Visit&& visit) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    json::value parsed = json::parse(line, ec);
    if (ec || !parsed.is_object())
      continue;
    const json::object& entry = parsed.as_object();
    const json::value* kind = entry.if_contains("kind");
    if (kind == nullptr || !kind->is_string())
      continue;
    visit(std::string(kind->as_string()), entry);
  }
}

}  // namespace

AuditTrail::AuditTrail(std::filesystem::path file) : file_(std::move(file)) {
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    throw std::runtime_error(
        fmt::format("cannot open the audit trail {}: {}", file_.string(), std::strerror(errno)));
  }
  ::fchmod(fd_, 0600);
}

AuditTrail::~AuditTrail() {
  if (fd_ >= 0)
    ::close(fd_);
}

void AuditTrail::record(const std::string& method, const store::LedgerEntry& entry,
                        const std::vector<std::string>& lossy) {
  json::object line{{"time", model::now_timestamp()},
                    {"scope", entry.key.scope},
                    {"kind", entry.key.kind},
                    {"source_key", entry.key.source_key},
                    {"target_id", optional_text(entry.target_id)},
                    {"method", method},
                    {"payload_hash", entry.payload_hash},
                    {"attempts", entry.attempts},
                    {"status", std::string(store::to_string(entry.state))},
                    {"vendor_code", optional_text(entry.vendor_code)},
                    {"vendor_request_id", optional_text(entry.request_id)},
                    {"last_error", optional_text(entry.last_error)}};
  if (!lossy.empty()) {
    json::array lost;
    for (const std::string& line : lossy)
      lost.emplace_back(line);
    line["lossy"] = std::move(lost);
  }
  std::string text = json::serialize(line) + "\n";
  std::lock_guard lock(mutex_);
  store::fs::write_all(fd_, text, file_);
}

AuditTrail::Summary AuditTrail::summarise(const std::filesystem::path& file) {
  Summary summary;
  for_each_entry(file, [&](const std::string& kind, const json::object& entry) {
    const json::value* method = entry.if_contains("method");
    if (method == nullptr || !method->is_string())
      return;
    summary.methods[kind][std::string(method->as_string())]++;
    if (const json::value* lossy = entry.if_contains("lossy"); lossy && lossy->is_array())
      for (const json::value& what : lossy->as_array())
        if (what.is_string())
          summary.lossy[kind + ": " + std::string(what.as_string())]++;
  });
  return summary;
}

void AuditTrail::for_each_lossy(
    const std::filesystem::path& file,
    const std::function<void(const std::string&, const std::string&, const std::string&)>& visit) {
  for_each_entry(file, [&](const std::string& kind, const json::object& entry) {
    const json::value* lossy = entry.if_contains("lossy");
    const json::value* key = entry.if_contains("source_key");
    if (!lossy || !lossy->is_array() || !key || !key->is_string())
      return;
    std::string source_key(key->as_string());
    for (const json::value& what : lossy->as_array())
      if (what.is_string())
        visit(kind, source_key, std::string(what.as_string()));
  });
}

std::map<std::string, std::int64_t> AuditTrail::written_records(const std::filesystem::path& file,
                                                                const std::string& scope) {
  // Hashes, not keys: a million records' keys would cost a hundred megabytes; a collision can
  // only hide a loss among a million, never invent one.
  std::map<std::string, std::unordered_set<std::uint64_t>> seen;
  for_each_entry(file, [&](const std::string& kind, const json::object& entry) {
    const json::value* key = entry.if_contains("source_key");
    const json::value* status = entry.if_contains("status");
    const json::value* line_scope = entry.if_contains("scope");
    if (!key || !status || !key->is_string() || !status->is_string() ||
        status->as_string() == "failed" || status->as_string() == "intent")
      return;
    // Lines from before the trail named its scope prove nothing about this one.
    if (line_scope == nullptr || !line_scope->is_string() || line_scope->as_string() != scope)
      return;
    seen[kind].insert(std::hash<std::string_view>{}(key->as_string()));
  });
  std::map<std::string, std::int64_t> counts;
  for (const auto& [kind, keys] : seen)
    counts[kind] = static_cast<std::int64_t>(keys.size());
  return counts;
}

}  // namespace atsm::pipeline
