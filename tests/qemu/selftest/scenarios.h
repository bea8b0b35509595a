/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The selftest's scenarios, backend-neutral: the same source runs in U-mode
 * on QEMU over the nexus backend (selftest.c) and on the host over the host
 * backend with simulated devices (tests/test_scenarios.c). Everything a
 * scenario touches goes through the backend vtable and DriverKit's public
 * API; what differs between platforms is in struct dk_scn_platform.
 *
 * Freestanding: no libc header, no allocation (state is static, zeroed at
 * the start of each run).
 */
#ifndef DK_SELFTEST_SCENARIOS_H
#define DK_SELFTEST_SCENARIOS_H

#include <driverkit/backend.h>
#include <driverkit/common.h>

/** What a platform hands the scenarios. Every field is mandatory unless noted. */
struct dk_scn_platform {
    const struct dk_backend *be;
    uint64_t blk_cap;    /**< device-MMIO cap of a virtio-blk device, MAP right */
    uint64_t rng_cap;    /**< device-MMIO cap of a virtio-rng device, MAP right */
    uint64_t denied_cap; /**< a device-MMIO cap without the MAP right */
    uint64_t empty_cap;  /**< a capability slot that holds nothing */
    uint32_t blk_irq, rng_irq;
    uint64_t blk_phys;      /**< base mmio_query must report for blk_cap */
    uint64_t disk_sectors;  /**< capacity the blk device must report */
    uintptr_t outside_addr; /**< an MMIO address in no granted, mapped window */
    /** Contained MMIO access faults so far (kernel trap count, host counter). */
    uint64_t (*faults)(void *arg);
    /** Write one line (with its '\n'). */
    void (*print)(void *arg, const char *s, size_t len);
    /** Optional: platform-only checks run before `driverkit: ready`;
     *  returns DK_OK or a failure status and names the failed check. */
    int (*ready_extra)(void *arg, const char **step);
    void *arg;
    const char *blk_id;  /**< the bytes GET_ID must start with */
    uint64_t timeout_ns; /**< bound of every wait that must succeed */
    uint64_t short_ns;   /**< deadline distance of the waits that must time out */
};

/** The marker lines, in the order they are printed (tests/qemu/expected-markers.txt). */
#define DK_SCN_MARKERS 10
extern const char *const dk_scn_markers[DK_SCN_MARKERS];

/** Sector 0 of the disk starts with these 8 bytes (tests/qemu/run.sh writes them). */
#define DK_SCN_DISK_MAGIC "DKDISK01"
/** The submit scenario writes this 32-byte string 16 times over sector 8. */
#define DK_SCN_PATTERN "DK-SUBMIT-PATTERN-0123456789abc\n"
#define DK_SCN_PATTERN_SECTOR 8u

/**
 * Run every scenario in order. Each marker is printed only after the checks
 * behind it passed; the first failure prints
 * `SELFTEST: FAIL <scenario>/<check> <status>[ (want <status>)]` and stops.
 * Also prints `info: ...` lines, which are not markers.
 * @return DK_OK, or the status of the failed check (never DK_OK then).
 */
int dk_scn_run(const struct dk_scn_platform *p);

#endif /* DK_SELFTEST_SCENARIOS_H */
