// Flow control (Inflights) and the Progress state machine (etcd-io/raft tracker/).
#include "raft/internal/progress.h"

#include "gtest/gtest.h"

namespace etcd::raft::internal {
namespace {

TEST(InflightsTest, AddAndFreeLE) {
  Inflights in(10);
  for (uint64_t i = 0; i < 5; ++i) in.Add(i);
  EXPECT_EQ(in.Count(), 5);
  EXPECT_FALSE(in.Full());
  for (uint64_t i = 5; i < 10; ++i) in.Add(i);
  EXPECT_TRUE(in.Full());
  in.FreeLE(4);  // frees 0..4
  EXPECT_EQ(in.Count(), 5);
  EXPECT_FALSE(in.Full());
  // Wrap around the ring.
  for (uint64_t i = 10; i < 15; ++i) in.Add(i);
  EXPECT_TRUE(in.Full());
  in.FreeLE(8);
  EXPECT_EQ(in.Count(), 6);
  in.FreeLE(3);  // left of the window: nothing
  EXPECT_EQ(in.Count(), 6);
  in.FreeLE(14);
  EXPECT_EQ(in.Count(), 0);
  in.FreeLE(100);
  EXPECT_EQ(in.Count(), 0);
}

TEST(InflightsTest, FreeFirstOne) {
  Inflights in(10);
  for (uint64_t i = 0; i < 10; ++i) in.Add(i);
  in.FreeFirstOne();
  EXPECT_EQ(in.Count(), 9);
  in.Add(10);
  EXPECT_TRUE(in.Full());
  in.Reset();
  EXPECT_EQ(in.Count(), 0);
  in.FreeFirstOne();  // no-op when empty
  EXPECT_EQ(in.Count(), 0);
}

TEST(InflightsDeathTest, AddWhenFullAborts) {
  Inflights in(1);
  in.Add(1);
  EXPECT_DEATH(in.Add(2), "");
}

TEST(ProgressTest, MaybeUpdate) {
  struct {
    uint64_t update;
    uint64_t want_match, want_next;
    bool updated;
  } cases[] = {
      {3, 3, 5, false},  // stale: match unchanged, next unchanged
      {4, 4, 5, true},   // next stays at max(next, n+1)
      {5, 5, 6, true},
      {10, 10, 11, true},
  };
  for (const auto& tc : cases) {
    Progress p(8);
    p.match = 3;
    p.next = 5;
    EXPECT_EQ(p.MaybeUpdate(tc.update), tc.updated) << tc.update;
    EXPECT_EQ(p.match, tc.want_match) << tc.update;
    EXPECT_EQ(p.next, tc.want_next) << tc.update;
  }
}

TEST(ProgressTest, MaybeDecrTo) {
  struct {
    ProgressState state;
    uint64_t match, next, rejected, last;
    bool decreased;
    uint64_t want_next;
  } cases[] = {
      // Replicate: stale if rejected <= match, else back to match+1.
      {ProgressState::kReplicate, 5, 10, 5, 5, false, 10},
      {ProgressState::kReplicate, 5, 10, 4, 4, false, 10},
      {ProgressState::kReplicate, 5, 10, 9, 9, true, 6},
      // Probe: stale unless rejected == next-1; then min(rejected, last+1), at least 1.
      {ProgressState::kProbe, 0, 0, 0, 0, false, 0},
      {ProgressState::kProbe, 0, 10, 5, 5, false, 10},
      {ProgressState::kProbe, 0, 10, 9, 9, true, 9},
      {ProgressState::kProbe, 0, 2, 1, 1, true, 1},
      {ProgressState::kProbe, 0, 1, 0, 0, true, 1},
      {ProgressState::kProbe, 0, 10, 9, 2, true, 3},  // the hint skips back
      {ProgressState::kProbe, 0, 10, 9, 0, true, 1},
  };
  for (const auto& tc : cases) {
    Progress p(8);
    p.state = tc.state;
    p.match = tc.match;
    p.next = tc.next;
    p.probe_sent = true;
    EXPECT_EQ(p.MaybeDecrTo(tc.rejected, tc.last), tc.decreased);
    EXPECT_EQ(p.next, tc.want_next);
    if (tc.decreased && tc.state == ProgressState::kProbe) {
      EXPECT_FALSE(p.probe_sent);
    }
  }
}

TEST(ProgressTest, IsPaused) {
  Progress p(1);
  p.state = ProgressState::kProbe;
  EXPECT_FALSE(p.IsPaused());
  p.probe_sent = true;
  EXPECT_TRUE(p.IsPaused());
  p.BecomeReplicate();
  EXPECT_FALSE(p.IsPaused());
  p.inflights.Add(1);
  EXPECT_TRUE(p.IsPaused());
  p.BecomeSnapshot(10);
  EXPECT_TRUE(p.IsPaused());
}

TEST(ProgressTest, BecomeProbe) {
  struct {
    ProgressState state;
    uint64_t match, next, pending_snapshot;
    uint64_t want_next;
  } cases[] = {
      {ProgressState::kReplicate, 1, 5, 0, 2},
      {ProgressState::kSnapshot, 1, 5, 10, 11},  // probe after the delivered snapshot
      {ProgressState::kSnapshot, 1, 5, 0, 2},    // failed snapshot: from match
  };
  for (const auto& tc : cases) {
    Progress p(8);
    p.state = tc.state;
    p.match = tc.match;
    p.next = tc.next;
    p.pending_snapshot = tc.pending_snapshot;
    p.BecomeProbe();
    EXPECT_EQ(p.state, ProgressState::kProbe);
    EXPECT_EQ(p.next, tc.want_next);
    EXPECT_EQ(p.pending_snapshot, 0u);
  }
}

TEST(ProgressTrackerTest, CommittedAndVotes) {
  ProgressTracker t(8);
  t.config.voters.incoming = {1, 2, 3};
  for (uint64_t id : {1, 2, 3}) t.progress.emplace(id, Progress(8));
  t.progress.at(1).match = 10;
  t.progress.at(2).match = 7;
  t.progress.at(3).match = 3;
  EXPECT_EQ(t.Committed(), 7u);
  EXPECT_FALSE(t.IsSingleton());
  t.RecordVote(1, true);
  t.RecordVote(2, false);
  t.RecordVote(2, true);  // only the first vote counts
  int granted, rejected;
  EXPECT_EQ(t.TallyVotes(&granted, &rejected), VoteResult::kPending);
  EXPECT_EQ(granted, 1);
  EXPECT_EQ(rejected, 1);
  t.RecordVote(3, true);
  EXPECT_EQ(t.TallyVotes(&granted, &rejected), VoteResult::kWon);
}

}  // namespace
}  // namespace etcd::raft::internal
