#include "mvcc/internal/key_index.h"

#include <algorithm>
#include <cassert>

namespace etcd::mvcc::internal {

void KeyIndex::Put(Revision rev) {
  if (generations_.empty()) generations_.emplace_back();
  Generation& g = generations_.back();
  if (g.revs.empty()) g.created = rev;
  g.revs.push_back(rev);
  ++g.version;
  modified_ = rev;
}

void KeyIndex::Restore(Revision rev, Revision created, int64_t version) {
  if (generations_.empty()) generations_.emplace_back();
  Generation& g = generations_.back();
  if (g.revs.empty()) g.created = created;
  g.revs.push_back(rev);
  g.version = version;
  modified_ = rev;
}

void KeyIndex::Tombstone(Revision rev) {
  assert(!generations_.empty() && !generations_.back().revs.empty());
  Put(rev);
  generations_.emplace_back();
}

std::optional<KeyIndex::Version> KeyIndex::Get(int64_t at_rev) const {
  for (size_t i = generations_.size(); i-- > 0;) {
    const Generation& g = generations_[i];
    if (g.revs.empty() || g.revs.front().main > at_rev) continue;
    const bool closed = i + 1 < generations_.size();
    if (closed && g.revs.back().main <= at_rev) return std::nullopt;  // deleted by then
    // The latest revision of this generation at or below at_rev.
    auto it = std::upper_bound(g.revs.begin(), g.revs.end(), at_rev,
                               [](int64_t r, const Revision& rev) { return r < rev.main; });
    const size_t n = static_cast<size_t>(it - g.revs.begin()) - 1;
    const int64_t later_puts = static_cast<int64_t>(g.revs.size() - 1 - n);
    return Version{g.revs[n], g.created, g.version - later_puts};
  }
  return std::nullopt;
}

void KeyIndex::Compact(int64_t at_rev, std::set<Revision>* keep) {
  // Generations closed at or before at_rev are invisible to every read at >= at_rev.
  size_t first = 0;
  while (first + 1 < generations_.size() && !generations_[first].revs.empty() &&
         generations_[first].revs.back().main <= at_rev) {
    ++first;
  }
  generations_.erase(generations_.begin(), generations_.begin() + static_cast<long>(first));
  Generation& g = generations_.front();
  auto it = std::upper_bound(g.revs.begin(), g.revs.end(), at_rev,
                             [](int64_t r, const Revision& rev) { return r < rev.main; });
  if (it != g.revs.begin()) {
    --it;  // the latest revision <= at_rev stays: it is what a read at at_rev sees
    keep->insert(*it);
    g.revs.erase(g.revs.begin(), it);
  }
}

bool KeyIndex::Empty() const {
  return generations_.empty() || (generations_.size() == 1 && generations_[0].revs.empty());
}

void TreeIndex::Put(std::string_view key, Revision rev) {
  keys_.try_emplace(std::string(key)).first->second.Put(rev);
}

void TreeIndex::Restore(std::string_view key, Revision rev, Revision created, int64_t version) {
  keys_.try_emplace(std::string(key)).first->second.Restore(rev, created, version);
}

void TreeIndex::Tombstone(std::string_view key, Revision rev) {
  auto it = keys_.find(key);
  assert(it != keys_.end());
  it->second.Tombstone(rev);
}

std::optional<KeyIndex::Version> TreeIndex::Get(std::string_view key, int64_t at_rev) const {
  auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  return it->second.Get(at_rev);
}

void TreeIndex::Visit(
    std::string_view key, std::string_view end, int64_t at_rev,
    const std::function<bool(const std::string&, const KeyIndex::Version&)>& fn) const {
  if (end.empty()) {
    auto it = keys_.find(key);
    if (it == keys_.end()) return;
    if (auto v = it->second.Get(at_rev)) fn(it->first, *v);
    return;
  }
  const bool to_infinity = end == std::string_view("\0", 1);
  for (auto it = keys_.lower_bound(key); it != keys_.end(); ++it) {
    if (!to_infinity && std::string_view(it->first) >= end) break;
    if (auto v = it->second.Get(at_rev)) {
      if (!fn(it->first, *v)) break;
    }
  }
}

std::set<Revision> TreeIndex::Compact(int64_t at_rev) {
  std::set<Revision> keep;
  for (auto it = keys_.begin(); it != keys_.end();) {
    it->second.Compact(at_rev, &keep);
    it = it->second.Empty() ? keys_.erase(it) : std::next(it);
  }
  return keep;
}

}  // namespace etcd::mvcc::internal
