// Run-time BLAS loading: the package builds and runs with no BLAS installed, and uses any CBLAS
// found on the machine (Accelerate, OpenBLAS, MKL, BLIS, reference) without linking to it.
#include "CEmberKernels.h"
#include "gemm_builtin.h"
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *,
                         int, float, float *, int);
typedef void (*dgemm_fn)(int, int, int, int, int, int, double, const double *, int,
                         const double *, int, double, double *, int);

static sgemm_fn blas_sgemm = NULL;
static dgemm_fn blas_dgemm = NULL;
static const char *blas_path = NULL;
static int blas_state = -1;  // -1: not looked for yet, 0: absent, 1: loaded
static int blas_single_threaded = 0;

enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };

int ember_blas_load(void) {
    if (blas_state >= 0) return blas_state;
    // EMBER_BLAS=none runs the built-in GEMM even when a BLAS is installed (what a fresh machine sees).
    const char *choice = getenv("EMBER_BLAS");
    if (choice && strcmp(choice, "none") == 0) {
        blas_state = 0;
        return 0;
    }
    static const char *candidates[] = {
        "/System/Library/Frameworks/Accelerate.framework/Accelerate",
        "libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libmkl_rt.so.2",
        "libmkl_rt.so", "libblis.so.4", "libcblas.so.3", "libblas.so.3", "libopenblas.dylib",
    };
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        void *handle = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
        if (!handle) continue;
        sgemm_fn s = (sgemm_fn)dlsym(handle, "cblas_sgemm");
        dgemm_fn d = (dgemm_fn)dlsym(handle, "cblas_dgemm");
        if (s && d) {
            blas_sgemm = s;
            blas_dgemm = d;
            blas_path = candidates[i];
            blas_state = 1;
            // One thread inside the BLAS: Ember splits large products across cores itself.
            static const char *setters[] = {"openblas_set_num_threads", "MKL_Set_Num_Threads"};
            for (size_t j = 0; j < sizeof(setters) / sizeof(setters[0]); j++) {
                void (*set_threads)(int) = (void (*)(int))dlsym(handle, setters[j]);
                if (set_threads) {
                    set_threads(1);
                    blas_single_threaded = 1;
                    break;
                }
            }
            return 1;
        }
        dlclose(handle);
    }
    blas_state = 0;
    return 0;
}

const char *ember_blas_library(void) { return ember_blas_load() ? blas_path : NULL; }

int ember_gemm_threads_owned(void) { return !ember_blas_load() || blas_single_threaded; }

// BLAS takes 32-bit sizes; larger problems fall back to the built-in kernel.
static int fits_int(int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc) {
    const int64_t limit = 2147483647;
    return m <= limit && n <= limit && k <= limit && lda <= limit && ldb <= limit && ldc <= limit;
}

void ember_sgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                 float *c, int64_t ldc) {
    if (ember_blas_load() && fits_int(m, n, k, lda, ldb, ldc)) {
        blas_sgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, (int)m,
                   (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
    } else {
        ember_sgemm_builtin(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}

void ember_dgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, double alpha,
                 const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                 double *c, int64_t ldc) {
    if (ember_blas_load() && fits_int(m, n, k, lda, ldb, ldc)) {
        blas_dgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, (int)m,
                   (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
    } else {
        ember_dgemm_builtin(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}

void ember_print_error(const char *message) {
    fputs(message, stderr);
    fflush(stderr);
}
