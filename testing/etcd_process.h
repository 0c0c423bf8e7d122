// A single-member etcd, ours (//cmd/etcd) or the real one (Debian's /usr/bin/etcd), started as
// a process on free loopback ports, and the real etcdctl 3.4 to drive it.
#ifndef ETCD_TESTING_ETCD_PROCESS_H_
#define ETCD_TESTING_ETCD_PROCESS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "testing/process.h"

namespace etcd::testing {

// Path of our daemon in the test's runfiles (requires data = ["//cmd/etcd"]).
std::string OurEtcdBinary();
// Path of our etcdctl in the test's runfiles (requires data = ["//cmd/etcdctl"]).
std::string OurEtcdctlBinary();
// The real etcd 3.4 and etcdctl from Debian.
inline constexpr char kRealEtcd[] = "/usr/bin/etcd";
inline constexpr char kRealEtcdctl[] = "/usr/bin/etcdctl";

class EtcdProcess {
 public:
  // Starts `binary` with a fresh data dir under TEST_TMPDIR/<name>, on free ports, and waits
  // until it serves (etcdctl endpoint health succeeds), at most 30 s.
  static absl::StatusOr<EtcdProcess> Start(const std::string& binary, const std::string& name,
                                           const std::vector<std::string>& extra_flags = {});

  // Starts `binary` with exactly `args` and `env` (the caller chooses flags, ports and data
  // dir; `client_port` is where it will serve), and waits until it serves unless
  // `wait_healthy` is false (a member of a cluster whose other members are not started yet:
  // call WaitHealthy() once they are).
  static absl::StatusOr<EtcdProcess> StartRaw(const std::string& binary, const std::string& name,
                                              const std::vector<std::string>& args,
                                              const std::map<std::string, std::string>& env,
                                              int client_port, bool wait_healthy = true);

  // Waits until the member serves: `etcdctl endpoint health` succeeds (it needs a leader and
  // a quorum), at most 30 s. Errors: Aborted if the process exited, DeadlineExceeded.
  absl::Status WaitHealthy();

  // The member's command line (binary first) and environment, as Restart starts it: to run it
  // by hand with more flags (e.g. a start that must fail).
  std::vector<std::string> CommandLine() const;
  const std::map<std::string, std::string>& environment() const { return env_; }

  // Restarts the same member on the same data dir and ports (after Kill or Stop).
  absl::Status Restart();
  // SIGKILL, no chance to clean up.
  void Kill() { process_->Kill(); }
  // SIGTERM and wait; returns the exit code.
  absl::StatusOr<int> Stop();
  // SIGSTOP / SIGCONT: the member freezes (a partition, as its peers see it) and goes on.
  void Pause() { process_->Pause(); }
  void Resume() { process_->Resume(); }
  bool Running() { return process_.has_value() && process_->Running(); }

  // Runs the real etcdctl (API v3) against this member with `args`, feeding `input`.
  absl::StatusOr<CommandResult> Etcdctl(const std::vector<std::string>& args,
                                        const std::string& input = "") const;

  // Starts the real etcdctl (API v3) with `args` in the background (a watch, say), its output
  // going to `log_path`.
  absl::StatusOr<Process> StartEtcdctl(const std::vector<std::string>& args,
                                       const std::string& log_path,
                                       const std::string& stdin_path = "") const;

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(client_port_); }
  int client_port() const { return client_port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string Log() const { return ReadFile(log_path_); }

 private:
  EtcdProcess() = default;
  absl::Status Launch(bool wait_healthy = true);

  std::string binary_, name_, data_dir_, log_path_;
  std::vector<std::string> extra_flags_;
  std::vector<std::string> raw_args_;  // when set, the whole command line
  std::map<std::string, std::string> env_;
  int client_port_ = 0, peer_port_ = 0;
  std::optional<Process> process_;
};

}  // namespace etcd::testing

#endif  // ETCD_TESTING_ETCD_PROCESS_H_
