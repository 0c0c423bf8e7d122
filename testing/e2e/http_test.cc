// The HTTP endpoints operators use, with curl: /health, /version and /metrics on the client
// port (beside gRPC, as etcd serves them) and on --listen-metrics-urls; the same answers as the
// real etcd 3.4 where the answer is etcd's to define.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "absl/strings/str_split.h"
#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

struct HttpResult {
  int status = 0;
  std::string body;
};

HttpResult Curl(const std::string& url, const std::string& method = "GET") {
  auto r = RunCommand({"/usr/bin/curl", "-s", "-X", method, "-o", "-", "-w", "\n%{http_code}", url});
  HttpResult out;
  if (!r.ok() || r->exit_code != 0) {
    out.body = r.ok() ? "curl exit " + std::to_string(r->exit_code) + ": " + r->err
                      : std::string(r.status().message());
    return out;
  }
  const size_t nl = r->out.rfind('\n');
  out.body = r->out.substr(0, nl);
  out.status = std::atoi(r->out.substr(nl + 1).c_str());
  return out;
}

TEST(HttpTest, HealthAndVersionAsTheRealEtcd) {
  for (const std::string& binary : {std::string(kRealEtcd), OurEtcdBinary()}) {
    auto etcd = EtcdProcess::Start(binary, "http-" + std::to_string(binary.size()));
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    const std::string base = "http://" + etcd->endpoint();
    HttpResult health = Curl(base + "/health");
    EXPECT_EQ(health.status, 200) << binary;
    EXPECT_EQ(health.body, R"({"health":"true"})") << binary;
    HttpResult version = Curl(base + "/version");
    EXPECT_EQ(version.status, 200) << binary;
    EXPECT_EQ(version.body, R"({"etcdserver":"3.4.23","etcdcluster":"3.4.0"})") << binary;
    HttpResult post = Curl(base + "/health", "POST");
    EXPECT_EQ(post.status, 405) << binary;
    EXPECT_EQ(post.body, "Method Not Allowed\n") << binary;
    EXPECT_EQ(Curl(base + "/no-such-page").status, 404) << binary;
    // gRPC goes on working on the same port.
    auto put = etcd->Etcdctl({"put", "k", "v"});
    ASSERT_TRUE(put.ok());
    EXPECT_EQ(put->exit_code, 0) << binary << ": " << put->err;
  }
}

TEST(HttpTest, HealthIsFalseWithAnAlarm) {
  auto etcd = EtcdProcess::Start(OurEtcdBinary(), "http-alarm", {"--quota-backend-bytes=200000"});
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string value(8000, 'x');
  for (int i = 0; i < 100; ++i) {
    auto put = etcd->Etcdctl({"put", "k" + std::to_string(i), value});
    if (put.ok() && put->exit_code != 0) break;
  }
  HttpResult health = Curl("http://" + etcd->endpoint() + "/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(health.body, "{\"health\":\"false\"}\n");
}

TEST(HttpTest, MetricsParseAsPrometheusTextOnBothListeners) {
  const int metrics_port = FreePort();
  auto etcd = EtcdProcess::Start(
      OurEtcdBinary(), "http-metrics",
      {"--listen-metrics-urls", "http://127.0.0.1:" + std::to_string(metrics_port)});
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(etcd->Etcdctl({"put", "k", "v"})->exit_code, 0);
  ASSERT_NE(etcd->Etcdctl({"put", "", "v"})->exit_code, 0);  // an error, counted as such
  for (const std::string& base :
       {"http://" + etcd->endpoint(), "http://127.0.0.1:" + std::to_string(metrics_port)}) {
    HttpResult m = Curl(base + "/metrics");
    ASSERT_EQ(m.status, 200) << base;
    // Every line is a comment (# HELP / # TYPE) or `name{labels} value`.
    const std::regex sample(
        R"re([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? (-?[0-9.e+-]+|\+Inf|NaN))re");
    std::map<std::string, std::string> values;
    for (absl::string_view line : absl::StrSplit(m.body, '\n', absl::SkipEmpty())) {
      if (line[0] == '#') {
        EXPECT_TRUE(absl::StartsWith(line, "# HELP ") || absl::StartsWith(line, "# TYPE "))
            << line;
        continue;
      }
      const std::string l(line);
      EXPECT_TRUE(std::regex_match(l, sample)) << l;
      values[l.substr(0, l.rfind(' '))] = l.substr(l.rfind(' ') + 1);
    }
    // The metrics operators alert on.
    EXPECT_EQ(values["etcd_server_has_leader"], "1");
    EXPECT_EQ(values["etcd_server_leader_changes_seen_total"], "1");
    EXPECT_GE(std::stod(values["etcd_server_proposals_committed_total"]), 6);
    EXPECT_GE(std::stod(values["etcd_server_proposals_applied_total"]), 6);
    EXPECT_EQ(values["etcd_server_proposals_pending"], "0");
    EXPECT_TRUE(values.count("etcd_server_proposals_failed_total"));
    EXPECT_GE(std::stod(values["etcd_disk_wal_fsync_duration_seconds_count"]), 6);
    EXPECT_GE(std::stod(values["etcd_disk_backend_commit_duration_seconds_count"]), 6);
    EXPECT_GT(std::stod(values["etcd_mvcc_db_total_size_in_bytes"]), 0);
    EXPECT_EQ(values["grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Put\","
                     "grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}"],
              "5");
    EXPECT_EQ(values["grpc_server_handled_total{grpc_code=\"InvalidArgument\","
                     "grpc_method=\"Put\",grpc_service=\"etcdserverpb.KV\","
                     "grpc_type=\"unary\"}"],
              "1");
  }
}

}  // namespace
}  // namespace etcd::testing
