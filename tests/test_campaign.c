/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seeded fault campaign: at least 10,000 small random scenarios against the
 * device service on a simulated device. Each scenario draws, from its own
 * seed: the device class (blk or accelerator), the register layout, ring
 * size, features, timing and ticket queue; two or three clients with their
 * quotas; a sequence of frames (NOP or one or two commands, some with the
 * BARRIER flag, waits on other clients' fences, signals, waiters), clock steps, at most one kill
 * and one caller reset; and one injected fault of a random kind at a random moment and count. After
 * the run drains, it checks:
 *
 *   - every accepted ticket resolved exactly once, and the watermark passed
 *     all of them;
 *   - outcomes fit what happened (KILLED only for killed clients and always
 *     for their work resolved after the kill; TIMED_OUT only after a stall;
 *     DEVICE_ERROR only after an error status, a config tear or a failed
 *     wait; RESET only after a reset; all OK when nothing was injected);
 *   - no pin and no in-flight charge left, dk_ledger_check OK;
 *   - every registered fence waiter woken, with the status its producers'
 *     outcomes imply (or KILLED where a kill reclaimed the fence);
 *   - every surviving client then round-trips data through the device OK;
 *   - after teardown, every client (killed ones too) can be removed and the
 *     ledger is back to zero.
 *
 * A failure names the scenario's seed; DK_CAMPAIGN_SEED=<seed> replays just
 * that scenario, DK_CAMPAIGN_COUNT=<n> changes how many run.
 */
#include "service_fixture.h"

#include <stdio.h>
#include <stdlib.h>

#define CAMPAIGN_COUNT 10000u
#define CAMPAIGN_BASE 0x44b5ca3a16e0001ull
#define CC_MAX 3u
#define CC_DEADLINE 400000u /* 400 us: well above any backlog a scenario builds */

/* splitmix64, the scenario's only source of choices. */
static uint64_t rng;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

struct cc {
    uint32_t id;
    uint16_t slot;
    uint32_t src, dst, fence;
    uint8_t *vsrc, *vdst;
    uint64_t promised; /* highest value an accepted frame will signal */
    int killed;
};

static struct cc C[CC_MAX];
static unsigned nc;
static uint8_t waited[SV_TICKETS];    /* the frame had waits */
static uint8_t killed_at[SV_TICKETS]; /* its client was killed before it resolved */
static uint8_t in_reset[SV_TICKETS];  /* unresolved when a reset began */
static uint64_t seed_now;

/* Totals for the summary line. */
static struct {
    uint64_t scenarios, tickets, rejected, resets, kills, caller_resets, fired[DK_SIM_FAULT_COUNT];
    uint64_t armed[DK_SIM_FAULT_COUNT], outcomes[DK_OUTCOME_COUNT], verified, waiters;
    uint64_t blocked, blocked_timeouts;
} tot;

/* An invariant: its message starts with the scenario's seed (sv_ctx). */
#define CK(cond, fmt, ...) cr_assert((cond), "%s" fmt, sv_ctx, __VA_ARGS__)

static uint64_t cc_sector(const struct cc *c)
{
    return (uint64_t)(c - C) * 64u;
}

/* One random device command of the client's, its buffer refs appended. */
static void cc_cmd(struct cc *c)
{
    uint32_t ref = F.n_bufs;

    if (sv_o.kind == DK_SVC_BLK) {
        uint32_t secs = 1 + below(8), off = 512u * below(16 - secs + 1);
        uint64_t sector = cc_sector(c) + below(40);

        switch (below(5)) {
        case 0:
            cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_WRITE, 0, DK_VBLK_ID_BYTES), DK_OK);
            sv_cmd_blk(DK_SVC_OP_BLK_GET_ID, 0, ref);
            break;
        case 1:
        case 2:
            cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_WRITE, off, 512u * secs), DK_OK);
            sv_cmd_blk(DK_SVC_OP_BLK_READ, sector, ref);
            break;
        default:
            cr_assert_eq(dk_frame_add_buf(&F, c->src, DK_BUF_READ, off, 512u * secs), DK_OK);
            sv_cmd_blk(DK_SVC_OP_BLK_WRITE, sector, ref);
            break;
        }
    } else {
        uint32_t len = 1 + below(4096), so = below(8192 - len + 1), dof = below(8192 - len + 1);

        switch (below(3)) {
        case 0:
            cr_assert_eq(dk_frame_add_buf(&F, c->src, DK_BUF_READ, so, len), DK_OK);
            cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_WRITE, dof, len), DK_OK);
            sv_cmd_accel(DK_SVC_OP_COPY, ref, ref + 1);
            break;
        case 1:
            cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_WRITE, dof, len), DK_OK);
            sv_cmd_accel(DK_SVC_OP_FILL, ref, below(256));
            break;
        default:
            cr_assert_eq(dk_frame_add_buf(&F, c->src, DK_BUF_READ, so, len), DK_OK);
            sv_cmd_accel(DK_SVC_OP_CSUM, ref, 0);
            break;
        }
    }
}

static struct cc *cc_pick_alive(void)
{
    unsigned i, k = below(nc);

    for (i = 0; i < nc; i++) {
        struct cc *c = &C[(k + i) % nc];
        if (!c->killed)
            return c;
    }
    return NULL;
}

/* Replace a client's fence by a new one, granted as the first was. */
static void cc_new_fence(struct cc *c)
{
    unsigned j;

    cr_assert_eq(dk_fence_destroy(&FT, c->slot, c->fence, NULL), DK_OK);
    c->fence = sv_fence(c->slot);
    c->promised = 0;
    for (j = 0; j < nc; j++)
        if (&C[j] != c && !C[j].killed)
            cr_assert_eq(
                dk_fence_grant(&FT, c->slot, c->fence, C[j].slot, DK_FENCE_RIGHT_WAIT, NULL),
                DK_OK);
}

/* A random frame from a random live client. Refusals are expected answers
 * (quota, queue full, resetting); an accepted frame's promise is recorded,
 * and sometimes a waiter on it. */
static void cc_submit(void)
{
    struct cc *c = cc_pick_alive(), *o;
    unsigned n = below(3), i;
    enum dk_reason why = DK_R_NONE;
    uint64_t t, v = 0;
    int has_wait = 0, rc;

    if (c == NULL)
        return;
    cr_assert_eq(dk_frame_init(&F, below(DK_QOS_COUNT), below(6) ? 0 : DK_WIRE_F_BARRIER), DK_OK);
    for (i = 0; i < n; i++)
        cc_cmd(c);
    if (n == 0 || below(4) == 0)
        cr_assert_eq(dk_frame_add_cmd(&F, DK_OP_NOP, NULL, 0), DK_OK);
    o = &C[below(nc)];
    if (o != c && !o->killed && o->promised != 0 && below(3) == 0) {
        cr_assert_eq(dk_frame_add_wait(&F, o->fence, 1 + rnd() % o->promised), DK_OK);
        has_wait = 1;
    }
    if (below(5) != 0) {
        v = c->promised + 1;
        cr_assert_eq(dk_frame_add_signal(&F, c->fence, v), DK_OK);
    }
    rc = sv_send(c->id, &t, &why);
    if (rc == DK_E_STATE && why == DK_R_FENCE_FAILED) {
        /* A failed fence is terminal: the client starts a new one. */
        cc_new_fence(c);
        return;
    }
    if (rc != DK_OK) {
        CK(rc == DK_E_QUOTA || rc == DK_E_QUEUE_FULL || rc == DK_E_RESETTING,
           "unexpected refusal %s (%s)", dk_status_str(rc), dk_reason_str(why));
        return;
    }
    waited[t] = (uint8_t)has_wait;
    if (v != 0) {
        struct cc *w = below(2) ? c : &C[below(nc)];
        c->promised = v;
        sv_promise(c->fence, v, t);
        if (w->killed || sv_nw >= SV_WATCH_MAX)
            w = NULL;
        if (w != NULL)
            sv_watch(w->slot, c->fence, v, t);
    }
}

/* The scenario's surviving clients each round-trip fresh data. @allow_fail:
 * a stall may still be in force (nothing was in flight to expire), so this
 * round may be what the ladder resolves. Returns 1 if all were OK. */
static int cc_verify(int allow_fail, uint8_t salt)
{
    unsigned i, j;
    int ok = 1;

    /* One client at a time: the smallest ticket queue holds four tickets. */
    for (i = 0; i < nc; i++) {
        struct cc *c = &C[i];
        uint64_t val, tw, tr;
        int fail = DK_OK, rc;

        if (c->killed)
            continue;
        cr_assert_eq(dk_fence_value(&FT, c->slot, c->fence, &val, &fail), DK_OK);
        if (fail != DK_OK || val != c->promised)
            cc_new_fence(c); /* terminal, or a promise never kept */
        for (j = 0; j < 4096; j++)
            c->vsrc[4096 + j] = (uint8_t)(j * 37u + salt + i);
        memset(c->vdst + 4096, 0, 4096);
        sv_frame();
        cr_assert_eq(dk_frame_add_buf(&F, c->src, DK_BUF_READ, 4096, 4096), DK_OK);
        if (sv_o.kind == DK_SVC_BLK) {
            sv_cmd_blk(DK_SVC_OP_BLK_WRITE, cc_sector(c) + 48, 0);
        } else {
            cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_WRITE, 4096, 4096), DK_OK);
            sv_cmd_accel(DK_SVC_OP_COPY, 0, 1);
        }
        cr_assert_eq(dk_frame_add_signal(&F, c->fence, c->promised + 1), DK_OK);
        tw = sv_send_ok(c->id);
        sv_frame();
        cr_assert_eq(dk_frame_add_wait(&F, c->fence, c->promised + 1), DK_OK);
        if (sv_o.kind == DK_SVC_BLK) {
            cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_WRITE, 4096, 4096), DK_OK);
            sv_cmd_blk(DK_SVC_OP_BLK_READ, cc_sector(c) + 48, 0);
        } else {
            cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_READ, 4096, 4096), DK_OK);
            sv_cmd_accel(DK_SVC_OP_CSUM, 0, 0);
        }
        cr_assert_eq(dk_frame_add_signal(&F, c->fence, c->promised + 2), DK_OK);
        tr = sv_send_ok(c->id);
        c->promised += 2;
        rc = sv_wait(c->slot, c->fence, c->promised, 40u * CC_DEADLINE);
        CK(sv_drain(40u * CC_DEADLINE), "%u tickets stuck in verify", dk_svc_inflight(&S));
        if (rc != DK_OK || sv_t[tw].outcome != DK_OUTCOME_OK || sv_t[tr].outcome != DK_OUTCOME_OK) {
            CK(allow_fail, "innocent client %u after recovery: wait %s, outcomes %s/%s", c->id,
               dk_status_str(rc), dk_outcome_str(sv_t[tw].outcome),
               dk_outcome_str(sv_t[tr].outcome));
            ok = 0;
            continue;
        }
        CK(memcmp(c->vdst + 4096, c->vsrc + 4096, 4096) == 0, "client %u data differs", c->id);
        if (sv_o.kind == DK_SVC_ACCEL)
            CK(sv_req(tr)->result == sv_fnv(c->vsrc + 4096, 4096), "client %u CSUM", c->id);
    }
    return ok;
}

/* Outcomes must fit what the scenario did. */
static void cc_check_outcomes(uint32_t fault, int fired, int reset_seen)
{
    uint64_t t;
    unsigned i;

    for (t = 1; t < S.queue.head; t++) {
        unsigned oc = sv_t[t].outcome;
        int ck = 0;

        for (i = 0; i < nc; i++)
            if (C[i].id == sv_t[t].client)
                ck = C[i].killed;
        tot.outcomes[oc]++;
        CK(oc != DK_OUTCOME_KILLED || ck, "ticket %llu KILLED, client %u alive",
           (unsigned long long)t, sv_t[t].client);
        CK(!killed_at[t] || oc == DK_OUTCOME_KILLED, "ticket %llu of a killed client: %s",
           (unsigned long long)t, dk_outcome_str(oc));
        CK(oc != DK_OUTCOME_TIMED_OUT || (fired && fault == DK_SIM_FAULT_STALL),
           "ticket %llu TIMED_OUT without a stall", (unsigned long long)t);
        CK(oc != DK_OUTCOME_DEVICE_ERROR || waited[t] ||
               (fired && (fault == DK_SIM_FAULT_ERROR_STATUS || fault == DK_SIM_FAULT_CONFIG_TEAR)),
           "ticket %llu DEVICE_ERROR unexplained", (unsigned long long)t);
        CK(oc != DK_OUTCOME_RESET || reset_seen, "ticket %llu RESET without a reset",
           (unsigned long long)t);
        CK(oc == DK_OUTCOME_OK || fired || reset_seen || ck || waited[t],
           "ticket %llu %s in a clean run", (unsigned long long)t, dk_outcome_str(oc));
        CK(oc != DK_OUTCOME_CANCELLED, "ticket %llu CANCELLED", (unsigned long long)t);
        CK(!in_reset[t] || oc == DK_OUTCOME_RESET || oc == DK_OUTCOME_TIMED_OUT ||
               oc == DK_OUTCOME_KILLED,
           "ticket %llu in flight at a reset ended %s", (unsigned long long)t, dk_outcome_str(oc));
    }
    if (dk_svc_guilty(&S) != 0) {
        int found = 0;
        for (t = 1; t < S.queue.head; t++)
            found |=
                sv_t[t].client == dk_svc_guilty(&S) &&
                (sv_t[t].outcome == DK_OUTCOME_TIMED_OUT || sv_t[t].outcome == DK_OUTCOME_KILLED);
        CK(found, "guilty client %u has no expired ticket", dk_svc_guilty(&S));
    }
}

/* DK_CAMPAIGN_VERBOSE=1: what a replayed scenario did, before the checks. */
static void cc_dump(uint32_t fault, uint32_t after)
{
    uint64_t t;
    uint32_t i;

    if (getenv("DK_CAMPAIGN_VERBOSE") == NULL)
        return;
    printf("kind %u v%u vq %u qcap %u lat %llu jit %llu feat %#llx fault %u after %u fired %llu "
           "resets %llu kills %llu guilty %u\n",
           sv_o.kind, sv_o.version, sv_o.vq_size, sv_o.qcap, (unsigned long long)sv_o.latency,
           (unsigned long long)sv_o.jitter, (unsigned long long)sv_o.features, fault, after,
           (unsigned long long)SIM.stats.faults_injected, (unsigned long long)S.stats.resets,
           (unsigned long long)S.stats.kills, dk_svc_guilty(&S));
    for (t = 1; t < S.queue.head; t++)
        printf("  ticket %llu client %u %s%s%s\n", (unsigned long long)t, sv_t[t].client,
               dk_outcome_str(sv_t[t].outcome), waited[t] ? " (waited)" : "",
               killed_at[t] ? " (killed)" : "");
    for (i = 0; i < sv_nw; i++)
        printf("  waiter %u: client slot %u fence %#x >= %llu producer %llu: %s\n", i,
               sv_w[i].client, sv_w[i].fence, (unsigned long long)sv_w[i].w.target,
               (unsigned long long)sv_w[i].producer, dk_status_str(sv_w[i].w.status));
    for (i = 0; i < sv_naudit; i++)
        printf("  audit %u client %u status %d object %llu count %llu epoch %llu\n",
               sv_audit_log[i].kind, sv_audit_log[i].client, sv_audit_log[i].status,
               (unsigned long long)sv_audit_log[i].object,
               (unsigned long long)sv_audit_log[i].count,
               (unsigned long long)sv_audit_log[i].epoch);
    fflush(stdout);
}

/* A waiter is answered as its producers' outcomes imply, except that a kill
 * reclaims fences (the owner's) and wakes waiters (the killed client's)
 * with KILLED whatever their producers did. */
static void cc_check_waiters(void)
{
    uint32_t i;

    for (i = 0; i < sv_nw; i++) {
        struct sv_watch *x = &sv_w[i];
        int exp = sv_watch_expect(x), kill = 0;
        unsigned j;

        for (j = 0; j < nc; j++)
            if (C[j].killed && (C[j].slot == x->client || C[j].fence == x->fence))
                kill = 1;
        CK(x->w.status != DK_E_WOULD_BLOCK, "waiter %u left blocked", i);
        CK(x->w.status == exp || (kill && x->w.status == DK_E_KILLED), "waiter %u: %s, expected %s",
           i, dk_status_str(x->w.status), dk_status_str(exp));
        cr_assert_eq(dk_fence_waiter_remove(&FT, x->fence, &x->w), DK_OK);
    }
    tot.waiters += sv_nw;
    sv_nw = 0;
}

/* A client blocks on a promised value of some live client's fence, with the
 * service as the pump. A time-out is only acceptable while the value's
 * producer has not retired, or when the fence failed with TIMED_OUT. */
static void cc_block(void)
{
    struct cc *w = cc_pick_alive(), *o = cc_pick_alive();
    uint64_t v, val, producer = 0;
    uint32_t i;
    int rc, fail = DK_OK;

    if (w == NULL || o->promised == 0)
        return;
    v = 1 + rnd() % o->promised;
    for (i = 0; i < sv_np; i++)
        if (sv_p[i].fence == o->fence && sv_p[i].value == v)
            producer = sv_p[i].ticket;
    rc = sv_wait(w->slot, o->fence, v, below(8 * CC_DEADLINE) + 1);
    tot.blocked++;
    tot.blocked_timeouts += rc == DK_E_TIMED_OUT;
    if (rc != DK_E_TIMED_OUT)
        return; /* answered: the end-of-run waiter checks cover the values */
    cr_assert_eq(dk_fence_value(&FT, w->slot, o->fence, &val, &fail), DK_OK);
    CK(fail == DK_E_TIMED_OUT || producer == 0 || producer > dk_queue_watermark(&S.queue),
       "wait for %llu timed out though ticket %llu retired", (unsigned long long)v,
       (unsigned long long)producer);
}

/* Mid-run: a waiter whose value's producer has retired (fences settle at
 * retirement) must have been woken already, not at the end of the run. */
static void cc_check_waiters_live(void)
{
    uint64_t wm = dk_queue_watermark(&S.queue);
    uint32_t i;

    for (i = 0; i < sv_nw; i++)
        CK(sv_w[i].w.status != DK_E_WOULD_BLOCK || sv_w[i].producer > wm,
           "waiter %u blocked though ticket %llu retired (watermark %llu)", i,
           (unsigned long long)sv_w[i].producer, (unsigned long long)wm);
}

static void cc_kill(struct cc *c)
{
    uint64_t t;

    for (t = S.queue.tail; t < S.queue.head; t++)
        if (sv_t[t].client == c->id && sv_t[t].resolves == 0)
            killed_at[t] = 1;
    cr_assert_eq(dk_svc_kill(&S, c->id), DK_OK);
    c->killed = 1;
    tot.kills++;
}

/* Audit hook: every ticket unresolved when a reset begins must resolve
 * with that reset (RESET; TIMED_OUT for the ladder's ticket; KILLED). */
static void cc_on_audit(const struct dk_audit_event *ev)
{
    uint64_t t;

    if (ev->kind != DK_AUDIT_RESET_BEGIN)
        return;
    for (t = S.queue.tail; t < S.queue.head; t++)
        if (sv_t[t].resolves == 0)
            in_reset[t] = 1;
}

static void scenario(uint64_t seed)
{
    static const uint16_t vqs[] = {4, 8, 16, 64};
    static const uint32_t qcaps[] = {4, 8, 16};
    struct sv_opts o;
    uint32_t fault = 0, after = 0, steps, inject_at, i;
    uint64_t used[DK_RES_COUNT];
    int did_kill = 0, did_reset = 0, fired, stalled, reset_seen;

    rng = seed;
    seed_now = seed;
    snprintf(sv_ctx, sizeof(sv_ctx), "[campaign seed %#llx, replay DK_CAMPAIGN_SEED=%#llx] ",
             (unsigned long long)seed, (unsigned long long)seed);
    memset(&o, 0, sizeof(o));
    o.kind = below(2) ? DK_SVC_BLK : DK_SVC_ACCEL;
    o.version = below(2) ? 2 : 1;
    o.vq_size = vqs[below(4)];
    o.qcap = qcaps[below(3)];
    o.features = (below(2) ? 1ull << DK_VIRTIO_F_INDIRECT_DESC : 0) |
                 (below(2) ? 1ull << DK_VIRTIO_F_EVENT_IDX : 0);
    o.latency = 500 + below(8000);
    o.jitter = below(3) ? below(4000) : 0;
    o.deadline = CC_DEADLINE;
    o.seed = rnd();
    sv_setup(&o);
    memset(waited, 0, sizeof(waited));
    memset(killed_at, 0, sizeof(killed_at));
    memset(in_reset, 0, sizeof(in_reset));
    sv_on_audit = cc_on_audit;
    nc = 2 + below(2);
    for (i = 0; i < nc; i++) {
        struct cc *c = &C[i];
        memset(c, 0, sizeof(*c));
        c->id = 300 + i;
        c->slot = sv_client(c->id, 2 + below(7));
        c->src = sv_buf(c->slot, 8192, &c->vsrc);
        c->dst = sv_buf(c->slot, 8192, &c->vdst);
        c->fence = sv_fence(c->slot);
        memset(c->vsrc, (int)(i + 1), 8192);
    }
    for (i = 0; i < nc; i++) {
        unsigned j;
        for (j = 0; j < nc; j++)
            if (j != i)
                cr_assert_eq(dk_fence_grant(&FT, C[i].slot, C[i].fence, C[j].slot,
                                            DK_FENCE_RIGHT_WAIT, NULL),
                             DK_OK);
    }
    if (below(10) != 0) {
        fault = 1 + below(DK_SIM_FAULT_COUNT - 1);
        after = below(4);
    }
    steps = 6 + below(16);
    inject_at = below(steps);
    for (i = 0; i < steps; i++) {
        uint32_t r = below(100);

        if (fault != 0 && i == inject_at)
            cr_assert_eq(dk_sim_inject(&SIM, (enum dk_sim_fault)fault, after), DK_OK);
        if (r < 60) {
            cc_submit();
        } else if (r < 80) {
            sv_step(below(CC_DEADLINE / 2) + 1);
        } else if (r < 85) {
            cc_block();
        } else if (r < 90) {
            (void)dk_svc_pump(&S, 0);
        } else if (r < 95 && !did_kill) {
            struct cc *c = &C[below(nc)];
            did_kill = 1;
            cc_kill(c);
        } else if (!did_reset) {
            did_reset = 1;
            tot.caller_resets++;
            CK(dk_svc_reset(&S, NULL) == DK_OK, "caller reset: %s", "failed");
        }
        cc_check_waiters_live();
    }
    CK(sv_drain(40u * CC_DEADLINE), "%u tickets still in flight", dk_svc_inflight(&S));
    fired = SIM.stats.faults_injected != 0;
    reset_seen = S.stats.resets != 0;
    stalled = SIM.stalled;
    if (fault != 0) {
        tot.armed[fault]++;
        tot.fired[fault] += (uint64_t)fired;
    }
    cc_dump(fault, after);
    CK(DEV.state == DK_DEV_READY, "device state %u", DEV.state);
    sv_check_exactly_once();
    sv_check_released();
    cc_check_outcomes(fault, fired, reset_seen);
    cc_check_waiters();

    /* Recovery: every client still alive gets its work done. */
    (void)dk_sim_inject(&SIM, DK_SIM_FAULT_NONE, 0);
    if (!cc_verify(stalled, 0x40))
        CK(cc_verify(0, 0x80), "second verify round failed%s", "");
    tot.verified++;
    sv_check_exactly_once();
    sv_check_released();

    /* Teardown: every client, killed ones included, can be removed and the
     * ledger returns to zero. */
    for (i = 0; i < nc; i++) {
        struct cc *c = &C[i];
        if (!c->killed) {
            cr_assert_eq(dk_buf_destroy(&BT, c->slot, c->src, NULL), DK_OK);
            cr_assert_eq(dk_buf_destroy(&BT, c->slot, c->dst, NULL), DK_OK);
            cr_assert_eq(dk_fence_destroy(&FT, c->slot, c->fence, NULL), DK_OK);
        }
        CK(dk_ledger_client_remove(&L, c->slot, NULL) == DK_OK, "client %u cannot be removed",
           c->id);
    }
    cr_assert_eq(dk_ledger_usage(&L, DK_LEDGER_GLOBAL, used), DK_OK);
    for (i = 0; i < DK_RES_COUNT; i++)
        CK(used[i] == 0, "resource %u: %llu left", i, (unsigned long long)used[i]);
    CK(BT.live == 0 && FT.live == 0, "%u buffers, %u fences left", BT.live, FT.live);
    tot.scenarios++;
    tot.tickets += S.queue.head - 1;
    for (i = 0; i < DK_STATUS_COUNT; i++)
        tot.rejected += S.stats.rejected[i];
    tot.resets += S.stats.resets;
}

static uint64_t scenario_seed(uint64_t i)
{
    uint64_t save = rng, s;

    rng = CAMPAIGN_BASE + i * 0x9e3779b97f4a7c15ull;
    s = rnd();
    rng = save;
    return s;
}

Test(campaign, seeded_fault_scenarios, .timeout = 110)
{
    const char *one = getenv("DK_CAMPAIGN_SEED"), *cnt = getenv("DK_CAMPAIGN_COUNT");
    uint64_t n = cnt != NULL ? strtoull(cnt, NULL, 0) : CAMPAIGN_COUNT, i;
    unsigned k;

    memset(&tot, 0, sizeof(tot));
    if (one != NULL) {
        scenario(strtoull(one, NULL, 0));
        n = 1;
    } else {
        for (i = 0; i < n; i++)
            scenario(scenario_seed(i));
    }
    printf("campaign: %llu scenarios, %llu tickets (%llu refused), resets %llu (caller %llu), "
           "kills %llu, waiters %llu, blocking waits %llu (%llu timed out), faults fired/armed:",
           (unsigned long long)tot.scenarios, (unsigned long long)tot.tickets,
           (unsigned long long)tot.rejected, (unsigned long long)tot.resets,
           (unsigned long long)tot.caller_resets, (unsigned long long)tot.kills,
           (unsigned long long)tot.waiters, (unsigned long long)tot.blocked,
           (unsigned long long)tot.blocked_timeouts);
    for (k = 1; k < DK_SIM_FAULT_COUNT; k++)
        printf(" %s %llu/%llu",
               (const char *[]){"", "stall", "error_status", "used_id_range",
                                "used_id_not_inflight", "used_len_too_big", "used_idx_jump",
                                "needs_reset", "config_tear"}[k],
               (unsigned long long)tot.fired[k], (unsigned long long)tot.armed[k]);
    printf("; outcomes:");
    for (k = 0; k < DK_OUTCOME_COUNT; k++)
        printf(" %s %llu", dk_outcome_str((int)k), (unsigned long long)tot.outcomes[k]);
    printf("\n");
    fflush(stdout);
    cr_assert_eq(tot.scenarios, n);
    if (one == NULL && cnt == NULL) {
        cr_assert_geq(tot.scenarios, 10000);
        for (k = 1; k < DK_SIM_FAULT_COUNT; k++)
            cr_assert_gt(tot.fired[k], 0, "fault kind %u never fired", k);
        cr_assert_gt(tot.kills, 0);
    }
}
