// SHA-256 (FIPS 180-4) through OpenSSL's libcrypto: the digest etcd appends to a snapshot file
// (the 32-byte trailer that `etcdctl snapshot restore` checks) and the one that guards a
// snapshot sent between members. One home for it, so that no layer calls OpenSSL's EVP
// interface by hand.
//
//   pkg::Sha256 h;
//   h.Update(part1);
//   h.Update(part2);
//   std::string digest = h.Final();  // 32 raw bytes, not hex
//   // the same as pkg::Sha256::Of(part1 + part2)
//
// Thread-safety: an object is used by one thread at a time; distinct objects are independent.
#ifndef ETCD_PKG_SHA256_H_
#define ETCD_PKG_SHA256_H_

#include <cstddef>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace etcd::pkg {

class Sha256 {
 public:
  static constexpr size_t kSize = 32;  // bytes of a digest

  // The digest of `data` alone.
  static std::string Of(std::string_view data);

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Adds `data` to what is hashed. REQUIRES: Final not called yet.
  void Update(std::string_view data);
  // The digest of everything given to Update, in order: kSize raw bytes.
  // REQUIRES: called once.
  std::string Final();

 private:
  evp_md_ctx_st* const ctx_;
};

}  // namespace etcd::pkg

#endif  // ETCD_PKG_SHA256_H_
