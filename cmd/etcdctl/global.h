// etcdctl's global flags, their ETCDCTL_* environment variables, exit codes and the client they
// describe (etcd 3.4 etcdctl/ctlv3/ctl.go, command/global.go, command/error.go).
//
// Thread-safety: one Globals per process, used from the main thread (watch and lock helpers
// only read it after setup).
#ifndef ETCD_CMD_ETCDCTL_GLOBAL_H_
#define ETCD_CMD_ETCDCTL_GLOBAL_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl//status/status.h"
#include "absl/time/time.h"
#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "client/client.h"
#include "cmd/etcdctl/flags.h"
#include "cmd/etcdctl/printer.h"

namespace etcd::etcdctl {

// Drops gRPC core's log lines (etcdctl discards grpc-go's logs); with `debug`, sends them to
// stderr again (etcdctl --debug). Call from the main thread before any channel exists.
void QuietGrpcLogs(bool debug = false);

// Exit codes of etcdctl 3.4 (command/error.go).
enum ExitCode {
  kExitSuccess = 0,
  kExitError = 1,
  kExitBadConnection = 2,
  kExitInvalidInput = 3,  // txn, watch
  kExitBadFeature = 4,    // a valid flag with an unsupported value
  kExitInterrupted = 5,
  kExitIO = 6,
  kExitBadArgs = 128,
};

// Prints "Error: <message>" to stderr (after flushing stdout) and exits with `code`, as
// etcdctl's ExitWithError.
[[noreturn]] void ExitWithError(int code, absl::string_view message);
// A gRPC status as an absl::Status (a deadline on this side reads "context deadline exceeded").
absl::Status FromGrpcStatus(const grpc::Status& status);
// The message etcdctl prints for a failed call: the server's own words (or the client's, e.g.
// "context deadline exceeded").
std::string ErrorText(const absl::Status& status);
// Prints the warning clientv3's retry interceptor logs (a zap JSON line on stderr) for a unary
// call the server refused, as etcdctl 3.4 does before its "Error:" line.
void LogUnaryFailure(const absl::Status& status, absl::string_view endpoint);

// The global flags, with etcdctl 3.4's defaults.
struct GlobalFlags {
  std::vector<std::string> endpoints = {"127.0.0.1:2379"};
  bool debug = false;
  std::string write_out = "simple";
  bool hex = false;
  absl::Duration dial_timeout = absl::Seconds(2);
  absl::Duration command_timeout = absl::Seconds(5);
  absl::Duration keepalive_time = absl::Seconds(2);
  absl::Duration keepalive_timeout = absl::Seconds(6);
  bool insecure_transport = true;
  bool insecure_discovery = true;
  bool insecure_skip_tls_verify = false;
  std::string cert, key, cacert;
  std::string user, password;
  std::string discovery_srv, discovery_srv_name;
};

// Everything a command needs from the global level: the flags, the printer, the client.
class Globals {
 public:
  Globals() = default;
  Globals(const Globals&) = delete;
  Globals& operator=(const Globals&) = delete;

  GlobalFlags& flags() { return flags_; }
  // Defines the global flags as persistent flags of `root`.
  void Register(Command& root);

  // What clientConfigFromCmd does before a command talks to the server: reads ETCDCTL_<FLAG>
  // for every global flag the command line did not set (etcd's pkg/flags: a variable whose
  // flag was also given is fatal, "conflicting environment variable ... is shadowed by
  // corresponding command-line flag"; unknown ETCDCTL_ variables are warned about), prints the
  // flags with --debug, checks the TLS flags (empty file names) and discovery settings, asks
  // for the --user password when it is not given, and selects the printer.
  // `extra_known_env` lists variables the command reads itself (ETCDCTL_WATCH_KEY). Exits on
  // errors, as etcdctl does.
  void Setup(Command& command, const std::vector<std::string>& extra_known_env = {});
  // Only the environment and the printer (what `endpoint health` and `snapshot status` do).
  void SetupEnvAndDisplay(Command& command, const std::vector<std::string>& extra_known_env = {});

  // The printer of --write-out (after Setup).
  Printer& display() { return *display_; }
  bool simple_output() const { return flags_.write_out == "simple"; }

  // A client for the global endpoints (or `endpoints`), created on first use; exits with
  // etcdctl's error when the configuration is refused (a TLS file: exit 128 with
  // pkg/transport's words). Calls time out after --command-timeout. With --user, the client
  // authenticates first, as clientv3 (a refusal exits with code 2 and the server's words,
  // "etcdserver: authentication failed, invalid user ID or password"), and sends the token
  // with every call.
  client::Client& Client();
  // `request_timeout` 0: calls without a deadline (watch creation, as etcdctl's watch).
  std::unique_ptr<client::Client> NewClient(const std::vector<std::string>& endpoints);
  std::unique_ptr<client::Client> NewClient(const std::vector<std::string>& endpoints,
                                            absl::Duration request_timeout);
  // A stub of the Auth service on the channel of the endpoint the client would use, with its
  // TLS and auth token (our client library has no Auth API: auth, user and role commands call
  // it directly, without the client's failover and token renewal).
  std::unique_ptr<etcdserverpb::Auth::Stub> AuthStub();
  // etcdctl's secureCfg: TLS as soon as one of `cert`, `key`, `cacert` is given (the files are
  // read and checked now; a refusal exits with code 128 and pkg/transport's words), an empty
  // TLS configuration (system roots) when `insecure_transport` is false, else none.
  static std::optional<client::TlsOptions> TlsFromFlags(const std::string& cert,
                                                        const std::string& key,
                                                        const std::string& cacert,
                                                        bool insecure_transport);
  // The client options etcdctl's newClientCfg makes for `endpoints` from the global flags:
  // TLS (--cert, --key, --cacert, --insecure-transport, --insecure-skip-tls-verify), the
  // --user credentials, --command-timeout. Exits with code 128 when a TLS file is refused.
  // Not thread-safe on its first call (it reads the files once).
  client::ClientOptions ClientOptionsFor(const std::vector<std::string>& endpoints);
  // The endpoints after trimming spaces (etcdctl's endpointsFromCmd).
  std::vector<std::string> Endpoints() const;

  // The process's arguments (os.Args without the program), which `watch` reads raw.
  std::vector<std::string> os_args;

 private:
  GlobalFlags flags_;
  Command* root_ = nullptr;
  std::unique_ptr<Printer> display_;
  std::unique_ptr<client::Client> client_;

  // authCfgFromCmd: --user "name:password", or --user and --password, or a prompt.
  void ResolveCredentials();
  bool credentials_resolved_ = false;
  std::string username_, password_;
  bool tls_resolved_ = false;
  std::optional<client::TlsOptions> tls_;
};

}  // namespace etcd::etcdctl

#endif  // ETCD_CMD_ETCDCTL_GLOBAL_H_
