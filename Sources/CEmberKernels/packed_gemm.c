// GEMM against a packed right-hand matrix. A recurrent layer packs W_hh once and multiplies every
// time step's hidden state by it, where a BLAS would repack it on each of those calls (a fifth of
// an LSTM step's time); a large product with at least as many rows as columns (MLP 784-256 at
// batch 1024) packs B once and deals its rows out across cores.
//
// B (k × n) is stored as panels of two vectors' width (16 floats or 8 doubles), each panel k rows
// of contiguous values, zero-padded past column n. A micro-kernel keeps a 6-row × 2-vector block
// of C in registers, broadcasting one value of A per row against the panel's two vectors at each
// step of the inner dimension. x86-64 gets an AVX2+FMA variant chosen at run time; the portable
// variant is the same code with the compiler's narrower vectors.
#include "CEmberKernels.h"
#include "cpu.h"
#include "packed.h"
#include <string.h>

// C is computed in blocks of kRowBlock rows and at most kInnerBytes of the inner dimension per
// row of A: the block of A (256 KiB) stays in L2 while it meets every panel, beside the panel's
// chunk (64 KiB). On the reference Zen 3 this runs MLP 784-256 products 5-10% faster than OpenBLAS
// on one core, and faster than smaller blocks; equal-depth blocks avoid a thin last one.
enum { kMicroRows = 6, kRowBlock = 64, kInnerBytes = 4096 };

#define DEFINE_PACKED_GEMM(SUFFIX, T)                                                                            \
    typedef T vec_##SUFFIX __attribute__((vector_size(32)));                                                     \
    enum { kPanel_##SUFFIX = EMBER_PANEL_WIDTH(T), kInnerBlock_##SUFFIX = kInnerBytes / sizeof(T) };             \
                                                                                                                 \
    int64_t ember_packed_size_##SUFFIX(int64_t k, int64_t n) {                                                   \
        return (n + kPanel_##SUFFIX - 1) / kPanel_##SUFFIX * kPanel_##SUFFIX * k;                                \
    }                                                                                                            \
                                                                                                                 \
    /* Reads B in its storage order: a row of B, or of Bᵀ, goes into a panel's row or column. */             \
    void ember_pack_##SUFFIX(int trans_b, int64_t k, int64_t n, const T *b, int64_t ldb, T *packed) {            \
        enum { P = kPanel_##SUFFIX };                                                                            \
        for (int64_t j0 = 0; j0 < n; j0 += P) {                                                                  \
            T *panel = packed + j0 * k;                                                                          \
            const int64_t cols = n - j0 < P ? n - j0 : P;                                                        \
            if (cols < P) memset(panel, 0, (size_t)(k * P) * sizeof(T));                                         \
            if (trans_b) {                                                                                       \
                /* Eight rows of the panel at a time (two cache lines of floats), which stay in L1 while every \
                   column of B fills its part of them: 2.5-3x faster than whole columns on the reference Zen 3. */ \
                int64_t p0 = 0;                                                                                  \
                for (; p0 + 8 <= k; p0 += 8)                                                                     \
                    for (int64_t j = 0; j < cols; j++)                                                           \
                        for (int q = 0; q < 8; q++) panel[(p0 + q) * P + j] = b[(j0 + j) * ldb + p0 + q];        \
                for (int64_t j = 0; j < cols; j++)                                                               \
                    for (int64_t p = p0; p < k; p++) panel[p * P + j] = b[(j0 + j) * ldb + p];                   \
            } else {                                                                                             \
                for (int64_t p = 0; p < k; p++)                                                                  \
                    memcpy(panel + p * P, b + p * ldb + j0, (size_t)cols * sizeof(T));                           \
            }                                                                                                    \
        }                                                                                                        \
    }                                                                                                            \
                                                                                                                 \
    /* C[rows × cols] (= or +=) A[rows × k] · panel, rows ≤ 6 known at compile time after inlining. */          \
    static inline __attribute__((always_inline)) void micro_##SUFFIX(                                            \
        int rows, int64_t cols, int64_t k, const T *a, int64_t lda, const T *panel, int accumulate, T *c,         \
        int64_t ldc) {                                                                                           \
        enum { W = 32 / sizeof(T) };                                                                             \
        vec_##SUFFIX lo[kMicroRows] = {0}, hi[kMicroRows] = {0};                                                 \
        /* C's tile is read or written only after the k loop, which hides fetching it from memory. */          \
        for (int r = 0; r < rows; r++) {                                                                         \
            __builtin_prefetch(c + r * ldc, 1);                                                                  \
            __builtin_prefetch(c + r * ldc + cols - 1, 1);                                                       \
        }                                                                                                        \
        /* Unrolled by 4: 10-15% faster than 1, 2 or 8 on the reference Zen 3 (32 x 128 x 512). */               \
        _Pragma("clang loop unroll_count(4)") for (int64_t p = 0; p < k; p++) {                                  \
            vec_##SUFFIX b0, b1;                                                                                 \
            memcpy(&b0, panel + p * 2 * W, sizeof b0);                                                           \
            memcpy(&b1, panel + p * 2 * W + W, sizeof b1);                                                       \
            for (int r = 0; r < rows; r++) {                                                                     \
                T av = a[r * lda + p];                                                                           \
                lo[r] += av * b0;                                                                                \
                hi[r] += av * b1;                                                                                \
            }                                                                                                    \
        }                                                                                                        \
        for (int r = 0; r < rows; r++) {                                                                         \
            T *row = c + r * ldc;                                                                                \
            if (cols == 2 * W) { /* a full panel: vector loads and stores, no call for a variable length */      \
                if (accumulate) {                                                                                \
                    vec_##SUFFIX c0, c1;                                                                         \
                    memcpy(&c0, row, sizeof c0);                                                                 \
                    memcpy(&c1, row + W, sizeof c1);                                                             \
                    lo[r] += c0;                                                                                 \
                    hi[r] += c1;                                                                                 \
                }                                                                                                \
                memcpy(row, &lo[r], sizeof lo[r]);                                                               \
                memcpy(row + W, &hi[r], sizeof hi[r]);                                                           \
                continue;                                                                                        \
            }                                                                                                    \
            T sum[2 * W];                                                                                        \
            memcpy(sum, &lo[r], sizeof lo[r]);                                                                   \
            memcpy(sum + W, &hi[r], sizeof hi[r]);                                                               \
            if (accumulate)                                                                                      \
                for (int64_t j = 0; j < cols; j++) row[j] += sum[j];                                             \
            else                                                                                                 \
                for (int64_t j = 0; j < cols; j++) row[j] = sum[j];                                              \
        }                                                                                                        \
    }                                                                                                            \
                                                                                                                 \
    static inline __attribute__((always_inline)) void driver_##SUFFIX(                                           \
        int64_t m, int64_t n, int64_t k, const T *a, int64_t lda, const T *packed, int accumulate, T *c,          \
        int64_t ldc) {                                                                                           \
        const int64_t depths = (k + kInnerBlock_##SUFFIX - 1) / kInnerBlock_##SUFFIX;                            \
        for (int64_t depth = 0; depth < depths; depth++) {                                                       \
            const int64_t k0 = k * depth / depths, kb = k * (depth + 1) / depths - k0;                           \
            const int add = k0 > 0 || accumulate;                                                                \
            for (int64_t r0 = 0; r0 < m; r0 += kRowBlock) {                                                      \
                const int64_t height = m - r0 < kRowBlock ? m - r0 : kRowBlock;                                  \
                /* Micro-blocks of equal height (32 rows: 6, 6, 5, 5, 5, 5), not a thin last one. */            \
                const int64_t blocks = (height + kMicroRows - 1) / kMicroRows;                                   \
                for (int64_t j0 = 0; j0 < n; j0 += kPanel_##SUFFIX) {                                            \
                    const int64_t cols = n - j0 < kPanel_##SUFFIX ? n - j0 : kPanel_##SUFFIX;                    \
                    const T *panel = packed + j0 * k + k0 * kPanel_##SUFFIX;                                     \
                    for (int64_t index = 0; index < blocks; index++) {                                           \
                        const int64_t i0 = r0 + height * index / blocks;                                         \
                        const int64_t rows = r0 + height * (index + 1) / blocks - i0;                            \
                        const T *block_a = a + i0 * lda + k0;                                                    \
                        T *block_c = c + i0 * ldc + j0;                                                          \
                        switch (rows) {                                                                          \
                        case 1: micro_##SUFFIX(1, cols, kb, block_a, lda, panel, add, block_c, ldc); break;      \
                        case 2: micro_##SUFFIX(2, cols, kb, block_a, lda, panel, add, block_c, ldc); break;      \
                        case 3: micro_##SUFFIX(3, cols, kb, block_a, lda, panel, add, block_c, ldc); break;      \
                        case 4: micro_##SUFFIX(4, cols, kb, block_a, lda, panel, add, block_c, ldc); break;      \
                        case 5: micro_##SUFFIX(5, cols, kb, block_a, lda, panel, add, block_c, ldc); break;      \
                        default: micro_##SUFFIX(6, cols, kb, block_a, lda, panel, add, block_c, ldc); break;     \
                        }                                                                                        \
                    }                                                                                            \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
        if (k == 0 && !accumulate)                                                                               \
            for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(T));                       \
    }                                                                                                            \
                                                                                                                 \
    EMBER_FMA_TARGET static void driver_fma_##SUFFIX(int64_t m, int64_t n, int64_t k, const T *a, int64_t lda,   \
                                                     const T *packed, int accumulate, T *c, int64_t ldc) {        \
        driver_##SUFFIX(m, n, k, a, lda, packed, accumulate, c, ldc);                                            \
    }                                                                                                            \
    static void driver_plain_##SUFFIX(int64_t m, int64_t n, int64_t k, const T *a, int64_t lda, const T *packed, \
                                      int accumulate, T *c, int64_t ldc) {                                       \
        driver_##SUFFIX(m, n, k, a, lda, packed, accumulate, c, ldc);                                            \
    }                                                                                                            \
                                                                                                                 \
    void ember_gemm_packed_##SUFFIX(int64_t m, int64_t n, int64_t k, const T *a, int64_t lda, const T *packed,   \
                                    int accumulate, T *c, int64_t ldc) {                                         \
        (ember_cpu_has_fma() ? driver_fma_##SUFFIX : driver_plain_##SUFFIX)(m, n, k, a, lda, packed, accumulate, \
                                                                             c, ldc);                            \
    }

int ember_packed_gemm_vectorized(void) { return ember_cpu_has_fma(); }

DEFINE_PACKED_GEMM(s, float)
DEFINE_PACKED_GEMM(d, double)
