/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-client and global accounting (ledger.h): client slots, quotas versus
 * global budgets, all-or-nothing charges, overflow-proof bounds, and the
 * invariant that the totals are the sum over clients.
 */
#include <criterion/criterion.h>

#include <string.h>

#include <driverkit/ledger.h>

#define NSLOTS 4u
#define LOG_MAX 32u

static struct dk_ledger L;
static struct dk_client slots[DK_LEDGER_CLIENTS_MAX];
static struct dk_audit_event audit_log[LOG_MAX];
static unsigned audit_n;

static void record(void *arg, const struct dk_audit_event *ev)
{
    (void)arg;
    cr_assert_lt(audit_n, LOG_MAX);
    audit_log[audit_n++] = *ev;
}

static struct dk_limits all(uint64_t v)
{
    struct dk_limits lim;
    for (unsigned r = 0; r < DK_RES_COUNT; r++)
        lim.max[r] = v;
    return lim;
}

static void setup(void)
{
    struct dk_limits global = all(100);
    struct dk_audit hook = {record, NULL};
    memset(&L, 0, sizeof(L));
    memset(audit_log, 0, sizeof(audit_log));
    audit_n = 0;
    cr_assert_eq(dk_ledger_init(&L, slots, NSLOTS, &global, &hook, NULL), DK_OK);
}

static void teardown(void)
{
    dk_ledger_fini(&L);
}

/* Snapshot of everything a refusal must leave alone. */
struct snap {
    struct dk_ledger l;
    struct dk_client c[NSLOTS];
};

static void take(struct snap *s)
{
    s->l = L;
    memcpy(s->c, slots, sizeof(s->c));
}

static void same(const struct snap *s, const char *what)
{
    cr_assert_eq(memcmp(&s->l, &L, sizeof(L)), 0, "%s changed the ledger", what);
    cr_assert_eq(memcmp(s->c, slots, sizeof(s->c)), 0, "%s changed a client slot", what);
}

static uint16_t add(uint32_t id, uint64_t limit)
{
    struct dk_limits lim = all(limit);
    uint16_t slot = 0xeeee;
    enum dk_reason why = DK_R_OS_ERROR;
    cr_assert_eq(dk_ledger_client_add(&L, id, &lim, &slot, &why), DK_OK, "add client %u", id);
    cr_assert_eq(why, DK_R_NONE);
    cr_assert_lt(slot, NSLOTS);
    return slot;
}

TestSuite(ledger, .init = setup, .fini = teardown);

Test(ledger, init_checks)
{
    struct dk_ledger l;
    struct dk_limits g = all(10);
    enum dk_reason why;

    why = DK_R_NONE;
    cr_assert_eq(dk_ledger_init(NULL, slots, 1, &g, NULL, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    why = DK_R_NONE;
    cr_assert_eq(dk_ledger_init(&l, NULL, 1, &g, NULL, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    why = DK_R_NONE;
    cr_assert_eq(dk_ledger_init(&l, slots, 1, NULL, NULL, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    why = DK_R_NONE;
    cr_assert_eq(dk_ledger_init(&l, slots, 0, &g, NULL, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_ZERO_LEN);
    why = DK_R_NONE;
    cr_assert_eq(dk_ledger_init(&l, slots, DK_LEDGER_CLIENTS_MAX + 1, &g, NULL, &why),
                 DK_E_INVAL);
    cr_assert_eq(why, DK_R_OVER_CAP);

    /* The largest table works, and init zeroes the caller's slots. */
    memset(slots, 0xa5, sizeof(slots));
    why = DK_R_OS_ERROR;
    cr_assert_eq(dk_ledger_init(&l, slots, DK_LEDGER_CLIENTS_MAX, &g, NULL, &why), DK_OK);
    cr_assert_eq(why, DK_R_NONE);
    for (unsigned i = 0; i < DK_LEDGER_CLIENTS_MAX; i++)
        cr_assert_eq(slots[i].live, 0, "slot %u not cleared", i);
    cr_assert_eq(l.live, 0u);
    cr_assert_eq(dk_ledger_check(&l), DK_OK);
    cr_assert_eq(dk_ledger_fini(&l), DK_OK);
}

Test(ledger, fini_twice_and_zeroed)
{
    struct dk_ledger z;
    struct dk_limits lim = all(1);
    uint16_t slot;
    enum dk_reason why = DK_R_NONE;
    memset(&z, 0, sizeof(z));
    cr_assert_eq(dk_ledger_fini(&z), DK_OK);
    cr_assert_eq(dk_ledger_fini(&z), DK_OK);
    cr_assert_eq(dk_ledger_fini(&L), DK_OK);
    cr_assert_eq(dk_ledger_fini(&L), DK_OK);
    cr_assert_eq(dk_ledger_client_add(&L, 1, &lim, &slot, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NOT_INIT, "add after fini: %s", dk_reason_str((int)why));
    cr_assert_eq(dk_ledger_client_add(&z, 1, &lim, &slot, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NOT_INIT);
    cr_assert_eq(dk_ledger_charge(&z, 0, DK_RES_BYTES, 1, NULL), DK_E_NOT_FOUND);
}

Test(ledger, client_add_find_remove)
{
    uint16_t a = add(1000, 10), b = add(2000, 10), found = 0xeeee;
    enum dk_reason why;
    cr_assert_neq(a, b);
    cr_assert_eq(L.live, 2u);
    cr_assert(dk_ledger_client_ok(&L, a));
    cr_assert_eq(slots[a].id, 1000u);
    cr_assert_eq(slots[a].limit[DK_RES_FENCES], 10u);

    cr_assert_eq(dk_ledger_client_find(&L, 2000, &found), DK_OK);
    cr_assert_eq(found, b);
    cr_assert_eq(dk_ledger_client_find(&L, 3000, &found), DK_E_NOT_FOUND);
    cr_assert_eq(dk_ledger_client_find(&L, 2000, NULL), DK_E_INVAL);
    cr_assert_eq(dk_ledger_client_find(NULL, 2000, &found), DK_E_INVAL);

    why = DK_R_OS_ERROR;
    cr_assert_eq(dk_ledger_client_remove(&L, a, &why), DK_OK);
    cr_assert_eq(why, DK_R_NONE);
    cr_assert_eq(L.live, 1u);
    cr_assert_not(dk_ledger_client_ok(&L, a));
    cr_assert_eq(dk_ledger_client_find(&L, 1000, &found), DK_E_NOT_FOUND);

    /* A removed slot answers BAD_CLIENT, as does a slot past the table. */
    struct snap s;
    take(&s);
    why = DK_R_NONE;
    cr_assert_eq(dk_ledger_client_remove(&L, a, &why), DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_BAD_CLIENT);
    cr_assert_eq(dk_ledger_client_remove(&L, NSLOTS, &why), DK_E_NOT_FOUND);
    cr_assert_eq(dk_ledger_client_remove(&L, 0xffff, &why), DK_E_NOT_FOUND);
    cr_assert_eq(dk_ledger_client_remove(NULL, b, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    same(&s, "a refused remove");

    /* The id can come back; its new slot starts with no usage. */
    uint16_t a2 = add(1000, 10);
    uint64_t used[DK_RES_COUNT];
    cr_assert_eq(dk_ledger_usage(&L, a2, used), DK_OK);
    for (unsigned r = 0; r < DK_RES_COUNT; r++)
        cr_assert_eq(used[r], 0u);
}

Test(ledger, client_add_refusals)
{
    struct dk_limits lim = all(1);
    uint16_t slot;
    enum dk_reason why;
    struct snap s;

    add(1, 1);
    take(&s);
    why = DK_R_NONE;
    cr_assert_eq(dk_ledger_client_add(&L, 1, &lim, &slot, &why), DK_E_EXISTS);
    cr_assert_eq(why, DK_R_CLIENT_EXISTS);
    same(&s, "a duplicate add");

    cr_assert_eq(dk_ledger_client_add(NULL, 9, &lim, &slot, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_ledger_client_add(&L, 9, NULL, &slot, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_ledger_client_add(&L, 9, &lim, NULL, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    same(&s, "a NULL-argument add");

    for (uint32_t id = 2; id <= NSLOTS; id++)
        add(id, 1);
    take(&s);
    why = DK_R_NONE;
    cr_assert_eq(dk_ledger_client_add(&L, 99, &lim, &slot, &why), DK_E_NO_SPACE);
    cr_assert_eq(why, DK_R_CLIENTS_FULL);
    same(&s, "an add to a full ledger");
    /* A duplicate is still a duplicate when the table is full. */
    cr_assert_eq(dk_ledger_client_add(&L, 3, &lim, &slot, &why), DK_E_EXISTS);
}

Test(ledger, remove_while_holding_is_busy)
{
    uint16_t a = add(1, 10);
    enum dk_reason why;
    for (unsigned r = 0; r < DK_RES_COUNT; r++) {
        struct snap s;
        cr_assert_eq(dk_ledger_charge(&L, a, r, 1, NULL), DK_OK);
        take(&s);
        why = DK_R_NONE;
        cr_assert_eq(dk_ledger_client_remove(&L, a, &why), DK_E_BUSY, "holding res %u", r);
        cr_assert_eq(why, DK_R_CLIENT_IN_USE);
        same(&s, "a refused remove");
        cr_assert_eq(dk_ledger_release(&L, a, r, 1), DK_OK);
    }
    cr_assert_eq(dk_ledger_client_remove(&L, a, &why), DK_OK);
}

Test(ledger, client_quota_versus_global_budget)
{
    /* Each client may take 60 of each resource; the global budget is 100. */
    uint16_t a = add(1, 60), b = add(2, 60);
    for (unsigned r = 0; r < DK_RES_COUNT; r++) {
        enum dk_reason why = DK_R_NONE;
        struct snap s;
        cr_assert_eq(dk_ledger_charge(&L, a, r, 60, &why), DK_OK);

        take(&s);
        why = DK_R_NONE;
        cr_assert_eq(dk_ledger_charge(&L, a, r, 1, &why), DK_E_QUOTA, "res %u", r);
        cr_assert_eq(why, (enum dk_reason)(DK_R_CLIENT_BYTES + r));
        same(&s, "a quota refusal");

        /* b is within its own quota (41 <= 60) but the global budget has 40 left. */
        why = DK_R_NONE;
        cr_assert_eq(dk_ledger_charge(&L, b, r, 41, &why), DK_E_NO_SPACE, "res %u", r);
        cr_assert_eq(why, (enum dk_reason)(DK_R_GLOBAL_BYTES + r));
        same(&s, "a global-budget refusal");

        /* Over both: the client's own quota is reported (checked first). */
        cr_assert_eq(dk_ledger_charge(&L, b, r, 61, &why), DK_E_QUOTA);
        cr_assert_eq(why, (enum dk_reason)(DK_R_CLIENT_BYTES + r));
        same(&s, "a double refusal");

        cr_assert_eq(dk_ledger_charge(&L, b, r, 40, &why), DK_OK);
        cr_assert_eq(dk_ledger_charge(&L, b, r, 0, &why), DK_OK, "zero always fits");
        cr_assert_eq(L.used[r], 100u);
        cr_assert_eq(dk_ledger_check(&L), DK_OK);
    }
}

/*
 * status.h: `why` receives the failing check's reason "or DK_R_NONE on
 * success". A caller that reuses one `why` across calls must not read a
 * stale reason after a charge that succeeded.
 */
Test(ledger, charge_success_leaves_stale_reason)
{
    uint16_t a = add(1, 10);
    enum dk_reason why = DK_R_NONE;
    cr_assert_eq(dk_ledger_charge(&L, a, DK_RES_BYTES, 11, &why), DK_E_QUOTA);
    cr_assert_eq(why, DK_R_CLIENT_BYTES);
    cr_assert_eq(dk_ledger_charge(&L, a, DK_RES_BYTES, 1, &why), DK_OK);
    cr_expect_eq(why, DK_R_NONE, "dk_ledger_charge succeeded but left reason %s",
                 dk_reason_str((int)why));
}

Test(ledger, charge_bad_client_or_resource)
{
    uint16_t a = add(1, 10);
    enum dk_reason why;
    struct snap s;
    take(&s);
    why = DK_R_NONE;
    cr_assert_eq(dk_ledger_charge(&L, a, DK_RES_COUNT, 1, &why), DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_BAD_CLIENT);
    cr_assert_eq(dk_ledger_charge(&L, (uint16_t)(a + 1), DK_RES_BYTES, 1, &why), DK_E_NOT_FOUND);
    cr_assert_eq(dk_ledger_charge(&L, NSLOTS, DK_RES_BYTES, 1, &why), DK_E_NOT_FOUND);
    cr_assert_eq(dk_ledger_charge(&L, DK_LEDGER_GLOBAL, DK_RES_BYTES, 1, &why), DK_E_NOT_FOUND);
    cr_assert_eq(dk_ledger_charge(NULL, a, DK_RES_BYTES, 1, &why), DK_E_NOT_FOUND);
    cr_assert_eq(dk_ledger_release(&L, a, DK_RES_COUNT, 0), DK_E_NOT_FOUND);
    cr_assert_eq(dk_ledger_release(&L, NSLOTS, DK_RES_BYTES, 0), DK_E_NOT_FOUND);
    cr_assert_eq(dk_ledger_release(NULL, a, DK_RES_BYTES, 0), DK_E_NOT_FOUND);
    same(&s, "a refused charge or release");
}

/* BOUND: no sum may wrap, whatever n and the limits are. */
Test(ledger, huge_amounts_never_overflow)
{
    struct dk_limits g = all(UINT64_MAX), lim = all(UINT64_MAX);
    uint16_t a, b;
    enum dk_reason why;
    struct snap s;

    dk_ledger_fini(&L);
    cr_assert_eq(dk_ledger_init(&L, slots, NSLOTS, &g, NULL, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_add(&L, 1, &lim, &a, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_add(&L, 2, &lim, &b, NULL), DK_OK);

    cr_assert_eq(dk_ledger_charge(&L, a, DK_RES_BYTES, 5, NULL), DK_OK);
    take(&s);
    why = DK_R_NONE;
    cr_assert_eq(dk_ledger_charge(&L, a, DK_RES_BYTES, UINT64_MAX, &why), DK_E_QUOTA);
    cr_assert_eq(why, DK_R_CLIENT_BYTES);
    cr_assert_eq(dk_ledger_charge(&L, b, DK_RES_BYTES, UINT64_MAX, &why), DK_E_NO_SPACE);
    cr_assert_eq(why, DK_R_GLOBAL_BYTES);
    cr_assert_eq(dk_ledger_charge(&L, b, DK_RES_BYTES, UINT64_MAX - 4, &why), DK_E_NO_SPACE);
    same(&s, "an overflowing charge");
    cr_assert_eq(dk_ledger_charge(&L, b, DK_RES_BYTES, UINT64_MAX - 5, &why), DK_OK);
    cr_assert_eq(L.used[DK_RES_BYTES], UINT64_MAX);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
    cr_assert_eq(dk_ledger_charge(&L, a, DK_RES_BYTES, 1, &why), DK_E_NO_SPACE);

    /* A full budget drains back to zero. */
    cr_assert_eq(dk_ledger_release(&L, b, DK_RES_BYTES, UINT64_MAX - 5), DK_OK);
    cr_assert_eq(dk_ledger_release(&L, a, DK_RES_BYTES, 5), DK_OK);
    cr_assert_eq(L.used[DK_RES_BYTES], 0u);

    /* A zero limit admits nothing but zero. */
    struct dk_limits zero = all(0);
    uint16_t c;
    cr_assert_eq(dk_ledger_client_add(&L, 3, &zero, &c, NULL), DK_OK);
    cr_assert_eq(dk_ledger_charge(&L, c, DK_RES_FENCES, 1, &why), DK_E_QUOTA);
    cr_assert_eq(dk_ledger_charge(&L, c, DK_RES_FENCES, UINT64_MAX, &why), DK_E_QUOTA);
    cr_assert_eq(dk_ledger_charge(&L, c, DK_RES_FENCES, 0, &why), DK_OK);
}

Test(ledger, over_release_is_corrupt_and_changes_nothing)
{
    uint16_t a = add(1, 50), b = add(2, 50);
    struct snap s;
    cr_assert_eq(dk_ledger_charge(&L, a, DK_RES_WAITERS, 3, NULL), DK_OK);
    cr_assert_eq(dk_ledger_charge(&L, b, DK_RES_WAITERS, 7, NULL), DK_OK);
    take(&s);
    /* b's charge must not cover a release made in a's name. */
    cr_assert_eq(dk_ledger_release(&L, a, DK_RES_WAITERS, 4), DK_E_CORRUPT);
    cr_assert_eq(dk_ledger_release(&L, a, DK_RES_WAITERS, UINT64_MAX), DK_E_CORRUPT);
    cr_assert_eq(dk_ledger_release(&L, a, DK_RES_BYTES, 1), DK_E_CORRUPT);
    same(&s, "a corrupt release");
    cr_assert_eq(dk_ledger_release(&L, a, DK_RES_WAITERS, 3), DK_OK);
    cr_assert_eq(dk_ledger_release(&L, a, DK_RES_WAITERS, 0), DK_OK);
    cr_assert_eq(L.used[DK_RES_WAITERS], 7u);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
}

Test(ledger, usage_per_client_and_global)
{
    uint16_t a = add(1, 50), b = add(2, 50);
    uint64_t used[DK_RES_COUNT];
    for (unsigned r = 0; r < DK_RES_COUNT; r++) {
        cr_assert_eq(dk_ledger_charge(&L, a, r, r + 1, NULL), DK_OK);
        cr_assert_eq(dk_ledger_charge(&L, b, r, 10 * (r + 1), NULL), DK_OK);
    }
    cr_assert_eq(dk_ledger_usage(&L, a, used), DK_OK);
    for (unsigned r = 0; r < DK_RES_COUNT; r++)
        cr_assert_eq(used[r], r + 1);
    cr_assert_eq(dk_ledger_usage(&L, b, used), DK_OK);
    for (unsigned r = 0; r < DK_RES_COUNT; r++)
        cr_assert_eq(used[r], 10 * (r + 1));
    cr_assert_eq(dk_ledger_usage(&L, DK_LEDGER_GLOBAL, used), DK_OK);
    for (unsigned r = 0; r < DK_RES_COUNT; r++)
        cr_assert_eq(used[r], 11 * (r + 1));

    cr_assert_eq(dk_ledger_usage(&L, a, NULL), DK_E_INVAL);
    cr_assert_eq(dk_ledger_usage(NULL, a, used), DK_E_INVAL);
    cr_assert_eq(dk_ledger_usage(&L, NSLOTS, used), DK_E_NOT_FOUND);
    uint16_t unused = 0;
    while (unused == a || unused == b)
        unused++;
    cr_assert_eq(dk_ledger_usage(&L, unused, used), DK_E_NOT_FOUND, "slot %u is not live", unused);
}

/* The invariant checker must notice a broken ledger, not only bless a good one. */
Test(ledger, check_detects_violations)
{
    uint16_t a = add(1, 50);
    cr_assert_eq(dk_ledger_check(NULL), DK_E_INVAL);
    cr_assert_eq(dk_ledger_charge(&L, a, DK_RES_BUFFERS, 5, NULL), DK_OK);
    cr_assert_eq(dk_ledger_check(&L), DK_OK);

    L.used[DK_RES_BUFFERS]++; /* totals no longer equal the sum */
    cr_assert_eq(dk_ledger_check(&L), DK_E_CORRUPT);
    L.used[DK_RES_BUFFERS]--;

    slots[a].used[DK_RES_BUFFERS] = 51; /* client over its limit ... */
    L.used[DK_RES_BUFFERS] = 51;        /* ... with consistent totals */
    cr_assert_eq(dk_ledger_check(&L), DK_E_CORRUPT);
    slots[a].used[DK_RES_BUFFERS] = 5;
    L.used[DK_RES_BUFFERS] = 5;
    cr_assert_eq(dk_ledger_check(&L), DK_OK);

    /* Every client within its quota, totals consistent, global budget (100) exceeded. */
    uint16_t b = add(2, 60);
    slots[a].used[DK_RES_BYTES] = 50;
    slots[b].used[DK_RES_BYTES] = 60;
    L.used[DK_RES_BYTES] = 110;
    cr_assert_eq(dk_ledger_check(&L), DK_E_CORRUPT);
    slots[a].used[DK_RES_BYTES] = 0;
    slots[b].used[DK_RES_BYTES] = 0;
    L.used[DK_RES_BYTES] = 0;
    cr_assert_eq(dk_ledger_check(&L), DK_OK);
}

/* xorshift64*: a fixed-seed generator, so every run draws the same sequence. */
static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

Test(ledger, random_charges_keep_the_invariant)
{
    static const uint64_t climit[NSLOTS] = {40, 25, 70, 10};
    uint64_t model[NSLOTS][DK_RES_COUNT] = {{0}};
    uint16_t slot[NSLOTS];
    rng_state = 0x9e3779b97f4a7c15ull;
    for (unsigned c = 0; c < NSLOTS; c++)
        slot[c] = add(100 + c, climit[c]);

    for (int step = 0; step < 20000; step++) {
        unsigned c = (unsigned)(rng() % NSLOTS), r = (unsigned)(rng() % DK_RES_COUNT);
        uint64_t n = rng() % 16, gsum = 0;
        int op = (int)(rng() % 3);
        /* DK_R_NONE on success is pinned by charge_success_leaves_stale_reason. */
        enum dk_reason why = DK_R_NONE;
        for (unsigned k = 0; k < NSLOTS; k++)
            gsum += model[k][r];
        if (rng() % 97 == 0)
            n = UINT64_MAX - (rng() % 3);

        if (op != 0) { /* charge twice as often as release */
            int want = DK_OK;
            enum dk_reason wr = DK_R_NONE;
            if (n > climit[c] - model[c][r]) {
                want = DK_E_QUOTA;
                wr = (enum dk_reason)(DK_R_CLIENT_BYTES + r);
            } else if (n > 100 - gsum) {
                want = DK_E_NO_SPACE;
                wr = (enum dk_reason)(DK_R_GLOBAL_BYTES + r);
            }
            cr_assert_eq(dk_ledger_charge(&L, slot[c], r, n, &why), want, "step %d", step);
            cr_assert_eq(why, wr, "step %d", step);
            if (want == DK_OK)
                model[c][r] += n;
        } else {
            int want = n > model[c][r] ? DK_E_CORRUPT : DK_OK;
            cr_assert_eq(dk_ledger_release(&L, slot[c], r, n), want, "step %d", step);
            if (want == DK_OK)
                model[c][r] -= n;
        }

        cr_assert_eq(dk_ledger_check(&L), DK_OK, "step %d", step);
        uint64_t total[DK_RES_COUNT] = {0}, used[DK_RES_COUNT], g[DK_RES_COUNT];
        for (unsigned k = 0; k < NSLOTS; k++) {
            cr_assert_eq(dk_ledger_usage(&L, slot[k], used), DK_OK);
            for (unsigned x = 0; x < DK_RES_COUNT; x++) {
                cr_assert_eq(used[x], model[k][x], "step %d client %u res %u", step, k, x);
                total[x] += used[x];
            }
        }
        cr_assert_eq(dk_ledger_usage(&L, DK_LEDGER_GLOBAL, g), DK_OK);
        for (unsigned x = 0; x < DK_RES_COUNT; x++)
            cr_assert_eq(g[x], total[x], "step %d res %u", step, x);
    }
}

Test(ledger, audit_client_add_and_remove)
{
    uint16_t a = add(4242, 5), b = add(77, 5);
    enum dk_reason why;
    cr_assert_eq(audit_n, 2u);
    cr_assert_eq(audit_log[0].kind, DK_AUDIT_CLIENT_ADD);
    cr_assert_eq(audit_log[0].client, 4242u);
    cr_assert_eq(audit_log[0].object, a);
    cr_assert_eq(audit_log[0].epoch, 0u, "not a device event");
    cr_assert_eq(audit_log[1].kind, DK_AUDIT_CLIENT_ADD);
    cr_assert_eq(audit_log[1].client, 77u);
    cr_assert_eq(audit_log[1].object, b);

    /* Refusals are not events. */
    struct dk_limits lim = all(1);
    uint16_t slot;
    cr_assert_eq(dk_ledger_client_add(&L, 77, &lim, &slot, &why), DK_E_EXISTS);
    cr_assert_eq(dk_ledger_charge(&L, a, DK_RES_BYTES, 1, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_remove(&L, a, &why), DK_E_BUSY);
    cr_assert_eq(audit_n, 2u, "a refusal was audited");

    cr_assert_eq(dk_ledger_release(&L, a, DK_RES_BYTES, 1), DK_OK);
    cr_assert_eq(dk_ledger_client_remove(&L, a, &why), DK_OK);
    cr_assert_eq(audit_n, 3u);
    cr_assert_eq(audit_log[2].kind, DK_AUDIT_CLIENT_REMOVE);
    cr_assert_eq(audit_log[2].client, 4242u);
    cr_assert_eq(audit_log[2].object, a);
}
