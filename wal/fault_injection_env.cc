#include "wal/fault_injection_env.h"

#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace etcd::wal {
namespace {

class FaultFile final : public WritableFile {
 public:
  FaultFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> target,
            std::shared_ptr<FaultInjectionEnv::FileState> state)
      : env_(env), target_(std::move(target)), state_(std::move(state)),
        generation_(env->generation()) {}

  absl::Status Append(std::string_view data) override {
    if (absl::Status s = CheckAlive(); !s.ok()) return s;
    if (env_->fail_append()) return absl::UnavailableError("injected write failure");
    return target_->Append(data);
  }
  absl::Status Sync() override {
    if (absl::Status s = CheckAlive(); !s.ok()) return s;
    if (env_->ShouldFailSync()) return absl::UnavailableError("injected fdatasync failure");
    if (absl::Status s = target_->Sync(); !s.ok()) return s;
    return env_->OnSync(state_);
  }
  absl::Status Truncate(uint64_t size) override {
    if (absl::Status s = CheckAlive(); !s.ok()) return s;
    return target_->Truncate(size);
  }
  absl::Status Preallocate(uint64_t size) override {
    if (absl::Status s = CheckAlive(); !s.ok()) return s;
    return target_->Preallocate(size);
  }
  absl::Status Close() override { return target_->Close(); }
  uint64_t offset() const override { return target_->offset(); }

 private:
  absl::Status CheckAlive() const {
    if (env_->generation() != generation_) {
      return absl::UnavailableError("file opened before a simulated crash");
    }
    return absl::OkStatus();
  }

  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> target_;
  std::shared_ptr<FaultInjectionEnv::FileState> state_;
  const uint64_t generation_;
};

}  // namespace

std::shared_ptr<FaultInjectionEnv::FileState> FaultInjectionEnv::TrackExisting(
    const std::string& path) {
  absl::MutexLock l(&mu_);
  std::shared_ptr<FileState>& slot = files_[path];
  if (slot == nullptr) {
    // A file written before we saw it: its entry and its contents count as durable.
    slot = std::make_shared<FileState>();
    slot->path = path;
    slot->entry_durable = true;
    (void)target()->ReadFileToString(path, &slot->synced);
  }
  return slot;
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path) {
  const bool existed = target()->FileExists(path);
  absl::StatusOr<std::unique_ptr<WritableFile>> f = target()->NewWritableFile(path);
  if (!f.ok()) return f;
  std::shared_ptr<FileState> state;
  {
    absl::MutexLock l(&mu_);
    std::shared_ptr<FileState>& slot = files_[path];
    if (slot == nullptr) {
      slot = std::make_shared<FileState>();
      slot->path = path;
      slot->entry_durable = existed;  // an older file's entry was durable before we saw it
    }
    slot->synced.clear();  // O_TRUNC
    state = slot;
  }
  return std::unique_ptr<WritableFile>(new FaultFile(this, std::move(*f), std::move(state)));
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::ReopenWritableFile(
    const std::string& path, uint64_t offset) {
  absl::StatusOr<std::unique_ptr<WritableFile>> f = target()->ReopenWritableFile(path, offset);
  if (!f.ok()) return f;
  std::shared_ptr<FileState> state = TrackExisting(path);
  return std::unique_ptr<WritableFile>(new FaultFile(this, std::move(*f), std::move(state)));
}

absl::Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  absl::Status s = target()->RemoveFile(path);
  if (s.ok()) {
    absl::MutexLock l(&mu_);
    files_.erase(path);
  }
  return s;
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  if (fail_rename_) return absl::UnavailableError("injected rename failure");
  absl::Status s = target()->RenameFile(from, to);
  if (!s.ok()) return s;
  absl::MutexLock l(&mu_);
  // A file, or a directory whose tracked files move with it.
  std::vector<std::pair<std::string, std::shared_ptr<FileState>>> moved;
  for (auto it = files_.begin(); it != files_.end();) {
    const std::string& p = it->first;
    if (p == from || p.starts_with(from + "/")) {
      std::string np = to + p.substr(from.size());
      it->second->path = np;
      if (p == from) it->second->entry_durable = false;  // until `to`'s directory is synced
      moved.emplace_back(np, it->second);
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [p, st] : moved) files_[p] = st;
  return s;
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  absl::Status s = target()->SyncDir(dir);
  if (!s.ok()) return s;
  absl::MutexLock l(&mu_);
  for (auto& [path, state] : files_) {
    if (DirName(path) == dir) state->entry_durable = true;
  }
  return s;
}

bool FaultInjectionEnv::ShouldFailSync() {
  if (fail_sync_) return true;
  int n = syncs_before_failure_.load();
  if (n == 0) return true;
  if (n > 0) syncs_before_failure_ = n - 1;
  return false;
}

absl::Status FaultInjectionEnv::OnSync(const std::shared_ptr<FileState>& state) {
  ++sync_count_;
  absl::MutexLock l(&mu_);
  return target()->ReadFileToString(state->path, &state->synced);
}

absl::Status FaultInjectionEnv::SimulateCrash(std::optional<uint64_t> seed) {
  absl::MutexLock l(&mu_);
  ++generation_;
  std::mt19937_64 rng(seed.value_or(0));
  absl::Status first;
  auto note = [&](absl::Status s) {
    if (first.ok() && !s.ok()) first = s;
  };
  for (auto it = files_.begin(); it != files_.end();) {
    FileState& st = *it->second;
    if (!st.entry_durable) {
      note(target()->RemoveFile(st.path));
      it = files_.erase(it);
      continue;
    }
    std::string after = st.synced;
    if (seed.has_value()) {
      std::string current;
      note(target()->ReadFileToString(st.path, &current));
      // Bytes [0, k) of the current contents reached the disk; the rest is as last synced.
      size_t common = 0;
      while (common < current.size() && common < st.synced.size() &&
             current[common] == st.synced[common]) {
        ++common;
      }
      if (current.size() > common) {
        size_t k = common + rng() % (current.size() - common + 1);
        after = current.substr(0, k);
        if (st.synced.size() > k) after.append(st.synced, k, std::string::npos);
      }
    }
    absl::StatusOr<std::unique_ptr<WritableFile>> f = target()->NewWritableFile(st.path);
    if (!f.ok()) {
      note(f.status());
    } else {
      note((*f)->Append(after));
      note((*f)->Sync());
      note((*f)->Close());
    }
    st.synced = std::move(after);
    ++it;
  }
  return first;
}

}  // namespace etcd::wal
