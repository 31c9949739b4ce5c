// im2col / col2im and the copies around the convolution GEMMs (see Sources/Ember/Backend/Im2col.swift).
#include "CEmberKernels.h"
#include <string.h>

// The output columns [lo, hi) whose input column `ow * stride + offset` lies inside [0, width).
static void ember_valid_range(int64_t offset, int64_t stride, int64_t width, int64_t out_w, int64_t *lo,
                              int64_t *hi) {
    int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int64_t end = width - offset <= 0 ? 0 : (width - offset + stride - 1) / stride;
    if (end > out_w) end = out_w;
    if (first > end) first = end;
    *lo = first;
    *hi = end;
}

#define SCALAR float
#define KERNEL(name) name##_s
#include "conv_impl.h"
#undef SCALAR
#undef KERNEL

#define SCALAR double
#define KERNEL(name) name##_d
#include "conv_impl.h"
#undef SCALAR
#undef KERNEL
