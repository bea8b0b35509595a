/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dk_vblk_stage_n(): a batch is staged exactly as the same requests staged
 * one by one with dk_vblk_stage(), stopping at the first refusal. Over
 * seeded random batches mixing the common request (one-segment IN/OUT,
 * which the batch writes through its own loop) with everything else (FLUSH,
 * GET_ID, no or two segments, unknown types, lengths and sectors on both
 * sides of every limit), on queues with and without indirect descriptors,
 * with size_max, on a read-only device, and with the ring filling up
 * mid-batch, both ways must give the same status, reason and count, and
 * leave byte-identical driver state: the queue, its private records, the
 * descriptor table and avail ring, and the request headers.
 */
#include "virtio_fixture.h"

TestSuite(virtio_batch, .init = vt_setup, .fini = vt_teardown);

#define F_IND (1ull << DK_VIRTIO_F_INDIRECT_DESC)
#define F_SIZE (1ull << DK_SIM_BLK_F_SIZE_MAX)
#define BATCH 24u
#define QS 64u /* queue entries: room for a few batches */

static struct dk_vblk blk;

static void up(uint32_t ver, uint64_t extra, int ro)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    const struct dk_backend *be = vt_be;
    enum dk_reason why;

    c.extra_features = extra;
    if (extra & F_SIZE)
        c.size_max = 1024;
    vt_sim_start(&c);
    if (ro) {
        vt_spy_read_only();
        be = vt_spy_install();
    }
    cr_assert_eq(dk_vblk_init(&blk, be, VT_CAP, QS, vt_storage, sizeof vt_storage, &why), DK_OK,
                 "init: %d", why);
    cr_assert_eq(blk.read_only, ro != 0);
}

/* All the driver-side state staging may write. */
struct state {
    struct dk_vblk blk;
    uint8_t storage[VT_STORAGE];
    uint8_t ring[8192];
    uint8_t reqs[QS * (DK_VBLK_HDR_BYTES + 1u)]; /* headers, then status bytes */
};

static struct state before, after_one;

static void save(struct state *st)
{
    cr_assert_leq(blk.q.used_off, sizeof st->ring);
    st->blk = blk;
    memcpy(st->storage, vt_storage, sizeof vt_storage);
    memcpy(st->ring, blk.q.ring, blk.q.used_off);
    memcpy(st->reqs, blk.hdrs, sizeof st->reqs);
}

static void restore(const struct state *st)
{
    blk = st->blk;
    memcpy(vt_storage, st->storage, sizeof vt_storage);
    memcpy(blk.q.ring, st->ring, blk.q.used_off);
    memcpy(blk.hdrs, st->reqs, sizeof st->reqs);
}

static int same(const struct state *a, const struct state *b)
{
    return memcmp(&a->blk, &b->blk, sizeof a->blk) == 0 &&
           memcmp(a->storage, b->storage, sizeof a->storage) == 0 &&
           memcmp(a->ring, b->ring, a->blk.q.used_off) == 0 &&
           memcmp(a->reqs, b->reqs, sizeof a->reqs) == 0;
}

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* A request: mostly the common one, valid, with the rest drawn from the
 * edges of every rule. */
static struct dk_vblk_io draw(uint64_t *s, uint64_t dma)
{
    static const uint32_t lens[] = {0, 1, 511, 512, 1024, 1536, 4096, 20, 0xfffffe00u};
    static const uint32_t types[] = {DK_VBLK_T_IN, DK_VBLK_T_OUT, DK_VBLK_T_FLUSH, DK_VBLK_T_GET_ID,
                                     9};
    const uint64_t cap = VT_SECTORS;
    const uint64_t sectors[] = {0, 1, cap - 8, cap - 2, cap - 1, cap, cap + 1, UINT64_MAX};
    struct dk_vblk_io io;

    memset(&io, 0, sizeof io);
    io.cookie = rnd(s);
    io.data.addr = dma + 512u * (rnd(s) % 4u);
    if (rnd(s) % 8u != 0) { /* the common request, valid */
        /* On a read-only device an OUT is refused: draw fewer of them. */
        io.type = rnd(s) % (blk.read_only ? 8u : 2u) == 0 ? DK_VBLK_T_OUT : DK_VBLK_T_IN;
        io.nseg = 1;
        io.data.len = 512u * (1u + rnd(s) % 2u);
        io.sector = rnd(s) % (cap - 2u);
        return io;
    }
    io.type = types[rnd(s) % 5u];
    io.nseg = rnd(s) % 8u == 0 ? 2u : rnd(s) % 6u == 0 ? 0u : 1u;
    io.data.len = lens[rnd(s) % 9u];
    io.sector = rnd(s) % 3u == 0 ? 0 : sectors[rnd(s) % 8u];
    return io;
}

/* Seeded batches on one device: each staged one by one, then, from the
 * same saved state, as one batch; same answers, same state. Most batches
 * stay in flight, so later ones meet a full ring. */
static void compare(uint32_t ver, uint64_t extra, int ro)
{
    struct vt_buf b;
    uint64_t seed = 0x5eed0000u + ver * 7u + extra + (uint64_t)ro;
    unsigned round, full = 0, refused = 0, staged_total = 0;

    up(ver, extra, ro);
    b = vt_buf(4096);
    for (round = 0; round < 400; round++) {
        struct dk_vblk_io io[BATCH];
        enum dk_reason why1 = DK_R_NONE, why2 = DK_R_NONE;
        unsigned n = rnd(&seed) % (BATCH + 1u), k, staged = 77;
        int rc1 = DK_OK, rc2;

        for (k = 0; k < n; k++)
            io[k] = draw(&seed, b.dma);
        save(&before);
        for (k = 0; k < n; k++) {
            if (io[k].nseg > 1u)
                rc1 = dk_reject(&why1, DK_R_VIRTIO_BLK_SEGS, DK_E_INVAL);
            else
                rc1 = dk_vblk_stage(&blk, io[k].type, io[k].sector, &io[k].data, io[k].nseg,
                                    io[k].cookie, &why1);
            if (rc1 != DK_OK)
                break;
        }
        if (n == 0)
            why1 = DK_R_NONE;
        save(&after_one);
        restore(&before);
        rc2 = dk_vblk_stage_n(&blk, io, n, &staged, &why2);
        cr_assert_eq(rc2, rc1, "round %u: batch %d, one by one %d", round, rc2, rc1);
        cr_assert_eq(why2, why1, "round %u: reason %d, one by one %d", round, why2, why1);
        cr_assert_eq(staged, k, "round %u: staged %u, one by one %u", round, staged, k);
        save(&before);
        cr_assert(same(&before, &after_one), "round %u: the batch left a different state", round);
        full += rc2 == DK_E_QUEUE_FULL;
        refused += rc2 != DK_OK && rc2 != DK_E_QUEUE_FULL;
        staged_total += staged;
        /* Now and then the device takes everything: the ring empties. */
        if (round % (blk.q.use_indirect ? 16u : 4u) == 3u) {
            struct dk_vdone d[QS];
            enum dk_reason why;
            unsigned tries;
            int rc;

            cr_assert_eq(dk_virtq_kick(&blk.q, NULL), DK_OK);
            for (tries = 0; tries < 64 && dk_virtq_inflight(&blk.q) != 0; tries++) {
                vt_advance(VT_LAT);
                (void)vt_harvest(&blk.q, d, dk_virtq_inflight(&blk.q), &rc, &why);
                cr_assert_eq(rc, DK_OK, "harvest: %d", why);
            }
            cr_assert_eq(dk_virtq_inflight(&blk.q), 0, "the device left requests");
        }
    }
    cr_log_info("full %u refused %u staged %u", full, refused, staged_total);
    cr_assert_gt(full, 5, "the ring filled mid-batch only %u times", full);
    cr_assert_gt(refused, 10, "%u refusals: the draw is not reaching the rules", refused);
    cr_assert_gt(staged_total, 400, "only %u staged", staged_total);
}

VT_BOTH(virtio_batch, same_as_one_by_one)
{
    compare(ver, 0, 0);
}

VT_BOTH(virtio_batch, same_as_one_by_one_with_indirect)
{
    compare(ver, F_IND, 0);
}

VT_BOTH(virtio_batch, same_as_one_by_one_with_size_max)
{
    compare(ver, F_SIZE, 0);
}

VT_BOTH(virtio_batch, same_as_one_by_one_read_only)
{
    compare(ver, 0, 1);
}

Test(virtio_batch, argument_checks)
{
    struct dk_vblk_io io;
    enum dk_reason why = DK_R_NONE;
    unsigned staged = 5;

    up(2, 0, 0);
    memset(&io, 0, sizeof io);
    cr_assert_eq(dk_vblk_stage_n(NULL, &io, 1, &staged, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(staged, 0);
    cr_assert_eq(dk_vblk_stage_n(&blk, &io, 1, NULL, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    staged = 5;
    cr_assert_eq(dk_vblk_stage_n(&blk, NULL, 1, &staged, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(staged, 0);
    staged = 5;
    why = DK_R_SVC_PAYLOAD;
    cr_assert_eq(dk_vblk_stage_n(&blk, NULL, 0, &staged, &why), DK_OK);
    cr_assert_eq(why, DK_R_NONE);
    cr_assert_eq(staged, 0);
    cr_assert_eq(blk.q.avail_idx, 0);
}
