/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/service/svc_decode.c as of 61871e8, and the parts of service.c
 * named below, verbatim but for the names (dk_* -> old_*, DK_SVC_CMD_BITS
 * -> OLD_SVC_CMD_BITS), `static`, the includes, these comments and the
 * line breaks clang-format gives the longer names: the code the service's
 * fast paths replaced, kept for test_service_fast.c to compare the
 * library with.
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

/* src/service/service.c as of 61871e8: the per-completion handler and
 * what it calls of the file, and the loop of dk_svc_post_blk that built the
 * virtio-blk requests (here a function of its own: the loop's text, with
 * @io and @first its locals). */
#define OLD_SVC_CMD_BITS 6u /* device request cookie: ticket << 6 | command index */

static struct dk_svc_req *old_svc_req_of(struct dk_svc *s, uint64_t ticket)
{
    return &s->reqs[ticket & s->queue.mask];
}

static void old_svc_trace(struct dk_svc *s, unsigned kind, uint64_t a, uint64_t b, uint64_t c)
{
    if (s->cfg.trace.fn != NULL)
        s->cfg.trace.fn(s->cfg.trace.arg, kind, dk_backend_now(s->cfg.be), a, b, c);
}

static void old_svc_finish(struct dk_svc *s, struct dk_svc_req *r, unsigned outcome)
{
    uint64_t ticket = r->sub.ticket;

    if (r->killed)
        outcome = DK_OUTCOME_KILLED;
    (void)dk_submit_release(&s->ctx, &r->sub);
    r->state = DK_SVC_FREE; /* the retire callback settles the fences */
    r->pending = 0;
    s->stats.resolved++;
    s->stats.outcomes[outcome]++;
    old_svc_trace(s, DK_TRACE_RESOLVE, ticket, r->client_id, outcome);
    (void)dk_queue_resolve(&s->queue, ticket, outcome, NULL);
    old_svc_trace(s, DK_TRACE_DEPTH, dk_queue_inflight(&s->queue), 0, 0);
}

static void old_svc_done(struct dk_svc *s, const struct dk_vdone *d)
{
    uint64_t ticket = d->cookie >> OLD_SVC_CMD_BITS;
    uint16_t i = (uint16_t)(d->cookie & ((1u << OLD_SVC_CMD_BITS) - 1u));
    struct dk_svc_req *r = old_svc_req_of(s, ticket);
    uint32_t result = 0;
    int st;

    /* Statuses were read at harvest, before any new submit could reuse a
     * request record (dk_vblk_harvest / dk_vaccel_harvest). */
    st = d->status;
    result = d->result;
    s->stats.device_completions++;
    s->completions_since_probe++;
    /* The cookie came from our own private head record, so it names a
     * request we posted; a mismatch would be our bug, counted not trusted. */
    if (r->sub.ticket != ticket || r->state != DK_SVC_RUNNING || i >= r->posted ||
        (r->done >> i & 1u)) {
        s->stats.stale++;
        (void)dk_device_check_epoch(s->cfg.device, r->epoch);
        return;
    }
    r->done |= 1ull << i; /* a per-command done byte then, a bit of r->done now */
    r->pending--;
    if (r->cmds[i].op == DK_SVC_OP_CSUM)
        r->result = result;
    if (st != DK_OK)
        r->outcome = DK_OUTCOME_DEVICE_ERROR;
    if (r->posted == r->ncmds && r->pending == 0)
        old_svc_finish(s, r, r->outcome);
}

static void old_svc_blk_io(struct dk_svc_req *r, struct dk_vblk_io *io)
{
    uint16_t first = r->posted, i;

    for (i = first; i < r->ncmds; i++) {
        const struct dk_svc_cmd *c = &r->cmds[i];
        struct dk_vblk_io *x = &io[i - first];

        x->cookie = r->sub.ticket << OLD_SVC_CMD_BITS | i;
        x->nseg = 1;
        if (c->op == DK_SVC_OP_BLK_WRITE) {
            x->type = DK_VBLK_T_OUT;
            x->sector = c->sector;
            x->data = (struct dk_vseg){c->src, c->src_len, 0};
        } else {
            x->type = c->op == DK_SVC_OP_BLK_READ ? DK_VBLK_T_IN : DK_VBLK_T_GET_ID;
            x->sector = c->op == DK_SVC_OP_BLK_READ ? c->sector : 0;
            x->data = (struct dk_vseg){c->dst, c->dst_len, 0};
        }
    }
}

#endif /* DK_TEST_SVC_OLD_H */
