// Snapshotter: the Raft snapshot files of a member, in `<data-dir>/member/snap` (etcd's
// etcdserver/api/snap). Each snapshot is one file `%016x-%016x.snap` (term, index) holding a
// serialized raftpb::Snapshot behind a header with its length and CRC-32C. Files are written
// to `<name>.tmp`, fdatasynced and renamed, and the directory fsynced, so a crash leaves
// either no file or a complete one. Load() returns the newest snapshot that verifies;
// a corrupt file is renamed to `<name>.broken` (as etcd does) and the next older one tried.
//
// File format (bytes, little-endian):
//   0   8  magic "ETCDSNP1"
//   8   8  payload length
//   16  4  Mask(CRC-32C of the payload)
//   20  4  zero
//   24  .. payload: raftpb::Snapshot
//
// Thread-safety: not thread-safe; one thread saves and loads (the server's Raft loop).
#ifndef ETCD_WAL_SNAPSHOTTER_H_
#define ETCD_WAL_SNAPSHOTTER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/raftpb/raft.pb.h"
#include "wal/env.h"
#include "wal/wal.h"

namespace etcd::wal {

// NotFound "snap: no available snapshot" (etcd's ErrNoSnapshot): there is no snapshot file
// (or none that verifies).
absl::Status ErrNoSnapshot();
bool IsNoSnapshot(const absl::Status& s);

class Snapshotter {
 public:
  // `dir` need not exist yet; SaveSnap creates it. REQUIRES: env outlives the Snapshotter.
  Snapshotter(Env* env, std::string dir);

  // Writes `snapshot` durably to `dir`/<term>-<index>.snap, replacing a file of the same name.
  // A snapshot with index 0 (raft.IsEmptySnap) is ignored, as etcd.
  // Errors: InvalidArgument if it cannot be serialized (over 2 GiB); I/O errors.
  absl::Status SaveSnap(const raftpb::Snapshot& snapshot);

  // The newest snapshot (by term, then index, as the names sort) that verifies. Corrupt
  // files met on the way are renamed to `.broken` with a WARNING and skipped.
  // Errors: ErrNoSnapshot() if none; I/O errors other than for a corrupt file.
  absl::StatusOr<raftpb::Snapshot> Load();

  // As Load, but only considers snapshots whose (index, term) is in `wal_snapshots` (etcd
  // 3.5's LoadNewestAvailable: pass the WAL's snapshot records with index <= the committed
  // index, so a snapshot file newer than what the WAL made durable is never used).
  absl::StatusOr<raftpb::Snapshot> LoadNewestAvailable(
      const std::vector<WalSnapshot>& wal_snapshots);

  // Reads and verifies one snapshot file. DataLoss if it is corrupt or truncated.
  static absl::StatusOr<raftpb::Snapshot> Read(Env* env, const std::string& path);

  const std::string& dir() const { return dir_; }

 private:
  // Snapshot file names in `dir`, newest first.
  absl::StatusOr<std::vector<std::string>> SnapNames();
  template <typename Match>
  absl::StatusOr<raftpb::Snapshot> LoadMatching(Match match);

  Env* const env_;
  const std::string dir_;
};

}  // namespace etcd::wal

#endif  // ETCD_WAL_SNAPSHOTTER_H_
