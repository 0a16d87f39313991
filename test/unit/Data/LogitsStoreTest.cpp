//===- LogitsStoreTest.cpp - the logits store and the progress bar --------===//

#include "kdc/Data/LogitsStore.h"
#include "kdc/Support/Error.h"
#include "kdc/Support/Progress.h"

#include "TestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kdc;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

float bitsFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

std::string readFile(const std::string &path) { return kdc::unittest::slurp(path); }
void writeFile(const std::string &path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), bytes.size());
}
/// writeFile for a loop: on ext4, truncating a file to zero bytes waits
/// for its data to reach the disk, so the file is cut in place instead.
void overwrite(const std::string &path, std::string_view bytes) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), 0), ssize_t(bytes.size()));
  ASSERT_EQ(ftruncate(fd, bytes.size()), 0);
  close(fd);
}

/// Runs `fn`, expects a kdc::Error and returns its message.
template <typename Fn> std::string errorOf(Fn fn) {
  try {
    fn();
  } catch (const Error &e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a kdc::Error";
  return "";
}

#define EXPECT_ERROR(statement, ...)                                           \
  do {                                                                         \
    std::string message = errorOf([&] { statement; });                         \
    for (const char *part : {__VA_ARGS__})                                     \
      EXPECT_NE(message.find(part), std::string::npos)                         \
          << "message: " << message << "\nexpected to contain: " << part;      \
  } while (false)

class TempDir {
public:
  /// `inMemory` picks /dev/shm when there is one: a loop that cuts files
  /// hundreds of times is slow on a disk mounted with online discard.
  explicit TempDir(bool inMemory = false) {
    std::string base = testing::TempDir();
    if (inMemory && access("/dev/shm", W_OK) == 0)
      base = "/dev/shm";
    std::string pattern = (fs::path(base) / "kdl-XXXXXX");
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!mkdtemp(buffer.data()))
      std::abort();
    Dir = buffer.data();
  }
  ~TempDir() { fs::remove_all(Dir); }
  std::string operator/(const std::string &name) const {
    return (fs::path(Dir) / name).string();
  }

private:
  std::string Dir;
};

LogitsHeader testHeader(uint32_t shard = 0, uint32_t numShards = 1) {
  LogitsHeader header;
  header.labels = {"alarm_set", "alarm_query", "weather_query", "play_music",
                   "iot_hue_lightoff"};
  header.fingerprint = "sha256:9f86d081884c7d65";
  header.locales = {"en-US", "th-TH"};
  header.source = "massive/en-US.jsonl";
  header.shard = shard;
  header.numShards = numShards;
  return header;
}

std::string textOf(size_t i) {
  switch (i % 4) {
  case 0:
    return "wake me up at " + std::to_string(i % 12 + 1) + " am";
  case 1:
    return "";
  case 2:
    return "\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\x94"
           "\xe0\xb8\xb5 " +
           std::to_string(i); // Thai
  default:
    return std::string(i % 9, 'x') + "\n\t\"quoted\"";
  }
}
/// Multiples of 1/8 in [-16, 16): exactly representable in fp16.
std::vector<float> logitsOf(size_t i, size_t numClasses = 5) {
  std::vector<float> v(numClasses);
  for (size_t c = 0; c < numClasses; ++c)
    v[c] = static_cast<float>(static_cast<int>((i * 37 + c * 11) % 256) - 128) /
           8.0f;
  return v;
}
int32_t goldOf(size_t i) {
  return i % 5 == 0 ? -1 : static_cast<int32_t>(i % 5);
}
int32_t localeOf(size_t i) {
  return i % 3 == 2 ? -1 : static_cast<int32_t>(i % 2);
}

void appendRecord(LogitsWriter &writer, size_t i) {
  writer.append(textOf(i), logitsOf(i).data(), goldOf(i), localeOf(i));
}

/// Writes utterances [0, count) that fall in the header's shard and closes.
void writeStore(const std::string &path, const LogitsHeader &header,
                size_t count, bool close = true) {
  LogitsWriter writer = LogitsWriter::create(path, header);
  for (size_t i = 0; i < count; ++i)
    if (inShard(i, header.shard, header.numShards))
      appendRecord(writer, i);
  if (close)
    writer.close();
}

void expectRecord(const LogitsReader &reader, size_t r, size_t i) {
  SCOPED_TRACE("record " + std::to_string(r) + " = utterance " +
               std::to_string(i));
  RecordView view = reader.record(r);
  EXPECT_EQ(view.text, textOf(i));
  EXPECT_EQ(view.gold, goldOf(i));
  EXPECT_EQ(view.locale, localeOf(i));
  std::vector<float> expected = logitsOf(i, reader.numClasses());
  std::vector<float> got(reader.numClasses());
  reader.logits(r, got.data());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(view.logit(1), expected[1]);
}

/// Record sizes as docs/logits-store.md defines them.
uint64_t recordBytes(size_t numClasses, size_t textBytes) {
  return ((16 + 2 * numClasses + textBytes + 3) & ~size_t(3)) + 4;
}
uint32_t headerBytesOf(const std::string &bytes) {
  uint32_t h;
  std::memcpy(&h, bytes.data() + 12, 4);
  return h;
}
/// Byte offsets where records 0..count-1 end, for utterances 0..count-1.
std::vector<uint64_t> recordEnds(uint64_t headerBytes, size_t count) {
  std::vector<uint64_t> ends;
  uint64_t at = headerBytes;
  for (size_t i = 0; i < count; ++i)
    ends.push_back(at += recordBytes(5, textOf(i).size()));
  return ends;
}

// ASan's quarantine and shadow memory make resident sizes meaningless.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMeasuresMemory = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMeasuresMemory = false;
#else
constexpr bool kMeasuresMemory = true;
#endif
#else
constexpr bool kMeasuresMemory = true;
#endif

size_t statusKb(const char *field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  size_t n = std::strlen(field);
  while (std::getline(status, line))
    if (line.compare(0, n, field) == 0)
      return std::stoul(line.substr(n + 1));
  return 0;
}

//===----------------------------------------------------------------------===//
// fp16
//===----------------------------------------------------------------------===//

TEST(Half, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = halfToFloat(static_cast<uint16_t>(h));
    ASSERT_EQ(floatToHalf(f), h) << std::hex << "half 0x" << h;
    uint32_t exponent = (h >> 10) & 0x1f, significand = h & 0x3ff;
    if (exponent == 0x1f) {
      ASSERT_EQ(std::isnan(f), significand != 0) << std::hex << h;
      continue;
    }
    double expected = exponent == 0
                          ? std::ldexp(significand, -24)
                          : std::ldexp(1024 + significand, int(exponent) - 25);
    ASSERT_EQ(f, (h & 0x8000) ? -expected : expected) << std::hex << h;
    ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0);
  }
}

TEST(Half, RoundsToNearestEvenAtEveryMidpoint) {
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    float a = halfToFloat(h), b = halfToFloat(h + 1);
    float mid = a + (b - a) / 2; // exact: 12 significant bits at most
    ASSERT_GT(mid, a);
    ASSERT_LT(mid, b);
    uint32_t even = (h & 1) ? h + 1 : h;
    ASSERT_EQ(floatToHalf(mid), even) << std::hex << h;
    ASSERT_EQ(floatToHalf(-mid), even | 0x8000) << std::hex << h;
    ASSERT_EQ(floatToHalf(std::nextafter(mid, 0.0f)), h) << std::hex << h;
    ASSERT_EQ(floatToHalf(std::nextafter(mid, 1e9f)), h + 1) << std::hex << h;
  }
}

TEST(Half, EdgeCases) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(floatToHalf(0.0f), 0x0000);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(inf), 0x7c00);
  EXPECT_EQ(floatToHalf(-inf), 0xfc00);
  // NaN stays NaN, even one whose payload lives only in the low bits.
  for (uint32_t nan : {0x7fc00000u, 0x7f800001u, 0xffc00000u, 0x7fbfffffu}) {
    uint16_t h = floatToHalf(bitsFloat(nan));
    EXPECT_EQ(h & 0x7c00, 0x7c00) << std::hex << nan;
    EXPECT_NE(h & 0x3ff, 0) << std::hex << nan;
    EXPECT_EQ(h >> 15, nan >> 31);
  }
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
  EXPECT_EQ(halfToFloat(0x7c00), inf);
  EXPECT_EQ(halfToFloat(0xfc00), -inf);
  // Overflow.
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65519.996f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(floatToHalf(1e6f), 0x7c00);
  EXPECT_EQ(floatToHalf(-1e6f), 0xfc00);
  EXPECT_EQ(floatToHalf(std::numeric_limits<float>::max()), 0x7c00);
  // Subnormals and underflow.
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(halfToFloat(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000); // tie: to even 0
  EXPECT_EQ(floatToHalf(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)), 0x0002); // tie: to even 2
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -26)), 0x0000);
  EXPECT_EQ(floatToHalf(-std::ldexp(1.0f, -26)), 0x8000);
  EXPECT_EQ(floatToHalf(1e-40f), 0x0000); // a float subnormal
  EXPECT_EQ(floatToHalf(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(floatToHalf(std::ldexp(1023.0f, -24)), 0x03ff);
  EXPECT_EQ(floatToHalf(std::ldexp(1023.5f, -24)), 0x0400); // to normal
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -14)), 0x0400);
  // Ties in the normal range.
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(floatToHalf(2047.5f), 0x6800); // 2048, carries the exponent
}

#ifdef __FLT16_MAX__
TEST(Half, AgreesWithTheCompilersFloat16) {
  std::mt19937 rng(42);
  for (int i = 0; i < 1000000; ++i) {
    uint32_t bits = rng();
    // Half of the samples land in fp16's range, where rounding matters.
    if (i & 1)
      bits = (bits & 0x80000000u) | (0x33000000u + bits % 0x14000000u);
    float f = bitsFloat(bits);
    _Float16 reference = static_cast<_Float16>(f);
    uint16_t expected;
    std::memcpy(&expected, &reference, 2);
    if (std::isnan(f))
      ASSERT_TRUE(std::isnan(halfToFloat(floatToHalf(f))));
    else
      ASSERT_EQ(floatToHalf(f), expected) << std::hex << bits;
  }
}
#endif

//===----------------------------------------------------------------------===//
// Writing and reading
//===----------------------------------------------------------------------===//

TEST(LogitsStore, RoundTripsRecords) {
  TempDir dir;
  std::string path = dir / "store.kdl";
  writeStore(path, testHeader(), 40);

  LogitsReader reader = LogitsReader::open(path);
  const LogitsHeader &h = reader.header();
  EXPECT_EQ(h.labels, testHeader().labels);
  EXPECT_EQ(h.fingerprint, testHeader().fingerprint);
  EXPECT_EQ(h.locales, testHeader().locales);
  EXPECT_EQ(h.source, testHeader().source);
  EXPECT_EQ(h.shard, 0u);
  EXPECT_EQ(h.numShards, 1u);
  EXPECT_TRUE(reader.closed());
  EXPECT_EQ(reader.tornBytes(), 0u);
  ASSERT_EQ(reader.size(), 40u);
  for (size_t i = 0; i < reader.size(); ++i)
    expectRecord(reader, i, i);
  reader.verify();
  // Views point into the mapping, 2-aligned for the halves.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(reader.record(3).logits) % 2, 0u);
}

TEST(LogitsStore, KeepsLogitsWithinHalfPrecision) {
  TempDir dir;
  std::string path = dir / "store.kdl";
  LogitsHeader header = testHeader();
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 8.0f);
  std::vector<std::vector<float>> written;
  {
    LogitsWriter writer = LogitsWriter::create(path, header);
    for (int i = 0; i < 200; ++i) {
      std::vector<float> v(5);
      for (float &x : v)
        x = normal(rng);
      if (i == 0)
        v = {-std::numeric_limits<float>::infinity(), 65504.0f, -0.0f, 1e-7f,
             3.14159f}; // -inf masks a class; tiny values go subnormal
      writer.append("u" + std::to_string(i), v.data());
      written.push_back(v);
    }
    writer.close();
  }
  LogitsReader reader = LogitsReader::open(path);
  ASSERT_EQ(reader.size(), written.size());
  float got[5];
  for (size_t i = 0; i < written.size(); ++i) {
    reader.logits(i, got);
    for (int c = 0; c < 5; ++c) {
      float x = written[i][c];
      if (std::isinf(x)) {
        EXPECT_EQ(got[c], x);
        continue;
      }
      // Half a unit in the last place: 2^-11 relative, 2^-25 absolute.
      EXPECT_LE(std::fabs(got[c] - x),
                std::max(std::fabs(x) * 0x1p-11f, 0x1p-25f))
          << "record " << i << " class " << c;
    }
  }
  EXPECT_EQ(reader.record(0).gold, -1);
  EXPECT_EQ(reader.record(0).locale, -1);
}

TEST(LogitsStore, EmptyStore) {
  TempDir dir;
  std::string path = dir / "empty.kdl";
  writeStore(path, testHeader(), 0);
  LogitsReader reader = LogitsReader::open(path);
  EXPECT_EQ(reader.size(), 0u);
  EXPECT_TRUE(reader.closed());
  LogitsWriter writer = LogitsWriter::resume(path, testHeader());
  EXPECT_EQ(writer.size(), 0u);
}

TEST(LogitsStore, ReadsAStoreThatWasNeverClosed) {
  TempDir dir;
  std::string path = dir / "open.kdl";
  writeStore(path, testHeader(), 25, /*close=*/false);
  LogitsReader reader = LogitsReader::open(path);
  EXPECT_FALSE(reader.closed());
  EXPECT_EQ(reader.tornBytes(), 0u);
  ASSERT_EQ(reader.size(), 25u);
  for (size_t i = 0; i < reader.size(); ++i)
    expectRecord(reader, i, i);
}

//===----------------------------------------------------------------------===//
// Resuming
//===----------------------------------------------------------------------===//

// A killed writer leaves a prefix of the bytes it meant to write. Cut the
// finished store at every byte, mid-header, mid-record and mid-index
// included: the reader must see the complete records, and resuming then
// appending the rest must give the uninterrupted store, byte for byte.
// close() syncs the file, so only some cuts close; the others check the
// records the resumed writer leaves behind.
TEST(LogitsStore, ResumesAfterAKillAtEveryByte) {
  TempDir dir(/*inMemory=*/true);
  const size_t count = 10;
  std::string reference = dir / "reference.kdl";
  writeStore(reference, testHeader(), count);
  std::string bytes = readFile(reference);
  uint64_t headerBytes = headerBytesOf(bytes);
  std::vector<uint64_t> ends = recordEnds(headerBytes, count);
  uint64_t recordsEnd = ends.back();
  ASSERT_EQ(bytes.size(), recordsEnd + 8 + 8 * count + 32);
  std::string path = dir / "killed.kdl";

  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    SCOPED_TRACE("cut at byte " + std::to_string(cut));
    overwrite(path, std::string_view(bytes).substr(0, cut));
    size_t complete = 0;
    while (complete < count && ends[complete] <= cut)
      ++complete;
    if (cut < headerBytes) {
      EXPECT_ERROR(LogitsReader::open(path), path.c_str(), "truncated header");
    } else {
      LogitsReader reader = LogitsReader::open(path);
      ASSERT_EQ(reader.size(), complete);
      EXPECT_EQ(reader.closed(), cut == bytes.size());
      uint64_t last = complete ? ends[complete - 1] : headerBytes;
      EXPECT_EQ(reader.tornBytes(), cut == bytes.size() ? 0 : cut - last);
      if (complete)
        expectRecord(reader, complete - 1, complete - 1);
    }
    bool close = cut % 53 == 0 || cut + 1 >= bytes.size();
    {
      LogitsWriter writer = LogitsWriter::resume(path, testHeader());
      ASSERT_EQ(writer.size(), cut < headerBytes ? 0 : complete);
      for (size_t i = writer.size(); i < count; ++i)
        appendRecord(writer, i);
      if (close)
        writer.close();
    } // else destroyed unclosed: the records without the index
    ASSERT_TRUE(readFile(path) ==
                (close ? bytes : bytes.substr(0, recordsEnd)));
  }
}

// The same with a real SIGKILL, wherever it lands.
TEST(LogitsStore, ResumesAfterSigkill) {
  TempDir dir;
  std::string path = dir / "killed.kdl";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      LogitsWriter writer = LogitsWriter::create(path, testHeader());
      for (size_t i = 0;; ++i) {
        appendRecord(writer, i);
        if (i % 7 == 6)
          writer.flush();
      }
    } catch (...) {
    }
    _exit(1);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::error_code ec;
  auto size = [&] {
    uintmax_t n = fs::file_size(path, ec);
    return ec ? 0 : n;
  };
  while (size() < 20000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer died before the kill";

  LogitsWriter writer = LogitsWriter::resume(path, testHeader());
  size_t survived = writer.size();
  EXPECT_GT(survived, 0u);
  size_t total = survived + 10;
  for (size_t i = survived; i < total; ++i)
    appendRecord(writer, i);
  writer.close();

  std::string reference = dir / "reference.kdl";
  writeStore(reference, testHeader(), total);
  EXPECT_TRUE(readFile(path) == readFile(reference))
      << survived << " records survived the kill";
}

// A power cut can leave zero-filled blocks at the end instead of a prefix.
TEST(LogitsStore, TreatsAZeroFilledTailAsTorn) {
  TempDir dir;
  std::string path = dir / "zeroed.kdl";
  writeStore(path, testHeader(), 12, /*close=*/false);
  std::string bytes = readFile(path);
  uint64_t headerBytes = headerBytesOf(bytes);
  std::vector<uint64_t> ends = recordEnds(headerBytes, 12);
  // Zero from the middle of record 9 on, and a little beyond the end.
  uint64_t from = ends[8] + 10;
  std::fill(bytes.begin() + from, bytes.end(), '\0');
  bytes.append(100, '\0');
  writeFile(path, bytes);

  LogitsReader reader = LogitsReader::open(path);
  EXPECT_EQ(reader.size(), 9u);
  EXPECT_EQ(reader.tornBytes(), bytes.size() - ends[8]);
  LogitsWriter writer = LogitsWriter::resume(path, testHeader());
  EXPECT_EQ(writer.size(), 9u);
  EXPECT_EQ(writer.discardedBytes(), bytes.size() - ends[8]);
  for (size_t i = 9; i < 12; ++i)
    appendRecord(writer, i);
  writer.close();
  std::string reference = dir / "reference.kdl";
  writeStore(reference, testHeader(), 12);
  EXPECT_TRUE(readFile(path) == readFile(reference));
}

TEST(LogitsStore, ResumeRejectsAnotherTeacherOrSplit) {
  TempDir dir;
  std::string path = dir / "store.kdl";
  writeStore(path, testHeader(1, 3), 20);
  std::string before = readFile(path);

  LogitsHeader fewer = testHeader(1, 3);
  fewer.labels.pop_back();
  EXPECT_ERROR(LogitsWriter::resume(path, fewer), path.c_str(), "cannot resume",
               "the store has 5 classes", "the expected header has 4");
  LogitsHeader renamed = testHeader(1, 3);
  renamed.labels[2] = "weather_forecast";
  EXPECT_ERROR(LogitsWriter::resume(path, renamed),
               "class 2 is 'weather_query' in the store, 'weather_forecast'");
  LogitsHeader other = testHeader(1, 3);
  other.fingerprint = "sha256:other";
  EXPECT_ERROR(LogitsWriter::resume(path, other), "teacher fingerprint",
               "'sha256:9f86d081884c7d65' in the store", "'sha256:other'");
  LogitsHeader locales = testHeader(1, 3);
  locales.locales = {"en-US"};
  EXPECT_ERROR(LogitsWriter::resume(path, locales),
               "locale table is [en-US, th-TH] in the store, [en-US]");
  EXPECT_ERROR(LogitsWriter::resume(path, testHeader(2, 3)),
               "the store is shard 1/3", "expected header is shard 2/3");
  // A differing source description is no reason to refuse.
  LogitsHeader moved = testHeader(1, 3);
  moved.source = "/elsewhere/en-US.jsonl";
  LogitsWriter writer = LogitsWriter::resume(path, moved);
  EXPECT_EQ(writer.header().source, testHeader().source);
  writer.close();
  EXPECT_TRUE(readFile(path) == before);

  std::string foreign = dir / "notes.txt";
  writeFile(foreign, "these are my notes, keep them");
  EXPECT_ERROR(LogitsWriter::resume(foreign, testHeader()), foreign.c_str(),
               "bad magic");
  EXPECT_EQ(readFile(foreign), "these are my notes, keep them");
  EXPECT_ERROR(LogitsWriter::resume(dir / "missing.kdl", testHeader()),
               "missing.kdl", "cannot resume", "No such file");
}

TEST(LogitsStore, OneWriterAtATime) {
  TempDir dir;
  std::string path = dir / "store.kdl";
  LogitsWriter first = LogitsWriter::create(path, testHeader());
  EXPECT_ERROR(LogitsWriter::resume(path, testHeader()), path.c_str(),
               "another process is writing");
  EXPECT_ERROR(LogitsWriter::create(path, testHeader()),
               "another process is writing");
  appendRecord(first, 0);
  first.close();
  EXPECT_EQ(LogitsWriter::resume(path, testHeader()).size(), 1u);
}

//===----------------------------------------------------------------------===//
// Sharding and merging
//===----------------------------------------------------------------------===//

TEST(LogitsStore, ParsesShardSpecs) {
  ShardSpec spec = parseShardSpec("2/5");
  EXPECT_EQ(spec.shard, 2u);
  EXPECT_EQ(spec.numShards, 5u);
  EXPECT_EQ(parseShardSpec("0/1").numShards, 1u);
  for (const char *bad :
       {"5/5", "1/0", "a/b", "1", "-1/4", "1/4x", "", "/", " 1/4", "1/ 4"})
    EXPECT_ERROR(parseShardSpec(bad), "--shard", "0 <= I < N");

  std::vector<int> owners(100, 0);
  for (size_t i = 0; i < owners.size(); ++i)
    for (unsigned s = 0; s < 7; ++s)
      owners[i] += inShard(i, s, 7);
  EXPECT_EQ(owners, std::vector<int>(100, 1));
  EXPECT_TRUE(inShard(9, 2, 7));
}

TEST(LogitsStore, MergedShardsEqualASingleProcessStore) {
  TempDir dir;
  for (size_t count : {10u, 2u, 0u}) {
    SCOPED_TRACE(std::to_string(count) + " utterances");
    std::string single = dir / "single.kdl";
    writeStore(single, testHeader(), count);
    std::vector<std::string> shards;
    for (uint32_t s = 0; s < 3; ++s) {
      shards.push_back(dir / ("shard" + std::to_string(s) + ".kdl"));
      writeStore(shards.back(), testHeader(s, 3), count);
    }
    std::string merged = dir / "merged.kdl";
    // Given out of order, as a shell glob of shard10, shard2, ... would be.
    mergeLogitStores({shards[2], shards[0], shards[1]}, merged);
    EXPECT_TRUE(readFile(merged) == readFile(single));
    EXPECT_FALSE(fs::exists(merged + ".partial"));
  }
}

TEST(LogitsStore, ConcatenatesUnshardedStores) {
  TempDir dir;
  std::string single = dir / "single.kdl", a = dir / "a.kdl", b = dir / "b.kdl",
              merged = dir / "merged.kdl";
  writeStore(single, testHeader(), 9);
  {
    LogitsWriter wa = LogitsWriter::create(a, testHeader());
    LogitsWriter wb = LogitsWriter::create(b, testHeader());
    for (size_t i = 0; i < 9; ++i)
      appendRecord(i < 4 ? wa : wb, i);
    wa.close();
    wb.close();
  }
  mergeLogitStores({a, b}, merged);
  EXPECT_TRUE(readFile(merged) == readFile(single));
}

TEST(LogitsStore, ConcatenatesStoresWithOtherLocaleTables) {
  // A MASSIVE store ([en-US, th-TH]) and one of plain text (no locales) or
  // with the table reordered and extended: the merged table is the union,
  // in order of first appearance, and every record keeps its locale's name
  // and its logits bit for bit.
  TempDir dir;
  std::string a = dir / "a.kdl", b = dir / "b.kdl", c = dir / "c.kdl",
              merged = dir / "merged.kdl";
  writeStore(a, testHeader(), 4);
  LogitsHeader plain = testHeader();
  plain.locales = {};
  {
    LogitsWriter wb = LogitsWriter::create(b, plain);
    for (size_t i = 4; i < 7; ++i)
      wb.append(textOf(i), logitsOf(i).data(), goldOf(i), -1);
    wb.close();
  }
  LogitsHeader other = testHeader();
  other.locales = {"es-ES", "th-TH", "en-US"};
  {
    LogitsWriter wc = LogitsWriter::create(c, other);
    for (size_t i = 7; i < 10; ++i)
      wc.append(textOf(i), logitsOf(i).data(), goldOf(i), int32_t(i % 3));
    wc.close();
  }
  mergeLogitStores({a, b, c}, merged);
  LogitsReader reader = LogitsReader::open(merged);
  EXPECT_EQ(reader.header().locales,
            (std::vector<std::string>{"en-US", "th-TH", "es-ES"}));
  ASSERT_EQ(reader.size(), 10u);
  reader.verify();
  for (size_t i = 0; i < 4; ++i)
    expectRecord(reader, i, i);
  std::vector<float> got(reader.numClasses());
  for (size_t i = 4; i < 10; ++i) {
    SCOPED_TRACE("record " + std::to_string(i));
    RecordView view = reader.record(i);
    EXPECT_EQ(view.text, textOf(i));
    EXPECT_EQ(view.gold, goldOf(i));
    std::string locale =
        view.locale < 0 ? "" : reader.header().locales[size_t(view.locale)];
    EXPECT_EQ(locale, i < 7 ? "" : other.locales[i % 3]);
    reader.logits(i, got.data());
    EXPECT_EQ(got, logitsOf(i, reader.numClasses()));
  }
}

TEST(LogitsStore, MergeErrorsNameTheFile) {
  TempDir dir;
  std::vector<std::string> shards;
  for (uint32_t s = 0; s < 3; ++s) {
    shards.push_back(dir / ("shard" + std::to_string(s) + ".kdl"));
    writeStore(shards.back(), testHeader(s, 3), 12);
  }
  std::string out = dir / "merged.kdl";
  auto expectNoOutput = [&] {
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out + ".partial"));
  };

  std::string fewer = dir / "fewer.kdl";
  LogitsHeader header = testHeader(1, 3);
  header.labels.pop_back();
  {
    LogitsWriter w = LogitsWriter::create(fewer, header);
    w.close();
  }
  EXPECT_ERROR(mergeLogitStores({shards[0], fewer, shards[2]}, out),
               "fewer.kdl: cannot merge with", "shard0.kdl", "has 4 classes",
               "has 5");
  std::string stranger = dir / "stranger.kdl";
  header = testHeader(1, 3);
  header.fingerprint = "sha256:stranger";
  writeStore(stranger, header, 12);
  EXPECT_ERROR(mergeLogitStores({shards[0], stranger, shards[2]}, out),
               "stranger.kdl: cannot merge", "teacher fingerprint");

  std::string unfinished = dir / "unfinished.kdl";
  writeStore(unfinished, testHeader(1, 3), 12, /*close=*/false);
  EXPECT_ERROR(mergeLogitStores({shards[0], unfinished, shards[2]}, out),
               "unfinished.kdl: cannot merge", "was not closed");
  std::string short1 = dir / "short1.kdl";
  writeStore(short1, testHeader(1, 3), 6); // shard 1 stopped at utterance 6
  EXPECT_ERROR(mergeLogitStores({shards[0], short1, shards[2]}, out),
               "short1.kdl: cannot merge: shard 1/3 has 2 records but needs 4",
               "was its labelling finished?");
  EXPECT_ERROR(mergeLogitStores({shards[0], shards[2]}, out),
               "shard 1/3 is missing");
  EXPECT_ERROR(mergeLogitStores({shards[0], shards[1], shards[1]}, out),
               "shard1.kdl: cannot merge: it is shard 1/3, and so is");
  std::string otherSplit = dir / "half.kdl";
  writeStore(otherSplit, testHeader(1, 2), 12);
  EXPECT_ERROR(mergeLogitStores({shards[0], otherSplit, shards[2]}, out),
               "half.kdl: cannot merge: it is shard 1/2",
               "one --shard I/N split");
  EXPECT_ERROR(mergeLogitStores({}, out), "no input stores");
  EXPECT_ERROR(mergeLogitStores({shards[0], dir / "nope.kdl"}, out), "nope.kdl",
               "No such file");
  expectNoOutput();
  EXPECT_ERROR(mergeLogitStores(shards, shards[1]),
               "the output is also an input");
  EXPECT_TRUE(LogitsReader::open(shards[1]).size() == 4);
}

//===----------------------------------------------------------------------===//
// Errors a user can cause
//===----------------------------------------------------------------------===//

TEST(LogitsStore, RejectsFilesThatAreNotStores) {
  TempDir dir;
  std::string path = dir / "x.kdl";
  EXPECT_ERROR(LogitsReader::open(path), path.c_str(),
               "cannot open the logits store", "No such file");
  EXPECT_ERROR(LogitsReader::open(dir / ""), "not a regular file");
  writeFile(path, "utt\tintent\nset an alarm\talarm_set\n");
  EXPECT_ERROR(LogitsReader::open(path), path.c_str(),
               "not a kdc logits store (bad magic");
  writeFile(path, "KDX");
  EXPECT_ERROR(LogitsReader::open(path), "bad magic");
  writeFile(path, "");
  EXPECT_ERROR(LogitsReader::open(path), "truncated header",
               "the file is empty");

  writeStore(path, testHeader(), 3);
  std::string good = readFile(path);
  std::string bytes = good;
  bytes[8] = 2; // version
  writeFile(path, bytes);
  EXPECT_ERROR(LogitsReader::open(path), path.c_str(),
               "unsupported logits store version 2", "reads version 1");
  bytes = good;
  bytes[40] ^= 0x20; // inside the fingerprint
  writeFile(path, bytes);
  EXPECT_ERROR(LogitsReader::open(path), "corrupt header: checksum mismatch");
  writeFile(path, good.substr(0, 50));
  EXPECT_ERROR(LogitsReader::open(path), "truncated header", "it is",
               "the file has only 50");
}

TEST(LogitsStore, NamesTheCorruptRecordAndItsOffset) {
  TempDir dir;
  std::string path = dir / "store.kdl";
  writeStore(path, testHeader(), 8);
  std::string good = readFile(path);
  std::vector<uint64_t> ends = recordEnds(headerBytesOf(good), 8);
  std::string offset3 =
      "record 3 (byte offset " + std::to_string(ends[2]) + ")";

  // A closed store opens through its index; the damage shows on access.
  std::string bytes = good;
  bytes[ends[3] - 6] ^= 0x01; // last text/padding byte of record 3
  writeFile(path, bytes);
  {
    LogitsReader reader = LogitsReader::open(path);
    expectRecord(reader, 2, 2);
    EXPECT_ERROR(reader.record(3), path.c_str(), offset3.c_str(),
                 "checksum mismatch");
    EXPECT_ERROR(reader.verify(), offset3.c_str());
    EXPECT_ERROR(reader.record(8), "record 8 out of range",
                 "the store has 8 records");
  }
  // Without the index, the scan finds it at open.
  writeFile(path, std::string_view(bytes).substr(0, ends.back()));
  EXPECT_ERROR(LogitsReader::open(path), path.c_str(), offset3.c_str(),
               "checksum mismatch", "corrupt from here on");
  EXPECT_ERROR(LogitsWriter::resume(path, testHeader()), offset3.c_str());
  bytes = good.substr(0, ends.back());
  bytes[ends[2] + 5] ^= 0x40; // record 3's gold label id
  writeFile(path, bytes);
  EXPECT_ERROR(LogitsReader::open(path), offset3.c_str(),
               "record header checksum mismatch");
}

TEST(LogitsStore, AppendRejectsBadRecords) {
  TempDir dir;
  std::string path = dir / "store.kdl";
  LogitsWriter writer = LogitsWriter::create(path, testHeader());
  appendRecord(writer, 0);
  std::vector<float> v = logitsOf(1);
  v[2] = std::nanf("");
  EXPECT_ERROR(writer.append("hi", v.data()), path.c_str(), "record 1",
               "logit 2 (class 'weather_query') is NaN");
  v[2] = 1e6f;
  EXPECT_ERROR(writer.append("hi", v.data()), "record 1",
               "beyond fp16's range");
  v = logitsOf(1);
  EXPECT_ERROR(writer.append("hi", v.data(), 5), "gold label id 5", "[-1, 5)");
  EXPECT_ERROR(writer.append("hi", v.data(), -2), "gold label id -2");
  EXPECT_ERROR(writer.append("hi", v.data(), 0, 2), "locale id 2", "[-1, 2)");
  EXPECT_EQ(writer.size(), 1u);
  appendRecord(writer, 1);
  writer.close();
  EXPECT_ERROR(appendRecord(writer, 2), "already closed");
  EXPECT_ERROR(writer.close(), "already closed");

  LogitsReader reader = LogitsReader::open(path);
  ASSERT_EQ(reader.size(), 2u);
  expectRecord(reader, 1, 1);

  LogitsHeader none = testHeader();
  none.labels.clear();
  EXPECT_ERROR(LogitsWriter::create(dir / "a.kdl", none), "a.kdl",
               "no class labels");
  EXPECT_ERROR(LogitsWriter::create(dir / "b.kdl", testHeader(3, 3)),
               "shard 3/3");
  EXPECT_ERROR(LogitsWriter::create(dir / "no/such/dir.kdl", testHeader()),
               "cannot create the logits store");
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

TEST(LogitsStore, LargeStoresStreamInBoundedMemory) {
  TempDir dir;
  std::string path = dir / "large.kdl";
  const size_t count = 200000, numClasses = 32;
  LogitsHeader header;
  for (size_t c = 0; c < numClasses; ++c)
    header.labels.push_back("intent_" + std::to_string(c));
  header.fingerprint = "large";

  std::vector<float> logits(numClasses);
  size_t anonBefore = statusKb("RssAnon:");
  {
    LogitsWriter writer = LogitsWriter::create(path, header);
    for (size_t i = 0; i < count; ++i) {
      for (size_t c = 0; c < numClasses; ++c)
        logits[c] = static_cast<float>((i + c) % 64) - 32;
      writer.append("utterance number " + std::to_string(i) + " of the corpus",
                    logits.data());
    }
    writer.close();
  }
  size_t fileKb = fs::file_size(path) / 1024;
  // The writer held one offset per record (1.6 MB) and a buffer, not the
  // records (~20 MB).
  if (kMeasuresMemory) {
    EXPECT_LT(long(statusKb("RssAnon:")) - long(anonBefore), long(fileKb / 4));
  }

  size_t rssBefore = statusKb("VmRSS:");
  size_t peak = rssBefore;
  {
    LogitsReader reader = LogitsReader::open(path);
    ASSERT_EQ(reader.size(), count);
    double sum = 0;
    for (size_t i = 0; i < count; ++i) {
      reader.logits(i, logits.data());
      sum += logits[i % numClasses];
      if (i % 10000 == 9999) {
        peak = std::max(peak, statusKb("VmRSS:"));
        reader.releasePages();
      }
    }
    EXPECT_EQ(reader.record(123456).text,
              "utterance number 123456 of the corpus");
    EXPECT_NE(sum, 0);
  }
  if (kMeasuresMemory) {
    EXPECT_LT(peak - rssBefore, fileKb / 4)
        << "file " << fileKb << " kB, resident growth " << peak - rssBefore
        << " kB";
  }
}

//===----------------------------------------------------------------------===//
// Progress
//===----------------------------------------------------------------------===//

struct FakeClock {
  double now = 100;
  std::function<double()> fn() {
    return [this] { return now; };
  }
};

TEST(Progress, LogsALineEveryFewSeconds) {
  FakeClock clock;
  std::ostringstream os;
  Progress::Options options;
  options.mode = Progress::Mode::Log;
  options.logSeconds = 10;
  options.clock = clock.fn();
  Progress progress("label", 100, os, options);
  EXPECT_FALSE(progress.terminal());
  clock.now += 5;
  progress.tick(20); // too soon
  clock.now += 5;
  progress.tick(20);
  clock.now += 9;
  progress.tick(10); // too soon
  clock.now += 1;
  progress.tick(10); // 60 in 20 s
  clock.now += 5;
  progress.tick(40);
  progress.finish();
  progress.finish();
  EXPECT_EQ(os.str(), "label: 40/100 (40.0%) 4/s ETA 15s\n"
                      "label: 60/100 (60.0%) 3/s ETA 13s\n"
                      "label: 100/100 (100.0%) 4/s in 25s\n");
}

TEST(Progress, RedrawsATerminalLineAtMostTenTimesASecond) {
  FakeClock clock;
  std::ostringstream os;
  Progress::Options options;
  options.mode = Progress::Mode::Terminal;
  options.clock = clock.fn();
  {
    Progress progress("label", 2000, os, options);
    for (int i = 0; i < 2000; ++i) {
      clock.now += 0.001;
      progress.tick();
    }
    progress.finish();
  }
  std::string out = os.str();
  size_t redraws = std::count(out.begin(), out.end(), '\r');
  EXPECT_GE(redraws, 15u);
  EXPECT_LE(redraws, 21u); // 2 s of ticks, plus the summary
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  std::string last = out.substr(out.rfind('\r') + 1);
  // Blanks pad the summary to the width of the longer line before it.
  EXPECT_EQ(last.substr(0, last.find_last_not_of(" \n") + 1),
            "label: 2000/2000 (100.0%) 1k/s in 2s");
  EXPECT_EQ(last.back(), '\n');
}

TEST(Progress, TerminalLinesBlankOutLongerOnes) {
  FakeClock clock;
  std::ostringstream os;
  Progress::Options options;
  options.mode = Progress::Mode::Terminal;
  options.clock = clock.fn();
  {
    Progress progress("x", 0, os, options);
    clock.now += 1;
    progress.tick(123456); // "x: 123456 123k/s"
    clock.now += 1000;
    progress.tick(1); // "x: 123457 123/s": shorter by one
  }                   // destroyed without finish(): the open line is ended
  EXPECT_EQ(os.str(), "\rx: 123456 123k/s\rx: 123457 123/s \n");
}

TEST(Progress, CountsResumedItemsButNotInTheRate) {
  FakeClock clock;
  std::ostringstream os;
  Progress::Options options;
  options.mode = Progress::Mode::Log;
  options.alreadyDone = 50;
  options.clock = clock.fn();
  Progress progress("resumed", 100, os, options);
  clock.now += 10;
  progress.tick(10);
  EXPECT_EQ(progress.done(), 60u);
  EXPECT_EQ(os.str(), "resumed: 60/100 (60.0%) 1/s ETA 40s\n");
}

TEST(Progress, Formats) {
  EXPECT_EQ(Progress::formatDuration(0), "0s");
  EXPECT_EQ(Progress::formatDuration(59.4), "59s");
  EXPECT_EQ(Progress::formatDuration(61), "1m01s");
  EXPECT_EQ(Progress::formatDuration(3725), "1h02m");
  EXPECT_EQ(Progress::formatDuration(-1), "?");
  EXPECT_EQ(Progress::formatRate(0), "--/s");
  EXPECT_EQ(Progress::formatRate(12.345), "12.3/s");
  EXPECT_EQ(Progress::formatRate(950), "950/s");
  EXPECT_EQ(Progress::formatRate(3456), "3.46k/s");
  EXPECT_EQ(Progress::formatRate(999999), "1M/s");
  EXPECT_EQ(Progress::formatRate(1.2e6), "1.2M/s");
  EXPECT_EQ(Progress::formatLine("items", 5, 0, 2.5, 3),
            "items: 5 2.5/s"); // unknown total: no percentage, no ETA
  EXPECT_EQ(Progress::formatLine("label", 1, 3, 1, 2),
            "label: 1/3 (33.3%) 1/s ETA 2s");
}

} // namespace
