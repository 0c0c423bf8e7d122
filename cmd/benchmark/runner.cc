#include "cmd/benchmark/runner.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"

namespace etcd::benchmark {

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

absl::StatusOr<std::string> FindLeader(const std::vector<std::string>& endpoints,
                                       std::chrono::nanoseconds dial_timeout) {
  auto client = client::Client::New(
      {.endpoints = endpoints,
       .dial_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(dial_timeout)});
  if (!client.ok()) return client.status();
  for (const std::string& endpoint : (*client)->endpoints()) {
    auto status = (*client)->Status(endpoint);
    if (status.ok() && status->leader() != 0 && status->leader() == status->header().member_id()) {
      return endpoint;
    }
  }
  return absl::NotFoundError("no leader among the endpoints");
}

absl::StatusOr<std::unique_ptr<Connections>> Connections::Dial(const GlobalOptions& options) {
  if (options.conns < 1 || options.clients < 1) {
    return absl::InvalidArgumentError("--conns and --clients must be at least 1");
  }
  std::vector<std::string> endpoints = options.endpoints;
  if (options.target_leader) {
    auto leader = FindLeader(options.endpoints, options.dial_timeout);
    if (!leader.ok()) return leader.status();
    endpoints = {*leader};
  }
  auto connections = std::make_unique<Connections>();
  for (int64_t i = 0; i < options.conns; ++i) {
    auto client = client::Client::New(
        {.endpoints = {endpoints[i % endpoints.size()]},
         .dial_timeout =
             std::chrono::duration_cast<std::chrono::milliseconds>(options.dial_timeout)});
    if (!client.ok()) return client.status();
    auto kv = etcdserverpb::KV::NewStub((*client)->channel(0));
    connections->conns_.push_back({*std::move(client), std::move(kv)});
  }
  return connections;
}

Progress::Progress(int64_t total) : total_(total) {
  if (!isatty(STDERR_FILENO)) return;
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      Draw();
      for (int i = 0; i < 20 && !stop_.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  });
}

Progress::~Progress() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  thread_.join();
  Draw();
  std::fputc('\n', stderr);
}

void Progress::Draw() const {
  constexpr int kWidth = 50;
  const int64_t done = std::min(done_.load(), total_);
  const double fraction = total_ > 0 ? static_cast<double>(done) / total_ : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(filled, '=');
  if (filled < kWidth) bar += '>' + std::string(kWidth - filled - 1, ' ');
  std::fprintf(stderr, "\r %lld / %lld [%s] %.2f%%", static_cast<long long>(done),
               static_cast<long long>(total_), bar.c_str(), fraction * 100);
  std::fflush(stderr);
}

RateLimiter::RateLimiter(int64_t per_second)
    : interval_(per_second > 0 ? std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(1.0 / per_second))
                               : Clock::duration::zero()),
      next_(Clock::now()) {}

void RateLimiter::Wait() {
  if (interval_ == Clock::duration::zero()) return;
  Clock::time_point turn;
  {
    std::lock_guard lock(mu_);
    turn = std::max(next_, Clock::now());
    next_ = turn + interval_;
  }
  std::this_thread::sleep_until(turn);
}

namespace {

void RunThreads(const RunOptions& options, const Workload& workload, Report& report,
                Progress& progress) {
  RateLimiter limiter(options.rate);
  std::atomic<int64_t> next{0};
  std::vector<std::thread> threads;
  threads.reserve(options.clients);
  for (int64_t c = 0; c < options.clients; ++c) {
    threads.emplace_back([&, c] {
      for (int64_t seq; (seq = next.fetch_add(1)) < options.total;) {
        limiter.Wait();
        const Clock::time_point start = Clock::now();
        const absl::Status status = workload.blocking(c, seq);
        report.RecordOutcome(start, status);
        progress.Add();
      }
    });
  }
  for (std::thread& t : threads) t.join();
}

// Each client is a chain of calls: a completion records its request and starts the client's
// next one, on the gRPC thread that ran the completion.
void RunCallbacks(const RunOptions& options, const Workload& workload, Report& report,
                  Progress& progress) {
  struct State {
    std::atomic<int64_t> next{0};
    std::mutex mu;
    std::condition_variable cv;
    int64_t idle = 0;  // clients with nothing left to do; guarded by mu
  } state;
  std::function<void(int64_t)> start_next = [&](int64_t c) {
    const int64_t seq = state.next.fetch_add(1);
    if (seq >= options.total) {
      std::lock_guard lock(state.mu);
      if (++state.idle == options.clients) state.cv.notify_all();
      return;
    }
    const Clock::time_point start = Clock::now();
    workload.async(c, seq, [&, c, start](absl::Status status) {
      report.RecordOutcome(start, status);
      progress.Add();
      start_next(c);
    });
  };
  for (int64_t c = 0; c < options.clients; ++c) start_next(c);
  std::unique_lock lock(state.mu);
  state.cv.wait(lock, [&] { return state.idle == options.clients; });
}

}  // namespace

void Run(const RunOptions& options, const Workload& workload, Report& report) {
  Progress progress(options.total);
  const bool threads = options.engine == "threads" || options.rate > 0 || !workload.async ||
                       (options.engine == "auto" && options.clients <= kThreadsUpTo);
  report.Start();
  if (threads) {
    RunThreads(options, workload, report, progress);
  } else {
    RunCallbacks(options, workload, report, progress);
  }
  report.Finish();
}

void PrintReport(const Report& report) { std::cout << report.String() << std::endl; }

}  // namespace etcd::benchmark
