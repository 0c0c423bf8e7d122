#include "client/election.h"

#include "absl/strings/str_cat.h"
#include "client/internal/connection.h"

namespace etcd::client {

void ElectionObserver::Start(std::shared_ptr<grpc::Channel> channel,
                             const v3electionpb::LeaderRequest& request) {
  stub_ = v3electionpb::Election::NewStub(channel);
  reader_ = stub_->Observe(&context_, request);
  thread_ = std::thread([this] { ReadLoop(); });
}

ElectionObserver::~ElectionObserver() { Stop(); }

void ElectionObserver::Stop() {
  context_.TryCancel();
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void ElectionObserver::ReadLoop() {
  v3electionpb::LeaderResponse r;
  while (reader_->Read(&r)) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(r));
    }
    r.Clear();
    cv_.notify_all();
  }
  const grpc::Status s = reader_->Finish();
  {
    std::lock_guard lock(mu_);
    ended_ = true;
    status_ = s.ok() ? absl::UnavailableError("observe stream closed by the server")
                     : internal::FromGrpc(s);
  }
  cv_.notify_all();
}

absl::StatusOr<v3electionpb::LeaderResponse> ElectionObserver::Next(
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || ended_; });
  if (!queue_.empty()) {
    v3electionpb::LeaderResponse r = std::move(queue_.front());
    queue_.pop_front();
    return r;
  }
  if (ended_) return status_;
  return absl::DeadlineExceededError(
      absl::StrCat("no leader response within ", timeout.count(), " ms"));
}

}  // namespace etcd::client
