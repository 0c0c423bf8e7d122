// Prometheus metrics, rendered in the text exposition format (version 0.0.4) for /metrics.
// There is no Prometheus client library for C++ in Debian, so this is the small part of one
// the server needs: counters, gauges and histograms, with or without labels.
//
// Names, help texts, label names and histogram buckets follow etcd 3.4's metrics, because
// operators alert on them (e.g. etcd_server_has_leader, etcd_disk_wal_fsync_duration_seconds).
//
// Thread-safety: every method is thread-safe; updates are lock-free for unlabelled metrics.
#ifndef ETCD_SERVER_HTTP_METRICS_H_
#define ETCD_SERVER_HTTP_METRICS_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace etcd::metrics {

class Counter {
 public:
  void Inc(double delta = 1);
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v); }
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted in buckets of upper bounds (seconds, bytes, ...), plus their sum.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  // Cumulative counts per bucket (the last is +Inf), the sum and the count.
  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative;
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // guarded by mu_; one per bound, plus +Inf
  double sum_ = 0;                // guarded by mu_
};

// start * factor^i for i in [0, count): Prometheus' ExponentialBuckets.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// A set of metrics rendered together. Metrics live as long as the registry.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter* AddCounter(const std::string& name, const std::string& help);
  Gauge* AddGauge(const std::string& name, const std::string& help);
  // A gauge whose value is read when rendered.
  void AddGaugeFunc(const std::string& name, const std::string& help, std::function<double()> fn);
  Histogram* AddHistogram(const std::string& name, const std::string& help,
                          std::vector<double> upper_bounds);
  // A counter with labels; Get(values) creates the series on first use. `values` must have
  // as many elements as `label_names`.
  class CounterFamily {
   public:
    Counter* Get(const std::vector<std::string>& values);

   private:
    friend class Registry;
    std::vector<std::string> label_names_;
    std::mutex mu_;
    std::map<std::vector<std::string>, std::unique_ptr<Counter>> series_;  // guarded by mu_
  };
  CounterFamily* AddCounterFamily(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names);
  // The same with histograms (e.g. per peer round-trip times).
  class HistogramFamily {
   public:
    Histogram* Get(const std::vector<std::string>& values);

   private:
    friend class Registry;
    std::vector<std::string> label_names_;
    std::vector<double> bounds_;
    std::mutex mu_;
    std::map<std::vector<std::string>, std::unique_ptr<Histogram>> series_;  // guarded by mu_
  };
  HistogramFamily* AddHistogramFamily(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> upper_bounds);

  // Every metric, sorted by name, in the Prometheus text format.
  std::string Render() const;

 private:
  struct Entry;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;  // guarded by mu_
};

}  // namespace etcd::metrics

#endif  // ETCD_SERVER_HTTP_METRICS_H_
