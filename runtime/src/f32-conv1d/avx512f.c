/* f32 conv1d, AVX-512F (the conv bank's tiles, outputs stored; internal/tiles.h); the
 * kernel itself is x86-template.h. */
#include "internal/x86-avx512-kernel.h"

#define KDC_X86_UKERNEL kdc_f32_conv1d_ukernel__avx512f
#include "x86-template.h"
