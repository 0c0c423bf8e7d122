#include "mvcc/backend.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <system_error>

namespace etcd::mvcc {
namespace {

std::string BucketKey(Bucket bucket, std::string_view key) {
  std::string k;
  k.reserve(key.size() + 1);
  k.push_back(static_cast<char>(bucket));
  k.append(key);
  return k;
}

absl::Status FromLevelDb(const leveldb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  return absl::UnavailableError(msg);
}

}  // namespace

WriteBatch::WriteBatch() : batch_(std::make_unique<leveldb::WriteBatch>()) {}
WriteBatch::~WriteBatch() = default;

void WriteBatch::Put(Bucket bucket, std::string_view key, std::string_view value) {
  batch_->Put(BucketKey(bucket, key), leveldb::Slice(value.data(), value.size()));
  ++count_;
}

void WriteBatch::Delete(Bucket bucket, std::string_view key) {
  batch_->Delete(BucketKey(bucket, key));
  ++count_;
}

Backend::Backend(std::string dir, BackendOptions options)
    : dir_(std::move(dir)),
      cache_(leveldb::NewLRUCache(options.cache_bytes)),
      filter_(leveldb::NewBloomFilterPolicy(10)),
      options_(options) {}

Backend::~Backend() = default;

absl::StatusOr<std::unique_ptr<Backend>> Backend::Open(const std::string& dir,
                                                       const BackendOptions& options) {
  std::unique_ptr<Backend> backend(new Backend(dir, options));
  // A crash in the middle of ReplaceWith leaves the old database aside: put it back.
  std::error_code ec;
  const std::string aside = dir + ".replaced";
  if (!std::filesystem::exists(dir, ec) && std::filesystem::exists(aside, ec)) {
    std::filesystem::rename(aside, dir, ec);
  }
  std::filesystem::remove_all(aside, ec);
  if (absl::Status s = backend->OpenDb(); !s.ok()) return s;
  return backend;
}

absl::Status Backend::OpenDb() {
  leveldb::Options opts;
  opts.create_if_missing = true;
  // Not paranoid: after a power loss, LevelDB's unsynced log tail may be torn. Dropping it is
  // safe because the WAL replays every entry after the persisted consistent index.
  opts.paranoid_checks = false;
  opts.block_cache = cache_.get();
  opts.filter_policy = filter_.get();
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(opts, dir_, &raw);
  if (!s.ok()) return FromLevelDb(s, "opening backend " + dir_);
  db_.reset(raw);
  return absl::OkStatus();
}

struct BackendReader::State {
  const Backend* backend = nullptr;
  const leveldb::Snapshot* snapshot = nullptr;  // of backend->db_ when created
  std::unique_ptr<leveldb::Iterator> it;
  bool started = false;
  bool invalidated = false;  // the backend was replaced: snapshot and iterator are gone
};

absl::Status Backend::ReplaceWith(const std::string& other) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(other, ec)) {
    return absl::NotFoundError("backend replacement " + other + " is not a directory");
  }
  // Every other call waits; readers still open (snapshot streams) are ended: they fail with
  // Aborted from their next call on, and no longer touch the old database.
  std::unique_lock lock(db_mu_);
  {
    std::lock_guard readers_lock(readers_mu_);
    for (BackendReader::State* r : readers_) {
      r->it.reset();
      db_->ReleaseSnapshot(r->snapshot);
      r->invalidated = true;
    }
  }
  db_.reset();  // closes the database (and releases LevelDB's lock file)
  const std::string aside = dir_ + ".replaced";
  fs::remove_all(aside, ec);
  fs::rename(dir_, aside, ec);
  if (ec) return absl::UnavailableError("moving " + dir_ + " aside: " + ec.message());
  fs::rename(other, dir_, ec);
  if (ec) {
    std::error_code ignored;
    fs::rename(aside, dir_, ignored);
    (void)OpenDb();
    return absl::UnavailableError("moving " + other + " to " + dir_ + ": " + ec.message());
  }
  fs::remove_all(aside, ec);
  return OpenDb();
}

BackendReader::BackendReader(std::unique_ptr<State> state) : state_(std::move(state)) {}

BackendReader::~BackendReader() {
  const Backend* b = state_->backend;
  std::shared_lock lock(b->db_mu_);
  {
    std::lock_guard readers_lock(b->readers_mu_);
    b->readers_.erase(state_.get());
  }
  if (!state_->invalidated) {
    state_->it.reset();
    b->db_->ReleaseSnapshot(state_->snapshot);
  }
}

bool BackendReader::Next(Bucket* bucket, std::string* key, std::string* value) {
  std::shared_lock lock(state_->backend->db_mu_);
  if (state_->invalidated) return false;
  if (!state_->started) {
    state_->it->SeekToFirst();
    state_->started = true;
  } else if (state_->it->Valid()) {
    state_->it->Next();
  }
  while (state_->it->Valid() && state_->it->key().size() == 0) state_->it->Next();
  if (!state_->it->Valid()) return false;
  leveldb::Slice k = state_->it->key();
  *bucket = static_cast<Bucket>(k[0]);
  key->assign(k.data() + 1, k.size() - 1);
  value->assign(state_->it->value().data(), state_->it->value().size());
  return true;
}

absl::Status BackendReader::status() const {
  std::shared_lock lock(state_->backend->db_mu_);
  if (state_->invalidated) {
    return absl::AbortedError("backend read: the backend was replaced (a snapshot was installed)");
  }
  return FromLevelDb(state_->it->status(), "backend read");
}

absl::Status Backend::Defragment() {
  {
    std::shared_lock lock(db_mu_);
    db_->CompactRange(nullptr, nullptr);
  }
  return Sync();
}

std::unique_ptr<BackendReader> Backend::NewReader() const {
  auto state = std::make_unique<BackendReader::State>();
  state->backend = this;
  std::shared_lock lock(db_mu_);
  state->snapshot = db_->GetSnapshot();
  leveldb::ReadOptions ro;
  ro.snapshot = state->snapshot;
  ro.fill_cache = false;
  state->it.reset(db_->NewIterator(ro));
  {
    std::lock_guard readers_lock(readers_mu_);
    readers_.insert(state.get());
  }
  return std::unique_ptr<BackendReader>(new BackendReader(std::move(state)));
}

absl::StatusOr<std::optional<std::string>> Backend::Get(Bucket bucket,
                                                        std::string_view key) const {
  std::string value;
  std::shared_lock lock(db_mu_);
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), BucketKey(bucket, key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromLevelDb(s, "backend get");
  return value;
}

absl::Status Backend::Scan(
    Bucket bucket, std::string_view start, std::string_view end,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::shared_lock lock(db_mu_);
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  const std::string first = BucketKey(bucket, start);
  const std::string limit = end.empty() ? std::string(1, static_cast<char>(bucket) + 1)
                                        : BucketKey(bucket, end);
  for (it->Seek(first); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    if (k.compare(limit) >= 0) break;
    if (!fn(std::string_view(k.data() + 1, k.size() - 1),
            std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromLevelDb(it->status(), "backend scan");
}

absl::Status Backend::Write(WriteBatch& batch) {
  leveldb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  std::shared_lock lock(db_mu_);
  return FromLevelDb(db_->Write(wo, batch.batch_.get()), "backend write");
}

absl::Status Backend::Sync() {
  leveldb::WriteOptions wo;
  wo.sync = true;
  leveldb::WriteBatch empty;
  std::shared_lock lock(db_mu_);
  return FromLevelDb(db_->Write(wo, &empty), "backend sync");
}

int64_t Backend::ApproximateSizeBytes() const {
  leveldb::Range all("", "\xff");
  uint64_t size = 0;
  std::shared_lock lock(db_mu_);
  db_->GetApproximateSizes(&all, 1, &size);
  return static_cast<int64_t>(size);
}

}  // namespace etcd::mvcc
