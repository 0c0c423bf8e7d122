// The in-memory index from keys to their revisions (etcd's keyIndex / treeIndex).
#ifndef ETCD_MVCC_INTERNAL_KEY_INDEX_H_
#define ETCD_MVCC_INTERNAL_KEY_INDEX_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/revision.h"

namespace etcd::mvcc::internal {

// The life of one key: a sequence of generations. A generation runs from the put that created
// the key to the delete (tombstone) that ended it; the last generation is the current one and is
// empty when the key is deleted now.
//
// Example: put@1, put@2, delete@3, put@4 gives generations {1.0, 2.0, 3.0(t)} and {4.0}.
class KeyIndex {
 public:
  // What the key looked like at some revision.
  struct Version {
    Revision modified;  // revision of the change that produced this version
    Revision created;   // revision of the put that started the generation
    int64_t version;    // 1 for the creating put, +1 per later put
  };

  // Records a put at `rev`. REQUIRES: rev is greater than every revision recorded so far.
  void Put(Revision rev);
  // Records a put restored from the backend, with the created revision and version the
  // stored KeyValue carries (they may predate a compaction that removed earlier revisions).
  void Restore(Revision rev, Revision created, int64_t version);
  // Records a delete at `rev` and closes the current generation.
  // REQUIRES: the key exists now (the current generation is not empty).
  void Tombstone(Revision rev);

  // The version of the key at main revision `at_rev`, or nullopt if the key did not exist then.
  std::optional<Version> Get(int64_t at_rev) const;

  // Drops the history at and below `at_rev` that no read at a revision >= at_rev can see: in the
  // generation alive at `at_rev`, every revision but the latest <= at_rev; every generation
  // closed at or before `at_rev`. Adds the revisions <= at_rev that stay to `keep`.
  void Compact(int64_t at_rev, std::set<Revision>* keep);

  // True when no revision is left (after compaction): the key can leave the index.
  bool Empty() const;

  // Revision of the latest change (put or delete) of the key.
  Revision modified() const { return modified_; }

 private:
  struct Generation {
    int64_t version = 0;  // version of the last put in revs
    Revision created;
    std::vector<Revision> revs;  // ascending; in a closed generation, the last is the tombstone
  };

  Revision modified_;
  // Invariant: never empty once a revision was recorded; only the last generation may be
  // empty, and only it is open (not ended by a tombstone).
  std::vector<Generation> generations_;
};

// The ordered set of all keys with their KeyIndex. Not thread-safe: the store serialises access.
class TreeIndex {
 public:
  void Put(std::string_view key, Revision rev);
  void Restore(std::string_view key, Revision rev, Revision created, int64_t version);
  void Tombstone(std::string_view key, Revision rev);

  // The version of `key` at `at_rev`, or nullopt if it did not exist then.
  std::optional<KeyIndex::Version> Get(std::string_view key, int64_t at_rev) const;

  // Calls `fn(key, version)` in key order for each key in [key, end) that existed at `at_rev`,
  // until `fn` returns false. `end` follows etcd's convention: empty means the single key `key`,
  // "\0" means every key >= `key`.
  void Visit(std::string_view key, std::string_view end, int64_t at_rev,
             const std::function<bool(const std::string&, const KeyIndex::Version&)>& fn) const;

  // Compacts every key at `at_rev` (see KeyIndex::Compact) and returns the revisions <= at_rev
  // that are still needed.
  std::set<Revision> Compact(int64_t at_rev);

  size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, KeyIndex, std::less<>> keys_;
};

}  // namespace etcd::mvcc::internal

#endif  // ETCD_MVCC_INTERNAL_KEY_INDEX_H_
