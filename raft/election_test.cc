// Leader election (Raft paper, section 5.2; safety restriction of section 5.4.1; pre-vote and
// check-quorum from the Raft thesis, sections 9.6 and 6.2), driven through RawNode's Ready loop
// on the in-memory network.
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "raft/errors.h"
#include "raft/rafttest/network.h"
#include "raft/raw_node.h"

namespace etcd::raft {
namespace {

using rafttest::Network;
using rafttest::NetworkOptions;

NetworkOptions Options(uint64_t seed = 1) {
  NetworkOptions o;
  o.seed = seed;
  return o;
}

// Ticks until some member leads; returns the number of ticks, or -1 after `max_ticks`.
int TickUntilLeader(Network& net, int max_ticks) {
  for (int t = 1; t <= max_ticks; ++t) {
    net.TickAll();
    net.Stabilize();
    if (net.Leader() != kNone) return t;
  }
  return -1;
}

// Section 5.2: "If a follower receives no communication over a period of time called the
// election timeout, then it assumes there is no viable leader and begins an election."
TEST(ElectionTest, SingleNodeBecomesLeaderAfterElectionTimeout) {
  Network net(Options());
  net.Bootstrap(1);
  net.Stabilize();
  int ticks = TickUntilLeader(net, 100);
  EXPECT_GE(ticks, 10);
  EXPECT_LT(ticks, 20);
  EXPECT_EQ(net.Leader(), 1u);
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

// Section 5.2: "Raft uses randomized election timeouts ... chosen randomly from a fixed
// interval." Timeouts fall in [election_tick, 2*election_tick) and differ across seeds.
TEST(ElectionTest, ElectionTimeoutIsRandomizedWithinRange) {
  std::set<int> seen;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    Network net(Options(seed));
    net.Bootstrap(1);
    net.Stabilize();
    int ticks = TickUntilLeader(net, 100);
    EXPECT_GE(ticks, 10) << "seed " << seed;
    EXPECT_LT(ticks, 20) << "seed " << seed;
    seen.insert(ticks);
  }
  EXPECT_GT(seen.size(), 3u);
}

// Figure 3, Election Safety: "at most one leader can be elected in a given term."
TEST(ElectionTest, ThreeNodesElectExactlyOneLeader) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Network net(Options(seed));
    net.Bootstrap(3);
    net.Stabilize();
    ASSERT_GT(TickUntilLeader(net, 200), 0) << "seed " << seed;
    // Let any competing election settle.
    net.TickAndStabilize(5);
    std::vector<uint64_t> leaders = net.Leaders();
    ASSERT_EQ(leaders.size(), 1u) << "seed " << seed;
    for (uint64_t id : net.ids()) {
      EXPECT_EQ(net.node(id).Lead(), leaders[0]) << "seed " << seed << " node " << id;
      EXPECT_EQ(net.node(id).Term(), net.node(leaders[0]).Term());
    }
    EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
  }
}

TEST(ElectionTest, CampaignWinsWithMajorityVotes) {
  Network net(Options());
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(2));
  EXPECT_EQ(net.node(1).Role(), StateType::kFollower);
  EXPECT_EQ(net.node(3).Role(), StateType::kFollower);
  EXPECT_EQ(net.node(1).Lead(), 2u);
  EXPECT_EQ(net.member(1).storage->InitialState()->hard_state.vote(), 2u);
}

// Section 5.2: a candidate wins with a majority, so with one peer reachable out of five it
// stays candidate.
TEST(ElectionTest, CandidateWithoutMajorityDoesNotWin) {
  Network net(Options());
  net.Bootstrap(5);
  net.Stabilize();
  net.Partition({1, 2});
  EXPECT_FALSE(net.Elect(1));
  EXPECT_EQ(net.node(1).Role(), StateType::kCandidate);
}

// Section 5.2: "Each server will vote for at most one candidate in a given term, on a
// first-come-first-served basis."
TEST(ElectionTest, VotesAtMostOncePerTerm) {
  Network net(Options());
  net.Bootstrap(3);
  net.Stabilize();
  RawNode& n1 = net.node(1);
  auto vote_request = [](uint64_t from, uint64_t term) {
    raftpb::Message m;
    m.set_type(raftpb::MSG_VOTE);
    m.set_from(from);
    m.set_to(1);
    m.set_term(term);
    m.set_index(3);  // bootstrap log: 3 entries of term 1
    m.set_log_term(1);
    return m;
  };
  ASSERT_TRUE(n1.Step(vote_request(2, 5)).ok());
  ASSERT_TRUE(n1.Step(vote_request(3, 5)).ok());
  ASSERT_TRUE(n1.Step(vote_request(2, 5)).ok());  // a repeat of the vote cast is granted again
  Ready rd = n1.GetReady();
  ASSERT_EQ(rd.messages.size(), 3u);
  EXPECT_FALSE(rd.messages[0].reject());
  EXPECT_EQ(rd.messages[0].to(), 2u);
  EXPECT_TRUE(rd.messages[1].reject());
  EXPECT_EQ(rd.messages[1].to(), 3u);
  EXPECT_FALSE(rd.messages[2].reject());
  // The vote is persistent state: it is in the HardState to persist before sending.
  EXPECT_EQ(rd.hard_state.vote(), 2u);
  EXPECT_EQ(rd.hard_state.term(), 5u);
  EXPECT_TRUE(rd.must_sync);
  n1.Advance();
}

// Section 5.4.1: "The voter denies its vote if its own log is more up-to-date than that of
// the candidate": compare the last terms, then the lengths.
TEST(ElectionTest, VoterRejectsCandidateWithStaleLog) {
  struct Case {
    uint64_t log_term, index;
    bool granted;
  } cases[] = {
      {0, 0, false}, {1, 2, false},  // same last term, shorter log
      {1, 3, true},                   // same last term, same length
      {1, 4, true},  {2, 1, true},   // later last term wins whatever the length
  };
  for (const Case& tc : cases) {
    Network net(Options());
    net.Bootstrap(3);
    net.Stabilize();
    raftpb::Message m;
    m.set_type(raftpb::MSG_VOTE);
    m.set_from(2);
    m.set_to(1);
    m.set_term(5);
    m.set_index(tc.index);
    m.set_log_term(tc.log_term);
    ASSERT_TRUE(net.node(1).Step(m).ok());
    Ready rd = net.node(1).GetReady();
    ASSERT_EQ(rd.messages.size(), 1u);
    EXPECT_EQ(!rd.messages[0].reject(), tc.granted) << tc.log_term << "/" << tc.index;
    net.node(1).Advance();
  }
}

// Section 5.4.1 end to end: a member that missed committed entries cannot become leader.
TEST(ElectionTest, CandidateWithStaleLogLoses) {
  Network net(Options());
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.Isolate(3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(net.Propose(1, "x").ok());
  net.Stabilize();
  net.Heal();
  // 3 campaigns at a higher term: the others move to that term but refuse their votes.
  EXPECT_FALSE(net.Elect(3));
  EXPECT_NE(net.node(3).Role(), StateType::kLeader);
  EXPECT_GT(net.node(1).Term(), 2u);
  // The cluster recovers with a leader that has every committed entry.
  ASSERT_GT(TickUntilLeader(net, 200), 0);
  EXPECT_NE(net.Leader(), 3u);
  net.TickAndStabilize(3);
  for (uint64_t id : net.ids()) EXPECT_EQ(net.member(id).state.size(), 5u) << id;
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

// Section 5.1: "If a candidate or leader discovers that its term is out of date, it
// immediately reverts to follower state."
TEST(ElectionTest, HigherTermMakesLeaderStepDown) {
  Network net(Options());
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  const uint64_t old_term = net.node(1).Term();
  raftpb::Message m;
  m.set_type(raftpb::MSG_APP_RESP);
  m.set_from(2);
  m.set_to(1);
  m.set_term(old_term + 3);
  ASSERT_TRUE(net.node(1).Step(m).ok());
  EXPECT_EQ(net.node(1).Role(), StateType::kFollower);
  EXPECT_EQ(net.node(1).Term(), old_term + 3);
  EXPECT_EQ(net.node(1).Lead(), kNone);
}

// Section 5.1: "If a server receives a request with a stale term number, it rejects the
// request": a deposed leader's appends are ignored.
TEST(ElectionTest, StaleLeaderIsIgnoredAndStepsDownOnRejoin) {
  Network net(Options());
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.Isolate(1);
  ASSERT_TRUE(net.Elect(2));
  ASSERT_TRUE(net.Propose(1, "lost").ok());  // appended by the old leader, never committed
  net.Stabilize();
  ASSERT_TRUE(net.Propose(2, "kept").ok());
  net.Stabilize();
  net.Heal();
  net.TickAndStabilize(3);  // heartbeats from 2 reach 1
  EXPECT_EQ(net.node(1).Role(), StateType::kFollower);
  EXPECT_EQ(net.node(1).Lead(), 2u);
  for (uint64_t id : net.ids()) {
    EXPECT_EQ(net.member(id).state, std::vector<std::string>{"kept"}) << id;
  }
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

// Thesis 9.6: with pre-vote, a partitioned node does not inflate its term, so it does not
// disrupt the leader when it comes back.
TEST(ElectionTest, PreVotePreventsDisruptionByRejoiningNode) {
  NetworkOptions o = Options();
  o.pre_vote = true;
  Network net(o);
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  const uint64_t term = net.node(1).Term();
  net.Isolate(3);
  net.TickAndStabilize(100);  // 3 keeps pre-campaigning and losing
  EXPECT_EQ(net.node(3).Term(), term);
  EXPECT_NE(net.node(3).Role(), StateType::kLeader);
  net.Heal();
  net.TickAndStabilize(5);
  EXPECT_EQ(net.Leader(), 1u);
  EXPECT_EQ(net.node(1).Term(), term);
  EXPECT_EQ(net.node(3).Lead(), 1u);
}

TEST(ElectionTest, WithoutPreVoteRejoiningNodeForcesNewTerm) {
  Network net(Options());
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  const uint64_t term = net.node(1).Term();
  net.Isolate(3);
  net.TickAndStabilize(50);
  EXPECT_GT(net.node(3).Term(), term);
  net.Heal();
  ASSERT_GT(TickUntilLeader(net, 200), 0);
  net.TickAndStabilize(30);
  EXPECT_GT(net.node(net.Leader()).Term(), term);
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

// Thesis 6.2: with check-quorum a leader that cannot reach a quorum for an election timeout
// steps down.
TEST(ElectionTest, CheckQuorumLeaderStepsDownWhenIsolated) {
  NetworkOptions o = Options();
  o.check_quorum = true;
  Network net(o);
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.Isolate(1);
  net.TickAndStabilize(2 * 10 + 1);
  EXPECT_EQ(net.node(1).Role(), StateType::kFollower);
}

// Thesis 3.10: leadership transfer.
TEST(ElectionTest, TransferLeader) {
  Network net(Options());
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  ASSERT_TRUE(net.Propose(1, "a").ok());
  net.Stabilize();
  net.node(1).TransferLeader(3);
  net.Stabilize();
  EXPECT_EQ(net.Leader(), 3u);
  EXPECT_EQ(net.node(1).Lead(), 3u);
  // Asked of a follower, the request is forwarded to the leader.
  net.node(2).TransferLeader(2);
  net.Stabilize();
  EXPECT_EQ(net.Leader(), 2u);
  EXPECT_TRUE(net.CheckInvariants().ok()) << net.CheckInvariants();
}

TEST(ElectionTest, ProposalsAreDroppedDuringLeaderTransfer) {
  Network net(Options());
  net.Bootstrap(3);
  net.Stabilize();
  ASSERT_TRUE(net.Elect(1));
  net.Isolate(3);
  net.node(1).TransferLeader(3);  // 3 is unreachable: the transfer stays pending
  net.Stabilize();
  EXPECT_TRUE(IsErrProposalDropped(net.Propose(1, "x")));
  // Abandoned after an election timeout.
  net.TickAndStabilize(10);
  EXPECT_TRUE(net.Propose(1, "y").ok());
}

}  // namespace
}  // namespace etcd::raft
