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

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
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

// Whether SnapshotDecoder::OpenFile verifies the SHA-256 trailer (etcdctl's --skip-hash-check).
enum class HashCheck { kRequired, kSkip };

// Reads a snapshot file from disk a frame at a time, so that restoring or summarising a
// multi-GB backup needs no more memory than one frame.
//
//   auto decoder = SnapshotDecoder::OpenFile(path);
//   if (!decoder.ok()) return decoder.status();
//   peerpb::BackendRecords records;
//   while ((*decoder)->Next(&records)) { ... }
//   if (!(*decoder)->status().ok()) return (*decoder)->status();
//
// OpenFile checks the magic, then (unless skipped) the hash by streaming the file's body
// through SHA-256, then the framing (the frame lengths up to the end marker, by seeking), so
// that a file it accepts has whole frames. A file has a hash trailer when its size is 32 more
// than a multiple of 512 (etcd's rule); with kSkip a trailer is dropped unchecked and a file
// without one is read as it is.
//
// Errors of OpenFile (etcd's words where etcd has them, Go's os.PathError text for the file):
//   NotFound: "open <path>: no such file or directory";
//   PermissionDenied: "open <path>: permission denied";
//   InvalidArgument: "read <path>: is a directory";
//   DataLoss: "not a snapshot file", "expected sha256 [<bytes>], got [<bytes>]" (changed or
//     cut), "snapshot missing hash but --skip-hash-check=false", "snapshot file is truncated"
//     (a frame runs past the end), "read <path>: <reason>" (the disk failed).
// Next returns false at the end and on an error; status() then tells which: DataLoss for a
// frame that does not parse ("snapshot frame at byte <offset> does not parse", possible with
// kSkip or a file written wrong), a read error, or a file that changed since OpenFile.
//
// Memory: one frame (SnapshotEncoder writes frames of about 1 MiB; the largest frame of the
// file in general) and, during OpenFile only, a 1 MiB read buffer for the hash; not the file.
// max_buffered_bytes() reports the most held at once, for tests.
//
// Thread-safety: a decoder is used by one thread at a time. The file is read while the
// decoder lives (it holds it open); it must not be changed meanwhile.
class SnapshotDecoder {
 public:
  static absl::StatusOr<std::unique_ptr<SnapshotDecoder>> OpenFile(
      const std::string& path, HashCheck check = HashCheck::kRequired);
  ~SnapshotDecoder();
  SnapshotDecoder(const SnapshotDecoder&) = delete;
  SnapshotDecoder& operator=(const SnapshotDecoder&) = delete;

  // The next frame's records; false at the end or on an error (see status()).
  bool Next(peerpb::BackendRecords* out);
  // OK unless Next met an error (then DataLoss, or the read error); Next stops at the first.
  absl::Status status() const { return status_; }

  // The file's size in bytes, trailer included.
  uint64_t file_size() const { return file_size_; }
  // The most bytes the decoder's buffers held at once so far (the hash buffer, a frame).
  size_t max_buffered_bytes() const { return max_buffered_bytes_; }

 private:
  SnapshotDecoder(std::string path, int fd, uint64_t file_size);
  absl::Status ReadAt(uint64_t offset, size_t n, char* out);
  absl::Status VerifyHash(uint64_t body_size);
  absl::Status CheckFraming(uint64_t body_size);
  void Buffered(size_t bytes) { max_buffered_bytes_ = std::max(max_buffered_bytes_, bytes); }

  const std::string path_;
  const int fd_;  // owned, read-only
  const uint64_t file_size_;
  uint64_t pos_ = 8;         // the next frame's length
  uint64_t frames_end_ = 0;  // the end marker's offset. Invariant: pos_ <= frames_end_
  std::string frame_;        // reused by Next
  absl::Status status_;
  size_t max_buffered_bytes_ = 0;
};

}  // namespace etcd::server

#endif  // ETCD_SERVER_SNAPSHOT_FILE_H_
