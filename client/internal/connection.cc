#include "client/internal/connection.h"

#include <glog/logging.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/client_interceptor.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace etcd::client::internal {
namespace {

// While no endpoint is connected, the channels are looked at again at least this often.
constexpr std::chrono::milliseconds kPollSlice{20};

constexpr char kAuthenticateMethod[] = "/etcdserverpb.Auth/Authenticate";

// Adds the current auth token to a call's initial metadata, as clientv3's per-RPC credentials
// do ("token": etcd's rpctypes.TokenFieldNameGRPC). Interceptors rather than gRPC call
// credentials: those are refused on plain-text channels, and etcd sends tokens on both.
class TokenInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit TokenInterceptor(std::shared_ptr<const AuthToken> token) : token_(std::move(token)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      if (std::string token = token_->Get(); !token.empty()) {
        methods->GetSendInitialMetadata()->emplace("token", std::move(token));
      }
    }
    methods->Proceed();
  }

 private:
  const std::shared_ptr<const AuthToken> token_;
};

class TokenInterceptorFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(std::shared_ptr<const AuthToken> token)
      : token_(std::move(token)) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    // Authenticate is what gets a token: a stale one must not go with it.
    if (std::string_view(info->method()) == kAuthenticateMethod) return nullptr;
    return new TokenInterceptor(token_);
  }

 private:
  const std::shared_ptr<const AuthToken> token_;
};

std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const TlsOptions& tls) {
  if (!tls.insecure_skip_verify) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls.ca_pem;
    ssl.pem_private_key = tls.key_pem;
    ssl.pem_cert_chain = tls.cert_pem;
    return grpc::SslCredentials(ssl);
  }
  // No verification at all (Go's InsecureSkipVerify): gRPC's experimental TLS credentials are
  // the only ones that can skip both the chain and the name checks.
  namespace ex = grpc::experimental;
  std::vector<ex::IdentityKeyCertPair> identity;
  if (!tls.cert_pem.empty()) identity.push_back({tls.key_pem, tls.cert_pem});
  ex::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(
      std::make_shared<ex::StaticDataCertificateProvider>(tls.ca_pem, identity));
  if (!tls.ca_pem.empty()) options.watch_root_certs();
  if (!identity.empty()) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(false);
  options.set_certificate_verifier(std::make_shared<ex::NoOpCertificateVerifier>());
  options.set_check_call_host(false);
  return ex::TlsCredentials(options);
}

}  // namespace

std::string AuthToken::Get() const {
  absl::MutexLock lock(&mu_);
  return token_;
}

void AuthToken::Set(std::string token) {
  absl::MutexLock lock(&mu_);
  token_ = std::move(token);
}

bool IsStaleTokenError(const grpc::Status& status) {
  const std::string& m = status.error_message();
  return m == "etcdserver: invalid auth token" ||
         m == "etcdserver: revision of auth store is old" ||
         m == "etcdserver: user name is empty";
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      status.error_message() == "Deadline Exceeded") {
    return absl::DeadlineExceededError("context deadline exceeded");
  }
  // absl::StatusCode and grpc::StatusCode share their numbering (both follow google.rpc.Code).
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

bool IsTransportFailure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE &&
         !absl::StartsWith(status.error_message(), "etcdserver: ");
}

bool NeverSent(const grpc::Status& status) {
  if (!IsTransportFailure(status)) return false;
  const std::string m = absl::AsciiStrToLower(status.error_message());
  // gRPC's words when the call found no connection to send on (pick_first in
  // TRANSIENT_FAILURE, or the connection attempt made for this call failed).
  return absl::StrContains(m, "failed to connect") || absl::StrContains(m, "connection refused") ||
         absl::StrContains(m, "no connection") ||
         absl::StrContains(m, "connections to all backends failing");
}

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view endpoint, bool tls_configured) {
  Endpoint parsed;
  std::string e(endpoint);
  if (absl::StartsWith(e, "unix://") || absl::StartsWith(e, "unixs://")) {
    return absl::InvalidArgumentError("unix socket endpoints are not supported: " + e);
  }
  parsed.tls = tls_configured;
  if (absl::StartsWith(e, "https://")) {
    e.erase(0, 8);
    parsed.tls = true;
  } else if (absl::StartsWith(e, "http://")) {
    e.erase(0, 7);
    parsed.tls = false;
  }
  while (!e.empty() && e.back() == '/') e.pop_back();
  if (e.empty()) return absl::InvalidArgumentError("bad endpoint \"" + std::string(endpoint) + "\"");
  parsed.address = std::move(e);
  return parsed;
}

Stubs::Stubs(std::shared_ptr<grpc::Channel> ch)
    : channel(std::move(ch)),
      kv(etcdserverpb::KV::NewStub(channel)),
      lease(etcdserverpb::Lease::NewStub(channel)),
      cluster(etcdserverpb::Cluster::NewStub(channel)),
      maintenance(etcdserverpb::Maintenance::NewStub(channel)),
      lock(v3lockpb::Lock::NewStub(channel)),
      election(v3electionpb::Election::NewStub(channel)),
      auth(etcdserverpb::Auth::NewStub(channel)) {}

Connection::Connection(ClientOptions options, std::vector<Endpoint> endpoints)
    : options_(std::move(options)) {
  insecure_credentials_ = grpc::InsecureChannelCredentials();
  for (const Endpoint& e : endpoints) {
    if (e.tls && tls_credentials_ == nullptr) {
      tls_credentials_ = TlsCredentials(options_.tls.value_or(TlsOptions()));
    }
  }
  for (const Endpoint& e : endpoints) {
    endpoints_.push_back(e.address);
    endpoint_tls_.push_back(e.tls);
    stubs_.push_back(std::make_unique<Stubs>(NewChannel(e)));
  }
}

std::shared_ptr<grpc::Channel> Connection::NewChannel(const Endpoint& endpoint) const {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(options_.max_call_send_bytes);
  args.SetMaxReceiveMessageSize(options_.max_call_recv_bytes);
  // A member that comes back is found within a second (gRPC's default backoff grows to 2
  // minutes, far too long for failover between a handful of members).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Connections of their own: two Clients in one process (a benchmark's connections) do not
  // share a TCP connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  const std::shared_ptr<grpc::ChannelCredentials> credentials =
      !endpoint.tls                 ? insecure_credentials_
      : tls_credentials_ != nullptr ? tls_credentials_
                                    : TlsCredentials(options_.tls.value_or(TlsOptions()));
  if (!has_credentials()) return grpc::CreateCustomChannel(endpoint.address, credentials, args);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<TokenInterceptorFactory>(token_));
  return grpc::experimental::CreateCustomChannelWithInterceptors(endpoint.address, credentials,
                                                                 args, std::move(factories));
}

absl::StatusOr<std::shared_ptr<Connection>> Connection::Dial(const ClientOptions& options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("no endpoints given");
  if (options.max_call_send_bytes <= 0 || options.max_call_recv_bytes <= 0) {
    return absl::InvalidArgumentError("message size limits must be positive");
  }
  if (options.max_call_send_bytes > options.max_call_recv_bytes) {
    // clientv3's check, with its words.
    return absl::InvalidArgumentError(
        absl::StrCat("gRPC message recv limit (", options.max_call_recv_bytes,
                     " bytes) must be greater than send limit (", options.max_call_send_bytes,
                     " bytes)"));
  }
  if (options.tls.has_value() && options.tls->cert_pem.empty() != options.tls->key_pem.empty()) {
    return absl::InvalidArgumentError("TLS: a client certificate needs its key, and a key its "
                                      "certificate");
  }
  std::vector<Endpoint> endpoints;
  for (const std::string& e : options.endpoints) {
    auto parsed = ParseEndpoint(e, options.tls.has_value());
    if (!parsed.ok()) return parsed.status();
    endpoints.push_back(*std::move(parsed));
  }
  std::shared_ptr<Connection> c(new Connection(options, std::move(endpoints)));
  if (options.dial_timeout.count() <= 0) {
    for (const auto& stubs : c->stubs_) stubs->channel->GetState(/*try_to_connect=*/true);
  } else {
    auto ready = c->PickReady(Clock::now() + options.dial_timeout);
    if (!ready.ok()) {
      VLOG(1) << "etcd client: no endpoint of " << absl::StrJoin(c->endpoints_, ",")
              << " connected within " << options.dial_timeout.count() << " ms";
      return ready.status();
    }
    c->preferred_ = *ready;
  }
  if (c->has_credentials()) {
    // clientv3's dial: a token before the first call, within the dial timeout.
    const Clock::time_point deadline = options.dial_timeout.count() > 0
                                           ? Clock::now() + options.dial_timeout
                                           : c->RequestDeadline();
    absl::Status s = c->Authenticate(deadline);
    // A server without auth takes calls without a token: clientv3 goes on too.
    if (!s.ok() && s.message() != "etcdserver: authentication is not enabled") return s;
  }
  return c;
}

absl::Status Connection::Authenticate(Clock::time_point deadline) {
  etcdserverpb::AuthenticateRequest request;
  request.set_name(options_.username);
  request.set_password(options_.password);
  etcdserverpb::AuthenticateResponse response;
  token_->Set("");
  absl::Status s = CallImpl(
      Retry::kRead, deadline,
      [&](Stubs& stubs, grpc::ClientContext* context) {
        return stubs.auth->Authenticate(context, request, &response);
      },
      /*may_renew_token=*/false);
  if (!s.ok()) {
    VLOG(1) << "etcd client: authentication of user " << options_.username << " failed: " << s;
    return s;
  }
  token_->Set(response.token());
  return absl::OkStatus();
}

Clock::time_point Connection::RequestDeadline() const {
  if (options_.request_timeout.count() <= 0) return kNoDeadline;
  return Clock::now() + options_.request_timeout;
}

absl::StatusOr<int> Connection::PickReady(Clock::time_point deadline,
                                          const std::function<bool()>& stop) {
  const int n = size();
  for (;;) {
    const int start = preferred_.load();
    int connecting = -1;
    for (int k = 0; k < n; ++k) {
      const int i = (start + k) % n;
      const grpc_connectivity_state state = channel(i)->GetState(/*try_to_connect=*/true);
      if (state == GRPC_CHANNEL_READY) return i;
      if (connecting < 0 && state == GRPC_CHANNEL_CONNECTING) connecting = i;
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return absl::DeadlineExceededError("context deadline exceeded");
    if (stop && stop()) return absl::CancelledError("stopped");
    // Sleep until a connection attempt ends (or a slice passes, for the other channels).
    const int watch = connecting >= 0 ? connecting : start;
    channel(watch)->WaitForStateChange(channel(watch)->GetState(false),
                                       std::min(deadline, now + kPollSlice));
  }
}

void Connection::MarkFailed(int i) {
  int expected = i;
  if (preferred_.compare_exchange_strong(expected, (i + 1) % size())) {
    VLOG(1) << "etcd client: endpoint " << endpoints_[i] << " failed; trying "
            << endpoints_[(i + 1) % size()] << " next";
  }
}

void Connection::MarkGood(int i) { preferred_.store(i); }

bool Connection::ShouldRetryWithNewToken(const grpc::Status& status) const {
  if (!IsStaleTokenError(status)) return false;
  return has_credentials() || status.error_message() == "etcdserver: revision of auth store is old";
}

absl::Status Connection::Call(Retry retry, Clock::time_point deadline, const CallFn& fn) {
  return CallImpl(retry, deadline, fn, /*may_renew_token=*/true);
}

absl::Status Connection::CallImpl(Retry retry, Clock::time_point deadline, const CallFn& fn,
                                  bool may_renew_token) {
  const int n = size();
  int transport_failures = 0, no_leader = 0;
  for (;;) {
    auto picked = PickReady(deadline);
    if (!picked.ok()) return picked.status();
    const int i = *picked;
    grpc::ClientContext context;
    if (deadline != kNoDeadline) context.set_deadline(deadline);
    const grpc::Status s = fn(*stubs_[i], &context);
    if (s.ok()) {
      MarkGood(i);
      return absl::OkStatus();
    }
    if (IsTransportFailure(s)) {
      MarkFailed(i);
      const bool may_retry = retry != Retry::kIfNotSent || NeverSent(s);
      VLOG(1) << "etcd client: call to " << endpoints_[i] << " failed: " << s.error_message()
              << (may_retry ? " (retrying on the next endpoint)" : "");
      // Each endpoint gets about two chances; one that is down stops being READY at once.
      if (may_retry && ++transport_failures <= 2 * n) continue;
      return FromGrpc(s);
    }
    if (may_renew_token && ShouldRetryWithNewToken(s)) {
      // clientv3's retry interceptor: a new token (a stale auth revision alone, without
      // credentials, only needs the call again), then the same call once more.
      may_renew_token = false;
      if (has_credentials()) {
        VLOG(1) << "etcd client: " << s.error_message() << " from " << endpoints_[i]
                << "; renewing the auth token";
        if (absl::Status renewed = Authenticate(deadline); !renewed.ok()) return renewed;
      }
      continue;
    }
    if (retry == Retry::kReadOrNoLeader && s.error_message() == "etcdserver: no leader" &&
        ++no_leader < n) {
      MarkFailed(i);
      continue;
    }
    return FromGrpc(s);
  }
}

absl::Status Connection::CallOn(std::string_view endpoint, Clock::time_point deadline,
                                const CallFn& fn) {
  auto target = ParseEndpoint(endpoint, options_.tls.has_value());
  if (!target.ok()) return target.status();
  Stubs* stubs = nullptr;
  std::unique_ptr<Stubs> other;  // an endpoint that is not one of ours: for this call only
  for (int i = 0; i < size(); ++i) {
    if (endpoints_[i] == target->address) stubs = stubs_[i].get();
  }
  if (stubs == nullptr) {
    other = std::make_unique<Stubs>(NewChannel(*target));
    stubs = other.get();
  }
  for (bool may_renew_token = true;; may_renew_token = false) {
    grpc::ClientContext context;
    if (deadline != kNoDeadline) context.set_deadline(deadline);
    // Wait for this member to connect (within the deadline) instead of failing at once: the
    // caller asked for this member and no other.
    context.set_wait_for_ready(true);
    const grpc::Status s = fn(*stubs, &context);
    if (!may_renew_token || !ShouldRetryWithNewToken(s)) return FromGrpc(s);
    if (has_credentials()) {
      if (absl::Status renewed = Authenticate(deadline); !renewed.ok()) return renewed;
    }
  }
}

}  // namespace etcd::client::internal
