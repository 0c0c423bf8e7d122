// End-to-end: the backup drill an operator runs, with our etcdctl and our daemon.
//   1. A 3-member cluster holds keys with a history (overwrites, deletes, a lease).
//   2. `etcdctl snapshot save` takes a backup from one member; `snapshot status` reads it.
//   3. The cluster is wiped: members stopped, data dirs deleted.
//   4. `etcdctl snapshot restore` builds three new data dirs with a new membership
//      (--name, --initial-cluster, --initial-cluster-token, --initial-advertise-peer-urls).
//   5. A 3-member cluster started on them serves every key with its create and mod revisions
//      and version, on every member, keeps the lease, and goes on from the same revision.
// A backup whose bytes were changed is refused by restore, which leaves no data dir behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/str_join.h"
#include "client/client.h"
#include "testing/etcd_client.h"
#include "testing/etcd_cluster.h"
#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

namespace fs = std::filesystem;

CommandResult Etcdctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {OurEtcdctlBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunCommand(argv, {}, "", std::chrono::seconds(60));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CommandResult{};
}

// Every key of the key space as a member serves it (serializable: this member's own data).
std::map<std::string, std::string> KeySpace(client::Client& c, const std::string& endpoint,
                                            int64_t* revision) {
  auto single = ConnectClient(endpoint);
  client::GetOptions all;
  all.from_key = true;
  all.serializable = true;
  auto r = single->Get(std::string(1, '\0'), all);
  EXPECT_TRUE(r.ok()) << r.status();
  std::map<std::string, std::string> out;
  if (!r.ok()) return out;
  *revision = r->header().revision();
  for (const auto& kv : r->kvs()) out[kv.key()] = kv.SerializeAsString();
  (void)c;
  return out;
}

TEST(BackupDrillTest, SaveWipeRestoreIntoThreeNewMembers) {
  EtcdCluster::Options options;
  options.binary = OurEtcdBinary();
  auto cluster = EtcdCluster::Start(options, "drill-old");
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto c = ConnectClient(cluster->endpoints());
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(c->Put("key/" + std::to_string(i % 100), "value-" + std::to_string(i)).ok());
  }
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c->Delete("key/" + std::to_string(i)).ok());
  auto lease = c->Grant(3600);
  ASSERT_TRUE(lease.ok());
  client::PutOptions with_lease;
  with_lease.lease = lease->id();
  ASSERT_TRUE(c->Put("leased", "v", with_lease).ok());
  int64_t revision = 0;
  const auto before = KeySpace(*c, cluster->member(0).endpoint(), &revision);
  ASSERT_EQ(before.size(), 91u);

  const std::string dir = NewTempDir("drill");
  const std::string backup = dir + "/backup.db";
  CommandResult saved =
      Etcdctl({"--endpoints", cluster->member(1).endpoint(), "snapshot", "save", backup});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  EXPECT_EQ(saved.out, "Snapshot saved at " + backup + "\n");
  CommandResult status = Etcdctl({"snapshot", "status", backup, "-w", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("\"revision\":" + std::to_string(revision)), std::string::npos)
      << status.out;

  // Wipe the cluster.
  for (int i = 0; i < cluster->size(); ++i) {
    ASSERT_TRUE(cluster->member(i).Stop().ok());
    fs::remove_all(cluster->member(i).data_dir());
  }

  // Restore into three new data dirs, with a new membership on new ports.
  std::vector<int> client_ports, peer_ports;
  std::vector<std::string> items, data_dirs;
  for (int i = 0; i < 3; ++i) {
    client_ports.push_back(FreePort());
    peer_ports.push_back(FreePort());
    items.push_back("m" + std::to_string(i) + "=http://127.0.0.1:" +
                    std::to_string(peer_ports[i]));
    data_dirs.push_back(dir + "/restored-m" + std::to_string(i));
  }
  const std::string initial_cluster = absl::StrJoin(items, ",");
  for (int i = 0; i < 3; ++i) {
    CommandResult r = Etcdctl({"snapshot", "restore", backup, "--name", "m" + std::to_string(i),
                               "--initial-cluster", initial_cluster, "--initial-cluster-token",
                               "drill-new", "--initial-advertise-peer-urls",
                               "http://127.0.0.1:" + std::to_string(peer_ports[i]),
                               "--data-dir", data_dirs[i]});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(fs::is_directory(data_dirs[i] + "/member/wal"));
  }
  EtcdCluster::Options restored_options;
  restored_options.binary = OurEtcdBinary();
  restored_options.token = "drill-new";
  restored_options.client_ports = client_ports;
  restored_options.peer_ports = peer_ports;
  restored_options.data_dirs = data_dirs;
  auto restored = EtcdCluster::Start(restored_options, "drill-new");
  ASSERT_TRUE(restored.ok()) << restored.status();
  auto rc = ConnectClient(restored->endpoints());
  ASSERT_NE(rc, nullptr);
  // A linearizable write goes through the new cluster's leader; then every member has caught
  // up to it, and each serves exactly the old key space (and the new key).
  auto next = rc->Put("after-restore", "x");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->header().revision(), revision + 1);
  for (int i = 0; i < 3; ++i) {
    auto caught_up = ConnectClient(restored->member(i).endpoint())->Get("after-restore");
    ASSERT_TRUE(caught_up.ok());  // linearizable: member i applied the write
    int64_t rev = 0;
    auto after = KeySpace(*rc, restored->member(i).endpoint(), &rev);
    EXPECT_EQ(rev, revision + 1) << "member " << i;
    after.erase("after-restore");
    EXPECT_EQ(after, before) << "member " << i;
  }
  auto ttl = rc->TimeToLive(lease->id(), /*keys=*/true);
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->ttl(), 0);
  ASSERT_EQ(ttl->keys_size(), 1);
  EXPECT_EQ(ttl->keys(0), "leased");
  // The new membership: three members named m0..m2 with the new peer URLs.
  auto members = rc->MemberList();
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->members_size(), 3);
  for (const auto& m : members->members()) {
    ASSERT_EQ(m.peerurls_size(), 1);
    EXPECT_NE(initial_cluster.find(m.name() + "=" + m.peerurls(0)), std::string::npos);
  }
}

TEST(BackupDrillTest, RestoreRefusesAChangedBackup) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "drill-corrupt");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto c = ConnectClient(etcd->endpoint());
  ASSERT_TRUE(c->Put("k", "v").ok());
  const std::string dir = NewTempDir("drill-corrupt-files");
  const std::string backup = dir + "/backup.db";
  ASSERT_EQ(Etcdctl({"--endpoints", etcd->endpoint(), "snapshot", "save", backup}).exit_code, 0);
  std::string bytes;
  {
    std::ifstream in(backup, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 100u);
  bytes[bytes.size() / 2] ^= 0x01;
  std::ofstream(backup, std::ios::binary | std::ios::trunc) << bytes;
  CommandResult r = Etcdctl({"snapshot", "restore", backup, "--data-dir", dir + "/restored"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Error: expected sha256 ["), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "/restored"));
}

}  // namespace
}  // namespace etcd::testing
