#include "kdc/Data/Augment.h"
#include "kdc/Support/Error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>

using namespace kdc;

namespace {

const std::vector<std::string> kTexts = {
    "wake me up at seven tomorrow", "what is the weather like in paris",
    "play some jazz in the kitchen", "turn the lights off",
    "how do i say thank you in french"};

std::vector<std::string> words(const std::string &text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

std::string errorOf(const std::vector<std::string> &texts,
                    const AugmentOptions &o) {
  try {
    augmentTexts(texts, o);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

TEST(Augment, SameSeedSameVariantsOtherSeedOthers) {
  AugmentOptions o;
  o.copies = 8;
  std::vector<std::string> a = augmentTexts(kTexts, o);
  EXPECT_EQ(a, augmentTexts(kTexts, o));
  o.seed = 2;
  EXPECT_NE(a, augmentTexts(kTexts, o));
  EXPECT_GT(a.size(), kTexts.size());
}

TEST(Augment, NeverAnInputNeverTwiceNeverEmpty) {
  AugmentOptions o;
  o.copies = 20;
  o.drop = 0.3;
  o.ngram = 0.5;
  AugmentStats stats;
  std::vector<std::string> v = augmentTexts(kTexts, o, &stats);
  std::set<std::string> unique(v.begin(), v.end());
  EXPECT_EQ(unique.size(), v.size());
  for (const std::string &t : kTexts)
    EXPECT_EQ(unique.count(t), 0u) << t;
  for (const std::string &t : v)
    EXPECT_FALSE(words(t).empty());
  EXPECT_EQ(stats.inputs, kTexts.size());
  EXPECT_EQ(stats.written, v.size());
  // Every try is written, a duplicate, or empty.
  EXPECT_EQ(stats.written + stats.duplicates + stats.empty,
            kTexts.size() * o.copies);
  EXPECT_GT(stats.duplicates, 0u);
}

TEST(Augment, NoPerturbationWritesNothing) {
  AugmentOptions o;
  o.drop = o.replace = o.ngram = 0;
  AugmentStats stats;
  // The white space of an input is not a difference.
  EXPECT_TRUE(augmentTexts({"  turn\tthe lights   off "}, o, &stats).empty());
  EXPECT_EQ(stats.duplicates, o.copies);
}

TEST(Augment, DropEverythingIsEmpty) {
  AugmentOptions o;
  o.drop = 1;
  o.replace = 0;
  AugmentStats stats;
  EXPECT_TRUE(augmentTexts(kTexts, o, &stats).empty());
  EXPECT_EQ(stats.empty, kTexts.size() * o.copies);
}

TEST(Augment, DroppedWordsKeepTheirOrder) {
  AugmentOptions o;
  o.copies = 10;
  o.drop = 0.5;
  o.replace = o.ngram = 0;
  for (const std::string &v : augmentTexts({kTexts[4]}, o)) {
    // A subsequence of the input's words.
    std::vector<std::string> in = words(kTexts[4]), out = words(v);
    size_t i = 0;
    for (const std::string &w : out) {
      while (i < in.size() && in[i] != w)
        ++i;
      ASSERT_LT(i, in.size()) << v;
      ++i;
    }
    EXPECT_LT(out.size(), in.size());
  }
}

TEST(Augment, ReplacementsComeFromTheCorpus) {
  AugmentOptions o;
  o.copies = 10;
  o.drop = 0;
  o.replace = 1;
  o.ngram = 0;
  std::set<std::string> vocabulary;
  for (const std::string &t : kTexts)
    for (const std::string &w : words(t))
      vocabulary.insert(w);
  std::vector<std::string> v = augmentTexts(kTexts, o);
  ASSERT_FALSE(v.empty());
  bool someWordMoved = false;
  for (const std::string &t : v) {
    for (const std::string &w : words(t))
      EXPECT_EQ(vocabulary.count(w), 1u) << w;
    someWordMoved = true;
  }
  EXPECT_TRUE(someWordMoved);
  // Replacement keeps the length.
  for (const std::string &t : augmentTexts({kTexts[0]}, o))
    EXPECT_EQ(words(t).size(), words(kTexts[0]).size()) << t;
}

TEST(Augment, NgramsAreRunsOfTheInput) {
  AugmentOptions o;
  o.copies = 30;
  o.drop = o.replace = 0;
  o.ngram = 1;
  o.maxNgram = 2;
  std::vector<std::string> v = augmentTexts({kTexts[1]}, o);
  ASSERT_FALSE(v.empty());
  for (const std::string &t : v) {
    EXPECT_LE(words(t).size(), 2u) << t;
    EXPECT_NE((" " + kTexts[1] + " ").find(" " + t + " "), std::string::npos)
        << t;
  }
}

TEST(Augment, CharactersForThai) {
  // "hello" in Thai: ส ว ั ส ด ี, four characters (วั and ดี carry marks).
  const std::string thai = "\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA"
                           "\xE0\xB8\x94\xE0\xB8\xB5";
  const std::set<std::string> runs = {
      // every run of 1 or 2 characters
      "\xE0\xB8\xAA", "\xE0\xB8\xA7\xE0\xB8\xB1", "\xE0\xB8\x94\xE0\xB8\xB5",
      "\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1", "\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA",
      "\xE0\xB8\xAA\xE0\xB8\x94\xE0\xB8\xB5"};
  AugmentOptions o;
  o.copies = 30;
  o.drop = o.replace = 0;
  o.ngram = 1;
  o.maxNgram = 2;
  o.splitCharacters = true;
  std::vector<std::string> v = augmentTexts({thai}, o);
  ASSERT_FALSE(v.empty());
  for (const std::string &t : v)
    EXPECT_EQ(runs.count(t), 1u) << t; // never a mark without its letter
  // Whitespace-mode keeps a Thai utterance whole: nothing to perturb.
  o.splitCharacters = false;
  EXPECT_TRUE(augmentTexts({thai}, o).empty());
  // Words written with spaces keep them between their code points' runs,
  // also when the code point after a space is dropped.
  std::set<std::string> possible;
  for (unsigned mask = 1; mask < 16; ++mask) {
    std::string first, second;
    if (mask & 1) first += 'a';
    if (mask & 2) first += 'b';
    if (mask & 4) second += 'c';
    if (mask & 8) second += 'd';
    possible.insert(first.empty() ? second
                    : second.empty() ? first
                                     : first + " " + second);
  }
  o.splitCharacters = true;
  o.ngram = 0;
  o.drop = 0.3;
  std::vector<std::string> dropped = augmentTexts({"ab cd"}, o);
  EXPECT_GT(dropped.size(), 3u);
  for (const std::string &t : dropped)
    EXPECT_EQ(possible.count(t), 1u) << t;
}

// Dropping and replacing characters of real Thai keeps every mark on the
// letter it was written on: each output, split the same way, is made of
// characters of the input (the old per-code-point split made new ones, a
// tone mark on another consonant).
TEST(Augment, ThaiMarksStayOnTheirLetters) {
  // "I want to listen to music" and "turn on the light" in Thai.
  const std::vector<std::string> texts = {
      "\xE0\xB8\x89\xE0\xB8\xB1\xE0\xB8\x99\xE0\xB8\x95\xE0\xB9\x89"
      "\xE0\xB8\xAD\xE0\xB8\x87\xE0\xB8\x81\xE0\xB8\xB2\xE0\xB8\xA3"
      "\xE0\xB8\x9F\xE0\xB8\xB1\xE0\xB8\x87\xE0\xB9\x80\xE0\xB8\x9E"
      "\xE0\xB8\xA5\xE0\xB8\x87",
      "\xE0\xB9\x80\xE0\xB8\x9B\xE0\xB8\xB4\xE0\xB8\x94\xE0\xB9\x84"
      "\xE0\xB8\x9F \xE0\xB8\x99\xE0\xB9\x89\xE0\xB8\xB3"};
  AugmentOptions o;
  o.copies = 200;
  o.drop = 0.3, o.replace = 0.2, o.ngram = 0.3;
  o.splitCharacters = true;
  std::vector<std::string> v = augmentTexts(texts, o);
  ASSERT_GT(v.size(), 50u);
  // Characters of the inputs: a letter followed by its marks (U+0E31,
  // U+0E33-U+0E3A, U+0E47-U+0E4E are the Thai marks these texts use).
  auto isMark = [](uint32_t cp) {
    return cp == 0x0E31 || (cp >= 0x0E33 && cp <= 0x0E3A) ||
           (cp >= 0x0E47 && cp <= 0x0E4E);
  };
  auto characters = [&](const std::string &t) {
    std::vector<std::string> out;
    for (size_t i = 0; i < t.size();) {
      size_t n = (unsigned char)t[i] < 0x80 ? 1 : 3; // ASCII or Thai
      uint32_t cp = n == 1 ? uint32_t(t[i])
                           : ((t[i] & 0x0F) << 12) | ((t[i + 1] & 0x3F) << 6) |
                                 (t[i + 2] & 0x3F);
      if (cp != ' ' && !out.empty() && isMark(cp))
        out.back() += t.substr(i, n);
      else if (cp != ' ')
        out.push_back(t.substr(i, n));
      i += n;
    }
    return out;
  };
  std::set<std::string> known;
  for (const std::string &t : texts)
    for (const std::string &c : characters(t))
      known.insert(c);
  for (const std::string &t : v) {
    ASSERT_FALSE(t.empty());
    // A leading or misplaced mark becomes a character no input has.
    for (const std::string &c : characters(t))
      EXPECT_EQ(known.count(c), 1u) << "'" << c << "' in '" << t << "'";
  }
}

TEST(Augment, BadOptionsAndTextAreErrors) {
  AugmentOptions o;
  o.drop = 1.5;
  EXPECT_NE(errorOf(kTexts, o).find("--drop is 1.5"), std::string::npos);
  o = {};
  o.ngram = -0.1;
  EXPECT_NE(errorOf(kTexts, o).find("--ngram"), std::string::npos);
  o = {};
  o.drop = 0.6;
  o.replace = 0.6;
  EXPECT_NE(errorOf(kTexts, o).find("--drop + --replace"), std::string::npos);
  o = {};
  o.maxNgram = 0;
  EXPECT_NE(errorOf(kTexts, o).find("--max-ngram is 0"), std::string::npos);
  o = {};
  o.copies = 0;
  EXPECT_NE(errorOf(kTexts, o).find("--copies is 0"), std::string::npos);
  EXPECT_NE(errorOf({"ok", "bad \xC3"}, AugmentOptions{})
                .find("utterance 2: invalid UTF-8 at byte offset 4"),
            std::string::npos);
}

} // namespace
