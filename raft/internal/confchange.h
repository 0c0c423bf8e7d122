// Membership changes as pure functions (etcd-io/raft confchange/): each takes the current
// configuration and returns a new one, or an error, without touching the input.
//
// Simple changes alter the voters by at most one (Raft thesis, section 4.1); joint changes
// go through C_{old,new} (thesis, section 4.3).
#ifndef ETCD_RAFT_INTERNAL_CONFCHANGE_H_
#define ETCD_RAFT_INTERNAL_CONFCHANGE_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "raft/internal/progress.h"
#include "raft/raftpb/raft.pb.h"

namespace etcd::raft::internal {

struct ConfigAndProgress {
  TrackerConfig config;
  std::map<uint64_t, Progress> progress;
};

class Changer {
 public:
  // `tracker` is read only; new Progress entries start at next = last_index (probing).
  Changer(const ProgressTracker& tracker, uint64_t last_index);
  Changer(ConfigAndProgress base, int max_inflight, uint64_t last_index);

  // Applies changes that alter the incoming voters by at most one.
  // Errors (InvalidArgument/FailedPrecondition): in a joint config, more than one voter
  // changed, or all voters removed.
  absl::StatusOr<ConfigAndProgress> Simple(
      const std::vector<raftpb::ConfChangeSingle>& changes) const;
  // Enters the joint configuration C_{old,new}: outgoing = current voters, incoming =
  // current voters with `changes` applied. Error if already joint or no voters.
  absl::StatusOr<ConfigAndProgress> EnterJoint(
      bool auto_leave, const std::vector<raftpb::ConfChangeSingle>& changes) const;
  // Leaves the joint configuration: drops the outgoing voters, promotes learners_next.
  // Error if not joint.
  absl::StatusOr<ConfigAndProgress> LeaveJoint() const;

 private:
  absl::Status Apply(ConfigAndProgress& cp,
                     const std::vector<raftpb::ConfChangeSingle>& changes) const;
  void MakeVoter(ConfigAndProgress& cp, uint64_t id) const;
  void MakeLearner(ConfigAndProgress& cp, uint64_t id) const;
  void Remove(ConfigAndProgress& cp, uint64_t id) const;
  void InitProgress(ConfigAndProgress& cp, uint64_t id, bool is_learner) const;

  ConfigAndProgress base_;
  int max_inflight_;
  uint64_t last_index_;
};

// Checks that config and progress agree (every member has a Progress, learners and voters
// are disjoint, learners_next only in a joint config...).
absl::Status CheckInvariants(const ConfigAndProgress& cp);

// Builds, from an empty configuration, the configuration described by `cs` (used at start
// and when restoring a snapshot).
absl::StatusOr<ConfigAndProgress> Restore(const raftpb::ConfState& cs, int max_inflight,
                                          uint64_t last_index);

// A ConfChange as the equivalent one-change ConfChangeV2.
raftpb::ConfChangeV2 AsV2(const raftpb::ConfChange& cc);
// Whether a ConfChangeV2 asks to leave a joint config (it is empty but for the context).
bool IsLeaveJoint(const raftpb::ConfChangeV2& cc);
// Whether a ConfChangeV2 must use joint consensus, and with which auto_leave.
bool IsEnterJoint(const raftpb::ConfChangeV2& cc, bool* auto_leave);

}  // namespace etcd::raft::internal

#endif  // ETCD_RAFT_INTERNAL_CONFCHANGE_H_
