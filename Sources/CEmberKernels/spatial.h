// Helpers shared by the convolution and pooling kernels (conv.c, pool.c).
#ifndef EMBER_SPATIAL_H
#define EMBER_SPATIAL_H

#include <stdint.h>

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

// The output columns [lo, hi) whose input column `ow * stride + offset` lies inside [0, width).
static inline void ember_valid_range(int64_t offset, int64_t stride, int64_t width, int64_t out_w, int64_t *lo,
                                     int64_t *hi) {
    int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int64_t end = width - offset <= 0 ? 0 : (width - offset + stride - 1) / stride;
    if (end > out_w) end = out_w;
    if (first > end) first = end;
    *lo = first;
    *hi = end;
}

#endif
