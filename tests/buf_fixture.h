/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared fixture of test_buf.c and test_buf_life.c: a host backend over an
 * 8 MiB arena, a ledger (cl[BYTES_TIGHT] has a 2.5 MiB byte quota,
 * cl[BUFS_TIGHT] a two-buffer quota), a buffer table of NBUFS slots with
 * max_size MAX_SIZE and an audit recorder, and snapshots that prove a
 * refusal changed nothing (table, slots, ledger and live backend VMOs).
 * Everything is static (inline) so each test file uses what it needs.
 */
#ifndef DK_TEST_BUF_FIXTURE_H
#define DK_TEST_BUF_FIXTURE_H

#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include <driverkit/driverkit.h>
#include <driverkit/host.h>

#define MIB (1024u * 1024u)
#define NCLIENTS 4u
#define NBUFS 8u
#define MAX_SIZE MIB
#define BYTES_TIGHT 4u   /* cl[BYTES_TIGHT]: 2.5 MiB */
#define BUFS_TIGHT 3u    /* cl[BUFS_TIGHT]: 2 buffers */

static struct dk_host host;
static _Alignas(4096) uint8_t arena[8u * MIB];
static struct dk_client cslots[NCLIENTS + 1];
static struct dk_ledger ledger;
static struct dk_buf bslots[NBUFS];
static struct dk_buf_table bt;
static uint16_t cl[NCLIENTS + 1];
static struct dk_audit_event audits[16];
static unsigned naudits;

static inline void audit_fn(void *arg, const struct dk_audit_event *ev)
{
    (void)arg;
    if (naudits < DK_ARRAY_LEN(audits))
        audits[naudits] = *ev;
    naudits++;
}

static inline void build_on(uint64_t global_bytes, size_t arena_len, const struct dk_backend *be);

static inline void build(uint64_t global_bytes, size_t arena_len)
{
    build_on(global_bytes, arena_len, NULL);
}

/* @be: the backend the table uses; NULL for the host itself. */
static inline void build_on(uint64_t global_bytes, size_t arena_len, const struct dk_backend *be)
{
    struct dk_limits g, c;
    struct dk_buf_cfg cfg;

    for (unsigned i = 0; i < DK_RES_COUNT; i++)
        g.max[i] = c.max[i] = 1024;
    g.max[DK_RES_BYTES] = global_bytes;
    c.max[DK_RES_BYTES] = 8u * MIB;
    naudits = 0;
    cr_assert_eq(dk_host_init(&host, arena, arena_len, 1000), DK_OK);
    cr_assert_eq(dk_ledger_init(&ledger, cslots, NCLIENTS + 1, &g, NULL, NULL), DK_OK);
    for (unsigned i = 0; i <= NCLIENTS; i++) {
        struct dk_limits l = c;
        if (i == BYTES_TIGHT)
            l.max[DK_RES_BYTES] = 2u * MIB + MIB / 2;
        if (i == BUFS_TIGHT)
            l.max[DK_RES_BUFFERS] = 2;
        cr_assert_eq(dk_ledger_client_add(&ledger, 300 + i, &l, &cl[i], NULL), DK_OK);
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.nslots = NBUFS;
    cfg.max_size = MAX_SIZE;
    cfg.ledger = &ledger;
    cfg.backend = be != NULL ? be : dk_host_backend(&host);
    cfg.audit.fn = audit_fn;
    cr_assert(dk_buf_table_storage_size(NBUFS) > 0);
    cr_assert(dk_buf_table_storage_size(NBUFS) <= sizeof bslots);
    cr_assert_eq(dk_buf_table_init(&bt, &cfg, bslots, sizeof bslots, NULL), DK_OK);
}

static inline void setup(void)
{
    build(64u * MIB, sizeof arena);
}

static inline void teardown(void)
{
    cr_assert_eq(dk_ledger_check(&ledger), DK_OK);
}

#define EXPECT(st, rsn, expr)                                                              \
    do {                                                                                   \
        why = (enum dk_reason)9999;                                                        \
        int rc_ = (expr);                                                                  \
        cr_assert_eq(rc_, (st), "%s: got %s/%s, want %s/%s", #expr, dk_status_str(rc_),    \
                     dk_reason_str(why), dk_status_str(st), dk_reason_str(rsn));           \
        cr_assert_eq(why, (rsn), "%s: reason %s, want %s", #expr, dk_reason_str(why),      \
                     dk_reason_str(rsn));                                                  \
    } while (0)

static inline uint64_t used(uint16_t slot, unsigned res)
{
    uint64_t u[DK_RES_COUNT];
    cr_assert_eq(dk_ledger_usage(&ledger, slot, u), DK_OK);
    return u[res];
}

static inline unsigned host_live_vmos(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < DK_HOST_VMOS_MAX; i++)
        n += host.vmos[i].live != 0;
    return n;
}

static inline uint32_t mkbuf(uint16_t client, uint64_t size, unsigned rights)
{
    uint32_t h = 0;
    enum dk_reason why;
    EXPECT(DK_OK, DK_R_NONE, dk_buf_create(&bt, client, size, rights, &h, &why));
    cr_assert_neq(h, DK_HANDLE_INVALID);
    return h;
}

/* A refusal must leave the table, its slots, the ledger and the backend alone. */
struct snap {
    struct dk_buf_table table;
    struct dk_buf slots[NBUFS];
    struct dk_client clients[NCLIENTS + 1];
    uint64_t gused[DK_RES_COUNT];
    unsigned vmos;
};

static inline void take(struct snap *s)
{
    memcpy(&s->table, &bt, sizeof bt);
    memcpy(s->slots, bslots, sizeof bslots);
    memcpy(s->clients, cslots, sizeof cslots);
    memcpy(s->gused, ledger.used, sizeof s->gused);
    s->vmos = host_live_vmos();
}

static inline void unchanged(const struct snap *s)
{
    cr_assert(memcmp(&s->table, &bt, sizeof bt) == 0, "table changed");
    cr_assert(memcmp(s->slots, bslots, sizeof bslots) == 0, "slots changed");
    cr_assert(memcmp(s->clients, cslots, sizeof cslots) == 0, "client usage changed");
    cr_assert(memcmp(s->gused, ledger.used, sizeof s->gused) == 0, "ledger totals changed");
    cr_assert_eq(s->vmos, host_live_vmos(), "backend VMOs changed");
}

#endif /* DK_TEST_BUF_FIXTURE_H */
