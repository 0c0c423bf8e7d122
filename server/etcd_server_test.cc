// EtcdServer in-process, alone (no transport): snapshots release WAL segments and old snapshot
// files, and a restart recovers from the newest snapshot with every acknowledged write.
#include "server/etcd_server.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "testing/process.h"

namespace etcd::server {
namespace {

namespace fs = std::filesystem;

int CountFiles(const std::string& dir, const std::string& extension) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == extension) ++n;
  }
  return n;
}

EtcdServer::Options SmallOptions(const std::string& dir) {
  EtcdServer::Options o;
  o.data_dir = dir;
  o.member_id = 0x8e9e05c52164694d;
  o.cluster_id = 0xcdf818194e3a8c32;
  o.heartbeat_interval_ms = 10;
  o.election_timeout_ms = 50;
  o.wal_segment_bytes = 16 * 1024;  // a few hundred entries a segment
  o.snapshot_count = 200;
  o.snapshot_catchup_entries = 20;
  o.max_snapshots = 2;
  o.max_wals = 2;
  return o;
}

absl::StatusOr<etcdserverpb::PutResponse> Put(EtcdServer& s, const std::string& key,
                                              const std::string& value) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  std::promise<absl::StatusOr<etcdserverpb::PutResponse>> p;
  s.Put(req, [&p](absl::StatusOr<etcdserverpb::PutResponse> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

absl::StatusOr<etcdserverpb::RangeResponse> Get(EtcdServer& s, const std::string& key) {
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  std::promise<absl::StatusOr<etcdserverpb::RangeResponse>> p;
  s.Range(req, [&p](absl::StatusOr<etcdserverpb::RangeResponse> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

TEST(EtcdServerTest, SnapshotsReleaseWalSegmentsAndRestartRecoversFromTheNewest) {
  const std::string dir = testing::NewTempDir("snapshots");
  const std::string wal_dir = dir + "/member/wal";
  const std::string snap_dir = dir + "/member/snap";
  std::vector<int64_t> revisions;
  {
    auto s = EtcdServer::Start(SmallOptions(dir));
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE((*s)->WaitForLeader(std::chrono::seconds(10)));
    for (int i = 0; i < 2000; ++i) {
      auto r = Put(**s, "k" + std::to_string(i), std::string(100, 'a' + i % 26));
      ASSERT_TRUE(r.ok()) << r.status();
      revisions.push_back(r->header().revision());
    }
    // 2000 entries of ~150 bytes fill ~20 segments of 16 KiB. Each snapshot (every 200
    // entries, ~2 segments) purges down to --max-wals, so at most those 2 and the ones
    // written since the last snapshot remain; the first segment is long gone.
    EXPECT_FALSE(fs::exists(wal_dir + "/0000000000000000-0000000000000000.wal"));
    EXPECT_LE(CountFiles(wal_dir, ".wal"), 5);
    EXPECT_GE(CountFiles(snap_dir, ".snap"), 1);
    EXPECT_LE(CountFiles(snap_dir, ".snap"), 2);
    (*s)->Stop();
  }
  auto s = EtcdServer::Start(SmallOptions(dir));
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->WaitForLeader(std::chrono::seconds(10)));
  for (int i = 0; i < 2000; i += 97) {
    auto r = Get(**s, "k" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->kvs_size(), 1) << "lost k" << i;
    EXPECT_EQ(r->kvs(0).mod_revision(), revisions[i]);
    EXPECT_EQ(r->kvs(0).value(), std::string(100, 'a' + i % 26));
  }
  // Revisions go on after the last acknowledged one.
  auto next = Put(**s, "after", "restart");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->header().revision(), revisions.back() + 1);
}

}  // namespace
}  // namespace etcd::server
