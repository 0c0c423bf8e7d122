// The Ready loop example that raft/README.md quotes, compiled and run as a test; a second test
// checks that the README still quotes this code verbatim (between the START/END markers).
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "raft/raw_node.h"

namespace etcd::raft {
namespace {

// [START ready_loop]
// One member of a cluster: its disk (here a MemoryStorage), its RawNode, its state machine.
struct Member {
  std::unique_ptr<MemoryStorage> storage = std::make_unique<MemoryStorage>();
  std::unique_ptr<RawNode> node;
  std::vector<std::string> applied;  // the state machine: payloads in log order
  raftpb::ConfState conf_state;
};

// Handles every pending Ready of `m`, in the order the contract requires.
void HandleReadies(Member& m, std::deque<raftpb::Message>& network) {
  while (m.node->HasReady()) {
    Ready rd = m.node->GetReady();
    // 1. Persist: snapshot, entries, hard state (a real server writes its WAL here and
    //    fsyncs if rd.must_sync).
    if (!IsEmptySnap(rd.snapshot)) {
      (void)m.storage->ApplySnapshot(rd.snapshot);
      m.conf_state = rd.snapshot.metadata().conf_state();
      // ...and restore the state machine from rd.snapshot.data().
    }
    (void)m.storage->Append(rd.entries);
    if (!IsEmptyHardState(rd.hard_state)) (void)m.storage->SetHardState(rd.hard_state);
    // 2. Send (here: into an in-memory network). A MsgSnap needs ReportSnapshot.
    for (raftpb::Message& msg : rd.messages) {
      if (msg.type() == raftpb::MSG_SNAP) {
        m.node->ReportSnapshot(msg.to(), SnapshotStatus::kFinish);
      }
      network.push_back(std::move(msg));
    }
    // 3. Apply committed entries, in order; membership changes through ApplyConfChange.
    for (const raftpb::Entry& e : rd.committed_entries) {
      if (e.type() == raftpb::ENTRY_NORMAL && !e.data().empty()) {
        m.applied.push_back(e.data());
      } else if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
        raftpb::ConfChange cc;
        cc.ParseFromString(e.data());
        if (auto cs = m.node->ApplyConfChange(cc); cs.ok()) m.conf_state = *cs;
      } else if (e.type() == raftpb::ENTRY_CONF_CHANGE_V2) {
        raftpb::ConfChangeV2 cc;
        cc.ParseFromString(e.data());
        if (auto cs = m.node->ApplyConfChange(cc); cs.ok()) m.conf_state = *cs;
      }
    }
    // 4. Acknowledge.
    m.node->Advance();
  }
}

// A three-member cluster in one process: bootstrap, tick until a leader is elected, propose,
// and run every member's Ready loop until the network is quiet.
std::map<uint64_t, Member> RunCluster(const std::vector<std::string>& proposals) {
  std::map<uint64_t, Member> members;
  std::deque<raftpb::Message> network;
  for (uint64_t id : {1, 2, 3}) {
    Member& m = members[id];
    Config config;
    config.id = id;
    config.election_tick = 10;  // ticks (a server ticks every 100 ms)
    config.heartbeat_tick = 1;
    config.storage = m.storage.get();
    config.pre_vote = true;
    config.check_quorum = true;
    m.node = *RawNode::Create(config);
    (void)m.node->Bootstrap({{1}, {2}, {3}});
  }
  auto run_until_quiet = [&] {
    do {
      for (auto& [id, m] : members) HandleReadies(m, network);
      while (!network.empty()) {
        raftpb::Message msg = std::move(network.front());
        network.pop_front();
        (void)members.at(msg.to()).node->Step(std::move(msg));
      }
      for (auto& [id, m] : members) HandleReadies(m, network);
    } while (!network.empty());
  };
  uint64_t leader = kNone;
  for (int tick = 0; tick < 100 && leader == kNone; ++tick) {
    for (auto& [id, m] : members) m.node->Tick();
    run_until_quiet();
    leader = members.at(1).node->Lead();
  }
  for (const std::string& p : proposals) (void)members.at(leader).node->Propose(p);
  run_until_quiet();
  return members;
}
// [END ready_loop]

TEST(ReadmeExampleTest, ThreeMembersApplyTheSameProposals) {
  std::map<uint64_t, Member> members = RunCluster({"a", "b", "c"});
  for (auto& [id, m] : members) {
    EXPECT_EQ(m.applied, (std::vector<std::string>{"a", "b", "c"})) << "member " << id;
    EXPECT_EQ(m.conf_state.voters_size(), 3) << "member " << id;
  }
}

std::string Between(const std::string& text, const std::string& start, const std::string& end) {
  size_t b = text.find(start);
  size_t e = text.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) return "";
  b = text.find('\n', b) + 1;
  e = text.rfind('\n', e);
  return text.substr(b, e - b);
}

TEST(ReadmeExampleTest, ReadmeQuotesThisCode) {
  std::ifstream readme_file("raft/README.md");
  std::ifstream source_file("raft/readme_example_test.cc");
  ASSERT_TRUE(readme_file.good() && source_file.good());
  std::stringstream readme, source;
  readme << readme_file.rdbuf();
  source << source_file.rdbuf();
  const std::string code = Between(source.str(), "// [START ready_loop]", "// [END ready_loop]");
  ASSERT_FALSE(code.empty());
  EXPECT_NE(readme.str().find(code), std::string::npos)
      << "raft/README.md must quote the code between the markers of readme_example_test.cc";
}

}  // namespace
}  // namespace etcd::raft
