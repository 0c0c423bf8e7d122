// Revisions of the multi-version key space, and their encoding as backend keys.
#ifndef ETCD_MVCC_REVISION_H_
#define ETCD_MVCC_REVISION_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace etcd::mvcc {

// A point in the store's history. `main` is the revision of the transaction (the etcd
// "revision" clients see; it grows by one per write transaction that changes something);
// `sub` orders the changes inside one transaction, from 0. Ordered lexicographically.
struct Revision {
  int64_t main = 0;
  int64_t sub = 0;

  friend auto operator<=>(const Revision&, const Revision&) = default;
};

// Size in bytes of an encoded revision: 8 bytes main, '_', 8 bytes sub, all big-endian so that
// byte order is revision order.
inline constexpr size_t kRevisionBytes = 17;

// Encodes `rev` as the 17-byte backend key, followed by 't' when `tombstone` (a deletion),
// as etcd's revToBytes / appendMarkTombstone do.
std::string EncodeRevision(Revision rev, bool tombstone = false);

// A decoded backend key.
struct DecodedRevision {
  Revision rev;
  bool tombstone = false;
};

// Decodes a key written by EncodeRevision; nullopt if `bytes` is not one.
std::optional<DecodedRevision> DecodeRevision(std::string_view bytes);

}  // namespace etcd::mvcc

#endif  // ETCD_MVCC_REVISION_H_
