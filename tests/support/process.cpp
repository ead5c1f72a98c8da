#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <thread>

extern char** environ;

namespace atsm::testing {
namespace {

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> child_environment(const ProcessOptions& options) {
  std::vector<std::string> lines;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string line(*entry);
    const std::string name = line.substr(0, line.find('='));
    const bool unset = std::find(options.unset_env.begin(), options.unset_env.end(), name) !=
                       options.unset_env.end();
    if (!unset && options.set_env.count(name) == 0)
      lines.push_back(line);
  }
  for (const auto& [name, value] : options.set_env)
    lines.push_back(name + "=" + value);
  return lines;
}

std::vector<char*> pointers(std::vector<std::string>& texts) {
  std::vector<char*> out;
  for (std::string& text : texts)
    out.push_back(text.data());
  out.push_back(nullptr);
  return out;
}

int wait_for(pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

ProcessOutcome run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  std::vector<std::string> argv_text = argv;
  std::vector<char*> args = pointers(argv_text);
  std::vector<std::string> env_text = child_environment(options);
  std::vector<char*> envp = pointers(env_text);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.stdin_null)
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, options.output_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (options.errors_file.empty())
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  else
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, options.errors_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t child = 0;
  const int spawned =
      options.search_path
          ? ::posix_spawnp(&child, args[0], &actions, nullptr, args.data(), envp.data())
          : ::posix_spawn(&child, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ProcessOutcome outcome;
  if (spawned != 0) {
    outcome.exit_code = 127;
    return outcome;
  }
  outcome.started = true;

  int status = 0;
  bool reaped = false;
  if (options.kill_after) {
    std::this_thread::sleep_for(*options.kill_after);
    ::kill(child, SIGKILL);
  }
  if (options.kill_when) {
    for (;;) {
      if (::waitpid(child, &status, WNOHANG) == child) {
        reaped = true;  // it ended by itself: its own status counts
        break;
      }
      if (options.kill_when()) {
        ::kill(child, SIGKILL);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (!reaped)
    status = wait_for(child);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  outcome.output = read_file(options.output_file);
  if (!options.errors_file.empty())
    outcome.errors = read_file(options.errors_file);
  return outcome;
}

}  // namespace atsm::testing
