// The audit trail: one JSON line per write outcome, appended to WORKDIR/audit.jsonl (0600), so a
// person can see afterwards what happened to every record, in the order it happened. The ledger
// stays the durable truth the run resumes from; the trail is its history.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "services/store/ledger.hpp"

namespace atsm::pipeline {

class AuditTrail {
 public:
  explicit AuditTrail(std::filesystem::path file);
  ~AuditTrail();
  AuditTrail(const AuditTrail&) = delete;
  AuditTrail& operator=(const AuditTrail&) = delete;

  // `method`: create, update, adopt (found in the target after a lost answer), same_target
  // (covered by another record's object), skip or fail. The rest comes from the ledger entry as
  // it stands after the outcome: target id, payload hash, attempts, request id, last error.
  // `lossy`: what the sink said it could not keep of the record.
  void record(const std::string& method, const store::LedgerEntry& entry,
              const std::vector<std::string>& lossy = {});

  struct Summary {
    std::map<std::string, std::map<std::string, std::int64_t>> methods;  // kind -> method -> n
    std::map<std::string, std::int64_t> lossy;  // "kind: what was lost" -> records
  };

  // Outcomes per kind and method, and lossy encodings, over the whole trail.
  static Summary summarise(const std::filesystem::path& file);

  // Each lossy encoding of the trail: visit(kind, source_key, what was lost).
  static void for_each_lossy(
      const std::filesystem::path& file,
      const std::function<void(const std::string&, const std::string&, const std::string&)>& visit);

  // How many distinct records of each kind the trail shows written into ledger scope `scope`
  // (lines from before the trail named its scope are not counted). The ledger never
  // forgets a row, so a ledger with fewer rows of a kind has lost some: the trail is its witness.
  static std::map<std::string, std::int64_t> written_records(const std::filesystem::path& file,
                                                             const std::string& scope);

 private:
  std::filesystem::path file_;
  std::mutex mutex_;
  int fd_ = -1;
};

}  // namespace atsm::pipeline
