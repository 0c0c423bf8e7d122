// The text etcdctl reads for `txn` and interactive `watch`: words split as etcdctl's argify
// (quotes kept together) and comparisons such as `mod("key") > "5"` (txn_command.go's
// parseCompare).
//
// Thread-safety: pure functions.
#ifndef ETCD_CMD_ETCDCTL_TXN_PARSE_H_
#define ETCD_CMD_ETCDCTL_TXN_PARSE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl//status/statusor.h"
#include "client/kv.h"

namespace etcd::etcdctl {

// Splits a line into words as etcdctl's argify: "double quoted" (Go escapes undone),
// 'single quoted' (with etcdctl 3.4's slicing bug: the quotes' content is cut to
// [1, number of words - 1), and Go's panic when that is out of range), or bare words.
std::vector<std::string> Argify(absl::string_view line);

// Unquotes a Go double-quoted or back-quoted string literal. Errors: InvalidArgument.
absl::StatusOr<std::string> GoUnquote(absl::string_view quoted);

// Parses one comparison of a txn: `<target>("<key>") <op> "<value>"`, target one of ver,
// version, c, create, m, mod, val, value, lease; op one of =, !=, >, <. Errors
// (InvalidArgument, etcdctl's words): "malformed comparison: ...", "invalid txn compare
// request: ...". etcdctl panics for an unknown op and for lease comparisons; so does this
// (GoPanic, exit 2).
absl::StatusOr<client::Compare> ParseCompare(absl::string_view line);

}  // namespace etcd::etcdctl

#endif  // ETCD_CMD_ETCDCTL_TXN_PARSE_H_
