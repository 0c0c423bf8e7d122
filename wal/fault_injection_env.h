// FaultInjectionEnv: an EnvWrapper for crash and failure tests (the model is LevelDB's
// db/fault_injection_test.cc).
//
// It remembers, for every file written through it, the contents as of the file's last Sync()
// and whether its directory entry was made durable (SyncDir of its parent after it was
// created or renamed). SimulateCrash() then rewrites the disk the way a power cut could
// leave it: unsynced bytes dropped (or, with a seed, kept up to a random byte, as a partly
// flushed page cache), files whose directory entry was never synced removed. Files opened
// before the crash stop working (every call fails), as the process that held them is gone.
//
// It can also fail calls on demand (fdatasync, write, rename) to test error paths.
//
// Limits: directories are assumed durable once created; RemoveFile is durable at once; a
// rename whose directory was not synced is modelled by removing the file (valid for the
// temp-file-then-rename pattern, the only one //wal uses).
// Thread-safe.
#ifndef ETCD_WAL_FAULT_INJECTION_ENV_H_
#define ETCD_WAL_FAULT_INJECTION_ENV_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "wal/env.h"

namespace etcd::wal {

class FaultInjectionEnv : public EnvWrapper {
 public:
  explicit FaultInjectionEnv(Env* target) : EnvWrapper(target) {}

  // Reverts every tracked file to what a crash could leave. Without a seed, exactly the synced
  // contents; with one, for each file a random number of the bytes written after the last
  // sync survive (a prefix of the current contents over the synced ones), deterministically.
  // Returns the first I/O error from the real Env.
  absl::Status SimulateCrash(std::optional<uint64_t> seed = std::nullopt);

  // Failure switches (all off by default). A failing call does nothing and returns IOError.
  void set_fail_sync(bool fail) { fail_sync_ = fail; }
  void set_fail_append(bool fail) { fail_append_ = fail; }
  void set_fail_rename(bool fail) { fail_rename_ = fail; }
  // Fails every WritableFile::Sync after `n` more succeed (-1: never).
  void FailSyncAfter(int n) { syncs_before_failure_ = n; }

  int sync_count() const { return sync_count_; }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> ReopenWritableFile(const std::string& path,
                                                                   uint64_t offset) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status SyncDir(const std::string& dir) override;

  // Internal, used by the file wrapper.
  struct FileState {
    std::string path;
    std::string synced;          // contents as of the last Sync
    bool entry_durable = false;  // the directory entry survives a crash
  };
  absl::Status OnSync(const std::shared_ptr<FileState>& state);
  bool ShouldFailSync();
  bool fail_append() const { return fail_append_; }
  uint64_t generation() const { return generation_; }

 private:
  std::shared_ptr<FileState> TrackExisting(const std::string& path);

  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<FileState>> files_;  // GUARDED_BY(mu_)
  std::atomic<bool> fail_sync_{false};
  std::atomic<bool> fail_append_{false};
  std::atomic<bool> fail_rename_{false};
  std::atomic<int> syncs_before_failure_{-1};
  std::atomic<int> sync_count_{0};
  std::atomic<uint64_t> generation_{0};  // bumped by each crash
};

}  // namespace etcd::wal

#endif  // ETCD_WAL_FAULT_INJECTION_ENV_H_
