#include "server/http/grpc_metrics.h"

#include <string>
#include <vector>

namespace etcd::metrics {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Go's codes.Code.String(), which go-grpc-prometheus puts in grpc_code.
const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK",       "Canceled",          "Unknown",          "InvalidArgument", "DeadlineExceeded",
      "NotFound", "AlreadyExists",     "PermissionDenied", "ResourceExhausted",
      "FailedPrecondition", "Aborted", "OutOfRange",       "Unimplemented",   "Internal",
      "Unavailable",        "DataLoss", "Unauthenticated"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "Unknown";
}

const char* TypeName(grpc::experimental::ServerRpcInfo::Type type) {
  switch (type) {
    case grpc::experimental::ServerRpcInfo::Type::UNARY:
      return "unary";
    case grpc::experimental::ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case grpc::experimental::ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

class CallCounter final : public grpc::experimental::Interceptor {
 public:
  CallCounter(grpc::experimental::ServerRpcInfo* info, Registry::CounterFamily* started,
              Registry::CounterFamily* handled)
      : handled_(handled) {
    // "/etcdserverpb.KV/Range" -> service "etcdserverpb.KV", method "Range".
    const std::string full = info->method() != nullptr ? info->method() : "";
    const size_t slash = full.rfind('/');
    service_ = slash == std::string::npos || slash == 0 ? full : full.substr(1, slash - 1);
    method_ = slash == std::string::npos ? "" : full.substr(slash + 1);
    type_ = TypeName(info->type());
    started->Get({method_, service_, type_})->Inc();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      handled_->Get({CodeName(methods->GetSendStatus().error_code()), method_, service_, type_})
          ->Inc();
    }
    methods->Proceed();
  }

 private:
  Registry::CounterFamily* const handled_;
  std::string type_, service_, method_;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(Registry* registry)
      : started_(registry->AddCounterFamily(
            "grpc_server_started_total", "Total number of RPCs started on the server.",
            {"grpc_method", "grpc_service", "grpc_type"})),
        handled_(registry->AddCounterFamily(
            "grpc_server_handled_total",
            "Total number of RPCs completed on the server, regardless of success or failure.",
            {"grpc_code", "grpc_method", "grpc_service", "grpc_type"})) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallCounter(info, started_, handled_);
  }

 private:
  Registry::CounterFamily* const started_;
  Registry::CounterFamily* const handled_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewGrpcMetricsInterceptor(
    Registry* registry) {
  return std::make_unique<Factory>(registry);
}

}  // namespace etcd::metrics
