/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated accelerator (docs/virtio-accel.md): header and status in DMA
 * memory this shim owns, data segments from the caller's checked slices. */
#include "vio_internal.h"

#define DK_VACCEL_CFG_MAX_LEN 0u
#define DK_VACCEL_CFG_OPS 4u
#define DK_VACCEL_S_OK 0u
#define DK_VACCEL_S_UNSUPP 2u
#define DK_VACCEL_S_UNSET 0xffffffffu

size_t dk_vaccel_storage_size(uint16_t size)
{
    return dk_virtq_storage_size(size);
}

int dk_vaccel_init(struct dk_vaccel *a, const struct dk_backend *be, uint64_t cap, uint16_t qsize,
                   void *storage, size_t storage_size, enum dk_reason *why)
{
    void *va;
    int rc;

    if (a == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    (void)dk_vaccel_fini(a); /* as dk_vblk_init: no leak on re-init */
    rc = dk_vio_start(&a->dev, be, cap, DK_VIRTIO_ID_DK_ACCEL,
                      (1ull << DK_VIRTIO_F_INDIRECT_DESC) | (1ull << DK_VIRTIO_F_EVENT_IDX), why);
    if (rc != DK_OK)
        return rc;
    rc = dk_virtio_config_read(&a->dev, DK_VACCEL_CFG_MAX_LEN, 4, &a->max_len, why);
    if (rc == DK_OK)
        rc = dk_virtio_config_read(&a->dev, DK_VACCEL_CFG_OPS, 4, &a->ops, why);
    if (rc == DK_OK)
        rc = dk_vio_dma_area(be, (uint64_t)qsize * sizeof(struct dk_vaccel_req), &a->reqs_vmo,
                             &a->reqs_dma, &va, why);
    if (rc != DK_OK) {
        (void)dk_virtio_fail(&a->dev);
        return rc;
    }
    a->reqs = (struct dk_vaccel_req *)va;
    rc = dk_vio_finish(&a->dev, &a->q, qsize, storage, storage_size, why);
    if (rc != DK_OK) {
        dk_vio_dma_free(be, a->reqs_vmo, va, (uint64_t)qsize * sizeof(struct dk_vaccel_req));
        return rc;
    }
    a->magic = DK_VIRTIO_DEV_MAGIC;
    return dk_reject(why, DK_R_NONE, DK_OK);
}

static int dk_vaccel_sum(const struct dk_vseg *s, unsigned n, uint64_t *total)
{
    unsigned i;

    *total = 0;
    for (i = 0; i < n; i++) {
        if (s[i].len == 0)
            return 0;
        *total += s[i].len;
    }
    return 1;
}

int dk_vaccel_submit(struct dk_vaccel *a, unsigned op, const struct dk_vseg *src, unsigned nsrc,
                     const struct dk_vseg *dst, unsigned ndst, uint32_t len, uint32_t value,
                     uint64_t cookie, enum dk_reason *why)
{
    struct dk_vseg segs[DK_VIRTQ_CHAIN_MAX];
    struct dk_vaccel_req *r;
    uint64_t in_total, out_total;
    uint16_t slot, head;
    unsigned i, n = 0;

    if (a == NULL || a->magic != DK_VIRTIO_DEV_MAGIC || (nsrc && src == NULL) ||
        (ndst && dst == NULL))
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (op != DK_VACCEL_COPY && op != DK_VACCEL_FILL && op != DK_VACCEL_CSUM)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    if (len == 0)
        return dk_reject(why, DK_R_ZERO_LEN, DK_E_INVAL);
    /* The shape each op needs (FILL reads nothing, CSUM writes nothing but
     * its status), and each side adding up to len exactly. BOUND: the
     * counts are checked one by one first, so their sum cannot wrap. */
    if (len > a->max_len || nsrc > DK_VIRTQ_CHAIN_MAX || ndst > DK_VIRTQ_CHAIN_MAX ||
        nsrc + ndst + 2u > DK_VIRTQ_CHAIN_MAX ||
        !dk_vaccel_sum(src, nsrc, &in_total) || !dk_vaccel_sum(dst, ndst, &out_total) ||
        in_total != (op == DK_VACCEL_FILL ? 0u : len) ||
        out_total != (op == DK_VACCEL_CSUM ? 0u : len))
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    if (a->q.magic != DK_VIRTQ_MAGIC || a->q.fault != 0)
        return dk_reject(why, DK_R_VIRTIO_FAULTED, DK_E_FAULTED);
    if (a->q.num_free == 0)
        return dk_reject(why, DK_R_VIRTIO_RING_FULL, DK_E_QUEUE_FULL);
    slot = a->q.free_head; /* the head dk_virtq_add will hand out */
    r = &a->reqs[slot];
    dk_vio_put32(r->hdr, op);
    dk_vio_put32(r->hdr + 4, len);
    dk_vio_put32(r->hdr + 8, op == DK_VACCEL_FILL ? (value & 0xffu) : 0u);
    dk_vio_put32(r->hdr + 12, 0);
    dk_vio_put32(r->status, DK_VACCEL_S_UNSET);
    dk_vio_put32(r->status + 4, 0);
    segs[n].addr = a->reqs_dma + (uint64_t)slot * sizeof(*r);
    segs[n].len = sizeof(r->hdr);
    segs[n++].pad = 0;
    for (i = 0; i < nsrc; i++)
        segs[n++] = src[i];
    for (i = 0; i < ndst; i++)
        segs[n++] = dst[i];
    segs[n].addr = a->reqs_dma + (uint64_t)slot * sizeof(*r) + sizeof(r->hdr);
    segs[n].len = sizeof(r->status);
    segs[n++].pad = 0;
    return dk_virtq_add(&a->q, segs, 1u + nsrc, ndst + 1u, cookie, &head, why);
}

int dk_vaccel_complete(struct dk_vaccel *a, const struct dk_vdone *done, uint32_t *result)
{
    const volatile uint8_t *st;
    uint32_t status;

    if (a == NULL || done == NULL || a->magic != DK_VIRTIO_DEV_MAGIC || done->head >= a->q.size)
        return DK_E_INVAL;
    /* SECURITY: each device-written word is read once. */
    st = a->reqs[done->head].status;
    status = dk_vio_get32(st);
    if (result != NULL)
        *result = dk_vio_get32(st + 4);
    if (done->len < sizeof(a->reqs[0].status) || status == DK_VACCEL_S_UNSET)
        return DK_E_DEVICE;
    if (status == DK_VACCEL_S_OK)
        return DK_OK;
    return status == DK_VACCEL_S_UNSUPP ? DK_E_UNSUPPORTED : DK_E_DEVICE;
}

int dk_vaccel_fini(struct dk_vaccel *a)
{
    if (a == NULL || a->magic != DK_VIRTIO_DEV_MAGIC)
        return DK_OK;
    dk_vio_dma_free(a->dev.be, a->reqs_vmo, a->reqs,
                    (uint64_t)a->q.size * sizeof(struct dk_vaccel_req));
    a->magic = 0;
    return DK_OK;
}

int dk_vaccel_harvest(struct dk_vaccel *a, struct dk_vdone *out, unsigned max, unsigned *n,
                      enum dk_reason *why)
{
    unsigned i;
    int rc;

    if (a == NULL || a->magic != DK_VIRTIO_DEV_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    rc = dk_virtq_harvest(&a->q, out, max, n, why);
    for (i = 0; n != NULL && i < *n; i++)
        out[i].status = dk_vaccel_complete(a, &out[i], &out[i].result);
    return rc;
}
