// watch, watch-get and watch-latency.
//
// Our client's watches are pulled (WatchHandle::Next), so events are read by a thread per
// watch; the time an event is read there is its arrival time.
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"
#include "cmd/benchmark/commands.h"

namespace etcd::benchmark {
namespace {

using std::chrono::milliseconds;

// The value of put number `seq`: its number in the first 8 bytes (little-endian), then
// random bytes up to `size`, so that a watcher knows which put an event comes from.
std::string SeqValue(int64_t seq, int64_t size) {
  std::string value(8, '\0');
  for (int i = 0; i < 8; ++i) value[i] = static_cast<char>((seq >> (8 * i)) & 0xff);
  if (size > 8) value += RandomBytes(size - 8);
  return value;
}

int64_t SeqOf(const std::string& value) {
  if (value.size() < 8) return -1;
  uint64_t seq = 0;
  for (int i = 0; i < 8; ++i) seq |= static_cast<uint64_t>(static_cast<uint8_t>(value[i])) << (8 * i);
  return static_cast<int64_t>(seq);
}

// Start times of the puts, by number, readable from any thread once written.
class PutTimes {
 public:
  explicit PutTimes(int64_t n) : times_(n) {}
  void Set(int64_t seq) { times_[seq].store(Clock::now().time_since_epoch().count()); }
  // The latency from put `seq`'s start to `arrival`; false for an unknown put.
  bool Latency(int64_t seq, Clock::time_point arrival, Clock::duration* latency) const {
    if (seq < 0 || seq >= static_cast<int64_t>(times_.size())) return false;
    const int64_t start = times_[seq].load();
    if (start == 0) return false;
    *latency = arrival - Clock::time_point(Clock::duration(start));
    return true;
  }

 private:
  std::vector<std::atomic<int64_t>> times_;
};

// A thread per watch that reads events until `expected` arrived on that watch or `stop` is
// set, calling on_event(event, arrival) for each. Errors end the watch's thread and are
// counted in `errors`.
class WatchReaders {
 public:
  using OnEvent = std::function<void(const mvccpb::Event&, Clock::time_point)>;
  WatchReaders(std::vector<std::unique_ptr<client::WatchHandle>>& handles, int64_t expected,
               OnEvent on_event, Report* errors) {
    for (auto& handle : handles) {
      threads_.emplace_back([this, h = handle.get(), expected, on_event, errors] {
        int64_t seen = 0;
        while (seen < expected && !stop_.load()) {
          auto response = h->Next(milliseconds(100));
          if (absl::IsDeadlineExceeded(response.status())) continue;
          if (!response.ok()) {
            if (errors != nullptr) errors->RecordError(response.status().message());
            return;
          }
          const Clock::time_point arrival = Clock::now();
          for (const mvccpb::Event& event : response->events()) {
            on_event(event, arrival);
            ++seen;
          }
        }
      });
    }
  }
  ~WatchReaders() { Join(); }
  void Stop() { stop_.store(true); }
  void Join() {
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// Counts events and lets a thread wait for a count. Thread-safe.
class Counter {
 public:
  void Add() {
    std::lock_guard lock(mu_);
    if (++count_ >= target_) cv_.notify_all();
  }
  // Waits until the count reaches `n` or `timeout` passes; false on timeout.
  bool WaitFor(int64_t n, Clock::duration timeout) {
    std::unique_lock lock(mu_);
    target_ = n;
    return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }
  int64_t count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t count_ = 0;   // guarded by mu_
  int64_t target_ = 0;  // guarded by mu_
};

// Opens `streams` watch streams (stream i on connection i % conns) and creates
// `per_stream` watches on each, the k-th of all on key_of(k), one thread per stream; each
// creation's latency goes to `report` (if any).
absl::StatusOr<std::vector<std::unique_ptr<client::WatchHandle>>> MakeWatches(
    Connections& conns, int64_t streams, int64_t per_stream,
    const std::function<std::string(int64_t)>& key_of, const client::WatchOptions& options,
    Report* report) {
  std::vector<std::unique_ptr<client::WatchStream>> stream_list;
  for (int64_t i = 0; i < streams; ++i) {
    stream_list.push_back(conns.conn(i % conns.size()).NewWatchStream());
  }
  std::vector<std::unique_ptr<client::WatchHandle>> handles(streams * per_stream);
  std::mutex mu;
  absl::Status first_error;
  std::vector<std::thread> threads;
  Progress progress(streams * per_stream);
  for (int64_t s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      for (int64_t j = 0; j < per_stream; ++j) {
        const int64_t k = s * per_stream + j;
        const Clock::time_point start = Clock::now();
        auto handle = stream_list[s]->Watch(key_of(k), options);
        if (!handle.ok()) {
          std::lock_guard lock(mu);
          if (first_error.ok()) first_error = handle.status();
          return;
        }
        if (report != nullptr) report->Record(start, Clock::now());
        handles[k] = *std::move(handle);
        progress.Add();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  if (!first_error.ok()) return first_error;
  return handles;
}

class WatchCommand : public Command {
 public:
  std::string name() const override { return "watch"; }
  std::string description() const override { return "Benchmark watch"; }
  void AddFlags(FlagSet& f) override {
    f.Int("streams", &streams_, "Total watch streams");
    f.Int("watch-per-stream", &per_stream_, "Total watchers per stream");
    f.Int("watched-key-total", &watched_keys_, "Total number of keys to be watched");
    f.Int("put-rate", &put_rate_, "Number of keys to put per second (0 is no limit)");
    f.Int("put-total", &put_total_, "Number of put requests");
    f.Int("key-size", &key_size_, "Key size of watch request");
    f.Int("key-space-size", &key_space_size_, "Maximum possible keys");
    f.Bool("sequential-keys", &sequential_keys_, "Use sequential keys");
  }
  absl::Status Run(const GlobalOptions& global, const std::vector<std::string>&) override {
    if (key_space_size_ <= 0 || watched_keys_ <= 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("expected positive --key-space-size, got (%d)", key_space_size_));
    }
    auto conns = Connections::Dial(global);
    if (!conns.ok()) return conns.status();
    std::vector<std::string> watched;
    for (int64_t i = 0; i < watched_keys_; ++i) {
      watched.push_back(VarintKey(
          sequential_keys_ ? i % key_space_size_ : RandomBelow(key_space_size_), key_size_));
    }
    std::map<std::string, int64_t> watchers_of;
    const int64_t watch_total = streams_ * per_stream_;
    for (int64_t k = 0; k < watch_total; ++k) ++watchers_of[watched[k % watched.size()]];

    Report creation(global.precise, global.sample);
    auto handles = MakeWatches(
        **conns, streams_, per_stream_, [&](int64_t k) { return watched[k % watched.size()]; },
        {}, &creation);
    if (!handles.ok()) return handles.status();
    creation.Finish();
    std::cout << "Watch creation summary:\n";
    PrintReport(creation);

    int64_t events_total = 0;
    for (int64_t i = 0; i < put_total_; ++i) events_total += watchers_of[watched[i % watched.size()]];
    Report events(global.precise, global.sample);
    PutTimes put_times(put_total_);
    Counter received;
    Progress progress(events_total);
    {
      // Each watch sees every put to its key; how many that is depends on the key.
      WatchReaders readers(
          *handles, /*expected=*/put_total_,
          [&](const mvccpb::Event& event, Clock::time_point arrival) {
            Clock::duration latency;
            if (put_times.Latency(SeqOf(event.kv().value()), arrival, &latency)) {
              events.Record(latency);
            }
            received.Add();
            progress.Add();
          },
          &events);
      Workload puts;
      puts.blocking = [&](int64_t c, int64_t seq) {
        put_times.Set(seq);
        return (*conns)
            ->conn((*conns)->of_client(c))
            .Put(watched[seq % watched.size()], SeqValue(seq, 8))
            .status();
      };
      Report put_report(global.precise, global.sample);
      events.Start();
      benchmark::Run({.clients = global.clients, .total = put_total_, .rate = put_rate_,
                      .engine = "threads"},
                     puts, put_report);
      const bool all = received.WaitFor(events_total, std::chrono::seconds(60));
      readers.Stop();
      readers.Join();
      events.Finish();
      if (!all) {
        events.RecordError(absl::StrFormat("only %d of %d events arrived within 60 s",
                                           received.count(), events_total));
        events.Finish();
      }
    }
    std::cout << "Watch events received summary:\n";
    PrintReport(events);
    return absl::OkStatus();
  }

 private:
  int64_t streams_ = 10, per_stream_ = 100, watched_keys_ = 1, put_rate_ = 0, put_total_ = 1000,
          key_size_ = 32, key_space_size_ = 1;
  bool sequential_keys_ = false;
};

class WatchLatencyCommand : public Command {
 public:
  std::string name() const override { return "watch-latency"; }
  std::string description() const override {
    return "Benchmark watch latency: from the start of a put to each watcher's receipt of its "
           "event";
  }
  void AddFlags(FlagSet& f) override {
    f.Int("streams", &streams_, "Total watch streams");
    f.Int("watchers-per-stream", &per_stream_, "Total watchers per stream");
    f.Bool("prevkv", &prev_kv_, "PrevKV enabled on watch requests");
    f.Int("put-total", &put_total_, "Total number of put requests");
    f.Int("put-rate", &put_rate_, "Number of keys to put per second");
    f.Int("key-size", &key_size_, "Key size of watch response");
    f.Int("val-size", &val_size_, "Value size of watch response");
  }
  absl::Status Run(const GlobalOptions& global, const std::vector<std::string>&) override {
    auto conns = Connections::Dial(global);
    if (!conns.ok()) return conns.status();
    auto put_client = client::Client::New(
        {.endpoints = {(*conns)->conn(0).endpoints()[0]}});
    if (!put_client.ok()) return put_client.status();
    const std::string key = RandomBytes(key_size_);
    auto handles = MakeWatches(**conns, streams_, per_stream_, [&](int64_t) { return key; },
                               {.prev_kv = prev_kv_}, nullptr);
    if (!handles.ok()) return handles.status();
    const int64_t watchers = static_cast<int64_t>(handles->size());

    Report latency(global.precise, global.sample), puts(global.precise, global.sample);
    PutTimes put_times(put_total_);
    Counter received;
    Progress progress(put_total_);
    WatchReaders readers(
        *handles, put_total_,
        [&](const mvccpb::Event& event, Clock::time_point arrival) {
          Clock::duration d;
          if (put_times.Latency(SeqOf(event.kv().value()), arrival, &d)) latency.Record(d);
          received.Add();
        },
        &latency);
    // One put at a time, paced by --put-rate; the next starts once every watcher has the
    // event of this one (as etcd 3.4's watch-latency), so each latency is one put's fan-out.
    RateLimiter limiter(put_rate_);
    latency.Start();
    puts.Start();
    absl::Status status;
    for (int64_t seq = 0; seq < put_total_; ++seq) {
      limiter.Wait();
      put_times.Set(seq);
      const Clock::time_point start = Clock::now();
      auto put = (*put_client)->Put(key, SeqValue(seq, val_size_));
      if (!put.ok()) {
        puts.RecordError(put.status().message());
        status = put.status();
        break;
      }
      puts.Record(start, Clock::now());
      if (!received.WaitFor((seq + 1) * watchers, std::chrono::seconds(30))) {
        status = absl::DeadlineExceededError(
            absl::StrFormat("put %d reached %d of %d watchers within 30 s", seq,
                            received.count() - seq * watchers, watchers));
        break;
      }
      progress.Add();
    }
    readers.Stop();
    readers.Join();
    latency.Finish();
    puts.Finish();
    PrintReport(latency);
    std::cout << "\nPut summary:\n";
    PrintReport(puts);
    return status;
  }

 private:
  int64_t streams_ = 10, per_stream_ = 10, put_total_ = 1000, put_rate_ = 100, key_size_ = 32,
          val_size_ = 32;
  bool prev_kv_ = false;
};

class WatchGetCommand : public Command {
 public:
  std::string name() const override { return "watch-get"; }
  std::string description() const override {
    return "Benchmark for serialized key gets with many unsynced watchers";
  }
  void AddFlags(FlagSet& f) override {
    f.Int("watchers", &watchers_, "Total number of watchers");
    f.Int("streams", &streams_, "Total number of watcher streams");
    f.Int("events", &events_, "Number of events per watcher");
  }
  absl::Status Run(const GlobalOptions& global, const std::vector<std::string>&) override {
    if (streams_ <= 0 || watchers_ < streams_) {
      return absl::InvalidArgumentError("--watchers must be at least --streams, which must be positive");
    }
    auto conns = Connections::Dial(global);
    if (!conns.ok()) return conns.status();
    auto get_client = client::Client::New({.endpoints = {(*conns)->conn(0).endpoints()[0]}});
    if (!get_client.ok()) return get_client.status();
    // The history the watchers replay.
    int64_t watch_revision = 0;
    for (int64_t i = 0; i < events_; ++i) {
      auto put = (*conns)->conn(0).Put("watchkey", std::to_string(i));
      if (!put.ok()) return put.status();
      if (i == 0) watch_revision = put->header().revision();
    }
    // Serializable gets while the watchers catch up.
    Report gets(global.precise, global.sample);
    std::atomic<bool> stop{false};
    std::thread getter([&] {
      while (!stop.load()) {
        const Clock::time_point start = Clock::now();
        gets.RecordOutcome(start, (*get_client)->Get("abc", {.serializable = true}).status());
      }
    });
    const int64_t per_stream = watchers_ / streams_;
    auto handles = MakeWatches(**conns, streams_, per_stream, [](int64_t) { return "watchkey"; },
                               {.start_revision = watch_revision}, nullptr);
    absl::Status status = handles.status();
    if (handles.ok()) {
      Counter received;
      WatchReaders readers(*handles, events_,
                           [&](const mvccpb::Event&, Clock::time_point) { received.Add(); },
                           nullptr);
      if (!received.WaitFor(events_ * static_cast<int64_t>(handles->size()),
                            std::chrono::seconds(60))) {
        status = absl::DeadlineExceededError("the watchers did not get every event within 60 s");
      }
      readers.Stop();
    }
    stop.store(true);
    getter.join();
    gets.Finish();
    std::cout << "Get during watch summary:\n";
    PrintReport(gets);
    return status;
  }

 private:
  int64_t watchers_ = 10000, streams_ = 1, events_ = 8;
};

}  // namespace

std::unique_ptr<Command> NewWatchCommand() { return std::make_unique<WatchCommand>(); }
std::unique_ptr<Command> NewWatchGetCommand() { return std::make_unique<WatchGetCommand>(); }
std::unique_ptr<Command> NewWatchLatencyCommand() {
  return std::make_unique<WatchLatencyCommand>();
}

std::vector<std::unique_ptr<Command>> AllCommands() {
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(NewLeaseKeepaliveCommand());
  commands.push_back(NewPutCommand());
  commands.push_back(NewRangeCommand());
  commands.push_back(NewStmCommand());
  commands.push_back(NewTxnMixedCommand());
  commands.push_back(NewTxnPutCommand());
  commands.push_back(NewWatchCommand());
  commands.push_back(NewWatchGetCommand());
  commands.push_back(NewWatchLatencyCommand());
  return commands;
}

}  // namespace etcd::benchmark
