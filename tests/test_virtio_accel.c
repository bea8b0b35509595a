/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The copy/fill/checksum accelerator (docs/virtio-accel.md) end to end
 * through dk_vaccel_*, in both layouts: COPY and FILL results byte for
 * byte, CSUM against an FNV-1a computed here, used lengths as documented,
 * split buffers on both sides, submit-time refusals with nothing posted,
 * and canaries around every buffer.
 */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS under -std=c11 */

#include "virtio_fixture.h"

#include <sys/mman.h>
#include <unistd.h>

TestSuite(virtio_accel, .init = vt_setup, .fini = vt_teardown);

static struct dk_vaccel acc;

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 0x811c9dc5u;

    while (n--)
        h = (h ^ *p++) * 0x01000193u;
    return h;
}

static void accel_up(uint32_t ver, uint64_t extra, uint32_t max_len)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_ACCEL, ver);
    enum dk_reason why;

    c.extra_features = extra;
    c.accel_max_len = max_len;
    vt_sim_start(&c);
    cr_assert_eq(dk_vaccel_init(&acc, vt_be, VT_CAP, 16, vt_storage, sizeof vt_storage, &why),
                 DK_OK);
}

static struct dk_vdone accel_run(uint64_t cookie)
{
    struct dk_vdone d;
    enum dk_reason why;
    unsigned n;
    int rc;

    cr_assert_eq(dk_virtq_kick(&acc.q, NULL), DK_OK);
    cr_assert(vt_wait_irq(&acc.dev) & DK_VIRTIO_INT_VRING);
    n = vt_harvest(&acc.q, &d, 1, &rc, &why);
    cr_assert_eq(rc, DK_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(d.cookie, cookie);
    return d;
}

static void copy_fill_csum(uint32_t ver, uint64_t extra)
{
    struct vt_buf s0 = vt_buf(1000), s1 = vt_buf(3000);
    struct vt_buf d0 = vt_buf(1500), d1 = vt_buf(1500), d2 = vt_buf(1000);
    struct vt_buf f0 = vt_buf(2000), f1 = vt_buf(1000);
    struct dk_vseg src[2] = {vt_seg(&s0), vt_seg(&s1)};
    struct dk_vseg dst[3] = {vt_seg(&d0), vt_seg(&d1), vt_seg(&d2)};
    struct dk_vseg fil[2] = {vt_seg(&f0), vt_seg(&f1)};
    uint8_t whole[4000], fill[3000];
    struct dk_vdone d;
    enum dk_reason why;
    uint32_t result = 0;

    accel_up(ver, extra, 0);
    vt_fill(&s0, 11);
    vt_fill(&s1, 12);
    memcpy(whole, s0.p, 1000);
    memcpy(whole + 1000, s1.p, 3000);

    vt_posted(&d0);
    vt_posted(&d1);
    vt_posted(&d2);
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, src, 2, dst, 3, 4000, 0, 1, &why), DK_OK);
    d = accel_run(1);
    cr_assert_eq(d.len, 4000 + 8);
    cr_assert_eq(dk_vaccel_complete(&acc, &d, &result), DK_OK);
    cr_assert_eq(result, 0);
    cr_assert_arr_eq(d0.p, whole, 1500);
    cr_assert_arr_eq(d1.p, whole + 1500, 1500);
    cr_assert_arr_eq(d2.p, whole + 3000, 1000);
    vt_accept(&d0, 0, d0.len);
    vt_accept(&d1, 0, d1.len);
    vt_accept(&d2, 0, d2.len);
    vt_check();

    vt_posted(&f0);
    vt_posted(&f1);
    /* Only the low byte of the value counts. */
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_FILL, NULL, 0, fil, 2, 3000, 0x1a5, 2, &why),
                 DK_OK);
    d = accel_run(2);
    cr_assert_eq(d.len, 3000 + 8);
    cr_assert_eq(dk_vaccel_complete(&acc, &d, &result), DK_OK);
    memset(fill, 0xa5, sizeof fill);
    cr_assert_arr_eq(f0.p, fill, 2000);
    cr_assert_arr_eq(f1.p, fill, 1000);
    vt_accept(&f0, 0, f0.len);
    vt_accept(&f1, 0, f1.len);
    vt_check();

    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_CSUM, src, 2, NULL, 0, 4000, 0, 3, &why), DK_OK);
    d = accel_run(3);
    cr_assert_eq(d.len, 8);
    cr_assert_eq(dk_vaccel_complete(&acc, &d, &result), DK_OK);
    cr_assert_eq(result, fnv1a(whole, sizeof whole), "csum %#x, FNV-1a %#x", result,
                 fnv1a(whole, sizeof whole));
    vt_check();
    vt_protocol_clean();
}

VT_BOTH(virtio_accel, copy_fill_csum_results)
{
    copy_fill_csum(ver, 0);
    vt_teardown();
    vt_setup();
    copy_fill_csum(ver, 1ull << DK_VIRTIO_F_INDIRECT_DESC | 1ull << DK_VIRTIO_F_EVENT_IDX);
}

VT_BOTH(virtio_accel, csum_of_one_byte_and_of_max_len)
{
    struct vt_buf one = vt_buf(1), big = vt_buf(8192);
    struct dk_vseg s1, sb;
    struct dk_vdone d;
    enum dk_reason why;
    uint32_t result;

    accel_up(ver, 0, 8192);
    vt_fill(&one, 5);
    vt_fill(&big, 6);
    s1 = vt_seg(&one);
    sb = vt_seg(&big);
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_CSUM, &s1, 1, NULL, 0, 1, 0, 1, &why), DK_OK);
    d = accel_run(1);
    cr_assert_eq(dk_vaccel_complete(&acc, &d, &result), DK_OK);
    cr_assert_eq(result, fnv1a(one.p, 1));
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_CSUM, &sb, 1, NULL, 0, 8192, 0, 2, &why), DK_OK);
    d = accel_run(2);
    cr_assert_eq(dk_vaccel_complete(&acc, &d, &result), DK_OK);
    cr_assert_eq(result, fnv1a(big.p, 8192));
    vt_check();
}

VT_BOTH(virtio_accel, malformed_operations_are_refused_before_posting)
{
    struct vt_buf a = vt_buf(256), b = vt_buf(256);
    struct dk_vseg sa = vt_seg(&a), sb = vt_seg(&b), zero = {a.dma, 0, 0};
    struct dk_vseg many[16];
    struct dk_virtq before;
    enum dk_reason why;
    unsigned i;

    accel_up(ver, 0, 128);
    for (i = 0; i < 16; i++)
        many[i] = (struct dk_vseg){a.dma + 8u * i, 8, 0};
    before = acc.q;
    cr_assert_eq(dk_vaccel_submit(&acc, 4, &sa, 1, &sb, 1, 64, 0, 1, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_BAD_ENUM);
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, &sa, 1, &sb, 1, 0, 0, 1, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_ZERO_LEN);
    /* Over max_len (128 here). */
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, &sa, 1, &sb, 1, 256, 0, 1, &why),
                 DK_E_INVAL);
    cr_assert_eq(why, DK_R_OVER_CAP);
    /* Sides that do not add up to len, or the wrong directions for the op. */
    sa.len = sb.len = 100;
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, &sa, 1, &sb, 1, 64, 0, 1, &why),
                 DK_E_INVAL);
    sa.len = sb.len = 64;
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_FILL, &sa, 1, &sb, 1, 64, 0, 1, &why),
                 DK_E_INVAL);
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_CSUM, &sa, 1, &sb, 1, 64, 0, 1, &why),
                 DK_E_INVAL);
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, &zero, 1, &sb, 1, 64, 0, 1, &why),
                 DK_E_INVAL);
    /* 15 + 1 data segments + header + status > DK_VIRTQ_CHAIN_MAX. */
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, many, 15, &sb, 1, 120, 0, 1, &why),
                 DK_E_INVAL);
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, NULL, 1, &sb, 1, 64, 0, 1, &why),
                 DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert(memcmp(&before, &acc.q, sizeof before) == 0, "a refusal changed the queue");
    vt_advance(10 * VT_LAT);
    cr_assert_eq(vt_sim_stats().requests, 0);
    vt_check();
}

/* ERROR_STATUS: the device answers status 1 with a used length of 8 and
 * writes no data: a device error, the destination untouched, the queue
 * still usable. */
VT_BOTH(virtio_accel, error_status_is_a_device_error)
{
    struct vt_buf s = vt_buf(128), d = vt_buf(128);
    struct dk_vseg ss = vt_seg(&s), ds = vt_seg(&d);
    struct dk_vdone done;
    enum dk_reason why;
    uint32_t result = 99;

    accel_up(ver, 0, 0);
    vt_fill(&s, 8);
    cr_assert_eq(dk_sim_inject(&vt_sim, DK_SIM_FAULT_ERROR_STATUS, 0), DK_OK);
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, &ss, 1, &ds, 1, 128, 0, 1, &why), DK_OK);
    done = accel_run(1);
    cr_assert_eq(done.len, 8);
    cr_assert_eq(dk_vaccel_complete(&acc, &done, &result), DK_E_DEVICE);
    vt_check(); /* d was never marked writable: not one byte written */
    vt_posted(&d);
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, &ss, 1, &ds, 1, 128, 0, 2, &why), DK_OK);
    done = accel_run(2);
    cr_assert_eq(dk_vaccel_complete(&acc, &done, &result), DK_OK);
    cr_assert_arr_eq(d.p, s.p, 128);
}

/* Regression, as virtio_blk::complete_after_a_later_submit_reports_the_device_status:
 * the next submit reuses the harvested head and presets its status and
 * result. dk_vaccel_harvest reads both at harvest time, so the checksum the
 * device returned survives a later submit. */
VT_BOTH(virtio_accel, complete_after_a_later_submit_keeps_the_result)
{
    struct vt_buf s = vt_buf(256);
    struct dk_vseg ss = vt_seg(&s);
    struct dk_vdone first;
    enum dk_reason why;
    uint32_t result = 0;

    accel_up(ver, 0, 0);
    vt_fill(&s, 21);
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_CSUM, &ss, 1, NULL, 0, 256, 0, 1, &why), DK_OK);
    cr_assert_eq(dk_virtq_kick(&acc.q, NULL), DK_OK);
    vt_advance(1000000);
    {
        unsigned n = 0;
        cr_assert_eq(dk_vaccel_harvest(&acc, &first, 1, &n, &why), DK_OK);
        cr_assert_eq(n, 1);
    }
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_CSUM, &ss, 1, NULL, 0, 256, 0, 2, &why), DK_OK);
    cr_assert_eq(first.status, DK_OK);
    cr_assert_eq(first.result, fnv1a(s.p, 256));
    (void)result;
}

/*
 * Regression: dk_vaccel_submit checked only
 * `nsrc + ndst + 2u > DK_VIRTQ_CHAIN_MAX`, in unsigned arithmetic, so
 * nsrc = UINT_MAX wrapped the sum to a small number and dk_vaccel_sum()
 * walked src[] past the caller's array. src sits right before an
 * inaccessible page, so an over-read faults in every build. Expected:
 * DK_E_INVAL (OVER_CAP) and src[1] never read.
 */
Test(virtio_accel, huge_segment_count_does_not_read_past_the_array)
{
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *map;
    struct dk_vseg *src;
    struct vt_buf d = vt_buf(64);
    struct dk_vseg dst = vt_seg(&d);
    enum dk_reason why;

    accel_up(2, 0, 0);
    map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(map, MAP_FAILED);
    cr_assert_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
    src = (struct dk_vseg *)(map + page) - 1;
    *src = (struct dk_vseg){vt_mem_dma, 64, 0};
    cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, src, UINT32_MAX, &dst, 1, 64, 0, 1, &why),
                 DK_E_INVAL);
    cr_assert_eq(why, DK_R_OVER_CAP);
    cr_assert_eq(dk_virtq_inflight(&acc.q), 0);
    munmap(map, (size_t)page * 2);
}

static unsigned live_vmos(void)
{
    unsigned i, n = 0;

    for (i = 0; i < DK_HOST_VMOS_MAX; i++)
        n += vt_host.vmos[i].live;
    return n;
}

/* Reset, reclaim and bring up again, many times: the accelerator's
 * request area is released each time (as for blk), and fini at the end
 * leaves only the fixture's VMO. */
VT_BOTH(virtio_accel, reinit_after_reset_does_not_leak_vmos)
{
    static struct dk_vaccel zeroed;
    struct vt_buf s = vt_buf(64), d = vt_buf(64);
    struct dk_vseg ss = vt_seg(&s), ds = vt_seg(&d);
    struct dk_vdone done;
    enum dk_reason why;
    unsigned cycle, live0;
    uint32_t count;

    cr_assert_eq(dk_vaccel_fini(&zeroed), DK_OK, "fini on a zeroed struct");
    accel_up(ver, 0, 0);
    live0 = live_vmos();
    vt_fill(&s, 4);
    vt_posted(&d);
    for (cycle = 0; cycle < 300; cycle++) {
        cr_assert_eq(dk_vaccel_submit(&acc, DK_VACCEL_COPY, &ss, 1, &ds, 1, 64, 0, cycle, &why),
                     DK_OK);
        if (cycle % 2 == 0) {
            done = accel_run(cycle);
            cr_assert_eq(dk_vaccel_complete(&acc, &done, NULL), DK_OK);
            cr_assert_arr_eq(d.p, s.p, 64);
        }
        cr_assert_eq(dk_virtio_reset(&acc.dev, &why), DK_OK);
        cr_assert_eq(dk_virtq_reclaim(&acc.q, NULL, NULL, &count), DK_OK);
        cr_assert_eq(count, cycle % 2);
        cr_assert_eq(dk_vaccel_init(&acc, vt_be, VT_CAP, 16, vt_storage, sizeof vt_storage, &why),
                     DK_OK, "cycle %u: %d", cycle, why);
        cr_assert_eq(live_vmos(), live0, "cycle %u", cycle);
    }
    cr_assert_eq(dk_virtio_reset(&acc.dev, &why), DK_OK);
    cr_assert_eq(dk_virtq_reclaim(&acc.q, NULL, NULL, &count), DK_OK);
    cr_assert_eq(dk_vaccel_fini(&acc), DK_OK);
    cr_assert_eq(dk_vaccel_fini(&acc), DK_OK);
    cr_assert_eq(live_vmos(), 1);
}
