#include "server/http/grpc_metrics.h"

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

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

// The counters of one method, resolved once: a call only increments.
struct MethodCounters {
  Counter* started = nullptr;
  std::array<std::atomic<Counter*>, 17> handled{};  // by grpc::StatusCode, created on first use
  std::string type, service, method;
};

class CallCounter final : public grpc::experimental::Interceptor {
 public:
  CallCounter(MethodCounters* counters, Registry::CounterFamily* handled)
      : counters_(counters), handled_family_(handled) {
    counters_->started->Inc();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const int code = static_cast<int>(methods->GetSendStatus().error_code());
      const size_t i = code >= 0 && code < 17 ? static_cast<size_t>(code) : 2;  // Unknown
      Counter* c = counters_->handled[i].load(std::memory_order_acquire);
      if (c == nullptr) {
        // Get is idempotent and thread-safe: a race creates nothing twice.
        c = handled_family_->Get({CodeName(static_cast<grpc::StatusCode>(i)), counters_->method,
                                  counters_->service, counters_->type});
        counters_->handled[i].store(c, std::memory_order_release);
      }
      c->Inc();
    }
    methods->Proceed();
  }

 private:
  MethodCounters* const counters_;
  Registry::CounterFamily* const handled_family_;
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
    return new CallCounter(CountersOf(info), handled_);
  }

 private:
  // Per method: gRPC gives the name of the registered method ("/etcdserverpb.KV/Range"), the
  // same pointer for every call of it, so the pointer is the key (no string per call).
  MethodCounters* CountersOf(grpc::experimental::ServerRpcInfo* info) {
    const char* name = info->method() != nullptr ? info->method() : "";
    std::lock_guard lock(mu_);
    std::unique_ptr<MethodCounters>& slot = methods_[name];
    if (slot == nullptr) {
      const std::string full = name;
      slot = std::make_unique<MethodCounters>();
      // "/etcdserverpb.KV/Range" -> service "etcdserverpb.KV", method "Range".
      const size_t slash = full.rfind('/');
      slot->service = slash == std::string::npos || slash == 0 ? full : full.substr(1, slash - 1);
      slot->method = slash == std::string::npos ? "" : full.substr(slash + 1);
      slot->type = TypeName(info->type());
      slot->started = started_->Get({slot->method, slot->service, slot->type});
    }
    return slot.get();
  }

  Registry::CounterFamily* const started_;
  Registry::CounterFamily* const handled_;
  std::mutex mu_;
  absl::flat_hash_map<const char*, std::unique_ptr<MethodCounters>> methods_;  // guarded by mu_
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewGrpcMetricsInterceptor(
    Registry* registry) {
  return std::make_unique<Factory>(registry);
}

}  // namespace etcd::metrics
