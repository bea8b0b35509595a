/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device side of the split virtqueue: walking a descriptor chain (virtio
 * 2.7.5, 2.7.5.3) into a request's segments, translating every buffer.
 * Device role only; sim_vq.c takes chains off the available ring.
 *
 * SECURITY: a chain is walked and translated completely before any of its
 * memory is touched, and the walk only fills the request: a driver error is
 * answered with its exact reason (enum dk_sim_driver_fault) and the caller
 * stops the queue.
 */
#include "sim_internal.h"

#include <string.h>

static uint32_t dk_sim_add_seg(struct dk_sim_dev *d, struct dk_sim_req *r, uint64_t addr,
                               uint32_t len, uint16_t flags)
{
    int write = (flags & DK_VRING_DESC_F_WRITE) != 0;
    struct dk_sim_seg *s;
    uint8_t *p;

    if (len == 0)
        return DK_SIM_DF_ZERO_LEN;
    if (r->nseg == DK_VIRTQ_CHAIN_MAX)
        return DK_SIM_DF_CHAIN_LONG;
    /* virtio 2.7.4.2: readable buffers come before writable ones. */
    if (!write && r->nseg > r->nread)
        return DK_SIM_DF_ORDER;
    p = dk_sim_dma(d, addr, len);
    if (p == NULL)
        return DK_SIM_DF_DESC_DMA;
    s = &r->seg[r->nseg++];
    s->addr = addr;
    s->len = len;
    s->write = (uint32_t)write;
    s->ptr = p;
    if (write) {
        r->writable += len;
    } else {
        r->nread++;
        r->readable += len;
    }
    return DK_SIM_DF_NONE;
}

/* One level of indirection (virtio 2.7.5.3): the table's entries follow
 * `next` inside the table, and none may be indirect itself. */
static uint32_t dk_sim_walk_indirect(struct dk_sim_dev *d, struct dk_sim_req *r, uint64_t addr,
                                     uint32_t len)
{
    const uint8_t *tbl;
    uint32_t seen = 0, n, j = 0, why;

    if (len == 0 || (len & 15u) != 0)
        return DK_SIM_DF_INDIRECT;
    n = len / 16u;
    if (n > DK_VIRTQ_CHAIN_MAX)
        return DK_SIM_DF_CHAIN_LONG;
    tbl = dk_sim_dma(d, addr, len);
    if (tbl == NULL)
        return DK_SIM_DF_DESC_DMA;
    for (;;) {
        const uint8_t *p;
        uint16_t flags;

        if (j >= n)
            return DK_SIM_DF_DESC_RANGE;
        if (seen & (1u << j))
            return DK_SIM_DF_LOOP;
        seen |= 1u << j;
        p = tbl + 16u * j;
        flags = dk_sim_ld16(p + 12);
        if (flags & DK_VRING_DESC_F_INDIRECT)
            return DK_SIM_DF_INDIRECT;
        why = dk_sim_add_seg(d, r, dk_sim_ld64(p), dk_sim_ld32(p + 8), flags);
        if (why != DK_SIM_DF_NONE || !(flags & DK_VRING_DESC_F_NEXT))
            return why;
        j = dk_sim_ld16(p + 14);
    }
}

/* BOUND: a chain holds at most DK_VIRTQ_CHAIN_MAX buffers; with @track,
 * each descriptor of the table is visited at most once (a repeat is a
 * loop). */
static uint32_t dk_sim_walk_from(struct dk_sim_dev *d, const struct dk_sim_queue *q,
                                 const uint8_t *desc, uint16_t head, struct dk_sim_req *r,
                                 int track)
{
    uint32_t seen[DK_VIRTQ_SIZE_MAX / 32u];
    uint32_t i = head, why;

    if (track)
        memset(seen, 0, sizeof seen);
    r->gen = dk_host_dma_gen(d->host);
    r->nseg = 0;
    r->nread = 0;
    r->readable = 0;
    r->writable = 0;
    for (;;) {
        const uint8_t *p;
        uint16_t flags;

        if (i >= q->num)
            return DK_SIM_DF_DESC_RANGE;
        if (track) {
            if (seen[i / 32u] & (1u << (i % 32u)))
                return DK_SIM_DF_LOOP;
            seen[i / 32u] |= 1u << (i % 32u);
        }
        p = desc + 16u * i;
        flags = dk_sim_ld16(p + 12);
        if (flags & DK_VRING_DESC_F_INDIRECT) {
            /* The table ends the chain: INDIRECT with NEXT is illegal. */
            if (!dk_sim_has(d, DK_VIRTIO_F_INDIRECT_DESC) || (flags & DK_VRING_DESC_F_NEXT))
                return DK_SIM_DF_INDIRECT;
            return dk_sim_walk_indirect(d, r, dk_sim_ld64(p), dk_sim_ld32(p + 8));
        }
        why = dk_sim_add_seg(d, r, dk_sim_ld64(p), dk_sim_ld32(p + 8), flags);
        if (why != DK_SIM_DF_NONE || !(flags & DK_VRING_DESC_F_NEXT))
            return why;
        i = dk_sim_ld16(p + 14);
    }
}

/* BOUND: without tracking, a chain that loops still ends, at
 * DK_VIRTQ_CHAIN_MAX buffers (CHAIN_LONG) at the latest. A walk that fails
 * is walked again with every visited descriptor tracked, so the reason is
 * the exact one (LOOP where a descriptor repeats); the walk only fills @r. */
uint32_t dk_sim_walk(struct dk_sim_dev *d, const struct dk_sim_queue *q, const uint8_t *desc,
                     uint16_t head, struct dk_sim_req *r)
{
    uint32_t why = dk_sim_walk_from(d, q, desc, head, r, 0);

    return why == DK_SIM_DF_NONE ? why : dk_sim_walk_from(d, q, desc, head, r, 1);
}

/* The chain nearly every request is: direct descriptors, every buffer in
 * an IOTLB entry. It holds the chain to dk_sim_walk's rules but answers
 * DK_SIM_WALK_GENERAL, rather than a reason, at anything else (an index
 * out of range, INDIRECT, a zero length, readable after writable, more
 * than DK_VIRTQ_CHAIN_MAX buffers, an IOTLB miss), so the general walk
 * decides every hostile or unusual chain and the reason is its own. It
 * touches nothing but @r: an IOTLB miss is left to dk_sim_dma_miss.
 * BOUND: at most DK_VIRTQ_CHAIN_MAX descriptors, so a loop ends here too. */
uint32_t dk_sim_walk_first(const struct dk_sim_dev *d, const struct dk_sim_queue *q,
                           const uint8_t *desc, uint16_t head, uint64_t gen, struct dk_sim_req *r)
{
    uint32_t i = head, num = q->num, n = 0;

    if (d->tlb_gen != gen)
        return DK_SIM_WALK_GENERAL;
    r->readable = 0;
    r->writable = 0;
    r->nread = 0;
    for (;;) {
        const uint8_t *p = desc + 16u * i;
        const struct dk_sim_tlb *t = d->tlb;
        struct dk_sim_seg *s = &r->seg[n];
        uint64_t addr, off;
        uint32_t len;
        uint16_t flags;

        if (i >= num)
            return DK_SIM_WALK_GENERAL;
        addr = dk_sim_ld64(p);
        len = dk_sim_ld32(p + 8);
        flags = dk_sim_ld16(p + 12);
        if ((flags & DK_VRING_DESC_F_INDIRECT) || len == 0)
            return DK_SIM_WALK_GENERAL;
        /* dk_sim_tlb_hit, spelled out so that a hit needs no NULL test. */
        for (;;) {
            off = addr - t->dma;
            if (off < t->len && len <= t->len - off)
                break;
            if (++t == d->tlb + DK_SIM_TLB)
                return DK_SIM_WALK_GENERAL;
        }
        s->addr = addr;
        s->len = len;
        s->ptr = t->ptr + off;
        if (flags & DK_VRING_DESC_F_WRITE) {
            s->write = 1;
            r->writable += len;
        } else {
            /* Readable after writable: every buffer is non-empty, so
             * writable bytes mean a writable buffer came before. */
            if (r->writable != 0)
                return DK_SIM_WALK_GENERAL;
            s->write = 0;
            r->nread++;
            r->readable += len;
        }
        n++;
        if (!(flags & DK_VRING_DESC_F_NEXT))
            break;
        if (n == DK_VIRTQ_CHAIN_MAX)
            return DK_SIM_WALK_GENERAL;
        i = dk_sim_ld16(p + 14);
    }
    r->gen = gen;
    r->nseg = (uint8_t)n;
    return DK_SIM_DF_NONE;
}
