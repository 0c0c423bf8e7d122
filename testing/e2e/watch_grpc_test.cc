// Watch features etcdctl does not expose, through the gRPC API on our daemon: progress
// notifications at the configured interval, and fragmented responses.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

using Stream = grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;

TEST(WatchGrpcTest, ProgressNotificationsAtTheConfiguredInterval) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "progress",
                                 {"--experimental-watch-progress-notify-interval", "200ms"});
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  ASSERT_EQ(etcd->Etcdctl({"put", "k", "v"})->exit_code, 0);
  auto channel = grpc::CreateChannel(etcd->endpoint(), grpc::InsecureChannelCredentials());
  auto stub = etcdserverpb::Watch::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  std::unique_ptr<Stream> stream = stub->Watch(&ctx);
  etcdserverpb::WatchRequest req;
  req.mutable_create_request()->set_key("k");
  req.mutable_create_request()->set_progress_notify(true);
  ASSERT_TRUE(stream->Write(req));
  etcdserverpb::WatchResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_TRUE(resp.created());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(stream->Read(&resp));
  const auto waited = std::chrono::steady_clock::now() - start;
  // A progress notification: no events, not created or canceled, the current revision.
  EXPECT_EQ(resp.events_size(), 0);
  EXPECT_FALSE(resp.created());
  EXPECT_FALSE(resp.canceled());
  EXPECT_EQ(resp.header().revision(), 2);
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LE(waited, std::chrono::seconds(2));
  // An explicit progress request is answered too (watch_id -1 as etcd).
  etcdserverpb::WatchRequest progress;
  progress.mutable_progress_request();
  ASSERT_TRUE(stream->Write(progress));
  do {
    ASSERT_TRUE(stream->Read(&resp));
  } while (resp.watch_id() != -1);
  EXPECT_EQ(resp.header().revision(), 2);
  ctx.TryCancel();
}

TEST(WatchGrpcTest, LargeResponsesAreFragmentedWhenAsked) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "fragment", {"--max-request-bytes", "5000"});
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto channel = grpc::CreateChannel(etcd->endpoint(), grpc::InsecureChannelCredentials());
  auto kv = etcdserverpb::KV::NewStub(channel);
  const std::string value(1100, 'x');
  auto txn_of_four = [&] {
    etcdserverpb::TxnRequest txn;
    for (int i = 0; i < 4; ++i) {
      auto* put = txn.add_success()->mutable_request_put();
      put->set_key("big" + std::to_string(i));
      put->set_value(value);
    }
    etcdserverpb::TxnResponse resp;
    grpc::ClientContext ctx;
    return kv->Txn(&ctx, txn, &resp).ok() ? resp.header().revision() : -1;
  };
  ASSERT_GT(txn_of_four(), 0);
  auto stub = etcdserverpb::Watch::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  std::unique_ptr<Stream> stream = stub->Watch(&ctx);
  for (bool fragment : {true, false}) {
    etcdserverpb::WatchRequest req;
    req.mutable_create_request()->set_key("big");
    req.mutable_create_request()->set_range_end("bih");
    req.mutable_create_request()->set_prev_kv(true);  // doubles each event
    req.mutable_create_request()->set_fragment(fragment);
    req.mutable_create_request()->set_watch_id(fragment ? 1 : 2);
    ASSERT_TRUE(stream->Write(req));
  }
  const int64_t rev = txn_of_four();
  ASSERT_GT(rev, 0);
  std::map<int64_t, std::vector<etcdserverpb::WatchResponse>> got;
  while (got[1].empty() || got[1].back().fragment() || got[2].empty()) {
    etcdserverpb::WatchResponse resp;
    ASSERT_TRUE(stream->Read(&resp));
    if (resp.events_size() > 0) got[resp.watch_id()].push_back(resp);
  }
  ASSERT_GE(got[1].size(), 2u) << "no fragmentation";
  int events = 0;
  for (size_t i = 0; i < got[1].size(); ++i) {
    EXPECT_EQ(got[1][i].fragment(), i + 1 < got[1].size());
    EXPECT_EQ(got[1][i].header().revision(), rev);
    events += got[1][i].events_size();
  }
  EXPECT_EQ(events, 4);
  ASSERT_EQ(got[2].size(), 1u);  // without the option: one response
  EXPECT_EQ(got[2][0].events_size(), 4);
  ctx.TryCancel();
}

// A watcher that starts in the past (unsynced, caught up from history by the store's sync
// thread) gets its creation response and then every old event, on every new stream, however
// the catch-up and the creation response race (`etcdctl watch --rev 1` used to print nothing
// now and then).
TEST(WatchGrpcTest, WatchFromAnOldRevisionAlwaysGetsItsHistory) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "history");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  for (const char* k : {"w/a", "w/b", "w/c"}) ASSERT_EQ(etcd->Etcdctl({"put", k, "v"})->exit_code, 0);
  constexpr int kStreams = 200;
  int silent = 0;
  for (int i = 0; i < kStreams; ++i) {
    // A new connection each time, as each etcdctl run opens one.
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // no subchannel sharing between iterations
    auto channel = grpc::CreateCustomChannel(etcd->endpoint(), grpc::InsecureChannelCredentials(),
                                             args);
    auto stub = etcdserverpb::Watch::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    std::unique_ptr<Stream> stream = stub->Watch(&ctx);
    etcdserverpb::WatchRequest req;
    req.mutable_create_request()->set_key("w/");
    req.mutable_create_request()->set_range_end("w0");
    req.mutable_create_request()->set_start_revision(1);
    ASSERT_TRUE(stream->Write(req));
    etcdserverpb::WatchResponse resp;
    if (!stream->Read(&resp)) {
      ++silent;
      ADD_FAILURE() << "stream " << i << ": no creation response";
      continue;
    }
    EXPECT_TRUE(resp.created()) << resp.ShortDebugString();
    std::vector<std::string> keys;
    while (keys.size() < 3 && stream->Read(&resp)) {
      for (const auto& ev : resp.events()) keys.push_back(ev.kv().key());
    }
    if (keys.size() < 3) ++silent;
    EXPECT_EQ(keys, (std::vector<std::string>{"w/a", "w/b", "w/c"})) << "stream " << i;
    ctx.TryCancel();
  }
  EXPECT_EQ(silent, 0) << "of " << kStreams << " streams";
}

}  // namespace
}  // namespace etcd::testing
