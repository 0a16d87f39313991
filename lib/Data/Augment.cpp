//===- Augment.cpp - perturbed copies of utterances (Tang et al. 2019) ----===//

#include "kdc/Data/Augment.h"

#include "kdc/Support/Error.h"
#include "kdc/runtime/utf8.h"

#include <unicode/ubrk.h>
#include <unicode/utext.h>

#include <cstdio>
#include <optional>
#include <string_view>
#include <unordered_set>

using namespace kdc;

namespace {

/// splitmix64's finalizer: every input bit reaches every output bit.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// splitmix64: the same numbers on every platform and standard library.
class Random {
public:
  explicit Random(uint64_t seed) : state(seed) {}
  uint64_t next() { return mix64(state += 0x9E3779B97F4A7C15ull); }
  /// Uniform in [0, 1).
  double unit() { return double(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [0, n), n > 0.
  size_t below(size_t n) {
    return size_t((unsigned __int128)next() * n >> 64);
  }

private:
  uint64_t state;
};

/// A word, or a character under splitCharacters, and whether white space
/// came before it in its utterance (so characters rejoin into words).
struct Unit {
  std::string_view text;
  bool spaceBefore;
};

/// ICU's character (extended grapheme cluster) break iterator over UTF-8
/// through a UText, so its boundaries are byte offsets: a Thai consonant and
/// the vowel and tone marks written on it stay one unit, and dropping or
/// replacing a unit never leaves a mark on another letter.
class GraphemeSplitter {
public:
  GraphemeSplitter() {
    UErrorCode status = U_ZERO_ERROR;
    breaker = ubrk_open(UBRK_CHARACTER, "", nullptr, 0, &status);
    if (U_FAILURE(status))
      throw Error(std::string("ICU: cannot open a character break iterator: ") +
                  u_errorName(status));
  }
  ~GraphemeSplitter() {
    ubrk_close(breaker);
    utext_close(text);
  }
  GraphemeSplitter(const GraphemeSplitter &) = delete;
  GraphemeSplitter &operator=(const GraphemeSplitter &) = delete;

  /// Appends the clusters of `word` (valid UTF-8, no white space).
  void split(std::string_view word, bool spaceBefore, std::vector<Unit> &out) {
    UErrorCode status = U_ZERO_ERROR;
    text = utext_openUTF8(text, word.data(), int64_t(word.size()), &status);
    ubrk_setUText(breaker, text, &status);
    if (U_FAILURE(status))
      throw Error(std::string("ICU: cannot split a word into characters: ") +
                  u_errorName(status));
    int32_t start = ubrk_first(breaker);
    for (int32_t end = ubrk_next(breaker); end != UBRK_DONE;
         start = end, end = ubrk_next(breaker)) {
      out.push_back({word.substr(size_t(start), size_t(end - start)), spaceBefore});
      spaceBefore = false;
    }
  }

private:
  UBreakIterator *breaker = nullptr;
  UText *text = nullptr;
};

/// Words between white space; with `characters`, each word split further
/// into grapheme clusters.
std::vector<Unit> splitUnits(std::string_view text, GraphemeSplitter *characters,
                             size_t index) {
  std::vector<Unit> units;
  size_t wordStart = std::string_view::npos;
  bool space = false;
  auto endWord = [&](size_t end) {
    std::string_view word = text.substr(wordStart, end - wordStart);
    if (characters)
      characters->split(word, space, units);
    else
      units.push_back({word, space});
  };
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t n = kdc_utf8_decode(text.data() + i, text.size() - i, &cp);
    if (n == 0)
      throw Error("utterance " + std::to_string(index + 1) +
                  ": invalid UTF-8 at byte offset " + std::to_string(i) +
                  "; expected UTF-8 text");
    if (kdc_unicode_is_white_space(cp)) {
      if (wordStart != std::string_view::npos)
        endWord(i);
      wordStart = std::string_view::npos;
      space = true;
    } else if (wordStart == std::string_view::npos) {
      wordStart = i;
    }
    i += n;
  }
  if (wordStart != std::string_view::npos)
    endWord(text.size());
  return units;
}

/// 64-bit FNV-1a then a splitmix64 finalizer: the duplicate check keeps
/// hashes, not strings (a million utterances times four copies stay a few
/// tens of MB); among four million variants any collision (which would drop
/// one variant) has probability about 2^-21.
uint64_t hashText(std::string_view text) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : text)
    h = (h ^ c) * 0x100000001B3ull;
  return mix64(h);
}

std::string join(const std::vector<Unit> &units, bool characters) {
  std::string out;
  for (size_t i = 0; i < units.size(); ++i) {
    if (i > 0 && (!characters || units[i].spaceBefore))
      out += ' ';
    out += units[i].text;
  }
  return out;
}

std::string number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

void checkProbability(double p, const char *name) {
  if (!(p >= 0.0 && p <= 1.0))
    throw Error(std::string("--") + name + " is " + number(p) +
                "; expected a probability in [0, 1]");
}

} // namespace

std::vector<std::string> kdc::augmentTexts(const std::vector<std::string> &texts,
                                           const AugmentOptions &options,
                                           AugmentStats *statsOut) {
  checkProbability(options.drop, "drop");
  checkProbability(options.replace, "replace");
  checkProbability(options.ngram, "ngram");
  if (options.drop + options.replace > 1.0)
    throw Error("--drop + --replace is " +
                number(options.drop + options.replace) +
                "; expected at most 1 (each word is dropped, replaced or kept)");
  if (options.maxNgram == 0)
    throw Error("--max-ngram is 0; expected at least 1");
  if (options.copies == 0)
    throw Error("--copies is 0; expected at least 1");

  std::optional<GraphemeSplitter> characters;
  if (options.splitCharacters)
    characters.emplace();
  std::vector<std::vector<Unit>> split;
  split.reserve(texts.size());
  std::vector<std::string_view> vocabulary; // every unit: unigram sampling
  std::unordered_set<uint64_t> seen;
  for (const std::string &text : texts) {
    split.push_back(
        splitUnits(text, characters ? &*characters : nullptr, split.size()));
    for (const Unit &u : split.back())
      vocabulary.push_back(u.text);
    seen.insert(hashText(join(split.back(), characters.has_value())));
  }

  AugmentStats stats;
  stats.inputs = texts.size();
  std::vector<std::string> out;
  Random random(options.seed);
  std::vector<Unit> variant;
  for (const std::vector<Unit> &units : split) {
    for (unsigned copy = 0; copy < options.copies; ++copy) {
      variant.clear();
      bool space = false; // a dropped unit's word boundary passes on
      for (const Unit &u : units) {
        double x = random.unit();
        space = space || u.spaceBefore;
        if (x < options.drop)
          continue;
        std::string_view text =
            x < options.drop + options.replace
                ? vocabulary[random.below(vocabulary.size())]
                : u.text;
        variant.push_back({text, space});
        space = false;
      }
      if (!variant.empty() && random.unit() < options.ngram) {
        size_t n = 1 + random.below(options.maxNgram);
        if (n < variant.size()) {
          size_t start = random.below(variant.size() - n + 1);
          variant.erase(variant.begin() + start + n, variant.end());
          variant.erase(variant.begin(), variant.begin() + start);
        }
      }
      if (variant.empty()) {
        ++stats.empty;
        continue;
      }
      std::string text = join(variant, characters.has_value());
      if (!seen.insert(hashText(text)).second) {
        ++stats.duplicates;
        continue;
      }
      out.push_back(std::move(text));
    }
  }
  stats.written = out.size();
  if (statsOut)
    *statsOut = stats;
  return out;
}
