// put, range, txn-put, txn-mixed, stm and lease-keepalive.
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_format.h"
#include "client/kv.h"
#include "cmd/benchmark/commands.h"

namespace etcd::benchmark {

using etcdserverpb::KV;
using etcdserverpb::RequestOp;

std::string VarintKey(int64_t i, int64_t size) {
  std::string key(static_cast<size_t>(size), '\0');
  uint64_t zigzag = (static_cast<uint64_t>(i) << 1) ^ static_cast<uint64_t>(i >> 63);
  for (size_t pos = 0; pos < key.size(); ++pos) {
    key[pos] = static_cast<char>((zigzag & 0x7f) | (zigzag >= 0x80 ? 0x80 : 0));
    zigzag >>= 7;
    if (zigzag == 0 && !(key[pos] & 0x80)) break;
  }
  return key;
}

namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 generator(std::random_device{}());
  return generator;
}

}  // namespace

std::string RandomBytes(int64_t n) {
  std::string bytes(static_cast<size_t>(n), '\0');
  for (char& b : bytes) b = static_cast<char>(Generator()() & 0xff);
  return bytes;
}

int64_t RandomBelow(int64_t n) {
  return static_cast<int64_t>(Generator()() % static_cast<uint64_t>(n));
}

namespace {

// Requests of the KV service (etcd's clientv3 Do(op)): a Put, a Range or a Txn, as `make(seq)`
// builds them, sent in either engine's form.
Workload KvWorkload(Connections& conns, std::function<RequestOp(int64_t seq)> make) {
  Workload w;
  w.blocking = [&conns, make](int64_t client, int64_t seq) {
    KV::Stub& kv = conns.kv(conns.of_client(client));
    RequestOp op = make(seq);
    grpc::ClientContext context;
    switch (op.request_case()) {
      case RequestOp::kRequestPut: {
        etcdserverpb::PutResponse response;
        return FromGrpc(kv.Put(&context, op.request_put(), &response));
      }
      case RequestOp::kRequestRange: {
        etcdserverpb::RangeResponse response;
        return FromGrpc(kv.Range(&context, op.request_range(), &response));
      }
      case RequestOp::kRequestTxn: {
        etcdserverpb::TxnResponse response;
        return FromGrpc(kv.Txn(&context, op.request_txn(), &response));
      }
      default:
        return absl::InternalError("unexpected request kind");
    }
  };
  w.async = [&conns, make](int64_t client, int64_t seq, std::function<void(absl::Status)> done) {
    KV::Stub& kv = conns.kv(conns.of_client(client));
    RequestOp op = make(seq);
    using Async = KV::Stub::async_interface;
    switch (op.request_case()) {
      case RequestOp::kRequestPut:
        CallAsync<etcdserverpb::PutRequest, etcdserverpb::PutResponse>(
            kv, &Async::Put, std::move(*op.mutable_request_put()), std::move(done));
        break;
      case RequestOp::kRequestRange:
        CallAsync<etcdserverpb::RangeRequest, etcdserverpb::RangeResponse>(
            kv, &Async::Range, std::move(*op.mutable_request_range()), std::move(done));
        break;
      case RequestOp::kRequestTxn:
        CallAsync<etcdserverpb::TxnRequest, etcdserverpb::TxnResponse>(
            kv, &Async::Txn, std::move(*op.mutable_request_txn()), std::move(done));
        break;
      default:
        done(absl::InternalError("unexpected request kind"));
    }
  };
  return w;
}

RequestOp PutOp(std::string key, const std::string& value) {
  RequestOp op;
  op.mutable_request_put()->set_key(std::move(key));
  op.mutable_request_put()->set_value(value);
  return op;
}

absl::Status PositiveKeySpace(int64_t key_space_size) {
  if (key_space_size > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("expected positive --key-space-size, got (%d)", key_space_size));
}

absl::Status ParseConsistency(const std::string& consistency) {
  if (consistency == "l") {
    std::cout << "bench with linearizable range" << std::endl;
  } else if (consistency == "s") {
    std::cout << "bench with serializable range" << std::endl;
  } else {
    return absl::InvalidArgumentError("--consistency must be l (linearizable) or s (serializable)");
  }
  return absl::OkStatus();
}

// Runs `total` requests and prints the report.
absl::Status RunAndPrint(const GlobalOptions& global, int64_t total, int64_t rate,
                         const Workload& workload) {
  Report report(global.precise, global.sample);
  Run({.clients = global.clients, .total = total, .rate = rate, .engine = global.engine},
      workload, report);
  PrintReport(report);
  return absl::OkStatus();
}

class PutCommand : public Command {
 public:
  std::string name() const override { return "put"; }
  std::string description() const override { return "Benchmark put"; }
  void AddFlags(FlagSet& f) override {
    f.Int("key-size", &key_size_, "Key size of put request");
    f.Int("val-size", &val_size_, "Value size of put request");
    f.Int("rate", &rate_, "Maximum puts per second (0 is no limit)");
    f.Int("total", &total_, "Total number of put requests");
    f.Int("key-space-size", &key_space_size_, "Maximum possible keys");
    f.Bool("sequential-keys", &sequential_keys_, "Use sequential keys");
    f.Duration("compact-interval", &compact_interval_,
               "Interval to compact database (e.g. --compact-interval=5m compacts every 5 "
               "minutes; 0: never)");
    f.Int("compact-index-delta", &compact_index_delta_,
          "Delta between current revision and compact revision (e.g. current revision 10000, "
          "compact at 9000)");
  }
  absl::Status Run(const GlobalOptions& global, const std::vector<std::string>&) override {
    if (absl::Status s = PositiveKeySpace(key_space_size_); !s.ok()) return s;
    auto conns = Connections::Dial(global);
    if (!conns.ok()) return conns.status();
    const std::string value = RandomBytes(val_size_);
    Workload workload = KvWorkload(**conns, [this, value](int64_t seq) {
      const int64_t i = sequential_keys_ ? seq % key_space_size_ : RandomBelow(key_space_size_);
      return PutOp(VarintKey(i, key_size_), value);
    });
    std::thread compactor;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    if (compact_interval_.count() > 0) {
      compactor = std::thread([&] {
        std::unique_lock lock(mu);
        while (!cv.wait_for(lock, compact_interval_, [&] { return done; })) {
          Compact((*conns)->conn(0));
        }
      });
    }
    absl::Status s = RunAndPrint(global, total_, rate_, workload);
    if (compactor.joinable()) {
      {
        std::lock_guard lock(mu);
        done = true;
      }
      cv.notify_all();
      compactor.join();
    }
    return s;
  }

 private:
  void Compact(client::Client& c) {
    auto got = c.Get("foo");
    if (!got.ok()) {
      std::cerr << "compaction: " << got.status() << std::endl;
      return;
    }
    const int64_t revision = got->header().revision() - compact_index_delta_;
    if (revision <= 0) return;
    if (auto compacted = c.Compact(revision); !compacted.ok()) {
      std::cerr << "compaction: " << compacted.status() << std::endl;
    }
  }

  int64_t key_size_ = 8, val_size_ = 8, rate_ = 0, total_ = 10000, key_space_size_ = 1;
  bool sequential_keys_ = false;
  std::chrono::nanoseconds compact_interval_{0};
  int64_t compact_index_delta_ = 1000;
};

class RangeCommand : public Command {
 public:
  std::string name() const override { return "range"; }
  std::string usage() const override { return "range key [end-range]"; }
  std::string description() const override { return "Benchmark range"; }
  void AddFlags(FlagSet& f) override {
    f.Int("rate", &rate_, "Maximum range requests per second (0 is no limit)");
    f.Int("total", &total_, "Total number of range requests");
    f.String("consistency", &consistency_, "Linearizable(l) or Serializable(s)");
    f.Int("limit", &limit_, "Maximum number of results to return from range request (0 is no limit)");
    f.Bool("count-only", &count_only_, "Only returns the count of keys");
  }
  absl::Status Run(const GlobalOptions& global, const std::vector<std::string>& args) override {
    if (args.empty() || args.size() > 2) {
      return absl::InvalidArgumentError("range needs a key and at most a range end");
    }
    if (absl::Status s = ParseConsistency(consistency_); !s.ok()) return s;
    auto conns = Connections::Dial(global);
    if (!conns.ok()) return conns.status();
    RequestOp op;
    *op.mutable_request_range() = client::MakeRangeRequest(
        args[0], {.range_end = args.size() == 2 ? args[1] : "",
                  .limit = limit_,
                  .serializable = consistency_ == "s",
                  .count_only = count_only_});
    return RunAndPrint(global, total_, rate_,
                       KvWorkload(**conns, [op](int64_t) { return op; }));
  }

 private:
  int64_t rate_ = 0, total_ = 10000, limit_ = 0;
  std::string consistency_ = "l";
  bool count_only_ = false;
};

class TxnPutCommand : public Command {
 public:
  std::string name() const override { return "txn-put"; }
  std::string description() const override { return "Benchmark txn-put"; }
  void AddFlags(FlagSet& f) override {
    f.Int("key-size", &key_size_, "Key size of txn put");
    f.Int("val-size", &val_size_, "Value size of txn put");
    f.Int("txn-ops", &ops_, "Number of puts per txn");
    f.Int("rate", &rate_, "Maximum txns per second (0 is no limit)");
    f.Int("total", &total_, "Total number of txn requests");
    f.Int("key-space-size", &key_space_size_, "Maximum possible keys");
  }
  absl::Status Run(const GlobalOptions& global, const std::vector<std::string>&) override {
    if (absl::Status s = PositiveKeySpace(key_space_size_); !s.ok()) return s;
    if (ops_ <= 0) {
      return absl::InvalidArgumentError(absl::StrFormat("expected positive --txn-ops, got (%d)", ops_));
    }
    if (ops_ > key_space_size_) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "expected --txn-ops no larger than --key-space-size, got txn-ops(%d) "
          "key-space-size(%d)",
          ops_, key_space_size_));
    }
    auto conns = Connections::Dial(global);
    if (!conns.ok()) return conns.status();
    const std::string value = RandomBytes(val_size_);
    return RunAndPrint(global, total_, rate_, KvWorkload(**conns, [this, value](int64_t seq) {
      RequestOp op;
      etcdserverpb::TxnRequest* txn = op.mutable_request_txn();
      for (int64_t j = 0; j < ops_; ++j) {
        *txn->add_success() = PutOp(VarintKey((seq * ops_ + j) % key_space_size_, key_size_), value);
      }
      return op;
    }));
  }

 private:
  int64_t key_size_ = 8, val_size_ = 8, ops_ = 1, rate_ = 0, total_ = 10000, key_space_size_ = 1;
};

class TxnMixedCommand : public Command {
 public:
  std::string name() const override { return "txn-mixed"; }
  std::string usage() const override { return "txn-mixed"; }
  std::string description() const override {
    return "Benchmark a mixed load of txn-put & txn-range.";
  }
  void AddFlags(FlagSet& f) override {
    f.Int("key-size", &key_size_, "Key size of mixed txn");
    f.Int("val-size", &val_size_, "Value size of mixed txn");
    f.Int("rate", &rate_, "Maximum txns per second (0 is no limit)");
    f.Int("total", &total_, "Total number of txn requests");
    f.String("end-key", &end_key_,
             "Read operation range end key. By default, we do full range query with the "
             "default limit of 1000.");
    f.Int("limit", &limit_, "Read operation range result limit");
    f.Int("key-space-size", &key_space_size_, "Maximum possible keys");
    f.String("consistency", &consistency_, "Linearizable(l) or Serializable(s)");
    f.Double("rw-ratio", &rw_ratio_, "Read/write ops ratio");
  }
  absl::Status Run(const GlobalOptions& global, const std::vector<std::string>&) override {
    if (absl::Status s = PositiveKeySpace(key_space_size_); !s.ok()) return s;
    if (absl::Status s = ParseConsistency(consistency_); !s.ok()) return s;
    auto conns = Connections::Dial(global);
    if (!conns.ok()) return conns.status();
    const std::string value = RandomBytes(val_size_);
    // Which requests read is decided up front, as etcd draws it (probability rw/(1+rw)).
    std::vector<bool> is_read(total_);
    std::bernoulli_distribution read(rw_ratio_ / (1 + rw_ratio_));
    for (int64_t i = 0; i < total_; ++i) is_read[i] = read(Generator());
    auto make = [&](int64_t seq) {
      RequestOp op;
      etcdserverpb::TxnRequest* txn = op.mutable_request_txn();
      if (is_read[seq]) {
        // etcd: OpGet("", WithRange(end-key), WithPrefix(), WithLimit(limit)); the prefix of
        // "" is every key.
        *txn->add_success()->mutable_request_range() = client::MakeRangeRequest(
            "", {.prefix = true, .limit = limit_, .serializable = consistency_ == "s"});
      } else {
        *txn->add_success() = PutOp(VarintKey(seq % key_space_size_, key_size_), value);
      }
      return op;
    };
    Report reads(global.precise, global.sample), writes(global.precise, global.sample);
    Workload w = KvWorkload(**conns, make);
    // One run; each result also goes to the report of its kind, which is what is printed.
    Report all(global.precise, global.sample);
    Workload routed;
    routed.blocking = [&](int64_t c, int64_t seq) {
      const Clock::time_point start = Clock::now();
      absl::Status s = w.blocking(c, seq);
      (is_read[seq] ? reads : writes).RecordOutcome(start, s);
      return s;
    };
    routed.async = [&](int64_t c, int64_t seq, std::function<void(absl::Status)> done) {
      const Clock::time_point start = Clock::now();
      w.async(c, seq, [&, seq, start, done = std::move(done)](absl::Status s) {
        (is_read[seq] ? reads : writes).RecordOutcome(start, s);
        done(s);
      });
    };
    reads.Start();
    writes.Start();
    benchmark::Run({.clients = global.clients, .total = total_, .rate = rate_, .engine = global.engine},
                   routed, all);
    reads.Finish();
    writes.Finish();
    const int64_t read_total = std::count(is_read.begin(), is_read.end(), true);
    std::cout << "Total Read Ops: " << read_total << "\nDetails:";
    PrintReport(reads);
    std::cout << "Total Write Ops: " << total_ - read_total << "\nDetails:";
    PrintReport(writes);
    return absl::OkStatus();
  }

 private:
  int64_t key_size_ = 8, val_size_ = 8, rate_ = 0, total_ = 10000, limit_ = 1000,
          key_space_size_ = 1;
  std::string end_key_, consistency_ = "l";
  double rw_ratio_ = 1;
};

// etcd's STM benchmark with its default isolation (repeatable reads): each transaction reads
// --keys-per-txn random keys of --keys, then commits puts to --txn-wr-percent of them in a Txn
// guarded by the mod revisions it read, and starts over when another transaction got there
// first. "c" (read committed) commits without the guard.
class StmCommand : public Command {
 public:
  std::string name() const override { return "stm"; }
  std::string description() const override { return "Benchmark STM"; }
  void AddFlags(FlagSet& f) override {
    f.String("isolation", &isolation_, "Read Committed (c) or Repeatable Reads (r)");
    f.Int("keys", &keys_, "Total unique keys accessible by the benchmark");
    f.Int("total", &total_, "Total number of completed STM transactions");
    f.Int("keys-per-txn", &keys_per_txn_, "Number of keys to access per transaction");
    f.Int("txn-wr-percent", &write_percent_, "Percentage of keys to overwrite per transaction");
    f.String("stm-locker", &locker_, "Wrap STM transaction with a custom locking mechanism (stm only)");
    f.Int("val-size", &val_size_, "Value size of each STM put request");
    f.Int("rate", &rate_, "Maximum STM transactions per second (0 is no limit)");
  }
  absl::Status Run(const GlobalOptions& global, const std::vector<std::string>&) override {
    if (keys_ <= 0) {
      return absl::InvalidArgumentError(absl::StrFormat("expected positive --keys, got (%d)", keys_));
    }
    if (write_percent_ < 0 || write_percent_ > 100) {
      return absl::InvalidArgumentError(
          absl::StrFormat("expected [0, 100] --txn-wr-percent, got (%d)", write_percent_));
    }
    if (keys_per_txn_ < 0 || keys_per_txn_ > keys_) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "expected --keys-per-txn between 0 and %d, got (%d)", keys_, keys_per_txn_));
    }
    if (isolation_ != "r" && isolation_ != "c") {
      return absl::InvalidArgumentError("--isolation: only r and c are implemented");
    }
    if (locker_ != "stm") {
      return absl::InvalidArgumentError("--stm-locker: only stm is implemented");
    }
    auto conns = Connections::Dial(global);
    if (!conns.ok()) return conns.status();
    Workload w;
    w.blocking = [&](int64_t c, int64_t) { return Transaction((*conns)->conn((*conns)->of_client(c))); };
    return RunAndPrint(global, total_, rate_, w);
  }

 private:
  absl::Status Transaction(client::Client& c) {
    std::set<std::string> keys;
    while (static_cast<int64_t>(keys.size()) < keys_per_txn_) {
      keys.insert(VarintKey(RandomBelow(keys_), 16));
    }
    for (;;) {
      std::vector<client::Compare> guards;
      std::vector<client::Op> puts;
      int64_t writes = static_cast<int64_t>(keys.size()) * write_percent_ / 100;
      for (const std::string& key : keys) {
        auto got = c.Get(key, {.serializable = false});
        if (!got.ok()) return got.status();
        const int64_t mod = got->kvs_size() > 0 ? got->kvs(0).mod_revision() : 0;
        if (isolation_ == "r") {
          guards.push_back(client::Compare::ModRevision(key, client::Compare::kEqual, mod));
        }
        if (writes-- > 0) puts.push_back(client::Op::Put(key, RandomBytes(val_size_)));
      }
      auto committed = c.Txn().If(guards).Then(puts).Commit();
      if (!committed.ok()) return committed.status();
      if (committed->succeeded()) return absl::OkStatus();
    }
  }

  std::string isolation_ = "r", locker_ = "stm";
  int64_t keys_ = 1, total_ = 10000, keys_per_txn_ = 1, write_percent_ = 50, val_size_ = 8,
          rate_ = 0;
};

class LeaseKeepaliveCommand : public Command {
 public:
  std::string name() const override { return "lease-keepalive"; }
  std::string description() const override { return "Benchmark lease keepalive"; }
  void AddFlags(FlagSet& f) override {
    f.Int("total", &total_, "Total number of lease keepalive requests");
  }
  absl::Status Run(const GlobalOptions& global, const std::vector<std::string>&) override {
    auto conns = Connections::Dial(global);
    if (!conns.ok()) return conns.status();
    // Each client keeps a lease of its own alive (granted before the clock starts).
    std::vector<int64_t> leases;
    for (int64_t c = 0; c < global.clients; ++c) {
      auto granted = (*conns)->conn((*conns)->of_client(c)).Grant(100);
      if (!granted.ok()) return granted.status();
      leases.push_back(granted->id());
    }
    Workload w;
    w.blocking = [&](int64_t c, int64_t) {
      return (*conns)->conn((*conns)->of_client(c)).KeepAliveOnce(leases[c]).status();
    };
    return RunAndPrint(global, total_, 0, w);
  }

 private:
  int64_t total_ = 10000;
};

}  // namespace

std::unique_ptr<Command> NewPutCommand() { return std::make_unique<PutCommand>(); }
std::unique_ptr<Command> NewRangeCommand() { return std::make_unique<RangeCommand>(); }
std::unique_ptr<Command> NewTxnPutCommand() { return std::make_unique<TxnPutCommand>(); }
std::unique_ptr<Command> NewTxnMixedCommand() { return std::make_unique<TxnMixedCommand>(); }
std::unique_ptr<Command> NewStmCommand() { return std::make_unique<StmCommand>(); }
std::unique_ptr<Command> NewLeaseKeepaliveCommand() {
  return std::make_unique<LeaseKeepaliveCommand>();
}

}  // namespace etcd::benchmark
