/* SPDX-License-Identifier: Apache-2.0 */
#include <driverkit/buf.h>

#include "internal.h"
#include "buf_slice.h"

size_t dk_buf_table_storage_size(uint32_t nslots)
{
    if (nslots == 0 || nslots > DK_BUF_TABLE_MAX)
        return 0;
    return (size_t)nslots * sizeof(struct dk_buf);
}

int dk_buf_table_init(struct dk_buf_table *t, const struct dk_buf_cfg *cfg, void *storage,
                      size_t storage_size, enum dk_reason *why)
{
    if (t == NULL || cfg == NULL || storage == NULL || cfg->ledger == NULL ||
        cfg->backend == NULL || cfg->backend->ops == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (cfg->nslots == 0 || cfg->max_size == 0)
        return dk_reject(why, DK_R_ZERO_LEN, DK_E_INVAL);
    if (cfg->nslots > DK_BUF_TABLE_MAX || cfg->max_size > DK_BUF_SIZE_LIMIT)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    if (storage_size < dk_buf_table_storage_size(cfg->nslots))
        return dk_reject(why, DK_R_STORAGE_SMALL, DK_E_INVAL);
    dk_zero(t, sizeof(*t));
    dk_zero(storage, dk_buf_table_storage_size(cfg->nslots));
    t->slots = (struct dk_buf *)storage;
    t->nslots = cfg->nslots;
    t->max_size = cfg->max_size;
    t->ledger = cfg->ledger;
    t->backend = cfg->backend;
    t->audit = cfg->audit;
    t->magic = DK_BUF_MAGIC;
    return dk_accept(why);
}

int dk_buf_table_fini(struct dk_buf_table *t)
{
    if (t == NULL || t->magic != DK_BUF_MAGIC)
        return DK_OK;
    if (t->live != 0)
        return DK_E_BUSY;
    dk_zero(t, sizeof(*t));
    return DK_OK;
}

/* Resolve a handle to a slot. @any_state lets unpin reach a destroyed
 * (doomed) buffer, whose handle is otherwise dead. */
static int dk_buf_lookup(const struct dk_buf_table *t, uint32_t handle, int any_state,
                         struct dk_buf **out, enum dk_reason *why)
{
    uint32_t idx;
    struct dk_buf *b;

    if (t == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (t->magic != DK_BUF_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    idx = DK_HANDLE_INDEX(handle);
    if (handle == DK_HANDLE_INVALID || idx >= t->nslots)
        return dk_reject(why, DK_R_BAD_HANDLE, DK_E_NOT_FOUND);
    b = &t->slots[idx];
    if (b->gen == DK_HANDLE_GEN(handle) && b->state == DK_BUF_FREE)
        return dk_reject(why, DK_R_BAD_HANDLE, DK_E_NOT_FOUND);
    if (b->gen != DK_HANDLE_GEN(handle) || (b->state == DK_BUF_DOOMED && !any_state))
        return dk_reject(why, DK_R_STALE_HANDLE, DK_E_STALE);
    *out = b;
    return DK_OK;
}

/* Lookup for the owner only. SECURITY: another client's buffer reads as
 * not found, so handles cannot be probed across clients. */
static int dk_buf_owned(const struct dk_buf_table *t, uint16_t client, uint32_t handle,
                        struct dk_buf **out, enum dk_reason *why)
{
    int rc = dk_buf_lookup(t, handle, 0, out, why);

    if (rc != DK_OK)
        return rc;
    if ((*out)->owner != client)
        return dk_reject(why, DK_R_NOT_OWNER, DK_E_NOT_FOUND);
    return DK_OK;
}

int dk_buf_create(struct dk_buf_table *t, uint16_t client, uint64_t size, unsigned rights,
                  uint32_t *handle, enum dk_reason *why)
{
    const struct dk_backend *be;
    struct dk_vmo_info info;
    struct dk_buf *b = NULL;
    uint64_t vmo;
    uint32_t i;
    uint16_t gen;
    int rc;

    if (t == NULL || handle == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (t->magic != DK_BUF_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    if (size == 0)
        return dk_reject(why, DK_R_ZERO_LEN, DK_E_INVAL);
    if (rights == 0 || (rights & ~DK_BUF_RIGHTS_ALL) != 0)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    if (size > t->max_size)
        return dk_reject(why, DK_R_BUF_TOO_BIG, DK_E_TOO_BIG);
    for (i = 0; i < t->nslots; i++) {
        if (t->slots[i].state == DK_BUF_FREE) {
            b = &t->slots[i];
            break;
        }
    }
    if (b == NULL)
        return dk_reject(why, DK_R_TABLE_FULL, DK_E_NO_SPACE);
    /* Charge bytes, then the count; undo the first if the second fails. */
    rc = dk_ledger_charge(t->ledger, client, DK_RES_BYTES, size, why);
    if (rc != DK_OK)
        return rc;
    rc = dk_ledger_charge(t->ledger, client, DK_RES_BUFFERS, 1, why);
    if (rc != DK_OK)
        goto undo_bytes;
    be = t->backend;
    rc = be->ops->vmo_create(be->ctx, size, &vmo);
    if (rc != DK_OK)
        goto undo_os;
    rc = be->ops->vmo_query(be->ctx, vmo, &info);
    if (rc != DK_OK) {
        (void)be->ops->vmo_destroy(be->ctx, vmo);
        goto undo_os;
    }
    gen = b->gen;
    dk_zero(b, sizeof(*b));
    b->gen = gen;
    b->vmo = vmo;
    b->size = size;
    b->dma_addr = info.dma_addr;
    b->owner = client;
    b->rights = (uint8_t)rights;
    b->state = DK_BUF_LIVE;
    t->live++;
    *handle = DK_HANDLE_MAKE(i, gen);
    return dk_accept(why);

undo_os:
    /* Whatever status the backend gave, the reason says it was the OS. */
    (void)dk_reject(why, DK_R_OS_ERROR, rc);
    (void)dk_ledger_release(t->ledger, client, DK_RES_BUFFERS, 1);
undo_bytes:
    (void)dk_ledger_release(t->ledger, client, DK_RES_BYTES, size);
    return rc;
}

/* Give back the VMO and exactly what was charged at creation. */
static void dk_buf_reclaim(struct dk_buf_table *t, struct dk_buf *b)
{
    uint16_t gen = (uint16_t)(b->gen + 1u);
    uint32_t handle = DK_HANDLE_MAKE(b - t->slots, b->gen);
    uint64_t size = b->size;
    uint16_t owner = b->owner;

    if (b->va != NULL && t->backend->ops->vmo_unmap != NULL)
        (void)t->backend->ops->vmo_unmap(t->backend->ctx, b->va, b->size);
    (void)t->backend->ops->vmo_destroy(t->backend->ctx, b->vmo);
    (void)dk_ledger_release(t->ledger, owner, DK_RES_BYTES, size);
    (void)dk_ledger_release(t->ledger, owner, DK_RES_BUFFERS, 1);
    dk_zero(b, sizeof(*b));
    b->gen = gen;
    t->live--;
    dk_audit_emit(&t->audit, DK_AUDIT_BUF_RECLAIM,
                  dk_ledger_client_ok(t->ledger, owner) ? t->ledger->clients[owner].id : 0, DK_OK,
                  0, handle, size, 0);
}

/* Destroy or, if pinned, retire the handle and defer the reclaim. */
static int dk_buf_kill(struct dk_buf_table *t, struct dk_buf *b, enum dk_reason *why)
{
    if (b->pins != 0) {
        b->state = DK_BUF_DOOMED;
        return dk_reject(why, DK_R_BUF_PINNED, DK_E_BUSY);
    }
    dk_buf_reclaim(t, b);
    return dk_accept(why);
}

int dk_buf_destroy(struct dk_buf_table *t, uint16_t client, uint32_t handle, enum dk_reason *why)
{
    struct dk_buf *b;
    int rc = dk_buf_owned(t, client, handle, &b, why);

    if (rc != DK_OK)
        return rc; /* a handle retired by an earlier destroy is STALE */
    return dk_buf_kill(t, b, why);
}

int dk_buf_seal(struct dk_buf_table *t, uint16_t client, uint32_t handle, enum dk_reason *why)
{
    struct dk_buf *b;
    int rc = dk_buf_owned(t, client, handle, &b, why);

    if (rc != DK_OK)
        return rc;
    if ((b->map_prot & DK_MAP_WRITE) != 0)
        return dk_reject(why, DK_R_BUF_MAPPED, DK_E_BUSY);
    /* One-way: nothing clears `sealed` or gives WRITE back. */
    b->sealed = 1;
    b->rights = (uint8_t)(b->rights & ~DK_BUF_WRITE);
    return dk_accept(why);
}

int dk_buf_slice_pins(const struct dk_buf_table *t, uint16_t client, uint32_t handle,
                      uint64_t offset, uint64_t length, unsigned access, struct dk_slice *out,
                      struct dk_buf **slot, enum dk_reason *why)
{
    struct dk_buf *b;
    int rc = dk_buf_slice_args(length, access, out, why);

    if (rc != DK_OK)
        return rc;
    rc = dk_buf_owned(t, client, handle, &b, why);
    if (rc != DK_OK)
        return rc;
    rc = dk_buf_slice_of(b, handle, offset, length, access, out, why);
    if (rc == DK_OK && slot != NULL)
        *slot = b;
    return rc;
}

int dk_buf_slice(const struct dk_buf_table *t, uint16_t client, uint32_t handle, uint64_t offset,
                 uint64_t length, unsigned access, struct dk_slice *out, enum dk_reason *why)
{
    return dk_buf_slice_pins(t, client, handle, offset, length, access, out, NULL, why);
}

int dk_buf_pin(struct dk_buf_table *t, uint16_t client, uint32_t handle, enum dk_reason *why)
{
    struct dk_buf *b;
    int rc = dk_buf_owned(t, client, handle, &b, why);

    if (rc != DK_OK)
        return rc;
    if (b->pins >= DK_BUF_PINS_MAX)
        return dk_reject(why, DK_R_PIN_OVERFLOW, DK_E_NO_SPACE);
    b->pins++;
    return dk_accept(why);
}

int dk_buf_unpin(struct dk_buf_table *t, uint32_t handle, enum dk_reason *why)
{
    struct dk_buf *b;
    int rc = dk_buf_lookup(t, handle, 1, &b, why);

    if (rc != DK_OK)
        return rc;
    if (b->pins == 0)
        return dk_reject(why, DK_R_NOT_PINNED, DK_E_STATE);
    b->pins--;
    if (b->pins == 0 && b->state == DK_BUF_DOOMED)
        dk_buf_reclaim(t, b);
    return dk_accept(why);
}

void dk_buf_unpin_n(struct dk_buf_table *t, uint32_t handle, uint32_t n)
{
    struct dk_buf *b;

    /* What n calls of dk_buf_unpin() leave behind: the pins there are go,
     * and the last one reclaims a doomed buffer (after which the handle is
     * stale and the remaining calls would have been refused). */
    if (n == 0 || dk_buf_lookup(t, handle, 1, &b, NULL) != DK_OK || b->pins == 0)
        return;
    b->pins = n < b->pins ? b->pins - n : 0u;
    if (b->pins == 0 && b->state == DK_BUF_DOOMED)
        dk_buf_reclaim(t, b);
}

int dk_buf_map(struct dk_buf_table *t, uint16_t client, uint32_t handle, unsigned prot, void **va,
               enum dk_reason *why)
{
    struct dk_buf *b;
    unsigned access;
    int rc;

    if (va == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (prot == 0 || (prot & ~(unsigned)(DK_MAP_READ | DK_MAP_WRITE)) != 0)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    rc = dk_buf_owned(t, client, handle, &b, why);
    if (rc != DK_OK)
        return rc;
    if ((b->rights & DK_BUF_MAP) == 0)
        return dk_reject(why, DK_R_NO_MAP_RIGHT, DK_E_DENIED);
    access =
        ((prot & DK_MAP_READ) ? DK_BUF_READ : 0u) | ((prot & DK_MAP_WRITE) ? DK_BUF_WRITE : 0u);
    rc = dk_buf_check_access(b, access, why);
    if (rc != DK_OK)
        return rc;
    if (b->va != NULL) {
        if ((prot & ~(unsigned)b->map_prot) != 0)
            return dk_reject(why, DK_R_BUF_MAPPED, DK_E_BUSY);
        *va = b->va;
        return dk_accept(why);
    }
    rc = t->backend->ops->vmo_map(t->backend->ctx, b->vmo, 0, b->size, prot, &b->va);
    if (rc != DK_OK) {
        b->va = NULL;
        return dk_reject(why, DK_R_OS_ERROR, rc);
    }
    b->map_prot = (uint8_t)prot;
    *va = b->va;
    return dk_accept(why);
}

int dk_buf_unmap(struct dk_buf_table *t, uint16_t client, uint32_t handle, enum dk_reason *why)
{
    struct dk_buf *b;
    int rc = dk_buf_owned(t, client, handle, &b, why);

    if (rc != DK_OK)
        return rc;
    if (b->va == NULL)
        return dk_reject(why, DK_R_NOT_MAPPED, DK_E_STATE);
    if (t->backend->ops->vmo_unmap != NULL) {
        rc = t->backend->ops->vmo_unmap(t->backend->ctx, b->va, b->size);
        if (rc != DK_OK)
            return dk_reject(why, DK_R_OS_ERROR, rc);
    }
    b->va = NULL;
    b->map_prot = 0;
    return dk_accept(why);
}

int dk_buf_info(const struct dk_buf_table *t, uint16_t client, uint32_t handle, struct dk_buf *info)
{
    struct dk_buf *b;
    int rc;

    if (info == NULL)
        return DK_E_INVAL;
    rc = dk_buf_owned(t, client, handle, &b, NULL);
    if (rc != DK_OK)
        return rc;
    *info = *b;
    return DK_OK;
}

int dk_buf_reclaim_client(struct dk_buf_table *t, uint16_t client, uint32_t *count)
{
    uint32_t i, n = 0;

    if (t == NULL || t->magic != DK_BUF_MAGIC)
        return DK_E_INVAL;
    for (i = 0; i < t->nslots; i++) {
        struct dk_buf *b = &t->slots[i];
        if (b->state != DK_BUF_LIVE || b->owner != client)
            continue;
        (void)dk_buf_kill(t, b, NULL);
        n++;
    }
    if (count != NULL)
        *count = n;
    return DK_OK;
}
