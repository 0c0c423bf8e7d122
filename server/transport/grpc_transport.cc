#include "server/transport/grpc_transport.h"

#include <glog/logging.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <condition_variable>
#include <deque>
#include <thread>
#include <utility>

#include "pkg/sha256.h"
#include "server/member_id.h"
#include "server/url.h"

namespace etcd::transport {
namespace {

constexpr char kClusterIdKey[] = "x-etcd-cluster-id";
constexpr char kFromKey[] = "x-server-from";
constexpr char kClusterMismatch[] = "cluster ID mismatch";
constexpr char kRemoved[] = "the member has been permanently removed from the cluster";

// Messages waiting for one peer (etcd's streamBufSize); beyond it they are dropped.
constexpr size_t kQueueLimit = 4096;
// A batch is cut at this many bytes of messages (a single larger message still goes alone).
constexpr size_t kBatchBytes = 4 << 20;
constexpr auto kMinBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(1000);

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  args.SetMaxReceiveMessageSize(-1);
  // A restarted peer must be reached again within a heartbeat or two, not gRPC's default of
  // up to two minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Peers stay connected however quiet they are (a follower rarely talks to another).
  args.SetInt(GRPC_ARG_CLIENT_IDLE_TIMEOUT_MS, std::numeric_limits<int>::max());
  // Each peer gets its own connection even when two peers share a target string in tests.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

void AddIdentity(grpc::ClientContext* ctx, uint64_t self, uint64_t cluster) {
  ctx->AddMetadata(kClusterIdKey, server::MemberIdToString(cluster));
  ctx->AddMetadata(kFromKey, server::MemberIdToString(self));
}

uint64_t MetadataId(const grpc::ServerContextBase& ctx, const char* key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(key);
  uint64_t id = 0;
  if (it == md.end()) return 0;
  const char* end = it->second.data() + it->second.size();
  auto [ptr, ec] = std::from_chars(it->second.data(), end, id, 16);
  return ec == std::errc() && ptr == end ? id : 0;
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace

absl::StatusOr<std::string> DialTarget(const std::string& url) {
  auto parsed = server::ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  const std::string host = parsed->host == "localhost" || parsed->host.empty() ? "127.0.0.1"
                                                                                : parsed->host;
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(parsed->port);
}

absl::StatusOr<peerpb::MembersResponse> FetchMembers(const std::vector<std::string>& urls,
                                                     std::chrono::milliseconds timeout) {
  absl::Status last = absl::UnavailableError("no peer URLs to ask");
  for (const std::string& url : urls) {
    auto target = DialTarget(url);
    if (!target.ok()) {
      last = target.status();
      continue;
    }
    auto stub = peerpb::Peer::NewStub(NewChannel(*target));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    ctx.set_wait_for_ready(true);
    peerpb::MembersResponse resp;
    grpc::Status s = stub->Members(&ctx, peerpb::MembersRequest(), &resp);
    if (s.ok()) return resp;
    last = absl::UnavailableError("could not retrieve cluster information from " + url + ": " +
                                  s.error_message());
  }
  return absl::UnavailableError(last.message());
}

// ---- Sending ----

class GrpcTransport::Sender {
 public:
  Sender(GrpcTransport* t, uint64_t id, std::vector<std::string> urls)
      : t_(t), id_(id), urls_(std::move(urls)) {
    Connect(0);
    thread_ = std::thread([this] { Run(); });
  }

  ~Sender() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      if (ctx_ != nullptr) ctx_->TryCancel();
    }
    wake_.notify_all();
    thread_.join();
  }

  void SetUrls(std::vector<std::string> urls) {
    std::lock_guard lock(mu_);
    if (urls == urls_) return;
    urls_ = std::move(urls);
    Connect(0);  // the next stream goes to the new URLs
  }

  // Returns false when the queue is full (the message is dropped).
  bool Enqueue(raftpb::Message m) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || queue_.size() >= kQueueLimit) return false;
      queue_.push_back(std::move(m));
    }
    wake_.notify_one();
    return true;
  }

  // Connected: the channel to the peer is up (whether or not a message was sent yet).
  // Since when the channel to the peer has been up (whether or not a message was sent yet);
  // nullopt when it is down.
  std::optional<std::chrono::steady_clock::time_point> active_since() {
    std::lock_guard lock(mu_);
    PollStateLocked();
    return connected_since_;
  }

  std::shared_ptr<peerpb::Peer::Stub> stub() {
    std::lock_guard lock(mu_);
    return stub_;
  }

 private:
  // Waits for messages or a stop, watching the connection meanwhile (etcd counts a peer as
  // healthy only once it has been connected for a while: see ActiveSince).
  void WaitForWork(std::unique_lock<std::mutex>& lock) {
    while (!stopping_ && queue_.empty()) {
      PollStateLocked();
      wake_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }

  // REQUIRES: mu_ held.
  void PollStateLocked() {
    if (channel_->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY && !refused_) {
      if (!connected_since_) connected_since_ = std::chrono::steady_clock::now();
    } else {
      connected_since_.reset();
      // A new connection gets a new chance (the peer may have been fixed meanwhile).
      if (channel_->GetState(false) != GRPC_CHANNEL_READY) refused_ = false;
    }
  }

  // REQUIRES: mu_ held, or the constructor.
  void Connect(size_t index) {
    url_index_ = urls_.empty() ? 0 : index % urls_.size();
    auto target = urls_.empty() ? absl::InvalidArgumentError("member has no peer URL")
                                : DialTarget(urls_[url_index_]);
    if (!target.ok()) {
      LOG(WARNING) << "peer " << server::MemberIdToString(id_) << ": " << target.status();
      channel_ = NewChannel("127.0.0.1:1");
    } else {
      channel_ = NewChannel(*target);
    }
    stub_ = peerpb::Peer::NewStub(channel_);
    connected_since_.reset();
    refused_ = false;
    channel_->GetState(/*try_to_connect=*/true);  // connect now, not at the first message
  }

  void Run() {
    auto backoff = kMinBackoff;
    bool was_active = false;
    while (true) {
      std::shared_ptr<peerpb::Peer::Stub> stub;
      auto ctx = std::make_unique<grpc::ClientContext>();
      AddIdentity(ctx.get(), t_->self_, t_->cluster_);
      {
        std::unique_lock lock(mu_);
        WaitForWork(lock);
        if (stopping_) return;
        ctx_ = ctx.get();
        stub = stub_;
      }
      peerpb::StreamResponse resp;
      std::unique_ptr<grpc::ClientWriter<peerpb::MessageBatch>> writer =
          stub->Stream(ctx.get(), &resp);
      bool ok = true;
      while (ok) {
        peerpb::MessageBatch batch;
        {
          std::unique_lock lock(mu_);
          WaitForWork(lock);
          if (stopping_) break;
          size_t bytes = 0;
          while (!queue_.empty() && (bytes == 0 || bytes < kBatchBytes)) {
            bytes += queue_.front().ByteSizeLong();
            *batch.add_messages() = std::move(queue_.front());
            queue_.pop_front();
          }
        }
        ok = writer->Write(batch);
        if (ok) {
          if (!was_active) {
            LOG(INFO) << "peer " << server::MemberIdToString(id_) << " became active";
          }
          was_active = true;
          backoff = kMinBackoff;
        }
        // Otherwise the batch is lost with the stream: reported below, once the reason is
        // known.
      }
      // A failed Write means the call is over: Finish gives the peer's reason (a refusal,
      // say). Only a stop cuts a healthy stream.
      if (ok) ctx->TryCancel();
      grpc::Status status = writer->Finish();
      const bool refused = status.error_code() == grpc::StatusCode::FAILED_PRECONDITION;
      bool stopping;
      bool dropped = !ok;
      {
        std::lock_guard lock(mu_);
        ctx_ = nullptr;
        stopping = stopping_;
        // Whatever waited for the broken stream is dropped; Raft resends what matters.
        dropped |= !queue_.empty();
        queue_.clear();
        // A peer that refuses this member is not an active peer, however connected.
        if (refused) refused_ = true;
      }
      if (stopping) return;
      if (dropped) t_->handler_->ReportUnreachable(id_);
      if (refused) {
        LOG(ERROR) << "peer " << server::MemberIdToString(id_)
                   << " rejected this member's messages: " << status.error_message();
        if (status.error_message() == kRemoved) t_->handler_->OnRemoved();
      } else if (was_active) {
        LOG(WARNING) << "lost the stream to peer " << server::MemberIdToString(id_) << ": "
                     << status.error_message();
      }
      was_active = false;
      {
        std::unique_lock lock(mu_);
        if (wake_.wait_for(lock, backoff, [&] { return stopping_; })) return;
        if (urls_.size() > 1) Connect(url_index_ + 1);
      }
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
    }
  }

  GrpcTransport* const t_;
  const uint64_t id_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::string> urls_;                  // guarded by mu_
  size_t url_index_ = 0;                           // guarded by mu_
  std::shared_ptr<grpc::Channel> channel_;         // guarded by mu_
  std::optional<std::chrono::steady_clock::time_point> connected_since_;  // guarded by mu_
  bool refused_ = false;  // guarded by mu_: the last stream was refused on this connection
  std::shared_ptr<peerpb::Peer::Stub> stub_;       // guarded by mu_
  std::deque<raftpb::Message> queue_;              // guarded by mu_
  grpc::ClientContext* ctx_ = nullptr;             // guarded by mu_: the open stream's
  bool stopping_ = false;                          // guarded by mu_
  std::thread thread_;
};

// ---- Receiving ----

class GrpcTransport::Service final : public peerpb::Peer::CallbackService {
 public:
  explicit Service(GrpcTransport* t) : t_(t) {}

  grpc::ServerReadReactor<peerpb::MessageBatch>* Stream(grpc::CallbackServerContext* ctx,
                                                        peerpb::StreamResponse*) override {
    return new StreamReader(t_, MetadataId(*ctx, kFromKey), Check(*ctx));
  }

  grpc::ServerReadReactor<peerpb::SnapshotChunk>* Snapshot(grpc::CallbackServerContext* ctx,
                                                           peerpb::SnapshotResponse*) override {
    return new SnapshotReader(t_, Check(*ctx));
  }

  grpc::ServerUnaryReactor* Members(grpc::CallbackServerContext* ctx,
                                    const peerpb::MembersRequest*,
                                    peerpb::MembersResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    // A member not yet part of the cluster asks this before it knows the cluster ID.
    *resp = t_->handler_->Members();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* Forward(grpc::CallbackServerContext* ctx,
                                    const peerpb::ForwardRequest* req,
                                    peerpb::ForwardResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    if (grpc::Status s = Check(*ctx); !s.ok()) {
      reactor->Finish(s);
      return reactor;
    }
    t_->handler_->Forwarded(*req, [reactor, resp](absl::StatusOr<peerpb::ForwardResponse> r) {
      if (!r.ok()) {
        reactor->Finish(grpc::Status(static_cast<grpc::StatusCode>(r.status().code()),
                                     std::string(r.status().message())));
        return;
      }
      *resp = std::move(*r);
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }

 private:
  // Reads one peer's stream and hands each message to the member. A member removed while
  // its stream is open is refused at its next batch: a removed follower that missed the
  // commit of its own removal learns it this way (etcd's rafthttp refuses a removed sender
  // on every message) and stops, instead of campaigning forever.
  class StreamReader final : public grpc::ServerReadReactor<peerpb::MessageBatch> {
   public:
    StreamReader(GrpcTransport* t, uint64_t from, grpc::Status check) : t_(t), from_(from) {
      if (!check.ok()) {
        Finish(check);
        return;
      }
      StartRead(&batch_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::OK);
        return;
      }
      if (t_->handler_->IsRemoved(from_)) {
        Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, kRemoved));
        return;
      }
      for (raftpb::Message& m : *batch_.mutable_messages()) t_->handler_->Receive(std::move(m));
      batch_.Clear();
      StartRead(&batch_);
    }
    void OnDone() override { delete this; }

   private:
    GrpcTransport* const t_;
    const uint64_t from_;  // the sending member's ID, from the stream's metadata
    peerpb::MessageBatch batch_;
  };

  // Receives one snapshot: the MsgSnap first, then the backend's chunks into the member's
  // sink, then the checksum; only a complete, verified transfer reaches Raft.
  class SnapshotReader final : public grpc::ServerReadReactor<peerpb::SnapshotChunk> {
   public:
    SnapshotReader(GrpcTransport* t, grpc::Status check) : t_(t) {
      if (!check.ok()) {
        Finish(check);
        return;
      }
      StartRead(&chunk_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::ABORTED, "snapshot stream ended early"));
        return;
      }
      if (sink_ == nullptr) {
        if (!chunk_.has_message() || chunk_.message().type() != raftpb::MSG_SNAP) {
          Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "a snapshot stream must start with its MsgSnap"));
          return;
        }
        auto sink = t_->handler_->OpenSnapshotSink(chunk_.message());
        if (!sink.ok()) {
          Finish(ToGrpc(sink.status()));
          return;
        }
        sink_ = std::move(*sink);
      } else if (chunk_.last()) {
        if (chunk_.sha256() != sha_.Final()) {
          LOG(ERROR) << "received a snapshot whose checksum does not match; dropped";
          Finish(grpc::Status(grpc::StatusCode::DATA_LOSS, "snapshot checksum mismatch"));
          return;
        }
        absl::Status s = sink_->Finish();
        Finish(s.ok() ? grpc::Status::OK : ToGrpc(s));
        return;
      } else {
        sha_.Update(chunk_.data());
        if (absl::Status s = sink_->Write(chunk_.data()); !s.ok()) {
          Finish(ToGrpc(s));
          return;
        }
      }
      chunk_.Clear();
      StartRead(&chunk_);
    }
    void OnDone() override { delete this; }

   private:
    GrpcTransport* const t_;
    peerpb::SnapshotChunk chunk_;
    std::unique_ptr<SnapshotSink> sink_;
    pkg::Sha256 sha_;  // of the chunks so far
  };

  grpc::Status Check(const grpc::CallbackServerContext& ctx) const {
    const uint64_t cluster = MetadataId(ctx, kClusterIdKey);
    if (cluster != t_->cluster_) {
      LOG(WARNING) << "request cluster ID mismatch (got " << server::MemberIdToString(cluster)
                   << " want " << server::MemberIdToString(t_->cluster_) << ")";
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, kClusterMismatch);
    }
    const uint64_t from = MetadataId(ctx, kFromKey);
    if (t_->handler_->IsRemoved(from)) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, kRemoved);
    }
    return grpc::Status::OK;
  }

  GrpcTransport* const t_;
};

// ---- Transport ----

GrpcTransport::GrpcTransport(uint64_t self, uint64_t cluster, PeerHandler* handler)
    : self_(self), cluster_(cluster), handler_(handler),
      service_(std::make_unique<Service>(this)) {}

GrpcTransport::~GrpcTransport() { Stop(); }

grpc::Service* GrpcTransport::service() { return service_.get(); }

void GrpcTransport::AddPeer(uint64_t id, const std::vector<std::string>& urls) {
  if (id == self_) return;
  std::lock_guard lock(mu_);
  if (stopped_) return;
  auto it = senders_.find(id);
  if (it != senders_.end()) {
    it->second->SetUrls(urls);
    return;
  }
  LOG(INFO) << "added peer " << server::MemberIdToString(id);
  senders_.emplace(id, std::make_unique<Sender>(this, id, urls));
}

void GrpcTransport::RemovePeer(uint64_t id) {
  std::unique_ptr<Sender> sender;
  {
    std::lock_guard lock(mu_);
    auto it = senders_.find(id);
    if (it == senders_.end()) return;
    sender = std::move(it->second);
    senders_.erase(it);
  }
  LOG(INFO) << "removed peer " << server::MemberIdToString(id);
}

void GrpcTransport::Send(std::vector<raftpb::Message> messages) {
  std::vector<uint64_t> unreachable;
  std::vector<uint64_t> failed_snapshots;
  {
    std::lock_guard lock(mu_);
    for (raftpb::Message& m : messages) {
      const uint64_t to = m.to();
      if (m.type() == raftpb::MSG_SNAP) {  // needs its backend: SendSnapshot
        failed_snapshots.push_back(to);
        continue;
      }
      auto it = senders_.find(to);
      if (stopped_ || it == senders_.end() || !it->second->Enqueue(std::move(m))) {
        unreachable.push_back(to);
      }
    }
  }
  std::sort(unreachable.begin(), unreachable.end());
  unreachable.erase(std::unique(unreachable.begin(), unreachable.end()), unreachable.end());
  for (uint64_t id : unreachable) handler_->ReportUnreachable(id);
  for (uint64_t id : failed_snapshots) {
    LOG(WARNING) << "dropped a MsgSnap to " << server::MemberIdToString(id)
                 << " given without its backend (use SendSnapshot)";
    handler_->ReportSnapshot(id, false);
  }
}

void GrpcTransport::SendSnapshot(raftpb::Message m, std::unique_ptr<SnapshotSource> source) {
  const uint64_t to = m.to();
  std::shared_ptr<peerpb::Peer::Stub> stub;
  auto ctx = std::make_shared<grpc::ClientContext>();
  {
    std::lock_guard lock(mu_);
    auto it = senders_.find(to);
    if (!stopped_ && it != senders_.end()) {
      stub = it->second->stub();
      snapshot_calls_.push_back(ctx);
    }
  }
  if (stub == nullptr) {
    handler_->ReportSnapshot(to, false);
    return;
  }
  AddIdentity(ctx.get(), self_, cluster_);
  std::thread([this, to, stub, ctx, m = std::move(m), source = std::move(source)]() mutable {
    const uint64_t index = m.snapshot().metadata().index();
    LOG(INFO) << "sending a snapshot at index " << index << " to "
              << server::MemberIdToString(to);
    peerpb::SnapshotResponse resp;
    auto writer = stub->Snapshot(ctx.get(), &resp);
    peerpb::SnapshotChunk chunk;
    *chunk.mutable_message() = std::move(m);
    bool ok = writer->Write(chunk);
    pkg::Sha256 sha;
    uint64_t bytes = 0;
    std::string data;
    while (ok && source->Next(&data)) {
      sha.Update(data);
      bytes += data.size();
      chunk.Clear();
      chunk.set_data(std::move(data));
      ok = writer->Write(chunk);
    }
    if (ok && !source->status().ok()) {
      LOG(ERROR) << "reading the backend for a snapshot failed: " << source->status();
      ctx->TryCancel();  // the stream itself is fine: end it, or Finish would wait forever
      ok = false;
    }
    if (ok) {
      chunk.Clear();
      chunk.set_last(true);
      chunk.set_sha256(sha.Final());
      ok = writer->Write(chunk) && writer->WritesDone();
    }
    const grpc::Status status = writer->Finish();
    ok = ok && status.ok();
    if (ok) {
      LOG(INFO) << "sent a snapshot at index " << index << " (" << bytes << " bytes) to "
                << server::MemberIdToString(to);
    } else {
      LOG(WARNING) << "failed to send a snapshot at index " << index << " to "
                   << server::MemberIdToString(to) << ": " << status.error_message();
    }
    handler_->ReportSnapshot(to, ok);
    // Notified under the lock: once Stop() sees the list empty, this thread touches nothing.
    std::lock_guard lock(mu_);
    snapshot_calls_.erase(std::find(snapshot_calls_.begin(), snapshot_calls_.end(), ctx));
    snapshots_done_.notify_all();
  }).detach();
}

void GrpcTransport::Forward(uint64_t to, const peerpb::ForwardRequest& request,
                            std::chrono::milliseconds timeout, ForwardDone done) {
  std::shared_ptr<peerpb::Peer::Stub> stub;
  {
    std::lock_guard lock(mu_);
    auto it = senders_.find(to);
    if (!stopped_ && it != senders_.end()) stub = it->second->stub();
  }
  if (stub == nullptr) {
    std::move(done)(absl::UnavailableError("leader " + server::MemberIdToString(to) +
                                           " is not a known peer"));
    return;
  }
  struct Call {
    std::shared_ptr<peerpb::Peer::Stub> stub;
    grpc::ClientContext ctx;
    peerpb::ForwardRequest request;
    peerpb::ForwardResponse response;
    ForwardDone done;
  };
  auto* call = new Call{std::move(stub), {}, request, {}, std::move(done)};
  AddIdentity(&call->ctx, self_, cluster_);
  call->ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  call->stub->async()->Forward(&call->ctx, &call->request, &call->response,
                             [call](grpc::Status s) {
                               std::unique_ptr<Call> owned(call);
                               if (s.ok()) {
                                 std::move(owned->done)(std::move(owned->response));
                               } else {
                                 std::move(owned->done)(absl::Status(
                                     static_cast<absl::StatusCode>(s.error_code()),
                                     s.error_message()));
                               }
                             });
}

int GrpcTransport::ActivePeers() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(std::count_if(senders_.begin(), senders_.end(),
                                        [](const auto& s) {
                                          return s.second->active_since().has_value();
                                        }));
}

bool GrpcTransport::IsActive(uint64_t id) const { return ActiveSince(id).has_value(); }

std::optional<std::chrono::steady_clock::time_point> GrpcTransport::ActiveSince(
    uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = senders_.find(id);
  if (it == senders_.end()) return std::nullopt;
  return it->second->active_since();
}

void GrpcTransport::Stop() {
  std::map<uint64_t, std::unique_ptr<Sender>> senders;
  {
    std::unique_lock lock(mu_);
    stopped_ = true;
    senders.swap(senders_);
    for (auto& ctx : snapshot_calls_) ctx->TryCancel();
    snapshots_done_.wait(lock, [&] { return snapshot_calls_.empty(); });
  }
  senders.clear();  // joins each sender's thread, outside the lock
}

}  // namespace etcd::transport
