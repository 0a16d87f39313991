//===- latency.h - per-call latencies and their summary ---------*- C++ -*-===//
//
// Shared by the two C++ engines of `kdc bench` (compiled.cc for the libraries
// kdc generates, torch-bench.cpp for LibTorch eager) and mirrored by
// bench/ort/bench.js, so every engine reports the same numbers the same way:
//
//   one configuration (model, engine, variant, batch) = R repetitions;
//   one repetition = `calls` timed calls after a warm-up (warmUpCalls), each
//   call being one batch (batch 1: one utterance; batch 32: 32 utterances);
//   per repetition: the load average just before it, and the median, p90,
//   mean, min and max of its per-call latencies (microseconds).
//
// Google Benchmark drives the repetitions (Iterations(calls), manual time);
// this header only times single calls and summarises them. Header-only, no
// dependency beyond the standard library, so run.py can build compiled.cc
// with a plain `c++` call.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_BENCH_LATENCY_H
#define KDC_BENCH_LATENCY_H

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace kdc_bench {

using Clock = std::chrono::steady_clock;

inline double microsecondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

/// /proc/loadavg's 1, 5 and 15 minute averages; -1 where unreadable.
inline std::array<double, 3> readLoadAverage() {
  std::array<double, 3> load{-1, -1, -1};
  if (std::FILE *f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
      load = {-1, -1, -1};
    std::fclose(f);
  }
  return load;
}

/// The q-quantile (0..1) of sorted values, linearly interpolated (NumPy's
/// default), so the median of an even count is the mean of the middle two.
inline double quantileSorted(const std::vector<double> &sorted, double q) {
  if (sorted.empty())
    return NAN;
  double pos = q * double(sorted.size() - 1);
  size_t lo = size_t(std::floor(pos));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

struct Repetition {
  std::array<double, 3> loadAverage{};
  double median = 0, p90 = 0, mean = 0, min = 0, max = 0;
  size_t calls = 0;
};

inline Repetition summarize(std::vector<double> samples,
                            const std::array<double, 3> &loadAverage) {
  Repetition r;
  r.loadAverage = loadAverage;
  r.calls = samples.size();
  if (samples.empty())
    return r;
  std::sort(samples.begin(), samples.end());
  r.median = quantileSorted(samples, 0.5);
  r.p90 = quantileSorted(samples, 0.9);
  double sum = 0;
  for (double v : samples)
    sum += v;
  r.mean = sum / double(samples.size());
  r.min = samples.front();
  r.max = samples.back();
  return r;
}

/// One measured configuration, written by every engine in this JSON form
/// (bench/run.py reads it; bench/README.md documents it):
///   {"engine", "model", "variant", "batch", "batching", "threads",
///    "calls", "inferences", "repetitions": [{"loadavg": [3], "median_us",
///    "p90_us", "mean_us", "min_us", "max_us", "calls"}], "samples_us": [...]}
struct Configuration {
  std::string engine, model, variant;
  int batch = 1;
  std::string batching = "native"; // or "sequential": batch-1 calls in a row
  int threads = 1;
  size_t calls = 0;                // timed calls per repetition
  bool capped = false;             // fewer calls than asked (cappedCalls)
  std::vector<Repetition> repetitions;
  std::vector<double> samples;     // every timed call of every repetition
};

/// The timed calls per repetition under a time cap: `calls` unless R
/// repetitions of them (at `callUs` per batch-1 call, times the batch) would
/// take longer than maxSeconds; then as many as fit, but at least
/// ceil(100 / batch) (100 inferences), so a slow configuration (the portable
/// kernels on S-server) still has a distribution.
inline size_t cappedCalls(size_t calls, int batch, size_t repetitions,
                          double maxSeconds, double callUs) {
  if (maxSeconds <= 0 || callUs <= 0)
    return calls;
  const double perCall = callUs * double(batch);
  const size_t fit = size_t(maxSeconds * 1e6 / double(repetitions) / perCall);
  const size_t floor = (100 + size_t(batch) - 1) / size_t(batch);
  return std::min(calls, std::max(fit, floor));
}

/// Untimed calls before each repetition: a tenth of the timed ones, 1..100.
inline size_t warmUpCalls(size_t calls) {
  return std::min<size_t>(100, std::max<size_t>(1, calls / 10));
}

/// Ends one Google Benchmark repetition of `cfg`: keeps its per-call
/// samples, summarises them with the load average read before it, and
/// reports median/p90/load as counters. Shared by every engine's harness.
inline void recordRepetition(Configuration *cfg, std::vector<double> samples,
                             const std::array<double, 3> &load,
                             benchmark::State &state) {
  cfg->samples.insert(cfg->samples.end(), samples.begin(), samples.end());
  Repetition rep = summarize(std::move(samples), load);
  cfg->repetitions.push_back(rep);
  state.counters["median_us"] = rep.median;
  state.counters["p90_us"] = rep.p90;
  state.counters["load1"] = load[0];
}

/// The settings every timed benchmark registers with: `calls` timed calls
/// per repetition, manual (per-call) time, microseconds.
inline void configureTimed(benchmark::internal::Benchmark *b, size_t calls,
                           size_t repetitions) {
  b->Iterations(benchmark::IterationCount(calls))
      ->Repetitions(int(repetitions))
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

inline std::string jsonNumber(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

inline std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if ((unsigned char)c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else
      out += c;
  }
  return out + "\"";
}

inline std::string toJson(const Configuration &c) {
  std::string s = "{\"engine\": " + jsonString(c.engine) +
                  ", \"model\": " + jsonString(c.model) +
                  ", \"variant\": " + jsonString(c.variant) +
                  ", \"batch\": " + std::to_string(c.batch) +
                  ", \"batching\": " + jsonString(c.batching) +
                  ", \"threads\": " + std::to_string(c.threads) +
                  ", \"calls\": " + std::to_string(c.calls) +
                  ", \"capped\": " + (c.capped ? "true" : "false") +
                  ", \"inferences\": " + std::to_string(c.calls * size_t(c.batch)) +
                  ", \"repetitions\": [";
  for (size_t i = 0; i < c.repetitions.size(); ++i) {
    const Repetition &r = c.repetitions[i];
    s += (i ? ", " : "") + std::string("{\"loadavg\": [") +
         jsonNumber(r.loadAverage[0]) + ", " + jsonNumber(r.loadAverage[1]) +
         ", " + jsonNumber(r.loadAverage[2]) + "], \"median_us\": " +
         jsonNumber(r.median) + ", \"p90_us\": " + jsonNumber(r.p90) +
         ", \"mean_us\": " + jsonNumber(r.mean) + ", \"min_us\": " +
         jsonNumber(r.min) + ", \"max_us\": " + jsonNumber(r.max) +
         ", \"calls\": " + std::to_string(r.calls) + "}";
  }
  s += "], \"samples_us\": [";
  for (size_t i = 0; i < c.samples.size(); ++i)
    s += (i ? "," : "") + jsonNumber(c.samples[i]);
  return s + "]}";
}

} // namespace kdc_bench

#endif // KDC_BENCH_LATENCY_H
