/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Waitsets (include/driverkit/waitset.h): bounded membership, ANY/ALL
 * polling, failure and rights answers that name the member, and waits on the
 * host backend's virtual clock that return at exactly the right instant and
 * leave no waiter charged.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include <driverkit/driverkit.h>
#include <driverkit/host.h>

#define NCLIENTS 3u
#define NFENCES 20u
#define T0 1000u
#define MAX_JUMP 1000u
#define MAX_WAIT 1000000u
#define WPF 4u

static struct dk_host host;
static _Alignas(64) uint8_t arena[1u << 16];
static struct dk_client cslots[NCLIENTS];
static struct dk_ledger ledger;
static struct dk_fence fslots[NFENCES];
static struct dk_fence_table ft;
static struct dk_waitset ws;
static uint16_t cl[NCLIENTS];
static uint32_t f[NFENCES]; /* all owned by cl[0] */

static void setup(void)
{
    struct dk_limits lim;
    struct dk_fence_cfg cfg;

    for (unsigned i = 0; i < DK_RES_COUNT; i++)
        lim.max[i] = 1024;
    cr_assert_eq(dk_host_init(&host, arena, sizeof arena, T0), DK_OK);
    cr_assert_eq(dk_ledger_init(&ledger, cslots, NCLIENTS, &lim, NULL, NULL), DK_OK);
    for (unsigned i = 0; i < NCLIENTS; i++)
        cr_assert_eq(dk_ledger_client_add(&ledger, 200 + i, &lim, &cl[i], NULL), DK_OK);
    memset(&cfg, 0, sizeof cfg);
    cfg.nslots = NFENCES;
    cfg.max_jump = MAX_JUMP;
    cfg.max_wait_ns = MAX_WAIT;
    cfg.waiters_per_fence = WPF;
    cfg.ledger = &ledger;
    cfg.backend = dk_host_backend(&host);
    cr_assert(dk_fence_table_storage_size(NFENCES) <= sizeof fslots);
    cr_assert_eq(dk_fence_table_init(&ft, &cfg, fslots, sizeof fslots, NULL), DK_OK);
    for (unsigned i = 0; i < NFENCES; i++)
        cr_assert_eq(dk_fence_create(&ft, cl[0], &f[i], NULL), DK_OK);
    cr_assert_eq(dk_waitset_init(&ws, &ft), DK_OK);
}

static uint64_t waiters_used(void)
{
    uint64_t u[DK_RES_COUNT];
    cr_assert_eq(dk_ledger_usage(&ledger, DK_LEDGER_GLOBAL, u), DK_OK);
    return u[DK_RES_WAITERS];
}

static void teardown(void)
{
    /* No path may leave a waiter registered or charged. */
    cr_assert_eq(waiters_used(), 0);
    for (unsigned i = 0; i < NFENCES; i++)
        cr_assert_eq(ft.slots[DK_HANDLE_INDEX(f[i])].nwaiters, 0, "fence %u", i);
    cr_assert_eq(dk_ledger_check(&ledger), DK_OK);
}

TestSuite(waitset, .init = setup, .fini = teardown);

#define EXPECT(st, rsn, expr)                                                              \
    do {                                                                                   \
        why = (enum dk_reason)9999;                                                        \
        int rc_ = (expr);                                                                  \
        cr_assert_eq(rc_, (st), "%s: got %s/%s, want %s/%s", #expr, dk_status_str(rc_),    \
                     dk_reason_str(why), dk_status_str(st), dk_reason_str(rsn));           \
        cr_assert_eq(why, (rsn), "%s: reason %s, want %s", #expr, dk_reason_str(why),      \
                     dk_reason_str(rsn));                                                  \
    } while (0)
#define EXPECT_ST(st, expr)                                                                \
    do {                                                                                   \
        int rc_ = (expr);                                                                  \
        cr_assert_eq(rc_, (st), "%s: got %s, want %s", #expr, dk_status_str(rc_),          \
                     dk_status_str(st));                                                   \
    } while (0)

static void add(uint32_t fence, uint64_t target)
{
    cr_assert_eq(dk_waitset_add(&ws, fence, target, NULL), DK_OK);
}

static void sig(uint32_t fence, uint64_t value)
{
    cr_assert_eq(dk_fence_signal(&ft, cl[0], fence, value, NULL), DK_OK);
}

struct action {
    uint32_t fence;
    uint64_t value;
    int fail_status; /* DK_OK: signal */
    int rc;
    unsigned fired;
};

static void act_fn(void *arg, struct dk_host *h)
{
    struct action *a = arg;
    (void)h;
    a->fired++;
    if (a->fail_status == DK_OK)
        a->rc = dk_fence_signal(&ft, cl[0], a->fence, a->value, NULL);
    else
        a->rc = dk_fence_fail(&ft, cl[0], a->fence, a->value, a->fail_status, NULL);
}

static void at(uint64_t t, struct action *a)
{
    cr_assert_eq(dk_host_schedule(&host, t, act_fn, a, NULL), DK_OK);
}

Test(waitset, holds_at_most_waitset_max_members)
{
    enum dk_reason why;
    struct dk_waitset before;

    cr_assert_eq(ws.count, 0);
    for (unsigned i = 0; i < DK_WAITSET_MAX; i++)
        EXPECT(DK_OK, DK_R_NONE, dk_waitset_add(&ws, f[i], 1, &why));
    cr_assert_eq(ws.count, DK_WAITSET_MAX);
    memcpy(&before, &ws, sizeof ws);
    EXPECT(DK_E_NO_SPACE, DK_R_WAITSET_FULL, dk_waitset_add(&ws, f[DK_WAITSET_MAX], 1, &why));
    cr_assert_eq(ws.count, DK_WAITSET_MAX);
    cr_assert(memcmp(&before, &ws, sizeof ws) == 0, "a refused add changed the waitset");
    cr_assert_eq(dk_waitset_clear(&ws), DK_OK);
    cr_assert_eq(ws.count, 0);
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_add(&ws, f[0], 1, &why));
}

Test(waitset, argument_checks)
{
    enum dk_reason why;
    struct dk_waitset zeroed;
    uint32_t idx = 77;

    EXPECT(DK_E_INVAL, DK_R_ZERO_LEN, dk_waitset_poll(&ws, cl[0], DK_WAIT_ANY, &idx, &why));
    EXPECT(DK_E_INVAL, DK_R_ZERO_LEN, dk_waitset_poll(&ws, cl[0], DK_WAIT_ALL, &idx, &why));
    EXPECT(DK_E_INVAL, DK_R_ZERO_LEN,
           dk_waitset_wait(&ws, cl[0], DK_WAIT_ANY, T0 + 10, NULL, &idx, &why));
    cr_assert_eq(dk_host_now(&host), T0);
    EXPECT(DK_E_NOT_FOUND, DK_R_BAD_HANDLE, dk_waitset_add(&ws, DK_HANDLE_INVALID, 1, &why));
    cr_assert_eq(ws.count, 0);
    add(f[0], 1);
    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_waitset_poll(&ws, cl[0], 2, &idx, &why));
    EXPECT(DK_E_INVAL, DK_R_NULL_ARG, dk_waitset_poll(NULL, cl[0], DK_WAIT_ANY, &idx, &why));
    EXPECT(DK_E_INVAL, DK_R_NULL_ARG, dk_waitset_add(NULL, f[0], 1, &why));
    memset(&zeroed, 0, sizeof zeroed);
    EXPECT(DK_E_INVAL, DK_R_NOT_INIT, dk_waitset_add(&zeroed, f[0], 1, &why));
    EXPECT(DK_E_INVAL, DK_R_NOT_INIT, dk_waitset_poll(&zeroed, cl[0], DK_WAIT_ANY, &idx, &why));
    cr_assert_eq(dk_waitset_init(NULL, &ft), DK_E_INVAL);
    cr_assert_eq(dk_waitset_init(&zeroed, NULL), DK_E_INVAL);
}

Test(waitset, any_answers_first_ready_member_in_order_added)
{
    enum dk_reason why;
    uint32_t idx = 77;

    add(f[0], 5);
    add(f[1], 1);
    add(f[2], 1);
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_waitset_poll(&ws, cl[0], DK_WAIT_ANY, &idx, &why));
    sig(f[2], 1);
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ANY, &idx, &why));
    cr_assert_eq(idx, 2);
    sig(f[1], 1);
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ANY, &idx, &why));
    cr_assert_eq(idx, 1);
    sig(f[0], 7);
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ANY, &idx, &why));
    cr_assert_eq(idx, 0);
}

Test(waitset, all_blocks_until_every_member_reached)
{
    enum dk_reason why;
    uint32_t idx;

    add(f[0], 2);
    add(f[1], 1);
    add(f[2], 3);
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_waitset_poll(&ws, cl[0], DK_WAIT_ALL, &idx, &why));
    sig(f[0], 2);
    sig(f[1], 1);
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_waitset_poll(&ws, cl[0], DK_WAIT_ALL, &idx, &why));
    sig(f[2], 2);
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_waitset_poll(&ws, cl[0], DK_WAIT_ALL, &idx, &why));
    sig(f[2], 3);
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ALL, &idx, &why));
    /* The same fence twice with different targets. */
    add(f[0], 4);
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_waitset_poll(&ws, cl[0], DK_WAIT_ALL, &idx, &why));
    sig(f[0], 4);
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ALL, &idx, &why));
}

Test(waitset, failed_member_ends_all_and_is_ready_for_any)
{
    enum dk_reason why;
    uint32_t idx = 77;

    add(f[0], 1);
    add(f[1], 1);
    add(f[2], 1);
    cr_assert_eq(dk_fence_fail(&ft, cl[0], f[1], 1, DK_E_DEVICE, NULL), DK_OK);
    EXPECT_ST(DK_E_DEVICE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ALL, &idx, &why));
    cr_assert_eq(idx, 1);
    idx = 77;
    EXPECT_ST(DK_E_DEVICE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ANY, &idx, &why));
    cr_assert_eq(idx, 1);
    /* An earlier member that is reached comes first for ANY. */
    sig(f[0], 1);
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ANY, &idx, &why));
    cr_assert_eq(idx, 0);
    /* ALL still ends at the failure, even with the others reached. */
    sig(f[2], 1);
    EXPECT_ST(DK_E_DEVICE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ALL, &idx, &why));
    cr_assert_eq(idx, 1);
}

Test(waitset, rights_refusal_names_the_member)
{
    enum dk_reason why;
    uint32_t idx = 77;
    uint32_t other; /* cl[1]'s fence: cl[0] holds nothing on it */

    cr_assert_eq(dk_fence_create(&ft, cl[1], &other, NULL), DK_E_NO_SPACE, "table should be full");
    cr_assert_eq(dk_fence_destroy(&ft, cl[0], f[NFENCES - 1], NULL), DK_OK);
    cr_assert_eq(dk_fence_create(&ft, cl[1], &other, NULL), DK_OK);
    f[NFENCES - 1] = other;
    cr_assert_eq(dk_fence_grant(&ft, cl[0], f[2], cl[2], DK_FENCE_RIGHT_SIGNAL, NULL), DK_OK);
    cr_assert_eq(dk_fence_grant(&ft, cl[0], f[0], cl[2], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    cr_assert_eq(dk_fence_grant(&ft, cl[0], f[1], cl[2], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    add(f[0], 1);
    add(f[1], 1);
    add(f[2], 1);
    EXPECT(DK_E_DENIED, DK_R_NO_WAIT_RIGHT, dk_waitset_poll(&ws, cl[2], DK_WAIT_ANY, &idx, &why));
    cr_assert_eq(idx, 2);
    idx = 77;
    EXPECT(DK_E_DENIED, DK_R_NO_WAIT_RIGHT, dk_waitset_poll(&ws, cl[2], DK_WAIT_ALL, &idx, &why));
    cr_assert_eq(idx, 2);
    idx = 77;
    EXPECT(DK_E_DENIED, DK_R_NO_WAIT_RIGHT,
           dk_waitset_wait(&ws, cl[2], DK_WAIT_ANY, T0 + 100, NULL, &idx, &why));
    cr_assert_eq(idx, 2);
    cr_assert_eq(dk_host_now(&host), T0);
    /* A member on a fence the caller cannot see at all. */
    cr_assert_eq(dk_waitset_clear(&ws), DK_OK);
    add(f[0], 1);
    add(other, 1);
    EXPECT_ST(DK_E_NOT_FOUND, dk_waitset_poll(&ws, cl[0], DK_WAIT_ANY, &idx, &why));
    cr_assert_eq(idx, 1);
}

Test(waitset, wait_any_returns_first_event_at_its_instant)
{
    enum dk_reason why;
    uint32_t idx = 77;
    struct action s3 = {.fence = f[3], .value = 1}, s1 = {.fence = f[1], .value = 1};

    for (unsigned i = 0; i < 4; i++)
        add(f[i], 1);
    at(T0 + 50, &s3);
    at(T0 + 80, &s1);
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_wait(&ws, cl[0], DK_WAIT_ANY, T0 + 500, NULL, &idx, &why));
    cr_assert_eq(idx, 3);
    cr_assert_eq(dk_host_now(&host), T0 + 50);
    cr_assert_eq(s3.fired, 1);
    cr_assert_eq(s1.fired, 0);
    cr_assert_eq(waiters_used(), 0);
}

Test(waitset, wait_all_returns_when_the_last_member_is_reached)
{
    enum dk_reason why;
    uint32_t idx;
    struct action s3 = {.fence = f[3], .value = 1}, s1 = {.fence = f[1], .value = 1};

    for (unsigned i = 0; i < 4; i++)
        add(f[i], 1);
    sig(f[0], 1);
    sig(f[2], 1);
    at(T0 + 50, &s3);
    at(T0 + 80, &s1);
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_wait(&ws, cl[0], DK_WAIT_ALL, T0 + 500, NULL, &idx, &why));
    cr_assert_eq(dk_host_now(&host), T0 + 80);
    cr_assert_eq(s3.rc, DK_OK);
    cr_assert_eq(s1.rc, DK_OK);
    cr_assert_eq(waiters_used(), 0);
}

Test(waitset, wait_times_out_exactly_at_deadline)
{
    enum dk_reason why;
    uint32_t idx;
    struct action s1 = {.fence = f[1], .value = 1};

    add(f[0], 1);
    add(f[1], 1);
    at(T0 + 80, &s1);
    EXPECT_ST(DK_E_TIMED_OUT, dk_waitset_wait(&ws, cl[0], DK_WAIT_ALL, T0 + 300, NULL, &idx, &why));
    cr_assert_eq(dk_host_now(&host), T0 + 300);
    cr_assert_eq(waiters_used(), 0);
    EXPECT_ST(DK_E_TIMED_OUT, dk_waitset_wait(&ws, cl[0], DK_WAIT_ALL, T0 + 500, NULL, &idx, &why));
    cr_assert_eq(dk_host_now(&host), T0 + 500);
    /* Already ready: no time passes. */
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_wait(&ws, cl[0], DK_WAIT_ANY, T0 + 600, NULL, &idx, &why));
    cr_assert_eq(idx, 1);
    cr_assert_eq(dk_host_now(&host), T0 + 500);
}

Test(waitset, wait_ends_at_member_failure)
{
    uint32_t idx = 77;
    struct action fail2 = {.fence = f[2], .value = 1, .fail_status = DK_E_RESET};

    add(f[0], 1);
    add(f[1], 1);
    add(f[2], 1);
    at(T0 + 40, &fail2);
    cr_assert_eq(dk_waitset_wait(&ws, cl[0], DK_WAIT_ALL, T0 + 500, NULL, &idx, NULL), DK_E_RESET);
    cr_assert_eq(idx, 2);
    cr_assert_eq(dk_host_now(&host), T0 + 40);
    cr_assert_eq(waiters_used(), 0);
}

Test(waitset, wait_deadline_checks)
{
    enum dk_reason why;
    uint32_t idx;

    add(f[0], 1);
    EXPECT(DK_E_INVAL, DK_R_NO_DEADLINE, dk_waitset_wait(&ws, cl[0], DK_WAIT_ANY, 0, NULL, &idx, &why));
    EXPECT(DK_E_INVAL, DK_R_DEADLINE_TOO_FAR,
           dk_waitset_wait(&ws, cl[0], DK_WAIT_ANY, T0 + MAX_WAIT + 1, NULL, &idx, &why));
    cr_assert_eq(dk_host_now(&host), T0);
    EXPECT_ST(DK_E_TIMED_OUT,
              dk_waitset_wait(&ws, cl[0], DK_WAIT_ANY, T0 + MAX_WAIT, NULL, &idx, &why));
    cr_assert_eq(dk_host_now(&host), T0 + MAX_WAIT);
}

/* More members on one fence than it takes waiters: refused, nothing leaks. */
Test(waitset, waiter_refusal_leaves_nothing_registered)
{
    enum dk_reason why;
    uint32_t idx;

    for (unsigned i = 0; i < WPF + 1; i++)
        add(f[0], i + 1);
    EXPECT(DK_E_NO_SPACE, DK_R_WAITERS_FULL,
           dk_waitset_wait(&ws, cl[0], DK_WAIT_ALL, T0 + 100, NULL, &idx, &why));
    cr_assert_eq(waiters_used(), 0);
    cr_assert_eq(ft.slots[DK_HANDLE_INDEX(f[0])].nwaiters, 0);
    cr_assert_eq(dk_host_now(&host), T0);
}

Test(waitset, sixteen_ready_members)
{
    enum dk_reason why;
    uint32_t idx = 77;

    for (unsigned i = 0; i < DK_WAITSET_MAX; i++) {
        sig(f[i], i + 1);
        add(f[i], i + 1);
    }
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ALL, &idx, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_poll(&ws, cl[0], DK_WAIT_ANY, &idx, &why));
    cr_assert_eq(idx, 0);
    EXPECT(DK_OK, DK_R_NONE, dk_waitset_wait(&ws, cl[0], DK_WAIT_ALL, T0 + 10, NULL, &idx, &why));
    cr_assert_eq(dk_host_now(&host), T0);
}
