// The epilogue of a linear layer's product: each row of a block of C gets the bias added and,
// for a Linear followed by ReLU, ReLU applied, in one pass. The GEMM runs it on each core's part
// of C right after computing it, while that part is still in the core's cache.
#include "CEmberKernels.h"
#include "clones.h"

// ReLU keeps NaN, as torch.relu does; -0 becomes +0.
#define BIAS_RELU_KERNEL(NAME, SCALAR)                                                                     \
    EMBER_AVX2_CLONES void NAME(int64_t rows, int64_t cols, SCALAR *c, int64_t ldc, const SCALAR *bias,  \
                                int relu) {                                                              \
        for (int64_t r = 0; r < rows; r++) {                                                             \
            SCALAR *restrict row = c + r * ldc;                                                          \
            if (bias)                                                                                    \
                for (int64_t j = 0; j < cols; j++) row[j] += bias[j];                                    \
            if (relu)                                                                                    \
                for (int64_t j = 0; j < cols; j++) row[j] = row[j] > 0 || row[j] != row[j] ? row[j] : 0; \
        }                                                                                                \
    }

BIAS_RELU_KERNEL(ember_bias_relu_s, float)
BIAS_RELU_KERNEL(ember_bias_relu_d, double)
