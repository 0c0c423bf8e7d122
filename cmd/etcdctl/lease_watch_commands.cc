// lease grant|revoke|timetolive|list|keep-alive and watch (etcdctl 3.4 lease_command.go,
// watch_command.go).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cmd/etcdctl/commands.h"
#include "cmd/etcdctl/go_format.h"
#include "cmd/etcdctl/txn_parse.h"

namespace etcd::etcdctl {
namespace {

int64_t LeaseFromArg(const std::string& arg) {
  auto id = ParseGoInt64(arg, 16);
  if (!id.ok()) {
    ExitWithError(kExitBadArgs,
                  absl::StrCat("bad lease ID arg (", id.status().message(), "), expecting ID in Hex"));
  }
  return *id;
}

void AddLeaseCommands(Command& root, Globals& g) {
  Command& lease = AddCommand(root, "lease <subcommand>", "Lease related commands");

  Command& grant = AddCommand(lease, "grant <ttl>", "Creates leases");
  grant.run = [&g, &grant](const Invocation& inv) {
    if (inv.args.size() != 1) ExitWithError(kExitBadArgs, "lease grant command needs TTL argument");
    auto ttl = ParseGoInt64(inv.args[0], 10);
    if (!ttl.ok()) ExitWithError(kExitBadArgs, absl::StrCat("bad TTL (", ttl.status().message(), ")"));
    g.Setup(grant);
    g.display().Grant(Must(g.Client().Grant(*ttl), g, kExitError, "failed to grant lease (%s)"));
    return 0;
  };

  Command& revoke = AddCommand(lease, "revoke <leaseID>", "Revokes leases");
  revoke.run = [&g, &revoke](const Invocation& inv) {
    if (inv.args.size() != 1) ExitWithError(kExitBadArgs, "lease revoke command needs 1 argument");
    const int64_t id = LeaseFromArg(inv.args[0]);
    g.Setup(revoke);
    g.display().Revoke(id, Must(g.Client().Revoke(id), g, kExitError, "failed to revoke lease (%s)"));
    return 0;
  };

  auto keys = std::make_shared<bool>(false);
  Command& ttl = AddCommand(lease, "timetolive <leaseID> [options]", "Get lease information");
  ttl.flags().Bool("keys", 0, keys.get(), "Get keys attached to this lease");
  ttl.run = [&g, &ttl, keys](const Invocation& inv) {
    if (inv.args.size() != 1) {
      ExitWithError(kExitBadArgs, "lease timetolive command needs lease ID as argument");
    }
    const int64_t id = LeaseFromArg(inv.args[0]);
    g.Setup(ttl);
    g.display().TimeToLive(Must(g.Client().TimeToLive(id, *keys), g, kExitBadConnection), *keys);
    return 0;
  };

  Command& list = AddCommand(lease, "list", "List all active leases");
  list.run = [&g, &list](const Invocation&) {
    g.Setup(list);
    g.display().Leases(Must(g.Client().Leases(), g, kExitBadConnection));
    return 0;
  };

  auto once = std::make_shared<bool>(false);
  Command& keep = AddCommand(lease, "keep-alive [options] <leaseID>", "Keeps leases alive (renew)");
  keep.flags().Bool("once", 0, once.get(),
                    "Resets the keep-alive time to its original value and exits immediately");
  keep.run = [&g, &keep, once](const Invocation& inv) {
    if (inv.args.size() != 1) {
      ExitWithError(kExitBadArgs, "lease keep-alive command needs lease ID as argument");
    }
    const int64_t id = LeaseFromArg(inv.args[0]);
    g.Setup(keep);
    if (*once) {
      g.display().KeepAlive(Must(g.Client().KeepAliveOnce(id), g, kExitBadConnection));
      return 0;
    }
    std::unique_ptr<client::LeaseKeepAlive> ka = g.Client().KeepAlive(id);
    while (true) {
      auto r = ka->Next(std::chrono::hours(1));
      if (r.ok()) {
        g.display().KeepAlive(*r);
        std::fflush(stdout);
      } else if (r.status().code() != absl::StatusCode::kDeadlineExceeded || !ka->running()) {
        break;
      }
    }
    if (g.simple_output()) std::printf("lease %016llx expired or revoked.\n", static_cast<unsigned long long>(id));
    return 0;
  };
}

// ---- watch ----

struct WatchFlags {
  bool interactive = false, prefix = false, prev_kv = false;
  int64_t rev = 0;
  void Register(FlagSet& f) {
    f.Bool("interactive", 'i', &interactive, "Interactive mode");
    f.Bool("prefix", 0, &prefix, "Watch on a prefix if prefix is set");
    f.Int64("rev", 0, &rev, "Revision to start watching");
    f.Bool("prev-kv", 0, &prev_kv, "get the previous key-value pair before the event happens");
  }
};

constexpr char kBadArgsNum[] = "bad number of arguments";
constexpr char kBadArgsConflictEnv[] = "bad number of arguments (found conflicting environment key)";
constexpr char kBadArgsSeparator[] = "bad number of arguments (found separator --, but no commands)";

struct WatchArgs {
  std::vector<std::string> watch_args, exec_args;
  WatchFlags flags;
};

// parseWatchArgs of watch_command.go, for the command line (`interactive` false: `os_args` are
// the process's arguments, `command_args` what the parser left) or for one line of an
// interactive session (`command_args` the line's words, "watch" first).
absl::StatusOr<WatchArgs> ParseWatchArgs(const std::vector<std::string>& os_args,
                                         const std::vector<std::string>& command_args,
                                         const std::string& env_key, const std::string& env_range,
                                         bool interactive, const WatchFlags& cli_flags) {
  std::vector<std::string> raw = os_args;
  WatchArgs out;
  out.flags = cli_flags;
  std::vector<std::string> watch_args = command_args;
  if (auto it = std::find(raw.begin(), raw.end(), "watch"); it != raw.end()) {
    raw.erase(raw.begin(), it + 1);
  }
  const auto find_dash = [](const std::vector<std::string>& v) -> std::optional<size_t> {
    auto it = std::find(v.begin(), v.end(), "--");
    if (it == v.end()) return std::nullopt;
    return it - v.begin();
  };
  std::vector<std::string> args_with_sep = raw;
  if (interactive) {
    if (watch_args.empty() || watch_args[0] != "watch") {
      return absl::InvalidArgumentError("args[0] must be 'watch' for interactive calls");
    }
    watch_args.erase(watch_args.begin());
    const auto dash = find_dash(watch_args);
    if (dash.has_value() && *dash == watch_args.size() - 1) {
      return absl::InvalidArgumentError(kBadArgsSeparator);
    }
    Command line("watch", "");
    WatchFlags parsed_flags;
    parsed_flags.Register(line.flags());
    ParsedCommandLine parsed;
    if (absl::Status s = ParseCommandLine(line, watch_args, parsed); !s.ok()) return s;
    const std::vector<std::string>& p_args = parsed.invocation.args;
    if (!dash.has_value() && env_key.empty() && p_args.empty()) {
      return absl::InvalidArgumentError(kBadArgsNum);
    }
    if (!dash.has_value() && !p_args.empty() && !env_key.empty()) {
      return absl::InvalidArgumentError(kBadArgsConflictEnv);
    }
    args_with_sep = watch_args;
    out.flags = parsed_flags;
    out.flags.interactive = cli_flags.interactive;
    watch_args = p_args;
  } else {
    const auto dash = find_dash(raw);
    if (dash.has_value() && *dash == raw.size() - 1) {
      return absl::InvalidArgumentError(kBadArgsSeparator);
    }
    if (!dash.has_value() && raw.empty() && env_key.empty()) {
      return absl::InvalidArgumentError(kBadArgsNum);
    }
    if (dash.has_value() && !env_key.empty()) {
      int ridx = static_cast<int>(raw.size()) - 1;
      for (int widx = static_cast<int>(watch_args.size()) - 1; widx >= 0; --widx) {
        if (ridx >= 0 && watch_args[widx] == raw[ridx]) {
          --ridx;
          continue;
        }
        if (ridx == static_cast<int>(*dash)) return absl::InvalidArgumentError(kBadArgsConflictEnv);
      }
    }
    if (!dash.has_value() && !watch_args.empty() && !env_key.empty()) {
      return absl::InvalidArgumentError(kBadArgsConflictEnv);
    }
  }
  const auto sep = find_dash(args_with_sep);
  if (sep.has_value()) {
    out.exec_args.assign(args_with_sep.begin() + *sep + 1, args_with_sep.end());
  }
  if (!env_key.empty()) {
    std::vector<std::string> ranges = {env_key};
    if (!env_range.empty()) ranges.push_back(env_range);
    watch_args.insert(watch_args.begin(), ranges.begin(), ranges.end());
  }
  if (sep.has_value()) {
    int end = static_cast<int>(watch_args.size()) - 1;
    for (; end >= 0; --end) {
      if (watch_args[end] == args_with_sep[*sep + 1]) break;
    }
    watch_args.resize(std::max(end, 0));
  }
  out.watch_args = watch_args;
  return out;
}

// Runs `argv` for one event with etcdctl's ETCD_WATCH_* variables; exits 1 if it fails.
void ExecForEvent(const std::vector<std::string>& argv, int64_t revision, const mvccpb::Event& ev) {
  const std::string error = RunProgram(
      argv, {},
      {absl::StrCat("ETCD_WATCH_REVISION=", revision),
       absl::StrCat("ETCD_WATCH_EVENT_TYPE=", GoQuoted(mvccpb::Event::EventType_Name(ev.type()))),
       absl::StrCat("ETCD_WATCH_KEY=", GoQuoted(ev.kv().key())),
       absl::StrCat("ETCD_WATCH_VALUE=", GoQuoted(ev.kv().value()))});
  if (!error.empty()) {
    std::vector<std::string> quoted;
    for (const auto& a : argv) quoted.push_back(GoQuoted(a));
    std::cerr << "command [" << absl::StrJoin(quoted, " ") << "] error (" << error << ")\n";
    std::exit(1);
  }
}

// printWatchCh: prints every response of `watch` until it ends.
void PrintWatch(Globals& g, client::WatchHandle& watch, const std::vector<std::string>& exec_args) {
  // A watch the server canceled in its creation answer (a compacted start revision): clientv3
  // hands that answer to the reader.
  bool created_canceled = watch.created().canceled();
  while (true) {
    absl::StatusOr<etcdserverpb::WatchResponse> r = watch.created();
    if (!created_canceled) r = watch.Next(std::chrono::hours(24));
    created_canceled = false;
    if (!r.ok()) {
      if (r.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
      return;
    }
    std::lock_guard<std::mutex> lock(PrintMutex());
    if (r->canceled()) {
      std::string reason = "etcdserver: mvcc: required revision is a future revision";
      if (r->compact_revision() != 0) {
        reason = "etcdserver: mvcc: required revision has been compacted";
      } else if (!r->cancel_reason().empty()) {
        reason = ErrorText(absl::FailedPreconditionError(r->cancel_reason()));
      }
      std::fflush(stdout);
      std::cerr << "watch was canceled (" << reason << ")\n";
    }
    if (r->events_size() == 0 && !r->canceled() && !r->created() && r->compact_revision() == 0 &&
        r->header().revision() != 0) {
      std::printf("progress notify: %lld\n", static_cast<long long>(r->header().revision()));
    }
    g.display().Watch(*r);
    std::fflush(stdout);
    if (!exec_args.empty()) {
      for (const auto& ev : r->events()) ExecForEvent(exec_args, r->header().revision(), ev);
    }
    if (r->canceled()) return;
  }
}

// getWatchChan: starts the watch `args` describe.
absl::StatusOr<std::unique_ptr<client::WatchHandle>> StartWatch(
    const std::vector<std::string>& args, const WatchFlags& flags, client::WatchStream& stream) {
  if (args.empty()) return absl::InvalidArgumentError(kBadArgsNum);
  client::WatchOptions o;
  o.start_revision = flags.rev;
  if (args.size() == 2) {
    if (flags.prefix) {
      return absl::InvalidArgumentError("`range_end` and `--prefix` are mutually exclusive");
    }
    o.range_end = args[1];
  }
  o.prefix = flags.prefix;
  o.prev_kv = flags.prev_kv;
  return stream.Watch(args[0], o);
}

void AddWatchCommand(Command& root, Globals& g) {
  auto flags = std::make_shared<WatchFlags>();
  Command& watch = AddCommand(
      root, "watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]",
      "Watches events stream on keys or prefixes");
  flags->Register(watch.flags());
  watch.run = [&g, &watch, flags](const Invocation& inv) -> int {
    const char* k = std::getenv("ETCDCTL_WATCH_KEY");
    const char* r = std::getenv("ETCDCTL_WATCH_RANGE_END");
    const std::string env_key = k ? k : "", env_range = r ? r : "";
    if (env_key.empty() && !env_range.empty()) {
      ExitWithError(kExitBadArgs, absl::StrCat("ETCDCTL_WATCH_KEY is empty but got "
                                               "ETCDCTL_WATCH_RANGE_END=",
                                               GoQuoted(env_range)));
    }
    if (flags->interactive) {
      g.Setup(watch, {"ETCDCTL_WATCH_KEY", "ETCDCTL_WATCH_RANGE_END"});
      // etcdctl's watches have no deadline, not even to be created.
      std::unique_ptr<client::Client> c = g.NewClient(g.Endpoints(), absl::ZeroDuration());
      auto stream = c->NewWatchStream();
      std::vector<std::unique_ptr<client::WatchHandle>> handles;
      std::vector<std::thread> printers;
      std::string line;
      while (true) {
        if (!std::getline(std::cin, line) || std::cin.eof()) {
          ExitWithError(kExitInvalidInput, "Error reading watch request line: EOF");
        }
        std::vector<std::string> args = Argify(line);
        if (args.empty()) {
          std::cerr << "Invalid command: " << line << " (watch and progress supported)\n";
          continue;
        }
        if (args[0] == "watch") {
          if (args.size() < 2 && env_key.empty()) {
            std::cerr << "Invalid command " << line << " (command type or key is not provided)\n";
            continue;
          }
          auto parsed = ParseWatchArgs(g.os_args, args, env_key, env_range, true, *flags);
          if (!parsed.ok()) ExitWithError(kExitBadArgs, parsed.status().message());
          auto handle = StartWatch(parsed->watch_args, parsed->flags, *stream);
          if (!handle.ok()) {
            std::cerr << "Invalid command " << line << " (" << handle.status().message() << ")\n";
            continue;
          }
          client::WatchHandle* h = handle->get();
          handles.push_back(std::move(*handle));
          printers.emplace_back([&g, h, exec = parsed->exec_args] { PrintWatch(g, *h, exec); });
          printers.back().detach();
        } else if (args[0] == "progress") {
          if (!handles.empty()) MustOk(handles.front()->RequestProgress(), g);
        } else {
          std::cerr << "Invalid command " << line << " (only support watch)\n";
        }
      }
    }
    auto parsed = ParseWatchArgs(g.os_args, inv.args, env_key, env_range, false, *flags);
    if (!parsed.ok()) ExitWithError(kExitBadArgs, parsed.status().message());
    if (parsed->watch_args.empty()) ExitWithError(kExitBadArgs, kBadArgsNum);
    if (parsed->watch_args.size() == 2 && flags->prefix) {
      ExitWithError(kExitBadArgs, "`range_end` and `--prefix` are mutually exclusive");
    }
    g.Setup(watch, {"ETCDCTL_WATCH_KEY", "ETCDCTL_WATCH_RANGE_END"});
    std::unique_ptr<client::Client> c = g.NewClient(g.Endpoints(), absl::ZeroDuration());
    auto stream = c->NewWatchStream();
    auto handle = StartWatch(parsed->watch_args, *flags, *stream);
    if (handle.ok()) {
      PrintWatch(g, **handle, parsed->exec_args);
    } else {
      // The server refused the watch: clientv3 delivers it as a canceled response.
      std::cerr << "watch was canceled (" << ErrorText(handle.status()) << ")\n";
    }
    ExitWithError(kExitInterrupted, "watch is canceled by the server");
  };
}

}  // namespace

void AddLeaseWatchCommands(Command& root, Globals& g) {
  AddLeaseCommands(root, g);
  AddWatchCommand(root, g);
}

}  // namespace etcd::etcdctl
