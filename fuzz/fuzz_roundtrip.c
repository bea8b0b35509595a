/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target, structure-aware: the input is a recipe. Its first part
 * builds a VALID frame with the builder API (counts, values, payloads drawn
 * from the input); the frame is encoded, must parse back to the same fields
 * and payload bytes, and is then mutated at positions and with values the
 * rest of the input gives, and parsed again. A mutated frame that parses
 * must re-encode to exactly the mutated bytes.
 */
#include <driverkit/buf.h>
#include <driverkit/wire.h>

#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"

static struct dk_frame built, parsed, again;
static uint8_t wire[DK_WIRE_FRAME_MAX], wire2[DK_WIRE_FRAME_MAX];

static void same_frame(const struct dk_frame *a, const struct dk_frame *b)
{
    uint32_t i;

    if (a->flags != b->flags || a->qos != b->qos || a->n_waits != b->n_waits ||
        a->n_signals != b->n_signals || a->n_bufs != b->n_bufs || a->n_cmds != b->n_cmds)
        abort();
    if (memcmp(a->waits, b->waits, sizeof(a->waits[0]) * a->n_waits) != 0 ||
        memcmp(a->signals, b->signals, sizeof(a->signals[0]) * a->n_signals) != 0 ||
        memcmp(a->bufs, b->bufs, sizeof(a->bufs[0]) * a->n_bufs) != 0)
        abort();
    for (i = 0; i < a->n_cmds; i++)
        if (a->cmds[i].opcode != b->cmds[i].opcode || a->cmds[i].len != b->cmds[i].len ||
            memcmp(dk_frame_cmd_payload(a, i), dk_frame_cmd_payload(b, i), a->cmds[i].len) != 0)
            abort();
}

static void build(struct src *s)
{
    static const uint16_t classes[] = {0x1000, 0x2000, 0x3000, 0x4000, 0xf000};
    uint32_t i, nw, ns, nb, nc;

    (void)dk_frame_init(&built, take(s, 1) % 4u, take(s, 1) & DK_WIRE_FLAGS_KNOWN);
    nw = take(s, 1) % (DK_WIRE_WAITS_MAX + 1);
    ns = take(s, 1) % (DK_WIRE_SIGNALS_MAX + 1);
    nb = take(s, 1) % (DK_WIRE_BUFS_MAX + 1);
    nc = take(s, 1) % 9u;
    /* Signals use fences 1..ns with values >= 2^40; waits use other fences
     * or smaller values, so the frame is valid by construction. */
    for (i = 0; i < ns; i++)
        (void)dk_frame_add_signal(&built, 1u + i, (1ull << 40) + take(s, 4) + 1u);
    for (i = 0; i < nw; i++)
        (void)dk_frame_add_wait(&built, 1u + (take(s, 1) % 64u), take(s, 4));
    for (i = 0; i < nb; i++) {
        uint64_t off = take(s, 4), len = take(s, 2) + 1u;
        (void)dk_frame_add_buf(&built, 1u + take(s, 2), 1u + take(s, 1) % 3u, off, len);
    }
    for (i = 0; i < nc; i++) {
        uint32_t len = take(s, 2) % 512u;
        uint16_t op = (uint16_t)(classes[take(s, 1) % 5u] | (take(s, 2) & 0x0fffu));
        size_t have = s->n < len ? s->n : len;
        static uint8_t payload[512];
        memset(payload, 0x5a, sizeof(payload));
        memcpy(payload, s->p, have);
        s->p += have;
        s->n -= have;
        (void)dk_frame_add_cmd(&built, op, payload, len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct src s = {data, size};
    enum dk_reason why;
    size_t len, len2, i, edits;

    build(&s);
    if (dk_wire_encode(&built, wire, sizeof(wire), &len, &why) != DK_OK)
        abort(); /* the recipe only builds valid frames */
    if (dk_wire_parse(&parsed, wire, len, &why) != DK_OK)
        abort();
    same_frame(&built, &parsed);

    edits = 1u + take(&s, 1) % 4u;
    for (i = 0; i < edits; i++) {
        uint32_t pos = take(&s, 2) % (uint32_t)len;
        wire[pos] = (uint8_t)take(&s, 1);
    }
    if (dk_wire_parse(&again, wire, len, &why) != DK_OK) {
        if (again.magic == DK_FRAME_VALID || dk_reason_status(why) != DK_E_MALFORMED)
            abort();
        return 0;
    }
    if (dk_wire_encode(&again, wire2, sizeof(wire2), &len2, &why) != DK_OK || len2 != len)
        abort();
    if (memcmp(wire, wire2, len) != 0)
        abort();
    return 0;
}
