#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "pkg/go_parse.h"
#include "server/member_id.h"

namespace etcd::server {
namespace {

constexpr char kDefaultName[] = "default";
// NewConfig's initial cluster: InitialClusterFromName("default") over the default
// initial-advertise-peer-urls. etcd compares against this string, not against "unset".
constexpr char kDefaultInitialCluster[] = "default=http://localhost:2380";
constexpr uint64_t kMaxElectionMs = 50000;

// ---------------------------------------------------------------------------------------------
// Error kinds travel as a payload so main can reproduce etcd's reporting and exit code.

constexpr char kErrorKindUrl[] = "type.etcd.io/etcd.server.ConfigErrorKind";

absl::Status ConfigError(ConfigErrorKind kind, std::string message) {
  absl::Status status = absl::InvalidArgumentError(std::move(message));
  const char* tag = kind == ConfigErrorKind::kUsage ? "usage"
                    : kind == ConfigErrorKind::kFatal ? "fatal"
                                                      : "invalid";
  status.SetPayload(kErrorKindUrl, absl::Cord(tag));
  return status;
}
absl::Status UsageError(std::string message) {
  return ConfigError(ConfigErrorKind::kUsage, std::move(message));
}
absl::Status InvalidError(std::string message) {
  return ConfigError(ConfigErrorKind::kInvalid, std::move(message));
}
absl::Status FatalError(std::string message) {
  return ConfigError(ConfigErrorKind::kFatal, std::move(message));
}

// Go's %q for plain ASCII text (enough for flag values and file names in messages).
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}
std::string QuoteList(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& item : items) quoted.push_back(Quote(item));
  return absl::StrCat("[", absl::StrJoin(quoted, " "), "]");
}

// ---------------------------------------------------------------------------------------------
// Go's strconv and time parsing, as the flag package uses them. Errors carry the detail the
// flag package prints: "parse error" or "value out of range".

absl::Status ParseErr() { return absl::InvalidArgumentError("parse error"); }
absl::Status RangeErr() { return absl::InvalidArgumentError("value out of range"); }

// The flag package keeps only the kind of a strconv or time error.
template <typename T>
absl::StatusOr<T> AsFlagValue(absl::StatusOr<T> v) {
  if (v.ok()) return v;
  return v.status().code() == absl::StatusCode::kOutOfRange ? RangeErr() : ParseErr();
}
absl::StatusOr<uint64_t> GoParseUint(absl::string_view s, int bits) {
  return AsFlagValue(pkg::GoParseUint(s, 0, bits));
}
absl::StatusOr<int64_t> GoParseInt(absl::string_view s, int bits) {
  return AsFlagValue(pkg::GoParseInt(s, 0, bits));
}
absl::StatusOr<bool> GoParseBool(absl::string_view s) { return AsFlagValue(pkg::GoParseBool(s)); }
absl::StatusOr<absl::Duration> GoParseDuration(absl::string_view s) {
  return AsFlagValue(pkg::GoParseDuration(s));
}

// ---------------------------------------------------------------------------------------------
// The flag table.

enum class Kind {
  kString,
  kBool,
  kUint,      // Go uint (64 bits here)
  kUint64,
  kUint32,    // etcd's flags.Uint32Value
  kInt,       // Go int (64 bits here)
  kInt64,
  kDuration,  // time.Duration ("5s"; nanoseconds as a YAML number)
  kUrls,      // comma separated URLs (a string in YAML)
  kStrings,   // comma separated strings (a list in YAML)
  kChoice,    // one of a fixed set (a string in YAML)
  kIgnored,   // etcd's removed flags: bool-like, ignored with a warning
};

// Everything the flags write: the config, and the settings we accept only to reject or ignore.
struct State {
  ServerConfig cfg;
  std::string config_file;
  bool print_version = false;
  std::string discovery;
  std::string discovery_srv;
  std::string proxy = "off";
  std::vector<std::string> deprecated_log_output = {"default"};
  // TLS settings given a non-empty/true value, by flag name: we cannot honour them yet.
  std::set<std::string> tls_flags_set;
  std::vector<std::string> warnings;
};

using Setter = absl::Status (*)(State&, absl::string_view);

struct FlagDef {
  absl::string_view name;
  Kind kind;
  Setter set;
};

absl::Status SetUint(absl::string_view v, int bits, uint64_t* out) {
  absl::StatusOr<uint64_t> n = GoParseUint(v, bits);
  if (!n.ok()) return n.status();
  *out = *n;
  return absl::OkStatus();
}
absl::Status SetInt(absl::string_view v, int64_t* out) {
  absl::StatusOr<int64_t> n = GoParseInt(v, 64);
  if (!n.ok()) return n.status();
  *out = *n;
  return absl::OkStatus();
}
absl::Status SetBool(absl::string_view v, bool* out) {
  absl::StatusOr<bool> b = GoParseBool(v);
  if (!b.ok()) return b.status();
  *out = *b;
  return absl::OkStatus();
}
absl::Status SetDuration(absl::string_view v, absl::Duration* out) {
  absl::StatusOr<absl::Duration> d = GoParseDuration(v);
  if (!d.ok()) return d.status();
  *out = *d;
  return absl::OkStatus();
}
// etcd's UniqueURLs.Set: "" is an allowed exception that leaves the URLs as they were.
absl::Status SetUrls(absl::string_view v, std::vector<Url>* out) {
  if (v.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<Url>> urls = ParseUrlList(std::string_view(v.data(), v.size()));
  if (!urls.ok()) return urls.status();
  *out = *std::move(urls);
  return absl::OkStatus();
}
// etcd's UniqueStringsValue: split on ',', deduplicated and sorted.
void SetUniqueStrings(absl::string_view v, std::vector<std::string>* out) {
  std::set<std::string> unique;
  for (absl::string_view part : absl::StrSplit(v, ',')) unique.insert(std::string(part));
  out->assign(unique.begin(), unique.end());
}
absl::Status SetChoice(absl::string_view v, std::initializer_list<absl::string_view> valid,
                       std::string* out) {
  if (std::find(valid.begin(), valid.end(), v) == valid.end()) {
    return absl::InvalidArgumentError("invalid value");
  }
  *out = std::string(v);
  return absl::OkStatus();
}
absl::Status NoteTls(State& s, absl::string_view flag, absl::string_view v, bool is_bool) {
  bool set = !v.empty();
  if (is_bool) {
    absl::StatusOr<bool> b = GoParseBool(v);
    if (!b.ok()) return b.status();
    set = *b;
  }
  if (set) {
    s.tls_flags_set.insert(std::string(flag));
  } else {
    s.tls_flags_set.erase(std::string(flag));
  }
  return absl::OkStatus();
}
absl::Status Accept(State&, absl::string_view) { return absl::OkStatus(); }
absl::Status AcceptBool(State&, absl::string_view v) { return GoParseBool(v).status(); }
absl::Status AcceptUint(State&, absl::string_view v) { return GoParseUint(v, 64).status(); }
absl::Status AcceptUrls(State&, absl::string_view v) {
  if (v.empty() || v == "*") return absl::OkStatus();
  return ParseUrlList(std::string_view(v.data(), v.size())).status();
}

// etcd 3.4's flags (etcdmain/config.go newConfig), sorted by name: Go's VisitAll order, which
// is the order etcd reads and logs the environment variables in.
const std::vector<FlagDef>& Flags() {
  static const std::vector<FlagDef>* const flags = [] {
    auto* f = new std::vector<FlagDef>{
        // member
        {"config-file", Kind::kString,
         [](State& s, absl::string_view v) { s.config_file = std::string(v); return absl::OkStatus(); }},
        {"data-dir", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.data_dir = std::string(v); return absl::OkStatus(); }},
        {"wal-dir", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.wal_dir = std::string(v); return absl::OkStatus(); }},
        {"listen-peer-urls", Kind::kUrls,
         [](State& s, absl::string_view v) { return SetUrls(v, &s.cfg.listen_peer_urls); }},
        {"listen-client-urls", Kind::kUrls,
         [](State& s, absl::string_view v) { return SetUrls(v, &s.cfg.listen_client_urls); }},
        {"listen-metrics-urls", Kind::kUrls,
         [](State& s, absl::string_view v) { return SetUrls(v, &s.cfg.listen_metrics_urls); }},
        {"max-snapshots", Kind::kUint,
         [](State& s, absl::string_view v) { return SetUint(v, 64, &s.cfg.max_snapshots); }},
        {"max-wals", Kind::kUint,
         [](State& s, absl::string_view v) { return SetUint(v, 64, &s.cfg.max_wals); }},
        {"name", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.name = std::string(v); return absl::OkStatus(); }},
        {"snapshot-count", Kind::kUint64,
         [](State& s, absl::string_view v) { return SetUint(v, 64, &s.cfg.snapshot_count); }},
        {"heartbeat-interval", Kind::kUint,
         [](State& s, absl::string_view v) { return SetUint(v, 64, &s.cfg.heartbeat_interval_ms); }},
        {"election-timeout", Kind::kUint,
         [](State& s, absl::string_view v) { return SetUint(v, 64, &s.cfg.election_timeout_ms); }},
        {"initial-election-tick-advance", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.cfg.initial_election_tick_advance); }},
        {"quota-backend-bytes", Kind::kInt64,
         [](State& s, absl::string_view v) { return SetInt(v, &s.cfg.quota_backend_bytes); }},
        {"backend-batch-interval", Kind::kDuration,
         [](State& s, absl::string_view v) { return SetDuration(v, &s.cfg.backend_batch_interval); }},
        {"backend-batch-limit", Kind::kInt,
         [](State& s, absl::string_view v) { return SetInt(v, &s.cfg.backend_batch_limit); }},
        {"max-txn-ops", Kind::kUint,
         [](State& s, absl::string_view v) { return SetUint(v, 64, &s.cfg.max_txn_ops); }},
        {"max-request-bytes", Kind::kUint,
         [](State& s, absl::string_view v) { return SetUint(v, 64, &s.cfg.max_request_bytes); }},
        {"grpc-keepalive-min-time", Kind::kDuration,
         [](State& s, absl::string_view v) { return SetDuration(v, &s.cfg.grpc_keepalive_min_time); }},
        {"grpc-keepalive-interval", Kind::kDuration,
         [](State& s, absl::string_view v) { return SetDuration(v, &s.cfg.grpc_keepalive_interval); }},
        {"grpc-keepalive-timeout", Kind::kDuration,
         [](State& s, absl::string_view v) { return SetDuration(v, &s.cfg.grpc_keepalive_timeout); }},
        {"max-concurrent-streams", Kind::kUint32,
         [](State& s, absl::string_view v) {
           uint64_t n = 0;
           absl::Status st = SetUint(v, 32, &n);
           if (st.ok()) s.cfg.max_concurrent_streams = static_cast<uint32_t>(n);
           return st;
         }},
        // clustering
        {"initial-advertise-peer-urls", Kind::kUrls,
         [](State& s, absl::string_view v) { return SetUrls(v, &s.cfg.initial_advertise_peer_urls); }},
        {"advertise-client-urls", Kind::kUrls,
         [](State& s, absl::string_view v) { return SetUrls(v, &s.cfg.advertise_client_urls); }},
        {"discovery", Kind::kString,
         [](State& s, absl::string_view v) { s.discovery = std::string(v); return absl::OkStatus(); }},
        {"discovery-fallback", Kind::kChoice,
         [](State& s, absl::string_view v) {
           std::string ignored;
           return SetChoice(v, {"exit", "proxy"}, &ignored);
         }},
        {"discovery-proxy", Kind::kString, Accept},
        {"discovery-srv", Kind::kString,
         [](State& s, absl::string_view v) { s.discovery_srv = std::string(v); return absl::OkStatus(); }},
        {"discovery-srv-name", Kind::kString, Accept},
        {"initial-cluster", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.initial_cluster = std::string(v); return absl::OkStatus(); }},
        {"initial-cluster-token", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.initial_cluster_token = std::string(v); return absl::OkStatus(); }},
        {"initial-cluster-state", Kind::kChoice,
         [](State& s, absl::string_view v) {
           std::string state;
           absl::Status st = SetChoice(v, {"new", "existing"}, &state);
           if (st.ok()) {
             s.cfg.initial_cluster_state =
                 state == "new" ? ClusterState::kNew : ClusterState::kExisting;
           }
           return st;
         }},
        {"strict-reconfig-check", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.cfg.strict_reconfig_check); }},
        {"enable-v2", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.cfg.enable_v2); }},
        {"pre-vote", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.cfg.pre_vote); }},
        // v2 proxy
        {"proxy", Kind::kChoice,
         [](State& s, absl::string_view v) { return SetChoice(v, {"off", "readonly", "on"}, &s.proxy); }},
        {"proxy-failure-wait", Kind::kUint, AcceptUint},
        {"proxy-refresh-interval", Kind::kUint, AcceptUint},
        {"proxy-dial-timeout", Kind::kUint, AcceptUint},
        {"proxy-write-timeout", Kind::kUint, AcceptUint},
        {"proxy-read-timeout", Kind::kUint, AcceptUint},
        // security
        {"cert-file", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "cert-file", v, false); }},
        {"key-file", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "key-file", v, false); }},
        {"client-cert-auth", Kind::kBool,
         [](State& s, absl::string_view v) { return NoteTls(s, "client-cert-auth", v, true); }},
        {"client-crl-file", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "client-crl-file", v, false); }},
        {"client-cert-allowed-hostname", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "client-cert-allowed-hostname", v, false); }},
        {"trusted-ca-file", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "trusted-ca-file", v, false); }},
        {"auto-tls", Kind::kBool,
         [](State& s, absl::string_view v) { return NoteTls(s, "auto-tls", v, true); }},
        {"peer-cert-file", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "peer-cert-file", v, false); }},
        {"peer-key-file", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "peer-key-file", v, false); }},
        {"peer-client-cert-auth", Kind::kBool,
         [](State& s, absl::string_view v) { return NoteTls(s, "peer-client-cert-auth", v, true); }},
        {"peer-trusted-ca-file", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "peer-trusted-ca-file", v, false); }},
        {"peer-auto-tls", Kind::kBool,
         [](State& s, absl::string_view v) { return NoteTls(s, "peer-auto-tls", v, true); }},
        {"peer-crl-file", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "peer-crl-file", v, false); }},
        {"peer-cert-allowed-cn", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "peer-cert-allowed-cn", v, false); }},
        {"peer-cert-allowed-hostname", Kind::kString,
         [](State& s, absl::string_view v) { return NoteTls(s, "peer-cert-allowed-hostname", v, false); }},
        {"cipher-suites", Kind::kStrings, Accept},
        {"experimental-peer-skip-client-san-verification", Kind::kBool, AcceptBool},
        {"cors", Kind::kUrls, AcceptUrls},
        {"host-whitelist", Kind::kStrings, Accept},
        // logging
        {"logger", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.logger = std::string(v); return absl::OkStatus(); }},
        {"log-output", Kind::kStrings,
         [](State& s, absl::string_view v) { SetUniqueStrings(v, &s.deprecated_log_output); return absl::OkStatus(); }},
        {"log-outputs", Kind::kStrings,
         [](State& s, absl::string_view v) { SetUniqueStrings(v, &s.cfg.log_outputs); return absl::OkStatus(); }},
        {"debug", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.cfg.debug); }},
        {"log-level", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.log_level = std::string(v); return absl::OkStatus(); }},
        {"log-package-levels", Kind::kString, Accept},
        // version
        {"version", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.print_version); }},
        {"auto-compaction-retention", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.auto_compaction_retention = std::string(v); return absl::OkStatus(); }},
        {"auto-compaction-mode", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.auto_compaction_mode = std::string(v); return absl::OkStatus(); }},
        {"enable-pprof", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.cfg.enable_pprof); }},
        {"metrics", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.metrics = std::string(v); return absl::OkStatus(); }},
        // auth
        {"auth-token", Kind::kString,
         [](State& s, absl::string_view v) { s.cfg.auth_token = std::string(v); return absl::OkStatus(); }},
        {"bcrypt-cost", Kind::kUint,
         [](State& s, absl::string_view v) { return SetUint(v, 64, &s.cfg.bcrypt_cost); }},
        {"auth-token-ttl", Kind::kUint,
         [](State& s, absl::string_view v) { return SetUint(v, 64, &s.cfg.auth_token_ttl); }},
        {"enable-grpc-gateway", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.cfg.enable_grpc_gateway); }},
        // experimental
        {"experimental-initial-corrupt-check", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.cfg.experimental_initial_corrupt_check); }},
        {"experimental-corrupt-check-time", Kind::kDuration,
         [](State& s, absl::string_view v) { return SetDuration(v, &s.cfg.experimental_corrupt_check_time); }},
        {"experimental-enable-v2v3", Kind::kString, Accept},
        {"experimental-backend-bbolt-freelist-type", Kind::kString, Accept},
        {"experimental-enable-lease-checkpoint", Kind::kBool, AcceptBool},
        {"experimental-enable-lease-checkpoint-persist", Kind::kBool, AcceptBool},
        {"experimental-compaction-batch-limit", Kind::kInt,
         [](State& s, absl::string_view v) { return SetInt(v, &s.cfg.experimental_compaction_batch_limit); }},
        {"experimental-watch-progress-notify-interval", Kind::kDuration,
         [](State& s, absl::string_view v) { return SetDuration(v, &s.cfg.experimental_watch_progress_notify_interval); }},
        // etcd 3.5's: Raft log entries kept behind a snapshot for slow followers.
        {"experimental-snapshot-catchup-entries", Kind::kUint64,
         [](State& s, absl::string_view v) { return SetUint(v, 64, &s.cfg.experimental_snapshot_catchup_entries); }},
        {"experimental-warning-apply-duration", Kind::kDuration,
         [](State& s, absl::string_view v) { return SetDuration(v, &s.cfg.experimental_warning_apply_duration); }},
        // unsafe
        {"unsafe-no-fsync", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.cfg.unsafe_no_fsync); }},
        {"force-new-cluster", Kind::kBool,
         [](State& s, absl::string_view v) { return SetBool(v, &s.cfg.force_new_cluster); }},
    };
    // Flags etcd removed long ago and still swallows (etcdmain/config.go `ignored`).
    for (absl::string_view name :
         {"cluster-active-size", "cluster-remove-delay", "cluster-sync-interval", "config",
          "force", "max-result-buffer", "max-retry-attempts", "peer-heartbeat-interval",
          "peer-election-timeout", "retry-interval", "snapshot", "v", "vv",
          "test.coverprofile", "test.outputdir"}) {
      f->push_back({name, Kind::kIgnored, Accept});
    }
    std::sort(f->begin(), f->end(),
              [](const FlagDef& a, const FlagDef& b) { return a.name < b.name; });
    return f;
  }();
  return *flags;
}

const FlagDef* FindFlag(absl::string_view name) {
  const std::vector<FlagDef>& flags = Flags();
  auto it = std::lower_bound(flags.begin(), flags.end(), name,
                             [](const FlagDef& f, absl::string_view n) { return f.name < n; });
  return it != flags.end() && it->name == name ? &*it : nullptr;
}

bool IsBoolLike(Kind kind) { return kind == Kind::kBool || kind == Kind::kIgnored; }

std::string EnvName(absl::string_view flag) {
  return absl::StrCat("ETCD_", absl::AsciiStrToUpper(absl::StrReplaceAll(flag, {{"-", "_"}})));
}

// Sets a flag; a kIgnored flag only warns, as etcd's IgnoredFlag does.
absl::Status Apply(State& s, const FlagDef& flag, absl::string_view value) {
  if (flag.kind == Kind::kIgnored) {
    s.warnings.push_back(
        absl::StrCat("flag \"-", flag.name, "\" is no longer supported - ignoring."));
    return absl::OkStatus();
  }
  return flag.set(s, value);
}

// ---------------------------------------------------------------------------------------------
// Command line (Go's flag.FlagSet.Parse with ContinueOnError).

struct CommandLine {
  bool help = false;
  std::vector<std::string> positional;
  std::set<std::string> set;  // flags given on the command line ("actual" in Go's FlagSet)
};

absl::StatusOr<CommandLine> ParseCommandLine(State& s, const std::vector<std::string>& args) {
  CommandLine cl;
  size_t i = 0;
  while (i < args.size()) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') break;
    size_t dashes = 1;
    if (arg[1] == '-') {
      dashes = 2;
      if (arg.size() == 2) {  // "--" ends the flags
        ++i;
        break;
      }
    }
    absl::string_view name = absl::string_view(arg).substr(dashes);
    if (name.empty() || name[0] == '-' || name[0] == '=') {
      return UsageError(absl::StrCat("bad flag syntax: ", arg));
    }
    ++i;
    std::optional<absl::string_view> value;
    if (size_t eq = name.find('='); eq != absl::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagDef* flag = FindFlag(name);
    if (flag == nullptr) {
      if (name == "help" || name == "h") {
        cl.help = true;
        return cl;
      }
      return UsageError(absl::StrCat("flag provided but not defined: -", name));
    }
    if (IsBoolLike(flag->kind)) {
      const absl::string_view v = value.value_or("true");
      absl::Status st = Apply(s, *flag, v);
      if (!st.ok()) {
        return UsageError(absl::StrCat("invalid boolean value ", Quote(v), " for -", name, ": ",
                                       st.message()));
      }
    } else {
      if (!value.has_value()) {
        if (i >= args.size()) {
          return UsageError(absl::StrCat("flag needs an argument: -", name));
        }
        value = args[i++];
      }
      absl::Status st = Apply(s, *flag, *value);
      if (!st.ok()) {
        return UsageError(absl::StrCat("invalid value ", Quote(*value), " for flag -", name,
                                       ": ", st.message()));
      }
    }
    cl.set.insert(std::string(flag->name));
  }
  cl.positional.assign(args.begin() + i, args.end());
  return cl;
}

// ---------------------------------------------------------------------------------------------
// Environment (pkg/flags SetFlagsFromEnv + verifyEnv).

absl::Status ApplyEnvironment(State& s, CommandLine& cl,
                              const std::map<std::string, std::string>& env,
                              std::vector<std::string>& infos) {
  absl::Status last_error;  // Go keeps visiting and returns the last error
  std::set<std::string> used;
  for (const FlagDef& flag : Flags()) {
    const std::string key = EnvName(flag.name);
    if (cl.set.count(std::string(flag.name))) continue;
    auto it = env.find(key);
    if (it == env.end() || it->second.empty()) continue;
    used.insert(key);
    absl::Status st = Apply(s, flag, it->second);
    if (!st.ok()) {
      last_error = InvalidError(absl::StrCat("invalid value ", Quote(it->second), " for ", key,
                                             ": ", st.message()));
      continue;
    }
    cl.set.insert(std::string(flag.name));
    infos.push_back(
        absl::StrCat("recognized and used environment variable ", key, "=", it->second));
  }
  std::set<std::string> shadowed;
  for (const std::string& name : cl.set) shadowed.insert(EnvName(name));
  for (const auto& [key, value] : env) {
    if (used.count(key)) continue;
    if (shadowed.count(key)) {
      return FatalError(absl::StrCat(
          "conflicting environment variable ", Quote(key),
          " is shadowed by corresponding command-line flag (either unset environment variable "
          "or disable flag)"));
    }
    if (absl::StartsWith(key, "ETCD_")) {
      s.warnings.push_back(absl::StrCat("unrecognized environment variable ", key, "=", value));
    }
  }
  return last_error;
}

// ---------------------------------------------------------------------------------------------
// YAML file (embed.ConfigFromFile: sigs.k8s.io/yaml, i.e. YAML -> JSON -> encoding/json).

enum class YamlType { kNull, kBool, kInt, kFloat, kString, kArray, kObject };

struct YamlValue {
  YamlType type;
  std::string text;  // the scalar as written; for kBool "true"/"false"; for kInt decimal
};

// Resolves a node as go-yaml v2 does for plain scalars (YAML 1.1 booleans, Go integer
// syntax, floats); quoted scalars are strings.
YamlValue ResolveYaml(const YAML::Node& node) {
  if (node.IsNull()) return {YamlType::kNull, ""};
  if (node.IsSequence()) return {YamlType::kArray, ""};
  if (node.IsMap()) return {YamlType::kObject, ""};
  const std::string& text = node.Scalar();
  if (node.Tag() != "?") return {YamlType::kString, text};  // quoted or explicitly tagged
  static const std::set<absl::string_view> kTrue = {"y", "Y", "yes", "Yes", "YES", "true",
                                                   "True", "TRUE", "on", "On", "ON"};
  static const std::set<absl::string_view> kFalse = {"n", "N", "no", "No", "NO", "false",
                                                    "False", "FALSE", "off", "Off", "OFF"};
  if (kTrue.count(text)) return {YamlType::kBool, "true"};
  if (kFalse.count(text)) return {YamlType::kBool, "false"};
  if (absl::StatusOr<int64_t> i = GoParseInt(text, 64); i.ok()) {
    return {YamlType::kInt, absl::StrCat(*i)};
  }
  if (absl::StatusOr<uint64_t> u = GoParseUint(text, 64); u.ok()) {
    return {YamlType::kInt, absl::StrCat(*u)};
  }
  // yaml.v2's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  {
    absl::string_view t = text;
    if (!t.empty() && (t[0] == '+' || t[0] == '-')) t.remove_prefix(1);
    size_t i = 0;
    size_t digits = 0;
    while (i < t.size() && absl::ascii_isdigit(static_cast<unsigned char>(t[i]))) ++i, ++digits;
    if (i < t.size() && t[i] == '.') {
      ++i;
      while (i < t.size() && absl::ascii_isdigit(static_cast<unsigned char>(t[i]))) ++i, ++digits;
    }
    bool ok = digits > 0;
    if (ok && i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
      ++i;
      if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
      size_t exp_digits = 0;
      while (i < t.size() && absl::ascii_isdigit(static_cast<unsigned char>(t[i]))) ++i, ++exp_digits;
      ok = exp_digits > 0;
    }
    if (ok && i == t.size()) return {YamlType::kFloat, text};
    static const std::set<absl::string_view> kSpecial = {
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
        ".nan", ".NaN", ".NAN"};
    if (kSpecial.count(text)) return {YamlType::kFloat, text};
  }
  return {YamlType::kString, text};
}

absl::string_view GoTypeName(Kind kind) {
  switch (kind) {
    case Kind::kBool: return "bool";
    case Kind::kUint: return "uint";
    case Kind::kUint64: return "uint64";
    case Kind::kUint32: return "uint32";
    case Kind::kInt: return "int";
    case Kind::kInt64: return "int64";
    case Kind::kDuration: return "time.Duration";
    case Kind::kStrings: return "[]string";
    default: return "string";
  }
}

absl::Status YamlTypeError(absl::string_view key, Kind kind, const YamlValue& v) {
  std::string what;
  switch (v.type) {
    case YamlType::kBool: what = "bool"; break;
    case YamlType::kString: what = "string"; break;
    case YamlType::kArray: what = "array"; break;
    case YamlType::kObject: what = "object"; break;
    case YamlType::kInt:
    case YamlType::kFloat:
      // encoding/json names the literal only when the target is numeric but can't hold it.
      what = kind == Kind::kString || kind == Kind::kBool || kind == Kind::kStrings
                 ? "number"
                 : absl::StrCat("number ", v.text);
      break;
    case YamlType::kNull: break;
  }
  return InvalidError(absl::StrCat(
      "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ", what,
      " into Go struct field configYAML.", key, " of type ", GoTypeName(kind)));
}

// The YAML keys that are a plain string in etcd's configYAML even though the flag is another
// kind (URL lists and CORS are comma separated strings there; proxy and fallback too).
bool IsStringInYaml(Kind kind) {
  return kind == Kind::kUrls || kind == Kind::kChoice || kind == Kind::kString;
}

absl::Status LoadYaml(State& s, const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    // Go's syscall error texts are glibc's with a lower-case first letter.
    std::string reason = std::strerror(errno);
    if (!reason.empty()) reason[0] = absl::ascii_tolower(static_cast<unsigned char>(reason[0]));
    return InvalidError(absl::StrCat("open ", path, ": ", reason));
  }
  std::stringstream contents;
  contents << file.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(contents.str());
  } catch (const YAML::Exception& e) {
    return InvalidError(absl::StrCat("error converting YAML to JSON: yaml: line ",
                                     e.mark.line + 1, ": ", e.msg));
  }
  if (root.IsNull()) return absl::OkStatus();
  if (!root.IsMap()) {
    return InvalidError(absl::StrCat(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ",
        root.IsSequence() ? "array" : "string", " into Go value of type embed.configYAML"));
  }

  std::string initial_cluster_state;
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    const YamlValue v = ResolveYaml(entry.second);
    if (v.type == YamlType::kNull) continue;  // JSON null leaves the default

    if (key == "client-transport-security" || key == "peer-transport-security") {
      if (v.type != YamlType::kObject) {
        return InvalidError(absl::StrCat(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ",
            v.type == YamlType::kArray ? "array" : "string",
            " into Go struct field configYAML.", key, " of type embed.securityConfig"));
      }
      for (const auto& tls : entry.second) {
        const YamlValue tv = ResolveYaml(tls.second);
        if (tv.type == YamlType::kNull) continue;
        const bool set = tv.type == YamlType::kBool ? tv.text == "true" : !tv.text.empty();
        if (set) s.tls_flags_set.insert(absl::StrCat(key, ".", tls.first.Scalar()));
      }
      continue;
    }
    if (key == "initial-cluster-state") {
      if (v.type != YamlType::kString) return YamlTypeError(key, Kind::kString, v);
      initial_cluster_state = v.text;
      continue;
    }
    if (key == "config-file" || key == "version") continue;  // not in configYAML
    const FlagDef* flag = FindFlag(key);
    if (flag == nullptr || flag->kind == Kind::kIgnored) continue;  // encoding/json skips it

    const Kind kind = flag->kind;
    std::string value;
    if (IsStringInYaml(kind) || key == "host-whitelist") {
      if (v.type != YamlType::kString) return YamlTypeError(key, Kind::kString, v);
      value = v.text;
    } else if (kind == Kind::kBool) {
      if (v.type != YamlType::kBool) return YamlTypeError(key, kind, v);
      value = v.text;
    } else if (kind == Kind::kStrings) {
      if (v.type != YamlType::kArray) return YamlTypeError(key, kind, v);
      std::vector<std::string> items;
      for (const auto& item : entry.second) {
        const YamlValue iv = ResolveYaml(item);
        if (iv.type != YamlType::kString) {
          return YamlTypeError(absl::StrCat(key), Kind::kString, iv);
        }
        items.push_back(iv.text);
      }
      value = absl::StrJoin(items, ",");
      if (key == "log-outputs") {
        s.cfg.log_outputs = items;  // a YAML list is taken as is, not deduplicated
        continue;
      }
      if (key == "log-output") {
        s.deprecated_log_output = items;
        continue;
      }
    } else {  // integers and durations: a JSON number
      if (v.type != YamlType::kInt) return YamlTypeError(key, kind, v);
      const bool is_unsigned = kind == Kind::kUint || kind == Kind::kUint64 ||
                               kind == Kind::kUint32;
      if (is_unsigned && absl::StartsWith(v.text, "-")) return YamlTypeError(key, kind, v);
      if (kind == Kind::kUint32 && !GoParseUint(v.text, 32).ok()) {
        return YamlTypeError(key, kind, v);
      }
      value = kind == Kind::kDuration ? absl::StrCat(v.text, "ns") : v.text;
    }

    if (kind == Kind::kUrls) {
      if (value.empty()) continue;
      absl::Status st = flag->set(s, value);
      if (!st.ok()) {
        // embed/config.go prints these and exits 1; its advertise-client-urls message says
        // "advertise-peer-urls".
        const std::string what =
            key == "advertise-client-urls" ? std::string("advertise-peer-urls") : key;
        return FatalError(
            absl::StrCat("unexpected error setting up ", what, ": ", st.message()));
      }
      continue;
    }
    if (kind == Kind::kChoice) {  // proxy and discovery-fallback: Set, fatal when invalid
      absl::Status st = flag->set(s, value);
      if (!st.ok()) {
        return FatalError(absl::StrCat("unexpected error setting up ",
                                       key == "proxy" ? "proxyFlag" : "discovery-fallback flag",
                                       ": ", st.message()));
      }
      continue;
    }
    absl::Status st = flag->set(s, value);
    if (!st.ok()) return YamlTypeError(key, kind, v);
  }

  if (initial_cluster_state.empty() || initial_cluster_state == "new") {
    s.cfg.initial_cluster_state = ClusterState::kNew;
  } else if (initial_cluster_state == "existing") {
    s.cfg.initial_cluster_state = ClusterState::kExisting;
  } else {
    return InvalidError(
        absl::StrCat("unexpected clusterState ", Quote(initial_cluster_state)));
  }
  // A discovery setting clears the default initial cluster.
  if ((!s.discovery.empty() || !s.discovery_srv.empty()) &&
      s.cfg.initial_cluster == kDefaultInitialCluster) {
    s.cfg.initial_cluster.clear();
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Validation (embed.Config.Validate and setupLogging), then what this server can't do yet.

absl::Status ValidateLogging(State& s) {
  ServerConfig& c = s.cfg;
  // --log-output is the deprecated spelling; etcd takes it when only it was changed.
  if (s.deprecated_log_output != std::vector<std::string>{"default"}) {
    if (c.log_outputs == std::vector<std::string>{"default"}) {
      s.warnings.push_back("'--log-output' flag has been deprecated! Please use '--log-outputs'!");
      c.log_outputs = s.deprecated_log_output;
    } else if (s.deprecated_log_output != c.log_outputs) {
      return InvalidError(
          "both '--log-output' and '--log-outputs' are set; only set '--log-outputs'");
    }
  }
  if (c.logger == "capnslog") {
    if (c.log_outputs.size() != 1) {
      return InvalidError(absl::StrCat(
          "--logger=capnslog supports only 1 value in '--log-outputs', got ",
          QuoteList(c.log_outputs)));
    }
    const std::string& out = c.log_outputs[0];
    if (out != "default" && out != "stderr" && out != "stdout") {
      return InvalidError(absl::StrCat("unknown log-output ", Quote(out),
                                       " (only supports \"default\", \"stderr\", \"stdout\")"));
    }
  } else if (c.logger == "zap") {
    if (c.log_outputs.empty()) c.log_outputs = {"default"};
    if (c.log_outputs.size() > 1 &&
        std::count(c.log_outputs.begin(), c.log_outputs.end(), "default") > 0) {
      return InvalidError("multi logoutput for \"default\" is not supported yet");
    }
  } else {
    return InvalidError(absl::StrCat("unknown logger option ", Quote(c.logger)));
  }
  static const std::set<absl::string_view> kLevels = {"debug", "info",  "warn",
                                                     "error", "panic", "fatal"};
  if (!kLevels.count(c.log_level)) {
    return InvalidError(absl::StrCat(
        "unknown log-level ", Quote(c.log_level),
        " (only supports debug, info, warn, error, panic, or fatal)"));
  }
  return absl::OkStatus();
}

bool IsIpLiteral(absl::string_view host) {
  if (host.find(':') != absl::string_view::npos) {  // IPv6: hex groups, at most one "::"
    if (host.find("%") != absl::string_view::npos) return false;
    size_t double_colon = host.find("::");
    if (double_colon != absl::string_view::npos &&
        host.find("::", double_colon + 1) != absl::string_view::npos) {
      return false;
    }
    std::vector<absl::string_view> groups = absl::StrSplit(host, ':');
    if (groups.size() > 8) return false;
    for (size_t i = 0; i < groups.size(); ++i) {
      absl::string_view g = groups[i];
      if (g.empty()) continue;
      if (i + 1 == groups.size() && g.find('.') != absl::string_view::npos) {
        return IsIpLiteral(g);  // embedded IPv4
      }
      if (g.size() > 4) return false;
      for (char ch : g) {
        if (!absl::ascii_isxdigit(static_cast<unsigned char>(ch))) return false;
      }
    }
    return double_colon != absl::string_view::npos || groups.size() == 8;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    if (p.empty() || p.size() > 3) return false;
    if (p.size() > 1 && p[0] == '0') return false;  // Go rejects leading zeros
    for (char ch : p) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) return false;
    }
    int n = 0;
    if (!absl::SimpleAtoi(p, &n) || n > 255) return false;
  }
  return true;
}

absl::Status CheckBindUrls(const std::vector<Url>& urls) {
  for (const Url& url : urls) {
    if (url.scheme == "unix" || url.scheme == "unixs") continue;
    if (url.host == "localhost") continue;
    if (!IsIpLiteral(url.host)) {
      return InvalidError(
          absl::StrCat("expected IP in URL for binding (", url.ToString(), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckHostUrls(absl::string_view flag, const std::vector<Url>& urls) {
  for (const Url& url : urls) {
    if (url.host.empty()) {
      return InvalidError(absl::StrCat("--", flag, " ", Quote(JoinUrls(urls)),
                                       " must be \"host:port\" (unexpected empty host (",
                                       url.ToString(), "))"));
    }
  }
  return absl::OkStatus();
}

absl::Status Validate(State& s) {
  const ServerConfig& c = s.cfg;
  if (absl::Status st = ValidateLogging(s); !st.ok()) return st;
  if (absl::Status st = CheckBindUrls(c.listen_peer_urls); !st.ok()) return st;
  if (absl::Status st = CheckBindUrls(c.listen_client_urls); !st.ok()) return st;
  if (absl::Status st = CheckBindUrls(c.listen_metrics_urls); !st.ok()) return st;
  if (absl::Status st = CheckHostUrls("initial-advertise-peer-urls",
                                      c.initial_advertise_peer_urls);
      !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckHostUrls("advertise-client-urls", c.advertise_client_urls);
      !st.ok()) {
    return st;
  }
  const int bootstrap_flags = !s.discovery.empty() + !c.initial_cluster.empty() +
                              !s.discovery_srv.empty();
  if (bootstrap_flags > 1) {
    return InvalidError(
        "multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", "
        "\"discovery\" or \"discovery-srv\"");
  }
  if (c.heartbeat_interval_ms == 0) {
    return InvalidError(absl::StrCat("--heartbeat-interval must be >0 (set to ",
                                     c.heartbeat_interval_ms, "ms)"));
  }
  if (c.election_timeout_ms == 0) {
    return InvalidError(absl::StrCat("--election-timeout must be >0 (set to ",
                                     c.election_timeout_ms, "ms)"));
  }
  if (5 * c.heartbeat_interval_ms > c.election_timeout_ms) {
    return InvalidError(absl::StrCat("--election-timeout[", c.election_timeout_ms,
                                     "ms] should be at least as 5 times as --heartbeat-interval[",
                                     c.heartbeat_interval_ms, "ms]"));
  }
  if (c.election_timeout_ms > kMaxElectionMs) {
    return InvalidError(absl::StrCat("--election-timeout[", c.election_timeout_ms,
                                     "ms] is too long, and should be set less than ",
                                     kMaxElectionMs, "ms"));
  }
  if (!c.listen_client_urls.empty() && c.advertise_client_urls.empty()) {
    return InvalidError(
        "--advertise-client-urls is required when --listen-client-urls is set explicitly");
  }
  if (!c.auto_compaction_mode.empty() && c.auto_compaction_mode != "periodic" &&
      c.auto_compaction_mode != "revision") {
    return InvalidError(
        absl::StrCat("unknown auto-compaction-mode ", Quote(c.auto_compaction_mode)));
  }
  return absl::OkStatus();
}

// Settings etcd accepts that this server cannot honour: refused, not silently dropped.
absl::Status CheckSupported(const State& s) {
  const ServerConfig& c = s.cfg;
  const std::pair<absl::string_view, const std::vector<Url>*> url_flags[] = {
      {"listen-peer-urls", &c.listen_peer_urls},
      {"listen-client-urls", &c.listen_client_urls},
      {"listen-metrics-urls", &c.listen_metrics_urls},
      {"initial-advertise-peer-urls", &c.initial_advertise_peer_urls},
      {"advertise-client-urls", &c.advertise_client_urls},
  };
  for (const auto& [flag, urls] : url_flags) {
    for (const Url& url : *urls) {
      if (url.scheme != "http") {
        return InvalidError(absl::StrCat("--", flag, " ", Quote(url.ToString()), ": ",
                                         url.scheme, " URLs are not supported yet (only http)"));
      }
    }
  }
  if (!s.tls_flags_set.empty()) {
    return InvalidError(absl::StrCat("--", *s.tls_flags_set.begin(),
                                     " is set but TLS is not supported yet"));
  }
  if (!s.discovery.empty()) return InvalidError("--discovery is not supported yet");
  if (!s.discovery_srv.empty()) return InvalidError("--discovery-srv is not supported yet");
  if (s.proxy != "off") return InvalidError("--proxy is not supported yet");
  return absl::OkStatus();
}

}  // namespace

std::string ServerConfig::MemberDir() const { return absl::StrCat(data_dir, "/member"); }
std::string ServerConfig::WalDir() const {
  return wal_dir.empty() ? absl::StrCat(MemberDir(), "/wal") : wal_dir;
}
std::string ServerConfig::SnapDir() const { return absl::StrCat(MemberDir(), "/snap"); }

absl::StatusOr<ParsedConfig> ParseConfig(const std::vector<std::string>& args,
                                         const std::map<std::string, std::string>& env) {
  State s;
  ParsedConfig out;
  absl::StatusOr<CommandLine> cl = ParseCommandLine(s, args);
  if (!cl.ok()) return cl.status();
  if (cl->help) {
    out.action = ConfigAction::kPrintHelp;
    return out;
  }
  if (!cl->positional.empty()) {
    return InvalidError(absl::StrCat("'", cl->positional[0], "' is not a valid flag"));
  }
  if (s.print_version) {
    out.action = ConfigAction::kPrintVersion;
    return out;
  }

  // ETCD_CONFIG_FILE is read first: it decides whether the environment counts at all.
  if (s.config_file.empty()) {
    if (auto it = env.find("ETCD_CONFIG_FILE"); it != env.end()) s.config_file = it->second;
  }
  if (!s.config_file.empty()) {
    const std::string path = s.config_file;
    State from_file;  // a fresh config: the command line is ignored
    out.infos.push_back(absl::StrCat(
        "Loading server configuration from ", Quote(path),
        ". Other configuration command line flags and environment variables will be ignored "
        "if provided."));
    if (absl::Status st = LoadYaml(from_file, path); !st.ok()) return st;
    from_file.config_file = path;
    s = std::move(from_file);
  } else {
    if (absl::Status st = ApplyEnvironment(s, *cl, env, out.infos); !st.ok()) return st;
    // Listening on chosen client URLs without advertising any is an error, not a default.
    if (cl->set.count("listen-client-urls") && !cl->set.count("advertise-client-urls")) {
      s.cfg.advertise_client_urls.clear();
    }
    if ((!s.discovery.empty() || !s.discovery_srv.empty()) &&
        !cl->set.count("initial-cluster")) {
      s.cfg.initial_cluster.clear();
    }
  }
  if (absl::Status st = Validate(s); !st.ok()) return st;

  ServerConfig& c = s.cfg;
  // etcd --name=abc alone means a one-member cluster "abc=<its advertised peer URLs>".
  if (c.name != kDefaultName && c.initial_cluster == kDefaultInitialCluster) {
    std::vector<std::string> items;
    const std::string member = c.name.empty() ? kDefaultName : c.name;
    for (const Url& url : c.initial_advertise_peer_urls) {
      items.push_back(absl::StrCat(member, "=", url.ToString()));
    }
    c.initial_cluster = absl::StrJoin(items, ",");
  }
  if (c.data_dir.empty()) {
    c.data_dir = absl::StrCat(c.name, ".etcd");
    s.warnings.push_back(
        absl::StrCat("no data-dir provided, using default data-dir ./", c.data_dir));
  }
  if (absl::Status st = ParseInitialCluster(c.initial_cluster).status(); !st.ok()) {
    return FatalError(absl::StrCat("error setting up initial cluster: ", st.message()));
  }
  if (absl::Status st = CheckSupported(s); !st.ok()) return st;

  out.config = std::move(s.cfg);
  out.warnings = std::move(s.warnings);
  return out;
}

ConfigErrorKind GetConfigErrorKind(const absl::Status& status) {
  auto tag = status.GetPayload(kErrorKindUrl);
  if (tag.has_value() && *tag == "usage") return ConfigErrorKind::kUsage;
  if (tag.has_value() && *tag == "fatal") return ConfigErrorKind::kFatal;
  return ConfigErrorKind::kInvalid;
}

int ConfigErrorExitCode(const absl::Status& status) {
  return GetConfigErrorKind(status) == ConfigErrorKind::kUsage ? 2 : 1;
}

std::string UsageLine() {
  return R"(Usage:

  etcd [flags]
    Start an etcd server.

  etcd --version
    Show the version of etcd.

  etcd -h | --help
    Show the help information about etcd.

  etcd --config-file
    Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.
)";
}

std::string Usage() {
  return R"(
Member:
  --name 'default'
    Human-readable name for this member.
  --data-dir '${name}.etcd'
    Path to the data directory.
  --wal-dir ''
    Path to the dedicated wal directory.
  --snapshot-count '100000'
    Number of committed transactions to trigger a snapshot to disk.
  --heartbeat-interval '100'
    Time (in milliseconds) of a heartbeat interval.
  --election-timeout '1000'
    Time (in milliseconds) for an election to timeout. See tuning documentation for details.
  --initial-election-tick-advance 'true'
    Whether to fast-forward initial election ticks on boot for faster election.
  --listen-peer-urls 'http://localhost:2380'
    List of URLs to listen on for peer traffic.
  --listen-client-urls 'http://localhost:2379'
    List of URLs to listen on for client traffic.
  --max-snapshots '5'
    Maximum number of snapshot files to retain (0 is unlimited).
  --max-wals '5'
    Maximum number of wal files to retain (0 is unlimited).
  --quota-backend-bytes '0'
    Raise alarms when backend size exceeds the given quota (0 defaults to low space quota).
  --max-txn-ops '128'
    Maximum number of operations permitted in a transaction.
  --max-request-bytes '1572864'
    Maximum client request size in bytes the server will accept.
  --max-concurrent-streams 'math.MaxUint32'
    Maximum concurrent streams that each client can open at a time.
  --grpc-keepalive-min-time '5s'
    Minimum duration interval that a client should wait before pinging server.
  --grpc-keepalive-interval '2h'
    Frequency duration of server-to-client ping to check if a connection is alive (0 to disable).
  --grpc-keepalive-timeout '20s'
    Additional duration of wait before closing a non-responsive connection (0 to disable).

Clustering:
  --initial-advertise-peer-urls 'http://localhost:2380'
    List of this member's peer URLs to advertise to the rest of the cluster.
  --initial-cluster 'default=http://localhost:2380'
    Initial cluster configuration for bootstrapping.
  --initial-cluster-state 'new'
    Initial cluster state ('new' or 'existing').
  --initial-cluster-token 'etcd-cluster'
    Initial cluster token for the etcd cluster during bootstrap.
    Specifying this can protect you from unintended cross-cluster interaction when running multiple clusters.
  --advertise-client-urls 'http://localhost:2379'
    List of this member's client URLs to advertise to the public.
    The client URLs advertised should be accessible to machines that talk to etcd cluster. etcd client libraries parse these URLs to connect to the cluster.
  --strict-reconfig-check 'true'
    Reject reconfiguration requests that would cause quorum loss.
  --pre-vote 'false'
    Enable to run an additional Raft election phase.
  --auto-compaction-retention '0'
    Auto compaction retention length. 0 means disable auto compaction.
  --auto-compaction-mode 'periodic'
    Interpret 'auto-compaction-retention' one of: periodic|revision. 'periodic' for duration based retention, defaulting to hours if no time unit is provided (e.g. '5m'). 'revision' for revision number based retention.

Auth:
  --auth-token 'simple'
    Specify a v3 authentication token type and its options ('simple' or 'jwt').
  --bcrypt-cost 10
    Specify the cost / strength of the bcrypt algorithm for hashing auth passwords. Valid values are between 4 and 31.
  --auth-token-ttl 300
    Time (in seconds) of the auth-token-ttl.

Logging:
  --logger 'capnslog'
    Specify 'zap' for structured logging or 'capnslog'.
  --log-outputs 'default'
    Specify 'stdout' or 'stderr' to skip journald logging even when running under systemd, or list of comma separated output targets.
  --log-level 'info'
    Configures log level. Only supports debug, info, warn, error, panic, or fatal.

Unsafe feature:
  --force-new-cluster 'false'
    Force to create a new one-member cluster.
  --unsafe-no-fsync 'false'
    Disables fsync, unsafe, will cause data loss.

CAUTIOUS with unsafe flag! It may break the guarantees given by the consensus protocol!

Not supported yet (accepted for compatibility; https/unix URLs, TLS files, discovery and proxy
are refused): --cert-file, --key-file, --client-cert-auth, --trusted-ca-file, --auto-tls,
--peer-cert-file, --peer-key-file, --peer-client-cert-auth, --peer-trusted-ca-file,
--peer-auto-tls, --discovery, --discovery-srv, --proxy. Accepted and ignored: --enable-v2,
--cors, --host-whitelist, --metrics, --enable-pprof, --listen-metrics-urls, --cipher-suites,
--log-package-levels, --debug, --backend-batch-interval, --backend-batch-limit, --experimental-*.
)";
}

}  // namespace etcd::server
