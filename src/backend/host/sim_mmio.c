/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-mmio register file of a simulated device, device role, in
 * both layouts (virtio 4.2.2 modern, 4.2.4 legacy). The driver reaches it
 * only through the host window's read/write callbacks.
 *
 * MMIO: control registers take aligned 32-bit accesses only; anything else,
 * a read of a write-only or undefined register (answered 0), a write to a
 * read-only one (ignored) and any write a state forbids are counted as
 * protocol violations, never acted on.
 */
#include "sim_internal.h"

#include <string.h>

static struct dk_sim_queue *dk_sim_selected(struct dk_sim_dev *d)
{
    return d->queue_sel < DK_SIM_QUEUES ? &d->q[d->queue_sel] : NULL;
}

static int dk_sim_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1u)) == 0;
}

static void dk_sim_queue_clear(struct dk_sim_dev *d, struct dk_sim_queue *q)
{
    unsigned i;

    memset(q, 0, offsetof(struct dk_sim_queue, req));
    q->num = d->num_max;
    q->align = DK_VIRTIO_LEGACY_ALIGN;
    q->first = DK_SIM_NIL;
    q->last = DK_SIM_NIL;
    for (i = 0; i < DK_VIRTQ_SIZE_MAX; i++)
        q->req[i].live = 0;
}

void dk_sim_interrupt(struct dk_sim_dev *d, uint32_t bits)
{
    d->isr |= bits;
    d->stats.irqs++;
    dk_sim_log_put(d, DK_SIM_LOG_IRQ, 0, 0, 0, 0, d->isr);
    (void)dk_host_raise_irq(d->host, d->irq);
}

void dk_sim_reset(struct dk_sim_dev *d)
{
    unsigned i;

    dk_sim_vq_cancel(d);
    for (i = 0; i < DK_SIM_QUEUES; i++)
        dk_sim_queue_clear(d, &d->q[i]);
    d->status = 0;
    d->isr = 0;
    d->driver_features = 0;
    d->dev_sel = 0;
    d->drv_sel = 0;
    d->queue_sel = 0;
    d->stalled = 0;
}

/* Start a queue whose size and addresses are programmed: the driver zeroed
 * the rings, so both indices start at 0. */
static void dk_sim_queue_start(struct dk_sim_queue *q)
{
    q->last_avail = 0;
    q->used_idx = 0;
    q->have_done = 0;
    q->broken = 0;
    q->ready = 1;
}

static int dk_sim_rings_ok(struct dk_sim_dev *d, const struct dk_sim_queue *q)
{
    /* Split-ring alignment (virtio 2.7.1): 16, 2 and 4 bytes. */
    if ((q->desc & 15u) || (q->driver & 1u) || (q->device & 3u))
        return 0;
    /* SECURITY: refuse rings that are not inside live VMOs now; each use
     * translates again, since a VMO can go away later. */
    return dk_host_dma_ptr(d->host, q->desc, dk_sim_desc_bytes(q->num)) != NULL &&
           dk_host_dma_ptr(d->host, q->driver, dk_sim_avail_bytes(q->num)) != NULL &&
           dk_host_dma_ptr(d->host, q->device, dk_sim_used_bytes(q->num)) != NULL;
}

static void dk_sim_queue_ready(struct dk_sim_dev *d, struct dk_sim_queue *q, uint32_t v)
{
    if (v == 0) {
        dk_sim_vq_stop(d, q);
        q->ready = 0;
        return;
    }
    if (q->ready)
        return;
    if (v != 1 || !dk_sim_rings_ok(d, q)) {
        dk_sim_violation(d);
        return;
    }
    dk_sim_queue_start(q);
}

/* Legacy QueuePFN (virtio 2.7.2): descriptors, then the available ring,
 * then the used ring at the next QueueAlign boundary, all in one block. */
static void dk_sim_queue_pfn(struct dk_sim_dev *d, struct dk_sim_queue *q, uint32_t pfn)
{
    uint64_t base, used;

    if (pfn == 0) {
        dk_sim_vq_stop(d, q);
        q->ready = 0;
        q->pfn = 0;
        return;
    }
    if (q->pfn != 0 || d->page_size == 0) {
        dk_sim_violation(d);
        return;
    }
    base = (uint64_t)pfn * d->page_size;
    used = base + dk_sim_desc_bytes(q->num) + dk_sim_avail_bytes(q->num);
    used = (used + q->align - 1u) & ~((uint64_t)q->align - 1u);
    q->desc = base;
    q->driver = base + dk_sim_desc_bytes(q->num);
    q->device = used;
    if (!dk_sim_rings_ok(d, q)) {
        dk_sim_violation(d);
        return;
    }
    q->pfn = pfn;
    dk_sim_queue_start(q);
}

static void dk_sim_status_write(struct dk_sim_dev *d, uint32_t v)
{
    uint32_t old = d->status, next;

    if (v == 0) {
        d->stats.resets++;
        dk_sim_log_put(d, DK_SIM_LOG_RESET, 0, 0, 0, 0, 0);
        dk_sim_reset(d);
        return;
    }
    /* The driver never clears a bit (only a reset does) and never sets
     * DEVICE_NEEDS_RESET, which is the device's: bits stay set. */
    if ((old & ~v & ~DK_VIRTIO_S_NEEDS_RESET & 0xffu) || v > 0xffu)
        dk_sim_violation(d);
    next = old | (v & 0xffu & ~DK_VIRTIO_S_NEEDS_RESET);
    if (d->version == 2 && (next & DK_VIRTIO_S_FEATURES_OK) && !(old & DK_VIRTIO_S_FEATURES_OK)) {
        /* virtio 2.2.2: refuse FEATURES_OK (it reads back clear) for a
         * feature not offered, or a modern driver without VERSION_1. */
        if ((d->driver_features & ~d->offered) ||
            !(d->driver_features & (1ull << DK_VIRTIO_F_VERSION_1)))
            next &= ~DK_VIRTIO_S_FEATURES_OK;
    }
    if (d->version == 2 && (next & DK_VIRTIO_S_DRIVER_OK) && !(next & DK_VIRTIO_S_FEATURES_OK))
        dk_sim_violation(d);
    d->status = next;
}

static void dk_sim_features_write(struct dk_sim_dev *d, uint32_t v)
{
    unsigned shift;
    uint64_t word;

    /* No new features once accepted (modern) or the driver is running. */
    if ((d->version == 2 && (d->status & DK_VIRTIO_S_FEATURES_OK)) ||
        (d->status & DK_VIRTIO_S_DRIVER_OK) || d->drv_sel > 1) {
        dk_sim_violation(d);
        return;
    }
    shift = 32u * d->drv_sel;
    word = (uint64_t)v << shift;
    if (d->version == 1 && (word & ~d->offered)) {
        /* Legacy has no FEATURES_OK to refuse with: keep the offered part. */
        dk_sim_violation(d);
        word &= d->offered;
    }
    d->driver_features = (d->driver_features & ~(0xffffffffull << shift)) | word;
}

static uint32_t dk_sim_mmio_read(void *dev, uint64_t off, unsigned width)
{
    struct dk_sim_dev *d = (struct dk_sim_dev *)dev;
    struct dk_sim_queue *q;
    int modern;

    if (d == NULL || d->magic != DK_SIM_MAGIC)
        return 0xffffffffu;
    if (off >= DK_VMMIO_CONFIG)
        return dk_sim_config_read(d, off - DK_VMMIO_CONFIG, width);
    if (width != 4) {
        dk_sim_violation(d);
        return 0;
    }
    q = dk_sim_selected(d);
    modern = d->version == 2;
    switch (off) {
    case DK_VMMIO_MAGIC:
        return DK_VIRTIO_MAGIC_VALUE;
    case DK_VMMIO_VERSION:
        return d->version;
    case DK_VMMIO_DEVICE_ID:
        return d->device_id;
    case DK_VMMIO_VENDOR_ID:
        return DK_SIM_VENDOR_ID;
    case DK_VMMIO_DEVICE_FEATURES:
        return d->dev_sel > 1 ? 0u : (uint32_t)(d->offered >> (32u * d->dev_sel));
    case DK_VMMIO_QUEUE_NUM_MAX:
        return q != NULL ? d->num_max : 0u;
    case DK_VMMIO_QUEUE_READY:
        if (modern)
            return q != NULL ? q->ready : 0u;
        break;
    case DK_VMMIO_QUEUE_PFN:
        if (!modern)
            return q != NULL ? q->pfn : 0u;
        break;
    case DK_VMMIO_INTERRUPT_STATUS:
        return d->isr;
    case DK_VMMIO_STATUS:
        return d->status;
    case DK_VMMIO_CONFIG_GENERATION:
        if (modern)
            return d->generation;
        break;
    default:
        break;
    }
    /* Write-only, undefined, or not in this layout. */
    dk_sim_violation(d);
    return 0;
}

static void dk_sim_addr_write(struct dk_sim_dev *d, struct dk_sim_queue *q, uint64_t off,
                              uint32_t v)
{
    uint64_t *reg;
    unsigned shift = (off & 4u) ? 32u : 0u;

    /* virtio 4.2.2.2: not while QueueReady is set. */
    if (q == NULL || q->ready) {
        dk_sim_violation(d);
        return;
    }
    if (off < DK_VMMIO_QUEUE_DRIVER_LOW)
        reg = &q->desc;
    else if (off < DK_VMMIO_QUEUE_DEVICE_LOW)
        reg = &q->driver;
    else
        reg = &q->device;
    *reg = (*reg & ~(0xffffffffull << shift)) | (uint64_t)v << shift;
}

static void dk_sim_mmio_write(void *dev, uint64_t off, unsigned width, uint32_t v)
{
    struct dk_sim_dev *d = (struct dk_sim_dev *)dev;
    struct dk_sim_queue *q;
    int modern;

    if (d == NULL || d->magic != DK_SIM_MAGIC)
        return;
    /* No device here has a writable config field. */
    if (off >= DK_VMMIO_CONFIG || width != 4) {
        dk_sim_violation(d);
        return;
    }
    q = dk_sim_selected(d);
    modern = d->version == 2;
    switch (off) {
    case DK_VMMIO_DEVICE_FEATURES_SEL:
        d->dev_sel = v;
        return;
    case DK_VMMIO_DRIVER_FEATURES:
        dk_sim_features_write(d, v);
        return;
    case DK_VMMIO_DRIVER_FEATURES_SEL:
        d->drv_sel = v;
        return;
    case DK_VMMIO_GUEST_PAGE_SIZE:
        if (!modern && dk_sim_pow2(v)) {
            d->page_size = v;
            return;
        }
        break;
    case DK_VMMIO_QUEUE_SEL:
        d->queue_sel = v;
        return;
    case DK_VMMIO_QUEUE_NUM:
        /* Split rings are a power of two, at most QueueNumMax, and the size
         * stays put while the queue is live. */
        if (q != NULL && !q->ready && dk_sim_pow2(v) && v <= d->num_max) {
            q->num = v;
            return;
        }
        break;
    case DK_VMMIO_QUEUE_ALIGN:
        if (!modern && q != NULL && !q->ready && dk_sim_pow2(v)) {
            q->align = v;
            return;
        }
        break;
    case DK_VMMIO_QUEUE_PFN:
        if (!modern && q != NULL) {
            dk_sim_queue_pfn(d, q, v);
            return;
        }
        break;
    case DK_VMMIO_QUEUE_READY:
        if (modern && q != NULL) {
            dk_sim_queue_ready(d, q, v);
            return;
        }
        break;
    case DK_VMMIO_QUEUE_NOTIFY:
        dk_sim_vq_notify(d, v);
        return;
    case DK_VMMIO_INTERRUPT_ACK:
        /* Undefined bits must not be written (virtio 4.2.2.2). */
        if (v & ~(DK_VIRTIO_INT_VRING | DK_VIRTIO_INT_CONFIG))
            dk_sim_violation(d);
        d->isr &= ~v;
        return;
    case DK_VMMIO_STATUS:
        dk_sim_status_write(d, v);
        return;
    case DK_VMMIO_QUEUE_DESC_LOW:
    case DK_VMMIO_QUEUE_DESC_HIGH:
    case DK_VMMIO_QUEUE_DRIVER_LOW:
    case DK_VMMIO_QUEUE_DRIVER_HIGH:
    case DK_VMMIO_QUEUE_DEVICE_LOW:
    case DK_VMMIO_QUEUE_DEVICE_HIGH:
        if (modern) {
            dk_sim_addr_write(d, q, off, v);
            return;
        }
        break;
    default:
        break;
    }
    /* Read-only, undefined, not in this layout, or refused in this state. */
    dk_sim_violation(d);
}

const struct dk_host_mmio_ops dk_sim_mmio_ops = {
    .read = dk_sim_mmio_read,
    .write = dk_sim_mmio_write,
};
