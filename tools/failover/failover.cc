// failover: how long a 3-member cluster takes to accept writes again after its leader is
// killed with SIGKILL, for our daemon and for the real etcd 3.4 with the same (default)
// heartbeat and election timeouts, on loopback.
//
//   bazel run //tools/failover -- --kills=20 [--which=both|ours|etcd]
//
// Each round: find the leader, start clients that put through both other members every few
// milliseconds (each put with a 100 ms deadline), SIGKILL the leader, and time from the kill
// to the first put acknowledged that was sent after it; then restart the old leader and wait
// until the cluster is healthy again. Prints every round and the median, minimum and maximum.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "testing/etcd_cluster.h"

namespace etcd::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds from the leader's death to the first write acknowledged after it.
absl::StatusOr<double> OneFailover(EtcdCluster& c, int round) {
  auto leader = c.WaitForLeader(std::chrono::seconds(20));
  if (!leader.ok()) return leader.status();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> first_ack_ns{0};
  const Clock::time_point killed_at_guess = Clock::now();
  std::atomic<int64_t> killed_ns{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < c.size(); ++i) {
    if (i == *leader) continue;
    clients.emplace_back([&, i] {
      auto stub = etcdserverpb::KV::NewStub(
          grpc::CreateChannel(c.member(i).endpoint(), grpc::InsecureChannelCredentials()));
      for (int n = 0; !stop; ++n) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
        etcdserverpb::PutRequest req;
        req.set_key("failover-" + std::to_string(round));
        req.set_value(std::to_string(n));
        etcdserverpb::PutResponse resp;
        const int64_t sent =
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - killed_at_guess)
                .count();
        if (!stub->Put(&ctx, req, &resp).ok()) continue;
        const int64_t killed = killed_ns.load();
        if (killed != 0 && sent > killed) {
          const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  Clock::now() - killed_at_guess)
                                  .count();
          int64_t expected = 0;
          first_ack_ns.compare_exchange_strong(expected, now);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // pacing, not sync
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // writes flowing first
  killed_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() -
                                                                   killed_at_guess)
                  .count();
  c.member(*leader).Kill();
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (first_ack_ns.load() == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  for (auto& t : clients) t.join();
  if (first_ack_ns.load() == 0) return absl::DeadlineExceededError("no write after 30 s");
  const double ms = (first_ack_ns.load() - killed_ns.load()) / 1e6;
  if (absl::Status s = c.member(*leader).Restart(); !s.ok()) return s;
  return ms;
}

int Run(const std::string& which, int kills) {
  std::printf("%-6s %5s %10s\n", "server", "round", "failover");
  for (const std::string name : {std::string("ours"), std::string("etcd")}) {
    if (which != "both" && which != name) continue;
    EtcdCluster::Options options;
    options.binary = name == "ours" ? OurEtcdBinary() : kRealEtcd;
    options.size = 3;
    auto c = EtcdCluster::Start(options, "failover-" + name);
    if (!c.ok()) {
      std::fprintf(stderr, "cannot start the %s cluster: %s\n", name.c_str(),
                   std::string(c.status().message()).c_str());
      return 1;
    }
    std::vector<double> times;
    for (int round = 0; round < kills; ++round) {
      auto ms = OneFailover(*c, round);
      if (!ms.ok()) {
        std::fprintf(stderr, "%s round %d: %s\n", name.c_str(), round,
                     std::string(ms.status().message()).c_str());
        return 1;
      }
      std::printf("%-6s %5d %8.0f ms\n", name.c_str(), round, *ms);
      std::fflush(stdout);
      times.push_back(*ms);
    }
    std::sort(times.begin(), times.end());
    const double median = times.size() % 2 ? times[times.size() / 2]
                                           : (times[times.size() / 2 - 1] + times[times.size() / 2]) / 2;
    std::printf("%-6s median %.0f ms, min %.0f ms, max %.0f ms over %zu kills\n", name.c_str(),
                median, times.front(), times.back(), times.size());
  }
  return 0;
}

}  // namespace
}  // namespace etcd::testing

int main(int argc, char** argv) {
  // Find //cmd/etcd in this binary's runfiles, as a test would.
  if (std::getenv("TEST_SRCDIR") == nullptr) {
    const std::string runfiles = std::string(argv[0]) + ".runfiles";
    setenv("TEST_SRCDIR", runfiles.c_str(), 1);
  }
  int kills = 20;
  std::string which = "both";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--kills=", 8) == 0) {
      kills = std::atoi(argv[i] + 8);
    } else if (std::strncmp(argv[i], "--which=", 8) == 0) {
      which = argv[i] + 8;
    } else {
      std::fprintf(stderr, "usage: failover [--kills=N] [--which=both|ours|etcd]\n");
      return 2;
    }
  }
  return etcd::testing::Run(which, kills);
}
