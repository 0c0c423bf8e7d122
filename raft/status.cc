#include "raft/status.h"

#include "absl/strings/str_format.h"

namespace etcd::raft {

std::string_view StateTypeName(StateType state) {
  switch (state) {
    case StateType::kFollower:
      return "StateFollower";
    case StateType::kCandidate:
      return "StateCandidate";
    case StateType::kLeader:
      return "StateLeader";
    case StateType::kPreCandidate:
      return "StatePreCandidate";
  }
  return "StateUnknown";
}

std::string_view ProgressStateName(ProgressState state) {
  switch (state) {
    case ProgressState::kProbe:
      return "StateProbe";
    case ProgressState::kReplicate:
      return "StateReplicate";
    case ProgressState::kSnapshot:
      return "StateSnapshot";
  }
  return "StateUnknown";
}

std::string Status::ToString() const {
  std::string s = absl::StrFormat(
      R"({"id":"%x","term":%d,"vote":"%x","commit":%d,"lead":"%x","raftState":"%s","applied":%d,"progress":{)",
      id, hard_state.term(), hard_state.vote(), hard_state.commit(), soft_state.lead,
      StateTypeName(soft_state.role), applied);
  bool first = true;
  for (const auto& [peer, pr] : progress) {
    if (!first) s += ",";
    first = false;
    absl::StrAppendFormat(&s, R"("%x":{"match":%d,"next":%d,"state":"%s"})", peer, pr.match,
                          pr.next, ProgressStateName(pr.state));
  }
  absl::StrAppendFormat(&s, R"(},"leadtransferee":"%x"})", lead_transferee);
  return s;
}

}  // namespace etcd::raft
