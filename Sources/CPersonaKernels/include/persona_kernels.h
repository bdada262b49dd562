#ifndef PERSONA_KERNELS_H
#define PERSONA_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/* SHA-256's 64 round constants. */
extern const uint32_t persona_sha256_k[64];

/* Nonzero when this processor has the SHA extensions (with SSSE3 and SSE4.1)
   that persona_sha256_blocks needs. */
int persona_sha256_hardware(void);

/* Compresses `blocks` 64-byte blocks of `data` into the SHA-256 state
   (A..H, as FIPS 180-4 numbers them) with the processor's SHA instructions.
   Call only when persona_sha256_hardware() is nonzero. */
void persona_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/* Nonzero when this processor (and its OS) can run the _avx2 kernels below. */
int persona_avx2(void);

/* ALS's dot product, as ALSSolver.dot computes it. */
float persona_als_dot_generic(const float *a, const float *b, size_t n);
float persona_als_dot_avx2(const float *a, const float *b, size_t n);

/* The first pass of one row's conjugate-gradient solve (implicit ALS): for each
   of its m items t, the factor row y = factors + items[t] * k and the confidence
   c = 1 + alpha values[t], adds (c - (c - 1) y.x) y to r and the item's share of
   the loss, c (1 - y.x)^2 - (y.x)^2, to total, which it returns; copies the rows
   side by side into `gathered` unless it is NULL. `available` is how many entries
   of `items` may be read (for fetching rows ahead). */
double persona_als_first_pass_generic(const float *factors, const int32_t *items, size_t m, size_t available,
                                      const float *values, float alpha, const float *x, size_t k, float *r,
                                      float *gathered, double total);
double persona_als_first_pass_avx2(const float *factors, const int32_t *items, size_t m, size_t available,
                                   const float *values, float alpha, const float *x, size_t k, float *r,
                                   float *gathered, double total);

/* One conjugate-gradient pass: ap += (c - 1)(y.p) y over the row's items, the
   rows at factors + items[t] * k, or side by side from `factors` when items is NULL. */
void persona_als_cg_pass_generic(const float *factors, const int32_t *items, size_t m, size_t available,
                                 const float *values, float alpha, const float *p, size_t k, float *ap);
void persona_als_cg_pass_avx2(const float *factors, const int32_t *items, size_t m, size_t available,
                              const float *values, float alpha, const float *p, size_t k, float *ap);

#endif
