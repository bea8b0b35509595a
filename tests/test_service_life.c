/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The caller's two levers on a running service, both register layouts:
 * dk_svc_kill (one client's work, fences and buffers go; everyone else's
 * work is untouched) and dk_svc_reset (everything in flight resolves RESET,
 * new work is refused while it runs, the epoch moves on, the device works
 * again afterwards).
 */
#include "service_fixture.h"

#define KA 101u /* the client that is killed */
#define KB 102u /* the bystander */

static uint16_t a, b;
static uint32_t a_src, a_fence, a_gate, b_src, b_dst, b_fence;
static uint8_t *a_va, *b_va, *b_dva;
static uint64_t a_dev1, a_dev2, a_waiting, b_t1, b_t2;
static int killed_in_pump;

/* A blk WRITE of @len bytes from @buf, @sector, signalling @fence = @v. */
static uint64_t write_frame(uint32_t sender, uint32_t buf, uint64_t sector, uint32_t fence,
                            uint64_t v)
{
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, buf, DK_BUF_READ, 0, 4096), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_WRITE, sector, 0);
    cr_assert_eq(dk_frame_add_signal(&F, fence, v), DK_OK);
    return sv_send_ok(sender);
}

static void kill_setup(uint32_t version, uint64_t latency)
{
    struct sv_opts o = {.version = version, .latency = latency};
    uint32_t i;

    sv_setup(&o);
    a = sv_client(KA, 16);
    b = sv_client(KB, 16);
    a_src = sv_buf(a, 4096, &a_va);
    b_src = sv_buf(b, 4096, &b_va);
    b_dst = sv_buf(b, 4096, &b_dva);
    a_fence = sv_fence(a);
    a_gate = sv_fence(a);
    b_fence = sv_fence(b);
    cr_assert_eq(dk_fence_grant(&FT, a, a_fence, b, DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    memset(a_va, 0xaa, 4096);
    for (i = 0; i < 4096; i++)
        b_va[i] = (uint8_t)(i * 3u + version);
    /* A: two device writes and one frame held by a gate nobody opens. */
    b_t1 = write_frame(KB, b_src, 64, b_fence, 1);
    a_dev1 = write_frame(KA, a_src, 0, a_fence, 1);
    a_dev2 = write_frame(KA, a_src, 8, a_fence, 2);
    sv_frame();
    cr_assert_eq(dk_frame_add_cmd(&F, DK_OP_NOP, NULL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_wait(&F, a_gate, 1), DK_OK);
    cr_assert_eq(dk_frame_add_signal(&F, a_fence, 3), DK_OK);
    a_waiting = sv_send_ok(KA);
    b_t2 = write_frame(KB, b_src, 72, b_fence, 2);
    cr_assert_eq(dk_sim_pending(&SIM), 4, "four writes on the device");
    killed_in_pump = 0;
}

static int count_doomed(void)
{
    int i, n = 0;

    for (i = 0; i < (int)SV_NBUFS; i++)
        n += sv_bufs[i].state == DK_BUF_DOOMED;
    return n;
}

/* The pump of B's wait: the first time it runs, before the service looks
 * at the completions the device has posted, A is killed. */
static int kill_pump(void *arg, uint32_t events)
{
    if (!killed_in_pump) {
        killed_in_pump = 1;
        cr_assert_eq(dk_svc_kill(&S, KA), DK_OK);
        /* The frame that never reached the device resolved at once... */
        cr_assert_eq(sv_t[a_waiting].resolves, 1);
        cr_assert_eq(sv_t[a_waiting].outcome, DK_OUTCOME_KILLED);
        /* ...the device-held ones wait for the device to hand them back,
         * their buffer destroyed but kept while pinned. */
        cr_assert_eq(sv_t[a_dev1].resolves, 0);
        cr_assert_eq(sv_t[a_dev2].resolves, 0);
        cr_assert_eq(count_doomed(), 1);
        cr_assert_eq(dk_buf_info(&BT, a, a_src, &(struct dk_buf){0}), DK_E_STALE);
    }
    return dk_svc_pump(arg, events);
}

static void kill_while_on_device(uint32_t version)
{
    struct dk_pump pump = {kill_pump, &S, dk_svc_next_wake};
    uint64_t used[DK_RES_COUNT];
    unsigned r;
    int rc;

    kill_setup(version, 200000);
    /* B blocks on A's fence; A dies while B waits. */
    rc = dk_fence_wait(&FT, b, a_fence, 2, dk_host_now(&H) + 10u * SV_DEADLINE, &pump, NULL);
    cr_assert_eq(rc, DK_E_KILLED, "B's waiter on A's fence: %s", dk_status_str(rc));
    cr_assert(killed_in_pump);
    cr_assert(sv_drain(10u * SV_DEADLINE));
    cr_assert_eq(sv_t[a_dev1].outcome, DK_OUTCOME_KILLED);
    cr_assert_eq(sv_t[a_dev2].outcome, DK_OUTCOME_KILLED);
    cr_assert_eq(sv_t[b_t1].outcome, DK_OUTCOME_OK);
    cr_assert_eq(sv_t[b_t2].outcome, DK_OUTCOME_OK);
    cr_assert_eq(S.stats.kills, 1);
    cr_assert_eq(S.stats.resets, 0, "a kill is no reset");
    cr_assert_eq(sv_audit_count(DK_AUDIT_CLIENT_KILL), 1);
    cr_assert_eq(sv_audit_log[sv_audit_find(0, DK_AUDIT_CLIENT_KILL, ~0ull)].count, 3);
    sv_check_exactly_once();
    sv_check_released();
    cr_assert_eq(count_doomed(), 0, "A's buffer went at its last unpin");
    /* A's fences are gone (failed for any waiter, then freed). */
    cr_assert_eq(dk_fence_poll(&FT, b, a_fence, 1, NULL), DK_E_STALE);
    /* Everything A held is back: the caller can now remove A. */
    cr_assert_eq(dk_ledger_usage(&L, a, used), DK_OK);
    for (r = 0; r < DK_RES_COUNT; r++)
        cr_assert_eq(used[r], 0, "A still holds resource %u", r);
    cr_assert_eq(dk_ledger_client_remove(&L, a, NULL), DK_OK);
    /* B untouched: its data is on the disk, and new work runs. */
    cr_assert_eq(memcmp(sv_disk + 64 * 512, b_va, 4096), 0);
    cr_assert_eq(memcmp(sv_disk + 72 * 512, b_va, 4096), 0);
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, b_dst, DK_BUF_WRITE, 0, 4096), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_READ, 72, 0);
    cr_assert_eq(dk_frame_add_signal(&F, b_fence, 3), DK_OK);
    (void)sv_send_ok(KB);
    cr_assert_eq(sv_wait(b, b_fence, 3, 10u * SV_DEADLINE), DK_OK);
    cr_assert_eq(memcmp(b_dva, b_va, 4096), 0);
    cr_assert_eq(dk_svc_kill(&S, KA), DK_E_NOT_FOUND, "A is gone");
    sv_check_exactly_once();
}

Test(service_kill, device_held_work_resolves_killed_when_returned)
{
    kill_while_on_device(2);
    kill_while_on_device(1);
}

/* Killed while the device is stalled: the device never hands A's requests
 * back, so the ladder's reset takes them; they still resolve KILLED, not
 * TIMED_OUT, and B's recovers. */
static void kill_while_stalled(uint32_t version)
{
    int rc;

    kill_setup(version, SV_LAT);
    cr_assert_eq(dk_sim_inject(&SIM, DK_SIM_FAULT_STALL, 0), DK_OK);
    cr_assert_eq(dk_svc_kill(&S, KA), DK_OK);
    cr_assert(sv_drain(10u * SV_DEADLINE));
    cr_assert_eq(sv_t[a_dev1].outcome, DK_OUTCOME_KILLED);
    cr_assert_eq(sv_t[a_dev2].outcome, DK_OUTCOME_KILLED);
    cr_assert_eq(sv_t[a_waiting].outcome, DK_OUTCOME_KILLED);
    cr_assert_eq(sv_t[b_t1].outcome, DK_OUTCOME_TIMED_OUT, "the oldest stalled ticket");
    cr_assert_eq(sv_t[b_t2].outcome, DK_OUTCOME_RESET);
    cr_assert_eq(S.stats.resets, 1);
    sv_check_exactly_once();
    sv_check_released();
    cr_assert_eq(dk_ledger_client_remove(&L, a, NULL), DK_OK);
    cr_assert_eq(dk_fence_destroy(&FT, b, b_fence, NULL), DK_OK);
    b_fence = sv_fence(b);
    (void)write_frame(KB, b_src, 80, b_fence, 1);
    rc = sv_wait(b, b_fence, 1, 10u * SV_DEADLINE);
    cr_assert_eq(rc, DK_OK, "%s", dk_status_str(rc));
    cr_assert_eq(memcmp(sv_disk + 80 * 512, b_va, 4096), 0);
}

Test(service_kill, device_stalled_reset_takes_killed_work)
{
    kill_while_stalled(2);
    kill_while_stalled(1);
}

/* ---- reset ---------------------------------------------------------------------- */

static int in_reset_status[2];
static uint32_t in_reset_calls;

/* Submits B's frame from inside the reset's audit events: refused while
 * the reset runs (RESET_BEGIN); accepted once it is over (RESET_END). */
static void submit_during_reset(const struct dk_audit_event *ev)
{
    enum dk_reason why;

    if (ev->kind != DK_AUDIT_RESET_BEGIN && ev->kind != DK_AUDIT_RESET_END)
        return;
    sv_frame();
    cr_assert_eq(dk_frame_add_buf(&F, b_src, DK_BUF_READ, 0, 4096), DK_OK);
    sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 96, 0);
    in_reset_status[ev->kind == DK_AUDIT_RESET_END] = sv_send(KB, NULL, &why);
    in_reset_calls++;
}

static void reset_in_flight(unsigned kind, uint32_t version)
{
    struct sv_opts o = {.kind = kind, .version = version, .vq_size = 8, .latency = 50000};
    uint64_t t, first_after;
    uint8_t *d;
    uint32_t dst, i;
    int rc;

    sv_setup(&o);
    a = sv_client(KA, 16);
    b = sv_client(KB, 16);
    a_src = sv_buf(a, 4096, &a_va);
    b_src = sv_buf(b, 4096, &b_va);
    dst = sv_buf(b, 4096, &d);
    a_fence = sv_fence(a);
    a_gate = sv_fence(a);
    b_fence = sv_fence(b);
    for (i = 0; i < 4096; i++)
        b_va[i] = (uint8_t)(i + version);
    /* Five device frames (the ring holds two blk requests: some wait for
     * room), and one held by a gate. */
    for (i = 0; i < 5; i++) {
        sv_frame();
        if (kind == DK_SVC_BLK) {
            cr_assert_eq(dk_frame_add_buf(&F, i & 1 ? b_src : a_src, DK_BUF_READ, 0, 4096), DK_OK);
            sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 8u * i, 0);
        } else {
            cr_assert_eq(dk_frame_add_buf(&F, i & 1 ? b_src : a_src, DK_BUF_WRITE, 0, 4096), DK_OK);
            sv_cmd_accel(DK_SVC_OP_FILL, 0, i);
        }
        cr_assert_eq(dk_frame_add_signal(&F, i & 1 ? b_fence : a_fence, i / 2u + 1u), DK_OK);
        sv_watch_promise(i & 1 ? b : a, i & 1 ? b_fence : a_fence, i / 2u + 1u,
                         sv_send_ok(i & 1 ? KB : KA));
    }
    sv_frame();
    cr_assert_eq(dk_frame_add_cmd(&F, DK_OP_NOP, NULL, 0), DK_OK);
    cr_assert_eq(dk_frame_add_wait(&F, a_gate, 1), DK_OK);
    (void)sv_send_ok(KA);
    cr_assert_eq(dk_svc_inflight(&S), 6);
    cr_assert_lt(S.stats.device_requests, 5, "some frames wait for ring room");

    in_reset_calls = 0;
    in_reset_status[0] = in_reset_status[1] = -1;
    sv_on_audit = kind == DK_SVC_BLK ? submit_during_reset : NULL;
    rc = dk_svc_reset(&S, NULL);
    sv_on_audit = NULL;
    cr_assert_eq(rc, DK_OK);
    if (kind == DK_SVC_BLK) {
        cr_assert_eq(in_reset_calls, 2);
        cr_assert_eq(in_reset_status[0], DK_E_RESETTING, "during the reset: %s",
                     dk_status_str(in_reset_status[0]));
        cr_assert_eq(S.stats.rejected[DK_E_RESETTING], 1);
        /* Accepted once the reset is over: it must run on the new device. */
        cr_assert_eq(in_reset_status[1], DK_OK, "after the reset: %s",
                     dk_status_str(in_reset_status[1]));
    }
    for (t = 1; t <= 6; t++)
        cr_assert_eq(sv_t[t].outcome, DK_OUTCOME_RESET, "ticket %llu: %s", (unsigned long long)t,
                     dk_outcome_str(sv_t[t].outcome));
    cr_assert_eq(DEV.epoch, 2);
    cr_assert_eq(S.stats.resets, 1);
    cr_assert_eq(sv_resets_traced, 1);
    cr_assert_eq(dk_svc_guilty(&S), 0, "the caller's reset names nobody");
    first_after = S.queue.head;
    cr_assert(sv_drain(10u * SV_DEADLINE));
    for (t = 7; t < first_after; t++)
        cr_assert_eq(sv_t[t].outcome, DK_OUTCOME_OK, "frame accepted at RESET_END: %s",
                     dk_outcome_str(sv_t[t].outcome));
    sv_check_exactly_once();
    sv_check_released();
    sv_check_waiters();

    /* The device works again: B round-trips data on fresh fences. */
    cr_assert_eq(dk_fence_destroy(&FT, b, b_fence, NULL), DK_OK);
    b_fence = sv_fence(b);
    sv_frame();
    if (kind == DK_SVC_BLK) {
        cr_assert_eq(dk_frame_add_buf(&F, b_src, DK_BUF_READ, 0, 4096), DK_OK);
        sv_cmd_blk(DK_SVC_OP_BLK_WRITE, 200, 0);
    } else {
        cr_assert_eq(dk_frame_add_buf(&F, b_src, DK_BUF_READ, 0, 4096), DK_OK);
        cr_assert_eq(dk_frame_add_buf(&F, dst, DK_BUF_WRITE, 0, 4096), DK_OK);
        sv_cmd_accel(DK_SVC_OP_COPY, 0, 1);
    }
    cr_assert_eq(dk_frame_add_signal(&F, b_fence, 1), DK_OK);
    (void)sv_send_ok(KB);
    sv_frame();
    cr_assert_eq(dk_frame_add_wait(&F, b_fence, 1), DK_OK);
    if (kind == DK_SVC_BLK) {
        cr_assert_eq(dk_frame_add_buf(&F, dst, DK_BUF_WRITE, 0, 4096), DK_OK);
        sv_cmd_blk(DK_SVC_OP_BLK_READ, 200, 0);
    } else {
        cr_assert_eq(dk_frame_add_buf(&F, dst, DK_BUF_READ, 0, 4096), DK_OK);
        sv_cmd_accel(DK_SVC_OP_CSUM, 0, 0);
    }
    cr_assert_eq(dk_frame_add_signal(&F, b_fence, 2), DK_OK);
    t = sv_send_ok(KB);
    cr_assert_eq(sv_wait(b, b_fence, 2, 10u * SV_DEADLINE), DK_OK);
    cr_assert_eq(memcmp(d, b_va, 4096), 0);
    if (kind == DK_SVC_ACCEL)
        cr_assert_eq(sv_req(t)->result, sv_fnv(b_va, 4096));
    cr_assert(sv_drain(SV_DEADLINE));
    sv_check_exactly_once();
}

Test(service_reset, in_flight_work_resolves_reset_new_work_refused_then_runs)
{
    reset_in_flight(DK_SVC_BLK, 2);
    reset_in_flight(DK_SVC_BLK, 1);
    reset_in_flight(DK_SVC_ACCEL, 2);
    reset_in_flight(DK_SVC_ACCEL, 1);
}
