#include "pipeline/extract.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <set>

#include <atsmigrate/model/codec.hpp>
#include <atsmigrate/model/kind.hpp>
#include <atsmigrate/model/time.hpp>
#include "pipeline/progress.hpp"

namespace atsm::pipeline {

std::string rejected_kind(const std::string& kind) {
  return "rejected:" + kind;
}

bool planned_kind(const std::string& kind) {
  std::optional<model::Kind> parsed = model::kind_from_string(kind);
  return !parsed ||
         model::dependency_rank(*parsed) <= model::dependency_rank(model::Kind::candidacy);
}

namespace {

// A read that ended ATSM_RETRY after emitting records it could not fetch now.
struct LeftUnfetched {
  std::string message;
};

bool present(const std::optional<std::string>& checkpoint) {
  return checkpoint && !checkpoint->empty();
}

// A record that would migrate wrong although it fits the model (issue 21): one whose `source` is
// not the plugin's name (the ledger and the plan's merged persons key records by it), and a file
// whose sha256 names bytes never stored with blob_put (its file would be lost). `plugin verify`
// checks both (source.schema, source.files).
void refuse_unsound_record(const model::Record& record, const std::string& source_name,
                           const store::BlobStore& blobs) {
  const std::string& source = model::envelope(record).source;
  if (source != source_name)
    throw model::ModelError(
        model::record_label(record), "source",
        fmt::format("is '{}', not the source plugin's name '{}'", source, source_name));
  const auto* file = std::get_if<model::File>(&record);
  if (file != nullptr && file->sha256 && !file->sha256->empty() && !blobs.contains(*file->sha256))
    throw model::ModelError(
        model::record_label(record), "sha256",
        fmt::format("names blob {}, whose bytes the source never stored with blob_put",
                    *file->sha256));
}

// The staged files still to write that the work dir cannot send as fetched: a blob deleted or
// damaged on disk since its download (the damaged file is removed, so the fresh download takes
// its place), and, once the kind's read is complete, one an earlier re-fetch left unfetched.
std::vector<boost::json::object> files_to_fetch_again(Session& session) {
  const std::string source = session.source_plugin().name();
  store::StagingStore& staging = session.staging();
  store::BlobStore& blobs = session.blobs();
  const bool read_complete =
      staging.checkpoint(source, "file") == std::optional<std::string>(kExtractComplete);
  std::vector<boost::json::object> files;
  staging.for_each({"file", source}, [&](const store::StagedRecord& staged) {
    std::optional<store::LedgerEntry> entry =
        session.ledger().get({session.ledger_scope(), "file", staged.source_key});
    if (entry &&
        (entry->state == store::LedgerState::done || entry->state == store::LedgerState::skipped))
      return;
    boost::json::object record = boost::json::parse(staged.record_json).as_object();
    const boost::json::value* sha = record.if_contains("sha256");
    if (sha != nullptr && sha->is_string()) {
      const std::string hex(sha->as_string());
      if (!blobs.contains(hex)) {
        spdlog::warn("{}: its bytes (blob {}) are missing from the work dir; fetched again",
                     staged.source_key, hex);
      } else if (!blobs.verify(hex)) {
        spdlog::warn(
            "{}: its bytes (blob {}) no longer hash to their name (damaged on disk); "
            "fetched again",
            staged.source_key, hex);
        std::filesystem::remove(blobs.path_of(hex));
      } else {
        return;
      }
      files.push_back(std::move(record));
    } else if (read_complete && record.contains("fetch_failure")) {
      files.push_back(std::move(record));
    }
  });
  return files;
}

// Fetches `files` again from the source: a read of the file kind at a checkpoint
// {"refetch": [{"source_key", "record"}]} (sdk/docs/sink-protocol.md §5), staged without moving
// the kind's own checkpoint. What the source still cannot fetch is staged as failed (exit 2) and
// asked for again by the next run.
void fetch_files_again(Session& session, const std::vector<boost::json::object>& files,
                       ExtractStats& stats) {
  const std::string source_name = session.source_plugin().name();
  boost::json::array entries;
  for (const boost::json::object& record : files)
    entries.push_back(
        boost::json::object{{"source_key", record.at("source_key")}, {"record", record}});
  const std::string checkpoint =
      boost::json::serialize(boost::json::object{{"refetch", std::move(entries)}});
  std::set<std::string> unfetched;
  with_retries("fetch files again", [&] {
    try {
      session.source().read(
          "file", checkpoint,
          [&](const std::string&, boost::json::array& records, const std::string&) {
            std::vector<store::RecordToStage> good;
            for (boost::json::value& value : records) {
              try {
                model::Record record = model::record_from_json(value);
                if (model::kind_of(record) != model::Kind::file)
                  continue;
                model::RecordBase& envelope = model::envelope(record);
                const auto* file = std::get_if<model::File>(&record);
                if (file != nullptr && file->fetch_failure)
                  unfetched.insert(envelope.source_key);
                else
                  unfetched.erase(envelope.source_key);
                std::string raw =
                    envelope.raw ? boost::json::serialize(*envelope.raw) : std::string("null");
                envelope.raw.reset();
                good.push_back({envelope.source_key, model::serialize_record(record), raw});
              } catch (const std::exception& error) {
                spdlog::warn("fetch files again: a record from {} is not a file: {}", source_name,
                             error.what());
              }
            }
            session.staging().put_batch(source_name, "file", good, std::nullopt);
            stats.staged["file"] += static_cast<int64_t>(good.size());
          });
    } catch (const host::Error& error) {
      bool transient = error.status() == ATSM_RETRY || error.status() == ATSM_RATE_LIMITED;
      if (!transient || unfetched.empty())
        throw;
      spdlog::warn(
          "fetch files again: {} file(s) could not be fetched now ({}); a re-run "
          "fetches them again",
          unfetched.size(), error.what());
    }
  });
  if (!unfetched.empty())
    stats.unfetched["file"] += static_cast<int64_t>(unfetched.size());
}

// Stages one batch a source emitted for `kind`, with the checkpoint that resumes after it
// (`next`, "" when the kind is complete): the records the model accepts, and apart the ones it
// rejects (kept raw, with the reason). `unfetched` follows the records the source could not
// fetch now.
void stage_batch(store::StagingStore& staging, const store::BlobStore& blobs,
                 const std::string& source_name, const std::string& kind,
                 boost::json::array& records, const std::string& next,
                 std::set<std::string>& unfetched, ExtractStats& stats) {
  std::vector<store::RecordToStage> good;
  std::vector<store::RecordToStage> bad;
  good.reserve(records.size());
  for (boost::json::value& value : records) {
    if (value.is_object()) {
      const boost::json::value* key = value.as_object().if_contains("source_key");
      const boost::json::value* failure = value.as_object().if_contains("fetch_failure");
      if (key && key->is_string()) {
        std::string source_key(key->as_string());
        if (failure && failure->is_string() && !failure->as_string().empty())
          unfetched.insert(source_key);
        else
          unfetched.erase(source_key);
      }
    }
    std::string raw = value.is_object() && value.as_object().contains("raw")
                          ? boost::json::serialize(value.as_object().at("raw"))
                          : std::string("null");
    try {
      // A record over the size cap arrives as a stub that says so: listed as
      // rejected, never lost.
      if (const boost::json::value* refused =
              value.is_object() ? value.as_object().if_contains(host::kRefusedRecordField)
                                : nullptr;
          refused && refused->is_string()) {
        throw std::runtime_error(std::string(refused->as_string()));
      }
      model::Record record = model::record_from_json(value);
      if (std::string(model::to_string(model::kind_of(record))) != kind) {
        throw std::runtime_error(
            fmt::format("{}: emitted while reading {}", model::record_label(record), kind));
      }
      refuse_unsound_record(record, source_name, blobs);
      std::string key = model::envelope(record).source_key;
      // Canonical text without raw: the payload hash then moves only when
      // something the target receives changes.
      model::envelope(record).raw.reset();
      good.push_back({std::move(key), model::serialize_record(record), std::move(raw)});
    } catch (const std::exception& error) {
      const boost::json::value* key =
          value.is_object() ? value.as_object().if_contains("source_key") : nullptr;
      std::string source_key = key && key->is_string() ? std::string(key->as_string()) : "";
      stats.rejected.push_back({kind, source_key, error.what()});
      spdlog::warn("rejected {} from {}: {}", kind, source_name, error.what());
      boost::json::object kept{{"error", error.what()}, {"record", value}};
      bad.push_back(
          {source_key.empty() ? fmt::format("unkeyed:{}", stats.rejected.size()) : source_key,
           boost::json::serialize(kept), raw});
    }
  }
  if (!bad.empty())
    staging.put_batch(source_name, rejected_kind(kind), bad, std::nullopt);
  store::BatchResult result = staging.put_batch(
      source_name, kind, good, next.empty() ? std::string(kExtractComplete) : next);
  stats.staged[kind] += static_cast<int64_t>(good.size());
  stats.changed[kind] += static_cast<int64_t>(result.changed);
}

}  // namespace

void begin_delta(Session& session, const std::string& since) {
  store::StagingStore& staging = session.staging();
  const std::string& source = session.source_plugin().name();
  if (staging.checkpoint(source, kDeltaSince) == std::optional<std::string>(since))
    return;  // the same delta read resumes where it stopped
  for (const std::string& kind : session.source_plugin().source_kinds())
    staging.put_batch(source, kind, {}, std::string());
  staging.put_batch(source, kExtractionStarted, {}, std::string());
  staging.put_batch(source, kDeltaSince, {}, since);
}

void begin_reread(Session& session, const std::vector<std::string>& kinds) {
  store::StagingStore& staging = session.staging();
  const host::LoadedPlugin& plugin = session.source_plugin();
  const std::string& source = plugin.name();
  const std::vector<std::string>& offered = plugin.source_kinds();
  for (const std::string& kind : kinds) {
    if (std::find(offered.begin(), offered.end(), kind) == offered.end())
      throw UsageError(fmt::format("--reread-kind {}: source '{}' reads no such kind (it reads {})",
                                   kind, source, fmt::join(offered, ", ")));
  }
  for (const std::string& kind : kinds.empty() ? offered : kinds)
    staging.put_batch(source, kind, {}, std::string());
  staging.put_batch(source, kDeltaSince, {}, std::string());
  if (kinds.empty()) {
    staging.put_batch(source, kExtractionStarted, {}, std::string());  // a new full read starts
  } else if (std::optional<std::string> mark = staging.checkpoint(source, kHighWaterMark);
             present(mark) && !present(staging.checkpoint(source, kExtractionStarted))) {
    // The other kinds are not read again: what the next --delta must read from stays the start
    // of the last complete read, which this partial read then keeps.
    staging.put_batch(source, kExtractionStarted, {}, *mark);
  }
}

std::optional<std::string> high_water_mark(Session& session) {
  std::optional<std::string> mark =
      session.staging().checkpoint(session.source_plugin().name(), kHighWaterMark);
  return present(mark) ? mark : std::nullopt;
}

ExtractStats extract(Session& session, const ExtractListener& listener) {
  ExtractStats stats;
  host::ConnectorInstance& source = session.source();
  const std::string source_name = source.plugin().name();
  store::StagingStore& staging = session.staging();
  // The changes a read may miss are those made after it started: its start, kept across
  // resumes, becomes the high-water mark the next delta reads from.
  bool all_complete = true;
  for (const std::string& kind : source.plugin().source_kinds())
    all_complete = all_complete && staging.checkpoint(source_name, kind) ==
                                       std::optional<std::string>(kExtractComplete);
  stats.complete_before = all_complete;
  if (!all_complete && !present(staging.checkpoint(source_name, kExtractionStarted)))
    staging.put_batch(source_name, kExtractionStarted, {}, model::now_timestamp());

  // Files whose bytes the work dir lost come back from the source before anything is loaded.
  const std::vector<std::string>& offered = source.plugin().source_kinds();
  if (std::find(offered.begin(), offered.end(), "file") != offered.end())
    if (std::vector<boost::json::object> files = files_to_fetch_again(session); !files.empty())
      fetch_files_again(session, files, stats);

  // Dependency order (atsmigrate/model), whatever order the plugin listed its kinds in.
  std::vector<std::string> kinds;
  for (model::Kind kind : model::kKindsInDependencyOrder) {
    std::string name(model::to_string(kind));
    for (const std::string& offered : source.plugin().source_kinds()) {
      if (offered == name)
        kinds.push_back(name);
    }
  }

  for (const std::string& kind : kinds) {
    std::optional<std::string> checkpoint = staging.checkpoint(source_name, kind);
    if (checkpoint && *checkpoint == kExtractComplete) {
      stats.skipped_kinds.push_back(kind);
      if (listener.kind_complete)
        listener.kind_complete(kind);
      continue;
    }
    Progress progress(fmt::format("extract {}", kind), 0);
    // Records the source emitted as not fetched for now (a file whose URL expired): the read
    // then ends ATSM_RETRY with a checkpoint naming exactly what is still to fetch.
    std::set<std::string> unfetched;  // their source keys
    // A transient failure resumes from the last committed checkpoint: nothing is read twice.
    try {
      with_retries("extract " + kind, [&] {
        try {
          source.read(
              kind, staging.checkpoint(source_name, kind).value_or(""),
              [&](const std::string&, boost::json::array& records, const std::string& next) {
                stage_batch(staging, session.blobs(), source_name, kind, records, next, unfetched,
                            stats);
                progress.advance(records.size());
                if (listener.batch_staged)
                  listener.batch_staged(kind);
              });
        } catch (const host::Error& error) {
          // The source already retried those records (fresh URLs, back-off): the read is not
          // repeated now, the next run resumes it.
          bool transient = error.status() == ATSM_RETRY || error.status() == ATSM_RATE_LIMITED;
          if (transient && !unfetched.empty())
            throw LeftUnfetched{error.what()};
          throw;
        }
      });
    } catch (const LeftUnfetched& left) {
      // "Not now" is not "never": the records the source could not fetch are staged as failed
      // (the load reports them, the run exits 2) and the kind stays open at the source's
      // checkpoint, so the next run fetches exactly those. The other kinds go on.
      spdlog::warn(
          "extract {}: {} record(s) could not be fetched now ({}); a re-run fetches "
          "them again",
          kind, unfetched.size(), left.message);
      stats.unfetched[kind] = static_cast<int64_t>(unfetched.size());
      progress.finish();
      if (listener.kind_complete)
        listener.kind_complete(kind);
      continue;
    }
    // A source that ended without a final empty checkpoint still finished the kind.
    if (staging.checkpoint(source_name, kind) != std::optional<std::string>(kExtractComplete)) {
      staging.put_batch(source_name, kind, {}, std::string(kExtractComplete));
    }
    progress.finish();
    if (listener.kind_complete)
      listener.kind_complete(kind);
  }
  // Every kind is complete: this read covers the source up to its start. A kind left open
  // (records not fetched yet) keeps the start for the run that completes it.
  if (std::optional<std::string> started = staging.checkpoint(source_name, kExtractionStarted);
      present(started) && stats.unfetched.empty()) {
    staging.put_batch(source_name, kHighWaterMark, {}, *started);
    staging.put_batch(source_name, kExtractionStarted, {}, std::string());
  }
  return stats;
}

BackgroundExtraction::BackgroundExtraction(Session& session) : session_(session) {
  // The source instance opens here, on the caller's thread: an unknown plugin or a bad
  // configuration fails the run before anything starts.
  const std::vector<std::string>& kinds = session_.source().plugin().source_kinds();
  offered_.insert(kinds.begin(), kinds.end());
  thread_ = std::thread([this] {
    ExtractListener listener;
    listener.batch_staged = [this](const std::string&) {
      std::lock_guard lock(mutex_);
      ++generation_;
      changed_.notify_all();
    };
    listener.kind_complete = [this](const std::string& kind) {
      std::lock_guard lock(mutex_);
      complete_.insert(kind);
      ++generation_;
      changed_.notify_all();
    };
    try {
      ExtractStats stats = extract(session_, listener);
      std::lock_guard lock(mutex_);
      stats_ = std::move(stats);
    } catch (...) {
      std::lock_guard lock(mutex_);
      failure_ = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    finished_ = true;
    ++generation_;
    changed_.notify_all();
  });
}

BackgroundExtraction::~BackgroundExtraction() {
  if (thread_.joinable()) {
    session_.services().cancelled = true;
    thread_.join();
  }
}

void BackgroundExtraction::rethrow_failure() {
  if (failure_)
    std::rethrow_exception(failure_);
}

bool BackgroundExtraction::complete(const std::string& kind) {
  std::lock_guard lock(mutex_);
  rethrow_failure();
  if (complete_.contains(kind) || !offered_.contains(kind))
    return true;
  // A finished extraction completed every kind the source offers; the rest never come.
  return finished_;
}

void BackgroundExtraction::wait_complete(const std::string& kind) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] {
    return failure_ || finished_ || complete_.contains(kind) || !offered_.contains(kind);
  });
  rethrow_failure();
}

void BackgroundExtraction::wait_for_more(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::uint64_t seen = generation_;
  changed_.wait_for(lock, timeout, [&] { return generation_ != seen; });
}

ExtractStats BackgroundExtraction::finish() {
  if (thread_.joinable())
    thread_.join();
  std::lock_guard lock(mutex_);
  rethrow_failure();
  return std::move(stats_);
}

}  // namespace atsm::pipeline
