// The Raft log as the state machine sees it: the stable part in Storage, followed by an
// unstable part (entries and possibly a snapshot) not yet handed to the application for
// persistence (etcd-io/raft log.go, log_unstable.go).
#ifndef ETCD_RAFT_INTERNAL_RAFT_LOG_H_
#define ETCD_RAFT_INTERNAL_RAFT_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "raft/logger.h"
#include "raft/raftpb/raft.pb.h"
#include "raft/storage.h"

namespace etcd::raft::internal {

// Entries and a snapshot not yet persisted. entries_[i] has index offset_ + i.
// offset_ may be <= the last index in Storage: the next write to storage then truncates it.
class Unstable {
 public:
  explicit Unstable(Logger* logger) : logger_(logger) {}

  // The first index if a snapshot is pending (snapshot index + 1).
  std::optional<uint64_t> MaybeFirstIndex() const;
  // The last index if there is any unstable entry or snapshot.
  std::optional<uint64_t> MaybeLastIndex() const;
  // The term of entry i if the unstable part knows it.
  std::optional<uint64_t> MaybeTerm(uint64_t i) const;

  // Entries up to (i, t) were persisted: drop them (only if the term still matches, else a
  // newer append replaced them meanwhile).
  void StableTo(uint64_t i, uint64_t t);
  // The snapshot at index i was persisted.
  void StableSnapTo(uint64_t i);
  // Replaces everything with a snapshot.
  void Restore(const raftpb::Snapshot& snapshot);
  // Appends, first truncating anything at or after ents.front().index().
  void TruncateAndAppend(const std::vector<raftpb::Entry>& ents);
  // Entries [lo, hi). REQUIRES: offset_ <= lo <= hi <= offset_ + entries_.size().
  std::vector<raftpb::Entry> Slice(uint64_t lo, uint64_t hi) const;

  const std::vector<raftpb::Entry>& entries() const { return entries_; }
  const std::optional<raftpb::Snapshot>& snapshot() const { return snapshot_; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t offset) { offset_ = offset; }

 private:
  void MustCheckOutOfBounds(uint64_t lo, uint64_t hi) const;

  Logger* logger_;
  std::optional<raftpb::Snapshot> snapshot_;
  std::vector<raftpb::Entry> entries_;
  // Invariant: if snapshot_, offset_ == snapshot_->metadata().index() + 1 until more entries
  // are appended below it.
  uint64_t offset_ = 0;
};

class RaftLog {
 public:
  // Starts with committed = applied = the storage's snapshot index. `max_next_ents_size`
  // bounds the bytes of NextEntries(). Aborts if storage fails.
  RaftLog(Storage* storage, Logger* logger, uint64_t max_next_ents_size);

  // The follower side of AppendEntries (Raft paper, figure 2, receiver steps 2-5): if the
  // entry at `index` has term `log_term`, appends `ents` (truncating the first conflicting
  // entry and everything after it), advances commit to min(committed, last new index) and
  // returns the last new index; otherwise nullopt (log matching failed).
  std::optional<uint64_t> MaybeAppend(uint64_t index, uint64_t log_term, uint64_t committed,
                                      const std::vector<raftpb::Entry>& ents);
  // Appends to the unstable part (truncating from ents.front().index()); returns the last
  // index. REQUIRES: ents.front().index() - 1 >= committed.
  uint64_t Append(const std::vector<raftpb::Entry>& ents);
  // The index of the first entry of `ents` that is not in the log or whose term differs;
  // 0 if all of them are already present.
  uint64_t FindConflict(const std::vector<raftpb::Entry>& ents) const;

  const std::vector<raftpb::Entry>& UnstableEntries() const { return unstable_.entries(); }
  // Committed entries not yet handed out for applying (after `applied`), bounded by
  // max_next_ents_size bytes.
  std::vector<raftpb::Entry> NextEntries() const;
  bool HasNextEntries() const;
  // The pending unstable snapshot, if any.
  const std::optional<raftpb::Snapshot>& UnstableSnapshot() const {
    return unstable_.snapshot();
  }
  // The latest snapshot: the unstable one, else storage's.
  absl::StatusOr<raftpb::Snapshot> Snapshot() const;

  uint64_t FirstIndex() const;
  uint64_t LastIndex() const;
  uint64_t LastTerm() const;
  // Term of entry i: 0 (and OK) if i is outside [FirstIndex()-1, LastIndex()];
  // ErrCompacted / ErrUnavailable from storage.
  absl::StatusOr<uint64_t> Term(uint64_t i) const;
  // Term(i), with 0 for a compacted index. Aborts on other errors.
  uint64_t TermOrZero(uint64_t i) const;
  bool MatchTerm(uint64_t i, uint64_t term) const;

  // Raises commit to `to` (never lowers it). Aborts if to > LastIndex().
  void CommitTo(uint64_t to);
  // Commits up to max_index if the entry there is from `term` (Raft paper, section 5.4.2:
  // only entries from the leader's current term are committed by counting replicas).
  bool MaybeCommit(uint64_t max_index, uint64_t term);
  // Records that entries up to i were applied. REQUIRES: applied <= i <= committed.
  void AppliedTo(uint64_t i);
  void StableTo(uint64_t i, uint64_t t) { unstable_.StableTo(i, t); }
  void StableSnapTo(uint64_t i) { unstable_.StableSnapTo(i); }
  // Whether a log ending at (last_index, term) is at least as up-to-date as this one
  // (Raft paper, section 5.4.1).
  bool IsUpToDate(uint64_t last_index, uint64_t term) const;
  // Resets the log to a snapshot (committed = snapshot index).
  void Restore(const raftpb::Snapshot& snapshot);

  // Entries from i to the end, bounded by max_size bytes. ErrCompacted if i was compacted.
  absl::StatusOr<std::vector<raftpb::Entry>> Entries(uint64_t i, uint64_t max_size) const;
  // Entries [lo, hi) bounded by max_size bytes. ErrCompacted if lo was compacted.
  absl::StatusOr<std::vector<raftpb::Entry>> Slice(uint64_t lo, uint64_t hi,
                                                   uint64_t max_size) const;
  // Every entry from FirstIndex() on.
  std::vector<raftpb::Entry> AllEntries() const;

  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  // Only for loading a HardState at start.
  void set_committed(uint64_t committed) { committed_ = committed; }
  const Unstable& unstable() const { return unstable_; }
  Storage* storage() const { return storage_; }
  std::string ToString() const;

 private:
  // Ok if lo is not compacted; aborts if [lo, hi) is not within the log.
  absl::Status MustCheckOutOfBounds(uint64_t lo, uint64_t hi) const;

  Storage* storage_;
  Logger* logger_;
  Unstable unstable_;
  // The highest index known to be stored on a quorum.
  // Invariant: committed_ <= LastIndex().
  uint64_t committed_ = 0;
  // The highest index handed to the application for applying.
  // Invariant: applied_ <= committed_.
  uint64_t applied_ = 0;
  uint64_t max_next_ents_size_;
};

}  // namespace etcd::raft::internal

#endif  // ETCD_RAFT_INTERNAL_RAFT_LOG_H_
