// The endpoints of a Client, one gRPC channel each, and the failover rule every call follows
// (described for users in client/client.h). Private to //client.
#ifndef ETCD_CLIENT_INTERNAL_CONNECTION_H_
#define ETCD_CLIENT_INTERNAL_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "api/v3electionpb/v3election.grpc.pb.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "api/v3lockpb/v3lock.grpc.pb.h"
#include "client/options.h"

namespace etcd::client::internal {

using Clock = std::chrono::system_clock;  // gRPC deadlines are system_clock time points
// No deadline.
inline constexpr Clock::time_point kNoDeadline = Clock::time_point::max();

// Which failures of a call may be retried on the next endpoint.
enum class Retry {
  // Only failures where the request never reached a server (the endpoint was not connected,
  // or gRPC could not connect for this call). For writes: at most once.
  kIfNotSent,
  // Any transport failure (reads: asking again is harmless).
  kRead,
  // As kRead, and also the server error "etcdserver: no leader" (Range and Status, as
  // clientv3 does).
  kReadOrNoLeader,
};

// The gRPC status as an absl::Status with the same code and message. One exception: a
// deadline that expired on this side (gRPC's "Deadline Exceeded") reads as the Go client's
// "context deadline exceeded", the text etcdctl prints.
absl::Status FromGrpc(const grpc::Status& status);

// Whether a failed call failed in the transport (the endpoint is down or unreachable) rather
// than with an answer of the server: UNAVAILABLE without etcd's "etcdserver: " prefix.
bool IsTransportFailure(const grpc::Status& status);

// Whether a transport failure happened before the request could reach the server: gRPC never
// had a connection for the call ("failed to connect", "Connection refused").
bool NeverSent(const grpc::Status& status);

// Whether a server error means the call's auth token must be renewed before the call is tried
// again (clientv3's shouldRefreshToken): "etcdserver: invalid auth token", "etcdserver:
// revision of auth store is old", "etcdserver: user name is empty".
bool IsStaleTokenError(const grpc::Status& status);

// One endpoint, as dialed.
struct Endpoint {
  std::string address;  // "host:port"
  bool tls = false;     // whether the connection uses TLS
};

// Parses "host:port", "http://host:port" or "https://host:port" (a trailing "/" allowed).
// https:// means TLS; http:// means none; no scheme means TLS when `tls_configured` (clientv3's
// processCreds). Errors: InvalidArgument for empty endpoints and unix:// / unixs:// ones.
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view endpoint, bool tls_configured);

// The auth token a Connection's channels send (the "token" metadata). Thread-safe.
class AuthToken {
 public:
  std::string Get() const;
  void Set(std::string token);

 private:
  mutable absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
};

// The service stubs of one endpoint (gRPC stubs are thread-safe).
struct Stubs {
  explicit Stubs(std::shared_ptr<grpc::Channel> channel);
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Cluster::Stub> cluster;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
  std::unique_ptr<v3lockpb::Lock::Stub> lock;
  std::unique_ptr<v3electionpb::Election::Stub> election;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth;
};

// Thread-safe.
class Connection {
 public:
  // Creates one channel per endpoint and waits (at most options.dial_timeout; not at all when
  // it is 0) until one is connected; then, with a username and password, authenticates
  // (within the same deadline, or the request timeout when dial_timeout is 0). Errors:
  // InvalidArgument for bad options, DeadlineExceeded "context deadline exceeded" when no
  // endpoint connected in time, the server's error when it refused the credentials.
  static absl::StatusOr<std::shared_ptr<Connection>> Dial(const ClientOptions& options);

  using CallFn = std::function<grpc::Status(Stubs& stubs, grpc::ClientContext* context)>;

  // Runs one call, `fn`, with a fresh ClientContext per attempt carrying `deadline`, on the
  // preferred endpoint first and on the next ones as `retry` allows, until it succeeds, fails
  // for good, or the deadline passes. A stale token (IsStaleTokenError) is renewed and the
  // call tried once more. Returns the call's status (see FromGrpc).
  absl::Status Call(Retry retry, Clock::time_point deadline, const CallFn& fn);

  // Auth.Authenticate with the configured username and password; on success the channels send
  // the new token from their next call on. Errors: the server's ("etcdserver: authentication
  // failed, invalid user ID or password", "etcdserver: authentication is not enabled"), or
  // transport ones as Call.
  absl::Status Authenticate(Clock::time_point deadline);
  // Whether calls carry credentials (a username and password were given).
  bool has_credentials() const {
    return !options_.username.empty() && !options_.password.empty();
  }
  // The same on one given endpoint only (no failover): Status, Hash, Defragment of a member.
  absl::Status CallOn(std::string_view endpoint, Clock::time_point deadline, const CallFn& fn);

  // The deadline of a call started now: now + request_timeout, or none.
  Clock::time_point RequestDeadline() const;

  // The first connected endpoint from the preferred one on (connecting idle ones), waiting
  // until `deadline` for one to connect. Errors: DeadlineExceeded "context deadline exceeded".
  // `stop` (optional) is polled while waiting; when it returns true, Cancelled is returned.
  absl::StatusOr<int> PickReady(Clock::time_point deadline,
                                const std::function<bool()>& stop = nullptr);
  // Tells the connection that endpoint `i` failed at the transport: the next calls start at
  // the endpoint after it.
  void MarkFailed(int i);
  // Tells it that endpoint `i` just served a call.
  void MarkGood(int i);

  int size() const { return static_cast<int>(endpoints_.size()); }
  const std::string& endpoint(int i) const { return endpoints_[i]; }
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  const std::shared_ptr<grpc::Channel>& channel(int i) const { return stubs_[i]->channel; }
  Stubs& stubs(int i) const { return *stubs_[i]; }
  // The endpoint calls currently go to first.
  int preferred() const { return preferred_.load(); }
  const ClientOptions& options() const { return options_; }

 private:
  Connection(ClientOptions options, std::vector<Endpoint> endpoints);
  std::shared_ptr<grpc::Channel> NewChannel(const Endpoint& endpoint) const;
  absl::Status CallImpl(Retry retry, Clock::time_point deadline, const CallFn& fn,
                        bool may_renew_token);
  // Whether a call that failed with `status` is tried again (once), after a new token when
  // there are credentials.
  bool ShouldRetryWithNewToken(const grpc::Status& status) const;

  const ClientOptions options_;
  // Created once: gRPC shares one TLS context between the channels that use them.
  std::shared_ptr<grpc::ChannelCredentials> insecure_credentials_, tls_credentials_;
  const std::shared_ptr<AuthToken> token_ = std::make_shared<AuthToken>();
  std::vector<std::string> endpoints_;  // "host:port"
  std::vector<bool> endpoint_tls_;      // whether endpoint i uses TLS
  std::vector<std::unique_ptr<Stubs>> stubs_;  // one per endpoint
  std::atomic<int> preferred_{0};
};

// Runs one unary call through Connection::Call: `fn(stubs, context, &response)`.
template <typename Response, typename Fn>
absl::StatusOr<Response> Unary(Connection& connection, Retry retry, Clock::time_point deadline,
                               Fn&& fn) {
  Response response;
  absl::Status s = connection.Call(retry, deadline, [&](Stubs& stubs, grpc::ClientContext* ctx) {
    response.Clear();
    return fn(stubs, ctx, &response);
  });
  if (!s.ok()) return s;
  return response;
}

// The same on one endpoint (Connection::CallOn), or with failover when `endpoint` is empty.
template <typename Response, typename Fn>
absl::StatusOr<Response> UnaryOn(Connection& connection, std::string_view endpoint, Retry retry,
                                 Fn&& fn) {
  if (endpoint.empty()) {
    return Unary<Response>(connection, retry, connection.RequestDeadline(), std::forward<Fn>(fn));
  }
  Response response;
  absl::Status s = connection.CallOn(endpoint, connection.RequestDeadline(),
                                     [&](Stubs& stubs, grpc::ClientContext* ctx) {
                                       return fn(stubs, ctx, &response);
                                     });
  if (!s.ok()) return s;
  return response;
}

}  // namespace etcd::client::internal

#endif  // ETCD_CLIENT_INTERNAL_CONNECTION_H_
