// Seeded randomized simulation: a 5-member cluster under random message loss, partitions and
// proposals at random members, with Election Safety and State Machine Safety checked on every
// Ready (Raft paper, figure 3). Deterministic: the same seed replays the same run.
#include <random>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "raft/rafttest/network.h"

namespace etcd::raft {
namespace {

using rafttest::Network;
using rafttest::NetworkOptions;

struct SimResult {
  std::vector<std::string> state;  // of member 1 at the end
  int delivered = 0;
};

SimResult RunSimulation(uint64_t seed, bool pre_vote, bool check_quorum) {
  NetworkOptions o;
  o.seed = seed;
  o.pre_vote = pre_vote;
  o.check_quorum = check_quorum;
  o.log_level = LogLevel::kError;
  Network net(o);
  net.Bootstrap(5);
  net.Stabilize();
  std::mt19937_64 rng(seed);
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  net.SetDropFilter([&](const raftpb::Message&) { return chance(10); });

  int proposals = 0;
  for (int step = 0; step < 400; ++step) {
    if (chance(5)) {
      std::set<uint64_t> side;
      for (uint64_t id = 1; id <= 5; ++id) {
        if (chance(40)) side.insert(id);
      }
      net.Heal();
      net.Partition(side);
    } else if (chance(5)) {
      net.Heal();
    }
    if (chance(30)) {
      uint64_t id = 1 + rng() % 5;
      (void)net.Propose(id, "p" + std::to_string(proposals++));
    }
    net.TickAll();
    // Process part of the work each step so that messages interleave with ticks.
    for (uint64_t id : net.ids()) net.ProcessReady(id);
    net.DeliverQueued();
    EXPECT_TRUE(net.CheckInvariants().ok()) << "seed " << seed << ": " << net.CheckInvariants();
  }
  // Heal everything; the cluster converges to one leader and identical state machines.
  net.Heal();
  net.SetDropFilter(nullptr);
  net.TickAndStabilize(60);
  const uint64_t leader = net.Leader();
  EXPECT_NE(leader, kNone) << "seed " << seed;
  (void)net.Propose(leader, "final");
  net.Stabilize();
  net.TickAndStabilize(3);
  for (uint64_t id : net.ids()) {
    EXPECT_EQ(net.member(id).state, net.member(1).state) << "seed " << seed << " member " << id;
  }
  EXPECT_FALSE(net.member(1).state.empty());
  EXPECT_EQ(net.member(1).state.back(), "final") << "seed " << seed;
  EXPECT_TRUE(net.CheckInvariants().ok()) << "seed " << seed << ": " << net.CheckInvariants();
  return SimResult{net.member(1).state, net.delivered()};
}

TEST(SimulationTest, SafetyUnderRandomFaults) {
  for (uint64_t seed = 1; seed <= 20; ++seed) RunSimulation(seed, false, false);
}

TEST(SimulationTest, SafetyUnderRandomFaultsWithPreVoteAndCheckQuorum) {
  for (uint64_t seed = 1; seed <= 20; ++seed) RunSimulation(seed, true, true);
}

TEST(SimulationTest, SameSeedSameRun) {
  SimResult a = RunSimulation(42, true, false);
  SimResult b = RunSimulation(42, true, false);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.delivered, b.delivered);
}

}  // namespace
}  // namespace etcd::raft
