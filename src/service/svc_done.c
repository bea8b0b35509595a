/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device service's completions: each answer the device gave, as
 * harvested, checked against the request it names and accounted to that
 * ticket, which resolves when its last command is answered.
 */
#include <driverkit/service.h>

#include "svc_internal.h"

static void dk_svc_done(struct dk_svc *s, const struct dk_vdone *d)
{
    uint64_t ticket = d->cookie >> DK_SVC_CMD_BITS;
    uint16_t i = (uint16_t)(d->cookie & ((1u << DK_SVC_CMD_BITS) - 1u));
    struct dk_svc_req *r = dk_svc_req_of(s, ticket);
    uint32_t result = 0;
    int st;

    /* Statuses were read at harvest, before any new submit could reuse a
     * request record (dk_vblk_harvest / dk_vaccel_harvest). */
    st = d->status;
    result = d->result;
    s->stats.device_completions++;
    s->completions_since_probe++;
    /* The cookie came from our own private head record, so it names a
     * request we posted; a mismatch would be our bug, counted not trusted. */
    if (r->sub.ticket != ticket || r->state != DK_SVC_RUNNING || i >= r->posted ||
        (r->done >> i & 1u)) {
        s->stats.stale++;
        (void)dk_device_check_epoch(s->cfg.device, r->epoch);
        return;
    }
    r->done |= 1ull << i;
    r->pending--;
    if (s->cfg.kind == DK_SVC_ACCEL && r->cmds[i].op == DK_SVC_OP_CSUM)
        r->result = result;
    if (st != DK_OK)
        r->outcome = DK_OUTCOME_DEVICE_ERROR;
    if (r->posted == r->ncmds && r->pending == 0)
        dk_svc_finish(s, r, r->outcome);
}

/* dk_svc_done of @n completions in turn. A frame's commands are staged
 * together and the device answers them in order, or nearly: completions of
 * one ticket come in runs, and what dk_svc_done checks of the record that
 * no completion changes (the ticket, the state, how many were posted) is
 * checked once a run, the pending count kept in a register. A completion
 * outside those checks (stale, a second answer) is left to dk_svc_done. */
void dk_svc_done_n(struct dk_svc *s, const struct dk_vdone *d, unsigned n)
{
    const struct dk_vdone *end = d + n;

    while (d < end) {
        uint64_t ticket = d->cookie >> DK_SVC_CMD_BITS;
        struct dk_svc_req *r = dk_svc_req_of(s, ticket);
        const struct dk_svc_cmd *cmds = r->cmds;
        const struct dk_vdone *run = d;
        const int accel = s->cfg.kind == DK_SVC_ACCEL;
        uint64_t done;
        uint16_t posted, pending;
        int finished = 0;

        if (r->sub.ticket != ticket || r->state != DK_SVC_RUNNING) {
            dk_svc_done(s, d++);
            continue;
        }
        posted = r->posted;
        pending = r->pending;
        done = r->done;
        for (; d < end; d++) {
            /* Another ticket's cookie is below base or 64 and more above
             * it: past posted (at most 64) either way. */
            uint64_t i = d->cookie - (ticket << DK_SVC_CMD_BITS);

            if (i >= posted || (done >> i & 1u))
                break;
            done |= 1ull << i;
            pending--;
            /* Only the accelerator has results (CSUM); a blk completion
             * does not touch its command record at all. */
            if (accel && cmds[i].op == DK_SVC_OP_CSUM)
                r->result = d->result;
            if (d->status != DK_OK)
                r->outcome = DK_OUTCOME_DEVICE_ERROR;
            if (pending == 0 && posted == r->ncmds) {
                finished = 1;
                d++;
                break;
            }
        }
        /* The counters and the record are as dk_svc_done would leave them
         * before anything else can look: the finish's hooks, or the next
         * completion's own dk_svc_done. */
        s->stats.device_completions += (uint64_t)(d - run);
        s->completions_since_probe += (uint64_t)(d - run);
        r->pending = pending;
        r->done = done;
        if (finished)
            dk_svc_finish(s, r, r->outcome);
        else if (d < end && d->cookie >> DK_SVC_CMD_BITS == ticket)
            dk_svc_done(s, d++); /* stale: counted and checked there */
    }
}
