// A deterministic in-memory cluster for tests: RawNodes with MemoryStorage, driven through
// their Ready loops exactly as an application would (persist, send, apply, Advance), with a
// network that delivers, drops or partitions messages. No threads, no clock, no sleeps.
//
// Every Stabilize() also checks two safety properties of the Raft paper (figure 3):
// Election Safety (at most one leader per term) and State Machine Safety (no two members
// apply different entries at the same index).
#ifndef ETCD_RAFT_RAFTTEST_NETWORK_H_
#define ETCD_RAFT_RAFTTEST_NETWORK_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "raft/config.h"
#include "raft/logger.h"
#include "raft/raftpb/raft.pb.h"
#include "raft/raw_node.h"
#include "raft/storage.h"

namespace etcd::raft::rafttest {

// One member: its persistent storage, its RawNode, and its "state machine" (the data of the
// normal entries it applied, in order).
struct Member {
  uint64_t id = 0;
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<RawNode> node;
  // The state machine: data of the non-empty ENTRY_NORMAL entries applied, in log order.
  std::vector<std::string> state;
  // Index of the last entry applied (or of the snapshot restored).
  uint64_t applied_index = 0;
  // Every committed entry applied, in order (including empty and conf change entries).
  std::vector<raftpb::Entry> applied_entries;
  // Read states received, in order.
  std::vector<ReadState> read_states;
  // The configuration after the last ApplyConfChange (or snapshot).
  raftpb::ConfState conf_state;
  // Snapshots restored from the leader.
  int snapshots_restored = 0;
};

struct NetworkOptions {
  int election_tick = 10;
  int heartbeat_tick = 1;
  bool pre_vote = false;
  bool check_quorum = false;
  uint64_t seed = 1;
  uint64_t max_size_per_msg = 1 << 20;
  int max_inflight_msgs = 256;
  ReadOnlyOption read_only_option = ReadOnlyOption::kSafe;
  // Minimum level logged to stderr.
  LogLevel log_level = LogLevel::kWarning;
};

class Network {
 public:
  explicit Network(NetworkOptions options = {});

  // Adds members 1..n, each bootstrapped with RawNode::Bootstrap({1..n}).
  void Bootstrap(int n);
  // Adds a member that starts from `storage` (which the test may have filled).
  Member& AddMember(uint64_t id, std::unique_ptr<MemoryStorage> storage);
  // The Config a member is created with (for tests that create members themselves).
  Config MakeConfig(uint64_t id, Storage* storage) const;

  Member& member(uint64_t id) { return *members_.at(id); }
  RawNode& node(uint64_t id) { return *members_.at(id)->node; }
  std::vector<uint64_t> ids() const;

  // Handles one Ready of `id` if it has one: persist, queue messages, apply, Advance.
  bool ProcessReady(uint64_t id);
  // Delivers the messages queued so far (not those they cause); returns how many.
  int DeliverQueued();
  // Processes Readies and delivers messages until nothing is left to do (no ticks).
  void Stabilize();
  // One tick on every member.
  void TickAll();
  // Ticks every member and stabilizes, `n` times.
  void TickAndStabilize(int n);

  // Makes `id` campaign and stabilizes. Returns whether it became leader.
  bool Elect(uint64_t id);
  // The leader with the highest term among members, or kNone.
  uint64_t Leader() const;
  // Members that currently consider themselves leader.
  std::vector<uint64_t> Leaders() const;

  // Proposes `data` at `id` (then stabilize to replicate it).
  absl::Status Propose(uint64_t id, std::string data);

  // Snapshots `id`'s state machine at its applied index and compacts its log there.
  void SnapshotAndCompact(uint64_t id);

  // Network faults. A cut link drops messages in both directions.
  void Cut(uint64_t a, uint64_t b);
  void Isolate(uint64_t id);
  // Splits members into two sides that cannot talk to each other.
  void Partition(const std::set<uint64_t>& side);
  void Heal();
  // Drops every message for which `filter` returns true (in addition to cuts); nullptr
  // clears it.
  void SetDropFilter(std::function<bool(const raftpb::Message&)> filter) {
    drop_filter_ = std::move(filter);
  }

  // Election Safety and State Machine Safety over everything seen so far.
  absl::Status CheckInvariants() const;
  // Messages delivered and dropped so far.
  int delivered() const { return delivered_; }
  int dropped() const { return dropped_; }

  Logger* logger() { return &logger_; }

 private:
  bool Linked(uint64_t from, uint64_t to) const;
  void RecordSafety(const Member& m);

  NetworkOptions options_;
  StderrLogger logger_;
  std::map<uint64_t, std::unique_ptr<Member>> members_;
  std::deque<raftpb::Message> queue_;
  std::set<std::pair<uint64_t, uint64_t>> cut_;
  std::function<bool(const raftpb::Message&)> drop_filter_;
  int delivered_ = 0;
  int dropped_ = 0;
  // term -> leader id, as observed.
  std::map<uint64_t, uint64_t> leaders_by_term_;
  // index -> (term, data) of every entry applied by anyone.
  std::map<uint64_t, std::pair<uint64_t, std::string>> applied_;
  std::vector<std::string> violations_;
};

// Encodes / decodes a state machine for snapshots.
std::string EncodeState(const std::vector<std::string>& state);
std::vector<std::string> DecodeState(const std::string& data);

}  // namespace etcd::raft::rafttest

#endif  // ETCD_RAFT_RAFTTEST_NETWORK_H_
