// Pending ReadIndex requests on a leader (etcd-io/raft read_only.go; Raft thesis 6.4):
// each request records the commit index when it arrived and waits for a quorum to
// acknowledge a heartbeat carrying its context.
#ifndef ETCD_RAFT_INTERNAL_READ_ONLY_H_
#define ETCD_RAFT_INTERNAL_READ_ONLY_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "raft/config.h"
#include "raft/raftpb/raft.pb.h"

namespace etcd::raft::internal {

struct ReadIndexStatus {
  // The original MsgReadIndex (local or forwarded by a follower); entries[0].data is the
  // request context.
  raftpb::Message req;
  // The leader's commit index when the request arrived.
  uint64_t index = 0;
  // Acknowledgments of the heartbeat carrying this context; only `true` is recorded.
  std::map<uint64_t, bool> acks;
};

class ReadOnly {
 public:
  explicit ReadOnly(ReadOnlyOption option) : option_(option) {}

  ReadOnlyOption option() const { return option_; }
  // Queues a request `m` that arrived when the commit index was `index`; a repeated context
  // is ignored.
  void AddRequest(uint64_t index, const raftpb::Message& m);
  // Records that `id` acknowledged a heartbeat with `context`; returns the acks so far, or
  // nullptr if the context is unknown.
  const std::map<uint64_t, bool>* RecvAck(uint64_t id, const std::string& context);
  // Dequeues and returns every request up to and including the one with `context` (a quorum
  // acknowledging a later heartbeat confirms the earlier requests too). Empty if unknown.
  std::vector<ReadIndexStatus> Advance(const std::string& context);
  // The context of the newest pending request, or "".
  std::string LastPendingRequestCtx() const;

 private:
  ReadOnlyOption option_;
  std::map<std::string, ReadIndexStatus> pending_;
  // Invariant: holds exactly the keys of pending_, in arrival order.
  std::deque<std::string> queue_;
};

}  // namespace etcd::raft::internal

#endif  // ETCD_RAFT_INTERNAL_READ_ONLY_H_
