// The built-in GEMM used when no BLAS library is found: B is packed into contiguous panels so the
// inner loop is a unit-stride axpy the compiler vectorises; x86-64 gets an AVX2+FMA variant chosen
// at run time, with no compiler flags needed. Like a BLAS micro-kernel, each block of the inner
// dimension is summed on its own and then added to C (`C += alpha * sum`), so `addmm`'s bias is
// rounded in the order PyTorch's BLAS rounds it rather than being the first term of the sum.
#include "CEmberKernels.h"
#include "gemm_builtin.h"
#include "cpu.h"
#include <stdlib.h>
#include <string.h>

enum { kBlockN = 256, kBlockK = 128 };

#define DEFINE_AXPY(NAME, T, ATTR)                                       \
    ATTR static void NAME(int64_t n, T alpha, const T *restrict x, T *restrict y) { \
        for (int64_t j = 0; j < n; j++) y[j] += alpha * x[j];            \
    }

DEFINE_AXPY(saxpy_fma, float, EMBER_FMA_TARGET)
DEFINE_AXPY(daxpy_fma, double, EMBER_FMA_TARGET)
DEFINE_AXPY(saxpy_plain, float, )
DEFINE_AXPY(daxpy_plain, double, )

#define DEFINE_GEMM(NAME, T, AXPY_PLAIN, AXPY_FMA)                                          \
    void NAME(int transA, int transB, int64_t m, int64_t n, int64_t k, T alpha, const T *a,  \
              int64_t lda, const T *b, int64_t ldb, T beta, T *c, int64_t ldc) {             \
        void (*axpy)(int64_t, T, const T *, T *) = ember_cpu_has_fma() ? AXPY_FMA : AXPY_PLAIN; \
        for (int64_t i = 0; i < m; i++) {                                                    \
            T *row = c + i * ldc;                                                            \
            if (beta == 0) memset(row, 0, (size_t)n * sizeof(T));                            \
            else if (beta != 1) for (int64_t j = 0; j < n; j++) row[j] *= beta;              \
        }                                                                                    \
        if (m == 0 || n == 0 || k == 0 || alpha == 0) return;                               \
        T *panel = malloc(sizeof(T) * kBlockN * kBlockK);                                   \
        T *sum = malloc(sizeof(T) * kBlockN);                                               \
        for (int64_t j0 = 0; j0 < n; j0 += kBlockN) {                                        \
            int64_t nb = n - j0 < kBlockN ? n - j0 : kBlockN;                                \
            for (int64_t k0 = 0; k0 < k; k0 += kBlockK) {                                    \
                int64_t kb = k - k0 < kBlockK ? k - k0 : kBlockK;                            \
                for (int64_t p = 0; p < kb; p++)                                             \
                    for (int64_t j = 0; j < nb; j++)                                         \
                        panel[p * nb + j] = transB ? b[(j0 + j) * ldb + k0 + p]              \
                                                   : b[(k0 + p) * ldb + j0 + j];             \
                for (int64_t i = 0; i < m; i++) {                                            \
                    memset(sum, 0, (size_t)nb * sizeof(T));                                  \
                    for (int64_t p = 0; p < kb; p++) {                                       \
                        T av = transA ? a[(k0 + p) * lda + i] : a[i * lda + k0 + p];         \
                        axpy(nb, av, panel + p * nb, sum);                                   \
                    }                                                                        \
                    axpy(nb, alpha, sum, c + i * ldc + j0);                                  \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
        free(sum);                                                                           \
        free(panel);                                                                         \
    }

DEFINE_GEMM(ember_sgemm_builtin, float, saxpy_plain, saxpy_fma)
DEFINE_GEMM(ember_dgemm_builtin, double, daxpy_plain, daxpy_fma)
