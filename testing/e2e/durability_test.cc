// Durability: clients put keys concurrently and record every acknowledged put; the server is
// killed with SIGKILL at a (seeded) random moment and restarted. Every acknowledged put must be
// there with its revision, and revisions must continue after the highest acknowledged one.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

struct Ack {
  std::string value;
  int64_t revision;
};

class Recorder {
 public:
  void Add(const std::string& key, const std::string& value, int64_t rev) {
    std::lock_guard lock(mu_);
    acks_[key] = Ack{value, rev};
    cv_.notify_all();
  }
  void WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(60), [&] { return acks_.size() >= n; }))
        << "only " << acks_.size() << " puts acknowledged";
  }
  std::map<std::string, Ack> Snapshot() {
    std::lock_guard lock(mu_);
    return acks_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Ack> acks_;
};

std::unique_ptr<etcdserverpb::KV::Stub> Connect(const EtcdProcess& etcd) {
  return etcdserverpb::KV::NewStub(
      grpc::CreateChannel(etcd.endpoint(), grpc::InsecureChannelCredentials()));
}

TEST(DurabilityTest, EveryAcknowledgedPutSurvivesSigkill) {
  auto started = EtcdProcess::Start(OurEtcdBinary(), "durability");
  ASSERT_TRUE(started.ok()) << started.status();
  EtcdProcess etcd = std::move(*started);
  std::mt19937 rng(20261123);
  Recorder recorder;
  int64_t max_acked = 0;

  for (int round = 0; round < 3; ++round) {
    const size_t target = recorder.Snapshot().size() + 100 + rng() % 400;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        auto stub = Connect(etcd);
        for (int i = 0; !stop; ++i) {
          etcdserverpb::PutRequest req;
          req.set_key("r" + std::to_string(round) + "-w" + std::to_string(w) + "-" + std::to_string(i));
          req.set_value("value-" + std::to_string(i));
          etcdserverpb::PutResponse resp;
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          if (!stub->Put(&ctx, req, &resp).ok()) return;  // the server died
          recorder.Add(req.key(), req.value(), resp.header().revision());
        }
      });
    }
    recorder.WaitFor(target);
    etcd.Kill();  // while the writers still have puts in flight
    stop = true;
    for (auto& t : writers) t.join();

    ASSERT_TRUE(etcd.Restart().ok());
    auto stub = Connect(etcd);
    for (const auto& [key, ack] : recorder.Snapshot()) {
      etcdserverpb::RangeRequest req;
      req.set_key(key);
      etcdserverpb::RangeResponse resp;
      grpc::ClientContext ctx;
      ASSERT_TRUE(stub->Range(&ctx, req, &resp).ok());
      ASSERT_EQ(resp.kvs_size(), 1) << "acknowledged put of " << key << " lost in round " << round;
      EXPECT_EQ(resp.kvs(0).value(), ack.value);
      EXPECT_EQ(resp.kvs(0).mod_revision(), ack.revision) << key;
      max_acked = std::max(max_acked, ack.revision);
    }
    // Revisions go on from where they were: a new put gets a higher one.
    etcdserverpb::PutRequest put;
    put.set_key("after-restart");
    put.set_value("x");
    etcdserverpb::PutResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->Put(&ctx, put, &resp).ok());
    EXPECT_GT(resp.header().revision(), max_acked);
  }
  // Each acknowledged put had its own revision.
  std::map<int64_t, std::string> by_rev;
  for (const auto& [key, ack] : recorder.Snapshot()) {
    EXPECT_TRUE(by_rev.emplace(ack.revision, key).second) << "revision reused: " << ack.revision;
  }
}

}  // namespace
}  // namespace etcd::testing
