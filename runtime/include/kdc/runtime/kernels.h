/* kdc runtime: the compute kernels of compiled students.
 *
 * Every kernel ("ukernel", as in IREE and XNNPACK) comes in variants, one per
 * instruction set: kdc_f32_<op>_ukernel__scalar (always), __avx2_fma (x86-64)
 * and __neon (AArch64). The variants of an operation are listed once, in the
 * X-macro list kdc/runtime/ukernels/f32-<op>.h, which generates the
 * prototypes below, the variant tables (kdc_f32_<op>_variants) and the tests.
 * Generated code calls the variant of its target by name; tests and
 * benchmarks walk the tables and skip what kdc_isa_available() rules out.
 *
 * Conventions. Matrices are row-major with an explicit row stride (in
 * floats), time-major for sequences ([T, C]: one row per time step). No
 * kernel allocates, keeps state or makes a system call: the caller owns every
 * buffer, and the few kernels that need scratch memory take a workspace with
 * a size query. Counts of valid rows (`count`) follow the student dialect
 * (dialects/student/.../StudentOps.td): a pooling kernel clamps its count to
 * [1, rows]; pass `rows` (or more) when every row is valid.
 *
 * Accuracy. The scalar variants use libm (expf, tanhf, erff) and are the
 * reference. The vector variants accumulate in a different order (and with
 * FMA), and evaluate transcendentals with polynomial or rational
 * approximations whose maximum errors are the KDC_*_MAX_ERROR constants
 * below; the tests check every variant against the scalar one with them. */
#ifndef KDC_RUNTIME_KERNELS_H
#define KDC_RUNTIME_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "kdc/runtime/isa.h"
#include "kdc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*===------------------------------------------------------------------===*
 * Common types
 *===------------------------------------------------------------------===*/

/* Activations, fused into dense and conv-bank epilogues or applied alone. */
typedef enum kdc_activation {
  KDC_ACTIVATION_NONE = 0,
  KDC_ACTIVATION_RELU = 1,
  KDC_ACTIVATION_TANH = 2,
  KDC_ACTIVATION_SIGMOID = 3,
  KDC_ACTIVATION_GELU = 4,     /* x * Phi(x), the erf form */
  KDC_ACTIVATION_GELU_TANH = 5 /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
} kdc_activation_t;

/* Direction of a recurrence (student.qrnn). */
typedef enum kdc_direction {
  KDC_DIRECTION_FORWARD = 0, /* t = 0 ... count-1 */
  KDC_DIRECTION_BACKWARD = 1 /* t = count-1 ... 0 */
} kdc_direction_t;

/* Maximum errors of the vector variants' approximations against libm, for
 * all float inputs; absolute unless named _REL_. Over every 16th float in
 * [-1e4, 1e4] the AVX2 variants measure 3.0e-7 (tanh), 1.2e-7 (sigmoid) and
 * 2.3e-7 (gelu, both forms); NEON evaluates the same formulas. The kernel
 * tests check every variant on [-20, 20] in steps of 1e-3 plus special and
 * huge values. exp is Cephes' expf polynomial (about 2 ulp), checked
 * through softmax. */
#define KDC_EXP_MAX_REL_ERROR 4e-7f   /* exp(x), for results >= FLT_MIN */
#define KDC_TANH_MAX_ERROR 5e-7f      /* tanh(x) */
#define KDC_SIGMOID_MAX_ERROR 3e-7f   /* 1 / (1 + exp(-x)) */
#define KDC_GELU_MAX_REL_ERROR 5e-7f  /* gelu(x), relative to max(1, |x|) */

/*===------------------------------------------------------------------===*
 * Weight packing (portable; the compiler calls these at compile time)
 *===------------------------------------------------------------------===*/

/* Convolution and dense weights are repacked into panels of `tile_n` output
 * channels: panel p holds channels [p*tile_n, (p+1)*tile_n) as
 * [K][Cin][tile_n] floats, so a micro-kernel reads tile_n consecutive
 * weights per (tap, input channel) step. Channels past Cout are zero. A
 * variant runs only the panel widths it supports (kdc_isa_supports_tile_n);
 * the scalar variant runs every multiple of 4, so any packing can also be
 * checked or run on the scalar path. */

/* The panel width that `isa` runs fastest for this shape, by a small cost
 * model of the micro-kernels (register tile, padding waste, tail tiles).
 * `rows` is the expected number of output rows (T + pads - K + 1 for a
 * convolution, T for a row-wise dense layer, 1 for a vector). */
size_t kdc_f32_conv_choose_tile_n(kdc_isa_t isa, size_t out_channels,
                                  size_t in_channels, size_t kernel_width,
                                  size_t rows);
size_t kdc_f32_dense_choose_tile_n(kdc_isa_t isa, size_t out_features,
                                   size_t in_features, size_t rows);

/* Nonzero if the `isa` variants of the conv bank and dense kernels run
 * weights packed with panel width `tile_n`. */
int kdc_isa_supports_tile_n(kdc_isa_t isa, size_t tile_n);

/* Number of floats of the packed form of conv weights [Cout, Cin, K]
 * (row-major, the ONNX/PyTorch layout); 0 if tile_n is 0. */
size_t kdc_f32_conv_packed_size(size_t out_channels, size_t in_channels,
                                size_t kernel_width, size_t tile_n);
/* Packs weights [Cout, Cin, K] into out_packed[kdc_f32_conv_packed_size()]. */
void kdc_f32_conv_pack(size_t out_channels, size_t in_channels,
                       size_t kernel_width, size_t tile_n,
                       const float *weights, float *out_packed);

/* The same for dense weights [N, K] (PyTorch Linear, ONNX Gemm transB=1);
 * a dense layer is a width-1 convolution, so the layouts agree. */
size_t kdc_f32_dense_packed_size(size_t out_features, size_t in_features,
                                 size_t tile_n);
void kdc_f32_dense_pack(size_t out_features, size_t in_features,
                        size_t tile_n, const float *weights,
                        float *out_packed);

/*===------------------------------------------------------------------===*
 * Operations
 *===------------------------------------------------------------------===*/

/* Declares `typedef <signature> kdc_f32_<op>_ukernel_t`, the table type
 * kdc_f32_<op>_variant_t, the table, and one prototype per list entry. */
#define KDC_DECLARE_VARIANT_TABLE(op)                                          \
  typedef struct kdc_f32_##op##_variant {                                      \
    const char *name;                                                          \
    kdc_isa_t isa;                                                             \
    kdc_f32_##op##_ukernel_t *ukernel;                                         \
  } kdc_f32_##op##_variant_t;                                                  \
  extern const kdc_f32_##op##_variant_t kdc_f32_##op##_variants[];             \
  extern const size_t kdc_f32_##op##_num_variants

/*--- Fused conv bank: conv1d branches + bias + activation + max over time ---*/

typedef struct kdc_f32_convbank_branch {
  size_t kernel_width;         /* K >= 1 */
  size_t out_channels;         /* Cout >= 1 */
  size_t pad_before;           /* zero rows before the sequence (l) */
  size_t pad_after;            /* zero rows after it (r) */
  size_t tile_n;               /* panel width the weights were packed with */
  const float *packed_weights; /* kdc_f32_conv_pack(Cout, Cin, K, tile_n) */
  const float *bias;           /* [Cout], or NULL for none */
} kdc_f32_convbank_branch_t;

typedef struct kdc_f32_convbank_params {
  size_t rows;        /* T: rows of the input */
  size_t in_channels; /* Cin */
  size_t x_stride;    /* floats from one input row to the next, >= Cin */
  size_t num_branches;
  const kdc_f32_convbank_branch_t *branches;
  /* Applied after pooling, which is exact for monotone non-decreasing
   * functions: NONE, RELU, TANH or SIGMOID (GELU is rejected). */
  kdc_activation_t activation;
} kdc_f32_convbank_params_t;

/* student.conv_bank. x is [T, Cin] (time-major, row stride x_stride); rows
 * outside [0, T) of the padded input are zero. Branch i computes
 *   y_i[t, o] = bias[o] + sum_k sum_c x[t + k - l, c] * w[o, c, k]
 * and writes out[off_i + o] = act(max over t < M_i of y_i[t, o]), off_i the
 * sum of the earlier branches' Cout, over its first
 *   M_i = min(T + l + r - K + 1, max(1, n + l + r - K + 1))
 * rows, n = min(count, T) (pass count >= T for "every row"). Only those M_i
 * rows are computed: the [T, Cout] activations are never materialised.
 * `workspace` holds kdc_f32_convbank_workspace_size() bytes (NULL if 0).
 * Returns KDC_OK, KDC_ERR_NULL_ARGUMENT, KDC_ERR_WORKSPACE, or
 * KDC_ERR_BAD_MODEL (a branch longer than the padded input, a tile_n this
 * variant does not run, a non-monotone activation). */
typedef int kdc_f32_convbank_ukernel_t(const kdc_f32_convbank_params_t *params,
                                       const float *x, size_t count,
                                       float *out, void *workspace,
                                       size_t workspace_size);
#define KDC_UKERNEL(isa, fn) kdc_f32_convbank_ukernel_t fn;
#include "kdc/runtime/ukernels/f32-convbank.h"
#undef KDC_UKERNEL
KDC_DECLARE_VARIANT_TABLE(convbank);

/* Bytes of workspace the conv bank needs (the same for every variant): one
 * zero row of Cin floats when a branch pads, else 0. */
size_t kdc_f32_convbank_workspace_size(const kdc_f32_convbank_params_t *params);

/*--- Dense: y = act(W x + b), for one vector or row-wise over [T, K] ---*/

typedef struct kdc_f32_dense_params {
  size_t in_features;          /* K */
  size_t out_features;         /* N */
  size_t tile_n;               /* panel width the weights were packed with */
  const float *packed_weights; /* kdc_f32_dense_pack(N, K, tile_n) */
  const float *bias;           /* [N], or NULL for none */
  kdc_activation_t activation;
} kdc_f32_dense_params_t;

/* y[t, n] = act(sum_k x[t, k] * W[n, k] + bias[n]) for t < rows (rows = 1
 * for the vector form). Returns KDC_OK, KDC_ERR_NULL_ARGUMENT, or
 * KDC_ERR_BAD_MODEL (a tile_n this variant does not run). */
typedef int kdc_f32_dense_ukernel_t(const kdc_f32_dense_params_t *params,
                                    size_t rows, const float *x,
                                    size_t x_stride, float *y,
                                    size_t y_stride);
#define KDC_UKERNEL(isa, fn) kdc_f32_dense_ukernel_t fn;
#include "kdc/runtime/ukernels/f32-dense.h"
#undef KDC_UKERNEL
KDC_DECLARE_VARIANT_TABLE(dense);

/*--- Conv1d: every output row, no pooling ---*/

typedef struct kdc_f32_conv1d_params {
  size_t rows;                 /* T: rows of the input */
  size_t in_channels;          /* Cin */
  size_t x_stride;             /* floats from one input row to the next, >= Cin */
  size_t kernel_width;         /* K >= 1 */
  size_t out_channels;         /* Cout >= 1 */
  size_t pad_before;           /* zero rows before the sequence (l) */
  size_t pad_after;            /* zero rows after it (r) */
  size_t tile_n;               /* panel width the weights were packed with */
  const float *packed_weights; /* kdc_f32_conv_pack(Cout, Cin, K, tile_n) */
  const float *bias;           /* [Cout], or NULL for none */
  kdc_activation_t activation; /* any; ReLU is fused into the tile epilogue */
} kdc_f32_conv1d_params_t;

/* student.conv1d (dilation 1) over the time-major input x ([T, Cin], row
 * stride x_stride; rows outside [0, T) of the padded input are zero):
 *   y[t, o] = act(bias[o] + sum_k sum_c x[t + k - l, c] * w[o, c, k])
 * for t < out_rows, row t at y + t * y_stride (y_stride >= Cout). The
 * result has T + l + r - K + 1 rows; out_rows may be fewer (a caller that
 * needs only the utterance's rows computes only those), and then only input
 * rows below out_rows + K - 1 - l are read. Same register tiles and packed
 * weights as the conv bank (kdc_f32_conv_choose_tile_n), direct convolution
 * without an im2col copy. `workspace` holds kdc_f32_conv1d_workspace_size()
 * bytes (NULL if 0). Returns KDC_OK, KDC_ERR_NULL_ARGUMENT,
 * KDC_ERR_WORKSPACE, or KDC_ERR_BAD_MODEL (K longer than the padded input,
 * out_rows past the result, a stride below its row length, a tile_n this
 * variant does not run). */
typedef int kdc_f32_conv1d_ukernel_t(const kdc_f32_conv1d_params_t *params,
                                     const float *x, size_t out_rows,
                                     float *y, size_t y_stride,
                                     void *workspace, size_t workspace_size);
#define KDC_UKERNEL(isa, fn) kdc_f32_conv1d_ukernel_t fn;
#include "kdc/runtime/ukernels/f32-conv1d.h"
#undef KDC_UKERNEL
KDC_DECLARE_VARIANT_TABLE(conv1d);

/* Bytes of workspace conv1d needs (the same for every variant): one zero
 * row of Cin floats when it pads, else 0. */
size_t kdc_f32_conv1d_workspace_size(const kdc_f32_conv1d_params_t *params);

/*--- Row copy and mask (portable: memcpy and memset) ---*/

/* With c = min(count, rows): y[t, :] = x[t, :] for t < c and 0 for
 * c <= t < rows, over `cols` floats per row. x may equal y (with the same
 * stride; the copy is then skipped), which is student.mask_rows in place.
 * Bit-exact. Generated code also uses it to copy a sequence into a column
 * slice of a concatenation and to zero-pad a features buffer. */
void kdc_f32_mask_rows(size_t rows, size_t cols, const float *x,
                       size_t x_stride, size_t count, float *y,
                       size_t y_stride);

/*--- Embedding gather ---*/

/* out[t, :] = table[ids[t], :] for t < num_ids, and 0 for num_ids <= t <
 * rows. Checks every id before writing anything: returns
 * KDC_ERR_TOKEN_RANGE if an id is outside [0, vocab_size),
 * KDC_ERR_TOO_MANY_TOKENS if num_ids > rows, KDC_ERR_NULL_ARGUMENT, or
 * KDC_OK. Bit-exact across variants. */
typedef int kdc_f32_embedding_ukernel_t(size_t num_ids, const int32_t *ids,
                                        size_t vocab_size, size_t dim,
                                        const float *table, size_t rows,
                                        float *out, size_t out_stride);
#define KDC_UKERNEL(isa, fn) kdc_f32_embedding_ukernel_t fn;
#include "kdc/runtime/ukernels/f32-embedding.h"
#undef KDC_UKERNEL
KDC_DECLARE_VARIANT_TABLE(embedding);

/*--- Elementwise activation ---*/

/* y[i] = act(x[i]) for i < n; y may equal x. */
typedef void kdc_f32_vact_ukernel_t(size_t n, const float *x, float *y,
                                    kdc_activation_t activation);
#define KDC_UKERNEL(isa, fn) kdc_f32_vact_ukernel_t fn;
#include "kdc/runtime/ukernels/f32-vact.h"
#undef KDC_UKERNEL
KDC_DECLARE_VARIANT_TABLE(vact);

/*--- Max over time ---*/

/* out[c] = max over t < clamp(count, 1, rows) of x[t, c]. */
typedef void kdc_f32_maxpool_time_ukernel_t(size_t rows, size_t channels,
                                            const float *x, size_t x_stride,
                                            size_t count, float *out);
#define KDC_UKERNEL(isa, fn) kdc_f32_maxpool_time_ukernel_t fn;
#include "kdc/runtime/ukernels/f32-maxpool-time.h"
#undef KDC_UKERNEL
KDC_DECLARE_VARIANT_TABLE(maxpool_time);

/*--- Attention pooling ---*/

/* With c = clamp(count, 1, rows): a = softmax_t(x[t, :] . query) over t < c,
 * out = sum_t a[t] x[t, :]. */
typedef void kdc_f32_attnpool_ukernel_t(size_t rows, size_t channels,
                                        const float *x, size_t x_stride,
                                        const float *query, size_t count,
                                        float *out);
#define KDC_UKERNEL(isa, fn) kdc_f32_attnpool_ukernel_t fn;
#include "kdc/runtime/ukernels/f32-attnpool.h"
#undef KDC_UKERNEL
KDC_DECLARE_VARIANT_TABLE(attnpool);

/*--- QRNN fo-pooling ---*/

/* gates is [rows, 3H]: pre-activations Z | F | O. With z = tanh(Z),
 * f = sigmoid(F), o = sigmoid(O): c_t = f_t c_{t-1} + (1 - f_t) z_t,
 * h_t = o_t c_t, c = 0 before the first step, over t = 0 ... c-1 (forward)
 * or c-1 ... 0 (backward), c = clamp(count, 1, rows). Rows t >= c of h
 * ([rows, H], row stride h_stride) are 0. */
typedef void kdc_f32_qrnn_ukernel_t(size_t rows, size_t hidden,
                                    const float *gates, size_t gates_stride,
                                    size_t count, kdc_direction_t direction,
                                    float *h, size_t h_stride);
#define KDC_UKERNEL(isa, fn) kdc_f32_qrnn_ukernel_t fn;
#include "kdc/runtime/ukernels/f32-qrnn.h"
#undef KDC_UKERNEL
KDC_DECLARE_VARIANT_TABLE(qrnn);

/*--- Softmax ---*/

/* y = softmax(x[0..n)), n >= 1; y may equal x. */
typedef void kdc_f32_softmax_ukernel_t(size_t n, const float *x, float *y);
#define KDC_UKERNEL(isa, fn) kdc_f32_softmax_ukernel_t fn;
#include "kdc/runtime/ukernels/f32-softmax.h"
#undef KDC_UKERNEL
KDC_DECLARE_VARIANT_TABLE(softmax);

/*--- Layer normalisation ---*/

/* Per row: y = (x - mean) / sqrt(var + epsilon) * gamma + beta over the n
 * columns (biased variance, as PyTorch); y may equal x. */
typedef void kdc_f32_layernorm_ukernel_t(size_t rows, size_t n,
                                         const float *x, size_t x_stride,
                                         const float *gamma,
                                         const float *beta, float epsilon,
                                         float *y, size_t y_stride);
#define KDC_UKERNEL(isa, fn) kdc_f32_layernorm_ukernel_t fn;
#include "kdc/runtime/ukernels/f32-layernorm.h"
#undef KDC_UKERNEL
KDC_DECLARE_VARIANT_TABLE(layernorm);

#undef KDC_DECLARE_VARIANT_TABLE

#ifdef __cplusplus
}
#endif

#endif /* KDC_RUNTIME_KERNELS_H */
