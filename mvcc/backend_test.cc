#include "mvcc/backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "testing/process.h"

namespace etcd::mvcc {
namespace {

void Put(Backend& b, const std::string& key, const std::string& value) {
  WriteBatch batch;
  batch.Put(Bucket::kKey, key, value);
  ASSERT_TRUE(b.Write(batch).ok());
}

TEST(BackendTest, ReaderSeesOnePointInTime) {
  auto b = Backend::Open(testing::NewTempDir("reader"));
  ASSERT_TRUE(b.ok());
  Put(**b, "a", "1");
  auto reader = (*b)->NewReader();
  Put(**b, "b", "2");  // after the reader: not seen
  Bucket bucket;
  std::string key, value;
  ASSERT_TRUE(reader->Next(&bucket, &key, &value));
  EXPECT_EQ(bucket, Bucket::kKey);
  EXPECT_EQ(key, "a");
  EXPECT_FALSE(reader->Next(&bucket, &key, &value));
  EXPECT_TRUE(reader->status().ok());
}

TEST(BackendTest, ReplaceWithEndsOpenReadersAndServesTheNewDatabase) {
  const std::string dir = testing::NewTempDir("replace");
  auto b = Backend::Open(dir);
  ASSERT_TRUE(b.ok());
  for (int i = 0; i < 100; ++i) Put(**b, "old" + std::to_string(i), "x");
  const std::string other = testing::NewTempDir("replacement");
  {
    auto o = Backend::Open(other);
    ASSERT_TRUE(o.ok());
    Put(**o, "new", "y");
    ASSERT_TRUE((*o)->Sync().ok());
  }
  auto reader = (*b)->NewReader();
  Bucket bucket;
  std::string key, value;
  ASSERT_TRUE(reader->Next(&bucket, &key, &value));
  // Readers and calls on other threads while the database is swapped must not crash.
  std::thread status_poller([&] {
    for (int i = 0; i < 200; ++i) (void)(*b)->ApproximateSizeBytes();
  });
  ASSERT_TRUE((*b)->ReplaceWith(other).ok());
  status_poller.join();
  EXPECT_FALSE(reader->Next(&bucket, &key, &value));
  EXPECT_TRUE(absl::IsAborted(reader->status())) << reader->status();
  reader.reset();  // must not touch the old database
  auto got = (*b)->Get(Bucket::kKey, "new");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value_or(""), "y");
  EXPECT_FALSE((*b)->Get(Bucket::kKey, "old1")->has_value());
  EXPECT_FALSE(std::filesystem::exists(other));
}

}  // namespace
}  // namespace etcd::mvcc
