// The recurrent gate kernels for one element type, included by recurrent.c once for float
// (suffix _s) and once for double (_d) with SCALAR, KERNEL(name), SIGMOID and TANH defined.
//
// Each call handles `rows` batch rows of one time step. Row r of the gates and of the
// projections holds 4·H (LSTM i, f, g, o) or 3·H (GRU r, z, n) values; every other array holds H
// values per row.

EMBER_AVX2_CLONES void KERNEL(ember_lstm_forward_rows)(int64_t rows, int64_t hidden, SCALAR *restrict gates,
                                                  const SCALAR *restrict cell_prev, SCALAR *restrict cell,
                                                  SCALAR *restrict cell_tanh, SCALAR *restrict out) {
    const int64_t width = 4 * hidden;
    for (int64_t r = 0; r < rows; r++) {
        SCALAR *restrict a = gates + r * width;
        SIGMOID(a, a, 2 * hidden);
        TANH(a + 2 * hidden, a + 2 * hidden, hidden);
        SIGMOID(a + 3 * hidden, a + 3 * hidden, hidden);
        const int64_t row = r * hidden;
        for (int64_t k = 0; k < hidden; k++)
            cell[row + k] = a[k + hidden] * cell_prev[row + k] + a[k] * a[k + 2 * hidden];
    }
    TANH(cell, cell_tanh, rows * hidden);
    for (int64_t r = 0; r < rows; r++) {
        const SCALAR *restrict o = gates + r * width + 3 * hidden;
        const int64_t row = r * hidden;
        for (int64_t k = 0; k < hidden; k++) out[row + k] = o[k] * cell_tanh[row + k];
    }
}

EMBER_AVX2_CLONES void KERNEL(ember_gru_forward_rows)(int64_t rows, int64_t hidden, const SCALAR *restrict x_proj,
                                                 const SCALAR *restrict h_proj, const SCALAR *restrict hidden_prev,
                                                 SCALAR *restrict gates, SCALAR *restrict hidden_side,
                                                 SCALAR *restrict out) {
    const int64_t width = 3 * hidden;
    for (int64_t r = 0; r < rows; r++) {
        SCALAR *restrict a = gates + r * width;
        const SCALAR *restrict x = x_proj + r * width;
        const SCALAR *restrict h = h_proj + r * width;
        // r, z: sigmoid of the sums; n = tanh(x_n + r · (W_hn h + b_hn)).
        for (int64_t k = 0; k < 2 * hidden; k++) a[k] = x[k] + h[k];
        SIGMOID(a, a, 2 * hidden);
        for (int64_t k = 0; k < hidden; k++) a[k + 2 * hidden] = x[k + 2 * hidden] + a[k] * h[k + 2 * hidden];
        TANH(a + 2 * hidden, a + 2 * hidden, hidden);
        const int64_t row = r * hidden;
        for (int64_t k = 0; k < hidden; k++) {
            const SCALAR z = a[k + hidden], n = a[k + 2 * hidden];
            hidden_side[row + k] = h[k + 2 * hidden];
            out[row + k] = (1 - z) * n + z * hidden_prev[row + k];
        }
    }
}

EMBER_AVX2_CLONES void KERNEL(ember_lstm_backward_rows)(int64_t rows, int64_t hidden, const SCALAR *restrict gates,
                                      const SCALAR *restrict grad_out, const SCALAR *restrict grad_h,
                                      const SCALAR *restrict cell_tanh, const SCALAR *restrict cell_prev,
                                      SCALAR *restrict grad_c, SCALAR *restrict grad_gates) {
    const int64_t width = 4 * hidden;
    for (int64_t r = 0; r < rows; r++) {
        const SCALAR *restrict a = gates + r * width;
        SCALAR *restrict d = grad_gates + r * width;
        const int64_t row = r * hidden;
        for (int64_t k = 0; k < hidden; k++) {
            const SCALAR i = a[k], f = a[k + hidden], g = a[k + 2 * hidden], o = a[k + 3 * hidden];
            const SCALAR dh = grad_out[row + k] + grad_h[row + k];
            const SCALAR tc = cell_tanh[row + k];
            const SCALAR dc = grad_c[row + k] + dh * o * (1 - tc * tc);
            d[k] = dc * g * i * (1 - i);
            d[k + hidden] = dc * cell_prev[row + k] * f * (1 - f);
            d[k + 2 * hidden] = dc * i * (1 - g * g);
            d[k + 3 * hidden] = dh * tc * o * (1 - o);
            grad_c[row + k] = dc * f;
        }
    }
}

EMBER_AVX2_CLONES void KERNEL(ember_gru_backward_rows)(int64_t rows, int64_t hidden, const SCALAR *restrict gates,
                                     const SCALAR *restrict grad_out, const SCALAR *restrict hidden_side,
                                     const SCALAR *restrict hidden_prev, SCALAR *restrict grad_h,
                                     SCALAR *restrict grad_ih, SCALAR *restrict grad_hh) {
    const int64_t width = 3 * hidden;
    for (int64_t r = 0; r < rows; r++) {
        const SCALAR *restrict a = gates + r * width;
        SCALAR *restrict di = grad_ih + r * width;
        SCALAR *restrict dr = grad_hh + r * width;
        const int64_t row = r * hidden;
        for (int64_t k = 0; k < hidden; k++) {
            const SCALAR reset = a[k], update = a[k + hidden], n = a[k + 2 * hidden];
            const SCALAR dh = grad_out[row + k] + grad_h[row + k];
            const SCALAR dn = dh * (1 - update) * (1 - n * n);
            const SCALAR d_reset = dn * hidden_side[row + k] * reset * (1 - reset);
            const SCALAR d_update = dh * (hidden_prev[row + k] - n) * update * (1 - update);
            di[k] = d_reset;
            di[k + hidden] = d_update;
            di[k + 2 * hidden] = dn;
            dr[k] = d_reset;
            dr[k + hidden] = d_update;
            dr[k + 2 * hidden] = dn * reset;
            grad_h[row + k] = dh * update;
        }
    }
}
