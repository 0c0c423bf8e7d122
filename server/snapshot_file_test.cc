#include "server/snapshot_file.h"

#include <gtest/gtest.h>

#include <map>

#include "absl/strings/match.h"

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

TEST(SnapshotFileTest, RoundTripsEveryRecordOfEveryBucket) {
  auto b = mvcc::Backend::Open(testing::NewTempDir("roundtrip"));
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
  auto dec = SnapshotDecoder::Open(file);
  ASSERT_TRUE(dec.ok()) << dec.status();
  std::map<std::pair<int, std::string>, std::string> got;
  peerpb::BackendRecords records;
  while (dec->Next(&records)) {
    for (const auto& r : records.records()) got[{static_cast<int>(r.bucket()), r.key()}] = r.value();
  }
  EXPECT_EQ(got, want);
}

TEST(SnapshotFileTest, RefusesACorruptOrTruncatedFile) {
  auto b = mvcc::Backend::Open(testing::NewTempDir("corrupt"));
  ASSERT_TRUE(b.ok());
  mvcc::WriteBatch batch;
  batch.Put(mvcc::Bucket::kKey, "k", "v");
  ASSERT_TRUE((*b)->Write(batch).ok());
  const std::string file = EncodeAll(**b, 1 << 20);
  ASSERT_TRUE(SnapshotDecoder::Open(file).ok());
  std::string flipped = file;
  flipped[12] ^= 1;
  EXPECT_TRUE(absl::StartsWith(SnapshotDecoder::Open(flipped).status().message(),
                               "expected sha256 ["))
      << SnapshotDecoder::Open(flipped).status();
  // Skipping the check reads what is there.
  EXPECT_TRUE(SnapshotDecoder::Open(flipped, HashCheck::kSkip).ok());
  EXPECT_EQ(SnapshotDecoder::Open(file.substr(0, file.size() - 1)).status().message(),
            "snapshot missing hash but --skip-hash-check=false");
  // Without its trailer the file is still readable when the check is skipped.
  auto untrailed =
      SnapshotDecoder::Open(file.substr(0, file.size() - kSnapshotHashBytes), HashCheck::kSkip);
  ASSERT_TRUE(untrailed.ok()) << untrailed.status();
  peerpb::BackendRecords records;
  ASSERT_TRUE(untrailed->Next(&records));
  ASSERT_EQ(records.records_size(), 1);
  EXPECT_EQ(records.records(0).value(), "v");
  EXPECT_EQ(SnapshotDecoder::Open("not a snapshot at all, definitely not one").status().message(),
            "not a snapshot file");
}

}  // namespace
}  // namespace etcd::server
