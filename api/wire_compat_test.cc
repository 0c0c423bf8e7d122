// Checks mechanically that our .proto files describe the same wire API as etcd 3.4's.
//
// Both sets of files are compiled with /usr/bin/protoc into FileDescriptorSets, loaded into two
// DescriptorPools, and each file is flattened into one line per wire-relevant fact (message,
// field name + number + label + type, oneof membership, packing, enum value, service, method
// with its request/response types and streaming flags). The two sets of lines must be equal:
// a line only in etcd's set is something we lack or got wrong, a line only in ours is
// something etcd 3.4 does not have.
//
// The reference is the etcd 3.4 source shipped by Debian's golang-etcd-server-dev; its .proto
// files import gogoproto (golang-github-gogo-protobuf-dev) and google/api/annotations.proto
// (golang-github-grpc-ecosystem-grpc-gateway-dev), both dependencies of that package. Options
// (gogoproto's Go code-generation hints, the HTTP gateway routes) do not change the wire
// format and are not compared.

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"

namespace etcd::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorSet;
using google::protobuf::ServiceDescriptor;

constexpr char kProtoc[] = "/usr/bin/protoc";
// etcd's files import each other as "etcd/...", so the include root is the parent of etcd/.
constexpr char kReferenceRoot[] = "/usr/share/gocode/src/go.etcd.io";
constexpr char kReferenceDir[] = "/usr/share/gocode/src/go.etcd.io/etcd";
constexpr char kGogoRoot[] = "/usr/share/gocode/src/github.com/gogo/protobuf";
constexpr char kGoogleApisRoot[] =
    "/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis";

struct ApiFile {
  const char* package;
  const char* reference;  // Relative to kReferenceRoot.
  const char* ours;       // Relative to the workspace root.
};

constexpr ApiFile kFiles[] = {
    {"mvccpb", "etcd/mvcc/mvccpb/kv.proto", "api/mvccpb/kv.proto"},
    {"authpb", "etcd/auth/authpb/auth.proto", "api/authpb/auth.proto"},
    {"etcdserverpb", "etcd/etcdserver/etcdserverpb/rpc.proto", "api/etcdserverpb/rpc.proto"},
    {"v3lockpb", "etcd/etcdserver/api/v3lock/v3lockpb/v3lock.proto",
     "api/v3lockpb/v3lock.proto"},
    {"v3electionpb", "etcd/etcdserver/api/v3election/v3electionpb/v3election.proto",
     "api/v3electionpb/v3election.proto"},
};

void PrintTo(const ApiFile& file, std::ostream* os) { *os << file.package; }

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// The workspace root inside the test's runfiles, where the data .proto files are.
std::string RunfilesRoot() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return ".";
  return std::string(srcdir) + "/" + workspace;
}

// Runs protoc on `files` and loads the result, imports included, into `pool`. Returns an error
// message, empty on success.
std::string Compile(const std::vector<std::string>& include_dirs,
                    const std::vector<std::string>& files, const std::string& name,
                    DescriptorPool* pool) {
  const std::string out = TempDir() + "/" + name + ".pb";
  const std::string err = TempDir() + "/" + name + ".stderr";
  std::string cmd = std::string(kProtoc) + " --include_imports --descriptor_set_out='" + out + "'";
  for (const auto& dir : include_dirs) cmd += " -I'" + dir + "'";
  for (const auto& file : files) cmd += " '" + file + "'";
  cmd += " 2>'" + err + "'";
  if (int rc = std::system(cmd.c_str()); rc != 0) {
    return "protoc failed (" + std::to_string(rc) + "): " + cmd + "\n" + ReadFile(err);
  }
  FileDescriptorSet set;
  if (!set.ParseFromString(ReadFile(out))) return "cannot parse " + out;
  // --include_imports writes every file after the files it imports.
  for (const auto& file : set.file()) {
    if (pool->BuildFile(file) == nullptr) return "cannot load " + file.name() + " from " + out;
  }
  return "";
}

std::string Label(const FieldDescriptor& f) {
  switch (f.label()) {
    case FieldDescriptor::LABEL_OPTIONAL:
      return "optional";
    case FieldDescriptor::LABEL_REQUIRED:
      return "required";
    case FieldDescriptor::LABEL_REPEATED:
      return "repeated";
  }
  return "?";
}

std::string TypeOf(const FieldDescriptor& f) {
  std::string type = f.type_name();  // The wire type: int64, bytes, message, enum, ...
  if (f.message_type() != nullptr) type += " " + f.message_type()->full_name();
  if (f.enum_type() != nullptr) type += " " + f.enum_type()->full_name();
  return type;
}

void AddEnum(const EnumDescriptor& e, std::set<std::string>* facts) {
  facts->insert("enum " + e.full_name());
  for (int i = 0; i < e.value_count(); ++i) {
    facts->insert("enum value " + e.full_name() + "." + e.value(i)->name() + " = " +
                  std::to_string(e.value(i)->number()));
  }
  for (int i = 0; i < e.reserved_range_count(); ++i) {
    facts->insert("enum reserved " + e.full_name() + " " +
                  std::to_string(e.reserved_range(i)->start) + ".." +
                  std::to_string(e.reserved_range(i)->end));
  }
}

void AddMessage(const Descriptor& m, std::set<std::string>* facts) {
  facts->insert("message " + m.full_name() + (m.options().map_entry() ? " (map entry)" : ""));
  for (int i = 0; i < m.field_count(); ++i) {
    const FieldDescriptor& f = *m.field(i);
    std::string fact = "field " + m.full_name() + "." + f.name() + " = " +
                       std::to_string(f.number()) + " " + Label(f) + " " + TypeOf(f);
    if (f.containing_oneof() != nullptr) fact += " in oneof " + f.containing_oneof()->name();
    if (f.is_packed()) fact += " packed";
    facts->insert(fact);
  }
  for (int i = 0; i < m.oneof_decl_count(); ++i) {
    facts->insert("oneof " + m.full_name() + "." + m.oneof_decl(i)->name());
  }
  for (int i = 0; i < m.reserved_range_count(); ++i) {
    facts->insert("reserved " + m.full_name() + " " + std::to_string(m.reserved_range(i)->start) +
                  ".." + std::to_string(m.reserved_range(i)->end));
  }
  for (int i = 0; i < m.reserved_name_count(); ++i) {
    facts->insert("reserved " + m.full_name() + " \"" + m.reserved_name(i) + "\"");
  }
  for (int i = 0; i < m.extension_range_count(); ++i) {
    facts->insert("extensions " + m.full_name() + " " +
                  std::to_string(m.extension_range(i)->start) + ".." +
                  std::to_string(m.extension_range(i)->end));
  }
  for (int i = 0; i < m.nested_type_count(); ++i) AddMessage(*m.nested_type(i), facts);
  for (int i = 0; i < m.enum_type_count(); ++i) AddEnum(*m.enum_type(i), facts);
}

void AddService(const ServiceDescriptor& s, std::set<std::string>* facts) {
  facts->insert("service " + s.full_name());
  for (int i = 0; i < s.method_count(); ++i) {
    const auto& m = *s.method(i);
    facts->insert("rpc " + m.full_name() + "(" + (m.client_streaming() ? "stream " : "") +
                  m.input_type()->full_name() + ") returns (" +
                  (m.server_streaming() ? "stream " : "") + m.output_type()->full_name() + ")");
  }
}

// Every wire-relevant fact of one file, one per line. Names are fully qualified, so the
// facts do not depend on where the file lives or how it spells its imports.
std::set<std::string> Facts(const FileDescriptor& file) {
  std::set<std::string> facts;
  facts.insert("package " + file.package());
  facts.insert(std::string("syntax ") +
               (file.syntax() == FileDescriptor::SYNTAX_PROTO3 ? "proto3" : "proto2"));
  for (int i = 0; i < file.message_type_count(); ++i) AddMessage(*file.message_type(i), &facts);
  for (int i = 0; i < file.enum_type_count(); ++i) AddEnum(*file.enum_type(i), &facts);
  for (int i = 0; i < file.service_count(); ++i) AddService(*file.service(i), &facts);
  for (int i = 0; i < file.extension_count(); ++i) {
    facts.insert("extension " + file.extension(i)->full_name());
  }
  return facts;
}

std::string Lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "  " + line + "\n";
  return out;
}

class WireCompatTest : public ::testing::TestWithParam<ApiFile> {
 protected:
  static void SetUpTestSuite() {
    if (!Exists(kReferenceDir)) return;  // Each test skips.
    reference_ = new DescriptorPool();
    ours_ = new DescriptorPool();
    std::vector<std::string> reference_files, our_files;
    for (const auto& file : kFiles) {
      reference_files.push_back(file.reference);
      our_files.push_back(file.ours);
    }
    setup_error_ =
        Compile({kReferenceRoot, kGogoRoot, kGoogleApisRoot, "/usr/include"}, reference_files,
                "reference", reference_);
    if (setup_error_.empty()) setup_error_ = Compile({RunfilesRoot()}, our_files, "ours", ours_);
  }

  static void TearDownTestSuite() {
    delete reference_;
    delete ours_;
    reference_ = ours_ = nullptr;
  }

  void SetUp() override {
    if (!Exists(kReferenceDir)) {
      GTEST_SKIP() << "etcd 3.4 reference source not found at " << kReferenceDir
                   << "; install Debian's golang-etcd-server-dev to run this test";
    }
    ASSERT_TRUE(Exists(std::string(kGogoRoot) + "/gogoproto/gogo.proto"))
        << "etcd's .proto files import gogoproto/gogo.proto: install "
           "golang-github-gogo-protobuf-dev";
    ASSERT_TRUE(Exists(std::string(kGoogleApisRoot) + "/google/api/annotations.proto"))
        << "etcd's .proto files import google/api/annotations.proto: install "
           "golang-github-grpc-ecosystem-grpc-gateway-dev";
    ASSERT_EQ(setup_error_, "");
  }

  static DescriptorPool* reference_;
  static DescriptorPool* ours_;
  static std::string setup_error_;
};

DescriptorPool* WireCompatTest::reference_ = nullptr;
DescriptorPool* WireCompatTest::ours_ = nullptr;
std::string WireCompatTest::setup_error_;

TEST_P(WireCompatTest, SameWireApiAsEtcd34) {
  const ApiFile& api = GetParam();
  const FileDescriptor* reference = reference_->FindFileByName(api.reference);
  const FileDescriptor* ours = ours_->FindFileByName(api.ours);
  ASSERT_NE(reference, nullptr) << api.reference;
  ASSERT_NE(ours, nullptr) << api.ours;
  EXPECT_EQ(ours->package(), api.package);
  EXPECT_EQ(reference->package(), api.package);

  const std::set<std::string> want = Facts(*reference);
  const std::set<std::string> got = Facts(*ours);
  // Guards against comparing two empty descriptions.
  ASSERT_GT(want.size(), 2u) << "no definitions read from " << api.reference;

  std::vector<std::string> missing, extra;
  for (const auto& fact : want) {
    if (!got.count(fact)) missing.push_back(fact);
  }
  for (const auto& fact : got) {
    if (!want.count(fact)) extra.push_back(fact);
  }
  EXPECT_TRUE(missing.empty()) << api.ours << " lacks or differs from etcd 3.4 ("
                               << api.reference << ") in:\n"
                               << Lines(missing);
  EXPECT_TRUE(extra.empty()) << api.ours << " has what etcd 3.4 does not:\n" << Lines(extra);
}

INSTANTIATE_TEST_SUITE_P(Etcd34, WireCompatTest, ::testing::ValuesIn(kFiles),
                         [](const ::testing::TestParamInfo<ApiFile>& info) {
                           return std::string(info.param.package);
                         });

}  // namespace
}  // namespace etcd::api
