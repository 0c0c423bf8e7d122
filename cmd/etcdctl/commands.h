// The commands of etcdctl 3.4 (v3 API), grouped by area; each Add* function adds its
// commands to the root and binds them to the Globals (flags, printer, client).
//
// Every command behaves as etcdctl 3.4's (etcdctl/ctlv3/command/*_command.go): the same
// argument checks and error words, the same exit codes (global.h), the same output (printer.h).
#ifndef ETCD_CMD_ETCDCTL_COMMANDS_H_
#define ETCD_CMD_ETCDCTL_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>
#include <string_view>

#include "absl/strings/string_view.h"
#include "absl//status/statusor.h"
#include "cmd/etcdctl/flags.h"
#include "cmd/etcdctl/global.h"

namespace etcd::etcdctl {

// get, put, del, txn, compaction.
void AddKVCommands(Command& root, Globals& globals);
// lease grant|revoke|timetolive|list|keep-alive, watch.
void AddLeaseWatchCommands(Command& root, Globals& globals);
// member add|remove|update|list|promote, endpoint health|status|hashkv, alarm list|disarm,
// defrag, move-leader.
void AddClusterCommands(Command& root, Globals& globals);
// lock, elect.
void AddConcurrencyCommands(Command& root, Globals& globals);
// snapshot save|restore|status.
void AddSnapshotCommands(Command& root, Globals& globals);
// snapshot restore|status under `snapshot` (the offline operations on a snapshot file).
void AddSnapshotFileCommands(Command& snapshot, Globals& globals);
// version, make-mirror, check perf|datascale, migrate, auth, user, role.
void AddMiscCommands(Command& root, Globals& globals);

// The whole tree, with the global flags registered on its root.
std::unique_ptr<Command> NewRootCommand(Globals& globals);

// A new command `use` under `parent`; returns it.
Command& AddCommand(Command& parent, std::string use, std::string short_help);

// The value of a successful call, or (after clientv3's warning line) "Error: <prefix><the
// server's words>" and exit `code`. `wrap` formats the message ("failed to grant lease (%s)").
template <typename T>
T Must(absl::StatusOr<T> result, Globals& globals, int code = kExitError,
       absl::string_view wrap = "%s");
// The same, for a bare status.
void MustOk(const absl::Status& status, Globals& globals, int code = kExitError,
            absl::string_view wrap = "%s");

// A zap production "info" line on stderr, as clientv3/snapshot logs (`fields`: more JSON
// members, each starting with a comma).
void ZapInfo(absl::string_view caller, absl::string_view msg, absl::string_view fields = "");

// Runs `argv` (looked up in PATH) with `env_first`, the process's environment and `env_last`,
// sharing stdout and stderr, SIGINT/SIGTERM unblocked, and waits. Returns "" on success, else
// the words of Go's os/exec error ("exit status 1", "exec: \"x\": executable file not found in
// $PATH", "signal: ...").
std::string RunProgram(const std::vector<std::string>& argv,
                       const std::vector<std::string>& env_first,
                       const std::vector<std::string>& env_last = {});

// What Go prints when it panics (and exit code 2); etcdctl 3.4 panics on some inputs.
[[noreturn]] void GoPanic(absl::string_view message);

// ---- implementation ----

template <typename T>
T Must(absl::StatusOr<T> result, Globals& globals, int code, absl::string_view wrap) {
  MustOk(result.status(), globals, code, wrap);
  return std::move(*result);
}

}  // namespace etcd::etcdctl

#endif  // ETCD_CMD_ETCDCTL_COMMANDS_H_
