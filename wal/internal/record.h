// The WAL record framing (see wal/README.md, "On-disk format"). Internal to //wal.
//
// Every record starts at an offset that is a multiple of 8 bytes:
//
//   offset  size  field
//   0       4     chain_crc   CRC-32C of `data`, seeded with the chain_crc of the previous
//                             record (Extend(prev, data)); a kCrc record is seeded with the
//                             value it carries. Little-endian.
//   4       4     length      bytes of `data` (not counting padding). Little-endian.
//   8       1     type        RecordType; 0 is never valid, so zeros never parse as a record.
//   9       3     reserved    zero.
//   12      4     header_crc  Mask(CRC-32C of bytes [0, 12)).
//   16      length data
//   ...     0-7   padding     zeros up to the next multiple of 8.
//
// The header has its own checksum, so a torn or corrupt length is never trusted: a reader
// never skips ahead by a length it has not verified.
#ifndef ETCD_WAL_INTERNAL_RECORD_H_
#define ETCD_WAL_INTERNAL_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "google/protobuf/message_lite.h"

namespace etcd::wal::internal {

enum class RecordType : uint8_t {
  kMetadata = 1,  // data: opaque metadata given to Wal::Create (the same in every segment)
  kEntry = 2,     // data: raftpb::Entry
  kState = 3,     // data: raftpb::HardState
  kCrc = 4,       // data: 4 bytes, the chain_crc at the end of the previous segment (or 0)
  kSnapshot = 5,  // data: raftpb::SnapshotMetadata with only index and term set
};

inline constexpr size_t kHeaderBytes = 16;
inline constexpr uint64_t kSectorBytes = 512;
// Largest `data` accepted: a longer length in a checksummed header is corruption.
inline constexpr uint32_t kMaxRecordBytes = 256u << 20;

inline constexpr uint64_t PaddedLength(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// Appends encoded records to a caller-owned buffer and keeps the CRC chain.
class RecordEncoder {
 public:
  explicit RecordEncoder(uint32_t chain_crc) : crc_(chain_crc) {}

  void Add(RecordType type, std::string_view data, std::string* out);
  // Serializes `msg` straight into `out`. Returns false if it is larger than kMaxRecordBytes.
  bool AddMessage(RecordType type, const google::protobuf::MessageLite& msg, std::string* out);
  // A kCrc record carrying the current chain value; starts every segment.
  void AddCrc(std::string* out);

  uint32_t crc() const { return crc_; }

 private:
  // Writes the header for data at out[start + kHeaderBytes, +length) and pads.
  void Finish(RecordType type, size_t start, uint32_t length, uint32_t seed, std::string* out);
  uint32_t crc_;
};

struct DecodedRecord {
  RecordType type;
  std::string_view data;
  uint64_t offset;  // of the header, in bytes from the start of the segment
};

// Reads the records of one segment held in memory.
class SegmentDecoder {
 public:
  enum class Result {
    kRecord,  // *record is valid (checksums and chain verified)
    kEnd,     // no more records: end of file, or only zeros (preallocated space) remain
    kBad,     // the bytes at valid_end() are not a valid record: see torn() and problem()
  };

  // `chain_crc`: the chain value at the end of the previous segment, or nullopt if this is
  // the first segment read (its kCrc record then starts the chain unchecked).
  SegmentDecoder(std::string_view contents, std::optional<uint32_t> chain_crc)
      : contents_(contents), crc_(chain_crc) {}

  Result Next(DecodedRecord* record);

  // Offset just past the last valid record (bytes).
  uint64_t valid_end() const { return pos_; }
  // Chain value after the last valid record (nullopt before the first one).
  std::optional<uint32_t> crc() const { return crc_; }
  // After kBad: true if the bad bytes look like a write interrupted by a crash: the file ends
  // inside the record, or only zeros follow it, or a 512-byte sector under it never reached
  // the disk (reads as zeros to the sector's end). False if they look like damage to data
  // that was once complete, i.e. a bad record followed by more data.
  bool torn() const { return torn_; }
  // After kBad: what was wrong, for the error message.
  const std::string& problem() const { return problem_; }

 private:
  Result Bad(bool torn, std::string problem);
  // True if, for some 512-byte sector overlapping [begin, end), the bytes from max(begin,
  // sector start) to the sector's end (or end of file) are all zero.
  bool HasZeroSector(uint64_t begin, uint64_t end) const;
  bool AllZero(uint64_t begin, uint64_t end) const;
  // True if contents_[begin, end of file) is all zeros.
  bool NothingAfter(uint64_t begin) const;

  std::string_view contents_;
  uint64_t pos_ = 0;
  std::optional<uint32_t> crc_;
  mutable std::optional<uint64_t> data_end_;  // offset after the last non-zero byte
  bool torn_ = false;
  std::string problem_;
};

}  // namespace etcd::wal::internal

#endif  // ETCD_WAL_INTERNAL_RECORD_H_
