// Peer and client URLs as etcd accepts them in its flags: "scheme://host:port", nothing else.
//
// The rules and error texts are etcd 3.4's (pkg/types/urls.go NewURLs, on top of Go's
// net/url.Parse and net.SplitHostPort), because operators and scripts match on them:
//   - scheme must be http, https, unix or unixs ("URL scheme must be http, https, unix, or
//     unixs: <url>");
//   - the authority must be host:port ("URL address does not have the form \"host:port\": <url>");
//   - no path ("URL must not contain a path: <url>").
// Which schemes the server can actually serve is decided by the caller (only http for now).
//
// Thread-safety: plain values and pure functions.
#ifndef ETCD_SERVER_URL_H_
#define ETCD_SERVER_URL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace etcd::server {

struct Url {
  std::string scheme;  // lower case: "http", "https", "unix" or "unixs".
  std::string host;    // as written, without the brackets of an IPv6 literal; may be empty.
  uint16_t port = 0;

  // "scheme://host:port", with brackets around an IPv6 host: the form etcd prints and hashes
  // into member IDs (Go's url.URL.String() for the URLs accepted here).
  std::string ToString() const;

  friend bool operator==(const Url&, const Url&) = default;
};

// Parses one URL (surrounding spaces are trimmed, as etcd does).
// Errors: InvalidArgument with etcd's text (see the file comment); for input Go's URL parser
// rejects, a message in its style, e.g. `parse "http://a b:1": invalid character " " in host name`.
absl::StatusOr<Url> ParseUrl(std::string_view text);

// Parses a comma separated list ("http://a:1,http://b:2"), sorted by ToString() as etcd's
// types.NewURLs does; duplicates are kept. The first bad element's error is returned.
absl::StatusOr<std::vector<Url>> ParseUrlList(std::string_view comma_separated);

// The ToString() forms joined with ",".
std::string JoinUrls(const std::vector<Url>& urls);

}  // namespace etcd::server

#endif  // ETCD_SERVER_URL_H_
