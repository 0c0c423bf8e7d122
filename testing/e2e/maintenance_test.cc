// The Maintenance service through the real etcdctl 3.4: the NOSPACE alarm under
// --quota-backend-bytes and the way out of it (compact, defrag, disarm), alarms in
// `endpoint status`, and HashKV equal on every member of a cluster.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "server/snapshot_file.h"
#include "testing/etcd_cluster.h"
#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

// The "Error: ..." line of a failed etcdctl call.
std::string ErrorLine(const CommandResult& r) {
  std::smatch m;
  if (std::regex_search(r.err, m, std::regex(R"(Error: [^\n]*)"))) return m.str();
  return r.err;
}

TEST(MaintenanceTest, QuotaRaisesNospaceUntilSpaceIsFreedAndTheAlarmDisarmed) {
  auto started = EtcdProcess::Start(OurEtcdBinary(), "quota", {"--quota-backend-bytes=300000"});
  ASSERT_TRUE(started.ok()) << started.status();
  EtcdProcess& etcd = *started;
  const std::string value(8000, 'x');
  int failed_at = 0;
  for (int i = 0; i < 200 && failed_at == 0; ++i) {
    auto put = etcd.Etcdctl({"put", "k" + std::to_string(i), value});
    ASSERT_TRUE(put.ok());
    if (put->exit_code != 0) {
      failed_at = i;
      EXPECT_EQ(ErrorLine(*put), "Error: etcdserver: mvcc: database space exceeded");
    }
  }
  ASSERT_GT(failed_at, 10) << "the quota of 300 kB should hold a few 8 kB values";
  ASSERT_LT(failed_at, 200) << "writes never hit the quota";

  // The alarm is raised (through Raft) and shows in `alarm list` and `endpoint status`.
  auto alarms = etcd.Etcdctl({"alarm", "list"});
  ASSERT_TRUE(alarms.ok());
  EXPECT_TRUE(std::regex_match(alarms->out, std::regex("memberID:[0-9]+ alarm:NOSPACE \n")))
      << alarms->out;
  auto status = etcd.Etcdctl({"endpoint", "status"});
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->out.find("alarm:NOSPACE"), std::string::npos) << status->out;

  // Every write is refused now, even a small one; reads and deletes are not.
  auto small = etcd.Etcdctl({"put", "small", "v"});
  ASSERT_TRUE(small.ok());
  EXPECT_NE(small->exit_code, 0);
  EXPECT_EQ(ErrorLine(*small), "Error: etcdserver: mvcc: database space exceeded");
  auto get = etcd.Etcdctl({"get", "k0", "--print-value-only"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->out, value + "\n");
  auto del = etcd.Etcdctl({"del", "k", "--prefix"});
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->out, std::to_string(failed_at) + "\n");

  // Compact the history away, defragment, disarm: writes work again.
  auto rev_json = etcd.Etcdctl({"get", "k0", "-w", "json"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(rev_json->out, m, std::regex(R"re("revision":(\d+))re")));
  auto compact = etcd.Etcdctl({"compact", m[1].str()});
  ASSERT_TRUE(compact.ok());
  EXPECT_EQ(compact->out, "compacted revision " + m[1].str() + "\n") << compact->err;
  auto defrag = etcd.Etcdctl({"defrag"});
  ASSERT_TRUE(defrag.ok());
  EXPECT_EQ(defrag->out, "Finished defragmenting etcd member[" + etcd.endpoint() + "]\n")
      << defrag->err;
  auto disarm = etcd.Etcdctl({"alarm", "disarm"});
  ASSERT_TRUE(disarm.ok());
  EXPECT_EQ(disarm->out, alarms->out);  // etcdctl prints the alarms it cleared
  alarms = etcd.Etcdctl({"alarm", "list"});
  EXPECT_EQ(alarms->out, "");
  auto again = etcd.Etcdctl({"put", "after", "ok"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->exit_code, 0) << again->err;
}

// `etcdctl snapshot save` (the real one) gets the whole backend in our snapshot format, with
// a checksum that verifies, and "Snapshot saved at <path>".
TEST(MaintenanceTest, SnapshotSaveStreamsAVerifiableCopyOfTheBackend) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "snapshot-save");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string value(3000, 'v');
  for (int i = 0; i < 500; ++i) {  // ~1.5 MB: several stream messages
    ASSERT_EQ(etcd->Etcdctl({"put", "k" + std::to_string(i), value})->exit_code, 0);
  }
  const std::string path = NewTempDir("snapshot-save") + "/backup.db";
  auto save = etcd->Etcdctl({"snapshot", "save", path});
  ASSERT_TRUE(save.ok());
  EXPECT_EQ(save->exit_code, 0) << save->err;
  EXPECT_EQ(save->out, "Snapshot saved at " + path + "\n");
  auto decoder = server::SnapshotDecoder::OpenFile(path);
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  int key_records = 0;
  peerpb::BackendRecords records;
  while ((*decoder)->Next(&records)) {
    for (const auto& r : records.records()) {
      if (r.bucket() == static_cast<uint32_t>('k')) ++key_records;
    }
  }
  EXPECT_TRUE((*decoder)->status().ok()) << (*decoder)->status();
  EXPECT_EQ(key_records, 500);
}

TEST(MaintenanceTest, HashKvIsEqualOnEveryMember) {
  EtcdCluster::Options options;
  options.binary = OurEtcdBinary();
  auto c = EtcdCluster::Start(options, "hashkv");
  ASSERT_TRUE(c.ok()) << c.status();
  for (int i = 0; i < 20; ++i) {
    auto put = c->Etcdctl({"put", "k" + std::to_string(i % 7), std::to_string(i)});
    ASSERT_TRUE(put.ok() && put->exit_code == 0);
  }
  auto del = c->Etcdctl({"del", "k3"});
  ASSERT_TRUE(del.ok() && del->exit_code == 0);
  // Wait until every member has applied the last write (a linearizable read on each).
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(c->member(i).Etcdctl({"get", "k6", "--print-value-only"})->out, "13\n");
  }
  auto hashes = c->member(0).Etcdctl({"endpoint", "hashkv", "--cluster"});
  ASSERT_TRUE(hashes.ok());
  EXPECT_EQ(hashes->exit_code, 0) << hashes->err;
  // "<endpoint>, <hash>" per member.
  std::set<std::string> distinct;
  int lines = 0;
  const std::regex line_re(R"(, (\d+)\n)");
  for (auto it = std::sregex_iterator(hashes->out.begin(), hashes->out.end(), line_re);
       it != std::sregex_iterator(); ++it) {
    distinct.insert((*it)[1].str());
    ++lines;
  }
  EXPECT_EQ(lines, 3) << hashes->out;
  EXPECT_EQ(distinct.size(), 1u) << hashes->out;
  EXPECT_EQ(distinct.count("0"), 0u) << hashes->out;
  // At an older revision, the hash differs from the latest one (the history is hashed).
  auto old_hash = c->member(1).Etcdctl({"endpoint", "hashkv", "--rev=5"});
  ASSERT_TRUE(old_hash.ok());
  EXPECT_EQ(old_hash->exit_code, 0) << old_hash->err;
  EXPECT_EQ(old_hash->out.find(*distinct.begin()), std::string::npos) << old_hash->out;
}

}  // namespace
}  // namespace etcd::testing
