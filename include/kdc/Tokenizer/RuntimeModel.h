//===- RuntimeModel.h - sentencepiece model -> runtime BPE blob -*- C++ -*-===//
//
// Converts a sentencepiece BPE model into the flat blob that kdcrt's
// kdc_bpe_encode reads in place (layout in kdc/runtime/bpe.h), and wraps that
// encoder for C++ callers. Training code encodes through BpeTokenizer, which
// calls the very C function a generated library embeds, so a student never
// sees different ids at training time and on the device.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_TOKENIZER_RUNTIMEMODEL_H
#define KDC_TOKENIZER_RUNTIMEMODEL_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kdc::tokenizer {

/// Builds the runtime blob from a serialized sentencepiece ModelProto (the
/// bytes of a .model file). The model must be model_type=bpe with identity
/// normalization (no precompiled character map); it is checked as
/// sentencepiece's ModelInterface checks it when loading (non-empty unique
/// pieces, one <unk>, 256 byte pieces under byte_fallback). Throws
/// kdc::Error naming `origin` otherwise.
std::vector<uint8_t> buildRuntimeModel(std::string_view spmModelBytes,
                                       const std::string &origin = "<memory>");

/// Reads a sentencepiece .model file and builds its runtime blob. Throws
/// kdc::Error naming the file if it is missing, unreadable or not a model
/// kdc can encode with.
std::vector<uint8_t> loadRuntimeModel(const std::string &modelPath);

/// The runtime encoder over an owned blob.
class BpeTokenizer {
public:
  /// Takes a blob from buildRuntimeModel or a file; validates it fully with
  /// kdc_bpe_model_check and throws kdc::Error naming `origin` if corrupt.
  explicit BpeTokenizer(std::vector<uint8_t> blob,
                        const std::string &origin = "<memory>");

  /// Loads a sentencepiece .model file (see loadRuntimeModel).
  static BpeTokenizer fromSentencePieceFile(const std::string &modelPath);

  /// Encodes one utterance; throws kdc::Error on invalid UTF-8.
  std::vector<int32_t> encode(std::string_view utf8) const;

  /// Encodes into `ids`, reusing `scratch` across calls (both resized as
  /// needed). Returns a kdc_status (KDC_OK or negative) instead of throwing,
  /// for hot loops over a corpus.
  int encode(std::string_view utf8, std::vector<int32_t> &ids,
             std::vector<uint8_t> &scratch) const;

  const std::vector<uint8_t> &blob() const { return blob_; }
  uint32_t vocabSize() const { return numPieces_; }
  int32_t unkId() const { return unkId_; }
  int32_t bosId() const { return bosId_; }
  int32_t eosId() const { return eosId_; }
  int32_t padId() const { return padId_; }

private:
  std::vector<uint8_t> blob_;
  uint32_t numPieces_ = 0;
  int32_t unkId_ = -1, bosId_ = -1, eosId_ = -1, padId_ = -1;
};

} // namespace kdc::tokenizer

#endif // KDC_TOKENIZER_RUNTIMEMODEL_H
