// Member and cluster IDs, and the --initial-cluster string, exactly as etcd 3.4 computes and
// parses them (etcdserver/api/membership/member.go, cluster.go; pkg/types/urlsmap.go).
//
// IDs are part of the wire and on-disk contract: a member's ID is derived from its peer URLs
// and the cluster token, so two members started with the same flags agree on every ID without
// talking to each other, and our IDs equal the real etcd's (etcdctl prints them as hex).
//
// Thread-safety: pure functions.
#ifndef ETCD_SERVER_MEMBER_ID_H_
#define ETCD_SERVER_MEMBER_ID_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace etcd::server {

// SHA-1 over the peer URLs sorted and concatenated, then `cluster_token`; the first 8 bytes
// of the digest read big-endian. URLs are hashed as given, so pass the normalized form
// (Url::ToString(), which ParseInitialCluster returns). etcd 3.4 with the defaults
// (["http://localhost:2380"], "etcd-cluster") gives 0x8e9e05c52164694d.
uint64_t ComputeMemberId(std::vector<std::string> peer_urls, std::string_view cluster_token);

// SHA-1 over the member IDs sorted ascending, each as 8 big-endian bytes; the first 8 bytes
// of the digest read big-endian. For {0x8e9e05c52164694d} it is 0xcdf818194e3a8c32.
uint64_t ComputeClusterId(std::vector<uint64_t> member_ids);

// Parses "name1=url1,name2=url2,..." into name -> peer URLs (normalized, sorted). A name may
// appear several times to give a member several URLs. Empty items are skipped and an empty
// string gives an empty map (etcd then fails later, when it looks for the local member).
// An item without "=" is a name with an empty URL, which fails the URL check, as in etcd.
// Errors: InvalidArgument with etcd's URL error text, e.g.
// "URL scheme must be http, https, unix, or unixs: ftp://x:1" (etcd prefixes it with
// "error setting up initial cluster: " when it reports it).
absl::StatusOr<std::map<std::string, std::vector<std::string>>> ParseInitialCluster(
    std::string_view initial_cluster);

// Lower-case hex without leading zeros, as etcd prints IDs (types.ID.String()).
std::string MemberIdToString(uint64_t id);

}  // namespace etcd::server

#endif  // ETCD_SERVER_MEMBER_ID_H_
