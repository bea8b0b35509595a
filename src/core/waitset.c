/* SPDX-License-Identifier: Apache-2.0 */
#include <driverkit/waitset.h>

#include "internal.h"

static int dk_waitset_ok(const struct dk_waitset *ws, enum dk_reason *why)
{
    if (ws == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (ws->magic != DK_WAITSET_MAGIC || ws->table == NULL)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    return DK_OK;
}

int dk_waitset_init(struct dk_waitset *ws, struct dk_fence_table *table)
{
    if (ws == NULL || table == NULL)
        return DK_E_INVAL;
    dk_zero(ws, sizeof(*ws));
    ws->table = table;
    ws->magic = DK_WAITSET_MAGIC;
    return DK_OK;
}

int dk_waitset_clear(struct dk_waitset *ws)
{
    if (dk_waitset_ok(ws, NULL) != DK_OK)
        return DK_E_INVAL;
    ws->count = 0;
    return DK_OK;
}

int dk_waitset_add(struct dk_waitset *ws, uint32_t fence, uint64_t target, enum dk_reason *why)
{
    int rc = dk_waitset_ok(ws, why);

    if (rc != DK_OK)
        return rc;
    if (fence == DK_HANDLE_INVALID)
        return dk_reject(why, DK_R_BAD_HANDLE, DK_E_NOT_FOUND);
    if (ws->count >= DK_WAITSET_MAX)
        return dk_reject(why, DK_R_WAITSET_FULL, DK_E_NO_SPACE);
    ws->members[ws->count].fence = fence;
    ws->members[ws->count].target = target;
    ws->members[ws->count].pad = 0;
    ws->count++;
    return dk_accept(why);
}

int dk_waitset_poll(const struct dk_waitset *ws, uint16_t client, unsigned mode, uint32_t *index,
                    enum dk_reason *why)
{
    uint32_t i;
    int blocked = 0;
    int rc = dk_waitset_ok(ws, why);

    if (rc != DK_OK)
        return rc;
    if (mode != DK_WAIT_ANY && mode != DK_WAIT_ALL)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    if (ws->count == 0)
        return dk_reject(why, DK_R_ZERO_LEN, DK_E_INVAL);
    /* BOUND: one pass, at most DK_WAITSET_MAX polls. ANY ends at the first
     * member with an answer; ALL ends at the first failure or refusal and
     * is ready only if no member would block. */
    for (i = 0; i < ws->count; i++) {
        int st = dk_fence_poll(ws->table, client, ws->members[i].fence, ws->members[i].target, why);
        if (st == DK_E_WOULD_BLOCK) {
            blocked = 1;
            continue;
        }
        if (mode == DK_WAIT_ANY || st != DK_OK) {
            if (index != NULL)
                *index = i;
            return st;
        }
    }
    (void)dk_accept(why);
    return blocked || mode == DK_WAIT_ANY ? DK_E_WOULD_BLOCK : DK_OK;
}

int dk_waitset_wait(struct dk_waitset *ws, uint16_t client, unsigned mode, uint64_t deadline_ns,
                    const struct dk_pump *pump, uint32_t *index, enum dk_reason *why)
{
    struct dk_waiter w[DK_WAITSET_MAX];
    const struct dk_backend *be;
    uint64_t last = 0;
    uint32_t i, n = 0, idle = 0;
    int rc;

    rc = dk_waitset_poll(ws, client, mode, index, why);
    if (rc != DK_E_WOULD_BLOCK)
        return rc;
    rc = dk_fence_check_deadline(ws->table, deadline_ns, why);
    if (rc != DK_OK)
        return rc;
    be = ws->table->backend;
    if (dk_backend_now(be) >= deadline_ns)
        return DK_E_TIMED_OUT; /* a poll: nothing to register */
    /* Register one waiter per member that is not yet ready, so the members
     * count against the fences' waiter bounds and the client's ledger. */
    for (i = 0; i < ws->count; i++) {
        w[i].target = ws->members[i].target;
        w[i].flags = 0;
        rc = dk_fence_waiter_add(ws->table, client, ws->members[i].fence, &w[i], why);
        if (rc != DK_OK) {
            if (index != NULL)
                *index = i;
            goto out;
        }
        n = i + 1;
    }
    rc = pump != NULL && pump->fn != NULL ? pump->fn(pump->arg, 0) : DK_OK;
    while (rc == DK_OK) {
        rc = dk_waitset_poll(ws, client, mode, index, why);
        if (rc != DK_E_WOULD_BLOCK)
            break;
        rc = dk_wait_step(be, deadline_ns, pump, &last, &idle);
    }
out:
    for (i = 0; i < n; i++)
        (void)dk_fence_waiter_remove(ws->table, ws->members[i].fence, &w[i]);
    return rc;
}
