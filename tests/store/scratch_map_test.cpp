#include "services/store/scratch_map.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

namespace atsm::store {
namespace {

using testing::mode_of;
using testing::TempDir;

class ScratchMapTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path file = dir / "scratch-test.sqlite";
};

TEST_F(ScratchMapTest, KeepsWhatIsPutAndReplacesOrKeepsAsAsked) {
  ScratchMap map(file);
  EXPECT_FALSE(map.get("a"));
  map.put("a", "1");
  map.put("a", "2");
  EXPECT_EQ(map.get("a"), "2");
  EXPECT_FALSE(map.put_if_absent("a", "3"));
  EXPECT_EQ(map.get("a"), "2");
  EXPECT_TRUE(map.put_if_absent("b", "4"));
  EXPECT_EQ(map.get("b"), "4");
  EXPECT_EQ(map.size(), 2);
  map.clear();
  EXPECT_EQ(map.size(), 0);
  EXPECT_FALSE(map.get("a"));
}

TEST_F(ScratchMapTest, ABatchSeesItsOwnPutsAndWhatItDoesNotCommitIsDropped) {
  ScratchMap map(file);
  {
    ScratchMap::Batch batch(map);
    batch.put("kept", "1");
    EXPECT_EQ(batch.get("kept"), "1");
    EXPECT_TRUE(batch.put_if_absent("also kept", "2"));
    EXPECT_FALSE(batch.put_if_absent("also kept", "3"));
    batch.commit();
  }
  {
    ScratchMap::Batch batch(map);
    batch.put("dropped", "1");
  }
  EXPECT_EQ(map.get("kept"), "1");
  EXPECT_EQ(map.get("also kept"), "2");
  EXPECT_FALSE(map.get("dropped"));
}

TEST_F(ScratchMapTest, TheFileIsPrivateStartsEmptyAndIsRemovedAtTheEnd) {
  {
    std::ofstream left_by_a_crash(file);
    left_by_a_crash << "not a database";
  }
  {
    ScratchMap map(file);
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(map.size(), 0);
    map.put("a", "1");
  }
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(file.string() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(file.string() + "-shm"));
}

TEST_F(ScratchMapTest, ThreadsMayPutAndGetAtOnce) {
  ScratchMap map(file);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&map, t] {
      for (int n = 0; n < 200; ++n) {
        std::string key = std::to_string(t) + ":" + std::to_string(n);
        map.put_if_absent(key, key);
        EXPECT_EQ(map.get(key), key);
      }
    });
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_EQ(map.size(), 800);
}

}  // namespace
}  // namespace atsm::store
