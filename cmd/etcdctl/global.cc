#include "cmd/etcdctl/global.h"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "cmd/etcdctl/go_format.h"

extern char** environ;

namespace etcd::etcdctl {
namespace {

// grpc-go's codes.Code.String().
std::string GoCodeName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return "OK";
    case absl::StatusCode::kCancelled: return "Canceled";
    case absl::StatusCode::kUnknown: return "Unknown";
    case absl::StatusCode::kInvalidArgument: return "InvalidArgument";
    case absl::StatusCode::kDeadlineExceeded: return "DeadlineExceeded";
    case absl::StatusCode::kNotFound: return "NotFound";
    case absl::StatusCode::kAlreadyExists: return "AlreadyExists";
    case absl::StatusCode::kPermissionDenied: return "PermissionDenied";
    case absl::StatusCode::kResourceExhausted: return "ResourceExhausted";
    case absl::StatusCode::kFailedPrecondition: return "FailedPrecondition";
    case absl::StatusCode::kAborted: return "Aborted";
    case absl::StatusCode::kOutOfRange: return "OutOfRange";
    case absl::StatusCode::kUnimplemented: return "Unimplemented";
    case absl::StatusCode::kInternal: return "Internal";
    case absl::StatusCode::kUnavailable: return "Unavailable";
    case absl::StatusCode::kDataLoss: return "DataLoss";
    case absl::StatusCode::kUnauthenticated: return "Unauthenticated";
    default: return absl::StrCat("Code(", static_cast<int>(code), ")");
  }
}

// Errors clientv3 turns into plain errors (rpctypes' table: every "etcdserver: " message),
// and the client side's own words.
bool IsPlainError(const absl::Status& s) {
  const absl::string_view m = s.message();
  return absl::StartsWith(m, "etcdserver: ") || m == "context deadline exceeded" ||
         m == "context canceled" || absl::StartsWith(m, "election: ");
}

// capnslog's line: "2026-12-03 09:11:08.881683 C | pkg/flags: ...".
void CapnsLog(char level, absl::string_view message) {
  std::fflush(stdout);
  std::cerr << absl::FormatTime("%Y-%m-%d %H:%M:%E6S", absl::Now(), absl::LocalTimeZone())
            << " " << level << " | pkg/flags: " << message << "\n";
}

std::string EnvName(absl::string_view flag) {
  return "ETCDCTL_" + absl::AsciiStrToUpper(absl::StrReplaceAll(flag, {{"-", "_"}}));
}

}  // namespace

void QuietGrpcLogs(bool debug) {
  if (debug) {
    gpr_set_log_function([](gpr_log_func_args* args) {
      std::fprintf(stderr, "grpc: %s:%d] %s\n", args->file, args->line, args->message);
    });
  } else {
    gpr_set_log_function([](gpr_log_func_args*) {});
  }
}

void ExitWithError(int code, absl::string_view message) {
  std::fflush(stdout);
  std::cerr << "Error: " << message << "\n";
  std::cerr.flush();
  std::exit(code);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::DeadlineExceededError("context deadline exceeded");
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string ErrorText(const absl::Status& status) {
  if (IsPlainError(status)) return std::string(status.message());
  return absl::StrCat("rpc error: code = ", GoCodeName(status.code()),
                      " desc = ", status.message());
}

void LogUnaryFailure(const absl::Status& status, absl::string_view endpoint) {
  if (status.message() == "context deadline exceeded") return;
  std::mt19937_64 rng(std::random_device{}());
  const uint64_t a = rng(), b = rng();
  const std::string uuid = absl::StrFormat(
      "%08x-%04x-4%03x-%04x-%012x", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
      0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
  std::fflush(stdout);
  std::cerr << "{\"level\":\"warn\",\"ts\":\""
            << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())
            << "\",\"caller\":\"clientv3/retry_interceptor.go:62\",\"msg\":\"retrying of unary "
               "invoker failed\",\"target\":"
            << GoJsonString(absl::StrCat("endpoint://client-", uuid, "/", endpoint))
            << ",\"attempt\":0,\"error\":"
            << GoJsonString(absl::StrCat("rpc error: code = ", GoCodeName(status.code()),
                                         " desc = ", status.message()))
            << "}\n";
}

void Globals::Register(Command& root) {
  root_ = &root;
  FlagSet& f = root.persistent_flags();
  f.StringSlice("endpoints", 0, &flags_.endpoints, "gRPC endpoints");
  f.Bool("debug", 0, &flags_.debug, "enable client-side debug logging");
  f.String("write-out", 'w', &flags_.write_out,
           "set the output format (fields, json, protobuf, simple, table)");
  f.Bool("hex", 0, &flags_.hex, "print byte strings as hex encoded strings");
  f.Duration("dial-timeout", 0, &flags_.dial_timeout, "dial timeout for client connections");
  f.Duration("command-timeout", 0, &flags_.command_timeout,
             "timeout for short running command (excluding dial timeout)");
  f.Duration("keepalive-time", 0, &flags_.keepalive_time,
             "keepalive time for client connections");
  f.Duration("keepalive-timeout", 0, &flags_.keepalive_timeout,
             "keepalive timeout for client connections");
  f.Bool("insecure-transport", 0, &flags_.insecure_transport,
         "disable transport security for client connections");
  f.Bool("insecure-discovery", 0, &flags_.insecure_discovery,
         "accept insecure SRV records describing cluster endpoints");
  f.Bool("insecure-skip-tls-verify", 0, &flags_.insecure_skip_tls_verify,
         "skip server certificate verification (CAUTION: this option should be enabled only "
         "for testing purposes)");
  f.String("cert", 0, &flags_.cert, "identify secure client using this TLS certificate file");
  f.String("key", 0, &flags_.key, "identify secure client using this TLS key file");
  f.String("cacert", 0, &flags_.cacert,
           "verify certificates of TLS-enabled secure servers using this CA bundle");
  f.String("user", 0, &flags_.user,
           "username[:password] for authentication (prompt if password is not supplied)");
  f.String("password", 0, &flags_.password,
           "password for authentication (if this option is used, --user option shouldn't "
           "include password)");
  f.String("discovery-srv", 'd', &flags_.discovery_srv,
           "domain name to query for SRV records describing cluster endpoints");
  f.String("discovery-srv-name", 0, &flags_.discovery_srv_name,
           "service name to query when using DNS discovery");
}

void Globals::SetupEnvAndDisplay(Command& command,
                                 const std::vector<std::string>& extra_known_env) {
  // pkg/flags.SetPflagsFromEnv over the inherited flags.
  std::set<std::string> already_set, used;
  std::vector<Flag*> inherited = command.InheritedFlags();
  for (Flag* f : inherited) {
    const std::string key = EnvName(f->name());
    if (f->changed()) {
      already_set.insert(key);
      continue;
    }
    const char* value = std::getenv(key.c_str());
    if (value != nullptr && *value != '\0') {
      used.insert(key);
      (void)f->Set(value);  // etcdctl ignores a bad value and keeps the default
    }
  }
  for (char** env = environ; *env != nullptr; ++env) {
    const absl::string_view entry = *env;
    const std::string key(entry.substr(0, entry.find('=')));
    if (used.count(key)) continue;
    if (already_set.count(key)) {
      CapnsLog('C', absl::StrFormat("conflicting environment variable \"%s\" is shadowed by "
                                    "corresponding command-line flag (either unset environment "
                                    "variable or disable flag)",
                                    key));
      std::exit(1);
    }
    if (absl::StartsWith(entry, "ETCDCTL_") &&
        std::find(extra_known_env.begin(), extra_known_env.end(), key) == extra_known_env.end()) {
      CapnsLog('W', absl::StrCat("unrecognized environment variable ", entry));
    }
  }
  display_ = NewPrinter(flags_.write_out, flags_.hex);
  if (display_ == nullptr) ExitWithError(kExitBadFeature, "unsupported output format");
}

void Globals::Setup(Command& command, const std::vector<std::string>& extra_known_env) {
  SetupEnvAndDisplay(command, extra_known_env);
  if (flags_.debug) {
    std::vector<Flag*> inherited = command.InheritedFlags();
    std::sort(inherited.begin(), inherited.end(),
              [](Flag* a, Flag* b) { return a->name() < b->name(); });
    for (Flag* f : inherited) std::cerr << EnvName(f->name()) << "=" << f->ValueText() << "\n";
    QuietGrpcLogs(/*debug=*/true);
  }
  if (!flags_.discovery_srv.empty()) {
    ExitWithError(kExitError, absl::StrCat("--discovery-srv ", flags_.discovery_srv,
                                           ": DNS SRV discovery is not supported by this "
                                           "etcdctl; give --endpoints"));
  }
  for (const auto& [name, value] : {std::pair<std::string, std::string*>{"cert", &flags_.cert},
                                    {"key", &flags_.key},
                                    {"cacert", &flags_.cacert}}) {
    Flag* f = command.FindFlag(name);
    if (value->empty() && f != nullptr && f->changed()) {
      ExitWithError(kExitBadArgs, absl::StrCat("empty string is passed to --", name, " option"));
    }
  }
  // authCfgFromCmd: etcdctl asks for a missing password here, before any connection.
  ResolveCredentials();
}

void Globals::ResolveCredentials() {
  if (credentials_resolved_) return;
  credentials_resolved_ = true;
  if (flags_.user.empty()) return;
  username_ = flags_.user;
  password_ = flags_.password;
  if (password_.empty()) {
    if (const size_t colon = username_.find(':'); colon != std::string::npos) {
      password_ = username_.substr(colon + 1);
      username_.resize(colon);
    } else {
      // speakeasy.Ask: the terminal, without echo.
      const char* typed = getpass("Password: ");
      if (typed == nullptr) ExitWithError(kExitError, "inappropriate ioctl for device");
      password_ = typed;
    }
  }
}

std::optional<client::TlsOptions> Globals::TlsFromFlags(const std::string& cert,
                                                        const std::string& key,
                                                        const std::string& cacert,
                                                        bool insecure_transport) {
  if (!cert.empty() || !key.empty() || !cacert.empty()) {
    auto tls = client::TlsOptions::FromFiles(cert, key, cacert);
    if (!tls.ok()) ExitWithError(kExitBadArgs, tls.status().message());
    return *std::move(tls);
  }
  if (!insecure_transport) return client::TlsOptions();
  return std::nullopt;
}

client::ClientOptions Globals::ClientOptionsFor(const std::vector<std::string>& endpoints) {
  // newClientCfg: TLS as soon as one of --cert, --key, --cacert is given (the files are read
  // and checked now, with pkg/transport's words and exit code 128), or an empty TLS
  // configuration for --insecure-transport=false; --insecure-skip-tls-verify only applies to
  // one of those (an https:// endpoint alone verifies with the system's roots, as clientv3).
  if (!tls_resolved_) {
    tls_resolved_ = true;
    tls_ = TlsFromFlags(flags_.cert, flags_.key, flags_.cacert, flags_.insecure_transport);
    if (tls_.has_value() && flags_.insecure_skip_tls_verify) tls_->insecure_skip_verify = true;
  }
  ResolveCredentials();
  client::ClientOptions options;
  options.endpoints = endpoints;
  options.tls = tls_;
  options.username = username_;
  options.password = password_;
  // clientv3 does not wait for a connection: the first call waits, within its own deadline.
  // With credentials it authenticates first, within the dial timeout, and so does New here.
  options.dial_timeout = options.username.empty() || options.password.empty()
                             ? std::chrono::milliseconds(0)
                             : absl::ToChronoMilliseconds(flags_.dial_timeout);
  options.request_timeout = absl::ToChronoMilliseconds(flags_.command_timeout);
  return options;
}

std::vector<std::string> Globals::Endpoints() const {
  std::vector<std::string> out;
  for (const std::string& e : flags_.endpoints) {
    out.push_back(std::string(absl::StripAsciiWhitespace(e)));
  }
  return out;
}

std::unique_ptr<client::Client> Globals::NewClient(const std::vector<std::string>& endpoints) {
  return NewClient(endpoints, flags_.command_timeout);
}

std::unique_ptr<client::Client> Globals::NewClient(const std::vector<std::string>& endpoints,
                                                   absl::Duration request_timeout) {
  client::ClientOptions options = ClientOptionsFor(endpoints);
  options.request_timeout = absl::ToChronoMilliseconds(request_timeout);
  auto c = client::Client::New(options);
  if (!c.ok()) {
    // mustClient: a refused authentication (or no connection for it) exits with code 2 and
    // the server's words, after clientv3's warning line.
    if (options.username.empty()) ExitWithError(kExitBadConnection, c.status().message());
    LogUnaryFailure(c.status(), options.endpoints.empty() ? "" : options.endpoints[0]);
    ExitWithError(kExitBadConnection, ErrorText(c.status()));
  }
  return std::move(*c);
}

std::unique_ptr<etcdserverpb::Auth::Stub> Globals::AuthStub() {
  client::Client& c = Client();
  // The channel the client would use next: its TLS and its auth token come with it.
  const std::vector<std::string>& endpoints = c.endpoints();
  const auto current = std::find(endpoints.begin(), endpoints.end(), c.CurrentEndpoint());
  return etcdserverpb::Auth::NewStub(
      c.channel(current == endpoints.end() ? 0 : static_cast<int>(current - endpoints.begin())));
}

client::Client& Globals::Client() {
  if (client_ == nullptr) client_ = NewClient(Endpoints());
  return *client_;
}

}  // namespace etcd::etcdctl
