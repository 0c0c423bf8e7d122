#include "pkg/go_parse.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace etcd::pkg {
namespace {

TEST(GoParseTest, Bool) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) EXPECT_TRUE(*GoParseBool(t)) << t;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) EXPECT_FALSE(*GoParseBool(f));
  EXPECT_EQ(GoParseBool("yes").status().message(),
            "strconv.ParseBool: parsing \"yes\": invalid syntax");
}

TEST(GoParseTest, Integers) {
  EXPECT_EQ(*GoParseInt("ff", 16, 64), 255);
  EXPECT_EQ(*GoParseInt("-10", 10, 64), -10);
  EXPECT_EQ(*GoParseInt("-9223372036854775808", 10, 64), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*GoParseUint("ffffffffffffffff", 16, 64), std::numeric_limits<uint64_t>::max());
  // Base 0: Go's literal prefixes and underscores.
  EXPECT_EQ(*GoParseUint("0x1F", 0, 64), 31u);
  EXPECT_EQ(*GoParseUint("0o17", 0, 64), 15u);
  EXPECT_EQ(*GoParseUint("017", 0, 64), 15u);
  EXPECT_EQ(*GoParseUint("0b101", 0, 64), 5u);
  EXPECT_EQ(*GoParseUint("1_000", 0, 64), 1000u);
  EXPECT_EQ(*GoParseInt("-0x_10", 0, 64), -16);
  for (const char* bad : {"", "_1", "1_", "1__0", "0x", "12a", "- 1", "1_000x"}) {
    auto v = GoParseUint(bad, 0, 64);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(GoParseUint("1_000", 10, 64).ok());  // underscores only with base 0
  EXPECT_EQ(GoParseInt("xyz", 16, 64).status().message(),
            "strconv.ParseInt: parsing \"xyz\": invalid syntax");
  EXPECT_EQ(GoParseUint("-1", 10, 64).status().message(),
            "strconv.ParseUint: parsing \"-1\": invalid syntax");
}

TEST(GoParseTest, IntegerRanges) {
  EXPECT_EQ(*GoParseUint("4294967295", 0, 32), 4294967295u);
  auto over = GoParseUint("4294967296", 0, 32);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(over.status().message(),
            "strconv.ParseUint: parsing \"4294967296\": value out of range");
  EXPECT_EQ(GoParseUint("18446744073709551616", 10, 64).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(GoParseInt("9223372036854775808", 10, 64).status().message(),
            "strconv.ParseInt: parsing \"9223372036854775808\": value out of range");
  EXPECT_EQ(GoParseInt("-9223372036854775809", 10, 64).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*GoParseInt("-128", 10, 8), -128);
  EXPECT_EQ(GoParseInt("128", 10, 8).status().code(), absl::StatusCode::kOutOfRange);
  // Go reports the overflow before looking at the rest.
  EXPECT_EQ(GoParseUint("99999999999999999999x", 10, 64).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(GoParseTest, Durations) {
  EXPECT_EQ(*GoParseDuration("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*GoParseDuration("1.5h"), absl::Minutes(90));
  EXPECT_EQ(*GoParseDuration("250ms"), absl::Milliseconds(250));
  EXPECT_EQ(*GoParseDuration(".5s"), absl::Milliseconds(500));
  EXPECT_EQ(*GoParseDuration("1.s"), absl::Seconds(1));
  EXPECT_EQ(*GoParseDuration("-2us"), -absl::Microseconds(2));
  EXPECT_EQ(*GoParseDuration("3\xC2\xB5s"), absl::Microseconds(3));
  EXPECT_EQ(*GoParseDuration("0"), absl::ZeroDuration());
  EXPECT_EQ(*GoParseDuration("+0"), absl::ZeroDuration());
  EXPECT_EQ(GoParseDuration("3d").status().message(),
            "time: unknown unit \"d\" in duration \"3d\"");
  EXPECT_EQ(GoParseDuration("10").status().message(), "time: missing unit in duration \"10\"");
  for (const char* bad : {"", "-", ".s", "s", "1s2"}) {
    EXPECT_FALSE(GoParseDuration(bad).ok()) << bad;
  }
  EXPECT_EQ(GoParseDuration("x1s").status().message(), "time: invalid duration \"x1s\"");
}

TEST(GoParseTest, DurationStrings) {
  EXPECT_EQ(GoDurationString(absl::ZeroDuration()), "0s");
  EXPECT_EQ(GoDurationString(absl::Seconds(2)), "2s");
  EXPECT_EQ(GoDurationString(absl::Nanoseconds(2849280)), "2.84928ms");
  EXPECT_EQ(GoDurationString(absl::Nanoseconds(850123)), "850.123\xC2\xB5s");
  EXPECT_EQ(GoDurationString(absl::Nanoseconds(12)), "12ns");
  EXPECT_EQ(GoDurationString(absl::Seconds(90)), "1m30s");
  EXPECT_EQ(GoDurationString(absl::Hours(2) + absl::Milliseconds(1500)), "2h0m1.5s");
  EXPECT_EQ(GoDurationString(-absl::Milliseconds(1500)), "-1.5s");
}

}  // namespace
}  // namespace etcd::pkg
