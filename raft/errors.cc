#include "raft/errors.h"

namespace etcd::raft {
namespace {

bool Same(const absl::Status& a, const absl::Status& b) {
  return a.code() == b.code() && a.message() == b.message();
}

}  // namespace

absl::Status ErrCompacted() {
  return absl::OutOfRangeError("requested index is unavailable due to compaction");
}
bool IsErrCompacted(const absl::Status& status) { return Same(status, ErrCompacted()); }

absl::Status ErrUnavailable() {
  return absl::NotFoundError("requested entry at index is unavailable");
}
bool IsErrUnavailable(const absl::Status& status) { return Same(status, ErrUnavailable()); }

absl::Status ErrSnapOutOfDate() {
  return absl::FailedPreconditionError("requested index is older than the existing snapshot");
}
bool IsErrSnapOutOfDate(const absl::Status& status) { return Same(status, ErrSnapOutOfDate()); }

absl::Status ErrSnapshotTemporarilyUnavailable() {
  return absl::UnavailableError("snapshot is temporarily unavailable");
}
bool IsErrSnapshotTemporarilyUnavailable(const absl::Status& status) {
  return Same(status, ErrSnapshotTemporarilyUnavailable());
}

absl::Status ErrProposalDropped() { return absl::AbortedError("raft proposal dropped"); }
bool IsErrProposalDropped(const absl::Status& status) {
  return Same(status, ErrProposalDropped());
}

absl::Status ErrStepLocalMsg() {
  return absl::InvalidArgumentError("raft: cannot step raft local message");
}
bool IsErrStepLocalMsg(const absl::Status& status) { return Same(status, ErrStepLocalMsg()); }

absl::Status ErrStepPeerNotFound() {
  return absl::NotFoundError("raft: cannot step as peer not found");
}
bool IsErrStepPeerNotFound(const absl::Status& status) {
  return Same(status, ErrStepPeerNotFound());
}

}  // namespace etcd::raft
