#include "server/member_id.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/url.h"

namespace etcd::server {
namespace {

// Observed with the real etcd 3.4.23 on this machine (`etcdctl member list -w json` and the
// "starting member X in cluster Y" / "added member" log lines).
struct ClusterCase {
  std::string description;
  std::string initial_cluster;
  std::string token;
  std::vector<std::pair<std::string, uint64_t>> member_ids;  // name -> ID
  uint64_t cluster_id;
};

const ClusterCase kObserved[] = {
    {"etcd defaults", "default=http://localhost:2380", "etcd-cluster",
     {{"default", 0x8e9e05c52164694d}}, 0xcdf818194e3a8c32},
    // etcd --name n1 --initial-advertise-peer-urls http://127.0.0.1:23801,http://127.0.0.2:23801
    //      --initial-cluster-token tok-b  (initial cluster derived from the name)
    {"one member, two peer URLs",
     "n1=http://127.0.0.2:23801,n1=http://127.0.0.1:23801", "tok-b",
     {{"n1", 0x81d25ebed9b1eea1}}, 0x8155644286d8f4d3},
    {"three members",
     "m1=http://127.0.0.1:23801,m2=http://127.0.0.1:23802,m3=http://127.0.0.1:23803", "tok-c",
     {{"m1", 0x72509d97046f3175}, {"m2", 0x709e0cfb8ad5553e}, {"m3", 0x9ca36bd88d771a3c}},
     0x9c9b8972f10e6876},
};

TEST(MemberIdTest, MatchesRealEtcd) {
  for (const ClusterCase& c : kObserved) {
    SCOPED_TRACE(c.description);
    auto members = ParseInitialCluster(c.initial_cluster);
    ASSERT_TRUE(members.ok()) << members.status();
    ASSERT_EQ(members->size(), c.member_ids.size());
    std::vector<uint64_t> ids;
    for (const auto& [name, want] : c.member_ids) {
      ASSERT_TRUE(members->count(name)) << name;
      const uint64_t id = ComputeMemberId(members->at(name), c.token);
      EXPECT_EQ(MemberIdToString(id), MemberIdToString(want)) << name;
      ids.push_back(id);
    }
    EXPECT_EQ(MemberIdToString(ComputeClusterId(ids)), MemberIdToString(c.cluster_id));
  }
}

TEST(MemberIdTest, OrderOfUrlsAndIdsDoesNotMatter) {
  EXPECT_EQ(ComputeMemberId({"http://127.0.0.2:23801", "http://127.0.0.1:23801"}, "tok-b"),
            0x81d25ebed9b1eea1u);
  EXPECT_EQ(ComputeClusterId({0x9ca36bd88d771a3c, 0x709e0cfb8ad5553e, 0x72509d97046f3175}),
            0x9c9b8972f10e6876u);
}

TEST(MemberIdTest, TokenChangesTheId) {
  EXPECT_NE(ComputeMemberId({"http://localhost:2380"}, "etcd-cluster"),
            ComputeMemberId({"http://localhost:2380"}, "other"));
}

TEST(MemberIdTest, IdToString) {
  EXPECT_EQ(MemberIdToString(0x8e9e05c52164694d), "8e9e05c52164694d");
  EXPECT_EQ(MemberIdToString(0x48276a8f75b6a87), "48276a8f75b6a87");  // no leading zero
}

TEST(ParseInitialClusterTest, GroupsAndSortsUrlsByName) {
  auto members = ParseInitialCluster(
      "a=http://10.0.0.2:2380,b=http://10.0.0.3:2380,,a=http://10.0.0.1:2380");
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ(members->at("a"),
            (std::vector<std::string>{"http://10.0.0.1:2380", "http://10.0.0.2:2380"}));
  EXPECT_EQ(members->at("b"), std::vector<std::string>{"http://10.0.0.3:2380"});
}

TEST(ParseInitialClusterTest, EmptyIsEmpty) {
  auto members = ParseInitialCluster("");
  ASSERT_TRUE(members.ok());
  EXPECT_TRUE(members->empty());
}

TEST(ParseInitialClusterTest, EtcdErrors) {
  // Texts etcd prints after "error setting up initial cluster: ".
  const std::pair<std::string, std::string> cases[] = {
      {"foo", "URL scheme must be http, https, unix, or unixs: "},
      {"a=ftp://x:1", "URL scheme must be http, https, unix, or unixs: ftp://x:1"},
      {"a=http://x", "URL address does not have the form \"host:port\": http://x"},
      {"a=http://x:1/p", "URL must not contain a path: http://x:1/p"},
  };
  for (const auto& [input, message] : cases) {
    auto members = ParseInitialCluster(input);
    ASSERT_FALSE(members.ok()) << input;
    EXPECT_EQ(members.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(members.status().message(), message) << input;
  }
}

TEST(UrlTest, ParsesAndPrints) {
  auto url = ParseUrl(" HTTP://127.0.0.1:2379 ");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(*url, (Url{"http", "127.0.0.1", 2379}));
  EXPECT_EQ(url->ToString(), "http://127.0.0.1:2379");

  auto v6 = ParseUrl("http://[::1]:2380");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->ToString(), "http://[::1]:2380");
}

TEST(UrlTest, ListIsSortedAndKeepsDuplicates) {
  auto urls = ParseUrlList("http://b:2,http://a:1,http://b:2");
  ASSERT_TRUE(urls.ok()) << urls.status();
  EXPECT_EQ(JoinUrls(*urls), "http://a:1,http://b:2,http://b:2");
}

TEST(UrlTest, EtcdErrors) {
  // Observed with etcd 3.4.23 (after "invalid value ... for flag -listen-peer-urls: ").
  const std::pair<std::string, std::string> cases[] = {
      {"ftp://x:1", "URL scheme must be http, https, unix, or unixs: ftp://x:1"},
      {"localhost:2380", "URL scheme must be http, https, unix, or unixs: localhost:2380"},
      {"http://localhost", "URL address does not have the form \"host:port\": http://localhost"},
      {"http://x:1/path", "URL must not contain a path: http://x:1/path"},
      {"http://a b:1", "parse \"http://a b:1\": invalid character \" \" in host name"},
      {"http://[::1:1", "parse \"http://[::1:1\": missing ']' in host"},
      {"http://x:abc", "parse \"http://x:abc\": invalid port \":abc\" after host"},
      {"://x:1", "parse \"://x:1\": missing protocol scheme"},
  };
  for (const auto& [input, message] : cases) {
    auto url = ParseUrl(input);
    ASSERT_FALSE(url.ok()) << input;
    EXPECT_EQ(url.status().message(), message) << input;
  }
}

}  // namespace
}  // namespace etcd::server
