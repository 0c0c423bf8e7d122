#include "mvcc/backend.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

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
  leveldb::Options opts;
  opts.create_if_missing = true;
  // Not paranoid: after a power loss, LevelDB's unsynced log tail may be torn. Dropping it is
  // safe because the WAL replays every entry after the persisted consistent index.
  opts.paranoid_checks = false;
  opts.block_cache = backend->cache_.get();
  opts.filter_policy = backend->filter_.get();
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(opts, dir, &raw);
  if (!s.ok()) return FromLevelDb(s, "opening backend " + dir);
  backend->db_.reset(raw);
  return backend;
}

absl::StatusOr<std::optional<std::string>> Backend::Get(Bucket bucket,
                                                        std::string_view key) const {
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), BucketKey(bucket, key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromLevelDb(s, "backend get");
  return value;
}

absl::Status Backend::Scan(
    Bucket bucket, std::string_view start, std::string_view end,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
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
  return FromLevelDb(db_->Write(wo, batch.batch_.get()), "backend write");
}

absl::Status Backend::Sync() {
  leveldb::WriteOptions wo;
  wo.sync = true;
  leveldb::WriteBatch empty;
  return FromLevelDb(db_->Write(wo, &empty), "backend sync");
}

int64_t Backend::ApproximateSizeBytes() const {
  leveldb::Range all("", "\xff");
  uint64_t size = 0;
  db_->GetApproximateSizes(&all, 1, &size);
  return static_cast<int64_t>(size);
}

}  // namespace etcd::mvcc
