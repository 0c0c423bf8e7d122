#include "mvcc/watchable_store.h"

#include <glog/logging.h>

#include <algorithm>

namespace etcd::mvcc {
namespace {

// At most this many revisions of history are read per sync round, so one watcher far behind
// cannot hold the store's read lock (and so the writers) for long.
constexpr int64_t kSyncBatchRevisions = 1000;

const std::string kFromKey("\0", 1);

}  // namespace

struct WatchStream::State {
  explicit State(std::function<void()> ready, size_t cap)
      : on_ready(std::move(ready)), capacity(cap) {}

  // Queues an event response unless the queue holds `capacity` of them already.
  bool TryPushEvents(WatchResponse r) {
    std::lock_guard lock(mu);
    if (events_queued >= capacity) return false;
    queue.push_back(std::move(r));
    ++events_queued;
    return true;
  }
  bool HasRoom() {
    std::lock_guard lock(mu);
    return events_queued < capacity;
  }
  void PushControl(WatchResponse r) {
    std::lock_guard lock(mu);
    queue.push_back(std::move(r));
  }

  const std::function<void()> on_ready;
  const size_t capacity;

  std::mutex mu;
  std::deque<WatchResponse> queue;  // guarded by mu
  size_t events_queued = 0;         // guarded by mu: responses in `queue` that carry events

  // Guarded by the store's mu_.
  std::map<int64_t, WatchableStore::Watcher*> watchers;
  int64_t next_id = 0;
  bool closed = false;
};

struct WatchableStore::Watcher {
  int64_t id;
  std::shared_ptr<WatchStream::State> stream;
  WatchSpec spec;
  // The first revision not yet delivered. Invariant: every matching event below it has been
  // queued on the stream, in order, exactly once.
  int64_t next_rev;
  // When this watcher last queued a response (for progress notifications).
  std::chrono::steady_clock::time_point last_sent = std::chrono::steady_clock::now();

  bool Matches(const mvccpb::Event& ev) const {
    if (ev.type() == mvccpb::Event::PUT ? spec.no_put : spec.no_delete) return false;
    const std::string& k = ev.kv().key();
    if (spec.end.empty()) return k == spec.key;
    return k >= spec.key && (spec.end == kFromKey || k < spec.end);
  }
};

// ---- WatchStream ----

WatchStream::WatchStream(WatchableStore* store, std::shared_ptr<State> state)
    : store_(store), state_(std::move(state)) {}

WatchStream::~WatchStream() {
  std::lock_guard lock(store_->mu_);
  while (!state_->watchers.empty()) store_->Remove(state_->watchers.begin()->second);
  state_->closed = true;
}

absl::StatusOr<int64_t> WatchStream::Watch(int64_t id, const WatchSpec& spec) {
  if (!spec.end.empty() && spec.end != kFromKey && spec.key >= spec.end) {
    return absl::InvalidArgumentError("mvcc: watcher range is empty");
  }
  {
    // Holding the store's read lock, no write can come between choosing synced or unsynced and
    // registering the watcher.
    auto read = store_->kv_->Read();
    const int64_t cur = read->Rev();
    std::lock_guard lock(store_->mu_);
    State& s = *state_;
    if (id <= 0) {
      while (s.watchers.contains(s.next_id)) ++s.next_id;
      id = s.next_id++;
    } else if (s.watchers.contains(id)) {
      return absl::AlreadyExistsError("mvcc: duplicate watch ID provided on the WatchStream");
    }
    auto w = std::make_unique<WatchableStore::Watcher>();
    w->id = id;
    w->stream = state_;
    w->spec = spec;
    w->next_rev = spec.start_rev > 0 ? spec.start_rev : cur + 1;
    WatchResponse created;
    created.watch_id = id;
    created.revision = cur;
    created.created = true;
    s.PushControl(std::move(created));
    WatchableStore::Watcher* raw = w.get();
    s.watchers[id] = raw;
    (raw->next_rev > cur ? store_->synced_ : store_->unsynced_).insert(raw);
    store_->all_[raw] = std::move(w);
  }
  store_->sync_wake_.notify_one();
  return id;
}

bool WatchStream::Cancel(int64_t id) {
  const int64_t cur = store_->kv_->Rev();
  {
    std::lock_guard lock(store_->mu_);
    auto it = state_->watchers.find(id);
    if (it == state_->watchers.end()) return false;
    store_->Remove(it->second);
    WatchResponse canceled;
    canceled.watch_id = id;
    canceled.revision = cur;
    canceled.canceled = true;
    state_->PushControl(std::move(canceled));
  }
  state_->on_ready();
  return true;
}

void WatchStream::RequestProgress() {
  WatchResponse progress;
  progress.watch_id = -1;
  progress.revision = store_->kv_->Rev();
  state_->PushControl(std::move(progress));
  state_->on_ready();
}

std::optional<WatchResponse> WatchStream::Next() {
  std::lock_guard lock(state_->mu);
  if (state_->queue.empty()) return std::nullopt;
  WatchResponse r = std::move(state_->queue.front());
  state_->queue.pop_front();
  if (!r.events.empty()) --state_->events_queued;
  return r;
}

// ---- WatchableStore ----

WatchableStore::WatchableStore(KvStore* kv, std::chrono::milliseconds sync_interval,
                               std::chrono::milliseconds progress_interval)
    : kv_(kv), sync_interval_(sync_interval), progress_interval_(progress_interval) {
  kv_->SetWriteObserver(
      [this](int64_t rev, const std::vector<mvccpb::Event>& changes) { Notify(rev, changes); });
  sync_thread_ = std::thread([this] { SyncLoop(); });
}

WatchableStore::~WatchableStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  sync_wake_.notify_all();
  sync_thread_.join();
  kv_->SetWriteObserver(nullptr);
}

std::unique_ptr<WatchStream> WatchableStore::NewStream(std::function<void()> on_ready,
                                                       size_t capacity) {
  auto state = std::make_shared<WatchStream::State>(std::move(on_ready), std::max<size_t>(capacity, 1));
  return std::unique_ptr<WatchStream>(new WatchStream(this, std::move(state)));
}

std::pair<size_t, size_t> WatchableStore::WatcherCounts() const {
  std::lock_guard lock(mu_);
  return {synced_.size(), unsynced_.size()};
}

void WatchableStore::Remove(Watcher* w) {
  synced_.erase(w);
  unsynced_.erase(w);
  w->stream->watchers.erase(w->id);
  all_.erase(w);
}

void WatchableStore::Notify(int64_t rev, const std::vector<mvccpb::Event>& changes) {
  std::vector<std::shared_ptr<WatchStream::State>> ready;
  {
    std::lock_guard lock(mu_);
    for (auto it = synced_.begin(); it != synced_.end();) {
      Watcher* w = *it;
      if (rev < w->next_rev) {  // starts at a future revision
        ++it;
        continue;
      }
      WatchResponse r;
      r.watch_id = w->id;
      r.revision = rev;
      for (const mvccpb::Event& ev : changes) {
        if (w->Matches(ev)) r.events.push_back(ev);
      }
      if (r.events.empty()) {
        w->next_rev = rev + 1;
        ++it;
        continue;
      }
      if (w->stream->TryPushEvents(std::move(r))) {
        w->next_rev = rev + 1;
        w->last_sent = std::chrono::steady_clock::now();
        ready.push_back(w->stream);
        ++it;
      } else {
        // The stream's reader is slow: this watcher catches up from history later.
        w->next_rev = rev;
        unsynced_.insert(w);
        it = synced_.erase(it);
      }
    }
    // The stream callbacks may read the store, which is locked for writing now: the sync
    // thread calls them.
    pending_ready_.insert(pending_ready_.end(), ready.begin(), ready.end());
  }
  if (!ready.empty()) sync_wake_.notify_one();
}

void WatchableStore::Wake(const std::vector<std::shared_ptr<WatchStream::State>>& streams) {
  std::set<WatchStream::State*> seen;
  for (const auto& s : streams) {
    if (seen.insert(s.get()).second) s->on_ready();
  }
}

void WatchableStore::SyncLoop() {
  using SteadyClock = std::chrono::steady_clock;
  auto next_sync = SteadyClock::now();
  // Progress is checked a few times per interval, so a notification is at most that late.
  const auto progress_check = std::max<std::chrono::milliseconds>(progress_interval_ / 4,
                                                                  std::chrono::milliseconds(10));
  auto next_progress = SteadyClock::now() + progress_check;
  while (true) {
    std::vector<std::shared_ptr<WatchStream::State>> ready;
    bool sync_due, progress_due;
    {
      std::unique_lock lock(mu_);
      // A watcher that falls behind while none was behind is synced at once; after that, at
      // most every sync interval.
      const bool none_behind = unsynced_.empty();
      const auto until = none_behind ? next_progress : std::min(next_sync, next_progress);
      auto due = [&] {
        return !unsynced_.empty() && (none_behind || SteadyClock::now() >= next_sync);
      };
      sync_wake_.wait_until(lock, until,
                            [&] { return stopping_ || !pending_ready_.empty() || due(); });
      if (stopping_) return;
      ready.swap(pending_ready_);
      sync_due = due();
      progress_due = SteadyClock::now() >= next_progress;
    }
    Wake(ready);
    if (sync_due) {
      SyncUnsynced();
      next_sync = SteadyClock::now() + sync_interval_;
    }
    if (progress_due) {
      NotifyProgress();
      next_progress = SteadyClock::now() + progress_check;
    }
  }
}

void WatchableStore::NotifyProgress() {
  std::vector<std::shared_ptr<WatchStream::State>> ready;
  {
    // Under the read lock, no event newer than `rev` can be queued before the notification.
    auto read = kv_->Read();
    const int64_t rev = read->Rev();
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    for (Watcher* w : synced_) {
      if (!w->spec.progress_notify || now - w->last_sent < progress_interval_) continue;
      WatchResponse r;
      r.watch_id = w->id;
      r.revision = rev;
      w->stream->PushControl(std::move(r));
      w->last_sent = now;
      ready.push_back(w->stream);
    }
  }
  Wake(ready);
}

void WatchableStore::Restored() {
  {
    std::lock_guard lock(mu_);
    unsynced_.insert(synced_.begin(), synced_.end());
    synced_.clear();
  }
  sync_wake_.notify_one();
}

void WatchableStore::SyncUnsynced() {
  std::vector<std::shared_ptr<WatchStream::State>> ready;
  {
    // The read lock keeps writers out: when a watcher has every change up to `cur`, it can join
    // the synced set before the next change is notified.
    auto read = kv_->Read();
    const int64_t cur = read->Rev();
    const int64_t compacted = read->CompactRev();
    std::lock_guard lock(mu_);
    std::vector<Watcher*> todo;
    int64_t min_rev = cur + 1;
    for (auto it = unsynced_.begin(); it != unsynced_.end();) {
      Watcher* w = *it++;
      if (w->next_rev <= compacted) {
        WatchResponse r;
        r.watch_id = w->id;
        r.revision = cur;
        r.compact_revision = compacted;
        r.canceled = true;
        w->stream->PushControl(std::move(r));
        ready.push_back(w->stream);
        Remove(w);
        continue;
      }
      if (!w->stream->HasRoom()) continue;
      todo.push_back(w);
      min_rev = std::min(min_rev, w->next_rev);
    }
    const int64_t last_rev = std::min(cur, min_rev + kSyncBatchRevisions - 1);
    std::vector<mvccpb::Event> history;
    if (!todo.empty() && min_rev <= last_rev) {
      absl::Status s = read->Changes(min_rev, [&](mvccpb::Event& ev) {
        if (ev.kv().mod_revision() > last_rev) return false;
        history.push_back(std::move(ev));
        return true;
      });
      if (!s.ok()) {
        LOG(WARNING) << "watch: cannot read history from revision " << min_rev << ": " << s;
        return;
      }
    }
    for (Watcher* w : todo) {
      // Group this watcher's events by revision, from its next revision on.
      auto ev = std::lower_bound(history.begin(), history.end(), w->next_rev,
                                 [](const mvccpb::Event& e, int64_t rev) {
                                   return e.kv().mod_revision() < rev;
                                 });
      bool full = false;
      while (ev != history.end() && !full) {
        const int64_t rev = ev->kv().mod_revision();
        WatchResponse r;
        r.watch_id = w->id;
        r.revision = rev;
        for (; ev != history.end() && ev->kv().mod_revision() == rev; ++ev) {
          if (w->Matches(*ev)) r.events.push_back(*ev);
        }
        if (r.events.empty()) continue;
        if (w->stream->TryPushEvents(std::move(r))) {
          w->next_rev = rev + 1;
          w->last_sent = std::chrono::steady_clock::now();
          ready.push_back(w->stream);
        } else {
          w->next_rev = rev;
          full = true;
        }
      }
      if (!full) w->next_rev = std::max(w->next_rev, last_rev + 1);
      if (w->next_rev > cur) {
        unsynced_.erase(w);
        synced_.insert(w);
      }
    }
  }
  Wake(ready);
}

}  // namespace etcd::mvcc
