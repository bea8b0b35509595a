/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-rng end to end (dk_vrng_*) against the simulated entropy device,
 * in both layouts: random bytes arrive, dk_vrng_complete counts exactly
 * the bytes the device wrote (nothing past them changed), and the bytes
 * are a function of the device's seed alone.
 */
#include "virtio_fixture.h"

TestSuite(virtio_rng, .init = vt_setup, .fini = vt_teardown);

#define NREQ 16u
#define REQ_LEN 96u

static struct dk_vrng rng;

struct rng_run {
    uint8_t bytes[NREQ][REQ_LEN];
    uint32_t len[NREQ];
    uint64_t order[NREQ];
};

/* One run on a fresh host and device: NREQ requests, harvested after the
 * interrupt, each checked against its canaries. */
static void rng_run(uint32_t ver, uint64_t seed, uint64_t extra, struct rng_run *out)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, ver);
    struct vt_buf b[NREQ];
    struct dk_vdone done[NREQ];
    enum dk_reason why;
    unsigned i, got;
    int rc;

    vt_teardown();
    vt_setup();
    c.seed = seed;
    c.jitter_ns = 5000;
    c.extra_features = extra;
    vt_sim_start(&c);
    cr_assert_eq(dk_vrng_init(&rng, vt_be, VT_CAP, NREQ, vt_storage, sizeof vt_storage, &why),
                 DK_OK);
    for (i = 0; i < NREQ; i++) {
        struct dk_vseg s;
        b[i] = vt_buf(REQ_LEN);
        vt_posted(&b[i]);
        s = vt_seg(&b[i]);
        cr_assert_eq(dk_vrng_request(&rng, &s, 500 + i, &why), DK_OK);
    }
    cr_assert_eq(dk_virtq_kick(&rng.q, NULL), DK_OK);
    got = 0;
    while (got < NREQ) {
        unsigned n = 0;
        cr_assert(vt_wait_irq(&rng.dev) & DK_VIRTIO_INT_VRING);
        rc = dk_virtq_harvest(&rng.q, done + got, NREQ - got, &n, &why);
        cr_assert_eq(rc, DK_OK);
        got += n;
    }
    for (i = 0; i < NREQ; i++) {
        uint64_t k = done[i].cookie - 500;
        uint32_t bytes = 0;

        cr_assert_lt(k, NREQ);
        cr_assert_eq(dk_vrng_complete(&rng, &done[i], &bytes), DK_OK);
        cr_assert_eq(bytes, done[i].len);
        cr_assert(bytes >= 1 && bytes <= REQ_LEN, "bytes %u", bytes);
        out->len[k] = bytes;
        out->order[i] = k;
        memcpy(out->bytes[k], b[k].p, REQ_LEN);
        /* Only the counted bytes may have changed. */
        vt_accept(&b[k], 0, bytes);
        vt_unpost(&b[k]);
    }
    vt_check();
    vt_protocol_clean();
    cr_assert_eq(dk_virtq_inflight(&rng.q), 0);
}

static struct rng_run r1, r2, r3;

VT_BOTH(virtio_rng, bytes_arrive_counted_and_deterministic_for_a_seed)
{
    unsigned i, short_answers = 0, differ = 0;

    rng_run(ver, 42, 0, &r1);
    rng_run(ver, 42, 1ull << DK_VIRTIO_F_INDIRECT_DESC | 1ull << DK_VIRTIO_F_EVENT_IDX, &r2);
    rng_run(ver, 43, 0, &r3);
    for (i = 0; i < NREQ; i++) {
        short_answers += r1.len[i] < REQ_LEN;
        cr_assert_eq(r1.len[i], r2.len[i]);
        differ += r1.len[i] != r3.len[i] ||
                  memcmp(r1.bytes[i], r3.bytes[i], r1.len[i] < r3.len[i] ? r1.len[i] : r3.len[i]);
    }
    /* Same seed: same lengths, bytes and completion order, whatever the
     * transport features. Another seed: other bytes. */
    cr_assert(memcmp(&r1, &r2, sizeof r1) == 0, "same seed, different run");
    cr_assert_gt(differ, NREQ / 2, "the seed does not drive the bytes");
    cr_assert_gt(short_answers, 0, "no short answer: the count is not exercised");
}

VT_BOTH(virtio_rng, requests_need_a_buffer)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, ver);
    struct dk_vseg empty = {vt_mem_dma, 0, 0};
    struct dk_vdone none = {0};
    enum dk_reason why;
    uint32_t bytes = 77;

    vt_sim_start(&c);
    cr_assert_eq(dk_vrng_init(&rng, vt_be, VT_CAP, 4, vt_storage, sizeof vt_storage, &why), DK_OK);
    cr_assert_eq(dk_vrng_request(&rng, NULL, 1, &why), DK_E_INVAL);
    cr_assert_eq(dk_vrng_request(&rng, &empty, 1, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_ZERO_LEN);
    cr_assert_eq(dk_virtq_inflight(&rng.q), 0);
    /* A zero-length answer is a device error, not zero random bytes. */
    cr_assert_eq(dk_vrng_complete(&rng, &none, &bytes), DK_E_DEVICE);
}

/* ERROR_STATUS on rng: a used length of 0, which dk_vrng_complete turns
 * into a device error; the buffer is untouched and the next request works. */
VT_BOTH(virtio_rng, empty_answer_is_a_device_error)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, ver);
    struct vt_buf b = vt_buf(32);
    struct dk_vseg s = vt_seg(&b);
    struct dk_vdone d;
    enum dk_reason why;
    uint32_t bytes = 77;
    unsigned n;

    vt_sim_start(&c);
    cr_assert_eq(dk_vrng_init(&rng, vt_be, VT_CAP, 4, vt_storage, sizeof vt_storage, &why), DK_OK);
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_ERROR_STATUS, 0), DK_OK);
    cr_assert_eq(dk_vrng_request(&rng, &s, 1, &why), DK_OK);
    cr_assert_eq(dk_virtq_kick(&rng.q, NULL), DK_OK);
    cr_assert(vt_wait_irq(&rng.dev) & DK_VIRTIO_INT_VRING);
    cr_assert_eq(dk_virtq_harvest(&rng.q, &d, 1, &n, &why), DK_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(d.len, 0);
    cr_assert_eq(dk_vrng_complete(&rng, &d, &bytes), DK_E_DEVICE);
    vt_check();
    vt_posted(&b);
    cr_assert_eq(dk_vrng_request(&rng, &s, 2, &why), DK_OK);
    cr_assert_eq(dk_virtq_kick(&rng.q, NULL), DK_OK);
    cr_assert(vt_wait_irq(&rng.dev) & DK_VIRTIO_INT_VRING);
    cr_assert_eq(dk_virtq_harvest(&rng.q, &d, 1, &n, &why), DK_OK);
    cr_assert_eq(dk_vrng_complete(&rng, &d, &bytes), DK_OK);
    cr_assert_eq(bytes, d.len);
}
