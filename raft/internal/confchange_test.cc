// Membership changes as pure functions (etcd-io/raft confchange/).
#include "raft/internal/confchange.h"

#include <vector>

#include "gtest/gtest.h"

namespace etcd::raft::internal {
namespace {

raftpb::ConfChangeSingle CC(raftpb::ConfChangeType type, uint64_t id) {
  raftpb::ConfChangeSingle cc;
  cc.set_type(type);
  cc.set_node_id(id);
  return cc;
}
constexpr auto kAdd = raftpb::CONF_CHANGE_ADD_NODE;
constexpr auto kLearner = raftpb::CONF_CHANGE_ADD_LEARNER_NODE;
constexpr auto kRemove = raftpb::CONF_CHANGE_REMOVE_NODE;

ConfigAndProgress Voters123() {
  raftpb::ConfState cs;
  for (uint64_t v : {1, 2, 3}) cs.add_voters(v);
  return *Restore(cs, 8, 10);
}

TEST(ConfChangeTest, SimpleAddRemoveAndLearner) {
  Changer c(Voters123(), 8, 10);
  absl::StatusOr<ConfigAndProgress> r = c.Simple({CC(kAdd, 4)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.voters.incoming, (std::set<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(r->progress.at(4).next, 10u);
  EXPECT_TRUE(r->progress.at(4).recent_active);

  r = c.Simple({CC(kRemove, 2)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config.voters.incoming, (std::set<uint64_t>{1, 3}));
  EXPECT_EQ(r->progress.count(2), 0u);

  r = c.Simple({CC(kLearner, 3)});  // demote a voter
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config.voters.incoming, (std::set<uint64_t>{1, 2}));
  EXPECT_EQ(r->config.learners, (std::set<uint64_t>{3}));
  EXPECT_TRUE(r->progress.at(3).is_learner);

  r = c.Simple({CC(kLearner, 9), CC(kAdd, 9)});  // learner promoted in one step: one voter
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config.voters.incoming.count(9), 1u);
  EXPECT_EQ(r->config.learners.count(9), 0u);

  // A zero node id is a no-op (etcd's way of cancelling a committed change).
  r = c.Simple({CC(kRemove, 0)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config.voters.incoming, (std::set<uint64_t>{1, 2, 3}));
}

// Thesis 4.1: changing one voter at a time keeps every majority of the old and new
// configurations overlapping; more needs joint consensus.
TEST(ConfChangeTest, SimpleRejectsTwoVotersAndEmptyConfig) {
  Changer c(Voters123(), 8, 10);
  EXPECT_FALSE(c.Simple({CC(kAdd, 4), CC(kAdd, 5)}).ok());
  EXPECT_FALSE(c.Simple({CC(kRemove, 1), CC(kRemove, 2)}).ok());
  raftpb::ConfState one;
  one.add_voters(1);
  Changer single(*Restore(one, 8, 10), 8, 10);
  EXPECT_FALSE(single.Simple({CC(kRemove, 1)}).ok());
}

// Thesis 4.3: joint consensus through C_{old,new}.
TEST(ConfChangeTest, EnterAndLeaveJoint) {
  Changer c(Voters123(), 8, 10);
  absl::StatusOr<ConfigAndProgress> joint =
      c.EnterJoint(false, {CC(kAdd, 4), CC(kAdd, 5), CC(kLearner, 3)});
  ASSERT_TRUE(joint.ok()) << joint.status();
  EXPECT_EQ(joint->config.voters.incoming, (std::set<uint64_t>{1, 2, 4, 5}));
  EXPECT_EQ(joint->config.voters.outgoing, (std::set<uint64_t>{1, 2, 3}));
  // 3 is still an outgoing voter: it becomes a learner only when leaving.
  EXPECT_EQ(joint->config.learners_next, (std::set<uint64_t>{3}));
  EXPECT_FALSE(Changer(*joint, 8, 10).Simple({CC(kAdd, 6)}).ok());
  EXPECT_FALSE(Changer(*joint, 8, 10).EnterJoint(false, {}).ok());

  absl::StatusOr<ConfigAndProgress> left = Changer(*joint, 8, 10).LeaveJoint();
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->config.voters.incoming, (std::set<uint64_t>{1, 2, 4, 5}));
  EXPECT_TRUE(left->config.voters.outgoing.empty());
  EXPECT_EQ(left->config.learners, (std::set<uint64_t>{3}));
  EXPECT_TRUE(left->progress.at(3).is_learner);
  EXPECT_FALSE(Changer(*left, 8, 10).LeaveJoint().ok());
}

TEST(ConfChangeTest, RestoreRoundTripsConfState) {
  raftpb::ConfState cs;
  for (uint64_t v : {1, 2, 3}) cs.add_voters(v);
  for (uint64_t v : {1, 2, 4, 6}) cs.add_voters_outgoing(v);
  cs.add_learners(5);
  cs.add_learners_next(4);
  cs.set_auto_leave(true);
  absl::StatusOr<ConfigAndProgress> cp = Restore(cs, 8, 10);
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->config.voters.incoming, (std::set<uint64_t>{1, 2, 3}));
  EXPECT_EQ(cp->config.voters.outgoing, (std::set<uint64_t>{1, 2, 4, 6}));
  EXPECT_EQ(cp->config.learners, (std::set<uint64_t>{5}));
  EXPECT_EQ(cp->config.learners_next, (std::set<uint64_t>{4}));
  EXPECT_TRUE(cp->config.auto_leave);
  EXPECT_EQ(cp->progress.size(), 6u);
  EXPECT_TRUE(CheckInvariants(*cp).ok());
}

TEST(ConfChangeTest, V2Classification) {
  raftpb::ConfChangeV2 leave;
  EXPECT_TRUE(IsLeaveJoint(leave));
  bool auto_leave = false;
  EXPECT_FALSE(IsEnterJoint(leave, &auto_leave));
  raftpb::ConfChangeV2 two;
  *two.add_changes() = CC(kAdd, 4);
  *two.add_changes() = CC(kAdd, 5);
  EXPECT_TRUE(IsEnterJoint(two, &auto_leave));
  EXPECT_TRUE(auto_leave);
  two.set_transition(raftpb::CONF_CHANGE_TRANSITION_JOINT_EXPLICIT);
  EXPECT_TRUE(IsEnterJoint(two, &auto_leave));
  EXPECT_FALSE(auto_leave);
  raftpb::ConfChangeV2 one;
  *one.add_changes() = CC(kAdd, 4);
  EXPECT_FALSE(IsEnterJoint(one, &auto_leave));
  EXPECT_FALSE(IsLeaveJoint(one));
}

}  // namespace
}  // namespace etcd::raft::internal
