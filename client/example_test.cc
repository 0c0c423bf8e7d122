// The example of client/README.md, run as a test against our daemon: put, get, an error with
// etcd's words, a compare-and-swap transaction seen by a watch, and a lease kept alive. The
// README shows the lines between the "README example" markers; a second test checks that it
// still shows them exactly.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "client/client.h"
#include "testing/etcd_process.h"

namespace {

using etcd::client::Client;
using etcd::client::Compare;
using etcd::client::LeaseKeepAlive;
using etcd::client::Op;

TEST(ClientExample, PutGetTxnWatchLease) {
  auto etcd = etcd::testing::EtcdProcess::Start(etcd::testing::OurEtcdBinary(), "example");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string endpoint = etcd->endpoint();  // "127.0.0.1:<port>"

  // README example begin
  // Connect: the client URLs of one or more members (more give failover).
  auto client = Client::New({.endpoints = {endpoint}});
  ASSERT_TRUE(client.ok()) << client.status();
  Client& c = **client;

  // Put and get; every write makes a new revision of the key space.
  auto put = c.Put("greeting", "hello");
  ASSERT_TRUE(put.ok()) << put.status();
  auto got = c.Get("greeting");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->kvs(0).value(), "hello");
  EXPECT_EQ(got->kvs(0).mod_revision(), put->header().revision());

  // Errors carry etcd's code and words.
  auto refused = c.Put("nobody", "", {.ignore_value = true});
  EXPECT_EQ(refused.status().message(), "etcdserver: key not found");

  // Watch the key, then compare-and-swap it in a transaction.
  auto watch = c.Watch("greeting", {.prev_kv = true});
  ASSERT_TRUE(watch.ok()) << watch.status();
  auto txn = c.Txn()
                 .If({Compare::Value("greeting", Compare::kEqual, "hello")})
                 .Then({Op::Put("greeting", "bonjour")})
                 .Else({Op::Get("greeting")})
                 .Commit();
  ASSERT_TRUE(txn.ok()) << txn.status();
  EXPECT_TRUE(txn->succeeded());
  auto change = (*watch)->Next(std::chrono::seconds(5));
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(change->events(0).kv().value(), "bonjour");
  EXPECT_EQ(change->events(0).prev_kv().value(), "hello");

  // A key that lives as long as a lease, kept alive in the background.
  auto lease = c.Grant(/*ttl_seconds=*/5);
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE(c.Put("session", "alive", {.lease = lease->id()}).ok());
  std::unique_ptr<LeaseKeepAlive> keep_alive = c.KeepAlive(lease->id());
  auto renewed = keep_alive->Next(std::chrono::seconds(5));
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->ttl(), 5);
  keep_alive.reset();  // no more renewals: the lease would expire in 5 s...
  ASSERT_TRUE(c.Revoke(lease->id()).ok());  // ...or ends now, with its keys
  EXPECT_EQ(c.Get("session")->kvs_size(), 0);
  // README example end
}

std::string ReadRunfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  std::ifstream in(std::string(srcdir ? srcdir : ".") + "/" + (workspace ? workspace : "etcd_cpp") +
                   "/" + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ClientExample, TheReadmeShowsThisExample) {
  const std::string source = ReadRunfile("client/example_test.cc");
  const std::string begin = "  // README example begin\n", end = "  // README example end\n";
  const size_t from = source.find(begin), to = source.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  // The README shows the lines one level less indented.
  std::stringstream lines(source.substr(from + begin.size(), to - from - begin.size()));
  std::string example, line;
  while (std::getline(lines, line)) example += (line.rfind("  ", 0) == 0 ? line.substr(2) : line) + "\n";
  const std::string readme = ReadRunfile("client/README.md");
  ASSERT_FALSE(readme.empty());
  EXPECT_NE(readme.find(example), std::string::npos)
      << "client/README.md must show the example of example_test.cc exactly:\n" << example;
}

}  // namespace
