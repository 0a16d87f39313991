/* The fp32 FMA bound of this core with AVX-512: 24 independent 16-lane FMA
 * chains (more than latency x throughput = 4 x 2), the AVX-512 counterpart
 * of fma-peak-avx2.c, the bound kdc's x86-64-avx512 variants are measured
 * against. Compiled with -mavx512f only; call it only on a CPU that has
 * AVX-512F (kdc_isa_available(KDC_ISA_AVX512F)). */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c11 */
#include <immintrin.h>
#include <stddef.h>
#include <time.h>

#define CHAINS 24 /* as many as CHAIN_LIST has */

/* Runs `iterations` x 24 vfmadd (768 flops each). Named variables, not an
 * array (which GCC keeps in memory around the asm), and the empty asm keeps
 * the chains apart (see fma-peak-avx2.c). */
#define CHAIN_LIST(X)                                                          \
  X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)  \
  X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)
float kdc_bench_fma512_loop(size_t iterations) {
#define DECLARE(i) __m512 a##i = _mm512_set1_ps(0.01f * (float)(i + 1));
  CHAIN_LIST(DECLARE)
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-6f);
  for (size_t it = 0; it < iterations; it++) {
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, m, c);
    CHAIN_LIST(STEP)
    __asm__("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5),
            "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
    __asm__("" : "+v"(a12), "+v"(a13), "+v"(a14), "+v"(a15), "+v"(a16),
            "+v"(a17), "+v"(a18), "+v"(a19), "+v"(a20), "+v"(a21), "+v"(a22),
            "+v"(a23));
  }
  __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, a##i);
  CHAIN_LIST(SUM)
  return _mm512_reduce_add_ps(s);
}

/* The best of `repetitions` runs of 10^6 iterations, in GFLOP/s (24 chains
 * x 16 lanes x 2 flops per iteration). */
double kdc_bench_fma512_peak_gflops(int repetitions) {
  const size_t iterations = 1000000;
  double best = 0.0;
  volatile float sink = 0.0f;
  for (int rep = 0; rep < repetitions; rep++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sink = sink + kdc_bench_fma512_loop(iterations);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double seconds =
        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    const double gflops = (double)iterations * CHAINS * 32 / seconds * 1e-9;
    if (gflops > best)
      best = gflops;
  }
  (void)sink;
  return best;
}
