/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Timeline fences, blocking side (include/driverkit/fence.h): deadline-bound
 * waits on the host backend's virtual clock, pumps, bounded waiters and the
 * client kill path (dk_fence_reclaim_client).
 */
#include "fence_fixture.h"

TestSuite(fence_wait, .init = setup, .fini = teardown);

Test(fence_wait, satisfied_by_event_before_deadline)
{
    enum dk_reason why;
    uint32_t h = mkfence(cl[0]);
    struct action a = {.kind = ACT_SIGNAL, .client = cl[0], .handle = h, .value = 1};

    at(T0 + 100, &a);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_wait(&ft, cl[0], h, 1, T0 + 500, NULL, &why));
    cr_assert_eq(dk_host_now(&host), T0 + 100);
    cr_assert_eq(a.fired, 1);
    cr_assert_eq(a.rc, DK_OK);
    cr_assert_eq(used(cl[0], DK_RES_WAITERS), 0);
    cr_assert_eq(slot_of(h)->nwaiters, 0);
}

Test(fence_wait, keeps_waiting_through_signals_below_target)
{
    enum dk_reason why;
    uint32_t h = mkfence(cl[0]);
    struct action a1 = {.kind = ACT_SIGNAL, .client = cl[0], .handle = h, .value = 1};
    struct action a3 = {.kind = ACT_SIGNAL, .client = cl[0], .handle = h, .value = 3};

    at(T0 + 100, &a1);
    at(T0 + 200, &a3);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_wait(&ft, cl[0], h, 3, T0 + 500, NULL, &why));
    cr_assert_eq(dk_host_now(&host), T0 + 200);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
}

Test(fence_wait, times_out_exactly_at_deadline)
{
    enum dk_reason why;
    uint32_t h = mkfence(cl[0]);

    EXPECT_ST(DK_E_TIMED_OUT, dk_fence_wait(&ft, cl[0], h, 1, T0 + 500, NULL, &why));
    cr_assert_eq(dk_host_now(&host), T0 + 500);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
    cr_assert_eq(slot_of(h)->nwaiters, 0);
}

Test(fence_wait, failed_by_event_answers_failure_status_then)
{
    uint32_t h = mkfence(cl[0]);
    struct action a = {.kind = ACT_FAIL, .client = cl[0], .handle = h, .value = 1, .status = DK_E_RESET};

    at(T0 + 100, &a);
    cr_assert_eq(dk_fence_wait(&ft, cl[0], h, 1, T0 + 500, NULL, NULL), DK_E_RESET);
    cr_assert_eq(a.rc, DK_OK);
    cr_assert_eq(dk_host_now(&host), T0 + 100);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
    cr_assert_eq(slot_of(h)->nwaiters, 0);
}

Test(fence_wait, already_satisfied_does_not_move_clock)
{
    enum dk_reason why;
    uint32_t h = mkfence(cl[0]);
    struct action a = {.kind = ACT_NOP};

    at(T0 + 100, &a);
    cr_assert_eq(dk_fence_signal(&ft, cl[0], h, 2, NULL), DK_OK);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_wait(&ft, cl[0], h, 2, T0 + 500, NULL, &why));
    cr_assert_eq(dk_host_now(&host), T0);
    cr_assert_eq(a.fired, 0);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
}

Test(fence_wait, deadline_must_be_set_and_bounded)
{
    enum dk_reason why;
    uint32_t h = mkfence(cl[0]);

    EXPECT(DK_E_INVAL, DK_R_NO_DEADLINE, dk_fence_wait(&ft, cl[0], h, 1, 0, NULL, &why));
    EXPECT(DK_E_INVAL, DK_R_DEADLINE_TOO_FAR,
           dk_fence_wait(&ft, cl[0], h, 1, T0 + MAX_WAIT + 1, NULL, &why));
    EXPECT(DK_E_INVAL, DK_R_DEADLINE_TOO_FAR, dk_fence_wait(&ft, cl[0], h, 1, UINT64_MAX, NULL, &why));
    EXPECT(DK_E_INVAL, DK_R_NO_DEADLINE, dk_fence_check_deadline(&ft, 0, &why));
    EXPECT(DK_E_INVAL, DK_R_DEADLINE_TOO_FAR, dk_fence_check_deadline(&ft, T0 + MAX_WAIT + 1, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_fence_check_deadline(&ft, T0 + MAX_WAIT, &why));
    cr_assert_eq(dk_host_now(&host), T0);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
    /* The furthest deadline allowed is accepted and waited out exactly. */
    EXPECT_ST(DK_E_TIMED_OUT, dk_fence_wait(&ft, cl[0], h, 1, T0 + MAX_WAIT, NULL, &why));
    cr_assert_eq(dk_host_now(&host), T0 + MAX_WAIT);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
}

Test(fence_wait, past_deadline_is_a_poll)
{
    enum dk_reason why;
    uint32_t h = mkfence(cl[0]);

    cr_assert_eq(dk_host_advance(&host, 100), DK_OK);
    EXPECT_ST(DK_E_TIMED_OUT, dk_fence_wait(&ft, cl[0], h, 1, T0 + 50, NULL, &why));
    cr_assert_eq(dk_host_now(&host), T0 + 100);
    cr_assert_eq(dk_fence_signal(&ft, cl[0], h, 1, NULL), DK_OK);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_wait(&ft, cl[0], h, 1, T0 + 50, NULL, &why));
    cr_assert_eq(dk_host_now(&host), T0 + 100);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
}

Test(fence_wait, waiter_quota_and_full_list_refuse_wait)
{
    enum dk_reason why;
    struct dk_waiter w[WPF];
    uint32_t h = mkfence(cl[0]);

    cr_assert_eq(dk_fence_grant(&ft, cl[0], h, cl[TIGHT], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    for (unsigned i = 0; i < 2; i++) {
        waiter_init(&w[i], 1);
        cr_assert_eq(dk_fence_waiter_add(&ft, cl[TIGHT], h, &w[i], NULL), DK_OK);
    }
    EXPECT(DK_E_QUOTA, DK_R_CLIENT_WAITERS, dk_fence_wait(&ft, cl[TIGHT], h, 1, T0 + 10, NULL, &why));
    for (unsigned i = 2; i < WPF; i++) {
        waiter_init(&w[i], 1);
        cr_assert_eq(dk_fence_waiter_add(&ft, cl[0], h, &w[i], NULL), DK_OK);
    }
    EXPECT(DK_E_NO_SPACE, DK_R_WAITERS_FULL, dk_fence_wait(&ft, cl[0], h, 1, T0 + 10, NULL, &why));
    cr_assert_eq(dk_host_now(&host), T0);
    cr_assert_eq(used(cl[0], DK_RES_WAITERS), WPF - 2);
    for (unsigned i = 0; i < WPF; i++)
        cr_assert_eq(dk_fence_waiter_remove(&ft, h, &w[i]), DK_OK);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
}

static unsigned pump_calls;
static uint32_t pump_events;

/* Signals on its second call: the first comes before the wait blocks
 * (fence.h: the pump runs once before the first block). */
static int pump_signal_once(void *arg, uint32_t events)
{
    uint32_t h = *(uint32_t *)arg;
    if (pump_calls++ == 1) {
        pump_events = events;
        cr_assert_eq(dk_fence_signal(&ft, cl[0], h, 1, NULL), DK_OK);
    }
    return DK_OK;
}

static int pump_cancel(void *arg, uint32_t events)
{
    (void)arg;
    (void)events;
    pump_calls++;
    return DK_E_CANCELLED;
}

Test(fence_wait, pump_that_signals_on_first_call_ends_wait)
{
    enum dk_reason why;
    uint32_t h = mkfence(cl[0]);
    struct dk_pump pump = {pump_signal_once, &h, NULL};
    struct action nop = {.kind = ACT_NOP};

    at(T0 + 10, &nop); /* wakes the backend wait once; the pump does the rest */
    EXPECT(DK_OK, DK_R_NONE, dk_fence_wait(&ft, cl[0], h, 1, T0 + 500, &pump, &why));
    cr_assert_eq(pump_calls, 2, "once before blocking, once after the event");
    cr_assert(pump_events & DK_EVENT_TIMER);
    cr_assert_eq(dk_host_now(&host), T0 + 10);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
}

Test(fence_wait, pump_status_ends_wait)
{
    uint32_t h = mkfence(cl[0]);
    struct dk_pump pump = {pump_cancel, NULL, NULL};
    struct action nop = {.kind = ACT_NOP};

    at(T0 + 10, &nop);
    /* The pump's first run, before any blocking, already ends the wait. */
    cr_assert_eq(dk_fence_wait(&ft, cl[0], h, 1, T0 + 500, &pump, NULL), DK_E_CANCELLED);
    cr_assert_eq(pump_calls, 1);
    cr_assert_eq(dk_host_now(&host), T0);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
    cr_assert_eq(slot_of(h)->nwaiters, 0);
}

/* Regression: a pump with work of its own due (next_wake) is run at that
 * time even though no event comes, and the wait still ends at its deadline. */
static uint64_t wake_at;
static uint64_t pump_wake(void *arg)
{
    (void)arg;
    return wake_at;
}

static int pump_count(void *arg, uint32_t events)
{
    (void)arg;
    (void)events;
    pump_calls++;
    if (dk_host_now(&host) >= wake_at)
        wake_at += 100; /* its next piece of work */
    return DK_OK;
}

Test(fence_wait, pump_next_wake_runs_the_pump_without_events)
{
    uint32_t h = mkfence(cl[0]);
    struct dk_pump pump = {pump_count, NULL, pump_wake};

    wake_at = T0 + 100;
    cr_assert_eq(dk_fence_wait(&ft, cl[0], h, 1, T0 + 450, &pump, NULL), DK_E_TIMED_OUT);
    cr_assert_eq(dk_host_now(&host), T0 + 450);
    /* before blocking, then at +100, +200, +300, +400, then at the deadline */
    cr_assert_eq(pump_calls, 6);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
}

TestSuite(fence_waiters, .init = setup, .fini = teardown);

Test(fence_waiters, list_is_bounded_and_destroy_waits_for_it)
{
    enum dk_reason why;
    struct snap s;
    struct dk_waiter w[WPF + 1];
    uint32_t h = mkfence(cl[0]);

    for (unsigned i = 0; i < WPF; i++) {
        waiter_init(&w[i], i + 1);
        EXPECT(DK_OK, DK_R_NONE, dk_fence_waiter_add(&ft, cl[0], h, &w[i], &why));
        cr_assert_eq(w[i].status, DK_E_WOULD_BLOCK);
    }
    cr_assert_eq(slot_of(h)->nwaiters, WPF);
    cr_assert_eq(used(cl[0], DK_RES_WAITERS), WPF);
    take(&s, h);
    waiter_init(&w[WPF], 1);
    EXPECT(DK_E_NO_SPACE, DK_R_WAITERS_FULL, dk_fence_waiter_add(&ft, cl[0], h, &w[WPF], &why));
    EXPECT(DK_E_BUSY, DK_R_HAS_WAITERS, dk_fence_destroy(&ft, cl[0], h, &why));
    unchanged(&s, h);
    for (unsigned i = 0; i < WPF; i++)
        cr_assert_eq(dk_fence_waiter_remove(&ft, h, &w[i]), DK_OK);
    cr_assert_eq(slot_of(h)->nwaiters, 0);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_destroy(&ft, cl[0], h, &why));
}

Test(fence_waiters, per_client_quota)
{
    enum dk_reason why;
    struct dk_waiter w[3];
    uint32_t h = mkfence(cl[0]);

    cr_assert_eq(dk_fence_grant(&ft, cl[0], h, cl[TIGHT], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    for (unsigned i = 0; i < 3; i++)
        waiter_init(&w[i], 1);
    cr_assert_eq(dk_fence_waiter_add(&ft, cl[TIGHT], h, &w[0], NULL), DK_OK);
    cr_assert_eq(dk_fence_waiter_add(&ft, cl[TIGHT], h, &w[1], NULL), DK_OK);
    struct snap s;
    take(&s, h);
    EXPECT(DK_E_QUOTA, DK_R_CLIENT_WAITERS, dk_fence_waiter_add(&ft, cl[TIGHT], h, &w[2], &why));
    unchanged(&s, h);
    cr_assert_eq(dk_fence_waiter_remove(&ft, h, &w[0]), DK_OK);
    cr_assert_eq(dk_fence_waiter_remove(&ft, h, &w[1]), DK_OK);
    cr_assert_eq(used(cl[TIGHT], DK_RES_WAITERS), 0);
}

Test(fence_waiters, satisfied_or_too_far_target_is_not_registered)
{
    enum dk_reason why;
    struct dk_waiter w;
    uint32_t h = mkfence(cl[0]);

    cr_assert_eq(dk_fence_signal(&ft, cl[0], h, 3, NULL), DK_OK);
    waiter_init(&w, 2);
    w.status = -1;
    EXPECT(DK_OK, DK_R_NONE, dk_fence_waiter_add(&ft, cl[0], h, &w, &why));
    cr_assert_eq(w.status, DK_OK);
    cr_assert_eq(slot_of(h)->nwaiters, 0);
    cr_assert_eq(used(cl[0], DK_RES_WAITERS), 0);
    waiter_init(&w, 3 + MAX_JUMP + 1);
    EXPECT(DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR, dk_fence_waiter_add(&ft, cl[0], h, &w, &why));
    cr_assert_eq(slot_of(h)->nwaiters, 0);
    cr_assert_eq(used(cl[0], DK_RES_WAITERS), 0);
    cr_assert_eq(dk_fence_waiter_remove(&ft, h, &w), DK_OK, "removing an unregistered waiter");
    cr_assert_eq(used(cl[0], DK_RES_WAITERS), 0);
}

Test(fence_waiters, signal_wakes_exactly_those_reached_and_fail_wakes_the_rest)
{
    struct dk_waiter w[4];
    const uint64_t targets[4] = {4, 1, 3, 2};
    uint32_t h = mkfence(cl[0]);

    for (unsigned i = 0; i < 4; i++) {
        waiter_init(&w[i], targets[i]);
        cr_assert_eq(dk_fence_waiter_add(&ft, cl[0], h, &w[i], NULL), DK_OK);
    }
    cr_assert_eq(dk_fence_signal(&ft, cl[0], h, 2, NULL), DK_OK);
    for (unsigned i = 0; i < 4; i++)
        cr_assert_eq(w[i].status, targets[i] <= 2 ? DK_OK : DK_E_WOULD_BLOCK, "waiter %u", i);
    cr_assert_eq(dk_fence_signal(&ft, cl[0], h, 3, NULL), DK_OK);
    cr_assert_eq(w[2].status, DK_OK);
    cr_assert_eq(w[0].status, DK_E_WOULD_BLOCK);
    cr_assert_eq(dk_fence_fail(&ft, cl[0], h, 4, DK_E_DEVICE, NULL), DK_OK);
    cr_assert_eq(w[0].status, DK_E_DEVICE);
    cr_assert_eq(w[1].status, DK_OK, "a woken waiter keeps its answer");
    for (unsigned i = 0; i < 4; i++)
        cr_assert_eq(dk_fence_waiter_remove(&ft, h, &w[i]), DK_OK);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
    cr_assert_eq(slot_of(h)->nwaiters, 0);
}

TestSuite(fence_reclaim, .init = setup, .fini = teardown);

Test(fence_reclaim, fails_and_frees_owned_fences_drops_grants_wakes_own_waiters)
{
    struct dk_waiter theirs, mine;
    uint32_t f1 = mkfence(cl[0]), f2 = mkfence(cl[0]), g = mkfence(cl[1]), count = 0;
    uint64_t v;

    cr_assert_eq(dk_fence_grant(&ft, cl[0], f1, cl[1], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    cr_assert_eq(dk_fence_grant(&ft, cl[1], g, cl[0], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    waiter_init(&theirs, 5); /* cl[1] waits on cl[0]'s fence */
    cr_assert_eq(dk_fence_waiter_add(&ft, cl[1], f1, &theirs, NULL), DK_OK);
    waiter_init(&mine, 3); /* cl[0] waits on cl[1]'s fence */
    cr_assert_eq(dk_fence_waiter_add(&ft, cl[0], g, &mine, NULL), DK_OK);

    cr_assert_eq(dk_fence_reclaim_client(&ft, cl[0], DK_E_KILLED, &count), DK_OK);
    cr_assert_eq(count, 2);
    cr_assert_eq(theirs.status, DK_E_KILLED, "the other client's waiter sees the status");
    cr_assert_eq(mine.status, DK_E_KILLED, "the killed client's own waiter is woken");
    cr_assert_eq(slot_of(g)->nwaiters, 0);
    cr_assert_eq(dk_fence_value(&ft, cl[0], f2, &v, NULL), DK_E_STALE);
    cr_assert_eq(dk_fence_value(&ft, cl[1], f1, &v, NULL), DK_E_STALE);
    cr_assert_eq(dk_fence_rights(&ft, cl[0], g), 0, "grant on another fence not dropped");
    cr_assert_eq(dk_fence_poll(&ft, cl[0], g, 0, NULL), DK_E_NOT_FOUND);
    cr_assert_eq(dk_fence_rights(&ft, cl[1], g), DK_FENCE_RIGHT_WAIT | DK_FENCE_RIGHT_SIGNAL);
    cr_assert_eq(used(cl[0], DK_RES_FENCES), 0);
    cr_assert_eq(ft.live, 1);
    /* Woken waiters still hold their charge until their owners remove them. */
    cr_assert_eq(dk_fence_waiter_remove(&ft, f1, &theirs), DK_OK);
    cr_assert_eq(dk_fence_waiter_remove(&ft, g, &mine), DK_OK);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
    cr_assert_eq(dk_ledger_client_remove(&ledger, cl[0], NULL), DK_OK);
    /* The audit names each failed fence. */
    cr_assert_eq(naudits, 2);
    cr_assert_eq(audits[0].kind, DK_AUDIT_FENCE_FAIL);
    cr_assert_eq(audits[0].status, DK_E_KILLED);
    cr_assert_eq(audits[1].kind, DK_AUDIT_FENCE_FAIL);
}

Test(fence_reclaim, refuses_a_non_error_status)
{
    uint32_t f = mkfence(cl[0]), count = 99;

    cr_assert_eq(dk_fence_reclaim_client(&ft, cl[0], DK_OK, &count), DK_E_INVAL);
    cr_assert_eq(dk_fence_reclaim_client(&ft, cl[0], DK_E_WOULD_BLOCK, &count), DK_E_INVAL);
    cr_assert_eq(dk_fence_reclaim_client(NULL, cl[0], DK_E_KILLED, &count), DK_E_INVAL);
    cr_assert_eq(value_of(cl[0], f, NULL), 0);
    cr_assert_eq(ft.live, 1);
}

Test(fence_reclaim, wakes_a_blocked_wait_of_another_client)
{
    uint32_t f = mkfence(cl[0]);
    uint64_t v;
    struct action kill = {.kind = ACT_RECLAIM, .client = cl[0], .status = DK_E_KILLED};

    cr_assert_eq(dk_fence_grant(&ft, cl[0], f, cl[1], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    at(T0 + 100, &kill);
    cr_assert_eq(dk_fence_wait(&ft, cl[1], f, 1, T0 + 500, NULL, NULL), DK_E_KILLED);
    cr_assert_eq(kill.rc, DK_OK);
    cr_assert_eq(dk_host_now(&host), T0 + 100);
    cr_assert_eq(dk_fence_value(&ft, cl[1], f, &v, NULL), DK_E_STALE);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_FENCES), 0);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
    cr_assert_eq(ft.live, 0);
}

Test(fence_reclaim, leaves_other_clients_fences_alone)
{
    uint32_t mine = mkfence(cl[0]), theirs = mkfence(cl[1]), count = 99;

    cr_assert_eq(dk_fence_signal(&ft, cl[1], theirs, 7, NULL), DK_OK);
    cr_assert_eq(dk_fence_reclaim_client(&ft, cl[0], DK_E_KILLED, &count), DK_OK);
    cr_assert_eq(count, 1);
    cr_assert_eq(dk_fence_poll(&ft, cl[0], mine, 0, NULL), DK_E_STALE);
    cr_assert_eq(value_of(cl[1], theirs, NULL), 7);
    cr_assert_eq(used(cl[1], DK_RES_FENCES), 1);
    cr_assert_eq(dk_fence_reclaim_client(&ft, cl[0], DK_E_KILLED, &count), DK_OK);
    cr_assert_eq(count, 0, "a second reclaim finds nothing");
}

/* dk_fence_waiter_remove() takes the handle from the caller: a wrong one must
 * not return the waiter's charge while leaving it linked on its fence (the
 * fence would later write through a pointer to a dead stack frame). */
Test(fence_waiters, remove_with_wrong_handle_keeps_list_and_ledger_consistent)
{
    struct dk_waiter w;
    uint32_t f1 = mkfence(cl[0]), f2 = mkfence(cl[0]);
    int rc;

    waiter_init(&w, 1);
    cr_assert_eq(dk_fence_waiter_add(&ft, cl[0], f1, &w, NULL), DK_OK);
    rc = dk_fence_waiter_remove(&ft, f2, &w);
    if (rc == DK_OK)
        cr_assert_eq(slot_of(f1)->nwaiters, 0, "reported unregistered but still linked on f1");
    cr_assert_eq(slot_of(f1)->nwaiters, used(cl[0], DK_RES_WAITERS),
                 "linked waiters and charged waiters disagree");
    cr_assert_eq(dk_fence_waiter_remove(&ft, f1, &w), DK_OK);
    cr_assert_eq(slot_of(f1)->nwaiters, 0);
    cr_assert_eq(used(cl[0], DK_RES_WAITERS), 0);
}
