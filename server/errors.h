// etcd's client-visible errors, with the gRPC status code and message etcd 3.4 sends
// (go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes). Clients match on the message text, so it
// must stay byte-for-byte equal. absl::StatusCode values equal gRPC's, so the adapter copies
// code and message as they are.
#ifndef ETCD_SERVER_ERRORS_H_
#define ETCD_SERVER_ERRORS_H_

#include "absl/status/status.h"

namespace etcd::server {

absl::Status ErrEmptyKey();            // InvalidArgument "etcdserver: key is not provided"
absl::Status ErrKeyNotFound();         // InvalidArgument "etcdserver: key not found"
absl::Status ErrValueProvided();       // InvalidArgument "etcdserver: value is provided"
absl::Status ErrLeaseProvided();       // InvalidArgument "etcdserver: lease is provided"
absl::Status ErrTooManyOps();          // InvalidArgument "etcdserver: too many operations in txn request"
absl::Status ErrDuplicateKey();        // InvalidArgument "etcdserver: duplicate key given in txn request"
absl::Status ErrCompacted();           // OutOfRange "etcdserver: mvcc: required revision has been compacted"
absl::Status ErrFutureRev();           // OutOfRange "etcdserver: mvcc: required revision is a future revision"
absl::Status ErrCorrupt();            // DataLoss "etcdserver: corrupt cluster"
absl::Status ErrNoSpace();             // ResourceExhausted "etcdserver: mvcc: database space exceeded"
absl::Status ErrLeaseNotFound();       // NotFound "etcdserver: requested lease not found"
absl::Status ErrLeaseExist();          // FailedPrecondition "etcdserver: lease already exists"
absl::Status ErrLeaseTTLTooLarge();    // OutOfRange "etcdserver: too large lease TTL"
absl::Status ErrRequestTooLarge();     // InvalidArgument "etcdserver: request is too large"
absl::Status ErrTooManyRequests();     // ResourceExhausted "etcdserver: too many requests"
absl::Status ErrNoLeader();            // Unavailable "etcdserver: no leader"
absl::Status ErrStopped();             // Unavailable "etcdserver: server stopped"
absl::Status ErrTimeout();             // Unavailable "etcdserver: request timed out"
// Unavailable "etcdserver: request timed out, possibly due to previous leader failure"
absl::Status ErrTimeoutDueToLeaderFail();
// Unknown "etcdserver: request timed out, leader transfer took too long"
absl::Status ErrTimeoutLeaderTransfer();
absl::Status ErrNotLeader();           // FailedPrecondition "etcdserver: not leader"
absl::Status ErrLeaderChanged();       // Unavailable "etcdserver: leader changed"
absl::Status ErrBadLeaderTransferee(); // FailedPrecondition "etcdserver: bad leader transferee"
absl::Status ErrUnhealthy();           // Unavailable "etcdserver: unhealthy cluster"
absl::Status ErrNotSupportedForLearner();  // Unavailable "etcdserver: rpc not supported for learner"

// Membership changes (etcdserver/api/v3rpc/rpctypes/error.go).
absl::Status ErrMemberExist();         // FailedPrecondition "etcdserver: member ID already exist"
absl::Status ErrPeerURLExist();        // FailedPrecondition "etcdserver: Peer URLs already exists"
// Unknown "etcdserver: re-configuration failed due to not enough started members"
absl::Status ErrMemberNotEnoughStarted();
absl::Status ErrMemberBadURLs();       // InvalidArgument "etcdserver: given member URLs are invalid"
absl::Status ErrMemberNotFound();      // NotFound "etcdserver: member not found"
absl::Status ErrMemberNotLearner();    // FailedPrecondition "etcdserver: can only promote a learner member"
// FailedPrecondition "etcdserver: can only promote a learner member which is in sync with leader"
absl::Status ErrLearnerNotReady();
absl::Status ErrTooManyLearners();     // FailedPrecondition "etcdserver: too many learner members in cluster"

// Maps an error of the mvcc layer (mvcc::CompactedError, mvcc::FutureRevError) to the server's
// (ErrCompacted, ErrFutureRev); returns other statuses unchanged.
absl::Status FromMvcc(const absl::Status& s);

}  // namespace etcd::server

#endif  // ETCD_SERVER_ERRORS_H_
