// ReadIndex (Raft thesis, section 6.4): linearizable reads without appending to the log.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "raft/rafttest/network.h"
#include "raft/raw_node.h"

namespace etcd::raft {
namespace {

using rafttest::Network;
using rafttest::NetworkOptions;

// Thesis 6.4: the leader records its commit index as the read index, confirms it is still
// leader with a heartbeat round acknowledged by a majority, then answers.
TEST(ReadIndexTest, LeaderAnswersAfterHeartbeatQuorum) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  ASSERT_TRUE(net.Propose(1, "x").ok());
  net.Stabilize();
  const uint64_t commit = net.node(1).GetStatus().hard_state.commit();

  int heartbeats_with_ctx = 0;
  net.SetDropFilter([&](const raftpb::Message& m) {
    if (m.type() == raftpb::MSG_HEARTBEAT && m.context() == "r1") ++heartbeats_with_ctx;
    return false;
  });
  net.node(1).ReadIndex("r1");
  net.Stabilize();
  EXPECT_EQ(heartbeats_with_ctx, 2);
  ASSERT_EQ(net.member(1).read_states.size(), 1u);
  EXPECT_EQ(net.member(1).read_states[0], (ReadState{commit, "r1"}));
}

// A follower forwards the request; the leader answers it with MsgReadIndexResp.
TEST(ReadIndexTest, FollowerGetsReadIndexFromLeader) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  ASSERT_TRUE(net.Propose(1, "x").ok());
  net.Stabilize();
  const uint64_t commit = net.node(1).GetStatus().hard_state.commit();
  net.node(2).ReadIndex("from-2");
  net.Stabilize();
  ASSERT_EQ(net.member(2).read_states.size(), 1u);
  EXPECT_EQ(net.member(2).read_states[0], (ReadState{commit, "from-2"}));
  EXPECT_TRUE(net.member(1).read_states.empty());
}

TEST(ReadIndexTest, SeveralRequestsAreAnsweredInOrder) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.node(1).ReadIndex("a");
  net.node(1).ReadIndex("b");
  // The read index is the commit index when the request arrives: "x" is appended, not
  // committed yet, so "b" does not cover it...
  ASSERT_TRUE(net.Propose(1, "x").ok());
  net.Stabilize();
  // ...while "c", after the commit, does.
  net.node(1).ReadIndex("c");
  net.Stabilize();
  ASSERT_EQ(net.member(1).read_states.size(), 3u);
  EXPECT_EQ(net.member(1).read_states[0].request_ctx, "a");
  EXPECT_EQ(net.member(1).read_states[1].request_ctx, "b");
  EXPECT_EQ(net.member(1).read_states[2].request_ctx, "c");
  EXPECT_GT(net.member(1).read_states[2].index, net.member(1).read_states[0].index);
}

// A leader cut off from the majority cannot confirm leadership: no read state (it might be
// deposed, and a read from it could be stale).
TEST(ReadIndexTest, IsolatedLeaderCannotAnswer) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.Isolate(1);
  net.node(1).ReadIndex("r");
  net.TickAndStabilize(5);
  EXPECT_TRUE(net.member(1).read_states.empty());
}

// Thesis 6.4 step 1: a new leader answers only once it has committed an entry of its term
// (before that it does not know the latest commit index).
TEST(ReadIndexTest, NewLeaderWaitsForItsFirstCommit) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  // Acknowledgments of the new leader's first entry are lost.
  net.SetDropFilter([](const raftpb::Message& m) { return m.type() == raftpb::MSG_APP_RESP; });
  ASSERT_TRUE(net.Elect(1));
  net.node(1).ReadIndex("early");
  net.Stabilize();
  EXPECT_TRUE(net.member(1).read_states.empty());
  net.SetDropFilter(nullptr);
  net.TickAndStabilize(2);
  ASSERT_EQ(net.member(1).read_states.size(), 1u);
  EXPECT_EQ(net.member(1).read_states[0].request_ctx, "early");
  EXPECT_EQ(net.member(1).read_states[0].index, 4u);  // 3 bootstrap entries + the empty one
}

TEST(ReadIndexTest, NoLeaderDropsTheRequest) {
  Network net;
  net.Bootstrap(3);
  net.Stabilize();
  net.node(2).ReadIndex("r");
  net.Stabilize();
  EXPECT_TRUE(net.member(2).read_states.empty());
}

// Thesis 6.4.1: with a lease (check-quorum on) the leader answers without a round trip.
TEST(ReadIndexTest, LeaseBasedAnswersWithoutHeartbeat) {
  NetworkOptions o;
  o.check_quorum = true;
  o.read_only_option = ReadOnlyOption::kLeaseBased;
  Network net(o);
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.Isolate(1);  // nobody to ask, yet the lease answers
  net.node(1).ReadIndex("lease");
  net.Stabilize();
  ASSERT_EQ(net.member(1).read_states.size(), 1u);
  EXPECT_EQ(net.member(1).read_states[0].request_ctx, "lease");
}

}  // namespace
}  // namespace etcd::raft
