/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated device's fast take loop (dk_sim_take_fast, sim_walk.c)
 * against the general rules: it takes available entries while each is
 * the common chain, each request exactly as dk_sim_walk fills it, numbered,
 * started, due and linked into the run in order; it stops at the first
 * entry that is anything else (a chain the fast walk declines, a head out
 * of range, a busy head, a head posted twice, a chain of the wrong shape)
 * and leaves that entry wholly to the general step: nothing of it written
 * but its slot's walk (segments and counts), the run and numbers as they
 * were. The
 * whole take through MMIO is in test_sim.c and fuzz/fuzz_sim_walk.c.
 */
#include "sim_fast_fixture.h"

TestSuite(sim_take_fast, .fini = sf_teardown);

static uint8_t av[4 + 2 * 64];

static void avail_set(unsigned n, const uint16_t *heads)
{
    for (unsigned i = 0; i < n; i++)
        sf_st16(av + 4 + 2u * i, heads[i]);
    sf_st16(av + 2, (uint16_t)n);
}

/* A blk read at descriptors 3k..3k+2: header and status in the fixture's
 * VMO, data in the second one. */
static void chain(unsigned k)
{
    tdesc((uint16_t)(3u * k), sf_dma(64u * k), 16, NX, (uint16_t)(3u * k + 1u));
    tdesc((uint16_t)(3u * k + 1u), b_dma + 512u * k, 512, WR | NX, (uint16_t)(3u * k + 2u));
    tdesc((uint16_t)(3u * k + 2u), sf_dma(64u * k + 32u), 1, WR, 0);
}

/* @head was taken as the general walk would take it, number @req. */
static void taken_as_general(uint16_t head, uint32_t req, const struct dk_sim_run *run)
{
    static struct dk_sim_req g;
    const struct dk_sim_req *r = &fq.req[head];

    cr_assert_eq(dk_sim_walk(&SD, &fq, tbl, head, &g), DK_SIM_DF_NONE);
    cr_assert_eq(r->live, 1u, "head %u", head);
    cr_assert_eq(r->req, req, "head %u", head);
    cr_assert_eq(r->start, run->now);
    cr_assert_eq(r->due, run->due);
    cr_assert_eq(r->gen, g.gen);
    cr_assert_eq(r->nseg, g.nseg);
    cr_assert_eq(r->nread, g.nread);
    cr_assert_eq(r->readable, g.readable);
    cr_assert_eq(r->writable, g.writable);
    for (unsigned i = 0; i < g.nseg; i++) {
        cr_assert_eq(r->seg[i].addr, g.seg[i].addr);
        cr_assert_eq(r->seg[i].len, g.seg[i].len);
        cr_assert_eq(r->seg[i].ptr, g.seg[i].ptr);
    }
}

/* Run take_fast over av[from..to) and check it stopped at @stop; one that
 * took nothing left the run, the numbers and every slot's state (live,
 * number, link, times) as they were. */
static uint16_t take(struct dk_sim_run *run, uint16_t from, uint16_t to, uint16_t stop)
{
    static struct dk_sim_queue before;
    struct dk_sim_run r0 = *run;
    uint16_t got;

    memcpy(&before, &fq, sizeof fq);
    got = dk_sim_take_fast(&SD, &fq, tbl, av, from, to, run);
    cr_assert_eq(got, stop, "stopped at %u, wanted %u", got, stop);
    cr_assert_lt(run->hint, DK_SIM_TLB);
    if (got == from) {
        cr_assert_eq(run->seq, r0.seq);
        cr_assert_eq(run->first, r0.first);
        cr_assert_eq(run->last, r0.last);
        for (unsigned h = 0; h < DK_VIRTQ_SIZE_MAX; h++) {
            const struct dk_sim_req *a = &fq.req[h], *b = &before.req[h];

            cr_assert(a->live == b->live && a->req == b->req && a->next == b->next &&
                          a->due == b->due && a->start == b->start,
                      "slot %u changed", h);
        }
    }
    return got;
}

Test(sim_take_fast, takes_common_chains_and_stops_at_anything_else)
{
    static const uint16_t heads[] = {0, 3, 6, 9, 0, 70, 12, 15, 15};
    struct dk_sim_run run = {
        .now = 5000, .due = 6000, .seq = 7, .hint = 1, .first = DK_SIM_NIL, .last = DK_SIM_NIL};
    uint8_t *it;

    fast_up(2, F(DK_VIRTIO_F_INDIRECT_DESC));
    it = sf_va(4096);
    dk_sim_tlb_sync(&SD, dk_host_dma_gen(&SH));
    cr_assert_not_null(dk_sim_dma(&SD, sf_dma(0), 1));
    cr_assert_not_null(dk_sim_dma(&SD, b_dma, 1));
    run.gen = dk_host_dma_gen(&SH);
    for (unsigned k = 0; k < 6; k++)
        chain(k);
    /* Head 6: the same read through an indirect table (the general walk's). */
    for (unsigned i = 0; i < 3; i++) {
        sf_st64(it + 16u * i, i == 1 ? b_dma : sf_dma(64u * 2u + 32u * (i == 2)));
        sf_st32(it + 16u * i + 8, i == 0 ? 16u : i == 1 ? 512u : 1u);
        sf_st16(it + 16u * i + 12, (uint16_t)((i ? WR : 0) | (i < 2 ? NX : 0)));
        sf_st16(it + 16u * i + 14, (uint16_t)(i + 1u));
    }
    tdesc(6, sf_dma(4096), 48, IND, 0);
    /* Head 12: a header and nothing writable, the wrong shape for blk. */
    tdesc(12, sf_dma(0), 16, 0, 0);
    avail_set(sizeof heads / sizeof heads[0], heads);

    /* 0 and 3, then the indirect chain stops the run. */
    cr_assert_eq(take(&run, 0, 9, 2), 2u);
    taken_as_general(0, 7, &run);
    taken_as_general(3, 8, &run);
    cr_assert_eq(run.first, 0u);
    cr_assert_eq(run.last, 3u);
    cr_assert_eq(fq.req[0].next, 3u);
    cr_assert_eq(run.seq, 9u);
    cr_assert_eq(fq.req[6].live, 0u);
    /* The general step took entry 2 (as the take does); on from 3: head 9,
     * then head 0 again, which is busy. */
    fq.req[6].live = 1;
    cr_assert_eq(take(&run, 3, 9, 4), 4u);
    taken_as_general(9, 9, &run);
    cr_assert_eq(fq.req[3].next, 9u);
    cr_assert_eq(run.last, 9u);
    /* Head 70 is out of range (num 64); head 12 has the wrong shape. */
    cr_assert_eq(take(&run, 5, 9, 5), 5u);
    cr_assert_eq(take(&run, 6, 9, 6), 6u);
    cr_assert_eq(fq.req[12].live, 0u);
    /* Head 15, then head 15 again: busy the second time. */
    cr_assert_eq(take(&run, 7, 9, 8), 8u);
    taken_as_general(15, 10, &run);
    cr_assert_eq(run.last, 15u);
    cr_assert_eq(take(&run, 8, 9, 8), 8u);
    cr_assert_eq(run.seq, 11u);
    sf_down();
}

Test(sim_take_fast, an_empty_run_starts_at_the_first_chain_taken)
{
    static const uint16_t heads[] = {3, 0};
    struct dk_sim_run run = {
        .now = 1, .due = 2, .seq = 0, .hint = 0, .first = DK_SIM_NIL, .last = DK_SIM_NIL};

    fast_up(1, 0);
    dk_sim_tlb_sync(&SD, dk_host_dma_gen(&SH));
    cr_assert_not_null(dk_sim_dma(&SD, sf_dma(0), 1));
    cr_assert_not_null(dk_sim_dma(&SD, b_dma, 1));
    run.gen = dk_host_dma_gen(&SH);
    chain(0);
    chain(1);
    avail_set(2, heads);
    /* Nothing to take: nothing changes. */
    cr_assert_eq(take(&run, 1, 1, 1), 1u);
    cr_assert_eq(take(&run, 0, 2, 2), 2u);
    cr_assert_eq(run.first, 3u);
    cr_assert_eq(run.last, 0u);
    cr_assert_eq(fq.req[3].next, 0u);
    taken_as_general(3, 0, &run);
    taken_as_general(0, 1, &run);
    sf_down();
}
