// Benchmarks of the runtime's kernels, every variant the CPU runs. The conv
// bank and dense kernels at the CNN student shapes:
//
//   S-server: T = 32 tokens, embedding dim 300, widths 2..6 x 500 filters
//   S-edge:   T = 32 tokens, embedding dim 64,  widths 2..6 x 128 filters
//
// each at full length (count = T) and at a typical utterance length (count =
// 12; the kernel computes only the pooled rows). The pQRNN's kernels at its
// default shape (T = 64, 512 projection features, bottleneck 128, state
// H = 128 per direction, two bidirectional layers): the gate convolutions
// (conv1d, K = 3, causal, 128 -> 384 and 256 -> 384), fo-pooling (qrnn) and
// attention pooling over 256 channels, at n = 10 tokens (what the generated
// code computes for a typical utterance) and at n = T. Counters: GFLOPS (2 flops
// per MAC actually computed, over CPU time) and fma_bound, its fraction of
// this core's fp32 FMA bound, measured at start-up by an AVX2 FMA-throughput
// loop (best of 20; set KDC_FMA_PEAK_GFLOPS to use a fixed number instead).
// With --benchmark_repetitions, the aggregates of the counters are the
// median etc. over repetitions like the times.
//
//   kdc-kernels-bench --benchmark_repetitions=15 \
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <time.h>
#include <vector>

#include "kdc/runtime/kernels.h"

#if defined(__x86_64__)
extern "C" double kdc_bench_fma_peak_gflops(int repetitions);
#endif

namespace {

double measureFmaPeakGflops() {
  if (const char *env = std::getenv("KDC_FMA_PEAK_GFLOPS"))
    return std::atof(env);
#if defined(__x86_64__)
  if (!kdc_isa_available(KDC_ISA_AVX2_FMA))
    return 0.0;
  return kdc_bench_fma_peak_gflops(20);
#else
  return 0.0;
#endif
}

double fmaPeakGflops() {
  static const double peak = measureFmaPeakGflops();
  return peak;
}

// CPU time of this thread (what Google Benchmark's CPU column reports): on a
// loaded machine it leaves out the time the benchmark is not scheduled.
double threadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// GFLOPS (2 flops per MAC computed, over CPU time) and fma_bound (its
// fraction of the measured fp32 FMA bound) as plain counters.
void setCounters(benchmark::State &state, double macs, double cpuSeconds) {
  state.counters["MMAC"] = macs * 1e-6;
  if (cpuSeconds <= 0 || state.iterations() == 0)
    return;
  const double gflops = 2.0 * macs * (double)state.iterations() / cpuSeconds * 1e-9;
  state.counters["GFLOPS"] = gflops;
  if (fmaPeakGflops() > 0)
    state.counters["fma_bound"] = gflops / fmaPeakGflops();
}

// 64-byte aligned float storage (the generated code aligns its buffers so).
struct AlignedFloats {
  explicit AlignedFloats(size_t n)
      : data(static_cast<float *>(std::aligned_alloc(64, ((n * 4 + 63) / 64) * 64))),
        size(n) {}
  ~AlignedFloats() { std::free(data); }
  AlignedFloats(const AlignedFloats &) = delete;
  AlignedFloats &operator=(const AlignedFloats &) = delete;
  float *data;
  size_t size;
};

void fillRandom(float *p, size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
  for (size_t i = 0; i < n; i++)
    p[i] = dist(gen);
}

struct ConvShape {
  const char *name;
  size_t rows, inChannels, outChannels;
};

const ConvShape kConvShapes[] = {
    {"S-server", 32, 300, 500},
    {"S-edge", 32, 64, 128},
};
const size_t kWidths[] = {2, 3, 4, 5, 6};

void benchConvBank(benchmark::State &state,
                   const kdc_f32_convbank_variant_t *variant,
                   const ConvShape *shape, size_t count) {
  const size_t numBranches = sizeof kWidths / sizeof kWidths[0];
  AlignedFloats x(shape->rows * shape->inChannels);
  fillRandom(x.data, x.size, 1);
  std::vector<std::unique_ptr<AlignedFloats>> blobs;
  std::vector<std::vector<float>> biases;
  std::vector<kdc_f32_convbank_branch_t> branches;
  double macs = 0;
  for (size_t i = 0; i < numBranches; i++) {
    const size_t k = kWidths[i], cout = shape->outChannels, cin = shape->inChannels;
    std::vector<float> w(cout * cin * k);
    fillRandom(w.data(), w.size(), 100 + (unsigned)i);
    const size_t nr = kdc_f32_conv_choose_tile_n(variant->isa, cout, cin, k,
                                                 shape->rows - k + 1);
    blobs.push_back(std::make_unique<AlignedFloats>(
        kdc_f32_conv_packed_size(cout, cin, k, nr)));
    kdc_f32_conv_pack(cout, cin, k, nr, w.data(), blobs.back()->data);
    biases.emplace_back(cout, 0.01f);
    branches.push_back({k, cout, 0, 0, nr, blobs.back()->data, biases.back().data()});
    // Valid padding: the kernel computes max(1, n - K + 1) output rows.
    const size_t n = std::min(count, shape->rows);
    const size_t pooled = n >= k ? n - k + 1 : 1;
    macs += (double)pooled * (double)(k * cin * cout);
  }
  const kdc_f32_convbank_params_t params = {shape->rows, shape->inChannels,
                                            shape->inChannels, numBranches,
                                            branches.data(), KDC_ACTIVATION_RELU};
  std::vector<float> out(numBranches * shape->outChannels);
  const size_t wsSize = kdc_f32_convbank_workspace_size(&params);
  const double start = threadCpuSeconds();
  for (auto _ : state) {
    const int status = variant->ukernel(&params, x.data, count, out.data(), nullptr, wsSize);
    if (status != KDC_OK) {
      state.SkipWithError(kdc_status_string(status));
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double cpuSeconds = threadCpuSeconds() - start;
  state.SetLabel(std::string("tile_n=") + std::to_string(branches[0].tile_n));
  setCounters(state, macs, cpuSeconds);
}

struct DenseShape {
  const char *name;
  size_t rows, inFeatures, outFeatures;
};

const DenseShape kDenseShapes[] = {
    {"S-server-logits", 1, 2500, 60}, // concat of 5 x 500 pooled features
    {"S-edge-logits", 1, 640, 60},    // 5 x 128
    {"rows32-300x300", 32, 300, 300}, // a row-wise projection of [T, D]
};

void benchDense(benchmark::State &state, const kdc_f32_dense_variant_t *variant,
                const DenseShape *shape) {
  const size_t n = shape->outFeatures, k = shape->inFeatures;
  std::vector<float> w(n * k), bias(n, 0.01f);
  fillRandom(w.data(), w.size(), 7);
  const size_t nr = kdc_f32_dense_choose_tile_n(variant->isa, n, k, shape->rows);
  AlignedFloats packed(kdc_f32_dense_packed_size(n, k, nr));
  kdc_f32_dense_pack(n, k, nr, w.data(), packed.data);
  AlignedFloats x(shape->rows * k), y(shape->rows * n);
  fillRandom(x.data, x.size, 3);
  const kdc_f32_dense_params_t params = {k, n, nr, packed.data, bias.data(),
                                         KDC_ACTIVATION_NONE};
  const double start = threadCpuSeconds();
  for (auto _ : state) {
    const int status = variant->ukernel(&params, shape->rows, x.data, k, y.data, n);
    if (status != KDC_OK) {
      state.SkipWithError(kdc_status_string(status));
      break;
    }
    benchmark::DoNotOptimize(y.data);
    benchmark::ClobberMemory();
  }
  const double cpuSeconds = threadCpuSeconds() - start;
  state.SetLabel(std::string("tile_n=") + std::to_string(nr));
  setCounters(state, (double)shape->rows * (double)(n * k), cpuSeconds);
}

// The pQRNN's per-utterance kernels (see the top of the file).
struct Conv1dShape {
  const char *name;
  size_t rows, inChannels, outChannels, kernelWidth;
};

const Conv1dShape kConv1dShapes[] = {
    {"pqrnn-gates-l1", 64, 128, 384, 3}, // bottleneck 128 -> Z|F|O of H = 128
    {"pqrnn-gates-l2", 64, 256, 384, 3}, // both directions of layer 1 -> 3H
};

void benchConv1d(benchmark::State &state, const kdc_f32_conv1d_variant_t *variant,
                 const Conv1dShape *shape, size_t outRows) {
  const size_t cout = shape->outChannels, cin = shape->inChannels, k = shape->kernelWidth;
  std::vector<float> w(cout * cin * k), bias(cout, 0.01f);
  fillRandom(w.data(), w.size(), 11);
  // The compiler packs for a typical utterance's row count (KernelProgram).
  const size_t nr = kdc_f32_conv_choose_tile_n(variant->isa, cout, cin, k,
                                               std::min<size_t>(shape->rows, 12));
  AlignedFloats packed(kdc_f32_conv_packed_size(cout, cin, k, nr));
  kdc_f32_conv_pack(cout, cin, k, nr, w.data(), packed.data);
  AlignedFloats x(shape->rows * cin), y(shape->rows * cout);
  fillRandom(x.data, x.size, 5);
  const kdc_f32_conv1d_params_t params = {shape->rows, cin, cin, k, cout, k - 1, 0, nr,
                                          packed.data, bias.data(), KDC_ACTIVATION_NONE};
  std::vector<float> ws(kdc_f32_conv1d_workspace_size(&params) / sizeof(float) + 1);
  const double start = threadCpuSeconds();
  for (auto _ : state) {
    const int status = variant->ukernel(&params, x.data, outRows, y.data, cout, ws.data(),
                                        ws.size() * sizeof(float));
    if (status != KDC_OK) {
      state.SkipWithError(kdc_status_string(status));
      break;
    }
    benchmark::DoNotOptimize(y.data);
    benchmark::ClobberMemory();
  }
  const double cpuSeconds = threadCpuSeconds() - start;
  state.SetLabel(std::string("tile_n=") + std::to_string(nr));
  setCounters(state, (double)outRows * (double)(cout * cin * k), cpuSeconds);
}

void benchQrnn(benchmark::State &state, const kdc_f32_qrnn_variant_t *variant,
               size_t hidden, size_t rows, size_t count, kdc_direction_t direction) {
  AlignedFloats gates(rows * 3 * hidden), h(rows * 2 * hidden);
  fillRandom(gates.data, gates.size, 13);
  for (auto _ : state) {
    // h_stride 2H: the generated code writes into the concat's column slice.
    variant->ukernel(rows, hidden, gates.data, 3 * hidden, count, direction, h.data,
                     2 * hidden);
    benchmark::DoNotOptimize(h.data);
    benchmark::ClobberMemory();
  }
  state.counters["steps"] = (double)std::min(count, rows);
}

void benchAttnPool(benchmark::State &state, const kdc_f32_attnpool_variant_t *variant,
                   size_t channels, size_t rows, size_t count) {
  AlignedFloats x(rows * channels), query(channels), out(channels);
  fillRandom(x.data, x.size, 17);
  fillRandom(query.data, query.size, 19);
  for (auto _ : state) {
    variant->ukernel(rows, channels, x.data, channels, query.data, count, out.data);
    benchmark::DoNotOptimize(out.data);
    benchmark::ClobberMemory();
  }
}

// min and max over repetitions next to Google Benchmark's mean, median,
// stddev and cv: on a shared machine the spread is part of the result.
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

void registerBenchmarks() {
  for (size_t v = 0; v < kdc_f32_convbank_num_variants; v++) {
    const kdc_f32_convbank_variant_t *variant = &kdc_f32_convbank_variants[v];
    if (!kdc_isa_available(variant->isa))
      continue;
    for (const ConvShape &shape : kConvShapes)
      for (size_t count : {shape.rows, (size_t)12}) {
        const std::string name = std::string("convbank/") + shape.name + "/" +
                                 kdc_isa_name(variant->isa) + "/n:" +
                                 std::to_string(count);
        withSpread(benchmark::RegisterBenchmark(name.c_str(), benchConvBank,
                                                variant, &shape, count));
      }
  }
  for (size_t v = 0; v < kdc_f32_dense_num_variants; v++) {
    const kdc_f32_dense_variant_t *variant = &kdc_f32_dense_variants[v];
    if (!kdc_isa_available(variant->isa))
      continue;
    for (const DenseShape &shape : kDenseShapes) {
      const std::string name = std::string("dense/") + shape.name + "/" +
                               kdc_isa_name(variant->isa);
      withSpread(benchmark::RegisterBenchmark(name.c_str(), benchDense, variant, &shape));
    }
  }
  for (size_t v = 0; v < kdc_f32_conv1d_num_variants; v++) {
    const kdc_f32_conv1d_variant_t *variant = &kdc_f32_conv1d_variants[v];
    if (!kdc_isa_available(variant->isa))
      continue;
    for (const Conv1dShape &shape : kConv1dShapes)
      for (size_t n : {(size_t)10, shape.rows}) {
        const std::string name = std::string("conv1d/") + shape.name + "/" +
                                 kdc_isa_name(variant->isa) + "/n:" + std::to_string(n);
        withSpread(benchmark::RegisterBenchmark(name.c_str(), benchConv1d, variant, &shape, n));
      }
  }
  for (size_t v = 0; v < kdc_f32_qrnn_num_variants; v++) {
    const kdc_f32_qrnn_variant_t *variant = &kdc_f32_qrnn_variants[v];
    if (!kdc_isa_available(variant->isa))
      continue;
    for (size_t n : {(size_t)10, (size_t)64})
      for (kdc_direction_t dir : {KDC_DIRECTION_FORWARD, KDC_DIRECTION_BACKWARD}) {
        const std::string name = std::string("qrnn/H128-T64/") + kdc_isa_name(variant->isa) +
                                 (dir == KDC_DIRECTION_FORWARD ? "/forward" : "/backward") +
                                 "/n:" + std::to_string(n);
        withSpread(benchmark::RegisterBenchmark(name.c_str(), benchQrnn, variant, (size_t)128,
                                                (size_t)64, n, dir));
      }
  }
  for (size_t v = 0; v < kdc_f32_attnpool_num_variants; v++) {
    const kdc_f32_attnpool_variant_t *variant = &kdc_f32_attnpool_variants[v];
    if (!kdc_isa_available(variant->isa))
      continue;
    for (size_t n : {(size_t)10, (size_t)64}) {
      const std::string name = std::string("attnpool/C256-T64/") +
                               kdc_isa_name(variant->isa) + "/n:" + std::to_string(n);
      withSpread(benchmark::RegisterBenchmark(name.c_str(), benchAttnPool, variant,
                                              (size_t)256, (size_t)64, n));
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  std::printf("fp32 FMA bound of this core: %.1f GFLOP/s%s\n", fmaPeakGflops(),
              std::getenv("KDC_FMA_PEAK_GFLOPS") ? " (KDC_FMA_PEAK_GFLOPS)"
                                                 : " (measured, best of 20)");
  registerBenchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
