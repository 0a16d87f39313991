//===- BpeTokenizerTest.cpp - runtime BPE encoder vs sentencepiece --------===//
//
// The runtime encoder must give sentencepiece's ids exactly, so every test
// here encodes the same text with both and compares. Models are trained once
// per process (function-local statics); the shared corpora are read in place.
//
//===----------------------------------------------------------------------===//

#include "kdc/Support/Error.h"
#include "kdc/Tokenizer/BpeTrainer.h"
#include "kdc/Tokenizer/RuntimeModel.h"
#include "kdc/Tokenizer/SentencePieceModel.h"
#include "kdc/runtime/bpe.h"
#include "kdc/runtime/status.h"

#include "TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace kdc;
using namespace kdc::tokenizer;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// The shared corpora
//===----------------------------------------------------------------------===//

std::string dataDir() { return kdc::unittest::sharedDataDir(); }

using kdc::unittest::slurp;

std::vector<std::string> splitLines(const std::string &text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

struct Corpus {
  std::vector<std::string> utterances;
  std::string missing; // why the corpus could not be read, if it could not
};

/// Every utterance of the shared data: MASSIVE en-US `utt`, column 3 of the
/// Schuster et al. TSVs (en, es, th) and all CLINC150 texts.
const Corpus &sharedCorpus() {
  static const Corpus corpus = [] {
    Corpus c;
    std::string dir = dataDir();
    fs::path massive = fs::path(dir) / "massive" / "en-US.jsonl";
    fs::path schuster = fs::path(dir) / "schuster2019-multilingual-tod";
    fs::path clinc = fs::path(dir) / "clinc150" / "data_full.json";
    if (dir.empty() || !fs::exists(massive) || !fs::exists(schuster) ||
        !fs::exists(clinc)) {
      c.missing = "shared data not found (KDC_SHARED_DATA=\"" + dir +
                  "\" must hold massive/, schuster2019-multilingual-tod/ "
                  "and clinc150/)";
      return c;
    }
    for (const std::string &line : splitLines(slurp(massive)))
      if (!line.empty())
        c.utterances.push_back(
            nlohmann::json::parse(line).at("utt").get<std::string>());
    for (const char *lang : {"en", "es", "th"}) {
      std::vector<fs::path> files;
      for (const auto &entry : fs::directory_iterator(schuster / lang))
        if (entry.path().extension() == ".tsv")
          files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const fs::path &file : files) {
        for (const std::string &line : splitLines(slurp(file))) {
          size_t a = line.find('\t');
          size_t b = a == std::string::npos ? a : line.find('\t', a + 1);
          size_t e = b == std::string::npos ? b : line.find('\t', b + 1);
          if (e != std::string::npos)
            c.utterances.push_back(line.substr(b + 1, e - b - 1));
        }
      }
    }
    nlohmann::json clincJson = nlohmann::json::parse(slurp(clinc));
    for (const auto &split : clincJson.items())
      for (const auto &example : split.value())
        c.utterances.push_back(example.at(0).get<std::string>());
    return c;
  }();
  return corpus;
}

#define SKIP_WITHOUT_DATA()                                                    \
  if (!sharedCorpus().missing.empty())                                         \
  GTEST_SKIP() << sharedCorpus().missing

//===----------------------------------------------------------------------===//
// Models: a sentencepiece processor and the runtime blob of the same bytes
//===----------------------------------------------------------------------===//

struct Model {
  std::string spmBytes;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> spm;
  std::vector<uint8_t> blob;
};

std::unique_ptr<Model> makeModel(std::string spmBytes) {
  auto m = std::make_unique<Model>();
  m->spmBytes = std::move(spmBytes);
  m->spm = std::make_unique<sentencepiece::SentencePieceProcessor>();
  auto status = m->spm->LoadFromSerializedProto(m->spmBytes);
  EXPECT_TRUE(status.ok()) << status.ToString();
  m->blob = buildRuntimeModel(m->spmBytes);
  return m;
}

void expectBlobMatchesProcessor(const Model &m);

/// Every other shared utterance: enough for a 6000-piece vocabulary while
/// keeping training to a few seconds. Encodings are compared on all of them.
std::vector<std::string> trainingSample() {
  std::vector<std::string> sample;
  const auto &all = sharedCorpus().utterances;
  for (size_t i = 0; i < all.size(); i += 2)
    sample.push_back(all[i]);
  return sample;
}

/// The main model: BPE, 6000 pieces, kdc's default options.
const Model &mixModel() {
  static std::unique_ptr<Model> model = [] {
    BpeTrainOptions options;
    options.vocabSize = 6000;
    return makeModel(trainBpeModel(trainingSample(), options));
  }();
  return *model;
}

/// A few hundred generated utterances in English, Spanish and Thai, so that
/// the error and round-trip tests run (fast) without the shared data.
std::vector<std::string> builtinCorpus() {
  const char *subjects[] = {"set an alarm for",         "wake me up at",
                            "remind me to call mom at", "pon una alarma a las",
                            "despiértame a las",        "ตั้งนาฬิกาปลุก"};
  const char *objects[] = {
      "five am",   "7:30 pm",     "noon tomorrow", "las ocho de la mañana",
      "10 โมงเช้า", "ตี 4 วันอังคาร", "the weekend"};
  std::vector<std::string> corpus;
  for (int round = 0; round < 8; ++round)
    for (const char *s : subjects)
      for (const char *o : objects)
        corpus.push_back(std::string(s) + " " + o +
                         (round % 2 ? " please" : "") +
                         (round % 4 == 3 ? "!" : ""));
  return corpus;
}

/// Trained on builtinCorpus(): 256 byte pieces plus a few hundred merges.
const Model &tinyModel() {
  static std::unique_ptr<Model> model = [] {
    BpeTrainOptions options;
    options.vocabSize = 400;
    return makeModel(trainBpeModel(builtinCorpus(), options));
  }();
  return *model;
}

/// A small model with user-defined symbols, some prefixes of others, one
/// with a space, one that is a common word.
// clang-format off
const std::vector<std::string> kUserSymbols = {
    "<url>", "al", "alarm", "alarms", "hey kdc", "the", "\xE2\x96\x81play"};
// clang-format on

const Model &userSymbolModel() {
  static std::unique_ptr<Model> model = [] {
    BpeTrainOptions options;
    options.vocabSize = 1000;
    options.userDefinedSymbols = kUserSymbols;
    std::vector<std::string> sample;
    const auto &all = sharedCorpus().utterances;
    for (size_t i = 0; i < all.size(); i += 10)
      sample.push_back(all[i]);
    return makeModel(trainBpeModel(sample, options));
  }();
  return *model;
}

//===----------------------------------------------------------------------===//
// Editing a serialized ModelProto: the tests reach configurations the
// trainer never writes (unused pieces, other normalizer flags). Appending a
// singular sub-message field merges into it (protobuf semantics), so flag
// edits are appends; piece types need the pieces rewritten.
//===----------------------------------------------------------------------===//

void putVarint(std::string &out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

uint64_t getVarint(const std::string &s, size_t &pos) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = static_cast<uint8_t>(s.at(pos++));
    v |= uint64_t(b & 0x7F) << shift;
    if (!(b & 0x80))
      return v;
  }
}

/// Appends `field`=`value` (a varint) inside top-level sub-message `message`.
std::string appendVarintField(std::string proto, int message, int field,
                              uint64_t value) {
  std::string inner;
  putVarint(inner, uint64_t(field) << 3);
  putVarint(inner, value);
  putVarint(proto, (uint64_t(message) << 3) | 2);
  putVarint(proto, inner.size());
  return proto + inner;
}

std::string appendBytesField(std::string proto, int message, int field,
                             const std::string &value) {
  std::string inner;
  putVarint(inner, (uint64_t(field) << 3) | 2);
  putVarint(inner, value.size());
  inner += value;
  putVarint(proto, (uint64_t(message) << 3) | 2);
  putVarint(proto, inner.size());
  return proto + inner;
}

/// Gives every piece the type `retype(its type)`.
template <typename Fn>
std::string retypePieces(const std::string &proto, Fn retype) {
  std::string out;
  size_t pos = 0;
  while (pos < proto.size()) {
    size_t start = pos;
    uint64_t tag = getVarint(proto, pos);
    switch (tag & 7) {
    case 0:
      getVarint(proto, pos);
      break;
    case 1:
      pos += 8;
      break;
    case 5:
      pos += 4;
      break;
    default:
      pos += getVarint(proto, pos);
    }
    std::string field = proto.substr(start, pos - start);
    if ((tag >> 3) == 1) {
      PieceType type =
          parseSentencePieceModel(field, "<edit>").pieces.at(0).type;
      PieceType newType = retype(type);
      if (newType != type) {
        // Re-frame the piece with a second `type`, which overrides the first.
        size_t bodyAt = start;
        getVarint(proto, bodyAt); // tag
        getVarint(proto, bodyAt); // length
        std::string body = proto.substr(bodyAt, pos - bodyAt);
        putVarint(body, 3 << 3);
        putVarint(body, uint64_t(newType));
        field.clear();
        putVarint(field, (1 << 3) | 2);
        putVarint(field, body.size());
        field += body;
      }
    }
    out += field;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Encoding with both
//===----------------------------------------------------------------------===//

std::vector<int> spmEncode(const Model &m, const std::string &text) {
  std::vector<int> ids;
  auto status = m.spm->Encode(text, &ids);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return ids;
}

int kdcEncode(const std::vector<uint8_t> &blob, const std::string &text,
              std::vector<int> &ids) {
  std::vector<uint8_t> scratch(kdc_bpe_scratch_size(text.size()));
  std::vector<int32_t> out(kdc_bpe_max_ids(text.size()));
  int n =
      kdc_bpe_encode(blob.data(), blob.size(), text.data(), text.size(),
                     out.data(), out.size(), scratch.data(), scratch.size());
  ids.assign(out.begin(), out.begin() + std::max(n, 0));
  return n;
}

std::string describe(const Model &m, const std::string &text,
                     const std::vector<int> &want,
                     const std::vector<int> &got) {
  std::string s = "text \"" + text + "\"\n  sentencepiece:";
  for (int id : want)
    s += " " + std::to_string(id) + ":" + m.spm->IdToPiece(id);
  s += "\n  kdc:          ";
  for (int id : got)
    s += " " + std::to_string(id) + ":" + m.spm->IdToPiece(id);
  return s;
}

/// Compares on every text; reports the first few differences and the count.
size_t countMismatches(const Model &m, const std::vector<std::string> &texts) {
  size_t mismatches = 0;
  std::vector<int> got;
  for (const std::string &text : texts) {
    std::vector<int> want = spmEncode(m, text);
    int n = kdcEncode(m.blob, text, got);
    if (n < 0 || got != want) {
      if (++mismatches <= 10)
        ADD_FAILURE() << "status " << n << " for "
                      << describe(m, text, want, got);
    }
  }
  return mismatches;
}

/// Strings that stress normalization, splitting and byte fallback.
std::vector<std::string> edgeCases() {
  std::vector<std::string> cases = {
      "",
      " ",
      "     ",
      "  leading spaces",
      "trailing spaces   ",
      "  both  ends  ",
      "multiple    inner   spaces",
      "\t",
      "tab\tseparated\twords",
      "new\nline",
      "crlf\r\nline",
      " \t \n ",
      "\xE2\x96\x81",                              // a literal U+2581
      "\xE2\x96\x81\xE2\x96\x81hello\xE2\x96\x81", // around a word
      " \xE2\x96\x81 x \xE2\x96\x81 ",
      "\xC2\xA0no-break\xC2\xA0space", // U+00A0 is not ' '
      "\xE3\x80\x80ideographic space", // U+3000
      "日本語のテキストを書く",        // CJK: byte fallback
      "中文 和 English mixed",
      "😀 emoji 🎉🎉 party 👨‍👩‍👧", // ZWJ sequence
      "e\xCC\x81"
      "e\xCC\x81 combining", // e + U+0301
      "12345 67890 3.14159 1,000,000 2024-06-01",
      "call 555-0199 at 7:30pm",
      "wow!!! really??? (yes) [no] {maybe} \"quoted\" 'single' ...",
      "¿Qué hora es? ¡Hola, señor! áéíóúñü",
      "ตั้งนาฬิกาปลุก 7 โมงเช้า",
      "ตั้งนาฬิกาปลุกสำหรับวันอังคารตี4นาฬิกาปลุก",
      std::string("nul\0inside", 10),
      "\x01\x02\x1F control \x7F",
      "a",
      "I",
      "WAKE ME UP AT FIVE AM",
      "wake me up at five am",
      "\xF4\x8F\xBF\xBF max code point",
      "\xEF\xBF\xBD replacement char",
      "<s> </s> <unk> <pad> <0x41> control pieces as text",
      "hey kdc play the alarms al alarm <url> ▁play",
  };
  std::string longText;
  for (int i = 0; i < 200; ++i)
    longText +=
        "set an alarm for " + std::to_string(i) + " am ตั้งนาฬิกา 日本 😀  ";
  cases.push_back(longText);
  cases.push_back(std::string(3000, 'a'));
  cases.push_back(std::string(500, ' ') + "x" + std::string(500, ' '));
  return cases;
}

/// Random strings over an alphabet of troublesome characters, fixed seed.
std::vector<std::string> fuzzCases(size_t count) {
  const std::vector<std::string> alphabet = {
      " ",  " ",   "  ",  "\t",  "\n",   "a",        "e",  "t",  "s",
      "al", "arm", "the", "ing", "0",    "7",        "42", ".",  ",",
      "!",  "'",   "-",   "A",   "É",    "ñ",        "ตั้ง", "นา", "ฬิ",
      "กา", "日",  "本",  "😀",   "▁",    "\xC2\xA0", "<",  ">",  "s",
      "/",  "url", "hey", "kdc", "play", "x",        "zz", "Q"};
  std::mt19937 rng(12345);
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) {
    size_t len = rng() % 24;
    std::string s;
    for (size_t j = 0; j < len; ++j)
      s += alphabet[rng() % alphabet.size()];
    out.push_back(s);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// (a) every shared utterance
//===----------------------------------------------------------------------===//

TEST(BpeTokenizer, MatchesSentencePieceOnEverySharedUtterance) {
  SKIP_WITHOUT_DATA();
  const auto &texts = sharedCorpus().utterances;
  const Model &m = mixModel();
  ASSERT_GE(m.spm->GetPieceSize(), 4000);
  auto start = std::chrono::steady_clock::now();
  size_t mismatches = countMismatches(m, texts);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_EQ(mismatches, 0u) << "of " << texts.size() << " utterances";
  expectBlobMatchesProcessor(m);
  std::cout << "[ compared ] " << texts.size() << " utterances, " << mismatches
            << " differ, vocabulary " << m.spm->GetPieceSize() << ", "
            << seconds << " s for both encoders\n";
}

TEST(BpeTokenizer, MatchesWithUserDefinedAndUnusedPieces) {
  SKIP_WITHOUT_DATA();
  const Model &m = userSymbolModel();
  // The user-defined pieces are really in the model, as such.
  for (const std::string &s : kUserSymbols) {
    int id = m.spm->PieceToId(s);
    ASSERT_NE(id, m.spm->unk_id()) << s;
    int type = 0;
    ASSERT_EQ(kdc_bpe_piece(m.blob.data(), m.blob.size(), id, nullptr, nullptr,
                            nullptr, &type),
              KDC_OK);
    EXPECT_EQ(type, KDC_BPE_PIECE_USER_DEFINED) << s;
  }
  // Every third utterance keeps this test fast; the main model is compared
  // on all of them above.
  std::vector<std::string> texts = edgeCases();
  const auto &all = sharedCorpus().utterances;
  for (size_t i = 0; i < all.size(); i += 3)
    texts.push_back(all[i]);
  std::vector<std::string> withFuzz = texts;
  for (const std::string &s : fuzzCases(5000))
    withFuzz.push_back(s);
  EXPECT_EQ(countMismatches(m, withFuzz), 0u);

  // Unused pieces: every third normal piece, so that encoding must split
  // merged ones back (bpe_model.cc's resegment).
  int normalSeen = 0;
  auto unused = makeModel(retypePieces(mixModel().spmBytes, [&](PieceType t) {
    if (t != PieceType::Normal)
      return t;
    return ++normalSeen % 3 == 0 ? PieceType::Unused : t;
  }));
  int numUnused = 0;
  for (int id = 0; id < unused->spm->GetPieceSize(); ++id)
    numUnused += unused->spm->IsUnused(id);
  ASSERT_GT(numUnused, 1000);
  size_t changed = 0;
  for (size_t i = 0; i < 2000; ++i)
    changed += spmEncode(*unused, texts[i]) != spmEncode(mixModel(), texts[i]);
  EXPECT_GT(changed, 0u) << "unused pieces changed no encoding";
  EXPECT_EQ(countMismatches(*unused, withFuzz), 0u);
}

//===----------------------------------------------------------------------===//
// (b) edge cases, also under the other normalizer settings
//===----------------------------------------------------------------------===//

TEST(BpeTokenizer, MatchesOnEdgeCasesAndRandomStrings) {
  SKIP_WITHOUT_DATA();
  const Model &m = mixModel();
  std::vector<std::string> texts = edgeCases();
  for (const std::string &s : fuzzCases(20000))
    texts.push_back(s);
  EXPECT_EQ(countMismatches(m, texts), 0u);

  // Spot checks of what the comparisons imply.
  std::vector<int> ids;
  EXPECT_EQ(kdcEncode(m.blob, "", ids), 0);
  EXPECT_EQ(kdcEncode(m.blob, "    ", ids), 0);
  ASSERT_GT(kdcEncode(m.blob, "😀", ids), 0);
  for (int id : ids) // no <unk>: byte fallback covers every character
    EXPECT_NE(id, kUnkId);
  EXPECT_TRUE(m.spm->IsByte(ids.back()));
}

TEST(BpeTokenizer, MatchesUnderOtherNormalizerSettings) {
  SKIP_WITHOUT_DATA();
  std::vector<std::string> texts = edgeCases();
  for (const std::string &s : fuzzCases(3000))
    texts.push_back(s);
  const auto &all = sharedCorpus().utterances;
  for (size_t i = 0; i < all.size(); i += 20)
    texts.push_back(all[i]);
  // NormalizerSpec: 3 add_dummy_prefix, 4 remove_extra_whitespaces,
  // 5 escape_whitespaces; TrainerSpec: 24 treat_whitespace_as_suffix,
  // 35 byte_fallback (off: runs of unknown pieces merge into one <unk>).
  struct Setting {
    const char *name;
    int message, field, value;
  };
  const Setting settings[] = {
      {"add_dummy_prefix=false", 3, 3, 0},
      {"remove_extra_whitespaces=false", 3, 4, 0},
      {"escape_whitespaces=false", 3, 5, 0},
      {"treat_whitespace_as_suffix=true", 2, 24, 1},
  };
  // Each setting must change some encodings, or the comparison proves
  // nothing about it.
  std::vector<std::vector<int>> base;
  for (const std::string &text : texts)
    base.push_back(spmEncode(mixModel(), text));
  auto changedTexts = [&](const Model &m) {
    size_t changed = 0;
    for (size_t i = 0; i < texts.size(); ++i)
      changed += spmEncode(m, texts[i]) != base[i];
    return changed;
  };
  for (const Setting &s : settings) {
    SCOPED_TRACE(s.name);
    auto m = makeModel(
        appendVarintField(mixModel().spmBytes, s.message, s.field, s.value));
    EXPECT_GT(changedTexts(*m), 0u);
    EXPECT_EQ(countMismatches(*m, texts), 0u);
  }
  {
    SCOPED_TRACE("byte_fallback=false");
    // Byte pieces need byte_fallback, so they become unused pieces first.
    std::string proto = retypePieces(mixModel().spmBytes, [](PieceType t) {
      return t == PieceType::Byte ? PieceType::Unused : t;
    });
    auto m = makeModel(appendVarintField(proto, 2, 35, 0));
    EXPECT_GT(changedTexts(*m), 0u);
    EXPECT_EQ(countMismatches(*m, texts), 0u);
    std::vector<int> ids;
    ASSERT_EQ(kdcEncode(m->blob, "日本語", ids), 2); // "▁" + one merged <unk>
    EXPECT_EQ(ids[1], kUnkId);
  }
}

//===----------------------------------------------------------------------===//
// (c) errors
//===----------------------------------------------------------------------===//

TEST(BpeTokenizer, RejectsInvalidUtf8) {
  const Model &m = tinyModel();
  std::vector<int> ids;
  for (std::string bad :
       {std::string("\xFF"), std::string("ab\xC3"), std::string("\xC0\xAF"),
        std::string("\xED\xA0\x80 surrogate"), std::string("\xF4\x90\x80\x80"),
        std::string("ok \x80 lone continuation"),
        std::string("truncated \xE2\x96")})
    EXPECT_EQ(kdcEncode(m.blob, bad, ids), KDC_ERR_INVALID_UTF8) << bad;
  BpeTokenizer tokenizer(m.blob);
  EXPECT_THROW(tokenizer.encode("abc\xFF"), Error);
}

TEST(BpeTokenizer, ReportsSmallBuffersAndNullArguments) {
  const Model &m = tinyModel();
  const std::string text = "wake me up at five am 😀";
  std::vector<int> want = spmEncode(m, text);
  ASSERT_GE(want.size(), 4u);
  std::vector<uint8_t> scratch(kdc_bpe_scratch_size(text.size()));
  std::vector<int32_t> out(want.size());
  const uint8_t *blob = m.blob.data();
  size_t size = m.blob.size();

  EXPECT_EQ(kdc_bpe_encode(blob, size, text.data(), text.size(), out.data(),
                           want.size(), scratch.data(), scratch.size()),
            int(want.size()));
  EXPECT_EQ(kdc_bpe_encode(blob, size, text.data(), text.size(), out.data(),
                           want.size() - 1, scratch.data(), scratch.size()),
            KDC_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(std::vector<int>(out.begin(), out.end() - 1),
            std::vector<int>(want.begin(), want.end() - 1));
  EXPECT_EQ(kdc_bpe_encode(blob, size, text.data(), text.size(), nullptr, 0,
                           scratch.data(), scratch.size()),
            KDC_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(kdc_bpe_encode(blob, size, text.data(), text.size(), out.data(),
                           out.size(), scratch.data(), scratch.size() - 1),
            KDC_ERR_WORKSPACE);
  EXPECT_EQ(kdc_bpe_encode(blob, size, text.data(), text.size(), out.data(),
                           out.size(), nullptr, scratch.size()),
            KDC_ERR_WORKSPACE);
  // Misaligned scratch is fine: the encoder aligns inside it.
  std::vector<uint8_t> bigger(scratch.size() + 1);
  EXPECT_EQ(kdc_bpe_encode(blob, size, text.data(), text.size(), out.data(),
                           out.size(), bigger.data() + 1, scratch.size()),
            int(want.size()));
  EXPECT_EQ(kdc_bpe_encode(nullptr, size, text.data(), text.size(), out.data(),
                           out.size(), scratch.data(), scratch.size()),
            KDC_ERR_NULL_ARGUMENT);
  EXPECT_EQ(kdc_bpe_encode(blob, size, nullptr, 3, out.data(), out.size(),
                           scratch.data(), scratch.size()),
            KDC_ERR_NULL_ARGUMENT);
  EXPECT_EQ(kdc_bpe_encode(blob, size, text.data(), text.size(), nullptr, 5,
                           scratch.data(), scratch.size()),
            KDC_ERR_NULL_ARGUMENT);
  EXPECT_EQ(kdc_bpe_encode(blob, size, nullptr, 0, nullptr, 0, scratch.data(),
                           scratch.size()),
            0);
  EXPECT_EQ(kdc_bpe_scratch_size(size_t(KDC_BPE_MAX_INPUT_BYTES) + 1),
            SIZE_MAX);
  EXPECT_EQ(kdc_bpe_encode(blob, size, text.data(),
                           size_t(KDC_BPE_MAX_INPUT_BYTES) + 1, out.data(),
                           out.size(), scratch.data(), scratch.size()),
            KDC_ERR_TOO_MANY_TOKENS);
}

TEST(BpeTokenizer, RejectsCorruptModels) {
  const Model &m = tinyModel();
  const std::vector<uint8_t> &good = m.blob;
  ASSERT_EQ(kdc_bpe_model_check(good.data(), good.size()), KDC_OK);
  std::vector<int> ids;
  const std::string text = "set an alarm for 7 am ตั้งนาฬิกา 😀";

  // Header damage is caught by every call.
  for (size_t at : {0u, 4u, 8u, 16u, 20u, 44u, 48u, 52u, 56u, 60u, 68u}) {
    std::vector<uint8_t> bad = good;
    bad[at + 3] ^= 0x80;
    EXPECT_EQ(kdc_bpe_model_check(bad.data(), bad.size()), KDC_ERR_BAD_MODEL)
        << "header byte " << at + 3;
    EXPECT_LT(kdcEncode(bad, text, ids), 0) << "header byte " << at + 3;
  }
  EXPECT_EQ(kdc_bpe_model_check(good.data(), good.size() - 1),
            KDC_ERR_BAD_MODEL);
  EXPECT_EQ(kdc_bpe_model_check(good.data(), 10), KDC_ERR_BAD_MODEL);
  EXPECT_EQ(kdc_bpe_model_check(nullptr, 10), KDC_ERR_NULL_ARGUMENT);
  std::vector<uint8_t> truncated(good.begin(), good.end() - 4);
  EXPECT_EQ(kdcEncode(truncated, text, ids), KDC_ERR_BAD_MODEL);

  // Body damage: the full check sees every byte (checksum); the encoder
  // may give other ids but must stay in bounds and never crash.
  std::mt19937 rng(7);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bad = good;
    size_t at =
        KDC_BPE_HEADER_SIZE + rng() % (bad.size() - KDC_BPE_HEADER_SIZE);
    bad[at] ^= uint8_t(1 + rng() % 255);
    ASSERT_EQ(kdc_bpe_model_check(bad.data(), bad.size()), KDC_ERR_BAD_MODEL)
        << "byte " << at;
    int n = kdcEncode(bad, text, ids);
    if (n >= 0) {
      for (int id : ids)
        ASSERT_TRUE(id >= 0 && id < m.spm->GetPieceSize());
    }
  }
  // Random header fields (sizes, offsets) must not make the encoder read
  // outside the blob either.
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bad = good;
    size_t at = 16 + rng() % (KDC_BPE_HEADER_SIZE - 16);
    bad[at] = uint8_t(rng());
    int n = kdcEncode(bad, text, ids);
    if (n >= 0) {
      for (int id : ids)
        ASSERT_GE(id, 0);
    }
  }
  EXPECT_THROW(BpeTokenizer(std::vector<uint8_t>(good.begin(), good.end() - 1)),
               Error);
}

TEST(BpeTokenizer, RejectsBadSentencePieceModels) {
  const std::string &good = tinyModel().spmBytes;
  auto message = [](auto fn) -> std::string {
    try {
      fn();
    } catch (const Error &e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message([&] {
              buildRuntimeModel(good.substr(0, good.size() / 2), "half.model");
            }).find("half.model: byte "),
            std::string::npos);
  EXPECT_NE(message([&] {
              buildRuntimeModel("", "empty.model");
            }).find("empty.model"),
            std::string::npos);
  EXPECT_NE(message([&] {
              buildRuntimeModel("\xFF\xFF\xFF", "junk.model");
            }).find("junk.model"),
            std::string::npos);
  EXPECT_NE(message([&] {
              loadRuntimeModel("/nonexistent/kdc/x.model");
            }).find("/nonexistent/kdc/x.model: cannot open"),
            std::string::npos);
  EXPECT_NE(message([&] {
              buildRuntimeModel(appendVarintField(good, 2, 3, 1), "uni.model");
            }).find("uni.model: model_type is 1"),
            std::string::npos);
  EXPECT_NE(message([&] {
              buildRuntimeModel(appendBytesField(good, 3, 2, "charsmap"),
                                "nfkc.model");
            }).find("is not supported"),
            std::string::npos);
  EXPECT_NE(message([&] {
              buildRuntimeModel(appendVarintField(good, 2, 35, 0), "nb.model");
            }).find("byte_fallback is false"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// (d) round trips
//===----------------------------------------------------------------------===//

/// Every piece, score, type, special id and lookup of the blob agrees with
/// the sentencepiece processor of the same model.
void expectBlobMatchesProcessor(const Model &m) {
  const uint8_t *blob = m.blob.data();
  size_t size = m.blob.size();
  kdc_bpe_model_info_t info;
  ASSERT_EQ(kdc_bpe_model_info(blob, size, &info), KDC_OK);
  EXPECT_EQ(int(info.num_pieces), m.spm->GetPieceSize());
  EXPECT_EQ(info.unk_id, m.spm->unk_id());
  EXPECT_EQ(info.bos_id, m.spm->bos_id());
  EXPECT_EQ(info.eos_id, m.spm->eos_id());
  EXPECT_EQ(info.pad_id, m.spm->pad_id());
  EXPECT_EQ(info.pad_id, kPadId);
  EXPECT_EQ(info.unk_id, kUnkId);
  EXPECT_EQ(info.bos_id, kBosId);
  EXPECT_EQ(info.eos_id, kEosId);
  EXPECT_EQ(info.flags, KDC_BPE_FLAG_ADD_DUMMY_PREFIX |
                            KDC_BPE_FLAG_REMOVE_EXTRA_WHITESPACES |
                            KDC_BPE_FLAG_ESCAPE_WHITESPACES |
                            KDC_BPE_FLAG_BYTE_FALLBACK);
  for (int id = 0; id < m.spm->GetPieceSize(); ++id) {
    const char *text;
    size_t len;
    float score;
    int type;
    ASSERT_EQ(kdc_bpe_piece(blob, size, id, &text, &len, &score, &type),
              KDC_OK);
    std::string piece(text, len);
    ASSERT_EQ(piece, m.spm->IdToPiece(id));
    ASSERT_EQ(score, m.spm->GetScore(id));
    ASSERT_EQ(type == KDC_BPE_PIECE_CONTROL, m.spm->IsControl(id));
    ASSERT_EQ(type == KDC_BPE_PIECE_UNKNOWN, m.spm->IsUnknown(id));
    ASSERT_EQ(type == KDC_BPE_PIECE_BYTE, m.spm->IsByte(id));
    ASSERT_EQ(type == KDC_BPE_PIECE_UNUSED, m.spm->IsUnused(id));
    ASSERT_EQ(kdc_bpe_piece_to_id(blob, size, text, len), id);
  }
  EXPECT_EQ(kdc_bpe_piece(blob, size, m.spm->GetPieceSize(), nullptr, nullptr,
                          nullptr, nullptr),
            KDC_ERR_TOKEN_RANGE);
  for (const char *absent : {"no-such-piece", "\xE2\x96\x81zzzzqqq", "x y"})
    EXPECT_EQ(kdc_bpe_piece_to_id(blob, size, absent, strlen(absent)),
              m.spm->PieceToId(absent));
  // The byte pieces follow the specials, in byte order.
  for (int b = 0; b < 256; ++b)
    EXPECT_TRUE(m.spm->IsByte(4 + b));
}

TEST(BpeTokenizer, BlobRoundTripsEveryPiece) {
  expectBlobMatchesProcessor(tinyModel());
}

TEST(BpeTokenizer, ModelFileRoundTripAndDeterminism) {
  fs::path dir = fs::temp_directory_path() /
                 ("kdc-bpe-test-" + std::to_string(::getpid()));
  std::vector<std::string> corpus = builtinCorpus();
  BpeTrainOptions options;
  options.vocabSize = 400;
  std::string path =
      trainBpeModelToFolder(corpus, dir.string(), "tiny", options);
  EXPECT_EQ(path, (dir / "tiny.model").string());
  std::string bytes = readFileBytes(path);
  // Same corpus, same options: the same model, byte for byte.
  EXPECT_EQ(bytes, trainBpeModel(corpus, options));
  EXPECT_EQ(bytes, tinyModel().spmBytes);

  std::vector<uint8_t> fromFile = loadRuntimeModel(path);
  EXPECT_EQ(fromFile, buildRuntimeModel(bytes));
  sentencepiece::SentencePieceProcessor spm;
  ASSERT_TRUE(spm.Load(path).ok());
  BpeTokenizer tokenizer = BpeTokenizer::fromSentencePieceFile(path);
  EXPECT_EQ(tokenizer.blob(), fromFile);
  EXPECT_EQ(int(tokenizer.vocabSize()), spm.GetPieceSize());
  EXPECT_EQ(tokenizer.padId(), kPadId);
  std::vector<std::string> texts = corpus;
  for (const std::string &s : edgeCases())
    texts.push_back(s);
  for (const std::string &text : texts) {
    std::vector<int> want;
    ASSERT_TRUE(spm.Encode(text, &want).ok());
    std::vector<int32_t> got = tokenizer.encode(text);
    ASSERT_EQ(std::vector<int>(got.begin(), got.end()), want) << text;
  }
  fs::remove_all(dir);

  // A corrupt file is named in the error.
  fs::create_directories(dir);
  std::ofstream(dir / "bad.model") << "this is not a model";
  try {
    loadRuntimeModel((dir / "bad.model").string());
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("bad.model"), std::string::npos);
  }
  fs::remove_all(dir);
}

} // namespace
