/* SPDX-License-Identifier: Apache-2.0 */
/* Register and ring access helpers shared by the virtio driver files. */
#ifndef DRIVERKIT_VIRTIO_INTERNAL_H
#define DRIVERKIT_VIRTIO_INTERNAL_H

#include <driverkit/virtio.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the virtio driver stores ring fields natively: little-endian hosts only"
#endif

/* For a rare path kept out of a hot function's frame and registers (GCC
 * and clang; the backends already use GNU C). */
#define DK_VIO_NOINLINE __attribute__((noinline))

/* MMIO: every register access goes through the backend vtable. */
static inline uint32_t dk_vio_rd(const struct dk_virtio_dev *d, uint32_t off)
{
    return d->be->ops->mmio_read(d->be->ctx, d->regs + off, 4);
}

static inline void dk_vio_wr(const struct dk_virtio_dev *d, uint32_t off, uint32_t v)
{
    d->be->ops->mmio_write(d->be->ctx, d->regs + off, 4, v);
}

static inline void dk_vio_barrier(const struct dk_virtio_dev *d, enum dk_barrier kind)
{
    d->be->ops->barrier(d->be->ctx, kind);
}

static inline int dk_vio_has(const struct dk_virtio_dev *d, unsigned bit)
{
    return (d->features >> bit) & 1u;
}

/* Device-class bring-up, shared by blk, rng and the accelerator:
 * open + check the device id + negotiate (start), then, after the class has
 * read its config, set up queue 0 and set DRIVER_OK (finish). Both set
 * FAILED on the device when they fail after it was opened. */
int dk_vio_start(struct dk_virtio_dev *d, const struct dk_backend *be, uint64_t cap,
                 uint32_t device_id, uint64_t wanted, enum dk_reason *why);
int dk_vio_finish(struct dk_virtio_dev *d, struct dk_virtq *q, uint16_t qsize, void *storage,
                  size_t storage_size, enum dk_reason *why);

/* A zeroed, mapped DMA area of @bytes for request headers and statuses. */
int dk_vio_dma_area(const struct dk_backend *be, uint64_t bytes, uint64_t *vmo, uint64_t *dma,
                    void **va, enum dk_reason *why);

/* Unmap and destroy a DMA area made by dk_vio_dma_area (0 vmo: nothing). */
void dk_vio_dma_free(const struct dk_backend *be, uint64_t vmo, void *va, uint64_t bytes);

/* dk_virtq_add() without its argument checks, for callers that made them:
 * 1 <= n_out + n_in <= DK_VIRTQ_CHAIN_MAX, no zero length, at most 4 GiB in
 * all, @writable the sum of the last n_in lengths, queue checked (not
 * faulted). The head taken is the queue's free_head at the call. With
 * @publish the chain is published at once (dk_vq_publish), else it is left
 * for dk_virtq_kick. DK_OK or DK_E_QUEUE_FULL (VIRTIO_RING_FULL), nothing
 * changed then. */
int dk_vq_post(struct dk_virtq *q, const struct dk_vseg *segs, unsigned n_out, unsigned n_in,
               uint32_t writable, uint64_t cookie, int publish, enum dk_reason *why);

/* A little-endian store into driver-owned DMA memory (the byte order is
 * checked above): one 4-byte store, any alignment. */
static inline void dk_vio_put32(uint8_t *p, uint32_t v)
{
    __builtin_memcpy(p, &v, sizeof v);
}

/* As dk_vio_put32, one 8-byte store: the same bytes as two put32 of the low
 * then the high half. */
static inline void dk_vio_put64(uint8_t *p, uint64_t v)
{
    __builtin_memcpy(p, &v, sizeof v);
}

/* Split-ring layout (virtio 2.7.5-2.7.6), shared by virtq.c and the device
 * classes' direct posts: the descriptor table at the ring's start, avail
 * ring at avail_off (flags, idx, ring[size], used_event). */
#define DK_DESC_SIZE 16u

struct dk_vdesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

static inline struct dk_vdesc *dk_vq_desc(struct dk_virtq *q, uint16_t i)
{
    return (struct dk_vdesc *)(q->ring + DK_DESC_SIZE * i);
}

static inline volatile uint16_t *dk_vq_avail_idx(struct dk_virtq *q)
{
    return (volatile uint16_t *)(q->ring + q->avail_off + 2);
}

static inline volatile uint16_t *dk_vq_avail_ring(struct dk_virtq *q)
{
    return (volatile uint16_t *)(q->ring + q->avail_off + 4);
}

static inline volatile uint16_t *dk_vq_used_event(struct dk_virtq *q)
{
    return (volatile uint16_t *)(q->ring + q->avail_off + 4 + 2u * q->size);
}

static inline volatile uint16_t *dk_vq_used_idx(struct dk_virtq *q)
{
    return (volatile uint16_t *)(q->ring + q->used_off + 2);
}

static inline volatile uint32_t *dk_vq_used_elem(struct dk_virtq *q, uint16_t i)
{
    return (volatile uint32_t *)(q->ring + q->used_off + 4 + 8u * i);
}

/* The queue is set up and not faulted: DK_OK, or the refusal. */
static inline int dk_vq_check(const struct dk_virtq *q, enum dk_reason *why)
{
    if (q == NULL || q->magic != DK_VIRTQ_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    if (q->fault != 0)
        return dk_reject(why, DK_R_VIRTIO_FAULTED, DK_E_FAULTED);
    return DK_OK;
}

/* The device broke the ring protocol: the queue answers DK_E_FAULTED from
 * now on. */
static inline int dk_vq_fault(struct dk_virtq *q, enum dk_reason r, enum dk_reason *why)
{
    q->fault = r;
    return dk_reject(why, r, DK_E_DEVICE);
}

/* The device-class outcome of one validated completion (head checked, len
 * within what was posted), read once from what the class keeps per head in
 * @reqs (blk: the status byte array; the accelerator: its request records):
 * a DK_* status, and in *@result a class result (left 0 when there is
 * none). */
typedef int (*dk_vq_outcome_fn)(const void *reqs, uint16_t head, uint32_t len, uint32_t *result);

/* dk_virtq_harvest(), with @outcome (optional) asked about each completion
 * as soon as it is validated, while its request record cannot have been
 * reused. Inline so that a constant @outcome is inlined into the loop. */
static inline int dk_vq_harvest(struct dk_virtq *q, struct dk_vdone *out, unsigned max, unsigned *n,
                                enum dk_reason *why, dk_vq_outcome_fn outcome, const void *reqs)
{
    struct dk_virtq_head *heads;
    uint16_t *free_next;
    const volatile uint32_t *elems;
    enum dk_reason bad = DK_R_NONE;
    uint32_t inflight;
    uint16_t used, avail_of_device, last, mask, free_head, num_free;
    unsigned k;
    int rc;

    if (n != NULL)
        *n = 0;
    rc = dk_vq_check(q, why);
    if (rc != DK_OK)
        return rc;
    if (out == NULL || n == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    used = *dk_vq_used_idx(q);
    /* ORDERING: used->idx is read before the elements it covers (pairs with
     * the device's write barrier between the elements and used->idx). */
    dk_vio_barrier(q->dev, DK_BARRIER_READ);
    /* The queue's bookkeeping is kept in locals through the loop (stores to
     * @out and the head records could alias it) and written back before
     * every return. */
    last = q->last_used;
    inflight = q->inflight;
    avail_of_device = (uint16_t)(used - last);
    /* SECURITY: the used index may advance by at most the queue size, and
     * never by more than what is in flight. */
    if (avail_of_device > q->size || avail_of_device > inflight)
        return dk_vq_fault(q, DK_R_VIRTIO_USED_IDX, why);
    mask = (uint16_t)(q->size - 1u);
    heads = q->heads;
    free_next = q->free_next;
    free_head = q->free_head;
    num_free = q->num_free;
    elems = dk_vq_used_elem(q, 0);
    if (max > avail_of_device)
        max = avail_of_device;
    for (k = 0; k < max; k++) {
        const volatile uint32_t *e = elems + 2u * ((last + k) & mask);
        /* SECURITY: copy each field once; everything below uses the copy. */
        uint32_t id = e[0], len = e[1], result = 0;
        struct dk_virtq_head *h;
        int status = DK_OK;

        if (id > mask) { /* id >= size */
            bad = DK_R_VIRTIO_USED_ID;
            break;
        }
        h = &heads[id];
        if (!h->inflight) {
            bad = DK_R_VIRTIO_USED_STALE;
            break;
        }
        if (len > h->writable) {
            bad = DK_R_VIRTIO_USED_LEN;
            break;
        }
        if (outcome != NULL)
            status = outcome(reqs, (uint16_t)id, len, &result);
        out[k].cookie = h->cookie;
        out[k].len = len;
        out[k].result = result;
        out[k].status = status;
        out[k].head = (uint16_t)id;
        out[k].pad = 0;
        /* dk_vq_free_chain (virtq.c), on the locals. */
        free_next[h->last] = free_head;
        free_head = (uint16_t)id;
        num_free = (uint16_t)(num_free + h->ndesc);
        h->inflight = 0;
    }
    last = (uint16_t)(last + k);
    q->last_used = last;
    q->free_head = free_head;
    q->num_free = num_free;
    q->inflight = inflight - k;
    *n = k;
    if (bad != DK_R_NONE)
        return dk_vq_fault(q, bad, why);
    if (q->event_idx) {
        /* Ask for the next interrupt once the device passes what we read. */
        *dk_vq_used_event(q) = last;
        dk_vio_barrier(q->dev, DK_BARRIER_FULL);
    }
    return dk_reject(why, DK_R_NONE, DK_OK);
}

/* Make every chain posted so far visible to the device: avail->idx takes
 * the shadow q->avail_idx. Driver side only. */
static inline void dk_vq_publish(struct dk_virtq *q)
{
    /* ORDERING: descriptors and the avail slots are written before avail->idx
     * moves (pairs with the device's read of avail->idx, then the slots). */
    dk_vio_barrier(q->dev, DK_BARRIER_WRITE);
    *dk_vq_avail_idx(q) = q->avail_idx;
    q->published = q->avail_idx;
}

static inline uint32_t dk_vio_get32(const volatile uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif /* DRIVERKIT_VIRTIO_INTERNAL_H */
