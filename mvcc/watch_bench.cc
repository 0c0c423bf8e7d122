// Watch fan-out: one put delivered to K watchers of the key (each on its own stream), measured
// from the put until every watcher has its event.
//   bazel run //mvcc:watch_bench
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "mvcc/watchable_store.h"

namespace etcd::mvcc {
namespace {

void BM_WatchFanout(benchmark::State& state) {
  const int watchers = static_cast<int>(state.range(0));
  const auto dir = std::filesystem::temp_directory_path() / "etcd_watch_bench";
  std::filesystem::remove_all(dir);
  auto backend = std::move(*Backend::Open(dir.string()));
  auto kv = std::move(*KvStore::Open(backend.get()));
  WatchableStore watchable(kv.get());
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int64_t> delivered{0};
  std::vector<std::unique_ptr<WatchStream>> streams(static_cast<size_t>(watchers));
  std::vector<std::atomic<WatchStream*>> raw(static_cast<size_t>(watchers));
  for (size_t i = 0; i < streams.size(); ++i) {
    streams[i] = watchable.NewStream([&, i] {
      WatchStream* s = raw[i].load();
      if (s == nullptr) return;
      int64_t n = 0;
      while (auto r = s->Next()) n += static_cast<int64_t>(r->events.size());
      if (n > 0) {
        delivered += n;
        std::lock_guard lock(mu);
        cv.notify_all();
      }
    });
    if (!streams[i]->Watch(0, {.key = "key"}).ok()) state.SkipWithError("watch failed");
    while (streams[i]->Next()) {
    }
    raw[i] = streams[i].get();
  }
  const std::string value(256, 'v');
  int64_t target = 0;
  for (auto _ : state) {
    auto txn = kv->Write();
    txn->Put("key", value, 0);
    if (!txn->End().ok()) state.SkipWithError("put failed");
    target += watchers;
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return delivered.load() >= target; });
  }
  state.SetItemsProcessed(state.iterations() * watchers);
  for (auto& r : raw) r = nullptr;
  streams.clear();
}
BENCHMARK(BM_WatchFanout)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();

}  // namespace
}  // namespace etcd::mvcc
