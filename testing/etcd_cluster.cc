#include "testing/etcd_cluster.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace etcd::testing {

absl::StatusOr<EtcdCluster> EtcdCluster::Start(const Options& options, const std::string& name) {
  EtcdCluster c;
  const std::string dir = NewTempDir(name);
  std::vector<int> client_ports;
  std::vector<std::string> items;
  for (int i = 0; i < options.size; ++i) {
    client_ports.push_back(options.client_ports.empty() ? FreePort() : options.client_ports[i]);
    c.peer_ports_.push_back(options.peer_ports.empty() ? FreePort() : options.peer_ports[i]);
    items.push_back("m" + std::to_string(i) + "=" + c.peer_url(i));
  }
  c.initial_cluster_ = absl::StrJoin(items, ",");
  for (int i = 0; i < options.size; ++i) {
    const std::string member = "m" + std::to_string(i);
    const std::string client = "http://127.0.0.1:" + std::to_string(client_ports[i]);
    const std::string data_dir =
        options.data_dirs.empty() ? dir + "/" + member + ".etcd" : options.data_dirs[i];
    std::vector<std::string> args;
    if (options.config_files) {
      const std::string path = dir + "/" + member + ".yaml";
      std::ofstream yaml(path);
      yaml << "name: " << member << "\n"
           << "data-dir: " << data_dir << "\n"
           << "listen-client-urls: " << client << "\n"
           << "advertise-client-urls: " << client << "\n"
           << "listen-peer-urls: " << c.peer_url(i) << "\n"
           << "initial-advertise-peer-urls: " << c.peer_url(i) << "\n"
           << "initial-cluster: " << c.initial_cluster_ << "\n"
           << "initial-cluster-token: " << options.token << "\n"
           << "initial-cluster-state: new\n";
      if (!yaml) return absl::InternalError("cannot write " + path);
      args = {"--config-file", path};
    } else {
      args = {"--name", member,
              "--data-dir", data_dir,
              "--listen-client-urls", client,
              "--advertise-client-urls", client,
              "--listen-peer-urls", c.peer_url(i),
              "--initial-advertise-peer-urls", c.peer_url(i),
              "--initial-cluster", c.initial_cluster_,
              "--initial-cluster-token", options.token,
              "--initial-cluster-state", "new"};
    }
    args.insert(args.end(), options.extra_flags.begin(), options.extra_flags.end());
    auto p = EtcdProcess::StartRaw(options.binary, name + "-" + member, args, {}, client_ports[i],
                                   /*wait_healthy=*/false);
    if (!p.ok()) return p.status();
    c.members_.push_back(std::move(*p));
  }
  for (EtcdProcess& m : c.members_) {
    if (absl::Status s = m.WaitHealthy(); !s.ok()) return s;
  }
  return c;
}

std::string EtcdCluster::peer_url(int i) const {
  return "http://127.0.0.1:" + std::to_string(peer_ports_[i]);
}

std::string EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (const EtcdProcess& m : members_) out.push_back(m.endpoint());
  return absl::StrJoin(out, ",");
}

absl::StatusOr<CommandResult> EtcdCluster::Etcdctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {kRealEtcdctl, "--endpoints", endpoints()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {{"ETCDCTL_API", "3"}});
}

absl::StatusOr<EtcdCluster::MemberStatus> EtcdCluster::Status(int i) const {
  auto r = members_[i].Etcdctl({"endpoint", "status", "-w", "fields", "--command-timeout=1s"});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return absl::UnavailableError(r->err);
  MemberStatus st;
  // Lines like `"MemberID" : 10276657743932975437`.
  for (absl::string_view line : absl::StrSplit(r->out, '\n')) {
    std::vector<std::string> kv = absl::StrSplit(line, " : ");
    if (kv.size() != 2) continue;
    const std::string key(absl::StripPrefix(absl::StripSuffix(kv[0], "\""), "\""));
    uint64_t v = 0;
    if (!absl::SimpleAtoi(kv[1], &v)) continue;
    if (key == "MemberID") st.id = v;
    if (key == "Leader") st.leader = v;
    if (key == "RaftTerm") st.raft_term = v;
    if (key == "RaftIndex") st.raft_index = v;
  }
  if (st.id == 0) return absl::InternalError("unexpected endpoint status output: " + r->out);
  return st;
}

absl::StatusOr<int> EtcdCluster::WaitForLeader(std::chrono::milliseconds timeout,
                                               std::vector<int> among) const {
  if (among.empty()) {
    for (int i = 0; i < size(); ++i) among.push_back(i);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (int i : among) {
      auto st = Status(i);
      if (st.ok() && st->leader == st->id) return i;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError("no leader among the members asked");
}

}  // namespace etcd::testing
