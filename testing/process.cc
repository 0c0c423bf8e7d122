#include "testing/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace etcd::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> MergedEnv(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Forks and execs `argv` with `env` merged into the environment and the given descriptors as
// standard input, output and error. Returns the child's pid, or -1 if fork failed; a child that
// cannot exec exits with 127.
pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int in, int out, int err) {
  std::vector<std::string> args = argv;
  std::vector<std::string> envs = MergedEnv(env);
  std::vector<char*> cargs = CStrings(args);
  std::vector<char*> cenv = CStrings(envs);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(cargs[0], cargs.data(), cenv.data());
    _exit(127);
  }
  return pid;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for `pid` at most until `deadline`; returns the exit code or -1 on timeout.
int WaitUntil(pid_t pid, Clock::time_point deadline) {
  // Poll with a short period: there is no portable way to wait on a child with a timeout
  // (pidfd_open needs Linux 5.3 headers); the period bounds latency, not correctness.
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeWaitStatus(status);
    if (r < 0) return -1;
    if (Clock::now() >= deadline) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env,
                                         const std::string& input,
                                         std::chrono::milliseconds timeout) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t pid = Spawn(argv, env, in_pipe[0], out_pipe[1], err_pipe[1]);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) return absl::InternalError(std::string("fork: ") + std::strerror(errno));

  // Feed stdin and drain stdout/stderr with poll so that no pipe fills up.
  CommandResult result;
  size_t written = 0;
  if (input.empty()) {
    close(in_pipe[1]);
    in_pipe[1] = -1;
  }
  const auto deadline = Clock::now() + timeout;
  int open_outputs = 2;
  while (open_outputs > 0) {
    pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_pipe[1], POLLOUT, 0}};
    const int nfds = in_pipe[1] >= 0 ? 3 : 2;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    if (poll(fds, static_cast<nfds_t>(nfds), static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        (i == 0 ? out_pipe[0] : err_pipe[0]) = -1;
        --open_outputs;
      }
    }
    if (nfds == 3 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_pipe[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 || written == input.size()) {
        close(in_pipe[1]);
        in_pipe[1] = -1;
      }
    }
  }
  for (int fd : {in_pipe[1], out_pipe[0], err_pipe[0]}) {
    if (fd >= 0) close(fd);
  }
  int code = WaitUntil(pid, deadline);
  if (code == -2) {
    kill(pid, SIGKILL);
    WaitUntil(pid, Clock::now() + std::chrono::seconds(5));
    return absl::DeadlineExceededError(argv[0] + " did not finish in time; output so far: " +
                                       result.out + result.err);
  }
  if (code == 127 && result.out.empty()) return absl::NotFoundError("cannot run " + argv[0]);
  result.exit_code = code;
  return result;
}

absl::StatusOr<Process> Process::Start(const std::vector<std::string>& argv,
                                       const std::map<std::string, std::string>& env,
                                       const std::string& log_path,
                                       const std::string& stdin_path) {
  int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return absl::InternalError("cannot open " + log_path + ": " + std::strerror(errno));
  // O_RDWR: opening a FIFO this way does not wait for a writer.
  const int in = stdin_path.empty() ? open("/dev/null", O_RDONLY | O_CLOEXEC)
                                    : open(stdin_path.c_str(), O_RDWR | O_CLOEXEC);
  const pid_t pid = Spawn(argv, env, in, log, log);
  if (in >= 0) close(in);
  close(log);
  if (pid < 0) return absl::InternalError(std::string("fork: ") + std::strerror(errno));
  return Process(pid, log_path);
}

Process::Process(Process&& other) noexcept
    : pid_(other.pid_), exit_code_(other.exit_code_), log_path_(std::move(other.log_path_)) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    Kill();
    pid_ = other.pid_;
    exit_code_ = other.exit_code_;
    log_path_ = std::move(other.log_path_);
    other.pid_ = -1;
  }
  return *this;
}

Process::~Process() { Kill(); }

bool Process::Running() {
  if (pid_ < 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = DecodeWaitStatus(status);
    pid_ = -1;
    return false;
  }
  return true;
}

absl::StatusOr<int> Process::Signal(int sig, std::chrono::milliseconds timeout) {
  if (!Running()) return exit_code_;
  kill(pid_, sig);
  int code = WaitUntil(pid_, Clock::now() + timeout);
  if (code == -2) return absl::DeadlineExceededError("process did not exit after signal");
  exit_code_ = code;
  pid_ = -1;
  return code;
}

void Process::Kill() {
  if (Running()) (void)Signal(SIGKILL);
}

void Process::Pause() {
  if (Running()) kill(pid_, SIGSTOP);
}

void Process::Resume() {
  if (Running()) kill(pid_, SIGCONT);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

absl::Status WaitForPort(int port, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (ok) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::DeadlineExceededError("port " + std::to_string(port) + " did not open");
}

namespace {

// Directories made by NewTempDir, removed when the process exits: Bazel 4 leaves a test's
// TEST_TMPDIR behind in its sandbox, and member data dirs (64 MB WAL segments each) would
// fill the disk over many runs.
std::mutex temp_dirs_mu;
std::vector<std::string>* temp_dirs = nullptr;  // guarded by temp_dirs_mu; never freed

void RemoveTempDirs() {
  std::lock_guard lock(temp_dirs_mu);
  std::error_code ec;
  for (const std::string& dir : *temp_dirs) std::filesystem::remove_all(dir, ec);
}

}  // namespace

std::string NewTempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::filesystem::path p = std::filesystem::path(base ? base : "/tmp") / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  std::lock_guard lock(temp_dirs_mu);
  if (temp_dirs == nullptr) {
    temp_dirs = new std::vector<std::string>();
    std::atexit(RemoveTempDirs);
  }
  temp_dirs->push_back(p.string());
  return p.string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace etcd::testing
