// Validation of KV requests before they are proposed to Raft, as etcd's v3rpc layer does
// (go.etcd.io/etcd/etcdserver/api/v3rpc/key.go): a request that fails here never reaches the log.
#ifndef ETCD_SERVER_REQUEST_CHECK_H_
#define ETCD_SERVER_REQUEST_CHECK_H_

#include "absl/status/status.h"
#include "api/etcdserverpb/rpc.pb.h"

namespace etcd::server {

// ErrEmptyKey() if the key is empty.
absl::Status CheckRange(const etcdserverpb::RangeRequest& r);
// ErrEmptyKey(); ErrValueProvided() with ignore_value and a value; ErrLeaseProvided() with
// ignore_lease and a lease.
absl::Status CheckPut(const etcdserverpb::PutRequest& r);
// ErrEmptyKey() if the key is empty.
absl::Status CheckDeleteRange(const etcdserverpb::DeleteRangeRequest& r);
// ErrTooManyOps() when compares or either branch exceed `max_txn_ops` (nested txns use what is
// left of the budget), ErrEmptyKey() for a compare or op without key, ErrKeyNotFound() for an
// empty RequestOp, ErrDuplicateKey() when two puts, or a put and a delete range, of the txn
// touch the same key (puts in the two branches of one nested txn may repeat a key: only one
// branch runs).
absl::Status CheckTxn(const etcdserverpb::TxnRequest& r, int max_txn_ops);

}  // namespace etcd::server

#endif  // ETCD_SERVER_REQUEST_CHECK_H_
