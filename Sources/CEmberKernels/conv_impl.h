// The convolution kernels for one element type, included by conv.c once for float (suffix _s)
// and once for double (_d) with SCALAR and KERNEL(name) defined.
//
// Layout: an image is [channels, height, width]; its column matrix has one row per (channel,
// kernel row, kernel column) and one column per output position of the output rows
// [row_begin, row_end), rows `ldcol` elements apart, so several images (or bands) can sit side by
// side in one wide matrix.

// Rows of small images are a few dozen elements: copied in fixed 32-byte blocks, which the
// compiler turns into vector moves, instead of a library call per row (EMBER_INLINE_COPIES keeps
// it from merging the blocks back into one memcpy call). The last block ends at n and may overlap
// the one before, so a row of at least one block has no element-by-element tail.
static inline EMBER_INLINE_COPIES void KERNEL(copy_row)(SCALAR *dst, const SCALAR *src, int64_t n) {
    const int64_t block = 32 / (int64_t)sizeof(SCALAR);
    if (n >= 16 * block) {
        memcpy(dst, src, sizeof(SCALAR) * (size_t)n);
    } else if (n >= block) {
        for (int64_t i = 0; i + block < n; i += block) __builtin_memcpy(dst + i, src + i, 32);
        __builtin_memcpy(dst + n - block, src + n - block, 32);
    } else {
        for (int64_t i = 0; i < n; i++) dst[i] = src[i];
    }
}

static inline EMBER_INLINE_COPIES void KERNEL(zero_row)(SCALAR *dst, int64_t n) {
    const int64_t block = 32 / (int64_t)sizeof(SCALAR);
    if (n >= 16 * block) {
        memset(dst, 0, sizeof(SCALAR) * (size_t)n);
        return;
    }
    static const SCALAR zeros[32 / sizeof(SCALAR)];
    int64_t i = 0;
    for (; i + block <= n; i += block) __builtin_memcpy(dst + i, zeros, 32);
    for (; i < n; i++) dst[i] = 0;
}

enum { KERNEL(kPaddedRowCapacity) = 1024 };

// im2col for unit horizontal stride and dilation: each input row is copied once into a zero-padded
// row, and the kernel's columns are then plain copies of out_w elements at successive offsets of
// it, with no bounds or padding logic per output row.
static inline __attribute__((always_inline)) EMBER_INLINE_COPIES void KERNEL(im2col_unit_stride)(
    const SCALAR *image, const ember_conv_geometry *g, int64_t row_begin, int64_t row_end, SCALAR *col,
    int64_t ldcol) {
    const int64_t height = g->height, width = g->width, out_w = g->out_w, kernel_h = g->kernel_h,
                  kernel_w = g->kernel_w, stride_h = g->stride_h, pad_h = g->pad_h, pad_w = g->pad_w,
                  dilation_h = g->dilation_h;
    SCALAR padded[KERNEL(kPaddedRowCapacity)];
    const int64_t padded_width = out_w + kernel_w - 1;
    for (int64_t x = 0; x < padded_width; x++) padded[x] = 0;
    for (int64_t c = 0; c < g->channels; c++) {
        for (int64_t ki = 0; ki < kernel_h; ki++) {
            SCALAR *rows = col + (c * kernel_h + ki) * kernel_w * ldcol;
            for (int64_t oh = row_begin; oh < row_end; oh++) {
                SCALAR *dst = rows + (oh - row_begin) * out_w;
                const int64_t ih = oh * stride_h - pad_h + ki * dilation_h;
                if (ih < 0 || ih >= height) {
                    for (int64_t kj = 0; kj < kernel_w; kj++) KERNEL(zero_row)(dst + kj * ldcol, out_w);
                    continue;
                }
                const int64_t copied = width < padded_width - pad_w ? width : padded_width - pad_w;
                KERNEL(copy_row)(padded + pad_w, image + (c * height + ih) * width, copied);
                for (int64_t kj = 0; kj < kernel_w; kj++) KERNEL(copy_row)(dst + kj * ldcol, padded + kj, out_w);
            }
        }
    }
}

EMBER_AVX2_CLONES EMBER_INLINE_COPIES void KERNEL(ember_im2col)(const SCALAR *image, const ember_conv_geometry *g,
                                                                int64_t row_begin, int64_t row_end, SCALAR *col,
                                                                int64_t ldcol) {
    const int64_t block = 32 / (int64_t)sizeof(SCALAR);
    if (g->stride_w == 1 && g->dilation_w == 1 && g->pad_w >= 0 && g->out_w >= block &&
        g->out_w + g->kernel_w - 1 <= KERNEL(kPaddedRowCapacity) && g->pad_w < g->out_w + g->kernel_w - 1) {
        KERNEL(im2col_unit_stride)(image, g, row_begin, row_end, col, ldcol);
        return;
    }
    // The geometry in locals: stores through `col` could otherwise alias it for the compiler.
    const int64_t height = g->height, width = g->width, out_w = g->out_w, kernel_h = g->kernel_h,
                  kernel_w = g->kernel_w, stride_h = g->stride_h, stride_w = g->stride_w, pad_h = g->pad_h,
                  pad_w = g->pad_w, dilation_h = g->dilation_h, dilation_w = g->dilation_w;
    const int64_t plane = height * width;
    for (int64_t c = 0; c < g->channels; c++) {
        const SCALAR *src_plane = image + c * plane;
        for (int64_t ki = 0; ki < kernel_h; ki++) {
            for (int64_t kj = 0; kj < kernel_w; kj++) {
                SCALAR *row = col + ((c * kernel_h + ki) * kernel_w + kj) * ldcol;
                int64_t lo, hi;
                const int64_t w_offset = kj * dilation_w - pad_w;
                ember_valid_range(w_offset, stride_w, width, out_w, &lo, &hi);
                for (int64_t oh = row_begin; oh < row_end; oh++) {
                    SCALAR *dst = row + (oh - row_begin) * out_w;
                    const int64_t ih = oh * stride_h - pad_h + ki * dilation_h;
                    if (ih < 0 || ih >= height) {
                        KERNEL(zero_row)(dst, out_w);
                        continue;
                    }
                    const SCALAR *src = src_plane + ih * width;
                    KERNEL(zero_row)(dst, lo);
                    if (stride_w == 1) {
                        KERNEL(copy_row)(dst + lo, src + w_offset + lo, hi - lo);
                    } else {
                        for (int64_t ow = lo; ow < hi; ow++) dst[ow] = src[w_offset + ow * stride_w];
                    }
                    KERNEL(zero_row)(dst + hi, out_w - hi);
                }
            }
        }
    }
}

void KERNEL(ember_col2im)(const SCALAR *col, int64_t ldcol, const ember_conv_geometry *g, int64_t row_begin,
                          int64_t row_end, SCALAR *image) {
    const int64_t plane = g->height * g->width;
    for (int64_t c = 0; c < g->channels; c++) {
        SCALAR *dst_plane = image + c * plane;
        for (int64_t ki = 0; ki < g->kernel_h; ki++) {
            for (int64_t kj = 0; kj < g->kernel_w; kj++) {
                const SCALAR *row = col + ((c * g->kernel_h + ki) * g->kernel_w + kj) * ldcol;
                int64_t lo, hi;
                const int64_t w_offset = kj * g->dilation_w - g->pad_w;
                ember_valid_range(w_offset, g->stride_w, g->width, g->out_w, &lo, &hi);
                for (int64_t oh = row_begin; oh < row_end; oh++) {
                    const int64_t ih = oh * g->stride_h - g->pad_h + ki * g->dilation_h;
                    if (ih < 0 || ih >= g->height) continue;
                    const SCALAR *src = row + (oh - row_begin) * g->out_w;
                    SCALAR *dst = dst_plane + ih * g->width;
                    const int64_t s = g->stride_w;
                    for (int64_t ow = lo; ow < hi; ow++) dst[w_offset + ow * s] += src[ow];
                }
            }
        }
    }
}

void KERNEL(ember_chunk_to_batch)(const SCALAR *chunk, const SCALAR *bias, int64_t channels, int64_t images,
                                  int64_t positions, SCALAR *batch) {
    for (int64_t b = 0; b < images; b++) {
        for (int64_t c = 0; c < channels; c++) {
            const SCALAR *src = chunk + (c * images + b) * positions;
            SCALAR *dst = batch + (b * channels + c) * positions;
            if (bias) {
                const SCALAR v = bias[c];
                for (int64_t i = 0; i < positions; i++) dst[i] = src[i] + v;
            } else {
                memcpy(dst, src, sizeof(SCALAR) * (size_t)positions);
            }
        }
    }
}

void KERNEL(ember_batch_to_chunk)(const SCALAR *batch, int64_t channels, int64_t images, int64_t positions,
                                  SCALAR *chunk) {
    for (int64_t b = 0; b < images; b++) {
        for (int64_t c = 0; c < channels; c++) {
            memcpy(chunk + (c * images + b) * positions, batch + (b * channels + c) * positions,
                   sizeof(SCALAR) * (size_t)positions);
        }
    }
}

void KERNEL(ember_fill_channels)(SCALAR *data, int64_t ld, const SCALAR *bias, int64_t channels, int64_t count) {
    for (int64_t c = 0; c < channels; c++) {
        SCALAR *row = data + c * ld;
        const SCALAR v = bias ? bias[c] : 0;
        for (int64_t i = 0; i < count; i++) row[i] = v;
    }
}

void KERNEL(ember_channel_sums)(const SCALAR *data, int64_t images, int64_t channels, int64_t positions,
                                SCALAR *sums) {
    for (int64_t c = 0; c < channels; c++) {
        double total = 0;
        for (int64_t b = 0; b < images; b++) {
            const SCALAR *row = data + (b * channels + c) * positions;
            // Eight running sums, so the loop vectorises (a single one is a serial dependency chain).
            SCALAR lanes[8] = {0};
            int64_t i = 0;
            for (; i + 8 <= positions; i += 8) {
                for (int j = 0; j < 8; j++) lanes[j] += row[i + j];
            }
            SCALAR partial = 0;
            for (; i < positions; i++) partial += row[i];
            for (int j = 0; j < 8; j++) partial += lanes[j];
            total += partial;
        }
        sums[c] = (SCALAR)total;
    }
}
