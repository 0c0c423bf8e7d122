// Save throughput with fdatasync: batches of 1, 10 and 100 entries of 256 bytes, each Save
// one write and one fdatasync (the group commit of one Raft Ready). Second argument: segment
// preallocation off (0) or on (1).
//
//   bazel run -c opt //wal:wal_bench -- --benchmark_min_time=3
//
// Files go to $WAL_BENCH_DIR, else $TEST_TMPDIR, else /tmp (use a directory on the disk you
// want to measure; tmpfs makes fdatasync free).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "wal/wal.h"

namespace etcd::wal {
namespace {

std::string BenchDir() {
  const char* d = std::getenv("WAL_BENCH_DIR");
  if (d == nullptr) d = std::getenv("TEST_TMPDIR");
  if (d == nullptr) d = "/tmp";
  return std::string(d) + "/wal_bench." + std::to_string(::getpid());
}

void BM_Save(benchmark::State& state) {
  const int batch_size = static_cast<int>(state.range(0));
  WalOptions options;
  options.preallocate = state.range(1) != 0;
  const std::string root = BenchDir();
  std::filesystem::remove_all(root);
  auto wal = Wal::Create(Env::Default(), root + "/member/wal", "bench", options);
  if (!wal.ok()) {
    state.SkipWithError(std::string(wal.status().message()).c_str());
    return;
  }
  std::mt19937_64 rng(1);
  std::string payload(256, '\0');
  for (char& c : payload) c = static_cast<char>(rng());
  std::vector<raftpb::Entry> batch(batch_size);
  raftpb::HardState hs;
  hs.set_term(1);
  hs.set_vote(1);
  uint64_t index = 0;
  for (auto _ : state) {
    for (raftpb::Entry& e : batch) {
      e.set_term(1);
      e.set_index(++index);
      e.set_data(payload);
    }
    hs.set_commit(index);
    if (absl::Status s = (*wal)->Save(hs, batch); !s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(index));
  state.SetBytesProcessed(static_cast<int64_t>(index) * 256);
  state.counters["saves/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  (void)(*wal)->Close();
  std::filesystem::remove_all(root);
}

BENCHMARK(BM_Save)
    ->ArgNames({"entries", "prealloc"})
    ->ArgsProduct({{1, 10, 100}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace etcd::wal
