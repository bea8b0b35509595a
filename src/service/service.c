/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device service: frames in, device requests out, completions back to
 * tickets, fences settled in retire order. Faults of the device (hostile
 * used-ring entries, NEEDS_RESET) and expired deadlines end in a reset that
 * resolves every in-flight ticket exactly once; a kill touches only the
 * killed client's work.
 */
#include <driverkit/service.h>

#include <string.h>

#include "../core/internal.h" /* dk_submit_parsed, dk_audit_emit */
#include "svc_internal.h"

#define DK_SVC_HARVEST 16u

static void dk_svc_trace(struct dk_svc *s, unsigned kind, uint64_t a, uint64_t b, uint64_t c)
{
    if (s->cfg.trace.fn != NULL)
        s->cfg.trace.fn(s->cfg.trace.arg, kind, dk_backend_now(s->cfg.be), a, b, c);
}

/* SECURITY: ids and codes only (the core's event builder). */
static void dk_svc_audit(struct dk_svc *s, uint32_t kind, uint32_t client, int status,
                         uint64_t object, uint64_t count)
{
    dk_audit_emit(&s->cfg.audit, kind, client, status, 0, object, count, s->cfg.device->epoch);
}

static struct dk_virtio_dev *dk_svc_vdev(struct dk_svc *s)
{
    return s->cfg.kind == DK_SVC_BLK ? &s->dev.blk.dev : &s->dev.accel.dev;
}

static struct dk_virtq *dk_svc_vq(struct dk_svc *s)
{
    return s->cfg.kind == DK_SVC_BLK ? &s->dev.blk.q : &s->dev.accel.q;
}

static int dk_svc_bringup(struct dk_svc *s, enum dk_reason *why)
{
    if (s->cfg.kind == DK_SVC_BLK)
        return dk_vblk_init(&s->dev.blk, s->cfg.be, s->cfg.cap, s->cfg.vq_size, s->vq_storage,
                            sizeof(s->vq_storage), why);
    return dk_vaccel_init(&s->dev.accel, s->cfg.be, s->cfg.cap, s->cfg.vq_size, s->vq_storage,
                          sizeof(s->vq_storage), why);
}

/* Retire order: the queue calls this per ticket as the watermark passes it;
 * the frame's fences are signalled, or failed with the outcome's status. */
static void dk_svc_retired(void *arg, uint64_t ticket, uint64_t cookie, uint16_t client,
                           unsigned outcome)
{
    struct dk_svc *s = arg;
    struct dk_svc_req *r = dk_svc_req_of(s, ticket);

    (void)cookie;
    (void)client;
    if (r->sub.n_signals != 0) {
        if (outcome == DK_OUTCOME_OK)
            s->stats.fences_signalled += r->sub.n_signals;
        else
            s->stats.fences_failed += r->sub.n_signals;
    }
    (void)dk_submit_retire(&s->ctx, &r->sub, outcome);
    r->state = DK_SVC_FREE;
}

int dk_svc_init(struct dk_svc *s, const struct dk_svc_cfg *cfg, enum dk_reason *why)
{
    struct dk_queue_cfg qc;
    unsigned c;
    int rc;

    if (s == NULL || cfg == NULL || cfg->be == NULL || cfg->ledger == NULL || cfg->fences == NULL ||
        cfg->bufs == NULL || cfg->device == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (cfg->kind != DK_SVC_BLK && cfg->kind != DK_SVC_ACCEL)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    if (cfg->queue_capacity > DK_SVC_QUEUE_MAX || cfg->vq_size > DK_VIRTQ_SIZE_MAX ||
        cfg->deadline_ns == 0)
        return dk_reject(why, DK_R_OVER_CAP, DK_E_INVAL);
    memset(s, 0, sizeof(*s));
    s->cfg = *cfg;
    memset(&qc, 0, sizeof(qc));
    qc.capacity = cfg->queue_capacity;
    qc.inflight_cap = cfg->inflight_cap;
    for (c = 0; c < DK_QOS_COUNT; c++)
        qc.qos_depth[c] = cfg->qos_depth[c];
    qc.ledger = cfg->ledger;
    qc.retire_fn = dk_svc_retired;
    qc.retire_arg = s;
    qc.audit = cfg->audit;
    rc = dk_queue_init(&s->queue, &qc, s->qslots, sizeof(s->qslots), why);
    if (rc != DK_OK)
        return rc;
    s->ctx.queue = &s->queue;
    s->ctx.fences = cfg->fences;
    s->ctx.bufs = cfg->bufs;
    s->ctx.device = cfg->device;
    if (cfg->be->ops->irq_bind != NULL)
        (void)cfg->be->ops->irq_bind(cfg->be->ctx, cfg->irq);
    rc = dk_svc_bringup(s, why);
    if (rc != DK_OK)
        return rc;
    if (cfg->device->state == DK_DEV_OFFLINE)
        (void)dk_device_online(cfg->device, NULL);
    s->magic = DK_SVC_MAGIC;
    return dk_reject(why, DK_R_NONE, DK_OK);
}

/* ---- decoding device commands ------------------------------------------ */

/* ---- running submissions ------------------------------------------------ */

void dk_svc_finish(struct dk_svc *s, struct dk_svc_req *r, unsigned outcome)
{
    uint64_t ticket = r->sub.ticket;

    if (r->killed)
        outcome = DK_OUTCOME_KILLED;
    (void)dk_submit_release(&s->ctx, &r->sub);
    r->state = DK_SVC_FREE; /* the retire callback settles the fences */
    r->pending = 0;
    s->stats.resolved++;
    s->stats.outcomes[outcome]++;
    dk_svc_trace(s, DK_TRACE_RESOLVE, ticket, r->client_id, outcome);
    (void)dk_queue_resolve(&s->queue, ticket, outcome, NULL);
    dk_svc_trace(s, DK_TRACE_DEPTH, dk_queue_inflight(&s->queue), 0, 0);
}

/* The accelerator's part of dk_svc_post: command @i of @r. */
static int dk_svc_post_accel(struct dk_svc *s, struct dk_svc_req *r, uint16_t i)
{
    const struct dk_svc_cmd *c = &r->cmds[i];
    uint64_t cookie = r->sub.ticket << DK_SVC_CMD_BITS | i;
    struct dk_vseg src = {c->src, c->src_len, 0}, dst = {c->dst, c->dst_len, 0};

    switch (c->op) {
    case DK_SVC_OP_COPY:
        return dk_vaccel_submit(&s->dev.accel, DK_VACCEL_COPY, &src, 1, &dst, 1, c->src_len, 0,
                                cookie, NULL);
    case DK_SVC_OP_FILL:
        return dk_vaccel_submit(&s->dev.accel, DK_VACCEL_FILL, NULL, 0, &dst, 1, c->dst_len,
                                c->value, cookie, NULL);
    default:
        return dk_vaccel_submit(&s->dev.accel, DK_VACCEL_CSUM, &src, 1, NULL, 0, c->src_len, 0,
                                cookie, NULL);
    }
}

/* The virtio-blk requests of @r's commands from r->posted on, into @io
 * (room for DK_WIRE_CMDS_MAX); the cookie names the ticket and command. */
void dk_svc_blk_io(const struct dk_svc_req *r, struct dk_vblk_io *io)
{
    const struct dk_svc_cmd *c = &r->cmds[r->posted], *end = &r->cmds[r->ncmds];
    uint64_t cookie = r->sub.ticket << DK_SVC_CMD_BITS | r->posted;

    for (; c < end; c++, io++, cookie++) {
        io->cookie = cookie;
        io->nseg = 1;
        if (c->op == DK_SVC_OP_BLK_READ) {
            io->type = DK_VBLK_T_IN;
            io->sector = c->sector;
            io->data = (struct dk_vseg){c->dst, c->dst_len, 0};
        } else if (c->op == DK_SVC_OP_BLK_WRITE) {
            io->type = DK_VBLK_T_OUT;
            io->sector = c->sector;
            io->data = (struct dk_vseg){c->src, c->src_len, 0};
        } else {
            io->type = DK_VBLK_T_GET_ID;
            io->sector = 0;
            io->data = (struct dk_vseg){c->dst, c->dst_len, 0};
        }
    }
}

/* The blk device's part of dk_svc_post: every remaining command as one
 * dk_vblk_stage_n batch. A command the device refuses (checked at submit,
 * so the device changed under us, e.g. its capacity) fails and the rest
 * run; a full ring or a faulted queue stops the batch (backpressure).
 * Returns whether anything was staged. */
static int dk_svc_post_blk(struct dk_svc *s, struct dk_svc_req *r)
{
    struct dk_vblk_io io[DK_WIRE_CMDS_MAX];
    uint16_t first = r->posted;
    unsigned staged;
    int rc, any = 0;

    dk_svc_blk_io(r, io);
    while (r->posted < r->ncmds) {
        rc = dk_vblk_stage_n(&s->dev.blk, &io[r->posted - first], r->ncmds - r->posted, &staged,
                             NULL);
        r->posted = (uint16_t)(r->posted + staged);
        r->pending = (uint16_t)(r->pending + staged);
        s->stats.device_requests += staged;
        any |= staged != 0;
        if (rc == DK_OK || rc == DK_E_QUEUE_FULL || rc == DK_E_FAULTED)
            break;
        r->done |= 1ull << r->posted;
        r->outcome = DK_OUTCOME_DEVICE_ERROR;
        r->posted++;
    }
    return any;
}

/* Hand a running submission's remaining commands to the device, as far as
 * the ring has room (the rest go on a later pump: backpressure). */
static void dk_svc_post(struct dk_svc *s, struct dk_svc_req *r)
{
    int any = s->cfg.kind == DK_SVC_BLK ? dk_svc_post_blk(s, r) : 0;

    while (s->cfg.kind != DK_SVC_BLK && r->posted < r->ncmds) {
        int rc = dk_svc_post_accel(s, r, r->posted);
        if (rc == DK_E_QUEUE_FULL || rc == DK_E_FAULTED)
            break;
        if (rc != DK_OK) {
            /* Checked at submit; a refusal now means the device changed
             * under us: the command fails, the rest run. */
            r->done |= 1ull << r->posted;
            r->outcome = DK_OUTCOME_DEVICE_ERROR;
            r->posted++;
            continue;
        }
        r->posted++;
        r->pending++;
        s->stats.device_requests++;
        any = 1;
    }
    /* Blk requests were staged (dk_vblk_stage_n): the kick publishes them
     * all behind one barrier, then notifies the device. */
    if (any)
        (void)dk_virtq_kick(dk_svc_vq(s), NULL);
    if (r->posted == r->ncmds && r->pending == 0)
        dk_svc_finish(s, r, r->outcome);
}

/* DK_WIRE_F_BARRIER: has every earlier ticket of @r's client retired?
 * Tickets below the queue's tail have; the window holds the rest. */
static int dk_svc_barrier_clear(const struct dk_svc *s, const struct dk_svc_req *r)
{
    uint64_t t;

    for (t = s->queue.tail; t != r->sub.ticket; t++)
        if (s->queue.slots[t & s->queue.mask].client == r->sub.client)
            return 0;
    return 1;
}

static void dk_svc_try_start(struct dk_svc *s, struct dk_svc_req *r)
{
    int st;

    if (r->state != DK_SVC_WAITING)
        return;
    if ((r->sub.flags & DK_WIRE_F_BARRIER) != 0 && !dk_svc_barrier_clear(s, r))
        return;
    st = dk_submit_ready(&s->ctx, &r->sub, NULL);
    if (st == DK_E_WOULD_BLOCK)
        return;
    (void)dk_queue_start(&s->queue, r->sub.ticket, NULL);
    r->state = DK_SVC_RUNNING;
    dk_svc_trace(s, DK_TRACE_START, r->sub.ticket, r->client_id, 0);
    if (st != DK_OK) {
        /* A fence it waits on failed: the work cannot run, and the failure
         * travels on to the fences it would have signalled. */
        r->ncmds = r->posted;
        dk_svc_finish(s, r, DK_OUTCOME_DEVICE_ERROR);
        return;
    }
    dk_svc_post(s, r);
}

int dk_svc_submit(struct dk_svc *s, uint32_t sender_id, const void *bytes, size_t len,
                  uint64_t *ticket, enum dk_reason *why)
{
    struct dk_buf *slots[DK_WIRE_BUFS_MAX];
    struct dk_svc_cmd *cmds;
    struct dk_svc_req *r;
    uint16_t client, ncmds;
    int rc;

    if (s == NULL || s->magic != DK_SVC_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    /* The record is written only once the queue issued the ticket, and the
     * ticket issued is the queue's head: hand over that slot's record
     * directly (a refusal writes nothing into its submission). While the
     * window has room, that record is a retired ticket's, free, and the
     * commands decode straight into it; with the window full it is the
     * tail's, live, and they decode into scratch (the submit then refuses).
     * INVARIANT: a ticket's record is DK_SVC_FREE from its resolve
     * (dk_svc_finish) on, and the head's slot holds no ticket in
     * [tail, head): writing its commands disturbs no live submission. */
    r = dk_svc_req_of(s, s->queue.head);
    cmds = s->queue.head - s->queue.tail <= s->queue.mask && r->state == DK_SVC_FREE
               ? r->cmds
               : s->cmd_scratch;
    /* SECURITY: the client is who the transport says sent the bytes. */
    rc = dk_ledger_client_find(s->cfg.ledger, sender_id, &client);
    if (rc != DK_OK)
        rc = dk_reject(why, DK_R_BAD_CLIENT, DK_E_NOT_FOUND);
    if (rc == DK_OK)
        rc = dk_device_admit(s->cfg.device, why);
    if (rc == DK_OK)
        rc = dk_wire_parse(&s->frame, bytes, len, why);
    if (rc == DK_OK)
        rc = dk_svc_admit(s, client, &r->sub, cmds, &ncmds, slots, why);
    if (rc == DK_OK)
        rc = dk_submit_parsed_commit(&s->ctx, client, &s->frame, 0, &r->sub, slots, why);
    if (rc != DK_OK) {
        s->stats.rejected[rc >= 0 && rc < DK_STATUS_COUNT ? rc : DK_E_INVAL]++;
        dk_svc_trace(s, DK_TRACE_REJECT, 0, sender_id, (uint64_t)rc);
        return rc;
    }
    /* BOUND: only the decoded commands are copied, not the whole record. */
    if (cmds != r->cmds)
        memcpy(r->cmds, cmds, sizeof(cmds[0]) * ncmds);
    r->ncmds = ncmds;
    r->posted = 0;
    r->done = 0;
    r->pending = 0;
    r->ladder = 0;
    r->killed = 0;
    r->result = 0;
    r->client_id = sender_id;
    r->epoch = s->cfg.device->epoch;
    r->deadline = dk_backend_now(s->cfg.be) + s->cfg.deadline_ns;
    r->state = DK_SVC_WAITING;
    r->outcome = DK_OUTCOME_OK;
    s->stats.submitted++;
    if (ticket != NULL)
        *ticket = r->sub.ticket;
    dk_svc_trace(s, DK_TRACE_SUBMIT, r->sub.ticket, sender_id, r->sub.qos);
    dk_svc_trace(s, DK_TRACE_DEPTH, dk_queue_inflight(&s->queue), 0, 0);
    dk_svc_try_start(s, r);
    return DK_OK;
}

/* ---- reset, ladder ------------------------------------------------------- */

/* dk_virtq_reclaim callback: a request the reset took back. */
static void dk_svc_reclaimed(void *arg, uint64_t cookie)
{
    struct dk_svc *s = arg;
    struct dk_svc_req *r = dk_svc_req_of(s, cookie >> DK_SVC_CMD_BITS);
    uint16_t i = (uint16_t)(cookie & ((1u << DK_SVC_CMD_BITS) - 1u));

    if (r->state == DK_SVC_RUNNING && i < r->posted && !(r->done >> i & 1u)) {
        r->done |= 1ull << i;
        r->pending--;
    }
}

int dk_svc_reset(struct dk_svc *s, enum dk_reason *why)
{
    uint64_t t, head;
    int rc, stopped;

    if (s == NULL || s->magic != DK_SVC_MAGIC)
        return dk_reject(why, DK_R_NOT_INIT, DK_E_INVAL);
    if (s->cfg.device->state != DK_DEV_RESETTING) {
        rc = dk_device_reset_begin(s->cfg.device, why);
        if (rc != DK_OK)
            return rc;
    }
    /* The device must stop before its buffers are taken back. */
    stopped = dk_virtio_reset(dk_svc_vdev(s), why) == DK_OK;
    if (stopped) {
        (void)dk_virtq_reclaim(dk_svc_vq(s), dk_svc_reclaimed, s, NULL);
        if (s->cfg.kind == DK_SVC_BLK)
            (void)dk_vblk_fini(&s->dev.blk);
        else
            (void)dk_vaccel_fini(&s->dev.accel);
    }
    /* Every in-flight ticket resolves exactly once: the expired one as
     * TIMED_OUT, a killed client's as KILLED, all others as RESET. */
    head = s->queue.head;
    for (t = s->queue.tail; t != head; t++) {
        struct dk_svc_req *r = dk_svc_req_of(s, t);
        if (r->state == DK_SVC_FREE || r->sub.ticket != t)
            continue;
        /* SECURITY: a device that did not stop may still write the buffers
         * it was given: the ticket resolves (no waiter hangs) but its pins
         * are kept, so those buffers are never reclaimed or reused. */
        if (!stopped && r->pending != 0) {
            r->sub.n_bufs = 0;
            s->stats.pins_kept++;
        }
        dk_svc_finish(s, r,
                      r->outcome == DK_OUTCOME_TIMED_OUT ? DK_OUTCOME_TIMED_OUT : DK_OUTCOME_RESET);
    }
    if (!stopped) {
        /* Wedged: nothing more goes to it; the caller may restart the service. */
        (void)dk_device_reset_end(s->cfg.device, NULL);
        (void)dk_device_fault(s->cfg.device, DK_R_VIRTIO_RESET_TIMEOUT, NULL);
        s->stats.resets++;
        return dk_reject(why, DK_R_VIRTIO_RESET_TIMEOUT, DK_E_DEVICE);
    }
    /* The device comes up again before the state machine admits work: a
     * frame accepted from RESET_END's audit hook must find a device (it was
     * accepted onto a torn-down queue and failed DEVICE_ERROR). */
    rc = dk_svc_bringup(s, why);
    (void)dk_device_reset_end(s->cfg.device, NULL);
    s->stats.resets++;
    s->completions_since_probe = 0;
    dk_svc_trace(s, DK_TRACE_RESET, s->cfg.device->epoch, 0, 0);
    if (rc != DK_OK) {
        (void)dk_device_fault(s->cfg.device, why != NULL ? (int)*why : 0, NULL);
        return rc;
    }
    return dk_reject(why, DK_R_NONE, DK_OK);
}

static void dk_svc_fault(struct dk_svc *s, enum dk_reason reason)
{
    s->stats.device_faults++;
    (void)dk_device_fault(s->cfg.device, (int)reason, NULL);
    (void)dk_svc_reset(s, NULL);
}

/* Escalation for one expired submission; returns 1 if it reset the device.
 * @progress is the probe's answer for this whole pump: the device completions
 * since the last probe, read once before any ticket was looked at. */
static int dk_svc_escalate(struct dk_svc *s, struct dk_svc_req *r, uint64_t now, uint64_t progress)
{
    uint64_t ticket = r->sub.ticket;

    if (r->ladder == 0) {
        r->ladder = 1;
        s->stats.timeouts++;
        dk_svc_audit(s, DK_AUDIT_TICKET_TIMEOUT, r->client_id, DK_E_TIMED_OUT, ticket, 1);
    }
    if (r->state == DK_SVC_WAITING || r->pending == 0) {
        /* Nothing of it is on the device (never started, or its commands
         * still wait for ring room): nothing to take back, no reset, and it
         * cannot be what stalls the device, so it is not named guilty. */
        r->state = DK_SVC_RUNNING;
        r->ncmds = r->posted;
        dk_svc_finish(s, r, DK_OUTCOME_TIMED_OUT);
        return 0;
    }
    dk_svc_audit(s, DK_AUDIT_PROGRESS_PROBE, r->client_id, DK_OK, ticket, progress);
    if (r->ladder == 1 && progress != 0) {
        /* The device is alive: one more period before blaming anyone. */
        r->ladder = 2;
        r->deadline = now + s->cfg.deadline_ns;
        s->completions_since_probe = 0;
        s->stats.probes_extended++;
        return 0;
    }
    r->ladder = 3;
    s->guilty_client = r->client_id;
    dk_svc_audit(s, DK_AUDIT_GUILTY_CLIENT, r->client_id, DK_E_TIMED_OUT, ticket, 1);
    r->outcome = DK_OUTCOME_TIMED_OUT;
    (void)dk_svc_reset(s, NULL);
    return 1;
}

int dk_svc_pump(void *arg, uint32_t events)
{
    struct dk_svc *s = arg;
    struct dk_vdone done[DK_SVC_HARVEST];
    enum dk_reason why = DK_R_NONE;
    uint64_t t, head, now, progress;
    unsigned n;
    int rc;

    if (s == NULL || s->magic != DK_SVC_MAGIC || s->cfg.device->state != DK_DEV_READY)
        return DK_OK;
    if (events & DK_EVENT_IRQ) {
        uint32_t bits = 0;
        (void)dk_virtio_irq(dk_svc_vdev(s), &bits);
        if (s->cfg.be->ops->irq_ack != NULL)
            (void)s->cfg.be->ops->irq_ack(s->cfg.be->ctx, s->cfg.irq);
    }
    if (dk_virtio_status(dk_svc_vdev(s)) & DK_VIRTIO_S_NEEDS_RESET) {
        /* In-flight requests are of unknown fate: reset resolves them. */
        dk_svc_fault(s, DK_R_VIRTIO_NEEDS_RESET);
        return DK_OK;
    }
    /* BOUND: at most the ring's size completions are outstanding. */
    do {
        rc = s->cfg.kind == DK_SVC_BLK
                 ? dk_vblk_harvest(&s->dev.blk, done, DK_SVC_HARVEST, &n, &why)
                 : dk_vaccel_harvest(&s->dev.accel, done, DK_SVC_HARVEST, &n, &why);
        dk_svc_done_n(s, done, n);
        if (rc == DK_E_DEVICE) {
            dk_svc_fault(s, why);
            return DK_OK;
        }
    } while (rc == DK_OK && n == DK_SVC_HARVEST);
    /* Start what can start, post what the ring had no room for, in ticket
     * order; then deadlines. */
    now = dk_backend_now(s->cfg.be);
    head = s->queue.head;
    for (t = s->queue.tail; t != head; t++) {
        struct dk_svc_req *r = dk_svc_req_of(s, t);
        if (r->sub.ticket != t)
            continue;
        if (r->state == DK_SVC_WAITING)
            dk_svc_try_start(s, r);
        else if (r->state == DK_SVC_RUNNING && r->posted < r->ncmds)
            dk_svc_post(s, r);
    }
    /* The probe asks about the device, not about one ticket: every ticket
     * that expires in this pump gets the same answer. (Read per ticket, the
     * first extension zeroed the count and the next expired ticket, often
     * another client's, was named guilty for the oldest one's stall.) */
    progress = s->completions_since_probe;
    head = s->queue.head;
    for (t = s->queue.tail; t != head; t++) {
        struct dk_svc_req *r = dk_svc_req_of(s, t);
        if (r->sub.ticket != t || r->state == DK_SVC_FREE || now < r->deadline)
            continue;
        if (dk_svc_escalate(s, r, now, progress))
            break; /* the reset resolved everything in flight */
    }
    return DK_OK;
}

int dk_svc_kill(struct dk_svc *s, uint32_t sender_id)
{
    uint64_t t, head;
    uint32_t n = 0;
    uint16_t client;

    if (s == NULL || s->magic != DK_SVC_MAGIC)
        return DK_E_INVAL;
    if (dk_ledger_client_find(s->cfg.ledger, sender_id, &client) != DK_OK)
        return DK_E_NOT_FOUND;
    head = s->queue.head;
    for (t = s->queue.tail; t != head; t++) {
        struct dk_svc_req *r = dk_svc_req_of(s, t);
        if (r->sub.ticket != t || r->state == DK_SVC_FREE || r->sub.client != client)
            continue;
        r->killed = 1;
        n++;
        if (r->state == DK_SVC_WAITING) {
            r->state = DK_SVC_RUNNING;
            r->ncmds = 0;
        } else {
            /* Posted requests stay with the device until it hands their
             * buffers back (or a reset takes them): memory safety first.
             * Nothing more is posted. */
            r->ncmds = r->posted;
        }
        if (r->pending == 0)
            dk_svc_finish(s, r, DK_OUTCOME_KILLED);
    }
    /* Waiters on the client's fences wake with KILLED now; buffers still
     * pinned by the device are reclaimed at their last unpin. */
    (void)dk_fence_reclaim_client(s->cfg.fences, client, DK_E_KILLED, NULL);
    (void)dk_buf_reclaim_client(s->cfg.bufs, client, NULL);
    s->stats.kills++;
    dk_svc_audit(s, DK_AUDIT_CLIENT_KILL, sender_id, DK_E_KILLED, client, n);
    dk_svc_trace(s, DK_TRACE_KILL, 0, sender_id, n);
    return DK_OK;
}

uint64_t dk_svc_next_wake(void *arg)
{
    struct dk_svc *s = arg;
    uint64_t t, head, wake = 0;

    if (s == NULL || s->magic != DK_SVC_MAGIC)
        return 0;
    /* BOUND: at most the ticket capacity is in flight. */
    head = s->queue.head;
    for (t = s->queue.tail; t != head; t++) {
        const struct dk_svc_req *r = dk_svc_req_of(s, t);
        if (r->sub.ticket == t && r->state != DK_SVC_FREE && (wake == 0 || r->deadline < wake))
            wake = r->deadline;
    }
    return wake;
}

uint32_t dk_svc_guilty(const struct dk_svc *s)
{
    return s != NULL ? s->guilty_client : 0;
}

uint32_t dk_svc_inflight(const struct dk_svc *s)
{
    return s != NULL ? dk_queue_inflight(&s->queue) : 0;
}
