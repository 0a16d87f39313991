//===- BpeTrainer.h - training sentencepiece BPE models ---------*- C++ -*-===//
//
// Trains the subword vocabulary of kdc's students with libsentencepiece, in
// the one configuration the runtime encoder (kdc/runtime/bpe.h) reproduces:
//
//   model_type=bpe, normalization_rule_name=identity, byte_fallback=true
//   (no input is ever unknown: characters outside the vocabulary become
//   <0xXY> byte pieces), split_by_whitespace / split_by_unicode_script /
//   split_by_number and the whitespace flags left at sentencepiece's
//   defaults, hard_vocab_limit=false (a small corpus yields a smaller
//   vocabulary instead of an error), one thread and a fixed seed (the same
//   corpus gives the same model bytes).
//
// Ids: <pad>=0 (so zero-filled id buffers are padding), <unk>=1, <s>=2,
// </s>=3, then the user-defined symbols in the order given, then the 256 byte
// pieces <0x00>..<0xFF> (ids 4..259 without user-defined symbols), then the
// learned merges (best first) and the base characters.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_TOKENIZER_BPETRAINER_H
#define KDC_TOKENIZER_BPETRAINER_H

#include <string>
#include <vector>

namespace kdc::tokenizer {

inline constexpr int kPadId = 0;
inline constexpr int kUnkId = 1;
inline constexpr int kBosId = 2;
inline constexpr int kEosId = 3;

struct BpeTrainOptions {
  /// Target vocabulary size, special and byte pieces included. A soft limit:
  /// a corpus too small for it yields fewer pieces.
  int vocabSize = 8000;
  /// Share of character occurrences the base alphabet must cover. 0.9995
  /// (sentencepiece's default) rather than 1.0: with byte fallback a
  /// character left out loses nothing (it becomes its UTF-8 bytes), while
  /// 1.0 would spend one vocabulary slot on every stray symbol, emoji or
  /// foreign-script character that occurs once in a crawled corpus.
  double characterCoverage = 0.9995;
  /// Pieces always kept whole (e.g. placeholders such as "<url>").
  std::vector<std::string> userDefinedSymbols;
  /// Longest sentence used for training, in bytes; longer ones are skipped
  /// (sentencepiece's max_sentence_length).
  int maxSentenceLength = 4192;
  /// Keep sentencepiece's INFO log (it goes to stderr).
  bool verbose = false;
};

/// Trains a BPE model on `utterances` (UTF-8, one utterance each) and returns
/// the serialized ModelProto, i.e. the bytes of a .model file. Throws
/// kdc::Error if sentencepiece rejects the corpus or the options.
std::string trainBpeModel(const std::vector<std::string> &utterances,
                          const BpeTrainOptions &options = {});

/// Trains as above and writes `folder`/`name`.model (creating the folder);
/// returns the path of the file written.
std::string trainBpeModelToFolder(const std::vector<std::string> &utterances,
                                  const std::string &folder,
                                  const std::string &name,
                                  const BpeTrainOptions &options = {});

/// Trains as trainBpeModelToFolder, but in a child process running the
/// `kdc-bpe-train` tool (found through $KDC_BPE_TRAIN, next to the running
/// executable, or on PATH). libsentencepiece carries its own copy of
/// protobuf, which clashes with the system protobuf that LibTorch loads, so a
/// process that links LibTorch must never load libsentencepiece. Lives in
/// KdcTokenizer, which does not link sentencepiece.
std::string trainBpeModelInChildProcess(const std::vector<std::string> &utterances,
                                        const std::string &folder,
                                        const std::string &name,
                                        const BpeTrainOptions &options = {});

} // namespace kdc::tokenizer

#endif // KDC_TOKENIZER_BPETRAINER_H
