#include "raft/internal/read_only.h"

#include <utility>

namespace etcd::raft::internal {

void ReadOnly::AddRequest(uint64_t index, const raftpb::Message& m) {
  const std::string& ctx = m.entries(0).data();
  if (pending_.count(ctx) != 0) return;
  ReadIndexStatus& rs = pending_[ctx];
  rs.req = m;
  rs.index = index;
  queue_.push_back(ctx);
}

const std::map<uint64_t, bool>* ReadOnly::RecvAck(uint64_t id, const std::string& context) {
  auto it = pending_.find(context);
  if (it == pending_.end()) return nullptr;
  it->second.acks[id] = true;
  return &it->second.acks;
}

std::vector<ReadIndexStatus> ReadOnly::Advance(const std::string& context) {
  std::vector<ReadIndexStatus> out;
  size_t n = 0;
  bool found = false;
  for (const std::string& ctx : queue_) {
    ++n;
    if (ctx == context) {
      found = true;
      break;
    }
  }
  if (!found) return out;
  for (size_t i = 0; i < n; ++i) {
    auto it = pending_.find(queue_.front());
    out.push_back(std::move(it->second));
    pending_.erase(it);
    queue_.pop_front();
  }
  return out;
}

std::string ReadOnly::LastPendingRequestCtx() const {
  return queue_.empty() ? std::string() : queue_.back();
}

}  // namespace etcd::raft::internal
