// `etcdctl lock` and `etcdctl elect` against our daemon (and the real etcd for the output
// format): mutual exclusion between processes, and leadership handed over on resignation.
#include <gtest/gtest.h>

#include <csignal>
#include <regex>
#include <sstream>
#include <thread>

#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

// Waits until `p` exits, at most `timeout`; returns its exit code (or -1).
int WaitExit(Process& p, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (p.Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (p.Running()) return -1;
  return p.Signal(0).value_or(-1);
}

std::string WaitForText(const std::string& path, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string s;
  while (std::chrono::steady_clock::now() < deadline) {
    s = ReadFile(path);
    if (s.find(text) != std::string::npos) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "no \"" << text << "\" in " << path << ":\n" << s;
  return s;
}

// N processes contend for one lock, each appending "start i" and "end i" to a shared file
// while it holds the lock: the file must show no overlap.
TEST(LockTest, ProcessesHoldingTheLockNeverOverlap) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "lock");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string dir = NewTempDir("lock-run");
  const std::string shared = dir + "/shared.txt";
  constexpr int kProcesses = 6;
  std::vector<Process> procs;
  for (int i = 0; i < kProcesses; ++i) {
    const std::string cmd = "echo start " + std::to_string(i) + " >> " + shared +
                            "; sleep 0.05; echo end " + std::to_string(i) + " >> " + shared;
    auto p = etcd->StartEtcdctl({"lock", "the-lock", "--", "/bin/sh", "-c", cmd},
                                dir + "/p" + std::to_string(i));
    ASSERT_TRUE(p.ok());
    procs.push_back(std::move(*p));
  }
  for (int i = 0; i < kProcesses; ++i) {
    EXPECT_EQ(WaitExit(procs[i], std::chrono::seconds(30)), 0) << ReadFile(dir + "/p" + std::to_string(i));
  }
  std::istringstream lines(ReadFile(shared));
  std::string line, holder;
  int completed = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("start ", 0) == 0) {
      EXPECT_TRUE(holder.empty()) << line << " while " << holder << " holds the lock";
      holder = line.substr(6);
    } else {
      EXPECT_EQ(line, "end " + holder);
      holder.clear();
      ++completed;
    }
  }
  EXPECT_EQ(completed, kProcesses);
  // After all unlocked, nothing of the lock is left.
  EXPECT_EQ(etcd->Etcdctl({"get", "the-lock", "--prefix", "--keys-only"})->out, "");
}

std::string MaskIds(const std::string& s) {
  return std::regex_replace(s, std::regex(R"(/[0-9a-f]{10,16}\b)"), "/<lease>");
}

// What `etcdctl elect -l` prints while two candidates campaign and the first resigns.
std::string ElectionScenario(EtcdProcess& etcd, const std::string& tag) {
  const std::string dir = NewTempDir("elect-" + tag);
  auto listener = etcd.StartEtcdctl({"elect", "-l", "the-election"}, dir + "/listen");
  auto alice = etcd.StartEtcdctl({"elect", "the-election", "alice"}, dir + "/alice");
  WaitForText(dir + "/alice", "alice\n");
  auto bob = etcd.StartEtcdctl({"elect", "the-election", "bob"}, dir + "/bob");
  WaitForText(dir + "/listen", "alice\n");
  // Bob waits for Alice; when she stops (etcdctl resigns on SIGINT), he leads.
  EXPECT_TRUE(alice->Signal(SIGINT).ok());
  WaitForText(dir + "/bob", "bob\n");
  const std::string seen = WaitForText(dir + "/listen", "bob\n");
  EXPECT_TRUE(bob->Signal(SIGINT).ok());
  return MaskIds(seen) + "|alice:" + MaskIds(ReadFile(dir + "/alice")) +
         "|bob:" + MaskIds(ReadFile(dir + "/bob"));
}

TEST(ElectTest, CampaignObserveAndHandOverAsTheRealEtcd) {
  auto ours = EtcdProcess::Start(OurEtcdBinary(), "elect-ours");
  ASSERT_TRUE(ours.ok()) << ours.status();
  auto real = EtcdProcess::Start(kRealEtcd, "elect-real");
  ASSERT_TRUE(real.ok()) << real.status();
  const std::string got = ElectionScenario(*ours, "ours");
  const std::string want = ElectionScenario(*real, "real");
  EXPECT_EQ(got, want);
  EXPECT_EQ(got,
            "the-election/<lease>\nalice\nthe-election/<lease>\nbob\n"
            "|alice:the-election/<lease>\nalice\n|bob:the-election/<lease>\nbob\n");
}

}  // namespace
}  // namespace etcd::testing
