// How a Client connects: its endpoints, timeouts and message size limits.
#ifndef ETCD_CLIENT_OPTIONS_H_
#define ETCD_CLIENT_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace etcd::client {

struct ClientOptions {
  // Client URLs of the members: "host:port" or "http://host:port" (TLS is not supported
  // yet). At least one. Calls go to one endpoint at a time and fail over to the next (see
  // client.h).
  std::vector<std::string> endpoints;

  // How long Client::New waits for a first endpoint to connect, in ms (etcdctl's
  // --dial-timeout, 2 s). 0: do not wait; connections are then made by the first calls.
  std::chrono::milliseconds dial_timeout{2000};

  // Deadline of each call, in ms, failover retries included (etcdctl's --command-timeout, 5 s).
  // 0: no deadline. Long-lived streams (watches, keep-alives, Observe, Snapshot) and the
  // blocking Lock/Campaign take their own timeouts instead.
  std::chrono::milliseconds request_timeout{5000};

  // Largest request and response the client sends and accepts, in bytes (clientv3's
  // MaxCallSendMsgSize 2 MiB and MaxCallRecvMsgSize unlimited). A larger request fails with
  // ResourceExhausted before it is sent.
  int max_call_send_bytes = 2 * 1024 * 1024;
  int max_call_recv_bytes = std::numeric_limits<int32_t>::max();
};

}  // namespace etcd::client

#endif  // ETCD_CLIENT_OPTIONS_H_
