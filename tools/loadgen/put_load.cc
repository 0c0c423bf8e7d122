// put_load: a minimal closed-loop load generator for the KV Put and Range RPCs, to compare our
// daemon with the real etcd on the same machine until cmd/benchmark (issue "benchmark tool")
// exists. Each client thread sends one request at a time for --seconds; the report gives
// requests/s and latency percentiles.
//
//   bazel run -c opt //tools/loadgen:put_load -- --endpoint 127.0.0.1:2379 --clients 100
#include <gflags/gflags.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "api/etcdserverpb/rpc.grpc.pb.h"

DEFINE_string(endpoint, "127.0.0.1:2379", "host:port of the etcd to load");
DEFINE_int32(clients, 10, "concurrent clients (threads), each with one request in flight");
DEFINE_int32(conns, 1, "gRPC channels shared round-robin by the clients");
DEFINE_int32(seconds, 5, "how long to run");
DEFINE_int32(val_size, 256, "value size in bytes");
DEFINE_int32(key_space, 100000, "distinct keys");
DEFINE_string(op, "put", "put | range (linearizable) | srange (serializable)");

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < FLAGS_conns; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct channels, not one shared subchannel
    channels.push_back(grpc::CreateCustomChannel(FLAGS_endpoint, grpc::InsecureChannelCredentials(), args));
  }
  const std::string value(static_cast<size_t>(FLAGS_val_size), 'v');
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(FLAGS_clients));
  std::atomic<int64_t> errors{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < FLAGS_clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = etcdserverpb::KV::NewStub(channels[static_cast<size_t>(c % FLAGS_conns)]);
      uint64_t n = static_cast<uint64_t>(c) * 7919;
      while (!stop) {
        const std::string key = "key" + std::to_string(n++ % static_cast<uint64_t>(FLAGS_key_space));
        grpc::ClientContext ctx;
        grpc::Status s;
        const auto t0 = std::chrono::steady_clock::now();
        if (FLAGS_op == "put") {
          etcdserverpb::PutRequest req;
          req.set_key(key);
          req.set_value(value);
          etcdserverpb::PutResponse resp;
          s = stub->Put(&ctx, req, &resp);
        } else {
          etcdserverpb::RangeRequest req;
          req.set_key("key0");
          req.set_serializable(FLAGS_op == "srange");
          etcdserverpb::RangeResponse resp;
          s = stub->Range(&ctx, req, &resp);
        }
        const auto t1 = std::chrono::steady_clock::now();
        if (!s.ok()) {
          ++errors;
          continue;
        }
        latencies[static_cast<size_t>(c)].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(FLAGS_seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[static_cast<size_t>(p * (all.size() - 1))]; };
  std::printf("%s clients=%d conns=%d: %.0f req/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, errors %lld\n",
              FLAGS_op.c_str(), FLAGS_clients, FLAGS_conns, all.size() / elapsed, pct(0.5), pct(0.9),
              pct(0.99), static_cast<long long>(errors.load()));
  return 0;
}
