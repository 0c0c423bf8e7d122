// Google Benchmarks of //raft (tags manual: `bazel run -c opt //raft:raft_bench`).
//
//  - BM_OneNode mirrors etcd's Go BenchmarkOneNode (raft/node_bench_test.go, v3.4) exactly:
//    one voter campaigns; another thread proposes "foo" b.N times (each Propose waits until
//    the node took it, as Go's node.Propose waits on its channel); the Ready loop appends
//    rd.entries to a MemoryStorage, sleeps 1 ms ("a reasonable disk sync latency"), calls
//    Advance, and stops when rd.hard_state.commit reaches the last proposal. The HardState is
//    not saved and nothing is applied, as in Go. Proposals that arrive during the sleep are
//    batched into the next Ready, so ns/op is 1 ms divided by the batch size.
//  - BM_OneNodeNoSync: the same path on one thread without the sleep, one Ready per proposal:
//    the CPU cost of propose -> Ready -> append -> commit -> Advance.
//  - BM_ThreeNodes/<payload bytes>: committed proposals per second of a 3-voter in-memory
//    cluster on one thread (proposals in batches of 64 at the leader, every Ready persisted to
//    MemoryStorage, every message delivered, every committed entry handed out).
//  - BM_StepHeartbeat / BM_StepAppend: a follower's Step for one MsgHeartbeat, and for one
//    MsgApp carrying one 128-byte entry; the follower's Ready is handled every 256 steps
//    (inside the timing, amortized).
#include <atomic>
#include <cstdlib>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "raft/raw_node.h"

namespace etcd::raft {
namespace {

StderrLogger quiet_logger(LogLevel::kError);

Config MakeConfig(uint64_t id, Storage* storage) {
  Config c;
  c.id = id;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.storage = storage;
  c.max_size_per_msg = 1 << 20;
  c.max_inflight_msgs = 256;
  c.logger = &quiet_logger;
  return c;
}

// Handles every pending Ready of a single node (persist, apply conf changes, Advance).
void Drain(RawNode& node, MemoryStorage& storage) {
  while (node.HasReady()) {
    Ready rd = node.GetReady();
    (void)storage.Append(rd.entries);
    if (!IsEmptyHardState(rd.hard_state)) (void)storage.SetHardState(rd.hard_state);
    for (const raftpb::Entry& e : rd.committed_entries) {
      if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
        raftpb::ConfChange cc;
        cc.ParseFromString(e.data());
        (void)node.ApplyConfChange(cc);
      }
    }
    node.Advance();
  }
}

// Bootstraps a single voter and makes it leader; the Readies up to then are handled.
std::unique_ptr<RawNode> SingleLeader(MemoryStorage& storage) {
  std::unique_ptr<RawNode> node = *RawNode::Create(MakeConfig(1, &storage));
  (void)node->Bootstrap({{1, ""}});
  Drain(*node, storage);  // the conf change must be applied before the node may campaign
  (void)node->Campaign();
  Drain(*node, storage);
  if (node->Role() != StateType::kLeader) std::abort();
  return node;
}

void BM_OneNode(benchmark::State& state) {
  const int64_t n = state.max_iterations;
  while (state.KeepRunningBatch(n)) {
    MemoryStorage storage(&quiet_logger);
    std::unique_ptr<RawNode> node = SingleLeader(storage);
    const uint64_t last = *storage.LastIndex() + n;  // index of the last proposal
    absl::Mutex mu;  // Go's node goroutine: one owner of the RawNode at a time
    std::thread proposer([&] {
      for (int64_t i = 0; i < n; ++i) {
        absl::MutexLock lock(&mu);
        (void)node->Propose("foo");
      }
    });
    RawNode* raw = node.get();
    for (;;) {
      mu.LockWhen(absl::Condition(
          +[](RawNode* r) { return r->HasReady(); }, raw));
      Ready rd = node->GetReady();
      mu.Unlock();
      (void)storage.Append(rd.entries);
      absl::SleepFor(absl::Milliseconds(1));  // a reasonable disk sync latency
      mu.Lock();
      node->Advance();
      mu.Unlock();
      if (rd.hard_state.commit() == last) break;
    }
    proposer.join();
  }
}
BENCHMARK(BM_OneNode)->UseRealTime()->Unit(benchmark::kNanosecond);

void BM_OneNodeNoSync(benchmark::State& state) {
  MemoryStorage storage(&quiet_logger);
  std::unique_ptr<RawNode> node = SingleLeader(storage);
  uint64_t since_compact = 0;
  for (auto _ : state) {
    (void)node->Propose("foo");
    Ready rd = node->GetReady();
    (void)storage.Append(rd.entries);
    if (!IsEmptyHardState(rd.hard_state)) (void)storage.SetHardState(rd.hard_state);
    benchmark::DoNotOptimize(rd.committed_entries.data());
    node->Advance();
    if (++since_compact == 100000) {  // bound memory: the application would snapshot
      (void)storage.Compact(node->GetStatus().applied);
      since_compact = 0;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OneNodeNoSync);

// Three voters on one thread: the Ready loop of each, and a FIFO network.
class Cluster {
 public:
  Cluster() {
    for (uint64_t id = 1; id <= 3; ++id) {
      storages_.push_back(std::make_unique<MemoryStorage>(&quiet_logger));
      nodes_.push_back(*RawNode::Create(MakeConfig(id, storages_.back().get())));
      (void)nodes_.back()->Bootstrap({{1, ""}, {2, ""}, {3, ""}});
    }
    Run();  // the bootstrap Readies: conf changes applied, so node 1 may campaign
    (void)nodes_[0]->Campaign();
    Run();
    if (nodes_[0]->Role() != StateType::kLeader) std::abort();
  }
  RawNode& leader() { return *nodes_[0]; }
  uint64_t applied(int i) const { return applied_[i]; }

  // Handles every Ready and delivers every message until nothing is left.
  void Run() {
    for (bool progress = true; progress;) {
      progress = false;
      for (int i = 0; i < 3; ++i) {
        while (nodes_[i]->HasReady()) {
          progress = true;
          Ready rd = nodes_[i]->GetReady();
          MemoryStorage& s = *storages_[i];
          (void)s.Append(rd.entries);
          if (!IsEmptyHardState(rd.hard_state)) (void)s.SetHardState(rd.hard_state);
          for (raftpb::Message& m : rd.messages) queue_.push_back(std::move(m));
          for (const raftpb::Entry& e : rd.committed_entries) {
            if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
              raftpb::ConfChange cc;
              cc.ParseFromString(e.data());
              (void)nodes_[i]->ApplyConfChange(cc);
            }
            applied_[i] = e.index();
          }
          nodes_[i]->Advance();
          if (applied_[i] - compacted_[i] > 50000) {  // bound memory, as a snapshot would
            (void)s.Compact(applied_[i] - 1000);
            compacted_[i] = applied_[i];
          }
        }
      }
      while (!queue_.empty()) {
        progress = true;
        raftpb::Message m = std::move(queue_.front());
        queue_.pop_front();
        (void)nodes_[m.to() - 1]->Step(std::move(m));
      }
    }
  }

 private:
  std::vector<std::unique_ptr<MemoryStorage>> storages_;
  std::vector<std::unique_ptr<RawNode>> nodes_;
  std::deque<raftpb::Message> queue_;
  uint64_t applied_[3] = {0, 0, 0};
  uint64_t compacted_[3] = {0, 0, 0};
};

void BM_ThreeNodes(benchmark::State& state) {
  const std::string payload(state.range(0), 'x');
  constexpr int kBatch = 64;
  Cluster cluster;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) (void)cluster.leader().Propose(payload);
    cluster.Run();
  }
  if (cluster.applied(1) != cluster.applied(0)) state.SkipWithError("followers lag");
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch * payload.size());
}
BENCHMARK(BM_ThreeNodes)->Arg(0)->Arg(128)->Arg(1024);

// A follower of a 3-voter cluster whose leader (2) is established at term 2.
std::unique_ptr<RawNode> Follower(MemoryStorage& storage) {
  std::unique_ptr<RawNode> node = *RawNode::Create(MakeConfig(1, &storage));
  (void)node->Bootstrap({{1, ""}, {2, ""}, {3, ""}});
  raftpb::Message app;
  app.set_type(raftpb::MSG_APP);
  app.set_from(2);
  app.set_to(1);
  app.set_term(2);
  app.set_index(3);
  app.set_log_term(1);
  app.set_commit(3);
  (void)node->Step(app);
  return node;
}

void DrainFollower(RawNode& node, MemoryStorage& storage) {
  while (node.HasReady()) {
    Ready rd = node.GetReady();
    (void)storage.Append(rd.entries);
    if (!IsEmptyHardState(rd.hard_state)) (void)storage.SetHardState(rd.hard_state);
    benchmark::DoNotOptimize(rd.messages.data());
    node.Advance();
  }
}

void BM_StepHeartbeat(benchmark::State& state) {
  MemoryStorage storage(&quiet_logger);
  std::unique_ptr<RawNode> node = Follower(storage);
  DrainFollower(*node, storage);
  raftpb::Message hb;
  hb.set_type(raftpb::MSG_HEARTBEAT);
  hb.set_from(2);
  hb.set_to(1);
  hb.set_term(2);
  hb.set_commit(3);
  int n = 0;
  for (auto _ : state) {
    (void)node->Step(hb);
    if (++n % 256 == 0) DrainFollower(*node, storage);
  }
}
BENCHMARK(BM_StepHeartbeat);

void BM_StepAppend(benchmark::State& state) {
  MemoryStorage storage(&quiet_logger);
  std::unique_ptr<RawNode> node = Follower(storage);
  DrainFollower(*node, storage);
  raftpb::Message app;
  app.set_type(raftpb::MSG_APP);
  app.set_from(2);
  app.set_to(1);
  app.set_term(2);
  raftpb::Entry* e = app.add_entries();
  e->set_term(2);
  e->set_data(std::string(128, 'x'));
  uint64_t index = 3;
  int n = 0;
  for (auto _ : state) {
    app.set_index(index);
    app.set_log_term(index == 3 ? 1 : 2);
    app.set_commit(index);
    app.mutable_entries(0)->set_index(index + 1);
    (void)node->Step(app);
    ++index;
    if (++n % 256 == 0) DrainFollower(*node, storage);
    if (n % 100000 == 0) (void)storage.Compact(node->GetStatus().applied);
  }
}
BENCHMARK(BM_StepAppend);

}  // namespace
}  // namespace etcd::raft
