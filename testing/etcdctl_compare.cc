#include "testing/etcdctl_compare.h"

#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "testing/process.h"

namespace etcd::testing {

std::string Mask(std::string s, const std::vector<std::pair<std::string, std::string>>& extra) {
  static const std::vector<std::pair<std::regex, std::string>> rules = {
      {std::regex(R"((127\.0\.0\.1|localhost):\d+)"), "127.0.0.1:<port>"},
      {std::regex(R"re("(cluster_id|member_id|ID|id|leader|memberID|raft_term|raftTerm|raftIndex|raftAppliedIndex|dbSize|dbSizeInUse|hash|revision_for_hash)":\d+)re"),
       "\"$1\":<n>"},
      {std::regex(R"re("(ClusterID|MemberID|ID|Leader|RaftTerm|RaftIndex|RaftAppliedIndex|DBSize|Hash)" : \d+)re"),
       "\"$1\" : <n>"},
      // After the numeric fields: a decimal ID of 12 to 16 digits would pass for a hex one.
      {std::regex(R"(\b[0-9a-f]{12,16}\b)"), "<id>"},
      {std::regex(R"(took = [0-9.]+[µmn]?s)"), "took = <t>"},
      {std::regex(R"re("took":"[^"]*")re"), "\"took\":\"<t>\""},
      {std::regex(R"re("Took" : \S+)re"), "\"Took\" : <t>"},
      {std::regex(R"(\| [0-9.]+(µs|ms|ns|s) \|)"), "| <t> |"},
      {std::regex(R"(\b[0-9a-f]{1,16} (added to|removed from|updated in|promoted in) cluster +[0-9a-f]+)"),
       "<id> $1 cluster <id>"},
      {std::regex(R"(transferred from [0-9a-f]+ to [0-9a-f]+)"), "transferred from <id> to <id>"},
      // Table widths follow the lengths of IDs, sizes and ports.
      {std::regex(R"(-{3,})"), "---"},
      {std::regex(R"( {2,})"), " "},
      // endpoint status rows: size, leader and learner flags, term, index, applied index.
      {std::regex(R"([0-9.]+ [kMG]?B(, | \| )(true|false)(, | \| )(true|false)(, | \| )\d+(, | \| )\d+(, | \| )\d+)"),
       "<size>$1$2$3$4$5<term>$6<index>$7<applied>"},
      // endpoint hashkv rows: the hash covers lease IDs, which differ between twins.
      {std::regex(R"((:<port>(, | \| ))\d{3,})"), "$1<hash>"},
  };
  for (const auto& [re, repl] : rules) s = std::regex_replace(s, re, repl);
  for (const auto& [re, repl] : extra) s = std::regex_replace(s, std::regex(re), repl);
  return s;
}

std::string DecodeProtobuf(const std::string& bytes, const std::string& type) {
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
  if (descriptor == nullptr) return "unknown type " + type;
  std::unique_ptr<google::protobuf::Message> m(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
  if (!m->ParseFromString(bytes)) return "unparsable: " + bytes;
  std::string text = m->ShortDebugString();
  return Mask(text, {{R"((cluster_id|member_id|ID|id|leader|raft_term): \d+)", "$1: <n>"}});
}

std::string Substitute(std::string s, const Side& side) {
  for (const auto& [k, v] : side.vars) s = absl::StrReplaceAll(s, {{"{" + k + "}", v}});
  return s;
}

Outcome RunSide(const Side& side, const std::vector<std::string>& args, const StepOptions& o) {
  std::vector<std::string> argv = {side.binary};
  if (o.endpoints_flag) {
    argv.push_back("--endpoints=" + side.endpoints);
    argv.insert(argv.end(), side.global_args.begin(), side.global_args.end());
  }
  for (const auto& a : args) argv.push_back(Substitute(a, side));
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : o.env) env[k] = Substitute(v, side);
  auto r = RunCommand(argv, env, Substitute(o.input, side), o.timeout);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  Outcome out;
  out.exit_code = r->exit_code;
  out.raw_out = r->out;
  out.out = o.proto_type.empty() ? Mask(r->out, o.masks)
                                 : Mask(DecodeProtobuf(r->out, o.proto_type), o.masks);
  // Our own warning lines and clientv3's zap lines are not compared; the error line is.
  std::smatch m;
  if (std::regex_search(r->err, m, std::regex(R"(Error: [^\n]*)"))) out.error = Mask(m.str(), o.masks);
  std::string err;
  for (const auto& line : absl::StrSplit(r->err, '\n')) {
    if (line.empty() || line[0] == '{') continue;
    err += std::string(line) + "\n";
  }
  out.err = Mask(err, o.masks);
  return out;
}

std::string ArgsText(const std::vector<std::string>& args) { return absl::StrJoin(args, " "); }

Outcome Twins::Both(const std::vector<std::string>& args, const StepOptions& o) {
  Outcome r = RunSide(real, args, o);
  Outcome m = RunSide(ours, args, o);
  const std::string cmd = "etcdctl " + ArgsText(args);
  if (o.compare_stdout) {
    EXPECT_EQ(m.out, r.out) << "stdout differs for: " << cmd;
  }
  if (o.compare_stderr) {
    EXPECT_EQ(m.err, r.err) << "stderr differs for: " << cmd;
  }
  EXPECT_EQ(m.error, r.error) << "error differs for: " << cmd;
  EXPECT_EQ(m.exit_code, r.exit_code) << "exit code differs for: " << cmd << "\n"
                                      << r.err << "\n--- ours:\n" << m.err;
  return m;
}

std::string WaitForFile(const std::string& path,
                        const std::function<bool(const std::string&)>& predicate,
                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string text;
  while (std::chrono::steady_clock::now() < deadline) {
    text = ReadFile(path);
    if (predicate(text)) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "timed out waiting on " << path << "; it holds:\n" << text;
  return text;
}

std::string OutputLines(const std::string& log) {
  std::string out;
  for (const auto& line : absl::StrSplit(log, '\n')) {
    if (line.empty() || line[0] == '{') continue;
    out += std::string(line) + "\n";
  }
  return out;
}

}  // namespace etcd::testing
