/* f32 conv bank, AVX2+FMA (4x24, 6x16 or 8x8 tiles; internal/tiles.h); the
 * kernel itself is x86-template.h. */
#include "internal/x86-avx2-kernel.h"

#define KDC_X86_UKERNEL kdc_f32_convbank_ukernel__avx2_fma
#include "x86-template.h"
