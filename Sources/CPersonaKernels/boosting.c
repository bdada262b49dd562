/* Binary boosting's pass over the rows at the current scores: each row's
   gradient and hessian of the log loss and the rows' summed loss. Written once
   with eight-wide vectors (two independent four-wide chains in AVX2, four
   two-wide ones in SSE2, so that one hides another's latency) and compiled
   twice, for any x86-64 and for AVX2, chosen at run time; the same
   operations in the same order either way, so the gradients, and the trees, are
   the same bits on every processor.

   e^-|z| is computed here rather than by the C library (whose exp is one call
   per row and holds the pass to a row at a time): Cody and Waite's reduction by
   n ln 2 in two parts, then the Taylor polynomial of degree 13 on |r| <= ln 2 / 2
   (truncation below 1e-17, relative), scaled by 2^n built from its bits: within
   an ulp of the C library's exp. */
#include <math.h>
#include "persona_kernels.h"

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

typedef double v8d __attribute__((vector_size(64))); /* eight lanes */
typedef int64_t v8l __attribute__((vector_size(64)));
#define LANES 8
/* Eight doubles at any double's address. */
typedef double v8d_unaligned __attribute__((vector_size(64), aligned(8)));
#define LOAD(p) (*(const v8d_unaligned *)(p))
#define STORE(p, v) (*(v8d_unaligned *)(p) = (v))

#define INLINE static inline __attribute__((always_inline))
#define SPLAT(c) ((v8d){(c), (c), (c), (c), (c), (c), (c), (c)})
/* lanes of a where mask is set, else of b */
#define SELECT(mask, a, b) ((v8d)(((v8l)(a) & (mask)) | ((v8l)(b) & ~(mask))))

/* e^x for x <= 0, lane by lane, in place; x below -708 is taken as -708 (e^-708
   is 3e-308). (Vectors pass by pointer: by value, their ABI would depend on the
   target.) */
INLINE void exp_nonpositive(v8d *value) {
    v8d x = *value;
    const v8d lowest = SPLAT(-708.0);
    x = SELECT(x < lowest, lowest, x);
    const v8d magic = SPLAT(0x1.8p52); /* adding it rounds to an integer, held in the low bits */
    v8d t = x * SPLAT(0x1.71547652b82fep0) + magic; /* x / ln 2 */
    v8d n = t - magic;
    /* ln 2 in two parts (fdlibm's): n * hi is exact for |n| < 2^21 */
    v8d r = x - n * SPLAT(6.93147180369123816490e-01);
    r = r - n * SPLAT(1.90821492927058770002e-10);
    v8d p = SPLAT(1.0 / 6227020800.0);
    p = p * r + SPLAT(1.0 / 479001600.0);
    p = p * r + SPLAT(1.0 / 39916800.0);
    p = p * r + SPLAT(1.0 / 3628800.0);
    p = p * r + SPLAT(1.0 / 362880.0);
    p = p * r + SPLAT(1.0 / 40320.0);
    p = p * r + SPLAT(1.0 / 5040.0);
    p = p * r + SPLAT(1.0 / 720.0);
    p = p * r + SPLAT(1.0 / 120.0);
    p = p * r + SPLAT(1.0 / 24.0);
    p = p * r + SPLAT(1.0 / 6.0);
    p = p * r + SPLAT(0.5);
    p = p * r + SPLAT(1.0);
    p = p * r + SPLAT(1.0);
    /* 2^n: t's bits are magic's plus n; n >= -1021 here, so 2^n is a normal number */
    v8l k = (v8l)t - (v8l)magic;
    v8d scale = (v8d)((k + 1023) << 52);
    *value = p * scale;
}

/* The loss of a row is log(1 + e) + lin, capped at `largest`; the sum of the
   log(1 + e) of 512 rows per lane is the logarithm of their product, each factor
   in (1, 2], so one logarithm serves 512 rows. Rows whose loss could reach the
   cap are added one by one. */
INLINE double binary_pass(const int32_t *rows, size_t count, const double *raw, const double *y, const double *w,
                          double largest, double *g, double *h) {
    const v8d zero = SPLAT(0.0), one = SPLAT(1.0);
    const double limit = largest - M_LN2;
    v8d product = one, linear = zero;
    double total = 0, capped = 0;
    size_t pending = 0;
    for (size_t k = 0; k < count; k += LANES) {
        size_t lanes = count - k < LANES ? count - k : LANES;
        /* eight rows in a run (the usual case: every training row, in order) load and
           store as vectors; others lane by lane */
        size_t first = (size_t)rows[k];
        int run = lanes == LANES;
        for (size_t l = 1; l < LANES && run; l++) run = (size_t)rows[k + l] == first + l;
        v8d z = zero, yy = zero, ww = zero;
        if (run) {
            z = LOAD(raw + first); yy = LOAD(y + first);
            if (g) ww = LOAD(w + first);
        } else {
            for (size_t l = 0; l < lanes; l++) {
                size_t i = (size_t)rows[k + l];
                z[l] = raw[i]; yy[l] = y[i];
                if (g) ww[l] = w[i];
            }
        }
        v8l absent = {0, 0, 0, 0, 0, 0, 0, 0};
        for (size_t l = lanes; l < LANES; l++) absent[l] = -1;
        v8d e = SELECT(z < zero, z, -z);
        exp_nonpositive(&e); /* e^-|z| */
        v8d onePlus = one + e;
        if (g) {
            /* p = 1 / (1 + e) for z >= 0, e / (1 + e) below */
            v8d p = SELECT(z >= zero, one, e) / onePlus;
            v8d q = p * (one - p);
            v8d gv = ww * (p - yy), hv = ww * SELECT(q > SPLAT(1e-16), q, SPLAT(1e-16));
            if (run) {
                STORE(g + first, gv); STORE(h + first, hv);
            } else {
                for (size_t l = 0; l < lanes; l++) {
                    size_t i = (size_t)rows[k + l];
                    g[i] = gv[l]; h[i] = hv[l];
                }
            }
        }
        v8d lin = SELECT(yy == one, -z, z);
        lin = SELECT(lin > zero, lin, zero);
        v8l big = lin >= SPLAT(limit);
        v8l skip = big | absent;
        int anyBig = 0;
        for (int l = 0; l < LANES; l++) anyBig |= (int)big[l];
        if (anyBig) {
            for (size_t l = 0; l < lanes; l++)
                if (big[l]) capped += fmin(log(onePlus[l]) + lin[l], largest);
        }
        product *= SELECT(skip, one, onePlus);
        linear += SELECT(skip, zero, lin);
        if (++pending == 512) {
            for (int l = 0; l < LANES; l++) total += log(product[l]);
            product = one;
            pending = 0;
        }
    }
    for (int l = 0; l < LANES; l++) total += log(product[l]);
    for (int l = 0; l < LANES; l++) total += linear[l];
    return total + capped;
}

#define BOOSTING_KERNELS(suffix, attributes)                                                                          \
    attributes double persona_boost_binary_pass_##suffix(const int32_t *rows, size_t count, const double *raw,        \
                                                         const double *y, const double *w, double largest, double *g, \
                                                         double *h) {                                                 \
        return binary_pass(rows, count, raw, y, w, largest, g, h);                                                    \
    }

BOOSTING_KERNELS(generic, )
#if defined(__x86_64__) || defined(__i386__)
BOOSTING_KERNELS(avx2, __attribute__((target("avx2"))))
#else
BOOSTING_KERNELS(avx2, )
#endif
