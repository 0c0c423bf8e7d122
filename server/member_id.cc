#include "server/member_id.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/url.h"

namespace etcd::server {
namespace {

uint64_t FirstEightBytesOfSha1(const std::string& data) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  uint64_t id = 0;
  for (int i = 0; i < 8; ++i) id = (id << 8) | digest[i];
  return id;
}

}  // namespace

uint64_t ComputeMemberId(std::vector<std::string> peer_urls, std::string_view cluster_token) {
  std::sort(peer_urls.begin(), peer_urls.end());
  std::string data;
  for (const std::string& url : peer_urls) data += url;
  data.append(cluster_token.data(), cluster_token.size());
  return FirstEightBytesOfSha1(data);
}

uint64_t ComputeClusterId(std::vector<uint64_t> member_ids) {
  std::sort(member_ids.begin(), member_ids.end());
  std::string data;
  data.reserve(8 * member_ids.size());
  for (uint64_t id : member_ids) {
    for (int shift = 56; shift >= 0; shift -= 8) data.push_back(static_cast<char>(id >> shift));
  }
  return FirstEightBytesOfSha1(data);
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>> ParseInitialCluster(
    std::string_view initial_cluster_text) {
  const absl::string_view initial_cluster(initial_cluster_text.data(), initial_cluster_text.size());
  // Group the raw URLs by name first, then validate each member's list as one, like etcd's
  // types.NewURLsMap (so a member's URLs come back sorted).
  std::map<std::string, std::vector<absl::string_view>> raw;
  for (absl::string_view item : absl::StrSplit(initial_cluster, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> name_url =
        absl::StrSplit(item, absl::MaxSplits('=', 1));
    raw[std::string(name_url.first)].push_back(name_url.second);
  }
  std::map<std::string, std::vector<std::string>> members;
  for (const auto& [name, texts] : raw) {
    std::vector<std::string> urls;
    for (absl::string_view text : texts) {
      absl::StatusOr<Url> url = ParseUrl(std::string_view(text.data(), text.size()));
      if (!url.ok()) return url.status();
      urls.push_back(url->ToString());
    }
    std::sort(urls.begin(), urls.end());
    members[name] = std::move(urls);
  }
  return members;
}

std::string MemberIdToString(uint64_t id) { return absl::StrCat(absl::Hex(id)); }

}  // namespace etcd::server
