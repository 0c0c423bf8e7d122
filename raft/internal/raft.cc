#include "raft/internal/raft.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "raft/errors.h"
#include "raft/internal/util.h"

namespace etcd::raft::internal {
namespace {

bool ContainsConfChange(const std::vector<raftpb::Entry>& ents) {
  for (const raftpb::Entry& e : ents) {
    if (e.type() == raftpb::ENTRY_CONF_CHANGE || e.type() == raftpb::ENTRY_CONF_CHANGE_V2) {
      return true;
    }
  }
  return false;
}

}  // namespace

Raft::Raft(const Config& c, Logger* logger)
    : id_(c.id),
      logger_(logger),
      log_(c.storage, logger,
           c.max_committed_size_per_ready != 0 ? c.max_committed_size_per_ready
                                               : c.max_size_per_msg),
      max_msg_size_(c.max_size_per_msg),
      max_uncommitted_size_(c.max_uncommitted_entries_size != 0 ? c.max_uncommitted_entries_size
                                                                : kNoLimit),
      trk_(c.max_inflight_msgs),
      read_only_(c.read_only_option),
      check_quorum_(c.check_quorum),
      pre_vote_(c.pre_vote),
      heartbeat_timeout_(c.heartbeat_tick),
      election_timeout_(c.election_tick),
      disable_proposal_forwarding_(c.disable_proposal_forwarding) {
  // Nodes sharing a seed must still draw different timeouts, or they would split every vote.
  std::seed_seq seq{static_cast<uint32_t>(c.random_seed), static_cast<uint32_t>(c.random_seed >> 32),
                    static_cast<uint32_t>(c.id), static_cast<uint32_t>(c.id >> 32)};
  rng_.seed(seq);
}

absl::StatusOr<std::unique_ptr<Raft>> Raft::Create(const Config& config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  Logger* logger = config.logger != nullptr ? config.logger : DefaultLogger();
  absl::StatusOr<StoredState> stored = config.storage->InitialState();
  if (!stored.ok()) return stored.status();

  std::unique_ptr<Raft> r(new Raft(config, logger));
  absl::StatusOr<ConfigAndProgress> cp =
      internal::Restore(stored->conf_state, config.max_inflight_msgs, r->log_.LastIndex());
  if (!cp.ok()) {
    return absl::InternalError("invalid ConfState in storage: " + cp.status().ToString());
  }
  r->SwitchToConfig(*std::move(cp));

  if (!IsEmptyHardState(stored->hard_state)) r->LoadState(stored->hard_state);
  if (config.applied > 0) r->log_.AppliedTo(config.applied);
  r->BecomeFollower(r->term_, kNone);

  logger->Infof("newRaft %x [peers: [%s], term: %d, commit: %d, applied: %d, lastindex: %d, "
                "lastterm: %d]",
                r->id_, absl::StrJoin(r->trk_.VoterNodes(), ","), r->term_, r->log_.committed(),
                r->log_.applied(), r->log_.LastIndex(), r->log_.LastTerm());
  return r;
}

raftpb::HardState Raft::GetHardState() const {
  raftpb::HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(log_.committed());
  return hs;
}

Status Raft::GetStatus() const {
  Status s;
  s.id = id_;
  s.hard_state = GetHardState();
  s.soft_state = GetSoftState();
  s.applied = log_.applied();
  s.lead_transferee = lead_transferee_;
  s.voters.assign(trk_.config.voters.incoming.begin(), trk_.config.voters.incoming.end());
  s.voters_outgoing.assign(trk_.config.voters.outgoing.begin(),
                           trk_.config.voters.outgoing.end());
  s.learners.assign(trk_.config.learners.begin(), trk_.config.learners.end());
  if (state_ == StateType::kLeader) {
    for (const auto& [id, pr] : trk_.progress) {
      ProgressStatus& ps = s.progress[id];
      ps.match = pr.match;
      ps.next = pr.next;
      ps.state = pr.state;
      ps.pending_snapshot = pr.pending_snapshot;
      ps.recent_active = pr.recent_active;
      ps.is_learner = pr.is_learner;
      ps.paused = pr.IsPaused();
      ps.inflight = pr.inflights.Count();
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// Sending

void Raft::Send(raftpb::Message m) {
  m.set_from(id_);
  const raftpb::MessageType t = m.type();
  if (t == raftpb::MSG_VOTE || t == raftpb::MSG_VOTE_RESP || t == raftpb::MSG_PRE_VOTE ||
      t == raftpb::MSG_PRE_VOTE_RESP) {
    // Campaign messages carry the term they are about (for pre-votes, a future one).
    if (m.term() == 0) logger_->Fatalf("term should be set when sending %s", MessageTypeName(t));
  } else {
    if (m.term() != 0) {
      logger_->Fatalf("term should not be set when sending %s (was %d)", MessageTypeName(t),
                      m.term());
    }
    // Proposals and read requests forwarded to the leader are treated as local messages
    // there: no term.
    if (t != raftpb::MSG_PROP && t != raftpb::MSG_READ_INDEX) m.set_term(term_);
  }
  msgs_.push_back(std::move(m));
}

bool Raft::MaybeSendAppend(uint64_t to, bool send_if_empty) {
  Progress* pr = trk_.Find(to);
  if (pr == nullptr || pr->IsPaused()) return false;
  raftpb::Message m;
  m.set_to(to);

  absl::StatusOr<uint64_t> term = log_.Term(pr->next - 1);
  absl::StatusOr<std::vector<raftpb::Entry>> ents = log_.Entries(pr->next, max_msg_size_);
  if (ents.ok() && ents->empty() && !send_if_empty) return false;

  if (!term.ok() || !ents.ok()) {
    // The entries the follower needs were compacted: send a snapshot instead.
    if (!pr->recent_active) {
      logger_->Debugf("ignore sending snapshot to %x since it is not recently active", to);
      return false;
    }
    absl::StatusOr<raftpb::Snapshot> snapshot = log_.Snapshot();
    if (!snapshot.ok()) {
      if (IsErrSnapshotTemporarilyUnavailable(snapshot.status())) {
        logger_->Debugf("%x failed to send snapshot to %x because snapshot is temporarily "
                        "unavailable",
                        id_, to);
        return false;
      }
      logger_->Fatalf("storage Snapshot: %s", snapshot.status().ToString());
    }
    if (IsEmptySnap(*snapshot)) logger_->Fatalf("need non-empty snapshot");
    const uint64_t sindex = snapshot->metadata().index();
    const uint64_t sterm = snapshot->metadata().term();
    m.set_type(raftpb::MSG_SNAP);
    *m.mutable_snapshot() = *std::move(snapshot);
    logger_->Debugf("%x [firstindex: %d, commit: %d] sent snapshot[index: %d, term: %d] to %x "
                    "[%s]",
                    id_, log_.FirstIndex(), log_.committed(), sindex, sterm, to,
                    pr->ToString());
    pr->BecomeSnapshot(sindex);
    logger_->Debugf("%x paused sending replication messages to %x [%s]", id_, to,
                    pr->ToString());
  } else {
    m.set_type(raftpb::MSG_APP);
    m.set_index(pr->next - 1);
    m.set_log_term(*term);
    m.set_commit(log_.committed());
    if (!ents->empty()) {
      const uint64_t last = ents->back().index();
      switch (pr->state) {
        case ProgressState::kReplicate:
          // Optimistically assume delivery and keep streaming.
          pr->OptimisticUpdate(last);
          pr->inflights.Add(last);
          break;
        case ProgressState::kProbe:
          pr->probe_sent = true;
          break;
        default:
          logger_->Fatalf("%x is sending append in unhandled state %s", id_,
                          ProgressStateName(pr->state));
      }
      m.mutable_entries()->Reserve(ents->size());
      for (raftpb::Entry& e : *ents) *m.add_entries() = std::move(e);
    }
  }
  Send(std::move(m));
  return true;
}

void Raft::SendHeartbeat(uint64_t to, const std::string& ctx) {
  // The follower may not have every committed entry yet: it must not commit beyond what it
  // is known to match.
  const uint64_t commit = std::min(trk_.progress.at(to).match, log_.committed());
  raftpb::Message m;
  m.set_to(to);
  m.set_type(raftpb::MSG_HEARTBEAT);
  m.set_commit(commit);
  m.set_context(ctx);
  Send(std::move(m));
}

void Raft::BcastAppend() {
  for (const auto& [id, pr] : trk_.progress) {
    if (id != id_) SendAppend(id);
  }
}

void Raft::BcastHeartbeat() { BcastHeartbeatWithCtx(read_only_.LastPendingRequestCtx()); }

void Raft::BcastHeartbeatWithCtx(const std::string& ctx) {
  for (const auto& [id, pr] : trk_.progress) {
    if (id != id_) SendHeartbeat(id, ctx);
  }
}

// ---------------------------------------------------------------------------------------
// State transitions

void Raft::Advance(uint64_t applied, uint64_t applied_payload, uint64_t stable_index,
                   uint64_t stable_term, uint64_t snapshot_index) {
  if (applied > 0) {
    log_.AppliedTo(applied);
    if (trk_.config.auto_leave && applied >= pending_conf_index_ &&
        state_ == StateType::kLeader) {
      // The joint configuration is to be left automatically: propose the empty ConfChangeV2.
      raftpb::Entry e;
      e.set_type(raftpb::ENTRY_CONF_CHANGE_V2);
      e.set_data(raftpb::ConfChangeV2().SerializeAsString());
      if (!AppendEntry({e})) {
        // Try again after the next apply.
        pending_conf_index_ = log_.LastIndex();
      } else {
        logger_->Infof("initiating automatic transition out of joint configuration %s",
                       trk_.config.ToString());
      }
    }
  }
  ReduceUncommittedSize(applied_payload);
  if (stable_index > 0) log_.StableTo(stable_index, stable_term);
  if (snapshot_index > 0) log_.StableSnapTo(snapshot_index);
}

bool Raft::MaybeCommit() { return log_.MaybeCommit(trk_.Committed(), term_); }

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNone;
  }
  lead_ = kNone;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  AbortLeaderTransfer();
  trk_.ResetVotes();
  const uint64_t last = log_.LastIndex();
  for (auto& [id, pr] : trk_.progress) {
    const bool is_learner = pr.is_learner;
    pr = Progress(trk_.max_inflight());
    pr.next = last + 1;
    pr.is_learner = is_learner;
    if (id == id_) pr.match = last;
  }
  pending_conf_index_ = 0;
  uncommitted_size_ = 0;
  read_only_ = ReadOnly(read_only_.option());
}

bool Raft::AppendEntry(std::vector<raftpb::Entry> ents) {
  uint64_t li = log_.LastIndex();
  for (size_t i = 0; i < ents.size(); ++i) {
    ents[i].set_term(term_);
    ents[i].set_index(li + 1 + i);
  }
  if (!IncreaseUncommittedSize(ents)) {
    logger_->Debugf("%x appending new entries to log would exceed uncommitted entry size "
                    "limit; dropping proposal",
                    id_);
    return false;
  }
  li = log_.Append(ents);
  if (Progress* pr = trk_.Find(id_)) pr->MaybeUpdate(li);
  // The caller broadcasts whatever MaybeCommit decides.
  MaybeCommit();
  return true;
}

void Raft::Tick() {
  if (state_ == StateType::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (Promotable() && PastElectionTimeout()) {
    election_elapsed_ = 0;
    raftpb::Message m;
    m.set_from(id_);
    m.set_type(raftpb::MSG_HUP);
    (void)Step(std::move(m));
  }
}

void Raft::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) {
    election_elapsed_ = 0;
    if (check_quorum_) {
      raftpb::Message m;
      m.set_from(id_);
      m.set_type(raftpb::MSG_CHECK_QUORUM);
      (void)Step(std::move(m));
    }
    // A transfer that did not finish within an election timeout is abandoned.
    if (state_ == StateType::kLeader && lead_transferee_ != kNone) AbortLeaderTransfer();
  }
  if (state_ != StateType::kLeader) return;
  if (heartbeat_elapsed_ >= heartbeat_timeout_) {
    heartbeat_elapsed_ = 0;
    raftpb::Message m;
    m.set_from(id_);
    m.set_type(raftpb::MSG_BEAT);
    (void)Step(std::move(m));
  }
}

void Raft::BecomeFollower(uint64_t term, uint64_t lead) {
  Reset(term);
  lead_ = lead;
  state_ = StateType::kFollower;
  logger_->Infof("%x became follower at term %d", id_, term_);
}

void Raft::BecomeCandidate() {
  if (state_ == StateType::kLeader) logger_->Fatalf("invalid transition [leader -> candidate]");
  Reset(term_ + 1);
  vote_ = id_;
  state_ = StateType::kCandidate;
  logger_->Infof("%x became candidate at term %d", id_, term_);
}

void Raft::BecomePreCandidate() {
  if (state_ == StateType::kLeader) {
    logger_->Fatalf("invalid transition [leader -> pre-candidate]");
  }
  // A pre-candidate changes neither its term nor its vote.
  trk_.ResetVotes();
  lead_ = kNone;
  state_ = StateType::kPreCandidate;
  logger_->Infof("%x became pre-candidate at term %d", id_, term_);
}

void Raft::BecomeLeader() {
  if (state_ == StateType::kFollower) logger_->Fatalf("invalid transition [follower -> leader]");
  Reset(term_);
  lead_ = id_;
  state_ = StateType::kLeader;
  // The leader trivially replicates to itself; Reset set its match to the last index.
  if (Progress* pr = trk_.Find(id_)) pr->BecomeReplicate();
  // There may be an unapplied configuration change in the log; refusing new ones until
  // everything up to here is applied is conservative and cheap.
  pending_conf_index_ = log_.LastIndex();
  // Commit an entry of the new term right away: earlier terms' entries can only be committed
  // through it (Raft paper, section 5.4.2; section 8 for reads).
  // (Its payload is empty, so it does not count towards the uncommitted size limit.)
  if (!AppendEntry({raftpb::Entry()})) logger_->Fatalf("empty entry was dropped");
  logger_->Infof("%x became leader at term %d", id_, term_);
}

void Raft::Campaign(CampaignType type) {
  if (!Promotable()) {
    logger_->Warningf("%x is unpromotable; campaign() should have been called", id_);
  }
  uint64_t term;
  raftpb::MessageType vote_msg;
  if (type == CampaignType::kPreElection) {
    BecomePreCandidate();
    vote_msg = raftpb::MSG_PRE_VOTE;
    // Pre-votes are requested for the next term without incrementing ours.
    term = term_ + 1;
  } else {
    BecomeCandidate();
    vote_msg = raftpb::MSG_VOTE;
    term = term_;
  }
  if (Poll(id_, VoteRespMsgType(vote_msg), true) == VoteResult::kWon) {
    // Our own vote is a quorum: a single-voter cluster.
    if (type == CampaignType::kPreElection) {
      Campaign(CampaignType::kElection);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (uint64_t id : trk_.VoterNodes()) {
    if (id == id_) continue;
    logger_->Infof("%x [logterm: %d, index: %d] sent %s request to %x at term %d", id_,
                   log_.LastTerm(), log_.LastIndex(), MessageTypeName(vote_msg), id, term_);
    raftpb::Message m;
    m.set_term(term);
    m.set_to(id);
    m.set_type(vote_msg);
    m.set_index(log_.LastIndex());
    m.set_log_term(log_.LastTerm());
    if (type == CampaignType::kTransfer) m.set_context(kCampaignTransfer);
    Send(std::move(m));
  }
}

VoteResult Raft::Poll(uint64_t id, raftpb::MessageType type, bool granted) {
  if (granted) {
    logger_->Infof("%x received %s from %x at term %d", id_, MessageTypeName(type), id, term_);
  } else {
    logger_->Infof("%x received %s rejection from %x at term %d", id_, MessageTypeName(type), id,
                   term_);
  }
  trk_.RecordVote(id, granted);
  int yes = 0, no = 0;
  return trk_.TallyVotes(&yes, &no);
}

// ---------------------------------------------------------------------------------------
// Step

absl::Status Raft::Step(raftpb::Message m) {
  const raftpb::MessageType type = m.type();
  // First the term (Raft paper, section 5.1: "if one server's current term is smaller than
  // the other's, then it updates its current term"; stale-term requests are rejected).
  if (m.term() == 0) {
    // A local message.
  } else if (m.term() > term_) {
    if (type == raftpb::MSG_VOTE || type == raftpb::MSG_PRE_VOTE) {
      const bool force = m.context() == kCampaignTransfer;
      const bool in_lease =
          check_quorum_ && lead_ != kNone && election_elapsed_ < election_timeout_;
      if (!force && in_lease) {
        // Heard from a current leader within the minimum election timeout: neither update
        // the term nor grant the vote (thesis 4.2.3).
        logger_->Infof("%x [logterm: %d, index: %d, vote: %x] ignored %s from %x [logterm: %d, "
                       "index: %d] at term %d: lease is not expired (remaining ticks: %d)",
                       id_, log_.LastTerm(), log_.LastIndex(), vote_, MessageTypeName(type),
                       m.from(), m.log_term(), m.index(), term_,
                       election_timeout_ - election_elapsed_);
        return absl::OkStatus();
      }
    }
    if (type == raftpb::MSG_PRE_VOTE) {
      // Never change the term because of a pre-vote.
    } else if (type == raftpb::MSG_PRE_VOTE_RESP && !m.reject()) {
      // A granted pre-vote carries the future term we asked for; the term moves only when
      // the pre-vote is won.
    } else {
      logger_->Infof("%x [term: %d] received a %s message with higher term from %x [term: %d]",
                     id_, term_, MessageTypeName(type), m.from(), m.term());
      if (type == raftpb::MSG_APP || type == raftpb::MSG_HEARTBEAT ||
          type == raftpb::MSG_SNAP) {
        BecomeFollower(m.term(), m.from());
      } else {
        BecomeFollower(m.term(), kNone);
      }
    }
  } else if (m.term() < term_) {
    if ((check_quorum_ || pre_vote_) &&
        (type == raftpb::MSG_HEARTBEAT || type == raftpb::MSG_APP)) {
      // A leader of an older term: maybe this node's term grew during a partition and it can
      // neither win nor rejoin. With check-quorum or pre-vote, vote requests will not raise
      // the others' terms, so answer to let that leader learn our term (and step down).
      raftpb::Message resp;
      resp.set_to(m.from());
      resp.set_type(raftpb::MSG_APP_RESP);
      Send(std::move(resp));
    } else if (type == raftpb::MSG_PRE_VOTE) {
      // Reject explicitly, or a cluster upgraded to pre-vote could deadlock.
      logger_->Infof("%x [logterm: %d, index: %d, vote: %x] rejected %s from %x [logterm: %d, "
                     "index: %d] at term %d",
                     id_, log_.LastTerm(), log_.LastIndex(), vote_, MessageTypeName(type),
                     m.from(), m.log_term(), m.index(), term_);
      raftpb::Message resp;
      resp.set_to(m.from());
      resp.set_term(term_);
      resp.set_type(raftpb::MSG_PRE_VOTE_RESP);
      resp.set_reject(true);
      Send(std::move(resp));
    } else {
      logger_->Infof("%x [term: %d] ignored a %s message with lower term from %x [term: %d]",
                     id_, term_, MessageTypeName(type), m.from(), m.term());
    }
    return absl::OkStatus();
  }

  switch (type) {
    case raftpb::MSG_HUP: {
      if (state_ == StateType::kLeader) {
        logger_->Debugf("%x ignoring MsgHup because already leader", id_);
        return absl::OkStatus();
      }
      if (!Promotable()) {
        logger_->Warningf("%x is unpromotable and can not campaign; ignoring MsgHup", id_);
        return absl::OkStatus();
      }
      // A node must not lead while it has committed configuration changes it has not
      // applied: it would not know the configuration it leads.
      // Entries below the first index were replaced by a snapshot that is restored but not
      // yet applied (handed out in a Ready, no Advance yet): its ConfState is already in
      // force, so only the entries after it can hold a pending change. etcd 3.4 scans from
      // applied + 1 and panics here (etcd-io/etcd#9079); found by //testing/raft_sim.
      const uint64_t unapplied_from = std::max(log_.applied() + 1, log_.FirstIndex());
      if (log_.committed() >= unapplied_from) {
        absl::StatusOr<std::vector<raftpb::Entry>> ents =
            log_.Slice(unapplied_from, log_.committed() + 1, kNoLimit);
        if (!ents.ok()) {
          logger_->Fatalf("unexpected error getting unapplied entries (%s)",
                          ents.status().ToString());
        }
        if (ContainsConfChange(*ents)) {
          logger_->Warningf("%x cannot campaign at term %d since there are still pending "
                            "configuration changes to apply",
                            id_, term_);
          return absl::OkStatus();
        }
      }
      logger_->Infof("%x is starting a new election at term %d", id_, term_);
      Campaign(pre_vote_ ? CampaignType::kPreElection : CampaignType::kElection);
      return absl::OkStatus();
    }
    case raftpb::MSG_VOTE:
    case raftpb::MSG_PRE_VOTE: {
      // Vote if this repeats the vote already cast, or no vote was cast and no leader is
      // known in this term, or it is a pre-vote for a future term (paper, section 5.2)...
      const bool can_vote = vote_ == m.from() || (vote_ == kNone && lead_ == kNone) ||
                            (type == raftpb::MSG_PRE_VOTE && m.term() > term_);
      // ...and the candidate's log is at least as up-to-date as ours (section 5.4.1).
      // Learners vote too: a learner may have been promoted without knowing it yet.
      raftpb::Message resp;
      resp.set_to(m.from());
      resp.set_type(VoteRespMsgType(type));
      if (can_vote && log_.IsUpToDate(m.index(), m.log_term())) {
        logger_->Infof("%x [logterm: %d, index: %d, vote: %x] cast %s for %x [logterm: %d, "
                       "index: %d] at term %d",
                       id_, log_.LastTerm(), log_.LastIndex(), vote_, MessageTypeName(type),
                       m.from(), m.log_term(), m.index(), term_);
        // Answer with the message's term, not ours: for a pre-vote ours may be older and the
        // pre-candidate would ignore the answer.
        resp.set_term(m.term());
        Send(std::move(resp));
        if (type == raftpb::MSG_VOTE) {
          // Only real votes are recorded.
          election_elapsed_ = 0;
          vote_ = m.from();
        }
      } else {
        logger_->Infof("%x [logterm: %d, index: %d, vote: %x] rejected %s from %x [logterm: %d, "
                       "index: %d] at term %d",
                       id_, log_.LastTerm(), log_.LastIndex(), vote_, MessageTypeName(type),
                       m.from(), m.log_term(), m.index(), term_);
        resp.set_term(term_);
        resp.set_reject(true);
        Send(std::move(resp));
      }
      return absl::OkStatus();
    }
    default:
      break;
  }
  switch (state_) {
    case StateType::kLeader:
      return StepLeader(m);
    case StateType::kCandidate:
    case StateType::kPreCandidate:
      return StepCandidate(m);
    case StateType::kFollower:
      return StepFollower(m);
  }
  return absl::OkStatus();
}

absl::Status Raft::StepLeader(raftpb::Message& m) {
  // Messages that need no Progress of the sender.
  switch (m.type()) {
    case raftpb::MSG_BEAT:
      BcastHeartbeat();
      return absl::OkStatus();
    case raftpb::MSG_CHECK_QUORUM: {
      if (Progress* pr = trk_.Find(id_)) pr->recent_active = true;
      if (!trk_.QuorumActive()) {
        logger_->Warningf("%x stepped down to follower since quorum is not active", id_);
        BecomeFollower(term_, kNone);
      }
      // Everyone but us must prove activity again before the next check.
      for (auto& [id, pr] : trk_.progress) {
        if (id != id_) pr.recent_active = false;
      }
      return absl::OkStatus();
    }
    case raftpb::MSG_PROP: {
      if (m.entries_size() == 0) logger_->Fatalf("%x stepped empty MsgProp", id_);
      if (trk_.Find(id_) == nullptr) {
        // Removed from the configuration while leading.
        return ErrProposalDropped();
      }
      if (lead_transferee_ != kNone) {
        logger_->Debugf("%x [term %d] transfer leadership to %x is in progress; dropping "
                        "proposal",
                        id_, term_, lead_transferee_);
        return ErrProposalDropped();
      }
      std::vector<raftpb::Entry> ents;
      ents.reserve(m.entries_size());
      for (int i = 0; i < m.entries_size(); ++i) {
        raftpb::Entry& e = *m.mutable_entries(i);
        std::optional<raftpb::ConfChangeV2> cc;
        if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
          raftpb::ConfChange v1;
          if (!v1.ParseFromString(e.data())) logger_->Fatalf("cannot parse ConfChange");
          cc = AsV2(v1);
        } else if (e.type() == raftpb::ENTRY_CONF_CHANGE_V2) {
          raftpb::ConfChangeV2 v2;
          if (!v2.ParseFromString(e.data())) logger_->Fatalf("cannot parse ConfChangeV2");
          cc = std::move(v2);
        }
        if (cc) {
          const bool already_pending = pending_conf_index_ > log_.applied();
          const bool already_joint = trk_.config.voters.IsJoint();
          const bool wants_leave_joint = cc->changes_size() == 0;
          std::string refused;
          if (already_pending) {
            refused = absl::StrFormat("possible unapplied conf change at index %d (applied to %d)",
                                      pending_conf_index_, log_.applied());
          } else if (already_joint && !wants_leave_joint) {
            refused = "must transition out of joint config first";
          } else if (!already_joint && wants_leave_joint) {
            refused = "not in joint state; refusing empty conf change";
          }
          if (!refused.empty()) {
            logger_->Infof("%x ignoring conf change at config %s: %s", id_,
                           trk_.config.ToString(), refused);
            // Keep the slot (the proposer's indexes stay valid) but make it a no-op.
            e = raftpb::Entry();
          } else {
            pending_conf_index_ = log_.LastIndex() + i + 1;
          }
        }
        ents.push_back(std::move(e));
      }
      if (!AppendEntry(std::move(ents))) return ErrProposalDropped();
      BcastAppend();
      return absl::OkStatus();
    }
    case raftpb::MSG_READ_INDEX: {
      if (trk_.IsSingleton()) {
        // The only voter is us: the commit index is known to be the latest.
        RespondToReadIndex(m, log_.committed());
        return absl::OkStatus();
      }
      // Until the leader has committed an entry of its term it does not know the latest
      // commit index (thesis 6.4, step 1): postpone.
      if (!CommittedEntryInCurrentTerm()) {
        pending_read_index_messages_.push_back(m);
        return absl::OkStatus();
      }
      SendMsgReadIndexResponse(m);
      return absl::OkStatus();
    }
    default:
      break;
  }

  Progress* pr = trk_.Find(m.from());
  if (pr == nullptr) {
    logger_->Debugf("%x no progress available for %x", id_, m.from());
    return absl::OkStatus();
  }
  switch (m.type()) {
    case raftpb::MSG_APP_RESP: {
      pr->recent_active = true;
      if (m.reject()) {
        logger_->Debugf("%x received MsgAppResp(MsgApp was rejected, lastindex: %d) from %x for "
                        "index %d",
                        id_, m.reject_hint(), m.from(), m.index());
        if (pr->MaybeDecrTo(m.index(), m.reject_hint())) {
          logger_->Debugf("%x decreased progress of %x to [%s]", id_, m.from(), pr->ToString());
          if (pr->state == ProgressState::kReplicate) pr->BecomeProbe();
          SendAppend(m.from());
        }
        return absl::OkStatus();
      }
      const bool old_paused = pr->IsPaused();
      if (!pr->MaybeUpdate(m.index())) return absl::OkStatus();
      if (pr->state == ProgressState::kProbe) {
        pr->BecomeReplicate();
      } else if (pr->state == ProgressState::kSnapshot && pr->match >= pr->pending_snapshot) {
        logger_->Debugf("%x recovered from needing snapshot, resumed sending replication "
                        "messages to %x [%s]",
                        id_, m.from(), pr->ToString());
        // Through probe, which accounts for the snapshot, into replicate.
        pr->BecomeProbe();
        pr->BecomeReplicate();
      } else if (pr->state == ProgressState::kReplicate) {
        pr->inflights.FreeLE(m.index());
      }
      if (MaybeCommit()) {
        // An entry of this term is committed: pending reads can be answered.
        ReleasePendingReadIndexMessages();
        BcastAppend();
      } else if (old_paused) {
        // The follower may be missing the latest commit index.
        SendAppend(m.from());
      }
      // Flow control may now allow several size-limited MsgApps.
      while (MaybeSendAppend(m.from(), /*send_if_empty=*/false)) {
      }
      if (m.from() == lead_transferee_ && pr->match == log_.LastIndex()) {
        logger_->Infof("%x sent MsgTimeoutNow to %x after received MsgAppResp", id_, m.from());
        SendTimeoutNow(m.from());
      }
      return absl::OkStatus();
    }
    case raftpb::MSG_HEARTBEAT_RESP: {
      pr->recent_active = true;
      pr->probe_sent = false;
      // Free one slot of a full window so that replication can make progress.
      if (pr->state == ProgressState::kReplicate && pr->inflights.Full()) {
        pr->inflights.FreeFirstOne();
      }
      if (pr->match < log_.LastIndex()) SendAppend(m.from());
      if (read_only_.option() != ReadOnlyOption::kSafe || m.context().empty()) {
        return absl::OkStatus();
      }
      const std::map<uint64_t, bool>* acks = read_only_.RecvAck(m.from(), m.context());
      if (acks == nullptr || trk_.config.voters.VoteResultOf(*acks) != VoteResult::kWon) {
        return absl::OkStatus();
      }
      for (ReadIndexStatus& rs : read_only_.Advance(m.context())) {
        RespondToReadIndex(rs.req, rs.index);
      }
      return absl::OkStatus();
    }
    case raftpb::MSG_SNAP_STATUS: {
      if (pr->state != ProgressState::kSnapshot) return absl::OkStatus();
      if (!m.reject()) {
        pr->BecomeProbe();
        logger_->Debugf("%x snapshot succeeded, resumed sending replication messages to %x [%s]",
                        id_, m.from(), pr->ToString());
      } else {
        // Clear the pending snapshot first, or probing would start after it.
        pr->pending_snapshot = 0;
        pr->BecomeProbe();
        logger_->Debugf("%x snapshot failed, resumed sending replication messages to %x [%s]",
                        id_, m.from(), pr->ToString());
      }
      // Wait for the MsgAppResp (success) or a heartbeat interval (failure) before the next
      // MsgApp.
      pr->probe_sent = true;
      return absl::OkStatus();
    }
    case raftpb::MSG_UNREACHABLE:
      // An optimistic MsgApp was probably lost.
      if (pr->state == ProgressState::kReplicate) pr->BecomeProbe();
      logger_->Debugf("%x failed to send message to %x because it is unreachable [%s]", id_,
                      m.from(), pr->ToString());
      return absl::OkStatus();
    case raftpb::MSG_TRANSFER_LEADER: {
      if (pr->is_learner) {
        logger_->Debugf("%x is learner. Ignored transferring leadership", id_);
        return absl::OkStatus();
      }
      const uint64_t transferee = m.from();
      if (lead_transferee_ != kNone) {
        if (lead_transferee_ == transferee) {
          logger_->Infof("%x [term %d] transfer leadership to %x is in progress, ignores request "
                         "to same node %x",
                         id_, term_, transferee, transferee);
          return absl::OkStatus();
        }
        logger_->Infof("%x [term %d] abort previous transferring leadership to %x", id_, term_,
                       lead_transferee_);
        AbortLeaderTransfer();
      }
      if (transferee == id_) {
        logger_->Debugf("%x is already leader. Ignored transferring leadership to self", id_);
        return absl::OkStatus();
      }
      logger_->Infof("%x [term %d] starts to transfer leadership to %x", id_, term_, transferee);
      // The transfer must finish within an election timeout (thesis 3.10).
      election_elapsed_ = 0;
      lead_transferee_ = transferee;
      if (pr->match == log_.LastIndex()) {
        SendTimeoutNow(transferee);
        logger_->Infof("%x sends MsgTimeoutNow to %x immediately as %x already has up-to-date "
                       "log",
                       id_, transferee, transferee);
      } else {
        SendAppend(transferee);
      }
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

absl::Status Raft::StepCandidate(raftpb::Message& m) {
  // Only responses to our own candidacy count: as a candidate, stale pre-vote responses of
  // this term may still arrive.
  const raftpb::MessageType my_vote_resp = state_ == StateType::kPreCandidate
                                               ? raftpb::MSG_PRE_VOTE_RESP
                                               : raftpb::MSG_VOTE_RESP;
  const raftpb::MessageType type = m.type();
  if (type == raftpb::MSG_PROP) {
    logger_->Infof("%x no leader at term %d; dropping proposal", id_, term_);
    return ErrProposalDropped();
  }
  if (type == raftpb::MSG_APP || type == raftpb::MSG_HEARTBEAT || type == raftpb::MSG_SNAP) {
    // A leader of our term exists (m.term() == term_ here): follow it (paper, section 5.2).
    BecomeFollower(m.term(), m.from());
    if (type == raftpb::MSG_APP) {
      HandleAppendEntries(m);
    } else if (type == raftpb::MSG_HEARTBEAT) {
      HandleHeartbeat(m);
    } else {
      HandleSnapshot(m);
    }
    return absl::OkStatus();
  }
  if (type == my_vote_resp) {
    const VoteResult res = Poll(m.from(), type, !m.reject());
    if (res == VoteResult::kWon) {
      if (state_ == StateType::kPreCandidate) {
        Campaign(CampaignType::kElection);
      } else {
        BecomeLeader();
        BcastAppend();
      }
    } else if (res == VoteResult::kLost) {
      // A pre-vote rejection may carry a future term: keep ours.
      BecomeFollower(term_, kNone);
    }
    return absl::OkStatus();
  }
  if (type == raftpb::MSG_TIMEOUT_NOW) {
    logger_->Debugf("%x [term %d state %s] ignored MsgTimeoutNow from %x", id_, term_,
                    StateTypeName(state_), m.from());
  }
  return absl::OkStatus();
}

absl::Status Raft::StepFollower(raftpb::Message& m) {
  switch (m.type()) {
    case raftpb::MSG_PROP:
      if (lead_ == kNone) {
        logger_->Infof("%x no leader at term %d; dropping proposal", id_, term_);
        return ErrProposalDropped();
      }
      if (disable_proposal_forwarding_) {
        logger_->Infof("%x not forwarding to leader %x at term %d; dropping proposal", id_, lead_,
                       term_);
        return ErrProposalDropped();
      }
      m.set_to(lead_);
      Send(std::move(m));
      return absl::OkStatus();
    case raftpb::MSG_APP:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleAppendEntries(m);
      return absl::OkStatus();
    case raftpb::MSG_HEARTBEAT:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleHeartbeat(m);
      return absl::OkStatus();
    case raftpb::MSG_SNAP:
      election_elapsed_ = 0;
      lead_ = m.from();
      HandleSnapshot(m);
      return absl::OkStatus();
    case raftpb::MSG_TRANSFER_LEADER:
      if (lead_ == kNone) {
        logger_->Infof("%x no leader at term %d; dropping leader transfer msg", id_, term_);
        return absl::OkStatus();
      }
      m.set_to(lead_);
      Send(std::move(m));
      return absl::OkStatus();
    case raftpb::MSG_TIMEOUT_NOW:
      if (Promotable()) {
        logger_->Infof("%x [term %d] received MsgTimeoutNow from %x and starts an election to "
                       "get leadership.",
                       id_, term_, m.from());
        // A transfer never uses pre-vote: no partition to recover from.
        Campaign(CampaignType::kTransfer);
      } else {
        logger_->Infof("%x received MsgTimeoutNow from %x but is not promotable", id_, m.from());
      }
      return absl::OkStatus();
    case raftpb::MSG_READ_INDEX:
      if (lead_ == kNone) {
        logger_->Infof("%x no leader at term %d; dropping index reading msg", id_, term_);
        return absl::OkStatus();
      }
      m.set_to(lead_);
      Send(std::move(m));
      return absl::OkStatus();
    case raftpb::MSG_READ_INDEX_RESP:
      if (m.entries_size() != 1) {
        logger_->Errorf("%x invalid format of MsgReadIndexResp from %x, entries count: %d", id_,
                        m.from(), m.entries_size());
        return absl::OkStatus();
      }
      read_states_.push_back(ReadState{m.index(), m.entries(0).data()});
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

void Raft::HandleAppendEntries(const raftpb::Message& m) {
  raftpb::Message resp;
  resp.set_to(m.from());
  resp.set_type(raftpb::MSG_APP_RESP);
  if (m.index() < log_.committed()) {
    // Everything up to our commit index matches already (Log Matching).
    resp.set_index(log_.committed());
    Send(std::move(resp));
    return;
  }
  std::vector<raftpb::Entry> ents(m.entries().begin(), m.entries().end());
  if (std::optional<uint64_t> last_new =
          log_.MaybeAppend(m.index(), m.log_term(), m.commit(), ents)) {
    resp.set_index(*last_new);
  } else {
    logger_->Debugf("%x [logterm: %d, index: %d] rejected MsgApp [logterm: %d, index: %d] from %x",
                    id_, log_.TermOrZero(m.index()), m.index(), m.log_term(), m.index(),
                    m.from());
    // The hint (our last index) lets the leader skip straight back (paper, section 5.3).
    resp.set_index(m.index());
    resp.set_reject(true);
    resp.set_reject_hint(log_.LastIndex());
  }
  Send(std::move(resp));
}

void Raft::HandleHeartbeat(const raftpb::Message& m) {
  log_.CommitTo(m.commit());
  raftpb::Message resp;
  resp.set_to(m.from());
  resp.set_type(raftpb::MSG_HEARTBEAT_RESP);
  resp.set_context(m.context());
  Send(std::move(resp));
}

void Raft::HandleSnapshot(const raftpb::Message& m) {
  const uint64_t sindex = m.snapshot().metadata().index();
  const uint64_t sterm = m.snapshot().metadata().term();
  raftpb::Message resp;
  resp.set_to(m.from());
  resp.set_type(raftpb::MSG_APP_RESP);
  if (Restore(m.snapshot())) {
    logger_->Infof("%x [commit: %d] restored snapshot [index: %d, term: %d]", id_,
                   log_.committed(), sindex, sterm);
    resp.set_index(log_.LastIndex());
  } else {
    logger_->Infof("%x [commit: %d] ignored snapshot [index: %d, term: %d]", id_,
                   log_.committed(), sindex, sterm);
    resp.set_index(log_.committed());
  }
  Send(std::move(resp));
}

bool Raft::Restore(const raftpb::Snapshot& s) {
  const raftpb::SnapshotMetadata& md = s.metadata();
  if (md.index() <= log_.committed()) return false;
  if (state_ != StateType::kFollower) {
    // Defense in depth: only followers restore snapshots.
    logger_->Warningf("%x attempted to restore snapshot as leader; should never happen", id_);
    BecomeFollower(term_ + 1, kNone);
    return false;
  }
  // More defense in depth: a snapshot whose configuration does not include us.
  const raftpb::ConfState& cs = md.conf_state();
  const bool found = std::find(cs.voters().begin(), cs.voters().end(), id_) != cs.voters().end() ||
                     std::find(cs.learners().begin(), cs.learners().end(), id_) !=
                         cs.learners().end();
  if (!found) {
    logger_->Warningf("%x attempted to restore snapshot but it is not in the ConfState; should "
                      "never happen",
                      id_);
    return false;
  }
  if (log_.MatchTerm(md.index(), md.term())) {
    // We already have the snapshot's last entry: just commit up to it.
    logger_->Infof("%x [commit: %d, lastindex: %d, lastterm: %d] fast-forwarded commit to "
                   "snapshot [index: %d, term: %d]",
                   id_, log_.committed(), log_.LastIndex(), log_.LastTerm(), md.index(),
                   md.term());
    log_.CommitTo(md.index());
    return false;
  }
  log_.Restore(s);
  trk_ = ProgressTracker(trk_.max_inflight());
  absl::StatusOr<ConfigAndProgress> cp =
      internal::Restore(cs, trk_.max_inflight(), log_.LastIndex());
  if (!cp.ok()) {
    logger_->Fatalf("unable to restore config: %s", cp.status().ToString());
  }
  SwitchToConfig(*std::move(cp));
  if (Progress* pr = trk_.Find(id_)) pr->MaybeUpdate(pr->next - 1);
  logger_->Infof("%x [commit: %d, lastindex: %d, lastterm: %d] restored snapshot [index: %d, "
                 "term: %d]",
                 id_, log_.committed(), log_.LastIndex(), log_.LastTerm(), md.index(),
                 md.term());
  return true;
}

bool Raft::Promotable() const {
  auto it = trk_.progress.find(id_);
  return it != trk_.progress.end() && !it->second.is_learner;
}

absl::StatusOr<raftpb::ConfState> Raft::ApplyConfChange(const raftpb::ConfChangeV2& cc) {
  Changer changer(trk_, log_.LastIndex());
  absl::StatusOr<ConfigAndProgress> cp;
  bool auto_leave = false;
  if (IsLeaveJoint(cc)) {
    cp = changer.LeaveJoint();
  } else if (IsEnterJoint(cc, &auto_leave)) {
    cp = changer.EnterJoint(auto_leave, {cc.changes().begin(), cc.changes().end()});
  } else {
    cp = changer.Simple({cc.changes().begin(), cc.changes().end()});
  }
  if (!cp.ok()) return cp.status();
  return SwitchToConfig(*std::move(cp));
}

raftpb::ConfState Raft::SwitchToConfig(ConfigAndProgress cp) {
  trk_.config = std::move(cp.config);
  trk_.progress = std::move(cp.progress);
  logger_->Infof("%x switched to configuration %s", id_, trk_.config.ToString());
  raftpb::ConfState cs = trk_.ConfState();
  const Progress* self = trk_.Find(id_);
  is_learner_ = self != nullptr && self->is_learner;

  if ((self == nullptr || is_learner_) && state_ == StateType::kLeader) {
    // Removed or demoted while leading: it keeps leading until a new leader emerges and its
    // proposals are dropped (see StepLeader).
    return cs;
  }
  if (state_ != StateType::kLeader || cs.voters_size() == 0) return cs;

  if (MaybeCommit()) {
    // The new quorum may commit more: tell everyone.
    BcastAppend();
  } else {
    // Probe the new members now rather than at the next heartbeat.
    for (const auto& [id, pr] : trk_.progress) {
      if (id != id_) MaybeSendAppend(id, /*send_if_empty=*/false);
    }
  }
  if (lead_transferee_ != kNone && trk_.Find(lead_transferee_) == nullptr) {
    AbortLeaderTransfer();
  }
  return cs;
}

void Raft::LoadState(const raftpb::HardState& hs) {
  if (hs.commit() < log_.committed() || hs.commit() > log_.LastIndex()) {
    logger_->Fatalf("%x state.commit %d is out of range [%d, %d]", id_, hs.commit(),
                    log_.committed(), log_.LastIndex());
  }
  log_.set_committed(hs.commit());
  term_ = hs.term();
  vote_ = hs.vote();
}

void Raft::ResetRandomizedElectionTimeout() {
  // rng_() % n has a negligible bias for small n, and unlike uniform_int_distribution its
  // output is the same with every standard library.
  randomized_election_timeout_ =
      election_timeout_ + static_cast<int>(rng_() % static_cast<uint64_t>(election_timeout_));
}

void Raft::SendTimeoutNow(uint64_t to) {
  raftpb::Message m;
  m.set_to(to);
  m.set_type(raftpb::MSG_TIMEOUT_NOW);
  Send(std::move(m));
}

bool Raft::CommittedEntryInCurrentTerm() const {
  return log_.TermOrZero(log_.committed()) == term_;
}

void Raft::RespondToReadIndex(const raftpb::Message& req, uint64_t read_index) {
  if (req.from() == kNone || req.from() == id_) {
    read_states_.push_back(ReadState{read_index, req.entries(0).data()});
    return;
  }
  raftpb::Message resp;
  resp.set_type(raftpb::MSG_READ_INDEX_RESP);
  resp.set_to(req.from());
  resp.set_index(read_index);
  *resp.mutable_entries() = req.entries();
  Send(std::move(resp));
}

bool Raft::IncreaseUncommittedSize(const std::vector<raftpb::Entry>& ents) {
  uint64_t s = 0;
  for (const raftpb::Entry& e : ents) s += PayloadSize(e);
  // An empty uncommitted tail accepts a proposal of any size.
  if (uncommitted_size_ > 0 && s > 0 && uncommitted_size_ + s > max_uncommitted_size_) {
    return false;
  }
  uncommitted_size_ += s;
  return true;
}

void Raft::ReduceUncommittedSize(uint64_t payload) {
  if (uncommitted_size_ == 0) return;  // followers do not track it
  // The estimate may be low but never high: saturate at 0.
  uncommitted_size_ = payload > uncommitted_size_ ? 0 : uncommitted_size_ - payload;
}

void Raft::ReleasePendingReadIndexMessages() {
  if (!CommittedEntryInCurrentTerm()) {
    logger_->Errorf("pending MsgReadIndex should be released only after first commit in current "
                    "term");
    return;
  }
  std::vector<raftpb::Message> msgs = std::move(pending_read_index_messages_);
  pending_read_index_messages_.clear();
  for (const raftpb::Message& m : msgs) SendMsgReadIndexResponse(m);
}

void Raft::SendMsgReadIndexResponse(const raftpb::Message& m) {
  switch (read_only_.option()) {
    case ReadOnlyOption::kSafe:
      // Confirm leadership with a heartbeat round carrying the request context.
      read_only_.AddRequest(log_.committed(), m);
      read_only_.RecvAck(id_, m.entries(0).data());
      BcastHeartbeatWithCtx(m.entries(0).data());
      break;
    case ReadOnlyOption::kLeaseBased:
      RespondToReadIndex(m, log_.committed());
      break;
  }
}

}  // namespace etcd::raft::internal
