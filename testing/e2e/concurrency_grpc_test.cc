// The Lock and Election gRPC services (v3lockpb, v3electionpb) on our daemon. etcdctl's lock
// and elect commands run etcd's recipes on the client side, so these services are driven here
// through their own stubs, as the gRPC gateway and other clients use them.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>

#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "api/v3electionpb/v3election.grpc.pb.h"
#include "api/v3lockpb/v3lock.grpc.pb.h"
#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

class ConcurrencyGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = EtcdProcess::Start(OurEtcdBinary(), "concurrency-grpc");
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_.emplace(std::move(*etcd));
    channel_ = grpc::CreateChannel(etcd_->endpoint(), grpc::InsecureChannelCredentials());
  }
  int64_t Grant() {
    auto lease = etcdserverpb::Lease::NewStub(channel_);
    etcdserverpb::LeaseGrantRequest req;
    req.set_ttl(60);
    etcdserverpb::LeaseGrantResponse resp;
    grpc::ClientContext ctx;
    EXPECT_TRUE(lease->LeaseGrant(&ctx, req, &resp).ok());
    return resp.id();
  }
  std::optional<EtcdProcess> etcd_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ConcurrencyGrpcTest, SecondLockWaitsForTheFirstUnlock) {
  auto lock = v3lockpb::Lock::NewStub(channel_);
  const int64_t l1 = Grant(), l2 = Grant();
  v3lockpb::LockRequest req;
  req.set_name("mutex");
  req.set_lease(l1);
  v3lockpb::LockResponse first;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(lock->Lock(&ctx, req, &first).ok());
  }
  EXPECT_EQ(first.key().rfind("mutex/", 0), 0u);
  std::atomic<bool> acquired{false};
  std::string second_error;  // written by the async call, read after get()
  auto second = std::async(std::launch::async, [&] {
    v3lockpb::LockRequest r2 = req;
    r2.set_lease(l2);
    v3lockpb::LockResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    grpc::Status s = lock->Lock(&ctx, r2, &resp);
    acquired = true;
    if (!s.ok()) second_error = std::to_string(s.error_code()) + ": " + s.error_message();
    return s.ok() ? resp.header().revision() : int64_t{-1};
  });
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout);
  EXPECT_FALSE(acquired);
  v3lockpb::UnlockRequest unlock;
  unlock.set_key(first.key());
  v3lockpb::UnlockResponse unlocked;
  grpc::ClientContext ctx;
  ASSERT_TRUE(lock->Unlock(&ctx, unlock, &unlocked).ok());
  const int64_t rev = second.get();
  EXPECT_GE(rev, unlocked.header().revision())  // acquired only after the unlock
      << "second Lock: " << second_error << "\nserver log:\n" << etcd_->Log();
}

// A Lock given up by its client (deadline) leaves the queue, as with etcd: once the holder
// unlocks, the next client gets the lock at once, not after an abandoned waiter.
TEST_F(ConcurrencyGrpcTest, AbandonedLockWaiterLeavesTheQueue) {
  auto lock = v3lockpb::Lock::NewStub(channel_);
  const int64_t l1 = Grant(), l2 = Grant(), l3 = Grant();
  v3lockpb::LockRequest req;
  req.set_name("queue");
  req.set_lease(l1);
  v3lockpb::LockResponse first;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(lock->Lock(&ctx, req, &first).ok());
  }
  {
    v3lockpb::LockRequest r2 = req;
    r2.set_lease(l2);
    v3lockpb::LockResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
    EXPECT_EQ(lock->Lock(&ctx, r2, &resp).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  v3lockpb::UnlockRequest unlock;
  unlock.set_key(first.key());
  v3lockpb::UnlockResponse unlocked;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(lock->Unlock(&ctx, unlock, &unlocked).ok());
  }
  v3lockpb::LockRequest r3 = req;
  r3.set_lease(l3);
  v3lockpb::LockResponse third;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Status s = lock->Lock(&ctx, r3, &third);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\nserver log:\n" << etcd_->Log();
}

TEST_F(ConcurrencyGrpcTest, CampaignLeaderProclaimObserveResign) {
  auto election = v3electionpb::Election::NewStub(channel_);
  const int64_t l1 = Grant(), l2 = Grant();
  grpc::ClientContext observe_ctx;
  observe_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v3electionpb::LeaderRequest name;
  name.set_name("e");
  auto observer = election->Observe(&observe_ctx, name);

  v3electionpb::CampaignRequest c1;
  c1.set_name("e");
  c1.set_lease(l1);
  c1.set_value("alice");
  v3electionpb::CampaignResponse alice;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(election->Campaign(&ctx, c1, &alice).ok());
  }
  v3electionpb::LeaderResponse seen;
  ASSERT_TRUE(observer->Read(&seen));
  EXPECT_EQ(seen.kv().value(), "alice");

  auto bob = std::async(std::launch::async, [&] {
    v3electionpb::CampaignRequest c2 = c1;
    c2.set_lease(l2);
    c2.set_value("bob");
    v3electionpb::CampaignResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    grpc::Status s = election->Campaign(&ctx, c2, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  });
  // Alice proclaims a new value; the observer sees it; Leader reports it.
  v3electionpb::ProclaimRequest proclaim;
  *proclaim.mutable_leader() = alice.leader();
  proclaim.set_value("alice-2");
  {
    v3electionpb::ProclaimResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(election->Proclaim(&ctx, proclaim, &resp).ok());
  }
  ASSERT_TRUE(observer->Read(&seen));
  EXPECT_EQ(seen.kv().value(), "alice-2");
  {
    v3electionpb::LeaderResponse leader;
    grpc::ClientContext ctx;
    grpc::Status s = election->Leader(&ctx, name, &leader);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(leader.kv().value(), "alice-2");
  }
  EXPECT_EQ(bob.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  // Alice resigns: Bob leads, the observer sees him.
  v3electionpb::ResignRequest resign;
  *resign.mutable_leader() = alice.leader();
  {
    v3electionpb::ResignResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(election->Resign(&ctx, resign, &resp).ok());
  }
  EXPECT_EQ(bob.get().leader().name(), "e");
  ASSERT_TRUE(observer->Read(&seen));
  EXPECT_EQ(seen.kv().value(), "bob");
  // A proclamation by the old leader is refused.
  {
    v3electionpb::ProclaimResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = election->Proclaim(&ctx, proclaim, &resp);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.error_message(), "election: not leader");
  }
  observe_ctx.TryCancel();
}

}  // namespace
}  // namespace etcd::testing
