#include "lease/lessor.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "glog/logging.h"
#include "lease/leasepb/lease.pb.h"

namespace etcd::lease {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr char kNotFoundMsg[] = "lease not found";
constexpr char kExistsMsg[] = "lease already exists";
constexpr char kTooLargeMsg[] = "too large lease TTL";
constexpr char kNotPrimaryMsg[] = "not a primary lessor";
constexpr char kExpiredMsg[] = "lease expired";

// t + d, saturating at kForever (a TTL of kMaxLeaseTTL seconds is 9e18 ns: close to the limit).
TimePoint Add(TimePoint t, nanoseconds d) {
  if (t == kForever) return kForever;
  if (d.count() > 0 && d > kForever - t) return kForever;
  return t + d;
}

nanoseconds Seconds(int64_t s) {
  // Saturate: seconds(9e9) fits in int64 nanoseconds, larger values might not.
  if (s > kMaxLeaseTTL) return nanoseconds::max();
  return seconds(s);
}

std::string IdKey(int64_t id) {
  std::string key(8, '\0');
  uint64_t u = static_cast<uint64_t>(id);
  for (int i = 7; i >= 0; --i) {
    key[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return key;
}

int64_t KeyId(std::string_view key) {
  uint64_t u = 0;
  for (char c : key) u = (u << 8) | static_cast<uint8_t>(c);
  return static_cast<int64_t>(u);
}

// Debian's Abseil has its own string_view, which its hash containers need for lookups.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool Is(const absl::Status& s, absl::StatusCode code, const char* msg) {
  return s.code() == code && s.message() == msg;
}

}  // namespace

absl::Status LeaseNotFoundError() { return absl::NotFoundError(kNotFoundMsg); }
absl::Status LeaseExistsError() { return absl::AlreadyExistsError(kExistsMsg); }
absl::Status LeaseTTLTooLargeError() { return absl::InvalidArgumentError(kTooLargeMsg); }
absl::Status NotPrimaryError() { return absl::FailedPreconditionError(kNotPrimaryMsg); }
absl::Status LeaseExpiredError() { return absl::UnavailableError(kExpiredMsg); }
bool IsLeaseNotFound(const absl::Status& s) {
  return Is(s, absl::StatusCode::kNotFound, kNotFoundMsg);
}
bool IsLeaseExists(const absl::Status& s) {
  return Is(s, absl::StatusCode::kAlreadyExists, kExistsMsg);
}
bool IsLeaseTTLTooLarge(const absl::Status& s) {
  return Is(s, absl::StatusCode::kInvalidArgument, kTooLargeMsg);
}
bool IsNotPrimary(const absl::Status& s) {
  return Is(s, absl::StatusCode::kFailedPrecondition, kNotPrimaryMsg);
}
bool IsLeaseExpired(const absl::Status& s) {
  return Is(s, absl::StatusCode::kUnavailable, kExpiredMsg);
}

int64_t MinLeaseTTLSeconds(int election_ticks, std::chrono::milliseconds heartbeat_interval) {
  // etcd: time.Duration((3*cfg.ElectionTicks)/2) * heartbeat, then math.Ceil of the seconds.
  // The integer division of ticks is etcd's.
  int64_t ms = static_cast<int64_t>((3 * election_ticks) / 2) * heartbeat_interval.count();
  return (ms + 999) / 1000;
}

// ---- Lessor ----

Lessor::Lessor(mvcc::Backend* backend, const LessorOptions& options)
    : options_(options), backend_(backend) {}

absl::StatusOr<std::unique_ptr<Lessor>> Lessor::Open(mvcc::Backend* backend,
                                                     const LessorOptions& options) {
  CHECK_GT(options.expired_retry_interval.count(), 0) << "lease: expired_retry_interval <= 0";
  CHECK_GE(options.min_ttl_seconds, 0);
  CHECK_GT(options.revoke_rate, 0) << "lease: revoke_rate <= 0";
  std::unique_ptr<Lessor> lessor(new Lessor(backend, options));
  absl::Status s = lessor->Recover(backend, TimePoint{});
  if (!s.ok()) return s;
  return lessor;
}

absl::Status Lessor::Recover(mvcc::Backend* backend, TimePoint now) {
  absl::MutexLock lock(&mu_);
  backend_ = backend;
  leases_.clear();
  item_map_.clear();
  expiry_queue_.Clear();
  checkpoint_queue_ = {};
  pending_resets_.clear();
  absl::Status s = LoadLocked(now);
  if (!s.ok()) {
    leases_.clear();
    expiry_queue_.Clear();
    checkpoint_queue_ = {};
  }
  return s;
}

absl::Status Lessor::LoadLocked(TimePoint now) {
  if (backend_ == nullptr) return absl::OkStatus();
  absl::Status bad;
  absl::Status scan = backend_->Scan(
      mvcc::Bucket::kLease, "", "", [&](std::string_view k, std::string_view v) {
        leasepb::Lease record;
        if (k.size() != 8 || !record.ParseFromArray(v.data(), static_cast<int>(v.size())) ||
            record.id() != KeyId(k) || record.id() == kNoLease) {
          bad = absl::DataLossError(absl::StrCat("lease: bad lease record for key of ",
                                                 k.size(), " bytes (id ", KeyId(k), ")"));
          return false;
        }
        Lease& lease = leases_[record.id()];
        lease.ttl = std::max(record.ttl(), options_.min_ttl_seconds);
        lease.remaining_ttl = record.remainingttl();
        return true;
      });
  if (!scan.ok()) return scan;
  if (!bad.ok()) return bad;
  if (primary_) {
    for (auto& [id, lease] : leases_) {
      RefreshLocked(id, lease, now, nanoseconds(0));
      ScheduleCheckpointLocked(id, lease, now);
    }
  }
  LOG_IF(INFO, !leases_.empty()) << "lease: recovered " << leases_.size() << " leases from "
                                 << backend_->dir();
  return absl::OkStatus();
}

absl::Status Lessor::PersistLocked(int64_t id, const Lease& lease, mvcc::WriteBatch* batch) {
  if (batch == nullptr && backend_ == nullptr) return absl::OkStatus();
  leasepb::Lease record;
  record.set_id(id);
  record.set_ttl(lease.ttl);
  record.set_remainingttl(lease.remaining_ttl);
  std::string value = record.SerializeAsString();
  if (batch != nullptr) {
    batch->Put(mvcc::Bucket::kLease, IdKey(id), value);
    return absl::OkStatus();
  }
  mvcc::WriteBatch own;
  own.Put(mvcc::Bucket::kLease, IdKey(id), value);
  return backend_->Write(own);
}

void Lessor::RefreshLocked(int64_t id, Lease& lease, TimePoint now, nanoseconds extend) {
  lease.expiry = Add(Add(now, extend), Seconds(lease.RefreshTTL()));
  expiry_queue_.Upsert(id, lease.expiry);
}

void Lessor::ScheduleCheckpointLocked(int64_t id, const Lease& lease, TimePoint now) {
  if (!options_.enable_checkpoint || !primary_) return;
  if (lease.RefreshTTL() > options_.checkpoint_interval.count()) {
    checkpoint_queue_.emplace(Add(now, options_.checkpoint_interval), id);
  }
}

absl::StatusOr<LeaseInfo> Lessor::Grant(int64_t id, int64_t ttl_seconds, TimePoint now,
                                        mvcc::WriteBatch* batch) {
  if (id == kNoLease) return LeaseNotFoundError();
  if (ttl_seconds > kMaxLeaseTTL) return LeaseTTLTooLargeError();
  absl::MutexLock lock(&mu_);
  if (leases_.contains(id)) return LeaseExistsError();
  Lease lease;
  lease.ttl = std::max(ttl_seconds, options_.min_ttl_seconds);
  absl::Status s = PersistLocked(id, lease, batch);
  if (!s.ok()) return s;
  Lease& stored = leases_[id] = std::move(lease);
  if (primary_) {
    RefreshLocked(id, stored, now, nanoseconds(0));
    ScheduleCheckpointLocked(id, stored, now);
  }
  return Info(id, stored, now);
}

absl::StatusOr<std::vector<std::string>> Lessor::Revoke(int64_t id, mvcc::WriteBatch* batch) {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return LeaseNotFoundError();
  if (batch != nullptr) {
    batch->Delete(mvcc::Bucket::kLease, IdKey(id));
  } else if (backend_ != nullptr) {
    mvcc::WriteBatch own;
    own.Delete(mvcc::Bucket::kLease, IdKey(id));
    absl::Status s = backend_->Write(own);
    if (!s.ok()) return s;
  }
  std::vector<std::string> keys;
  keys.reserve(it->second.keys.size());
  for (const std::string& key : it->second.keys) {
    item_map_.erase(key);
    keys.push_back(key);
  }
  leases_.erase(it);
  expiry_queue_.Remove(id);
  pending_resets_.erase(id);
  return keys;
}

absl::Status Lessor::Checkpoint(int64_t id, int64_t remaining_ttl, TimePoint now,
                                mvcc::WriteBatch* batch) {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return absl::OkStatus();
  Lease& lease = it->second;
  lease.remaining_ttl = remaining_ttl;
  if (options_.checkpoint_persist) {
    absl::Status s = PersistLocked(id, lease, batch);
    if (!s.ok()) return s;
  }
  ScheduleCheckpointLocked(id, lease, now);
  return absl::OkStatus();
}

absl::Status Lessor::Attach(int64_t id, std::string_view key) {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return LeaseNotFoundError();
  auto [item, inserted] = item_map_.try_emplace(AbslView(key), id);
  if (!inserted && item->second != id) {
    auto old = leases_.find(item->second);
    if (old != leases_.end()) old->second.keys.erase(std::string(key));
    item->second = id;
  }
  it->second.keys.emplace(key);
  return absl::OkStatus();
}

absl::Status Lessor::Detach(int64_t id, std::string_view key) {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return LeaseNotFoundError();
  auto item = item_map_.find(AbslView(key));
  if (item != item_map_.end() && item->second == id) {
    item_map_.erase(item);
    it->second.keys.erase(std::string(key));
  }
  return absl::OkStatus();
}

int64_t Lessor::GetLease(std::string_view key) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = item_map_.find(AbslView(key));
  return it == item_map_.end() ? kNoLease : it->second;
}

absl::StatusOr<int64_t> Lessor::Renew(int64_t id, TimePoint now) {
  absl::MutexLock lock(&mu_);
  if (!primary_) return NotPrimaryError();
  auto it = leases_.find(id);
  if (it == leases_.end()) return LeaseNotFoundError();
  Lease& lease = it->second;
  if (lease.expiry <= now) return LeaseExpiredError();
  // etcd clears the checkpoint through Raft before it refreshes, so a renewal always restarts
  // the full TTL; the reset is replicated with the next CheckpointsDue.
  if (options_.enable_checkpoint && lease.remaining_ttl > 0) pending_resets_.insert(id);
  lease.expiry = Add(now, Seconds(lease.ttl));
  expiry_queue_.Upsert(id, lease.expiry);
  return lease.ttl;
}

std::vector<int64_t> Lessor::ExpiredLeases(TimePoint now, size_t limit) {
  std::vector<int64_t> expired;
  absl::MutexLock lock(&mu_);
  if (!primary_) return expired;
  while (expired.size() < limit && !expiry_queue_.empty()) {
    internal::LeaseQueue::Item top = expiry_queue_.Top();
    if (top.time > now) break;
    // Report it again later if its revoke never comes (the proposal may be lost).
    expiry_queue_.Upsert(top.id, Add(now, options_.expired_retry_interval));
    auto it = leases_.find(top.id);
    if (it != leases_.end() && it->second.expiry <= now) expired.push_back(top.id);
  }
  return expired;
}

std::vector<LeaseCheckpoint> Lessor::CheckpointsDue(TimePoint now, size_t limit) {
  std::vector<LeaseCheckpoint> due;
  absl::MutexLock lock(&mu_);
  if (!primary_ || !options_.enable_checkpoint) return due;
  while (due.size() < limit && !pending_resets_.empty()) {
    int64_t id = *pending_resets_.begin();
    pending_resets_.erase(pending_resets_.begin());
    if (leases_.contains(id)) due.push_back({id, 0});
  }
  while (due.size() < limit && !checkpoint_queue_.empty()) {
    auto [time, id] = checkpoint_queue_.top();
    if (time > now) break;
    checkpoint_queue_.pop();
    auto it = leases_.find(id);
    if (it == leases_.end()) continue;
    const Lease& lease = it->second;
    if (now >= lease.expiry) continue;
    // etcd: math.Ceil of the seconds left.
    nanoseconds left = lease.expiry - now;
    int64_t remaining = (left.count() + 999'999'999) / 1'000'000'000;
    if (remaining >= lease.ttl) continue;
    due.push_back({id, remaining});
  }
  return due;
}

void Lessor::Promote(TimePoint now, nanoseconds extend) {
  absl::MutexLock lock(&mu_);
  primary_ = true;
  expiry_queue_.Clear();
  checkpoint_queue_ = {};
  for (auto& [id, lease] : leases_) {
    RefreshLocked(id, lease, now, extend);
    ScheduleCheckpointLocked(id, lease, now);
  }
  if (!leases_.empty() && leases_.size() >= static_cast<size_t>(options_.revoke_rate)) {
    SpreadExpiriesLocked(now, extend);
  }
  LOG_IF(INFO, !leases_.empty()) << "lease: promoted to primary; " << leases_.size()
                                 << " leases refreshed";
}

// etcd's Promote: after a leader change all leases get new expiries at once, and leases that
// were due in the same second would then all expire in the same second, beyond the revoke rate.
// Walk them in expiry order; within each one-second window, once 3/4 of the revoke rate is
// reached, push the rest back in proportion.
void Lessor::SpreadExpiriesLocked(TimePoint now, nanoseconds extend) {
  std::vector<std::pair<TimePoint, int64_t>> order;
  order.reserve(leases_.size());
  for (const auto& [id, lease] : leases_) order.emplace_back(lease.expiry, id);
  std::sort(order.begin(), order.end());
  const nanoseconds kSecond = seconds(1);
  nanoseconds base_window = order.front().first - now;
  nanoseconds next_window = base_window + kSecond;
  int64_t expires = 0;
  const int64_t target = std::max<int64_t>(1, (3 * static_cast<int64_t>(options_.revoke_rate)) / 4);
  for (const auto& [expiry, id] : order) {
    nanoseconds remaining = expiry - now;
    if (remaining > next_window) {
      base_window = remaining;
      next_window = base_window + kSecond;
      expires = 1;
      continue;
    }
    ++expires;
    if (expires <= target) continue;
    double rate_delay = static_cast<double>(kSecond.count()) *
                        (static_cast<double>(expires) / static_cast<double>(target));
    // Leases already n seconds past the window's start are pushed back by that much less.
    rate_delay -= static_cast<double>((remaining - base_window).count());
    nanoseconds delay(static_cast<int64_t>(rate_delay));
    next_window = base_window + delay;
    Lease& lease = leases_[id];
    RefreshLocked(id, lease, now, delay + extend);
    ScheduleCheckpointLocked(id, lease, now);
  }
}

void Lessor::Demote() {
  absl::MutexLock lock(&mu_);
  primary_ = false;
  for (auto& [id, lease] : leases_) lease.expiry = kForever;
  expiry_queue_.Clear();
  checkpoint_queue_ = {};
  pending_resets_.clear();
}

bool Lessor::IsPrimary() const {
  absl::ReaderMutexLock lock(&mu_);
  return primary_;
}

LeaseInfo Lessor::Info(int64_t id, const Lease& lease, TimePoint now) {
  LeaseInfo info;
  info.id = id;
  info.granted_ttl = lease.ttl;
  info.remaining_ttl = lease.remaining_ttl;
  info.expiry = lease.expiry;
  info.remaining = lease.expiry == kForever ? nanoseconds::max() : lease.expiry - now;
  info.ttl = std::chrono::duration_cast<seconds>(info.remaining).count();
  info.keys.assign(lease.keys.begin(), lease.keys.end());
  return info;
}

std::optional<LeaseInfo> Lessor::Lookup(int64_t id, TimePoint now) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return std::nullopt;
  return Info(id, it->second, now);
}

bool Lessor::Contains(int64_t id) const {
  absl::ReaderMutexLock lock(&mu_);
  return leases_.contains(id);
}

std::vector<LeaseInfo> Lessor::Leases(TimePoint now) const {
  std::vector<LeaseInfo> out;
  absl::ReaderMutexLock lock(&mu_);
  out.reserve(leases_.size());
  for (const auto& [id, lease] : leases_) out.push_back(Info(id, lease, now));
  std::sort(out.begin(), out.end(), [](const LeaseInfo& a, const LeaseInfo& b) {
    return a.expiry < b.expiry || (a.expiry == b.expiry && a.id < b.id);
  });
  return out;
}

size_t Lessor::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return leases_.size();
}

}  // namespace etcd::lease
