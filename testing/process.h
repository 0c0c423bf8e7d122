// Test-only helpers to run real processes: start a daemon in the background, run a command to
// completion capturing its output, find free loopback ports, and wait for a port to accept
// connections (polling with a deadline, never a fixed sleep).
#ifndef ETCD_TESTING_PROCESS_H_
#define ETCD_TESTING_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace etcd::testing {

// The outcome of a finished command.
struct CommandResult {
  int exit_code = -1;  // the exit status, or 128 + signal number if killed by a signal
  std::string out;     // standard output
  std::string err;     // standard error
};

// Runs `argv` with `env` added to (overriding) the current environment and `input` on its
// standard input; waits for it to exit, at most `timeout` (then kills it with SIGKILL and
// returns kDeadlineExceeded). Errors: kNotFound if the program cannot be started.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env = {},
                                         const std::string& input = "",
                                         std::chrono::milliseconds timeout =
                                             std::chrono::seconds(30));

// A background process with its standard output and error sent to `log_path`. The destructor
// kills it (SIGKILL) if it still runs.
class Process {
 public:
  // `stdin_path`: a file (or FIFO) for its standard input; /dev/null when empty.
  static absl::StatusOr<Process> Start(const std::vector<std::string>& argv,
                                       const std::map<std::string, std::string>& env,
                                       const std::string& log_path,
                                       const std::string& stdin_path = "");
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  ~Process();

  pid_t pid() const { return pid_; }
  // Whether it still runs (reaps it if it exited).
  bool Running();
  // Sends `sig` and waits for the exit, at most `timeout`; returns the exit code as
  // RunCommand's. Errors: kDeadlineExceeded if it did not exit in time.
  absl::StatusOr<int> Signal(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGKILL and wait.
  void Kill();
  // SIGSTOP / SIGCONT: freezes the process (its sockets stay open, nothing is answered) and
  // lets it go on.
  void Pause();
  void Resume();
  const std::string& log_path() const { return log_path_; }

 private:
  Process(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back).
int FreePort();

// Waits until 127.0.0.1:`port` accepts a TCP connection. Errors: kDeadlineExceeded.
absl::Status WaitForPort(int port, std::chrono::milliseconds timeout);

// A fresh empty directory under TEST_TMPDIR (or /tmp).
std::string NewTempDir(const std::string& name);

// The contents of a file, or "" if it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace etcd::testing

#endif  // ETCD_TESTING_PROCESS_H_
