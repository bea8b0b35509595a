/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's fast chain walk against its general one
 * (src/backend/host/sim_internal.h), from identical device and host state:
 * dk_sim_walk_first fills a request exactly as dk_sim_walk does for every
 * chain it accepts, and leaves every other one (next out of range, loops,
 * too long, zero length, readable after writable, INDIRECT, unmapped,
 * straddling or uncached DMA, a stale IOTLB) to dk_sim_walk with nothing
 * changed, so the driver fault is the general walk's; so do tables of
 * random descriptors. The blk read fast path and the completion loop are
 * in test_sim_fast_exec.c.
 */
#include "sim_fast_fixture.h"

TestSuite(sim_fast, .fini = sf_teardown);

static struct dk_sim_dev snap_d, after_d;
static struct dk_host snap_h, after_h;

/* Bring both data VMOs into the IOTLB, as a running device has them. */
static void warm_tlb(void)
{
    dk_sim_tlb_sync(&SD, dk_host_dma_gen(&SH));
    cr_assert_not_null(dk_sim_dma(&SD, sf_dma(0), 1));
    cr_assert_not_null(dk_sim_dma(&SD, b_dma, 1));
    cr_assert_not_null(dk_sim_tlb_hit(&SD, sf_dma(0), 1));
    cr_assert_not_null(dk_sim_tlb_hit(&SD, b_dma, 1));
}

static void req_eq(const struct dk_sim_req *a, const struct dk_sim_req *b)
{
    cr_assert_eq(a->gen, b->gen);
    cr_assert_eq(a->nseg, b->nseg);
    cr_assert_eq(a->nread, b->nread);
    cr_assert_eq(a->readable, b->readable);
    cr_assert_eq(a->writable, b->writable);
    for (unsigned i = 0; i < a->nseg; i++) {
        cr_assert_eq(a->seg[i].addr, b->seg[i].addr, "seg %u", i);
        cr_assert_eq(a->seg[i].len, b->seg[i].len, "seg %u", i);
        cr_assert_eq(a->seg[i].ptr, b->seg[i].ptr, "seg %u", i);
    }
}

static int dev_same(const struct dk_sim_dev *a, const struct dk_host *h)
{
    return memcmp(a, &SD, sizeof SD) == 0 && memcmp(h, &SH, sizeof SH) == 0;
}

/*
 * Walk the chain at @head of tbl as a take does (dk_sim_walk_first, then
 * dk_sim_walk if it declines) and with dk_sim_walk alone, from the same
 * device and host state. Both must give the same answer, request and
 * state after (IOTLB included); a declining fast walk must have changed
 * nothing, its hint included. The fast walk is tried with every IOTLB hint
 * (and out-of-range ones): the hint orders the search and nothing else, so
 * the answer and request may not depend on it, and a taken chain leaves
 * the hint on an entry. Returns the answer; *fast says whether the fast
 * walk took it.
 */
static uint32_t walk_both(uint16_t head, int *fast)
{
    static const unsigned hints[] = {0u, 1u, 2u, 3u, 0xffffffffu};
    static struct dk_sim_req a, b;
    uint64_t gen = dk_host_dma_gen(&SH);
    uint32_t wf = 0, wa = 0, wb, first_wf = 0;

    dk_sim_tlb_sync(&SD, gen);
    memcpy(&snap_d, &SD, sizeof SD);
    memcpy(&snap_h, &SH, sizeof SH);
    memset(&b, 0x5a, sizeof b);
    wb = dk_sim_walk(&SD, &fq, tbl, head, &b);
    memcpy(&after_d, &SD, sizeof SD);
    memcpy(&after_h, &SH, sizeof SH);
    for (unsigned j = 0; j < sizeof hints / sizeof hints[0]; j++) {
        unsigned hint = hints[j];

        memcpy(&SD, &snap_d, sizeof SD);
        memcpy(&SH, &snap_h, sizeof SH);
        memset(&a, 0xa5, sizeof a);
        wf = dk_sim_walk_first(&SD, &fq, tbl, head, gen, &hint, &a);
        if (wf == DK_SIM_WALK_GENERAL) {
            cr_assert(dev_same(&snap_d, &snap_h), "a declining fast walk changed the device");
            cr_assert_eq(hint, hints[j], "a declining fast walk moved the hint");
            wa = dk_sim_walk(&SD, &fq, tbl, head, &a);
        } else {
            cr_assert_eq(wf, DK_SIM_DF_NONE, "the fast walk gave a reason of its own");
            cr_assert_lt(hint, DK_SIM_TLB);
            wa = wf;
        }
        cr_assert_eq(wa, wb, "head %u: %u with the fast walk, %u without", head, wa, wb);
        cr_assert(dev_same(&after_d, &after_h), "head %u: the state after differs", head);
        if (wa == DK_SIM_DF_NONE)
            req_eq(&a, &b);
        if (j == 0)
            first_wf = wf;
        cr_assert_eq(wf, first_wf, "head %u: hint %u changes whether the fast walk takes it", head,
                     hints[j]);
    }
    if (fast != NULL)
        *fast = wf != DK_SIM_WALK_GENERAL;
    return wa;
}

static void expect_fast(uint16_t head)
{
    int fast = 0;

    cr_assert_eq(walk_both(head, &fast), DK_SIM_DF_NONE);
    cr_assert(fast, "head %u: the fast walk declined a plain chain", head);
}

static void expect_general(uint16_t head, uint32_t why)
{
    int fast = 1;
    uint32_t got = walk_both(head, &fast);

    cr_assert_eq(got, why, "head %u: reason %u, wanted %u", head, got, why);
    cr_assert(!fast, "head %u: the fast walk took it", head);
}

Test(sim_fast, walk_first_takes_plain_chains)
{
    unsigned i;

    fast_up(2, 0);
    warm_tlb();
    /* blk read: header and status in one VMO, data in the other. */
    tdesc(0, sf_dma(0), 16, NX, 1);
    tdesc(1, b_dma + SF_PAGE, 4096, WR | NX, 2);
    tdesc(2, sf_dma(32), 1, WR, 0);
    expect_fast(0);
    /* blk write, and one buffer alone (rng-like), readable or writable. */
    tdesc(3, sf_dma(64), 16, NX, 4);
    tdesc(4, b_dma, 512, NX, 5);
    tdesc(5, sf_dma(96), 1, WR, 0);
    expect_fast(3);
    tdesc(6, b_dma + 5, 77, WR, 0);
    expect_fast(6);
    tdesc(7, sf_dma(0), 3, 0, 0);
    expect_fast(7);
    /* Out of order in the table, to the last byte of each VMO. */
    tdesc(63, sf_dma(SF_BUF_LEN - 16u), 16, NX, 8);
    tdesc(8, b_dma, B_LEN, WR | NX, 40);
    tdesc(40, sf_dma(SF_BUF_LEN - 1u), 1, WR, 0);
    expect_fast(63);
    /* Exactly DK_VIRTQ_CHAIN_MAX buffers, readable then writable. */
    for (i = 0; i < DK_VIRTQ_CHAIN_MAX; i++)
        tdesc((uint16_t)(10u + i), i % 2 ? b_dma + 64u * i : sf_dma(64u * i), 7u + i,
              (uint16_t)((i >= 5 ? WR : 0) | (i + 1u < DK_VIRTQ_CHAIN_MAX ? NX : 0)),
              (uint16_t)(11u + i));
    expect_fast(10);
    /* Unused flag bits mean nothing (the general walk ignores them too). */
    tdesc(30, sf_dma(0), 16, (uint16_t)(NX | 0x8000u), 31);
    tdesc(31, sf_dma(32), 1, (uint16_t)(WR | 0x0010u), 0);
    expect_fast(30);
    sf_down();
}

Test(sim_fast, walk_first_leaves_hostile_chains_to_the_general_walk)
{
    unsigned i;

    fast_up(2, 0);
    warm_tlb();
    fq.num = 32;
    /* next out of range, at the first hop and later. */
    tdesc(0, sf_dma(0), 16, NX, 32);
    expect_general(0, DK_SIM_DF_DESC_RANGE);
    tdesc(1, sf_dma(0), 16, NX, 2);
    tdesc(2, b_dma, 512, WR | NX, 0xffff);
    expect_general(1, DK_SIM_DF_DESC_RANGE);
    /* Loops: to itself, to the head, and a long cycle inside the table. */
    tdesc(3, sf_dma(0), 16, NX, 3);
    expect_general(3, DK_SIM_DF_LOOP);
    tdesc(4, sf_dma(0), 16, NX, 5);
    tdesc(5, b_dma, 512, WR | NX, 4);
    expect_general(4, DK_SIM_DF_LOOP);
    for (i = 0; i < 10u; i++)
        tdesc((uint16_t)(6u + i), sf_dma(8u * i), 8, NX, (uint16_t)(6u + (i + 1u) % 10u));
    expect_general(6, DK_SIM_DF_LOOP);

    /* Zero length, first and later. */
    tdesc(26, sf_dma(0), 0, NX, 27);
    expect_general(26, DK_SIM_DF_ZERO_LEN);
    tdesc(27, sf_dma(0), 16, NX, 28);
    tdesc(28, b_dma, 0, WR, 0);
    expect_general(27, DK_SIM_DF_ZERO_LEN);
    /* Readable after writable. */
    tdesc(29, sf_dma(0), 16, WR | NX, 30);
    tdesc(30, b_dma, 16, 0, 0);
    expect_general(29, DK_SIM_DF_ORDER);
    /* INDIRECT, not negotiated. */
    tdesc(31, sf_dma(1024), 32, IND, 0);
    expect_general(31, DK_SIM_DF_INDIRECT);
    sf_down();
}

Test(sim_fast, walk_first_leaves_bad_dma_to_the_general_walk)
{
    uint8_t *c_va;
    uint64_t c_dma, c;

    fast_up(1, 0);
    warm_tlb();
    /* Unmapped, below the DMA base, past the end of a VMO, wrapping. */
    tdesc(0, 0x1000, 16, NX, 1);
    tdesc(1, sf_dma(32), 1, WR, 0);
    expect_general(0, DK_SIM_DF_DESC_DMA);
    tdesc(2, sf_dma(0), 16, NX, 3);
    tdesc(3, b_dma + B_LEN - 256u, 512, WR | NX, 4);
    tdesc(4, sf_dma(32), 1, WR, 0);
    expect_general(2, DK_SIM_DF_DESC_DMA);
    tdesc(5, sf_dma(0), 16, NX, 6);
    tdesc(6, UINT64_MAX - 7u, 16, WR, 0);
    expect_general(5, DK_SIM_DF_DESC_DMA);
    tdesc(7, b_dma + B_LEN, 1, WR, 0);
    expect_general(7, DK_SIM_DF_DESC_DMA);
    /* A buffer in a live VMO the IOTLB does not hold: the general walk
     * translates it (and caches it) instead. */
    c = sf_vmo(SF_PAGE, &c_va, &c_dma);
    tdesc(8, sf_dma(0), 16, NX, 9);
    tdesc(9, c_dma, 512, WR | NX, 10);
    tdesc(10, sf_dma(32), 1, WR, 0);
    expect_general(8, DK_SIM_DF_NONE);
    /* After any VMO went away the IOTLB is stale until synced: a walk
     * given a generation the IOTLB is not at declines. */
    cr_assert_eq(sf_ops->vmo_unmap(sf_ctx, c_va, SF_PAGE), DK_OK);
    cr_assert_eq(sf_ops->vmo_destroy(sf_ctx, c), DK_OK);
    {
        static struct dk_sim_req r;
        unsigned hint = 0;

        cr_assert_eq(dk_sim_walk_first(&SD, &fq, tbl, 2, dk_host_dma_gen(&SH), &hint, &r),
                     DK_SIM_WALK_GENERAL);
    }
    expect_general(8, DK_SIM_DF_DESC_DMA);
    sf_down();
}

Test(sim_fast, walk_first_leaves_long_chains_and_indirect_tables_to_the_general_walk)
{
    unsigned i;
    uint8_t *it;

    fast_up(2, F(DK_VIRTIO_F_INDIRECT_DESC));
    warm_tlb();
    it = sf_va(2048);
    fq.num = 256;
    /* DK_VIRTQ_CHAIN_MAX + 1 distinct descriptors. */
    for (i = 0; i <= DK_VIRTQ_CHAIN_MAX; i++)
        tdesc((uint16_t)(100u + i), sf_dma(16u * i), 16,
              (uint16_t)(i < DK_VIRTQ_CHAIN_MAX ? NX : 0), (uint16_t)(101u + i));
    expect_general(100, DK_SIM_DF_CHAIN_LONG);
    /* A cycle longer than a chain may be: too long before it loops. */
    for (i = 0; i < 20u; i++)
        tdesc((uint16_t)(200u + i), sf_dma(8u * i), 8, NX, (uint16_t)(200u + (i + 7u) % 20u));
    expect_general(200, DK_SIM_DF_CHAIN_LONG);
    /* A valid indirect table (negotiated): the general walk takes it. */
    for (i = 0; i < 3u; i++) {
        sf_st64(it + 16u * i, i == 1 ? b_dma : sf_dma(64u * i));
        sf_st32(it + 16u * i + 8, i == 1 ? 512u : 16u);
        sf_st16(it + 16u * i + 12, (uint16_t)((i ? WR : 0) | (i < 2 ? NX : 0)));
        sf_st16(it + 16u * i + 14, (uint16_t)(i + 1u));
    }
    tdesc(0, sf_dma(2048), 48, IND, 0);
    expect_general(0, DK_SIM_DF_NONE);
    /* A table may end a chain of plain descriptors; not with NEXT, nor of
     * a length that is no whole number of descriptors. */
    tdesc(1, sf_dma(0), 16, NX, 0);
    expect_general(1, DK_SIM_DF_NONE);
    tdesc(2, sf_dma(2048), 48, IND | NX, 3);
    expect_general(2, DK_SIM_DF_INDIRECT);
    tdesc(3, sf_dma(2048), 40, IND, 0);
    expect_general(3, DK_SIM_DF_INDIRECT);
    sf_down();
}

/* splitmix64 of the test's own, so the random tables do not depend on the
 * library's generator. */
static uint64_t tr_state;

static uint64_t tr_next(void)
{
    uint64_t z = (tr_state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A random buffer address: mostly inside one of the two VMOs, sometimes
 * across an end, outside any VMO or wrapping. */
static uint64_t tr_addr(uint32_t len)
{
    uint64_t v = tr_next();

    switch (v % 8u) {
    case 0:
        return v >> 8;
    case 1:
        return b_dma + B_LEN - (v >> 8) % (len + 2u);
    case 2:
        return UINT64_MAX - (v >> 8) % 64u;
    case 3:
    case 4:
        return b_dma + (v >> 8) % B_LEN;
    default:
        return sf_dma((v >> 8) % SF_BUF_LEN);
    }
}

static uint32_t tr_len(void)
{
    uint64_t v = tr_next();

    switch (v % 6u) {
    case 0:
        return 0;
    case 1:
        return (uint32_t)(v >> 32);
    default:
        return 1u + (uint32_t)((v >> 8) % 4096u);
    }
}

/* Random tables: mostly chains that run forward, NEXT and WRITE each
 * likely, INDIRECT rare; every head is walked both ways. */
static void random_tables(uint64_t seed, unsigned rounds, unsigned *fast_n, unsigned *total)
{
    tr_state = seed;
    for (unsigned round = 0; round < rounds; round++) {
        uint32_t num = 1u << (tr_next() % 9u);

        fq.num = num;
        for (uint32_t i = 0; i < num; i++) {
            uint64_t v = tr_next();
            uint16_t flags =
                (uint16_t)((v & 1u ? NX : 0) | (v & 6u ? WR : 0) | ((v >> 3) % 16u == 0 ? IND : 0));
            uint16_t next =
                (uint16_t)((v >> 8) % 4u ? i + 1u + (v >> 16) % 3u : (v >> 16) % (num + 2u));
            uint32_t len = tr_len();

            /* Readable ones mostly at the head of a chain. */
            if (i % 4u == 0 && (v >> 24) % 2u)
                flags &= (uint16_t)~WR;
            tdesc((uint16_t)i, tr_addr(len), len, flags, next);
        }
        for (uint32_t h = 0; h < num; h++) {
            int fast = 0;

            (void)walk_both((uint16_t)h, &fast);
            *fast_n += (unsigned)fast;
            (*total)++;
        }
    }
}

Test(sim_fast, walk_first_agrees_on_random_tables)
{
    unsigned fast_n = 0, total = 0;

    fast_up(2, 0);
    warm_tlb();
    random_tables(1, 60, &fast_n, &total);
    cr_assert_gt(fast_n, total / 20u, "the tables should exercise the fast walk (%u of %u)", fast_n,
                 total);
    cr_assert_lt(fast_n, total, "and the general one");
    sf_down();
}

Test(sim_fast, walk_first_agrees_on_random_tables_with_indirect)
{
    unsigned fast_n = 0, total = 0;

    fast_up(1, F(DK_VIRTIO_F_INDIRECT_DESC));
    warm_tlb();
    random_tables(7, 60, &fast_n, &total);
    cr_assert_gt(fast_n, total / 20u);
    sf_down();
}
