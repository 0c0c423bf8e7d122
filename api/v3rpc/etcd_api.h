// What the etcd v3 gRPC services (services.h) need from the server: `EtcdApi`, in terms of the
// request and response messages only. The server implements it without depending on gRPC, and
// this package does not depend on the server (dependencies point down).
#ifndef ETCD_API_V3RPC_ETCD_API_H_
#define ETCD_API_V3RPC_ETCD_API_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "api/etcdserverpb/rpc.pb.h"

namespace etcd::api {

// Completion of an asynchronous request: called exactly once, on any thread, with the response
// or an error whose code and message go to the client as they are (see server/errors.h).
template <typename Response>
using Done = absl::AnyInvocable<void(absl::StatusOr<Response>) &&>;

// What the etcd v3 services need from the server. Implementations are thread-safe: methods are
// called concurrently from gRPC threads and must not block on Raft (they answer through `done`).
// A request stays valid until its `done` has been called.
class EtcdApi {
 public:
  virtual ~EtcdApi() = default;

  virtual void Range(const etcdserverpb::RangeRequest& r, Done<etcdserverpb::RangeResponse> done) = 0;
  virtual void Put(const etcdserverpb::PutRequest& r, Done<etcdserverpb::PutResponse> done) = 0;
  virtual void DeleteRange(const etcdserverpb::DeleteRangeRequest& r,
                           Done<etcdserverpb::DeleteRangeResponse> done) = 0;
  virtual void Txn(const etcdserverpb::TxnRequest& r, Done<etcdserverpb::TxnResponse> done) = 0;
  virtual void Compact(const etcdserverpb::CompactionRequest& r,
                       Done<etcdserverpb::CompactionResponse> done) = 0;

  virtual void MemberList(const etcdserverpb::MemberListRequest& r,
                          Done<etcdserverpb::MemberListResponse> done) = 0;
  virtual void Status(const etcdserverpb::StatusRequest& r,
                      Done<etcdserverpb::StatusResponse> done) = 0;
};

}  // namespace etcd::api

#endif  // ETCD_API_V3RPC_ETCD_API_H_
