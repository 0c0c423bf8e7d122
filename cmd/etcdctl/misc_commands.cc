// version, make-mirror, check perf|datascale, migrate, auth, user, role (etcdctl 3.4
// version_command.go, make_mirror_command.go, check.go, auth_command.go, user_command.go,
// role_command.go).
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <set>
#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "cmd/etcdctl/commands.h"
#include "cmd/etcdctl/go_format.h"

namespace etcd::etcdctl {
namespace {

using client::Op;

// ---- make-mirror ----

struct MirrorFlags {
  std::string prefix, dest_prefix, cert, key, cacert;
  bool no_dest_prefix = false, insecure_transport = true;
};

void AddMakeMirrorCommand(Command& root, Globals& g) {
  auto f = std::make_shared<MirrorFlags>();
  Command& cmd = AddCommand(root, "make-mirror [options] <destination>",
                            "Makes a mirror at the destination etcd cluster");
  cmd.flags().String("prefix", 0, &f->prefix, "Key-value prefix to mirror");
  cmd.flags().String("dest-prefix", 0, &f->dest_prefix,
                     "destination prefix to mirror a prefix to a different prefix in the "
                     "destination cluster");
  cmd.flags().Bool("no-dest-prefix", 0, &f->no_dest_prefix,
                   "mirror key-values to the root of the destination cluster");
  cmd.flags().String("dest-cert", 0, &f->cert,
                     "Identify secure client using this TLS certificate file for the destination "
                     "cluster");
  cmd.flags().String("dest-key", 0, &f->key, "Identify secure client using this TLS key file");
  cmd.flags().String("dest-cacert", 0, &f->cacert,
                     "Verify certificates of TLS enabled secure servers using this CA bundle");
  cmd.flags().Bool("dest-insecure-transport", 0, &f->insecure_transport,
                   "Disable transport security for client connections");
  cmd.run = [&g, &cmd, f](const Invocation& inv) -> int {
    if (inv.args.size() != 1) ExitWithError(kExitBadArgs, "make-mirror takes one destination argument");
    g.Setup(cmd);
    // The destination: its own TLS flags (--dest-*), no credentials, the global timeouts.
    client::ClientOptions dest_options;
    dest_options.endpoints = {inv.args[0]};
    dest_options.tls = Globals::TlsFromFlags(f->cert, f->key, f->cacert, f->insecure_transport);
    dest_options.request_timeout = absl::ToChronoMilliseconds(g.flags().command_timeout);
    auto dest_client = client::Client::New(dest_options);
    if (!dest_client.ok()) ExitWithError(kExitBadConnection, dest_client.status().message());
    std::unique_ptr<client::Client> dest = std::move(*dest_client);
    client::Client& src = g.Client();
    std::atomic<int64_t> total{0};
    std::thread([&total] {
      while (true) {
        std::this_thread::sleep_for(std::chrono::seconds(30));  // a progress report, not a wait
        std::printf("%lld\n", static_cast<long long>(total.load()));
        std::fflush(stdout);
      }
    }).detach();
    // SyncBase: the keys under the prefix at one revision.
    client::GetOptions base;
    if (f->prefix.empty()) {
      base.from_key = true;
    } else {
      base.prefix = true;
    }
    auto snapshot = src.Get(f->prefix.empty() ? std::string(1, '\0') : f->prefix, base);
    if (f->no_dest_prefix && !f->dest_prefix.empty()) {
      ExitWithError(kExitBadArgs, "`--dest-prefix` and `--no-dest-prefix` cannot be set at the "
                                  "same time, choose one");
    }
    if (!f->no_dest_prefix && f->dest_prefix.empty()) f->dest_prefix = f->prefix;
    const auto modify = [&](const std::string& key) {
      if (f->prefix.empty()) return f->dest_prefix + key;
      const size_t at = key.find(f->prefix);
      if (at == std::string::npos) return key;
      return key.substr(0, at) + f->dest_prefix + key.substr(at + f->prefix.size());
    };
    if (!snapshot.ok()) ExitWithError(kExitError, ErrorText(snapshot.status()));
    for (const auto& kv : snapshot->kvs()) {
      auto put = dest->Put(modify(kv.key()), kv.value());
      if (!put.ok()) ExitWithError(kExitError, ErrorText(put.status()));
      ++total;
    }
    // SyncUpdates: every change after that revision, one transaction per revision.
    client::WatchOptions wo;
    wo.range_end = base.prefix ? client::PrefixEnd(f->prefix) : std::string(1, '\0');
    wo.start_revision = snapshot->header().revision() + 1;
    auto watch = src.Watch(f->prefix.empty() ? std::string(1, '\0') : f->prefix, wo);
    if (!watch.ok()) ExitWithError(kExitError, ErrorText(watch.status()));
    while (true) {
      auto r = (*watch)->Next(std::chrono::hours(24));
      if (!r.ok()) {
        if (r.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
        ExitWithError(kExitError, ErrorText(r.status()));
      }
      if (r->compact_revision() != 0) {
        ExitWithError(kExitError, "etcdserver: mvcc: required revision has been compacted");
      }
      std::vector<Op> ops;
      int64_t last = 0;
      const auto flush = [&] {
        if (ops.empty()) return;
        auto t = dest->Txn().Then(ops).Commit();
        if (!t.ok()) ExitWithError(kExitError, ErrorText(t.status()));
        ops.clear();
      };
      for (const auto& ev : r->events()) {
        if (last != 0 && ev.kv().mod_revision() > last) flush();
        last = ev.kv().mod_revision();
        ops.push_back(ev.type() == mvccpb::Event::PUT ? Op::Put(modify(ev.kv().key()), ev.kv().value())
                                                      : Op::Delete(modify(ev.kv().key())));
        ++total;
      }
      flush();
    }
  };
}

// ---- check ----

struct PerfLoad {
  int limit, clients, duration_s;
};

void AddCheckCommands(Command& root, Globals& g) {
  Command& check = AddCommand(root, "check <subcommand>", "commands for checking properties");
  struct PerfFlags {
    std::string load = "s", prefix = "/etcdctl-check-perf/";
    bool auto_compact = false, auto_defrag = false;
  };
  auto pf = std::make_shared<PerfFlags>();
  Command& perf = AddCommand(check, "perf [options]", "Check the performance of the etcd cluster");
  perf.flags().String("load", 0, &pf->load,
                      "The performance check's workload model. Accepted workloads: s(small), "
                      "m(medium), l(large), xl(xLarge)");
  perf.flags().String("prefix", 0, &pf->prefix, "The prefix for writing the performance check's keys.");
  perf.flags().Bool("auto-compact", 0, &pf->auto_compact,
                    "Compact storage with last revision after test is finished.");
  perf.flags().Bool("auto-defrag", 0, &pf->auto_defrag, "Defragment storage after test is finished.");
  perf.run = [&g, &perf, pf](const Invocation&) {
    static const std::map<std::string, std::string> kAlias = {
        {"s", "s"}, {"small", "s"}, {"m", "m"}, {"medium", "m"},
        {"l", "l"}, {"large", "l"}, {"xl", "xl"}, {"xLarge", "xl"}};
    static const std::map<std::string, PerfLoad> kLoads = {{"s", {150, 50, 60}},
                                                           {"m", {1000, 200, 60}},
                                                           {"l", {8000, 500, 60}},
                                                           {"xl", {15000, 1000, 60}}};
    auto alias = kAlias.find(pf->load);
    if (alias == kAlias.end()) ExitWithError(kExitBadFeature, "unknown load option " + pf->load);
    const PerfLoad load = kLoads.at(alias->second);
    g.Setup(perf);
    client::Client& c = g.Client();
    auto existing = Must(c.Get(pf->prefix, {.prefix = true, .limit = 1}), g);
    if (existing.kvs_size() > 0) {
      ExitWithError(kExitInvalidInput,
                    absl::StrFormat("prefix %s has keys. Delete with etcdctl del --prefix %s first",
                                    GoQuoted(pf->prefix), pf->prefix));
    }
    // Writers take puts from a queue fed at `limit` per second for `duration` seconds.
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::string> queue;
    bool done = false;
    std::vector<double> latencies;
    std::map<std::string, int> errors;
    const std::string value(1024, '\0');
    const int connections = std::min(load.clients, 16);
    std::vector<std::unique_ptr<client::Client>> clients;
    for (int i = 0; i < connections; ++i) clients.push_back(g.NewClient(g.Endpoints()));
    std::vector<std::thread> writers;
    const absl::Time begin = absl::Now();
    for (int i = 0; i < load.clients; ++i) {
      writers.emplace_back([&, i] {
        client::Client& w = *clients[i % connections];
        while (true) {
          std::string key;
          {
            std::unique_lock<std::mutex> lock(mu);
            cv.wait(lock, [&] { return done || !queue.empty(); });
            if (queue.empty()) return;
            key = std::move(queue.front());
            queue.pop_front();
          }
          const absl::Time st = absl::Now();
          auto r = w.Put(key, value);
          const double took = absl::ToDoubleSeconds(absl::Now() - st);
          std::lock_guard<std::mutex> lock(mu);
          if (r.ok()) {
            latencies.push_back(took);
          } else {
            ++errors[ErrorText(r.status())];
          }
        }
      });
    }
    std::mt19937_64 rng(std::random_device{}());
    const absl::Duration interval = absl::Seconds(1) / load.limit;
    for (absl::Time next = begin; next < begin + absl::Seconds(load.duration_s); next += interval) {
      absl::SleepFor(next - absl::Now());  // the rate limiter
      std::string key(256, '\0');
      uint64_t v = rng() >> 1;
      // binary.PutVarint of a random int63 at the start of a 256-byte key.
      uint64_t zz = v << 1;
      size_t i = 0;
      while (zz >= 0x80) key[i++] = static_cast<char>(zz | 0x80), zz >>= 7;
      key[i] = static_cast<char>(zz);
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(pf->prefix + key);
      cv.notify_one();
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
      cv.notify_all();
    }
    for (auto& w : writers) w.join();
    const double total = absl::ToDoubleSeconds(absl::Now() - begin);
    auto deleted = Must(c.Delete(pf->prefix, {.prefix = true}), g);
    if (pf->auto_compact) {
      const int64_t rev = deleted.header().revision();
      std::printf("Compacting with revision %lld\n", static_cast<long long>(rev));
      Must(c.Compact(rev, true), g);
      std::printf("Compacted with revision %lld\n", static_cast<long long>(rev));
    }
    if (pf->auto_defrag) {
      for (const std::string& ep : c.endpoints()) {
        std::printf("Defragmenting %s\n", GoQuoted(ep).c_str());
        Must(c.Defragment(ep), g);
        std::printf("Defragmented %s\n", GoQuoted(ep).c_str());
      }
    }
    double mean = 0, slowest = 0;
    for (double l : latencies) mean += l, slowest = std::max(slowest, l);
    if (!latencies.empty()) mean /= latencies.size();
    double var = 0;
    for (double l : latencies) var += (l - mean) * (l - mean);
    const double stddev = latencies.empty() ? 0 : std::sqrt(var / latencies.size());
    const double rps = latencies.size() / total;
    bool ok = true;
    if (!errors.empty()) {
      std::printf("FAIL: too many errors\n");
      for (const auto& [e, n] : errors) std::printf("FAIL: ERROR(%s) -> %d\n", e.c_str(), n);
      ok = false;
    }
    if (rps / load.limit <= 0.9) {
      std::printf("FAIL: Throughput too low: %d writes/s\n", static_cast<int>(rps) + 1);
      ok = false;
    } else {
      std::printf("PASS: Throughput is %d writes/s\n", static_cast<int>(rps) + 1);
    }
    if (slowest > 0.5) {
      std::printf("Slowest request took too long: %fs\n", slowest);
      ok = false;
    } else {
      std::printf("PASS: Slowest request took %fs\n", slowest);
    }
    if (stddev > 0.1) {
      std::printf("Stddev too high: %fs\n", stddev);
      ok = false;
    } else {
      std::printf("PASS: Stddev is %fs\n", stddev);
    }
    std::printf(ok ? "PASS\n" : "FAIL\n");
    std::fflush(stdout);
    return ok ? kExitSuccess : kExitError;
  };

  auto dload = std::make_shared<std::string>("s");
  auto dprefix = std::make_shared<std::string>("/etcdctl-check-datascale/");
  auto dflags = std::make_shared<std::pair<bool, bool>>();
  Command& datascale = AddCommand(check, "datascale [options]",
                                  "Check the memory usage of holding data for different workloads "
                                  "on a given server endpoint.");
  datascale.flags().String("load", 0, dload.get(),
                           "The datascale check's workload model. Accepted workloads: s(small), "
                           "m(medium), l(large), xl(xLarge)");
  datascale.flags().String("prefix", 0, dprefix.get(),
                           "The prefix for writing the datascale check's keys.");
  datascale.flags().Bool("auto-compact", 0, &dflags->first,
                         "Compact storage with last revision after test is finished.");
  datascale.flags().Bool("auto-defrag", 0, &dflags->second,
                         "Defragment storage after test is finished.");
  datascale.run = [dload](const Invocation&) -> int {
    static const std::set<std::string> kLoads = {"s", "small", "m", "medium",
                                                 "l", "large", "xl", "xLarge"};
    if (!kLoads.count(*dload)) ExitWithError(kExitBadFeature, "unknown load option " + *dload);
    ExitWithError(kExitError, "check datascale is not implemented by this etcdctl");
  };
}

// ---- auth, user, role: the Auth service, called directly ----

using AuthStub = etcdserverpb::Auth::Stub;

// An auth, user or role command: `min`..`max` arguments (else `usage_error`, exit 128), then
// one call of `method` with the request `build` makes from the arguments, printed with the
// text `build` gives for the simple format.
template <typename Request, typename Response>
Command& AddAuthCommand(
    Command& parent, Globals& g, std::string use, std::string short_help, size_t min, size_t max,
    const char* usage_error,
    grpc::Status (AuthStub::*method)(grpc::ClientContext*, const Request&, Response*),
    std::function<std::pair<Request, std::string>(const Invocation&)> build) {
  Command& cmd = AddCommand(parent, std::move(use), std::move(short_help));
  cmd.run = [&g, &cmd, min, max, usage_error, method, build](const Invocation& inv) {
    if (inv.args.size() < min || inv.args.size() > max) ExitWithError(kExitBadArgs, usage_error);
    auto [request, simple_text] = build(inv);
    g.Setup(cmd);
    auto stub = g.AuthStub();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(g.flags().command_timeout));
    Response response;
    if (absl::Status s = FromGrpcStatus(((*stub).*method)(&context, request, &response));
        !s.ok()) {
      LogUnaryFailure(s, g.Client().CurrentEndpoint());
      ExitWithError(kExitError, ErrorText(s));
    }
    g.display().AuthResponse(response, simple_text);
    return 0;
  };
  return cmd;
}

using etcdserverpb::AuthDisableRequest;
using etcdserverpb::AuthEnableRequest;
using etcdserverpb::AuthRoleAddRequest;
using etcdserverpb::AuthRoleDeleteRequest;
using etcdserverpb::AuthRoleGetRequest;
using etcdserverpb::AuthRoleGrantPermissionRequest;
using etcdserverpb::AuthRoleListRequest;
using etcdserverpb::AuthRoleRevokePermissionRequest;
using etcdserverpb::AuthUserAddRequest;
using etcdserverpb::AuthUserChangePasswordRequest;
using etcdserverpb::AuthUserDeleteRequest;
using etcdserverpb::AuthUserGetRequest;
using etcdserverpb::AuthUserGrantRoleRequest;
using etcdserverpb::AuthUserListRequest;
using etcdserverpb::AuthUserRevokeRoleRequest;

void AddAuthCommands(Command& root, Globals& g) {
  Command& auth = AddCommand(root, "auth <enable or disable>", "Enable or disable authentication");
  // Both print their line whatever the output format (etcdctl 3.4 Println's it). `enable`
  // answers the server's "root user does not have root role" as etcdctl 3.4 does: it adds the
  // root role, grants it to root, and enables again, all within one command timeout.
  Command& enable = AddCommand(auth, "enable", "Enables authentication");
  enable.run = [&g, &enable](const Invocation& inv) {
    if (!inv.args.empty()) {
      ExitWithError(kExitBadArgs, "auth enable command does not accept any arguments");
    }
    g.Setup(enable);
    auto stub = g.AuthStub();
    const auto deadline = std::chrono::system_clock::now() +
                          absl::ToChronoMilliseconds(g.flags().command_timeout);
    auto call = [&](auto method, const auto& request, auto response) {
      grpc::ClientContext context;
      context.set_deadline(deadline);
      return FromGrpcStatus(((*stub).*method)(&context, request, &response));
    };
    absl::Status s;
    while (true) {
      s = call(&AuthStub::AuthEnable, AuthEnableRequest(), etcdserverpb::AuthEnableResponse());
      if (s.ok() || s.message() != "etcdserver: root user does not have root role") break;
      AuthRoleAddRequest role;
      role.set_name("root");
      s = call(&AuthStub::RoleAdd, role, etcdserverpb::AuthRoleAddResponse());
      if (!s.ok()) break;
      AuthUserGrantRoleRequest grant;
      grant.set_user("root");
      grant.set_role("root");
      s = call(&AuthStub::UserGrantRole, grant, etcdserverpb::AuthUserGrantRoleResponse());
      if (!s.ok()) break;
    }
    if (!s.ok()) {
      LogUnaryFailure(s, g.Client().CurrentEndpoint());
      ExitWithError(kExitError, ErrorText(s));
    }
    std::cout << "Authentication Enabled" << std::endl;
    return 0;
  };
  Command& disable = AddCommand(auth, "disable", "Disables authentication");
  disable.run = [&g, &disable](const Invocation& inv) {
    if (!inv.args.empty()) {
      ExitWithError(kExitBadArgs, "auth disable command does not accept any arguments");
    }
    g.Setup(disable);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(g.flags().command_timeout));
    etcdserverpb::AuthDisableResponse response;
    if (absl::Status s =
            FromGrpcStatus(g.AuthStub()->AuthDisable(&context, AuthDisableRequest(), &response));
        !s.ok()) {
      LogUnaryFailure(s, g.Client().CurrentEndpoint());
      ExitWithError(kExitError, ErrorText(s));
    }
    std::cout << "Authentication Disabled" << std::endl;
    return 0;
  };
}

void AddUserCommands(Command& root, Globals& g) {
  Command& user = AddCommand(root, "user <subcommand>", "User related commands");
  struct AddFlags {
    bool interactive = true, no_password = false;
    std::string password;
  };
  auto af = std::make_shared<AddFlags>();
  Command& add = AddAuthCommand<AuthUserAddRequest>(
      user, g, "add <user name or user:password> [options]", "Adds a new user", 1, 1,
      "user add command requires user name as its argument", &AuthStub::UserAdd,
      [af](const Invocation& inv) {
        AuthUserAddRequest req;
        std::string name = inv.args[0], password = af->password;
        if (af->no_password) {
          req.mutable_options()->set_no_password(true);
        } else if (password.empty()) {
          if (const size_t colon = name.find(':'); colon != std::string::npos) {
            password = name.substr(colon + 1);
            name = name.substr(0, colon);
            if (name.empty()) ExitWithError(kExitBadArgs, "empty user name is not allowed");
          } else {
            std::getline(std::cin, password);
          }
        }
        req.set_name(name);
        req.set_password(password);
        return std::pair{req, absl::StrCat("User ", name, " created\n")};
      });
  add.flags().Bool("interactive", 0, &af->interactive,
                   "Read password from stdin instead of interactive terminal");
  add.flags().String("new-user-password", 0, &af->password,
                     "Supply password from the command line flag");
  add.flags().Bool("no-password", 0, &af->no_password,
                   "Create a user without password (CN based auth only)");
  AddAuthCommand<AuthUserDeleteRequest>(
      user, g, "delete <user name>", "Deletes a user", 1, 1,
      "user delete command requires user name as its argument", &AuthStub::UserDelete,
      [](const Invocation& inv) {
        AuthUserDeleteRequest req;
        req.set_name(inv.args[0]);
        return std::pair{req, absl::StrCat("User ", inv.args[0], " deleted\n")};
      });
  auto detail = std::make_shared<bool>(false);
  Command& get = AddAuthCommand<AuthUserGetRequest>(
      user, g, "get <user name> [options]", "Gets detailed information of a user", 1, 1,
      "user get command requires user name as its argument", &AuthStub::UserGet,
      [](const Invocation& inv) {
        AuthUserGetRequest req;
        req.set_name(inv.args[0]);
        return std::pair{req, absl::StrCat("User: ", inv.args[0], "\nRoles:\n")};
      });
  get.flags().Bool("detail", 0, detail.get(), "Show permissions of roles granted to the user");
  AddAuthCommand<AuthUserListRequest>(
      user, g, "list", "Lists all users", 0, 0, "user list command requires no arguments",
      &AuthStub::UserList,
      [](const Invocation&) { return std::pair{AuthUserListRequest(), std::string()}; });
  auto interactive = std::make_shared<bool>(true);
  Command& passwd = AddAuthCommand<AuthUserChangePasswordRequest>(
      user, g, "passwd <user name> [options]", "Changes password of user", 1, 1,
      "user passwd command requires user name as its argument", &AuthStub::UserChangePassword,
      [](const Invocation& inv) {
        AuthUserChangePasswordRequest req;
        req.set_name(inv.args[0]);
        std::string password;
        std::getline(std::cin, password);
        if (password.empty()) ExitWithError(kExitBadArgs, "empty password");
        req.set_password(password);
        return std::pair{req, std::string("Password updated\n")};
      });
  passwd.flags().Bool("interactive", 0, interactive.get(),
                      "If true, read password from stdin instead of interactive terminal");
  AddAuthCommand<AuthUserGrantRoleRequest>(
      user, g, "grant-role <user name> <role name>", "Grants a role to a user", 2, 2,
      "user grant command requires user name and role name as its argument",
      &AuthStub::UserGrantRole, [](const Invocation& inv) {
        AuthUserGrantRoleRequest req;
        req.set_user(inv.args[0]);
        req.set_role(inv.args[1]);
        return std::pair{req, absl::StrCat("Role ", inv.args[1], " is granted to user ",
                                           inv.args[0], "\n")};
      });
  AddAuthCommand<AuthUserRevokeRoleRequest>(
      user, g, "revoke-role <user name> <role name>", "Revokes a role from a user", 2, 2,
      "user revoke-role requires user name and role name as its argument",
      &AuthStub::UserRevokeRole, [](const Invocation& inv) {
        AuthUserRevokeRoleRequest req;
        req.set_name(inv.args[0]);
        req.set_role(inv.args[1]);
        return std::pair{req, absl::StrCat("Role ", inv.args[1], " is revoked from user ",
                                           inv.args[0], "\n")};
      });
}

// The range of a permission: [key, end), a prefix, or every key from `key` on.
std::string PermissionEnd(const std::vector<std::string>& args, size_t end_at, bool prefix,
                          bool from_key) {
  if (prefix && from_key) {
    ExitWithError(kExitBadArgs, "--from-key and --prefix flags are mutually exclusive");
  }
  if (prefix) return client::PrefixEnd(args[end_at - 1]);
  if (from_key) return std::string(1, '\0');
  return args.size() > end_at ? args[end_at] : "";
}

void AddRoleCommands(Command& root, Globals& g) {
  Command& role = AddCommand(root, "role <subcommand>", "Role related commands");
  AddAuthCommand<AuthRoleAddRequest>(
      role, g, "add <role name>", "Adds a new role", 1, 1,
      "role add command requires role name as its argument", &AuthStub::RoleAdd,
      [](const Invocation& inv) {
        AuthRoleAddRequest req;
        req.set_name(inv.args[0]);
        return std::pair{req, absl::StrCat("Role ", inv.args[0], " created\n")};
      });
  AddAuthCommand<AuthRoleDeleteRequest>(
      role, g, "delete <role name>", "Deletes a role", 1, 1,
      "role delete command requires role name as its argument", &AuthStub::RoleDelete,
      [](const Invocation& inv) {
        AuthRoleDeleteRequest req;
        req.set_role(inv.args[0]);
        return std::pair{req, absl::StrCat("Role ", inv.args[0], " deleted\n")};
      });
  AddAuthCommand<AuthRoleGetRequest>(
      role, g, "get <role name>", "Gets detailed information of a role", 1, 1,
      "role get command requires role name as its argument", &AuthStub::RoleGet,
      [](const Invocation& inv) {
        AuthRoleGetRequest req;
        req.set_role(inv.args[0]);
        return std::pair{req, absl::StrCat("Role ", inv.args[0], "\nKV Read:\nKV Write:\n")};
      });
  AddAuthCommand<AuthRoleListRequest>(
      role, g, "list", "Lists all roles", 0, 0, "role list command requires no arguments",
      &AuthStub::RoleList,
      [](const Invocation&) { return std::pair{AuthRoleListRequest(), std::string()}; });
  struct PermFlags {
    bool prefix = false, from_key = false;
  };
  auto pf = std::make_shared<PermFlags>();
  Command& grant = AddAuthCommand<AuthRoleGrantPermissionRequest>(
      role, g, "grant-permission [options] <role name> <permission type> <key> [endkey]",
      "Grants a key to a role", 3, 4,
      "role grant command requires role name, permission type, and key [endkey] as its "
      "argument",
      &AuthStub::RoleGrantPermission, [pf](const Invocation& inv) {
        AuthRoleGrantPermissionRequest req;
        req.set_name(inv.args[0]);
        authpb::Permission::Type type;
        if (!authpb::Permission::Type_Parse(absl::AsciiStrToUpper(inv.args[1]), &type)) {
          ExitWithError(kExitBadArgs, "invalid permission type " + inv.args[1]);
        }
        req.mutable_perm()->set_permtype(type);
        req.mutable_perm()->set_key(inv.args[2]);
        req.mutable_perm()->set_range_end(PermissionEnd(inv.args, 3, pf->prefix, pf->from_key));
        return std::pair{req, absl::StrCat("Role ", inv.args[0], " updated\n")};
      });
  grant.flags().Bool("prefix", 0, &pf->prefix, "grant a prefix permission");
  grant.flags().Bool("from-key", 0, &pf->from_key,
                     "grant a permission of keys that are greater than or equal to the given key "
                     "using byte compare");
  Command& revoke = AddAuthCommand<AuthRoleRevokePermissionRequest>(
      role, g, "revoke-permission <role name> <key> [endkey]", "Revokes a key from a role", 2, 3,
      "role revoke-permission command requires role name and key [endkey] as its argument",
      &AuthStub::RoleRevokePermission, [pf](const Invocation& inv) {
        AuthRoleRevokePermissionRequest req;
        req.set_role(inv.args[0]);
        req.set_key(inv.args[1]);
        const std::string end = PermissionEnd(inv.args, 2, pf->prefix, pf->from_key);
        req.set_range_end(end);
        const std::string& key = inv.args[1];
        const std::string what =
            end.empty()                       ? absl::StrCat("key ", key)
            : end != std::string(1, '\0')     ? absl::StrCat("range [", key, ", ", end, ")")
                                              : absl::StrCat("range [", key, ", <open ended>");
        return std::pair{req, absl::StrCat("Permission of ", what, " is revoked from role ",
                                           inv.args[0], "\n")};
      });
  revoke.flags().Bool("prefix", 0, &pf->prefix, "revoke a prefix permission");
  revoke.flags().Bool("from-key", 0, &pf->from_key,
                      "revoke a permission of keys that are greater than or equal to the given "
                      "key using byte compare");
}

}  // namespace

void AddMiscCommands(Command& root, Globals& g) {
  Command& version = AddCommand(root, "version", "Prints the version of etcdctl");
  version.run = [](const Invocation&) {
    // The etcd release this etcdctl is a drop-in for, and its API version.
    std::printf("etcdctl version: 3.4.23\nAPI version: 3.4\n");
    return 0;
  };
  AddMakeMirrorCommand(root, g);
  AddCheckCommands(root, g);
  Command& migrate = AddCommand(root, "migrate", "Migrates keys in a v2 store to a mvcc store");
  migrate.run = [](const Invocation&) -> int {
    ExitWithError(kExitError, "migrate (v2 store to v3) is not supported by this etcdctl: "
                              "etcd-cpp has no v2 store");
  };
  AddAuthCommands(root, g);
  AddUserCommands(root, g);
  AddRoleCommands(root, g);
}

}  // namespace etcd::etcdctl
