#include "server/watch_session.h"

namespace etcd::server {

WatchSession::WatchSession(mvcc::KvStore* kv, mvcc::WatchableStore* watchable,
                           HeaderFiller fill_header, std::function<void()> on_ready,
                           int64_t max_response_bytes)
    : kv_(kv),
      fill_header_(std::move(fill_header)),
      on_ready_(std::move(on_ready)),
      max_response_bytes_(max_response_bytes),
      stream_(watchable->NewStream(on_ready_)) {}

void WatchSession::Request(const etcdserverpb::WatchRequest& r) {
  switch (r.request_union_case()) {
    case etcdserverpb::WatchRequest::kCreateRequest:
      Create(r.create_request());
      break;
    case etcdserverpb::WatchRequest::kCancelRequest:
      if (stream_->Cancel(r.cancel_request().watch_id())) {
        std::lock_guard lock(mu_);
        prev_kv_.erase(r.cancel_request().watch_id());
        fragment_.erase(r.cancel_request().watch_id());
      }
      break;
    case etcdserverpb::WatchRequest::kProgressRequest:
      stream_->RequestProgress();
      break;
    default:
      break;
  }
}

void WatchSession::Create(const etcdserverpb::WatchCreateRequest& r) {
  mvcc::WatchSpec spec;
  // As etcd: no key means the smallest key; "\0" as range end means every key from `key`.
  spec.key = r.key().empty() ? std::string(1, '\0') : r.key();
  spec.end = r.range_end();
  spec.start_rev = r.start_revision();
  spec.progress_notify = r.progress_notify();
  for (int f : r.filters()) {
    if (f == etcdserverpb::WatchCreateRequest::NOPUT) spec.no_put = true;
    if (f == etcdserverpb::WatchCreateRequest::NODELETE) spec.no_delete = true;
  }
  const int64_t rev = kv_->Rev();
  {
    // Under mu_, so that Next() cannot hand out this watcher's first events before its
    // prev_kv wish is recorded.
    std::lock_guard lock(mu_);
    auto id = stream_->Watch(r.watch_id(), spec);
    if (!id.ok()) {
      etcdserverpb::WatchResponse err;
      fill_header_(err.mutable_header());
      err.mutable_header()->set_revision(rev);
      err.set_watch_id(-1);
      err.set_created(true);
      err.set_canceled(true);
      err.set_cancel_reason(std::string(id.status().message()));
      errors_.push_back(std::move(err));
    } else {
      if (r.prev_kv()) prev_kv_.insert(*id);
      if (r.fragment()) fragment_.insert(*id);
    }
  }
  on_ready_();
}

std::optional<etcdserverpb::WatchResponse> WatchSession::Next() {
  bool want_prev_kv, want_fragments;
  mvcc::WatchResponse r;
  {
    std::lock_guard lock(mu_);
    for (auto* queue : {&parts_, &errors_}) {
      if (!queue->empty()) {
        etcdserverpb::WatchResponse e = std::move(queue->front());
        queue->pop_front();
        return e;
      }
    }
    auto next = stream_->Next();
    if (!next) return std::nullopt;
    r = std::move(*next);
    want_prev_kv = prev_kv_.contains(r.watch_id);
    want_fragments = fragment_.contains(r.watch_id);
    if (r.canceled) {
      prev_kv_.erase(r.watch_id);
      fragment_.erase(r.watch_id);
    }
  }
  if (want_prev_kv) {
    for (mvccpb::Event& ev : r.events) {
      // The key as it was just before this event; nothing if it did not exist or that
      // revision is compacted (etcd leaves prev_kv out then too).
      auto prev = kv_->Read()->Range(ev.kv().key(), "", {.rev = ev.kv().mod_revision() - 1});
      if (prev.ok() && !prev->kvs.empty()) *ev.mutable_prev_kv() = std::move(prev->kvs[0]);
    }
  }
  etcdserverpb::WatchResponse out = Convert(std::move(r));
  if (want_fragments) return Fragment(std::move(out));
  return out;
}

etcdserverpb::WatchResponse WatchSession::Fragment(etcdserverpb::WatchResponse r) {
  if (static_cast<int64_t>(r.ByteSizeLong()) < max_response_bytes_ || r.events_size() < 2) return r;
  std::vector<etcdserverpb::WatchResponse> parts;
  etcdserverpb::WatchResponse shell = r;
  shell.clear_events();
  shell.set_fragment(true);
  int next = 0;
  while (next < r.events_size()) {
    etcdserverpb::WatchResponse part = shell;
    // Each part holds at least one event, and stops before the event that would exceed the limit.
    while (next < r.events_size()) {
      *part.add_events() = r.events(next);
      if (part.events_size() > 1 && static_cast<int64_t>(part.ByteSizeLong()) >= max_response_bytes_) {
        part.mutable_events()->RemoveLast();
        break;
      }
      ++next;
    }
    parts.push_back(std::move(part));
  }
  parts.back().set_fragment(false);
  {
    std::lock_guard lock(mu_);
    // Ahead of anything else queued, so the parts go out together and in order.
    for (size_t i = parts.size(); i-- > 1;) parts_.push_front(std::move(parts[i]));
  }
  return std::move(parts[0]);
}

etcdserverpb::WatchResponse WatchSession::Convert(mvcc::WatchResponse r) {
  etcdserverpb::WatchResponse out;
  fill_header_(out.mutable_header());
  out.mutable_header()->set_revision(r.revision);
  out.set_watch_id(r.watch_id);
  out.set_created(r.created);
  out.set_canceled(r.canceled);
  out.set_compact_revision(r.compact_revision);
  out.set_cancel_reason(r.cancel_reason);
  for (mvccpb::Event& ev : r.events) *out.add_events() = std::move(ev);
  return out;
}

}  // namespace etcd::server
