/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-rng: device-writable buffers only; the used length says how many
 * bytes are random, and nothing past it is ever used. */
#include "vio_internal.h"

size_t dk_vrng_storage_size(uint16_t size)
{
    return dk_virtq_storage_size(size);
}

int dk_vrng_init(struct dk_vrng *r, const struct dk_backend *be, uint64_t cap, uint16_t qsize,
                 void *storage, size_t storage_size, enum dk_reason *why)
{
    int rc;

    if (r == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    r->magic = 0;
    /* No device feature bits exist for rng: want none but the transport's. */
    rc = dk_vio_start(&r->dev, be, cap, DK_VIRTIO_ID_RNG,
                      (1ull << DK_VIRTIO_F_INDIRECT_DESC) | (1ull << DK_VIRTIO_F_EVENT_IDX), why);
    if (rc == DK_OK)
        rc = dk_vio_finish(&r->dev, &r->q, qsize, storage, storage_size, why);
    if (rc != DK_OK)
        return rc;
    r->magic = DK_VIRTIO_DEV_MAGIC;
    return dk_reject(why, DK_R_NONE, DK_OK);
}

int dk_vrng_request(struct dk_vrng *r, const struct dk_vseg *buf, uint64_t cookie,
                    enum dk_reason *why)
{
    uint16_t head;

    if (r == NULL || r->magic != DK_VIRTIO_DEV_MAGIC || buf == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    return dk_virtq_add(&r->q, buf, 0, 1, cookie, &head, why);
}

int dk_vrng_complete(const struct dk_vrng *r, const struct dk_vdone *done, uint32_t *bytes)
{
    if (r == NULL || done == NULL || bytes == NULL || r->magic != DK_VIRTIO_DEV_MAGIC)
        return DK_E_INVAL;
    *bytes = done->len;
    return done->len == 0 ? DK_E_DEVICE : DK_OK;
}
