// The daemon as an operator meets it: flags, ETCD_* variables, --config-file, bad input at
// startup (compared with the real etcd 3.4 where it has an answer), and a corrupt WAL.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

CommandResult MustRun(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env = {}) {
  auto r = RunCommand(argv, env, "", std::chrono::seconds(20));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CommandResult{};
}

// A flag error makes both daemons exit at once with the same code and message.
TEST(DaemonTest, BadFlagsFailLikeTheRealEtcd) {
  const std::string dir = NewTempDir("badflags");
  const std::vector<std::vector<std::string>> cases = {
      {"--bogus-flag"},
      {"--snapshot-count", "abc"},
      {"--pre-vote=maybe"},
      {"--name"},
      {"--listen-peer-urls", "ftp://x:1"},
      {"--heartbeat-interval", "100", "--election-timeout", "400"},
      {"--initial-cluster-state", "sideways"},
  };
  for (const auto& flags : cases) {
    std::vector<std::string> ours = {OurEtcdBinary(), "--data-dir", dir + "/ours"};
    std::vector<std::string> real = {kRealEtcd, "--data-dir", dir + "/real"};
    ours.insert(ours.end(), flags.begin(), flags.end());
    real.insert(real.end(), flags.begin(), flags.end());
    const CommandResult o = MustRun(ours);
    const CommandResult r = MustRun(real);
    EXPECT_EQ(o.exit_code, r.exit_code) << flags[0] << "\nours: " << o.err << "\nreal: " << r.err;
    EXPECT_NE(o.exit_code, 0) << flags[0];
    // The first line of etcd's complaint (without its log prefix) appears in ours.
    std::string first;
    std::istringstream lines(r.err);
    while (std::getline(lines, first) && (first.empty() || first.find("[WARNING]") != std::string::npos)) {
    }
    if (size_t bar = first.find(" | "); bar != std::string::npos) first = first.substr(bar + 3);
    if (size_t colon = first.find("etcdmain: "); colon != std::string::npos) first = first.substr(colon + 10);
    EXPECT_NE(o.err.find(first), std::string::npos)
        << flags[0] << ": expected \"" << first << "\" in:\n" << o.err;
  }
}

TEST(DaemonTest, HelpAndVersion) {
  const CommandResult version = MustRun({OurEtcdBinary(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.substr(0, version.out.find('\n')), "etcd Version: 3.4.23");
  const CommandResult help = MustRun({OurEtcdBinary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--listen-client-urls"), std::string::npos);
}

TEST(DaemonTest, DataDirThatIsAFileStopsStartupWithAClearMessage) {
  const std::string dir = NewTempDir("datadir-file");
  const std::string file = dir + "/not-a-dir";
  std::ofstream(file) << "x";
  const int port = FreePort();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const CommandResult o = MustRun({OurEtcdBinary(), "--data-dir", file, "--listen-client-urls",
                                   url, "--advertise-client-urls", url});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find(file), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("not a directory"), std::string::npos) << o.err;
}

TEST(DaemonTest, StartsFromEnvironmentVariables) {
  const std::string dir = NewTempDir("env");
  const int client = FreePort(), peer = FreePort();
  const std::string c = "http://127.0.0.1:" + std::to_string(client);
  const std::string p = "http://127.0.0.1:" + std::to_string(peer);
  auto etcd = EtcdProcess::StartRaw(OurEtcdBinary(), "env", {},
                                    {{"ETCD_NAME", "envnode"},
                                     {"ETCD_DATA_DIR", dir + "/data"},
                                     {"ETCD_LISTEN_CLIENT_URLS", c},
                                     {"ETCD_ADVERTISE_CLIENT_URLS", c},
                                     {"ETCD_LISTEN_PEER_URLS", p},
                                     {"ETCD_INITIAL_ADVERTISE_PEER_URLS", p},
                                     {"ETCD_INITIAL_CLUSTER", "envnode=" + p}},
                                    client);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto list = etcd->Etcdctl({"member", "list"});
  ASSERT_TRUE(list.ok());
  EXPECT_NE(list->out.find(", started, envnode, " + p + ", " + c + ", false"), std::string::npos)
      << list->out;
  EXPECT_NE(etcd->Log().find("recognized and used environment variable ETCD_NAME=envnode"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::is_directory(dir + "/data/member/wal"));
}

TEST(DaemonTest, StartsFromAConfigFile) {
  const std::string dir = NewTempDir("config-file");
  const int client = FreePort(), peer = FreePort();
  const std::string c = "http://127.0.0.1:" + std::to_string(client);
  const std::string p = "http://127.0.0.1:" + std::to_string(peer);
  const std::string path = dir + "/etcd.yaml";
  std::ofstream(path) << "name: 'etcd-1'\n"
                      << "data-dir: " << dir << "/data\n"
                      << "listen-client-urls: " << c << "\n"
                      << "advertise-client-urls: " << c << "\n"
                      << "listen-peer-urls: " << p << "\n"
                      << "initial-advertise-peer-urls: " << p << "\n"
                      << "initial-cluster: etcd-1=" << p << "\n"
                      << "initial-cluster-token: 'etcd-cluster-1'\n"
                      << "initial-cluster-state: 'new'\n";
  // The config file wins over flags and environment, as in etcd.
  auto etcd = EtcdProcess::StartRaw(OurEtcdBinary(), "config", {"--config-file", path, "--name", "ignored"},
                                    {{"ETCD_NAME", "ignored-too"}}, client);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto list = etcd->Etcdctl({"member", "list"});
  ASSERT_TRUE(list.ok());
  EXPECT_NE(list->out.find(", started, etcd-1, " + p), std::string::npos) << list->out;
  auto put = etcd->Etcdctl({"put", "k", "v"});
  EXPECT_EQ(put->out, "OK\n");
}

TEST(DaemonTest, CorruptWalStopsStartupInsteadOfLosingData) {
  auto started = EtcdProcess::Start(OurEtcdBinary(), "corrupt-wal");
  ASSERT_TRUE(started.ok()) << started.status();
  EtcdProcess etcd = std::move(*started);
  for (int i = 0; i < 50; ++i) {
    auto r = etcd.Etcdctl({"put", "key" + std::to_string(i), std::string(100, 'v')});
    ASSERT_TRUE(r.ok() && r->exit_code == 0);
  }
  ASSERT_TRUE(etcd.Stop().ok());
  // Flip a byte in the middle of the WAL's written part: not a torn tail but corruption.
  const std::string wal_dir = etcd.data_dir() + "/member/wal";
  std::string segment;
  for (const auto& e : std::filesystem::directory_iterator(wal_dir)) {
    if (e.path().extension() == ".wal") segment = e.path().string();
  }
  ASSERT_FALSE(segment.empty());
  std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(3000);
  char c;
  f.read(&c, 1);
  f.seekp(3000);
  c = static_cast<char>(c ^ 0x5a);
  f.write(&c, 1);
  f.close();
  auto restarted = etcd.Restart();
  ASSERT_FALSE(restarted.ok());
  EXPECT_NE(etcd.Log().find(segment.substr(segment.rfind('/') + 1)), std::string::npos)
      << "the error names the damaged file:\n" << etcd.Log();
}

}  // namespace
}  // namespace etcd::testing

namespace etcd::testing {
namespace {

// --max-txn-ops is enforced with etcd's error, on both daemons alike.
TEST(DaemonTest, MaxTxnOpsAsTheRealEtcd) {
  auto ours = EtcdProcess::Start(OurEtcdBinary(), "txnops-ours", {"--max-txn-ops", "2"});
  ASSERT_TRUE(ours.ok()) << ours.status();
  auto real = EtcdProcess::Start(kRealEtcd, "txnops-real", {"--max-txn-ops", "2"});
  ASSERT_TRUE(real.ok()) << real.status();
  const std::string three_puts = "\nput a 1\nput b 2\nput c 3\n\n\n";
  const std::string two_puts = "\nput a 1\nput b 2\n\n\n";
  for (EtcdProcess* etcd : {&*ours, &*real}) {
    auto r = etcd->Etcdctl({"txn", "-i"}, three_puts);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 1);
    EXPECT_NE(r->err.find("Error: etcdserver: too many operations in txn request"),
              std::string::npos) << r->err;
    r = etcd->Etcdctl({"txn", "-i"}, two_puts);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 0) << r->err;
  }
}

// RPCs of later issues answer UNIMPLEMENTED rather than anything wrong.
TEST(DaemonTest, UnimplementedRpcsSaySo) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "unimplemented");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"auth", "enable"}, {"user", "list"}, {"role", "list"}}) {
    auto r = etcd->Etcdctl(args);
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->exit_code, 0) << args[0];
    EXPECT_NE(r->err.find("Unimplemented"), std::string::npos) << args[0] << ": " << r->err;
  }
}

}  // namespace
}  // namespace etcd::testing
