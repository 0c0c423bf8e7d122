#include "server/concurrency.h"

#include <cstdio>
#include <future>
#include <thread>

#include "server/errors.h"

namespace etcd::server {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RangeRequest;

// Calls an asynchronous EtcdApi method and waits for its answer.
template <typename Request, typename Response>
absl::StatusOr<Response> Call(api::EtcdApi* api,
                              void (api::EtcdApi::*method)(const Request&, api::Done<Response>),
                              const Request& req) {
  std::promise<absl::StatusOr<Response>> answer;
  auto future = answer.get_future();
  (api->*method)(req, [&answer](absl::StatusOr<Response> r) { answer.set_value(std::move(r)); });
  return future.get();
}

// The end of the range of keys starting with `prefix` (etcd's GetPrefixRangeEnd).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) < 0xff) {
      prefix.back() = static_cast<char>(prefix.back() + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // every key
}

std::string LeaseKey(const std::string& prefix, int64_t lease) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%llx", static_cast<unsigned long long>(lease));
  return prefix + hex;
}

// The ops of etcd's clientv3 helpers.
etcdserverpb::RequestOp GetKey(const std::string& key) {
  etcdserverpb::RequestOp op;
  op.mutable_request_range()->set_key(key);
  return op;
}
etcdserverpb::RequestOp GetFirstCreated(const std::string& prefix) {
  etcdserverpb::RequestOp op;
  RangeRequest* r = op.mutable_request_range();
  r->set_key(prefix);
  r->set_range_end(PrefixEnd(prefix));
  r->set_sort_target(RangeRequest::CREATE);
  r->set_sort_order(RangeRequest::ASCEND);
  r->set_limit(1);
  return op;
}
etcdserverpb::RequestOp PutKey(const std::string& key, const std::string& value, int64_t lease) {
  etcdserverpb::RequestOp op;
  op.mutable_request_put()->set_key(key);
  op.mutable_request_put()->set_value(value);
  op.mutable_request_put()->set_lease(lease);
  return op;
}
Compare CreateRevisionIs(const std::string& key, int64_t rev) {
  Compare c;
  c.set_key(key);
  c.set_target(Compare::CREATE);
  c.set_result(Compare::EQUAL);
  c.set_create_revision(rev);
  return c;
}

// Deletes `key`, whatever the outcome: the key a Lock or Campaign created for itself, given
// up when its wait for its turn fails, as etcd's Mutex.Lock and Election.Campaign do, so that
// those queued behind it do not wait for it.
void GiveUpKey(api::EtcdApi* api, const std::string& key) {
  etcdserverpb::DeleteRangeRequest del;
  del.set_key(key);
  (void)Call(api, &api::EtcdApi::DeleteRange, del);
}

// Answers `done` with `resp`'s error, or with an Out that carries `resp`'s header alone.
template <typename Out, typename In>
void AnswerHeader(absl::StatusOr<In> resp, api::Done<Out> done) {
  if (!resp.ok()) {
    std::move(done)(resp.status());
    return;
  }
  Out out;
  *out.mutable_header() = resp->header();
  std::move(done)(std::move(out));
}

absl::Status ErrElectionNotLeader() { return absl::UnknownError("election: not leader"); }
absl::Status ErrElectionNoLeader() { return absl::UnknownError("election: no leader"); }

}  // namespace

Concurrency::Concurrency(api::EtcdApi* api) : api_(api) {}

void Concurrency::Stop() {
  stopping_ = true;
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return workers_ == 0; });
}

Concurrency::~Concurrency() { Stop(); }

void Concurrency::Spawn(absl::AnyInvocable<void() &&> work) {
  {
    std::lock_guard lock(mu_);
    ++workers_;
  }
  std::thread([this, work = std::move(work)]() mutable {
    std::move(work)();
    std::lock_guard lock(mu_);
    if (--workers_ == 0) idle_.notify_all();
  }).detach();
}

absl::StatusOr<etcdserverpb::RangeResponse> Concurrency::FirstCreated(const std::string& prefix) {
  return Call(api_, &api::EtcdApi::Range, GetFirstCreated(prefix).request_range());
}

namespace {

// A watch session's "something to read" signal. Shared with the session's callback, which the
// watchable store may still call after the session is destroyed: it must not point into the
// stack frame of the waiting call.
struct WatchSignal {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;  // guarded by mu

  void Notify() {
    std::lock_guard lock(mu);
    ready = true;
    cv.notify_all();
  }
  // Waits for a Notify (or `timeout`, or `stopping`), and consumes it.
  void Wait(std::chrono::milliseconds timeout, const std::atomic<bool>& stopping) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, timeout, [&] { return ready || stopping.load(); });
    ready = false;
  }
};

}  // namespace

absl::Status Concurrency::WaitDelete(const std::string& key, int64_t rev,
                                     const std::function<bool()>& alive) {
  auto signal = std::make_shared<WatchSignal>();
  auto session = api_->NewWatchSession([signal] { signal->Notify(); });
  etcdserverpb::WatchRequest req;
  req.mutable_create_request()->set_key(key);
  req.mutable_create_request()->set_start_revision(rev);
  req.mutable_create_request()->add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
  session->Request(req);
  while (!stopping_) {
    if (!alive()) return absl::CancelledError("context canceled");
    while (auto resp = session->Next()) {
      if (resp->compact_revision() != 0) return ErrCompacted();
      for (const auto& ev : resp->events()) {
        if (ev.type() == mvccpb::Event::DELETE) return absl::OkStatus();
      }
    }
    signal->Wait(std::chrono::milliseconds(100), stopping_);
  }
  return ErrStopped();
}

absl::StatusOr<etcdserverpb::ResponseHeader> Concurrency::WaitDeletes(
    const std::string& prefix, int64_t max_create_rev, const std::function<bool()>& alive) {
  while (true) {
    RangeRequest r;
    r.set_key(prefix);
    r.set_range_end(PrefixEnd(prefix));
    r.set_max_create_revision(max_create_rev);
    r.set_sort_target(RangeRequest::CREATE);
    r.set_sort_order(RangeRequest::DESCEND);
    r.set_limit(1);
    auto resp = Call(api_, &api::EtcdApi::Range, r);
    if (!resp.ok()) return resp.status();
    if (resp->kvs().empty()) return resp->header();
    if (absl::Status s = WaitDelete(resp->kvs(0).key(), resp->header().revision(), alive);
        !s.ok()) {
      return s;
    }
  }
}

void Concurrency::Lock(const v3lockpb::LockRequest& r, std::function<bool()> alive,
                       api::Done<v3lockpb::LockResponse> done) {
  Spawn([this, name = r.name(), lease = r.lease(), alive = std::move(alive),
         done = std::move(done)]() mutable {
    const std::string prefix = name + "/";
    const std::string key = LeaseKey(prefix, lease);
    etcdserverpb::TxnRequest txn;
    *txn.add_compare() = CreateRevisionIs(key, 0);
    *txn.add_success() = PutKey(key, "", lease);
    *txn.add_success() = GetFirstCreated(prefix);
    *txn.add_failure() = GetKey(key);
    *txn.add_failure() = GetFirstCreated(prefix);
    auto resp = Call(api_, &api::EtcdApi::Txn, txn);
    if (!resp.ok()) {
      std::move(done)(resp.status());
      return;
    }
    int64_t my_rev = resp->header().revision();
    if (!resp->succeeded()) my_rev = resp->responses(0).response_range().kvs(0).create_revision();
    const auto& owner = resp->responses(1).response_range().kvs();
    v3lockpb::LockResponse out;
    out.set_key(key);
    if (owner.empty() || owner[0].create_revision() == my_rev) {
      *out.mutable_header() = resp->header();
      std::move(done)(std::move(out));
      return;
    }
    auto hdr = WaitDeletes(prefix, my_rev - 1, alive);
    if (!hdr.ok()) {
      GiveUpKey(api_, key);  // the lock was not acquired
      std::move(done)(hdr.status());
      return;
    }
    *out.mutable_header() = *hdr;
    std::move(done)(std::move(out));
  });
}

void Concurrency::Unlock(const v3lockpb::UnlockRequest& r,
                         api::Done<v3lockpb::UnlockResponse> done) {
  etcdserverpb::DeleteRangeRequest del;
  del.set_key(r.key());
  api_->DeleteRange(del, [done = std::move(done)](
                             absl::StatusOr<etcdserverpb::DeleteRangeResponse> resp) mutable {
    AnswerHeader(std::move(resp), std::move(done));
  });
}

void Concurrency::Campaign(const v3electionpb::CampaignRequest& r, std::function<bool()> alive,
                           api::Done<v3electionpb::CampaignResponse> done) {
  Spawn([this, r, alive = std::move(alive), done = std::move(done)]() mutable {
    const std::string prefix = r.name() + "/";
    const std::string key = LeaseKey(prefix, r.lease());
    etcdserverpb::TxnRequest txn;
    *txn.add_compare() = CreateRevisionIs(key, 0);
    *txn.add_success() = PutKey(key, r.value(), r.lease());
    *txn.add_failure() = GetKey(key);
    auto resp = Call(api_, &api::EtcdApi::Txn, txn);
    if (!resp.ok()) {
      std::move(done)(resp.status());
      return;
    }
    v3electionpb::CampaignResponse out;
    v3electionpb::LeaderKey* leader = out.mutable_leader();
    leader->set_name(r.name());
    leader->set_key(key);
    leader->set_lease(r.lease());
    leader->set_rev(resp->header().revision());
    if (!resp->succeeded()) {
      const mvccpb::KeyValue& kv = resp->responses(0).response_range().kvs(0);
      leader->set_rev(kv.create_revision());
      if (kv.value() != r.value()) {
        v3electionpb::ProclaimRequest proclaim;
        *proclaim.mutable_leader() = *leader;
        proclaim.set_value(r.value());
        std::promise<absl::Status> p;
        Proclaim(proclaim, [&p](absl::StatusOr<v3electionpb::ProclaimResponse> pr) {
          p.set_value(pr.status());
        });
        if (absl::Status s = p.get_future().get(); !s.ok()) {
          std::move(done)(s);
          return;
        }
      }
    }
    auto hdr = WaitDeletes(prefix, leader->rev() - 1, alive);
    if (!hdr.ok()) {
      GiveUpKey(api_, key);  // a campaign given up (or failed) while waiting resigns
      std::move(done)(hdr.status());
      return;
    }
    *out.mutable_header() = resp->header();
    std::move(done)(std::move(out));
  });
}

void Concurrency::Proclaim(const v3electionpb::ProclaimRequest& r,
                           api::Done<v3electionpb::ProclaimResponse> done) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = CreateRevisionIs(r.leader().key(), r.leader().rev());
  *txn.add_success() = PutKey(r.leader().key(), r.value(), r.leader().lease());
  api_->Txn(txn, [done = std::move(done)](absl::StatusOr<etcdserverpb::TxnResponse> resp) mutable {
    if (resp.ok() && !resp->succeeded()) resp = ErrElectionNotLeader();
    AnswerHeader(std::move(resp), std::move(done));
  });
}

void Concurrency::Leader(const v3electionpb::LeaderRequest& r,
                         api::Done<v3electionpb::LeaderResponse> done) {
  // The API reads the request until it answers: keep it alive with the callback.
  auto range = std::make_shared<RangeRequest>(GetFirstCreated(r.name() + "/").request_range());
  api_->Range(*range, [range, done = std::move(done)](
                          absl::StatusOr<etcdserverpb::RangeResponse> resp) mutable {
                if (!resp.ok()) {
                  std::move(done)(resp.status());
                  return;
                }
                if (resp->kvs().empty()) {
                  std::move(done)(ErrElectionNoLeader());
                  return;
                }
                v3electionpb::LeaderResponse out;
                *out.mutable_header() = resp->header();
                *out.mutable_kv() = resp->kvs(0);
                std::move(done)(std::move(out));
              });
}

void Concurrency::Resign(const v3electionpb::ResignRequest& r,
                         api::Done<v3electionpb::ResignResponse> done) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = CreateRevisionIs(r.leader().key(), r.leader().rev());
  txn.add_success()->mutable_request_delete_range()->set_key(r.leader().key());
  api_->Txn(txn, [done = std::move(done)](absl::StatusOr<etcdserverpb::TxnResponse> resp) mutable {
    AnswerHeader(std::move(resp), std::move(done));
  });
}

void Concurrency::Observe(const v3electionpb::LeaderRequest& r,
                          std::function<void(v3electionpb::LeaderResponse)> send,
                          std::function<bool()> alive, api::Done<bool> done) {
  Spawn([this, name = r.name(), send = std::move(send), alive = std::move(alive),
         done = std::move(done)]() mutable {
    const std::string prefix = name + "/";
    auto signal = std::make_shared<WatchSignal>();
    auto session = api_->NewWatchSession([signal] { signal->Notify(); });
    // Watch the whole election; after each change, report the leader if it changed.
    etcdserverpb::WatchRequest req;
    req.mutable_create_request()->set_key(prefix);
    req.mutable_create_request()->set_range_end(PrefixEnd(prefix));
    session->Request(req);
    std::string last_key;
    int64_t last_mod = 0;
    bool changed = true;
    while (!stopping_ && alive()) {
      if (changed) {
        auto leader = FirstCreated(prefix);
        if (!leader.ok()) {
          std::move(done)(leader.status());
          return;
        }
        if (!leader->kvs().empty() &&
            (leader->kvs(0).key() != last_key || leader->kvs(0).mod_revision() != last_mod)) {
          last_key = leader->kvs(0).key();
          last_mod = leader->kvs(0).mod_revision();
          v3electionpb::LeaderResponse out;
          *out.mutable_header() = leader->header();
          *out.mutable_kv() = leader->kvs(0);
          send(std::move(out));
        }
        changed = false;
      }
      while (auto resp = session->Next()) changed |= resp->events_size() > 0;
      if (changed) continue;
      signal->Wait(std::chrono::milliseconds(100), stopping_);
    }
    std::move(done)(true);
  });
}

}  // namespace etcd::server
