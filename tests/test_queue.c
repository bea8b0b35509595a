/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Submit queue (queue.h): init checks, admission limits (ring, in-flight
 * cap, QoS depth, client quota, global budget), ticket life and the exactly-
 * once rule, the retire watermark and the completion fence that follows it.
 * Bulk resolution (reset and kill paths) is in test_queue_bulk.c.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "queue_fixture.h"

TestSuite(queue, .init = qf_setup, .fini = qf_teardown);

static void expect_init_refused(const struct dk_queue_cfg *cfg, size_t size, enum dk_reason reason,
                                const char *what)
{
    struct dk_queue q;
    enum dk_reason why = DK_R_NONE;
    int rc = dk_queue_init(&q, cfg, qf_storage, size, &why);
    cr_expect_eq(rc, DK_E_INVAL, "%s: got %s", what, dk_status_str(rc));
    cr_expect_eq(why, reason, "%s: reason %s, want %s", what, dk_reason_str((int)why),
                 dk_reason_str((int)reason));
}

Test(queue, init_checks)
{
    struct dk_queue_cfg cfg = {.capacity = 8};
    size_t full = sizeof(qf_storage);
    enum dk_reason why = DK_R_NONE;

    cr_assert_eq(dk_queue_init(NULL, &cfg, qf_storage, full, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_queue_init(&Q, NULL, qf_storage, full, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_queue_init(&Q, &cfg, NULL, full, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);

    static const struct {
        uint32_t cap;
        enum dk_reason reason;
    } bad[] = {
        {0, DK_R_ZERO_LEN},      {3, DK_R_NOT_POW2},       {6, DK_R_NOT_POW2},
        {1000, DK_R_NOT_POW2},   {4095, DK_R_NOT_POW2},    {8192, DK_R_OVER_CAP},
        {1u << 31, DK_R_OVER_CAP},
    };
    char what[64];
    for (size_t i = 0; i < DK_ARRAY_LEN(bad); i++) {
        cfg.capacity = bad[i].cap;
        snprintf(what, sizeof(what), "capacity %u", bad[i].cap);
        expect_init_refused(&cfg, full, bad[i].reason, what);
        cr_expect_eq(dk_queue_storage_size(bad[i].cap), 0u, "storage_size(%u)", bad[i].cap);
    }
    /* Neither a power of two nor in range: either reason is right. */
    cfg.capacity = UINT32_MAX;
    cr_expect_eq(dk_queue_init(&Q, &cfg, qf_storage, full, NULL), DK_E_INVAL);
    cr_expect_eq(dk_queue_storage_size(UINT32_MAX), 0u);

    /* The documented range starts at 2 (no reason is documented for 1). */
    cfg.capacity = 1;
    cr_expect_eq(dk_queue_init(&Q, &cfg, qf_storage, full, NULL), DK_E_INVAL, "capacity 1");
    cr_expect_eq(dk_queue_storage_size(1), 0u);

    cfg.capacity = 8;
    expect_init_refused(&cfg, dk_queue_storage_size(8) - 1, DK_R_STORAGE_SMALL, "storage");
    expect_init_refused(&cfg, 0, DK_R_STORAGE_SMALL, "no storage");
    cfg.inflight_cap = 9;
    expect_init_refused(&cfg, full, DK_R_OVER_CAP, "inflight_cap > capacity");
    cfg.inflight_cap = 0;
    cfg.qos_depth[DK_QOS_IDLE] = 9;
    expect_init_refused(&cfg, full, DK_R_OVER_CAP, "qos depth > capacity");
    cfg.qos_depth[DK_QOS_IDLE] = 0;

    cr_assert_eq(dk_queue_storage_size(2), 2 * sizeof(struct dk_queue_slot));
    cr_assert_eq(dk_queue_storage_size(1024), 1024 * sizeof(struct dk_queue_slot));
    cr_assert_eq(dk_queue_storage_size(4096), 4096 * sizeof(struct dk_queue_slot));
    static const uint32_t good[] = {2, 1024, 4096};
    for (size_t i = 0; i < DK_ARRAY_LEN(good); i++) {
        cfg.capacity = good[i];
        why = DK_R_OS_ERROR;
        cr_assert_eq(dk_queue_init(&Q, &cfg, qf_storage, dk_queue_storage_size(good[i]), &why),
                     DK_OK, "capacity %u", good[i]);
        cr_assert_eq(why, DK_R_NONE);
        cr_assert_eq(Q.mask, good[i] - 1);
        cr_assert_eq(Q.inflight_cap, good[i], "inflight_cap 0 means capacity");
        for (unsigned c = 0; c < DK_QOS_COUNT; c++)
            cr_assert_eq(Q.qos_depth[c], good[i], "qos depth 0 means inflight_cap");
        cr_assert_eq(dk_queue_watermark(&Q), 0u);
        cr_assert_eq(dk_queue_inflight(&Q), 0u);
        cr_assert_eq(dk_queue_fini(&Q), DK_OK);
    }
}

Test(queue, init_checks_completion_fence)
{
    struct dk_queue_cfg cfg = {.capacity = 8, .fences = &FT, .completion_fence = FENCE,
                               .fence_owner = A};
    /* max_jump is QF_MAX_JUMP: a capacity above it could not be signalled in one step. */
    cfg.capacity = QF_MAX_JUMP * 2;
    expect_init_refused(&cfg, sizeof(qf_storage), DK_R_OVER_CAP, "max_jump < capacity");
    cfg.capacity = 8;
    cfg.completion_fence = DK_HANDLE_INVALID;
    struct dk_queue q;
    enum dk_reason why = DK_R_NONE;
    cr_assert_eq(dk_queue_init(&q, &cfg, qf_storage, sizeof(qf_storage), &why), DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_BAD_HANDLE);
}

Test(queue, tickets_are_monotonic_from_one)
{
    qf_init(16, 0, NULL, false);
    for (uint64_t want = 1; want <= 16; want++) {
        uint64_t t = 0;
        enum dk_reason why = DK_R_OS_ERROR;
        cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_NORMAL, qf_cookie(want), &t, &why), DK_OK);
        cr_assert_eq(why, DK_R_NONE);
        cr_assert_eq(t, want);
        cr_assert_eq(dk_queue_inflight(&Q), (uint32_t)want);
    }
    cr_assert_eq(dk_queue_watermark(&Q), 0u);
}

Test(queue, reserve_argument_checks)
{
    struct dk_queue z;
    uint64_t t;
    enum dk_reason why = DK_R_NONE;
    qf_init(8, 0, NULL, false);
    qf_take();
    cr_assert_eq(dk_queue_reserve(NULL, A, 0, 0, &t, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_queue_reserve(&Q, A, 0, 0, NULL, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_COUNT, qf_cookie(Q.head), &t, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_BAD_ENUM);
    cr_assert_eq(dk_queue_reserve(&Q, A, 255, qf_cookie(Q.head), &t, &why), DK_E_INVAL);
    qf_same("a reserve with bad arguments");
    memset(&z, 0, sizeof(z));
    cr_assert_eq(dk_queue_reserve(&z, A, 0, 0, &t, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NOT_INIT);
}

Test(queue, ring_full_changes_nothing)
{
    qf_init(8, 0, &L, false);
    qf_reserve_n(8, B, DK_QOS_NORMAL);
    qf_take();
    uint64_t t = 12345;
    enum dk_reason why = DK_R_NONE;
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_NORMAL, qf_cookie(Q.head), &t, &why), DK_E_QUEUE_FULL);
    cr_assert_eq(why, DK_R_RING_FULL);
    cr_assert_eq(t, 12345u, "a refusal wrote the ticket");
    qf_same("a ring-full refusal");
}

Test(queue, inflight_cap)
{
    qf_init(8, 3, NULL, false);
    qf_reserve_n(3, A, DK_QOS_NORMAL);
    qf_take();
    uint64_t t;
    enum dk_reason why = DK_R_NONE;
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_IDLE, qf_cookie(Q.head), &t, &why), DK_E_QUEUE_FULL);
    cr_assert_eq(why, DK_R_INFLIGHT_CAP);
    qf_same("an in-flight-cap refusal");
    cr_assert_eq(dk_queue_resolve(&Q, 2, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_IDLE, qf_cookie(Q.head), &t, &why), DK_OK);
    cr_assert_eq(t, 4u);
}

Test(queue, qos_depth_limits_one_class_only)
{
    struct dk_queue_cfg cfg = {.capacity = 16, .qos_depth = {[DK_QOS_INTERACTIVE] = 2}};
    uint64_t t;
    enum dk_reason why = DK_R_NONE;
    cr_assert_eq(dk_queue_init(&Q, &cfg, qf_storage, sizeof(qf_storage), NULL), DK_OK);
    cr_assert_eq(Q.qos_depth[DK_QOS_INTERACTIVE], 2u);
    cr_assert_eq(Q.qos_depth[DK_QOS_NORMAL], 16u);
    qf_reserve_n(2, A, DK_QOS_INTERACTIVE); /* tickets 1, 2 */
    qf_take();
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_INTERACTIVE, qf_cookie(Q.head), &t, &why), DK_E_QUEUE_FULL);
    cr_assert_eq(why, DK_R_QOS_DEPTH);
    qf_same("a QoS-depth refusal");
    for (unsigned c = 0; c < DK_QOS_COUNT; c++) {
        if (c == DK_QOS_INTERACTIVE)
            continue;
        cr_assert_eq(dk_queue_reserve(&Q, A, c, qf_cookie(Q.head), &t, &why), DK_OK, "class %u", c);
    }
    cr_assert_eq(dk_queue_resolve(&Q, 1, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_INTERACTIVE, qf_cookie(Q.head), &t, &why), DK_OK);
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_INTERACTIVE, qf_cookie(Q.head), &t, &why), DK_E_QUEUE_FULL);
}

Test(queue, client_quota_is_not_queue_full)
{
    uint64_t used[DK_RES_COUNT], t;
    enum dk_reason why = DK_R_NONE;
    qf_init(16, 0, &L, false);
    qf_reserve_n(QF_A_INFLIGHT, A, DK_QOS_NORMAL);
    qf_take();
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_NORMAL, qf_cookie(Q.head), &t, &why), DK_E_QUOTA);
    cr_assert_eq(why, DK_R_CLIENT_INFLIGHT_Q);
    qf_same("a client-quota refusal");
    cr_assert_eq(dk_queue_reserve(&Q, B, DK_QOS_NORMAL, qf_cookie(Q.head), &t, &why), DK_OK, "B is admitted");
    cr_assert_eq(dk_ledger_usage(&L, A, used), DK_OK);
    cr_assert_eq(used[DK_RES_INFLIGHT], QF_A_INFLIGHT);
    cr_assert_eq(dk_ledger_usage(&L, B, used), DK_OK);
    cr_assert_eq(used[DK_RES_INFLIGHT], 1u);
    cr_assert_eq(dk_queue_resolve(&Q, 1, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_NORMAL, qf_cookie(Q.head), &t, &why), DK_OK, "quota came back");
}

Test(queue, global_inflight_budget)
{
    uint64_t t;
    enum dk_reason why = DK_R_NONE;
    qf_init(64, 0, &L, false);
    /* A and B together may hold QF_GLOBAL_INFLIGHT, less than either quota sum. */
    qf_reserve_n(QF_A_INFLIGHT, A, DK_QOS_NORMAL);
    qf_reserve_n(QF_GLOBAL_INFLIGHT - QF_A_INFLIGHT, B, DK_QOS_NORMAL);
    qf_take();
    cr_assert_eq(dk_queue_reserve(&Q, B, DK_QOS_NORMAL, qf_cookie(Q.head), &t, &why), DK_E_NO_SPACE);
    cr_assert_eq(why, DK_R_GLOBAL_INFLIGHT);
    qf_same("a global-budget refusal");
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
}

Test(queue, unknown_client)
{
    uint64_t t;
    enum dk_reason why = DK_R_NONE;
    qf_init(8, 0, &L, false);
    qf_take();
    cr_assert_eq(dk_queue_reserve(&Q, QF_NSLOTS, DK_QOS_NORMAL, qf_cookie(Q.head), &t, &why), DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_BAD_CLIENT);
    cr_assert_eq(dk_queue_reserve(&Q, QF_UNUSED, DK_QOS_NORMAL, qf_cookie(Q.head), &t, &why), DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_BAD_CLIENT);
    qf_same("an unknown-client refusal");
}

Test(queue, out_of_order_resolution_holds_the_watermark)
{
    qf_init(8, 0, &L, true);
    qf_reserve_n(3, A, DK_QOS_NORMAL);
    cr_assert_eq(dk_queue_resolve(&Q, 3, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_watermark(&Q), 0u);
    qf_expect_fence(0);
    cr_assert_eq(dk_queue_resolve(&Q, 2, DK_OUTCOME_DEVICE_ERROR, NULL), DK_OK);
    cr_assert_eq(dk_queue_watermark(&Q), 0u);
    qf_expect_fence(0);
    cr_assert_eq(qf_retired, 0u, "nothing retires past ticket 1");
    cr_assert_eq(dk_queue_resolve(&Q, 1, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_watermark(&Q), 3u);
    cr_assert_eq(qf_retired, 3u);
    cr_assert_eq(qf_retired_client, A);
    cr_assert_eq(qf_retired_outcome, DK_OUTCOME_OK, "ticket 3 retired with its own outcome");
    qf_expect_fence(3);
    cr_assert_eq(dk_queue_inflight(&Q), 0u);
}

Test(queue, each_ticket_resolves_exactly_once)
{
    enum dk_reason why = DK_R_NONE;
    qf_init(8, 0, &L, false);
    qf_reserve_n(3, A, DK_QOS_NORMAL);
    cr_assert_eq(dk_queue_resolve(&Q, 2, DK_OUTCOME_OK, &why), DK_OK);
    qf_take();
    cr_assert_eq(dk_queue_resolve(&Q, 2, DK_OUTCOME_OK, &why), DK_E_STATE);
    cr_assert_eq(why, DK_R_ALREADY_RESOLVED);
    cr_assert_eq(dk_queue_resolve(&Q, 2, DK_OUTCOME_RESET, &why), DK_E_STATE);
    qf_same("a second resolve");

    static const uint64_t never[] = {0, 4, 5, 100, UINT64_MAX};
    for (size_t i = 0; i < DK_ARRAY_LEN(never); i++) {
        why = DK_R_NONE;
        cr_assert_eq(dk_queue_resolve(&Q, never[i], DK_OUTCOME_OK, &why), DK_E_NOT_FOUND,
                     "ticket %llu", (unsigned long long)never[i]);
        cr_assert_eq(why, DK_R_TICKET_UNKNOWN);
    }
    cr_assert_eq(dk_queue_resolve(&Q, 1, DK_OUTCOME_COUNT, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_BAD_ENUM);
    qf_same("a refused resolve");

    cr_assert_eq(dk_queue_resolve(&Q, 1, DK_OUTCOME_OK, &why), DK_OK);
    cr_assert_eq(dk_queue_watermark(&Q), 2u);
    for (uint64_t t = 1; t <= 2; t++) { /* retired */
        cr_assert_eq(dk_queue_resolve(&Q, t, DK_OUTCOME_OK, &why), DK_E_NOT_FOUND);
        cr_assert_eq(why, DK_R_TICKET_UNKNOWN);
    }
    uint64_t used[DK_RES_COUNT];
    cr_assert_eq(dk_ledger_usage(&L, A, used), DK_OK);
    cr_assert_eq(used[DK_RES_INFLIGHT], 1u, "each resolve released exactly one slot");
}

Test(queue, query_reports_state_and_outcome)
{
    unsigned st = 99, oc = 99;
    qf_init(8, 0, NULL, false);
    qf_reserve_n(4, A, DK_QOS_NORMAL);
    cr_assert_eq(dk_queue_start(&Q, 2, NULL), DK_OK);
    cr_assert_eq(dk_queue_resolve(&Q, 3, DK_OUTCOME_TIMED_OUT, NULL), DK_OK);

    cr_assert_eq(dk_queue_query(&Q, 1, &st, NULL), DK_OK);
    cr_assert_eq(st, DK_TICKET_PENDING);
    cr_assert_eq(dk_queue_query(&Q, 2, &st, &oc), DK_OK);
    cr_assert_eq(st, DK_TICKET_STARTED);
    cr_assert_eq(dk_queue_query(&Q, 3, &st, &oc), DK_OK);
    cr_assert_eq(st, DK_TICKET_RESOLVED);
    cr_assert_eq(oc, DK_OUTCOME_TIMED_OUT);

    cr_assert_eq(dk_queue_resolve(&Q, 1, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_query(&Q, 1, &st, &oc), DK_OK);
    cr_assert_eq(st, DK_TICKET_RETIRED);
    cr_assert_eq(dk_queue_query(&Q, 3, &st, &oc), DK_OK);
    cr_assert_eq(st, DK_TICKET_RESOLVED, "3 waits for 2");
    cr_assert_eq(oc, DK_OUTCOME_TIMED_OUT);

    cr_assert_eq(dk_queue_query(&Q, 0, &st, &oc), DK_E_NOT_FOUND, "ticket 0 is never issued");
    cr_assert_eq(dk_queue_query(&Q, 5, &st, &oc), DK_E_NOT_FOUND);
    cr_assert_eq(dk_queue_query(&Q, UINT64_MAX, &st, &oc), DK_E_NOT_FOUND);
    cr_assert_eq(dk_queue_query(NULL, 1, &st, &oc), DK_E_INVAL);
    cr_assert_eq(dk_queue_query(&Q, 1, NULL, &oc), DK_E_INVAL);
}

Test(queue, cancel_and_start)
{
    unsigned st, oc;
    uint64_t used[DK_RES_COUNT];
    enum dk_reason why = DK_R_OS_ERROR;
    qf_init(8, 0, &L, false);
    qf_reserve_n(4, A, DK_QOS_NORMAL);

    cr_assert_eq(dk_queue_cancel(&Q, 2, &why), DK_OK);
    cr_assert_eq(why, DK_R_NONE);
    cr_assert_eq(dk_queue_query(&Q, 2, &st, &oc), DK_OK);
    cr_assert_eq(st, DK_TICKET_RESOLVED);
    cr_assert_eq(oc, DK_OUTCOME_CANCELLED);
    cr_assert_eq(dk_ledger_usage(&L, A, used), DK_OK);
    cr_assert_eq(used[DK_RES_INFLIGHT], 3u, "cancel released the slot");

    cr_assert_eq(dk_queue_start(&Q, 3, &why), DK_OK);
    qf_take();
    why = DK_R_NONE;
    cr_assert_eq(dk_queue_start(&Q, 3, &why), DK_E_STATE, "start twice");
    cr_assert_eq(why, DK_R_ALREADY_STARTED);
    why = DK_R_NONE;
    cr_assert_eq(dk_queue_cancel(&Q, 3, &why), DK_E_STATE, "cancel after start");
    cr_assert_eq(why, DK_R_ALREADY_STARTED);
    why = DK_R_NONE;
    cr_assert_eq(dk_queue_cancel(&Q, 2, &why), DK_E_STATE, "cancel twice");
    cr_assert_eq(why, DK_R_ALREADY_RESOLVED);
    why = DK_R_NONE;
    cr_assert_eq(dk_queue_start(&Q, 2, &why), DK_E_STATE, "start a cancelled ticket");
    cr_assert_eq(why, DK_R_ALREADY_RESOLVED);
    for (uint64_t t = 5; t <= 6; t++) {
        why = DK_R_NONE;
        cr_assert_eq(dk_queue_start(&Q, t, &why), DK_E_NOT_FOUND);
        cr_assert_eq(why, DK_R_TICKET_UNKNOWN);
        why = DK_R_NONE;
        cr_assert_eq(dk_queue_cancel(&Q, t, &why), DK_E_NOT_FOUND);
        cr_assert_eq(why, DK_R_TICKET_UNKNOWN);
    }
    cr_assert_eq(dk_queue_start(NULL, 1, &why), DK_E_INVAL);
    cr_assert_eq(dk_queue_cancel(NULL, 1, &why), DK_E_INVAL);
    qf_same("a refused start or cancel");

    cr_assert_eq(dk_queue_cancel(&Q, 1, NULL), DK_OK);
    cr_assert_eq(dk_queue_watermark(&Q), 2u);
    cr_assert_eq(dk_queue_cancel(&Q, 1, &why), DK_E_NOT_FOUND, "retired");
    cr_assert_eq(why, DK_R_TICKET_UNKNOWN);
}

Test(queue, stuck_ticket_holds_the_window)
{
    uint64_t t;
    enum dk_reason why = DK_R_NONE;
    qf_init(4, 0, NULL, false);
    qf_reserve_n(4, A, DK_QOS_NORMAL);
    for (uint64_t k = 2; k <= 4; k++)
        cr_assert_eq(dk_queue_resolve(&Q, k, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_inflight(&Q), 1u);
    cr_assert_lt(dk_queue_inflight(&Q), Q.inflight_cap);
    qf_take();
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_NORMAL, qf_cookie(Q.head), &t, &why), DK_E_QUEUE_FULL);
    cr_assert_eq(why, DK_R_RING_FULL, "ticket 1 holds the window");
    qf_same("a refusal behind a stuck ticket");
    cr_assert_eq(dk_queue_resolve(&Q, 1, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_watermark(&Q), 4u);
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_NORMAL, qf_cookie(Q.head), &t, &why), DK_OK);
    cr_assert_eq(t, 5u);
}

/* Fisher-Yates over tickets 1..n, then resolve in that order. */
Test(queue, random_permutation_watermark_and_fence)
{
    enum { N = 1024 };
    static uint64_t order[N];
    static bool done[N + 1];
    qf_init(N, 0, NULL, true); /* no ledger: A's quota is far below N */
    qf_reserve_n(N, A, DK_QOS_NORMAL);
    for (uint64_t i = 0; i < N; i++)
        order[i] = i + 1;
    qf_rng_state = 0x243f6a8885a308d3ull;
    for (uint64_t i = N - 1; i > 0; i--) {
        uint64_t j = qf_rng() % (i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    memset(done, 0, sizeof(done));
    for (int i = 0; i < N; i++) {
        cr_assert_eq(dk_queue_resolve(&Q, order[i], DK_OUTCOME_OK, NULL), DK_OK, "step %d", i);
        done[order[i]] = true;
        uint64_t want = 0; /* largest t with every ticket <= t resolved, from scratch */
        while (want < N && done[want + 1])
            want++;
        cr_assert_eq(dk_queue_watermark(&Q), want, "step %d", i);
        cr_assert_eq(qf_retired, want, "step %d: retire hook behind the watermark", i);
        qf_expect_fence(want);
    }
    cr_assert_eq(dk_queue_watermark(&Q), (uint64_t)N);
    cr_assert_eq(Q.fence_errors, 0u);
}

/* Reserve and resolve at random over many wraps of a small ring. */
Test(queue, random_interleaving_over_wraps)
{
    enum { CAP = 16, STEPS = 40000 };
    static bool done[STEPS + 2];
    uint64_t open[CAP], next = 1, want = 0;
    unsigned nopen = 0;
    qf_init(CAP, 0, &L, true);
    memset(done, 0, sizeof(done));
    qf_rng_state = 0x13198a2e03707344ull;
    for (int step = 0; step < STEPS; step++) {
        if (nopen == 0 || (qf_rng() % 2 && next - want <= CAP)) {
            uint64_t t;
            cr_assert_eq(dk_queue_reserve(&Q, B, (unsigned)(qf_rng() % DK_QOS_COUNT),
                                          qf_cookie(next), &t, NULL),
                         DK_OK, "step %d", step);
            cr_assert_eq(t, next++, "step %d", step);
            open[nopen++] = t;
        } else {
            unsigned k = (unsigned)(qf_rng() % nopen);
            uint64_t t = open[k];
            open[k] = open[--nopen];
            cr_assert_eq(dk_queue_resolve(&Q, t, DK_OUTCOME_OK, NULL), DK_OK, "step %d", step);
            done[t] = true;
            while (done[want + 1])
                want++;
        }
        cr_assert_eq(dk_queue_watermark(&Q), want, "step %d", step);
        cr_assert_eq(qf_retired, want, "step %d", step);
        cr_assert_eq(dk_queue_inflight(&Q), nopen, "step %d", step);
        cr_assert_eq(qf_clients[B].used[DK_RES_INFLIGHT], nopen, "step %d", step);
        qf_expect_fence(want);
    }
    cr_assert_gt(next, 4 * CAP, "the ring wrapped");
    cr_assert_eq(Q.fence_errors, 0u);
}

Test(queue, tickets_keep_growing_across_wraps)
{
    uint64_t a, b;
    qf_init(2, 0, &L, true);
    for (uint64_t want = 1; want <= 10000; want += 2) {
        cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_NORMAL, qf_cookie(want), &a, NULL), DK_OK);
        cr_assert_eq(dk_queue_reserve(&Q, B, DK_QOS_IDLE, qf_cookie(want + 1), &b, NULL), DK_OK);
        cr_assert_eq(a, want);
        cr_assert_eq(b, want + 1);
        /* Alternate the order of completion on every lap. */
        uint64_t first = (want & 2) ? b : a, second = (want & 2) ? a : b;
        cr_assert_eq(dk_queue_resolve(&Q, first, DK_OUTCOME_OK, NULL), DK_OK);
        cr_assert_eq(dk_queue_watermark(&Q), first == a ? a : a - 1);
        cr_assert_eq(dk_queue_resolve(&Q, second, DK_OUTCOME_OK, NULL), DK_OK);
        cr_assert_eq(dk_queue_watermark(&Q), b);
        qf_expect_fence(b);
    }
    cr_assert_eq(dk_queue_watermark(&Q), 10000u);
}

/* The ticket resolves even when its fence refuses the signal; the refusal is counted. */
Test(queue, fence_refusal_is_counted_not_hidden)
{
    qf_init(8, 0, &L, true);
    qf_reserve_n(2, A, DK_QOS_NORMAL);
    cr_assert_eq(dk_fence_fail(&FT, A, FENCE, 1, DK_E_DEVICE, NULL), DK_OK);
    cr_assert_eq(dk_queue_resolve(&Q, 1, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_watermark(&Q), 1u);
    cr_assert_eq(dk_queue_inflight(&Q), 1u);
    cr_assert_eq(Q.fence_errors, 1u);
}

Test(queue, fini_refused_while_in_flight)
{
    struct dk_queue z;
    uint64_t t;
    enum dk_reason why = DK_R_NONE;
    qf_init(8, 0, &L, false);
    qf_reserve_n(2, A, DK_QOS_NORMAL);
    cr_assert_eq(dk_queue_resolve(&Q, 2, DK_OUTCOME_OK, NULL), DK_OK);
    qf_take();
    cr_assert_eq(dk_queue_fini(&Q), DK_E_BUSY);
    qf_same("a refused fini");
    cr_assert_eq(dk_queue_resolve(&Q, 1, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_fini(&Q), DK_OK);
    cr_assert_eq(dk_queue_fini(&Q), DK_OK, "fini twice");
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_NORMAL, qf_cookie(Q.head), &t, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NOT_INIT);
    cr_assert_eq(dk_queue_resolve(&Q, 1, DK_OUTCOME_OK, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NOT_INIT);
    memset(&z, 0, sizeof(z));
    cr_assert_eq(dk_queue_fini(&z), DK_OK, "fini on a zeroed struct");
    cr_assert_eq(dk_queue_fini(&z), DK_OK);
}
