/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk on the generic transport: request checks against the device's
 * capacity and segment limits, header and status in DMA memory this shim
 * owns, and a status byte that is not believed unless the device set it.
 */
#include "vio_internal.h"

#define DK_VBLK_S_OK 0u
#define DK_VBLK_S_IOERR 1u
#define DK_VBLK_S_UNSUPP 2u
#define DK_VBLK_S_UNSET 0xffu

size_t dk_vblk_storage_size(uint16_t size)
{
    return dk_virtq_storage_size(size);
}

/* The request area of a queue of @qsize entries: the headers, then the
 * status bytes. */
static uint64_t dk_vblk_area_bytes(uint16_t qsize)
{
    return (uint64_t)qsize * (DK_VBLK_HDR_BYTES + 1u);
}

/* The DMA address of entry @slot's status byte. */
static inline uint64_t dk_vblk_status_dma(const struct dk_vblk *b, uint16_t slot)
{
    return b->reqs_dma + (uint64_t)b->q.size * DK_VBLK_HDR_BYTES + slot;
}

int dk_vblk_init(struct dk_vblk *b, const struct dk_backend *be, uint64_t cap, uint16_t qsize,
                 void *storage, size_t storage_size, enum dk_reason *why)
{
    const uint64_t wanted = (1ull << DK_VBLK_F_SIZE_MAX) | (1ull << DK_VBLK_F_SEG_MAX) |
                            (1ull << DK_VBLK_F_RO) | (1ull << DK_VBLK_F_BLK_SIZE) |
                            (1ull << DK_VBLK_F_FLUSH) | (1ull << DK_VIRTIO_F_INDIRECT_DESC) |
                            (1ull << DK_VIRTIO_F_EVENT_IDX);
    uint32_t v;
    void *va;
    int rc;

    if (b == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    /* Bringing a device up again (after a reset) releases the previous
     * request area first, so recoveries do not leak VMOs. */
    (void)dk_vblk_fini(b);
    /* FLUSH is accepted when offered (the shim sends FLUSH when asked);
     * without it, and without CONFIG_WCE, the device is writethrough and a
     * FLUSH request is refused here rather than sent (spec 5.2.5.1). */
    rc = dk_vio_start(&b->dev, be, cap, DK_VIRTIO_ID_BLOCK, wanted, why);
    if (rc != DK_OK)
        return rc;
    rc = dk_virtio_config_read64(&b->dev, 0, &b->capacity, why);
    b->seg_max = 0;
    b->size_max = 0;
    /* Optional config fields are read only when their feature was offered
     * and accepted. */
    if (rc == DK_OK && dk_vio_has(&b->dev, DK_VBLK_F_SIZE_MAX) &&
        (rc = dk_virtio_config_read(&b->dev, 8, 4, &v, why)) == DK_OK)
        b->size_max = v;
    if (rc == DK_OK && dk_vio_has(&b->dev, DK_VBLK_F_SEG_MAX) &&
        (rc = dk_virtio_config_read(&b->dev, 12, 4, &v, why)) == DK_OK)
        b->seg_max = v;
    if (rc == DK_OK)
        rc = dk_vio_dma_area(be, dk_vblk_area_bytes(qsize), &b->reqs_vmo, &b->reqs_dma, &va, why);
    if (rc != DK_OK) {
        (void)dk_virtio_fail(&b->dev);
        return rc;
    }
    b->hdrs = (uint8_t *)va;
    b->status = b->hdrs + (size_t)qsize * DK_VBLK_HDR_BYTES;
    b->read_only = (uint32_t)dk_vio_has(&b->dev, DK_VBLK_F_RO);
    rc = dk_vio_finish(&b->dev, &b->q, qsize, storage, storage_size, why);
    if (rc != DK_OK) {
        dk_vio_dma_free(be, b->reqs_vmo, va, dk_vblk_area_bytes(qsize));
        return rc;
    }
    b->magic = DK_VIRTIO_DEV_MAGIC;
    return dk_reject(why, DK_R_NONE, DK_OK);
}

/* The request header of @slot: type, reserved 0, sector (virtio 5.2.6),
 * and the status preset the device must overwrite. */
static void dk_vblk_prepare(struct dk_vblk *b, uint16_t slot, unsigned type, uint64_t sector)
{
    uint8_t *h = b->hdrs + (size_t)slot * DK_VBLK_HDR_BYTES;

    dk_vio_put64(h, type);
    dk_vio_put64(h + 8, sector);
    b->status[slot] = DK_VBLK_S_UNSET;
}

/* dk_vblk_submit() of any request, after its first check: every check in
 * the documented order, so it names the first that fails. Kept out of line
 * so its segment array does not weigh on the common request, which
 * dk_vblk_stage_run() takes first. */
DK_VIO_NOINLINE static int dk_vblk_submit_any(struct dk_vblk *b, unsigned type, uint64_t sector,
                                              const struct dk_vseg *data, unsigned nseg,
                                              uint64_t cookie, int publish, enum dk_reason *why)
{
    struct dk_vseg segs[DK_VIRTQ_CHAIN_MAX];
    uint64_t bytes = 0, hdr_dma;
    unsigned i, n_out, n_in;

    if (type != DK_VBLK_T_IN && type != DK_VBLK_T_OUT && type != DK_VBLK_T_FLUSH &&
        type != DK_VBLK_T_GET_ID)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    if (type == DK_VBLK_T_OUT && b->read_only)
        return dk_reject(why, DK_R_VIRTIO_READ_ONLY, DK_E_DENIED);
    /* Two descriptors are the header and the status. */
    if (nseg > DK_VIRTQ_CHAIN_MAX - 2u || (b->seg_max != 0 && nseg > b->seg_max))
        return dk_reject(why, DK_R_VIRTIO_BLK_SEGS, DK_E_INVAL);
    for (i = 0; i < nseg; i++) {
        if (data[i].len == 0 || (b->size_max != 0 && data[i].len > b->size_max))
            return dk_reject(why, DK_R_VIRTIO_BLK_SEGS, DK_E_INVAL);
        bytes += data[i].len;
        segs[1 + i] = data[i];
    }
    switch (type) {
    case DK_VBLK_T_IN:
    case DK_VBLK_T_OUT:
        if (nseg == 0 || bytes % DK_VBLK_SECTOR != 0)
            return dk_reject(why, DK_R_VIRTIO_BLK_ALIGN, DK_E_INVAL);
        /* BOUND: never read or write past capacity; no overflow. With at
         * most 14 segments of at most 4 GiB, bytes cannot overflow either,
         * but a chain over 4 GiB is refused (spec 2.7.5.2). */
        if (sector > b->capacity || bytes / DK_VBLK_SECTOR > b->capacity - sector)
            return dk_reject(why, DK_R_VIRTIO_BLK_RANGE, DK_E_RANGE);
        if (bytes > UINT32_MAX - 17u)
            return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
        break;
    case DK_VBLK_T_FLUSH:
        if (nseg != 0 || sector != 0)
            return dk_reject(why, DK_R_VIRTIO_BLK_ALIGN, DK_E_INVAL);
        if (!dk_vio_has(&b->dev, DK_VBLK_F_FLUSH))
            return dk_reject(why, DK_R_OPTIONAL_OP, DK_E_UNSUPPORTED);
        break;
    default: /* GET_ID: exactly 20 bytes */
        if (bytes != DK_VBLK_ID_BYTES || sector != 0)
            return dk_reject(why, DK_R_VIRTIO_BLK_ALIGN, DK_E_INVAL);
        break;
    }
    /* The request header is indexed by the descriptor head the queue will
     * hand out next (its private free list decides): the ring's room is
     * checked before the header is written, so a refusal writes nothing
     * (dk_vq_post would refuse the same chain for the same reason). */
    if (b->q.magic != DK_VIRTQ_MAGIC || b->q.fault != 0)
        return dk_reject(why, DK_R_VIRTIO_FAULTED, DK_E_FAULTED);
    if (b->q.num_free < (b->q.use_indirect ? 1u : nseg + 2u))
        return dk_reject(why, DK_R_VIRTIO_RING_FULL, DK_E_QUEUE_FULL);
    hdr_dma = b->reqs_dma + (uint64_t)b->q.free_head * DK_VBLK_HDR_BYTES;
    dk_vblk_prepare(b, b->q.free_head, type, sector);
    segs[0].addr = hdr_dma;
    segs[0].len = DK_VBLK_HDR_BYTES;
    segs[0].pad = 0;
    segs[1 + nseg].addr = dk_vblk_status_dma(b, b->q.free_head);
    segs[1 + nseg].len = 1;
    segs[1 + nseg].pad = 0;
    if (type == DK_VBLK_T_OUT) {
        n_out = 1u + nseg;
        n_in = 1u;
    } else {
        n_out = 1u;
        n_in = 1u + nseg;
    }
    /* The arguments were all checked above (dk_vq_post's contract). */
    return dk_vq_post(&b->q, segs, n_out, n_in, (uint32_t)(type == DK_VBLK_T_OUT ? 1u : bytes + 1u),
                      cookie, publish, why);
}

/* The common request, a one-segment IN or OUT on a queue without indirect
 * descriptors, for dk_vblk_submit, dk_vblk_stage and dk_vblk_stage_n: the
 * 3-descriptor chain written directly, with the device's limits and the
 * queue's bookkeeping held in locals for the whole run (the ring stores
 * could alias them if they were read through @b) and written back once. It
 * stages io[0..k) and returns k, stopping at the first request it would not
 * accept as it is; the caller hands that one to dk_vblk_submit_any(), which
 * stages it or names its refusal. So this loop only ever has to be
 * stricter than the checks there, never looser. */
static unsigned dk_vblk_stage_run(struct dk_vblk *b, const struct dk_vblk_io *io, unsigned n)
{
    struct dk_virtq *q = &b->q;
    uint16_t *free_next, free_head, idx, mask;
    struct dk_virtq_head *heads;
    volatile uint16_t *avail;
    uint8_t *ring;
    uint64_t reqs_dma, status_dma;
    unsigned k, m;

    if (q->magic != DK_VIRTQ_MAGIC || q->fault != 0 || q->use_indirect)
        return 0;
    /* First the checks, over as many requests as the ring has room for:
     * dk_vblk_submit_any's for this shape, in one expression (a refusal
     * goes back to it for its reason). BOUND: the range test cannot
     * overflow. */
    {
        const uint64_t cap = b->capacity;
        const uint32_t size_max = b->size_max, read_only = b->read_only;
        const unsigned room = q->num_free / 3u;

        if (n > room)
            n = room;
        for (m = 0; m < n; m++) {
            const struct dk_vblk_io *x = &io[m];
            const uint64_t sector = x->sector;
            const uint32_t len = x->data.len, type = x->type;

            if (x->nseg != 1u || (type != DK_VBLK_T_IN && (type != DK_VBLK_T_OUT || read_only)) ||
                len == 0 || (size_max != 0 && len > size_max) || len % DK_VBLK_SECTOR != 0 ||
                sector > cap || len / DK_VBLK_SECTOR > cap - sector || len > UINT32_MAX - 17u)
                break;
        }
    }
    /* Then the chains of io[0..m), which all passed. The head is the free
     * list's first descriptor and the next two follow it in list order, so
     * free_next still links head to last for the free; the request header
     * and status byte are indexed by the head. */
    free_next = q->free_next;
    ring = q->ring;
    heads = q->heads;
    avail = dk_vq_avail_ring(q);
    reqs_dma = b->reqs_dma;
    status_dma = reqs_dma + (uint64_t)q->size * DK_VBLK_HDR_BYTES;
    mask = (uint16_t)(q->size - 1u);
    free_head = q->free_head;
    idx = q->avail_idx;
    for (k = 0; k < m; k++) {
        const struct dk_vblk_io *x = &io[k];
        const uint32_t len = x->data.len, type = x->type;
        const uint16_t d0 = free_head, d1 = free_next[d0], d2 = free_next[d1];
        /* IN: the device writes the data; OUT: it reads it. */
        const uint16_t f1 = type == DK_VBLK_T_OUT ? 0u : DK_VRING_DESC_F_WRITE;
        const uint64_t hdr_dma = reqs_dma + (uint64_t)d0 * DK_VBLK_HDR_BYTES;

        free_head = free_next[d2];
        dk_vblk_prepare(b, d0, type, x->sector);
        *(struct dk_vdesc *)(ring + DK_DESC_SIZE * d0) =
            (struct dk_vdesc){hdr_dma, DK_VBLK_HDR_BYTES, DK_VRING_DESC_F_NEXT, d1};
        *(struct dk_vdesc *)(ring + DK_DESC_SIZE * d1) =
            (struct dk_vdesc){x->data.addr, len, (uint16_t)(DK_VRING_DESC_F_NEXT | f1), d2};
        *(struct dk_vdesc *)(ring + DK_DESC_SIZE * d2) =
            (struct dk_vdesc){status_dma + d0, 1u, DK_VRING_DESC_F_WRITE, 0};
        heads[d0] = (struct dk_virtq_head){x->cookie, f1 ? len + 1u : 1u, d2, 3, 1};
        avail[idx & mask] = d0;
        idx = (uint16_t)(idx + 1u);
    }
    q->free_head = free_head;
    q->num_free = (uint16_t)(q->num_free - 3u * m);
    q->avail_idx = idx;
    q->inflight += m;
    return m;
}

/* dk_vblk_submit and dk_vblk_stage: one set of checks, @publish or not. */
static int dk_vblk_request(struct dk_vblk *b, unsigned type, uint64_t sector,
                           const struct dk_vseg *data, unsigned nseg, uint64_t cookie, int publish,
                           enum dk_reason *why)
{
    if (b == NULL || b->magic != DK_VIRTIO_DEV_MAGIC || (nseg != 0 && data == NULL))
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (nseg == 1) {
        const struct dk_vblk_io io = {sector, cookie, *data, type, 1};

        if (dk_vblk_stage_run(b, &io, 1) == 1) {
            if (publish)
                dk_vq_publish(&b->q);
            return dk_reject(why, DK_R_NONE, DK_OK);
        }
    }
    return dk_vblk_submit_any(b, type, sector, data, nseg, cookie, publish, why);
}

int dk_vblk_submit(struct dk_vblk *b, unsigned type, uint64_t sector, const struct dk_vseg *data,
                   unsigned nseg, uint64_t cookie, enum dk_reason *why)
{
    return dk_vblk_request(b, type, sector, data, nseg, cookie, 1, why);
}

int dk_vblk_stage(struct dk_vblk *b, unsigned type, uint64_t sector, const struct dk_vseg *data,
                  unsigned nseg, uint64_t cookie, enum dk_reason *why)
{
    return dk_vblk_request(b, type, sector, data, nseg, cookie, 0, why);
}

int dk_vblk_stage_n(struct dk_vblk *b, const struct dk_vblk_io *io, unsigned n, unsigned *staged,
                    enum dk_reason *why)
{
    unsigned k = 0;
    int rc = DK_OK;

    if (staged != NULL)
        *staged = 0;
    if (b == NULL || b->magic != DK_VIRTIO_DEV_MAGIC || staged == NULL || (n != 0 && io == NULL))
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    while (k < n) {
        const struct dk_vblk_io *x;

        k += dk_vblk_stage_run(b, io + k, n - k);
        if (k == n)
            break;
        /* Not the common request, or refused: the general path decides. */
        x = &io[k];
        if (x->nseg > 1u)
            rc = dk_reject(why, DK_R_VIRTIO_BLK_SEGS, DK_E_INVAL);
        else
            rc = dk_vblk_submit_any(b, x->type, x->sector, &x->data, x->nseg, x->cookie, 0, why);
        if (rc != DK_OK)
            break;
        k++;
    }
    *staged = k;
    return rc == DK_OK ? dk_reject(why, DK_R_NONE, DK_OK) : rc;
}

/* The status of a harvested request whose head and used length harvest
 * checked, from the status bytes @status. SECURITY: one read of the
 * device-written byte; an unchanged preset or a zero used length means the
 * device did not answer. A dk_vq_outcome_fn (no result). */
static int dk_vblk_status(const void *status, uint16_t head, uint32_t len, uint32_t *result)
{
    uint8_t st = ((const volatile uint8_t *)status)[head];

    (void)result;
    if (len == 0 || st == DK_VBLK_S_UNSET)
        return DK_E_DEVICE;
    if (st == DK_VBLK_S_OK)
        return DK_OK;
    if (st == DK_VBLK_S_UNSUPP)
        return DK_E_UNSUPPORTED;
    return DK_E_DEVICE;
}

int dk_vblk_complete(struct dk_vblk *b, const struct dk_vdone *done)
{
    /* done->head was checked by dk_virtq_harvest (in range, was in flight);
     * nothing the device wrote decides which record this is. */
    if (b == NULL || done == NULL || b->magic != DK_VIRTIO_DEV_MAGIC || done->head >= b->q.size)
        return DK_E_INVAL;
    return dk_vblk_status(b->status, done->head, done->len, NULL);
}

int dk_vblk_fini(struct dk_vblk *b)
{
    if (b == NULL || b->magic != DK_VIRTIO_DEV_MAGIC)
        return DK_OK;
    dk_vio_dma_free(b->dev.be, b->reqs_vmo, b->hdrs, dk_vblk_area_bytes(b->q.size));
    b->magic = 0;
    return DK_OK;
}

int dk_vblk_harvest(struct dk_vblk *b, struct dk_vdone *out, unsigned max, unsigned *n,
                    enum dk_reason *why)
{
    if (b == NULL || b->magic != DK_VIRTIO_DEV_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    /* Each completion's status is read as soon as harvest validated it
     * (the completions before an invalid element included), before any
     * submit can reuse its request record. */
    return dk_vq_harvest(&b->q, out, max, n, why, dk_vblk_status, b->status);
}
