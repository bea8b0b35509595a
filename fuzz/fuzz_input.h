/* SPDX-License-Identifier: Apache-2.0 */
/* The fuzz targets' input reader: the fuzzer's bytes as a stream of
 * big-endian numbers, reading zeros once the input runs out (so every input
 * is a complete recipe). Shared by the structure-aware targets. */
#ifndef DK_FUZZ_INPUT_H
#define DK_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct src {
    const uint8_t *p;
    size_t n;
};

/* The next @bytes (at most 4) bytes of the input as one number. */
static inline uint32_t take(struct src *s, unsigned bytes)
{
    uint32_t v = 0;
    while (bytes--) {
        v = v << 8 | (s->n ? *s->p : 0u);
        if (s->n) {
            s->p++;
            s->n--;
        }
    }
    return v;
}

#endif /* DK_FUZZ_INPUT_H */
