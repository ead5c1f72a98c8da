// source.*: what a source reads: to the end, canonical, the same twice, resumable, referentially
// whole.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <map>

#include <atsmigrate/model/codec.hpp>
#include "verify/checks.hpp"

namespace atsm::verify {

namespace json = boost::json;

namespace {

struct KindRead {
  std::vector<Batch> batches;
  std::vector<json::value> records;  // every record of every batch, in order
};

// Reads `kind` to its end from `checkpoint`, failing the check on any breach of the contract.
KindRead read_kind(Harness& h, void* instance, const std::string& kind,
                   const std::string& checkpoint = "") {
  ReadResult result = h.read(instance, kind, checkpoint);
  if (!result.emit_problem.empty())
    fail(fmt::format("read '{}': {}", kind, result.emit_problem));
  if (!result.answer.ok())
    fail(fmt::format("read '{}'{} did not reach the end: {}: {}", kind,
                     checkpoint.empty() ? "" : " from a checkpoint",
                     atsm_status_name(result.answer.status), shorten(result.answer.message)));
  KindRead read;
  for (std::size_t i = 0; i < result.batches.size(); ++i) {
    Batch& batch = result.batches[i];
    if (batch.kind != kind)
      fail(fmt::format("read '{}' emitted a batch of kind '{}'", kind, shorten(batch.kind, 40)));
    boost::system::error_code ec;
    json::value value = json::parse(batch.records_json, ec);
    if (ec || !value.is_array())
      fail(fmt::format("read '{}': batch {} is not a JSON array: {}", kind, i,
                       shorten(batch.records_json, 80)));
    for (json::value& record : value.as_array()) {
      const json::object* object = record.if_object();
      const json::value* record_kind = object ? object->if_contains("kind") : nullptr;
      if (record_kind == nullptr || !record_kind->is_string() || record_kind->as_string() != kind)
        fail(fmt::format("read '{}': batch {} holds a record that is not of kind '{}': {}", kind, i,
                         kind, shorten(json::serialize(record), 100)));
      read.records.push_back(std::move(record));
    }
    if (i + 1 < result.batches.size() && batch.checkpoint.empty())
      fail(fmt::format("read '{}': batch {} of {} has an empty checkpoint, which means 'complete'",
                       kind, i + 1, result.batches.size()));
    read.batches.push_back(std::move(batch));
  }
  if (!read.batches.empty() && !read.batches.back().checkpoint.empty())
    fail(fmt::format("read '{}' returned ok but its last batch's checkpoint is not empty", kind));
  return read;
}

std::vector<std::string> source_kinds(Harness& h) {
  if (!is_source(h.d()))
    throw CheckSkip{"not a source"};
  return kinds_of(h.d().source_kinds_json);
}

std::string key_of(const json::value& record) {
  const json::value* key = record.as_object().if_contains("source_key");
  return key != nullptr && key->is_string() ? std::string(key->as_string()) : std::string();
}

// A record's `source` is its connector's name (sdk/README.md, "Records"): the host keys the
// ledger and the plan's merged persons by it, and refuses a record of another source at extract.
void expect_own_source(const json::value& record, const std::string& kind, const std::string& key,
                       const std::string& plugin_name) {
  const json::value* source = record.as_object().if_contains("source");
  if (source != nullptr && source->is_string() && source->as_string() == plugin_name)
    return;
  fail(
      fmt::format("{} {}: field 'source' is {}, not the plugin's name '{}' (the host refuses the "
                  "record)",
                  kind, key, source == nullptr ? "absent" : shorten(json::serialize(*source), 60),
                  plugin_name));
}

// Checkpoints this connector never wrote: plain text, and a JSON object of members no connector
// uses. A read from either must be refused with ATSM_INVALID before any record is emitted
// (sdk/README.md, "Checkpoints"): a connector that takes one for "the start" silently reads the
// kind again from zero when the host hands it a checkpoint of another run or connector.
constexpr const char* kForeignCheckpoints[] = {
    "atsm-verify: a checkpoint this connector never wrote",
    R"({"atsm_verify_foreign_checkpoint":"never written by this connector"})"};

void expect_foreign_checkpoints_refused(Harness& h, void* instance, const std::string& kind) {
  for (const char* foreign : kForeignCheckpoints) {
    ReadResult result = h.read(instance, kind, foreign, 1);
    if (!result.batches.empty())
      fail(
          fmt::format("read '{}' from the foreign checkpoint '{}' emitted records (a restart) "
                      "instead of refusing it: a checkpoint the connector did not write must "
                      "be ATSM_INVALID",
                      kind, foreign));
    if (result.answer.status != ATSM_INVALID)
      fail(
          fmt::format("read '{}' from the foreign checkpoint '{}' answered {}{}: a checkpoint "
                      "the connector did not write must be ATSM_INVALID",
                      kind, foreign, atsm_status_name(result.answer.status),
                      result.answer.message.empty() ? std::string()
                                                    : " (" + shorten(result.answer.message) + ")"));
  }
}

// The verifier's own settings: the "verify" member of --config, e.g.
//   {"verify": {"allow_dangling_references": ["feedback.interview"]}}
// names references (RECORD_KIND.REFERENCED_KIND) a source may leave pointing at records it never
// emits because the vendor's data does (an interview deleted after its feedback was written).
std::set<std::string> allowed_dangling(const ChildContext& context) {
  std::set<std::string> allowed;
  const json::object* root = context.config ? &*context.config : nullptr;
  const json::value* verify = root ? root->if_contains("verify") : nullptr;
  const json::value* list = verify && verify->is_object()
                                ? verify->as_object().if_contains("allow_dangling_references")
                                : nullptr;
  if (list != nullptr && list->is_array()) {
    for (const json::value& field : list->as_array()) {
      if (field.is_string())
        allowed.insert(std::string(field.as_string()));
    }
  }
  return allowed;
}

}  // namespace

std::string check_source_read(Harness& h, const ChildContext&) {
  std::vector<std::string> kinds = source_kinds(h);
  Instance instance(h);
  std::vector<std::string> counts;
  for (const std::string& kind : kinds) {
    KindRead read = read_kind(h, instance.get(), kind);
    counts.push_back(fmt::format("{} {}", kind, read.records.size()));
  }
  return fmt::format("read to the end: {}", fmt::join(counts, ", "));
}

std::string check_source_schema(Harness& h, const ChildContext&) {
  std::vector<std::string> kinds = source_kinds(h);
  Instance instance(h);
  std::size_t total = 0;
  for (const std::string& kind : kinds) {
    KindRead read = read_kind(h, instance.get(), kind);
    std::set<std::string> keys;
    for (const json::value& record : read.records) {
      try {
        model::record_from_json(record);
      } catch (const std::exception& error) {
        fail(fmt::format("{} record does not match sdk/schema: {}", kind, shorten(error.what())));
      }
      std::string key = key_of(record);
      if (!keys.insert(key).second)
        fail(fmt::format("{} {} was emitted twice in one read", kind, key));
      expect_own_source(record, kind, key, h.plugin().name());
      ++total;
    }
  }
  return fmt::format(
      "{} records of {} kinds validate against the canonical schema; their source is '{}'", total,
      kinds.size(), h.plugin().name());
}

namespace {

std::map<std::string, std::string> by_key(const KindRead& read) {
  std::map<std::string, std::string> records;
  for (const json::value& record : read.records)
    records[key_of(record)] = json::serialize(record);
  return records;
}

}  // namespace

std::string check_source_deterministic(Harness& h, const ChildContext&) {
  std::vector<std::string> kinds = source_kinds(h);
  Instance instance(h);
  std::size_t total = 0;
  for (const std::string& kind : kinds) {
    auto first = by_key(read_kind(h, instance.get(), kind));
    auto second = by_key(read_kind(h, instance.get(), kind));
    for (const auto& [key, record] : first) {
      auto other = second.find(key);
      if (other == second.end())
        fail(fmt::format("{} {} was read the first time, not the second", kind, key));
      if (other->second != record)
        fail(fmt::format("{} {} differs between two reads: {} vs {}", kind, key,
                         shorten(record, 60), shorten(other->second, 60)));
    }
    for (const auto& [key, record] : second) {
      if (!first.count(key))
        fail(fmt::format("{} {} was read the second time, not the first", kind, key));
    }
    total += first.size();
  }
  return fmt::format("two reads of {} kinds gave the same {} records", kinds.size(), total);
}

std::string check_source_resume(Harness& h, const ChildContext&) {
  std::vector<std::string> kinds = source_kinds(h);
  Instance instance(h);
  std::size_t resumed = 0;
  for (const std::string& kind : kinds) {
    expect_foreign_checkpoints_refused(h, instance.get(), kind);
    KindRead full = read_kind(h, instance.get(), kind);
    // Records after batch i, as the host would have staged them.
    std::vector<std::size_t> after(full.batches.size() + 1, 0);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < full.batches.size(); ++i) {
      offset += json::parse(full.batches[i].records_json).as_array().size();
      after[i] = offset;
    }
    // Every checkpoint, up to 40 per kind (evenly spread beyond that).
    std::size_t checkpoints = full.batches.empty() ? 0 : full.batches.size() - 1;
    std::size_t step = checkpoints > 40 ? (checkpoints + 39) / 40 : 1;
    for (std::size_t i = 0; i < checkpoints; i += step) {
      KindRead rest = read_kind(h, instance.get(), kind, full.batches[i].checkpoint);
      std::size_t expected = full.records.size() - after[i];
      for (std::size_t j = 0; j < std::min(expected, rest.records.size()); ++j) {
        const json::value& want = full.records[after[i] + j];
        if (key_of(rest.records[j]) != key_of(want))
          fail(fmt::format(
              "{} resumed after batch {} of {}: record {} is {}, expected {} (a gap "
              "or a repeat)",
              kind, i + 1, full.batches.size(), j, key_of(rest.records[j]), key_of(want)));
      }
      if (rest.records.size() != expected)
        fail(
            fmt::format("{} resumed after batch {} of {} gave {} records, expected the {} after "
                        "it",
                        kind, i + 1, full.batches.size(), rest.records.size(), expected));
      ++resumed;
    }
  }
  return fmt::format(
      "resumed from {} checkpoints across {} kinds; each gave exactly the rest; foreign "
      "checkpoints were refused (ATSM_INVALID)",
      resumed, kinds.size());
}

std::string check_source_references(Harness& h, const ChildContext& context) {
  const std::set<std::string> allowed = allowed_dangling(context);
  std::vector<std::string> kinds = source_kinds(h);
  Instance instance(h);
  std::set<std::string> emitted;
  std::vector<std::pair<std::string, json::value>> records;
  for (const std::string& kind : kinds) {
    KindRead read = read_kind(h, instance.get(), kind);
    for (json::value& record : read.records) {
      emitted.insert(key_of(record));
      records.emplace_back(key_of(record), std::move(record));
    }
  }
  std::size_t checked = 0;
  std::map<std::string, std::size_t> tolerated;
  for (const auto& [key, record] : records) {
    const std::string kind(record.as_object().at("kind").as_string());
    for (const auto& [referenced, target] : references_of(record)) {
      ++checked;
      if (emitted.count(target))
        continue;
      if (allowed.count(kind + "." + referenced)) {
        ++tolerated[kind + "." + referenced];
        continue;
      }
      fail(fmt::format("{} refers to {} {}, which the source never emitted", key, referenced,
                       target));
    }
  }
  std::vector<std::string> notes;
  for (const auto& [field, count] : tolerated)
    notes.push_back(fmt::format("{} {}", field, count));
  return fmt::format(
      "{} references of {} records point to emitted records{}", checked, records.size(),
      notes.empty() ? std::string()
                    : fmt::format(" (dangling, allowed by --config: {})", fmt::join(notes, ", ")));
}

// The host keeps a file's bytes by SHA-256 in its blob store; a file record whose `sha256` names
// bytes never stored there is a file the migration cannot send (the host refuses the record).
std::string check_source_files(Harness& h, const ChildContext&) {
  std::vector<std::string> kinds = source_kinds(h);
  if (std::find(kinds.begin(), kinds.end(), "file") == kinds.end())
    throw CheckSkip{"reads no files"};
  Instance instance(h);
  KindRead read = read_kind(h, instance.get(), "file");
  std::size_t stored = 0;
  for (const json::value& record : read.records) {
    const json::value* sha = record.as_object().if_contains("sha256");
    if (sha == nullptr || !sha->is_string() || sha->as_string().empty())
      continue;  // not downloaded: the record says why (fetch_failure, skipped_reason)
    const std::string hex(sha->as_string());
    if (!h.blobs().contains(hex))
      fail(
          fmt::format("file {}: field 'sha256' names blob {}, whose bytes were never stored "
                      "with blob_put (the host refuses the record: its file would be lost)",
                      key_of(record), hex));
    ++stored;
  }
  return fmt::format("{} of {} file records name bytes stored with blob_put", stored,
                     read.records.size());
}

}  // namespace atsm::verify
