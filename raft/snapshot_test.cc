// Snapshots (Raft paper, section 7): a follower that needs compacted entries receives the
// leader's snapshot (MsgSnap, InstallSnapshot) and continues from it.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "raft/errors.h"
#include "raft/rafttest/network.h"
#include "raft/raw_node.h"

namespace etcd::raft {
namespace {

using rafttest::Network;

std::vector<std::string> Values(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("v" + std::to_string(i));
  return out;
}

// Section 7: "the leader must occasionally send snapshots to followers that lag behind" when
// "the leader has already discarded the next log entry that it needs to send".
TEST(SnapshotTest, LaggingFollowerCatchesUpFromSnapshotAfterCompaction) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.Isolate(3);
  for (const std::string& v : Values(0, 20)) ASSERT_TRUE(net.Propose(1, v).ok());
  net.Stabilize();
  net.SnapshotAndCompact(1);
  const uint64_t snap_index = net.member(1).applied_index;
  EXPECT_TRUE(IsErrCompacted(net.member(1).storage->Term(snap_index - 1).status()));

  int snaps = 0;
  net.SetDropFilter([&](const raftpb::Message& m) {
    if (m.type() == raftpb::MSG_SNAP) ++snaps;
    return false;
  });
  net.Heal();
  net.TickAndStabilize(3);
  EXPECT_EQ(snaps, 1);
  EXPECT_EQ(net.member(3).snapshots_restored, 1);
  EXPECT_EQ(net.member(3).state, Values(0, 20));
  EXPECT_EQ(*net.member(3).storage->FirstIndex(), snap_index + 1);
  EXPECT_EQ(net.node(1).GetStatus().progress[3].state, ProgressState::kReplicate);

  // Replication continues normally after the snapshot.
  for (const std::string& v : Values(20, 25)) ASSERT_TRUE(net.Propose(1, v).ok());
  net.Stabilize();
  for (uint64_t id : net.ids()) EXPECT_EQ(net.member(id).state, Values(0, 25)) << id;
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

// The Ready that carries the snapshot: restored config and commit, committed entries resume
// after it.
TEST(SnapshotTest, FollowerRestoresFromMsgSnap) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  raftpb::Message m;
  m.set_type(raftpb::MSG_SNAP);
  m.set_from(1);
  m.set_to(2);
  m.set_term(5);
  raftpb::SnapshotMetadata* md = m.mutable_snapshot()->mutable_metadata();
  md->set_index(11);
  md->set_term(5);
  for (uint64_t v : {1, 2, 3}) md->mutable_conf_state()->add_voters(v);
  m.mutable_snapshot()->set_data(rafttest::EncodeState({"s"}));
  ASSERT_TRUE(net.node(2).Step(m).ok());
  Ready rd = net.node(2).GetReady();
  EXPECT_EQ(rd.snapshot.metadata().index(), 11u);
  EXPECT_EQ(rd.hard_state.commit(), 11u);
  EXPECT_EQ(rd.hard_state.term(), 5u);
  EXPECT_TRUE(rd.committed_entries.empty());
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].type(), raftpb::MSG_APP_RESP);
  EXPECT_EQ(rd.messages[0].index(), 11u);
  ASSERT_TRUE(net.member(2).storage->ApplySnapshot(rd.snapshot).ok());
  ASSERT_TRUE(net.member(2).storage->SetHardState(rd.hard_state).ok());
  net.node(2).Advance();
  EXPECT_FALSE(net.node(2).HasReady());
  EXPECT_EQ(net.node(2).GetStatus().applied, 11u);
  EXPECT_EQ(net.node(2).Lead(), 1u);
}

// Regression (found by //testing/raft_sim, seed 1558): a follower that restored a snapshot
// from the leader and campaigns before the application handled that Ready must not abort.
// The entries between its applied index and the snapshot are gone from its log; the
// snapshot's ConfState is already in force, so there is no pending configuration change to
// wait for. (etcd 3.4 panics here: "unexpected error getting unapplied entries",
// etcd-io/etcd#9079.)
TEST(SnapshotTest, CampaignAfterRestoringSnapshotBeforeApplyingIt) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  raftpb::Message m;
  m.set_type(raftpb::MSG_SNAP);
  m.set_from(1);
  m.set_to(2);
  m.set_term(5);
  raftpb::SnapshotMetadata* md = m.mutable_snapshot()->mutable_metadata();
  md->set_index(11);
  md->set_term(5);
  for (uint64_t v : {1, 2, 3}) md->mutable_conf_state()->add_voters(v);
  m.mutable_snapshot()->set_data(rafttest::EncodeState({"s"}));
  ASSERT_TRUE(net.node(2).Step(m).ok());
  // Applied is still 3 (the bootstrap), committed 11, first index 12: campaign now.
  ASSERT_TRUE(net.node(2).Campaign().ok());
  EXPECT_EQ(net.node(2).Role(), StateType::kCandidate);
  EXPECT_EQ(net.node(2).Term(), 6u);
  Ready rd = net.node(2).GetReady();
  EXPECT_EQ(rd.snapshot.metadata().index(), 11u);
  net.node(2).Advance();
}

// A snapshot older than the follower's commit index is ignored (answered with the commit).
TEST(SnapshotTest, StaleSnapshotIsIgnored) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  raftpb::Message m;
  m.set_type(raftpb::MSG_SNAP);
  m.set_from(1);
  m.set_to(2);
  m.set_term(1);
  m.mutable_snapshot()->mutable_metadata()->set_index(2);
  m.mutable_snapshot()->mutable_metadata()->set_term(1);
  m.mutable_snapshot()->mutable_metadata()->mutable_conf_state()->add_voters(2);
  ASSERT_TRUE(net.node(2).Step(m).ok());
  Ready rd = net.node(2).GetReady();
  EXPECT_TRUE(IsEmptySnap(rd.snapshot));
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].index(), 3u);  // the bootstrap commit
  net.node(2).Advance();
}

// If sending the snapshot fails, the leader probes again and resends it later.
TEST(SnapshotTest, FailedSnapshotIsRetried) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.Isolate(3);
  for (const std::string& v : Values(0, 5)) ASSERT_TRUE(net.Propose(1, v).ok());
  net.Stabilize();
  net.SnapshotAndCompact(1);
  // Messages reach 3 but every MsgSnap is lost (reported as failed by the transport).
  bool drop_snaps = true;
  int snaps = 0;
  net.Heal();
  net.SetDropFilter([&](const raftpb::Message& m) {
    if (m.type() != raftpb::MSG_SNAP) return false;
    ++snaps;
    if (drop_snaps) net.node(1).ReportSnapshot(m.to(), SnapshotStatus::kFailure);
    return drop_snaps;
  });
  net.TickAndStabilize(3);
  EXPECT_GE(snaps, 1);
  EXPECT_TRUE(net.member(3).state.empty());
  drop_snaps = false;
  net.TickAndStabilize(3);
  EXPECT_EQ(net.member(3).state, Values(0, 5));
}

// A member added after compaction catches up through the snapshot too.
TEST(SnapshotTest, NewMemberCatchesUpFromSnapshot) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  for (const std::string& v : Values(0, 10)) ASSERT_TRUE(net.Propose(1, v).ok());
  net.Stabilize();
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_ADD_NODE);
  cc.set_node_id(4);
  ASSERT_TRUE(net.node(1).ProposeConfChange(cc).ok());
  net.Stabilize();
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(net.node(id).GetStatus().voters, (std::vector<uint64_t>{1, 2, 3, 4})) << id;
  }
  net.SnapshotAndCompact(1);
  net.AddMember(4, std::make_unique<MemoryStorage>(net.logger()));
  net.TickAndStabilize(3);
  EXPECT_EQ(net.member(4).snapshots_restored, 1);
  EXPECT_EQ(net.member(4).state, Values(0, 10));
  EXPECT_EQ(net.node(4).GetStatus().voters, (std::vector<uint64_t>{1, 2, 3, 4}));
  ASSERT_TRUE(net.Propose(1, "after").ok());
  net.Stabilize();
  EXPECT_EQ(net.member(4).state.back(), "after");
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

}  // namespace
}  // namespace etcd::raft
