// lock and elect (etcdctl 3.4 lock_command.go, elect_command.go): a session lease kept alive
// while the command holds the lock or leads, released on SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cmd/etcdctl/commands.h"

namespace etcd::etcdctl {
namespace {

// A concurrency.Session: a lease of `ttl` seconds kept alive in the background.
struct Session {
  int64_t lease = 0;
  std::unique_ptr<client::LeaseKeepAlive> keep_alive;
};

// Blocks SIGINT and SIGTERM in every thread (call before any thread starts) so that
// WaitForSignalOrExpiry can take them.
void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Waits for SIGINT/SIGTERM (true) or the session's end (false).
bool WaitForSignalOrExpiry(Session& s) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  const timespec tick = {0, 100 * 1000 * 1000};
  while (true) {
    if (sigtimedwait(&set, nullptr, &tick) > 0) return true;
    if (!s.keep_alive->running()) return false;
  }
}

Session NewSession(Globals& g, int ttl) {
  Session s;
  auto grant = g.Client().Grant(ttl);
  if (!grant.ok()) ExitWithError(kExitError, ErrorText(grant.status()));
  s.lease = grant->id();
  s.keep_alive = g.Client().KeepAlive(s.lease);
  return s;
}

void AddLockCommand(Command& root, Globals& g) {
  auto ttl = std::make_shared<int>(10);
  Command& lock = AddCommand(root, "lock <lockname> [exec-command arg1 arg2 ...]",
                             "Acquires a named lock");
  lock.flags().Int("ttl", 0, ttl.get(), "timeout for session");
  lock.run = [&g, &lock, ttl](const Invocation& inv) {
    if (inv.args.empty()) {
      ExitWithError(kExitBadArgs,
                    "lock takes a lock name argument and an optional command to execute");
    }
    BlockTerminationSignals();
    g.Setup(lock);
    Session session = NewSession(g, *ttl);
    auto locked = g.Client().Lock(inv.args[0], session.lease);
    if (!locked.ok()) ExitWithError(kExitError, ErrorText(locked.status()));
    const std::string key = locked->key();
    if (inv.args.size() > 1) {
      const std::vector<std::string> argv(inv.args.begin() + 1, inv.args.end());
      const std::string error =
          RunProgram(argv, {"ETCD_LOCK_KEY=" + key,
                            absl::StrCat("ETCD_LOCK_REV=", locked->header().revision())});
      auto unlocked = g.Client().Unlock(key);
      if (!error.empty()) ExitWithError(kExitError, error);
      if (!unlocked.ok()) ExitWithError(kExitError, ErrorText(unlocked.status()));
      return 0;
    }
    auto got = g.Client().Get(key);
    if (!got.ok()) ExitWithError(kExitError, ErrorText(got.status()));
    if (got->kvs_size() == 0) ExitWithError(kExitError, "lock lost on init");
    g.display().Get(*got);
    std::fflush(stdout);
    if (!WaitForSignalOrExpiry(session)) ExitWithError(kExitError, "session expired");
    auto unlocked = g.Client().Unlock(key);
    if (!unlocked.ok()) ExitWithError(kExitError, ErrorText(unlocked.status()));
    return 0;
  };
}

void AddElectCommand(Command& root, Globals& g) {
  auto listen = std::make_shared<bool>(false);
  Command& elect = AddCommand(root, "elect <election-name> [proposal]",
                              "Observes and participates in leader election");
  elect.flags().Bool("listen", 'l', listen.get(), "observation mode");
  elect.run = [&g, &elect, listen](const Invocation& inv) {
    if (inv.args.size() != 1 && inv.args.size() != 2) {
      ExitWithError(kExitBadArgs,
                    "elect takes one election name argument and an optional proposal argument");
    }
    if (inv.args.size() == 1 && !*listen) {
      ExitWithError(kExitBadArgs, "no proposal argument but -l not set");
    }
    if (inv.args.size() == 2 && *listen) ExitWithError(kExitBadArgs, "proposal given but -l is set");
    BlockTerminationSignals();
    g.Setup(elect);
    const std::string& name = inv.args[0];
    if (*listen) {
      Session session = NewSession(g, 60);
      auto observer = g.Client().Observe(name);
      if (!observer.ok()) ExitWithError(kExitError, ErrorText(observer.status()));
      std::thread reader([&] {
        while (true) {
          auto r = (*observer)->Next(std::chrono::hours(24));
          if (!r.ok()) {
            if (r.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
            ExitWithError(kExitError, "elect: observer lost");
          }
          etcdserverpb::RangeResponse resp;
          *resp.mutable_header() = r->header();
          *resp.add_kvs() = r->kv();
          resp.set_count(1);
          std::lock_guard<std::mutex> lock(PrintMutex());
          g.display().Get(resp);
          std::fflush(stdout);
        }
      });
      reader.detach();
      WaitForSignalOrExpiry(session);
      std::fflush(stdout);
      std::_Exit(0);
    }
    Session session = NewSession(g, 60);
    auto campaign = g.Client().Campaign(name, session.lease, inv.args[1]);
    if (!campaign.ok()) ExitWithError(kExitError, ErrorText(campaign.status()));
    auto got = g.Client().Get(campaign->leader().key());
    if (!got.ok()) ExitWithError(kExitError, ErrorText(got.status()));
    g.display().Get(*got);
    std::fflush(stdout);
    if (!WaitForSignalOrExpiry(session)) ExitWithError(kExitError, "elect: session expired");
    auto resigned = g.Client().Resign(campaign->leader());
    if (!resigned.ok()) ExitWithError(kExitError, ErrorText(resigned.status()));
    return 0;
  };
}

}  // namespace

void AddConcurrencyCommands(Command& root, Globals& g) {
  AddLockCommand(root, g);
  AddElectCommand(root, g);
}

}  // namespace etcd::etcdctl
