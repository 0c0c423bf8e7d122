#include "wal/snapshotter.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "wal/internal/crc32c.h"

namespace etcd::wal {
namespace {

constexpr char kMagic[8] = {'E', 'T', 'C', 'D', 'S', 'N', 'P', '1'};
constexpr size_t kSnapHeaderBytes = 24;
constexpr std::string_view kSnapSuffix = ".snap";
constexpr std::string_view kNoSnapshotMessage = "snap: no available snapshot";

void PutLE(char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// "%016x-%016x.snap"; returns false for anything else (including ".snap.broken", ".tmp").
bool IsSnapName(const std::string& name) {
  if (name.size() != 16 + 1 + 16 + kSnapSuffix.size() || name[16] != '-' ||
      !name.ends_with(kSnapSuffix)) {
    return false;
  }
  for (size_t i = 0; i < 33; ++i) {
    if (i == 16) continue;
    char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

absl::Status ErrNoSnapshot() { return absl::NotFoundError(std::string(kNoSnapshotMessage)); }

bool IsNoSnapshot(const absl::Status& s) {
  return absl::IsNotFound(s) && std::string_view(s.message().data(), s.message().size()) == kNoSnapshotMessage;
}

Snapshotter::Snapshotter(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {}

absl::Status Snapshotter::SaveSnap(const raftpb::Snapshot& snapshot) {
  if (snapshot.metadata().index() == 0) return absl::OkStatus();
  std::string file(kSnapHeaderBytes, '\0');
  if (!snapshot.AppendToString(&file)) {
    return absl::InvalidArgumentError("snap: cannot serialize snapshot");
  }
  std::string_view payload = std::string_view(file).substr(kSnapHeaderBytes);
  std::memcpy(file.data(), kMagic, sizeof(kMagic));
  PutLE(file.data() + 8, payload.size(), 8);
  PutLE(file.data() + 16, crc32c::Mask(crc32c::Value(payload)), 4);
  if (absl::Status s = CreateDirAll(env_, dir_); !s.ok()) return s;
  const std::string name = absl::StrFormat("%016x-%016x%s", snapshot.metadata().term(),
                                           snapshot.metadata().index(), kSnapSuffix);
  return WriteFileAtomically(env_, JoinPath(dir_, name), file);
}

absl::StatusOr<raftpb::Snapshot> Snapshotter::Read(Env* env, const std::string& path) {
  std::string file;
  if (absl::Status s = env->ReadFileToString(path, &file); !s.ok()) return s;
  auto corrupt = [&](const std::string& why) {
    return absl::DataLossError(absl::StrCat("snap: ", why, " in ", path));
  };
  if (file.size() < kSnapHeaderBytes) return corrupt("file shorter than its header");
  if (std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) return corrupt("bad magic");
  const uint64_t length = GetLE(file.data() + 8, 8);
  if (length != file.size() - kSnapHeaderBytes) {
    return corrupt(absl::StrCat("length ", length, " but ", file.size() - kSnapHeaderBytes,
                                " payload bytes"));
  }
  std::string_view payload = std::string_view(file).substr(kSnapHeaderBytes);
  if (crc32c::Unmask(static_cast<uint32_t>(GetLE(file.data() + 16, 4))) !=
      crc32c::Value(payload)) {
    return corrupt("crc mismatch");
  }
  raftpb::Snapshot snapshot;
  if (!snapshot.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return corrupt("undecodable snapshot");
  }
  return snapshot;
}

absl::StatusOr<std::vector<std::string>> Snapshotter::SnapNames() {
  std::vector<std::string> names;
  absl::Status s = env_->GetChildren(dir_, &names);
  if (absl::IsNotFound(s)) return std::vector<std::string>{};
  if (!s.ok()) return s;
  std::vector<std::string> snaps;
  for (std::string& n : names) {
    if (IsSnapName(n)) snaps.push_back(std::move(n));
  }
  // Zero-padded hex: the byte order is (term, index) order.
  std::sort(snaps.rbegin(), snaps.rend());
  return snaps;
}

template <typename Match>
absl::StatusOr<raftpb::Snapshot> Snapshotter::LoadMatching(Match match) {
  absl::StatusOr<std::vector<std::string>> names = SnapNames();
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    const std::string path = JoinPath(dir_, name);
    absl::StatusOr<raftpb::Snapshot> snap = Read(env_, path);
    if (snap.ok()) {
      if (match(*snap)) return snap;
      continue;
    }
    if (!absl::IsDataLoss(snap.status())) return snap.status();
    const std::string broken = path + ".broken";
    LOG(WARNING) << "snap: " << snap.status().message() << "; renaming to " << broken;
    if (absl::Status s = env_->RenameFile(path, broken); !s.ok()) {
      LOG(WARNING) << "snap: cannot rename broken snapshot " << path << ": " << s;
    }
  }
  return ErrNoSnapshot();
}

absl::StatusOr<raftpb::Snapshot> Snapshotter::Load() {
  return LoadMatching([](const raftpb::Snapshot&) { return true; });
}

absl::StatusOr<raftpb::Snapshot> Snapshotter::LoadNewestAvailable(
    const std::vector<WalSnapshot>& wal_snapshots) {
  return LoadMatching([&](const raftpb::Snapshot& s) {
    WalSnapshot w{s.metadata().index(), s.metadata().term()};
    return std::find(wal_snapshots.begin(), wal_snapshots.end(), w) != wal_snapshots.end();
  });
}

}  // namespace etcd::wal
