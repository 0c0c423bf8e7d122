// The benchmark's report, laid out as etcd's pkg/report prints it (so that scripts written for
// etcd's tools/benchmark read ours): a summary (Total, Slowest, Fastest, Average, Stddev in
// seconds; Requests/sec), a ten-bucket response time histogram, the latency distribution at the
// 10th to 99.9th percentiles, and the error distribution when requests failed.
//
// Thread-safety: Record/RecordError may be called from any number of threads at once; Finish,
// stats and String are called once the recording is over.
#ifndef ETCD_CMD_BENCHMARK_REPORT_H_
#define ETCD_CMD_BENCHMARK_REPORT_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace etcd::benchmark {

using Clock = std::chrono::steady_clock;  // monotonic: latencies never jump with the wall clock

// What a finished report holds. Durations are in seconds.
struct Stats {
  double total = 0;  // wall time from Start to Finish
  double slowest = 0, fastest = 0, average = 0, stddev = 0;
  double rps = 0;                        // successful requests / total
  std::vector<double> latencies;         // successful requests only, ascending
  std::map<std::string, int64_t> errors;  // error text -> count
};

// The percentiles etcd prints, in order.
inline constexpr double kPercentiles[] = {10, 25, 50, 75, 90, 95, 99, 99.9};

// The value at each of kPercentiles in ascending `sorted` latencies, chosen as etcd does: the
// first sample whose rank i satisfies i*100/n >= p (0 when there are too few samples).
std::vector<double> Percentiles(const std::vector<double>& sorted);

// A float as Go's fmt prints it with %g: the shortest decimal that reads back as the same
// double, in %e form (two-digit exponent at least) when the decimal exponent is < -4 or >= 6.
// Used by --precise.
std::string GoShortestFloat(double value);

// A duration as Go's time.Duration.String() prints it: "0s", "999ns", "1.5µs", "1.234567ms",
// "2.5s", "1m2s", "1h0m0s".
std::string GoDuration(std::chrono::nanoseconds d);

class Report {
 public:
  // `precise`: full precision (etcd's --precise, Go's "%g") instead of "%4.4f". `sample`
  // (etcd's --sample): the text ends with the requests of each second (by start time): their
  // fastest, average and slowest latency and their count.
  explicit Report(bool precise = false, bool sample = false)
      : precise_(precise), sample_(sample) {}

  // Marks the start of the measured interval (the constructor does too).
  void Start() { start_ = Clock::now(); }
  // One successful request that took `latency`.
  void Record(Clock::duration latency);
  // The same, started at `start` (placed in its second with --sample).
  void Record(Clock::time_point start, Clock::time_point end);
  // One failed request; `error` is what the error distribution counts it under.
  void RecordError(absl::string_view error);
  // One request started at `start` that ended now with `status`: a latency if it succeeded,
  // else its error message.
  void RecordOutcome(Clock::time_point start, const absl::Status& status);
  // Requests recorded so far, failed ones included.
  int64_t count() const;

  // Ends the measured interval and computes the statistics.
  void Finish();
  // Finish with a given total (for tests: a report of fixed numbers).
  void FinishWithTotal(double total_seconds);
  const Stats& stats() const { return stats_; }

  // The report text, as etcd's Report.Run() yields it: empty when nothing was recorded; the
  // summary, histogram and percentiles when some requests succeeded; then the error
  // distribution if some failed.
  std::string String() const;

 private:
  std::string Seconds(double s) const;  // "%4.4f secs" or "%g secs"
  std::string Float(double v) const;    // "%4.4f" or "%g"
  std::string Histogram() const;

  // One second of --sample.
  struct Second {
    Clock::duration fastest{}, slowest{}, total{};
    int64_t count = 0;
  };
  std::string Samples() const;

  const bool precise_;
  const bool sample_;
  Clock::time_point start_ = Clock::now();
  // Wall time minus monotonic time, to place samples in Unix seconds.
  const std::chrono::system_clock::duration wall_offset_ =
      std::chrono::system_clock::now().time_since_epoch() - Clock::now().time_since_epoch();
  std::map<int64_t, Second> seconds_;     // guarded by mu_; Unix second -> requests started
  mutable std::mutex mu_;
  std::vector<double> latencies_;         // guarded by mu_
  std::map<std::string, int64_t> errors_;  // guarded by mu_
  Stats stats_;
};

}  // namespace etcd::benchmark

#endif  // ETCD_CMD_BENCHMARK_REPORT_H_
