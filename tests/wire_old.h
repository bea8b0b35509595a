/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The wire code as it was before the fast paths (src/core/wire.c and the two
 * helpers it took from src/core/internal.h, at commit 3318b8d), kept verbatim
 * but for the names (dk_* -> old_*), `static`, the includes and this comment,
 * so that test_wire_fast.c can hold the new code to the old answers: status,
 * reason, bytes and decoded fields. Do not "fix" anything here: it is the
 * reference.
 */
#ifndef DK_TEST_WIRE_OLD_H
#define DK_TEST_WIRE_OLD_H

#include <driverkit/buf.h>
#include <driverkit/queue.h>
#include <driverkit/wire.h>

/* A little-endian 32-bit word from bytes of any alignment. */
static inline uint32_t old_ld_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Accept-path helper: clear the caller's reason. */
static inline int old_accept(enum dk_reason *why)
{
    if (why)
        *why = DK_R_NONE;
    return DK_OK;
}
static uint16_t old_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}


static uint64_t old_le64(const uint8_t *p)
{
    return (uint64_t)old_ld_le32(p) | (uint64_t)old_ld_le32(p + 4) << 32;
}

static void old_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void old_put32(uint8_t *p, uint32_t v)
{
    old_put16(p, (uint16_t)v);
    old_put16(p + 2, (uint16_t)(v >> 16));
}

static void old_put64(uint8_t *p, uint64_t v)
{
    old_put32(p, (uint32_t)v);
    old_put32(p + 4, (uint32_t)(v >> 32));
}

/* Copy a command payload. The usual ones are 8 or 16 bytes, which two
 * fixed-size copies cover (overlapping when shorter than 16) without a call
 * into the C library; the bytes are loaded before any is stored. */
static void old_copy_payload(uint8_t *dst, const uint8_t *src, uint32_t n)
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

static int old_malformed(enum dk_reason *why, enum dk_reason r)
{
    return dk_reject(why, r, DK_E_MALFORMED);
}

static int old_opclass_known(uint16_t opcode)
{
    switch (DK_OPC_CLASS(opcode)) {
    case DK_OPC_CORE:
    case DK_OPC_XFER:
    case DK_OPC_BLOCK:
    case DK_OPC_ACCEL:
    case DK_OPC_VENDOR:
        return 1;
    default:
        return 0;
    }
}

/* The bytes a decoded frame occupies on the wire (u64: no wrap possible
 * for counts within their caps). */
/* Wire bytes of everything but the command payloads. */
static uint64_t old_frame_fixed_len(const struct dk_frame *f)
{
    return DK_WIRE_HEADER_SIZE + (uint64_t)DK_WIRE_FENCE_ENTRY * (f->n_waits + f->n_signals) +
           (uint64_t)DK_WIRE_BUF_ENTRY * f->n_bufs + (uint64_t)DK_WIRE_CMD_HEADER * f->n_cmds;
}

static uint64_t old_frame_wire_len(const struct dk_frame *f)
{
    uint64_t n = old_frame_fixed_len(f);
    uint32_t i;

    for (i = 0; i < f->n_cmds; i++)
        n += f->cmds[i].len;
    return n;
}

/*
 * Rules that hold for the decoded form, shared by parse and encode so the
 * two can never disagree. Structural rules of the byte layout (magic,
 * lengths, reserved bytes) are the parser's alone.
 */
static int old_frame_check(const struct dk_frame *f, enum dk_reason *why)
{
    uint32_t i, j;

    if (f == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (f->magic != DK_FRAME_VALID)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    if ((f->flags & ~(uint32_t)DK_WIRE_FLAGS_KNOWN) != 0)
        return old_malformed(why, DK_R_WIRE_FLAGS);
    if (f->qos >= DK_QOS_COUNT)
        return old_malformed(why, DK_R_WIRE_QOS);
    if (f->n_waits > DK_WIRE_WAITS_MAX)
        return old_malformed(why, DK_R_WIRE_WAITS_CAP);
    if (f->n_signals > DK_WIRE_SIGNALS_MAX)
        return old_malformed(why, DK_R_WIRE_SIGNALS_CAP);
    if (f->n_bufs > DK_WIRE_BUFS_MAX)
        return old_malformed(why, DK_R_WIRE_BUFS_CAP);
    if (f->n_cmds > DK_WIRE_CMDS_MAX)
        return old_malformed(why, DK_R_WIRE_CMDS_CAP);
    for (i = 0; i < f->n_waits; i++)
        if (f->waits[i].fence == DK_HANDLE_INVALID)
            return old_malformed(why, DK_R_WIRE_HANDLE);
    for (i = 0; i < f->n_signals; i++) {
        if (f->signals[i].fence == DK_HANDLE_INVALID)
            return old_malformed(why, DK_R_WIRE_HANDLE);
        if (f->signals[i].value == 0)
            return old_malformed(why, DK_R_WIRE_SIGNAL_ZERO);
        for (j = 0; j < i; j++)
            if (f->signals[j].fence == f->signals[i].fence)
                return old_malformed(why, DK_R_WIRE_DUP_SIGNAL);
    }
    /* A frame that waits for a value it will itself signal (or a later one)
     * can never start: refuse it rather than let it hold a queue slot. */
    for (i = 0; i < f->n_waits; i++)
        for (j = 0; j < f->n_signals; j++)
            if (f->waits[i].fence == f->signals[j].fence &&
                f->waits[i].value >= f->signals[j].value)
                return old_malformed(why, DK_R_WIRE_SELF_WAIT);
    for (i = 0; i < f->n_bufs; i++) {
        const struct dk_wire_buf *b = &f->bufs[i];
        if (b->handle == DK_HANDLE_INVALID)
            return old_malformed(why, DK_R_WIRE_HANDLE);
        if (b->access == 0 || (b->access & ~(uint32_t)(DK_BUF_READ | DK_BUF_WRITE)) != 0)
            return old_malformed(why, DK_R_WIRE_ACCESS);
        if (b->length == 0)
            return old_malformed(why, DK_R_WIRE_BUF_EMPTY);
        if (b->offset > UINT64_MAX - b->length)
            return old_malformed(why, DK_R_WIRE_BUF_OVERFLOW);
    }
    for (i = 0; i < f->n_cmds; i++) {
        if (!old_opclass_known(f->cmds[i].opcode))
            return old_malformed(why, DK_R_WIRE_OPCODE);
        /* A payload must lie inside the frame's own store. */
        if (f->cmds[i].len > DK_WIRE_CMD_PAYLOAD_MAX || f->cmds[i].off > DK_WIRE_FRAME_MAX ||
            f->cmds[i].len > DK_WIRE_FRAME_MAX - f->cmds[i].off)
            return old_malformed(why, DK_R_WIRE_CMD_LEN);
    }
    if (old_frame_wire_len(f) > DK_WIRE_FRAME_MAX)
        return old_malformed(why, DK_R_WIRE_FRAME_CAP);
    return DK_OK;
}

static void old_get_fences(struct dk_wire_fence *dst, const uint8_t *p, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++, p += DK_WIRE_FENCE_ENTRY) {
        dst[i].fence = old_ld_le32(p);
        dst[i].value = old_le64(p + 8);
    }
}

/* Reserved words of a fence section: all must be zero. */
static int old_fences_reserved_zero(const uint8_t *p, uint32_t n)
{
    uint32_t i, acc = 0;

    for (i = 0; i < n; i++, p += DK_WIRE_FENCE_ENTRY)
        acc |= old_ld_le32(p + 4);
    return acc == 0;
}

static int old_wire_parse(struct dk_frame *out, const void *bytes, size_t len, enum dk_reason *why)
{
    const uint8_t *h, *p;
    uint32_t total, cmd_bytes, i, left, off;
    uint64_t need;
    uint8_t *raw;

    if (out == NULL || (bytes == NULL && len != 0))
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    out->magic = 0;
    if (len > DK_WIRE_FRAME_MAX)
        return old_malformed(why, DK_R_WIRE_FRAME_CAP);
    if (len < DK_WIRE_HEADER_SIZE)
        return old_malformed(why, DK_R_WIRE_TRUNCATED);
    /* SECURITY: one copy of the client's bytes, then only the copy is read.
     * Whatever the client writes to its buffer from here on changes nothing. */
    raw = out->raw;
    __builtin_memcpy(raw, bytes, len);
    h = raw;

    if (old_ld_le32(h) != DK_WIRE_MAGIC)
        return old_malformed(why, DK_R_WIRE_BAD_MAGIC);
    if (h[4] != DK_WIRE_MAJOR)
        return old_malformed(why, DK_R_WIRE_MAJOR);
    if (old_le16(h + 6) != DK_WIRE_HEADER_SIZE)
        return old_malformed(why, DK_R_WIRE_HEADER_SIZE);
    if (h[29] != 0 || old_le16(h + 30) != 0)
        return old_malformed(why, DK_R_WIRE_RESERVED);
    total = old_ld_le32(h + 8);
    if (total > DK_WIRE_FRAME_MAX)
        return old_malformed(why, DK_R_WIRE_FRAME_CAP);
    if (total > len)
        return old_malformed(why, DK_R_WIRE_TRUNCATED);
    if (total < len)
        return old_malformed(why, DK_R_WIRE_LENGTH);
    out->flags = old_ld_le32(h + 12);
    out->minor = h[5];
    out->qos = h[28];
    out->n_waits = old_le16(h + 16);
    out->n_signals = old_le16(h + 18);
    out->n_bufs = old_le16(h + 20);
    out->n_cmds = old_le16(h + 22);
    out->pad = 0;
    cmd_bytes = old_ld_le32(h + 24);
    if (out->n_waits > DK_WIRE_WAITS_MAX)
        return old_malformed(why, DK_R_WIRE_WAITS_CAP);
    if (out->n_signals > DK_WIRE_SIGNALS_MAX)
        return old_malformed(why, DK_R_WIRE_SIGNALS_CAP);
    if (out->n_bufs > DK_WIRE_BUFS_MAX)
        return old_malformed(why, DK_R_WIRE_BUFS_CAP);
    if (out->n_cmds > DK_WIRE_CMDS_MAX)
        return old_malformed(why, DK_R_WIRE_CMDS_CAP);
    /* BOUND: summed in 64 bits, so no 32-bit wrap can make a bad layout add up. */
    need = (uint64_t)DK_WIRE_HEADER_SIZE +
           (uint64_t)DK_WIRE_FENCE_ENTRY * (out->n_waits + out->n_signals) +
           (uint64_t)DK_WIRE_BUF_ENTRY * out->n_bufs + (uint64_t)cmd_bytes;
    if (need != total)
        return old_malformed(why, DK_R_WIRE_LENGTH);

    p = raw + DK_WIRE_HEADER_SIZE;
    if (!old_fences_reserved_zero(p, out->n_waits + out->n_signals))
        return old_malformed(why, DK_R_WIRE_RESERVED);
    old_get_fences(out->waits, p, out->n_waits);
    p += DK_WIRE_FENCE_ENTRY * out->n_waits;
    old_get_fences(out->signals, p, out->n_signals);
    p += DK_WIRE_FENCE_ENTRY * out->n_signals;
    for (i = 0; i < out->n_bufs; i++, p += DK_WIRE_BUF_ENTRY) {
        if (p[5] != 0 || p[6] != 0 || p[7] != 0)
            return old_malformed(why, DK_R_WIRE_RESERVED);
        out->bufs[i].handle = old_ld_le32(p);
        out->bufs[i].access = p[4];
        out->bufs[i].offset = old_le64(p + 8);
        out->bufs[i].length = old_le64(p + 16);
    }
    /* Commands: walk exactly cmd_bytes; every length is checked against
     * what is left before it is used. */
    left = cmd_bytes;
    off = (uint32_t)(p - raw);
    for (i = 0; i < out->n_cmds; i++) {
        uint32_t clen;

        if (left < DK_WIRE_CMD_HEADER)
            return old_malformed(why, DK_R_WIRE_CMD_LEN);
        out->cmds[i].opcode = old_le16(raw + off);
        if (old_le16(raw + off + 2) != 0)
            return old_malformed(why, DK_R_WIRE_RESERVED);
        clen = old_ld_le32(raw + off + 4);
        left -= DK_WIRE_CMD_HEADER;
        if (clen > left || clen > DK_WIRE_CMD_PAYLOAD_MAX)
            return old_malformed(why, DK_R_WIRE_CMD_LEN);
        out->cmds[i].pad = 0;
        out->cmds[i].len = clen;
        out->cmds[i].off = off + DK_WIRE_CMD_HEADER;
        off += DK_WIRE_CMD_HEADER + clen;
        left -= clen;
    }
    if (left != 0)
        return old_malformed(why, DK_R_WIRE_LENGTH);
    out->raw_used = total;
    out->magic = DK_FRAME_VALID;
    if (old_frame_check(out, why) != DK_OK) {
        out->magic = 0;
        return DK_E_MALFORMED;
    }
    return old_accept(why);
}

static size_t old_wire_size(const struct dk_frame *f)
{
    if (old_frame_check(f, NULL) != DK_OK)
        return 0;
    return (size_t)old_frame_wire_len(f);
}

static void old_put_fences(uint8_t *p, const struct dk_wire_fence *src, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++, p += DK_WIRE_FENCE_ENTRY) {
        old_put32(p, src[i].fence);
        old_put32(p + 4, 0);
        old_put64(p + 8, src[i].value);
    }
}

static int old_wire_encode(const struct dk_frame *f, void *buf, size_t cap, size_t *len,
                   enum dk_reason *why)
{
    uint8_t *p = (uint8_t *)buf;
    uint64_t total;
    uint32_t i, cmd_bytes = 0;
    int rc;

    if (f == NULL || buf == NULL || len == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (f->magic != DK_FRAME_VALID)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    rc = old_frame_check(f, why);
    if (rc != DK_OK)
        return rc;
    for (i = 0; i < f->n_cmds; i++)
        cmd_bytes += DK_WIRE_CMD_HEADER + f->cmds[i].len;
    total = old_frame_wire_len(f);
    if (total > cap)
        return dk_reject(why, DK_R_OUT_SMALL, DK_E_NO_SPACE);
    old_put32(p, DK_WIRE_MAGIC);
    p[4] = DK_WIRE_MAJOR;
    p[5] = f->minor; /* a newer minor's frame re-encodes as it came */
    old_put16(p + 6, DK_WIRE_HEADER_SIZE);
    old_put32(p + 8, (uint32_t)total);
    old_put32(p + 12, f->flags);
    old_put16(p + 16, f->n_waits);
    old_put16(p + 18, f->n_signals);
    old_put16(p + 20, f->n_bufs);
    old_put16(p + 22, f->n_cmds);
    old_put32(p + 24, cmd_bytes);
    p[28] = f->qos;
    p[29] = 0;
    old_put16(p + 30, 0);
    p += DK_WIRE_HEADER_SIZE;
    old_put_fences(p, f->waits, f->n_waits);
    p += DK_WIRE_FENCE_ENTRY * f->n_waits;
    old_put_fences(p, f->signals, f->n_signals);
    p += DK_WIRE_FENCE_ENTRY * f->n_signals;
    for (i = 0; i < f->n_bufs; i++, p += DK_WIRE_BUF_ENTRY) {
        old_put32(p, f->bufs[i].handle);
        p[4] = (uint8_t)f->bufs[i].access;
        p[5] = p[6] = p[7] = 0;
        old_put64(p + 8, f->bufs[i].offset);
        old_put64(p + 16, f->bufs[i].length);
    }
    for (i = 0; i < f->n_cmds; i++) {
        old_put16(p, f->cmds[i].opcode);
        old_put16(p + 2, 0);
        old_put32(p + 4, f->cmds[i].len);
        old_copy_payload(p + DK_WIRE_CMD_HEADER, f->raw + f->cmds[i].off, f->cmds[i].len);
        p += DK_WIRE_CMD_HEADER + f->cmds[i].len;
    }
    *len = (size_t)total;
    return old_accept(why);
}

static int old_frame_init(struct dk_frame *f, unsigned qos, uint32_t flags)
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

static int old_frame_building(const struct dk_frame *f)
{
    return f != NULL && f->magic == DK_FRAME_VALID;
}

static int old_frame_add_wait(struct dk_frame *f, uint32_t fence, uint64_t value)
{
    if (!old_frame_building(f))
        return DK_E_INVAL;
    if (f->n_waits >= DK_WIRE_WAITS_MAX)
        return DK_E_MALFORMED;
    f->waits[f->n_waits].fence = fence;
    f->waits[f->n_waits].value = value;
    f->n_waits++;
    return DK_OK;
}

static int old_frame_add_signal(struct dk_frame *f, uint32_t fence, uint64_t value)
{
    if (!old_frame_building(f))
        return DK_E_INVAL;
    if (f->n_signals >= DK_WIRE_SIGNALS_MAX)
        return DK_E_MALFORMED;
    f->signals[f->n_signals].fence = fence;
    f->signals[f->n_signals].value = value;
    f->n_signals++;
    return DK_OK;
}

static int old_frame_add_buf(struct dk_frame *f, uint32_t handle, unsigned access, uint64_t offset,
                     uint64_t length)
{
    struct dk_wire_buf *b;

    if (!old_frame_building(f))
        return DK_E_INVAL;
    if (f->n_bufs >= DK_WIRE_BUFS_MAX)
        return DK_E_MALFORMED;
    b = &f->bufs[f->n_bufs++];
    b->handle = handle;
    b->access = access;
    b->offset = offset;
    b->length = length;
    return DK_OK;
}

static int old_frame_add_cmd(struct dk_frame *f, uint16_t opcode, const void *payload, uint32_t len)
{
    struct dk_wire_cmd *c;
    uint64_t wire;

    if (!old_frame_building(f) || (payload == NULL && len != 0))
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
    wire = old_frame_fixed_len(f) + f->raw_used;
    if (wire > DK_WIRE_FRAME_MAX || DK_WIRE_CMD_HEADER + (uint64_t)len > DK_WIRE_FRAME_MAX - wire)
        return DK_E_MALFORMED;
    c = &f->cmds[f->n_cmds++];
    c->opcode = opcode;
    c->pad = 0;
    c->len = len;
    c->off = f->raw_used;
    old_copy_payload(f->raw + f->raw_used, (const uint8_t *)payload, len);
    f->raw_used += len;
    return DK_OK;
}

static const uint8_t *old_frame_cmd_payload(const struct dk_frame *f, uint32_t i)
{
    if (f == NULL || f->magic != DK_FRAME_VALID || i >= f->n_cmds)
        return NULL;
    return f->raw + f->cmds[i].off;
}

#endif /* DK_TEST_WIRE_OLD_H */
