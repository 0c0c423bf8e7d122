#include "mvcc/internal/key_index.h"

#include <gtest/gtest.h>

namespace etcd::mvcc::internal {
namespace {

// put@2, put@4, delete@6, put@8, put@10: two generations, the first closed at 6.
KeyIndex History() {
  KeyIndex ki;
  ki.Put({2, 0});
  ki.Put({4, 0});
  ki.Tombstone({6, 0});
  ki.Put({8, 0});
  ki.Put({10, 0});
  return ki;
}

TEST(KeyIndexTest, GetSeesTheVersionAliveAtEachRevision) {
  const KeyIndex ki = History();
  struct Case {
    int64_t at;
    bool exists;
    int64_t modified, created, version;
  };
  const Case cases[] = {
      {1, false, 0, 0, 0}, {2, true, 2, 2, 1},  {3, true, 2, 2, 1},   {4, true, 4, 2, 2},
      {5, true, 4, 2, 2},  {6, false, 0, 0, 0}, {7, false, 0, 0, 0},  {8, true, 8, 8, 1},
      {9, true, 8, 8, 1},  {10, true, 10, 8, 2}, {99, true, 10, 8, 2},
  };
  for (const Case& c : cases) {
    auto v = ki.Get(c.at);
    ASSERT_EQ(v.has_value(), c.exists) << "at " << c.at;
    if (!v) continue;
    EXPECT_EQ(v->modified.main, c.modified) << "at " << c.at;
    EXPECT_EQ(v->created.main, c.created) << "at " << c.at;
    EXPECT_EQ(v->version, c.version) << "at " << c.at;
  }
}

TEST(KeyIndexTest, CompactKeepsWhatReadsAtOrAfterTheRevisionSee) {
  struct Case {
    int64_t at;
    std::set<Revision> keep;
    bool empty;
  };
  const Case cases[] = {
      {1, {}, false},
      {3, {{2, 0}}, false},
      {5, {{4, 0}}, false},
      {6, {}, false},   // the generation closed at 6 is gone entirely
      {9, {{8, 0}}, false},
      {12, {{10, 0}}, false},
  };
  for (const Case& c : cases) {
    KeyIndex ki = History();
    std::set<Revision> keep;
    ki.Compact(c.at, &keep);
    EXPECT_EQ(keep, c.keep) << "at " << c.at;
    EXPECT_EQ(ki.Empty(), c.empty) << "at " << c.at;
    // Whatever was visible at or after the compaction revision still is, with its version.
    const KeyIndex full = History();
    for (int64_t r = c.at; r <= 12; ++r) {
      auto before = full.Get(r);
      auto after = ki.Get(r);
      ASSERT_EQ(before.has_value(), after.has_value()) << "compact " << c.at << " read " << r;
      if (before) {
        EXPECT_EQ(before->modified, after->modified);
        EXPECT_EQ(before->version, after->version);
        EXPECT_EQ(before->created, after->created);
      }
    }
  }
}

TEST(KeyIndexTest, CompactAfterFinalDeleteEmptiesTheKey) {
  KeyIndex ki;
  ki.Put({1, 0});
  ki.Tombstone({3, 0});
  std::set<Revision> keep;
  ki.Compact(3, &keep);
  EXPECT_TRUE(keep.empty());
  EXPECT_TRUE(ki.Empty());
}

TEST(TreeIndexTest, VisitFollowsEtcdRangeConventions) {
  TreeIndex ti;
  ti.Put("a", {1, 0});
  ti.Put("b", {2, 0});
  ti.Put("c", {3, 0});
  ti.Tombstone("b", {4, 0});
  auto keys = [&](std::string_view key, std::string_view end, int64_t at) {
    std::vector<std::string> out;
    ti.Visit(key, end, at, [&](const std::string& k, const auto&) {
      out.push_back(k);
      return true;
    });
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(keys("b", "", 3), V{"b"});
  EXPECT_EQ(keys("b", "", 4), V{});
  EXPECT_EQ(keys("a", "c", 3), (V{"a", "b"}));
  EXPECT_EQ(keys("a", std::string_view("\0", 1), 4), (V{"a", "c"}));
  EXPECT_EQ(keys("b", std::string_view("\0", 1), 3), (V{"b", "c"}));
  EXPECT_EQ(keys("a", "z", 1), V{"a"});
  EXPECT_EQ(ti.Compact(4), (std::set<Revision>{{1, 0}, {3, 0}}));
  EXPECT_EQ(ti.size(), 2u);
}

}  // namespace
}  // namespace etcd::mvcc::internal
