// How a Client connects: its endpoints, timeouts, message size limits, TLS and credentials.
#ifndef ETCD_CLIENT_OPTIONS_H_
#define ETCD_CLIENT_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etcd::client {

// Transport security of the client's connections (gRPC's own TLS: grpc::SslCredentials, or
// grpc::experimental::TlsCredentials when the server is not verified). All fields are PEM text,
// not file names: `TlsOptions::FromFiles` reads files the way etcdctl does.
struct TlsOptions {
  // The certificate authorities that sign the servers' certificates (etcdctl's --cacert).
  // Empty: the system's roots (gRPC's default, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH overrides).
  // Text with no certificate in it is accepted and verifies nothing: every handshake fails, as
  // with clientv3.
  std::string ca_pem;
  // This client's certificate chain and its private key, for servers that demand client
  // certificates (etcd's --client-cert-auth). Both or neither.
  std::string cert_pem;
  std::string key_pem;
  // Do not verify the server's certificate at all, neither its chain nor its name (etcdctl's
  // --insecure-skip-tls-verify). The connection is encrypted but not authenticated: for tests.
  bool insecure_skip_verify = false;

  // Reads the files named by etcdctl's --cert, --key and --cacert (each may be empty: not
  // given) and checks them as etcd 3.4's pkg/transport TLSInfo.ClientConfig does, with its
  // words (etcdctl prints them): "KeyFile and CertFile must both be present[key: K, cert: C]"
  // when only one of cert and key is given; "open F: no such file or directory" (or another
  // errno text) for a file that cannot be read; Go's crypto/tls words for a certificate or key
  // that cannot be used ("tls: failed to find any PEM data in certificate input", "tls: private
  // key does not match public key", ...); "x509: malformed certificate" or "x509: malformed tbs
  // certificate" for a PEM block of the CA file that is not a certificate. All are
  // InvalidArgument. Thread-safe (reads the files once).
  static absl::StatusOr<TlsOptions> FromFiles(const std::string& cert_file,
                                              const std::string& key_file,
                                              const std::string& ca_file);
};

struct ClientOptions {
  // Client URLs of the members: "host:port", "http://host:port" or "https://host:port". At
  // least one. Calls go to one endpoint at a time and fail over to the next (see client.h).
  // Which endpoints use TLS follows clientv3: "https://" always (with `tls`, or with the
  // system's roots when `tls` is unset), "http://" never (even when `tls` is set), no scheme
  // when `tls` is set; decided per endpoint (clientv3 applies the first endpoint's scheme to
  // all: the same unless a list mixes schemes). The server's certificate is verified against the endpoint's host (its
  // IP address or DNS name, without the port), as grpc-go does for clientv3.
  std::vector<std::string> endpoints;

  // How long Client::New waits for a first endpoint to connect, in ms (etcdctl's
  // --dial-timeout, 2 s). 0: do not wait; connections are then made by the first calls. With
  // credentials, the authentication of New happens within the same deadline.
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

  // Set: connections use TLS (see `endpoints` for which ones).
  std::optional<TlsOptions> tls;

  // etcd user and password (etcdctl's --user and --password). When both are non-empty (as
  // clientv3: otherwise no authentication at all), Client::New calls Auth.Authenticate and
  // fails with the server's error ("etcdserver: authentication failed, invalid user ID or
  // password", InvalidArgument) unless auth is not enabled on the server ("etcdserver:
  // authentication is not enabled": the client then goes on without a token). The token is
  // sent as the "token" metadata of every call and stream, and renewed once per call when the
  // server answers "etcdserver: invalid auth token" (an expired simple token, a restarted
  // member), "etcdserver: revision of auth store is old" or "etcdserver: user name is empty".
  std::string username;
  std::string password;
};

}  // namespace etcd::client

#endif  // ETCD_CLIENT_OPTIONS_H_
