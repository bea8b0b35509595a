/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared fixture of test_fence.c and test_fence_wait.c: a host backend
 * (virtual clock from T0), a ledger with NCLIENTS clients (cl[TIGHT] has
 * small fence and waiter quotas), a fence table (max_jump MAX_JUMP,
 * max_wait_ns MAX_WAIT, WPF waiters per fence) with an audit recorder,
 * snapshots that prove a refusal changed nothing, and scheduled actions.
 * Everything is static (inline) so each test file uses what it needs.
 */
#ifndef DK_TEST_FENCE_FIXTURE_H
#define DK_TEST_FENCE_FIXTURE_H

#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include <driverkit/driverkit.h>
#include <driverkit/host.h>

#define NCLIENTS 6u
#define NFENCES 8u
#define T0 1000u
#define MAX_JUMP 1000u
#define MAX_WAIT 1000000u
#define WPF 4u
#define TIGHT 5u /* cl[TIGHT] has 2 fences and 2 waiters */

static struct dk_host host;
static _Alignas(64) uint8_t arena[1u << 16];
static struct dk_client cslots[NCLIENTS];
static struct dk_ledger ledger;
static struct dk_fence fslots[NFENCES];
static struct dk_fence_table ft;
static uint16_t cl[NCLIENTS];
static struct dk_audit_event audits[32];
static unsigned naudits;

static inline void audit_fn(void *arg, const struct dk_audit_event *ev)
{
    (void)arg;
    if (naudits < DK_ARRAY_LEN(audits))
        audits[naudits] = *ev;
    naudits++;
}

static inline struct dk_limits limits_all(uint64_t n)
{
    struct dk_limits l;
    for (unsigned i = 0; i < DK_RES_COUNT; i++)
        l.max[i] = n;
    return l;
}

static inline void build(uint64_t max_jump)
{
    struct dk_limits g = limits_all(1u << 20), c = limits_all(1024), tight = limits_all(1024);
    struct dk_fence_cfg cfg;

    naudits = 0;
    cr_assert_eq(dk_host_init(&host, arena, sizeof arena, T0), DK_OK);
    cr_assert_eq(dk_ledger_init(&ledger, cslots, NCLIENTS, &g, NULL, NULL), DK_OK);
    tight.max[DK_RES_FENCES] = 2;
    tight.max[DK_RES_WAITERS] = 2;
    for (unsigned i = 0; i < NCLIENTS; i++)
        cr_assert_eq(dk_ledger_client_add(&ledger, 100 + i, i == TIGHT ? &tight : &c, &cl[i], NULL),
                     DK_OK);
    memset(&cfg, 0, sizeof cfg);
    cfg.nslots = NFENCES;
    cfg.max_jump = max_jump;
    cfg.max_wait_ns = MAX_WAIT;
    cfg.waiters_per_fence = WPF;
    cfg.ledger = &ledger;
    cfg.backend = dk_host_backend(&host);
    cfg.audit.fn = audit_fn;
    cr_assert(dk_fence_table_storage_size(NFENCES) > 0);
    cr_assert(dk_fence_table_storage_size(NFENCES) <= sizeof fslots);
    cr_assert_eq(dk_fence_table_init(&ft, &cfg, fslots, sizeof fslots, NULL), DK_OK);
}

static inline void setup(void)
{
    build(MAX_JUMP);
}

static inline void teardown(void)
{
    /* Every test leaves the ledger consistent, whatever it did. */
    cr_assert_eq(dk_ledger_check(&ledger), DK_OK);
}

/* Assert status and reason of a call that takes `&why` (a local in scope). */
#define EXPECT(st, rsn, expr)                                                              \
    do {                                                                                   \
        why = (enum dk_reason)9999;                                                        \
        int rc_ = (expr);                                                                  \
        cr_assert_eq(rc_, (st), "%s: got %s/%s, want %s/%s", #expr, dk_status_str(rc_),    \
                     dk_reason_str(why), dk_status_str(st), dk_reason_str(rsn));           \
        cr_assert_eq(why, (rsn), "%s: reason %s, want %s", #expr, dk_reason_str(why),      \
                     dk_reason_str(rsn));                                                  \
    } while (0)
/* Status only (WOULD_BLOCK and failure answers carry no documented reason). */
#define EXPECT_ST(st, expr)                                                                \
    do {                                                                                   \
        int rc_ = (expr);                                                                  \
        cr_assert_eq(rc_, (st), "%s: got %s, want %s", #expr, dk_status_str(rc_),          \
                     dk_status_str(st));                                                   \
    } while (0)

static inline uint64_t used(uint16_t slot, unsigned res)
{
    uint64_t u[DK_RES_COUNT];
    cr_assert_eq(dk_ledger_usage(&ledger, slot, u), DK_OK);
    return u[res];
}

static inline uint32_t mkfence(uint16_t client)
{
    uint32_t h = 0;
    cr_assert_eq(dk_fence_create(&ft, client, &h, NULL), DK_OK);
    cr_assert_neq(h, DK_HANDLE_INVALID);
    return h;
}

static inline struct dk_fence *slot_of(uint32_t h)
{
    return &ft.slots[DK_HANDLE_INDEX(h)];
}

static inline uint64_t value_of(uint16_t client, uint32_t h, int *fail)
{
    uint64_t v = 0xdead;
    int f = -1;
    cr_assert_eq(dk_fence_value(&ft, client, h, &v, &f), DK_OK);
    if (fail)
        *fail = f;
    return v;
}

/* Snapshots: a refusal must leave the slot and the ledger byte-identical. */
struct snap {
    struct dk_fence slot;
    struct dk_client clients[NCLIENTS];
    uint64_t gused[DK_RES_COUNT];
    uint32_t live;
};

static inline void take(struct snap *s, uint32_t h)
{
    memcpy(&s->slot, slot_of(h), sizeof s->slot);
    memcpy(s->clients, cslots, sizeof s->clients);
    memcpy(s->gused, ledger.used, sizeof s->gused);
    s->live = ft.live;
}

static inline void unchanged(const struct snap *s, uint32_t h)
{
    cr_assert(memcmp(&s->slot, slot_of(h), sizeof s->slot) == 0, "fence slot changed");
    cr_assert(memcmp(s->clients, cslots, sizeof s->clients) == 0, "client usage changed");
    cr_assert(memcmp(s->gused, ledger.used, sizeof s->gused) == 0, "ledger totals changed");
    cr_assert_eq(s->live, ft.live);
}

/* Things a scheduled host event does to the fence table. */
enum { ACT_NOP, ACT_SIGNAL, ACT_FAIL, ACT_RECLAIM };
struct action {
    int kind;
    uint16_t client;
    uint32_t handle;
    uint64_t value;
    int status;
    int rc;
    unsigned fired;
};

static inline void act_fn(void *arg, struct dk_host *h)
{
    struct action *a = arg;
    (void)h;
    a->fired++;
    switch (a->kind) {
    case ACT_SIGNAL: a->rc = dk_fence_signal(&ft, a->client, a->handle, a->value, NULL); break;
    case ACT_FAIL: a->rc = dk_fence_fail(&ft, a->client, a->handle, a->value, a->status, NULL); break;
    case ACT_RECLAIM: a->rc = dk_fence_reclaim_client(&ft, a->client, a->status, NULL); break;
    default: a->rc = DK_OK; break;
    }
}

static inline void at(uint64_t t, struct action *a)
{
    cr_assert_eq(dk_host_schedule(&host, t, act_fn, a, NULL), DK_OK);
}

static inline void waiter_init(struct dk_waiter *w, uint64_t target)
{
    memset(w, 0, sizeof *w);
    w->target = target;
}

#endif /* DK_TEST_FENCE_FIXTURE_H */
