// Log replication (Raft paper, section 5.3) and safety (section 5.4), driven through RawNode's
// Ready loop on the in-memory network.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "raft/errors.h"
#include "raft/rafttest/network.h"
#include "raft/raw_node.h"

namespace etcd::raft {
namespace {

using rafttest::Network;
using rafttest::NetworkOptions;

std::vector<std::pair<uint64_t, uint64_t>> LogOf(const MemoryStorage& s) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint64_t i = *s.FirstIndex(); i <= *s.LastIndex(); ++i) out.push_back({i, *s.Term(i)});
  return out;
}

raftpb::Entry E(uint64_t index, uint64_t term, std::string data = "") {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(std::move(data));
  return e;
}

// A storage with a snapshot at (1, 1) naming voters 1..3, then `ents`, then `hs`.
std::unique_ptr<MemoryStorage> MakeStorage(Logger* logger, const std::vector<raftpb::Entry>& ents,
                                           uint64_t term, uint64_t vote, uint64_t commit) {
  auto s = std::make_unique<MemoryStorage>(logger);
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(1);
  snap.mutable_metadata()->set_term(1);
  for (uint64_t v : {1, 2, 3}) snap.mutable_metadata()->mutable_conf_state()->add_voters(v);
  EXPECT_TRUE(s->ApplySnapshot(snap).ok());
  EXPECT_TRUE(s->Append(ents).ok());
  raftpb::HardState hs;
  hs.set_term(term);
  hs.set_vote(vote);
  hs.set_commit(commit);
  EXPECT_TRUE(s->SetHardState(hs).ok());
  return s;
}

// Section 5.3: the leader appends, replicates, and once an entry is on a majority it is
// committed and applied by every member, in log order (figure 3, State Machine Safety).
TEST(ReplicationTest, ThreeNodesApplyTheSameEntriesInTheSameOrder) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  std::vector<std::string> want;
  for (int i = 0; i < 20; ++i) {
    want.push_back("v" + std::to_string(i));
    ASSERT_TRUE(net.Propose(1, want.back()).ok());
    if (i % 3 == 0) net.Stabilize();  // mix batched and single proposals
  }
  net.Stabilize();
  for (uint64_t id : net.ids()) {
    EXPECT_EQ(net.member(id).state, want) << "member " << id;
    EXPECT_EQ(LogOf(*net.member(id).storage), LogOf(*net.member(1).storage)) << id;
    EXPECT_EQ(net.node(id).GetStatus().hard_state.commit(), net.member(id).applied_index);
  }
  Status st = net.node(1).GetStatus();
  for (uint64_t id : net.ids()) {
    EXPECT_EQ(st.progress[id].match, *net.member(1).storage->LastIndex()) << id;
    EXPECT_EQ(st.progress[id].state, ProgressState::kReplicate) << id;
  }
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

// Proposals made on a follower are forwarded to the leader (MsgProp).
TEST(ReplicationTest, FollowerForwardsProposalsToTheLeader) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  ASSERT_TRUE(net.Propose(2, "from-2").ok());
  ASSERT_TRUE(net.Propose(3, "from-3").ok());
  net.Stabilize();
  for (uint64_t id : net.ids()) {
    EXPECT_EQ(net.member(id).state, (std::vector<std::string>{"from-2", "from-3"})) << id;
  }
}

TEST(ReplicationTest, ForwardingCanBeDisabled) {
  NetworkOptions o;
  Network net(o);
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  Config c = net.MakeConfig(4, nullptr);
  auto storage = std::make_unique<MemoryStorage>(net.logger());
  c.storage = storage.get();
  c.disable_proposal_forwarding = true;
  auto node = *RawNode::Create(c);
  // A follower that knows its leader but must not forward.
  raftpb::Message hb;
  hb.set_type(raftpb::MSG_HEARTBEAT);
  hb.set_from(1);
  hb.set_to(4);
  hb.set_term(2);
  ASSERT_TRUE(node->Step(hb).ok());
  EXPECT_EQ(node->Lead(), 1u);
  EXPECT_TRUE(IsErrProposalDropped(node->Propose("x")));
}

// Section 5.3: "the leader handles inconsistencies by forcing the followers' logs to
// duplicate its own": a follower's conflicting uncommitted entries are overwritten.
TEST(ReplicationTest, DivergentUncommittedFollowerLogIsOverwritten) {
  Network net;
  // 1 and 2 have (2,1) (3,3): node 1 led term 3 and replicated to 2.
  net.AddMember(1, MakeStorage(net.logger(), {E(2, 1, "a"), E(3, 3, "b")}, 3, 1, 2));
  net.AddMember(2, MakeStorage(net.logger(), {E(2, 1, "a"), E(3, 3, "b")}, 3, 1, 2));
  // 3 led term 2 while partitioned and appended (3,2) (4,2) (5,2), never committed.
  net.AddMember(3, MakeStorage(net.logger(), {E(2, 1, "a"), E(3, 2, "x"), E(4, 2, "y"),
                                              E(5, 2, "z")},
                               2, 3, 2));
  net.Stabilize();
  // 3's log is longer but has an older last term: it is less up-to-date (section 5.4.1).
  ASSERT_TRUE(net.Elect(1));
  ASSERT_TRUE(net.Propose(1, "c").ok());
  net.Stabilize();
  const auto want = LogOf(*net.member(1).storage);
  EXPECT_EQ(want, (std::vector<std::pair<uint64_t, uint64_t>>{{2, 1}, {3, 3}, {4, 4}, {5, 4}}));
  for (uint64_t id : net.ids()) {
    EXPECT_EQ(LogOf(*net.member(id).storage), want) << "member " << id;
    // Entry 2 was committed but not applied before the restart (Config::applied = 0).
    EXPECT_EQ(net.member(id).state, (std::vector<std::string>{"a", "b", "c"})) << "member " << id;
  }
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

// Section 5.3: a follower that is far behind is probed back (reject + hint) until the
// logs match, then streamed.
TEST(ReplicationTest, LaggingFollowerIsProbedBackAndCaughtUp) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.Isolate(3);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(net.Propose(1, "e" + std::to_string(i)).ok());
  net.Stabilize();
  EXPECT_TRUE(net.member(3).state.empty());
  net.Heal();
  net.TickAndStabilize(2);
  EXPECT_EQ(net.member(3).state.size(), 30u);
  EXPECT_EQ(LogOf(*net.member(3).storage), LogOf(*net.member(1).storage));
}

// Section 5.3: an entry is committed once replicated on a majority; a leader cut off from
// the majority commits nothing, and the majority goes on without it.
TEST(ReplicationTest, PartitionedMinorityCannotCommit) {
  Network net;
  net.Bootstrap(5);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  const uint64_t commit = net.node(1).GetStatus().hard_state.commit();
  net.Partition({1, 2});
  ASSERT_TRUE(net.Propose(1, "minority").ok());
  net.TickAndStabilize(5);
  EXPECT_EQ(net.node(1).GetStatus().hard_state.commit(), commit);
  EXPECT_TRUE(net.member(1).state.empty());
  EXPECT_TRUE(net.member(2).state.empty());

  ASSERT_TRUE(net.Elect(3));
  ASSERT_TRUE(net.Propose(3, "majority").ok());
  net.Stabilize();
  for (uint64_t id : {3, 4, 5}) {
    EXPECT_EQ(net.member(id).state, std::vector<std::string>{"majority"}) << id;
  }
  net.Heal();
  net.TickAndStabilize(3);
  for (uint64_t id : net.ids()) {
    EXPECT_EQ(net.member(id).state, std::vector<std::string>{"majority"}) << id;
  }
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

// Heartbeats carry min(match, commit) so that a follower never commits entries it may not
// have (etcd raft.go sendHeartbeat).
TEST(ReplicationTest, HeartbeatCommitNeverExceedsFollowerMatch) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  int heartbeats = 0;
  bool violated = false;
  net.SetDropFilter([&](const raftpb::Message& m) {
    if (m.type() == raftpb::MSG_HEARTBEAT && m.from() == 1) {
      ++heartbeats;
      if (m.commit() > net.node(1).GetStatus().progress[m.to()].match) violated = true;
    }
    // Node 3 gets heartbeats but no appends.
    return m.to() == 3 && m.type() == raftpb::MSG_APP;
  });
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(net.Propose(1, "x").ok());
  net.TickAndStabilize(5);
  EXPECT_GT(heartbeats, 0);
  EXPECT_FALSE(violated);
  EXPECT_TRUE(net.member(3).state.empty());
  EXPECT_EQ(net.member(1).state.size(), 5u);
}

// Flow control: in replicate state at most max_inflight_msgs MsgApps are unacknowledged.
TEST(ReplicationTest, InflightWindowLimitsUnacknowledgedAppends) {
  NetworkOptions o;
  o.max_inflight_msgs = 3;
  o.max_size_per_msg = 0;  // one entry per MsgApp
  Network net(o);
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  int apps_to_2 = 0;
  net.SetDropFilter([&](const raftpb::Message& m) {
    if (m.to() == 2 && m.type() == raftpb::MSG_APP && m.entries_size() > 0) ++apps_to_2;
    // 2's acknowledgments are lost.
    return m.from() == 2 && m.type() == raftpb::MSG_APP_RESP;
  });
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(net.Propose(1, "x").ok());
    net.Stabilize();
  }
  EXPECT_EQ(apps_to_2, 3);
  EXPECT_TRUE(net.node(1).GetStatus().progress[2].paused);
  // Entries still commit through 3.
  EXPECT_EQ(net.member(1).state.size(), 10u);
  net.SetDropFilter(nullptr);
  net.TickAndStabilize(3);
  EXPECT_EQ(net.member(2).state.size(), 10u);
}

// ReportUnreachable moves a replicating follower back to probing.
TEST(ReplicationTest, ReportUnreachableProbesAgain) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  ASSERT_EQ(net.node(1).GetStatus().progress[2].state, ProgressState::kReplicate);
  net.node(1).ReportUnreachable(2);
  EXPECT_EQ(net.node(1).GetStatus().progress[2].state, ProgressState::kProbe);
  ASSERT_TRUE(net.Propose(1, "x").ok());
  net.Stabilize();
  EXPECT_EQ(net.node(1).GetStatus().progress[2].state, ProgressState::kReplicate);
  EXPECT_EQ(net.member(2).state.size(), 1u);
}

TEST(ReplicationTest, UncommittedSizeLimitDropsProposals) {
  Network net;
  Config c = net.MakeConfig(1, nullptr);
  auto storage = MakeStorage(net.logger(), {}, 0, 0, 1);
  c.storage = storage.get();
  c.max_uncommitted_entries_size = 10;
  auto node = *RawNode::Create(c);
  ASSERT_TRUE(node->Campaign().ok());
  ASSERT_TRUE(node->Campaign().ok());
  // 3 voters and nobody answers: nothing commits. The first proposal always fits.
  raftpb::Message grant;
  grant.set_type(raftpb::MSG_VOTE_RESP);
  grant.set_from(2);
  grant.set_to(1);
  grant.set_term(node->Term());
  ASSERT_TRUE(node->Step(grant).ok());
  ASSERT_EQ(node->Role(), StateType::kLeader);
  EXPECT_TRUE(node->Propose(std::string(8, 'a')).ok());
  EXPECT_TRUE(IsErrProposalDropped(node->Propose(std::string(8, 'b'))));
  EXPECT_TRUE(node->Propose("").ok());  // nothing to count
}

// Thesis 4.3: a ConfChangeV2 with several changes goes through the joint configuration
// C_{old,new}; with auto-leave the leader proposes leaving it once it is applied.
TEST(ReplicationTest, JointConsensusWithAutoLeave) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.AddMember(4, std::make_unique<MemoryStorage>(net.logger()));
  net.AddMember(5, std::make_unique<MemoryStorage>(net.logger()));
  raftpb::ConfChangeV2 cc;
  for (uint64_t id : {4, 5}) {
    raftpb::ConfChangeSingle* c = cc.add_changes();
    c->set_type(raftpb::CONF_CHANGE_ADD_NODE);
    c->set_node_id(id);
  }
  raftpb::ConfChangeSingle* rm = cc.add_changes();
  rm->set_type(raftpb::CONF_CHANGE_REMOVE_NODE);
  rm->set_node_id(3);
  ASSERT_TRUE(net.node(1).ProposeConfChange(cc).ok());
  net.Stabilize();
  net.TickAndStabilize(3);
  for (uint64_t id : {1, 2, 4, 5}) {
    Status st = net.node(id).GetStatus();
    EXPECT_EQ(st.voters, (std::vector<uint64_t>{1, 2, 4, 5})) << id;
    EXPECT_TRUE(st.voters_outgoing.empty()) << id;
  }
  // The new configuration commits without 3.
  net.Isolate(3);
  ASSERT_TRUE(net.Propose(1, "after").ok());
  net.Stabilize();
  for (uint64_t id : {1, 2, 4, 5}) EXPECT_EQ(net.member(id).state.back(), "after") << id;
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

// A second change is refused (turned into an empty entry) while one is pending.
TEST(ReplicationTest, OnlyOneConfChangePendingAtATime) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.Isolate(2);
  net.Isolate(3);  // nothing commits: the first change stays pending
  raftpb::ConfChange add4;
  add4.set_type(raftpb::CONF_CHANGE_ADD_NODE);
  add4.set_node_id(4);
  raftpb::ConfChange add5 = add4;
  add5.set_node_id(5);
  ASSERT_TRUE(net.node(1).ProposeConfChange(add4).ok());
  ASSERT_TRUE(net.node(1).ProposeConfChange(add5).ok());
  net.Stabilize();
  net.Heal();
  net.TickAndStabilize(3);
  EXPECT_EQ(net.node(1).GetStatus().voters, (std::vector<uint64_t>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace etcd::raft
