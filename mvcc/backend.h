// The persistent backend: one LevelDB database holding every layer's durable state in named
// buckets (key revisions, metadata, leases, members), written in atomic batches.
#ifndef ETCD_MVCC_BACKEND_H_
#define ETCD_MVCC_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <vector>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace leveldb {
class Cache;
class DB;
class FilterPolicy;
class WriteBatch;
}  // namespace leveldb

namespace etcd::mvcc {

// A bucket is a one-byte prefix of the LevelDB key; the rest of the key is the bucket's own.
enum class Bucket : char {
  kKey = 'k',      // revision -> mvccpb.KeyValue (the MVCC history)
  kMeta = 'm',     // consistent index, compaction revision, ...
  kLease = 'l',    // lease ID -> lease record (//lease)
  kMembers = 'c',  // cluster membership (//server)
};

// An atomic group of writes; applied all or nothing by Backend::Write.
class WriteBatch {
 public:
  WriteBatch();
  ~WriteBatch();
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  void Put(Bucket bucket, std::string_view key, std::string_view value);
  void Delete(Bucket bucket, std::string_view key);
  // Number of Put and Delete calls so far.
  size_t count() const { return count_; }

 private:
  friend class Backend;
  std::unique_ptr<leveldb::WriteBatch> batch_;
  size_t count_ = 0;
};

struct BackendOptions {
  // Whether each Write is made durable (fdatasync) before it returns. The server leaves this
  // off: the WAL makes entries durable and replays what the backend lost (see the consistent
  // index in KvStore), and calls Sync() before it releases WAL segments.
  bool sync_writes = false;
  // LevelDB block cache, bytes.
  size_t cache_bytes = 8 << 20;
};

// A consistent point-in-time view of a whole backend (every bucket), read in key order: what
// a snapshot sent to another member carries. It pins LevelDB's files until destroyed.
// Not thread-safe; any thread may use it while the backend keeps changing.
class BackendReader {
 public:
  ~BackendReader();
  BackendReader(const BackendReader&) = delete;
  BackendReader& operator=(const BackendReader&) = delete;
  // The next record; false at the end (then status() tells whether the read failed).
  bool Next(Bucket* bucket, std::string* key, std::string* value);
  absl::Status status() const;

 private:
  friend class Backend;
 public:
  struct State;  // (public so that Backend can keep the open ones; opaque)

 private:
  explicit BackendReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Thread-safe: LevelDB serialises writers and lets readers run concurrently, except
// ReplaceWith (see there).
class Backend {
 public:
  // Opens (creating if needed) the database in directory `dir`.
  // Errors: whatever LevelDB reports (IOError for a missing or unwritable directory,
  // DataLoss for corruption), with the path in the message.
  static absl::StatusOr<std::unique_ptr<Backend>> Open(const std::string& dir,
                                                       const BackendOptions& options = {});
  ~Backend();

  // The value stored under (bucket, key), nullopt if none. Errors: IOError, DataLoss.
  absl::StatusOr<std::optional<std::string>> Get(Bucket bucket, std::string_view key) const;

  // Calls fn(key, value) for the keys of `bucket` in [start, end) in byte order (end empty:
  // to the end of the bucket) until fn returns false. Keys are given without the bucket prefix.
  absl::Status Scan(Bucket bucket, std::string_view start, std::string_view end,
                    const std::function<bool(std::string_view, std::string_view)>& fn) const;

  // Applies `batch` atomically.
  absl::Status Write(WriteBatch& batch);

  // Makes every earlier Write durable (a synced empty write forces LevelDB's log to disk).
  absl::Status Sync();

  // Approximate size on disk of all buckets, bytes.
  int64_t ApproximateSizeBytes() const;

  // Rewrites the database compactly (LevelDB's full CompactRange): space freed by deletes and
  // compaction is returned to the file system (etcd's Defragment). Blocks; reads and writes
  // may go on meanwhile. Errors: LevelDB's.
  absl::Status Defragment();

  // A reader of everything in the backend as it is now (later writes are not seen).
  std::unique_ptr<BackendReader> NewReader() const;

  // Replaces the whole database by the one in directory `other` (a backend built elsewhere,
  // e.g. from a snapshot received from the leader), which is moved to this backend's
  // directory; the old contents are deleted. Crash-safe: the directory is swapped by renames,
  // and a crash leaves either the old database in place or the new one. Calls made meanwhile
  // wait for it; BackendReaders of the old database end (Next false, status Aborted).
  // Errors: the file system's or LevelDB's; on error the backend may be unusable.
  absl::Status ReplaceWith(const std::string& other);

  const std::string& dir() const { return dir_; }

 private:
  friend class BackendReader;
  Backend(std::string dir, BackendOptions options);
  absl::Status OpenDb();

  std::string dir_;
  // Declared before db_ so that they outlive it: LevelDB holds raw pointers to both.
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  // Shared by every call, exclusive for ReplaceWith. Declared before db_ (destroyed after).
  mutable std::shared_mutex db_mu_;
  std::unique_ptr<leveldb::DB> db_;  // guarded by db_mu_ (the pointer; LevelDB is thread-safe)
  mutable std::mutex readers_mu_;    // after db_mu_ when both are held
  mutable std::set<BackendReader::State*> readers_;  // guarded by readers_mu_: open readers
  BackendOptions options_;
};

}  // namespace etcd::mvcc

#endif  // ETCD_MVCC_BACKEND_H_
