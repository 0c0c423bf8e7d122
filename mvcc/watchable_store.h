// Watches on the multi-version key space (etcd's watchable_store / watcher / watcher_group).
//
// A watcher follows a key or a key range from a start revision. It is either *synced* (it has
// every change up to the store's current revision and receives each new change as the write
// transaction ends) or *unsynced* (it is behind: created with an old start revision, or its
// stream's queue was full when a change came). A background thread catches unsynced watchers up
// from the store's history, under the store's read lock, and makes them synced again, so a slow
// reader never blocks writers and never loses or repeats an event.
//
// Guarantees, as etcd documents them: the events of a watcher arrive in revision order, none
// twice, none skipped; all events of one revision (one txn) that match come in one response;
// a watcher whose next revision has been compacted gets one response with compact_revision set
// and is cancelled.
//
// Thread-safety: everything is thread-safe. The store calls in from the writer (at the end of
// each write transaction); streams are used from any thread; the ready callback of a stream is
// called from the writer or the sync thread, without any lock of this layer held.
#ifndef ETCD_MVCC_WATCHABLE_STORE_H_
#define ETCD_MVCC_WATCHABLE_STORE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "api/mvccpb/kv.pb.h"
#include "mvcc/kv_store.h"

namespace etcd::mvcc {

// What a watcher follows.
struct WatchSpec {
  std::string key;  // etcd's convention: end empty = the key alone; end "\0" = every key >= key
  std::string end;
  // The first revision to report; 0 = changes after the current revision.
  int64_t start_rev = 0;
  bool no_put = false;     // filter out PUT events
  bool no_delete = false;  // filter out DELETE events
  // Send an empty response (a progress notification, current revision) when the watcher is
  // synced and has sent nothing for the store's progress interval.
  bool progress_notify = false;
};

// One message of a stream, in the order the stream must deliver them.
struct WatchResponse {
  int64_t watch_id = 0;
  // The revision this response is current to (the events' revision, or the store's revision
  // for control responses).
  int64_t revision = 0;
  std::vector<mvccpb::Event> events;
  bool created = false;   // answers a Watch()
  bool canceled = false;  // the watcher ended (Cancel, compaction, or failed creation)
  // Set when the watcher's next revision was compacted: the watcher is cancelled.
  int64_t compact_revision = 0;
  std::string cancel_reason;
};

class WatchableStore;

// A stream of watchers sharing one ordered queue of responses (one gRPC Watch stream).
// Destroying it cancels its watchers.
class WatchStream {
 public:
  ~WatchStream();
  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // Creates a watcher with `id` (0 or less: the lowest unused id >= 0, as etcd) and queues its
  // `created` response; returns the id. Unlike the other calls it does not call `on_ready`
  // itself (the caller may hold a lock its callback takes): the caller reads Next() after. Errors: kAlreadyExists "mvcc: duplicate watch ID
  // provided on the WatchStream"; kInvalidArgument "mvcc: watcher range is empty" when end
  // sorts before key. (The caller reports errors as a created+canceled response.)
  absl::StatusOr<int64_t> Watch(int64_t id, const WatchSpec& spec);
  // Cancels a watcher and queues its `canceled` response; false if there is no such watcher.
  bool Cancel(int64_t id);
  // Queues a progress response (watch_id -1, revision = the store's current revision).
  void RequestProgress();
  // Removes and returns the oldest queued response, if any.
  std::optional<WatchResponse> Next();

 private:
  friend class WatchableStore;
  struct State;
  explicit WatchStream(WatchableStore* store, std::shared_ptr<State> state);
  WatchableStore* const store_;
  std::shared_ptr<State> state_;
};

class WatchableStore {
 public:
  // Watches `kv` (not owned; must outlive this), installing itself as kv's write observer, and
  // starts the sync thread. `sync_interval` bounds how long an unsynced watcher waits.
  // `progress_interval` is etcd's --experimental-watch-progress-notify-interval (10 min).
  explicit WatchableStore(KvStore* kv,
                          std::chrono::milliseconds sync_interval = std::chrono::milliseconds(100),
                          std::chrono::milliseconds progress_interval = std::chrono::minutes(10));
  ~WatchableStore();

  // A new stream. `on_ready` is called (from any thread, possibly often) whenever responses
  // were queued; `capacity` bounds the event responses queued before watchers fall behind and
  // are caught up from history instead (control responses are always queued).
  std::unique_ptr<WatchStream> NewStream(std::function<void()> on_ready, size_t capacity = 128);

  // Number of synced and unsynced watchers (for tests and metrics).
  std::pair<size_t, size_t> WatcherCounts() const;

  // Tells the store that kv's contents were replaced (KvStore::RestoreFrom): every watcher is
  // caught up again from the store's history, from the revision it expects next (etcd's
  // watchableStore.Restore). Thread-safe; call it after RestoreFrom returns.
  void Restored();

 private:
  friend class WatchStream;
  struct Watcher;

  // The write observer: runs with kv's write lock held.
  void Notify(int64_t rev, const std::vector<mvccpb::Event>& changes);
  void SyncLoop();
  // Catches unsynced watchers up as far as their streams have room.
  void SyncUnsynced();
  // Queues progress notifications for the synced watchers that asked and have been quiet.
  void NotifyProgress();
  void Wake(const std::vector<std::shared_ptr<WatchStream::State>>& streams);
  void Remove(Watcher* w);  // REQUIRES: mu_ held

  KvStore* const kv_;
  const std::chrono::milliseconds sync_interval_;
  const std::chrono::milliseconds progress_interval_;

  mutable std::mutex mu_;  // after kv's lock when both are held
  std::condition_variable sync_wake_;
  bool stopping_ = false;                             // guarded by mu_
  std::map<Watcher*, std::unique_ptr<Watcher>> all_;  // guarded by mu_
  std::set<Watcher*> synced_;                         // guarded by mu_
  std::set<Watcher*> unsynced_;                       // guarded by mu_
  // Streams with new responses, for the sync thread to call back (Notify runs under the
  // store's write lock, where a callback reading the store would deadlock).
  std::vector<std::shared_ptr<WatchStream::State>> pending_ready_;  // guarded by mu_
  std::thread sync_thread_;
};

}  // namespace etcd::mvcc

#endif  // ETCD_MVCC_WATCHABLE_STORE_H_
