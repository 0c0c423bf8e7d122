#include "cmd/etcdctl/commands.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cstring>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

extern char** environ;

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

std::string RunProgram(const std::vector<std::string>& argv,
                       const std::vector<std::string>& env_first,
                       const std::vector<std::string>& env_last) {
  std::vector<std::string> env = env_first;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.insert(env.end(), env_last.begin(), env_last.end());
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  std::fflush(stdout);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  const int rc = posix_spawnp(&pid, cargv[0], nullptr, &attr, cargv.data(), cenv.data());
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return absl::StrCat("exec: \"", argv[0], "\": executable file not found in $PATH");
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    return absl::StrCat("exit status ", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) return absl::StrCat("signal: ", strsignal(WTERMSIG(status)));
  return "";
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
  // cobra's own help command: the usage of the command named by the arguments.
  Command& help = AddCommand(*root, "help [command]", "Help about any command");
  Command* top = root.get();
  help.run = [top](const Invocation& inv) {
    Command* c = top;
    for (const std::string& word : inv.args) {
      Command* next = nullptr;
      for (const auto& sub : c->subcommands()) {
        if (sub->name() == word) next = sub.get();
      }
      if (next == nullptr) {
        std::fprintf(stderr, "Unknown help topic [`%s`]\n", absl::StrJoin(inv.args, " ").c_str());
        c = top;
        break;
      }
      c = next;
    }
    std::fputs(c->Usage().c_str(), stdout);
    return 0;
  };
  return root;
}

}  // namespace etcd::etcdctl
