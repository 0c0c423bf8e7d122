#include "wal/wal.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "wal/internal/record.h"

namespace etcd::wal {

using internal::DecodedRecord;
using internal::RecordEncoder;
using internal::RecordType;
using internal::SegmentDecoder;

namespace {

bool IsEmptyHardState(const raftpb::HardState& s) {
  return s.term() == 0 && s.vote() == 0 && s.commit() == 0;
}

std::string StripTrailingSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// Removes a directory that holds only files (a leftover `<dir>.tmp`).
absl::Status RemoveFlatDir(Env* env, const std::string& dir) {
  std::vector<std::string> names;
  if (absl::Status s = env->GetChildren(dir, &names); !s.ok()) return s;
  for (const std::string& name : names) {
    if (absl::Status s = env->RemoveFile(JoinPath(dir, name)); !s.ok()) return s;
  }
  return env->RemoveDir(dir);
}

struct NamedSegment {
  uint64_t seq;
  uint64_t first_index;
  std::string name;
};

// The segment files of `dir`, in sequence order. Leftover `.tmp` files are ignored silently,
// other strangers with a warning (as etcd's checkWalNames).
absl::StatusOr<std::vector<NamedSegment>> ListSegments(Env* env, const std::string& dir) {
  std::vector<std::string> names;
  if (absl::Status s = env->GetChildren(dir, &names); !s.ok()) return s;
  std::vector<NamedSegment> segments;
  for (std::string& name : names) {
    NamedSegment seg;
    if (ParseSegmentName(name, &seg.seq, &seg.first_index)) {
      seg.name = std::move(name);
      segments.push_back(std::move(seg));
    } else if (!name.ends_with(".tmp")) {
      LOG(WARNING) << "wal: ignored file " << name << " in " << dir;
    }
  }
  std::sort(segments.begin(), segments.end(),
            [](const NamedSegment& a, const NamedSegment& b) { return a.seq < b.seq; });
  return segments;
}

}  // namespace

std::string SegmentName(uint64_t seq, uint64_t first_index) {
  return absl::StrFormat("%016x-%016x.wal", seq, first_index);
}

bool ParseSegmentName(const std::string& name, uint64_t* seq, uint64_t* first_index) {
  // Exactly 16 hex digits, '-', 16 hex digits, ".wal".
  if (name.size() != 16 + 1 + 16 + 4 || name[16] != '-' || !name.ends_with(".wal")) return false;
  auto parse = [](std::string_view hex, uint64_t* out) {
    uint64_t v = 0;
    for (char c : hex) {
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else {
        return false;
      }
      v = v << 4 | static_cast<uint64_t>(d);
    }
    *out = v;
    return true;
  };
  std::string_view v = name;
  return parse(v.substr(0, 16), seq) && parse(v.substr(17, 16), first_index);
}

bool MustSync(const raftpb::HardState& state, const raftpb::HardState& prev,
              size_t entry_count) {
  return entry_count != 0 || state.vote() != prev.vote() || state.term() != prev.term();
}

Wal::Wal(Env* env, std::string dir, const WalOptions& options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

Wal::~Wal() {
  if (mode_ != Mode::kClosed) {
    if (absl::Status s = Close(); !s.ok()) LOG(ERROR) << "wal: close " << dir_ << ": " << s;
  }
}

std::string Wal::SegmentPath(const Segment& s) const { return JoinPath(dir_, s.name); }

absl::Status Wal::Poison(absl::Status s) {
  if (error_.ok()) error_ = s;
  return s;
}

absl::Status Wal::CheckAppend() const {
  if (!error_.ok()) return error_;
  if (mode_ == Mode::kRead) return absl::FailedPreconditionError("wal: ReadAll not called");
  if (mode_ == Mode::kClosed) return absl::FailedPreconditionError("wal: closed");
  return absl::OkStatus();
}

absl::Status Wal::WriteBuffer() {
  absl::Status s = tail_->Append(buf_);
  buf_.clear();
  if (!s.ok()) return Poison(s);
  return absl::OkStatus();
}

absl::Status Wal::SyncTail() {
  if (absl::Status s = tail_->Sync(); !s.ok()) return Poison(s);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Wal>> Wal::Create(Env* env, std::string dir, std::string metadata,
                                                 const WalOptions& options) {
  dir = StripTrailingSlashes(std::move(dir));
  const bool exists = env->FileExists(dir);
  if (exists) {
    std::vector<std::string> names;
    if (absl::Status s = env->GetChildren(dir, &names); !s.ok()) return s;
    if (!names.empty()) {
      return absl::AlreadyExistsError(absl::StrCat("wal: ", dir, " exists and is not empty"));
    }
  }
  // Build the WAL in `dir`.tmp and rename it into place so its creation appears atomic.
  const std::string tmp_dir = dir + ".tmp";
  if (env->FileExists(tmp_dir)) {
    if (absl::Status s = RemoveFlatDir(env, tmp_dir); !s.ok()) return s;
  }
  if (absl::Status s = CreateDirAll(env, tmp_dir); !s.ok()) return s;

  std::unique_ptr<Wal> wal(new Wal(env, dir, options));
  wal->metadata_ = std::move(metadata);
  wal->mode_ = Mode::kAppend;
  Segment first{0, 0, SegmentName(0, 0), nullptr};
  const std::string tmp_path = JoinPath(tmp_dir, first.name);
  absl::StatusOr<std::unique_ptr<WritableFile>> file = env->NewWritableFile(tmp_path);
  if (!file.ok()) return file.status();
  wal->tail_ = std::move(*file);
  if (options.preallocate) {
    if (absl::Status s = wal->tail_->Preallocate(options.segment_bytes); !s.ok()) return s;
  }
  RecordEncoder enc(0);
  enc.AddCrc(&wal->buf_);
  enc.Add(RecordType::kMetadata, wal->metadata_, &wal->buf_);
  raftpb::SnapshotMetadata zero_snapshot;
  enc.AddMessage(RecordType::kSnapshot, zero_snapshot, &wal->buf_);
  wal->crc_ = enc.crc();
  if (absl::Status s = wal->WriteBuffer(); !s.ok()) return s;
  if (absl::Status s = wal->SyncTail(); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<FileLock>> lock = env->LockFile(tmp_path);
  if (!lock.ok()) return lock.status();
  first.lock = std::move(*lock);
  wal->segments_.push_back(std::move(first));

  if (absl::Status s = env->SyncDir(tmp_dir); !s.ok()) return s;
  if (exists) {
    if (absl::Status s = env->RemoveDir(dir); !s.ok()) return s;
  }
  if (absl::Status s = env->RenameFile(tmp_dir, dir); !s.ok()) return s;
  if (absl::Status s = env->SyncDir(DirName(dir)); !s.ok()) return s;
  LOG(INFO) << "wal: created " << dir << " (segment size " << options.segment_bytes
            << " bytes)";
  return wal;
}

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(Env* env, std::string dir, WalSnapshot start,
                                               const WalOptions& options) {
  dir = StripTrailingSlashes(std::move(dir));
  absl::StatusOr<std::vector<NamedSegment>> names = ListSegments(env, dir);
  if (!names.ok()) {
    if (absl::IsNotFound(names.status())) {
      return absl::NotFoundError(absl::StrCat("wal: file not found: ", names.status().message()));
    }
    return names.status();
  }
  // The last segment that may hold the snapshot record: its first index is <= start.index.
  auto it = std::find_if(names->rbegin(), names->rend(), [&](const NamedSegment& s) {
    return s.first_index <= start.index;
  });
  if (it == names->rend()) {
    return absl::NotFoundError(
        absl::StrCat("wal: file not found: no segment in ", dir, " for index ", start.index));
  }
  const size_t first = static_cast<size_t>(names->rend() - it) - 1;
  std::unique_ptr<Wal> wal(new Wal(env, dir, options));
  wal->start_ = start;
  for (size_t i = first; i < names->size(); ++i) {
    const NamedSegment& n = (*names)[i];
    if (i > first && n.seq != (*names)[i - 1].seq + 1) {
      return absl::DataLossError(absl::StrCat("wal: segment sequence gap in ", dir, ": ",
                                              (*names)[i - 1].name, " then ", n.name));
    }
    absl::StatusOr<std::unique_ptr<FileLock>> lock = env->LockFile(JoinPath(dir, n.name));
    if (!lock.ok()) return lock.status();
    wal->segments_.push_back(Segment{n.seq, n.first_index, n.name, std::move(*lock)});
  }
  return wal;
}

absl::StatusOr<WalContents> Wal::ReadAll() {
  if (mode_ != Mode::kRead) {
    return absl::FailedPreconditionError("wal: ReadAll is only allowed once, after Open");
  }
  if (!error_.ok()) return error_;
  WalContents out;
  bool have_metadata = false;
  bool snapshot_found = false;
  uint64_t last_index = 0;
  std::optional<uint32_t> chain;
  std::string contents;
  uint64_t tail_valid_end = 0;
  bool tail_has_junk = false;

  for (size_t i = 0; i < segments_.size(); ++i) {
    const bool is_tail = i + 1 == segments_.size();
    const std::string path = SegmentPath(segments_[i]);
    if (absl::Status s = env_->ReadFileToString(path, &contents); !s.ok()) return Poison(s);
    SegmentDecoder decoder(contents, chain);
    DecodedRecord rec;
    auto data_loss = [&](const std::string& what, uint64_t offset) {
      return Poison(absl::DataLossError(
          absl::StrCat("wal: ", what, " in ", path, " at offset ", offset)));
    };
    for (;;) {
      SegmentDecoder::Result r = decoder.Next(&rec);
      if (r == SegmentDecoder::Result::kEnd) break;
      if (r == SegmentDecoder::Result::kBad) {
        if (!is_tail || !decoder.torn()) return data_loss(decoder.problem(), decoder.valid_end());
        LOG(WARNING) << "wal: cutting torn tail of " << path << " at offset "
                     << decoder.valid_end() << " (" << contents.size() - decoder.valid_end()
                     << " bytes dropped: " << decoder.problem() << ")";
        tail_has_junk = true;
        break;
      }
      switch (rec.type) {
        case RecordType::kEntry: {
          raftpb::Entry e;
          if (!e.ParseFromArray(rec.data.data(), static_cast<int>(rec.data.size()))) {
            return data_loss("undecodable entry", rec.offset);
          }
          if (e.index() > start_.index) {
            const uint64_t pos = e.index() - start_.index - 1;
            if (pos > out.entries.size()) {
              return data_loss(absl::StrCat("entry index gap: index ", e.index(), " after ",
                                            start_.index + out.entries.size()),
                               rec.offset);
            }
            out.entries.resize(pos);  // a rewritten index discards the old suffix
            out.entries.push_back(std::move(e));
            last_index = out.entries.back().index();
          } else {
            last_index = e.index();
          }
          break;
        }
        case RecordType::kState:
          if (!out.state.ParseFromArray(rec.data.data(), static_cast<int>(rec.data.size()))) {
            return data_loss("undecodable hard state", rec.offset);
          }
          break;
        case RecordType::kMetadata:
          if (have_metadata && rec.data != out.metadata) {
            return data_loss("conflicting metadata", rec.offset);
          }
          out.metadata = std::string(rec.data);
          have_metadata = true;
          break;
        case RecordType::kCrc:
          break;  // the decoder checked the chain
        case RecordType::kSnapshot: {
          raftpb::SnapshotMetadata snap;
          if (!snap.ParseFromArray(rec.data.data(), static_cast<int>(rec.data.size()))) {
            return data_loss("undecodable snapshot record", rec.offset);
          }
          if (snap.index() == start_.index) {
            if (snap.term() != start_.term) {
              return Poison(absl::FailedPreconditionError(absl::StrCat(
                  "wal: snapshot mismatch: wal has term ", snap.term(), " at index ",
                  snap.index(), ", expected term ", start_.term)));
            }
            snapshot_found = true;
          }
          last_index = std::max(last_index, snap.index());
          break;
        }
      }
    }
    if (decoder.valid_end() == 0) return data_loss("segment without a valid header", 0);
    chain = decoder.crc();
    if (is_tail) tail_valid_end = decoder.valid_end();
  }
  if (!snapshot_found) {
    return Poison(absl::NotFoundError(absl::StrCat("wal: snapshot not found: no record of index ",
                                                   start_.index, " term ", start_.term)));
  }

  metadata_ = out.metadata;
  state_ = out.state;
  last_index_ = last_index;
  crc_ = chain.value_or(0);
  const std::string tail_path = SegmentPath(segments_.back());
  absl::StatusOr<std::unique_ptr<WritableFile>> tail =
      env_->ReopenWritableFile(tail_path, tail_valid_end);
  if (!tail.ok()) return Poison(tail.status());
  tail_ = std::move(*tail);
  if (tail_has_junk) {
    // Cut the torn bytes (rather than overwrite them) so no stale fragment can later be
    // mistaken for a record, and make the cut durable before appending after it.
    if (absl::Status s = tail_->Truncate(tail_valid_end); !s.ok()) return Poison(s);
    if (absl::Status s = SyncTail(); !s.ok()) return s;
  }
  if (options_.preallocate && tail_valid_end < options_.segment_bytes) {
    if (absl::Status s = tail_->Preallocate(options_.segment_bytes); !s.ok()) return Poison(s);
  }
  mode_ = Mode::kAppend;
  return out;
}

absl::Status Wal::Save(const raftpb::HardState& state,
                       const std::vector<raftpb::Entry>& entries) {
  if (absl::Status s = CheckAppend(); !s.ok()) return s;
  if (IsEmptyHardState(state) && entries.empty()) return absl::OkStatus();
  const bool must_sync = MustSync(state, state_, entries.size());

  RecordEncoder enc(crc_);
  for (const raftpb::Entry& e : entries) {
    if (!enc.AddMessage(RecordType::kEntry, e, &buf_)) {
      buf_.clear();
      return absl::InvalidArgumentError(
          absl::StrCat("wal: entry ", e.index(), " is larger than ", internal::kMaxRecordBytes,
                       " bytes"));
    }
  }
  if (!IsEmptyHardState(state)) enc.AddMessage(RecordType::kState, state, &buf_);
  crc_ = enc.crc();
  if (absl::Status s = WriteBuffer(); !s.ok()) return s;
  if (!entries.empty()) last_index_ = entries.back().index();
  if (!IsEmptyHardState(state)) state_ = state;

  if (tail_->offset() >= options_.segment_bytes) return Cut();  // Cut syncs.
  if (must_sync) return SyncTail();
  return absl::OkStatus();
}

absl::Status Wal::SaveSnapshot(WalSnapshot snapshot) {
  if (absl::Status s = CheckAppend(); !s.ok()) return s;
  raftpb::SnapshotMetadata m;
  m.set_index(snapshot.index);
  m.set_term(snapshot.term);
  RecordEncoder enc(crc_);
  enc.AddMessage(RecordType::kSnapshot, m, &buf_);
  crc_ = enc.crc();
  if (absl::Status s = WriteBuffer(); !s.ok()) return s;
  last_index_ = std::max(last_index_, snapshot.index);
  return SyncTail();
}

absl::Status Wal::Cut() {
  // Drop the preallocated space of the finished segment and make its end durable before the
  // next segment can exist: a segment other than the last is always complete.
  if (absl::Status s = tail_->Truncate(tail_->offset()); !s.ok()) return Poison(s);
  if (absl::Status s = SyncTail(); !s.ok()) return s;

  Segment next{segments_.back().seq + 1, last_index_ + 1, "", nullptr};
  next.name = SegmentName(next.seq, next.first_index);
  const std::string path = SegmentPath(next);
  const std::string tmp_path = path + ".tmp";
  absl::StatusOr<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(tmp_path);
  if (!file.ok()) return Poison(file.status());
  if (options_.preallocate) {
    if (absl::Status s = (*file)->Preallocate(options_.segment_bytes); !s.ok()) return Poison(s);
  }
  RecordEncoder enc(crc_);
  enc.AddCrc(&buf_);
  enc.Add(RecordType::kMetadata, metadata_, &buf_);
  if (!IsEmptyHardState(state_)) enc.AddMessage(RecordType::kState, state_, &buf_);
  absl::Status s = (*file)->Append(buf_);
  buf_.clear();
  if (s.ok()) s = (*file)->Sync();
  if (s.ok()) s = env_->RenameFile(tmp_path, path);
  if (s.ok()) s = env_->SyncDir(dir_);
  if (!s.ok()) return Poison(s);
  absl::StatusOr<std::unique_ptr<FileLock>> lock = env_->LockFile(path);
  if (!lock.ok()) return Poison(lock.status());
  next.lock = std::move(*lock);
  crc_ = enc.crc();
  if (absl::Status c = tail_->Close(); !c.ok()) return Poison(c);
  tail_ = std::move(*file);
  segments_.push_back(std::move(next));
  VLOG(1) << "wal: created segment " << path;
  return absl::OkStatus();
}

absl::Status Wal::ReleaseLockTo(uint64_t index) {
  if (mode_ == Mode::kClosed) return absl::FailedPreconditionError("wal: closed");
  if (segments_.empty()) return absl::OkStatus();
  // Keep the last segment starting below `index` (it may hold entries up to index) and all
  // later ones; the tail is never released.
  size_t keep_from = segments_.size() - 1;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].first_index >= index) {
      keep_from = i == 0 ? 0 : i - 1;
      break;
    }
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(keep_from));
  return absl::OkStatus();
}

absl::StatusOr<int> Wal::PurgeSegments(Env* env, const std::string& dir, size_t max_files) {
  if (max_files == 0) return 0;
  absl::StatusOr<std::vector<NamedSegment>> names = ListSegments(env, dir);
  if (!names.ok()) return names.status();
  int removed = 0;
  for (size_t i = 0; names->size() - i > max_files; ++i) {
    const std::string path = JoinPath(dir, (*names)[i].name);
    absl::StatusOr<std::unique_ptr<FileLock>> lock = env->LockFile(path);
    if (!lock.ok()) break;  // still held by a Wal
    if (absl::Status s = env->RemoveFile(path); !s.ok()) return s;
    LOG(INFO) << "wal: purged " << path;
    ++removed;
  }
  if (removed > 0) {
    if (absl::Status s = env->SyncDir(dir); !s.ok()) return s;
  }
  return removed;
}

absl::Status Wal::Close() {
  if (mode_ == Mode::kClosed) return error_;
  absl::Status s = error_;
  if (mode_ == Mode::kAppend && s.ok()) s = SyncTail();
  if (tail_ != nullptr) {
    absl::Status c = tail_->Close();
    if (s.ok()) s = c;
    tail_.reset();
  }
  segments_.clear();
  mode_ = Mode::kClosed;
  if (error_.ok()) error_ = s;
  return s;
}

}  // namespace etcd::wal
