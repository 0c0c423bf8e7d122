// Env: every file-system operation the WAL and the snapshotter perform, behind one interface
// (the model is LevelDB's include/leveldb/env.h). Production code uses Env::Default(), a thin
// layer over POSIX; tests derive from EnvWrapper and override only the calls they want to fail,
// slow down or record (see fault_injection_env.h).
//
// Errors are absl::Status values built from errno (absl::ErrnoToStatus): ENOENT gives
// NotFound, EEXIST AlreadyExists, ENOSPC ResourceExhausted, EWOULDBLOCK (a held lock)
// Unavailable, and so on; the message names the operation and the path, then strerror.
//
// Thread-safety: Env::Default() and EnvWrapper (when its target is) may be used from several
// threads at once. A WritableFile or FileLock is used by one thread at a time.
#ifndef ETCD_WAL_ENV_H_
#define ETCD_WAL_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace etcd::wal {

// A file being written at an explicit offset (positioned writes, so that a file whose tail was
// preallocated with zeros can still be appended to at the end of its data).
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  // Writes `data` at offset() and advances offset() by data.size() bytes. On error the file
  // contents past the old offset are unspecified.
  virtual absl::Status Append(std::string_view data) = 0;

  // fdatasync(2): returns once everything appended so far (and the file size) is durable.
  // After a failed Sync the state of the unsynced bytes is unknown; the caller must not
  // assume they can be re-synced (see the "fsyncgate" discussion) and should reopen.
  virtual absl::Status Sync() = 0;

  // ftruncate(2) to `size` bytes and moves offset() to `size`. Not durable until Sync().
  virtual absl::Status Truncate(uint64_t size) = 0;

  // Reserves disk space so the file is at least `size` bytes long, the new bytes reading as
  // zeros (fallocate(2) mode 0, as etcd's fileutil.Preallocate(extend=true)). Does not move
  // offset(). A file system without fallocate falls back to ftruncate.
  virtual absl::Status Preallocate(uint64_t size) = 0;

  // Closes the descriptor without syncing. Idempotent; the destructor closes too.
  virtual absl::Status Close() = 0;

  // Offset in bytes at which the next Append writes.
  virtual uint64_t offset() const = 0;
};

// An advisory exclusive lock on a file (flock(2), as etcd's fileutil.TryLockFile). Released
// when destroyed. flock locks belong to an open file description, so a second LockFile on the
// same file fails even inside the same process.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never deleted.
  static Env* Default();

  // Creates `path` (mode 0600) or truncates it to 0 bytes; writes start at offset 0.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;

  // Opens the existing file `path` for writing without truncating it; writes start at
  // `offset` bytes. NotFound if it does not exist.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> ReopenWritableFile(
      const std::string& path, uint64_t offset) = 0;

  // Reads the whole file into *contents (replacing it).
  virtual absl::Status ReadFileToString(const std::string& path, std::string* contents) = 0;

  // File size in bytes.
  virtual absl::StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;

  // Names (not paths) of the entries of `dir`, without "." and "..", in no particular order.
  virtual absl::Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;

  // mkdir(2) with mode 0700. AlreadyExists if `dir` exists.
  virtual absl::Status CreateDir(const std::string& dir) = 0;

  // rmdir(2): `dir` must be empty.
  virtual absl::Status RemoveDir(const std::string& dir) = 0;

  // unlink(2).
  virtual absl::Status RemoveFile(const std::string& path) = 0;

  // rename(2): atomic replacement of `to` (a file, or an empty directory when `from` is a
  // directory). Durable only after SyncDir of the parent directory (or directories).
  virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;

  // fsync(2) of the directory `dir`, making the creation, removal and renaming of its
  // entries durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive flock on the existing file `path` without waiting. Unavailable if
  // another open file description holds it.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// Forwards every call to another Env; derive from it and override what a test needs.
class EnvWrapper : public Env {
 public:
  // REQUIRES: target outlives this wrapper.
  explicit EnvWrapper(Env* target) : target_(target) {}

  Env* target() const { return target_; }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    return target_->NewWritableFile(path);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> ReopenWritableFile(const std::string& path,
                                                                   uint64_t offset) override {
    return target_->ReopenWritableFile(path, offset);
  }
  absl::Status ReadFileToString(const std::string& path, std::string* contents) override {
    return target_->ReadFileToString(path, contents);
  }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return target_->GetFileSize(path);
  }
  bool FileExists(const std::string& path) override { return target_->FileExists(path); }
  absl::Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    return target_->GetChildren(dir, names);
  }
  absl::Status CreateDir(const std::string& dir) override { return target_->CreateDir(dir); }
  absl::Status RemoveDir(const std::string& dir) override { return target_->RemoveDir(dir); }
  absl::Status RemoveFile(const std::string& path) override {
    return target_->RemoveFile(path);
  }
  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  absl::Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return target_->LockFile(path);
  }

 private:
  Env* target_;
};

// Helpers built on any Env.

// Creates `dir` and any missing parents; fsyncs the parent of each directory it creates.
// OK if `dir` already exists.
absl::Status CreateDirAll(Env* env, const std::string& dir);

// Writes `data` to `path` through `path`.tmp: create, write, fdatasync, close, rename, fsync
// of the directory. Either the old file or the complete new one survives a crash.
absl::Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data);

// "a/b/c" -> "a/b"; "c" -> "."; "/c" -> "/".
std::string DirName(const std::string& path);

// Joins a directory and a name with one '/'.
std::string JoinPath(const std::string& dir, const std::string& name);

}  // namespace etcd::wal

#endif  // ETCD_WAL_ENV_H_
