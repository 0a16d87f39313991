/* kdc runtime: the BPE subword encoder.
 *
 * The one encoder that turns an utterance into token ids, in training (lib/
 * Train links it) and in every generated library alike. It reproduces
 * sentencepiece's BPE encoding (SentencePieceProcessor::Encode with a
 * model_type=bpe model) id for id, for models whose normalization rule is
 * "identity" (no precompiled character map): the NormalizerSpec flags
 * add_dummy_prefix, remove_extra_whitespaces and escape_whitespaces, the
 * TrainerSpec flag treat_whitespace_as_suffix, user-defined symbols, unused
 * pieces (resegmentation), unknown-run merging and byte fallback.
 *
 * The model is a flat, position-independent, little-endian byte blob (built
 * from a sentencepiece .model by kdc::tokenizer::buildRuntimeModel) that the
 * encoder reads in place, so a generated library can embed it as a const
 * array of any alignment. No malloc, no globals: all working memory is the
 * caller's scratch buffer.
 *
 * Blob layout, version 1 (all integers little-endian, all offsets from the
 * start of the blob, every section 4-byte aligned):
 *
 *   offset size  field
 *   0      4     magic "KBPE"
 *   4      4     u32 version (KDC_BPE_MODEL_VERSION)
 *   8      4     u32 total_size: size of the blob in bytes
 *   12     4     u32 checksum: kdc_bpe_hash of bytes [16, total_size)
 *   16     4     u32 num_pieces (ids are 0 .. num_pieces-1)
 *   20     4     i32 unk_id   (always a KDC_BPE_PIECE_UNKNOWN piece)
 *   24     4     i32 bos_id   (-1 if the model has none)
 *   28     4     i32 eos_id   (-1 if none)
 *   32     4     i32 pad_id   (-1 if none)
 *   36     4     u32 flags (KDC_BPE_FLAG_*)
 *   40     4     u32 max_user_defined_len: longest user-defined piece, bytes
 *   44     4     u32 num_slots: hash table size, a power of two
 *   48     4     u32 pieces_offset: num_pieces records of 12 bytes:
 *                  u32 text offset (into the text section), u16 length,
 *                  u8 type (kdc_bpe_piece_type_t), u8 zero, f32 score
 *   52     4     u32 slots_offset: num_slots u32 entries, piece id + 1 or 0
 *                  for an empty slot; open addressing, linear probing from
 *                  kdc_bpe_hash(piece) & (num_slots - 1)
 *   56     4     u32 text_offset: the UTF-8 bytes of all pieces, unterminated
 *   60     4     u32 text_size
 *   64     4     u32 max_piece_len: longest piece of any type, bytes
 *   68     4     u32 byte_ids_offset: 256 i32, the id emitted for each byte
 *                  under byte fallback (sentencepiece's PieceToId("<0xXY>"))
 *   72     8     zero (reserved)
 *   80 ...       sections
 */
#ifndef KDC_RUNTIME_BPE_H
#define KDC_RUNTIME_BPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KDC_BPE_MODEL_VERSION 1u
#define KDC_BPE_HEADER_SIZE 80u

/* Longest input kdc_bpe_encode accepts, in bytes. Far above any utterance;
 * it keeps every offset and count inside 32 bits. */
#define KDC_BPE_MAX_INPUT_BYTES (1u << 26)

/* Normalizer and trainer flags copied from the sentencepiece model. */
#define KDC_BPE_FLAG_ADD_DUMMY_PREFIX 0x1u
#define KDC_BPE_FLAG_REMOVE_EXTRA_WHITESPACES 0x2u
#define KDC_BPE_FLAG_ESCAPE_WHITESPACES 0x4u
#define KDC_BPE_FLAG_TREAT_WHITESPACE_AS_SUFFIX 0x8u
#define KDC_BPE_FLAG_BYTE_FALLBACK 0x10u

/* Piece types, numbered as sentencepiece's ModelProto.SentencePiece.Type. */
typedef enum kdc_bpe_piece_type {
  KDC_BPE_PIECE_NORMAL = 1,
  KDC_BPE_PIECE_UNKNOWN = 2,
  KDC_BPE_PIECE_CONTROL = 3,
  KDC_BPE_PIECE_USER_DEFINED = 4,
  KDC_BPE_PIECE_UNUSED = 5,
  KDC_BPE_PIECE_BYTE = 6
} kdc_bpe_piece_type_t;

typedef struct kdc_bpe_model_info {
  uint32_t num_pieces;
  int32_t unk_id;
  int32_t bos_id;
  int32_t eos_id;
  int32_t pad_id;
  uint32_t flags;
} kdc_bpe_model_info_t;

/* 32-bit FNV-1a of data[0..size). The piece hash table and the blob checksum
 * use it; exposed so that the blob builder hashes exactly as the encoder. */
uint32_t kdc_bpe_hash(const void *data, size_t size);

/* Full validation of a model blob: header, section bounds, every piece
 * record, the byte-id table, the hash table and the checksum. O(model size);
 * call it once when a blob comes from outside (a file), not per utterance.
 * Returns KDC_OK, KDC_ERR_NULL_ARGUMENT or KDC_ERR_BAD_MODEL. */
int kdc_bpe_model_check(const uint8_t *model, size_t model_size);

/* Reads the header after an O(1) sanity check (as kdc_bpe_encode does).
 * Returns KDC_OK, KDC_ERR_NULL_ARGUMENT or KDC_ERR_BAD_MODEL. */
int kdc_bpe_model_info(const uint8_t *model, size_t model_size,
                       kdc_bpe_model_info_t *out_info);

/* The piece with id `id`: its UTF-8 bytes (not NUL-terminated), score and
 * type. Any out pointer may be NULL. Returns KDC_OK, KDC_ERR_TOKEN_RANGE,
 * KDC_ERR_NULL_ARGUMENT or KDC_ERR_BAD_MODEL. */
int kdc_bpe_piece(const uint8_t *model, size_t model_size, int32_t id,
                  const char **out_piece, size_t *out_len, float *out_score,
                  int *out_type);

/* sentencepiece's PieceToId: the id of a control, unknown or byte piece
 * spelled `piece`, else of a normal, user-defined or unused one, else the
 * unknown id. Returns a negative kdc_status on a NULL or bad model. */
int32_t kdc_bpe_piece_to_id(const uint8_t *model, size_t model_size,
                            const char *piece, size_t len);

/* Scratch bytes kdc_bpe_encode needs for inputs of up to max_input_bytes
 * bytes, for any model (about 100 bytes per input byte). SIZE_MAX when
 * max_input_bytes > KDC_BPE_MAX_INPUT_BYTES or, on 32-bit targets, when the
 * size would not fit in a size_t. */
size_t kdc_bpe_scratch_size(size_t max_input_bytes);

/* An upper bound on the ids an input of input_bytes bytes can produce
 * (3 * input_bytes + 3: byte fallback emits one id per byte, and a space
 * becomes the 3-byte U+2581). */
size_t kdc_bpe_max_ids(size_t input_bytes);

/* Encodes utf8[0..len) into out_ids[0..max_ids) exactly as sentencepiece's
 * SentencePieceProcessor::Encode(text, &ids) does; no BOS/EOS are added.
 * `scratch` (any alignment) must hold kdc_bpe_scratch_size(len) bytes; it is
 * clobbered. Returns the number of ids (0 for an empty or all-space input),
 * or KDC_ERR_NULL_ARGUMENT (model, out_ids with max_ids > 0, or utf8 with
 * len > 0 is NULL), KDC_ERR_BAD_MODEL, KDC_ERR_INVALID_UTF8,
 * KDC_ERR_TOO_MANY_TOKENS (kdc_bpe_scratch_size(len) is SIZE_MAX),
 * KDC_ERR_WORKSPACE
 * (scratch NULL or too small) or KDC_ERR_BUFFER_TOO_SMALL (more ids than
 * max_ids; out_ids then holds the first max_ids).
 *
 * The model gets an O(1) header check per call and every table access is
 * bounds-checked, so a corrupt blob yields KDC_ERR_BAD_MODEL or wrong ids,
 * never an out-of-bounds access; kdc_bpe_model_check catches the rest.
 *
 * Cost, for n symbols (characters) after normalization: O(n log n) heap
 * operations for the merges, each pair lookup hashing a piece of at most
 * max_piece_len bytes; O(n * max_user_defined_len) for user-defined symbol
 * matching; resegmenting unused pieces adds O(n) per unused piece hit. */
int kdc_bpe_encode(const uint8_t *model, size_t model_size, const char *utf8,
                   size_t len, int32_t *out_ids, size_t max_ids, void *scratch,
                   size_t scratch_bytes);

#ifdef __cplusplus
}
#endif

#endif /* KDC_RUNTIME_BPE_H */
