#include "cmd/etcdctl/printer.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cmd/etcdctl/global.h"
#include "cmd/etcdctl/go_format.h"

namespace etcd::etcdctl {
namespace {

using namespace etcdserverpb;  // NOLINT: every response type of this file

void Out(absl::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }
void Line(absl::string_view s) {
  Out(s);
  Out("\n");
}

std::string Hex16(uint64_t v) { return absl::StrFormat("%016x", v); }

std::string GoStringList(const std::vector<std::string>& v) {
  return "[" + absl::StrJoin(v, " ") + "]";
}

// ---- the rows shared by the simple and table printers (printer.go's make*Table) ----

std::vector<std::string> MemberListHeader() {
  return {"ID", "Status", "Name", "Peer Addrs", "Client Addrs", "Is Learner"};
}
std::vector<std::vector<std::string>> MemberListRows(const MemberListResponse& r) {
  std::vector<std::vector<std::string>> rows;
  for (const Member& m : r.members()) {
    rows.push_back({absl::StrFormat("%x", m.id()), m.name().empty() ? "unstarted" : "started",
                    m.name(), absl::StrJoin(m.peerurls(), ","), absl::StrJoin(m.clienturls(), ","),
                    m.islearner() ? "true" : "false"});
  }
  return rows;
}

std::vector<std::string> HealthHeader() { return {"endpoint", "health", "took", "error"}; }
std::vector<std::vector<std::string>> HealthRows(const std::vector<EndpointHealth>& list) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : list) {
    rows.push_back({h.endpoint, h.health ? "true" : "false", h.took, h.error});
  }
  return rows;
}

std::vector<std::string> StatusHeader() {
  return {"endpoint",  "ID",        "version",    "db size",            "is leader",
          "is learner", "raft term", "raft index", "raft applied index", "errors"};
}
std::vector<std::vector<std::string>> StatusRows(const std::vector<EndpointStatus>& list) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : list) {
    const StatusResponse& r = s.status;
    rows.push_back({s.endpoint, absl::StrFormat("%x", r.header().member_id()), r.version(),
                    HumanizeBytes(static_cast<uint64_t>(r.dbsize())),
                    r.leader() == r.header().member_id() ? "true" : "false",
                    r.islearner() ? "true" : "false", std::to_string(r.raftterm()),
                    std::to_string(r.raftindex()), std::to_string(r.raftappliedindex()),
                    absl::StrJoin(r.errors(), ", ")});
  }
  return rows;
}

std::vector<std::string> HashKVHeader() { return {"endpoint", "hash"}; }
std::vector<std::vector<std::string>> HashKVRows(const std::vector<EndpointHashKV>& list) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : list) rows.push_back({h.endpoint, std::to_string(h.hash_kv.hash())});
  return rows;
}

std::vector<std::string> DBStatusHeader() { return {"hash", "revision", "total keys", "total size"}; }
std::vector<std::vector<std::string>> DBStatusRows(const SnapshotStatus& s) {
  return {{absl::StrFormat("%x", s.hash), std::to_string(s.revision),
           std::to_string(s.total_key), HumanizeBytes(static_cast<uint64_t>(s.total_size))}};
}

void PrintRows(const std::vector<std::vector<std::string>>& rows) {
  for (const auto& row : rows) Line(absl::StrJoin(row, ", "));
}

// ---- simple ----

class SimplePrinter : public Printer {
 public:
  explicit SimplePrinter(bool hex) : Printer("simple"), hex_(hex) {}
  void set_value_only() { value_only_ = true; }

  void Get(const RangeResponse& r) override {
    for (const auto& kv : r.kvs()) KV(kv);
  }
  void Put(const PutResponse& r) override {
    Line("OK");
    if (r.has_prev_kv()) KV(r.prev_kv());
  }
  void Del(const DeleteRangeResponse& r) override {
    Line(std::to_string(r.deleted()));
    for (const auto& kv : r.prev_kvs()) KV(kv);
  }
  void Txn(const TxnResponse& r) override {
    Line(r.succeeded() ? "SUCCESS" : "FAILURE");
    for (const ResponseOp& op : r.responses()) {
      Line("");
      switch (op.response_case()) {
        case ResponseOp::kResponseRange: Get(op.response_range()); break;
        case ResponseOp::kResponsePut: Put(op.response_put()); break;
        case ResponseOp::kResponseDeleteRange: Del(op.response_delete_range()); break;
        default: Line("unexpected response " + GoCompactText(op));
      }
    }
  }
  void Watch(const WatchResponse& r) override {
    for (const mvccpb::Event& e : r.events()) {
      Line(mvccpb::Event::EventType_Name(e.type()));
      if (e.has_prev_kv()) KV(e.prev_kv());
      KV(e.kv());
    }
  }
  void Grant(const LeaseGrantResponse& r) override {
    Line(absl::StrFormat("lease %016x granted with TTL(%ds)", r.id(), r.ttl()));
  }
  void Revoke(int64_t id, const LeaseRevokeResponse&) override {
    Line(absl::StrFormat("lease %016x revoked", id));
  }
  void KeepAlive(const LeaseKeepAliveResponse& r) override {
    Line(absl::StrFormat("lease %016x keepalived with TTL(%d)", r.id(), r.ttl()));
  }
  void TimeToLive(const LeaseTimeToLiveResponse& r, bool keys) override {
    if (r.grantedttl() == 0 && r.ttl() == -1) {
      Line(absl::StrFormat("lease %016x already expired", r.id()));
      return;
    }
    std::string text = absl::StrFormat("lease %016x granted with TTL(%ds), remaining(%ds)", r.id(),
                                       r.grantedttl(), r.ttl());
    if (keys) {
      absl::StrAppend(&text, ", attached keys(",
                      GoStringList({r.keys().begin(), r.keys().end()}), ")");
    }
    Line(text);
  }
  void Leases(const LeaseLeasesResponse& r) override {
    Line(absl::StrFormat("found %d leases", r.leases_size()));
    for (const auto& l : r.leases()) Line(Hex16(l.id()));
  }
  void MemberAdd(const MemberAddResponse& r) override {
    Line(absl::StrFormat("Member %16x added to cluster %16x", r.member().id(),
                         r.header().cluster_id()));
  }
  void MemberRemove(uint64_t id, const MemberRemoveResponse& r) override {
    Line(absl::StrFormat("Member %16x removed from cluster %16x", id, r.header().cluster_id()));
  }
  void MemberUpdate(uint64_t id, const MemberUpdateResponse& r) override {
    Line(absl::StrFormat("Member %16x updated in cluster %16x", id, r.header().cluster_id()));
  }
  void MemberPromote(uint64_t id, const MemberPromoteResponse& r) override {
    Line(absl::StrFormat("Member %16x promoted in cluster %16x", id, r.header().cluster_id()));
  }
  void MemberList(const MemberListResponse& r) override { PrintRows(MemberListRows(r)); }
  void EndpointHealthList(const std::vector<EndpointHealth>& list) override {
    std::fflush(stdout);
    for (const auto& h : list) {
      if (h.error.empty()) {
        std::cerr << h.endpoint
                  << " is healthy: successfully committed proposal: took = " << h.took << "\n";
      } else {
        std::cerr << h.endpoint << " is unhealthy: failed to commit proposal: " << h.error
                  << "\n";
      }
    }
  }
  void EndpointStatusList(const std::vector<EndpointStatus>& list) override {
    PrintRows(StatusRows(list));
  }
  void EndpointHashKVList(const std::vector<EndpointHashKV>& list) override {
    PrintRows(HashKVRows(list));
  }
  void MoveLeader(uint64_t leader, uint64_t target, const MoveLeaderResponse&) override {
    Line(absl::StrFormat("Leadership transferred from %x to %x", leader, target));
  }
  void Alarm(const AlarmResponse& r) override {
    for (const AlarmMember& a : r.alarms()) Line(GoCompactText(a));
  }
  void DBStatus(const SnapshotStatus& s) override { PrintRows(DBStatusRows(s)); }
  // printer_simple.go: lists print one name a line; user get and role get add what the
  // server answered to the text the command made ("User: u\nRoles:\n", "Role r\n...").
  void AuthResponse(const google::protobuf::Message& r, absl::string_view text) override {
    if (const auto* users = dynamic_cast<const AuthUserListResponse*>(&r)) {
      for (const std::string& u : users->users()) Line(u);
    } else if (const auto* roles = dynamic_cast<const AuthRoleListResponse*>(&r)) {
      for (const std::string& role : roles->roles()) Line(role);
    } else if (const auto* user = dynamic_cast<const AuthUserGetResponse*>(&r);
               user != nullptr && absl::EndsWith(text, "\n")) {
      Out(text.substr(0, text.size() - 1));
      for (const std::string& role : user->roles()) Out(" " + role);
      Out("\n");
    } else if (const auto* role = dynamic_cast<const AuthRoleGetResponse*>(&r);
               role != nullptr && absl::StartsWith(text, "Role ")) {
      Line(text.substr(0, text.find('\n')));
      RolePermissions("KV Read:", *role, authpb::Permission::WRITE);
      RolePermissions("KV Write:", *role, authpb::Permission::READ);
    } else {
      Out(text);
    }
  }

 private:
  // printKV of printer_simple.go / util.go.
  void KV(const mvccpb::KeyValue& kv) {
    std::string k = kv.key(), v = kv.value();
    if (hex_) k = HexBytes(k), v = HexBytes(v);
    if (!value_only_) Line(k);
    Line(v);
  }
  static std::string HexBytes(absl::string_view s) {
    std::string out;
    for (unsigned char c : s) absl::StrAppendFormat(&out, "\\x%02x", c);
    return out;
  }

  // The permissions of `r` other than `excluded` (READWRITE counts as both), under `title`.
  static void RolePermissions(absl::string_view title, const AuthRoleGetResponse& r,
                              authpb::Permission::Type excluded) {
    Line(title);
    for (const authpb::Permission& p : r.perm()) {
      if (p.permtype() == excluded) continue;
      if (p.range_end().empty()) {
        Line("\t" + p.key());
        continue;
      }
      std::string line = p.range_end() != std::string(1, '\0')
                             ? absl::StrCat("\t[", p.key(), ", ", p.range_end(), ")")
                             : absl::StrCat("\t[", p.key(), ", <open ended>");
      if (client::PrefixEnd(p.key()) == p.range_end()) absl::StrAppend(&line, " (prefix ", p.key(), ")");
      Line(line);
    }
  }

  const bool hex_;
  bool value_only_ = false;
};

// ---- fields ----

class FieldsPrinter : public Printer {
 public:
  FieldsPrinter() : Printer("fields") {}

  void Get(const RangeResponse& r) override {
    Header(r.header());
    for (const auto& kv : r.kvs()) KV("", kv);
    Line(absl::StrCat("\"More\" : ", r.more() ? "true" : "false"));
    Line(absl::StrCat("\"Count\" : ", r.count()));
  }
  void Put(const PutResponse& r) override {
    Header(r.header());
    if (r.has_prev_kv()) KV("Prev", r.prev_kv());
  }
  void Del(const DeleteRangeResponse& r) override {
    Header(r.header());
    Line(absl::StrCat("\"Deleted\" : ", r.deleted()));
    for (const auto& kv : r.prev_kvs()) KV("Prev", kv);
  }
  void Txn(const TxnResponse& r) override {
    Header(r.header());
    Line(absl::StrCat("\"Succeeded\" : ", r.succeeded() ? "true" : "false"));
    for (const ResponseOp& op : r.responses()) {
      switch (op.response_case()) {
        case ResponseOp::kResponseRange: Get(op.response_range()); break;
        case ResponseOp::kResponsePut: Put(op.response_put()); break;
        case ResponseOp::kResponseDeleteRange: Del(op.response_delete_range()); break;
        default: Line("\"Unknown\" : " + GoQuoted(GoCompactText(op)));
      }
    }
  }
  void Watch(const WatchResponse& r) override {
    Header(r.header());
    for (const mvccpb::Event& e : r.events()) {
      Line(absl::StrCat("\"Type\" : ", mvccpb::Event::EventType_Name(e.type())));
      if (e.has_prev_kv()) KV("Prev", e.prev_kv());
      KV("", e.kv());
    }
  }
  void Grant(const LeaseGrantResponse& r) override {
    Header(r.header());
    Line(absl::StrCat("\"ID\" : ", r.id()));
    Line(absl::StrCat("\"TTL\" : ", r.ttl()));
  }
  void Revoke(int64_t, const LeaseRevokeResponse& r) override { Header(r.header()); }
  void KeepAlive(const LeaseKeepAliveResponse& r) override {
    Header(r.header());
    Line(absl::StrCat("\"ID\" : ", r.id()));
    Line(absl::StrCat("\"TTL\" : ", r.ttl()));
  }
  void TimeToLive(const LeaseTimeToLiveResponse& r, bool) override {
    Header(r.header());
    Line(absl::StrCat("\"ID\" : ", r.id()));
    Line(absl::StrCat("\"TTL\" : ", r.ttl()));
    Line(absl::StrCat("\"GrantedTTL\" : ", r.grantedttl()));
    for (const auto& k : r.keys()) Line("\"Key\" : " + GoQuoted(k));
  }
  void Leases(const LeaseLeasesResponse& r) override {
    Header(r.header());
    for (const auto& l : r.leases()) Line(absl::StrCat("\"ID\" : ", l.id()));
  }
  void MemberList(const MemberListResponse& r) override {
    Header(r.header());
    for (const Member& m : r.members()) {
      Line(absl::StrCat("\"ID\" : ", m.id()));
      Line("\"Name\" : " + GoQuoted(m.name()));
      for (const auto& u : m.peerurls()) Line("\"PeerURL\" : " + GoQuoted(u));
      for (const auto& u : m.clienturls()) Line("\"ClientURL\" : " + GoQuoted(u));
      Line(absl::StrCat("\"IsLearner\" : ", m.islearner() ? "true" : "false"));
      Line("");
    }
  }
  void EndpointHealthList(const std::vector<EndpointHealth>& list) override {
    for (const auto& h : list) {
      Line("\"Endpoint\" : " + GoQuoted(h.endpoint));
      Line(absl::StrCat("\"Health\" : ", h.health ? "true" : "false"));
      Line("\"Took\" : " + h.took);
      Line("\"Error\" : " + h.error);
      Line("");
    }
  }
  void EndpointStatusList(const std::vector<EndpointStatus>& list) override {
    for (const auto& s : list) {
      const StatusResponse& r = s.status;
      Header(r.header());
      Line("\"Version\" : " + GoQuoted(r.version()));
      Line(absl::StrCat("\"DBSize\" : ", r.dbsize()));
      Line(absl::StrCat("\"Leader\" : ", r.leader()));
      Line(absl::StrCat("\"IsLearner\" : ", r.islearner() ? "true" : "false"));
      Line(absl::StrCat("\"RaftIndex\" : ", r.raftindex()));
      Line(absl::StrCat("\"RaftTerm\" : ", r.raftterm()));
      Line(absl::StrCat("\"RaftAppliedIndex\" : ", r.raftappliedindex()));
      Line("\"Errors\" : " + GoStringList({r.errors().begin(), r.errors().end()}));
      Line("\"Endpoint\" : " + GoQuoted(s.endpoint));
      Line("");
    }
  }
  void EndpointHashKVList(const std::vector<EndpointHashKV>& list) override {
    for (const auto& h : list) {
      Header(h.hash_kv.header());
      Line("\"Endpoint\" : " + GoQuoted(h.endpoint));
      Line(absl::StrCat("\"Hash\" : ", h.hash_kv.hash()));
      Line("");
    }
  }
  void Alarm(const AlarmResponse& r) override {
    if (!r.has_header()) Panic();  // `alarm disarm`'s response has none: Go dereferences nil
    Header(r.header());
    for (const AlarmMember& a : r.alarms()) {
      Line(absl::StrCat("\"MemberID\" : ", a.memberid()));
      Line(absl::StrCat("\"AlarmType\" : ", AlarmType_Name(a.alarm())));
      Line("");
    }
  }
  void DBStatus(const SnapshotStatus& s) override {
    Line(absl::StrCat("\"Hash\" : ", s.hash));
    Line(absl::StrCat("\"Revision\" : ", s.revision));
    Line(absl::StrCat("\"Keys\" : ", s.total_key));
    Line(absl::StrCat("\"Size\" : ", s.total_size));
  }
  void AuthResponse(const google::protobuf::Message& r, absl::string_view) override {
    const auto* f = r.GetDescriptor()->FindFieldByName("header");
    if (f != nullptr) {
      Header(static_cast<const ResponseHeader&>(r.GetReflection()->GetMessage(r, f)));
    }
  }

 private:
  static void Header(const ResponseHeader& h) {
    Line(absl::StrCat("\"ClusterID\" : ", h.cluster_id()));
    Line(absl::StrCat("\"MemberID\" : ", h.member_id()));
    Line(absl::StrCat("\"Revision\" : ", h.revision()));
    Line(absl::StrCat("\"RaftTerm\" : ", h.raft_term()));
  }
  static void KV(absl::string_view prefix, const mvccpb::KeyValue& kv) {
    Line(absl::StrCat("\"", prefix, "Key\" : ", GoQuoted(kv.key())));
    Line(absl::StrCat("\"", prefix, "CreateRevision\" : ", kv.create_revision()));
    Line(absl::StrCat("\"", prefix, "ModRevision\" : ", kv.mod_revision()));
    Line(absl::StrCat("\"", prefix, "Version\" : ", kv.version()));
    Line(absl::StrCat("\"", prefix, "Value\" : ", GoQuoted(kv.value())));
    Line(absl::StrCat("\"", prefix, "Lease\" : ", kv.lease()));
  }
};

// ---- json and protobuf: the RPC responses printed whole (printerRPC) ----

class RpcPrinter : public Printer {
 public:
  using Printer::Printer;
  void Get(const RangeResponse& r) override { Print(r); }
  void Put(const PutResponse& r) override { Print(r); }
  void Del(const DeleteRangeResponse& r) override { Print(r); }
  void Txn(const TxnResponse& r) override { Print(r); }
  void Watch(const WatchResponse& r) override { Print(r); }
  void MemberAdd(const MemberAddResponse& r) override { Print(r); }
  void MemberRemove(uint64_t, const MemberRemoveResponse& r) override { Print(r); }
  void MemberUpdate(uint64_t, const MemberUpdateResponse& r) override { Print(r); }
  void MemberList(const MemberListResponse& r) override { Print(r); }
  void Alarm(const AlarmResponse& r) override { Print(r); }
  void MoveLeader(uint64_t, uint64_t, const MoveLeaderResponse& r) override { Print(r); }
  void AuthResponse(const google::protobuf::Message& r, absl::string_view) override { Print(r); }

 protected:
  virtual void Print(const google::protobuf::Message& m) = 0;
};

class JsonPrinter : public RpcPrinter {
 public:
  JsonPrinter() : RpcPrinter("json") {}

  // clientv3's wrapper structs: the header's fields promoted, then the wrapper's own.
  void Grant(const LeaseGrantResponse& r) override {
    Line(absl::StrCat("{", Promoted(r.header()), "\"ID\":", r.id(), ",\"TTL\":", r.ttl(),
                      ",\"Error\":", GoJsonString(r.error()), "}"));
  }
  void Revoke(int64_t, const LeaseRevokeResponse& r) override { Print(r); }
  void KeepAlive(const LeaseKeepAliveResponse& r) override {
    Line(absl::StrCat("{", Promoted(r.header()), "\"ID\":", r.id(), ",\"TTL\":", r.ttl(), "}"));
  }
  void TimeToLive(const LeaseTimeToLiveResponse& r, bool) override {
    std::string keys = "null";
    if (r.keys_size() > 0) {
      std::vector<std::string> quoted;
      for (const auto& k : r.keys()) quoted.push_back("\"" + absl::Base64Escape(k) + "\"");
      keys = "[" + absl::StrJoin(quoted, ",") + "]";
    }
    Line(absl::StrCat("{", Promoted(r.header()), "\"id\":", r.id(), ",\"ttl\":", r.ttl(),
                      ",\"granted-ttl\":", r.grantedttl(), ",\"keys\":", keys, "}"));
  }
  void Leases(const LeaseLeasesResponse& r) override {
    std::vector<std::string> leases;
    for (const auto& l : r.leases()) leases.push_back(absl::StrCat("{\"id\":", l.id(), "}"));
    Line(absl::StrCat("{", Promoted(r.header()), "\"leases\":[", absl::StrJoin(leases, ","),
                      "]}"));
  }
  // clientv3.WatchResponse: Header by value, Go field names, no omitempty (Events is never
  // nil: etcdctl prints [] for a response without events).
  void Watch(const WatchResponse& r) override {
    std::vector<std::string> list;
    for (const auto& e : r.events()) list.push_back(GoJson(e));
    const std::string events = "[" + absl::StrJoin(list, ",") + "]";
    Line(absl::StrCat("{\"Header\":", GoJson(r.header()), ",\"Events\":", events,
                      ",\"CompactRevision\":", r.compact_revision(),
                      ",\"Canceled\":", r.canceled() ? "true" : "false",
                      ",\"Created\":", r.created() ? "true" : "false", "}"));
  }
  void EndpointHealthList(const std::vector<EndpointHealth>& list) override {
    std::vector<std::string> items;
    for (const auto& h : list) {
      std::string item = absl::StrCat("{\"endpoint\":", GoJsonString(h.endpoint),
                                      ",\"health\":", h.health ? "true" : "false",
                                      ",\"took\":", GoJsonString(h.took));
      if (!h.error.empty()) absl::StrAppend(&item, ",\"error\":", GoJsonString(h.error));
      items.push_back(item + "}");
    }
    Line("[" + absl::StrJoin(items, ",") + "]");
  }
  void EndpointStatusList(const std::vector<EndpointStatus>& list) override {
    std::vector<std::string> items;
    for (const auto& s : list) {
      items.push_back(absl::StrCat("{\"Endpoint\":", GoJsonString(s.endpoint),
                                   ",\"Status\":", GoJson(s.status), "}"));
    }
    Line("[" + absl::StrJoin(items, ",") + "]");
  }
  void EndpointHashKVList(const std::vector<EndpointHashKV>& list) override {
    std::vector<std::string> items;
    for (const auto& h : list) {
      items.push_back(absl::StrCat("{\"Endpoint\":", GoJsonString(h.endpoint),
                                   ",\"HashKV\":", GoJson(h.hash_kv), "}"));
    }
    Line("[" + absl::StrJoin(items, ",") + "]");
  }
  void DBStatus(const SnapshotStatus& s) override {
    Line(absl::StrCat("{\"hash\":", s.hash, ",\"revision\":", s.revision,
                      ",\"totalKey\":", s.total_key, ",\"totalSize\":", s.total_size, "}"));
  }

 protected:
  void Print(const google::protobuf::Message& m) override { Line(GoJson(m)); }

 private:
  static std::string Promoted(const ResponseHeader& h) {
    std::string members = GoJsonMembers(h);
    return members.empty() ? members : members + ",";
  }
};

class ProtobufPrinter : public RpcPrinter {
 public:
  ProtobufPrinter() : RpcPrinter("protobuf") {}
  // The clientv3 wrappers embed *pb.ResponseHeader, whose Marshal method is promoted: Go
  // prints the header alone.
  void Grant(const LeaseGrantResponse& r) override { Print(r.header()); }
  void KeepAlive(const LeaseKeepAliveResponse& r) override { Print(r.header()); }
  void TimeToLive(const LeaseTimeToLiveResponse& r, bool) override { Print(r.header()); }
  void Leases(const LeaseLeasesResponse& r) override { Print(r.header()); }
  // etcdctl rebuilds the response from clientv3's: header, events, compact revision,
  // canceled and created only.
  void Watch(const WatchResponse& r) override {
    WatchResponse copy = r;
    copy.clear_watch_id();
    copy.clear_cancel_reason();
    copy.clear_fragment();
    Print(copy);
  }
  // A LeaseRevokeResponse value has no Marshal method in Go.
  void Revoke(int64_t, const LeaseRevokeResponse& r) override {
    ExitWithError(kExitBadFeature,
                  absl::StrCat("marshal unsupported for type clientv3.LeaseRevokeResponse ({",
                               GoCompactText(r.header()), "})"));
  }

 protected:
  void Print(const google::protobuf::Message& m) override {
    std::string bytes;
    m.SerializeToString(&bytes);
    Out(bytes);
  }
};

// ---- table ----

class TablePrinter : public Printer {
 public:
  TablePrinter() : Printer("table") {}
  void MemberList(const MemberListResponse& r) override {
    Out(RenderTable(MemberListHeader(), MemberListRows(r)));
  }
  void EndpointHealthList(const std::vector<EndpointHealth>& list) override {
    Out(RenderTable(HealthHeader(), HealthRows(list)));
  }
  void EndpointStatusList(const std::vector<EndpointStatus>& list) override {
    Out(RenderTable(StatusHeader(), StatusRows(list)));
  }
  void EndpointHashKVList(const std::vector<EndpointHashKV>& list) override {
    Out(RenderTable(HashKVHeader(), HashKVRows(list)));
  }
  void DBStatus(const SnapshotStatus& s) override {
    Out(RenderTable(DBStatusHeader(), DBStatusRows(s)));
  }
};

}  // namespace

std::mutex& PrintMutex() {
  static std::mutex mu;
  return mu;
}

void Printer::Unsupported() const {
  ExitWithError(kExitBadFeature, format_ + " not supported as output format");
}

void Printer::Panic() const {
  std::fflush(stdout);
  std::cerr << "panic: runtime error: invalid memory address or nil pointer dereference\n"
               "[signal SIGSEGV: segmentation violation]\n";
  std::exit(2);
}

void Printer::Get(const RangeResponse&) { Unsupported(); }
void Printer::Put(const PutResponse&) { Unsupported(); }
void Printer::Del(const DeleteRangeResponse&) { Unsupported(); }
void Printer::Txn(const TxnResponse&) { Unsupported(); }
void Printer::Watch(const WatchResponse&) { Unsupported(); }
void Printer::Grant(const LeaseGrantResponse&) { Unsupported(); }
void Printer::Revoke(int64_t, const LeaseRevokeResponse&) { Unsupported(); }
void Printer::KeepAlive(const LeaseKeepAliveResponse&) { Unsupported(); }
void Printer::TimeToLive(const LeaseTimeToLiveResponse&, bool) { Unsupported(); }
void Printer::Leases(const LeaseLeasesResponse&) { Unsupported(); }
void Printer::MemberAdd(const MemberAddResponse&) { Unsupported(); }
void Printer::MemberRemove(uint64_t, const MemberRemoveResponse&) { Unsupported(); }
void Printer::MemberUpdate(uint64_t, const MemberUpdateResponse&) { Unsupported(); }
void Printer::MemberPromote(uint64_t, const MemberPromoteResponse&) { Panic(); }
void Printer::MemberList(const MemberListResponse&) { Unsupported(); }
void Printer::EndpointHealthList(const std::vector<EndpointHealth>&) { Unsupported(); }
void Printer::EndpointStatusList(const std::vector<EndpointStatus>&) { Unsupported(); }
void Printer::EndpointHashKVList(const std::vector<EndpointHashKV>&) { Unsupported(); }
void Printer::MoveLeader(uint64_t, uint64_t, const MoveLeaderResponse&) { Unsupported(); }
void Printer::Alarm(const AlarmResponse&) { Unsupported(); }
void Printer::DBStatus(const SnapshotStatus&) { Unsupported(); }
void Printer::AuthResponse(const google::protobuf::Message&, absl::string_view) { Unsupported(); }

std::unique_ptr<Printer> NewPrinter(absl::string_view format, bool hex) {
  if (format == "simple") return std::make_unique<SimplePrinter>(hex);
  if (format == "fields") return std::make_unique<FieldsPrinter>();
  if (format == "json") return std::make_unique<JsonPrinter>();
  if (format == "protobuf") return std::make_unique<ProtobufPrinter>();
  if (format == "table") return std::make_unique<TablePrinter>();
  return nullptr;
}

void SetValueOnly(Printer& printer) {
  if (auto* simple = dynamic_cast<SimplePrinter*>(&printer)) simple->set_value_only();
}

}  // namespace etcd::etcdctl
