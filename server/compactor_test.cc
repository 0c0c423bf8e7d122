#include "server/compactor.h"

#include <gtest/gtest.h>

#include <vector>

namespace etcd::server {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

struct Harness {
  int64_t rev = 10;
  std::vector<int64_t> compacted;
  Compactor::Clock::time_point now{};
  std::unique_ptr<Compactor> c;
  explicit Harness(CompactorConfig config)
      : c(std::make_unique<Compactor>(
            config, [this] { return rev; }, [this](int64_t r) { compacted.push_back(r); })) {
    c->Tick(now, true);  // t = 0: the compactor starts
  }
  // Advances time in 1 s ticks, writing `revs_per_second`.
  void Run(std::chrono::seconds d, int revs_per_second, bool leader = true) {
    for (int i = 0; i < d.count(); ++i) {
      now += seconds(1);
      rev += revs_per_second;
      c->Tick(now, leader);
    }
  }
};

TEST(CompactorTest, ParsesRetentionAsEtcd) {
  auto p = ParseCompactorConfig("periodic", "1");
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->period, hours(1));
  p = ParseCompactorConfig("periodic", "30m");
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->period, minutes(30));
  p = ParseCompactorConfig("revision", "1000");
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->revisions, 1000);
  p = ParseCompactorConfig("periodic", "0");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->has_value());
  EXPECT_EQ(ParseCompactorConfig("periodic", "x").status().message(),
            "error parsing CompactionRetention: time: invalid duration \"x\"");
}

TEST(CompactorTest, RevisionModeCompactsEveryFiveMinutesKeepingRetention) {
  CompactorConfig config;
  config.mode = CompactorConfig::Mode::kRevision;
  config.revisions = 100;
  Harness h(config);
  h.Run(seconds(299), 1);
  EXPECT_TRUE(h.compacted.empty());
  h.Run(seconds(1), 1);  // 5 minutes: revision 310, keep 100
  EXPECT_EQ(h.compacted, std::vector<int64_t>{210});
  h.Run(minutes(5), 0);  // nothing written: the same target is not compacted again
  EXPECT_EQ(h.compacted.size(), 1u);
  h.Run(minutes(5), 2);
  EXPECT_EQ(h.compacted.back(), 310 + 600 - 100);
}

TEST(CompactorTest, PeriodicModeKeepsOneRetentionOfHistory) {
  CompactorConfig config;
  config.period = minutes(10);
  Harness h(config);
  h.Run(minutes(10) - seconds(1), 1);
  EXPECT_TRUE(h.compacted.empty()) << "compacted before a whole retention passed";
  h.Run(seconds(1), 1);
  ASSERT_EQ(h.compacted.size(), 1u);
  // The revision of 10 minutes ago: the first sample, taken when the compactor started.
  EXPECT_EQ(h.compacted[0], 10);
  h.Run(minutes(10), 1);
  ASSERT_EQ(h.compacted.size(), 2u);
  // Revisions were 1 per second: what is kept is about the last 10 minutes (600 revisions).
  EXPECT_NEAR(static_cast<double>(h.rev - h.compacted[1]), 600, 60);
}

TEST(CompactorTest, LongRetentionsCompactHourly) {
  CompactorConfig config;
  config.period = hours(3);
  Harness h(config);
  h.Run(hours(3), 1);
  EXPECT_EQ(h.compacted.size(), 1u);
  h.Run(hours(1), 1);
  EXPECT_EQ(h.compacted.size(), 2u);
  EXPECT_NEAR(static_cast<double>(h.rev - h.compacted[1]), 3 * 3600, 3 * 3600 / 10 + 1);
}

TEST(CompactorTest, OnlyTheLeaderCompactsAndANewLeaderStartsOver) {
  CompactorConfig config;
  config.period = minutes(10);
  Harness h(config);
  h.Run(minutes(30), 1, /*leader=*/false);
  EXPECT_TRUE(h.compacted.empty());
  // Leader again at 30m+1s: a whole retention from there before the first compaction.
  h.Run(minutes(10), 1);
  EXPECT_TRUE(h.compacted.empty());
  h.Run(seconds(1), 1);
  ASSERT_EQ(h.compacted.size(), 1u);
  EXPECT_EQ(h.compacted[0], 10 + 30 * 60 + 1);  // sampled when it became leader
}

}  // namespace
}  // namespace etcd::server
