#include "wal/snapshotter.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "wal/fault_injection_env.h"

namespace etcd::wal {
namespace {

namespace fs = std::filesystem;

std::string TestDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/", info->test_suite_name(), ".",
                                 info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

raftpb::Snapshot MakeSnap(uint64_t term, uint64_t index, std::string data) {
  raftpb::Snapshot s;
  s.set_data(std::move(data));
  s.mutable_metadata()->set_term(term);
  s.mutable_metadata()->set_index(index);
  s.mutable_metadata()->mutable_conf_state()->add_voters(1);
  s.mutable_metadata()->mutable_conf_state()->add_voters(2);
  return s;
}

std::string SnapName(uint64_t term, uint64_t index) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%016llx-%016llx.snap", static_cast<unsigned long long>(term),
           static_cast<unsigned long long>(index));
  return buf;
}

TEST(SnapshotterTest, NoSnapshot) {
  std::string dir = TestDir() + "/member/snap";
  Snapshotter snap(Env::Default(), dir);
  absl::StatusOr<raftpb::Snapshot> got = snap.Load();
  EXPECT_TRUE(IsNoSnapshot(got.status())) << got.status();
  fs::create_directories(dir);
  EXPECT_TRUE(IsNoSnapshot(snap.Load().status()));
  EXPECT_FALSE(IsNoSnapshot(absl::NotFoundError("other")));
}

TEST(SnapshotterTest, SaveAndLoad) {
  std::string dir = TestDir() + "/member/snap";
  Snapshotter snap(Env::Default(), dir);
  raftpb::Snapshot s = MakeSnap(3, 100, std::string(10000, 'k'));
  ASSERT_TRUE(snap.SaveSnap(s).ok());
  EXPECT_TRUE(fs::exists(dir + "/" + SnapName(3, 100)));
  EXPECT_FALSE(fs::exists(dir + "/" + SnapName(3, 100) + ".tmp"));
  absl::StatusOr<raftpb::Snapshot> got = snap.Load();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(s.SerializeAsString(), got->SerializeAsString());
}

TEST(SnapshotterTest, EmptySnapshotIsIgnored) {
  std::string dir = TestDir() + "/snap";
  Snapshotter snap(Env::Default(), dir);
  ASSERT_TRUE(snap.SaveSnap(raftpb::Snapshot()).ok());
  EXPECT_TRUE(IsNoSnapshot(snap.Load().status()));
}

TEST(SnapshotterTest, LoadsNewestByTermThenIndex) {
  std::string dir = TestDir() + "/snap";
  Snapshotter snap(Env::Default(), dir);
  ASSERT_TRUE(snap.SaveSnap(MakeSnap(1, 500, "a")).ok());
  ASSERT_TRUE(snap.SaveSnap(MakeSnap(2, 300, "b")).ok());
  ASSERT_TRUE(snap.SaveSnap(MakeSnap(2, 0x1f0, "c")).ok());  // hex ordering matters
  // Strangers are ignored.
  std::ofstream(dir + "/db") << "x";
  std::ofstream(dir + "/" + SnapName(9, 9) + ".tmp") << "half-written";
  absl::StatusOr<raftpb::Snapshot> got = snap.Load();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ("c", got->data());
}

TEST(SnapshotterTest, CorruptNewestIsRenamedBrokenAndOlderLoaded) {
  std::string dir = TestDir() + "/snap";
  Snapshotter snap(Env::Default(), dir);
  ASSERT_TRUE(snap.SaveSnap(MakeSnap(1, 10, "old")).ok());
  ASSERT_TRUE(snap.SaveSnap(MakeSnap(1, 20, std::string(100, 'n'))).ok());
  ASSERT_TRUE(snap.SaveSnap(MakeSnap(1, 30, "newest")).ok());
  // Newest: one flipped bit in the payload. Next: truncated.
  const std::string newest = dir + "/" + SnapName(1, 30);
  std::string contents;
  ASSERT_TRUE(Env::Default()->ReadFileToString(newest, &contents).ok());
  contents[contents.size() - 2] ^= 0x10;
  std::ofstream(newest, std::ios::binary | std::ios::trunc) << contents;
  fs::resize_file(dir + "/" + SnapName(1, 20), 50);

  absl::StatusOr<raftpb::Snapshot> got = snap.Load();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ("old", got->data());
  EXPECT_TRUE(fs::exists(newest + ".broken"));
  EXPECT_FALSE(fs::exists(newest));
  EXPECT_TRUE(fs::exists(dir + "/" + SnapName(1, 20) + ".broken"));
  // Direct reads report the damage.
  EXPECT_TRUE(absl::IsDataLoss(Snapshotter::Read(Env::Default(), newest + ".broken").status()));

  // All corrupt: no snapshot.
  fs::resize_file(dir + "/" + SnapName(1, 10), 0);
  EXPECT_TRUE(IsNoSnapshot(snap.Load().status()));
}

TEST(SnapshotterTest, LoadNewestAvailableOnlyUsesSnapshotsTheWalKnows) {
  std::string dir = TestDir() + "/snap";
  Snapshotter snap(Env::Default(), dir);
  ASSERT_TRUE(snap.SaveSnap(MakeSnap(1, 10, "ten")).ok());
  ASSERT_TRUE(snap.SaveSnap(MakeSnap(1, 20, "twenty")).ok());
  auto got = snap.LoadNewestAvailable({{0, 0}, {10, 1}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ("ten", got->data());
  EXPECT_TRUE(IsNoSnapshot(snap.LoadNewestAvailable({{20, 2}}).status()));
}

TEST(SnapshotterTest, SaveIsAtomicAcrossACrash) {
  std::string dir = TestDir() + "/snap";
  FaultInjectionEnv env(Env::Default());
  Snapshotter snap(&env, dir);
  ASSERT_TRUE(snap.SaveSnap(MakeSnap(1, 10, "durable")).ok());
  // The next save dies before its data is synced: the temp file must not become visible.
  env.set_fail_sync(true);
  EXPECT_FALSE(snap.SaveSnap(MakeSnap(1, 20, "lost")).ok());
  env.set_fail_sync(false);
  ASSERT_TRUE(env.SimulateCrash().ok());
  auto got = snap.Load();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ("durable", got->data());
  EXPECT_FALSE(fs::exists(dir + "/" + SnapName(1, 20)));
}

}  // namespace
}  // namespace etcd::wal
