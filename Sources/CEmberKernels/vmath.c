// Vectorised float32 arithmetic, exp, sigmoid and tanh over contiguous arrays. Arithmetic is
// plain C loops compiled a second time for AVX2 (256-bit vectors; Swift targets baseline x86-64).
// exp, sigmoid and tanh are the transcendental functions glibc only offers one element at a time.
// `exp` is Cephes' expf (range reduction by ln 2 in two parts, a degree-6 polynomial, the exponent
// put into the float's bits), within 2 ulp; arguments outside the normal range (overflow, denormal
// results, NaN) take libm's `expf` in a second pass, so infinities, zeros and NaN come out exactly
// as the C library gives them. On x86-64 an AVX2+FMA version is chosen at run time (cpu.h);
// elsewhere the portable loop is left to the compiler.
#include "CEmberKernels.h"
#include "clones.h"
#include "cpu.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 with ln 2 split in two for accuracy.
#define EXP_LOG2E 1.44269504088896341f
#define EXP_LN2_HI 0.693359375f
#define EXP_LN2_LO (-2.12194440e-4f)
#define EXP_P0 1.9875691500e-4f
#define EXP_P1 1.3981999507e-3f
#define EXP_P2 8.3334519073e-3f
#define EXP_P3 4.1665795894e-2f
#define EXP_P4 1.6666665459e-1f
#define EXP_P5 5.0000001201e-1f
// Inputs whose result is a normal float and whose exponent n stays <= 127; the others go to libm.
#define EXP_MIN (-87.3f)
#define EXP_MAX 88.37f
// Below this |x|, tanh is Cephes' odd polynomial x + x³ P(x²) (1 - 2/(e^2x + 1) would cancel).
#define TANH_SERIES_LIMIT 0.625f
#define TANH_P0 (-5.70498872745e-3f)
#define TANH_P1 2.06390887954e-2f
#define TANH_P2 (-5.37397155531e-2f)
#define TANH_P3 1.33314422036e-1f
#define TANH_P4 (-3.33332819422e-1f)

static inline float exp_scalar(float x) {
    if (!(x >= EXP_MIN && x <= EXP_MAX)) return expf(x);
    float n = rintf(x * EXP_LOG2E);
    float r = fmaf(n, -EXP_LN2_HI, x);
    r = fmaf(n, -EXP_LN2_LO, r);
    float p = fmaf(fmaf(fmaf(fmaf(fmaf(EXP_P0, r, EXP_P1), r, EXP_P2), r, EXP_P3), r, EXP_P4), r, EXP_P5);
    p = fmaf(p * r, r, r) + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float tanh_scalar(float x) {
    float a = fabsf(x), r;
    if (a < TANH_SERIES_LIMIT) {
        float z = a * a;
        r = fmaf(fmaf(fmaf(fmaf(fmaf(TANH_P0, z, TANH_P1), z, TANH_P2), z, TANH_P3), z, TANH_P4) * z, a, a);
    } else {
        r = 1.0f - 2.0f / (exp_scalar(2.0f * a) + 1.0f);
    }
    return copysignf(r, x);
}

static void vexp_portable(const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = exp_scalar(x[i]);
}
static void vsigmoid_portable(const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + exp_scalar(-x[i]));
}
static void vtanh_portable(const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = tanh_scalar(x[i]);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/// exp of 8 lanes; lanes outside [EXP_MIN, EXP_MAX] (or NaN) are garbage, fixed by the caller.
EMBER_FMA_TARGET static inline __m256 exp8(__m256 x) {
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(EXP_LOG2E)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-EXP_LN2_HI), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(-EXP_LN2_LO), r);
    __m256 p = _mm256_set1_ps(EXP_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P5));
    p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/// Whether every lane of `x` is inside the range exp8 handles.
EMBER_FMA_TARGET static inline int in_range8(__m256 x, float lo, float hi) {
    __m256 ok = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_set1_ps(lo), _CMP_GE_OQ),
                              _mm256_cmp_ps(x, _mm256_set1_ps(hi), _CMP_LE_OQ));
    return _mm256_movemask_ps(ok) == 0xFF;
}

EMBER_FMA_TARGET static void vexp_avx2(const float *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        if (in_range8(v, EXP_MIN, EXP_MAX)) {
            _mm256_storeu_ps(y + i, exp8(v));
        } else {
            for (int64_t j = i; j < i + 8; j++) y[j] = exp_scalar(x[j]);
        }
    }
    for (; i < n; i++) y[i] = exp_scalar(x[i]);
}

EMBER_FMA_TARGET static void vsigmoid_avx2(const float *x, float *y, int64_t n) {
    int64_t i = 0;
    const __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_sub_ps(_mm256_setzero_ps(), _mm256_loadu_ps(x + i));
        if (in_range8(v, EXP_MIN, EXP_MAX)) {
            _mm256_storeu_ps(y + i, _mm256_div_ps(one, _mm256_add_ps(one, exp8(v))));
        } else {
            for (int64_t j = i; j < i + 8; j++) y[j] = 1.0f / (1.0f + exp_scalar(-x[j]));
        }
    }
    for (; i < n; i++) y[i] = 1.0f / (1.0f + exp_scalar(-x[i]));
}

EMBER_FMA_TARGET static void vtanh_avx2(const float *x, float *y, int64_t n) {
    int64_t i = 0;
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f), sign_mask = _mm256_set1_ps(-0.0f);
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_ORD_Q)) != 0xFF) {  // a NaN lane
            for (int64_t j = i; j < i + 8; j++) y[j] = tanh_scalar(x[j]);
            continue;
        }
        // tanh(x) rounds to 1 in float32 from x = 9.02 on, so larger |x| are clamped to 9.1.
        __m256 a = _mm256_min_ps(_mm256_andnot_ps(sign_mask, v), _mm256_set1_ps(9.1f));
        __m256 big = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(exp8(_mm256_add_ps(a, a)), one)));
        __m256 z = _mm256_mul_ps(a, a);
        __m256 series = _mm256_fmadd_ps(_mm256_set1_ps(TANH_P0), z, _mm256_set1_ps(TANH_P1));
        series = _mm256_fmadd_ps(series, z, _mm256_set1_ps(TANH_P2));
        series = _mm256_fmadd_ps(series, z, _mm256_set1_ps(TANH_P3));
        series = _mm256_fmadd_ps(series, z, _mm256_set1_ps(TANH_P4));
        series = _mm256_fmadd_ps(_mm256_mul_ps(series, z), a, a);
        __m256 small = _mm256_cmp_ps(a, _mm256_set1_ps(TANH_SERIES_LIMIT), _CMP_LT_OQ);
        __m256 r = _mm256_blendv_ps(big, series, small);
        _mm256_storeu_ps(y + i, _mm256_or_ps(r, _mm256_and_ps(v, sign_mask)));
    }
    for (; i < n; i++) y[i] = tanh_scalar(x[i]);
}

#define DISPATCH(NAME, ...)                                  \
    if (ember_cpu_has_fma()) NAME##_avx2(__VA_ARGS__);       \
    else NAME##_portable(__VA_ARGS__);
#else
#define DISPATCH(NAME, ...) NAME##_portable(__VA_ARGS__);
#endif

void ember_vexp_s(const float *x, float *y, int64_t n) { DISPATCH(vexp, x, y, n) }
void ember_vsigmoid_s(const float *x, float *y, int64_t n) { DISPATCH(vsigmoid, x, y, n) }
void ember_vtanh_s(const float *x, float *y, int64_t n) { DISPATCH(vtanh, x, y, n) }

// MARK: arithmetic

#define ARITH_LOOPS(NAME, EXPR)                                                                      \
    EMBER_AVX2_CLONES static void NAME(const float *a, int64_t a_step, const float *b, int64_t b_step, float *y, \
                                  int64_t n) {                                                        \
        if (a_step && b_step) {                                                                      \
            for (int64_t i = 0; i < n; i++) { float x = a[i], z = b[i]; y[i] = EXPR; }               \
        } else if (a_step) {                                                                         \
            const float z = b[0];                                                                    \
            for (int64_t i = 0; i < n; i++) { float x = a[i]; y[i] = EXPR; }                         \
        } else {                                                                                     \
            const float x = a[0];                                                                    \
            for (int64_t i = 0; i < n; i++) { float z = b[i]; y[i] = EXPR; }                         \
        }                                                                                            \
    }
ARITH_LOOPS(varith_add, x + z)
ARITH_LOOPS(varith_sub, x - z)
ARITH_LOOPS(varith_mul, x * z)
ARITH_LOOPS(varith_div, x / z)

void ember_varith_s(int op, const float *a, int64_t a_step, const float *b, int64_t b_step, float *y, int64_t n) {
    switch (op) {
    case 0: varith_add(a, a_step, b, b_step, y, n); break;
    case 1: varith_sub(a, a_step, b, b_step, y, n); break;
    case 2: varith_mul(a, a_step, b, b_step, y, n); break;
    default: varith_div(a, a_step, b, b_step, y, n); break;
    }
}
