#include "pkg/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"

namespace etcd::pkg {
namespace {

// The vectors of FIPS 180-4's examples (NIST CSRC, "SHA256.pdf") and of the empty string.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(absl::BytesToHexString(Sha256::Of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(absl::BytesToHexString(Sha256::Of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(absl::BytesToHexString(
                Sha256::Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, UpdatesInPiecesEqualOneShot) {
  const std::string data(1000, 'x');
  Sha256 h;
  h.Update(std::string_view(data).substr(0, 1));
  h.Update(std::string_view(data).substr(1, 0));
  h.Update(std::string_view(data).substr(1));
  const std::string digest = h.Final();
  EXPECT_EQ(digest.size(), Sha256::kSize);
  EXPECT_EQ(digest, Sha256::Of(data));
}

}  // namespace
}  // namespace etcd::pkg
