// The gRPC face of the server: the etcd v3 services (etcdserverpb.KV, Cluster, Maintenance, ...)
// as thin adapters from gRPC calls to an `EtcdApi` the server implements. This keeps gRPC out of
// //server's core and the server out of this package (dependencies point down).
//
// The services use gRPC's callback API: a call costs no thread while it waits for Raft, and the
// server answers it from whichever thread finishes the work (the apply loop for writes).
#ifndef ETCD_API_V3RPC_ETCD_API_H_
#define ETCD_API_V3RPC_ETCD_API_H_

#include <memory>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "api/etcdserverpb/rpc.grpc.pb.h"

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

// Creates the gRPC services backed by `api` (not owned; must outlive the services). Register
// each with a grpc::ServerBuilder. RPCs the server does not implement yet answer
// UNIMPLEMENTED. Services: etcdserverpb.KV, Watch, Lease, Cluster, Maintenance, Auth.
std::vector<std::unique_ptr<grpc::Service>> NewEtcdServices(EtcdApi* api);

// Converts an absl::Status to the grpc::Status sent to clients (same code, same message).
grpc::Status ToGrpcStatus(const absl::Status& s);

}  // namespace etcd::api

#endif  // ETCD_API_V3RPC_ETCD_API_H_
