/* The fp32 FMA bound of this core: 12 independent 8-lane FMA chains (more
 * than latency x throughput = 4 x 2), so the loop runs at the FMA issue rate.
 * Compiled with -mavx2 -mfma only. */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c11 */
#include <immintrin.h>
#include <stddef.h>
#include <time.h>

/* Runs `iterations` x 12 vfmadd (192 flops each) and returns a value that
 * depends on all of them. The chains start from different values and pass
 * through an empty asm each iteration: identical chains would be merged by
 * the compiler into one latency-bound chain (and the bound overstated 3x). */
float kdc_bench_fma_loop(size_t iterations) {
  __m256 a0 = _mm256_set1_ps(0.01f), a1 = _mm256_set1_ps(0.02f);
  __m256 a2 = _mm256_set1_ps(0.03f), a3 = _mm256_set1_ps(0.04f);
  __m256 a4 = _mm256_set1_ps(0.05f), a5 = _mm256_set1_ps(0.06f);
  __m256 a6 = _mm256_set1_ps(0.07f), a7 = _mm256_set1_ps(0.08f);
  __m256 a8 = _mm256_set1_ps(0.09f), a9 = _mm256_set1_ps(0.10f);
  __m256 a10 = _mm256_set1_ps(0.11f), a11 = _mm256_set1_ps(0.12f);
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-6f);
  for (size_t i = 0; i < iterations; i++) {
    a0 = _mm256_fmadd_ps(a0, m, c);
    a1 = _mm256_fmadd_ps(a1, m, c);
    a2 = _mm256_fmadd_ps(a2, m, c);
    a3 = _mm256_fmadd_ps(a3, m, c);
    a4 = _mm256_fmadd_ps(a4, m, c);
    a5 = _mm256_fmadd_ps(a5, m, c);
    a6 = _mm256_fmadd_ps(a6, m, c);
    a7 = _mm256_fmadd_ps(a7, m, c);
    a8 = _mm256_fmadd_ps(a8, m, c);
    a9 = _mm256_fmadd_ps(a9, m, c);
    a10 = _mm256_fmadd_ps(a10, m, c);
    a11 = _mm256_fmadd_ps(a11, m, c);
    __asm__("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5));
    __asm__("" : "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

/* The best of `repetitions` runs of 10^6 iterations, in GFLOP/s (12 chains
 * x 8 lanes x 2 flops per iteration): what every benchmark of kdc reports as
 * the core's fp32 FMA bound. */
double kdc_bench_fma_peak_gflops(int repetitions) {
  const size_t iterations = 1000000;
  double best = 0.0;
  volatile float sink = 0.0f;
  for (int rep = 0; rep < repetitions; rep++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sink = sink + kdc_bench_fma_loop(iterations);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double seconds =
        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    const double gflops = (double)iterations * 12 * 16 / seconds * 1e-9;
    if (gflops > best)
      best = gflops;
  }
  return best;
}
