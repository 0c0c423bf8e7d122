#include "server/compactor.h"

#include <glog/logging.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"

namespace etcd::server {
namespace {

constexpr auto kRevisionModeInterval = std::chrono::minutes(5);  // etcd's revInterval
constexpr int kSamplesPerPeriod = 10;                            // etcd's retryDivisor

}  // namespace

absl::StatusOr<std::optional<CompactorConfig>> ParseCompactorConfig(const std::string& mode,
                                                                    const std::string& retention) {
  CompactorConfig c;
  c.mode = mode == "revision" ? CompactorConfig::Mode::kRevision : CompactorConfig::Mode::kPeriodic;
  int64_t n = 0;
  if (absl::SimpleAtoi(retention.empty() ? "0" : retention, &n) && n >= 0) {
    if (n == 0) return std::optional<CompactorConfig>();
    if (c.mode == CompactorConfig::Mode::kRevision) {
      c.revisions = n;
    } else {
      c.period = std::chrono::hours(n);
    }
    return std::optional<CompactorConfig>(c);
  }
  absl::Duration d;
  if (!absl::ParseDuration(retention, &d)) {
    return absl::InvalidArgumentError("error parsing CompactionRetention: time: invalid duration \"" +
                                      retention + "\"");
  }
  if (d <= absl::ZeroDuration()) return std::optional<CompactorConfig>();
  if (c.mode == CompactorConfig::Mode::kRevision) {
    // etcd takes the duration's nanoseconds as the revision count; nobody means that.
    c.revisions = absl::ToInt64Nanoseconds(d);
  } else {
    c.period = std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
  }
  return std::optional<CompactorConfig>(c);
}

Compactor::Compactor(CompactorConfig config, std::function<int64_t()> rev,
                     std::function<void(int64_t)> compact)
    : config_(config), rev_(std::move(rev)), compact_(std::move(compact)) {}

std::chrono::milliseconds Compactor::CompactInterval() const {
  return std::min<std::chrono::milliseconds>(config_.period, std::chrono::hours(1));
}

std::chrono::milliseconds Compactor::SampleInterval() const {
  return std::max<std::chrono::milliseconds>(CompactInterval() / kSamplesPerPeriod,
                                             std::chrono::milliseconds(1));
}

void Compactor::Tick(Clock::time_point now, bool leader) {
  if (!leader) {
    running_ = false;
    samples_.clear();
    return;
  }
  if (!running_) {
    running_ = true;
    started_ = now;
    if (config_.mode == CompactorConfig::Mode::kRevision) {
      next_compact_ = now + kRevisionModeInterval;
    } else {
      next_sample_ = now;
      next_compact_ = now + config_.period;  // a whole retention first
    }
  }
  if (config_.mode == CompactorConfig::Mode::kRevision) {
    if (now < next_compact_) return;
    next_compact_ = now + kRevisionModeInterval;
    const int64_t target = rev_() - config_.revisions;
    if (target <= 0 || target == last_compacted_) return;
    LOG(INFO) << "auto compaction (revision mode, retention " << config_.revisions
              << "): compacting to revision " << target;
    last_compacted_ = target;
    compact_(target);
    return;
  }
  // Periodic: sample, keeping one retention's worth (the oldest is the revision a retention
  // ago), and compact to it when due.
  const size_t keep = static_cast<size_t>(config_.period / SampleInterval()) + 1;
  while (now >= next_sample_) {
    samples_.push_back(rev_());
    while (samples_.size() > keep) samples_.pop_front();
    next_sample_ += SampleInterval();
  }
  if (now < next_compact_ || samples_.empty()) return;
  next_compact_ = now + CompactInterval();
  const int64_t target = samples_.front();
  if (target <= 1 || target == last_compacted_) return;
  LOG(INFO) << "auto compaction (periodic mode, retention "
            << std::chrono::duration_cast<std::chrono::seconds>(config_.period).count()
            << "s): compacting to revision " << target;
  last_compacted_ = target;
  compact_(target);
}

}  // namespace etcd::server
