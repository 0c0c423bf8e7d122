// Wal: the write-ahead log of a Raft member, the durable home of its HardState and log
// entries (etcd's wal package; framing and recovery rules of our own, see README.md).
//
// A WAL is a directory (`<data-dir>/member/wal`) of segment files named
// `%016x-%016x.wal` (sequence number, index of the first entry the segment may hold). Records
// are appended to the last segment; when it grows past WalOptions::segment_bytes a new one is
// started, beginning with the CRC chain value, the metadata and the latest HardState, so any
// suffix of segments starting at a snapshot can be read alone.
//
// Life cycle (as etcd's): Create() gives a Wal ready to append. Open() gives a Wal in read
// mode; ReadAll() must be called once, and then the Wal appends after the last valid record.
//
//   auto wal = Wal::Open(env, dir, {snap.index, snap.term});
//   auto state = (*wal)->ReadAll();       // metadata, HardState, entries after snap.index
//   (*wal)->Save(ready.hard_state, ready.entries);   // durable when it returns OK
//
// Thread-safety: a Wal is NOT thread-safe; the caller serializes all calls (the Raft loop owns
// it). Two Wal objects (in any processes) cannot hold the same segment: segments are flocked.
//
// Errors: after a failed write, sync, truncate or rename the Wal is poisoned: that call and
// every later one returns the same error, because after a failed fdatasync the kernel may have
// dropped the dirty pages and a retry could falsely report success. Close it and reopen.
#ifndef ETCD_WAL_WAL_H_
#define ETCD_WAL_WAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/raftpb/raft.pb.h"
#include "wal/env.h"

namespace etcd::wal {

// The position of a snapshot in the log (etcd's walpb.Snapshot): the index and term of the
// last entry the snapshot covers.
struct WalSnapshot {
  uint64_t index = 0;
  uint64_t term = 0;
  friend bool operator==(const WalSnapshot&, const WalSnapshot&) = default;
};

struct WalOptions {
  // A segment is closed and a new one started once the current one reaches this many bytes
  // (checked after each Save, so a segment may exceed it by one batch). etcd: 64 MB.
  uint64_t segment_bytes = 64ull << 20;
  // Reserve segment_bytes of disk for each segment up front (fallocate), as etcd does.
  bool preallocate = true;
};

// What ReadAll recovers.
struct WalContents {
  std::string metadata;       // as given to Create()
  raftpb::HardState state;    // the last one saved; empty if none was
  // Entries with index > the snapshot index given to Open(), in index order, without gaps.
  // When an index was written more than once, the later write wins and also discards every
  // entry after it that was written before it (a new leader overwrote a conflicting suffix).
  std::vector<raftpb::Entry> entries;
};

class Wal {
 public:
  // Creates a WAL in `dir` (created with its parents if missing) and returns it ready to
  // append. The first segment, 0000000000000000-0000000000000000.wal, holds the metadata and
  // a snapshot record {0, 0}; it is written in `dir`.tmp and renamed, and the parent directory
  // fsynced, so a crash leaves either no WAL or a complete one (as etcd's Create).
  // Errors: AlreadyExists if `dir` exists and is not empty; I/O errors from `env`.
  static absl::StatusOr<std::unique_ptr<Wal>> Create(Env* env, std::string dir,
                                                     std::string metadata,
                                                     const WalOptions& options = {});

  // Opens the WAL in `dir` for reading from the snapshot `start` (use {0, 0} when there is no
  // snapshot): picks the last segment whose first index is <= start.index and all later ones,
  // and flocks them. Call ReadAll() next.
  // Errors: NotFound ("wal: file not found") if there is no segment or none old enough;
  // DataLoss if the segment sequence numbers have a gap; Unavailable if another Wal holds a
  // segment lock; I/O errors.
  static absl::StatusOr<std::unique_ptr<Wal>> Open(Env* env, std::string dir, WalSnapshot start,
                                                   const WalOptions& options = {});

  // Reads every record from the snapshot on. A torn tail of the last segment (the writer died
  // mid-write: the file ends inside a record, or a sector of it never reached the disk) is cut
  // off, with a WARNING naming the file, offset and bytes dropped, and the Wal then appends
  // after the last valid record (LevelDB log_reader / etcd repair rule). Anything else that
  // fails to verify is corruption and is never skipped.
  // REQUIRES: the Wal came from Open() and ReadAll() was not called yet.
  // Errors: DataLoss (with file name and offset) for a bad checksum, impossible length or
  // broken CRC chain in a non-last segment or before the tail, a metadata conflict between
  // segments, or an entry index gap; NotFound ("wal: snapshot not found") if no snapshot
  // record matches start.index; FailedPrecondition ("wal: snapshot mismatch") if one has
  // start.index with another term; I/O errors. After an error the Wal only accepts Close().
  absl::StatusOr<WalContents> ReadAll();

  // Appends `entries` and then `state` (if not empty), writes them with one write(2) and, if
  // Raft requires it, one fdatasync (group commit: pass a whole Ready's worth per call).
  // A sync is needed when there are entries or the term or vote changed (raft.MustSync); a
  // commit-index-only change is written but not synced, as etcd. An empty state with no
  // entries is a no-op. Starts a new segment when the current one reaches segment_bytes.
  // When it returns OK, everything passed (and everything saved before) is durable, except a
  // commit-only change as above.
  // REQUIRES: append mode (after Create, or Open + ReadAll). Entries in increasing index order.
  // Errors: InvalidArgument for an entry larger than 256 MiB; FailedPrecondition in read mode
  // or after Close; I/O errors (which poison the Wal).
  absl::Status Save(const raftpb::HardState& state, const std::vector<raftpb::Entry>& entries);

  // Records that a snapshot at `snapshot` exists and syncs (etcd's SaveSnapshot): a later
  // Open(snapshot) starts reading there. Write the snapshot file (Snapshotter::SaveSnap)
  // first. Errors as Save.
  absl::Status SaveSnapshot(WalSnapshot snapshot);

  // Releases the locks of segments no longer needed to read from a snapshot at `index`: all
  // segments before the last one whose first index is < `index` (etcd's ReleaseLockTo: with
  // locks 1..6 by first index, ReleaseLockTo(4) keeps 3..6). Released segments may then be
  // deleted by PurgeSegments. Never fails in practice; returns FailedPrecondition if closed.
  absl::Status ReleaseLockTo(uint64_t index);

  // Deletes the oldest segment files of `dir` while more than `max_files` remain, stopping at
  // the first one that is locked by any Wal (etcd's fileutil.PurgeFile for --max-wals), then
  // fsyncs `dir`. Returns how many files were removed. 0 for max_files means no limit.
  static absl::StatusOr<int> PurgeSegments(Env* env, const std::string& dir, size_t max_files);

  // Syncs, closes the tail segment and releases all locks. Returns the first error met (or the
  // poisoning error). Idempotent; the destructor calls it and logs a failure.
  absl::Status Close();

  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Index of the last entry written (or of the latest snapshot record, if later). Append mode.
  uint64_t last_index() const { return last_index_; }
  const std::string& dir() const { return dir_; }

 private:
  struct Segment {
    uint64_t seq;
    uint64_t first_index;
    std::string name;
    std::unique_ptr<FileLock> lock;  // null once released
  };
  enum class Mode { kRead, kAppend, kClosed };

  Wal(Env* env, std::string dir, const WalOptions& options);

  absl::Status CheckAppend() const;
  absl::Status Poison(absl::Status s);
  absl::Status WriteBuffer();   // writes buf_ to the tail and clears it
  absl::Status SyncTail();
  absl::Status Cut();           // starts a new segment
  absl::Status FinishRecovery(uint64_t tail_size, uint64_t valid_end);
  std::string SegmentPath(const Segment& s) const;

  Env* const env_;
  const std::string dir_;
  const WalOptions options_;
  Mode mode_ = Mode::kRead;
  absl::Status error_;  // sticky; non-OK poisons the Wal

  WalSnapshot start_;  // read mode: the snapshot ReadAll starts from
  std::string metadata_;
  raftpb::HardState state_;  // last HardState saved; rewritten at the head of each segment
  uint64_t last_index_ = 0;
  uint32_t crc_ = 0;  // CRC chain value after the last record written

  // Segments held (locked), oldest first; the last is the tail being appended to.
  // Invariant (append mode): !segments_.empty() && tail_ != nullptr.
  std::vector<Segment> segments_;
  std::unique_ptr<WritableFile> tail_;
  std::string buf_;  // records encoded but not yet written; empty between calls
};

// Formats a segment name: `%016x-%016x.wal` of (seq, first_index).
std::string SegmentName(uint64_t seq, uint64_t first_index);
// Parses a segment name; false if `name` is not one.
bool ParseSegmentName(const std::string& name, uint64_t* seq, uint64_t* first_index);

// raft.MustSync: whether persisting `state` and `entry_count` entries needs an fdatasync
// given the previously persisted `prev`: entries, or a new term or vote.
bool MustSync(const raftpb::HardState& state, const raftpb::HardState& prev,
              size_t entry_count);

}  // namespace etcd::wal

#endif  // ETCD_WAL_WAL_H_
