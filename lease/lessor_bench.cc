// Keep-alive handling (Renew) and expiry scanning (ExpiredLeases) with many leases.
// bazel run -c opt //lease:lessor_bench -- --benchmark_min_time=1
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>

#include "benchmark/benchmark.h"
#include "lease/lessor.h"

namespace etcd::lease {
namespace {

const TimePoint kT0 = TimePoint{} + std::chrono::hours(1000);

std::unique_ptr<Lessor> Primary(int64_t leases, int64_t ttl_seconds) {
  auto lessor = std::move(*Lessor::Open(nullptr, {.min_ttl_seconds = 1}));
  lessor->Promote(kT0, std::chrono::seconds(0));
  for (int64_t id = 1; id <= leases; ++id) (void)lessor->Grant(id, ttl_seconds, kT0);
  return lessor;
}

// One keep-alive request: a renewal of a random lease among n, time moving forward.
void BM_Renew(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto lessor = Primary(n, 60);
  std::mt19937_64 rng(1);
  TimePoint now = kT0;
  for (auto _ : state) {
    now += std::chrono::microseconds(1);
    auto ttl = lessor->Renew(static_cast<int64_t>(rng() % n) + 1, now);
    benchmark::DoNotOptimize(ttl);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Renew)->Arg(10000)->Arg(100000);

// The lease timer's check when nothing has expired (the common case): O(1).
void BM_ExpiredLeasesNoneDue(benchmark::State& state) {
  auto lessor = Primary(state.range(0), 60);
  for (auto _ : state) {
    auto ids = lessor->ExpiredLeases(kT0 + std::chrono::seconds(1), 500);
    benchmark::DoNotOptimize(ids);
  }
}
BENCHMARK(BM_ExpiredLeasesNoneDue)->Arg(10000);

// Finding 500 expired leases (etcd's per-500-ms revoke budget) among n, all expired; the
// reported ones are revoked as their proposals would be applied. Items = leases reported.
void BM_ExpiredLeasesAndRevoke(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto lessor = Primary(n, 10);
  const TimePoint late = kT0 + std::chrono::seconds(20);
  int64_t next_id = n + 1;
  int64_t reported = 0;
  for (auto _ : state) {
    auto ids = lessor->ExpiredLeases(late, 500);
    reported += static_cast<int64_t>(ids.size());
    state.PauseTiming();
    for (int64_t id : ids) {
      (void)lessor->Revoke(id);
      (void)lessor->Grant(next_id++, 10, kT0);  // keep n leases, all expired at `late`
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(reported);
}
BENCHMARK(BM_ExpiredLeasesAndRevoke)->Arg(10000)->Arg(100000);

}  // namespace
}  // namespace etcd::lease
