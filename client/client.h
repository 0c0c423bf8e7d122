// The etcd v3 client library, the C++ counterpart of Go's clientv3: one Client talks to the
// members of an etcd v3.4 cluster over gRPC (KV, Watch, Lease, Cluster, Maintenance, Lock,
// Election services). Requests and responses are etcd's own messages (api/etcdserverpb,
// v3lockpb, v3electionpb); kv.h, watch.h, lease.h and election.h hold the helper types.
//
//   auto client = etcd::client::Client::New({.endpoints = {"127.0.0.1:2379"}});
//   (*client)->Put("k", "v");
//   auto got = (*client)->Get("k");  // got->kvs(0).value() == "v"
//
// Errors: every call returns absl::Status / absl::StatusOr. A server's error keeps the gRPC
// code and the message etcd sent, unchanged (e.g. InvalidArgument "etcdserver: key not
// found", NotFound "etcdserver: requested lease not found", Unavailable "etcdserver: no
// leader"), so callers can print etcd's words. Failures on this side: DeadlineExceeded
// "context deadline exceeded" when a deadline passes (the Go client's words), Unavailable with
// gRPC's text when the transport fails ("Socket closed", "failed to connect to all
// addresses; ..."), ResourceExhausted for a message over the size limits.
//
// Endpoints and failover: the Client keeps one gRPC channel per endpoint and sends each call to
// one endpoint, the preferred one (the last that served a call) if it is connected, else the
// next connected one in the order given. A call that fails because its endpoint is unreachable
// (Unavailable from the transport: the member is down, the connection was refused or reset,
// the channel is not connected) is tried again on the next endpoint, within the same
// deadline:
//   * every call whose request never reached a server: endpoints that are not connected are
//     skipped before anything is sent, and a call for which gRPC could not connect is retried;
//   * reads, whatever happened: Get (Range), Status, MemberList, TimeToLive, Leases, and the
//     idempotent KeepAliveOnce, Hash, HashKV and watch creation.
// A write (Put, Delete, Txn, Compact, Grant, Revoke, member changes, Lock, ...) whose request
// may have reached the server before its connection broke is not sent again: the caller gets
// the Unavailable error and decides (the write may or may not have been applied).
// Errors answered by a server are returned as they are, never retried (even Unavailable ones
// such as "etcdserver: no leader" or "etcdserver: request timed out"), except that Get and
// Status move on to the next endpoint on "etcdserver: no leader", as clientv3 does. A member
// that hangs (accepts connections but does not answer) is not detected: the call ends at its
// deadline. When no endpoint is connected, a call waits for one until its deadline.
//
// Security (options.h): TLS per endpoint (https://, or any endpoint without a scheme when
// ClientOptions::tls is set), with the server verified against the endpoint's host; etcd users:
// with a username and password, New authenticates and every call and stream carries the token
// (the "token" metadata); a call answered "etcdserver: invalid auth token" gets a new token
// and is tried once more. The server's auth errors come back unchanged: PermissionDenied
// "etcdserver: permission denied" for a call outside the user's roles, InvalidArgument
// "etcdserver: user name is empty" for a call without credentials to a server with auth on.
//
// Thread-safety: a Client is thread-safe; share one among threads. Handles it returns
// (WatchHandle, LeaseKeepAlive, ElectionObserver) may outlive it.
#ifndef ETCD_CLIENT_CLIENT_H_
#define ETCD_CLIENT_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/etcdserverpb/rpc.pb.h"
#include "api/v3electionpb/v3election.pb.h"
#include "api/v3lockpb/v3lock.pb.h"
#include "client/election.h"
#include "client/kv.h"
#include "client/lease.h"
#include "client/options.h"
#include "client/watch.h"

namespace grpc {
class Channel;
}

namespace etcd::client {

class Client {
 public:
  // Connects to `options.endpoints` and waits until one of them is connected (at most
  // options.dial_timeout), then authenticates when a username and password are given.
  // Errors: InvalidArgument for no endpoints, a unix:// endpoint, bad size limits or a client
  // certificate without its key; DeadlineExceeded "context deadline exceeded" if no endpoint
  // connected within the dial timeout (also when no TLS handshake succeeds: a plain-text
  // server, an unknown CA, a name mismatch); the server's refusal of the credentials
  // (InvalidArgument "etcdserver: authentication failed, invalid user ID or password").
  static absl::StatusOr<std::unique_ptr<Client>> New(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The endpoints as "host:port", in the order given.
  const std::vector<std::string>& endpoints() const;
  // The endpoint the next call goes to first ("host:port").
  std::string CurrentEndpoint() const;

  // The gRPC channel to endpoints()[i] (0 <= i < endpoints().size()), for callers that issue
  // calls themselves, e.g. with gRPC's callback API from a load generator (the calls of this
  // class are blocking). Calls made on it bypass the failover rule and the request timeout;
  // they use the Client's TLS and carry its auth token (never renewed for them).
  // Each Client has channels of its own: two Clients to the same endpoint use two TCP
  // connections (no gRPC subchannel sharing). Thread-safe; the channel may outlive the Client.
  std::shared_ptr<grpc::Channel> channel(int i) const;

  // ---- KV (etcdserverpb.KV) ----

  // Reads `key` or a range (GetOptions). Returns kvs (sorted by key unless asked otherwise),
  // count, more, and the header's revision (the store's revision the read saw).
  // Errors: OutOfRange "etcdserver: mvcc: required revision has been compacted",
  // OutOfRange "etcdserver: mvcc: required revision is a future revision", ...
  absl::StatusOr<etcdserverpb::RangeResponse> Get(std::string_view key,
                                                  const GetOptions& options = {});
  // Writes `value` at `key`. Returns the header (revision of this write) and, with prev_kv,
  // the previous pair. Errors: InvalidArgument "etcdserver: key not found" (ignore_value or
  // ignore_lease on a missing key), NotFound "etcdserver: requested lease not found",
  // InvalidArgument "etcdserver: key is not provided", "etcdserver: value is provided" (a
  // value with ignore_value), ...
  absl::StatusOr<etcdserverpb::PutResponse> Put(std::string_view key, std::string_view value,
                                                const PutOptions& options = {});
  // Deletes `key` or a range. Returns `deleted` (count) and, with prev_kv, the pairs deleted.
  absl::StatusOr<etcdserverpb::DeleteRangeResponse> Delete(std::string_view key,
                                                           const DeleteOptions& options = {});
  // Discards the history before `revision`. `physical`: return only once the compaction is
  // applied to the backend. Errors: OutOfRange "etcdserver: mvcc: required revision has been
  // compacted", "etcdserver: mvcc: required revision is a future revision".
  absl::StatusOr<etcdserverpb::CompactionResponse> Compact(int64_t revision,
                                                           bool physical = false);
  // A transaction builder: Txn().If({...}).Then({...}).Else({...}).Commit() (kv.h).
  class Txn Txn() const;

  // ---- Watch (etcdserverpb.Watch; see watch.h) ----

  // Watches `key` (or a range) on the Client's shared watch stream; returns once the server
  // has created the watch. Errors: as WatchStream::Watch.
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(std::string_view key,
                                                     const WatchOptions& options = {});
  // A watch stream of its own (one more gRPC stream).
  std::unique_ptr<WatchStream> NewWatchStream() const;

  // ---- Lease (etcdserverpb.Lease) ----

  // Grants a lease of `ttl_seconds` (the server may raise it to its minimum TTL); `id` 0 lets
  // the server choose the ID. Returns ID and TTL (s). Errors: FailedPrecondition
  // "etcdserver: lease already exists", OutOfRange "etcdserver: too large lease TTL".
  absl::StatusOr<etcdserverpb::LeaseGrantResponse> Grant(int64_t ttl_seconds, int64_t id = 0);
  // Revokes a lease and deletes the keys attached to it. Errors: NotFound "etcdserver:
  // requested lease not found".
  absl::StatusOr<etcdserverpb::LeaseRevokeResponse> Revoke(int64_t id);
  // The lease's remaining TTL and granted TTL (s), and with `keys` the keys attached. A lease
  // that does not exist answers TTL -1 (etcd's answer, not an error).
  absl::StatusOr<etcdserverpb::LeaseTimeToLiveResponse> TimeToLive(int64_t id,
                                                                   bool keys = false);
  // Every live lease's ID.
  absl::StatusOr<etcdserverpb::LeaseLeasesResponse> Leases();
  // Renews the lease once (a keep-alive stream of one request). Returns its new TTL (s).
  // Errors: NotFound "etcdserver: requested lease not found" if it expired or was revoked
  // (the server answered TTL 0).
  absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> KeepAliveOnce(int64_t id);
  // Starts keeping the lease alive in the background (lease.h) and returns at once; the
  // answers come out of the handle's Next. Destroying the handle stops it.
  std::unique_ptr<LeaseKeepAlive> KeepAlive(int64_t id);

  // ---- Cluster (etcdserverpb.Cluster) ----

  absl::StatusOr<etcdserverpb::MemberListResponse> MemberList();
  // Adds a member with `peer_urls` ("http://host:port"), as a learner if asked. Returns the
  // new member and the new member list. Errors: FailedPrecondition "etcdserver: Peer URLs
  // already exists", Unavailable "etcdserver: unhealthy cluster", ...
  absl::StatusOr<etcdserverpb::MemberAddResponse> MemberAdd(
      const std::vector<std::string>& peer_urls, bool learner = false);
  // Errors: NotFound "etcdserver: member not found", ...
  absl::StatusOr<etcdserverpb::MemberRemoveResponse> MemberRemove(uint64_t id);
  absl::StatusOr<etcdserverpb::MemberUpdateResponse> MemberUpdate(
      uint64_t id, const std::vector<std::string>& peer_urls);
  // Errors: FailedPrecondition "etcdserver: can only promote a learner member which is in
  // sync with leader", "etcdserver: can only promote a learner member", ...
  absl::StatusOr<etcdserverpb::MemberPromoteResponse> MemberPromote(uint64_t id);

  // ---- Maintenance (etcdserverpb.Maintenance) ----
  // `endpoint` empty: any member (failover); else that member only ("host:port" or
  // "http://host:port", one of ours or another), waiting for it to connect within the request
  // timeout. Calls the server does not implement fail with its Unimplemented status.

  // The member's version, DB size, leader, Raft index and term.
  absl::StatusOr<etcdserverpb::StatusResponse> Status(std::string_view endpoint = {});
  // Asks the leader to hand leadership to member `transferee` (send it to the leader's
  // endpoint). Errors: FailedPrecondition "etcdserver: not leader", ...
  absl::StatusOr<etcdserverpb::MoveLeaderResponse> MoveLeader(uint64_t transferee,
                                                              std::string_view endpoint = {});
  // Gets, activates or deactivates alarms (`member_id` 0 and alarm NONE with GET: all).
  absl::StatusOr<etcdserverpb::AlarmResponse> Alarm(
      etcdserverpb::AlarmRequest::AlarmAction action, uint64_t member_id = 0,
      etcdserverpb::AlarmType alarm = etcdserverpb::NONE);
  absl::StatusOr<etcdserverpb::DefragmentResponse> Defragment(std::string_view endpoint = {});
  absl::StatusOr<etcdserverpb::HashResponse> Hash(std::string_view endpoint = {});
  // The hash of the key space up to `revision` (0: the latest).
  absl::StatusOr<etcdserverpb::HashKVResponse> HashKV(int64_t revision = 0,
                                                      std::string_view endpoint = {});
  // Streams a snapshot of a member's backend to `sink`, chunk by chunk, in order; a sink error
  // stops the transfer and is returned. `timeout` 0: no deadline (snapshots are large). Returns
  // the number of bytes received. It fails over only before the first chunk.
  absl::StatusOr<int64_t> Snapshot(const std::function<absl::Status(std::string_view)>& sink,
                                   std::chrono::milliseconds timeout = {});

  // ---- Lock (v3lockpb.Lock) and Election (v3electionpb.Election) ----
  // Lock and Campaign block until acquired: `timeout` bounds the wait (0: no deadline); the
  // ownership lasts as long as `lease` (keep it alive).

  // Acquires the lock `name`; returns the key that owns it (pass it to Unlock).
  absl::StatusOr<v3lockpb::LockResponse> Lock(std::string_view name, int64_t lease,
                                              std::chrono::milliseconds timeout = {});
  absl::StatusOr<v3lockpb::UnlockResponse> Unlock(std::string_view key);
  // Waits to become leader of election `name` with `value`; returns the leader key.
  absl::StatusOr<v3electionpb::CampaignResponse> Campaign(std::string_view name, int64_t lease,
                                                          std::string_view value,
                                                          std::chrono::milliseconds timeout = {});
  // Publishes a new value as the leader `leader`. Errors: Unknown "election: not leader" if
  // it no longer leads (etcd 3.4 sends it without a gRPC code).
  absl::StatusOr<v3electionpb::ProclaimResponse> Proclaim(const v3electionpb::LeaderKey& leader,
                                                          std::string_view value);
  // The current leader's key and value. Errors: Unknown "election: no leader".
  absl::StatusOr<v3electionpb::LeaderResponse> Leader(std::string_view name);
  // The leaders of election `name` as they change (election.h).
  absl::StatusOr<std::unique_ptr<ElectionObserver>> Observe(std::string_view name);
  // Gives up leadership (deletes the leader key).
  absl::StatusOr<v3electionpb::ResignResponse> Resign(const v3electionpb::LeaderKey& leader);

 private:
  explicit Client(std::shared_ptr<internal::Connection> connection);
  const std::shared_ptr<internal::Connection> connection_;
  const std::unique_ptr<WatchStream> watch_stream_;  // shared by Watch()
};

}  // namespace etcd::client

#endif  // ETCD_CLIENT_CLIENT_H_
