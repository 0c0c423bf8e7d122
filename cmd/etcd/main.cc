// etcd: the daemon. Parses etcd's flags, ETCD_* variables or --config-file, opens (or creates)
// the member's data directory, and serves the etcd v3 gRPC API on --listen-client-urls until
// SIGINT or SIGTERM.
#include <glog/logging.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <algorithm>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "api/v3rpc/services.h"
#include "server/bootstrap.h"
#include "server/concurrency.h"
#include "server/config.h"
#include "server/etcd_server.h"
#include "server/member_id.h"
#include "server/http/grpc_metrics.h"
#include "server/http/http_server.h"
#include "server/transport/grpc_transport.h"

extern char** environ;

namespace etcd {
namespace {

// gRPC framing may add this much around a request of --max-request-bytes (etcd's allowance).
constexpr int kGrpcOverheadBytes = 512 * 1024;

std::map<std::string, std::string> EtcdEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    if (kv.rfind("ETCD", 0) != 0) continue;
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

void SetLogLevel(const std::string& level) {
  if (level == "debug") {
    FLAGS_minloglevel = 0;
    FLAGS_v = 1;
  } else if (level == "warn") {
    FLAGS_minloglevel = 1;
  } else if (level == "error" || level == "dpanic" || level == "panic" || level == "fatal") {
    FLAGS_minloglevel = 2;
  } else {
    FLAGS_minloglevel = 0;
  }
}

std::vector<std::string> UrlStrings(const std::vector<server::Url>& urls) {
  std::vector<std::string> out;
  for (const auto& u : urls) out.push_back(u.ToString());
  return out;
}

// Joining an existing cluster (after `etcdctl member add`), as etcd's VerifyJoinExisting and
// ValidateClusterAndAssignIDs: ask the other members for the cluster, match its members with
// --initial-cluster by peer URLs, and take the IDs from the cluster.
absl::Status JoinMembers(const server::ServerConfig& config,
                         const std::map<std::string, std::vector<std::string>>& cluster,
                         server::EtcdServer::Options* options) {
  if (absl::Status s = server::CheckDuplicateUrls(cluster); !s.ok()) return s;
  std::vector<std::string> remote_urls;
  for (const auto& [name, urls] : cluster) {
    if (name != config.name) remote_urls.insert(remote_urls.end(), urls.begin(), urls.end());
  }
  auto existing = transport::FetchMembers(remote_urls, std::chrono::seconds(2));
  if (!existing.ok()) {
    return absl::UnavailableError("cannot fetch cluster info from peer urls: " +
                                  std::string(existing.status().message()));
  }
  if (existing->members_size() != static_cast<int>(cluster.size())) {
    return absl::InvalidArgumentError("error validating peerURLs: member count is unequal");
  }
  const std::vector<std::string>& own_urls = cluster.at(config.name);
  for (const serverpb::Member& m : existing->members()) {
    std::vector<std::string> urls(m.peer_urls().begin(), m.peer_urls().end());
    std::sort(urls.begin(), urls.end());
    const bool known = std::any_of(cluster.begin(), cluster.end(),
                                   [&](const auto& item) { return item.second == urls; });
    if (!known) {
      return absl::InvalidArgumentError(
          "error validating peerURLs: PeerURLs: no match found for existing member (" +
          server::MemberIdToString(m.id()) + ", [" + absl::StrJoin(urls, " ") + "])");
    }
    if (urls == own_urls) options->member_id = m.id();
    options->initial_members.push_back(m);
  }
  options->cluster_id = existing->cluster_id();
  options->join_existing = true;
  options->peer_urls = own_urls;
  return absl::OkStatus();
}

// The member and cluster IDs of a new member and the members of its new cluster, from
// --initial-cluster and the token, checked as etcd checks them (server/bootstrap.h); or, with
// --initial-cluster-state existing, from the cluster it joins.
absl::Status BootstrapMembers(const server::ServerConfig& config,
                              server::EtcdServer::Options* options) {
  if (config.initial_cluster_state == server::ClusterState::kExisting) {
    auto cluster = server::ParseInitialCluster(config.initial_cluster);
    if (!cluster.ok()) return cluster.status();
    if (cluster->find(config.name) == cluster->end()) {
      return absl::InvalidArgumentError("couldn't find local name \"" + config.name +
                                        "\" in the initial cluster configuration");
    }
    return JoinMembers(config, *cluster, options);
  }
  auto cluster = server::NewClusterMembership(config.name, config.initial_cluster,
                                              config.initial_cluster_token,
                                              UrlStrings(config.initial_advertise_peer_urls));
  if (!cluster.ok()) return cluster.status();
  options->member_id = cluster->member_id;
  options->cluster_id = cluster->cluster_id;
  options->initial_members = std::move(cluster->members);
  options->peer_urls = std::move(cluster->peer_urls);
  return absl::OkStatus();
}

// Where to bind a listen URL: "localhost" is the loopback address by definition (RFC 6761);
// binding it directly does not depend on the machine having an /etc/hosts entry for it.
std::string BindAddress(const server::Url& u) {
  const std::string host =
      u.host.empty() ? "0.0.0.0" : (u.host == "localhost" ? "127.0.0.1" : u.host);
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(u.port);
}

// etcd's HTTP endpoints on the client port (etcdserver/api/etcdhttp).
http::HttpResponse ServeHttp(server::EtcdServer& etcd, const std::string& method,
                             const std::string& path) {
  if (path == "/health") {
    if (method != "GET") return {405, "text/plain; charset=utf-8", "Method Not Allowed\n"};
    if (etcd.CheckHealth(std::chrono::seconds(1))) {
      return {200, "text/plain; charset=utf-8", R"({"health":"true"})"};
    }
    return {503, "text/plain; charset=utf-8", "{\"health\":\"false\"}\n"};
  }
  if (path == "/version") {
    return {200, "application/json",
            std::string(R"({"etcdserver":")") + server::kServerVersion +
                R"(","etcdcluster":"3.4.0"})"};
  }
  if (path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8", etcd.metrics().Render()};
  }
  return {404, "text/plain; charset=utf-8", "404 page not found\n"};
}

int Run(const server::ServerConfig& config) {
  SetLogLevel(config.log_level);
  LOG(INFO) << "etcd Version: " << server::kServerVersion;
  LOG(INFO) << "name = " << config.name;
  const std::string data_dir = config.data_dir.empty() ? config.name + ".etcd" : config.data_dir;
  LOG(INFO) << "data dir = " << data_dir;
  LOG(INFO) << "heartbeat = " << config.heartbeat_interval_ms
            << "ms, election = " << config.election_timeout_ms << "ms";
  LOG(INFO) << "listening for peers on " << server::JoinUrls(config.listen_peer_urls);
  LOG(INFO) << "listening for client requests on " << server::JoinUrls(config.listen_client_urls);
  LOG(INFO) << "advertise client URLs = " << server::JoinUrls(config.advertise_client_urls);
  LOG(INFO) << "initial advertise peer URLs = "
            << server::JoinUrls(config.initial_advertise_peer_urls);

  server::EtcdServer::Options options;
  options.name = config.name;
  options.data_dir = data_dir;
  options.client_urls = UrlStrings(config.advertise_client_urls);
  options.peer_urls = UrlStrings(config.initial_advertise_peer_urls);
  options.heartbeat_interval_ms = static_cast<int>(config.heartbeat_interval_ms);
  options.election_timeout_ms = static_cast<int>(config.election_timeout_ms);
  options.pre_vote = config.pre_vote;
  options.max_request_bytes = static_cast<int64_t>(config.max_request_bytes);
  options.max_txn_ops = static_cast<int>(config.max_txn_ops);
  options.strict_reconfig_check = config.strict_reconfig_check;
  options.snapshot_count = config.snapshot_count;
  options.snapshot_catchup_entries = config.experimental_snapshot_catchup_entries;
  options.max_snapshots = config.max_snapshots;
  options.max_wals = config.max_wals;
  auto auto_compaction = server::ParseCompactorConfig(config.auto_compaction_mode,
                                                      config.auto_compaction_retention);
  if (!auto_compaction.ok()) {
    LOG(ERROR) << "etcdmain: " << auto_compaction.status().message();
    return 1;
  }
  options.auto_compaction = *auto_compaction;
  // etcd: 0 means the default quota (2 GiB); a negative value, no quota.
  if (config.quota_backend_bytes != 0) options.quota_backend_bytes = config.quota_backend_bytes;
  options.corrupt_check_interval = std::chrono::milliseconds(
      absl::ToInt64Milliseconds(config.experimental_corrupt_check_time));
  // A removed member stops as if told to (the main thread waits for the signal).
  options.on_removed = [] { kill(getpid(), SIGTERM); };
  if (config.experimental_watch_progress_notify_interval > absl::ZeroDuration()) {
    options.watch_progress_notify_interval_ms =
        absl::ToInt64Milliseconds(config.experimental_watch_progress_notify_interval);
  }
  // As etcd: once the member has a WAL, its IDs come from there and the --initial-cluster*
  // settings are ignored.
  std::error_code ec;
  const bool initialized = !std::filesystem::is_empty(data_dir + "/member/wal", ec) && !ec;
  if (initialized) {
    LOG(INFO) << "the member has already been initialized; ignoring --initial-cluster";
  } else if (absl::Status s = BootstrapMembers(config, &options); !s.ok()) {
    LOG(ERROR) << "etcdmain: " << s.message();  // etcd's words, as it logs them
    return 1;
  }

  // Block the stop signals in every thread; the main thread waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  transport::GrpcTransport* peer_transport = nullptr;
  options.new_transport = [&peer_transport](uint64_t member, uint64_t cluster,
                                            transport::PeerHandler* handler) {
    auto t = std::make_unique<transport::GrpcTransport>(member, cluster, handler);
    peer_transport = t.get();
    return std::unique_ptr<transport::RaftTransport>(std::move(t));
  };
  auto started = server::EtcdServer::Start(options);
  if (!started.ok()) {
    LOG(ERROR) << "cannot start etcd member in " << data_dir << ": " << started.status();
    std::cerr << "etcd: cannot start member in " << data_dir << ": "
              << started.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<server::EtcdServer> etcd = std::move(*started);

  server::Concurrency concurrency(etcd.get());
  auto services = api::NewEtcdServices(etcd.get(), &concurrency);
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_request_bytes) + kGrpcOverheadBytes);
  builder.SetMaxSendMessageSize(std::numeric_limits<int>::max());
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(std::min<uint32_t>(
                                 config.max_concurrent_streams,
                                 static_cast<uint32_t>(std::numeric_limits<int>::max()))));
  // Clients reach gRPC and HTTP/1.1 (/health, /version, /metrics) on the same port, as with
  // etcd: the gRPC server has no port of its own, the muxes hand it its connections.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(metrics::NewGrpcMetricsInterceptor(&etcd->metrics()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (auto& service : services) builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
  auto http_server = http::HttpServer::Start(
      [&etcd](const std::string& method, const std::string& path) {
        return ServeHttp(*etcd, method, path);
      });

  // The peer listener: Raft messages and the members' own calls (transport/peer.proto).
  grpc::ServerBuilder peer_builder;
  peer_builder.SetMaxReceiveMessageSize(-1);
  peer_builder.SetMaxSendMessageSize(-1);
  std::vector<std::pair<std::string, std::unique_ptr<int>>> peer_ports;
  for (const server::Url& u : config.listen_peer_urls) {
    const std::string address = BindAddress(u);
    peer_ports.emplace_back(address, std::make_unique<int>(0));
    peer_builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                                  peer_ports.back().second.get());
  }
  peer_builder.RegisterService(peer_transport->service());
  std::unique_ptr<grpc::Server> peer_server = peer_builder.BuildAndStart();

  std::vector<std::unique_ptr<http::PortMux>> muxes;
  absl::Status listen_error;
  if (grpc_server == nullptr || !http_server.ok()) {
    listen_error = absl::InternalError("cannot start the client servers");
  }
  // Before any client is served: a member whose data differs from its peers' stops here.
  if (listen_error.ok() && config.experimental_initial_corrupt_check) {
    listen_error = etcd->CheckInitialHashKV();
  }
  for (const server::Url& u : config.listen_client_urls) {
    if (!listen_error.ok()) break;
    auto mux = http::PortMux::Listen(BindAddress(u), grpc_server.get(), http_server->get());
    if (mux.ok()) {
      muxes.push_back(std::move(*mux));
    } else {
      listen_error = mux.status();
    }
  }
  for (const server::Url& u : config.listen_metrics_urls) {
    if (!listen_error.ok()) break;
    auto mux = http::PortMux::Listen(BindAddress(u), nullptr, http_server->get());
    if (mux.ok()) {
      muxes.push_back(std::move(*mux));
    } else {
      listen_error = mux.status();
    }
  }
  for (const auto& [address, port] : peer_ports) {
    if (listen_error.ok() && (peer_server == nullptr || *port == 0)) {
      listen_error = absl::UnavailableError(
          "listen tcp " + address +
          ": cannot bind (address already in use, or not an address of this host)");
    }
  }
  if (!listen_error.ok()) {
    LOG(ERROR) << listen_error.message();
    std::cerr << "etcd: " << listen_error.message() << "\n";
    for (auto& mux : muxes) mux->Stop();
    if (grpc_server) grpc_server->Shutdown();
    if (peer_server) peer_server->Shutdown();
    concurrency.Stop();
    etcd->Stop();
    return 1;
  }
  if (!etcd->WaitForLeader(std::chrono::milliseconds(5 * config.election_timeout_ms))) {
    LOG(WARNING) << "no leader elected yet; serving anyway (requests wait for a leader)";
  }
  LOG(INFO) << "ready to serve client requests";
  for (const server::Url& u : config.listen_client_urls) {
    LOG(INFO) << "serving insecure client requests on " << BindAddress(u)
              << ", this is strongly discouraged!";
  }
  for (const server::Url& u : config.listen_metrics_urls) {
    LOG(INFO) << "serving /metrics and /health on " << BindAddress(u);
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  LOG(INFO) << "received " << strsignal(sig) << " signal, shutting down...";
  for (auto& mux : muxes) mux->Stop();
  concurrency.Stop();  // answers waiting Lock/Campaign/Observe calls before gRPC goes
  grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  peer_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  http_server->reset();  // waits for HTTP requests in flight (a /health read, say)
  etcd->Stop();
  LOG(INFO) << "stopped etcd member " << config.name;
  return 0;
}

}  // namespace
}  // namespace etcd

int main(int argc, char** argv) {
  // Debian's Abseil is built without NDEBUG, so absl::Mutex (which gRPC uses on every call)
  // would record lock orders for deadlock detection: measurable CPU on the hot path.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = etcd::server::ParseConfig(args, etcd::EtcdEnvironment());
  if (!parsed.ok()) {
    // As etcd 3.4: flag syntax errors print the usage line (exit 2); invalid settings are
    // logged as "error verifying flags" (exit 1); fatal ones are printed as they are (exit 1).
    switch (etcd::server::GetConfigErrorKind(parsed.status())) {
      case etcd::server::ConfigErrorKind::kUsage:
        std::cerr << parsed.status().message() << "\n" << etcd::server::UsageLine();
        break;
      case etcd::server::ConfigErrorKind::kInvalid:
        LOG(ERROR) << "etcdmain: error verifying flags, " << parsed.status().message()
                   << ". See 'etcd --help'.";
        break;
      case etcd::server::ConfigErrorKind::kFatal:
        LOG(ERROR) << parsed.status().message();
        break;
    }
    return etcd::server::ConfigErrorExitCode(parsed.status());
  }
  for (const std::string& line : parsed->infos) LOG(INFO) << line;
  for (const std::string& line : parsed->warnings) LOG(WARNING) << line;
  switch (parsed->action) {
    case etcd::server::ConfigAction::kPrintHelp:
      std::cerr << etcd::server::UsageLine();
      std::cout << etcd::server::Usage();
      return 0;
    case etcd::server::ConfigAction::kPrintVersion:
      std::cout << "etcd Version: " << etcd::server::kServerVersion << "\n"
                << "Git SHA: etcd-cpp\n"
                << "Go Version: none (C++20)\n"
                << "Go OS/Arch: linux/amd64\n";
      return 0;
    case etcd::server::ConfigAction::kRun:
      break;
  }
  return etcd::Run(parsed->config);
}
