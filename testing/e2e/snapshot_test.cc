// Snapshots in a cluster of our daemon: with a small --snapshot-count, a member that missed
// more than the leader keeps in its log is brought up to date by a snapshot of the leader's
// backend; a learner added later joins the same way; restarts recover from the newest
// snapshot; old snapshot files are purged.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/str_split.h"
#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "testing/etcd_cluster.h"

namespace etcd::testing {
namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kSmallSnapshots = {"--snapshot-count=100",
                                                  "--experimental-snapshot-catchup-entries=10"};

std::unique_ptr<etcdserverpb::KV::Stub> KvStub(const EtcdProcess& m) {
  return etcdserverpb::KV::NewStub(
      grpc::CreateChannel(m.endpoint(), grpc::InsecureChannelCredentials()));
}

// Puts keys <prefix>0 .. <prefix>n-1 (value "v<i>"), one Raft entry each, through `m`.
void PutKeys(const EtcdProcess& m, const std::string& prefix, int n) {
  auto stub = KvStub(m);
  for (int i = 0; i < n; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    etcdserverpb::PutRequest req;
    req.set_key(prefix + std::to_string(i));
    req.set_value("v" + std::to_string(i));
    etcdserverpb::PutResponse resp;
    grpc::Status s = stub->Put(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << "put " << i << ": " << s.error_message();
  }
}

// How many keys under `prefix` member `m` serves from its own state.
int CountLocal(const EtcdProcess& m, const std::string& prefix) {
  auto stub = KvStub(m);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  etcdserverpb::RangeRequest req;
  req.set_key(prefix);
  std::string end = prefix;
  end.back()++;
  req.set_range_end(end);
  req.set_serializable(true);
  req.set_count_only(true);
  etcdserverpb::RangeResponse resp;
  if (!stub->Range(&ctx, req, &resp).ok()) return -1;
  return static_cast<int>(resp.count());
}

bool WaitForCount(const EtcdProcess& m, const std::string& prefix, int n) {
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    if (CountLocal(m, prefix) == n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int CountSnapFiles(const std::string& data_dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_dir + "/member/snap", ec)) {
    if (e.path().extension() == ".snap") ++n;
  }
  return n;
}

std::string DataDir(const EtcdCluster& c, int i) {
  // EtcdCluster puts member i's data in <dir>/m<i>.etcd; find it from the process's flags.
  return c.member(i).data_dir();
}

EtcdCluster Start(const std::string& name) {
  EtcdCluster::Options options;
  options.binary = OurEtcdBinary();
  options.size = 3;
  options.extra_flags = kSmallSnapshots;
  auto c = EtcdCluster::Start(options, name);
  if (!c.ok()) {
    ADD_FAILURE() << c.status();
    std::abort();
  }
  return std::move(*c);
}

TEST(SnapshotTest, LaggingMemberCatchesUpFromTheLeadersSnapshot) {
  EtcdCluster c = Start("lagging");
  auto leader = c.WaitForLeader(std::chrono::seconds(10));
  ASSERT_TRUE(leader.ok());
  const int lagging = (*leader + 1) % 3;
  c.member(lagging).Kill();
  PutKeys(c.member(*leader), "k", 500);  // five snapshots' worth, far past the catch-up tail
  ASSERT_TRUE(c.member(lagging).Restart().ok());
  EXPECT_TRUE(WaitForCount(c.member(lagging), "k", 500)) << c.member(lagging).Log();
  EXPECT_NE(c.member(lagging).Log().find("applying snapshot at index"), std::string::npos)
      << "the member caught up without a snapshot: the test did not test it";
  // It keeps following after the snapshot, and serves linearizable reads.
  PutKeys(c.member(*leader), "after", 10);
  auto get = c.member(lagging).Etcdctl({"get", "after9", "--print-value-only"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->out, "v9\n");
  // The leader kept at most --max-snapshots (5) snapshot files of the many it took.
  EXPECT_GE(CountSnapFiles(DataDir(c, *leader)), 1);
  EXPECT_LE(CountSnapFiles(DataDir(c, *leader)), 5);
}

TEST(SnapshotTest, EveryMemberRestartsFromItsSnapshot) {
  EtcdCluster c = Start("restart");
  PutKeys(c.member(0), "k", 350);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.member(i).Stop().ok());
  // Restart all at once: each waits for a quorum to become healthy.
  std::vector<std::thread> restarts;
  std::vector<absl::Status> results(3);
  for (int i = 0; i < 3; ++i) {
    restarts.emplace_back([&, i] { results[i] = c.member(i).Restart(); });
  }
  for (auto& t : restarts) t.join();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i];
    EXPECT_NE(c.member(i).Log().find("recovered from snapshot at index"), std::string::npos)
        << "member " << i;
    EXPECT_TRUE(WaitForCount(c.member(i), "k", 350)) << "member " << i;
  }
}

TEST(SnapshotTest, LearnerAddedLateJoinsBySnapshotAndIsPromoted) {
  EtcdCluster c = Start("learner");
  PutKeys(c.member(0), "k", 300);
  const int peer_port = FreePort();
  const int client_port = FreePort();
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port);
  const std::string client = "http://127.0.0.1:" + std::to_string(client_port);
  // As etcd, membership changes wait until every voter has been connected for 5 s.
  const auto add_deadline = Clock::now() + std::chrono::seconds(20);
  absl::StatusOr<CommandResult> add;
  do {
    add = c.Etcdctl({"member", "add", "m3", "--learner", "--peer-urls", peer});
  } while (add.ok() && add->exit_code != 0 &&
           add->err.find("unhealthy cluster") != std::string::npos && Clock::now() < add_deadline);
  ASSERT_TRUE(add.ok() && add->exit_code == 0) << (add.ok() ? add->err : "");
  std::map<std::string, std::string> env;
  std::string id;
  for (absl::string_view line : absl::StrSplit(add->out, '\n')) {
    if (absl::ConsumePrefix(&line, "Member ")) id = std::string(line.substr(0, line.find(' ')));
    const size_t eq = line.find('=');
    if (line.substr(0, 5) == "ETCD_" && eq != absl::string_view::npos) {
      std::string value(line.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
      env[std::string(line.substr(0, eq))] = value;
    }
  }
  ASSERT_EQ(env.size(), 4u) << add->out;
  ASSERT_FALSE(id.empty());
  const std::string dir = NewTempDir("learner-m3");
  auto learner = EtcdProcess::StartRaw(
      OurEtcdBinary(), "learner-m3",
      {"--data-dir", dir + "/m3.etcd", "--listen-peer-urls", peer, "--listen-client-urls",
       client, "--advertise-client-urls", client, "--snapshot-count=100",
       "--experimental-snapshot-catchup-entries=10"},
      env, client_port, /*wait_healthy=*/false);
  ASSERT_TRUE(learner.ok()) << learner.status();
  EXPECT_TRUE(WaitForCount(*learner, "k", 300)) << learner->Log();
  EXPECT_NE(learner->Log().find("applying snapshot at index"), std::string::npos);
  // Promote once it has caught up (the leader refuses while it lags).
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  absl::StatusOr<CommandResult> promote;
  do {
    promote = c.Etcdctl({"member", "promote", id});
  } while (promote.ok() && promote->exit_code != 0 && Clock::now() < deadline);
  ASSERT_TRUE(promote.ok());
  EXPECT_EQ(promote->exit_code, 0) << promote->err;
  auto get = learner->Etcdctl({"get", "k299", "--print-value-only"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->out, "v299\n") << get->err;
}

}  // namespace
}  // namespace etcd::testing
