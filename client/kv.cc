#include "client/kv.h"

#include "client/internal/connection.h"

namespace etcd::client {
namespace {

// Applies prefix / from_key / range_end as clientv3's WithPrefix and WithFromKey do: an empty
// key with either means every key ("\0").
void SetRange(std::string_view key, const std::string& range_end, bool prefix, bool from_key,
              std::string* out_key, std::string* out_end) {
  *out_key = std::string(key);
  if (prefix) {
    if (key.empty()) *out_key = std::string(1, '\0');
    *out_end = PrefixEnd(key);
  } else if (from_key) {
    if (key.empty()) *out_key = std::string(1, '\0');
    *out_end = std::string(1, '\0');
  } else {
    *out_end = range_end;
  }
}

}  // namespace

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  for (int i = static_cast<int>(end.size()) - 1; i >= 0; --i) {
    if (static_cast<unsigned char>(end[i]) < 0xff) {
      end[i] = static_cast<char>(static_cast<unsigned char>(end[i]) + 1);
      end.resize(i + 1);
      return end;
    }
  }
  return std::string(1, '\0');  // no upper bound: every key from the prefix on
}

etcdserverpb::RangeRequest MakeRangeRequest(std::string_view key, const GetOptions& o) {
  etcdserverpb::RangeRequest r;
  SetRange(key, o.range_end, o.prefix, o.from_key, r.mutable_key(), r.mutable_range_end());
  r.set_revision(o.revision);
  r.set_limit(o.limit);
  r.set_sort_order(o.sort_order);
  r.set_sort_target(o.sort_target);
  r.set_serializable(o.serializable);
  r.set_keys_only(o.keys_only);
  r.set_count_only(o.count_only);
  r.set_min_mod_revision(o.min_mod_revision);
  r.set_max_mod_revision(o.max_mod_revision);
  r.set_min_create_revision(o.min_create_revision);
  r.set_max_create_revision(o.max_create_revision);
  return r;
}

etcdserverpb::PutRequest MakePutRequest(std::string_view key, std::string_view value,
                                        const PutOptions& o) {
  etcdserverpb::PutRequest r;
  r.set_key(std::string(key));
  r.set_value(std::string(value));
  r.set_lease(o.lease);
  r.set_prev_kv(o.prev_kv);
  r.set_ignore_value(o.ignore_value);
  r.set_ignore_lease(o.ignore_lease);
  return r;
}

etcdserverpb::DeleteRangeRequest MakeDeleteRequest(std::string_view key, const DeleteOptions& o) {
  etcdserverpb::DeleteRangeRequest r;
  SetRange(key, o.range_end, o.prefix, o.from_key, r.mutable_key(), r.mutable_range_end());
  r.set_prev_kv(o.prev_kv);
  return r;
}

Compare::Compare(std::string_view key, Result result,
                 etcdserverpb::Compare::CompareTarget target) {
  proto_.set_key(std::string(key));
  proto_.set_result(static_cast<etcdserverpb::Compare::CompareResult>(result));
  proto_.set_target(target);
}

Compare Compare::Value(std::string_view key, Result result, std::string_view value) {
  Compare c(key, result, etcdserverpb::Compare::VALUE);
  c.proto_.set_value(std::string(value));
  return c;
}

Compare Compare::Version(std::string_view key, Result result, int64_t version) {
  Compare c(key, result, etcdserverpb::Compare::VERSION);
  c.proto_.set_version(version);
  return c;
}

Compare Compare::CreateRevision(std::string_view key, Result result, int64_t revision) {
  Compare c(key, result, etcdserverpb::Compare::CREATE);
  c.proto_.set_create_revision(revision);
  return c;
}

Compare Compare::ModRevision(std::string_view key, Result result, int64_t revision) {
  Compare c(key, result, etcdserverpb::Compare::MOD);
  c.proto_.set_mod_revision(revision);
  return c;
}

Compare Compare::Lease(std::string_view key, Result result, int64_t lease_id) {
  Compare c(key, result, etcdserverpb::Compare::LEASE);
  c.proto_.set_lease(lease_id);
  return c;
}

Compare& Compare::WithRange(std::string_view range_end) {
  proto_.set_range_end(std::string(range_end));
  return *this;
}

Compare& Compare::WithPrefix() {
  proto_.set_range_end(PrefixEnd(proto_.key()));  // as clientv3's Cmp.WithPrefix
  return *this;
}

Op Op::Get(std::string_view key, const GetOptions& options) {
  Op op;
  *op.proto_.mutable_request_range() = MakeRangeRequest(key, options);
  return op;
}

Op Op::Put(std::string_view key, std::string_view value, const PutOptions& options) {
  Op op;
  *op.proto_.mutable_request_put() = MakePutRequest(key, value, options);
  return op;
}

Op Op::Delete(std::string_view key, const DeleteOptions& options) {
  Op op;
  *op.proto_.mutable_request_delete_range() = MakeDeleteRequest(key, options);
  return op;
}

Op Op::Txn(const std::vector<Compare>& compares, const std::vector<Op>& then_ops,
           const std::vector<Op>& else_ops) {
  Op op;
  etcdserverpb::TxnRequest* txn = op.proto_.mutable_request_txn();
  for (const Compare& c : compares) *txn->add_compare() = c.proto();
  for (const Op& o : then_ops) *txn->add_success() = o.proto();
  for (const Op& o : else_ops) *txn->add_failure() = o.proto();
  return op;
}

Txn& Txn::If(const std::vector<Compare>& compares) {
  for (const Compare& c : compares) *request_.add_compare() = c.proto();
  return *this;
}

Txn& Txn::Then(const std::vector<Op>& ops) {
  for (const Op& o : ops) *request_.add_success() = o.proto();
  return *this;
}

Txn& Txn::Else(const std::vector<Op>& ops) {
  for (const Op& o : ops) *request_.add_failure() = o.proto();
  return *this;
}

absl::StatusOr<etcdserverpb::TxnResponse> Txn::Commit() const {
  return internal::Unary<etcdserverpb::TxnResponse>(
      *connection_, internal::Retry::kIfNotSent, connection_->RequestDeadline(),
      [&](internal::Stubs& s, grpc::ClientContext* ctx, etcdserverpb::TxnResponse* out) {
        return s.kv->Txn(ctx, request_, out);
      });
}

}  // namespace etcd::client
