#include "cmd/etcdctl/txn_parse.h"

#include <cctype>
#include <optional>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cmd/etcdctl/commands.h"
#include "cmd/etcdctl/flags.h"
#include "cmd/etcdctl/go_format.h"

namespace etcd::etcdctl {
namespace {

void AppendUtf8(uint32_t r, std::string& out) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xc0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3f));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xe0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (r & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (r & 0x3f));
  }
}

// Reads a Go quoted string (after spaces) from the front of `s`, as fmt's %q verb.
std::optional<std::string> ScanQuoted(absl::string_view& s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s[0]))) s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  size_t end = absl::string_view::npos;
  if (s[0] == '`') {
    end = s.find('`', 1);
  } else if (s[0] == '"') {
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '"') {
        end = i;
        break;
      }
    }
  }
  if (end == absl::string_view::npos) return std::nullopt;
  auto value = GoUnquote(s.substr(0, end + 1));
  if (!value.ok()) return std::nullopt;
  s.remove_prefix(end + 1);
  return *value;
}

}  // namespace

absl::StatusOr<std::string> GoUnquote(absl::string_view q) {
  const auto bad = absl::InvalidArgumentError("invalid syntax");
  if (q.size() < 2 || q.front() != q.back()) return bad;
  if (q[0] == '`') return std::string(q.substr(1, q.size() - 2));
  if (q[0] != '"') return bad;
  std::string out;
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    char c = q[i];
    if (c == '"' || c == '\n') return bad;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= q.size() - 1) return bad;
    c = q[i];
    switch (c) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case '\'': out += '\''; break;
      case 'x': case 'u': case 'U': {
        const size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        if (i + n >= q.size()) return bad;
        auto v = ParseGoUint64(q.substr(i + 1, n), 16);
        if (!v.ok()) return bad;
        if (c == 'x') {
          out += static_cast<char>(*v);
        } else {
          AppendUtf8(static_cast<uint32_t>(*v), out);
        }
        i += n;
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          if (i + 3 > q.size() - 1) return bad;
          auto v = ParseGoUint64(q.substr(i, 3), 8);
          if (!v.ok() || *v > 255) return bad;
          out += static_cast<char>(*v);
          i += 2;
          break;
        }
        return bad;
    }
  }
  return out;
}

std::vector<std::string> Argify(absl::string_view line) {
  static const std::regex kWord(R"re("(?:[^"\\]|\\.)*"|'[^']*'|[^'"\s]\S*[^'"\s]?)re");
  std::vector<std::string> args;
  const std::string text(line);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kWord);
       it != std::sregex_iterator(); ++it) {
    args.push_back(it->str());
  }
  const size_t n = args.size();
  for (std::string& a : args) {
    if (a.empty()) continue;
    if (a[0] == '\'') {
      // etcdctl 3.4 slices with the number of words, not the word's length.
      if (n - 1 > a.size() || n - 1 < 1) {
        GoPanic(absl::StrFormat("runtime error: slice bounds out of range [%d:%d]", 1, n - 1));
      }
      a = a.substr(1, n - 2);
    } else if (a[0] == '"') {
      auto unquoted = GoUnquote(a);
      if (!unquoted.ok()) ExitWithError(kExitInvalidInput, "unexpected EOF");
      a = *unquoted;
    }
  }
  return args;
}

absl::StatusOr<client::Compare> ParseCompare(absl::string_view line) {
  const size_t lparen = line.find('(');
  if (lparen == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("malformed comparison: ", line));
  }
  const std::string target(line.substr(0, lparen));
  absl::string_view rest = line.substr(lparen + 1);
  std::string key, op, val;
  int n = 0;
  if (auto k = ScanQuoted(rest); k.has_value()) {
    key = *k;
    if (!rest.empty() && rest[0] == ')') {
      rest.remove_prefix(1);
      while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest[0]))) {
        rest.remove_prefix(1);
      }
      size_t end = 0;
      while (end < rest.size() && !std::isspace(static_cast<unsigned char>(rest[end]))) ++end;
      n = 1;
      if (end > 0) {
        op = std::string(rest.substr(0, end));
        rest.remove_prefix(end);
        n = 2;
        if (auto v = ScanQuoted(rest); v.has_value()) {
          val = *v;
          n = 3;
        }
      }
    } else {
      n = 1;
    }
  }
  if (n != 3) {
    return absl::InvalidArgumentError(absl::StrFormat("malformed comparison: %s; got %s(%s) %s %s",
                                                      line, target, GoQuoted(key), op,
                                                      GoQuoted(val)));
  }
  client::Compare::Result result;
  const auto check_op = [&] {
    if (op == "=") {
      result = client::Compare::kEqual;
    } else if (op == "!=") {
      result = client::Compare::kNotEqual;
    } else if (op == ">") {
      result = client::Compare::kGreater;
    } else if (op == "<") {
      result = client::Compare::kLess;
    } else {
      GoPanic("Unknown result op");
    }
  };
  const auto number = [&]() -> absl::StatusOr<int64_t> {
    auto v = ParseGoInt64(val, 10);
    if (!v.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid txn compare request: ", line));
    }
    check_op();
    return *v;
  };
  if (target == "ver" || target == "version") {
    auto v = number();
    if (!v.ok()) return v.status();
    return client::Compare::Version(key, result, *v);
  }
  if (target == "c" || target == "create") {
    auto v = number();
    if (!v.ok()) return v.status();
    return client::Compare::CreateRevision(key, result, *v);
  }
  if (target == "m" || target == "mod") {
    auto v = number();
    if (!v.ok()) return v.status();
    return client::Compare::ModRevision(key, result, *v);
  }
  if (target == "val" || target == "value") {
    check_op();
    return client::Compare::Value(key, result, val);
  }
  if (target == "lease") {
    // etcdctl 3.4 passes the value as a string, which clientv3.Compare refuses.
    check_op();
    GoPanic("bad value");
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("malformed comparison: %s (unknown target %s)", line, target));
}

}  // namespace etcd::etcdctl
