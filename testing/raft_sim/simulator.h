// A deterministic network simulator for //raft: N RawNodes, each with a MemoryStorage that
// stands for its disk, driven through the Ready contract, on a network that can drop,
// duplicate, delay and reorder messages, partition and heal. Nodes crash (losing everything
// they had not persisted through a Ready) and restart from their disk. Each node's clock
// advances independently.
//
// The simulator is driven by Events. Where they come from is the caller's business: the
// RandomScheduler draws them from a seeded generator (simulator_test), the fuzzer decodes
// them from its input (cluster_fuzzer). After every event the simulator checks the safety
// properties of the Raft paper (figure 3, plus two about crashes):
//   - Election Safety: at most one leader per term.
//   - Leader Append-Only: a leader never overwrites or deletes entries in its log.
//   - Log Matching: two logs with an entry of the same index and term are identical up to it
//     (checked incrementally: an (index, term) always comes with the same payload and the
//     same term at index - 1, which implies it by induction).
//   - Leader Completeness: a leader holds every entry committed in an earlier or its own term.
//   - State Machine Safety: no two nodes apply different entries at the same index; each node
//     applies indexes in order with no gap.
//   - Durability: every applied (hence committed) entry is on the disk of a quorum, so no
//     crash can lose it.
// A violation is recorded with the event that caused it; Trace() renders the whole event list
// so that a failure is reproducible from its seed (or its list).
//
// No threads, no clock, no sleeps: the same events give the same run.
#ifndef ETCD_TESTING_RAFT_SIM_SIMULATOR_H_
#define ETCD_TESTING_RAFT_SIM_SIMULATOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "raft/config.h"
#include "raft/logger.h"
#include "raft/raftpb/raft.pb.h"
#include "raft/raw_node.h"
#include "raft/storage.h"

namespace etcd::raft_sim {

struct SimOptions {
  int nodes = 3;  // 1..7
  int election_tick = 10;
  int heartbeat_tick = 1;
  bool pre_vote = false;
  bool check_quorum = false;
  // Seeds the nodes' election timeouts (raft::Config::random_seed).
  uint64_t seed = 1;
  uint64_t max_size_per_msg = 4096;
  int max_inflight_msgs = 16;
  // Messages in flight beyond this are dropped, oldest first (a bounded network buffer).
  size_t max_in_flight = 2048;
  raft::LogLevel log_level = raft::LogLevel::kFatal;
  // Injects an application bug, to show that the checks catch it: a crashed node loses the
  // last entry it had persisted (as if an acknowledged append was never fsynced).
  bool fault_lose_last_entry_on_crash = false;
};

// One thing that happens to the cluster. `node` is taken modulo the cluster size (+1), `arg`
// is interpreted per kind; out-of-range values are folded, so any Event is valid (the fuzzer
// relies on it).
struct Event {
  enum Kind : uint8_t {
    kTick,          // node's clock advances one tick
    kTickAll,       // every live node ticks once
    kReady,         // node handles one Ready: persist, send, apply, Advance
    kReadyAll,      // every live node handles its Readies until it has none
    kDeliver,       // deliver in-flight message arg % in_flight (any one: reordering)
    kDeliverAll,    // deliver everything in flight now (not what it causes)
    kDrop,          // lose in-flight message arg % in_flight
    kDuplicate,     // copy in-flight message arg % in_flight (delivered later, twice)
    kPropose,       // node proposes a fresh payload of arg bytes
    kCampaign,      // node campaigns
    kTransfer,      // node (if leader) transfers leadership to node arg
    kReadIndex,     // node asks for a read index
    kCompact,       // node snapshots its state machine at its applied index and compacts
    kPartition,     // cut the nodes whose bit is set in arg from the others
    kIsolate,       // cut node from everybody
    kHeal,          // restore every link
    kCrash,         // node stops; arg % 3 == 1: it first persists a whole Ready but sends
                    // nothing; arg % 3 == 2: the write of that Ready is torn (a prefix of
                    // its entries reaches the disk, not its HardState)
    kRestart,       // node restarts from its disk (if crashed)
    kNumKinds,
  };
  Kind kind = kTick;
  uint8_t node = 1;
  uint32_t arg = 0;

  std::string ToString() const;
};

// The state machine of a node: how many normal entries it applied and a hash chain of their
// payloads (so two nodes agree iff they applied the same sequence).
struct StateMachine {
  uint64_t count = 0;
  uint64_t hash = 0;
  void Apply(const std::string& data);
  std::string Encode() const;
  static StateMachine Decode(const std::string& data);
  bool operator==(const StateMachine&) const = default;
};

class Simulator {
 public:
  explicit Simulator(SimOptions options);
  ~Simulator();

  // Applies one event, then checks the invariants. Returns false once a violation was seen.
  bool Apply(const Event& event);

  // Heals the network, restarts crashed nodes and runs the cluster (all ticks, all readies,
  // all messages) until a leader accepts a final proposal and every node applied it, for at
  // most `max_rounds` rounds. Records a violation (liveness) if it does not converge.
  bool Converge(int max_rounds = 2000);

  bool ok() const { return violations_.empty(); }
  const std::vector<std::string>& violations() const { return violations_; }
  // "seed=.. nodes=.. pre_vote=.. check_quorum=..", then one line per event applied so far,
  // then the violations.
  std::string Trace() const;
  const std::vector<Event>& events() const { return events_; }

  // Counters, for reports and tests.
  uint64_t delivered() const { return delivered_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t crashes() const { return crashes_; }
  uint64_t elections() const { return leaders_by_term_.size(); }
  uint64_t committed() const { return committed_.empty() ? 0 : committed_.rbegin()->first; }
  // The state machine of a node (crashed nodes: as of their crash).
  const StateMachine& state(uint64_t id) const { return nodes_.at(id)->sm; }
  int size() const { return static_cast<int>(nodes_.size()); }

 private:
  struct Node {
    uint64_t id = 0;
    std::unique_ptr<raft::MemoryStorage> disk;  // survives crashes
    std::unique_ptr<raft::RawNode> raw;         // null while crashed
    // Volatile application state, rebuilt from the disk's snapshot on restart.
    StateMachine sm;
    uint64_t applied = 0;
    raftpb::ConfState conf_state;
    std::string last_applied_data;  // payload of the last normal entry applied
  };
  struct Entry {
    raftpb::EntryType type;
    uint64_t term;
    std::string data;
    bool operator==(const Entry&) const = default;
  };

  raft::Config MakeConfig(Node& n, uint64_t applied);
  Node& NodeAt(uint8_t node);
  void Start(Node& n);
  void Crash(Node& n, uint32_t arg);
  // Handles one Ready of `n` if it has one. With `crash_after_persist` it stops after step 1;
  // `torn_entries` >= 0 then persists only that many of the Ready's entries and nothing else.
  bool HandleReady(Node& n, bool crash_after_persist = false, int torn_entries = -1);
  void Persist(Node& n, raft::Ready& rd, int torn_entries = -1);
  void ApplyCommitted(Node& n, const std::vector<raftpb::Entry>& entries);
  void Deliver(size_t i);
  bool Linked(uint64_t from, uint64_t to) const;
  void Violation(std::string what);
  void CheckAfterEvent();
  void CheckLeaderHasCommitted(Node& leader, uint64_t from_index);
  bool DiskHas(const Node& n, uint64_t index, uint64_t term) const;

  // Writes to stderr; before a raft Fatalf aborts, prints the trace that led there.
  class TraceLogger : public raft::Logger {
   public:
    TraceLogger(const Simulator* sim, raft::LogLevel min_level)
        : sim_(sim), min_level_(min_level) {}
    void Log(raft::LogLevel level, std::string_view message) override;
    bool IsEnabled(raft::LogLevel level) const override { return level >= min_level_; }

   private:
    const Simulator* sim_;
    raft::LogLevel min_level_;
  };

  SimOptions options_;
  TraceLogger logger_;
  std::map<uint64_t, std::unique_ptr<Node>> nodes_;
  std::vector<raftpb::Message> in_flight_;
  std::set<std::pair<uint64_t, uint64_t>> cut_;
  std::vector<Event> events_;
  size_t converged_at_ = 0;  // events_.size() when Converge() started (0: not called)
  std::vector<std::string> violations_;
  uint64_t delivered_ = 0;
  uint64_t dropped_ = 0;
  uint64_t crashes_ = 0;
  uint64_t proposals_ = 0;

  // Election Safety: term -> the leader seen in it.
  std::map<uint64_t, uint64_t> leaders_by_term_;
  // Log Matching: (index, term) -> (entry, term at index - 1) of every entry ever persisted.
  std::map<std::pair<uint64_t, uint64_t>, std::pair<Entry, uint64_t>> persisted_;
  // State Machine Safety / Durability: index -> the entry applied there by anyone.
  std::map<uint64_t, Entry> committed_;
};

// Draws events from a seeded generator with weights that favour progress (ticks, readies,
// deliveries) and sprinkle faults. Also picks per-seed options (cluster size, pre-vote,
// check-quorum).
class RandomScheduler {
 public:
  explicit RandomScheduler(uint64_t seed);
  SimOptions Options() const { return options_; }
  Event Next();

 private:
  std::mt19937_64 rng_;
  SimOptions options_;
  std::vector<std::pair<Event::Kind, int>> weights_;
  int total_weight_ = 0;
};

// Runs one random scenario of `steps` events plus convergence. Returns the simulator (check
// ok() and Trace()).
std::unique_ptr<Simulator> RunRandomScenario(uint64_t seed, int steps);

}  // namespace etcd::raft_sim

#endif  // ETCD_TESTING_RAFT_SIM_SIMULATOR_H_
