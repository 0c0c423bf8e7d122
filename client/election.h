// Observing an election: the stream of its leaders, from Client::Observe (etcd's
// v3electionpb.Election/Observe).
//
// Thread-safety: thread-safe; Next is meant for one reader. The observer may outlive the
// Client.
#ifndef ETCD_CLIENT_ELECTION_H_
#define ETCD_CLIENT_ELECTION_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "api/v3electionpb/v3election.grpc.pb.h"

namespace etcd::client {

class ElectionObserver {
 public:
  // Closes the stream.
  ~ElectionObserver();
  ElectionObserver(const ElectionObserver&) = delete;
  ElectionObserver& operator=(const ElectionObserver&) = delete;

  // Waits at most `timeout` for the next leader of the election: its key, value (what it
  // proclaimed) and revisions in `kv`. The first is the current leader, as soon as there is
  // one; then each change (a new value proclaimed, a new leader after a resignation).
  // Errors: DeadlineExceeded if nothing came in time (the stream goes on); once the stream
  // has ended and everything before is read: its status (e.g. Unavailable if the member went
  // away; Cancelled after Stop).
  absl::StatusOr<v3electionpb::LeaderResponse> Next(std::chrono::milliseconds timeout);

  // Closes the stream; returns once its reader has ended. Idempotent.
  void Stop();

 private:
  friend class Client;
  ElectionObserver() = default;
  void Start(std::shared_ptr<grpc::Channel> channel, const v3electionpb::LeaderRequest& request);
  void ReadLoop();

  std::unique_ptr<v3electionpb::Election::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v3electionpb::LeaderResponse>> reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v3electionpb::LeaderResponse> queue_;  // guarded by mu_
  bool ended_ = false;                              // guarded by mu_
  absl::Status status_;                             // guarded by mu_
  std::mutex join_mu_;
  std::thread thread_;
};

}  // namespace etcd::client

#endif  // ETCD_CLIENT_ELECTION_H_
