/* SPDX-License-Identifier: Apache-2.0 */
#include <driverkit/ledger.h>

#include "internal.h"

int dk_ledger_init(struct dk_ledger *l, struct dk_client *slots, uint32_t nslots,
                   const struct dk_limits *global, const struct dk_audit *audit,
                   enum dk_reason *why)
{
    unsigned r;

    if (l == NULL || slots == NULL || global == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (nslots == 0)
        return dk_reject(why, DK_R_ZERO_LEN, DK_E_INVAL);
    if (nslots > DK_LEDGER_CLIENTS_MAX)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    dk_zero(l, sizeof(*l));
    dk_zero(slots, (size_t)nslots * sizeof(*slots));
    l->clients = slots;
    l->nslots = nslots;
    for (r = 0; r < DK_RES_COUNT; r++)
        l->limit[r] = global->max[r];
    if (audit != NULL)
        l->audit = *audit;
    l->magic = DK_LEDGER_MAGIC;
    return dk_accept(why);
}

int dk_ledger_fini(struct dk_ledger *l)
{
    if (l != NULL)
        dk_zero(l, sizeof(*l));
    return DK_OK;
}

static int dk_ledger_ok(const struct dk_ledger *l)
{
    return l != NULL && l->magic == DK_LEDGER_MAGIC;
}

int dk_ledger_client_add(struct dk_ledger *l, uint32_t client_id, const struct dk_limits *limits,
                         uint16_t *slot_out, enum dk_reason *why)
{
    uint32_t i, free_slot = UINT32_MAX;
    unsigned r;

    if (l == NULL || limits == NULL || slot_out == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (!dk_ledger_ok(l))
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    for (i = 0; i < l->nslots; i++) {
        if (l->clients[i].live && l->clients[i].id == client_id)
            return dk_reject(why, DK_R_CLIENT_EXISTS, DK_E_EXISTS);
        if (!l->clients[i].live && free_slot == UINT32_MAX)
            free_slot = i;
    }
    if (free_slot == UINT32_MAX)
        return dk_reject(why, DK_R_CLIENTS_FULL, DK_E_NO_SPACE);
    dk_zero(&l->clients[free_slot], sizeof(l->clients[free_slot]));
    for (r = 0; r < DK_RES_COUNT; r++)
        l->clients[free_slot].limit[r] = limits->max[r];
    l->clients[free_slot].id = client_id;
    l->clients[free_slot].live = 1;
    l->live++;
    *slot_out = (uint16_t)free_slot;
    dk_audit_emit(&l->audit, DK_AUDIT_CLIENT_ADD, client_id, DK_OK, 0, free_slot, 1, 0);
    return dk_accept(why);
}

int dk_ledger_client_find(const struct dk_ledger *l, uint32_t client_id, uint16_t *slot_out)
{
    uint32_t i;

    if (slot_out == NULL || !dk_ledger_ok(l))
        return DK_E_INVAL;
    for (i = 0; i < l->nslots; i++) {
        if (l->clients[i].live && l->clients[i].id == client_id) {
            *slot_out = (uint16_t)i;
            return DK_OK;
        }
    }
    return DK_E_NOT_FOUND;
}

int dk_ledger_client_remove(struct dk_ledger *l, uint16_t slot, enum dk_reason *why)
{
    unsigned r;
    uint32_t id;

    if (!dk_ledger_ok(l))
        return dk_reject(why, l == NULL ? DK_R_NULL_ARG : DK_R_NOT_INIT, DK_E_INVAL);
    if (!dk_ledger_client_ok(l, slot))
        return dk_reject(why, DK_R_BAD_CLIENT, DK_E_NOT_FOUND);
    for (r = 0; r < DK_RES_COUNT; r++)
        if (l->clients[slot].used[r] != 0)
            return dk_reject(why, DK_R_CLIENT_IN_USE, DK_E_BUSY);
    id = l->clients[slot].id;
    dk_zero(&l->clients[slot], sizeof(l->clients[slot]));
    l->live--;
    dk_audit_emit(&l->audit, DK_AUDIT_CLIENT_REMOVE, id, DK_OK, 0, slot, 1, 0);
    return dk_accept(why);
}

int dk_ledger_usage(const struct dk_ledger *l, uint16_t slot, uint64_t used[DK_RES_COUNT])
{
    const uint64_t *src;
    unsigned r;

    if (used == NULL || !dk_ledger_ok(l))
        return DK_E_INVAL;
    if (slot == DK_LEDGER_GLOBAL)
        src = l->used;
    else if (dk_ledger_client_ok(l, slot))
        src = l->clients[slot].used;
    else
        return DK_E_NOT_FOUND;
    for (r = 0; r < DK_RES_COUNT; r++)
        used[r] = src[r];
    return DK_OK;
}

int dk_ledger_check(const struct dk_ledger *l)
{
    uint64_t sum[DK_RES_COUNT] = {0};
    uint32_t i, live = 0;
    unsigned r;

    if (!dk_ledger_ok(l))
        return DK_E_INVAL;
    for (i = 0; i < l->nslots; i++) {
        const struct dk_client *c = &l->clients[i];
        if (!c->live) {
            for (r = 0; r < DK_RES_COUNT; r++)
                if (c->used[r] != 0)
                    return DK_E_CORRUPT;
            continue;
        }
        live++;
        for (r = 0; r < DK_RES_COUNT; r++) {
            if (c->used[r] > c->limit[r] || sum[r] + c->used[r] < sum[r])
                return DK_E_CORRUPT;
            sum[r] += c->used[r];
        }
    }
    if (live != l->live)
        return DK_E_CORRUPT;
    for (r = 0; r < DK_RES_COUNT; r++)
        if (sum[r] != l->used[r] || l->used[r] > l->limit[r])
            return DK_E_CORRUPT;
    return DK_OK;
}
