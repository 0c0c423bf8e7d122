#include "mvcc/watchable_store.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <random>
#include <thread>

namespace etcd::mvcc {
namespace {

const std::string kAll("\0", 1);

// Collects what a stream delivers, with a reader that can be slowed down or paused.
class Collector {
 public:
  void Attach(WatchStream* stream) { stream_ = stream; }
  // The stream's on_ready: drains unless paused.
  void OnReady() {
    std::lock_guard lock(mu_);
    if (paused_ || stream_ == nullptr) return;
    DrainLocked();
  }
  void Pause() {
    std::lock_guard lock(mu_);
    paused_ = true;
  }
  void Resume() {
    std::lock_guard lock(mu_);
    paused_ = false;
    DrainLocked();
  }
  // Waits until `pred(responses)` holds, at most 10 s.
  bool WaitFor(const std::function<bool(const std::vector<WatchResponse>&)>& pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return pred(got_); });
  }
  std::vector<WatchResponse> responses() {
    std::lock_guard lock(mu_);
    return got_;
  }
  // The events delivered to watcher `id`, in order.
  std::vector<mvccpb::Event> Events(int64_t id) {
    std::lock_guard lock(mu_);
    std::vector<mvccpb::Event> out;
    for (const auto& r : got_) {
      if (r.watch_id == id) out.insert(out.end(), r.events.begin(), r.events.end());
    }
    return out;
  }

 private:
  void DrainLocked() {
    while (auto r = stream_->Next()) got_.push_back(std::move(*r));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  WatchStream* stream_ = nullptr;
  bool paused_ = false;
  std::vector<WatchResponse> got_;
};

size_t EventCount(const std::vector<WatchResponse>& rs, int64_t id) {
  size_t n = 0;
  for (const auto& r : rs) {
    if (r.watch_id == id) n += r.events.size();
  }
  return n;
}

class WatchableStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    auto dir = std::filesystem::path(base ? base : "/tmp") /
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir);
    backend_ = std::move(*Backend::Open(dir.string()));
    kv_ = std::move(*KvStore::Open(backend_.get()));
    watchable_ = std::make_unique<WatchableStore>(kv_.get(), std::chrono::milliseconds(5));
  }
  void TearDown() override {
    watchable_.reset();
    kv_.reset();
    backend_.reset();
  }

  std::unique_ptr<WatchStream> NewStream(Collector* c, size_t capacity = 128) {
    auto s = watchable_->NewStream([c] { c->OnReady(); }, capacity);
    c->Attach(s.get());
    return s;
  }
  void Put(const std::string& k, const std::string& v) {
    auto t = kv_->Write();
    t->Put(k, v, 0);
    ASSERT_TRUE(t->End().ok());
  }
  void Delete(const std::string& k, const std::string& end = "") {
    auto t = kv_->Write();
    t->DeleteRange(k, end);
    ASSERT_TRUE(t->End().ok());
  }
  // Every change in [from, current] matching `key`/`end`, read back from the store.
  std::vector<mvccpb::Event> History(int64_t from, const std::string& key, const std::string& end) {
    std::vector<mvccpb::Event> out;
    auto read = kv_->Read();
    EXPECT_TRUE(read->Changes(from, [&](mvccpb::Event& ev) {
      const std::string& k = ev.kv().key();
      if (end.empty() ? k == key : (k >= key && (end == kAll || k < end))) out.push_back(ev);
      return true;
    }).ok());
    return out;
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<KvStore> kv_;
  std::unique_ptr<WatchableStore> watchable_;
};

TEST_F(WatchableStoreTest, CreatedFirstThenLiveEventsOfTheKey) {
  Collector c;
  auto s = NewStream(&c);
  auto id = s->Watch(0, {.key = "foo"});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 0);  // etcd numbers watchers from 0
  Put("foo", "1");
  Put("bar", "x");
  Delete("foo");
  ASSERT_TRUE(c.WaitFor([&](auto& rs) { return EventCount(rs, 0) == 2; }));
  auto rs = c.responses();
  ASSERT_GE(rs.size(), 3u);
  EXPECT_TRUE(rs[0].created);
  EXPECT_EQ(rs[0].revision, 1);
  EXPECT_EQ(rs[1].events[0].type(), mvccpb::Event::PUT);
  EXPECT_EQ(rs[1].events[0].kv().value(), "1");
  EXPECT_EQ(rs[1].revision, 2);
  EXPECT_EQ(rs[2].events[0].type(), mvccpb::Event::DELETE);
  EXPECT_EQ(rs[2].events[0].kv().mod_revision(), 4);
}

TEST_F(WatchableStoreTest, StartRevisionReplaysHistoryThenFollows) {
  Put("a", "1");  // 2
  Put("b", "1");  // 3
  Put("a", "2");  // 4
  Collector c;
  auto s = NewStream(&c);
  ASSERT_TRUE(s->Watch(7, {.key = "a", .end = "c", .start_rev = 3}).ok());
  ASSERT_TRUE(c.WaitFor([&](auto& rs) { return EventCount(rs, 7) == 2; }));
  Put("b", "2");  // 5
  ASSERT_TRUE(c.WaitFor([&](auto& rs) { return EventCount(rs, 7) == 3; }));
  auto ev = c.Events(7);
  EXPECT_EQ(ev[0].kv().mod_revision(), 3);
  EXPECT_EQ(ev[1].kv().mod_revision(), 4);
  EXPECT_EQ(ev[2].kv().mod_revision(), 5);
}

TEST_F(WatchableStoreTest, OneTxnIsOneResponse) {
  Collector c;
  auto s = NewStream(&c);
  ASSERT_TRUE(s->Watch(0, {.key = "k", .end = kAll}).ok());
  {
    auto t = kv_->Write();
    t->Put("k1", "v", 0);
    t->Put("k2", "v", 0);
    t->DeleteRange("k1", "");
    ASSERT_TRUE(t->End().ok());
  }
  ASSERT_TRUE(c.WaitFor([&](auto& rs) { return EventCount(rs, 0) == 3; }));
  auto rs = c.responses();
  ASSERT_EQ(rs.size(), 2u);  // created, then the txn
  EXPECT_EQ(rs[1].events.size(), 3u);
}

TEST_F(WatchableStoreTest, FiltersAndCancel) {
  Collector c;
  auto s = NewStream(&c);
  ASSERT_TRUE(s->Watch(1, {.key = "k", .no_put = true}).ok());
  ASSERT_TRUE(s->Watch(2, {.key = "k", .no_delete = true}).ok());
  EXPECT_EQ(s->Watch(2, {.key = "k"}).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s->Watch(3, {.key = "z", .end = "a"}).status().code(), absl::StatusCode::kInvalidArgument);
  Put("k", "v");
  Delete("k");
  ASSERT_TRUE(c.WaitFor([&](auto& rs) { return EventCount(rs, 1) == 1 && EventCount(rs, 2) == 1; }));
  EXPECT_EQ(c.Events(1)[0].type(), mvccpb::Event::DELETE);
  EXPECT_EQ(c.Events(2)[0].type(), mvccpb::Event::PUT);
  EXPECT_TRUE(s->Cancel(1));
  EXPECT_FALSE(s->Cancel(1));
  Put("k", "again");
  ASSERT_TRUE(c.WaitFor([&](auto& rs) { return EventCount(rs, 2) == 2; }));
  EXPECT_EQ(c.Events(1).size(), 1u);
}

TEST_F(WatchableStoreTest, CompactedStartRevisionCancelsWithCompactRevision) {
  for (int i = 0; i < 5; ++i) Put("k", std::to_string(i));  // 2..6
  ASSERT_TRUE(kv_->Compact(4).ok());
  Collector c;
  auto s = NewStream(&c);
  ASSERT_TRUE(s->Watch(0, {.key = "k", .start_rev = 3}).ok());
  ASSERT_TRUE(c.WaitFor([&](auto& rs) { return rs.size() == 2; }));
  auto rs = c.responses();
  EXPECT_TRUE(rs[1].canceled);
  EXPECT_EQ(rs[1].compact_revision, 4);
  EXPECT_TRUE(rs[1].events.empty());
  EXPECT_EQ(watchable_->WatcherCounts(), std::make_pair(size_t{0}, size_t{0}));
}

TEST_F(WatchableStoreTest, SlowReaderMissesNothingAndBlocksNoWriter) {
  Collector c;
  auto s = NewStream(&c, /*capacity=*/2);
  ASSERT_TRUE(s->Watch(0, {.key = "k", .end = kAll}).ok());
  c.Pause();
  for (int i = 0; i < 200; ++i) Put("k" + std::to_string(i % 7), std::to_string(i));  // never blocks
  EXPECT_EQ(watchable_->WatcherCounts().second, 1u);  // fell behind
  c.Resume();
  ASSERT_TRUE(c.WaitFor([&](auto& rs) { return EventCount(rs, 0) == 200; }));
  auto got = c.Events(0);
  auto want = History(2, "k", kAll);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].kv().mod_revision(), want[i].kv().mod_revision()) << i;
    EXPECT_EQ(got[i].kv().value(), want[i].kv().value()) << i;
  }
  EXPECT_EQ(watchable_->WatcherCounts(), std::make_pair(size_t{1}, size_t{0}));
}

// The guarantee test: concurrent writers (puts, deletes, txns); watchers from old revisions,
// from now, with small queues and paused readers; each sees exactly its range's history.
TEST_F(WatchableStoreTest, EveryWatcherSeesExactlyTheHistoryOfItsRange) {
  for (int i = 0; i < 50; ++i) Put("key" + std::to_string(i % 10), "seed");
  struct W {
    std::string key, end;
    int64_t start;
    size_t capacity;
  };
  const std::vector<W> specs = {
      {"key", kAll, 2, 128}, {"key3", "", 10, 1},  {"key1", "key5", 0, 4},
      {"key", kAll, 30, 2},  {"key9", "", 0, 128}, {"", kAll, 51, 1},
  };
  std::vector<std::unique_ptr<Collector>> collectors;
  std::vector<std::unique_ptr<WatchStream>> streams;
  std::vector<int64_t> starts;
  for (const W& w : specs) {
    collectors.push_back(std::make_unique<Collector>());
    streams.push_back(NewStream(collectors.back().get(), w.capacity));
    starts.push_back(w.start > 0 ? w.start : kv_->Rev() + 1);
    ASSERT_TRUE(streams.back()->Watch(0, {.key = w.key.empty() ? kAll : w.key, .end = w.end,
                                          .start_rev = w.start}).ok());
  }
  collectors[1]->Pause();
  collectors[3]->Pause();
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      for (int i = 0; i < 300; ++i) {
        const std::string k = "key" + std::to_string(rng() % 10);
        auto txn = kv_->Write();
        switch (rng() % 4) {
          case 0:
          case 1:
            txn->Put(k, std::to_string(t * 1000 + i), 0);
            break;
          case 2:
            txn->DeleteRange(k, "");
            break;
          default:
            txn->Put(k, "txn", 0);
            txn->Put("key" + std::to_string(rng() % 10) + "x", "txn", 0);
            txn->DeleteRange("key" + std::to_string(rng() % 10), "");
        }
        EXPECT_TRUE(txn->End().ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  collectors[1]->Resume();
  collectors[3]->Resume();
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string key = specs[i].key.empty() ? kAll : specs[i].key;
    const auto want = History(starts[i], key, specs[i].end);
    ASSERT_TRUE(collectors[i]->WaitFor([&](auto& rs) { return EventCount(rs, 0) >= want.size(); }))
        << "watcher " << i << " got " << collectors[i]->Events(0).size() << " of " << want.size();
    const auto got = collectors[i]->Events(0);
    ASSERT_EQ(got.size(), want.size()) << "watcher " << i;
    for (size_t e = 0; e < got.size(); ++e) {
      ASSERT_EQ(got[e].type(), want[e].type()) << "watcher " << i << " event " << e;
      ASSERT_EQ(got[e].kv().key(), want[e].kv().key()) << "watcher " << i << " event " << e;
      ASSERT_EQ(got[e].kv().mod_revision(), want[e].kv().mod_revision()) << "watcher " << i;
    }
    // All events of one revision came in one response.
    std::set<int64_t> revisions;
    for (const auto& r : collectors[i]->responses()) {
      if (r.events.empty()) continue;
      EXPECT_TRUE(revisions.insert(r.revision).second) << "revision split: " << r.revision;
      for (const auto& e : r.events) EXPECT_EQ(e.kv().mod_revision(), r.revision);
    }
  }
}

// Regression: a watcher that starts behind right after another one was caught up must not wait
// for the (long) progress interval before its own catch-up.
TEST_F(WatchableStoreTest, ABehindWatcherRightAfterASyncIsCaughtUpPromptly) {
  Put("k", "1");
  Put("k", "2");
  for (int round = 0; round < 20; ++round) {
    Collector c;
    auto s = NewStream(&c);
    ASSERT_TRUE(s->Watch(0, {.key = "k", .start_rev = 2}).ok());
    ASSERT_TRUE(c.WaitFor([&](auto& rs) { return EventCount(rs, 0) >= 2; })) << "round " << round;
  }
}

// Across a compaction: a watcher still behind the compacted revision is cancelled with the
// compaction revision, having received an exact prefix of its history; one that kept up sees it all.
TEST_F(WatchableStoreTest, CompactionCancelsWatchersBehindItAndNoOneElse) {
  Collector slow, fast;
  auto slow_stream = NewStream(&slow, /*capacity=*/1);
  auto fast_stream = NewStream(&fast);
  ASSERT_TRUE(slow_stream->Watch(0, {.key = "k", .end = kAll, .start_rev = 2}).ok());
  ASSERT_TRUE(fast_stream->Watch(0, {.key = "k", .end = kAll, .start_rev = 2}).ok());
  slow.Pause();
  for (int i = 0; i < 50; ++i) Put("k" + std::to_string(i % 5), std::to_string(i));  // 2..51
  ASSERT_TRUE(fast.WaitFor([&](auto& rs) { return EventCount(rs, 0) == 50; }));
  ASSERT_TRUE(kv_->Compact(40).ok());
  for (int i = 0; i < 10; ++i) Put("k" + std::to_string(i % 5), "after");  // 52..61
  slow.Resume();
  ASSERT_TRUE(slow.WaitFor([&](auto& rs) {
    return !rs.empty() && rs.back().canceled && rs.back().compact_revision == 40;
  }));
  const auto got = slow.Events(0);
  ASSERT_LT(got.size(), 50u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].kv().mod_revision(), static_cast<int64_t>(i) + 2) << "not a prefix at " << i;
  }
  ASSERT_TRUE(fast.WaitFor([&](auto& rs) { return EventCount(rs, 0) == 60; }));
  const auto all = fast.Events(0);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].kv().mod_revision(), static_cast<int64_t>(i) + 2);
}

}  // namespace
}  // namespace etcd::mvcc
