// snapshot restore|status: wired to //server:snapshot_restore once it lands; until then the
// commands exist and say so.
#include "cmd/etcdctl/commands.h"

namespace etcd::etcdctl {

void AddSnapshotFileCommands(Command& snapshot, Globals& g) {
  Command& restore = AddCommand(snapshot, "restore <filename> [options]",
                                "Restores an etcd member snapshot to an etcd directory");
  restore.run = [](const Invocation&) -> int {
    ExitWithError(kExitError, "snapshot restore is not available in this build yet");
  };
  Command& status = AddCommand(snapshot, "status <filename>",
                               "Gets backend snapshot status of a given file");
  status.run = [](const Invocation&) -> int {
    ExitWithError(kExitError, "snapshot status is not available in this build yet");
  };
  (void)g;
}

}  // namespace etcd::etcdctl
