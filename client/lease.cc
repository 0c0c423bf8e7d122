#include "client/lease.h"

#include <glog/logging.h>

#include "absl/strings/str_cat.h"
#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "client/internal/connection.h"

namespace etcd::client {

using internal::Clock;

LeaseKeepAlive::LeaseKeepAlive(std::shared_ptr<internal::Connection> connection, int64_t id)
    : connection_(std::move(connection)), id_(id) {
  thread_ = std::thread([this] { Loop(); });
}

LeaseKeepAlive::~LeaseKeepAlive() { Stop(); }

void LeaseKeepAlive::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  cv_.notify_all();
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

bool LeaseKeepAlive::WaitUntil(Clock::time_point until) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, until, [&] { return stop_; });
  return !stop_;
}

void LeaseKeepAlive::Finish(absl::Status status) {
  {
    std::lock_guard lock(mu_);
    running_ = false;
    status_ = std::move(status);
    VLOG(1) << "etcd client: keep-alive of lease " << id_ << " stopped: " << status_;
  }
  cv_.notify_all();
}

namespace {

enum class Outcome { kOk, kFailed, kTimedOut };

// Waits for the one operation in flight on `cq` (the loop never has two). At `deadline` the
// call is cancelled and the operation drained: a member that hangs cannot hold the loop.
Outcome Await(grpc::CompletionQueue& cq, grpc::ClientContext& context, Clock::time_point deadline) {
  void* tag = nullptr;
  bool ok = false;
  switch (cq.AsyncNext(&tag, &ok, deadline)) {
    case grpc::CompletionQueue::GOT_EVENT:
      return ok ? Outcome::kOk : Outcome::kFailed;
    case grpc::CompletionQueue::TIMEOUT:
      context.TryCancel();
      cq.Next(&tag, &ok);
      return Outcome::kTimedOut;
    case grpc::CompletionQueue::SHUTDOWN:
      break;
  }
  return Outcome::kFailed;
}

}  // namespace

// The stream uses gRPC's asynchronous API on a completion queue of its own so that each wait
// (for the stream, a write, an answer) has a deadline; Stop() cancels the call.
void LeaseKeepAlive::Loop() {
  const std::chrono::milliseconds request_timeout =
      connection_->options().request_timeout.count() > 0 ? connection_->options().request_timeout
                                                          : std::chrono::milliseconds(5000);
  // Until the first answer the lease's TTL is unknown: allow one request timeout for it.
  Clock::time_point lease_end = Clock::now() + request_timeout;
  absl::Status last_failure = absl::UnavailableError("no endpoint connected");
  const auto stopped = [this] {
    std::lock_guard lock(mu_);
    return stop_;
  };
  const absl::Status kStopped = absl::CancelledError("lease keep-alive stopped");
  // An answer is awaited at most a request timeout (then the next member is tried), and never
  // past the lease's end.
  const auto answer_deadline = [&] { return std::min(lease_end, Clock::now() + request_timeout); };
  void* const kTag = this;  // one operation at a time: one tag is enough
  for (;;) {
    auto picked = Clock::now() < lease_end ? connection_->PickReady(lease_end, stopped)
                                            : absl::DeadlineExceededError("the lease ran out");
    if (stopped()) return Finish(kStopped);
    if (!picked.ok()) {
      // Unavailable, not DeadlineExceeded: Next uses that for "nothing yet".
      return Finish(absl::UnavailableError(
          absl::StrCat("lease keep-alive: no keep-alive got through before the lease's TTL ran "
                       "out (last failure: ",
                       last_failure.message(), ")")));
    }
    const int i = *picked;
    grpc::CompletionQueue cq;
    grpc::ClientContext context;
    {
      std::lock_guard lock(mu_);
      if (stop_) return Finish(kStopped);
      context_ = &context;
    }
    auto stream = connection_->stubs(i).lease->PrepareAsyncLeaseKeepAlive(&context, &cq);
    stream->StartCall(kTag);
    Outcome outcome = Await(cq, context, answer_deadline());
    etcdserverpb::LeaseKeepAliveRequest request;
    request.set_id(id_);
    bool expired = false;
    while (outcome == Outcome::kOk) {
      stream->Write(request, kTag);
      if ((outcome = Await(cq, context, answer_deadline())) != Outcome::kOk) break;
      etcdserverpb::LeaseKeepAliveResponse response;
      stream->Read(&response, kTag);
      if ((outcome = Await(cq, context, answer_deadline())) != Outcome::kOk) break;
      if (response.ttl() <= 0) {
        expired = true;
        break;
      }
      const Clock::time_point now = Clock::now();
      const int64_t ttl = response.ttl();
      lease_end = now + std::chrono::seconds(ttl);
      connection_->MarkGood(i);
      {
        std::lock_guard lock(mu_);
        ++responses_;
        last_ = response;
        queue_.push_back(std::move(response));
        if (queue_.size() > kMaxQueued) queue_.pop_front();
      }
      cv_.notify_all();
      // Every TTL/3, as clientv3 (a TTL of 1 s: every 333 ms).
      if (!WaitUntil(now + std::chrono::milliseconds(ttl * 1000 / 3))) break;
    }
    if (outcome == Outcome::kOk) context.TryCancel();  // expired or stopped: end the call
    grpc::Status status;
    stream->Finish(&status, kTag);
    {
      void* tag;
      bool ok;
      cq.Next(&tag, &ok);  // Finish always completes
    }
    {
      std::lock_guard lock(mu_);
      context_ = nullptr;
    }
    cq.Shutdown();
    {
      void* tag;
      bool ok;
      while (cq.Next(&tag, &ok)) {
      }
    }
    if (expired) return Finish(absl::NotFoundError("etcdserver: requested lease not found"));
    if (stopped()) return Finish(kStopped);
    // The stream failed: the member is gone or hangs, or it has no leader. Go on with the
    // next one while the lease may still be alive.
    if (outcome == Outcome::kTimedOut) {
      last_failure = absl::DeadlineExceededError(
          absl::StrCat("no answer from ", connection_->endpoint(i), " within ",
                       request_timeout.count(), " ms"));
    } else {
      last_failure = status.ok()
                         ? absl::UnavailableError("keep-alive stream closed by the server")
                         : internal::FromGrpc(status);
    }
    VLOG(1) << "etcd client: keep-alive stream of lease " << id_ << " to "
            << connection_->endpoint(i) << " failed: " << last_failure;
    connection_->MarkFailed(i);
    // A short pause, so that an endpoint that fails at once is not hammered.
    if (!WaitUntil(std::min(lease_end, Clock::now() + std::chrono::milliseconds(100)))) {
      return Finish(kStopped);
    }
  }
}

absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> LeaseKeepAlive::Next(
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || !running_; });
  if (!queue_.empty()) {
    etcdserverpb::LeaseKeepAliveResponse r = std::move(queue_.front());
    queue_.pop_front();
    return r;
  }
  if (!running_) return status_;
  return absl::DeadlineExceededError(
      absl::StrCat("no keep-alive response within ", timeout.count(), " ms"));
}

std::optional<etcdserverpb::LeaseKeepAliveResponse> LeaseKeepAlive::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

int64_t LeaseKeepAlive::responses() const {
  std::lock_guard lock(mu_);
  return responses_;
}

bool LeaseKeepAlive::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

absl::Status LeaseKeepAlive::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace etcd::client
