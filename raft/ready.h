// Ready: the batch of work a RawNode hands to the application, and the small value types
// that travel with it. See raw_node.h for the order in which a Ready must be handled.
#ifndef ETCD_RAFT_READY_H_
#define ETCD_RAFT_READY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "raft/raftpb/raft.pb.h"
#include "raft/status.h"

namespace etcd::raft {

// The answer to RawNode::ReadIndex(request_ctx): once the application has applied up to
// `index`, a read that started before the request is linearizable when served locally
// (Raft thesis, section 6.4). `request_ctx` is the caller's context, returned verbatim so
// the caller can match answers to requests (use unique contexts).
struct ReadState {
  uint64_t index = 0;
  std::string request_ctx;
  bool operator==(const ReadState&) const = default;
};

// The outcome of a snapshot the application sent for this node (RawNode::ReportSnapshot).
enum class SnapshotStatus { kFinish = 1, kFailure = 2 };

// One batch of work. All fields are owned copies. Empty fields mean "nothing to do".
struct Ready {
  // Set when the leader or this node's role changed since the previous Ready. Need not be
  // persisted.
  std::optional<SoftState> soft_state;

  // The HardState to persist BEFORE sending `messages`. Empty (all zero, see
  // IsEmptyHardState) when unchanged.
  raftpb::HardState hard_state;

  // Answers to ReadIndex requests, in request order.
  std::vector<ReadState> read_states;

  // Entries to append to stable storage BEFORE sending `messages`. They may overwrite a
  // previously persisted tail from the same index on (the log conflicted with the leader).
  std::vector<raftpb::Entry> entries;

  // A snapshot from the leader to persist (and restore the state machine from) BEFORE
  // applying `committed_entries`. Empty (see IsEmptySnap) when none.
  raftpb::Snapshot snapshot;

  // Entries committed by a quorum, to apply to the state machine in order, AFTER persisting
  // `entries`. They may include some of `entries` (a single-node cluster commits at once).
  std::vector<raftpb::Entry> committed_entries;

  // Messages to send AFTER `hard_state`, `entries` and `snapshot` are persisted. If one is a
  // MsgSnap, the application must call RawNode::ReportSnapshot with its outcome.
  std::vector<raftpb::Message> messages;

  // Whether `hard_state` and `entries` must be written synchronously (fsync) before
  // `messages` are sent: true when entries were added or the term or vote changed
  // (Raft paper, figure 2: "updated on stable storage before responding to RPCs").
  bool must_sync = false;

  // Whether there is anything in this Ready.
  bool ContainsUpdates() const;
};

bool IsEmptyHardState(const raftpb::HardState& hard_state);
bool IsEmptySnap(const raftpb::Snapshot& snapshot);
bool HardStateEqual(const raftpb::HardState& a, const raftpb::HardState& b);

}  // namespace etcd::raft

#endif  // ETCD_RAFT_READY_H_
