#include "client/client.h"

#include "client/internal/connection.h"

namespace etcd::client {

using internal::Clock;
using internal::Retry;
using internal::Stubs;
using internal::Unary;
using internal::UnaryOn;

namespace {

Clock::time_point DeadlineAfter(std::chrono::milliseconds timeout) {
  return timeout.count() > 0 ? Clock::now() + timeout : internal::kNoDeadline;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::New(ClientOptions options) {
  auto connection = internal::Connection::Dial(options);
  if (!connection.ok()) return connection.status();
  return std::unique_ptr<Client>(new Client(*std::move(connection)));
}

Client::Client(std::shared_ptr<internal::Connection> connection)
    : connection_(std::move(connection)),
      watch_stream_(std::make_unique<WatchStream>(connection_)) {}

Client::~Client() = default;

const std::vector<std::string>& Client::endpoints() const { return connection_->endpoints(); }

std::string Client::CurrentEndpoint() const {
  return connection_->endpoint(connection_->preferred());
}

std::shared_ptr<grpc::Channel> Client::channel(int i) const { return connection_->channel(i); }

// ---- KV ----

absl::StatusOr<etcdserverpb::RangeResponse> Client::Get(std::string_view key,
                                                        const GetOptions& options) {
  const etcdserverpb::RangeRequest request = MakeRangeRequest(key, options);
  return Unary<etcdserverpb::RangeResponse>(
      *connection_, Retry::kReadOrNoLeader, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::RangeResponse* out) {
        return s.kv->Range(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::PutResponse> Client::Put(std::string_view key,
                                                      std::string_view value,
                                                      const PutOptions& options) {
  const etcdserverpb::PutRequest request = MakePutRequest(key, value, options);
  return Unary<etcdserverpb::PutResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::PutResponse* out) {
        return s.kv->Put(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::DeleteRangeResponse> Client::Delete(std::string_view key,
                                                                 const DeleteOptions& options) {
  const etcdserverpb::DeleteRangeRequest request = MakeDeleteRequest(key, options);
  return Unary<etcdserverpb::DeleteRangeResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::DeleteRangeResponse* out) {
        return s.kv->DeleteRange(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::CompactionResponse> Client::Compact(int64_t revision,
                                                                 bool physical) {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(physical);
  return Unary<etcdserverpb::CompactionResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::CompactionResponse* out) {
        return s.kv->Compact(ctx, request, out);
      });
}

class Txn Client::Txn() const { return etcd::client::Txn(connection_); }

// ---- Watch ----

absl::StatusOr<std::unique_ptr<WatchHandle>> Client::Watch(std::string_view key,
                                                           const WatchOptions& options) {
  return watch_stream_->Watch(key, options);
}

std::unique_ptr<WatchStream> Client::NewWatchStream() const {
  return std::make_unique<WatchStream>(connection_);
}

// ---- Lease ----

absl::StatusOr<etcdserverpb::LeaseGrantResponse> Client::Grant(int64_t ttl_seconds, int64_t id) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  request.set_id(id);
  return Unary<etcdserverpb::LeaseGrantResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::LeaseGrantResponse* out) {
        return s.lease->LeaseGrant(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::LeaseRevokeResponse> Client::Revoke(int64_t id) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(id);
  return Unary<etcdserverpb::LeaseRevokeResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::LeaseRevokeResponse* out) {
        return s.lease->LeaseRevoke(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::LeaseTimeToLiveResponse> Client::TimeToLive(int64_t id, bool keys) {
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(id);
  request.set_keys(keys);
  return Unary<etcdserverpb::LeaseTimeToLiveResponse>(
      *connection_, Retry::kRead, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::LeaseTimeToLiveResponse* out) {
        return s.lease->LeaseTimeToLive(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::LeaseLeasesResponse> Client::Leases() {
  const etcdserverpb::LeaseLeasesRequest request;
  return Unary<etcdserverpb::LeaseLeasesResponse>(
      *connection_, Retry::kRead, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::LeaseLeasesResponse* out) {
        return s.lease->LeaseLeases(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> Client::KeepAliveOnce(int64_t id) {
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(id);
  // A renewal is idempotent: retried like a read.
  auto response = Unary<etcdserverpb::LeaseKeepAliveResponse>(
      *connection_, Retry::kRead, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::LeaseKeepAliveResponse* out) {
        auto stream = s.lease->LeaseKeepAlive(ctx);
        const bool answered = stream->Write(request) && stream->WritesDone() && stream->Read(out);
        grpc::Status status = stream->Finish();
        if (status.ok() && !answered) {
          status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                "keep-alive stream closed without an answer");
        }
        return status;
      });
  if (response.ok() && response->ttl() <= 0) {
    return absl::NotFoundError("etcdserver: requested lease not found");
  }
  return response;
}

std::unique_ptr<LeaseKeepAlive> Client::KeepAlive(int64_t id) {
  return std::unique_ptr<LeaseKeepAlive>(new LeaseKeepAlive(connection_, id));
}

// ---- Cluster ----

absl::StatusOr<etcdserverpb::MemberListResponse> Client::MemberList() {
  const etcdserverpb::MemberListRequest request;
  return Unary<etcdserverpb::MemberListResponse>(
      *connection_, Retry::kRead, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::MemberListResponse* out) {
        return s.cluster->MemberList(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::MemberAddResponse> Client::MemberAdd(
    const std::vector<std::string>& peer_urls, bool learner) {
  etcdserverpb::MemberAddRequest request;
  for (const std::string& url : peer_urls) request.add_peerurls(url);
  request.set_islearner(learner);
  return Unary<etcdserverpb::MemberAddResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::MemberAddResponse* out) {
        return s.cluster->MemberAdd(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::MemberRemoveResponse> Client::MemberRemove(uint64_t id) {
  etcdserverpb::MemberRemoveRequest request;
  request.set_id(id);
  return Unary<etcdserverpb::MemberRemoveResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::MemberRemoveResponse* out) {
        return s.cluster->MemberRemove(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::MemberUpdateResponse> Client::MemberUpdate(
    uint64_t id, const std::vector<std::string>& peer_urls) {
  etcdserverpb::MemberUpdateRequest request;
  request.set_id(id);
  for (const std::string& url : peer_urls) request.add_peerurls(url);
  return Unary<etcdserverpb::MemberUpdateResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::MemberUpdateResponse* out) {
        return s.cluster->MemberUpdate(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::MemberPromoteResponse> Client::MemberPromote(uint64_t id) {
  etcdserverpb::MemberPromoteRequest request;
  request.set_id(id);
  return Unary<etcdserverpb::MemberPromoteResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::MemberPromoteResponse* out) {
        return s.cluster->MemberPromote(ctx, request, out);
      });
}

// ---- Maintenance ----

absl::StatusOr<etcdserverpb::StatusResponse> Client::Status(std::string_view endpoint) {
  const etcdserverpb::StatusRequest request;
  return UnaryOn<etcdserverpb::StatusResponse>(
      *connection_, endpoint, Retry::kReadOrNoLeader,
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::StatusResponse* out) {
        return s.maintenance->Status(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::MoveLeaderResponse> Client::MoveLeader(uint64_t transferee,
                                                                    std::string_view endpoint) {
  etcdserverpb::MoveLeaderRequest request;
  request.set_targetid(transferee);
  return UnaryOn<etcdserverpb::MoveLeaderResponse>(
      *connection_, endpoint, Retry::kIfNotSent,
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::MoveLeaderResponse* out) {
        return s.maintenance->MoveLeader(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::AlarmResponse> Client::Alarm(
    etcdserverpb::AlarmRequest::AlarmAction action, uint64_t member_id,
    etcdserverpb::AlarmType alarm) {
  etcdserverpb::AlarmRequest request;
  request.set_action(action);
  request.set_memberid(member_id);
  request.set_alarm(alarm);
  return Unary<etcdserverpb::AlarmResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::AlarmResponse* out) {
        return s.maintenance->Alarm(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::DefragmentResponse> Client::Defragment(std::string_view endpoint) {
  const etcdserverpb::DefragmentRequest request;
  return UnaryOn<etcdserverpb::DefragmentResponse>(
      *connection_, endpoint, Retry::kIfNotSent,
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::DefragmentResponse* out) {
        return s.maintenance->Defragment(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::HashResponse> Client::Hash(std::string_view endpoint) {
  const etcdserverpb::HashRequest request;
  return UnaryOn<etcdserverpb::HashResponse>(
      *connection_, endpoint, Retry::kRead,
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::HashResponse* out) {
        return s.maintenance->Hash(ctx, request, out);
      });
}

absl::StatusOr<etcdserverpb::HashKVResponse> Client::HashKV(int64_t revision,
                                                            std::string_view endpoint) {
  etcdserverpb::HashKVRequest request;
  request.set_revision(revision);
  return UnaryOn<etcdserverpb::HashKVResponse>(
      *connection_, endpoint, Retry::kRead,
      [&](Stubs& s, grpc::ClientContext* ctx, etcdserverpb::HashKVResponse* out) {
        return s.maintenance->HashKV(ctx, request, out);
      });
}

absl::StatusOr<int64_t> Client::Snapshot(const std::function<absl::Status(std::string_view)>& sink,
                                         std::chrono::milliseconds timeout) {
  int64_t total = 0;
  absl::Status sink_status;
  // Retried only when nothing was sent, so never after a chunk reached the sink.
  absl::Status s = connection_->Call(
      Retry::kIfNotSent, DeadlineAfter(timeout), [&](Stubs& st, grpc::ClientContext* ctx) {
        auto reader = st.maintenance->Snapshot(ctx, etcdserverpb::SnapshotRequest());
        etcdserverpb::SnapshotResponse chunk;
        while (reader->Read(&chunk)) {
          total += static_cast<int64_t>(chunk.blob().size());
          sink_status = sink(chunk.blob());
          if (!sink_status.ok()) {
            ctx->TryCancel();
            break;
          }
        }
        return reader->Finish();
      });
  if (!sink_status.ok()) return sink_status;
  if (!s.ok()) return s;
  return total;
}

// ---- Lock and Election ----

absl::StatusOr<v3lockpb::LockResponse> Client::Lock(std::string_view name, int64_t lease,
                                                    std::chrono::milliseconds timeout) {
  v3lockpb::LockRequest request;
  request.set_name(std::string(name));
  request.set_lease(lease);
  return Unary<v3lockpb::LockResponse>(
      *connection_, Retry::kIfNotSent, DeadlineAfter(timeout),
      [&](Stubs& s, grpc::ClientContext* ctx, v3lockpb::LockResponse* out) {
        return s.lock->Lock(ctx, request, out);
      });
}

absl::StatusOr<v3lockpb::UnlockResponse> Client::Unlock(std::string_view key) {
  v3lockpb::UnlockRequest request;
  request.set_key(std::string(key));
  return Unary<v3lockpb::UnlockResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, v3lockpb::UnlockResponse* out) {
        return s.lock->Unlock(ctx, request, out);
      });
}

absl::StatusOr<v3electionpb::CampaignResponse> Client::Campaign(std::string_view name,
                                                                int64_t lease,
                                                                std::string_view value,
                                                                std::chrono::milliseconds timeout) {
  v3electionpb::CampaignRequest request;
  request.set_name(std::string(name));
  request.set_lease(lease);
  request.set_value(std::string(value));
  return Unary<v3electionpb::CampaignResponse>(
      *connection_, Retry::kIfNotSent, DeadlineAfter(timeout),
      [&](Stubs& s, grpc::ClientContext* ctx, v3electionpb::CampaignResponse* out) {
        return s.election->Campaign(ctx, request, out);
      });
}

absl::StatusOr<v3electionpb::ProclaimResponse> Client::Proclaim(
    const v3electionpb::LeaderKey& leader, std::string_view value) {
  v3electionpb::ProclaimRequest request;
  *request.mutable_leader() = leader;
  request.set_value(std::string(value));
  return Unary<v3electionpb::ProclaimResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, v3electionpb::ProclaimResponse* out) {
        return s.election->Proclaim(ctx, request, out);
      });
}

absl::StatusOr<v3electionpb::LeaderResponse> Client::Leader(std::string_view name) {
  v3electionpb::LeaderRequest request;
  request.set_name(std::string(name));
  return Unary<v3electionpb::LeaderResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, v3electionpb::LeaderResponse* out) {
        return s.election->Leader(ctx, request, out);
      });
}

absl::StatusOr<std::unique_ptr<ElectionObserver>> Client::Observe(std::string_view name) {
  auto picked = connection_->PickReady(connection_->RequestDeadline());
  if (!picked.ok()) return picked.status();
  v3electionpb::LeaderRequest request;
  request.set_name(std::string(name));
  std::unique_ptr<ElectionObserver> observer(new ElectionObserver());
  observer->Start(connection_->channel(*picked), request);
  return observer;
}

absl::StatusOr<v3electionpb::ResignResponse> Client::Resign(const v3electionpb::LeaderKey& leader) {
  v3electionpb::ResignRequest request;
  *request.mutable_leader() = leader;
  return Unary<v3electionpb::ResignResponse>(
      *connection_, Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](Stubs& s, grpc::ClientContext* ctx, v3electionpb::ResignResponse* out) {
        return s.election->Resign(ctx, request, out);
      });
}

}  // namespace etcd::client
