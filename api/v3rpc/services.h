// The gRPC face of the server: the etcd v3 services (etcdserverpb.KV, Cluster, Maintenance, ...)
// as thin adapters from gRPC calls to an `EtcdApi` (etcd_api.h).
//
// The services use gRPC's callback API: a call costs no thread while it waits for Raft, and the
// server answers it from whichever thread finishes the work (the apply loop for writes).
#ifndef ETCD_API_V3RPC_SERVICES_H_
#define ETCD_API_V3RPC_SERVICES_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "api/v3rpc/etcd_api.h"

namespace etcd::api {

// Creates the gRPC services backed by `api` and `concurrency` (not owned; must outlive the
// services). Register each with a grpc::ServerBuilder. RPCs the server does not implement yet
// answer UNIMPLEMENTED. Services: etcdserverpb.KV, Watch, Lease, Cluster, Maintenance, Auth,
// v3lockpb.Lock, v3electionpb.Election.
std::vector<std::unique_ptr<grpc::Service>> NewEtcdServices(EtcdApi* api,
                                                            ConcurrencyApi* concurrency);

// Converts an absl::Status to the grpc::Status sent to clients (same code, same message).
grpc::Status ToGrpcStatus(const absl::Status& s);

}  // namespace etcd::api

#endif  // ETCD_API_V3RPC_SERVICES_H_
