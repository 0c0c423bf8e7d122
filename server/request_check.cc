#include "server/request_check.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "server/errors.h"

namespace etcd::server {
namespace {

using etcdserverpb::RequestOp;

absl::Status CheckTxnOps(const etcdserverpb::TxnRequest& r, int max_txn_ops);

absl::Status CheckRequestOp(const RequestOp& op, int max_txn_ops) {
  switch (op.request_case()) {
    case RequestOp::kRequestRange:
      return CheckRange(op.request_range());
    case RequestOp::kRequestPut:
      return CheckPut(op.request_put());
    case RequestOp::kRequestDeleteRange:
      return CheckDeleteRange(op.request_delete_range());
    case RequestOp::kRequestTxn:
      return CheckTxnOps(op.request_txn(), max_txn_ops);
    default:
      return ErrKeyNotFound();
  }
}

// A half-open key interval [begin, end); a single key k is [k, k + "\0"). As in etcd, an end
// that sorts before its begin (such as the from-key marker "\0") makes an empty interval.
struct Interval {
  std::string begin, end;
  bool Contains(const std::string& key) const { return begin <= key && key < end; }
};

struct PutsAndDeletes {
  std::set<std::string> puts;
  std::vector<Interval> deletes;
  bool DeletesKey(const std::string& key) const {
    return std::any_of(deletes.begin(), deletes.end(),
                       [&](const Interval& iv) { return iv.Contains(key); });
  }
};

// etcd's checkIntervals: within the ops that one execution can run, no key may be put twice,
// nor both put and deleted.
absl::Status CheckIntervals(const google::protobuf::RepeatedPtrField<RequestOp>& ops,
                            PutsAndDeletes* out) {
  for (const RequestOp& op : ops) {
    if (!op.has_request_delete_range()) continue;
    const auto& d = op.request_delete_range();
    out->deletes.push_back(
        Interval{d.key(), d.range_end().empty() ? d.key() + std::string(1, '\0') : d.range_end()});
  }
  for (const RequestOp& op : ops) {
    if (!op.has_request_txn()) continue;
    PutsAndDeletes then_branch, else_branch;
    if (auto s = CheckIntervals(op.request_txn().success(), &then_branch); !s.ok()) return s;
    if (auto s = CheckIntervals(op.request_txn().failure(), &else_branch); !s.ok()) return s;
    for (const std::string& k : then_branch.puts) {
      if (out->puts.contains(k) || out->DeletesKey(k)) return ErrDuplicateKey();
      out->puts.insert(k);
    }
    for (const std::string& k : else_branch.puts) {
      // A key put by both branches is fine: only one of them runs.
      if (out->puts.contains(k) && !then_branch.puts.contains(k)) return ErrDuplicateKey();
      if (out->DeletesKey(k)) return ErrDuplicateKey();
      out->puts.insert(k);
    }
    for (auto* branch : {&then_branch, &else_branch}) {
      out->deletes.insert(out->deletes.end(), branch->deletes.begin(), branch->deletes.end());
    }
  }
  for (const RequestOp& op : ops) {
    if (!op.has_request_put()) continue;
    const std::string& k = op.request_put().key();
    if (out->puts.contains(k) || out->DeletesKey(k)) return ErrDuplicateKey();
    out->puts.insert(k);
  }
  return absl::OkStatus();
}

absl::Status CheckTxnOps(const etcdserverpb::TxnRequest& r, int max_txn_ops) {
  const int ops = std::max({r.compare_size(), r.success_size(), r.failure_size()});
  if (ops > max_txn_ops) return ErrTooManyOps();
  for (const auto& c : r.compare()) {
    if (c.key().empty()) return ErrEmptyKey();
  }
  for (const auto* branch : {&r.success(), &r.failure()}) {
    for (const RequestOp& op : *branch) {
      if (auto s = CheckRequestOp(op, max_txn_ops - ops); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckRange(const etcdserverpb::RangeRequest& r) {
  return r.key().empty() ? ErrEmptyKey() : absl::OkStatus();
}

absl::Status CheckPut(const etcdserverpb::PutRequest& r) {
  if (r.key().empty()) return ErrEmptyKey();
  if (r.ignore_value() && !r.value().empty()) return ErrValueProvided();
  if (r.ignore_lease() && r.lease() != 0) return ErrLeaseProvided();
  return absl::OkStatus();
}

absl::Status CheckDeleteRange(const etcdserverpb::DeleteRangeRequest& r) {
  return r.key().empty() ? ErrEmptyKey() : absl::OkStatus();
}

absl::Status CheckTxn(const etcdserverpb::TxnRequest& r, int max_txn_ops) {
  if (auto s = CheckTxnOps(r, max_txn_ops); !s.ok()) return s;
  PutsAndDeletes then_branch, else_branch;
  if (auto s = CheckIntervals(r.success(), &then_branch); !s.ok()) return s;
  return CheckIntervals(r.failure(), &else_branch);
}

}  // namespace etcd::server
