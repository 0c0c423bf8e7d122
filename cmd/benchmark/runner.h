// What every benchmark command shares: the connections (--conns Clients shared by --clients
// concurrent clients, as etcd's tools/benchmark), the loop that issues --total requests with at
// most one in flight per client, an optional rate limit, and a progress bar on a terminal.
//
// Two engines run the requests (measured against etcd 3.4 on 2 cores shared with the server,
// load average 5-8, puts of 256 bytes):
//  * callback: gRPC's callback API on the channel of each Client; each completion records its
//    latency and starts the client's next request on the same gRPC thread. No thread per
//    client and no hand-off per request: at 1000 clients / 100 connections, 15-18k puts/s and
//    43-54 us of benchmark CPU per put.
//  * threads: one thread per client making blocking calls (every answer wakes the thread that
//    waits for it): 10-11k puts/s and 92-107 us per put at 1000 clients. With one client both
//    reach the same rate and threads use about a fifth less CPU; they are also the only choice
//    for requests that are several calls (STM, lease keep-alive).
// --engine=auto (the default) takes threads up to kThreadsUpTo clients, callbacks above.
//
// Thread-safety: a Connections is shared read-only by all clients once dialed.
#ifndef ETCD_CMD_BENCHMARK_RUNNER_H_
#define ETCD_CMD_BENCHMARK_RUNNER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "client/client.h"
#include "cmd/benchmark/report.h"

namespace etcd::benchmark {

// The global flags (etcd's persistent flags of tools/benchmark).
struct GlobalOptions {
  std::vector<std::string> endpoints = {"127.0.0.1:2379"};
  int64_t conns = 1;    // gRPC connections (Clients)
  int64_t clients = 1;  // concurrent clients; client i uses connection i % conns
  bool target_leader = false;  // connect to the leader only
  std::chrono::nanoseconds dial_timeout = std::chrono::seconds(2);
  bool precise = false;  // full precision in the report
  bool sample = false;   // per-second samples at the end of each report
  std::string engine = "auto";  // auto | threads | callback
};

// Clients up to which --engine=auto uses a thread per client.
inline constexpr int64_t kThreadsUpTo = 4;

// The --conns Clients. Connection i goes to endpoint i % endpoints (spreading the load over the
// members) or, with --target-leader, to the leader.
class Connections {
 public:
  // Errors: InvalidArgument for conns or clients < 1; the Client's dial errors (e.g.
  // DeadlineExceeded when an endpoint does not answer within the dial timeout); NotFound when
  // no endpoint reports a leader with --target-leader.
  static absl::StatusOr<std::unique_ptr<Connections>> Dial(const GlobalOptions& options);
  Connections() = default;

  int64_t size() const { return static_cast<int64_t>(conns_.size()); }
  // The Client of connection `i`, and the KV stub on its channel.
  client::Client& conn(int64_t i) { return *conns_[i].client; }
  etcdserverpb::KV::Stub& kv(int64_t i) { return *conns_[i].kv; }
  // The connection client `c` uses.
  int64_t of_client(int64_t c) const { return c % size(); }

 private:
  struct Conn {
    std::unique_ptr<client::Client> client;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
  };
  std::vector<Conn> conns_;
};

// The endpoint ("host:port") of the current leader among `endpoints`. Errors: NotFound if none
// answers with a leader among them; the dial error if none can be reached.
absl::StatusOr<std::string> FindLeader(const std::vector<std::string>& endpoints,
                                       std::chrono::nanoseconds dial_timeout);

// A progress bar on stderr ("\r 1234 / 10000 [=====>    ] 12.34%"), redrawn every 200 ms and
// only if stderr is a terminal: none under CI or when piped. Thread-safe.
class Progress {
 public:
  explicit Progress(int64_t total);
  ~Progress();  // draws the final state and ends the line
  void Add(int64_t n = 1) { done_.fetch_add(n, std::memory_order_relaxed); }

 private:
  void Draw() const;
  const int64_t total_;
  std::atomic<int64_t> done_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Paces requests to at most `per_second` (0: no limit), shared by all clients, burst 1 (as
// golang.org/x/time/rate with burst 1). Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(int64_t per_second);
  // Blocks until the caller's turn.
  void Wait();

 private:
  const Clock::duration interval_;
  std::mutex mu_;
  Clock::time_point next_;  // guarded by mu_
};

// How to issue request number `seq` (0 <= seq < total) as client `client`, in both forms; a
// workload supplies `blocking`, and `async` where the callback engine may run it.
struct Workload {
  // Makes the request and waits for its answer.
  std::function<absl::Status(int64_t client, int64_t seq)> blocking;
  // Starts the request and returns; `done` is called once, on any thread, when it completes.
  std::function<void(int64_t client, int64_t seq, std::function<void(absl::Status)> done)>
      async;
};

struct RunOptions {
  int64_t clients = 1;
  int64_t total = 0;
  int64_t rate = 0;            // requests per second over all clients; 0: no limit
  std::string engine = "auto";  // see GlobalOptions::engine
};

// Runs `options.total` requests of `workload` over `options.clients` clients (each with at
// most one request in flight; requests are numbered in the order they start) and records each
// latency (or error) in `report`, whose measured interval starts here and ends when the last
// request completes. With a rate limit, or when `async` is missing, the threads engine runs.
void Run(const RunOptions& options, const Workload& workload, Report& report);

// gRPC's status as the error text the report counts ("etcdserver: ..." as the server said it).
absl::Status FromGrpc(const grpc::Status& status);

// Issues one unary call of the KV service with gRPC's callback API: `method` is a member of
// KV::Stub::async_interface (e.g. &etcdserverpb::KV::Stub::async_interface::Put); `done`
// gets the status once the answer is in.
template <typename Request, typename Response>
void CallAsync(etcdserverpb::KV::Stub& stub,
               void (etcdserverpb::KV::Stub::async_interface::*method)(
                   grpc::ClientContext*, const Request*, Response*,
                   std::function<void(grpc::Status)>),
               Request request, std::function<void(absl::Status)> done) {
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
  };
  auto call = std::make_shared<Call>();
  call->request = std::move(request);
  (stub.async()->*method)(&call->context, &call->request, &call->response,
                          [call, done = std::move(done)](grpc::Status s) { done(FromGrpc(s)); });
}

// Prints `report` to stdout, as etcd prints it (the text ends with one blank line).
void PrintReport(const Report& report);

}  // namespace etcd::benchmark

#endif  // ETCD_CMD_BENCHMARK_RUNNER_H_
