// Client::channel: each Client has connections of its own, so a load generator that makes N
// Clients to one member gets N TCP connections (gRPC would otherwise share one subchannel
// between channels with identical arguments).
#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "client/client.h"
#include "testing/etcd_process.h"

namespace etcd::client {
namespace {

// Socket inodes this process holds.
std::set<std::string> OwnSocketInodes() {
  std::set<std::string> inodes;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return inodes;
  while (dirent* e = readdir(dir)) {
    char target[256];
    const std::string path = std::string("/proc/self/fd/") + e->d_name;
    const ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    const std::string link(target, n);  // "socket:[12345]"
    if (link.rfind("socket:[", 0) == 0) inodes.insert(link.substr(8, link.size() - 9));
  }
  closedir(dir);
  return inodes;
}

// Established TCP connections of this process to 127.0.0.1:`port` (gRPC's sockets are
// dual-stack: they show in /proc/net/tcp6 with the IPv4-mapped address).
int ConnectionsTo(int port) {
  const std::set<std::string> own = OwnSocketInodes();
  char suffix[16];
  snprintf(suffix, sizeof(suffix), "0100007F:%04X", port);
  int count = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream tcp(table);
    std::string line;
    std::getline(tcp, line);  // header
    while (std::getline(tcp, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      const bool to_port = remote.size() >= strlen(suffix) &&
                           remote.compare(remote.size() - strlen(suffix), std::string::npos,
                                          suffix) == 0;
      if (state == "01" && to_port && own.count(inode)) ++count;
    }
  }
  return count;
}

TEST(ClientChannelTest, TwoClientsToOneEndpointUseTwoConnections) {
  auto server = testing::EtcdProcess::Start(testing::OurEtcdBinary(), "channel");
  ASSERT_TRUE(server.ok()) << server.status();
  const int before = ConnectionsTo(server->client_port());

  auto a = Client::New({.endpoints = {server->endpoint()}});
  auto b = Client::New({.endpoints = {server->endpoint()}});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_NE((*a)->channel(0), (*b)->channel(0));

  // A call straight on each channel, as a load generator makes them.
  for (Client* c : {a->get(), b->get()}) {
    auto stub = etcdserverpb::KV::NewStub(c->channel(0));
    grpc::ClientContext context;
    etcdserverpb::PutRequest request;
    request.set_key("k");
    request.set_value("v");
    etcdserverpb::PutResponse response;
    const grpc::Status s = stub->Put(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(response.header().revision(), 1);
  }
  EXPECT_EQ(ConnectionsTo(server->client_port()) - before, 2);
  // The Client's own calls use the same connection as its channel.
  ASSERT_TRUE((*a)->Get("k").ok());
  EXPECT_EQ(ConnectionsTo(server->client_port()) - before, 2);
}

}  // namespace
}  // namespace etcd::client
