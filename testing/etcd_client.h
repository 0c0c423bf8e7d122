// A client (//client) connected to members started by the test harness, for tests that drive
// the gRPC API directly.
#ifndef ETCD_TESTING_ETCD_CLIENT_H_
#define ETCD_TESTING_ETCD_CLIENT_H_

#include <memory>
#include <string>

#include "client/client.h"

namespace etcd::testing {

// Connects to `endpoints` ("127.0.0.1:2379,127.0.0.1:22379", as EtcdCluster::endpoints() and
// EtcdProcess::endpoint() give them) with the client's default timeouts. On failure it records a
// test failure (gtest) and returns null.
std::unique_ptr<client::Client> ConnectClient(const std::string& endpoints);

}  // namespace etcd::testing

#endif  // ETCD_TESTING_ETCD_CLIENT_H_
