#include "api/v3rpc/services.h"

#include "api/etcdserverpb/rpc.grpc.pb.h"

#include <utility>

namespace etcd::api {
namespace {

using etcdserverpb::Cluster;
using etcdserverpb::KV;
using etcdserverpb::Maintenance;

// Answers a unary call: moves the server's response into the gRPC-owned one and finishes.
template <typename Response>
Done<Response> Reply(grpc::ServerUnaryReactor* reactor, Response* out) {
  return [reactor, out](absl::StatusOr<Response> result) {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    *out = std::move(*result);
    reactor->Finish(grpc::Status::OK);
  };
}

// Starts serving one unary call with `method` of the server; the reply comes through `done`.
template <typename Request, typename Response>
grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* ctx, EtcdApi* api,
                                void (EtcdApi::*method)(const Request&, Done<Response>),
                                const Request* req, Response* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  (api->*method)(*req, Reply(reactor, resp));
  return reactor;
}

class KvService final : public KV::CallbackService {
 public:
  explicit KvService(EtcdApi* api) : api_(api) {}

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::RangeRequest* req,
                                  etcdserverpb::RangeResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Range, req, resp);
  }
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx,
                                const etcdserverpb::PutRequest* req,
                                etcdserverpb::PutResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Put, req, resp);
  }
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::DeleteRangeRequest* req,
                                        etcdserverpb::DeleteRangeResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::DeleteRange, req, resp);
  }
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* ctx,
                                const etcdserverpb::TxnRequest* req,
                                etcdserverpb::TxnResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Txn, req, resp);
  }
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* ctx,
                                    const etcdserverpb::CompactionRequest* req,
                                    etcdserverpb::CompactionResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Compact, req, resp);
  }

 private:
  EtcdApi* const api_;
};

class ClusterService final : public Cluster::CallbackService {
 public:
  explicit ClusterService(EtcdApi* api) : api_(api) {}

  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::MemberListRequest* req,
                                       etcdserverpb::MemberListResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::MemberList, req, resp);
  }

 private:
  EtcdApi* const api_;
};

class MaintenanceService final : public Maintenance::CallbackService {
 public:
  explicit MaintenanceService(EtcdApi* api) : api_(api) {}

  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx,
                                   const etcdserverpb::StatusRequest* req,
                                   etcdserverpb::StatusResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Status, req, resp);
  }

 private:
  EtcdApi* const api_;
};

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering (both follow google.rpc.Code).
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

std::vector<std::unique_ptr<grpc::Service>> NewEtcdServices(EtcdApi* api) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<KvService>(api));
  services.push_back(std::make_unique<ClusterService>(api));
  services.push_back(std::make_unique<MaintenanceService>(api));
  // Not implemented yet: every method of these answers UNIMPLEMENTED.
  services.push_back(std::make_unique<etcdserverpb::Watch::CallbackService>());
  services.push_back(std::make_unique<etcdserverpb::Lease::CallbackService>());
  services.push_back(std::make_unique<etcdserverpb::Auth::CallbackService>());
  return services;
}

}  // namespace etcd::api
