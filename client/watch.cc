#include "client/watch.h"

#include <glog/logging.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "client/internal/connection.h"
#include "client/kv.h"

namespace etcd::client {
namespace internal {

// One watch as the stream's reader sees it. Guarded by the owning stream's mu_.
struct WatchState {
  int64_t id = -1;
  etcdserverpb::WatchResponse created;
  std::deque<etcdserverpb::WatchResponse> queue;
  std::optional<etcdserverpb::WatchResponse> partial;  // fragments received so far
  bool ended = false;       // nothing more will be queued
  absl::Status end_status;  // what Next returns once the queue is drained
};

// One gRPC Watch stream and the thread that reads it.
class GrpcWatchStream {
 public:
  // Opens a stream on the first connected endpoint. Errors: as Connection::PickReady.
  static absl::StatusOr<std::shared_ptr<GrpcWatchStream>> Open(
      const std::shared_ptr<Connection>& connection, Clock::time_point deadline);
  ~GrpcWatchStream();

  // Sends a create request and waits for the server's answer until `deadline`.
  absl::StatusOr<std::shared_ptr<WatchState>> Create(const etcdserverpb::WatchCreateRequest& r,
                                                     Clock::time_point deadline);
  // Cancels a watch and waits for the server's confirmation, at most the request timeout.
  absl::Status Cancel(WatchState* state);
  // Forgets a watch and asks the server to cancel it, without waiting.
  void Drop(WatchState* state);
  absl::Status RequestProgress();
  absl::StatusOr<etcdserverpb::WatchResponse> Next(WatchState* state,
                                                   std::chrono::milliseconds timeout);
  // Whether new watches can be created on this stream.
  bool Usable();
  int endpoint() const { return endpoint_; }

  // Whether Create failed because the stream broke (rather than a refusal of the server).
  bool broken() {
    std::lock_guard lock(mu_);
    return broken_;
  }

 private:
  GrpcWatchStream(std::shared_ptr<Connection> connection, int endpoint);
  void ReadLoop();
  void Dispatch(etcdserverpb::WatchResponse r);  // REQUIRES: mu_ held
  bool Write(const etcdserverpb::WatchRequest& r);
  static void End(WatchState* state, absl::Status status);  // REQUIRES: owner's mu_ held

  const std::shared_ptr<Connection> connection_;
  const int endpoint_;
  grpc::ClientContext context_;
  std::unique_ptr<etcdserverpb::Watch::Stub> stub_;
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
      stream_;
  std::thread reader_;

  std::mutex create_mu_;  // one creation at a time, so the `created` answer is unambiguous
  std::mutex write_mu_;   // gRPC allows one Write at a time; Finish excludes writes too
  bool write_closed_ = false;  // guarded by write_mu_

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, std::shared_ptr<WatchState>> watches_;  // guarded by mu_
  // The creation waiting for its answer, and the answer.
  std::shared_ptr<WatchState> pending_;                 // guarded by mu_
  std::optional<etcdserverpb::WatchResponse> answer_;   // guarded by mu_
  bool broken_ = false;       // guarded by mu_: the stream ended
  bool poisoned_ = false;     // guarded by mu_: an answer may still come for an abandoned create
  absl::Status status_;       // guarded by mu_: why the stream ended
};

GrpcWatchStream::GrpcWatchStream(std::shared_ptr<Connection> connection, int endpoint)
    : connection_(std::move(connection)), endpoint_(endpoint) {}

absl::StatusOr<std::shared_ptr<GrpcWatchStream>> GrpcWatchStream::Open(
    const std::shared_ptr<Connection>& connection, Clock::time_point deadline) {
  auto picked = connection->PickReady(deadline);
  if (!picked.ok()) return picked.status();
  std::shared_ptr<GrpcWatchStream> s(new GrpcWatchStream(connection, *picked));
  s->stub_ = etcdserverpb::Watch::NewStub(connection->channel(*picked));
  s->stream_ = s->stub_->Watch(&s->context_);
  s->reader_ = std::thread([raw = s.get()] { raw->ReadLoop(); });
  return s;
}

GrpcWatchStream::~GrpcWatchStream() {
  context_.TryCancel();
  if (reader_.joinable()) reader_.join();
}

bool GrpcWatchStream::Write(const etcdserverpb::WatchRequest& r) {
  std::lock_guard lock(write_mu_);
  if (write_closed_) return false;
  return stream_->Write(r);
}

void GrpcWatchStream::End(WatchState* state, absl::Status status) {
  if (state->ended) return;
  state->ended = true;
  state->end_status = std::move(status);
}

void GrpcWatchStream::ReadLoop() {
  etcdserverpb::WatchResponse r;
  while (stream_->Read(&r)) {
    std::lock_guard lock(mu_);
    Dispatch(std::move(r));
    r.Clear();
    cv_.notify_all();
  }
  grpc::Status s;
  {
    std::lock_guard lock(write_mu_);
    write_closed_ = true;
    s = stream_->Finish();
  }
  std::lock_guard lock(mu_);
  broken_ = true;
  status_ = s.ok() ? absl::UnavailableError("watch stream closed by the server") : FromGrpc(s);
  if (IsTransportFailure(s)) connection_->MarkFailed(endpoint_);
  VLOG(1) << "etcd client: watch stream to " << connection_->endpoint(endpoint_)
          << " ended: " << status_;
  for (auto& [id, state] : watches_) End(state.get(), status_);
  watches_.clear();
  cv_.notify_all();
}

void GrpcWatchStream::Dispatch(etcdserverpb::WatchResponse r) {
  if (r.created()) {
    if (pending_ != nullptr && !answer_.has_value()) {
      answer_ = r;
      if (r.watch_id() != -1 && !(r.canceled() && !r.cancel_reason().empty())) {
        pending_->id = r.watch_id();
        pending_->created = std::move(r);
        watches_[pending_->id] = pending_;
      }
      return;
    }
    // The answer to a creation we gave up waiting for: nobody wants this watch; its events
    // are dropped below and it ends with the stream (no new watch is created on it).
    return;
  }
  if (r.watch_id() == -1) {  // a progress notification for the whole stream
    for (auto& [id, state] : watches_) state->queue.push_back(r);
    return;
  }
  auto it = watches_.find(r.watch_id());
  if (it == watches_.end()) return;  // dropped by its handle
  WatchState* state = it->second.get();
  if (r.fragment()) {
    if (!state->partial.has_value()) {
      state->partial = std::move(r);
    } else {
      for (auto& ev : *r.mutable_events()) *state->partial->add_events() = std::move(ev);
    }
    return;
  }
  if (state->partial.has_value()) {
    etcdserverpb::WatchResponse whole = *std::move(state->partial);
    state->partial.reset();
    for (auto& ev : *r.mutable_events()) *whole.add_events() = std::move(ev);
    whole.set_fragment(false);
    r = std::move(whole);
  }
  const bool canceled = r.canceled();
  absl::Status end;
  if (canceled) {
    if (r.compact_revision() > 0) {
      end = absl::OutOfRangeError("etcdserver: mvcc: required revision has been compacted");
    } else {
      end = absl::CancelledError(r.cancel_reason().empty() ? "watch canceled" : r.cancel_reason());
    }
  }
  state->queue.push_back(std::move(r));
  if (canceled) {
    End(state, std::move(end));
    watches_.erase(it);
  }
}

bool GrpcWatchStream::Usable() {
  std::lock_guard lock(mu_);
  return !broken_ && !poisoned_;
}

absl::StatusOr<std::shared_ptr<WatchState>> GrpcWatchStream::Create(
    const etcdserverpb::WatchCreateRequest& r, Clock::time_point deadline) {
  std::lock_guard create_lock(create_mu_);
  auto state = std::make_shared<WatchState>();
  {
    std::lock_guard lock(mu_);
    if (broken_) return status_;
    pending_ = state;
    answer_.reset();
  }
  etcdserverpb::WatchRequest request;
  *request.mutable_create_request() = r;
  Write(request);  // a failed write breaks the stream: the reader reports why
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, deadline, [&] { return answer_.has_value() || broken_; });
  pending_.reset();
  if (answer_.has_value()) {
    const etcdserverpb::WatchResponse answer = *std::move(answer_);
    answer_.reset();
    if (state->id >= 0) return state;
    if (answer.cancel_reason() == "mvcc: duplicate watch ID provided on the WatchStream") {
      return absl::AlreadyExistsError(answer.cancel_reason());
    }
    return absl::InvalidArgumentError(answer.cancel_reason());
  }
  if (broken_) return status_;
  poisoned_ = true;  // the answer may still come; later creations go to a new stream
  return absl::DeadlineExceededError("context deadline exceeded");
}

absl::Status GrpcWatchStream::Cancel(WatchState* state) {
  const Clock::time_point deadline = connection_->RequestDeadline();
  int64_t id;
  {
    std::lock_guard lock(mu_);
    if (state->ended) return absl::OkStatus();
    id = state->id;
  }
  etcdserverpb::WatchRequest request;
  request.mutable_cancel_request()->set_watch_id(id);
  Write(request);
  std::unique_lock lock(mu_);
  if (!cv_.wait_until(lock, deadline, [&] { return state->ended; })) {
    return absl::DeadlineExceededError("context deadline exceeded");
  }
  return absl::OkStatus();
}

void GrpcWatchStream::Drop(WatchState* state) {
  int64_t id;
  {
    std::lock_guard lock(mu_);
    if (state->ended) return;
    End(state, absl::CancelledError("watch canceled"));
    id = state->id;
    watches_.erase(id);
  }
  etcdserverpb::WatchRequest request;
  request.mutable_cancel_request()->set_watch_id(id);
  Write(request);
}

absl::Status GrpcWatchStream::RequestProgress() {
  etcdserverpb::WatchRequest request;
  request.mutable_progress_request();
  if (Write(request)) return absl::OkStatus();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return broken_; });  // a failed write means the stream is ending
  return status_;
}

absl::StatusOr<etcdserverpb::WatchResponse> GrpcWatchStream::Next(
    WatchState* state, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !state->queue.empty() || state->ended; });
  if (!state->queue.empty()) {
    etcdserverpb::WatchResponse r = std::move(state->queue.front());
    state->queue.pop_front();
    return r;
  }
  if (state->ended) return state->end_status;
  return absl::DeadlineExceededError(
      absl::StrCat("no watch response within ", timeout.count(), " ms"));
}

}  // namespace internal

etcdserverpb::WatchCreateRequest MakeWatchCreateRequest(std::string_view key,
                                                        const WatchOptions& options) {
  etcdserverpb::WatchCreateRequest r;
  r.set_key(std::string(key));
  if (options.prefix) {
    if (key.empty()) r.set_key(std::string(1, '\0'));
    r.set_range_end(PrefixEnd(key));
  } else if (options.from_key) {
    if (key.empty()) r.set_key(std::string(1, '\0'));
    r.set_range_end(std::string(1, '\0'));
  } else {
    r.set_range_end(options.range_end);
  }
  r.set_start_revision(options.start_revision);
  r.set_prev_kv(options.prev_kv);
  r.set_progress_notify(options.progress_notify);
  r.set_fragment(options.fragment);
  if (options.no_put) r.add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
  if (options.no_delete) r.add_filters(etcdserverpb::WatchCreateRequest::NODELETE);
  return r;
}

WatchHandle::WatchHandle(std::shared_ptr<internal::GrpcWatchStream> stream,
                         std::shared_ptr<internal::WatchState> state)
    : stream_(std::move(stream)), state_(std::move(state)) {}

WatchHandle::~WatchHandle() { stream_->Drop(state_.get()); }

int64_t WatchHandle::id() const { return state_->id; }

const etcdserverpb::WatchResponse& WatchHandle::created() const { return state_->created; }

absl::StatusOr<etcdserverpb::WatchResponse> WatchHandle::Next(std::chrono::milliseconds timeout) {
  return stream_->Next(state_.get(), timeout);
}

absl::Status WatchHandle::Cancel() {
  return stream_->Cancel(state_.get());
}

absl::Status WatchHandle::RequestProgress() { return stream_->RequestProgress(); }

WatchStream::WatchStream(std::shared_ptr<internal::Connection> connection)
    : connection_(std::move(connection)) {}

WatchStream::~WatchStream() = default;

absl::StatusOr<std::unique_ptr<WatchHandle>> WatchStream::Watch(std::string_view key,
                                                               const WatchOptions& options) {
  const etcdserverpb::WatchCreateRequest request = MakeWatchCreateRequest(key, options);
  const internal::Clock::time_point deadline = connection_->RequestDeadline();
  // A creation is a read: if the stream breaks before the server answers, try a new stream
  // (the next endpoint), a bounded number of times.
  absl::Status last;
  for (int attempt = 0; attempt <= 2 * connection_->size(); ++attempt) {
    std::shared_ptr<internal::GrpcWatchStream> stream;
    {
      std::lock_guard lock(mu_);
      if (current_ == nullptr || !current_->Usable()) {
        auto opened = internal::GrpcWatchStream::Open(connection_, deadline);
        if (!opened.ok()) return opened.status();
        current_ = *std::move(opened);
      }
      stream = current_;
    }
    auto state = stream->Create(request, deadline);
    if (state.ok()) {
      connection_->MarkGood(stream->endpoint());
      return std::unique_ptr<WatchHandle>(new WatchHandle(stream, *std::move(state)));
    }
    if (!stream->broken() || state.status().code() != absl::StatusCode::kUnavailable ||
        state.status().message().rfind("etcdserver: ", 0) == 0) {
      return state.status();
    }
    last = state.status();
  }
  return last;
}

}  // namespace etcd::client
