// member add|remove|update|list|promote, endpoint health|status|hashkv, alarm list|disarm,
// defrag, move-leader (etcdctl 3.4 member_command.go, ep_command.go, alarm_command.go,
// defrag_command.go, move_leader_command.go).
#include <cstdio>
#include <future>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cmd/etcdctl/commands.h"
#include "cmd/etcdctl/go_format.h"

namespace etcd::etcdctl {
namespace {

uint64_t MemberIdFromArgs(const Invocation& inv) {
  if (inv.args.size() != 1) ExitWithError(kExitBadArgs, "member ID is not provided");
  auto id = ParseGoUint64(inv.args[0], 16);
  if (!id.ok()) {
    ExitWithError(kExitBadArgs, absl::StrCat("bad member ID arg (", id.status().message(),
                                             "), expecting ID in Hex"));
  }
  return *id;
}

std::vector<std::string> SplitUrls(const std::string& urls) { return absl::StrSplit(urls, ','); }

void AddMemberCommands(Command& root, Globals& g) {
  Command& member = AddCommand(root, "member <subcommand>", "Membership related commands");

  struct AddFlags {
    std::string peer_urls;
    bool learner = false;
  };
  auto add_flags = std::make_shared<AddFlags>();
  Command& add = AddCommand(member, "add <memberName> [options]", "Adds a member into the cluster");
  add.flags().String("peer-urls", 0, &add_flags->peer_urls,
                     "comma separated peer URLs for the new member.");
  add.flags().Bool("learner", 0, &add_flags->learner, "indicates if the new member is raft learner");
  add.run = [&g, &add, add_flags](const Invocation& inv) {
    if (inv.args.empty()) ExitWithError(kExitBadArgs, "member name not provided");
    if (inv.args.size() > 1) {
      std::string ev = "too many arguments";
      for (const auto& s : inv.args) {
        if (absl::StartsWith(absl::AsciiStrToLower(s), "http")) {
          absl::StrAppend(&ev, ", did you mean --peer-urls=", s);
        }
      }
      ExitWithError(kExitBadArgs, ev);
    }
    const std::string& name = inv.args[0];
    if (add_flags->peer_urls.empty()) ExitWithError(kExitBadArgs, "member peer urls not provided");
    g.Setup(add);
    auto resp = Must(g.Client().MemberAdd(SplitUrls(add_flags->peer_urls), add_flags->learner), g);
    g.display().MemberAdd(resp);
    if (g.simple_output()) {
      std::vector<std::string> conf;
      for (const auto& m : resp.members()) {
        for (const auto& u : m.peerurls()) {
          conf.push_back(absl::StrCat(m.id() == resp.member().id() ? name : m.name(), "=", u));
        }
      }
      std::printf("\nETCD_NAME=%s\n", GoQuoted(name).c_str());
      std::printf("ETCD_INITIAL_CLUSTER=%s\n", GoQuoted(absl::StrJoin(conf, ",")).c_str());
      std::printf("ETCD_INITIAL_ADVERTISE_PEER_URLS=%s\n", GoQuoted(add_flags->peer_urls).c_str());
      std::printf("ETCD_INITIAL_CLUSTER_STATE=\"existing\"\n");
    }
    return 0;
  };

  Command& remove = AddCommand(member, "remove <memberID>", "Removes a member from the cluster");
  remove.run = [&g, &remove](const Invocation& inv) {
    const uint64_t id = MemberIdFromArgs(inv);
    g.Setup(remove);
    g.display().MemberRemove(id, Must(g.Client().MemberRemove(id), g));
    return 0;
  };

  auto update_urls = std::make_shared<std::string>();
  Command& update = AddCommand(member, "update <memberID> [options]", "Updates a member in the cluster");
  update.flags().String("peer-urls", 0, update_urls.get(),
                        "comma separated peer URLs for the updated member.");
  update.run = [&g, &update, update_urls](const Invocation& inv) {
    const uint64_t id = MemberIdFromArgs(inv);
    if (update_urls->empty()) ExitWithError(kExitBadArgs, "member peer urls not provided");
    g.Setup(update);
    g.display().MemberUpdate(id, Must(g.Client().MemberUpdate(id, SplitUrls(*update_urls)), g));
    return 0;
  };

  Command& list = AddCommand(member, "list", "Lists all members in the cluster");
  list.run = [&g, &list](const Invocation&) {
    g.Setup(list);
    g.display().MemberList(Must(g.Client().MemberList(), g));
    return 0;
  };

  Command& promote = AddCommand(member, "promote <memberID>", "Promotes a non-voting member in the cluster");
  promote.run = [&g, &promote](const Invocation& inv) {
    const uint64_t id = MemberIdFromArgs(inv);
    g.Setup(promote);
    g.display().MemberPromote(id, Must(g.Client().MemberPromote(id), g));
    return 0;
  };
}

// endpointsFromCluster: the --endpoints as given, or with --cluster every member's client URLs.
std::vector<std::string> EndpointsFromCluster(Globals& g, bool cluster) {
  if (!cluster) return g.flags().endpoints;
  auto members = g.NewClient(g.Endpoints())->MemberList();
  if (!members.ok()) {
    ExitWithError(kExitError, absl::StrCat("failed to fetch endpoints from etcd cluster member "
                                           "list: ",
                                           ErrorText(members.status())));
  }
  std::vector<std::string> out;
  for (const auto& m : members->members()) {
    out.insert(out.end(), m.clienturls().begin(), m.clienturls().end());
  }
  return out;
}

void AddEndpointCommands(Command& root, Globals& g, std::shared_ptr<bool> cluster) {
  Command& endpoint = AddCommand(root, "endpoint <subcommand>", "Endpoint related commands");
  endpoint.persistent_flags().Bool("cluster", 0, cluster.get(),
                                   "use all endpoints from the cluster member list");

  Command& health = AddCommand(endpoint, "health",
                               "Checks the healthiness of endpoints specified in `--endpoints` flag");
  health.run = [&g, &health, cluster](const Invocation&) {
    g.SetupEnvAndDisplay(health);
    std::vector<std::future<EndpointHealth>> checks;
    for (const std::string& ep : EndpointsFromCluster(g, *cluster)) {
      // TLS and credentials as every command's client (read here, before the threads).
      client::ClientOptions options = g.ClientOptionsFor({ep});
      checks.push_back(std::async(std::launch::async, [ep, options] {
        EndpointHealth h{.endpoint = ep};
        auto c = client::Client::New(options);
        if (!c.ok()) {
          h.error = std::string(c.status().message());
          return h;
        }
        const absl::Time start = absl::Now();
        auto r = (*c)->Get("health");
        h.took = pkg::GoDurationString(absl::Now() - start);
        if (r.ok() || r.status().message() == "etcdserver: permission denied") {
          h.health = true;
        } else {
          h.error = ErrorText(r.status());
        }
        return h;
      }));
    }
    std::vector<EndpointHealth> list;
    bool errors = false;
    for (auto& f : checks) {
      list.push_back(f.get());
      errors |= !list.back().error.empty();
    }
    g.display().EndpointHealthList(list);
    if (errors) ExitWithError(kExitError, "unhealthy cluster");
    return 0;
  };

  Command& status = AddCommand(endpoint, "status",
                               "Prints out the status of endpoints specified in `--endpoints` flag");
  status.run = [&g, &status, cluster](const Invocation&) {
    g.Setup(status);
    std::vector<EndpointStatus> list;
    bool failed = false;
    for (const std::string& ep : EndpointsFromCluster(g, *cluster)) {
      auto r = g.Client().Status(ep);
      if (!r.ok()) {
        failed = true;
        std::fflush(stdout);
        std::cerr << "Failed to get the status of endpoint " << ep << " ("
                  << ErrorText(r.status()) << ")\n";
        continue;
      }
      list.push_back({ep, *r});
    }
    g.display().EndpointStatusList(list);
    std::fflush(stdout);
    return failed ? kExitError : kExitSuccess;
  };

  auto rev = std::make_shared<int64_t>(0);
  Command& hashkv = AddCommand(endpoint, "hashkv",
                               "Prints the KV history hash for each endpoint in --endpoints");
  hashkv.persistent_flags().Int64("rev", 0, rev.get(),
                                  "maximum revision to hash (default: all revisions)");
  hashkv.run = [&g, &hashkv, cluster, rev](const Invocation&) {
    g.Setup(hashkv);
    std::vector<EndpointHashKV> list;
    absl::Status failure;
    for (const std::string& ep : EndpointsFromCluster(g, *cluster)) {
      auto r = g.Client().HashKV(*rev, ep);
      if (!r.ok()) {
        failure = r.status();
        std::fflush(stdout);
        std::cerr << "Failed to get the hash of endpoint " << ep << " (" << ErrorText(r.status())
                  << ")\n";
        continue;
      }
      list.push_back({ep, *r});
    }
    g.display().EndpointHashKVList(list);
    if (!failure.ok()) ExitWithError(kExitError, ErrorText(failure));
    return 0;
  };
}

void AddAlarmCommands(Command& root, Globals& g) {
  Command& alarm = AddCommand(root, "alarm <subcommand>", "Alarm related commands");
  Command& disarm = AddCommand(alarm, "disarm", "Disarms all alarms");
  disarm.run = [&g, &disarm](const Invocation& inv) {
    if (!inv.args.empty()) ExitWithError(kExitBadArgs, "alarm disarm command accepts no arguments");
    g.Setup(disarm);
    // clientv3's AlarmDisarm of every alarm: list them, disarm each, and answer with the
    // alarms disarmed (and no header).
    auto listed = Must(g.Client().Alarm(etcdserverpb::AlarmRequest::GET), g);
    etcdserverpb::AlarmResponse out;
    for (const auto& a : listed.alarms()) {
      auto r = Must(g.Client().Alarm(etcdserverpb::AlarmRequest::DEACTIVATE, a.memberid(), a.alarm()), g);
      for (const auto& d : r.alarms()) *out.add_alarms() = d;
    }
    g.display().Alarm(out);
    return 0;
  };
  Command& list = AddCommand(alarm, "list", "Lists all alarms");
  list.run = [&g, &list](const Invocation& inv) {
    if (!inv.args.empty()) ExitWithError(kExitBadArgs, "alarm list command accepts no arguments");
    g.Setup(list);
    g.display().Alarm(Must(g.Client().Alarm(etcdserverpb::AlarmRequest::GET), g));
    return 0;
  };
}

void AddDefragCommand(Command& root, Globals& g, std::shared_ptr<bool> cluster) {
  auto data_dir = std::make_shared<std::string>();
  Command& defrag = AddCommand(root, "defrag",
                               "Defragments the storage of the etcd members with given endpoints");
  defrag.persistent_flags().Bool("cluster", 0, cluster.get(),
                                 "use all endpoints from the cluster member list");
  defrag.flags().String("data-dir", 0, data_dir.get(),
                        "Optional. If present, defragments a data directory not in use by etcd.");
  defrag.run = [&g, &defrag, cluster, data_dir](const Invocation&) {
    if (!data_dir->empty()) {
      std::cerr << "Failed to defragment etcd data[" << *data_dir
                << "] (offline defragmentation of a data directory is not supported by this "
                   "etcdctl: our backend is LevelDB; defragment the running member instead)\n";
      return kExitError;
    }
    g.Setup(defrag);
    int failures = 0;
    for (const std::string& ep : EndpointsFromCluster(g, *cluster)) {
      auto r = g.Client().Defragment(ep);
      if (!r.ok()) {
        std::fflush(stdout);
        std::cerr << "Failed to defragment etcd member[" << ep << "] (" << ErrorText(r.status())
                  << ")\n";
        ++failures;
      } else {
        std::printf("Finished defragmenting etcd member[%s]\n", ep.c_str());
      }
    }
    std::fflush(stdout);
    return failures != 0 ? kExitError : kExitSuccess;
  };
}

void AddMoveLeaderCommand(Command& root, Globals& g) {
  Command& move = AddCommand(root, "move-leader <transferee-member-id>",
                             "Transfers leadership to another etcd cluster member.");
  move.run = [&g, &move](const Invocation& inv) {
    if (inv.args.size() != 1) ExitWithError(kExitBadArgs, "move-leader command needs 1 argument");
    auto target = ParseGoUint64(inv.args[0], 16);
    if (!target.ok()) ExitWithError(kExitBadArgs, target.status().message());
    g.Setup(move);
    const std::vector<std::string> eps = g.Endpoints();
    std::unique_ptr<client::Client> leader;
    uint64_t leader_id = 0;
    for (const std::string& ep : eps) {
      std::unique_ptr<client::Client> c = g.NewClient({ep});
      auto status = c->Status(ep);
      if (!status.ok()) ExitWithError(kExitError, ErrorText(status.status()));
      if (status->header().member_id() == status->leader()) {
        leader = std::move(c);
        leader_id = status->leader();
        break;
      }
    }
    if (leader == nullptr) {
      ExitWithError(kExitBadArgs,
                    absl::StrCat("no leader endpoint given at [", absl::StrJoin(eps, " "), "]"));
    }
    auto r = leader->MoveLeader(*target, leader->endpoints()[0]);
    if (!r.ok()) {
      LogUnaryFailure(r.status(), leader->endpoints()[0]);
      ExitWithError(kExitError, ErrorText(r.status()));
    }
    g.display().MoveLeader(leader_id, *target, *r);
    return 0;
  };
}

}  // namespace

void AddClusterCommands(Command& root, Globals& g) {
  // endpoint's and defrag's --cluster share one variable in etcdctl.
  auto cluster = std::make_shared<bool>(false);
  AddMemberCommands(root, g);
  AddEndpointCommands(root, g, cluster);
  AddAlarmCommands(root, g);
  AddDefragCommand(root, g, cluster);
  AddMoveLeaderCommand(root, g);
}

}  // namespace etcd::etcdctl
