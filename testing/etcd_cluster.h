// A multi-member etcd cluster, ours (//cmd/etcd) or the real etcd 3.4, each member a process on
// its own free loopback ports, bootstrapped statically with --initial-cluster (or with one YAML
// config file per member), and the real etcdctl 3.4 to drive it.
#ifndef ETCD_TESTING_ETCD_CLUSTER_H_
#define ETCD_TESTING_ETCD_CLUSTER_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "testing/etcd_process.h"

namespace etcd::testing {

class EtcdCluster {
 public:
  struct Options {
    std::string binary;  // OurEtcdBinary() or kRealEtcd
    int size = 3;
    std::string token = "etcd-cluster";
    // Give each member its settings in a YAML file (--config-file) instead of flags.
    bool config_files = false;
    // More flags for every member (after the bootstrap flags).
    std::vector<std::string> extra_flags;
    // Ports to use (one per member); empty: free ports chosen at start.
    std::vector<int> client_ports;
    std::vector<int> peer_ports;
    // Data dirs to start the members on (one per member, e.g. made by `etcdctl snapshot
    // restore`); empty: fresh ones.
    std::vector<std::string> data_dirs;
  };

  // Starts `options.size` members named m0, m1, ... under a fresh directory named `name`, all
  // at once, and waits until each serves (at most 30 s each).
  static absl::StatusOr<EtcdCluster> Start(const Options& options, const std::string& name);

  int size() const { return static_cast<int>(members_.size()); }
  EtcdProcess& member(int i) { return members_[i]; }
  const EtcdProcess& member(int i) const { return members_[i]; }
  // Every member's client endpoint, comma separated (etcdctl --endpoints).
  std::string endpoints() const;
  // The --initial-cluster string the members were started with.
  const std::string& initial_cluster() const { return initial_cluster_; }
  std::string peer_url(int i) const;
  int peer_port(int i) const { return peer_ports_[i]; }

  // The real etcdctl against every member's endpoint.
  absl::StatusOr<CommandResult> Etcdctl(const std::vector<std::string>& args) const;

  // Member i's view from `etcdctl endpoint status` (-w fields): its ID and its leader's ID.
  struct MemberStatus {
    uint64_t id = 0;
    uint64_t leader = 0;
    uint64_t raft_term = 0;
    uint64_t raft_index = 0;
  };
  absl::StatusOr<MemberStatus> Status(int i) const;

  // Polls the members in `among` (all when empty) until one of them reports itself leader
  // and returns its index. Errors: DeadlineExceeded after `timeout`.
  absl::StatusOr<int> WaitForLeader(std::chrono::milliseconds timeout,
                                    std::vector<int> among = {}) const;

 private:
  EtcdCluster() = default;
  std::vector<EtcdProcess> members_;
  std::vector<int> peer_ports_;
  std::string initial_cluster_;
};

}  // namespace etcd::testing

#endif  // ETCD_TESTING_ETCD_CLUSTER_H_
