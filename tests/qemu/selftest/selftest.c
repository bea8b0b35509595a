/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The QEMU selftest: a U-mode program under the stand-in supervisor
 * (tests/qemu/ABI.md) that runs the shared scenarios (scenarios.c) over
 * libdriverkit's nexus backend against QEMU's real virtio-mmio devices.
 *
 * Only the three stand-in calls are used directly (0x7d0 debug_write,
 * 0x7d1 exit from start.S, 0x7d2 test_faults): the real OS gives a
 * selftest a log service instead. Everything else goes through the
 * backend, i.e. through the Nexus ABI.
 */
#include <driverkit/nexus.h>
#include <driverkit/status.h>
#include <driverkit/virtio.h>

#include "nexus_rv64.h"
#include "scenarios.h"

#define ST_SYS_DEBUG_WRITE 0x7d0ul
#define ST_SYS_TEST_FAULTS 0x7d2ul

/* Capability table the stand-in gives this task (ABI.md). */
#define ST_CAP_BLK 1u    /* virtio-mmio slot 7, MAP right */
#define ST_CAP_RNG 2u    /* virtio-mmio slot 6, MAP right */
#define ST_CAP_DENIED 3u /* virtio-mmio slot 5, no MAP right */
#define ST_CAP_EMPTY 4u
#define ST_BLK_PHYS 0x10008000u
#define ST_BLK_IRQ 8u
#define ST_RNG_IRQ 7u
#define ST_WINDOW 0x1000u
#define ST_OUTSIDE 0x10006000u /* slot 5: a window never granted to us */
#define ST_DISK_SECTORS 2048u  /* tests/qemu/run.sh makes a 1 MiB image */

int main(void);

static struct dk_nexus st_nx;

static void st_print(void *arg, const char *s, size_t len)
{
    (void)arg;
    (void)dk_nexus_ecall2(ST_SYS_DEBUG_WRITE, (uintptr_t)s, len);
}

static uint64_t st_faults(void *arg)
{
    long r = dk_nexus_ecall0(ST_SYS_TEST_FAULTS);

    (void)arg;
    /* An error must not look like a count that moved by one. */
    return r < 0 ? UINT64_MAX / 2u : (uint64_t)r;
}

/* Nexus-only answers, before `driverkit: ready`: cap_query kinds are
 * enforced (a device window is not a VMO and the reverse), the window the
 * kernel reports is slot 7's, and the backend is recognised as nexus. */
static int st_ready_extra(void *arg, const char **step)
{
    const struct dk_backend *be = dk_nexus_backend(&st_nx);
    struct dk_vmo_info info;
    uintptr_t addr;
    uint64_t vmo;
    int rc;

    (void)arg;
    *step = "nexus-from-backend";
    if (dk_nexus_from_backend(be) != &st_nx)
        return DK_E_CORRUPT;
    *step = "vmo-query-device-cap";
    rc = be->ops->vmo_query(be->ctx, ST_CAP_BLK, &info);
    if (rc != DK_E_PERM)
        return rc == DK_OK ? DK_E_STATE : rc;
    *step = "mmio-query-window";
    rc = be->ops->mmio_query(be->ctx, ST_CAP_BLK, &info);
    if (rc != DK_OK)
        return rc;
    if (info.dma_addr != ST_BLK_PHYS || info.len != ST_WINDOW)
        return DK_E_RANGE;
    *step = "vmo-create";
    rc = be->ops->vmo_create(be->ctx, 4096, &vmo);
    if (rc != DK_OK)
        return rc;
    *step = "mmio-query-vmo-cap";
    rc = be->ops->mmio_query(be->ctx, vmo, &info);
    if (rc == DK_E_PERM) {
        *step = "mmio-map-vmo-cap";
        rc = be->ops->mmio_map(be->ctx, vmo, 0, 4096, &addr);
        rc = rc == DK_E_PERM ? DK_OK : (rc == DK_OK ? DK_E_STATE : rc);
    } else {
        rc = rc == DK_OK ? DK_E_STATE : rc;
    }
    if (rc == DK_OK) {
        *step = "vmo-destroy";
        rc = be->ops->vmo_destroy(be->ctx, vmo);
    } else {
        (void)be->ops->vmo_destroy(be->ctx, vmo);
    }
    return rc;
}

int main(void)
{
    static const char fail_init[] = "SELFTEST: FAIL nexus-init\n";
    struct dk_scn_platform p = {0};
    int rc = dk_nexus_init(&st_nx, NULL);

    if (rc != DK_OK) {
        st_print(NULL, fail_init, sizeof fail_init - 1u);
        return 1;
    }
    p.be = dk_nexus_backend(&st_nx);
    p.blk_cap = ST_CAP_BLK;
    p.rng_cap = ST_CAP_RNG;
    p.denied_cap = ST_CAP_DENIED;
    p.empty_cap = ST_CAP_EMPTY;
    p.blk_irq = ST_BLK_IRQ;
    p.rng_irq = ST_RNG_IRQ;
    p.blk_phys = ST_BLK_PHYS;
    p.disk_sectors = ST_DISK_SECTORS;
    p.outside_addr = ST_OUTSIDE;
    p.faults = st_faults;
    p.print = st_print;
    p.ready_extra = st_ready_extra;
    p.blk_id = "dk-selftest-blk"; /* the -device serial= in run.sh */
    p.timeout_ns = 2000000000u;   /* 2 s of QEMU's clock for a wait that must succeed */
    p.short_ns = 5000000u;        /* 5 ms for the waits that must time out */
    rc = dk_scn_run(&p);
    (void)dk_nexus_fini(&st_nx);
    return rc == DK_OK ? 0 : 1;
}
