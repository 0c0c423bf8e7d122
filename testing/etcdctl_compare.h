// Running the real etcdctl 3.4 and ours side by side and comparing what they print: the
// helpers of //testing/e2e:etcdctl_compare_test, shared with the other comparison tests
// (etcdctl_tls_auth_test).
//
// A step runs one tool per Side (the real etcdctl on twin A, ours on twin B: two servers in
// the same state), masks what legitimately differs between twins (ports, member/cluster/lease
// IDs, raft indexes, sizes, timings) and expects equal standard output, "Error:" line and exit
// code (gtest EXPECTs, so a difference fails the calling test and names the command).
//
// Thread-safety: none; use from the test's thread.
#ifndef ETCD_TESTING_ETCDCTL_COMPARE_H_
#define ETCD_TESTING_ETCDCTL_COMPARE_H_

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "testing/etcd_process.h"

namespace etcd::testing {

// One side of a comparison: a tool and the twin it drives.
struct Side {
  std::string name;     // "real" or "ours"
  std::string binary;   // the etcdctl
  std::string endpoints;
  std::map<std::string, std::string> vars;  // per-side values ({lease}, {member}, ...)
  // Flags put after --endpoints on every command line of this side (TLS files, --user).
  std::vector<std::string> global_args;
};

struct Outcome {
  int exit_code = -1;
  std::string out;    // masked stdout
  std::string err;    // masked stderr
  std::string error;  // the first "Error: ..." line of stderr
  std::string raw_out;
};

struct StepOptions {
  std::string input;                         // standard input
  std::map<std::string, std::string> env;    // more environment
  bool endpoints_flag = true;                // pass --endpoints (and the side's global_args)
  bool compare_stdout = true;                // help texts are not compared
  bool compare_stderr = false;               // endpoint health prints there
  std::string proto_type;                    // -w protobuf: decode as this message
  std::vector<std::pair<std::string, std::string>> masks;  // more masks for this step
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
};

// `s` with ports, IDs, indexes, sizes and timings masked, then the `extra` (regex,
// replacement) pairs applied.
std::string Mask(std::string s, const std::vector<std::pair<std::string, std::string>>& extra);

// A protobuf answer decoded as `type` (a message linked into the test), with the IDs that
// differ between twins cleared.
std::string DecodeProtobuf(const std::string& bytes, const std::string& type);

// `s` with every "{var}" replaced by the side's value.
std::string Substitute(std::string s, const Side& side);

// Runs one side's tool with `args` (substituted) and returns its masked outcome.
Outcome RunSide(const Side& side, const std::vector<std::string>& args, const StepOptions& o);

std::string ArgsText(const std::vector<std::string>& args);

// The twins and both tools.
class Twins {
 public:
  Side real{"real", kRealEtcdctl, "", {}};
  Side ours{"ours", OurEtcdctlBinary(), "", {}};

  // Runs the step with both tools (real on twin A, ours on twin B); expects equal outcomes.
  Outcome Both(const std::vector<std::string>& args, const StepOptions& o = {});
};

// Reads `path` until `predicate` holds (a deadline, no fixed sleep); fails the test at the
// deadline and returns what the file holds then.
std::string WaitForFile(const std::string& path,
                        const std::function<bool(const std::string&)>& predicate,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Only the lines of a background log that are not zap/capnslog log lines.
std::string OutputLines(const std::string& log);

}  // namespace etcd::testing

#endif  // ETCD_TESTING_ETCDCTL_COMPARE_H_
