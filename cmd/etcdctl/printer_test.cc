// The printers and Go formatting helpers against outputs of the real etcdctl 3.4 (captured from
// /usr/bin/etcdctl against our daemon), and the txn text parser.
#include "cmd/etcdctl/printer.h"

#include <gtest/gtest.h>

#include "cmd/etcdctl/go_format.h"
#include "cmd/etcdctl/txn_parse.h"

namespace etcd::etcdctl {
namespace {

using ::testing::internal::CaptureStdout;
using ::testing::internal::GetCapturedStdout;

etcdserverpb::ResponseHeader Header(int64_t revision) {
  etcdserverpb::ResponseHeader h;
  h.set_cluster_id(15118495548433857066ULL);
  h.set_member_id(13668033151171901709ULL);
  h.set_revision(revision);
  h.set_raft_term(2);
  return h;
}

etcdserverpb::RangeResponse FooBar() {
  etcdserverpb::RangeResponse r;
  *r.mutable_header() = Header(3);
  auto* kv = r.add_kvs();
  kv->set_key("foo");
  kv->set_value("bar");
  kv->set_create_revision(2);
  kv->set_mod_revision(2);
  kv->set_version(1);
  r.set_count(1);
  return r;
}

std::string Print(const std::string& format, const std::function<void(Printer&)>& f,
                  bool hex = false) {
  auto p = NewPrinter(format, hex);
  CaptureStdout();
  f(*p);
  return GetCapturedStdout();
}

TEST(GoJsonTest, RangeResponseAsEtcdctlPrintsIt) {
  EXPECT_EQ(GoJson(FooBar()),
            R"({"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,)"
            R"("revision":3,"raft_term":2},"kvs":[{"key":"Zm9v","create_revision":2,)"
            R"("mod_revision":2,"version":1,"value":"YmFy"}],"count":1})");
}

TEST(GoJsonTest, OneofsAndEmptyMessages) {
  etcdserverpb::TxnResponse t;
  *t.mutable_header() = Header(8);
  t.set_succeeded(true);
  t.add_responses()->mutable_response_put()->mutable_header()->set_revision(8);
  t.add_responses()->mutable_response_delete_range()->mutable_header()->set_revision(8);
  EXPECT_EQ(GoJson(t),
            R"({"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,)"
            R"("revision":8,"raft_term":2},"succeeded":true,"responses":[{"Response":)"
            R"({"ResponsePut":{"header":{"revision":8}}}},{"Response":{"ResponseDeleteRange":)"
            R"({"header":{"revision":8}}}}]})");
  etcdserverpb::AlarmResponse empty;
  empty.mutable_header();
  EXPECT_EQ(GoJson(empty), R"({"header":{}})");
}

TEST(GoJsonTest, MemberNamesAreTheProtoNames) {
  etcdserverpb::MemberListResponse r;
  auto* m = r.add_members();
  m->set_id(1);
  m->set_name("d1");
  m->add_peerurls("http://127.0.0.1:23801");
  m->set_islearner(true);
  EXPECT_EQ(GoJson(r),
            R"({"members":[{"ID":1,"name":"d1","peerURLs":["http://127.0.0.1:23801"],)"
            R"("isLearner":true}]})");
}

TEST(GoJsonTest, StringEscapes) {
  EXPECT_EQ(GoJsonString("a<b>&\"\\\n\t\x01\xff"),
            R"("a\u003cb\u003e\u0026\"\\\n\t\u0001\ufffd")");
  EXPECT_EQ(GoQuoted("a\"b\n\x01\xff\xc3\xa9"), R"("a\"b\n\x01\xffé")");
}

TEST(GoFormatTest, HumanizeBytes) {
  EXPECT_EQ(HumanizeBytes(0), "0 B");
  EXPECT_EQ(HumanizeBytes(9), "9 B");
  EXPECT_EQ(HumanizeBytes(693), "693 B");
  EXPECT_EQ(HumanizeBytes(1024), "1.0 kB");
  EXPECT_EQ(HumanizeBytes(31108640), "31 MB");
  EXPECT_EQ(HumanizeBytes(2500000000ULL), "2.5 GB");
}

TEST(GoFormatTest, TableAsTablewriterRendersIt) {
  EXPECT_EQ(RenderTable({"ID", "Status", "Name", "Peer Addrs", "Client Addrs", "Is Learner"},
                        {{"bdae9bbc11dd390d", "started", "d1", "http://127.0.0.1:23801",
                          "http://127.0.0.1:23791", "false"}}),
            "+------------------+---------+------+------------------------+------------------------+------------+\n"
            "|        ID        | STATUS  | NAME |       PEER ADDRS       |      CLIENT ADDRS      | IS LEARNER |\n"
            "+------------------+---------+------+------------------------+------------------------+------------+\n"
            "| bdae9bbc11dd390d | started |   d1 | http://127.0.0.1:23801 | http://127.0.0.1:23791 |      false |\n"
            "+------------------+---------+------+------------------------+------------------------+------------+\n");
}

TEST(GoFormatTest, TableWrapsLongCellsAtSpaces) {
  // What etcdctl 3.4 prints for `endpoint status -w table` with an alarm raised.
  EXPECT_EQ(RenderTable({"errors", "x"}, {{"memberID:15577625027105804835 alarm:NOSPACE ", "1"}}),
            "+-------------------------------+---+\n"
            "|            ERRORS             | X |\n"
            "+-------------------------------+---+\n"
            "| memberID:15577625027105804835 | 1 |\n"
            "|                alarm:NOSPACE  |   |\n"
            "+-------------------------------+---+\n");
  // One long word is never broken.
  EXPECT_EQ(RenderTable({"a"}, {{std::string(40, 'w')}}).size(), 5 * (40 + 4 + 1u));
}

TEST(GoFormatTest, CompactText) {
  etcdserverpb::AlarmMember a;
  a.set_memberid(13668033151171901709ULL);
  a.set_alarm(etcdserverpb::NOSPACE);
  EXPECT_EQ(GoCompactText(a), "memberID:13668033151171901709 alarm:NOSPACE ");
}

TEST(PrinterTest, SimpleAndHex) {
  EXPECT_EQ(Print("simple", [](Printer& p) { p.Get(FooBar()); }), "foo\nbar\n");
  EXPECT_EQ(Print("simple", [](Printer& p) { p.Get(FooBar()); }, /*hex=*/true),
            "\\x66\\x6f\\x6f\n\\x62\\x61\\x72\n");
  auto p = NewPrinter("simple", false);
  SetValueOnly(*p);
  CaptureStdout();
  p->Get(FooBar());
  EXPECT_EQ(GetCapturedStdout(), "bar\n");
}

TEST(PrinterTest, SimpleTxnLeaseAndMembers) {
  etcdserverpb::TxnResponse t;
  t.set_succeeded(false);
  t.add_responses()->mutable_response_put();
  *t.add_responses()->mutable_response_range() = FooBar();
  EXPECT_EQ(Print("simple", [&](Printer& p) { p.Txn(t); }), "FAILURE\n\nOK\n\nfoo\nbar\n");

  etcdserverpb::LeaseTimeToLiveResponse ttl;
  ttl.set_id(0x390da23b2b51860c);
  ttl.set_ttl(99);
  ttl.set_grantedttl(100);
  ttl.add_keys("lk");
  ttl.add_keys("lk2");
  EXPECT_EQ(Print("simple", [&](Printer& p) { p.TimeToLive(ttl, true); }),
            "lease 390da23b2b51860c granted with TTL(100s), remaining(99s), attached keys([lk lk2])\n");
  ttl.set_ttl(-1);
  ttl.set_grantedttl(0);
  EXPECT_EQ(Print("simple", [&](Printer& p) { p.TimeToLive(ttl, false); }),
            "lease 390da23b2b51860c already expired\n");

  etcdserverpb::MemberAddResponse add;
  add.mutable_member()->set_id(0xbe8c7ac4797d3ab);
  add.mutable_header()->set_cluster_id(0xd1cf1ab38ef33c2a);
  EXPECT_EQ(Print("simple", [&](Printer& p) { p.MemberAdd(add); }),
            "Member  be8c7ac4797d3ab added to cluster d1cf1ab38ef33c2a\n");
  EXPECT_EQ(Print("simple", [&](Printer& p) { p.MoveLeader(0xab, 0x0c, {}); }),
            "Leadership transferred from ab to c\n");
}

TEST(PrinterTest, LeaseWrappersInJsonAndProtobuf) {
  etcdserverpb::LeaseGrantResponse g;
  *g.mutable_header() = Header(5);
  g.set_id(4111120409872664069);
  g.set_ttl(100);
  EXPECT_EQ(Print("json", [&](Printer& p) { p.Grant(g); }),
            R"({"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":5,)"
            R"("raft_term":2,"ID":4111120409872664069,"TTL":100,"Error":""})"
            "\n");
  std::string header_bytes;
  g.header().SerializeToString(&header_bytes);
  EXPECT_EQ(Print("protobuf", [&](Printer& p) { p.Grant(g); }), header_bytes);
  etcdserverpb::LeaseLeasesResponse l;
  *l.mutable_header() = Header(5);
  l.add_leases()->set_id(7);
  EXPECT_EQ(Print("json", [&](Printer& p) { p.Leases(l); }),
            R"({"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":5,)"
            R"("raft_term":2,"leases":[{"id":7}]})"
            "\n");
}

TEST(PrinterTest, Fields) {
  EXPECT_EQ(Print("fields", [](Printer& p) { p.Get(FooBar()); }),
            "\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n"
            "\"Revision\" : 3\n\"RaftTerm\" : 2\n\"Key\" : \"foo\"\n\"CreateRevision\" : 2\n"
            "\"ModRevision\" : 2\n\"Version\" : 1\n\"Value\" : \"bar\"\n\"Lease\" : 0\n"
            "\"More\" : false\n\"Count\" : 1\n");
}

TEST(PrinterTest, UnknownFormat) { EXPECT_EQ(NewPrinter("yaml", false), nullptr); }

TEST(TxnParseTest, Compares) {
  auto c = ParseCompare(R"(mod("k 1") > "5")");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->proto().key(), "k 1");
  EXPECT_EQ(c->proto().target(), etcdserverpb::Compare::MOD);
  EXPECT_EQ(c->proto().result(), etcdserverpb::Compare::GREATER);
  EXPECT_EQ(c->proto().mod_revision(), 5);
  auto v = ParseCompare(R"(val("k") != "a\tb")");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->proto().value(), "a\tb");
  EXPECT_EQ(ParseCompare("bogus").status().message(), "malformed comparison: bogus");
  EXPECT_EQ(ParseCompare(R"(ver("k") = "x")").status().message(),
            R"(invalid txn compare request: ver("k") = "x")");
  EXPECT_EQ(ParseCompare(R"(foo("k") = "1")").status().message(),
            R"(malformed comparison: foo("k") = "1" (unknown target foo))");
  EXPECT_EQ(ParseCompare(R"(ver("k" = "1")").status().message(),
            R"(malformed comparison: ver("k" = "1"; got ver("k")  "")");
}

TEST(TxnParseTest, Argify) {
  EXPECT_EQ(Argify(R"(put "a b" "c\"d" e)"), (std::vector<std::string>{"put", "a b", "c\"d", "e"}));
  // etcdctl 3.4 cuts a single-quoted word to [1, number of words - 1).
  EXPECT_EQ(Argify("put 'abcdef' v"), (std::vector<std::string>{"put", "a", "v"}));
}

}  // namespace
}  // namespace etcd::etcdctl
