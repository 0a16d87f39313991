/* f32 conv bank, AVX-512F (8x48, 8x32 or 8x16 tiles; internal/tiles.h); the
 * kernel itself is x86-template.h. */
#include "internal/x86-avx512-kernel.h"

#define KDC_X86_UKERNEL kdc_f32_convbank_ukernel__avx512f
#include "x86-template.h"
