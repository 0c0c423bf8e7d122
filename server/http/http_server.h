// HTTP/1.1 on the client port, beside gRPC, as etcd serves it (cmux): /health, /version and
// /metrics for probes and Prometheus. `PortMux` owns a listening socket and looks at the first
// bytes of every connection: the HTTP/2 preface ("PRI * HTTP/2.0") goes to the gRPC server,
// anything else to the HTTP server (libmicrohttpd, one thread per connection, so a slow
// /health check does not hold up /metrics).
//
// Thread-safety: all methods are thread-safe. The handler runs on HTTP connection threads.
#ifndef ETCD_SERVER_HTTP_HTTP_SERVER_H_
#define ETCD_SERVER_HTTP_HTTP_SERVER_H_

#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

struct MHD_Daemon;

namespace grpc {
class Server;
}

namespace etcd::http {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Answers one request; `method` is "GET", "POST", ...; `path` has no query string.
using HttpHandler = std::function<HttpResponse(const std::string& method, const std::string& path)>;

// An HTTP/1.1 server without a listening socket of its own: connections are handed to it.
class HttpServer {
 public:
  // Errors: Internal if libmicrohttpd cannot start.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves the accepted connection `fd` (taken over: closed by the server).
  void AddConnection(int fd, const sockaddr* addr, socklen_t addr_len);

  // Runs the handler (called by the HTTP library for each request).
  HttpResponse Handle(const std::string& method, const std::string& path) const {
    return handler_(method, path);
  }

 private:
  explicit HttpServer(HttpHandler handler) : handler_(std::move(handler)) {}
  HttpHandler handler_;
  MHD_Daemon* daemon_ = nullptr;
};

// One listening address shared by gRPC (HTTP/2) and HTTP/1.1.
class PortMux {
 public:
  // Listens on `address` ("host:port", IPv6 in brackets). `grpc_server` may be null (a
  // metrics-only listener: every connection is HTTP). Both servers must outlive the mux.
  // Errors: Unavailable with etcd's wording, "listen tcp <address>: bind: <reason>".
  static absl::StatusOr<std::unique_ptr<PortMux>> Listen(const std::string& address,
                                                         grpc::Server* grpc_server,
                                                         HttpServer* http_server);
  // Stops accepting (connections already handed over go on). Idempotent.
  void Stop();
  ~PortMux();
  int port() const { return port_; }

 private:
  PortMux() = default;
  void AcceptLoop();
  void Route(int fd, sockaddr_storage addr, socklen_t addr_len);

  int listen_fd_ = -1;
  int port_ = 0;
  grpc::Server* grpc_ = nullptr;
  HttpServer* http_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
};

}  // namespace etcd::http

#endif  // ETCD_SERVER_HTTP_HTTP_SERVER_H_
