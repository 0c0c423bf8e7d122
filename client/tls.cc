// TlsOptions::FromFiles: etcd 3.4's pkg/transport TLSInfo.ClientConfig checks (and Go's
// crypto/tls and crypto/x509 words for what they refuse), with OpenSSL's libcrypto doing the
// parsing. gRPC would only fail the handshake later, with nothing to tell the user why.
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/options.h"

namespace etcd::client {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// Go's os.ReadFile error: "open <name>: <errno text, lower case>".
absl::StatusOr<std::string> ReadFile(const std::string& name) {
  std::ifstream in(name, std::ios::binary);
  if (!in) {
    std::string reason = std::strerror(errno);
    if (!reason.empty()) reason[0] = absl::ascii_tolower(reason[0]);
    return absl::InvalidArgumentError(absl::StrCat("open ", name, ": ", reason));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("read ", name, ": is a directory"));
  return text.str();
}

struct PemBlock {
  std::string type;  // "CERTIFICATE", "PRIVATE KEY", ...
  std::string der;
};

// Every PEM block of `text`, in order (Go's pem.Decode in a loop: text between blocks is
// skipped, a block that does not decode ends the scan).
std::vector<PemBlock> PemBlocks(const std::string& text) {
  std::vector<PemBlock> blocks;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) break;
    blocks.push_back({name, std::string(reinterpret_cast<char*>(data), length)});
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  return blocks;
}

// Whether `*p` (`*remaining` bytes) starts with a DER SEQUENCE whose contents fit (OpenSSL's
// ASN1_get_object reads the header); if so moves `*p` to its contents and sets `*remaining` to
// their length.
bool EnterSequence(const unsigned char** p, long* remaining) {
  const unsigned char* q = *p;
  long length = 0;
  int tag = 0, xclass = 0;
  const int ret = ASN1_get_object(&q, &length, &tag, &xclass, *remaining);
  // 0x80: an error or contents longer than what is left; 0x01: indefinite length (not DER).
  if ((ret & 0x80) != 0 || (ret & 0x01) != 0 || (ret & V_ASN1_CONSTRUCTED) == 0 ||
      tag != V_ASN1_SEQUENCE || xclass != V_ASN1_UNIVERSAL) {
    return false;
  }
  *p = q;
  *remaining = length;
  return true;
}

// A DER certificate, or Go's x509.ParseCertificate error for the first layers of its
// structure ("malformed certificate": not a SEQUENCE; "malformed tbs certificate": its first
// element is not one, as with a private key given as a CA).
absl::StatusOr<std::unique_ptr<X509, X509Free>> ParseCertificate(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  long remaining = static_cast<long>(der.size());
  if (!EnterSequence(&p, &remaining)) {
    return absl::InvalidArgumentError("x509: malformed certificate");
  }
  if (!EnterSequence(&p, &remaining)) {
    return absl::InvalidArgumentError("x509: malformed tbs certificate");
  }
  p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr) return absl::InvalidArgumentError("x509: malformed certificate");
  return cert;
}

// Go's crypto/tls X509KeyPair: the first CERTIFICATE block of `cert_pem` must match the first
// "... PRIVATE KEY" block of `key_pem`.
absl::Status CheckKeyPair(const std::string& cert_pem, const std::string& key_pem) {
  std::vector<std::string> skipped;
  std::string leaf;
  for (const PemBlock& b : PemBlocks(cert_pem)) {
    if (b.type == "CERTIFICATE") {
      if (leaf.empty()) leaf = b.der;
    } else {
      skipped.push_back(b.type);
    }
  }
  if (leaf.empty()) {
    if (skipped.empty()) {
      return absl::InvalidArgumentError("tls: failed to find any PEM data in certificate input");
    }
    if (skipped.size() == 1 && absl::EndsWith(skipped[0], "PRIVATE KEY")) {
      return absl::InvalidArgumentError(
          "tls: failed to find certificate PEM data in certificate input, but did find a "
          "private key; PEM inputs may have been switched");
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM "
        "blocks of the following types: [",
        absl::StrJoin(skipped, " "), "]"));
  }
  skipped.clear();
  const PemBlock* key_block = nullptr;
  const std::vector<PemBlock> key_blocks = PemBlocks(key_pem);
  for (const PemBlock& b : key_blocks) {
    if (b.type == "PRIVATE KEY" || absl::EndsWith(b.type, " PRIVATE KEY")) {
      key_block = &b;
      break;
    }
    skipped.push_back(b.type);
  }
  if (key_block == nullptr) {
    if (skipped.empty()) {
      return absl::InvalidArgumentError("tls: failed to find any PEM data in key input");
    }
    if (skipped.size() == 1 && skipped[0] == "CERTIFICATE") {
      return absl::InvalidArgumentError(
          "tls: found a certificate rather than a key in the PEM for the private key");
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after "
        "skipping PEM blocks of the following types: [",
        absl::StrJoin(skipped, " "), "]"));
  }
  auto cert = ParseCertificate(leaf);
  if (!cert.ok()) return cert.status();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(key_block->der.data());
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(key_block->der.size())));
  if (key == nullptr) return absl::InvalidArgumentError("tls: failed to parse private key");
  std::unique_ptr<EVP_PKEY, PkeyFree> public_key(X509_get_pubkey(cert->get()));
  if (public_key == nullptr) {
    return absl::InvalidArgumentError("tls: unknown public key algorithm");
  }
  if (EVP_PKEY_base_id(public_key.get()) != EVP_PKEY_base_id(key.get())) {
    return absl::InvalidArgumentError("tls: private key type does not match public key type");
  }
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    return absl::InvalidArgumentError("tls: private key does not match public key");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TlsOptions> TlsOptions::FromFiles(const std::string& cert_file,
                                                 const std::string& key_file,
                                                 const std::string& ca_file) {
  TlsOptions tls;
  // TLSInfo.baseConfig, then tlsutil.NewCert: both files, read in this order, then paired.
  if (!cert_file.empty() || !key_file.empty()) {
    if (cert_file.empty() || key_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "KeyFile and CertFile must both be present[key: ", key_file, ", cert: ", cert_file,
          "]"));
    }
    auto cert = ReadFile(cert_file);
    if (!cert.ok()) return cert.status();
    auto key = ReadFile(key_file);
    if (!key.ok()) return key.status();
    if (absl::Status s = CheckKeyPair(*cert, *key); !s.ok()) return s;
    tls.cert_pem = *std::move(cert);
    tls.key_pem = *std::move(key);
  }
  // tlsutil.NewCertPool: every PEM block must be a certificate; a file without any gives an
  // empty pool, which verifies no server.
  if (!ca_file.empty()) {
    auto ca = ReadFile(ca_file);
    if (!ca.ok()) return ca.status();
    for (const PemBlock& b : PemBlocks(*ca)) {
      if (auto parsed = ParseCertificate(b.der); !parsed.ok()) return parsed.status();
    }
    tls.ca_pem = *std::move(ca);
  }
  return tls;
}

}  // namespace etcd::client
