// End-to-end: TLS and auth of our client library and our etcdctl, against the real etcd 3.4
// (Debian's /usr/bin/etcd: our daemon has neither yet).
//
// The certificates are made by the openssl CLI in the test's temp dir: a CA, a server
// certificate for IP 127.0.0.1, a client certificate (CN "client"), and a second CA that signed
// nothing of the server's. Two real etcd members ("twins") serve https:// with
// --client-cert-auth; as in etcdctl_compare_test, every step runs the real etcdctl against twin
// A and ours against twin B with the same flags, and the standard output, the "Error:" line and
// the exit code must be equal. Then auth is enabled on both twins (root, a role with a read
// permission on a prefix, a user with that role), exercised, and disabled again.
//
// A last test drives the client library directly against a plain-text real etcd with auth: the
// token goes with unary calls and watch streams, and a token the server forgot (a restart
// drops etcd's simple tokens) is renewed by the client without the caller noticing.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/etcdserverpb/rpc.grpc.pb.h"
#include "client/client.h"
#include "testing/etcd_process.h"
#include "testing/etcdctl_compare.h"
#include "testing/process.h"

namespace etcd::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Runs one openssl command in `dir`; fails the test with its output if it fails.
void OpenSsl(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/openssl");
  for (std::string& a : args) {
    if (a.rfind("@", 0) == 0) a = dir + "/" + a.substr(1);  // "@name": a file of `dir`
  }
  auto r = RunCommand(args, {}, "", seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << ArgsText(args) << "\n" << r->err;
}

// A CA (ca.crt/ca.key), a server certificate for 127.0.0.1 (server.crt/.key), a client
// certificate (client.crt/.key) signed by it, and another CA (other.crt) that signed neither.
void MakeCertificates(const std::string& dir) {
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
  };
  write("server.ext", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  write("client.ext", "extendedKeyUsage=clientAuth\n");
  write("garbage.txt", "this is not PEM\n");
  for (const char* ca : {"ca", "other"}) {
    OpenSsl(dir, {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                  absl::StrCat("@", ca, ".key"), "-out", absl::StrCat("@", ca, ".crt"), "-days",
                  "3650", "-subj", absl::StrCat("/CN=", ca, "-ca")});
  }
  int serial = 1;
  for (const char* leaf : {"server", "client"}) {
    OpenSsl(dir, {"req", "-newkey", "rsa:2048", "-nodes", "-keyout",
                  absl::StrCat("@", leaf, ".key"), "-out", absl::StrCat("@", leaf, ".csr"),
                  "-subj", absl::StrCat("/CN=", leaf)});
    OpenSsl(dir, {"x509", "-req", "-in", absl::StrCat("@", leaf, ".csr"), "-CA", "@ca.crt",
                  "-CAkey", "@ca.key", "-set_serial", std::to_string(serial++), "-out",
                  absl::StrCat("@", leaf, ".crt"), "-days", "3650", "-extfile",
                  absl::StrCat("@", leaf, ".ext")});
  }
}

// The real etcd serving https:// on 127.0.0.1 with client certificates required.
absl::StatusOr<EtcdProcess> StartTlsEtcd(const std::string& name, const std::string& certs) {
  const std::string dir = NewTempDir(name);
  const int client_port = FreePort(), peer_port = FreePort();
  const std::string client = absl::StrCat("https://127.0.0.1:", client_port);
  const std::string peer = absl::StrCat("http://127.0.0.1:", peer_port);
  auto p = EtcdProcess::StartRaw(
      kRealEtcd, name,
      // The same member name for both twins: member list shows it.
      {"--name", "default", "--data-dir", dir + "/data", "--listen-client-urls", client,
       "--advertise-client-urls", client, "--listen-peer-urls", peer,
       "--initial-advertise-peer-urls", peer, "--initial-cluster", "default=" + peer,
       "--cert-file", certs + "/server.crt", "--key-file", certs + "/server.key",
       "--trusted-ca-file", certs + "/ca.crt", "--client-cert-auth"},
      {}, client_port, /*wait_healthy=*/false);
  if (!p.ok()) return p.status();
  // Healthy: the real etcdctl, with the client certificate, sees a leader.
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!p->Running()) return absl::AbortedError("etcd exited; log:\n" + p->Log());
    auto r = p->Etcdctl({"--cacert", certs + "/ca.crt", "--cert", certs + "/client.crt", "--key",
                         certs + "/client.key", "--command-timeout=2s", "endpoint", "health"});
    if (r.ok() && r->exit_code == 0) return p;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return absl::DeadlineExceededError("etcd did not become healthy; log:\n" + p->Log());
}

class EtcdctlTlsAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new std::string(NewTempDir("certs"));
    MakeCertificates(*certs_);
    if (::testing::Test::HasFatalFailure()) return;
    for (auto [twin, name] : {std::pair{&a_, "tls-a"}, std::pair{&b_, "tls-b"}}) {
      auto p = StartTlsEtcd(name, *certs_);
      ASSERT_TRUE(p.ok()) << p.status();
      *twin = new EtcdProcess(std::move(*p));
    }
  }
  static void TearDownTestSuite() {
    delete a_;
    delete b_;
    delete certs_;
  }
  void SetUp() override {
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
    t_.real.endpoints = a_->endpoint();
    t_.ours.endpoints = b_->endpoint();
    t_.real.vars["port"] = std::to_string(a_->client_port());
    t_.ours.vars["port"] = std::to_string(b_->client_port());
    UseFlags(Tls());
  }

  static std::string Cert(const std::string& name) { return *certs_ + "/" + name; }
  // The flags of a client that the servers accept.
  static std::vector<std::string> Tls() {
    return {"--cacert", Cert("ca.crt"), "--cert", Cert("client.crt"), "--key", Cert("client.key")};
  }
  void UseFlags(const std::vector<std::string>& flags) {
    t_.real.global_args = flags;
    t_.ours.global_args = flags;
  }

  static std::string* certs_;
  static EtcdProcess* a_;
  static EtcdProcess* b_;
  Twins t_;
};

std::string* EtcdctlTlsAuthTest::certs_ = nullptr;
EtcdProcess* EtcdctlTlsAuthTest::a_ = nullptr;
EtcdProcess* EtcdctlTlsAuthTest::b_ = nullptr;

TEST_F(EtcdctlTlsAuthTest, CommandsOverTls) {
  Outcome put = t_.Both({"put", "tls/a", "1"});
  EXPECT_EQ(put.out, "OK\n");
  EXPECT_EQ(put.exit_code, 0);
  t_.Both({"put", "tls/b", "two words"});
  Outcome got = t_.Both({"get", "tls/", "--prefix"});
  EXPECT_EQ(got.out, "tls/a\n1\ntls/b\ntwo words\n");
  t_.Both({"get", "tls/a", "-w", "json"});
  Outcome members = t_.Both({"member", "list"});
  EXPECT_NE(members.out.find("https://127.0.0.1:<port>"), std::string::npos) << members.out;
  t_.Both({"member", "list", "-w", "table"});
  // endpoint health prints on stderr.
  Outcome health = t_.Both({"endpoint", "health"}, {.compare_stderr = true});
  EXPECT_NE(health.err.find("127.0.0.1:<port> is healthy: successfully committed proposal"),
            std::string::npos)
      << health.err;
  t_.Both({"endpoint", "status"});
  // A watch (from the first revision, so both see the same history) that ends at its first
  // event: the command it runs fails.
  Outcome watched = t_.Both({"watch", "tls/a", "--rev", "1", "--", "false"},
                            {.compare_stderr = true, .timeout = seconds(10)});
  EXPECT_EQ(watched.out, "PUT\ntls/a\n1\n");
  EXPECT_EQ(watched.exit_code, 1);
  t_.Both({"lease", "grant", "100"});
  t_.Both({"del", "tls/", "--prefix"});
  t_.Both({"get", "tls/", "--prefix", "-w", "fields"});
  // https:// endpoints: the same, scheme given.
  t_.Both({"--endpoints=https://127.0.0.1:{port}", "get", "tls/a"}, {.endpoints_flag = false});
  // The files from the environment.
  for (Side* side : {&t_.real, &t_.ours}) side->global_args.clear();
  Outcome from_env = t_.Both({"put", "tls/env", "v"},
                             {.env = {{"ETCDCTL_CACERT", Cert("ca.crt")},
                                      {"ETCDCTL_CERT", Cert("client.crt")},
                                      {"ETCDCTL_KEY", Cert("client.key")}}});
  EXPECT_EQ(from_env.out, "OK\n");
  // The server is not verified at all with --insecure-skip-tls-verify: no CA needed.
  UseFlags({"--insecure-skip-tls-verify", "--cert", Cert("client.crt"), "--key",
            Cert("client.key")});
  Outcome unverified = t_.Both({"get", "tls/env"});
  EXPECT_EQ(unverified.out, "tls/env\nv\n");
  t_.Both({"--endpoints=https://127.0.0.1:{port}", "--insecure-skip-tls-verify", "--cert",
           Cert("client.crt"), "--key", Cert("client.key"), "get", "tls/env"},
          {.endpoints_flag = false});
}

TEST_F(EtcdctlTlsAuthTest, TlsErrors) {
  // What cannot be connected ends at the command timeout: "context deadline exceeded", exit 1.
  const std::vector<std::string> fast = {"--command-timeout=1s", "--dial-timeout=1s"};
  const StepOptions step{.timeout = seconds(15)};
  struct Case {
    std::string what;
    std::vector<std::string> flags;
    std::string error;
    int exit_code;
  };
  const std::string deadline = "Error: context deadline exceeded";
  const std::vector<Case> cases = {
      {"plain-text client to a TLS server", {}, deadline, 1},
      {"no client certificate", {"--cacert", Cert("ca.crt")}, deadline, 1},
      {"a CA that did not sign the server",
       {"--cacert", Cert("other.crt"), "--cert", Cert("client.crt"), "--key", Cert("client.key")},
       deadline, 1},
      {"a CA file without certificates",
       {"--cacert", Cert("garbage.txt"), "--cert", Cert("client.crt"), "--key",
        Cert("client.key")},
       deadline, 1},
      {"the system's roots (--insecure-transport=false)",
       {"--insecure-transport=false", "--cert", Cert("client.crt"), "--key", Cert("client.key")},
       deadline, 1},
      {"a private key as the CA",
       {"--cacert", Cert("ca.key"), "--cert", Cert("client.crt"), "--key", Cert("client.key")},
       "Error: x509: malformed tbs certificate", 128},
      {"a missing CA file",
       {"--cacert", Cert("nope.crt"), "--cert", Cert("client.crt"), "--key", Cert("client.key")},
       "Error: open " + Cert("nope.crt") + ": no such file or directory", 128},
      {"a missing certificate file",
       {"--cacert", Cert("ca.crt"), "--cert", Cert("nope.crt"), "--key", Cert("client.key")},
       "Error: open " + Cert("nope.crt") + ": no such file or directory", 128},
      {"a certificate without its key",
       {"--cacert", Cert("ca.crt"), "--cert", Cert("client.crt")},
       "Error: KeyFile and CertFile must both be present[key: , cert: " + Cert("client.crt") +
           "]",
       128},
      {"a key that is not the certificate's",
       {"--cacert", Cert("ca.crt"), "--cert", Cert("client.crt"), "--key", Cert("server.key")},
       "Error: tls: private key does not match public key", 128},
      {"a certificate file without PEM",
       {"--cacert", Cert("ca.crt"), "--cert", Cert("garbage.txt"), "--key", Cert("client.key")},
       "Error: tls: failed to find any PEM data in certificate input", 128},
      {"certificate and key swapped",
       {"--cacert", Cert("ca.crt"), "--cert", Cert("client.key"), "--key", Cert("client.crt")},
       "Error: tls: failed to find certificate PEM data in certificate input, but did find a "
       "private key; PEM inputs may have been switched",
       128},
      {"an empty --cacert", {"--cacert="}, "Error: empty string is passed to --cacert option",
       128},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<std::string> flags = fast;
    flags.insert(flags.end(), c.flags.begin(), c.flags.end());
    UseFlags(flags);
    Outcome o = t_.Both({"get", "k"}, step);
    EXPECT_EQ(o.error, c.error);
    EXPECT_EQ(o.exit_code, c.exit_code);
    EXPECT_EQ(o.out, "");
  }
  // The server's name must match the endpoint's host: the certificate is for 127.0.0.1 only.
  UseFlags({});
  std::vector<std::string> args = {"--endpoints=https://localhost:{port}"};
  for (const auto& list : {fast, Tls()}) args.insert(args.end(), list.begin(), list.end());
  args.insert(args.end(), {"get", "k"});
  Outcome wrong_name = t_.Both(args, {.endpoints_flag = false, .timeout = seconds(15)});
  EXPECT_EQ(wrong_name.error, deadline);
  // http:// means plain text, whatever the TLS flags say (clientv3).
  args[0] = "--endpoints=http://127.0.0.1:{port}";
  Outcome plain = t_.Both(args, {.endpoints_flag = false, .timeout = seconds(15)});
  EXPECT_EQ(plain.error, deadline);
}

// make-mirror to a TLS destination with its own --dest-* files: each twin's tool mirrors its
// twin into the other twin; a refused destination file exits as etcdctl does.
TEST_F(EtcdctlTlsAuthTest, MakeMirrorToTlsDestination) {
  t_.Both({"put", "mm/a", "1"});
  std::vector<Process> mirrors;
  for (Side* side : {&t_.real, &t_.ours}) {
    const std::string dest = side == &t_.real ? t_.ours.endpoints : t_.real.endpoints;
    std::vector<std::string> argv = {side->binary, "--endpoints=" + side->endpoints};
    argv.insert(argv.end(), side->global_args.begin(), side->global_args.end());
    for (const std::string& a : std::vector<std::string>{
             "make-mirror", "--prefix", "mm/", "--dest-prefix", "copy-" + side->name + "/",
          "--dest-cacert", Cert("ca.crt"), "--dest-cert", Cert("client.crt"), "--dest-key",
          Cert("client.key"), dest}) {
      argv.push_back(a);
    }
    auto p = Process::Start(argv, {}, NewTempDir("mirror-" + side->name) + "/log");
    ASSERT_TRUE(p.ok()) << p.status();
    mirrors.push_back(std::move(*p));
  }
  t_.Both({"put", "mm/b", "2"});
  // Each twin receives the other's keys: the real tool's copy on twin B, ours on twin A.
  const auto keys_on = [&](const std::string& endpoint, const std::string& prefix) {
    std::vector<std::string> argv = {t_.real.binary, "--endpoints=" + endpoint};
    for (const std::string& a : Tls()) argv.push_back(a);
    for (const char* a : {"get", "--prefix", "--keys-only"}) argv.push_back(a);
    argv.push_back(prefix);
    auto r = RunCommand(argv);
    return r.ok() ? r->out : r.status().ToString();
  };
  const std::string want_ours = "copy-ours/a\n\ncopy-ours/b\n\n";
  const std::string want_real = "copy-real/a\n\ncopy-real/b\n\n";
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  std::string on_a, on_b;
  while (std::chrono::steady_clock::now() < deadline) {
    on_a = keys_on(t_.real.endpoints, "copy-ours/");
    on_b = keys_on(t_.ours.endpoints, "copy-real/");
    if (on_a == want_ours && on_b == want_real) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(on_a, want_ours) << "our etcdctl's mirror";
  EXPECT_EQ(on_b, want_real) << "the real etcdctl's mirror";
  for (Process& p : mirrors) p.Kill();
  // Destination files refused as the global ones.
  Outcome missing = t_.Both({"make-mirror", "--dest-cacert", Cert("nope.crt"), "{ep}"});
  EXPECT_EQ(missing.exit_code, 128);
  EXPECT_EQ(missing.error, "Error: open " + Cert("nope.crt") + ": no such file or directory");
  t_.Both({"make-mirror", "--dest-cert", Cert("client.crt"), "{ep}"});
}

TEST_F(EtcdctlTlsAuthTest, AuthUsersAndRoles) {
  // Setup, auth still off.
  Outcome root = t_.Both({"user", "add", "root:rootpw"});
  EXPECT_EQ(root.out, "User root created\n");
  t_.Both({"user", "add", "alice", "--new-user-password=alicepw"});
  Outcome role = t_.Both({"role", "add", "reader"});
  EXPECT_EQ(role.out, "Role reader created\n");
  Outcome granted = t_.Both({"role", "grant-permission", "reader", "read", "pub/", "--prefix"});
  EXPECT_EQ(granted.out, "Role reader updated\n");
  t_.Both({"user", "grant-role", "alice", "reader"});
  t_.Both({"put", "pub/k", "public"});
  t_.Both({"put", "secret/k", "hidden"});
  // Without a root role the server refuses; etcdctl then adds the role, grants it to root and
  // enables again. Printed as plain text in every output format.
  Outcome enabled = t_.Both({"auth", "enable", "-w", "json"});
  EXPECT_EQ(enabled.out, "Authentication Enabled\n");
  EXPECT_EQ(enabled.exit_code, 0);
  Outcome root_role = t_.Both({"--user", "root:rootpw", "user", "get", "root"});
  EXPECT_EQ(root_role.out, "User: root\nRoles: root\n");

  // Root can do everything, with the password in --user, in --password or in the environment.
  Outcome put = t_.Both({"--user", "root:rootpw", "put", "secret/k", "hidden2"});
  EXPECT_EQ(put.out, "OK\n");
  Outcome got = t_.Both({"--user", "root", "--password", "rootpw", "get", "secret/k"});
  EXPECT_EQ(got.out, "secret/k\nhidden2\n");
  t_.Both({"get", "secret/k", "-w", "json"}, {.env = {{"ETCDCTL_USER", "root:rootpw"}}});
  t_.Both({"--user", "root:rootpw", "member", "list"});
  t_.Both({"--user", "root:rootpw", "endpoint", "health"});
  Outcome users = t_.Both({"--user", "root:rootpw", "user", "list"});
  EXPECT_EQ(users.out, "alice\nroot\n");
  Outcome alice = t_.Both({"--user", "root:rootpw", "user", "get", "alice"});
  EXPECT_EQ(alice.out, "User: alice\nRoles: reader\n");
  Outcome reader = t_.Both({"--user", "root:rootpw", "role", "get", "reader"});
  EXPECT_EQ(reader.out, "Role reader\nKV Read:\n\t[pub/, pub0) (prefix pub/)\nKV Write:\n");
  Outcome roles = t_.Both({"--user", "root:rootpw", "role", "list"});
  EXPECT_EQ(roles.out, "reader\nroot\n");
  Outcome watched = t_.Both({"--user", "root:rootpw", "watch", "secret/k", "--rev", "1", "--",
                             "false"},
                            {.compare_stderr = true, .timeout = seconds(10)});
  // The history comes in one response: both events, then the command, which fails.
  EXPECT_EQ(watched.out, "PUT\nsecret/k\nhidden\nPUT\nsecret/k\nhidden2\n");

  // Wrong credentials: the connection is refused before the command (exit 2).
  Outcome wrong = t_.Both({"--user", "root:nope", "get", "pub/k"});
  EXPECT_EQ(wrong.error, "Error: etcdserver: authentication failed, invalid user ID or password");
  EXPECT_EQ(wrong.exit_code, 2);
  t_.Both({"--user", "nobody:pw", "put", "pub/k", "v"});
  t_.Both({"--user", "root:nope", "endpoint", "health"});
  // No user: the client certificate's CN ("client") is the user, and it has no role.
  Outcome anonymous = t_.Both({"get", "pub/k"});
  EXPECT_EQ(anonymous.error, "Error: etcdserver: permission denied");
  EXPECT_EQ(anonymous.exit_code, 1);

  // Alice reads pub/ and nothing else, and writes nothing.
  Outcome readable = t_.Both({"--user", "alice:alicepw", "get", "pub/", "--prefix"});
  EXPECT_EQ(readable.out, "pub/k\npublic\n");
  Outcome denied = t_.Both({"--user", "alice:alicepw", "get", "secret/k"});
  EXPECT_EQ(denied.error, "Error: etcdserver: permission denied");
  EXPECT_EQ(denied.exit_code, 1);
  t_.Both({"--user", "alice:alicepw", "put", "pub/k", "v"});
  t_.Both({"--user", "alice:alicepw", "del", "pub/k"});
  t_.Both({"--user", "alice:alicepw", "user", "list"});
  t_.Both({"--user", "alice:alicepw", "auth", "disable"});

  // Permissions change: revoked, alice reads nothing.
  t_.Both({"--user", "root:rootpw", "role", "revoke-permission", "reader", "pub/", "--prefix"});
  t_.Both({"--user", "alice:alicepw", "get", "pub/k"});
  t_.Both({"--user", "root:rootpw", "user", "revoke-role", "alice", "reader"});
  t_.Both({"--user", "root:rootpw", "user", "get", "alice"});

  Outcome disabled = t_.Both({"--user", "root:rootpw", "auth", "disable"});
  EXPECT_EQ(disabled.out, "Authentication Disabled\n");
  Outcome open = t_.Both({"get", "secret/k"});
  EXPECT_EQ(open.out, "secret/k\nhidden2\n");
  // --user against a server without auth: clientv3 goes on without a token.
  t_.Both({"--user", "alice:alicepw", "get", "secret/k"});
  t_.Both({"--user", "root:rootpw", "user", "delete", "alice"});
  t_.Both({"role", "delete", "reader"});
  t_.Both({"role", "delete", "root"});
  t_.Both({"user", "delete", "root"});
  t_.Both({"del", "", "--from-key"});
}

// ---------------------------------------------------------------------------------------------
// The client library alone, against a plain-text real etcd with auth on.

TEST(ClientAuthTest, TokenOnEveryCallAndRenewedAfterRestart) {
  auto etcd = EtcdProcess::Start(kRealEtcd, "auth-plain");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"user", "add", "root:rootpw"}, {"auth", "enable"}}) {
    auto r = etcd->Etcdctl(args);
    ASSERT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->err : r.status().ToString());
  }

  // Without credentials: the server's words.
  auto anonymous = client::Client::New({.endpoints = {etcd->endpoint()}});
  ASSERT_TRUE(anonymous.ok()) << anonymous.status();
  EXPECT_EQ((*anonymous)->Get("k").status().message(), "etcdserver: user name is empty");
  // Wrong password: New fails.
  auto wrong = client::Client::New(
      {.endpoints = {etcd->endpoint()}, .username = "root", .password = "nope"});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong.status().message(),
            "etcdserver: authentication failed, invalid user ID or password");

  auto c = client::Client::New(
      {.endpoints = {etcd->endpoint()}, .username = "root", .password = "rootpw"});
  ASSERT_TRUE(c.ok()) << c.status();
  client::Client& root = **c;
  ASSERT_TRUE(root.Put("k", "v1").ok());
  // A watch stream carries the token: without it etcd cancels the watch (permission denied).
  auto watch = root.Watch("k");
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_TRUE(root.Put("k", "v2").ok());
  auto event = (*watch)->Next(seconds(10));
  ASSERT_TRUE(event.ok()) << event.status();
  ASSERT_EQ(event->events_size(), 1);
  EXPECT_EQ(event->events(0).kv().value(), "v2");
  // A lease and its keep-alive stream, and the raw channel (the token goes there too).
  auto lease = root.Grant(60);
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_TRUE(root.KeepAliveOnce(lease->id()).ok());
  auto auth = etcdserverpb::Auth::NewStub(root.channel(0));
  grpc::ClientContext context;
  etcdserverpb::AuthUserListResponse users;
  ASSERT_TRUE(auth->UserList(&context, etcdserverpb::AuthUserListRequest(), &users).ok());
  ASSERT_EQ(users.users_size(), 1);
  EXPECT_EQ(users.users(0), "root");

  // etcd's simple tokens live in the member's memory: after a restart the client's token is
  // "etcdserver: invalid auth token", and the client renews it within the same call.
  // (Started again by hand: EtcdProcess's own health check has no credentials.)
  const std::vector<std::string> command_line = etcd->CommandLine();
  ASSERT_TRUE(etcd->Stop().ok());
  auto again = EtcdProcess::StartRaw(kRealEtcd, "auth-plain-again",
                                     {command_line.begin() + 1, command_line.end()}, {},
                                     etcd->client_port(), /*wait_healthy=*/false);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(WaitForPort(again->client_port(), seconds(30)).ok()) << again->Log();
  // The read waits (within its 5 s) for the member to serve, then gets the stale-token error
  // and renews the token.
  auto got = root.Get("k");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->kvs_size(), 1);
  EXPECT_EQ(got->kvs(0).value(), "v2");
  EXPECT_TRUE(root.Put("k", "v3").ok());
}

}  // namespace
}  // namespace etcd::testing
