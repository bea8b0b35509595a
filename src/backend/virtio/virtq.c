/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueue, driver side: this code produces the avail ring and
 * consumes the used ring. The device is not trusted: the used ring is read
 * through one copy per element and every field is checked before use, and
 * no driver bookkeeping lives in memory the device can write.
 */
#include "vio_internal.h"

/* A chain's descriptor count fits the record's byte; four records share a
 * cache line (harvest reads one per completion). */
_Static_assert(DK_VIRTQ_CHAIN_MAX <= UINT8_MAX, "ndesc is a uint8_t");
_Static_assert(sizeof(struct dk_virtq_head) == 16, "struct dk_virtq_head grew");

/* Ring layout in the VMO, from a 4 KiB-aligned base (what the legacy layout
 * requires; the modern one only needs 16/2/4-byte alignment and takes the
 * same addresses): descriptors, avail ring, used ring at the next 4 KiB
 * boundary, then the indirect tables. */
#define DK_ALIGN_UP(x, a) (((x) + ((a) - 1u)) & ~(uint64_t)((a) - 1u))

size_t dk_virtq_storage_size(uint16_t size)
{
    if (size == 0 || size > DK_VIRTQ_SIZE_MAX || (size & (size - 1u)) != 0)
        return 0;
    return (size_t)size * (sizeof(struct dk_virtq_head) + sizeof(uint16_t));
}

static volatile uint16_t *dk_vq_used_flags(struct dk_virtq *q)
{
    return (volatile uint16_t *)(q->ring + q->used_off);
}

static volatile uint16_t *dk_vq_avail_event(struct dk_virtq *q)
{
    return (volatile uint16_t *)(q->ring + q->used_off + 4 + 8u * q->size);
}

static struct dk_vdesc *dk_vq_indirect(struct dk_virtq *q, uint16_t head)
{
    return (struct dk_vdesc *)(q->ring + q->indirect_off +
                               (uint64_t)head * DK_VIRTQ_CHAIN_MAX * DK_DESC_SIZE);
}

int dk_virtq_setup(struct dk_virtq *q, struct dk_virtio_dev *d, uint16_t index, uint16_t size,
                   void *storage, size_t storage_size, enum dk_reason *why)
{
    const struct dk_backend_ops *ops;
    struct dk_vmo_info info;
    uint64_t avail_off, used_off, ind_off, bytes, base;
    uint32_t max;
    void *va;
    uint16_t i;
    int rc;

    if (q == NULL || d == NULL || storage == NULL || d->magic != DK_VIRTIO_DEV_MAGIC)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (size == 0 || (size & (size - 1u)) != 0)
        return dk_reject(why, DK_R_NOT_POW2, DK_E_INVAL);
    if (size > DK_VIRTQ_SIZE_MAX)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    if (storage_size < dk_virtq_storage_size(size))
        return dk_reject(why, DK_R_STORAGE_SMALL, DK_E_INVAL);
    q->magic = 0;
    dk_vio_wr(d, DK_VMMIO_QUEUE_SEL, index);
    /* MMIO: a live queue (Ready, or a legacy PFN) must not be reprogrammed. */
    if (d->version == 2 ? dk_vio_rd(d, DK_VMMIO_QUEUE_READY) != 0
                        : dk_vio_rd(d, DK_VMMIO_QUEUE_PFN) != 0)
        return dk_reject(why, DK_R_VIRTIO_NO_QUEUE, DK_E_DEVICE);
    max = dk_vio_rd(d, DK_VMMIO_QUEUE_NUM_MAX);
    if (max == 0)
        return dk_reject(why, DK_R_VIRTIO_NO_QUEUE, DK_E_DEVICE);
    if (size > max)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);

    avail_off = DK_DESC_SIZE * (uint64_t)size;
    used_off = DK_ALIGN_UP(avail_off + 6u + 2u * size, DK_VIRTIO_LEGACY_ALIGN);
    ind_off = DK_ALIGN_UP(used_off + 6u + 8u * size, 16u);
    bytes = ind_off + (uint64_t)size * DK_VIRTQ_CHAIN_MAX * DK_DESC_SIZE;
    ops = d->be->ops;
    /* One extra page lets the rings start page-aligned whatever the VMO's
     * own alignment is. */
    rc = ops->vmo_create(d->be->ctx, bytes + DK_VIRTIO_LEGACY_ALIGN, &q->vmo);
    if (rc != DK_OK)
        return dk_reject(why, DK_R_OS_ERROR, rc);
    rc = ops->vmo_query(d->be->ctx, q->vmo, &info);
    if (rc == DK_OK)
        rc = ops->vmo_map(d->be->ctx, q->vmo, 0, bytes + DK_VIRTIO_LEGACY_ALIGN,
                          DK_MAP_READ | DK_MAP_WRITE, &va);
    if (rc != DK_OK) {
        (void)ops->vmo_destroy(d->be->ctx, q->vmo);
        return dk_reject(why, DK_R_OS_ERROR, rc);
    }
    base = DK_ALIGN_UP(info.dma_addr, DK_VIRTIO_LEGACY_ALIGN) - info.dma_addr;
    q->dev = d;
    q->vmo_len = bytes + DK_VIRTIO_LEGACY_ALIGN;
    q->map_va = va;
    q->ring = (uint8_t *)va + base;
    q->ring_dma = info.dma_addr + base;
    q->avail_off = (uint32_t)avail_off;
    q->used_off = (uint32_t)used_off;
    q->indirect_off = (uint32_t)ind_off;
    q->heads = (struct dk_virtq_head *)storage;
    q->free_next = (uint16_t *)(q->heads + size);
    q->size = size;
    q->index = index;
    q->free_head = 0;
    q->num_free = size;
    q->avail_idx = q->last_used = q->kicked_idx = q->published = 0;
    q->event_idx = (uint8_t)dk_vio_has(d, DK_VIRTIO_F_EVENT_IDX);
    q->use_indirect = (uint8_t)dk_vio_has(d, DK_VIRTIO_F_INDIRECT_DESC);
    q->fault = 0;
    q->inflight = 0;
    for (i = 0; i < size; i++) {
        q->free_next[i] = (uint16_t)(i + 1u);
        q->heads[i].inflight = 0;
    }
    /* The VMO is zero-filled: used->flags is 0 at allocation, as required. */
    dk_vio_wr(d, DK_VMMIO_QUEUE_NUM, size);
    if (d->version == 2) {
        uint64_t avail_dma = q->ring_dma + avail_off, used_dma = q->ring_dma + used_off;
        dk_vio_wr(d, DK_VMMIO_QUEUE_DESC_LOW, (uint32_t)q->ring_dma);
        dk_vio_wr(d, DK_VMMIO_QUEUE_DESC_HIGH, (uint32_t)(q->ring_dma >> 32));
        dk_vio_wr(d, DK_VMMIO_QUEUE_DRIVER_LOW, (uint32_t)avail_dma);
        dk_vio_wr(d, DK_VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail_dma >> 32));
        dk_vio_wr(d, DK_VMMIO_QUEUE_DEVICE_LOW, (uint32_t)used_dma);
        dk_vio_wr(d, DK_VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used_dma >> 32));
        dk_vio_wr(d, DK_VMMIO_QUEUE_READY, 1);
    } else {
        dk_vio_wr(d, DK_VMMIO_QUEUE_ALIGN, DK_VIRTIO_LEGACY_ALIGN);
        dk_vio_wr(d, DK_VMMIO_QUEUE_PFN, (uint32_t)(q->ring_dma / DK_VIRTIO_LEGACY_ALIGN));
    }
    q->magic = DK_VIRTQ_MAGIC;
    return dk_reject(why, DK_R_NONE, DK_OK);
}

static uint16_t dk_vq_take(struct dk_virtq *q)
{
    uint16_t i = q->free_head;

    q->free_head = q->free_next[i];
    q->num_free--;
    return i;
}

int dk_vq_post(struct dk_virtq *q, const struct dk_vseg *segs, unsigned n_out, unsigned n_in,
               uint32_t writable, uint64_t cookie, int publish, enum dk_reason *why)
{
    unsigned n = n_out + n_in, i;
    struct dk_virtq_head *h;
    struct dk_vdesc *dd;
    uint16_t first, last, wflag = 0;

    if (q->use_indirect && n > 1) {
        if (q->num_free == 0)
            return dk_reject(why, DK_R_VIRTIO_RING_FULL, DK_E_QUEUE_FULL);
        first = dk_vq_take(q);
        h = &q->heads[first];
        h->last = first;
        /* Readable entries first, then writable; no INDIRECT flag inside. */
        dd = dk_vq_indirect(q, first);
        for (i = 0; i < n; i++, dd++) {
            if (i == n_out)
                wflag = DK_VRING_DESC_F_WRITE;
            dd->addr = segs[i].addr;
            dd->len = segs[i].len;
            dd->flags = (uint16_t)((i + 1u < n ? DK_VRING_DESC_F_NEXT : 0u) | wflag);
            dd->next = (uint16_t)(i + 1u < n ? i + 1u : 0u);
        }
        dd = dk_vq_desc(q, first);
        dd->addr =
            q->ring_dma + q->indirect_off + (uint64_t)first * DK_VIRTQ_CHAIN_MAX * DK_DESC_SIZE;
        dd->len = n * DK_DESC_SIZE;
        dd->flags = DK_VRING_DESC_F_INDIRECT;
        dd->next = 0;
        h->ndesc = 1;
    } else {
        if (n > q->num_free)
            return dk_reject(why, DK_R_VIRTIO_RING_FULL, DK_E_QUEUE_FULL);
        first = dk_vq_take(q);
        h = &q->heads[first];
        /* Descriptors 0..n-2 link onward; the last ends the chain. */
        dd = dk_vq_desc(q, first);
        last = first;
        for (i = 0; i + 1u < n; i++) {
            last = dk_vq_take(q);
            if (i == n_out)
                wflag = DK_VRING_DESC_F_WRITE;
            dd->addr = segs[i].addr;
            dd->len = segs[i].len;
            dd->flags = (uint16_t)(DK_VRING_DESC_F_NEXT | wflag);
            dd->next = last;
            dd = dk_vq_desc(q, last);
        }
        if (i == n_out)
            wflag = DK_VRING_DESC_F_WRITE;
        dd->addr = segs[i].addr;
        dd->len = segs[i].len;
        dd->flags = wflag;
        dd->next = 0;
        h->last = last;
        h->ndesc = (uint8_t)n;
    }
    h->cookie = cookie;
    h->writable = writable;
    h->inflight = 1;
    q->inflight++;
    dk_vq_avail_ring(q)[q->avail_idx & (q->size - 1u)] = first;
    q->avail_idx++;
    if (publish)
        dk_vq_publish(q);
    return dk_reject(why, DK_R_NONE, DK_OK);
}

int dk_virtq_add(struct dk_virtq *q, const struct dk_vseg *segs, unsigned n_out, unsigned n_in,
                 uint64_t cookie, uint16_t *head, enum dk_reason *why)
{
    unsigned n = n_out + n_in, i;
    uint64_t total = 0, readable = 0;
    uint16_t first;
    int rc = dk_vq_check(q, why);

    if (rc != DK_OK)
        return rc;
    if (segs == NULL || head == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (n == 0 || n_out > DK_VIRTQ_CHAIN_MAX || n_in > DK_VIRTQ_CHAIN_MAX)
        return dk_reject(why, n == 0 ? DK_R_ZERO_LEN : DK_R_OVER_CAP, DK_E_INVAL);
    if (n > DK_VIRTQ_CHAIN_MAX)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    for (i = 0; i < n; i++) {
        if (segs[i].len == 0)
            return dk_reject(why, DK_R_ZERO_LEN, DK_E_INVAL);
        total += segs[i].len;
        if (i + 1u == n_out)
            readable = total;
    }
    /* BOUND: a chain totals at most 4 GiB (spec 2.7.5.2). */
    if (total > UINT32_MAX)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    first = q->free_head; /* the head dk_vq_post takes */
    rc = dk_vq_post(q, segs, n_out, n_in, (uint32_t)(total - readable), cookie, 1, why);
    if (rc == DK_OK)
        *head = first;
    return rc;
}

int dk_virtq_kick(struct dk_virtq *q, int *notified)
{
    uint16_t old, now;
    int notify;
    int rc = dk_vq_check(q, NULL);

    if (notified != NULL)
        *notified = 0;
    if (rc != DK_OK)
        return rc;
    /* Chains dk_vblk_stage left: one publish (its write barrier) for all. */
    if (q->published != q->avail_idx)
        dk_vq_publish(q);
    /* ORDERING: full barrier between publishing avail->idx and reading the
     * device's suppression fields (pairs with the device's write of
     * used->flags / avail_event before it reads avail->idx again). */
    dk_vio_barrier(q->dev, DK_BARRIER_FULL);
    old = q->kicked_idx;
    now = q->avail_idx;
    if (now == old)
        return DK_OK;
    if (q->event_idx) {
        uint16_t ev = *dk_vq_avail_event(q);
        /* vring_need_event: notify if ev lies in [old, now). */
        notify = (uint16_t)(now - ev - 1u) < (uint16_t)(now - old);
    } else {
        notify = (*dk_vq_used_flags(q) & DK_VRING_USED_F_NO_NOTIFY) == 0;
    }
    q->kicked_idx = now;
    if (notify) {
        /* ORDERING: ring stores are visible before the notify store reaches
         * the device (RISC-V: fence w,o). */
        dk_vio_barrier(q->dev, DK_BARRIER_WRITE_MMIO);
        dk_vio_wr(q->dev, DK_VMMIO_QUEUE_NOTIFY, q->index);
        if (notified != NULL)
            *notified = 1;
    }
    return DK_OK;
}

/* A chain's descriptors were taken one after the other from the head of
 * the free list, and free_next is written only when a descriptor is freed,
 * so free_next still links its head to its last descriptor: the whole chain
 * goes back in front of the free list in O(1). */
static void dk_vq_free_chain(struct dk_virtq *q, uint16_t head)
{
    struct dk_virtq_head *h = &q->heads[head];

    q->free_next[h->last] = q->free_head;
    q->free_head = head;
    q->num_free = (uint16_t)(q->num_free + h->ndesc);
    h->inflight = 0;
    q->inflight--;
}

int dk_virtq_harvest(struct dk_virtq *q, struct dk_vdone *out, unsigned max, unsigned *n,
                     enum dk_reason *why)
{
    return dk_vq_harvest(q, out, max, n, why, NULL, NULL);
}

int dk_virtq_reclaim(struct dk_virtq *q, dk_virtq_reclaim_fn fn, void *arg, uint32_t *count)
{
    const struct dk_backend *be;
    uint32_t c = 0;
    uint16_t i;

    if (q == NULL || q->magic != DK_VIRTQ_MAGIC)
        return DK_E_INVAL;
    /* The device may touch posted buffers until it is reset. */
    if (dk_virtio_status(q->dev) != 0)
        return DK_E_STATE;
    for (i = 0; i < q->size; i++) {
        if (!q->heads[i].inflight)
            continue;
        c++;
        if (fn != NULL)
            fn(arg, q->heads[i].cookie);
        dk_vq_free_chain(q, (uint16_t)i);
    }
    be = q->dev->be;
    if (be->ops->vmo_unmap != NULL)
        (void)be->ops->vmo_unmap(be->ctx, q->map_va, q->vmo_len);
    (void)be->ops->vmo_destroy(be->ctx, q->vmo);
    q->magic = 0;
    if (count != NULL)
        *count = c;
    return DK_OK;
}

uint32_t dk_virtq_inflight(const struct dk_virtq *q)
{
    return q != NULL && q->magic == DK_VIRTQ_MAGIC ? q->inflight : 0;
}
