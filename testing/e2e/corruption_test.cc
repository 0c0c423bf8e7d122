// End-to-end: data corruption between members and the CORRUPT alarm, as etcd 3.4 handles them.
//   - With CORRUPT raised (by an operator through the API, or by the leader's periodic check),
//     every request that goes through the log fails with "etcdserver: corrupt cluster" and
//     local reads go on; disarming ends it. Same outcomes as the real etcd 3.4.
//   - --experimental-corrupt-check-time: a follower whose backend was changed behind etcd's
//     back is found by the leader, which raises CORRUPT for the whole cluster.
//   - --experimental-initial-corrupt-check: such a member refuses to start.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <thread>


#include "api/mvccpb/kv.pb.h"
#include "client/client.h"
#include "mvcc/backend.h"
#include "testing/etcd_client.h"
#include "testing/etcd_cluster.h"
#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

using etcdserverpb::AlarmRequest;

std::string Outcome(const absl::Status& s) {
  return s.ok() ? "OK" : absl::StatusCodeToString(s.code()) + ": " + std::string(s.message());
}

// What each kind of request answers while CORRUPT is raised, and after it is disarmed.
std::vector<std::string> CorruptAlarmOutcomes(const std::string& binary) {
  std::vector<std::string> out;
  auto etcd = EtcdProcess::Start(binary, "corrupt-alarm");
  EXPECT_TRUE(etcd.ok()) << etcd.status();
  if (!etcd.ok()) return out;
  auto c = ConnectClient(etcd->endpoint());
  if (c == nullptr) return out;
  EXPECT_TRUE(c->Put("a", "1").ok());
  auto status = c->Status();
  EXPECT_TRUE(status.ok());
  const uint64_t id = status->header().member_id();
  auto raised = c->Alarm(AlarmRequest::ACTIVATE, id, etcdserverpb::CORRUPT);
  out.push_back("activate: " + Outcome(raised.status()));
  out.push_back("put: " + Outcome(c->Put("b", "2").status()));
  out.push_back("delete: " + Outcome(c->Delete("a").status()));
  out.push_back("txn: " +
                Outcome(c->Txn().Then({client::Op::Put("c", "3")}).Commit().status()));
  out.push_back("compact: " + Outcome(c->Compact(1).status()));
  out.push_back("grant: " + Outcome(c->Grant(60).status()));
  auto get = c->Get("a");
  out.push_back("get: " + Outcome(get.status()) +
                (get.ok() && get->kvs_size() == 1 ? " " + get->kvs(0).value() : ""));
  client::GetOptions serializable;
  serializable.serializable = true;
  out.push_back("serializable get: " + Outcome(c->Get("a", serializable).status()));
  auto list = etcd->Etcdctl({"alarm", "list"});
  EXPECT_TRUE(list.ok());
  // The member's ID differs between the two servers.
  out.push_back("alarm list: " +
                std::regex_replace(list->out, std::regex(std::to_string(id)), "<self>"));
  auto health = etcd->Etcdctl({"endpoint", "health"});
  EXPECT_TRUE(health.ok());
  out.push_back("health exit code: " + std::to_string(health->exit_code));
  out.push_back("disarm: " +
                Outcome(c->Alarm(AlarmRequest::DEACTIVATE, id, etcdserverpb::CORRUPT).status()));
  out.push_back("put after disarm: " + Outcome(c->Put("b", "2").status()));
  return out;
}

TEST(CorruptionTest, CorruptAlarmRefusesLoggedRequestsAsRealEtcd) {
  const std::vector<std::string> ours = CorruptAlarmOutcomes(OurEtcdBinary());
  const std::vector<std::string> real = CorruptAlarmOutcomes(kRealEtcd);
  EXPECT_EQ(ours, real);
  // And what they are, so that a bug shared with the oracle cannot pass.
  ASSERT_GE(ours.size(), 12u);
  EXPECT_EQ(ours[1], "put: DATA_LOSS: etcdserver: corrupt cluster");
  EXPECT_EQ(ours[6], "get: OK 1");
  EXPECT_EQ(ours[8], "alarm list: memberID:<self> alarm:CORRUPT \n");
  EXPECT_EQ(ours[11], "put after disarm: OK");
}

// Changes the value of the newest revision in a stopped member's backend, behind its back.
void CorruptNewestRevision(const std::string& data_dir) {
  auto backend = mvcc::Backend::Open(data_dir + "/member/snap/db");
  ASSERT_TRUE(backend.ok()) << backend.status();
  std::string key, value;
  ASSERT_TRUE((*backend)
                  ->Scan(mvcc::Bucket::kKey, "", "",
                         [&](std::string_view k, std::string_view v) {
                           key = std::string(k);
                           value = std::string(v);
                           return true;
                         })
                  .ok());
  mvccpb::KeyValue kv;
  ASSERT_TRUE(kv.ParseFromString(value));
  kv.set_value(kv.value() + "-corrupted");
  mvcc::WriteBatch batch;
  batch.Put(mvcc::Bucket::kKey, key, kv.SerializeAsString());
  ASSERT_TRUE((*backend)->Write(batch).ok());
  ASSERT_TRUE((*backend)->Sync().ok());
}

TEST(CorruptionTest, LeaderFindsACorruptFollowerAndInitialCheckRefusesIt) {
  EtcdCluster::Options options;
  options.binary = OurEtcdBinary();
  options.extra_flags = {"--experimental-corrupt-check-time=500ms"};
  auto cluster = EtcdCluster::Start(options, "corrupt-check");
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto leader = cluster->WaitForLeader(std::chrono::seconds(10));
  ASSERT_TRUE(leader.ok());
  auto c = ConnectClient(cluster->endpoints());
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c->Put("k" + std::to_string(i), "v").ok());
  // Healthy members agree: a few checks pass without an alarm.
  auto hashes_equal = [&] {
    std::set<uint32_t> hashes;
    for (int i = 0; i < cluster->size(); ++i) {
      auto h = c->HashKV(0, cluster->member(i).endpoint());
      if (h.ok()) hashes.insert(h->hash());
    }
    return hashes.size() == 1;
  };
  const auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!hashes_equal() && std::chrono::steady_clock::now() < settle) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll interval
  }
  ASSERT_TRUE(hashes_equal());

  const int follower = (*leader + 1) % cluster->size();
  EtcdProcess& member = cluster->member(follower);
  // No false alarm: a healthy follower restarts and writes go on for several check
  // intervals (the leader checks every 500 ms while followers apply concurrently).
  ASSERT_TRUE(member.Stop().ok());
  ASSERT_TRUE(member.Restart().ok());
  const auto writes_until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (int i = 0; std::chrono::steady_clock::now() < writes_until; ++i) {
    ASSERT_TRUE(c->Put("load" + std::to_string(i % 50), std::to_string(i)).ok()) << i;
  }
  auto none = c->Alarm(AlarmRequest::GET);
  ASSERT_TRUE(none.ok());
  ASSERT_EQ(none->alarms_size(), 0);

  ASSERT_TRUE(member.Stop().ok());
  CorruptNewestRevision(member.data_dir());

  // With the initial check, the corrupted member refuses to start.
  std::vector<std::string> argv = member.CommandLine();
  argv.push_back("--experimental-initial-corrupt-check");
  auto refused = RunCommand(argv, member.environment(), "", std::chrono::seconds(30));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_NE(refused->exit_code, 0);
  EXPECT_NE(refused->err.find("found data inconsistency with peers"), std::string::npos)
      << refused->err;

  // Without it, it starts, and the leader's periodic check raises CORRUPT.
  ASSERT_TRUE(member.Restart().ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool raised = false;
  while (!raised && std::chrono::steady_clock::now() < deadline) {
    auto alarms = c->Alarm(AlarmRequest::GET);
    raised = alarms.ok() && alarms->alarms_size() == 1 &&
             alarms->alarms(0).alarm() == etcdserverpb::CORRUPT;
    if (!raised) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll interval
  }
  ASSERT_TRUE(raised) << "no CORRUPT alarm within 20 s";
  auto alarms = c->Alarm(AlarmRequest::GET);
  EXPECT_EQ(alarms->alarms(0).memberid(), 0u);  // which member is wrong is not known (3.4.23)
  EXPECT_EQ(c->Put("after", "alarm").status().message(), "etcdserver: corrupt cluster");
}

}  // namespace
}  // namespace etcd::testing
