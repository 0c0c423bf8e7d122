#include "mvcc/revision.h"

namespace etcd::mvcc {
namespace {

void PutBigEndian64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t GetBigEndian64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace

std::string EncodeRevision(Revision rev, bool tombstone) {
  std::string out(kRevisionBytes + (tombstone ? 1 : 0), '\0');
  PutBigEndian64(static_cast<uint64_t>(rev.main), out.data());
  out[8] = '_';
  PutBigEndian64(static_cast<uint64_t>(rev.sub), out.data() + 9);
  if (tombstone) out[kRevisionBytes] = 't';
  return out;
}

std::optional<DecodedRevision> DecodeRevision(std::string_view bytes) {
  if (bytes.size() < kRevisionBytes || bytes.size() > kRevisionBytes + 1 || bytes[8] != '_') {
    return std::nullopt;
  }
  DecodedRevision d;
  d.rev.main = static_cast<int64_t>(GetBigEndian64(bytes.data()));
  d.rev.sub = static_cast<int64_t>(GetBigEndian64(bytes.data() + 9));
  if (bytes.size() == kRevisionBytes + 1) {
    if (bytes[kRevisionBytes] != 't') return std::nullopt;
    d.tombstone = true;
  }
  return d;
}

}  // namespace etcd::mvcc
