#include "client/internal/connection.h"

#include <glog/logging.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace etcd::client::internal {
namespace {

// While no endpoint is connected, the channels are looked at again at least this often.
constexpr std::chrono::milliseconds kPollSlice{20};

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      status.error_message() == "Deadline Exceeded") {
    return absl::DeadlineExceededError("context deadline exceeded");
  }
  // absl::StatusCode and grpc::StatusCode share their numbering (both follow google.rpc.Code).
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

bool IsTransportFailure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE &&
         !absl::StartsWith(status.error_message(), "etcdserver: ");
}

bool NeverSent(const grpc::Status& status) {
  if (!IsTransportFailure(status)) return false;
  const std::string m = absl::AsciiStrToLower(status.error_message());
  // gRPC's words when the call found no connection to send on (pick_first in
  // TRANSIENT_FAILURE, or the connection attempt made for this call failed).
  return absl::StrContains(m, "failed to connect") || absl::StrContains(m, "connection refused") ||
         absl::StrContains(m, "no connection") ||
         absl::StrContains(m, "connections to all backends failing");
}

absl::StatusOr<std::string> ParseEndpoint(std::string_view endpoint) {
  std::string e(endpoint);
  if (e.rfind("https://", 0) == 0 || e.rfind("unixs://", 0) == 0) {
    return absl::InvalidArgumentError("TLS endpoints are not supported: " + e);
  }
  if (e.rfind("http://", 0) == 0) e.erase(0, 7);
  while (!e.empty() && e.back() == '/') e.pop_back();
  if (e.empty()) return absl::InvalidArgumentError("bad endpoint \"" + std::string(endpoint) + "\"");
  return e;
}

Stubs::Stubs(std::shared_ptr<grpc::Channel> ch)
    : channel(std::move(ch)),
      kv(etcdserverpb::KV::NewStub(channel)),
      lease(etcdserverpb::Lease::NewStub(channel)),
      cluster(etcdserverpb::Cluster::NewStub(channel)),
      maintenance(etcdserverpb::Maintenance::NewStub(channel)),
      lock(v3lockpb::Lock::NewStub(channel)),
      election(v3electionpb::Election::NewStub(channel)) {}

Connection::Connection(ClientOptions options, std::vector<std::string> endpoints)
    : options_(std::move(options)), endpoints_(std::move(endpoints)) {
  for (const std::string& e : endpoints_) stubs_.push_back(std::make_unique<Stubs>(NewChannel(e)));
}

std::shared_ptr<grpc::Channel> Connection::NewChannel(const std::string& target) const {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(options_.max_call_send_bytes);
  args.SetMaxReceiveMessageSize(options_.max_call_recv_bytes);
  // A member that comes back is found within a second (gRPC's default backoff grows to 2
  // minutes, far too long for failover between a handful of members).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Connections of their own: two Clients in one process (a benchmark's connections) do not
  // share a TCP connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

absl::StatusOr<std::shared_ptr<Connection>> Connection::Dial(const ClientOptions& options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("no endpoints given");
  if (options.max_call_send_bytes <= 0 || options.max_call_recv_bytes <= 0) {
    return absl::InvalidArgumentError("message size limits must be positive");
  }
  if (options.max_call_send_bytes > options.max_call_recv_bytes) {
    // clientv3's check, with its words.
    return absl::InvalidArgumentError(
        absl::StrCat("gRPC message recv limit (", options.max_call_recv_bytes,
                     " bytes) must be greater than send limit (", options.max_call_send_bytes,
                     " bytes)"));
  }
  std::vector<std::string> endpoints;
  for (const std::string& e : options.endpoints) {
    auto parsed = ParseEndpoint(e);
    if (!parsed.ok()) return parsed.status();
    endpoints.push_back(*std::move(parsed));
  }
  std::shared_ptr<Connection> c(new Connection(options, std::move(endpoints)));
  if (options.dial_timeout.count() <= 0) {
    for (const auto& stubs : c->stubs_) stubs->channel->GetState(/*try_to_connect=*/true);
    return c;
  }
  auto ready = c->PickReady(Clock::now() + options.dial_timeout);
  if (!ready.ok()) {
    VLOG(1) << "etcd client: no endpoint of " << absl::StrJoin(c->endpoints_, ",")
                 << " connected within " << options.dial_timeout.count() << " ms";
    return ready.status();
  }
  c->preferred_ = *ready;
  return c;
}

Clock::time_point Connection::RequestDeadline() const {
  if (options_.request_timeout.count() <= 0) return kNoDeadline;
  return Clock::now() + options_.request_timeout;
}

absl::StatusOr<int> Connection::PickReady(Clock::time_point deadline,
                                          const std::function<bool()>& stop) {
  const int n = size();
  for (;;) {
    const int start = preferred_.load();
    int connecting = -1;
    for (int k = 0; k < n; ++k) {
      const int i = (start + k) % n;
      const grpc_connectivity_state state = channel(i)->GetState(/*try_to_connect=*/true);
      if (state == GRPC_CHANNEL_READY) return i;
      if (connecting < 0 && state == GRPC_CHANNEL_CONNECTING) connecting = i;
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return absl::DeadlineExceededError("context deadline exceeded");
    if (stop && stop()) return absl::CancelledError("stopped");
    // Sleep until a connection attempt ends (or a slice passes, for the other channels).
    const int watch = connecting >= 0 ? connecting : start;
    channel(watch)->WaitForStateChange(channel(watch)->GetState(false),
                                       std::min(deadline, now + kPollSlice));
  }
}

void Connection::MarkFailed(int i) {
  int expected = i;
  if (preferred_.compare_exchange_strong(expected, (i + 1) % size())) {
    VLOG(1) << "etcd client: endpoint " << endpoints_[i] << " failed; trying "
            << endpoints_[(i + 1) % size()] << " next";
  }
}

void Connection::MarkGood(int i) { preferred_.store(i); }

absl::Status Connection::Call(Retry retry, Clock::time_point deadline, const CallFn& fn) {
  const int n = size();
  int transport_failures = 0, no_leader = 0;
  for (;;) {
    auto picked = PickReady(deadline);
    if (!picked.ok()) return picked.status();
    const int i = *picked;
    grpc::ClientContext context;
    if (deadline != kNoDeadline) context.set_deadline(deadline);
    const grpc::Status s = fn(*stubs_[i], &context);
    if (s.ok()) {
      MarkGood(i);
      return absl::OkStatus();
    }
    if (IsTransportFailure(s)) {
      MarkFailed(i);
      const bool may_retry = retry != Retry::kIfNotSent || NeverSent(s);
      VLOG(1) << "etcd client: call to " << endpoints_[i] << " failed: " << s.error_message()
              << (may_retry ? " (retrying on the next endpoint)" : "");
      // Each endpoint gets about two chances; one that is down stops being READY at once.
      if (may_retry && ++transport_failures <= 2 * n) continue;
      return FromGrpc(s);
    }
    if (retry == Retry::kReadOrNoLeader && s.error_message() == "etcdserver: no leader" &&
        ++no_leader < n) {
      MarkFailed(i);
      continue;
    }
    return FromGrpc(s);
  }
}

absl::Status Connection::CallOn(std::string_view endpoint, Clock::time_point deadline,
                                const CallFn& fn) {
  auto target = ParseEndpoint(endpoint);
  if (!target.ok()) return target.status();
  Stubs* stubs = nullptr;
  std::unique_ptr<Stubs> other;  // an endpoint that is not one of ours: for this call only
  for (int i = 0; i < size(); ++i) {
    if (endpoints_[i] == *target) stubs = stubs_[i].get();
  }
  if (stubs == nullptr) {
    other = std::make_unique<Stubs>(NewChannel(*target));
    stubs = other.get();
  }
  grpc::ClientContext context;
  if (deadline != kNoDeadline) context.set_deadline(deadline);
  // Wait for this member to connect (within the deadline) instead of failing at once: the
  // caller asked for this member and no other.
  context.set_wait_for_ready(true);
  return FromGrpc(fn(*stubs, &context));
}

}  // namespace etcd::client::internal
