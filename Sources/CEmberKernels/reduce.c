// Sums of contiguous arrays in double precision, as independent lanes the compiler vectorises:
// a sum in one running total waits on each add in turn (one element per add latency), while
// the lanes keep several adds in flight. Each lane is a plain double total, so the result is as
// accurate as the single running total it replaces, only added up in a different order.
#include "CEmberKernels.h"
#include "clones.h"

#define SUM_LANES 16

#define SUM_KERNEL(NAME, SCALAR)                                                   \
    EMBER_AVX2_CLONES double NAME(const SCALAR *x, int64_t n) {                    \
        double lanes[SUM_LANES] = {0};                                             \
        int64_t i = 0;                                                             \
        for (; i + SUM_LANES <= n; i += SUM_LANES)                                 \
            for (int j = 0; j < SUM_LANES; j++) lanes[j] += (double)x[i + j];      \
        double total = 0;                                                          \
        for (; i < n; i++) total += (double)x[i];                                  \
        for (int width = SUM_LANES / 2; width > 0; width /= 2)                     \
            for (int j = 0; j < width; j++) lanes[j] += lanes[j + width];          \
        return lanes[0] + total;                                                   \
    }

SUM_KERNEL(ember_sum_s, float)
SUM_KERNEL(ember_sum_d, double)

// Column sums: each column is its own total, so a row's columns are independent lanes.
#define COLUMN_SUMS_KERNEL(NAME, SCALAR)                                                   \
    EMBER_AVX2_CLONES void NAME(const SCALAR *x, int64_t rows, int64_t cols, int64_t ld,   \
                                double *restrict sums) {                                   \
        for (int64_t j = 0; j < cols; j++) sums[j] = 0;                                    \
        for (int64_t r = 0; r < rows; r++) {                                               \
            const SCALAR *restrict row = x + r * ld;                                       \
            for (int64_t j = 0; j < cols; j++) sums[j] += (double)row[j];                  \
        }                                                                                  \
    }

COLUMN_SUMS_KERNEL(ember_column_sums_s, float)
COLUMN_SUMS_KERNEL(ember_column_sums_d, double)
