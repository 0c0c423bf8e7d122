// RawNode on a single node: configuration checks, the Ready contract, restart, errors.
#include "raft/raw_node.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "raft/errors.h"
#include "raft/storage.h"

namespace etcd::raft {
namespace {

StderrLogger* QuietLogger() {
  static StderrLogger* logger = new StderrLogger(LogLevel::kWarning);
  return logger;
}

Config SingleConfig(Storage* storage) {
  Config c;
  c.id = 1;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.storage = storage;
  c.logger = QuietLogger();
  return c;
}

// A storage whose snapshot (index 1, term 1) makes `voters` the configuration.
std::unique_ptr<MemoryStorage> StorageWithVoters(const std::vector<uint64_t>& voters) {
  auto storage = std::make_unique<MemoryStorage>(QuietLogger());
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(1);
  snap.mutable_metadata()->set_term(1);
  for (uint64_t v : voters) snap.mutable_metadata()->mutable_conf_state()->add_voters(v);
  EXPECT_TRUE(storage->ApplySnapshot(snap).ok());
  return storage;
}

// Handles one Ready the way the README says: persist, (send), apply, Advance. Returns it.
Ready HandleReady(RawNode& node, MemoryStorage& storage, std::vector<std::string>* applied) {
  Ready rd = node.GetReady();
  if (!IsEmptySnap(rd.snapshot)) {
    EXPECT_TRUE(storage.ApplySnapshot(rd.snapshot).ok());
  }
  EXPECT_TRUE(storage.Append(rd.entries).ok());
  if (!IsEmptyHardState(rd.hard_state)) {
    EXPECT_TRUE(storage.SetHardState(rd.hard_state).ok());
  }
  for (const raftpb::Entry& e : rd.committed_entries) {
    if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
      raftpb::ConfChange cc;
      EXPECT_TRUE(cc.ParseFromString(e.data())) << "bad conf change";
      EXPECT_TRUE(node.ApplyConfChange(cc).ok());
    } else if (!e.data().empty() && applied != nullptr) {
      applied->push_back(e.data());
    }
  }
  node.Advance();
  return rd;
}

TEST(RawNodeConfigTest, RejectsInvalidConfigs) {
  MemoryStorage storage(QuietLogger());
  struct Case {
    const char* name;
    void (*mutate)(Config&);
  } cases[] = {
      {"zero id", [](Config& c) { c.id = 0; }},
      {"zero heartbeat", [](Config& c) { c.heartbeat_tick = 0; }},
      {"election <= heartbeat", [](Config& c) { c.election_tick = c.heartbeat_tick; }},
      {"no storage", [](Config& c) { c.storage = nullptr; }},
      {"no inflight", [](Config& c) { c.max_inflight_msgs = 0; }},
      {"lease without check quorum",
       [](Config& c) {
         c.read_only_option = ReadOnlyOption::kLeaseBased;
         c.check_quorum = false;
       }},
  };
  for (const Case& tc : cases) {
    Config c = SingleConfig(&storage);
    tc.mutate(c);
    absl::StatusOr<std::unique_ptr<RawNode>> node = RawNode::Create(c);
    EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument) << tc.name;
  }
  EXPECT_TRUE(RawNode::Create(SingleConfig(&storage)).ok());
}

// The lead's first use: one node, propose, get entries to persist and then to apply.
TEST(RawNodeTest, SingleNodeProposeCommitsInOneReady) {
  MemoryStorage storage(QuietLogger());
  auto node = *RawNode::Create(SingleConfig(&storage));
  ASSERT_TRUE(node->Bootstrap({Peer{1, ""}}).ok());
  std::vector<std::string> applied;

  // Bootstrap: the ConfChange entry is to persist and to apply.
  ASSERT_TRUE(node->HasReady());
  Ready rd = HandleReady(*node, storage, &applied);
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].type(), raftpb::ENTRY_CONF_CHANGE);
  EXPECT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_EQ(rd.hard_state.term(), 1u);
  EXPECT_EQ(rd.hard_state.commit(), 1u);
  EXPECT_TRUE(rd.must_sync);

  // A single voter wins its own election at once (Raft paper, section 5.2).
  ASSERT_TRUE(node->Campaign().ok());
  EXPECT_EQ(node->Role(), StateType::kLeader);
  rd = HandleReady(*node, storage, &applied);
  ASSERT_TRUE(rd.soft_state.has_value());
  EXPECT_EQ(rd.soft_state->lead, 1u);
  EXPECT_EQ(rd.soft_state->role, StateType::kLeader);
  EXPECT_EQ(rd.hard_state.term(), 2u);
  EXPECT_EQ(rd.hard_state.vote(), 1u);
  // The leader's empty entry of its term (section 5.4.2), committed at once.
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].index(), 2u);
  EXPECT_TRUE(rd.entries[0].data().empty());
  EXPECT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_TRUE(rd.messages.empty());
  EXPECT_FALSE(node->HasReady());

  ASSERT_TRUE(node->Propose("foo").ok());
  ASSERT_TRUE(node->HasReady());
  rd = HandleReady(*node, storage, &applied);
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].index(), 3u);
  EXPECT_EQ(rd.entries[0].term(), 2u);
  EXPECT_EQ(rd.entries[0].data(), "foo");
  ASSERT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_EQ(rd.committed_entries[0].data(), "foo");
  EXPECT_EQ(rd.hard_state.commit(), 3u);
  EXPECT_TRUE(rd.must_sync);
  EXPECT_FALSE(node->HasReady());
  EXPECT_EQ(applied, std::vector<std::string>{"foo"});
  EXPECT_EQ(*storage.LastIndex(), 3u);

  Status st = node->GetStatus();
  EXPECT_EQ(st.applied, 3u);
  EXPECT_EQ(st.hard_state.commit(), 3u);
  EXPECT_EQ(st.soft_state.role, StateType::kLeader);
  ASSERT_EQ(st.progress.count(1), 1u);
  EXPECT_EQ(st.progress[1].match, 3u);
  EXPECT_EQ(st.voters, std::vector<uint64_t>{1});
}

TEST(RawNodeTest, SingleNodeFromSnapshotStorageElectsItselfByTicks) {
  auto storage = StorageWithVoters({1});
  auto node = *RawNode::Create(SingleConfig(storage.get()));
  EXPECT_EQ(node->Role(), StateType::kFollower);
  // The randomized timeout is below 2 * election_tick (Raft paper, section 5.2).
  for (int i = 0; i < 2 * 10 && node->Role() != StateType::kLeader; ++i) node->Tick();
  EXPECT_EQ(node->Role(), StateType::kLeader);
  EXPECT_EQ(node->Term(), 1u);  // no HardState yet: term 0 before the election
}

TEST(RawNodeTest, ManyProposalsBatchIntoOneReady) {
  auto storage = StorageWithVoters({1});
  auto node = *RawNode::Create(SingleConfig(storage.get()));
  ASSERT_TRUE(node->Campaign().ok());
  std::vector<std::string> applied;
  HandleReady(*node, *storage, &applied);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(node->Propose("p" + std::to_string(i)).ok());
  Ready rd = HandleReady(*node, *storage, &applied);
  EXPECT_EQ(rd.entries.size(), 100u);
  EXPECT_EQ(rd.committed_entries.size(), 100u);
  ASSERT_EQ(applied.size(), 100u);
  EXPECT_EQ(applied.front(), "p0");
  EXPECT_EQ(applied.back(), "p99");
}

TEST(RawNodeTest, ProposalsBetweenGetReadyAndAdvanceGoToTheNextReady) {
  auto storage = StorageWithVoters({1});
  auto node = *RawNode::Create(SingleConfig(storage.get()));
  ASSERT_TRUE(node->Campaign().ok());
  HandleReady(*node, *storage, nullptr);
  ASSERT_TRUE(node->Propose("a").ok());
  Ready rd = node->GetReady();
  ASSERT_TRUE(node->Propose("b").ok());  // while "a" is being persisted
  ASSERT_TRUE(storage->Append(rd.entries).ok());
  node->Advance();
  ASSERT_TRUE(node->HasReady());
  std::vector<std::string> applied;
  rd = HandleReady(*node, *storage, &applied);
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].data(), "b");
  EXPECT_EQ(applied, std::vector<std::string>{"b"});
}

TEST(RawNodeTest, ProposalWithoutLeaderIsDropped) {
  auto storage = StorageWithVoters({1, 2, 3});
  auto node = *RawNode::Create(SingleConfig(storage.get()));
  EXPECT_TRUE(IsErrProposalDropped(node->Propose("x")));
  // As a candidate too.
  ASSERT_TRUE(node->Campaign().ok());
  EXPECT_EQ(node->Role(), StateType::kCandidate);
  EXPECT_TRUE(IsErrProposalDropped(node->Propose("x")));
}

TEST(RawNodeTest, StepRejectsLocalMessagesAndUnknownResponders) {
  auto storage = StorageWithVoters({1, 2, 3});
  auto node = *RawNode::Create(SingleConfig(storage.get()));
  for (raftpb::MessageType t : {raftpb::MSG_HUP, raftpb::MSG_BEAT, raftpb::MSG_UNREACHABLE,
                                raftpb::MSG_SNAP_STATUS, raftpb::MSG_CHECK_QUORUM}) {
    raftpb::Message m;
    m.set_type(t);
    m.set_from(2);
    EXPECT_TRUE(IsErrStepLocalMsg(node->Step(m))) << t;
  }
  raftpb::Message resp;
  resp.set_type(raftpb::MSG_APP_RESP);
  resp.set_from(7);
  resp.set_term(1);
  EXPECT_TRUE(IsErrStepPeerNotFound(node->Step(resp)));
  resp.set_from(2);
  EXPECT_TRUE(node->Step(resp).ok());
}

// A restarted node reloads term, vote and commit, and hands out only the committed entries
// after Config::applied.
TEST(RawNodeTest, RestartResumesFromStorage) {
  auto storage = StorageWithVoters({1});
  std::vector<raftpb::Entry> ents;
  for (uint64_t i = 2; i <= 4; ++i) {
    raftpb::Entry& e = ents.emplace_back();
    e.set_index(i);
    e.set_term(2);
    e.set_data("e" + std::to_string(i));
  }
  ASSERT_TRUE(storage->Append(ents).ok());
  raftpb::HardState hs;
  hs.set_term(2);
  hs.set_vote(1);
  hs.set_commit(4);
  ASSERT_TRUE(storage->SetHardState(hs).ok());

  Config c = SingleConfig(storage.get());
  c.applied = 2;
  auto node = *RawNode::Create(c);
  EXPECT_EQ(node->Term(), 2u);
  EXPECT_EQ(node->Role(), StateType::kFollower);
  std::vector<std::string> applied;
  Ready rd = HandleReady(*node, *storage, &applied);
  EXPECT_TRUE(IsEmptyHardState(rd.hard_state));  // unchanged since restart
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_FALSE(rd.must_sync);
  EXPECT_EQ(applied, (std::vector<std::string>{"e3", "e4"}));
  EXPECT_FALSE(node->HasReady());
}

TEST(RawNodeTest, BootstrapRequiresEmptyStorageAndPeers) {
  auto storage = StorageWithVoters({1});
  auto node = *RawNode::Create(SingleConfig(storage.get()));
  EXPECT_EQ(node->Bootstrap({}).code(), absl::StatusCode::kInvalidArgument);
  raftpb::Entry e;
  e.set_index(2);
  e.set_term(1);
  ASSERT_TRUE(storage->Append({e}).ok());
  EXPECT_EQ(node->Bootstrap({Peer{1, ""}}).code(), absl::StatusCode::kFailedPrecondition);
}

// A single voter is its own quorum: ReadIndex is answered at once (Raft thesis 6.4).
TEST(RawNodeTest, SingleNodeReadIndex) {
  auto storage = StorageWithVoters({1});
  auto node = *RawNode::Create(SingleConfig(storage.get()));
  ASSERT_TRUE(node->Campaign().ok());
  HandleReady(*node, *storage, nullptr);
  ASSERT_TRUE(node->Propose("x").ok());
  HandleReady(*node, *storage, nullptr);
  node->ReadIndex("req-1");
  ASSERT_TRUE(node->HasReady());
  Ready rd = HandleReady(*node, *storage, nullptr);
  ASSERT_EQ(rd.read_states.size(), 1u);
  EXPECT_EQ(rd.read_states[0].index, 3u);
  EXPECT_EQ(rd.read_states[0].request_ctx, "req-1");
  EXPECT_FALSE(node->HasReady());
}

TEST(RawNodeTest, SingleNodeConfChangeAddsAVoter) {
  auto storage = StorageWithVoters({1});
  auto node = *RawNode::Create(SingleConfig(storage.get()));
  ASSERT_TRUE(node->Campaign().ok());
  HandleReady(*node, *storage, nullptr);
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_ADD_NODE);
  cc.set_node_id(2);
  ASSERT_TRUE(node->ProposeConfChange(cc).ok());
  Ready rd = HandleReady(*node, *storage, nullptr);
  ASSERT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_EQ(rd.committed_entries[0].type(), raftpb::ENTRY_CONF_CHANGE);
  EXPECT_EQ(node->GetStatus().voters, (std::vector<uint64_t>{1, 2}));
  // Now two voters: a proposal needs node 2, so it is appended but not committed.
  ASSERT_TRUE(node->Propose("y").ok());
  rd = HandleReady(*node, *storage, nullptr);
  EXPECT_EQ(rd.entries.size(), 1u);
  EXPECT_TRUE(rd.committed_entries.empty());
  // The leader replicates to the new voter.
  bool sent_to_2 = false;
  for (const raftpb::Message& m : rd.messages) sent_to_2 |= m.to() == 2;
  EXPECT_TRUE(sent_to_2);
}

TEST(RawNodeTest, ApplyConfChangeRejectsRemovingTheLastVoter) {
  auto storage = StorageWithVoters({1});
  auto node = *RawNode::Create(SingleConfig(storage.get()));
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_REMOVE_NODE);
  cc.set_node_id(1);
  EXPECT_FALSE(node->ApplyConfChange(cc).ok());
  EXPECT_EQ(node->GetStatus().voters, std::vector<uint64_t>{1});
}

TEST(RawNodeDeathTest, GetReadyTwiceWithoutAdvanceAborts) {
  auto storage = StorageWithVoters({1});
  auto node = *RawNode::Create(SingleConfig(storage.get()));
  ASSERT_TRUE(node->Campaign().ok());
  (void)node->GetReady();
  EXPECT_DEATH((void)node->GetReady(), "GetReady called twice without Advance");
}

}  // namespace
}  // namespace etcd::raft
