#include "raft/logger.h"

#include <cstdio>

namespace etcd::raft {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kFatal:
      return "FATAL";
  }
  return "UNKNOWN";
}

void StderrLogger::Log(LogLevel level, std::string_view message) {
  if (level != LogLevel::kFatal && !IsEnabled(level)) return;
  // One buffer, one fwrite: lines from several threads do not interleave.
  std::string line = absl::StrFormat("raft %s: %s\n", LogLevelName(level), message);
  std::fwrite(line.data(), 1, line.size(), stderr);
  if (level == LogLevel::kFatal) std::fflush(stderr);
}

Logger* DefaultLogger() {
  static Logger* const logger = new StderrLogger(LogLevel::kInfo);
  return logger;
}

}  // namespace etcd::raft
