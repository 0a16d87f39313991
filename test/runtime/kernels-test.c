/* Tests of the runtime kernels (runtime/src/f32-*), plain C11 so that the
 * same program runs natively and, cross-compiled, under qemu-aarch64.
 *
 * Driven by the variant tables that the X-macro lists generate: every
 * variant is checked against the scalar one (and the scalar one against a
 * naive double-precision reference written from the op semantics of
 * StudentOps.td), on shapes equal to, below, above and multiples of each
 * register tile, odd channel counts, every count 0..T+1, fixed seeds. Float
 * paths use the named tolerances below and the KDC_*_MAX_ERROR constants of
 * kernels.h; copies and max-pooling must be bit-exact. A variant this CPU
 * cannot run prints SKIP. Exit status: 0 if nothing failed. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdc/runtime/kernels.h"

/* Float accumulation error of a dot product, relative to sum |a_i b_i|: a
 * few units of sqrt(length) * FLT_EPSILON for the lengths tested here. */
#define KDC_TEST_DOT_REL_ERROR 2e-5f
/* Softmax, layer norm and attention pooling: a handful of roundings. */
#define KDC_TEST_NORM_REL_ERROR 2e-5f

/*===------------------------------------------------------------------===*
 * Harness
 *===------------------------------------------------------------------===*/

typedef struct test_state {
  int failures;
  int checks;
} test_state_t;

typedef struct rng {
  uint64_t s;
} rng_t;

static uint32_t rng_next(rng_t *r) {
  /* splitmix64 */
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static float rng_uniform(rng_t *r, float lo, float hi) {
  return lo + (hi - lo) * ((float)(rng_next(r) >> 8) * (1.0f / 16777216.0f));
}

static void fill(rng_t *r, float *p, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++)
    p[i] = rng_uniform(r, lo, hi);
}

static void *xalloc(size_t n) {
  void *p = calloc(n ? n : 1, 1);
  if (p == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

static float *falloc(size_t n) { return (float *)xalloc(n * sizeof(float)); }

#define SENTINEL 12345.0f

/* Reports the first few mismatches of one check; returns 1 if it failed. */
static int fail(test_state_t *st, const char *what) {
  st->failures++;
  if (st->failures <= 20)
    fprintf(stderr, "FAIL %s\n", what);
  return 1;
}

static int close_to(float got, float want, float tol) {
  if (isnan(want))
    return isnan(got);
  if (isinf(want))
    return got == want;
  return fabsf(got - want) <= tol;
}

static const char *activation_name(kdc_activation_t a) {
  static const char *const names[] = {"none", "relu", "tanh", "sigmoid", "gelu", "gelu_tanh"};
  return (unsigned)a < 6 ? names[a] : "?";
}

/* Tolerance of an activation in a vector variant against libm, for inputs
 * of magnitude up to |x|. */
static float activation_tol(kdc_activation_t a, float x) {
  switch (a) {
  case KDC_ACTIVATION_NONE:
  case KDC_ACTIVATION_RELU:
    return 0.0f;
  case KDC_ACTIVATION_TANH:
    return KDC_TANH_MAX_ERROR;
  case KDC_ACTIVATION_SIGMOID:
    return KDC_SIGMOID_MAX_ERROR;
  case KDC_ACTIVATION_GELU:
  case KDC_ACTIVATION_GELU_TANH:
    return KDC_GELU_MAX_REL_ERROR * fmaxf(1.0f, fabsf(x));
  }
  return 0.0f;
}

static float ref_activate(double x, kdc_activation_t a) {
  switch (a) {
  case KDC_ACTIVATION_NONE:
    return (float)x;
  case KDC_ACTIVATION_RELU:
    return x > 0 ? (float)x : 0.0f;
  case KDC_ACTIVATION_TANH:
    return (float)tanh(x);
  case KDC_ACTIVATION_SIGMOID:
    return (float)(1.0 / (1.0 + exp(-x)));
  case KDC_ACTIVATION_GELU:
    return (float)(0.5 * x * (1.0 + erf(x / sqrt(2.0))));
  case KDC_ACTIVATION_GELU_TANH:
    return (float)(0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x))));
  }
  return (float)x;
}

/*===------------------------------------------------------------------===*
 * Packing and tile choice
 *===------------------------------------------------------------------===*/

static void test_pack(test_state_t *st) {
  enum { COUT = 5, CIN = 3, K = 2, NR = 4 };
  float w[COUT * CIN * K];
  for (size_t i = 0; i < COUT * CIN * K; i++)
    w[i] = (float)(i + 1);
  const size_t size = kdc_f32_conv_packed_size(COUT, CIN, K, NR);
  if (size != 2 * NR * CIN * K)
    fail(st, "pack: packed size");
  float packed[2 * NR * CIN * K];
  kdc_f32_conv_pack(COUT, CIN, K, NR, w, packed);
  for (size_t p = 0; p < 2; p++)
    for (size_t k = 0; k < K; k++)
      for (size_t c = 0; c < CIN; c++)
        for (size_t j = 0; j < NR; j++) {
          const size_t o = p * NR + j;
          const float want = o < COUT ? w[(o * CIN + c) * K + k] : 0.0f;
          st->checks++;
          if (packed[((p * K + k) * CIN + c) * NR + j] != want) {
            fail(st, "pack: panel layout");
            return;
          }
        }
  if (kdc_f32_dense_packed_size(60, 2500, 24) != 72 * 2500)
    fail(st, "pack: dense packed size");

  /* The tile chooser returns a width its ISA runs, and the expected one on
   * the shapes the tile table was designed for. */
  const kdc_isa_t isas[] = {KDC_ISA_SCALAR, KDC_ISA_AVX2_FMA, KDC_ISA_NEON,
                            KDC_ISA_AVX512F};
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++)
    for (size_t cout = 1; cout <= 130; cout += 3)
      for (size_t rows = 1; rows <= 40; rows += 7) {
        st->checks++;
        if (!kdc_isa_supports_tile_n(isas[i], kdc_f32_conv_choose_tile_n(isas[i], cout, 64, 3, rows)))
          fail(st, "tile chooser: unsupported width");
      }
  if (kdc_f32_conv_choose_tile_n(KDC_ISA_AVX2_FMA, 500, 300, 6, 27) != 24)
    fail(st, "tile chooser: S-server (500 filters) should use 4x24");
  if (kdc_f32_conv_choose_tile_n(KDC_ISA_AVX2_FMA, 128, 64, 3, 30) != 16)
    fail(st, "tile chooser: S-edge (128 filters) should use 6x16");
  if (kdc_f32_conv_choose_tile_n(KDC_ISA_AVX512F, 500, 300, 6, 27) != 48)
    fail(st, "tile chooser: S-server on AVX-512 should use 8x48");
  if (kdc_f32_conv_choose_tile_n(KDC_ISA_AVX512F, 128, 64, 3, 30) != 32)
    fail(st, "tile chooser: S-edge on AVX-512 should use 8x32");
  if (kdc_f32_conv_choose_tile_n(KDC_ISA_SCALAR, 500, 300, 6, 27) != 4)
    fail(st, "tile chooser: scalar uses 4x4");
  printf("PASS pack and tile choice\n");
}

/*===------------------------------------------------------------------===*
 * Conv bank
 *===------------------------------------------------------------------===*/

typedef struct conv_branch_spec {
  size_t k, cout, pl, pr;
} conv_branch_spec_t;

#define MAX_BRANCHES 6

typedef struct conv_case {
  size_t rows, cin, stride, num_branches;
  conv_branch_spec_t spec[MAX_BRANCHES];
  float *x;                        /* [rows, stride] */
  float *w[MAX_BRANCHES];          /* [cout, cin, k] */
  float *bias[MAX_BRANCHES];       /* [cout] or NULL */
  size_t total_out;
} conv_case_t;

/* Naive reference in double, straight from the conv_bank description;
 * out_mag[o] = max over pooled rows of sum |x w| + |b| (the error scale). */
static void ref_convbank(const conv_case_t *cc, size_t count,
                         kdc_activation_t act, float *out, float *out_mag) {
  const size_t n = count < cc->rows ? count : cc->rows;
  size_t off = 0;
  for (size_t bi = 0; bi < cc->num_branches; bi++) {
    const conv_branch_spec_t *b = &cc->spec[bi];
    const long total = (long)(cc->rows + b->pl + b->pr) - (long)b->k + 1;
    long pooled = (long)(n + b->pl + b->pr) - (long)b->k + 1;
    if (pooled < 1)
      pooled = 1;
    if (pooled > total)
      pooled = total;
    for (size_t o = 0; o < b->cout; o++) {
      double best = -INFINITY, mag = 0;
      for (long t = 0; t < pooled; t++) {
        double s = cc->bias[bi] ? cc->bias[bi][o] : 0.0;
        double m = fabs(s);
        for (size_t k = 0; k < b->k; k++) {
          const long tt = t + (long)k - (long)b->pl;
          if (tt < 0 || tt >= (long)cc->rows)
            continue;
          for (size_t c = 0; c < cc->cin; c++) {
            const double p = (double)cc->x[(size_t)tt * cc->stride + c] *
                             (double)cc->w[bi][(o * cc->cin + c) * b->k + k];
            s += p;
            m += fabs(p);
          }
        }
        best = s > best ? s : best;
        mag = m > mag ? m : mag;
      }
      out[off + o] = ref_activate(best, act);
      out_mag[off + o] = (float)mag;
    }
    off += b->cout;
  }
}

static void conv_case_init(conv_case_t *cc, rng_t *r, size_t rows, size_t cin,
                           size_t stride_pad, size_t nb,
                           const conv_branch_spec_t *spec, int with_bias) {
  memset(cc, 0, sizeof *cc);
  cc->rows = rows;
  cc->cin = cin;
  cc->stride = cin + stride_pad;
  cc->num_branches = nb;
  cc->x = falloc(rows * cc->stride);
  fill(r, cc->x, rows * cc->stride, -1.0f, 1.0f);
  for (size_t i = 0; i < nb; i++) {
    cc->spec[i] = spec[i];
    cc->w[i] = falloc(spec[i].cout * cin * spec[i].k);
    fill(r, cc->w[i], spec[i].cout * cin * spec[i].k, -0.5f, 0.5f);
    if (with_bias) {
      cc->bias[i] = falloc(spec[i].cout);
      fill(r, cc->bias[i], spec[i].cout, -0.5f, 0.5f);
    }
    cc->total_out += spec[i].cout;
  }
}

static void conv_case_free(conv_case_t *cc) {
  free(cc->x);
  for (size_t i = 0; i < cc->num_branches; i++) {
    free(cc->w[i]);
    free(cc->bias[i]);
  }
}

/* Packs the case's weights with `tile_n` per branch (0: the width `isa`'s
 * chooser picks) into out_branches; returns the packed blobs to free. */
static float **pack_case(const conv_case_t *cc, kdc_isa_t isa, size_t tile_n,
                         kdc_f32_convbank_branch_t *out_branches) {
  float **blobs = (float **)xalloc(cc->num_branches * sizeof(float *));
  for (size_t i = 0; i < cc->num_branches; i++) {
    const conv_branch_spec_t *s = &cc->spec[i];
    const size_t nr = tile_n ? tile_n
                             : kdc_f32_conv_choose_tile_n(isa, s->cout, cc->cin, s->k,
                                                          cc->rows + s->pl + s->pr + 1 - s->k);
    blobs[i] = falloc(kdc_f32_conv_packed_size(s->cout, cc->cin, s->k, nr));
    kdc_f32_conv_pack(s->cout, cc->cin, s->k, nr, cc->w[i], blobs[i]);
    out_branches[i] = (kdc_f32_convbank_branch_t){
        .kernel_width = s->k, .out_channels = s->cout, .pad_before = s->pl,
        .pad_after = s->pr, .tile_n = nr, .packed_weights = blobs[i],
        .bias = cc->bias[i]};
  }
  return blobs;
}

static void free_blobs(float **blobs, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(blobs[i]);
  free(blobs);
}

/* Runs `v` with the packing for `tile_n` on every count 0..rows+1 and
 * compares with the scalar variant on the same packing (and the scalar one
 * with the reference). */
static void check_convbank(test_state_t *st, const kdc_f32_convbank_variant_t *v,
                           const conv_case_t *cc, size_t tile_n,
                           kdc_activation_t act, const char *label) {
  kdc_f32_convbank_branch_t branches[MAX_BRANCHES];
  float **blobs = pack_case(cc, v->isa, tile_n, branches);
  const kdc_f32_convbank_params_t params = {
      .rows = cc->rows, .in_channels = cc->cin, .x_stride = cc->stride,
      .num_branches = cc->num_branches, .branches = branches, .activation = act};
  const size_t ws_size = kdc_f32_convbank_workspace_size(&params);
  float *ws = falloc(ws_size / sizeof(float) + 1);
  float *got = falloc(cc->total_out + 1), *want = falloc(cc->total_out);
  float *ref = falloc(cc->total_out), *mag = falloc(cc->total_out);
  char what[256];
  for (size_t count = 0; count <= cc->rows + 1; count++) {
    got[cc->total_out] = SENTINEL;
    int status = v->ukernel(&params, cc->x, count, got, ws_size ? ws : NULL, ws_size);
    int s_status = kdc_f32_convbank_ukernel__scalar(&params, cc->x, count, want,
                                                    ws_size ? ws : NULL, ws_size);
    st->checks++;
    if (status != KDC_OK || s_status != KDC_OK) {
      snprintf(what, sizeof what, "%s %s: status %d (scalar %d)", v->name, label, status, s_status);
      fail(st, what);
      break;
    }
    if (got[cc->total_out] != SENTINEL) {
      snprintf(what, sizeof what, "%s %s: wrote past the output", v->name, label);
      fail(st, what);
    }
    ref_convbank(cc, count, act, ref, mag);
    for (size_t o = 0; o < cc->total_out; o++) {
      /* libm against double: a couple of ulps. */
      const float dot_tol = KDC_TEST_DOT_REL_ERROR * mag[o];
      const float tol = dot_tol + activation_tol(act, ref[o]);
      st->checks++;
      if (!close_to(want[o], ref[o], dot_tol + 4 * FLT_EPSILON * fmaxf(1.0f, fabsf(ref[o])))) {
        snprintf(what, sizeof what, "scalar %s count %zu out[%zu]: %.9g, reference %.9g",
                 label, count, o, (double)want[o], (double)ref[o]);
        fail(st, what);
        break;
      }
      if (!close_to(got[o], want[o], tol)) {
        snprintf(what, sizeof what, "%s %s count %zu out[%zu]: %.9g, scalar %.9g (tol %.3g)",
                 v->name, label, count, o, (double)got[o], (double)want[o], (double)tol);
        fail(st, what);
        break;
      }
    }
  }
  free(ws);
  free(got);
  free(want);
  free(ref);
  free(mag);
  free_blobs(blobs, cc->num_branches);
}

static void check_convbank_errors(test_state_t *st, const kdc_f32_convbank_variant_t *v,
                                  rng_t *r) {
  const conv_branch_spec_t spec[1] = {{3, 8, 1, 1}};
  conv_case_t cc;
  conv_case_init(&cc, r, 4, 5, 0, 1, spec, 1);
  kdc_f32_convbank_branch_t br[1];
  float **blobs = pack_case(&cc, v->isa, 0, br);
  kdc_f32_convbank_params_t p = {.rows = 4, .in_channels = 5, .x_stride = 5,
                                 .num_branches = 1, .branches = br,
                                 .activation = KDC_ACTIVATION_RELU};
  float ws[5], out[8];
  const size_t ws_size = kdc_f32_convbank_workspace_size(&p);
  st->checks += 6;
  if (ws_size != 5 * sizeof(float))
    fail(st, "convbank: workspace size (one zero row)");
  if (v->ukernel(&p, cc.x, 4, out, ws, ws_size - 1) != KDC_ERR_WORKSPACE)
    fail(st, "convbank: a small workspace is KDC_ERR_WORKSPACE");
  if (v->ukernel(&p, NULL, 4, out, ws, ws_size) != KDC_ERR_NULL_ARGUMENT)
    fail(st, "convbank: NULL input is KDC_ERR_NULL_ARGUMENT");
  p.activation = KDC_ACTIVATION_GELU;
  if (v->ukernel(&p, cc.x, 4, out, ws, ws_size) != KDC_ERR_BAD_MODEL)
    fail(st, "convbank: GELU (not monotone) is KDC_ERR_BAD_MODEL");
  p.activation = KDC_ACTIVATION_RELU;
  br[0].tile_n = 12; /* runs on scalar only */
  if ((v->ukernel(&p, cc.x, 4, out, ws, ws_size) == KDC_ERR_BAD_MODEL) !=
      !kdc_isa_supports_tile_n(v->isa, 12))
    fail(st, "convbank: an unsupported tile_n is KDC_ERR_BAD_MODEL");
  br[0].tile_n = kdc_f32_conv_choose_tile_n(v->isa, 8, 5, 3, 4);
  br[0].kernel_width = 7; /* longer than T + pads = 6 */
  if (v->ukernel(&p, cc.x, 4, out, ws, ws_size) != KDC_ERR_BAD_MODEL)
    fail(st, "convbank: a kernel longer than the padded input is KDC_ERR_BAD_MODEL");
  free_blobs(blobs, 1);
  conv_case_free(&cc);
}

static void test_convbank(test_state_t *st) {
  rng_t r = {42};
  /* Output channel counts around every panel width (4, 8, 16, 24), odd
   * input channel counts, padding of every kind, several branches. */
  static const conv_branch_spec_t sets[][MAX_BRANCHES] = {
      {{2, 8, 0, 0}, {3, 16, 0, 0}, {4, 24, 0, 0}},
      {{1, 1, 0, 0}, {2, 7, 1, 0}, {3, 9, 1, 1}, {5, 23, 2, 2}},
      {{3, 25, 2, 0}, {6, 40, 0, 0}, {2, 48, 0, 1}},
      {{4, 17, 3, 0}, {5, 33, 0, 4}, {6, 50, 5, 5}},
      {{2, 5, 0, 0}, {3, 5, 0, 0}, {4, 5, 0, 0}, {5, 5, 0, 0}, {6, 5, 0, 0}},
  };
  static const size_t set_sizes[] = {3, 4, 3, 3, 5};
  static const size_t cins[] = {1, 3, 8, 17};
  /* T so that pooled rows cover 1..T: below, at and above every MR. */
  static const size_t rows_list[] = {1, 4, 6, 9, 13};
  static const kdc_activation_t acts[] = {KDC_ACTIVATION_RELU, KDC_ACTIVATION_NONE,
                                          KDC_ACTIVATION_TANH, KDC_ACTIVATION_SIGMOID};
  for (size_t vi = 0; vi < kdc_f32_convbank_num_variants; vi++) {
    const kdc_f32_convbank_variant_t *v = &kdc_f32_convbank_variants[vi];
    if (!kdc_isa_available(v->isa)) {
      printf("SKIP %s (this CPU has no %s)\n", v->name, kdc_isa_name(v->isa));
      continue;
    }
    const int before = st->failures;
    size_t cases = 0;
    check_convbank_errors(st, v, &r);
    for (size_t si = 0; si < sizeof set_sizes / sizeof set_sizes[0]; si++)
      for (size_t ci = 0; ci < sizeof cins / sizeof cins[0]; ci++)
        for (size_t ti = 0; ti < sizeof rows_list / sizeof rows_list[0]; ti++) {
          /* Branches must fit the padded input. */
          size_t nb = 0;
          conv_branch_spec_t spec[MAX_BRANCHES];
          for (size_t b = 0; b < set_sizes[si]; b++)
            if (rows_list[ti] + sets[si][b].pl + sets[si][b].pr >= sets[si][b].k)
              spec[nb++] = sets[si][b];
          if (nb == 0)
            continue;
          conv_case_t cc;
          conv_case_init(&cc, &r, rows_list[ti], cins[ci], (ti + ci) % 3, nb, spec,
                         (si + ti) % 4 != 3);
          char label[128];
          const kdc_activation_t act = acts[(si + ci + ti) % 4];
          /* The chooser's width, then every other width the variant runs. */
          snprintf(label, sizeof label, "set %zu T=%zu Cin=%zu %s", si, cc.rows, cc.cin,
                   activation_name(act));
          check_convbank(st, v, &cc, 0, act, label);
          cases++;
          for (size_t nr = 4; nr <= 48; nr += 4)
            if (kdc_isa_supports_tile_n(v->isa, nr) && (v->isa != KDC_ISA_SCALAR || nr <= 8)) {
              snprintf(label, sizeof label, "set %zu T=%zu Cin=%zu tile_n=%zu %s", si,
                       cc.rows, cc.cin, nr, activation_name(act));
              check_convbank(st, v, &cc, nr, act, label);
              cases++;
            }
          conv_case_free(&cc);
        }
    /* The S-edge shape at full length: T=32, Cin=64, 128 filters, K=2..6. */
    {
      const conv_branch_spec_t spec[5] = {{2, 128, 0, 0}, {3, 128, 0, 0}, {4, 128, 0, 0},
                                          {5, 128, 0, 0}, {6, 128, 0, 0}};
      conv_case_t cc;
      conv_case_init(&cc, &r, 32, 64, 0, 5, spec, 1);
      check_convbank(st, v, &cc, 0, KDC_ACTIVATION_RELU, "S-edge T=32 Cin=64");
      cases++;
      conv_case_free(&cc);
    }
    /* Panels larger than L1, which the AVX2 variant reduces in blocks of
     * channels: Cin=301 (blocks of uneven size), T=40 (more row tiles than
     * one group), padding on either side (the zero row, offset per block),
     * a row stride wider than Cin, every panel width. */
    {
      const conv_branch_spec_t spec[3] = {{2, 30, 1, 1}, {6, 20, 0, 3}, {4, 9, 2, 0}};
      conv_case_t cc;
      conv_case_init(&cc, &r, 40, 301, 3, 3, spec, 1);
      check_convbank(st, v, &cc, 0, KDC_ACTIVATION_RELU, "T=40 Cin=301");
      cases++;
      for (size_t nr = 8; nr <= 48; nr += 8)
        if (kdc_isa_supports_tile_n(v->isa, nr) && v->isa != KDC_ISA_SCALAR) {
          char label[64];
          snprintf(label, sizeof label, "T=40 Cin=301 tile_n=%zu", nr);
          check_convbank(st, v, &cc, nr, KDC_ACTIVATION_TANH, label);
          cases++;
        }
      conv_case_free(&cc);
    }
    if (st->failures == before)
      printf("PASS %s (%zu shapes x all counts)\n", v->name, cases);
  }
}

/*===------------------------------------------------------------------===*
 * Dense
 *===------------------------------------------------------------------===*/

/* The (i mod count)-th of the panel widths 4, 8, ..., 48 that isa runs. */
static size_t nth_tile_n(kdc_isa_t isa, size_t i) {
  size_t widths[12], count = 0;
  for (size_t nr = 4; nr <= 48; nr += 4)
    if (kdc_isa_supports_tile_n(isa, nr) && (isa != KDC_ISA_SCALAR || nr <= 8))
      widths[count++] = nr;
  return widths[i % count];
}

static void test_dense(test_state_t *st) {
  rng_t r = {7};
  static const size_t rows_list[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 32};
  static const size_t ks[] = {1, 2, 3, 17, 64, 300};
  static const size_t ns[] = {1, 7, 8, 9, 16, 23, 24, 25, 60, 100};
  char what[256];
  for (size_t vi = 0; vi < kdc_f32_dense_num_variants; vi++) {
    const kdc_f32_dense_variant_t *v = &kdc_f32_dense_variants[vi];
    if (!kdc_isa_available(v->isa)) {
      printf("SKIP %s (this CPU has no %s)\n", v->name, kdc_isa_name(v->isa));
      continue;
    }
    const int before = st->failures;
    size_t cases = 0;
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
      for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
        for (size_t ri = 0; ri < sizeof rows_list / sizeof rows_list[0]; ri++) {
          const size_t k = ks[ki], n = ns[ni], rows = rows_list[ri];
          if (k * n * rows > 200000 && ri % 3 != 0)
            continue; /* keep the qemu run short */
          const size_t xs = k + ri % 2, ys = n + 3;
          const kdc_activation_t act = (kdc_activation_t)((ki + ni + ri) % 6);
          float *x = falloc(rows * xs), *w = falloc(n * k), *b = falloc(n);
          float *got = falloc(rows * ys), *want = falloc(rows * ys);
          fill(&r, x, rows * xs, -1.0f, 1.0f);
          fill(&r, w, n * k, -0.5f, 0.5f);
          fill(&r, b, n, -0.5f, 0.5f);
          /* The chooser's width, or in every other case another width the
           * variant runs, in turn. */
          const size_t nr = cases % 2 == 0
                                ? kdc_f32_dense_choose_tile_n(v->isa, n, k, rows)
                                : nth_tile_n(v->isa, cases / 2);
          float *packed = falloc(kdc_f32_dense_packed_size(n, k, nr));
          kdc_f32_dense_pack(n, k, nr, w, packed);
          const kdc_f32_dense_params_t p = {.in_features = k, .out_features = n,
                                            .tile_n = nr, .packed_weights = packed,
                                            .bias = ni % 3 == 2 ? NULL : b,
                                            .activation = act};
          for (size_t i = 0; i < rows * ys; i++)
            got[i] = want[i] = SENTINEL;
          const int s1 = v->ukernel(&p, rows, x, xs, got, ys);
          const int s2 = kdc_f32_dense_ukernel__scalar(&p, rows, x, xs, want, ys);
          st->checks++;
          cases++;
          if (s1 != KDC_OK || s2 != KDC_OK) {
            snprintf(what, sizeof what, "%s: status %d (scalar %d)", v->name, s1, s2);
            fail(st, what);
          }
          for (size_t t = 0; t < rows; t++)
            for (size_t o = 0; o < ys; o++) {
              const float g = got[t * ys + o], s = want[t * ys + o];
              st->checks++;
              if (o >= n) {
                if (g != SENTINEL || s != SENTINEL) {
                  snprintf(what, sizeof what, "%s rows=%zu k=%zu n=%zu: wrote column %zu",
                           v->name, rows, k, n, o);
                  fail(st, what);
                }
                continue;
              }
              double acc = p.bias ? p.bias[o] : 0.0, mag = fabs(acc);
              for (size_t i = 0; i < k; i++) {
                acc += (double)x[t * xs + i] * (double)w[o * k + i];
                mag += fabs((double)x[t * xs + i] * (double)w[o * k + i]);
              }
              const float ref = ref_activate(acc, act);
              /* Activations have slopes <= 1.13 (GELU). */
              const float dot_tol = 1.2f * KDC_TEST_DOT_REL_ERROR * (float)mag;
              if (!close_to(s, ref, dot_tol + 4 * FLT_EPSILON * fmaxf(1.0f, fabsf(ref))) ||
                  !close_to(g, s, dot_tol + activation_tol(act, (float)acc))) {
                snprintf(what, sizeof what,
                         "%s rows=%zu k=%zu n=%zu %s y[%zu,%zu]: %.9g, scalar %.9g, ref %.9g",
                         v->name, rows, k, n, activation_name(act), t, o, (double)g,
                         (double)s, (double)ref);
                fail(st, what);
                t = rows;
                break;
              }
            }
          free(x);
          free(w);
          free(b);
          free(got);
          free(want);
          free(packed);
        }
    {
      const float packed[12 * 4] = {0};
      const kdc_f32_dense_params_t p = {.in_features = 4, .out_features = 4, .tile_n = 12,
                                        .packed_weights = packed,
                                        .activation = KDC_ACTIVATION_NONE};
      float y[4], x[4] = {0};
      st->checks++;
      if ((v->ukernel(&p, 1, x, 4, y, 4) == KDC_ERR_BAD_MODEL) != !kdc_isa_supports_tile_n(v->isa, 12))
        fail(st, "dense: an unsupported tile_n is KDC_ERR_BAD_MODEL");
    }
    if (st->failures == before)
      printf("PASS %s (%zu shapes)\n", v->name, cases);
  }
}

/*===------------------------------------------------------------------===*
 * Conv1d (every output row)
 *===------------------------------------------------------------------===*/

typedef struct conv1d_case {
  size_t rows, cin, xs, cout, k, pl, pr;
  float *x, *w, *bias; /* x [rows, xs], w [cout, cin, k], bias [cout] or NULL */
} conv1d_case_t;

/* Output row t and channel o in double, and sum |x w| + |b| (the error
 * scale), straight from the student.conv1d description. */
static double ref_conv1d(const conv1d_case_t *cc, size_t t, size_t o, double *mag) {
  double s = cc->bias ? cc->bias[o] : 0.0;
  *mag = fabs(s);
  for (size_t k = 0; k < cc->k; k++) {
    const long tt = (long)t + (long)k - (long)cc->pl;
    if (tt < 0 || tt >= (long)cc->rows)
      continue;
    for (size_t c = 0; c < cc->cin; c++) {
      const double p = (double)cc->x[(size_t)tt * cc->xs + c] *
                       (double)cc->w[(o * cc->cin + c) * cc->k + k];
      s += p;
      *mag += fabs(p);
    }
  }
  return s;
}

/* Runs `v` with weights packed for `tile_n` for every out_rows 0..total and
 * compares with the scalar variant (and the scalar one with the reference).
 * Input rows the call may not read (from out_rows + K - 1 - l on) are NaN,
 * so reading one shows; rows and columns it may not write keep a sentinel. */
static void check_conv1d(test_state_t *st, const kdc_f32_conv1d_variant_t *v,
                         conv1d_case_t *cc, size_t tile_n, kdc_activation_t act,
                         const char *label) {
  const size_t total = cc->rows + cc->pl + cc->pr + 1 - cc->k;
  const size_t nr = tile_n ? tile_n : kdc_f32_conv_choose_tile_n(v->isa, cc->cout, cc->cin, cc->k, total);
  float *packed = falloc(kdc_f32_conv_packed_size(cc->cout, cc->cin, cc->k, nr));
  kdc_f32_conv_pack(cc->cout, cc->cin, cc->k, nr, cc->w, packed);
  const kdc_f32_conv1d_params_t p = {
      .rows = cc->rows, .in_channels = cc->cin, .x_stride = cc->xs,
      .kernel_width = cc->k, .out_channels = cc->cout, .pad_before = cc->pl,
      .pad_after = cc->pr, .tile_n = nr, .packed_weights = packed,
      .bias = cc->bias, .activation = act};
  const size_t ws_size = kdc_f32_conv1d_workspace_size(&p);
  float *ws = falloc(ws_size / sizeof(float) + 1);
  const size_t ys = cc->cout + 3;
  float *got = falloc((total + 1) * ys), *want = falloc((total + 1) * ys);
  float *x = falloc(cc->rows * cc->xs);
  float *saved = cc->x;
  cc->x = x;
  char what[256];
  for (size_t out_rows = 0; out_rows <= total; out_rows++) {
    /* Rows below `readable` hold the data, the rest NaN. */
    const long last = (long)out_rows + (long)cc->k - 1 - (long)cc->pl;
    const size_t readable = out_rows == 0 || last < 0 ? 0
                            : (size_t)last > cc->rows ? cc->rows : (size_t)last;
    for (size_t i = 0; i < cc->rows * cc->xs; i++)
      x[i] = i < readable * cc->xs ? saved[i] : NAN;
    for (size_t i = 0; i < (total + 1) * ys; i++)
      got[i] = want[i] = SENTINEL;
    const int s1 = v->ukernel(&p, x, out_rows, got, ys, ws_size ? ws : NULL, ws_size);
    const int s2 = kdc_f32_conv1d_ukernel__scalar(&p, x, out_rows, want, ys,
                                                  ws_size ? ws : NULL, ws_size);
    st->checks++;
    if (s1 != KDC_OK || s2 != KDC_OK) {
      snprintf(what, sizeof what, "%s %s: status %d (scalar %d)", v->name, label, s1, s2);
      fail(st, what);
      break;
    }
    for (size_t t = 0; t <= total; t++)
      for (size_t o = 0; o < ys; o++) {
        const float g = got[t * ys + o], s = want[t * ys + o];
        st->checks++;
        if (t >= out_rows || o >= cc->cout) {
          if (g != SENTINEL || s != SENTINEL) {
            snprintf(what, sizeof what, "%s %s out_rows=%zu: wrote y[%zu,%zu]", v->name,
                     label, out_rows, t, o);
            fail(st, what);
            t = total;
            break;
          }
          continue;
        }
        double mag;
        const double acc = ref_conv1d(cc, t, o, &mag);
        const float ref = ref_activate(acc, act);
        const float dot_tol = 1.2f * KDC_TEST_DOT_REL_ERROR * (float)mag;
        if (!close_to(s, ref, dot_tol + 4 * FLT_EPSILON * fmaxf(1.0f, fabsf(ref))) ||
            !close_to(g, s, dot_tol + activation_tol(act, (float)acc))) {
          snprintf(what, sizeof what,
                   "%s %s out_rows=%zu y[%zu,%zu]: %.9g, scalar %.9g, ref %.9g", v->name,
                   label, out_rows, t, o, (double)g, (double)s, (double)ref);
          fail(st, what);
          t = total;
          break;
        }
      }
  }
  cc->x = saved;
  free(x);
  free(ws);
  free(got);
  free(want);
  free(packed);
}

static void check_conv1d_errors(test_state_t *st, const kdc_f32_conv1d_variant_t *v,
                                rng_t *r) {
  float x[4 * 5], w[8 * 5 * 3], out[6 * 8], ws[5];
  fill(r, x, 4 * 5, -1.0f, 1.0f);
  fill(r, w, 8 * 5 * 3, -0.5f, 0.5f);
  const size_t nr = kdc_f32_conv_choose_tile_n(v->isa, 8, 5, 3, 4);
  float *packed = falloc(kdc_f32_conv_packed_size(8, 5, 3, nr));
  kdc_f32_conv_pack(8, 5, 3, nr, w, packed);
  kdc_f32_conv1d_params_t p = {.rows = 4, .in_channels = 5, .x_stride = 5,
                               .kernel_width = 3, .out_channels = 8,
                               .pad_before = 2, .pad_after = 1, .tile_n = nr,
                               .packed_weights = packed,
                               .activation = KDC_ACTIVATION_NONE};
  const size_t ws_size = kdc_f32_conv1d_workspace_size(&p);
  st->checks += 9;
  if (ws_size != 5 * sizeof(float))
    fail(st, "conv1d: workspace size (one zero row)");
  if (v->ukernel(&p, x, 5, out, 8, ws, ws_size) != KDC_OK)
    fail(st, "conv1d: the full result (T + l + r - K + 1 rows) is KDC_OK");
  if (v->ukernel(&p, x, 6, out, 8, ws, ws_size) != KDC_ERR_BAD_MODEL)
    fail(st, "conv1d: out_rows past the result is KDC_ERR_BAD_MODEL");
  if (v->ukernel(&p, x, 4, out, 8, ws, ws_size - 1) != KDC_ERR_WORKSPACE)
    fail(st, "conv1d: a small workspace is KDC_ERR_WORKSPACE");
  if (v->ukernel(&p, NULL, 4, out, 8, ws, ws_size) != KDC_ERR_NULL_ARGUMENT)
    fail(st, "conv1d: NULL input is KDC_ERR_NULL_ARGUMENT");
  if (v->ukernel(&p, x, 4, out, 7, ws, ws_size) != KDC_ERR_BAD_MODEL)
    fail(st, "conv1d: y_stride < Cout is KDC_ERR_BAD_MODEL");
  p.tile_n = 12; /* runs on scalar only */
  if ((v->ukernel(&p, x, 4, out, 8, ws, ws_size) == KDC_ERR_BAD_MODEL) !=
      !kdc_isa_supports_tile_n(v->isa, 12))
    fail(st, "conv1d: an unsupported tile_n is KDC_ERR_BAD_MODEL");
  p.tile_n = nr;
  p.kernel_width = 8; /* longer than T + pads = 7 */
  if (v->ukernel(&p, x, 0, out, 8, ws, ws_size) != KDC_ERR_BAD_MODEL)
    fail(st, "conv1d: a kernel longer than the padded input is KDC_ERR_BAD_MODEL");
  p.kernel_width = 3;
  p.pad_before = p.pad_after = 0;
  if (kdc_f32_conv1d_workspace_size(&p) != 0 || v->ukernel(&p, x, 2, out, 8, NULL, 0) != KDC_OK)
    fail(st, "conv1d: without padding no workspace is needed");
  free(packed);
}

static void test_conv1d(test_state_t *st) {
  rng_t r = {17};
  /* K and padding of every kind the pQRNN uses (causal [K-1, 0], its
   * mirror [0, K-1]) and others; channel counts around every panel width. */
  static const size_t shapes[][4] = {/* k, pl, pr, cout */
                                     {1, 0, 0, 7},  {2, 1, 0, 8},  {3, 2, 0, 24},
                                     {3, 0, 2, 25}, {3, 1, 1, 16}, {3, 0, 0, 9},
                                     {4, 3, 0, 40}, {5, 2, 2, 23}, {3, 2, 0, 1}};
  static const size_t cins[] = {1, 3, 8, 17};
  static const size_t rows_list[] = {1, 4, 6, 9, 13};
  for (size_t vi = 0; vi < kdc_f32_conv1d_num_variants; vi++) {
    const kdc_f32_conv1d_variant_t *v = &kdc_f32_conv1d_variants[vi];
    if (!kdc_isa_available(v->isa)) {
      printf("SKIP %s (this CPU has no %s)\n", v->name, kdc_isa_name(v->isa));
      continue;
    }
    const int before = st->failures;
    size_t cases = 0;
    check_conv1d_errors(st, v, &r);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
      for (size_t ci = 0; ci < sizeof cins / sizeof cins[0]; ci++)
        for (size_t ti = 0; ti < sizeof rows_list / sizeof rows_list[0]; ti++) {
          conv1d_case_t cc = {.rows = rows_list[ti], .cin = cins[ci],
                              .xs = cins[ci] + (si + ti) % 3, .cout = shapes[si][3],
                              .k = shapes[si][0], .pl = shapes[si][1],
                              .pr = shapes[si][2]};
          if (cc.rows + cc.pl + cc.pr < cc.k)
            continue;
          cc.x = falloc(cc.rows * cc.xs);
          cc.w = falloc(cc.cout * cc.cin * cc.k);
          fill(&r, cc.x, cc.rows * cc.xs, -1.0f, 1.0f);
          fill(&r, cc.w, cc.cout * cc.cin * cc.k, -0.5f, 0.5f);
          if ((si + ci) % 4 != 3) {
            cc.bias = falloc(cc.cout);
            fill(&r, cc.bias, cc.cout, -0.5f, 0.5f);
          }
          const kdc_activation_t act = (kdc_activation_t)((si + ci + ti) % 6);
          char label[128];
          snprintf(label, sizeof label, "K=%zu pad=[%zu,%zu] T=%zu Cin=%zu Cout=%zu %s", cc.k,
                   cc.pl, cc.pr, cc.rows, cc.cin, cc.cout, activation_name(act));
          check_conv1d(st, v, &cc, 0, act, label);
          cases++;
          /* Every other panel width the variant runs, on some shapes. */
          if ((ci + ti) % 2 == 0)
            for (size_t nr = 8; nr <= 48; nr += 8)
              if (kdc_isa_supports_tile_n(v->isa, nr)) {
                char l2[160];
                snprintf(l2, sizeof l2, "%s tile_n=%zu", label, nr);
                check_conv1d(st, v, &cc, nr, act, l2);
                cases++;
              }
          free(cc.x);
          free(cc.w);
          free(cc.bias);
        }
    /* A pQRNN layer-2 gate convolution: T=16, Cin=64, 3x128 gates, causal. */
    {
      conv1d_case_t cc = {.rows = 16, .cin = 64, .xs = 64, .cout = 96, .k = 3, .pl = 2, .pr = 0};
      cc.x = falloc(16 * 64);
      cc.w = falloc(96 * 64 * 3);
      cc.bias = falloc(96);
      fill(&r, cc.x, 16 * 64, -1.0f, 1.0f);
      fill(&r, cc.w, 96 * 64 * 3, -0.5f, 0.5f);
      fill(&r, cc.bias, 96, -0.5f, 0.5f);
      check_conv1d(st, v, &cc, 0, KDC_ACTIVATION_NONE, "pQRNN gates T=16 Cin=64 Cout=96");
      cases++;
      free(cc.x);
      free(cc.w);
      free(cc.bias);
    }
    if (st->failures == before)
      printf("PASS %s (%zu shapes x all output row counts)\n", v->name, cases);
  }
}

/*===------------------------------------------------------------------===*
 * Row copy and mask
 *===------------------------------------------------------------------===*/

static void test_mask_rows(test_state_t *st) {
  rng_t r = {23};
  const size_t rows = 7, cols = 5;
  float x[7 * 8], y[7 * 9];
  for (size_t xs = cols; xs <= cols + 3; xs += 3)
    for (size_t ys = cols; ys <= cols + 4; ys += 4)
      for (size_t count = 0; count <= rows + 1; count++)
        for (int in_place = 0; in_place < 2; in_place++) {
          if (in_place && xs != ys)
            continue;
          fill(&r, x, sizeof x / sizeof x[0], -1.0f, 1.0f);
          for (size_t i = 0; i < sizeof y / sizeof y[0]; i++)
            y[i] = in_place && i < sizeof x / sizeof x[0] ? x[i] : SENTINEL;
          float *out = in_place ? x : y;
          float orig[7 * 8];
          memcpy(orig, x, sizeof orig);
          kdc_f32_mask_rows(rows, cols, x, xs, count, out, ys);
          const size_t c = count < rows ? count : rows;
          for (size_t t = 0; t < rows; t++)
            for (size_t j = 0; j < ys; j++) {
              const float got = out[t * ys + j];
              const float want = j >= cols ? (in_place ? orig[t * xs + j] : SENTINEL)
                                 : t < c ? orig[t * xs + j]
                                         : 0.0f;
              st->checks++;
              if (memcmp(&got, &want, sizeof got) != 0) {
                char what[160];
                snprintf(what, sizeof what,
                         "mask_rows xs=%zu ys=%zu count=%zu in_place=%d y[%zu,%zu]: %g, want %g",
                         xs, ys, count, in_place, t, j, (double)got, (double)want);
                fail(st, what);
                return;
              }
            }
        }
  printf("PASS kdc_f32_mask_rows\n");
}

/*===------------------------------------------------------------------===*
 * Embedding
 *===------------------------------------------------------------------===*/

static void test_embedding(test_state_t *st) {
  rng_t r = {11};
  enum { V = 50, MAXD = 37, ROWS = 9 };
  float table[V * MAXD];
  fill(&r, table, V * MAXD, -1.0f, 1.0f);
  for (size_t vi = 0; vi < kdc_f32_embedding_num_variants; vi++) {
    const kdc_f32_embedding_variant_t *v = &kdc_f32_embedding_variants[vi];
    if (!kdc_isa_available(v->isa)) {
      printf("SKIP %s (this CPU has no %s)\n", v->name, kdc_isa_name(v->isa));
      continue;
    }
    const int before = st->failures;
    static const size_t dims[] = {1, 3, 7, 8, 9, 16, 17, 33, 37};
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
      const size_t d = dims[di], stride = d + 2;
      for (size_t n = 0; n <= ROWS; n++) {
        int32_t ids[ROWS];
        for (size_t t = 0; t < n; t++)
          ids[t] = (int32_t)(rng_next(&r) % V);
        if (n > 0)
          ids[n - 1] = V - 1;
        float out[ROWS * (MAXD + 2)];
        for (size_t i = 0; i < ROWS * stride; i++)
          out[i] = SENTINEL;
        st->checks++;
        if (v->ukernel(n, ids, V, d, table, ROWS, out, stride) != KDC_OK) {
          fail(st, "embedding: status");
          continue;
        }
        for (size_t t = 0; t < ROWS; t++)
          for (size_t j = 0; j < stride; j++) {
            const float want = j >= d ? SENTINEL : t < n ? table[(size_t)ids[t] * d + j] : 0.0f;
            st->checks++;
            if (memcmp(&out[t * stride + j], &want, sizeof want) != 0) {
              fail(st, "embedding: rows must be bit-exact copies, zeros past n, nothing past dim");
              t = ROWS;
              break;
            }
          }
      }
    }
    /* Errors are reported before anything is written. */
    int32_t bad[3] = {1, V, 2};
    float out[ROWS * 8];
    out[0] = SENTINEL;
    st->checks += 4;
    if (v->ukernel(3, bad, V, 8, table, ROWS, out, 8) != KDC_ERR_TOKEN_RANGE || out[0] != SENTINEL)
      fail(st, "embedding: id == vocab_size is KDC_ERR_TOKEN_RANGE, output untouched");
    bad[1] = -1;
    if (v->ukernel(3, bad, V, 8, table, ROWS, out, 8) != KDC_ERR_TOKEN_RANGE)
      fail(st, "embedding: a negative id is KDC_ERR_TOKEN_RANGE");
    if (v->ukernel(3, bad, V, 8, table, 2, out, 8) != KDC_ERR_TOO_MANY_TOKENS)
      fail(st, "embedding: more ids than rows is KDC_ERR_TOO_MANY_TOKENS");
    if (v->ukernel(3, NULL, V, 8, table, ROWS, out, 8) != KDC_ERR_NULL_ARGUMENT)
      fail(st, "embedding: NULL ids is KDC_ERR_NULL_ARGUMENT");
    if (st->failures == before)
      printf("PASS %s\n", v->name);
  }
}

/*===------------------------------------------------------------------===*
 * Activations
 *===------------------------------------------------------------------===*/

static void test_vact(test_state_t *st) {
  /* A dense sweep of [-20, 20], then special and large values. */
  enum { SWEEP = 40001, EXTRA = 14, N = SWEEP + EXTRA };
  static float x[N], got[N], want[N];
  for (size_t i = 0; i < SWEEP; i++)
    x[i] = -20.0f + 40.0f * (float)i / (float)(SWEEP - 1);
  const float extra[EXTRA] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-6f, -3e-4f, 88.0f,
                              -88.0f, 100.0f, -100.0f, 1e30f, -1e30f, 7.9f, -9.5f};
  memcpy(x + SWEEP, extra, sizeof extra);
  char what[256];
  for (size_t vi = 0; vi < kdc_f32_vact_num_variants; vi++) {
    const kdc_f32_vact_variant_t *v = &kdc_f32_vact_variants[vi];
    if (!kdc_isa_available(v->isa)) {
      printf("SKIP %s (this CPU has no %s)\n", v->name, kdc_isa_name(v->isa));
      continue;
    }
    const int before = st->failures;
    for (int a = KDC_ACTIVATION_NONE; a <= KDC_ACTIVATION_GELU_TANH; a++) {
      const kdc_activation_t act = (kdc_activation_t)a;
      /* Odd lengths and offsets exercise the tails. */
      static const size_t lens[] = {1, 7, 8, 9, 15, 17, 31, N};
      float max_err = 0.0f;
      for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        const size_t n = lens[li], off = N - n;
        got[N - 1] = SENTINEL;
        if (n < N)
          got[off - 1] = SENTINEL;
        v->ukernel(n, x + off, got + off, act);
        kdc_f32_vact_ukernel__scalar(n, x + off, want + off, act);
        st->checks++;
        if (n < N && got[off - 1] != SENTINEL)
          fail(st, "vact: wrote before the output");
        for (size_t i = off; i < N; i++) {
          const float tol = activation_tol(act, x[i]);
          const int relative = act == KDC_ACTIVATION_GELU || act == KDC_ACTIVATION_GELU_TANH;
          const float err = fabsf(got[i] - want[i]) / (relative ? fmaxf(1.0f, fabsf(x[i])) : 1.0f);
          if (err > max_err)
            max_err = err;
          st->checks++;
          if (!close_to(got[i], want[i], tol)) {
            snprintf(what, sizeof what, "%s %s(%.9g) = %.9g, libm %.9g (tol %.3g)", v->name,
                     activation_name(act), (double)x[i], (double)got[i], (double)want[i],
                     (double)tol);
            fail(st, what);
            break;
          }
        }
      }
      if (v->isa != KDC_ISA_SCALAR)
        printf("  %s %-9s max error %.3g\n", v->name, activation_name(act), (double)max_err);
    }
    /* In place. */
    float buf[19];
    for (size_t i = 0; i < 19; i++)
      buf[i] = (float)i - 9.0f;
    v->ukernel(19, buf, buf, KDC_ACTIVATION_RELU);
    for (size_t i = 0; i < 19; i++) {
      st->checks++;
      if (buf[i] != (i > 9 ? (float)i - 9.0f : 0.0f)) {
        fail(st, "vact: relu in place");
        break;
      }
    }
    if (st->failures == before)
      printf("PASS %s\n", v->name);
  }
}

/*===------------------------------------------------------------------===*
 * Pooling, QRNN, softmax, layer norm
 *===------------------------------------------------------------------===*/

static void test_maxpool(test_state_t *st) {
  rng_t r = {3};
  static const size_t chans[] = {1, 7, 8, 9, 31, 32, 33, 70};
  for (size_t vi = 0; vi < kdc_f32_maxpool_time_num_variants; vi++) {
    const kdc_f32_maxpool_time_variant_t *v = &kdc_f32_maxpool_time_variants[vi];
    if (!kdc_isa_available(v->isa)) {
      printf("SKIP %s (this CPU has no %s)\n", v->name, kdc_isa_name(v->isa));
      continue;
    }
    const int before = st->failures;
    for (size_t ci = 0; ci < sizeof chans / sizeof chans[0]; ci++)
      for (size_t rows = 1; rows <= 9; rows += 4) {
        const size_t c = chans[ci], stride = c + 1;
        float *x = falloc(rows * stride), *got = falloc(c + 1), *want = falloc(c);
        fill(&r, x, rows * stride, -5.0f, 5.0f);
        for (size_t count = 0; count <= rows + 1; count++) {
          got[c] = SENTINEL;
          v->ukernel(rows, c, x, stride, count, got);
          const size_t n = count < 1 ? 1 : count > rows ? rows : count;
          for (size_t j = 0; j < c; j++) {
            float m = x[j];
            for (size_t t = 1; t < n; t++)
              m = fmaxf(m, x[t * stride + j]);
            want[j] = m;
          }
          st->checks++;
          if (memcmp(got, want, c * sizeof(float)) != 0 || got[c] != SENTINEL) {
            fail(st, "maxpool_time: must be exact, over clamp(count, 1, rows) rows");
            break;
          }
        }
        free(x);
        free(got);
        free(want);
      }
    if (st->failures == before)
      printf("PASS %s\n", v->name);
  }
}

static void test_attnpool(test_state_t *st) {
  rng_t r = {5};
  static const size_t chans[] = {1, 5, 8, 16, 17, 64, 100};
  char what[256];
  for (size_t vi = 0; vi < kdc_f32_attnpool_num_variants; vi++) {
    const kdc_f32_attnpool_variant_t *v = &kdc_f32_attnpool_variants[vi];
    if (!kdc_isa_available(v->isa)) {
      printf("SKIP %s (this CPU has no %s)\n", v->name, kdc_isa_name(v->isa));
      continue;
    }
    const int before = st->failures;
    for (size_t ci = 0; ci < sizeof chans / sizeof chans[0]; ci++)
      for (size_t rows = 1; rows <= 13; rows += 6) {
        const size_t c = chans[ci], stride = c + 2;
        float *x = falloc(rows * stride), *q = falloc(c), *got = falloc(c + 1), *want = falloc(c);
        fill(&r, x, rows * stride, -1.0f, 1.0f);
        fill(&r, q, c, -1.0f, 1.0f);
        for (size_t count = 0; count <= rows + 1; count++) {
          got[c] = SENTINEL;
          v->ukernel(rows, c, x, stride, q, count, got);
          kdc_f32_attnpool_ukernel__scalar(rows, c, x, stride, q, count, want);
          /* Reference in double. */
          const size_t n = count < 1 ? 1 : count > rows ? rows : count;
          double s[16], m = -INFINITY, sum = 0;
          for (size_t t = 0; t < n; t++) {
            s[t] = 0;
            for (size_t j = 0; j < c; j++)
              s[t] += (double)x[t * stride + j] * q[j];
            m = s[t] > m ? s[t] : m;
          }
          for (size_t t = 0; t < n; t++)
            sum += exp(s[t] - m);
          st->checks++;
          if (got[c] != SENTINEL)
            fail(st, "attnpool: wrote past the output");
          for (size_t j = 0; j < c; j++) {
            double ref = 0;
            for (size_t t = 0; t < n; t++)
              ref += exp(s[t] - m) / sum * x[t * stride + j];
            const float tol = KDC_TEST_NORM_REL_ERROR * (float)sqrt((double)c);
            st->checks++;
            if (!close_to(want[j], (float)ref, tol) || !close_to(got[j], want[j], tol)) {
              snprintf(what, sizeof what, "%s c=%zu rows=%zu count=%zu out[%zu]: %.9g, scalar %.9g, ref %.9g",
                       v->name, c, rows, count, j, (double)got[j], (double)want[j], ref);
              fail(st, what);
              break;
            }
          }
        }
        free(x);
        free(q);
        free(got);
        free(want);
      }
    if (st->failures == before)
      printf("PASS %s\n", v->name);
  }
}

static void test_qrnn(test_state_t *st) {
  rng_t r = {9};
  static const size_t hiddens[] = {1, 3, 8, 9, 16, 17, 40};
  char what[256];
  /* A hand-computed step: Z = 0, F = 0, O = 0 at t = 0 gives c = 0.5 * tanh(0)
   * = 0, and Z = 1 at t = 1 gives c = 0.5 tanh(1), h = 0.5 c. */
  {
    const float g[2 * 3] = {0, 0, 0, 1, 0, 0};
    float h[2];
    kdc_f32_qrnn_ukernel__scalar(2, 1, g, 3, 2, KDC_DIRECTION_FORWARD, h, 1);
    st->checks++;
    if (h[0] != 0.0f || fabsf(h[1] - 0.25f * tanhf(1.0f)) > 1e-7f)
      fail(st, "qrnn: hand-computed forward steps");
    kdc_f32_qrnn_ukernel__scalar(2, 1, g, 3, 2, KDC_DIRECTION_BACKWARD, h, 1);
    st->checks++;
    if (fabsf(h[1] - 0.25f * tanhf(1.0f)) > 1e-7f ||
        fabsf(h[0] - 0.5f * 0.5f * 0.5f * tanhf(1.0f)) > 1e-7f)
      fail(st, "qrnn: hand-computed backward steps");
  }
  for (size_t vi = 0; vi < kdc_f32_qrnn_num_variants; vi++) {
    const kdc_f32_qrnn_variant_t *v = &kdc_f32_qrnn_variants[vi];
    if (!kdc_isa_available(v->isa)) {
      printf("SKIP %s (this CPU has no %s)\n", v->name, kdc_isa_name(v->isa));
      continue;
    }
    const int before = st->failures;
    for (size_t hi = 0; hi < sizeof hiddens / sizeof hiddens[0]; hi++)
      for (size_t rows = 1; rows <= 12; rows += 5)
        for (int dir = 0; dir < 2; dir++) {
          const size_t hd = hiddens[hi], gs = 3 * hd + 1, hs = hd + 2;
          float *g = falloc(rows * gs), *got = falloc(rows * hs), *want = falloc(rows * hs);
          fill(&r, g, rows * gs, -3.0f, 3.0f);
          for (size_t count = 0; count <= rows + 1; count++) {
            for (size_t i = 0; i < rows * hs; i++)
              got[i] = want[i] = SENTINEL;
            v->ukernel(rows, hd, g, gs, count, (kdc_direction_t)dir, got, hs);
            kdc_f32_qrnn_ukernel__scalar(rows, hd, g, gs, count, (kdc_direction_t)dir, want, hs);
            const size_t n = count < 1 ? 1 : count > rows ? rows : count;
            const float tol = (float)n * (KDC_TANH_MAX_ERROR + 2 * KDC_SIGMOID_MAX_ERROR) + 1e-6f;
            for (size_t t = 0; t < rows; t++)
              for (size_t j = 0; j < hs; j++) {
                const float gv = got[t * hs + j], sv = want[t * hs + j];
                st->checks++;
                const int ok = j >= hd ? gv == SENTINEL && sv == SENTINEL
                               : t >= n ? gv == 0.0f && sv == 0.0f
                                        : close_to(gv, sv, tol);
                if (!ok) {
                  snprintf(what, sizeof what, "%s H=%zu rows=%zu count=%zu dir=%d h[%zu,%zu]: %.9g, scalar %.9g",
                           v->name, hd, rows, count, dir, t, j, (double)gv, (double)sv);
                  fail(st, what);
                  t = rows;
                  break;
                }
              }
          }
          free(g);
          free(got);
          free(want);
        }
    if (st->failures == before)
      printf("PASS %s\n", v->name);
  }
}

static void test_softmax(test_state_t *st) {
  rng_t r = {13};
  char what[256];
  for (size_t vi = 0; vi < kdc_f32_softmax_num_variants; vi++) {
    const kdc_f32_softmax_variant_t *v = &kdc_f32_softmax_variants[vi];
    if (!kdc_isa_available(v->isa)) {
      printf("SKIP %s (this CPU has no %s)\n", v->name, kdc_isa_name(v->isa));
      continue;
    }
    const int before = st->failures;
    static const size_t lens[] = {1, 2, 7, 8, 9, 15, 16, 17, 60, 151};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
      const size_t n = lens[li];
      float x[151], got[152], want[151];
      fill(&r, x, n, -30.0f, 30.0f);
      got[n] = SENTINEL;
      v->ukernel(n, x, got);
      kdc_f32_softmax_ukernel__scalar(n, x, want);
      st->checks++;
      if (got[n] != SENTINEL)
        fail(st, "softmax: wrote past the output");
      for (size_t i = 0; i < n; i++) {
        st->checks++;
        if (!close_to(got[i], want[i], 4 * KDC_EXP_MAX_REL_ERROR * want[i] + 1e-9f)) {
          snprintf(what, sizeof what, "%s n=%zu y[%zu]: %.9g, scalar %.9g", v->name, n, i,
                   (double)got[i], (double)want[i]);
          fail(st, what);
          break;
        }
      }
      /* In place. */
      memcpy(got, x, n * sizeof(float));
      v->ukernel(n, got, got);
      for (size_t i = 0; i < n; i++) {
        st->checks++;
        if (!close_to(got[i], want[i], 4 * KDC_EXP_MAX_REL_ERROR * want[i] + 1e-9f)) {
          fail(st, "softmax: in place");
          break;
        }
      }
    }
    if (st->failures == before)
      printf("PASS %s\n", v->name);
  }
}

static void test_layernorm(test_state_t *st) {
  rng_t r = {17};
  char what[256];
  for (size_t vi = 0; vi < kdc_f32_layernorm_num_variants; vi++) {
    const kdc_f32_layernorm_variant_t *v = &kdc_f32_layernorm_variants[vi];
    if (!kdc_isa_available(v->isa)) {
      printf("SKIP %s (this CPU has no %s)\n", v->name, kdc_isa_name(v->isa));
      continue;
    }
    const int before = st->failures;
    static const size_t lens[] = {1, 3, 8, 9, 17, 64, 312};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
      const size_t n = lens[li], rows = 3, xs = n + 1, ys = n + 2;
      float *x = falloc(rows * xs), *g = falloc(n), *b = falloc(n);
      float *got = falloc(rows * ys), *want = falloc(rows * ys);
      fill(&r, x, rows * xs, -2.0f, 3.0f);
      fill(&r, g, n, 0.5f, 1.5f);
      fill(&r, b, n, -0.5f, 0.5f);
      for (int with_affine = 0; with_affine < 2; with_affine++) {
        for (size_t i = 0; i < rows * ys; i++)
          got[i] = want[i] = SENTINEL;
        const float *gg = with_affine ? g : NULL, *bb = with_affine ? b : NULL;
        v->ukernel(rows, n, x, xs, gg, bb, 1e-5f, got, ys);
        kdc_f32_layernorm_ukernel__scalar(rows, n, x, xs, gg, bb, 1e-5f, want, ys);
        for (size_t i = 0; i < rows * ys; i++) {
          st->checks++;
          if (i % ys >= n ? got[i] != SENTINEL : !close_to(got[i], want[i], KDC_TEST_NORM_REL_ERROR * 4)) {
            snprintf(what, sizeof what, "%s n=%zu y[%zu]: %.9g, scalar %.9g", v->name, n, i,
                     (double)got[i], (double)want[i]);
            fail(st, what);
            break;
          }
        }
      }
      free(x);
      free(g);
      free(b);
      free(got);
      free(want);
    }
    if (st->failures == before)
      printf("PASS %s\n", v->name);
  }
}

int main(void) {
  test_state_t st = {0, 0};
  printf("kdc runtime kernels: avx2-fma %s, avx512f %s, neon %s\n",
         kdc_isa_available(KDC_ISA_AVX2_FMA) ? "available" : "unavailable",
         kdc_isa_available(KDC_ISA_AVX512F) ? "available" : "unavailable",
         kdc_isa_available(KDC_ISA_NEON) ? "available" : "unavailable");
  test_pack(&st);
  test_convbank(&st);
  test_dense(&st);
  test_conv1d(&st);
  test_mask_rows(&st);
  test_embedding(&st);
  test_vact(&st);
  test_maxpool(&st);
  test_attnpool(&st);
  test_qrnn(&st);
  test_softmax(&st);
  test_layernorm(&st);
  printf("%d checks, %d failures\n", st.checks, st.failures);
  return st.failures == 0 ? 0 : 1;
}
