//===- LogitsStore.cpp - teacher logits on disk ---------------------------===//
//
// The byte layout is specified in docs/logits-store.md; the constants below
// are the ones named there.
//
//===----------------------------------------------------------------------===//

#include "kdc/Data/LogitsStore.h"
#include "kdc/Support/Error.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
// Records hand out fp16 pointers into the file, which is little-endian.
#error "the logits store needs a little-endian host"
#endif

using namespace kdc;

//===----------------------------------------------------------------------===//
// fp16
//===----------------------------------------------------------------------===//

uint16_t kdc::floatToHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t abs = bits & 0x7fffffffu;

  if (abs >= 0x7f800000u) {
    if (abs == 0x7f800000u)
      return sign | 0x7c00u;
    // Keep the payload's top bits; a NaN whose top bits are all zero would
    // otherwise come out as infinity, so it becomes the quiet NaN.
    uint16_t payload = static_cast<uint16_t>((abs >> 13) & 0x3ffu);
    return sign | 0x7c00u | (payload ? payload : 0x200u);
  }
  // 65520 lies halfway between the largest half, 65504 (odd significand),
  // and 65536: ties to even round it, and everything above, to infinity.
  if (abs >= 0x477ff000u)
    return sign | 0x7c00u;

  if (abs < 0x38800000u) {
    // Below 2^-14 the half is subnormal: a multiple of 2^-24. With the
    // float's significand m (24 bits) and biased exponent e, the value is
    // m * 2^(e-150), i.e. m >> (126 - e) multiples of 2^-24.
    uint32_t exponent = abs >> 23;
    if (exponent < 102) // below 2^-25: rounds to zero
      return sign;
    uint32_t significand = (abs & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - exponent; // 14..24
    uint32_t quotient = significand >> shift;
    uint32_t rest = significand & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (quotient & 1)))
      ++quotient; // may carry into the smallest normal, which is right
    return sign | static_cast<uint16_t>(quotient);
  }

  // Normal: rebias the exponent (127 -> 15) in place, then drop 13 bits; a
  // carry out of the significand correctly bumps the exponent.
  uint32_t rebased = abs - (112u << 23);
  uint32_t quotient = rebased >> 13;
  uint32_t rest = rebased & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (quotient & 1)))
    ++quotient;
  return sign | static_cast<uint16_t>(quotient);
}

float kdc::halfToFloat(uint16_t half) {
  uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t significand = half & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (significand << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (significand << 13);
  } else if (significand == 0) {
    bits = sign;
  } else {
    // Subnormal: normalise so that bit 10 is the implicit one.
    int shift = __builtin_clz(significand) - 21;
    significand <<= shift;
    bits = sign | (static_cast<uint32_t>(113 - shift) << 23) |
           ((significand & 0x3ffu) << 13);
  }
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

void kdc::halfToFloat(const uint16_t *in, float *out, size_t n) {
  for (size_t i = 0; i < n; ++i)
    out[i] = halfToFloat(in[i]);
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

namespace {

constexpr char kMagic[8] = {'K', 'D', 'C', 'L', 'O', 'G', 'I', 'T'};
constexpr char kIndexMagic[8] = {'K', 'D', 'C', 'I', 'N', 'D', 'E', 'X'};
constexpr char kTrailerMagic[8] = {'K', 'D', 'C', 'T', 'R', 'A', 'I', 'L'};

/// magic, version, header size, class count, shard, shard count.
constexpr uint32_t kFixedHeaderBytes = 28;
constexpr uint32_t kMaxHeaderBytes = 64u << 20;
constexpr uint32_t kMaxClasses = 1u << 20;
constexpr uint32_t kMaxLocales = 1u << 16;
/// Long enough for any utterance; small enough that a record's text length
/// can never be mistaken for the index magic read as a number.
constexpr uint32_t kMaxTextBytes = 16u << 20;
/// text length, gold, locale, head checksum.
constexpr uint64_t kRecordHeadBytes = 16;
/// index offset, record count, index checksum, trailer checksum, magic.
constexpr uint64_t kTrailerBytes = 32;

constexpr size_t kWriteBufferBytes = 256u << 10;
/// Long passes over a mapping drop the pages behind them this often, so the
/// resident set stays bounded whatever the file size.
constexpr uint64_t kReleaseEveryBytes = 64u << 20;

uint32_t load32(const unsigned char *p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
uint64_t load64(const unsigned char *p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
void put32(std::vector<unsigned char> &out, uint32_t v) {
  unsigned char bytes[4];
  std::memcpy(bytes, &v, sizeof(v));
  out.insert(out.end(), bytes, bytes + 4);
}
void put64(std::vector<unsigned char> &out, uint64_t v) {
  unsigned char bytes[8];
  std::memcpy(bytes, &v, sizeof(v));
  out.insert(out.end(), bytes, bytes + 8);
}
void putString(std::vector<unsigned char> &out, const std::string &s) {
  put32(out, static_cast<uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

uint32_t checksum(const unsigned char *p, size_t n, uint32_t crc = 0) {
  return static_cast<uint32_t>(crc32_z(crc, p, n));
}

uint64_t align4(uint64_t n) { return (n + 3) & ~uint64_t(3); }

uint64_t recordBytes(size_t numClasses, uint64_t textBytes) {
  return align4(kRecordHeadBytes + 2 * numClasses + textBytes) + 4;
}

std::string systemError() { return std::strerror(errno); }

std::string quoted(const std::string &s) { return "'" + s + "'"; }

std::string shardName(uint32_t shard, uint32_t numShards) {
  return std::to_string(shard) + "/" + std::to_string(numShards);
}

Error corruptRecord(const std::string &path, size_t index, uint64_t offset,
                    const std::string &what) {
  return Error(path + ": record " + std::to_string(index) + " (byte offset " +
               std::to_string(offset) + "): " + what +
               "; the store is corrupt from here on");
}

void releaseRange(const unsigned char *base, uint64_t begin, uint64_t end) {
  long page = sysconf(_SC_PAGESIZE);
  uint64_t first = begin / page * page;
  uint64_t last = end / page * page;
  if (last > first)
    madvise(const_cast<unsigned char *>(base) + first, last - first,
            MADV_DONTNEED);
}

//===----------------------------------------------------------------------===//
// Header
//===----------------------------------------------------------------------===//

void validateHeader(const std::string &path, const LogitsHeader &header) {
  auto fail = [&](const std::string &what) {
    return Error(path + ": invalid logits store header: " + what);
  };
  if (header.labels.empty())
    throw fail("no class labels (a store needs at least one class)");
  if (header.labels.size() > kMaxClasses)
    throw fail(std::to_string(header.labels.size()) +
               " classes, more than the limit of " +
               std::to_string(kMaxClasses));
  if (header.locales.size() > kMaxLocales)
    throw fail(std::to_string(header.locales.size()) +
               " locales, more than the limit of " +
               std::to_string(kMaxLocales));
  if (header.numShards == 0 || header.shard >= header.numShards)
    throw fail("shard " + shardName(header.shard, header.numShards) +
               ", expected I/N with 0 <= I < N");
  uint64_t bytes = kFixedHeaderBytes + 8 + header.fingerprint.size() +
                   header.source.size() + 4;
  for (const std::string &s : header.labels)
    bytes += 4 + s.size();
  for (const std::string &s : header.locales)
    bytes += 4 + s.size();
  if (bytes + 8 > kMaxHeaderBytes)
    throw fail("the header would take " + std::to_string(bytes) +
               " bytes, more than the limit of " +
               std::to_string(kMaxHeaderBytes));
}

std::vector<unsigned char> encodeHeader(const LogitsHeader &header) {
  std::vector<unsigned char> out(kMagic, kMagic + 8);
  put32(out, kLogitsStoreVersion);
  put32(out, 0); // header size, patched below
  put32(out, static_cast<uint32_t>(header.labels.size()));
  put32(out, header.shard);
  put32(out, header.numShards);
  putString(out, header.fingerprint);
  putString(out, header.source);
  for (const std::string &label : header.labels)
    putString(out, label);
  put32(out, static_cast<uint32_t>(header.locales.size()));
  for (const std::string &locale : header.locales)
    putString(out, locale);
  out.resize(align4(out.size()), 0);
  uint32_t size = static_cast<uint32_t>(out.size() + 4);
  std::memcpy(out.data() + 12, &size, 4);
  put32(out, checksum(out.data(), out.size()));
  return out;
}

/// Parses the header at the start of `data`. A file cut short inside the
/// header (a writer killed while creating it) sets `*truncated` when given,
/// instead of throwing, so that resume() can start such a file afresh.
/// Returns the header's size in bytes.
uint64_t parseHeader(const std::string &path, const unsigned char *data,
                     uint64_t size, LogitsHeader &header,
                     bool *truncated = nullptr) {
  auto cutShort = [&](const std::string &detail) -> uint64_t {
    if (truncated) {
      *truncated = true;
      return 0;
    }
    throw Error(path + ": truncated header: " + detail +
                " (was its writer killed while creating it?)");
  };
  auto corrupt = [&](const std::string &what) {
    return Error(path + ": corrupt header: " + what);
  };
  if (size == 0)
    return cutShort("the file is empty");
  if (size < 8 || std::memcmp(data, kMagic, 8) != 0) {
    if (std::memcmp(data, kMagic, std::min<uint64_t>(size, 8)) == 0)
      return cutShort("the file has only " + std::to_string(size) + " bytes");
    throw Error(path + ": not a kdc logits store (bad magic: expected the "
                       "file to start with \"KDCLOGIT\")");
  }
  if (size < 16)
    return cutShort("the file has only " + std::to_string(size) + " bytes");
  uint32_t version = load32(data + 8);
  if (version != kLogitsStoreVersion)
    throw Error(path + ": unsupported logits store version " +
                std::to_string(version) + " (this kdc reads version " +
                std::to_string(kLogitsStoreVersion) + ")");
  uint32_t headerBytes = load32(data + 12);
  if (headerBytes < kFixedHeaderBytes + 16 || headerBytes % 4 != 0 ||
      headerBytes > kMaxHeaderBytes)
    throw corrupt("its size field (byte offset 12) says " +
                  std::to_string(headerBytes) + " bytes");
  if (size < headerBytes)
    return cutShort("it is " + std::to_string(headerBytes) +
                    " bytes long but the file has only " +
                    std::to_string(size));
  uint32_t stored = load32(data + headerBytes - 4);
  uint32_t computed = checksum(data, headerBytes - 4);
  if (stored != computed)
    throw corrupt("checksum mismatch (byte offset " +
                  std::to_string(headerBytes - 4) + ")");

  // The checksum held, so a field that does not fit is a writer bug or a
  // forged file; still, never read past the header.
  uint64_t at = 16;
  uint64_t end = headerBytes - 4;
  auto u32 = [&](const char *field) {
    if (at + 4 > end)
      throw corrupt(std::string(field) + " runs past the header's end");
    uint32_t v = load32(data + at);
    at += 4;
    return v;
  };
  auto str = [&](const char *field) {
    uint32_t n = u32(field);
    if (n > end - at)
      throw corrupt(std::string(field) + " runs past the header's end");
    std::string s(reinterpret_cast<const char *>(data + at), n);
    at += n;
    return s;
  };
  uint32_t numClasses = u32("class count");
  header.shard = u32("shard");
  header.numShards = u32("shard count");
  if (numClasses == 0 || numClasses > kMaxClasses)
    throw corrupt("class count " + std::to_string(numClasses));
  if (header.numShards == 0 || header.shard >= header.numShards)
    throw corrupt("shard " + shardName(header.shard, header.numShards));
  header.fingerprint = str("teacher fingerprint");
  header.source = str("source");
  header.labels.clear();
  for (uint32_t c = 0; c < numClasses; ++c)
    header.labels.push_back(str("label name"));
  uint32_t numLocales = u32("locale count");
  if (numLocales > kMaxLocales)
    throw corrupt("locale count " + std::to_string(numLocales));
  header.locales.clear();
  for (uint32_t l = 0; l < numLocales; ++l)
    header.locales.push_back(str("locale name"));
  if (align4(at) != end)
    throw corrupt(std::to_string(end - at) +
                  " unexpected bytes after the locale table");
  return headerBytes;
}

/// The first way in which `a` and `b` disagree on what their logits mean,
/// or "" when they agree. Shard and source are left to the caller, and so
/// is the locale table when `compareLocales` is false.
std::string headerDifference(const LogitsHeader &a, const LogitsHeader &b,
                             const std::string &aName,
                             const std::string &bName,
                             bool compareLocales = true) {
  if (a.numClasses() != b.numClasses())
    return aName + " has " + std::to_string(a.numClasses()) + " classes, " +
           bName + " has " + std::to_string(b.numClasses());
  for (size_t c = 0; c < a.labels.size(); ++c)
    if (a.labels[c] != b.labels[c])
      return "class " + std::to_string(c) + " is " + quoted(a.labels[c]) +
             " in " + aName + ", " + quoted(b.labels[c]) + " in " + bName;
  if (a.fingerprint != b.fingerprint)
    return "the teacher fingerprint is " + quoted(a.fingerprint) + " in " +
           aName + ", " + quoted(b.fingerprint) + " in " + bName +
           " (logits of two teachers are never mixed)";
  if (compareLocales && a.locales != b.locales) {
    auto list = [](const std::vector<std::string> &v) {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + v[i];
      return s + "]";
    };
    return "the locale table is " + list(a.locales) + " in " + aName + ", " +
           list(b.locales) + " in " + bName;
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Finding the records
//===----------------------------------------------------------------------===//

struct Records {
  std::vector<uint64_t> offsets;
  uint64_t end = 0; // where the index, the torn tail or the file begins
  bool closed = false;
  uint64_t torn = 0;
};

/// Reads the index that starts at `indexAt` and the trailer that ends the
/// file. Returns false if either is missing or damaged; the records are the
/// truth, the index only a shortcut to them.
bool readIndex(const unsigned char *data, uint64_t size, uint64_t headerBytes,
               uint64_t indexAt, std::vector<uint64_t> &offsets) {
  if (indexAt < headerBytes || indexAt % 4 != 0 ||
      size < indexAt + 8 + kTrailerBytes)
    return false;
  const unsigned char *trailer = data + size - kTrailerBytes;
  if (std::memcmp(trailer + 24, kTrailerMagic, 8) != 0 ||
      checksum(trailer, 20) != load32(trailer + 20) ||
      load64(trailer) != indexAt)
    return false;
  uint64_t count = load64(trailer + 8);
  if (count > (size - indexAt) / 8 ||
      indexAt + 8 + 8 * count + kTrailerBytes != size)
    return false;
  const unsigned char *index = data + indexAt;
  if (std::memcmp(index, kIndexMagic, 8) != 0 ||
      checksum(index, 8 + 8 * count) != load32(trailer + 16))
    return false;
  offsets.resize(count);
  uint64_t previous = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t at = load64(index + 8 + 8 * i);
    bool inOrder = i == 0 ? at == headerBytes : at > previous;
    if (!inOrder || at % 4 != 0 || at + kRecordHeadBytes + 4 > indexAt)
      return false;
    offsets[i] = previous = at;
  }
  return count > 0 || indexAt == headerBytes;
}

/// Walks the records from the end of the header. A record cut short by the
/// end of the file is a torn tail (its writer was killed). A damaged record
/// is a torn tail too if it runs into the zero bytes that end the file (what
/// a power cut leaves behind); anywhere else it is an error.
Records scanRecords(const std::string &path, const unsigned char *data,
                    uint64_t size, uint64_t headerBytes,
                    const LogitsHeader &header) {
  Records result;
  uint64_t zeroTail = size;
  bool zeroTailKnown = false;
  auto inZeroTail = [&](uint64_t end) {
    if (!zeroTailKnown) {
      while (zeroTail > headerBytes && data[zeroTail - 1] == 0)
        --zeroTail;
      zeroTailKnown = true;
    }
    return end > zeroTail;
  };
  auto tornAt = [&](uint64_t at) {
    result.end = at;
    result.torn = size - at;
    return result;
  };

  size_t numClasses = header.numClasses();
  int64_t numLocales = static_cast<int64_t>(header.locales.size());
  uint64_t at = headerBytes;
  uint64_t released = 0;
  while (true) {
    size_t index = result.offsets.size();
    if (at == size) {
      result.end = at;
      return result;
    }
    uint64_t left = size - at;
    if (left >= 8 && std::memcmp(data + at, kIndexMagic, 8) == 0) {
      std::vector<uint64_t> indexed;
      if (readIndex(data, size, headerBytes, at, indexed) &&
          indexed == result.offsets) {
        result.end = at;
        result.closed = true;
        return result;
      }
      return tornAt(at); // killed while writing the index
    }
    if (left < kRecordHeadBytes)
      return tornAt(at);
    const unsigned char *record = data + at;
    if (checksum(record, 12) != load32(record + 12)) {
      if (inZeroTail(at + kRecordHeadBytes))
        return tornAt(at);
      throw corruptRecord(path, index, at, "record header checksum mismatch");
    }
    uint32_t textBytes = load32(record);
    int32_t gold = static_cast<int32_t>(load32(record + 4));
    int32_t locale = static_cast<int32_t>(load32(record + 8));
    if (textBytes > kMaxTextBytes)
      throw corruptRecord(path, index, at,
                          "text length " + std::to_string(textBytes) +
                              " exceeds the limit of " +
                              std::to_string(kMaxTextBytes));
    if (gold < -1 || gold >= static_cast<int64_t>(numClasses))
      throw corruptRecord(path, index, at,
                          "gold label id " + std::to_string(gold) +
                              " out of range [-1, " +
                              std::to_string(numClasses) + ")");
    if (locale < -1 || locale >= numLocales)
      throw corruptRecord(path, index, at,
                          "locale id " + std::to_string(locale) +
                              " out of range [-1, " +
                              std::to_string(numLocales) + ")");
    uint64_t bytes = recordBytes(numClasses, textBytes);
    if (bytes > left)
      return tornAt(at);
    if (checksum(record, bytes - 4) != load32(record + bytes - 4)) {
      if (inZeroTail(at + bytes))
        return tornAt(at);
      throw corruptRecord(path, index, at, "checksum mismatch");
    }
    result.offsets.push_back(at);
    at += bytes;
    if (at - released >= kReleaseEveryBytes) {
      releaseRange(data, released, at);
      released = at;
    }
  }
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

void lockForWriting(int fd, const std::string &path) {
  if (flock(fd, LOCK_EX | LOCK_NB) == 0)
    return;
  if (errno == EWOULDBLOCK)
    throw Error(path + ": another process is writing this logits store "
                       "(is the same shard running twice?)");
  throw Error(path + ": cannot lock the logits store: " + systemError());
}

/// A read-only view of a whole file, unmapped on destruction.
struct Mapping {
  const unsigned char *data = nullptr;
  uint64_t size = 0;

  Mapping() = default;
  Mapping(const Mapping &) = delete;
  Mapping &operator=(const Mapping &) = delete;
  ~Mapping() { reset(); }

  void map(int fd, uint64_t bytes, const std::string &path) {
    size = bytes;
    if (bytes == 0)
      return;
    void *p = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
      throw Error(path + ": cannot map the logits store: " + systemError());
    data = static_cast<const unsigned char *>(p);
  }
  void reset() {
    if (data)
      munmap(const_cast<unsigned char *>(data), size);
    data = nullptr;
    size = 0;
  }
};

uint64_t fileSize(int fd, const std::string &path) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    throw Error(path + ": cannot stat the logits store: " + systemError());
  if (!S_ISREG(st.st_mode))
    throw Error(path + ": not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

} // namespace

//===----------------------------------------------------------------------===//
// LogitsWriter
//===----------------------------------------------------------------------===//

LogitsWriter LogitsWriter::create(const std::string &path,
                                  const LogitsHeader &header) {
  validateHeader(path, header);
  LogitsWriter writer;
  writer.Path = path;
  writer.Header = header;
  // Not O_TRUNC: the lock must be ours before the file is touched.
  writer.Fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (writer.Fd < 0)
    throw Error(path + ": cannot create the logits store: " + systemError());
  lockForWriting(writer.Fd, path);
  // Only a file with contents is truncated: on ext4 any truncation to zero
  // makes close() wait for the disk.
  if (fileSize(writer.Fd, path) != 0 && ftruncate(writer.Fd, 0) != 0)
    throw Error(path + ": cannot truncate the logits store: " + systemError());
  std::vector<unsigned char> bytes = encodeHeader(header);
  writer.writeAll(bytes.data(), bytes.size());
  return writer;
}

LogitsWriter LogitsWriter::resume(const std::string &path,
                                  const LogitsHeader &expected) {
  validateHeader(path, expected);
  LogitsWriter writer;
  writer.Path = path;
  writer.Header = expected;
  writer.Fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (writer.Fd < 0)
    throw Error(path + ": cannot resume the logits store: " + systemError());
  lockForWriting(writer.Fd, path);
  uint64_t size = fileSize(writer.Fd, path);

  Mapping file;
  file.map(writer.Fd, size, path);
  LogitsHeader found;
  bool truncated = false;
  uint64_t headerBytes = 0;
  if (size != 0)
    headerBytes = parseHeader(path, file.data, size, found, &truncated);
  if (size == 0 || truncated) {
    // Killed while writing the header: no record can exist yet.
    file.reset();
    if (size != 0 && ftruncate(writer.Fd, 0) != 0)
      throw Error(path +
                  ": cannot truncate the logits store: " + systemError());
    std::vector<unsigned char> bytes = encodeHeader(expected);
    writer.writeAll(bytes.data(), bytes.size());
    writer.Discarded = size;
    return writer;
  }

  std::string difference =
      headerDifference(found, expected, "the store", "the expected header");
  if (difference.empty() &&
      (found.shard != expected.shard || found.numShards != expected.numShards))
    difference = "the store is shard " +
                 shardName(found.shard, found.numShards) +
                 ", the expected header is shard " +
                 shardName(expected.shard, expected.numShards);
  if (!difference.empty())
    throw Error(path + ": cannot resume: " + difference);
  // The source description is informational; the store's stays.
  writer.Header.source = found.source;

  Records records = scanRecords(path, file.data, size, headerBytes, found);
  file.reset();
  // Cuts the torn tail, or the index of a closed store: close() writes a
  // new one.
  if (records.end != size &&
      ftruncate(writer.Fd, static_cast<off_t>(records.end)) != 0)
    throw Error(path + ": cannot truncate the logits store: " + systemError());
  writer.Offsets = std::move(records.offsets);
  writer.End = records.end;
  writer.Discarded = records.torn;
  return writer;
}

LogitsWriter::LogitsWriter(LogitsWriter &&other) noexcept {
  *this = std::move(other);
}

LogitsWriter &LogitsWriter::operator=(LogitsWriter &&other) noexcept {
  if (this != &other) {
    release();
    Path = std::move(other.Path);
    Header = std::move(other.Header);
    Fd = std::exchange(other.Fd, -1);
    End = other.End;
    Discarded = other.Discarded;
    Offsets = std::move(other.Offsets);
    Buffer = std::move(other.Buffer);
    Scratch = std::move(other.Scratch);
  }
  return *this;
}

LogitsWriter::~LogitsWriter() { release(); }

void LogitsWriter::release() noexcept {
  if (Fd < 0)
    return;
  try {
    flush();
  } catch (...) {
    // A destructor cannot report; the records that did reach the file are
    // whole or are cut by the next resume().
  }
  ::close(Fd);
  Fd = -1;
}

void LogitsWriter::requireOpen() const {
  if (Fd < 0)
    throw Error(Path + ": the logits store was already closed");
}

void LogitsWriter::writeAll(const unsigned char *bytes, size_t size) {
  flush(); // the bytes go after whatever is still buffered
  while (size > 0) {
    ssize_t n = pwrite(Fd, bytes, size, static_cast<off_t>(End));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw Error(Path + ": cannot write the logits store: " + systemError());
    bytes += n;
    size -= n;
    End += n;
  }
}

void LogitsWriter::flush() {
  if (Fd < 0 || Buffer.empty())
    return;
  const unsigned char *bytes = Buffer.data();
  size_t size = Buffer.size();
  uint64_t at = End - size;
  while (size > 0) {
    ssize_t n = pwrite(Fd, bytes, size, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw Error(Path + ": cannot write the logits store: " + systemError());
    bytes += n;
    size -= n;
    at += n;
  }
  Buffer.clear();
}

void LogitsWriter::appendRaw(const unsigned char *bytes, size_t size) {
  Offsets.push_back(End);
  Buffer.insert(Buffer.end(), bytes, bytes + size);
  End += size;
  if (Buffer.size() >= kWriteBufferBytes)
    flush();
}

void LogitsWriter::append(std::string_view text, const float *logits,
                          int32_t gold, int32_t locale) {
  requireOpen();
  size_t index = Offsets.size();
  auto fail = [&](const std::string &what) {
    return Error(Path + ": record " + std::to_string(index) + ": " + what);
  };
  size_t numClasses = Header.numClasses();
  if (text.size() > kMaxTextBytes)
    throw fail("the text is " + std::to_string(text.size()) +
               " bytes long, more than the limit of " +
               std::to_string(kMaxTextBytes));
  if (gold < -1 || gold >= static_cast<int64_t>(numClasses))
    throw fail("gold label id " + std::to_string(gold) + " out of range [-1, " +
               std::to_string(numClasses) + ")");
  if (locale < -1 || locale >= static_cast<int64_t>(Header.locales.size()))
    throw fail("locale id " + std::to_string(locale) + " out of range [-1, " +
               std::to_string(Header.locales.size()) + ")");

  uint64_t bytes = recordBytes(numClasses, text.size());
  Scratch.assign(bytes, 0);
  unsigned char *record = Scratch.data();
  uint32_t textBytes = static_cast<uint32_t>(text.size());
  std::memcpy(record, &textBytes, 4);
  std::memcpy(record + 4, &gold, 4);
  std::memcpy(record + 8, &locale, 4);
  uint32_t headChecksum = checksum(record, 12);
  std::memcpy(record + 12, &headChecksum, 4);
  unsigned char *halves = record + kRecordHeadBytes;
  for (size_t c = 0; c < numClasses; ++c) {
    float value = logits[c];
    if (std::isnan(value))
      throw fail("logit " + std::to_string(c) + " (class " +
                 quoted(Header.labels[c]) + ") is NaN");
    uint16_t half = floatToHalf(value);
    // A finite logit that fp16 cannot hold would poison every loss that
    // reads it; better to stop here, where the cause is known.
    if (std::isfinite(value) && (half & 0x7fffu) == 0x7c00u)
      throw fail("logit " + std::to_string(c) + " (class " +
                 quoted(Header.labels[c]) + ") is " + std::to_string(value) +
                 ", beyond fp16's range of +-65504");
    std::memcpy(halves + 2 * c, &half, 2);
  }
  if (!text.empty())
    std::memcpy(halves + 2 * numClasses, text.data(), text.size());
  uint32_t recordChecksum = checksum(record, bytes - 4);
  std::memcpy(record + bytes - 4, &recordChecksum, 4);
  appendRaw(record, bytes);
}

void LogitsWriter::close() {
  requireOpen();
  uint64_t indexAt = End;
  std::vector<unsigned char> chunk(kIndexMagic, kIndexMagic + 8);
  uint32_t indexChecksum = 0;
  auto emit = [&] {
    indexChecksum = checksum(chunk.data(), chunk.size(), indexChecksum);
    Buffer.insert(Buffer.end(), chunk.begin(), chunk.end());
    End += chunk.size();
    chunk.clear();
    if (Buffer.size() >= kWriteBufferBytes)
      flush();
  };
  for (uint64_t offset : Offsets) {
    put64(chunk, offset);
    if (chunk.size() >= 4096)
      emit();
  }
  emit();
  std::vector<unsigned char> trailer;
  put64(trailer, indexAt);
  put64(trailer, Offsets.size());
  put32(trailer, indexChecksum);
  put32(trailer, checksum(trailer.data(), trailer.size()));
  trailer.insert(trailer.end(), kTrailerMagic, kTrailerMagic + 8);
  Buffer.insert(Buffer.end(), trailer.begin(), trailer.end());
  End += trailer.size();
  flush();
  // The index says "closed": it must not reach the disk before the records.
  if (fsync(Fd) != 0)
    throw Error(Path + ": cannot sync the logits store: " + systemError());
  ::close(Fd);
  Fd = -1;
}

//===----------------------------------------------------------------------===//
// LogitsReader
//===----------------------------------------------------------------------===//

LogitsReader LogitsReader::open(const std::string &path) {
  LogitsReader reader;
  reader.Path = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error(path + ": cannot open the logits store: " + systemError());
  Mapping file;
  try {
    file.map(fd, fileSize(fd, path), path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd); // the mapping keeps the file
  reader.Data = std::exchange(file.data, nullptr);
  reader.FileSize = file.size;

  uint64_t headerBytes =
      parseHeader(path, reader.Data, reader.FileSize, reader.Header);
  uint64_t size = reader.FileSize;
  if (size >= headerBytes + 8 + kTrailerBytes) {
    uint64_t indexAt = load64(reader.Data + size - kTrailerBytes);
    if (readIndex(reader.Data, size, headerBytes, indexAt, reader.Offsets)) {
      // The offsets were copied; their pages are not needed again.
      releaseRange(reader.Data, indexAt, size);
      reader.RecordsEnd = indexAt;
      reader.Closed = true;
      return reader;
    }
  }
  Records records =
      scanRecords(path, reader.Data, size, headerBytes, reader.Header);
  reader.Offsets = std::move(records.offsets);
  reader.RecordsEnd = records.end;
  reader.Closed = records.closed;
  reader.Torn = records.torn;
  return reader;
}

LogitsReader::LogitsReader(LogitsReader &&other) noexcept {
  *this = std::move(other);
}

LogitsReader &LogitsReader::operator=(LogitsReader &&other) noexcept {
  if (this != &other) {
    release();
    Path = std::move(other.Path);
    Header = std::move(other.Header);
    Data = std::exchange(other.Data, nullptr);
    FileSize = std::exchange(other.FileSize, 0);
    RecordsEnd = other.RecordsEnd;
    Closed = other.Closed;
    Torn = other.Torn;
    Offsets = std::move(other.Offsets);
  }
  return *this;
}

LogitsReader::~LogitsReader() { release(); }

void LogitsReader::release() noexcept {
  if (Data)
    munmap(const_cast<unsigned char *>(Data), FileSize);
  Data = nullptr;
}

std::pair<const unsigned char *, size_t>
LogitsReader::rawRecord(size_t i) const {
  if (i >= Offsets.size())
    throw Error(Path + ": record " + std::to_string(i) +
                " out of range (the store has " +
                std::to_string(Offsets.size()) + " records)");
  uint64_t at = Offsets[i];
  uint64_t limit = i + 1 < Offsets.size() ? Offsets[i + 1] : RecordsEnd;
  const unsigned char *record = Data + at;
  if (limit - at < kRecordHeadBytes + 4)
    throw corruptRecord(Path, i, at,
                        "the index leaves only " + std::to_string(limit - at) +
                            " bytes for it");
  if (checksum(record, 12) != load32(record + 12))
    throw corruptRecord(Path, i, at, "record header checksum mismatch");
  uint32_t textBytes = load32(record);
  uint64_t bytes = recordBytes(Header.numClasses(), textBytes);
  if (textBytes > kMaxTextBytes || bytes != limit - at)
    throw corruptRecord(Path, i, at,
                        "its length (" + std::to_string(bytes) +
                            " bytes) disagrees with the index (" +
                            std::to_string(limit - at) + " bytes)");
  if (checksum(record, bytes - 4) != load32(record + bytes - 4))
    throw corruptRecord(Path, i, at, "checksum mismatch");
  int32_t gold = static_cast<int32_t>(load32(record + 4));
  int32_t locale = static_cast<int32_t>(load32(record + 8));
  if (gold < -1 || gold >= static_cast<int64_t>(Header.numClasses()) ||
      locale < -1 || locale >= static_cast<int64_t>(Header.locales.size()))
    throw corruptRecord(Path, i, at,
                        "gold label id " + std::to_string(gold) +
                            " or locale id " + std::to_string(locale) +
                            " out of range");
  return {record, bytes};
}

RecordView LogitsReader::record(size_t i) const {
  const unsigned char *record = rawRecord(i).first;
  size_t numClasses = Header.numClasses();
  RecordView view;
  view.gold = static_cast<int32_t>(load32(record + 4));
  view.locale = static_cast<int32_t>(load32(record + 8));
  // Records start 4-aligned in a page-aligned mapping, so the halves are
  // 2-aligned.
  view.logits = reinterpret_cast<const uint16_t *>(record + kRecordHeadBytes);
  view.text = std::string_view(reinterpret_cast<const char *>(
                                   record + kRecordHeadBytes + 2 * numClasses),
                               load32(record));
  return view;
}

void LogitsReader::logits(size_t i, float *out) const {
  halfToFloat(record(i).logits, out, Header.numClasses());
}

void LogitsReader::verify() const {
  uint64_t released = 0;
  for (size_t i = 0; i < Offsets.size(); ++i) {
    rawRecord(i);
    if (Offsets[i] - released >= kReleaseEveryBytes) {
      releaseRange(Data, released, Offsets[i]);
      released = Offsets[i];
    }
  }
}

void LogitsReader::releasePages() const {
  if (Data)
    madvise(const_cast<unsigned char *>(Data), FileSize, MADV_DONTNEED);
}

//===----------------------------------------------------------------------===//
// Merging and sharding
//===----------------------------------------------------------------------===//

void kdc::mergeLogitStores(const std::vector<std::string> &inputs,
                           const std::string &output) {
  if (inputs.empty())
    throw Error(output + ": cannot merge: no input stores given");

  struct stat outputStat;
  bool outputExists = ::stat(output.c_str(), &outputStat) == 0;
  std::vector<LogitsReader> readers;
  for (const std::string &input : inputs) {
    readers.push_back(LogitsReader::open(input));
    struct stat inputStat;
    if (outputExists && ::stat(input.c_str(), &inputStat) == 0 &&
        inputStat.st_dev == outputStat.st_dev &&
        inputStat.st_ino == outputStat.st_ino)
      throw Error(output + ": cannot merge: the output is also an input");
    if (!readers.back().closed())
      throw Error(input + ": cannot merge: the store was not closed (its "
                          "writer was killed or is still running); resume "
                          "it first");
  }
  const LogitsReader &first = readers.front();
  bool sharded =
      std::any_of(readers.begin(), readers.end(), [](const LogitsReader &r) {
        return r.header().numShards > 1;
      });
  // Shards of one split share one locale table; whole stores (say, one of
  // MASSIVE and one of plain text) may not, and are remapped below.
  for (size_t k = 1; k < readers.size(); ++k) {
    std::string difference =
        headerDifference(readers[k].header(), first.header(), readers[k].path(),
                         first.path(), /*compareLocales=*/sharded);
    if (!difference.empty())
      throw Error(readers[k].path() + ": cannot merge with " + first.path() +
                  ": " + difference);
  }

  LogitsHeader merged = first.header();
  merged.shard = 0;
  merged.numShards = 1;
  // localeIds[k][l]: the merged id of reader k's locale l. The merged table
  // lists the inputs' locales in order of first appearance.
  std::vector<std::vector<int32_t>> localeIds(readers.size());
  std::vector<bool> remap(readers.size(), false);
  if (!sharded) {
    merged.locales.clear();
    for (size_t k = 0; k < readers.size(); ++k)
      for (const std::string &name : readers[k].header().locales) {
        auto at = std::find(merged.locales.begin(), merged.locales.end(), name);
        localeIds[k].push_back(int32_t(at - merged.locales.begin()));
        if (at == merged.locales.end())
          merged.locales.push_back(name);
        remap[k] = remap[k] || localeIds[k].back() != int32_t(localeIds[k].size() - 1);
      }
  }
  // order[s] is the reader of shard s; records are taken round robin.
  std::vector<const LogitsReader *> order;
  uint32_t numShards = first.header().numShards;
  if (sharded) {
    order.assign(numShards, nullptr);
    for (const LogitsReader &reader : readers) {
      const LogitsHeader &h = reader.header();
      if (h.numShards != numShards)
        throw Error(reader.path() + ": cannot merge: it is shard " +
                    shardName(h.shard, h.numShards) + " but " + first.path() +
                    " is shard " + shardName(first.header().shard, numShards) +
                    "; all inputs must be shards of one --shard I/N split");
      if (order[h.shard])
        throw Error(reader.path() + ": cannot merge: it is shard " +
                    shardName(h.shard, h.numShards) + ", and so is " +
                    order[h.shard]->path());
      order[h.shard] = &reader;
    }
    for (uint32_t s = 0; s < numShards; ++s)
      if (!order[s])
        throw Error(output + ": cannot merge: shard " +
                    shardName(s, numShards) + " is missing from the inputs");
    // Round robin gives shard s ceil((total - s) / N) records: counts never
    // grow with s and drop by at most one. Anything else means a shard's
    // labelling stopped early.
    size_t most = 0;
    for (const LogitsReader *reader : order)
      most = std::max(most, reader->size());
    size_t lastFull = 0;
    for (uint32_t s = 0; s < numShards; ++s)
      if (order[s]->size() == most)
        lastFull = s;
    for (uint32_t s = 0; s < numShards; ++s) {
      size_t expected = s <= lastFull ? most : most - 1;
      if (order[s]->size() < expected)
        throw Error(order[s]->path() + ": cannot merge: shard " +
                    shardName(s, numShards) + " has " +
                    std::to_string(order[s]->size()) + " records but needs " +
                    std::to_string(expected) + " to match shard " +
                    shardName(lastFull, numShards) + " (" +
                    std::to_string(most) +
                    " records); was its labelling finished?");
    }
  } else {
    for (const LogitsReader &reader : readers) {
      order.push_back(&reader);
      const std::string &source = reader.header().source;
      if (&reader != &first && merged.source.find(source) == std::string::npos)
        merged.source += " + " + source;
    }
  }

  std::string partial = output + ".partial";
  try {
    LogitsWriter writer = LogitsWriter::create(partial, merged);
    uint64_t copied = 0;
    std::vector<float> logits(merged.numClasses());
    auto copy = [&](const LogitsReader &reader, size_t i) {
      auto [bytes, size] = reader.rawRecord(i);
      size_t k = size_t(&reader - readers.data());
      if (remap[k]) {
        // A new locale id changes the record's checksums: re-encode it (the
        // fp16 logits survive the round trip through float exactly).
        RecordView view = reader.record(i);
        reader.logits(i, logits.data());
        writer.append(view.text, logits.data(), view.gold,
                      view.locale < 0 ? -1 : localeIds[k][size_t(view.locale)]);
      } else {
        writer.appendRaw(bytes, size);
      }
      copied += size;
      if (copied >= kReleaseEveryBytes) {
        for (const LogitsReader *r : order)
          r->releasePages();
        copied = 0;
      }
    };
    if (sharded) {
      size_t rounds = order.front()->size();
      for (size_t j = 0; j < rounds; ++j)
        for (const LogitsReader *reader : order)
          if (j < reader->size())
            copy(*reader, j);
    } else {
      for (const LogitsReader *reader : order)
        for (size_t i = 0; i < reader->size(); ++i)
          copy(*reader, i);
    }
    writer.close();
    if (std::rename(partial.c_str(), output.c_str()) != 0)
      throw Error(output + ": cannot rename " + partial +
                  " to it: " + systemError());
  } catch (...) {
    ::unlink(partial.c_str());
    throw;
  }
}

ShardSpec kdc::parseShardSpec(std::string_view text) {
  auto fail = [&] {
    return Error("--shard: expected I/N with 0 <= I < N (shards are counted "
                 "from 0, e.g. 0/4 ... 3/4), got '" +
                 std::string(text) + "'");
  };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos)
    throw fail();
  auto number = [&](std::string_view digits, uint32_t &out) {
    const char *begin = digits.data();
    const char *end = begin + digits.size();
    auto [ptr, ec] = std::from_chars(begin, end, out);
    return !digits.empty() && ec == std::errc() && ptr == end;
  };
  ShardSpec spec;
  if (!number(text.substr(0, slash), spec.shard) ||
      !number(text.substr(slash + 1), spec.numShards) || spec.numShards == 0 ||
      spec.shard >= spec.numShards)
    throw fail();
  return spec;
}
