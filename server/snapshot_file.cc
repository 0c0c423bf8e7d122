#include "server/snapshot_file.h"

#include <cstring>

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

}  // namespace

absl::StatusOr<SnapshotDecoder> SnapshotDecoder::Open(std::string contents, HashCheck check) {
  if (contents.size() < 8 || std::memcmp(contents.data(), kSnapshotMagic, 8) != 0) {
    return absl::DataLossError("not a snapshot file");
  }
  // As etcd: a file has a hash trailer if its size is 32 more than a multiple of 512.
  const bool has_hash = contents.size() % 512 == kSnapshotHashBytes;
  if (!has_hash && check == HashCheck::kRequired) {
    return absl::DataLossError("snapshot missing hash but --skip-hash-check=false");
  }
  const size_t body = has_hash ? contents.size() - kSnapshotHashBytes : contents.size();
  if (has_hash && check == HashCheck::kRequired) {
    const std::string want = contents.substr(body);
    const std::string got = pkg::Sha256::Of(std::string_view(contents.data(), body));
    if (got != want) {
      return absl::DataLossError("expected sha256 " + GoBytes(want) + ", got " + GoBytes(got));
    }
  }
  contents.resize(body);
  // Check the framing once, so that Next never meets a torn frame; keep only the frames.
  for (size_t pos = 8;;) {
    if (contents.size() - pos < 4) return absl::DataLossError("snapshot file is truncated");
    const auto* p = reinterpret_cast<const unsigned char*>(contents.data() + pos);
    const uint32_t n = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    if (n == 0) {  // the end marker; padding follows
      contents.resize(pos);
      break;
    }
    if (contents.size() - pos - 4 < n) return absl::DataLossError("snapshot file is truncated");
    pos += 4 + n;
  }
  return SnapshotDecoder(std::move(contents));
}

bool SnapshotDecoder::Next(peerpb::BackendRecords* out) {
  if (pos_ >= contents_.size()) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(contents_.data() + pos_);
  const uint32_t n = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
  const bool ok = out->ParseFromArray(contents_.data() + pos_ + 4, static_cast<int>(n));
  pos_ += 4 + n;
  return ok;
}

}  // namespace etcd::server
