/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The QEMU selftest's scenarios (tests/qemu/selftest/scenarios.c, the same
 * source) over the host backend with simulated devices laid out as the
 * stand-in supervisor lays out QEMU's (ABI.md): blk on cap 1 at 0x1000_8000
 * (IRQ 8), rng on cap 2 at 0x1000_7000 (IRQ 7), a device on cap 3 at
 * 0x1000_6000 that is never granted, cap 4 empty. Both backends must print
 * exactly tests/qemu/expected-markers.txt, in both register layouts.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include <driverkit/host.h>
#include <driverkit/host_sim.h>
#include <driverkit/status.h>
#include <driverkit/virtio.h>

#include "scenarios.h"

#define SC_ARENA (1u << 20)
#define SC_SECTORS 2048u
#define SC_T0 1000000u /* the virtual clock starts at 1 ms */

static struct dk_host SCH;
static _Alignas(4096) uint8_t sc_arena[SC_ARENA];
static struct dk_sim_dev sc_blk, sc_rng, sc_denied;
static uint8_t sc_disk[SC_SECTORS * 512u];
static uint8_t sc_disk3[8 * 512u];
static char sc_out[16384];
static size_t sc_out_len;

static void sc_print(void *arg, const char *s, size_t len)
{
    (void)arg;
    cr_assert_lt(len, sizeof sc_out - sc_out_len, "selftest output overflows the test buffer");
    memcpy(sc_out + sc_out_len, s, len);
    sc_out_len += len;
    sc_out[sc_out_len] = '\0';
}

static uint64_t sc_faults(void *arg)
{
    struct dk_host_stats st;

    (void)arg;
    cr_assert_eq(dk_host_stats(&SCH, &st), DK_OK);
    return st.mmio_faults;
}

static struct dk_sim_cfg sc_cfg(unsigned kind, uint32_t version, uint64_t cap, uint64_t phys,
                                uint32_t irq)
{
    struct dk_sim_cfg c;

    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.version = version;
    c.cap = cap;
    c.phys = phys;
    c.irq = irq;
    c.seed = 42;
    c.latency_ns = 20000;
    c.jitter_ns = 10000;
    c.extra_features = 1ull << DK_VIRTIO_F_INDIRECT_DESC | 1ull << DK_VIRTIO_F_EVENT_IDX;
    return c;
}

/* A host with QEMU's layout; @grant_blk: whether cap 1 is granted. */
static void sc_up(uint32_t version, int grant_blk)
{
    struct dk_sim_cfg c;

    memset(sc_disk, 0, sizeof sc_disk);
    memcpy(sc_disk, DK_SCN_DISK_MAGIC, 8);
    sc_out_len = 0;
    sc_out[0] = '\0';
    cr_assert_eq(dk_host_init(&SCH, sc_arena, sizeof sc_arena, SC_T0), DK_OK);
    c = sc_cfg(DK_SIM_BLK, version, 1, 0x10008000u, 8);
    /* What QEMU's virtio-blk offers besides: limits and flush. */
    c.extra_features |= 1ull << DK_SIM_BLK_F_SEG_MAX | 1ull << DK_SIM_BLK_F_SIZE_MAX |
                        1ull << DK_SIM_BLK_F_BLK_SIZE | 1ull << DK_SIM_BLK_F_FLUSH;
    c.seg_max = 126;
    c.size_max = 65536;
    c.disk = sc_disk;
    c.disk_bytes = sizeof sc_disk;
    cr_assert_eq(dk_sim_init(&sc_blk, &SCH, &c), DK_OK);
    c = sc_cfg(DK_SIM_RNG, version, 2, 0x10007000u, 7);
    cr_assert_eq(dk_sim_init(&sc_rng, &SCH, &c), DK_OK);
    c = sc_cfg(DK_SIM_BLK, version, 3, 0x10006000u, 6);
    c.disk = sc_disk3;
    c.disk_bytes = sizeof sc_disk3;
    cr_assert_eq(dk_sim_init(&sc_denied, &SCH, &c), DK_OK);
    if (grant_blk)
        cr_assert_eq(dk_host_grant(&SCH, 1), DK_OK);
    cr_assert_eq(dk_host_grant(&SCH, 2), DK_OK);
}

static void sc_down(void)
{
    cr_assert_eq(dk_sim_fini(&sc_blk), DK_OK);
    cr_assert_eq(dk_sim_fini(&sc_rng), DK_OK);
    cr_assert_eq(dk_sim_fini(&sc_denied), DK_OK);
    cr_assert_eq(dk_host_fini(&SCH), DK_OK);
}

static int sc_run(void)
{
    struct dk_scn_platform p;

    memset(&p, 0, sizeof p);
    p.be = dk_host_backend(&SCH);
    p.blk_cap = 1;
    p.rng_cap = 2;
    p.denied_cap = 3;
    p.empty_cap = 4;
    p.blk_irq = 8;
    p.rng_irq = 7;
    p.blk_phys = 0x10008000u;
    p.disk_sectors = SC_SECTORS;
    /* Same address as on QEMU: in the host's opaque encoding it names an
     * unused window slot, so it is outside every granted window here too. */
    p.outside_addr = 0x10006000u;
    p.faults = sc_faults;
    p.print = sc_print;
    p.blk_id = "dk-sim-blk-00000001"; /* the simulation's id for cap 1 */
    p.timeout_ns = 2000000000u;
    p.short_ns = 5000000u;
    return dk_scn_run(&p);
}

/* The marker lines of the output ("SELFTEST: " or "driverkit: "), as run.sh takes them. */
static size_t sc_markers(char *dst, size_t cap)
{
    const char *line = sc_out;
    size_t n = 0;

    while (*line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) + 1u : strlen(line);

        if (strncmp(line, "SELFTEST: ", 10) == 0 || strncmp(line, "driverkit: ", 11) == 0) {
            cr_assert_lt(n + len, cap);
            memcpy(dst + n, line, len);
            n += len;
        }
        line += len;
    }
    dst[n] = '\0';
    return n;
}

static void sc_expect_file_markers(void)
{
    char want[2048], got[2048];
    FILE *f = fopen(DK_QEMU_MARKERS, "r");
    size_t n;

    cr_assert_not_null(f, "cannot open %s", DK_QEMU_MARKERS);
    n = fread(want, 1, sizeof want - 1u, f);
    fclose(f);
    want[n] = '\0';
    sc_markers(got, sizeof got);
    cr_assert_str_eq(got, want, "marker lines differ from tests/qemu/expected-markers.txt:\n%s",
                     sc_out);
}

static void sc_full_run(uint32_t version)
{
    char info[64], pattern[512];
    struct dk_host_stats st;
    unsigned i;

    sc_up(version, 1);
    cr_assert_eq(sc_run(), DK_OK, "output:\n%s", sc_out);
    sc_expect_file_markers();
    snprintf(info, sizeof info, "info: blk virtio-mmio version %u (%s)\n", version,
             version == 1 ? "legacy" : "modern");
    cr_assert_not_null(strstr(sc_out, info), "no '%s' in:\n%s", info, sc_out);
    /* The write reached the device's disk, as run.sh checks the image. */
    for (i = 0; i < sizeof pattern; i++)
        pattern[i] = DK_SCN_PATTERN[i % 32u];
    cr_assert_eq(memcmp(sc_disk + DK_SCN_PATTERN_SECTOR * 512u, pattern, sizeof pattern), 0);
    /* One contained fault: the trap scenario's access, nothing else. */
    cr_assert_eq(dk_host_stats(&SCH, &st), DK_OK);
    cr_assert_eq(st.mmio_faults, 1u);
    cr_assert_geq(st.maps_denied, 3u, "cap 3 (twice) and the empty slot");
    sc_down();
}

Test(scenarios, all_markers_legacy)
{
    sc_full_run(1);
}

Test(scenarios, all_markers_modern)
{
    sc_full_run(2);
}

/* Two runs with the same configuration print the same bytes. */
Test(scenarios, output_is_deterministic)
{
    static char first[sizeof sc_out];

    sc_up(2, 1);
    cr_assert_eq(sc_run(), DK_OK, "output:\n%s", sc_out);
    memcpy(first, sc_out, sc_out_len + 1u);
    sc_down();
    sc_up(2, 1);
    cr_assert_eq(sc_run(), DK_OK, "output:\n%s", sc_out);
    cr_assert_str_eq(sc_out, first);
    sc_down();
}

/* A marker is printed only after its check passed: with the blk window not
 * granted, the run stops at mmio map with EPERM, after `driverkit: ready`. */
Test(scenarios, ungranted_blk_stops_before_mmio_map_marker)
{
    char got[2048];

    sc_up(1, 0);
    cr_assert_eq(sc_run(), DK_E_PERM, "output:\n%s", sc_out);
    sc_markers(got, sizeof got);
    cr_assert_str_eq(got, "driverkit: ready\n"
                          "SELFTEST: FAIL mmio-map/virtio-open DK_E_PERM\n");
    sc_down();
}

/* A device that fails the submitted write: no `submit ok`, and the run stops
 * there with a FAIL line; the markers before it still stand. */
Test(scenarios, failed_write_stops_at_submit)
{
    char got[2048];
    int rc;

    sc_up(2, 1);
    /* GET_ID and the sector-0 read complete; the third completion (the
     * submit scenario's write) fails with IOERR. */
    cr_assert_eq(dk_sim_inject(&sc_blk, DK_SIM_FAULT_ERROR_STATUS, 2), DK_OK);
    rc = sc_run();
    cr_assert_neq(rc, DK_OK, "output:\n%s", sc_out);
    sc_markers(got, sizeof got);
    cr_assert_eq(strncmp(got,
                         "driverkit: ready\n"
                         "SELFTEST: driverkit mmio map ok\n"
                         "SELFTEST: driverkit mmio deny ok\n"
                         "SELFTEST: driverkit mmio trap ok\n"
                         "SELFTEST: driverkit blk smoke ok\n"
                         "SELFTEST: FAIL submit/",
                         strlen("driverkit: ready\n"
                                "SELFTEST: driverkit mmio map ok\n"
                                "SELFTEST: driverkit mmio deny ok\n"
                                "SELFTEST: driverkit mmio trap ok\n"
                                "SELFTEST: driverkit blk smoke ok\n"
                                "SELFTEST: FAIL submit/")),
                 0, "output:\n%s", got);
    cr_assert_null(strstr(got, "submit ok"));
    sc_down();
}

/* A device that never completes: the bounded wait for its first interrupt
 * ends the run with DK_E_TIMED_OUT at blk smoke instead of hanging. */
Test(scenarios, stalled_device_times_out_in_blk_smoke)
{
    sc_up(1, 1);
    cr_assert_eq(dk_sim_inject(&sc_blk, DK_SIM_FAULT_STALL, 0), DK_OK);
    cr_assert_eq(sc_run(), DK_E_TIMED_OUT, "output:\n%s", sc_out);
    cr_assert_not_null(strstr(sc_out, "SELFTEST: FAIL blk-smoke/irq-wait DK_E_TIMED_OUT\n"),
                       "output:\n%s", sc_out);
    cr_assert_null(strstr(sc_out, "blk smoke ok"));
    sc_down();
}
