/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file ledger.h
 * @brief Per-client and global accounting of bytes, buffers, in-flight
 *        slots, fences and waiters.
 *
 * Invariant (checked by dk_ledger_check()): for every resource, the global
 * `used` equals the sum of every live client's `used`, and no `used` exceeds
 * its limit. Clients are identified by the transport's sender id, never by a
 * value taken from a payload; inside DriverKit they are addressed by the small
 * slot index that dk_ledger_client_add() returns.
 *
 * Charges and releases are made by DriverKit objects (queue, fence table,
 * buffer table), each of which records what it charged and releases exactly
 * that, keyed by its own handle or ticket.
 */
#ifndef DRIVERKIT_LEDGER_H
#define DRIVERKIT_LEDGER_H

#include <driverkit/audit.h>
#include <driverkit/common.h>
#include <driverkit/status.h>

/** Resources tracked per client and globally. Stable numbers. */
enum dk_res {
    DK_RES_BYTES = 0,
    DK_RES_BUFFERS = 1,
    DK_RES_INFLIGHT = 2,
    DK_RES_FENCES = 3,
    DK_RES_WAITERS = 4,
};
#define DK_RES_COUNT 5

/** Hard cap on client slots in one ledger (slot indices are 16-bit). */
#define DK_LEDGER_CLIENTS_MAX 1024u

/** Limits for each resource; indexed by enum dk_res. */
struct dk_limits {
    uint64_t max[DK_RES_COUNT];
};

/** One client slot. Caller storage; written only by the ledger. */
struct dk_client {
    uint64_t used[DK_RES_COUNT];
    uint64_t limit[DK_RES_COUNT];
    uint32_t id;  /**< transport (sender service) id */
    uint8_t live; /**< 1 while registered */
    uint8_t pad[3];
};

/** The ledger. Initialise with dk_ledger_init(); fields are read-only to callers. */
struct dk_ledger {
    struct dk_client *clients;
    uint64_t used[DK_RES_COUNT];
    uint64_t limit[DK_RES_COUNT];
    uint32_t nslots;
    uint32_t live;
    struct dk_audit audit;
    uint32_t magic;
};

#define DK_LEDGER_MAGIC 0x444b4c31u /* "DKL1" */

/**
 * @brief Initialise a ledger over caller storage.
 * @param l       ledger
 * @param slots   array of @p nslots client slots (zeroed by this call)
 * @param nslots  1..DK_LEDGER_CLIENTS_MAX
 * @param global  global limits (all resources)
 * @param audit   optional audit hook (NULL for none); copied
 * @return DK_OK; DK_E_INVAL (NULL_ARG, ZERO_LEN, OVER_CAP).
 */
int dk_ledger_init(struct dk_ledger *l, struct dk_client *slots, uint32_t nslots,
                   const struct dk_limits *global, const struct dk_audit *audit,
                   enum dk_reason *why);

/** @brief Forget the ledger. Safe twice and on a zeroed struct. @return DK_OK. */
int dk_ledger_fini(struct dk_ledger *l);

/**
 * @brief Register a client by its transport id.
 * @param slot_out receives the client's slot index
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT); DK_E_EXISTS (CLIENT_EXISTS);
 *         DK_E_NO_SPACE (CLIENTS_FULL).
 */
int dk_ledger_client_add(struct dk_ledger *l, uint32_t client_id, const struct dk_limits *limits,
                         uint16_t *slot_out, enum dk_reason *why);

/**
 * @brief Find a registered client's slot by transport id.
 * @return DK_OK; DK_E_INVAL (NULL_ARG); DK_E_NOT_FOUND (BAD_CLIENT).
 */
int dk_ledger_client_find(const struct dk_ledger *l, uint32_t client_id, uint16_t *slot_out);

/**
 * @brief Unregister a client. It must hold nothing.
 * @return DK_OK; DK_E_INVAL (NULL_ARG); DK_E_NOT_FOUND (BAD_CLIENT);
 *         DK_E_BUSY (CLIENT_IN_USE) while any of its usage is nonzero.
 */
int dk_ledger_client_remove(struct dk_ledger *l, uint16_t slot, enum dk_reason *why);

/**
 * @brief Copy a client's usage (or, with slot == DK_LEDGER_GLOBAL, the totals).
 * @return DK_OK; DK_E_INVAL (NULL_ARG); DK_E_NOT_FOUND (BAD_CLIENT).
 */
int dk_ledger_usage(const struct dk_ledger *l, uint16_t slot, uint64_t used[DK_RES_COUNT]);
#define DK_LEDGER_GLOBAL 0xffffu

/**
 * @brief Check the ledger invariant: totals equal the sum over clients and
 *        nothing is over its limit.
 * @return DK_OK; DK_E_INVAL (NULL_ARG); DK_E_CORRUPT if violated.
 */
int dk_ledger_check(const struct dk_ledger *l);

/** @return 1 when @p slot names a live client of @p l, else 0. */
DK_INLINE int dk_ledger_client_ok(const struct dk_ledger *l, uint16_t slot)
{
    return l != NULL && slot < l->nslots && l->clients[slot].live;
}

/**
 * @brief Charge @p n units of @p res to a client and the global total.
 *        All or nothing. Used by DriverKit objects.
 * @return DK_OK; DK_E_NOT_FOUND (BAD_CLIENT); DK_E_QUOTA (CLIENT_*);
 *         DK_E_NO_SPACE (GLOBAL_*).
 */
DK_INLINE int dk_ledger_charge(struct dk_ledger *l, uint16_t slot, unsigned res, uint64_t n,
                               enum dk_reason *why)
{
    struct dk_client *c;
    if (!dk_ledger_client_ok(l, slot) || res >= DK_RES_COUNT) {
        if (why)
            *why = DK_R_BAD_CLIENT;
        return DK_E_NOT_FOUND;
    }
    c = &l->clients[slot];
    /* BOUND: compare against the remaining room, so used + n never overflows. */
    if (n > c->limit[res] - c->used[res]) {
        if (why)
            *why = (enum dk_reason)(DK_R_CLIENT_BYTES + res);
        return DK_E_QUOTA;
    }
    if (n > l->limit[res] - l->used[res]) {
        if (why)
            *why = (enum dk_reason)(DK_R_GLOBAL_BYTES + res);
        return DK_E_NO_SPACE;
    }
    c->used[res] += n;
    l->used[res] += n;
    if (why)
        *why = DK_R_NONE;
    return DK_OK;
}

/**
 * @brief Return @p n units previously charged by the same object. A release
 *        larger than the recorded use is an internal bug: it is refused
 *        with DK_E_CORRUPT and changes nothing.
 * @return DK_OK; DK_E_NOT_FOUND; DK_E_CORRUPT.
 */
DK_INLINE int dk_ledger_release(struct dk_ledger *l, uint16_t slot, unsigned res, uint64_t n)
{
    struct dk_client *c;
    if (!dk_ledger_client_ok(l, slot) || res >= DK_RES_COUNT)
        return DK_E_NOT_FOUND;
    c = &l->clients[slot];
    if (n > c->used[res] || n > l->used[res])
        return DK_E_CORRUPT;
    c->used[res] -= n;
    l->used[res] -= n;
    return DK_OK;
}

#endif /* DRIVERKIT_LEDGER_H */
