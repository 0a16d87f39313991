//===- SentencePieceModel.cpp - ModelProto wire-format reader -------------===//
//
// Only the protobuf wire format is needed: varints, 32/64-bit fixed fields
// and length-delimited fields. Repeated occurrences of a singular field
// follow protobuf's rules (the last scalar wins, sub-messages merge), so a
// file that libprotobuf accepts reads the same here. Fields that do not
// change encoding are skipped.
//
//===----------------------------------------------------------------------===//

#include "kdc/Tokenizer/SentencePieceModel.h"

#include "kdc/Support/Error.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

using namespace kdc;
using namespace kdc::tokenizer;

namespace {

enum WireType : uint32_t {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  Fixed32 = 5,
};

/// A cursor over one (sub-)message. Offsets in errors are from the start of
/// the whole file, which is what a hex dump shows.
class WireReader {
public:
  WireReader(std::string_view bytes, size_t base, const std::string &origin)
      : bytes_(bytes), base_(base), origin_(origin) {}

  bool done() const { return pos_ >= bytes_.size(); }

  /// Reads a tag; returns the field number and sets `wireType`.
  uint32_t tag(uint32_t &wireType) {
    size_t at = pos_;
    uint64_t t = varint();
    wireType = static_cast<uint32_t>(t & 7);
    uint64_t field = t >> 3;
    if (field == 0 || field > 0x1FFFFFFF)
      fail(at, "invalid field number " + std::to_string(field));
    return static_cast<uint32_t>(field);
  }

  uint64_t varint() {
    size_t at = pos_;
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size())
        fail(at, "truncated varint");
      uint8_t b = static_cast<uint8_t>(bytes_[pos_++]);
      value |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80))
        return value;
    }
    fail(at, "varint longer than 10 bytes");
  }

  uint32_t fixed32() {
    if (bytes_.size() - pos_ < 4)
      fail(pos_, "truncated 32-bit field");
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
      v = (v << 8) | static_cast<uint8_t>(bytes_[pos_ + i]);
    pos_ += 4;
    return v;
  }

  /// A length-delimited field; `outBase` receives its file offset.
  std::string_view bytes(size_t &outBase) {
    size_t at = pos_;
    uint64_t len = varint();
    if (len > bytes_.size() - pos_)
      fail(at, "length " + std::to_string(len) + " runs past the end");
    outBase = base_ + pos_;
    std::string_view v = bytes_.substr(pos_, len);
    pos_ += len;
    return v;
  }

  std::string_view bytes() {
    size_t ignored;
    return bytes(ignored);
  }

  void skip(uint32_t wireType) {
    switch (wireType) {
    case Varint:
      varint();
      return;
    case Fixed64:
      if (bytes_.size() - pos_ < 8)
        fail(pos_, "truncated 64-bit field");
      pos_ += 8;
      return;
    case LengthDelimited:
      bytes();
      return;
    case Fixed32:
      fixed32();
      return;
    default:
      fail(pos_, "unsupported wire type " + std::to_string(wireType));
    }
  }

  /// Checks the wire type of a known field.
  void expect(uint32_t wireType, uint32_t expected, const char *field) {
    if (wireType != expected)
      fail(pos_, std::string("field ") + field + " has wire type " +
                     std::to_string(wireType) + ", expected " +
                     std::to_string(expected));
  }

  [[noreturn]] void fail(size_t at, const std::string &message) const {
    throw Error(origin_ + ": byte " + std::to_string(base_ + at) +
                ": not a sentencepiece model: " + message);
  }

private:
  std::string_view bytes_;
  size_t base_;
  const std::string &origin_;
  size_t pos_ = 0;
};

void parsePiece(std::string_view bytes, size_t base, const std::string &origin,
                SentencePieceModel::Piece &piece) {
  WireReader r(bytes, base, origin);
  while (!r.done()) {
    uint32_t wt;
    switch (r.tag(wt)) {
    case 1:
      r.expect(wt, LengthDelimited, "SentencePiece.piece");
      piece.text = std::string(r.bytes());
      break;
    case 2: {
      r.expect(wt, Fixed32, "SentencePiece.score");
      uint32_t bits = r.fixed32();
      std::memcpy(&piece.score, &bits, sizeof bits);
      break;
    }
    case 3: {
      r.expect(wt, Varint, "SentencePiece.type");
      uint64_t type = r.varint();
      if (type < 1 || type > 6) // reported at the start of the piece
        r.fail(0, "unknown piece type " + std::to_string(type));
      piece.type = static_cast<PieceType>(type);
      break;
    }
    default:
      r.skip(wt);
    }
  }
}

void parseTrainerSpec(std::string_view bytes, size_t base,
                      const std::string &origin, SentencePieceModel &model) {
  WireReader r(bytes, base, origin);
  auto readName = [&r](std::string &field) {
    std::string value(r.bytes());
    // ModelInterface::unk_piece() etc. treat an empty name as the default.
    if (!value.empty())
      field = value;
  };
  while (!r.done()) {
    uint32_t wt;
    switch (r.tag(wt)) {
    case 3:
      r.expect(wt, Varint, "TrainerSpec.model_type");
      model.modelType = static_cast<SpmModelType>(r.varint());
      break;
    case 24:
      r.expect(wt, Varint, "TrainerSpec.treat_whitespace_as_suffix");
      model.treatWhitespaceAsSuffix = r.varint() != 0;
      break;
    case 35:
      r.expect(wt, Varint, "TrainerSpec.byte_fallback");
      model.byteFallback = r.varint() != 0;
      break;
    case 45:
      r.expect(wt, LengthDelimited, "TrainerSpec.unk_piece");
      readName(model.unkPiece);
      break;
    case 46:
      r.expect(wt, LengthDelimited, "TrainerSpec.bos_piece");
      readName(model.bosPiece);
      break;
    case 47:
      r.expect(wt, LengthDelimited, "TrainerSpec.eos_piece");
      readName(model.eosPiece);
      break;
    case 48:
      r.expect(wt, LengthDelimited, "TrainerSpec.pad_piece");
      readName(model.padPiece);
      break;
    default:
      r.skip(wt);
    }
  }
}

void parseNormalizerSpec(std::string_view bytes, size_t base,
                         const std::string &origin, SentencePieceModel &model) {
  WireReader r(bytes, base, origin);
  while (!r.done()) {
    uint32_t wt;
    switch (r.tag(wt)) {
    case 1:
      r.expect(wt, LengthDelimited, "NormalizerSpec.name");
      model.normalizerName = std::string(r.bytes());
      break;
    case 2:
      r.expect(wt, LengthDelimited, "NormalizerSpec.precompiled_charsmap");
      model.precompiledCharsmap = std::string(r.bytes());
      break;
    case 3:
      r.expect(wt, Varint, "NormalizerSpec.add_dummy_prefix");
      model.addDummyPrefix = r.varint() != 0;
      break;
    case 4:
      r.expect(wt, Varint, "NormalizerSpec.remove_extra_whitespaces");
      model.removeExtraWhitespaces = r.varint() != 0;
      break;
    case 5:
      r.expect(wt, Varint, "NormalizerSpec.escape_whitespaces");
      model.escapeWhitespaces = r.varint() != 0;
      break;
    default:
      r.skip(wt);
    }
  }
}

} // namespace

SentencePieceModel
kdc::tokenizer::parseSentencePieceModel(std::string_view bytes,
                                        const std::string &origin) {
  if (bytes.empty())
    throw Error(origin + ": not a sentencepiece model: the file is empty");
  SentencePieceModel model;
  WireReader r(bytes, 0, origin);
  while (!r.done()) {
    uint32_t wt;
    size_t base;
    switch (r.tag(wt)) {
    case 1:
      r.expect(wt, LengthDelimited, "ModelProto.pieces");
      model.pieces.emplace_back();
      {
        std::string_view piece = r.bytes(base);
        parsePiece(piece, base, origin, model.pieces.back());
      }
      break;
    case 2: {
      r.expect(wt, LengthDelimited, "ModelProto.trainer_spec");
      std::string_view spec = r.bytes(base);
      parseTrainerSpec(spec, base, origin, model);
      break;
    }
    case 3: {
      r.expect(wt, LengthDelimited, "ModelProto.normalizer_spec");
      std::string_view spec = r.bytes(base);
      parseNormalizerSpec(spec, base, origin, model);
      break;
    }
    default:
      r.skip(wt);
    }
  }
  if (model.pieces.empty())
    throw Error(origin + ": not a sentencepiece model: it has no pieces");
  return model;
}

std::string kdc::tokenizer::readFileBytes(const std::string &path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(
      std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file)
    throw Error(path + ": cannot open: " + std::strerror(errno));
  std::string data;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0)
    data.append(buffer, n);
  if (std::ferror(file.get()))
    throw Error(path + ": cannot read: " + std::strerror(errno));
  return data;
}
