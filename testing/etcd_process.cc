#include "testing/etcd_process.h"

#include <csignal>
#include <cstdlib>
#include <thread>

namespace etcd::testing {

namespace {
std::string RunfilesPath(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return std::string(srcdir ? srcdir : ".") + "/" + (workspace ? workspace : "etcd_cpp") + "/" +
         path;
}
}  // namespace

std::string OurEtcdBinary() { return RunfilesPath("cmd/etcd/etcd"); }

std::string OurEtcdctlBinary() { return RunfilesPath("cmd/etcdctl/etcdctl"); }

absl::StatusOr<EtcdProcess> EtcdProcess::Start(const std::string& binary, const std::string& name,
                                               const std::vector<std::string>& extra_flags) {
  EtcdProcess p;
  p.binary_ = binary;
  p.name_ = name;
  const std::string dir = NewTempDir(name);
  p.data_dir_ = dir + "/data.etcd";
  p.log_path_ = dir + "/etcd.log";
  p.extra_flags_ = extra_flags;
  p.client_port_ = FreePort();
  p.peer_port_ = FreePort();
  if (absl::Status s = p.Launch(); !s.ok()) return s;
  return p;
}

absl::StatusOr<EtcdProcess> EtcdProcess::StartRaw(const std::string& binary,
                                                  const std::string& name,
                                                  const std::vector<std::string>& args,
                                                  const std::map<std::string, std::string>& env,
                                                  int client_port, bool wait_healthy) {
  EtcdProcess p;
  p.binary_ = binary;
  p.name_ = name;
  p.log_path_ = NewTempDir(name + "-log") + "/etcd.log";
  p.raw_args_ = args;
  p.raw_args_.insert(p.raw_args_.begin(), binary);
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--data-dir") p.data_dir_ = args[i + 1];
  }
  p.env_ = env;
  p.client_port_ = client_port;
  if (absl::Status s = p.Launch(wait_healthy); !s.ok()) return s;
  return p;
}

std::vector<std::string> EtcdProcess::CommandLine() const {
  if (!raw_args_.empty()) return raw_args_;
  const std::string client = "http://127.0.0.1:" + std::to_string(client_port_);
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> argv = {binary_,
                                   "--name", "default",
                                   "--data-dir", data_dir_,
                                   "--listen-client-urls", client,
                                   "--advertise-client-urls", client,
                                   "--listen-peer-urls", peer,
                                   "--initial-advertise-peer-urls", peer,
                                   "--initial-cluster", "default=" + peer};
  argv.insert(argv.end(), extra_flags_.begin(), extra_flags_.end());
  return argv;
}

absl::Status EtcdProcess::Launch(bool wait_healthy) {
  auto proc = Process::Start(CommandLine(), env_, log_path_);
  if (!proc.ok()) return proc.status();
  process_.emplace(std::move(*proc));
  return wait_healthy || raw_args_.empty() ? WaitHealthy() : absl::OkStatus();
}

absl::Status EtcdProcess::WaitHealthy() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool port_open = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Running()) return absl::AbortedError("etcd exited; log:\n" + Log());
    if (!port_open) {
      port_open = WaitForPort(client_port_, std::chrono::milliseconds(100)).ok();
      continue;
    }
    auto r = Etcdctl({"endpoint", "health", "--command-timeout=2s"});
    if (r.ok() && r->exit_code == 0) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError("etcd did not become healthy; log:\n" + Log());
}

absl::Status EtcdProcess::Restart() {
  process_.reset();
  return Launch();
}

absl::StatusOr<int> EtcdProcess::Stop() { return process_->Signal(SIGTERM); }

absl::StatusOr<Process> EtcdProcess::StartEtcdctl(const std::vector<std::string>& args,
                                                  const std::string& log_path,
                                                  const std::string& stdin_path) const {
  std::vector<std::string> argv = {kRealEtcdctl, "--endpoints", endpoint()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Process::Start(argv, {{"ETCDCTL_API", "3"}}, log_path, stdin_path);
}

absl::StatusOr<CommandResult> EtcdProcess::Etcdctl(const std::vector<std::string>& args,
                                                   const std::string& input) const {
  std::vector<std::string> argv = {kRealEtcdctl, "--endpoints", endpoint()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {{"ETCDCTL_API", "3"}}, input);
}

}  // namespace etcd::testing
