#ifndef PERSONA_COPENBLAS_SHIM_H
#define PERSONA_COPENBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>

/* Asks for the cache line holding p ahead of its use (for reads, kept in every
   cache level): rows gathered at random, such as ALS's factor rows, would
   otherwise stall on each first load. A hint only; no effect on results. */
static inline void persona_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
