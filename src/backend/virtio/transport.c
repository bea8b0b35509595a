/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-mmio transport, driver side, both register layouts. The order of
 * register accesses follows the virtio spec's driver requirements (see
 * docs/virtio-conformance.md for the trace from each MUST to this code).
 */
#include "vio_internal.h"

/* Bits DriverKit may accept at all; device-class bits come from the caller's
 * wanted mask. Transport bits we do not implement (packed ring, IN_ORDER,
 * ACCESS_PLATFORM, NOTIFICATION_DATA, ring reset, SR-IOV, admin queues)
 * are never accepted, whatever the device offers. */
#define DK_VIRTIO_TRANSPORT_KNOWN                                                          \
    ((1ull << DK_VIRTIO_F_INDIRECT_DESC) | (1ull << DK_VIRTIO_F_EVENT_IDX) |             \
     (1ull << DK_VIRTIO_F_VERSION_1))
#define DK_VIRTIO_DEVICE_BITS ((1ull << 24) - 1) /* bits 0..23 are device-specific */

static int dk_vio_ok(const struct dk_virtio_dev *d)
{
    return d != NULL && d->magic == DK_VIRTIO_DEV_MAGIC;
}

static void dk_vio_set_status(struct dk_virtio_dev *d, uint32_t bits)
{
    /* A status bit is never cleared but by a reset: always OR in. */
    d->status |= bits;
    dk_vio_wr(d, DK_VMMIO_STATUS, d->status);
}

int dk_virtio_open(struct dk_virtio_dev *d, const struct dk_backend *be, uint64_t cap,
                   enum dk_reason *why)
{
    uintptr_t regs;
    uint32_t v;
    int rc;

    if (d == NULL || be == NULL || be->ops == NULL || be->ops->mmio_map == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    d->magic = 0;
    rc = be->ops->mmio_map(be->ctx, cap, 0, DK_VMMIO_WINDOW, &regs);
    if (rc != DK_OK)
        return dk_reject(why, DK_R_OS_ERROR, rc);
    d->be = be;
    d->regs = regs;
    d->features = 0;
    d->status = 0;
    /* MMIO: magic and version first; with DeviceID 0 touch nothing else. */
    if (dk_vio_rd(d, DK_VMMIO_MAGIC) != DK_VIRTIO_MAGIC_VALUE)
        return dk_reject(why, DK_R_VIRTIO_MAGIC, DK_E_NOT_FOUND);
    v = dk_vio_rd(d, DK_VMMIO_VERSION);
    if (v != 1 && v != 2)
        return dk_reject(why, DK_R_VIRTIO_VERSION, DK_E_UNSUPPORTED);
    d->version = v;
    d->device_id = dk_vio_rd(d, DK_VMMIO_DEVICE_ID);
    if (d->device_id == 0)
        return dk_reject(why, DK_R_VIRTIO_NO_DEVICE, DK_E_NOT_FOUND);
    d->magic = DK_VIRTIO_DEV_MAGIC;
    return dk_reject(why, DK_R_NONE, DK_OK);
}

int dk_virtio_reset(struct dk_virtio_dev *d, enum dk_reason *why)
{
    unsigned i;

    if (!dk_vio_ok(d))
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    d->status = 0;
    d->features = 0;
    dk_vio_wr(d, DK_VMMIO_STATUS, 0);
    /* BOUND: a reset is complete only when Status reads 0; poll a bounded
     * number of times rather than trust the device to finish. */
    for (i = 0; i < DK_VIRTIO_RESET_POLLS; i++)
        if (dk_vio_rd(d, DK_VMMIO_STATUS) == 0)
            return dk_reject(why, DK_R_NONE, DK_OK);
    return dk_reject(why, DK_R_VIRTIO_RESET_TIMEOUT, DK_E_DEVICE);
}

int dk_virtio_fail(struct dk_virtio_dev *d)
{
    if (!dk_vio_ok(d))
        return DK_E_INVAL;
    dk_vio_set_status(d, DK_VIRTIO_S_FAILED);
    return DK_OK;
}

int dk_virtio_negotiate(struct dk_virtio_dev *d, uint64_t wanted, uint64_t *negotiated,
                        enum dk_reason *why)
{
    uint64_t offered, accept;
    int rc = dk_virtio_reset(d, why);

    if (rc != DK_OK)
        return rc;
    dk_vio_set_status(d, DK_VIRTIO_S_ACKNOWLEDGE);
    dk_vio_set_status(d, DK_VIRTIO_S_DRIVER);
    /* MMIO: select the word before reading it, both words. */
    dk_vio_wr(d, DK_VMMIO_DEVICE_FEATURES_SEL, 0);
    offered = dk_vio_rd(d, DK_VMMIO_DEVICE_FEATURES);
    dk_vio_wr(d, DK_VMMIO_DEVICE_FEATURES_SEL, 1);
    offered |= (uint64_t)dk_vio_rd(d, DK_VMMIO_DEVICE_FEATURES) << 32;
    accept = offered & (wanted | (1ull << DK_VIRTIO_F_VERSION_1)) &
             (DK_VIRTIO_TRANSPORT_KNOWN | (wanted & DK_VIRTIO_DEVICE_BITS));
    if (d->version == 2 && !((offered >> DK_VIRTIO_F_VERSION_1) & 1u)) {
        (void)dk_virtio_fail(d);
        return dk_reject(why, DK_R_VIRTIO_NO_VERSION_1, DK_E_DEVICE);
    }
    if (d->version == 1)
        accept &= ~(1ull << DK_VIRTIO_F_VERSION_1); /* legacy: VERSION_1 absent */
    dk_vio_wr(d, DK_VMMIO_DRIVER_FEATURES_SEL, 0);
    dk_vio_wr(d, DK_VMMIO_DRIVER_FEATURES, (uint32_t)accept);
    dk_vio_wr(d, DK_VMMIO_DRIVER_FEATURES_SEL, 1);
    dk_vio_wr(d, DK_VMMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
    if (d->version == 2) {
        dk_vio_set_status(d, DK_VIRTIO_S_FEATURES_OK);
        if ((dk_vio_rd(d, DK_VMMIO_STATUS) & DK_VIRTIO_S_FEATURES_OK) == 0) {
            (void)dk_virtio_fail(d);
            return dk_reject(why, DK_R_VIRTIO_FEATURES_REFUSED, DK_E_DEVICE);
        }
    } else {
        dk_vio_wr(d, DK_VMMIO_GUEST_PAGE_SIZE, DK_VIRTIO_LEGACY_ALIGN);
    }
    d->features = accept;
    if (negotiated != NULL)
        *negotiated = accept;
    return dk_reject(why, DK_R_NONE, DK_OK);
}

int dk_virtio_driver_ok(struct dk_virtio_dev *d)
{
    if (!dk_vio_ok(d))
        return DK_E_INVAL;
    dk_vio_set_status(d, DK_VIRTIO_S_DRIVER_OK);
    return DK_OK;
}

uint32_t dk_virtio_status(const struct dk_virtio_dev *d)
{
    return dk_vio_ok(d) ? dk_vio_rd(d, DK_VMMIO_STATUS) : 0;
}

static uint32_t dk_vio_cfg(const struct dk_virtio_dev *d, uint32_t off, unsigned width)
{
    return d->be->ops->mmio_read(d->be->ctx, d->regs + DK_VMMIO_CONFIG + off, width);
}

/* Read @n 32-bit-or-narrower fields coherently: modern brackets them with
 * ConfigGeneration, legacy (no generation) reads until two passes agree. */
static int dk_vio_cfg_stable(struct dk_virtio_dev *d, const uint32_t *offs, const unsigned *widths,
                             uint32_t *vals, unsigned n, enum dk_reason *why)
{
    unsigned tries, i;

    for (tries = 0; tries < DK_VIRTIO_CONFIG_RETRIES; tries++) {
        uint32_t before = 0, after = 0, again[2];
        int same = 1;

        if (d->version == 2)
            before = dk_vio_rd(d, DK_VMMIO_CONFIG_GENERATION);
        for (i = 0; i < n; i++)
            vals[i] = dk_vio_cfg(d, offs[i], widths[i]);
        if (d->version == 2) {
            after = dk_vio_rd(d, DK_VMMIO_CONFIG_GENERATION);
            same = before == after;
        } else {
            for (i = 0; i < n; i++) {
                again[i] = dk_vio_cfg(d, offs[i], widths[i]);
                same &= again[i] == vals[i];
            }
        }
        if (same)
            return dk_reject(why, DK_R_NONE, DK_OK);
    }
    return dk_reject(why, DK_R_VIRTIO_CONFIG_UNSTABLE, DK_E_DEVICE);
}

int dk_virtio_config_read(struct dk_virtio_dev *d, uint32_t off, unsigned width, uint32_t *value,
                          enum dk_reason *why)
{
    if (!dk_vio_ok(d) || value == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    /* MMIO: config access width equals the field width, naturally aligned. */
    if ((width != 1 && width != 2 && width != 4) || (off & (width - 1)) != 0 ||
        off > DK_VMMIO_WINDOW - DK_VMMIO_CONFIG - width)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    return dk_vio_cfg_stable(d, &off, &width, value, 1, why);
}

int dk_virtio_config_read64(struct dk_virtio_dev *d, uint32_t off, uint64_t *value,
                            enum dk_reason *why)
{
    const uint32_t offs[2] = {off, off + 4};
    const unsigned widths[2] = {4, 4};
    uint32_t v[2];
    int rc;

    if (!dk_vio_ok(d) || value == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if ((off & 3u) != 0 || off > DK_VMMIO_WINDOW - DK_VMMIO_CONFIG - 8)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    rc = dk_vio_cfg_stable(d, offs, widths, v, 2, why);
    if (rc == DK_OK)
        *value = (uint64_t)v[0] | (uint64_t)v[1] << 32;
    return rc;
}

int dk_virtio_irq(struct dk_virtio_dev *d, uint32_t *bits)
{
    uint32_t st;

    if (!dk_vio_ok(d) || bits == NULL)
        return DK_E_INVAL;
    st = dk_vio_rd(d, DK_VMMIO_INTERRUPT_STATUS);
    /* ORDERING: the InterruptStatus load completes before the caller reads
     * the used ring (pairs with the device's used->idx store before it
     * raised the interrupt). */
    dk_vio_barrier(d, DK_BARRIER_MMIO_READ);
    /* Only the defined bits are handled and acknowledged. */
    st &= DK_VIRTIO_INT_VRING | DK_VIRTIO_INT_CONFIG;
    if (st != 0)
        dk_vio_wr(d, DK_VMMIO_INTERRUPT_ACK, st);
    *bits = st;
    return DK_OK;
}

int dk_vio_start(struct dk_virtio_dev *d, const struct dk_backend *be, uint64_t cap,
                 uint32_t device_id, uint64_t wanted, enum dk_reason *why)
{
    int rc = dk_virtio_open(d, be, cap, why);

    if (rc != DK_OK)
        return rc;
    if (d->device_id != device_id)
        return dk_reject(why, DK_R_VIRTIO_WRONG_DEVICE, DK_E_NOT_FOUND);
    return dk_virtio_negotiate(d, wanted, NULL, why);
}

int dk_vio_finish(struct dk_virtio_dev *d, struct dk_virtq *q, uint16_t qsize, void *storage,
                  size_t storage_size, enum dk_reason *why)
{
    int rc = dk_virtq_setup(q, d, 0, qsize, storage, storage_size, why);

    if (rc != DK_OK) {
        (void)dk_virtio_fail(d);
        return rc;
    }
    return dk_virtio_driver_ok(d);
}

int dk_vio_dma_area(const struct dk_backend *be, uint64_t bytes, uint64_t *vmo, uint64_t *dma,
                    void **va, enum dk_reason *why)
{
    struct dk_vmo_info info;
    int rc = be->ops->vmo_create(be->ctx, bytes, vmo);

    if (rc == DK_OK && (rc = be->ops->vmo_query(be->ctx, *vmo, &info)) == DK_OK)
        rc = be->ops->vmo_map(be->ctx, *vmo, 0, bytes, DK_MAP_READ | DK_MAP_WRITE, va);
    if (rc != DK_OK)
        return dk_reject(why, DK_R_OS_ERROR, rc);
    *dma = info.dma_addr;
    return DK_OK;
}

void dk_vio_dma_free(const struct dk_backend *be, uint64_t vmo, void *va, uint64_t bytes)
{
    if (be == NULL || vmo == 0)
        return;
    if (va != NULL && be->ops->vmo_unmap != NULL)
        (void)be->ops->vmo_unmap(be->ctx, va, bytes);
    (void)be->ops->vmo_destroy(be->ctx, vmo);
}
