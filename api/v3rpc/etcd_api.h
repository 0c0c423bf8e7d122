// What the etcd v3 gRPC services (services.h) need from the server: `EtcdApi`, in terms of the
// request and response messages only. The server implements it without depending on gRPC, and
// this package does not depend on the server (dependencies point down).
#ifndef ETCD_API_V3RPC_ETCD_API_H_
#define ETCD_API_V3RPC_ETCD_API_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "api/etcdserverpb/rpc.pb.h"
#include "api/v3electionpb/v3election.pb.h"
#include "api/v3lockpb/v3lock.pb.h"

namespace etcd::api {

// Completion of an asynchronous request: called exactly once, on any thread, with the response
// or an error whose code and message go to the client as they are (see server/errors.h).
template <typename Response>
using Done = absl::AnyInvocable<void(absl::StatusOr<Response>) &&>;

// One Watch stream as the server sees it. Thread-safe: Request and Next may run concurrently.
class WatchSession {
 public:
  virtual ~WatchSession() = default;
  // Handles one request of the stream: create, cancel or progress. Answers (created, canceled,
  // events, progress) come out of Next(), in the order the client must see them.
  virtual void Request(const etcdserverpb::WatchRequest& r) = 0;
  // The next response to send, complete (header filled, prev_kv looked up); nullopt if none
  // is ready. Never blocks on Raft.
  virtual std::optional<etcdserverpb::WatchResponse> Next() = 0;
};

// One Maintenance.Snapshot stream: the server's backend, a message at a time. Next is called
// again only after the previous message was sent (the stream's pace is the client's).
class SnapshotStream {
 public:
  virtual ~SnapshotStream() = default;
  // The next message; false at the end (then status() says whether it completed).
  virtual bool Next(etcdserverpb::SnapshotResponse* out) = 0;
  virtual absl::Status status() const = 0;
};

// What the etcd v3 services need from the server. Implementations are thread-safe: methods are
// called concurrently from gRPC threads and must not block on Raft (they answer through `done`).
// A request stays valid until its `done` has been called.
class EtcdApi {
 public:
  virtual ~EtcdApi() = default;

  virtual void Range(const etcdserverpb::RangeRequest& r, Done<etcdserverpb::RangeResponse> done) = 0;
  virtual void Put(const etcdserverpb::PutRequest& r, Done<etcdserverpb::PutResponse> done) = 0;
  virtual void DeleteRange(const etcdserverpb::DeleteRangeRequest& r,
                           Done<etcdserverpb::DeleteRangeResponse> done) = 0;
  virtual void Txn(const etcdserverpb::TxnRequest& r, Done<etcdserverpb::TxnResponse> done) = 0;
  virtual void Compact(const etcdserverpb::CompactionRequest& r,
                       Done<etcdserverpb::CompactionResponse> done) = 0;

  virtual void MemberAdd(const etcdserverpb::MemberAddRequest& r,
                         Done<etcdserverpb::MemberAddResponse> done) = 0;
  virtual void MemberRemove(const etcdserverpb::MemberRemoveRequest& r,
                            Done<etcdserverpb::MemberRemoveResponse> done) = 0;
  virtual void MemberUpdate(const etcdserverpb::MemberUpdateRequest& r,
                            Done<etcdserverpb::MemberUpdateResponse> done) = 0;
  virtual void MemberList(const etcdserverpb::MemberListRequest& r,
                          Done<etcdserverpb::MemberListResponse> done) = 0;
  virtual void MemberPromote(const etcdserverpb::MemberPromoteRequest& r,
                             Done<etcdserverpb::MemberPromoteResponse> done) = 0;
  virtual void Status(const etcdserverpb::StatusRequest& r,
                      Done<etcdserverpb::StatusResponse> done) = 0;
  virtual void MoveLeader(const etcdserverpb::MoveLeaderRequest& r,
                          Done<etcdserverpb::MoveLeaderResponse> done) = 0;
  virtual void Alarm(const etcdserverpb::AlarmRequest& r, Done<etcdserverpb::AlarmResponse> done) = 0;
  virtual void Defragment(const etcdserverpb::DefragmentRequest& r,
                          Done<etcdserverpb::DefragmentResponse> done) = 0;
  virtual void Hash(const etcdserverpb::HashRequest& r, Done<etcdserverpb::HashResponse> done) = 0;
  virtual void HashKV(const etcdserverpb::HashKVRequest& r,
                      Done<etcdserverpb::HashKVResponse> done) = 0;
  // A consistent copy of the backend as it is now.
  virtual absl::StatusOr<std::unique_ptr<SnapshotStream>> NewSnapshotStream() = 0;

  // Whether this member is a learner: it then serves only Status and serializable Range, and
  // every other call fails with "etcdserver: rpc not supported for learner" (etcd 3.4).
  virtual bool IsLearner() const = 0;

  virtual void LeaseGrant(const etcdserverpb::LeaseGrantRequest& r,
                          Done<etcdserverpb::LeaseGrantResponse> done) = 0;
  virtual void LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r,
                           Done<etcdserverpb::LeaseRevokeResponse> done) = 0;
  // One keep-alive of a LeaseKeepAlive stream (the service answers each request in order).
  virtual void LeaseKeepAlive(const etcdserverpb::LeaseKeepAliveRequest& r,
                              Done<etcdserverpb::LeaseKeepAliveResponse> done) = 0;
  virtual void LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& r,
                               Done<etcdserverpb::LeaseTimeToLiveResponse> done) = 0;
  virtual void LeaseLeases(const etcdserverpb::LeaseLeasesRequest& r,
                           Done<etcdserverpb::LeaseLeasesResponse> done) = 0;

  // A new watch session for one Watch stream. `on_ready` is called, from any thread and
  // without locks of the server held, whenever Next() may have something new.
  virtual std::unique_ptr<WatchSession> NewWatchSession(std::function<void()> on_ready) = 0;
};

// What the Lock and Election services need. Thread-safe; calls answer through `done`.
class ConcurrencyApi {
 public:
  virtual ~ConcurrencyApi() = default;
  // Lock and Campaign wait for their turn; `alive` says whether the client still waits
  // (polled): when it gave up (deadline, cancel), the waiter's key is deleted, as etcd does.
  virtual void Lock(const v3lockpb::LockRequest& r, std::function<bool()> alive,
                    Done<v3lockpb::LockResponse> done) = 0;
  virtual void Unlock(const v3lockpb::UnlockRequest& r, Done<v3lockpb::UnlockResponse> done) = 0;
  virtual void Campaign(const v3electionpb::CampaignRequest& r, std::function<bool()> alive,
                        Done<v3electionpb::CampaignResponse> done) = 0;
  virtual void Proclaim(const v3electionpb::ProclaimRequest& r,
                        Done<v3electionpb::ProclaimResponse> done) = 0;
  virtual void Leader(const v3electionpb::LeaderRequest& r,
                      Done<v3electionpb::LeaderResponse> done) = 0;
  virtual void Resign(const v3electionpb::ResignRequest& r,
                      Done<v3electionpb::ResignResponse> done) = 0;
  // Streams the leaders of an election: `send` is called with each new leader; `alive` says
  // whether the client still listens (polled); `done` ends the stream.
  virtual void Observe(const v3electionpb::LeaderRequest& r,
                       std::function<void(v3electionpb::LeaderResponse)> send,
                       std::function<bool()> alive, Done<bool> done) = 0;
};

}  // namespace etcd::api

#endif  // ETCD_API_V3RPC_ETCD_API_H_
