// Max, average and adaptive pooling over [planes, height, width] (see
// Sources/Ember/NN/Functional+Pooling.swift for the shape rules).
#include "CEmberKernels.h"
#include "clones.h"
#include "spatial.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>


static inline int64_t window_start(int64_t i, int64_t n, int64_t size) { return (i / n) * size + ((i % n) * size) / n; }
static inline int64_t window_end(int64_t i, int64_t n, int64_t size) { return 1 + ((i + 1) * size - 1) / n; }

#define SCALAR float
#define KERNEL(name) name##_s
#include "pool_impl.h"
#undef SCALAR
#undef KERNEL

#define SCALAR double
#define KERNEL(name) name##_d
#include "pool_impl.h"
#undef SCALAR
#undef KERNEL
