#include "lease/internal/lease_queue.h"

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace etcd::lease::internal {
namespace {

using TimePoint = LeaseQueue::TimePoint;
TimePoint At(int64_t ms) { return TimePoint{} + std::chrono::milliseconds(ms); }

TEST(LeaseQueueTest, PopsInTimeOrderThenIdOrder) {
  LeaseQueue q;
  q.Upsert(3, At(30));
  q.Upsert(1, At(10));
  q.Upsert(2, At(10));
  q.Upsert(4, At(5));
  EXPECT_EQ(q.size(), 4u);
  std::vector<int64_t> order;
  while (!q.empty()) order.push_back(q.Pop().id);
  EXPECT_EQ(order, (std::vector<int64_t>{4, 1, 2, 3}));
}

TEST(LeaseQueueTest, UpsertMovesTheOneEntryOfALease) {
  LeaseQueue q;
  q.Upsert(1, At(10));
  q.Upsert(2, At(20));
  q.Upsert(1, At(30));  // renewed: later than 2
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.Top().id, 2);
  q.Upsert(1, At(1));  // and earlier again
  EXPECT_EQ(q.Top().id, 1);
  EXPECT_EQ(q.Top().time, At(1));
}

TEST(LeaseQueueTest, Remove) {
  LeaseQueue q;
  for (int i = 1; i <= 5; ++i) q.Upsert(i, At(i));
  EXPECT_TRUE(q.Remove(1));
  EXPECT_TRUE(q.Remove(4));
  EXPECT_FALSE(q.Remove(4));
  EXPECT_FALSE(q.Contains(4));
  EXPECT_TRUE(q.Contains(5));
  std::vector<int64_t> order;
  while (!q.empty()) order.push_back(q.Pop().id);
  EXPECT_EQ(order, (std::vector<int64_t>{2, 3, 5}));
}

// Random upserts and removes against a reference map; the heap must always agree.
TEST(LeaseQueueTest, MatchesAReferenceUnderRandomOperations) {
  std::mt19937_64 rng(42);
  LeaseQueue q;
  std::map<int64_t, int64_t> ref;  // id -> ms
  for (int step = 0; step < 20000; ++step) {
    int64_t id = static_cast<int64_t>(rng() % 500) + 1;
    int op = static_cast<int>(rng() % 4);
    if (op < 3) {
      int64_t ms = static_cast<int64_t>(rng() % 100000);
      q.Upsert(id, At(ms));
      ref[id] = ms;
    } else {
      EXPECT_EQ(q.Remove(id), ref.erase(id) == 1);
    }
    ASSERT_EQ(q.size(), ref.size());
    if (!ref.empty()) {
      auto best = std::min_element(ref.begin(), ref.end(), [](auto& a, auto& b) {
        return a.second < b.second || (a.second == b.second && a.first < b.first);
      });
      ASSERT_EQ(q.Top().id, best->first);
      ASSERT_EQ(q.Top().time, At(best->second));
    }
  }
}

}  // namespace
}  // namespace etcd::lease::internal
