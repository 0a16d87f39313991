/* The BPE encoder: a C port of the encoding path of sentencepiece's
 * SentencePieceProcessor::Encode for BPE models with identity normalization
 * (normalizer.cc Normalize, bpe_model.cc Encode, the byte fallback and
 * unknown-run merging of PopulateSentencePieceText). Every quirk that can
 * change an id is kept on purpose; the comments name the sentencepiece
 * behaviour each one mirrors. */
#include "kdc/runtime/bpe.h"

#include "kdc/runtime/status.h"
#include "kdc/runtime/utf8.h"

#include <string.h>

/* ---- Reading the blob: byte-wise little-endian loads, so the blob may sit
 * at any address and the code runs on big-endian targets too. ---- */

static uint32_t load_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}

static uint16_t load_u16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static int32_t load_i32(const uint8_t *p) {
  uint32_t u = load_u32(p);
  int32_t v;
  memcpy(&v, &u, sizeof v);
  return v;
}

static float load_f32(const uint8_t *p) {
  uint32_t u = load_u32(p);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

enum { PIECE_RECORD_SIZE = 12 };

/* The header fields, decoded once per call. */
typedef struct model_view {
  const uint8_t *base;
  uint32_t num_pieces;
  int32_t unk_id, bos_id, eos_id, pad_id;
  uint32_t flags;
  uint32_t max_user_defined_len;
  uint32_t slot_mask;
  const uint8_t *pieces;
  const uint8_t *slots;
  const uint8_t *text;
  uint32_t text_size;
  uint32_t max_piece_len;
  const uint8_t *byte_ids;
} model_view_t;

/* A section [offset, offset + size) must lie inside the blob and be 4-byte
 * aligned; 64-bit arithmetic so that no field value can wrap. */
static int section_ok(uint32_t offset, uint64_t size, uint32_t total) {
  return offset >= KDC_BPE_HEADER_SIZE && (offset & 3u) == 0 &&
         (uint64_t)offset + size <= total;
}

/* The O(1) check every entry point makes. Per-access bounds checks in the
 * lookups cover what it cannot see. */
static int open_model(const uint8_t *model, size_t model_size,
                      model_view_t *out_view) {
  if (model_size < KDC_BPE_HEADER_SIZE)
    return KDC_ERR_BAD_MODEL;
  if (memcmp(model, "KBPE", 4) != 0 ||
      load_u32(model + 4) != KDC_BPE_MODEL_VERSION)
    return KDC_ERR_BAD_MODEL;
  uint32_t total = load_u32(model + 8);
  if (total < KDC_BPE_HEADER_SIZE || total > model_size)
    return KDC_ERR_BAD_MODEL;
  model_view_t v;
  v.base = model;
  v.num_pieces = load_u32(model + 16);
  v.unk_id = load_i32(model + 20);
  v.bos_id = load_i32(model + 24);
  v.eos_id = load_i32(model + 28);
  v.pad_id = load_i32(model + 32);
  v.flags = load_u32(model + 36);
  v.max_user_defined_len = load_u32(model + 40);
  uint32_t num_slots = load_u32(model + 44);
  uint32_t pieces_offset = load_u32(model + 48);
  uint32_t slots_offset = load_u32(model + 52);
  uint32_t text_offset = load_u32(model + 56);
  v.text_size = load_u32(model + 60);
  v.max_piece_len = load_u32(model + 64);
  uint32_t byte_ids_offset = load_u32(model + 68);
  if (v.num_pieces == 0 || v.unk_id < 0 || (uint32_t)v.unk_id >= v.num_pieces ||
      num_slots < v.num_pieces || (num_slots & (num_slots - 1)) != 0 ||
      !section_ok(pieces_offset, (uint64_t)v.num_pieces * PIECE_RECORD_SIZE,
                  total) ||
      !section_ok(slots_offset, (uint64_t)num_slots * 4, total) ||
      !section_ok(byte_ids_offset, 256 * 4, total) ||
      text_offset < KDC_BPE_HEADER_SIZE ||
      (uint64_t)text_offset + v.text_size > total)
    return KDC_ERR_BAD_MODEL;
  v.slot_mask = num_slots - 1;
  v.pieces = model + pieces_offset;
  v.slots = model + slots_offset;
  v.text = model + text_offset;
  v.byte_ids = model + byte_ids_offset;
  *out_view = v;
  return KDC_OK;
}

/* Piece `id` (already < num_pieces): its bytes, or NULL if the record points
 * outside the text section. */
static const char *piece_text(const model_view_t *m, uint32_t id,
                              uint32_t *out_len) {
  const uint8_t *rec = m->pieces + (size_t)id * PIECE_RECORD_SIZE;
  uint32_t off = load_u32(rec);
  uint32_t len = load_u16(rec + 4);
  if ((uint64_t)off + len > m->text_size)
    return NULL;
  *out_len = len;
  return (const char *)m->text + off;
}

static int piece_type(const model_view_t *m, uint32_t id) {
  return m->pieces[(size_t)id * PIECE_RECORD_SIZE + 6];
}

static float piece_score(const model_view_t *m, uint32_t id) {
  return load_f32(m->pieces + (size_t)id * PIECE_RECORD_SIZE + 8);
}

/* sentencepiece keeps two maps: pieces_ (normal, user-defined, unused: the
 * only ones merges may produce) and reserved_id_map_ (unknown, control,
 * byte). The same string may be in both, so a lookup names its map. */
static int is_reserved_type(int type) {
  return type == KDC_BPE_PIECE_UNKNOWN || type == KDC_BPE_PIECE_CONTROL ||
         type == KDC_BPE_PIECE_BYTE;
}

/* Returns the id of s[0..n) in the chosen map, -1 if absent, or
 * KDC_ERR_BAD_MODEL (< -1) on a corrupt table. */
static int32_t lookup(const model_view_t *m, const char *s, uint32_t n,
                      uint32_t hash, int reserved) {
  if (n > m->max_piece_len)
    return -1;
  uint32_t slot = hash & m->slot_mask;
  /* A valid table always has an empty slot; the bound stops a corrupt one. */
  for (uint32_t probes = 0; probes <= m->slot_mask; ++probes) {
    uint32_t entry = load_u32(m->slots + (size_t)slot * 4);
    if (entry == 0)
      return -1;
    uint32_t id = entry - 1;
    if (id >= m->num_pieces)
      return KDC_ERR_BAD_MODEL;
    uint32_t len;
    const char *text = piece_text(m, id, &len);
    if (!text)
      return KDC_ERR_BAD_MODEL;
    if (len == n && is_reserved_type(piece_type(m, id)) == reserved &&
        memcmp(text, s, n) == 0)
      return (int32_t)id;
    slot = (slot + 1) & m->slot_mask;
  }
  return -1;
}

/* sentencepiece's ModelInterface::PieceToId. */
static int32_t piece_to_id(const model_view_t *m, const char *s, uint32_t n) {
  uint32_t hash = kdc_bpe_hash(s, n);
  int32_t id = lookup(m, s, n, hash, 1);
  if (id == -1)
    id = lookup(m, s, n, hash, 0);
  return id == -1 ? m->unk_id : id;
}

/* ---- Public helpers ---- */

uint32_t kdc_bpe_hash(const void *data, size_t size) {
  const uint8_t *p = (const uint8_t *)data;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

int kdc_bpe_model_info(const uint8_t *model, size_t model_size,
                       kdc_bpe_model_info_t *out_info) {
  if (!model || !out_info)
    return KDC_ERR_NULL_ARGUMENT;
  model_view_t m;
  int status = open_model(model, model_size, &m);
  if (status != KDC_OK)
    return status;
  out_info->num_pieces = m.num_pieces;
  out_info->unk_id = m.unk_id;
  out_info->bos_id = m.bos_id;
  out_info->eos_id = m.eos_id;
  out_info->pad_id = m.pad_id;
  out_info->flags = m.flags;
  return KDC_OK;
}

int kdc_bpe_model_check(const uint8_t *model, size_t model_size) {
  if (!model)
    return KDC_ERR_NULL_ARGUMENT;
  model_view_t m;
  int status = open_model(model, model_size, &m);
  if (status != KDC_OK)
    return status;
  uint32_t total = load_u32(model + 8);
  if (load_u32(model + 12) != kdc_bpe_hash(model + 16, total - 16))
    return KDC_ERR_BAD_MODEL;
  if (load_u32(model + 72) != 0 || load_u32(model + 76) != 0)
    return KDC_ERR_BAD_MODEL;
  if (m.flags & ~(uint32_t)0x1F)
    return KDC_ERR_BAD_MODEL;
  /* Special ids: in range (or -1), unk really unknown, the others control,
   * as SentencePieceProcessor::bos_id() etc. report them. */
  if (piece_type(&m, (uint32_t)m.unk_id) != KDC_BPE_PIECE_UNKNOWN)
    return KDC_ERR_BAD_MODEL;
  const int32_t specials[3] = {m.bos_id, m.eos_id, m.pad_id};
  for (int i = 0; i < 3; ++i) {
    if (specials[i] == -1)
      continue;
    if (specials[i] < 0 || (uint32_t)specials[i] >= m.num_pieces ||
        piece_type(&m, (uint32_t)specials[i]) != KDC_BPE_PIECE_CONTROL)
      return KDC_ERR_BAD_MODEL;
  }
  uint32_t max_len = 0, max_user_len = 0, num_unknown = 0;
  for (uint32_t id = 0; id < m.num_pieces; ++id) {
    uint32_t len;
    const char *text = piece_text(&m, id, &len);
    int type = piece_type(&m, id);
    if (!text || len == 0 || type < KDC_BPE_PIECE_NORMAL ||
        type > KDC_BPE_PIECE_BYTE || m.pieces[id * PIECE_RECORD_SIZE + 7])
      return KDC_ERR_BAD_MODEL;
    if (kdc_utf8_validate(text, len) != len)
      return KDC_ERR_BAD_MODEL;
    if (type == KDC_BPE_PIECE_UNKNOWN)
      ++num_unknown;
    if (type == KDC_BPE_PIECE_USER_DEFINED && len > max_user_len)
      max_user_len = len;
    if (len > max_len)
      max_len = len;
    /* Each piece must be findable in its own map, under its own id. */
    if (lookup(&m, text, len, kdc_bpe_hash(text, len),
               is_reserved_type(type)) != (int32_t)id)
      return KDC_ERR_BAD_MODEL;
  }
  if (num_unknown != 1 || max_len != m.max_piece_len ||
      max_user_len != m.max_user_defined_len)
    return KDC_ERR_BAD_MODEL;
  uint32_t used = 0;
  for (uint32_t slot = 0; slot <= m.slot_mask; ++slot) {
    uint32_t entry = load_u32(m.slots + (size_t)slot * 4);
    if (entry > m.num_pieces)
      return KDC_ERR_BAD_MODEL;
    used += entry != 0;
  }
  if (used != m.num_pieces)
    return KDC_ERR_BAD_MODEL;
  for (int b = 0; b < 256; ++b) {
    int32_t id = load_i32(m.byte_ids + b * 4);
    if (id < 0 || (uint32_t)id >= m.num_pieces)
      return KDC_ERR_BAD_MODEL;
  }
  return KDC_OK;
}

int kdc_bpe_piece(const uint8_t *model, size_t model_size, int32_t id,
                  const char **out_piece, size_t *out_len, float *out_score,
                  int *out_type) {
  if (!model)
    return KDC_ERR_NULL_ARGUMENT;
  model_view_t m;
  int status = open_model(model, model_size, &m);
  if (status != KDC_OK)
    return status;
  if (id < 0 || (uint32_t)id >= m.num_pieces)
    return KDC_ERR_TOKEN_RANGE;
  uint32_t len;
  const char *text = piece_text(&m, (uint32_t)id, &len);
  if (!text)
    return KDC_ERR_BAD_MODEL;
  if (out_piece)
    *out_piece = text;
  if (out_len)
    *out_len = len;
  if (out_score)
    *out_score = piece_score(&m, (uint32_t)id);
  if (out_type)
    *out_type = piece_type(&m, (uint32_t)id);
  return KDC_OK;
}

int32_t kdc_bpe_piece_to_id(const uint8_t *model, size_t model_size,
                            const char *piece, size_t len) {
  if (!model || (!piece && len > 0))
    return KDC_ERR_NULL_ARGUMENT;
  model_view_t m;
  int status = open_model(model, model_size, &m);
  if (status != KDC_OK)
    return status;
  if (len > m.max_piece_len)
    return m.unk_id;
  return piece_to_id(&m, piece ? piece : "", (uint32_t)len);
}

/* ---- Scratch layout ---- */

/* One symbol of bpe_model.cc: a span of the normalized text plus the links
 * of the doubly linked list that merges shrink. len == 0 marks a symbol
 * that was merged into its left neighbour. */
typedef struct symbol {
  uint32_t start;
  uint32_t len;
  int32_t prev;
  int32_t next;
} symbol_t;

/* A candidate merge of symbols `left` and `right`, valid while their
 * lengths still add up to `size` (the staleness test of bpe_model.cc). */
typedef struct pair {
  float score;
  int32_t left;
  int32_t right;
  uint32_t size;
} pair_t;

/* rev_merge of bpe_model.cc: when a pair that forms an unused piece enters
 * the agenda, the split is recorded; the latest record per piece wins, as
 * in the hash map it replaces. */
typedef struct split {
  int32_t id;
  uint32_t left_len;
} split_t;

typedef struct span {
  uint32_t start;
  uint32_t len;
} span_t;

typedef struct layout {
  size_t norm_cap, sym_cap, pair_cap, split_cap, stack_cap;
  size_t norm_off, sym_off, freeze_off, pair_off, split_off, stack_off;
  size_t total;
} layout_t;

static size_t align8(size_t x) { return (x + 7u) & ~(size_t)7u; }

/* Capacities for an input of n bytes. The normalized text is at most
 * 3n + 3 bytes (every space becomes the 3-byte U+2581, plus the dummy
 * prefix or suffix); every input character yields at most one normalized
 * character, so there are at most n + 1 symbols; the agenda receives at most
 * (s - 1) initial pairs plus 2 per merge, and at most s - 1 merges happen. */
static void compute_layout(size_t n, layout_t *l) {
  l->norm_cap = 3 * n + 3;
  l->sym_cap = n + 1;
  l->pair_cap = 3 * l->sym_cap;
  l->split_cap = l->pair_cap;
  l->stack_cap = l->sym_cap;
  size_t off = 0;
  l->sym_off = off;
  off += align8(l->sym_cap * sizeof(symbol_t));
  l->pair_off = off;
  off += align8(l->pair_cap * sizeof(pair_t));
  l->split_off = off;
  off += align8(l->split_cap * sizeof(split_t));
  l->stack_off = off;
  off += align8(l->stack_cap * sizeof(span_t));
  l->norm_off = off;
  off += align8(l->norm_cap);
  l->freeze_off = off;
  off += align8(l->sym_cap);
  /* Slack to align the caller's pointer to 8 bytes. */
  l->total = off + 8;
}

size_t kdc_bpe_scratch_size(size_t max_input_bytes) {
  /* The layout needs about 100 bytes per input byte; the second bound keeps
   * that product inside a 32-bit size_t. */
  if (max_input_bytes > KDC_BPE_MAX_INPUT_BYTES ||
      max_input_bytes > (SIZE_MAX - 1024) / 128)
    return SIZE_MAX;
  layout_t l;
  compute_layout(max_input_bytes, &l);
  return l.total;
}

size_t kdc_bpe_max_ids(size_t input_bytes) {
  if (input_bytes > (SIZE_MAX - 3) / 3)
    return SIZE_MAX;
  return 3 * input_bytes + 3;
}

/* ---- Encoding ---- */

typedef struct encoder {
  const model_view_t *m;
  const char *norm;
  size_t norm_len;
  symbol_t *syms;
  uint8_t *freeze;
  pair_t *heap;
  size_t heap_len, heap_cap;
  split_t *splits;
  size_t num_splits, split_cap;
  span_t *stack;
  size_t stack_cap;
  int32_t *out_ids;
  size_t max_ids, num_ids;
  int prev_unknown;
} encoder_t;

/* PrefixMatcher::PrefixMatch of normalizer.cc over the user-defined pieces:
 * the longest user-defined piece that prefixes s[0..n), looking only at the
 * first 64 matches in order of length as the Darts trie query does, else one
 * UTF-8 character. *out_found tells which. Returns < 0 on a corrupt model. */
static int32_t prefix_match(const model_view_t *m, const char *s, size_t n,
                            int *out_found) {
  *out_found = 0;
  int32_t best = 0;
  if (m->max_user_defined_len > 0) {
    size_t limit = n < m->max_user_defined_len ? n : m->max_user_defined_len;
    uint32_t h = 2166136261u;
    int matches = 0;
    for (size_t len = 1; len <= limit && matches < 64; ++len) {
      /* The hash is FNV-1a, so it extends one byte at a time. */
      h ^= (uint8_t)s[len - 1];
      h *= 16777619u;
      int32_t id = lookup(m, s, (uint32_t)len, h, 0);
      if (id < -1)
        return id;
      if (id >= 0 &&
          piece_type(m, (uint32_t)id) == KDC_BPE_PIECE_USER_DEFINED) {
        best = (int32_t)len;
        ++matches;
      }
    }
  }
  if (best > 0) {
    *out_found = 1;
    return best;
  }
  /* string_util::OneCharLen, clipped to the input. */
  static const uint8_t kCharLen[16] = {1, 1, 1, 1, 1, 1, 1, 1,
                                       1, 1, 1, 1, 2, 2, 3, 4};
  size_t len = kCharLen[(uint8_t)s[0] >> 4];
  return (int32_t)(len < n ? len : n);
}

static const char kSpaceSymbol[3] = {'\xe2', '\x96', '\x81'};

/* Normalizer::Normalize without a character map. Writes the normalized text
 * to out (capacity 3 * len + 3) and returns its length, or < 0 on a corrupt
 * model. */
static int64_t normalize(const model_view_t *m, const char *in, size_t len,
                         char *out) {
  const int remove_extra =
      (m->flags & KDC_BPE_FLAG_REMOVE_EXTRA_WHITESPACES) != 0;
  const int escape = (m->flags & KDC_BPE_FLAG_ESCAPE_WHITESPACES) != 0;
  const int dummy = (m->flags & KDC_BPE_FLAG_ADD_DUMMY_PREFIX) != 0;
  const int as_suffix =
      (m->flags & KDC_BPE_FLAG_TREAT_WHITESPACE_AS_SUFFIX) != 0;
  const char *ws = escape ? kSpaceSymbol : " ";
  const size_t ws_len = escape ? 3 : 1;
  size_t pos = 0, o = 0;
  int found;

  /* Leading spaces go, where "space" is a one-byte NormalizePrefix result
   * " " (a user-defined piece that starts with a space is no space). */
  if (remove_extra) {
    while (pos < len && in[pos] == ' ') {
      int32_t n = prefix_match(m, in + pos, len - pos, &found);
      if (n < 0)
        return n;
      if (n != 1)
        break;
      ++pos;
    }
  }
  if (pos == len)
    return 0;

  if (!as_suffix && dummy) {
    memcpy(out + o, ws, ws_len);
    o += ws_len;
  }
  int prev_space = remove_extra;
  while (pos < len) {
    int32_t n = prefix_match(m, in + pos, len - pos, &found);
    if (n < 0)
      return n;
    const char *sp = in + pos;
    size_t sp_len = (size_t)n;
    /* Spaces right after a space go (a user-defined match is trimmed too). */
    while (prev_space && sp_len > 0 && sp[0] == ' ')
      ++sp, --sp_len;
    if (sp_len > 0) {
      for (size_t i = 0; i < sp_len; ++i) {
        if (escape && sp[i] == ' ') {
          memcpy(out + o, kSpaceSymbol, 3);
          o += 3;
        } else {
          out[o++] = sp[i];
        }
      }
      prev_space = sp[sp_len - 1] == ' ';
    }
    pos += (size_t)n;
    if (!remove_extra)
      prev_space = 0;
  }

  /* Trailing whitespace goes, byte-wise: this also strips a literal U+2581
   * of the input, and the dummy prefix if nothing else is left. */
  if (remove_extra)
    while (o >= ws_len && memcmp(out + o - ws_len, ws, ws_len) == 0)
      o -= ws_len;

  if (as_suffix && dummy) {
    memcpy(out + o, ws, ws_len);
    o += ws_len;
  }
  return (int64_t)o;
}

/* The agenda is a binary max-heap under SymbolPairComparator: higher score
 * first, then the leftmost pair. */
static int pair_before(const pair_t *a, const pair_t *b) {
  return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void heap_push(encoder_t *e, pair_t p) {
  size_t i = e->heap_len++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!pair_before(&p, &e->heap[parent]))
      break;
    e->heap[i] = e->heap[parent];
    i = parent;
  }
  e->heap[i] = p;
}

static pair_t heap_pop(encoder_t *e) {
  pair_t top = e->heap[0];
  pair_t last = e->heap[--e->heap_len];
  size_t n = e->heap_len, i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n)
      break;
    if (child + 1 < n && pair_before(&e->heap[child + 1], &e->heap[child]))
      ++child;
    if (!pair_before(&e->heap[child], &last))
      break;
    e->heap[i] = e->heap[child];
    i = child;
  }
  if (n > 0)
    e->heap[i] = last;
  return top;
}

/* MaybeAddNewSymbolPair of bpe_model.cc. */
static int maybe_add_pair(encoder_t *e, int32_t left, int32_t right) {
  if (left < 0 || right < 0 || e->freeze[left] || e->freeze[right])
    return KDC_OK;
  const symbol_t *l = &e->syms[left];
  uint32_t size = l->len + e->syms[right].len;
  const char *piece = e->norm + l->start;
  int32_t id = lookup(e->m, piece, size, kdc_bpe_hash(piece, size), 0);
  if (id < -1)
    return id;
  if (id < 0)
    return KDC_OK;
  if (e->heap_len == e->heap_cap)
    return KDC_ERR_WORKSPACE; /* unreachable: see compute_layout */
  pair_t p = {piece_score(e->m, (uint32_t)id), left, right, size};
  heap_push(e, p);
  if (piece_type(e->m, (uint32_t)id) == KDC_BPE_PIECE_UNUSED) {
    if (e->num_splits == e->split_cap)
      return KDC_ERR_WORKSPACE; /* unreachable: one record per push */
    split_t s = {id, l->len};
    e->splits[e->num_splits++] = s;
  }
  return KDC_OK;
}

static int emit(encoder_t *e, int32_t id) {
  if (e->num_ids == e->max_ids)
    return KDC_ERR_BUFFER_TOO_SMALL;
  e->out_ids[e->num_ids++] = id;
  return KDC_OK;
}

/* One (piece, id) of the model's output, as PopulateSentencePieceText turns
 * it into ids: control ids pass through, an unknown piece becomes its bytes
 * under byte fallback, and otherwise a run of unknown pieces becomes one
 * unknown id. */
static int emit_piece(encoder_t *e, const char *piece, uint32_t len,
                      int32_t id) {
  int type = piece_type(e->m, (uint32_t)id);
  int unknown = type == KDC_BPE_PIECE_UNKNOWN;
  int status = KDC_OK;
  if (type == KDC_BPE_PIECE_CONTROL) {
    status = emit(e, id);
  } else if (unknown && (e->m->flags & KDC_BPE_FLAG_BYTE_FALLBACK)) {
    for (uint32_t i = 0; i < len && status == KDC_OK; ++i) {
      int32_t byte_id =
          load_i32(e->m->byte_ids + (size_t)(uint8_t)piece[i] * 4);
      if (byte_id < 0 || (uint32_t)byte_id >= e->m->num_pieces)
        return KDC_ERR_BAD_MODEL;
      status = emit(e, byte_id);
    }
  } else if (!(unknown && e->prev_unknown)) {
    status = emit(e, id);
  }
  e->prev_unknown = unknown;
  return status;
}

/* The resegment lambda of bpe_model.cc, with an explicit stack: an unused
 * piece is replaced by the two symbols that formed it, recursively. */
static int resegment(encoder_t *e, uint32_t start, uint32_t len) {
  size_t top = 0;
  span_t root = {start, len};
  e->stack[top++] = root;
  while (top > 0) {
    span_t w = e->stack[--top];
    const char *piece = e->norm + w.start;
    int32_t id = piece_to_id(e->m, piece, w.len);
    if (id < 0)
      return id;
    if (piece_type(e->m, (uint32_t)id) == KDC_BPE_PIECE_UNUSED) {
      const split_t *found = NULL;
      for (size_t i = e->num_splits; i-- > 0;) {
        if (e->splits[i].id == id) {
          found = &e->splits[i];
          break;
        }
      }
      if (found && found->left_len > 0 && found->left_len < w.len) {
        if (top + 2 > e->stack_cap)
          return KDC_ERR_WORKSPACE; /* unreachable: see compute_layout */
        span_t right = {w.start + found->left_len, w.len - found->left_len};
        span_t left = {w.start, found->left_len};
        e->stack[top++] = right;
        e->stack[top++] = left;
        continue;
      }
    }
    int status = emit_piece(e, piece, w.len, id);
    if (status != KDC_OK)
      return status;
  }
  return KDC_OK;
}

int kdc_bpe_encode(const uint8_t *model, size_t model_size, const char *utf8,
                   size_t len, int32_t *out_ids, size_t max_ids, void *scratch,
                   size_t scratch_bytes) {
  if (!model || (!utf8 && len > 0) || (!out_ids && max_ids > 0))
    return KDC_ERR_NULL_ARGUMENT;
  model_view_t m;
  int status = open_model(model, model_size, &m);
  if (status != KDC_OK)
    return status;
  size_t need = kdc_bpe_scratch_size(len);
  if (need == SIZE_MAX)
    return KDC_ERR_TOO_MANY_TOKENS;
  if (kdc_utf8_validate(utf8, len) != len)
    return KDC_ERR_INVALID_UTF8;
  if (!scratch || scratch_bytes < need)
    return KDC_ERR_WORKSPACE;
  layout_t l;
  compute_layout(len, &l);
  uint8_t *base = (uint8_t *)scratch;
  base += (8u - ((uintptr_t)base & 7u)) & 7u;

  encoder_t e;
  e.m = &m;
  e.syms = (symbol_t *)(void *)(base + l.sym_off);
  e.heap = (pair_t *)(void *)(base + l.pair_off);
  e.heap_len = 0;
  e.heap_cap = l.pair_cap;
  e.splits = (split_t *)(void *)(base + l.split_off);
  e.num_splits = 0;
  e.split_cap = l.split_cap;
  e.stack = (span_t *)(void *)(base + l.stack_off);
  e.stack_cap = l.stack_cap;
  e.freeze = base + l.freeze_off;
  e.out_ids = out_ids;
  e.max_ids = max_ids;
  e.num_ids = 0;
  e.prev_unknown = 0;

  char *norm = (char *)(base + l.norm_off);
  int64_t norm_len = normalize(&m, utf8, len, norm);
  if (norm_len < 0)
    return (int)norm_len;
  e.norm = norm;
  e.norm_len = (size_t)norm_len;
  if (norm_len == 0)
    return 0;

  /* Split into characters, user-defined pieces frozen as single symbols. */
  size_t num_syms = 0;
  for (size_t pos = 0; pos < e.norm_len;) {
    int found;
    int32_t n = prefix_match(&m, norm + pos, e.norm_len - pos, &found);
    if (n < 0)
      return n;
    if (num_syms == l.sym_cap)
      return KDC_ERR_WORKSPACE; /* unreachable: see compute_layout */
    symbol_t s = {(uint32_t)pos, (uint32_t)n, (int32_t)num_syms - 1,
                  (int32_t)num_syms + 1};
    e.syms[num_syms] = s;
    e.freeze[num_syms] = (uint8_t)found;
    ++num_syms;
    pos += (size_t)n;
  }
  e.syms[num_syms - 1].next = -1;

  for (size_t i = 1; i < num_syms; ++i) {
    status = maybe_add_pair(&e, (int32_t)i - 1, (int32_t)i);
    if (status != KDC_OK)
      return status;
  }

  while (e.heap_len > 0) {
    pair_t top = heap_pop(&e);
    symbol_t *left = &e.syms[top.left];
    symbol_t *right = &e.syms[top.right];
    if (left->len == 0 || right->len == 0 || left->len + right->len != top.size)
      continue; /* stale: one side was merged since */
    left->len += right->len;
    left->next = right->next;
    if (right->next >= 0)
      e.syms[right->next].prev = top.left;
    right->len = 0;
    status = maybe_add_pair(&e, left->prev, top.left);
    if (status == KDC_OK)
      status = maybe_add_pair(&e, top.left, left->next);
    if (status != KDC_OK)
      return status;
  }

  for (int32_t i = 0; i != -1; i = e.syms[i].next) {
    status = resegment(&e, e.syms[i].start, e.syms[i].len);
    if (status != KDC_OK)
      return status;
  }
  return (int)e.num_ids;
}
