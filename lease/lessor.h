// The lessor: etcd v3.4's lease manager (lease/lessor.go). A lease is an ID with a TTL; keys
// attached to it are deleted when it is revoked, and the primary lessor (the Raft leader's)
// decides when a lease has expired. Grant, Revoke and Checkpoint are replicated (applied from
// Raft on every member, in log order); Renew and expiry happen on the primary only.
//
// Deterministic: no threads, no timers and no clock reads inside. Every call that needs the
// time takes `now` (a steady_clock time point); the server passes steady_clock::now() from its
// apply loop, its gRPC handlers and its lease timer, and tests pass a fake time.
//
// Thread-safety: thread-safe. One mutex guards all state, so gRPC threads may call Renew,
// Lookup and Leases while the apply loop calls Grant, Revoke, Attach and Detach. No call does
// I/O under the lock except the backend writes of Grant/Revoke/Checkpoint/Recover when they
// are given no batch.
#ifndef ETCD_LEASE_LESSOR_H_
#define ETCD_LEASE_LESSOR_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "lease/internal/lease_queue.h"
#include "mvcc/backend.h"

namespace etcd::lease {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// The expiry of a lease on a lessor that is not primary: it never expires there.
inline constexpr TimePoint kForever = TimePoint::max();
// The absence of a lease (mvccpb.KeyValue.lease == 0). Never a valid lease ID.
inline constexpr int64_t kNoLease = 0;
// etcd's MaxLeaseTTL, seconds.
inline constexpr int64_t kMaxLeaseTTL = 9000000000;

// Errors, with etcd's lessor messages (the server maps them to its client-visible ones, e.g.
// "etcdserver: requested lease not found").
absl::Status LeaseNotFoundError();     // kNotFound, "lease not found"
absl::Status LeaseExistsError();       // kAlreadyExists, "lease already exists"
absl::Status LeaseTTLTooLargeError();  // kInvalidArgument, "too large lease TTL"
absl::Status NotPrimaryError();        // kFailedPrecondition, "not a primary lessor"
// Renew of a lease that has expired but whose revoke has not been applied yet. etcd makes such
// a renewal wait until the revoke is applied (then "lease not found") or the lessor is demoted
// (then "not a primary lessor"); the server may wait the same way or answer "lease not found".
absl::Status LeaseExpiredError();  // kUnavailable, "lease expired"
bool IsLeaseNotFound(const absl::Status& s);
bool IsLeaseExists(const absl::Status& s);
bool IsLeaseTTLTooLarge(const absl::Status& s);
bool IsNotPrimary(const absl::Status& s);
bool IsLeaseExpired(const absl::Status& s);

// etcd's minimum lease TTL for a cluster (etcdserver/server.go): 1.5 election timeouts,
// rounded up to whole seconds, so that a lease cannot expire during a leader election.
// With etcd's defaults (10 ticks of 100 ms) it is 2 s.
int64_t MinLeaseTTLSeconds(int election_ticks, std::chrono::milliseconds heartbeat_interval);

struct LessorOptions {
  // Grants (and recovered leases) with a smaller TTL get this one. Seconds, >= 0.
  int64_t min_ttl_seconds = 2;
  // Lease checkpointing (etcd's --experimental-enable-lease-checkpoint, off in 3.4): the primary
  // periodically records each long lease's remaining TTL through Raft (CheckpointsDue /
  // Checkpoint), so that a new leader does not restart it from the full TTL.
  bool enable_checkpoint = false;
  // How often a lease is checkpointed (etcd's default: 5 minutes). Only leases whose remaining
  // TTL is longer than this are checkpointed.
  std::chrono::seconds checkpoint_interval = std::chrono::minutes(5);
  // Whether Checkpoint writes the remaining TTL to the backend, so it also survives restarts
  // (etcd's --experimental-enable-lease-checkpoint-persist; off in 3.4).
  bool checkpoint_persist = false;
  // ExpiredLeases reports a lease again after this long if its revoke has not been applied
  // (the proposal may have been lost). etcd: 3 s. Must be > 0.
  std::chrono::nanoseconds expired_retry_interval = std::chrono::seconds(3);
  // etcd's leaseRevokeRate, revokes per second. Promote spreads the expiries of piled-up leases
  // so that no second holds more than 3/4 of this many (the server passes rate/2 as the limit
  // of ExpiredLeases every 500 ms). > 0.
  int revoke_rate = 1000;
};

// A snapshot of one lease.
struct LeaseInfo {
  int64_t id = 0;
  // The TTL the lease was granted (after the minimum-TTL rule), seconds: LeaseTimeToLive's
  // grantedTTL.
  int64_t granted_ttl = 0;
  // Seconds left at `now`, truncated toward zero, as etcd's LeaseTimeToLive TTL. <= 0 for an
  // expired lease whose revoke is pending; about 9.2e9 on a lessor that is not primary.
  int64_t ttl = 0;
  // The last checkpointed remaining TTL, seconds; 0 if none.
  int64_t remaining_ttl = 0;
  // expiry - now; nanoseconds::max() when there is no expiry (not primary).
  std::chrono::nanoseconds remaining{0};
  TimePoint expiry = kForever;
  // The attached keys, in byte order.
  std::vector<std::string> keys;
};

// A remaining TTL to replicate through Raft (etcdserverpb.LeaseCheckpoint).
struct LeaseCheckpoint {
  int64_t id = 0;
  int64_t remaining_ttl = 0;  // seconds; 0 clears the lease's checkpoint
  bool operator==(const LeaseCheckpoint&) const = default;
};

class Lessor {
 public:
  // Opens a lessor on `backend` (not owned; must outlive the lessor; nullptr for an in-memory
  // lessor that persists nothing) and loads every lease of its lease bucket. The lessor starts
  // as a follower (not primary): recovered leases do not expire until Promote.
  // Attached keys are not stored here: the server re-attaches them from the KV store (each
  // mvccpb.KeyValue has its lease) with Attach. Errors: the backend's; kDataLoss for a lease
  // record that does not decode.
  static absl::StatusOr<std::unique_ptr<Lessor>> Open(mvcc::Backend* backend,
                                                      const LessorOptions& options = {});

  Lessor(const Lessor&) = delete;
  Lessor& operator=(const Lessor&) = delete;

  // ---- Replicated: applied from Raft on every member, in log order. ----
  //
  // `batch`: where the backend writes go. Given a batch, the lessor only adds to it and the
  // caller commits it (ideally in the same atomic write as the entry's KV changes and the
  // consistent index). Without one (nullptr), the lessor writes to its backend itself before it
  // returns. Either way the in-memory state changes at once.

  // Grants lease `id` with `ttl_seconds` (raised to the minimum TTL). On the primary it expires
  // at now + TTL; elsewhere it has no expiry until Promote. Errors: LeaseNotFoundError() for
  // id == kNoLease (as etcd), LeaseTTLTooLargeError() for ttl_seconds > kMaxLeaseTTL,
  // LeaseExistsError() if `id` exists (so re-applying the same grant changes nothing), the
  // backend's write error.
  absl::StatusOr<LeaseInfo> Grant(int64_t id, int64_t ttl_seconds, TimePoint now,
                                  mvcc::WriteBatch* batch = nullptr);

  // Removes lease `id` and returns its attached keys in byte order: the caller deletes them in
  // one mvcc write transaction, in that order (the same on every member). The keys are already
  // detached: the caller need not Detach them. Errors: LeaseNotFoundError(); the backend's.
  absl::StatusOr<std::vector<std::string>> Revoke(int64_t id, mvcc::WriteBatch* batch = nullptr);

  // Records a lease's remaining TTL (applied from a LeaseCheckpoint entry); Promote then uses
  // it instead of the full TTL. remaining_ttl 0 clears it. Written to the backend only with
  // LessorOptions::checkpoint_persist. An unknown ID is ignored (OK), as in etcd.
  absl::Status Checkpoint(int64_t id, int64_t remaining_ttl, TimePoint now,
                          mvcc::WriteBatch* batch = nullptr);

  // Attaches `key` to lease `id` (a put with that lease). A key is attached to at most one
  // lease: it is moved from any other. Not persisted (the KV store holds it). Errors:
  // LeaseNotFoundError().
  absl::Status Attach(int64_t id, std::string_view key);
  // Detaches `key` from lease `id` (a put without the lease, or a delete). A key not attached to
  // it is ignored. Errors: LeaseNotFoundError().
  absl::Status Detach(int64_t id, std::string_view key);
  // The lease `key` is attached to, kNoLease if none.
  int64_t GetLease(std::string_view key) const;

  // ---- Primary (leader) only. ----

  // Keep-alive: the lease now expires at now + TTL. Returns the TTL, seconds. With
  // checkpointing on, a lease that has a checkpointed remaining TTL gets a reset (remaining 0)
  // queued for the next CheckpointsDue. Errors: NotPrimaryError(), LeaseNotFoundError(),
  // LeaseExpiredError() (expired, revoke pending).
  absl::StatusOr<int64_t> Renew(int64_t id, TimePoint now);

  // The leases that expired at or before `now`, earliest first, at most `limit`, for the
  // server to revoke through Raft (a LeaseRevoke proposal each). A reported lease is reported
  // again after expired_retry_interval while it still exists. Empty when not primary.
  // O(k log n) for k reported.
  std::vector<int64_t> ExpiredLeases(TimePoint now, size_t limit);

  // The checkpoints due at `now` (queued resets first), at most `limit`, for the server to
  // propose as one LeaseCheckpointRequest. Empty when not primary or checkpointing is off.
  std::vector<LeaseCheckpoint> CheckpointsDue(TimePoint now, size_t limit);

  // Becomes primary (this member became leader, or started as one): every lease expires at
  // now + extend + its remaining TTL (checkpointed, else full). The server passes an election
  // timeout as `extend`, as etcd does, so clients have time to find the new leader. When at
  // least revoke_rate leases exist, expiries that pile up in one second are spread out.
  void Promote(TimePoint now, std::chrono::nanoseconds extend);
  // Stops being primary: leases no longer expire here; pending expiries and checkpoints are
  // dropped.
  void Demote();
  bool IsPrimary() const;

  // ---- Reads (any member). ----

  std::optional<LeaseInfo> Lookup(int64_t id, TimePoint now) const;
  bool Contains(int64_t id) const;
  // Every lease, earliest expiry first (ties by ID), with its keys.
  std::vector<LeaseInfo> Leases(TimePoint now) const;
  size_t size() const;

  // Replaces every lease with those stored in `backend` (after the server installs a
  // snapshot's backend; Open does this at start). Attached keys are dropped: re-attach them.
  // Stays primary if it was, with the recovered leases expiring at now + remaining TTL.
  // Errors: as Open; on error the lessor is left empty.
  absl::Status Recover(mvcc::Backend* backend, TimePoint now);

 private:
  struct Lease {
    int64_t ttl = 0;           // seconds, >= min TTL
    int64_t remaining_ttl = 0; // checkpointed, seconds; 0 = none
    TimePoint expiry = kForever;
    std::set<std::string> keys;
    // The TTL a refresh restarts from (etcd's Lease.RemainingTTL()).
    int64_t RefreshTTL() const { return remaining_ttl > 0 ? remaining_ttl : ttl; }
  };

  Lessor(mvcc::Backend* backend, const LessorOptions& options);

  absl::Status LoadLocked(TimePoint now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PersistLocked(int64_t id, const Lease& lease, mvcc::WriteBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets the lease's expiry to now + extend + RefreshTTL() and queues it for expiry.
  void RefreshLocked(int64_t id, Lease& lease, TimePoint now, std::chrono::nanoseconds extend)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleCheckpointLocked(int64_t id, const Lease& lease, TimePoint now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SpreadExpiriesLocked(TimePoint now, std::chrono::nanoseconds extend)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static LeaseInfo Info(int64_t id, const Lease& lease, TimePoint now);

  const LessorOptions options_;
  mutable absl::Mutex mu_;
  mvcc::Backend* backend_ ABSL_GUARDED_BY(mu_);
  bool primary_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<int64_t, Lease> leases_ ABSL_GUARDED_BY(mu_);
  // Invariant: item_map_[k] == id exactly when k is in leases_[id].keys.
  absl::flat_hash_map<std::string, int64_t> item_map_ ABSL_GUARDED_BY(mu_);
  // Invariant: empty unless primary_; otherwise one entry per lease, at its expiry or, once
  // reported by ExpiredLeases, at the time to report it again.
  internal::LeaseQueue expiry_queue_ ABSL_GUARDED_BY(mu_);
  // (time of the next checkpoint, lease ID); may hold stale or duplicate entries, which are
  // skipped when due (as etcd's leaseCheckpointHeap). Empty unless primary_ and checkpointing.
  using CheckpointItem = std::pair<TimePoint, int64_t>;
  std::priority_queue<CheckpointItem, std::vector<CheckpointItem>, std::greater<>>
      checkpoint_queue_ ABSL_GUARDED_BY(mu_);
  // Leases renewed while they had a checkpointed remaining TTL: a reset is to be replicated.
  std::set<int64_t> pending_resets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcd::lease

#endif  // ETCD_LEASE_LESSOR_H_
