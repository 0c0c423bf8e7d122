// Executes etcd v3 KV requests against the MVCC store with etcd 3.4's semantics
// (go.etcd.io/etcd/etcdserver/apply.go): range options (limit/more, sort, revision filters,
// keys_only, count_only), put with prev_kv/ignore_value/ignore_lease, delete with prev_kv,
// transactions with compares and nested transactions, and compaction.
//
// Writes must be applied in Raft log order by one thread (the apply loop); reads may run on any
// thread at any time. A failure to write the backend stops the process (etcd panics too): the
// entry is still in the WAL and is applied again on restart. Responses carry only header.revision; the caller fills in the rest of
// the header (cluster, member, raft term).
#ifndef ETCD_SERVER_APPLY_H_
#define ETCD_SERVER_APPLY_H_

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "api/etcdserverpb/rpc.pb.h"
#include "mvcc/kv_store.h"

namespace etcd::server {

class Applier {
 public:
  // Tells whether a lease with this ID exists (puts with an unknown lease fail).
  using LeaseExists = std::function<bool(int64_t lease_id)>;
  // Called after each write transaction is committed, with its changes in order (the server
  // attaches and detaches keys and leases from them).
  using ChangesHook = std::function<void(const std::vector<mvccpb::Event>& changes)>;

  // `kv` is not owned and must outlive the applier.
  Applier(mvcc::KvStore* kv, LeaseExists lease_exists, ChangesHook on_changes = nullptr);

  // Deletes `keys` in one write transaction (a lease revocation), with `extra` adding other
  // writes to commit atomically with it; returns the revision after.
  int64_t DeleteKeys(const std::vector<std::string>& keys,
                     const std::function<void(mvcc::WriteBatch&)>& extra);

  // Errors: ErrFutureRev(), ErrCompacted() for a revision out of the store's range.
  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& r) const;
  // Errors: ErrLeaseNotFound(); ErrKeyNotFound() with ignore_value/ignore_lease on a missing key.
  absl::StatusOr<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& r);
  absl::StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& r);
  // Evaluates the compares, then runs the chosen branch in one write transaction (one
  // revision). Errors (nothing is applied): those of the chosen branch's puts and ranges.
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& r);
  // Errors: ErrCompacted() if already compacted at or past the revision, ErrFutureRev().
  absl::StatusOr<etcdserverpb::CompactionResponse> Compaction(
      const etcdserverpb::CompactionRequest& r);

  // True when the txn has no put or delete in any branch (it can be served without Raft).
  static bool IsReadOnly(const etcdserverpb::TxnRequest& r);

 private:
  absl::StatusOr<etcdserverpb::RangeResponse> RangeIn(const mvcc::TxnView& txn,
                                                      const etcdserverpb::RangeRequest& r) const;
  absl::StatusOr<etcdserverpb::PutResponse> PutIn(mvcc::WriteTxn& txn,
                                                  const etcdserverpb::PutRequest& r);
  etcdserverpb::DeleteRangeResponse DeleteRangeIn(mvcc::WriteTxn& txn,
                                                  const etcdserverpb::DeleteRangeRequest& r);

  mvcc::KvStore* const kv_;
  // Commits `txn`, then reports its changes. A backend failure stops the process.
  void EndOrDie(mvcc::WriteTxn& txn);

  LeaseExists lease_exists_;
  ChangesHook on_changes_;
};

}  // namespace etcd::server

#endif  // ETCD_SERVER_APPLY_H_
