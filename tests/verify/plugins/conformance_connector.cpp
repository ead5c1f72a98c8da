// A source+sink connector written against the raw C ABI, kept in memory, that passes every check
// of `atsmigrate plugin verify`, and, built with -DBREAK_RULE=N, breaks exactly one rule so the
// check named for that rule must catch it (tests/verify/CMakeLists.txt lists N -> check).
#include <atsmigrate/connector.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#ifndef BREAK_RULE
#define BREAK_RULE 0
#endif

// The rules, one per build.
#define RULE_EXTRA_EXPORT 1       // load.exports (built without the version script)
#define RULE_BAD_VERSION 2        // load.descriptor
#define RULE_BAD_STATUS 3         // contract.statuses
#define RULE_EMPTY_ERROR 4        // contract.errors
#define RULE_LEAK 5               // contract.memory
#define RULE_AFTER_CLOSE 6        // contract.after_close
#define RULE_THREAD_UNSAFE 7      // contract.threads
#define RULE_HANG 8               // source.read
#define RULE_BAD_SCHEMA 9         // source.schema
#define RULE_NONDETERMINISM 10    // source.deterministic
#define RULE_RESUME_REPEAT 11     // source.resume
#define RULE_DANGLING 12          // source.references
#define RULE_PREPARE_FAILS 13     // sink.prepare
#define RULE_FIND_WRONG 14        // sink.round_trip
#define RULE_DUPLICATE 15         // sink.lost_response
#define RULE_CRASH_ON_GARBAGE 16  // robust.fuzz
#define RULE_NO_LATER_MINOR 17    // load.abi
// Issue 21's four: mistakes an earlier verify let through.
#define RULE_UNSTORED_FILE 18            // source.files: sha256 of bytes never given to blob_put
#define RULE_FOREIGN_SOURCE 19           // source.schema: persons whose source is not the name
#define RULE_UNKNOWN_KEY_ACCEPTED 20     // contract.errors: a required key, unknown keys ignored
#define RULE_FOREIGN_CHECKPOINT_ZERO 21  // source.resume: a foreign checkpoint reads from zero

namespace json = boost::json;

namespace {

constexpr int kRecords = 5;
constexpr int kBatch = 2;
// Every file record's bytes, and their SHA-256 (sha256sum), which the broken build names without
// storing the bytes.
constexpr char kFileBytes[] = "conformance file bytes\n";
constexpr char kFileSha256[] = "e4be932a583dd748a73f69e291198c6c372dbd5004e1673fa46e390391d09616";

struct Instance {
  const atsm_host_services* services;
  std::mutex mutex;
  std::map<std::string, std::string> id_by_key;
  std::map<std::string, std::string> record_by_id;
  int next_id = 1;
  int reads = 0;
  std::atomic<int> in_flight{0};
  char* leaked = nullptr;
};

atsm_status fail(atsm_error* error, atsm_status status, const std::string& message) {
#if BREAK_RULE == RULE_EMPTY_ERROR
  (void)message;
  (void)error;
  return status;
#else
  return atsm_fail(error, status, message.c_str());
#endif
}

atsm_status put(const atsm_output* out, const std::string& text) {
  return out->write(out->context, text.data(), text.size());
}

// Garbage is answered with a status; the broken build crashes on it instead.
void maybe_crash(const char* input) {
#if BREAK_RULE == RULE_CRASH_ON_GARBAGE
  std::string text = input == nullptr ? "" : input;
  bool high = false;
  for (char c : text)
    high = high || static_cast<unsigned char>(c) >= 0x80;
  // A trap rather than a wild pointer: the same SIGILL with or without AddressSanitizer (which
  // turns a SIGSEGV into its own report and an abort).
  if (high || text.size() > 65536)
    __builtin_trap();
#else
  (void)input;
#endif
}

// Calls that may run concurrently (ATSM_CAP_THREAD_SAFE); the broken build is not reentrant.
struct Reentry {
  explicit Reentry(Instance* instance) : instance_(instance) {
#if BREAK_RULE == RULE_THREAD_UNSAFE
    if (instance_->in_flight.fetch_add(1) != 0)
      std::abort();  // shared state corrupted by a second caller
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
#endif
  }
  ~Reentry() {
#if BREAK_RULE == RULE_THREAD_UNSAFE
    instance_->in_flight.fetch_sub(1);
#endif
  }
  Instance* instance_;
};

std::string person(int i, int reads) {
  std::string name = "Person " + std::to_string(i);
  std::string source = "conformance";
#if BREAK_RULE == RULE_FOREIGN_SOURCE
  source = "conformance-export";  // the export format's name, not the plugin's
#endif
#if BREAK_RULE == RULE_NONDETERMINISM
  name += " (read " + std::to_string(reads) + ")";
#else
  (void)reads;
#endif
  return json::serialize(json::object{
      {"kind", "person"},
      {"source", source},
      {"source_key", "conformance:person:" + std::to_string(i)},
      {"name", name},
      {"emails", json::array{json::object{{"address", "p" + std::to_string(i) + "@example.com"}}}},
  });
}

std::string candidacy(int i) {
  int person_number = i;
#if BREAK_RULE == RULE_DANGLING
  person_number = 99;
#endif
  std::string status = "active";
#if BREAK_RULE == RULE_BAD_SCHEMA
  status = "open";
#endif
  return json::serialize(json::object{
      {"kind", "candidacy"},
      {"source", "conformance"},
      {"source_key", "conformance:candidacy:" + std::to_string(i)},
      {"person_key", "conformance:person:" + std::to_string(person_number)},
      {"status", status},
  });
}

// A file of person i; the bytes go to the host's blob store, which names them by SHA-256.
atsm_status file(const Instance& self, int i, std::string& record, atsm_error* error) {
  std::string sha256 = kFileSha256;
#if BREAK_RULE != RULE_UNSTORED_FILE
  char stored[65] = {0};
  atsm_status status = self.services->blob_put(self.services->host, kFileBytes,
                                               sizeof kFileBytes - 1, stored, error);
  if (status != ATSM_OK)
    return status;
  sha256 = stored;
#else
  (void)self;
  (void)error;
#endif
  record = json::serialize(json::object{
      {"kind", "file"},
      {"source", "conformance"},
      {"source_key", "conformance:file:" + std::to_string(i)},
      {"person_key", "conformance:person:" + std::to_string(i)},
      {"file_name", "file-" + std::to_string(i) + ".txt"},
      {"content_type", "text/plain"},
      {"sha256", sha256},
      {"size", static_cast<std::int64_t>(sizeof kFileBytes - 1)},
  });
  return ATSM_OK;
}

atsm_status open(const atsm_host_services* services, const char* config_json, void** instance,
                 atsm_error* error) {
  maybe_crash(config_json);
  boost::system::error_code ec;
  json::value config = json::parse(config_json == nullptr ? "{}" : config_json, ec);
  if (ec || !config.is_object())
    return fail(error, ATSM_INVALID, "the configuration is not a JSON object");
#if BREAK_RULE == RULE_UNKNOWN_KEY_ACCEPTED
  // Checks its one required key and ignores every other.
  const json::value* dir = config.as_object().if_contains("dir");
  if (dir == nullptr || !dir->is_string())
    return fail(error, ATSM_INVALID, "config key 'dir' (a string) is required");
#else
  for (const auto& member : config.as_object())
    return fail(error, ATSM_INVALID,
                "unknown config key '" + std::string(member.key()) + "' (this connector has none)");
#endif
  auto* created = new (std::nothrow) Instance{};
  if (created == nullptr)
    return fail(error, ATSM_INTERNAL, "out of memory");
  created->services = services;
#if BREAK_RULE == RULE_LEAK
  created->leaked = static_cast<char*>(std::malloc(64 * 1024));
  if (created->leaked != nullptr)
    created->leaked[0] = 1;
#endif
  *instance = created;
  return ATSM_OK;
}

void close(void* instance) {
  auto* self = static_cast<Instance*>(instance);
#if BREAK_RULE == RULE_AFTER_CLOSE
  const atsm_host_services* services = self->services;
  std::thread([services] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    services->log(services->host, ATSM_LOG_INFO, "flushing after close");
  }).detach();
#endif
  delete self;
}

atsm_status read(void* instance, const char* kind, const char* checkpoint,
                 const atsm_emitter* emitter, atsm_error* error) {
  auto* self = static_cast<Instance*>(instance);
  maybe_crash(checkpoint);
  std::string name = kind == nullptr ? "" : kind;
  if (name != "person" && name != "candidacy" && name != "file") {
#if BREAK_RULE == RULE_BAD_STATUS
    return static_cast<atsm_status>(42);
#else
    return fail(error, ATSM_INVALID,
                "cannot read kind '" + name + "': kinds are person, candidacy, file");
#endif
  }
#if BREAK_RULE == RULE_HANG
  if (name == "candidacy") {
    for (;;)
      std::this_thread::sleep_for(std::chrono::seconds(1));
  }
#endif
  std::string from = checkpoint == nullptr ? "" : checkpoint;
  int start = 0;
  if (!from.empty()) {
    if (from.rfind("offset:", 0) != 0 || from.size() > 9 || from.size() < 8 || from[7] < '0' ||
        from[7] > '9') {
#if BREAK_RULE == RULE_FOREIGN_CHECKPOINT_ZERO
      from = "offset:0";  // "not mine" taken for "from the start"
#else
      return fail(error, ATSM_INVALID,
                  "checkpoint '" + from.substr(0, 40) + "' is not one this connector wrote");
#endif
    }
    start = from[7] - '0';
#if BREAK_RULE == RULE_RESUME_REPEAT
    start -= 1;
#endif
  }
  int reads = ++self->reads;
  for (int i = start; i < kRecords; i += kBatch) {
    std::string records = "[";
    for (int j = i; j < std::min(i + kBatch, kRecords); ++j) {
      if (j != i)
        records += ",";
      if (name == "file") {
        std::string record;
        if (atsm_status status = file(*self, j + 1, record, error); status != ATSM_OK)
          return status;
        records += record;
      } else {
        records += name == "person" ? person(j + 1, reads) : candidacy(j + 1);
      }
    }
    records += "]";
    int next = i + kBatch;
    std::string next_checkpoint = next >= kRecords ? "" : "offset:" + std::to_string(next);
    atsm_batch batch{sizeof(atsm_batch), ATSM_ABI_VERSION, name.c_str(),
                     records.c_str(),    records.size(),   next_checkpoint.c_str()};
    atsm_status status = emitter->emit(emitter->context, &batch);
    if (status != ATSM_OK)
      return fail(error, status, "the host stopped the read");
  }
  return ATSM_OK;
}

atsm_status prepare(void* instance, const char* plan_json, const atsm_output* out,
                    atsm_error* error) {
  (void)instance;
  maybe_crash(plan_json);
  boost::system::error_code ec;
  json::value plan = json::parse(plan_json == nullptr ? "" : plan_json, ec);
  if (ec || !plan.is_object())
    return fail(error, ATSM_INVALID, "the plan is not a JSON object");
  json::array missing;
  if (const json::value* options = plan.as_object().if_contains("options");
      options != nullptr && options->is_object()) {
    for (const char* option : {"feedback_form", "default_interview_plan"}) {
      const json::value* name = options->as_object().if_contains(option);
      if (name != nullptr && name->is_string() && !name->as_string().empty()) {
#if BREAK_RULE == RULE_PREPARE_FAILS
        return fail(error, ATSM_INVALID, std::string("missing ") + option);
#endif
        missing.push_back(json::object{{"kind", option},
                                       {"name", *name},
                                       {"reason", "this in-memory target holds no such object"}});
      }
    }
  }
  return put(out, json::serialize(json::object{{"catalog", json::object{{"user", json::array{}}}},
                                               {"missing", missing}}));
}

atsm_status write(void* instance, const char* kind, const char* items_json, const atsm_output* out,
                  atsm_error* error) {
  auto* self = static_cast<Instance*>(instance);
  Reentry guard(self);
  maybe_crash(items_json);
  std::string name = kind == nullptr ? "" : kind;
  if (name != "person" && name != "note")
    return fail(error, ATSM_INVALID, "cannot write kind '" + name.substr(0, 40) + "'");
  boost::system::error_code ec;
  json::value items = json::parse(items_json == nullptr ? "" : items_json, ec);
  if (ec || !items.is_array())
    return fail(error, ATSM_INVALID, "items_json is not a JSON array");
  json::array results;
  std::lock_guard lock(self->mutex);
  for (const json::value& entry : items.as_array()) {
    const json::object* item = entry.if_object();
    const json::value* key = item ? item->if_contains("key") : nullptr;
    const json::value* record = item ? item->if_contains("record") : nullptr;
    if (key == nullptr || !key->is_string() || record == nullptr || !record->is_object()) {
      results.push_back(json::object{{"key", key && key->is_string() ? *key : json::value("")},
                                     {"status", "invalid"},
                                     {"message", "an item needs a string key and a record"}});
      continue;
    }
    std::string item_key(key->as_string());
    const json::value* lookup = item->if_contains("lookup_first");
    bool adopt = lookup != nullptr && lookup->is_bool() && lookup->as_bool();
#if BREAK_RULE == RULE_DUPLICATE
    adopt = false;
#endif
    std::string id;
    if (adopt && self->id_by_key.count(item_key)) {
      id = self->id_by_key[item_key];
    } else {
      id = "t-" + std::to_string(self->next_id++);
      self->id_by_key[item_key] = id;
    }
    self->record_by_id[id] = json::serialize(*record);
    results.push_back(json::object{{"key", item_key}, {"status", "ok"}, {"target_id", id}});
  }
  return put(out, json::serialize(results));
}

atsm_status find(void* instance, const char* kind, const char* item_json, const atsm_output* out,
                 atsm_error* error) {
  auto* self = static_cast<Instance*>(instance);
  Reentry guard(self);
  maybe_crash(item_json);
  (void)kind;
  boost::system::error_code ec;
  json::value item = json::parse(item_json == nullptr ? "" : item_json, ec);
  const json::value* key = !ec && item.is_object() ? item.as_object().if_contains("key") : nullptr;
  if (key == nullptr || !key->is_string())
    return fail(error, ATSM_INVALID, "the item has no string key");
  std::lock_guard lock(self->mutex);
  auto found = self->id_by_key.find(std::string(key->as_string()));
  if (found == self->id_by_key.end())
    return fail(error, ATSM_NOT_FOUND, "nothing was written for that key");
  std::string id = found->second;
#if BREAK_RULE == RULE_FIND_WRONG
  id += "-other";
#endif
  return put(out, json::serialize(json::object{{"target_id", id}}));
}

atsm_status read_back(void* instance, const char* kind, const char* target_id,
                      const atsm_output* out, atsm_error* error) {
  auto* self = static_cast<Instance*>(instance);
  Reentry guard(self);
  maybe_crash(target_id);
  (void)kind;
  std::lock_guard lock(self->mutex);
  auto found = self->record_by_id.find(target_id == nullptr ? "" : target_id);
  if (found == self->record_by_id.end())
    return fail(error, ATSM_NOT_FOUND, "no object has that target id");
  return put(out, found->second);
}

atsm_connector make_descriptor() {
  atsm_connector table{};
  table.struct_size = sizeof table;
  table.abi_version = ATSM_ABI_VERSION;
  table.name = "conformance";
#if BREAK_RULE == RULE_BAD_VERSION
  table.version = "one";
#else
  table.version = "1.0.0";
#endif
  table.description = "test connector: an in-memory source and sink";
  table.roles = ATSM_ROLE_SOURCE | ATSM_ROLE_SINK;
  table.capabilities = ATSM_CAP_FIND | ATSM_CAP_READ_BACK | ATSM_CAP_THREAD_SAFE;
  table.source_kinds_json = R"(["person","candidacy","file"])";
  table.sink_kinds_json = R"(["person","note"])";
#if BREAK_RULE == RULE_UNKNOWN_KEY_ACCEPTED
  table.config_keys_json =
      R"([{"name":"dir","type":"string","description":"export directory","required":true}])";
#else
  table.config_keys_json = "[]";
#endif
  table.secrets_json = "[]";
  table.open = &open;
  table.close = &close;
  table.read = &read;
  table.prepare = &prepare;
  table.write = &write;
  table.find = &find;
  table.read_back = &read_back;
  return table;
}

}  // namespace

#if BREAK_RULE == RULE_EXTRA_EXPORT
extern "C" ATSM_EXPORT int conformance_debug_hook(void) {
  return 1;
}
#endif

extern "C" ATSM_EXPORT const atsm_connector* atsm_connector_entry(uint32_t host_abi_version) {
  if (ATSM_ABI_MAJOR(host_abi_version) != ATSM_ABI_VERSION_MAJOR)
    return nullptr;
#if BREAK_RULE == RULE_NO_LATER_MINOR
  if (ATSM_ABI_MINOR(host_abi_version) != ATSM_ABI_VERSION_MINOR)
    return nullptr;
#endif
  static const atsm_connector table = make_descriptor();
  return &table;
}
