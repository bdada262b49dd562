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

#endif
