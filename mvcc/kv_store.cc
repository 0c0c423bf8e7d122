#include "mvcc/kv_store.h"

#include <glog/logging.h>

#include <utility>

namespace etcd::mvcc {
namespace {

constexpr char kCompactedMsg[] = "mvcc: required revision has been compacted";
constexpr char kFutureRevMsg[] = "mvcc: required revision is a future revision";

// Keys of the meta bucket.
constexpr char kConsistentIndexKey[] = "consistent_index";
constexpr char kCompactRevKey[] = "finished_compact_rev";

std::string EncodeUint64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

std::optional<uint64_t> DecodeUint64(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

}  // namespace

absl::Status CompactedError() { return absl::OutOfRangeError(kCompactedMsg); }
absl::Status FutureRevError() { return absl::OutOfRangeError(kFutureRevMsg); }
bool IsCompacted(const absl::Status& s) { return s.message() == kCompactedMsg; }
bool IsFutureRev(const absl::Status& s) { return s.message() == kFutureRevMsg; }

// ---- ReadTxn ----

ReadTxn::ReadTxn(const KvStore* store) : store_(store), lock_(&store->mu_) {}

absl::StatusOr<RangeResult> ReadTxn::Range(std::string_view key, std::string_view end,
                                           const RangeOptions& opts) const {
  return store_->RangeLocked(key, end, opts, store_->current_rev_, nullptr);
}

int64_t ReadTxn::Rev() const { return store_->current_rev_; }
int64_t ReadTxn::CompactRev() const { return store_->compact_rev_; }

absl::Status ReadTxn::Changes(int64_t from_rev,
                              const std::function<bool(mvccpb::Event&)>& fn) const {
  if (from_rev <= store_->compact_rev_) return CompactedError();
  absl::Status bad;
  absl::Status scan = store_->backend_->Scan(
      Bucket::kKey, EncodeRevision(Revision{from_rev, 0}),
      EncodeRevision(Revision{store_->current_rev_ + 1, 0}),
      [&](std::string_view k, std::string_view v) {
        auto rev = DecodeRevision(k);
        mvccpb::Event ev;
        if (!rev || !ev.mutable_kv()->ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          bad = absl::DataLossError("mvcc: undecodable key record in backend " +
                                    store_->backend_->dir());
          return false;
        }
        if (rev->tombstone) {
          ev.set_type(mvccpb::Event::DELETE);
          ev.mutable_kv()->set_mod_revision(rev->rev.main);
        } else {
          ev.set_type(mvccpb::Event::PUT);
        }
        return fn(ev);
      });
  return scan.ok() ? bad : scan;
}

// ---- WriteTxn ----

WriteTxn::WriteTxn(KvStore* store)
    : store_(store), lock_(&store->mu_), begin_rev_(store->current_rev_) {}

WriteTxn::~WriteTxn() {
  CHECK(ended_ || changes_.empty()) << "mvcc: write transaction with " << changes_.size()
                                    << " changes destroyed without End()";
}

int64_t WriteTxn::Rev() const { return changes_.empty() ? begin_rev_ : begin_rev_ + 1; }
int64_t WriteTxn::CompactRev() const { return store_->compact_rev_; }

absl::StatusOr<RangeResult> WriteTxn::Range(std::string_view key, std::string_view end,
                                            const RangeOptions& opts) const {
  return store_->RangeLocked(key, end, opts, Rev(), &changes_);
}

int64_t WriteTxn::Put(std::string_view key, std::string_view value, int64_t lease) {
  const int64_t rev = begin_rev_ + 1;
  const Revision at{rev, static_cast<int64_t>(changes_.size())};
  auto prior = store_->index_.Get(key, rev);

  mvccpb::Event& ev = changes_.emplace_back();
  ev.set_type(mvccpb::Event::PUT);
  mvccpb::KeyValue* kv = ev.mutable_kv();
  kv->set_key(key.data(), key.size());
  kv->set_value(value.data(), value.size());
  kv->set_create_revision(prior ? prior->created.main : rev);
  kv->set_mod_revision(rev);
  kv->set_version(prior ? prior->version + 1 : 1);
  kv->set_lease(lease);

  batch_.Put(Bucket::kKey, EncodeRevision(at), kv->SerializeAsString());
  store_->index_.Put(key, at);
  return rev;
}

int64_t WriteTxn::DeleteRange(std::string_view key, std::string_view end) {
  std::vector<std::string> keys;
  store_->index_.Visit(key, end, Rev(), [&](const std::string& k, const auto&) {
    keys.push_back(k);
    return true;
  });
  const int64_t rev = begin_rev_ + 1;
  for (const std::string& k : keys) {
    const Revision at{rev, static_cast<int64_t>(changes_.size())};
    mvccpb::Event& ev = changes_.emplace_back();
    ev.set_type(mvccpb::Event::DELETE);
    ev.mutable_kv()->set_key(k);
    ev.mutable_kv()->set_mod_revision(rev);
    mvccpb::KeyValue tombstone;
    tombstone.set_key(k);
    batch_.Put(Bucket::kKey, EncodeRevision(at, /*tombstone=*/true),
               tombstone.SerializeAsString());
    store_->index_.Tombstone(k, at);
  }
  return static_cast<int64_t>(keys.size());
}

absl::Status WriteTxn::End() {
  ended_ = true;
  if (!changes_.empty()) store_->current_rev_ = begin_rev_ + 1;
  store_->AddMeta(batch_);
  absl::Status s = store_->backend_->Write(batch_);
  if (s.ok() && !changes_.empty() && store_->observer_) store_->observer_(begin_rev_ + 1, changes_);
  return s;
}

// ---- KvStore ----

KvStore::KvStore(Backend* backend) : backend_(backend) {}

absl::StatusOr<uint64_t> ReadConsistentIndex(const Backend& backend) {
  auto v = backend.Get(Bucket::kMeta, kConsistentIndexKey);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return 0;
  auto n = DecodeUint64(**v);
  if (!n) return absl::DataLossError("mvcc: bad consistent index record");
  return *n;
}

absl::Status WriteConsistentIndex(Backend& backend, uint64_t index) {
  WriteBatch batch;
  batch.Put(Bucket::kMeta, kConsistentIndexKey, EncodeUint64(index));
  return backend.Write(batch);
}

absl::StatusOr<std::unique_ptr<KvStore>> KvStore::Open(Backend* backend) {
  std::unique_ptr<KvStore> store(new KvStore(backend));
  absl::Status s = store->Restore();
  if (!s.ok()) return s;
  return store;
}

absl::Status KvStore::Restore() {
  absl::MutexLock lock(&mu_);
  return RestoreLocked();
}

absl::Status KvStore::RestoreFrom(const std::function<absl::Status()>& replace_backend) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = replace_backend(); !s.ok()) return s;
  index_ = internal::TreeIndex();
  current_rev_ = 1;
  compact_rev_ = -1;
  return RestoreLocked();
}

absl::Status KvStore::RestoreLocked() {
  auto meta = [&](const char* key) -> absl::StatusOr<std::optional<uint64_t>> {
    auto v = backend_->Get(Bucket::kMeta, key);
    if (!v.ok()) return v.status();
    if (!v->has_value()) return std::optional<uint64_t>();
    auto n = DecodeUint64(**v);
    if (!n) return absl::DataLossError(std::string("mvcc: bad meta record ") + key);
    return n;
  };
  auto ci = meta(kConsistentIndexKey);
  if (!ci.ok()) return ci.status();
  consistent_index_ = ci->value_or(0);
  auto compact = meta(kCompactRevKey);
  if (!compact.ok()) return compact.status();
  if (compact->has_value()) compact_rev_ = static_cast<int64_t>(**compact);
  current_rev_ = std::max<int64_t>(1, compact_rev_);

  absl::Status bad;
  absl::Status scan = backend_->Scan(
      Bucket::kKey, "", "", [&](std::string_view k, std::string_view v) {
        auto rev = DecodeRevision(k);
        mvccpb::KeyValue kv;
        if (!rev || !kv.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          bad = absl::DataLossError("mvcc: undecodable key record in backend " +
                                    backend_->dir());
          return false;
        }
        if (rev->tombstone) {
          if (index_.Get(kv.key(), rev->rev.main)) index_.Tombstone(kv.key(), rev->rev);
        } else {
          index_.Restore(kv.key(), rev->rev, Revision{kv.create_revision(), 0}, kv.version());
        }
        current_rev_ = std::max(current_rev_, rev->rev.main);
        return true;
      });
  if (!scan.ok()) return scan;
  return bad;
}

std::unique_ptr<ReadTxn> KvStore::Read() const {
  return std::unique_ptr<ReadTxn>(new ReadTxn(this));
}

std::unique_ptr<WriteTxn> KvStore::Write() { return std::unique_ptr<WriteTxn>(new WriteTxn(this)); }

absl::StatusOr<RangeResult> KvStore::RangeLocked(
    std::string_view key, std::string_view end, const RangeOptions& opts, int64_t cur_rev,
    const std::vector<mvccpb::Event>* pending) const {
  int64_t rev = opts.rev;
  if (rev > cur_rev) return FutureRevError();
  if (rev <= 0) rev = cur_rev;
  if (rev < compact_rev_) return CompactedError();

  RangeResult result;
  result.rev = cur_rev;
  std::vector<Revision> revs;
  index_.Visit(key, end, rev, [&](const std::string&, const internal::KeyIndex::Version& v) {
    revs.push_back(v.modified);
    return true;
  });
  result.count = static_cast<int64_t>(revs.size());
  if (opts.count_only) return result;
  size_t n = revs.size();
  if (opts.limit > 0 && static_cast<size_t>(opts.limit) < n) n = static_cast<size_t>(opts.limit);
  result.kvs.reserve(n);
  const int64_t pending_rev = current_rev_ + 1;
  for (size_t i = 0; i < n; ++i) {
    const Revision r = revs[i];
    if (pending != nullptr && r.main == pending_rev) {
      result.kvs.push_back(pending->at(static_cast<size_t>(r.sub)).kv());
      continue;
    }
    auto value = backend_->Get(Bucket::kKey, EncodeRevision(r));
    if (!value.ok()) return value.status();
    if (!value->has_value() ||
        !result.kvs.emplace_back().ParseFromString(**value)) {
      // The index and the backend disagree: the store is corrupt, not the request.
      LOG(FATAL) << "mvcc: revision {" << r.main << ", " << r.sub
                 << "} is in the index but not readable from the backend";
    }
  }
  return result;
}

void KvStore::AddMeta(WriteBatch& batch) const {
  batch.Put(Bucket::kMeta, kConsistentIndexKey, EncodeUint64(consistent_index_));
}

absl::Status KvStore::Compact(int64_t rev) {
  absl::MutexLock lock(&mu_);
  if (rev <= compact_rev_) return CompactedError();
  if (rev > current_rev_) return FutureRevError();
  std::set<Revision> keep = index_.Compact(rev);
  // From here the index is compacted: failing to do the same in the backend would leave reads
  // below `rev` silently incomplete, so a backend error stops the process (etcd panics too),
  // and the compaction is applied again from the WAL on restart.
  WriteBatch batch;
  absl::Status scan = backend_->Scan(
      Bucket::kKey, "", EncodeRevision(Revision{rev + 1, 0}),
      [&](std::string_view k, std::string_view) {
        auto r = DecodeRevision(k);
        if (r && !keep.contains(r->rev)) batch.Delete(Bucket::kKey, k);
        return true;
      });
  CHECK(scan.ok()) << "mvcc: compaction at " << rev << " cannot read the backend: " << scan;
  compact_rev_ = rev;
  batch.Put(Bucket::kMeta, kCompactRevKey, EncodeUint64(static_cast<uint64_t>(rev)));
  AddMeta(batch);
  absl::Status write = backend_->Write(batch);
  CHECK(write.ok()) << "mvcc: compaction at " << rev << " cannot write the backend: " << write;
  return absl::OkStatus();
}

void KvStore::SetConsistentIndex(uint64_t index) { consistent_index_ = index; }
uint64_t KvStore::ConsistentIndex() const { return consistent_index_; }

int64_t KvStore::Rev() const {
  absl::ReaderMutexLock lock(&mu_);
  return current_rev_;
}

int64_t KvStore::CompactRev() const {
  absl::ReaderMutexLock lock(&mu_);
  return compact_rev_;
}

}  // namespace etcd::mvcc
