// MemoryStorage: the dummy entry at the snapshot index, compaction, snapshots, errors.
#include "raft/storage.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"
#include "raft/errors.h"

namespace etcd::raft {
namespace {

raftpb::Entry E(uint64_t index, uint64_t term) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  return e;
}

// Entries 3, 4, 5 with terms 3, 4, 5 after a snapshot at (3, 3): the dummy is (3, 3).
std::unique_ptr<MemoryStorage> Storage345() {
  auto s = std::make_unique<MemoryStorage>();
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(3);
  snap.mutable_metadata()->set_term(3);
  EXPECT_TRUE(s->ApplySnapshot(snap).ok());
  EXPECT_TRUE(s->Append({E(4, 4), E(5, 5)}).ok());
  return s;
}

std::vector<uint64_t> Indexes(const std::vector<raftpb::Entry>& ents) {
  std::vector<uint64_t> out;
  for (const auto& e : ents) out.push_back(e.index());
  return out;
}

TEST(MemoryStorageTest, Term) {
  auto s = Storage345();
  struct {
    uint64_t i;
    absl::Status err;
    uint64_t term;
  } cases[] = {
      {2, ErrCompacted(), 0}, {3, absl::OkStatus(), 3}, {4, absl::OkStatus(), 4},
      {5, absl::OkStatus(), 5}, {6, ErrUnavailable(), 0},
  };
  for (const auto& tc : cases) {
    absl::StatusOr<uint64_t> t = s->Term(tc.i);
    EXPECT_EQ(t.status(), tc.err) << tc.i;
    if (t.ok()) {
      EXPECT_EQ(*t, tc.term) << tc.i;
    }
  }
}

TEST(MemoryStorageTest, Entries) {
  auto s = Storage345();
  ASSERT_TRUE(s->Append({E(6, 6)}).ok());
  const uint64_t entry_size = E(4, 4).ByteSizeLong();
  struct {
    uint64_t lo, hi, max_size;
    absl::Status err;
    std::vector<uint64_t> want;
  } cases[] = {
      {2, 6, kNoLimit, ErrCompacted(), {}},
      {3, 4, kNoLimit, ErrCompacted(), {}},
      {4, 5, kNoLimit, absl::OkStatus(), {4}},
      {4, 6, kNoLimit, absl::OkStatus(), {4, 5}},
      {4, 7, kNoLimit, absl::OkStatus(), {4, 5, 6}},
      // At least one entry even if it exceeds the limit.
      {4, 7, 0, absl::OkStatus(), {4}},
      {4, 7, entry_size * 2, absl::OkStatus(), {4, 5}},
      {4, 7, entry_size * 3 - 1, absl::OkStatus(), {4, 5}},
      {4, 7, entry_size * 3, absl::OkStatus(), {4, 5, 6}},
  };
  for (const auto& tc : cases) {
    absl::StatusOr<std::vector<raftpb::Entry>> ents = s->Entries(tc.lo, tc.hi, tc.max_size);
    EXPECT_EQ(ents.status(), tc.err) << tc.lo << ".." << tc.hi;
    if (ents.ok()) {
      EXPECT_EQ(Indexes(*ents), tc.want) << tc.lo << ".." << tc.hi;
    }
  }
}

TEST(MemoryStorageTest, EmptyStorageHasOnlyTheDummy) {
  MemoryStorage s;
  EXPECT_EQ(*s.FirstIndex(), 1u);
  EXPECT_EQ(*s.LastIndex(), 0u);
  EXPECT_EQ(*s.Term(0), 0u);
  EXPECT_TRUE(IsErrUnavailable(s.Term(1).status()));
  EXPECT_TRUE(IsErrUnavailable(s.Entries(1, 1, kNoLimit).status()));
}

TEST(MemoryStorageTest, FirstAndLastIndex) {
  auto s = Storage345();
  EXPECT_EQ(*s->FirstIndex(), 4u);
  EXPECT_EQ(*s->LastIndex(), 5u);
  ASSERT_TRUE(s->Append({E(6, 5)}).ok());
  EXPECT_EQ(*s->LastIndex(), 6u);
  ASSERT_TRUE(s->Compact(4).ok());
  EXPECT_EQ(*s->FirstIndex(), 5u);
}

TEST(MemoryStorageTest, Compact) {
  struct {
    uint64_t compact;
    absl::Status err;
    uint64_t dummy_index, dummy_term;
    size_t remaining;  // entries after the dummy
  } cases[] = {
      {2, ErrCompacted(), 3, 3, 2},
      {3, ErrCompacted(), 3, 3, 2},
      {4, absl::OkStatus(), 4, 4, 1},
      {5, absl::OkStatus(), 5, 5, 0},
  };
  for (const auto& tc : cases) {
    auto s = Storage345();
    EXPECT_EQ(s->Compact(tc.compact), tc.err) << tc.compact;
    EXPECT_EQ(*s->FirstIndex() - 1, tc.dummy_index) << tc.compact;
    EXPECT_EQ(*s->Term(tc.dummy_index), tc.dummy_term) << tc.compact;
    EXPECT_EQ(*s->LastIndex() - (*s->FirstIndex() - 1), tc.remaining) << tc.compact;
    // Compacted entries are gone; the dummy's term is kept for log matching.
    EXPECT_TRUE(IsErrCompacted(s->Entries(tc.dummy_index, *s->LastIndex() + 1, kNoLimit).status()));
  }
}

TEST(MemoryStorageTest, CreateSnapshot) {
  raftpb::ConfState cs;
  cs.add_voters(1);
  cs.add_voters(2);
  cs.add_voters(3);
  struct {
    uint64_t i;
    absl::Status err;
    uint64_t term;
  } cases[] = {
      {4, absl::OkStatus(), 4},
      {5, absl::OkStatus(), 5},
      {3, ErrSnapOutOfDate(), 0},
  };
  for (const auto& tc : cases) {
    auto s = Storage345();
    absl::StatusOr<raftpb::Snapshot> snap = s->CreateSnapshot(tc.i, &cs, "data");
    EXPECT_EQ(snap.status(), tc.err) << tc.i;
    if (!snap.ok()) continue;
    EXPECT_EQ(snap->metadata().index(), tc.i);
    EXPECT_EQ(snap->metadata().term(), tc.term);
    EXPECT_EQ(snap->metadata().conf_state().voters_size(), 3);
    EXPECT_EQ(snap->data(), "data");
    EXPECT_EQ(s->Snapshot()->metadata().index(), tc.i);
    // Creating a snapshot does not compact.
    EXPECT_EQ(*s->FirstIndex(), 4u);
  }
}

TEST(MemoryStorageTest, Append) {
  struct {
    const char* name;
    std::vector<raftpb::Entry> append;
    std::vector<std::pair<uint64_t, uint64_t>> want;  // (index, term) after the dummy
  } cases[] = {
      {"same entries", {E(4, 4), E(5, 5)}, {{4, 4}, {5, 5}}},
      {"conflicting term truncates", {E(4, 4), E(5, 6), E(6, 6)}, {{4, 4}, {5, 6}, {6, 6}}},
      {"replace from 4", {E(4, 5)}, {{4, 5}}},
      {"compacted prefix ignored", {E(2, 3), E(3, 3), E(4, 5)}, {{4, 5}}},
      {"all compacted", {E(2, 3), E(3, 3)}, {{4, 4}, {5, 5}}},
      {"direct append", {E(6, 5)}, {{4, 4}, {5, 5}, {6, 5}}},
  };
  for (const auto& tc : cases) {
    auto s = Storage345();
    ASSERT_TRUE(s->Append(tc.append).ok()) << tc.name;
    std::vector<std::pair<uint64_t, uint64_t>> got;
    for (uint64_t i = *s->FirstIndex(); i <= *s->LastIndex(); ++i) got.push_back({i, *s->Term(i)});
    EXPECT_EQ(got, tc.want) << tc.name;
  }
}

TEST(MemoryStorageTest, ApplySnapshot) {
  MemoryStorage s;
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(4);
  snap.mutable_metadata()->set_term(4);
  snap.mutable_metadata()->mutable_conf_state()->add_voters(1);
  EXPECT_TRUE(s.ApplySnapshot(snap).ok());
  EXPECT_EQ(*s.FirstIndex(), 5u);
  EXPECT_EQ(*s.LastIndex(), 4u);
  EXPECT_EQ(s.InitialState()->conf_state.voters_size(), 1);
  snap.mutable_metadata()->set_index(3);
  EXPECT_TRUE(IsErrSnapOutOfDate(s.ApplySnapshot(snap)));
  snap.mutable_metadata()->set_index(4);
  EXPECT_TRUE(IsErrSnapOutOfDate(s.ApplySnapshot(snap)));
}

TEST(MemoryStorageTest, HardStateRoundTrip) {
  MemoryStorage s;
  raftpb::HardState hs;
  hs.set_term(7);
  hs.set_vote(2);
  hs.set_commit(5);
  ASSERT_TRUE(s.SetHardState(hs).ok());
  EXPECT_EQ(s.InitialState()->hard_state.term(), 7u);
  EXPECT_EQ(s.InitialState()->hard_state.vote(), 2u);
  EXPECT_EQ(s.InitialState()->hard_state.commit(), 5u);
}

TEST(MemoryStorageDeathTest, AppendWithGapAborts) {
  auto s = Storage345();
  EXPECT_DEATH((void)s->Append({E(7, 5)}), "missing log entry");
}

}  // namespace
}  // namespace etcd::raft
