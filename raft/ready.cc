#include "raft/ready.h"

namespace etcd::raft {

bool HardStateEqual(const raftpb::HardState& a, const raftpb::HardState& b) {
  return a.term() == b.term() && a.vote() == b.vote() && a.commit() == b.commit();
}

bool IsEmptyHardState(const raftpb::HardState& hard_state) {
  return HardStateEqual(hard_state, raftpb::HardState());
}

bool IsEmptySnap(const raftpb::Snapshot& snapshot) { return snapshot.metadata().index() == 0; }

bool Ready::ContainsUpdates() const {
  return soft_state.has_value() || !IsEmptyHardState(hard_state) || !IsEmptySnap(snapshot) ||
         !entries.empty() || !committed_entries.empty() || !messages.empty() ||
         !read_states.empty();
}

}  // namespace etcd::raft
