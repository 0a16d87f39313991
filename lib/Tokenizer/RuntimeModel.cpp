//===- RuntimeModel.cpp - sentencepiece model -> runtime BPE blob ---------===//
//
// The checks mirror sentencepiece's ModelInterface::InitializePieces, so a
// model this builder accepts is one SentencePieceProcessor loads, and the
// special ids mirror SentencePieceProcessor::unk_id()/bos_id()/... The blob
// layout itself is documented once, in kdc/runtime/bpe.h.
//
//===----------------------------------------------------------------------===//

#include "kdc/Tokenizer/RuntimeModel.h"

#include "kdc/Support/Error.h"
#include "kdc/Tokenizer/SentencePieceModel.h"
#include "kdc/runtime/bpe.h"
#include "kdc/runtime/status.h"
#include "kdc/runtime/utf8.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <utility>

using namespace kdc;
using namespace kdc::tokenizer;

namespace {

bool isReserved(PieceType type) {
  return type == PieceType::Unknown || type == PieceType::Control ||
         type == PieceType::Byte;
}

std::string bytePiece(unsigned byte) {
  char name[8];
  std::snprintf(name, sizeof name, "<0x%02X>", byte);
  return name;
}

/// A little-endian writer into a pre-sized buffer.
class BlobWriter {
public:
  explicit BlobWriter(size_t size) : data_(size, 0) {}
  void u8(size_t at, uint8_t v) { data_[at] = v; }
  void u16(size_t at, uint16_t v) {
    data_[at] = static_cast<uint8_t>(v);
    data_[at + 1] = static_cast<uint8_t>(v >> 8);
  }
  void u32(size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i)
      data_[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  void i32(size_t at, int32_t v) { u32(at, static_cast<uint32_t>(v)); }
  void f32(size_t at, float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u32(at, bits);
  }
  void bytes(size_t at, const std::string &s) {
    std::memcpy(data_.data() + at, s.data(), s.size());
  }
  std::vector<uint8_t> take() { return std::move(data_); }
  const uint8_t *data() const { return data_.data(); }

private:
  std::vector<uint8_t> data_;
};

size_t align4(size_t x) { return (x + 3) & ~size_t(3); }

} // namespace

std::vector<uint8_t>
kdc::tokenizer::buildRuntimeModel(std::string_view spmModelBytes,
                                  const std::string &origin) {
  SentencePieceModel model = parseSentencePieceModel(spmModelBytes, origin);
  auto fail = [&origin](const std::string &message) -> Error {
    return Error(origin + ": " + message);
  };

  if (model.modelType != SpmModelType::Bpe)
    throw fail("model_type is " +
               std::to_string(static_cast<int>(model.modelType)) +
               ", expected 2 (bpe): kdc's runtime encoder implements BPE only");
  if (!model.precompiledCharsmap.empty())
    throw fail("normalization rule \"" + model.normalizerName +
               "\" is not supported: kdc's runtime encoder implements the "
               "identity rule only (train with normalization_rule_name="
               "identity)");

  const size_t numPieces = model.pieces.size();
  // Far above any vocabulary; keeps the hash table size inside 32 bits.
  if (numPieces > (size_t(1) << 24))
    throw fail("too many pieces (" + std::to_string(numPieces) + ")");

  // The two lookup maps of ModelInterface: merges only see `normal`.
  std::map<std::string, uint32_t> normal, reserved;
  int32_t unkId = -1;
  size_t maxPieceLen = 0, maxUserDefinedLen = 0, textSize = 0;
  bool byteSeen[256] = {};
  for (size_t id = 0; id < numPieces; ++id) {
    const SentencePieceModel::Piece &p = model.pieces[id];
    std::string where = "piece " + std::to_string(id);
    if (p.text.empty())
      throw fail(where + " is empty");
    if (p.text.find('\0') != std::string::npos)
      throw fail(where + " contains a NUL character");
    if (p.text.size() > 0xFFFF)
      throw fail(where + " is longer than 65535 bytes");
    if (kdc_utf8_validate(p.text.data(), p.text.size()) != p.text.size())
      throw fail(where + " is not valid UTF-8");
    auto &map = isReserved(p.type) ? reserved : normal;
    if (!map.emplace(p.text, static_cast<uint32_t>(id)).second)
      throw fail(where + " \"" + p.text + "\" is already defined");
    if (p.type == PieceType::Unknown) {
      if (unkId >= 0)
        throw fail(where + ": a second unknown piece (the first is " +
                   std::to_string(unkId) + ")");
      unkId = static_cast<int32_t>(id);
    }
    if (p.type == PieceType::Byte) {
      if (!model.byteFallback)
        throw fail(where + " is a byte piece but byte_fallback is false");
      unsigned value = 256;
      for (unsigned b = 0; b < 256; ++b)
        if (p.text == bytePiece(b))
          value = b;
      if (value == 256)
        throw fail(where + " \"" + p.text + "\" is not a valid byte piece");
      byteSeen[value] = true;
    }
    if (p.type == PieceType::UserDefined)
      maxUserDefinedLen = std::max(maxUserDefinedLen, p.text.size());
    maxPieceLen = std::max(maxPieceLen, p.text.size());
    textSize += p.text.size();
  }
  if (unkId < 0)
    throw fail("the model has no unknown piece");
  if (model.byteFallback)
    for (unsigned b = 0; b < 256; ++b)
      if (!byteSeen[b])
        throw fail("byte_fallback is true but byte piece " + bytePiece(b) +
                   " is missing");

  auto pieceToId = [&](const std::string &s) -> int32_t {
    if (auto it = reserved.find(s); it != reserved.end())
      return static_cast<int32_t>(it->second);
    if (auto it = normal.find(s); it != normal.end())
      return static_cast<int32_t>(it->second);
    return unkId;
  };
  auto controlId = [&](const std::string &name) -> int32_t {
    int32_t id = pieceToId(name);
    return model.pieces[id].type == PieceType::Control ? id : -1;
  };

  // Load factor at most 1/2 keeps probe chains short.
  uint32_t numSlots = 2;
  while (numSlots < 2 * numPieces)
    numSlots *= 2;

  const size_t piecesOffset = KDC_BPE_HEADER_SIZE;
  const size_t byteIdsOffset = piecesOffset + 12 * numPieces;
  const size_t slotsOffset = byteIdsOffset + 256 * 4;
  const size_t textOffset = slotsOffset + 4 * size_t(numSlots);
  const size_t totalSize = align4(textOffset + textSize);
  if (totalSize > 0xFFFFFFFFu)
    throw fail("the model is too large for a runtime blob");

  BlobWriter w(totalSize);
  w.bytes(0, "KBPE");
  w.u32(4, KDC_BPE_MODEL_VERSION);
  w.u32(8, static_cast<uint32_t>(totalSize));
  w.u32(16, static_cast<uint32_t>(numPieces));
  w.i32(20, unkId);
  w.i32(24, controlId(model.bosPiece));
  w.i32(28, controlId(model.eosPiece));
  w.i32(32, controlId(model.padPiece));
  uint32_t flags = 0;
  if (model.addDummyPrefix)
    flags |= KDC_BPE_FLAG_ADD_DUMMY_PREFIX;
  if (model.removeExtraWhitespaces)
    flags |= KDC_BPE_FLAG_REMOVE_EXTRA_WHITESPACES;
  if (model.escapeWhitespaces)
    flags |= KDC_BPE_FLAG_ESCAPE_WHITESPACES;
  if (model.treatWhitespaceAsSuffix)
    flags |= KDC_BPE_FLAG_TREAT_WHITESPACE_AS_SUFFIX;
  if (model.byteFallback)
    flags |= KDC_BPE_FLAG_BYTE_FALLBACK;
  w.u32(36, flags);
  w.u32(40, static_cast<uint32_t>(maxUserDefinedLen));
  w.u32(44, numSlots);
  w.u32(48, static_cast<uint32_t>(piecesOffset));
  w.u32(52, static_cast<uint32_t>(slotsOffset));
  w.u32(56, static_cast<uint32_t>(textOffset));
  w.u32(60, static_cast<uint32_t>(textSize));
  w.u32(64, static_cast<uint32_t>(maxPieceLen));
  w.u32(68, static_cast<uint32_t>(byteIdsOffset));

  std::vector<uint32_t> slots(numSlots, 0);
  size_t textAt = 0;
  for (size_t id = 0; id < numPieces; ++id) {
    const SentencePieceModel::Piece &p = model.pieces[id];
    size_t rec = piecesOffset + 12 * id;
    w.u32(rec, static_cast<uint32_t>(textAt));
    w.u16(rec + 4, static_cast<uint16_t>(p.text.size()));
    w.u8(rec + 6, static_cast<uint8_t>(p.type));
    w.f32(rec + 8, p.score);
    w.bytes(textOffset + textAt, p.text);
    textAt += p.text.size();
    uint32_t slot = kdc_bpe_hash(p.text.data(), p.text.size()) & (numSlots - 1);
    while (slots[slot] != 0)
      slot = (slot + 1) & (numSlots - 1);
    slots[slot] = static_cast<uint32_t>(id + 1);
  }
  for (uint32_t s = 0; s < numSlots; ++s)
    w.u32(slotsOffset + 4 * s, slots[s]);
  for (unsigned b = 0; b < 256; ++b)
    w.i32(byteIdsOffset + 4 * b, pieceToId(bytePiece(b)));
  w.u32(12, kdc_bpe_hash(w.data() + 16, totalSize - 16));

  std::vector<uint8_t> blob = w.take();
  // The encoder and the builder must agree; a mismatch here is a kdc bug.
  if (int status = kdc_bpe_model_check(blob.data(), blob.size());
      status != KDC_OK)
    throw fail(std::string("internal error: the built blob fails its check: ") +
               kdc_status_string(status));
  return blob;
}

std::vector<uint8_t>
kdc::tokenizer::loadRuntimeModel(const std::string &modelPath) {
  return buildRuntimeModel(readFileBytes(modelPath), modelPath);
}

BpeTokenizer::BpeTokenizer(std::vector<uint8_t> blob, const std::string &origin)
    : blob_(std::move(blob)) {
  int status = kdc_bpe_model_check(blob_.data(), blob_.size());
  kdc_bpe_model_info_t info;
  if (status == KDC_OK)
    status = kdc_bpe_model_info(blob_.data(), blob_.size(), &info);
  if (status != KDC_OK)
    throw Error(origin +
                ": not a kdc BPE runtime model: " + kdc_status_string(status));
  numPieces_ = info.num_pieces;
  unkId_ = info.unk_id;
  bosId_ = info.bos_id;
  eosId_ = info.eos_id;
  padId_ = info.pad_id;
}

BpeTokenizer BpeTokenizer::fromSentencePieceFile(const std::string &modelPath) {
  return BpeTokenizer(loadRuntimeModel(modelPath), modelPath);
}

int BpeTokenizer::encode(std::string_view utf8, std::vector<int32_t> &ids,
                         std::vector<uint8_t> &scratch) const {
  size_t need = kdc_bpe_scratch_size(utf8.size());
  if (need == SIZE_MAX)
    return KDC_ERR_TOO_MANY_TOKENS;
  if (scratch.size() < need)
    scratch.resize(need);
  ids.resize(kdc_bpe_max_ids(utf8.size()));
  int n =
      kdc_bpe_encode(blob_.data(), blob_.size(), utf8.data(), utf8.size(),
                     ids.data(), ids.size(), scratch.data(), scratch.size());
  ids.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return n < 0 ? n : KDC_OK;
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view utf8) const {
  std::vector<int32_t> ids;
  std::vector<uint8_t> scratch;
  if (int status = encode(utf8, ids, scratch); status != KDC_OK) {
    std::string message =
        std::string("cannot encode text: ") + kdc_status_string(status);
    if (status == KDC_ERR_INVALID_UTF8)
      message += " (first bad byte at offset " +
                 std::to_string(kdc_utf8_validate(utf8.data(), utf8.size())) +
                 ")";
    throw Error(message);
  }
  return ids;
}
