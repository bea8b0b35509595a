/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For test_wire_fast.c: the frames (old/new side by side), a seeded
 * generator of valid decoded frames and of every way to break one rule,
 * a writer of bytes that judges nothing, and the comparisons of the old
 * code (wire_old.h) with the new: same_frame, judge, parse_both.
 */
#ifndef DK_TEST_WIRE_FAST_FIXTURE_H
#define DK_TEST_WIRE_FAST_FIXTURE_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#define DK_TEST_SEED 0x5eed0f3a11c0ffeeull
#include "seeded_fixture.h"
#include "wire_old.h"

/* ~68 KiB each: kept out of the stack. A/B: the frame given to old/new;
 * PA/PB: what old/new parse decoded. */
static struct dk_frame A, B, PA, PB;
static uint8_t wa[DK_WIRE_FRAME_MAX + 64], wb[DK_WIRE_FRAME_MAX + 64];
static uint8_t bytes[DK_WIRE_FRAME_MAX + 64];
static uint8_t pay[DK_WIRE_CMD_PAYLOAD_MAX + 64];

/* Every decoded field the two frames hold (entries up to their counts,
 * capped by the arrays; the payload store up to raw_used). */
static void same_frame(const struct dk_frame *a, const struct dk_frame *b, const char *what,
                       unsigned iter)
{
    uint32_t i, n;

    cr_assert_eq(a->magic, b->magic, "%s #%u: magic", what, iter);
    cr_assert_eq(a->flags, b->flags, "%s #%u: flags", what, iter);
    cr_assert_eq(a->minor, b->minor, "%s #%u: minor", what, iter);
    cr_assert_eq(a->qos, b->qos, "%s #%u: qos", what, iter);
    cr_assert_eq(a->n_waits, b->n_waits, "%s #%u: n_waits", what, iter);
    cr_assert_eq(a->n_signals, b->n_signals, "%s #%u: n_signals", what, iter);
    cr_assert_eq(a->n_bufs, b->n_bufs, "%s #%u: n_bufs", what, iter);
    cr_assert_eq(a->n_cmds, b->n_cmds, "%s #%u: n_cmds", what, iter);
    cr_assert_eq(a->pad, b->pad, "%s #%u: pad", what, iter);
    cr_assert_eq(a->raw_used, b->raw_used, "%s #%u: raw_used", what, iter);
    n = a->n_waits < DK_WIRE_WAITS_MAX ? a->n_waits : DK_WIRE_WAITS_MAX;
    for (i = 0; i < n; i++) {
        cr_assert_eq(a->waits[i].fence, b->waits[i].fence, "%s #%u: wait %u", what, iter, i);
        cr_assert_eq(a->waits[i].value, b->waits[i].value, "%s #%u: wait %u", what, iter, i);
    }
    n = a->n_signals < DK_WIRE_SIGNALS_MAX ? a->n_signals : DK_WIRE_SIGNALS_MAX;
    for (i = 0; i < n; i++) {
        cr_assert_eq(a->signals[i].fence, b->signals[i].fence, "%s #%u: signal %u", what, iter, i);
        cr_assert_eq(a->signals[i].value, b->signals[i].value, "%s #%u: signal %u", what, iter, i);
    }
    n = a->n_bufs < DK_WIRE_BUFS_MAX ? a->n_bufs : DK_WIRE_BUFS_MAX;
    for (i = 0; i < n; i++) {
        cr_assert_eq(a->bufs[i].handle, b->bufs[i].handle, "%s #%u: buf %u", what, iter, i);
        cr_assert_eq(a->bufs[i].access, b->bufs[i].access, "%s #%u: buf %u", what, iter, i);
        cr_assert_eq(a->bufs[i].offset, b->bufs[i].offset, "%s #%u: buf %u", what, iter, i);
        cr_assert_eq(a->bufs[i].length, b->bufs[i].length, "%s #%u: buf %u", what, iter, i);
    }
    n = a->n_cmds < DK_WIRE_CMDS_MAX ? a->n_cmds : DK_WIRE_CMDS_MAX;
    for (i = 0; i < n; i++) {
        cr_assert_eq(a->cmds[i].opcode, b->cmds[i].opcode, "%s #%u: cmd %u", what, iter, i);
        cr_assert_eq(a->cmds[i].pad, b->cmds[i].pad, "%s #%u: cmd %u", what, iter, i);
        cr_assert_eq(a->cmds[i].len, b->cmds[i].len, "%s #%u: cmd %u", what, iter, i);
        cr_assert_eq(a->cmds[i].off, b->cmds[i].off, "%s #%u: cmd %u", what, iter, i);
    }
    /* One past the last too; but not past the array: with a count over the
     * cap, dk_frame_cmd_payload() would index it (old and new alike). */
    for (i = 0; i < n + (a->n_cmds <= DK_WIRE_CMDS_MAX); i++) {
        const uint8_t *pa = old_frame_cmd_payload(a, i), *pb = dk_frame_cmd_payload(b, i);

        cr_assert_eq(pa == NULL, pb == NULL, "%s #%u: payload %u", what, iter, i);
        if (pa != NULL)
            cr_assert_eq(pa - a->raw, pb - b->raw, "%s #%u: payload %u", what, iter, i);
    }
    n = a->raw_used < DK_WIRE_FRAME_MAX ? a->raw_used : DK_WIRE_FRAME_MAX;
    cr_assert_eq(memcmp(a->raw, b->raw, n), 0, "%s #%u: payload store", what, iter);
}

/* ---- frames: valid by construction, then broken on purpose ---- */

static const uint16_t known_class[5] = {DK_OPC_CORE, DK_OPC_XFER, DK_OPC_BLOCK, DK_OPC_ACCEL,
                                        DK_OPC_VENDOR};

/* A payload size: mostly the usual 8..16 bytes (16 is the bench's), and
 * every other class: under 8, just over 16, any, the cap. */
static uint32_t rnd_len(uint32_t budget)
{
    uint32_t len = 8 + pick(9), k = pick(8);

    if (k == 0)
        len = pick(8);
    else if (k == 1)
        len = 16;
    else if (k == 2)
        len = 17 + pick(64);
    else if (k == 3)
        len = pick(DK_WIRE_CMD_PAYLOAD_MAX + 1);
    else if (k == 4)
        len = DK_WIRE_CMD_PAYLOAD_MAX;
    return len < budget ? len : budget;
}

/* A frame every rule accepts, written field by field (not through either
 * builder). Often shaped like the bench's: n refs and n 16-byte commands. */
static void valid_frame(struct dk_frame *f)
{
    uint32_t nw = pick(17), ns = pick(17), nb = pick(65), nc = pick(65), i, j, budget;

    if (pick(3) == 0) {
        nw = 0, ns = 1, nb = nc = 1 + pick(64);
    } else if (pick(2)) {
        nw = pick(3), ns = pick(3), nb = pick(9), nc = pick(9);
    }
    memset(f, 0, offsetof(struct dk_frame, raw));
    f->magic = DK_FRAME_VALID;
    f->flags = (uint32_t)pick(2);
    f->minor = (uint8_t)(pick(4) ? 0 : rnd());
    f->qos = (uint8_t)pick(DK_QOS_COUNT);
    f->n_signals = (uint16_t)ns;
    for (i = 0; i < ns; i++) {
        f->signals[i].fence = 1000 + i * (1 + pick(5));
        f->signals[i].value = pick(2) ? 1 + pick(100) : rnd() | 1;
    }
    for (i = 0; i < nw; i++) {
        f->waits[i].fence = pick(2) ? 1 + pick(50) : (uint32_t)rnd() | 1;
        f->waits[i].value = rnd() % 200;
        for (j = 0; j < ns; j++)
            if (f->signals[j].fence == f->waits[i].fence)
                f->waits[i].value = rnd() % f->signals[j].value;
    }
    f->n_waits = (uint16_t)nw;
    for (i = 0; i < nb; i++) {
        uint64_t len = pick(2) ? 1 + pick(1u << 20) : rnd() | 1;

        f->bufs[i].handle = (uint32_t)rnd() | 1;
        f->bufs[i].access = 1 + pick(3);
        f->bufs[i].length = len;
        f->bufs[i].offset = pick(4) ? pick(1u << 24) : rnd() % (UINT64_MAX - len + 1);
    }
    f->n_bufs = (uint16_t)nb;
    budget = DK_WIRE_FRAME_MAX - DK_WIRE_HEADER_SIZE - 16 * (nw + ns) - 24 * nb - 8 * nc;
    for (i = 0; i < nc; i++) {
        uint32_t len = rnd_len(budget);

        f->cmds[i].opcode = (uint16_t)(known_class[pick(5)] << 12 | pick(0x1000));
        f->cmds[i].len = len;
        f->cmds[i].off = f->raw_used;
        for (j = 0; j < len; j++)
            f->raw[f->raw_used + j] = (uint8_t)rnd();
        f->raw_used += len;
        budget -= len;
    }
    f->n_cmds = (uint16_t)nc;
}

/* How far past a cap a broken count goes: just, or anywhere in u16. */
static uint32_t over_cap(void)
{
    return pick(2) ? pick(3) : pick(65000);
}

/* Break rule @rule of the decoded form (or the magic, or a count). */
#define RULES 22
static void break_rule(struct dk_frame *f, unsigned rule)
{
    /* Entries are picked among those the arrays hold, whatever the counts. */
    uint32_t nw = f->n_waits < DK_WIRE_WAITS_MAX ? f->n_waits : DK_WIRE_WAITS_MAX;
    uint32_t ns = f->n_signals < DK_WIRE_SIGNALS_MAX ? f->n_signals : DK_WIRE_SIGNALS_MAX;
    uint32_t nb = f->n_bufs < DK_WIRE_BUFS_MAX ? f->n_bufs : DK_WIRE_BUFS_MAX;
    uint32_t nc = f->n_cmds < DK_WIRE_CMDS_MAX ? f->n_cmds : DK_WIRE_CMDS_MAX;
    uint32_t i;

    switch (rule) {
    case 0:
        f->flags |= 1u << (1 + pick(31));
        break;
    case 1:
        f->qos = (uint8_t)(DK_QOS_COUNT + pick(252));
        break;
    case 2:
        f->n_waits = (uint16_t)(DK_WIRE_WAITS_MAX + 1 + over_cap());
        break;
    case 3:
        f->n_signals = (uint16_t)(DK_WIRE_SIGNALS_MAX + 1 + over_cap());
        break;
    case 4:
        f->n_bufs = (uint16_t)(DK_WIRE_BUFS_MAX + 1 + over_cap());
        break;
    case 5:
        f->n_cmds = (uint16_t)(DK_WIRE_CMDS_MAX + 1 + over_cap());
        break;
    case 6:
        if (nw)
            f->waits[pick(nw)].fence = 0;
        break;
    case 7:
        if (ns)
            f->signals[pick(ns)].fence = 0;
        break;
    case 8:
        if (ns)
            f->signals[pick(ns)].value = 0;
        break;
    case 9: /* a repeated signal */
        if (ns > 1) {
            i = 1 + pick(ns - 1u);
            f->signals[i].fence = f->signals[pick(i)].fence;
        }
        break;
    case 10: /* a wait at or past what the frame signals */
        if (ns && nw) {
            i = pick(ns);
            f->waits[pick(nw)] =
                (struct dk_wire_fence){f->signals[i].fence, f->signals[i].value + pick(3)};
        }
        break;
    case 11:
        if (nb)
            f->bufs[pick(nb)].handle = 0;
        break;
    case 12:
        if (nb)
            f->bufs[pick(nb)].access = pick(2) ? 0 : 4 + (uint32_t)rnd() % 300;
        break;
    case 13:
        if (nb)
            f->bufs[pick(nb)].length = 0;
        break;
    case 14: /* offset + length wraps */
        if (nb) {
            i = pick(nb);
            f->bufs[i].offset = UINT64_MAX - f->bufs[i].length + 1 + pick(2);
        }
        break;
    case 15:
        if (nc)
            f->cmds[pick(nc)].opcode =
                (uint16_t)((pick(2) ? 0 : 5 + pick(10)) << 12 | pick(0x1000));
        break;
    case 16:
        if (nc)
            f->cmds[pick(nc)].len = DK_WIRE_CMD_PAYLOAD_MAX + 1 + pick(3 * 65536);
        break;
    case 17: /* an offset past the store; near 2^32 it would wrap back in 32 bits */
        if (nc) {
            i = pick(nc);
            f->cmds[i].off = pick(2) ? DK_WIRE_FRAME_MAX + pick(2) + (pick(2) ? 0 : (uint32_t)rnd())
                                     : UINT32_MAX - pick(f->cmds[i].len + 1);
        }
        break;
    case 18: /* a payload running past the store by a little */
        if (nc) {
            i = pick(nc);
            f->cmds[i].len = 1 + pick(DK_WIRE_CMD_PAYLOAD_MAX);
            f->cmds[i].off = DK_WIRE_FRAME_MAX - f->cmds[i].len + pick(3);
        }
        break;
    case 19: /* every payload in bounds, the frame over its cap */
        for (i = 0; i < f->n_cmds && i < DK_WIRE_CMDS_MAX; i++)
            f->cmds[i].len = DK_WIRE_CMD_PAYLOAD_MAX - pick(4), f->cmds[i].off = pick(64);
        break;
    case 20:
        f->magic = pick(2) ? 0 : DK_FRAME_VALID ^ (1u << pick(32));
        break;
    default:
        f->n_waits = f->n_signals = f->n_bufs = f->n_cmds = 0;
        f->flags = 0;
        break;
    }
}

static void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Write any decoded frame whose counts fit its arrays and whose payloads lie
 * in its store, judging nothing: the bytes of a frame that breaks the
 * decoded-form rules but none of the layout's. */
static size_t raw_write(const struct dk_frame *f, uint8_t *out)
{
    size_t n = DK_WIRE_HEADER_SIZE;
    uint32_t i, cmd_bytes = 0;

    memset(out, 0, DK_WIRE_HEADER_SIZE);
    put(out, DK_WIRE_MAGIC, 4);
    out[4] = DK_WIRE_MAJOR;
    out[5] = f->minor;
    put(out + 6, DK_WIRE_HEADER_SIZE, 2);
    put(out + 12, f->flags, 4);
    put(out + 16, f->n_waits, 2);
    put(out + 18, f->n_signals, 2);
    put(out + 20, f->n_bufs, 2);
    put(out + 22, f->n_cmds, 2);
    out[28] = f->qos;
    for (i = 0; i < f->n_waits + f->n_signals; i++, n += DK_WIRE_FENCE_ENTRY) {
        const struct dk_wire_fence *e = i < f->n_waits ? &f->waits[i] : &f->signals[i - f->n_waits];

        put(out + n, e->fence, 4);
        put(out + n + 4, 0, 4);
        put(out + n + 8, e->value, 8);
    }
    for (i = 0; i < f->n_bufs; i++, n += DK_WIRE_BUF_ENTRY) {
        put(out + n, f->bufs[i].handle, 4);
        put(out + n + 4, f->bufs[i].access & 0xffu, 4);
        put(out + n + 8, f->bufs[i].offset, 8);
        put(out + n + 16, f->bufs[i].length, 8);
    }
    for (i = 0; i < f->n_cmds; i++) {
        put(out + n, f->cmds[i].opcode, 2);
        put(out + n + 2, 0, 2);
        put(out + n + 4, f->cmds[i].len, 4);
        memcpy(out + n + 8, f->raw + f->cmds[i].off, f->cmds[i].len);
        n += DK_WIRE_CMD_HEADER + f->cmds[i].len;
        cmd_bytes += DK_WIRE_CMD_HEADER + f->cmds[i].len;
    }
    put(out + 8, n, 4);
    put(out + 24, cmd_bytes, 4);
    return n;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- old and new side by side ---- */

/* Judge A with the old code and B (a copy of A) with the new; on OK also
 * parse what each encoded. Returns the encoded length (0 if refused). */
static size_t judge(unsigned iter)
{
    enum dk_reason ra = DK_R_BAD_ENUM, rb = DK_R_BAD_ENUM;
    size_t la = 7, lb = 7, cap;
    int sa, sb;

    memcpy(&B, &A, sizeof(A));
    sa = old_frame_check(&A, &ra);
    sb = dk_frame_check(&B, &rb);
    cr_assert_eq(sa, sb, "check #%u: status %d vs %d", iter, sa, sb);
    cr_assert_eq(ra, rb, "check #%u: reason %s vs %s", iter, dk_reason_str(ra), dk_reason_str(rb));
    cr_assert_eq(old_wire_size(&A), dk_wire_size(&B), "size #%u", iter);

    /* Room for any frame, or a cap just around the frame's size: the
     * buffers start alike and must end alike (untouched on a refusal). */
    cap = sizeof(wa);
    if (pick(4) == 0 && sa == DK_OK)
        cap = old_wire_size(&A) - 1 + pick(3);
    memset(wa, 0xa5, sizeof(wa));
    memset(wb, 0xa5, sizeof(wb));
    ra = rb = DK_R_BAD_ENUM;
    sa = old_wire_encode(&A, wa, cap, &la, &ra);
    sb = dk_wire_encode(&B, wb, cap, &lb, &rb);
    cr_assert_eq(sa, sb, "encode #%u: status %d vs %d", iter, sa, sb);
    cr_assert_eq(ra, rb, "encode #%u: reason %s vs %s", iter, dk_reason_str(ra), dk_reason_str(rb));
    cr_assert_eq(la, lb, "encode #%u: length", iter);
    saw(ra);
    cr_assert_eq(memcmp(wa, wb, sizeof(wa)), 0, "encode #%u: bytes", iter);
    same_frame(&A, &B, "encode leaves the frame", iter);
    return sa == DK_OK ? la : 0;
}

/* Parse @len bytes of `bytes` with both; same status, reason, and frame
 * (a refused frame is only required to be invalid in both). */
static void parse_both(size_t len, const char *what, unsigned iter)
{
    enum dk_reason ra = DK_R_BAD_ENUM, rb = DK_R_BAD_ENUM;
    int sa, sb;

    PA.magic = PB.magic = DK_FRAME_VALID;
    sa = old_wire_parse(&PA, bytes, len, &ra);
    sb = dk_wire_parse(&PB, bytes, len, &rb);
    cr_assert_eq(sa, sb, "%s #%u: status %d vs %d (%s vs %s)", what, iter, sa, sb,
                 dk_reason_str(ra), dk_reason_str(rb));
    cr_assert_eq(ra, rb, "%s #%u: reason %s vs %s", what, iter, dk_reason_str(ra),
                 dk_reason_str(rb));
    saw(ra);
    if (sa == DK_OK)
        same_frame(&PA, &PB, what, iter);
    else
        cr_assert(PA.magic == 0 && PB.magic == 0, "%s #%u: refused frame left valid", what, iter);
}

#endif /* DK_TEST_WIRE_FAST_FIXTURE_H */
