// The benchmark binary against our daemon (//cmd/etcd) on loopback: every command with small
// totals; the report is parsed and checked against what the server holds afterwards.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <sstream>

#include "client/client.h"
#include "cmd/benchmark/commands.h"
#include "testing/etcd_process.h"
#include "testing/process.h"

namespace etcd::benchmark {
namespace {

using testing::EtcdProcess;

// Path of the benchmark binary in the test's runfiles.
std::string BenchmarkBinary() {
  return std::string(std::getenv("TEST_SRCDIR")) + "/" + std::getenv("TEST_WORKSPACE") +
         "/cmd/benchmark/benchmark";
}

// What a report (one "Summary:" block of etcd's layout) says.
struct ParsedReport {
  bool has_summary = false;
  double rps = 0;
  int64_t histogram_total = 0;     // requests counted in the histogram buckets
  std::vector<double> percentiles;  // the printed ones, in order
  int64_t errors = 0;               // requests in the error distribution
};

// Parses the first report found in `text` at or after `marker`.
ParsedReport Parse(const std::string& text, const std::string& marker = "") {
  ParsedReport r;
  size_t from = marker.empty() ? 0 : text.find(marker);
  if (from == std::string::npos) return r;
  std::istringstream in(text.substr(from + marker.size()));
  static const std::regex kRps(R"(^  Requests/sec:\t([0-9.e+-]+)$)");
  static const std::regex kBucket(R"(^  [0-9.e+-]+ \[([0-9]+)\]\t\|.*$)");
  static const std::regex kPercentile(R"(^  [0-9.]+% in ([0-9.e+-]+) secs\.$)");
  static const std::regex kError(R"(^  \[([0-9]+)\]\t.*$)");
  std::string line;
  int summaries = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line == "Summary:" && ++summaries > 1) break;  // the next report
    if (line == "Summary:") r.has_summary = true;
    if (std::regex_match(line, m, kRps)) r.rps = std::stod(m[1]);
    if (std::regex_match(line, m, kBucket)) r.histogram_total += std::stoll(m[1]);
    if (std::regex_match(line, m, kPercentile)) r.percentiles.push_back(std::stod(m[1]));
    if (std::regex_match(line, m, kError)) r.errors += std::stoll(m[1]);
  }
  return r;
}

// A successful report of `n` requests: all in the histogram, a positive rate, percentiles
// that never decrease, no errors.
void ExpectRequests(const ParsedReport& r, int64_t n) {
  EXPECT_TRUE(r.has_summary);
  EXPECT_EQ(r.histogram_total, n);
  EXPECT_GT(r.rps, 0);
  EXPECT_EQ(r.errors, 0);
  ASSERT_FALSE(r.percentiles.empty());
  for (size_t i = 1; i < r.percentiles.size(); ++i) {
    EXPECT_LE(r.percentiles[i - 1], r.percentiles[i]) << "percentile " << i;
  }
}

class BenchmarkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = EtcdProcess::Start(testing::OurEtcdBinary(), "benchmark");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = new EtcdProcess(*std::move(server));
    auto c = client::Client::New({.endpoints = {server_->endpoint()}});
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = c->release();
  }
  static void TearDownTestSuite() {
    delete client_;
    if (server_ != nullptr) (void)server_->Stop();
    delete server_;
  }

  // Runs the benchmark with `args` (after --endpoints); it must exit 0 within 60 s.
  static std::string Bench(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {BenchmarkBinary(), "--endpoints=" + server_->endpoint()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = testing::RunCommand(argv, {}, "", std::chrono::seconds(60));
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return "";
    EXPECT_EQ(result->exit_code, 0) << result->out << result->err;
    EXPECT_EQ(result->err, "") << "no progress bar without a terminal";
    return result->out;
  }

  static int64_t Revision() {
    auto got = client_->Get("any");
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? got->header().revision() : -1;
  }

  static EtcdProcess* server_;
  static client::Client* client_;
};

EtcdProcess* BenchmarkTest::server_ = nullptr;
client::Client* BenchmarkTest::client_ = nullptr;

TEST_F(BenchmarkTest, PutWritesEveryKeyWithItsSizes) {
  for (const std::string engine : {"threads", "callback"}) {
    SCOPED_TRACE(engine);
    const int64_t before = Revision();
    const std::string out =
        Bench({"--conns=2", "--clients=10", "--engine=" + engine, "put", "--total=200",
               "--key-size=8", "--val-size=64", "--sequential-keys", "--key-space-size=200"});
    ExpectRequests(Parse(out), 200);
    EXPECT_EQ(Revision() - before, 200);
    for (int64_t i = 0; i < 200; ++i) {
      auto got = client_->Get(VarintKey(i, 8));
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(got->kvs_size(), 1) << "key " << i;
      EXPECT_EQ(got->kvs(0).key().size(), 8u);
      EXPECT_EQ(got->kvs(0).value().size(), 64u);
    }
  }
}

TEST_F(BenchmarkTest, RangeLinearizableAndSerializable) {
  ASSERT_TRUE(client_->Put("foo", "bar").ok());
  const int64_t before = Revision();
  for (const std::string consistency : {"l", "s"}) {
    const std::string out = Bench({"--conns=2", "--clients=8", "range", "foo", "--total=100",
                                   "--consistency=" + consistency});
    EXPECT_EQ(out.rfind(consistency == "l" ? "bench with linearizable range\n"
                                           : "bench with serializable range\n",
                        0),
              0u)
        << out;
    ExpectRequests(Parse(out), 100);
  }
  EXPECT_EQ(Revision(), before) << "reads write nothing";
}

TEST_F(BenchmarkTest, TxnPutWritesOneRevisionPerTxn) {
  const int64_t before = Revision();
  const std::string out = Bench({"--clients=3", "txn-put", "--total=50", "--txn-ops=3",
                                 "--key-space-size=30", "--val-size=16", "--key-size=10"});
  ExpectRequests(Parse(out), 50);
  EXPECT_EQ(Revision() - before, 50);
  for (int64_t i = 0; i < 30; ++i) {
    auto got = client_->Get(VarintKey(i, 10));
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->kvs_size(), 1) << "key " << i;
    EXPECT_EQ(got->kvs(0).value().size(), 16u);
  }
}

TEST_F(BenchmarkTest, TxnMixedSplitsReadsAndWrites) {
  const int64_t before = Revision();
  const std::string out = Bench({"--conns=2", "--clients=6", "txn-mixed", "--total=100",
                                 "--rw-ratio=1", "--key-space-size=20", "--limit=10"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("Total Read Ops: ([0-9]+)\nDetails:"))) << out;
  const int64_t reads = std::stoll(m[1]);
  ASSERT_TRUE(std::regex_search(out, m, std::regex("Total Write Ops: ([0-9]+)\nDetails:"))) << out;
  const int64_t writes = std::stoll(m[1]);
  EXPECT_EQ(reads + writes, 100);
  if (reads > 0) ExpectRequests(Parse(out, "Total Read Ops:"), reads);
  if (writes > 0) ExpectRequests(Parse(out, "Total Write Ops:"), writes);
  EXPECT_EQ(Revision() - before, writes);
}

TEST_F(BenchmarkTest, StmCommitsEachTransactionOnce) {
  const int64_t before = Revision();
  // Two keys per transaction, half of them written: one put, one revision per commit; the
  // transactions that lose a race are retried, not counted.
  const std::string out = Bench({"--clients=4", "stm", "--total=40", "--keys=5",
                                 "--keys-per-txn=2", "--txn-wr-percent=50"});
  ExpectRequests(Parse(out), 40);
  EXPECT_EQ(Revision() - before, 40);
}

TEST_F(BenchmarkTest, LeaseKeepaliveRenewsEachClientsLease) {
  auto leases_before = client_->Leases();
  ASSERT_TRUE(leases_before.ok());
  const std::string out = Bench({"--clients=3", "lease-keepalive", "--total=60"});
  ExpectRequests(Parse(out), 60);
  auto leases = client_->Leases();
  ASSERT_TRUE(leases.ok());
  EXPECT_EQ(leases->leases_size() - leases_before->leases_size(), 3);
}

TEST_F(BenchmarkTest, WatchCountsEveryEventOfEveryWatcher) {
  const std::string out = Bench({"--conns=2", "--clients=2", "watch", "--streams=2",
                                 "--watch-per-stream=5", "--put-total=20", "--watched-key-total=2",
                                 "--sequential-keys", "--key-space-size=2"});
  ExpectRequests(Parse(out, "Watch creation summary:"), 10);
  // Two keys, five watchers each; each put reaches the five watchers of its key.
  ExpectRequests(Parse(out, "Watch events received summary:"), 20 * 5);
}

TEST_F(BenchmarkTest, WatchLatencyHasOneSamplePerWatcherAndPut) {
  const std::string out = Bench({"--conns=2", "--clients=2", "watch-latency", "--streams=2",
                                 "--watchers-per-stream=4", "--put-total=10", "--put-rate=1000"});
  ExpectRequests(Parse(out), 10 * 8);
  ExpectRequests(Parse(out, "Put summary:"), 10);
}

TEST_F(BenchmarkTest, WatchGetReadsWhileWatchersCatchUp) {
  const std::string out =
      Bench({"watch-get", "--watchers=10", "--streams=2", "--events=4"});
  const ParsedReport gets = Parse(out, "Get during watch summary:");
  EXPECT_TRUE(gets.has_summary) << out;
  EXPECT_GT(gets.histogram_total, 0);
  EXPECT_EQ(gets.errors, 0);
}

TEST_F(BenchmarkTest, TargetLeaderFindsTheOnlyMember) {
  ExpectRequests(Parse(Bench({"--target-leader", "put", "--total=5"})), 5);
}

TEST_F(BenchmarkTest, BadFlagsAreRefusedWithUsage) {
  const std::string binary = BenchmarkBinary();
  auto unknown = testing::RunCommand({binary, "put", "--bogus=1"});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->exit_code, 1);
  EXPECT_NE(unknown->err.find("unknown flag: --bogus"), std::string::npos) << unknown->err;
  EXPECT_NE(unknown->err.find("--key-space-size"), std::string::npos) << "usage lists flags";
  auto space = testing::RunCommand(
      {binary, "--endpoints=" + server_->endpoint(), "put", "--key-space-size=0"});
  ASSERT_TRUE(space.ok());
  EXPECT_EQ(space->exit_code, 1);
  EXPECT_NE(space->err.find("expected positive --key-space-size, got (0)"), std::string::npos);
}

}  // namespace
}  // namespace etcd::benchmark
