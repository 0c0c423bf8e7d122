// The expected, named failures of //raft. Each is an absl::Status with a fixed code and
// message (the message is etcd's, so logs read the same). Compare with the IsErrX() helpers,
// which check both code and message: two errors may share a code.
//
// Broken invariants are not errors: they abort through Logger::Fatalf.
#ifndef ETCD_RAFT_ERRORS_H_
#define ETCD_RAFT_ERRORS_H_

#include "absl/status/status.h"

namespace etcd::raft {

// Storage::Entries / Storage::Term / MemoryStorage::Compact: the index predates the
// last snapshot (compacted away). Code: kOutOfRange.
absl::Status ErrCompacted();
bool IsErrCompacted(const absl::Status& status);

// Storage::Entries / Storage::Term: the entry is not in storage (beyond the last index, or
// only the dummy entry is present). Code: kNotFound.
absl::Status ErrUnavailable();
bool IsErrUnavailable(const absl::Status& status);

// MemoryStorage::ApplySnapshot / CreateSnapshot: the snapshot is not newer than the one the
// storage already has. Code: kFailedPrecondition.
absl::Status ErrSnapOutOfDate();
bool IsErrSnapOutOfDate(const absl::Status& status);

// Storage::Snapshot: the snapshot is being prepared; Raft tries again later (it does not
// send MsgSnap this time). Code: kUnavailable.
absl::Status ErrSnapshotTemporarilyUnavailable();
bool IsErrSnapshotTemporarilyUnavailable(const absl::Status& status);

// RawNode::Propose / ProposeConfChange / Step(MsgProp): the proposal was not appended: there
// is no known leader, forwarding is disabled, a leadership transfer is in progress, this
// node was removed, or the uncommitted-size limit is reached. The caller may retry.
// A proposal that is accepted can still be lost (e.g. the leader changes before it commits):
// success means "forwarded or appended", not "committed". Code: kAborted.
absl::Status ErrProposalDropped();
bool IsErrProposalDropped(const absl::Status& status);

// RawNode::Step: the message type is local (MsgHup, MsgBeat, MsgUnreachable, MsgSnapStatus,
// MsgCheckQuorum) and may not come from the network. Code: kInvalidArgument.
absl::Status ErrStepLocalMsg();
bool IsErrStepLocalMsg(const absl::Status& status);

// RawNode::Step: a response message from a node this node does not track. Code: kNotFound.
absl::Status ErrStepPeerNotFound();
bool IsErrStepPeerNotFound(const absl::Status& status);

}  // namespace etcd::raft

#endif  // ETCD_RAFT_ERRORS_H_
