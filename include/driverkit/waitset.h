/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file waitset.h
 * @brief Waitsets: up to DK_WAITSET_MAX (fence, target) members, waited on
 *        for any or all, with a deadline. Poll cost is O(members).
 */
#ifndef DRIVERKIT_WAITSET_H
#define DRIVERKIT_WAITSET_H

#include <driverkit/common.h>
#include <driverkit/fence.h>
#include <driverkit/status.h>

#define DK_WAITSET_MAX 16u

/** Wait modes. */
enum dk_wait_mode { DK_WAIT_ANY = 0, DK_WAIT_ALL = 1 };

/** One member. */
struct dk_waitset_member {
    uint64_t target;
    uint32_t fence;
    uint32_t pad;
};

/** A waitset over one fence table. Caller storage; plain data. */
struct dk_waitset {
    struct dk_fence_table *table;
    struct dk_waitset_member members[DK_WAITSET_MAX];
    uint32_t count;
    uint32_t magic;
};

#define DK_WAITSET_MAGIC 0x444b5731u /* "DKW1" */

/** @brief Initialise an empty waitset. @return DK_OK; DK_E_INVAL (NULL_ARG). */
int dk_waitset_init(struct dk_waitset *ws, struct dk_fence_table *table);

/** @brief Empty the waitset. @return DK_OK; DK_E_INVAL. */
int dk_waitset_clear(struct dk_waitset *ws);

/**
 * @brief Append a (fence, target) member. Rights are checked when waiting.
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT); DK_E_NOT_FOUND
 *         (BAD_HANDLE for handle 0); DK_E_NO_SPACE (WAITSET_FULL).
 */
int dk_waitset_add(struct dk_waitset *ws, uint32_t fence, uint64_t target, enum dk_reason *why);

/**
 * @brief Check the waitset without blocking.
 * @param mode  DK_WAIT_ANY: ready when one member is ready (reached or
 *              failed); *index = the first ready member in order added.
 *              DK_WAIT_ALL: ready when every member reached its target, or
 *              at the first failed member (*index names it).
 * @param index receives the member index the answer is about (optional)
 * @return DK_OK; DK_E_WOULD_BLOCK; a member's failure status; a member's
 *         refusal from dk_fence_poll() (*index names it); DK_E_INVAL
 *         (NULL_ARG, NOT_INIT, BAD_ENUM, ZERO_LEN for an empty set).
 */
int dk_waitset_poll(const struct dk_waitset *ws, uint16_t client, unsigned mode, uint32_t *index,
                    enum dk_reason *why);

/**
 * @brief Wait for the waitset, bounded by a deadline on the backend clock.
 * @return as dk_waitset_poll() (never DK_E_WOULD_BLOCK), plus DK_E_TIMED_OUT
 *         and the deadline and waiter refusals of dk_fence_wait().
 */
int dk_waitset_wait(struct dk_waitset *ws, uint16_t client, unsigned mode, uint64_t deadline_ns,
                    const struct dk_pump *pump, uint32_t *index, enum dk_reason *why);

#endif /* DRIVERKIT_WAITSET_H */
