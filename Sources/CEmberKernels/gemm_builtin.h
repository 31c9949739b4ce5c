// The built-in GEMM (gemm.c), which blas.c runs when no BLAS is loaded or EMBER_BLAS=none.
#ifndef EMBER_GEMM_BUILTIN_H
#define EMBER_GEMM_BUILTIN_H

#include <stdint.h>

void ember_sgemm_builtin(int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha,
                         const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                         float *c, int64_t ldc);
void ember_dgemm_builtin(int transA, int transB, int64_t m, int64_t n, int64_t k, double alpha,
                         const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                         double *c, int64_t ldc);

#endif
