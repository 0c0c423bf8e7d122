// The Raft state machine proper (etcd-io/raft raft.go): roles, terms, votes, replication,
// commitment, ReadIndex, leader transfer, snapshots. Driven only by Step() and Tick();
// output accumulates in msgs() and read_states() and in the log's unstable part, and RawNode
// turns it into Ready batches.
//
// Not thread-safe. Deterministic: the only randomness is the election timeout, drawn from a
// generator seeded from Config::random_seed and the node id.
#ifndef ETCD_RAFT_INTERNAL_RAFT_H_
#define ETCD_RAFT_INTERNAL_RAFT_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/config.h"
#include "raft/internal/confchange.h"
#include "raft/internal/progress.h"
#include "raft/internal/raft_log.h"
#include "raft/internal/read_only.h"
#include "raft/logger.h"
#include "raft/raftpb/raft.pb.h"
#include "raft/ready.h"
#include "raft/status.h"

namespace etcd::raft::internal {

// The Context of a MsgVote sent for a leadership transfer: such a vote request is honoured
// even by nodes that heard from the leader recently.
inline constexpr char kCampaignTransfer[] = "CampaignTransfer";

enum class CampaignType { kPreElection, kElection, kTransfer };

class Raft {
 public:
  // Validates the config and loads the initial state from config.storage.
  // Errors: InvalidArgument for a bad config; the storage's error if InitialState fails;
  // Internal if the stored ConfState is invalid.
  static absl::StatusOr<std::unique_ptr<Raft>> Create(const Config& config);

  // Processes one message, local (term 0) or from a peer. Errors: ErrProposalDropped for a
  // MsgProp that was not appended or forwarded. Everything else returns OK.
  absl::Status Step(raftpb::Message m);
  // Advances the logical clock by one tick.
  void Tick();

  void BecomeFollower(uint64_t term, uint64_t lead);
  void BecomeCandidate();
  void BecomePreCandidate();
  void BecomeLeader();

  // Applies a committed configuration change; returns the new ConfState. On error the
  // configuration is unchanged.
  absl::StatusOr<raftpb::ConfState> ApplyConfChange(const raftpb::ConfChangeV2& cc);

  // The application finished a Ready: committed entries up to `applied` (0: none) were
  // applied and `applied_payload` bytes of them leave the uncommitted tail; entries up to
  // (stable_index, stable_term) (stable_index 0: none) and the snapshot at `snapshot_index`
  // (0: none) were persisted.
  void Advance(uint64_t applied, uint64_t applied_payload, uint64_t stable_index,
               uint64_t stable_term, uint64_t snapshot_index);

  SoftState GetSoftState() const { return SoftState{lead_, state_}; }
  raftpb::HardState GetHardState() const;
  Status GetStatus() const;

  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t vote() const { return vote_; }
  uint64_t lead() const { return lead_; }
  StateType state() const { return state_; }
  bool is_learner() const { return is_learner_; }
  uint64_t lead_transferee() const { return lead_transferee_; }
  int randomized_election_timeout() const { return randomized_election_timeout_; }
  int election_elapsed() const { return election_elapsed_; }
  bool Promotable() const;

  RaftLog& log() { return log_; }
  const RaftLog& log() const { return log_; }
  ProgressTracker& tracker() { return trk_; }
  const ProgressTracker& tracker() const { return trk_; }
  // Messages waiting to be handed out in a Ready.
  std::vector<raftpb::Message>& msgs() { return msgs_; }
  std::vector<ReadState>& read_states() { return read_states_; }
  Logger* logger() const { return logger_; }

 private:
  Raft(const Config& config, Logger* logger);

  void Send(raftpb::Message m);
  bool MaybeSendAppend(uint64_t to, bool send_if_empty);
  void SendAppend(uint64_t to) { MaybeSendAppend(to, true); }
  void SendHeartbeat(uint64_t to, const std::string& ctx);
  void BcastAppend();
  void BcastHeartbeat();
  void BcastHeartbeatWithCtx(const std::string& ctx);
  bool MaybeCommit();
  void Reset(uint64_t term);
  bool AppendEntry(std::vector<raftpb::Entry> ents);
  void TickElection();
  void TickHeartbeat();
  void Campaign(CampaignType type);
  VoteResult Poll(uint64_t id, raftpb::MessageType type, bool granted);

  absl::Status StepLeader(raftpb::Message& m);
  absl::Status StepCandidate(raftpb::Message& m);
  absl::Status StepFollower(raftpb::Message& m);
  void HandleAppendEntries(const raftpb::Message& m);
  void HandleHeartbeat(const raftpb::Message& m);
  void HandleSnapshot(const raftpb::Message& m);
  bool Restore(const raftpb::Snapshot& s);
  raftpb::ConfState SwitchToConfig(ConfigAndProgress cp);
  void LoadState(const raftpb::HardState& hs);
  bool PastElectionTimeout() const {
    return election_elapsed_ >= randomized_election_timeout_;
  }
  void ResetRandomizedElectionTimeout();
  void SendTimeoutNow(uint64_t to);
  void AbortLeaderTransfer() { lead_transferee_ = kNone; }
  bool CommittedEntryInCurrentTerm() const;
  void RespondToReadIndex(const raftpb::Message& req, uint64_t read_index);
  bool IncreaseUncommittedSize(const std::vector<raftpb::Entry>& ents);
  void ReduceUncommittedSize(uint64_t payload);
  void ReleasePendingReadIndexMessages();
  void SendMsgReadIndexResponse(const raftpb::Message& m);

  const uint64_t id_;
  Logger* const logger_;

  // Invariant: term_ never decreases; persisted (HardState) before any message of that term
  // is sent.
  uint64_t term_ = 0;
  // The node voted for in term_, or kNone. Invariant: at most one vote per term.
  uint64_t vote_ = kNone;
  std::vector<ReadState> read_states_;
  RaftLog log_;
  uint64_t max_msg_size_;
  uint64_t max_uncommitted_size_;
  ProgressTracker trk_;
  StateType state_ = StateType::kFollower;
  // This node is a learner in the current configuration (never campaigns).
  bool is_learner_ = false;
  std::vector<raftpb::Message> msgs_;
  // Invariant: lead_ == id_ iff state_ == kLeader.
  uint64_t lead_ = kNone;
  // The target of a leadership transfer in progress (thesis 3.10), or kNone.
  uint64_t lead_transferee_ = kNone;
  // At most one configuration change may be pending (appended, not yet applied); proposals
  // of another are refused while applied < pending_conf_index_.
  uint64_t pending_conf_index_ = 0;
  // Estimate of the payload bytes of the uncommitted tail (leader only).
  uint64_t uncommitted_size_ = 0;
  ReadOnly read_only_;
  // Ticks since the last election timeout (leader, candidate) or since the last valid
  // message from the leader (follower).
  int election_elapsed_ = 0;
  // Ticks since the last heartbeat (leader only).
  int heartbeat_elapsed_ = 0;
  bool check_quorum_;
  bool pre_vote_;
  int heartbeat_timeout_;
  int election_timeout_;
  // Drawn from [election_timeout_, 2 * election_timeout_) on every reset (paper, 5.2).
  int randomized_election_timeout_ = 0;
  bool disable_proposal_forwarding_;
  std::mt19937_64 rng_;
  // MsgReadIndex received before the leader committed an entry of its term; answered once
  // it has (thesis 6.4: the leader must know the latest commit index first).
  std::vector<raftpb::Message> pending_read_index_messages_;
};

}  // namespace etcd::raft::internal

#endif  // ETCD_RAFT_INTERNAL_RAFT_H_
