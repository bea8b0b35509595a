/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bulk resolution of the submit queue (queue.h): the reset path
 * (dk_queue_resolve_all) and the kill path (dk_queue_resolve_client). Every
 * unresolved ticket resolves exactly once, oldest first, and nothing else is
 * touched.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "queue_fixture.h"

TestSuite(queue_bulk, .init = qf_setup, .fini = qf_teardown);

struct call {
    uint64_t ticket, cookie;
    uint16_t client;
    unsigned outcome;
};

static struct call calls[DK_QUEUE_CAPACITY_MAX];
static unsigned ncalls;
static int cb_arg;

static void on_resolved(void *arg, uint64_t ticket, uint64_t cookie, uint16_t client,
                        unsigned outcome)
{
    cr_assert_eq(arg, (void *)&cb_arg);
    cr_assert_lt(ncalls, DK_ARRAY_LEN(calls));
    calls[ncalls].ticket = ticket;
    calls[ncalls].cookie = cookie;
    calls[ncalls].client = client;
    calls[ncalls].outcome = outcome;
    ncalls++;
}

static void expect_call(unsigned i, uint64_t ticket, uint16_t client, unsigned outcome)
{
    cr_assert_lt(i, ncalls, "call %u missing", i);
    cr_expect_eq(calls[i].ticket, ticket, "call %u: ticket %llu, want %llu", i,
                 (unsigned long long)calls[i].ticket, (unsigned long long)ticket);
    cr_expect_eq(calls[i].cookie, qf_cookie(ticket), "call %u: wrong cookie", i);
    cr_expect_eq(calls[i].client, client, "call %u: client %u, want %u", i, calls[i].client,
                 client);
    cr_expect_eq(calls[i].outcome, outcome, "call %u: outcome", i);
}

static uint64_t inflight_of(uint16_t slot)
{
    uint64_t used[DK_RES_COUNT];
    cr_assert_eq(dk_ledger_usage(&L, slot, used), DK_OK);
    return used[DK_RES_INFLIGHT];
}

/* Tickets 1..6 for A, B, A, B, A, B; 4 already resolved, 2 started. */
static void mixed_queue(void)
{
    qf_init(16, 0, &L, true);
    for (int i = 0; i < 3; i++) {
        qf_reserve_n(1, A, DK_QOS_NORMAL);
        qf_reserve_n(1, B, DK_QOS_INTERACTIVE);
    }
    cr_assert_eq(dk_queue_start(&Q, 2, NULL), DK_OK);
    cr_assert_eq(dk_queue_resolve(&Q, 4, DK_OUTCOME_OK, NULL), DK_OK);
    ncalls = 0;
    qf_nlog = 0;
}

Test(queue_bulk, resolve_all_resolves_each_ticket_once)
{
    uint32_t count = 0;
    mixed_queue();
    cr_assert_eq(dk_queue_resolve_all(&Q, DK_OUTCOME_RESET, on_resolved, &cb_arg, &count), DK_OK);

    cr_assert_eq(count, 5u);
    cr_assert_eq(ncalls, 5u);
    expect_call(0, 1, A, DK_OUTCOME_RESET);
    expect_call(1, 2, B, DK_OUTCOME_RESET);
    expect_call(2, 3, A, DK_OUTCOME_RESET);
    expect_call(3, 5, A, DK_OUTCOME_RESET); /* 4 had resolved already */
    expect_call(4, 6, B, DK_OUTCOME_RESET);

    cr_assert_eq(dk_queue_watermark(&Q), Q.head - 1);
    cr_assert_eq(dk_queue_watermark(&Q), 6u);
    qf_expect_fence(6);
    cr_assert_eq(dk_queue_inflight(&Q), 0u);
    for (unsigned c = 0; c < DK_QOS_COUNT; c++)
        cr_assert_eq(dk_queue_qos_inflight(&Q, c), 0u, "class %u", c);
    cr_assert_eq(inflight_of(A), 0u);
    cr_assert_eq(inflight_of(B), 0u);
    cr_assert_eq(inflight_of(DK_LEDGER_GLOBAL), 0u);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);

    cr_assert_eq(qf_nlog, 1u, "one audit event per bulk resolution");
    cr_assert_eq(qf_log[0].kind, DK_AUDIT_RESOLVE_ALL);
    cr_assert_eq(qf_log[0].count, 5u);
    cr_assert_eq(qf_log[0].status, DK_E_RESET);
    cr_assert_eq(qf_log[0].client, 0u, "a reset concerns no single client");
    cr_assert_eq(qf_retired, 6u, "every ticket went through the retire hook");

    for (uint64_t t = 1; t <= 6; t++) {
        unsigned st;
        enum dk_reason why = DK_R_NONE;
        cr_assert_eq(dk_queue_query(&Q, t, &st, NULL), DK_OK);
        cr_assert_eq(st, DK_TICKET_RETIRED);
        cr_assert_eq(dk_queue_resolve(&Q, t, DK_OUTCOME_OK, &why), DK_E_NOT_FOUND);
        cr_assert_eq(why, DK_R_TICKET_UNKNOWN);
    }
    /* The queue goes on from where it was. */
    uint64_t t;
    cr_assert_eq(dk_queue_reserve(&Q, A, DK_QOS_NORMAL, qf_cookie(Q.head), &t, NULL), DK_OK);
    cr_assert_eq(t, 7u);
}

Test(queue_bulk, resolve_all_optional_arguments_and_empty_queue)
{
    uint32_t count = 99;
    mixed_queue();
    cr_assert_eq(dk_queue_resolve_all(&Q, DK_OUTCOME_KILLED, NULL, NULL, NULL), DK_OK);
    cr_assert_eq(dk_queue_inflight(&Q), 0u);
    cr_assert_eq(dk_queue_watermark(&Q), 6u);
    cr_assert_eq(qf_log[0].count, 5u);
    cr_assert_eq(qf_log[0].status, DK_E_KILLED);

    cr_assert_eq(dk_queue_resolve_all(&Q, DK_OUTCOME_RESET, on_resolved, &cb_arg, &count), DK_OK);
    cr_assert_eq(count, 0u);
    cr_assert_eq(ncalls, 0u);
    cr_assert_eq(dk_queue_watermark(&Q), 6u);
}

Test(queue_bulk, resolve_all_refusals_change_nothing)
{
    struct dk_queue z;
    uint32_t count = 0;
    mixed_queue();
    qf_take();
    cr_assert_eq(dk_queue_resolve_all(&Q, DK_OUTCOME_COUNT, on_resolved, &cb_arg, &count),
                 DK_E_INVAL);
    cr_assert_eq(dk_queue_resolve_all(&Q, 255, on_resolved, &cb_arg, &count), DK_E_INVAL);
    cr_assert_eq(dk_queue_resolve_client(&Q, A, DK_OUTCOME_COUNT, on_resolved, &cb_arg, &count),
                 DK_E_INVAL);
    cr_assert_eq(dk_queue_resolve_all(NULL, DK_OUTCOME_RESET, NULL, NULL, NULL), DK_E_INVAL);
    cr_assert_eq(dk_queue_resolve_client(NULL, A, DK_OUTCOME_RESET, NULL, NULL, NULL),
                 DK_E_INVAL);
    memset(&z, 0, sizeof(z));
    cr_assert_eq(dk_queue_resolve_all(&z, DK_OUTCOME_RESET, NULL, NULL, NULL), DK_E_INVAL);
    cr_assert_eq(ncalls, 0u);
    qf_same("a refused bulk resolution");
}

Test(queue_bulk, resolve_client_touches_only_that_client)
{
    uint32_t count = 0;
    unsigned st, oc;
    mixed_queue();
    cr_assert_eq(dk_queue_resolve_client(&Q, A, DK_OUTCOME_KILLED, on_resolved, &cb_arg, &count),
                 DK_OK);
    cr_assert_eq(count, 3u);
    cr_assert_eq(ncalls, 3u);
    expect_call(0, 1, A, DK_OUTCOME_KILLED);
    expect_call(1, 3, A, DK_OUTCOME_KILLED);
    expect_call(2, 5, A, DK_OUTCOME_KILLED);

    cr_assert_eq(inflight_of(A), 0u);
    cr_assert_eq(inflight_of(B), 2u, "B's tickets 2 and 6 still hold their slots");
    cr_assert_eq(dk_queue_inflight(&Q), 2u);
    cr_assert_eq(dk_queue_watermark(&Q), 1u, "B's ticket 2 holds the watermark");
    qf_expect_fence(1);

    cr_assert_eq(dk_queue_query(&Q, 2, &st, NULL), DK_OK);
    cr_assert_eq(st, DK_TICKET_STARTED);
    cr_assert_eq(dk_queue_query(&Q, 6, &st, NULL), DK_OK);
    cr_assert_eq(st, DK_TICKET_PENDING);
    cr_assert_eq(dk_queue_query(&Q, 3, &st, &oc), DK_OK);
    cr_assert_eq(st, DK_TICKET_RESOLVED);
    cr_assert_eq(oc, DK_OUTCOME_KILLED);
    cr_assert_eq(dk_queue_query(&Q, 4, &st, &oc), DK_OK);
    cr_assert_eq(oc, DK_OUTCOME_OK, "B's resolved ticket keeps its outcome");

    cr_assert_eq(qf_nlog, 1u);
    cr_assert_eq(qf_log[0].kind, DK_AUDIT_RESOLVE_ALL);
    cr_assert_eq(qf_log[0].count, 3u);
    cr_assert_eq(qf_log[0].status, DK_E_KILLED);
    cr_assert_eq(qf_log[0].client, 501u, "the event names the killed client's transport id");

    /* B's work completes normally afterwards. */
    cr_assert_eq(dk_queue_resolve(&Q, 2, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_watermark(&Q), 5u);
    qf_expect_fence(5);
    cr_assert_eq(dk_queue_resolve(&Q, 6, DK_OUTCOME_OK, NULL), DK_OK);
    cr_assert_eq(dk_queue_watermark(&Q), 6u);
    qf_expect_fence(6);

    /* A second kill finds nothing left. */
    ncalls = 0;
    cr_assert_eq(dk_queue_resolve_client(&Q, A, DK_OUTCOME_KILLED, on_resolved, &cb_arg, &count),
                 DK_OK);
    cr_assert_eq(count, 0u);
    cr_assert_eq(ncalls, 0u);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
}

Test(queue_bulk, resolve_client_without_tickets_changes_nothing)
{
    uint32_t count = 99;
    mixed_queue();
    qf_take();
    cr_assert_eq(dk_queue_resolve_client(&Q, QF_UNUSED, DK_OUTCOME_KILLED, on_resolved, &cb_arg,
                                         &count),
                 DK_OK);
    cr_assert_eq(count, 0u);
    cr_assert_eq(ncalls, 0u);
    cr_assert_eq(memcmp(&qf_snap.q, &Q, sizeof(Q)), 0);
    cr_assert_eq(memcmp(qf_snap.slots, qf_storage, sizeof(qf_storage)), 0);
}

/* The reset path on a full ring after it wrapped: oldest first across the wrap. */
Test(queue_bulk, resolve_all_across_a_wrapped_ring)
{
    uint32_t count = 0;
    qf_init(8, 0, NULL, true);
    qf_reserve_n(5, A, DK_QOS_NORMAL);
    for (uint64_t t = 1; t <= 5; t++)
        cr_assert_eq(dk_queue_resolve(&Q, t, DK_OUTCOME_OK, NULL), DK_OK);
    qf_reserve_n(8, B, DK_QOS_IDLE); /* tickets 6..13 occupy slots 6,7,0..5 */
    cr_assert_eq(dk_queue_resolve(&Q, 9, DK_OUTCOME_DEVICE_ERROR, NULL), DK_OK);
    ncalls = 0;
    cr_assert_eq(dk_queue_resolve_all(&Q, DK_OUTCOME_RESET, on_resolved, &cb_arg, &count), DK_OK);
    cr_assert_eq(count, 7u);
    static const uint64_t want[] = {6, 7, 8, 10, 11, 12, 13};
    for (unsigned i = 0; i < DK_ARRAY_LEN(want); i++)
        expect_call(i, want[i], B, DK_OUTCOME_RESET);
    cr_assert_eq(dk_queue_watermark(&Q), 13u);
    qf_expect_fence(13);
}
