// Key-value requests of the etcd v3 client: the options of Get, Put and Delete, and the pieces
// of a transaction (Compare, Op, Txn). These only build `etcdserverpb` requests; Client sends
// them (client.h). Semantics are etcd v3.4's KV service (api/etcdserverpb/rpc.proto).
//
// Thread-safety: the option structs, Compare and Op are values; a Txn builder is used by one
// thread at a time (Commit() itself may run concurrently with other calls of the Client).
#ifndef ETCD_CLIENT_KV_H_
#define ETCD_CLIENT_KV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/etcdserverpb/rpc.pb.h"

namespace etcd::client {

namespace internal {
class Connection;
}

// The range end that selects every key starting with `prefix` (etcd's GetPrefixRangeEnd): the
// prefix with its last byte below 0xff incremented and the rest cut off; "\0" (every key) when
// the prefix is empty or all 0xff bytes.
std::string PrefixEnd(std::string_view prefix);

// Options of Client::Get (etcdserverpb.RangeRequest). Defaults: the single key, latest
// revision, linearizable, no limit.
struct GetOptions {
  // Half-open range [key, range_end). Empty: the single key. "\0": every key >= key.
  std::string range_end;
  bool prefix = false;    // every key starting with key (overrides range_end)
  bool from_key = false;  // every key >= key (overrides range_end)
  int64_t revision = 0;   // read as of this revision; <= 0: the latest
  int64_t limit = 0;      // at most this many keys; 0: no limit
  etcdserverpb::RangeRequest::SortOrder sort_order = etcdserverpb::RangeRequest::NONE;
  etcdserverpb::RangeRequest::SortTarget sort_target = etcdserverpb::RangeRequest::KEY;
  bool serializable = false;  // read the member's local state (may be stale; no leader needed)
  bool keys_only = false;     // leave the values out
  bool count_only = false;    // only the count
  // Revision filters on the returned keys; 0 disables a bound.
  int64_t min_mod_revision = 0;
  int64_t max_mod_revision = 0;
  int64_t min_create_revision = 0;
  int64_t max_create_revision = 0;
};

// Options of Client::Put (etcdserverpb.PutRequest).
struct PutOptions {
  int64_t lease = 0;          // attach the key to this lease; 0: none
  bool prev_kv = false;       // return the key-value pair as it was before
  bool ignore_value = false;  // keep the current value (the key must exist)
  bool ignore_lease = false;  // keep the current lease (the key must exist)
};

// Options of Client::Delete (etcdserverpb.DeleteRangeRequest). Default: the single key.
struct DeleteOptions {
  std::string range_end;  // as GetOptions::range_end
  bool prefix = false;
  bool from_key = false;
  bool prev_kv = false;  // return the deleted pairs
};

// The request messages the options describe (exposed for Op and for callers that build
// requests themselves, e.g. a benchmark).
etcdserverpb::RangeRequest MakeRangeRequest(std::string_view key, const GetOptions& options);
etcdserverpb::PutRequest MakePutRequest(std::string_view key, std::string_view value,
                                        const PutOptions& options);
etcdserverpb::DeleteRangeRequest MakeDeleteRequest(std::string_view key,
                                                   const DeleteOptions& options);

// One guard of a transaction: a property of a key (or of every key of a range) compared with
// an operand. A missing key has version, create and mod revision 0, lease 0 and no value.
class Compare {
 public:
  enum Result {
    kEqual = etcdserverpb::Compare::EQUAL,
    kNotEqual = etcdserverpb::Compare::NOT_EQUAL,
    kGreater = etcdserverpb::Compare::GREATER,
    kLess = etcdserverpb::Compare::LESS,
  };

  static Compare Value(std::string_view key, Result result, std::string_view value);
  static Compare Version(std::string_view key, Result result, int64_t version);
  static Compare CreateRevision(std::string_view key, Result result, int64_t revision);
  static Compare ModRevision(std::string_view key, Result result, int64_t revision);
  static Compare Lease(std::string_view key, Result result, int64_t lease_id);

  // Compares every key of [key, range_end) instead of the key alone (all must hold).
  Compare& WithRange(std::string_view range_end);
  Compare& WithPrefix();

  const etcdserverpb::Compare& proto() const { return proto_; }

 private:
  Compare(std::string_view key, Result result, etcdserverpb::Compare::CompareTarget target);
  etcdserverpb::Compare proto_;
};

// One operation of a transaction branch.
class Op {
 public:
  static Op Get(std::string_view key, const GetOptions& options = {});
  static Op Put(std::string_view key, std::string_view value, const PutOptions& options = {});
  static Op Delete(std::string_view key, const DeleteOptions& options = {});
  // A nested transaction (etcd 3.3+). Its branches may not write a key twice.
  static Op Txn(const std::vector<Compare>& compares, const std::vector<Op>& then_ops,
                const std::vector<Op>& else_ops = {});

  const etcdserverpb::RequestOp& proto() const { return proto_; }

 private:
  Op() = default;
  etcdserverpb::RequestOp proto_;
};

// A transaction under construction: client.Txn().If({...}).Then({...}).Else({...}).Commit().
// If every comparison holds the Then operations run, else the Else operations, in order, as
// one atomic step with one new revision if anything was written. Each of If, Then and Else
// appends to what was given before.
class Txn {
 public:
  Txn& If(const std::vector<Compare>& compares);
  Txn& Then(const std::vector<Op>& ops);
  Txn& Else(const std::vector<Op>& ops);

  // The request built so far.
  const etcdserverpb::TxnRequest& proto() const { return request_; }

  // Sends the transaction (once per call; it is a write, so it is moved to another endpoint
  // only if it never reached the server; see client.h). Returns the TxnResponse: `succeeded`
  // says which branch ran and `responses` holds one ResponseOp per operation of that branch.
  // Errors: the server's, unchanged (e.g. InvalidArgument "etcdserver: duplicate key given in
  // txn request", "etcdserver: too many operations in txn request"; OutOfRange
  // "etcdserver: mvcc: required revision has been compacted"), and the transport errors of
  // client.h.
  absl::StatusOr<etcdserverpb::TxnResponse> Commit() const;

 private:
  friend class Client;
  explicit Txn(std::shared_ptr<internal::Connection> connection)
      : connection_(std::move(connection)) {}
  std::shared_ptr<internal::Connection> connection_;
  etcdserverpb::TxnRequest request_;
};

}  // namespace etcd::client

#endif  // ETCD_CLIENT_KV_H_
