//===- SentencePieceModel.h - sentencepiece .model reader -------*- C++ -*-===//
//
// A sentencepiece .model file is a serialized ModelProto. Debian's
// libsentencepiece-dev ships no generated protobuf header, and the runtime
// blob builder should not need libsentencepiece at all, so this is a small
// bounds-checked reader of the wire format for the fields that change how
// text is encoded. Field numbers and defaults follow sentencepiece_model.proto
// (proto2 defaults apply to absent fields).
//
//===----------------------------------------------------------------------===//
#ifndef KDC_TOKENIZER_SENTENCEPIECEMODEL_H
#define KDC_TOKENIZER_SENTENCEPIECEMODEL_H

#include <string>
#include <string_view>
#include <vector>

namespace kdc::tokenizer {

/// ModelProto.SentencePiece.Type.
enum class PieceType : int {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

/// TrainerSpec.ModelType.
enum class SpmModelType : int { Unigram = 1, Bpe = 2, Word = 3, Char = 4 };

/// The encoding-relevant part of a ModelProto.
struct SentencePieceModel {
  struct Piece {
    std::string text;
    float score = 0.0f;
    PieceType type = PieceType::Normal;
  };
  std::vector<Piece> pieces; // index == id

  // TrainerSpec.
  SpmModelType modelType = SpmModelType::Unigram;
  bool treatWhitespaceAsSuffix = false;
  bool byteFallback = false;
  // The names the processor resolves special ids from; an empty string in
  // the proto means the default, as ModelInterface::unk_piece() etc. do.
  std::string unkPiece = "<unk>";
  std::string bosPiece = "<s>";
  std::string eosPiece = "</s>";
  std::string padPiece = "<pad>";

  // NormalizerSpec.
  std::string normalizerName;
  std::string precompiledCharsmap; // empty for "identity"
  bool addDummyPrefix = true;
  bool removeExtraWhitespaces = true;
  bool escapeWhitespaces = true;
};

/// Parses a serialized ModelProto. Throws kdc::Error naming `origin` (a file
/// name or "<memory>") and the byte offset on malformed input.
SentencePieceModel parseSentencePieceModel(std::string_view bytes,
                                           const std::string &origin);

/// Reads a whole file; throws kdc::Error naming it if it cannot be read.
std::string readFileBytes(const std::string &path);

} // namespace kdc::tokenizer

#endif // KDC_TOKENIZER_SENTENCEPIECEMODEL_H
