// RawNode: the Raft consensus state machine of one member, driven by the application.
//
// Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm", and
// Ongaro's thesis "Consensus: Bridging Theory and Practice") keeps a replicated log
// consistent across a cluster. RawNode implements it the way etcd-io/raft does: as a
// deterministic state machine with no threads, no I/O and no clock.
//  - Time is Tick(), called by the application at a fixed interval; all timeouts are ticks.
//  - Input is Step(message from a peer) and the local requests (Campaign, Propose,
//    ProposeConfChange, ReadIndex, TransferLeader, ReportUnreachable, ReportSnapshot).
//  - Output is a Ready: what to persist, what to send, what to apply.
//
// The Ready loop. Whenever HasReady() is true, the application calls GetReady() and then:
//   1. persists rd.snapshot (if any), rd.entries and rd.hard_state (if not empty) to stable
//      storage, synchronously if rd.must_sync (e.g. MemoryStorage::ApplySnapshot, Append,
//      SetHardState, after the WAL write);
//   2. sends rd.messages to their `to` peers (best effort, any order; Raft tolerates loss,
//      duplication and reordering);
//   3. applies rd.committed_entries to its state machine, in order (for ENTRY_CONF_CHANGE
//      entries, calling ApplyConfChange), and a snapshot's data if rd.snapshot is set;
//   4. calls Advance().
// Why this order: a node must not promise anything it could forget in a crash. Votes and
// appended entries are promises (Raft paper, figure 2: persistent state is "updated on
// stable storage before responding to RPCs"), so persisting comes before sending. Committed
// entries may be among rd.entries (a single node commits at once), so applying comes after
// persisting. Advance() tells Raft that the previous Ready is done, so the next Ready starts
// after it. Between GetReady() and Advance() the application may go on calling Step, Tick,
// Propose, etc.; what they produce goes into the next Ready. GetReady() must not be called
// again before Advance() (the node aborts: that would hand the same entries out twice).
//
// Bootstrap: a new cluster either calls Bootstrap(peers) on every member (entries 1..n add the
// voters), or starts from a Storage holding a snapshot whose ConfState names the voters.
// A restarting member just opens its Storage; Config::applied says what it already applied.
//
// Thread-safety: RawNode is NOT thread-safe; one thread (or one strand) drives it.
// Source: etcd-io/raft rawnode.go, node.go (Ready), raft.go; doc.go for the loop.
#ifndef ETCD_RAFT_RAW_NODE_H_
#define ETCD_RAFT_RAW_NODE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/config.h"
#include "raft/errors.h"
#include "raft/raftpb/raft.pb.h"
#include "raft/ready.h"
#include "raft/status.h"
#include "raft/storage.h"

namespace etcd::raft {

namespace internal {
class Raft;
}  // namespace internal

// A member of a new cluster, for Bootstrap: its id and opaque context (carried in the
// ConfChange that adds it; etcd puts the member's URLs there).
struct Peer {
  uint64_t id = 0;
  std::string context;
};

class RawNode {
 public:
  // Creates a node from `config`, loading its state from config.storage (HardState,
  // ConfState, log). The node starts as a follower with no leader.
  // Errors: InvalidArgument for an invalid config (see Config::Validate); a storage error if
  // Storage::InitialState fails; Internal if the stored ConfState is invalid.
  static absl::StatusOr<std::unique_ptr<RawNode>> Create(const Config& config);

  ~RawNode();
  RawNode(const RawNode&) = delete;
  RawNode& operator=(const RawNode&) = delete;

  // Initializes an empty Storage's log with one ENTRY_CONF_CHANGE (CONF_CHANGE_ADD_NODE) per
  // peer at term 1, committed, and applies them so that the node knows the voters at once.
  // The next Ready carries them as entries to persist and as committed entries (the
  // application should call ApplyConfChange for them as for any other; it is idempotent).
  // Errors: InvalidArgument if `peers` is empty; FailedPrecondition if the storage is not
  // empty.
  absl::Status Bootstrap(const std::vector<Peer>& peers);

  // Advances the logical clock by one tick: followers and candidates count towards the
  // randomized election timeout ([election_tick, 2*election_tick) ticks), leaders send a
  // heartbeat every heartbeat_tick ticks (and check quorum every election_tick ticks if
  // check_quorum).
  void Tick();

  // Starts an election now (pre-vote first if Config::pre_vote). A leader ignores it; a
  // learner, or a node with committed but unapplied configuration changes, does not campaign.
  // Always returns OK.
  absl::Status Campaign();

  // Proposes `data` to be appended to the log as an ENTRY_NORMAL entry. On the leader, the
  // entry is appended; on a follower it is forwarded to the leader in a MsgProp.
  // Errors: ErrProposalDropped (no leader known, forwarding disabled, leadership transfer in
  // progress, uncommitted size limit reached, this node removed). OK does not mean committed:
  // a proposal can still be lost (leader change); watch committed entries.
  absl::Status Propose(std::string data);

  // Proposes a membership change (as an ENTRY_CONF_CHANGE / ENTRY_CONF_CHANGE_V2 entry).
  // The leader replaces it by an empty entry if another change is pending (appended and not
  // yet applied) or it does not fit the joint state. Errors: as Propose.
  absl::Status ProposeConfChange(const raftpb::ConfChange& cc);
  absl::Status ProposeConfChange(const raftpb::ConfChangeV2& cc);

  // Applies a committed membership change (from rd.committed_entries) to this node's
  // configuration; returns the new ConfState, to be stored with the next snapshot.
  // Errors: InvalidArgument / FailedPrecondition if the change is invalid for the current
  // configuration (e.g. removes the last voter, changes two voters at once without joint
  // consensus); the configuration is then unchanged. A ConfChange whose node_id is 0 is a
  // no-op (etcd's way of rejecting a change after it committed).
  absl::StatusOr<raftpb::ConfState> ApplyConfChange(const raftpb::ConfChange& cc);
  absl::StatusOr<raftpb::ConfState> ApplyConfChange(const raftpb::ConfChangeV2& cc);

  // Feeds a message received from a peer.
  // Errors: ErrStepLocalMsg for a local message type; ErrStepPeerNotFound for a response
  // from a node not in the configuration; ErrProposalDropped for a MsgProp that could not be
  // appended or forwarded. Messages of stale terms are ignored (OK).
  absl::Status Step(raftpb::Message m);

  // Requests a linearizable read point (Raft thesis, section 6.4). When it is confirmed, a
  // ReadState {index, request_ctx} appears in a later Ready's read_states: once the
  // application has applied up to `index`, it may serve the read locally. Safe mode sends a
  // heartbeat round first; requests are dropped silently (no ReadState ever appears) when no
  // leader is known, so the caller should time out and retry. `request_ctx` should be unique.
  void ReadIndex(std::string request_ctx);

  // Asks the leader to hand leadership to `transferee` (thesis 3.10): the leader stops
  // accepting proposals, catches the transferee up and sends it MsgTimeoutNow. Best effort;
  // aborted after an election timeout.
  void TransferLeader(uint64_t transferee);

  // Reports that the last message to `id` could not be sent: the leader goes back to
  // probing that follower.
  void ReportUnreachable(uint64_t id);

  // Reports the outcome of sending a MsgSnap to `id` (required for every MsgSnap in a Ready;
  // until then replication to `id` stays paused).
  void ReportSnapshot(uint64_t id, SnapshotStatus status);

  // Whether GetReady() would return anything.
  bool HasReady() const;

  // Returns the pending work and marks it handed out (messages, read states and the soft and
  // hard state are not returned again). The caller must handle it as described at the top of
  // this file and then call Advance(). REQUIRES: no Ready outstanding (aborts otherwise).
  Ready GetReady();

  // Acknowledges that the last Ready returned by GetReady() was handled: entries and snapshot
  // persisted, committed entries applied. Does nothing if no Ready is outstanding.
  void Advance();

  // A copy of this node's state; per-peer progress only on the leader.
  Status GetStatus() const;

  // Shortcuts for GetStatus().
  uint64_t id() const;
  uint64_t Lead() const;
  StateType Role() const;
  uint64_t Term() const;

 private:
  explicit RawNode(std::unique_ptr<internal::Raft> raft);

  std::unique_ptr<internal::Raft> raft_;
  SoftState prev_soft_state_;
  raftpb::HardState prev_hard_state_;

  // What the outstanding Ready (if any) promised, for Advance().
  struct Outstanding {
    uint64_t applied = 0;          // last committed entry handed out (or snapshot index)
    uint64_t applied_payload = 0;  // payload bytes of the committed entries handed out
    uint64_t stable_index = 0;     // last entry handed out for persistence (0: none)
    uint64_t stable_term = 0;
    uint64_t snapshot_index = 0;  // snapshot handed out for persistence (0: none)
  };
  // Invariant: set between GetReady() and Advance().
  std::optional<Outstanding> outstanding_;
};

}  // namespace etcd::raft

#endif  // ETCD_RAFT_RAW_NODE_H_
