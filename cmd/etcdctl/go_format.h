// How Go prints things, reproduced for etcdctl's output: encoding/json of etcd's gogo structs,
// %q, go-humanize, olekukonko/tablewriter, the proto compact text of gogo's String().
//
// Thread-safety: pure functions.
#ifndef ETCD_CMD_ETCDCTL_GO_FORMAT_H_
#define ETCD_CMD_ETCDCTL_GO_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace etcd::etcdctl {

// Go's encoding/json encoding of a gogo-generated etcd message: fields in declaration order
// named as in the .proto, `omitempty` for all of them (zero scalars, empty lists and unset
// messages left out), int64/uint64 as numbers, enums as numbers, bytes as base64, a oneof as
// {"<Oneof>":{"<Field>":...}} in CamelCase (a Go interface holding its wrapper struct).
std::string GoJson(const google::protobuf::Message& m);
// The members of GoJson(m) without the braces ("" for an empty message): what Go prints for
// the fields of an embedded *pb.ResponseHeader promoted into a clientv3 wrapper struct.
std::string GoJsonMembers(const google::protobuf::Message& m);
// Go's json string literal (HTML-safe escapes \u003c \u003e \u0026, invalid UTF-8 as \ufffd).
std::string GoJsonString(absl::string_view s);
// Go's %q of a string.
std::string GoQuoted(absl::string_view s);
// go-humanize's Bytes: "693 B", "1.0 kB", "25 MB".
std::string HumanizeBytes(uint64_t bytes);
// olekukonko/tablewriter's rendering with etcdctl's settings (headers upper-cased and centred,
// cells right-aligned).
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);
// The proto text format gogo's String() prints ("member_id:1 alarm:NOSPACE "), which Go's %v
// shows for a message.
std::string GoCompactText(const google::protobuf::Message& m);

}  // namespace etcd::etcdctl

#endif  // ETCD_CMD_ETCDCTL_GO_FORMAT_H_
