/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio driver bring-up (include/driverkit/virtio.h) against simulated
 * devices, in both register layouts: capability checks, identification,
 * the status handshake, feature negotiation, and every documented refusal
 * (empty slot, bad magic or version, wrong class, no VERSION_1, a refused
 * FEATURES_OK, a reset that never completes, a config that never settles).
 */
#include "virtio_fixture.h"

TestSuite(virtio_open, .init = vt_setup, .fini = vt_teardown);
TestSuite(virtio_init, .init = vt_setup, .fini = vt_teardown);
TestSuite(virtio_refuse, .init = vt_setup, .fini = vt_teardown);

static struct dk_vblk blk;
static struct dk_vrng rng;
static struct dk_vaccel acc;

VT_BOTH(virtio_open, ungranted_capability_is_perm_then_granted_identifies)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    struct dk_virtio_dev d;
    struct dk_host_stats hs;
    enum dk_reason why = DK_R_NONE;

    cr_assert_eq(dk_sim_init(&vt_sim, &vt_host, &c), DK_OK);
    /* Not granted: the host answers as the kernel's EPERM does. */
    cr_assert_eq(dk_virtio_open(&d, vt_be, VT_CAP, &why), DK_E_PERM);
    cr_assert_neq(why, DK_R_NONE);
    cr_assert_eq(dk_virtio_status(&d), 0, "a refused open left a usable device");
    cr_assert_eq(dk_host_stats(&vt_host, &hs), DK_OK);
    cr_assert_eq(hs.maps_denied, 1);
    cr_assert_eq(vt_sim.status, 0);

    cr_assert_eq(dk_host_grant(&vt_host, VT_CAP), DK_OK);
    cr_assert_eq(dk_virtio_open(&d, vt_be, VT_CAP, &why), DK_OK);
    cr_assert_eq(why, DK_R_NONE);
    cr_assert_eq(d.version, ver);
    cr_assert_eq(d.device_id, DK_VIRTIO_ID_BLOCK);
    /* Identification writes nothing. */
    cr_assert_eq(vt_sim.status, 0);
    cr_assert_eq(vt_sim_stats().resets, 0);
    vt_protocol_clean();
}

VT_BOTH(virtio_open, empty_slot_reads_three_registers_and_writes_none)
{
    struct dk_virtio_dev d;
    enum dk_reason why;

    vt_fake_start(DK_VIRTIO_MAGIC_VALUE, ver, 0);
    cr_assert_eq(dk_virtio_open(&d, vt_be, VT_FAKE_CAP, &why), DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_VIRTIO_NO_DEVICE);
    /* Magic, version, device id, and nothing else (virtio 4.2.3.1.1). */
    cr_assert_eq(vt_fake.reads, 3);
    cr_assert_eq(vt_fake.writes, 0);
    cr_assert_eq(dk_virtio_status(&d), 0);
}

Test(virtio_open, wrong_magic_is_not_found_after_one_read)
{
    struct dk_virtio_dev d;
    enum dk_reason why;

    vt_fake_start(0x74726977u, 2, DK_VIRTIO_ID_BLOCK);
    cr_assert_eq(dk_virtio_open(&d, vt_be, VT_FAKE_CAP, &why), DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_VIRTIO_MAGIC);
    cr_assert_eq(vt_fake.reads, 1);
    cr_assert_eq(vt_fake.writes, 0);
}

Test(virtio_open, bad_versions_are_unsupported)
{
    static const uint32_t bad[] = {0, 3, 0xffffffffu};
    struct dk_virtio_dev d;
    enum dk_reason why;
    unsigned i;

    vt_fake_start(DK_VIRTIO_MAGIC_VALUE, 0, DK_VIRTIO_ID_BLOCK);
    for (i = 0; i < 3; i++) {
        vt_fake.version = bad[i];
        vt_fake.reads = 0;
        cr_assert_eq(dk_virtio_open(&d, vt_be, VT_FAKE_CAP, &why), DK_E_UNSUPPORTED);
        cr_assert_eq(why, DK_R_VIRTIO_VERSION);
        cr_assert_eq(vt_fake.reads, 2);
    }
    cr_assert_eq(vt_fake.writes, 0);
}

Test(virtio_open, missing_capability_is_perm)
{
    struct dk_virtio_dev d;
    enum dk_reason why;

    cr_assert_eq(dk_virtio_open(&d, vt_be, 0xdead, &why), DK_E_PERM);
    cr_assert_eq(dk_virtio_open(NULL, vt_be, VT_CAP, &why), DK_E_INVAL);
    cr_assert_eq(why, DK_R_NULL_ARG);
    cr_assert_eq(dk_virtio_open(&d, NULL, VT_CAP, &why), DK_E_INVAL);
}

/* The device's own view of a finished bring-up. */
static void assert_up(const struct dk_virtio_dev *d, uint32_t ver, uint16_t qsize)
{
    cr_assert_eq(dk_virtio_status(d), vt_expected_status(ver));
    cr_assert_eq(vt_sim.status, vt_expected_status(ver));
    cr_assert_eq(d->version, ver);
    cr_assert_eq(vt_sim.q[0].ready, 1);
    cr_assert_eq(vt_sim.q[0].num, qsize);
    if (ver == 1) {
        cr_assert_eq(vt_sim.page_size, DK_VIRTIO_LEGACY_ALIGN);
        cr_assert_neq(vt_sim.q[0].pfn, 0);
        cr_assert_eq(d->features >> DK_VIRTIO_F_VERSION_1 & 1u, 0);
    } else {
        cr_assert_eq(d->features >> DK_VIRTIO_F_VERSION_1 & 1u, 1);
    }
    cr_assert_eq(vt_sim.driver_features, d->features);
    vt_protocol_clean();
}

VT_BOTH(virtio_init, blk_handshake_reaches_driver_ok)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    enum dk_reason why;

    vt_sim_start(&c);
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, VT_QSIZE, vt_storage, sizeof vt_storage, &why),
                 DK_OK);
    cr_assert_eq(why, DK_R_NONE);
    assert_up(&blk.dev, ver, VT_QSIZE);
    cr_assert_eq(blk.capacity, VT_SECTORS);
    cr_assert_eq(blk.seg_max, 0, "seg_max read without SEG_MAX");
    cr_assert_eq(blk.size_max, 0);
    cr_assert_eq(blk.read_only, 0);
}

VT_BOTH(virtio_init, rng_handshake_reaches_driver_ok_without_config_reads)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, ver);
    enum dk_reason why;

    vt_sim_start(&c);
    cr_assert_eq(dk_vrng_init(&rng, vt_be, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    assert_up(&rng.dev, ver, 8);
    cr_assert_eq(vt_sim_stats().config_reads, 0, "rng has no config space");
}

VT_BOTH(virtio_init, accel_handshake_reads_max_len_and_ops)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_ACCEL, ver);
    enum dk_reason why;

    c.accel_max_len = 8192;
    vt_sim_start(&c);
    cr_assert_eq(dk_vaccel_init(&acc, vt_be, VT_CAP, 32, vt_storage, sizeof vt_storage, &why),
                 DK_OK);
    assert_up(&acc.dev, ver, 32);
    cr_assert_eq(acc.max_len, 8192);
    cr_assert_eq(acc.ops, DK_SIM_ACCEL_OPS_MASK);
}

VT_BOTH(virtio_init, accepts_only_offered_bits_it_knows)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    uint64_t want = 1ull << DK_VIRTIO_F_INDIRECT_DESC | 1ull << DK_VIRTIO_F_EVENT_IDX |
                    1ull << DK_VBLK_F_SEG_MAX | 1ull << DK_VBLK_F_SIZE_MAX |
                    1ull << DK_VBLK_F_BLK_SIZE | (ver == 2 ? 1ull << DK_VIRTIO_F_VERSION_1 : 0);
    enum dk_reason why;

    c.extra_features = want;
    c.extra_features &= ~(1ull << DK_VIRTIO_F_VERSION_1);
    c.seg_max = 3;
    c.size_max = 4096;
    vt_sim_start(&c);
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, VT_QSIZE, vt_storage, sizeof vt_storage, &why),
                 DK_OK);
    /* Exactly the offered bits the shim knows (FLUSH is not offered here:
     * virtio_blk::flush_is_sent_only_when_negotiated covers it). */
    cr_assert_eq(blk.dev.features, want, "features %#llx", (unsigned long long)blk.dev.features);
    cr_assert_eq(blk.seg_max, 3);
    cr_assert_eq(blk.size_max, 4096);
    cr_assert_eq(blk.q.use_indirect, 1);
    cr_assert_eq(blk.q.event_idx, 1);
    assert_up(&blk.dev, ver, VT_QSIZE);
}

VT_BOTH(virtio_refuse, wrong_device_class_touches_nothing)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    enum dk_reason why;

    vt_sim_start(&c);
    cr_assert_eq(dk_vrng_init(&rng, vt_be, VT_CAP, 8, vt_storage, sizeof vt_storage, &why),
                 DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_VIRTIO_WRONG_DEVICE);
    cr_assert_eq(dk_vaccel_init(&acc, vt_be, VT_CAP, 8, vt_storage, sizeof vt_storage, &why),
                 DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_VIRTIO_WRONG_DEVICE);
    cr_assert_eq(vt_sim.status, 0, "the handshake started on the wrong device");
    cr_assert_eq(vt_sim_stats().resets, 0);
    /* The right class still comes up. */
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    assert_up(&blk.dev, ver, 8);
}

Test(virtio_refuse, blk_shim_on_rng_device_is_wrong_device)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, 2);
    enum dk_reason why;

    vt_sim_start(&c);
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, 8, vt_storage, sizeof vt_storage, &why),
                 DK_E_NOT_FOUND);
    cr_assert_eq(why, DK_R_VIRTIO_WRONG_DEVICE);
}

/* ---- hostile register answers, through the spy backend ---- */

static uint32_t feat_sel;
static uint32_t gen_counter;

static uint32_t track_sel(uint32_t off, unsigned width, uint32_t v)
{
    (void)width;
    if (off == DK_VMMIO_DEVICE_FEATURES_SEL)
        feat_sel = v;
    return v;
}

static uint32_t hide_version_1(uint32_t off, unsigned width, uint32_t v)
{
    (void)width;
    if (off == DK_VMMIO_DEVICE_FEATURES && feat_sel == 1)
        v &= ~1u; /* bit 32 */
    return v;
}

static uint32_t drop_features_ok(uint32_t off, unsigned width, uint32_t v)
{
    (void)width;
    return off == DK_VMMIO_STATUS ? v & ~DK_VIRTIO_S_FEATURES_OK : v;
}

static uint32_t never_reset(uint32_t off, unsigned width, uint32_t v)
{
    (void)width;
    return off == DK_VMMIO_STATUS ? v | DK_VIRTIO_S_ACKNOWLEDGE : v;
}

/* Modern: ConfigGeneration moves on every read. Legacy: every config read
 * answers something new. Neither ever settles. */
static uint32_t never_settles(uint32_t off, unsigned width, uint32_t v)
{
    (void)width;
    if (off == DK_VMMIO_CONFIG_GENERATION || off >= DK_VMMIO_CONFIG)
        return v + gen_counter++;
    return v;
}

Test(virtio_refuse, modern_device_without_version_1_is_failed)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, 2);
    const struct dk_backend *spy;
    enum dk_reason why;

    vt_sim_start(&c);
    spy = vt_spy_install();
    vt_spy.on_write = track_sel;
    vt_spy.on_read = hide_version_1;
    cr_assert_eq(dk_vblk_init(&blk, spy, VT_CAP, 8, vt_storage, sizeof vt_storage, &why),
                 DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_NO_VERSION_1);
    cr_assert(vt_sim.status & DK_VIRTIO_S_FAILED);
    cr_assert_eq(vt_sim.status & (DK_VIRTIO_S_FEATURES_OK | DK_VIRTIO_S_DRIVER_OK), 0);
    cr_assert_eq(vt_spy_count('w', DK_VMMIO_DRIVER_FEATURES), 0, "features written anyway");
    /* After FAILED a later bring-up resets first and succeeds. */
    vt_spy.on_read = NULL;
    cr_assert_eq(dk_vblk_init(&blk, spy, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    cr_assert_eq(vt_sim.status, vt_expected_status(2));
}

Test(virtio_refuse, refused_features_ok_is_failed)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, 2);
    const struct dk_backend *spy;
    enum dk_reason why;

    vt_sim_start(&c);
    spy = vt_spy_install();
    vt_spy.on_read = drop_features_ok;
    cr_assert_eq(dk_vrng_init(&rng, spy, VT_CAP, 8, vt_storage, sizeof vt_storage, &why),
                 DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_FEATURES_REFUSED);
    cr_assert(vt_sim.status & DK_VIRTIO_S_FAILED);
    cr_assert_eq(vt_sim.status & DK_VIRTIO_S_DRIVER_OK, 0);
    cr_assert_eq(vt_sim.q[0].ready, 0, "a queue was set up on a refused device");
}

VT_BOTH(virtio_refuse, features_ok_is_written_only_in_modern)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_RNG, ver);
    const struct dk_backend *spy;
    enum dk_reason why;
    unsigned i, fok = 0, gps = 0;

    vt_sim_start(&c);
    spy = vt_spy_install();
    cr_assert_eq(dk_vrng_init(&rng, spy, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    for (i = 0; i < vt_spy.nev; i++) {
        const struct vt_ev *e = &vt_spy.ev[i];
        if (e->kind == 'w' && e->off == DK_VMMIO_STATUS && (e->val & DK_VIRTIO_S_FEATURES_OK))
            fok++;
        if (e->kind == 'w' && e->off == DK_VMMIO_GUEST_PAGE_SIZE)
            gps++;
        /* Registers the layout lacks are never touched. */
        if (ver == 1)
            cr_assert(
                e->kind == 'b' ||
                    (e->off != DK_VMMIO_QUEUE_READY && e->off != DK_VMMIO_CONFIG_GENERATION &&
                     (e->off < DK_VMMIO_QUEUE_DESC_LOW || e->off > DK_VMMIO_QUEUE_DEVICE_HIGH)),
                "legacy access to %#x", e->off);
        else
            cr_assert(e->kind == 'b' ||
                          (e->off != DK_VMMIO_QUEUE_PFN && e->off != DK_VMMIO_GUEST_PAGE_SIZE &&
                           e->off != DK_VMMIO_QUEUE_ALIGN),
                      "modern access to %#x", e->off);
    }
    cr_assert_eq(fok > 0, ver == 2);
    cr_assert_eq(gps, ver == 1 ? 1u : 0u);
    vt_protocol_clean();
}

VT_BOTH(virtio_refuse, reset_that_never_completes_times_out_bounded)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    const struct dk_backend *spy;
    enum dk_reason why;

    vt_sim_start(&c);
    spy = vt_spy_install();
    vt_spy.on_read = never_reset;
    cr_assert_eq(dk_vblk_init(&blk, spy, VT_CAP, 8, vt_storage, sizeof vt_storage, &why),
                 DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_RESET_TIMEOUT);
    cr_assert_eq(vt_spy_count('r', DK_VMMIO_STATUS), DK_VIRTIO_RESET_POLLS);
    cr_assert_eq(vt_spy_count('w', DK_VMMIO_DRIVER_FEATURES), 0);
}

VT_BOTH(virtio_refuse, config_that_never_settles_is_unstable_and_failed)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    const struct dk_backend *spy;
    enum dk_reason why;
    uint32_t v = 0xabcd;
    uint64_t v64 = 0x1234;
    unsigned reads;

    vt_sim_start(&c);
    spy = vt_spy_install();
    vt_spy.on_read = never_settles;
    cr_assert_eq(dk_vblk_init(&blk, spy, VT_CAP, 8, vt_storage, sizeof vt_storage, &why),
                 DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_CONFIG_UNSTABLE);
    cr_assert(vt_sim.status & DK_VIRTIO_S_FAILED);
    cr_assert_eq(vt_sim.status & DK_VIRTIO_S_DRIVER_OK, 0);
    /* BOUND: DK_VIRTIO_CONFIG_RETRIES passes of two 32-bit reads (legacy:
     * each pass reads both halves twice). */
    reads = vt_spy_count('r', DK_VMMIO_CONFIG) + vt_spy_count('r', DK_VMMIO_CONFIG + 4);
    cr_assert_eq(reads, DK_VIRTIO_CONFIG_RETRIES * (ver == 2 ? 2u : 4u));

    /* On a device that is up, a direct read fails the same way and does
     * not write the caller's value. */
    vt_spy.on_read = NULL;
    cr_assert_eq(dk_vblk_init(&blk, spy, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    vt_spy.on_read = never_settles;
    cr_assert_eq(dk_virtio_config_read(&blk.dev, DK_SIM_BLK_CFG_BLK_SIZE, 4, &v, &why),
                 DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_CONFIG_UNSTABLE);
    cr_assert_eq(dk_virtio_config_read64(&blk.dev, 0, &v64, &why), DK_E_DEVICE);
    cr_assert_eq(why, DK_R_VIRTIO_CONFIG_UNSTABLE);
    cr_assert_eq(v64, 0x1234, "an unstable 64-bit read wrote the result");
}

VT_BOTH(virtio_refuse, config_read_checks_width_and_alignment)
{
    struct dk_sim_cfg c = vt_cfg(DK_SIM_BLK, ver);
    enum dk_reason why;
    uint32_t v;
    uint64_t v64;

    vt_sim_start(&c);
    cr_assert_eq(dk_vblk_init(&blk, vt_be, VT_CAP, 8, vt_storage, sizeof vt_storage, &why), DK_OK);
    cr_assert_eq(dk_virtio_config_read(&blk.dev, 0, 3, &v, &why), DK_E_INVAL);
    cr_assert_eq(dk_virtio_config_read(&blk.dev, 2, 4, &v, &why), DK_E_INVAL);
    cr_assert_eq(dk_virtio_config_read(&blk.dev, DK_VMMIO_WINDOW, 4, &v, &why), DK_E_INVAL);
    cr_assert_eq(dk_virtio_config_read64(&blk.dev, 2, &v64, &why), DK_E_INVAL);
    cr_assert_eq(dk_virtio_config_read(&blk.dev, DK_SIM_BLK_CFG_BLK_SIZE, 4, &v, &why), DK_OK);
    cr_assert_eq(v, 512);
    cr_assert_eq(dk_virtio_config_read64(&blk.dev, 0, &v64, &why), DK_OK);
    cr_assert_eq(v64, VT_SECTORS);
    vt_protocol_clean();
}
