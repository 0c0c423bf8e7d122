#include "cmd/benchmark/report.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace etcd::benchmark {

std::vector<double> Percentiles(const std::vector<double>& sorted) {
  constexpr size_t kCount = std::size(kPercentiles);
  std::vector<double> values(kCount, 0.0);
  const size_t n = sorted.size();
  size_t j = 0;
  for (size_t i = 0; i < n && j < kCount; ++i) {
    if (static_cast<double>(i) * 100.0 / static_cast<double>(n) >= kPercentiles[j]) {
      values[j++] = sorted[i];
    }
  }
  return values;
}

std::string GoShortestFloat(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  // The shortest round-trip digits, as d.ddddde[+-]x.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  const std::string sci(buf, end);
  const size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  const int exponent = std::atoi(sci.c_str() + e + 1);
  const bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    absl::StrAppendFormat(&out, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  } else if (exponent < 0) {
    out += "0." + std::string(-exponent - 1, '0') + digits;
  } else {
    const size_t int_digits = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= int_digits) {
      out += digits + std::string(int_digits - digits.size(), '0');
    } else {
      out += digits.substr(0, int_digits) + "." + digits.substr(int_digits);
    }
  }
  return out;
}

std::string GoDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? -static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  // An integer part and up to `digits` fractional digits, trailing zeros dropped.
  auto fixed = [](uint64_t v, int digits) {
    uint64_t scale = 1;
    for (int i = 0; i < digits; ++i) scale *= 10;
    std::string out = std::to_string(v / scale);
    std::string frac = std::to_string(v % scale);
    frac = std::string(digits - frac.size(), '0') + frac;
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    if (!frac.empty()) out += "." + frac;
    return out;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + fixed(u, 3) + "\u00b5s";
  if (u < 1000000000) return sign + fixed(u, 6) + "ms";
  std::string out = sign;
  const uint64_t hours = u / 3600000000000ULL;
  u %= 3600000000000ULL;
  const uint64_t minutes = u / 60000000000ULL;
  u %= 60000000000ULL;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  return out + fixed(u, 9) + "s";
}

void Report::Record(Clock::duration latency) {
  const double seconds = std::chrono::duration<double>(latency).count();
  std::lock_guard lock(mu_);
  latencies_.push_back(seconds);
}

void Report::Record(Clock::time_point start, Clock::time_point end) {
  if (!sample_) return Record(end - start);
  const Clock::duration latency = end - start;
  const int64_t unix_second = std::chrono::duration_cast<std::chrono::seconds>(
                                  start.time_since_epoch() + wall_offset_)
                                  .count();
  std::lock_guard lock(mu_);
  latencies_.push_back(std::chrono::duration<double>(latency).count());
  auto [it, inserted] = seconds_.try_emplace(unix_second);
  Second& s = it->second;
  // As pkg/report: the first request sets the fastest; later zero latencies do not count.
  if (inserted) {
    s.fastest = latency;
  } else if (latency != Clock::duration::zero()) {
    s.fastest = std::min(s.fastest, latency);
  }
  s.slowest = std::max(s.slowest, latency);
  s.total += latency;
  ++s.count;
}

std::string Report::Samples() const {
  std::string out =
      "\nSample in one second (unix latency throughput):\n"
      "UNIX-SECOND,MIN-LATENCY-MS,AVG-LATENCY-MS,MAX-LATENCY-MS,AVG-THROUGHPUT\n";
  if (seconds_.empty()) return out;
  using std::chrono::nanoseconds;
  for (int64_t t = seconds_.begin()->first; t <= seconds_.rbegin()->first; ++t) {
    auto it = seconds_.find(t);
    const Second s = it == seconds_.end() ? Second{} : it->second;
    const Clock::duration average = s.count > 0 ? s.total / s.count : Clock::duration::zero();
    absl::StrAppendFormat(&out, "%d,%s,%s,%s,%d\n", t,
                          GoDuration(std::chrono::duration_cast<nanoseconds>(s.fastest)),
                          GoDuration(std::chrono::duration_cast<nanoseconds>(average)),
                          GoDuration(std::chrono::duration_cast<nanoseconds>(s.slowest)),
                          s.count);
  }
  return out;
}

void Report::RecordError(absl::string_view error) {
  std::lock_guard lock(mu_);
  ++errors_[std::string(error)];
}

void Report::RecordOutcome(Clock::time_point start, const absl::Status& status) {
  if (status.ok()) {
    Record(start, Clock::now());
  } else {
    RecordError(status.message());
  }
}

int64_t Report::count() const {
  std::lock_guard lock(mu_);
  int64_t n = static_cast<int64_t>(latencies_.size());
  for (const auto& [error, count] : errors_) n += count;
  return n;
}

void Report::Finish() {
  FinishWithTotal(std::chrono::duration<double>(Clock::now() - start_).count());
}

void Report::FinishWithTotal(double total_seconds) {
  std::lock_guard lock(mu_);
  Stats s;
  s.total = total_seconds;
  s.latencies = latencies_;
  s.errors = errors_;
  const double n = static_cast<double>(s.latencies.size());
  s.rps = n / s.total;
  double sum = 0;
  for (double l : s.latencies) sum += l;
  s.average = sum / n;
  double squares = 0;
  for (double l : s.latencies) squares += (l - s.average) * (l - s.average);
  s.stddev = std::sqrt(squares / n);
  std::sort(s.latencies.begin(), s.latencies.end());
  if (!s.latencies.empty()) {
    s.fastest = s.latencies.front();
    s.slowest = s.latencies.back();
  }
  stats_ = std::move(s);
}

std::string Report::Float(double v) const {
  return precise_ ? GoShortestFloat(v) : absl::StrFormat("%4.4f", v);
}

std::string Report::Seconds(double s) const { return Float(s) + " secs"; }

std::string Report::Histogram() const {
  // Ten equal buckets from the fastest up, plus one that ends at the slowest; a latency counts
  // in the first bucket whose upper bound it does not exceed.
  constexpr int kBuckets = 10;
  const std::vector<double>& lats = stats_.latencies;
  std::vector<double> bounds(kBuckets + 1);
  std::vector<int64_t> counts(kBuckets + 1, 0);
  const double width = (stats_.slowest - stats_.fastest) / kBuckets;
  for (int i = 0; i < kBuckets; ++i) bounds[i] = stats_.fastest + width * i;
  bounds[kBuckets] = stats_.slowest;
  int64_t max = 0;
  size_t b = 0;
  for (size_t i = 0; i < lats.size();) {
    if (lats[i] <= bounds[b]) {
      ++i;
      max = std::max(max, ++counts[b]);
    } else if (b < bounds.size() - 1) {
      ++b;
    } else {
      ++i;  // cannot happen (the last bound is the slowest); never loop forever
    }
  }
  std::string out = "\nResponse time histogram:\n";
  for (size_t i = 0; i < bounds.size(); ++i) {
    const int64_t bar = max > 0 ? counts[i] * 40 / max : 0;
    std::string bars;
    for (int64_t j = 0; j < bar; ++j) bars += "\u220e";  // ∎
    absl::StrAppendFormat(&out, "  %s [%d]\t|%s\n", Float(bounds[i]), counts[i], bars);
  }
  return out;
}

std::string Report::String() const {
  std::string out;
  const Stats& s = stats_;
  if (!s.latencies.empty()) {
    out += "\nSummary:\n";
    absl::StrAppendFormat(&out, "  Total:\t%s.\n", Seconds(s.total));
    absl::StrAppendFormat(&out, "  Slowest:\t%s.\n", Seconds(s.slowest));
    absl::StrAppendFormat(&out, "  Fastest:\t%s.\n", Seconds(s.fastest));
    absl::StrAppendFormat(&out, "  Average:\t%s.\n", Seconds(s.average));
    absl::StrAppendFormat(&out, "  Stddev:\t%s.\n", Seconds(s.stddev));
    absl::StrAppendFormat(&out, "  Requests/sec:\t%s\n", Float(s.rps));
    out += Histogram();
    out += "\nLatency distribution:\n";
    const std::vector<double> values = Percentiles(s.latencies);
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i] > 0) {
        absl::StrAppendFormat(&out, "  %s%% in %s.\n", GoShortestFloat(kPercentiles[i]),
                              Seconds(values[i]));
      }
    }
    if (sample_) {
      std::lock_guard lock(mu_);
      out += Samples() + "\n";
    }
  }
  if (!s.errors.empty()) {
    out += "\nError distribution:\n";
    for (const auto& [error, count] : s.errors) {
      absl::StrAppendFormat(&out, "  [%d]\t%s\n", count, error);
    }
  }
  return out;
}

}  // namespace etcd::benchmark
