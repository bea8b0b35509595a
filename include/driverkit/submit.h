/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file submit.h
 * @brief Submit a validated frame for a client, all or nothing, and settle
 *        it later: unpin at resolution, signal or fail its fences at
 *        retirement.
 *
 * dk_submit_frame() checks, in this order, with no state changed by any
 * check: the frame itself (dk_frame_check()); device admission; every buffer ref against the client's own
 * buffers (ownership, rights, seal, bounds, pin room); every wait (WAIT
 * right, jump bound); every signal (SIGNAL right, above the current and
 * every promised value, jump bound). Then it takes a queue slot (queue
 * full, QoS depth and client quota are checked there, atomically). Only
 * after the slot is taken does it pin the buffers and record the signal
 * promises, steps that cannot fail once the checks passed. A refused
 * frame therefore leaves queue, ledger, fences and buffers exactly as they
 * were (tests/test_submit.c compares the whole state for every reason).
 *
 * SECURITY: @p client is the ledger slot of the transport's sender id
 * (dk_ledger_client_find()); nothing in the frame names a client.
 *
 * Life of a submission record (caller storage, one per ticket):
 *   dk_submit_frame -> (device work) -> dk_submit_release at resolution
 *   (unpins: the device is done with the memory) -> dk_submit_retire from
 *   the queue's retire callback (signals the frame's fences on success,
 *   fails them with the outcome's status otherwise; unpins if not yet done).
 */
#ifndef DRIVERKIT_SUBMIT_H
#define DRIVERKIT_SUBMIT_H

#include <driverkit/buf.h>
#include <driverkit/common.h>
#include <driverkit/device.h>
#include <driverkit/fence.h>
#include <driverkit/queue.h>
#include <driverkit/status.h>
#include <driverkit/wire.h>

/** The objects a submission touches. */
struct dk_submit_ctx {
    struct dk_queue *queue;        /**< mandatory */
    struct dk_fence_table *fences; /**< mandatory if frames carry waits/signals */
    struct dk_buf_table *bufs;     /**< mandatory if frames carry buffer refs */
    struct dk_device *device;      /**< optional: work admitted only when READY */
};

/** Record states. */
enum dk_sub_state { DK_SUB_FREE = 0, DK_SUB_ACTIVE = 1, DK_SUB_RELEASED = 2, DK_SUB_RETIRED = 3 };

/** The record of one accepted frame. Caller storage; written by dk_submit_*. */
struct dk_submission {
    uint64_t ticket;
    uint64_t epoch; /**< device epoch at submit (0 without a device) */
    uint32_t flags;
    uint16_t client;
    uint8_t state;  /**< enum dk_sub_state */
    uint8_t qos;
    uint16_t n_waits;
    uint16_t n_signals;
    uint16_t n_bufs;
    uint16_t pad;
    struct dk_wire_fence waits[DK_WIRE_WAITS_MAX];
    struct dk_wire_fence signals[DK_WIRE_SIGNALS_MAX];
    uint32_t bufs[DK_WIRE_BUFS_MAX]; /**< one pin held per entry */
};

/**
 * @brief Submit frame @p f for @p client. All or nothing.
 * @param cookie stored with the ticket (e.g. the record's index)
 * @param rec    receives the record; its ticket is the queue ticket
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT for an invalid frame);
 *         DK_E_MALFORMED (DK_R_WIRE_* of dk_frame_check());
 *         device admission (DK_E_RESETTING, DK_E_FAULTED, DK_E_STATE);
 *         buffer refusals of dk_buf_slice() and DK_E_NO_SPACE (PIN_OVERFLOW);
 *         wait refusals of dk_fence_check_wait(); signal refusals of
 *         dk_fence_check_promise(); queue refusals of dk_queue_reserve().
 */
int dk_submit_frame(const struct dk_submit_ctx *c, uint16_t client, const struct dk_frame *f,
                    uint64_t cookie, struct dk_submission *rec, enum dk_reason *why);

/**
 * @brief dk_submit_frame(), also handing back what each buffer ref resolved
 *        to, so a caller that programs a device needs no second lookup.
 * @param slices caller scratch for f->n_bufs entries (at most
 *        DK_WIRE_BUFS_MAX): on DK_OK, slices[i] is the slice of
 *        f->bufs[i] with the access the ref declared; on a refusal its
 *        contents are unspecified (nothing else is changed). NULL: as
 *        dk_submit_frame().
 * @return as dk_submit_frame().
 */
int dk_submit_frame_slices(const struct dk_submit_ctx *c, uint16_t client,
                           const struct dk_frame *f, uint64_t cookie, struct dk_submission *rec,
                           struct dk_slice *slices, enum dk_reason *why);

/**
 * @brief Are the submission's waits satisfied?
 * @param index receives the member the answer is about (optional)
 * @return DK_OK (all reached); DK_E_WOULD_BLOCK; a wait fence's failure
 *         status (the work must then resolve with an error); DK_E_INVAL.
 */
int dk_submit_ready(const struct dk_submit_ctx *c, const struct dk_submission *rec,
                    uint32_t *index);

/**
 * @brief Drop the submission's buffer pins (call when its ticket resolves).
 * @return DK_OK; DK_E_INVAL; DK_E_STATE if already released or retired.
 */
int dk_submit_release(const struct dk_submit_ctx *c, struct dk_submission *rec);

/**
 * @brief Settle the submission's fences in retire order: signal each to its
 *        value when @p outcome is OK, otherwise fail each with the outcome's
 *        status. Unpins if dk_submit_release() was not called. Exactly once.
 * @return DK_OK; DK_E_INVAL; DK_E_STATE if already retired.
 */
int dk_submit_retire(const struct dk_submit_ctx *c, struct dk_submission *rec, unsigned outcome);

#endif /* DRIVERKIT_SUBMIT_H */
