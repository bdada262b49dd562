/* The inner loops of growing a boosted tree over binned rows: moving a leaf's
   rows to its children (a partition) and summing a leaf's histogram. Rows sit in
   a workspace as three arrays: row numbers, (gradient, hessian) pairs and each
   row's `width` bins side by side. Both loops read their rows in order; the
   histogram adds each row's values to its bins in a fixed order (see
   `histogram`), so trees are the same bits on one core or two, and on every
   processor (the histogram is compiled for any x86-64 and for AVX2, chosen at
   run time). */
#include <string.h>
#include "persona_kernels.h"

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#define INLINE static inline __attribute__((always_inline))

/* Copies n bytes (1 to 32, or any n) without reading or writing past either end:
   overlapping word-sized moves instead of a byte loop or a call. */
static inline __attribute__((always_inline)) void copy_small(uint8_t *to, const uint8_t *from, size_t n) {
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, from, 8); memcpy(&b, from + n - 8, 8);
        memcpy(to, &a, 8); memcpy(to + n - 8, &b, 8);
    } else if (n > 16 && n <= 32) {
        uint64_t a, b, c, d;
        memcpy(&a, from, 8); memcpy(&b, from + 8, 8); memcpy(&c, from + n - 16, 8); memcpy(&d, from + n - 8, 8);
        memcpy(to, &a, 8); memcpy(to + 8, &b, 8); memcpy(to + n - 16, &c, 8); memcpy(to + n - 8, &d, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, from, 4); memcpy(&b, from + n - 4, 4);
        memcpy(to, &a, 4); memcpy(to + n - 4, &b, 4);
    } else {
        memcpy(to, from, n);
    }
}

int persona_tree_partition(const int32_t *rows, const double *gh, const uint8_t *bins, size_t width, size_t begin,
                           size_t end, size_t feature, const uint8_t goes_left[256], int32_t *to_rows, double *to_gh,
                           uint8_t *to_bins, size_t left, size_t left_end, size_t right, size_t right_end, size_t spare) {
    for (size_t k = begin; k < end; k++) {
        const uint8_t *row = bins + k * width;
        size_t l = goes_left[row[feature]];
        /* the row's slot, chosen without a branch: left ? left : right */
        size_t t = right + ((left - right) & ((size_t)0 - l));
        /* a side already full (counts that do not match the rows) writes to the spare slot */
        if (__builtin_expect(t >= (l ? left_end : right_end), 0)) t = spare;
        to_rows[t] = rows[k];
        if (to_gh) {
            to_gh[2 * t] = gh[2 * k];
            to_gh[2 * t + 1] = gh[2 * k + 1];
            copy_small(to_bins + t * width, row, width);
        }
        left += l;
        right += 1 - l;
    }
    return left == left_end && right == right_end;
}

typedef double v4d __attribute__((vector_size(32)));
/* Four doubles at any double's address. */
typedef double v4d_unaligned __attribute__((vector_size(32), aligned(8)));

/* Each bin is four doubles, (Σg, Σh, count, 0), so one four-wide add updates it:
   one instruction in AVX2, two in SSE2, the same sums either way. Given `odd` (a
   zeroed histogram laid out as `hist`), a leaf of PERSONA_TREE_PAIRED_ROWS rows or
   more sums its odd rows there and adds them to the even rows' sums at the end:
   a run of rows in one bin (common in a column of few levels) then waits for
   every other row's update instead of for each. */
INLINE void histogram(const uint8_t *bins, const double *gh, size_t width, size_t count, const int32_t *features,
                      const int64_t *offsets, const int64_t *lengths, size_t nfeatures, double *hist, double *odd) {
    int paired = odd != NULL && count >= PERSONA_TREE_PAIRED_ROWS;
    size_t k = 0;
    if (paired) {
        for (; k + 2 <= count; k += 2) {
            const uint8_t *row = bins + k * width;
            v4d a = {gh[2 * k], gh[2 * k + 1], 1, 0}, b = {gh[2 * k + 2], gh[2 * k + 3], 1, 0};
            for (size_t j = 0; j < nfeatures; j++) {
                size_t f = (size_t)features[j];
                *(v4d_unaligned *)(hist + offsets[j] + (size_t)row[f] * 4) += a;
                *(v4d_unaligned *)(odd + offsets[j] + (size_t)row[width + f] * 4) += b;
            }
        }
    }
    for (; k < count; k++) {
        const uint8_t *row = bins + k * width;
        v4d add = {gh[2 * k], gh[2 * k + 1], 1, 0};
        for (size_t j = 0; j < nfeatures; j++) {
            v4d_unaligned *p = (v4d_unaligned *)(hist + offsets[j] + (size_t)row[features[j]] * 4);
            *p += add;
        }
    }
    if (paired) {
        for (size_t j = 0; j < nfeatures; j++)
            for (int64_t t = offsets[j]; t < offsets[j] + lengths[j]; t++) hist[t] += odd[t];
    }
}

#define HISTOGRAM_KERNEL(suffix, attributes)                                                                        \
    attributes void persona_tree_histogram_##suffix(const uint8_t *bins, const double *gh, size_t width, size_t count, \
                                                    const int32_t *features, const int64_t *offsets,                   \
                                                    const int64_t *lengths, size_t nfeatures, double *hist,            \
                                                    double *odd) {                                                     \
        histogram(bins, gh, width, count, features, offsets, lengths, nfeatures, hist, odd);                           \
    }

HISTOGRAM_KERNEL(generic, )
#if defined(__x86_64__) || defined(__i386__)
HISTOGRAM_KERNEL(avx2, __attribute__((target("avx2"))))
#else
HISTOGRAM_KERNEL(avx2, )
#endif

void persona_tree_gather_bins(const uint8_t *bins, size_t width, const int32_t *rows, size_t count, uint8_t *to) {
    for (size_t k = 0; k < count; k++) copy_small(to + k * width, bins + (size_t)rows[k] * width, width);
}
