// Winograd's F(2×2, 3×3) convolution transforms (see Sources/Ember/Backend/Winograd.swift).
#include "CEmberKernels.h"
#include "clones.h"
#include "packed.h"
#include "spatial.h"
#include <string.h>

#define SCALAR float
#define KERNEL(name) name##_s
#include "winograd_impl.h"
#undef SCALAR
#undef KERNEL

#define SCALAR double
#define KERNEL(name) name##_d
#include "winograd_impl.h"
#undef SCALAR
#undef KERNEL
