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

/* Returns the C heap's free memory to the system (glibc's malloc_trim; nothing
   elsewhere). Memory freed in the heap otherwise stays resident, held for
   later allocations of its size. */
void persona_return_free_memory(void);

/* Asks the OS to back the whole pages inside [start, start + bytes) with
   memory now, in one call instead of one fault per page (Linux 5.14 and later;
   elsewhere, or when refused, nothing: the pages then fault as they are
   written). The memory's contents are unchanged. */
void persona_prefault(void *start, size_t bytes);

/* Nonzero when this processor (and its OS) can run the _avx2 kernels below. */
int persona_avx2(void);

/* How many interactions ahead ALS fetches a factor row, in the C passes and the
   Swift ones alike: far enough for the row to arrive before its first use, near
   enough to stay in cache. */
#define PERSONA_ALS_PREFETCH_DISTANCE 8

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

/* Binary boosting's pass over rows rows[0..<count]: for each row i, with score
   z = raw[i], label y[i] (1 or 0) and weight w[i], p = 1 / (1 + e^-z), and, unless
   g is NULL, g[i] = w (p - y) and h[i] = w max(p (1 - p), 1e-16) (w is read only
   then, and may be NULL with g). Returns the sum of the rows' log losses, each
   capped at `largest`. */
double persona_boost_binary_pass_generic(const int32_t *rows, size_t count, const double *raw, const double *y,
                                         const double *w, double largest, double *g, double *h);
double persona_boost_binary_pass_avx2(const int32_t *rows, size_t count, const double *raw, const double *y,
                                      const double *w, double largest, double *g, double *h);

/* Moves rows begin..<end of a leaf (row numbers, (g, h) pairs, `width` bins per
   row) to the other workspace: a row whose bin at `feature` has goes_left[bin]
   = 1 to slot left, left + 1, ... (below left_end), the others to right, right +
   1, ... (below right_end); each side keeps the rows' order. A row for a side
   already full goes to slot `spare`. With to_gh NULL only the row numbers move
   (for children that are never split). Returns 1 when both sides came out full. */
int persona_tree_partition(const int32_t *rows, const double *gh, const uint8_t *bins, size_t width, size_t begin,
                           size_t end, size_t feature, const uint8_t goes_left[256], int32_t *to_rows, double *to_gh,
                           uint8_t *to_bins, size_t left, size_t left_end, size_t right, size_t right_end, size_t spare);

/* Adds each of `count` rows' g, h and 1 to the bin its value falls in, for the
   listed features: feature features[j] of a row is the byte at row * width +
   features[j], and its lengths[j] / 4 bins start at hist + offsets[j], four
   doubles each (Σg, Σh, count and a zero). With `odd` (NULL, or a zeroed array
   laid out as hist) and PERSONA_TREE_PAIRED_ROWS rows or more, each bin is the
   sum of its even rows plus the sum of its odd rows (each in row order), the
   odd rows summed in odd's ranges of the listed features; otherwise the sum in
   row order. */
#define PERSONA_TREE_PAIRED_ROWS 4096
void persona_tree_histogram_generic(const uint8_t *bins, const double *gh, size_t width, size_t count,
                                    const int32_t *features, const int64_t *offsets, const int64_t *lengths,
                                    size_t nfeatures, double *hist, double *odd);
void persona_tree_histogram_avx2(const uint8_t *bins, const double *gh, size_t width, size_t count,
                                 const int32_t *features, const int64_t *offsets, const int64_t *lengths,
                                 size_t nfeatures, double *hist, double *odd);

/* Copies the `width` bins of rows rows[0..<count] (row r's at bins + r * width)
   side by side into `to`. */
void persona_tree_gather_bins(const uint8_t *bins, size_t width, const int32_t *rows, size_t count, uint8_t *to);

/* Splits the plain CSV lines of base[from..<n) (base[n - 1] must be a line
   feed), at most `max_lines` of them: for line t, field j's bytes are
   base[bounds[2 (t columns + j)] ..< bounds[2 (t columns + j) + 1]] (inside
   the quotes of a quoted field), and is_record[t] is 1, or 0 for a blank line
   (no byte before its LF or CRLF). A line is plain when it has `columns`
   fields (or is blank), ends with LF or CRLF, and its quotes only enclose
   whole fields without a quote or line break inside. Stops before the first
   line that is not plain; returns the lines split, and in *end the offset
   just past the last. Structural bytes are found 64 at a time (SSE2 where
   there is one). */
size_t persona_split_plain_lines(const uint8_t *base, size_t from, size_t n, uint8_t delimiter, size_t columns,
                                 size_t max_lines, int32_t *bounds, uint8_t *is_record, size_t *end);

#endif
