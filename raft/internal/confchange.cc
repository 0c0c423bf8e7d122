#include "raft/internal/confchange.h"

#include <utility>

#include "absl/strings/str_format.h"

namespace etcd::raft::internal {
namespace {

size_t SymDiff(const std::set<uint64_t>& l, const std::set<uint64_t>& r) {
  size_t n = 0;
  for (uint64_t id : l) n += r.count(id) == 0;
  for (uint64_t id : r) n += l.count(id) == 0;
  return n;
}

}  // namespace

Changer::Changer(const ProgressTracker& tracker, uint64_t last_index)
    : base_{tracker.config, tracker.progress},
      max_inflight_(tracker.max_inflight()),
      last_index_(last_index) {}

Changer::Changer(ConfigAndProgress base, int max_inflight, uint64_t last_index)
    : base_(std::move(base)), max_inflight_(max_inflight), last_index_(last_index) {}

absl::StatusOr<ConfigAndProgress> Changer::Simple(
    const std::vector<raftpb::ConfChangeSingle>& changes) const {
  if (absl::Status s = CheckInvariants(base_); !s.ok()) return s;
  if (base_.config.voters.IsJoint()) {
    return absl::FailedPreconditionError("can't apply simple config change in joint config");
  }
  ConfigAndProgress cp = base_;
  if (absl::Status s = Apply(cp, changes); !s.ok()) return s;
  if (SymDiff(base_.config.voters.incoming, cp.config.voters.incoming) > 1) {
    return absl::InvalidArgumentError(
        "more than one voter changed without entering joint config");
  }
  if (absl::Status s = CheckInvariants(cp); !s.ok()) return s;
  return cp;
}

absl::StatusOr<ConfigAndProgress> Changer::EnterJoint(
    bool auto_leave, const std::vector<raftpb::ConfChangeSingle>& changes) const {
  if (absl::Status s = CheckInvariants(base_); !s.ok()) return s;
  if (base_.config.voters.IsJoint()) {
    return absl::FailedPreconditionError("config is already joint");
  }
  if (base_.config.voters.incoming.empty()) {
    // Adding to an empty config is allowed (bootstrap), entering a joint state is not.
    return absl::FailedPreconditionError("can't make a zero-voter config joint");
  }
  ConfigAndProgress cp = base_;
  cp.config.voters.outgoing = cp.config.voters.incoming;
  if (absl::Status s = Apply(cp, changes); !s.ok()) return s;
  cp.config.auto_leave = auto_leave;
  if (absl::Status s = CheckInvariants(cp); !s.ok()) return s;
  return cp;
}

absl::StatusOr<ConfigAndProgress> Changer::LeaveJoint() const {
  if (absl::Status s = CheckInvariants(base_); !s.ok()) return s;
  if (!base_.config.voters.IsJoint()) {
    return absl::FailedPreconditionError("can't leave a non-joint config");
  }
  ConfigAndProgress cp = base_;
  for (uint64_t id : cp.config.learners_next) {
    cp.config.learners.insert(id);
    cp.progress.at(id).is_learner = true;
  }
  cp.config.learners_next.clear();
  for (uint64_t id : cp.config.voters.outgoing) {
    if (cp.config.voters.incoming.count(id) == 0 && cp.config.learners.count(id) == 0) {
      cp.progress.erase(id);
    }
  }
  cp.config.voters.outgoing.clear();
  cp.config.auto_leave = false;
  if (absl::Status s = CheckInvariants(cp); !s.ok()) return s;
  return cp;
}

absl::Status Changer::Apply(ConfigAndProgress& cp,
                            const std::vector<raftpb::ConfChangeSingle>& changes) const {
  for (const raftpb::ConfChangeSingle& cc : changes) {
    // etcd zeroes the node id of a change it decided not to apply.
    if (cc.node_id() == 0) continue;
    switch (cc.type()) {
      case raftpb::CONF_CHANGE_ADD_NODE:
        MakeVoter(cp, cc.node_id());
        break;
      case raftpb::CONF_CHANGE_ADD_LEARNER_NODE:
        MakeLearner(cp, cc.node_id());
        break;
      case raftpb::CONF_CHANGE_REMOVE_NODE:
        Remove(cp, cc.node_id());
        break;
      case raftpb::CONF_CHANGE_UPDATE_NODE:
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrFormat("unexpected conf type %d", static_cast<int>(cc.type())));
    }
  }
  if (cp.config.voters.incoming.empty()) {
    return absl::InvalidArgumentError("removed all voters");
  }
  return absl::OkStatus();
}

void Changer::MakeVoter(ConfigAndProgress& cp, uint64_t id) const {
  auto it = cp.progress.find(id);
  if (it == cp.progress.end()) {
    InitProgress(cp, id, /*is_learner=*/false);
    return;
  }
  it->second.is_learner = false;
  cp.config.learners.erase(id);
  cp.config.learners_next.erase(id);
  cp.config.voters.incoming.insert(id);
}

void Changer::MakeLearner(ConfigAndProgress& cp, uint64_t id) const {
  auto it = cp.progress.find(id);
  if (it == cp.progress.end()) {
    InitProgress(cp, id, /*is_learner=*/true);
    return;
  }
  if (it->second.is_learner) return;
  Progress saved = it->second;
  Remove(cp, id);
  cp.progress.insert_or_assign(id, saved);
  // A voter of the outgoing config cannot be a learner at the same time: stage it until the
  // joint config is left.
  if (cp.config.voters.outgoing.count(id) != 0) {
    cp.config.learners_next.insert(id);
  } else {
    cp.progress.at(id).is_learner = true;
    cp.config.learners.insert(id);
  }
}

void Changer::Remove(ConfigAndProgress& cp, uint64_t id) const {
  if (cp.progress.count(id) == 0) return;
  cp.config.voters.incoming.erase(id);
  cp.config.learners.erase(id);
  cp.config.learners_next.erase(id);
  // Still a voter in the outgoing config: keep its Progress.
  if (cp.config.voters.outgoing.count(id) == 0) cp.progress.erase(id);
}

void Changer::InitProgress(ConfigAndProgress& cp, uint64_t id, bool is_learner) const {
  if (is_learner) {
    cp.config.learners.insert(id);
  } else {
    cp.config.voters.incoming.insert(id);
  }
  Progress pr(max_inflight_);
  // Probe from the last index: the new member most likely needs a snapshot, which the
  // probe's rejection will reveal.
  pr.next = last_index_;
  pr.match = 0;
  pr.is_learner = is_learner;
  // Counts as active so that check-quorum does not fire before it has had a chance to answer.
  pr.recent_active = true;
  cp.progress.insert_or_assign(id, std::move(pr));
}

absl::Status CheckInvariants(const ConfigAndProgress& cp) {
  const TrackerConfig& cfg = cp.config;
  for (const std::set<uint64_t>* ids :
       {&cfg.voters.incoming, &cfg.voters.outgoing, &cfg.learners, &cfg.learners_next}) {
    for (uint64_t id : *ids) {
      if (cp.progress.count(id) == 0) {
        return absl::InternalError(absl::StrFormat("no progress for %d", id));
      }
    }
  }
  for (uint64_t id : cfg.learners_next) {
    if (cfg.voters.outgoing.count(id) == 0) {
      return absl::InternalError(absl::StrFormat("%d is in LearnersNext, but not Voters[1]", id));
    }
    if (cp.progress.at(id).is_learner) {
      return absl::InternalError(
          absl::StrFormat("%d is in LearnersNext, but is already marked as learner", id));
    }
  }
  for (uint64_t id : cfg.learners) {
    if (cfg.voters.outgoing.count(id) != 0) {
      return absl::InternalError(absl::StrFormat("%d is in Learners and Voters[1]", id));
    }
    if (cfg.voters.incoming.count(id) != 0) {
      return absl::InternalError(absl::StrFormat("%d is in Learners and Voters[0]", id));
    }
    if (!cp.progress.at(id).is_learner) {
      return absl::InternalError(
          absl::StrFormat("%d is in Learners, but is not marked as learner", id));
    }
  }
  if (!cfg.voters.IsJoint()) {
    if (!cfg.learners_next.empty()) {
      return absl::InternalError("LearnersNext must be empty when not joint");
    }
    if (cfg.auto_leave) return absl::InternalError("AutoLeave must be false when not joint");
  }
  return absl::OkStatus();
}

absl::StatusOr<ConfigAndProgress> Restore(const raftpb::ConfState& cs, int max_inflight,
                                          uint64_t last_index) {
  // Example: voters=(1 2 3) learners=(5) outgoing=(1 2 4 6) learners_next=(4).
  // First build the outgoing config (1 2 4 6) one voter at a time, then enter the joint
  // config with: remove 1 2 4 6; add 1 2 3; add-learner 5; add-learner 4.
  std::vector<raftpb::ConfChangeSingle> outgoing, incoming;
  auto add = [](std::vector<raftpb::ConfChangeSingle>& v, raftpb::ConfChangeType type,
                uint64_t id) {
    raftpb::ConfChangeSingle& cc = v.emplace_back();
    cc.set_type(type);
    cc.set_node_id(id);
  };
  for (uint64_t id : cs.voters_outgoing()) add(outgoing, raftpb::CONF_CHANGE_ADD_NODE, id);
  for (uint64_t id : cs.voters_outgoing()) add(incoming, raftpb::CONF_CHANGE_REMOVE_NODE, id);
  for (uint64_t id : cs.voters()) add(incoming, raftpb::CONF_CHANGE_ADD_NODE, id);
  for (uint64_t id : cs.learners()) add(incoming, raftpb::CONF_CHANGE_ADD_LEARNER_NODE, id);
  for (uint64_t id : cs.learners_next()) {
    add(incoming, raftpb::CONF_CHANGE_ADD_LEARNER_NODE, id);
  }

  ConfigAndProgress cp;
  auto step = [&](auto op) -> absl::Status {
    Changer changer(cp, max_inflight, last_index);
    absl::StatusOr<ConfigAndProgress> next = op(changer);
    if (!next.ok()) return next.status();
    cp = *std::move(next);
    return absl::OkStatus();
  };
  if (outgoing.empty()) {
    for (const raftpb::ConfChangeSingle& cc : incoming) {
      absl::Status s = step([&](const Changer& c) { return c.Simple({cc}); });
      if (!s.ok()) return s;
    }
  } else {
    for (const raftpb::ConfChangeSingle& cc : outgoing) {
      absl::Status s = step([&](const Changer& c) { return c.Simple({cc}); });
      if (!s.ok()) return s;
    }
    absl::Status s =
        step([&](const Changer& c) { return c.EnterJoint(cs.auto_leave(), incoming); });
    if (!s.ok()) return s;
  }
  return cp;
}

raftpb::ConfChangeV2 AsV2(const raftpb::ConfChange& cc) {
  raftpb::ConfChangeV2 v2;
  raftpb::ConfChangeSingle* single = v2.add_changes();
  single->set_type(cc.type());
  single->set_node_id(cc.node_id());
  v2.set_context(cc.context());
  return v2;
}

bool IsLeaveJoint(const raftpb::ConfChangeV2& cc) {
  return cc.transition() == raftpb::CONF_CHANGE_TRANSITION_AUTO && cc.changes_size() == 0;
}

bool IsEnterJoint(const raftpb::ConfChangeV2& cc, bool* auto_leave) {
  if (cc.transition() != raftpb::CONF_CHANGE_TRANSITION_AUTO || cc.changes_size() > 1) {
    *auto_leave = cc.transition() != raftpb::CONF_CHANGE_TRANSITION_JOINT_EXPLICIT;
    return true;
  }
  return false;
}

}  // namespace etcd::raft::internal
