/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device service's command decoding: a parsed frame's commands checked
 * against the device class and its limits and turned into dk_svc_cmd
 * records, before anything is submitted; and the admission of a frame,
 * the decode together with the submit's own checks.
 */
#include <driverkit/service.h>

#include "../core/internal.h" /* dk_ld_le32, dk_submit_parsed_check */
#include "svc_internal.h"

#define DK_SVC_NOINLINE __attribute__((noinline))

/* Check buffer ref @ref of the frame for a device @access (READ: the device
 * reads it, WRITE: it writes it) and note it in @at. Only the frame's own
 * declarations are read here: dk_submit_parsed_check() checks the ref
 * against the client's buffers, and the DMA address comes from its slice. */
static int dk_svc_ref(const struct dk_frame *f, uint32_t ref, unsigned access, uint8_t *at,
                      uint32_t *len, enum dk_reason *why)
{
    const struct dk_wire_buf *b;

    if (ref >= f->n_bufs)
        return dk_reject(why, DK_R_SVC_BUF_REF, DK_E_INVAL);
    b = &f->bufs[ref];
    if ((b->access & access) != access)
        return dk_reject(why, DK_R_SVC_ACCESS, DK_E_DENIED);
    if (b->length > UINT32_MAX)
        return dk_reject(why, DK_R_SVC_LENGTH, DK_E_INVAL);
    *at = (uint8_t)ref;
    *len = (uint32_t)b->length;
    return DK_OK;
}

static int dk_svc_decode_blk(const struct dk_svc *s, const struct dk_frame *f, uint16_t op,
                             const uint8_t *p, uint32_t plen, struct dk_svc_cmd *c,
                             enum dk_reason *why)
{
    uint64_t cap = s->dev.blk.capacity;
    int rc;

    if (op == DK_SVC_OP_BLK_GET_ID) {
        if (plen != 8 || dk_ld_le32(p + 4) != 0)
            return dk_reject(why, DK_R_SVC_PAYLOAD, DK_E_MALFORMED);
        rc = dk_svc_ref(f, dk_ld_le32(p), DK_BUF_WRITE, &c->dst_ref, &c->dst_len, why);
        if (rc == DK_OK && c->dst_len != DK_VBLK_ID_BYTES)
            return dk_reject(why, DK_R_SVC_LENGTH, DK_E_INVAL);
        return rc;
    }
    if (op != DK_SVC_OP_BLK_READ && op != DK_SVC_OP_BLK_WRITE)
        return dk_reject(why, DK_R_SVC_OPCODE, DK_E_UNSUPPORTED);
    if (plen != 16 || dk_ld_le32(p + 12) != 0)
        return dk_reject(why, DK_R_SVC_PAYLOAD, DK_E_MALFORMED);
    c->sector = (uint64_t)dk_ld_le32(p) | (uint64_t)dk_ld_le32(p + 4) << 32;
    if (op == DK_SVC_OP_BLK_READ)
        rc = dk_svc_ref(f, dk_ld_le32(p + 8), DK_BUF_WRITE, &c->dst_ref, &c->dst_len, why);
    else
        rc = dk_svc_ref(f, dk_ld_le32(p + 8), DK_BUF_READ, &c->src_ref, &c->src_len, why);
    if (rc != DK_OK)
        return rc;
    {
        uint32_t len = c->dst_len | c->src_len;
        if (len % DK_VBLK_SECTOR != 0 || (s->dev.blk.size_max != 0 && len > s->dev.blk.size_max))
            return dk_reject(why, DK_R_SVC_LENGTH, DK_E_INVAL);
        /* BOUND: never past the device's capacity, computed without overflow. */
        if (c->sector > cap || len / DK_VBLK_SECTOR > cap - c->sector)
            return dk_reject(why, DK_R_VIRTIO_BLK_RANGE, DK_E_RANGE);
    }
    return DK_OK;
}

static int dk_svc_decode_accel(const struct dk_svc *s, const struct dk_frame *f, uint16_t op,
                               const uint8_t *p, uint32_t plen, struct dk_svc_cmd *c,
                               enum dk_reason *why)
{
    uint32_t a, b;
    int rc;

    if (op != DK_SVC_OP_COPY && op != DK_SVC_OP_FILL && op != DK_SVC_OP_CSUM)
        return dk_reject(why, DK_R_SVC_OPCODE, DK_E_UNSUPPORTED);
    if (plen != 8)
        return dk_reject(why, DK_R_SVC_PAYLOAD, DK_E_MALFORMED);
    a = dk_ld_le32(p);
    b = dk_ld_le32(p + 4);
    switch (op) {
    case DK_SVC_OP_COPY:
        rc = dk_svc_ref(f, a, DK_BUF_READ, &c->src_ref, &c->src_len, why);
        if (rc == DK_OK)
            rc = dk_svc_ref(f, b, DK_BUF_WRITE, &c->dst_ref, &c->dst_len, why);
        if (rc == DK_OK && c->src_len != c->dst_len)
            return dk_reject(why, DK_R_SVC_LENGTH, DK_E_INVAL);
        break;
    case DK_SVC_OP_FILL:
        rc = dk_svc_ref(f, a, DK_BUF_WRITE, &c->dst_ref, &c->dst_len, why);
        c->value = b & 0xffu;
        break;
    default:
        if (b != 0)
            return dk_reject(why, DK_R_SVC_PAYLOAD, DK_E_MALFORMED);
        rc = dk_svc_ref(f, a, DK_BUF_READ, &c->src_ref, &c->src_len, why);
        break;
    }
    if (rc == DK_OK && (c->src_len | c->dst_len) > s->dev.accel.max_len)
        return dk_reject(why, DK_R_SVC_LENGTH, DK_E_INVAL);
    return rc;
}

/* The DMA addresses of command @c's buffers, from the slices the submit
 * checked the frame's refs into (one per ref). */
static void dk_svc_resolve(struct dk_svc_cmd *c, const struct dk_slice *sl)
{
    if (c->src_ref != DK_SVC_NO_REF)
        c->src = sl[c->src_ref].dma_addr;
    if (c->dst_ref != DK_SVC_NO_REF)
        c->dst = sl[c->dst_ref].dma_addr;
}

/* Command @i of @f into @c, every check in its order: the general decode.
 * *@nop is set for a NOP (nothing written). */
static int dk_svc_decode_one(const struct dk_svc *s, const struct dk_frame *f, uint32_t i,
                             struct dk_svc_cmd *c, int *nop, enum dk_reason *why)
{
    uint16_t op = f->cmds[i].opcode;
    /* The frame is our own parse: its payload offsets were checked. */
    const uint8_t *p = f->raw + f->cmds[i].off;

    *nop = op == DK_OP_NOP;
    if (*nop)
        return DK_OK;
    *c = (struct dk_svc_cmd){.op = op, .src_ref = DK_SVC_NO_REF, .dst_ref = DK_SVC_NO_REF};
    if (s->cfg.kind == DK_SVC_BLK && DK_OPC_CLASS(op) == DK_OPC_BLOCK)
        return dk_svc_decode_blk(s, f, op, p, f->cmds[i].len, c, why);
    if (s->cfg.kind == DK_SVC_ACCEL && DK_OPC_CLASS(op) == DK_OPC_XFER)
        return dk_svc_decode_accel(s, f, op, p, f->cmds[i].len, c, why);
    return dk_reject(why, DK_R_SVC_OPCODE, DK_E_UNSUPPORTED);
}

/* From command @i on, the blk READs and WRITEs that pass every check,
 * decoded into @c and resolved with @sl, with the device's limits in
 * locals, up to the first command that is anything else (another opcode,
 * a payload of another shape, a check that fails): the general decode
 * judges that one and, if it refuses, names the first failing check. Kept
 * out of line, so the loop's values stay in registers. Returns the index
 * it stopped at. */
static DK_SVC_NOINLINE uint32_t dk_svc_blk_rw(const struct dk_frame *f, uint32_t i, uint32_t nc,
                                              uint64_t cap, uint32_t size_max,
                                              const struct dk_slice *sl, struct dk_svc_cmd *c)
{
    const struct dk_wire_cmd *w = &f->cmds[i], *end = &f->cmds[nc];
    /* size_max 0: no limit but the u32 length. */
    uint64_t lim = size_max != 0 ? size_max : UINT32_MAX;

    for (; w < end; w++, c++) {
        const uint8_t *p = f->raw + w->off;
        const struct dk_wire_buf *b;
        uint32_t ref, op = w->opcode;
        uint64_t sector, len, last, refw;

        if ((op != DK_SVC_OP_BLK_READ && op != DK_SVC_OP_BLK_WRITE) || w->len != 16)
            break;
        /* The ref and the reserved word after it in one: a reserved bit set
         * puts it past any ref count. */
        refw = (uint64_t)dk_ld_le32(p + 8) | (uint64_t)dk_ld_le32(p + 12) << 32;
        if (refw >= f->n_bufs)
            break;
        ref = (uint32_t)refw;
        b = &f->bufs[ref];
        /* A READ has the device write the buffer, a WRITE read it. */
        if ((b->access & (op == DK_SVC_OP_BLK_READ ? DK_BUF_WRITE : DK_BUF_READ)) == 0)
            break;
        len = b->length;
        if (len > lim || len % DK_VBLK_SECTOR != 0)
            break;
        sector = (uint64_t)dk_ld_le32(p) | (uint64_t)dk_ld_le32(p + 4) << 32;
        /* BOUND: never past the device's capacity: sector + sectors <= cap,
         * and a sum that wraps is past it too. */
        last = sector + len / DK_VBLK_SECTOR;
        if (last < sector || last > cap)
            break;
        if (op == DK_SVC_OP_BLK_READ)
            *c = (struct dk_svc_cmd){.dst = sl[ref].dma_addr,
                                     .sector = sector,
                                     .dst_len = (uint32_t)len,
                                     .op = (uint16_t)op,
                                     .src_ref = DK_SVC_NO_REF,
                                     .dst_ref = (uint8_t)ref};
        else
            *c = (struct dk_svc_cmd){.src = sl[ref].dma_addr,
                                     .sector = sector,
                                     .src_len = (uint32_t)len,
                                     .op = (uint16_t)op,
                                     .src_ref = (uint8_t)ref,
                                     .dst_ref = DK_SVC_NO_REF};
    }
    return (uint32_t)(w - f->cmds);
}

/* Decode every command into @out, all checks first, so a refusal changes
 * nothing; with @sl, each command gets its DMA addresses as it is decoded
 * (dk_svc_resolve), else its buffer refs stay indices. With @sl, a blk
 * device's READs and WRITEs take the fast path; everything else, and every
 * command that fails a check, the general one. */
int dk_svc_decode(const struct dk_svc *s, const struct dk_frame *f, struct dk_svc_cmd *out,
                  uint16_t *n, const struct dk_slice *sl, enum dk_reason *why)
{
    /* Without slices to resolve with (a frame the submit refuses, only
     * decoded for the order of the answer) all commands take the general
     * path. */
    int blk = s->cfg.kind == DK_SVC_BLK && sl != NULL, nop, rc;
    uint64_t cap = blk ? s->dev.blk.capacity : 0;
    uint32_t i, size_max = blk ? s->dev.blk.size_max : 0, nc = f->n_cmds;
    struct dk_svc_cmd *c = out;

    for (i = 0; i < nc; i++) {
        if (blk) {
            uint32_t j = dk_svc_blk_rw(f, i, nc, cap, size_max, sl, c);

            c += j - i;
            i = j;
            if (i == nc)
                break;
        }
        rc = dk_svc_decode_one(s, f, i, c, &nop, why);
        if (rc != DK_OK) {
            *n = (uint16_t)(c - out);
            return rc;
        }
        if (!nop && sl != NULL)
            dk_svc_resolve(c, sl);
        c += !nop;
    }
    *n = (uint16_t)(c - out);
    return DK_OK;
}

int dk_svc_admit(struct dk_svc *s, uint16_t client, const struct dk_submission *rec,
                 struct dk_svc_cmd *out, uint16_t *n, struct dk_buf **slots, enum dk_reason *why)
{
    enum dk_reason w = DK_R_NONE;
    int rc, d;

    /* The submit's checks first, so the decode can resolve each command as
     * it goes. Both judge without writing anything but scratch (and a free
     * record's commands), so the order they run in is free: */
    rc = dk_submit_parsed_check(&s->ctx, client, &s->frame, rec, s->slice_scratch, slots, &w);
    if (rc == DK_OK)
        return dk_svc_decode(s, &s->frame, out, n, s->slice_scratch, why);
    /* ...only the answer has an order: a command the device cannot run is
     * refused before any buffer or fence is looked at. */
    d = dk_svc_decode(s, &s->frame, out, n, NULL, why);
    if (d != DK_OK)
        return d;
    return dk_reject(why, w, rc);
}
