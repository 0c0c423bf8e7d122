// The leader's per-follower replication state (etcd-io/raft tracker/): the in-flight window,
// the Progress state machine (probe / replicate / snapshot), and the ProgressTracker that
// holds the configuration and the Progress of every member.
#ifndef ETCD_RAFT_INTERNAL_PROGRESS_H_
#define ETCD_RAFT_INTERNAL_PROGRESS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "raft/internal/quorum.h"
#include "raft/raftpb/raft.pb.h"
#include "raft/status.h"

namespace etcd::raft::internal {

// A sliding window over the MsgApps sent to one follower and not yet acknowledged, each
// represented by the index of its last entry. Flow control: when Full(), no more MsgApp.
class Inflights {
 public:
  // `capacity` > 0: the maximum number of messages in flight.
  explicit Inflights(int capacity) : capacity_(capacity) {}

  // Records a message whose last entry is `index`.
  // REQUIRES: !Full(); indexes added in increasing order.
  void Add(uint64_t index);
  // Frees every message whose last index is <= `to` (they were acknowledged).
  void FreeLE(uint64_t to);
  // Frees the oldest message (a heartbeat response shows the follower is alive).
  void FreeFirstOne();
  bool Full() const { return count_ == capacity_; }
  int Count() const { return count_; }
  int Capacity() const { return capacity_; }
  void Reset() {
    start_ = 0;
    count_ = 0;
  }

 private:
  int capacity_;
  // Ring buffer, grown on demand up to capacity_ (thousands of groups may share a process).
  std::vector<uint64_t> buffer_;
  // Invariant: 0 <= start_ < max(1, buffer_.size()); 0 <= count_ <= capacity_.
  int start_ = 0;
  int count_ = 0;
};

// One follower as seen by the leader.
struct Progress {
  explicit Progress(int max_inflight) : inflights(max_inflight) {}

  // Invariant: match < next (the leader never sends what the follower already has).
  uint64_t match = 0;
  uint64_t next = 1;
  ProgressState state = ProgressState::kProbe;
  // In kSnapshot: the index of the snapshot sent; 0 otherwise.
  uint64_t pending_snapshot = 0;
  // Heard from the follower since the last check-quorum round.
  bool recent_active = false;
  // In kProbe: a MsgApp was sent and not answered; pause until a reply or heartbeat.
  bool probe_sent = false;
  Inflights inflights;
  bool is_learner = false;

  // Enters `state`, clearing probe_sent, pending_snapshot and the window.
  void ResetState(ProgressState new_state);
  // Probe from match+1 (or from after the pending snapshot, if it was just applied).
  void BecomeProbe();
  // Stream from match+1.
  void BecomeReplicate();
  // Pause for a snapshot at `snapshot_index`.
  void BecomeSnapshot(uint64_t snapshot_index);
  // On MsgAppResp acknowledging `n`: returns false if stale (n <= match).
  bool MaybeUpdate(uint64_t n);
  // Entries up to `n` are in flight: next = n + 1.
  void OptimisticUpdate(uint64_t n) { next = n + 1; }
  // On a rejected MsgApp at `rejected` with the follower's last index `last`: returns false
  // if the rejection is stale, otherwise lowers next and unpauses.
  bool MaybeDecrTo(uint64_t rejected, uint64_t last);
  // Whether sending MsgApp to this follower is throttled.
  bool IsPaused() const;

  std::string ToString() const;
};

// The membership configuration.
struct TrackerConfig {
  JointConfig voters;
  // Invariant: learners and voters (both halves) are disjoint.
  std::set<uint64_t> learners;
  // Learners to add when leaving a joint configuration (voters demoted to learners).
  std::set<uint64_t> learners_next;
  bool auto_leave = false;

  std::string ToString() const;
};

// The configuration plus the Progress of every voter and learner, and the votes of the
// current election.
class ProgressTracker {
 public:
  explicit ProgressTracker(int max_inflight) : max_inflight_(max_inflight) {}

  TrackerConfig config;
  // Invariant: has an entry for exactly the ids in config.voters and config.learners.
  std::map<uint64_t, Progress> progress;
  // Votes of the current election: id -> granted.
  std::map<uint64_t, bool> votes;

  int max_inflight() const { return max_inflight_; }

  // The membership as a ConfState (sorted ids).
  raftpb::ConfState ConfState() const;
  // True iff the only voter is a single node (which is then trivially the quorum).
  bool IsSingleton() const;
  // The largest index a quorum of voters has matched.
  uint64_t Committed() const;
  // Whether a quorum of voters was recently active (check-quorum).
  bool QuorumActive() const;
  std::vector<uint64_t> VoterNodes() const;
  std::vector<uint64_t> LearnerNodes() const;

  void ResetVotes() { votes.clear(); }
  // Records id's vote; only the first vote of an id in an election counts.
  void RecordVote(uint64_t id, bool granted);
  // Tallies the votes: the counts of granted and rejected (voters only) and the outcome.
  VoteResult TallyVotes(int* granted, int* rejected) const;

  Progress* Find(uint64_t id) {
    auto it = progress.find(id);
    return it == progress.end() ? nullptr : &it->second;
  }

 private:
  int max_inflight_;
};

}  // namespace etcd::raft::internal

#endif  // ETCD_RAFT_INTERNAL_PROGRESS_H_
