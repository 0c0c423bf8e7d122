#include "raft/internal/quorum.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_join.h"

namespace etcd::raft::internal {

uint64_t MajorityCommittedIndex(const std::set<uint64_t>& voters, AckedIndexFn acked) {
  const size_t n = voters.size();
  if (n == 0) return std::numeric_limits<uint64_t>::max();
  std::vector<uint64_t> indexes;
  indexes.reserve(n);
  for (uint64_t id : voters) indexes.push_back(acked(id).value_or(0));
  std::sort(indexes.begin(), indexes.end());
  // The (n/2+1)-th largest index is acknowledged by n/2+1 voters, a majority.
  return indexes[n - (n / 2 + 1)];
}

VoteResult MajorityVoteResult(const std::set<uint64_t>& voters,
                              const std::map<uint64_t, bool>& votes) {
  if (voters.empty()) return VoteResult::kWon;
  size_t yes = 0, missing = 0;
  for (uint64_t id : voters) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
    } else if (it->second) {
      ++yes;
    }
  }
  const size_t quorum = voters.size() / 2 + 1;
  if (yes >= quorum) return VoteResult::kWon;
  if (yes + missing >= quorum) return VoteResult::kPending;
  return VoteResult::kLost;
}

std::set<uint64_t> JointConfig::Ids() const {
  std::set<uint64_t> ids = incoming;
  ids.insert(outgoing.begin(), outgoing.end());
  return ids;
}

uint64_t JointConfig::CommittedIndex(AckedIndexFn acked) const {
  return std::min(MajorityCommittedIndex(incoming, acked),
                  MajorityCommittedIndex(outgoing, acked));
}

VoteResult JointConfig::VoteResultOf(const std::map<uint64_t, bool>& votes) const {
  VoteResult r1 = MajorityVoteResult(incoming, votes);
  VoteResult r2 = MajorityVoteResult(outgoing, votes);
  if (r1 == r2) return r1;
  if (r1 == VoteResult::kLost || r2 == VoteResult::kLost) return VoteResult::kLost;
  return VoteResult::kPending;
}

std::string JointConfig::ToString() const {
  std::string s = "(" + absl::StrJoin(incoming, " ") + ")";
  if (IsJoint()) s += "&&(" + absl::StrJoin(outgoing, " ") + ")";
  return s;
}

}  // namespace etcd::raft::internal
