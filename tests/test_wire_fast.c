/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The wire fast paths (src/core/wire.c, the inline builders of wire.h)
 * against the code they replaced, kept verbatim in wire_old.h: the one rule
 * walk behind dk_frame_check / dk_wire_size / dk_wire_encode, the parser that
 * validates while it decodes, and the inline dk_frame_add_buf /
 * dk_frame_add_cmd. Seeded random frames, valid and hostile (decoded fields
 * out of every rule, several at once so the first-failing order counts;
 * bytes with structural and semantic faults together), must get the same
 * status, the same reason, the same bytes and the same decoded frame.
 */
#include "wire_fast_fixture.h"

/* ---- the rule walk: check, size, encode ---- */

/* Every reason the walk can give. */
static const enum dk_reason walk_reasons[] = {
    DK_R_WIRE_FLAGS,        DK_R_WIRE_QOS,       DK_R_WIRE_WAITS_CAP, DK_R_WIRE_SIGNALS_CAP,
    DK_R_WIRE_BUFS_CAP,     DK_R_WIRE_CMDS_CAP,  DK_R_WIRE_HANDLE,    DK_R_WIRE_SIGNAL_ZERO,
    DK_R_WIRE_DUP_SIGNAL,   DK_R_WIRE_SELF_WAIT, DK_R_WIRE_ACCESS,    DK_R_WIRE_BUF_EMPTY,
    DK_R_WIRE_BUF_OVERFLOW, DK_R_WIRE_OPCODE,    DK_R_WIRE_CMD_LEN,   DK_R_WIRE_FRAME_CAP,
};

Test(wire_fast, rule_walk_and_encode_match_the_old_code)
{
    unsigned iter, k;

    for (iter = 0; iter < 6000; iter++) {
        valid_frame(&A);
        for (k = pick(3) == 0 ? 0 : 1 + pick(3); k > 0; k--)
            break_rule(&A, pick(RULES));
        judge(iter);
    }
    saw_all(walk_reasons, DK_ARRAY_LEN(walk_reasons), "encode");
    saw_all((const enum dk_reason[]){DK_R_NONE, DK_R_NOT_INIT, DK_R_OUT_SMALL}, 3, "encode");
}

/* ---- the parser: validate while decoding, the walk only on a failure ---- */

/* Byte offset of a random entry's field: @sec 0 fences, 1 bufs, 2 cmds. */
static size_t entry_at(const struct dk_frame *f, unsigned sec, size_t len)
{
    size_t at = DK_WIRE_HEADER_SIZE;
    uint32_t nf = f->n_waits + f->n_signals, i, k;

    if (sec == 0 && nf)
        return at + DK_WIRE_FENCE_ENTRY * pick(nf);
    at += DK_WIRE_FENCE_ENTRY * nf;
    if (sec == 1 && f->n_bufs)
        return at + DK_WIRE_BUF_ENTRY * pick(f->n_bufs);
    at += DK_WIRE_BUF_ENTRY * f->n_bufs;
    if (sec == 2 && f->n_cmds) {
        for (i = 0, k = pick(f->n_cmds); i < k; i++)
            at += DK_WIRE_CMD_HEADER + f->cmds[i].len;
        return at;
    }
    return pick((uint32_t)len);
}

/* One layout fault: a header field, a reserved byte, a length, the size. */
static size_t break_bytes(const struct dk_frame *f, uint8_t *b, size_t len)
{
    size_t at;

    if (len < DK_WIRE_HEADER_SIZE)
        return len;
    switch (pick(14)) {
    case 0:
        b[pick((uint32_t)len)] ^= (uint8_t)(1u << pick(8));
        break;
    case 1:
        b[pick(DK_WIRE_HEADER_SIZE)] = (uint8_t)rnd();
        break;
    case 2:
        put(b + 8, len + pick(5) - 2, 4);
        break; /* total_len */
    case 3:
        put(b + 24, get32(b + 24) + pick(17) - 8u, 4);
        break; /* cmd_bytes */
    case 4:
        b[16 + 2 * pick(4)] += (uint8_t)(pick(3) - 1u);
        break; /* a count */
    case 5:
        b[29 + pick(3)] = (uint8_t)(1 + pick(255));
        break; /* header reserved */
    case 6:
        at = entry_at(f, 0, len);
        b[at + 4 + pick(4)] |= 1;
        break; /* fence reserved */
    case 7:
        at = entry_at(f, 1, len);
        b[at + 5 + pick(3)] |= 1;
        break; /* buf reserved */
    case 8:
        at = entry_at(f, 2, len);
        if (at + 4 <= len)
            b[at + 2 + pick(2)] |= 1;
        break;
    case 9: /* a command length a little or a lot off */
        at = entry_at(f, 2, len);
        if (at + 8 <= len)
            put(b + at + 4, pick(2) ? get32(b + at + 4) + pick(9) - 4u : (uint32_t)rnd(), 4);
        break;
    case 10:
        return len - 1 - pick((uint32_t)(len < 40 ? len : 40)); /* truncated */
    case 11:               /* longer, total_len kept or following */
        at = 1 + pick(24); /* twice at most: inside `bytes` */
        if (pick(2))
            put(b + 8, len + at, 4);
        return len + at;
    case 12:
        put(b + 8, DK_WIRE_FRAME_MAX + 1 + pick(100), 4);
        break;
    default:
        b[4] = (uint8_t)(pick(2) ? 0 : 2 + pick(254));
        break; /* major */
    }
    return len;
}

/* Every reason a parse can give: the layout's, then the walk's. */
static const enum dk_reason parse_reasons[] = {
    DK_R_NONE,
    DK_R_WIRE_TRUNCATED,
    DK_R_WIRE_BAD_MAGIC,
    DK_R_WIRE_MAJOR,
    DK_R_WIRE_HEADER_SIZE,
    DK_R_WIRE_RESERVED,
    DK_R_WIRE_FRAME_CAP,
    DK_R_WIRE_LENGTH,
    DK_R_WIRE_WAITS_CAP,
    DK_R_WIRE_SIGNALS_CAP,
    DK_R_WIRE_BUFS_CAP,
    DK_R_WIRE_CMDS_CAP,
    DK_R_WIRE_CMD_LEN,
    DK_R_WIRE_FLAGS,
    DK_R_WIRE_QOS,
    DK_R_WIRE_HANDLE,
    DK_R_WIRE_SIGNAL_ZERO,
    DK_R_WIRE_DUP_SIGNAL,
    DK_R_WIRE_SELF_WAIT,
    DK_R_WIRE_ACCESS,
    DK_R_WIRE_BUF_EMPTY,
    DK_R_WIRE_BUF_OVERFLOW,
    DK_R_WIRE_OPCODE,
};

Test(wire_fast, parse_matches_the_old_code_on_valid_and_hostile_bytes)
{
    static const uint8_t carried[] = {0, 1, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 21};
    unsigned iter, k;
    size_t len;

    for (iter = 0; iter < 6000; iter++) {
        valid_frame(&A);
        /* Rules of the decoded form the bytes can carry (not the counts or
         * payload bounds, which raw_write needs intact). */
        for (k = pick(2) ? 0 : 1 + pick(3); k > 0; k--)
            break_rule(&A, carried[pick(sizeof(carried))]);
        len = raw_write(&A, bytes);
        memset(bytes + len, (int)pick(256), sizeof(bytes) - len);
        parse_both(len, "parse", iter);
        for (k = pick(3) ? 1 + pick(2) : 0; k > 0; k--)
            len = break_bytes(&A, bytes, len);
        parse_both(len, "parse (layout broken)", iter);
    }
    saw_all(parse_reasons, DK_ARRAY_LEN(parse_reasons), "parse");
}

/* The parser checks the decoded-form rules as it goes but must still let a
 * layout fault further on win, as the old parse-then-check did. */
Test(wire_fast, layout_fault_after_a_rule_fault_still_wins)
{
    static const uint8_t rules[] = {0, 1, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static const enum dk_reason layout[4] = {DK_R_WIRE_RESERVED, DK_R_WIRE_RESERVED,
                                             DK_R_WIRE_CMD_LEN, DK_R_WIRE_LENGTH};
    unsigned iter = 0, r, l, i;

    for (r = 0; r < sizeof(rules); r++)
        for (l = 0; l < 4; l++, iter++) {
            enum dk_reason why = DK_R_NONE;
            size_t len, last_buf, last_cmd;

            memset(&A, 0, offsetof(struct dk_frame, raw));
            A.magic = DK_FRAME_VALID;
            A.n_waits = A.n_signals = 2;
            A.n_bufs = A.n_cmds = 3;
            for (i = 0; i < 2; i++) {
                A.waits[i] = (struct dk_wire_fence){7 + i, 1};
                A.signals[i] = (struct dk_wire_fence){1000 + i, 5 + i};
            }
            for (i = 0; i < 3; i++) {
                A.bufs[i] = (struct dk_wire_buf){0x100 + i, DK_BUF_READ, 4096 * i, 4096};
                A.cmds[i] = (struct dk_wire_cmd){0x3001, 0, 8, 8 * i};
            }
            A.raw_used = 24;
            break_rule(&A, rules[r]);
            len = raw_write(&A, bytes);
            last_buf = DK_WIRE_HEADER_SIZE + 4 * DK_WIRE_FENCE_ENTRY + 2 * DK_WIRE_BUF_ENTRY;
            last_cmd = last_buf + DK_WIRE_BUF_ENTRY + 2 * (DK_WIRE_CMD_HEADER + 8);
            cr_assert_eq(len, last_cmd + DK_WIRE_CMD_HEADER + 8);
            switch (l) {
            case 0:
                bytes[last_buf + 5] = 1;
                break;
            case 1:
                bytes[last_cmd + 3] = 1;
                break;
            case 2:
                bytes[last_cmd + 4] = 9;
                break;
            default: /* eight bytes more than the commands use */
                memset(bytes + len, 0, 8);
                len += 8;
                put(bytes + 8, len, 4);
                put(bytes + 24, get32(bytes + 24) + 8, 4);
                break;
            }
            parse_both(len, "rule fault then layout fault", iter);
            cr_assert_eq(dk_wire_parse(&PB, bytes, len, &why), DK_E_MALFORMED);
            cr_assert_eq(why, layout[l], "rule %u, layout fault %u: %s", rules[r], l,
                         dk_reason_str(why));
        }
}

/* ---- the builders: inline fast cases, the out-of-line rest ---- */

/* The same builder call on A (old code) and B (new); the same answer. */
static void add_both(unsigned iter)
{
    struct dk_frame *fa = &A, *fb = &B;
    const uint8_t *p = pay + pick(8);
    uint32_t fence = pick(4) ? (uint32_t)rnd() : 0, len;
    uint64_t value = rnd();
    int sa, sb;

    if (pick(50) == 0)
        fa = fb = NULL;
    switch (pick(6)) {
    case 0:
        sa = old_frame_add_wait(fa, fence, value);
        sb = dk_frame_add_wait(fb, fence, value);
        break;
    case 1:
        sa = old_frame_add_signal(fa, fence, value);
        sb = dk_frame_add_signal(fb, fence, value);
        break;
    case 2: {
        unsigned access = pick(4) ? pick(5) : (unsigned)rnd();
        uint64_t off = rnd() >> pick(64), length = rnd() >> pick(64);

        sa = old_frame_add_buf(fa, fence, access, off, length);
        sb = dk_frame_add_buf(fb, fence, access, off, length);
        break;
    }
    default: {
        uint16_t op = (uint16_t)rnd();

        switch (pick(4)) {
        case 0:
            len = pick(21);
            break;
        case 1:
            len = DK_WIRE_CMD_PAYLOAD_MAX + pick(2);
            break;
        case 2:
            len = pick(2) ? (uint32_t)rnd() : pick(DK_WIRE_CMD_PAYLOAD_MAX);
            break;
        default:
            len = 8 + pick(9);
            break;
        }
        if (pick(40) == 0)
            p = NULL;
        sa = old_frame_add_cmd(fa, op, p, len);
        sb = dk_frame_add_cmd(fb, op, p, len);
        break;
    }
    }
    cr_assert_eq(sa, sb, "builder #%u: %d vs %d", iter, sa, sb);
}

/* A and B alike: fresh, or with hostile counts, store use or magic. */
static void start_both(void)
{
    uint32_t qos = pick(6), flags = pick(4) ? pick(2) : (uint32_t)rnd();

    A.magic = B.magic = 0;
    cr_assert_eq(old_frame_init(&A, qos, flags), dk_frame_init(&B, qos, flags));
    switch (pick(8)) {
    case 0:
        A.magic = pick(2) ? 0 : DK_FRAME_VALID + 1;
        break;
    case 1:
        A.n_waits = (uint16_t)rnd();
        A.n_signals = (uint16_t)rnd();
        break;
    case 2:
        A.n_bufs = (uint16_t)(DK_WIRE_BUFS_MAX - pick(3));
        break;
    case 3:
        A.n_cmds = (uint16_t)(DK_WIRE_CMDS_MAX - pick(3));
        break;
    case 4:
        A.raw_used = DK_WIRE_FRAME_MAX - pick(4000);
        break;
    case 5:
        A.raw_used = pick(2) ? (uint32_t)rnd() : DK_WIRE_FRAME_MAX + pick(3) - 1;
        break;
    default:
        break;
    }
    A.magic = qos < DK_QOS_COUNT && flags <= 1 ? A.magic : (pick(2) ? DK_FRAME_VALID : 0);
    memcpy(&B, &A, offsetof(struct dk_frame, raw));
}

Test(wire_fast, builders_match_the_old_code)
{
    unsigned iter, k;

    for (k = 0; k < sizeof(pay); k++)
        pay[k] = (uint8_t)rnd();
    for (iter = 0; iter < 3000; iter++) {
        start_both();
        for (k = pick(100); k > 0; k--)
            add_both(iter);
        same_frame(&A, &B, "builder", iter);
        judge(iter); /* and what the built frame encodes to */
    }
}

/* dk_frame_add_cmd's inline case ends exactly where the wire does: one byte
 * less room and the general path answers (here, refuses). */
Test(wire_fast, inline_add_cmd_at_the_frame_size_boundary)
{
    unsigned iter = 0, len, nb, nc;
    int delta;

    for (len = 0; len <= 20; len++)
        for (nb = 0; nb <= DK_WIRE_BUFS_MAX; nb += 21)
            for (nc = 0; nc < DK_WIRE_CMDS_MAX; nc += 9)
                for (delta = -3; delta <= 3; delta++, iter++) {
                    uint64_t fixed = DK_WIRE_HEADER_SIZE + DK_WIRE_FENCE_ENTRY * 3u +
                                     DK_WIRE_BUF_ENTRY * nb + DK_WIRE_CMD_HEADER * (nc + 1u);
                    int sa, sb;

                    cr_assert_eq(old_frame_init(&A, 1, 0), DK_OK);
                    A.n_waits = 1;
                    A.n_signals = 2;
                    A.n_bufs = (uint16_t)nb;
                    A.n_cmds = (uint16_t)nc;
                    A.raw_used = (uint32_t)(DK_WIRE_FRAME_MAX - fixed - len + delta);
                    memcpy(&B, &A, offsetof(struct dk_frame, raw));
                    sa = old_frame_add_cmd(&A, 0x3001, pay, len);
                    sb = dk_frame_add_cmd(&B, 0x3001, pay, len);
                    cr_assert_eq(sa, sb, "len %u nb %u nc %u delta %d", len, nb, nc, delta);
                    cr_assert_eq(sa, delta <= 0 ? DK_OK : DK_E_MALFORMED);
                    same_frame(&A, &B, "boundary", iter);
                }
}

Test(wire_fast, null_and_uninitialised_arguments)
{
    enum dk_reason ra, rb;
    size_t la = 1, lb = 1;

    ra = rb = DK_R_NONE;
    cr_assert_eq(old_frame_check(NULL, &ra), dk_frame_check(NULL, &rb));
    cr_assert_eq(ra, rb);
    cr_assert_eq(old_wire_size(NULL), dk_wire_size(NULL));
    cr_assert_eq(old_wire_encode(NULL, wa, sizeof(wa), &la, &ra),
                 dk_wire_encode(NULL, wb, sizeof(wb), &lb, &rb));
    cr_assert_eq(ra, rb);
    valid_frame(&A);
    memcpy(&B, &A, sizeof(A));
    cr_assert_eq(old_wire_encode(&A, NULL, sizeof(wa), &la, &ra),
                 dk_wire_encode(&B, NULL, sizeof(wb), &lb, &rb));
    cr_assert_eq(ra, rb);
    cr_assert_eq(old_wire_encode(&A, wa, sizeof(wa), NULL, &ra),
                 dk_wire_encode(&B, wb, sizeof(wb), NULL, &rb));
    cr_assert_eq(ra, rb);
    cr_assert_eq(la, lb);
    A.magic = B.magic = 0;
    cr_assert_eq(old_frame_check(&A, &ra), dk_frame_check(&B, &rb));
    cr_assert_eq(ra, rb);
    cr_assert_eq(old_wire_size(&A), dk_wire_size(&B));
    cr_assert_eq(old_wire_encode(&A, wa, sizeof(wa), &la, &ra),
                 dk_wire_encode(&B, wb, sizeof(wb), &lb, &rb));
    cr_assert_eq(ra, rb);
    cr_assert_eq(old_wire_parse(NULL, bytes, 40, &ra), dk_wire_parse(NULL, bytes, 40, &rb));
    cr_assert_eq(ra, rb);
    cr_assert_eq(old_wire_parse(&PA, NULL, 40, &ra), dk_wire_parse(&PB, NULL, 40, &rb));
    cr_assert_eq(ra, rb);
    cr_assert_eq(old_wire_parse(&PA, NULL, 0, &ra), dk_wire_parse(&PB, NULL, 0, &rb));
    cr_assert_eq(ra, rb);
    for (la = 0; la < DK_WIRE_HEADER_SIZE; la++) {
        cr_assert_eq(old_wire_parse(&PA, bytes, la, NULL), dk_wire_parse(&PB, bytes, la, NULL));
        cr_assert_eq(old_wire_parse(&PA, bytes, la, &ra), dk_wire_parse(&PB, bytes, la, &rb));
        cr_assert_eq(ra, rb);
    }
    cr_assert_eq(old_frame_add_cmd(NULL, 1, pay, 8), dk_frame_add_cmd(NULL, 1, pay, 8));
    cr_assert_eq(old_frame_add_buf(NULL, 1, 1, 0, 1), dk_frame_add_buf(NULL, 1, 1, 0, 1));
    cr_assert_eq(old_frame_init(NULL, 0, 0), dk_frame_init(NULL, 0, 0));
}
