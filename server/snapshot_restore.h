// Offline operations on a snapshot file (server/snapshot_file.h), as `etcdctl snapshot restore`
// and `etcdctl snapshot status` perform them (etcd 3.4 clientv3/snapshot/v3_snapshot.go).
//
// Restore builds the data dir of one member of a NEW cluster from a snapshot: the key space
// (every revision kept in the snapshot, so keys keep their create/mod revisions and versions),
// the leases and the alarms come from the snapshot; the membership is the one given by
// --initial-cluster, with member and cluster IDs computed from the URLs and the token exactly as
// a newly bootstrapped etcd does. Run it once per member with the same snapshot, cluster and
// token (and each member's own --name and --initial-advertise-peer-urls); then start the members
// with the same --initial-cluster and token: they form a cluster holding the snapshot's data.
//
// Thread-safety: functions of their arguments and files only; callers must not run two restores
// into the same directory at once.
#ifndef ETCD_SERVER_SNAPSHOT_RESTORE_H_
#define ETCD_SERVER_SNAPSHOT_RESTORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etcd::server {

// etcdctl's `snapshot restore` flags, with etcdctl 3.4's defaults.
struct RestoreOptions {
  std::string snapshot_path;                  // the file `snapshot save` wrote
  std::string name = "default";               // --name: this member, in initial_cluster
  std::string data_dir;                       // --data-dir; empty: "<name>.etcd"
  std::string wal_dir;                        // --wal-dir; empty: "<data_dir>/member/wal"
  std::string initial_cluster = "default=http://localhost:2380";  // --initial-cluster
  std::string initial_cluster_token = "etcd-cluster";             // --initial-cluster-token
  std::vector<std::string> initial_advertise_peer_urls = {"http://localhost:2380"};
  bool skip_hash_check = false;  // --skip-hash-check: accept a file without a valid trailer
};

// Restores `options.snapshot_path` into a new data dir. Nothing is left behind on failure
// (the directories it created are removed). Errors, with etcd's words where etcd has them:
//   InvalidArgument: bad URLs ("URL scheme must be http, https, unix, or unixs: ..."),
//     "couldn't find local name \"x\" in the initial cluster configuration", the advertise
//     URLs not matching --initial-cluster ("--initial-cluster has ... but missing from
//     --initial-advertise-peer-urls=..."), "initial cluster ... has duplicate url";
//   AlreadyExists: "data-dir \"d\" exists", "wal-dir \"w\" exists";
//   NotFound: "open <path>: no such file or directory" (no snapshot file);
//   PermissionDenied: "open <path>: permission denied";
//   DataLoss: "expected sha256 [<bytes>], got [<bytes>]" (the file was changed or truncated),
//     "snapshot missing hash but --skip-hash-check=false", "not a snapshot file: <path>",
//     "snapshot file is truncated" (with --skip-hash-check: a frame runs past the end),
//     "snapshot frame at byte <offset> does not parse", "read <path>: <reason>";
//   IOError/Internal: writing the backend or the WAL failed.
// Memory: the snapshot is streamed a frame (about 1 MiB) at a time, whatever its size
// (SnapshotDecoder::OpenFile).
absl::Status RestoreSnapshot(const RestoreOptions& options);

// What `etcdctl snapshot status` prints of a snapshot file.
struct SnapshotFileStatus {
  uint32_t hash = 0;        // CRC-32C over every backend record (bucket, key, value) in order
  int64_t revision = 0;     // the store's revision in the snapshot
  int64_t total_keys = 0;   // backend records (every revision of every key, leases, ...)
  int64_t total_size = 0;   // the file's size, bytes
};

// Reads and checks a snapshot file (magic and SHA-256 trailer) and summarises it, streaming it
// a frame at a time as RestoreSnapshot does.
// Errors: NotFound "stat <path>: no such file or directory" for a missing file, otherwise as
// RestoreSnapshot's reading of the file (PermissionDenied, DataLoss).
absl::StatusOr<SnapshotFileStatus> ReadSnapshotStatus(const std::string& path);

}  // namespace etcd::server

#endif  // ETCD_SERVER_SNAPSHOT_RESTORE_H_
