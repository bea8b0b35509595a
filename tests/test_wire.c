/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire format v1 parser (include/driverkit/wire.h): one malformed frame per
 * parser reason code, race-proofing of the parse copy, and the golden byte
 * vectors of tests/golden/ (the ABI freeze). The encoder's round trip and
 * bounds are in test_wire_encode.c.
 *
 * The bytes under test are written by wire_fixture.h's own little-endian
 * writer (ref_encode) or read from hand-written hex, never only by the
 * library's encoder, so an encoder bug cannot hide a parser bug or move the
 * format.
 */
#include "wire_fixture.h"

#ifndef DK_GOLDEN_DIR
#define DK_GOLDEN_DIR "tests/golden" /* CMake passes the absolute path */
#endif

/* ---- one malformed frame per parser reason ---- */

struct edit {
    uint32_t off;
    uint8_t val;
};

struct bad_case {
    const char *what;      /* the edit, in words */
    struct edit e[6];      /* byte edits of the base; the first {0, 0} ends the list */
    int32_t recv;          /* bytes handed to the parser: 0 = total_len, >0 exact, <0 total+recv */
    enum dk_reason reason; /* expected; DK_R_NONE = must be accepted */
};

#define RECV_EXTRA 1000000 /* marker: total_len + 1 bytes */

/* Malformed frames, then accepted variants (reason DK_R_NONE). */
static const struct bad_case bad[] = {
    /* TRUNCATED: fewer bytes than the header or total_len asks for */
    {"31 bytes: header cut", {{0, 0}}, 31, DK_R_WIRE_TRUNCATED},
    {"1 byte", {{0, 0}}, 1, DK_R_WIRE_TRUNCATED},
    {"total_len > received: last byte missing", {{0, 0}}, -1, DK_R_WIRE_TRUNCATED},
    {"total_len 16561 (byte 8 b0->b1), 16560 received",
     {{H_TOTAL, 0xb1}},
     BASE_LEN,
     DK_R_WIRE_TRUNCATED},
    /* BAD_MAGIC */
    {"magic byte 0 'D'->'d'", {{H_MAGIC, 'd'}}, 0, DK_R_WIRE_BAD_MAGIC},
    {"magic byte 3 'F'->0", {{H_MAGIC + 3, 0}}, 0, DK_R_WIRE_BAD_MAGIC},
    /* MAJOR */
    {"major 2", {{H_MAJOR, 2}}, 0, DK_R_WIRE_MAJOR},
    {"major 0", {{H_MAJOR, 0}}, 0, DK_R_WIRE_MAJOR},
    /* FLAGS: unknown bits are refused at any minor */
    {"flags 0x2, minor 0", {{H_FLAGS, 2}}, 0, DK_R_WIRE_FLAGS},
    {"minor 7 with unknown flag 0x2", {{H_MINOR, 7}, {H_FLAGS, 2}}, 0, DK_R_WIRE_FLAGS},
    {"minor 7 with BARRIER|0x80000000",
     {{H_MINOR, 7}, {H_FLAGS, 1}, {H_FLAGS + 3, 0x80}},
     0,
     DK_R_WIRE_FLAGS},
    /* HEADER_SIZE */
    {"header_size 40", {{H_HSIZE, 40}}, 0, DK_R_WIRE_HEADER_SIZE},
    {"header_size 31", {{H_HSIZE, 31}}, 0, DK_R_WIRE_HEADER_SIZE},
    {"header_size 288 (byte 7 -> 1)", {{H_HSIZE + 1, 1}}, 0, DK_R_WIRE_HEADER_SIZE},
    /* LENGTH: the sections do not add up, or bytes are left over */
    {"total_len < received: one extra byte", {{0, 0}}, RECV_EXTRA, DK_R_WIRE_LENGTH},
    {"n_waits 2->1: sections 16 short of total_len", {{H_NW, 1}}, 0, DK_R_WIRE_LENGTH},
    {"cmd_bytes +1 (byte 24 0x20->0x21)", {{H_CMDB, 0x21}}, 0, DK_R_WIRE_LENGTH},
    {"32-bit wrap: cmd_bytes 0xfffffff0, total_len 128 = (32+64+48-16) mod 2^32, 128 received",
     {{H_TOTAL, 0x80},
      {H_TOTAL + 1, 0},
      {H_CMDB, 0xf0},
      {H_CMDB + 1, 0xff},
      {H_CMDB + 2, 0xff},
      {H_CMDB + 3, 0xff}},
     128,
     DK_R_WIRE_LENGTH},
    {"n_cmds 3->2: the last command's 16 bytes left over", {{H_NC, 2}}, 0, DK_R_WIRE_LENGTH},
    /* FRAME_CAP */
    {"65537 bytes received", {{0, 0}}, (int32_t)DK_WIRE_FRAME_MAX + 1, DK_R_WIRE_FRAME_CAP},
    {"total_len + 65536 (byte 10 -> 1)", {{H_TOTAL + 2, 1}}, 0, DK_R_WIRE_FRAME_CAP},
    /* counts over their caps */
    {"n_waits 17", {{H_NW, 17}}, 0, DK_R_WIRE_WAITS_CAP},
    {"n_waits 0xff02", {{H_NW + 1, 0xff}}, 0, DK_R_WIRE_WAITS_CAP},
    {"n_signals 17", {{H_NS, 17}}, 0, DK_R_WIRE_SIGNALS_CAP},
    {"n_bufs 65", {{H_NB, 65}}, 0, DK_R_WIRE_BUFS_CAP},
    {"n_cmds 65", {{H_NC, 65}}, 0, DK_R_WIRE_CMDS_CAP},
    /* RESERVED: every reserved byte range */
    {"header byte 29 = 1", {{H_RES29, 1}}, 0, DK_R_WIRE_RESERVED},
    {"header byte 30 = 1", {{H_RES30, 1}}, 0, DK_R_WIRE_RESERVED},
    {"header byte 31 = 0x80", {{H_RES30 + 1, 0x80}}, 0, DK_R_WIRE_RESERVED},
    {"wait 0 reserved word byte 0 = 1", {{W0 + 4, 1}}, 0, DK_R_WIRE_RESERVED},
    {"wait 1 reserved word byte 3 = 0x80", {{W1 + 7, 0x80}}, 0, DK_R_WIRE_RESERVED},
    {"signal 0 reserved word byte 0 = 1", {{S0 + 4, 1}}, 0, DK_R_WIRE_RESERVED},
    {"signal 1 reserved word byte 3 = 0x80", {{S1 + 7, 0x80}}, 0, DK_R_WIRE_RESERVED},
    {"buf 0 reserved byte 5 = 1", {{B0 + 5, 1}}, 0, DK_R_WIRE_RESERVED},
    {"buf 0 reserved byte 6 = 1", {{B0 + 6, 1}}, 0, DK_R_WIRE_RESERVED},
    {"buf 1 reserved byte 7 = 0xff", {{B1 + 7, 0xff}}, 0, DK_R_WIRE_RESERVED},
    {"cmd 0 reserved u16 byte 2 = 1", {{C0 + 2, 1}}, 0, DK_R_WIRE_RESERVED},
    {"cmd 0 reserved u16 byte 3 = 0x80", {{C0 + 3, 0x80}}, 0, DK_R_WIRE_RESERVED},
    {"cmd 2 (after 16 KiB) reserved u16 = 1", {{C2 + 2, 1}}, 0, DK_R_WIRE_RESERVED},
    /* OPCODE: classes 0x0 and 0x5..0xe (cmd 0's opcode high byte, 0x10) */
    {"opcode class 0x0", {{C0 + 1, 0x00}}, 0, DK_R_WIRE_OPCODE},
    {"opcode class 0x5", {{C0 + 1, 0x50}}, 0, DK_R_WIRE_OPCODE},
    {"opcode class 0x6", {{C0 + 1, 0x60}}, 0, DK_R_WIRE_OPCODE},
    {"opcode class 0x7", {{C0 + 1, 0x70}}, 0, DK_R_WIRE_OPCODE},
    {"opcode class 0x8", {{C0 + 1, 0x80}}, 0, DK_R_WIRE_OPCODE},
    {"opcode class 0x9", {{C0 + 1, 0x90}}, 0, DK_R_WIRE_OPCODE},
    {"opcode class 0xa", {{C0 + 1, 0xa0}}, 0, DK_R_WIRE_OPCODE},
    {"opcode class 0xb", {{C0 + 1, 0xb0}}, 0, DK_R_WIRE_OPCODE},
    {"opcode class 0xc", {{C0 + 1, 0xc0}}, 0, DK_R_WIRE_OPCODE},
    {"opcode class 0xd", {{C0 + 1, 0xd0}}, 0, DK_R_WIRE_OPCODE},
    {"opcode class 0xe", {{C0 + 1, 0xe0}}, 0, DK_R_WIRE_OPCODE},
    {"cmd 2 opcode class 0x0 (0x2001 -> 0x0001)", {{C2 + 1, 0x00}}, 0, DK_R_WIRE_OPCODE},
    /* BUF_OVERFLOW: 0xffffffffffffff00 + 0x140 wraps u64 (length byte 1 -> 1) */
    {"buf 0 offset+length overflows", {{B0 + 17, 0x01}}, 0, DK_R_WIRE_BUF_OVERFLOW},
    {"buf 1 offset 0xff00.. + length 0x0100..1000 overflows",
     {{B1 + 15, 0xff}, {B1 + 23, 0x01}},
     0,
     DK_R_WIRE_BUF_OVERFLOW},
    /* ACCESS */
    {"buf 0 access 0", {{B0 + 4, 0}}, 0, DK_R_WIRE_ACCESS},
    {"buf 0 access 0x4 (MAP is not an access)", {{B0 + 4, 4}}, 0, DK_R_WIRE_ACCESS},
    {"buf 1 access 0x83", {{B1 + 4, 0x83}}, 0, DK_R_WIRE_ACCESS},
    /* BUF_EMPTY */
    {"buf 1 length 0 (byte 1 0x10 -> 0)", {{B1 + 17, 0}}, 0, DK_R_WIRE_BUF_EMPTY},
    /* HANDLE: fence id or buffer handle 0 */
    {"wait 1 fence 0", {{W1, 0}}, 0, DK_R_WIRE_HANDLE},
    {"signal 0 fence 0", {{S0, 0}}, 0, DK_R_WIRE_HANDLE},
    {"buf 0 handle 0", {{B0, 0}}, 0, DK_R_WIRE_HANDLE},
    /* DUP_SIGNAL */
    {"signal 1 fence 0x24 -> 0x22 (signal 0's)", {{S1, 0x22}}, 0, DK_R_WIRE_DUP_SIGNAL},
    /* SELF_WAIT: waits on what the frame signals, or later */
    {"wait 0 on 0x22 value 9 == signal 9", {{W0, 0x22}}, 0, DK_R_WIRE_SELF_WAIT},
    {"wait 1 on 0x22 value 10 > signal 9", {{W1, 0x22}}, 0, DK_R_WIRE_SELF_WAIT},
    /* SIGNAL_ZERO */
    {"signal 0 value 0", {{S0 + 8, 0}}, 0, DK_R_WIRE_SIGNAL_ZERO},
    /* CMD_LEN */
    {"cmd 2 len 8 -> 9: past the section", {{C2 + 4, 9}}, 0, DK_R_WIRE_CMD_LEN},
    {"cmd 2 len 0x80000008", {{C2 + 7, 0x80}}, 0, DK_R_WIRE_CMD_LEN},
    {"cmd 1 len 16385: fits the section, over DK_WIRE_CMD_PAYLOAD_MAX",
     {{C1 + 4, 1}},
     0,
     DK_R_WIRE_CMD_LEN},
    {"n_cmds 3->4: no room for a 4th header", {{H_NC, 4}}, 0, DK_R_WIRE_CMD_LEN},
    /* QOS */
    {"qos 4", {{H_QOS, 4}}, 0, DK_R_WIRE_QOS},
    {"qos 0xff", {{H_QOS, 0xff}}, 0, DK_R_WIRE_QOS},

    /* accepted variants of the same edits: the rules are no stricter than documented */
    {"minor 7, BARRIER only: forward compatible", {{H_MINOR, 7}, {H_FLAGS, 1}}, 0, DK_R_NONE},
    {"minor 255, flags 0", {{H_MINOR, 0xff}}, 0, DK_R_NONE},
    {"wait 1 on 0x24 value 10 < signal 12", {{W1, 0x24}}, 0, DK_R_NONE},
    {"wait 0 on 0x24 value 9 < signal 12", {{W0, 0x24}}, 0, DK_R_NONE},
    {"qos 0", {{H_QOS, 0}}, 0, DK_R_NONE},
    {"qos 3", {{H_QOS, 3}}, 0, DK_R_NONE},
    {"buf 0 access WRITE", {{B0 + 4, 2}}, 0, DK_R_NONE},
    {"buf 0 offset+length == UINT64_MAX exactly", {{B0 + 16, 0xff}}, 0, DK_R_NONE},
    {"opcode class 0x2", {{C0 + 1, 0x20}}, 0, DK_R_NONE},
    {"opcode class 0x3", {{C0 + 1, 0x30}}, 0, DK_R_NONE},
    {"opcode class 0x4", {{C0 + 1, 0x40}}, 0, DK_R_NONE},
    {"opcode class 0xf", {{C0 + 1, 0xf0}}, 0, DK_R_NONE},
    {"signal 0 value 1", {{S0 + 8, 1}}, 0, DK_R_NONE},
    {"wait 0 value 0", {{W0 + 8, 0}}, 0, DK_R_NONE},
};

static uint8_t edited[DK_WIRE_FRAME_MAX + 2];

static size_t apply(const struct bad_case *c)
{
    size_t len;

    memset(edited, 0, sizeof(edited));
    memcpy(edited, base, BASE_LEN);
    for (unsigned i = 0; i < DK_ARRAY_LEN(c->e) && (c->e[i].off != 0 || c->e[i].val != 0); i++)
        edited[c->e[i].off] = c->e[i].val;
    if (c->recv == RECV_EXTRA)
        len = BASE_LEN + 1;
    else if (c->recv > 0)
        len = (size_t)c->recv;
    else
        len = (size_t)((int32_t)BASE_LEN + c->recv);
    cr_assert_leq(len, sizeof(edited));
    return len;
}

Test(wire_parse, one_malformed_frame_per_reason, .init = base_setup)
{
    for (size_t k = 0; k < DK_ARRAY_LEN(bad); k++) {
        const struct bad_case *c = &bad[k];
        size_t len = apply(c);
        enum dk_reason why = DK_R_BAD_ENUM;
        int rc;

        /* Poison the output as if a previous parse had left a valid frame of
         * 0xff bytes: a parser that reads its copy past len (e.g. after a
         * wrapped 32-bit length sum) then meets 0xff, not zeros, and says so. */
        memset(&F, 0xff, sizeof(F));
        F.magic = DK_FRAME_VALID;
        rc = parse_exact(&F, edited, len, &why);
        if (c->reason == DK_R_NONE) {
            cr_expect_eq(rc, DK_OK, "[%s] refused: %s", c->what, dk_reason_str(why));
            cr_expect_eq(why, DK_R_NONE, "[%s]", c->what);
            /* every field decoded as written: re-writing it gives the same bytes */
            if (rc == DK_OK) {
                cr_expect_eq(ref_encode(&F, F.minor, reenc), len, "[%s]", c->what);
                cr_expect_eq(memcmp(reenc, edited, len), 0, "[%s] decoded fields differ", c->what);
            }
            continue;
        }
        cr_expect_eq(rc, DK_E_MALFORMED, "[%s] status %s", c->what, dk_status_str(rc));
        cr_expect_eq(why, c->reason, "[%s] reason %s, expected %s", c->what, dk_reason_str(why),
                     dk_reason_str(c->reason));
        cr_expect_neq(F.magic, DK_FRAME_VALID, "[%s] refused frame left marked valid", c->what);
        cr_expect_eq(dk_wire_size(&F), 0, "[%s]", c->what);
        cr_expect_null(dk_frame_cmd_payload(&F, 0), "[%s]", c->what);
    }
}

/* Adding a reason code without a malformed frame for it fails here. */
Test(wire_parse, table_covers_every_wire_reason)
{
    int r;

    for (r = DK_R_WIRE_TRUNCATED; strcmp(dk_reason_str(r), "DK_R_?") != 0; r++) {
        unsigned n = 0;

        cr_assert_lt(r, DK_R_WIRE_TRUNCATED + 100);
        cr_expect_eq(dk_reason_status(r), DK_E_MALFORMED, "%s", dk_reason_str(r));
        for (size_t k = 0; k < DK_ARRAY_LEN(bad); k++)
            n += bad[k].reason == (enum dk_reason)r;
        if (r == DK_R_WIRE_SIGNAL_JUMP)
            cr_expect_eq(n, 0, "SIGNAL_JUMP needs fence state: test_submit.c covers it");
        else
            cr_expect_gt(n, 0, "no malformed frame for %s", dk_reason_str(r));
    }
    cr_assert_eq(r, DK_R_WIRE_SIGNAL_ZERO + 1, "wire reasons end at %d", r - 1);
}

Test(wire_parse, null_arguments)
{
    enum dk_reason why = DK_R_NONE;

    cr_assert_eq(dk_wire_parse(NULL, base, 32, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_wire_parse(&F, NULL, 32, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_wire_parse(&F, NULL, 0, &why), DK_E_MALFORMED);
    cr_assert_eq(why, DK_R_WIRE_TRUNCATED);
    cr_assert_eq(dk_wire_parse(&F, base, 0, NULL), DK_E_MALFORMED);
}

/* ---- race-proofing: the parse works on a private copy ---- */

Test(wire_parse, source_overwritten_after_parse_changes_nothing, .init = base_setup)
{
    static struct dk_frame snap;
    uint8_t *src = malloc(BASE_LEN);

    cr_assert_not_null(src);
    memcpy(src, base, BASE_LEN);
    cr_assert_eq(dk_wire_parse(&F, src, BASE_LEN, NULL), DK_OK);
    memcpy(&snap, &F, sizeof(F));
    memset(src, 0xa5, BASE_LEN); /* the client keeps writing its shared buffer */
    cr_assert_eq(memcmp(&snap, &F, sizeof(F)), 0);
    frame_eq(&F, &G, "after overwrite");
    for (uint32_t i = 0; i < F.n_cmds; i++) {
        const uint8_t *p = dk_frame_cmd_payload(&F, i);
        cr_assert(p >= F.raw && p + F.cmds[i].len <= F.raw + sizeof(F.raw),
                  "cmd %u payload points outside the frame's own copy", i);
    }
    free(src);
}

Test(wire_parse, reads_nothing_past_len_any_prefix_any_alignment, .init = base_setup)
{
    static uint8_t shifted[BASE_LEN + 8];
    enum dk_reason why;

    /* Every proper prefix of a valid frame is refused, read from a block of exactly that size. */
    for (size_t n = 0; n < BASE_LEN; n++) {
        why = DK_R_NONE;
        cr_assert_eq(parse_exact(&F, base, n, &why), DK_E_MALFORMED, "prefix %zu", n);
        cr_assert_eq(why, DK_R_WIRE_TRUNCATED, "prefix %zu: %s", n, dk_reason_str(why));
    }
    cr_assert_eq(parse_exact(&F, base, BASE_LEN, &why), DK_OK);
    /* Any alignment of the source. */
    for (size_t a = 1; a < 8; a++) {
        memcpy(shifted + a, base, BASE_LEN);
        cr_assert_eq(dk_wire_parse(&F, shifted + a, BASE_LEN, &why), DK_OK, "align %zu", a);
        frame_eq(&F, &G, "unaligned source");
    }
}

/* ---- golden vectors: hand-written hex, the ABI freeze ---- */

/* Load a hex file: two hex digits per byte, whitespace between bytes, '#' to end of line. */
static size_t load_hex(const char *name, uint8_t *out, size_t cap)
{
    char path[1024], tok[8];
    size_t n = 0, t = 0;
    FILE *fp;
    int ch;

    snprintf(path, sizeof(path), "%s/%s", DK_GOLDEN_DIR, name);
    fp = fopen(path, "r");
    cr_assert_not_null(fp, "cannot open %s (is DK_GOLDEN_DIR set?)", path);
    do {
        ch = fgetc(fp);
        if (ch == '#')
            while (ch != '\n' && ch != EOF)
                ch = fgetc(fp);
        if (ch == EOF || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            if (t != 0) {
                unsigned v;
                tok[t] = 0;
                cr_assert(t == 2 && sscanf(tok, "%2x", &v) == 1, "%s: bad token '%s'", name, tok);
                cr_assert_lt(n, cap);
                out[n++] = (uint8_t)v;
                t = 0;
            }
            continue;
        }
        cr_assert(strchr("0123456789abcdefABCDEF", ch) != NULL, "%s: bad char '%c'", name, ch);
        cr_assert_lt(t, sizeof(tok) - 1);
        tok[t++] = (char)ch;
    } while (ch != EOF);
    fclose(fp);
    return n;
}

static void add_pattern_cmd(struct dk_frame *f, uint16_t op, unsigned k, uint32_t len)
{
    uint8_t p[256];

    for (uint32_t j = 0; j < len; j++)
        p[j] = (uint8_t)(k * 0x20 + j);
    cr_assert_eq(dk_frame_add_cmd(f, op, p, len), DK_OK);
}

/* The decoded fields of each golden file, written out (tests/golden/README.md). */
static void expect_empty(struct dk_frame *f)
{
    cr_assert_eq(dk_frame_init(f, DK_QOS_IDLE, 0), DK_OK);
}

static void expect_typical(struct dk_frame *f)
{
    static const uint32_t lens[8] = {96, 128, 64, 80, 112, 48, 72, 72};
    static const uint16_t ops[8] = {0x1000, 0x2001, 0x2002, 0x3001, 0x3fff, 0x4001, 0x4abc, 0x1000};

    cr_assert_eq(dk_frame_init(f, DK_QOS_INTERACTIVE, 0), DK_OK);
    cr_assert_eq(dk_frame_add_wait(f, 0x00010001, 0x10), DK_OK);
    cr_assert_eq(dk_frame_add_wait(f, 0x00020003, 0x123456789aull), DK_OK);
    cr_assert_eq(dk_frame_add_signal(f, 0x00010002, 0x11), DK_OK);
    cr_assert_eq(dk_frame_add_signal(f, 0x00000004, 0xffffffff00000001ull), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, 0x00000001, DK_BUF_READ, 0, 0x1000), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, 0x00000002, DK_BUF_WRITE, 0x1000, 0x2000), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, 0x00030003, DK_BUF_READ | DK_BUF_WRITE, 0x10, 0x30), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, 0x00000004, DK_BUF_READ, 0xffffffffull, 1), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, 0x00000005, DK_BUF_WRITE, 0x100000000ull, 0x1000), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, 0x00000006, DK_BUF_READ | DK_BUF_WRITE, 0, 0x10000), DK_OK);
    cr_assert_eq(
        dk_frame_add_buf(f, 0x00070007, DK_BUF_READ, 0x7fffffffffffffffull, 0x8000000000000000ull),
        DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, 0x00000008, DK_BUF_WRITE, 0x200, 0x200), DK_OK);
    for (unsigned k = 0; k < 8; k++)
        add_pattern_cmd(f, ops[k], k, lens[k]);
}

static void expect_vendor(struct dk_frame *f)
{
    static const uint8_t dead[4] = {0xde, 0xad, 0xbe, 0xef};

    cr_assert_eq(dk_frame_init(f, DK_QOS_PERFBURST, 0), DK_OK);
    cr_assert_eq(dk_frame_add_signal(f, 0x00020005, 7), DK_OK);
    cr_assert_eq(dk_frame_add_buf(f, 0x00010009, DK_BUF_READ | DK_BUF_WRITE, 0x40, 0x80), DK_OK);
    cr_assert_eq(dk_frame_add_cmd(f, 0xfabc, "vendor opaque", 13), DK_OK);
    cr_assert_eq(dk_frame_add_cmd(f, 0xffff, dead, 4), DK_OK);
}

static void expect_minor(struct dk_frame *f)
{
    cr_assert_eq(dk_frame_init(f, DK_QOS_NORMAL, DK_WIRE_F_BARRIER), DK_OK);
    cr_assert_eq(dk_frame_add_wait(f, 0x00000003, 1), DK_OK);
    cr_assert_eq(dk_frame_add_cmd(f, DK_OP_NOP, NULL, 0), DK_OK);
    f->minor = 3; /* the file says 1.3 */
}

struct golden {
    const char *file;
    size_t len;
    void (*expect)(struct dk_frame *);
};

static const struct golden goldens[] = {
    {"empty.hex", 32, expect_empty},
    {"typical.hex", 1024, expect_typical},
    {"vendor.hex", 105, expect_vendor},
    {"minor.hex", 56, expect_minor},
};

static uint8_t gold[DK_WIRE_FRAME_MAX];

Test(wire_golden, parse_gives_the_listed_fields)
{
    for (size_t k = 0; k < DK_ARRAY_LEN(goldens); k++) {
        enum dk_reason why = DK_R_BAD_ENUM;
        size_t n = load_hex(goldens[k].file, gold, sizeof(gold));

        cr_assert_eq(n, goldens[k].len, "%s: %zu bytes", goldens[k].file, n);
        cr_assert_eq(parse_exact(&F, gold, n, &why), DK_OK, "%s: %s", goldens[k].file,
                     dk_reason_str(why));
        goldens[k].expect(&G);
        frame_eq(&F, &G, goldens[k].file);
        /* this file's independent writer agrees with the file, byte for byte */
        cr_assert_eq(ref_encode(&G, G.minor, reenc), n, "%s", goldens[k].file);
        cr_assert_eq(memcmp(reenc, gold, n), 0, "%s: reference bytes differ", goldens[k].file);
    }
}

Test(wire_golden, encode_of_decoded_frame_reproduces_the_file)
{
    for (size_t k = 0; k < DK_ARRAY_LEN(goldens); k++) {
        size_t n = load_hex(goldens[k].file, gold, sizeof(gold)), len = 0;
        enum dk_reason why = DK_R_BAD_ENUM;

        cr_assert_eq(dk_wire_parse(&F, gold, n, NULL), DK_OK, "%s", goldens[k].file);
        cr_assert_eq(dk_wire_size(&F), n, "%s", goldens[k].file);
        memset(wbuf, 0xcc, sizeof(wbuf));
        cr_expect_eq(dk_wire_encode(&F, wbuf, sizeof(wbuf), &len, &why), DK_OK, "%s: %s",
                     goldens[k].file, dk_reason_str(why));
        cr_expect_eq(len, n, "%s", goldens[k].file);
        for (size_t i = 0; i < n; i++)
            cr_expect_eq(wbuf[i], gold[i], "%s: byte %zu is %02x, file has %02x", goldens[k].file,
                         i, wbuf[i], gold[i]);
    }
}

Test(wire_golden, builder_encodes_the_v1_0_files)
{
    for (size_t k = 0; k < DK_ARRAY_LEN(goldens); k++) {
        size_t n = load_hex(goldens[k].file, gold, sizeof(gold)), len = 0;

        goldens[k].expect(&G);
        if (G.minor != DK_WIRE_MINOR)
            continue; /* the builder writes this library's minor */
        cr_assert_eq(dk_wire_encode(&G, wbuf, sizeof(wbuf), &len, NULL), DK_OK, "%s",
                     goldens[k].file);
        cr_assert_eq(len, n, "%s", goldens[k].file);
        cr_assert_eq(memcmp(wbuf, gold, n), 0, "%s", goldens[k].file);
    }
}

/* wire.h: parse(encode(f)) decodes to the same fields; minor is a field. */
Test(wire_encode, newer_minor_survives_encode_parse)
{
    size_t n = load_hex("minor.hex", gold, sizeof(gold)), len = 0;

    cr_assert_eq(dk_wire_parse(&F, gold, n, NULL), DK_OK);
    cr_assert_eq(F.minor, 3);
    cr_assert_eq(dk_wire_encode(&F, wbuf, sizeof(wbuf), &len, NULL), DK_OK);
    cr_assert_eq(dk_wire_parse(&G, wbuf, len, NULL), DK_OK);
    cr_expect_eq(G.minor, 3, "encode wrote minor %u for a frame of minor 3", G.minor);
}
