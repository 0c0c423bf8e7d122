// An indexed min-heap of (lease ID, time): at most one entry per lease, so a renewal moves the
// lease's entry instead of adding one (etcd's LeaseExpiredNotifier in lease_queue.go).
// Upsert, Remove and Pop are O(log n); Top is O(1). Ties on time are broken by ID so that the
// order is deterministic.
//
// Not thread-safe: the Lessor guards it with its mutex.
#ifndef ETCD_LEASE_INTERNAL_LEASE_QUEUE_H_
#define ETCD_LEASE_INTERNAL_LEASE_QUEUE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace etcd::lease::internal {

class LeaseQueue {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Item {
    int64_t id;
    TimePoint time;
  };

  // Adds the lease with `time`, or moves its entry to `time` if it has one.
  void Upsert(int64_t id, TimePoint time);
  // Removes the lease's entry; false if it had none.
  bool Remove(int64_t id);
  // The entry with the smallest time. REQUIRES: !empty().
  const Item& Top() const { return heap_[0]; }
  // Removes and returns Top(). REQUIRES: !empty().
  Item Pop();
  bool Contains(int64_t id) const { return pos_.contains(id); }
  void Clear();

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }

 private:
  static bool Less(const Item& a, const Item& b) {
    return a.time < b.time || (a.time == b.time && a.id < b.id);
  }
  void Place(size_t i);  // updates pos_ for heap_[i]
  void Swap(size_t i, size_t j);
  void Up(size_t i);
  void Down(size_t i);
  void Fix(size_t i);

  std::vector<Item> heap_;
  // Invariant: pos_[heap_[i].id] == i for every i, and pos_ has no other entries.
  absl::flat_hash_map<int64_t, size_t> pos_;
};

}  // namespace etcd::lease::internal

#endif  // ETCD_LEASE_INTERNAL_LEASE_QUEUE_H_
