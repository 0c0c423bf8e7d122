#include "cmd/etcdctl/go_format.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"

namespace etcd::etcdctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;

// Decodes one UTF-8 sequence at s[i]; returns its length, 0 if invalid.
size_t Utf8Length(absl::string_view s, size_t i, uint32_t* rune) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) {
    *rune = c;
    return 1;
  }
  size_t n;
  uint32_t r, min;
  if ((c & 0xe0) == 0xc0) n = 2, r = c & 0x1f, min = 0x80;
  else if ((c & 0xf0) == 0xe0) n = 3, r = c & 0x0f, min = 0x800;
  else if ((c & 0xf8) == 0xf0) n = 4, r = c & 0x07, min = 0x10000;
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    r = (r << 6) | (b(i + k) & 0x3f);
  }
  if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return 0;
  *rune = r;
  return n;
}

// Go's generator CamelCase: "response_delete_range" -> "ResponseDeleteRange".
std::string CamelCase(absl::string_view name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? absl::ascii_toupper(c) : c;
    upper = false;
  }
  return out;
}

void WriteMessage(const Message& m, std::string& out);

void WriteScalar(const Message& m, const FieldDescriptor* f, int index, std::string& out) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      out += std::to_string(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      out += std::to_string(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      out += std::to_string(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      out += std::to_string(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out += (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      out += std::to_string(rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f));
      break;
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      out += f->type() == FieldDescriptor::TYPE_BYTES ? "\"" + absl::Base64Escape(s) + "\""
                                                      : GoJsonString(s);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      WriteMessage(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), out);
      break;
    default:
      out += "null";
  }
}

bool IsZero(const Message& m, const FieldDescriptor* f) {
  const Reflection* r = m.GetReflection();
  if (f->is_repeated()) return r->FieldSize(m, f) == 0;
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) return !r->HasField(m, f);
  // proto3 scalars: HasField is false exactly when the value is zero.
  return !r->HasField(m, f);
}

void WriteMembers(const Message& m, std::string& out) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  std::set<const OneofDescriptor*> oneofs_done;
  bool first = true;
  const auto key = [&](absl::string_view name) {
    if (!first) out += ',';
    first = false;
    absl::StrAppend(&out, "\"", name, "\":");
  };
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (const OneofDescriptor* o = f->real_containing_oneof(); o != nullptr) {
      if (!oneofs_done.insert(o).second) continue;
      key(CamelCase(o->name()));
      const FieldDescriptor* set = r->GetOneofFieldDescriptor(m, o);
      if (set == nullptr) {
        out += "null";
      } else {
        absl::StrAppend(&out, "{\"", CamelCase(set->name()), "\":");
        WriteScalar(m, set, 0, out);
        out += '}';
      }
      continue;
    }
    if (IsZero(m, f)) continue;
    key(f->name());
    if (f->is_repeated()) {
      out += '[';
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        if (k > 0) out += ',';
        WriteScalar(m, f, k, out);
      }
      out += ']';
    } else {
      WriteScalar(m, f, 0, out);
    }
  }
}

void WriteMessage(const Message& m, std::string& out) {
  out += '{';
  WriteMembers(m, out);
  out += '}';
}

void WriteText(const Message& m, std::string& out) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int k = 0; k < n; ++k) {
      const bool rep = f->is_repeated();
      absl::StrAppend(&out, f->name());
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_MESSAGE:
          out += ":<";
          WriteText(rep ? r->GetRepeatedMessage(m, f, k) : r->GetMessage(m, f), out);
          out += "> ";
          continue;
        case FieldDescriptor::CPPTYPE_ENUM:
          absl::StrAppend(&out, ":",
                          (rep ? r->GetRepeatedEnum(m, f, k) : r->GetEnum(m, f))->name(), " ");
          continue;
        case FieldDescriptor::CPPTYPE_STRING: {
          const std::string s = rep ? r->GetRepeatedString(m, f, k) : r->GetString(m, f);
          absl::StrAppend(&out, ":\"", absl::CEscape(s), "\" ");
          continue;
        }
        default: {
          std::string v;
          WriteScalar(m, f, k, v);
          absl::StrAppend(&out, ":", v, " ");
        }
      }
    }
  }
  (void)d;
}

}  // namespace

std::string GoJsonString(absl::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t rune = 0;
    const size_t n = Utf8Length(s, i, &rune);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n == 1) {
      const char c = s[i];
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '<': case '>': case '&':
          out += absl::StrFormat("\\u%04x", c);
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            out += absl::StrFormat("\\u%04x", c);
          } else {
            out += c;
          }
      }
    } else if (rune == 0x2028 || rune == 0x2029) {
      out += absl::StrFormat("\\u%04x", rune);
    } else {
      out.append(s.data() + i, n);
    }
    i += n;
  }
  return out + "\"";
}

std::string GoQuoted(absl::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t rune = 0;
    const size_t n = Utf8Length(s, i, &rune);
    if (n == 0) {
      out += absl::StrFormat("\\x%02x", static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    if (n == 1) {
      const char c = s[i];
      switch (c) {
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out += absl::StrFormat("\\x%02x", static_cast<unsigned char>(c));
          } else {
            out += c;
          }
      }
    } else {
      out.append(s.data() + i, n);
    }
    i += n;
  }
  return out + "\"";
}

std::string GoJson(const Message& m) {
  std::string out;
  WriteMessage(m, out);
  return out;
}

std::string GoJsonMembers(const Message& m) {
  std::string out;
  WriteMembers(m, out);
  return out;
}

std::string GoCompactText(const Message& m) {
  std::string out;
  WriteText(m, out);
  return out;
}

std::string HumanizeBytes(uint64_t bytes) {
  static const char* const kSizes[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  if (bytes < 10) return absl::StrFormat("%d B", bytes);
  const double e = std::floor(std::log(static_cast<double>(bytes)) / std::log(1000.0));
  const double val =
      std::floor(static_cast<double>(bytes) / std::pow(1000.0, e) * 10 + 0.5) / 10;
  return absl::StrFormat(val < 10 ? "%.1f %s" : "%.0f %s", val, kSizes[static_cast<int>(e)]);
}

namespace {

// Display width in runes.
size_t Width(absl::string_view s) {
  size_t w = 0;
  for (char c : s) w += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return w;
}

// tablewriter's WrapWords: splits `words` into lines of at most `limit` columns with the least
// raggedness (squared slack; a line over the limit costs a penalty of 1e5).
std::vector<std::string> WrapWords(const std::vector<std::string>& words, size_t limit) {
  const size_t n = words.size();
  std::vector<std::vector<int64_t>> length(n, std::vector<int64_t>(n));
  for (size_t i = 0; i < n; ++i) {
    length[i][i] = Width(words[i]);
    for (size_t j = i + 1; j < n; ++j) length[i][j] = length[i][j - 1] + 1 + Width(words[j]);
  }
  const int64_t lim = static_cast<int64_t>(limit);
  std::vector<size_t> next_break(n);
  std::vector<int64_t> cost(n, INT32_MAX);
  for (size_t k = n; k-- > 0;) {
    if (length[k][n - 1] <= lim) {
      cost[k] = 0;
      next_break[k] = n;
      continue;
    }
    for (size_t j = k + 1; j < n; ++j) {
      const int64_t d = lim - length[k][j - 1];
      int64_t c = d * d + cost[j];
      if (length[k][j - 1] > lim) c += 100000;
      if (c < cost[k]) cost[k] = c, next_break[k] = j;
    }
  }
  std::vector<std::string> lines;
  for (size_t i = 0; i < n; i = next_break[i]) {
    lines.push_back(absl::StrJoin(words.begin() + i, words.begin() + next_break[i], " "));
  }
  return lines;
}

// A cell as tablewriter lays it out with auto-wrap: a cell wider than 30 columns is wrapped at
// spaces to at most 30 (or its longest word).
std::vector<std::string> CellLines(const std::string& cell) {
  constexpr size_t kMaxWidth = 30;
  std::vector<std::string> out;
  std::vector<std::string> paragraphs = absl::StrSplit(cell, '\n');
  size_t width = 0;
  for (const auto& p : paragraphs) width = std::max(width, Width(p));
  width = std::min(width, kMaxWidth);
  for (size_t i = 0; i < paragraphs.size(); ++i) {
    std::vector<std::string> words = absl::StrSplit(paragraphs[i], ' ');
    size_t limit = width;
    for (const auto& w : words) limit = std::max(limit, Width(w));
    if (i > 0) out.push_back(" ");
    for (auto& line : WrapWords(words, limit)) out.push_back(std::move(line));
  }
  return out;
}

}  // namespace

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::string> titles;
  for (const std::string& h : header) {
    std::string t = h;
    std::replace(t.begin(), t.end(), '_', ' ');
    titles.push_back(absl::AsciiStrToUpper(absl::StripAsciiWhitespace(t)));
  }
  std::vector<size_t> widths(titles.size());
  for (size_t i = 0; i < titles.size(); ++i) widths[i] = Width(titles[i]);
  std::vector<std::vector<std::vector<std::string>>> cells;  // row, column, line
  for (const auto& row : rows) {
    auto& laid = cells.emplace_back();
    for (size_t i = 0; i < widths.size(); ++i) {
      laid.push_back(CellLines(i < row.size() ? row[i] : ""));
      for (const auto& line : laid.back()) widths[i] = std::max(widths[i], Width(line));
    }
  }
  std::string line = "+";
  for (size_t w : widths) line += std::string(w + 2, '-') + "+";
  line += "\n";
  std::string out = line + "|";
  for (size_t i = 0; i < titles.size(); ++i) {
    const size_t gap = widths[i] - Width(titles[i]);
    out += " " + std::string(gap / 2, ' ') + titles[i] + std::string(gap - gap / 2, ' ') + " |";
  }
  out += "\n" + line;
  for (const auto& row : cells) {
    size_t height = 0;
    for (const auto& cell : row) height = std::max(height, cell.size());
    for (size_t k = 0; k < height; ++k) {
      out += "|";
      for (size_t i = 0; i < widths.size(); ++i) {
        const std::string text = k < row[i].size() ? row[i][k] : "";
        out += " " + std::string(widths[i] - Width(text), ' ') + text + " |";
      }
      out += "\n";
    }
  }
  out += line;  // the bottom border, even with no rows
  return out;
}

}  // namespace etcd::etcdctl
