#include "lease/internal/lease_queue.h"

#include <utility>

namespace etcd::lease::internal {

void LeaseQueue::Place(size_t i) { pos_[heap_[i].id] = i; }

void LeaseQueue::Swap(size_t i, size_t j) {
  std::swap(heap_[i], heap_[j]);
  Place(i);
  Place(j);
}

void LeaseQueue::Up(size_t i) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!Less(heap_[i], heap_[parent])) break;
    Swap(i, parent);
    i = parent;
  }
}

void LeaseQueue::Down(size_t i) {
  const size_t n = heap_.size();
  while (true) {
    size_t smallest = i;
    size_t left = 2 * i + 1;
    size_t right = left + 1;
    if (left < n && Less(heap_[left], heap_[smallest])) smallest = left;
    if (right < n && Less(heap_[right], heap_[smallest])) smallest = right;
    if (smallest == i) break;
    Swap(i, smallest);
    i = smallest;
  }
}

void LeaseQueue::Fix(size_t i) {
  Up(i);
  Down(i);
}

void LeaseQueue::Upsert(int64_t id, TimePoint time) {
  auto it = pos_.find(id);
  if (it != pos_.end()) {
    size_t i = it->second;
    heap_[i].time = time;
    Fix(i);
    return;
  }
  heap_.push_back(Item{id, time});
  Place(heap_.size() - 1);
  Up(heap_.size() - 1);
}

bool LeaseQueue::Remove(int64_t id) {
  auto it = pos_.find(id);
  if (it == pos_.end()) return false;
  size_t i = it->second;
  pos_.erase(it);
  size_t last = heap_.size() - 1;
  if (i != last) {
    heap_[i] = heap_[last];
    heap_.pop_back();
    Place(i);
    Fix(i);
  } else {
    heap_.pop_back();
  }
  return true;
}

LeaseQueue::Item LeaseQueue::Pop() {
  Item top = heap_[0];
  Remove(top.id);
  return top;
}

void LeaseQueue::Clear() {
  heap_.clear();
  pos_.clear();
}

}  // namespace etcd::lease::internal
