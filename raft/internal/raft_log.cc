#include "raft/internal/raft_log.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "raft/config.h"
#include "raft/errors.h"
#include "raft/internal/util.h"

namespace etcd::raft::internal {

// ---------------------------------------------------------------------------------------
// Unstable

std::optional<uint64_t> Unstable::MaybeFirstIndex() const {
  if (snapshot_) return snapshot_->metadata().index() + 1;
  return std::nullopt;
}

std::optional<uint64_t> Unstable::MaybeLastIndex() const {
  if (!entries_.empty()) return offset_ + entries_.size() - 1;
  if (snapshot_) return snapshot_->metadata().index();
  return std::nullopt;
}

std::optional<uint64_t> Unstable::MaybeTerm(uint64_t i) const {
  if (i < offset_) {
    if (snapshot_ && snapshot_->metadata().index() == i) return snapshot_->metadata().term();
    return std::nullopt;
  }
  std::optional<uint64_t> last = MaybeLastIndex();
  if (!last || i > *last) return std::nullopt;
  return entries_[i - offset_].term();
}

void Unstable::StableTo(uint64_t i, uint64_t t) {
  std::optional<uint64_t> term = MaybeTerm(i);
  if (!term) return;
  // Below offset_ the term came from the snapshot: nothing to drop. A different term means
  // the entry was replaced after the Ready that carried it.
  if (*term == t && i >= offset_) {
    entries_.erase(entries_.begin(), entries_.begin() + (i + 1 - offset_));
    offset_ = i + 1;
  }
}

void Unstable::StableSnapTo(uint64_t i) {
  if (snapshot_ && snapshot_->metadata().index() == i) snapshot_.reset();
}

void Unstable::Restore(const raftpb::Snapshot& snapshot) {
  offset_ = snapshot.metadata().index() + 1;
  entries_.clear();
  snapshot_ = snapshot;
}

void Unstable::TruncateAndAppend(const std::vector<raftpb::Entry>& ents) {
  const uint64_t after = ents.front().index();
  if (after == offset_ + entries_.size()) {
    // Directly after the unstable entries.
  } else if (after <= offset_) {
    // Replaces all unstable entries; storage will be truncated when these are persisted.
    logger_->Infof("replace the unstable entries from index %d", after);
    offset_ = after;
    entries_.clear();
  } else {
    logger_->Infof("truncate the unstable entries before index %d", after);
    entries_.resize(after - offset_);
  }
  entries_.insert(entries_.end(), ents.begin(), ents.end());
}

std::vector<raftpb::Entry> Unstable::Slice(uint64_t lo, uint64_t hi) const {
  MustCheckOutOfBounds(lo, hi);
  return std::vector<raftpb::Entry>(entries_.begin() + (lo - offset_),
                                    entries_.begin() + (hi - offset_));
}

void Unstable::MustCheckOutOfBounds(uint64_t lo, uint64_t hi) const {
  if (lo > hi) logger_->Fatalf("invalid unstable.slice %d > %d", lo, hi);
  const uint64_t upper = offset_ + entries_.size();
  if (lo < offset_ || hi > upper) {
    logger_->Fatalf("unstable.slice[%d,%d) out of bound [%d,%d]", lo, hi, offset_, upper);
  }
}

// ---------------------------------------------------------------------------------------
// RaftLog

RaftLog::RaftLog(Storage* storage, Logger* logger, uint64_t max_next_ents_size)
    : storage_(storage),
      logger_(logger),
      unstable_(logger),
      max_next_ents_size_(max_next_ents_size) {
  absl::StatusOr<uint64_t> first = storage_->FirstIndex();
  if (!first.ok()) logger_->Fatalf("storage FirstIndex: %s", first.status().ToString());
  absl::StatusOr<uint64_t> last = storage_->LastIndex();
  if (!last.ok()) logger_->Fatalf("storage LastIndex: %s", last.status().ToString());
  unstable_.set_offset(*last + 1);
  // Everything up to the last compaction was committed and applied.
  committed_ = *first - 1;
  applied_ = *first - 1;
}

std::string RaftLog::ToString() const {
  return absl::StrFormat("committed=%d, applied=%d, unstable.offset=%d, len(unstable.Entries)=%d",
                         committed_, applied_, unstable_.offset(), unstable_.entries().size());
}

std::optional<uint64_t> RaftLog::MaybeAppend(uint64_t index, uint64_t log_term,
                                             uint64_t committed,
                                             const std::vector<raftpb::Entry>& ents) {
  if (!MatchTerm(index, log_term)) return std::nullopt;
  const uint64_t last_new = index + ents.size();
  const uint64_t conflict = FindConflict(ents);
  if (conflict != 0) {
    if (conflict <= committed_) {
      logger_->Fatalf("entry %d conflict with committed entry [committed(%d)]", conflict,
                      committed_);
    }
    const uint64_t offset = index + 1;
    Append(std::vector<raftpb::Entry>(ents.begin() + (conflict - offset), ents.end()));
  }
  CommitTo(std::min(committed, last_new));
  return last_new;
}

uint64_t RaftLog::Append(const std::vector<raftpb::Entry>& ents) {
  if (ents.empty()) return LastIndex();
  const uint64_t after = ents.front().index() - 1;
  if (after < committed_) {
    logger_->Fatalf("after(%d) is out of range [committed(%d)]", after, committed_);
  }
  unstable_.TruncateAndAppend(ents);
  return LastIndex();
}

uint64_t RaftLog::FindConflict(const std::vector<raftpb::Entry>& ents) const {
  for (const raftpb::Entry& e : ents) {
    if (!MatchTerm(e.index(), e.term())) {
      if (e.index() <= LastIndex()) {
        logger_->Infof("found conflict at index %d [existing term: %d, conflicting term: %d]",
                       e.index(), TermOrZero(e.index()), e.term());
      }
      return e.index();
    }
  }
  return 0;
}

std::vector<raftpb::Entry> RaftLog::NextEntries() const {
  const uint64_t off = std::max(applied_ + 1, FirstIndex());
  if (committed_ + 1 <= off) return {};
  absl::StatusOr<std::vector<raftpb::Entry>> ents =
      Slice(off, committed_ + 1, max_next_ents_size_);
  if (!ents.ok()) {
    logger_->Fatalf("unexpected error when getting unapplied entries (%s)",
                    ents.status().ToString());
  }
  return *std::move(ents);
}

bool RaftLog::HasNextEntries() const {
  return committed_ + 1 > std::max(applied_ + 1, FirstIndex());
}

absl::StatusOr<raftpb::Snapshot> RaftLog::Snapshot() const {
  if (unstable_.snapshot()) return *unstable_.snapshot();
  return storage_->Snapshot();
}

uint64_t RaftLog::FirstIndex() const {
  if (std::optional<uint64_t> i = unstable_.MaybeFirstIndex()) return *i;
  absl::StatusOr<uint64_t> i = storage_->FirstIndex();
  if (!i.ok()) logger_->Fatalf("storage FirstIndex: %s", i.status().ToString());
  return *i;
}

uint64_t RaftLog::LastIndex() const {
  if (std::optional<uint64_t> i = unstable_.MaybeLastIndex()) return *i;
  absl::StatusOr<uint64_t> i = storage_->LastIndex();
  if (!i.ok()) logger_->Fatalf("storage LastIndex: %s", i.status().ToString());
  return *i;
}

uint64_t RaftLog::LastTerm() const {
  absl::StatusOr<uint64_t> t = Term(LastIndex());
  if (!t.ok()) {
    logger_->Fatalf("unexpected error when getting the last term (%s)", t.status().ToString());
  }
  return *t;
}

absl::StatusOr<uint64_t> RaftLog::Term(uint64_t i) const {
  // The valid range is [index of the dummy entry, last index].
  const uint64_t dummy = FirstIndex() - 1;
  if (i < dummy || i > LastIndex()) return 0;
  if (std::optional<uint64_t> t = unstable_.MaybeTerm(i)) return *t;
  absl::StatusOr<uint64_t> t = storage_->Term(i);
  if (t.ok() || IsErrCompacted(t.status()) || IsErrUnavailable(t.status())) return t;
  logger_->Fatalf("storage Term(%d): %s", i, t.status().ToString());
}

uint64_t RaftLog::TermOrZero(uint64_t i) const {
  absl::StatusOr<uint64_t> t = Term(i);
  if (t.ok()) return *t;
  if (IsErrCompacted(t.status())) return 0;
  logger_->Fatalf("unexpected error (%s)", t.status().ToString());
}

bool RaftLog::MatchTerm(uint64_t i, uint64_t term) const {
  absl::StatusOr<uint64_t> t = Term(i);
  return t.ok() && *t == term;
}

void RaftLog::CommitTo(uint64_t to) {
  if (committed_ >= to) return;  // never decrease commit
  if (LastIndex() < to) {
    logger_->Fatalf(
        "tocommit(%d) is out of range [lastIndex(%d)]. Was the raft log corrupted, truncated, "
        "or lost?",
        to, LastIndex());
  }
  committed_ = to;
}

bool RaftLog::MaybeCommit(uint64_t max_index, uint64_t term) {
  if (max_index > committed_ && TermOrZero(max_index) == term) {
    CommitTo(max_index);
    return true;
  }
  return false;
}

void RaftLog::AppliedTo(uint64_t i) {
  if (i == 0) return;
  if (committed_ < i || i < applied_) {
    logger_->Fatalf("applied(%d) is out of range [prevApplied(%d), committed(%d)]", i, applied_,
                    committed_);
  }
  applied_ = i;
}

bool RaftLog::IsUpToDate(uint64_t last_index, uint64_t term) const {
  const uint64_t last_term = LastTerm();
  return term > last_term || (term == last_term && last_index >= LastIndex());
}

void RaftLog::Restore(const raftpb::Snapshot& snapshot) {
  logger_->Infof("log [%s] starts to restore snapshot [index: %d, term: %d]", ToString(),
                 snapshot.metadata().index(), snapshot.metadata().term());
  committed_ = snapshot.metadata().index();
  unstable_.Restore(snapshot);
}

absl::StatusOr<std::vector<raftpb::Entry>> RaftLog::Entries(uint64_t i,
                                                            uint64_t max_size) const {
  if (i > LastIndex()) return std::vector<raftpb::Entry>{};
  return Slice(i, LastIndex() + 1, max_size);
}

std::vector<raftpb::Entry> RaftLog::AllEntries() const {
  while (true) {
    absl::StatusOr<std::vector<raftpb::Entry>> ents = Entries(FirstIndex(), kNoLimit);
    if (ents.ok()) return *std::move(ents);
    // A compaction raced with us (storage written from another thread): try again.
    if (!IsErrCompacted(ents.status())) {
      logger_->Fatalf("unexpected error (%s)", ents.status().ToString());
    }
  }
}

absl::StatusOr<std::vector<raftpb::Entry>> RaftLog::Slice(uint64_t lo, uint64_t hi,
                                                          uint64_t max_size) const {
  if (absl::Status s = MustCheckOutOfBounds(lo, hi); !s.ok()) return s;
  std::vector<raftpb::Entry> ents;
  if (lo == hi) return ents;
  const uint64_t offset = unstable_.offset();
  if (lo < offset) {
    const uint64_t stable_hi = std::min(hi, offset);
    absl::StatusOr<std::vector<raftpb::Entry>> stored =
        storage_->Entries(lo, stable_hi, max_size);
    if (!stored.ok()) {
      if (IsErrCompacted(stored.status())) return stored.status();
      if (IsErrUnavailable(stored.status())) {
        logger_->Fatalf("entries[%d:%d) is unavailable from storage", lo, stable_hi);
      }
      logger_->Fatalf("storage Entries: %s", stored.status().ToString());
    }
    // The size limit cut the stable part short: stop there.
    if (stored->size() < stable_hi - lo) return stored;
    ents = *std::move(stored);
  }
  if (hi > offset) {
    std::vector<raftpb::Entry> unstable = unstable_.Slice(std::max(lo, offset), hi);
    ents.insert(ents.end(), std::make_move_iterator(unstable.begin()),
                std::make_move_iterator(unstable.end()));
  }
  LimitSize(ents, max_size);
  return ents;
}

absl::Status RaftLog::MustCheckOutOfBounds(uint64_t lo, uint64_t hi) const {
  if (lo > hi) logger_->Fatalf("invalid slice %d > %d", lo, hi);
  const uint64_t first = FirstIndex();
  if (lo < first) return ErrCompacted();
  const uint64_t last = LastIndex();
  if (hi > last + 1) logger_->Fatalf("slice[%d,%d) out of bound [%d,%d]", lo, hi, first, last);
  return absl::OkStatus();
}

}  // namespace etcd::raft::internal
