/* The inner passes of ALS's conjugate-gradient solves, written once and compiled
   twice: for any x86-64 (SSE2) and for processors with AVX2, chosen at run time.
   Both do the same operations in the same order as Persona's Swift loops (eight-
   and sixteen-wide lanes, a lane sum from left to right, no fused multiply-add),
   so the factors are the same bits on every processor; AVX2 does each eight-wide
   operation in one instruction instead of two. */
#include "persona_kernels.h"

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

typedef float v8f __attribute__((vector_size(32)));
/* Eight floats at any float's address. */
typedef float v8f_unaligned __attribute__((vector_size(32), aligned(4)));
#define LOAD8(p) (*(const v8f_unaligned *)(p))

#define INLINE static inline __attribute__((always_inline))

/* ALSSolver.dot: two eight-wide accumulators over sixteen values at a time, their
   sum's lanes added from the first, then the rest one by one. */
INLINE float dot(const float *a, const float *b, size_t n) {
    v8f acc0 = {0, 0, 0, 0, 0, 0, 0, 0}, acc1 = acc0;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        acc0 += LOAD8(a + j) * LOAD8(b + j);
        acc1 += LOAD8(a + j + 8) * LOAD8(b + j + 8);
    }
    v8f t = acc0 + acc1;
    float s = 0.0f;
    for (int l = 0; l < 8; l++) s += t[l];
    for (; j < n; j++) s += a[j] * b[j];
    return s;
}

/* y += alpha x */
INLINE void axpy(float alpha, const float *x, float *y, size_t n) {
    for (size_t j = 0; j < n; j++) y[j] += alpha * x[j];
}

INLINE void prefetch_row(const float *row, size_t k) {
    for (size_t offset = 0; offset < k * sizeof(float); offset += 64) __builtin_prefetch((const char *)row + offset, 0, 3);
}

INLINE double first_pass(const float *factors, const int32_t *items, size_t m, size_t available, const float *values,
                         float alpha, const float *x, size_t k, float *r, float *gathered, double total) {
    for (size_t t = 0; t < m; t++) {
        if (t + PERSONA_ALS_PREFETCH_DISTANCE < available)
            prefetch_row(factors + (size_t)items[t + PERSONA_ALS_PREFETCH_DISTANCE] * k, k);
        const float *y = factors + (size_t)items[t] * k;
        float c = 1.0f + alpha * values[t];
        float d = dot(y, x, k);
        axpy(c - (c - 1.0f) * d, y, r, k);
        double dd = d, cc = c;
        total += cc * (1 - dd) * (1 - dd) - dd * dd;
        if (gathered) __builtin_memcpy(gathered + t * k, y, k * sizeof(float));
    }
    return total;
}

INLINE void cg_pass(const float *factors, const int32_t *items, size_t m, size_t available, const float *values,
                    float alpha, const float *p, size_t k, float *ap) {
    for (size_t t = 0; t < m; t++) {
        if (items && t + PERSONA_ALS_PREFETCH_DISTANCE < available)
            prefetch_row(factors + (size_t)items[t + PERSONA_ALS_PREFETCH_DISTANCE] * k, k);
        const float *y = factors + (items ? (size_t)items[t] : t) * k;
        float c = 1.0f + alpha * values[t];
        axpy((c - 1.0f) * dot(y, p, k), y, ap, k);
    }
}

#define ALS_KERNELS(suffix, attributes)                                                                              \
    attributes double persona_als_first_pass_##suffix(const float *factors, const int32_t *items, size_t m,          \
                                                      size_t available, const float *values, float alpha,           \
                                                      const float *x, size_t k, float *r, float *gathered,          \
                                                      double total) {                                               \
        return first_pass(factors, items, m, available, values, alpha, x, k, r, gathered, total);                    \
    }                                                                                                                \
    attributes void persona_als_cg_pass_##suffix(const float *factors, const int32_t *items, size_t m,               \
                                                 size_t available, const float *values, float alpha, const float *p, \
                                                 size_t k, float *ap) {                                              \
        cg_pass(factors, items, m, available, values, alpha, p, k, ap);                                              \
    }

ALS_KERNELS(generic, )

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int persona_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!((c >> 27) & 1) || !((c >> 28) & 1)) return 0; /* OSXSAVE and AVX */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0; /* the OS saves the YMM registers */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;
}

ALS_KERNELS(avx2, __attribute__((target("avx2"))))
#else
int persona_avx2(void) { return 0; }
ALS_KERNELS(avx2, )
#endif
