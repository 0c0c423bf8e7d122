#include "server/url.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace etcd::server {
namespace {

// Go's url.Parse reports errors as `parse "<url>": <what>`.
absl::Status GoParseError(absl::string_view url, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("parse \"", url, "\": ", what));
}

absl::Status NotHostPort(absl::string_view url) {
  return absl::InvalidArgumentError(
      absl::StrCat("URL address does not have the form \"host:port\": ", url));
}

// Characters Go's URL parser accepts unescaped in a host (shouldEscape in encodeHost mode).
bool IsHostChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '-': case '_': case '.': case '~': case '!': case '$': case '&': case '\'':
    case '(': case ')': case '*': case '+': case ',': case ';': case '=': case ':':
    case '[': case ']': case '<': case '>': case '"': case '%':
      return true;
    default:
      return false;
  }
}

// ":digits" or empty, as Go's validOptionalPort.
bool ValidOptionalPort(absl::string_view colon_port) {
  if (colon_port.empty()) return true;
  if (colon_port[0] != ':') return false;
  return std::all_of(colon_port.begin() + 1, colon_port.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string Url::ToString() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return absl::StrCat(scheme, "://", ipv6 ? "[" : "", host, ipv6 ? "]" : "", ":", port);
}

absl::StatusOr<Url> ParseUrl(std::string_view text) {
  const absl::string_view in = absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size()));
  for (char c : in) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return GoParseError(in, "net/url: invalid control character in URL");
    }
  }

  // Scheme: letters first, then letters, digits, '+', '-', '.', up to the first ':'. Anything
  // else before a ':' means "no scheme" for Go, which etcd then rejects.
  std::string scheme;
  absl::string_view rest = in;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (absl::ascii_isalpha(static_cast<unsigned char>(c))) continue;
    if ((absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' ||
         c == '.') && i > 0) {
      continue;
    }
    if (c == ':') {
      if (i == 0) return GoParseError(in, "missing protocol scheme");
      scheme = absl::AsciiStrToLower(in.substr(0, i));
      rest = in.substr(i + 1);
    }
    break;
  }
  if (scheme != "http" && scheme != "https" && scheme != "unix" && scheme != "unixs") {
    return absl::InvalidArgumentError(
        absl::StrCat("URL scheme must be http, https, unix, or unixs: ", in));
  }

  bool has_query_or_fragment = false;
  if (size_t cut = rest.find_first_of("?#"); cut != absl::string_view::npos) {
    has_query_or_fragment = true;
    rest = rest.substr(0, cut);
  }
  // "http:foo" is an opaque URL to Go: no host at all.
  if (rest.substr(0, 2) != "//") return NotHostPort(in);
  rest.remove_prefix(2);
  absl::string_view authority = rest;
  absl::string_view path;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash);
  }
  if (authority.find('@') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL must not contain user information: ", in));
  }

  // Go's parseHost: the port after the host (or after "]") must be ":digits" or absent.
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.rfind(']');
    if (close == absl::string_view::npos) return GoParseError(in, "missing ']' in host");
    absl::string_view colon_port = authority.substr(close + 1);
    if (!ValidOptionalPort(colon_port)) {
      return GoParseError(in, absl::StrCat("invalid port \"", colon_port, "\" after host"));
    }
  } else if (size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    absl::string_view colon_port = authority.substr(colon);
    if (!ValidOptionalPort(colon_port)) {
      return GoParseError(in, absl::StrCat("invalid port \"", colon_port, "\" after host"));
    }
  }
  for (char c : authority) {
    if (!IsHostChar(c)) {
      return GoParseError(in, absl::StrCat("invalid character \"", std::string(1, c),
                                           "\" in host name"));
    }
  }

  // net.SplitHostPort.
  absl::string_view host;
  absl::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos || close + 1 >= authority.size() ||
        authority[close + 1] != ':') {
      return NotHostPort(in);
    }
    host = authority.substr(1, close - 1);
    port = authority.substr(close + 2);
    if (host.find_first_of("[]") != absl::string_view::npos) return NotHostPort(in);
  } else {
    size_t colon = authority.rfind(':');
    if (colon == absl::string_view::npos) return NotHostPort(in);
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find_first_of(":[]") != absl::string_view::npos) return NotHostPort(in);
  }
  if (port.find_first_of("[]") != absl::string_view::npos) return NotHostPort(in);

  if (!path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("URL must not contain a path: ", in));
  }
  if (has_query_or_fragment) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL must not contain a query or fragment: ", in));
  }
  uint32_t port_number = 0;
  if (port.empty() || !absl::SimpleAtoi(port, &port_number) || port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("URL has an invalid port: ", in));
  }
  return Url{std::move(scheme), std::string(host), static_cast<uint16_t>(port_number)};
}

absl::StatusOr<std::vector<Url>> ParseUrlList(std::string_view comma_separated) {
  std::vector<Url> urls;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(comma_separated.data(), comma_separated.size()), ',')) {
    absl::StatusOr<Url> url = ParseUrl(std::string_view(part.data(), part.size()));
    if (!url.ok()) return url.status();
    urls.push_back(*std::move(url));
  }
  std::stable_sort(urls.begin(), urls.end(), [](const Url& a, const Url& b) {
    return a.ToString() < b.ToString();
  });
  return urls;
}

std::string JoinUrls(const std::vector<Url>& urls) {
  return absl::StrJoin(urls, ",", [](std::string* out, const Url& url) {
    out->append(url.ToString());
  });
}

}  // namespace etcd::server
