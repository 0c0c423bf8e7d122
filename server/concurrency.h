// The Lock and Election services (v3lockpb.Lock, v3electionpb.Election) with etcd 3.4's
// semantics (go.etcd.io/etcd/clientv3/concurrency, used by etcd's v3lock and v3election
// servers), built only on the KV and Watch API of the server:
// - a lock or a campaign is a key `<name>/<lease in hex>` attached to the caller's lease;
// - the owner is the key of the name with the lowest create revision;
// - a waiter waits for the deletion of the key created just before its own, then re-checks.
//
// Waiting calls (Lock, Campaign, Observe) run on a worker thread each until they finish, so
// that no gRPC or Raft thread ever blocks. Thread-safe.
#ifndef ETCD_SERVER_CONCURRENCY_H_
#define ETCD_SERVER_CONCURRENCY_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "api/v3electionpb/v3election.pb.h"
#include "api/v3lockpb/v3lock.pb.h"
#include "absl/functional/any_invocable.h"
#include "api/v3rpc/etcd_api.h"

namespace etcd::server {

class Concurrency final : public api::ConcurrencyApi {
 public:
  // `api` (not owned) must outlive this object.
  explicit Concurrency(api::EtcdApi* api);
  // Makes waiting calls fail (ErrStopped) and waits for their threads to end. Idempotent; call
  // it before the gRPC server shuts down, so every call is answered first.
  void Stop();
  ~Concurrency() override;

  void Lock(const v3lockpb::LockRequest& r, std::function<bool()> alive,
            api::Done<v3lockpb::LockResponse> done) override;
  void Unlock(const v3lockpb::UnlockRequest& r, api::Done<v3lockpb::UnlockResponse> done) override;
  void Campaign(const v3electionpb::CampaignRequest& r, std::function<bool()> alive,
                api::Done<v3electionpb::CampaignResponse> done) override;
  void Proclaim(const v3electionpb::ProclaimRequest& r,
                api::Done<v3electionpb::ProclaimResponse> done) override;
  void Leader(const v3electionpb::LeaderRequest& r,
              api::Done<v3electionpb::LeaderResponse> done) override;
  void Resign(const v3electionpb::ResignRequest& r,
              api::Done<v3electionpb::ResignResponse> done) override;
  void Observe(const v3electionpb::LeaderRequest& r,
               std::function<void(v3electionpb::LeaderResponse)> send,
               std::function<bool()> alive, api::Done<bool> done) override;

 private:
  // Runs `work` on a new worker thread.
  void Spawn(absl::AnyInvocable<void() &&> work);
  // Waits until no key of `prefix` with create revision <= max_create_rev is left; returns
  // the header of the last read. Errors: the API's; ErrStopped() when shutting down.
  absl::StatusOr<etcdserverpb::ResponseHeader> WaitDeletes(const std::string& prefix,
                                                           int64_t max_create_rev,
                                                           const std::function<bool()>& alive);
  // Waits for the deletion of `key` at or after revision `rev`.
  absl::Status WaitDelete(const std::string& key, int64_t rev,
                          const std::function<bool()>& alive);
  // The current leader of election `name` (the key with the lowest create revision).
  absl::StatusOr<etcdserverpb::RangeResponse> FirstCreated(const std::string& prefix);

  api::EtcdApi* const api_;
  std::mutex mu_;
  std::condition_variable idle_;
  int workers_ = 0;        // guarded by mu_
  std::atomic<bool> stopping_{false};
};

}  // namespace etcd::server

#endif  // ETCD_SERVER_CONCURRENCY_H_
