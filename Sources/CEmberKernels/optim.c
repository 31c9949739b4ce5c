// Fused optimizer updates (torch.optim's single-tensor CPU rules): one pass over contiguous memory
// per parameter, no temporaries. Each element goes through exactly the operations of PyTorch's
// kernels, with the same roundings: hyperparameters are rounded to the element type where PyTorch
// passes them as scalars, and `add(alpha=)`, `addcmul` and `lerp` are fused multiply-adds as in
// PyTorch's vectorised CPU code, while `addcdiv` and divisions are not. The results therefore match
// torch.optim bit for bit. On x86-64 every kernel is also compiled for FMA hardware and chosen at
// load time (no compiler flags needed); elsewhere FMA is baseline or a correctly rounded libm call.
// Each loop is an always-inlined body specialised on the options that decide which state exists
// (so the branches leave the loop), over `restrict` pointers, so the compiler vectorises it.
#include "CEmberKernels.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__ELF__) && defined(__clang__)
#define EMBER_CLONES __attribute__((target_clones("fma", "default")))
#else
#define EMBER_CLONES
#endif

#define INLINE static inline __attribute__((always_inline))
#define FMA(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#define SQRT(x) __builtin_elementwise_sqrt(x)

// torch.lerp: `self + w * (end - self)` for |w| < 0.5, else `end + (w - 1) * (end - self)`.
#define DEFINE_LERP(T, SUF)                                                                          \
    static inline T lerp_##SUF(T self, T end, T w) {                                                 \
        T diff = end - self;                                                                         \
        return (w < (T)0.5 && w > (T)-0.5) ? FMA(w, diff, self) : FMA(w - (T)1, diff, end);          \
    }
DEFINE_LERP(float, f32)
DEFINE_LERP(double, f64)
#define LERP(self, end, w) _Generic((self), float: lerp_f32, double: lerp_f64)(self, end, w)

// torch.maximum (NaN propagates).
#define MAXIMUM(a, b) (((a) != (a) || (a) > (b)) ? (a) : (b))

// The gradient as PyTorch's loops see it: negated for `maximize`, then `grad.add(param, alpha=wd)`
// (coupled weight decay) or `param.mul_(1 - lr * wd)` (decoupled). `g`, `p` are locals.
#define PREPARE(T, a, decoupled)                                                                     \
    if ((a).maximize) g = -g;                                                                        \
    if ((a).weight_decay != 0) {                                                                     \
        if (decoupled) p = p * (T)(1.0 - (a).lr * (a).weight_decay);                                 \
        else g = FMA((T)(a).weight_decay, p, g);                                                     \
    }

#define DEFINE_SGD(T, SUF)                                                                           \
    INLINE void sgd_##SUF(ember_sgd_args a, int64_t n, T *restrict param, const T *restrict grad,    \
                          T *restrict momentum_buffer, const int has_buffer) {                       \
        const T mom = (T)a.momentum, keep = (T)(1.0 - a.dampening), neg_lr = (T)(-a.lr);             \
        for (int64_t i = 0; i < n; i++) {                                                            \
            T g = grad[i], p = param[i];                                                             \
            PREPARE(T, a, 0)                                                                         \
            if (has_buffer) {                                                                        \
                T old = momentum_buffer[i];                                                          \
                T buf = a.first_step ? g : FMA(keep, g, old * mom);                                  \
                momentum_buffer[i] = buf;                                                            \
                g = a.nesterov ? FMA(mom, buf, g) : buf;                                             \
            }                                                                                        \
            param[i] = FMA(neg_lr, g, p);                                                            \
        }                                                                                            \
    }                                                                                                \
    EMBER_CLONES void ember_sgd_##SUF(ember_sgd_args a, int64_t n, T *param, const T *grad,          \
                                      T *momentum_buffer) {                                          \
        if (momentum_buffer) sgd_##SUF(a, n, param, grad, momentum_buffer, 1);                       \
        else sgd_##SUF(a, n, param, grad, momentum_buffer, 0);                                       \
    }
DEFINE_SGD(float, f32)
DEFINE_SGD(double, f64)

#define DEFINE_ADAM(T, SUF)                                                                          \
    INLINE void adam_##SUF(ember_adam_args a, int64_t n, T *restrict param, const T *restrict grad,  \
                           T *restrict exp_avg, T *restrict exp_avg_sq, T *restrict max_exp_avg_sq,  \
                           const int amsgrad) {                                                      \
        const T w1 = (T)(1.0 - a.beta1), b2 = (T)a.beta2, w2 = (T)(1.0 - a.beta2);                   \
        const T bc2_sqrt = (T)a.bias_correction2_sqrt, eps = (T)a.eps;                               \
        const T neg_step = (T)(-a.step_size);                                                        \
        for (int64_t i = 0; i < n; i++) {                                                            \
            T g = grad[i], p = param[i];                                                             \
            PREPARE(T, a, a.decoupled_weight_decay)                                                  \
            T m = LERP(exp_avg[i], g, w1);                                                           \
            T v = FMA(w2 * g, g, exp_avg_sq[i] * b2);                                                \
            exp_avg[i] = m;                                                                          \
            exp_avg_sq[i] = v;                                                                       \
            if (amsgrad) {                                                                           \
                v = MAXIMUM(max_exp_avg_sq[i], v);                                                   \
                max_exp_avg_sq[i] = v;                                                               \
            }                                                                                        \
            T denom = SQRT(v) / bc2_sqrt + eps;                                                      \
            param[i] = p + (neg_step * m) / denom;                                                   \
        }                                                                                            \
    }                                                                                                \
    EMBER_CLONES void ember_adam_##SUF(ember_adam_args a, int64_t n, T *param, const T *grad,        \
                                       T *exp_avg, T *exp_avg_sq, T *max_exp_avg_sq) {               \
        if (max_exp_avg_sq) adam_##SUF(a, n, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, 1);   \
        else adam_##SUF(a, n, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, 0);                  \
    }
DEFINE_ADAM(float, f32)
DEFINE_ADAM(double, f64)

#define DEFINE_RMSPROP(T, SUF)                                                                       \
    INLINE void rmsprop_##SUF(ember_rmsprop_args a, int64_t n, T *restrict param,                    \
                              const T *restrict grad, T *restrict square_avg, T *restrict grad_avg,  \
                              T *restrict momentum_buffer, const int centered,                       \
                              const int has_momentum) {                                              \
        const T alpha = (T)a.alpha, w = (T)(1.0 - a.alpha), eps = (T)a.eps;                          \
        const T mom = (T)a.momentum, neg_lr = (T)(-a.lr);                                            \
        for (int64_t i = 0; i < n; i++) {                                                            \
            T g = grad[i], p = param[i];                                                             \
            PREPARE(T, a, 0)                                                                         \
            T sq = FMA(w * g, g, square_avg[i] * alpha);                                             \
            square_avg[i] = sq;                                                                      \
            T avg;                                                                                   \
            if (centered) {                                                                          \
                T ga = LERP(grad_avg[i], g, w);                                                      \
                grad_avg[i] = ga;                                                                    \
                avg = SQRT(FMA((T)-1 * ga, ga, sq));                                                 \
            } else {                                                                                 \
                avg = SQRT(sq);                                                                      \
            }                                                                                        \
            avg = avg + eps;                                                                         \
            if (has_momentum) {                                                                      \
                T buf = momentum_buffer[i] * mom + ((T)1 * g) / avg;                                 \
                momentum_buffer[i] = buf;                                                            \
                param[i] = FMA(neg_lr, buf, p);                                                      \
            } else {                                                                                 \
                param[i] = p + (neg_lr * g) / avg;                                                   \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    EMBER_CLONES void ember_rmsprop_##SUF(ember_rmsprop_args a, int64_t n, T *param,                 \
                                          const T *grad, T *square_avg, T *grad_avg,                 \
                                          T *momentum_buffer) {                                      \
        if (grad_avg && momentum_buffer)                                                             \
            rmsprop_##SUF(a, n, param, grad, square_avg, grad_avg, momentum_buffer, 1, 1);           \
        else if (grad_avg)                                                                           \
            rmsprop_##SUF(a, n, param, grad, square_avg, grad_avg, momentum_buffer, 1, 0);           \
        else if (momentum_buffer)                                                                    \
            rmsprop_##SUF(a, n, param, grad, square_avg, grad_avg, momentum_buffer, 0, 1);           \
        else                                                                                         \
            rmsprop_##SUF(a, n, param, grad, square_avg, grad_avg, momentum_buffer, 0, 0);           \
    }
DEFINE_RMSPROP(float, f32)
DEFINE_RMSPROP(double, f64)

#define DEFINE_ADAGRAD(T, SUF)                                                                       \
    EMBER_CLONES void ember_adagrad_##SUF(ember_adagrad_args a, int64_t n, T *restrict param,        \
                                          const T *restrict grad, T *restrict sum) {                 \
        const T eps = (T)a.eps, neg_clr = (T)(-a.clr);                                               \
        for (int64_t i = 0; i < n; i++) {                                                            \
            T g = grad[i], p = param[i];                                                             \
            PREPARE(T, a, 0)                                                                         \
            T s = FMA((T)1 * g, g, sum[i]);                                                          \
            sum[i] = s;                                                                              \
            param[i] = p + (neg_clr * g) / (SQRT(s) + eps);                                          \
        }                                                                                            \
    }
DEFINE_ADAGRAD(float, f32)
DEFINE_ADAGRAD(double, f64)

#define DEFINE_ADADELTA(T, SUF)                                                                      \
    EMBER_CLONES void ember_adadelta_##SUF(ember_adadelta_args a, int64_t n, T *restrict param,      \
                                           const T *restrict grad, T *restrict square_avg,           \
                                           T *restrict acc_delta) {                                  \
        const T rho = (T)a.rho, w = (T)(1.0 - a.rho), eps = (T)a.eps, neg_lr = (T)(-a.lr);           \
        for (int64_t i = 0; i < n; i++) {                                                            \
            T g = grad[i], p = param[i];                                                             \
            PREPARE(T, a, 0)                                                                         \
            T sq = FMA(w * g, g, square_avg[i] * rho);                                               \
            square_avg[i] = sq;                                                                      \
            T std = SQRT(sq + eps);                                                                  \
            T delta = SQRT(acc_delta[i] + eps) / std * g;                                            \
            acc_delta[i] = FMA(w * delta, delta, acc_delta[i] * rho);                                \
            param[i] = FMA(neg_lr, delta, p);                                                        \
        }                                                                                            \
    }
DEFINE_ADADELTA(float, f32)
DEFINE_ADADELTA(double, f64)

#define DEFINE_ADAMAX(T, SUF)                                                                        \
    EMBER_CLONES void ember_adamax_##SUF(ember_adamax_args a, int64_t n, T *restrict param,          \
                                         const T *restrict grad, T *restrict exp_avg,                \
                                         T *restrict exp_inf) {                                      \
        const T w1 = (T)(1.0 - a.beta1), b2 = (T)a.beta2, eps = (T)a.eps;                            \
        const T neg_clr = (T)(-a.clr);                                                               \
        for (int64_t i = 0; i < n; i++) {                                                            \
            T g = grad[i], p = param[i];                                                             \
            PREPARE(T, a, 0)                                                                         \
            T m = LERP(exp_avg[i], g, w1);                                                           \
            exp_avg[i] = m;                                                                          \
            T decayed = exp_inf[i] * b2, bound = __builtin_elementwise_abs(g) + eps;                 \
            T u = MAXIMUM(decayed, bound);                                                           \
            exp_inf[i] = u;                                                                          \
            param[i] = p + (neg_clr * m) / u;                                                        \
        }                                                                                            \
    }
DEFINE_ADAMAX(float, f32)
DEFINE_ADAMAX(double, f64)

#define DEFINE_NADAM(T, SUF)                                                                         \
    EMBER_CLONES void ember_nadam_##SUF(ember_nadam_args a, int64_t n, T *restrict param,            \
                                        const T *restrict grad,                                      \
                                        T *restrict exp_avg, T *restrict exp_avg_sq) {               \
        const T w1 = (T)(1.0 - a.beta1), b2 = (T)a.beta2, w2 = (T)(1.0 - a.beta2);                   \
        const T bc2 = (T)a.bias_correction2, eps = (T)a.eps;                                         \
        const T grad_coef = (T)a.grad_coef, exp_avg_coef = (T)a.exp_avg_coef;                        \
        for (int64_t i = 0; i < n; i++) {                                                            \
            T g = grad[i], p = param[i];                                                             \
            PREPARE(T, a, a.decoupled_weight_decay)                                                  \
            T m = LERP(exp_avg[i], g, w1);                                                           \
            T v = FMA(w2 * g, g, exp_avg_sq[i] * b2);                                                \
            exp_avg[i] = m;                                                                          \
            exp_avg_sq[i] = v;                                                                       \
            T denom = SQRT(v / bc2) + eps;                                                           \
            p = p + (grad_coef * g) / denom;                                                         \
            param[i] = p + (exp_avg_coef * m) / denom;                                               \
        }                                                                                            \
    }
DEFINE_NADAM(float, f32)
DEFINE_NADAM(double, f64)

#define DEFINE_RADAM(T, SUF)                                                                         \
    EMBER_CLONES void ember_radam_##SUF(ember_radam_args a, int64_t n, T *restrict param,            \
                                        const T *restrict grad,                                      \
                                        T *restrict exp_avg, T *restrict exp_avg_sq) {               \
        const T w1 = (T)(1.0 - a.beta1), b2 = (T)a.beta2, w2 = (T)(1.0 - a.beta2);                   \
        const T bc1 = (T)a.bias_correction1, bc2_sqrt = (T)a.bias_correction2_sqrt;                  \
        const T eps = (T)a.eps, lr = (T)a.lr, rect = (T)a.rect;                                      \
        for (int64_t i = 0; i < n; i++) {                                                            \
            T g = grad[i], p = param[i];                                                             \
            PREPARE(T, a, a.decoupled_weight_decay)                                                  \
            T m = LERP(exp_avg[i], g, w1);                                                           \
            T v = FMA(w2 * g, g, exp_avg_sq[i] * b2);                                                \
            exp_avg[i] = m;                                                                          \
            exp_avg_sq[i] = v;                                                                       \
            T update = m / bc1 * lr;                                                                 \
            if (a.rectified) update = update * (((T)1 / (SQRT(v) + eps)) * bc2_sqrt) * rect;         \
            param[i] = p - update;                                                                   \
        }                                                                                            \
    }
DEFINE_RADAM(float, f32)
DEFINE_RADAM(double, f64)
