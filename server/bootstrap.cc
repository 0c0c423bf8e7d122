#include "server/bootstrap.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_join.h"
#include "server/member_id.h"
#include "server/url.h"

namespace etcd::server {
namespace {

// Go's %q of a []string: ["a" "b"].
std::string QuoteList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " \"" : "\"") + v[i] + "\"";
  return out + "]";
}

// "localhost" and 127.0.0.1 name the same listener (the daemon binds localhost as 127.0.0.1).
std::string Resolved(const std::string& url) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok() || parsed->host != "localhost") return url;
  parsed->host = "127.0.0.1";
  return parsed->ToString();
}

// etcd's advertiseMatchesCluster: this member's entry in --initial-cluster must list exactly
// its --initial-advertise-peer-urls.
absl::Status CheckAdvertiseMatchesCluster(const std::string& name,
                                          std::vector<std::string> cluster_urls,
                                          std::vector<std::string> advertised) {
  std::sort(cluster_urls.begin(), cluster_urls.end());
  std::sort(advertised.begin(), advertised.end());
  if (cluster_urls == advertised) return absl::OkStatus();
  std::string why;
  if (cluster_urls.size() != advertised.size()) {
    why = "len(" + QuoteList(advertised) + ") != len(" + QuoteList(cluster_urls) + ")";
  } else {
    // Pairwise in sorted order, as etcd's netutil.URLStringsEqual; etcd resolves host names
    // but leaves "localhost" and IPs as written, so the message shows them as given.
    bool equal = true;
    for (size_t i = 0; i < advertised.size() && equal; ++i) {
      if (Resolved(advertised[i]) != Resolved(cluster_urls[i])) {
        why = "resolved urls: \"" + advertised[i] + "\" != \"" + cluster_urls[i] + "\"";
        equal = false;
      }
    }
    if (equal) return absl::OkStatus();
  }
  const std::string advertised_str = absl::StrJoin(advertised, ",");
  std::vector<std::string> missing;
  for (const auto& u : cluster_urls) {
    if (std::find(advertised.begin(), advertised.end(), u) == advertised.end()) {
      missing.push_back(name + "=" + u);
    }
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError("--initial-cluster has " + absl::StrJoin(missing, ",") +
                                      " but missing from --initial-advertise-peer-urls=" +
                                      advertised_str + " (" + why + ")");
  }
  std::vector<std::string> self;
  for (const auto& u : advertised) {
    self.push_back(name + "=" + u);
    if (std::find(cluster_urls.begin(), cluster_urls.end(), u) == cluster_urls.end()) {
      missing.push_back(u);
    }
  }
  return absl::InvalidArgumentError("--initial-advertise-peer-urls has " +
                                    absl::StrJoin(missing, ",") +
                                    " but missing from --initial-cluster=" +
                                    absl::StrJoin(self, ","));
}

}  // namespace

absl::Status CheckDuplicateUrls(const std::map<std::string, std::vector<std::string>>& cluster) {
  std::set<std::string> seen;
  std::vector<std::string> items;
  bool duplicate = false;
  for (const auto& [name, urls] : cluster) {
    for (const auto& u : urls) {
      items.push_back(name + "=" + u);
      duplicate |= !seen.insert(u).second;
    }
  }
  if (!duplicate) return absl::OkStatus();
  return absl::InvalidArgumentError("initial cluster " + absl::StrJoin(items, ",") +
                                    " has duplicate url");
}

absl::StatusOr<NewCluster> NewClusterMembership(
    const std::string& name, const std::string& initial_cluster, const std::string& token,
    const std::vector<std::string>& advertise_peer_urls) {
  auto cluster = ParseInitialCluster(initial_cluster);
  if (!cluster.ok()) return cluster.status();
  auto self = cluster->find(name);
  if (self == cluster->end()) {
    return absl::InvalidArgumentError("couldn't find local name \"" + name +
                                      "\" in the initial cluster configuration");
  }
  if (absl::Status s = CheckAdvertiseMatchesCluster(name, self->second, advertise_peer_urls);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckDuplicateUrls(*cluster); !s.ok()) return s;
  NewCluster out;
  std::vector<uint64_t> ids;
  for (const auto& [member_name, urls] : *cluster) {
    const uint64_t id = ComputeMemberId(urls, token);
    ids.push_back(id);
    if (member_name == name) out.member_id = id;
    serverpb::Member m;
    m.set_id(id);
    m.set_name(member_name);
    for (const auto& u : urls) m.add_peer_urls(u);
    out.members.push_back(std::move(m));
  }
  out.cluster_id = ComputeClusterId(ids);
  out.peer_urls = self->second;
  return out;
}

}  // namespace etcd::server
