#include "server/snapshot_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "pkg/sha256.h"
#include "testing/process.h"

namespace etcd::server {
namespace {

std::string EncodeAll(mvcc::Backend& b, size_t piece) {
  SnapshotEncoder enc(b.NewReader());
  std::string file, part;
  while (enc.Next(&part, piece)) file += part;
  EXPECT_TRUE(enc.status().ok());
  return file;
}

std::string WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// Writes a snapshot file by hand, a frame at a time (the format of snapshot_file.h, read
// independently of SnapshotEncoder), so that a test can put any bytes in a frame and write a
// large file without holding it.
class SnapshotWriter {
 public:
  explicit SnapshotWriter(const std::string& path) : out_(path, std::ios::binary) {
    Write(std::string(kSnapshotMagic, 8));
  }
  void AddFrame(const std::string& frame) {
    const uint32_t n = static_cast<uint32_t>(frame.size());
    const char len[4] = {static_cast<char>(n), static_cast<char>(n >> 8),
                         static_cast<char>(n >> 16), static_cast<char>(n >> 24)};
    Write(std::string(len, 4));
    Write(frame);
  }
  // The end marker, the padding and the hash trailer.
  void Finish() {
    Write(std::string(4, '\0'));
    Write(std::string((512 - written_ % 512) % 512, '\0'));
    out_ << sha_.Final();
    out_.close();
  }

 private:
  void Write(const std::string& bytes) {
    sha_.Update(bytes);
    written_ += bytes.size();
    out_ << bytes;
  }
  std::ofstream out_;
  pkg::Sha256 sha_;
  uint64_t written_ = 0;
};

TEST(SnapshotFileTest, RoundTripsEveryRecordOfEveryBucket) {
  const std::string dir = testing::NewTempDir("roundtrip");
  auto b = mvcc::Backend::Open(dir + "/db");
  ASSERT_TRUE(b.ok());
  std::map<std::pair<int, std::string>, std::string> want;
  mvcc::WriteBatch batch;
  for (int i = 0; i < 3000; ++i) {
    const auto bucket = i % 3 == 0 ? mvcc::Bucket::kKey
                        : i % 3 == 1 ? mvcc::Bucket::kLease
                                     : mvcc::Bucket::kMeta;
    const std::string key = "key" + std::to_string(i);
    const std::string value(i % 700, static_cast<char>('a' + i % 26));
    batch.Put(bucket, key, value);
    want[{static_cast<int>(bucket), key}] = value;
  }
  ASSERT_TRUE((*b)->Write(batch).ok());
  // Small pieces: frames and the hash span many of them.
  const std::string file = EncodeAll(**b, 4096);
  EXPECT_EQ(file.size() % 512, kSnapshotHashBytes);  // as etcdctl checks
  auto dec = SnapshotDecoder::OpenFile(WriteFile(dir + "/snap.db", file));
  ASSERT_TRUE(dec.ok()) << dec.status();
  EXPECT_EQ((*dec)->file_size(), file.size());
  std::map<std::pair<int, std::string>, std::string> got;
  peerpb::BackendRecords records;
  while ((*dec)->Next(&records)) {
    for (const auto& r : records.records()) got[{static_cast<int>(r.bucket()), r.key()}] = r.value();
  }
  EXPECT_TRUE((*dec)->status().ok()) << (*dec)->status();
  EXPECT_EQ(got, want);
}

TEST(SnapshotFileTest, RefusesACorruptOrTruncatedFile) {
  const std::string dir = testing::NewTempDir("corrupt");
  auto b = mvcc::Backend::Open(dir + "/db");
  ASSERT_TRUE(b.ok());
  mvcc::WriteBatch batch;
  batch.Put(mvcc::Bucket::kKey, "k", "v");
  ASSERT_TRUE((*b)->Write(batch).ok());
  const std::string file = EncodeAll(**b, 1 << 20);
  const auto open = [&](const std::string& bytes, HashCheck check = HashCheck::kRequired) {
    return SnapshotDecoder::OpenFile(WriteFile(dir + "/snap.db", bytes), check);
  };
  ASSERT_TRUE(open(file).ok());
  // A flipped byte in a frame: the hash no longer matches.
  std::string flipped = file;
  flipped[12] ^= 1;
  EXPECT_TRUE(absl::StartsWith(open(flipped).status().message(), "expected sha256 ["))
      << open(flipped).status();
  EXPECT_TRUE(absl::IsDataLoss(open(flipped).status()));
  // Skipping the check reads what is there.
  EXPECT_TRUE(open(flipped, HashCheck::kSkip).ok());
  EXPECT_EQ(open(file.substr(0, file.size() - 1)).status().message(),
            "snapshot missing hash but --skip-hash-check=false");
  // Without its trailer the file is still readable when the check is skipped.
  auto untrailed = open(file.substr(0, file.size() - kSnapshotHashBytes), HashCheck::kSkip);
  ASSERT_TRUE(untrailed.ok()) << untrailed.status();
  peerpb::BackendRecords records;
  ASSERT_TRUE((*untrailed)->Next(&records));
  ASSERT_EQ(records.records_size(), 1);
  EXPECT_EQ(records.records(0).value(), "v");
  EXPECT_FALSE((*untrailed)->Next(&records));
  EXPECT_TRUE((*untrailed)->status().ok());
  EXPECT_EQ(open("not a snapshot at all, definitely not one").status().message(),
            "not a snapshot file");
  EXPECT_EQ(open("ECPP").status().message(), "not a snapshot file");
  // Only the magic, with a 32-byte "trailer": no room for the end marker.
  EXPECT_EQ(open(std::string(kSnapshotMagic, 8) + std::string(24, '\0'), HashCheck::kSkip)
                .status()
                .message(),
            "snapshot file is truncated");
}

TEST(SnapshotFileTest, FileCutInAFrameIsTruncatedEvenWithoutTheHashCheck) {
  const std::string dir = testing::NewTempDir("cut");
  peerpb::BackendRecords records;
  for (int i = 0; i < 100; ++i) {
    peerpb::BackendRecord* r = records.add_records();
    r->set_bucket('k');
    r->set_key("key" + std::to_string(i));
    r->set_value(std::string(100, 'v'));
  }
  const std::string frame = records.SerializeAsString();
  SnapshotWriter w(dir + "/whole.db");
  w.AddFrame(frame);
  w.AddFrame(frame);
  w.Finish();
  std::ifstream in(dir + "/whole.db", std::ios::binary);
  const std::string whole((std::istreambuf_iterator<char>(in)), {});
  // In the middle of the second frame, at a size without a trailer by etcd's rule.
  size_t cut = 8 + 4 + frame.size() + 4 + frame.size() / 2;
  if (cut % 512 == kSnapshotHashBytes) ++cut;
  const std::string path = WriteFile(dir + "/cut.db", whole.substr(0, cut));
  auto d = SnapshotDecoder::OpenFile(path, HashCheck::kSkip);
  EXPECT_TRUE(absl::IsDataLoss(d.status())) << d.status();
  EXPECT_EQ(d.status().message(), "snapshot file is truncated");
  // Cut between frames, before the end marker: truncated too.
  WriteFile(path, whole.substr(0, 8 + 4 + frame.size()));
  EXPECT_EQ(SnapshotDecoder::OpenFile(path, HashCheck::kSkip).status().message(),
            "snapshot file is truncated");
  EXPECT_EQ(SnapshotDecoder::OpenFile(path).status().message(),
            "snapshot missing hash but --skip-hash-check=false");
}

TEST(SnapshotFileTest, FrameThatDoesNotParseIsReportedByStatus) {
  const std::string dir = testing::NewTempDir("unparsable");
  peerpb::BackendRecords good;
  peerpb::BackendRecord* r = good.add_records();
  r->set_bucket('k');
  r->set_key("k");
  r->set_value("v");
  const std::string path = dir + "/snap.db";
  SnapshotWriter w(path);
  w.AddFrame(good.SerializeAsString());
  w.AddFrame("\x0f\x01\x02");  // field 1 with wire type 7: no such wire type
  w.AddFrame(good.SerializeAsString());
  w.Finish();
  // The hash and the framing are right: OpenFile accepts it; Next stops at the bad frame.
  auto d = SnapshotDecoder::OpenFile(path);
  ASSERT_TRUE(d.ok()) << d.status();
  peerpb::BackendRecords records;
  ASSERT_TRUE((*d)->Next(&records));
  EXPECT_EQ(records.records(0).key(), "k");
  EXPECT_FALSE((*d)->Next(&records));
  EXPECT_TRUE(absl::IsDataLoss((*d)->status())) << (*d)->status();
  const size_t offset = 8 + 4 + good.ByteSizeLong();
  EXPECT_EQ((*d)->status().message(),
            "snapshot frame at byte " + std::to_string(offset) + " does not parse");
  EXPECT_FALSE((*d)->Next(&records));  // it stays stopped
}

TEST(SnapshotFileTest, OpenErrorsHaveGoPathErrorWords) {
  const std::string dir = testing::NewTempDir("open-errors");
  EXPECT_EQ(SnapshotDecoder::OpenFile(dir + "/none.db").status(),
            absl::NotFoundError("open " + dir + "/none.db: no such file or directory"));
  EXPECT_EQ(SnapshotDecoder::OpenFile(dir).status(),
            absl::InvalidArgumentError("read " + dir + ": is a directory"));
}

// Decoding holds one frame, not the file: 64 MiB of records pass through at most 2 MiB of
// buffers (a ~1 MiB frame, and the 1 MiB hash buffer during OpenFile).
TEST(SnapshotFileTest, MemoryDoesNotGrowWithTheFile) {
  const std::string dir = testing::NewTempDir("large");
  constexpr int kRecords = 1024;  // of 1 KiB: a frame of a little more than 1 MiB
  peerpb::BackendRecords records;
  for (int i = 0; i < kRecords; ++i) {
    peerpb::BackendRecord* r = records.add_records();
    r->set_bucket('k');
    r->set_key("key" + std::to_string(i));
    r->set_value(std::string(1024, static_cast<char>('a' + i % 26)));
  }
  const std::string frame = records.SerializeAsString();
  ASSERT_GT(frame.size(), 1u << 20);
  constexpr int kFrames = 64;
  const std::string path = dir + "/large.db";
  {
    SnapshotWriter w(path);
    for (int i = 0; i < kFrames; ++i) w.AddFrame(frame);
    w.Finish();
  }
  auto d = SnapshotDecoder::OpenFile(path);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_GT((*d)->file_size(), uint64_t{kFrames} << 20);
  int frames = 0;
  int64_t total = 0;
  peerpb::BackendRecords got;
  while ((*d)->Next(&got)) {
    ++frames;
    total += got.records_size();
  }
  EXPECT_TRUE((*d)->status().ok()) << (*d)->status();
  EXPECT_EQ(frames, kFrames);
  EXPECT_EQ(total, int64_t{kFrames} * kRecords);
  EXPECT_GE((*d)->max_buffered_bytes(), frame.size());
  EXPECT_LE((*d)->max_buffered_bytes(), size_t{2} << 20);
}

}  // namespace
}  // namespace etcd::server
