#include "testing/raft_sim/simulator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "raft/ready.h"

namespace etcd::raft_sim {

using raft::kNone;
using raft::StateType;

namespace {

const char* KindName(Event::Kind kind) {
  switch (kind) {
    case Event::kTick: return "tick";
    case Event::kTickAll: return "tick-all";
    case Event::kReady: return "ready";
    case Event::kReadyAll: return "ready-all";
    case Event::kDeliver: return "deliver";
    case Event::kDeliverAll: return "deliver-all";
    case Event::kDrop: return "drop";
    case Event::kDuplicate: return "duplicate";
    case Event::kPropose: return "propose";
    case Event::kCampaign: return "campaign";
    case Event::kTransfer: return "transfer";
    case Event::kReadIndex: return "read-index";
    case Event::kCompact: return "compact";
    case Event::kPartition: return "partition";
    case Event::kIsolate: return "isolate";
    case Event::kHeal: return "heal";
    case Event::kCrash: return "crash";
    case Event::kRestart: return "restart";
    case Event::kNumKinds: break;
  }
  return "?";
}

uint64_t Mix(uint64_t h, uint64_t v) {
  // splitmix64 step: a cheap, well-distributed hash chain.
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  return h;
}

}  // namespace

std::string Event::ToString() const {
  return absl::StrFormat("%s node=%d arg=%d", KindName(kind), node, arg);
}

void StateMachine::Apply(const std::string& data) {
  ++count;
  uint64_t h = hash;
  for (unsigned char c : data) h = Mix(h, c);
  hash = Mix(h, data.size());
}

std::string StateMachine::Encode() const { return absl::StrCat(count, ":", hash); }

StateMachine StateMachine::Decode(const std::string& data) {
  StateMachine sm;
  if (data.empty()) return sm;
  std::pair<std::string, std::string> parts = absl::StrSplit(data, ':');
  if (!absl::SimpleAtoi(parts.first, &sm.count) || !absl::SimpleAtoi(parts.second, &sm.hash)) {
    std::abort();
  }
  return sm;
}

Simulator::Simulator(SimOptions options)
    : options_(options), logger_(this, options.log_level) {
  options_.nodes = std::clamp(options_.nodes, 1, 7);
  std::vector<raft::Peer> peers;
  for (int i = 1; i <= options_.nodes; ++i) peers.push_back({static_cast<uint64_t>(i), ""});
  for (int i = 1; i <= options_.nodes; ++i) {
    auto n = std::make_unique<Node>();
    n->id = i;
    n->disk = std::make_unique<raft::MemoryStorage>(&logger_);
    Start(*n);
    if (!n->raw->Bootstrap(peers).ok()) std::abort();
    nodes_[i] = std::move(n);
  }
  // Creating a cluster persists the bootstrap entries on every member before anything else
  // happens (they are committed by construction, not by a quorum).
  for (auto& [id, n] : nodes_) HandleReady(*n);
}

Simulator::~Simulator() = default;

void Simulator::TraceLogger::Log(raft::LogLevel level, std::string_view message) {
  std::string line = absl::StrCat("raft ", std::string(raft::LogLevelName(level)), ": ", std::string(message), "\n");
  if (level == raft::LogLevel::kFatal) {
    absl::StrAppend(&line, "while simulating:\n", sim_->Trace());
  }
  fwrite(line.data(), 1, line.size(), stderr);
  fflush(stderr);
}

raft::Config Simulator::MakeConfig(Node& n, uint64_t applied) {
  raft::Config c;
  c.id = n.id;
  c.election_tick = options_.election_tick;
  c.heartbeat_tick = options_.heartbeat_tick;
  c.storage = n.disk.get();
  c.applied = applied;
  c.max_size_per_msg = options_.max_size_per_msg;
  c.max_inflight_msgs = options_.max_inflight_msgs;
  c.pre_vote = options_.pre_vote;
  c.check_quorum = options_.check_quorum;
  // Mixed with the number of crashes so that a restarted node draws new timeouts.
  c.random_seed = options_.seed + crashes_ * 7919;
  c.logger = &logger_;
  return c;
}

Simulator::Node& Simulator::NodeAt(uint8_t node) {
  return *nodes_.at(1 + node % nodes_.size());
}

void Simulator::Start(Node& n) {
  // What the application recovers from its disk: the snapshot (state machine and membership);
  // the committed entries after it are handed out again by the new RawNode.
  absl::StatusOr<raftpb::Snapshot> snap = n.disk->Snapshot();
  absl::StatusOr<raft::StoredState> st = n.disk->InitialState();
  if (!snap.ok() || !st.ok()) std::abort();
  n.sm = StateMachine::Decode(snap->data());
  n.applied = snap->metadata().index();
  n.conf_state = st->conf_state;
  absl::StatusOr<std::unique_ptr<raft::RawNode>> raw =
      raft::RawNode::Create(MakeConfig(n, n.applied));
  if (!raw.ok()) {
    Violation(absl::StrCat("node ", n.id, " cannot restart: ", raw.status().ToString()));
    return;
  }
  n.raw = *std::move(raw);
}

void Simulator::Crash(Node& n, uint32_t arg) {
  if (arg % 3 != 0 && n.raw->HasReady()) {
    // Crash after the write of one more Ready, whole or torn: nothing of it was sent, so any
    // prefix of it may be lost (a WAL that finds a torn tail drops it).
    const int torn = arg % 3 == 2 ? static_cast<int>(arg / 3 % 4) : -1;
    HandleReady(n, /*crash_after_persist=*/true, torn);
  }
  n.raw.reset();
  ++crashes_;
  if (options_.fault_lose_last_entry_on_crash) {
    // The bug this option injects: the last append was acknowledged but never reached the
    // disk (a missing fsync). Rebuild the disk without its last entry.
    absl::StatusOr<raftpb::Snapshot> snap = n.disk->Snapshot();
    absl::StatusOr<raft::StoredState> st = n.disk->InitialState();
    const uint64_t first = *n.disk->FirstIndex();
    const uint64_t last = *n.disk->LastIndex();
    if (last < first) return;
    std::vector<raftpb::Entry> ents;
    if (last > first) ents = *n.disk->Entries(first, last, raft::kNoLimit);
    auto disk = std::make_unique<raft::MemoryStorage>(&logger_);
    if (snap->metadata().index() > 0) (void)disk->ApplySnapshot(*snap);
    (void)disk->Append(ents);
    raftpb::HardState hs = st->hard_state;
    hs.set_commit(std::min<uint64_t>(hs.commit(), last - 1));
    (void)disk->SetHardState(hs);
    n.disk = std::move(disk);
  }
}

bool Simulator::Linked(uint64_t from, uint64_t to) const {
  return cut_.count({from, to}) == 0;
}

void Simulator::Violation(std::string what) {
  violations_.push_back(absl::StrCat("after event #", events_.size(), ": ", what));
}

bool Simulator::DiskHas(const Node& n, uint64_t index, uint64_t term) const {
  absl::StatusOr<uint64_t> first = n.disk->FirstIndex();
  if (first.ok() && index < *first) return true;  // covered by the snapshot
  absl::StatusOr<uint64_t> t = n.disk->Term(index);
  return t.ok() && *t == term;
}

void Simulator::Persist(Node& n, raft::Ready& rd, int torn_entries) {
  if (torn_entries >= 0) {
    // A torn write: a Ready carrying a snapshot is lost whole; otherwise the first
    // `torn_entries` entries reach the disk and the rest, and the HardState, do not.
    if (!raft::IsEmptySnap(rd.snapshot)) return;
    if (rd.entries.size() > static_cast<size_t>(torn_entries)) rd.entries.resize(torn_entries);
    rd.hard_state.Clear();
  }
  if (!raft::IsEmptySnap(rd.snapshot)) {
    if (!n.disk->ApplySnapshot(rd.snapshot).ok()) {
      Violation(absl::StrCat("node ", n.id, " got an out-of-date snapshot at index ",
                             rd.snapshot.metadata().index()));
    }
  }
  if (!rd.entries.empty()) {
    const uint64_t dummy = *n.disk->FirstIndex() - 1;
    uint64_t prev_term = 0;
    bool have_prev = false;
    for (const raftpb::Entry& e : rd.entries) {
      if (e.index() <= dummy) continue;  // MemoryStorage ignores them too
      if (!have_prev) {
        absl::StatusOr<uint64_t> t = n.disk->Term(e.index() - 1);
        if (!t.ok()) {
          Violation(absl::StrCat("node ", n.id, " persists index ", e.index(),
                                 " after a gap (last ", *n.disk->LastIndex(), ")"));
          return;
        }
        prev_term = *t;
        have_prev = true;
      }
      Entry ent{e.type(), e.term(), e.data()};
      auto [it, inserted] = persisted_.try_emplace({e.index(), e.term()}, ent, prev_term);
      if (!inserted && (it->second.first != ent || it->second.second != prev_term)) {
        Violation(absl::StrFormat(
            "Log Matching: node %d persists index %d term %d with previous term %d, another "
            "log has previous term %d%s",
            n.id, e.index(), e.term(), prev_term, it->second.second,
            it->second.first != ent ? " and a different payload" : ""));
      }
      prev_term = e.term();
    }
    (void)n.disk->Append(rd.entries);
  }
  if (!raft::IsEmptyHardState(rd.hard_state)) (void)n.disk->SetHardState(rd.hard_state);
}

void Simulator::ApplyCommitted(Node& n, const std::vector<raftpb::Entry>& entries) {
  for (const raftpb::Entry& e : entries) {
    if (e.index() != n.applied + 1) {
      Violation(absl::StrFormat("node %d applies index %d after %d", n.id, e.index(),
                                n.applied));
    }
    n.applied = e.index();
    Entry ent{e.type(), e.term(), e.data()};
    auto [it, inserted] = committed_.try_emplace(e.index(), ent);
    if (!inserted && it->second != ent) {
      Violation(absl::StrFormat(
          "State Machine Safety: node %d applies term %d at index %d, another node applied "
          "term %d%s",
          n.id, e.term(), e.index(), it->second.term,
          it->second.data != ent.data ? " with a different payload" : ""));
    }
    if (e.type() == raftpb::ENTRY_NORMAL) {
      if (!e.data().empty()) {
        n.sm.Apply(e.data());
        n.last_applied_data = e.data();
      }
    } else if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
      raftpb::ConfChange cc;
      if (!cc.ParseFromString(e.data())) std::abort();
      absl::StatusOr<raftpb::ConfState> cs = n.raw->ApplyConfChange(cc);
      if (cs.ok()) n.conf_state = *cs;
    } else {
      raftpb::ConfChangeV2 cc;
      if (!cc.ParseFromString(e.data())) std::abort();
      absl::StatusOr<raftpb::ConfState> cs = n.raw->ApplyConfChange(cc);
      if (cs.ok()) n.conf_state = *cs;
    }
  }
}

bool Simulator::HandleReady(Node& n, bool crash_after_persist, int torn_entries) {
  if (!n.raw || !n.raw->HasReady()) return false;
  raft::Ready rd = n.raw->GetReady();
  if (n.raw->Role() == StateType::kLeader) {
    // Leader Append-Only: what a leader hands out extends its log; it never rewrites it.
    if (!rd.entries.empty() && rd.entries.front().index() <= *n.disk->LastIndex()) {
      Violation(absl::StrFormat(
          "Leader Append-Only: leader %d (term %d) rewrites its log from index %d (last %d)",
          n.id, n.raw->Term(), rd.entries.front().index(), *n.disk->LastIndex()));
    }
    if (!raft::IsEmptySnap(rd.snapshot)) {
      Violation(absl::StrFormat("Leader Append-Only: leader %d installs a snapshot", n.id));
    }
  }
  // 1. Persist.
  Persist(n, rd, torn_entries);
  if (!raft::IsEmptySnap(rd.snapshot)) {
    n.sm = StateMachine::Decode(rd.snapshot.data());
    n.applied = rd.snapshot.metadata().index();
    n.conf_state = rd.snapshot.metadata().conf_state();
  }
  if (crash_after_persist) return true;
  // 2. Send.
  for (raftpb::Message& m : rd.messages) {
    if (m.type() == raftpb::MSG_SNAP) {
      n.raw->ReportSnapshot(m.to(), Linked(m.from(), m.to()) ? raft::SnapshotStatus::kFinish
                                                              : raft::SnapshotStatus::kFailure);
    }
    in_flight_.push_back(std::move(m));
  }
  if (in_flight_.size() > options_.max_in_flight) {
    const size_t excess = in_flight_.size() - options_.max_in_flight;
    in_flight_.erase(in_flight_.begin(), in_flight_.begin() + excess);
    dropped_ += excess;
  }
  // 3. Apply.
  ApplyCommitted(n, rd.committed_entries);
  // 4. Advance.
  n.raw->Advance();
  return true;
}

void Simulator::Deliver(size_t i) {
  raftpb::Message m = std::move(in_flight_[i]);
  // Swap-remove: the order of what is left is arbitrary anyway (any message may come next).
  if (i + 1 != in_flight_.size()) in_flight_[i] = std::move(in_flight_.back());
  in_flight_.pop_back();
  auto it = nodes_.find(m.to());
  if (it == nodes_.end() || !it->second->raw || !Linked(m.from(), m.to())) {
    ++dropped_;
    return;
  }
  ++delivered_;
  // Errors (a dropped proposal, a response from an unknown peer) are normal operation.
  (void)it->second->raw->Step(std::move(m));
}

void Simulator::CheckLeaderHasCommitted(Node& leader, uint64_t from_index) {
  for (auto it = committed_.lower_bound(from_index); it != committed_.end(); ++it) {
    if (!DiskHas(leader, it->first, it->second.term)) {
      Violation(absl::StrFormat(
          "Leader Completeness: leader %d of term %d lacks committed index %d (term %d)",
          leader.id, leader.raw->Term(), it->first, it->second.term));
      return;
    }
  }
}

void Simulator::CheckAfterEvent() {
  for (auto& [id, n] : nodes_) {
    if (!n->raw || n->raw->Role() != StateType::kLeader) continue;
    const uint64_t term = n->raw->Term();
    auto [it, inserted] = leaders_by_term_.try_emplace(term, id);
    if (!inserted && it->second != id) {
      Violation(absl::StrFormat("Election Safety: %d and %d both lead term %d", it->second, id,
                                term));
    }
    // A leader observed for the first time: every entry observed committed so far was
    // committed in an earlier term (an election in term T cannot succeed after a commit in a
    // term U > T: the two quorums intersect), so the new leader must hold it. Entries it has
    // compacted into a snapshot count as held.
    if (inserted) CheckLeaderHasCommitted(*n, 1);
  }
  // Durability: the highest applied index is on the disk of a quorum (then, by Log Matching,
  // so is everything before it). Crashed nodes count: their disk survives.
  if (!committed_.empty()) {
    const auto& [index, ent] = *committed_.rbegin();
    int holders = 0;
    for (auto& [id, n] : nodes_) holders += DiskHas(*n, index, ent.term) ? 1 : 0;
    if (holders <= static_cast<int>(nodes_.size()) / 2) {
      Violation(absl::StrFormat(
          "Durability: committed index %d (term %d) is on the disk of only %d of %d nodes",
          index, ent.term, holders, nodes_.size()));
    }
  }
}

bool Simulator::Apply(const Event& event) {
  events_.push_back(event);
  Node& n = NodeAt(event.node);
  switch (event.kind) {
    case Event::kTick:
      if (n.raw) n.raw->Tick();
      break;
    case Event::kTickAll:
      for (auto& [id, m] : nodes_) {
        if (m->raw) m->raw->Tick();
      }
      break;
    case Event::kReady:
      HandleReady(n);
      break;
    case Event::kReadyAll:
      for (auto& [id, m] : nodes_) {
        for (int i = 0; i < 64 && HandleReady(*m); ++i) {
        }
      }
      break;
    case Event::kDeliver:
      if (!in_flight_.empty()) Deliver(event.arg % in_flight_.size());
      break;
    case Event::kDeliverAll: {
      for (size_t count = in_flight_.size(); count > 0 && !in_flight_.empty(); --count) {
        Deliver(0);
      }
      break;
    }
    case Event::kDrop:
      if (!in_flight_.empty()) {
        const size_t i = event.arg % in_flight_.size();
        in_flight_[i] = std::move(in_flight_.back());
        in_flight_.pop_back();
        ++dropped_;
      }
      break;
    case Event::kDuplicate:
      if (!in_flight_.empty() && in_flight_.size() < options_.max_in_flight) {
        in_flight_.push_back(in_flight_[event.arg % in_flight_.size()]);
      }
      break;
    case Event::kPropose:
      if (n.raw) {
        // Unique payloads, so that State Machine Safety compares real content.
        std::string data = absl::StrCat(n.id, ".", ++proposals_, ".");
        data.append(event.arg % 200, 'x');
        (void)n.raw->Propose(std::move(data));
      }
      break;
    case Event::kCampaign:
      if (n.raw) (void)n.raw->Campaign();
      break;
    case Event::kTransfer:
      if (n.raw) n.raw->TransferLeader(1 + event.arg % nodes_.size());
      break;
    case Event::kReadIndex:
      if (n.raw) n.raw->ReadIndex(absl::StrCat("r", events_.size()));
      break;
    case Event::kCompact:
      if (n.raw && n.applied >= *n.disk->FirstIndex()) {
        // Snapshot the state machine at its applied index and keep a few entries behind it
        // (etcd keeps many), so that both catch-up paths (entries, snapshot) are exercised.
        if (n.disk->CreateSnapshot(n.applied, &n.conf_state, n.sm.Encode()).ok()) {
          const uint64_t keep = event.arg % 8;
          const uint64_t compact = n.applied > keep ? n.applied - keep : 0;
          if (compact >= *n.disk->FirstIndex()) (void)n.disk->Compact(compact);
        }
      }
      break;
    case Event::kPartition:
      cut_.clear();
      for (auto& [a, ma] : nodes_) {
        for (auto& [b, mb] : nodes_) {
          const bool side_a = (event.arg >> (a - 1)) & 1;
          const bool side_b = (event.arg >> (b - 1)) & 1;
          if (side_a != side_b) cut_.insert({a, b});
        }
      }
      break;
    case Event::kIsolate:
      for (auto& [other, m] : nodes_) {
        if (other == n.id) continue;
        cut_.insert({n.id, other});
        cut_.insert({other, n.id});
      }
      break;
    case Event::kHeal:
      cut_.clear();
      break;
    case Event::kCrash:
      if (n.raw) Crash(n, event.arg);
      break;
    case Event::kRestart:
      if (!n.raw) Start(n);
      break;
    case Event::kNumKinds:
      break;
  }
  CheckAfterEvent();
  return ok();
}

bool Simulator::Converge(int max_rounds) {
  // Converge's own events are not kept in the trace (thousands of rounds); it is deterministic
  // given the events before it, so "then Converge()" in the trace replays it.
  converged_at_ = events_.size();
  Apply({Event::kHeal, 0, 0});
  for (auto& [id, n] : nodes_) {
    if (!n->raw) Apply({Event::kRestart, static_cast<uint8_t>(id - 1), 0});
  }
  const size_t first_converge_event = events_.size();
  std::string final_data;
  int since_proposal = 0;
  for (int round = 0; round < max_rounds && ok(); ++round) {
    Apply({Event::kTickAll, 0, 0});
    for (int i = 0; i < 50; ++i) {
      Apply({Event::kReadyAll, 0, 0});
      if (in_flight_.empty()) break;
      Apply({Event::kDeliverAll, 0, 0});
    }
    // Done when every node applied the same final proposal at the same index.
    if (!final_data.empty()) {
      bool done = true;
      const Node& first = *nodes_.begin()->second;
      for (auto& [id, n] : nodes_) {
        done = done && n->applied == first.applied && n->sm == first.sm &&
               n->last_applied_data == final_data;
      }
      if (done) {
        events_.resize(first_converge_event);
        return true;
      }
    }
    ++since_proposal;
    if (final_data.empty() || since_proposal > 5 * options_.election_tick) {
      for (auto& [id, n] : nodes_) {
        if (!n->raw || n->raw->Role() != StateType::kLeader) continue;
        std::string data = absl::StrCat("final.", ++proposals_);
        if (n->raw->Propose(data).ok()) {
          final_data = data;
          since_proposal = 0;
        }
        break;
      }
    }
  }
  events_.resize(first_converge_event);
  if (ok()) {
    Violation(absl::StrFormat("Liveness: no convergence within %d rounds after healing",
                              max_rounds));
  }
  return false;
}

std::string Simulator::Trace() const {
  std::string out = absl::StrFormat(
      "options: seed=%d nodes=%d election_tick=%d pre_vote=%d check_quorum=%d "
      "max_inflight_msgs=%d max_size_per_msg=%d\nevents (%d):\n",
      options_.seed, options_.nodes, options_.election_tick, options_.pre_vote,
      options_.check_quorum, options_.max_inflight_msgs, options_.max_size_per_msg,
      events_.size());
  for (size_t i = 0; i < events_.size(); ++i) {
    absl::StrAppend(&out, "  #", i + 1, " ", events_[i].ToString(), "\n");
  }
  if (converged_at_ > 0) {
    absl::StrAppend(&out, "  then Converge() after event #", converged_at_,
                    " (violations numbered beyond it happened while converging)\n");
  }
  absl::StrAppend(&out, "violations:\n");
  for (const std::string& v : violations_) absl::StrAppend(&out, "  ", v, "\n");
  return out;
}

RandomScheduler::RandomScheduler(uint64_t seed) : rng_(seed) {
  options_.seed = seed;
  options_.nodes = (rng_() % 3 == 0) ? 5 : 3;
  options_.election_tick = 5 + rng_() % 6;
  options_.pre_vote = rng_() % 2;
  options_.check_quorum = rng_() % 2;
  options_.max_inflight_msgs = 1 + rng_() % 8;
  options_.max_size_per_msg = (rng_() % 4 == 0) ? 0 : 1024;
  // Out of 200: mostly clock, Ready handling and delivery, so that the cluster makes
  // progress between faults; a crash every ~200 events on average.
  weights_ = {
      {Event::kTick, 28},     {Event::kTickAll, 10},   {Event::kReady, 28},
      {Event::kReadyAll, 12}, {Event::kDeliver, 44},   {Event::kDeliverAll, 12},
      {Event::kDrop, 6},      {Event::kDuplicate, 4},  {Event::kPropose, 20},
      {Event::kCampaign, 2},  {Event::kTransfer, 2},   {Event::kReadIndex, 4},
      {Event::kCompact, 4},   {Event::kPartition, 2},  {Event::kIsolate, 1},
      {Event::kHeal, 4},      {Event::kCrash, 1},      {Event::kRestart, 6},
  };
  for (const auto& [kind, w] : weights_) total_weight_ += w;
}

Event RandomScheduler::Next() {
  int r = static_cast<int>(rng_() % total_weight_);
  Event e;
  for (const auto& [kind, w] : weights_) {
    if (r < w) {
      e.kind = kind;
      break;
    }
    r -= w;
  }
  e.node = static_cast<uint8_t>(rng_() % options_.nodes);
  e.arg = static_cast<uint32_t>(rng_() % 1024);
  return e;
}

std::unique_ptr<Simulator> RunRandomScenario(uint64_t seed, int steps) {
  RandomScheduler scheduler(seed);
  SimOptions options = scheduler.Options();
  // RAFT_SIM_VERBOSE=1: every node logs at debug level (for replaying one seed).
  if (std::getenv("RAFT_SIM_VERBOSE") != nullptr) options.log_level = raft::LogLevel::kDebug;
  auto sim = std::make_unique<Simulator>(options);
  for (int i = 0; i < steps && sim->ok(); ++i) sim->Apply(scheduler.Next());
  if (sim->ok()) sim->Converge();
  return sim;
}

}  // namespace etcd::raft_sim
