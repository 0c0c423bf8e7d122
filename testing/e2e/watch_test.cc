// `etcdctl watch` against our daemon and the real etcd 3.4: the same watches over the same
// changes print the same output. Watches start at explicit revisions so that the output does not
// depend on when a watcher was registered.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <thread>

#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

// Waits until `path` contains `marker` `count` times, at most 20 s; returns the contents.
std::string WaitForOutput(const std::string& path, const std::string& marker, int count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string text;
  while (std::chrono::steady_clock::now() < deadline) {
    text = ReadFile(path);
    int n = 0;
    for (size_t pos = text.find(marker); pos != std::string::npos; pos = text.find(marker, pos + 1)) ++n;
    if (n >= count) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "timed out waiting for " << count << " x \"" << marker << "\" in " << path
                << ":\n" << text;
  return text;
}

struct WatchCase {
  std::vector<std::string> args;
  int deletes;  // DELETE lines the watch prints by the end
};

// Runs the scenario on one server; returns each watch's output.
std::vector<std::string> Scenario(EtcdProcess& etcd, const std::string& tag) {
  auto run = [&](std::vector<std::string> args, std::string input = "") {
    auto r = etcd.Etcdctl(args, input);
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << args[0] << (r.ok() ? r->err : "");
  };
  run({"put", "foo", "1"});  // revision 2
  run({"put", "foo", "2"});  // 3
  const std::vector<WatchCase> cases = {
      {{"watch", "foo", "--rev", "4", "--prev-kv"}, 1},
      {{"watch", "--rev", "1", "f", "--prefix"}, 2},
      {{"watch", "foo", "fz", "--rev", "2"}, 1},
      {{"watch", "--rev", "3", "fa", "g"}, 2},
      {{"watch", "-w", "json", "--rev", "5", "foo"}, 1},
  };
  const std::string dir = NewTempDir("watch-" + tag);
  std::vector<Process> watchers;
  for (size_t i = 0; i < cases.size(); ++i) {
    auto p = etcd.StartEtcdctl(cases[i].args, dir + "/w" + std::to_string(i));
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) watchers.push_back(std::move(*p));
  }
  run({"put", "foo", "3"});  // 4
  run({"put", "fob", "x"});  // 5
  run({"txn", "-i"}, "\nput foo 4\nput fa y\ndel fob\n\n\n");  // 6: three events in one revision
  run({"del", "foo"});      // 7
  std::vector<std::string> out;
  for (size_t i = 0; i < cases.size(); ++i) {
    const bool json = cases[i].args[1] == "-w";
    out.push_back(WaitForOutput(dir + "/w" + std::to_string(i),
                                json ? "\"type\":1" : "DELETE\n", cases[i].deletes));
  }
  return out;
}

TEST(WatchTest, EtcdctlWatchPrintsWhatTheRealEtcdPrints) {
  auto ours = EtcdProcess::Start(OurEtcdBinary(), "watch-ours");
  ASSERT_TRUE(ours.ok()) << ours.status();
  auto real = EtcdProcess::Start(kRealEtcd, "watch-real");
  ASSERT_TRUE(real.ok()) << real.status();
  const auto got = Scenario(*ours, "ours");
  const auto want = Scenario(*real, "real");
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (i == 4) continue;  // JSON carries cluster and member IDs; checked below without them
    EXPECT_EQ(got[i], want[i]) << "watch " << i;
  }
  EXPECT_NE(got[0].find("PUT\nfoo\n2\nfoo\n3\n"), std::string::npos) << got[0];  // prev_kv
  // The txn's three changes came as one response of revision 6.
  EXPECT_NE(got[1].find("PUT\nfoo\n4\nPUT\nfa\ny\nDELETE\nfob\n\n"), std::string::npos) << got[1];
  EXPECT_NE(got[4].find("\"Events\":[{\"kv\":{\"key\":\"Zm9v\",\"create_revision\":2,"
                        "\"mod_revision\":6,\"version\":4,\"value\":\"NA==\"}}]"),
            std::string::npos) << got[4];
  // Mask the IDs and compare the JSON too.
  auto mask = [](std::string s) {
    for (const char* field : {"\"cluster_id\":", "\"member_id\":"}) {
      for (size_t pos = s.find(field); pos != std::string::npos; pos = s.find(field, pos + 1)) {
        size_t end = s.find_first_not_of("0123456789", pos + strlen(field));
        s.replace(pos + strlen(field), end - pos - strlen(field), "N");
      }
    }
    return s;
  };
  EXPECT_EQ(mask(got[4]), mask(want[4]));
}

TEST(WatchTest, WatchFromACompactedRevisionIsCancelled) {
  for (const bool real : {false, true}) {
    auto etcd = EtcdProcess::Start(real ? kRealEtcd : OurEtcdBinary(),
                                   real ? "compact-real" : "compact-ours");
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    for (int i = 0; i < 5; ++i) ASSERT_EQ(etcd->Etcdctl({"put", "k", std::to_string(i)})->exit_code, 0);
    ASSERT_EQ(etcd->Etcdctl({"compact", "5"})->exit_code, 0);
    auto r = RunCommand({kRealEtcdctl, "--endpoints", etcd->endpoint(), "watch", "k", "--rev", "2"},
                        {{"ETCDCTL_API", "3"}}, "", std::chrono::seconds(10));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_NE(r->exit_code, 0) << (real ? "real" : "ours");
    EXPECT_NE((r->out + r->err).find("required revision has been compacted"), std::string::npos)
        << (real ? "real: " : "ours: ") << r->out << r->err;
  }
}

// `etcdctl watch -i`: watch commands read from standard input, each a watch of its own.
TEST(WatchTest, InteractiveWatchAsTheRealEtcd) {
  std::vector<std::string> outputs;
  for (const bool real : {false, true}) {
    auto etcd = EtcdProcess::Start(real ? kRealEtcd : OurEtcdBinary(),
                                   real ? "interactive-real" : "interactive-ours");
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    const std::string dir = NewTempDir(real ? "wi-real" : "wi-ours");
    const std::string fifo = dir + "/stdin";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const int writer = open(fifo.c_str(), O_RDWR);  // keeps the FIFO open: no EOF for etcdctl
    auto watch = etcd->StartEtcdctl({"watch", "-i"}, dir + "/out", fifo);
    ASSERT_TRUE(watch.ok());
    const std::string cmds = "watch a --rev 1\nwatch b --rev 1 --prev-kv\n";
    ASSERT_EQ(write(writer, cmds.data(), cmds.size()), static_cast<ssize_t>(cmds.size()));
    ASSERT_EQ(etcd->Etcdctl({"put", "a", "1"})->exit_code, 0);
    ASSERT_EQ(etcd->Etcdctl({"put", "b", "1"})->exit_code, 0);
    ASSERT_EQ(etcd->Etcdctl({"put", "b", "2"})->exit_code, 0);
    outputs.push_back(WaitForOutput(dir + "/out", "PUT\n", 3));
    close(writer);
  }
  // Two watches print concurrently: compare the sorted lines, and each watch's own order.
  auto lines = [](const std::string& s) {
    std::vector<std::string> v;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) v.push_back(l);
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(lines(outputs[0]), lines(outputs[1]));
  EXPECT_NE(outputs[0].find("PUT\nb\n1\nb\n2\n"), std::string::npos) << outputs[0];
}

}  // namespace
}  // namespace etcd::testing
