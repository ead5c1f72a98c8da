#include "services/store/blob_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "services/store/error.hpp"
#include "temp_dir.hpp"

namespace atsm::store {
namespace {

using testing::mode_of;
using testing::TempDir;

constexpr std::string_view kAbc =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view kEmpty =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::size_t count_files(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    n += entry.is_regular_file() ? 1 : 0;
  }
  return n;
}

// What coreutils' sha256sum prints for a file: the independent reference.
std::string sha256sum_of(const std::filesystem::path& file) {
  const std::string command = "sha256sum '" + file.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) {
    return {};
  }
  char digest[65] = {};
  const std::size_t n = std::fread(digest, 1, 64, pipe);
  ::pclose(pipe);
  return std::string(digest, n);
}

void write_file(const std::filesystem::path& file, std::string_view content) {
  std::ofstream out(file, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

class BlobStoreTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path root = dir / "work/blobs";
  BlobStore blobs{root};
};

TEST_F(BlobStoreTest, PutUsesContentAddressAndPrivateModes) {
  const auto hex = blobs.put("abc");
  EXPECT_EQ(hex, kAbc);
  const auto path = blobs.path_of(hex);
  EXPECT_EQ(path, root / "ba" / std::string(kAbc));
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
  EXPECT_EQ(sha256sum_of(path), kAbc);
  EXPECT_EQ(mode_of(root), 0700u);
  EXPECT_EQ(mode_of(root.parent_path()), 0700u);
  EXPECT_EQ(mode_of(root / "ba"), 0700u);
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_TRUE(blobs.contains(hex));
  EXPECT_EQ(blobs.size_of(hex), 3u);
  EXPECT_EQ(blobs.read(hex), "abc");
  EXPECT_TRUE(blobs.verify(hex));
}

TEST_F(BlobStoreTest, EmptyAndBinaryContent) {
  EXPECT_EQ(blobs.put(""), kEmpty);
  EXPECT_EQ(blobs.size_of(kEmpty), 0u);
  std::string binary;
  for (int i = 0; i < 256; ++i) {
    binary.push_back(static_cast<char>(i));
  }
  const auto hex = blobs.put(binary);
  EXPECT_EQ(blobs.read(hex), binary);
  EXPECT_EQ(sha256sum_of(blobs.path_of(hex)), hex);
}

TEST_F(BlobStoreTest, EqualBytesAreStoredOnce) {
  const auto first = blobs.put("same bytes");
  struct stat before {};
  ASSERT_EQ(::stat(blobs.path_of(first).c_str(), &before), 0);
  const auto second = blobs.put("same bytes");
  EXPECT_EQ(first, second);
  struct stat after {};
  ASSERT_EQ(::stat(blobs.path_of(first).c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // not rewritten
  auto writer = blobs.writer();
  writer.append("same ");
  writer.append("bytes");
  EXPECT_EQ(writer.commit(), first);
  EXPECT_EQ(count_files(root), 1u);
}

TEST_F(BlobStoreTest, WriterStreamsChunks) {
  auto writer = blobs.writer();
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    const std::string chunk(1000 + i, static_cast<char>('a' + i % 26));
    writer.append(chunk);
    expected += chunk;
  }
  EXPECT_EQ(writer.size(), expected.size());
  const auto hex = writer.commit();
  EXPECT_EQ(hex, sha256_hex(expected));
  EXPECT_EQ(sha256sum_of(blobs.path_of(hex)), hex);
  EXPECT_EQ(blobs.size_of(hex), expected.size());
  EXPECT_EQ(mode_of(blobs.path_of(hex)), 0600u);
  EXPECT_THROW(writer.append("more"), std::logic_error);
  EXPECT_THROW(writer.commit(), std::logic_error);
  EXPECT_TRUE(std::filesystem::is_empty(root / "tmp"));
}

TEST_F(BlobStoreTest, AbandonedWriterLeavesNothing) {
  {
    auto writer = blobs.writer();
    writer.append("half a download");
    EXPECT_EQ(count_files(root), 1u);  // the partial file exists while writing
    EXPECT_EQ(mode_of(*std::filesystem::directory_iterator(root / "tmp")), 0600u);
  }
  EXPECT_EQ(count_files(root), 0u);
  EXPECT_FALSE(blobs.contains(sha256_hex("half a download")));
}

TEST_F(BlobStoreTest, MovedWriterKeepsItsFile) {
  auto original = blobs.writer();
  original.append("moved ");
  BlobStore::Writer moved = std::move(original);
  moved.append("content");
  const auto hex = moved.commit();
  EXPECT_EQ(blobs.read(hex), "moved content");
  EXPECT_TRUE(std::filesystem::is_empty(root / "tmp"));
}

TEST_F(BlobStoreTest, WriterOutlivesItsStore) {
  std::optional<BlobStore::Writer> writer;
  {
    BlobStore temporary(root);
    writer.emplace(temporary.writer());
  }
  writer->append("abc");
  EXPECT_EQ(writer->commit(), kAbc);
  EXPECT_TRUE(blobs.contains(kAbc));
}

TEST_F(BlobStoreTest, PutFileCopiesAndNamesMissingFiles) {
  const auto source = dir / "resume.pdf";
  const std::string content(200'000, 'r');
  write_file(source, content);
  const auto hex = blobs.put_file(source);
  EXPECT_EQ(hex, sha256_hex(content));
  EXPECT_EQ(blobs.read(hex), content);
  EXPECT_TRUE(std::filesystem::exists(source));
  try {
    blobs.put_file(dir / "missing.pdf");
    FAIL();
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("missing.pdf"), std::string::npos);
  }
}

TEST_F(BlobStoreTest, LookupsOfAbsentOrInvalidDigests) {
  EXPECT_FALSE(blobs.contains(kAbc));
  EXPECT_THROW(blobs.size_of(kAbc), StoreError);
  EXPECT_THROW(blobs.read(kAbc), StoreError);
  EXPECT_THROW(blobs.path_of("../../etc/passwd"), std::invalid_argument);
  EXPECT_THROW(blobs.read("../../etc/passwd"), std::invalid_argument);
  EXPECT_FALSE(blobs.contains("ABC"));
  EXPECT_FALSE(blobs.contains("../ba/" + std::string(kAbc)));
}

TEST_F(BlobStoreTest, VerifyDetectsDamagedContent) {
  const auto hex = blobs.put("original");
  write_file(blobs.path_of(hex), "damaged!");
  EXPECT_FALSE(blobs.verify(hex));
}

TEST_F(BlobStoreTest, StalePartialFilesOfDeadProcessesAreRemoved) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::_exit(0);
  }
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  const auto stale = root / "tmp" / (std::to_string(child) + "-abcdef.part");
  const auto live = root / "tmp" / (std::to_string(::getpid()) + "-ghijkl.part");
  write_file(stale, "left by a killed run");
  write_file(live, "another store in this process is writing");
  BlobStore reopened(root);
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(live));
}

TEST_F(BlobStoreTest, ConcurrentPutsOfEqualAndDistinctContent) {
  std::vector<std::thread> threads;
  std::vector<std::string> shared_hex(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        shared_hex[t] = blobs.put("shared attachment");
        blobs.put("thread " + std::to_string(t) + " file " + std::to_string(i));
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(std::set<std::string>(shared_hex.begin(), shared_hex.end()).size(), 1u);
  EXPECT_EQ(blobs.read(shared_hex[0]), "shared attachment");
  EXPECT_EQ(count_files(root), 1u + 8 * 20);
  EXPECT_TRUE(std::filesystem::is_empty(root / "tmp"));
}

}  // namespace
}  // namespace atsm::store
