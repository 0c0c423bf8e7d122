#include "wal/wal.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "wal/env.h"
#include "wal/fault_injection_env.h"
#include "wal/internal/record.h"

namespace etcd::wal {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test under TEST_TMPDIR.
std::string TestDir(const std::string& suffix = "") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/", info->test_suite_name(), ".",
                                 info->name(), suffix);
  for (char& c : dir) {
    if (c == '/' && &c != dir.data() && *(&c - 1) == '/') c = '_';
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

raftpb::Entry MakeEntry(uint64_t term, uint64_t index, std::string data) {
  raftpb::Entry e;
  e.set_term(term);
  e.set_index(index);
  e.set_data(std::move(data));
  return e;
}

raftpb::HardState MakeState(uint64_t term, uint64_t vote, uint64_t commit) {
  raftpb::HardState s;
  s.set_term(term);
  s.set_vote(vote);
  s.set_commit(commit);
  return s;
}

// Random non-zero payload (zero runs could look like a torn sector; see README).
std::string Payload(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(1 + rng() % 255);
  return s;
}

void ExpectSameEntries(const std::vector<raftpb::Entry>& want,
                       const std::vector<raftpb::Entry>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(want[i].SerializeAsString(), got[i].SerializeAsString()) << "entry " << i;
  }
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    uint64_t seq, index;
    std::string name = e.path().filename().string();
    if (ParseSegmentName(name, &seq, &index)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ReadRaw(const std::string& path) {
  std::string s;
  EXPECT_TRUE(Env::Default()->ReadFileToString(path, &s).ok());
  return s;
}

void WriteRaw(const std::string& path, const std::string& contents) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

std::string WalDir(const std::string& root) { return root + "/member/wal"; }

absl::StatusOr<WalContents> OpenAndRead(Env* env, const std::string& dir, WalSnapshot snap = {},
                                        const WalOptions& options = {},
                                        std::unique_ptr<Wal>* out = nullptr) {
  absl::StatusOr<std::unique_ptr<Wal>> wal = Wal::Open(env, dir, snap, options);
  if (!wal.ok()) return wal.status();
  absl::StatusOr<WalContents> contents = (*wal)->ReadAll();
  if (out != nullptr && contents.ok()) *out = std::move(*wal);
  return contents;
}

TEST(SegmentNameTest, FormatAndParse) {
  EXPECT_EQ("0000000000000001-00000000000000ff.wal", SegmentName(1, 255));
  uint64_t seq, index;
  ASSERT_TRUE(ParseSegmentName("000000000000000a-0000000000000100.wal", &seq, &index));
  EXPECT_EQ(10u, seq);
  EXPECT_EQ(256u, index);
  EXPECT_FALSE(ParseSegmentName("000000000000000a-0000000000000100.wal.tmp", &seq, &index));
  EXPECT_FALSE(ParseSegmentName("000000000000000A-0000000000000100.wal", &seq, &index));
  EXPECT_FALSE(ParseSegmentName("0.wal", &seq, &index));
}

TEST(MustSyncTest, FollowsRaft) {
  raftpb::HardState prev = MakeState(2, 1, 5);
  EXPECT_FALSE(MustSync(MakeState(2, 1, 9), prev, 0));  // commit only
  EXPECT_TRUE(MustSync(MakeState(3, 1, 5), prev, 0));   // term
  EXPECT_TRUE(MustSync(MakeState(2, 3, 5), prev, 0));   // vote
  EXPECT_TRUE(MustSync(MakeState(2, 1, 5), prev, 1));   // entries
}

TEST(WalTest, CreateRefusesNonEmptyDirAndAcceptsEmptyOne) {
  std::string root = TestDir();
  std::string dir = WalDir(root);
  fs::create_directories(dir);
  ASSERT_TRUE(Wal::Create(Env::Default(), dir, "meta").ok());  // empty: fine
  absl::StatusOr<std::unique_ptr<Wal>> again = Wal::Create(Env::Default(), dir, "meta");
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_FALSE(fs::exists(dir + ".tmp"));
}

TEST(WalTest, OpenMissingDirIsNotFound) {
  std::string root = TestDir();
  EXPECT_TRUE(absl::IsNotFound(Wal::Open(Env::Default(), root + "/nope", {}).status()));
}

TEST(WalTest, SaveBeforeReadAllIsRejected) {
  std::string dir = WalDir(TestDir());
  ASSERT_TRUE(Wal::Create(Env::Default(), dir, "m").ok());
  auto wal = Wal::Open(Env::Default(), dir, {});
  ASSERT_TRUE(wal.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition((*wal)->Save(MakeState(1, 1, 0), {})));
}

TEST(WalTest, RoundTripAcrossManySegments) {
  std::string dir = WalDir(TestDir());
  WalOptions options;
  options.segment_bytes = 16 << 10;
  std::mt19937_64 rng(1);
  std::vector<raftpb::Entry> written;
  raftpb::HardState state;
  {
    auto wal = Wal::Create(Env::Default(), dir, "cluster-id=42", options);
    ASSERT_TRUE(wal.ok()) << wal.status();
    uint64_t index = 0;
    while (index < 5000) {
      std::vector<raftpb::Entry> batch;
      size_t n = 1 + rng() % 20;
      for (size_t i = 0; i < n; ++i) {
        ++index;
        batch.push_back(MakeEntry(1 + index / 1000, index, Payload(rng, rng() % 300)));
      }
      state = MakeState(1 + index / 1000, 1, index - rng() % 3);
      ASSERT_TRUE((*wal)->Save(state, batch).ok());
      written.insert(written.end(), batch.begin(), batch.end());
    }
    EXPECT_EQ(index, (*wal)->last_index());
    ASSERT_TRUE((*wal)->Close().ok());
  }
  std::vector<std::string> files = SegmentFiles(dir);
  EXPECT_GT(files.size(), 20u);
  // Every segment but the last is trimmed to its records; names carry the first index.
  uint64_t prev_index = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    uint64_t seq, first;
    ASSERT_TRUE(ParseSegmentName(files[i], &seq, &first));
    EXPECT_EQ(i, seq);
    EXPECT_GE(first, prev_index);
    prev_index = first;
  }
  absl::StatusOr<WalContents> got = OpenAndRead(Env::Default(), dir, {}, options);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ("cluster-id=42", got->metadata);
  EXPECT_EQ(state.SerializeAsString(), got->state.SerializeAsString());
  ExpectSameEntries(written, got->entries);
}

TEST(WalTest, ReopenAndAppend) {
  std::string dir = WalDir(TestDir());
  std::vector<raftpb::Entry> written;
  for (int round = 0; round < 5; ++round) {
    std::unique_ptr<Wal> wal;
    if (round == 0) {
      auto created = Wal::Create(Env::Default(), dir, "m");
      ASSERT_TRUE(created.ok());
      wal = std::move(*created);
    } else {
      absl::StatusOr<WalContents> got = OpenAndRead(Env::Default(), dir, {}, {}, &wal);
      ASSERT_TRUE(got.ok()) << got.status();
      ExpectSameEntries(written, got->entries);
      EXPECT_EQ(static_cast<uint64_t>(round), got->state.term());
      EXPECT_EQ(written.size(), wal->last_index());
    }
    std::vector<raftpb::Entry> batch;
    for (int i = 0; i < 10; ++i) {
      batch.push_back(MakeEntry(round + 1, written.size() + batch.size() + 1, "x"));
    }
    ASSERT_TRUE(wal->Save(MakeState(round + 1, 1, written.size()), batch).ok());
    written.insert(written.end(), batch.begin(), batch.end());
    ASSERT_TRUE(wal->Close().ok());
  }
}

TEST(WalTest, OverwrittenEntriesReadBackAsTheLaterWrite) {
  std::string dir = WalDir(TestDir());
  {
    auto wal = Wal::Create(Env::Default(), dir, "m");
    ASSERT_TRUE(wal.ok());
    std::vector<raftpb::Entry> a;
    for (uint64_t i = 1; i <= 10; ++i) a.push_back(MakeEntry(1, i, "old"));
    ASSERT_TRUE((*wal)->Save(MakeState(1, 1, 3), a).ok());
    // A new leader at term 2 overwrote the log from index 5.
    ASSERT_TRUE((*wal)->Save(MakeState(2, 2, 3),
                             {MakeEntry(2, 5, "new5"), MakeEntry(2, 6, "new6")})
                    .ok());
    ASSERT_TRUE((*wal)->Close().ok());
  }
  std::unique_ptr<Wal> wal;
  absl::StatusOr<WalContents> got = OpenAndRead(Env::Default(), dir, {}, {}, &wal);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(6u, got->entries.size());
  for (uint64_t i = 1; i <= 4; ++i) EXPECT_EQ("old", got->entries[i - 1].data());
  EXPECT_EQ("new5", got->entries[4].data());
  EXPECT_EQ("new6", got->entries[5].data());
  EXPECT_EQ(6u, wal->last_index());
  // And again after the reopen: overwrite 6, append 7.
  ASSERT_TRUE(wal->Save(MakeState(3, 3, 4), {MakeEntry(3, 6, "third6"), MakeEntry(3, 7, "7")})
                  .ok());
  ASSERT_TRUE(wal->Close().ok());
  got = OpenAndRead(Env::Default(), dir);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(7u, got->entries.size());
  EXPECT_EQ("new5", got->entries[4].data());
  EXPECT_EQ("third6", got->entries[5].data());
  EXPECT_EQ(3u, got->state.term());
}

TEST(WalTest, EntryGapIsDataLoss) {
  std::string dir = WalDir(TestDir());
  {
    auto wal = Wal::Create(Env::Default(), dir, "m");
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Save({}, {MakeEntry(1, 1, "a"), MakeEntry(1, 3, "c")}).ok());
  }
  EXPECT_TRUE(absl::IsDataLoss(OpenAndRead(Env::Default(), dir).status()));
}

TEST(WalTest, OpenAtSnapshotSkipsOlderSegments) {
  std::string dir = WalDir(TestDir());
  WalOptions options;
  options.segment_bytes = 4096;
  {
    auto wal = Wal::Create(Env::Default(), dir, "m", options);
    ASSERT_TRUE(wal.ok());
    for (uint64_t i = 1; i <= 300; ++i) {
      ASSERT_TRUE((*wal)->Save(MakeState(1, 1, i), {MakeEntry(1, i, "payload")}).ok());
      if (i == 200) {
        ASSERT_TRUE((*wal)->SaveSnapshot({200, 1}).ok());
      }
    }
  }
  // Damage the first segment: Open at {200, 1} must not read it.
  std::vector<std::string> files = SegmentFiles(dir);
  ASSERT_GT(files.size(), 3u);
  std::string first = ReadRaw(dir + "/" + files[0]);
  first[100] ^= 1;
  WriteRaw(dir + "/" + files[0], first);

  absl::StatusOr<WalContents> got = OpenAndRead(Env::Default(), dir, {200, 1}, options);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(100u, got->entries.size());
  EXPECT_EQ(201u, got->entries.front().index());
  EXPECT_EQ(300u, got->state.commit());
  EXPECT_EQ("m", got->metadata);

  EXPECT_TRUE(absl::IsFailedPrecondition(OpenAndRead(Env::Default(), dir, {200, 2}).status()));
  EXPECT_TRUE(absl::IsNotFound(OpenAndRead(Env::Default(), dir, {250, 1}).status()));
  EXPECT_TRUE(absl::IsDataLoss(OpenAndRead(Env::Default(), dir, {0, 0}).status()));
}

TEST(WalTest, SecondOpenIsLockedOut) {
  std::string dir = WalDir(TestDir());
  auto wal = Wal::Create(Env::Default(), dir, "m");
  ASSERT_TRUE(wal.ok());
  EXPECT_TRUE(absl::IsUnavailable(Wal::Open(Env::Default(), dir, {}).status()));
  ASSERT_TRUE((*wal)->Close().ok());
  EXPECT_TRUE(Wal::Open(Env::Default(), dir, {}).ok());
}

TEST(WalTest, ReleaseLockToAndPurge) {
  std::string dir = WalDir(TestDir());
  WalOptions options;
  options.segment_bytes = 2048;
  auto wal = Wal::Create(Env::Default(), dir, "m", options);
  ASSERT_TRUE(wal.ok());
  for (uint64_t i = 1; i <= 200; ++i) {
    ASSERT_TRUE((*wal)->Save({}, {MakeEntry(1, i, std::string(100, 'x'))}).ok());
  }
  std::vector<std::string> files = SegmentFiles(dir);
  ASSERT_GT(files.size(), 6u);
  // All held: nothing can be purged.
  auto removed = Wal::PurgeSegments(Env::Default(), dir, 2);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(0, *removed);
  // Release what a snapshot at the first index of segment 4 no longer needs: segments 0..2.
  uint64_t seq, first_of_4;
  ASSERT_TRUE(ParseSegmentName(files[4], &seq, &first_of_4));
  ASSERT_TRUE((*wal)->ReleaseLockTo(first_of_4).ok());
  removed = Wal::PurgeSegments(Env::Default(), dir, 2);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(3, *removed);
  EXPECT_EQ(files.size() - 3, SegmentFiles(dir).size());
  EXPECT_EQ(files[3], SegmentFiles(dir)[0]);
  // The log still reads from a snapshot in the kept segments.
  ASSERT_TRUE((*wal)->SaveSnapshot({first_of_4, 1}).ok());
  ASSERT_TRUE((*wal)->Close().ok());
  auto got = OpenAndRead(Env::Default(), dir, {first_of_4, 1}, options);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(200 - first_of_4, got->entries.size());
}

// Writes `n` one-entry Saves (no preallocation, so the file ends where the data ends) and
// returns the size of the only segment before and after the last Save.
void WriteSimpleLog(const std::string& dir, int n, bool preallocate, uint64_t* before_last,
                    uint64_t* after_last) {
  WalOptions options;
  options.preallocate = preallocate;
  auto wal = Wal::Create(Env::Default(), dir, "m", options);
  ASSERT_TRUE(wal.ok());
  std::mt19937_64 rng(7);
  const std::string path = dir + "/" + SegmentName(0, 0);
  for (int i = 1; i <= n; ++i) {
    if (i == n) *before_last = ReadRaw(path).find_last_not_of('\0') + 1;
    // The last record spans two sectors so the cut positions cover both.
    ASSERT_TRUE((*wal)->Save({}, {MakeEntry(1, i, Payload(rng, i == n ? 700 : 50))}).ok());
  }
  ASSERT_TRUE((*wal)->Close().ok());
  *after_last = ReadRaw(path).find_last_not_of('\0') + 1;
}

TEST(WalRecoveryTest, TornTailAtEveryOffsetRecoversEarlierRecords) {
  std::string root = TestDir();
  std::string pristine = root + "/pristine";
  uint64_t before = 0, after = 0;
  WriteSimpleLog(pristine, 20, /*preallocate=*/false, &before, &after);
  ASSERT_GT(after, before + 700);
  before = (before + 7) & ~uint64_t{7};  // the last record starts 8-aligned
  const std::string name = SegmentName(0, 0);
  WalOptions no_prealloc;
  no_prealloc.preallocate = false;
  for (uint64_t cut = before; cut < after; ++cut) {
    SCOPED_TRACE(absl::StrCat("cut at ", cut));
    std::string dir = absl::StrCat(root, "/cut");
    fs::remove_all(dir);
    fs::copy(pristine, dir);
    fs::resize_file(dir + "/" + name, cut);
    std::unique_ptr<Wal> wal;
    absl::StatusOr<WalContents> got = OpenAndRead(Env::Default(), dir, {}, no_prealloc, &wal);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(19u, got->entries.size());
    ASSERT_EQ(19u, wal->last_index());
    // The torn bytes are gone and the log continues after the last good record.
    ASSERT_EQ(before, fs::file_size(dir + "/" + name));
    ASSERT_TRUE(wal->Save({}, {MakeEntry(2, 20, "again")}).ok());
    ASSERT_TRUE(wal->Close().ok());
    got = OpenAndRead(Env::Default(), dir);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(20u, got->entries.size());
    ASSERT_EQ("again", got->entries.back().data());
  }
}

TEST(WalRecoveryTest, ZeroFilledTailRecoversEarlierRecords) {
  // Preallocated segment: a crash leaves the last record partly written over zeros. Zero
  // every suffix of the last record in turn (sector by sector and byte by byte).
  std::string root = TestDir();
  std::string pristine = root + "/pristine";
  uint64_t before = 0, after = 0;
  WriteSimpleLog(pristine, 20, /*preallocate=*/true, &before, &after);
  before = (before + 7) & ~uint64_t{7};
  const std::string name = SegmentName(0, 0);
  const std::string original = ReadRaw(pristine + "/" + name);
  ASSERT_EQ(64u << 20, original.size());
  for (uint64_t zero_from = before; zero_from < after; zero_from += 3) {
    SCOPED_TRACE(absl::StrCat("zeros from ", zero_from));
    std::string dir = root + "/zeroed";
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string contents = original.substr(0, after + 4096);
    std::fill(contents.begin() + zero_from, contents.end(), '\0');
    WriteRaw(dir + "/" + name, contents);
    WalOptions options;
    options.preallocate = false;
    absl::StatusOr<WalContents> got = OpenAndRead(Env::Default(), dir, {}, options);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(19u, got->entries.size());
  }
}

TEST(WalRecoveryTest, LostMiddleSectorOfTornRecordIsTorn) {
  // Pages of an unsynced write may reach the disk out of order: the end of the last record is
  // there but a sector in its middle is not. That is still a torn write (etcd's isTornEntry).
  std::string root = TestDir();
  std::string dir = root + "/w";
  uint64_t before = 0, after = 0;
  WriteSimpleLog(dir, 20, /*preallocate=*/false, &before, &after);
  before = (before + 7) & ~uint64_t{7};
  const std::string path = dir + "/" + SegmentName(0, 0);
  std::string contents = ReadRaw(path);
  uint64_t sector = (before / 512 + 1) * 512;
  ASSERT_LT(sector + 8, after);
  std::fill(contents.begin() + sector, contents.begin() + std::min<uint64_t>(sector + 512, after - 8), '\0');
  WriteRaw(path, contents);
  absl::StatusOr<WalContents> got = OpenAndRead(Env::Default(), dir);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(19u, got->entries.size());
}

TEST(WalRecoveryTest, FlippedBitInAMiddleRecordIsDataLoss) {
  std::string root = TestDir();
  std::string pristine = root + "/pristine";
  WalOptions options;
  options.preallocate = false;
  std::mt19937_64 rng(3);
  {
    auto wal = Wal::Create(Env::Default(), pristine, "m", options);
    ASSERT_TRUE(wal.ok());
    for (uint64_t i = 1; i <= 10; ++i) {
      ASSERT_TRUE((*wal)->Save({}, {MakeEntry(1, i, Payload(rng, 37))}).ok());
    }
  }
  const std::string name = SegmentName(0, 0);
  const std::string original = ReadRaw(pristine + "/" + name);
  // Find the record of entry 5 by decoding.
  internal::SegmentDecoder decoder(original, std::nullopt);
  internal::DecodedRecord rec;
  uint64_t begin = 0, end = 0;
  int entries = 0;
  while (decoder.Next(&rec) == internal::SegmentDecoder::Result::kRecord) {
    if (rec.type == internal::RecordType::kEntry && ++entries == 5) {
      begin = rec.offset;
      end = rec.offset + internal::kHeaderBytes + internal::PaddedLength(rec.data.size());
    }
  }
  ASSERT_GT(end, begin);
  std::string dir = root + "/flipped";
  for (uint64_t off = begin; off < end; ++off) {
    for (int bit : {0, 7}) {
      SCOPED_TRACE(absl::StrCat("byte ", off, " bit ", bit));
      fs::remove_all(dir);
      fs::create_directories(dir);
      std::string contents = original;
      contents[off] ^= static_cast<char>(1 << bit);
      WriteRaw(dir + "/" + name, contents);
      absl::Status s = OpenAndRead(Env::Default(), dir, {}, options).status();
      ASSERT_TRUE(absl::IsDataLoss(s)) << s;
      ASSERT_NE(std::string::npos, s.message().find(name)) << s;
      ASSERT_NE(std::string::npos, s.message().find(absl::StrCat("offset ", begin))) << s;
    }
  }
}

TEST(WalRecoveryTest, GarbageAfterTheLastRecordIsDataLoss) {
  std::string dir = WalDir(TestDir());
  WalOptions options;
  options.preallocate = false;
  {
    auto wal = Wal::Create(Env::Default(), dir, "m", options);
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Save({}, {MakeEntry(1, 1, "a")}).ok());
  }
  const std::string path = dir + "/" + SegmentName(0, 0);
  std::mt19937_64 rng(5);
  WriteRaw(path, ReadRaw(path) + Payload(rng, 64));
  EXPECT_TRUE(absl::IsDataLoss(OpenAndRead(Env::Default(), dir, {}, options).status()));
}

TEST(WalRecoveryTest, DamageInANonLastSegmentIsDataLoss) {
  std::string root = TestDir();
  WalOptions options;
  options.segment_bytes = 4096;
  std::string pristine = root + "/pristine";
  {
    auto wal = Wal::Create(Env::Default(), pristine, "m", options);
    ASSERT_TRUE(wal.ok());
    for (uint64_t i = 1; i <= 100; ++i) {
      ASSERT_TRUE((*wal)->Save({}, {MakeEntry(1, i, std::string(100, 'y'))}).ok());
    }
  }
  std::vector<std::string> files = SegmentFiles(pristine);
  ASSERT_GE(files.size(), 3u);
  const std::string victim = files[1];
  const std::string original = ReadRaw(pristine + "/" + victim);
  std::string dir = root + "/damaged";
  auto reset = [&](const std::string& contents) {
    fs::remove_all(dir);
    fs::copy(pristine, dir);
    WriteRaw(dir + "/" + victim, contents);
  };
  // Truncated (a torn tail is only excusable in the last segment).
  reset(original.substr(0, original.size() - 5));
  absl::Status s = OpenAndRead(Env::Default(), dir).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(std::string::npos, s.message().find(victim)) << s;
  // Last record's data zeroed, as a torn write would look.
  std::string zeroed = original;
  std::fill(zeroed.end() - 100, zeroed.end(), '\0');
  reset(zeroed);
  EXPECT_TRUE(absl::IsDataLoss(OpenAndRead(Env::Default(), dir).status()));
  // A whole middle segment missing.
  reset(original);
  fs::remove(dir + "/" + victim);
  EXPECT_TRUE(absl::IsDataLoss(OpenAndRead(Env::Default(), dir).status()));
  // Segments swapped for another log's: the CRC chain breaks.
  reset(original);
  std::string other = root + "/other";
  {
    auto wal = Wal::Create(Env::Default(), other, "m", options);
    ASSERT_TRUE(wal.ok());
    for (uint64_t i = 1; i <= 100; ++i) {
      ASSERT_TRUE((*wal)->Save({}, {MakeEntry(1, i, std::string(100, 'y'))}).ok());
      if (i == 1) {
        ASSERT_TRUE((*wal)->Save(MakeState(1, 1, 1), {}).ok());
      }
    }
  }
  fs::copy_file(other + "/" + SegmentFiles(other)[2], dir + "/" + files[2],
                fs::copy_options::overwrite_existing);
  s = OpenAndRead(Env::Default(), dir).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
}

// An EnvWrapper overriding one call: every fdatasync fails.
class FailingSyncEnv : public EnvWrapper {
 public:
  using EnvWrapper::EnvWrapper;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    auto f = EnvWrapper::NewWritableFile(path);
    if (!f.ok()) return f;
    return std::unique_ptr<WritableFile>(new File(std::move(*f), this));
  }
  bool fail = false;

 private:
  class File : public WritableFile {
   public:
    File(std::unique_ptr<WritableFile> f, FailingSyncEnv* env) : f_(std::move(f)), env_(env) {}
    absl::Status Append(std::string_view d) override { return f_->Append(d); }
    absl::Status Sync() override {
      return env_->fail ? absl::InternalError("fdatasync: EIO") : f_->Sync();
    }
    absl::Status Truncate(uint64_t n) override { return f_->Truncate(n); }
    absl::Status Preallocate(uint64_t n) override { return f_->Preallocate(n); }
    absl::Status Close() override { return f_->Close(); }
    uint64_t offset() const override { return f_->offset(); }

   private:
    std::unique_ptr<WritableFile> f_;
    FailingSyncEnv* env_;
  };
};

TEST(WalFaultTest, FailedSyncFailsSaveAndPoisonsTheWal) {
  std::string dir = WalDir(TestDir());
  FailingSyncEnv env(Env::Default());
  auto wal = Wal::Create(&env, dir, "m");
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Save(MakeState(1, 1, 0), {MakeEntry(1, 1, "a")}).ok());
  env.fail = true;
  absl::Status s = (*wal)->Save(MakeState(1, 1, 1), {MakeEntry(1, 2, "b")});
  EXPECT_TRUE(absl::IsInternal(s)) << s;
  // Sticky even once the disk "recovers": a retried fsync could lie.
  env.fail = false;
  EXPECT_FALSE((*wal)->Save(MakeState(1, 1, 1), {MakeEntry(1, 3, "c")}).ok());
  EXPECT_FALSE((*wal)->SaveSnapshot({1, 1}).ok());
  EXPECT_FALSE((*wal)->Close().ok());
}

TEST(WalFaultTest, CommitOnlyChangeIsNotSynced) {
  std::string dir = WalDir(TestDir());
  FaultInjectionEnv env(Env::Default());
  auto wal = Wal::Create(&env, dir, "m");
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Save(MakeState(1, 1, 0), {MakeEntry(1, 1, "a")}).ok());
  int syncs = env.sync_count();
  ASSERT_TRUE((*wal)->Save(MakeState(1, 1, 1), {}).ok());  // commit only
  EXPECT_EQ(syncs, env.sync_count());
  ASSERT_TRUE((*wal)->Save({}, {}).ok());  // nothing
  EXPECT_EQ(syncs, env.sync_count());
  ASSERT_TRUE((*wal)->Save(MakeState(2, 1, 1), {}).ok());  // new term
  EXPECT_EQ(syncs + 1, env.sync_count());
  env.set_fail_append(true);
  EXPECT_FALSE((*wal)->Save(MakeState(2, 1, 1), {MakeEntry(2, 2, "b")}).ok());
}

TEST(WalFaultTest, FailedRenameDuringCutFailsSave) {
  std::string dir = WalDir(TestDir());
  FaultInjectionEnv env(Env::Default());
  WalOptions options;
  options.segment_bytes = 1024;
  auto wal = Wal::Create(&env, dir, "m", options);
  ASSERT_TRUE(wal.ok());
  env.set_fail_rename(true);
  absl::Status s;
  for (uint64_t i = 1; i <= 20 && s.ok(); ++i) {
    s = (*wal)->Save({}, {MakeEntry(1, i, std::string(100, 'z'))});
  }
  EXPECT_FALSE(s.ok());
  (*wal).reset();
  env.set_fail_rename(false);
  // What was acknowledged is readable; the leftover .tmp segment is ignored.
  auto got = OpenAndRead(&env, dir, {}, options);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_GE(got->entries.size(), 8u);
}

// LevelDB fault_injection_test style: crash at random points, dropping (all or a random part
// of) everything not synced; every Save that returned OK must survive.
TEST(WalFaultTest, EverySaveThatReturnedOkSurvivesACrash) {
  std::string dir = WalDir(TestDir());
  FaultInjectionEnv env(Env::Default());
  WalOptions options;
  options.segment_bytes = 8 << 10;
  std::mt19937_64 rng(11);
  std::vector<raftpb::Entry> log;  // what the WAL must contain, as last acknowledged
  raftpb::HardState acked_state;
  std::unique_ptr<Wal> wal;
  {
    auto created = Wal::Create(&env, dir, "m", options);
    ASSERT_TRUE(created.ok());
    wal = std::move(*created);
  }
  int recovered_inflight = 0;
  for (int crash = 0; crash < 60; ++crash) {
    SCOPED_TRACE(absl::StrCat("crash ", crash));
    // The power goes at the k-th fdatasync from now: maybe inside a segment cut.
    env.FailSyncAfter(static_cast<int>(rng() % 40));
    std::vector<raftpb::Entry> inflight;  // the Save that failed: written, not acknowledged
    uint64_t inflight_from = 0;           // its first index
    for (;;) {
      std::vector<raftpb::Entry> batch;
      uint64_t next = log.size() + 1;
      // Sometimes a new leader overwrites the last few entries.
      if (next > 3 && rng() % 5 == 0) next -= rng() % 3;
      size_t n = 1 + rng() % 8;
      uint64_t term = std::max<uint64_t>(acked_state.term() + (rng() % 4 == 0 ? 1 : 0), 1);
      for (size_t k = 0; k < n; ++k) {
        batch.push_back(MakeEntry(term, next + k, Payload(rng, rng() % 300)));
      }
      raftpb::HardState st = MakeState(term, 1, std::min<uint64_t>(next - 1, log.size()));
      if (!wal->Save(st, batch).ok()) {
        inflight = batch;
        inflight_from = next;
        break;
      }
      log.resize(next - 1);
      log.insert(log.end(), batch.begin(), batch.end());
      acked_state = st;
    }
    env.FailSyncAfter(-1);
    std::optional<uint64_t> seed;
    if (crash % 2 == 1) seed = rng();
    ASSERT_TRUE(env.SimulateCrash(seed).ok());
    wal.reset();  // the dead process's descriptors and locks

    absl::StatusOr<WalContents> got = OpenAndRead(&env, dir, {}, options, &wal);
    ASSERT_TRUE(got.ok()) << got.status();
    // Either none of the failed Save's records survived, and the log is exactly what was
    // acknowledged, or a prefix of them did, replacing the log from their first index.
    auto same = [](const raftpb::Entry& a, const raftpb::Entry& b) {
      return a.SerializeAsString() == b.SerializeAsString();
    };
    bool unchanged = got->entries.size() == log.size() &&
                     std::equal(log.begin(), log.end(), got->entries.begin(), same);
    if (!unchanged) {
      const size_t keep = inflight_from - 1;
      ASSERT_GT(got->entries.size(), keep);
      ASSERT_LE(got->entries.size(), keep + inflight.size());
      for (size_t i = 0; i < keep; ++i) ASSERT_TRUE(same(log[i], got->entries[i])) << i;
      for (size_t i = keep; i < got->entries.size(); ++i) {
        ASSERT_TRUE(same(inflight[i - keep], got->entries[i])) << i;
      }
      ++recovered_inflight;
    }
    EXPECT_GE(got->state.term(), acked_state.term());
    log = got->entries;  // surviving in-flight entries are now part of the log
    acked_state = got->state;
  }
  // The seeded crashes kept part of some unsynced writes: recovery saw real torn tails.
  EXPECT_GT(recovered_inflight, 0);
}

}  // namespace
}  // namespace etcd::wal
