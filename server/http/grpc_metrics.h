// grpc_server_handled_total{grpc_type, grpc_service, grpc_method, grpc_code} and
// grpc_server_started_total{grpc_type, grpc_service, grpc_method}, as etcd exports them
// (go-grpc-prometheus): a gRPC server interceptor counting every call of every service.
//
// Thread-safety: the factory and its interceptors may be used from any gRPC thread.
#ifndef ETCD_SERVER_HTTP_GRPC_METRICS_H_
#define ETCD_SERVER_HTTP_GRPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "server/http/metrics.h"

namespace etcd::metrics {

// Registers the two counter families in `registry` (which must outlive the factory) and
// returns the interceptor factory to give to grpc::ServerBuilder::experimental()
// .SetInterceptorCreators.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewGrpcMetricsInterceptor(
    Registry* registry);

}  // namespace etcd::metrics

#endif  // ETCD_SERVER_HTTP_GRPC_METRICS_H_
