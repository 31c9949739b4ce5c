#ifndef CEMBER_KERNELS_H
#define CEMBER_KERNELS_H

#include <stdint.h>

/// Looks for a CBLAS library at run time (Accelerate, OpenBLAS, any libcblas). Returns 1 when found.
int ember_blas_load(void);
/// The path of the BLAS library in use, or NULL when the built-in GEMM is used.
const char *ember_blas_library(void);

/// Row-major C = alpha * op(A) * op(B) + beta * C, through BLAS when loaded, else the built-in kernel.
void ember_sgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                 float *c, int64_t ldc);
/// Double-precision twin of `ember_sgemm`.
void ember_dgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, double alpha,
                 const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                 double *c, int64_t ldc);

/// The built-in GEMM, whatever BLAS is loaded (used by tests to compare both paths).
void ember_sgemm_builtin(int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha,
                         const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                         float *c, int64_t ldc);
/// Double-precision twin of `ember_sgemm_builtin`.
void ember_dgemm_builtin(int transA, int transB, int64_t m, int64_t n, int64_t k, double alpha,
                         const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                         double *c, int64_t ldc);

/// Writes a message to standard error (Swift 6 treats C's `stderr` global as unsafe shared state).
void ember_print_error(const char *message);

#endif
