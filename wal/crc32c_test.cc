#include "wal/internal/crc32c.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace etcd::wal::crc32c {
namespace {

using ExtendFn = uint32_t (*)(uint32_t, const void*, size_t);

class Crc32cTest : public ::testing::TestWithParam<ExtendFn> {
 protected:
  void SetUp() override {
    if (GetParam() == &internal::ExtendSse42 && !internal::HaveSse42()) {
      GTEST_SKIP() << "CPU without SSE4.2";
    }
  }
  uint32_t Crc(const void* p, size_t n) { return GetParam()(0, p, n); }
};

TEST_P(Crc32cTest, CheckValue) {
  // The standard check value of CRC-32C.
  EXPECT_EQ(0xE3069283u, Crc("123456789", 9));
  EXPECT_EQ(0u, Crc("", 0));
}

TEST_P(Crc32cTest, Rfc3720Vectors) {
  // RFC 3720, B.4.
  uint8_t buf[32];
  std::memset(buf, 0, sizeof(buf));
  EXPECT_EQ(0x8A9136AAu, Crc(buf, sizeof(buf)));
  std::memset(buf, 0xff, sizeof(buf));
  EXPECT_EQ(0x62A8AB43u, Crc(buf, sizeof(buf)));
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(0x46DD794Eu, Crc(buf, sizeof(buf)));
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(0x113FDB5Cu, Crc(buf, sizeof(buf)));
  const uint8_t iscsi_read[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(0xD9963A56u, Crc(iscsi_read, sizeof(iscsi_read)));
}

TEST_P(Crc32cTest, ExtendComposes) {
  std::string s = "hello world, this is a longer message spanning several words";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t a = GetParam()(0, s.data(), cut);
    EXPECT_EQ(Crc(s.data(), s.size()), GetParam()(a, s.data() + cut, s.size() - cut)) << cut;
  }
}

TEST_P(Crc32cTest, MatchesPortableOnRandomUnalignedInput) {
  std::mt19937_64 rng(42);
  std::string buf(4096 + 16, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (int i = 0; i < 500; ++i) {
    size_t off = rng() % 16;
    size_t len = rng() % 4096;
    uint32_t seed = static_cast<uint32_t>(rng());
    ASSERT_EQ(internal::ExtendPortable(seed, buf.data() + off, len),
              GetParam()(seed, buf.data() + off, len));
  }
}

INSTANTIATE_TEST_SUITE_P(Impl, Crc32cTest,
                         ::testing::Values(&internal::ExtendPortable, &internal::ExtendSse42,
                                           &Extend),
                         [](const auto& info) {
                           return std::string(info.index == 0   ? "Portable"
                                              : info.index == 1 ? "Sse42"
                                                                : "Dispatch");
                         });

TEST(Crc32cMaskTest, RoundTripsAndChanges) {
  uint32_t crc = Value("foo");
  EXPECT_NE(crc, Mask(crc));
  EXPECT_NE(crc, Mask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Unmask(Mask(Mask(crc)))));
}

}  // namespace
}  // namespace etcd::wal::crc32c
