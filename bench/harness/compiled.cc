//===- compiled.cc - Google Benchmark of kdc-generated libraries ----------===//
//
// One binary per model, built by bench/run.py from this file, a glue file
// listing the model's libraries (compiled.h), the generated sources and
// kdcrt. Modes:
//
//   bench-kdc --inputs IN.json [--runs N] [--repetitions R] [--batches 1,32]
//             [--results OUT.json] [--logits-dir DIR] [--accuracy N]
//             [--max-seconds S] [--input text] [Google Benchmark flags]
//       --logits-dir: first, every target classifies the first N utterances
//       (--accuracy, 0 = all) once and writes DIR/TARGET.logits (float32
//       N x C); then the timing: per target and batch, R repetitions of
//       ceil(N_runs / batch) timed calls (results: latency.h's JSON), fewer
//       when that would take longer than --max-seconds (latency.h's
//       cappedCalls; "capped" in the results).
//   bench-kdc --inputs IN.json --callgrind N --target T
//       one untimed call, then N batch-1 inferences inside
//       kdc_bench_measured(), the function valgrind --toggle-collect counts.
//   bench-kdc --fma-peak
//       the fp32 FMA bounds of this core with 8- and 16-lane FMAs
//       (bench/kernels/fma-peak-avx2.c, fma-peak-avx512.c, best of 20), as
//       one JSON line; 0 without AVX2+FMA or AVX-512F.
//
// Batch 32 is 32 batch-1 calls in a row (a kdc library classifies one
// utterance per call): "batching": "sequential" in the results.
//
//===----------------------------------------------------------------------===//

#include "compiled.h"
#include "inputs.h"
#include "latency.h"

#include "kdc/runtime/isa.h"
#include "kdc/runtime/status.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#if defined(__x86_64__)
extern "C" double kdc_bench_fma_peak_gflops(int repetitions);
extern "C" double kdc_bench_fma512_peak_gflops(int repetitions);
#endif

namespace {

using namespace kdc_bench;

struct Options {
  std::string inputs, results, logitsDir, target;
  size_t runs = 1000, repetitions = 3, accuracy = 0, callgrind = 0;
  double maxSeconds = 0; // per configuration, all repetitions; 0: no cap
  std::vector<int> batches{1, 32};
  bool text = false, fmaPeak = false;
};

[[noreturn]] void fail(const std::string &why) {
  std::cerr << "bench-kdc: error: " << why << "\n";
  std::exit(2);
}

size_t parseCount(const std::string &flag, const std::string &v) {
  char *end = nullptr;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n == 0)
    fail(flag + " needs a positive integer, not '" + v + "'");
  return size_t(n);
}

Options parseOptions(int &argc, char **argv) {
  Options o;
  std::vector<char *> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        fail("missing value after " + a);
      return argv[++i];
    };
    if (a == "--inputs")
      o.inputs = value();
    else if (a == "--results")
      o.results = value();
    else if (a == "--logits-dir")
      o.logitsDir = value();
    else if (a == "--target")
      o.target = value();
    else if (a == "--runs")
      o.runs = parseCount(a, value());
    else if (a == "--repetitions")
      o.repetitions = parseCount(a, value());
    else if (a == "--max-seconds")
      o.maxSeconds = std::atof(value().c_str());
    else if (a == "--accuracy")
      o.accuracy = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--callgrind")
      o.callgrind = parseCount(a, value());
    else if (a == "--input") {
      std::string v = value();
      if (v != "ids" && v != "text")
        fail("--input is ids or text, not '" + v + "'");
      o.text = v == "text";
    } else if (a == "--fma-peak")
      o.fmaPeak = true;
    else if (a == "--batches") {
      o.batches.clear();
      std::stringstream ss(value());
      for (std::string b; std::getline(ss, b, ',');)
        o.batches.push_back(int(parseCount("--batches", b)));
    } else
      rest.push_back(argv[i]); // Google Benchmark's own flags
  }
  argc = int(rest.size());
  for (size_t i = 0; i < rest.size(); ++i)
    argv[i] = rest[i];
  return o;
}

double fmaPeakGflops() {
#if defined(__x86_64__)
  if (!kdc_isa_available(KDC_ISA_AVX2_FMA))
    return 0.0;
  return kdc_bench_fma_peak_gflops(20);
#else
  return 0.0;
#endif
}

/// The same with 16-lane FMAs (bench/kernels/fma-peak-avx512.c), 0 without
/// AVX-512F.
double fma512PeakGflops() {
#if defined(__x86_64__)
  if (!kdc_isa_available(KDC_ISA_AVX512F))
    return 0.0;
  return kdc_bench_fma512_peak_gflops(20);
#else
  return 0.0;
#endif
}

/// One target's library with its workspace and the padded inputs.
struct Runner {
  const CompiledModel *model;
  const Inputs *inputs;
  bool text;
  void *workspace = nullptr;
  std::vector<std::vector<int32_t>> ids; // padded to T for fixed-shape models
  std::vector<float> logits;

  Runner(const CompiledModel *m, const Inputs *in, bool text)
      : model(m), inputs(in), text(text), logits(m->numClasses) {
    workspace = std::aligned_alloc(64, ((m->workspaceBytes + 63) / 64) * 64 + 64);
    for (const Utterance &u : in->utterances) {
      std::vector<int32_t> row = u.ids;
      if (in->fixedShape)
        row.resize(in->maxTokens, 0);
      ids.push_back(std::move(row));
    }
  }
  ~Runner() { std::free(workspace); }
  Runner(const Runner &) = delete;
  Runner &operator=(const Runner &) = delete;

  /// Classifies utterance i (modulo the count); the kdc_status or class.
  int classify(size_t i, float *out) {
    i %= ids.size();
    const Utterance &u = inputs->utterances[i];
    if (text)
      return model->predictText(u.text.data(), u.text.size(), out, workspace);
    if (inputs->features)
      return model->predictFeatures(u.features.data(), u.n, out, workspace);
    return model->predictIds(ids[i].data(), ids[i].size(), out, workspace);
  }
};

std::string sanitize(const std::string &s) {
  std::string r;
  for (char c : s)
    r += std::isalnum((unsigned char)c) || c == '-' ? c : '_';
  return r;
}

} // namespace

/// The region valgrind counts (--toggle-collect=kdc_bench_measured).
extern "C" __attribute__((noinline)) int kdc_bench_measured(void *runner,
                                                           size_t count) {
  Runner *r = static_cast<Runner *>(runner);
  int bad = 0;
  for (size_t i = 0; i < count; ++i)
    bad += r->classify(i, r->logits.data()) < 0;
  return bad;
}

int main(int argc, char **argv) {
  Options o = parseOptions(argc, argv);
  if (o.fmaPeak) {
    std::printf("{\"fma_peak_gflops\": %.3f, \"fma512_peak_gflops\": %.3f}\n",
                fmaPeakGflops(), fma512PeakGflops());
    return 0;
  }
  if (o.inputs.empty())
    fail("--inputs FILE is required");
  Inputs inputs;
  try {
    inputs = readInputs(o.inputs);
  } catch (const std::exception &e) {
    fail(e.what());
  }

  std::vector<std::unique_ptr<Runner>> runners;
  for (size_t m = 0; m < kdc_bench_num_models; ++m) {
    const CompiledModel *model = &kdc_bench_models[m];
    if (!o.target.empty() && o.target != model->target)
      continue;
    if (model->numClasses != inputs.numClasses)
      fail(std::string(model->target) + ": the library has " +
           std::to_string(model->numClasses) + " classes, the inputs " +
           std::to_string(inputs.numClasses));
    if (o.text && !model->predictText)
      fail(std::string(model->target) +
           ": --input text, but the library has no featurizer");
    if (!o.text && (inputs.features ? model->predictFeatures == nullptr
                                    : model->predictIds == nullptr))
      fail(std::string(model->target) + ": the inputs are " +
           (inputs.features ? "features" : "token ids") +
           ", which the library does not take");
    runners.push_back(std::make_unique<Runner>(model, &inputs, o.text));
  }
  if (runners.empty())
    fail("no library for --target '" + o.target + "' in this binary");

  if (o.callgrind) {
    Runner &r = *runners.front();
    if (r.classify(0, r.logits.data()) < 0)
      fail("the first utterance fails to classify");
    int bad = kdc_bench_measured(&r, o.callgrind);
    std::printf("{\"target\": \"%s\", \"inferences\": %zu, \"errors\": %d}\n",
                r.model->target, o.callgrind, bad);
    return bad ? 1 : 0;
  }

  if (!o.logitsDir.empty()) {
    size_t n = o.accuracy ? std::min(o.accuracy, inputs.utterances.size())
                          : inputs.utterances.size();
    for (auto &r : runners) {
      std::vector<float> all(n * r->model->numClasses);
      for (size_t i = 0; i < n; ++i) {
        int status = r->classify(i, all.data() + i * r->model->numClasses);
        if (status < 0)
          fail(std::string(r->model->target) + ": utterance " +
               std::to_string(i) + ": " + kdc_status_string(status));
      }
      try {
        writeLogits(o.logitsDir + "/" + r->model->target + ".logits", all);
      } catch (const std::exception &e) {
        fail(e.what());
      }
    }
  }

  // Timing: Google Benchmark runs each configuration R times with a fixed
  // number of calls; every call is timed on its own (manual time), so each
  // repetition also yields its median and p90.
  std::vector<std::unique_ptr<Configuration>> configs;
  for (auto &rp : runners) {
    Runner *r = rp.get();
    for (int batch : o.batches) {
      auto c = std::make_unique<Configuration>();
      c->engine = "kdc";
      c->model = inputs.model;
      c->variant = r->model->target;
      c->batch = batch;
      c->batching = batch == 1 ? "native" : "sequential";
      c->threads = 1;
      c->calls = (o.runs + size_t(batch) - 1) / size_t(batch);
      if (o.maxSeconds > 0) {
        // A few untimed batch-1 calls estimate the cost of one call.
        std::vector<double> probe;
        for (size_t i = 0; i < 6; ++i) {
          const auto t0 = Clock::now();
          r->classify(i, r->logits.data());
          probe.push_back(microsecondsBetween(t0, Clock::now()));
        }
        size_t capped = cappedCalls(c->calls, batch, o.repetitions, o.maxSeconds,
                                    summarize(probe, {}).median);
        c->capped = capped < c->calls;
        c->calls = capped;
      }
      Configuration *cfg = c.get();
      configs.push_back(std::move(c));
      std::string name = "kdc/" + sanitize(inputs.model) + "/" +
                         r->model->target + "/batch:" + std::to_string(batch);
      configureTimed(benchmark::RegisterBenchmark(
          name.c_str(),
          [r, cfg, batch](benchmark::State &state) {
            const std::array<double, 3> load = readLoadAverage();
            const size_t calls = cfg->calls;
            std::vector<double> samples;
            samples.reserve(calls);
            float *out = r->logits.data();
            // Warm-up, untimed (latency.h).
            size_t warm = warmUpCalls(calls);
            for (size_t w = 0; w < warm; ++w)
              for (int b = 0; b < batch; ++b)
                r->classify(w * size_t(batch) + size_t(b), out);
            size_t call = 0;
            for (auto _ : state) {
              const size_t base = call * size_t(batch);
              int bad = 0;
              const auto t0 = Clock::now();
              for (int b = 0; b < batch; ++b)
                bad |= r->classify(base + size_t(b), out) < 0;
              const auto t1 = Clock::now();
              benchmark::DoNotOptimize(out);
              benchmark::ClobberMemory();
              if (bad) {
                state.SkipWithError("the library returned an error status");
                break;
              }
              const double us = microsecondsBetween(t0, t1);
              state.SetIterationTime(us * 1e-6);
              samples.push_back(us);
              ++call;
            }
            recordRepetition(cfg, std::move(samples), load, state);
          }),
          cfg->calls, o.repetitions);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  if (!o.results.empty()) {
    std::ofstream out(o.results);
    out << "{\"engine\": \"kdc\", \"configurations\": [";
    bool first = true;
    for (const auto &c : configs) {
      if (c->repetitions.empty())
        continue; // filtered out
      out << (first ? "\n" : ",\n") << toJson(*c);
      first = false;
    }
    out << "\n]}\n";
    if (!out)
      fail("cannot write '" + o.results + "'");
  }
  return 0;
}
