#include "raft/internal/util.h"

#include <cstdlib>

namespace etcd::raft::internal {

void LimitSize(std::vector<raftpb::Entry>& entries, uint64_t max_size) {
  if (entries.empty()) return;
  uint64_t size = entries[0].ByteSizeLong();
  size_t limit = 1;
  for (; limit < entries.size(); ++limit) {
    size += entries[limit].ByteSizeLong();
    if (size > max_size) break;
  }
  entries.resize(limit);
}

bool IsLocalMsg(raftpb::MessageType type) {
  return type == raftpb::MSG_HUP || type == raftpb::MSG_BEAT ||
         type == raftpb::MSG_UNREACHABLE || type == raftpb::MSG_SNAP_STATUS ||
         type == raftpb::MSG_CHECK_QUORUM;
}

bool IsResponseMsg(raftpb::MessageType type) {
  return type == raftpb::MSG_APP_RESP || type == raftpb::MSG_VOTE_RESP ||
         type == raftpb::MSG_HEARTBEAT_RESP || type == raftpb::MSG_UNREACHABLE ||
         type == raftpb::MSG_PRE_VOTE_RESP;
}

raftpb::MessageType VoteRespMsgType(raftpb::MessageType type) {
  if (type == raftpb::MSG_VOTE) return raftpb::MSG_VOTE_RESP;
  if (type == raftpb::MSG_PRE_VOTE) return raftpb::MSG_PRE_VOTE_RESP;
  std::abort();  // Only called with vote messages.
}

std::string MessageTypeName(raftpb::MessageType type) {
  static const char* const kNames[] = {
      "MsgHup",         "MsgBeat",           "MsgProp",        "MsgApp",
      "MsgAppResp",     "MsgVote",           "MsgVoteResp",    "MsgSnap",
      "MsgHeartbeat",   "MsgHeartbeatResp",  "MsgUnreachable", "MsgSnapStatus",
      "MsgCheckQuorum", "MsgTransferLeader", "MsgTimeoutNow",  "MsgReadIndex",
      "MsgReadIndexResp", "MsgPreVote",      "MsgPreVoteResp",
  };
  int i = static_cast<int>(type);
  if (i >= 0 && i < static_cast<int>(sizeof(kNames) / sizeof(kNames[0]))) return kNames[i];
  return "MsgUnknown(" + std::to_string(i) + ")";
}

}  // namespace etcd::raft::internal
