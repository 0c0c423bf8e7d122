// Data corruption checks between members (etcd 3.4 etcdserver/corrupt.go): every member hashes
// its key space up to a revision (HashKV); members that applied the same log have equal hashes,
// so a difference at the same compact revision means a member's data went wrong. The leader
// compares periodically and raises the CORRUPT alarm; a starting member can compare once.
#include <glog/logging.h>

#include <future>
#include <thread>

#include "server/errors.h"
#include "server/etcd_server.h"
#include "server/member_id.h"

namespace etcd::server {

absl::StatusOr<etcdserverpb::HashKVResponse> EtcdServer::LocalHashKV(int64_t revision) {
  absl::StatusOr<etcdserverpb::HashKVResponse> out;
  etcdserverpb::HashKVRequest r;
  r.set_revision(revision);
  HashKV(r, [&out](absl::StatusOr<etcdserverpb::HashKVResponse> resp) { out = std::move(resp); });
  return out;
}

std::vector<EtcdServer::PeerHash> EtcdServer::PeerHashKVs(int64_t revision) {
  std::vector<uint64_t> peers;
  {
    std::lock_guard lock(members_mu_);
    for (const auto& [id, m] : members_) {
      if (id != member_id_) peers.push_back(id);
    }
  }
  std::vector<PeerHash> out;
  if (transport_ == nullptr || peers.empty()) return out;
  // etcd's request timeout: 5 s plus two election timeouts.
  const auto timeout =
      std::chrono::milliseconds(5000 + 2 * options_.election_timeout_ms);
  peerpb::ForwardRequest request;
  request.set_hash_kv_revision(revision);
  std::vector<std::future<absl::StatusOr<peerpb::ForwardResponse>>> answers;
  for (uint64_t id : peers) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<peerpb::ForwardResponse>>>();
    answers.push_back(promise->get_future());
    transport_->Forward(id, request, timeout,
                        [promise](absl::StatusOr<peerpb::ForwardResponse> r) {
                          promise->set_value(std::move(r));
                        });
  }
  for (size_t i = 0; i < peers.size(); ++i) {
    // The transport ends every call by its deadline.
    absl::StatusOr<peerpb::ForwardResponse> answer = answers[i].get();
    PeerHash peer{peers[i], absl::UnknownError("")};
    if (!answer.ok()) {
      peer.resp = answer.status();
    } else {
      etcdserverpb::HashKVResponse resp;
      if (resp.ParseFromString(answer->response())) {
        peer.resp = std::move(resp);
      } else {
        peer.resp = absl::DataLossError("undecodable HashKV answer");
      }
    }
    if (!peer.resp.ok()) {
      LOG(WARNING) << "failed to get hashKV from peer " << MemberIdToString(peer.id)
                   << " at revision " << revision << ": " << peer.resp.status();
    }
    out.push_back(std::move(peer));
  }
  return out;
}

absl::Status EtcdServer::CheckInitialHashKV() {
  LOG(INFO) << "starting initial corruption check local-member-id=" << MemberIdToString(member_id_);
  // The membership is rebuilt by replaying the log this member had committed: wait for it
  // (those entries are already in the backend, so the hash does not change meanwhile).
  const auto replay_deadline = Clock::now() + std::chrono::seconds(30);
  while (applied_ < restart_commit_ && Clock::now() < replay_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto local = LocalHashKV(0);
  if (!local.ok()) {
    return absl::InternalError(MemberIdToString(member_id_) + " failed to fetch hash (" +
                               std::string(local.status().message()) + ")");
  }
  const int64_t rev = local->header().revision();
  int mismatch = 0;
  for (const PeerHash& p : PeerHashKVs(rev)) {
    if (!p.resp.ok() || p.resp->hash() == local->hash()) continue;
    if (p.resp->compact_revision() == local->compact_revision()) {
      LOG(WARNING) << "found different hash values from remote peer "
                   << MemberIdToString(p.id) << ": local hash " << local->hash()
                   << ", remote hash " << p.resp->hash() << " at revision " << rev
                   << ", compact revision " << local->compact_revision();
      ++mismatch;
    } else {
      LOG(WARNING) << "found different compact revision values from remote peer "
                   << MemberIdToString(p.id) << ": local " << local->compact_revision()
                   << ", remote " << p.resp->compact_revision() << "; hashes not compared";
    }
  }
  if (mismatch > 0) {
    return absl::DataLossError(MemberIdToString(member_id_) +
                               " found data inconsistency with peers");
  }
  LOG(INFO) << "initial corruption checking passed; no corruption";
  return absl::OkStatus();
}

void EtcdServer::CorruptionCheckLoop() {
  LOG(INFO) << "enabled corruption checking every "
            << options_.corrupt_check_interval.count() << " ms";
  std::unique_lock lock(mu_);
  while (true) {
    stopped_.wait_for(lock, options_.corrupt_check_interval, [this] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    if (leader_ == member_id_) CheckHashKV();
    lock.lock();
  }
}

void EtcdServer::CheckHashKV() {
  auto first = LocalHashKV(0);
  if (!first.ok()) {
    LOG(WARNING) << "corruption check: cannot hash the key space: " << first.status();
    return;
  }
  const int64_t rev = first->header().revision();
  std::vector<PeerHash> peers = PeerHashKVs(rev);
  // Followers may have applied past what this leader had when it hashed: wait until it has
  // applied everything committed, then hash again; only that state bounds theirs.
  std::promise<absl::Status> barrier;
  ReadBarrier(false, [&barrier](absl::Status s) { barrier.set_value(s); });
  if (absl::Status s = barrier.get_future().get(); !s.ok()) {
    LOG(WARNING) << "corruption check: no linearizable read: " << s;
    return;
  }
  auto second = LocalHashKV(0);
  if (!second.ok()) return;
  const int64_t rev2 = second->header().revision();
  const int64_t crev = first->compact_revision(), crev2 = second->compact_revision();

  bool alarmed = false;
  const auto mismatch = [&](uint64_t id, const std::string& why) {
    LOG(ERROR) << "corruption check: member " << MemberIdToString(id) << ": " << why;
    if (alarmed) return;
    alarmed = true;
    // Which member is wrong is not known, so the alarm names member 0, as etcd 3.4.23 does.
    etcdserverpb::AlarmRequest alarm;
    alarm.set_memberid(0);
    alarm.set_action(etcdserverpb::AlarmRequest::ACTIVATE);
    alarm.set_alarm(etcdserverpb::CORRUPT);
    Alarm(alarm, [](absl::StatusOr<etcdserverpb::AlarmResponse> r) {
      if (!r.ok()) LOG(WARNING) << "cannot raise the CORRUPT alarm: " << r.status();
    });
  };
  if (second->hash() != first->hash() && rev2 == rev && crev2 == crev) {
    mismatch(member_id_, "hash changed at the same revision " + std::to_string(rev));
  }
  for (const PeerHash& p : peers) {
    if (!p.resp.ok()) continue;
    if (p.resp->header().revision() > rev2) {
      mismatch(p.id, "revision " + std::to_string(p.resp->header().revision()) +
                         " is past the leader's " + std::to_string(rev2));
    }
    if (p.resp->compact_revision() > crev2) {
      mismatch(p.id, "compact revision " + std::to_string(p.resp->compact_revision()) +
                         " is past the leader's " + std::to_string(crev2));
    }
    if (p.resp->compact_revision() == crev && p.resp->hash() != first->hash()) {
      mismatch(p.id, "hash " + std::to_string(p.resp->hash()) + " at revision " +
                         std::to_string(rev) + ", expected hash " +
                         std::to_string(first->hash()));
    }
  }
}

}  // namespace etcd::server
