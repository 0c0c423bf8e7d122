#include "server/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "pkg/sha256.h"

namespace etcd::server {
namespace {

void AppendFrame(const std::string& frame, std::string* out) {
  const uint32_t n = static_cast<uint32_t>(frame.size());
  const char len[4] = {static_cast<char>(n), static_cast<char>(n >> 8),
                       static_cast<char>(n >> 16), static_cast<char>(n >> 24)};
  out->append(len, 4);
  out->append(frame);
}

}  // namespace

bool ReadRecords(mvcc::BackendReader& reader, size_t max_bytes, peerpb::BackendRecords* out) {
  out->Clear();
  size_t bytes = 0;
  mvcc::Bucket bucket;
  std::string key, value;
  while (bytes < max_bytes && reader.Next(&bucket, &key, &value)) {
    bytes += key.size() + value.size();
    peerpb::BackendRecord* r = out->add_records();
    r->set_bucket(static_cast<uint32_t>(static_cast<unsigned char>(bucket)));
    r->set_key(std::move(key));
    r->set_value(std::move(value));
  }
  return !out->records().empty();
}

struct SnapshotEncoder::State {
  std::unique_ptr<mvcc::BackendReader> reader;
  pkg::Sha256 sha;  // of every byte before the trailer
  bool started = false;
  bool records_done = false;
  bool finished = false;
  uint64_t written = 0;  // bytes before the hash so far
};

SnapshotEncoder::SnapshotEncoder(std::unique_ptr<mvcc::BackendReader> reader)
    : state_(std::make_unique<State>()) {
  state_->reader = std::move(reader);
}

SnapshotEncoder::~SnapshotEncoder() = default;

bool SnapshotEncoder::Next(std::string* out, size_t max_bytes) {
  out->clear();
  if (state_->finished) return false;
  if (!state_->started) {
    out->append(kSnapshotMagic, 8);
    state_->started = true;
  }
  while (!state_->records_done && out->size() < max_bytes) {
    peerpb::BackendRecords records;
    if (!ReadRecords(*state_->reader, 1 << 20, &records)) {
      state_->records_done = true;
      break;
    }
    AppendFrame(records.SerializeAsString(), out);
  }
  if (state_->records_done) {
    if (!state_->reader->status().ok()) return false;
    // The end marker and the padding to a multiple of 512 bytes.
    state_->written += out->size() + 4;
    out->append(4, '\0');
    const size_t pad = (512 - state_->written % 512) % 512;
    out->append(pad, '\0');
    state_->written += pad;
  } else {
    state_->written += out->size();
  }
  state_->sha.Update(*out);
  if (state_->records_done) {
    out->append(state_->sha.Final());
    state_->finished = true;
  }
  return true;
}

absl::Status SnapshotEncoder::status() const { return state_->reader->status(); }

namespace {

// Go's %v of a []byte, as etcd prints digests: [1 2 255].
std::string GoBytes(std::string_view b) {
  std::string out = "[";
  for (size_t i = 0; i < b.size(); ++i) {
    if (i > 0) out += ' ';
    out += std::to_string(static_cast<unsigned char>(b[i]));
  }
  return out + "]";
}

// Memory of the hash check: the body is read in pieces of this size.
constexpr size_t kHashChunkBytes = 1 << 20;

uint32_t DecodeFrameLength(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return u[0] | (u[1] << 8) | (u[2] << 16) | (static_cast<uint32_t>(u[3]) << 24);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SnapshotDecoder>> SnapshotDecoder::OpenFile(
    const std::string& path, HashCheck check) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError("open " + path + ": no such file or directory");
    if (err == EACCES) return absl::PermissionDeniedError("open " + path + ": permission denied");
    return absl::UnknownError("open " + path + ": " + std::strerror(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::UnknownError("stat " + path + ": " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError("read " + path + ": is a directory");
  }
  // From here the decoder owns fd.
  std::unique_ptr<SnapshotDecoder> d(
      new SnapshotDecoder(path, fd, static_cast<uint64_t>(st.st_size)));
  char magic[8];
  if (d->file_size_ < 8) return absl::DataLossError("not a snapshot file");
  if (absl::Status s = d->ReadAt(0, 8, magic); !s.ok()) return s;
  if (std::memcmp(magic, kSnapshotMagic, 8) != 0) {
    return absl::DataLossError("not a snapshot file");
  }
  // As etcd: a file has a hash trailer if its size is 32 more than a multiple of 512.
  const bool has_hash = d->file_size_ % 512 == kSnapshotHashBytes;
  if (!has_hash && check == HashCheck::kRequired) {
    return absl::DataLossError("snapshot missing hash but --skip-hash-check=false");
  }
  const uint64_t body = has_hash ? d->file_size_ - kSnapshotHashBytes : d->file_size_;
  if (check == HashCheck::kRequired) {
    if (absl::Status s = d->VerifyHash(body); !s.ok()) return s;
  }
  if (absl::Status s = d->CheckFraming(body); !s.ok()) return s;
  return d;
}

SnapshotDecoder::SnapshotDecoder(std::string path, int fd, uint64_t file_size)
    : path_(std::move(path)), fd_(fd), file_size_(file_size) {}

SnapshotDecoder::~SnapshotDecoder() { ::close(fd_); }

absl::Status SnapshotDecoder::ReadAt(uint64_t offset, size_t n, char* out) {
  while (n > 0) {
    const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      return absl::DataLossError("read " + path_ + ": " + std::strerror(errno));
    }
    // The file was cut since OpenFile measured it.
    if (got == 0) return absl::DataLossError("snapshot file is truncated");
    out += got;
    offset += static_cast<uint64_t>(got);
    n -= static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

absl::Status SnapshotDecoder::VerifyHash(uint64_t body_size) {
  pkg::Sha256 sha;
  {
    std::string chunk(static_cast<size_t>(std::min<uint64_t>(kHashChunkBytes, body_size)), '\0');
    Buffered(chunk.size());
    for (uint64_t offset = 0; offset < body_size;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), body_size - offset));
      if (absl::Status s = ReadAt(offset, n, chunk.data()); !s.ok()) return s;
      sha.Update(std::string_view(chunk.data(), n));
      offset += n;
    }
  }
  std::string want(kSnapshotHashBytes, '\0');
  if (absl::Status s = ReadAt(body_size, kSnapshotHashBytes, want.data()); !s.ok()) return s;
  const std::string got = sha.Final();
  if (got != want) {
    return absl::DataLossError("expected sha256 " + GoBytes(want) + ", got " + GoBytes(got));
  }
  return absl::OkStatus();
}

// Walks the frame lengths to the end marker, so that Next never meets a torn frame.
absl::Status SnapshotDecoder::CheckFraming(uint64_t body_size) {
  for (uint64_t pos = 8;;) {
    if (body_size < pos + 4) return absl::DataLossError("snapshot file is truncated");
    char len[4];
    if (absl::Status s = ReadAt(pos, 4, len); !s.ok()) return s;
    const uint32_t n = DecodeFrameLength(len);
    if (n == 0) {  // the end marker; padding follows
      frames_end_ = pos;
      return absl::OkStatus();
    }
    if (body_size - pos - 4 < n) return absl::DataLossError("snapshot file is truncated");
    pos += 4 + n;
  }
}

bool SnapshotDecoder::Next(peerpb::BackendRecords* out) {
  if (!status_.ok() || pos_ >= frames_end_) return false;
  char len[4];
  status_ = ReadAt(pos_, 4, len);
  if (!status_.ok()) return false;
  const uint32_t n = DecodeFrameLength(len);
  if (n == 0 || frames_end_ - pos_ < 4 + uint64_t{n}) {  // the file changed since OpenFile
    status_ = absl::DataLossError("snapshot file is truncated");
    return false;
  }
  frame_.resize(n);
  Buffered(frame_.capacity());
  status_ = ReadAt(pos_ + 4, n, frame_.data());
  if (!status_.ok()) return false;
  // Protobuf parses at most 2 GiB; a larger frame is not one SnapshotEncoder wrote.
  if (n > static_cast<uint32_t>(std::numeric_limits<int>::max()) ||
      !out->ParseFromArray(frame_.data(), static_cast<int>(n))) {
    status_ = absl::DataLossError("snapshot frame at byte " + std::to_string(pos_) +
                                  " does not parse");
    return false;
  }
  pos_ += 4 + n;
  return true;
}

}  // namespace etcd::server
