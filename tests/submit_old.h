/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/core/submit.c as of 61871e8, verbatim but for the names (dk_* ->
 * old_*), `static`, the includes, this comment, the line breaks
 * clang-format gives the longer names and dk_submit_ready (left out:
 * unchanged and not compared): the code the submit fast paths replaced,
 * kept for test_submit_fast.c to compare the library with.
 */
#ifndef DK_TEST_SUBMIT_OLD_H
#define DK_TEST_SUBMIT_OLD_H

#include <driverkit/submit.h>

#include "internal.h"
#include "buf_slice.h"

/* Pins this frame would add to @handle's buffer: its refs up to @upto. */
static uint32_t old_submit_refs_of(const struct dk_frame *f, uint32_t upto, uint32_t handle)
{
    uint32_t i, n = 0;

    for (i = 0; i <= upto; i++)
        n += f->bufs[i].handle == handle;
    return n;
}

/* Every check of dk_submit_frame except the queue's; writes nothing but
 * @slices (caller scratch, one per buffer ref, may be NULL). */
static int old_submit_check(const struct dk_submit_ctx *c, uint16_t client,
                            const struct dk_frame *f, struct dk_slice *slices,
                            struct dk_buf **slots, enum dk_reason *why)
{
    uint32_t i;
    int rc;

    if (c->device != NULL) {
        rc = dk_device_admit(c->device, why);
        if (rc != DK_OK)
            return rc;
    }
    if ((f->n_bufs != 0 && c->bufs == NULL) ||
        ((f->n_waits != 0 || f->n_signals != 0) && c->fences == NULL))
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    for (i = 0; i < f->n_bufs; i++) {
        const struct dk_wire_buf *b = &f->bufs[i];
        struct dk_slice one, *sl = slices != NULL ? &slices[i] : &one;
        uint32_t pins;

        /* A ref to the same buffer as the one before it reuses that
         * lookup: nothing changed the table in between. */
        if (i > 0 && b->handle == f->bufs[i - 1u].handle) {
            slots[i] = slots[i - 1u];
            rc = dk_buf_slice_again(slots[i], b->handle, b->offset, b->length, b->access, sl, why);
        } else {
            rc = dk_buf_slice_pins(c->bufs, client, b->handle, b->offset, b->length, b->access, sl,
                                   &slots[i], why);
        }
        if (rc != DK_OK)
            return rc;
        pins = slots[i]->pins;
        /* BOUND: the pins this frame adds must fit, counting repeats. The
         * frame's ref count bounds them; only near the cap are the repeats
         * of this handle counted exactly. */
        if (f->n_bufs > DK_BUF_PINS_MAX - pins &&
            old_submit_refs_of(f, i, b->handle) > DK_BUF_PINS_MAX - pins)
            return dk_reject(why, DK_R_PIN_OVERFLOW, DK_E_NO_SPACE);
    }
    for (i = 0; i < f->n_waits; i++) {
        rc = dk_fence_check_wait(c->fences, client, f->waits[i].fence, f->waits[i].value, why);
        if (rc != DK_OK)
            return rc;
    }
    for (i = 0; i < f->n_signals; i++) {
        rc = dk_fence_check_promise(c->fences, client, f->signals[i].fence, f->signals[i].value,
                                    why);
        if (rc != DK_OK)
            return rc;
    }
    return DK_OK;
}

static int old_submit_do(const struct dk_submit_ctx *c, uint16_t client, const struct dk_frame *f,
                         uint64_t cookie, struct dk_submission *rec, struct dk_slice *slices,
                         int check_frame, enum dk_reason *why)
{
    struct dk_buf *slots[DK_WIRE_BUFS_MAX];
    uint64_t ticket;
    uint32_t i;
    int rc;

    if (c == NULL || c->queue == NULL || f == NULL || rec == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    /* The frame lives in caller memory: judge it again here, so a built
     * frame, or one changed since it was parsed, meets the wire rules too. */
    rc = check_frame ? dk_frame_check(f, why) : DK_OK;
    if (rc != DK_OK)
        return rc;
    rc = old_submit_check(c, client, f, slices, slots, why);
    if (rc != DK_OK)
        return rc;
    rc = dk_queue_reserve(c->queue, client, f->qos, cookie, &ticket, why);
    if (rc != DK_OK)
        return rc;
    /* Commit: these steps were all checked above and cannot fail now. The
     * slots are the ones the checks found: a successful reserve calls no
     * hook, so nothing ran in between that could have freed one, and the
     * pin room was counted with repeats. */
    for (i = 0; i < f->n_bufs; i++) {
        slots[i]->pins++;
        rec->bufs[i] = f->bufs[i].handle;
    }
    for (i = 0; i < f->n_signals; i++) {
        (void)dk_fence_promise(c->fences, client, f->signals[i].fence, f->signals[i].value);
        rec->signals[i] = f->signals[i];
    }
    for (i = 0; i < f->n_waits; i++)
        rec->waits[i] = f->waits[i];
    rec->ticket = ticket;
    rec->epoch = c->device != NULL ? c->device->epoch : 0;
    rec->flags = f->flags;
    rec->client = client;
    rec->qos = f->qos;
    rec->n_waits = f->n_waits;
    rec->n_signals = f->n_signals;
    rec->n_bufs = f->n_bufs;
    rec->pad = 0;
    rec->state = DK_SUB_ACTIVE;
    return dk_accept(why);
}

static int old_submit_frame_slices(const struct dk_submit_ctx *c, uint16_t client,
                                   const struct dk_frame *f, uint64_t cookie,
                                   struct dk_submission *rec, struct dk_slice *slices,
                                   enum dk_reason *why)
{
    return old_submit_do(c, client, f, cookie, rec, slices, 1, why);
}

static int old_submit_parsed(const struct dk_submit_ctx *c, uint16_t client,
                             const struct dk_frame *f, uint64_t cookie, struct dk_submission *rec,
                             struct dk_slice *slices, enum dk_reason *why)
{
    if (f == NULL || f->magic != DK_FRAME_VALID)
        return dk_reject(why, f == NULL ? DK_R_NULL_ARG : DK_R_NOT_INIT, DK_E_INVAL);
    return old_submit_do(c, client, f, cookie, rec, slices, 0, why);
}

static int old_submit_frame(const struct dk_submit_ctx *c, uint16_t client,
                            const struct dk_frame *f, uint64_t cookie, struct dk_submission *rec,
                            enum dk_reason *why)
{
    return old_submit_do(c, client, f, cookie, rec, NULL, 1, why);
}

static void old_submit_unpin(const struct dk_submit_ctx *c, struct dk_submission *rec)
{
    uint32_t i, run;

    /* Repeats of one handle next to each other unpin in one lookup. */
    for (i = 0; i < rec->n_bufs; i += run) {
        for (run = 1; i + run < rec->n_bufs && rec->bufs[i + run] == rec->bufs[i]; run++)
            ;
        dk_buf_unpin_n(c->bufs, rec->bufs[i], run);
    }
}

static int old_submit_release(const struct dk_submit_ctx *c, struct dk_submission *rec)
{
    if (c == NULL || rec == NULL)
        return DK_E_INVAL;
    if (rec->state != DK_SUB_ACTIVE)
        return DK_E_STATE;
    old_submit_unpin(c, rec);
    rec->state = DK_SUB_RELEASED;
    return DK_OK;
}

static int old_submit_retire(const struct dk_submit_ctx *c, struct dk_submission *rec,
                             unsigned outcome)
{
    int status = dk_outcome_status((int)outcome);
    uint32_t i;

    if (c == NULL || rec == NULL || status == DK_E_INVAL)
        return DK_E_INVAL;
    if (rec->state != DK_SUB_ACTIVE && rec->state != DK_SUB_RELEASED)
        return DK_E_STATE;
    if (rec->state == DK_SUB_ACTIVE)
        old_submit_unpin(c, rec);
    /* A fence the client signalled past this value, failed, or destroyed
     * meanwhile answers with a refusal here; the waiters are covered either
     * way, so the refusal is not an error of the retirement. */
    for (i = 0; i < rec->n_signals; i++) {
        if (status == DK_OK)
            (void)dk_fence_signal(c->fences, rec->client, rec->signals[i].fence,
                                  rec->signals[i].value, NULL);
        else
            (void)dk_fence_fail(c->fences, rec->client, rec->signals[i].fence,
                                rec->signals[i].value, status, NULL);
    }
    rec->state = DK_SUB_RETIRED;
    return DK_OK;
}

#endif /* DK_TEST_SUBMIT_OLD_H */
