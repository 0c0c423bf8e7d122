#include "server/http/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace etcd::metrics {
namespace {

// Prometheus' float formatting: integers without a fraction, +Inf, else the shortest form.
std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  // The shortest text that reads back as `v`, as Go's strconv.FormatFloat(v, 'g', -1).
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + EscapeLabel(values[i]) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

void RenderHistogram(std::ostringstream& out, const std::string& name, const std::string& labels_head,
                     const Histogram::Snapshot& s) {
  // labels_head: "a=\"b\"" pairs without braces, possibly empty.
  auto with = [&](const std::string& extra) {
    std::string l = labels_head;
    if (!extra.empty()) l += (l.empty() ? "" : ",") + extra;
    return l.empty() ? std::string() : "{" + l + "}";
  };
  for (size_t i = 0; i < s.cumulative.size(); ++i) {
    const std::string le = i < s.upper_bounds.size() ? FormatValue(s.upper_bounds[i]) : "+Inf";
    out << name << "_bucket" << with("le=\"" + le + "\"") << " " << s.cumulative[i] << "\n";
  }
  out << name << "_sum" << with("") << " " << FormatValue(s.sum) << "\n";
  out << name << "_count" << with("") << " " << s.count << "\n";
}

}  // namespace

void Counter::Inc(double delta) {
  double cur = value_.load();
  while (!value_.compare_exchange_weak(cur, cur + delta)) {
  }
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  std::lock_guard lock(mu_);
  ++counts_[i];
  sum_ += v;
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (uint64_t c : counts_) {
    total += c;
    s.cumulative.push_back(total);
  }
  s.sum = sum_;
  s.count = total;
  return s;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(start * std::pow(factor, i));
  return out;
}

struct Registry::Entry {
  std::string help;
  std::string type;  // counter, gauge, histogram
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::function<double()> gauge_fn;
  std::unique_ptr<Histogram> histogram;
  std::unique_ptr<CounterFamily> counter_family;
  std::unique_ptr<HistogramFamily> histogram_family;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Counter* Registry::AddCounter(const std::string& name, const std::string& help) {
  auto e = std::make_unique<Entry>();
  e->help = help;
  e->type = "counter";
  e->counter = std::make_unique<Counter>();
  Counter* c = e->counter.get();
  std::lock_guard lock(mu_);
  entries_[name] = std::move(e);
  return c;
}

Gauge* Registry::AddGauge(const std::string& name, const std::string& help) {
  auto e = std::make_unique<Entry>();
  e->help = help;
  e->type = "gauge";
  e->gauge = std::make_unique<Gauge>();
  Gauge* g = e->gauge.get();
  std::lock_guard lock(mu_);
  entries_[name] = std::move(e);
  return g;
}

void Registry::AddGaugeFunc(const std::string& name, const std::string& help,
                            std::function<double()> fn) {
  auto e = std::make_unique<Entry>();
  e->help = help;
  e->type = "gauge";
  e->gauge_fn = std::move(fn);
  std::lock_guard lock(mu_);
  entries_[name] = std::move(e);
}

Histogram* Registry::AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<double> upper_bounds) {
  auto e = std::make_unique<Entry>();
  e->help = help;
  e->type = "histogram";
  e->histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  Histogram* h = e->histogram.get();
  std::lock_guard lock(mu_);
  entries_[name] = std::move(e);
  return h;
}

Counter* Registry::CounterFamily::Get(const std::vector<std::string>& values) {
  std::lock_guard lock(mu_);
  auto& c = series_[values];
  if (c == nullptr) c = std::make_unique<Counter>();
  return c.get();
}

Registry::CounterFamily* Registry::AddCounterFamily(const std::string& name,
                                                    const std::string& help,
                                                    std::vector<std::string> label_names) {
  auto e = std::make_unique<Entry>();
  e->help = help;
  e->type = "counter";
  e->counter_family = std::make_unique<CounterFamily>();
  e->counter_family->label_names_ = std::move(label_names);
  CounterFamily* f = e->counter_family.get();
  std::lock_guard lock(mu_);
  entries_[name] = std::move(e);
  return f;
}

Histogram* Registry::HistogramFamily::Get(const std::vector<std::string>& values) {
  std::lock_guard lock(mu_);
  auto& h = series_[values];
  if (h == nullptr) h = std::make_unique<Histogram>(bounds_);
  return h.get();
}

Registry::HistogramFamily* Registry::AddHistogramFamily(const std::string& name,
                                                        const std::string& help,
                                                        std::vector<std::string> label_names,
                                                        std::vector<double> upper_bounds) {
  auto e = std::make_unique<Entry>();
  e->help = help;
  e->type = "histogram";
  e->histogram_family = std::make_unique<HistogramFamily>();
  e->histogram_family->label_names_ = std::move(label_names);
  e->histogram_family->bounds_ = std::move(upper_bounds);
  HistogramFamily* f = e->histogram_family.get();
  std::lock_guard lock(mu_);
  entries_[name] = std::move(e);
  return f;
}

std::string Registry::Render() const {
  std::ostringstream out;
  std::lock_guard lock(mu_);
  for (const auto& [name, e] : entries_) {
    out << "# HELP " << name << " " << e->help << "\n";
    out << "# TYPE " << name << " " << e->type << "\n";
    if (e->counter) out << name << " " << FormatValue(e->counter->value()) << "\n";
    if (e->gauge) out << name << " " << FormatValue(e->gauge->value()) << "\n";
    if (e->gauge_fn) out << name << " " << FormatValue(e->gauge_fn()) << "\n";
    if (e->histogram) RenderHistogram(out, name, "", e->histogram->Read());
    if (e->counter_family) {
      std::lock_guard family_lock(e->counter_family->mu_);
      for (const auto& [values, c] : e->counter_family->series_) {
        out << name << Labels(e->counter_family->label_names_, values) << " "
            << FormatValue(c->value()) << "\n";
      }
    }
    if (e->histogram_family) {
      std::lock_guard family_lock(e->histogram_family->mu_);
      for (const auto& [values, h] : e->histogram_family->series_) {
        std::string head = Labels(e->histogram_family->label_names_, values);
        if (!head.empty()) head = head.substr(1, head.size() - 2);  // without braces
        RenderHistogram(out, name, head, h->Read());
      }
    }
  }
  return out.str();
}

}  // namespace etcd::metrics
