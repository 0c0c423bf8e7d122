// One client Watch stream on the server: turns etcdserverpb Watch requests into watchers of the
// watchable store and the store's responses into etcdserverpb WatchResponses, as etcd 3.4's
// v3rpc watch server does (empty key means "\0", range_end "\0" means every key from `key`,
// start_revision 0 means "after now", filters NOPUT/NODELETE, prev_kv looked up at the revision
// before each event, compaction cancels with compact_revision, a bad create answers
// created+canceled with the reason).
#ifndef ETCD_SERVER_WATCH_SESSION_H_
#define ETCD_SERVER_WATCH_SESSION_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "api/v3rpc/etcd_api.h"
#include "mvcc/kv_store.h"
#include "mvcc/watchable_store.h"

namespace etcd::server {

class WatchSession final : public api::WatchSession {
 public:
  // Fills the non-revision fields of each response header.
  using HeaderFiller = std::function<void(etcdserverpb::ResponseHeader*)>;

  // `kv` and `watchable` are not owned and must outlive the session.
  // Responses of watchers created with `fragment` are split into parts of at most
  // `max_response_bytes` (etcd's --max-request-bytes), each but the last marked fragment.
  WatchSession(mvcc::KvStore* kv, mvcc::WatchableStore* watchable, HeaderFiller fill_header,
               std::function<void()> on_ready, int64_t max_response_bytes);

  void Request(const etcdserverpb::WatchRequest& r) override;
  std::optional<etcdserverpb::WatchResponse> Next() override;

 private:
  void Create(const etcdserverpb::WatchCreateRequest& r);
  etcdserverpb::WatchResponse Convert(mvcc::WatchResponse r);
  // Splits `r` as etcd's sendFragments: queues all parts but the first, returns the first.
  etcdserverpb::WatchResponse Fragment(etcdserverpb::WatchResponse r);

  mvcc::KvStore* const kv_;
  const HeaderFiller fill_header_;
  const std::function<void()> on_ready_;
  const int64_t max_response_bytes_;
  std::unique_ptr<mvcc::WatchStream> stream_;

  std::mutex mu_;
  std::deque<etcdserverpb::WatchResponse> errors_;  // guarded by mu_: failed creates
  std::set<int64_t> prev_kv_;                       // guarded by mu_: watchers wanting prev_kv
  std::set<int64_t> fragment_;                      // guarded by mu_: watchers wanting fragments
  std::deque<etcdserverpb::WatchResponse> parts_;   // guarded by mu_: fragments still to send
};

}  // namespace etcd::server

#endif  // ETCD_SERVER_WATCH_SESSION_H_
