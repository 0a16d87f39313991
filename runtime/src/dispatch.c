/* The variant tables of every kernel, generated from the X-macro lists
 * (kdc/runtime/ukernels/f32-*.h). Tests and benchmarks walk them; generated
 * code never does, so a static link of a model pulls none of this in. */
#include "kdc/runtime/kernels.h"

#define KDC_UKERNEL(isa, fn) {#fn, isa, fn},

const kdc_f32_convbank_variant_t kdc_f32_convbank_variants[] = {
#include "kdc/runtime/ukernels/f32-convbank.h"
};
const size_t kdc_f32_convbank_num_variants =
    sizeof kdc_f32_convbank_variants / sizeof kdc_f32_convbank_variants[0];

const kdc_f32_dense_variant_t kdc_f32_dense_variants[] = {
#include "kdc/runtime/ukernels/f32-dense.h"
};
const size_t kdc_f32_dense_num_variants =
    sizeof kdc_f32_dense_variants / sizeof kdc_f32_dense_variants[0];

const kdc_f32_conv1d_variant_t kdc_f32_conv1d_variants[] = {
#include "kdc/runtime/ukernels/f32-conv1d.h"
};
const size_t kdc_f32_conv1d_num_variants =
    sizeof kdc_f32_conv1d_variants / sizeof kdc_f32_conv1d_variants[0];

const kdc_f32_embedding_variant_t kdc_f32_embedding_variants[] = {
#include "kdc/runtime/ukernels/f32-embedding.h"
};
const size_t kdc_f32_embedding_num_variants =
    sizeof kdc_f32_embedding_variants / sizeof kdc_f32_embedding_variants[0];

const kdc_f32_vact_variant_t kdc_f32_vact_variants[] = {
#include "kdc/runtime/ukernels/f32-vact.h"
};
const size_t kdc_f32_vact_num_variants =
    sizeof kdc_f32_vact_variants / sizeof kdc_f32_vact_variants[0];

const kdc_f32_maxpool_time_variant_t kdc_f32_maxpool_time_variants[] = {
#include "kdc/runtime/ukernels/f32-maxpool-time.h"
};
const size_t kdc_f32_maxpool_time_num_variants =
    sizeof kdc_f32_maxpool_time_variants / sizeof kdc_f32_maxpool_time_variants[0];

const kdc_f32_attnpool_variant_t kdc_f32_attnpool_variants[] = {
#include "kdc/runtime/ukernels/f32-attnpool.h"
};
const size_t kdc_f32_attnpool_num_variants =
    sizeof kdc_f32_attnpool_variants / sizeof kdc_f32_attnpool_variants[0];

const kdc_f32_qrnn_variant_t kdc_f32_qrnn_variants[] = {
#include "kdc/runtime/ukernels/f32-qrnn.h"
};
const size_t kdc_f32_qrnn_num_variants =
    sizeof kdc_f32_qrnn_variants / sizeof kdc_f32_qrnn_variants[0];

const kdc_f32_softmax_variant_t kdc_f32_softmax_variants[] = {
#include "kdc/runtime/ukernels/f32-softmax.h"
};
const size_t kdc_f32_softmax_num_variants =
    sizeof kdc_f32_softmax_variants / sizeof kdc_f32_softmax_variants[0];

const kdc_f32_layernorm_variant_t kdc_f32_layernorm_variants[] = {
#include "kdc/runtime/ukernels/f32-layernorm.h"
};
const size_t kdc_f32_layernorm_num_variants =
    sizeof kdc_f32_layernorm_variants / sizeof kdc_f32_layernorm_variants[0];

#undef KDC_UKERNEL
