// The multi-version key-value store (etcd's mvcc.KV): every change creates a new revision, and
// reads can see the key space at any revision since the last compaction.
//
// Concurrency: any number of ReadTxn run together; a WriteTxn excludes every other transaction
// for its lifetime. A transaction must end (be destroyed) before the same thread opens another.
#ifndef ETCD_MVCC_KV_STORE_H_
#define ETCD_MVCC_KV_STORE_H_

#include <cstdint>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "api/mvccpb/kv.pb.h"
#include "mvcc/backend.h"
#include "mvcc/internal/key_index.h"
#include "mvcc/revision.h"

namespace etcd::mvcc {

// mvcc.ErrCompacted: the requested revision is below the compaction revision.
// absl::StatusCode::kOutOfRange, message "mvcc: required revision has been compacted".
absl::Status CompactedError();
// mvcc.ErrFutureRev: the requested revision is above the current revision.
// absl::StatusCode::kOutOfRange, message "mvcc: required revision is a future revision".
absl::Status FutureRevError();
bool IsCompacted(const absl::Status& s);
bool IsFutureRev(const absl::Status& s);

struct RangeOptions {
  // At most this many key-values (0: no limit). `count` is not limited.
  int64_t limit = 0;
  // Read the key space as of this revision (<= 0: the current one).
  int64_t rev = 0;
  // Only count the keys; return no key-values.
  bool count_only = false;
};

struct RangeResult {
  std::vector<mvccpb::KeyValue> kvs;  // in key order
  int64_t rev = 0;                    // the store's current revision
  int64_t count = 0;                  // keys in the range at the read revision
};

class KvStore;

// What reads inside a transaction see; implemented by ReadTxn and WriteTxn.
class TxnView {
 public:
  virtual ~TxnView() = default;
  // Ranges use etcd's key/end convention: `end` empty reads the single key `key`; `end` "\0"
  // reads every key >= `key`; otherwise [key, end).
  // Errors: CompactedError() if opts.rev < the compaction revision, FutureRevError() if
  // opts.rev > Rev(); kDataLoss/kUnavailable if the backend fails.
  virtual absl::StatusOr<RangeResult> Range(std::string_view key, std::string_view end,
                                            const RangeOptions& opts) const = 0;
  // The revision reads see by default: the current one (in a WriteTxn, including its changes).
  virtual int64_t Rev() const = 0;
  // The compaction revision: reads below it fail.
  virtual int64_t CompactRev() const = 0;
};

// A consistent read-only view of the store: no write happens while it lives.
class ReadTxn final : public TxnView {
 public:
  absl::StatusOr<RangeResult> Range(std::string_view key, std::string_view end,
                                    const RangeOptions& opts) const override;
  int64_t Rev() const override;
  int64_t CompactRev() const override;

  // Calls fn(event) for every change with revision in [from_rev, Rev()], in revision order: a
  // PUT event with the stored KeyValue, or a DELETE event whose kv has the key and
  // mod_revision. Stops early when fn returns false. Errors: CompactedError() if
  // from_rev <= CompactRev() (the changes are gone); the backend's.
  absl::Status Changes(int64_t from_rev, const std::function<bool(mvccpb::Event&)>& fn) const;

 private:
  friend class KvStore;
  explicit ReadTxn(const KvStore* store);
  const KvStore* store_;
  absl::ReaderMutexLock lock_;
};

// A write transaction: every change in it shares one main revision (current + 1), with sub
// revisions in order. Reads through it see its own changes. The changes become visible and
// durable (in the backend) when End() is called; a WriteTxn destroyed without End() is a bug.
class WriteTxn final : public TxnView {
 public:
  ~WriteTxn() override;

  absl::StatusOr<RangeResult> Range(std::string_view key, std::string_view end,
                                    const RangeOptions& opts) const override;
  int64_t CompactRev() const override;
  // Writes `value` under `key`, attached to lease `lease` (0: none). Returns the revision of
  // the change (Rev()). REQUIRES: key is not empty.
  int64_t Put(std::string_view key, std::string_view value, int64_t lease);
  // Deletes the keys in the range; returns how many existed. Each deletion is an event.
  int64_t DeleteRange(std::string_view key, std::string_view end);

  // The revision the store has after this transaction (current + 1 if it changed anything).
  int64_t Rev() const override;
  // The batch End() commits: other layers (the lessor) add their writes to it so that they are
  // durable atomically with this transaction's changes.
  WriteBatch& batch() { return batch_; }
  // The changes so far, in order: a PUT event per put, a DELETE event (key and mod_revision
  // only) per deleted key.
  const std::vector<mvccpb::Event>& changes() const { return changes_; }

  // Commits the changes to the backend in one atomic batch together with the store's
  // consistent index, and publishes the new revision. Returns the backend's error; on error
  // the in-memory index already holds the changes and the process must not go on (the caller
  // crashes, and the WAL replays the entry on restart).
  absl::Status End();

 private:
  friend class KvStore;
  explicit WriteTxn(KvStore* store);
  KvStore* store_;
  absl::MutexLock lock_;
  int64_t begin_rev_;
  // Change i has revision {begin_rev_ + 1, i}; reads of this transaction find their values here
  // before they reach the backend.
  std::vector<mvccpb::Event> changes_;
  WriteBatch batch_;
  bool ended_ = false;
};

// The consistent index stored in `backend` (0 if none), and a write of it, for a backend no
// KvStore is open on (a snapshot's database being received). Errors: the backend's; DataLoss
// for an undecodable record.
absl::StatusOr<uint64_t> ReadConsistentIndex(const Backend& backend);
absl::Status WriteConsistentIndex(Backend& backend, uint64_t index);

// Thread-safe (see the file comment).
class KvStore {
 public:
  // Opens the store on `backend` (not owned; must outlive the store), rebuilding the key index
  // from the stored revisions. Errors: the backend's, or kDataLoss for a record that does not
  // decode.
  static absl::StatusOr<std::unique_ptr<KvStore>> Open(Backend* backend);

  std::unique_ptr<ReadTxn> Read() const;
  std::unique_ptr<WriteTxn> Write();

  // Drops history below `rev`: afterwards reads at revisions < rev fail with CompactedError(),
  // and every key keeps its version as of `rev` and later ones. Runs synchronously.
  // Errors: CompactedError() if rev <= the compaction revision, FutureRevError() if rev > the
  // current revision. A backend failure stops the process (the in-memory index is already
  // compacted by then).
  absl::Status Compact(int64_t rev);

  // Called with the changes of each write transaction that changed something, at End(), after
  // they are in the backend and before any other transaction can start (the store's lock is
  // still held: the observer must not call back into the store). Used by the watchable store.
  // Set once, before the store is shared between threads.
  using WriteObserver = std::function<void(int64_t rev, const std::vector<mvccpb::Event>& changes)>;
  void SetWriteObserver(WriteObserver observer) { observer_ = std::move(observer); }

  // The index of the last Raft entry applied to this store; persisted with every write so that
  // a restart replays exactly the entries after it. The caller sets it before applying an entry.
  void SetConsistentIndex(uint64_t index);
  uint64_t ConsistentIndex() const;
  // Adds the consistent index to `batch`, for writes of other layers made outside a WriteTxn.
  void AddConsistentIndex(WriteBatch& batch) const { AddMeta(batch); }

  int64_t Rev() const;
  int64_t CompactRev() const;
  Backend* backend() const { return backend_; }

  // Replaces the store's contents: runs `replace_backend` (which changes the backend under
  // the store, e.g. Backend::ReplaceWith a snapshot's database) while no transaction runs,
  // then rebuilds the key index, revisions and consistent index from the backend. The write
  // observer is not called: watchers must be told separately (WatchableStore::Restored).
  // Errors: replace_backend's, or the backend's as in Open; the store is unusable after one.
  absl::Status RestoreFrom(const std::function<absl::Status()>& replace_backend);

 private:
  friend class ReadTxn;
  friend class WriteTxn;
  explicit KvStore(Backend* backend);
  absl::Status Restore();
  // REQUIRES: mu_ held exclusively.
  absl::Status RestoreLocked();
  // REQUIRES: mu_ held (shared or exclusive).
  absl::StatusOr<RangeResult> RangeLocked(
      std::string_view key, std::string_view end, const RangeOptions& opts, int64_t cur_rev,
      const std::vector<mvccpb::Event>* pending) const;
  void AddMeta(WriteBatch& batch) const;

  Backend* const backend_;
  // absl::Mutex rather than std::shared_mutex: it does not let a stream of readers starve the
  // apply loop's writer.
  mutable absl::Mutex mu_;
  internal::TreeIndex index_;     // guarded by mu_
  // As etcd's store: an empty store is at revision 1 (the first change gets revision 2), and
  // nothing is compacted (-1) until the first compaction.
  int64_t current_rev_ = 1;       // guarded by mu_; Invariant: compact_rev_ <= current_rev_
  int64_t compact_rev_ = -1;      // guarded by mu_
  std::atomic<uint64_t> consistent_index_{0};
  WriteObserver observer_;
};

}  // namespace etcd::mvcc

#endif  // ETCD_MVCC_KV_STORE_H_
