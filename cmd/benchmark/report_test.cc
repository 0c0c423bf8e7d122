// The report against what etcd's pkg/report (report.go) prints for the same latencies; the
// expected text is worked out from report.go's arithmetic by hand (see the comments).
#include "cmd/benchmark/report.h"

#include <gtest/gtest.h>

#include <regex>

namespace etcd::benchmark {
namespace {

using std::chrono::duration;
using std::chrono::duration_cast;

Clock::duration Seconds(double s) { return duration_cast<Clock::duration>(duration<double>(s)); }

// Ten requests of 1, 2, ..., 10 ms over 2 s.
std::string TenRequests(bool precise) {
  Report r(precise);
  for (int ms = 1; ms <= 10; ++ms) r.Record(Seconds(ms / 1000.0));
  r.FinishWithTotal(2.0);
  return r.String();
}

TEST(ReportTest, LaidOutAsEtcdPkgReport) {
  std::string full;
  for (int i = 0; i < 40; ++i) full += "\u220e";
  // Average 5.5 ms; stddev sqrt(82.5/10) ms = 2.872 ms; 10 requests / 2 s = 5/s.
  // Buckets: fastest + i * (slowest - fastest) / 10 = 1 ms + i * 0.9 ms, then the slowest;
  // each latency lands in the first bucket it does not exceed (2 ms skips 1.9 ms), and the
  // fullest bucket (1 request) gets 40 marks.
  // Percentiles: the first rank i (of 10) with i*100/10 >= p: 10% -> i=1 (2 ms), 25% -> i=3
  // (4 ms), 50% -> i=5, 75% -> i=8, 90% -> i=9; 95% and above find no rank left: 0, not printed.
  const std::string want =
      "\nSummary:\n"
      "  Total:\t2.0000 secs.\n"
      "  Slowest:\t0.0100 secs.\n"
      "  Fastest:\t0.0010 secs.\n"
      "  Average:\t0.0055 secs.\n"
      "  Stddev:\t0.0029 secs.\n"
      "  Requests/sec:\t5.0000\n"
      "\nResponse time histogram:\n"
      "  0.0010 [1]\t|" + full + "\n"
      "  0.0019 [0]\t|\n"
      "  0.0028 [1]\t|" + full + "\n"
      "  0.0037 [1]\t|" + full + "\n"
      "  0.0046 [1]\t|" + full + "\n"
      "  0.0055 [1]\t|" + full + "\n"
      "  0.0064 [1]\t|" + full + "\n"
      "  0.0073 [1]\t|" + full + "\n"
      "  0.0082 [1]\t|" + full + "\n"
      "  0.0091 [1]\t|" + full + "\n"
      "  0.0100 [1]\t|" + full + "\n"
      "\nLatency distribution:\n"
      "  10% in 0.0020 secs.\n"
      "  25% in 0.0040 secs.\n"
      "  50% in 0.0060 secs.\n"
      "  75% in 0.0090 secs.\n"
      "  90% in 0.0100 secs.\n";
  EXPECT_EQ(TenRequests(false), want);
}

TEST(ReportTest, BarsAreScaledToTheFullestBucket) {
  Report r;
  // 1 ms x3, 2 ms x1: buckets 1.0, 1.1, ..., 1.9 ms, 2 ms; 3*40/3 = 40 marks, 1*40/3 = 13.
  for (int i = 0; i < 3; ++i) r.Record(Seconds(0.001));
  r.Record(Seconds(0.002));
  r.FinishWithTotal(1.0);
  const std::string text = r.String();
  std::string forty, thirteen;
  for (int i = 0; i < 40; ++i) forty += "\u220e";
  for (int i = 0; i < 13; ++i) thirteen += "\u220e";
  EXPECT_NE(text.find("  0.0010 [3]\t|" + forty + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  0.0020 [1]\t|" + thirteen + "\n"), std::string::npos) << text;
  // One percentile per rank at most: i=1 (25 >= 10) gives 10%, i=2 (50 >= 25) gives 25%,
  // i=3 (75 >= 50) gives 50%; no rank is left for 75% and above.
  const std::string tail =
      "\nLatency distribution:\n  10% in 0.0010 secs.\n  25% in 0.0010 secs.\n"
      "  50% in 0.0020 secs.\n";
  ASSERT_GE(text.size(), tail.size());
  EXPECT_EQ(text.substr(text.size() - tail.size()), tail);
}

TEST(ReportTest, PreciseUsesGoShortestFormat) {
  const std::string text = TenRequests(true);
  EXPECT_NE(text.find("  Total:\t2 secs.\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Average:\t0.0055 secs.\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Requests/sec:\t5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  10% in 0.002 secs.\n"), std::string::npos) << text;
}

TEST(ReportTest, GoShortestFloatMatchesGoPercentG) {
  EXPECT_EQ(GoShortestFloat(5), "5");
  EXPECT_EQ(GoShortestFloat(99.9), "99.9");
  EXPECT_EQ(GoShortestFloat(0.0001), "0.0001");      // exponent -4: still %f
  EXPECT_EQ(GoShortestFloat(0.00001), "1e-05");      // exponent -5: %e, two-digit exponent
  EXPECT_EQ(GoShortestFloat(0.0000123), "1.23e-05");
  EXPECT_EQ(GoShortestFloat(123456), "123456");
  EXPECT_EQ(GoShortestFloat(1234567), "1.234567e+06");  // exponent 6: %e
  EXPECT_EQ(GoShortestFloat(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(GoShortestFloat(-2.5), "-2.5");
  EXPECT_EQ(GoShortestFloat(0), "0");
}

TEST(ReportTest, ErrorsAfterTheSummaryAndAloneWhenAllFailed) {
  Report some;
  some.Record(Seconds(0.001));
  some.RecordError("etcdserver: request timed out");
  some.RecordError("etcdserver: request timed out");
  some.FinishWithTotal(1);
  const std::string text = some.String();
  const std::string errors = "\nError distribution:\n  [2]\tetcdserver: request timed out\n";
  ASSERT_GE(text.size(), errors.size());
  EXPECT_EQ(text.substr(text.size() - errors.size()), errors);
  EXPECT_EQ(some.count(), 3);

  Report none;
  none.RecordError("oops");
  none.FinishWithTotal(1);
  EXPECT_EQ(none.String(), "\nError distribution:\n  [1]\toops\n");

  Report empty;
  empty.FinishWithTotal(1);
  EXPECT_EQ(empty.String(), "");
}

TEST(ReportTest, PercentilesPickTheFirstRankAtOrAbove) {
  std::vector<double> sorted;
  for (int i = 1; i <= 1000; ++i) sorted.push_back(i);
  // Rank i (0-based) reaches p when i*100/1000 >= p: i = 10p.
  EXPECT_EQ(Percentiles(sorted),
            (std::vector<double>{101, 251, 501, 751, 901, 951, 991, 1000}));
}

TEST(ReportTest, GoDurationMatchesGoTimeDurationString) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(GoDuration(nanoseconds(0)), "0s");
  EXPECT_EQ(GoDuration(nanoseconds(999)), "999ns");
  EXPECT_EQ(GoDuration(nanoseconds(1500)), "1.5\u00b5s");
  EXPECT_EQ(GoDuration(nanoseconds(1234567)), "1.234567ms");
  EXPECT_EQ(GoDuration(nanoseconds(2000000)), "2ms");
  EXPECT_EQ(GoDuration(nanoseconds(2500000000)), "2.5s");
  EXPECT_EQ(GoDuration(nanoseconds(62000000000)), "1m2s");
  EXPECT_EQ(GoDuration(nanoseconds(3600000000000)), "1h0m0s");
}

TEST(ReportTest, SampleListsEachSecondAfterThePercentiles) {
  Report r(/*precise=*/false, /*sample=*/true);
  const Clock::time_point t = Clock::now();
  r.Record(t, t + std::chrono::milliseconds(2));
  r.Record(t, t + std::chrono::milliseconds(4));
  r.FinishWithTotal(1);
  const std::string text = r.String();
  const size_t at = text.find("\nSample in one second (unix latency throughput):\n"
                              "UNIX-SECOND,MIN-LATENCY-MS,AVG-LATENCY-MS,MAX-LATENCY-MS,"
                              "AVG-THROUGHPUT\n");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_GT(at, text.find("Latency distribution:"));
  // Both requests started in the same second: fastest 2 ms, average 3 ms, slowest 4 ms, 2.
  EXPECT_TRUE(std::regex_search(text, std::regex("\n[0-9]{10},2ms,3ms,4ms,2\n\n$"))) << text;
}

}  // namespace
}  // namespace etcd::benchmark
