/* f32 dense, AVX2+FMA (the conv bank's tiles with K = 1; internal/tiles.h); the
 * kernel itself is x86-template.h. */
#include "internal/x86-avx2-kernel.h"

#define KDC_X86_UKERNEL kdc_f32_dense_ukernel__avx2_fma
#include "x86-template.h"
