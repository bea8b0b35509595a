/* SPDX-License-Identifier: Apache-2.0 */
#include <driverkit/submit.h>

#include "internal.h"
#include "buf_slice.h"

#define DK_SUBMIT_NOINLINE __attribute__((noinline))

/* Pins this frame would add to @handle's buffer: its refs up to @upto. */
static uint32_t dk_submit_refs_of(const struct dk_frame *f, uint32_t upto, uint32_t handle)
{
    uint32_t i, n = 0;

    for (i = 0; i <= upto; i++)
        n += f->bufs[i].handle == handle;
    return n;
}

/* The fast part of dk_submit_check_run: from ref @i (at @w) on, refs that
 * name @handle with the run's @access and lie inside a slot of @size bytes
 * get their slices (at @sl, @step apart; only the DMA address unless
 * @full), up to the first that does not. Kept out of line: inlined, the
 * loop's values spill to the stack. Returns the index of the first ref it
 * did not take. */
static DK_SUBMIT_NOINLINE uint32_t dk_submit_slices_fast(const struct dk_wire_buf *w, uint32_t i,
                                                         uint32_t n, uint32_t handle,
                                                         uint32_t access, uint64_t size,
                                                         uint64_t dma, struct dk_slice *sl,
                                                         size_t step, int full)
{
    for (; i < n && w->handle == handle; i++, w++, sl += step) {
        uint64_t offset = w->offset, length = w->length;

        if (w->access != access || length == 0 || offset > size || length > size - offset)
            break;
        sl->dma_addr = dma + offset;
        if (full) {
            sl->offset = offset;
            sl->length = length;
            sl->buf = handle;
            sl->access = access;
        }
    }
    return i;
}

/* The refs from @i on that name the same buffer as ref @i - 1, which was
 * checked into slot @b: the checks dk_buf_slice_again() and the pin bound
 * would make, ref by ref. A ref with the run's access bits needs no rights
 * check (its answer was DK_OK for the ref before it, and nothing changed
 * the slot since); a ref whose cheap checks do not all pass, and every ref
 * of a buffer near its pin cap, is judged by the general code, which names
 * the first failing check. The caller's slots[] holds only the run's
 * head. Returns the index past the run, or @n and the refusal in *@rc. */
static uint32_t dk_submit_check_run(const struct dk_frame *f, uint32_t i, uint32_t n,
                                    const struct dk_buf *b, struct dk_slice *slices, int full,
                                    int *rc, enum dk_reason *why)
{
    uint32_t handle = f->bufs[i - 1u].handle, access = f->bufs[i - 1u].access;
    struct dk_slice one;
    size_t step = slices != NULL;
    /* The slot's pins stand still during the checks: so does this bound. */
    int near = f->n_bufs > DK_BUF_PINS_MAX - b->pins;

    for (;;) {
        const struct dk_wire_buf *w;
        struct dk_slice *sl;

        if (!near)
            i = dk_submit_slices_fast(&f->bufs[i], i, n, handle, access, b->size, b->dma_addr,
                                      slices != NULL ? &slices[i] : &one, step, full);
        w = &f->bufs[i];
        if (i == n || w->handle != handle)
            break;
        sl = slices != NULL ? &slices[i] : &one;
        *rc = dk_buf_slice_again(b, handle, w->offset, w->length, w->access, sl, why);
        if (*rc == DK_OK && near && dk_submit_refs_of(f, i, handle) > DK_BUF_PINS_MAX - b->pins)
            *rc = dk_reject(why, DK_R_PIN_OVERFLOW, DK_E_NO_SPACE);
        if (*rc != DK_OK)
            return n;
        i++;
    }
    *rc = DK_OK;
    return i;
}

/* Every check of dk_submit_frame except the queue's; writes nothing but
 * @slices (caller scratch, one per buffer ref, may be NULL; unless @full,
 * only their DMA addresses are sure to be written). */
static int dk_submit_check(const struct dk_submit_ctx *c, uint16_t client, const struct dk_frame *f,
                           struct dk_slice *slices, int full, struct dk_buf **slots,
                           enum dk_reason *why)
{
    uint32_t i, n = f->n_bufs;
    int rc;

    if (c->device != NULL) {
        rc = dk_device_admit(c->device, why);
        if (rc != DK_OK)
            return rc;
    }
    if ((f->n_bufs != 0 && c->bufs == NULL) ||
        ((f->n_waits != 0 || f->n_signals != 0) && c->fences == NULL))
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    for (i = 0; i < n;) {
        const struct dk_wire_buf *b = &f->bufs[i];
        struct dk_slice one, *sl = slices != NULL ? &slices[i] : &one;
        uint32_t pins;

        rc = dk_buf_slice_pins(c->bufs, client, b->handle, b->offset, b->length, b->access, sl,
                               &slots[i], why);
        if (rc != DK_OK)
            return rc;
        pins = slots[i]->pins;
        /* BOUND: the pins this frame adds must fit, counting repeats. The
         * frame's ref count bounds them; only near the cap are the repeats
         * of this handle counted exactly. */
        if (f->n_bufs > DK_BUF_PINS_MAX - pins &&
            dk_submit_refs_of(f, i, b->handle) > DK_BUF_PINS_MAX - pins)
            return dk_reject(why, DK_R_PIN_OVERFLOW, DK_E_NO_SPACE);
        /* Refs to the same buffer as the one before them reuse its lookup:
         * nothing changed the table in between. */
        i = dk_submit_check_run(f, i + 1u, n, slots[i], slices, full, &rc, why);
        if (rc != DK_OK)
            return rc;
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

/* The queue's reserve, then the commit of what dk_submit_check found: the
 * slots at the head of each run of refs to one handle. */
static int dk_submit_commit(const struct dk_submit_ctx *c, uint16_t client,
                            const struct dk_frame *f, uint64_t cookie, struct dk_submission *rec,
                            struct dk_buf *const *slots, enum dk_reason *why)
{
    uint64_t ticket;
    uint32_t i, j, n;
    int rc;

    rc = dk_queue_reserve(c->queue, client, f->qos, cookie, &ticket, why);
    if (rc != DK_OK)
        return rc;
    /* Commit: these steps were all checked above and cannot fail now. The
     * slots are the ones the checks found: a successful reserve calls no
     * hook, so nothing ran in between that could have freed one, and the
     * pin room was counted with repeats. */
    n = f->n_bufs;
    for (i = 0; i < n; i = j) {
        /* The check set slots[] at the head of each run of one handle and
         * found the rest of the run in the same slot: one pin store a run. */
        const struct dk_wire_buf *w = &f->bufs[i];
        uint32_t handle = w->handle;

        for (j = i; j < n && w->handle == handle; j++, w++)
            rec->bufs[j] = handle;
        slots[i]->pins += j - i;
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

static int dk_submit_do(const struct dk_submit_ctx *c, uint16_t client, const struct dk_frame *f,
                        uint64_t cookie, struct dk_submission *rec, struct dk_slice *slices,
                        int check_frame, enum dk_reason *why)
{
    struct dk_buf *slots[DK_WIRE_BUFS_MAX];
    int rc;

    if (c == NULL || c->queue == NULL || f == NULL || rec == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    /* The frame lives in caller memory: judge it again here, so a built
     * frame, or one changed since it was parsed, meets the wire rules too. */
    rc = check_frame ? dk_frame_check(f, why) : DK_OK;
    if (rc != DK_OK)
        return rc;
    rc = dk_submit_check(c, client, f, slices, 1, slots, why);
    if (rc != DK_OK)
        return rc;
    return dk_submit_commit(c, client, f, cookie, rec, slots, why);
}

int dk_submit_frame_slices(const struct dk_submit_ctx *c, uint16_t client, const struct dk_frame *f,
                           uint64_t cookie, struct dk_submission *rec, struct dk_slice *slices,
                           enum dk_reason *why)
{
    return dk_submit_do(c, client, f, cookie, rec, slices, 1, why);
}

int dk_submit_parsed(const struct dk_submit_ctx *c, uint16_t client, const struct dk_frame *f,
                     uint64_t cookie, struct dk_submission *rec, struct dk_slice *slices,
                     enum dk_reason *why)
{
    if (f == NULL || f->magic != DK_FRAME_VALID)
        return dk_reject(why, f == NULL ? DK_R_NULL_ARG : DK_R_NOT_INIT, DK_E_INVAL);
    return dk_submit_do(c, client, f, cookie, rec, slices, 0, why);
}

int dk_submit_parsed_check(const struct dk_submit_ctx *c, uint16_t client, const struct dk_frame *f,
                           const struct dk_submission *rec, struct dk_slice *slices,
                           struct dk_buf **slots, enum dk_reason *why)
{
    /* dk_submit_parsed's checks, in its order. */
    if (f == NULL || f->magic != DK_FRAME_VALID)
        return dk_reject(why, f == NULL ? DK_R_NULL_ARG : DK_R_NOT_INIT, DK_E_INVAL);
    if (c == NULL || c->queue == NULL || rec == NULL || slots == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    return dk_submit_check(c, client, f, slices, 0, slots, why);
}

int dk_submit_parsed_commit(const struct dk_submit_ctx *c, uint16_t client,
                            const struct dk_frame *f, uint64_t cookie, struct dk_submission *rec,
                            struct dk_buf *const *slots, enum dk_reason *why)
{
    return dk_submit_commit(c, client, f, cookie, rec, slots, why);
}

int dk_submit_frame(const struct dk_submit_ctx *c, uint16_t client, const struct dk_frame *f,
                    uint64_t cookie, struct dk_submission *rec, enum dk_reason *why)
{
    return dk_submit_do(c, client, f, cookie, rec, NULL, 1, why);
}

int dk_submit_ready(const struct dk_submit_ctx *c, const struct dk_submission *rec, uint32_t *index)
{
    uint32_t i;
    int blocked = 0;

    if (c == NULL || rec == NULL || rec->state == DK_SUB_FREE)
        return DK_E_INVAL;
    for (i = 0; i < rec->n_waits; i++) {
        int st =
            dk_fence_poll(c->fences, rec->client, rec->waits[i].fence, rec->waits[i].value, NULL);
        if (st == DK_OK)
            continue;
        if (st == DK_E_WOULD_BLOCK) {
            blocked = 1;
            continue;
        }
        /* A failed (or since destroyed) wait fence: the work cannot run. */
        if (index != NULL)
            *index = i;
        return st;
    }
    return blocked ? DK_E_WOULD_BLOCK : DK_OK;
}

static void dk_submit_unpin(const struct dk_submit_ctx *c, struct dk_submission *rec)
{
    const uint32_t *p = rec->bufs, *end = rec->bufs + rec->n_bufs, *q;

    /* Repeats of one handle next to each other unpin in one lookup. */
    for (; p < end; p = q) {
        for (q = p + 1; q < end && *q == *p; q++)
            ;
        dk_buf_unpin_n(c->bufs, *p, (uint32_t)(q - p));
    }
}

int dk_submit_release(const struct dk_submit_ctx *c, struct dk_submission *rec)
{
    if (c == NULL || rec == NULL)
        return DK_E_INVAL;
    if (rec->state != DK_SUB_ACTIVE)
        return DK_E_STATE;
    dk_submit_unpin(c, rec);
    rec->state = DK_SUB_RELEASED;
    return DK_OK;
}

int dk_submit_retire(const struct dk_submit_ctx *c, struct dk_submission *rec, unsigned outcome)
{
    int status = dk_outcome_status((int)outcome);
    uint32_t i;

    if (c == NULL || rec == NULL || status == DK_E_INVAL)
        return DK_E_INVAL;
    if (rec->state != DK_SUB_ACTIVE && rec->state != DK_SUB_RELEASED)
        return DK_E_STATE;
    if (rec->state == DK_SUB_ACTIVE)
        dk_submit_unpin(c, rec);
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
