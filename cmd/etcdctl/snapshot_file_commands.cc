// snapshot restore|status: the offline operations on a snapshot file, done by
// //server:snapshot_restore (our snapshot format; etcdctl 3.4 snapshot_command.go for the
// flags, checks and output).
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cmd/etcdctl/commands.h"
#include "cmd/etcdctl/go_format.h"
#include "server/snapshot_restore.h"

namespace etcd::etcdctl {

void AddSnapshotFileCommands(Command& snapshot, Globals& g) {
  struct RestoreFlags {
    std::string data_dir, wal_dir;
    std::string initial_cluster = "default=http://localhost:2380";
    std::string token = "etcd-cluster";
    std::string peer_urls = "http://localhost:2380";
    std::string name = "default";
    bool skip_hash_check = false;
  };
  auto f = std::make_shared<RestoreFlags>();
  Command& restore = AddCommand(snapshot, "restore <filename> [options]",
                                "Restores an etcd member snapshot to an etcd directory");
  restore.flags().String("data-dir", 0, &f->data_dir, "Path to the data directory");
  restore.flags().String("wal-dir", 0, &f->wal_dir,
                         "Path to the WAL directory (use --data-dir if none given)");
  restore.flags().String("initial-cluster", 0, &f->initial_cluster,
                         "Initial cluster configuration for restore bootstrap");
  restore.flags().String("initial-cluster-token", 0, &f->token,
                         "Initial cluster token for the etcd cluster during restore bootstrap");
  restore.flags().String("initial-advertise-peer-urls", 0, &f->peer_urls,
                         "List of this member's peer URLs to advertise to the rest of the cluster");
  restore.flags().String("name", 0, &f->name, "Human-readable name for this member");
  restore.flags().Bool("skip-hash-check", 0, &f->skip_hash_check,
                       "Ignore snapshot integrity hash value (required if copied from data "
                       "directory)");
  restore.run = [f](const Invocation& inv) {
    if (inv.args.size() != 1) {
      ExitWithError(kExitBadArgs, "snapshot restore requires exactly one argument");
    }
    server::RestoreOptions o;
    o.snapshot_path = inv.args[0];
    o.name = f->name;
    o.data_dir = f->data_dir.empty() ? f->name + ".etcd" : f->data_dir;
    o.wal_dir = f->wal_dir.empty() ? o.data_dir + "/member/wal" : f->wal_dir;
    o.initial_cluster = f->initial_cluster;
    o.initial_cluster_token = f->token;
    o.initial_advertise_peer_urls = absl::StrSplit(f->peer_urls, ',');
    o.skip_hash_check = f->skip_hash_check;
    const std::string fields = absl::StrCat(
        ",\"path\":", GoJsonString(o.snapshot_path), ",\"wal-dir\":", GoJsonString(o.wal_dir),
        ",\"data-dir\":", GoJsonString(o.data_dir),
        ",\"snap-dir\":", GoJsonString(o.data_dir + "/member/snap"));
    ZapInfo("snapshot/v3_snapshot.go:296", "restoring snapshot", fields);
    if (absl::Status s = server::RestoreSnapshot(o); !s.ok()) {
      ExitWithError(kExitError, s.message());
    }
    ZapInfo("snapshot/v3_snapshot.go:309", "restored snapshot", fields);
    return 0;
  };

  Command& status = AddCommand(snapshot, "status <filename>",
                               "Gets backend snapshot status of a given file");
  status.run = [&g, &status](const Invocation& inv) {
    if (inv.args.size() != 1) {
      ExitWithError(kExitBadArgs, "snapshot status requires exactly one argument");
    }
    g.SetupEnvAndDisplay(status);
    auto s = server::ReadSnapshotStatus(inv.args[0]);
    if (!s.ok()) {
      // etcd stats the file first: its words for a missing one.
      if (absl::IsNotFound(s.status())) {
        ExitWithError(kExitError, absl::StrCat("stat ", inv.args[0], ": no such file or directory"));
      }
      ExitWithError(kExitError, s.status().message());
    }
    g.display().DBStatus({.hash = s->hash,
                          .revision = s->revision,
                          .total_key = s->total_keys,
                          .total_size = s->total_size});
    return 0;
  };
}

}  // namespace etcd::etcdctl
