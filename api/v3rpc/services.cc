#include "api/v3rpc/services.h"

#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "api/v3electionpb/v3election.grpc.pb.h"
#include "api/v3lockpb/v3lock.grpc.pb.h"

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace etcd::api {
namespace {

using etcdserverpb::Cluster;
using etcdserverpb::KV;
using etcdserverpb::Maintenance;

// Answers a unary call: moves the server's response into the gRPC-owned one and finishes.
template <typename Response>
Done<Response> Reply(grpc::ServerUnaryReactor* reactor, Response* out) {
  return [reactor, out](absl::StatusOr<Response> result) {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    *out = std::move(*result);
    reactor->Finish(grpc::Status::OK);
  };
}

// What a learner serves (etcd 3.4's isRPCSupportedForLearner): Status and serializable Range.
template <typename Request>
bool SupportedForLearner(const Request&) {
  return false;
}
template <>
bool SupportedForLearner(const etcdserverpb::StatusRequest&) {
  return true;
}
template <>
bool SupportedForLearner(const etcdserverpb::RangeRequest& r) {
  return r.serializable();
}

const grpc::Status& NotSupportedForLearner() {
  static const grpc::Status status(grpc::StatusCode::UNAVAILABLE,
                                   "etcdserver: rpc not supported for learner");
  return status;
}

// Starts serving one unary call with `method` of the server; the reply comes through `done`.
template <typename Api, typename Request, typename Response>
grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* ctx, Api* api,
                                void (Api::*method)(const Request&, Done<Response>),
                                const Request* req, Response* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if constexpr (std::is_same_v<Api, EtcdApi>) {
    if (api->IsLearner() && !SupportedForLearner(*req)) {
      reactor->Finish(NotSupportedForLearner());
      return reactor;
    }
  }
  (api->*method)(*req, Reply(reactor, resp));
  return reactor;
}

// A stream refused at its start (a learner asked for a Watch, LeaseKeepAlive or Snapshot
// stream, or the snapshot could not be opened). Reactor is grpc::ServerBidiReactor<Req, Resp>
// or grpc::ServerWriteReactor<Resp>.
template <typename Reactor>
class RefusedStream final : public Reactor {
 public:
  explicit RefusedStream(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

// The write half of the Watch, LeaseKeepAlive and Observe streams. gRPC allows one outstanding
// write per stream, so a response is taken from the subclass (NextLocked) only when the
// previous write is done. A finish, once requested (by the subclass, a cancellation or a failed
// write), is sent when no write is in flight and NextLocked has nothing more.
//
// Lifetime: the reactor owns itself through a shared pointer (taken by StayAliveUntilDone)
// until gRPC calls OnDone; callbacks that may run later hold weak_from_this() and find it gone.
//
// Thread-safety: MaybeWrite and RequestFinish may be called from any thread. The state below
// is guarded by mu_, which subclasses use for their own state too; NextLocked runs with mu_
// held. gRPC is called (StartWrite, Finish) without it.
//
// Reactor is grpc::ServerBidiReactor<Request, Response> or grpc::ServerWriteReactor<Response>;
// Derived is the final class.
template <typename Derived, typename Reactor, typename Response>
class StreamWriter : public Reactor, public std::enable_shared_from_this<Derived> {
 public:
  void OnWriteDone(bool ok) override {
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      if (!ok) finish_requested_ = true;
    }
    MaybeWrite();
  }

  void OnCancel() override { RequestFinish(grpc::Status::CANCELLED); }

  void OnDone() override {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    self_.reset();  // may destroy this
  }

  // Starts writing the next response if no write is in flight, or sends a requested finish
  // when there is nothing more to write.
  void MaybeWrite() {
    std::unique_lock lock(mu_);
    if (writing_ || finished_ || done_) return;
    bool more_ready = false;
    std::optional<Response> next = NextLocked(&more_ready);
    if (!next) {
      if (!finish_requested_) return;
      finished_ = true;
      lock.unlock();
      this->Finish(finish_status_);
      return;
    }
    response_ = std::move(*next);
    writing_ = true;
    // When another response is ready, let gRPC buffer this one: a run of responses leaves in
    // a few socket writes instead of one each, and the last of the run, written without the
    // hint, flushes them all. Never the stream's first write: it carries the initial metadata,
    // and gRPC never completes a buffered first message (grpc/grpc#12975, #34231), which left
    // the stream silent for good.
    grpc::WriteOptions options;
    if (more_ready && wrote_) options.set_buffer_hint();
    wrote_ = true;
    lock.unlock();
    this->StartWrite(&response_, options);
  }

 protected:
  // Under mu_: the next response to write, or nullopt when none is ready. Sets *more_ready
  // when another is ready already (which lets gRPC buffer this one; leave it false to write
  // each response out at once).
  virtual std::optional<Response> NextLocked(bool* more_ready) = 0;

  // Keeps the reactor alive until OnDone. REQUIRES: it is owned by a shared pointer.
  void StayAliveUntilDone() { self_ = this->shared_from_this(); }

  // Ends the stream with `status` once what NextLocked still gives is written; the first
  // request wins.
  void RequestFinish(grpc::Status status) {
    {
      std::lock_guard lock(mu_);
      if (finish_requested_) return;
      finish_requested_ = true;
      finish_status_ = std::move(status);
    }
    MaybeWrite();
  }

  // REQUIRES: mu_ held. Also true once OnDone ran (gRPC calls it only after Finish).
  bool FinishRequestedLocked() const { return finish_requested_; }
  bool FinishRequested() {
    std::lock_guard lock(mu_);
    return finish_requested_;
  }

  std::mutex mu_;

 private:
  std::shared_ptr<Derived> self_;  // dropped in OnDone
  Response response_;              // the write in flight
  bool writing_ = false;           // guarded by mu_
  bool wrote_ = false;             // guarded by mu_: a write was started
  bool finish_requested_ = false;  // guarded by mu_
  bool finished_ = false;          // guarded by mu_: Finish called
  bool done_ = false;              // guarded by mu_: OnDone ran
  grpc::Status finish_status_;     // guarded by mu_
};

// A StreamWriter whose responses are produced ahead of their writes and written in order, each
// at once; a requested finish goes out after those already queued.
template <typename Derived, typename Reactor, typename Response>
class QueuedWriter : public StreamWriter<Derived, Reactor, Response> {
 protected:
  // Queues `response` behind the others and starts writing it if the stream is idle. False
  // (and `response` dropped) once a finish was requested.
  bool Push(Response response) {
    {
      std::lock_guard lock(this->mu_);
      if (this->FinishRequestedLocked()) return false;
      queue_.push_back(std::move(response));
    }
    this->MaybeWrite();
    return true;
  }

 private:
  std::optional<Response> NextLocked(bool*) override {
    if (queue_.empty()) return std::nullopt;
    std::optional<Response> next = std::move(queue_.front());
    queue_.pop_front();
    return next;
  }

  std::deque<Response> queue_;  // guarded by mu_
};

class KvService final : public KV::CallbackService {
 public:
  explicit KvService(EtcdApi* api) : api_(api) {}

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::RangeRequest* req,
                                  etcdserverpb::RangeResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Range, req, resp);
  }
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx,
                                const etcdserverpb::PutRequest* req,
                                etcdserverpb::PutResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Put, req, resp);
  }
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::DeleteRangeRequest* req,
                                        etcdserverpb::DeleteRangeResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::DeleteRange, req, resp);
  }
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* ctx,
                                const etcdserverpb::TxnRequest* req,
                                etcdserverpb::TxnResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Txn, req, resp);
  }
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* ctx,
                                    const etcdserverpb::CompactionRequest* req,
                                    etcdserverpb::CompactionResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Compact, req, resp);
  }

 private:
  EtcdApi* const api_;
};

// One Watch stream: reads requests into the session and writes what the session has ready.
// A requested finish goes out before responses the session still has.
class WatchReactor final
    : public StreamWriter<
          WatchReactor,
          grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>,
          etcdserverpb::WatchResponse> {
 public:
  void Begin(EtcdApi* api) {
    StayAliveUntilDone();
    std::weak_ptr<WatchReactor> weak = weak_from_this();
    session_ = api->NewWatchSession([weak] {
      if (auto r = weak.lock()) r->MaybeWrite();
    });
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or the call ended): end the stream, as etcd
      RequestFinish(grpc::Status::OK);
      return;
    }
    session_->Request(request_);
    StartRead(&request_);
  }

  void OnDone() override {
    std::unique_ptr<WatchSession> session;
    {
      std::lock_guard lock(mu_);
      session = std::move(session_);  // no write follows: Finish was called
    }
    session.reset();         // cancels the watchers
    StreamWriter::OnDone();  // may destroy this
  }

 private:
  std::optional<etcdserverpb::WatchResponse> NextLocked(bool* more_ready) override {
    if (FinishRequestedLocked() || !session_) return std::nullopt;
    std::optional<etcdserverpb::WatchResponse> next =
        lookahead_ ? std::exchange(lookahead_, std::nullopt) : session_->Next();
    if (!next) return std::nullopt;
    // The responses of one event (one per watcher) come in a run: look one ahead so that all
    // but the last of the run are buffered.
    lookahead_ = session_->Next();
    *more_ready = lookahead_.has_value();
    return next;
  }

  etcdserverpb::WatchRequest request_;     // only the gRPC reading side touches it
  std::unique_ptr<WatchSession> session_;  // guarded by mu_ (set in Begin, reset in OnDone)
  std::optional<etcdserverpb::WatchResponse> lookahead_;  // guarded by mu_: the next to write
};

class WatchService final : public etcdserverpb::Watch::CallbackService {
 public:
  explicit WatchService(EtcdApi* api) : api_(api) {}

  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      grpc::CallbackServerContext*) override {
    if (api_->IsLearner()) {
      return new RefusedStream<
          grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>(
          NotSupportedForLearner());
    }
    auto reactor = std::make_shared<WatchReactor>();
    reactor->Begin(api_);
    return reactor.get();
  }

 private:
  EtcdApi* const api_;
};

// One LeaseKeepAlive stream: each request is answered, in order, with the lease's new TTL.
class KeepAliveReactor final
    : public QueuedWriter<KeepAliveReactor,
                          grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                                                  etcdserverpb::LeaseKeepAliveResponse>,
                          etcdserverpb::LeaseKeepAliveResponse> {
 public:
  void Begin(EtcdApi* api) {
    api_ = api;
    StayAliveUntilDone();
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      RequestFinish(grpc::Status::OK);
      return;
    }
    std::weak_ptr<KeepAliveReactor> weak = weak_from_this();
    api_->LeaseKeepAlive(request_, [weak](absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> r) {
      auto self = weak.lock();
      if (!self) return;
      if (!r.ok()) {
        self->RequestFinish(ToGrpcStatus(r.status()));
        return;
      }
      if (!self->Push(std::move(*r))) return;
      // Read the next request only once this one is answered, as etcd does.
      self->StartRead(&self->request_);
    });
  }

 private:
  EtcdApi* api_ = nullptr;
  etcdserverpb::LeaseKeepAliveRequest request_;  // one read or one keep-alive call at a time
};

class LeaseService final : public etcdserverpb::Lease::CallbackService {
 public:
  explicit LeaseService(EtcdApi* api) : api_(api) {}

  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::LeaseGrantRequest* req,
                                       etcdserverpb::LeaseGrantResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::LeaseGrant, req, resp);
  }
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseRevokeRequest* req,
                                        etcdserverpb::LeaseRevokeResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::LeaseRevoke, req, resp);
  }
  grpc::ServerUnaryReactor* LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                            const etcdserverpb::LeaseTimeToLiveRequest* req,
                                            etcdserverpb::LeaseTimeToLiveResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::LeaseTimeToLive, req, resp);
  }
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseLeasesRequest* req,
                                        etcdserverpb::LeaseLeasesResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::LeaseLeases, req, resp);
  }
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(grpc::CallbackServerContext*) override {
    if (api_->IsLearner()) {
      return new RefusedStream<grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                                                       etcdserverpb::LeaseKeepAliveResponse>>(
          NotSupportedForLearner());
    }
    auto reactor = std::make_shared<KeepAliveReactor>();
    reactor->Begin(api_);
    return reactor.get();
  }

 private:
  EtcdApi* const api_;
};

class LockService final : public v3lockpb::Lock::CallbackService {
 public:
  explicit LockService(ConcurrencyApi* api) : api_(api) {}

  grpc::ServerUnaryReactor* Lock(grpc::CallbackServerContext* ctx, const v3lockpb::LockRequest* req,
                                 v3lockpb::LockResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    // The context stays valid until the reactor finishes, i.e. as long as Lock waits.
    api_->Lock(*req, [ctx] { return !ctx->IsCancelled(); }, Reply(reactor, resp));
    return reactor;
  }
  grpc::ServerUnaryReactor* Unlock(grpc::CallbackServerContext* ctx,
                                   const v3lockpb::UnlockRequest* req,
                                   v3lockpb::UnlockResponse* resp) override {
    return Serve(ctx, api_, &ConcurrencyApi::Unlock, req, resp);
  }

 private:
  ConcurrencyApi* const api_;
};

// One Observe stream: writes each leader the election reports, in order.
class ObserveReactor final
    : public QueuedWriter<ObserveReactor, grpc::ServerWriteReactor<v3electionpb::LeaderResponse>,
                          v3electionpb::LeaderResponse> {
 public:
  void Begin(ConcurrencyApi* api, const v3electionpb::LeaderRequest& req) {
    StayAliveUntilDone();
    std::weak_ptr<ObserveReactor> weak = weak_from_this();
    api->Observe(
        req,
        [weak](v3electionpb::LeaderResponse r) {
          if (auto self = weak.lock()) self->Push(std::move(r));
        },
        [weak] {
          auto self = weak.lock();
          return self && !self->FinishRequested();
        },
        [weak](absl::StatusOr<bool> end) {
          if (auto self = weak.lock()) {
            self->RequestFinish(end.ok() ? grpc::Status::OK : ToGrpcStatus(end.status()));
          }
        });
  }
};

class ElectionService final : public v3electionpb::Election::CallbackService {
 public:
  explicit ElectionService(ConcurrencyApi* api) : api_(api) {}

  grpc::ServerUnaryReactor* Campaign(grpc::CallbackServerContext* ctx,
                                     const v3electionpb::CampaignRequest* req,
                                     v3electionpb::CampaignResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    api_->Campaign(*req, [ctx] { return !ctx->IsCancelled(); }, Reply(reactor, resp));
    return reactor;
  }
  grpc::ServerUnaryReactor* Proclaim(grpc::CallbackServerContext* ctx,
                                     const v3electionpb::ProclaimRequest* req,
                                     v3electionpb::ProclaimResponse* resp) override {
    return Serve(ctx, api_, &ConcurrencyApi::Proclaim, req, resp);
  }
  grpc::ServerUnaryReactor* Leader(grpc::CallbackServerContext* ctx,
                                   const v3electionpb::LeaderRequest* req,
                                   v3electionpb::LeaderResponse* resp) override {
    return Serve(ctx, api_, &ConcurrencyApi::Leader, req, resp);
  }
  grpc::ServerUnaryReactor* Resign(grpc::CallbackServerContext* ctx,
                                   const v3electionpb::ResignRequest* req,
                                   v3electionpb::ResignResponse* resp) override {
    return Serve(ctx, api_, &ConcurrencyApi::Resign, req, resp);
  }
  grpc::ServerWriteReactor<v3electionpb::LeaderResponse>* Observe(
      grpc::CallbackServerContext*, const v3electionpb::LeaderRequest* req) override {
    auto reactor = std::make_shared<ObserveReactor>();
    reactor->Begin(api_, *req);
    return reactor.get();
  }

 private:
  ConcurrencyApi* const api_;
};

class ClusterService final : public Cluster::CallbackService {
 public:
  explicit ClusterService(EtcdApi* api) : api_(api) {}

  grpc::ServerUnaryReactor* MemberAdd(grpc::CallbackServerContext* ctx,
                                      const etcdserverpb::MemberAddRequest* req,
                                      etcdserverpb::MemberAddResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::MemberAdd, req, resp);
  }
  grpc::ServerUnaryReactor* MemberRemove(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberRemoveRequest* req,
                                         etcdserverpb::MemberRemoveResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::MemberRemove, req, resp);
  }
  grpc::ServerUnaryReactor* MemberUpdate(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberUpdateRequest* req,
                                         etcdserverpb::MemberUpdateResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::MemberUpdate, req, resp);
  }
  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::MemberListRequest* req,
                                       etcdserverpb::MemberListResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::MemberList, req, resp);
  }
  grpc::ServerUnaryReactor* MemberPromote(grpc::CallbackServerContext* ctx,
                                          const etcdserverpb::MemberPromoteRequest* req,
                                          etcdserverpb::MemberPromoteResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::MemberPromote, req, resp);
  }

 private:
  EtcdApi* const api_;
};

// Streams a snapshot: each message is produced when the previous one has been sent, so the
// backend is read at the client's pace and never held in memory.
class SnapshotReactor final : public grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse> {
 public:
  explicit SnapshotReactor(std::unique_ptr<SnapshotStream> stream) : stream_(std::move(stream)) {
    WriteNext();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "snapshot stream broken"));
      return;
    }
    WriteNext();
  }
  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    response_.Clear();
    if (!stream_->Next(&response_)) {
      Finish(ToGrpcStatus(stream_->status()));
      return;
    }
    StartWrite(&response_);
  }
  std::unique_ptr<SnapshotStream> stream_;
  etcdserverpb::SnapshotResponse response_;
};

class MaintenanceService final : public Maintenance::CallbackService {
 public:
  explicit MaintenanceService(EtcdApi* api) : api_(api) {}

  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx,
                                   const etcdserverpb::StatusRequest* req,
                                   etcdserverpb::StatusResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Status, req, resp);
  }
  grpc::ServerUnaryReactor* MoveLeader(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::MoveLeaderRequest* req,
                                       etcdserverpb::MoveLeaderResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::MoveLeader, req, resp);
  }
  grpc::ServerUnaryReactor* Alarm(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::AlarmRequest* req,
                                  etcdserverpb::AlarmResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Alarm, req, resp);
  }
  grpc::ServerUnaryReactor* Defragment(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::DefragmentRequest* req,
                                       etcdserverpb::DefragmentResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Defragment, req, resp);
  }
  grpc::ServerUnaryReactor* Hash(grpc::CallbackServerContext* ctx,
                                 const etcdserverpb::HashRequest* req,
                                 etcdserverpb::HashResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::Hash, req, resp);
  }
  grpc::ServerUnaryReactor* HashKV(grpc::CallbackServerContext* ctx,
                                   const etcdserverpb::HashKVRequest* req,
                                   etcdserverpb::HashKVResponse* resp) override {
    return Serve(ctx, api_, &EtcdApi::HashKV, req, resp);
  }
  grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>* Snapshot(
      grpc::CallbackServerContext*, const etcdserverpb::SnapshotRequest*) override {
    auto stream = api_->IsLearner()
                      ? absl::StatusOr<std::unique_ptr<SnapshotStream>>(absl::UnavailableError(
                            "etcdserver: rpc not supported for learner"))
                      : api_->NewSnapshotStream();
    if (!stream.ok()) {
      return new RefusedStream<grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>>(
          ToGrpcStatus(stream.status()));
    }
    return new SnapshotReactor(std::move(*stream));
  }

 private:
  EtcdApi* const api_;
};

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering (both follow google.rpc.Code).
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

std::vector<std::unique_ptr<grpc::Service>> NewEtcdServices(EtcdApi* api,
                                                            ConcurrencyApi* concurrency) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<KvService>(api));
  services.push_back(std::make_unique<ClusterService>(api));
  services.push_back(std::make_unique<MaintenanceService>(api));
  services.push_back(std::make_unique<WatchService>(api));
  services.push_back(std::make_unique<LeaseService>(api));
  services.push_back(std::make_unique<LockService>(concurrency));
  services.push_back(std::make_unique<ElectionService>(concurrency));
  // Not implemented yet: every method of these answers UNIMPLEMENTED.
  services.push_back(std::make_unique<etcdserverpb::Auth::CallbackService>());
  return services;
}

}  // namespace etcd::api
