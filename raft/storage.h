// Storage: where Raft reads the log it has handed to the application for persistence.
//
// Raft never writes to Storage. The application writes (after each Ready: entries, hard state,
// snapshot) and Raft reads back through this interface: to send entries to followers, to
// find terms for the log-matching check, and to hand out committed entries.
//
// Log positions: Storage holds a snapshot at index S (S = 0 when there is none) and the
// entries S+1..LastIndex(). The term of entry S is kept after compaction (the "dummy" entry)
// so that Raft can still check log matching (Raft paper, section 5.3) against it.
// So FirstIndex() = S+1 and Term(i) is defined for S <= i <= LastIndex().
//
// Source: etcd-io/raft storage.go.
#ifndef ETCD_RAFT_STORAGE_H_
#define ETCD_RAFT_STORAGE_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "raft/logger.h"
#include "raft/raftpb/raft.pb.h"

namespace etcd::raft {

// The node id meaning "nobody" (no leader, no vote). Node ids are never 0.
inline constexpr uint64_t kNone = 0;
// A size limit meaning "unlimited".
inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

// What a node restarts from: its last persisted HardState (term, vote, commit) and the
// membership as of its last snapshot.
struct StoredState {
  raftpb::HardState hard_state;
  raftpb::ConfState conf_state;
};

// Read access to the persisted log. If a method returns an error other than the ones
// documented, Raft treats it as a broken invariant and aborts (etcd panics the same way): an
// application with failing storage must stop the node.
//
// Thread-safety: Raft calls these from the thread that drives its RawNode; an implementation
// that the application writes to from another thread must synchronize itself.
class Storage {
 public:
  virtual ~Storage() = default;

  // The persisted HardState and the ConfState of the latest snapshot.
  virtual absl::StatusOr<StoredState> InitialState() const = 0;

  // Entries in [lo, hi). `max_size` limits the total byte size (protobuf encoded size) of the
  // returned entries, but at least one entry is returned if any is in range.
  // Errors: ErrCompacted if lo <= the snapshot index; ErrUnavailable if the storage holds no
  // entry at all beyond its snapshot. REQUIRES: hi <= LastIndex() + 1.
  virtual absl::StatusOr<std::vector<raftpb::Entry>> Entries(uint64_t lo, uint64_t hi,
                                                             uint64_t max_size) const = 0;

  // Term of entry i, for FirstIndex() - 1 <= i <= LastIndex().
  // Errors: ErrCompacted if i < FirstIndex() - 1; ErrUnavailable if i > LastIndex().
  virtual absl::StatusOr<uint64_t> Term(uint64_t i) const = 0;

  // Index of the last entry (the snapshot index if there is no entry after it).
  virtual absl::StatusOr<uint64_t> LastIndex() const = 0;

  // Index of the first entry that Entries() may return: snapshot index + 1.
  virtual absl::StatusOr<uint64_t> FirstIndex() const = 0;

  // The most recent snapshot. Errors: ErrSnapshotTemporarilyUnavailable if it is being
  // prepared (Raft will ask again later).
  virtual absl::StatusOr<raftpb::Snapshot> Snapshot() const = 0;
};

// A Storage kept in memory: the snapshot metadata plus a vector of entries whose first element
// is the dummy entry (index and term of the snapshot, no data).
//
// Thread-safety: thread-safe (one mutex), so an application may Append from its persistence
// thread while the Raft thread reads.
class MemoryStorage : public Storage {
 public:
  // `logger` (not owned, may be null for DefaultLogger()) reports broken preconditions.
  explicit MemoryStorage(Logger* logger = nullptr);

  absl::StatusOr<StoredState> InitialState() const override;
  absl::StatusOr<std::vector<raftpb::Entry>> Entries(uint64_t lo, uint64_t hi,
                                                     uint64_t max_size) const override;
  absl::StatusOr<uint64_t> Term(uint64_t i) const override;
  absl::StatusOr<uint64_t> LastIndex() const override;
  absl::StatusOr<uint64_t> FirstIndex() const override;
  absl::StatusOr<raftpb::Snapshot> Snapshot() const override;

  // Saves the HardState from a Ready. Never fails.
  absl::Status SetHardState(const raftpb::HardState& hard_state);

  // Replaces the whole content with `snapshot` (log reset to its dummy entry).
  // Errors: ErrSnapOutOfDate if snapshot.metadata().index() <= the current snapshot index.
  absl::Status ApplySnapshot(const raftpb::Snapshot& snapshot);

  // Records a snapshot of the application state as of applied index `i` with opaque `data`
  // (and the membership `conf_state` if non-null, which must be the result of the last
  // ApplyConfChange up to i), so that it can be sent to lagging followers. Does not compact.
  // Errors: ErrSnapOutOfDate if i <= the current snapshot index.
  // REQUIRES: i <= LastIndex() (aborts otherwise).
  absl::StatusOr<raftpb::Snapshot> CreateSnapshot(uint64_t i,
                                                  const raftpb::ConfState* conf_state,
                                                  std::string data);

  // Discards the entries before `compact_index`; entry compact_index becomes the dummy entry.
  // The application must not compact beyond what it has applied.
  // Errors: ErrCompacted if compact_index <= the current dummy index.
  // REQUIRES: compact_index <= LastIndex() (aborts otherwise).
  absl::Status Compact(uint64_t compact_index);

  // Appends entries from a Ready. Entries must be contiguous; an entry whose index is already
  // present replaces it and everything after it (a follower overwriting a conflicting tail).
  // Entries at or before the snapshot index are ignored.
  // REQUIRES: entries.front().index() <= LastIndex() + 1 (aborts on a gap).
  absl::Status Append(const std::vector<raftpb::Entry>& entries);

 private:
  uint64_t FirstIndexLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t LastIndexLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Logger* const logger_;
  mutable absl::Mutex mu_;
  raftpb::HardState hard_state_ ABSL_GUARDED_BY(mu_);
  raftpb::Snapshot snapshot_ ABSL_GUARDED_BY(mu_);
  // ents_[i] has log index i + ents_[0].index().
  // Invariant: ents_ is never empty; ents_[0] is the dummy entry (index and term of the
  // snapshot, no data); indexes are contiguous.
  std::vector<raftpb::Entry> ents_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcd::raft

#endif  // ETCD_RAFT_STORAGE_H_
