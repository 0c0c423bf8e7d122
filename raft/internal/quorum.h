// Quorum arithmetic: pure functions over sets of voter ids (etcd-io/raft quorum/).
//
// A majority configuration is a set of voters; a joint configuration is two of them
// (incoming, outgoing) and needs a majority of each (Raft thesis, section 4.3). With the
// outgoing half empty a joint configuration behaves exactly as its incoming majority.
#ifndef ETCD_RAFT_INTERNAL_QUORUM_H_
#define ETCD_RAFT_INTERNAL_QUORUM_H_

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/functional/function_ref.h"

namespace etcd::raft::internal {

enum class VoteResult {
  kPending = 1,  // neither a yes-quorum nor a no-quorum yet
  kLost = 2,     // a quorum said no (or can no longer say yes)
  kWon = 3,      // a quorum said yes
};

// Looks up the highest log index acknowledged by a voter; nullopt if the voter is unknown.
using AckedIndexFn = absl::FunctionRef<std::optional<uint64_t>(uint64_t id)>;

// The largest index that a majority of `voters` has acknowledged (Raft paper, section 5.3/5.4:
// "a log entry is committed once the leader ... has replicated it on a majority").
// Unknown voters count as having acknowledged 0. For an empty set returns UINT64_MAX, so
// that it is neutral in a joint configuration.
uint64_t MajorityCommittedIndex(const std::set<uint64_t>& voters, AckedIndexFn acked);

// The election outcome given yes (true) / no (false) votes; ids missing from `votes` have not
// voted. An empty set wins by convention (neutral in a joint configuration).
VoteResult MajorityVoteResult(const std::set<uint64_t>& voters,
                              const std::map<uint64_t, bool>& votes);

struct JointConfig {
  std::set<uint64_t> incoming;
  // Invariant: empty unless in a joint configuration.
  std::set<uint64_t> outgoing;

  bool IsJoint() const { return !outgoing.empty(); }
  // The union of both halves.
  std::set<uint64_t> Ids() const;
  // Committed in both halves: min of the two majority indexes.
  uint64_t CommittedIndex(AckedIndexFn acked) const;
  // Won only if both halves win; lost if either loses.
  VoteResult VoteResultOf(const std::map<uint64_t, bool>& votes) const;
  // "(1 2 3)" or "(1 2 3)&&(1 2)".
  std::string ToString() const;
};

}  // namespace etcd::raft::internal

#endif  // ETCD_RAFT_INTERNAL_QUORUM_H_
