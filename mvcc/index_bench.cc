// The in-memory key index (mvcc/internal/key_index.h) on the hot path of every write and read:
// a put looks the key up (its previous version) and records the new revision; a read of one key
// looks it up. Sizes as in bench/compare: up to 1,000,000 keys of 8 bytes, sequential.
//
//   bazel run -c opt //mvcc:index_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "mvcc/internal/key_index.h"

namespace etcd::mvcc::internal {
namespace {

std::string Key(int64_t i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08lld", static_cast<long long>(i));
  return buf;
}

// Puts to keys that exist already, as a steady write load over a key space does.
void BM_PutExisting(benchmark::State& state) {
  const int64_t keys = state.range(0);
  TreeIndex index;
  int64_t rev = 1;
  for (int64_t i = 0; i < keys; ++i) index.Put(Key(i), Revision{++rev, 0});
  int64_t i = 0;
  for (auto _ : state) {
    const std::string key = Key((i++ * 7919) % keys);
    benchmark::DoNotOptimize(index.Get(key, rev));
    index.Put(key, Revision{++rev, 0});
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PutExisting)->Arg(10'000)->Arg(1'000'000);

void BM_Get(benchmark::State& state) {
  const int64_t keys = state.range(0);
  TreeIndex index;
  for (int64_t i = 0; i < keys; ++i) index.Put(Key(i), Revision{i + 2, 0});
  int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(index.Get(Key((i++ * 7919) % keys), keys + 2));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Get)->Arg(10'000)->Arg(1'000'000);

}  // namespace
}  // namespace etcd::mvcc::internal

BENCHMARK_MAIN();
