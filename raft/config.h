// Config: the parameters a RawNode starts with.
//
// Source: etcd-io/raft raft.go (Config). Times are in ticks: the application calls
// RawNode::Tick() at a fixed interval (etcd: 100 ms) and every timeout is a count of ticks.
#ifndef ETCD_RAFT_CONFIG_H_
#define ETCD_RAFT_CONFIG_H_

#include <cstdint>

#include "absl/status/status.h"
#include "raft/logger.h"
#include "raft/storage.h"

namespace etcd::raft {

// How the leader confirms that it is still the leader before answering a ReadIndex request.
enum class ReadOnlyOption {
  // One heartbeat round acknowledged by a quorum (Raft thesis, section 6.4). Linearizable
  // whatever the clocks do. The default.
  kSafe,
  // The leader lease: no round trip, but it relies on bounded clock drift (thesis 6.4.1).
  // Requires check_quorum.
  kLeaseBased,
};

struct Config {
  // This node's id. Must not be kNone (0).
  uint64_t id = kNone;

  // A follower (or candidate) that hears nothing from a leader for a randomized timeout
  // drawn from [election_tick, 2 * election_tick) ticks starts an election (Raft paper,
  // section 5.2). Must be > heartbeat_tick; etcd suggests 10 * heartbeat_tick.
  int election_tick = 10;
  // A leader sends heartbeats every heartbeat_tick ticks. Must be > 0.
  int heartbeat_tick = 1;

  // The persisted log (not owned; must outlive the RawNode). Required.
  Storage* storage = nullptr;

  // The last index the application has applied, when restarting: committed entries up to it
  // are not handed out again. 0 on a fresh start.
  uint64_t applied = 0;

  // Byte limit for the entries of one MsgApp (protobuf encoded size). 0 means at most one
  // entry per message; kNoLimit means no limit.
  uint64_t max_size_per_msg = 1 << 20;
  // Byte limit for Ready::committed_entries. 0 means "same as max_size_per_msg".
  uint64_t max_committed_size_per_ready = 0;
  // Byte limit (payload bytes) of the uncommitted tail a leader accepts; beyond it proposals
  // fail with ErrProposalDropped. 0 means no limit.
  uint64_t max_uncommitted_entries_size = 0;
  // Maximum number of MsgApp in flight to one follower in replicate state. Must be > 0.
  int max_inflight_msgs = 256;

  // The leader steps down if it has not heard from a quorum within an election timeout, and
  // a node that heard from a leader within the timeout ignores vote requests (thesis 6.2).
  bool check_quorum = false;
  // Run a pre-vote round before incrementing the term, so that a partitioned node rejoining
  // does not disrupt the cluster (thesis, section 9.6).
  bool pre_vote = false;
  ReadOnlyOption read_only_option = ReadOnlyOption::kSafe;
  // Followers drop proposals instead of forwarding them to the leader.
  bool disable_proposal_forwarding = false;

  // Seeds the generator of randomized election timeouts, together with `id`, so that nodes
  // sharing a seed still draw different timeouts. Same seed, same inputs: same behaviour.
  uint64_t random_seed = 0;

  // Where to log (not owned; must outlive the RawNode). nullptr selects DefaultLogger().
  Logger* logger = nullptr;

  // OK, or InvalidArgument naming the first invalid field.
  absl::Status Validate() const;
};

}  // namespace etcd::raft

#endif  // ETCD_RAFT_CONFIG_H_
