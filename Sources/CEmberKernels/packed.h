// The panel layout of the packed right-hand operand, shared by packed_gemm.c, which packs and
// multiplies, and winograd_impl.h, which writes transformed kernels straight into it.
#ifndef EMBER_PACKED_H
#define EMBER_PACKED_H

// Columns per panel: two vectors of 32 bytes (16 floats, 8 doubles). Element (p, j) of a packed
// k × n matrix is at [(j / P) · P · k + p · P + j % P].
#define EMBER_PANEL_WIDTH(T) ((int)(2 * 32 / sizeof(T)))

#endif
