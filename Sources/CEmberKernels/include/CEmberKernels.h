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

// MARK: Optimizer updates (optim.c)
//
// Each kernel updates `n` contiguous elements of one parameter in place, in one pass, exactly as
// torch.optim's single-tensor CPU implementation does. Hyperparameters are given as doubles (as
// Python floats); optional state pointers are NULL when the option that needs them is off.

/// SGD: `momentum_buffer` is NULL when momentum is 0; `first_step` copies the gradient into it.
typedef struct {
    double lr, momentum, dampening, weight_decay;
    int nesterov, maximize, first_step;
} ember_sgd_args;
void ember_sgd_f32(ember_sgd_args a, int64_t n, float *param, const float *grad, float *momentum_buffer);
void ember_sgd_f64(ember_sgd_args a, int64_t n, double *param, const double *grad, double *momentum_buffer);

/// Adam and AdamW: `step_size` = lr / (1 - beta1^step), `bias_correction2_sqrt` = (1 - beta2^step)^0.5;
/// `max_exp_avg_sq` is NULL unless amsgrad.
typedef struct {
    double lr, beta1, beta2, eps, weight_decay, step_size, bias_correction2_sqrt;
    int decoupled_weight_decay, maximize;
} ember_adam_args;
void ember_adam_f32(ember_adam_args a, int64_t n, float *param, const float *grad, float *exp_avg,
                    float *exp_avg_sq, float *max_exp_avg_sq);
void ember_adam_f64(ember_adam_args a, int64_t n, double *param, const double *grad, double *exp_avg,
                    double *exp_avg_sq, double *max_exp_avg_sq);

/// RMSprop: `grad_avg` is NULL unless centered, `momentum_buffer` NULL unless momentum > 0.
typedef struct {
    double lr, alpha, eps, weight_decay, momentum;
    int maximize;
} ember_rmsprop_args;
void ember_rmsprop_f32(ember_rmsprop_args a, int64_t n, float *param, const float *grad, float *square_avg,
                       float *grad_avg, float *momentum_buffer);
void ember_rmsprop_f64(ember_rmsprop_args a, int64_t n, double *param, const double *grad, double *square_avg,
                       double *grad_avg, double *momentum_buffer);

/// Adagrad: `clr` = lr / (1 + (step - 1) * lr_decay).
typedef struct {
    double lr, clr, eps, weight_decay;
    int maximize;
} ember_adagrad_args;
void ember_adagrad_f32(ember_adagrad_args a, int64_t n, float *param, const float *grad, float *sum);
void ember_adagrad_f64(ember_adagrad_args a, int64_t n, double *param, const double *grad, double *sum);

/// Adadelta.
typedef struct {
    double lr, rho, eps, weight_decay;
    int maximize;
} ember_adadelta_args;
void ember_adadelta_f32(ember_adadelta_args a, int64_t n, float *param, const float *grad, float *square_avg,
                        float *acc_delta);
void ember_adadelta_f64(ember_adadelta_args a, int64_t n, double *param, const double *grad,
                        double *square_avg, double *acc_delta);

/// Adamax: `clr` = lr / (1 - beta1^step).
typedef struct {
    double lr, beta1, beta2, eps, weight_decay, clr;
    int maximize;
} ember_adamax_args;
void ember_adamax_f32(ember_adamax_args a, int64_t n, float *param, const float *grad, float *exp_avg,
                      float *exp_inf);
void ember_adamax_f64(ember_adamax_args a, int64_t n, double *param, const double *grad, double *exp_avg,
                      double *exp_inf);

/// NAdam: `grad_coef` = -lr (1 - mu) / (1 - mu_product), `exp_avg_coef` = -lr mu_next / (1 - mu_product_next).
typedef struct {
    double lr, beta1, beta2, eps, weight_decay, bias_correction2, grad_coef, exp_avg_coef;
    int decoupled_weight_decay, maximize;
} ember_nadam_args;
void ember_nadam_f32(ember_nadam_args a, int64_t n, float *param, const float *grad, float *exp_avg,
                     float *exp_avg_sq);
void ember_nadam_f64(ember_nadam_args a, int64_t n, double *param, const double *grad, double *exp_avg,
                     double *exp_avg_sq);

/// RAdam: the adaptive term (times `rect`) is applied only when `rectified` (rho_t > 5).
typedef struct {
    double lr, beta1, beta2, eps, weight_decay, bias_correction1, bias_correction2_sqrt, rect;
    int rectified, decoupled_weight_decay, maximize;
} ember_radam_args;
void ember_radam_f32(ember_radam_args a, int64_t n, float *param, const float *grad, float *exp_avg,
                     float *exp_avg_sq);
void ember_radam_f64(ember_radam_args a, int64_t n, double *param, const double *grad, double *exp_avg,
                     double *exp_avg_sq);

#endif
