/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by test_wire.c and test_wire_encode.c: an encoder independent of the
 * library's (ref_encode), a field-by-field frame comparison, a parse from a
 * heap block of exactly the frame's size, and the ~16 KiB base frame that the
 * malformed cases edit. Everything is static (inline) so each file uses what
 * it needs.
 */
#ifndef DK_TEST_WIRE_FIXTURE_H
#define DK_TEST_WIRE_FIXTURE_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <driverkit/buf.h>
#include <driverkit/queue.h>
#include <driverkit/wire.h>

/* Frames are ~68 KiB: keep them out of the stack. */
static struct dk_frame F, G;
static uint8_t wbuf[DK_WIRE_FRAME_MAX + 64];
static uint8_t reenc[DK_WIRE_FRAME_MAX + 1024]; /* room for an over-cap frame */

/* ---- an encoder independent of the library's ---- */

static inline void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Write @f as wire bytes with minor @minor; reserved bytes 0. Returns the length. */
static inline size_t ref_encode(const struct dk_frame *f, uint8_t minor, uint8_t *out)
{
    size_t n = DK_WIRE_HEADER_SIZE;
    uint32_t cmd_bytes = 0, i;

    for (i = 0; i < f->n_cmds; i++)
        cmd_bytes += DK_WIRE_CMD_HEADER + f->cmds[i].len;
    memset(out, 0, DK_WIRE_HEADER_SIZE);
    put(out + 0, DK_WIRE_MAGIC, 4);
    out[4] = 1;
    out[5] = minor;
    put(out + 6, 32, 2);
    put(out + 12, f->flags, 4);
    put(out + 16, f->n_waits, 2);
    put(out + 18, f->n_signals, 2);
    put(out + 20, f->n_bufs, 2);
    put(out + 22, f->n_cmds, 2);
    put(out + 24, cmd_bytes, 4);
    out[28] = f->qos;
    for (i = 0; i < f->n_waits + f->n_signals; i++, n += 16) {
        const struct dk_wire_fence *e = i < f->n_waits ? &f->waits[i] : &f->signals[i - f->n_waits];
        put(out + n, e->fence, 4);
        put(out + n + 4, 0, 4);
        put(out + n + 8, e->value, 8);
    }
    for (i = 0; i < f->n_bufs; i++, n += 24) {
        put(out + n, f->bufs[i].handle, 4);
        put(out + n + 4, f->bufs[i].access, 4); /* access byte + 3 reserved zero bytes */
        put(out + n + 8, f->bufs[i].offset, 8);
        put(out + n + 16, f->bufs[i].length, 8);
    }
    for (i = 0; i < f->n_cmds; i++) {
        put(out + n, f->cmds[i].opcode, 2);
        put(out + n + 2, 0, 2);
        put(out + n + 4, f->cmds[i].len, 4);
        memcpy(out + n + 8, f->raw + f->cmds[i].off, f->cmds[i].len);
        n += 8 + f->cmds[i].len;
    }
    put(out + 8, n, 4);
    return n;
}

/* Every decoded field and payload byte of @a equals @b's (cmd offsets excepted:
 * they locate payloads in each frame's own store). */
static inline void frame_eq(const struct dk_frame *a, const struct dk_frame *b, const char *what)
{
    uint32_t i;

    cr_assert_eq(a->magic, DK_FRAME_VALID, "%s: magic", what);
    cr_assert_eq(b->magic, DK_FRAME_VALID, "%s: magic", what);
    cr_assert_eq(a->flags, b->flags, "%s: flags", what);
    cr_assert_eq(a->minor, b->minor, "%s: minor %u vs %u", what, a->minor, b->minor);
    cr_assert_eq(a->qos, b->qos, "%s: qos", what);
    cr_assert_eq(a->n_waits, b->n_waits, "%s: n_waits", what);
    cr_assert_eq(a->n_signals, b->n_signals, "%s: n_signals", what);
    cr_assert_eq(a->n_bufs, b->n_bufs, "%s: n_bufs", what);
    cr_assert_eq(a->n_cmds, b->n_cmds, "%s: n_cmds", what);
    for (i = 0; i < a->n_waits; i++) {
        cr_assert_eq(a->waits[i].fence, b->waits[i].fence, "%s: wait %u fence", what, i);
        cr_assert_eq(a->waits[i].value, b->waits[i].value, "%s: wait %u value", what, i);
    }
    for (i = 0; i < a->n_signals; i++) {
        cr_assert_eq(a->signals[i].fence, b->signals[i].fence, "%s: signal %u fence", what, i);
        cr_assert_eq(a->signals[i].value, b->signals[i].value, "%s: signal %u value", what, i);
    }
    for (i = 0; i < a->n_bufs; i++) {
        cr_assert_eq(a->bufs[i].handle, b->bufs[i].handle, "%s: buf %u handle", what, i);
        cr_assert_eq(a->bufs[i].access, b->bufs[i].access, "%s: buf %u access", what, i);
        cr_assert_eq(a->bufs[i].offset, b->bufs[i].offset, "%s: buf %u offset", what, i);
        cr_assert_eq(a->bufs[i].length, b->bufs[i].length, "%s: buf %u length", what, i);
    }
    for (i = 0; i < a->n_cmds; i++) {
        cr_assert_eq(a->cmds[i].opcode, b->cmds[i].opcode, "%s: cmd %u opcode", what, i);
        cr_assert_eq(a->cmds[i].len, b->cmds[i].len, "%s: cmd %u len", what, i);
        cr_assert_not_null(dk_frame_cmd_payload(a, i));
        cr_assert_not_null(dk_frame_cmd_payload(b, i));
        cr_assert_eq(memcmp(dk_frame_cmd_payload(a, i), dk_frame_cmd_payload(b, i), a->cmds[i].len),
                     0, "%s: cmd %u payload", what, i);
    }
}

/* Parse from a heap block of exactly @len bytes, so ASan sees any read past it. */
static inline int parse_exact(struct dk_frame *out, const uint8_t *bytes, size_t len,
                              enum dk_reason *why)
{
    uint8_t *copy = malloc(len ? len : 1);
    int rc;

    cr_assert_not_null(copy);
    memcpy(copy, bytes, len);
    rc = dk_wire_parse(out, copy, len, why);
    free(copy);
    return rc;
}

/* ---- the base frame every malformed case edits ---- */

/* Byte offsets in the base frame (header fields per docs/wire.md, wire.c). */
enum {
    H_MAGIC = 0,
    H_MAJOR = 4,
    H_MINOR = 5,
    H_HSIZE = 6,
    H_TOTAL = 8,
    H_FLAGS = 12,
    H_NW = 16,
    H_NS = 18,
    H_NB = 20,
    H_NC = 22,
    H_CMDB = 24,
    H_QOS = 28,
    H_RES29 = 29,
    H_RES30 = 30,
    W0 = 32,
    W1 = 48,
    S0 = 64,
    S1 = 80,
    B0 = 96,
    B1 = 120,
    C0 = 144,
    C1 = 152,
    C2 = 152 + 8 + DK_WIRE_CMD_PAYLOAD_MAX,
    BASE_LEN = C2 + 8 + 8,
};

static uint8_t base[BASE_LEN];

/*
 * waits   W0 {0x21, 9}  W1 {0x23, 10}
 * signals S0 {0x22, 9}  S1 {0x24, 12}
 * bufs    B0 {0x31, R, 0xffffffffffffff00, 0x40}  B1 {0x32, RW, 0, 0x1000}
 * cmds    C0 NOP len 0; C1 0xf123 len 16384 (the payload cap); C2 0x2001 len 8
 * qos NORMAL, flags 0, minor 0. One byte from each rule, yet valid.
 */
static inline void build_base(struct dk_frame *f)
{
    static uint8_t big[DK_WIRE_CMD_PAYLOAD_MAX];
    static const uint8_t eight[8] = {1, 2, 3, 4, 5, 6, 7, 8};

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7 + 3);
    cr_assert_eq(dk_frame_init(f, DK_QOS_NORMAL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_wait(f, 0x21, 9), DK_OK);
    cr_assert_eq(dk_frame_add_wait(f, 0x23, 10), DK_OK);
    cr_assert_eq(dk_frame_add_signal(f, 0x22, 9), DK_OK);
    cr_assert_eq(dk_frame_add_signal(f, 0x24, 12), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, 0x31, DK_BUF_READ, 0xffffffffffffff00ull, 0x40), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, 0x32, DK_BUF_READ | DK_BUF_WRITE, 0, 0x1000), DK_OK);
    cr_assert_eq(dk_frame_add_cmd(f, DK_OP_NOP, NULL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_cmd(f, 0xf123, big, sizeof(big)), DK_OK);
    cr_assert_eq(dk_frame_add_cmd(f, 0x2001, eight, sizeof(eight)), DK_OK);
}

static inline void base_setup(void)
{
    enum dk_reason why = DK_R_BAD_ENUM;

    build_base(&G);
    cr_assert_eq(ref_encode(&G, 0, base), BASE_LEN);
    cr_assert_eq(dk_wire_parse(&F, base, BASE_LEN, &why), DK_OK, "base frame refused: %s",
                 dk_reason_str(why));
    cr_assert_eq(why, DK_R_NONE);
}

#endif /* DK_TEST_WIRE_FIXTURE_H */
