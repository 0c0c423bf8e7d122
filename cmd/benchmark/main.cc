// benchmark: a load generator for etcd v3 servers, ours or etcd's, the counterpart of etcd's
// tools/benchmark (same commands, flags and report layout). See README.md.
//
//   benchmark --endpoints=127.0.0.1:2379 --conns=10 --clients=100 \
//       put --key-size=8 --sequential-keys --key-space-size=100000 --total=100000 --val-size=256
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "cmd/benchmark/commands.h"
#include "cmd/benchmark/flags.h"
#include "cmd/benchmark/runner.h"

namespace etcd::benchmark {
namespace {

void AddGlobalFlags(FlagSet& f, GlobalOptions& o) {
  f.List("endpoints", &o.endpoints, "gRPC endpoints");
  f.Int("conns", &o.conns, "Total number of gRPC connections");
  f.Int("clients", &o.clients, "Total number of gRPC clients");
  f.Bool("precise", &o.precise, "use full floating point precision");
  f.Bool("sample", &o.sample, "'true' to sample requests for every second");
  f.Duration("dial-timeout", &o.dial_timeout, "dial timeout for client connections");
  f.Bool("target-leader", &o.target_leader, "connect only to the leader node");
  f.String("engine", &o.engine,
           "how clients issue requests: threads (one thread per client), callback (gRPC's "
           "callback API) or auto (threads up to 4 clients)");
}

std::string Usage(const std::vector<std::unique_ptr<Command>>& commands) {
  GlobalOptions defaults;
  FlagSet global;
  AddGlobalFlags(global, defaults);
  std::string out =
      "benchmark is a low-level benchmark tool for etcd3.\n\nUsage:\n  benchmark [command] "
      "[flags]\n\nAvailable Commands:\n";
  for (const auto& c : commands) out += "  " + c->usage() + "\n      " + c->description() + "\n";
  out += "\nGlobal Flags:\n" + global.Usage() +
         "\nUse \"benchmark [command] --help\" for more information about a command.\n";
  return out;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto commands = AllCommands();
  // The command is the first argument that is not a flag or a flag's value; the flags may
  // come before or after it, so look for a known command name.
  Command* command = nullptr;
  size_t at = 0;
  for (; at < args.size(); ++at) {
    for (auto& c : commands) {
      if (c->name() == args[at]) command = c.get();
    }
    if (command != nullptr) break;
  }
  const bool help = std::find(args.begin(), args.end(), "--help") != args.end() ||
                    std::find(args.begin(), args.end(), "-h") != args.end();
  if (command == nullptr) {
    (help ? std::cout : std::cerr) << Usage(commands);
    return help ? 0 : 1;
  }
  args.erase(args.begin() + at);
  GlobalOptions global;
  FlagSet flags;
  AddGlobalFlags(flags, global);
  command->AddFlags(flags);
  const std::string usage = "Usage:\n  benchmark " + command->usage() + " [flags]\n\nFlags:\n" +
                            flags.Usage();
  if (help) {
    std::cout << command->description() << "\n\n" << usage;
    return 0;
  }
  auto positional = flags.Parse(args);
  if (!positional.ok()) {
    std::cerr << "Error: " << positional.status().message() << "\n" << usage;
    return 1;
  }
  if (global.engine != "auto" && global.engine != "threads" && global.engine != "callback") {
    std::cerr << "Error: --engine must be auto, threads or callback\n";
    return 1;
  }
  const absl::Status status = command->Run(global, *positional);
  if (!status.ok()) {
    std::cerr << "Error: " << status.message() << "\n";
    if (absl::IsInvalidArgument(status)) std::cerr << usage;
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace etcd::benchmark

int main(int argc, char** argv) { return etcd::benchmark::Main(argc, argv); }
