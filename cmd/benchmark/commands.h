// The benchmark's commands, each the counterpart of one of etcd's tools/benchmark: put, range,
// txn-put, txn-mixed, stm, lease-keepalive (kv.cc) and watch, watch-get, watch-latency
// (watch.cc). A command registers its flags, then runs with the global options and its
// positional arguments, printing its report(s) to stdout as etcd's tool does.
#ifndef ETCD_CMD_BENCHMARK_COMMANDS_H_
#define ETCD_CMD_BENCHMARK_COMMANDS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cmd/benchmark/flags.h"
#include "cmd/benchmark/runner.h"

namespace etcd::benchmark {

class Command {
 public:
  virtual ~Command() = default;
  virtual std::string name() const = 0;
  // "put", "range key [end-range]", ...
  virtual std::string usage() const { return name(); }
  virtual std::string description() const = 0;
  // Registers the command's own flags, bound to its members (their defaults are etcd's).
  virtual void AddFlags(FlagSet& flags) = 0;
  // Runs the benchmark and prints the report(s). Errors: InvalidArgument for bad flags or
  // arguments (the caller prints the usage); a dial error; the first error that stops the
  // benchmark itself (failed requests are counted in the report instead).
  virtual absl::Status Run(const GlobalOptions& global, const std::vector<std::string>& args) = 0;
};

std::vector<std::unique_ptr<Command>> AllCommands();

// Helpers the commands share.

// Key `i` as etcd's benchmark makes it: Go's binary.PutVarint(i) (zig-zag, then base-128
// little-endian) at the start of `size` zero bytes (cut to `size` if longer).
std::string VarintKey(int64_t i, int64_t size);
// `n` random bytes.
std::string RandomBytes(int64_t n);
// A random integer in [0, n), from a per-thread generator.
int64_t RandomBelow(int64_t n);

std::unique_ptr<Command> NewPutCommand();
std::unique_ptr<Command> NewRangeCommand();
std::unique_ptr<Command> NewTxnPutCommand();
std::unique_ptr<Command> NewTxnMixedCommand();
std::unique_ptr<Command> NewStmCommand();
std::unique_ptr<Command> NewLeaseKeepaliveCommand();
std::unique_ptr<Command> NewWatchCommand();
std::unique_ptr<Command> NewWatchGetCommand();
std::unique_ptr<Command> NewWatchLatencyCommand();

}  // namespace etcd::benchmark

#endif  // ETCD_CMD_BENCHMARK_COMMANDS_H_
