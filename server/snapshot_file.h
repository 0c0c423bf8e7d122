// The snapshot file of a member's backend, as Maintenance.Snapshot streams it and as
// `etcdctl snapshot save` writes it (our format: etcd's is a bbolt database, which we do not
// have; like etcd's, it ends with the SHA-256 of everything before it, which restore checks).
//
//   "ECPPSNP1"                                  8 bytes, magic and version
//   { uint32 little-endian n, n bytes }...      frames, each a serialized peerpb::BackendRecords
//   uint32 0                                    the end of the frames
//   zero bytes                                  so that all the above is a multiple of 512
//                                               bytes (etcdctl 3.4 checks that a saved file's
//                                               size is 32 more than a multiple of 512)
//   SHA-256 of all the bytes above              32 bytes
//
// Records are the backend's buckets in key order (mvcc::BackendReader): the key space history,
// leases, membership, alarms and metadata (consistent index, compaction revision).
//
// Thread-safety: an encoder or decoder is used by one thread at a time.
#ifndef ETCD_SERVER_SNAPSHOT_FILE_H_
#define ETCD_SERVER_SNAPSHOT_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "mvcc/backend.h"
#include "server/transport/peer.pb.h"

namespace etcd::server {

inline constexpr char kSnapshotMagic[] = "ECPPSNP1";  // 8 bytes without the NUL
inline constexpr size_t kSnapshotHashBytes = 32;

// Reads the next records of `reader`, about `max_bytes` of keys and values (at least one
// record); false when there are none left (then check reader.status()).
bool ReadRecords(mvcc::BackendReader& reader, size_t max_bytes, peerpb::BackendRecords* out);

// Produces a snapshot file's bytes from a backend reader, a piece at a time.
class SnapshotEncoder {
 public:
  explicit SnapshotEncoder(std::unique_ptr<mvcc::BackendReader> reader);
  ~SnapshotEncoder();
  // The next piece (about `max_bytes`, at least one record); false after the hash was given.
  // Errors in status(): the backend's.
  bool Next(std::string* out, size_t max_bytes = 1 << 20);
  absl::Status status() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Whether SnapshotDecoder::Open verifies the SHA-256 trailer (etcdctl's --skip-hash-check).
enum class HashCheck { kRequired, kSkip };

// Reads a whole snapshot file's bytes: checks the magic and (unless skipped) the hash first,
// then gives the records. A file has a hash trailer when its size is 32 more than a multiple
// of 512 (etcd's rule); with kSkip a trailer is dropped unchecked and a file without one is read
// as it is. Errors (DataLoss, etcd's words where etcd has them): "not a snapshot file",
// "expected sha256 [<bytes>], got [<bytes>]" (changed or cut), "snapshot missing hash but
// --skip-hash-check=false", "snapshot file is truncated" (a frame runs past the end).
class SnapshotDecoder {
 public:
  static absl::StatusOr<SnapshotDecoder> Open(std::string contents,
                                              HashCheck check = HashCheck::kRequired);
  // The next frame's records; false at the end.
  bool Next(peerpb::BackendRecords* out);

 private:
  explicit SnapshotDecoder(std::string contents) : contents_(std::move(contents)) {}
  std::string contents_;
  size_t pos_ = 8;
};

}  // namespace etcd::server

#endif  // ETCD_SERVER_SNAPSHOT_FILE_H_
