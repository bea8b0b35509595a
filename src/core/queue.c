/* SPDX-License-Identifier: Apache-2.0 */
#include <driverkit/fence.h>
#include <driverkit/queue.h>

#include "internal.h"

size_t dk_queue_storage_size(uint32_t capacity)
{
    if (capacity < 2 || capacity > DK_QUEUE_CAPACITY_MAX || (capacity & (capacity - 1)) != 0)
        return 0;
    return (size_t)capacity * sizeof(struct dk_queue_slot);
}

/* Measure the smallest margin and open that many inline reserves. With a
 * hook attached every reserve needs the out-of-line path: none are opened. */
static void dk_queue_reopen(struct dk_queue *q)
{
    uint32_t used = (uint32_t)(q->head - q->tail);
    uint32_t m = q->mask + 1u - used;
    uint32_t in = used - q->resolved;
    unsigned c;

    if (q->hooks) {
        q->fast_end = q->head;
        return;
    }
    if (q->inflight_cap - in < m)
        m = q->inflight_cap - in;
    for (c = 0; c < DK_QOS_COUNT; c++)
        if (q->qos_depth[c] - dk_queue_qos_inflight(q, c) < m)
            m = q->qos_depth[c] - dk_queue_qos_inflight(q, c);
    q->fast_end = q->head + m;
}

int dk_queue_init(struct dk_queue *q, const struct dk_queue_cfg *cfg, void *storage,
                  size_t storage_size, enum dk_reason *why)
{
    uint32_t cap, inflight_cap;
    unsigned c;

    if (q == NULL || cfg == NULL || storage == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    cap = cfg->capacity;
    if (cap == 0)
        return dk_reject(why, DK_R_ZERO_LEN, DK_E_INVAL);
    if (cap > DK_QUEUE_CAPACITY_MAX)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    if (cap < 2 || (cap & (cap - 1)) != 0)
        return dk_reject(why, DK_R_NOT_POW2, DK_E_INVAL);
    if (storage_size < dk_queue_storage_size(cap))
        return dk_reject(why, DK_R_STORAGE_SMALL, DK_E_INVAL);
    inflight_cap = cfg->inflight_cap == 0 ? cap : cfg->inflight_cap;
    if (inflight_cap > cap)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    for (c = 0; c < DK_QOS_COUNT; c++)
        if (cfg->qos_depth[c] > inflight_cap)
            return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    if (cfg->fences != NULL && cfg->completion_fence == DK_HANDLE_INVALID)
        return dk_reject(why, DK_R_BAD_HANDLE, DK_E_NOT_FOUND);
    /* BOUND: one resolve can advance the watermark by up to capacity. */
    if (cfg->fences != NULL && cfg->fences->max_jump < cap)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);

    dk_zero(q, sizeof(*q));
    dk_zero(storage, dk_queue_storage_size(cap));
    q->slots = (struct dk_queue_slot *)storage;
    q->head = 1; /* tickets start at 1, so watermark 0 means "none yet" */
    q->tail = 1;
    q->mask = cap - 1;
    q->inflight_cap = inflight_cap;
    for (c = 0; c < DK_QOS_COUNT; c++)
        q->qos_depth[c] = cfg->qos_depth[c] == 0 ? inflight_cap : cfg->qos_depth[c];
    q->ledger = cfg->ledger;
    q->fences = cfg->fences;
    q->completion_fence = cfg->completion_fence;
    q->fence_owner = cfg->fence_owner;
    q->retire_fn = cfg->retire_fn;
    q->retire_arg = cfg->retire_arg;
    q->audit = cfg->audit;
    q->hooks = q->ledger != NULL || q->fences != NULL || q->retire_fn != NULL;
    q->slow = q->hooks;
    q->magic = DK_QUEUE_MAGIC;
    dk_queue_reopen(q);
    return dk_accept(why);
}

int dk_queue_fini(struct dk_queue *q)
{
    if (q == NULL || q->magic != DK_QUEUE_MAGIC)
        return DK_OK;
    if (dk_queue_inflight(q) != 0)
        return DK_E_BUSY;
    dk_zero(q, sizeof(*q));
    return DK_OK;
}

/* Hand the watermark to the completion fence. The ticket is resolved
 * whatever the fence says; init checked the jump bound, so a refusal here
 * means the caller destroyed or failed the fence: counted, not hidden. */
static void dk_queue_signal_watermark(struct dk_queue *q)
{
    uint64_t wm = q->tail - 1;

    if (dk_timeline_reached(q->signalled, wm))
        return;
    if (dk_fence_signal(q->fences, q->fence_owner, q->completion_fence, wm, NULL) == DK_OK)
        q->signalled = wm;
    else
        q->fence_errors++;
}

/* The slot of a ticket in [tail, head), or NULL. */
static struct dk_queue_slot *dk_queue_slot_of(const struct dk_queue *q, uint64_t ticket)
{
    /* BOUND: unsigned distance from the tail rejects tickets below it too. */
    if (ticket - q->tail >= q->head - q->tail)
        return NULL;
    return &q->slots[ticket & q->mask];
}

/* Resolve an open ticket, then retire from the tail as far as possible:
 * this ticket and every resolved one after it, in ticket order. */
static void dk_queue_finish(struct dk_queue *q, uint64_t ticket, struct dk_queue_slot *s,
                            unsigned outcome)
{
    s->state = DK_TICKET_RESOLVED;
    s->outcome = (uint8_t)outcome;
    q->qos_resolved += DK_QUEUE_QOS_UNIT(s->qos);
    q->resolved++;
    q->slow++;
    if (q->ledger != NULL)
        (void)dk_ledger_release(q->ledger, s->client, DK_RES_INFLIGHT, 1);
    if (ticket != q->tail)
        return;
    do {
        struct dk_queue_slot *r = &q->slots[q->tail & q->mask];
        uint64_t t = q->tail;

        r->state = DK_TICKET_FREE;
        q->tail = t + 1;
        q->resolved--;
        q->slow--;
        if (q->retire_fn != NULL)
            q->retire_fn(q->retire_arg, t, r->cookie, r->client, r->outcome);
    } while (q->tail != q->head && q->slots[q->tail & q->mask].state == DK_TICKET_RESOLVED);
    if (q->fences != NULL)
        dk_queue_signal_watermark(q);
}

int dk_queue_reserve_slow(struct dk_queue *q, uint16_t client, unsigned qos, uint64_t cookie,
                          uint64_t *ticket, enum dk_reason *why)
{
    struct dk_queue_slot *s;
    uint64_t t;
    int rc;

    if (q == NULL || ticket == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (q->magic != DK_QUEUE_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    if (qos >= DK_QOS_COUNT)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    t = q->head;
    if (t - q->tail > q->mask)
        return dk_reject(why, DK_R_RING_FULL, DK_E_QUEUE_FULL);
    if (dk_queue_inflight(q) >= q->inflight_cap)
        return dk_reject(why, DK_R_INFLIGHT_CAP, DK_E_QUEUE_FULL);
    if (dk_queue_qos_inflight(q, qos) >= q->qos_depth[qos])
        return dk_reject(why, DK_R_QOS_DEPTH, DK_E_QUEUE_FULL);
    /* The ledger charge is the last check: it is the only one that writes. */
    if (q->ledger != NULL) {
        rc = dk_ledger_charge(q->ledger, client, DK_RES_INFLIGHT, 1, why);
        if (rc != DK_OK)
            return rc;
    }
    s = &q->slots[t & q->mask];
    s->cookie = cookie;
    s->client = client;
    s->state = DK_TICKET_PENDING;
    s->qos = (uint8_t)qos;
    q->head = t + 1;
    q->qos_issued += DK_QUEUE_QOS_UNIT(qos);
    dk_queue_reopen(q);
    *ticket = t;
    return dk_accept(why);
}

int dk_queue_resolve_slow(struct dk_queue *q, uint64_t ticket, unsigned outcome,
                          enum dk_reason *why)
{
    struct dk_queue_slot *s;

    if (q == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (q->magic != DK_QUEUE_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    if (outcome >= DK_OUTCOME_COUNT)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    s = dk_queue_slot_of(q, ticket);
    if (s == NULL)
        return dk_reject(why, DK_R_TICKET_UNKNOWN, DK_E_NOT_FOUND);
    if (s->state == DK_TICKET_RESOLVED)
        return dk_reject(why, DK_R_ALREADY_RESOLVED, DK_E_STATE);
    dk_queue_finish(q, ticket, s, outcome);
    return dk_accept(why);
}

static int dk_queue_check(const struct dk_queue *q, enum dk_reason *why)
{
    if (q == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (q->magic != DK_QUEUE_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    return DK_OK;
}

/* Find a ticket that is still open (PENDING or STARTED). */
static int dk_queue_open_slot(struct dk_queue *q, uint64_t ticket, struct dk_queue_slot **out,
                              enum dk_reason *why)
{
    struct dk_queue_slot *s;
    int rc = dk_queue_check(q, why);

    if (rc != DK_OK)
        return rc;
    s = dk_queue_slot_of(q, ticket);
    if (s == NULL)
        return dk_reject(why, DK_R_TICKET_UNKNOWN, DK_E_NOT_FOUND);
    if (s->state == DK_TICKET_RESOLVED)
        return dk_reject(why, DK_R_ALREADY_RESOLVED, DK_E_STATE);
    if (s->state == DK_TICKET_STARTED)
        return dk_reject(why, DK_R_ALREADY_STARTED, DK_E_STATE);
    *out = s;
    return DK_OK;
}

int dk_queue_start(struct dk_queue *q, uint64_t ticket, enum dk_reason *why)
{
    struct dk_queue_slot *s;
    int rc = dk_queue_open_slot(q, ticket, &s, why);

    if (rc != DK_OK)
        return rc;
    s->state = DK_TICKET_STARTED;
    return dk_accept(why);
}

int dk_queue_cancel(struct dk_queue *q, uint64_t ticket, enum dk_reason *why)
{
    struct dk_queue_slot *s;
    int rc = dk_queue_open_slot(q, ticket, &s, why);

    if (rc != DK_OK)
        return rc;
    dk_queue_finish(q, ticket, s, DK_OUTCOME_CANCELLED);
    return dk_accept(why);
}

int dk_queue_query(const struct dk_queue *q, uint64_t ticket, unsigned *state, unsigned *outcome)
{
    const struct dk_queue_slot *s;

    if (state == NULL || dk_queue_check(q, NULL) != DK_OK)
        return DK_E_INVAL;
    if (ticket != 0 && ticket < q->tail) {
        *state = DK_TICKET_RETIRED;
        return DK_OK;
    }
    s = dk_queue_slot_of(q, ticket);
    if (s == NULL)
        return DK_E_NOT_FOUND;
    *state = s->state;
    if (outcome != NULL && s->state == DK_TICKET_RESOLVED)
        *outcome = s->outcome;
    return DK_OK;
}

/* Bulk resolution for reset (all clients) and kill (one client). Oldest
 * first, so the callback sees tickets in submission order. */
static int dk_queue_resolve_many(struct dk_queue *q, int one_client, uint16_t client,
                                 unsigned outcome, dk_queue_resolved_fn fn, void *arg,
                                 uint32_t *count)
{
    uint64_t t, head;
    uint32_t n = 0;
    int rc = dk_queue_check(q, NULL);

    if (rc != DK_OK)
        return rc;
    if (outcome >= DK_OUTCOME_COUNT)
        return DK_E_INVAL;
    /* BOUND: at most capacity tickets lie in [tail, head). The head is read
     * once: a callback that reserves new work does not extend this sweep. */
    head = q->head;
    for (t = q->tail; t != head; t++) {
        struct dk_queue_slot *s = &q->slots[t & q->mask];
        uint64_t cookie;
        uint16_t owner;

        if (s->state == DK_TICKET_RESOLVED || s->state == DK_TICKET_FREE)
            continue;
        if (one_client && s->client != client)
            continue;
        cookie = s->cookie;
        owner = s->client;
        /* The per-ticket callback runs first (e.g. to release the
         * submission's pins); retirement, and its retire_fn, follow. */
        if (fn != NULL)
            fn(arg, t, cookie, owner, outcome);
        dk_queue_finish(q, t, s, outcome);
        n++;
    }
    if (count != NULL)
        *count = n;
    dk_audit_emit(&q->audit, DK_AUDIT_RESOLVE_ALL,
                  one_client && q->ledger != NULL && dk_ledger_client_ok(q->ledger, client)
                      ? q->ledger->clients[client].id
                      : 0,
                  dk_outcome_status((int)outcome), 0, q->tail - 1, n, 0);
    return DK_OK;
}

int dk_queue_resolve_all(struct dk_queue *q, unsigned outcome, dk_queue_resolved_fn fn, void *arg,
                         uint32_t *count)
{
    return dk_queue_resolve_many(q, 0, 0, outcome, fn, arg, count);
}

int dk_queue_resolve_client(struct dk_queue *q, uint16_t client, unsigned outcome,
                            dk_queue_resolved_fn fn, void *arg, uint32_t *count)
{
    return dk_queue_resolve_many(q, 1, client, outcome, fn, arg, count);
}
