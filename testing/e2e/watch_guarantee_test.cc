// The watch guarantees through the whole server: concurrent writers (puts, deletes, txns) over
// gRPC while watchers (from old revisions, from now, slow readers) record events over gRPC.
// Every watcher's events must equal the history the writers' responses describe for its range:
// same order, none missing, none twice, one response per revision. Run also across a compaction:
// a watcher left behind it is cancelled with compact_revision after an exact prefix.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

struct Change {
  int64_t rev;
  std::string key;
  bool put;
  bool operator==(const Change&) const = default;
  bool operator<(const Change& o) const { return std::tie(rev, key) < std::tie(o.rev, o.key); }
};

class History {
 public:
  void Add(std::vector<Change> cs) {
    std::lock_guard lock(mu_);
    for (auto& c : cs) all_.push_back(std::move(c));
  }
  // The changes of keys in [key, end) with revision >= from, in revision order (within a
  // revision, in the order the txn made them: our writers touch distinct keys per txn, sorted).
  std::vector<Change> For(const std::string& key, const std::string& end, int64_t from) {
    std::lock_guard lock(mu_);
    std::vector<Change> out;
    for (const Change& c : all_) {
      if (c.rev >= from && c.key >= key && c.key < end) out.push_back(c);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<Change> all_;
};

struct Recorded {
  std::vector<Change> events;
  std::vector<int64_t> response_revs;
  int64_t compact_revision = 0;
};

// Reads a watch until `last_rev` is seen or the watch is cancelled; `slow` pauses between reads.
Recorded Record(etcdserverpb::Watch::Stub* stub, const std::string& key, const std::string& end,
                int64_t start, bool slow, std::function<int64_t()> last_rev) {
  Recorded r;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub->Watch(&ctx);
  etcdserverpb::WatchRequest req;
  req.mutable_create_request()->set_key(key);
  req.mutable_create_request()->set_range_end(end);
  req.mutable_create_request()->set_start_revision(start);
  EXPECT_TRUE(stream->Write(req));
  etcdserverpb::WatchResponse resp;
  while (stream->Read(&resp)) {
    if (resp.compact_revision() != 0) {
      r.compact_revision = resp.compact_revision();
      break;
    }
    if (resp.events_size() > 0) {
      r.response_revs.push_back(resp.header().revision());
      for (const auto& ev : resp.events()) {
        r.events.push_back({ev.kv().mod_revision(), ev.kv().key(), ev.type() == mvccpb::Event::PUT});
      }
      // A slow reader: lets the server's queue for this stream fill up (behaviour under test).
      if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const int64_t last = last_rev();
    if (last > 0 && !r.response_revs.empty() && r.response_revs.back() >= last) break;
  }
  ctx.TryCancel();
  return r;
}

void Check(const Recorded& got, const std::vector<Change>& want, const std::string& name) {
  if (got.compact_revision != 0) {
    ASSERT_LE(got.events.size(), want.size()) << name;
    for (size_t i = 0; i < got.events.size(); ++i) ASSERT_EQ(got.events[i], want[i]) << name << " " << i;
    return;
  }
  ASSERT_EQ(got.events.size(), want.size()) << name;
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got.events[i], want[i]) << name << " event " << i;
  std::set<int64_t> revs(got.response_revs.begin(), got.response_revs.end());
  EXPECT_EQ(revs.size(), got.response_revs.size()) << name << ": a revision split over responses";
}

void RunScenario(bool compact) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), compact ? "guarantee-compact" : "guarantee");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto channel = grpc::CreateChannel(etcd->endpoint(), grpc::InsecureChannelCredentials());
  auto kv = etcdserverpb::KV::NewStub(channel);
  auto watch = etcdserverpb::Watch::NewStub(channel);
  History history;
  // Some history before the watchers start.
  for (int i = 0; i < 30; ++i) {
    etcdserverpb::PutRequest put;
    put.set_key("k" + std::to_string(i % 10));
    put.set_value("seed");
    etcdserverpb::PutResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(kv->Put(&ctx, put, &resp).ok());
    history.Add({{resp.header().revision(), put.key(), true}});
  }
  std::atomic<int64_t> last_rev{0};
  struct Spec {
    std::string key, end;
    int64_t start;
    bool slow;
  };
  const std::vector<Spec> specs = {
      {"k", "l", 2, false}, {"k3", "k6", 10, true}, {"k", "l", 31, false},
      {"k1", "k2", 20, true}, {"k", "l", 5, true},
  };
  std::vector<Recorded> recorded(specs.size());
  std::vector<std::thread> watchers;
  for (size_t i = 0; i < specs.size(); ++i) {
    watchers.emplace_back([&, i] {
      recorded[i] = Record(watch.get(), specs[i].key, specs[i].end, specs[i].start, specs[i].slow,
                           [&] { return last_rev.load(); });
    });
  }
  std::vector<std::thread> writers;
  std::atomic<int64_t> max_rev{0};
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937 rng(77 + t);
      for (int i = 0; i < 150; ++i) {
        const std::string k1 = "k" + std::to_string(rng() % 10);
        grpc::ClientContext ctx;
        int64_t rev = 0;
        std::vector<Change> changes;
        switch (rng() % 3) {
          case 0: {
            etcdserverpb::PutRequest put;
            put.set_key(k1);
            put.set_value(std::to_string(i));
            etcdserverpb::PutResponse resp;
            ASSERT_TRUE(kv->Put(&ctx, put, &resp).ok());
            rev = resp.header().revision();
            changes.push_back({rev, k1, true});
            break;
          }
          case 1: {
            etcdserverpb::DeleteRangeRequest del;
            del.set_key(k1);
            etcdserverpb::DeleteRangeResponse resp;
            ASSERT_TRUE(kv->DeleteRange(&ctx, del, &resp).ok());
            rev = resp.header().revision();
            if (resp.deleted() == 1) changes.push_back({rev, k1, false});
            break;
          }
          default: {
            // A txn: two distinct keys put in one revision (ordered as the txn lists them).
            std::string k2 = "k" + std::to_string(rng() % 10);
            if (k2 == k1) k2 = k1 == "k0" ? "k1" : "k0";
            const std::string a = std::min(k1, k2), b = std::max(k1, k2);
            etcdserverpb::TxnRequest txn;
            for (const std::string& k : {a, b}) {
              auto* p = txn.add_success()->mutable_request_put();
              p->set_key(k);
              p->set_value("txn");
            }
            etcdserverpb::TxnResponse resp;
            ASSERT_TRUE(kv->Txn(&ctx, txn, &resp).ok());
            rev = resp.header().revision();
            changes.push_back({rev, a, true});
            changes.push_back({rev, b, true});
          }
        }
        history.Add(std::move(changes));
        int64_t m = max_rev.load();
        while (rev > m && !max_rev.compare_exchange_weak(m, rev)) {
        }
        if (compact && t == 0 && i == 75) {
          etcdserverpb::CompactionRequest c;
          c.set_revision(rev);
          etcdserverpb::CompactionResponse cr;
          grpc::ClientContext cctx;
          ASSERT_TRUE(kv->Compact(&cctx, c, &cr).ok());
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  // A final put every watcher's range holds tells them they have everything.
  {
    etcdserverpb::TxnRequest txn;
    for (const char* k : {"k1", "k3"}) {
      auto* p = txn.add_success()->mutable_request_put();
      p->set_key(k);
      p->set_value("end");
    }
    etcdserverpb::TxnResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(kv->Txn(&ctx, txn, &resp).ok());
    history.Add({{resp.header().revision(), "k1", true}, {resp.header().revision(), "k3", true}});
    last_rev = resp.header().revision();
  }
  // A watcher may have read the final txn before `last_rev` was set and be waiting for more:
  // one more change (not compared) wakes it to see that it is done.
  {
    etcdserverpb::TxnRequest txn;
    for (const char* k : {"k1", "k3"}) {
      auto* p = txn.add_success()->mutable_request_put();
      p->set_key(k);
      p->set_value("wake");
    }
    etcdserverpb::TxnResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(kv->Txn(&ctx, txn, &resp).ok());
  }
  for (auto& w : watchers) w.join();
  for (Recorded& r : recorded) {
    std::erase_if(r.events, [&](const Change& c) { return c.rev > last_rev; });
    std::erase_if(r.response_revs, [&](int64_t rev) { return rev > last_rev; });
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    Check(recorded[i], history.For(specs[i].key, specs[i].end, specs[i].start),
          "watcher " + std::to_string(i));
    if (!compact) {
      EXPECT_EQ(recorded[i].compact_revision, 0);
    }
  }
}

TEST(WatchGuaranteeTest, EveryWatcherGetsExactlyItsHistory) { RunScenario(false); }
TEST(WatchGuaranteeTest, AcrossACompaction) { RunScenario(true); }

}  // namespace
}  // namespace etcd::testing
