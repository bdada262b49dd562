/* Binary boosting's pass over the rows at the current scores: each row's
   gradient and hessian of the log loss and the rows' summed loss. Written once
   with four-wide vectors and compiled twice, for any x86-64 (SSE2, two
   instructions per operation) and for AVX2 (one), chosen at run time; the same
   operations in the same order either way, so the gradients, and the trees, are
   the same bits on every processor.

   e^-|z| is computed here rather than by the C library (whose exp is one call
   per row and holds the pass to a row at a time): Cody and Waite's reduction by
   n ln 2 in two parts, then the Taylor polynomial of degree 13 on |r| <= ln 2 / 2
   (truncation below 1e-17, relative), scaled by 2^n built from its bits. */
#include <math.h>
#include "persona_kernels.h"

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4l __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))
#define SPLAT(c) ((v4d){(c), (c), (c), (c)})
/* lanes of a where mask is set, else of b */
#define SELECT(mask, a, b) ((v4d)(((v4l)(a) & (mask)) | ((v4l)(b) & ~(mask))))

/* e^x for x <= 0, lane by lane, in place; x below -708 is taken as -708 (e^-708
   is 3e-308). (Vectors pass by pointer: by value, their ABI would depend on the
   target.) */
INLINE void exp_nonpositive(v4d *value) {
    v4d x = *value;
    const v4d lowest = SPLAT(-708.0);
    x = SELECT(x < lowest, lowest, x);
    const v4d magic = SPLAT(0x1.8p52); /* adding it rounds to an integer, held in the low bits */
    v4d t = x * SPLAT(0x1.71547652b82fep0) + magic; /* x / ln 2 */
    v4d n = t - magic;
    /* ln 2 in two parts (fdlibm's): n * hi is exact for |n| < 2^21 */
    v4d r = x - n * SPLAT(6.93147180369123816490e-01);
    r = r - n * SPLAT(1.90821492927058770002e-10);
    v4d p = SPLAT(1.0 / 6227020800.0); /* 1/13! */
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
    v4l k = (v4l)t - (v4l)magic;
    v4d scale = (v4d)((k + 1023) << 52);
    *value = p * scale;
}

/* The loss of a row is log(1 + e) + lin, capped at `largest`; the sum of the
   log(1 + e) of 512 rows per lane is the logarithm of their product, each factor
   in (1, 2], so one logarithm serves 512 rows. Rows whose loss could reach the
   cap are added one by one. */
INLINE double binary_pass(const int32_t *rows, size_t count, const double *raw, const double *y, const double *w,
                          double largest, double *g, double *h) {
    const v4d zero = SPLAT(0.0), one = SPLAT(1.0);
    const double limit = largest - M_LN2;
    v4d product = one, linear = zero;
    double total = 0, capped = 0;
    size_t pending = 0;
    for (size_t k = 0; k < count; k += 4) {
        size_t lanes = count - k < 4 ? count - k : 4;
        v4d z = zero, yy = zero, ww = zero;
        for (size_t l = 0; l < lanes; l++) {
            size_t i = (size_t)rows[k + l];
            z[l] = raw[i]; yy[l] = y[i]; ww[l] = w[i];
        }
        v4l absent = {0, 0, 0, 0};
        for (size_t l = lanes; l < 4; l++) absent[l] = -1;
        v4d e = SELECT(z < zero, z, -z);
        exp_nonpositive(&e); /* e^-|z| */
        v4d onePlus = one + e;
        if (g) {
            /* p = 1 / (1 + e) for z >= 0, e / (1 + e) below */
            v4d p = SELECT(z >= zero, one, e) / onePlus;
            v4d q = p * (one - p);
            v4d gv = ww * (p - yy), hv = ww * SELECT(q > SPLAT(1e-16), q, SPLAT(1e-16));
            for (size_t l = 0; l < lanes; l++) {
                size_t i = (size_t)rows[k + l];
                g[i] = gv[l]; h[i] = hv[l];
            }
        }
        v4d lin = SELECT(yy == one, -z, z);
        lin = SELECT(lin > zero, lin, zero);
        v4l big = lin >= SPLAT(limit);
        v4l skip = big | absent;
        if (big[0] | big[1] | big[2] | big[3]) {
            for (size_t l = 0; l < lanes; l++)
                if (big[l]) capped += fmin(log(onePlus[l]) + lin[l], largest);
        }
        product *= SELECT(skip, one, onePlus);
        linear += SELECT(skip, zero, lin);
        if (++pending == 512) {
            for (int l = 0; l < 4; l++) total += log(product[l]);
            product = one;
            pending = 0;
        }
    }
    for (int l = 0; l < 4; l++) total += log(product[l]);
    for (int l = 0; l < 4; l++) total += linear[l];
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
