// Seeded random scenarios through the simulator. Every scenario checks the safety properties
// after every event, then heals the cluster and requires it to converge (one leader, every
// node applying the same final proposal).
//
// RAFT_SIM_SCENARIOS=N runs N scenarios per test case instead of the default (kDefault below);
// RAFT_SIM_SEED=S runs only seed S and prints its trace. A failure prints the seed and the
// event list, which replay the run exactly.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "testing/raft_sim/simulator.h"

namespace etcd::raft_sim {
namespace {

constexpr int kSteps = 3000;
// Per chunk; 8 chunks. Keeps the test well under two minutes on two cores.
constexpr uint64_t kDefaultScenariosPerChunk = 2000;
constexpr int kChunks = 8;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  uint64_t out = 0;
  return v != nullptr && absl::SimpleAtoi(v, &out) ? out : fallback;
}

class RandomScenarios : public ::testing::TestWithParam<int> {};

TEST_P(RandomScenarios, SafetyAndConvergence) {
  if (const char* s = std::getenv("RAFT_SIM_SEED"); s != nullptr) {
    if (GetParam() != 0) GTEST_SKIP();
    uint64_t seed = 0;
    ASSERT_TRUE(absl::SimpleAtoi(s, &seed));
    std::unique_ptr<Simulator> sim = RunRandomScenario(seed, kSteps);
    std::cout << sim->Trace();
    EXPECT_TRUE(sim->ok());
    return;
  }
  const uint64_t per_chunk = EnvOr("RAFT_SIM_SCENARIOS", kDefaultScenariosPerChunk * kChunks) /
                             kChunks;
  const uint64_t first = 1 + GetParam() * per_chunk;
  const auto start = std::chrono::steady_clock::now();
  uint64_t crashes = 0, elections = 0, delivered = 0, committed = 0;
  for (uint64_t seed = first; seed < first + per_chunk; ++seed) {
    std::unique_ptr<Simulator> sim = RunRandomScenario(seed, kSteps);
    ASSERT_TRUE(sim->ok()) << "seed " << seed << " (replay: RAFT_SIM_SEED=" << seed
                           << ")\n" << sim->Trace();
    crashes += sim->crashes();
    elections += sim->elections();
    delivered += sim->delivered();
    committed += sim->committed();
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "seeds " << first << ".." << first + per_chunk - 1 << ": " << per_chunk
            << " scenarios in " << secs << " s; crashes " << crashes << ", leaders "
            << elections << ", messages delivered " << delivered << ", committed "
            << committed << "\n";
}

INSTANTIATE_TEST_SUITE_P(Chunks, RandomScenarios, ::testing::Range(0, kChunks));

TEST(SimulatorTest, SameSeedSameRun) {
  std::unique_ptr<Simulator> a = RunRandomScenario(77, kSteps);
  std::unique_ptr<Simulator> b = RunRandomScenario(77, kSteps);
  EXPECT_EQ(a->Trace(), b->Trace());
  EXPECT_EQ(a->delivered(), b->delivered());
  EXPECT_EQ(a->committed(), b->committed());
  EXPECT_EQ(a->state(1), b->state(1));
}

// The checks are only worth something if they catch a broken application: a node that loses
// an acknowledged entry in a crash (a missing fsync) must be reported by some seed, either by
// the simulator's invariants or by Raft's own consistency checks (which abort, as etcd's
// panic).
void RunWithLostWritesUntilCaught() {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    RandomScheduler scheduler(seed);
    SimOptions options = scheduler.Options();
    options.fault_lose_last_entry_on_crash = true;
    Simulator sim(options);
    for (int i = 0; i < kSteps && sim.ok(); ++i) sim.Apply(scheduler.Next());
    if (!sim.ok()) {
      std::cerr << "seed " << seed << " caught: " << sim.violations().front() << "\n";
      std::abort();
    }
  }
}

TEST(SimulatorDeathTest, CatchesLostAcknowledgedWrites) {
  EXPECT_DEATH(RunWithLostWritesUntilCaught(),
               "caught: .*(Durability|Completeness|Matching|Safety)|raft FATAL");
}

// A partitioned leader of a 5-node cluster keeps its term while the majority elects a new
// leader and commits; after healing, the old leader's uncommitted tail is replaced.
TEST(SimulatorTest, ScriptedPartitionedLeader) {
  SimOptions options;
  options.nodes = 5;
  Simulator sim(options);
  auto run = [&](int rounds) {
    for (int i = 0; i < rounds; ++i) {
      sim.Apply({Event::kTickAll, 0, 0});
      for (int j = 0; j < 10; ++j) {
        sim.Apply({Event::kReadyAll, 0, 0});
        sim.Apply({Event::kDeliverAll, 0, 0});
      }
    }
  };
  sim.Apply({Event::kCampaign, 0, 0});  // node 1
  run(1);
  sim.Apply({Event::kPropose, 0, 10});
  run(1);
  sim.Apply({Event::kPartition, 0, 0b00011});  // {1,2} | {3,4,5}
  sim.Apply({Event::kPropose, 0, 10});         // never commits
  run(40);
  sim.Apply({Event::kPropose, 2, 10});  // proposals at node 3 reach the new leader
  run(5);
  EXPECT_TRUE(sim.Converge()) << sim.Trace();
  EXPECT_EQ(sim.state(1), sim.state(3));
  EXPECT_GE(sim.elections(), 2u);
}

}  // namespace
}  // namespace etcd::raft_sim
