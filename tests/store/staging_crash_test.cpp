// A child process stages batches with their checkpoints and reports each committed batch; the
// parent SIGKILLs it at seeded random points and checks that the stored checkpoint and records
// always agree: resuming after the checkpoint neither skips nor repeats a record.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "services/store/staging.hpp"
#include "temp_dir.hpp"

namespace atsm::store {
namespace {

constexpr int kBatchSize = 5;

std::string record_key(int batch, int item) {
  return "b" + std::to_string(batch) + "-" + std::to_string(item);
}

[[noreturn]] void run_extractor(const std::filesystem::path& file, const std::string& kind,
                                int report_fd) {
  try {
    StagingStore store(file);
    for (int batch = 0;; ++batch) {
      std::vector<RecordToStage> records;
      for (int item = 0; item < kBatchSize; ++item) {
        const auto key = record_key(batch, item);
        records.push_back({key, R"({"id":")" + key + R"("})", R"({"vendor_id":")" + key + R"("})"});
      }
      store.put_batch("src", kind, records, std::to_string(batch));
      const std::string line = std::to_string(batch) + "\n";
      if (::write(report_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        ::_exit(3);
      }
    }
  } catch (...) {
    ::_exit(2);
  }
}

TEST(StagingCrash, CheckpointAndRecordsAgreeAfterSigkill) {
  testing::TempDir dir;
  const auto file = dir / "staging.db";
  std::mt19937 random(4242);
  std::uniform_int_distribution<int> delay_us(0, 8'000);
  constexpr int kRounds = 12;
  int total_batches = 0;

  for (int round = 0; round < kRounds; ++round) {
    const std::string kind = "kind" + std::to_string(round);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      run_extractor(file, kind, fds[1]);
    }
    ::close(fds[1]);
    std::string raw;
    char buffer[4096];
    // Odd rounds first wait for a committed batch, so kills also land mid-run.
    if (round % 2 == 1) {
      while (raw.find('\n') == std::string::npos) {
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        ASSERT_GT(n, 0) << "extractor ended before its first batch in round " << round;
        raw.append(buffer, static_cast<std::size_t>(n));
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "extractor failed on its own in round " << round;
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) {
      raw.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int last_reported = -1;
    for (std::size_t start = 0, end; (end = raw.find('\n', start)) != std::string::npos;
         start = end + 1) {
      last_reported = std::stoi(raw.substr(start, end - start));
    }

    {
      sqlite::Database db(file);
      ASSERT_EQ(db.integrity_check(), "ok") << "round " << round;
    }
    StagingStore store(file);
    const auto checkpoint = store.checkpoint("src", kind);
    const int committed = checkpoint ? std::stoi(*checkpoint) : -1;
    // The batch in flight may have committed without being reported; nothing else may differ.
    EXPECT_TRUE(committed == last_reported || committed == last_reported + 1)
        << "round " << round << ": checkpoint " << committed << ", reported " << last_reported;
    std::int64_t count = 0;
    store.for_each({.kind = kind}, [&](const StagedRecord& record) {
      const int batch = static_cast<int>(count / kBatchSize);
      const int item = static_cast<int>(count % kBatchSize);
      EXPECT_EQ(record.source_key, record_key(batch, item)) << "round " << round;
      ++count;
    });
    EXPECT_EQ(count, static_cast<std::int64_t>(committed + 1) * kBatchSize) << "round " << round;
    total_batches += committed + 1;
  }
  EXPECT_GE(total_batches, kRounds / 2);
}

}  // namespace
}  // namespace atsm::store
