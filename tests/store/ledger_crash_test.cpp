// THE crash test: a child process commits ledger rows and reports each commit to the parent
// through a pipe; the parent SIGKILLs it at seeded random points and checks that the file is sound
// and holds every state the child reported as committed.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "services/store/ledger.hpp"
#include "temp_dir.hpp"

namespace atsm::store {
namespace {

constexpr std::string_view kScope = "crash";
constexpr std::string_view kKind = "persons";

LedgerKey key_for(const std::string& source_key) {
  return {std::string(kScope), std::string(kKind), source_key};
}

std::string target_for(const std::string& source_key) {
  return "t-" + source_key;
}

void report(int fd, char state, const std::string& source_key) {
  const std::string line = std::string(1, state) + " " + source_key + "\n";
  // Lines are far below PIPE_BUF, so each write is atomic.
  if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    ::_exit(3);
  }
}

// Runs in the child until killed: intent, then done (or failed for every seventh key), each step
// committed and then reported.
[[noreturn]] void run_writer(const std::filesystem::path& file, int round, int report_fd) {
  try {
    Ledger ledger(file);
    for (int i = 0;; ++i) {
      const std::string source_key = "r" + std::to_string(round) + "-" + std::to_string(i);
      const auto key = key_for(source_key);
      ledger.record_intent(key, "hash-" + source_key);
      report(report_fd, 'I', source_key);
      if (i % 7 == 6) {
        ledger.mark_failed(key, "rejected by vendor", "E42", "req-" + source_key);
        report(report_fd, 'F', source_key);
      } else {
        ledger.mark_done(key, target_for(source_key), "req-" + source_key);
        report(report_fd, 'D', source_key);
      }
    }
  } catch (...) {
    ::_exit(2);
  }
}

// Fills source key -> the last state reported committed ('I', 'D' or 'F').
void parse_reports(const std::string& raw, std::map<std::string, char>& reported) {
  std::istringstream lines(raw);
  std::string line;
  while (std::getline(lines, line)) {
    ASSERT_GE(line.size(), 3u) << "malformed report line '" << line << "'";
    reported[line.substr(2)] = line[0];
  }
}

TEST(LedgerCrash, SigkillAtRandomPointsLosesNoReportedCommit) {
  testing::TempDir dir;
  const auto file = dir / "ledger.db";
  std::mt19937 random(20261125);
  std::uniform_int_distribution<int> delay_us(0, 12'000);
  constexpr int kRounds = 25;
  std::size_t total_reported = 0;

  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      run_writer(file, round, fds[1]);
    }
    ::close(fds[1]);

    std::string raw;
    char buffer[4096];
    // Odd rounds first wait for a commit, so kills also land mid-run and not only during open.
    if (round % 2 == 1) {
      while (raw.find('\n') == std::string::npos) {
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        ASSERT_GT(n, 0) << "writer ended before its first commit in round " << round;
        raw.append(buffer, static_cast<std::size_t>(n));
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "writer failed on its own in round " << round << " (exit status "
        << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")";
    for (;;) {
      const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
      ASSERT_GE(n, 0);
      if (n == 0) {
        break;
      }
      raw.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);

    std::map<std::string, char> reported;
    parse_reports(raw, reported);
    total_reported += reported.size();

    {
      sqlite::Database db(file);
      ASSERT_EQ(db.integrity_check(), "ok") << "round " << round;
    }
    Ledger ledger(file);
    for (const auto& [source_key, state] : reported) {
      auto entry = ledger.get(key_for(source_key));
      ASSERT_TRUE(entry) << "reported key " << source_key << " lost in round " << round;
      EXPECT_EQ(entry->payload_hash, "hash-" + source_key);
      switch (state) {
        case 'D':
          EXPECT_EQ(entry->state, LedgerState::done) << source_key;
          EXPECT_EQ(entry->target_id, target_for(source_key)) << source_key;
          EXPECT_EQ(entry->request_id, "req-" + source_key) << source_key;
          break;
        case 'F':
          EXPECT_EQ(entry->state, LedgerState::failed) << source_key;
          EXPECT_EQ(entry->vendor_code, "E42") << source_key;
          break;
        case 'I':
          // The outcome may have been committed just before the kill, but not reported.
          EXPECT_NE(entry->state, LedgerState::skipped) << source_key;
          if (entry->state == LedgerState::done) {
            EXPECT_EQ(entry->target_id, target_for(source_key)) << source_key;
          }
          break;
        default:
          FAIL() << "unknown report '" << state << "'";
      }
    }
    // At most one row per round can be committed without having been reported: the one in flight.
    const std::string prefix = "r" + std::to_string(round) + "-";
    std::size_t rows_this_round = 0;
    ledger.for_each(kScope, kKind, std::nullopt, [&](const LedgerEntry& entry) {
      if (entry.key.source_key.starts_with(prefix)) {
        ++rows_this_round;
      }
    });
    EXPECT_LE(rows_this_round, reported.size() + 1) << "round " << round;
    EXPECT_GE(rows_this_round, reported.size()) << "round " << round;
  }
  // The odd rounds each waited for at least one commit.
  EXPECT_GE(total_reported, static_cast<std::size_t>(kRounds / 2));
}

}  // namespace
}  // namespace atsm::store
