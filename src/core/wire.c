/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire format v1: parse (copy, then validate and decode the copy) and
 * encode. Every byte of a frame comes from a client and is hostile until
 * checked; every check below has its own reason code (docs/wire.md).
 *
 * The rules of the decoded form are written once, as one ordered walk
 * (dk_frame_rules) that dk_frame_check(), dk_wire_size() and
 * dk_wire_encode() share, so a frame's first failing rule, and so its
 * reason, is the same whoever asks. The parser checks the same rules as
 * it decodes but only notes that one failed: the walk then names which,
 * so the reason is still the first in the walk's order.
 */
#include <driverkit/buf.h>
#include <driverkit/queue.h>
#include <driverkit/wire.h>

#include "internal.h"

/* Little-endian fields at any alignment. A fixed-size __builtin_memcpy is
 * a plain load or store (byte moves where the target needs them), never a
 * call. The byte order is a fact the compiler predefines, not a choice of
 * OS or architecture: the swap folds away on a little-endian target. */
static inline int dk_wire_swap(void)
{
    return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}

static inline uint64_t dk_le64(const uint8_t *p)
{
    uint64_t v;

    __builtin_memcpy(&v, p, sizeof v);
    return dk_wire_swap() ? __builtin_bswap64(v) : v;
}

static inline void dk_put64(uint8_t *p, uint64_t v)
{
    v = dk_wire_swap() ? __builtin_bswap64(v) : v;
    __builtin_memcpy(p, &v, sizeof v);
}

/* The first word of a buffer ref (handle, access, zero reserved bytes) and
 * of a command (opcode, zero reserved half-word, len), checked, into the
 * decoded entry: on a little-endian target that word is the entry's first
 * eight bytes as they are laid out in memory, one store. */
static inline void dk_put_buf_head(struct dk_wire_buf *b, uint64_t w)
{
    if (dk_wire_swap()) {
        b->handle = (uint32_t)w;
        b->access = (uint32_t)(w >> 32);
    } else {
        __builtin_memcpy(b, &w, sizeof w);
    }
}

static inline void dk_put_cmd_head(struct dk_wire_cmd *c, uint64_t w)
{
    if (dk_wire_swap()) {
        c->opcode = (uint16_t)w;
        c->pad = 0;
        c->len = (uint32_t)(w >> 32);
    } else {
        __builtin_memcpy(c, &w, sizeof w);
    }
}

/* The same first words read back from a decoded entry, for the encoder:
 * one load and a mask on a little-endian target. The mask keeps only what
 * goes on the wire (the access byte; the opcode and len, not the pad), so
 * the reserved bytes written are zero whatever the entry holds. */
static inline uint64_t dk_get_buf_head(const struct dk_wire_buf *b)
{
    uint64_t w;

    if (dk_wire_swap())
        return b->handle | (uint64_t)(uint8_t)b->access << 32;
    __builtin_memcpy(&w, b, sizeof w);
    return w & 0xffffffffffull;
}

static inline uint64_t dk_get_cmd_head(const struct dk_wire_cmd *c)
{
    uint64_t w;

    if (dk_wire_swap())
        return c->opcode | (uint64_t)c->len << 32;
    __builtin_memcpy(&w, c, sizeof w);
    return w & 0xffffffff0000ffffull;
}

/* A buffer ref's offset and length, adjacent on the wire and in the
 * decoded entry: one 16-byte move each way on a little-endian target. */
#define DK_BUF_SPAN __builtin_offsetof(struct dk_wire_buf, offset)
_Static_assert(__builtin_offsetof(struct dk_wire_buf, length) == DK_BUF_SPAN + 8u &&
                   sizeof(struct dk_wire_buf) == DK_BUF_SPAN + 16u,
               "offset and length are the last 16 bytes of a decoded buffer ref");

static inline void dk_put_span(uint8_t *p, const struct dk_wire_buf *b)
{
    if (dk_wire_swap()) {
        dk_put64(p, b->offset);
        dk_put64(p + 8, b->length);
    } else {
        __builtin_memcpy(p, (const uint8_t *)b + DK_BUF_SPAN, 16);
    }
}

static inline void dk_get_span(struct dk_wire_buf *b, const uint8_t *p)
{
    if (dk_wire_swap()) {
        b->offset = dk_le64(p);
        b->length = dk_le64(p + 8);
    } else {
        __builtin_memcpy((uint8_t *)b + DK_BUF_SPAN, p, 16);
    }
}

/* Copy a command payload. The usual ones are 8 or 16 bytes, which two
 * fixed-size copies cover (overlapping when shorter than 16) without a call
 * into the C library; the bytes are loaded before any is stored. */
static void dk_copy_payload(uint8_t *dst, const uint8_t *src, uint32_t n)
{
    if (n >= 8u && n <= 16u) {
        uint64_t a, b;

        __builtin_memcpy(&a, src, 8);
        __builtin_memcpy(&b, src + n - 8u, 8);
        __builtin_memcpy(dst, &a, 8);
        __builtin_memcpy(dst + n - 8u, &b, 8);
    } else if (n != 0) {
        __builtin_memcpy(dst, src, n);
    }
}

static int dk_malformed(enum dk_reason *why, enum dk_reason r)
{
    return dk_reject(why, r, DK_E_MALFORMED);
}

/* One bit per opcode class of enum dk_opclass: a shift and a test instead
 * of a switch. */
#define DK_OPC_KNOWN                                                                               \
    ((1u << DK_OPC_CORE) | (1u << DK_OPC_XFER) | (1u << DK_OPC_BLOCK) | (1u << DK_OPC_ACCEL) |     \
     (1u << DK_OPC_VENDOR))

static int dk_opclass_known(uint16_t opcode)
{
    return (DK_OPC_KNOWN >> DK_OPC_CLASS(opcode)) & 1u;
}

/* Wire bytes of everything but the command payloads (u64: no wrap is
 * possible for any u16 counts). */
static uint64_t dk_frame_fixed_len(const struct dk_frame *f)
{
    return DK_WIRE_HEADER_SIZE + (uint64_t)DK_WIRE_FENCE_ENTRY * (f->n_waits + f->n_signals) +
           (uint64_t)DK_WIRE_BUF_ENTRY * f->n_bufs + (uint64_t)DK_WIRE_CMD_HEADER * f->n_cmds;
}

/* The fence rules, in order; DK_R_NONE when they all hold. The caps on the
 * counts are checked before this is called. */
static enum dk_reason dk_fence_rules(const struct dk_frame *f)
{
    uint32_t i, j;

    for (i = 0; i < f->n_waits; i++)
        if (f->waits[i].fence == DK_HANDLE_INVALID)
            return DK_R_WIRE_HANDLE;
    for (i = 0; i < f->n_signals; i++) {
        if (f->signals[i].fence == DK_HANDLE_INVALID)
            return DK_R_WIRE_HANDLE;
        if (f->signals[i].value == 0)
            return DK_R_WIRE_SIGNAL_ZERO;
        for (j = 0; j < i; j++)
            if (f->signals[j].fence == f->signals[i].fence)
                return DK_R_WIRE_DUP_SIGNAL;
    }
    /* A frame that waits for a value it will itself signal (or a later one)
     * can never start: refuse it rather than let it hold a queue slot. */
    for (i = 0; i < f->n_waits; i++)
        for (j = 0; j < f->n_signals; j++)
            if (f->waits[i].fence == f->signals[j].fence &&
                f->waits[i].value >= f->signals[j].value)
                return DK_R_WIRE_SELF_WAIT;
    return DK_R_NONE;
}

/* The buffer-ref rules, in order; DK_R_NONE when they all hold. */
static enum dk_reason dk_buf_rule(const struct dk_wire_buf *b)
{
    if (b->handle == DK_HANDLE_INVALID)
        return DK_R_WIRE_HANDLE;
    if (b->access == 0 || (b->access & ~(uint32_t)(DK_BUF_READ | DK_BUF_WRITE)) != 0)
        return DK_R_WIRE_ACCESS;
    if (b->length == 0)
        return DK_R_WIRE_BUF_EMPTY;
    if (b->offset > UINT64_MAX - b->length)
        return DK_R_WIRE_BUF_OVERFLOW;
    return DK_R_NONE;
}

/*
 * Every rule that holds for the decoded form, in the one order that decides
 * which reason a bad frame gets. Structural rules of the byte layout
 * (magic, lengths, reserved bytes) are the parser's alone. On DK_OK,
 * *wire_len is the frame's encoded size (at most DK_WIRE_FRAME_MAX).
 */
static int dk_frame_rules(const struct dk_frame *f, uint32_t *wire_len, enum dk_reason *why)
{
    enum dk_reason r;
    uint64_t n;
    uint32_t i;

    if ((f->flags & ~(uint32_t)DK_WIRE_FLAGS_KNOWN) != 0)
        return dk_malformed(why, DK_R_WIRE_FLAGS);
    if (f->qos >= DK_QOS_COUNT)
        return dk_malformed(why, DK_R_WIRE_QOS);
    if (f->n_waits > DK_WIRE_WAITS_MAX)
        return dk_malformed(why, DK_R_WIRE_WAITS_CAP);
    if (f->n_signals > DK_WIRE_SIGNALS_MAX)
        return dk_malformed(why, DK_R_WIRE_SIGNALS_CAP);
    if (f->n_bufs > DK_WIRE_BUFS_MAX)
        return dk_malformed(why, DK_R_WIRE_BUFS_CAP);
    if (f->n_cmds > DK_WIRE_CMDS_MAX)
        return dk_malformed(why, DK_R_WIRE_CMDS_CAP);
    r = dk_fence_rules(f);
    if (r != DK_R_NONE)
        return dk_malformed(why, r);
    for (i = 0; i < f->n_bufs; i++) {
        r = dk_buf_rule(&f->bufs[i]);
        if (r != DK_R_NONE)
            return dk_malformed(why, r);
    }
    n = dk_frame_fixed_len(f);
    for (i = 0; i < f->n_cmds; i++) {
        const struct dk_wire_cmd *c = &f->cmds[i];

        if (!dk_opclass_known(c->opcode))
            return dk_malformed(why, DK_R_WIRE_OPCODE);
        /* A payload must lie inside the frame's own store (summed in 64
         * bits: no offset can wrap back into it). */
        if (c->len > DK_WIRE_CMD_PAYLOAD_MAX || (uint64_t)c->off + c->len > DK_WIRE_FRAME_MAX)
            return dk_malformed(why, DK_R_WIRE_CMD_LEN);
        n += c->len;
    }
    if (n > DK_WIRE_FRAME_MAX)
        return dk_malformed(why, DK_R_WIRE_FRAME_CAP);
    *wire_len = (uint32_t)n;
    return DK_OK;
}

int dk_frame_check(const struct dk_frame *f, enum dk_reason *why)
{
    uint32_t n;

    if (f == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (f->magic != DK_FRAME_VALID)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    return dk_frame_rules(f, &n, why);
}

size_t dk_wire_size(const struct dk_frame *f)
{
    uint32_t n;

    if (f == NULL || f->magic != DK_FRAME_VALID || dk_frame_rules(f, &n, NULL) != DK_OK)
        return 0;
    return n;
}

/* Decode a fence section and tell whether every reserved word in it is
 * zero (the parser refuses the frame otherwise, before reading on). */
static int dk_get_fences(struct dk_wire_fence *dst, const uint8_t *p, uint32_t n)
{
    uint64_t reserved = 0;
    uint32_t i;

    for (i = 0; i < n; i++, p += DK_WIRE_FENCE_ENTRY) {
        uint64_t w = dk_le64(p);

        reserved |= w >> 32;
        dst[i].fence = (uint32_t)w;
        dst[i].value = dk_le64(p + 8);
    }
    return reserved == 0;
}

int dk_wire_parse(struct dk_frame *out, const void *bytes, size_t len, enum dk_reason *why)
{
    const uint8_t *p;
    uint64_t w0, w1, w2, w3, need;
    uint32_t total, cmd_bytes, i, left, off, n, bad, classes = 0;
    uint8_t *raw;

    if (out == NULL || (bytes == NULL && len != 0))
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    out->magic = 0;
    if (len > DK_WIRE_FRAME_MAX)
        return dk_malformed(why, DK_R_WIRE_FRAME_CAP);
    if (len < DK_WIRE_HEADER_SIZE)
        return dk_malformed(why, DK_R_WIRE_TRUNCATED);
    /* SECURITY: one copy of the client's bytes, then only the copy is read.
     * Whatever the client writes to its buffer from here on changes nothing. */
    raw = out->raw;
    __builtin_memcpy(raw, bytes, len);

    /* The header as four words: magic, major, minor, header_size |
     * total_len, flags | four counts | cmd_bytes, qos, reserved. */
    w0 = dk_le64(raw);
    w1 = dk_le64(raw + 8);
    w2 = dk_le64(raw + 16);
    w3 = dk_le64(raw + 24);
    if ((uint32_t)w0 != DK_WIRE_MAGIC)
        return dk_malformed(why, DK_R_WIRE_BAD_MAGIC);
    if ((uint8_t)(w0 >> 32) != DK_WIRE_MAJOR)
        return dk_malformed(why, DK_R_WIRE_MAJOR);
    if ((w0 >> 48) != DK_WIRE_HEADER_SIZE)
        return dk_malformed(why, DK_R_WIRE_HEADER_SIZE);
    if ((w3 >> 40) != 0)
        return dk_malformed(why, DK_R_WIRE_RESERVED);
    total = (uint32_t)w1;
    if (total > DK_WIRE_FRAME_MAX)
        return dk_malformed(why, DK_R_WIRE_FRAME_CAP);
    if (total > len)
        return dk_malformed(why, DK_R_WIRE_TRUNCATED);
    if (total < len)
        return dk_malformed(why, DK_R_WIRE_LENGTH);
    out->flags = (uint32_t)(w1 >> 32);
    out->minor = (uint8_t)(w0 >> 40);
    out->qos = (uint8_t)(w3 >> 32);
    out->n_waits = (uint16_t)w2;
    out->n_signals = (uint16_t)(w2 >> 16);
    out->n_bufs = (uint16_t)(w2 >> 32);
    out->n_cmds = (uint16_t)(w2 >> 48);
    out->pad = 0;
    cmd_bytes = (uint32_t)w3;
    if (out->n_waits > DK_WIRE_WAITS_MAX)
        return dk_malformed(why, DK_R_WIRE_WAITS_CAP);
    if (out->n_signals > DK_WIRE_SIGNALS_MAX)
        return dk_malformed(why, DK_R_WIRE_SIGNALS_CAP);
    if (out->n_bufs > DK_WIRE_BUFS_MAX)
        return dk_malformed(why, DK_R_WIRE_BUFS_CAP);
    if (out->n_cmds > DK_WIRE_CMDS_MAX)
        return dk_malformed(why, DK_R_WIRE_CMDS_CAP);
    /* BOUND: summed in 64 bits, so no 32-bit wrap can make a bad layout add up. */
    need = (uint64_t)DK_WIRE_HEADER_SIZE +
           (uint64_t)DK_WIRE_FENCE_ENTRY * (out->n_waits + out->n_signals) +
           (uint64_t)DK_WIRE_BUF_ENTRY * out->n_bufs + (uint64_t)cmd_bytes;
    if (need != total)
        return dk_malformed(why, DK_R_WIRE_LENGTH);

    /* From here the structural checks still refuse at once, in the byte
     * order they always had; the decoded-form rules only set `bad`, since
     * any structural refusal further on comes first. */
    p = raw + DK_WIRE_HEADER_SIZE;
    n = out->n_waits;
    if (!(dk_get_fences(out->waits, p, n) &
          dk_get_fences(out->signals, p + DK_WIRE_FENCE_ENTRY * n, out->n_signals)))
        return dk_malformed(why, DK_R_WIRE_RESERVED);
    p += DK_WIRE_FENCE_ENTRY * (n + out->n_signals);
    bad = (out->flags & ~(uint32_t)DK_WIRE_FLAGS_KNOWN) != 0 || out->qos >= DK_QOS_COUNT ||
          dk_fence_rules(out) != DK_R_NONE;
    n = out->n_bufs;
    for (i = 0; i < n; i++, p += DK_WIRE_BUF_ENTRY) {
        struct dk_wire_buf *b = &out->bufs[i];
        uint64_t w = dk_le64(p), offset = dk_le64(p + 8), length = dk_le64(p + 16);

        /* handle (4 bytes), access (1), reserved (3). The usual entry,
         * zero reserved bytes and an access of READ and/or WRITE, passes
         * one test: the top half is 1..3. Otherwise the reserved bytes
         * refuse the frame at once, a bad access only marks it. */
        if ((w >> 32) - 1u > (uint64_t)(DK_BUF_READ | DK_BUF_WRITE) - 1u) {
            if ((w >> 40) != 0)
                return dk_malformed(why, DK_R_WIRE_RESERVED);
            bad = 1;
        }
        /* The rest of dk_buf_rule (the access is judged above), on the
         * words as loaded; the span is then moved whole, from the bytes. */
        if ((uint32_t)w == DK_HANDLE_INVALID || length == 0 || offset > UINT64_MAX - length)
            bad = 1;
        dk_put_buf_head(b, w);
        dk_get_span(b, p + 8);
    }
    /* Commands: walk exactly cmd_bytes; every length is checked against
     * what is left before it is used. Each one ends inside total_len, so
     * within the frame's store and DK_WIRE_FRAME_MAX: of the walk's
     * command and frame-size rules only the opcode class is left, and
     * the classes seen are checked once, after the loop. */
    left = cmd_bytes;
    off = (uint32_t)(p - raw);
    n = out->n_cmds;
    for (i = 0; i < n; i++) {
        struct dk_wire_cmd *c = &out->cmds[i];
        uint64_t w;
        uint32_t clen;

        if (left < DK_WIRE_CMD_HEADER)
            return dk_malformed(why, DK_R_WIRE_CMD_LEN);
        /* opcode (2 bytes), reserved (2), len (4) */
        w = dk_le64(raw + off);
        if ((uint16_t)(w >> 16) != 0)
            return dk_malformed(why, DK_R_WIRE_RESERVED);
        clen = (uint32_t)(w >> 32);
        left -= DK_WIRE_CMD_HEADER;
        if (clen > left || clen > DK_WIRE_CMD_PAYLOAD_MAX)
            return dk_malformed(why, DK_R_WIRE_CMD_LEN);
        dk_put_cmd_head(c, w);
        c->off = off + DK_WIRE_CMD_HEADER;
        classes |= 1u << ((uint32_t)w >> 12 & 0xfu); /* the opcode's class */
        off += DK_WIRE_CMD_HEADER + clen;
        left -= clen;
    }
    if (left != 0)
        return dk_malformed(why, DK_R_WIRE_LENGTH);
    bad |= (classes & ~(uint32_t)DK_OPC_KNOWN) != 0;
    /* Some rule failed: the walk names the first, as for any frame. */
    if (bad && dk_frame_rules(out, &n, why) != DK_OK)
        return DK_E_MALFORMED;
    out->raw_used = total;
    out->magic = DK_FRAME_VALID;
    return dk_accept(why);
}

static void dk_put_fence(uint8_t *p, const struct dk_wire_fence *e)
{
    uint64_t fence = e->fence, value = e->value;

    dk_put64(p, fence);
    dk_put64(p + 8, value);
}

int dk_wire_encode(const struct dk_frame *f, void *buf, size_t cap, size_t *len,
                   enum dk_reason *why)
{
    uint8_t *p = (uint8_t *)buf;
    uint32_t total, cmd_bytes, i, n;
    int rc;

    if (f == NULL || buf == NULL || len == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (f->magic != DK_FRAME_VALID)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    /* The whole frame is judged, and its size known, before the first byte
     * is written: a refused frame leaves @buf as it was. */
    rc = dk_frame_rules(f, &total, why);
    if (rc != DK_OK)
        return rc;
    if (total > cap)
        return dk_reject(why, DK_R_OUT_SMALL, DK_E_NO_SPACE);
    cmd_bytes = total - DK_WIRE_HEADER_SIZE - DK_WIRE_FENCE_ENTRY * (f->n_waits + f->n_signals) -
                DK_WIRE_BUF_ENTRY * f->n_bufs;
    /* A newer minor's frame re-encodes as it came. The reserved header
     * bytes (29..31) are the top of the last word, zero. */
    dk_put64(p, DK_WIRE_MAGIC | (uint64_t)DK_WIRE_MAJOR << 32 | (uint64_t)f->minor << 40 |
                    (uint64_t)DK_WIRE_HEADER_SIZE << 48);
    dk_put64(p + 8, total | (uint64_t)f->flags << 32);
    dk_put64(p + 16, f->n_waits | (uint64_t)f->n_signals << 16 | (uint64_t)f->n_bufs << 32 |
                         (uint64_t)f->n_cmds << 48);
    dk_put64(p + 24, cmd_bytes | (uint64_t)f->qos << 32);
    p += DK_WIRE_HEADER_SIZE;
    /* The counts and every field are read into locals before the bytes
     * are stored: @buf is a byte pointer, which may alias the frame as far
     * as the compiler knows, and would make it read each field again. */
    n = f->n_waits;
    for (i = 0; i < n; i++, p += DK_WIRE_FENCE_ENTRY)
        dk_put_fence(p, &f->waits[i]); /* fence, reserved zero word, value */
    n = f->n_signals;
    for (i = 0; i < n; i++, p += DK_WIRE_FENCE_ENTRY)
        dk_put_fence(p, &f->signals[i]);
    n = f->n_bufs;
    for (i = 0; i < n; i++, p += DK_WIRE_BUF_ENTRY) {
        /* handle, access byte, three reserved zero bytes, offset, length */
        dk_put64(p, dk_get_buf_head(&f->bufs[i]));
        dk_put_span(p + 8, &f->bufs[i]);
    }
    n = f->n_cmds;
    for (i = 0; i < n; i++) {
        /* opcode, reserved zero half-word, len, payload */
        uint32_t clen = f->cmds[i].len, coff = f->cmds[i].off;

        dk_put64(p, dk_get_cmd_head(&f->cmds[i]));
        dk_copy_payload(p + DK_WIRE_CMD_HEADER, f->raw + coff, clen);
        p += DK_WIRE_CMD_HEADER + clen;
    }
    *len = total;
    return dk_accept(why);
}

int dk_frame_init(struct dk_frame *f, unsigned qos, uint32_t flags)
{
    if (f == NULL || qos >= DK_QOS_COUNT || (flags & ~(uint32_t)DK_WIRE_FLAGS_KNOWN) != 0)
        return DK_E_INVAL;
    f->magic = DK_FRAME_VALID;
    f->flags = flags;
    f->minor = DK_WIRE_MINOR;
    f->qos = (uint8_t)qos;
    f->n_waits = f->n_signals = f->n_bufs = f->n_cmds = 0;
    f->pad = 0;
    f->raw_used = 0;
    return DK_OK;
}

static int dk_frame_building(const struct dk_frame *f)
{
    return f != NULL && f->magic == DK_FRAME_VALID;
}

int dk_frame_add_wait(struct dk_frame *f, uint32_t fence, uint64_t value)
{
    if (!dk_frame_building(f))
        return DK_E_INVAL;
    if (f->n_waits >= DK_WIRE_WAITS_MAX)
        return DK_E_MALFORMED;
    f->waits[f->n_waits].fence = fence;
    f->waits[f->n_waits].value = value;
    f->n_waits++;
    return DK_OK;
}

int dk_frame_add_signal(struct dk_frame *f, uint32_t fence, uint64_t value)
{
    if (!dk_frame_building(f))
        return DK_E_INVAL;
    if (f->n_signals >= DK_WIRE_SIGNALS_MAX)
        return DK_E_MALFORMED;
    f->signals[f->n_signals].fence = fence;
    f->signals[f->n_signals].value = value;
    f->n_signals++;
    return DK_OK;
}

int dk_frame_add_cmd_slow(struct dk_frame *f, uint16_t opcode, const void *payload, uint32_t len)
{
    struct dk_wire_cmd *c;
    uint64_t wire;

    if (!dk_frame_building(f) || (payload == NULL && len != 0))
        return DK_E_INVAL;
    if (f->n_cmds >= DK_WIRE_CMDS_MAX || len > DK_WIRE_CMD_PAYLOAD_MAX)
        return DK_E_MALFORMED;
    /* BOUND: the store is as large as a whole frame, so a frame that fits
     * the wire always fits the store. raw_used counts every payload byte
     * stored so far (all of them for a built frame, the whole frame for a
     * parsed one), so the wire size is bounded without walking the
     * commands: adding stays O(1). */
    if (f->raw_used > DK_WIRE_FRAME_MAX || len > DK_WIRE_FRAME_MAX - f->raw_used)
        return DK_E_MALFORMED;
    wire = dk_frame_fixed_len(f) + f->raw_used;
    if (wire > DK_WIRE_FRAME_MAX || DK_WIRE_CMD_HEADER + (uint64_t)len > DK_WIRE_FRAME_MAX - wire)
        return DK_E_MALFORMED;
    c = &f->cmds[f->n_cmds++];
    c->opcode = opcode;
    c->pad = 0;
    c->len = len;
    c->off = f->raw_used;
    dk_copy_payload(f->raw + f->raw_used, (const uint8_t *)payload, len);
    f->raw_used += len;
    return DK_OK;
}

const uint8_t *dk_frame_cmd_payload(const struct dk_frame *f, uint32_t i)
{
    if (f == NULL || f->magic != DK_FRAME_VALID || i >= f->n_cmds)
        return NULL;
    return f->raw + f->cmds[i].off;
}
