// Links the generated message and gRPC code against the system protobuf and gRPC libraries, and
// checks the names a client puts on the wire (the gRPC method paths).

#include <string>

#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "api/etcdserverpb/rpc.pb.h"
#include "api/v3electionpb/v3election.grpc.pb.h"
#include "api/v3lockpb/v3lock.grpc.pb.h"
#include "gtest/gtest.h"

namespace etcd::api {
namespace {

TEST(GeneratedCodeTest, TxnRoundTrips) {
  etcdserverpb::TxnRequest txn;
  auto* cmp = txn.add_compare();
  cmp->set_key("k");
  cmp->set_target(etcdserverpb::Compare::MOD);
  cmp->set_mod_revision(7);
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key("k");
  put->set_value("v");
  put->set_lease(42);
  txn.add_failure()->mutable_request_range()->set_key("k");

  etcdserverpb::TxnRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(txn.SerializeAsString()));
  EXPECT_EQ(parsed.compare(0).target_union_case(), etcdserverpb::Compare::kModRevision);
  EXPECT_EQ(parsed.compare(0).mod_revision(), 7);
  EXPECT_EQ(parsed.success(0).request_put().lease(), 42);
  EXPECT_TRUE(parsed.failure(0).has_request_range());
}

TEST(GeneratedCodeTest, KnownBytesDecode) {
  // PutRequest{key: "a" (field 1), value: "b" (field 2), lease: 5 (field 3)} as etcd encodes it.
  const std::string wire("\x0a\x01" "a" "\x12\x01" "b" "\x18\x05", 8);
  etcdserverpb::PutRequest put;
  ASSERT_TRUE(put.ParseFromString(wire));
  EXPECT_EQ(put.key(), "a");
  EXPECT_EQ(put.value(), "b");
  EXPECT_EQ(put.lease(), 5);
}

TEST(GeneratedCodeTest, ServiceNames) {
  EXPECT_STREQ(etcdserverpb::KV::service_full_name(), "etcdserverpb.KV");
  EXPECT_STREQ(etcdserverpb::Watch::service_full_name(), "etcdserverpb.Watch");
  EXPECT_STREQ(etcdserverpb::Lease::service_full_name(), "etcdserverpb.Lease");
  EXPECT_STREQ(etcdserverpb::Cluster::service_full_name(), "etcdserverpb.Cluster");
  EXPECT_STREQ(etcdserverpb::Maintenance::service_full_name(), "etcdserverpb.Maintenance");
  EXPECT_STREQ(etcdserverpb::Auth::service_full_name(), "etcdserverpb.Auth");
  EXPECT_STREQ(v3lockpb::Lock::service_full_name(), "v3lockpb.Lock");
  EXPECT_STREQ(v3electionpb::Election::service_full_name(), "v3electionpb.Election");
}

TEST(GeneratedCodeTest, ServicesInstantiate) {
  // The generated service bases must be complete types against the installed gRPC headers.
  etcdserverpb::KV::Service kv;
  etcdserverpb::Watch::Service watch;
  v3lockpb::Lock::Service lock;
  v3electionpb::Election::Service election;
  SUCCEED();
}

}  // namespace
}  // namespace etcd::api
