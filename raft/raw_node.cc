#include "raft/raw_node.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "raft/internal/confchange.h"
#include "raft/internal/raft.h"
#include "raft/internal/util.h"

namespace etcd::raft {

using internal::Raft;

RawNode::RawNode(std::unique_ptr<Raft> raft)
    : raft_(std::move(raft)),
      prev_soft_state_(raft_->GetSoftState()),
      prev_hard_state_(raft_->GetHardState()) {}

RawNode::~RawNode() = default;

absl::StatusOr<std::unique_ptr<RawNode>> RawNode::Create(const Config& config) {
  absl::StatusOr<std::unique_ptr<Raft>> raft = Raft::Create(config);
  if (!raft.ok()) return raft.status();
  return std::unique_ptr<RawNode>(new RawNode(*std::move(raft)));
}

absl::Status RawNode::Bootstrap(const std::vector<Peer>& peers) {
  if (peers.empty()) {
    return absl::InvalidArgumentError("must provide at least one peer to Bootstrap");
  }
  absl::StatusOr<uint64_t> last = raft_->log().storage()->LastIndex();
  if (!last.ok()) return last.status();
  if (*last != 0) return absl::FailedPreconditionError("can't bootstrap a nonempty Storage");

  // Nothing is persisted yet: the first Ready must carry the HardState.
  prev_hard_state_ = raftpb::HardState();
  raft_->BecomeFollower(1, kNone);
  std::vector<raftpb::Entry> ents;
  for (size_t i = 0; i < peers.size(); ++i) {
    raftpb::ConfChange cc;
    cc.set_type(raftpb::CONF_CHANGE_ADD_NODE);
    cc.set_node_id(peers[i].id);
    cc.set_context(peers[i].context);
    raftpb::Entry& e = ents.emplace_back();
    e.set_type(raftpb::ENTRY_CONF_CHANGE);
    e.set_term(1);
    e.set_index(i + 1);
    e.set_data(cc.SerializeAsString());
  }
  raft_->log().Append(ents);
  // The entries are committed by construction; apply them now so that the node can campaign
  // at once. applied stays 0: the application still sees them as committed entries.
  raft_->log().set_committed(ents.size());
  for (const Peer& peer : peers) {
    raftpb::ConfChange cc;
    cc.set_type(raftpb::CONF_CHANGE_ADD_NODE);
    cc.set_node_id(peer.id);
    absl::StatusOr<raftpb::ConfState> cs = raft_->ApplyConfChange(internal::AsV2(cc));
    if (!cs.ok()) return cs.status();
  }
  return absl::OkStatus();
}

void RawNode::Tick() { raft_->Tick(); }

absl::Status RawNode::Campaign() {
  raftpb::Message m;
  m.set_type(raftpb::MSG_HUP);
  return raft_->Step(std::move(m));
}

absl::Status RawNode::Propose(std::string data) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_PROP);
  m.set_from(raft_->id());
  m.add_entries()->set_data(std::move(data));
  return raft_->Step(std::move(m));
}

absl::Status RawNode::ProposeConfChange(const raftpb::ConfChange& cc) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_PROP);
  m.set_from(raft_->id());
  raftpb::Entry* e = m.add_entries();
  e->set_type(raftpb::ENTRY_CONF_CHANGE);
  e->set_data(cc.SerializeAsString());
  return raft_->Step(std::move(m));
}

absl::Status RawNode::ProposeConfChange(const raftpb::ConfChangeV2& cc) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_PROP);
  m.set_from(raft_->id());
  raftpb::Entry* e = m.add_entries();
  e->set_type(raftpb::ENTRY_CONF_CHANGE_V2);
  e->set_data(cc.SerializeAsString());
  return raft_->Step(std::move(m));
}

absl::StatusOr<raftpb::ConfState> RawNode::ApplyConfChange(const raftpb::ConfChange& cc) {
  return raft_->ApplyConfChange(internal::AsV2(cc));
}

absl::StatusOr<raftpb::ConfState> RawNode::ApplyConfChange(const raftpb::ConfChangeV2& cc) {
  return raft_->ApplyConfChange(cc);
}

absl::Status RawNode::Step(raftpb::Message m) {
  if (internal::IsLocalMsg(m.type())) return ErrStepLocalMsg();
  if (internal::IsResponseMsg(m.type()) && raft_->tracker().Find(m.from()) == nullptr) {
    return ErrStepPeerNotFound();
  }
  return raft_->Step(std::move(m));
}

void RawNode::ReadIndex(std::string request_ctx) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_READ_INDEX);
  m.add_entries()->set_data(std::move(request_ctx));
  (void)raft_->Step(std::move(m));
}

void RawNode::TransferLeader(uint64_t transferee) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_TRANSFER_LEADER);
  m.set_from(transferee);
  (void)raft_->Step(std::move(m));
}

void RawNode::ReportUnreachable(uint64_t id) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_UNREACHABLE);
  m.set_from(id);
  (void)raft_->Step(std::move(m));
}

void RawNode::ReportSnapshot(uint64_t id, SnapshotStatus status) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_SNAP_STATUS);
  m.set_from(id);
  m.set_reject(status == SnapshotStatus::kFailure);
  (void)raft_->Step(std::move(m));
}

bool RawNode::HasReady() const {
  if (raft_->GetSoftState() != prev_soft_state_) return true;
  const raftpb::HardState hs = raft_->GetHardState();
  if (!IsEmptyHardState(hs) && !HardStateEqual(hs, prev_hard_state_)) return true;
  const internal::RaftLog& log = raft_->log();
  if (log.UnstableSnapshot() && !IsEmptySnap(*log.UnstableSnapshot())) return true;
  if (!raft_->msgs().empty() || !log.UnstableEntries().empty() || log.HasNextEntries()) {
    return true;
  }
  return !raft_->read_states().empty();
}

Ready RawNode::GetReady() {
  if (outstanding_) {
    raft_->logger()->Fatalf("%x GetReady called twice without Advance", raft_->id());
  }
  internal::RaftLog& log = raft_->log();
  Ready rd;
  rd.entries = log.UnstableEntries();
  rd.committed_entries = log.NextEntries();
  rd.messages = std::move(raft_->msgs());
  raft_->msgs().clear();
  if (SoftState ss = raft_->GetSoftState(); ss != prev_soft_state_) {
    rd.soft_state = ss;
    prev_soft_state_ = ss;
  }
  const raftpb::HardState hs = raft_->GetHardState();
  if (!HardStateEqual(hs, prev_hard_state_)) rd.hard_state = hs;
  if (log.UnstableSnapshot()) rd.snapshot = *log.UnstableSnapshot();
  rd.read_states = std::move(raft_->read_states());
  raft_->read_states().clear();
  // Persistent state on all servers, updated before responding to RPCs (paper, figure 2):
  // current term, voted for, log entries. A commit index change alone need not be synced.
  rd.must_sync = !rd.entries.empty() || hs.vote() != prev_hard_state_.vote() ||
                 hs.term() != prev_hard_state_.term();
  if (!IsEmptyHardState(rd.hard_state)) prev_hard_state_ = rd.hard_state;

  Outstanding out;
  if (!rd.committed_entries.empty()) {
    out.applied = rd.committed_entries.back().index();
  } else if (!IsEmptySnap(rd.snapshot)) {
    out.applied = rd.snapshot.metadata().index();
  }
  for (const raftpb::Entry& e : rd.committed_entries) out.applied_payload += internal::PayloadSize(e);
  if (!rd.entries.empty()) {
    out.stable_index = rd.entries.back().index();
    out.stable_term = rd.entries.back().term();
  }
  if (!IsEmptySnap(rd.snapshot)) out.snapshot_index = rd.snapshot.metadata().index();
  outstanding_ = out;
  return rd;
}

void RawNode::Advance() {
  if (!outstanding_) return;
  const Outstanding out = *outstanding_;
  outstanding_.reset();
  raft_->Advance(out.applied, out.applied_payload, out.stable_index, out.stable_term,
                 out.snapshot_index);
}

Status RawNode::GetStatus() const { return raft_->GetStatus(); }
uint64_t RawNode::id() const { return raft_->id(); }
uint64_t RawNode::Lead() const { return raft_->lead(); }
StateType RawNode::Role() const { return raft_->state(); }
uint64_t RawNode::Term() const { return raft_->term(); }

}  // namespace etcd::raft
