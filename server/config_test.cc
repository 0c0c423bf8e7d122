#include "server/config.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace etcd::server {
namespace {

using Env = std::map<std::string, std::string>;

ParsedConfig MustParse(const std::vector<std::string>& args, const Env& env = {}) {
  absl::StatusOr<ParsedConfig> parsed = ParseConfig(args, env);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : ParsedConfig{};
}

ServerConfig MustConfig(const std::vector<std::string>& args, const Env& env = {}) {
  ParsedConfig parsed = MustParse(args, env);
  EXPECT_EQ(parsed.action, ConfigAction::kRun);
  return parsed.config;
}

absl::Status ParseError(const std::vector<std::string>& args, const Env& env = {}) {
  absl::StatusOr<ParsedConfig> parsed = ParseConfig(args, env);
  EXPECT_FALSE(parsed.ok());
  return parsed.status();
}

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path) << contents;
  return path;
}

TEST(ConfigTest, Defaults) {
  ParsedConfig parsed = MustParse({});
  const ServerConfig& c = parsed.config;
  EXPECT_EQ(c.name, "default");
  EXPECT_EQ(c.data_dir, "default.etcd");
  EXPECT_EQ(parsed.warnings,
            std::vector<std::string>{"no data-dir provided, using default data-dir ./default.etcd"});
  EXPECT_EQ(c.WalDir(), "default.etcd/member/wal");
  EXPECT_EQ(c.SnapDir(), "default.etcd/member/snap");
  EXPECT_EQ(c.snapshot_count, 100000u);
  EXPECT_EQ(c.heartbeat_interval_ms, 100u);
  EXPECT_EQ(c.election_timeout_ms, 1000u);
  EXPECT_EQ(c.ElectionTicks(), 10);
  EXPECT_EQ(JoinUrls(c.listen_peer_urls), "http://localhost:2380");
  EXPECT_EQ(JoinUrls(c.listen_client_urls), "http://localhost:2379");
  EXPECT_EQ(JoinUrls(c.initial_advertise_peer_urls), "http://localhost:2380");
  EXPECT_EQ(JoinUrls(c.advertise_client_urls), "http://localhost:2379");
  EXPECT_TRUE(c.listen_metrics_urls.empty());
  EXPECT_EQ(c.initial_cluster, "default=http://localhost:2380");
  EXPECT_EQ(c.initial_cluster_token, "etcd-cluster");
  EXPECT_EQ(c.initial_cluster_state, ClusterState::kNew);
  EXPECT_TRUE(c.strict_reconfig_check);
  EXPECT_FALSE(c.pre_vote);
  EXPECT_EQ(c.quota_backend_bytes, 0);
  EXPECT_EQ(c.max_request_bytes, 1572864u);
  EXPECT_EQ(c.max_txn_ops, 128u);
  EXPECT_EQ(c.max_snapshots, 5u);
  EXPECT_EQ(c.max_wals, 5u);
  EXPECT_EQ(c.auto_compaction_mode, "periodic");
  EXPECT_EQ(c.auto_compaction_retention, "0");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.log_outputs, std::vector<std::string>{"default"});
  EXPECT_EQ(c.grpc_keepalive_min_time, absl::Seconds(5));
  EXPECT_EQ(c.grpc_keepalive_interval, absl::Hours(2));
  EXPECT_EQ(c.grpc_keepalive_timeout, absl::Seconds(20));
  EXPECT_TRUE(parsed.infos.empty());
}

TEST(ConfigTest, FlagForms) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--name", "n1"}, {"--name=n1"}, {"-name", "n1"}, {"-name=n1"}}) {
    EXPECT_EQ(MustConfig(args).name, "n1") << args[0];
  }
  // A value may itself start with a dash: Go's flag package takes the next argument.
  EXPECT_EQ(MustConfig({"--wal-dir", "-w"}).wal_dir, "-w");
  // Last occurrence wins.
  EXPECT_EQ(MustConfig({"--snapshot-count", "5", "--snapshot-count=7"}).snapshot_count, 7u);
}

TEST(ConfigTest, Booleans) {
  EXPECT_TRUE(MustConfig({"--pre-vote"}).pre_vote);
  EXPECT_TRUE(MustConfig({"-pre-vote"}).pre_vote);
  EXPECT_TRUE(MustConfig({"--pre-vote=true"}).pre_vote);
  EXPECT_TRUE(MustConfig({"--pre-vote=1"}).pre_vote);
  EXPECT_TRUE(MustConfig({"--pre-vote=T"}).pre_vote);
  EXPECT_FALSE(MustConfig({"--strict-reconfig-check=false"}).strict_reconfig_check);
  EXPECT_FALSE(MustConfig({"--strict-reconfig-check=0"}).strict_reconfig_check);
  // `--pre-vote false` sets true and leaves "false" as a stray argument, as in etcd.
  absl::Status st = ParseError({"--pre-vote", "false"});
  EXPECT_EQ(st.message(), "'false' is not a valid flag");
  EXPECT_EQ(GetConfigErrorKind(st), ConfigErrorKind::kInvalid);
  EXPECT_EQ(ConfigErrorExitCode(st), 1);
}

TEST(ConfigTest, NumbersUseGoSyntax) {
  EXPECT_EQ(MustConfig({"--snapshot-count", "0x10"}).snapshot_count, 16u);
  EXPECT_EQ(MustConfig({"--snapshot-count", "010"}).snapshot_count, 8u);
  EXPECT_EQ(MustConfig({"--snapshot-count", "1_000"}).snapshot_count, 1000u);
  EXPECT_EQ(MustConfig({"--quota-backend-bytes", "-1"}).quota_backend_bytes, -1);
  EXPECT_EQ(MustConfig({"--grpc-keepalive-min-time", "1m30s"}).grpc_keepalive_min_time,
            absl::Seconds(90));
  EXPECT_EQ(MustConfig({"--grpc-keepalive-timeout", "1.5s"}).grpc_keepalive_timeout,
            absl::Milliseconds(1500));
  EXPECT_EQ(MustConfig({"--max-concurrent-streams", "10"}).max_concurrent_streams, 10u);
}

TEST(ConfigTest, UrlsAndDerivedInitialCluster) {
  ServerConfig c = MustConfig({"--name", "n1", "--data-dir", "/tmp/x",
                               "--listen-client-urls", "http://127.0.0.1:23791",
                               "--advertise-client-urls", "http://127.0.0.1:23791",
                               "--listen-peer-urls", "http://127.0.0.1:23801",
                               "--initial-advertise-peer-urls",
                               "http://127.0.0.2:23801,http://127.0.0.1:23801"});
  EXPECT_EQ(JoinUrls(c.listen_client_urls), "http://127.0.0.1:23791");
  EXPECT_EQ(c.listen_peer_urls, (std::vector<Url>{{"http", "127.0.0.1", 23801}}));
  // Sorted, as etcd's types.NewURLs sorts them.
  EXPECT_EQ(JoinUrls(c.initial_advertise_peer_urls),
            "http://127.0.0.1:23801,http://127.0.0.2:23801");
  // --name without --initial-cluster: etcd derives the cluster from the name.
  EXPECT_EQ(c.initial_cluster, "n1=http://127.0.0.1:23801,n1=http://127.0.0.2:23801");
  EXPECT_EQ(c.data_dir, "/tmp/x");

  // With the default name, etcd 3.4 keeps "default=http://localhost:2380" even when the
  // advertised peer URLs change.
  EXPECT_EQ(MustConfig({"--initial-advertise-peer-urls", "http://127.0.0.1:23801"})
                .initial_cluster,
            "default=http://localhost:2380");
  // An explicit initial cluster is kept.
  EXPECT_EQ(MustConfig({"--name", "a", "--initial-cluster",
                        "a=http://10.0.0.1:2380,b=http://10.0.0.2:2380"})
                .initial_cluster,
            "a=http://10.0.0.1:2380,b=http://10.0.0.2:2380");
  // An empty URL flag leaves the default in place (etcd's UniqueURLs exception for "").
  EXPECT_EQ(JoinUrls(MustConfig({"--listen-peer-urls", ""}).listen_peer_urls),
            "http://localhost:2380");
  EXPECT_EQ(MustConfig({"--initial-cluster-state", "existing"}).initial_cluster_state,
            ClusterState::kExisting);
}

TEST(ConfigTest, HelpAndVersion) {
  EXPECT_EQ(MustParse({"--help"}).action, ConfigAction::kPrintHelp);
  EXPECT_EQ(MustParse({"-h"}).action, ConfigAction::kPrintHelp);
  EXPECT_EQ(MustParse({"--name", "x", "-help"}).action, ConfigAction::kPrintHelp);
  EXPECT_EQ(MustParse({"--version"}).action, ConfigAction::kPrintVersion);
  // --version wins over a bad environment, which is read after it.
  EXPECT_EQ(MustParse({"--version"}, {{"ETCD_SNAPSHOT_COUNT", "abc"}}).action,
            ConfigAction::kPrintVersion);
  // ETCD_VERSION is used as a setting but does not print the version (it is read too late).
  EXPECT_EQ(MustParse({}, {{"ETCD_VERSION", "true"}}).action, ConfigAction::kRun);
  EXPECT_NE(UsageLine().find("etcd -h | --help"), std::string::npos);
  EXPECT_NE(Usage().find("--initial-cluster 'default=http://localhost:2380'"), std::string::npos);
}

TEST(ConfigTest, EnvironmentVariables) {
  ParsedConfig parsed = MustParse(
      {}, {{"ETCD_NAME", "envname"},
           {"ETCD_DATA_DIR", "/tmp/cfgy"},
           {"ETCD_PRE_VOTE", "true"},
           {"ETCD_LISTEN_CLIENT_URLS", "http://127.0.0.1:23790"},
           {"ETCD_ADVERTISE_CLIENT_URLS", "http://127.0.0.1:23790"},
           {"ETCD_FOO", "1"},
           {"ETCDCTL_API", "3"},
           {"PATH", "/bin"}});
  EXPECT_EQ(parsed.config.name, "envname");
  EXPECT_EQ(parsed.config.data_dir, "/tmp/cfgy");
  EXPECT_TRUE(parsed.config.pre_vote);
  EXPECT_EQ(JoinUrls(parsed.config.listen_client_urls), "http://127.0.0.1:23790");
  EXPECT_EQ(parsed.config.initial_cluster, "envname=http://localhost:2380");
  // etcd logs them in flag-name order.
  EXPECT_EQ(parsed.infos,
            (std::vector<std::string>{
                "recognized and used environment variable "
                "ETCD_ADVERTISE_CLIENT_URLS=http://127.0.0.1:23790",
                "recognized and used environment variable ETCD_DATA_DIR=/tmp/cfgy",
                "recognized and used environment variable "
                "ETCD_LISTEN_CLIENT_URLS=http://127.0.0.1:23790",
                "recognized and used environment variable ETCD_NAME=envname",
                "recognized and used environment variable ETCD_PRE_VOTE=true",
            }));
  EXPECT_EQ(parsed.warnings,
            std::vector<std::string>{"unrecognized environment variable ETCD_FOO=1"});
}

TEST(ConfigTest, CommandLineAndEnvironmentForTheSameFlagIsFatal) {
  // etcd 3.4: "C | pkg/flags: conflicting environment variable ..." and exit 1.
  absl::Status st = ParseError({"--name", "x"}, {{"ETCD_NAME", "envname"}});
  EXPECT_EQ(st.message(),
            "conflicting environment variable \"ETCD_NAME\" is shadowed by corresponding "
            "command-line flag (either unset environment variable or disable flag)");
  EXPECT_EQ(GetConfigErrorKind(st), ConfigErrorKind::kFatal);
  EXPECT_EQ(ConfigErrorExitCode(st), 1);
  // Even an empty variable counts.
  EXPECT_FALSE(ParseConfig({"--name", "x"}, {{"ETCD_NAME", ""}}).ok());
  // Different flags from each source are fine.
  ServerConfig c = MustConfig({"--name", "x"}, {{"ETCD_SNAPSHOT_COUNT", "7"}});
  EXPECT_EQ(c.name, "x");
  EXPECT_EQ(c.snapshot_count, 7u);
}

TEST(ConfigTest, BadEnvironmentValues) {
  const std::pair<Env, std::string> cases[] = {
      {{{"ETCD_SNAPSHOT_COUNT", "abc"}},
       "invalid value \"abc\" for ETCD_SNAPSHOT_COUNT: parse error"},
      {{{"ETCD_PRE_VOTE", "yes"}}, "invalid value \"yes\" for ETCD_PRE_VOTE: parse error"},
      {{{"ETCD_LISTEN_PEER_URLS", "ftp://x:1"}},
       "invalid value \"ftp://x:1\" for ETCD_LISTEN_PEER_URLS: URL scheme must be http, "
       "https, unix, or unixs: ftp://x:1"},
      {{{"ETCD_INITIAL_CLUSTER_STATE", "foo"}},
       "invalid value \"foo\" for ETCD_INITIAL_CLUSTER_STATE: invalid value"},
  };
  for (const auto& [env, message] : cases) {
    absl::Status st = ParseError({}, env);
    EXPECT_EQ(st.message(), message);
    EXPECT_EQ(GetConfigErrorKind(st), ConfigErrorKind::kInvalid);
  }
}

TEST(ConfigTest, CommandLineSyntaxErrors) {
  // Observed with etcd 3.4.23: printed with the usage block, exit code 2.
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--bogus"}, "flag provided but not defined: -bogus"},
      {{"--snapshot-count", "abc"}, "invalid value \"abc\" for flag -snapshot-count: parse error"},
      {{"--heartbeat-interval=-1"},
       "invalid value \"-1\" for flag -heartbeat-interval: parse error"},
      {{"--snapshot-count", "99999999999999999999"},
       "invalid value \"99999999999999999999\" for flag -snapshot-count: value out of range"},
      {{"--max-request-bytes", "1.5"},
       "invalid value \"1.5\" for flag -max-request-bytes: parse error"},
      {{"--pre-vote=maybe"}, "invalid boolean value \"maybe\" for -pre-vote: parse error"},
      {{"--listen-peer-urls", "ftp://x:1"},
       "invalid value \"ftp://x:1\" for flag -listen-peer-urls: URL scheme must be http, "
       "https, unix, or unixs: ftp://x:1"},
      {{"--listen-peer-urls", "http://localhost"},
       "invalid value \"http://localhost\" for flag -listen-peer-urls: URL address does not "
       "have the form \"host:port\": http://localhost"},
      {{"--listen-peer-urls", "http://x:1/path"},
       "invalid value \"http://x:1/path\" for flag -listen-peer-urls: URL must not contain a "
       "path: http://x:1/path"},
      {{"--initial-cluster-state", "foo"},
       "invalid value \"foo\" for flag -initial-cluster-state: invalid value"},
      {{"--name"}, "flag needs an argument: -name"},
      {{"---name", "x"}, "bad flag syntax: ---name"},
      {{"--grpc-keepalive-min-time", "5"},
       "invalid value \"5\" for flag -grpc-keepalive-min-time: parse error"},
  };
  for (const auto& [args, message] : cases) {
    absl::Status st = ParseError(args);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(st.message(), message) << args[0];
    EXPECT_EQ(GetConfigErrorKind(st), ConfigErrorKind::kUsage) << args[0];
    EXPECT_EQ(ConfigErrorExitCode(st), 2);
  }
}

TEST(ConfigTest, ValidationErrors) {
  // Observed with etcd 3.4.23: "error verifying flags, <message>. See 'etcd --help'.", exit 1.
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"foo"}, "'foo' is not a valid flag"},
      {{"--name", "x", "--", "--pre-vote"}, "'--pre-vote' is not a valid flag"},
      {{"--listen-peer-urls", "http://example.com:1"},
       "expected IP in URL for binding (http://example.com:1)"},
      {{"--initial-advertise-peer-urls", "http://:1"},
       "--initial-advertise-peer-urls \"http://:1\" must be \"host:port\" (unexpected empty "
       "host (http://:1))"},
      {{"--election-timeout", "400"},
       "--election-timeout[400ms] should be at least as 5 times as "
       "--heartbeat-interval[100ms]"},
      {{"--election-timeout", "0"}, "--election-timeout must be >0 (set to 0ms)"},
      {{"--heartbeat-interval", "0"}, "--heartbeat-interval must be >0 (set to 0ms)"},
      {{"--election-timeout", "60000"},
       "--election-timeout[60000ms] is too long, and should be set less than 50000ms"},
      {{"--listen-client-urls", "http://127.0.0.1:23790"},
       "--advertise-client-urls is required when --listen-client-urls is set explicitly"},
      {{"--auto-compaction-mode", "foo"}, "unknown auto-compaction-mode \"foo\""},
      {{"--logger", "foo"}, "unknown logger option \"foo\""},
      {{"--log-outputs", "a,b"},
       "--logger=capnslog supports only 1 value in '--log-outputs', got [\"a\" \"b\"]"},
  };
  for (const auto& [args, message] : cases) {
    absl::Status st = ParseError(args);
    EXPECT_EQ(st.message(), message) << args[0];
    EXPECT_EQ(GetConfigErrorKind(st), ConfigErrorKind::kInvalid) << args[0];
    EXPECT_EQ(ConfigErrorExitCode(st), 1);
  }
}

TEST(ConfigTest, BadInitialClusterIsFatal) {
  // etcd: "C | etcdmain: error setting up initial cluster: ...", exit 1.
  absl::Status st = ParseError({"--initial-cluster", "a=ftp://x:1"});
  EXPECT_EQ(st.message(),
            "error setting up initial cluster: URL scheme must be http, https, unix, or unixs: "
            "ftp://x:1");
  EXPECT_EQ(GetConfigErrorKind(st), ConfigErrorKind::kFatal);
  EXPECT_EQ(ParseError({"--initial-cluster", "foo"}).message(),
            "error setting up initial cluster: URL scheme must be http, https, unix, or unixs: ");
}

TEST(ConfigTest, NotSupportedYet) {
  EXPECT_EQ(ParseError({"--listen-client-urls", "https://127.0.0.1:2379",
                        "--advertise-client-urls", "https://127.0.0.1:2379"})
                .message(),
            "--listen-client-urls \"https://127.0.0.1:2379\": https URLs are not supported yet "
            "(only http)");
  EXPECT_EQ(ParseError({"--cert-file", "/etc/cert.pem"}).message(),
            "--cert-file is set but TLS is not supported yet");
  EXPECT_EQ(ParseError({"--discovery", "https://discovery.etcd.io/x"}).message(),
            "--discovery is not supported yet");
  // Accepted and ignored: flags that do not change what the server guarantees.
  MustConfig({"--enable-v2", "--cors", "*", "--metrics", "extensive", "--client-cert-auth=false",
              "--experimental-enable-lease-checkpoint", "--logger", "zap"});
  // etcd's long-removed flags are swallowed with a warning.
  ParsedConfig parsed = MustParse({"--data-dir", "/d", "-v"});
  EXPECT_EQ(parsed.warnings,
            std::vector<std::string>{"flag \"-v\" is no longer supported - ignoring."});
}

TEST(ConfigTest, ConfigFile) {
  const std::string path = WriteTempFile("etcd.yaml", R"(
name: yamlname
data-dir: /tmp/cfgy
listen-client-urls: http://127.0.0.1:23790,http://127.0.0.1:23789
advertise-client-urls: http://127.0.0.1:23790
listen-peer-urls: http://127.0.0.1:23800
initial-advertise-peer-urls: http://127.0.0.1:23800
initial-cluster: yamlname=http://127.0.0.1:23800,other=http://127.0.0.1:23801
initial-cluster-token: tok
initial-cluster-state: existing
snapshot-count: 5000
heartbeat-interval: 50
election-timeout: 500
pre-vote: yes
strict-reconfig-check: false
quota-backend-bytes: 8589934592
max-request-bytes: 10485760
log-level: debug
log-outputs: [stderr]
grpc-keepalive-min-time: 1000000000
auto-compaction-mode: revision
auto-compaction-retention: "1000"
unknown-key: 5
)");
  // The command line and the environment are ignored once a config file is given.
  ParsedConfig parsed =
      MustParse({"--config-file", path, "--name", "flagname"}, {{"ETCD_NAME", "envname"}});
  const ServerConfig& c = parsed.config;
  EXPECT_EQ(c.name, "yamlname");
  EXPECT_EQ(c.data_dir, "/tmp/cfgy");
  EXPECT_EQ(JoinUrls(c.listen_client_urls), "http://127.0.0.1:23789,http://127.0.0.1:23790");
  EXPECT_EQ(JoinUrls(c.listen_peer_urls), "http://127.0.0.1:23800");
  EXPECT_EQ(c.initial_cluster, "yamlname=http://127.0.0.1:23800,other=http://127.0.0.1:23801");
  EXPECT_EQ(c.initial_cluster_token, "tok");
  EXPECT_EQ(c.initial_cluster_state, ClusterState::kExisting);
  EXPECT_EQ(c.snapshot_count, 5000u);
  EXPECT_EQ(c.heartbeat_interval_ms, 50u);
  EXPECT_EQ(c.election_timeout_ms, 500u);
  EXPECT_TRUE(c.pre_vote);
  EXPECT_FALSE(c.strict_reconfig_check);
  EXPECT_EQ(c.quota_backend_bytes, int64_t{8589934592});
  EXPECT_EQ(c.max_request_bytes, 10485760u);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.log_outputs, std::vector<std::string>{"stderr"});
  EXPECT_EQ(c.grpc_keepalive_min_time, absl::Seconds(1));  // a number of nanoseconds
  EXPECT_EQ(c.auto_compaction_mode, "revision");
  EXPECT_EQ(c.auto_compaction_retention, "1000");
  EXPECT_EQ(parsed.infos,
            std::vector<std::string>{
                "Loading server configuration from \"" + path +
                "\". Other configuration command line flags and environment variables will be "
                "ignored if provided."});

  // ETCD_CONFIG_FILE works too.
  EXPECT_EQ(MustConfig({}, {{"ETCD_CONFIG_FILE", path}}).name, "yamlname");
}

TEST(ConfigTest, ConfigFileDefaultsAndDerivedCluster) {
  const std::string path = WriteTempFile("name-only.yaml", "name: solo\n");
  ServerConfig c = MustConfig({"--config-file=" + path});
  EXPECT_EQ(c.initial_cluster, "solo=http://localhost:2380");
  EXPECT_EQ(c.data_dir, "solo.etcd");
  // listen-client-urls alone is fine in a file: advertise-client-urls keeps its default.
  const std::string lc = WriteTempFile("lc.yaml", "listen-client-urls: http://127.0.0.1:23790\n");
  EXPECT_EQ(JoinUrls(MustConfig({"--config-file", lc}).advertise_client_urls),
            "http://localhost:2379");
  EXPECT_EQ(MustConfig({"--config-file", WriteTempFile("empty.yaml", "")}).name, "default");
}

TEST(ConfigTest, ConfigFileErrors) {
  // Observed with etcd 3.4.23 (all exit 1).
  const struct {
    std::string contents;
    std::string message;
    ConfigErrorKind kind;
  } cases[] = {
      {"snapshot-count: abc\n",
       "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go "
       "struct field configYAML.snapshot-count of type uint64",
       ConfigErrorKind::kInvalid},
      {"snapshot-count: -5\n",
       "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number -5 into Go "
       "struct field configYAML.snapshot-count of type uint64",
       ConfigErrorKind::kInvalid},
      {"pre-vote: maybe\n",
       "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go "
       "struct field configYAML.pre-vote of type bool",
       ConfigErrorKind::kInvalid},
      {"name: 123\n",
       "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go "
       "struct field configYAML.name of type string",
       ConfigErrorKind::kInvalid},
      {"initial-cluster-state: foo\n", "unexpected clusterState \"foo\"",
       ConfigErrorKind::kInvalid},
      {"election-timeout: 200\n",
       "--election-timeout[200ms] should be at least as 5 times as --heartbeat-interval[100ms]",
       ConfigErrorKind::kInvalid},
      {"listen-peer-urls: ftp://x:1\n",
       "unexpected error setting up listen-peer-urls: URL scheme must be http, https, unix, or "
       "unixs: ftp://x:1",
       ConfigErrorKind::kFatal},
      {"advertise-client-urls: http://x\n",
       "unexpected error setting up advertise-peer-urls: URL address does not have the form "
       "\"host:port\": http://x",
       ConfigErrorKind::kFatal},
  };
  int i = 0;
  for (const auto& c : cases) {
    const std::string path = WriteTempFile("bad" + std::to_string(i++) + ".yaml", c.contents);
    absl::Status st = ParseError({"--config-file", path});
    EXPECT_EQ(st.message(), c.message) << c.contents;
    EXPECT_EQ(GetConfigErrorKind(st), c.kind) << c.contents;
  }

  absl::Status missing = ParseError({"--config-file", "/nonexistent/etcd.yaml"});
  EXPECT_EQ(missing.message(), "open /nonexistent/etcd.yaml: no such file or directory");
  absl::Status syntax = ParseError({"--config-file", WriteTempFile("syntax.yaml", "name: [a\n")});
  EXPECT_TRUE(absl::StartsWith(syntax.message(), "error converting YAML to JSON: yaml: line "))
      << syntax.message();
}

}  // namespace
}  // namespace etcd::server
