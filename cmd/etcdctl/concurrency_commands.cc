// lock and elect (etcdctl 3.4 lock_command.go, elect_command.go): a session lease kept alive
// while the command holds the lock or leads, released on SIGINT/SIGTERM.
#include <signal.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
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

// SIGINT and SIGTERM, as etcdctl's lock and elect handle them: while the command waits for the
// lock or the leadership, a signal cancels the wait ("Error: context canceled", exit 1); once
// it holds them, a signal makes WaitForSignalOrExpiry return so that it can let go.
class Interrupts {
 public:
  // Blocks the signals in every thread (construct before any thread starts) and takes them on
  // a thread of its own.
  Interrupts() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    std::thread([this] {
      int sig = 0;
      sigwait(&set_, &sig);
      std::lock_guard<std::mutex> lock(mu_);
      signaled_ = true;
      if (!holding_) {
        std::fflush(stdout);
        std::cerr << "Error: context canceled\n";
        std::_Exit(kExitError);
      }
      cv_.notify_all();
    }).detach();
  }

  // The lock or leadership is held from now on.
  void Holding() {
    std::lock_guard<std::mutex> lock(mu_);
    holding_ = true;
  }

  // Waits for a signal (true) or the session's end (false).
  bool WaitForSignalOrExpiry(const Session& s) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!signaled_) {
      if (!s.keep_alive->running()) return false;
      cv_.wait_for(lock, std::chrono::milliseconds(100));  // also notices the session's end
    }
    return true;
  }

 private:
  sigset_t set_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool signaled_ = false;  // guarded by mu_
  bool holding_ = false;   // guarded by mu_
};

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
    Interrupts interrupts;
    g.Setup(lock);
    Session session = NewSession(g, *ttl);
    auto locked = g.Client().Lock(inv.args[0], session.lease);
    if (!locked.ok()) ExitWithError(kExitError, ErrorText(locked.status()));
    interrupts.Holding();
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
    if (!interrupts.WaitForSignalOrExpiry(session)) ExitWithError(kExitError, "session expired");
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
    Interrupts interrupts;
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
          std::lock_guard<std::mutex> lock(PrintMutex());
          g.display().Get(resp);
          std::fflush(stdout);
        }
      });
      reader.detach();
      interrupts.Holding();
      interrupts.WaitForSignalOrExpiry(session);
      std::fflush(stdout);
      std::_Exit(0);
    }
    Session session = NewSession(g, 60);
    auto campaign = g.Client().Campaign(name, session.lease, inv.args[1]);
    if (!campaign.ok()) ExitWithError(kExitError, ErrorText(campaign.status()));
    interrupts.Holding();
    auto got = g.Client().Get(campaign->leader().key());
    if (!got.ok()) ExitWithError(kExitError, ErrorText(got.status()));
    g.display().Get(*got);
    std::fflush(stdout);
    if (!interrupts.WaitForSignalOrExpiry(session)) {
      ExitWithError(kExitError, "elect: session expired");
    }
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
