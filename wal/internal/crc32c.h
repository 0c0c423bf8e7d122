// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of every WAL
// record and snapshot file. Same function as iSCSI (RFC 3720), ext4 metadata and etcd's
// crc32.MakeTable(crc32.Castagnoli); Extend(crc, ...) composes like Go's crc32.Update.
//
// Uses the SSE4.2 CRC32 instruction when the CPU has it (checked once at runtime), else a
// slicing-by-8 table. Thread-safe: pure functions.
#ifndef ETCD_WAL_INTERNAL_CRC32C_H_
#define ETCD_WAL_INTERNAL_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace etcd::wal::crc32c {

// Returns the CRC-32C of data[0, n) appended to a message whose CRC-32C is `crc`.
// Extend(Extend(0, a), b) == Extend(0, a + b).
uint32_t Extend(uint32_t crc, const void* data, size_t n);

// CRC-32C of `data` alone.
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

// A CRC stored next to the data it covers is masked (as LevelDB does) so that computing a CRC
// of a buffer that embeds CRCs does not degenerate.
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

namespace internal {
// The two implementations, exposed so tests can check both on any machine.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);
// REQUIRES: HaveSse42().
uint32_t ExtendSse42(uint32_t crc, const void* data, size_t n);
bool HaveSse42();
}  // namespace internal

}  // namespace etcd::wal::crc32c

#endif  // ETCD_WAL_INTERNAL_CRC32C_H_
