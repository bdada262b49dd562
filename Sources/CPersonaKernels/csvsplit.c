#include "persona_kernels.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The structural bytes of 64 bytes from `p`, one bit per byte: in `any` the
   delimiter, line feed, carriage return and quote; in `quote_or_lf` the last
   two (what ends a quoted field's search). */
static inline __attribute__((always_inline)) void block_masks(const uint8_t *p, uint8_t delimiter, uint64_t *any, uint64_t *quote_or_lf) {
#if defined(__SSE2__)
    const __m128i d = _mm_set1_epi8((char)delimiter), lf = _mm_set1_epi8('\n');
    const __m128i cr = _mm_set1_epi8('\r'), q = _mm_set1_epi8('"');
    uint64_t a = 0, ql = 0;
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));
        __m128i mq = _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, lf));
        __m128i m = _mm_or_si128(mq, _mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, cr)));
        a |= (uint64_t)(uint16_t)_mm_movemask_epi8(m) << (16 * i);
        ql |= (uint64_t)(uint16_t)_mm_movemask_epi8(mq) << (16 * i);
    }
    *any = a;
    *quote_or_lf = ql;
#else
    uint64_t a = 0, ql = 0;
    for (int i = 0; i < 64; i++) {
        uint8_t b = p[i];
        uint64_t bit = (uint64_t)1 << i;
        if (b == '"' || b == '\n') { ql |= bit; a |= bit; }
        else if (b == delimiter || b == '\r') a |= bit;
    }
    *any = a;
    *quote_or_lf = ql;
#endif
}

/* The masks of the 64 bytes from `at`, bytes at and past `n` never structural
   (they are not read: the last partial block is copied first). */
static inline __attribute__((always_inline)) void load_block(const uint8_t *base, size_t n, size_t at, uint8_t delimiter,
                                                             uint64_t *any, uint64_t *quote_or_lf) {
    if (n - at >= 64) {
        block_masks(base + at, delimiter, any, quote_or_lf);
    } else {
        uint8_t tail[64];
        memcpy(tail, base + at, n - at);
        memset(tail + (n - at), 0, 64 - (n - at));
        block_masks(tail, delimiter, any, quote_or_lf);
        uint64_t keep = ((uint64_t)1 << (n - at)) - 1;
        *any &= keep;
        *quote_or_lf &= keep;
    }
}

size_t persona_split_plain_lines(const uint8_t *base, size_t from, size_t n, uint8_t delimiter, size_t columns,
                                 size_t max_lines, int32_t *bounds, uint8_t *is_record, size_t *end) {
    /* The block of 64 bytes from `start` and its masks. */
    size_t start = from;
    uint64_t any = 0, quote_or_lf = 0;
    size_t lines = 0, q = from;
    *end = from;
    if (columns == 0 || from >= n) return 0;
    load_block(base, n, start, delimiter, &any, &quote_or_lf);
    /* `at` becomes the first byte at or after `pos` among the block's `mask`
       bytes, moving on a block at a time; one always exists, as the last byte
       is a line feed. */
#define NEXT(at, pos, mask) do { \
        size_t p_ = (pos); \
        for (;;) { \
            if (p_ - start >= 64) { start = p_; load_block(base, n, start, delimiter, &any, &quote_or_lf); } \
            uint64_t m_ = (mask) >> (p_ - start); \
            if (m_) { (at) = p_ + (size_t)__builtin_ctzll(m_); break; } \
            p_ = start + 64; \
            if (p_ >= n) { (at) = n - 1; break; } \
        } \
    } while (0)
    while (lines < max_lines && q < n) {
        size_t line_start = q, k = 0;
        int32_t *b = bounds + lines * 2 * columns;
        for (;;) {
            if (base[q] == '"') {
                size_t close;
                NEXT(close, q + 1, quote_or_lf);
                if (base[close] != '"') return lines;          /* a line break inside quotes */
                b[2 * k] = (int32_t)(q + 1);
                b[2 * k + 1] = (int32_t)close;
                q = close + 1;
            } else {
                b[2 * k] = (int32_t)q;
                NEXT(q, q, any);
                b[2 * k + 1] = (int32_t)q;
            }
            /* What follows the field: a delimiter, or the line's end. */
            uint8_t c = base[q];
            if (c == delimiter) {
                if (k == columns - 1) return lines;            /* too many fields */
                k++;
                q++;
                continue;
            }
            if (c == '\r' && base[q + 1] == '\n') q++;
            else if (c != '\n') return lines;                 /* a quote inside a field, or a lone CR */
            q++;
            break;
        }
        if (k == 0 && b[0] == (int32_t)line_start && b[1] == (int32_t)line_start) {
            is_record[lines] = 0;                              /* a blank line */
        } else if (k + 1 == columns) {
            is_record[lines] = 1;
        } else {
            return lines;                                      /* too few fields */
        }
        lines++;
        *end = q;
    }
#undef NEXT
    return lines;
}
