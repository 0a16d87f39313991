// Latency of whole compiled students, batch 1: the pQRNN at its default
// shape (models/pqrnn.mlir) next to the CNN student of the main job
// (models/cnn.mlir), both compiled by `kdc compile --emit c++` at build time
// for this machine's vector kernels (x86-64-avx2 or aarch64-neon) and for
// the portable ones (generic).
//
//   pqrnn_*/features/n:N   NAME_predict_features on N rows of projection
//                          features (what the featurizer gives for N tokens)
//   pqrnn_*/text/n:10      NAME_predict on a 10-token utterance, featurizer
//                          included
//   cnn_*/ids/n:N          NAME_predict_ids on N token ids
//
//   kdc-models-bench --benchmark_repetitions=10 \
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kdc/runtime/isa.h"
#include "kdc/runtime/projection.h"

#include "cnn_generic.h"
#include "cnn_vector.h"
#include "pqrnn_generic.h"
#include "pqrnn_vector.h"

namespace {

constexpr const char *kText = "wake me up at seven thirty tomorrow morning please";

struct Workspace {
  explicit Workspace(size_t bytes)
      : data(static_cast<unsigned char *>(std::aligned_alloc(64, (bytes + 63) / 64 * 64))) {}
  ~Workspace() { std::free(data); }
  Workspace(const Workspace &) = delete;
  Workspace &operator=(const Workspace &) = delete;
  unsigned char *data;
};

using FeaturesFn = int (*)(const float *, size_t, float *, void *);
using TextFn = int (*)(const char *, size_t, float *, void *);
using IdsFn = int (*)(const int32_t *, size_t, float *, void *);

void benchFeatures(benchmark::State &state, FeaturesFn predict, size_t wsBytes,
                   size_t numFeatures, size_t n) {
  // Ternary rows, as the featurizer writes them.
  std::vector<float> rows(n * numFeatures);
  std::mt19937 gen(1);
  for (float &v : rows) {
    unsigned r = gen() & 3;
    v = r == 2 ? 1.0f : r == 3 ? -1.0f : 0.0f;
  }
  Workspace ws(wsBytes);
  std::vector<float> logits(256);
  for (auto _ : state) {
    int cls = predict(rows.data(), n, logits.data(), ws.data);
    if (cls < 0) {
      state.SkipWithError("predict_features failed");
      break;
    }
    benchmark::DoNotOptimize(cls);
  }
}

void benchText(benchmark::State &state, TextFn predict, size_t wsBytes) {
  Workspace ws(wsBytes);
  std::vector<float> logits(256);
  for (auto _ : state) {
    int cls = predict(kText, std::strlen(kText), logits.data(), ws.data);
    if (cls < 0) {
      state.SkipWithError("predict failed");
      break;
    }
    benchmark::DoNotOptimize(cls);
  }
}

void benchIds(benchmark::State &state, IdsFn predict, size_t wsBytes, size_t vocab,
              size_t n) {
  std::vector<int32_t> ids(n);
  std::mt19937 gen(2);
  for (int32_t &id : ids)
    id = int32_t(gen() % vocab);
  Workspace ws(wsBytes);
  std::vector<float> logits(256);
  for (auto _ : state) {
    int cls = predict(ids.data(), n, logits.data(), ws.data);
    if (cls < 0) {
      state.SkipWithError("predict_ids failed");
      break;
    }
    benchmark::DoNotOptimize(cls);
  }
}

benchmark::internal::Benchmark *withSpread(benchmark::internal::Benchmark *b) {
  return b->Unit(benchmark::kMicrosecond)
      ->ComputeStatistics("min",
                          [](const std::vector<double> &v) {
                            return *std::min_element(v.begin(), v.end());
                          })
      ->ComputeStatistics("max", [](const std::vector<double> &v) {
        return *std::max_element(v.begin(), v.end());
      });
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  const bool vector = kdc_isa_available(KDC_MODELS_BENCH_ISA);
  if (!vector)
    std::printf("this CPU cannot run the %s kernels: portable libraries only\n",
                KDC_MODELS_BENCH_TARGET);
  struct Variant {
    const char *name;
    bool run;
    FeaturesFn features;
    TextFn text;
    size_t pqrnnWs;
    IdsFn ids;
    size_t cnnWs;
  };
  const Variant variants[] = {
      {KDC_MODELS_BENCH_TARGET, vector, pqrnn_vector_predict_features,
       pqrnn_vector_predict, pqrnn_vector_WORKSPACE_BYTES, cnn_vector_predict_ids,
       cnn_vector_WORKSPACE_BYTES},
      {"generic", true, pqrnn_generic_predict_features, pqrnn_generic_predict,
       pqrnn_generic_WORKSPACE_BYTES, cnn_generic_predict_ids,
       cnn_generic_WORKSPACE_BYTES},
  };
  for (const Variant &v : variants) {
    if (!v.run)
      continue;
    for (size_t n : {(size_t)10, (size_t)pqrnn_vector_MAX_TOKENS})
      withSpread(benchmark::RegisterBenchmark(
          ("pqrnn_" + std::string(v.name) + "/features/n:" + std::to_string(n)).c_str(),
          benchFeatures, v.features, v.pqrnnWs, (size_t)pqrnn_vector_NUM_FEATURES, n));
    withSpread(benchmark::RegisterBenchmark(
        ("pqrnn_" + std::string(v.name) + "/text/n:10").c_str(), benchText, v.text,
        v.pqrnnWs));
    for (size_t n : {(size_t)10, (size_t)cnn_vector_MAX_TOKENS})
      withSpread(benchmark::RegisterBenchmark(
          ("cnn_" + std::string(v.name) + "/ids/n:" + std::to_string(n)).c_str(), benchIds,
          v.ids, v.cnnWs, (size_t)cnn_vector_VOCAB_SIZE, n));
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
