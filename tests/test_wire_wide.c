/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The wide moves of src/core/wire.c against the old code (wire_old.h): the
 * parser's one test of a buffer ref's access byte and reserved bytes
 * together, its 16-byte move of offset and length, and the encoder's
 * masked first words and 16-byte spans. Every boundary of each field
 * (handle 0, access 0..3 and past, each reserved byte, length 0 and 1,
 * offset + length at and past 2^64), alone and two entries at once so the
 * first-failing order counts, must give the same status, reason, bytes and
 * decoded frame as the old code.
 */
/* The fixture is written for test_wire_fast.c, which uses all of it;
 * this file uses part. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#include "wire_fast_fixture.h"

static const uint32_t handles[] = {0, 1, 0x7fffffffu, 0xffffffffu};
static const uint8_t accesses[] = {0, 1, 2, 3, 4, 5, 7, 8, 0x41, 0x80, 0xfe, 0xff};
static const uint64_t lengths[] = {0, 1, 2, 4096, 1ull << 63, UINT64_MAX - 1, UINT64_MAX};

/* An offset around where offset + @length wraps, or a plain one. */
static uint64_t offset_for(uint64_t length)
{
    switch (pick(6)) {
    case 0:
        return 0;
    case 1:
        return UINT64_MAX;
    case 2:
        return UINT64_MAX - length; /* the last that fits */
    case 3:
        return UINT64_MAX - length + 1; /* the first that wraps */
    case 4:
        return UINT64_MAX - length + 2;
    default:
        return pick(1u << 24);
    }
}

/* Overwrite buffer ref @k of the bytes with boundary fields. */
static void hostile_ref(const struct dk_frame *f, uint32_t k)
{
    uint8_t *e = bytes + DK_WIRE_HEADER_SIZE + DK_WIRE_FENCE_ENTRY * (f->n_waits + f->n_signals) +
                 DK_WIRE_BUF_ENTRY * k;
    uint64_t length = lengths[pick(DK_ARRAY_LEN(lengths))];

    if (pick(2))
        put(e, handles[pick(DK_ARRAY_LEN(handles))], 4);
    if (pick(2))
        e[4] = accesses[pick(sizeof(accesses))];
    if (pick(4) == 0)
        e[5 + pick(3)] = (uint8_t)(1u << pick(8));
    if (pick(2)) {
        put(e + 16, length, 8);
        put(e + 8, offset_for(length), 8);
    }
}

Test(wire_wide, parse_buffer_refs_at_every_field_boundary)
{
    unsigned iter, k;
    size_t len;

    for (iter = 0; iter < 20000; iter++) {
        valid_frame(&A);
        if (A.n_bufs == 0)
            continue;
        len = raw_write(&A, bytes);
        for (k = 1 + pick(2); k > 0; k--)
            hostile_ref(&A, pick(A.n_bufs));
        parse_both(len, "parse (hostile ref)", iter);
    }
    saw_all((const enum dk_reason[]){DK_R_NONE, DK_R_WIRE_RESERVED, DK_R_WIRE_HANDLE,
                                     DK_R_WIRE_ACCESS, DK_R_WIRE_BUF_EMPTY, DK_R_WIRE_BUF_OVERFLOW},
            6, "parse");
}

/* The encoder writes only the bytes of the wire: whatever a decoded entry
 * holds beyond them (a command's pad, an access's upper bits, which the
 * walk refuses) must not reach the output or change the verdict. */
Test(wire_wide, encode_masks_what_is_not_on_the_wire)
{
    unsigned iter, k;

    for (iter = 0; iter < 6000; iter++) {
        valid_frame(&A);
        for (k = 0; k < A.n_cmds; k++)
            if (pick(2))
                A.cmds[k].pad = (uint16_t)(1 + pick(0xffff));
        for (k = pick(3); k > 0 && A.n_bufs > 0; k--) {
            struct dk_wire_buf *b = &A.bufs[pick(A.n_bufs)];

            if (pick(2))
                b->access |= (uint32_t)(1 + pick(0xffffff)) << 8;
            if (pick(2)) {
                b->length = lengths[pick(DK_ARRAY_LEN(lengths))];
                b->offset = offset_for(b->length);
            }
            if (pick(4) == 0)
                b->handle = handles[pick(DK_ARRAY_LEN(handles))];
        }
        (void)judge(iter);
    }
    saw_all((const enum dk_reason[]){DK_R_NONE, DK_R_WIRE_HANDLE, DK_R_WIRE_ACCESS,
                                     DK_R_WIRE_BUF_EMPTY, DK_R_WIRE_BUF_OVERFLOW},
            5, "encode");
}
