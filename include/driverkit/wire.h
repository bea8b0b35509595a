/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file wire.h
 * @brief Submit frames, wire format v1: the bytes a client sends to a driver
 *        service. Byte table: docs/wire.md. Golden vectors: tests/golden/.
 *
 * All fields are little-endian and need no alignment. A frame is a 32-byte
 * header followed by four packed sections, in this order:
 *
 *     waits    n_waits   x 16 bytes  {u32 fence, u32 reserved, u64 value}
 *     signals  n_signals x 16 bytes  {u32 fence, u32 reserved, u64 value}
 *     bufs     n_bufs    x 24 bytes  {u32 handle, u8 access, u8[3] reserved,
 *                                     u64 offset, u64 length}
 *     cmds     cmd_bytes bytes       n_cmds x {u16 opcode, u16 reserved,
 *                                     u32 len, u8 payload[len]}
 *
 * header_size + 16 * n_waits + 16 * n_signals + 24 * n_bufs + cmd_bytes must
 * equal total_len, and total_len must equal the bytes received.
 *
 * SECURITY: the client's identity is never in a frame; dk_submit_frame()
 * takes it from the transport. dk_wire_parse() first copies the bytes into
 * the frame's private buffer and then reads only that copy, so a client that
 * keeps writing its shared buffer cannot change what was checked (no
 * time-of-check/time-of-use gap). It never reads outside [bytes, bytes+len).
 */
#ifndef DRIVERKIT_WIRE_H
#define DRIVERKIT_WIRE_H

#include <driverkit/common.h>
#include <driverkit/status.h>

/** Frame identity. "DKSF" in byte order. */
#define DK_WIRE_MAGIC 0x46534b44u
#define DK_WIRE_MAJOR 1u
#define DK_WIRE_MINOR 0u
#define DK_WIRE_HEADER_SIZE 32u

/** Hard caps: part of the v1 ABI. */
#define DK_WIRE_FRAME_MAX 65536u       /**< bytes per frame, header included */
#define DK_WIRE_WAITS_MAX 16u
#define DK_WIRE_SIGNALS_MAX 16u
#define DK_WIRE_BUFS_MAX 64u
#define DK_WIRE_CMDS_MAX 64u
#define DK_WIRE_CMD_PAYLOAD_MAX 16384u /**< bytes of one command's payload */

/** Section entry sizes on the wire. */
#define DK_WIRE_FENCE_ENTRY 16u
#define DK_WIRE_BUF_ENTRY 24u
#define DK_WIRE_CMD_HEADER 8u

/** Header flags known in v1.0. A frame with any other bit is refused. */
#define DK_WIRE_F_BARRIER 1u /**< start only after the client's earlier work retired */
#define DK_WIRE_FLAGS_KNOWN DK_WIRE_F_BARRIER

/**
 * Opcode classes: the top 4 bits of an opcode. DriverKit checks the class;
 * the low 12 bits and the payload belong to the device class and are opaque.
 */
enum dk_opclass {
    DK_OPC_CORE = 0x1,   /**< DriverKit-level: 0x1000 NOP */
    DK_OPC_XFER = 0x2,   /**< copy / fill / checksum engines */
    DK_OPC_BLOCK = 0x3,  /**< storage */
    DK_OPC_ACCEL = 0x4,  /**< GPU/NPU/VPU-class command buffers */
    DK_OPC_VENDOR = 0xf, /**< vendor-specific, opaque */
};
#define DK_OPC_CLASS(op) ((unsigned)(op) >> 12)
#define DK_OP_NOP 0x1000u

/** A wait or signal entry, decoded. */
struct dk_wire_fence {
    uint32_t fence;
    uint64_t value;
};

/** A buffer reference, decoded. @c access is DK_BUF_READ and/or DK_BUF_WRITE. */
struct dk_wire_buf {
    uint32_t handle;
    uint32_t access;
    uint64_t offset;
    uint64_t length;
};

/** A command, decoded. Its payload is `raw + off`, `len` bytes. */
struct dk_wire_cmd {
    uint16_t opcode;
    uint16_t pad;
    uint32_t len;
    uint32_t off;
};

/**
 * A validated frame: distinct from raw bytes, produced only by
 * dk_wire_parse() or built with dk_frame_init()/dk_frame_add_*(). Holds a
 * private copy of every payload byte. Caller storage (about 68 KiB).
 */
struct dk_frame {
    uint32_t magic;     /**< DK_FRAME_VALID once parsed or initialised */
    uint32_t flags;
    uint8_t minor;
    uint8_t qos;
    uint16_t n_waits;
    uint16_t n_signals;
    uint16_t n_bufs;
    uint16_t n_cmds;
    uint16_t pad;
    uint32_t raw_used;  /**< bytes of raw in use */
    struct dk_wire_fence waits[DK_WIRE_WAITS_MAX];
    struct dk_wire_fence signals[DK_WIRE_SIGNALS_MAX];
    struct dk_wire_buf bufs[DK_WIRE_BUFS_MAX];
    struct dk_wire_cmd cmds[DK_WIRE_CMDS_MAX];
    uint8_t raw[DK_WIRE_FRAME_MAX]; /**< private copy (parse) or payload store (build) */
};

#define DK_FRAME_VALID 0x444b5646u /* "DKVF" */

/**
 * @brief Copy @p len bytes into @p out's private buffer, then validate and
 *        decode them. On a refusal @p out is left marked invalid.
 * @return DK_OK; DK_E_INVAL (NULL_ARG); DK_E_MALFORMED with a DK_R_WIRE_*
 *         reason (docs/wire.md lists which check gives which).
 */
int dk_wire_parse(struct dk_frame *out, const void *bytes, size_t len, enum dk_reason *why);

/**
 * @brief Encode a frame into @p buf. The frame is validated with the same
 *        rules as parsing, so the encoder never emits a frame the parser
 *        would refuse. parse(encode(f)) decodes to the same fields and
 *        payload bytes.
 * @param len receives the frame length
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT); DK_E_MALFORMED (as parse);
 *         DK_E_NO_SPACE (OUT_SMALL: @p cap too small; nothing is written).
 */
int dk_wire_encode(const struct dk_frame *f, void *buf, size_t cap, size_t *len,
                   enum dk_reason *why);

/**
 * @brief Check a decoded frame against every rule of the format that holds
 *        for the decoded form (caps, handles, access bits, overflow,
 *        duplicate signals, self-waits, opcode classes, payload bounds,
 *        frame size). dk_wire_parse(), dk_wire_encode() and
 *        dk_submit_frame() all apply it, so a frame built with the builder
 *        or changed in caller memory after parsing meets the same rules.
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT); DK_E_MALFORMED (DK_R_WIRE_*).
 */
int dk_frame_check(const struct dk_frame *f, enum dk_reason *why);

/** @return The encoded size of @p f, or 0 if @p f is not a valid frame. */
size_t dk_wire_size(const struct dk_frame *f);

/** @brief Start building an empty frame. @return DK_OK; DK_E_INVAL. */
int dk_frame_init(struct dk_frame *f, unsigned qos, uint32_t flags);

/**
 * Builders append entries unchecked except for their caps (DK_E_MALFORMED
 * when full); dk_frame_check() and the encoder judge the whole frame.
 */

/** @brief Append a wait. @return DK_OK; DK_E_INVAL; DK_E_MALFORMED (table full). */
int dk_frame_add_wait(struct dk_frame *f, uint32_t fence, uint64_t value);

/** @brief Append a signal. @return DK_OK; DK_E_INVAL; DK_E_MALFORMED (table full). */
int dk_frame_add_signal(struct dk_frame *f, uint32_t fence, uint64_t value);

/** @brief Append a buffer ref. @return DK_OK; DK_E_INVAL; DK_E_MALFORMED (table full). */
DK_INLINE int dk_frame_add_buf(struct dk_frame *f, uint32_t handle, unsigned access,
                               uint64_t offset, uint64_t length)
{
    struct dk_wire_buf *b;

    if (f == NULL || f->magic != DK_FRAME_VALID)
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

/** @internal Every check and case of dk_frame_add_cmd(), out of line. */
int dk_frame_add_cmd_slow(struct dk_frame *f, uint16_t opcode, const void *payload, uint32_t len);

/**
 * @brief Append a command, copying its payload into the frame.
 * @return DK_OK; DK_E_INVAL (NULL payload with len > 0); DK_E_MALFORMED
 *         (table full, payload over DK_WIRE_CMD_PAYLOAD_MAX, or the frame
 *         would exceed DK_WIRE_FRAME_MAX on the wire).
 */
DK_INLINE int dk_frame_add_cmd(struct dk_frame *f, uint16_t opcode, const void *payload,
                               uint32_t len)
{
    struct dk_wire_cmd *c;
    uint64_t head, tail, wire;
    uint32_t used;
    uint8_t *dst;

    if (f == NULL || f->magic != DK_FRAME_VALID || payload == NULL)
        return dk_frame_add_cmd_slow(f, opcode, payload, len);
    /* The wire bytes so far but the header, summed in 64 bits from u16
     * counts and the u32 store use: no wrap. */
    used = f->raw_used;
    wire = DK_WIRE_FENCE_ENTRY * ((uint64_t)f->n_waits + f->n_signals) +
           DK_WIRE_BUF_ENTRY * (uint64_t)f->n_bufs + DK_WIRE_CMD_HEADER * (uint64_t)f->n_cmds +
           used;
    /* The usual command: an 8..16-byte payload, and room on the wire for it
     * (which implies room in the store and every bound of the slow path).
     * Anything else, every refusal included, is judged out of line. */
    if (len - 8u > 8u || f->n_cmds >= DK_WIRE_CMDS_MAX ||
        wire + len > DK_WIRE_FRAME_MAX - DK_WIRE_HEADER_SIZE - DK_WIRE_CMD_HEADER)
        return dk_frame_add_cmd_slow(f, opcode, payload, len);
    c = &f->cmds[f->n_cmds++];
    /* opcode, zero pad, len: one 8-byte store of the entry's first word */
    head = (uint64_t)opcode | (uint64_t)len << 32;
    if (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__) {
        c->opcode = opcode;
        c->pad = 0;
        c->len = len;
    } else {
        __builtin_memcpy(c, &head, 8);
    }
    c->off = used;
    /* Two 8-byte moves, overlapping when @len is under 16; both are loaded
     * before either is stored, as the slow path's copy does. */
    dst = f->raw + used;
    __builtin_memcpy(&head, payload, 8);
    __builtin_memcpy(&tail, (const uint8_t *)payload + len - 8u, 8);
    __builtin_memcpy(dst, &head, 8);
    __builtin_memcpy(dst + len - 8u, &tail, 8);
    f->raw_used = used + len;
    return DK_OK;
}

/** @return Pointer to command @p i's payload, or NULL if out of range. */
const uint8_t *dk_frame_cmd_payload(const struct dk_frame *f, uint32_t i);

#endif /* DRIVERKIT_WIRE_H */
