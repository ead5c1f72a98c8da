#include "host/plugin_calls.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "host/child_process.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace atsm::host {
namespace {

// Calls in flight, read by a signal handler: fixed slots of plain pointers, no allocation.
struct CallSlot {
  std::atomic<bool> used{false};
  std::atomic<const char*> plugin{nullptr};
  std::atomic<const char*> call{nullptr};
  std::atomic<const char*> kind{nullptr};
};
constexpr int kSlots = 128;  // more calls in flight than this go untracked, not wrong
std::array<CallSlot, kSlots> g_calls;

std::atomic<int> g_record_fd{-1};     // the active StepGuard's record, -1 when there is none
std::atomic<pid_t> g_guarded_pid{0};  // a forked child (a plugin probe) must not write it

// The record's descriptor when this process is the guarded one, else -1.
int guarded_record_fd() {
  return g_guarded_pid.load() == ::getpid() ? g_record_fd.load() : -1;
}
std::atomic<int> g_exit_status{3};
std::atomic<bool> g_ending{false};  // the record's ending is written once

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
struct sigaction g_previous[std::size(kFatalSignals)];

// Async-signal-safe writing: write(2) and hand-made decimal only.
void put(int fd, const char* text) {
  size_t length = std::strlen(text);
  while (length > 0) {
    ssize_t n = ::write(fd, text, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    text += n;
    length -= static_cast<size_t>(n);
  }
}

void put_number(int fd, int number) {
  char digits[16];
  int at = sizeof digits - 1;
  digits[at] = '\0';
  unsigned value = number < 0 ? 0u : static_cast<unsigned>(number);
  do {
    digits[--at] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && at > 0);
  put(fd, digits + at);
}

// Appends "ended=..." and one "call=PLUGIN CALL [KIND]" per call in flight, once.
void write_ending(int fd, const char* how, int signal) {
  if (g_ending.exchange(true))
    return;
  put(fd, "ended=");
  put(fd, how);
  if (signal != 0) {
    put(fd, " ");
    put_number(fd, signal);
  }
  put(fd, "\n");
  for (CallSlot& slot : g_calls) {
    if (!slot.used.load())
      continue;
    const char* plugin = slot.plugin.load();
    const char* call = slot.call.load();
    const char* kind = slot.kind.load();
    if (plugin == nullptr || call == nullptr)
      continue;
    put(fd, "call=");
    put(fd, plugin);
    put(fd, " ");
    put(fd, call);
    if (kind != nullptr) {
      put(fd, " ");
      put(fd, kind);
    }
    put(fd, "\n");
  }
  ::fsync(fd);
}

void on_fatal_signal(int signal) {
  int fd = guarded_record_fd();
  if (fd >= 0)
    write_ending(fd, "signal", signal);
  // Let the signal take its course: the previous handler (a sanitizer's, or the default) runs
  // when this one returns and the signal, raised again, is delivered.
  for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
    if (kFatalSignals[i] == signal)
      ::sigaction(signal, &g_previous[i], nullptr);
  }
  ::raise(signal);
}

void on_exit_during_step() {
  int fd = guarded_record_fd();
  if (fd < 0)
    return;
  write_ending(fd, "exit", 0);
  // exit(0) from a plugin must not pass for a finished run.
  ::_exit(g_exit_status.load());
}

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer keeps SIGSEGV to itself and resets SIGABRT before it aborts: it says when it
// ends the process through this callback instead.
void on_sanitizer_death() {
  int fd = guarded_record_fd();
  if (fd >= 0)
    write_ending(fd, "sanitizer", 0);
}
#endif

void install_handlers_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit(on_exit_during_step);
    std::at_quick_exit(on_exit_during_step);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_set_death_callback(on_sanitizer_death);
#endif
  });
  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_ONSTACK;  // a stack overflow can still be reported where there is one
  for (size_t i = 0; i < std::size(kFatalSignals); ++i)
    ::sigaction(kFatalSignals[i], &action, &g_previous[i]);
}

void restore_handlers() {
  for (size_t i = 0; i < std::size(kFatalSignals); ++i)
    ::sigaction(kFatalSignals[i], &g_previous[i], nullptr);
}

}  // namespace

PluginCallScope::PluginCallScope(const std::string& plugin, const char* call,
                                 const std::string* kind)
    : slot_(-1) {
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (g_calls[i].used.load(std::memory_order_relaxed) ||
        !g_calls[i].used.compare_exchange_strong(expected, true))
      continue;
    // `plugin` last: a crash handler that sees it set sees this call's call and kind too.
    g_calls[i].call.store(call);
    g_calls[i].kind.store(kind ? kind->c_str() : nullptr);
    g_calls[i].plugin.store(plugin.c_str());
    slot_ = i;
    return;
  }
}

PluginCallScope::~PluginCallScope() {
  if (slot_ < 0)
    return;
  g_calls[slot_].plugin.store(nullptr);
  g_calls[slot_].kind.store(nullptr);  // its string dies with the caller's scope
  g_calls[slot_].call.store(nullptr);
  g_calls[slot_].used.store(false);
}

StepGuard::StepGuard(std::filesystem::path record, const std::string& header,
                     int exit_status_if_ended_early)
    : record_(std::move(record)) {
  if (g_record_fd.load() >= 0)
    throw std::logic_error("a StepGuard is already active");
  int fd = ::open(record_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot write {}: {}", record_.string(), std::strerror(errno)));
  }
  ::fchmod(fd, 0600);
  put(fd, header.c_str());
  ::fsync(fd);
  g_exit_status.store(exit_status_if_ended_early);
  g_ending.store(false);
  g_guarded_pid.store(::getpid());
  g_record_fd.store(fd);
  install_handlers_once();
}

StepGuard::~StepGuard() {
  int fd = g_record_fd.exchange(-1);
  restore_handlers();
  if (fd >= 0)
    ::close(fd);
  std::error_code ignored;
  std::filesystem::remove(record_, ignored);
}

std::optional<std::string> describe_unfinished_step(const std::filesystem::path& record) {
  std::ifstream in(record);
  if (!in)
    return std::nullopt;
  std::map<std::string, std::string> fields;
  std::vector<std::string> calls;
  for (std::string line; std::getline(in, line);) {
    size_t equals = line.find('=');
    if (equals == std::string::npos)
      continue;
    std::string key = line.substr(0, equals);
    std::string value = line.substr(equals + 1);
    if (key == "call")
      calls.push_back(value);
    else
      fields[key] = value;
  }
  auto field = [&](const char* key) {
    auto found = fields.find(key);
    return found == fields.end() || found->second.empty() ? std::string("?") : found->second;
  };
  std::string what = fmt::format("the previous run (pid {}, started {}) did not finish step '{}'",
                                 field("pid"), field("started"), field("step"));
  std::string how;
  const std::string ended = fields.count("ended") ? fields.at("ended") : std::string();
  if (ended.starts_with("signal ")) {
    int signal = std::atoi(ended.c_str() + 7);
    how = fmt::format("it died of {}", signal_text(signal));
  } else if (ended == "exit") {
    how = "exit() was called before the step was done";
  } else if (ended == "sanitizer") {
    how = "a sanitizer stopped it (its report is in that run's output)";
  } else {
    how = "it was killed or the machine stopped";
  }
  std::vector<std::string> in_plugins;
  std::vector<std::string> plugin_names;
  for (const std::string& call : calls) {
    // "PLUGIN CALL [KIND]"
    size_t space = call.find(' ');
    std::string plugin = call.substr(0, space);
    std::string rest = space == std::string::npos ? std::string() : call.substr(space + 1);
    size_t kind_at = rest.find(' ');
    std::string text = kind_at == std::string::npos
                           ? fmt::format("plugin '{}' in its {}", plugin, rest)
                           : fmt::format("plugin '{}' in its {} of {}", plugin,
                                         rest.substr(0, kind_at), rest.substr(kind_at + 1));
    if (std::find(in_plugins.begin(), in_plugins.end(), text) == in_plugins.end())
      in_plugins.push_back(text);
    if (std::find(plugin_names.begin(), plugin_names.end(), plugin) == plugin_names.end())
      plugin_names.push_back(plugin);
  }
  std::string where;
  if (!in_plugins.empty()) {
    where = fmt::format(" while in {}", fmt::join(in_plugins, " and "));
  } else if (!ended.empty()) {
    where = " outside any plugin call";
  }
  std::string advice =
      plugin_names.empty()
          ? std::string()
          : fmt::format("; if it happens again, report it to the maintainers of plugin {}",
                        fmt::format("'{}'", fmt::join(plugin_names, "' or '")));
  return fmt::format("{}: {}{} (source '{}', sink '{}'). The work dir resumes where it stopped{}.",
                     what, how, where, field("source"), field("sink"), advice);
}

}  // namespace atsm::host
