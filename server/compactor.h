// Auto compaction (--auto-compaction-mode, --auto-compaction-retention), as etcd 3.4's
// compactor package does it, run by the leader only:
//
//   - revision mode: every 5 minutes, compact to (current revision - retention), unless that
//     was done already;
//   - periodic mode: keep `retention` of history. The revision is sampled every tenth of the
//     retention (capped at an hour); once a whole retention has passed, and then every
//     retention (or every hour when the retention is longer), compact to the revision sampled
//     a retention ago.
//
// Time comes from the caller (Tick), so the compactor is deterministic and tested with a fake
// clock. Thread-safety: not thread-safe; the server calls it from its Raft loop.
#ifndef ETCD_SERVER_COMPACTOR_H_
#define ETCD_SERVER_COMPACTOR_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace etcd::server {

struct CompactorConfig {
  enum class Mode { kPeriodic, kRevision };
  Mode mode = Mode::kPeriodic;
  std::chrono::milliseconds period{0};  // periodic mode: the history to keep
  int64_t revisions = 0;                // revision mode: the revisions to keep
};

// Parses the flags as etcd does: an integer is hours (periodic) or revisions (revision), else
// a duration such as "30m" (periodic). nullopt when retention is 0 (no auto compaction).
// Errors: InvalidArgument "error parsing CompactionRetention: ..." as etcd reports it.
absl::StatusOr<std::optional<CompactorConfig>> ParseCompactorConfig(const std::string& mode,
                                                                    const std::string& retention);

class Compactor {
 public:
  using Clock = std::chrono::steady_clock;
  // `rev` gives the current revision; `compact` proposes a compaction to a revision (its
  // outcome is not waited for: a failed one is retried at the next due time).
  Compactor(CompactorConfig config, std::function<int64_t()> rev,
            std::function<void(int64_t)> compact);

  // Advances the compactor to `now`. Only a leader compacts: when `leader` is false the
  // compactor pauses and forgets its samples (a new leader starts over, as etcd's Resume).
  void Tick(Clock::time_point now, bool leader);

 private:
  std::chrono::milliseconds SampleInterval() const;
  std::chrono::milliseconds CompactInterval() const;

  const CompactorConfig config_;
  std::function<int64_t()> rev_;
  std::function<void(int64_t)> compact_;
  bool running_ = false;
  Clock::time_point started_, next_sample_, next_compact_;
  std::deque<int64_t> samples_;  // periodic: revisions, oldest first
  int64_t last_compacted_ = 0;
};

}  // namespace etcd::server

#endif  // ETCD_SERVER_COMPACTOR_H_
