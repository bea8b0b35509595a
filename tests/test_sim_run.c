/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated rng and accelerator devices (include/driverkit/host_sim.h)
 * driven through raw rings (tests/sim_fixture.h): rng bytes per seed, the
 * accelerator's COPY/FILL/CSUM and malformed requests as docs/virtio-accel.md
 * defines them, and determinism: two runs under one seed are identical, and
 * a recorded log replays the same run under another seed.
 */
#include "sim_fixture.h"

static void sf_teardown(void)
{
    dk_sim_fini(&SD);
    dk_host_fini(&SH);
}

TestSuite(sim_run, .fini = sf_teardown);

#define F(bit) (1ull << (bit))

/* One rng request of 64 bytes in descriptor @head; returns the used len. */
static uint32_t rng_one(uint16_t head, uint64_t off)
{
    uint16_t before = sf_used_idx();

    sf_desc(head, sf_dma(off), 64, DK_VRING_DESC_F_WRITE, 0);
    sf_push(head);
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), (uint16_t)(before + 1u));
    cr_assert_eq(sf_used_id(before), head);
    return sf_used_len(before);
}

/* 16 rng answers under @seed: bytes into out, lengths into lens. */
static void rng_run(uint64_t seed, uint8_t out[16 * 64], uint32_t lens[16])
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_RNG, 2);
    unsigned i;

    c.seed = seed;
    sf_up(&c);
    cr_assert_eq(sf_rd(DK_VMMIO_DEVICE_ID), DK_VIRTIO_ID_RNG);
    sf_start(0);
    for (i = 0; i < 16u; i++)
        lens[i] = rng_one((uint16_t)i, 64u * i);
    memcpy(out, sf_va(0), 16 * 64);
    sf_down();
}

Test(sim_run, rng_deterministic_per_seed)
{
    static uint8_t a[16 * 64], b[16 * 64], o[16 * 64];
    uint32_t la[16], lb[16], lo[16];
    unsigned i, shorter = 0;

    rng_run(7, a, la);
    rng_run(7, b, lb);
    rng_run(8, o, lo);
    cr_assert_arr_eq(la, lb, sizeof la);
    cr_assert_arr_eq(a, b, sizeof a, "same seed, same bytes");
    cr_assert(memcmp(a, o, sizeof a) != 0, "another seed, other bytes");
    for (i = 0; i < 16u; i++) {
        cr_assert(la[i] >= 1u && la[i] <= 64u, "len %u", la[i]);
        shorter += la[i] < 64u;
        /* Nothing written past the used length. */
        for (unsigned k = la[i]; k < 64u; k++)
            cr_assert_eq(a[64u * i + k], 0u);
    }
    cr_assert_gt(shorter, 0u, "the device sometimes answers with fewer bytes");
}

/* An accelerator request in descriptors 4k.. from explicit pieces. */
static void accel_hdr(uint64_t off, uint32_t op, uint32_t len, uint32_t value, uint32_t rsv)
{
    uint8_t *h = sf_va(off);

    sf_st32(h, op);
    sf_st32(h + 4, len);
    sf_st32(h + 8, value);
    sf_st32(h + 12, rsv);
    memset(sf_va(off + 16), 0xee, 8); /* status + result, preset */
}

static void accel_go(const struct sf_seg *s, unsigned n)
{
    uint16_t before = sf_used_idx();

    sf_push(sf_chain(0, s, n));
    sf_kick();
    sf_advance(SF_LAT);
    cr_assert_eq(sf_used_idx(), (uint16_t)(before + 1u));
}

#define ST_OFF 16u /* status right after the 16-byte header at offset 0 */
#define SRC 4096u
#define DST 8192u

Test(sim_run, accel_copy_fill_csum)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_ACCEL, 2);
    struct sf_seg s[6];
    unsigned i;

    sf_up(&c);
    cr_assert_eq(sf_rd(DK_VMMIO_DEVICE_ID), DK_VIRTIO_ID_DK_ACCEL);
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG + DK_SIM_ACCEL_CFG_MAX_LEN), 65536u);
    cr_assert_eq(sf_rd(DK_VMMIO_CONFIG + DK_SIM_ACCEL_CFG_OPS), 0xeu);
    sf_start(0);

    /* COPY 300 bytes: source split 100 + 200, destination 150 + 150. */
    for (i = 0; i < 300u; i++)
        sf_va(SRC)[i] = (uint8_t)(i * 13u);
    memset(sf_va(DST), 0, 512);
    accel_hdr(0, DK_SIM_ACCEL_OP_COPY, 300, 0, 0);
    s[0] = (struct sf_seg){sf_dma(0), 16, 0};
    s[1] = (struct sf_seg){sf_dma(SRC), 100, 0};
    s[2] = (struct sf_seg){sf_dma(SRC + 100), 200, 0};
    s[3] = (struct sf_seg){sf_dma(DST), 150, 1};
    s[4] = (struct sf_seg){sf_dma(DST + 150), 150, 1};
    s[5] = (struct sf_seg){sf_dma(ST_OFF), 8, 1};
    accel_go(s, 6);
    cr_assert_arr_eq(sf_va(DST), sf_va(SRC), 300);
    cr_assert_eq(sf_va(DST)[300], 0u);
    cr_assert_eq(sf_ld32(sf_va(ST_OFF)), DK_SIM_S_OK);
    cr_assert_eq(sf_ld32(sf_va(ST_OFF + 4)), 0u);
    cr_assert_eq(sf_used_len(0), 308u);

    /* FILL 256 bytes of 0xab. */
    accel_hdr(0, DK_SIM_ACCEL_OP_FILL, 256, 0xab, 0);
    s[1] = (struct sf_seg){sf_dma(DST), 256, 1};
    s[2] = (struct sf_seg){sf_dma(ST_OFF), 8, 1};
    accel_go(s, 3);
    for (i = 0; i < 256u; i++)
        cr_assert_eq(sf_va(DST)[i], 0xabu);
    cr_assert_eq(sf_ld32(sf_va(ST_OFF)), DK_SIM_S_OK);
    cr_assert_eq(sf_used_len(1), 264u);

    /* CSUM: FNV-1a 32 of "foobar" is 0xbf9cf968 (published test vector). */
    memcpy(sf_va(SRC), "foobar", 6);
    accel_hdr(0, DK_SIM_ACCEL_OP_CSUM, 6, 0, 0);
    s[1] = (struct sf_seg){sf_dma(SRC), 6, 0};
    s[2] = (struct sf_seg){sf_dma(ST_OFF), 8, 1};
    accel_go(s, 3);
    cr_assert_eq(sf_ld32(sf_va(ST_OFF)), DK_SIM_S_OK);
    cr_assert_eq(sf_ld32(sf_va(ST_OFF + 4)), 0xbf9cf968u);
    cr_assert_eq(sf_used_len(2), 8u);
    sf_down();
}

Test(sim_run, accel_malformed_requests_write_only_status)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_ACCEL, 1);
    struct sf_seg s[4];

    sf_up(&c);
    sf_start(0);
    memset(sf_va(DST), 0x11, 64);
    s[0] = (struct sf_seg){sf_dma(0), 16, 0};
    s[1] = (struct sf_seg){sf_dma(DST), 32, 1};
    s[2] = (struct sf_seg){sf_dma(ST_OFF), 8, 1};

    accel_hdr(0, 9, 32, 0, 0);
    accel_go(s, 3);
    cr_assert_eq(sf_ld32(sf_va(ST_OFF)), DK_SIM_S_UNSUPP, "unknown op");
    accel_hdr(0, DK_SIM_ACCEL_OP_FILL, 31, 0x22, 0);
    accel_go(s, 3);
    cr_assert_eq(sf_ld32(sf_va(ST_OFF)), DK_SIM_S_IOERR, "len differs from the buffer");
    accel_hdr(0, DK_SIM_ACCEL_OP_FILL, 32, 0x22, 1);
    accel_go(s, 3);
    cr_assert_eq(sf_ld32(sf_va(ST_OFF)), DK_SIM_S_IOERR, "reserved not 0");
    accel_hdr(0, DK_SIM_ACCEL_OP_CSUM, 0, 0, 0);
    accel_go(s, 3);
    cr_assert_eq(sf_ld32(sf_va(ST_OFF)), DK_SIM_S_IOERR, "CSUM has no destination");
    accel_hdr(0, DK_SIM_ACCEL_OP_FILL, 70000, 0x22, 0);
    accel_go(s, 3);
    cr_assert_eq(sf_ld32(sf_va(ST_OFF)), DK_SIM_S_IOERR, "over max_len");
    for (unsigned k = 0; k < 5u; k++)
        cr_assert_eq(sf_used_len((uint16_t)k), 8u);
    for (unsigned i = 0; i < 64u; i++)
        cr_assert_eq(sf_va(DST)[i], 0x11u, "the destination was written");
    sf_down();
}

/* A run that exercises timing and random bytes: 8 rng requests in two
 * batches with jitter. Leaves the used ring and bytes in *snap. */
struct run_snap {
    uint8_t bytes[8 * 64];
    uint8_t used[8 * 8];
    struct dk_sim_stats st;
};

static void rng_scenario(uint64_t seed, struct dk_sim_log *rec, const struct dk_sim_log *replay,
                         struct run_snap *snap)
{
    struct dk_sim_cfg c = sf_cfg(DK_SIM_RNG, 2);
    unsigned i;

    c.seed = seed;
    c.jitter_ns = 5000;
    c.extra_features = F(DK_VIRTIO_F_EVENT_IDX);
    c.log = rec;
    c.replay = replay;
    sf_up(&c);
    sf_start(F(DK_VIRTIO_F_EVENT_IDX));
    for (i = 0; i < 8u; i++) {
        sf_desc((uint16_t)i, sf_dma(64u * i), 64, DK_VRING_DESC_F_WRITE, 0);
        sf_push((uint16_t)i);
        if (i == 3u) {
            sf_kick();
            sf_advance(2000);
        }
    }
    sf_kick();
    sf_advance(20000);
    cr_assert_eq(sf_used_idx(), 8u);
    memcpy(snap->bytes, sf_va(0), sizeof snap->bytes);
    memcpy(snap->used, sf_used_va + 4, sizeof snap->used);
    snap->st = sf_stats();
    sf_down();
}

static struct dk_sim_log_entry ent_a[256], ent_b[256], ent_c[256];

Test(sim_run, same_seed_same_run)
{
    static struct run_snap a, b, o;
    struct dk_sim_log la, lb, lo;
    uint32_t diff;

    cr_assert_eq(dk_sim_log_init(&la, ent_a, 256), DK_OK);
    cr_assert_eq(dk_sim_log_init(&lb, ent_b, 256), DK_OK);
    cr_assert_eq(dk_sim_log_init(&lo, ent_c, 256), DK_OK);
    rng_scenario(1234, &la, NULL, &a);
    rng_scenario(1234, &lb, NULL, &b);
    rng_scenario(4321, &lo, NULL, &o);
    cr_assert_gt(la.count, 8u, "count %u", la.count);
    cr_assert_eq(la.dropped, 0u);
    cr_assert_eq(dk_sim_log_compare(&la, &lb, &diff), DK_OK);
    cr_assert_eq(diff, DK_SIM_LOG_SAME);
    cr_assert_arr_eq(&a, &b, sizeof a, "identical rings, bytes and counters");
    cr_assert_eq(dk_sim_log_compare(&la, &lo, &diff), DK_OK);
    cr_assert_neq(diff, DK_SIM_LOG_SAME, "another seed gives another run");
    cr_assert(memcmp(a.bytes, o.bytes, sizeof a.bytes) != 0);
}

Test(sim_run, record_then_replay_reproduces_the_run)
{
    static struct run_snap rec, rep;
    struct dk_sim_log la, lb;
    uint32_t diff;
    unsigned i, kinds = 0;

    cr_assert_eq(dk_sim_log_init(&la, ent_a, 256), DK_OK);
    cr_assert_eq(dk_sim_log_init(&lb, ent_b, 256), DK_OK);
    rng_scenario(99, &la, NULL, &rec);
    /* Replay under another seed: latency and rng bytes come from the log. */
    rng_scenario(5, &lb, &la, &rep);
    cr_assert_eq(dk_sim_log_compare(&la, &lb, &diff), DK_OK);
    cr_assert_eq(diff, DK_SIM_LOG_SAME, "first difference at entry %u", diff);
    cr_assert_arr_eq(rec.bytes, rep.bytes, sizeof rec.bytes);
    cr_assert_arr_eq(rec.used, rep.used, sizeof rec.used);
    cr_assert_eq(rep.st.replay_hits, 8u);
    cr_assert_eq(rep.st.replay_misses, 0u);
    for (i = 0; i < la.count; i++)
        kinds |= 1u << ent_a[i].kind;
    cr_assert_eq(kinds & (1u << DK_SIM_LOG_NOTIFY | 1u << DK_SIM_LOG_COMPLETE |
                          1u << DK_SIM_LOG_IRQ | 1u << DK_SIM_LOG_RESET),
                 1u << DK_SIM_LOG_NOTIFY | 1u << DK_SIM_LOG_COMPLETE | 1u << DK_SIM_LOG_IRQ |
                     1u << DK_SIM_LOG_RESET);

    /* A changed entry is reported at its index. */
    ent_b[5].time++;
    cr_assert_eq(dk_sim_log_compare(&la, &lb, &diff), DK_OK);
    cr_assert_eq(diff, 5u);
    ent_b[5].time--;
    lb.count--;
    cr_assert_eq(dk_sim_log_compare(&la, &lb, &diff), DK_OK);
    cr_assert_eq(diff, lb.count, "a prefix differs where it ends");
}

Test(sim_run, log_is_bounded)
{
    static struct run_snap s;
    struct dk_sim_log l;
    uint32_t diff;

    cr_assert_eq(dk_sim_log_init(&l, ent_a, 4), DK_OK);
    rng_scenario(1, &l, NULL, &s);
    cr_assert_eq(l.count, 4u);
    cr_assert_gt(l.dropped, 0u);
    cr_assert_eq(dk_sim_log_init(NULL, ent_a, 4), DK_E_INVAL);
    cr_assert_eq(dk_sim_log_init(&l, NULL, 4), DK_E_INVAL);
    cr_assert_eq(dk_sim_log_init(&l, ent_a, 0), DK_E_INVAL);
    cr_assert_eq(dk_sim_log_compare(&l, NULL, &diff), DK_E_INVAL);
    cr_assert_eq(dk_sim_log_fini(&l), DK_OK);
    cr_assert_eq(dk_sim_log_fini(&l), DK_OK);
    cr_assert_eq(dk_sim_log_compare(&l, &l, &diff), DK_E_INVAL, "finalised");
}
