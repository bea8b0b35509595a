/* SPDX-License-Identifier: Apache-2.0 */
#include <driverkit/fence.h>

#include "internal.h"

#define DK_WAITER_LINKED 1u
#define DK_WAITER_CHARGED 2u

size_t dk_fence_table_storage_size(uint32_t nslots)
{
    if (nslots == 0 || nslots > DK_FENCE_TABLE_MAX)
        return 0;
    return (size_t)nslots * sizeof(struct dk_fence);
}

int dk_fence_table_init(struct dk_fence_table *t, const struct dk_fence_cfg *cfg, void *storage,
                        size_t storage_size, enum dk_reason *why)
{
    if (t == NULL || cfg == NULL || storage == NULL || cfg->ledger == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (cfg->nslots == 0 || cfg->max_jump == 0 || cfg->max_wait_ns == 0 ||
        cfg->waiters_per_fence == 0)
        return dk_reject(why, DK_R_ZERO_LEN, DK_E_INVAL);
    if (cfg->nslots > DK_FENCE_TABLE_MAX || cfg->waiters_per_fence > DK_FENCE_WAITERS_MAX)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    if (storage_size < dk_fence_table_storage_size(cfg->nslots))
        return dk_reject(why, DK_R_STORAGE_SMALL, DK_E_INVAL);
    dk_zero(t, sizeof(*t));
    dk_zero(storage, dk_fence_table_storage_size(cfg->nslots));
    t->slots = (struct dk_fence *)storage;
    t->nslots = cfg->nslots;
    t->max_jump = cfg->max_jump;
    t->max_wait_ns = cfg->max_wait_ns;
    t->waiters_per_fence = cfg->waiters_per_fence;
    t->ledger = cfg->ledger;
    t->backend = cfg->backend;
    t->audit = cfg->audit;
    t->magic = DK_FENCE_MAGIC;
    return dk_accept(why);
}

int dk_fence_table_fini(struct dk_fence_table *t)
{
    if (t == NULL || t->magic != DK_FENCE_MAGIC)
        return DK_OK;
    if (t->live != 0)
        return DK_E_BUSY;
    dk_zero(t, sizeof(*t));
    return DK_OK;
}

static unsigned dk_fence_rights_of(const struct dk_fence *f, uint16_t client)
{
    unsigned i;

    for (i = 0; i < f->ngrants; i++)
        if (f->grant_client[i] == client)
            return f->grant_rights[i];
    return 0;
}

/* Resolve a handle to a live fence, without any rights check. */
static int dk_fence_lookup(const struct dk_fence_table *t, uint32_t handle, struct dk_fence **out,
                           enum dk_reason *why)
{
    uint32_t idx;
    struct dk_fence *f;

    if (t == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (t->magic != DK_FENCE_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    idx = DK_HANDLE_INDEX(handle);
    if (handle == DK_HANDLE_INVALID || idx >= t->nslots)
        return dk_reject(why, DK_R_BAD_HANDLE, DK_E_NOT_FOUND);
    f = &t->slots[idx];
    if (f->gen != DK_HANDLE_GEN(handle) || f->state != DK_FENCE_LIVE) {
        /* A slot that was never handed out under this generation is
         * unknown; one that was, and has since been freed, is stale. */
        if (f->gen == DK_HANDLE_GEN(handle) && f->state == DK_FENCE_FREE)
            return dk_reject(why, DK_R_BAD_HANDLE, DK_E_NOT_FOUND);
        return dk_reject(why, DK_R_STALE_HANDLE, DK_E_STALE);
    }
    *out = f;
    return DK_OK;
}

/* Lookup plus rights: a client with no right at all is told NOT_FOUND
 * (SECURITY: other clients' fences cannot be probed). */
static int dk_fence_access(const struct dk_fence_table *t, uint16_t client, uint32_t handle,
                           unsigned right, struct dk_fence **out, enum dk_reason *why)
{
    unsigned have;
    int rc = dk_fence_lookup(t, handle, out, why);

    if (rc != DK_OK)
        return rc;
    have = dk_fence_rights_of(*out, client);
    if (have == 0)
        return dk_reject(why, DK_R_NOT_OWNER, DK_E_NOT_FOUND);
    if ((have & right) != right)
        return dk_reject(why,
                         right == DK_FENCE_RIGHT_WAIT ? DK_R_NO_WAIT_RIGHT : DK_R_NO_SIGNAL_RIGHT,
                         DK_E_DENIED);
    return DK_OK;
}

/* The wait condition of one target: DK_OK, the failure, TOO_FAR or WOULD_BLOCK. */
static int dk_fence_eval(const struct dk_fence_table *t, const struct dk_fence *f, uint64_t target,
                         enum dk_reason *why)
{
    if (dk_timeline_reached(f->value, target))
        return dk_accept(why);
    if (f->fail_status != DK_OK) {
        (void)dk_accept(why);
        return f->fail_status;
    }
    if (target - f->value > t->max_jump)
        return dk_reject(why, DK_R_WAIT_TOO_FAR, DK_E_TOO_FAR);
    (void)dk_accept(why);
    return DK_E_WOULD_BLOCK;
}

int dk_fence_create(struct dk_fence_table *t, uint16_t client, uint32_t *handle, enum dk_reason *why)
{
    uint32_t i;
    struct dk_fence *f = NULL;
    uint16_t gen;
    int rc;

    if (t == NULL || handle == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (t->magic != DK_FENCE_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    for (i = 0; i < t->nslots; i++) {
        if (t->slots[i].state == DK_FENCE_FREE) {
            f = &t->slots[i];
            break;
        }
    }
    if (f == NULL)
        return dk_reject(why, DK_R_TABLE_FULL, DK_E_NO_SPACE);
    rc = dk_ledger_charge(t->ledger, client, DK_RES_FENCES, 1, why);
    if (rc != DK_OK)
        return rc;
    gen = f->gen;
    dk_zero(f, sizeof(*f));
    f->gen = gen;
    f->owner = client;
    f->state = DK_FENCE_LIVE;
    f->ngrants = 1;
    f->grant_client[0] = client;
    f->grant_rights[0] = DK_FENCE_RIGHT_WAIT | DK_FENCE_RIGHT_SIGNAL;
    t->live++;
    *handle = DK_HANDLE_MAKE(i, gen);
    return dk_accept(why);
}

/* Return a fence's slot and its ledger charge. The generation moves on, so
 * every outstanding handle becomes stale. */
static void dk_fence_free(struct dk_fence_table *t, struct dk_fence *f)
{
    uint16_t gen = (uint16_t)(f->gen + 1u);

    (void)dk_ledger_release(t->ledger, f->owner, DK_RES_FENCES, 1);
    dk_zero(f, sizeof(*f));
    f->gen = gen;
    t->live--;
}

int dk_fence_destroy(struct dk_fence_table *t, uint16_t client, uint32_t handle, enum dk_reason *why)
{
    struct dk_fence *f;
    int rc = dk_fence_lookup(t, handle, &f, why);

    if (rc != DK_OK)
        return rc;
    if (f->owner != client)
        return dk_reject(why, DK_R_NOT_OWNER, DK_E_NOT_FOUND);
    if (f->nwaiters != 0)
        return dk_reject(why, DK_R_HAS_WAITERS, DK_E_BUSY);
    dk_fence_free(t, f);
    return dk_accept(why);
}

int dk_fence_grant(struct dk_fence_table *t, uint16_t client, uint32_t handle, uint16_t grantee,
                   unsigned rights, enum dk_reason *why)
{
    struct dk_fence *f;
    unsigned have, i;
    int rc;

    if (rights == 0 || (rights & ~(DK_FENCE_RIGHT_WAIT | DK_FENCE_RIGHT_SIGNAL)) != 0)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    rc = dk_fence_lookup(t, handle, &f, why);
    if (rc != DK_OK)
        return rc;
    have = dk_fence_rights_of(f, client);
    if (have == 0)
        return dk_reject(why, DK_R_NOT_OWNER, DK_E_NOT_FOUND);
    if ((rights & ~have) != 0)
        return dk_reject(why, DK_R_RIGHTS_ESCALATION, DK_E_DENIED);
    if (!dk_ledger_client_ok(t->ledger, grantee))
        return dk_reject(why, DK_R_BAD_CLIENT, DK_E_NOT_FOUND);
    for (i = 0; i < f->ngrants; i++) {
        if (f->grant_client[i] == grantee) {
            f->grant_rights[i] = (uint8_t)(f->grant_rights[i] | rights);
            return dk_accept(why);
        }
    }
    if (f->ngrants >= DK_FENCE_GRANTS_MAX)
        return dk_reject(why, DK_R_GRANTS_FULL, DK_E_NO_SPACE);
    f->grant_client[f->ngrants] = grantee;
    f->grant_rights[f->ngrants] = (uint8_t)rights;
    f->ngrants++;
    return dk_accept(why);
}

unsigned dk_fence_rights(const struct dk_fence_table *t, uint16_t client, uint32_t handle)
{
    struct dk_fence *f;

    if (dk_fence_lookup(t, handle, &f, NULL) != DK_OK)
        return 0;
    return dk_fence_rights_of(f, client);
}

/* Common checks of signal and fail; on DK_OK the new value is acceptable. */
static int dk_fence_check_advance(struct dk_fence_table *t, uint16_t client, uint32_t handle,
                                  uint64_t value, struct dk_fence **out, enum dk_reason *why)
{
    struct dk_fence *f;
    int rc = dk_fence_access(t, client, handle, DK_FENCE_RIGHT_SIGNAL, &f, why);

    if (rc != DK_OK)
        return rc;
    if (f->fail_status != DK_OK)
        return dk_reject(why, DK_R_FENCE_FAILED, DK_E_STATE);
    if (dk_timeline_reached(f->value, value))
        return dk_reject(why, DK_R_VALUE_ROLLBACK, DK_E_ROLLBACK);
    if (value - f->value > t->max_jump)
        return dk_reject(why, DK_R_SIGNAL_TOO_FAR, DK_E_TOO_FAR);
    *out = f;
    return DK_OK;
}

/* Wake waiters from the head of the sorted list while @pred holds. */
static void dk_fence_wake(struct dk_fence *f, uint64_t upto, int all, int status)
{
    while (f->waiters != NULL && (all || dk_timeline_reached(upto, f->waiters->target))) {
        struct dk_waiter *w = f->waiters;
        f->waiters = w->next;
        w->next = NULL;
        w->flags = (uint16_t)(w->flags & ~DK_WAITER_LINKED);
        w->status = status;
        f->nwaiters--;
    }
}

int dk_fence_signal(struct dk_fence_table *t, uint16_t client, uint32_t handle, uint64_t value,
                    enum dk_reason *why)
{
    struct dk_fence *f;
    int rc = dk_fence_check_advance(t, client, handle, value, &f, why);

    if (rc != DK_OK)
        return rc;
    f->value = value;
    dk_fence_wake(f, value, 0, DK_OK);
    return dk_accept(why);
}

/* Failure statuses a fence may carry: errors that describe lost work. */
static int dk_fence_fail_status_ok(int status)
{
    return status > DK_OK && status < DK_STATUS_COUNT && status != DK_E_WOULD_BLOCK;
}

static void dk_fence_mark_failed(struct dk_fence_table *t, struct dk_fence *f, uint64_t value,
                                 int status)
{
    f->fail_status = status;
    f->fail_value = value;
    /* Every registered waiter targets a value above the current one, so
     * the failure covers all of them. */
    dk_fence_wake(f, 0, 1, status);
    dk_audit_emit(&t->audit, DK_AUDIT_FENCE_FAIL,
                  dk_ledger_client_ok(t->ledger, f->owner) ? t->ledger->clients[f->owner].id : 0,
                  status, 0, DK_HANDLE_MAKE(f - t->slots, f->gen), value, 0);
}

int dk_fence_fail(struct dk_fence_table *t, uint16_t client, uint32_t handle, uint64_t value,
                  int status, enum dk_reason *why)
{
    struct dk_fence *f;
    int rc;

    if (!dk_fence_fail_status_ok(status))
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    rc = dk_fence_check_advance(t, client, handle, value, &f, why);
    if (rc != DK_OK)
        return rc;
    dk_fence_mark_failed(t, f, value, status);
    return dk_accept(why);
}

int dk_fence_poll(const struct dk_fence_table *t, uint16_t client, uint32_t handle,
                  uint64_t target, enum dk_reason *why)
{
    struct dk_fence *f;
    int rc = dk_fence_access(t, client, handle, DK_FENCE_RIGHT_WAIT, &f, why);

    if (rc != DK_OK)
        return rc;
    return dk_fence_eval(t, f, target, why);
}

int dk_fence_check_wait(const struct dk_fence_table *t, uint16_t client, uint32_t handle,
                        uint64_t target, enum dk_reason *why)
{
    struct dk_fence *f;
    int rc = dk_fence_access(t, client, handle, DK_FENCE_RIGHT_WAIT, &f, why);

    if (rc != DK_OK)
        return rc;
    rc = dk_fence_eval(t, f, target, why);
    return rc == DK_E_TOO_FAR ? rc : DK_OK;
}

int dk_fence_check_promise(const struct dk_fence_table *t, uint16_t client, uint32_t handle,
                           uint64_t value, enum dk_reason *why)
{
    struct dk_fence *f;
    int rc = dk_fence_access(t, client, handle, DK_FENCE_RIGHT_SIGNAL, &f, why);

    if (rc != DK_OK)
        return rc;
    if (f->fail_status != DK_OK)
        return dk_reject(why, DK_R_FENCE_FAILED, DK_E_STATE);
    /* Promises keep retire-order signals strictly increasing. */
    if (dk_timeline_reached(f->value, value) || dk_timeline_reached(f->promised, value))
        return dk_reject(why, DK_R_VALUE_ROLLBACK, DK_E_ROLLBACK);
    if (value - f->value > t->max_jump)
        return dk_reject(why, DK_R_WIRE_SIGNAL_JUMP, DK_E_MALFORMED);
    return dk_accept(why);
}

int dk_fence_promise(struct dk_fence_table *t, uint16_t client, uint32_t handle, uint64_t value)
{
    int rc = dk_fence_check_promise(t, client, handle, value, NULL);

    if (rc == DK_OK)
        t->slots[DK_HANDLE_INDEX(handle)].promised = value;
    return rc;
}

int dk_fence_value(const struct dk_fence_table *t, uint16_t client, uint32_t handle,
                   uint64_t *value, int *fail_status)
{
    struct dk_fence *f;
    int rc;

    if (value == NULL)
        return DK_E_INVAL;
    rc = dk_fence_lookup(t, handle, &f, NULL);
    if (rc != DK_OK)
        return rc;
    if (dk_fence_rights_of(f, client) == 0)
        return DK_E_NOT_FOUND;
    *value = f->value;
    if (fail_status != NULL)
        *fail_status = f->fail_status;
    return DK_OK;
}

int dk_fence_check_deadline(const struct dk_fence_table *t, uint64_t deadline_ns,
                            enum dk_reason *why)
{
    uint64_t now;

    if (t == NULL || t->backend == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (t->magic != DK_FENCE_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    if (deadline_ns == 0)
        return dk_reject(why, DK_R_NO_DEADLINE, DK_E_INVAL);
    now = dk_backend_now(t->backend);
    /* BOUND: a deadline in the past is allowed (it makes a poll). */
    if (deadline_ns > now && deadline_ns - now > t->max_wait_ns)
        return dk_reject(why, DK_R_DEADLINE_TOO_FAR, DK_E_INVAL);
    return dk_accept(why);
}

int dk_fence_waiter_add(struct dk_fence_table *t, uint16_t client, uint32_t handle,
                        struct dk_waiter *w, enum dk_reason *why)
{
    struct dk_fence *f;
    struct dk_waiter **pp;
    int rc;

    if (w == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    w->next = NULL;
    w->flags = 0;
    w->client = client;
    w->fence = handle;
    rc = dk_fence_access(t, client, handle, DK_FENCE_RIGHT_WAIT, &f, why);
    if (rc != DK_OK)
        return rc;
    rc = dk_fence_eval(t, f, w->target, why);
    if (rc == DK_E_TOO_FAR)
        return rc;
    w->status = rc;
    if (rc != DK_E_WOULD_BLOCK)
        return DK_OK; /* already answered: nothing registered */
    if (f->nwaiters >= t->waiters_per_fence)
        return dk_reject(why, DK_R_WAITERS_FULL, DK_E_NO_SPACE);
    rc = dk_ledger_charge(t->ledger, client, DK_RES_WAITERS, 1, why);
    if (rc != DK_OK)
        return rc;
    /* Keep the list sorted by target so a signal wakes from the head and
     * stops at the first waiter it does not satisfy. */
    pp = &f->waiters;
    while (*pp != NULL && (*pp)->target <= w->target)
        pp = &(*pp)->next;
    w->next = *pp;
    *pp = w;
    w->flags = DK_WAITER_LINKED | DK_WAITER_CHARGED;
    f->nwaiters++;
    return dk_accept(why);
}

int dk_fence_waiter_remove(struct dk_fence_table *t, uint32_t handle, struct dk_waiter *w)
{
    struct dk_fence *f;

    if (t == NULL || w == NULL || t->magic != DK_FENCE_MAGIC)
        return DK_E_INVAL;
    if (w->flags != 0 && handle != w->fence)
        return DK_E_INVAL;
    /* A linked waiter keeps its fence alive (destroy refuses, reclaim wakes
     * and unlinks first), so the lookup cannot fail for one. */
    if ((w->flags & DK_WAITER_LINKED) != 0 && dk_fence_lookup(t, w->fence, &f, NULL) == DK_OK) {
        struct dk_waiter **pp = &f->waiters;
        while (*pp != NULL && *pp != w)
            pp = &(*pp)->next;
        if (*pp == w) {
            *pp = w->next;
            f->nwaiters--;
        }
    }
    if ((w->flags & DK_WAITER_CHARGED) != 0)
        (void)dk_ledger_release(t->ledger, w->client, DK_RES_WAITERS, 1);
    w->flags = 0;
    w->next = NULL;
    return DK_OK;
}

int dk_wait_progress(const struct dk_backend *be, uint64_t *last, uint32_t *idle)
{
    uint64_t now = dk_backend_now(be);

    if (now != *last) {
        *last = now;
        *idle = 0;
        return 1;
    }
    return ++*idle <= DK_WAIT_IDLE_WAKEUPS_MAX;
}

int dk_wait_step(const struct dk_backend *be, uint64_t deadline, const struct dk_pump *pump,
                 uint64_t *last, uint32_t *idle)
{
    uint64_t now = dk_backend_now(be), until = deadline;
    uint32_t events = 0;
    int rc;

    if (now >= deadline)
        return DK_E_TIMED_OUT;
    if (!dk_wait_progress(be, last, idle))
        return DK_E_BACKEND;
    if (pump != NULL && pump->next_wake != NULL) {
        uint64_t wake = pump->next_wake(pump->arg);
        if (wake != 0 && wake < until)
            until = wake;
    }
    /* A wake time already due runs the pump without blocking. */
    if (until > now) {
        rc = be->ops->wait(be->ctx, until, &events);
        if (rc != DK_OK && rc != DK_E_TIMED_OUT)
            return rc;
    }
    if (pump != NULL && pump->fn != NULL)
        return pump->fn(pump->arg, events);
    return DK_OK;
}

int dk_fence_wait(struct dk_fence_table *t, uint16_t client, uint32_t handle, uint64_t target,
                  uint64_t deadline_ns, const struct dk_pump *pump, enum dk_reason *why)
{
    struct dk_waiter w;
    const struct dk_backend *be;
    uint64_t last = 0;
    uint32_t idle = 0;
    int rc, result = DK_E_TIMED_OUT;

    rc = dk_fence_check_deadline(t, deadline_ns, why);
    if (rc != DK_OK)
        return rc;
    be = t->backend;
    /* A deadline already reached makes this a poll: nothing is registered,
     * so no waiter quota is needed to learn that it timed out. */
    if (dk_backend_now(be) >= deadline_ns) {
        rc = dk_fence_poll(t, client, handle, target, why);
        return rc == DK_E_WOULD_BLOCK ? DK_E_TIMED_OUT : rc;
    }
    w.target = target;
    rc = dk_fence_waiter_add(t, client, handle, &w, why);
    if (rc != DK_OK)
        return rc;
    /* The pump runs once before the first block: work a CPU-side signal
     * just unblocked starts now, not at the next device event. */
    rc = pump != NULL && pump->fn != NULL ? pump->fn(pump->arg, 0) : DK_OK;
    while (rc == DK_OK && w.status == DK_E_WOULD_BLOCK)
        rc = dk_wait_step(be, deadline_ns, pump, &last, &idle);
    result = rc == DK_OK ? DK_E_TIMED_OUT : rc;
    if (w.status != DK_E_WOULD_BLOCK)
        result = w.status;
    (void)dk_fence_waiter_remove(t, handle, &w);
    (void)dk_accept(why);
    return result;
}

int dk_fence_reclaim_client(struct dk_fence_table *t, uint16_t client, int status,
                            uint32_t *count)
{
    uint32_t i, n = 0;

    if (t == NULL || t->magic != DK_FENCE_MAGIC || !dk_fence_fail_status_ok(status))
        return DK_E_INVAL;
    for (i = 0; i < t->nslots; i++) {
        struct dk_fence *f = &t->slots[i];
        struct dk_waiter **pp;
        unsigned g;

        if (f->state != DK_FENCE_LIVE)
            continue;
        if (f->owner == client) {
            /* SECURITY: waiters of other clients on this fence wake with
             * the status instead of hanging until their deadline. */
            if (f->fail_status == DK_OK)
                dk_fence_mark_failed(t, f, f->value + (f->value != UINT64_MAX), status);
            dk_fence_free(t, f);
            n++;
            continue;
        }
        for (g = 0; g < f->ngrants; g++) {
            if (f->grant_client[g] == client) {
                f->ngrants--;
                f->grant_client[g] = f->grant_client[f->ngrants];
                f->grant_rights[g] = f->grant_rights[f->ngrants];
                break;
            }
        }
        /* The killed client's own waiters on others' fences wake too. */
        pp = &f->waiters;
        while (*pp != NULL) {
            struct dk_waiter *w = *pp;
            if (w->client != client) {
                pp = &w->next;
                continue;
            }
            *pp = w->next;
            w->next = NULL;
            w->flags = (uint16_t)(w->flags & ~DK_WAITER_LINKED);
            w->status = status;
            f->nwaiters--;
        }
    }
    if (count != NULL)
        *count = n;
    return DK_OK;
}
