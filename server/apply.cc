#include "server/apply.h"

#include <glog/logging.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "server/errors.h"

namespace etcd::server {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RangeRequest;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;
using etcdserverpb::TxnResponse;

int CompareInt(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

bool CompareKv(const Compare& c, const mvccpb::KeyValue& kv) {
  int result = 0;
  switch (c.target()) {
    case Compare::VALUE:
      result = kv.value().compare(c.value());
      break;
    case Compare::CREATE:
      result = CompareInt(kv.create_revision(), c.create_revision());
      break;
    case Compare::MOD:
      result = CompareInt(kv.mod_revision(), c.mod_revision());
      break;
    case Compare::VERSION:
      result = CompareInt(kv.version(), c.version());
      break;
    case Compare::LEASE:
      result = CompareInt(kv.lease(), c.lease());
      break;
    default:
      break;
  }
  switch (c.result()) {
    case Compare::EQUAL:
      return result == 0;
    case Compare::NOT_EQUAL:
      return result != 0;
    case Compare::GREATER:
      return result > 0;
    case Compare::LESS:
      return result < 0;
    default:
      return true;
  }
}

// A compare holds when it holds for every key in its range. A missing key compares as a
// KeyValue of zeros, except on VALUE, which always fails (no value is not the empty value).
bool ApplyCompare(const mvcc::TxnView& view, const Compare& c) {
  auto rr = view.Range(c.key(), c.range_end(), {});
  if (!rr.ok()) return false;
  if (rr->kvs.empty()) {
    return c.target() != Compare::VALUE && CompareKv(c, mvccpb::KeyValue());
  }
  return std::all_of(rr->kvs.begin(), rr->kvs.end(),
                     [&](const mvccpb::KeyValue& kv) { return CompareKv(c, kv); });
}

// The branch taken by a txn and, depth first, by every nested txn on the taken branches,
// all evaluated against the state before the txn (etcd's compareToPath).
void ComputePath(const mvcc::TxnView& view, const TxnRequest& r, std::vector<bool>* path) {
  bool ok = std::all_of(r.compare().begin(), r.compare().end(),
                        [&](const Compare& c) { return ApplyCompare(view, c); });
  path->push_back(ok);
  for (const RequestOp& op : ok ? r.success() : r.failure()) {
    if (op.has_request_txn()) ComputePath(view, op.request_txn(), path);
  }
}

// Visits the non-txn ops along `path` in execution order; `fn` returns a status that stops the
// walk when not OK. `pos` is the index of `r`'s entry in `path`; returns the next position.
template <typename Fn>
absl::Status WalkPath(const TxnRequest& r, const std::vector<bool>& path, size_t* pos, Fn&& fn) {
  const bool ok = path[(*pos)++];
  for (const RequestOp& op : ok ? r.success() : r.failure()) {
    absl::Status s = op.has_request_txn() ? WalkPath(op.request_txn(), path, pos, fn) : fn(op);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Whether keys exist at some point of a txn's execution, given the puts and deletes the txn
// has run so far (in order), without running them.
class KeyPresence {
 public:
  explicit KeyPresence(const mvcc::TxnView& view) : view_(view) {}

  void Put(const std::string& key) { known_[key] = true; }
  void Delete(const std::string& key, const std::string& end) {
    if (end.empty()) {
      known_[key] = false;
      return;
    }
    const bool to_infinity = end == std::string(1, '\0');
    for (auto it = known_.lower_bound(key); it != known_.end() && (to_infinity || it->first < end);
         ++it) {
      it->second = false;
    }
    deleted_.push_back({key, to_infinity ? std::string() : end});
  }
  absl::StatusOr<bool> Exists(const std::string& key) const {
    if (auto it = known_.find(key); it != known_.end()) return it->second;
    for (const auto& [begin, end] : deleted_) {
      if (begin <= key && (end.empty() || key < end)) return false;
    }
    auto rr = view_.Range(key, "", {.count_only = true});
    if (!rr.ok()) return FromMvcc(rr.status());
    return rr->count > 0;
  }

 private:
  const mvcc::TxnView& view_;
  std::map<std::string, bool> known_;  // keys put (true) or deleted (false) so far
  std::vector<std::pair<std::string, std::string>> deleted_;  // ranges deleted; end "" = no end
};

bool HasWrites(const TxnRequest& r) {
  for (const auto* branch : {&r.success(), &r.failure()}) {
    for (const RequestOp& op : *branch) {
      if (op.has_request_put() || op.has_request_delete_range()) return true;
      if (op.has_request_txn() && HasWrites(op.request_txn())) return true;
    }
  }
  return false;
}

template <typename Less>
void SortKvs(std::vector<mvccpb::KeyValue>& kvs, bool descend, Less less) {
  if (descend) {
    std::stable_sort(kvs.begin(), kvs.end(),
                     [&](const auto& a, const auto& b) { return less(b, a); });
  } else {
    std::stable_sort(kvs.begin(), kvs.end(), less);
  }
}

}  // namespace

Applier::Applier(mvcc::KvStore* kv, LeaseExists lease_exists, ChangesHook on_changes)
    : kv_(kv), lease_exists_(std::move(lease_exists)), on_changes_(std::move(on_changes)) {}

void Applier::EndOrDie(mvcc::WriteTxn& txn) {
  absl::Status s = txn.End();
  CHECK(s.ok()) << "failed to write the backend: " << s;
  if (on_changes_ && !txn.changes().empty()) on_changes_(txn.changes());
}

int64_t Applier::DeleteKeys(const std::vector<std::string>& keys,
                            const std::function<void(mvcc::WriteBatch&)>& extra) {
  auto txn = kv_->Write();
  for (const std::string& k : keys) txn->DeleteRange(k, "");
  extra(txn->batch());
  const int64_t rev = txn->Rev();
  EndOrDie(*txn);
  return rev;
}

bool Applier::IsReadOnly(const TxnRequest& r) { return !HasWrites(r); }

absl::StatusOr<etcdserverpb::RangeResponse> Applier::Range(const RangeRequest& r) const {
  return RangeIn(*kv_->Read(), r);
}

absl::StatusOr<etcdserverpb::RangeResponse> Applier::RangeIn(const mvcc::TxnView& txn,
                                                             const RangeRequest& r) const {
  const bool post_filter = r.sort_order() != RangeRequest::NONE || r.min_mod_revision() != 0 ||
                           r.max_mod_revision() != 0 || r.min_create_revision() != 0 ||
                           r.max_create_revision() != 0;
  mvcc::RangeOptions opts;
  // Fetch everything when the result is filtered or sorted afterwards; otherwise one extra
  // key tells whether there are more.
  opts.limit = post_filter ? 0 : (r.limit() > 0 ? r.limit() + 1 : 0);
  opts.rev = r.revision();
  opts.count_only = r.count_only();
  auto rr = txn.Range(r.key(), r.range_end(), opts);
  if (!rr.ok()) return FromMvcc(rr.status());
  std::vector<mvccpb::KeyValue>& kvs = rr->kvs;

  auto prune = [&](auto drop) { kvs.erase(std::remove_if(kvs.begin(), kvs.end(), drop), kvs.end()); };
  if (r.max_mod_revision() != 0) prune([&](const auto& kv) { return kv.mod_revision() > r.max_mod_revision(); });
  if (r.min_mod_revision() != 0) prune([&](const auto& kv) { return kv.mod_revision() < r.min_mod_revision(); });
  if (r.max_create_revision() != 0) prune([&](const auto& kv) { return kv.create_revision() > r.max_create_revision(); });
  if (r.min_create_revision() != 0) prune([&](const auto& kv) { return kv.create_revision() < r.min_create_revision(); });

  auto order = r.sort_order();
  // Results come in ascending key order; another target sorts ascending unless told otherwise.
  if (r.sort_target() != RangeRequest::KEY && order == RangeRequest::NONE) order = RangeRequest::ASCEND;
  if (order != RangeRequest::NONE) {
    const bool desc = order == RangeRequest::DESCEND;
    switch (r.sort_target()) {
      case RangeRequest::KEY:
        SortKvs(kvs, desc, [](const auto& a, const auto& b) { return a.key() < b.key(); });
        break;
      case RangeRequest::VERSION:
        SortKvs(kvs, desc, [](const auto& a, const auto& b) { return a.version() < b.version(); });
        break;
      case RangeRequest::CREATE:
        SortKvs(kvs, desc, [](const auto& a, const auto& b) { return a.create_revision() < b.create_revision(); });
        break;
      case RangeRequest::MOD:
        SortKvs(kvs, desc, [](const auto& a, const auto& b) { return a.mod_revision() < b.mod_revision(); });
        break;
      case RangeRequest::VALUE:
        SortKvs(kvs, desc, [](const auto& a, const auto& b) { return a.value() < b.value(); });
        break;
      default:
        break;
    }
  }

  etcdserverpb::RangeResponse resp;
  if (r.limit() > 0 && kvs.size() > static_cast<size_t>(r.limit())) {
    kvs.resize(static_cast<size_t>(r.limit()));
    resp.set_more(true);
  }
  resp.mutable_header()->set_revision(rr->rev);
  resp.set_count(rr->count);
  resp.mutable_kvs()->Reserve(static_cast<int>(kvs.size()));
  for (mvccpb::KeyValue& kv : kvs) {
    if (r.keys_only()) kv.clear_value();
    *resp.add_kvs() = std::move(kv);
  }
  return resp;
}

absl::StatusOr<etcdserverpb::PutResponse> Applier::Put(const etcdserverpb::PutRequest& r) {
  if (r.lease() != 0 && !lease_exists_(r.lease())) return ErrLeaseNotFound();
  auto txn = kv_->Write();
  auto resp = PutIn(*txn, r);
  EndOrDie(*txn);
  return resp;
}

absl::StatusOr<etcdserverpb::PutResponse> Applier::PutIn(mvcc::WriteTxn& txn,
                                                         const etcdserverpb::PutRequest& r) {
  etcdserverpb::PutResponse resp;
  std::string value = r.value();
  int64_t lease = r.lease();
  if (r.ignore_value() || r.ignore_lease() || r.prev_kv()) {
    auto rr = txn.Range(r.key(), "", {});
    if (!rr.ok()) return FromMvcc(rr.status());
    if ((r.ignore_value() || r.ignore_lease()) && rr->kvs.empty()) return ErrKeyNotFound();
    if (!rr->kvs.empty()) {
      if (r.ignore_value()) value = rr->kvs[0].value();
      if (r.ignore_lease()) lease = rr->kvs[0].lease();
      if (r.prev_kv()) *resp.mutable_prev_kv() = std::move(rr->kvs[0]);
    }
  }
  resp.mutable_header()->set_revision(txn.Put(r.key(), value, lease));
  return resp;
}

absl::StatusOr<etcdserverpb::DeleteRangeResponse> Applier::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& r) {
  auto txn = kv_->Write();
  etcdserverpb::DeleteRangeResponse resp = DeleteRangeIn(*txn, r);
  EndOrDie(*txn);
  return resp;
}

etcdserverpb::DeleteRangeResponse Applier::DeleteRangeIn(
    mvcc::WriteTxn& txn, const etcdserverpb::DeleteRangeRequest& r) {
  etcdserverpb::DeleteRangeResponse resp;
  if (r.prev_kv()) {
    auto rr = txn.Range(r.key(), r.range_end(), {});
    // A read at the current revision of the write transaction cannot fail.
    CHECK(rr.ok()) << rr.status();
    for (mvccpb::KeyValue& kv : rr->kvs) *resp.add_prev_kvs() = std::move(kv);
  }
  resp.set_deleted(txn.DeleteRange(r.key(), r.range_end()));
  resp.mutable_header()->set_revision(txn.Rev());
  return resp;
}

absl::StatusOr<TxnResponse> Applier::Txn(const TxnRequest& r) {
  const bool writes = HasWrites(r);
  std::unique_ptr<mvcc::ReadTxn> read;
  std::unique_ptr<mvcc::WriteTxn> write;
  mvcc::TxnView* view;
  if (writes) {
    write = kv_->Write();
    view = write.get();
  } else {
    read = kv_->Read();
    view = read.get();
  }

  std::vector<bool> path;
  ComputePath(*view, r, &path);

  // Refuse the whole txn before changing anything if an op on the taken path would fail: the
  // puts first, then the ranges, as etcd checks them. Puts with ignore_value/ignore_lease need
  // their key to exist when they run, so earlier puts and deletes on the path are followed.
  KeyPresence presence(*view);
  size_t pos = 0;
  absl::Status check = WalkPath(r, path, &pos, [&](const RequestOp& op) -> absl::Status {
    if (op.has_request_delete_range()) {
      presence.Delete(op.request_delete_range().key(), op.request_delete_range().range_end());
    } else if (op.has_request_put()) {
      const auto& put = op.request_put();
      if (put.ignore_value() || put.ignore_lease()) {
        auto exists = presence.Exists(put.key());
        if (!exists.ok()) return exists.status();
        if (!*exists) return ErrKeyNotFound();
      }
      if (put.lease() != 0 && !lease_exists_(put.lease())) return ErrLeaseNotFound();
      presence.Put(put.key());
    }
    return absl::OkStatus();
  });
  if (!check.ok()) return check;
  pos = 0;
  check = WalkPath(r, path, &pos, [&](const RequestOp& op) -> absl::Status {
    if (!op.has_request_range()) return absl::OkStatus();
    const int64_t rev = op.request_range().revision();
    if (rev > view->Rev()) return ErrFutureRev();
    if (rev != 0 && rev < view->CompactRev()) return ErrCompacted();
    return absl::OkStatus();
  });
  if (!check.ok()) return check;

  // Execute, building the response tree as we go.
  std::function<void(const TxnRequest&, TxnResponse*)> run = [&](const TxnRequest& t,
                                                                 TxnResponse* out) {
    const bool ok = path[pos++];
    out->set_succeeded(ok);
    out->mutable_header();
    for (const RequestOp& op : ok ? t.success() : t.failure()) {
      etcdserverpb::ResponseOp* resp = out->add_responses();
      if (op.has_request_range()) {
        auto rr = RangeIn(*view, op.request_range());
        CHECK(rr.ok()) << "range in txn failed after its checks passed: " << rr.status();
        *resp->mutable_response_range() = std::move(*rr);
      } else if (op.has_request_put()) {
        auto pr = PutIn(*write, op.request_put());
        CHECK(pr.ok()) << "put in txn failed after its checks passed: " << pr.status();
        *resp->mutable_response_put() = std::move(*pr);
      } else if (op.has_request_delete_range()) {
        *resp->mutable_response_delete_range() = DeleteRangeIn(*write, op.request_delete_range());
      } else if (op.has_request_txn()) {
        run(op.request_txn(), resp->mutable_response_txn());
      }
    }
  };
  TxnResponse resp;
  pos = 0;
  run(r, &resp);
  resp.mutable_header()->set_revision(view->Rev());
  if (write) EndOrDie(*write);
  return resp;
}

absl::StatusOr<etcdserverpb::CompactionResponse> Applier::Compaction(
    const etcdserverpb::CompactionRequest& r) {
  absl::Status s = kv_->Compact(r.revision());
  if (!s.ok()) return FromMvcc(s);
  etcdserverpb::CompactionResponse resp;
  resp.mutable_header()->set_revision(kv_->Rev());
  return resp;
}

}  // namespace etcd::server
