#include "wal/internal/record.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "wal/internal/crc32c.h"

namespace etcd::wal::internal {
namespace {

void PutLE32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t GetLE32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

bool ValidType(uint8_t t) { return t >= 1 && t <= 5; }

}  // namespace

void RecordEncoder::Finish(RecordType type, size_t start, uint32_t length, uint32_t seed,
                           std::string* out) {
  char* h = out->data() + start;
  crc_ = crc32c::Extend(seed, h + kHeaderBytes, length);
  PutLE32(h, crc_);
  PutLE32(h + 4, length);
  h[8] = static_cast<char>(type);
  h[9] = h[10] = h[11] = 0;
  PutLE32(h + 12, crc32c::Mask(crc32c::Extend(0, h, 12)));
  out->resize(start + kHeaderBytes + PaddedLength(length), '\0');
}

void RecordEncoder::Add(RecordType type, std::string_view data, std::string* out) {
  size_t start = out->size();
  out->resize(start + kHeaderBytes);
  out->append(data);
  Finish(type, start, static_cast<uint32_t>(data.size()), crc_, out);
}

bool RecordEncoder::AddMessage(RecordType type, const google::protobuf::MessageLite& msg,
                               std::string* out) {
  size_t n = msg.ByteSizeLong();
  if (n > kMaxRecordBytes) return false;
  size_t start = out->size();
  out->resize(start + kHeaderBytes + n);
  msg.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out->data() + start +
                                                                 kHeaderBytes));
  Finish(type, start, static_cast<uint32_t>(n), crc_, out);
  return true;
}

void RecordEncoder::AddCrc(std::string* out) {
  uint32_t carried = crc_;
  size_t start = out->size();
  out->resize(start + kHeaderBytes + 4);
  PutLE32(out->data() + start + kHeaderBytes, carried);
  Finish(RecordType::kCrc, start, 4, carried, out);
}

SegmentDecoder::Result SegmentDecoder::Bad(bool torn, std::string problem) {
  torn_ = torn;
  problem_ = std::move(problem);
  return Result::kBad;
}

bool SegmentDecoder::AllZero(uint64_t begin, uint64_t end) const {
  for (uint64_t i = begin; i < end; ++i) {
    if (contents_[i] != 0) return false;
  }
  return true;
}

bool SegmentDecoder::HasZeroSector(uint64_t begin, uint64_t end) const {
  // A sector that never reached the disk reads as zeros from where this record's bytes start
  // in it to the sector's end (or end of file), not only within the record: otherwise a few
  // zero padding bytes after a sector boundary would excuse any corruption.
  const uint64_t size = contents_.size();
  while (begin < end) {
    uint64_t sector_end = (begin / kSectorBytes + 1) * kSectorBytes;
    if (AllZero(begin, std::min(size, sector_end))) return true;
    begin = sector_end;
  }
  return false;
}

bool SegmentDecoder::NothingAfter(uint64_t begin) const {
  if (!data_end_.has_value()) {
    uint64_t end = contents_.size();
    while (end > 0 && contents_[end - 1] == 0) --end;
    data_end_ = end;
  }
  return *data_end_ <= begin;
}

SegmentDecoder::Result SegmentDecoder::Next(DecodedRecord* record) {
  const uint64_t size = contents_.size();
  if (pos_ == size) return Result::kEnd;
  if (size - pos_ < kHeaderBytes) {
    if (AllZero(pos_, size)) return Result::kEnd;
    return Bad(true, absl::StrCat("incomplete record header (", size - pos_, " bytes at end)"));
  }
  const char* h = contents_.data() + pos_;
  const uint64_t header_end = pos_ + kHeaderBytes;
  if (AllZero(pos_, header_end) && AllZero(header_end, size)) {
    return Result::kEnd;  // preallocated space or a zero-filled tail
  }
  if (crc32c::Unmask(GetLE32(h + 12)) != crc32c::Extend(0, h, 12)) {
    // Torn if nothing was written after this header, or a sector under it never reached the
    // disk (a 16-byte header at an 8-aligned offset may straddle two sectors).
    bool torn = NothingAfter(header_end) || HasZeroSector(pos_, header_end);
    return Bad(torn, AllZero(pos_, header_end) ? "zero record header followed by data"
                                               : "record header checksum mismatch");
  }
  const uint32_t chain_crc = GetLE32(h);
  const uint32_t length = GetLE32(h + 4);
  const uint8_t type = static_cast<uint8_t>(h[8]);
  if (!ValidType(type) || h[9] != 0 || h[10] != 0 || h[11] != 0) {
    return Bad(false, absl::StrCat("unknown record type ", type));
  }
  if (length > kMaxRecordBytes) {
    return Bad(false, absl::StrCat("impossible record length ", length));
  }
  const uint64_t data_begin = pos_ + kHeaderBytes;
  const uint64_t end = data_begin + PaddedLength(length);
  if (end > size) {
    return Bad(true, absl::StrCat("record of ", length, " bytes cut short by end of file"));
  }
  std::string_view data = contents_.substr(data_begin, length);
  if ((pos_ == 0) != (static_cast<RecordType>(type) == RecordType::kCrc)) {
    return Bad(false, pos_ == 0 ? "segment does not start with a crc record"
                                : "crc record in the middle of a segment");
  }
  uint32_t seed;
  if (static_cast<RecordType>(type) == RecordType::kCrc) {
    if (length != 4) return Bad(false, absl::StrCat("crc record of length ", length));
    seed = GetLE32(data.data());
  } else {
    seed = *crc_;
  }
  if (crc32c::Extend(seed, data.data(), data.size()) != chain_crc) {
    return Bad(NothingAfter(end) || HasZeroSector(data_begin, end), "record checksum mismatch");
  }
  if (!AllZero(data_begin + length, end)) return Bad(false, "non-zero record padding");
  if (static_cast<RecordType>(type) == RecordType::kCrc && crc_.has_value() && *crc_ != seed) {
    return Bad(false, absl::StrCat("crc chain broken: segment carries ", seed,
                                   ", previous records end with ", *crc_));
  }
  crc_ = chain_crc;
  record->type = static_cast<RecordType>(type);
  record->data = data;
  record->offset = pos_;
  pos_ = end;
  return Result::kRecord;
}

}  // namespace etcd::wal::internal
