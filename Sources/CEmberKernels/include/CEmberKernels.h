#ifndef CEMBER_KERNELS_H
#define CEMBER_KERNELS_H

#include <stdint.h>

/// Looks for a CBLAS library at run time (Accelerate, OpenBLAS, any libcblas). Returns 1 when found.
int ember_blas_load(void);
/// The path of the BLAS library in use, or NULL when the built-in GEMM is used.
const char *ember_blas_library(void);
/// 1 when GEMM runs on one thread per call (the built-in kernel, or a BLAS that Ember set to one
/// thread at load time), so that Ember splits large products across cores itself.
int ember_gemm_threads_owned(void);

/// Row-major C = alpha * op(A) * op(B) + beta * C, through BLAS when loaded, else the built-in kernel.
void ember_sgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                 float *c, int64_t ldc);
/// Double-precision twin of `ember_sgemm`.
void ember_dgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, double alpha,
                 const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                 double *c, int64_t ldc);

// MARK: Linear epilogue (epilogue.c)

/// Adds `bias` (cols elements; none when NULL) to each of `rows` rows of C (row stride `ldc`),
/// then applies ReLU (NaN kept) when `relu` is nonzero.
void ember_bias_relu_s(int64_t rows, int64_t cols, float *c, int64_t ldc, const float *bias, int relu);
/// Double-precision twin of `ember_bias_relu_s`.
void ember_bias_relu_d(int64_t rows, int64_t cols, double *c, int64_t ldc, const double *bias, int relu);

// MARK: GEMM against a packed right-hand matrix (packed_gemm.c)

/// The number of elements `ember_pack_s` writes for a k × n matrix (n rounded up to 16 columns).
int64_t ember_packed_size_s(int64_t k, int64_t n);
/// The number of elements `ember_pack_d` writes for a k × n matrix (n rounded up to 8 columns).
int64_t ember_packed_size_d(int64_t k, int64_t n);
/// Packs the k × n matrix B (row-major, or its transpose stored n × k when `trans_b`) into
/// column panels for `ember_gemm_packed_s`.
void ember_pack_s(int trans_b, int64_t k, int64_t n, const float *b, int64_t ldb, float *packed);
/// Double-precision twin of `ember_pack_s` (panels of 8 columns).
void ember_pack_d(int trans_b, int64_t k, int64_t n, const double *b, int64_t ldb, double *packed);
/// Row-major C (m × n) = A (m × k) · B, or C += A · B when `accumulate`, with B packed by
/// `ember_pack_s`; each element's products are summed in order of k, then added to C.
void ember_gemm_packed_s(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed,
                         int accumulate, float *c, int64_t ldc);
/// Whether this CPU runs the packed GEMM's AVX2+FMA variant (else the portable one).
int ember_packed_gemm_vectorized(void);
/// Double-precision twin of `ember_gemm_packed_s`.
void ember_gemm_packed_d(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda, const double *packed,
                         int accumulate, double *c, int64_t ldc);

// MARK: worker threads (parallel.c)

/// One part of a job split across cores: `fn(context, part)`.
typedef void (*ember_task_fn)(void *context, int64_t part);
/// Runs `fn(context, p)` for every part p in [0, parts) on Ember's worker threads and the calling
/// thread, and returns when all are done. Parts run inline when there is one part or one core,
/// or while another thread's job is running.
void ember_parallel_run(int64_t parts, ember_task_fn fn, void *context);
/// 1 on a thread that is running one part of a kernel split across cores (nested kernels then run
/// their work inline instead of splitting it again).
int ember_parallel_region(void);
/// The cores this process may run on (its CPU affinity on Linux), at least 1.
int ember_cpu_count(void);

/// Writes a message to standard error (Swift 6 treats C's `stderr` global as unsafe shared state).
void ember_print_error(const char *message);

// MARK: convolution and pooling (conv.c, pool.c)

/// One image of a 2-D convolution: input [channels, height, width], output [out_h, out_w] per
/// kernel; `pad_h`/`pad_w` are the paddings before the first row/column.
typedef struct {
    int64_t channels, height, width;
    int64_t kernel_h, kernel_w;
    int64_t pad_h, pad_w;
    int64_t stride_h, stride_w;
    int64_t dilation_h, dilation_w;
    int64_t out_h, out_w;
} ember_conv_geometry;

/// A pooling over `planes` independent [height, width] planes giving [out_h, out_w] each.
typedef struct {
    int64_t planes, height, width, out_h, out_w;
    int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
} ember_pool_geometry;

/// Writes the columns of one image's column matrix for output rows [row_begin, row_end) (rows of
/// the matrix `ldcol` apart); positions outside the image read as zero. Each kernel comes as `_s`
/// (float) and `_d` (double).
void ember_im2col_s(const float *image, const ember_conv_geometry *g, int64_t row_begin, int64_t row_end,
                    float *col, int64_t ldcol);
void ember_im2col_d(const double *image, const ember_conv_geometry *g, int64_t row_begin, int64_t row_end,
                    double *col, int64_t ldcol);

/// Adds such columns back into the image they came from: the adjoint of im2col.
void ember_col2im_s(const float *col, int64_t ldcol, const ember_conv_geometry *g, int64_t row_begin,
                    int64_t row_end, float *image);
void ember_col2im_d(const double *col, int64_t ldcol, const ember_conv_geometry *g, int64_t row_begin,
                    int64_t row_end, double *image);

/// Winograd F(2×2, 3×3) transforms (conv.c, winograd_impl.h). `ember_winograd_weights_*` transforms the
/// weights [O, C, 3, 3] (when `adjoint`, [C, O, 3, 3] with each kernel turned by 180°: the
/// transposed convolution's) into the 16 matrices U_ξ [C, O], each packed as `ember_pack_s` packs
/// and `ember_packed_size_s(C, O)` elements after the one before; `first` and `count` number
/// panels. `ember_winograd_input_*` writes the input patches of tiles [first, first + count) of
/// the batch [N, C, H, W] as rows of the matrices V_ξ [ld, C]; `ember_winograd_output_*` writes
/// those tiles of y [N, O, out_h, out_w] from rows of the products M_ξ [ld, O], plus `bias` unless
/// NULL. Only `channels`, `height`, `width`, `pad_h`, `pad_w`, `out_h` and `out_w` of `g` are read.
void ember_winograd_weights_s(const float *w, int adjoint, int64_t out_channels, int64_t in_channels, int64_t first,
                              int64_t count, float *u);
void ember_winograd_weights_d(const double *w, int adjoint, int64_t out_channels, int64_t in_channels,
                              int64_t first, int64_t count, double *u);
void ember_winograd_input_s(const float *x, const ember_conv_geometry *g, int64_t first, int64_t count, float *v,
                            int64_t ldv);
void ember_winograd_input_d(const double *x, const ember_conv_geometry *g, int64_t first, int64_t count, double *v,
                            int64_t ldv);
void ember_winograd_output_s(const float *m, int64_t ldm, const ember_conv_geometry *g, int64_t out_channels,
                             const float *bias, int64_t first, int64_t count, float *y);
void ember_winograd_output_d(const double *m, int64_t ldm, const ember_conv_geometry *g, int64_t out_channels,
                             const double *bias, int64_t first, int64_t count, double *y);
/// The weight gradient: `ember_winograd_gradient_*` writes the transformed output gradient A dy Aᵀ of
/// tiles [first, first + count) of dy [N, O, out_h, out_w] as columns of the matrices Z_ξ [O, ldz],
/// each O·ldz elements after the one before; from the 16 matrices M_ξ = Σ Z_ξ V_ξ [O, C], each O·C
/// elements after the one before, `ember_winograd_weight_gradient_*` writes the gradient
/// dw [O, C, 3, 3] of output channels [first, first + count).
void ember_winograd_gradient_s(const float *dy, const ember_conv_geometry *g, int64_t out_channels, int64_t first,
                               int64_t count, float *z, int64_t ldz);
void ember_winograd_gradient_d(const double *dy, const ember_conv_geometry *g, int64_t out_channels, int64_t first,
                               int64_t count, double *z, int64_t ldz);
void ember_winograd_weight_gradient_s(const float *m, int64_t out_channels, int64_t in_channels, int64_t first,
                                      int64_t count, float *dw);
void ember_winograd_weight_gradient_d(const double *m, int64_t out_channels, int64_t in_channels, int64_t first,
                                      int64_t count, double *dw);

/// [channels, images * positions] -> [images, channels, positions], adding `bias[channel]` unless NULL.
void ember_chunk_to_batch_s(const float *chunk, const float *bias, int64_t channels, int64_t images,
                            int64_t positions, float *batch);
void ember_chunk_to_batch_d(const double *chunk, const double *bias, int64_t channels, int64_t images,
                            int64_t positions, double *batch);

/// [images, channels, positions] -> [channels, images * positions].
void ember_batch_to_chunk_s(const float *batch, int64_t channels, int64_t images, int64_t positions,
                            float *chunk);
void ember_batch_to_chunk_d(const double *batch, int64_t channels, int64_t images, int64_t positions,
                            double *chunk);

/// Sets the first `count` elements of `channels` rows `ld` apart to `bias[row]` (0 when NULL).
void ember_fill_channels_s(float *data, int64_t ld, const float *bias, int64_t channels, int64_t count);
void ember_fill_channels_d(double *data, int64_t ld, const double *bias, int64_t channels, int64_t count);

/// Per-channel sums of an [images, channels, positions] tensor (a bias gradient).
void ember_channel_sums_s(const float *data, int64_t images, int64_t channels, int64_t positions, float *sums);
void ember_channel_sums_d(const double *data, int64_t images, int64_t channels, int64_t positions, double *sums);

/// Max pooling with PyTorch's indices (first maximum wins, NaN propagates); `indices` may be NULL.
void ember_max_pool2d_s(const float *input, const ember_pool_geometry *g, float *output, int64_t *indices);
void ember_max_pool2d_d(const double *input, const ember_pool_geometry *g, double *output, int64_t *indices);

/// Routes each output gradient to its input index (grad_input is overwritten).
void ember_max_pool2d_backward_s(const float *grad_output, const int64_t *indices, int64_t planes,
                                 int64_t in_plane, int64_t out_plane, float *grad_input);
void ember_max_pool2d_backward_d(const double *grad_output, const int64_t *indices, int64_t planes,
                                 int64_t in_plane, int64_t out_plane, double *grad_input);

/// Average pooling; `divisor_override` <= 0 means none.
void ember_avg_pool2d_s(const float *input, const ember_pool_geometry *g, int count_include_pad,
                        int64_t divisor_override, float *output);
void ember_avg_pool2d_d(const double *input, const ember_pool_geometry *g, int count_include_pad,
                        int64_t divisor_override, double *output);

/// Gradient of `ember_avg_pool2d` (grad_input is overwritten).
void ember_avg_pool2d_backward_s(const float *grad_output, const ember_pool_geometry *g,
                                 int count_include_pad, int64_t divisor_override, float *grad_input);
void ember_avg_pool2d_backward_d(const double *grad_output, const ember_pool_geometry *g,
                                 int count_include_pad, int64_t divisor_override, double *grad_input);

/// Adaptive average pooling to `out_h` x `out_w` (kernel, stride, padding fields unused).
void ember_adaptive_avg_pool2d_s(const float *input, const ember_pool_geometry *g, float *output);
void ember_adaptive_avg_pool2d_d(const double *input, const ember_pool_geometry *g, double *output);

/// Gradient of `ember_adaptive_avg_pool2d` (grad_input is overwritten).
void ember_adaptive_avg_pool2d_backward_s(const float *grad_output, const ember_pool_geometry *g,
                                          float *grad_input);
void ember_adaptive_avg_pool2d_backward_d(const double *grad_output, const ember_pool_geometry *g,
                                          double *grad_input);

/// Adaptive max pooling with indices; its gradient is `ember_max_pool2d_backward`.
void ember_adaptive_max_pool2d_s(const float *input, const ember_pool_geometry *g, float *output,
                                 int64_t *indices);
void ember_adaptive_max_pool2d_d(const double *input, const ember_pool_geometry *g, double *output,
                                 int64_t *indices);

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

// MARK: recurrent layers (recurrent.c)

/// LSTM gates for one time step of `rows` batch rows: the pre-activations in `gates` (both
/// projections and biases) become the activated gates i, f, g, o in place; then the cell state
/// c = f·c_prev + i·g, tanh(c) and the output h = o·tanh(c).
void ember_lstm_forward_rows_s(int64_t rows, int64_t hidden, float *gates, const float *cell_prev, float *cell,
                               float *cell_tanh, float *out);
void ember_lstm_forward_rows_d(int64_t rows, int64_t hidden, double *gates, const double *cell_prev,
                               double *cell, double *cell_tanh, double *out);
/// GRU gates for one time step of `rows` batch rows: the activated gates r, z, n, the hidden side
/// of n (`W_hn h + b_hn`, kept for the backward pass) and h = (1 - z)·n + z·h_prev.
void ember_gru_forward_rows_s(int64_t rows, int64_t hidden, const float *x_proj, const float *h_proj,
                              const float *hidden_prev, float *gates, float *hidden_side, float *out);
void ember_gru_forward_rows_d(int64_t rows, int64_t hidden, const double *x_proj, const double *h_proj,
                              const double *hidden_prev, double *gates, double *hidden_side, double *out);

/// LSTM back-propagation through one time step for `rows` batch rows: from the activated gates
/// (i, f, g, o), the output and hidden-state gradients, tanh(c) and the previous cell state, the
/// gate pre-activation gradients; `grad_c` is updated in place to the previous step's.
void ember_lstm_backward_rows_s(int64_t rows, int64_t hidden, const float *gates, const float *grad_out,
                                const float *grad_h, const float *cell_tanh, const float *cell_prev, float *grad_c,
                                float *grad_gates);
void ember_lstm_backward_rows_d(int64_t rows, int64_t hidden, const double *gates, const double *grad_out,
                                const double *grad_h, const double *cell_tanh, const double *cell_prev,
                                double *grad_c, double *grad_gates);
/// GRU back-propagation through one time step for `rows` batch rows: the input-side and
/// hidden-side gate gradients (they differ in the n gate) from the activated gates (r, z, n),
/// `W_hn h + b_hn` and the previous hidden state; `grad_h` becomes the direct path z·dh.
void ember_gru_backward_rows_s(int64_t rows, int64_t hidden, const float *gates, const float *grad_out,
                               const float *hidden_side, const float *hidden_prev, float *grad_h, float *grad_ih,
                               float *grad_hh);
void ember_gru_backward_rows_d(int64_t rows, int64_t hidden, const double *gates, const double *grad_out,
                               const double *hidden_side, const double *hidden_prev, double *grad_h,
                               double *grad_ih, double *grad_hh);

// MARK: vectorised float32 math (vmath.c)

/// y[i] = exp(x[i]) for contiguous float32 arrays, within 2 ulp (libm's result outside the normal
/// range); x and y may be the same array.
void ember_vexp_s(const float *x, float *y, int64_t n);
/// y[i] = 1 / (1 + exp(-x[i])).
void ember_vsigmoid_s(const float *x, float *y, int64_t n);
/// y[i] = tanh(x[i]), within a few ulp.
void ember_vtanh_s(const float *x, float *y, int64_t n);
/// y[i] = a[i] op b[i] for op 0 `+`, 1 `-`, 2 `*`, 3 `/`; a step of 0 repeats that operand's first
/// element (a scalar). `y` must not overlap the inputs unless it is one of them exactly.
void ember_varith_s(int op, const float *a, int64_t a_step, const float *b, int64_t b_step, float *y, int64_t n);

// MARK: sums (reduce.c)

/// The sum of `n` contiguous float32 values, accumulated in double precision.
double ember_sum_s(const float *x, int64_t n);
/// The sum of `n` contiguous float64 values.
double ember_sum_d(const double *x, int64_t n);
/// sums[j] = the sum over `rows` rows (`ld` elements apart) of element j, for `cols` columns of
/// float32 values, accumulated in double precision.
void ember_column_sums_s(const float *x, int64_t rows, int64_t cols, int64_t ld, double *sums);
/// The float64 form of `ember_column_sums_s`.
void ember_column_sums_d(const double *x, int64_t rows, int64_t cols, int64_t ld, double *sums);

#endif
