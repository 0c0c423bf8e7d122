// The membership of a NEW cluster from --initial-cluster, checked as etcd 3.4 checks it
// (etcdserver/config.go VerifyBootstrap, advertiseMatchesCluster; membership.NewClusterFromURLsMap):
// what the daemon does when it bootstraps a member and what `etcdctl snapshot restore` does when
// it builds a member's data dir. Member and cluster IDs come from server/member_id.h, so every
// member started (or restored) with the same flags computes the same IDs.
//
// Thread-safety: pure functions.
#ifndef ETCD_SERVER_BOOTSTRAP_H_
#define ETCD_SERVER_BOOTSTRAP_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/serverpb/etcdserver.pb.h"

namespace etcd::server {

// A new cluster as seen by one of its members.
struct NewCluster {
  uint64_t member_id = 0;                // this member's ID
  uint64_t cluster_id = 0;               // the cluster's ID
  std::vector<serverpb::Member> members;  // every member: ID, name, peer URLs (sorted by name)
  std::vector<std::string> peer_urls;    // this member's peer URLs as in --initial-cluster
};

// Computes the cluster for member `name` from `initial_cluster` ("n1=http://a:2380,n2=..."),
// `token` (--initial-cluster-token) and `advertise_peer_urls` (this member's
// --initial-advertise-peer-urls, normalized: Url::ToString()).
// Errors (InvalidArgument, etcd's words): a bad URL in the cluster; "couldn't find local name
// \"x\" in the initial cluster configuration"; "--initial-cluster has x=u but missing from
// --initial-advertise-peer-urls=... (...)" and "--initial-advertise-peer-urls has u but missing
// from --initial-cluster=x=u" when this member's entry does not list exactly its advertised URLs
// (localhost and 127.0.0.1 count as equal); "initial cluster ... has duplicate url".
absl::StatusOr<NewCluster> NewClusterMembership(const std::string& name,
                                                const std::string& initial_cluster,
                                                const std::string& token,
                                                const std::vector<std::string>& advertise_peer_urls);

// InvalidArgument "initial cluster a=http://x,b=http://x has duplicate url" when two entries of
// a parsed --initial-cluster (ParseInitialCluster) share a URL.
absl::Status CheckDuplicateUrls(const std::map<std::string, std::vector<std::string>>& cluster);

}  // namespace etcd::server

#endif  // ETCD_SERVER_BOOTSTRAP_H_
