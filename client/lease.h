// Lease keep-alive: a background loop that keeps one lease alive, from Client::KeepAlive.
//
// The loop opens a LeaseKeepAlive stream on a connected endpoint and sends a keep-alive at
// once and then every TTL/3 (TTL as the server last answered, in seconds; as clientv3). If the
// stream breaks it opens another one on the next endpoint, for as long as the lease can still
// be alive (until the last answered TTL has run out). It stops when the server answers TTL 0
// (the lease expired or was revoked), when no keep-alive got through in time, or when the
// handle is stopped or destroyed; the lease then expires on the server after its TTL, unless
// revoked or kept alive elsewhere.
//
// Thread-safety: thread-safe; Next is meant for one reader. The handle may outlive the Client.
#ifndef ETCD_CLIENT_LEASE_H_
#define ETCD_CLIENT_LEASE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/status/statusor.h"
#include "api/etcdserverpb/rpc.pb.h"

namespace grpc {
class ClientContext;
}

namespace etcd::client {

namespace internal {
class Connection;
}

class LeaseKeepAlive {
 public:
  // At most this many answers wait for Next; older ones are dropped first (as clientv3 drops
  // answers nobody reads).
  static constexpr size_t kMaxQueued = 16;

  // Stops the loop (see Stop).
  ~LeaseKeepAlive();
  LeaseKeepAlive(const LeaseKeepAlive&) = delete;
  LeaseKeepAlive& operator=(const LeaseKeepAlive&) = delete;

  int64_t id() const { return id_; }

  // Waits at most `timeout` for the next answer of the server (ID, TTL in seconds, header).
  // Errors: DeadlineExceeded if none came in time while the loop runs; once the loop has
  // stopped and the answers received before are read, why it stopped (see status()).
  absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> Next(std::chrono::milliseconds timeout);

  // The last answer, if any.
  std::optional<etcdserverpb::LeaseKeepAliveResponse> last() const;
  // Number of answers received so far.
  int64_t responses() const;

  // Whether the loop still runs.
  bool running() const;
  // OK while the loop runs; then why it stopped: NotFound "etcdserver: requested lease not
  // found" when the lease expired or was revoked (the server answered TTL 0), Cancelled
  // "lease keep-alive stopped" after Stop(), Unavailable "lease keep-alive: no keep-alive got
  // through before the lease's TTL ran out (last failure: ...)" when no member answered in
  // time (before the first answer, "in time" is the request timeout).
  absl::Status status() const;

  // Stops the loop and closes its stream; returns once the loop has ended. Idempotent.
  void Stop();

 private:
  friend class Client;
  LeaseKeepAlive(std::shared_ptr<internal::Connection> connection, int64_t id);
  void Loop();
  // Waits until `until` or Stop; false if stopped.
  bool WaitUntil(std::chrono::system_clock::time_point until);
  void Finish(absl::Status status);

  const std::shared_ptr<internal::Connection> connection_;
  const int64_t id_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                    // guarded by mu_
  bool running_ = true;                  // guarded by mu_
  absl::Status status_;                  // guarded by mu_
  grpc::ClientContext* context_ = nullptr;  // guarded by mu_: the open stream's, to cancel it
  std::deque<etcdserverpb::LeaseKeepAliveResponse> queue_;  // guarded by mu_
  std::optional<etcdserverpb::LeaseKeepAliveResponse> last_;  // guarded by mu_
  int64_t responses_ = 0;                                     // guarded by mu_
  std::mutex join_mu_;  // Stop may run on several threads at once
  std::thread thread_;
};

}  // namespace etcd::client

#endif  // ETCD_CLIENT_LEASE_H_
