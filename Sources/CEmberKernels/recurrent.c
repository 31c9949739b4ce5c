// Pointwise gate kernels of the LSTM and GRU time steps, forward and backward (see
// Sources/Ember/NN/Layers/RecurrentKernel.swift). Written in C so that `restrict` lets the
// compiler vectorise loops that read and write many arrays at once.
#include "CEmberKernels.h"
#include "clones.h"
#include <math.h>

// float32 sigmoid and tanh are the vector kernels of vmath.c; float64 ones are libm's, as in
// FloatScalar.apply.
static void sigmoid_d(const double *x, double *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = 1 / (1 + exp(-x[i]));
}
static void tanh_d(const double *x, double *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = tanh(x[i]);
}

#define SCALAR float
#define KERNEL(name) name##_s
#define SIGMOID ember_vsigmoid_s
#define TANH ember_vtanh_s
#include "recurrent_impl.h"
#undef SCALAR
#undef KERNEL
#undef SIGMOID
#undef TANH

#define SCALAR double
#define KERNEL(name) name##_d
#define SIGMOID sigmoid_d
#define TANH tanh_d
#include "recurrent_impl.h"
#undef SCALAR
#undef KERNEL
#undef SIGMOID
#undef TANH
