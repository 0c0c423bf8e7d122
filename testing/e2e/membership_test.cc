// Run-time membership changes on clusters of our daemon, driven by the real etcdctl 3.4: a
// learner joins an existing cluster, catches up and is promoted; followers and the leader are
// removed (and stop by themselves); leadership is moved; peer URLs are updated; and the errors
// of refused changes are compared with a real etcd 3.4 cluster's.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "testing/etcd_cluster.h"

namespace etcd::testing {
namespace {

using Clock = std::chrono::steady_clock;

// etcd refuses a reconfiguration (--strict-reconfig-check, on by default) until the member
// asked has been connected to every voter for a while; a client tries again.
constexpr char kUnhealthy[] = "etcdserver: unhealthy cluster";

EtcdCluster StartCluster(const std::string& binary, const std::string& name) {
  EtcdCluster::Options options;
  options.binary = binary;
  options.size = 3;
  auto c = EtcdCluster::Start(options, name);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) std::abort();
  return std::move(*c);
}

// A member ID as etcdctl writes it in `member list` and `move-leader` (%x).
std::string Hex(uint64_t id) { return absl::StrCat(absl::Hex(id)); }

// The start of what `etcdctl member add/remove/update/promote` prints: "Member %16x <what>
// cluster", the ID right-aligned on 16 columns ("Member  424dc9cfa761927 added to cluster").
std::string Announcement(const std::string& id, const std::string& what) {
  return absl::StrFormat("Member %16s %s cluster ", id, what);
}

std::string Describe(const absl::StatusOr<CommandResult>& r) {
  if (!r.ok()) return r.status().ToString();
  return absl::StrCat("exit ", r->exit_code, "\nstdout:\n", r->out, "\nstderr:\n", r->err);
}

// The line of etcdctl's stderr that starts with "Error:" (the client's retry warnings, JSON
// lines, come first), or "" if there is none.
std::string ErrorLine(const std::string& err) {
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    if (absl::StartsWith(line, "Error:")) return std::string(line);
  }
  return "";
}

// Runs `run` until it no longer fails with an error containing `transient`, at most `timeout`;
// returns the last outcome.
absl::StatusOr<CommandResult> RetryWhile(
    const std::function<absl::StatusOr<CommandResult>()>& run, const std::string& transient,
    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    absl::StatusOr<CommandResult> r = run();
    if (!r.ok() || r->exit_code == 0 || !absl::StrContains(r->err, transient) ||
        Clock::now() >= deadline) {
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Polls `condition` until it holds, at most `timeout`.
bool PollUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

// One line of `etcdctl member list`:
// "bd090a51e0b082c, started, m2, http://127.0.0.1:P, http://127.0.0.1:C, false".
struct MemberRow {
  std::string id, status, name, peer_urls, client_urls, is_learner;
};

// The members as `etcdctl member list` through `m` shows them, by hex ID.
std::map<std::string, MemberRow> MemberList(const EtcdProcess& m) {
  auto r = m.Etcdctl({"member", "list", "--command-timeout=5s"});
  EXPECT_TRUE(r.ok() && r->exit_code == 0) << Describe(r);
  std::map<std::string, MemberRow> out;
  if (!r.ok()) return out;
  for (absl::string_view line : absl::StrSplit(r->out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ", ");
    EXPECT_EQ(f.size(), 6u) << "unexpected member list line: " << line;
    if (f.size() != 6) continue;
    out[f[0]] = {f[0], f[1], f[2], f[3], f[4], f[5]};
  }
  return out;
}

std::string IdOf(const EtcdCluster& c, int i) {
  auto st = c.Status(i);
  EXPECT_TRUE(st.ok()) << st.status();
  return st.ok() ? Hex(st->id) : "";
}

// `etcdctl member add` prints the new member's settings as shell lines `ETCD_X="value"`.
std::map<std::string, std::string> EnvLines(const std::string& out) {
  std::map<std::string, std::string> env;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, "ETCD_")) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    absl::string_view value = line.substr(eq + 1);
    value = absl::StripSuffix(absl::StripPrefix(value, "\""), "\"");
    env[std::string(line.substr(0, eq))] = std::string(value);
  }
  return env;
}

// A learner added at run time joins from the settings `member add` prints, receives the data
// written before it joined, refuses linearizable reads until it is promoted (which the leader
// allows once it is in sync), and then serves as a voter.
TEST(MembershipTest, AddLearnerJoinPromote) {
  EtcdCluster c = StartCluster(OurEtcdBinary(), "learner");
  for (int i = 0; i < 50; ++i) {
    auto put = c.Etcdctl({"put", "k" + std::to_string(i), "v" + std::to_string(i)});
    ASSERT_TRUE(put.ok() && put->exit_code == 0) << Describe(put);
  }

  const int peer_port = FreePort();
  const int client_port = FreePort();
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port);
  const std::string client = "http://127.0.0.1:" + std::to_string(client_port);
  auto add = RetryWhile(
      [&] { return c.Etcdctl({"member", "add", "m3", "--learner", "--peer-urls", peer}); },
      kUnhealthy);
  ASSERT_TRUE(add.ok() && add->exit_code == 0) << Describe(add);
  // "Member 318c0b53ce181dbf added to cluster e5545212daa18cbe"
  std::vector<std::string> first =
      absl::StrSplit(add->out.substr(0, add->out.find('\n')), ' ', absl::SkipEmpty());
  ASSERT_EQ(first.size(), 6u) << add->out;
  EXPECT_EQ(first[0], "Member");
  EXPECT_EQ(first[2], "added");
  EXPECT_EQ(first[4], "cluster");
  const std::string learner_id = first[1];
  EXPECT_TRUE(absl::StartsWith(add->out, Announcement(learner_id, "added to"))) << add->out;

  std::map<std::string, std::string> env = EnvLines(add->out);
  ASSERT_EQ(env.size(), 4u) << add->out;
  EXPECT_EQ(env["ETCD_NAME"], "m3");
  EXPECT_EQ(env["ETCD_INITIAL_ADVERTISE_PEER_URLS"], peer);
  EXPECT_EQ(env["ETCD_INITIAL_CLUSTER_STATE"], "existing");
  std::vector<std::string> initial = absl::StrSplit(env["ETCD_INITIAL_CLUSTER"], ',');
  std::sort(initial.begin(), initial.end());
  EXPECT_EQ(initial, (std::vector<std::string>{"m0=" + c.peer_url(0), "m1=" + c.peer_url(1),
                                               "m2=" + c.peer_url(2), "m3=" + peer}));
  // Before it starts, the learner is listed as unstarted (no name, no client URL).
  {
    auto members = MemberList(c.member(0));
    ASSERT_EQ(members.size(), 4u);
    const MemberRow& row = members[learner_id];
    EXPECT_EQ(row.status, "unstarted");
    EXPECT_EQ(row.name, "");
    EXPECT_EQ(row.peer_urls, peer);
    EXPECT_EQ(row.is_learner, "true");
  }

  // The settings go in the environment: etcd refuses a setting given both as a flag and there.
  const std::string dir = NewTempDir("learner-m3");
  auto learner = EtcdProcess::StartRaw(OurEtcdBinary(), "learner-m3",
                                       {"--data-dir", dir + "/m3.etcd",
                                        "--listen-peer-urls", peer,
                                        "--listen-client-urls", client,
                                        "--advertise-client-urls", client},
                                       env, client_port, /*wait_healthy=*/false);
  ASSERT_TRUE(learner.ok()) << learner.status();
  // A learner refuses `endpoint health` (a linearizable read), so wait on a serializable get.
  const bool caught_up = PollUntil([&] {
    if (!learner->Running()) return true;
    auto get = learner->Etcdctl(
        {"get", "k49", "--consistency=s", "--print-value-only", "--command-timeout=1s"});
    return get.ok() && get->exit_code == 0 && get->out == "v49\n";
  }, std::chrono::seconds(30));
  ASSERT_TRUE(learner->Running()) << "the learner exited; log:\n" << learner->Log();
  ASSERT_TRUE(caught_up) << "the learner did not receive k49; log:\n" << learner->Log();
  {
    auto keys = learner->Etcdctl({"get", "k", "--prefix", "--keys-only", "--consistency=s"});
    ASSERT_TRUE(keys.ok() && keys->exit_code == 0) << Describe(keys);
    std::vector<std::string> lines = absl::StrSplit(keys->out, '\n', absl::SkipEmpty());
    EXPECT_EQ(lines.size(), 50u) << keys->out;
  }

  auto linearizable = learner->Etcdctl({"get", "k49", "--command-timeout=2s"});
  ASSERT_TRUE(linearizable.ok());
  EXPECT_NE(linearizable->exit_code, 0) << "a learner served a linearizable read";
  EXPECT_TRUE(absl::StrContains(linearizable->err, "etcdserver: rpc not supported for learner"))
      << linearizable->err;

  // Once it has published itself, the learner is listed as started, with its name.
  MemberRow row;
  EXPECT_TRUE(PollUntil([&] {
    row = MemberList(c.member(0))[learner_id];
    return row.status == "started";
  })) << "the learner is not listed as started";
  EXPECT_EQ(row.name, "m3");
  EXPECT_EQ(row.peer_urls, peer);
  EXPECT_EQ(row.client_urls, client);
  EXPECT_EQ(row.is_learner, "true");

  auto promote = RetryWhile(
      [&] { return c.Etcdctl({"member", "promote", learner_id}); },
      "can only promote a learner member which is in sync with leader");
  ASSERT_TRUE(promote.ok() && promote->exit_code == 0) << Describe(promote);
  EXPECT_TRUE(absl::StartsWith(promote->out, Announcement(learner_id, "promoted in")))
      << promote->out;

  auto members = MemberList(c.member(1));
  ASSERT_EQ(members.size(), 4u);
  for (const auto& [id, m] : members) {
    EXPECT_EQ(m.status, "started") << id;
    EXPECT_EQ(m.is_learner, "false") << id;
  }
  // The new voter serves linearizable reads once it has applied its promotion.
  absl::StatusOr<CommandResult> get;
  EXPECT_TRUE(PollUntil([&] {
    get = learner->Etcdctl({"get", "k49", "--print-value-only", "--command-timeout=2s"});
    return get.ok() && get->exit_code == 0;
  })) << Describe(get);
  EXPECT_EQ(get->out, "v49\n");
  auto put = learner->Etcdctl({"put", "from-m3", "yes"});
  ASSERT_TRUE(put.ok() && put->exit_code == 0) << Describe(put);
  get = c.member(0).Etcdctl({"get", "from-m3", "--print-value-only"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->out, "yes\n");
}

// A removed member stops by itself, the leader too; the members left elect a leader among
// themselves and go on accepting writes.
TEST(MembershipTest, RemoveFollowerAndLeader) {
  EtcdCluster c = StartCluster(OurEtcdBinary(), "remove");
  auto leader = c.WaitForLeader(std::chrono::seconds(10));
  ASSERT_TRUE(leader.ok()) << leader.status();
  const int follower = (*leader + 1) % 3;
  const int survivor = (*leader + 2) % 3;
  const std::string leader_id = IdOf(c, *leader);
  const std::string follower_id = IdOf(c, follower);
  const std::string survivor_id = IdOf(c, survivor);

  auto remove = RetryWhile(
      [&] { return c.member(survivor).Etcdctl({"member", "remove", follower_id}); }, kUnhealthy);
  ASSERT_TRUE(remove.ok() && remove->exit_code == 0) << Describe(remove);
  EXPECT_TRUE(absl::StartsWith(remove->out, Announcement(follower_id, "removed from")))
      << remove->out;
  EXPECT_TRUE(PollUntil([&] { return !c.member(follower).Running(); },
                        std::chrono::seconds(10)))
      << "the removed follower still runs; log:\n" << c.member(follower).Log();
  auto members = MemberList(c.member(survivor));
  EXPECT_EQ(members.size(), 2u);
  EXPECT_EQ(members.count(follower_id), 0u);
  EXPECT_EQ(members.count(leader_id), 1u);
  EXPECT_EQ(members.count(survivor_id), 1u);

  // The leader is removed through the follower left.
  remove = RetryWhile(
      [&] { return c.member(survivor).Etcdctl({"member", "remove", leader_id}); }, kUnhealthy);
  ASSERT_TRUE(remove.ok() && remove->exit_code == 0) << Describe(remove);
  EXPECT_TRUE(absl::StartsWith(remove->out, Announcement(leader_id, "removed from")))
      << remove->out;
  EXPECT_TRUE(PollUntil([&] { return !c.member(*leader).Running(); },
                        std::chrono::seconds(10)))
      << "the removed leader still runs; log:\n" << c.member(*leader).Log();

  auto new_leader = c.WaitForLeader(std::chrono::seconds(10), {survivor});
  ASSERT_TRUE(new_leader.ok()) << "the member left did not become leader";
  // A put can time out while the election runs; a client tries again.
  absl::StatusOr<CommandResult> put;
  EXPECT_TRUE(PollUntil([&] {
    put = c.member(survivor).Etcdctl({"put", "after-removals", "ok", "--command-timeout=3s"});
    return put.ok() && put->exit_code == 0;
  })) << Describe(put);
  auto get = c.member(survivor).Etcdctl({"get", "after-removals", "--print-value-only"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->out, "ok\n");
  members = MemberList(c.member(survivor));
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members.begin()->first, survivor_id);
}

// `move-leader` hands leadership to the follower named, and every member sees it lead.
TEST(MembershipTest, MoveLeader) {
  EtcdCluster c = StartCluster(OurEtcdBinary(), "move");
  auto leader = c.WaitForLeader(std::chrono::seconds(10));
  ASSERT_TRUE(leader.ok()) << leader.status();
  const int target = (*leader + 1) % 3;
  auto target_status = c.Status(target);
  ASSERT_TRUE(target_status.ok()) << target_status.status();
  const uint64_t target_id = target_status->id;
  const std::string leader_id = IdOf(c, *leader);

  auto move = c.Etcdctl({"move-leader", Hex(target_id), "--command-timeout=10s"});
  ASSERT_TRUE(move.ok() && move->exit_code == 0) << Describe(move);
  EXPECT_TRUE(absl::StrContains(move->out, "Leadership transferred from"));
  EXPECT_EQ(move->out,
            "Leadership transferred from " + leader_id + " to " + Hex(target_id) + "\n");
  auto st = c.Status(target);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->leader, target_id) << "the transferee does not lead after move-leader returned";
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(PollUntil([&] {
      auto s = c.Status(i);
      return s.ok() && s->leader == target_id;
    }, std::chrono::seconds(10))) << "member " << i << " does not see the new leader";
  }
  auto put = c.member(*leader).Etcdctl({"put", "after-move", "ok"});
  ASSERT_TRUE(put.ok() && put->exit_code == 0) << Describe(put);
}

// `member update` with a member's own peer URL is accepted and changes nothing; a URL another
// member has is refused.
TEST(MembershipTest, UpdatePeerUrls) {
  EtcdCluster c = StartCluster(OurEtcdBinary(), "update");
  auto leader = c.WaitForLeader(std::chrono::seconds(10));
  ASSERT_TRUE(leader.ok()) << leader.status();
  const int follower = (*leader + 1) % 3;
  const std::string follower_id = IdOf(c, follower);
  const auto before = MemberList(c.member(0));
  ASSERT_EQ(before.size(), 3u);

  auto update =
      c.Etcdctl({"member", "update", follower_id, "--peer-urls=" + c.peer_url(follower)});
  ASSERT_TRUE(update.ok() && update->exit_code == 0) << Describe(update);
  EXPECT_TRUE(absl::StartsWith(update->out, Announcement(follower_id, "updated in")))
      << update->out;
  auto after = MemberList(c.member(follower));
  ASSERT_EQ(after.size(), 3u);
  const MemberRow& row = after[follower_id];
  EXPECT_EQ(row.status, "started");
  EXPECT_EQ(row.name, "m" + std::to_string(follower));
  EXPECT_EQ(row.peer_urls, c.peer_url(follower));
  EXPECT_EQ(row.is_learner, "false");
  for (const auto& [id, m] : before) {
    EXPECT_EQ(after[id].peer_urls, m.peer_urls) << id;
    EXPECT_EQ(after[id].client_urls, m.client_urls) << id;
  }

  const int other = (*leader + 2) % 3;
  update = c.Etcdctl({"member", "update", follower_id, "--peer-urls=" + c.peer_url(other),
                      "--command-timeout=5s"});
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->exit_code, 1) << Describe(update);
  EXPECT_EQ(ErrorLine(update->err), "Error: etcdserver: Peer URLs already exists") << update->err;
  EXPECT_EQ(MemberList(c.member(0))[follower_id].peer_urls, c.peer_url(follower));

  auto put = c.member(follower).Etcdctl({"put", "after-update", "ok"});
  ASSERT_TRUE(put.ok() && put->exit_code == 0) << Describe(put);
}

// Refused membership changes fail as with etcd: the same exit code and the same error line.
TEST(MembershipTest, ErrorsMatchRealEtcd) {
  struct Outcome {
    int exit_code;
    std::string error;
    bool operator==(const Outcome&) const = default;
  };
  // The cases in order (the last two add learners, which stay), each with its outcome.
  auto run_cases = [](const EtcdCluster& c) {
    std::vector<std::pair<std::string, Outcome>> out;
    auto run = [&](const std::string& name, std::vector<std::string> args) {
      args.push_back("--command-timeout=5s");
      auto r = RetryWhile([&] { return c.Etcdctl(args); }, kUnhealthy);
      EXPECT_TRUE(r.ok()) << name << ": " << r.status();
      if (!r.ok()) return;
      out.push_back({name, {r->exit_code, ErrorLine(r->err)}});
    };
    const std::string voter = IdOf(c, 0);
    run("remove unknown", {"member", "remove", "1234abcd"});
    run("promote voter", {"member", "promote", voter});
    run("add taken URL", {"member", "add", "x", "--peer-urls=" + c.peer_url(1)});
    run("update unknown", {"member", "update", "1234abcd", "--peer-urls=http://127.0.0.1:1"});
    run("move-leader unknown", {"move-leader", "1234abcd"});
    run("add learner l1", {"member", "add", "l1", "--learner", "--peer-urls",
                           "http://127.0.0.1:" + std::to_string(FreePort())});
    run("add learner l2", {"member", "add", "l2", "--learner", "--peer-urls",
                           "http://127.0.0.1:" + std::to_string(FreePort())});
    return out;
  };
  EtcdCluster real = StartCluster(kRealEtcd, "errors-real");
  EtcdCluster ours = StartCluster(OurEtcdBinary(), "errors-ours");
  const auto want = run_cases(real);
  const auto got = run_cases(ours);
  // What etcd 3.4.23 answers, so that a change of oracle does not pass unnoticed.
  const std::vector<std::pair<std::string, Outcome>> expected = {
      {"remove unknown", {1, "Error: etcdserver: member not found"}},
      {"promote voter", {1, "Error: etcdserver: can only promote a learner member"}},
      {"add taken URL", {1, "Error: etcdserver: Peer URLs already exists"}},
      {"update unknown", {1, "Error: etcdserver: member not found"}},
      {"move-leader unknown", {1, "Error: etcdserver: bad leader transferee"}},
      {"add learner l1", {0, ""}},
      {"add learner l2", {1, "Error: etcdserver: too many learner members in cluster"}},
  };
  ASSERT_EQ(want.size(), expected.size());
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(want[i].second, expected[i].second)
        << "real etcd, " << want[i].first << ": exit " << want[i].second.exit_code << ", "
        << want[i].second.error;
    EXPECT_EQ(got[i].second, want[i].second)
        << got[i].first << ": ours exit " << got[i].second.exit_code << ", \""
        << got[i].second.error << "\"; etcd exit " << want[i].second.exit_code << ", \""
        << want[i].second.error << "\"";
  }
}

}  // namespace
}  // namespace etcd::testing
