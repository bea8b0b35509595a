/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire format v1 encoder (include/driverkit/wire.h): a seeded round trip of
 * random valid frames, the caller-buffer bound, the builder's caps, and the
 * rule that the encoder refuses what the parser refuses, with the same reason.
 */
#include "wire_fixture.h"

/* ---- round trip of random valid frames ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_id(void)
{
    return (rnd() & 3) ? (uint32_t)(1 + rnd() % 24) : (uint32_t)(rnd() | 1); /* collide often */
}

static void random_frame(struct dk_frame *f)
{
    static const uint8_t classes[5] = {DK_OPC_CORE, DK_OPC_XFER, DK_OPC_BLOCK, DK_OPC_ACCEL,
                                       DK_OPC_VENDOR};
    static uint8_t pay[DK_WIRE_CMD_PAYLOAD_MAX];
    unsigned nw = rnd() % 17, ns = rnd() % 17, nb = rnd() % 65, nc = rnd() % 65, i, j;
    int fill = rnd() % 16 == 0;
    uint32_t budget;

    cr_assert_eq(dk_frame_init(f, (unsigned)(rnd() % 4), (uint32_t)(rnd() & 1)), DK_OK);
    for (i = 0; i < ns; i++) {
        uint32_t id;
        do {
            id = rnd_id();
            for (j = 0; j < f->n_signals && f->signals[j].fence != id; j++)
                ;
        } while (j < f->n_signals);
        cr_assert_eq(dk_frame_add_signal(f, id, (rnd() & 1) ? 1 + rnd() % 64 : rnd() | 1), DK_OK);
    }
    for (i = 0; i < nw; i++) {
        uint32_t id = rnd_id();
        uint64_t v = (rnd() & 7) ? rnd() % 100 : rnd();
        for (j = 0; j < f->n_signals; j++)
            if (f->signals[j].fence == id)
                v = rnd() % f->signals[j].value; /* below what the frame signals */
        cr_assert_eq(dk_frame_add_wait(f, id, v), DK_OK);
    }
    for (i = 0; i < nb; i++) {
        uint64_t len = (rnd() & 1) ? 1 + rnd() % 8192 : (rnd() | 1);
        uint64_t off = rnd() % (UINT64_MAX - len + 1);
        cr_assert_eq(dk_frame_add_buf(f, (uint32_t)(rnd() | 1), 1 + rnd() % 3, off, len), DK_OK);
    }
    budget = DK_WIRE_FRAME_MAX - DK_WIRE_HEADER_SIZE - 16 * (nw + ns) - 24 * nb - 8 * nc;
    for (i = 0; i < nc; i++) {
        uint32_t len = fill
                           ? DK_WIRE_CMD_PAYLOAD_MAX
                           : (rnd() % 8 == 0 ? (uint32_t)(rnd() % 16385) : (uint32_t)(rnd() % 200));
        uint16_t op = (uint16_t)(classes[rnd() % 5] << 12 | (rnd() & 0xfff));
        if (len > budget)
            len = budget;
        for (j = 0; j < len; j++)
            pay[j] = (uint8_t)rnd();
        cr_assert_eq(dk_frame_add_cmd(f, op, pay, len), DK_OK);
        budget -= len;
    }
}

Test(wire_encode, random_valid_frames_round_trip)
{
    unsigned full = 0;

    for (unsigned k = 0; k < 5000; k++) {
        size_t len = 0;
        enum dk_reason why = DK_R_BAD_ENUM;

        random_frame(&G);
        cr_assert_eq(dk_wire_encode(&G, wbuf, sizeof(wbuf), &len, &why), DK_OK, "frame %u: %s", k,
                     dk_reason_str(why));
        cr_assert_eq(why, DK_R_NONE);
        cr_assert_eq(len, dk_wire_size(&G), "frame %u", k);
        cr_assert_eq(ref_encode(&G, 0, reenc), len, "frame %u", k);
        cr_assert_eq(memcmp(wbuf, reenc, len), 0, "frame %u: encoder differs from the format", k);
        cr_assert_eq(parse_exact(&F, wbuf, len, &why), DK_OK, "frame %u: %s", k,
                     dk_reason_str(why));
        frame_eq(&F, &G, "round trip");
        full += len == DK_WIRE_FRAME_MAX;
    }
    cr_assert_gt(full, 0, "no frame reached the 64 KiB cap");
}

/* ---- encoder bounds ---- */

Test(wire_encode, cap_too_small_writes_nothing_past_cap, .init = base_setup)
{
    static const size_t caps[] = {0, 1, 31, 32, 100, BASE_LEN - 1};

    for (size_t k = 0; k < DK_ARRAY_LEN(caps); k++) {
        size_t len = 12345;
        enum dk_reason why = DK_R_NONE;

        memset(wbuf, 0xcc, sizeof(wbuf));
        cr_assert_eq(dk_wire_encode(&G, wbuf, caps[k], &len, &why), DK_E_NO_SPACE, "cap %zu",
                     caps[k]);
        cr_assert_eq(why, DK_R_OUT_SMALL);
        for (size_t i = caps[k]; i < sizeof(wbuf); i++)
            cr_assert_eq(wbuf[i], 0xcc, "cap %zu: byte %zu written", caps[k], i);
    }
    memset(wbuf, 0xcc, sizeof(wbuf));
    size_t len = 0;
    cr_assert_eq(dk_wire_encode(&G, wbuf, BASE_LEN, &len, NULL), DK_OK);
    cr_assert_eq(len, BASE_LEN);
    cr_assert_eq(memcmp(wbuf, base, BASE_LEN), 0);
    cr_assert_eq(wbuf[BASE_LEN], 0xcc);
}

Test(wire_encode, builder_caps)
{
    static uint8_t big[DK_WIRE_CMD_PAYLOAD_MAX + 1];
    unsigned i;

    cr_assert_eq(dk_frame_init(&G, DK_QOS_COUNT, 0), DK_E_INVAL);
    cr_assert_eq(dk_frame_init(&G, DK_QOS_IDLE, 2), DK_E_INVAL);
    cr_assert_eq(dk_frame_init(&G, DK_QOS_IDLE, 0), DK_OK);
    for (i = 0; i < DK_WIRE_WAITS_MAX; i++)
        cr_assert_eq(dk_frame_add_wait(&G, 100 + i, i), DK_OK);
    cr_assert_eq(dk_frame_add_wait(&G, 1, 1), DK_E_MALFORMED);
    for (i = 0; i < DK_WIRE_SIGNALS_MAX; i++)
        cr_assert_eq(dk_frame_add_signal(&G, 200 + i, 1 + i), DK_OK);
    cr_assert_eq(dk_frame_add_signal(&G, 1, 1), DK_E_MALFORMED);
    for (i = 0; i < DK_WIRE_BUFS_MAX; i++)
        cr_assert_eq(dk_frame_add_buf(&G, 1 + i, DK_BUF_READ, 0, 1), DK_OK);
    cr_assert_eq(dk_frame_add_buf(&G, 1, DK_BUF_READ, 0, 1), DK_E_MALFORMED);
    cr_assert_eq(dk_frame_add_cmd(&G, DK_OP_NOP, big, DK_WIRE_CMD_PAYLOAD_MAX + 1), DK_E_MALFORMED);
    cr_assert_eq(dk_frame_add_cmd(&G, DK_OP_NOP, NULL, 1), DK_E_INVAL);
    for (i = 0; i < DK_WIRE_CMDS_MAX; i++)
        cr_assert_eq(dk_frame_add_cmd(&G, DK_OP_NOP, NULL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_cmd(&G, DK_OP_NOP, NULL, 0), DK_E_MALFORMED);
    /* the refusals left the counts at their caps */
    cr_assert_eq(G.n_waits, DK_WIRE_WAITS_MAX);
    cr_assert_eq(G.n_signals, DK_WIRE_SIGNALS_MAX);
    cr_assert_eq(G.n_bufs, DK_WIRE_BUFS_MAX);
    cr_assert_eq(G.n_cmds, DK_WIRE_CMDS_MAX);
    /* a frame full to every count cap still encodes and parses */
    size_t len = 0;
    cr_assert_eq(dk_wire_encode(&G, wbuf, sizeof(wbuf), &len, NULL), DK_OK);
    cr_assert_eq(dk_wire_parse(&F, wbuf, len, NULL), DK_OK);
    frame_eq(&F, &G, "full counts");
    /* wire size: three 16 KiB payloads fit in 64 KiB; a fourth would take
     * the frame past DK_WIRE_FRAME_MAX and the builder refuses it */
    cr_assert_eq(dk_frame_init(&G, DK_QOS_IDLE, 0), DK_OK);
    for (i = 0; i < 3; i++)
        cr_assert_eq(dk_frame_add_cmd(&G, DK_OP_NOP, big, DK_WIRE_CMD_PAYLOAD_MAX), DK_OK);
    cr_assert_eq(dk_frame_add_cmd(&G, DK_OP_NOP, big, DK_WIRE_CMD_PAYLOAD_MAX), DK_E_MALFORMED);
    cr_assert_eq(G.n_cmds, 3);
    /* the largest command that still fits is accepted: 64 KiB exactly */
    cr_assert_eq(dk_frame_add_cmd(&G, DK_OP_NOP, big,
                                  DK_WIRE_FRAME_MAX - (uint32_t)dk_wire_size(&G) - DK_WIRE_CMD_HEADER),
                 DK_OK);
    cr_assert_eq(dk_wire_size(&G), DK_WIRE_FRAME_MAX);
}

#define OK(call) cr_assert_eq((call), DK_OK, #call)

/* Frames the builder accepts but the format forbids: the encoder refuses each with
 * the reason the parser gives for the same frame's bytes. */
Test(wire_encode, refuses_what_the_parser_refuses)
{
    static uint8_t big[DK_WIRE_CMD_PAYLOAD_MAX];
    for (unsigned k = 0; k < 10; k++) {
        enum dk_reason ewhy = DK_R_NONE, pwhy = DK_R_NONE, want;
        size_t len = 0, n;

        cr_assert_eq(dk_frame_init(&G, DK_QOS_NORMAL, 0), DK_OK);
        switch (k) {
        case 0:
            OK(dk_frame_add_signal(&G, 5, 1));
            OK(dk_frame_add_signal(&G, 5, 2));
            want = DK_R_WIRE_DUP_SIGNAL;
            break;
        case 1:
            OK(dk_frame_add_signal(&G, 5, 3));
            OK(dk_frame_add_wait(&G, 5, 3));
            want = DK_R_WIRE_SELF_WAIT;
            break;
        case 2:
            OK(dk_frame_add_signal(&G, 5, 0));
            want = DK_R_WIRE_SIGNAL_ZERO;
            break;
        case 3:
            OK(dk_frame_add_wait(&G, 0, 1));
            want = DK_R_WIRE_HANDLE;
            break;
        case 4:
            OK(dk_frame_add_buf(&G, 7, 0, 0, 1));
            want = DK_R_WIRE_ACCESS;
            break;
        case 5:
            OK(dk_frame_add_buf(&G, 7, DK_BUF_READ, 0, 0));
            want = DK_R_WIRE_BUF_EMPTY;
            break;
        case 6:
            OK(dk_frame_add_buf(&G, 7, DK_BUF_READ, UINT64_MAX, 1));
            want = DK_R_WIRE_BUF_OVERFLOW;
            break;
        case 7:
            OK(dk_frame_add_cmd(&G, 0x5000, NULL, 0));
            want = DK_R_WIRE_OPCODE;
            break;
        case 8:
            G.qos = 4;
            want = DK_R_WIRE_QOS;
            break;
        default: /* 32 + 4 * (8 + 16384) > 64 KiB: the builder refuses the
                  * fourth, so it is appended by hand, reusing a payload */
            for (unsigned i = 0; i < 3; i++)
                OK(dk_frame_add_cmd(&G, DK_OP_NOP, big, sizeof(big)));
            G.cmds[G.n_cmds] = G.cmds[0];
            G.n_cmds++;
            want = DK_R_WIRE_FRAME_CAP;
        }
        memset(wbuf, 0xcc, sizeof(wbuf));
        cr_expect_eq(dk_wire_encode(&G, wbuf, sizeof(wbuf), &len, &ewhy), DK_E_MALFORMED, "case %u",
                     k);
        cr_expect_eq(ewhy, want, "case %u: encode said %s", k, dk_reason_str(ewhy));
        cr_expect_eq(dk_wire_size(&G), 0, "case %u", k);
        n = ref_encode(&G, 0, reenc);
        cr_expect_eq(dk_wire_parse(&F, reenc, n, &pwhy), DK_E_MALFORMED, "case %u", k);
        cr_expect_eq(pwhy, ewhy, "case %u: parse %s, encode %s", k, dk_reason_str(pwhy),
                     dk_reason_str(ewhy));
    }
}

Test(wire_encode, invalid_frame_and_null_args)
{
    enum dk_reason why = DK_R_NONE;
    size_t len = 0;

    memset(&G, 0, sizeof(G));
    cr_assert_eq(dk_wire_encode(&G, wbuf, sizeof(wbuf), &len, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NOT_INIT);
    cr_assert_eq(dk_wire_size(&G), 0);
    cr_assert_eq(dk_wire_size(NULL), 0);
    cr_assert_eq(dk_frame_add_wait(&G, 1, 1), DK_E_INVAL);
    cr_assert_eq(dk_wire_encode(NULL, wbuf, sizeof(wbuf), &len, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_frame_init(&G, DK_QOS_IDLE, 0), DK_OK);
    cr_assert_eq(dk_wire_encode(&G, NULL, 64, &len, &why), DK_E_INVAL);
    cr_assert_eq(dk_wire_encode(&G, wbuf, 64, NULL, &why), DK_E_INVAL);
    cr_assert_null(dk_frame_cmd_payload(&G, 0));
}

/* ---- payload copies and the frame-size bound of dk_frame_add_cmd ---- */

/* A payload of @len bytes in a heap block of exactly that size, so ASan
 * sees any read past it; its bytes depend on @seed. Free it with free(). */
static uint8_t *payload_of(uint32_t len, uint32_t seed)
{
    uint8_t *p = malloc(len ? len : 1);

    cr_assert_not_null(p);
    for (uint32_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seed * 37u + i * 11u + 1u);
    return p;
}

/* Command @i of @f has length @len and the bytes of payload_of(len, seed). */
static void expect_payload(const struct dk_frame *f, uint32_t i, uint32_t len, uint32_t seed,
                           const char *what)
{
    uint8_t *want = payload_of(len, seed);
    const uint8_t *got = dk_frame_cmd_payload(f, i);

    cr_assert_not_null(got, "%s: cmd %u", what, i);
    cr_assert_eq(f->cmds[i].len, len, "%s: cmd %u len %u", what, i, f->cmds[i].len);
    cr_assert_eq(memcmp(got, want, len), 0, "%s: cmd %u (%u bytes) payload differs", what, i, len);
    free(want);
}

/* Every length 0..20, the short-copy sizes 8..16 among them, alone between
 * two neighbours and all in one frame: stored, encoded and parsed back byte
 * for byte, and no neighbour's bytes touched. */
Test(wire_encode, payloads_of_every_short_length_round_trip)
{
    enum { LEN_MAX = 20, NEIGHBOUR = 5 };
    enum dk_reason why = DK_R_BAD_ENUM;
    size_t len = 0;
    uint32_t n;

    for (n = 0; n <= LEN_MAX; n++) {
        uint8_t *before = payload_of(NEIGHBOUR, 1000), *p = payload_of(n, n),
                *after = payload_of(NEIGHBOUR, 2000);

        cr_assert_eq(dk_frame_init(&G, DK_QOS_NORMAL, 0), DK_OK);
        cr_assert_eq(dk_frame_add_cmd(&G, 0x2001, before, NEIGHBOUR), DK_OK);
        cr_assert_eq(dk_frame_add_cmd(&G, 0x2002, n != 0 ? p : NULL, n), DK_OK, "len %u", n);
        cr_assert_eq(dk_frame_add_cmd(&G, 0x2003, after, NEIGHBOUR), DK_OK);
        free(before);
        free(p);
        free(after);
        cr_assert_eq(G.raw_used, 2 * NEIGHBOUR + n);
        expect_payload(&G, 0, NEIGHBOUR, 1000, "built");
        expect_payload(&G, 1, n, n, "built");
        expect_payload(&G, 2, NEIGHBOUR, 2000, "built");
        cr_assert_eq(dk_wire_encode(&G, wbuf, sizeof(wbuf), &len, &why), DK_OK, "len %u: %s", n,
                     dk_reason_str(why));
        cr_assert_eq(len, DK_WIRE_HEADER_SIZE + 3 * DK_WIRE_CMD_HEADER + 2 * NEIGHBOUR + n);
        cr_assert_eq(ref_encode(&G, 0, reenc), len);
        cr_assert_eq(memcmp(wbuf, reenc, len), 0, "len %u: encoder differs from the format", n);
        cr_assert_eq(parse_exact(&F, wbuf, len, &why), DK_OK, "len %u: %s", n, dk_reason_str(why));
        expect_payload(&F, 0, NEIGHBOUR, 1000, "parsed");
        expect_payload(&F, 1, n, n, "parsed");
        expect_payload(&F, 2, NEIGHBOUR, 2000, "parsed");
        frame_eq(&F, &G, "one short payload");
    }

    /* All 21 back to back, each from a block of its own size. */
    cr_assert_eq(dk_frame_init(&G, DK_QOS_NORMAL, 0), DK_OK);
    for (n = 0; n <= LEN_MAX; n++) {
        uint8_t *p = payload_of(n, n + 50);
        cr_assert_eq(dk_frame_add_cmd(&G, DK_OP_NOP, p, n), DK_OK, "len %u", n);
        free(p);
    }
    cr_assert_eq(dk_wire_encode(&G, wbuf, sizeof(wbuf), &len, &why), DK_OK);
    cr_assert_eq(ref_encode(&G, 0, reenc), len);
    cr_assert_eq(memcmp(wbuf, reenc, len), 0);
    cr_assert_eq(parse_exact(&F, wbuf, len, &why), DK_OK);
    for (n = 0; n <= LEN_MAX; n++) {
        expect_payload(&G, n, n, n + 50, "built, back to back");
        expect_payload(&F, n, n, n + 50, "parsed, back to back");
    }
}

static struct dk_frame snap;

/* dk_frame_add_cmd(@f, @len bytes) is refused as malformed and @f is
 * unchanged, byte for byte. */
static void add_cmd_refused(struct dk_frame *f, uint32_t len, const char *what)
{
    static uint8_t pay[DK_WIRE_CMD_PAYLOAD_MAX];

    memcpy(&snap, f, sizeof(snap));
    cr_assert_eq(dk_frame_add_cmd(f, DK_OP_NOP, pay, len), DK_E_MALFORMED, "%s: %u bytes", what,
                 len);
    cr_assert_eq(f->n_cmds, snap.n_cmds, "%s", what);
    cr_assert_eq(f->raw_used, snap.raw_used, "%s", what);
    cr_assert_eq(memcmp(f, &snap, sizeof(snap)), 0, "%s: the refusal changed the frame", what);
}

/* Header, then commands of the payload cap until the last one, which takes
 * exactly what is left of 64 KiB: accepted, encoded, parsed; one byte more
 * in that last payload is refused with the frame unchanged. */
Test(wire_encode, frame_of_exactly_frame_max_and_one_byte_more)
{
    static uint8_t big[DK_WIRE_CMD_PAYLOAD_MAX];
    const uint32_t last = DK_WIRE_FRAME_MAX - DK_WIRE_HEADER_SIZE - 4 * DK_WIRE_CMD_HEADER -
                          3 * DK_WIRE_CMD_PAYLOAD_MAX;
    enum dk_reason why = DK_R_BAD_ENUM;
    size_t len = 0;

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 13 + 5);
    cr_assert_eq(dk_frame_init(&G, DK_QOS_NORMAL, 0), DK_OK);
    for (unsigned i = 0; i < 3; i++)
        cr_assert_eq(dk_frame_add_cmd(&G, 0x3000 + i, big, DK_WIRE_CMD_PAYLOAD_MAX), DK_OK);
    add_cmd_refused(&G, last + 1, "one byte past the cap");
    add_cmd_refused(&G, DK_WIRE_CMD_PAYLOAD_MAX, "a fourth payload of the cap");
    cr_assert_eq(dk_frame_add_cmd(&G, 0x3003, big + 1, last), DK_OK);
    cr_assert_eq(dk_wire_size(&G), DK_WIRE_FRAME_MAX);
    cr_assert_eq(G.raw_used, DK_WIRE_FRAME_MAX - DK_WIRE_HEADER_SIZE - 4 * DK_WIRE_CMD_HEADER);
    /* full: not even an empty command fits (it needs its 8-byte header) */
    add_cmd_refused(&G, 0, "an empty command into a full frame");
    cr_assert_eq(dk_wire_encode(&G, wbuf, sizeof(wbuf), &len, &why), DK_OK, "%s",
                 dk_reason_str(why));
    cr_assert_eq(len, DK_WIRE_FRAME_MAX);
    cr_assert_eq(ref_encode(&G, 0, reenc), len);
    cr_assert_eq(memcmp(wbuf, reenc, len), 0);
    cr_assert_eq(parse_exact(&F, wbuf, len, &why), DK_OK, "%s", dk_reason_str(why));
    frame_eq(&F, &G, "64 KiB exactly");
    /* a parsed frame of 64 KiB has no room left either */
    add_cmd_refused(&F, 0, "an empty command into a parsed full frame");
    cr_assert_eq(dk_wire_size(&F), DK_WIRE_FRAME_MAX);
}

/* Every wait, signal and buffer entry the format allows (2080 bytes of
 * fixed part), then payloads: the cut falls where those entries say. */
Test(wire_encode, full_tables_leave_the_rest_for_payloads)
{
    static uint8_t big[DK_WIRE_CMD_PAYLOAD_MAX];
    const uint32_t fixed = DK_WIRE_HEADER_SIZE +
                           DK_WIRE_FENCE_ENTRY * (DK_WIRE_WAITS_MAX + DK_WIRE_SIGNALS_MAX) +
                           DK_WIRE_BUF_ENTRY * DK_WIRE_BUFS_MAX;
    const uint32_t last =
        DK_WIRE_FRAME_MAX - fixed - 4 * DK_WIRE_CMD_HEADER - 3 * DK_WIRE_CMD_PAYLOAD_MAX;
    enum dk_reason why = DK_R_BAD_ENUM;
    size_t len = 0;
    unsigned i;

    cr_assert_eq(fixed, 2080);
    for (i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 3 + 1);
    cr_assert_eq(dk_frame_init(&G, DK_QOS_INTERACTIVE, DK_WIRE_F_BARRIER), DK_OK);
    for (i = 0; i < DK_WIRE_WAITS_MAX; i++)
        cr_assert_eq(dk_frame_add_wait(&G, 100 + i, i), DK_OK);
    for (i = 0; i < DK_WIRE_SIGNALS_MAX; i++)
        cr_assert_eq(dk_frame_add_signal(&G, 200 + i, 1 + i), DK_OK);
    for (i = 0; i < DK_WIRE_BUFS_MAX; i++)
        cr_assert_eq(dk_frame_add_buf(&G, 300 + i, 1 + i % 3, 4096ull * i, 512), DK_OK);
    cr_assert_eq(dk_wire_size(&G), fixed);
    for (i = 0; i < 3; i++)
        cr_assert_eq(dk_frame_add_cmd(&G, 0x4000 + i, big, DK_WIRE_CMD_PAYLOAD_MAX), DK_OK);
    add_cmd_refused(&G, last + 1, "full tables, one byte past the cap");
    cr_assert_eq(dk_frame_add_cmd(&G, 0x4003, big, last), DK_OK);
    cr_assert_eq(dk_wire_size(&G), DK_WIRE_FRAME_MAX);
    add_cmd_refused(&G, 0, "full tables, full frame");
    cr_assert_eq(dk_wire_encode(&G, wbuf, sizeof(wbuf), &len, &why), DK_OK, "%s",
                 dk_reason_str(why));
    cr_assert_eq(len, DK_WIRE_FRAME_MAX);
    cr_assert_eq(parse_exact(&F, wbuf, len, &why), DK_OK, "%s", dk_reason_str(why));
    frame_eq(&F, &G, "full tables, 64 KiB");
}

/* Regression: dk_frame_add_cmd compared against FRAME_MAX minus (fixed part
 * + payload bytes), which wraps once entries added after the payloads have
 * taken the frame past the cap, and a command was then accepted. */
Test(wire_encode, add_cmd_refuses_a_frame_already_past_the_cap)
{
    static uint8_t big[DK_WIRE_CMD_PAYLOAD_MAX];
    const uint32_t last = DK_WIRE_FRAME_MAX - DK_WIRE_HEADER_SIZE - 4 * DK_WIRE_CMD_HEADER -
                          3 * DK_WIRE_CMD_PAYLOAD_MAX;
    enum dk_reason why = DK_R_NONE;
    size_t len = 0;
    unsigned i;

    cr_assert_eq(dk_frame_init(&G, DK_QOS_NORMAL, 0), DK_OK);
    for (i = 0; i < 3; i++)
        cr_assert_eq(dk_frame_add_cmd(&G, DK_OP_NOP, big, DK_WIRE_CMD_PAYLOAD_MAX), DK_OK);
    cr_assert_eq(dk_frame_add_cmd(&G, DK_OP_NOP, big, last), DK_OK);
    /* the table builders check only their caps: 64 KiB + 24 and growing */
    for (i = 0; i < DK_WIRE_BUFS_MAX; i++) {
        cr_assert_eq(dk_frame_add_buf(&G, 1 + i, DK_BUF_READ, 0, 1), DK_OK);
        cr_assert_eq(dk_wire_size(&G), 0, "%u bufs: over the cap, yet valid", i + 1);
        add_cmd_refused(&G, 0, "an empty command into an over-cap frame");
        add_cmd_refused(&G, 1, "a 1-byte command into an over-cap frame");
    }
    for (i = 0; i < DK_WIRE_WAITS_MAX; i++)
        cr_assert_eq(dk_frame_add_wait(&G, 100 + i, 1), DK_OK);
    add_cmd_refused(&G, 0, "with every buffer and wait");
    cr_assert_eq(dk_wire_encode(&G, wbuf, sizeof(wbuf), &len, &why), DK_E_MALFORMED);
    cr_assert_eq(why, DK_R_WIRE_FRAME_CAP);
}
