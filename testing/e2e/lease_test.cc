// Leases through the real etcdctl 3.4, on our daemon and on the real etcd: grant, attach with
// put --lease, timetolive (--keys), list, keep-alive --once, revoke; and expiry in time.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <thread>

#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

// Masks lease IDs and remaining TTLs, and sorts the attached keys: etcd lists them in Go map
// order, which differs from run to run.
std::string MaskLease(std::string s) {
  s = std::regex_replace(s, std::regex(R"(\b[0-9a-f]{10,16}\b)"), "<id>");
  s = std::regex_replace(s, std::regex(R"(remaining\(\d+s\))"), "remaining(<n>s)");
  std::smatch m;
  if (std::regex_search(s, m, std::regex(R"(attached keys\(\[([^\]]*)\]\))"))) {
    std::vector<std::string> keys;
    std::stringstream in(m[1].str());
    for (std::string k; in >> k;) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    std::string joined;
    for (const auto& k : keys) joined += (joined.empty() ? "" : " ") + k;
    s = m.prefix().str() + "attached keys([" + joined + "])" + m.suffix().str();
  }
  return s;
}

// The steps of the scenario, with the output each printed (masked).
std::vector<std::string> LeaseScenario(EtcdProcess& etcd) {
  std::vector<std::string> out;
  auto run = [&](std::vector<std::string> args) {
    auto r = etcd.Etcdctl(args);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return std::string();
    std::smatch m;
    std::string err;
    if (std::regex_search(r->err, m, std::regex(R"(Error: [^\n]*)"))) err = m.str();
    out.push_back(MaskLease(r->out + err + " exit=" + std::to_string(r->exit_code)));
    return r->out;
  };
  const std::string granted = run({"lease", "grant", "100"});
  const std::string id = granted.substr(6, granted.find(' ', 6) - 6);  // "lease <id> granted..."
  run({"put", "k1", "v1", "--lease=" + id});
  run({"put", "k2", "v2", "--lease=" + id});
  run({"put", "k3", "v3"});
  run({"lease", "timetolive", id});
  run({"lease", "timetolive", id, "--keys"});
  run({"lease", "list"});
  run({"lease", "keep-alive", "--once", id});
  run({"put", "k2", "detached"});  // a put without the lease detaches the key
  run({"lease", "timetolive", id, "--keys"});
  run({"lease", "revoke", id});
  run({"get", "k", "--prefix"});
  run({"lease", "timetolive", id});
  run({"lease", "revoke", id});
  run({"lease", "keep-alive", "--once", id});
  run({"lease", "grant", "9000000001"});
  run({"lease", "list"});
  return out;
}

TEST(LeaseTest, EtcdctlLeaseCommandsAsTheRealEtcd) {
  auto ours = EtcdProcess::Start(OurEtcdBinary(), "lease-ours");
  ASSERT_TRUE(ours.ok()) << ours.status();
  auto real = EtcdProcess::Start(kRealEtcd, "lease-real");
  ASSERT_TRUE(real.ok()) << real.status();
  const auto got = LeaseScenario(*ours);
  const auto want = LeaseScenario(*real);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << "step " << i;
  EXPECT_EQ(got[0], "lease <id> granted with TTL(100s)\n exit=0");
  EXPECT_EQ(got[5], "lease <id> granted with TTL(100s), remaining(<n>s), attached keys([k1 k2])\n exit=0");
}

// Keys under a 2 s lease disappear within the TTL plus one election timeout after the last
// keep-alive, and not before; a revoke deletes every attached key in one revision.
TEST(LeaseTest, ExpiryDeletesTheKeysInTimeAndNotBefore) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "lease-expiry");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto granted = etcd->Etcdctl({"lease", "grant", "2"});
  ASSERT_TRUE(granted.ok() && granted->exit_code == 0);
  const auto start = std::chrono::steady_clock::now();
  const std::string id = granted->out.substr(6, granted->out.find(' ', 6) - 6);
  ASSERT_EQ(etcd->Etcdctl({"put", "session", "alive", "--lease=" + id})->exit_code, 0);
  // Keep it alive for a while: it must survive well past its TTL.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(etcd->Etcdctl({"lease", "keep-alive", "--once", id})->exit_code, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(900));  // time must pass: a lease test
    ASSERT_EQ(etcd->Etcdctl({"get", "session", "--print-value-only"})->out, "alive\n");
  }
  const auto last_keepalive = std::chrono::steady_clock::now();
  ASSERT_EQ(etcd->Etcdctl({"lease", "keep-alive", "--once", id})->exit_code, 0);
  // Now it must go, within TTL (2 s) + election timeout (1 s) + command slack.
  std::chrono::milliseconds gone_after{-1};
  while (std::chrono::steady_clock::now() - last_keepalive < std::chrono::seconds(5)) {
    auto r = etcd->Etcdctl({"get", "session", "--print-value-only"});
    if (r.ok() && r->out.empty()) {
      gone_after = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - last_keepalive);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(gone_after.count(), 0) << "the key outlived its lease";
  EXPECT_GE(gone_after.count(), 1900) << "the key went before its TTL";
  EXPECT_LE(gone_after.count(), 3500);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));

  // Revoke: all attached keys in one revision.
  auto g2 = etcd->Etcdctl({"lease", "grant", "60"});
  const std::string id2 = g2->out.substr(6, g2->out.find(' ', 6) - 6);
  for (const char* k : {"a", "b", "c"}) {
    ASSERT_EQ(etcd->Etcdctl({"put", k, "v", "--lease=" + id2})->exit_code, 0);
  }
  auto revision = [&] {
    auto r = etcd->Etcdctl({"get", "a", "-w", "json"});
    std::smatch m;
    EXPECT_TRUE(r.ok() && std::regex_search(r->out, m, std::regex(R"re("revision":(\d+))re")));
    return std::stoll(m[1].str());
  };
  const int64_t before = revision();
  ASSERT_EQ(etcd->Etcdctl({"lease", "revoke", id2})->exit_code, 0);
  EXPECT_EQ(revision(), before + 1) << "the three keys were not deleted in one revision";
  EXPECT_EQ(etcd->Etcdctl({"get", "a", "d"})->out, "");
}

// `etcdctl lease keep-alive` (a stream): keeps renewing, each answer printed as etcd does.
TEST(LeaseTest, KeepAliveStreamRenewsRepeatedly) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "lease-keepalive");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto granted = etcd->Etcdctl({"lease", "grant", "3"});
  const std::string id = granted->out.substr(6, granted->out.find(' ', 6) - 6);
  const std::string log = NewTempDir("keepalive") + "/out";
  auto keepalive = etcd->StartEtcdctl({"lease", "keep-alive", id}, log);
  ASSERT_TRUE(keepalive.ok());
  const std::string line = "lease " + id + " keepalived with TTL(3)\n";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string out;
  while (std::chrono::steady_clock::now() < deadline) {
    out = ReadFile(log);
    if (out.find(line + line + line) != std::string::npos) break;  // three renewals in a row
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(out.find(line + line + line), std::string::npos) << out;
  // Kept alive past its TTL.
  EXPECT_NE(etcd->Etcdctl({"lease", "timetolive", id})->out.find("remaining("), std::string::npos);
}

// Leases and their attachments survive a restart; the remaining TTL starts over, as in etcd.
TEST(LeaseTest, LeasesSurviveARestart) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "lease-restart");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto granted = etcd->Etcdctl({"lease", "grant", "30"});
  const std::string id = granted->out.substr(6, granted->out.find(' ', 6) - 6);
  ASSERT_EQ(etcd->Etcdctl({"put", "k", "v", "--lease=" + id})->exit_code, 0);
  ASSERT_TRUE(etcd->Stop().ok());
  ASSERT_TRUE(etcd->Restart().ok());
  auto ttl = etcd->Etcdctl({"lease", "timetolive", id, "--keys"});
  ASSERT_TRUE(ttl.ok());
  EXPECT_EQ(MaskLease(ttl->out),
            "lease <id> granted with TTL(30s), remaining(<n>s), attached keys([k])\n");
  ASSERT_EQ(etcd->Etcdctl({"lease", "revoke", id})->exit_code, 0);
  EXPECT_EQ(etcd->Etcdctl({"get", "k"})->out, "");
}

}  // namespace
}  // namespace etcd::testing
