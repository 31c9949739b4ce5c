// EMBER_AVX2_CLONES: compile a function a second time for AVX2 (256-bit vectors) and pick the
// variant at load time, so plain C loops vectorise wide without compiler flags (Swift packages
// build for baseline x86-64). Elsewhere it expands to nothing.
#ifndef EMBER_CLONES_H
#define EMBER_CLONES_H

#if defined(__x86_64__) && defined(__ELF__) && defined(__clang__)
#define EMBER_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define EMBER_AVX2_CLONES
#endif

#endif
