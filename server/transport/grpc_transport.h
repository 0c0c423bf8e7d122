// The peer transport: carries Raft messages between the members of one cluster over gRPC on
// --listen-peer-urls (etcd's rafthttp plays this part in etcd; the wire protocol is ours, see
// peer.proto).
//
// Sending: one long-lived client stream per peer, fed by a bounded queue and written by one
// thread per peer, which batches every message queued while the previous batch was written.
// Messages to a peer that cannot be reached (connection refused, stream broken, queue full)
// are dropped, never queued without bound, and reported to Raft through
// PeerHandler::ReportUnreachable, as etcd does: Raft retries with its next heartbeat or append.
// A broken stream is reopened with a backoff (100 ms, doubling to 1 s), trying the peer's URLs
// in turn.
//
// Receiving: the Peer gRPC service (service()) hands every message to PeerHandler::Receive.
// Calls from another cluster (metadata x-etcd-cluster-id) are refused with
// FAILED_PRECONDITION "cluster ID mismatch", and calls from a member removed from the cluster
// with FAILED_PRECONDITION "the member has been permanently removed from the cluster"; a member
// that hears the latter about itself is told through PeerHandler::OnRemoved.
//
// Thread-safety: all public methods are thread-safe. PeerHandler methods are called from the
// transport's threads and from gRPC threads, concurrently.
#ifndef ETCD_SERVER_TRANSPORT_GRPC_TRANSPORT_H_
#define ETCD_SERVER_TRANSPORT_GRPC_TRANSPORT_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "raft/raftpb/raft.pb.h"
#include "server/transport/peer.grpc.pb.h"
#include "server/transport/peer.pb.h"
#include "server/transport/raft_transport.h"

namespace etcd::transport {

// The host:port to dial for a peer URL such as "http://127.0.0.1:2380" ("localhost" dials
// 127.0.0.1, as the daemon binds it). Errors: InvalidArgument for a malformed URL.
absl::StatusOr<std::string> DialTarget(const std::string& url);

// Asks the members at `urls` (tried in order) for the cluster membership (Peer.Members), as a
// member joining an existing cluster does before it starts. `timeout` bounds each attempt.
// Errors: Unavailable with the last peer's error when none answers.
absl::StatusOr<peerpb::MembersResponse> FetchMembers(const std::vector<std::string>& urls,
                                                     std::chrono::milliseconds timeout);

class GrpcTransport final : public RaftTransport {
 public:
  // `self` and `cluster` are this member's and its cluster's IDs (sent with every call and
  // checked on every received one). `handler` must outlive the transport.
  GrpcTransport(uint64_t self, uint64_t cluster, PeerHandler* handler);
  // Stops every sender (as Stop()).
  ~GrpcTransport() override;
  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  // The Peer service, to register on the gRPC server listening on --listen-peer-urls.
  grpc::Service* service();

  // Starts sending to member `id` at `urls` (its advertised peer URLs). Adding a known peer
  // updates its URLs. Ignores `id` == self.
  void AddPeer(uint64_t id, const std::vector<std::string>& urls) override;
  // Stops sending to `id`; its queued messages are dropped. Unknown ids are ignored.
  void RemovePeer(uint64_t id) override;
  // Queues `messages` for their recipients (m.to()); never blocks. Messages to unknown peers
  // and to peers whose queue is full are dropped and reported unreachable. MsgSnap is not
  // supported yet: it is reported as a failed snapshot.
  void Send(std::vector<raftpb::Message> messages) override;
  // Streams the snapshot on its own call (Peer.Snapshot), so Raft messages to the same peer
  // are not held up behind it, in chunks of at most a few MiB: the backend is never held
  // whole in memory on either side. A transfer still running at Stop() is cancelled.
  void SendSnapshot(raftpb::Message m, std::unique_ptr<SnapshotSource> source) override;
  // Sends a lease request to the member `to` (the leader) and calls `done` with its answer.
  // Errors: Unavailable when `to` is unknown or unreachable; the leader's error otherwise.
  void Forward(uint64_t to, const peerpb::ForwardRequest& request,
               std::chrono::milliseconds timeout, ForwardDone done) override;
  // The number of peers connected and not refusing this member (etcd's ActivePeers).
  int ActivePeers() const override;
  bool IsActive(uint64_t id) const override;
  std::optional<std::chrono::steady_clock::time_point> ActiveSince(uint64_t id) const override;
  // Stops every sender and refuses further Send calls. Idempotent.
  void Stop() override;

 private:
  class Sender;
  class Service;

  const uint64_t self_;
  const uint64_t cluster_;
  PeerHandler* const handler_;
  std::unique_ptr<Service> service_;

  mutable std::mutex mu_;
  std::map<uint64_t, std::unique_ptr<Sender>> senders_;  // guarded by mu_
  bool stopped_ = false;                                  // guarded by mu_
  // Snapshot transfers in flight (each on its own thread), to cancel and wait for at Stop.
  std::vector<std::shared_ptr<grpc::ClientContext>> snapshot_calls_;  // guarded by mu_
  std::condition_variable snapshots_done_;
};

}  // namespace etcd::transport

#endif  // ETCD_SERVER_TRANSPORT_GRPC_TRANSPORT_H_
