// What the etcd server core needs of a peer transport, and what a transport needs of the
// member it serves, with no dependency on how messages travel (gRPC in grpc_transport.h; an
// in-process transport would do for tests). The server core depends on this header only.
//
// Thread-safety: implementations of both interfaces are called concurrently from any thread.
#ifndef ETCD_SERVER_TRANSPORT_RAFT_TRANSPORT_H_
#define ETCD_SERVER_TRANSPORT_RAFT_TRANSPORT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "raft/raftpb/raft.pb.h"
#include "server/transport/peer.pb.h"

namespace etcd::transport {

using ForwardDone = absl::AnyInvocable<void(absl::StatusOr<peerpb::ForwardResponse>) &&>;

// The backend of a snapshot being sent, as opaque chunks (serialized peerpb::BackendRecords).
class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  // The next chunk; false at the end (then status() says whether reading failed).
  virtual bool Next(std::string* chunk) = 0;
  virtual absl::Status status() const = 0;
};

// Where a received snapshot's backend goes, chunk by chunk; destroyed without Finish (a
// broken transfer, a bad checksum), it leaves nothing behind.
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  virtual absl::Status Write(std::string_view chunk) = 0;
  // Everything arrived and verified: make it durable and hand the MsgSnap to Raft.
  virtual absl::Status Finish() = 0;
};

// What a transport needs from the member it serves.
class PeerHandler {
 public:
  virtual ~PeerHandler() = default;
  // A Raft message from a peer, to be stepped into the local Raft node. Must not block long:
  // it runs on the thread reading that peer's stream.
  virtual void Receive(raftpb::Message m) = 0;
  // The last message(s) to `id` were dropped (raft::RawNode::ReportUnreachable).
  virtual void ReportUnreachable(uint64_t id) = 0;
  // A MsgSnap to `id` was delivered (ok) or failed (raft::RawNode::ReportSnapshot).
  virtual void ReportSnapshot(uint64_t id, bool ok) = 0;
  // Whether `id` was a member of this cluster and has been removed: its calls are refused.
  virtual bool IsRemoved(uint64_t id) = 0;
  // A peer refused this member's messages because it was removed from the cluster.
  virtual void OnRemoved() = 0;
  // Prepares to receive the snapshot in `m` (a MsgSnap from the leader).
  virtual absl::StatusOr<std::unique_ptr<SnapshotSink>> OpenSnapshotSink(
      const raftpb::Message& m) = 0;
  // The membership as this member knows it (Peer.Members).
  virtual peerpb::MembersResponse Members() = 0;
  // A request forwarded by a follower to this member as the leader (Peer.Forward); `done` is
  // called exactly once, with the response or the error to give the follower's client.
  virtual void Forwarded(const peerpb::ForwardRequest& request, ForwardDone done) = 0;
};

// Carries Raft messages to the other members.
class RaftTransport {
 public:
  virtual ~RaftTransport() = default;
  // Starts sending to member `id` at `urls` (its advertised peer URLs); for a known peer,
  // updates its URLs. Ignores this member's own ID.
  virtual void AddPeer(uint64_t id, const std::vector<std::string>& urls) = 0;
  // Stops sending to `id`; its queued messages are dropped. Unknown ids are ignored.
  virtual void RemovePeer(uint64_t id) = 0;
  // Queues `messages` for their recipients (m.to()); never blocks. What cannot be delivered is
  // dropped and reported through PeerHandler::ReportUnreachable / ReportSnapshot.
  virtual void Send(std::vector<raftpb::Message> messages) = 0;
  // Sends the snapshot in MsgSnap `m` with its backend from `source`, in the background,
  // and reports the outcome through PeerHandler::ReportSnapshot(m.to(), ok).
  virtual void SendSnapshot(raftpb::Message m, std::unique_ptr<SnapshotSource> source) = 0;
  // Sends a request to member `to` (the leader); `done` gets its answer, within `timeout`.
  // Errors: Unavailable when `to` is unknown or unreachable; DeadlineExceeded; the leader's
  // own error otherwise (code and message as it gave them).
  virtual void Forward(uint64_t to, const peerpb::ForwardRequest& request,
                       std::chrono::milliseconds timeout, ForwardDone done) = 0;
  // The number of peers connected and accepting this member's messages (etcd's ActivePeers).
  virtual int ActivePeers() const = 0;
  // Whether the peer `id` is connected now.
  virtual bool IsActive(uint64_t id) const = 0;
  // Since when the peer `id` has been connected without interruption; nullopt when it is not
  // connected (or unknown). etcd's ActiveSince.
  virtual std::optional<std::chrono::steady_clock::time_point> ActiveSince(uint64_t id) const = 0;
  // Stops sending; later Send calls drop everything. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace etcd::transport

#endif  // ETCD_SERVER_TRANSPORT_RAFT_TRANSPORT_H_
