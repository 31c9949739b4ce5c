// im2col / col2im and the copies around the convolution GEMMs (see Sources/Ember/Backend/Im2col.swift),
// and Winograd's F(2×2, 3×3) transforms (Sources/Ember/Backend/Winograd.swift).
#include "CEmberKernels.h"
#include "clones.h"
#include "packed.h"
#include "spatial.h"
#include <string.h>

#define SCALAR float
#define KERNEL(name) name##_s
#include "conv_impl.h"
#include "winograd_impl.h"
#undef SCALAR
#undef KERNEL

#define SCALAR double
#define KERNEL(name) name##_d
#include "conv_impl.h"
#include "winograd_impl.h"
#undef SCALAR
#undef KERNEL
