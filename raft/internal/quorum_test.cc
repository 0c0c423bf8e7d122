// Quorum arithmetic (etcd-io/raft quorum/): commit index and vote outcome of majority and
// joint configurations.
#include "raft/internal/quorum.h"

#include <map>

#include "gtest/gtest.h"

namespace etcd::raft::internal {
namespace {

uint64_t Committed(const std::set<uint64_t>& voters, const std::map<uint64_t, uint64_t>& acked) {
  return MajorityCommittedIndex(voters, [&](uint64_t id) -> std::optional<uint64_t> {
    auto it = acked.find(id);
    if (it == acked.end()) return std::nullopt;
    return it->second;
  });
}

// Section 5.3: "A log entry is committed once the leader that created the entry has
// replicated it on a majority of the servers."
TEST(QuorumTest, MajorityCommittedIndex) {
  struct {
    std::set<uint64_t> voters;
    std::map<uint64_t, uint64_t> acked;
    uint64_t want;
  } cases[] = {
      {{1}, {{1, 5}}, 5},
      {{1}, {}, 0},
      {{1, 2}, {{1, 5}, {2, 3}}, 3},           // both needed
      {{1, 2, 3}, {{1, 5}, {2, 3}, {3, 1}}, 3},
      {{1, 2, 3}, {{1, 5}, {2, 5}}, 5},          // 3 unknown counts as 0
      {{1, 2, 3}, {{1, 5}}, 0},
      {{1, 2, 3, 4}, {{1, 9}, {2, 8}, {3, 7}, {4, 6}}, 7},  // 3 of 4
      {{1, 2, 3, 4, 5}, {{1, 9}, {2, 8}, {3, 7}, {4, 6}, {5, 5}}, 7},
      {{1, 2, 3, 4, 5}, {{1, 9}, {2, 9}, {3, 1}, {4, 1}, {5, 1}}, 1},
  };
  for (const auto& tc : cases) EXPECT_EQ(Committed(tc.voters, tc.acked), tc.want);
  EXPECT_EQ(Committed({}, {}), std::numeric_limits<uint64_t>::max());
}

TEST(QuorumTest, MajorityVoteResult) {
  struct {
    std::set<uint64_t> voters;
    std::map<uint64_t, bool> votes;
    VoteResult want;
  } cases[] = {
      {{}, {}, VoteResult::kWon},
      {{1}, {}, VoteResult::kPending},
      {{1}, {{1, true}}, VoteResult::kWon},
      {{1}, {{1, false}}, VoteResult::kLost},
      {{1, 2, 3}, {{1, true}}, VoteResult::kPending},
      {{1, 2, 3}, {{1, true}, {2, true}}, VoteResult::kWon},
      {{1, 2, 3}, {{1, true}, {2, false}}, VoteResult::kPending},
      {{1, 2, 3}, {{1, false}, {2, false}}, VoteResult::kLost},
      {{1, 2, 3, 4}, {{1, true}, {2, true}, {3, false}}, VoteResult::kPending},
      {{1, 2, 3, 4}, {{1, true}, {2, false}, {3, false}}, VoteResult::kLost},
      {{1, 2}, {{1, true}, {7, true}}, VoteResult::kPending},  // non-voters do not count
  };
  for (const auto& tc : cases) EXPECT_EQ(MajorityVoteResult(tc.voters, tc.votes), tc.want);
}

// Thesis 4.3: in C_{old,new}, "agreement (for elections and entry commitment) requires
// separate majorities from both the old and new configurations."
TEST(QuorumTest, JointConfig) {
  JointConfig c{{1, 2, 3}, {3, 4, 5}};
  EXPECT_TRUE(c.IsJoint());
  EXPECT_EQ(c.Ids(), (std::set<uint64_t>{1, 2, 3, 4, 5}));
  std::map<uint64_t, uint64_t> acked = {{1, 9}, {2, 9}, {3, 5}, {4, 2}, {5, 1}};
  EXPECT_EQ(c.CommittedIndex([&](uint64_t id) -> std::optional<uint64_t> { return acked[id]; }),
            2u);
  EXPECT_EQ(c.VoteResultOf({{1, true}, {2, true}}), VoteResult::kPending);
  EXPECT_EQ(c.VoteResultOf({{1, true}, {2, true}, {4, true}, {5, true}}), VoteResult::kWon);
  EXPECT_EQ(c.VoteResultOf({{1, true}, {2, true}, {4, false}, {5, false}}), VoteResult::kLost);
  EXPECT_EQ(c.ToString(), "(1 2 3)&&(3 4 5)");
  JointConfig simple{{1, 2, 3}, {}};
  EXPECT_EQ(simple.VoteResultOf({{1, true}, {2, true}}), VoteResult::kWon);
  EXPECT_EQ(simple.ToString(), "(1 2 3)");
}

}  // namespace
}  // namespace etcd::raft::internal
