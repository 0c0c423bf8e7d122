// Multi-member clusters of our daemon, each member a real process on loopback, driven by the
// real etcdctl 3.4 and gRPC clients, and compared with a real etcd 3.4 cluster where the
// outcome is etcd's to define (member IDs, bootstrap errors).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "testing/etcd_cluster.h"

namespace etcd::testing {
namespace {

using Clock = std::chrono::steady_clock;

EtcdCluster StartOurs(int size, const std::string& name, bool config_files = false) {
  EtcdCluster::Options options;
  options.binary = OurEtcdBinary();
  options.size = size;
  options.config_files = config_files;
  auto c = EtcdCluster::Start(options, name);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) std::abort();
  return std::move(*c);
}

std::unique_ptr<etcdserverpb::KV::Stub> KvStub(const EtcdProcess& m) {
  return etcdserverpb::KV::NewStub(
      grpc::CreateChannel(m.endpoint(), grpc::InsecureChannelCredentials()));
}

// Every key under `prefix` as member `m` serves it (linearizable unless `serializable`):
// key -> (value, mod_revision).
absl::StatusOr<std::map<std::string, std::pair<std::string, int64_t>>> RangePrefix(
    const EtcdProcess& m, const std::string& prefix, bool serializable) {
  auto stub = KvStub(m);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  etcdserverpb::RangeRequest req;
  req.set_key(prefix);
  std::string end = prefix;
  end.back()++;
  req.set_range_end(end);
  req.set_serializable(serializable);
  etcdserverpb::RangeResponse resp;
  grpc::Status s = stub->Range(&ctx, req, &resp);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  std::map<std::string, std::pair<std::string, int64_t>> out;
  for (const auto& kv : resp.kvs()) out[kv.key()] = {kv.value(), kv.mod_revision()};
  return out;
}

// The lines of `etcdctl member list` (simple format), sorted, IDs dropped:
// "started, m0, http://127.0.0.1:P, http://127.0.0.1:C, false".
std::vector<std::string> MemberLines(const EtcdCluster& c) {
  auto r = c.Etcdctl({"member", "list"});
  EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->err : r.status().ToString());
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(r->out, '\n', absl::SkipEmpty())) {
    lines.emplace_back(line.substr(line.find(", ") + 2));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> ExpectedMemberLines(const EtcdCluster& c) {
  std::vector<std::string> lines;
  for (int i = 0; i < c.size(); ++i) {
    lines.push_back("started, m" + std::to_string(i) + ", " + c.peer_url(i) + ", http://" +
                    c.member(i).endpoint() + ", false");
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(ClusterTest, ThreeMembersFromInitialClusterServeTheSameData) {
  EtcdCluster c = StartOurs(3, "flags");
  EXPECT_EQ(MemberLines(c), ExpectedMemberLines(c));
  auto put = c.member(0).Etcdctl({"put", "greeting", "hello"});
  ASSERT_TRUE(put.ok() && put->exit_code == 0) << (put.ok() ? put->err : "");
  for (int i = 0; i < 3; ++i) {
    auto get = c.member(i).Etcdctl({"get", "greeting"});
    ASSERT_TRUE(get.ok());
    EXPECT_EQ(get->out, "greeting\nhello\n") << "member " << i;
  }
  // A write on a follower is forwarded to the leader.
  auto leader = c.WaitForLeader(std::chrono::seconds(10));
  ASSERT_TRUE(leader.ok());
  const int follower = (*leader + 1) % 3;
  put = c.member(follower).Etcdctl({"put", "from-follower", "yes"});
  ASSERT_TRUE(put.ok() && put->exit_code == 0) << (put.ok() ? put->err : "");
  auto get = c.member(*leader).Etcdctl({"get", "from-follower", "--print-value-only"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->out, "yes\n");

  // --cluster: etcdctl finds every member's client URL through one member's MemberList.
  auto health = c.member(0).Etcdctl({"endpoint", "health", "--cluster"});
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->exit_code, 0) << health->err;
  for (int i = 0; i < 3; ++i) {
    // etcdctl 3.4 prints the health lines on standard error.
    EXPECT_NE(health->err.find("http://" + c.member(i).endpoint() + " is healthy"),
              std::string::npos)
        << health->err;
  }
  // Every member reports the same leader, term and (once settled) applied index.
  auto status = c.member(1).Etcdctl({"endpoint", "status", "--cluster", "-w", "fields"});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->exit_code, 0) << status->err;
  std::set<std::string> leaders;
  int members = 0;
  for (absl::string_view line : absl::StrSplit(status->out, '\n')) {
    if (absl::StartsWith(line, "\"Leader\" : ")) leaders.insert(std::string(line));
    if (absl::StartsWith(line, "\"Endpoint\" : ")) ++members;
  }
  EXPECT_EQ(members, 3) << status->out;
  EXPECT_EQ(leaders.size(), 1u) << status->out;

  // After a restart (writes since made the backend's consistent index pass the members'
  // publish entries), a member still knows every member's name and client URLs.
  ASSERT_TRUE(c.member(2).Stop().ok());
  ASSERT_TRUE(c.member(2).Restart().ok());
  auto list = c.member(2).Etcdctl({"member", "list"});
  ASSERT_TRUE(list.ok());
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(list->out, '\n', absl::SkipEmpty())) {
    lines.emplace_back(line.substr(line.find(", ") + 2));
  }
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, ExpectedMemberLines(c));
}

TEST(ClusterTest, ThreeMembersFromConfigFiles) {
  EtcdCluster c = StartOurs(3, "yaml", /*config_files=*/true);
  EXPECT_EQ(MemberLines(c), ExpectedMemberLines(c));
  auto put = c.member(2).Etcdctl({"put", "k", "v"});
  ASSERT_TRUE(put.ok() && put->exit_code == 0);
  auto get = c.member(0).Etcdctl({"get", "k", "--print-value-only"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->out, "v\n");
}

// Member and cluster IDs derive from the peer URLs and the token exactly as in etcd: the same
// flags give the same IDs on both.
TEST(ClusterTest, MemberAndClusterIdsMatchRealEtcd) {
  auto ids = [](const EtcdCluster& c) {
    auto r = c.Etcdctl({"member", "list", "-w", "json"});
    EXPECT_TRUE(r.ok() && r->exit_code == 0);
    std::set<std::string> out;
    std::smatch m;
    const std::regex cluster_re("\"cluster_id\":([0-9]+)");
    if (std::regex_search(r->out, m, cluster_re)) out.insert("cluster " + m[1].str());
    const std::regex id_re("\"ID\":([0-9]+)");
    for (auto it = std::sregex_iterator(r->out.begin(), r->out.end(), id_re);
         it != std::sregex_iterator(); ++it) {
      out.insert("member " + (*it)[1].str());
    }
    return out;
  };
  EtcdCluster::Options options;
  options.binary = kRealEtcd;
  options.size = 3;
  options.token = "id-check";
  auto real = EtcdCluster::Start(options, "ids-real");
  ASSERT_TRUE(real.ok()) << real.status();
  const std::set<std::string> want = ids(*real);
  ASSERT_EQ(want.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    options.client_ports.push_back(real->member(i).client_port());
    options.peer_ports.push_back(real->peer_port(i));
  }
  for (int i = 0; i < 3; ++i) real->member(i).Kill();
  options.binary = OurEtcdBinary();
  auto ours = EtcdCluster::Start(options, "ids-ours");
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ(ids(*ours), want);
}

// Bootstrap mistakes are refused with etcd's message and exit code.
TEST(ClusterTest, BootstrapErrorsMatchRealEtcd) {
  const std::string p1 = "http://127.0.0.1:" + std::to_string(FreePort());
  const std::string p2 = "http://127.0.0.1:" + std::to_string(FreePort());
  const std::string local2 = "http://localhost:" + std::to_string(FreePort());
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--name", "x", "--initial-cluster", "a=" + p1, "--initial-advertise-peer-urls", p1},
       "couldn't find local name \"x\" in the initial cluster configuration"},
      {{"--name", "a", "--initial-cluster", "a=" + p1 + ",b=" + p1,
        "--initial-advertise-peer-urls", p1},
       "initial cluster a=" + p1 + ",b=" + p1 + " has duplicate url"},
      {{"--name", "a", "--initial-cluster", "a=" + p2, "--initial-advertise-peer-urls", p1},
       "--initial-cluster has a=" + p2 + " but missing from --initial-advertise-peer-urls=" +
           p1 + " (resolved urls: \"" + p1 + "\" != \"" + p2 + "\")"},
      // etcd leaves "localhost" unresolved in the message.
      {{"--name", "a", "--initial-cluster", "a=" + local2, "--initial-advertise-peer-urls", p1},
       "--initial-cluster has a=" + local2 + " but missing from --initial-advertise-peer-urls=" +
           p1 + " (resolved urls: \"" + p1 + "\" != \"" + local2 + "\")"},
      {{"--name", "a", "--initial-cluster", "a=" + p1, "--initial-advertise-peer-urls", p1,
        "--auto-compaction-retention", "x"},
       "error parsing CompactionRetention: time: invalid duration \"x\""},
  };
  for (const Case& c : cases) {
    for (const std::string& binary : {std::string(kRealEtcd), OurEtcdBinary()}) {
      std::vector<std::string> argv = {binary, "--data-dir", NewTempDir("bootstrap") + "/d",
                                       "--listen-peer-urls", p1, "--listen-client-urls",
                                       "http://127.0.0.1:" + std::to_string(FreePort()),
                                       "--advertise-client-urls", "http://127.0.0.1:1"};
      argv.insert(argv.end(), c.flags.begin(), c.flags.end());
      auto r = RunCommand(argv);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->exit_code, 1) << binary << ": " << r->err;
      EXPECT_NE(r->err.find("etcdmain: " + c.message), std::string::npos)
          << binary << " said:\n" << r->err;
    }
  }
}

// A data dir keeps its member: restarted with the flags of another cluster, a member of
// cluster A stays in A (etcd ignores --initial-cluster once a WAL exists), and the members of
// cluster B, which counted on it, are refused by it with "cluster ID mismatch" and go on
// without it.
TEST(ClusterTest, DataDirOfAnotherClusterKeepsItsClusterAndIsRefused) {
  const std::string dir = NewTempDir("foreign");
  std::vector<int> client(3), peer(3);
  for (int i = 0; i < 3; ++i) {
    client[i] = FreePort();
    peer[i] = FreePort();
  }
  auto url = [](int port) { return "http://127.0.0.1:" + std::to_string(port); };
  auto flags = [&](int i, const std::string& cluster, const std::string& token) {
    return std::vector<std::string>{
        "--name", "m" + std::to_string(i), "--data-dir", dir + "/m" + std::to_string(i),
        "--listen-client-urls", url(client[i]), "--advertise-client-urls", url(client[i]),
        "--listen-peer-urls", url(peer[i]), "--initial-advertise-peer-urls", url(peer[i]),
        "--initial-cluster", cluster, "--initial-cluster-token", token};
  };
  {
    // Cluster A: m0 alone.
    auto a = EtcdProcess::StartRaw(OurEtcdBinary(), "foreign-a",
                                   flags(0, "m0=" + url(peer[0]), "cluster-a"), {}, client[0]);
    ASSERT_TRUE(a.ok()) << a.status();
    auto put = a->Etcdctl({"put", "from-a", "1"});
    ASSERT_TRUE(put.ok() && put->exit_code == 0);
    ASSERT_TRUE(a->Stop().ok());
  }
  // Cluster B: m0 (with A's data dir), m1, m2.
  const std::string b = "m0=" + url(peer[0]) + ",m1=" + url(peer[1]) + ",m2=" + url(peer[2]);
  std::vector<EtcdProcess> members;
  for (int i = 0; i < 3; ++i) {
    auto m = EtcdProcess::StartRaw(OurEtcdBinary(), "foreign-b" + std::to_string(i),
                                   flags(i, b, "cluster-b"), {}, client[i],
                                   /*wait_healthy=*/false);
    ASSERT_TRUE(m.ok()) << m.status();
    members.push_back(std::move(*m));
  }
  for (EtcdProcess& m : members) ASSERT_TRUE(m.WaitHealthy().ok()) << m.Log();
  // m0 is still A's only member, with A's data.
  auto list = members[0].Etcdctl({"member", "list"});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(std::count(list->out.begin(), list->out.end(), '\n'), 1) << list->out;
  auto get = members[0].Etcdctl({"get", "from-a", "--print-value-only"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->out, "1\n");
  // B works with two of its three members, and m0 refuses B's messages.
  auto put = members[1].Etcdctl({"put", "from-b", "2"});
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->exit_code, 0) << put->err;
  // B's leader (m1 or m2) is the one that keeps sending to m0.
  auto refused = [&] {
    return members[1].Log().find("cluster ID mismatch") != std::string::npos ||
           members[2].Log().find("cluster ID mismatch") != std::string::npos;
  };
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!refused() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(refused());
  EXPECT_NE(members[0].Log().find("request cluster ID mismatch"), std::string::npos);
}

// Clients write through every member while the leader is killed with SIGKILL: a new leader is
// elected, writes go on, the old leader rejoins after a restart, and every acknowledged write
// is on every member with the revision it was acknowledged with.
TEST(ClusterTest, KillingTheLeaderLosesNoAcknowledgedWrite) {
  EtcdCluster c = StartOurs(3, "failover");
  auto leader = c.WaitForLeader(std::chrono::seconds(10));
  ASSERT_TRUE(leader.ok());

  std::mutex mu;
  std::map<std::string, std::pair<std::string, int64_t>> acked;  // guarded by mu
  Clock::time_point killed_at{};
  Clock::time_point first_ack_after_kill{};  // guarded by mu
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      auto stub = KvStub(c.member(w));
      for (int n = 0; !stop; ++n) {
        const std::string key = "w" + std::to_string(w) + "-" + std::to_string(n);
        const std::string value = "value-" + std::to_string(n);
        grpc::ClientContext ctx;
        // Short, so that a put lost with the dead leader does not hide the failover time.
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
        etcdserverpb::PutRequest req;
        req.set_key(key);
        req.set_value(value);
        etcdserverpb::PutResponse resp;
        const Clock::time_point sent = Clock::now();
        if (!stub->Put(&ctx, req, &resp).ok()) continue;
        std::lock_guard lock(mu);
        acked[key] = {value, resp.header().revision()};
        if (killed_at != Clock::time_point{} && sent > killed_at &&
            first_ack_after_kill == Clock::time_point{}) {
          first_ack_after_kill = Clock::now();
        }
      }
    });
  }
  auto wait_acks = [&](size_t n) {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      {
        std::lock_guard lock(mu);
        if (acked.size() >= n) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  ASSERT_TRUE(wait_acks(200));
  {
    std::lock_guard lock(mu);
    killed_at = Clock::now();
  }
  c.member(*leader).Kill();
  size_t before;
  {
    std::lock_guard lock(mu);
    before = acked.size();
  }
  std::vector<int> survivors;
  for (int i = 0; i < 3; ++i) {
    if (i != *leader) survivors.push_back(i);
  }
  auto new_leader = c.WaitForLeader(std::chrono::seconds(10), survivors);
  ASSERT_TRUE(new_leader.ok()) << "no new leader within 10 s";
  EXPECT_NE(*new_leader, *leader);
  ASSERT_TRUE(wait_acks(before + 200)) << "writes did not resume after the leader died";
  {
    std::lock_guard lock(mu);
    const auto failover = std::chrono::duration_cast<std::chrono::milliseconds>(
        first_ack_after_kill - killed_at);
    std::cerr << "failover: first write acknowledged " << failover.count()
              << " ms after the leader was killed\n";
    // Elections are randomized ([1, 2) election timeouts) and may split; the median is
    // measured by tools/failover, this only catches a cluster that does not recover.
    EXPECT_LT(failover, std::chrono::seconds(15));
  }
  ASSERT_TRUE(c.member(*leader).Restart().ok());
  ASSERT_TRUE(wait_acks(before + 400));
  stop = true;
  for (auto& t : writers) t.join();

  for (int i = 0; i < 3; ++i) {
    auto got = RangePrefix(c.member(i), "w", /*serializable=*/false);
    ASSERT_TRUE(got.ok()) << "member " << i << ": " << got.status();
    for (const auto& [key, want] : acked) {
      auto it = got->find(key);
      ASSERT_NE(it, got->end()) << "member " << i << " lost acknowledged key " << key;
      EXPECT_EQ(it->second, want) << "member " << i << " key " << key;
    }
  }
}

// Five members keep serving without two of them and stop accepting writes without three; the
// cluster recovers when one comes back.
TEST(ClusterTest, FiveMembersSurviveTwoFailuresButNotThree) {
  EtcdCluster c = StartOurs(5, "quorum");
  c.member(3).Kill();
  c.member(4).Kill();
  // A put forwarded to a leader that just died is lost and times out, as with etcd; a client
  // tries again.
  auto put_with_retries = [](const EtcdProcess& m, const std::string& key) {
    absl::StatusOr<CommandResult> put;
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    do {
      put = m.Etcdctl({"put", key, "ok", "--command-timeout=10s"});
    } while (put.ok() && put->exit_code != 0 && Clock::now() < deadline);
    return put;
  };
  auto put = put_with_retries(c.member(0), "after-two");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->exit_code, 0) << put->err;
  c.member(2).Kill();
  put = c.member(0).Etcdctl({"put", "after-three", "no", "--command-timeout=3s"});
  ASSERT_TRUE(put.ok());
  EXPECT_NE(put->exit_code, 0) << "a write succeeded without a quorum";
  EXPECT_FALSE(put->err.empty());
  ASSERT_TRUE(c.member(2).Restart().ok());
  put = put_with_retries(c.member(1), "recovered");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->exit_code, 0) << put->err;
  auto get = c.member(2).Etcdctl({"get", "after-two", "--print-value-only"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->out, "ok\n");
  // The write that timed out may still commit once the quorum is back (its outcome is
  // unknown to the client, as with etcd), so it is not checked.
}

// A member cut off from the others (they are frozen with SIGSTOP) refuses linearizable reads
// and writes with an error, serves serializable reads from its own state, and works again when
// they come back; a frozen follower catches up after SIGCONT.
TEST(ClusterTest, PartitionedMemberServesOnlySerializableReads) {
  EtcdCluster c = StartOurs(3, "partition");
  auto put = c.member(0).Etcdctl({"put", "k", "before"});
  ASSERT_TRUE(put.ok() && put->exit_code == 0);
  // Wait until member 0 has applied it (a linearizable read through it).
  ASSERT_EQ(c.member(0).Etcdctl({"get", "k", "--print-value-only"})->out, "before\n");

  c.member(1).Pause();
  c.member(2).Pause();
  auto get = c.member(0).Etcdctl({"get", "k", "--command-timeout=3s"});
  ASSERT_TRUE(get.ok());
  EXPECT_NE(get->exit_code, 0) << "linearizable read without a quorum: " << get->out;
  get = c.member(0).Etcdctl({"get", "k", "--consistency=s", "--print-value-only"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->exit_code, 0) << get->err;
  EXPECT_EQ(get->out, "before\n");
  put = c.member(0).Etcdctl({"put", "k", "during", "--command-timeout=3s"});
  ASSERT_TRUE(put.ok());
  EXPECT_NE(put->exit_code, 0) << "write without a quorum";
  c.member(1).Resume();
  c.member(2).Resume();
  get = c.member(0).Etcdctl({"get", "k", "--print-value-only", "--command-timeout=15s"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->exit_code, 0) << get->err;

  // A frozen follower misses writes and catches up when it runs again.
  auto leader = c.WaitForLeader(std::chrono::seconds(10));
  ASSERT_TRUE(leader.ok());
  const int frozen = (*leader + 1) % 3;
  const int writer = (*leader + 2) % 3;
  c.member(frozen).Pause();
  for (int i = 0; i < 20; ++i) {
    put = c.member(writer).Etcdctl({"put", "p" + std::to_string(i), std::to_string(i)});
    ASSERT_TRUE(put.ok() && put->exit_code == 0) << (put.ok() ? put->err : "");
  }
  c.member(frozen).Resume();
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  bool caught_up = false;
  while (!caught_up && Clock::now() < deadline) {
    auto got = RangePrefix(c.member(frozen), "p", /*serializable=*/true);
    caught_up = got.ok() && got->size() == 20;
    if (!caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(caught_up) << "the frozen follower did not catch up";
}

}  // namespace
}  // namespace etcd::testing
