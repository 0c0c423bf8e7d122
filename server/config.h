// The etcd daemon's configuration: its settings with etcd 3.4's defaults, and the parser for
// the three ways an operator gives them, with etcd's precedence and error texts
// (etcdmain/config.go, embed/config.go, pkg/flags/):
//
//   1. command-line flags: `--flag value`, `--flag=value`, `-flag value`, `-flag=value`
//      (Go's flag package); booleans as `--flag` or `--flag=true|false|1|0|t|f...`; parsing
//      stops at the first non-flag argument or at `--`, and any argument left over is an error;
//   2. an environment variable ETCD_<FLAG_UPPER_WITH_UNDERSCORES> for each flag not given on the
//      command line; giving both is an error in etcd ("conflicting environment variable ... is
//      shadowed by corresponding command-line flag"), not a silent override;
//   3. `--config-file` (or ETCD_CONFIG_FILE): a YAML file with etcd's keys; when given, every
//      other flag and environment variable is ignored.
//
// Flags of etcd 3.4 this server does not implement are still accepted with their types checked
// (so existing command lines keep working); those that would change security or bootstrap
// semantics (TLS files, discovery, proxy, unix sockets, https) are rejected as "not supported
// yet" rather than silently ignored.
//
// Thread-safety: plain values and pure functions (ParseConfig reads the YAML file, nothing else).
#ifndef ETCD_SERVER_CONFIG_H_
#define ETCD_SERVER_CONFIG_H_

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/url.h"

namespace etcd::server {

enum class ClusterState { kNew, kExisting };

// What a member needs to start; defaults are etcd 3.4's. The flag for each field is named in
// its comment; the environment variable is ETCD_ + the flag upper-cased with '-' -> '_'.
struct ServerConfig {
  // --name: human-readable member name; its key in --initial-cluster.
  std::string name = "default";
  // --data-dir. ParseConfig sets "<name>.etcd" when it is empty (etcd's default).
  std::string data_dir;
  // --wal-dir: a dedicated WAL directory; empty means <data-dir>/member/wal.
  std::string wal_dir;

  // --snapshot-count: committed entries between snapshots.
  uint64_t snapshot_count = 100000;
  // --heartbeat-interval (ms) and --election-timeout (ms). Invariant after ParseConfig:
  // 0 < 5 * heartbeat_interval_ms <= election_timeout_ms <= 50000.
  uint64_t heartbeat_interval_ms = 100;
  uint64_t election_timeout_ms = 1000;
  // --initial-election-tick-advance: fast-forward election ticks on boot.
  bool initial_election_tick_advance = true;

  // --listen-peer-urls, --listen-client-urls: where to bind (host must be an IP or
  // "localhost"). Sorted as etcd sorts them.
  std::vector<Url> listen_peer_urls = {{"http", "localhost", 2380}};
  std::vector<Url> listen_client_urls = {{"http", "localhost", 2379}};
  // --listen-metrics-urls: extra listeners for /metrics and /health; empty: none.
  std::vector<Url> listen_metrics_urls;
  // --initial-advertise-peer-urls, --advertise-client-urls: what this member tells others.
  std::vector<Url> initial_advertise_peer_urls = {{"http", "localhost", 2380}};
  std::vector<Url> advertise_client_urls = {{"http", "localhost", 2379}};

  // --max-snapshots, --max-wals: files to retain (0: unlimited).
  uint64_t max_snapshots = 5;
  uint64_t max_wals = 5;

  // --quota-backend-bytes: alarm threshold for the backend size (0: the default quota).
  int64_t quota_backend_bytes = 0;
  // --backend-batch-interval, --backend-batch-limit: backend commit batching (0: default).
  absl::Duration backend_batch_interval = absl::ZeroDuration();
  int64_t backend_batch_limit = 0;
  // --max-txn-ops: operations per Txn; --max-request-bytes: largest client request.
  uint64_t max_txn_ops = 128;
  uint64_t max_request_bytes = 1572864;
  // --max-concurrent-streams: per gRPC client connection.
  uint32_t max_concurrent_streams = std::numeric_limits<uint32_t>::max();
  // --grpc-keepalive-min-time, --grpc-keepalive-interval, --grpc-keepalive-timeout.
  absl::Duration grpc_keepalive_min_time = absl::Seconds(5);
  absl::Duration grpc_keepalive_interval = absl::Hours(2);
  absl::Duration grpc_keepalive_timeout = absl::Seconds(20);

  // --initial-cluster: "name=peer-url,..." used on first boot. When --name is changed and this
  // is left at its default, etcd derives "<name>=<each initial-advertise-peer-url>".
  std::string initial_cluster = "default=http://localhost:2380";
  // --initial-cluster-token: mixed into member IDs so clusters with equal URLs differ.
  std::string initial_cluster_token = "etcd-cluster";
  // --initial-cluster-state: "new" or "existing".
  ClusterState initial_cluster_state = ClusterState::kNew;
  // --strict-reconfig-check: reject membership changes that would lose quorum.
  bool strict_reconfig_check = true;
  // --pre-vote: Raft pre-vote phase (etcd 3.4 default: off).
  bool pre_vote = false;
  // --enable-v2: accepted for compatibility; the v2 API is not served.
  bool enable_v2 = false;

  // --auto-compaction-mode ("periodic" or "revision") and --auto-compaction-retention
  // ("0" disables; a duration like "5m", or hours, or a revision count, depending on mode).
  std::string auto_compaction_mode = "periodic";
  std::string auto_compaction_retention = "0";

  // --logger ("capnslog" or "zap"), --log-level (debug|info|warn|error|panic|fatal),
  // --log-outputs ("default", "stderr", "stdout", or paths with zap), --debug.
  std::string logger = "capnslog";
  std::string log_level = "info";
  std::vector<std::string> log_outputs = {"default"};
  bool debug = false;

  // --auth-token ("simple" or "jwt,..."), --bcrypt-cost, --auth-token-ttl (seconds).
  std::string auth_token = "simple";
  uint64_t bcrypt_cost = 10;
  uint64_t auth_token_ttl = 300;

  // --metrics ("basic" or "extensive"), --enable-pprof, --enable-grpc-gateway.
  std::string metrics = "basic";
  bool enable_pprof = false;
  bool enable_grpc_gateway = true;

  // --experimental-initial-corrupt-check, --experimental-corrupt-check-time,
  // --experimental-compaction-batch-limit, --experimental-watch-progress-notify-interval,
  // --experimental-warning-apply-duration.
  bool experimental_initial_corrupt_check = false;
  absl::Duration experimental_corrupt_check_time = absl::ZeroDuration();
  int64_t experimental_compaction_batch_limit = 0;
  absl::Duration experimental_watch_progress_notify_interval = absl::ZeroDuration();
  absl::Duration experimental_warning_apply_duration = absl::Milliseconds(100);
  // --experimental-snapshot-catchup-entries (etcd 3.5): entries kept in the Raft log after a
  // snapshot, so that a follower a little behind gets entries rather than a snapshot.
  uint64_t experimental_snapshot_catchup_entries = 5000;

  // --force-new-cluster (unsafe): start as a one-member cluster from existing data.
  bool force_new_cluster = false;
  // --unsafe-no-fsync (unsafe): skip fsync; data loss on crash.
  bool unsafe_no_fsync = false;

  // Election timeout in heartbeat ticks (etcd's ElectionTicks()).
  int ElectionTicks() const {
    return static_cast<int>(election_timeout_ms / heartbeat_interval_ms);
  }
  // <data-dir>/member, and the WAL and snapshot directories under it (wal_dir overrides the
  // WAL one), as etcd lays them out.
  std::string MemberDir() const;
  std::string WalDir() const;
  std::string SnapDir() const;
};

// What the caller should do with the parsed command line.
enum class ConfigAction {
  kRun,           // start the server with `config`.
  kPrintHelp,     // -h/--help: print UsageLine() to stderr and Usage() to stdout, exit 0.
  kPrintVersion,  // --version: print the version lines to stdout, exit 0.
};

struct ParsedConfig {
  ConfigAction action = ConfigAction::kRun;
  ServerConfig config;  // meaningful when action == kRun.
  // Lines etcd logs at info level while parsing, in etcd's order, e.g.
  // "recognized and used environment variable ETCD_NAME=infra1" or
  // "Loading server configuration from \"/etc/etcd.yaml\". Other configuration command line
  // flags and environment variables will be ignored if provided.".
  std::vector<std::string> infos;
  // Lines etcd logs at warning level, e.g. "unrecognized environment variable ETCD_FOO=1",
  // "no data-dir provided, using default data-dir ./default.etcd".
  std::vector<std::string> warnings;
};

// Parses `args` (argv without argv[0]) and `env` (the process environment, all of it: etcd
// warns about unknown ETCD_* variables and fails on ones shadowed by a flag).
//
// Errors are InvalidArgument with etcd's message text; how etcd reports each one, and so its
// exit code, is given by GetConfigErrorKind().
absl::StatusOr<ParsedConfig> ParseConfig(const std::vector<std::string>& args,
                                         const std::map<std::string, std::string>& env);

// How etcd 3.4 reports a ParseConfig error; the daemon's main reproduces it.
enum class ConfigErrorKind {
  // Go flag package errors ("flag provided but not defined: -foo", "invalid value \"x\" for
  // flag -snapshot-count: parse error", "flag needs an argument: -name", ...): print the
  // message and then UsageLine() to stderr, exit 2.
  kUsage,
  // Validation errors: etcd logs "error verifying flags, <message>. See 'etcd --help'." at
  // error level and exits 1.
  kInvalid,
  // Errors etcd reports as a bare message or a critical log line (the message holds the whole
  // text, e.g. "conflicting environment variable \"ETCD_NAME\" is shadowed by ...",
  // "error setting up initial cluster: ...", "unexpected error setting up listen-peer-urls:
  // ..."): print it, exit 1.
  kFatal,
};
ConfigErrorKind GetConfigErrorKind(const absl::Status& status);

// The process exit code etcd uses for a ParseConfig error (2 for kUsage, otherwise 1).
int ConfigErrorExitCode(const absl::Status& status);

// etcd's "Usage: ..." block (printed to stderr on -h/--help and after a flag error).
std::string UsageLine();

// The flags help, grouped as etcd's, for the flags this server supports (stdout on --help).
std::string Usage();

}  // namespace etcd::server

#endif  // ETCD_SERVER_CONFIG_H_
