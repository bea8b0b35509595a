/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device side of the split virtqueue: walking a descriptor chain (virtio
 * 2.7.5, 2.7.5.3) into a request's segments, translating every buffer.
 * Device role only; sim_vq.c takes chains off the available ring, the
 * common ones in runs through dk_sim_take_fast (the fast walk is inline in
 * sim_internal.h).
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

/* Out of line, so that its loop has the registers to itself: the take
 * calls it once per run of common chains, not once per chain. */
uint16_t dk_sim_take_fast(const struct dk_sim_dev *d, struct dk_sim_queue *q, const uint8_t *desc,
                          const uint8_t *avail, uint16_t from, uint16_t to, struct dk_sim_run *run)
{
    struct dk_sim_run w = *run;
    uint32_t num = q->num;

    for (; from != to; from++) {
        /* The slot is below 2^16 (from is): saying so spares a widening. */
        uint16_t head = dk_sim_ld16(avail + 4 + 2u * (uint16_t)(from & (num - 1u)));
        struct dk_sim_req *r;

        if (head >= num)
            break;
        r = &q->req[head];
        if (r->live ||
            dk_sim_walk_fast(d->tlb, desc, num, head, w.gen, &w.hint, r) != DK_SIM_DF_NONE ||
            dk_sim_dev_shape(d, r) != DK_SIM_DF_NONE)
            break;
        r->live = 1;
        r->req = w.seq++;
        r->start = w.now;
        r->due = w.due;
        dk_sim_run_add(q, &w, head);
    }
    *run = w;
    return from;
}
