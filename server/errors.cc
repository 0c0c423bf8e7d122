#include "server/errors.h"

#include "mvcc/kv_store.h"

namespace etcd::server {

absl::Status ErrEmptyKey() { return absl::InvalidArgumentError("etcdserver: key is not provided"); }
absl::Status ErrKeyNotFound() { return absl::InvalidArgumentError("etcdserver: key not found"); }
absl::Status ErrValueProvided() { return absl::InvalidArgumentError("etcdserver: value is provided"); }
absl::Status ErrLeaseProvided() { return absl::InvalidArgumentError("etcdserver: lease is provided"); }
absl::Status ErrTooManyOps() {
  return absl::InvalidArgumentError("etcdserver: too many operations in txn request");
}
absl::Status ErrDuplicateKey() {
  return absl::InvalidArgumentError("etcdserver: duplicate key given in txn request");
}
absl::Status ErrCompacted() {
  return absl::OutOfRangeError("etcdserver: mvcc: required revision has been compacted");
}
absl::Status ErrFutureRev() {
  return absl::OutOfRangeError("etcdserver: mvcc: required revision is a future revision");
}
absl::Status ErrCorrupt() { return absl::DataLossError("etcdserver: corrupt cluster"); }
absl::Status ErrNoSpace() {
  return absl::ResourceExhaustedError("etcdserver: mvcc: database space exceeded");
}
absl::Status ErrLeaseNotFound() { return absl::NotFoundError("etcdserver: requested lease not found"); }
absl::Status ErrLeaseExist() { return absl::FailedPreconditionError("etcdserver: lease already exists"); }
absl::Status ErrLeaseTTLTooLarge() { return absl::OutOfRangeError("etcdserver: too large lease TTL"); }
absl::Status ErrRequestTooLarge() { return absl::InvalidArgumentError("etcdserver: request is too large"); }
absl::Status ErrTooManyRequests() { return absl::ResourceExhaustedError("etcdserver: too many requests"); }
absl::Status ErrNoLeader() { return absl::UnavailableError("etcdserver: no leader"); }
absl::Status ErrStopped() { return absl::UnavailableError("etcdserver: server stopped"); }
absl::Status ErrTimeout() { return absl::UnavailableError("etcdserver: request timed out"); }
absl::Status ErrTimeoutDueToLeaderFail() {
  return absl::UnavailableError(
      "etcdserver: request timed out, possibly due to previous leader failure");
}
absl::Status ErrTimeoutLeaderTransfer() {
  // etcd has no gRPC code for it: the client sees Unknown.
  return absl::UnknownError("etcdserver: request timed out, leader transfer took too long");
}
absl::Status ErrNotLeader() { return absl::FailedPreconditionError("etcdserver: not leader"); }
absl::Status ErrLeaderChanged() { return absl::UnavailableError("etcdserver: leader changed"); }
absl::Status ErrBadLeaderTransferee() {
  return absl::FailedPreconditionError("etcdserver: bad leader transferee");
}
absl::Status ErrUnhealthy() { return absl::UnavailableError("etcdserver: unhealthy cluster"); }
absl::Status ErrNotSupportedForLearner() {
  return absl::UnavailableError("etcdserver: rpc not supported for learner");
}
absl::Status ErrMemberExist() {
  return absl::FailedPreconditionError("etcdserver: member ID already exist");
}
absl::Status ErrPeerURLExist() {
  return absl::FailedPreconditionError("etcdserver: Peer URLs already exists");
}
absl::Status ErrMemberNotEnoughStarted() {
  // etcd 3.4 maps it to a non-status error, which gRPC sends with code Unknown.
  return absl::UnknownError(
      "etcdserver: re-configuration failed due to not enough started members");
}
absl::Status ErrMemberBadURLs() {
  return absl::InvalidArgumentError("etcdserver: given member URLs are invalid");
}
absl::Status ErrMemberNotFound() { return absl::NotFoundError("etcdserver: member not found"); }
absl::Status ErrMemberNotLearner() {
  return absl::FailedPreconditionError("etcdserver: can only promote a learner member");
}
absl::Status ErrLearnerNotReady() {
  return absl::FailedPreconditionError(
      "etcdserver: can only promote a learner member which is in sync with leader");
}
absl::Status ErrTooManyLearners() {
  return absl::FailedPreconditionError("etcdserver: too many learner members in cluster");
}

absl::Status FromMvcc(const absl::Status& s) {
  if (mvcc::IsCompacted(s)) return ErrCompacted();
  if (mvcc::IsFutureRev(s)) return ErrFutureRev();
  return s;
}

}  // namespace etcd::server
