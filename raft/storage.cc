#include "raft/storage.h"

#include <utility>

#include "raft/errors.h"
#include "raft/internal/util.h"

namespace etcd::raft {

MemoryStorage::MemoryStorage(Logger* logger)
    : logger_(logger != nullptr ? logger : DefaultLogger()) {
  // Starting from scratch: the dummy entry has index 0 and term 0.
  ents_.emplace_back();
}

absl::StatusOr<StoredState> MemoryStorage::InitialState() const {
  absl::MutexLock lock(&mu_);
  return StoredState{hard_state_, snapshot_.metadata().conf_state()};
}

absl::Status MemoryStorage::SetHardState(const raftpb::HardState& hard_state) {
  absl::MutexLock lock(&mu_);
  hard_state_ = hard_state;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<raftpb::Entry>> MemoryStorage::Entries(uint64_t lo, uint64_t hi,
                                                                  uint64_t max_size) const {
  absl::MutexLock lock(&mu_);
  const uint64_t offset = ents_[0].index();
  if (lo <= offset) return ErrCompacted();
  if (hi > LastIndexLocked() + 1) {
    logger_->Fatalf("entries' hi(%d) is out of bound lastindex(%d)", hi, LastIndexLocked());
  }
  if (ents_.size() == 1) return ErrUnavailable();  // only the dummy entry
  if (lo >= hi) return std::vector<raftpb::Entry>{};
  // Copy only what the size limit lets through.
  std::vector<raftpb::Entry> out;
  uint64_t size = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const raftpb::Entry& e = ents_[i - offset];
    size += e.ByteSizeLong();
    if (!out.empty() && size > max_size) break;
    out.push_back(e);
  }
  return out;
}

absl::StatusOr<uint64_t> MemoryStorage::Term(uint64_t i) const {
  absl::MutexLock lock(&mu_);
  const uint64_t offset = ents_[0].index();
  if (i < offset) return ErrCompacted();
  if (i - offset >= ents_.size()) return ErrUnavailable();
  return ents_[i - offset].term();
}

absl::StatusOr<uint64_t> MemoryStorage::LastIndex() const {
  absl::MutexLock lock(&mu_);
  return LastIndexLocked();
}

absl::StatusOr<uint64_t> MemoryStorage::FirstIndex() const {
  absl::MutexLock lock(&mu_);
  return FirstIndexLocked();
}

uint64_t MemoryStorage::FirstIndexLocked() const { return ents_[0].index() + 1; }

uint64_t MemoryStorage::LastIndexLocked() const { return ents_[0].index() + ents_.size() - 1; }

absl::StatusOr<raftpb::Snapshot> MemoryStorage::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

absl::Status MemoryStorage::ApplySnapshot(const raftpb::Snapshot& snapshot) {
  absl::MutexLock lock(&mu_);
  if (snapshot_.metadata().index() >= snapshot.metadata().index()) return ErrSnapOutOfDate();
  snapshot_ = snapshot;
  ents_.clear();
  raftpb::Entry& dummy = ents_.emplace_back();
  dummy.set_index(snapshot.metadata().index());
  dummy.set_term(snapshot.metadata().term());
  return absl::OkStatus();
}

absl::StatusOr<raftpb::Snapshot> MemoryStorage::CreateSnapshot(
    uint64_t i, const raftpb::ConfState* conf_state, std::string data) {
  absl::MutexLock lock(&mu_);
  if (i <= snapshot_.metadata().index()) return ErrSnapOutOfDate();
  if (i > LastIndexLocked()) {
    logger_->Fatalf("snapshot %d is out of bound lastindex(%d)", i, LastIndexLocked());
  }
  const uint64_t offset = ents_[0].index();
  raftpb::SnapshotMetadata* md = snapshot_.mutable_metadata();
  md->set_index(i);
  md->set_term(ents_[i - offset].term());
  if (conf_state != nullptr) *md->mutable_conf_state() = *conf_state;
  snapshot_.set_data(std::move(data));
  return snapshot_;
}

absl::Status MemoryStorage::Compact(uint64_t compact_index) {
  absl::MutexLock lock(&mu_);
  const uint64_t offset = ents_[0].index();
  if (compact_index <= offset) return ErrCompacted();
  if (compact_index > LastIndexLocked()) {
    logger_->Fatalf("compact %d is out of bound lastindex(%d)", compact_index,
                    LastIndexLocked());
  }
  const uint64_t i = compact_index - offset;
  std::vector<raftpb::Entry> ents;
  ents.reserve(ents_.size() - i);
  raftpb::Entry& dummy = ents.emplace_back();
  dummy.set_index(ents_[i].index());
  dummy.set_term(ents_[i].term());
  for (uint64_t j = i + 1; j < ents_.size(); ++j) ents.push_back(std::move(ents_[j]));
  ents_ = std::move(ents);
  return absl::OkStatus();
}

absl::Status MemoryStorage::Append(const std::vector<raftpb::Entry>& entries) {
  if (entries.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  const uint64_t first = FirstIndexLocked();
  const uint64_t last = entries[0].index() + entries.size() - 1;
  if (last < first) return absl::OkStatus();  // everything is already compacted
  // Skip the entries that the snapshot already covers.
  size_t skip = first > entries[0].index() ? first - entries[0].index() : 0;
  const uint64_t start = entries[skip].index();
  const uint64_t offset = start - ents_[0].index();
  if (offset > ents_.size()) {
    logger_->Fatalf("missing log entry [last: %d, append at: %d]", LastIndexLocked(), start);
  }
  ents_.resize(offset);  // drops a conflicting tail, if any
  ents_.insert(ents_.end(), entries.begin() + skip, entries.end());
  return absl::OkStatus();
}

}  // namespace etcd::raft
