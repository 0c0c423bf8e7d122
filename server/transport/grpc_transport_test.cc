// Tests of the gRPC peer transport with real gRPC servers in this process, on 127.0.0.1 with
// ports the kernel picks. Every wait is on a condition with a deadline (kWait), never a sleep:
// a test that fails does so within seconds, and one that passes takes milliseconds.
#include "server/transport/grpc_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "raft/raftpb/raft.pb.h"
#include "server/transport/peer.pb.h"

namespace etcd::transport {
namespace {

using namespace std::chrono_literals;

// How long any expected event may take. Generous for a loaded 2-core machine; the events
// themselves take milliseconds.
constexpr auto kWait = 5s;
constexpr uint64_t kCluster = 0xc1u;

// Everything a TestHandler saw, copied out under its lock.
struct Seen {
  std::vector<raftpb::Message> received;
  std::map<uint64_t, int> unreachable;                  // peer -> ReportUnreachable calls
  std::vector<std::pair<uint64_t, bool>> snapshot_reports;
  int on_removed = 0;
  std::vector<raftpb::Message> opened_snapshots;        // OpenSnapshotSink arguments
  std::vector<std::string> sink_chunks;                 // successful SnapshotSink::Write calls
  int sink_write_calls = 0;
  int sink_finishes = 0;
  int sinks_destroyed = 0;
  std::vector<peerpb::ForwardRequest> forwarded;
};

// A PeerHandler that records what the transport gives it, under a mutex, and lets the test
// wait for a condition on the record with a deadline.
class TestHandler final : public PeerHandler {
 public:
  // Waits until `pred(seen)` holds; false if it still does not after `timeout`.
  bool WaitUntil(const std::function<bool(const Seen&)>& pred,
                 std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return pred(seen_); });
  }

  Seen Get() {
    std::lock_guard lock(mu_);
    return seen_;
  }

  int Unreachable(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = seen_.unreachable.find(id);
    return it == seen_.unreachable.end() ? 0 : it->second;
  }

  // ---- Behaviour, set by the test ----

  void SetRemoved(uint64_t id) {
    std::lock_guard lock(mu_);
    removed_.insert(id);
  }
  void SetMembers(peerpb::MembersResponse members) {
    std::lock_guard lock(mu_);
    members_ = std::move(members);
  }
  // The sink's Write fails from the `n`th call on (1-based); 0: never.
  void FailSinkWriteAt(int n) {
    std::lock_guard lock(mu_);
    fail_write_at_ = n;
  }
  // Whether the sink keeps the chunks' bytes (or records empty strings: for long transfers).
  void KeepChunkData(bool keep) {
    std::lock_guard lock(mu_);
    keep_chunk_data_ = keep;
  }

  // ---- PeerHandler ----

  void Receive(raftpb::Message m) override {
    Record([&](Seen& s) { s.received.push_back(std::move(m)); });
  }
  void ReportUnreachable(uint64_t id) override {
    Record([&](Seen& s) { ++s.unreachable[id]; });
  }
  void ReportSnapshot(uint64_t id, bool ok) override {
    Record([&](Seen& s) { s.snapshot_reports.emplace_back(id, ok); });
  }
  bool IsRemoved(uint64_t id) override {
    std::lock_guard lock(mu_);
    return removed_.count(id) > 0;
  }
  void OnRemoved() override {
    Record([&](Seen& s) { ++s.on_removed; });
  }
  absl::StatusOr<std::unique_ptr<SnapshotSink>> OpenSnapshotSink(
      const raftpb::Message& m) override {
    Record([&](Seen& s) { s.opened_snapshots.push_back(m); });
    return std::unique_ptr<SnapshotSink>(new Sink(this));
  }
  peerpb::MembersResponse Members() override {
    std::lock_guard lock(mu_);
    return members_;
  }
  // Echoes the request back, serialized, as the response; a lease ID of 0 is refused with
  // NotFound, to check that the leader's error reaches the follower as it was given.
  void Forwarded(const peerpb::ForwardRequest& request, ForwardDone done) override {
    Record([&](Seen& s) { s.forwarded.push_back(request); });
    if (request.has_lease() && request.lease().id() == 0) {
      std::move(done)(absl::NotFoundError("requested lease not found"));
      return;
    }
    peerpb::ForwardResponse resp;
    resp.set_response(request.SerializeAsString());
    std::move(done)(std::move(resp));
  }

 private:
  class Sink final : public SnapshotSink {
   public:
    explicit Sink(TestHandler* h) : h_(h) {}
    ~Sink() override {
      h_->Record([](Seen& s) { ++s.sinks_destroyed; });
    }
    absl::Status Write(std::string_view chunk) override {
      bool fail = false;
      h_->Record([&](Seen& s) {
        ++s.sink_write_calls;
        fail = h_->fail_write_at_ != 0 && s.sink_write_calls >= h_->fail_write_at_;
        if (!fail) s.sink_chunks.emplace_back(h_->keep_chunk_data_ ? chunk : "");
      });
      return fail ? absl::ResourceExhaustedError("no space left on device") : absl::OkStatus();
    }
    absl::Status Finish() override {
      h_->Record([](Seen& s) { ++s.sink_finishes; });
      return absl::OkStatus();
    }

   private:
    TestHandler* const h_;
  };

  void Record(const std::function<void(Seen&)>& f) {
    {
      std::lock_guard lock(mu_);
      f(seen_);
    }
    changed_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable changed_;
  Seen seen_;                          // guarded by mu_
  std::set<uint64_t> removed_;         // guarded by mu_
  peerpb::MembersResponse members_;    // guarded by mu_
  int fail_write_at_ = 0;              // guarded by mu_
  bool keep_chunk_data_ = true;        // guarded by mu_
};

// One member: its handler, its transport, and a gRPC server on 127.0.0.1 serving the
// transport's Peer service, as the daemon does on --listen-peer-urls.
class Member {
 public:
  explicit Member(uint64_t id, uint64_t cluster = kCluster) : transport_(id, cluster, &handler_) {
    grpc::ServerBuilder builder;
    builder.SetMaxReceiveMessageSize(-1);  // as the daemon's peer server
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(transport_.service());
    server_ = builder.BuildAndStart();
  }

  ~Member() {
    // Our own streams first, then the calls other members still have open to us (cancelled
    // now: a peer's Stream call never ends by itself).
    transport_.Stop();
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }

  bool started() const { return server_ != nullptr && port_ > 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  TestHandler& handler() { return handler_; }
  GrpcTransport& transport() { return transport_; }

 private:
  TestHandler handler_;
  GrpcTransport transport_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// A port on 127.0.0.1 that refuses connections for as long as this object lives: the socket
// is bound (so nobody else gets the port) but never listens.
class DeadPort {
 public:
  DeadPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      socklen_t len = sizeof(addr);
      if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        port_ = ntohs(addr.sin_port);
      }
    }
  }
  ~DeadPort() {
    if (fd_ >= 0) close(fd_);
  }
  DeadPort(const DeadPort&) = delete;
  DeadPort& operator=(const DeadPort&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

raftpb::Message App(uint64_t from, uint64_t to, uint64_t index) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_APP);
  m.set_from(from);
  m.set_to(to);
  m.set_term(3);
  m.set_log_term(3);
  m.set_index(index - 1);
  m.set_commit(index - 1);
  raftpb::Entry* e = m.add_entries();
  e->set_term(3);
  e->set_index(index);
  e->set_data("value-" + std::to_string(index));
  return m;
}

raftpb::Message Heartbeat(uint64_t from, uint64_t to) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_HEARTBEAT);
  m.set_from(from);
  m.set_to(to);
  m.set_term(3);
  return m;
}

// Sends a heartbeat to `to` every 20 ms (as a Raft leader keeps doing) until `pred` holds on
// the sender's handler or kWait passes. A refused stream is only noticed by the next write on
// it, so a single message is not enough for the sender to learn of a refusal.
bool HeartbeatUntil(Member& sender, uint64_t from, uint64_t to,
                    const std::function<bool(const Seen&)>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    sender.transport().Send({Heartbeat(from, to)});
    if (sender.handler().WaitUntil(pred, 20ms)) return true;
  }
  return false;
}

// ---- 1. Delivery ----

TEST(GrpcTransportTest, MessagesArriveCompleteAndInOrder) {
  Member m1(1), m2(2);
  ASSERT_TRUE(m1.started() && m2.started());
  m1.transport().AddPeer(2, {m2.url()});

  constexpr int kMessages = 1000;
  std::vector<raftpb::Message> sent;
  for (int i = 1; i <= kMessages; ++i) sent.push_back(App(1, 2, i));
  // In Send calls of varying size, as Raft's Ready batches come.
  for (size_t begin = 0, n = 1; begin < sent.size(); begin += n, n = n * 2 + 1) {
    const size_t end = std::min(sent.size(), begin + n);
    m1.transport().Send(std::vector<raftpb::Message>(sent.begin() + begin, sent.begin() + end));
  }

  ASSERT_TRUE(m2.handler().WaitUntil([](const Seen& s) { return s.received.size() >= kMessages; }))
      << "received " << m2.handler().Get().received.size() << " of " << kMessages;
  const Seen seen = m2.handler().Get();
  ASSERT_EQ(seen.received.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    ASSERT_EQ(seen.received[i].SerializeAsString(), sent[i].SerializeAsString())
        << "message " << i << ": " << seen.received[i].ShortDebugString();
  }
  EXPECT_EQ(m1.handler().Unreachable(2), 0);
  EXPECT_EQ(m1.handler().Get().on_removed, 0);
}

TEST(GrpcTransportTest, DialTarget) {
  EXPECT_EQ(DialTarget("http://localhost:2380").value_or("error"), "127.0.0.1:2380");
  EXPECT_EQ(DialTarget("http://10.0.0.7:12380").value_or("error"), "10.0.0.7:12380");
  EXPECT_EQ(DialTarget("http://[::1]:2380").value_or("error"), "[::1]:2380");
  for (const char* bad : {"127.0.0.1:2380", "http://127.0.0.1", "http://127.0.0.1:2380/path",
                          "ftp://127.0.0.1:2380", "not a url", ""}) {
    auto target = DialTarget(bad);
    EXPECT_FALSE(target.ok()) << bad << " -> " << *target;
    if (!target.ok()) {
      EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    }
  }
}

// ---- 2. Another cluster ----

TEST(GrpcTransportTest, OtherClusterIsRefused) {
  Member m1(1, kCluster), m2(2, kCluster + 1);
  ASSERT_TRUE(m1.started() && m2.started());
  m1.transport().AddPeer(2, {m2.url()});

  EXPECT_TRUE(HeartbeatUntil(m1, 1, 2, [](const Seen& s) { return s.unreachable.count(2) > 0; }))
      << "the sender never heard that its messages to a member of another cluster were lost";
  EXPECT_TRUE(m2.handler().Get().received.empty());
  EXPECT_EQ(m1.handler().Get().on_removed, 0);  // a mismatch is not a removal
}

// ---- 3. A removed member ----

TEST(GrpcTransportTest, RemovedMemberIsToldSo) {
  Member m1(1), m2(2);
  ASSERT_TRUE(m1.started() && m2.started());
  m2.handler().SetRemoved(1);
  m1.transport().AddPeer(2, {m2.url()});

  EXPECT_TRUE(HeartbeatUntil(m1, 1, 2, [](const Seen& s) { return s.on_removed > 0; }))
      << "OnRemoved was never called";
  EXPECT_TRUE(m2.handler().Get().received.empty());
}

// A member removed while its stream is open (it missed the commit of its own removal) is
// refused at its next message, not only when it opens a new stream.
TEST(GrpcTransportTest, MemberRemovedMidStreamIsToldSo) {
  Member m1(1), m2(2);
  ASSERT_TRUE(m1.started() && m2.started());
  m1.transport().AddPeer(2, {m2.url()});
  m1.transport().Send({Heartbeat(1, 2)});
  ASSERT_TRUE(m2.handler().WaitUntil([](const Seen& s) { return !s.received.empty(); }))
      << "the stream never carried a message";
  ASSERT_EQ(m1.handler().Get().on_removed, 0);

  m2.handler().SetRemoved(1);
  EXPECT_TRUE(HeartbeatUntil(m1, 1, 2, [](const Seen& s) { return s.on_removed > 0; }))
      << "a member removed mid-stream was never told so";
}

// ---- 4. A peer nobody serves ----

TEST(GrpcTransportTest, UnreachablePeerIsReportedAndNeverBlocks) {
  DeadPort dead;
  ASSERT_GT(dead.port(), 0);
  Member m1(1);
  ASSERT_TRUE(m1.started());
  m1.transport().AddPeer(2, {dead.url()});

  // One message: reported lost by the background sender.
  m1.transport().Send({App(1, 2, 1)});
  EXPECT_TRUE(m1.handler().WaitUntil([](const Seen& s) { return s.unreachable.count(2) > 0; }))
      << "a message to a peer that refuses connections was never reported unreachable";

  // Many at once: Send returns at once; the queue does not grow without bound (what does not
  // fit is dropped and reported).
  std::vector<raftpb::Message> many;
  for (int i = 1; i <= 10000; ++i) many.push_back(App(1, 2, i));
  const int before = m1.handler().Unreachable(2);
  const auto start = std::chrono::steady_clock::now();
  m1.transport().Send(std::move(many));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 1s) << "Send blocked for "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms";
  EXPECT_TRUE(m1.handler().WaitUntil(
      [&](const Seen& s) { return s.unreachable.count(2) > 0 && s.unreachable.at(2) > before; }));

  // A message to a peer the transport does not know is reported at once.
  m1.transport().Send({App(1, 7, 1)});
  EXPECT_EQ(m1.handler().Unreachable(7), 1);
}

// ---- 5. Snapshots ----

// Yields the given chunks, then (optionally) fails.
class VectorSource final : public SnapshotSource {
 public:
  explicit VectorSource(std::vector<std::string> chunks, absl::Status end = absl::OkStatus())
      : chunks_(std::move(chunks)), end_(std::move(end)) {}
  bool Next(std::string* chunk) override {
    if (next_ == chunks_.size()) return false;
    *chunk = chunks_[next_++];
    return true;
  }
  absl::Status status() const override {
    return next_ == chunks_.size() ? end_ : absl::OkStatus();
  }

 private:
  std::vector<std::string> chunks_;
  absl::Status end_;
  size_t next_ = 0;
};

std::vector<std::string> RandomChunks(int n, size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> chunks;
  for (int i = 0; i < n; ++i) {
    std::string c(size, '\0');
    for (char& b : c) b = static_cast<char>(rng() & 0xff);
    chunks.push_back(std::move(c));
  }
  return chunks;
}

raftpb::Message Snap(uint64_t from, uint64_t to, uint64_t index) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_SNAP);
  m.set_from(from);
  m.set_to(to);
  m.set_term(3);
  m.mutable_snapshot()->set_data("membership");
  m.mutable_snapshot()->mutable_metadata()->set_index(index);
  m.mutable_snapshot()->mutable_metadata()->set_term(3);
  m.mutable_snapshot()->mutable_metadata()->mutable_conf_state()->add_voters(1);
  m.mutable_snapshot()->mutable_metadata()->mutable_conf_state()->add_voters(2);
  return m;
}

TEST(GrpcTransportTest, SnapshotArrivesWhole) {
  Member m1(1), m2(2);
  ASSERT_TRUE(m1.started() && m2.started());
  m1.transport().AddPeer(2, {m2.url()});

  const std::vector<std::string> chunks = RandomChunks(5, 300 << 10, /*seed=*/20240601);
  const raftpb::Message snap = Snap(1, 2, 1234);
  m1.transport().SendSnapshot(snap, std::make_unique<VectorSource>(chunks));

  ASSERT_TRUE(m1.handler().WaitUntil([](const Seen& s) { return !s.snapshot_reports.empty(); }));
  // The sender reports success only once the receiver's Finish returned: no waiting needed.
  const Seen sent = m1.handler().Get();
  ASSERT_EQ(sent.snapshot_reports.size(), 1u);
  EXPECT_EQ(sent.snapshot_reports[0], std::make_pair(uint64_t{2}, true));

  const Seen got = m2.handler().Get();
  ASSERT_EQ(got.opened_snapshots.size(), 1u);
  EXPECT_EQ(got.opened_snapshots[0].SerializeAsString(), snap.SerializeAsString());
  ASSERT_EQ(got.sink_chunks.size(), chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_TRUE(got.sink_chunks[i] == chunks[i]) << "chunk " << i << " differs";
  }
  EXPECT_EQ(got.sink_finishes, 1);
  EXPECT_TRUE(got.received.empty());  // the MsgSnap goes to the sink, not to Receive
}

TEST(GrpcTransportTest, SnapshotSinkWriteErrorFailsTheTransfer) {
  Member m1(1), m2(2);
  ASSERT_TRUE(m1.started() && m2.started());
  m2.handler().FailSinkWriteAt(2);
  m1.transport().AddPeer(2, {m2.url()});

  m1.transport().SendSnapshot(Snap(1, 2, 1234),
                              std::make_unique<VectorSource>(RandomChunks(5, 300 << 10, 7)));

  ASSERT_TRUE(m1.handler().WaitUntil([](const Seen& s) { return !s.snapshot_reports.empty(); }));
  const Seen sent = m1.handler().Get();
  ASSERT_EQ(sent.snapshot_reports.size(), 1u);
  EXPECT_EQ(sent.snapshot_reports[0], std::make_pair(uint64_t{2}, false));

  // The receiver drops its sink (which leaves nothing behind) without finishing it.
  ASSERT_TRUE(m2.handler().WaitUntil([](const Seen& s) { return s.sinks_destroyed == 1; }));
  const Seen got = m2.handler().Get();
  EXPECT_EQ(got.sink_write_calls, 2);  // no write after the failed one
  EXPECT_EQ(got.sink_chunks.size(), 1u);
  EXPECT_EQ(got.sink_finishes, 0);
}

TEST(GrpcTransportTest, SnapshotSourceErrorFailsTheTransfer) {
  Member m1(1), m2(2);
  ASSERT_TRUE(m1.started() && m2.started());
  m1.transport().AddPeer(2, {m2.url()});

  m1.transport().SendSnapshot(
      Snap(1, 2, 99),
      std::make_unique<VectorSource>(RandomChunks(2, 1000, 3), absl::DataLossError("bad page")));

  ASSERT_TRUE(m1.handler().WaitUntil([](const Seen& s) { return !s.snapshot_reports.empty(); }));
  EXPECT_EQ(m1.handler().Get().snapshot_reports[0], std::make_pair(uint64_t{2}, false));
  // The cancel may reach the receiver before or after it opened a sink; either way the
  // checksummed last chunk never came, so nothing was finished.
  EXPECT_EQ(m2.handler().Get().sink_finishes, 0);
}

// An endless backend: the transfer runs until the transport is stopped.
class EndlessSource final : public SnapshotSource {
 public:
  bool Next(std::string* chunk) override {
    chunk->assign(64 << 10, 'x');
    return true;
  }
  absl::Status status() const override { return absl::OkStatus(); }
};

TEST(GrpcTransportTest, SnapshotDoesNotHoldUpMessagesAndStopCancelsIt) {
  Member m1(1), m2(2);
  ASSERT_TRUE(m1.started() && m2.started());
  m2.handler().KeepChunkData(false);
  m1.transport().AddPeer(2, {m2.url()});

  m1.transport().SendSnapshot(Snap(1, 2, 50), std::make_unique<EndlessSource>());
  ASSERT_TRUE(m2.handler().WaitUntil([](const Seen& s) { return s.sink_chunks.size() >= 3; }));

  // Raft messages to the same peer go on their own stream while the snapshot streams.
  m1.transport().Send({App(1, 2, 51)});
  ASSERT_TRUE(m2.handler().WaitUntil([](const Seen& s) { return s.received.size() == 1; }));
  EXPECT_TRUE(m1.handler().Get().snapshot_reports.empty());

  const auto start = std::chrono::steady_clock::now();
  m1.transport().Stop();  // waits for the cancelled transfer to report
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWait);
  EXPECT_EQ(m1.handler().Get().snapshot_reports,
            (std::vector<std::pair<uint64_t, bool>>{{2, false}}));
  ASSERT_TRUE(m2.handler().WaitUntil([](const Seen& s) { return s.sinks_destroyed == 1; }));
  EXPECT_EQ(m2.handler().Get().sink_finishes, 0);
}

TEST(GrpcTransportTest, SnapshotWithoutTransferIsReportedFailed) {
  Member m1(1);
  ASSERT_TRUE(m1.started());
  // To an unknown peer.
  m1.transport().SendSnapshot(Snap(1, 5, 10), std::make_unique<VectorSource>(
                                                  std::vector<std::string>{"x"}));
  // Through Send, which has no backend to send with it.
  m1.transport().AddPeer(2, {"http://127.0.0.1:1"});
  m1.transport().Send({Snap(1, 2, 10)});
  const Seen seen = m1.handler().Get();  // both are reported synchronously
  EXPECT_EQ(seen.snapshot_reports,
            (std::vector<std::pair<uint64_t, bool>>{{5, false}, {2, false}}));
}

// ---- 6. Forward ----

absl::StatusOr<peerpb::ForwardResponse> ForwardAndWait(GrpcTransport& t, uint64_t to,
                                                       const peerpb::ForwardRequest& req) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<peerpb::ForwardResponse>>>();
  auto future = promise->get_future();
  t.Forward(to, req, 3s, [promise](absl::StatusOr<peerpb::ForwardResponse> r) {
    promise->set_value(std::move(r));
  });
  if (future.wait_for(kWait) != std::future_status::ready) {
    return absl::InternalError("test: Forward's callback was not called within kWait");
  }
  return future.get();
}

TEST(GrpcTransportTest, ForwardGetsTheLeadersAnswer) {
  Member m1(1), m2(2);
  ASSERT_TRUE(m1.started() && m2.started());
  m1.transport().AddPeer(2, {m2.url()});

  peerpb::ForwardRequest req;
  req.mutable_lease()->set_id(42);
  req.mutable_lease()->set_time_to_live(true);
  req.mutable_lease()->set_keys(true);
  auto resp = ForwardAndWait(m1.transport(), 2, req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->response(), req.SerializeAsString());
  ASSERT_EQ(m2.handler().Get().forwarded.size(), 1u);
  EXPECT_EQ(m2.handler().Get().forwarded[0].SerializeAsString(), req.SerializeAsString());

  peerpb::ForwardRequest promote;
  promote.set_promote_member_id(0x1234);
  resp = ForwardAndWait(m1.transport(), 2, promote);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->response(), promote.SerializeAsString());

  // The leader's error, code and message as it gave them.
  peerpb::ForwardRequest missing;
  missing.mutable_lease()->set_id(0);
  resp = ForwardAndWait(m1.transport(), 2, missing);
  EXPECT_EQ(resp.status(), absl::NotFoundError("requested lease not found"));

  // An unknown peer.
  resp = ForwardAndWait(m1.transport(), 99, req);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kUnavailable) << resp.status();
}

TEST(GrpcTransportTest, ForwardToAnotherClusterIsRefused) {
  Member m1(1, kCluster), m2(2, kCluster + 1);
  ASSERT_TRUE(m1.started() && m2.started());
  m1.transport().AddPeer(2, {m2.url()});
  peerpb::ForwardRequest req;
  req.mutable_lease()->set_id(42);
  auto resp = ForwardAndWait(m1.transport(), 2, req);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kFailedPrecondition) << resp.status();
  EXPECT_TRUE(m2.handler().Get().forwarded.empty());
}

// ---- 7. FetchMembers ----

TEST(GrpcTransportTest, FetchMembers) {
  Member m2(2);
  ASSERT_TRUE(m2.started());
  peerpb::MembersResponse members;
  members.set_cluster_id(kCluster);
  for (uint64_t id : {1, 2, 3}) {
    serverpb::Member* m = members.add_members();
    m->set_id(id);
    m->set_name("m" + std::to_string(id));
    m->add_peer_urls("http://127.0.0.1:" + std::to_string(2380 + id));
    m->add_client_urls("http://127.0.0.1:" + std::to_string(2379 + 10 * id));
  }
  members.mutable_members(2)->set_is_learner(true);
  m2.handler().SetMembers(members);

  auto got = FetchMembers({m2.url()}, 3s);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), members.SerializeAsString());

  // A malformed URL and a dead one before the live one: skipped.
  DeadPort dead;
  got = FetchMembers({"bogus", dead.url(), m2.url()}, 300ms);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), members.SerializeAsString());
}

TEST(GrpcTransportTest, FetchMembersFromNobodyIsUnavailable) {
  DeadPort dead1, dead2;
  const auto start = std::chrono::steady_clock::now();
  auto got = FetchMembers({dead1.url(), dead2.url()}, 200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWait);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
  EXPECT_NE(got.status().message().find(dead2.url()), std::string_view::npos) << got.status();

  got = FetchMembers({}, 200ms);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
}

// ---- 8. Active peers, removing a peer ----

// Polls `cond` until it holds or kWait passes (the channel state has no event to wait on).
bool PollUntil(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(GrpcTransportTest, ActivePeersAndRemovePeer) {
  DeadPort dead;
  Member m1(1), m2(2);
  ASSERT_TRUE(m1.started() && m2.started());
  GrpcTransport& t = m1.transport();
  EXPECT_EQ(t.ActivePeers(), 0);
  t.AddPeer(1, {m1.url()});  // itself: ignored
  t.AddPeer(2, {m2.url()});
  t.AddPeer(3, {dead.url()});

  EXPECT_TRUE(PollUntil([&] { return t.IsActive(2); })) << "peer 2 never became active";
  EXPECT_EQ(t.ActivePeers(), 1);
  EXPECT_FALSE(t.IsActive(3));
  EXPECT_FALSE(t.IsActive(1));
  EXPECT_FALSE(t.IsActive(99));

  t.Send({App(1, 2, 1)});
  ASSERT_TRUE(m2.handler().WaitUntil([](const Seen& s) { return s.received.size() == 1; }));

  t.RemovePeer(2);  // joins the peer's sender: whatever it reports is reported by now
  t.RemovePeer(99);  // unknown: ignored
  EXPECT_FALSE(t.IsActive(2));
  EXPECT_EQ(t.ActivePeers(), 0);
  // Cancelling the stream may itself be reported (a Write cut short by the cancel counts as
  // a lost batch), so count from here.
  const int after_remove = m1.handler().Unreachable(2);
  t.Send({App(1, 2, 2)});  // dropped: no such peer any more
  EXPECT_EQ(m1.handler().Unreachable(2), after_remove + 1);
  t.Send({App(1, 1, 2)});  // itself was never added
  EXPECT_EQ(m1.handler().Unreachable(1), 1);

  // Added back, it gets what is sent from now on, and never the message sent while it was
  // removed.
  t.AddPeer(2, {m2.url()});
  t.Send({App(1, 2, 3)});
  ASSERT_TRUE(m2.handler().WaitUntil([](const Seen& s) { return s.received.size() >= 2; }));
  const Seen got = m2.handler().Get();
  ASSERT_EQ(got.received.size(), 2u);
  EXPECT_EQ(got.received[0].entries(0).index(), 1u);
  EXPECT_EQ(got.received[1].entries(0).index(), 3u);

  // After Stop, everything is dropped and reported.
  t.Stop();
  t.Stop();  // idempotent
  EXPECT_EQ(t.ActivePeers(), 0);
  const int before = m1.handler().Unreachable(2);
  t.Send({App(1, 2, 4)});
  EXPECT_EQ(m1.handler().Unreachable(2), before + 1);
}

// A peer of another cluster (or one that refuses this member as removed) accepts the
// connection but refuses every stream: it must not count as active (etcd's ActivePeers), since
// the server fast-forwards election ticks on ActivePeers() and judges a removal safe on
// IsActive().
TEST(GrpcTransportTest, PeerThatRefusesEveryStreamIsNotActive) {
  Member m1(1, kCluster), m2(2, kCluster + 1);
  ASSERT_TRUE(m1.started() && m2.started());
  m1.transport().AddPeer(2, {m2.url()});
  ASSERT_TRUE(HeartbeatUntil(m1, 1, 2, [](const Seen& s) { return s.unreachable.count(2) > 0; }));
  // A negative property: watch it for a while (heartbeats keep the stream being retried).
  const auto until = std::chrono::steady_clock::now() + 500ms;
  while (std::chrono::steady_clock::now() < until) {
    m1.transport().Send({Heartbeat(1, 2)});
    ASSERT_FALSE(m1.transport().IsActive(2));
    ASSERT_EQ(m1.transport().ActivePeers(), 0);
    m1.handler().WaitUntil([](const Seen&) { return false; }, 20ms);  // heartbeat interval
  }
}

}  // namespace
}  // namespace etcd::transport
