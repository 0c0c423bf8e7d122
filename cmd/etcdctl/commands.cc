#include "cmd/etcdctl/commands.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

namespace etcd::etcdctl {

Command& AddCommand(Command& parent, std::string use, std::string short_help) {
  return parent.AddCommand(std::make_unique<Command>(std::move(use), std::move(short_help)));
}

void MustOk(const absl::Status& status, Globals& globals, int code, absl::string_view wrap) {
  if (status.ok()) return;
  if (status.code() != absl::StatusCode::kDeadlineExceeded) {
    LogUnaryFailure(status, globals.Client().CurrentEndpoint());
  }
  ExitWithError(code, absl::StrReplaceAll(wrap, {{"%s", ErrorText(status)}}));
}

void ZapInfo(absl::string_view caller, absl::string_view msg, absl::string_view fields) {
  std::fflush(stdout);
  std::cerr << absl::StrFormat(
      "{\"level\":\"info\",\"ts\":%.7f,\"caller\":\"%s\",\"msg\":\"%s\"%s}\n",
      absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()), caller, msg, fields);
}

void GoPanic(absl::string_view message) {
  std::fflush(stdout);
  std::cerr << "panic: " << message << "\n\ngoroutine 1 [running]:\n";
  std::exit(2);
}

std::unique_ptr<Command> NewRootCommand(Globals& globals) {
  auto root = std::make_unique<Command>("etcdctl", "A simple command line client for etcd3.");
  globals.Register(*root);
  AddKVCommands(*root, globals);
  AddLeaseWatchCommands(*root, globals);
  AddClusterCommands(*root, globals);
  AddConcurrencyCommands(*root, globals);
  AddSnapshotCommands(*root, globals);
  AddMiscCommands(*root, globals);
  return root;
}

}  // namespace etcd::etcdctl
