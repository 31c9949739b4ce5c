// The pooling kernels for one element type, included by pool.c once for float (suffix _s) and
// once for double (_d). Every kernel walks `planes` independent [height, width] planes; indices
// are flat positions inside an input plane, as PyTorch's `return_indices`.

// Row by row: for each window offset, one pass over the output row updates every window's
// running maximum, so the loop vectorises. PyTorch's CPU rule picks the first maximum of a window
// (row-major) and lets a NaN win; the indices, when asked for (`indices` may be NULL), come from a
// second pass over the window offsets in reverse that keeps the earliest position equal to the
// maximum, and a scalar fix-up for the rare NaN windows (PyTorch reports their last NaN).
// The common 2x2 window with stride 2 (no padding, no dilation): PyTorch's own scalar rule per
// window (a strictly larger value or a NaN takes over), written with selects, not branches.
EMBER_AVX2_CLONES static void KERNEL(max_pool2x2)(const SCALAR *input, const ember_pool_geometry *g, SCALAR *output,
                                             int64_t *indices) {
    const int64_t W = g->width, in_plane = g->height * W, out_plane = g->out_h * g->out_w, n = g->out_w;
    for (int64_t p = 0; p < g->planes; p++) {
        for (int64_t oh = 0; oh < g->out_h; oh++) {
            const SCALAR *restrict r0 = input + p * in_plane + 2 * oh * W;
            const SCALAR *restrict r1 = r0 + W;
            SCALAR *restrict best = output + p * out_plane + oh * n;
            // Two loops, so that each vectorises (the stores differ).
            if (!indices) {
                for (int64_t ow = 0; ow < n; ow++) {
                    SCALAR m = r0[2 * ow];
                    const SCALAR b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
                    m = ((b > m) | (b != b)) ? b : m;
                    m = ((c > m) | (c != c)) ? c : m;
                    best[ow] = ((d > m) | (d != d)) ? d : m;
                }
                continue;
            }
            int64_t *restrict where = indices + p * out_plane + oh * n;
            const int64_t top = 2 * oh * W;
            for (int64_t ow = 0; ow < n; ow++) {
                SCALAR m = r0[2 * ow];
                const SCALAR b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
                int64_t k = top + 2 * ow;
                const int tb = (b > m) | (b != b);
                m = tb ? b : m;
                k = tb ? top + 2 * ow + 1 : k;
                const int tc = (c > m) | (c != c);
                m = tc ? c : m;
                k = tc ? top + W + 2 * ow : k;
                const int td = (d > m) | (d != d);
                best[ow] = td ? d : m;
                where[ow] = td ? top + W + 2 * ow + 1 : k;
            }
        }
    }
}

void KERNEL(ember_max_pool2d)(const SCALAR *input, const ember_pool_geometry *g, SCALAR *output,
                              int64_t *indices) {
    if (g->kernel_h == 2 && g->kernel_w == 2 && g->stride_h == 2 && g->stride_w == 2 && g->pad_h == 0 &&
        g->pad_w == 0 && g->dilation_h == 1 && g->dilation_w == 1 && 2 * g->out_h <= g->height &&
        2 * g->out_w <= g->width) {
        KERNEL(max_pool2x2)(input, g, output, indices);
        return;
    }
    const int64_t W = g->width, in_plane = g->height * W, out_plane = g->out_h * g->out_w;
    const int64_t sw = g->stride_w, kw = g->kernel_w, dw = g->dilation_w;
    // The output columns each kernel column reaches, the same for every row.
    int64_t *bounds = malloc(sizeof(int64_t) * 2 * (size_t)kw);
    for (int64_t kj = 0; kj < kw; kj++) {
        ember_valid_range(kj * dw - g->pad_w, sw, W, g->out_w, &bounds[2 * kj], &bounds[2 * kj + 1]);
    }
    for (int64_t p = 0; p < g->planes; p++) {
        const SCALAR *in = input + p * in_plane;
        for (int64_t oh = 0; oh < g->out_h; oh++) {
            int64_t ih0 = oh * g->stride_h - g->pad_h;
            const int64_t ih1 = min64(ih0 + (g->kernel_h - 1) * g->dilation_h + 1, g->height);
            while (ih0 < 0) ih0 += g->dilation_h;
            SCALAR *restrict best = output + p * out_plane + oh * g->out_w;
            for (int64_t ow = 0; ow < g->out_w; ow++) best[ow] = -INFINITY;
            for (int64_t ih = ih0; ih < ih1; ih += g->dilation_h) {
                const SCALAR *restrict row = in + ih * W;
                for (int64_t kj = 0; kj < kw; kj++) {
                    const int64_t offset = kj * dw - g->pad_w;
                    for (int64_t ow = bounds[2 * kj]; ow < bounds[2 * kj + 1]; ow++) {
                        const SCALAR v = row[ow * sw + offset];
                        best[ow] = ((v > best[ow]) | (v != v)) ? v : best[ow];
                    }
                }
            }
            if (!indices) continue;
            int64_t *restrict where = indices + p * out_plane + oh * g->out_w;
            for (int64_t ow = 0; ow < g->out_w; ow++) {
                int64_t iw0 = ow * sw - g->pad_w;
                while (iw0 < 0) iw0 += dw;
                where[ow] = ih0 * W + iw0;  // PyTorch's index for a window with nothing above -inf
            }
            int nan = 0;
            for (int64_t ow = 0; ow < g->out_w; ow++) nan |= best[ow] != best[ow];
            for (int64_t ih = ih1 - 1 - (ih1 - 1 - ih0) % g->dilation_h; ih >= ih0; ih -= g->dilation_h) {
                const SCALAR *restrict row = in + ih * W;
                for (int64_t kj = kw - 1; kj >= 0; kj--) {
                    const int64_t offset = kj * dw - g->pad_w;
                    const int64_t base = ih * W + offset;
                    // A mask, not a branch: on random data a branch here mispredicts often.
                    for (int64_t ow = bounds[2 * kj]; ow < bounds[2 * kj + 1]; ow++) {
                        const int64_t hit = -(int64_t)(row[ow * sw + offset] == best[ow]);
                        where[ow] = (where[ow] & ~hit) | ((base + ow * sw) & hit);
                    }
                }
            }
            if (!nan) continue;
            for (int64_t ow = 0; ow < g->out_w; ow++) {
                if (best[ow] == best[ow]) continue;
                for (int64_t ih = ih0; ih < ih1; ih += g->dilation_h) {
                    for (int64_t kj = 0; kj < kw; kj++) {
                        const int64_t iw = ow * sw + kj * dw - g->pad_w;
                        if (ow >= bounds[2 * kj] && ow < bounds[2 * kj + 1] && in[ih * W + iw] != in[ih * W + iw]) {
                            where[ow] = ih * W + iw;
                        }
                    }
                }
            }
        }
    }
    free(bounds);
}

void KERNEL(ember_max_pool2d_backward)(const SCALAR *grad_output, const int64_t *indices, int64_t planes,
                                       int64_t in_plane, int64_t out_plane, SCALAR *grad_input) {
    memset(grad_input, 0, sizeof(SCALAR) * (size_t)(planes * in_plane));
    for (int64_t p = 0; p < planes; p++) {
        SCALAR *gin = grad_input + p * in_plane;
        const SCALAR *gout = grad_output + p * out_plane;
        const int64_t *idx = indices + p * out_plane;
        for (int64_t i = 0; i < out_plane; i++) gin[idx[i]] += gout[i];
    }
}

// Visits every average-pooling window: `VISIT(oh, ow, ih0, ih1, iw0, iw1, divisor)` with the window
// clipped to the input and PyTorch's divisor (pool size with or without padding, or the override).
#define FOR_EACH_AVG_WINDOW(g, count_include_pad, divisor_override, VISIT)                                  \
    for (int64_t oh = 0; oh < (g)->out_h; oh++) {                                                          \
        for (int64_t ow = 0; ow < (g)->out_w; ow++) {                                                      \
            int64_t ih0 = oh * (g)->stride_h - (g)->pad_h, iw0 = ow * (g)->stride_w - (g)->pad_w;          \
            int64_t ih1 = min64(ih0 + (g)->kernel_h, (g)->height + (g)->pad_h);                            \
            int64_t iw1 = min64(iw0 + (g)->kernel_w, (g)->width + (g)->pad_w);                             \
            const int64_t pool_size = (ih1 - ih0) * (iw1 - iw0);                                           \
            ih0 = max64(ih0, 0);                                                                           \
            iw0 = max64(iw0, 0);                                                                           \
            ih1 = min64(ih1, (g)->height);                                                                 \
            iw1 = min64(iw1, (g)->width);                                                                  \
            const int64_t divisor = (divisor_override) > 0 ? (divisor_override)                            \
                                    : (count_include_pad) ? pool_size : (ih1 - ih0) * (iw1 - iw0);         \
            VISIT                                                                                          \
        }                                                                                                  \
    }

void KERNEL(ember_avg_pool2d)(const SCALAR *input, const ember_pool_geometry *g, int count_include_pad,
                              int64_t divisor_override, SCALAR *output) {
    const int64_t in_plane = g->height * g->width, out_plane = g->out_h * g->out_w;
    for (int64_t p = 0; p < g->planes; p++) {
        const SCALAR *in = input + p * in_plane;
        SCALAR *out = output + p * out_plane;
        FOR_EACH_AVG_WINDOW(g, count_include_pad, divisor_override, {
            SCALAR sum = 0;
            for (int64_t ih = ih0; ih < ih1; ih++)
                for (int64_t iw = iw0; iw < iw1; iw++) sum += in[ih * g->width + iw];
            out[oh * g->out_w + ow] = (ih0 >= ih1 || iw0 >= iw1) ? 0 : sum / (SCALAR)divisor;
        })
    }
}

void KERNEL(ember_avg_pool2d_backward)(const SCALAR *grad_output, const ember_pool_geometry *g,
                                       int count_include_pad, int64_t divisor_override, SCALAR *grad_input) {
    const int64_t in_plane = g->height * g->width, out_plane = g->out_h * g->out_w;
    memset(grad_input, 0, sizeof(SCALAR) * (size_t)(g->planes * in_plane));
    for (int64_t p = 0; p < g->planes; p++) {
        SCALAR *gin = grad_input + p * in_plane;
        const SCALAR *gout = grad_output + p * out_plane;
        FOR_EACH_AVG_WINDOW(g, count_include_pad, divisor_override, {
            if (ih0 >= ih1 || iw0 >= iw1) continue;
            const SCALAR share = gout[oh * g->out_w + ow] / (SCALAR)divisor;
            for (int64_t ih = ih0; ih < ih1; ih++)
                for (int64_t iw = iw0; iw < iw1; iw++) gin[ih * g->width + iw] += share;
        })
    }
}

// Adaptive pooling: output cell i of n covers input [floor(i * size / n), ceil((i + 1) * size / n)).
void KERNEL(ember_adaptive_avg_pool2d)(const SCALAR *input, const ember_pool_geometry *g, SCALAR *output) {
    const int64_t in_plane = g->height * g->width, out_plane = g->out_h * g->out_w;
    for (int64_t p = 0; p < g->planes; p++) {
        const SCALAR *in = input + p * in_plane;
        for (int64_t oh = 0; oh < g->out_h; oh++) {
            const int64_t ih0 = window_start(oh, g->out_h, g->height), ih1 = window_end(oh, g->out_h, g->height);
            for (int64_t ow = 0; ow < g->out_w; ow++) {
                const int64_t iw0 = window_start(ow, g->out_w, g->width), iw1 = window_end(ow, g->out_w, g->width);
                SCALAR sum = 0;
                for (int64_t ih = ih0; ih < ih1; ih++)
                    for (int64_t iw = iw0; iw < iw1; iw++) sum += in[ih * g->width + iw];
                output[p * out_plane + oh * g->out_w + ow] = sum / (SCALAR)((ih1 - ih0) * (iw1 - iw0));
            }
        }
    }
}

void KERNEL(ember_adaptive_avg_pool2d_backward)(const SCALAR *grad_output, const ember_pool_geometry *g,
                                                SCALAR *grad_input) {
    const int64_t in_plane = g->height * g->width, out_plane = g->out_h * g->out_w;
    memset(grad_input, 0, sizeof(SCALAR) * (size_t)(g->planes * in_plane));
    for (int64_t p = 0; p < g->planes; p++) {
        SCALAR *gin = grad_input + p * in_plane;
        for (int64_t oh = 0; oh < g->out_h; oh++) {
            const int64_t ih0 = window_start(oh, g->out_h, g->height), ih1 = window_end(oh, g->out_h, g->height);
            for (int64_t ow = 0; ow < g->out_w; ow++) {
                const int64_t iw0 = window_start(ow, g->out_w, g->width), iw1 = window_end(ow, g->out_w, g->width);
                const SCALAR share =
                    grad_output[p * out_plane + oh * g->out_w + ow] / (SCALAR)((ih1 - ih0) * (iw1 - iw0));
                for (int64_t ih = ih0; ih < ih1; ih++)
                    for (int64_t iw = iw0; iw < iw1; iw++) gin[ih * g->width + iw] += share;
            }
        }
    }
}

void KERNEL(ember_adaptive_max_pool2d)(const SCALAR *input, const ember_pool_geometry *g, SCALAR *output,
                                       int64_t *indices) {
    const int64_t in_plane = g->height * g->width, out_plane = g->out_h * g->out_w;
    for (int64_t p = 0; p < g->planes; p++) {
        const SCALAR *in = input + p * in_plane;
        for (int64_t oh = 0; oh < g->out_h; oh++) {
            const int64_t ih0 = window_start(oh, g->out_h, g->height), ih1 = window_end(oh, g->out_h, g->height);
            for (int64_t ow = 0; ow < g->out_w; ow++) {
                const int64_t iw0 = window_start(ow, g->out_w, g->width), iw1 = window_end(ow, g->out_w, g->width);
                int64_t best = ih0 * g->width + iw0;
                SCALAR best_value = -INFINITY;
                for (int64_t ih = ih0; ih < ih1; ih++) {
                    for (int64_t iw = iw0; iw < iw1; iw++) {
                        const SCALAR v = in[ih * g->width + iw];
                        if (v > best_value || isnan(v)) {
                            best_value = v;
                            best = ih * g->width + iw;
                        }
                    }
                }
                output[p * out_plane + oh * g->out_w + ow] = best_value;
                indices[p * out_plane + oh * g->out_w + ow] = best;
            }
        }
    }
}
