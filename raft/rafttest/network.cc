#include "raft/rafttest/network.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "raft/ready.h"

namespace etcd::raft::rafttest {

std::string EncodeState(const std::vector<std::string>& state) {
  std::string out;
  for (const std::string& s : state) absl::StrAppend(&out, s.size(), ":", s);
  return out;
}

std::vector<std::string> DecodeState(const std::string& data) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t colon = data.find(':', pos);
    size_t len = 0;
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(data.substr(pos, colon - pos), &len)) {
      std::abort();
    }
    out.push_back(data.substr(colon + 1, len));
    pos = colon + 1 + len;
  }
  return out;
}

Network::Network(NetworkOptions options)
    : options_(options), logger_(options.log_level) {}

Config Network::MakeConfig(uint64_t id, Storage* storage) const {
  Config c;
  c.id = id;
  c.election_tick = options_.election_tick;
  c.heartbeat_tick = options_.heartbeat_tick;
  c.storage = storage;
  c.max_size_per_msg = options_.max_size_per_msg;
  c.max_inflight_msgs = options_.max_inflight_msgs;
  c.pre_vote = options_.pre_vote;
  c.check_quorum = options_.check_quorum;
  c.read_only_option = options_.read_only_option;
  c.random_seed = options_.seed;
  c.logger = const_cast<StderrLogger*>(&logger_);
  return c;
}

void Network::Bootstrap(int n) {
  std::vector<Peer> peers;
  for (int i = 1; i <= n; ++i) peers.push_back(Peer{static_cast<uint64_t>(i), ""});
  for (int i = 1; i <= n; ++i) {
    Member& m = AddMember(i, std::make_unique<MemoryStorage>(&logger_));
    absl::Status s = m.node->Bootstrap(peers);
    if (!s.ok()) {
      std::cerr << "bootstrap failed: " << s << "\n";
      std::abort();
    }
  }
}

Member& Network::AddMember(uint64_t id, std::unique_ptr<MemoryStorage> storage) {
  auto m = std::make_unique<Member>();
  m->id = id;
  m->storage = std::move(storage);
  absl::StatusOr<StoredState> st = m->storage->InitialState();
  absl::StatusOr<raftpb::Snapshot> snap = m->storage->Snapshot();
  if (!st.ok() || !snap.ok()) std::abort();
  m->conf_state = st->conf_state;
  m->applied_index = snap->metadata().index();
  if (!snap->data().empty()) m->state = DecodeState(snap->data());
  absl::StatusOr<std::unique_ptr<RawNode>> node =
      RawNode::Create(MakeConfig(id, m->storage.get()));
  if (!node.ok()) {
    std::cerr << "RawNode::Create failed: " << node.status() << "\n";
    std::abort();
  }
  m->node = *std::move(node);
  Member& ref = *m;
  members_[id] = std::move(m);
  return ref;
}

std::vector<uint64_t> Network::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, m] : members_) out.push_back(id);
  return out;
}

bool Network::ProcessReady(uint64_t id) {
  Member& m = member(id);
  if (!m.node->HasReady()) return false;
  Ready rd = m.node->GetReady();

  // 1. Persist: snapshot, entries, hard state.
  if (!IsEmptySnap(rd.snapshot)) {
    if (!m.storage->ApplySnapshot(rd.snapshot).ok()) std::abort();
    m.state = DecodeState(rd.snapshot.data());
    m.applied_index = rd.snapshot.metadata().index();
    m.conf_state = rd.snapshot.metadata().conf_state();
    ++m.snapshots_restored;
  }
  if (!m.storage->Append(rd.entries).ok()) std::abort();
  if (!IsEmptyHardState(rd.hard_state)) {
    if (!m.storage->SetHardState(rd.hard_state).ok()) std::abort();
  }
  // 2. Send.
  for (raftpb::Message& msg : rd.messages) {
    if (msg.type() == raftpb::MSG_SNAP) {
      // The transport reports whether the snapshot got through.
      m.node->ReportSnapshot(msg.to(), Linked(msg.from(), msg.to()) ? SnapshotStatus::kFinish
                                                                     : SnapshotStatus::kFailure);
    }
    queue_.push_back(std::move(msg));
  }
  // 3. Apply.
  for (const raftpb::Entry& e : rd.committed_entries) {
    if (e.index() != m.applied_index + 1) {
      violations_.push_back(absl::StrFormat("member %d applied index %d after %d", id, e.index(),
                                            m.applied_index));
    }
    m.applied_index = e.index();
    m.applied_entries.push_back(e);
    auto [it, inserted] = applied_.emplace(e.index(), std::make_pair(e.term(), e.data()));
    if (!inserted && it->second != std::make_pair(e.term(), e.data())) {
      violations_.push_back(absl::StrFormat(
          "State Machine Safety: member %d applied (term %d) at index %d, another member "
          "applied term %d",
          id, e.term(), e.index(), it->second.first));
    }
    if (e.type() == raftpb::ENTRY_NORMAL) {
      if (!e.data().empty()) m.state.push_back(e.data());
    } else if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
      raftpb::ConfChange cc;
      if (!cc.ParseFromString(e.data())) std::abort();
      absl::StatusOr<raftpb::ConfState> cs = m.node->ApplyConfChange(cc);
      if (cs.ok()) m.conf_state = *cs;
    } else if (e.type() == raftpb::ENTRY_CONF_CHANGE_V2) {
      raftpb::ConfChangeV2 cc;
      if (!cc.ParseFromString(e.data())) std::abort();
      absl::StatusOr<raftpb::ConfState> cs = m.node->ApplyConfChange(cc);
      if (cs.ok()) m.conf_state = *cs;
    }
  }
  for (ReadState& rs : rd.read_states) m.read_states.push_back(std::move(rs));
  // 4. Advance.
  m.node->Advance();
  RecordSafety(m);
  return true;
}

void Network::RecordSafety(const Member& m) {
  if (m.node->Role() != StateType::kLeader) return;
  auto [it, inserted] = leaders_by_term_.emplace(m.node->Term(), m.id);
  if (!inserted && it->second != m.id) {
    violations_.push_back(absl::StrFormat("Election Safety: %d and %d both lead term %d",
                                          it->second, m.id, m.node->Term()));
  }
}

bool Network::Linked(uint64_t from, uint64_t to) const {
  return cut_.count({from, to}) == 0 && members_.count(to) != 0;
}

int Network::DeliverQueued() {
  std::deque<raftpb::Message> batch;
  batch.swap(queue_);
  int n = 0;
  for (raftpb::Message& msg : batch) {
    if (!Linked(msg.from(), msg.to()) || (drop_filter_ && drop_filter_(msg))) {
      ++dropped_;
      continue;
    }
    ++delivered_;
    ++n;
    // Errors (a proposal dropped at the leader, a response from a removed peer) are part of
    // normal operation.
    (void)member(msg.to()).node->Step(std::move(msg));
  }
  return n;
}

void Network::Stabilize() {
  for (int round = 0; round < 10000; ++round) {
    bool progress = false;
    for (auto& [id, m] : members_) {
      while (ProcessReady(id)) progress = true;
    }
    if (DeliverQueued() > 0) progress = true;
    if (!progress && queue_.empty()) return;
  }
  std::cerr << "Stabilize did not converge\n";
  std::abort();
}

void Network::TickAll() {
  for (auto& [id, m] : members_) m->node->Tick();
}

void Network::TickAndStabilize(int n) {
  for (int i = 0; i < n; ++i) {
    TickAll();
    Stabilize();
  }
}

bool Network::Elect(uint64_t id) {
  (void)node(id).Campaign();
  Stabilize();
  return node(id).Role() == StateType::kLeader;
}

uint64_t Network::Leader() const {
  uint64_t leader = kNone;
  uint64_t term = 0;
  for (const auto& [id, m] : members_) {
    if (m->node->Role() == StateType::kLeader && m->node->Term() >= term) {
      leader = id;
      term = m->node->Term();
    }
  }
  return leader;
}

std::vector<uint64_t> Network::Leaders() const {
  std::vector<uint64_t> out;
  for (const auto& [id, m] : members_) {
    if (m->node->Role() == StateType::kLeader) out.push_back(id);
  }
  return out;
}

absl::Status Network::Propose(uint64_t id, std::string data) {
  return node(id).Propose(std::move(data));
}

void Network::SnapshotAndCompact(uint64_t id) {
  Member& m = member(id);
  absl::StatusOr<raftpb::Snapshot> snap =
      m.storage->CreateSnapshot(m.applied_index, &m.conf_state, EncodeState(m.state));
  if (!snap.ok()) {
    std::cerr << "CreateSnapshot: " << snap.status() << "\n";
    std::abort();
  }
  if (absl::Status s = m.storage->Compact(m.applied_index); !s.ok()) {
    std::cerr << "Compact: " << s << "\n";
    std::abort();
  }
}

void Network::Cut(uint64_t a, uint64_t b) {
  cut_.insert({a, b});
  cut_.insert({b, a});
}

void Network::Isolate(uint64_t id) {
  for (const auto& [other, m] : members_) {
    if (other != id) Cut(id, other);
  }
}

void Network::Partition(const std::set<uint64_t>& side) {
  for (const auto& [a, ma] : members_) {
    for (const auto& [b, mb] : members_) {
      if ((side.count(a) != 0) != (side.count(b) != 0)) Cut(a, b);
    }
  }
}

void Network::Heal() { cut_.clear(); }

absl::Status Network::CheckInvariants() const {
  if (violations_.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrJoin(violations_, "; "));
}

}  // namespace etcd::raft::rafttest
