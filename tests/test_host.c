/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The deterministic host backend (include/driverkit/host.h): virtual clock,
 * scheduled events, the wait op, interrupts, VMOs with stable fake DMA
 * addresses, MMIO windows behind capability checks, and the vtable checks of
 * dk_backend_init() (include/driverkit/backend.h).
 */
#include <criterion/criterion.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <driverkit/driverkit.h>
#include <driverkit/host.h>

#define T0 1000u
#define PAGE 4096u
#define ARENA (64u * PAGE)

static struct dk_host host;
static _Alignas(PAGE) uint8_t arena[ARENA];
static const struct dk_backend *be;
static const struct dk_backend_ops *ops;

static void setup(void)
{
    cr_assert_eq(dk_host_init(&host, arena, sizeof arena, T0), DK_OK);
    be = dk_host_backend(&host);
    cr_assert_not_null(be);
    ops = be->ops;
    cr_assert_not_null(ops);
}

static void teardown(void)
{
    cr_assert_eq(dk_host_fini(&host), DK_OK);
    cr_assert_eq(dk_host_fini(&host), DK_OK, "fini is safe twice");
}

TestSuite(host, .init = setup, .fini = teardown);
TestSuite(host_events, .init = setup, .fini = teardown);
TestSuite(host_vmo, .init = setup, .fini = teardown);
TestSuite(host_mmio, .init = setup, .fini = teardown);
TestSuite(backend_ops, .init = setup, .fini = teardown);

static struct dk_host_stats stats(void)
{
    struct dk_host_stats s;
    cr_assert_eq(dk_host_stats(&host, &s), DK_OK);
    return s;
}

Test(host, init_checks_and_backend_binding)
{
    struct dk_host other;

    cr_assert_eq(dk_host_init(NULL, arena, sizeof arena, 0), DK_E_INVAL);
    cr_assert_eq(dk_host_init(&other, NULL, sizeof arena, 0), DK_E_INVAL);
    cr_assert_eq(dk_host_init(&other, arena, 0, 0), DK_E_INVAL);
    cr_assert_eq(ops->abi_version, DK_BACKEND_ABI_VERSION);
    cr_assert_geq(ops->size, sizeof(struct dk_backend_ops));
    cr_assert_eq(dk_host_from_backend(be), &host);
    cr_assert_null(dk_host_from_backend(NULL));
    cr_assert_null(dk_host_backend(NULL));
}

Test(host, clock_moves_only_when_told)
{
    cr_assert_eq(dk_host_now(&host), T0);
    cr_assert_eq(dk_backend_now(be), T0);
    cr_assert_eq(ops->now_ns(be->ctx), T0);
    cr_assert_eq(dk_host_now(&host), T0, "reading the clock moved it");
    cr_assert_eq(dk_host_advance(&host, 0), DK_OK);
    cr_assert_eq(dk_host_now(&host), T0);
    cr_assert_eq(dk_host_advance(&host, 250), DK_OK);
    cr_assert_eq(dk_host_now(&host), T0 + 250);
    cr_assert_eq(dk_backend_now(be), T0 + 250);
    cr_assert_eq(dk_host_advance(&host, UINT64_MAX), DK_E_RANGE);
    cr_assert_eq(dk_host_now(&host), T0 + 250, "a refused advance moved the clock");
    cr_assert_eq(dk_host_advance(NULL, 1), DK_E_INVAL);
}

/* Events record the order and the instant they fired at. */
static unsigned fired_order[16];
static uint64_t fired_at[16];
static unsigned nfired;

static void record_fn(void *arg, struct dk_host *h)
{
    unsigned tag = (unsigned)(uintptr_t)arg;
    cr_assert_eq(h, &host);
    if (nfired < 16) {
        fired_order[nfired] = tag;
        fired_at[nfired] = dk_host_now(h);
    }
    nfired++;
}

static void chain_fn(void *arg, struct dk_host *h)
{
    record_fn(arg, h);
    cr_assert_eq(dk_host_schedule(h, dk_host_now(h) + 5, record_fn, (void *)(uintptr_t)99, NULL),
                 DK_OK);
}

static void sched(uint64_t at, unsigned tag)
{
    cr_assert_eq(dk_host_schedule(&host, at, record_fn, (void *)(uintptr_t)tag, NULL), DK_OK);
}

Test(host_events, fire_in_time_order_ties_in_schedule_order)
{
    sched(T0 + 30, 1);
    sched(T0 + 10, 2);
    sched(T0 + 30, 3);
    sched(T0 + 20, 4);
    sched(T0 + 10, 5);
    sched(T0 + 500, 6);
    cr_assert_eq(dk_host_advance(&host, 100), DK_OK);
    cr_assert_eq(nfired, 5);
    const unsigned order[5] = {2, 5, 4, 1, 3};
    const uint64_t when[5] = {T0 + 10, T0 + 10, T0 + 20, T0 + 30, T0 + 30};
    for (unsigned i = 0; i < 5; i++) {
        cr_assert_eq(fired_order[i], order[i], "event %u", i);
        cr_assert_eq(fired_at[i], when[i], "event %u fired at %llu", i,
                     (unsigned long long)fired_at[i]);
    }
    cr_assert_eq(dk_host_now(&host), T0 + 100);
    cr_assert_eq(stats().events_fired, 5);
    cr_assert_eq(dk_host_advance(&host, 400), DK_OK);
    cr_assert_eq(nfired, 6);
    cr_assert_eq(fired_at[5], T0 + 500);
}

Test(host_events, event_may_schedule_another_due_in_the_same_advance)
{
    cr_assert_eq(dk_host_schedule(&host, T0 + 10, chain_fn, (void *)(uintptr_t)1, NULL), DK_OK);
    cr_assert_eq(dk_host_advance(&host, 20), DK_OK);
    cr_assert_eq(nfired, 2);
    cr_assert_eq(fired_order[1], 99);
    cr_assert_eq(fired_at[1], T0 + 15);
}

Test(host_events, past_refused_table_bounded_cancel_works)
{
    uint32_t id, id2;

    cr_assert_eq(dk_host_advance(&host, 100), DK_OK);
    cr_assert_eq(dk_host_schedule(&host, T0 + 99, record_fn, NULL, NULL), DK_E_INVAL);
    cr_assert_eq(dk_host_schedule(&host, T0 + 200, NULL, NULL, NULL), DK_E_INVAL);
    cr_assert_eq(dk_host_schedule(&host, T0 + 200, record_fn, (void *)(uintptr_t)7, &id), DK_OK);
    for (unsigned i = 1; i < DK_HOST_EVENTS_MAX; i++)
        sched(T0 + 300 + i, 8);
    cr_assert_eq(dk_host_schedule(&host, T0 + 1000, record_fn, NULL, NULL), DK_E_NO_SPACE);
    cr_assert_eq(dk_host_cancel(&host, id), DK_OK);
    cr_assert_eq(dk_host_cancel(&host, id), DK_E_NOT_FOUND);
    cr_assert_eq(dk_host_schedule(&host, T0 + 250, record_fn, (void *)(uintptr_t)9, &id2), DK_OK);
    cr_assert_eq(dk_host_advance(&host, 200), DK_OK);
    cr_assert_eq(nfired, 1, "the cancelled event fired");
    cr_assert_eq(fired_order[0], 9);
    cr_assert_eq(dk_host_cancel(&host, id2), DK_E_NOT_FOUND, "cancel of a fired event");
    cr_assert_eq(dk_host_advance(&host, 1000), DK_OK);
    cr_assert_eq(nfired, DK_HOST_EVENTS_MAX);
    cr_assert_eq(dk_host_cancel(NULL, id), DK_E_INVAL);
}

Test(host_events, wait_jumps_to_next_event_or_exactly_to_deadline)
{
    uint32_t ev = 0xff;
    uint64_t t;

    cr_assert_eq(ops->wait(be->ctx, 0, &ev), DK_E_INVAL);
    cr_assert_eq(dk_host_now(&host), T0);
    sched(T0 + 40, 1);
    sched(T0 + 100, 2);
    cr_assert_eq(ops->wait(be->ctx, T0 + 100, &ev), DK_OK);
    cr_assert(ev & DK_EVENT_TIMER);
    cr_assert_eq(dk_host_now(&host), T0 + 40);
    cr_assert_eq(nfired, 1);
    /* An event exactly at the deadline is still before it. */
    cr_assert_eq(ops->wait(be->ctx, T0 + 100, &ev), DK_OK);
    cr_assert_eq(dk_host_now(&host), T0 + 100);
    cr_assert_eq(nfired, 2);
    ev = 0xff;
    cr_assert_eq(ops->wait(be->ctx, T0 + 300, &ev), DK_E_TIMED_OUT);
    cr_assert_eq(ev, 0);
    cr_assert_eq(dk_host_now(&host), T0 + 300);
    /* An event after the deadline neither fires nor is jumped to. */
    sched(T0 + 500, 3);
    cr_assert_eq(ops->wait(be->ctx, T0 + 400, &ev), DK_E_TIMED_OUT);
    cr_assert_eq(dk_host_now(&host), T0 + 400);
    cr_assert_eq(nfired, 2);
    /* A deadline already past: no time travel in either direction. */
    t = dk_host_now(&host);
    cr_assert_eq(ops->wait(be->ctx, T0 + 5, &ev), DK_E_TIMED_OUT);
    cr_assert_eq(dk_host_now(&host), t);
    cr_assert_geq(stats().waits, 5);
    cr_assert_geq(stats().timeouts, 3);
}

/* An interrupt is reported by one wait, then not again until acknowledged:
 * a waiter that never acks must not get DK_OK at once for ever (regression:
 * an unacked IRQ made dk_fence_wait spin without the clock moving). */
Test(host_events, pending_irq_wakes_wait_once_until_acked)
{
    uint32_t ev = 0;

    cr_assert_not_null(ops->irq_bind);
    cr_assert_not_null(ops->irq_ack);
    cr_assert_eq(ops->irq_bind(be->ctx, 5), DK_OK);
    cr_assert_eq(dk_host_raise_irq(&host, DK_HOST_IRQS), DK_E_INVAL);
    cr_assert_eq(dk_host_raise_irq(&host, 5), DK_OK);
    cr_assert_eq(stats().irqs_raised, 1);
    cr_assert_eq(ops->wait(be->ctx, T0 + 100, &ev), DK_OK);
    cr_assert(ev & DK_EVENT_IRQ);
    cr_assert_eq(dk_host_now(&host), T0);
    cr_assert_eq(ops->wait(be->ctx, T0 + 100, &ev), DK_E_TIMED_OUT, "reported once until acked");
    cr_assert_eq(dk_host_now(&host), T0 + 100);
    cr_assert_eq(dk_host_raise_irq(&host, 5), DK_OK); /* coalesces while unacked */
    cr_assert_eq(ops->wait(be->ctx, T0 + 200, &ev), DK_E_TIMED_OUT);
    cr_assert_eq(ops->irq_ack(be->ctx, 5), DK_OK);
    cr_assert_eq(dk_host_raise_irq(&host, 5), DK_OK); /* re-armed: reported again */
    cr_assert_eq(ops->wait(be->ctx, T0 + 300, &ev), DK_OK);
    cr_assert(ev & DK_EVENT_IRQ);
    cr_assert_eq(dk_host_now(&host), T0 + 200);
}

/* A fence wait with an interrupt nobody acknowledges still ends at its
 * deadline on the virtual clock. */
Test(host_events, unacked_irq_does_not_hold_a_fence_wait)
{
    struct dk_client cs[1];
    struct dk_ledger l;
    struct dk_limits lim = {{1, 1, 1, 1, 1}};
    struct dk_fence_table ft;
    struct dk_fence slots[1];
    struct dk_fence_cfg fc = {0};
    uint16_t c;
    uint32_t f;

    cr_assert_eq(dk_ledger_init(&l, cs, 1, &lim, NULL, NULL), DK_OK);
    cr_assert_eq(dk_ledger_client_add(&l, 7, &lim, &c, NULL), DK_OK);
    fc.nslots = 1;
    fc.max_jump = 10;
    fc.max_wait_ns = 1000;
    fc.waiters_per_fence = 1;
    fc.ledger = &l;
    fc.backend = be;
    cr_assert_eq(dk_fence_table_init(&ft, &fc, slots, sizeof(slots), NULL), DK_OK);
    cr_assert_eq(dk_fence_create(&ft, c, &f, NULL), DK_OK);
    cr_assert_eq(ops->irq_bind(be->ctx, 3), DK_OK);
    cr_assert_eq(dk_host_raise_irq(&host, 3), DK_OK);
    cr_assert_eq(dk_fence_wait(&ft, c, f, 1, T0 + 500, NULL, NULL), DK_E_TIMED_OUT);
    cr_assert_eq(dk_host_now(&host), T0 + 500);
}

/* A backend may round a VMO up (the host does, to 64 bytes); never down. */
static uint64_t query_dma(uint64_t vmo, uint64_t len)
{
    struct dk_vmo_info info;
    cr_assert_eq(ops->vmo_query(be->ctx, vmo, &info), DK_OK);
    cr_assert_geq(info.len, len);
    if (len % 64 == 0)
        cr_assert_eq(info.len, len);
    return info.dma_addr;
}

Test(host_vmo, create_query_map_destroy)
{
    uint64_t vmo, dma;
    void *va = NULL;

    cr_assert_eq(ops->vmo_create(be->ctx, 0, &vmo), DK_E_INVAL);
    cr_assert_eq(ops->vmo_create(be->ctx, 2 * PAGE, &vmo), DK_OK);
    dma = query_dma(vmo, 2 * PAGE);
    cr_assert_eq(ops->vmo_map(be->ctx, vmo, 0, 2 * PAGE, DK_MAP_READ | DK_MAP_WRITE, &va), DK_OK);
    cr_assert_not_null(va);
    /* The fake DMA address is the arena offset above DK_HOST_DMA_BASE. */
    cr_assert_geq(dma, DK_HOST_DMA_BASE);
    cr_assert_eq((uint8_t *)va - arena, (ptrdiff_t)(dma - DK_HOST_DMA_BASE));
    for (unsigned i = 0; i < 2 * PAGE; i++)
        cr_assert_eq(((uint8_t *)va)[i], 0);
    memset(va, 0x5a, 2 * PAGE);
    cr_assert_eq(dk_host_dma_ptr(&host, dma, 2 * PAGE), va);
    cr_assert_eq(dk_host_dma_ptr(&host, dma + PAGE, 16), (uint8_t *)va + PAGE);
    /* Mapped: destroy refused until unmapped (when the backend can unmap). */
    cr_assert_eq(ops->vmo_destroy(be->ctx, vmo), DK_E_BUSY);
    cr_assert_not_null(ops->vmo_unmap, "host backend has vmo_unmap");
    cr_assert_eq(ops->vmo_unmap(be->ctx, va, 2 * PAGE), DK_OK);
    cr_assert_eq(ops->vmo_destroy(be->ctx, vmo), DK_OK);
    cr_assert_null(dk_host_dma_ptr(&host, dma, 16), "DMA into a destroyed VMO");
}

/* backend.h: vmo_map answers DK_E_INVAL (kernel EINVAL) for [off, off+len)
 * outside the VMO. */
Test(host_vmo, vmo_map_outside_vmo_is_inval)
{
    uint64_t vmo;
    void *va = NULL;

    cr_assert_eq(ops->vmo_create(be->ctx, 2 * PAGE, &vmo), DK_OK);
    cr_assert_eq(ops->vmo_map(be->ctx, vmo, PAGE, 2 * PAGE, DK_MAP_READ, &va), DK_E_INVAL);
    cr_assert_eq(ops->vmo_map(be->ctx, vmo, UINT64_MAX, 2, DK_MAP_READ, &va), DK_E_INVAL);
    cr_assert_eq(ops->vmo_map(be->ctx, vmo, 2 * PAGE + 1, 1, DK_MAP_READ, &va), DK_E_INVAL);
    cr_assert_null(va);
    cr_assert_eq(host.vmos[vmo - 1].maps, 0, "a refused map was counted");
    cr_assert_eq(ops->vmo_destroy(be->ctx, vmo), DK_OK);
}

/* backend.h: vmo_destroy, vmo_map and vmo_query answer DK_E_PERM (kernel
 * EPERM: not a VMO capability) for an id that names no live VMO. */
Test(host_vmo, unknown_vmo_is_perm)
{
    struct dk_vmo_info info;
    uint64_t vmo;
    void *va;

    cr_assert_eq(ops->vmo_create(be->ctx, PAGE, &vmo), DK_OK);
    cr_assert_eq(ops->vmo_destroy(be->ctx, vmo), DK_OK);
    cr_assert_eq(ops->vmo_destroy(be->ctx, vmo), DK_E_PERM);
    cr_assert_eq(ops->vmo_query(be->ctx, vmo, &info), DK_E_PERM);
    cr_assert_eq(ops->vmo_map(be->ctx, vmo, 0, PAGE, DK_MAP_READ, &va), DK_E_PERM);
    cr_assert_eq(ops->vmo_query(be->ctx, 0, &info), DK_E_PERM);
    cr_assert_eq(ops->vmo_query(be->ctx, UINT64_MAX, &info), DK_E_PERM);
}

Test(host_vmo, dma_ptr_only_inside_one_live_vmo)
{
    uint64_t a, b, da, db;

    cr_assert_eq(ops->vmo_create(be->ctx, PAGE, &a), DK_OK);
    cr_assert_eq(ops->vmo_create(be->ctx, PAGE, &b), DK_OK);
    da = query_dma(a, PAGE);
    db = query_dma(b, PAGE);
    cr_assert_neq(da, db);
    cr_assert_not_null(dk_host_dma_ptr(&host, da, PAGE));
    cr_assert_not_null(dk_host_dma_ptr(&host, da + PAGE - 1, 1));
    cr_assert_null(dk_host_dma_ptr(&host, da + PAGE - 1, 2), "straddles the end");
    cr_assert_null(dk_host_dma_ptr(&host, da, PAGE + 1));
    cr_assert_null(dk_host_dma_ptr(&host, da - 1, 2), "straddles the start");
    cr_assert_null(dk_host_dma_ptr(&host, DK_HOST_DMA_BASE + ARENA, 1), "past the arena");
    cr_assert_null(dk_host_dma_ptr(&host, da, UINT64_MAX), "length overflow");
    cr_assert_null(dk_host_dma_ptr(&host, UINT64_MAX - 1, 4));
    cr_assert_null(dk_host_dma_ptr(&host, 0, 1));
    /* Two adjacent VMOs are still two objects. */
    if (db == da + PAGE)
        cr_assert_null(dk_host_dma_ptr(&host, da + PAGE - 8, 16), "spans two VMOs");
    else if (da == db + PAGE)
        cr_assert_null(dk_host_dma_ptr(&host, db + PAGE - 8, 16), "spans two VMOs");
}

Test(host_vmo, same_creates_give_same_addresses)
{
    static _Alignas(PAGE) uint8_t arena2[ARENA];
    static struct dk_host h2;
    const uint64_t sizes[4] = {PAGE, 3 * PAGE, 100, 2 * PAGE};
    uint64_t id1[4], id2[4], d1[4], d2[4];
    const struct dk_backend *be2;

    cr_assert_eq(dk_host_init(&h2, arena2, sizeof arena2, 777), DK_OK);
    be2 = dk_host_backend(&h2);
    for (unsigned i = 0; i < 4; i++) {
        struct dk_vmo_info info;
        cr_assert_eq(ops->vmo_create(be->ctx, sizes[i], &id1[i]), DK_OK);
        cr_assert_eq(be2->ops->vmo_create(be2->ctx, sizes[i], &id2[i]), DK_OK);
        d1[i] = query_dma(id1[i], sizes[i]);
        cr_assert_eq(be2->ops->vmo_query(be2->ctx, id2[i], &info), DK_OK);
        d2[i] = info.dma_addr;
        cr_assert_eq(id1[i], id2[i], "vmo %u id", i);
        cr_assert_eq(d1[i], d2[i], "vmo %u dma address", i);
    }
    /* And again after a destroy in the middle. */
    cr_assert_eq(ops->vmo_destroy(be->ctx, id1[1]), DK_OK);
    cr_assert_eq(be2->ops->vmo_destroy(be2->ctx, id2[1]), DK_OK);
    cr_assert_eq(ops->vmo_create(be->ctx, PAGE, &id1[1]), DK_OK);
    cr_assert_eq(be2->ops->vmo_create(be2->ctx, PAGE, &id2[1]), DK_OK);
    struct dk_vmo_info i1, i2;
    cr_assert_eq(ops->vmo_query(be->ctx, id1[1], &i1), DK_OK);
    cr_assert_eq(be2->ops->vmo_query(be2->ctx, id2[1], &i2), DK_OK);
    cr_assert_eq(i1.dma_addr, i2.dma_addr);
    cr_assert_eq(dk_host_fini(&h2), DK_OK);
}

Test(host_vmo, arena_exhaustion_and_reuse)
{
    uint64_t big, small, again;
    uint64_t dbig;

    cr_assert_eq(ops->vmo_create(be->ctx, ARENA + 1, &big), DK_E_NO_MEMORY);
    cr_assert_eq(ops->vmo_create(be->ctx, UINT64_MAX, &big), DK_E_NO_MEMORY);
    cr_assert_eq(ops->vmo_create(be->ctx, ARENA, &big), DK_OK);
    dbig = query_dma(big, ARENA);
    cr_assert_eq(dbig, DK_HOST_DMA_BASE);
    cr_assert_eq(ops->vmo_create(be->ctx, 1, &small), DK_E_NO_MEMORY);
    cr_assert_eq(ops->vmo_destroy(be->ctx, big), DK_OK);
    cr_assert_eq(ops->vmo_create(be->ctx, ARENA, &again), DK_OK, "freed space not reused");
    cr_assert_eq(query_dma(again, ARENA), dbig);
}

/* The DMA generation moves by one per VMO destroyed and on nothing else:
 * a refused destroy takes no memory away, so it must not move it. */
Test(host_vmo, dma_gen_moves_once_per_destroy)
{
    uint64_t a, b, c, da, vd, vl;
    void *va = NULL;

    cr_assert_eq(dk_host_dma_gen(&host), 1u, "1 right after init");
    cr_assert_eq(ops->vmo_create(be->ctx, PAGE, &a), DK_OK);
    cr_assert_eq(ops->vmo_create(be->ctx, 100, &b), DK_OK);
    cr_assert_eq(ops->vmo_create(be->ctx, ARENA, &c), DK_E_NO_MEMORY);
    cr_assert_eq(ops->vmo_map(be->ctx, a, 0, PAGE, DK_MAP_READ | DK_MAP_WRITE, &va), DK_OK);
    da = query_dma(a, PAGE);
    cr_assert_eq(dk_host_dma_ptr(&host, da, PAGE), va);
    cr_assert_eq(dk_host_dma_vmo(&host, da + 8, 8, &vd, &vl), (uint8_t *)va + 8);
    cr_assert_null(dk_host_dma_ptr(&host, DK_HOST_DMA_BASE + ARENA, 1), "a refused translation");
    cr_assert_eq(dk_host_advance(&host, 100), DK_OK);
    cr_assert_eq(dk_host_dma_gen(&host), 1u, "create, map, query or translate moved it");

    cr_assert_eq(ops->vmo_destroy(be->ctx, a), DK_E_BUSY);
    cr_assert_eq(ops->vmo_destroy(be->ctx, 0), DK_E_PERM);
    cr_assert_eq(ops->vmo_destroy(be->ctx, 99), DK_E_PERM);
    cr_assert_eq(ops->vmo_destroy(be->ctx, UINT64_MAX), DK_E_PERM);
    cr_assert_eq(dk_host_dma_gen(&host), 1u, "a refused destroy moved it");
    cr_assert_eq(ops->vmo_unmap(be->ctx, va, PAGE), DK_OK);
    cr_assert_eq(dk_host_dma_gen(&host), 1u, "unmap moved it");

    cr_assert_eq(ops->vmo_destroy(be->ctx, a), DK_OK);
    cr_assert_eq(dk_host_dma_gen(&host), 2u);
    cr_assert_eq(ops->vmo_destroy(be->ctx, a), DK_E_PERM);
    cr_assert_eq(dk_host_dma_gen(&host), 2u, "destroying a destroyed VMO moved it");
    cr_assert_eq(ops->vmo_destroy(be->ctx, b), DK_OK);
    cr_assert_eq(dk_host_dma_gen(&host), 3u);
    for (unsigned i = 0; i < 8; i++) {
        cr_assert_eq(ops->vmo_create(be->ctx, PAGE, &c), DK_OK);
        cr_assert_eq(dk_host_dma_gen(&host), 3u + i);
        cr_assert_eq(ops->vmo_destroy(be->ctx, c), DK_OK);
        cr_assert_eq(dk_host_dma_gen(&host), 4u + i);
    }
}

/* dk_host_dma_vmo() answers exactly as dk_host_dma_ptr() does, and names
 * the VMO the range lies in: its DMA address and its rounded length. */
Test(host_vmo, dma_vmo_reports_the_containing_vmo)
{
    struct dk_vmo_info ia, ib;
    uint64_t a, b, vd, vl;
    uint8_t *pa, *pb;
    void *va;

    cr_assert_eq(ops->vmo_create(be->ctx, 100, &a), DK_OK);
    cr_assert_eq(ops->vmo_create(be->ctx, PAGE, &b), DK_OK);
    cr_assert_eq(ops->vmo_query(be->ctx, a, &ia), DK_OK);
    cr_assert_eq(ops->vmo_query(be->ctx, b, &ib), DK_OK);
    cr_assert_eq(ia.len, 128u, "100 bytes round up to 128");
    cr_assert_eq(ib.dma_addr, ia.dma_addr + 128u, "first fit: b follows a");
    cr_assert_eq(ops->vmo_map(be->ctx, a, 0, 128, DK_MAP_READ | DK_MAP_WRITE, &va), DK_OK);
    pa = va;
    cr_assert_eq(ops->vmo_map(be->ctx, b, 0, PAGE, DK_MAP_READ | DK_MAP_WRITE, &va), DK_OK);
    pb = va;

    vd = vl = 0;
    cr_assert_eq(dk_host_dma_vmo(&host, ia.dma_addr + 10, 20, &vd, &vl), pa + 10);
    cr_assert_eq(dk_host_dma_ptr(&host, ia.dma_addr + 10, 20), pa + 10);
    cr_assert_eq(vd, ia.dma_addr);
    cr_assert_eq(vl, 128u);
    vd = vl = 0;
    cr_assert_eq(dk_host_dma_vmo(&host, ia.dma_addr + 100, 28, &vd, &vl), pa + 100,
                 "the rounded tail belongs to the VMO");
    cr_assert_eq(vd, ia.dma_addr);
    cr_assert_eq(vl, 128u);
    vd = vl = 0;
    cr_assert_eq(dk_host_dma_vmo(&host, ib.dma_addr + PAGE - 4, 4, &vd, &vl), pb + PAGE - 4);
    cr_assert_eq(vd, ib.dma_addr);
    cr_assert_eq(vl, PAGE);

    /* Two adjacent VMOs are still two objects. */
    cr_assert_null(dk_host_dma_vmo(&host, ia.dma_addr + 120, 16, &vd, &vl), "spans a and b");
    cr_assert_null(dk_host_dma_ptr(&host, ia.dma_addr + 120, 16));
    cr_assert_null(dk_host_dma_vmo(&host, ia.dma_addr, 128 + PAGE, &vd, &vl));
    cr_assert_null(dk_host_dma_vmo(&host, ia.dma_addr, 0, &vd, &vl), "zero length");
    cr_assert_null(dk_host_dma_ptr(&host, ia.dma_addr, 0));
    cr_assert_null(dk_host_dma_vmo(&host, DK_HOST_DMA_BASE - 8, 16, &vd, &vl));
    cr_assert_null(dk_host_dma_vmo(&host, ib.dma_addr + PAGE, 1, &vd, &vl), "past the last VMO");
    cr_assert_null(dk_host_dma_vmo(NULL, ia.dma_addr, 8, &vd, &vl));

    /* Either out-pointer may be NULL. */
    cr_assert_eq(dk_host_dma_vmo(&host, ia.dma_addr, 8, NULL, NULL), pa);
    vd = 0;
    cr_assert_eq(dk_host_dma_vmo(&host, ib.dma_addr + 64, 8, &vd, NULL), pb + 64);
    cr_assert_eq(vd, ib.dma_addr);
    vl = 0;
    cr_assert_eq(dk_host_dma_vmo(&host, ib.dma_addr + 64, 8, NULL, &vl), pb + 64);
    cr_assert_eq(vl, PAGE);

    cr_assert_eq(ops->vmo_unmap(be->ctx, pa, 128), DK_OK);
    cr_assert_eq(ops->vmo_destroy(be->ctx, a), DK_OK);
    cr_assert_null(dk_host_dma_vmo(&host, ia.dma_addr, 8, &vd, &vl), "a is gone");
    cr_assert_eq(dk_host_dma_vmo(&host, ib.dma_addr, 8, &vd, &vl), pb);
    cr_assert_eq(vd, ib.dma_addr);
}

#define NHINT 6u

/* Translate [dma, dma + 8) of a live VMO and check both the pointer and
 * the VMO it is reported in. */
static void expect_dma(uint64_t dma, uint8_t *va, uint64_t vmo_dma, uint64_t vmo_len)
{
    uint64_t vd = 0, vl = 0;

    cr_assert_eq(dk_host_dma_ptr(&host, dma, 8), va, "dma %#llx", (unsigned long long)dma);
    cr_assert_eq(dk_host_dma_vmo(&host, dma, 8, &vd, &vl), va);
    cr_assert_eq(vd, vmo_dma);
    cr_assert_eq(vl, vmo_len);
}

static int hinted(uint64_t vmo)
{
    for (unsigned k = 0; k < sizeof host.dma_hint; k++)
        if (host.dma_hint[k] == vmo - 1u)
            return 1;
    return 0;
}

/* dk_host_dma_ptr() tries the slots that answered last first. A hinted
 * slot whose VMO was destroyed, then refilled by a shorter VMO at the same
 * place, must answer exactly like a slot found by the full scan. */
Test(host_vmo, dma_hints_stay_exact_after_destroy_and_reuse)
{
    const unsigned victim = 2;
    uint64_t id[NHINT], d[NHINT], nid, nd, wid, wd;
    uint8_t *va[NHINT], *nva, *wva;
    void *p;
    unsigned i, k;

    for (i = 0; i < NHINT; i++) {
        cr_assert_eq(ops->vmo_create(be->ctx, PAGE, &id[i]), DK_OK);
        cr_assert_eq(ops->vmo_map(be->ctx, id[i], 0, PAGE, DK_MAP_READ | DK_MAP_WRITE, &p), DK_OK);
        va[i] = p;
        d[i] = query_dma(id[i], PAGE);
    }
    /* Sweep 5, 4, ..., 0 four times (mostly misses: six VMOs, four hints),
     * each time touching the one swept before again (a hint hit). */
    for (k = 0; k < 4 * NHINT; k++) {
        i = NHINT - 1u - k % NHINT;
        expect_dma(d[i] + (k * 64u) % PAGE, va[i] + (k * 64u) % PAGE, d[i], PAGE);
        expect_dma(d[(i + 1u) % NHINT] + 8, va[(i + 1u) % NHINT] + 8, d[(i + 1u) % NHINT], PAGE);
    }
    cr_assert(hinted(id[victim]), "the test needs the victim's slot in the hints");

    cr_assert_eq(ops->vmo_unmap(be->ctx, va[victim], PAGE), DK_OK);
    cr_assert_eq(ops->vmo_destroy(be->ctx, id[victim]), DK_OK);
    cr_assert_null(dk_host_dma_ptr(&host, d[victim], 8), "DMA into a destroyed, hinted VMO");
    cr_assert_null(dk_host_dma_ptr(&host, d[victim] + PAGE - 8, 8));
    cr_assert_null(dk_host_dma_vmo(&host, d[victim] + 64, 8, NULL, NULL));
    cr_assert_null(dk_host_dma_ptr(&host, d[victim] - 8, 16), "ends in the hole");
    /* Hits on the other hinted slots pass over the dead one; misses leave
     * the hints as they were, so it stays hinted. */
    for (i = 0; i < NHINT; i++)
        if (i != victim && hinted(id[i]))
            expect_dma(d[i] + 128, va[i] + 128, d[i], PAGE);
    cr_assert(hinted(id[victim]));

    /* A shorter VMO in the same slot and the same place. */
    cr_assert_eq(ops->vmo_create(be->ctx, PAGE / 2, &nid), DK_OK);
    cr_assert_eq(nid, id[victim], "the lowest free slot is reused");
    nd = query_dma(nid, PAGE / 2);
    cr_assert_eq(nd, d[victim], "first fit reuses the hole");
    cr_assert_eq(ops->vmo_map(be->ctx, nid, 0, PAGE / 2, DK_MAP_READ | DK_MAP_WRITE, &p), DK_OK);
    nva = p;
    cr_assert_null(dk_host_dma_ptr(&host, nd + PAGE / 2, 8), "the old VMO's tail is in no VMO");
    cr_assert_null(dk_host_dma_ptr(&host, nd + PAGE / 2 - 8, 16));
    expect_dma(nd + 8, nva + 8, nd, PAGE / 2);
    expect_dma(nd + PAGE / 2 - 8, nva + PAGE / 2 - 8, nd, PAGE / 2);
    for (i = 0; i < NHINT; i++)
        if (i != victim)
            expect_dma(d[i] + 256, va[i] + 256, d[i], PAGE);

    /* And another in the rest of the hole, in a new slot. */
    cr_assert_eq(ops->vmo_create(be->ctx, PAGE / 2, &wid), DK_OK);
    wd = query_dma(wid, PAGE / 2);
    cr_assert_eq(wd, nd + PAGE / 2);
    cr_assert_eq(ops->vmo_map(be->ctx, wid, 0, PAGE / 2, DK_MAP_READ | DK_MAP_WRITE, &p), DK_OK);
    wva = p;
    expect_dma(wd, wva, wd, PAGE / 2);
    expect_dma(nd + 64, nva + 64, nd, PAGE / 2);
    cr_assert_null(dk_host_dma_ptr(&host, nd + PAGE / 2 - 8, 16), "spans the two halves");
    for (i = 0; i < NHINT; i++)
        if (i != victim)
            expect_dma(d[i] + PAGE - 8, va[i] + PAGE - 8, d[i], PAGE);
}

/* A simulated device's register file. */
struct fake_dev {
    uint32_t regs[1024];
    unsigned reads, writes;
    uint64_t last_off;
    unsigned last_width;
};

static uint32_t dev_read(void *d, uint64_t off, unsigned width)
{
    struct fake_dev *dev = d;
    dev->reads++;
    dev->last_off = off;
    dev->last_width = width;
    return dev->regs[off / 4] + (uint32_t)off;
}

static void dev_write(void *d, uint64_t off, unsigned width, uint32_t value)
{
    struct fake_dev *dev = d;
    dev->writes++;
    dev->last_off = off;
    dev->last_width = width;
    dev->regs[off / 4] = value;
}

static const struct dk_host_mmio_ops dev_ops = {dev_read, dev_write};
static struct fake_dev dev;

#define CAP 7u
#define WIN 0x1000u

Test(host_mmio, map_needs_grant_and_stays_inside_the_window)
{
    uintptr_t addr = 0;
    struct dk_vmo_info info;

    cr_assert_not_null(ops->mmio_map);
    cr_assert_eq(dk_host_window_add(&host, CAP, 0x10000000u, WIN, 3, &dev_ops, &dev), DK_OK);
    cr_assert_eq(dk_host_window_add(&host, CAP, 0x20000000u, WIN, 3, &dev_ops, &dev), DK_E_EXISTS);
    cr_assert_eq(dk_host_window_add(&host, 8, 0x20000000u, 2, 3, &dev_ops, &dev), DK_E_INVAL);
    cr_assert_eq(dk_host_window_add(&host, 8, 0x20000000u, WIN, DK_HOST_IRQS, &dev_ops, &dev),
                 DK_E_INVAL);
    cr_assert_eq(dk_host_window_add(&host, 8, 0x20000000u, DK_HOST_WINDOW_LEN_MAX + 4, 3, &dev_ops,
                                    &dev), DK_E_INVAL);
    /* Not granted: the kernel's EPERM, counted. */
    cr_assert_eq(dk_status_from_nx(-DK_NX_EPERM), DK_E_PERM);
    cr_assert_eq(ops->mmio_map(be->ctx, CAP, 0, WIN, &addr), DK_E_PERM);
    cr_assert_eq(ops->mmio_map(be->ctx, 99, 0, WIN, &addr), DK_E_PERM, "unknown cap");
    cr_assert_eq(stats().maps_denied, 2);
    cr_assert_eq(dk_host_grant(&host, 99), DK_E_NOT_FOUND);

    cr_assert_eq(dk_host_grant(&host, CAP), DK_OK);
    cr_assert_eq(ops->mmio_map(be->ctx, CAP, WIN, 4, &addr), DK_E_INVAL);
    cr_assert_eq(ops->mmio_map(be->ctx, CAP, WIN - 4, 8, &addr), DK_E_INVAL);
    cr_assert_eq(ops->mmio_map(be->ctx, CAP, UINT64_MAX - 3, 8, &addr), DK_E_INVAL);
    cr_assert_eq(ops->mmio_map(be->ctx, CAP, 0, WIN + 4, &addr), DK_E_INVAL);
    cr_assert_eq(stats().maps_denied, 2);
    cr_assert_eq(ops->mmio_map(be->ctx, CAP, 0, WIN, &addr), DK_OK);
    cr_assert_eq(ops->mmio_query(be->ctx, CAP, &info), DK_OK);
    cr_assert_eq(info.dma_addr, 0x10000000u);
    cr_assert_eq(info.len, WIN);
    cr_assert_eq(dev.reads + dev.writes, 0, "mapping touched the device");
}

static uintptr_t map_window(uint64_t off, uint64_t len)
{
    uintptr_t addr = 0;
    cr_assert_eq(dk_host_window_add(&host, CAP, 0x10000000u, WIN, 3, &dev_ops, &dev), DK_OK);
    cr_assert_eq(dk_host_grant(&host, CAP), DK_OK);
    cr_assert_eq(ops->mmio_map(be->ctx, CAP, off, len, &addr), DK_OK);
    return addr;
}

Test(host_mmio, accesses_reach_the_device_with_offset_and_width)
{
    uintptr_t base = map_window(0x100, 0x100); /* window offsets 0x100..0x1ff */
    static const unsigned widths[3] = {1, 2, 4};

    dev.regs[0x104 / 4] = 0xabcd0000u;
    cr_assert_eq(ops->mmio_read(be->ctx, base + 4, 4), 0xabcd0000u + 0x104);
    cr_assert_eq(dev.last_off, 0x104);
    cr_assert_eq(dev.last_width, 4);
    ops->mmio_write(be->ctx, base + 0x10, 4, 0x12345678u);
    cr_assert_eq(dev.last_off, 0x110);
    cr_assert_eq(dev.regs[0x110 / 4], 0x12345678u);
    for (unsigned i = 0; i < 3; i++) {
        unsigned before = dev.reads;
        (void)ops->mmio_read(be->ctx, base + 0x20, widths[i]);
        cr_assert_eq(dev.reads, before + 1);
        cr_assert_eq(dev.last_width, widths[i]);
        cr_assert_eq(dev.last_off, 0x120);
    }
    ops->mmio_write(be->ctx, base + 0x0fe, 2, 0xbeef);
    cr_assert_eq(dev.last_off, 0x1fe);
    cr_assert_eq(dev.last_width, 2);
    ops->barrier(be->ctx, DK_BARRIER_FULL);
    cr_assert_eq(stats().mmio_faults, 0);
}

Test(host_mmio, stray_accesses_fault_and_never_reach_the_device)
{
    uintptr_t base = map_window(0, WIN);
    unsigned r = dev.reads, w = dev.writes;

    (void)ops->mmio_read(be->ctx, base + WIN, 4);     /* one past the window */
    (void)ops->mmio_read(be->ctx, base + WIN - 2, 4); /* straddles its end */
    (void)ops->mmio_read(be->ctx, base + 2, 4);       /* misaligned */
    (void)ops->mmio_read(be->ctx, base + 1, 2);       /* misaligned */
    (void)ops->mmio_read(be->ctx, base, 3);           /* no such width */
    (void)ops->mmio_read(be->ctx, base, 8);
    (void)ops->mmio_read(be->ctx, base, 0);
    ops->mmio_write(be->ctx, base - 4, 4, 1);         /* before the window */
    ops->mmio_write(be->ctx, base + WIN + 2, 2, 1);
    ops->mmio_write(be->ctx, base + 6, 4, 1);
    cr_assert_eq(stats().mmio_faults, 10);
    cr_assert_eq(dev.reads, r);
    cr_assert_eq(dev.writes, w);
}

Test(host_mmio, revoke_unmaps_and_denies_later_maps)
{
    uintptr_t base = map_window(0, WIN), addr;
    unsigned r;

    (void)ops->mmio_read(be->ctx, base, 4);
    r = dev.reads;
    cr_assert_eq(dk_host_revoke(&host, CAP), DK_OK);
    cr_assert_eq(dk_host_revoke(&host, 99), DK_E_NOT_FOUND);
    (void)ops->mmio_read(be->ctx, base, 4);
    cr_assert_eq(dev.reads, r, "access after revoke reached the device");
    cr_assert_eq(stats().mmio_faults, 1);
    cr_assert_eq(ops->mmio_map(be->ctx, CAP, 0, WIN, &addr), DK_E_PERM);
    cr_assert_eq(stats().maps_denied, 1);
    /* Revoke unmapped the window: granting again does not revive old addresses. */
    cr_assert_eq(dk_host_grant(&host, CAP), DK_OK);
    (void)ops->mmio_read(be->ctx, base, 4);
    cr_assert_eq(dev.reads, r, "a revoked mapping came back with the grant");
    cr_assert_eq(stats().mmio_faults, 2);
    cr_assert_eq(ops->mmio_map(be->ctx, CAP, 0, WIN, &addr), DK_OK);
    (void)ops->mmio_read(be->ctx, addr, 4);
    cr_assert_eq(dev.reads, r + 1);
}

Test(host_mmio, window_table_is_bounded)
{
    for (unsigned i = 0; i < DK_HOST_WINDOWS_MAX; i++)
        cr_assert_eq(dk_host_window_add(&host, 100 + i, 0x10000000u + i * WIN, WIN, 0, &dev_ops, &dev),
                     DK_OK);
    cr_assert_eq(dk_host_window_add(&host, 500, 0x20000000u, WIN, 0, &dev_ops, &dev), DK_E_NO_SPACE);
}

/* dk_backend_init() checks a vtable once: copy the host's and break it. */
Test(backend_ops, vtable_checks)
{
    struct dk_backend_ops bad;
    struct dk_backend b;
    enum dk_reason why;

    memcpy(&bad, ops, sizeof bad);
    cr_assert_eq(dk_backend_init(&b, &bad, be->ctx, &why), DK_OK);
    cr_assert_eq(why, DK_R_NONE);
    cr_assert_eq(dk_backend_now(&b), T0);

    bad.abi_version = DK_BACKEND_ABI_VERSION + 1;
    cr_assert_eq(dk_backend_init(&b, &bad, be->ctx, &why), DK_E_VERSION);
    cr_assert_eq(why, DK_R_OPS_VERSION);
    bad.abi_version = 0;
    cr_assert_eq(dk_backend_init(&b, &bad, be->ctx, &why), DK_E_VERSION);
    cr_assert_eq(why, DK_R_OPS_VERSION);
    memcpy(&bad, ops, sizeof bad);
    bad.size = (uint32_t)offsetof(struct dk_backend_ops, kfence_destroy);
    cr_assert_eq(dk_backend_init(&b, &bad, be->ctx, &why), DK_E_VERSION);
    cr_assert_eq(why, DK_R_OPS_SIZE);
    bad.size = 0;
    cr_assert_eq(dk_backend_init(&b, &bad, be->ctx, &why), DK_E_VERSION);
    cr_assert_eq(why, DK_R_OPS_SIZE);

    cr_assert_eq(dk_backend_init(&b, NULL, be->ctx, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_backend_init(NULL, ops, be->ctx, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
}

#define CHECK_MISSING(field)                                                               \
    do {                                                                                   \
        memcpy(&bad, ops, sizeof bad);                                                     \
        bad.field = NULL;                                                                  \
        why = DK_R_NONE;                                                                   \
        cr_assert_eq(dk_backend_init(&b, &bad, be->ctx, &why), DK_E_INVAL, "NULL " #field); \
        cr_assert_eq(why, DK_R_OPS_MISSING, "NULL " #field);                               \
    } while (0)
#define CHECK_OPTIONAL(field)                                                              \
    do {                                                                                   \
        memcpy(&bad, ops, sizeof bad);                                                     \
        bad.field = NULL;                                                                  \
        cr_assert_eq(dk_backend_init(&b, &bad, be->ctx, &why), DK_OK, "NULL " #field);     \
    } while (0)

Test(backend_ops, mandatory_and_optional_slots)
{
    struct dk_backend_ops bad;
    struct dk_backend b;
    enum dk_reason why;

    CHECK_MISSING(now_ns);
    CHECK_MISSING(wait);
    CHECK_MISSING(vmo_create);
    CHECK_MISSING(vmo_destroy);
    CHECK_MISSING(vmo_map);
    CHECK_MISSING(vmo_query);
    /* The MMIO accessors are mandatory once mmio_map is given. */
    CHECK_MISSING(mmio_query);
    CHECK_MISSING(mmio_read);
    CHECK_MISSING(mmio_write);
    CHECK_MISSING(barrier);
    CHECK_OPTIONAL(vmo_unmap);
    CHECK_OPTIONAL(irq_bind);
    CHECK_OPTIONAL(irq_ack);
    CHECK_OPTIONAL(kfence_create);
    CHECK_OPTIONAL(kfence_signal);
    CHECK_OPTIONAL(kfence_wait);
    CHECK_OPTIONAL(kfence_destroy);
    /* Without mmio_map the whole MMIO set may be absent. */
    memcpy(&bad, ops, sizeof bad);
    bad.mmio_map = NULL;
    bad.mmio_query = NULL;
    bad.mmio_read = NULL;
    bad.mmio_write = NULL;
    bad.barrier = NULL;
    cr_assert_eq(dk_backend_init(&b, &bad, be->ctx, &why), DK_OK);
}
