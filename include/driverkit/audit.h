/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file audit.h
 * @brief Audit hook: DriverKit reports fault, reset and reclaim events to a
 *        caller-supplied callback.
 *
 * SECURITY: an event carries ids, codes and counts only, never payload bytes,
 * buffer contents or addresses. What to do about an event (kill a client,
 * alert) is the caller's policy; DriverKit only reports.
 */
#ifndef DRIVERKIT_AUDIT_H
#define DRIVERKIT_AUDIT_H

#include <driverkit/common.h>

/** Event kinds. Stable numbers; append only. */
enum dk_audit_kind {
    DK_AUDIT_CLIENT_ADD = 1,     /**< client: transport id; object: slot. */
    DK_AUDIT_CLIENT_REMOVE = 2,
    DK_AUDIT_DEVICE_FAULT = 3,   /**< reason: why it faulted; epoch: current. */
    DK_AUDIT_RESET_BEGIN = 4,
    DK_AUDIT_RESET_END = 5,      /**< epoch: the new epoch. */
    DK_AUDIT_RESOLVE_ALL = 6,    /**< status: outcome status; count: tickets resolved. */
    DK_AUDIT_FENCE_FAIL = 7,     /**< object: fence handle; status: failure status. */
    DK_AUDIT_BUF_RECLAIM = 8,    /**< object: buffer handle; count: bytes returned. */
    DK_AUDIT_CLIENT_KILL = 9,    /**< count: tickets resolved as killed. */
    DK_AUDIT_STALE_EPOCH = 10,   /**< a completion from an older epoch was ignored. */
    DK_AUDIT_TICKET_TIMEOUT = 11,/**< object: ticket. */
    DK_AUDIT_PROGRESS_PROBE = 12,/**< count: completions seen since the last probe. */
    DK_AUDIT_GUILTY_CLIENT = 13, /**< client: the client named guilty; object: ticket. */
    DK_AUDIT_DEVICE_ONLINE = 14,
};

/** One audit record. Plain values only (see the SECURITY note above). */
struct dk_audit_event {
    uint32_t kind;    /**< enum dk_audit_kind */
    uint32_t client;  /**< transport id of the client concerned, 0 if none */
    int32_t status;   /**< enum dk_status relevant to the event */
    uint32_t reason;  /**< enum dk_reason, 0 if none */
    uint64_t object;  /**< handle, ticket or slot named by the event */
    uint64_t count;   /**< how many things the event covered */
    uint64_t epoch;   /**< device reset epoch, 0 if not a device event */
};

/**
 * The hook. `fn` may be NULL (no auditing). It is called synchronously from
 * the DriverKit call that caused the event and must not call back into the
 * object that emitted it.
 */
struct dk_audit {
    void (*fn)(void *arg, const struct dk_audit_event *ev);
    void *arg;
};

#endif /* DRIVERKIT_AUDIT_H */
