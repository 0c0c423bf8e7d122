// etcdctl's output layer: one Printer interface, one implementation per --write-out format
// (simple, json, fields, protobuf, table), printing exactly what etcdctl 3.4's printers print
// (etcdctl/ctlv3/command/printer*.go): the same words, the same JSON (Go's encoding/json of
// etcd's gogo structs: the .proto field names, int64 as numbers, bytes in base64, empty fields
// left out), the same table layout.
//
// A format that etcdctl does not support for a response exits with code 4 and "Error: <format>
// not supported as output format", after the request was made, as etcdctl does.
//
// Thread-safety: a Printer writes to stdout; callers serialise (watch prints from one thread
// per watch, under PrintMutex()).
#ifndef ETCD_CMD_ETCDCTL_PRINTER_H_
#define ETCD_CMD_ETCDCTL_PRINTER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "api/etcdserverpb/rpc.pb.h"
#include "google/protobuf/message.h"

namespace etcd::etcdctl {

// One endpoint's answer to `endpoint health` (etcdctl's epHealth).
struct EndpointHealth {
  std::string endpoint;
  bool health = false;
  std::string took;   // Go's Duration.String() of the check, "" if no client could be made
  std::string error;  // empty when healthy
};

// One endpoint's `endpoint status` (epStatus) and `endpoint hashkv` (epHashKV).
struct EndpointStatus {
  std::string endpoint;
  etcdserverpb::StatusResponse status;
};
struct EndpointHashKV {
  std::string endpoint;
  etcdserverpb::HashKVResponse hash_kv;
};

// `snapshot status` of a file (clientv3/snapshot.Status).
struct SnapshotStatus {
  uint32_t hash = 0;
  int64_t revision = 0;
  int64_t total_key = 0;
  int64_t total_size = 0;  // bytes
};

// The mutex every concurrent printing thread holds while it prints.
std::mutex& PrintMutex();

class Printer {
 public:
  virtual ~Printer() = default;

  virtual void Get(const etcdserverpb::RangeResponse& r);
  virtual void Put(const etcdserverpb::PutResponse& r);
  virtual void Del(const etcdserverpb::DeleteRangeResponse& r);
  virtual void Txn(const etcdserverpb::TxnResponse& r);
  virtual void Watch(const etcdserverpb::WatchResponse& r);

  virtual void Grant(const etcdserverpb::LeaseGrantResponse& r);
  virtual void Revoke(int64_t id, const etcdserverpb::LeaseRevokeResponse& r);
  virtual void KeepAlive(const etcdserverpb::LeaseKeepAliveResponse& r);
  virtual void TimeToLive(const etcdserverpb::LeaseTimeToLiveResponse& r, bool keys);
  virtual void Leases(const etcdserverpb::LeaseLeasesResponse& r);

  virtual void MemberAdd(const etcdserverpb::MemberAddResponse& r);
  virtual void MemberRemove(uint64_t id, const etcdserverpb::MemberRemoveResponse& r);
  virtual void MemberUpdate(uint64_t id, const etcdserverpb::MemberUpdateResponse& r);
  virtual void MemberPromote(uint64_t id, const etcdserverpb::MemberPromoteResponse& r);
  virtual void MemberList(const etcdserverpb::MemberListResponse& r);

  virtual void EndpointHealthList(const std::vector<EndpointHealth>& list);
  virtual void EndpointStatusList(const std::vector<EndpointStatus>& list);
  virtual void EndpointHashKVList(const std::vector<EndpointHashKV>& list);
  virtual void MoveLeader(uint64_t leader, uint64_t target,
                          const etcdserverpb::MoveLeaderResponse& r);

  virtual void Alarm(const etcdserverpb::AlarmResponse& r);
  virtual void DBStatus(const SnapshotStatus& s);

  // Auth, user and role responses: `simple_text` is what the simple printer prints (it needs
  // the names from the command line); the other formats print `r`.
  virtual void AuthResponse(const google::protobuf::Message& r, absl::string_view simple_text);

 protected:
  explicit Printer(std::string format) : format_(std::move(format)) {}
  // Exits: "<format> not supported as output format" (code 4).
  [[noreturn]] void Unsupported() const;
  // What Go does for the responses etcdctl 3.4's printers have no method for (a nil pointer
  // dereference in the embedded printer): a panic message and exit code 2.
  [[noreturn]] void Panic() const;
  const std::string format_;
};

// The printer for --write-out `format` with --hex; nullptr for an unknown format.
std::unique_ptr<Printer> NewPrinter(absl::string_view format, bool hex);

// The simple printer's switch for `get --print-value-only` (only that printer has it).
void SetValueOnly(Printer& printer);

}  // namespace etcd::etcdctl

#endif  // ETCD_CMD_ETCDCTL_PRINTER_H_
