#include "pkg/go_parse.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace etcd::pkg {
namespace {

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

absl::Status SyntaxError(absl::string_view func, absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("strconv.", func, ": parsing ", Quote(text), ": invalid syntax"));
}
absl::Status RangeError(absl::string_view func, absl::string_view text) {
  return absl::OutOfRangeError(
      absl::StrCat("strconv.", func, ": parsing ", Quote(text), ": value out of range"));
}

// Underscores may only separate digits, or follow a base prefix (Go's underscoreOK).
bool UnderscoresOk(absl::string_view digits, bool after_prefix) {
  if (digits.empty()) return true;
  if (digits.front() == '_' && !after_prefix) return false;
  if (digits.back() == '_') return false;
  return digits.find("__") == absl::string_view::npos;
}

// The magnitude of `s` (no sign) in `base` (0: from its prefix), at most `max`. Errors name
// `func` and `text` (the caller's whole input), as Go's.
absl::StatusOr<uint64_t> ParseMagnitude(absl::string_view s, int base, uint64_t max,
                                        absl::string_view func, absl::string_view text) {
  if (s.empty()) return SyntaxError(func, text);
  const bool base0 = base == 0;  // Go's literal syntax: prefixes, and underscores in digits
  bool prefixed = false;
  if (base0) {
    base = 10;
    if (s[0] == '0') {
      const char p = absl::ascii_tolower(static_cast<unsigned char>(s.size() > 1 ? s[1] : 0));
      if (s.size() >= 3 && (p == 'x' || p == 'b' || p == 'o')) {
        base = p == 'x' ? 16 : p == 'b' ? 2 : 8;
        s.remove_prefix(2);
      } else {
        base = 8;
        s.remove_prefix(1);
      }
      prefixed = true;
    }
  } else if (base < 2 || base > 36) {
    return absl::InvalidArgumentError(absl::StrCat("strconv.", func, ": parsing ", Quote(text),
                                                   ": invalid base ", base));
  }
  uint64_t value = 0;
  bool underscores = false;
  for (char c : s) {
    if (c == '_' && base0) {
      underscores = true;
      continue;
    }
    const char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (lower >= 'a' && lower <= 'z') {
      digit = lower - 'a' + 10;
    } else {
      return SyntaxError(func, text);
    }
    if (digit >= base) return SyntaxError(func, text);
    if (value > (max - digit) / base) return RangeError(func, text);
    value = value * base + digit;
  }
  if (underscores && !UnderscoresOk(s, prefixed)) return SyntaxError(func, text);
  return value;
}

uint64_t MaxOfBits(int bits) {
  return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << std::max(bits, 1)) - 1;
}

}  // namespace

absl::StatusOr<bool> GoParseBool(absl::string_view text) {
  for (absl::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (text == t) return true;
  }
  for (absl::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (text == f) return false;
  }
  return SyntaxError("ParseBool", text);
}

absl::StatusOr<uint64_t> GoParseUint(absl::string_view text, int base, int bits) {
  return ParseMagnitude(text, base, MaxOfBits(bits), "ParseUint", text);
}

absl::StatusOr<int64_t> GoParseInt(absl::string_view text, int base, int bits) {
  absl::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  // |min| of a `bits`-bit two's complement integer; the positive range is one less.
  const uint64_t cutoff = uint64_t{1} << (std::clamp(bits, 1, 64) - 1);
  absl::StatusOr<uint64_t> magnitude = ParseMagnitude(s, base, ~uint64_t{0}, "ParseInt", text);
  if (!magnitude.ok()) return magnitude.status();
  if (negative ? *magnitude > cutoff : *magnitude >= cutoff) return RangeError("ParseInt", text);
  return negative ? static_cast<int64_t>(0 - *magnitude) : static_cast<int64_t>(*magnitude);
}

absl::StatusOr<absl::Duration> GoParseDuration(absl::string_view text) {
  const auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat("time: invalid duration ", Quote(text)));
  };
  absl::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return invalid();
  absl::Duration total = absl::ZeroDuration();
  while (!s.empty()) {
    // [0-9]*(\.[0-9]*)? with at least one digit.
    size_t i = 0;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
    const size_t int_digits = i;
    size_t frac_digits = 0;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
        ++i;
        ++frac_digits;
      }
    }
    if (int_digits == 0 && frac_digits == 0) return invalid();
    const absl::string_view number = s.substr(0, i);
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !absl::ascii_isdigit(static_cast<unsigned char>(s[u]))) {
      ++u;
    }
    const absl::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    absl::Duration scale;
    if (unit.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: missing unit in duration ", Quote(text)));
    } else if (unit == "ns") {
      scale = absl::Nanoseconds(1);
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      scale = absl::Microseconds(1);
    } else if (unit == "ms") {
      scale = absl::Milliseconds(1);
    } else if (unit == "s") {
      scale = absl::Seconds(1);
    } else if (unit == "m") {
      scale = absl::Minutes(1);
    } else if (unit == "h") {
      scale = absl::Hours(1);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("time: unknown unit ", Quote(unit),
                                                     " in duration ", Quote(text)));
    }
    double value = 0;
    if (!absl::SimpleAtod(number, &value)) return invalid();
    total += scale * value;
  }
  return negative ? -total : total;
}

std::string GoDurationString(absl::Duration d) {
  const int64_t ns = absl::ToInt64Nanoseconds(d);
  if (ns == 0) return "0s";
  const std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  // `v` with its last `digits` digits as a fraction, trailing zeros dropped ("1.5", "850").
  const auto fraction = [](uint64_t v, int digits) {
    std::string s = std::to_string(v);
    if (static_cast<int>(s.size()) < digits + 1) s.insert(0, digits + 1 - s.size(), '0');
    std::string integer = s.substr(0, s.size() - digits);
    std::string frac = s.substr(s.size() - digits);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return frac.empty() ? integer : integer + "." + frac;
  };
  // Below a second: one unit with a fraction.
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + fraction(u, 3) + "\xC2\xB5s";
  if (u < 1000000000) return sign + fraction(u, 6) + "ms";
  constexpr uint64_t kHour = 3600000000000ULL, kMinute = 60000000000ULL;
  const uint64_t hours = u / kHour;
  u -= hours * kHour;
  const uint64_t minutes = u / kMinute;
  u -= minutes * kMinute;
  std::string out = sign;
  if (hours > 0) absl::StrAppend(&out, hours, "h");
  if (hours > 0 || minutes > 0) absl::StrAppend(&out, minutes, "m");
  return out + fraction(u, 9) + "s";
}

}  // namespace etcd::pkg
