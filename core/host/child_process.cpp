#include "host/child_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "services/store/private_fs.hpp"

namespace atsm::host {
namespace {

// Marks a complete answer: a body may answer the empty string, which a child that died before
// answering must not be mistaken for.
constexpr char kAnswerMark = '=';

std::vector<std::string> tail_lines(const std::filesystem::path& path, std::size_t count) {
  std::ifstream file(path);
  std::vector<std::string> lines;
  std::string line;
  while (count > 0 && std::getline(file, line)) {
    if (line.size() > 240)
      line = line.substr(0, 240) + "...";
    lines.push_back(std::move(line));
    if (lines.size() > count)
      lines.erase(lines.begin());
  }
  return lines;
}

}  // namespace

std::string signal_text(int signal) {
  const char* name = sigabbrev_np(signal);
  return fmt::format("SIG{} ({})", name ? name : "?", signal);
}

std::string ChildOutcome::failure() const {
  if (answer)
    return {};
  if (timed_out)
    return fmt::format("no answer within {:.0f} s (a hang); killed", seconds);
  if (signal != 0)
    return fmt::format("died of {}", signal_text(signal));
  return fmt::format(
      "exited with status {} without an answer (it called exit, or a sanitizer "
      "stopped it)",
      exit_status);
}

ChildOutcome run_in_child(const std::function<std::string()>& body, unsigned timeout_s,
                          std::size_t log_lines) {
  auto start = std::chrono::steady_clock::now();
  ChildOutcome result;
  char log_template[] = "/tmp/atsm-child-log-XXXXXX";
  int log_fd = ::mkstemp(log_template);
  int fds[2];
  if (log_fd < 0 || ::pipe(fds) != 0) {
    int error = errno;
    if (log_fd >= 0) {
      ::close(log_fd);
      ::unlink(log_template);
    }
    throw std::runtime_error(fmt::format("cannot create a pipe or log file for a child process: {}",
                                         std::strerror(error)));
  }
  std::filesystem::path log_path = log_template;
  std::cout.flush();
  std::cerr.flush();
  pid_t child = ::fork();
  if (child == 0) {
    // Its own process group: a timeout kills whatever the plugin started too.
    ::setpgid(0, 0);
    ::close(fds[0]);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    std::string answer;
    try {
      answer = body();
    } catch (...) {
      ::_exit(125);  // an exception must not unwind into the parent's code in the child
    }
    try {
      store::fs::write_all(fds[1], kAnswerMark + answer, "the pipe to the parent process");
    } catch (...) {
      ::_exit(125);
    }
    ::close(fds[1]);
    std::cout.flush();
    std::cerr.flush();
    ::_exit(0);
  }
  ::close(fds[1]);
  ::close(log_fd);
  if (child < 0) {
    int error = errno;
    ::close(fds[0]);
    std::filesystem::remove(log_path);
    throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(error)));
  }
  std::string reply;
  auto deadline = start + std::chrono::seconds(timeout_s);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd poller{fds[0], POLLIN, 0};
    int ready = ::poll(&poller, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (ready <= 0)
      continue;  // EINTR or nothing yet
    char buffer[4096];
    ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (result.timed_out) {
    ::kill(-child, SIGKILL);
    ::kill(child, SIGKILL);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (result.timed_out) {
    result.signal = SIGKILL;
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  } else {
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (!reply.empty() && reply.front() == kAnswerMark)
      result.answer = reply.substr(1);
  }
  if (!result.answer)
    result.log_tail = tail_lines(log_path, log_lines);
  std::error_code ignored;
  std::filesystem::remove(log_path, ignored);
  return result;
}

}  // namespace atsm::host
