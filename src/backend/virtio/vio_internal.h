/* SPDX-License-Identifier: Apache-2.0 */
/* Register and ring access helpers shared by the virtio driver files. */
#ifndef DRIVERKIT_VIRTIO_INTERNAL_H
#define DRIVERKIT_VIRTIO_INTERNAL_H

#include <driverkit/virtio.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the virtio driver stores ring fields natively: little-endian hosts only"
#endif

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
 * faulted). The head taken is the queue's free_head at the call.
 * DK_OK or DK_E_QUEUE_FULL (VIRTIO_RING_FULL), nothing changed then. */
int dk_vq_post(struct dk_virtq *q, const struct dk_vseg *segs, unsigned n_out, unsigned n_in,
               uint32_t writable, uint64_t cookie, enum dk_reason *why);

/* A little-endian store into driver-owned DMA memory (the byte order is
 * checked above): one 4-byte store, any alignment. */
static inline void dk_vio_put32(uint8_t *p, uint32_t v)
{
    __builtin_memcpy(p, &v, sizeof v);
}

static inline uint32_t dk_vio_get32(const volatile uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif /* DRIVERKIT_VIRTIO_INTERNAL_H */
