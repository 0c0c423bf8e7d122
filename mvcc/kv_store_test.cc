#include "mvcc/kv_store.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

namespace etcd::mvcc {
namespace {

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::filesystem::path p = std::filesystem::path(base ? base : "/tmp") / name;
  std::filesystem::remove_all(p);
  return p.string();
}

const std::string kAll("\0", 1);

class KvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name())); }

  void Reopen(const std::string& dir) {
    store_.reset();
    backend_.reset();
    auto b = Backend::Open(dir);
    ASSERT_TRUE(b.ok()) << b.status();
    backend_ = std::move(*b);
    auto s = KvStore::Open(backend_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }

  int64_t Put(std::string_view key, std::string_view value, int64_t lease = 0) {
    auto txn = store_->Write();
    int64_t rev = txn->Put(key, value, lease);
    EXPECT_TRUE(txn->End().ok());
    return rev;
  }

  int64_t Delete(std::string_view key, std::string_view end = "") {
    auto txn = store_->Write();
    int64_t n = txn->DeleteRange(key, end);
    EXPECT_TRUE(txn->End().ok());
    return n;
  }

  RangeResult Range(std::string_view key, std::string_view end, RangeOptions opts = {}) {
    auto r = store_->Read()->Range(key, end, opts);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RangeResult{};
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<KvStore> store_;
};

TEST_F(KvStoreTest, PutAssignsRevisionsVersionsAndCreateRevision) {
  EXPECT_EQ(store_->Rev(), 1);  // as etcd: an empty store is at revision 1
  EXPECT_EQ(Put("foo", "bar"), 2);
  EXPECT_EQ(Put("foo", "baz", 7), 3);
  EXPECT_EQ(Put("zoo", "x"), 4);
  RangeResult r = Range("foo", "");
  ASSERT_EQ(r.kvs.size(), 1u);
  EXPECT_EQ(r.rev, 4);
  EXPECT_EQ(r.kvs[0].value(), "baz");
  EXPECT_EQ(r.kvs[0].create_revision(), 2);
  EXPECT_EQ(r.kvs[0].mod_revision(), 3);
  EXPECT_EQ(r.kvs[0].version(), 2);
  EXPECT_EQ(r.kvs[0].lease(), 7);
}

TEST_F(KvStoreTest, DeleteEndsTheGenerationAndAPutStartsANewOne) {
  Put("foo", "1");
  Put("foo", "2");
  EXPECT_EQ(Delete("foo"), 1);
  EXPECT_EQ(Delete("foo"), 0);          // nothing to delete: no new revision
  EXPECT_EQ(store_->Rev(), 4);
  EXPECT_TRUE(Range("foo", "").kvs.empty());
  Put("foo", "3");
  RangeResult r = Range("foo", "");
  ASSERT_EQ(r.kvs.size(), 1u);
  EXPECT_EQ(r.kvs[0].create_revision(), 5);
  EXPECT_EQ(r.kvs[0].version(), 1);
  // History is readable at every revision.
  EXPECT_EQ(Range("foo", "", {.rev = 3}).kvs.at(0).value(), "2");
  EXPECT_TRUE(Range("foo", "", {.rev = 4}).kvs.empty());
}

TEST_F(KvStoreTest, RangeLimitCountAndConventions) {
  for (std::string k : {"a", "b", "c", "d"}) Put(k, "v" + k);
  EXPECT_EQ(Range("a", "c").kvs.size(), 2u);
  EXPECT_EQ(Range("b", kAll).kvs.size(), 3u);
  EXPECT_EQ(Range(kAll, kAll).kvs.size(), 4u);
  RangeResult limited = Range("a", kAll, {.limit = 2});
  EXPECT_EQ(limited.kvs.size(), 2u);
  EXPECT_EQ(limited.count, 4);
  RangeResult counted = Range("a", kAll, {.count_only = true});
  EXPECT_TRUE(counted.kvs.empty());
  EXPECT_EQ(counted.count, 4);
}

TEST_F(KvStoreTest, TxnSharesOneRevisionAndSeesItsOwnWrites) {
  Put("a", "0");
  auto txn = store_->Write();
  txn->Put("a", "1", 0);
  txn->Put("b", "2", 0);
  auto inside = txn->Range("a", kAll, {});
  ASSERT_TRUE(inside.ok());
  ASSERT_EQ(inside->kvs.size(), 2u);
  EXPECT_EQ(inside->kvs[0].value(), "1");
  EXPECT_EQ(inside->kvs[0].version(), 2);
  EXPECT_EQ(txn->DeleteRange("a", ""), 1);
  EXPECT_EQ(txn->Rev(), 3);
  ASSERT_EQ(txn->changes().size(), 3u);
  EXPECT_EQ(txn->changes()[2].type(), mvccpb::Event::DELETE);
  EXPECT_EQ(txn->changes()[2].kv().mod_revision(), 3);
  ASSERT_TRUE(txn->End().ok());
  txn.reset();
  EXPECT_EQ(store_->Rev(), 3);
  EXPECT_TRUE(Range("a", "").kvs.empty());
  EXPECT_EQ(Range("b", "").kvs.at(0).mod_revision(), 3);
}

TEST_F(KvStoreTest, FutureAndCompactedRevisions) {
  for (int i = 0; i < 5; ++i) Put("k", std::to_string(i));
  auto future = store_->Read()->Range("k", "", {.rev = 7});
  EXPECT_TRUE(IsFutureRev(future.status())) << future.status();
  EXPECT_TRUE(IsFutureRev(store_->Compact(7)));
  ASSERT_TRUE(store_->Compact(4).ok());
  EXPECT_TRUE(IsCompacted(store_->Compact(4)));
  auto old = store_->Read()->Range("k", "", {.rev = 3});
  EXPECT_TRUE(IsCompacted(old.status())) << old.status();
  EXPECT_EQ(Range("k", "", {.rev = 4}).kvs.at(0).value(), "2");
  EXPECT_EQ(Range("k", "", {.rev = 4}).kvs.at(0).version(), 3);
}

TEST_F(KvStoreTest, CompactionDeletesOnlyInvisibleRevisionsFromTheBackend) {
  Put("a", "1");  // 2
  Put("a", "2");  // 3
  Put("b", "1");  // 4
  Delete("b");    // 5
  Put("c", "1");  // 6
  ASSERT_TRUE(store_->Compact(5).ok());
  int records = 0;
  ASSERT_TRUE(backend_->Scan(Bucket::kKey, "", "", [&](auto, auto) {
    ++records;
    return true;
  }).ok());
  EXPECT_EQ(records, 2);  // a@3 and c@6
}

TEST_F(KvStoreTest, ReopenRestoresIndexRevisionAndConsistentIndex) {
  const std::string dir = backend_->dir();
  Put("a", "1");
  Put("a", "2");
  Put("b", "1");
  Delete("b");
  store_->SetConsistentIndex(42);
  Put("c", "1");
  ASSERT_TRUE(store_->Compact(3).ok());
  Reopen(dir);
  EXPECT_EQ(store_->Rev(), 6);
  EXPECT_EQ(store_->CompactRev(), 3);
  EXPECT_EQ(store_->ConsistentIndex(), 42u);
  RangeResult r = Range("a", kAll);
  ASSERT_EQ(r.kvs.size(), 2u);
  EXPECT_EQ(r.kvs[0].version(), 2);
  EXPECT_EQ(Range("b", "", {.rev = 4}).kvs.at(0).value(), "1");
  EXPECT_EQ(Put("a", "3"), 7);
  EXPECT_EQ(Range("a", "").kvs.at(0).version(), 3);
}

TEST_F(KvStoreTest, ReopenAfterEverythingDeletedAndCompactedKeepsTheRevision) {
  const std::string dir = backend_->dir();
  Put("a", "1");
  Delete("a");
  ASSERT_TRUE(store_->Compact(3).ok());
  Reopen(dir);
  EXPECT_EQ(store_->Rev(), 3);
  EXPECT_EQ(Put("a", "2"), 4);
}

// A model check: random puts, deletes and compactions against a plain map per revision.
TEST_F(KvStoreTest, MatchesAModelUnderRandomOperations) {
  std::mt19937 rng(20261123);
  // model[rev - 1] is the key space at revision rev; the store starts at revision 1.
  std::vector<std::map<std::string, std::string>> model{{}};
  int64_t compacted = 1;
  for (int step = 0; step < 2000; ++step) {
    std::map<std::string, std::string> next = model.back();
    const std::string key(1, static_cast<char>('a' + rng() % 8));
    const int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      std::string value = std::to_string(step);
      Put(key, value);
      next[key] = value;
      model.push_back(next);
    } else if (op < 9) {
      const std::string end(1, static_cast<char>(key[0] + 1 + rng() % 3));
      bool any = next.lower_bound(key) != next.lower_bound(end);
      EXPECT_EQ(Delete(key, end) > 0, any);
      if (any) {
        next.erase(next.lower_bound(key), next.lower_bound(end));
        model.push_back(next);
      }
    } else if (static_cast<int64_t>(model.size()) > compacted) {
      compacted += 1 + static_cast<int64_t>(rng() % (model.size() - compacted));
      ASSERT_TRUE(store_->Compact(compacted).ok());
    }
    // Check a random visible revision.
    const int64_t cur = static_cast<int64_t>(model.size());
    ASSERT_EQ(store_->Rev(), cur);
    const int64_t at = compacted + static_cast<int64_t>(rng() % (cur - compacted + 1));
    RangeResult r = Range("a", kAll, {.rev = at});
    std::map<std::string, std::string> got;
    for (const auto& kv : r.kvs) got[kv.key()] = kv.value();
    ASSERT_EQ(got, model[static_cast<size_t>(at - 1)]) << "step " << step << " rev " << at;
  }
}

}  // namespace
}  // namespace etcd::mvcc
