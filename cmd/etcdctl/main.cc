// etcdctl: the command line client of etcd v3, a drop-in for etcd 3.4's etcdctl (API 3) built
// on our client library (//client). See README.md.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "cmd/etcdctl/commands.h"
#include "cmd/etcdctl/flags.h"
#include "cmd/etcdctl/global.h"
#include "glog/logging.h"

namespace etcd::etcdctl {
namespace {

int Main(int argc, char** argv) {
  // The libraries' own logs (glog) stay quiet unless they report an error.
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = google::GLOG_ERROR;
  google::InitGoogleLogging(argv[0]);
  // gRPC core's own log lines (failed TLS handshakes, one per connection attempt) are not
  // etcdctl's: it discards grpc-go's logs unless --debug (Globals::Setup turns them back on).
  QuietGrpcLogs();
  // etcdctl's main.go: ETCDCTL_API selects the API and is then forgotten.
  const char* api = std::getenv("ETCDCTL_API");
  const std::string api_version = api == nullptr ? "" : api;
  unsetenv("ETCDCTL_API");
  if (api_version == "2") {
    std::cerr << "unsupported API version 2: this etcdctl speaks the v3 API only\n";
    return 1;
  }
  if (!api_version.empty() && api_version != "3") {
    std::cerr << "unsupported API version " << api_version << "\n";
    return 1;
  }

  Globals globals;
  std::unique_ptr<Command> root = NewRootCommand(globals);
  ParsedCommandLine parsed;
  const std::vector<std::string> args(argv + 1, argv + argc);
  globals.os_args = args;
  if (absl::Status s = ParseCommandLine(*root, args, parsed); !s.ok()) {
    // cobra prints the error, then (for flag errors) the usage; etcdctl's Start prints the
    // error once more on its way out.
    std::cerr << "Error: " << s.message() << "\n";
    if (parsed.command == root.get() && absl::StartsWith(s.message(), "unknown command")) {
      std::cerr << "Run '" << root->name() << " --help' for usage.\n";
    } else {
      std::cout << parsed.command->Usage() << "\n";
      std::cout.flush();
    }
    std::cerr << "Error: " << s.message() << "\n";
    return kExitError;
  }
  if (parsed.help || !parsed.command->run) {
    std::cout << parsed.command->Usage();
    return kExitSuccess;
  }
  const int code = parsed.command->run(parsed.invocation);
  std::fflush(stdout);
  return code;
}

}  // namespace
}  // namespace etcd::etcdctl

int main(int argc, char** argv) { return etcd::etcdctl::Main(argc, argv); }
