//===- compiled.h - the libraries one compiled-engine harness links -------===//
//
// bench/run.py compiles one model with `kdc compile --emit c++` for every
// --target this CPU runs, and writes a small glue file that lists them:
//
//   #include "compiled.h"
//   #include "s_edge__x86_64_avx2.h"
//   const kdc_bench::CompiledModel kdc_bench_models[] = {
//     {"x86-64-avx2", s_edge__x86_64_avx2_predict_ids, nullptr, nullptr,
//      s_edge__x86_64_avx2_WORKSPACE_BYTES, s_edge__x86_64_avx2_NUM_CLASSES,
//      s_edge__x86_64_avx2_MAX_TOKENS}, ...};
//   const size_t kdc_bench_num_models = ...;
//
// compiled.cc (Google Benchmark) + the glue + the generated sources + kdcrt
// make one benchmark binary per model.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_BENCH_COMPILED_H
#define KDC_BENCH_COMPILED_H

#include <cstddef>
#include <cstdint>

namespace kdc_bench {

using PredictIds = int (*)(const int32_t *ids, size_t n_ids, float *logits,
                           void *workspace);
using PredictText = int (*)(const char *utf8, size_t len, float *logits,
                            void *workspace);
using PredictFeatures = int (*)(const float *features, size_t n_tokens,
                                float *logits, void *workspace);

struct CompiledModel {
  const char *target;       // kdc compile --target
  PredictIds predictIds;    // nullptr for a features-in model (pQRNN)
  PredictFeatures predictFeatures; // nullptr for an ids-in model
  PredictText predictText;  // nullptr when the model has no featurizer
  size_t workspaceBytes;
  size_t numClasses;
  size_t maxTokens;
};

} // namespace kdc_bench

extern const kdc_bench::CompiledModel kdc_bench_models[];
extern const size_t kdc_bench_num_models;

#endif // KDC_BENCH_COMPILED_H
