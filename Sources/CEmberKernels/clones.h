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

// EMBER_INLINE_COPIES: keeps the compiler from turning short copy and fill loops back into calls
// to memcpy and memset (loop idiom recognition): for rows of a few dozen elements the call costs
// more than the copy. Explicit memcpy and memset calls stay calls.
#if defined(__clang__)
#define EMBER_INLINE_COPIES __attribute__((no_builtin("memcpy", "memset")))
#else
#define EMBER_INLINE_COPIES
#endif

#endif
