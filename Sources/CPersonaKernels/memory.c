#include "persona_kernels.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void persona_return_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#endif

void persona_prefault(void *start, size_t bytes) {
#if defined(__linux__)
    static long page = 0;
    if (page == 0) page = sysconf(_SC_PAGESIZE);
    uintptr_t from = ((uintptr_t)start + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t to = ((uintptr_t)start + bytes) & ~((uintptr_t)page - 1);
    if (to > from) (void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
#else
    (void)start; (void)bytes;
#endif
}
