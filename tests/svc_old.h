/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/service/svc_decode.c as of 61871e8, verbatim but for the names
 * (dk_* -> old_*), `static`, the includes and this comment: the decode
 * the service's fast paths replaced, kept for test_service_fast.c to
 * compare the library with.
 */
#ifndef DK_TEST_SVC_OLD_H
#define DK_TEST_SVC_OLD_H

#include <driverkit/service.h>

#include "internal.h" /* dk_ld_le32 */
#include "../src/service/svc_internal.h"


/* Check buffer ref @ref of the frame for a device @access (READ: the device
 * reads it, WRITE: it writes it) and note it in @at. Only the frame's own
 * declarations are read here: dk_submit_frame_slices() checks the ref
 * against the client's buffers, and the DMA address comes from its slice. */
static int old_svc_ref(const struct dk_frame *f, uint32_t ref, unsigned access, uint8_t *at,
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

static int old_svc_decode_blk(const struct dk_svc *s, const struct dk_frame *f, uint16_t op,
                             const uint8_t *p, uint32_t plen, struct dk_svc_cmd *c,
                             enum dk_reason *why)
{
    uint64_t cap = s->dev.blk.capacity;
    int rc;

    if (op == DK_SVC_OP_BLK_GET_ID) {
        if (plen != 8 || dk_ld_le32(p + 4) != 0)
            return dk_reject(why, DK_R_SVC_PAYLOAD, DK_E_MALFORMED);
        rc = old_svc_ref(f, dk_ld_le32(p), DK_BUF_WRITE, &c->dst_ref, &c->dst_len, why);
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
        rc = old_svc_ref(f, dk_ld_le32(p + 8), DK_BUF_WRITE, &c->dst_ref, &c->dst_len, why);
    else
        rc = old_svc_ref(f, dk_ld_le32(p + 8), DK_BUF_READ, &c->src_ref, &c->src_len, why);
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

static int old_svc_decode_accel(const struct dk_svc *s, const struct dk_frame *f, uint16_t op,
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
        rc = old_svc_ref(f, a, DK_BUF_READ, &c->src_ref, &c->src_len, why);
        if (rc == DK_OK)
            rc = old_svc_ref(f, b, DK_BUF_WRITE, &c->dst_ref, &c->dst_len, why);
        if (rc == DK_OK && c->src_len != c->dst_len)
            return dk_reject(why, DK_R_SVC_LENGTH, DK_E_INVAL);
        break;
    case DK_SVC_OP_FILL:
        rc = old_svc_ref(f, a, DK_BUF_WRITE, &c->dst_ref, &c->dst_len, why);
        c->value = b & 0xffu;
        break;
    default:
        if (b != 0)
            return dk_reject(why, DK_R_SVC_PAYLOAD, DK_E_MALFORMED);
        rc = old_svc_ref(f, a, DK_BUF_READ, &c->src_ref, &c->src_len, why);
        break;
    }
    if (rc == DK_OK && (c->src_len | c->dst_len) > s->dev.accel.max_len)
        return dk_reject(why, DK_R_SVC_LENGTH, DK_E_INVAL);
    return rc;
}

/* Decode every command into @out before anything is submitted: all checks
 * first, so a refusal changes nothing. Buffer refs stay indices until the
 * submit's slices turn them into DMA addresses (old_svc_resolve). */
static int old_svc_decode(const struct dk_svc *s, const struct dk_frame *f, struct dk_svc_cmd *out,
                  uint16_t *n, enum dk_reason *why)
{
    uint32_t i;
    int rc;

    *n = 0;
    for (i = 0; i < f->n_cmds; i++) {
        uint16_t op = f->cmds[i].opcode;
        /* The frame is our own parse: its payload offsets were checked. */
        const uint8_t *p = f->raw + f->cmds[i].off;
        struct dk_svc_cmd *c = &out[*n];

        if (op == DK_OP_NOP)
            continue;
        *c = (struct dk_svc_cmd){.op = op, .src_ref = DK_SVC_NO_REF, .dst_ref = DK_SVC_NO_REF};
        if (s->cfg.kind == DK_SVC_BLK && DK_OPC_CLASS(op) == DK_OPC_BLOCK)
            rc = old_svc_decode_blk(s, f, op, p, f->cmds[i].len, c, why);
        else if (s->cfg.kind == DK_SVC_ACCEL && DK_OPC_CLASS(op) == DK_OPC_XFER)
            rc = old_svc_decode_accel(s, f, op, p, f->cmds[i].len, c, why);
        else
            rc = dk_reject(why, DK_R_SVC_OPCODE, DK_E_UNSUPPORTED);
        if (rc != DK_OK)
            return rc;
        (*n)++;
    }
    return DK_OK;
}

/* The DMA address of each command's buffers, from the slices the submit
 * checked them into (one per frame ref). */
static void old_svc_resolve(struct dk_svc_cmd *c, uint16_t n, const struct dk_slice *sl)
{
    uint16_t i;

    for (i = 0; i < n; i++, c++) {
        if (c->src_ref != DK_SVC_NO_REF)
            c->src = sl[c->src_ref].dma_addr;
        if (c->dst_ref != DK_SVC_NO_REF)
            c->dst = sl[c->dst_ref].dma_addr;
    }
}

#endif /* DK_TEST_SVC_OLD_H */
