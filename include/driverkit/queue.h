/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file queue.h
 * @brief Bounded submit queue: tickets, outcomes, backpressure, QoS depth
 *        limits, per-client quotas and the retire watermark.
 *
 * Tickets are monotonic u64 values starting at 1. Ticket t lives in slot
 * `t & (capacity - 1)` from reserve until it retires. Completion may happen in
 * any order; a ticket retires when it and every older ticket have resolved.
 * The retire watermark is the highest t such that every ticket <= t has
 * resolved (0 before the first). The watermark, never a count of
 * completions, drives the completion fence.
 *
 * BOUND: `capacity` bounds the ticket window (newest - oldest unretired + 1),
 * so one stuck ticket holds the window until it resolves; deadlines and the
 * reset path (dk_queue_resolve_all) exist to resolve it. `inflight_cap`,
 * per-QoS depth and the client's DK_RES_INFLIGHT quota bound unresolved work.
 *
 * Ticket life: FREE -> PENDING (reserve) -> STARTED (start) -> RESOLVED
 * (resolve) -> FREE (retired). PENDING -> RESOLVED by cancel. Every reserved
 * ticket resolves exactly once, with an enum dk_outcome.
 *
 * Ownership: the caller owns struct dk_queue and the slot storage; only
 * dk_queue_* functions write them. Single-threaded: one service thread.
 */
#ifndef DRIVERKIT_QUEUE_H
#define DRIVERKIT_QUEUE_H

#include <driverkit/audit.h>
#include <driverkit/common.h>
#include <driverkit/ledger.h>
#include <driverkit/status.h>

struct dk_fence_table;

/** Hard cap on queue capacity. */
#define DK_QUEUE_CAPACITY_MAX 4096u

/** QoS classes: the Nexus scheduler's QosClass wire values. */
enum dk_qos { DK_QOS_IDLE = 0, DK_QOS_NORMAL = 1, DK_QOS_INTERACTIVE = 2, DK_QOS_PERFBURST = 3 };
#define DK_QOS_COUNT 4u

/** Ticket states, as dk_queue_query() reports them. Stable numbers. */
enum dk_ticket_state {
    DK_TICKET_FREE = 0,     /**< (slot state only) */
    DK_TICKET_PENDING = 1,  /**< reserved, not yet handed to the device: cancellable */
    DK_TICKET_STARTED = 2,  /**< handed to the device */
    DK_TICKET_RESOLVED = 3, /**< has its outcome, waiting for older tickets to retire */
    DK_TICKET_RETIRED = 4,  /**< at or below the watermark */
};

/** One ticket slot. Caller storage, sized by dk_queue_storage_size(). */
struct dk_queue_slot {
    uint64_t cookie; /**< caller's value, handed back to callbacks */
    uint16_t client; /**< ledger slot of the submitting client */
    uint8_t state;   /**< enum dk_ticket_state (meaningful inside the window only) */
    uint8_t outcome; /**< enum dk_outcome, valid once RESOLVED */
    uint8_t qos;     /**< enum dk_qos; its own byte, so resolve loads exactly what reserve stored */
    uint8_t pad[3];
};

/**
 * A per-ticket callback: for bulk resolution (one call per ticket resolved)
 * and for retirement (one call per ticket as the watermark passes it, in
 * ticket order). It must not call back into the same queue.
 */
typedef void (*dk_queue_resolved_fn)(void *arg, uint64_t ticket, uint64_t cookie, uint16_t client,
                                     unsigned outcome);

/** Configuration for dk_queue_init(). */
struct dk_queue_cfg {
    uint32_t capacity;     /**< power of two, 2..DK_QUEUE_CAPACITY_MAX (1 is NOT_POW2) */
    uint32_t inflight_cap; /**< max unresolved tickets, 1..capacity; 0 means capacity */
    uint32_t qos_depth[DK_QOS_COUNT]; /**< max unresolved per class, <= inflight_cap; 0 means inflight_cap */
    struct dk_ledger *ledger;         /**< optional: charges DK_RES_INFLIGHT per ticket */
    struct dk_fence_table *fences;    /**< optional: completion fence table (max_jump >= capacity) */
    uint32_t completion_fence;        /**< fence handle signalled to the watermark */
    uint16_t fence_owner;             /**< ledger slot that holds the SIGNAL right on it */
    dk_queue_resolved_fn retire_fn;   /**< optional: called per ticket in retire order */
    void *retire_arg;
    struct dk_audit audit;            /**< optional audit hook for bulk resolution */
};

/**
 * The queue. Fields are read-only to callers.
 *
 * Fast paths. Every reserve lowers each margin (window room, in-flight room,
 * every QoS class's room) by at most one, so after the out-of-line path has
 * measured the smallest margin m, the next m reserves need no check:
 * `fast_end` is head + m, and the inline reserve only compares head with
 * it. `slow` counts resolved-but-unretired tickets, plus one while any hook
 * (ledger, completion fence, retire callback) is attached: while it is 0,
 * resolving the oldest ticket retires exactly that ticket, and the inline
 * resolve does so directly. Hooks keep both paths out of line.
 *
 * Per-class counts are 16-bit lanes of two words, one written by reserve,
 * one by resolve (capacity <= 4096 keeps each lane's difference exact), so
 * the two sides never read-modify-write one word at a dynamic index.
 */
struct dk_queue {
    struct dk_queue_slot *slots;
    uint64_t head;     /**< next ticket to issue */
    uint64_t tail;     /**< oldest unretired ticket; watermark = tail - 1 */
    uint64_t fast_end; /**< reserves of tickets below this need no check */
    uint64_t qos_issued;   /**< per-class reserves, 16-bit lane per class (reserve writes) */
    uint64_t qos_resolved; /**< per-class resolutions, same lanes (resolve writes) */
    uint32_t mask;     /**< capacity - 1 */
    uint32_t slow;     /**< 0: the in-order inline resolve applies (see above) */
    uint32_t resolved; /**< resolved-but-unretired tickets */
    uint32_t inflight_cap;
    uint32_t qos_depth[DK_QOS_COUNT];
    struct dk_ledger *ledger;
    struct dk_fence_table *fences;
    uint32_t completion_fence;
    uint16_t fence_owner;
    uint16_t hooks;    /**< 1 if ledger, fences or retire_fn is attached */
    dk_queue_resolved_fn retire_fn;
    void *retire_arg;
    struct dk_audit audit;
    uint64_t signalled;    /**< last watermark given to the completion fence */
    uint32_t fence_errors; /**< completion-fence signals the fence refused */
    uint32_t magic;
};

/** @internal One unit in the 16-bit lane of QoS class @p qos. */
#define DK_QUEUE_QOS_UNIT(qos) ((uint64_t)1 << (16u * (unsigned)(qos)))

#define DK_QUEUE_MAGIC 0x444b5131u /* "DKQ1" */

/**
 * @brief Bytes of slot storage a queue of @p capacity needs.
 * @return The size, or 0 if @p capacity is not a power of two in range.
 */
size_t dk_queue_storage_size(uint32_t capacity);

/**
 * @brief Initialise a queue over caller storage.
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_POW2, OVER_CAP, STORAGE_SMALL,
 *         ZERO_LEN for a zero capacity; OVER_CAP also for an inflight_cap
 *         above capacity, a QoS depth above inflight_cap, or a completion fence table whose
 *         max_jump is below capacity); DK_E_NOT_FOUND (BAD_HANDLE: fence
 *         table given without a fence).
 */
int dk_queue_init(struct dk_queue *q, const struct dk_queue_cfg *cfg, void *storage,
                  size_t storage_size, enum dk_reason *why);

/**
 * @brief Finalise. Refused while tickets are unresolved; safe twice and on a
 *        zeroed struct.
 * @return DK_OK; DK_E_BUSY (tickets still in flight).
 */
int dk_queue_fini(struct dk_queue *q);

/** @internal Every check and case of dk_queue_reserve(), out of line. */
int dk_queue_reserve_slow(struct dk_queue *q, uint16_t client, unsigned qos, uint64_t cookie,
                          uint64_t *ticket, enum dk_reason *why);

/** @internal Every check and case of dk_queue_resolve(), out of line. */
int dk_queue_resolve_slow(struct dk_queue *q, uint64_t ticket, unsigned outcome,
                          enum dk_reason *why);

/**
 * @brief Reserve the next ticket for a client. All checks come before any
 *        change: a refusal changes nothing.
 * @param client ledger slot of the client (from the transport id)
 * @param qos    enum dk_qos
 * @param cookie caller's value stored with the ticket
 * @param ticket receives the ticket
 * @return DK_OK;
 *         DK_E_INVAL (NULL_ARG, NOT_INIT, BAD_ENUM);
 *         DK_E_QUEUE_FULL (RING_FULL, INFLIGHT_CAP, QOS_DEPTH);
 *         DK_E_QUOTA (CLIENT_INFLIGHT_Q); DK_E_NO_SPACE (GLOBAL_INFLIGHT);
 *         DK_E_NOT_FOUND (BAD_CLIENT) when a ledger is attached.
 */
DK_INLINE int dk_queue_reserve(struct dk_queue *q, uint16_t client, unsigned qos, uint64_t cookie,
                               uint64_t *ticket, enum dk_reason *why)
{
    struct dk_queue_slot *s;
    uint64_t t;

    /* A zeroed or finalised queue has head == fast_end: the slow path. */
    if (q == NULL || ticket == NULL || qos >= DK_QOS_COUNT || q->head == q->fast_end)
        return dk_queue_reserve_slow(q, client, qos, cookie, ticket, why);
    t = q->head;
    s = &q->slots[t & q->mask];
    s->cookie = cookie;
    s->client = client;
    s->state = DK_TICKET_PENDING;
    s->qos = (uint8_t)qos;
    q->head = t + 1;
    q->qos_issued += DK_QUEUE_QOS_UNIT(qos);
    *ticket = t;
    if (why)
        *why = DK_R_NONE;
    return DK_OK;
}

/**
 * @brief Resolve a ticket with its outcome. Exactly once per ticket.
 * @param outcome enum dk_outcome
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT, BAD_ENUM);
 *         DK_E_NOT_FOUND (TICKET_UNKNOWN: never issued, or retired);
 *         DK_E_STATE (ALREADY_RESOLVED).
 */
DK_INLINE int dk_queue_resolve(struct dk_queue *q, uint64_t ticket, unsigned outcome,
                               enum dk_reason *why)
{
    struct dk_queue_slot *s;

    /* In order with nothing resolved ahead and no hooks: the ticket is the
     * oldest and unresolved, so it retires alone, right now. */
    if (q == NULL || ticket != q->tail || ticket == q->head || q->slow != 0 ||
        outcome >= DK_OUTCOME_COUNT)
        return dk_queue_resolve_slow(q, ticket, outcome, why);
    /* The slot falls out of the window; nothing reads its state again. */
    s = &q->slots[ticket & q->mask];
    q->qos_resolved += DK_QUEUE_QOS_UNIT(s->qos);
    q->tail = ticket + 1;
    if (why)
        *why = DK_R_NONE;
    return DK_OK;
}

/** @return The retire watermark (0 before any ticket retired, or q NULL). */
DK_INLINE uint64_t dk_queue_watermark(const struct dk_queue *q)
{
    return q != NULL && q->tail != 0 ? q->tail - 1 : 0;
}

/** @return Unresolved tickets of QoS class @p qos (0 if q is NULL or qos unknown). */
DK_INLINE uint32_t dk_queue_qos_inflight(const struct dk_queue *q, unsigned qos)
{
    if (q == NULL || qos >= DK_QOS_COUNT)
        return 0;
    return (uint16_t)((q->qos_issued >> (16u * qos)) - (q->qos_resolved >> (16u * qos)));
}

/** @return Unresolved tickets (0 if q is NULL). */
DK_INLINE uint32_t dk_queue_inflight(const struct dk_queue *q)
{
    return q != NULL ? (uint32_t)(q->head - q->tail) - q->resolved : 0;
}

/**
 * @brief Mark a pending ticket as handed to the device (no longer cancellable).
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND (TICKET_UNKNOWN);
 *         DK_E_STATE (ALREADY_STARTED, ALREADY_RESOLVED).
 */
int dk_queue_start(struct dk_queue *q, uint64_t ticket, enum dk_reason *why);

/**
 * @brief Cancel a ticket that has not started: it resolves as CANCELLED.
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND (TICKET_UNKNOWN);
 *         DK_E_STATE (ALREADY_STARTED, ALREADY_RESOLVED).
 */
int dk_queue_cancel(struct dk_queue *q, uint64_t ticket, enum dk_reason *why);

/**
 * @brief State (and outcome, once resolved) of a ticket.
 * @param state   receives enum dk_ticket_state (RETIRED for tickets <= watermark)
 * @param outcome receives enum dk_outcome when RESOLVED; optional
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT); DK_E_NOT_FOUND (never issued).
 */
int dk_queue_query(const struct dk_queue *q, uint64_t ticket, unsigned *state, unsigned *outcome);

/**
 * @brief Resolve every unresolved ticket with @p outcome (reset path), oldest
 *        first, calling @p fn for each just before it resolves (so a release
 *        in @p fn precedes the ticket's retire_fn). Emits DK_AUDIT_RESOLVE_ALL.
 * @param fn optional; count optional (receives tickets resolved)
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT, BAD_ENUM).
 */
int dk_queue_resolve_all(struct dk_queue *q, unsigned outcome, dk_queue_resolved_fn fn, void *arg,
                         uint32_t *count);

/**
 * @brief Resolve every unresolved ticket of one client (kill path); other
 *        clients' tickets are untouched. Emits DK_AUDIT_RESOLVE_ALL.
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT, BAD_ENUM).
 */
int dk_queue_resolve_client(struct dk_queue *q, uint16_t client, unsigned outcome,
                            dk_queue_resolved_fn fn, void *arg, uint32_t *count);

#endif /* DRIVERKIT_QUEUE_H */
