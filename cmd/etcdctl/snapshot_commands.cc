// snapshot save|restore|status (etcdctl 3.4 snapshot_command.go, clientv3/snapshot).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cmd/etcdctl/commands.h"
#include "cmd/etcdctl/go_format.h"

namespace etcd::etcdctl {
namespace {

std::string OsError(absl::string_view op, const std::string& path) {
  return absl::StrCat(op, " ", path, ": ", std::strerror(errno) == std::string("No such file or directory")
                                                ? "no such file or directory"
                                                : absl::AsciiStrToLower(std::strerror(errno)));
}

void AddSaveCommand(Command& snapshot, Globals& g) {
  Command& save = AddCommand(snapshot, "save <filename>",
                             "Stores an etcd node backend snapshot to a given file");
  save.run = [&g, &save](const Invocation& inv) {
    if (inv.args.size() != 1) ExitWithError(kExitBadArgs, "snapshot save expects one argument");
    g.Setup(save);
    const std::vector<std::string> eps = g.Endpoints();
    if (eps.size() != 1) {
      ExitWithError(kExitInterrupted,
                    absl::StrCat("snapshot must be requested to one selected node, not multiple [",
                                 absl::StrJoin(eps, " "), "]"));
    }
    const std::string path = inv.args[0];
    const std::string part = path + ".part";
    const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
      ExitWithError(kExitInterrupted, absl::StrCat("could not open ", part, " (",
                                                   OsError("open", part), ")"));
    }
    const auto fail = [&](const std::string& message) {
      ::close(fd);
      ::unlink(part.c_str());
      ExitWithError(kExitInterrupted, message);
    };
    ZapInfo("snapshot/v3_snapshot.go:119", "created temporary db file",
            absl::StrCat(",\"path\":", GoJsonString(part)));
    const absl::Time start = absl::Now();
    ZapInfo("snapshot/v3_snapshot.go:127", "fetching snapshot",
            absl::StrCat(",\"endpoint\":", GoJsonString(eps[0])));
    // Without --command-timeout the transfer has no deadline, as etcdctl's.
    Flag* timeout_flag = save.FindFlag("command-timeout");
    const auto timeout = timeout_flag != nullptr && timeout_flag->changed()
                             ? absl::ToChronoMilliseconds(g.flags().command_timeout)
                             : std::chrono::milliseconds(0);
    auto size = g.Client().Snapshot(
        [&](std::string_view chunk) -> absl::Status {
          while (!chunk.empty()) {
            const ssize_t n = ::write(fd, chunk.data(), chunk.size());
            if (n < 0) {
              if (errno == EINTR) continue;
              return absl::InternalError(OsError("write", part));
            }
            chunk.remove_prefix(static_cast<size_t>(n));
          }
          return absl::OkStatus();
        },
        timeout);
    if (!size.ok()) fail(ErrorText(size.status()));
    if (::fsync(fd) != 0) fail(OsError("sync", part));
    ::close(fd);
    ZapInfo("snapshot/v3_snapshot.go:142", "fetched snapshot",
            absl::StrCat(",\"endpoint\":", GoJsonString(eps[0]),
                         ",\"size\":", GoJsonString(HumanizeBytes(static_cast<uint64_t>(*size))),
                         ",\"took\":", absl::ToDoubleSeconds(absl::Now() - start)));
    if (::rename(part.c_str(), path.c_str()) != 0) {
      const std::string error = OsError("rename", part);
      ::unlink(part.c_str());
      ExitWithError(kExitInterrupted, error);
    }
    ZapInfo("snapshot/v3_snapshot.go:152", "saved", absl::StrCat(",\"path\":", GoJsonString(path)));
    std::printf("Snapshot saved at %s\n", path.c_str());
    return 0;
  };
}

}  // namespace

void AddSnapshotCommands(Command& root, Globals& g) {
  Command& snapshot = AddCommand(root, "snapshot <subcommand>", "Manages etcd node snapshots");
  AddSaveCommand(snapshot, g);
  AddSnapshotFileCommands(snapshot, g);
}

}  // namespace etcd::etcdctl
