// Snapshot restore in-process: a member's backend saved as a snapshot file (as Maintenance.
// Snapshot streams it) and restored into a new data dir starts as a member of a new cluster
// with every key, revision and lease of the old one; every bad input is refused with etcd's
// words and leaves nothing behind.
#include "server/snapshot_restore.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "absl/strings/match.h"
#include "server/etcd_server.h"
#include "pkg/sha256.h"
#include "server/member_id.h"
#include "server/snapshot_file.h"
#include "testing/process.h"

namespace etcd::server {
namespace {

namespace fs = std::filesystem;

EtcdServer::Options OptionsFor(const std::string& dir) {
  EtcdServer::Options o;
  o.data_dir = dir;
  o.member_id = 0x8e9e05c52164694d;
  o.cluster_id = 0xcdf818194e3a8c32;
  o.heartbeat_interval_ms = 10;
  o.election_timeout_ms = 50;
  return o;
}

template <typename Response, typename Request, typename Method>
absl::StatusOr<Response> Call(EtcdServer& s, Method method, const Request& req) {
  std::promise<absl::StatusOr<Response>> p;
  (s.*method)(req, [&p](absl::StatusOr<Response> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

absl::StatusOr<etcdserverpb::RangeResponse> Get(EtcdServer& s, const std::string& key) {
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  return Call<etcdserverpb::RangeResponse>(s, &EtcdServer::Range, req);
}

absl::StatusOr<etcdserverpb::PutResponse> Put(EtcdServer& s, const std::string& key,
                                              const std::string& value, int64_t lease = 0) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  req.set_lease(lease);
  return Call<etcdserverpb::PutResponse>(s, &EtcdServer::Put, req);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

struct Saved {
  std::string path;
  std::map<std::string, etcdserverpb::RangeResponse> reads;  // key -> its read before saving
  int64_t revision = 0;
  int64_t lease = 0;
};

// A member with some history (overwrites, a delete, a lease with a key, a compaction), saved
// to a snapshot file through the Maintenance.Snapshot stream.
Saved SaveSnapshotOfAMember(const std::string& root) {
  Saved saved;
  auto s = EtcdServer::Start(OptionsFor(root + "/old"));
  EXPECT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE((*s)->WaitForLeader(std::chrono::seconds(10)));
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(Put(**s, "key" + std::to_string(i % 20), "value" + std::to_string(i)).ok());
  }
  etcdserverpb::DeleteRangeRequest del;
  del.set_key("key3");
  EXPECT_TRUE(
      (Call<etcdserverpb::DeleteRangeResponse>(**s, &EtcdServer::DeleteRange, del)).ok());
  etcdserverpb::CompactionRequest compact;
  compact.set_revision(10);
  compact.set_physical(true);
  EXPECT_TRUE((Call<etcdserverpb::CompactionResponse>(**s, &EtcdServer::Compact, compact)).ok());
  etcdserverpb::LeaseGrantRequest grant;
  grant.set_ttl(600);
  auto lease = Call<etcdserverpb::LeaseGrantResponse>(**s, &EtcdServer::LeaseGrant, grant);
  EXPECT_TRUE(lease.ok());
  saved.lease = lease->id();
  auto last = Put(**s, "leased", "v", saved.lease);
  EXPECT_TRUE(last.ok());
  saved.revision = last->header().revision();
  for (int i = 0; i < 20; ++i) saved.reads["key" + std::to_string(i)] = *Get(**s, "key" + std::to_string(i));
  saved.reads["leased"] = *Get(**s, "leased");

  auto stream = (*s)->NewSnapshotStream();
  EXPECT_TRUE(stream.ok()) << stream.status();
  std::string file;
  etcdserverpb::SnapshotResponse chunk;
  while ((*stream)->Next(&chunk)) file += chunk.blob();
  EXPECT_TRUE((*stream)->status().ok()) << (*stream)->status();
  (*s)->Stop();
  saved.path = root + "/snapshot.db";
  WriteFile(saved.path, file);
  return saved;
}

class SnapshotRestoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string(testing::NewTempDir("restore"));
    saved_ = new Saved(SaveSnapshotOfAMember(*root_));
  }
  static void TearDownTestSuite() {
    delete saved_;
    delete root_;
  }
  static std::string* root_;
  static Saved* saved_;
};
std::string* SnapshotRestoreTest::root_ = nullptr;
Saved* SnapshotRestoreTest::saved_ = nullptr;

TEST_F(SnapshotRestoreTest, RestoredMemberServesEveryKeyRevisionAndLease) {
  RestoreOptions o;
  o.snapshot_path = saved_->path;
  o.name = "m1";
  o.data_dir = *root_ + "/restored";
  o.initial_cluster = "m1=http://127.0.0.1:12380";
  o.initial_cluster_token = "restored-cluster";
  o.initial_advertise_peer_urls = {"http://127.0.0.1:12380"};
  absl::Status restored = RestoreSnapshot(o);
  ASSERT_TRUE(restored.ok()) << restored;

  auto s = EtcdServer::Start(OptionsFor(o.data_dir));
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->WaitForLeader(std::chrono::seconds(10)));
  // The new cluster's IDs, as a member bootstrapped with these flags computes them.
  const uint64_t id = ComputeMemberId({"http://127.0.0.1:12380"}, "restored-cluster");
  EXPECT_EQ((*s)->member_id(), id);
  EXPECT_EQ((*s)->cluster_id(), ComputeClusterId({id}));
  for (const auto& [key, before] : saved_->reads) {
    auto now = Get(**s, key);
    ASSERT_TRUE(now.ok()) << now.status();
    EXPECT_EQ(now->header().revision(), saved_->revision) << key;
    ASSERT_EQ(now->kvs_size(), before.kvs_size()) << key;
    if (before.kvs_size() == 1) {
      EXPECT_EQ(now->kvs(0).SerializeAsString(), before.kvs(0).SerializeAsString()) << key;
    }
  }
  // The compaction is kept: history before it is gone, after it is there.
  etcdserverpb::RangeRequest old;
  old.set_key("key1");
  old.set_revision(5);
  EXPECT_EQ(Call<etcdserverpb::RangeResponse>(**s, &EtcdServer::Range, old).status().message(),
            "etcdserver: mvcc: required revision has been compacted");
  // The lease survived with its key.
  etcdserverpb::LeaseTimeToLiveRequest ttl;
  ttl.set_id(saved_->lease);
  ttl.set_keys(true);
  auto lease = Call<etcdserverpb::LeaseTimeToLiveResponse>(**s, &EtcdServer::LeaseTimeToLive, ttl);
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_GT(lease->ttl(), 0);
  ASSERT_EQ(lease->keys_size(), 1);
  EXPECT_EQ(lease->keys(0), "leased");
  // Writes go on from the snapshot's revision, and survive a restart.
  auto next = Put(**s, "after", "restore");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->header().revision(), saved_->revision + 1);
  (*s)->Stop();
  s->reset();  // releases the data dir
  s = EtcdServer::Start(OptionsFor(o.data_dir));
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->WaitForLeader(std::chrono::seconds(10)));
  auto again = Get(**s, "after");
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->kvs_size(), 1);
  EXPECT_EQ(again->kvs(0).mod_revision(), saved_->revision + 1);
}

TEST_F(SnapshotRestoreTest, StatusSummarisesTheFile) {
  auto status = ReadSnapshotStatus(saved_->path);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->revision, saved_->revision);
  EXPECT_EQ(status->total_size, static_cast<int64_t>(fs::file_size(saved_->path)));
  // At least the revisions kept after the compaction, the lease and the metadata.
  EXPECT_GT(status->total_keys, 20);
  EXPECT_NE(status->hash, 0u);
  auto again = ReadSnapshotStatus(saved_->path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->hash, status->hash);
  EXPECT_EQ(ReadSnapshotStatus(*root_ + "/none.db").status().message(),
            "stat " + *root_ + "/none.db: no such file or directory");
}

TEST_F(SnapshotRestoreTest, RefusesBadInputAndLeavesNothingBehind) {
  const auto restore = [&](const std::function<void(RestoreOptions&)>& change) {
    RestoreOptions o;
    o.snapshot_path = saved_->path;
    o.data_dir = *root_ + "/refused";
    change(o);
    absl::Status s = RestoreSnapshot(o);
    EXPECT_FALSE(fs::exists(*root_ + "/refused")) << s;
    return std::string(s.message());
  };
  std::ifstream in(saved_->path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::string flipped = bytes;
  flipped[100] ^= 0x10;
  WriteFile(*root_ + "/flipped.db", flipped);
  EXPECT_TRUE(absl::StartsWith(
      restore([&](RestoreOptions& o) { o.snapshot_path = *root_ + "/flipped.db"; }),
      "expected sha256 ["));
  WriteFile(*root_ + "/cut.db", bytes.substr(0, bytes.size() - 100));
  EXPECT_EQ(restore([&](RestoreOptions& o) { o.snapshot_path = *root_ + "/cut.db"; }),
            "snapshot missing hash but --skip-hash-check=false");
  // Cut in the middle of its first frame: refused even when the hash is not checked.
  std::string torn = bytes.substr(0, 12 + 100);
  ASSERT_NE(torn.size() % 512, kSnapshotHashBytes);
  WriteFile(*root_ + "/torn.db", torn);
  EXPECT_EQ(restore([&](RestoreOptions& o) {
              o.snapshot_path = *root_ + "/torn.db";
              o.skip_hash_check = true;
            }),
            "snapshot file is truncated");
  // A frame that does not parse, under a hash that matches: found while restoring, after the
  // directories were made, which are removed.
  std::string unparsable = bytes.substr(0, bytes.size() - kSnapshotHashBytes);
  unparsable[12] = 0x0f;  // the first frame's first tag: field 1, wire type 7 (none such)
  unparsable += pkg::Sha256::Of(unparsable);
  WriteFile(*root_ + "/unparsable.db", unparsable);
  EXPECT_EQ(restore([&](RestoreOptions& o) { o.snapshot_path = *root_ + "/unparsable.db"; }),
            "snapshot frame at byte 8 does not parse");
  EXPECT_EQ(ReadSnapshotStatus(*root_ + "/unparsable.db").status(),
            absl::DataLossError("snapshot frame at byte 8 does not parse"));
  EXPECT_EQ(ReadSnapshotStatus(*root_ + "/flipped.db").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(restore([&](RestoreOptions& o) { o.snapshot_path = *root_ + "/none.db"; }),
            "open " + *root_ + "/none.db: no such file or directory");
  EXPECT_EQ(restore([](RestoreOptions& o) { o.name = "other"; }),
            "couldn't find local name \"other\" in the initial cluster configuration");
  // The words of the real etcdctl 3.4 for the same flags.
  EXPECT_EQ(restore([](RestoreOptions& o) {
              o.initial_advertise_peer_urls = {"http://127.0.0.1:2390"};
            }),
            "--initial-cluster has default=http://localhost:2380 but missing from "
            "--initial-advertise-peer-urls=http://127.0.0.1:2390 (resolved urls: "
            "\"http://127.0.0.1:2390\" != \"http://localhost:2380\")");
  EXPECT_EQ(restore([](RestoreOptions& o) { o.initial_cluster = "default=ftp://x:1"; }),
            "URL scheme must be http, https, unix, or unixs: ftp://x:1");
  // An existing data dir is never touched.
  fs::create_directories(*root_ + "/exists");
  RestoreOptions o;
  o.snapshot_path = saved_->path;
  o.data_dir = *root_ + "/exists";
  EXPECT_EQ(RestoreSnapshot(o).message(), "data-dir \"" + *root_ + "/exists\" exists");
  EXPECT_TRUE(fs::is_empty(*root_ + "/exists"));
}

}  // namespace
}  // namespace etcd::server
