#include "raft/internal/progress.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace etcd::raft::internal {

void Inflights::Add(uint64_t index) {
  if (Full()) std::abort();  // REQUIRES: !Full()
  int next = start_ + count_;
  if (next >= capacity_) next -= capacity_;
  if (next >= static_cast<int>(buffer_.size())) {
    // Positions wrap at capacity_ (not at the buffer size), so growing in place keeps every
    // position in use valid. Grow by doubling, up to the capacity.
    size_t new_size = std::max<size_t>(1, buffer_.size() * 2);
    new_size = std::min<size_t>(new_size, capacity_);
    buffer_.resize(new_size);
  }
  buffer_[next] = index;
  ++count_;
}

void Inflights::FreeLE(uint64_t to) {
  if (count_ == 0 || to < buffer_[start_]) return;  // left of the window
  int idx = start_;
  int i = 0;
  for (; i < count_; ++i) {
    if (to < buffer_[idx]) break;  // the first message still in flight
    if (++idx >= capacity_) idx -= capacity_;
  }
  count_ -= i;
  start_ = idx;
  // An empty window restarts at 0 so the buffer does not grow needlessly.
  if (count_ == 0) start_ = 0;
}

void Inflights::FreeFirstOne() {
  if (count_ == 0) return;
  FreeLE(buffer_[start_]);
}

void Progress::ResetState(ProgressState new_state) {
  probe_sent = false;
  pending_snapshot = 0;
  state = new_state;
  inflights.Reset();
}

void Progress::BecomeProbe() {
  if (state == ProgressState::kSnapshot) {
    // The snapshot was delivered: probe from just after it.
    const uint64_t snapshot = pending_snapshot;
    ResetState(ProgressState::kProbe);
    next = std::max(match + 1, snapshot + 1);
  } else {
    ResetState(ProgressState::kProbe);
    next = match + 1;
  }
}

void Progress::BecomeReplicate() {
  ResetState(ProgressState::kReplicate);
  next = match + 1;
}

void Progress::BecomeSnapshot(uint64_t snapshot_index) {
  ResetState(ProgressState::kSnapshot);
  pending_snapshot = snapshot_index;
}

bool Progress::MaybeUpdate(uint64_t n) {
  bool updated = false;
  if (match < n) {
    match = n;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, n + 1);
  return updated;
}

bool Progress::MaybeDecrTo(uint64_t rejected, uint64_t last) {
  if (state == ProgressState::kReplicate) {
    // Stale if the rejected index is already known to match.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // Probing sends one MsgApp at a time, at next-1: any other rejection is stale.
  if (next - 1 != rejected) return false;
  next = std::max<uint64_t>(1, std::min(rejected, last + 1));
  probe_sent = false;
  return true;
}

bool Progress::IsPaused() const {
  switch (state) {
    case ProgressState::kProbe:
      return probe_sent;
    case ProgressState::kReplicate:
      return inflights.Full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

std::string Progress::ToString() const {
  std::string s = absl::StrFormat("%s match=%d next=%d", ProgressStateName(state), match, next);
  if (is_learner) s += " learner";
  if (IsPaused()) s += " paused";
  if (pending_snapshot > 0) absl::StrAppendFormat(&s, " pendingSnap=%d", pending_snapshot);
  if (!recent_active) s += " inactive";
  if (inflights.Count() > 0) {
    absl::StrAppendFormat(&s, " inflight=%d", inflights.Count());
    if (inflights.Full()) s += "[full]";
  }
  return s;
}

std::string TrackerConfig::ToString() const {
  std::string s = "voters=" + voters.ToString();
  if (!learners.empty()) s += " learners=(" + absl::StrJoin(learners, " ") + ")";
  if (!learners_next.empty()) s += " learners_next=(" + absl::StrJoin(learners_next, " ") + ")";
  if (auto_leave) s += " autoleave";
  return s;
}

raftpb::ConfState ProgressTracker::ConfState() const {
  raftpb::ConfState cs;
  for (uint64_t id : config.voters.incoming) cs.add_voters(id);
  for (uint64_t id : config.voters.outgoing) cs.add_voters_outgoing(id);
  for (uint64_t id : config.learners) cs.add_learners(id);
  for (uint64_t id : config.learners_next) cs.add_learners_next(id);
  cs.set_auto_leave(config.auto_leave);
  return cs;
}

bool ProgressTracker::IsSingleton() const {
  return config.voters.incoming.size() == 1 && config.voters.outgoing.empty();
}

uint64_t ProgressTracker::Committed() const {
  return config.voters.CommittedIndex([this](uint64_t id) -> std::optional<uint64_t> {
    auto it = progress.find(id);
    if (it == progress.end()) return std::nullopt;
    return it->second.match;
  });
}

bool ProgressTracker::QuorumActive() const {
  std::map<uint64_t, bool> active;
  for (const auto& [id, pr] : progress) {
    if (!pr.is_learner) active[id] = pr.recent_active;
  }
  return config.voters.VoteResultOf(active) == VoteResult::kWon;
}

std::vector<uint64_t> ProgressTracker::VoterNodes() const {
  std::set<uint64_t> ids = config.voters.Ids();
  return std::vector<uint64_t>(ids.begin(), ids.end());
}

std::vector<uint64_t> ProgressTracker::LearnerNodes() const {
  return std::vector<uint64_t>(config.learners.begin(), config.learners.end());
}

void ProgressTracker::RecordVote(uint64_t id, bool granted) { votes.emplace(id, granted); }

VoteResult ProgressTracker::TallyVotes(int* granted, int* rejected) const {
  *granted = 0;
  *rejected = 0;
  for (const auto& [id, pr] : progress) {
    if (pr.is_learner) continue;
    auto it = votes.find(id);
    if (it == votes.end()) continue;
    if (it->second) {
      ++*granted;
    } else {
      ++*rejected;
    }
  }
  return config.voters.VoteResultOf(votes);
}

}  // namespace etcd::raft::internal
