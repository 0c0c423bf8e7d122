#include "server/http/http_server.h"

#include <arpa/inet.h>
#include <glog/logging.h>
#include <grpcpp/server.h>
#include <grpcpp/server_posix.h>
#include <microhttpd.h>
#include <netdb.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace etcd::http {
namespace {

MHD_Result Answer(void* cls, MHD_Connection* connection, const char* url, const char* method,
                  const char*, const char*, size_t* upload_data_size, void** state) {
  // The first call only announces the request (headers read); answer on a later one, once
  // any body was consumed.
  if (*state == nullptr) {
    *state = cls;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    *upload_data_size = 0;  // bodies are ignored
    return MHD_YES;
  }
  HttpResponse r = static_cast<const HttpServer*>(cls)->Handle(method, url);
  MHD_Response* response =
      MHD_create_response_from_buffer(r.body.size(), r.body.data(), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
  // As etcd's HTTP handlers (CORS, and the method a 405 wants).
  MHD_add_response_header(response, "Access-Control-Allow-Headers",
                          "accept, content-type, authorization");
  MHD_add_response_header(response, "Access-Control-Allow-Methods",
                          "POST, GET, OPTIONS, PUT, DELETE");
  MHD_add_response_header(response, "Access-Control-Allow-Origin", "*");
  if (r.status == 405) MHD_add_response_header(response, "Allow", "GET");
  const MHD_Result ret =
      MHD_queue_response(connection, static_cast<unsigned int>(r.status), response);
  MHD_destroy_response(response);
  return ret;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpHandler handler) {
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(handler)));
  server->daemon_ = MHD_start_daemon(
      MHD_USE_NO_LISTEN_SOCKET | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
          MHD_USE_ITC,
      0, nullptr, nullptr, &Answer, server.get(), MHD_OPTION_CONNECTION_TIMEOUT, 60u,
      MHD_OPTION_END);
  if (server->daemon_ == nullptr) return absl::InternalError("cannot start the HTTP server");
  return server;
}

HttpServer::~HttpServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

void HttpServer::AddConnection(int fd, const sockaddr* addr, socklen_t addr_len) {
  if (MHD_add_connection(daemon_, fd, addr, addr_len) != MHD_YES) {
    // libmicrohttpd closes the socket itself on failure.
    LOG(WARNING) << "HTTP server refused a connection";
  }
}

absl::StatusOr<std::unique_ptr<PortMux>> PortMux::Listen(const std::string& address,
                                                         grpc::Server* grpc_server,
                                                         HttpServer* http_server) {
  std::string host = address.substr(0, address.rfind(':'));
  const std::string port = address.substr(address.rfind(':') + 1);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* info = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &info);
      rc != 0) {
    return absl::InvalidArgumentError("listen tcp " + address + ": " + gai_strerror(rc));
  }
  std::unique_ptr<PortMux> mux(new PortMux());
  mux->grpc_ = grpc_server;
  mux->http_ = http_server;
  mux->listen_fd_ = socket(info->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(mux->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool bound = bind(mux->listen_fd_, info->ai_addr, info->ai_addrlen) == 0 &&
                     listen(mux->listen_fd_, 1024) == 0;
  const int err = errno;
  freeaddrinfo(info);
  if (!bound) {
    close(mux->listen_fd_);
    mux->listen_fd_ = -1;
    return absl::UnavailableError("listen tcp " + address + ": bind: " + std::strerror(err));
  }
  sockaddr_storage bound_addr{};
  socklen_t len = sizeof(bound_addr);
  getsockname(mux->listen_fd_, reinterpret_cast<sockaddr*>(&bound_addr), &len);
  mux->port_ = ntohs(bound_addr.ss_family == AF_INET6
                         ? reinterpret_cast<sockaddr_in6*>(&bound_addr)->sin6_port
                         : reinterpret_cast<sockaddr_in*>(&bound_addr)->sin_port);
  mux->accept_thread_ = std::thread([m = mux.get()] { m->AcceptLoop(); });
  return mux;
}

void PortMux::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Deciding needs the client's first bytes, which may be slow to come: not on this thread.
    std::thread([this, fd, addr, len] { Route(fd, addr, len); }).detach();
  }
}

void PortMux::Route(int fd, sockaddr_storage addr, socklen_t addr_len) {
  bool http2 = false;
  if (grpc_ != nullptr) {
    // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" opens every HTTP/2 (gRPC) connection; no HTTP/1
    // method starts with "PRI".
    char head[3];
    ssize_t n = 0;
    for (int waited = 0; waited < 10000; waited += 50) {
      n = recv(fd, head, sizeof(head), MSG_PEEK);
      if (n >= static_cast<ssize_t>(sizeof(head)) || n == 0 || (n < 0 && errno != EAGAIN)) break;
      pollfd p{fd, POLLIN, 0};
      poll(&p, 1, 50);
    }
    if (n <= 0) {
      close(fd);
      return;
    }
    http2 = n >= 3 && std::memcmp(head, "PRI", 3) == 0;
  }
  if (http2) {
    // As gRPC's own listener would: non-blocking (its pollers must never block on one
    // connection) and without Nagle's delay (small requests and responses).
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    grpc::AddInsecureChannelFromFd(grpc_, fd);
  } else {
    http_->AddConnection(fd, reinterpret_cast<sockaddr*>(&addr), addr_len);
  }
}

void PortMux::Stop() {
  if (stopping_.exchange(true)) return;
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

PortMux::~PortMux() { Stop(); }

}  // namespace etcd::http
