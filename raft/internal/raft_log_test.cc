// RaftLog and its unstable part (etcd-io/raft log_test.go, log_unstable_test.go).
#include "raft/internal/raft_log.h"

#include <memory>
#include <optional>
#include <vector>

#include "gtest/gtest.h"
#include "raft/errors.h"
#include "raft/storage.h"

namespace etcd::raft::internal {
namespace {

Logger* TestLogger() {
  static StderrLogger* logger = new StderrLogger(LogLevel::kError);
  return logger;
}

raftpb::Entry E(uint64_t index, uint64_t term) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  return e;
}

std::vector<std::pair<uint64_t, uint64_t>> IT(const std::vector<raftpb::Entry>& ents) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& e : ents) out.push_back({e.index(), e.term()});
  return out;
}

struct LogFixture {
  explicit LogFixture(uint64_t max_next = kNoLimit)
      : storage(TestLogger()), log(&storage, TestLogger(), max_next) {}
  MemoryStorage storage;
  RaftLog log;
};

// Figure 2, AppendEntries receiver step 3: "If an existing entry conflicts with a new one
// (same index but different terms), delete the existing entry and all that follow it".
TEST(RaftLogTest, FindConflict) {
  struct {
    std::vector<raftpb::Entry> ents;
    uint64_t want;
  } cases[] = {
      {{}, 0},
      // No conflict, nothing new.
      {{E(1, 1), E(2, 2), E(3, 3)}, 0},
      {{E(2, 2), E(3, 3)}, 0},
      {{E(3, 3)}, 0},
      // No conflict, new entries: the first new index.
      {{E(1, 1), E(2, 2), E(3, 3), E(4, 4), E(5, 4)}, 4},
      {{E(3, 3), E(4, 4), E(5, 4)}, 4},
      {{E(4, 4), E(5, 4)}, 4},
      // Conflicts.
      {{E(1, 4), E(2, 4)}, 1},
      {{E(2, 1), E(3, 4), E(4, 4)}, 2},
      {{E(3, 1), E(4, 2), E(5, 4), E(6, 4)}, 3},
  };
  for (const auto& tc : cases) {
    LogFixture f;
    f.log.Append({E(1, 1), E(2, 2), E(3, 3)});
    EXPECT_EQ(f.log.FindConflict(tc.ents), tc.want);
  }
}

// Figure 2, AppendEntries receiver steps 2-5.
TEST(RaftLogTest, MaybeAppend) {
  const uint64_t last_index = 3, last_term = 3, commit = 1;
  struct {
    uint64_t log_term, index, committed;
    std::vector<raftpb::Entry> ents;
    std::optional<uint64_t> want_last;
    uint64_t want_commit;
  } cases[] = {
      // Step 2: reject if the log has no entry at index with log_term.
      {last_term - 1, last_index, last_index, {E(last_index + 1, 4)}, std::nullopt, commit},
      {last_term, last_index + 1, last_index, {E(last_index + 2, 4)}, std::nullopt, commit},
      // Accept.
      {last_term, last_index, last_index, {}, last_index, last_index},
      {last_term, last_index, last_index + 1, {}, last_index, last_index},  // commit capped
      {last_term, last_index, last_index - 1, {}, last_index, last_index - 1},
      {last_term, last_index, 0, {}, last_index, commit},  // never decrease commit
      {0, 0, last_index, {}, 0, commit},
      {last_term, last_index, last_index, {E(last_index + 1, 4)}, last_index + 1, last_index},
      {last_term, last_index, last_index + 1, {E(last_index + 1, 4)}, last_index + 1,
       last_index + 1},
      {last_term, last_index, last_index + 2, {E(last_index + 1, 4)}, last_index + 1,
       last_index + 1},  // step 5: min(leaderCommit, index of last new entry)
      {last_term, last_index, last_index + 2, {E(last_index + 1, 4), E(last_index + 2, 4)},
       last_index + 2, last_index + 2},
      // Step 3: truncate from the conflict, step 4: append.
      {last_term - 1, last_index - 1, last_index, {E(last_index, 4)}, last_index, last_index},
      {last_term - 2, last_index - 2, last_index, {E(last_index - 1, 4)}, last_index - 1,
       last_index - 1},
      {last_term - 2, last_index - 2, last_index, {E(last_index - 1, 4), E(last_index, 4)},
       last_index, last_index},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
    const auto& tc = cases[i];
    LogFixture f;
    f.log.Append({E(1, 1), E(2, 2), E(3, 3)});
    f.log.set_committed(commit);
    std::optional<uint64_t> last = f.log.MaybeAppend(tc.index, tc.log_term, tc.committed, tc.ents);
    EXPECT_EQ(last, tc.want_last) << "case " << i;
    EXPECT_EQ(f.log.committed(), tc.want_commit) << "case " << i;
    if (last && !tc.ents.empty()) {
      absl::StatusOr<std::vector<raftpb::Entry>> got =
          f.log.Slice(f.log.LastIndex() - tc.ents.size() + 1, f.log.LastIndex() + 1, kNoLimit);
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(IT(*got), IT(tc.ents)) << "case " << i;
    }
  }
}

TEST(RaftLogDeathTest, MaybeAppendConflictingWithCommittedAborts) {
  LogFixture f;
  f.log.Append({E(1, 1), E(2, 2), E(3, 3)});
  f.log.set_committed(2);
  EXPECT_DEATH(f.log.MaybeAppend(0, 0, 3, {E(1, 1), E(2, 5)}), "conflict with committed");
}

TEST(RaftLogTest, AppendTruncatesUnstableTail) {
  struct {
    std::vector<raftpb::Entry> ents;
    std::vector<std::pair<uint64_t, uint64_t>> want;
    uint64_t want_unstable_offset;
  } cases[] = {
      {{}, {{1, 1}, {2, 2}}, 3},
      {{E(3, 2)}, {{1, 1}, {2, 2}, {3, 2}}, 3},
      {{E(1, 2)}, {{1, 2}}, 1},  // conflict at 1: replaces stable entries too
      {{E(2, 3), E(3, 3)}, {{1, 1}, {2, 3}, {3, 3}}, 2},
  };
  for (const auto& tc : cases) {
    LogFixture f;
    ASSERT_TRUE(f.storage.Append({E(1, 1), E(2, 2)}).ok());
    RaftLog log(&f.storage, TestLogger(), kNoLimit);
    log.Append(tc.ents);
    EXPECT_EQ(IT(log.AllEntries()), tc.want);
    EXPECT_EQ(log.unstable().offset(), tc.want_unstable_offset);
  }
}

// Section 5.4.2: "Raft never commits log entries from previous terms by counting replicas.
// Only log entries from the leader's current term are committed by counting replicas".
TEST(RaftLogTest, MaybeCommitOnlyCurrentTerm) {
  struct {
    uint64_t max_index, term;
    bool committed;
    uint64_t want;
  } cases[] = {
      {3, 3, true, 3},   // entry 3 is of term 3
      {3, 4, false, 1},  // entry 3 is of an earlier term than the leader's
      {2, 2, true, 2},
      {1, 1, false, 1},  // not beyond the commit index
  };
  for (const auto& tc : cases) {
    LogFixture f;
    f.log.Append({E(1, 1), E(2, 2), E(3, 3)});
    f.log.set_committed(1);
    EXPECT_EQ(f.log.MaybeCommit(tc.max_index, tc.term), tc.committed);
    EXPECT_EQ(f.log.committed(), tc.want);
  }
}

TEST(RaftLogTest, CommitToNeverDecreases) {
  LogFixture f;
  f.log.Append({E(1, 1), E(2, 2), E(3, 3)});
  f.log.CommitTo(3);
  f.log.CommitTo(2);
  EXPECT_EQ(f.log.committed(), 3u);
}

TEST(RaftLogDeathTest, CommitBeyondLastIndexAborts) {
  LogFixture f;
  f.log.Append({E(1, 1)});
  EXPECT_DEATH(f.log.CommitTo(2), "out of range");
}

// Section 5.4.1: "If the logs have last entries with different terms, then the log with the
// later term is more up-to-date. If the logs end with the same term, then whichever log is
// longer is more up-to-date."
TEST(RaftLogTest, IsUpToDate) {
  struct {
    uint64_t last_index, term;
    bool want;
  } cases[] = {
      {2, 4, true}, {3, 4, true}, {4, 4, true},     // later term
      {2, 2, false}, {3, 2, false}, {4, 2, false},  // earlier term
      {2, 3, false}, {3, 3, true}, {4, 3, true},    // same term: length decides
  };
  for (const auto& tc : cases) {
    LogFixture f;
    f.log.Append({E(1, 1), E(2, 2), E(3, 3)});
    EXPECT_EQ(f.log.IsUpToDate(tc.last_index, tc.term), tc.want)
        << tc.last_index << "/" << tc.term;
  }
}

TEST(RaftLogTest, TermAfterCompaction) {
  LogFixture f;
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(100);
  snap.mutable_metadata()->set_term(7);
  ASSERT_TRUE(f.storage.ApplySnapshot(snap).ok());
  RaftLog log(&f.storage, TestLogger(), kNoLimit);
  log.Append({E(101, 8), E(102, 8)});
  EXPECT_EQ(log.FirstIndex(), 101u);
  EXPECT_EQ(log.committed(), 100u);
  EXPECT_EQ(log.applied(), 100u);
  EXPECT_EQ(*log.Term(100), 7u);  // the dummy keeps its term
  EXPECT_EQ(*log.Term(102), 8u);
  EXPECT_EQ(*log.Term(99), 0u);   // outside the log
  EXPECT_EQ(*log.Term(103), 0u);
  EXPECT_TRUE(IsErrCompacted(log.Slice(99, 101, kNoLimit).status()));
}

TEST(RaftLogTest, StableToDropsPersistedUnstableEntries) {
  LogFixture f;
  f.log.Append({E(1, 1), E(2, 1), E(3, 2)});
  f.log.StableTo(2, 1);
  EXPECT_EQ(IT(f.log.UnstableEntries()), (std::vector<std::pair<uint64_t, uint64_t>>{{3, 2}}));
  // A stale acknowledgment (entry 3 was replaced by a term-3 one) changes nothing.
  f.log.Append({E(3, 3)});
  f.log.StableTo(3, 2);
  EXPECT_EQ(IT(f.log.UnstableEntries()), (std::vector<std::pair<uint64_t, uint64_t>>{{3, 3}}));
  f.log.StableTo(3, 3);
  EXPECT_TRUE(f.log.UnstableEntries().empty());
}

TEST(RaftLogTest, NextEntriesRespectsAppliedAndSizeLimit) {
  const uint64_t one = E(1, 1).ByteSizeLong();
  LogFixture f(2 * one);
  f.log.Append({E(1, 1), E(2, 1), E(3, 1), E(4, 1)});
  EXPECT_TRUE(f.log.NextEntries().empty());
  EXPECT_FALSE(f.log.HasNextEntries());
  f.log.CommitTo(4);
  EXPECT_TRUE(f.log.HasNextEntries());
  EXPECT_EQ(IT(f.log.NextEntries()), (std::vector<std::pair<uint64_t, uint64_t>>{{1, 1}, {2, 1}}));
  f.log.AppliedTo(2);
  EXPECT_EQ(IT(f.log.NextEntries()), (std::vector<std::pair<uint64_t, uint64_t>>{{3, 1}, {4, 1}}));
  f.log.AppliedTo(4);
  EXPECT_FALSE(f.log.HasNextEntries());
}

TEST(RaftLogTest, SliceAcrossStableAndUnstable) {
  LogFixture f;
  ASSERT_TRUE(f.storage.Append({E(1, 1), E(2, 1), E(3, 1)}).ok());
  RaftLog log(&f.storage, TestLogger(), kNoLimit);
  log.Append({E(4, 2), E(5, 2)});
  EXPECT_EQ(IT(*log.Slice(2, 6, kNoLimit)),
            (std::vector<std::pair<uint64_t, uint64_t>>{{2, 1}, {3, 1}, {4, 2}, {5, 2}}));
  EXPECT_EQ(IT(*log.Slice(2, 6, 0)), (std::vector<std::pair<uint64_t, uint64_t>>{{2, 1}}));
  EXPECT_EQ(IT(*log.Slice(4, 6, 0)), (std::vector<std::pair<uint64_t, uint64_t>>{{4, 2}}));
  EXPECT_TRUE(log.Slice(3, 3, kNoLimit)->empty());
}

TEST(RaftLogTest, RestoreFromSnapshot) {
  LogFixture f;
  f.log.Append({E(1, 1), E(2, 1)});
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(50);
  snap.mutable_metadata()->set_term(4);
  f.log.Restore(snap);
  EXPECT_EQ(f.log.committed(), 50u);
  EXPECT_EQ(f.log.FirstIndex(), 51u);
  EXPECT_EQ(f.log.LastIndex(), 50u);
  EXPECT_EQ(f.log.LastTerm(), 4u);
  ASSERT_TRUE(f.log.UnstableSnapshot().has_value());
  f.log.StableSnapTo(50);
  EXPECT_FALSE(f.log.UnstableSnapshot().has_value());
}

}  // namespace
}  // namespace etcd::raft::internal
