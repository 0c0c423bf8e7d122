#include "server/raft_glog.h"

#include <glog/logging.h>

namespace etcd::server {

void RaftGlogLogger::Log(raft::LogLevel level, std::string_view message) {
  switch (level) {
    case raft::LogLevel::kDebug:
      VLOG(1) << "raft: " << message;
      break;
    case raft::LogLevel::kInfo:
      LOG(INFO) << "raft: " << message;
      break;
    case raft::LogLevel::kWarning:
      LOG(WARNING) << "raft: " << message;
      break;
    case raft::LogLevel::kError:
      LOG(ERROR) << "raft: " << message;
      break;
    case raft::LogLevel::kFatal:
      LOG(FATAL) << "raft: " << message;
      break;
  }
}

bool RaftGlogLogger::IsEnabled(raft::LogLevel level) const {
  if (level == raft::LogLevel::kDebug) return VLOG_IS_ON(1);
  return static_cast<int>(level) - 1 >= FLAGS_minloglevel;
}

RaftGlogLogger* RaftGlogLogger::Get() {
  static RaftGlogLogger* logger = new RaftGlogLogger();
  return logger;
}

}  // namespace etcd::server
