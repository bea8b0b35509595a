/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared fixture of test_queue.c and test_queue_bulk.c: a ledger with two
 * clients, a host backend, a fence table with one completion fence, and a
 * queue over static storage, plus snapshots to prove a refusal changed
 * nothing. Everything is static inline so each test file uses what it needs.
 */
#ifndef DK_TEST_QUEUE_FIXTURE_H
#define DK_TEST_QUEUE_FIXTURE_H

#include <criterion/criterion.h>

#include <string.h>

#include <driverkit/driverkit.h>
#include <driverkit/host.h>

#define QF_NSLOTS 4u           /* ledger client slots */
#define QF_A_INFLIGHT 5u       /* client A's DK_RES_INFLIGHT quota */
#define QF_B_INFLIGHT 40u      /* client B's */
#define QF_GLOBAL_INFLIGHT 30u /* global in-flight budget: below A + B */
#define QF_MAX_JUMP 1024u      /* fence table max_jump */
#define QF_LOG_MAX 64u

static struct dk_queue Q;
static struct dk_queue_slot qf_storage[DK_QUEUE_CAPACITY_MAX];
static struct dk_ledger L;
static struct dk_client qf_clients[QF_NSLOTS];
static struct dk_host H;
static uint8_t qf_arena[1u << 16];
static struct dk_fence_table FT;
static struct dk_fence qf_fences[4];
static uint16_t A, B, QF_UNUSED; /* ledger slots; QF_UNUSED is not registered */
static uint32_t FENCE;           /* completion fence, owned by A */

static struct dk_audit_event qf_log[QF_LOG_MAX];
static unsigned qf_nlog;

static inline void qf_record(void *arg, const struct dk_audit_event *ev)
{
    cr_assert_eq(arg, (void *)qf_log);
    cr_assert_lt(qf_nlog, QF_LOG_MAX);
    qf_log[qf_nlog++] = *ev;
}

/* The cookie stored with ticket t, so callbacks can be checked. */
static inline uint64_t qf_cookie(uint64_t t)
{
    return t * 1000003u ^ 0xc0ffeeu;
}

/*
 * Retire hook: tickets must retire one at a time in ticket order, each with
 * the cookie it was reserved with (tests reserve with qf_cookie(ticket)).
 */
static uint64_t qf_retired;   /* last ticket retired */
static uint16_t qf_retired_client;
static unsigned qf_retired_outcome;

static inline void qf_on_retire(void *arg, uint64_t ticket, uint64_t cookie, uint16_t client,
                                unsigned outcome)
{
    cr_assert_eq(arg, (void *)&qf_retired);
    cr_assert_eq(ticket, qf_retired + 1, "retired %llu after %llu", (unsigned long long)ticket,
                 (unsigned long long)qf_retired);
    cr_assert_eq(cookie, qf_cookie(ticket), "ticket %llu retired with a wrong cookie",
                 (unsigned long long)ticket);
    cr_assert_lt(outcome, DK_OUTCOME_COUNT);
    qf_retired = ticket;
    qf_retired_client = client;
    qf_retired_outcome = outcome;
}

static inline void qf_setup(void)
{
    struct dk_limits g = {{1u << 20, 100, QF_GLOBAL_INFLIGHT, 100, 100}};
    struct dk_limits la = {{1u << 20, 100, QF_A_INFLIGHT, 2, 100}};
    struct dk_limits lb = {{1u << 20, 100, QF_B_INFLIGHT, 2, 100}};
    memset(&Q, 0, sizeof(Q));
    memset(qf_log, 0, sizeof(qf_log));
    qf_nlog = 0;
    qf_retired = 0;
    cr_assert_eq(dk_ledger_init(&L, qf_clients, QF_NSLOTS, &g, NULL, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_add(&L, 501, &la, &A, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_add(&L, 502, &lb, &B, NULL), DK_OK);
    QF_UNUSED = 0;
    while (QF_UNUSED == A || QF_UNUSED == B)
        QF_UNUSED++;
    cr_assert_eq(dk_host_init(&H, qf_arena, sizeof(qf_arena), 1000), DK_OK);
    struct dk_fence_cfg fc = {.nslots = 4,
                              .max_jump = QF_MAX_JUMP,
                              .max_wait_ns = 1000000,
                              .waiters_per_fence = 4,
                              .ledger = &L,
                              .backend = dk_host_backend(&H)};
    cr_assert_geq(sizeof(qf_fences), dk_fence_table_storage_size(4));
    cr_assert_eq(dk_fence_table_init(&FT, &fc, qf_fences, sizeof(qf_fences), NULL), DK_OK);
    cr_assert_eq(dk_fence_create(&FT, A, &FENCE, NULL), DK_OK);
}

static inline void qf_teardown(void)
{
    (void)dk_queue_resolve_all(&Q, DK_OUTCOME_RESET, NULL, NULL, NULL);
    (void)dk_queue_fini(&Q);
}

/* A queue with the audit hook; optionally charged to L and signalling FENCE. */
static inline void qf_init(uint32_t cap, uint32_t inflight_cap, struct dk_ledger *ledger,
                           bool with_fence)
{
    struct dk_queue_cfg cfg = {.capacity = cap,
                               .inflight_cap = inflight_cap,
                               .ledger = ledger,
                               .retire_fn = qf_on_retire,
                               .retire_arg = &qf_retired,
                               .audit = {qf_record, qf_log}};
    if (with_fence) {
        cfg.fences = &FT;
        cfg.completion_fence = FENCE;
        cfg.fence_owner = A;
    }
    enum dk_reason why = DK_R_OS_ERROR;
    cr_assert_eq(dk_queue_init(&Q, &cfg, qf_storage, dk_queue_storage_size(cap), &why), DK_OK,
                 "queue init: %s", dk_reason_str((int)why));
    cr_assert_eq(why, DK_R_NONE);
}

static inline void qf_reserve_n(unsigned n, uint16_t client, unsigned qos)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t t = 0, want = Q.head;
        enum dk_reason why = DK_R_OS_ERROR;
        cr_assert_eq(dk_queue_reserve(&Q, client, qos, qf_cookie(want), &t, &why), DK_OK,
                     "reserve %u: %s", i, dk_reason_str((int)why));
        cr_assert_eq(t, want);
    }
}

/* Value of the completion fence, read as its owner. */
static inline void qf_expect_fence(uint64_t want)
{
    uint64_t v = UINT64_MAX;
    int fs = -1;
    cr_assert_eq(dk_fence_value(&FT, A, FENCE, &v, &fs), DK_OK);
    cr_assert_eq(v, want, "completion fence at %llu, watermark %llu", (unsigned long long)v,
                 (unsigned long long)want);
    cr_assert_eq(fs, DK_OK);
}

static struct {
    struct dk_queue q;
    struct dk_queue_slot slots[DK_QUEUE_CAPACITY_MAX];
    struct dk_ledger l;
    struct dk_client clients[QF_NSLOTS];
    struct dk_fence fences[4];
    unsigned nlog;
} qf_snap;

static inline void qf_take(void)
{
    qf_snap.q = Q;
    memcpy(qf_snap.slots, qf_storage, sizeof(qf_storage));
    qf_snap.l = L;
    memcpy(qf_snap.clients, qf_clients, sizeof(qf_clients));
    memcpy(qf_snap.fences, qf_fences, sizeof(qf_fences));
    qf_snap.nlog = qf_nlog;
}

static inline void qf_same(const char *what)
{
    cr_assert_eq(memcmp(&qf_snap.q, &Q, sizeof(Q)), 0, "%s changed the queue", what);
    cr_assert_eq(memcmp(qf_snap.slots, qf_storage, sizeof(qf_storage)), 0,
                 "%s changed the slot storage", what);
    cr_assert_eq(memcmp(&qf_snap.l, &L, sizeof(L)), 0, "%s changed the ledger", what);
    cr_assert_eq(memcmp(qf_snap.clients, qf_clients, sizeof(qf_clients)), 0,
                 "%s changed a client's usage", what);
    cr_assert_eq(memcmp(qf_snap.fences, qf_fences, sizeof(qf_fences)), 0,
                 "%s changed the completion fence", what);
    cr_assert_eq(qf_snap.nlog, qf_nlog, "%s was audited", what);
}

/* xorshift64*: fixed seeds, so every run draws the same sequence. */
static uint64_t qf_rng_state;
static inline uint64_t qf_rng(void)
{
    qf_rng_state ^= qf_rng_state >> 12;
    qf_rng_state ^= qf_rng_state << 25;
    qf_rng_state ^= qf_rng_state >> 27;
    return qf_rng_state * 0x2545f4914f6cdd1dull;
}

#endif /* DK_TEST_QUEUE_FIXTURE_H */
