// End-to-end: the real etcdctl 3.4 drives our daemon and the real etcd 3.4 through the same
// steps; after masking what legitimately differs (ports, member and cluster IDs, raft terms and
// indexes, sizes, timings) the outputs, error messages and exit codes must be equal. A few
// steps also assert the expected output literally, so that a bug shared by both sides (or a
// broken oracle) cannot pass unnoticed.
#include <gtest/gtest.h>

#include <regex>

#include "testing/etcd_process.h"

namespace etcd::testing {
namespace {

struct Step {
  std::vector<std::string> args;
  std::string input;  // standard input (txn -i)
};

struct Outcome {
  int exit_code;
  std::string out;    // masked stdout
  std::string error;  // the "Error: ..." line of stderr, if any
};

std::string Mask(std::string s) {
  static const std::vector<std::pair<std::regex, std::string>> rules = {
      {std::regex(R"(127\.0\.0\.1:\d+)"), "127.0.0.1:<port>"},
      {std::regex(R"(\b[0-9a-f]{10,16}\b)"), "<id>"},
      {std::regex(R"re("(cluster_id|member_id|raft_term)":\d+)re"), "\"$1\":<n>"},
      {std::regex(R"re("(ClusterID|MemberID|RaftTerm)" : \d+)re"), "\"$1\" : <n>"},
      {std::regex(R"(took = [0-9.]+[µmn]?s)"), "took = <t>"},
      // Table widths follow the lengths of IDs and ports.
      {std::regex(R"(-{3,})"), "---"},
      {std::regex(R"( {2,})"), " "},
      // endpoint status: size, then leader/learner flags, then term, index, applied index.
      {std::regex(R"(, [0-9.]+ [kMG]?B, (true|false), (true|false), \d+, \d+, \d+,)"),
       ", <size>, $1, $2, <term>, <index>, <applied>,"},
  };
  for (const auto& [re, repl] : rules) s = std::regex_replace(s, re, repl);
  return s;
}

Outcome RunStep(const EtcdProcess& etcd, const Step& step) {
  auto r = etcd.Etcdctl(step.args, step.input);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {-1, "", ""};
  Outcome o{r->exit_code, Mask(r->out), ""};
  std::smatch m;
  if (std::regex_search(r->err, m, std::regex(R"(Error: [^\n]*)"))) o.error = m.str();
  return o;
}

class EtcdctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto ours = EtcdProcess::Start(OurEtcdBinary(), "ours");
    ASSERT_TRUE(ours.ok()) << ours.status();
    ours_ = new EtcdProcess(std::move(*ours));
    auto real = EtcdProcess::Start(kRealEtcd, "real");
    ASSERT_TRUE(real.ok()) << real.status();
    real_ = new EtcdProcess(std::move(*real));
  }
  static void TearDownTestSuite() {
    delete ours_;
    delete real_;
  }

  // Runs the step on both servers and expects equal outcomes; returns ours.
  static Outcome Both(const Step& step) {
    Outcome o = RunStep(*ours_, step);
    Outcome r = RunStep(*real_, step);
    std::string cmd;
    for (const auto& a : step.args) cmd += a + " ";
    EXPECT_EQ(o.out, r.out) << "stdout differs for: etcdctl " << cmd;
    EXPECT_EQ(o.error, r.error) << "error differs for: etcdctl " << cmd;
    EXPECT_EQ(o.exit_code, r.exit_code) << "exit code differs for: etcdctl " << cmd;
    return o;
  }

  static EtcdProcess* ours_;
  static EtcdProcess* real_;
};

// What `etcdctl txn -i` prints to stdout as it reads each section.
constexpr char kTxnPrompts[] =
    "compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\n";

EtcdProcess* EtcdctlTest::ours_ = nullptr;
EtcdProcess* EtcdctlTest::real_ = nullptr;

TEST_F(EtcdctlTest, PutGetDelTxnCompactAsTheRealEtcd) {
  EXPECT_EQ(Both({{"put", "foo", "bar"}}).out, "OK\n");
  EXPECT_EQ(Both({{"put", "foo", "baz", "--prev-kv"}}).out, "OK\nfoo\nbar\n");
  for (const char* kv : {"foo1=v1", "foo2=v2", "zoo=z", "a=1"}) {
    std::string s(kv);
    Both({{"put", s.substr(0, s.find('=')), s.substr(s.find('=') + 1)}});
  }
  EXPECT_EQ(Both({{"get", "foo"}}).out, "foo\nbaz\n");
  EXPECT_EQ(Both({{"get", "foo", "--prefix"}}).out, "foo\nbaz\nfoo1\nv1\nfoo2\nv2\n");
  Both({{"get", "foo", "--from-key"}});
  EXPECT_EQ(Both({{"get", "foo", "foo2"}}).out, "foo\nbaz\nfoo1\nv1\n");
  Both({{"get", "foo", "--prefix", "--limit", "2"}});
  Both({{"get", "foo", "--rev", "2"}});
  EXPECT_EQ(Both({{"get", "foo", "--rev", "2"}}).out, "foo\nbar\n");
  Both({{"get", "foo", "--prefix", "--keys-only"}});
  EXPECT_EQ(Both({{"get", "foo", "--print-value-only"}}).out, "baz\n");
  Both({{"get", "foo", "--prefix", "--limit", "1", "-w", "fields"}});
  for (const char* target : {"KEY", "VERSION", "CREATE", "MODIFY", "VALUE"}) {
    for (const char* order : {"ASCEND", "DESCEND"}) {
      Both({{"get", "", "--from-key", "--sort-by", target, "--order", order}});
    }
  }
  Both({{"get", "foo", "-w", "json"}});
  Both({{"get", "foo", "--prefix", "-w", "json", "--limit", "1"}});
  Both({{"get", "foo", "-w", "fields"}});
  Both({{"get", "nothing", "-w", "json"}});

  EXPECT_EQ(Both({{"del", "zoo"}}).out, "1\n");
  EXPECT_EQ(Both({{"del", "zoo"}}).out, "0\n");
  Both({{"del", "foo1", "foo3", "--prev-kv"}});
  Both({{"put", "foo1", "again"}});
  Both({{"del", "foo", "--prefix", "--prev-kv", "-w", "json"}});

  Both({{"put", "k", "v"}});
  EXPECT_EQ(Both({{"txn", "-i"}, "value(\"k\") = \"v\"\n\nput k v2\nget k\n\ndel a\n\n"}).out,
            std::string(kTxnPrompts) + "SUCCESS\n\nOK\n\nk\nv2\n");
  EXPECT_EQ(Both({{"txn", "-i"}, "value(\"k\") = \"v\"\n\nput k v3\n\nput other x\nget k\n\n"}).out,
            std::string(kTxnPrompts) + "FAILURE\n\nOK\n\nk\nv2\n");
  Both({{"txn", "-i", "-w", "json"}, "mod(\"k\") > \"0\"\nversion(\"k\") = \"2\"\n\nget k\n\n\n"});
  Both({{"txn", "-i"}, "create(\"none\") = \"0\"\n\nput none 1\n\n\n"});

  const Outcome rev = Both({{"get", "k", "-w", "fields"}});
  EXPECT_EQ(Both({{"compact", "5"}}).out, "compacted revision 5\n");
  const Outcome compacted = Both({{"get", "foo", "--rev", "3"}});
  EXPECT_EQ(compacted.error, "Error: etcdserver: mvcc: required revision has been compacted");
  EXPECT_EQ(compacted.exit_code, 1);
  Both({{"compact", "4"}});
  Both({{"get", "foo", "--rev", "1000"}});
  Both({{"compact", "1000"}});
}

TEST_F(EtcdctlTest, ErrorsAsTheRealEtcd) {
  EXPECT_EQ(Both({{"put", "", "x"}}).error, "Error: etcdserver: key is not provided");
  Both({{"get", ""}});
  Both({{"put", "k", "--ignore-value"}});
  Both({{"put", "nope", "--ignore-value"}});
  Both({{"put", "k", "v", "--lease", "1234"}});
  Both({{"txn", "-i"}, "\nput dup 1\nput dup 2\n\n\n"});
  // Over --max-request-bytes but under gRPC's limit; too long for argv, so through stdin.
  const std::string big(1600 * 1024, 'x');
  EXPECT_EQ(Both({{"put", "big"}, big}).error, "Error: etcdserver: request is too large");
}

TEST_F(EtcdctlTest, EndpointAndMemberCommands) {
  Both({{"endpoint", "status"}});
  Both({{"endpoint", "health"}});
  Both({{"member", "list"}});
  const Outcome members = Both({{"member", "list", "-w", "table"}});
  EXPECT_NE(members.out.find("| started | default |"), std::string::npos) << members.out;
}

}  // namespace
}  // namespace etcd::testing
