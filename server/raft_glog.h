// Routes the Raft library's log lines (raft/logger.h) to glog, prefixed "raft: " as etcd's
// raft logger does, so the daemon has one log format.
#ifndef ETCD_SERVER_RAFT_GLOG_H_
#define ETCD_SERVER_RAFT_GLOG_H_

#include "raft/logger.h"

namespace etcd::server {

// Thread-safe (glog is). kFatal logs and aborts, as raft's contract requires.
class RaftGlogLogger final : public raft::Logger {
 public:
  void Log(raft::LogLevel level, std::string_view message) override;
  bool IsEnabled(raft::LogLevel level) const override;
  // The process-wide instance.
  static RaftGlogLogger* Get();
};

}  // namespace etcd::server

#endif  // ETCD_SERVER_RAFT_GLOG_H_
