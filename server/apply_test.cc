#include "server/apply.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "google/protobuf/text_format.h"
#include "server/errors.h"
#include "server/request_check.h"

namespace etcd::server {
namespace {

using etcdserverpb::RangeRequest;

template <typename T>
T Parse(const std::string& text) {
  T msg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &msg)) << text;
  return msg;
}

std::vector<std::string> Keys(const etcdserverpb::RangeResponse& r) {
  std::vector<std::string> out;
  for (const auto& kv : r.kvs()) out.push_back(kv.key());
  return out;
}

class ApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    auto dir = std::filesystem::path(base ? base : "/tmp") /
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir);
    backend_ = std::move(*mvcc::Backend::Open(dir.string()));
    kv_ = std::move(*mvcc::KvStore::Open(backend_.get()));
    applier_ = std::make_unique<Applier>(kv_.get(), [](int64_t id) { return id == 7; });
  }

  int64_t Put(const std::string& key, const std::string& value) {
    etcdserverpb::PutRequest r;
    r.set_key(key);
    r.set_value(value);
    auto resp = applier_->Put(r);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp->header().revision();
  }

  etcdserverpb::RangeResponse Range(const std::string& text) {
    auto resp = applier_->Range(Parse<RangeRequest>(text));
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? *resp : etcdserverpb::RangeResponse();
  }

  std::unique_ptr<mvcc::Backend> backend_;
  std::unique_ptr<mvcc::KvStore> kv_;
  std::unique_ptr<Applier> applier_;
};

using V = std::vector<std::string>;

TEST_F(ApplierTest, RangeKeyRangeFromKeyAndPrefix) {
  for (std::string k : {"a", "b", "ba", "bb", "c"}) Put(k, "v" + k);
  EXPECT_EQ(Keys(Range(R"(key: "b")")), V{"b"});
  EXPECT_EQ(Keys(Range(R"(key: "b" range_end: "c")")), (V{"b", "ba", "bb"}));
  EXPECT_EQ(Keys(Range(R"(key: "ba" range_end: "\000")")), (V{"ba", "bb", "c"}));
  EXPECT_EQ(Keys(Range(R"(key: "\000" range_end: "\000")")).size(), 5u);
  auto r = Range(R"(key: "b" range_end: "c" keys_only: true)");
  EXPECT_EQ(r.kvs(0).value(), "");
  EXPECT_EQ(r.header().revision(), 6);  // the store starts at revision 1
}

TEST_F(ApplierTest, RangeLimitSetsMoreAndCountIsTheTotal) {
  for (std::string k : {"a", "b", "c"}) Put(k, k);
  auto r = Range(R"(key: "a" range_end: "\000" limit: 2)");
  EXPECT_EQ(Keys(r), (V{"a", "b"}));
  EXPECT_TRUE(r.more());
  EXPECT_EQ(r.count(), 3);
  r = Range(R"(key: "a" range_end: "\000" limit: 3)");
  EXPECT_FALSE(r.more());
  r = Range(R"(key: "a" range_end: "\000" count_only: true)");
  EXPECT_EQ(r.kvs_size(), 0);
  EXPECT_EQ(r.count(), 3);
}

TEST_F(ApplierTest, RangeSortsByEachTargetAndFiltersByRevisions) {
  Put("a", "3");  // revision 2
  Put("b", "1");  // 3
  Put("c", "2");  // 4
  Put("a", "0");  // 5; a: version 2, mod 5, create 2
  struct Case {
    std::string req;
    V keys;
  };
  const Case cases[] = {
      {R"(sort_target: VALUE)", {"a", "b", "c"}},
      {R"(sort_target: VALUE sort_order: DESCEND)", {"c", "b", "a"}},
      {R"(sort_target: MOD sort_order: ASCEND)", {"b", "c", "a"}},
      {R"(sort_target: MOD sort_order: DESCEND)", {"a", "c", "b"}},
      {R"(sort_target: CREATE sort_order: DESCEND)", {"c", "b", "a"}},
      {R"(sort_target: VERSION sort_order: DESCEND)", {"a", "b", "c"}},
      {R"(sort_target: KEY sort_order: DESCEND)", {"c", "b", "a"}},
      {R"(sort_order: DESCEND limit: 1)", {"c"}},
      {R"(min_mod_revision: 4)", {"a", "c"}},
      {R"(max_mod_revision: 4)", {"b", "c"}},
      {R"(min_create_revision: 3 max_create_revision: 3)", {"b"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Keys(Range(R"(key: "a" range_end: "\000" )" + c.req)), c.keys) << c.req;
  }
  auto r = Range(R"(key: "a" range_end: "\000" sort_order: DESCEND limit: 1)");
  EXPECT_TRUE(r.more());
}

TEST_F(ApplierTest, RangeAtRevisionAndItsErrors) {
  Put("a", "1");
  Put("a", "2");
  Put("a", "3");
  EXPECT_EQ(Range(R"(key: "a" revision: 2)").kvs(0).value(), "1");
  EXPECT_EQ(applier_->Range(Parse<RangeRequest>(R"(key: "a" revision: 5)")).status(), ErrFutureRev());
  ASSERT_TRUE(applier_->Compaction(Parse<etcdserverpb::CompactionRequest>("revision: 3")).ok());
  EXPECT_EQ(applier_->Range(Parse<RangeRequest>(R"(key: "a" revision: 2)")).status(), ErrCompacted());
  EXPECT_EQ(applier_->Compaction(Parse<etcdserverpb::CompactionRequest>("revision: 3")).status(),
            ErrCompacted());
  EXPECT_EQ(applier_->Compaction(Parse<etcdserverpb::CompactionRequest>("revision: 9")).status(),
            ErrFutureRev());
}

TEST_F(ApplierTest, PutPrevKvIgnoreValueIgnoreLeaseAndLeaseChecks) {
  Put("k", "v1");
  auto r = applier_->Put(Parse<etcdserverpb::PutRequest>(R"(key: "k" value: "v2" prev_kv: true lease: 7)"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->prev_kv().value(), "v1");
  EXPECT_EQ(r->header().revision(), 3);
  r = applier_->Put(Parse<etcdserverpb::PutRequest>(R"(key: "k" ignore_value: true)"));
  ASSERT_TRUE(r.ok());
  auto got = Range(R"(key: "k")");
  EXPECT_EQ(got.kvs(0).value(), "v2");
  EXPECT_EQ(got.kvs(0).lease(), 0);  // a put without a lease detaches it
  r = applier_->Put(Parse<etcdserverpb::PutRequest>(R"(key: "k" value: "v3" lease: 7)"));
  r = applier_->Put(Parse<etcdserverpb::PutRequest>(R"(key: "k" value: "v4" ignore_lease: true)"));
  EXPECT_EQ(Range(R"(key: "k")").kvs(0).lease(), 7);
  EXPECT_EQ(applier_->Put(Parse<etcdserverpb::PutRequest>(R"(key: "x" ignore_value: true)")).status(),
            ErrKeyNotFound());
  EXPECT_EQ(applier_->Put(Parse<etcdserverpb::PutRequest>(R"(key: "x" lease: 8)")).status(),
            ErrLeaseNotFound());
  EXPECT_EQ(kv_->Rev(), 6);  // the refused puts changed nothing
}

TEST_F(ApplierTest, DeleteRangeWithPrevKvs) {
  for (std::string k : {"a", "b", "c"}) Put(k, k);
  auto r = applier_->DeleteRange(Parse<etcdserverpb::DeleteRangeRequest>(R"(key: "a" range_end: "c" prev_kv: true)"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deleted(), 2);
  ASSERT_EQ(r->prev_kvs_size(), 2);
  EXPECT_EQ(r->prev_kvs(1).key(), "b");
  EXPECT_EQ(r->header().revision(), 5);
  r = applier_->DeleteRange(Parse<etcdserverpb::DeleteRangeRequest>(R"(key: "zz")"));
  EXPECT_EQ(r->deleted(), 0);
  EXPECT_EQ(r->header().revision(), 5);
}

TEST_F(ApplierTest, TxnTakesTheBranchTheComparesChooseInOneRevision) {
  Put("k", "v");
  struct Case {
    std::string compare;
    bool succeeded;
  };
  const Case cases[] = {
      {R"(key: "k" target: VALUE result: EQUAL value: "v")", true},
      {R"(key: "k" target: VALUE result: NOT_EQUAL value: "v")", false},
      {R"(key: "k" target: VALUE result: GREATER value: "u")", true},
      {R"(key: "k" target: VERSION result: EQUAL version: 1)", true},
      {R"(key: "k" target: CREATE result: LESS create_revision: 3)", true},
      {R"(key: "k" target: MOD result: GREATER mod_revision: 0)", true},
      {R"(key: "k" target: LEASE result: EQUAL lease: 0)", true},
      {R"(key: "missing" target: VERSION result: EQUAL version: 0)", true},
      {R"(key: "missing" target: VALUE result: EQUAL value: "")", false},
      {R"(key: "a" range_end: "z" target: VERSION result: GREATER version: 0)", true},
  };
  for (const Case& c : cases) {
    auto r = applier_->Txn(Parse<etcdserverpb::TxnRequest>(
        "compare { " + c.compare + " } success { request_range { key: \"k\" } } "
        "failure { request_range { key: \"missing\" } }"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->succeeded(), c.succeeded) << c.compare;
    EXPECT_EQ(r->header().revision(), 2);
  }
  auto r = applier_->Txn(Parse<etcdserverpb::TxnRequest>(R"(
      compare { key: "k" target: VALUE result: EQUAL value: "v" }
      success { request_put { key: "k" value: "w" prev_kv: true } }
      success { request_put { key: "j" value: "x" } }
      success { request_range { key: "j" } }
      success { request_txn { compare { key: "j" target: VERSION result: EQUAL version: 0 }
                              success { request_delete_range { key: "k" } } } })"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->succeeded());
  EXPECT_EQ(r->header().revision(), 3);
  EXPECT_EQ(r->responses(0).response_put().prev_kv().value(), "v");
  EXPECT_EQ(r->responses(2).response_range().kvs(0).value(), "x");  // sees its own put
  // The nested compare saw the state before the txn: j did not exist, so k was deleted.
  EXPECT_TRUE(r->responses(3).response_txn().succeeded());
  EXPECT_EQ(r->responses(3).response_txn().responses(0).response_delete_range().deleted(), 1);
  EXPECT_EQ(Range(R"(key: "k")").kvs_size(), 0);
  EXPECT_EQ(kv_->Rev(), 3);
}

TEST_F(ApplierTest, TxnIsRefusedWholeWhenAnOpOnTheTakenPathWouldFail) {
  Put("k", "v");
  auto r = applier_->Txn(Parse<etcdserverpb::TxnRequest>(R"(
      success { request_put { key: "a" value: "1" } }
      success { request_put { key: "b" value: "2" lease: 99 } })"));
  EXPECT_EQ(r.status(), ErrLeaseNotFound());
  r = applier_->Txn(Parse<etcdserverpb::TxnRequest>(R"(
      success { request_put { key: "a" value: "1" } }
      success { request_range { key: "k" revision: 5 } })"));
  EXPECT_EQ(r.status(), ErrFutureRev());
  EXPECT_EQ(kv_->Rev(), 2);
  EXPECT_EQ(Range(R"(key: "a")").kvs_size(), 0);
}

// A put with ignore_value after a delete of its key in the same txn would find no value when it
// runs: the txn must be refused before anything is written (etcd 3.4 panics here instead).
TEST_F(ApplierTest, TxnPutIgnoreValueAfterADeleteOfItsKeyIsRefused) {
  Put("b", "1");
  auto r = applier_->Txn(Parse<etcdserverpb::TxnRequest>(R"(
      success { request_delete_range { key: "a" range_end: "\000" } }
      success { request_put { key: "b" ignore_value: true } })"));
  EXPECT_EQ(r.status(), ErrKeyNotFound());
  EXPECT_EQ(Range(R"(key: "b")").kvs_size(), 1);
  // A put of the key earlier in the txn makes it exist again.
  r = applier_->Txn(Parse<etcdserverpb::TxnRequest>(R"(
      success { request_delete_range { key: "b" } }
      success { request_put { key: "b" value: "2" } }
      success { request_txn { success { request_put { key: "b" ignore_value: true lease: 7 } } } })"));
  EXPECT_TRUE(r.ok()) << r.status();
}

// etcd checks every put of the txn before any range.
TEST_F(ApplierTest, TxnChecksPutsBeforeRanges) {
  Put("k", "v");
  auto r = applier_->Txn(Parse<etcdserverpb::TxnRequest>(R"(
      success { request_range { key: "k" revision: 99 } }
      success { request_put { key: "missing" ignore_value: true } })"));
  EXPECT_EQ(r.status(), ErrKeyNotFound());
}

TEST(RequestCheckTest, EtcdValidationErrors) {
  using etcdserverpb::TxnRequest;
  EXPECT_EQ(CheckRange(Parse<RangeRequest>("")), ErrEmptyKey());
  EXPECT_EQ(CheckPut(Parse<etcdserverpb::PutRequest>(R"(key: "k" value: "v" ignore_value: true)")),
            ErrValueProvided());
  EXPECT_EQ(CheckPut(Parse<etcdserverpb::PutRequest>(R"(key: "k" lease: 1 ignore_lease: true)")),
            ErrLeaseProvided());
  EXPECT_EQ(CheckDeleteRange(Parse<etcdserverpb::DeleteRangeRequest>("")), ErrEmptyKey());
  EXPECT_EQ(CheckTxn(Parse<TxnRequest>(R"(success { request_put { key: "a" } }
                                          success { request_put { key: "a" } })"), 128),
            ErrDuplicateKey());
  EXPECT_EQ(CheckTxn(Parse<TxnRequest>(R"(success { request_delete_range { key: "a" range_end: "c" } }
                                          success { request_put { key: "b" } })"), 128),
            ErrDuplicateKey());
  EXPECT_EQ(CheckTxn(Parse<TxnRequest>(R"(success { request_txn { success { request_put { key: "a" } }
                                                                  failure { request_put { key: "a" } } } })"), 128),
            absl::OkStatus());
  EXPECT_EQ(CheckTxn(Parse<TxnRequest>(R"(success { request_put { key: "a" } }
                                          failure { request_put { key: "a" } })"), 128),
            absl::OkStatus());
  EXPECT_EQ(CheckTxn(Parse<TxnRequest>(R"(success { request_put { key: "a" } }
                                          success { request_put { key: "b" } })"), 1),
            ErrTooManyOps());
  EXPECT_EQ(CheckTxn(Parse<TxnRequest>(R"(compare { target: VALUE })"), 128), ErrEmptyKey());
  EXPECT_EQ(CheckTxn(Parse<TxnRequest>(R"(success { })"), 128), ErrKeyNotFound());
}

}  // namespace
}  // namespace etcd::server
