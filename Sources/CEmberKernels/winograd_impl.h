// The Winograd F(2×2, 3×3) transforms for one element type, included by conv.c once for float
// (suffix _s) and once for double (_d) with SCALAR and KERNEL(name) defined.
//
// A 2×2 block of a 3×3 convolution's output (a tile) is Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, where g is the
// 3×3 kernel, d the tile's 4×4 input patch and (Lavin and Gray, 2015)
//   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],
//   Aᵀ = [1 1 1 0; 0 1 -1 -1].
// Summed over input channels, the 16 products ⊙ become 16 matrix products V_ξ [tiles, C] times
// U_ξ [C, O], 16 multiplications per tile and channel pair where the direct form takes 36. U_ξ is
// written in the panel layout of packed_gemm.c (panels of kPanel output channels, zero-padded).
//
// Tiles are numbered across the batch, row by row of each image's ⌈out_h / 2⌉ × ⌈out_w / 2⌉ grid;
// the input and output transforms take a run of them, the n-th of which is row n of V_ξ and M_ξ,
// whose ξ-th matrices are `ld` rows apart; the output-gradient transform of the weight gradient
// (at the end) writes it as column n of Z_ξ [O, ld].

enum {
    // Output channels per panel of the packed U_ξ (packed.h).
    KERNEL(kPanel) = EMBER_PANEL_WIDTH(SCALAR),
    // Channels transformed together, then written to V's rows together.
    KERNEL(kLanes) = 8,
    // Tiles per piece of a tile row, so a piece's transforms fit stack buffers.
    KERNEL(kPieceTiles) = 64,
    // Input columns a piece's patches span: its tiles overlap by two columns.
    KERNEL(kPieceColumns) = 2 * KERNEL(kPieceTiles) + 2,
};

// U_ξ = (G g Gᵀ)[ξ] for the kernels g = w[o][c], or when `adjoint` (w is [in_channels,
// out_channels, 3, 3]) for g = w[c][o] turned by 180°, packed: panels [first, first + count) of all
// 16. A panel's kernels are first copied side by side (wt[c][k][j]: element k of output channel j
// of the panel), so the transform runs on whole panel rows.
EMBER_AVX2_CLONES void KERNEL(ember_winograd_weights)(const SCALAR *w, int adjoint, int64_t out_channels,
                                                      int64_t in_channels, int64_t first, int64_t count, SCALAR *u) {
    enum { P = KERNEL(kPanel), CB = 32 };
    const int64_t stride = (out_channels + P - 1) / P * P * in_channels;
    SCALAR wt[CB][9][P];
    for (int64_t panel = first; panel < first + count; panel++) {
        const int64_t o0 = panel * P, lanes = min64(P, out_channels - o0);
        for (int64_t c0 = 0; c0 < in_channels; c0 += CB) {
            const int64_t cb = min64(CB, in_channels - c0);
            for (int64_t j = 0; j < P; j++) {
                if (j >= lanes) {
                    for (int64_t c = 0; c < cb; c++)
                        for (int k = 0; k < 9; k++) wt[c][k][j] = 0;
                    continue;
                }
                if (adjoint) {
                    const SCALAR *src = w + (c0 * out_channels + o0 + j) * 9;
                    for (int64_t c = 0; c < cb; c++)
                        for (int k = 0; k < 9; k++) wt[c][k][j] = src[c * out_channels * 9 + 8 - k];
                } else {
                    const SCALAR *src = w + ((o0 + j) * in_channels + c0) * 9;
                    for (int64_t c = 0; c < cb; c++)
                        for (int k = 0; k < 9; k++) wt[c][k][j] = src[c * 9 + k];
                }
            }
            for (int64_t c = 0; c < cb; c++) {
                SCALAR *out = u + panel * P * in_channels + (c0 + c) * P;
                const SCALAR(*g)[P] = wt[c];
                for (int64_t j = 0; j < P; j++) {
                    SCALAR gg[4][3];
                    for (int q = 0; q < 3; q++) {
                        gg[0][q] = g[q][j];
                        gg[1][q] = (g[q][j] + g[3 + q][j] + g[6 + q][j]) / 2;
                        gg[2][q] = (g[q][j] - g[3 + q][j] + g[6 + q][j]) / 2;
                        gg[3][q] = g[6 + q][j];
                    }
                    for (int i = 0; i < 4; i++) {
                        out[(4 * i + 0) * stride + j] = gg[i][0];
                        out[(4 * i + 1) * stride + j] = (gg[i][0] + gg[i][1] + gg[i][2]) / 2;
                        out[(4 * i + 2) * stride + j] = (gg[i][0] - gg[i][1] + gg[i][2]) / 2;
                        out[(4 * i + 3) * stride + j] = gg[i][2];
                    }
                }
            }
        }
    }
}

// Calls body(image, tile_row, first_column, end_column, run_offset) for the pieces (at most
// kPieceTiles tiles) of tile rows that the run of tiles [first, first + count) covers.
#define EMBER_FOR_PIECES(g, first, count, body)                                                                  \
    do {                                                                                                         \
        const int64_t tiles_w_ = ((g)->out_w + 1) / 2, per_image_ = ((g)->out_h + 1) / 2 * tiles_w_;             \
        for (int64_t t_ = (first); t_ < (first) + (count);) {                                                    \
            const int64_t b_ = t_ / per_image_, ti_ = t_ % per_image_ / tiles_w_, j0_ = t_ % tiles_w_;           \
            const int64_t end_ = min64(tiles_w_, j0_ + KERNEL(kPieceTiles));                                     \
            const int64_t j1_ = min64(end_, j0_ + (first) + (count) - t_);                                       \
            body(b_, ti_, j0_, j1_, t_ - (first));                                                               \
            t_ += j1_ - j0_;                                                                                     \
        }                                                                                                        \
    } while (0)

// The transformed inputs of tiles j0..<j1 of tile row ti of image b, for every channel, written to
// rows n0… of each V_ξ.
static inline __attribute__((always_inline)) EMBER_INLINE_COPIES void KERNEL(input_piece)(
    const SCALAR *x, const ember_conv_geometry *g, int64_t b, int64_t ti, int64_t j0, int64_t j1, int64_t n0, SCALAR *v,
    int64_t ldv) {
    enum { L = KERNEL(kLanes), N = KERNEL(kPieceTiles) };
    const int64_t height = g->height, width = g->width, channels = g->channels;
    const int64_t len = 2 * (j1 - j0) + 2, x0 = 2 * j0 - g->pad_w, count = j1 - j0;
    // Input columns [lo, hi) of the patch rows lie inside the image; rows outside it read as zeros.
    const int64_t lo = min64(len, max64(0, -x0)), hi = max64(lo, min64(len, width - x0));
    static const SCALAR zeros[KERNEL(kPieceColumns)];
    // t[ξ][j] holds the tile's values of the lanes' channels side by side, one row of V_ξ's block.
    SCALAR e[4][KERNEL(kPieceColumns)], t[16][N][L];
    for (int i = 0; i < 4; i++) {
        for (int64_t q = 0; q < lo; q++) e[i][q] = 0;
        for (int64_t q = hi; q < len; q++) e[i][q] = 0;
    }
    for (int64_t c0 = 0; c0 < channels; c0 += L) {
        const int64_t lanes = min64(L, channels - c0);
        for (int64_t l = 0; l < lanes; l++) {
            // Patch row k's column q is r[k][q + shift[k]].
            const SCALAR *plane = x + (b * channels + c0 + l) * height * width, *r[4];
            int64_t shift[4];
            for (int k = 0; k < 4; k++) {
                const int64_t ih = 2 * ti - g->pad_h + k;
                const int outside = ih < 0 || ih >= height;
                r[k] = outside ? zeros : plane + ih * width;
                shift[k] = outside ? -lo : x0;
            }
            // The next channel's patch rows are fetched while this one is transformed.
            for (int k = 0; k < 4; k++) {
                const int64_t ih = 2 * ti - g->pad_h + k;
                if (ih < 0 || ih >= height || c0 + l + 1 >= channels) continue;
                const SCALAR *next = plane + height * width + ih * width + x0 + lo;
                for (int64_t q = 0; q < hi - lo; q += 64 / (int64_t)sizeof(SCALAR)) __builtin_prefetch(next + q);
            }
            // Bᵀ d: the patch rows combined, for the whole piece at once.
            for (int64_t q = lo; q < hi; q++) {
                const SCALAR d0 = r[0][q + shift[0]], d1 = r[1][q + shift[1]], d2 = r[2][q + shift[2]],
                             d3 = r[3][q + shift[3]];
                e[0][q] = d0 - d2;
                e[1][q] = d1 + d2;
                e[2][q] = d2 - d1;
                e[3][q] = d1 - d3;
            }
            // (Bᵀ d) B: the columns of each tile combined.
            for (int i = 0; i < 4; i++) {
                for (int64_t j = 0; j < count; j++) {
                    const SCALAR *p = e[i] + 2 * j;
                    t[4 * i][j][l] = p[0] - p[2];
                    t[4 * i + 1][j][l] = p[1] + p[2];
                    t[4 * i + 2][j][l] = p[2] - p[1];
                    t[4 * i + 3][j][l] = p[1] - p[3];
                }
            }
        }
        for (int k = 0; k < 16; k++) {
            for (int64_t j = 0; j < count; j++) {
                SCALAR *row = v + (k * ldv + n0 + j) * channels + c0;
                if (lanes == L)
                    __builtin_memcpy(row, t[k][j], sizeof t[k][j]);
                else
                    for (int64_t l = 0; l < lanes; l++) row[l] = t[k][j][l];
            }
        }
    }
}

// Rows n of V_ξ = (Bᵀ d B)[ξ] for the input patches d (one per channel) of the run's n-th tile; x
// is the batch [N, C, H, W], positions outside the image read as zero.
EMBER_AVX2_CLONES EMBER_INLINE_COPIES void KERNEL(ember_winograd_input)(const SCALAR *x, const ember_conv_geometry *g,
                                                                        int64_t first, int64_t count, SCALAR *v,
                                                                        int64_t ldv) {
#define EMBER_INPUT_PIECE(b, ti, j0, j1, n0) KERNEL(input_piece)(x, g, b, ti, j0, j1, n0, v, ldv)
    EMBER_FOR_PIECES(g, first, count, EMBER_INPUT_PIECE);
#undef EMBER_INPUT_PIECE
}

// Output rows 2ti and 2ti + 1 of tiles j0..<j1 of tile row ti of image b, from rows n0… of M.
static inline __attribute__((always_inline)) EMBER_INLINE_COPIES void KERNEL(output_piece)(
    const SCALAR *m, int64_t ldm, const ember_conv_geometry *g, int64_t out_channels, const SCALAR *bias, int64_t b,
    int64_t ti, int64_t j0, int64_t j1, int64_t n0, SCALAR *y) {
    enum { L = KERNEL(kLanes), N = KERNEL(kPieceTiles) };
    const int64_t out_h = g->out_h, out_w = g->out_w, count = j1 - j0;
    const int64_t oh = 2 * ti, ow = 2 * j0, cols = min64(out_w, 2 * j1) - ow;
    SCALAR t[L][2][2 * N];
    for (int64_t o0 = 0; o0 < out_channels; o0 += L) {
        const int64_t lanes = min64(L, out_channels - o0);
        for (int64_t j = 0; j < count; j++) {
            const SCALAR *p = m + (n0 + j) * out_channels + o0;
            for (int64_t l = 0; l < lanes; l++) {
                SCALAR s0[4], s1[4];
                for (int k = 0; k < 4; k++) {
                    const SCALAR m0 = p[k * ldm * out_channels + l], m1 = p[(4 + k) * ldm * out_channels + l],
                                 m2 = p[(8 + k) * ldm * out_channels + l], m3 = p[(12 + k) * ldm * out_channels + l];
                    s0[k] = m0 + m1 + m2;
                    s1[k] = m1 - m2 - m3;
                }
                const SCALAR shift = bias ? bias[o0 + l] : 0;
                t[l][0][2 * j] = s0[0] + s0[1] + s0[2] + shift;
                t[l][0][2 * j + 1] = s0[1] - s0[2] - s0[3] + shift;
                t[l][1][2 * j] = s1[0] + s1[1] + s1[2] + shift;
                t[l][1][2 * j + 1] = s1[1] - s1[2] - s1[3] + shift;
            }
        }
        for (int64_t l = 0; l < lanes; l++) {
            SCALAR *top = y + (b * out_channels + o0 + l) * out_h * out_w + oh * out_w + ow;
            for (int64_t q = 0; q < cols; q++) top[q] = t[l][0][q];
            if (oh + 1 < out_h)
                for (int64_t q = 0; q < cols; q++) top[out_w + q] = t[l][1][q];
        }
    }
}

// The run's tiles of y [N, O, out_h, out_w] from M_ξ = V_ξ U_ξ (the 16 products, rows of O values),
// plus bias[o] unless NULL; the parts of tiles past the output's edge are dropped.
EMBER_AVX2_CLONES EMBER_INLINE_COPIES void KERNEL(ember_winograd_output)(const SCALAR *m, int64_t ldm,
                                                                         const ember_conv_geometry *g,
                                                                         int64_t out_channels, const SCALAR *bias,
                                                                         int64_t first, int64_t count, SCALAR *y) {
#define EMBER_OUTPUT_PIECE(b, ti, j0, j1, n0) KERNEL(output_piece)(m, ldm, g, out_channels, bias, b, ti, j0, j1, n0, y)
    EMBER_FOR_PIECES(g, first, count, EMBER_OUTPUT_PIECE);
#undef EMBER_OUTPUT_PIECE
}

// The weight gradient. Since a tile is Aᵀ [U ⊙ V] A with U = G g Gᵀ, the gradient of a loss in g is
// Gᵀ [Z ⊙ V] G summed over tiles, where Z = A dy Aᵀ for the tile's 2×2 output gradient dy (zero
// past the output's edge). Summed over the batch, the 16 matrices M_ξ = Z_ξ V_ξ [O, C] are GEMMs
// over the tiles (Z_ξ [O, tiles] holds a tile's values in a column), and the gradient of kernel
// w[o][c] is Gᵀ M[o][c] G.

// Z of tiles j0..<j1 of tile row ti of image b, for every output channel o, written to columns
// n0… of row o of each Z_ξ [O, ldz].
static inline __attribute__((always_inline)) EMBER_INLINE_COPIES void KERNEL(gradient_piece)(
    const SCALAR *dy, const ember_conv_geometry *g, int64_t out_channels, int64_t b, int64_t ti, int64_t j0,
    int64_t j1, int64_t n0, SCALAR *z, int64_t ldz) {
    enum { N = KERNEL(kPieceTiles) };
    const int64_t out_h = g->out_h, out_w = g->out_w, count = j1 - j0, ow = 2 * j0;
    const int64_t cols = min64(out_w, 2 * j1) - ow, bottom = 2 * ti + 1 < out_h, step = out_channels * ldz;
    // The piece's two output rows, zero past the output's right and bottom edges.
    SCALAR r[2][2 * N];
    for (int i = 0; i < 2; i++)
        for (int64_t q = cols; q < 2 * count; q++) r[i][q] = 0;
    if (!bottom)
        for (int64_t q = 0; q < cols; q++) r[1][q] = 0;
    for (int64_t o = 0; o < out_channels; o++) {
        const SCALAR *top = dy + ((b * out_channels + o) * out_h + 2 * ti) * out_w + ow;
        for (int64_t q = 0; q < cols; q++) r[0][q] = top[q];
        if (bottom)
            for (int64_t q = 0; q < cols; q++) r[1][q] = top[out_w + q];
        SCALAR *row = z + o * ldz + n0;
        for (int64_t j = 0; j < count; j++) {
            const SCALAR y00 = r[0][2 * j], y01 = r[0][2 * j + 1], y10 = r[1][2 * j], y11 = r[1][2 * j + 1];
            // A dy: rows (y0, y0 + y1, y0 - y1, -y1) of the tile's columns, then each times Aᵀ.
            const SCALAR a[4][2] = {{y00, y01}, {y00 + y10, y01 + y11}, {y00 - y10, y01 - y11}, {-y10, -y11}};
            for (int i = 0; i < 4; i++) {
                row[4 * i * step + j] = a[i][0];
                row[(4 * i + 1) * step + j] = a[i][0] + a[i][1];
                row[(4 * i + 2) * step + j] = a[i][0] - a[i][1];
                row[(4 * i + 3) * step + j] = -a[i][1];
            }
        }
    }
}

// Columns n of Z_ξ = (A dy Aᵀ)[ξ] [O, ldz] for the output gradient dy [N, O, out_h, out_w] of the
// run's n-th tile.
EMBER_AVX2_CLONES EMBER_INLINE_COPIES void KERNEL(ember_winograd_gradient)(const SCALAR *dy,
                                                                           const ember_conv_geometry *g,
                                                                           int64_t out_channels, int64_t first,
                                                                           int64_t count, SCALAR *z, int64_t ldz) {
#define EMBER_GRADIENT_PIECE(b, ti, j0, j1, n0) KERNEL(gradient_piece)(dy, g, out_channels, b, ti, j0, j1, n0, z, ldz)
    EMBER_FOR_PIECES(g, first, count, EMBER_GRADIENT_PIECE);
#undef EMBER_GRADIENT_PIECE
}

// dw[o][c] = Gᵀ M[o][c] G (3×3) for output channels [first, first + count), from the 16 matrices
// M_ξ [O, C], each O·C elements after the one before.
EMBER_AVX2_CLONES void KERNEL(ember_winograd_weight_gradient)(const SCALAR *m, int64_t out_channels,
                                                              int64_t in_channels, int64_t first, int64_t count,
                                                              SCALAR *dw) {
    const int64_t stride = out_channels * in_channels;
    for (int64_t pair = first * in_channels; pair < (first + count) * in_channels; pair++) {
        const SCALAR *p = m + pair;
        SCALAR s[4][3];
        // Gᵀ M: rows M0 + (M1 + M2)/2, (M1 - M2)/2, (M1 + M2)/2 + M3, one per column j of M.
        for (int j = 0; j < 4; j++) {
            const SCALAR m0 = p[j * stride], m1 = p[(4 + j) * stride], m2 = p[(8 + j) * stride],
                         m3 = p[(12 + j) * stride];
            s[j][0] = m0 + (m1 + m2) / 2;
            s[j][1] = (m1 - m2) / 2;
            s[j][2] = (m1 + m2) / 2 + m3;
        }
        // (Gᵀ M) G, the same combination of the columns.
        SCALAR *out = dw + pair * 9;
        for (int r = 0; r < 3; r++) {
            out[3 * r] = s[0][r] + (s[1][r] + s[2][r]) / 2;
            out[3 * r + 1] = (s[1][r] - s[2][r]) / 2;
            out[3 * r + 2] = (s[1][r] + s[2][r]) / 2 + s[3][r];
        }
    }
}

#undef EMBER_FOR_PIECES
