// Status: a snapshot of one Raft node's state, for monitoring, tests and the server's
// /status endpoints. Plain values; copying one never touches the node again.
#ifndef ETCD_RAFT_STATUS_H_
#define ETCD_RAFT_STATUS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "raft/raftpb/raft.pb.h"

namespace etcd::raft {

// The role of a node (Raft paper, section 5.1, plus the pre-vote phase of thesis 9.6).
enum class StateType { kFollower = 0, kCandidate = 1, kLeader = 2, kPreCandidate = 3 };
// "StateFollower", "StateCandidate", "StateLeader", "StatePreCandidate" (etcd's names).
std::string_view StateTypeName(StateType state);

// How a leader replicates to one follower (etcd-io/raft tracker/state.go).
enum class ProgressState {
  // At most one MsgApp per heartbeat interval, until the follower's last index is found.
  kProbe = 0,
  // MsgApps streamed optimistically, bounded by the in-flight window.
  kReplicate = 1,
  // A snapshot was sent; replication is paused until it is reported applied or failed.
  kSnapshot = 2,
};
std::string_view ProgressStateName(ProgressState state);

// Volatile state that need not be persisted.
struct SoftState {
  uint64_t lead = 0;  // kNone when no leader is known
  StateType role = StateType::kFollower;
  bool operator==(const SoftState&) const = default;
};

// The leader's view of one peer.
struct ProgressStatus {
  uint64_t match = 0;  // highest index known replicated on the peer
  uint64_t next = 0;   // next index to send
  ProgressState state = ProgressState::kProbe;
  uint64_t pending_snapshot = 0;  // in kSnapshot: index of the snapshot sent
  bool recent_active = false;
  bool is_learner = false;
  bool paused = false;  // replication currently throttled
  int inflight = 0;     // MsgApps in flight
};

struct Status {
  uint64_t id = 0;
  raftpb::HardState hard_state;  // term, vote, commit
  SoftState soft_state;
  uint64_t applied = 0;
  uint64_t lead_transferee = 0;
  // The current configuration.
  std::vector<uint64_t> voters;
  std::vector<uint64_t> voters_outgoing;
  std::vector<uint64_t> learners;
  // Per peer (including this node); filled only on the leader.
  std::map<uint64_t, ProgressStatus> progress;

  // One-line rendering, like etcd's Status.String (JSON-ish), for logs.
  std::string ToString() const;
};

}  // namespace etcd::raft

#endif  // ETCD_RAFT_STATUS_H_
