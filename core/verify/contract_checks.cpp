// contract.*: the call contract of connector.h: statuses, errors, memory, services after close,
// threads.
#include <malloc.h>

#include <fmt/format.h>
#include <atomic>
#include <chrono>
#include <thread>

#include "verify/checks.hpp"

#if defined(__SANITIZE_ADDRESS__)
// From the AddressSanitizer runtime (sanitizer/allocator_interface.h, not shipped by every
// compiler package): the bytes its allocator has handed out and not taken back.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace atsm::verify {

namespace json = boost::json;

namespace {

std::string first_kind(const atsm_connector& d) {
  std::vector<std::string> kinds = kinds_of(is_source(d) ? d.source_kinds_json : d.sink_kinds_json);
  return kinds.empty() ? "person" : kinds.front();
}

constexpr const char* kUnknownKey = "atsm_verify_no_such_key";

// The --config object with a key no connector declares, so that the key is the only thing wrong:
// a connector that refuses {"atsm_verify_no_such_key": 1} because a required key is missing has
// not shown that it refuses unknown keys (sdk/README.md, "Configuration").
std::string config_with_unknown_key(const std::string& config_json) {
  boost::system::error_code ec;
  json::value config = json::parse(config_json, ec);
  json::object object = !ec && config.is_object() ? config.as_object() : json::object{};
  object[kUnknownKey] = 1;
  return json::serialize(object);
}

// Calls every entry point with inputs it must refuse. Returns how many calls were made.
int probe_refusals(Harness& h) {
  const atsm_connector& d = h.d();
  int calls = 1;
  Answer answer;
  void* refused = h.open(config_with_unknown_key(h.config()), answer);
  if (answer.ok()) {
    h.close(refused);
    h.recorder().add("contract.errors",
                     fmt::format("open accepted the unknown config key '{}' next to the --config "
                                 "object (must be ATSM_INVALID naming it)",
                                 kUnknownKey));
  } else if (answer.status != ATSM_INVALID ||
             answer.message.find(kUnknownKey) == std::string::npos) {
    h.recorder().add(
        "contract.errors",
        fmt::format("open refused the unknown config key '{}' with {} '{}': it must "
                    "be ATSM_INVALID naming the key",
                    kUnknownKey, atsm_status_name(answer.status), shorten(answer.message)));
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

}  // namespace

std::string check_statuses(Harness& h, const ChildContext&) {
  int calls = probe_refusals(h);
  return fmt::format("{} refusing calls answered statuses of atsm_status", calls);
}

std::string check_errors(Harness& h, const ChildContext&) {
  int calls = probe_refusals(h);
  return fmt::format("{} refusing calls filled atsm_error", calls);
}

namespace {

std::size_t allocated_bytes() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

}  // namespace

std::string check_memory(Harness& h, const ChildContext&) {
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

std::string check_after_close(Harness& h, const ChildContext&) {
  {
    Instance instance(h);
    if (is_source(h.d()))
      h.read(instance.get(), "atsm_verify_no_such_kind", "");
  }
  // Give background work an instance may have left behind the time to misbehave.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  return "no host service was called after close returned (watched 500 ms)";
}

std::string check_threads(Harness& h, const ChildContext&) {
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

}  // namespace atsm::verify
