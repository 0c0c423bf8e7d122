// Logger: how //raft reports what it does, and how it stops on a broken invariant.
//
// //raft depends on no logging library. Every RawNode and MemoryStorage writes through a
// `Logger*` given in its configuration (nullptr selects DefaultLogger()). An embedding
// application adapts this interface to its own logging (the server adapts it to glog).
//
// Thread-safety: a Logger may be shared by several RawNodes driven from different threads,
// so implementations must be thread-safe. DefaultLogger() is.
#ifndef ETCD_RAFT_LOGGER_H_
#define ETCD_RAFT_LOGGER_H_

#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"

namespace etcd::raft {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kFatal = 4 };

// Returns "DEBUG", "INFO", "WARNING", "ERROR" or "FATAL".
std::string_view LogLevelName(LogLevel level);

class Logger {
 public:
  virtual ~Logger() = default;

  // Writes one message. For kFatal the caller aborts the process right after this returns
  // (see Fatalf), so an implementation should flush.
  virtual void Log(LogLevel level, std::string_view message) = 0;

  // Whether messages at `level` are written; lets callers skip formatting. kFatal is always
  // written whatever this returns.
  virtual bool IsEnabled(LogLevel level) const = 0;

  template <typename... Args>
  void Debugf(const absl::FormatSpec<Args...>& format, const Args&... args) {
    LogIfEnabled(LogLevel::kDebug, format, args...);
  }
  template <typename... Args>
  void Infof(const absl::FormatSpec<Args...>& format, const Args&... args) {
    LogIfEnabled(LogLevel::kInfo, format, args...);
  }
  template <typename... Args>
  void Warningf(const absl::FormatSpec<Args...>& format, const Args&... args) {
    LogIfEnabled(LogLevel::kWarning, format, args...);
  }
  template <typename... Args>
  void Errorf(const absl::FormatSpec<Args...>& format, const Args&... args) {
    LogIfEnabled(LogLevel::kError, format, args...);
  }
  // Reports a broken invariant and aborts the process. Never returns.
  template <typename... Args>
  [[noreturn]] void Fatalf(const absl::FormatSpec<Args...>& format, const Args&... args) {
    Log(LogLevel::kFatal, absl::StrFormat(format, args...));
    std::abort();
  }

 private:
  template <typename... Args>
  void LogIfEnabled(LogLevel level, const absl::FormatSpec<Args...>& format,
                    const Args&... args) {
    if (IsEnabled(level)) Log(level, absl::StrFormat(format, args...));
  }
};

// Writes "raft LEVEL: message\n" to stderr, one fwrite per line, for levels >= min_level.
// Thread-safe.
class StderrLogger : public Logger {
 public:
  explicit StderrLogger(LogLevel min_level = LogLevel::kInfo) : min_level_(min_level) {}
  void Log(LogLevel level, std::string_view message) override;
  bool IsEnabled(LogLevel level) const override { return level >= min_level_; }

 private:
  const LogLevel min_level_;
};

// The logger used when a Config or MemoryStorage is given none: a process-wide StderrLogger
// at kInfo. Never null; lives for the whole process.
Logger* DefaultLogger();

}  // namespace etcd::raft

#endif  // ETCD_RAFT_LOGGER_H_
