// Go's text-to-value parsing, as etcd's command lines use it: strconv.ParseBool, ParseInt,
// ParseUint and time.ParseDuration, and time.Duration's String. The daemon's flags (Go's flag
// package) and etcdctl's (pflag) both accept exactly what Go accepts, and etcdctl prints Go's
// error words, so both parse through here.
//
// All functions are pure and thread-safe.
#ifndef ETCD_PKG_GO_PARSE_H_
#define ETCD_PKG_GO_PARSE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace etcd::pkg {

// strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False.
// Errors: InvalidArgument `strconv.ParseBool: parsing "x": invalid syntax`.
absl::StatusOr<bool> GoParseBool(absl::string_view text);

// strconv.ParseUint(text, base, bits): base 2..36, or 0 for Go's literal prefixes (0x, 0o, 0b,
// a leading 0 for octal; underscores between digits allowed only then); bits 1..64.
// Errors: InvalidArgument `strconv.ParseUint: parsing "x": invalid syntax`; OutOfRange
// `strconv.ParseUint: parsing "x": value out of range` (Go reports the overflow as soon as
// the digits read so far exceed the range, even if an invalid character follows).
absl::StatusOr<uint64_t> GoParseUint(absl::string_view text, int base, int bits);

// strconv.ParseInt(text, base, bits): an optional sign, then as GoParseUint; the range is that
// of a two's complement integer of `bits` bits. Errors as GoParseUint, with "ParseInt".
absl::StatusOr<int64_t> GoParseInt(absl::string_view text, int base, int bits);

// time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ or "0"; units ns, us (µs, μs), ms, s,
// m, h ("1m30s", "1.5h", "250ms"). Errors: InvalidArgument with Go's words:
// `time: invalid duration "x"`, `time: missing unit in duration "1"`,
// `time: unknown unit "d" in duration "3d"`.
absl::StatusOr<absl::Duration> GoParseDuration(absl::string_view text);

// time.Duration.String: "0s", "12ns", "850.123µs", "2.84928ms", "1m30s", "2h0m1.5s".
std::string GoDurationString(absl::Duration d);

}  // namespace etcd::pkg

#endif  // ETCD_PKG_GO_PARSE_H_
