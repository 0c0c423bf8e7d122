#include "pkg/sha256.h"

#include <openssl/evp.h>

namespace etcd::pkg {

std::string Sha256::Of(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Final();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }

std::string Sha256::Final() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, digest, &len);
  return std::string(reinterpret_cast<char*>(digest), len);
}

}  // namespace etcd::pkg
