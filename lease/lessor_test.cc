#include "lease/lessor.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lease/leasepb/lease.pb.h"
#include "mvcc/backend.h"

namespace etcd::lease {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// Fake time: an arbitrary origin, so that nothing depends on the real clock.
const TimePoint kT0 = TimePoint{} + std::chrono::hours(1000);
TimePoint At(nanoseconds d) { return kT0 + d; }

std::unique_ptr<Lessor> NewLessor(LessorOptions options = {}, mvcc::Backend* backend = nullptr) {
  auto lessor = Lessor::Open(backend, options);
  EXPECT_TRUE(lessor.ok()) << lessor.status();
  return std::move(*lessor);
}

std::unique_ptr<Lessor> NewPrimary(LessorOptions options = {}) {
  auto lessor = NewLessor(options);
  lessor->Promote(kT0, nanoseconds(0));
  return lessor;
}

TEST(LessorTest, ErrorsCarryEtcdsMessages) {
  EXPECT_EQ(LeaseNotFoundError().message(), "lease not found");
  EXPECT_EQ(LeaseExistsError().message(), "lease already exists");
  EXPECT_EQ(LeaseTTLTooLargeError().message(), "too large lease TTL");
  EXPECT_EQ(NotPrimaryError().message(), "not a primary lessor");
  EXPECT_TRUE(IsLeaseNotFound(LeaseNotFoundError()));
  EXPECT_FALSE(IsLeaseNotFound(absl::NotFoundError("other")));
}

TEST(LessorTest, MinLeaseTTLIsEtcdsRule) {
  EXPECT_EQ(MinLeaseTTLSeconds(10, milliseconds(100)), 2);   // etcd's defaults: 1.5 s -> 2
  EXPECT_EQ(MinLeaseTTLSeconds(5, milliseconds(100)), 1);    // (15/2)*100 ms = 0.7 s -> 1
  EXPECT_EQ(MinLeaseTTLSeconds(10, milliseconds(1000)), 15);
  EXPECT_EQ(MinLeaseTTLSeconds(4, milliseconds(500)), 3);
}

TEST(LessorTest, Grant) {
  auto lessor = NewPrimary({.min_ttl_seconds = 5});
  auto l = lessor->Grant(1, 10, At(seconds(1)));
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->id, 1);
  EXPECT_EQ(l->granted_ttl, 10);
  EXPECT_EQ(l->ttl, 10);
  EXPECT_EQ(l->expiry, At(seconds(11)));
  EXPECT_TRUE(l->keys.empty());

  // Below the minimum: raised to it.
  auto short_lease = lessor->Grant(2, 1, At(seconds(1)));
  ASSERT_TRUE(short_lease.ok());
  EXPECT_EQ(short_lease->granted_ttl, 5);
  auto zero = lessor->Grant(3, 0, At(seconds(1)));
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->granted_ttl, 5);

  EXPECT_TRUE(IsLeaseExists(lessor->Grant(1, 10, At(seconds(2))).status()));
  EXPECT_TRUE(IsLeaseNotFound(lessor->Grant(kNoLease, 10, kT0).status()));
  EXPECT_TRUE(IsLeaseTTLTooLarge(lessor->Grant(4, kMaxLeaseTTL + 1, kT0).status()));
  auto max = lessor->Grant(4, kMaxLeaseTTL, kT0);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->granted_ttl, kMaxLeaseTTL);
  EXPECT_EQ(lessor->size(), 4u);

  // A re-applied grant (same entry after a crash) changes nothing.
  auto before = *lessor->Lookup(1, At(seconds(3)));
  EXPECT_TRUE(IsLeaseExists(lessor->Grant(1, 10, At(seconds(3))).status()));
  EXPECT_EQ(lessor->Lookup(1, At(seconds(3)))->expiry, before.expiry);
}

TEST(LessorTest, GrantOnAFollowerHasNoExpiry) {
  auto lessor = NewLessor();
  auto l = lessor->Grant(7, 10, kT0);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->expiry, kForever);
  EXPECT_EQ(l->remaining, nanoseconds::max());
  EXPECT_TRUE(lessor->ExpiredLeases(At(std::chrono::hours(100)), 100).empty());
}

TEST(LessorTest, LookupReportsRemainingAsTimeToLive) {
  auto lessor = NewPrimary();
  ASSERT_TRUE(lessor->Grant(1, 10, kT0).ok());
  auto l = lessor->Lookup(1, At(milliseconds(3500)));
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->remaining, milliseconds(6500));
  EXPECT_EQ(l->ttl, 6);  // truncated, as etcd's int64(Remaining().Seconds())
  EXPECT_EQ(l->granted_ttl, 10);
  EXPECT_FALSE(lessor->Lookup(2, kT0).has_value());
  EXPECT_TRUE(lessor->Contains(1));
  EXPECT_FALSE(lessor->Contains(2));
}

TEST(LessorTest, AttachDetach) {
  auto lessor = NewPrimary();
  ASSERT_TRUE(lessor->Grant(1, 10, kT0).ok());
  ASSERT_TRUE(lessor->Grant(2, 10, kT0).ok());
  EXPECT_TRUE(IsLeaseNotFound(lessor->Attach(3, "k")));
  EXPECT_TRUE(IsLeaseNotFound(lessor->Detach(3, "k")));
  for (const char* k : {"c", "a", "b"}) ASSERT_TRUE(lessor->Attach(1, k).ok());
  ASSERT_TRUE(lessor->Attach(1, "a").ok());  // twice: still once
  EXPECT_EQ(lessor->Lookup(1, kT0)->keys, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(lessor->GetLease("b"), 1);
  EXPECT_EQ(lessor->GetLease("z"), kNoLease);

  // A put of "b" with lease 2: the key moves.
  ASSERT_TRUE(lessor->Attach(2, "b").ok());
  EXPECT_EQ(lessor->GetLease("b"), 2);
  EXPECT_EQ(lessor->Lookup(1, kT0)->keys, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(lessor->Lookup(2, kT0)->keys, (std::vector<std::string>{"b"}));

  // Detaching from a lease the key is not attached to changes nothing.
  ASSERT_TRUE(lessor->Detach(1, "b").ok());
  EXPECT_EQ(lessor->GetLease("b"), 2);
  ASSERT_TRUE(lessor->Detach(1, "a").ok());
  EXPECT_EQ(lessor->GetLease("a"), kNoLease);
  EXPECT_EQ(lessor->Lookup(1, kT0)->keys, (std::vector<std::string>{"c"}));
}

TEST(LessorTest, RevokeReturnsTheKeysSortedAndForgetsTheLease) {
  auto lessor = NewPrimary();
  ASSERT_TRUE(lessor->Grant(1, 10, kT0).ok());
  for (const char* k : {"foo2", "foo1", "bar"}) ASSERT_TRUE(lessor->Attach(1, k).ok());
  auto keys = lessor->Revoke(1);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, (std::vector<std::string>{"bar", "foo1", "foo2"}));
  EXPECT_FALSE(lessor->Contains(1));
  EXPECT_EQ(lessor->GetLease("foo1"), kNoLease);
  EXPECT_TRUE(IsLeaseNotFound(lessor->Revoke(1).status()));
  EXPECT_TRUE(IsLeaseNotFound(lessor->Renew(1, kT0).status()));
  // Revoked leases are not reported as expired.
  EXPECT_TRUE(lessor->ExpiredLeases(At(seconds(100)), 10).empty());
  // The ID may be granted again.
  EXPECT_TRUE(lessor->Grant(1, 10, kT0).ok());
}

TEST(LessorTest, Renew) {
  auto lessor = NewPrimary();
  ASSERT_TRUE(lessor->Grant(1, 10, kT0).ok());
  auto ttl = lessor->Renew(1, At(seconds(8)));
  ASSERT_TRUE(ttl.ok());
  EXPECT_EQ(*ttl, 10);
  EXPECT_EQ(lessor->Lookup(1, At(seconds(8)))->expiry, At(seconds(18)));
  // Not expired at 17 s any more, expired at 18 s.
  EXPECT_TRUE(lessor->ExpiredLeases(At(seconds(17)), 10).empty());
  EXPECT_EQ(lessor->ExpiredLeases(At(seconds(18)), 10), (std::vector<int64_t>{1}));
  // Expired, revoke pending: the renewal is refused.
  EXPECT_TRUE(IsLeaseExpired(lessor->Renew(1, At(seconds(18))).status()));
  EXPECT_TRUE(IsLeaseNotFound(lessor->Renew(2, kT0).status()));

  auto follower = NewLessor();
  ASSERT_TRUE(follower->Grant(1, 10, kT0).ok());
  EXPECT_TRUE(IsNotPrimary(follower->Renew(1, kT0).status()));
}

// Thousands of leases with random TTLs, grants and renewals: ExpiredLeases gives exactly the
// expired ones, earliest first, each once per retry interval.
TEST(LessorTest, ExpiryOrderWithThousandsOfLeases) {
  std::mt19937_64 rng(20240601);
  auto lessor = NewPrimary({.min_ttl_seconds = 1});
  std::map<int64_t, TimePoint> expiry;  // the model
  for (int64_t id = 1; id <= 5000; ++id) {
    TimePoint grant_at = At(milliseconds(rng() % 1000));
    int64_t ttl = static_cast<int64_t>(rng() % 600) + 1;
    ASSERT_TRUE(lessor->Grant(id, ttl, grant_at).ok());
    expiry[id] = grant_at + seconds(ttl);
  }
  // Renew a third of them at random times before they expire.
  for (int i = 0; i < 2000; ++i) {
    int64_t id = static_cast<int64_t>(rng() % 5000) + 1;
    TimePoint at = At(milliseconds(1000 + rng() % 1000));
    if (expiry[id] <= at) continue;
    auto ttl = lessor->Renew(id, at);
    ASSERT_TRUE(ttl.ok()) << ttl.status();
    expiry[id] = at + seconds(*ttl);
  }
  std::vector<std::pair<TimePoint, int64_t>> want;
  for (auto& [id, t] : expiry) want.emplace_back(t, id);
  std::sort(want.begin(), want.end());

  // Walk time forward; collect what is reported and revoke it at once (as the server would).
  std::vector<std::pair<TimePoint, int64_t>> got;
  for (TimePoint now = kT0; now <= At(seconds(700)); now += milliseconds(500)) {
    for (int64_t id : lessor->ExpiredLeases(now, 1000000)) {
      auto l = lessor->Lookup(id, now);
      ASSERT_TRUE(l.has_value());
      EXPECT_LE(l->expiry, now);
      EXPECT_GT(l->expiry, now - milliseconds(500)) << "reported late";
      got.emplace_back(l->expiry, id);
      ASSERT_TRUE(lessor->Revoke(id).ok());
    }
  }
  EXPECT_EQ(lessor->size(), 0u);
  // Within one call, earliest first; across calls, time order: so all sorted.
  EXPECT_EQ(got, want);
}

TEST(LessorTest, ExpiredLeasesLimitAndRetry) {
  auto lessor = NewPrimary({.min_ttl_seconds = 1, .expired_retry_interval = seconds(3)});
  for (int64_t id = 1; id <= 10; ++id) ASSERT_TRUE(lessor->Grant(id, id, kT0).ok());
  auto first = lessor->ExpiredLeases(At(seconds(20)), 4);
  EXPECT_EQ(first, (std::vector<int64_t>{1, 2, 3, 4}));
  auto second = lessor->ExpiredLeases(At(seconds(20)), 4);
  EXPECT_EQ(second, (std::vector<int64_t>{5, 6, 7, 8}));
  auto third = lessor->ExpiredLeases(At(seconds(20)), 4);
  EXPECT_EQ(third, (std::vector<int64_t>{9, 10}));
  EXPECT_TRUE(lessor->ExpiredLeases(At(seconds(22)), 100).empty());
  // Revokes of 1..5 applied; the rest were lost: reported again after the retry interval.
  for (int64_t id = 1; id <= 5; ++id) ASSERT_TRUE(lessor->Revoke(id).ok());
  EXPECT_EQ(lessor->ExpiredLeases(At(seconds(23)), 100),
            (std::vector<int64_t>{6, 7, 8, 9, 10}));
  EXPECT_TRUE(lessor->ExpiredLeases(At(seconds(23)), 0).empty());
}

TEST(LessorTest, PromoteAndDemote) {
  auto lessor = NewLessor({.min_ttl_seconds = 1});
  ASSERT_TRUE(lessor->Grant(1, 10, kT0).ok());
  ASSERT_TRUE(lessor->Grant(2, 20, kT0).ok());
  EXPECT_FALSE(lessor->IsPrimary());
  EXPECT_TRUE(IsNotPrimary(lessor->Renew(1, kT0).status()));

  // Becoming leader at 100 s with a 1 s extension: full TTLs from then.
  lessor->Promote(At(seconds(100)), seconds(1));
  EXPECT_TRUE(lessor->IsPrimary());
  EXPECT_EQ(lessor->Lookup(1, kT0)->expiry, At(seconds(111)));
  EXPECT_EQ(lessor->Lookup(2, kT0)->expiry, At(seconds(121)));
  auto leases = lessor->Leases(At(seconds(100)));
  ASSERT_EQ(leases.size(), 2u);
  EXPECT_EQ(leases[0].id, 1);
  EXPECT_EQ(leases[1].id, 2);
  EXPECT_EQ(lessor->ExpiredLeases(At(seconds(111)), 10), (std::vector<int64_t>{1}));

  // Losing leadership: nothing expires here any more.
  lessor->Demote();
  EXPECT_FALSE(lessor->IsPrimary());
  EXPECT_EQ(lessor->Lookup(1, kT0)->expiry, kForever);
  EXPECT_TRUE(lessor->ExpiredLeases(At(seconds(1000)), 10).empty());
  EXPECT_TRUE(IsNotPrimary(lessor->Renew(2, At(seconds(112))).status()));

  // Leader again later: leases restart from their full TTL.
  lessor->Promote(At(seconds(2000)), seconds(0));
  EXPECT_EQ(lessor->Lookup(1, kT0)->expiry, At(seconds(2010)));
  EXPECT_TRUE(lessor->ExpiredLeases(At(seconds(2009)), 10).empty());
  EXPECT_EQ(lessor->ExpiredLeases(At(seconds(2030)), 10), (std::vector<int64_t>{1, 2}));
}

// etcd's TestLessorPromote pile-up case: with at least revoke_rate leases expiring together,
// Promote spreads them so that no second holds many more than 3/4 of the rate.
TEST(LessorTest, PromoteSpreadsPiledUpExpiries) {
  const int kRate = 1000;
  auto lessor = NewLessor({.min_ttl_seconds = 1, .revoke_rate = kRate});
  for (int64_t id = 1; id <= 3000; ++id) ASSERT_TRUE(lessor->Grant(id, 10, kT0).ok());
  lessor->Promote(kT0, seconds(0));
  std::vector<TimePoint> expiries;
  for (const LeaseInfo& l : lessor->Leases(kT0)) expiries.push_back(l.expiry);
  ASSERT_EQ(expiries.size(), 3000u);
  EXPECT_EQ(expiries.front(), At(seconds(10)));  // the first 3/4 rate keep their expiry
  EXPECT_EQ(expiries[749], At(seconds(10)));
  EXPECT_GT(expiries[750], At(seconds(10)));
  // At most about 3/4 of the rate in any one-second window.
  size_t most = 0;
  for (size_t i = 0, j = 0; i < expiries.size(); ++i) {
    while (j < expiries.size() && expiries[j] < expiries[i] + seconds(1)) ++j;
    most = std::max(most, j - i);
  }
  EXPECT_LE(most, static_cast<size_t>(3 * kRate / 4 + 1));
  EXPECT_LT(expiries.back(), At(seconds(15)));

  // Fewer leases than the rate: untouched.
  auto small = NewLessor({.min_ttl_seconds = 1, .revoke_rate = kRate});
  for (int64_t id = 1; id <= 999; ++id) ASSERT_TRUE(small->Grant(id, 10, kT0).ok());
  small->Promote(kT0, seconds(0));
  for (const LeaseInfo& l : small->Leases(kT0)) EXPECT_EQ(l.expiry, At(seconds(10)));

  // A tiny rate (1/s): each lease past the first goes to its own second.
  auto tiny = NewLessor({.min_ttl_seconds = 1, .revoke_rate = 1});
  for (int64_t id = 1; id <= 3; ++id) ASSERT_TRUE(tiny->Grant(id, 10, kT0).ok());
  tiny->Promote(kT0, seconds(0));
  auto spread = tiny->Leases(kT0);
  ASSERT_EQ(spread.size(), 3u);
  EXPECT_EQ(spread[0].expiry, At(seconds(10)));
  EXPECT_EQ(spread[1].expiry, At(seconds(12)));
  EXPECT_EQ(spread[2].expiry, At(seconds(13)));
}

// The server's threads: gRPC handlers renew and look up while the apply loop grants, attaches
// and revokes, and the lease timer collects expired leases. Nothing may be lost or crash.
TEST(LessorTest, ConcurrentCallersSeeAConsistentLessor) {
  auto lessor = NewPrimary({.min_ttl_seconds = 1});
  constexpr int64_t kLeases = 200;
  for (int64_t id = 1; id <= kLeases; ++id) ASSERT_TRUE(lessor->Grant(id, 5, kT0).ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      while (!stop.load()) {
        int64_t id = static_cast<int64_t>(rng() % (2 * kLeases)) + 1;
        absl::Status s = lessor->Renew(id, kT0 + seconds(1)).status();
        EXPECT_TRUE(s.ok() || IsLeaseNotFound(s)) << s;
        auto l = lessor->Lookup(id, kT0);
        if (l.has_value()) {
          EXPECT_EQ(l->granted_ttl, 5);
        }
        (void)lessor->ExpiredLeases(kT0, 10);
      }
    });
  }
  std::mt19937_64 rng(99);
  for (int i = 0; i < 20000; ++i) {
    int64_t id = static_cast<int64_t>(rng() % (2 * kLeases)) + 1;
    if (lessor->Contains(id)) {
      // EXPECT, not ASSERT: the readers must be joined.
      EXPECT_TRUE(lessor->Attach(id, "k" + std::to_string(i % 50)).ok());
      if (i % 3 == 0) {
        EXPECT_TRUE(lessor->Revoke(id).ok());
      }
    } else {
      EXPECT_TRUE(lessor->Grant(id, 5, kT0).ok());
    }
  }
  stop = true;
  for (auto& r : readers) r.join();
  // Every attached key is on exactly the lease GetLease names.
  size_t keys = 0;
  for (const LeaseInfo& l : lessor->Leases(kT0)) {
    for (const std::string& k : l.keys) EXPECT_EQ(lessor->GetLease(k), l.id);
    keys += l.keys.size();
  }
  EXPECT_LE(keys, 50u);
}

// ---- Checkpoints ----

LessorOptions CheckpointOptions() {
  return {.min_ttl_seconds = 1, .enable_checkpoint = true, .checkpoint_interval = seconds(60)};
}

TEST(LessorTest, CheckpointsAreOffByDefault) {
  auto lessor = NewPrimary({.min_ttl_seconds = 1});
  ASSERT_TRUE(lessor->Grant(1, 3600, kT0).ok());
  EXPECT_TRUE(lessor->CheckpointsDue(At(seconds(3000)), 100).empty());
}

TEST(LessorTest, CheckpointsCarryTheRemainingTTLToTheNextLeader) {
  auto leader = NewPrimary(CheckpointOptions());
  auto follower = NewLessor(CheckpointOptions());
  for (Lessor* l : {leader.get(), follower.get()}) {
    ASSERT_TRUE(l->Grant(1, 3600, kT0).ok());
    ASSERT_TRUE(l->Grant(2, 30, kT0).ok());  // shorter than the interval: never checkpointed
  }
  EXPECT_TRUE(leader->CheckpointsDue(At(seconds(59)), 100).empty());
  auto due = leader->CheckpointsDue(At(milliseconds(60500)), 100);
  // ceil(3600 - 60.5) = 3540
  EXPECT_EQ(due, (std::vector<LeaseCheckpoint>{{1, 3540}}));
  EXPECT_TRUE(leader->CheckpointsDue(At(seconds(61)), 100).empty());  // popped
  EXPECT_TRUE(follower->CheckpointsDue(At(seconds(61)), 100).empty());  // not primary

  // Applied from Raft on both; the leader schedules the next one.
  for (Lessor* l : {leader.get(), follower.get()}) {
    ASSERT_TRUE(l->Checkpoint(1, 3540, At(seconds(61)), nullptr).ok());
    EXPECT_EQ(l->Lookup(1, kT0)->remaining_ttl, 3540);
  }
  EXPECT_TRUE(follower->Checkpoint(99, 5, kT0).ok());  // unknown: ignored
  EXPECT_EQ(leader->CheckpointsDue(At(seconds(121)), 100),
            (std::vector<LeaseCheckpoint>{{1, 3479}}));

  // The follower becomes leader: the lease restarts from its checkpoint, not from 3600.
  follower->Promote(At(seconds(200)), seconds(0));
  EXPECT_EQ(follower->Lookup(1, kT0)->expiry, At(seconds(200 + 3540)));

  // A keep-alive restarts the full TTL and queues a reset of the checkpoint.
  auto ttl = follower->Renew(1, At(seconds(210)));
  ASSERT_TRUE(ttl.ok());
  EXPECT_EQ(*ttl, 3600);
  EXPECT_EQ(follower->Lookup(1, kT0)->expiry, At(seconds(210 + 3600)));
  EXPECT_EQ(follower->CheckpointsDue(At(seconds(211)), 100),
            (std::vector<LeaseCheckpoint>{{1, 0}}));
  ASSERT_TRUE(follower->Checkpoint(1, 0, At(seconds(212))).ok());
  EXPECT_EQ(follower->Lookup(1, kT0)->remaining_ttl, 0);
  // No second reset while none is set.
  ASSERT_TRUE(follower->Renew(1, At(seconds(213))).ok());
  EXPECT_TRUE(follower->CheckpointsDue(At(seconds(214)), 100).empty());
}

TEST(LessorTest, CheckpointsDueHonoursTheLimit) {
  auto lessor = NewPrimary(CheckpointOptions());
  for (int64_t id = 1; id <= 10; ++id) ASSERT_TRUE(lessor->Grant(id, 1000, kT0).ok());
  EXPECT_EQ(lessor->CheckpointsDue(At(seconds(61)), 4).size(), 4u);
  EXPECT_EQ(lessor->CheckpointsDue(At(seconds(61)), 4).size(), 4u);
  EXPECT_EQ(lessor->CheckpointsDue(At(seconds(61)), 4).size(), 2u);
  // Revoked leases are skipped.
  auto other = NewPrimary(CheckpointOptions());
  ASSERT_TRUE(other->Grant(1, 1000, kT0).ok());
  ASSERT_TRUE(other->Revoke(1).ok());
  EXPECT_TRUE(other->CheckpointsDue(At(seconds(61)), 4).empty());
}

// ---- Persistence through a real backend ----

class LessorPersistenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = std::filesystem::path(tmp ? tmp : "/tmp") /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void Reopen() {
    backend_.reset();
    auto b = mvcc::Backend::Open(dir_.string());
    ASSERT_TRUE(b.ok()) << b.status();
    backend_ = std::move(*b);
  }
  std::unique_ptr<Lessor> OpenLessor(const LessorOptions& options = {.min_ttl_seconds = 1}) {
    auto lessor = Lessor::Open(backend_.get(), options);
    EXPECT_TRUE(lessor.ok()) << lessor.status();
    return lessor.ok() ? std::move(*lessor) : nullptr;
  }

  std::filesystem::path dir_;
  std::unique_ptr<mvcc::Backend> backend_;
};

TEST_F(LessorPersistenceTest, LeasesSurviveARestart) {
  {
    auto lessor = OpenLessor();
    lessor->Promote(kT0, seconds(0));
    ASSERT_TRUE(lessor->Grant(1, 10, kT0).ok());  // written by the lessor
    mvcc::WriteBatch batch;                        // written by the caller
    ASSERT_TRUE(lessor->Grant(2, 20, kT0, &batch).ok());
    ASSERT_TRUE(lessor->Grant(3, 30, kT0, &batch).ok());
    ASSERT_TRUE(backend_->Write(batch).ok());
    ASSERT_TRUE(lessor->Grant(4, 40, kT0).ok());
    ASSERT_TRUE(lessor->Attach(1, "a").ok());
    ASSERT_TRUE(lessor->Revoke(4).ok());
    mvcc::WriteBatch revoke;
    ASSERT_TRUE(lessor->Revoke(3, &revoke).ok());
    ASSERT_TRUE(backend_->Write(revoke).ok());
    mvcc::WriteBatch lost;  // never committed: the grant is not durable
    ASSERT_TRUE(lessor->Grant(5, 50, kT0, &lost).ok());
  }
  Reopen();
  auto lessor = OpenLessor();
  EXPECT_FALSE(lessor->IsPrimary());
  auto leases = lessor->Leases(kT0);
  ASSERT_EQ(leases.size(), 2u);
  std::map<int64_t, int64_t> ttl;
  for (const LeaseInfo& l : leases) {
    ttl[l.id] = l.granted_ttl;
    EXPECT_EQ(l.expiry, kForever);  // not before Promote
    EXPECT_TRUE(l.keys.empty());    // attachments come from the KV store
  }
  EXPECT_EQ(ttl, (std::map<int64_t, int64_t>{{1, 10}, {2, 20}}));

  // The server re-attaches keys from the KV store, then the leader promotes: full TTLs again.
  ASSERT_TRUE(lessor->Attach(1, "a").ok());
  lessor->Promote(At(seconds(500)), seconds(0));
  EXPECT_EQ(lessor->Lookup(1, kT0)->expiry, At(seconds(510)));
  EXPECT_EQ(lessor->Lookup(2, kT0)->expiry, At(seconds(520)));
  EXPECT_EQ(*lessor->Revoke(1), (std::vector<std::string>{"a"}));
}

TEST_F(LessorPersistenceTest, StoredRecordIsLeasepbUnderTheBigEndianId) {
  auto lessor = OpenLessor();
  ASSERT_TRUE(lessor->Grant(0x0102030405060708, 60, kT0).ok());
  auto v = backend_->Get(mvcc::Bucket::kLease, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->has_value());
  leasepb::Lease record;
  ASSERT_TRUE(record.ParseFromString(**v));
  EXPECT_EQ(record.id(), 0x0102030405060708);
  EXPECT_EQ(record.ttl(), 60);
  EXPECT_EQ(record.remainingttl(), 0);
}

TEST_F(LessorPersistenceTest, RecoveryRaisesToTheMinimumTTL) {
  ASSERT_TRUE(OpenLessor({.min_ttl_seconds = 1})->Grant(1, 3, kT0).ok());
  auto lessor = OpenLessor({.min_ttl_seconds = 5});
  EXPECT_EQ(lessor->Lookup(1, kT0)->granted_ttl, 5);
}

TEST_F(LessorPersistenceTest, PersistedCheckpointSurvivesARestart) {
  LessorOptions options = CheckpointOptions();
  options.checkpoint_persist = true;
  {
    auto lessor = OpenLessor(options);
    ASSERT_TRUE(lessor->Grant(1, 3600, kT0).ok());
    ASSERT_TRUE(lessor->Checkpoint(1, 1000, kT0).ok());
  }
  {
    auto lessor = OpenLessor(options);
    EXPECT_EQ(lessor->Lookup(1, kT0)->remaining_ttl, 1000);
    lessor->Promote(kT0, seconds(0));
    EXPECT_EQ(lessor->Lookup(1, kT0)->expiry, At(seconds(1000)));
    // Without checkpoint_persist (etcd 3.4's default) checkpoints stay in memory.
    ASSERT_TRUE(lessor->Grant(2, 3600, kT0).ok());
  }
  {
    LessorOptions no_persist = CheckpointOptions();
    auto lessor = OpenLessor(no_persist);
    ASSERT_TRUE(lessor->Checkpoint(2, 500, kT0).ok());
  }
  auto lessor = OpenLessor(options);
  EXPECT_EQ(lessor->Lookup(2, kT0)->remaining_ttl, 0);
}

TEST_F(LessorPersistenceTest, RecoverReplacesTheStateFromAnotherBackend) {
  auto lessor = OpenLessor();
  ASSERT_TRUE(lessor->Grant(1, 10, kT0).ok());
  ASSERT_TRUE(lessor->Attach(1, "k").ok());
  lessor->Promote(kT0, seconds(0));

  // A snapshot's backend, with other leases.
  auto other_dir = dir_.string() + "-snap";
  std::filesystem::remove_all(other_dir);
  auto other = mvcc::Backend::Open(other_dir);
  ASSERT_TRUE(other.ok());
  {
    auto writer = Lessor::Open(other->get(), {.min_ttl_seconds = 1});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Grant(7, 70, kT0).ok());
  }
  ASSERT_TRUE(lessor->Recover(other->get(), At(seconds(5))).ok());
  EXPECT_FALSE(lessor->Contains(1));
  EXPECT_EQ(lessor->GetLease("k"), kNoLease);
  // Still primary: the recovered lease expires from now.
  EXPECT_EQ(lessor->Lookup(7, kT0)->expiry, At(seconds(75)));
  EXPECT_EQ(lessor->ExpiredLeases(At(seconds(75)), 10), (std::vector<int64_t>{7}));
  // Later writes go to the new backend.
  ASSERT_TRUE(lessor->Grant(8, 80, kT0).ok());
  auto v = (*other)->Get(mvcc::Bucket::kLease, std::string("\0\0\0\0\0\0\0\x08", 8));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->has_value());
}

TEST_F(LessorPersistenceTest, CorruptRecordIsDataLoss) {
  mvcc::WriteBatch batch;
  batch.Put(mvcc::Bucket::kLease, "short", "x");
  ASSERT_TRUE(backend_->Write(batch).ok());
  auto lessor = Lessor::Open(backend_.get());
  EXPECT_EQ(lessor.status().code(), absl::StatusCode::kDataLoss);

  Reopen();
  mvcc::WriteBatch fix;
  fix.Delete(mvcc::Bucket::kLease, "short");
  fix.Put(mvcc::Bucket::kLease, std::string("\0\0\0\0\0\0\0\x01", 8), "\xff\xff");
  ASSERT_TRUE(backend_->Write(fix).ok());
  EXPECT_EQ(Lessor::Open(backend_.get()).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace etcd::lease
