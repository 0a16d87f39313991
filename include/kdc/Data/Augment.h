//===- Augment.h - more unlabelled text for distillation --------*- C++ -*-===//
//
// A distilled student learns only what the teacher shows it, so the transfer
// set's size bounds it (bench/cnn-kd: the CNN student's gap to the teacher
// shrinks with every fraction of the pool up to 100%). Tang et al. (2019,
// "Distilling Task-Specific Knowledge from BERT into Simple Neural
// Networks", section 3.3) enlarge it with perturbed copies of the in-domain
// utterances, which the teacher then labels like any other text:
//
//   - masking: each word, with probability `drop`, is removed (their teacher
//     had a [MASK] token; a kdc teacher has none, and a removed word is the
//     nearest perturbation it has seen);
//   - replacement: otherwise, with probability `replace`, the word becomes
//     one drawn from the corpus's own word frequencies (their POS-guided
//     replacement, without a tagger);
//   - n-gram sampling: with probability `ngram`, only a random run of
//     1..maxNgram words is kept.
//
// Words are the runs between Unicode White_Space, as the pQRNN projection
// splits them, or characters (`splitCharacters`, for Thai): ICU's extended
// grapheme clusters, a letter with the vowel and tone marks written on it,
// so no perturbation moves a mark onto another letter. The result is
// deterministic for a seed on every platform (its own generator, no std
// distributions; the clusters follow the ICU release's Unicode version),
// never empty, never an input utterance, never twice.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_DATA_AUGMENT_H
#define KDC_DATA_AUGMENT_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kdc {

struct AugmentOptions {
  /// Variants tried per utterance; duplicates and empties are dropped, so
  /// fewer may be written.
  unsigned copies = 4;
  double drop = 0.1;
  double replace = 0.1;
  double ngram = 0.25;
  unsigned maxNgram = 5;
  bool splitCharacters = false;
  uint64_t seed = 1;
};

struct AugmentStats {
  size_t inputs = 0;
  size_t written = 0;
  /// Variants dropped because they equalled an input or an earlier variant.
  size_t duplicates = 0;
  /// Variants dropped because every word was removed.
  size_t empty = 0;
};

/// The variants of `texts` (valid UTF-8), in input order. Throws kdc::Error
/// on options out of range (probabilities outside [0, 1], maxNgram 0).
std::vector<std::string> augmentTexts(const std::vector<std::string> &texts,
                                      const AugmentOptions &options,
                                      AugmentStats *stats = nullptr);

} // namespace kdc

#endif // KDC_DATA_AUGMENT_H
