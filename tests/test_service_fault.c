/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every fault the simulated devices can inject (host_sim.h), driven through
 * the device service, ends in a defined state: each accepted submission
 * resolves exactly once, pins and in-flight charges return to zero, every
 * waiter on a fence is woken with the answer its producers' outcomes imply
 * (none left blocked), and an innocent client's later work completes.
 * STALL goes through the escalation ladder. Also: per-client kill and a
 * caller-ordered reset. Blk and the accelerator, both register layouts.
 */
#include "service_fixture.h"

/* One client of these tests: two 16 KiB buffers and one fence. */
struct cl {
    uint32_t id;
    uint16_t slot;
    uint32_t src, dst, fence;
    uint8_t *vsrc, *vdst;
    uint64_t next; /* next fence value to promise */
};

static struct cl A, B;

static void cl_init(struct cl *c, uint32_t id)
{
    uint32_t i;

    memset(c, 0, sizeof(*c));
    c->id = id;
    c->slot = sv_client(id, 16);
    c->src = sv_buf(c->slot, 16384, &c->vsrc);
    c->dst = sv_buf(c->slot, 16384, &c->vdst);
    c->fence = sv_fence(c->slot);
    c->next = 1;
    for (i = 0; i < 16384; i++)
        c->vsrc[i] = (uint8_t)(i * 13u + id);
}

/* First sector of a client's own disk region. */
static uint64_t cl_sector(const struct cl *c)
{
    return (uint64_t)(c->id % 4u) * 64u;
}

/* Client @c's frame number @k: blk WRITE src slice k (4 KiB) to its region,
 * or accel COPY src slice k (1 KiB) to dst slice k. Signals the client's
 * fence to its next value; a waiter of the owner is registered on it. */
static uint64_t cl_work(struct cl *c, unsigned k)
{
    uint64_t t, v = c->next++;

    sv_frame();
    if (sv_o.kind == DK_SVC_BLK) {
        cr_assert_eq(dk_frame_add_buf(&F, c->src, DK_BUF_READ, 4096u * k, 4096), DK_OK);
        sv_cmd_blk(DK_SVC_OP_BLK_WRITE, cl_sector(c) + 8u * k, 0);
    } else {
        cr_assert_eq(dk_frame_add_buf(&F, c->src, DK_BUF_READ, 1024u * k, 1024), DK_OK);
        cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_WRITE, 1024u * k, 1024), DK_OK);
        sv_cmd_accel(DK_SVC_OP_COPY, 0, 1);
    }
    cr_assert_eq(dk_frame_add_signal(&F, c->fence, v), DK_OK);
    t = sv_send_ok(c->id);
    sv_watch_promise(c->slot, c->fence, v, t);
    return t;
}

/* After recovery: a round trip with data check, waited on through the
 * service. blk: write a fresh pattern, read it back; accel: COPY + CSUM. */
static void cl_verify(struct cl *c, uint8_t salt)
{
    uint64_t v1, v2, t2, val;
    uint32_t i;
    int rc, fail = DK_OK;

    /* A failed fence is terminal: a client starts over with a new one. */
    cr_assert_eq(dk_fence_value(&FT, c->slot, c->fence, &val, &fail), DK_OK);
    if (fail != DK_OK) {
        cr_assert_eq(dk_fence_destroy(&FT, c->slot, c->fence, NULL), DK_OK);
        c->fence = sv_fence(c->slot);
        c->next = 1;
    }
    v1 = c->next++;
    v2 = c->next++;

    for (i = 0; i < 4096; i++)
        c->vsrc[12288 + i] = (uint8_t)(i * 31u + salt);
    memset(c->vdst + 12288, 0, 4096);
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, c->src, DK_BUF_READ, 12288, 4096), DK_OK);
    cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_WRITE, 12288, 4096), DK_OK);
    if (sv_o.kind == DK_SVC_BLK)
        sv_cmd_blk(DK_SVC_OP_BLK_WRITE, cl_sector(c) + 48, 0);
    else
        sv_cmd_accel(DK_SVC_OP_COPY, 0, 1);
    cr_assert_eq(dk_frame_add_signal(&F, c->fence, v1), DK_OK);
    (void)sv_send_ok(c->id);
    sv_frame();
    cr_assert_eq(dk_frame_add_wait(&F, c->fence, v1), DK_OK);
    if (sv_o.kind == DK_SVC_BLK) {
        cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_WRITE, 12288, 4096), DK_OK);
        sv_cmd_blk(DK_SVC_OP_BLK_READ, cl_sector(c) + 48, 0);
    } else {
        cr_assert_eq(dk_frame_add_buf(&F, c->dst, DK_BUF_READ, 12288, 4096), DK_OK);
        sv_cmd_accel(DK_SVC_OP_CSUM, 0, 0);
    }
    cr_assert_eq(dk_frame_add_signal(&F, c->fence, v2), DK_OK);
    t2 = sv_send_ok(c->id);
    rc = sv_wait(c->slot, c->fence, v2, 10u * SV_DEADLINE);
    cr_assert_eq(rc, DK_OK, "client %u after recovery: %s", c->id, dk_status_str(rc));
    cr_assert_eq(memcmp(c->vdst + 12288, c->vsrc + 12288, 4096), 0);
    if (sv_o.kind == DK_SVC_ACCEL)
        cr_assert_eq(sv_req(t2)->result, sv_fnv(c->vsrc + 12288, 4096));
}

/* Waiters answered, nothing pinned or charged, then everything torn down:
 * the ledger must come back to all zeros. */
static void teardown_to_zero(void)
{
    uint64_t used[DK_RES_COUNT];
    unsigned r;

    cr_assert(sv_drain(10u * SV_DEADLINE));
    sv_check_exactly_once();
    sv_check_released();
    sv_check_waiters();
    cr_assert_eq(dk_buf_destroy(&BT, A.slot, A.src, NULL), DK_OK);
    cr_assert_eq(dk_buf_destroy(&BT, A.slot, A.dst, NULL), DK_OK);
    cr_assert_eq(dk_buf_destroy(&BT, B.slot, B.src, NULL), DK_OK);
    cr_assert_eq(dk_buf_destroy(&BT, B.slot, B.dst, NULL), DK_OK);
    cr_assert_eq(dk_fence_destroy(&FT, A.slot, A.fence, NULL), DK_OK);
    cr_assert_eq(dk_fence_destroy(&FT, B.slot, B.fence, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_remove(&L, A.slot, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_remove(&L, B.slot, NULL), DK_OK);
    cr_assert_eq(dk_ledger_usage(&L, DK_LEDGER_GLOBAL, used), DK_OK);
    for (r = 0; r < DK_RES_COUNT; r++)
        cr_assert_eq(used[r], 0, "resource %u still used", r);
}

/* ---- every injected fault ---------------------------------------------------- */

/*
 * Phase 1: B's tickets 1 and 2 complete. Arm @fault to hit completion
 * @after + 1 from now (CONFIG_TEAR: config read @after + 1). Phase 2: A1
 * (ticket 3), B3 (4), A2 (5), taken and completed by the device in one
 * batch, with B waiting on A's fence too. The victim is ticket 3 + @after.
 * Then drain, check the ending against the fault's definition, recover.
 */
static void fault_case(unsigned kind, uint32_t version, uint32_t fault, uint32_t after)
{
    struct sv_opts o = {.kind = kind, .version = version};
    const uint64_t victim = 3 + after;
    const uint32_t victim_client = victim == 4 ? 102u : 101u;
    uint64_t t;
    int i;

    sv_setup(&o);
    cl_init(&A, 101);
    cl_init(&B, 102);
    cr_assert_eq(dk_fence_grant(&FT, A.slot, A.fence, B.slot, DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    (void)cl_work(&B, 0);
    (void)cl_work(&B, 1);
    cr_assert_eq(sv_wait(B.slot, B.fence, 2, SV_DEADLINE), DK_OK);
    cr_assert_eq(dk_sim_inject(&SIM, (enum dk_sim_fault)fault, after), DK_OK);
    (void)cl_work(&A, 0);
    (void)cl_work(&B, 2);
    (void)cl_work(&A, 1);
    sv_watch(B.slot, A.fence, 2, 5); /* B waits on A's work */
    if (fault == DK_SIM_FAULT_CONFIG_TEAR) {
        /* Only a config read fires it, and only bring-up reads config:
         * the caller resets with work in flight. */
        cr_assert_eq(dk_svc_reset(&S, NULL), DK_OK);
    }
    cr_assert(sv_drain(10u * SV_DEADLINE), "fault %u: still %u in flight", fault,
              dk_svc_inflight(&S));
    cr_assert_eq(SIM.stats.faults_injected, 1, "the fault fired");

    cr_assert_eq(sv_t[1].outcome, DK_OUTCOME_OK);
    cr_assert_eq(sv_t[2].outcome, DK_OUTCOME_OK);
    for (t = 3; t <= 5; t++) {
        unsigned want;

        switch (fault) {
        case DK_SIM_FAULT_ERROR_STATUS:
            want = t == victim ? DK_OUTCOME_DEVICE_ERROR : DK_OUTCOME_OK;
            break;
        case DK_SIM_FAULT_STALL:
            /* The ladder names the ticket the device stalled on. */
            want = t < victim    ? DK_OUTCOME_OK
                   : t == victim ? DK_OUTCOME_TIMED_OUT
                                 : DK_OUTCOME_RESET;
            break;
        case DK_SIM_FAULT_USED_ID_RANGE:
        case DK_SIM_FAULT_USED_ID_NOT_INFLIGHT:
        case DK_SIM_FAULT_USED_LEN_TOO_BIG:
            /* Completions validated before the bad element still count. */
            want = t < victim ? DK_OUTCOME_OK : DK_OUTCOME_RESET;
            break;
        default:
            /* IDX_JUMP: the index is checked before any element of the
             * batch; NEEDS_RESET: checked before harvesting; CONFIG_TEAR:
             * the caller's reset took all. */
            want = DK_OUTCOME_RESET;
            break;
        }
        cr_assert_eq(sv_t[t].outcome, want, "fault %u after %u ticket %llu: %s, expected %s", fault,
                     after, (unsigned long long)t, dk_outcome_str(sv_t[t].outcome),
                     dk_outcome_str((int)want));
    }
    if (fault == DK_SIM_FAULT_STALL)
        cr_assert_eq(dk_svc_guilty(&S), victim_client, "guilty %u", dk_svc_guilty(&S));
    else
        cr_assert_eq(dk_svc_guilty(&S), 0, "only the ladder names a client");
    if (fault == DK_SIM_FAULT_ERROR_STATUS) {
        cr_assert_eq(S.stats.resets, 0);
        cr_assert_eq(DEV.epoch, 1);
    }
    if (fault != DK_SIM_FAULT_ERROR_STATUS) {
        cr_assert_eq(S.stats.resets, 1);
        cr_assert_eq(DEV.epoch, 2);
        cr_assert_eq(sv_audit_count(DK_AUDIT_RESET_BEGIN), 1);
        cr_assert_eq(sv_audit_count(DK_AUDIT_RESET_END), 1);
    }
    /* A device fault goes through dk_device_fault; the ladder and the
     * caller's reset do not. */
    cr_assert_eq(sv_audit_count(DK_AUDIT_DEVICE_FAULT), fault != DK_SIM_FAULT_ERROR_STATUS &&
                                                            fault != DK_SIM_FAULT_STALL &&
                                                            fault != DK_SIM_FAULT_CONFIG_TEAR);
    if (fault == DK_SIM_FAULT_CONFIG_TEAR) {
        /* The torn read was retried: the driver holds the new config.
         * (The accelerator's second field, after 1, tears the first one
         * after it was read: see config_tear_between_fields below.) */
        if (kind == DK_SVC_BLK)
            cr_assert_eq(S.dev.blk.capacity, SIM.capacity);
        else if (after == 0)
            cr_assert_eq(S.dev.accel.max_len, SIM.accel_max_len);
        cr_assert_neq(SIM.generation, 0);
    }
    if (fault == DK_SIM_FAULT_STALL) {
        int to = sv_audit_find(0, DK_AUDIT_TICKET_TIMEOUT, victim);
        int pr = to < 0 ? -1 : sv_audit_find((uint32_t)to, DK_AUDIT_PROGRESS_PROBE, victim);
        int gu = pr < 0 ? -1 : sv_audit_find((uint32_t)pr, DK_AUDIT_GUILTY_CLIENT, victim);
        int rb = gu < 0 ? -1 : sv_audit_find((uint32_t)gu, DK_AUDIT_RESET_BEGIN, ~0ull);
        int re = rb < 0 ? -1 : sv_audit_find((uint32_t)rb, DK_AUDIT_RESET_END, ~0ull);

        cr_assert(to >= 0 && pr > to && gu > pr && rb > gu && re > rb,
                  "ladder order: timeout %d, probe %d, guilty %d, reset %d..%d", to, pr, gu, rb,
                  re);
        cr_assert_eq(sv_audit_log[gu].client, victim_client);
        /* Earlier completions were progress: each expired ticket got one
         * more period, then the oldest was named. */
        cr_assert_eq(S.stats.probes_extended, 3 - after);
        cr_assert_eq(sv_audit_count(DK_AUDIT_GUILTY_CLIENT), 1);
        /* The reset resolved the named ticket first, then the younger ones. */
        for (i = 0; i < (int)sv_norder && sv_order[i] != victim; i++)
            ;
        for (t = victim + 1; t <= 5; t++)
            cr_assert_eq(sv_order[++i], t);
    }
    /* Waiters: none blocked, each with the status the outcomes imply.
     * A dk_fence_wait on each value now answers at once, never TIMED_OUT
     * unless the fence failed with it. */
    for (i = 0; i < (int)sv_nw; i++) {
        struct sv_watch *x = &sv_w[i];
        int fail = DK_OK, rc = dk_fence_wait(&FT, x->client, x->fence, x->w.target,
                                             dk_host_now(&H) + 1, NULL, NULL);
        uint64_t val;

        cr_assert_eq(dk_fence_value(&FT, x->client, x->fence, &val, &fail), DK_OK);
        cr_assert_eq(rc, sv_watch_expect(x));
        if (rc == DK_E_TIMED_OUT)
            cr_assert_eq(fail, DK_E_TIMED_OUT, "a real time-out: the fence never settled");
    }
    sv_check_exactly_once();
    sv_check_released();
    sv_check_waiters();

    /* Recovery: the innocent client first, then the other one. */
    cl_verify(&B, 0x5b);
    cl_verify(&A, 0xa1);
    teardown_to_zero();
}

static const uint32_t faults[] = {
    DK_SIM_FAULT_STALL,
    DK_SIM_FAULT_ERROR_STATUS,
    DK_SIM_FAULT_USED_ID_RANGE,
    DK_SIM_FAULT_USED_ID_NOT_INFLIGHT,
    DK_SIM_FAULT_USED_LEN_TOO_BIG,
    DK_SIM_FAULT_USED_IDX_JUMP,
    DK_SIM_FAULT_NEEDS_RESET,
    DK_SIM_FAULT_CONFIG_TEAR,
};

static void fault_all_layouts(uint32_t fault)
{
    uint32_t after;

    for (after = 0; after < 2; after++) {
        fault_case(DK_SVC_BLK, 2, fault, after);
        fault_case(DK_SVC_BLK, 1, fault, after);
        fault_case(DK_SVC_ACCEL, 2, fault, after);
        fault_case(DK_SVC_ACCEL, 1, fault, after);
    }
}

Test(service_fault, stall_goes_through_the_ladder)
{
    fault_all_layouts(faults[0]);
}
Test(service_fault, error_status)
{
    fault_all_layouts(faults[1]);
}
Test(service_fault, used_id_range)
{
    fault_all_layouts(faults[2]);
}
Test(service_fault, used_id_not_inflight)
{
    fault_all_layouts(faults[3]);
}
Test(service_fault, used_len_too_big)
{
    fault_all_layouts(faults[4]);
}
Test(service_fault, used_idx_jump)
{
    fault_all_layouts(faults[5]);
}
Test(service_fault, needs_reset)
{
    fault_all_layouts(faults[6]);
}
Test(service_fault, config_tear)
{
    fault_all_layouts(faults[7]);
}

/* A stall with no progress before it: no extension, straight to guilty. */
Test(service_fault, stall_without_progress_names_guilty_after_one_deadline)
{
    struct sv_opts o = {0};

    sv_setup(&o);
    cl_init(&A, 101);
    cl_init(&B, 102);
    cr_assert_eq(dk_sim_inject(&SIM, DK_SIM_FAULT_STALL, 0), DK_OK);
    (void)cl_work(&A, 0);
    (void)cl_work(&B, 0);
    cr_assert(sv_drain(10u * SV_DEADLINE));
    cr_assert_eq(sv_t[1].outcome, DK_OUTCOME_TIMED_OUT);
    cr_assert_eq(sv_t[2].outcome, DK_OUTCOME_RESET);
    cr_assert_eq(dk_svc_guilty(&S), A.id);
    cr_assert_eq(S.stats.probes_extended, 0);
    cr_assert_lt(dk_host_now(&H), SV_T0 + 2u * SV_DEADLINE, "resolved within one deadline");
    sv_check_waiters();
    cl_verify(&B, 1);
    teardown_to_zero();
}

/* The accelerator's bring-up reads max_len and ops in two separate
 * generation loops; a tear right after the ops read changes max_len, which
 * was read in the loop before, so the driver keeps the old max_len (65536)
 * while the device now takes 32768. Defined state all the same: a frame
 * between the two limits is accepted by the service and refused by the
 * device (DEVICE_ERROR, no reset); every other invariant holds. If the
 * driver reads both fields in one generation bracket, the frame is refused
 * at submit instead (DK_E_INVAL, SVC_LENGTH); either answer passes here. */
Test(service_fault, config_tear_between_fields)
{
    struct sv_opts o = {.kind = DK_SVC_ACCEL};
    enum dk_reason why;
    uint8_t *va;
    uint32_t big, f;
    uint64_t t;
    int rc;

    sv_setup(&o);
    cl_init(&A, 101);
    big = sv_buf(A.slot, 40000, &va);
    f = sv_fence(A.slot);
    cr_assert_eq(dk_sim_inject(&SIM, DK_SIM_FAULT_CONFIG_TEAR, 1), DK_OK);
    cr_assert_eq(dk_svc_reset(&S, NULL), DK_OK);
    cr_assert_eq(SIM.accel_max_len, DK_SIM_ACCEL_MAX_LEN_DEFAULT / 2);
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, big, DK_BUF_WRITE, 0, 40000), DK_OK);
    sv_cmd_accel(DK_SVC_OP_FILL, 0, 7);
    cr_assert_eq(dk_frame_add_signal(&F, f, 1), DK_OK);
    rc = sv_send(A.id, &t, &why);
    if (S.dev.accel.max_len == SIM.accel_max_len) {
        cr_assert_eq(rc, DK_E_INVAL);
        cr_assert_eq(why, DK_R_SVC_LENGTH);
    } else {
        cr_assert_eq(S.dev.accel.max_len, DK_SIM_ACCEL_MAX_LEN_DEFAULT, "stale, as described");
        cr_assert_eq(rc, DK_OK);
        cr_assert_eq(sv_wait(A.slot, f, 1, 10u * SV_DEADLINE), DK_E_DEVICE);
        cr_assert_eq(sv_t[t].outcome, DK_OUTCOME_DEVICE_ERROR);
        cr_assert_eq(va[0], 0, "the device wrote nothing");
    }
    cr_assert(sv_drain(SV_DEADLINE));
    cr_assert_eq(S.stats.resets, 1);
    sv_check_exactly_once();
    sv_check_released();
}

/* Regression: a ticket whose commands were still waiting for ring room
 * (nothing of it on the device) expired while the device was stalled on an
 * older ticket that had been given one more period; the ladder named the
 * waiting ticket's client guilty and reset the device for it. A ticket
 * with nothing on the device cannot be what stalls it: it times out alone
 * (no probe, no blame, no reset), and the stalled one is named when its
 * own extended deadline passes. */
Test(service_fault, ticket_waiting_for_ring_room_is_not_blamed)
{
    struct sv_opts o = {.vq_size = 4}; /* one 3-descriptor blk request at a time */
    uint64_t ta, tb;

    sv_setup(&o);
    cl_init(&A, 101);
    cl_init(&B, 102);
    (void)cl_work(&A, 0); /* progress before the stall: the probe extends */
    cr_assert_eq(sv_wait(A.slot, A.fence, 1, SV_DEADLINE), DK_OK);
    cr_assert_eq(dk_sim_inject(&SIM, DK_SIM_FAULT_STALL, 0), DK_OK);
    ta = cl_work(&A, 1);
    cr_assert_eq(dk_host_advance(&H, SV_DEADLINE / 2), DK_OK);
    (void)dk_svc_pump(&S, 0);
    tb = cl_work(&B, 0);
    cr_assert_eq(sv_req(tb)->pending, 0, "B's write waits for ring room");
    cr_assert(sv_drain(10u * SV_DEADLINE));
    cr_assert_eq(sv_t[tb].outcome, DK_OUTCOME_TIMED_OUT);
    cr_assert_eq(sv_t[ta].outcome, DK_OUTCOME_TIMED_OUT);
    cr_assert_eq(dk_svc_guilty(&S), A.id, "guilty %u", dk_svc_guilty(&S));
    cr_assert_eq(sv_audit_count(DK_AUDIT_GUILTY_CLIENT), 1);
    cr_assert_eq(sv_audit_log[sv_audit_find(0, DK_AUDIT_GUILTY_CLIENT, ~0ull)].object, ta);
    cr_assert_eq(S.stats.resets, 1);
    sv_check_exactly_once();
    sv_check_released();
    sv_check_waiters();
    cl_verify(&B, 9);
    teardown_to_zero();
}
