// `atsmigrate plugin verify`: checks that a connector plugin keeps the contract of connector.h
// and sink-protocol.md. The parent process only forks, waits and prints; every check loads the
// plugin afresh in its own child process (anchors: clap-validator, Airbyte's acceptance tests).
#include "cli/verify_command.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/exit_codes.hpp"
#include "host/child_process.hpp"
#include "host/host_services.hpp"
#include "host/plugin_registry.hpp"
#include "host/run_services.hpp"
#include "model/codec.hpp"
#include "model/kind.hpp"
#include "pipeline/references.hpp"
#include "services/net/http_client.hpp"
#include "services/net/rate_limiter.hpp"
#include "services/net/secrets.hpp"
#include "services/store/blob_store.hpp"

#if defined(__SANITIZE_ADDRESS__)
// From the AddressSanitizer runtime (sanitizer/allocator_interface.h, not shipped by every
// compiler package): the bytes its allocator has handed out and not taken back.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace atsm::cli {
namespace {

namespace json = boost::json;

// ------------------------------------------------------------------------------------------
// Options and results
// ------------------------------------------------------------------------------------------

struct VerifyOptions {
  std::string target;
  std::string config_file;
  std::string credentials_file;
  std::vector<std::string> only;
  std::uint64_t seed = 0;
  bool seed_given = false;
  bool as_json = false;
  unsigned timeout_s = 120;
  unsigned fuzz_cases = 60;
};

enum class Outcome { pass, fail, skip };

struct CheckResult {
  Outcome outcome = Outcome::pass;
  std::string reason;  // one line; why it failed or was skipped
  std::string detail;  // one line; what was checked
  std::string signal;  // set when the child died of a signal
  std::vector<std::string> log_tail;
  double seconds = 0;
};

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::pass:
      return "pass";
    case Outcome::fail:
      return "fail";
    case Outcome::skip:
      return "skip";
  }
  return "fail";
}

// Thrown inside a child to end its check with a failure (never crosses the plugin boundary).
struct CheckFailure {
  std::string reason;
};
struct CheckSkip {
  std::string reason;
};

[[noreturn]] void fail(std::string reason) {
  throw CheckFailure{std::move(reason)};
}

// Valid UTF-8: each byte of an invalid sequence becomes '?' (plugin output and garbage inputs
// reach the report, and --json must stay parseable).
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80           ? 1
                         : (byte >> 5) == 0x6  ? 2
                         : (byte >> 4) == 0xE  ? 3
                         : (byte >> 3) == 0x1E ? 4
                                               : 0;
    bool ok = length != 0 && i + length <= text.size();
    for (std::size_t j = 1; ok && j < length; ++j)
      ok = (static_cast<unsigned char>(text[i + j]) & 0xC0) == 0x80;
    if (ok && length > 1) {
      // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
      std::uint32_t code = byte & (0x7F >> length);
      for (std::size_t j = 1; j < length; ++j)
        code = (code << 6) | (static_cast<unsigned char>(text[i + j]) & 0x3F);
      static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = code >= kMinimum[length] && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF);
    }
    if (!ok) {
      out += '?';
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string shorten(std::string_view text, std::size_t limit = 160) {
  std::string line;
  for (char c : text.substr(0, limit))
    line += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (text.size() > limit)
    line += "...";
  return line;
}

// ------------------------------------------------------------------------------------------
// Contract recording: every call into the plugin goes through here
// ------------------------------------------------------------------------------------------

class Recorder {
 public:
  void add(const std::string& rule, const std::string& message) {
    std::lock_guard lock(mutex_);
    if (violations_.size() < 100)
      violations_.emplace_back(rule, message);
  }
  // The first violation (of `rule` when it is not empty).
  std::optional<std::pair<std::string, std::string>> first(const std::string& rule = "") const {
    std::lock_guard lock(mutex_);
    for (const auto& violation : violations_) {
      if (rule.empty() || violation.first == rule)
        return violation;
    }
    return std::nullopt;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> violations_;
};

// The host services a verified instance gets: the real ones, plus a watch for any call made
// after the instance's `close` returned.
class VerifyServices : public host::HostServices {
 public:
  VerifyServices(host::SharedServices& shared, const std::string& plugin, Recorder& recorder)
      : inner_(shared, plugin), recorder_(recorder) {}

  void mark_closed() { closed_ = true; }

  void log(atsm_log_level level, std::string_view message) override {
    watch("log");
    inner_.log(level, message);
  }
  std::optional<std::string> secret(const std::string& name) override {
    watch("get_secret");
    return inner_.secret(name);
  }
  void register_secret(const std::string& value) override {
    watch("register_secret");
    inner_.register_secret(value);
  }
  void declare_bucket(const atsm_rate_policy& policy) override {
    watch("declare_bucket");
    inner_.declare_bucket(policy);
  }
  void http(const atsm_http_request& request, atsm_http_response_fn on_response,
            void* context) override {
    watch("http");
    inner_.http(request, on_response, context);
  }
  std::string blob_put(std::string_view bytes) override {
    watch("blob_put");
    return inner_.blob_put(bytes);
  }
  std::optional<std::string> blob_get(const std::string& sha256_hex) override {
    watch("blob_get");
    return inner_.blob_get(sha256_hex);
  }
  std::optional<std::string> ledger_target(const std::string& kind,
                                           const std::string& source_key) override {
    watch("ledger_target");
    return inner_.ledger_target(kind, source_key);
  }
  void progress(const std::string& kind, uint64_t done, uint64_t total) override {
    watch("progress");
    inner_.progress(kind, done, total);
  }
  bool cancelled() override {
    watch("is_cancelled");
    return inner_.cancelled();
  }

 private:
  void watch(const char* service) {
    if (closed_)
      recorder_.add("contract.after_close",
                    fmt::format("host service '{}' was called after close returned", service));
  }

  host::RunServices inner_;
  Recorder& recorder_;
  std::atomic<bool> closed_{false};
};

struct Answer {
  atsm_status status = ATSM_OK;
  std::string output;
  std::string message;
  bool ok() const { return status == ATSM_OK; }
};

struct Batch {
  std::string kind;
  std::string records_json;
  std::string checkpoint;
};

struct ReadResult {
  Answer answer;
  std::vector<Batch> batches;
  std::string emit_problem;  // a malformed atsm_batch, described
};

atsm_status append_output(void* context, const char* data, size_t size) {
  if (data == nullptr && size != 0)
    return ATSM_INVALID;
  static_cast<std::string*>(context)->append(data == nullptr ? "" : data, size);
  return ATSM_OK;
}

struct EmitContext {
  ReadResult* result;
  std::size_t stop_after = 0;  // 0: never; else answer ATSM_CANCELLED after that many batches
};

atsm_status collect_batch(void* context, const atsm_batch* batch) {
  auto* emit = static_cast<EmitContext*>(context);
  ReadResult& result = *emit->result;
  if (batch == nullptr || batch->kind == nullptr ||
      (batch->records_json == nullptr && batch->records_size != 0)) {
    result.emit_problem = "emit was called with a NULL batch, kind or records_json";
    return ATSM_INVALID;
  }
  if (batch->struct_size < offsetof(atsm_batch, checkpoint) + sizeof(const char*)) {
    result.emit_problem =
        fmt::format("emit got an atsm_batch of struct_size {}, below ABI 1.0's {}",
                    batch->struct_size, sizeof(atsm_batch));
    return ATSM_INVALID;
  }
  result.batches.push_back(Batch{
      batch->kind,
      std::string(batch->records_json == nullptr ? "" : batch->records_json, batch->records_size),
      batch->checkpoint == nullptr ? "" : batch->checkpoint});
  if (emit->stop_after != 0 && result.batches.size() >= emit->stop_after)
    return ATSM_CANCELLED;
  return ATSM_OK;
}

// Everything one child needs: the plugin, the real services, and the contract recorder.
class Harness {
 public:
  // `blob_dir` is made and removed by the parent process, so a crash leaves nothing behind.
  Harness(const host::LoadedPlugin& plugin, std::string config_json,
          const std::optional<std::filesystem::path>& credentials, std::uint64_t seed,
          std::filesystem::path blob_dir)
      : plugin_(plugin),
        d_(plugin.descriptor()),
        config_(std::move(config_json)),
        seed_(seed),
        blob_dir_(std::move(blob_dir)) {
    if (credentials)
      secrets_ = net::SecretStore(*credentials);
    net::HttpClientOptions http_options;
    http_options.rate_limiter = &limiter_;
    http_options.allow_insecure_loopback_tls = true;
    http_ = std::make_unique<net::HttpClient>(http_options);
    blobs_ = std::make_unique<store::BlobStore>(blob_dir_);
    shared_.reset(new host::SharedServices{
        secrets_, limiter_, *http_, *blobs_, spdlog::default_logger(), nullptr, "verify",
        [](const std::string&, const std::string&, uint64_t, uint64_t) {}});
  }
  const atsm_connector& d() const { return d_; }
  const host::LoadedPlugin& plugin() const { return plugin_; }
  const std::string& config() const { return config_; }
  Recorder& recorder() { return recorder_; }
  std::uint64_t seed() const { return seed_; }
  VerifyServices& last_services() { return *services_.back(); }

  // One line per call into the plugin on the check's log, so the log tail of a crash or a hang
  // says which call it was.
  static void trace(const char* function, std::string_view kind, std::string_view argument) {
    std::cerr << "verify -> " << function << "(" << shorten(kind, 40) << ", "
              << shorten(argument, 80) << ")" << std::endl;
  }

  // Checks a returned status and error against the contract; records what is wrong.
  void inspect(const char* function, atsm_status status, const atsm_error& error, Answer& answer) {
    answer.status = status;
    auto value = static_cast<std::uint32_t>(status);
    if (value > static_cast<std::uint32_t>(ATSM_AMBIGUOUS)) {
      recorder_.add(
          "contract.statuses",
          fmt::format("{} returned status {}, which is not an atsm_status", function, value));
      return;
    }
    if (status == ATSM_OK)
      return;
    const void* end = std::memchr(error.message, '\0', sizeof error.message);
    if (end == nullptr) {
      recorder_.add("contract.errors",
                    fmt::format("{} returned '{}' with an atsm_error.message not NUL-terminated",
                                function, atsm_status_name(status)));
      return;
    }
    answer.message = error.message;
    if (answer.message.empty())
      recorder_.add("contract.errors",
                    fmt::format("{} returned '{}' and left atsm_error.message empty", function,
                                atsm_status_name(status)));
  }

  // Opens an instance; nullptr with the answer when open fails.
  void* open(const std::string& config_json, Answer& answer) {
    services_.push_back(std::make_unique<VerifyServices>(*shared_, plugin_.name(), recorder_));
    atsm_error error;
    atsm_error_init(&error);
    void* instance = nullptr;
    trace("open", "", config_json);
    atsm_status status = d_.open(services_.back()->table(), config_json.c_str(), &instance, &error);
    inspect("open", status, error, answer);
    if (status != ATSM_OK) {
      services_.back()->mark_closed();
      return nullptr;
    }
    open_.emplace_back(instance, services_.back().get());
    return instance;
  }

  // Closes an instance; from then on its services record every call as a breach.
  void close(void* instance) {
    d_.close(instance);
    for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
      if (it->first == instance) {
        it->second->mark_closed();
        open_.erase(std::next(it).base());
        break;
      }
    }
  }

  ReadResult read(void* instance, const std::string& kind, const std::string& checkpoint,
                  std::size_t stop_after = 0) {
    ReadResult result;
    EmitContext context{&result, stop_after};
    atsm_emitter emitter{&context, &collect_batch};
    atsm_error error;
    atsm_error_init(&error);
    trace("read", kind, checkpoint);
    atsm_status status = d_.read(instance, kind.c_str(), checkpoint.c_str(), &emitter, &error);
    inspect("read", status, error, result.answer);
    return result;
  }

  Answer with_output(const char* function,
                     const std::function<atsm_status(const atsm_output*, atsm_error*)>& call) {
    Answer answer;
    atsm_output out{&answer.output, &append_output};
    atsm_error error;
    atsm_error_init(&error);
    atsm_status status = call(&out, &error);
    inspect(function, status, error, answer);
    return answer;
  }
  Answer prepare(void* instance, const std::string& plan) {
    return with_output("prepare", [&](const atsm_output* out, atsm_error* error) {
      trace("prepare", "", plan);
      return d_.prepare(instance, plan.c_str(), out, error);
    });
  }
  Answer write(void* instance, const std::string& kind, const std::string& items) {
    return with_output("write", [&](const atsm_output* out, atsm_error* error) {
      trace("write", kind, items);
      return d_.write(instance, kind.c_str(), items.c_str(), out, error);
    });
  }
  Answer find(void* instance, const std::string& kind, const std::string& item) {
    return with_output("find", [&](const atsm_output* out, atsm_error* error) {
      trace("find", kind, item);
      return d_.find(instance, kind.c_str(), item.c_str(), out, error);
    });
  }
  Answer read_back(void* instance, const std::string& kind, const std::string& id) {
    return with_output("read_back", [&](const atsm_output* out, atsm_error* error) {
      trace("read_back", kind, id);
      return d_.read_back(instance, kind.c_str(), id.c_str(), out, error);
    });
  }

  // Opens with the verification config or fails the check naming the status and message.
  void* open_or_fail() {
    Answer answer;
    void* instance = open(config_, answer);
    if (!answer.ok())
      fail(fmt::format("open with the --config object failed: {}: {}",
                       atsm_status_name(answer.status), shorten(answer.message)));
    return instance;
  }

 private:
  const host::LoadedPlugin& plugin_;
  atsm_connector d_;
  std::string config_;
  std::uint64_t seed_;
  std::filesystem::path blob_dir_;
  Recorder recorder_;
  net::SecretStore secrets_;
  net::RateLimiter limiter_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<host::SharedServices> shared_;
  std::vector<std::unique_ptr<VerifyServices>> services_;
  std::vector<std::pair<void*, VerifyServices*>> open_;  // open instances and their services
};

// Closes an instance at scope exit.
class Instance {
 public:
  explicit Instance(Harness& harness) : harness_(harness), handle_(harness.open_or_fail()) {}
  ~Instance() { harness_.close(handle_); }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  void* get() const { return handle_; }

 private:
  Harness& harness_;
  void* handle_;
};

std::vector<std::string> kinds_of(const char* json_text) {
  std::vector<std::string> kinds;
  if (json_text == nullptr)
    return kinds;
  boost::system::error_code ec;
  json::value value = json::parse(json_text, ec);
  if (ec || !value.is_array())
    return kinds;
  for (const json::value& kind : value.as_array()) {
    if (kind.is_string())
      kinds.emplace_back(kind.as_string());
  }
  return kinds;
}

bool is_source(const atsm_connector& d) {
  return (d.roles & ATSM_ROLE_SOURCE) != 0;
}
bool is_sink(const atsm_connector& d) {
  return (d.roles & ATSM_ROLE_SINK) != 0;
}

// ------------------------------------------------------------------------------------------
// load.*
// ------------------------------------------------------------------------------------------

std::string check_load_abi(const std::filesystem::path& path, host::PluginRegistry& registry) {
  const host::LoadedPlugin* plugin = registry.load_file(path);
  if (plugin == nullptr)
    fail(registry.refusals().empty() ? "refused" : registry.refusals().back().reason);
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr)
    fail(fmt::format("dlopen failed: {}", ::dlerror()));
  auto entry = reinterpret_cast<atsm_connector_entry_fn>(::dlsym(handle, ATSM_ENTRY_SYMBOL));
  if (entry == nullptr)
    fail("no atsm_connector_entry symbol");
  // A later minor host (1.x) must still get a 1.y descriptor: minors only add.
  const uint32_t future_minor = ATSM_MAKE_ABI_VERSION(ATSM_ABI_VERSION_MAJOR, 0xfffe);
  const atsm_connector* later = entry(future_minor);
  if (later == nullptr)
    fail(
        fmt::format("the entry point returned NULL for host ABI {}; a 1.x plugin must load in "
                    "every 1.y host",
                    host::abi_version_text(future_minor)));
  if (ATSM_ABI_MAJOR(later->abi_version) != ATSM_ABI_VERSION_MAJOR)
    fail(fmt::format("the descriptor says ABI {}, host major is {}",
                     host::abi_version_text(later->abi_version), ATSM_ABI_VERSION_MAJOR));
  // A host of another major: NULL or a descriptor the host will refuse; never a crash.
  const atsm_connector* other = entry(ATSM_MAKE_ABI_VERSION(ATSM_ABI_VERSION_MAJOR + 1, 0));
  std::string other_answer = other == nullptr ? "declines" : "answers (refused by major)";
  ::dlclose(handle);
  return fmt::format("ABI {} in host {}; a {} host loads it; a {}.0 host: {}",
                     host::abi_version_text(plugin->abi_version()),
                     host::abi_version_text(ATSM_ABI_VERSION), host::abi_version_text(future_minor),
                     ATSM_ABI_VERSION_MAJOR + 1, other_answer);
}

std::string check_descriptor(const atsm_connector& d) {
  std::vector<std::string> problems;
  auto problem = [&](std::string text) { problems.push_back(std::move(text)); };
  if (d.struct_size < sizeof(atsm_connector))
    problem(
        fmt::format("struct_size {} is below ABI 1.0's {}", d.struct_size, sizeof(atsm_connector)));
  std::string name = d.name == nullptr ? "" : d.name;
  if (!std::regex_match(name, std::regex("[a-z0-9_-]+")))
    problem(fmt::format("name '{}' is not [a-z0-9_-]+", shorten(name, 40)));
  if (d.version == nullptr ||
      !std::regex_match(d.version, std::regex("[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.+-]*)?")))
    problem(fmt::format("version '{}' is not MAJOR.MINOR.PATCH", d.version ? d.version : ""));
  if (d.description == nullptr || d.description[0] == '\0' ||
      std::strchr(d.description, '\n') != nullptr)
    problem("description is not one non-empty line");
  if (d.roles == 0 || (d.roles & ~(ATSM_ROLE_SOURCE | ATSM_ROLE_SINK)) != 0)
    problem(fmt::format("roles 0x{:x} are not a non-empty set of ATSM_ROLE_*", d.roles));
  const uint32_t known_caps =
      ATSM_CAP_THREAD_SAFE | ATSM_CAP_INCREMENTAL | ATSM_CAP_FIND | ATSM_CAP_READ_BACK;
  if ((d.capabilities & ~known_caps) != 0)
    problem(fmt::format("capabilities 0x{:x} has unknown bits", d.capabilities));
  if (d.open == nullptr || d.close == nullptr)
    problem("open or close is NULL");
  auto check_kinds = [&](const char* field, const char* text, bool role) {
    boost::system::error_code ec;
    json::value value = json::parse(text == nullptr ? "" : text, ec);
    if (ec || !value.is_array()) {
      problem(fmt::format("{} is not a JSON array", field));
      return;
    }
    std::set<std::string> seen;
    for (const json::value& kind : value.as_array()) {
      if (!kind.is_string() || !model::kind_from_string(kind.as_string())) {
        problem(fmt::format("{} has '{}', not a canonical kind", field,
                            shorten(json::serialize(kind), 40)));
      } else if (!seen.insert(std::string(kind.as_string())).second) {
        problem(fmt::format("{} lists '{}' twice", field, std::string(kind.as_string())));
      }
    }
    if (role && seen.empty())
      problem(fmt::format("{} is empty for a declared role", field));
    if (!role && !seen.empty())
      problem(fmt::format("{} lists kinds for a role the connector lacks", field));
  };
  check_kinds("source_kinds_json", d.source_kinds_json, is_source(d));
  check_kinds("sink_kinds_json", d.sink_kinds_json, is_sink(d));
  if (is_source(d) != (d.read != nullptr))
    problem(is_source(d) ? "source role without read" : "read set without the source role");
  if (is_sink(d) != (d.prepare != nullptr && d.write != nullptr))
    problem(is_sink(d) ? "sink role without prepare and write"
                       : "prepare or write set without the sink role");
  if (((d.capabilities & ATSM_CAP_FIND) != 0) != (d.find != nullptr))
    problem("ATSM_CAP_FIND and find disagree");
  if (((d.capabilities & ATSM_CAP_READ_BACK) != 0) != (d.read_back != nullptr))
    problem("ATSM_CAP_READ_BACK and read_back disagree");
  if ((d.capabilities & (ATSM_CAP_FIND | ATSM_CAP_READ_BACK | ATSM_CAP_THREAD_SAFE)) != 0 &&
      !is_sink(d))
    problem("sink capabilities on a connector without the sink role");
  if ((d.capabilities & ATSM_CAP_INCREMENTAL) != 0 && !is_source(d))
    problem("ATSM_CAP_INCREMENTAL without the source role");
  static const std::set<std::string> types = {"string",  "integer", "number",
                                              "boolean", "object",  "array"};
  auto check_list = [&](const char* field, const char* text, bool config) {
    boost::system::error_code ec;
    json::value value = json::parse(text == nullptr ? "[]" : text, ec);
    if (ec || !value.is_array()) {
      problem(fmt::format("{} is not a JSON array", field));
      return;
    }
    std::set<std::string> names;
    for (const json::value& entry : value.as_array()) {
      const json::object* object = entry.if_object();
      const json::value* key_name = object ? object->if_contains("name") : nullptr;
      if (key_name == nullptr || !key_name->is_string() || key_name->as_string().empty()) {
        problem(fmt::format("{} has an entry without a string name", field));
        continue;
      }
      std::string key(key_name->as_string());
      if (!names.insert(key).second)
        problem(fmt::format("{} names '{}' twice", field, key));
      const json::value* description = object->if_contains("description");
      if (description == nullptr || !description->is_string() || description->as_string().empty())
        problem(fmt::format("{} entry '{}' has no description", field, key));
      if (config) {
        const json::value* type = object->if_contains("type");
        if (type == nullptr || !type->is_string() || !types.count(std::string(type->as_string())))
          problem(fmt::format("config key '{}' has no type among {}", key, fmt::join(types, "|")));
      }
      const json::value* required = object->if_contains("required");
      if (required != nullptr && !required->is_bool())
        problem(fmt::format("{} entry '{}': required is not a boolean", field, key));
    }
  };
  check_list("config_keys_json", d.config_keys_json, true);
  check_list("secrets_json", d.secrets_json, false);
  if (!problems.empty())
    fail(fmt::format("{}", fmt::join(problems, "; ")));
  return fmt::format("{} {}: roles 0x{:x}, capabilities 0x{:x}, struct_size {}", name, d.version,
                     d.roles, d.capabilities, d.struct_size);
}

// The names of the defined, default-visibility global symbols of an ELF shared object.
std::vector<std::string> exported_symbols(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (bytes.size() < sizeof(Elf64_Ehdr) || bytes.compare(0, 4, ELFMAG) != 0)
    fail("not an ELF file");
  if (bytes[EI_CLASS] != ELFCLASS64)
    fail("not a 64-bit ELF file");
  auto at = [&](std::size_t offset, std::size_t size) -> const char* {
    if (offset > bytes.size() || size > bytes.size() - offset)
      fail("truncated ELF file");
    return bytes.data() + offset;
  };
  Elf64_Ehdr header;
  std::memcpy(&header, at(0, sizeof header), sizeof header);
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  for (std::size_t i = 0; i < sections.size(); ++i)
    std::memcpy(&sections[i], at(header.e_shoff + i * header.e_shentsize, sizeof(Elf64_Shdr)),
                sizeof(Elf64_Shdr));
  std::vector<std::string> names;
  for (const Elf64_Shdr& section : sections) {
    if (section.sh_type != SHT_DYNSYM || section.sh_link >= sections.size())
      continue;
    const Elf64_Shdr& strings = sections[section.sh_link];
    const char* table = at(strings.sh_offset, strings.sh_size);
    std::size_t count = section.sh_entsize == 0 ? 0 : section.sh_size / section.sh_entsize;
    for (std::size_t i = 0; i < count; ++i) {
      Elf64_Sym symbol;
      std::memcpy(&symbol, at(section.sh_offset + i * section.sh_entsize, sizeof symbol),
                  sizeof symbol);
      unsigned bind = ELF64_ST_BIND(symbol.st_info);
      if (symbol.st_shndx == SHN_UNDEF || symbol.st_shndx == SHN_ABS ||
          (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) ||
          ELF64_ST_VISIBILITY(symbol.st_other) != STV_DEFAULT || symbol.st_name >= strings.sh_size)
        continue;
      std::string name(table + symbol.st_name);
      if (name == "_init" || name == "_fini" || name.empty())
        continue;
      names.push_back(name);
    }
  }
  return names;
}

std::string check_exports(const std::filesystem::path& path) {
  std::vector<std::string> names = exported_symbols(path);
  std::vector<std::string> extra;
  bool entry = false;
  for (const std::string& name : names) {
    if (name == ATSM_ENTRY_SYMBOL)
      entry = true;
    else
      extra.push_back(name);
  }
  if (!entry)
    fail("atsm_connector_entry is not exported");
  if (!extra.empty()) {
    std::vector<std::string> shown(extra.begin(),
                                   extra.begin() + std::min<std::size_t>(extra.size(), 5));
    fail(
        fmt::format("{} symbol(s) exported besides atsm_connector_entry: {}{} (link with the "
                    "SDK's version script: atsmigrate_add_connector)",
                    extra.size(), fmt::join(shown, ", "), extra.size() > 5 ? ", ..." : ""));
  }
  return "only atsm_connector_entry is exported";
}

// ------------------------------------------------------------------------------------------
// contract.*
// ------------------------------------------------------------------------------------------

std::string first_kind(const atsm_connector& d) {
  std::vector<std::string> kinds = kinds_of(is_source(d) ? d.source_kinds_json : d.sink_kinds_json);
  return kinds.empty() ? "person" : kinds.front();
}

// Calls every entry point with inputs it must refuse. Returns how many calls were made.
int probe_refusals(Harness& h) {
  const atsm_connector& d = h.d();
  int calls = 1;
  Answer answer;
  void* refused = h.open(R"({"atsm_verify_no_such_key":1})", answer);
  if (answer.ok()) {
    h.close(refused);
    h.recorder().add("contract.errors",
                     "open accepted the unknown config key 'atsm_verify_no_such_key' (must be "
                     "ATSM_INVALID naming it)");
  }
  Instance instance(h);
  const std::string kind = first_kind(d);
  if (is_source(d)) {
    ++calls;
    ReadResult result = h.read(instance.get(), "atsm_verify_no_such_kind", "");
    if (result.answer.ok())
      h.recorder().add("contract.errors",
                       "read of the undeclared kind 'atsm_verify_no_such_kind' "
                       "returned ok");
  }
  if (is_sink(d)) {
    calls += 2;
    Answer written = h.write(instance.get(), "atsm_verify_no_such_kind", "[]");
    (void)written;
    Answer bad = h.write(instance.get(), kind, "not json");
    if (bad.ok())
      h.recorder().add("contract.errors", "write of items_json 'not json' returned ok");
    if (d.find != nullptr) {
      ++calls;
      h.find(instance.get(), kind, R"({"key":"atsm-verify:none","record":{}})");
    }
    if (d.read_back != nullptr) {
      ++calls;
      Answer back = h.read_back(instance.get(), kind, "atsm-verify-no-such-id");
      if (back.ok())
        h.recorder().add("contract.errors",
                         "read_back of the target id 'atsm-verify-no-such-id' returned ok");
    }
  }
  return calls;
}

std::string check_statuses(Harness& h) {
  int calls = probe_refusals(h);
  return fmt::format("{} refusing calls answered statuses of atsm_status", calls);
}

std::string check_errors(Harness& h) {
  int calls = probe_refusals(h);
  return fmt::format("{} refusing calls filled atsm_error", calls);
}

std::size_t allocated_bytes() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

std::string check_memory(Harness& h) {
  // What the plugin allocates for an instance must be released by its own close: the ABI moves
  // no ownership, so repeated open/refuse/close cycles must not grow the heap.
  // Calls that a plugin refuses before any request: the cycle measures the plugin, not the
  // vendor's rate limit.
  auto cycle = [&] {
    Answer refused;
    void* unknown = h.open(R"({"atsm_verify_no_such_key":1})", refused);
    if (refused.ok())
      h.close(unknown);
    Instance instance(h);
    if (is_source(h.d()))
      h.read(instance.get(), "atsm_verify_no_such_kind", "");
    if (is_sink(h.d()))
      h.write(instance.get(), "atsm_verify_no_such_kind", "[]");
  };
  for (int i = 0; i < 10; ++i)
    cycle();
  const std::size_t before = allocated_bytes();
  constexpr int kCycles = 200;
  for (int i = 0; i < kCycles; ++i)
    cycle();
  const std::size_t after = allocated_bytes();
  const std::size_t growth = after > before ? after - before : 0;
  // The verifier keeps a small record per instance (its services table): allow 2 KiB a cycle.
  if (growth > kCycles * 2048u)
    fail(
        fmt::format("the heap grew by {} bytes over {} open/call/close cycles ({} per cycle): "
                    "an instance does not release what it allocated",
                    growth, kCycles, growth / kCycles));
  return fmt::format("{} open/call/close cycles, heap growth {} bytes", kCycles, growth);
}

std::string check_after_close(Harness& h) {
  {
    Instance instance(h);
    if (is_source(h.d()))
      h.read(instance.get(), "atsm_verify_no_such_kind", "");
  }
  // Give background work an instance may have left behind the time to misbehave.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  return "no host service was called after close returned (watched 500 ms)";
}

std::string check_threads(Harness& h) {
  const atsm_connector& d = h.d();
  const bool thread_safe = (d.capabilities & ATSM_CAP_THREAD_SAFE) != 0;
  Instance instance(h);
  const std::string kind = first_kind(d);
  std::atomic<int> calls{0};
  auto work = [&](int thread) {
    for (int i = 0; i < 10; ++i) {
      std::string key = fmt::format("atsm-verify:{}:none-{}-{}", kind, thread, i);
      if (is_sink(d)) {
        h.write(instance.get(), kind, "[]");
        if (d.find != nullptr)
          h.find(instance.get(), kind, fmt::format(R"({{"key":"{}","record":{{}}}})", key));
        if (d.read_back != nullptr)
          h.read_back(instance.get(), kind, key);
      } else {
        h.read(instance.get(), "atsm_verify_no_such_kind", "");
      }
      ++calls;
    }
  };
  if (thread_safe && is_sink(d)) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back(work, t);
    for (auto& thread : threads)
      thread.join();
    return fmt::format(
        "ATSM_CAP_THREAD_SAFE: {} rounds of write/find/read_back from 8 threads at "
        "once",
        calls.load());
  }
  // [instance-thread]: one call at a time, but not always from the same thread.
  for (int t = 0; t < 4; ++t)
    std::thread(work, t).join();
  return fmt::format("not thread-safe: {} rounds, one thread at a time from 4 threads",
                     calls.load());
}

// ------------------------------------------------------------------------------------------
// source.*
// ------------------------------------------------------------------------------------------

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

std::string check_source_read(Harness& h) {
  std::vector<std::string> kinds = source_kinds(h);
  Instance instance(h);
  std::vector<std::string> counts;
  for (const std::string& kind : kinds) {
    KindRead read = read_kind(h, instance.get(), kind);
    counts.push_back(fmt::format("{} {}", kind, read.records.size()));
  }
  return fmt::format("read to the end: {}", fmt::join(counts, ", "));
}

std::string check_source_schema(Harness& h) {
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
      ++total;
    }
  }
  return fmt::format("{} records of {} kinds validate against the canonical schema", total,
                     kinds.size());
}

std::map<std::string, std::string> by_key(const KindRead& read) {
  std::map<std::string, std::string> records;
  for (const json::value& record : read.records)
    records[key_of(record)] = json::serialize(record);
  return records;
}

std::string check_source_deterministic(Harness& h) {
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

std::string check_source_resume(Harness& h) {
  std::vector<std::string> kinds = source_kinds(h);
  Instance instance(h);
  std::size_t resumed = 0;
  for (const std::string& kind : kinds) {
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
  return fmt::format("resumed from {} checkpoints across {} kinds; each gave exactly the rest",
                     resumed, kinds.size());
}

// Every reference of a record as (referenced kind, source key): the pipeline's own definition.
std::vector<std::pair<std::string, std::string>> references_of(const json::value& record) {
  std::vector<std::pair<std::string, std::string>> refs;
  const json::value* kind = record.is_object() ? record.as_object().if_contains("kind") : nullptr;
  if (kind == nullptr || !kind->is_string())
    return refs;
  pipeline::for_each_reference(record, std::string(kind->as_string()),
                               [&](const std::string& referenced, const std::string& key) {
                                 refs.emplace_back(referenced, key);
                               });
  return refs;
}

std::string check_source_references(Harness& h, const std::set<std::string>& allowed) {
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

// ------------------------------------------------------------------------------------------
// sink.*
// ------------------------------------------------------------------------------------------

std::vector<std::string> sink_kinds(Harness& h) {
  if (!is_sink(h.d()))
    throw CheckSkip{"not a sink"};
  return kinds_of(h.d().sink_kinds_json);
}

// A plan that asks for target objects no target has: a feedback form, an interview plan, a
// fallback user and a stage of the mapping file.
std::string missing_plan() {
  return json::serialize(json::object{
      {"source", "atsm-verify"},
      {"options", json::object{{"feedback_form", "atsm-verify missing form"},
                               {"default_interview_plan", "atsm-verify missing plan"},
                               {"fallback_user", "atsm-verify-missing@example.invalid"}}},
      {"counts", json::object{{"person", 1}, {"candidacy", 1}, {"feedback", 1}}},
      {"references",
       json::object{{"stage", json::array{json::object{{"source_key", "atsm-verify:stage:1"},
                                                       {"name", "atsm-verify missing stage"},
                                                       {"stage_type", "screen"},
                                                       {"job_key", nullptr}}}}}},
      {"mapping",
       json::object{{"stage", json::object{{"atsm-verify:stage:1",
                                            json::object{{"name", "atsm-verify missing stage"},
                                                         {"target",
                                                          "atsm-verify missing "
                                                          "stage"}}}}}}}});
}

std::string empty_plan() {
  return json::serialize(json::object{{"source", "atsm-verify"},
                                      {"options", json::object{}},
                                      {"counts", json::object{}},
                                      {"references", json::object{}},
                                      {"mapping", json::object{}}});
}

json::object parse_prepare(const Answer& answer, const char* which) {
  if (!answer.ok())
    fail(fmt::format("prepare ({}) failed instead of listing what is missing: {}: {}", which,
                     atsm_status_name(answer.status), shorten(answer.message)));
  boost::system::error_code ec;
  json::value value = json::parse(answer.output, ec);
  if (ec || !value.is_object())
    fail(fmt::format("prepare ({}) did not answer a JSON object: {}", which,
                     shorten(answer.output, 80)));
  json::object& object = value.as_object();
  const json::value* catalog = object.if_contains("catalog");
  if (catalog == nullptr || !catalog->is_object())
    fail(fmt::format("prepare ({}): \"catalog\" is not an object", which));
  const json::value* missing = object.if_contains("missing");
  if (missing == nullptr || !missing->is_array())
    fail(fmt::format("prepare ({}): \"missing\" is not a list", which));
  for (const json::value& entry : missing->as_array()) {
    const json::object* item = entry.if_object();
    for (const char* field : {"kind", "name", "reason"}) {
      const json::value* text = item ? item->if_contains(field) : nullptr;
      if (text == nullptr || !text->is_string() || text->as_string().empty())
        fail(fmt::format("prepare ({}): a \"missing\" entry has no {}: {}", which, field,
                         shorten(json::serialize(entry), 80)));
    }
  }
  return object;
}

std::string check_sink_prepare(Harness& h) {
  sink_kinds(h);
  Instance instance(h);
  json::object empty = parse_prepare(h.prepare(instance.get(), empty_plan()), "empty plan");
  json::object missing = parse_prepare(h.prepare(instance.get(), missing_plan()), "missing plan");
  return fmt::format("catalog of {} kinds; a plan naming absent objects got {} missing entries",
                     empty.at("catalog").as_object().size(),
                     missing.at("missing").as_array().size());
}

// One minimal canonical record per kind, referring to the records made before it.
std::optional<json::object> sample_record(const std::string& kind, const std::string& nonce,
                                          std::map<std::string, std::string>& keys,
                                          std::string& blob_sha, std::size_t blob_size) {
  auto key = [&](const std::string& k) { return fmt::format("atsm-verify:{}:{}", k, nonce); };
  json::object record{{"kind", kind}, {"source", "atsm-verify"}, {"source_key", key(kind)}};
  const std::string label = "atsm verify " + nonce;
  auto link = [&](const char* field, const char* target_kind) {
    if (keys.count(target_kind))
      record[field] = keys[target_kind];
  };
  if (kind == "user") {
    record["name"] = label;
    record["email"] = "atsm-verify-" + nonce + "@example.com";
  } else if (kind == "department" || kind == "office" || kind == "tag" || kind == "stage" ||
             kind == "archive_reason" || kind == "source") {
    record["name"] = label;
  } else if (kind == "custom_field") {
    record["name"] = label;
    record["object"] = "person";
    record["field_type"] = "text";
  } else if (kind == "job") {
    record["title"] = label;
    record["status"] = "open";
    if (keys.count("department"))
      record["department_keys"] = json::array{json::value(keys["department"])};
  } else if (kind == "person") {
    record["name"] = label;
    record["emails"] =
        json::array{json::object{{"address", "atsm-verify-" + nonce + "@example.com"}}};
    record["created_at"] = "2021-01-02T03:04:05Z";
  } else if (kind == "candidacy") {
    link("person_key", "person");
    link("job_key", "job");
    record["status"] = "active";
    record["created_at"] = "2021-01-02T03:04:05Z";
  } else if (kind == "note" || kind == "feedback" || kind == "interview" || kind == "offer" ||
             kind == "file") {
    link("person_key", "person");
    link("candidacy_key", "candidacy");
    record["created_at"] = "2021-01-02T03:04:05Z";
    if (kind == "note") {
      record["body"] = "Written by atsmigrate plugin verify (" + nonce + ").";
      record["body_format"] = "text";
    }
    if (kind == "file") {
      record["file_name"] = "atsm-verify-" + nonce + ".txt";
      record["content_type"] = "text/plain";
      record["sha256"] = blob_sha;
      record["size"] = blob_size;
    }
  } else {
    return std::nullopt;
  }
  keys[kind] = key(kind);
  // The samples are canonical by construction; the codec proves it.
  model::record_from_json(record);
  return record;
}

const std::vector<std::string>& load_order() {
  static const std::vector<std::string> order = [] {
    std::vector<std::string> names;
    for (model::Kind kind : model::kKindsInDependencyOrder)
      names.emplace_back(model::to_string(kind));
    return names;
  }();
  return order;
}

std::string nonce_for(Harness& h) {
  return fmt::format("{}-{}-{}", h.seed(), ::getpid(),
                     std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
}

struct WriteOutcome {
  std::string target_id;
  std::string skipped;
};

WriteOutcome write_one(Harness& h, void* instance, const std::string& kind,
                       const json::object& item) {
  Answer answer = h.write(instance, kind, json::serialize(json::array{item}));
  std::string key(item.at("key").as_string());
  if (!answer.ok())
    fail(fmt::format("write {} {} failed as a batch: {}: {}", kind, key,
                     atsm_status_name(answer.status), shorten(answer.message)));
  boost::system::error_code ec;
  json::value results = json::parse(answer.output, ec);
  if (ec || !results.is_array() || results.as_array().size() != 1 ||
      !results.as_array()[0].is_object())
    fail(fmt::format("write {} {}: the answer is not a JSON array of one result: {}", kind, key,
                     shorten(answer.output, 80)));
  const json::object& result = results.as_array()[0].as_object();
  auto text = [&](const char* field) {
    const json::value* value = result.if_contains(field);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  if (text("key") != key)
    fail(fmt::format("write {}: the result's key '{}' is not the item's '{}'", kind, text("key"),
                     key));
  if (text("status") != "ok")
    fail(fmt::format("write {} {} answered '{}': {}", kind, key, text("status"),
                     shorten(text("message"))));
  WriteOutcome outcome{text("target_id"), text("skipped")};
  if (outcome.target_id.empty() && outcome.skipped.empty())
    fail(fmt::format("write {} {} answered ok without a target_id or a skipped reason", kind, key));
  return outcome;
}

struct SinkRun {
  std::map<std::string, std::string> keys;     // kind -> source key of its sample record
  std::map<std::string, std::string> targets;  // source key -> target id
  std::string nonce;
  std::string blob_sha;
  std::size_t blob_size = 0;
};

json::object make_item(const json::object& record, const SinkRun& run) {
  json::object refs;
  for (const auto& [referenced, key] : references_of(json::value(record))) {
    auto target = run.targets.find(key);
    if (target != run.targets.end())
      refs[key] = target->second;
  }
  return json::object{
      {"key", record.at("source_key")}, {"record", record}, {"refs", refs}, {"attempt", 1}};
}

std::string check_sink_round_trip(Harness& h) {
  std::vector<std::string> declared = sink_kinds(h);
  const atsm_connector& d = h.d();
  Instance instance(h);
  parse_prepare(h.prepare(instance.get(), empty_plan()), "empty plan");
  SinkRun run;
  run.nonce = nonce_for(h);
  std::string bytes = "atsmigrate plugin verify " + run.nonce + "\n";
  run.blob_sha = h.last_services().blob_put(bytes);
  run.blob_size = bytes.size();
  std::vector<std::string> done, skipped;
  for (const std::string& kind : load_order()) {
    if (std::find(declared.begin(), declared.end(), kind) == declared.end())
      continue;
    std::optional<json::object> record =
        sample_record(kind, run.nonce, run.keys, run.blob_sha, run.blob_size);
    if (!record)
      continue;
    json::object item = make_item(*record, run);
    WriteOutcome written = write_one(h, instance.get(), kind, item);
    std::string key(record->at("source_key").as_string());
    if (!written.skipped.empty()) {
      skipped.push_back(fmt::format("{} ({})", kind, shorten(written.skipped, 60)));
      continue;
    }
    run.targets[key] = written.target_id;
    if (d.find != nullptr) {
      Answer found = h.find(instance.get(), kind, json::serialize(item));
      if (!found.ok())
        fail(fmt::format("find {} {} after writing it (target {}): {}: {}", kind, key,
                         written.target_id, atsm_status_name(found.status),
                         shorten(found.message)));
      boost::system::error_code ec;
      json::value answer = json::parse(found.output, ec);
      const json::value* id =
          !ec && answer.is_object() ? answer.as_object().if_contains("target_id") : nullptr;
      if (id == nullptr || !id->is_string() || id->as_string() != written.target_id)
        fail(fmt::format("find {} {} answered {}, expected the written target id {}", kind, key,
                         shorten(found.output, 80), written.target_id));
    }
    if (d.read_back != nullptr) {
      Answer back = h.read_back(instance.get(), kind, written.target_id);
      if (!back.ok())
        fail(fmt::format("read_back {} {} failed: {}: {}", kind, written.target_id,
                         atsm_status_name(back.status), shorten(back.message)));
      json::value value;
      try {
        value = json::parse(back.output);
        model::record_from_json(value);
      } catch (const std::exception& error) {
        fail(fmt::format("read_back {} {} is not a canonical {} record: {}", kind,
                         written.target_id, kind, shorten(error.what())));
      }
      // A sink may hold a kind as another (Ashby keeps interviews as notes): that is what it
      // reads back, and then only the record's validity is compared.
      std::string held(value.as_object().at("kind").as_string());
      if (held != kind) {
        done.push_back(fmt::format("{} (held as {})", kind, held));
        continue;
      }
      for (const char* field : {"name", "title"}) {
        const json::value* wrote = record->if_contains(field);
        const json::value* read = value.as_object().if_contains(field);
        if (wrote != nullptr && read != nullptr && *wrote != *read)
          fail(fmt::format("read_back {} {}: {} is {}, written {}", kind, written.target_id, field,
                           shorten(json::serialize(*read), 60),
                           shorten(json::serialize(*wrote), 60)));
      }
    }
    done.push_back(kind);
  }
  if (done.empty())
    fail("no declared kind could be written and found");
  return fmt::format("write{}{} round-tripped: {}{}", d.find ? " -> find" : "",
                     d.read_back ? " -> read_back" : "", fmt::join(done, ", "),
                     skipped.empty()
                         ? std::string()
                         : fmt::format("; skipped by the sink: {}", fmt::join(skipped, ", ")));
}

std::string check_sink_lost_response(Harness& h) {
  std::vector<std::string> declared = sink_kinds(h);
  Instance instance(h);
  parse_prepare(h.prepare(instance.get(), empty_plan()), "empty plan");
  SinkRun run;
  run.nonce = nonce_for(h);
  // The first independent kind the sink writes: a person when it can.
  std::string kind;
  for (const char* candidate : {"person", "department", "office", "tag", "user", "job"}) {
    if (std::find(declared.begin(), declared.end(), candidate) != declared.end()) {
      kind = candidate;
      break;
    }
  }
  if (kind.empty())
    throw CheckSkip{"declares no kind without references to write twice"};
  std::optional<json::object> record =
      sample_record(kind, run.nonce, run.keys, run.blob_sha, run.blob_size);
  json::object item = make_item(*record, run);
  WriteOutcome first = write_one(h, instance.get(), kind, item);
  if (!first.skipped.empty())
    throw CheckSkip{"the sink skipped the sample " + kind};
  // The response of that write was "lost": the host writes again with lookup_first.
  item["attempt"] = 2;
  item["lookup_first"] = true;
  WriteOutcome second = write_one(h, instance.get(), kind, item);
  if (second.target_id != first.target_id)
    fail(
        fmt::format("{} written again with lookup_first after a lost response created {}; the "
                    "first write had created {} (a duplicate)",
                    kind, second.target_id, first.target_id));
  if (h.d().find != nullptr) {
    Answer found = h.find(instance.get(), kind, json::serialize(item));
    if (!found.ok() || found.output.find(first.target_id) == std::string::npos)
      fail(fmt::format("find {} after the repeated write answered {} {}, expected {}", kind,
                       atsm_status_name(found.status), shorten(found.output, 60), first.target_id));
  }
  return fmt::format("{} written twice (second with lookup_first) was adopted as {}", kind,
                     first.target_id);
}

// ------------------------------------------------------------------------------------------
// robust.fuzz
// ------------------------------------------------------------------------------------------

// splitmix64: the same sequence on every platform for a given --seed.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

struct Garbage {
  std::string text;
  std::string what;
};

Garbage garbage(Random& random, const std::string& kind) {
  switch (random.below(9)) {
    case 0: {
      std::string huge(1024 * 1024 + random.below(1024 * 1024), 'A');
      return {"[{\"kind\":\"" + kind + "\",\"name\":\"" + huge + "\"}]", "a 1-2 MiB string"};
    }
    case 1: {
      std::string bytes;
      for (std::size_t i = 0, n = 1 + random.below(256); i < n; ++i)
        bytes += static_cast<char>(0x80 + random.below(0x80));
      return {bytes, "invalid UTF-8"};
    }
    case 2: {
      std::string inside;
      for (std::size_t i = 0; i < 1 + random.below(64); ++i)
        inside += static_cast<char>(0xC0 + random.below(0x40));
      return {"[{\"kind\":\"" + kind + "\",\"source\":\"x\",\"source_key\":\"k\",\"name\":\"" +
                  inside + "\"}]",
              "a record with invalid UTF-8 inside a string"};
    }
    case 3: {
      std::size_t depth = 1000 + random.below(100000);
      return {std::string(depth, '[') + std::string(depth, ']'),
              fmt::format("arrays nested {} deep", depth)};
    }
    case 4: {
      std::size_t depth = 1000 + random.below(20000);
      std::string text;
      for (std::size_t i = 0; i < depth; ++i)
        text += "{\"a\":";
      text += "1" + std::string(depth, '}');
      return {text, fmt::format("objects nested {} deep", depth)};
    }
    case 5:
      return {R"([{"key":5,"record":"x","refs":[],"target_id":{},"lookup_first":"yes"},)"
              R"({"key":"k","record":{"kind":7,"source_key":[],"name":12.5e300,"emails":"x"}}])",
              "wrong types"};
    case 6:
      return {R"({"kind":null,"source":true,"source_key":1e999,"options":[],"counts":"x",)"
              R"("references":{"stage":7},"mapping":null,"base_url":42})",
              "wrong types in an object"};
    case 7: {
      std::string text;
      const char* tokens[] = {"{",       "}",       "[",    "]",        ",",
                              ":",       "\"",      "null", "-0",       "1e99999",
                              "\\u0000", "\\ud800", "true", "\"kind\"", " "};
      for (std::size_t i = 0, n = 1 + random.below(200); i < n; ++i)
        text += tokens[random.below(std::size(tokens))];
      return {text, "random JSON tokens"};
    }
    default:
      return {random.below(2) ? "" : "null", "empty or null"};
  }
}

std::string check_robust(Harness& h, unsigned cases) {
  const atsm_connector& d = h.d();
  Random random(h.seed());
  std::vector<std::string> kinds = kinds_of(is_source(d) ? d.source_kinds_json : d.sink_kinds_json);
  std::vector<std::string> entry_points = {"open"};
  if (is_source(d))
    entry_points.push_back("read");
  if (is_sink(d)) {
    entry_points.insert(entry_points.end(), {"prepare", "write"});
    if (d.find != nullptr)
      entry_points.push_back("find");
    if (d.read_back != nullptr)
      entry_points.push_back("read_back");
  }
  Instance instance(h);
  std::map<std::string, int> counts;
  for (unsigned i = 0; i < cases; ++i) {
    const std::string& entry = entry_points[random.below(entry_points.size())];
    const bool garbage_kind = random.below(4) == 0;
    std::string kind = kinds.empty() ? "person" : kinds[random.below(kinds.size())];
    Garbage input = garbage(random, kind);
    if (garbage_kind)
      kind = garbage(random, kind).text;
    // Written before the call so that the log tail of a crash names the case.
    std::cerr << fmt::format("robust.fuzz seed {} case {}/{}: {}({}kind, {})", h.seed(), i + 1,
                             cases, entry, garbage_kind ? "garbage " : "", input.what)
              << std::endl;
    ++counts[entry];
    if (entry == "open") {
      Answer answer;
      void* fuzzed = h.open(input.text, answer);
      if (answer.ok())
        h.close(fuzzed);
    } else if (entry == "read") {
      // Stop after the first batch: a garbage checkpoint may legitimately start over.
      h.read(instance.get(), kind, input.text, 1);
    } else if (entry == "prepare") {
      h.prepare(instance.get(), input.text);
    } else if (entry == "write") {
      h.write(instance.get(), kind, input.text);
    } else if (entry == "find") {
      h.find(instance.get(), kind, input.text);
    } else {
      h.read_back(instance.get(), kind, input.text);
    }
    if (auto violation = h.recorder().first())
      fail(fmt::format("seed {} case {} ({}, {}): {}", h.seed(), i + 1, entry, input.what,
                       violation->second));
  }
  std::vector<std::string> parts;
  for (const auto& [entry, count] : counts)
    parts.push_back(fmt::format("{} {}", entry, count));
  return fmt::format("seed {}: {} garbage calls answered a status ({})", h.seed(), cases,
                     fmt::join(parts, ", "));
}

// ------------------------------------------------------------------------------------------
// The checks, and running one in a child process
// ------------------------------------------------------------------------------------------

struct CheckSpec {
  const char* name;
  const char* what;
};

const std::vector<CheckSpec>& all_checks() {
  static const std::vector<CheckSpec> checks = {
      {"load.abi", "loads and negotiates the ABI (also in a later 1.x host)"},
      {"load.descriptor", "descriptor: name, version, roles, kinds, config schema, struct sizes"},
      {"load.exports", "exports only atsm_connector_entry"},
      {"contract.statuses", "every status returned is an atsm_status"},
      {"contract.errors", "a failed call fills atsm_error; bad input is refused"},
      {"contract.memory", "an instance releases what it allocated (heap accounting)"},
      {"contract.after_close", "no host service is called after close"},
      {"contract.threads", "thread tags honoured; concurrent calls when thread-safe"},
      {"source.read", "every declared kind reads to the end"},
      {"source.schema", "every record validates against its kind's canonical schema"},
      {"source.deterministic", "reading twice gives the same records"},
      {"source.resume", "resuming from every checkpoint gives exactly the rest"},
      {"source.references", "references point to records the source emitted"},
      {"sink.prepare", "prepare reports missing target configuration as a list"},
      {"sink.round_trip", "write -> find -> read_back round-trips every declared kind"},
      {"sink.lost_response", "a write repeated after a lost response is adopted, not duplicated"},
      {"robust.fuzz", "seeded garbage into every entry point gives a status, never a crash"},
  };
  return checks;
}

struct ChildContext {
  std::filesystem::path path;
  std::optional<json::object> config;  // --config, read once by the parent
  std::optional<std::filesystem::path> credentials;
  std::filesystem::path blob_dir;  // a fresh temporary blob store per check
  std::uint64_t seed = 0;
  unsigned fuzz_cases = 60;
};

// The plugin's configuration from --config: {"NAME": {...}} like the migration's, or the
// plugin's own object.
std::string plugin_config(const ChildContext& context, const std::string& name) {
  if (!context.config)
    return "{}";
  json::value value = *context.config;
  if (const json::value* own = value.as_object().if_contains(name); own && own->is_object())
    return json::serialize(*own);
  value.as_object().erase("verify");
  return json::serialize(value);
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

CheckResult run_check_here(const std::string& check, const ChildContext& context) {
  CheckResult result;
  try {
    host::PluginRegistry registry;
    if (check == "load.abi") {
      result.detail = check_load_abi(context.path, registry);
      return result;
    }
    if (check == "load.exports") {
      result.detail = check_exports(context.path);
      return result;
    }
    const host::LoadedPlugin* plugin = registry.load_file(context.path);
    if (plugin == nullptr)
      fail("the plugin does not load: " + (registry.refusals().empty()
                                               ? std::string("refused")
                                               : registry.refusals().back().reason));
    if (check == "load.descriptor") {
      result.detail = check_descriptor(plugin->descriptor());
      return result;
    }
    Harness h(*plugin, plugin_config(context, plugin->name()), context.credentials, context.seed,
              context.blob_dir);
    if (check == "contract.statuses")
      result.detail = check_statuses(h);
    else if (check == "contract.errors")
      result.detail = check_errors(h);
    else if (check == "contract.memory")
      result.detail = check_memory(h);
    else if (check == "contract.after_close")
      result.detail = check_after_close(h);
    else if (check == "contract.threads")
      result.detail = check_threads(h);
    else if (check == "source.read")
      result.detail = check_source_read(h);
    else if (check == "source.schema")
      result.detail = check_source_schema(h);
    else if (check == "source.deterministic")
      result.detail = check_source_deterministic(h);
    else if (check == "source.resume")
      result.detail = check_source_resume(h);
    else if (check == "source.references")
      result.detail = check_source_references(h, allowed_dangling(context));
    else if (check == "sink.prepare")
      result.detail = check_sink_prepare(h);
    else if (check == "sink.round_trip")
      result.detail = check_sink_round_trip(h);
    else if (check == "sink.lost_response")
      result.detail = check_sink_lost_response(h);
    else if (check == "robust.fuzz")
      result.detail = check_robust(h, context.fuzz_cases);
    else
      fail("unknown check " + check);
    // A breach of the call contract seen on the way fails the check too, naming its rule; a
    // contract.* check answers for its own rule only.
    if (auto violation = h.recorder().first(check.starts_with("contract.") ? check : ""))
      fail(fmt::format("{}: {}", violation->first, violation->second));
  } catch (const CheckFailure& failure) {
    result.outcome = Outcome::fail;
    result.reason = failure.reason;
  } catch (const CheckSkip& skip) {
    result.outcome = Outcome::skip;
    result.reason = skip.reason;
  } catch (const std::exception& error) {
    result.outcome = Outcome::fail;
    result.reason = fmt::format("the verifier stopped: {}", error.what());
  }
  return result;
}

// Runs `body` in a forked child (host::run_in_child); the child answers one JSON object. A
// signal, a silent exit or the timeout is a failed check.
CheckResult run_in_child(const std::function<CheckResult()>& body, unsigned timeout_s) {
  CheckResult result;
  host::ChildOutcome child;
  try {
    child = host::run_in_child(
        [&] {
          CheckResult answer = body();
          return json::serialize(json::object{{"outcome", outcome_name(answer.outcome)},
                                              {"reason", valid_utf8(answer.reason)},
                                              {"detail", valid_utf8(answer.detail)}});
        },
        timeout_s);
  } catch (const std::exception& error) {
    result.outcome = Outcome::fail;
    result.reason = error.what();
    return result;
  }
  result.seconds = child.seconds;
  boost::system::error_code ec;
  json::value answer = child.answer ? json::parse(*child.answer, ec) : json::value();
  if (child.timed_out) {
    result.outcome = Outcome::fail;
    result.reason = fmt::format("timed out after {} s (a hang); killed", timeout_s);
    result.signal = host::signal_text(SIGKILL);
  } else if (child.signal != 0) {
    result.outcome = Outcome::fail;
    result.signal = host::signal_text(child.signal);
    result.reason = fmt::format("the check's process died of {}", result.signal);
  } else if (ec || !answer.is_object()) {
    result.outcome = Outcome::fail;
    result.reason = fmt::format(
        "the check's process exited with status {} without a result "
        "(the plugin called exit, or a sanitizer stopped it: see the log)",
        child.exit_status);
  } else {
    const json::object& object = answer.as_object();
    std::string outcome(object.at("outcome").as_string());
    result.outcome = outcome == "pass"   ? Outcome::pass
                     : outcome == "skip" ? Outcome::skip
                                         : Outcome::fail;
    result.reason = valid_utf8(object.at("reason").as_string());
    result.detail = valid_utf8(object.at("detail").as_string());
  }
  if (result.outcome == Outcome::fail) {
    for (const std::string& line : child.log_tail)
      result.log_tail.push_back(valid_utf8(shorten(line, 240)));
  }
  return result;
}

bool looks_like_path(const std::string& target) {
  return target.find('/') != std::string::npos || target.ends_with(".so") ||
         std::filesystem::exists(target);
}

int verify(const GlobalOptions& global, const VerifyOptions& options) {
  // Which checks.
  std::vector<std::string> selected;
  std::set<std::string> known;
  for (const CheckSpec& spec : all_checks())
    known.insert(spec.name);
  for (const std::string& only : options.only) {
    std::stringstream list(only);
    std::string name;
    while (std::getline(list, name, ',')) {
      if (name.empty())
        continue;
      // A group name selects its checks: --only source
      bool matched = false;
      for (const CheckSpec& spec : all_checks()) {
        std::string full = spec.name;
        if (full == name || full.starts_with(name + ".")) {
          if (std::find(selected.begin(), selected.end(), full) == selected.end())
            selected.push_back(full);
          matched = true;
        }
      }
      if (!matched) {
        std::cerr << fmt::format("error: --only {}: no such check (checks: {})\n", name,
                                 fmt::join(known, ", "));
        return kExitUsage;
      }
    }
  }
  if (selected.empty()) {
    for (const CheckSpec& spec : all_checks())
      selected.push_back(spec.name);
  } else {
    std::vector<std::string> ordered;
    for (const CheckSpec& spec : all_checks()) {
      if (std::find(selected.begin(), selected.end(), spec.name) != selected.end())
        ordered.push_back(spec.name);
    }
    selected = ordered;
  }
  for (const std::string* file : {&options.config_file, &options.credentials_file}) {
    if (!file->empty() && !std::filesystem::exists(*file)) {
      std::cerr << fmt::format("error: {} does not exist\n", *file);
      return kExitUsage;
    }
  }

  // Which plugin: a path, or a name looked up on the plugin path (in a child: a plugin there
  // may crash when loaded).
  ChildContext context;
  if (looks_like_path(options.target)) {
    context.path = std::filesystem::absolute(options.target);
    if (!std::filesystem::is_regular_file(context.path)) {
      std::cerr << fmt::format("error: {} is not a file\n", context.path.string());
      return kExitUsage;
    }
  } else {
    CheckResult found = run_in_child(
        [&] {
          CheckResult answer;
          host::PluginRegistry registry;
          registry.probe_in_child_process();
          registry.load_directories(host::plugin_search_path(global.plugin_paths));
          if (const host::LoadedPlugin* plugin = registry.find(options.target)) {
            answer.detail = plugin->path().string();
          } else {
            std::vector<std::string> names;
            for (const auto& loaded : registry.plugins())
              names.push_back(loaded->name());
            answer.outcome = Outcome::fail;
            answer.reason = fmt::format(
                "no plugin named '{}' (loaded: {})", options.target,
                names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")));
          }
          return answer;
        },
        options.timeout_s);
    if (found.outcome != Outcome::pass) {
      std::cerr << "error: " << found.reason << '\n';
      return kExitUsage;
    }
    context.path = found.detail;
  }
  if (!options.config_file.empty()) {
    std::ifstream file(options.config_file);
    std::stringstream text;
    text << file.rdbuf();
    boost::system::error_code ec;
    json::value value = json::parse(text.str(), ec);
    if (!file || ec || !value.is_object()) {
      std::cerr << fmt::format("error: --config {}: not a JSON object{}\n", options.config_file,
                               ec ? " (" + ec.message() + ")" : std::string());
      return kExitUsage;
    }
    context.config = value.as_object();
  }
  if (!options.credentials_file.empty())
    context.credentials = std::filesystem::absolute(options.credentials_file);
  context.seed = options.seed_given
                     ? options.seed
                     : static_cast<std::uint64_t>(
                           std::chrono::system_clock::now().time_since_epoch().count()) %
                           1000000000u;
  context.fuzz_cases = options.fuzz_cases;

  if (!options.as_json)
    std::cout << fmt::format("verifying {} (seed {})\n", context.path.string(), context.seed);
  std::vector<std::pair<std::string, CheckResult>> results;
  bool all_passed = true;
  for (const std::string& check : selected) {
    std::string blob_dir =
        (std::filesystem::temp_directory_path() / "atsm-verify-blobs-XXXXXX").string();
    if (::mkdtemp(blob_dir.data()) == nullptr) {
      std::cerr << fmt::format("error: cannot create a temporary directory in {}: {}\n",
                               std::filesystem::temp_directory_path().string(),
                               std::strerror(errno));
      return kExitFatal;
    }
    context.blob_dir = blob_dir;
    CheckResult result =
        run_in_child([&] { return run_check_here(check, context); }, options.timeout_s);
    std::error_code ignored;
    std::filesystem::remove_all(blob_dir, ignored);
    all_passed = all_passed && result.outcome != Outcome::fail;
    if (!options.as_json) {
      std::cout << fmt::format("{:<22} {:<4} {:>6.1f}s  {}\n", check, outcome_name(result.outcome),
                               result.seconds,
                               result.outcome == Outcome::pass ? result.detail : result.reason);
      for (const std::string& line : result.log_tail)
        std::cout << "    | " << line << '\n';
      std::cout.flush();
    }
    results.emplace_back(check, std::move(result));
  }
  if (options.as_json) {
    json::array checks;
    for (const auto& [name, result] : results) {
      json::array tail;
      for (const std::string& line : result.log_tail)
        tail.emplace_back(line);
      checks.push_back(json::object{{"name", name},
                                    {"result", outcome_name(result.outcome)},
                                    {"reason", result.reason},
                                    {"detail", result.detail},
                                    {"signal", result.signal},
                                    {"seconds", result.seconds},
                                    {"log_tail", tail}});
    }
    std::cout << json::serialize(json::object{{"plugin", context.path.string()},
                                              {"seed", context.seed},
                                              {"passed", all_passed},
                                              {"checks", checks}})
              << '\n';
  } else {
    std::size_t failed = 0, skipped = 0;
    for (const auto& [name, result] : results) {
      failed += result.outcome == Outcome::fail;
      skipped += result.outcome == Outcome::skip;
    }
    std::cout << fmt::format(
        "{}: {} checks, {} failed, {} skipped (seed {}; --seed {} "
        "reproduces)\n",
        all_passed ? "PASS" : "FAIL", results.size(), failed, skipped, context.seed, context.seed);
  }
  return all_passed ? kExitOk : kExitPartial;
}

}  // namespace

void add_verify_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  CLI::App* plugin = app.add_subcommand("plugin", "Check a connector plugin");
  plugin->require_subcommand(1);
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* verify_command = plugin->add_subcommand(
      "verify",
      "Run the conformance checks on a plugin (each in its own process); exit 0 only when "
      "every check passes");
  verify_command->add_option("plugin", options->target, "Plugin file (.so) or name")->required();
  verify_command
      ->add_option("--config", options->config_file,
                   "JSON object for the plugin's open: {\"NAME\": {...}} or the "
                   "plugin's own keys")
      ->type_name("FILE");
  verify_command
      ->add_option("--credentials", options->credentials_file,
                   "NAME=value lines of the secrets the plugin reads (mode 0600)")
      ->type_name("FILE");
  std::string check_names;
  for (const CheckSpec& spec : all_checks())
    check_names += std::string(check_names.empty() ? "" : ", ") + spec.name;
  verify_command
      ->add_option("--only", options->only,
                   "Run only these checks or groups (repeatable, comma-separated): " + check_names)
      ->type_name("CHECK")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  verify_command
      ->add_option_function<std::uint64_t>(
          "--seed",
          [options](const std::uint64_t& seed) {
            options->seed = seed;
            options->seed_given = true;
          },
          "Seed of robust.fuzz (printed with every run; reproduces a failure)")
      ->type_name("N");
  verify_command->add_option("--timeout", options->timeout_s, "Seconds each check may take")
      ->capture_default_str();
  verify_command->add_option("--fuzz-cases", options->fuzz_cases, "Garbage calls in robust.fuzz")
      ->capture_default_str();
  verify_command->add_flag("--json", options->as_json, "Print one JSON object instead of a table");
  verify_command->callback(
      [&global, &exit_code, options] { exit_code = verify(global, *options); });
}

}  // namespace atsm::cli
