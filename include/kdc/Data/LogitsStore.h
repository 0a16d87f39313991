//===- LogitsStore.h - teacher logits on disk -------------------*- C++ -*-===//
//
// The logits store (FILE.kdl) is the file between `kdc label`, which runs the
// teacher over an unlabelled corpus, and `kdc distill`, which trains a student
// on the teacher's logits. The format is specified in docs/logits-store.md.
//
// Three properties shape the API:
//  - Labelling a million utterances takes hours, so the writer is append-only
//    and every record carries a checksum: after a kill, resume() finds the
//    last complete record, cuts the torn tail and carries on from there.
//  - Reading must not load the corpus into memory, so the reader maps the file
//    and hands out views into it; the process holds only one 8-byte offset
//    per record.
//  - Labelling may be spread over processes or machines with --shard I/N;
//    mergeLogitStores() puts the shards back into corpus order.
//
// Every failure a user can cause throws kdc::Error naming the file, the place
// (record index and byte offset) and what was expected.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_DATA_LOGITSSTORE_H
#define KDC_DATA_LOGITSSTORE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kdc {

//===----------------------------------------------------------------------===//
// IEEE 754 binary16
//===----------------------------------------------------------------------===//

/// Rounds to the nearest half, ties to even. Finite values from 65520 up (in
/// magnitude) become infinity; NaN stays NaN (its payload is truncated, but
/// never to zero, which would turn it into infinity).
uint16_t floatToHalf(float value);
/// Exact: every half is a float.
float halfToFloat(uint16_t half);
void halfToFloat(const uint16_t *in, float *out, size_t n);

//===----------------------------------------------------------------------===//
// The store
//===----------------------------------------------------------------------===//

/// The format version this build writes and the only one it reads.
inline constexpr uint32_t kLogitsStoreVersion = 1;

/// What a store says about itself; written once, at the start of the file.
struct LogitsHeader {
  /// One name per class, in logit order; the class count is labels.size().
  std::vector<std::string> labels;
  /// Identifies the teacher (e.g. a hash of its weights and tokenizer), so
  /// that a resumed or merged store never mixes the logits of two teachers.
  std::string fingerprint;
  /// Locale names; a record's locale id indexes this table. May be empty.
  std::vector<std::string> locales;
  /// Free text naming the corpus the records were drawn from.
  std::string source;
  /// This store holds the utterances i with inShard(i, shard, numShards).
  uint32_t shard = 0;
  uint32_t numShards = 1;

  size_t numClasses() const { return labels.size(); }
};

/// One record, viewed in place in the mapped file.
struct RecordView {
  std::string_view text;
  /// numClasses() little-endian fp16 values; valid while the reader lives.
  const uint16_t *logits = nullptr;
  /// Index into LogitsHeader::labels, or -1.
  int32_t gold = -1;
  /// Index into LogitsHeader::locales, or -1.
  int32_t locale = -1;

  float logit(size_t c) const { return halfToFloat(logits[c]); }
};

/// Appends records to a store. Holds one file descriptor, a small write
/// buffer and the records' offsets (for the index written at close), never
/// the records themselves. An exclusive flock() keeps a second writer (say,
/// the same shard started twice) away from the file.
class LogitsWriter {
public:
  /// Creates (or truncates) `path` and writes the header.
  static LogitsWriter create(const std::string &path,
                             const LogitsHeader &header);
  /// Opens an existing store to append to it, after checking that its header
  /// agrees with `expected` (class count, labels, fingerprint, locales,
  /// shard). Records are checked one by one; a torn tail left by a killed
  /// writer is cut off, so size() is the number of complete records. A file
  /// killed before its header was complete is started afresh.
  static LogitsWriter resume(const std::string &path,
                             const LogitsHeader &expected);

  LogitsWriter(LogitsWriter &&other) noexcept;
  LogitsWriter &operator=(LogitsWriter &&other) noexcept;
  LogitsWriter(const LogitsWriter &) = delete;
  LogitsWriter &operator=(const LogitsWriter &) = delete;
  /// Flushes the buffered records but writes no index: a writer destroyed
  /// by an exception leaves a store that reads like a killed one.
  ~LogitsWriter();

  const LogitsHeader &header() const { return Header; }
  const std::string &path() const { return Path; }
  /// Records in the store: those found by resume() plus those appended.
  size_t size() const { return Offsets.size(); }
  /// Bytes of torn tail that resume() cut off.
  uint64_t discardedBytes() const { return Discarded; }

  /// Appends one record. `logits` holds numClasses() values; NaN, or a finite
  /// value too large for fp16, is an error (nothing is written then).
  void append(std::string_view text, const float *logits, int32_t gold = -1,
              int32_t locale = -1);
  /// Hands the buffered records to the operating system, so that a kill
  /// from now on loses none of them.
  void flush();
  /// Writes the index and syncs the file. The writer is unusable afterwards.
  void close();

private:
  LogitsWriter() = default;
  void appendRaw(const unsigned char *bytes, size_t size);
  void writeAll(const unsigned char *bytes, size_t size);
  void requireOpen() const;
  void release() noexcept;

  std::string Path;
  LogitsHeader Header;
  int Fd = -1;
  uint64_t End = 0; // file offset where the next record goes
  uint64_t Discarded = 0;
  std::vector<uint64_t> Offsets;
  std::vector<unsigned char> Buffer;
  std::vector<unsigned char> Scratch;

  friend void mergeLogitStores(const std::vector<std::string> &,
                               const std::string &);
};

/// Reads a store through a read-only memory mapping: the resident memory is
/// the pages touched plus 8 bytes per record, whatever the file size.
class LogitsReader {
public:
  /// Maps `path`, checks the header and finds the records: through the index
  /// if the writer closed the file, else by scanning the records (a store
  /// whose writer was killed reads as its complete records).
  static LogitsReader open(const std::string &path);

  LogitsReader(LogitsReader &&other) noexcept;
  LogitsReader &operator=(LogitsReader &&other) noexcept;
  LogitsReader(const LogitsReader &) = delete;
  LogitsReader &operator=(const LogitsReader &) = delete;
  ~LogitsReader();

  const std::string &path() const { return Path; }
  const LogitsHeader &header() const { return Header; }
  size_t numClasses() const { return Header.numClasses(); }
  size_t size() const { return Offsets.size(); }
  /// False when the writer never reached close() (it was killed, or is still
  /// running); the store then reads as its complete records.
  bool closed() const { return Closed; }
  /// Bytes after the last complete record of a store that was not closed.
  uint64_t tornBytes() const { return Torn; }

  /// The i-th record, checksum verified; throws kdc::Error if it is corrupt.
  RecordView record(size_t i) const;
  /// The i-th record's logits as floats, numClasses() of them.
  void logits(size_t i, float *out) const;
  /// Verifies every record's checksum.
  void verify() const;
  /// Drops the mapped pages from this process's resident set (the kernel
  /// keeps them cached); a long sequential pass calls this now and then.
  void releasePages() const;

private:
  LogitsReader() = default;
  std::pair<const unsigned char *, size_t> rawRecord(size_t i) const;
  void release() noexcept;

  std::string Path;
  LogitsHeader Header;
  const unsigned char *Data = nullptr;
  uint64_t FileSize = 0;
  uint64_t RecordsEnd = 0;
  bool Closed = false;
  uint64_t Torn = 0;
  std::vector<uint64_t> Offsets;

  friend void mergeLogitStores(const std::vector<std::string> &,
                               const std::string &);
};

/// Merges stores whose headers agree (class count, labels, fingerprint) into
/// `output`. Shards 0..N-1 of N, given in any order, must also agree on the
/// locale table; they are interleaved back into corpus order, so the result
/// equals a single-process store. Unsharded stores are concatenated in the
/// order given, under the union of their locale tables (in order of first
/// appearance; records re-encoded with their new locale ids). Every input
/// must have been closed. The output appears only when complete (it is
/// written beside it and renamed).
void mergeLogitStores(const std::vector<std::string> &inputs,
                      const std::string &output);

//===----------------------------------------------------------------------===//
// Sharding
//===----------------------------------------------------------------------===//

/// Round robin: utterance `index` (counted over the whole corpus, from 0)
/// belongs to shard index % numShards. Shards stay balanced even when the
/// corpus is sorted by locale or length, and no shard needs the corpus size.
inline bool inShard(size_t index, unsigned shard, unsigned numShards) {
  return index % numShards == shard;
}

struct ShardSpec {
  uint32_t shard = 0;
  uint32_t numShards = 1;
};

/// Parses the value of --shard: "I/N" with 0 <= I < N.
ShardSpec parseShardSpec(std::string_view text);

} // namespace kdc

#endif // KDC_DATA_LOGITSSTORE_H
