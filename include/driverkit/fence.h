/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file fence.h
 * @brief Timeline fences: monotonic u64 values, error status, bounded
 *        waiters, separate wait/signal rights and deadline-bound waits.
 *
 * A fence's value only grows. dk_fence_signal() must strictly increase it,
 * by at most the table's `max_jump` (like Vulkan's
 * maxTimelineSemaphoreValueDifference); a wait target may also be at most
 * `max_jump` ahead of the current value.
 *
 * Failure: dk_fence_fail(v, status) records that value v will never be
 * reached. The fence is then terminal: every target above the current value
 * answers `status` (no waiter covered by the failure can hang), targets at or
 * below the current value still answer DK_OK, and further signals are refused.
 *
 * Rights: each fence has up to DK_FENCE_GRANTS_MAX holders (ledger client
 * slots) with DK_FENCE_RIGHT_WAIT and/or DK_FENCE_RIGHT_SIGNAL. The creator is
 * the owner and holds both. A client that holds no right is told NOT_FOUND, so
 * fences of other clients cannot be probed.
 *
 * The core never blocks: dk_fence_poll() answers DK_E_WOULD_BLOCK and
 * dk_fence_wait() blocks only through the backend's wait op. Every wait has
 * a deadline on the backend clock, no later than now + `max_wait_ns`.
 *
 * Ownership: caller storage for the table and its slots; single-threaded.
 */
#ifndef DRIVERKIT_FENCE_H
#define DRIVERKIT_FENCE_H

#include <driverkit/audit.h>
#include <driverkit/backend.h>
#include <driverkit/common.h>
#include <driverkit/ledger.h>
#include <driverkit/status.h>

#define DK_FENCE_TABLE_MAX 4096u  /**< hard cap on fences per table */
#define DK_FENCE_WAITERS_MAX 64u  /**< hard cap on waiters per fence */
#define DK_FENCE_GRANTS_MAX 4u    /**< holders per fence, owner included */
/**
 * BOUND: wake-ups a single wait accepts while the backend clock stands
 * still. A backend that keeps answering DK_OK without time moving would
 * otherwise spin a waiter for ever; past this the wait ends DK_E_BACKEND.
 */
#define DK_WAIT_IDLE_WAKEUPS_MAX 100000u

/** Rights on a fence. */
#define DK_FENCE_RIGHT_WAIT 1u
#define DK_FENCE_RIGHT_SIGNAL 2u

/** Slot states. */
enum dk_fence_state { DK_FENCE_FREE = 0, DK_FENCE_LIVE = 1 };

/**
 * A registered waiter. Lives in the waiting caller's storage (its stack) for
 * the duration of one wait. The fence writes `status` when it wakes it.
 */
struct dk_waiter {
    struct dk_waiter *next;
    uint64_t target;
    int status;      /**< DK_E_WOULD_BLOCK until woken; then DK_OK or the failure */
    uint32_t fence;  /**< handle of the fence it is registered on (set by waiter_add) */
    uint16_t client; /**< ledger slot charged one DK_RES_WAITERS */
    uint16_t flags;  /**< internal: linked on a fence, charged to the ledger */
};

/** One fence slot. Written only by dk_fence_* functions. */
struct dk_fence {
    uint64_t value;
    uint64_t promised;          /**< highest value an accepted submission will signal */
    uint64_t fail_value;        /**< valid when fail_status != DK_OK */
    struct dk_waiter *waiters;  /**< sorted by ascending target */
    int32_t fail_status;        /**< DK_OK while healthy */
    uint16_t gen;
    uint16_t nwaiters;
    uint16_t owner;
    uint8_t state;              /**< enum dk_fence_state */
    uint8_t ngrants;
    uint16_t grant_client[DK_FENCE_GRANTS_MAX];
    uint8_t grant_rights[DK_FENCE_GRANTS_MAX];
};

/** Configuration for dk_fence_table_init(). */
struct dk_fence_cfg {
    uint32_t nslots;                   /**< fences in the table, 1..DK_FENCE_TABLE_MAX */
    uint64_t max_jump;                 /**< >= 1 */
    uint64_t max_wait_ns;              /**< >= 1 */
    uint32_t waiters_per_fence;        /**< 1..DK_FENCE_WAITERS_MAX */
    struct dk_ledger *ledger;          /**< mandatory: fences and waiters are charged */
    const struct dk_backend *backend;  /**< mandatory for waits; optional otherwise */
    struct dk_audit audit;             /**< optional */
};

/** A table of fences. Fields are read-only to callers. */
struct dk_fence_table {
    struct dk_fence *slots;
    uint32_t nslots;
    uint32_t live;
    uint64_t max_jump;
    uint64_t max_wait_ns;
    uint32_t waiters_per_fence;
    struct dk_ledger *ledger;
    const struct dk_backend *backend;
    struct dk_audit audit;
    uint32_t magic;
};

#define DK_FENCE_MAGIC 0x444b4631u /* "DKF1" */

/**
 * How a blocked waiter makes progress. `fn` (optional) is called once before
 * the first block and after every return of the backend's wait, with the
 * event bits, for example to harvest device completions that signal fences;
 * a nonzero return ends the wait with that status. `next_wake` (optional)
 * says when `fn` must run next even if no event comes (absolute ns on the
 * backend clock, 0 for "only on events"): the wait then blocks no later than
 * that, so work with deadlines of its own (a service's escalation ladder)
 * keeps moving while a client waits.
 */
struct dk_pump {
    int (*fn)(void *arg, uint32_t events);
    void *arg;
    uint64_t (*next_wake)(void *arg);
};

/** The one comparison of timeline values: has @p value reached @p target? */
DK_INLINE bool dk_timeline_reached(uint64_t value, uint64_t target)
{
    return value >= target;
}

/** @return Bytes of slot storage for @p nslots fences (0 if out of range). */
size_t dk_fence_table_storage_size(uint32_t nslots);

/**
 * @brief Initialise a fence table over caller storage.
 * @return DK_OK; DK_E_INVAL (NULL_ARG, ZERO_LEN, OVER_CAP, STORAGE_SMALL).
 */
int dk_fence_table_init(struct dk_fence_table *t, const struct dk_fence_cfg *cfg, void *storage,
                        size_t storage_size, enum dk_reason *why);

/** @brief Finalise. @return DK_OK; DK_E_BUSY while fences are live. Safe twice. */
int dk_fence_table_fini(struct dk_fence_table *t);

/**
 * @brief Create a fence at value 0, owned by @p client (WAIT and SIGNAL).
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT); DK_E_NO_SPACE (TABLE_FULL,
 *         GLOBAL_FENCES); DK_E_QUOTA (CLIENT_FENCES); DK_E_NOT_FOUND (BAD_CLIENT).
 */
int dk_fence_create(struct dk_fence_table *t, uint16_t client, uint32_t *handle, enum dk_reason *why);

/**
 * @brief Destroy a fence (owner only).
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND (BAD_HANDLE, NOT_OWNER);
 *         DK_E_STALE (STALE_HANDLE); DK_E_BUSY (HAS_WAITERS).
 */
int dk_fence_destroy(struct dk_fence_table *t, uint16_t client, uint32_t handle, enum dk_reason *why);

/**
 * @brief Give @p grantee rights on a fence. Only a holder may grant, and only
 *        rights it holds. Granting to an existing holder adds rights.
 * @return DK_OK; DK_E_INVAL (BAD_ENUM for rights 0 or unknown bits);
 *         DK_E_NOT_FOUND; DK_E_STALE; DK_E_DENIED (RIGHTS_ESCALATION);
 *         DK_E_NO_SPACE (GRANTS_FULL).
 */
int dk_fence_grant(struct dk_fence_table *t, uint16_t client, uint32_t handle, uint16_t grantee,
                   unsigned rights, enum dk_reason *why);

/**
 * @brief Rights of @p client on a fence.
 * @return DK_FENCE_RIGHT_* bits; 0 for no rights or a bad/stale handle.
 */
unsigned dk_fence_rights(const struct dk_fence_table *t, uint16_t client, uint32_t handle);

/**
 * @brief Raise a fence to @p value and wake waiters it satisfies.
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND; DK_E_STALE;
 *         DK_E_DENIED (NO_SIGNAL_RIGHT); DK_E_ROLLBACK (VALUE_ROLLBACK);
 *         DK_E_TOO_FAR (SIGNAL_TOO_FAR); DK_E_STATE (FENCE_FAILED).
 *         A refusal changes nothing.
 */
int dk_fence_signal(struct dk_fence_table *t, uint16_t client, uint32_t handle, uint64_t value,
                    enum dk_reason *why);

/**
 * @brief Fail a fence at @p value with @p status (an error status other than
 *        DK_E_WOULD_BLOCK). Wakes every waiter above the current value with
 *        @p status. Emits DK_AUDIT_FENCE_FAIL.
 * @return as dk_fence_signal(), plus DK_E_INVAL (BAD_ENUM) for a bad status.
 */
int dk_fence_fail(struct dk_fence_table *t, uint16_t client, uint32_t handle, uint64_t value,
                  int status, enum dk_reason *why);

/**
 * @brief Non-blocking check of a wait condition.
 * @return DK_OK (value >= target); DK_E_WOULD_BLOCK; the failure status of a
 *         failed fence; DK_E_INVAL; DK_E_NOT_FOUND; DK_E_STALE;
 *         DK_E_DENIED (NO_WAIT_RIGHT); DK_E_TOO_FAR (WAIT_TOO_FAR).
 */
int dk_fence_poll(const struct dk_fence_table *t, uint16_t client, uint32_t handle,
                  uint64_t target, enum dk_reason *why);

/**
 * @brief Current value and failure status of a fence (any holder).
 * @param fail_status optional; receives DK_OK or the failure status
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND; DK_E_STALE.
 */
int dk_fence_value(const struct dk_fence_table *t, uint16_t client, uint32_t handle,
                   uint64_t *value, int *fail_status);

/**
 * @brief Check a wait deadline against the table's backend clock and bound.
 * @return DK_OK; DK_E_INVAL (NO_DEADLINE, DEADLINE_TOO_FAR, NULL_ARG for no
 *         backend).
 */
int dk_fence_check_deadline(const struct dk_fence_table *t, uint64_t deadline_ns,
                            enum dk_reason *why);

/**
 * @brief Wait until the fence reaches @p target, fails, or the deadline.
 * @param deadline_ns absolute ns on the backend clock; not 0; at most
 *        now + max_wait_ns. A deadline already past makes this a poll that
 *        answers DK_E_TIMED_OUT when not ready.
 * @param pump optional progress callback (see struct dk_pump)
 * @return DK_OK; the fence's failure status (once the waiter is woken, its
 *         answer stands even if the pump then fails); DK_E_TIMED_OUT (the
 *         backend clock reached the deadline); every refusal of dk_fence_poll();
 *         DK_E_INVAL (NO_DEADLINE, DEADLINE_TOO_FAR); DK_E_NO_SPACE
 *         (WAITERS_FULL, GLOBAL_WAITERS); DK_E_QUOTA (CLIENT_WAITERS); a
 *         status returned by the pump; DK_E_BACKEND after
 *         DK_WAIT_IDLE_WAKEUPS_MAX wake-ups with the clock standing still.
 */
int dk_fence_wait(struct dk_fence_table *t, uint16_t client, uint32_t handle, uint64_t target,
                  uint64_t deadline_ns, const struct dk_pump *pump, enum dk_reason *why);

/**
 * @brief May @p client wait on the fence for @p target? Checks the handle,
 *        the WAIT right and the jump bound, not whether it is reached.
 * @return DK_OK; refusals as dk_fence_poll().
 */
int dk_fence_check_wait(const struct dk_fence_table *t, uint16_t client, uint32_t handle,
                        uint64_t target, enum dk_reason *why);

/**
 * @brief May @p client promise to signal @p value later (a submission's
 *        signal)? The value must be above both the current value and every
 *        value already promised, and within max_jump of the current value.
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND; DK_E_STALE; DK_E_DENIED
 *         (NO_SIGNAL_RIGHT); DK_E_STATE (FENCE_FAILED); DK_E_ROLLBACK
 *         (VALUE_ROLLBACK); DK_E_MALFORMED (WIRE_SIGNAL_JUMP).
 */
int dk_fence_check_promise(const struct dk_fence_table *t, uint16_t client, uint32_t handle,
                           uint64_t value, enum dk_reason *why);

/**
 * @brief Record a promise that dk_fence_check_promise() accepted.
 * @return DK_OK; refusals as dk_fence_check_promise().
 */
int dk_fence_promise(struct dk_fence_table *t, uint16_t client, uint32_t handle, uint64_t value);

/**
 * @brief Register @p w (target already set) on a fence, charging one waiter
 *        to @p client. Used by dk_fence_wait() and waitsets. If the condition
 *        already holds, w->status is set at once and nothing is registered.
 * @return DK_OK (registered, or already answered: check w->status); refusals
 *         as dk_fence_poll() and dk_fence_wait().
 */
int dk_fence_waiter_add(struct dk_fence_table *t, uint16_t client, uint32_t handle,
                        struct dk_waiter *w, enum dk_reason *why);

/**
 * @brief Unregister @p w if registered and return its charge. The waiter
 *        remembers its fence, so a @p handle naming another fence is refused
 *        and changes nothing (the waiter stays registered where it is).
 * @return DK_OK; DK_E_INVAL (NULL pointer, uninitialised table, or a
 *         handle other than the one @p w was added on).
 */
int dk_fence_waiter_remove(struct dk_fence_table *t, uint32_t handle, struct dk_waiter *w);

/**
 * @brief Kill path: fail every fence @p client owns with @p status (waking
 *        every waiter on them, whoever it is), free them, drop the client's
 *        grants on other fences, and wake the client's own waiters anywhere
 *        with @p status.
 * @param status an error status (as for dk_fence_fail)
 * @param count optional; receives the number of fences freed
 * @return DK_OK; DK_E_INVAL (NOT_INIT, BAD_ENUM status).
 */
int dk_fence_reclaim_client(struct dk_fence_table *t, uint16_t client, int status,
                            uint32_t *count);

#endif /* DRIVERKIT_FENCE_H */
