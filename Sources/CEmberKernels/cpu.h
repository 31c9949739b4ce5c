// Run-time choice of AVX2+FMA code on x86-64: EMBER_FMA_TARGET compiles one function for those
// instructions (no compiler flags needed) and ember_cpu_has_fma() says whether this CPU runs it.
// Elsewhere the attribute expands to nothing and the answer is no.
#ifndef EMBER_CPU_H
#define EMBER_CPU_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EMBER_FMA_TARGET __attribute__((target("avx2,fma")))
static inline int ember_cpu_has_fma(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}
#else
#define EMBER_FMA_TARGET
static inline int ember_cpu_has_fma(void) { return 0; }
#endif

#endif
