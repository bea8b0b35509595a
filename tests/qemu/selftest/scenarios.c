/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The selftest scenarios (scenarios.h), in marker order. Each returns DK_OK
 * or records the failed check (scn_fail_at) and returns its status;
 * dk_scn_run() prints a marker only after its scenario returned DK_OK.
 */
#include "scn_internal.h"

const char *const dk_scn_markers[DK_SCN_MARKERS] = {
    "driverkit: ready",
    "SELFTEST: driverkit mmio map ok",
    "SELFTEST: driverkit mmio deny ok",
    "SELFTEST: driverkit mmio trap ok",
    "SELFTEST: driverkit blk smoke ok",
    "SELFTEST: driverkit submit ok",
    "SELFTEST: driverkit backpressure ok",
    "SELFTEST: driverkit fence wait ok",
    "SELFTEST: driverkit rng ok",
    "SELFTEST: driverkit done",
};

/* ---- the scenarios ------------------------------------------------------ */

/* The backend answers: clock, VMO life (mapped VMOs cannot be destroyed),
 * deadline 0 refused; then the platform's own checks. */
static int scn_ready(void)
{
    static const char *const sc = "ready";
    const struct dk_backend_ops *ops = scn.be->ops;
    struct dk_vmo_info info;
    uint64_t vmo, t0, t1;
    uint32_t events;
    void *va;
    const char *step = "platform";
    int rc;

    /* The scenarios drive devices: the optional MMIO, IRQ and unmap ops are needed. */
    SCN_TRUE(sc, "ops",
             ops->vmo_unmap != NULL && ops->mmio_map != NULL && ops->irq_bind != NULL &&
                 ops->irq_ack != NULL,
             DK_E_UNSUPPORTED);
    t0 = scn_now();
    t1 = scn_now();
    SCN_TRUE(sc, "clock-monotonic", t1 >= t0 && t0 != 0, DK_E_BACKEND);
    SCN_EXPECT(sc, "wait-deadline-0", ops->wait(scn.be->ctx, 0, &events), DK_E_INVAL);
    SCN_OK(sc, "vmo-create", ops->vmo_create(scn.be->ctx, 4096, &vmo));
    SCN_OK(sc, "vmo-query", ops->vmo_query(scn.be->ctx, vmo, &info));
    SCN_TRUE(sc, "vmo-query-len", info.len >= 4096 && info.dma_addr != 0, DK_E_BACKEND);
    SCN_OK(sc, "vmo-map", ops->vmo_map(scn.be->ctx, vmo, 0, 4096, DK_MAP_READ | DK_MAP_WRITE, &va));
    ((volatile uint32_t *)va)[1] = 0x5a5aa5a5u;
    SCN_TRUE(sc, "vmo-rw",
             ((volatile uint32_t *)va)[0] == 0 && ((volatile uint32_t *)va)[1] == 0x5a5aa5a5u,
             DK_E_CORRUPT);
    SCN_EXPECT(sc, "vmo-destroy-mapped", ops->vmo_destroy(scn.be->ctx, vmo), DK_E_BUSY);
    SCN_OK(sc, "vmo-unmap", ops->vmo_unmap(scn.be->ctx, va, 4096));
    SCN_EXPECT(sc, "vmo-unmap-again", ops->vmo_unmap(scn.be->ctx, va, 4096), DK_E_NOT_FOUND);
    SCN_OK(sc, "vmo-destroy", ops->vmo_destroy(scn.be->ctx, vmo));
    SCN_EXPECT(sc, "vmo-query-destroyed", ops->vmo_query(scn.be->ctx, vmo, &info), DK_E_PERM);
    if (scn.p->ready_extra != NULL) {
        rc = scn.p->ready_extra(scn.p->arg, &step);
        if (rc != DK_OK)
            return scn_fail_at(sc, step, rc, DK_OK);
    }
    /* The DMA area every later scenario uses. */
    SCN_OK(sc, "dma-create", ops->vmo_create(scn.be->ctx, SCN_DMA_BYTES, &scn.dma_vmo));
    SCN_OK(sc, "dma-query", ops->vmo_query(scn.be->ctx, scn.dma_vmo, &info));
    SCN_OK(
        sc, "dma-map",
        ops->vmo_map(scn.be->ctx, scn.dma_vmo, 0, SCN_DMA_BYTES, DK_MAP_READ | DK_MAP_WRITE, &va));
    scn.dma = (uint8_t *)va;
    scn.dma_addr = info.dma_addr;
    return DK_OK;
}

/* A granted window maps and identifies a virtio device. */
static int scn_mmio_map(void)
{
    static const char *const sc = "mmio-map";
    const struct dk_backend_ops *ops = scn.be->ops;
    struct dk_vmo_info info;
    uint32_t magic;

    SCN_OK(sc, "virtio-open", dk_virtio_open(&scn.probe, scn.be, scn.p->blk_cap, NULL));
    magic = ops->mmio_read(scn.be->ctx, scn.probe.regs + DK_VMMIO_MAGIC, 4);
    SCN_TRUE(sc, "magic", magic == DK_VIRTIO_MAGIC_VALUE, DK_E_NOT_FOUND);
    SCN_TRUE(sc, "device-id", scn.probe.device_id == DK_VIRTIO_ID_BLOCK, DK_E_NOT_FOUND);
    SCN_TRUE(sc, "version", scn.probe.version == 1 || scn.probe.version == 2, DK_E_UNSUPPORTED);
    SCN_OK(sc, "mmio-query", ops->mmio_query(scn.be->ctx, scn.p->blk_cap, &info));
    SCN_TRUE(sc, "mmio-query-base", info.dma_addr == scn.p->blk_phys && info.len >= DK_VMMIO_WINDOW,
             DK_E_RANGE);
    SCN_LINE("info: blk virtio-mmio version ", scn.probe.version == 1 ? "1" : "2", " (",
             scn.probe.version == 1 ? "legacy" : "modern", ")");
    return DK_OK;
}

/* An unpermitted window and an empty slot are denied with EPERM; a range
 * outside a permitted window with EINVAL. */
static int scn_mmio_deny(void)
{
    static const char *const sc = "mmio-deny";
    const struct dk_backend_ops *ops = scn.be->ops;
    struct dk_virtio_dev d;
    uintptr_t addr = 0;

    SCN_EXPECT(sc, "no-map-right",
               ops->mmio_map(scn.be->ctx, scn.p->denied_cap, 0, DK_VMMIO_WINDOW, &addr), DK_E_PERM);
    SCN_EXPECT(sc, "empty-slot",
               ops->mmio_map(scn.be->ctx, scn.p->empty_cap, 0, DK_VMMIO_WINDOW, &addr), DK_E_PERM);
    SCN_EXPECT(sc, "virtio-open-denied", dk_virtio_open(&d, scn.be, scn.p->denied_cap, NULL),
               DK_E_PERM);
    SCN_EXPECT(sc, "out-of-window", ops->mmio_map(scn.be->ctx, scn.p->blk_cap, 0, 0x2000, &addr),
               DK_E_INVAL);
    return DK_OK;
}

/* An access outside every granted window is contained and counted once;
 * the granted window still works afterwards. */
static int scn_mmio_trap(void)
{
    static const char *const sc = "mmio-trap";
    const struct dk_backend_ops *ops = scn.be->ops;
    uint64_t before, after;

    before = scn.p->faults(scn.p->arg);
    (void)ops->mmio_read(scn.be->ctx, scn.p->outside_addr, 4);
    after = scn.p->faults(scn.p->arg);
    SCN_TRUE(sc, "fault-counted-once", after == before + 1u, DK_E_BACKEND);
    SCN_TRUE(sc, "window-still-works",
             ops->mmio_read(scn.be->ctx, scn.probe.regs + DK_VMMIO_MAGIC, 4) ==
                 DK_VIRTIO_MAGIC_VALUE,
             DK_E_DEVICE);
    return DK_OK;
}

/* Bring virtio-blk up, GET_ID and read sector 0: bounded by the deadline. */
static int scn_blk_smoke(void)
{
    static const char *const sc = "blk-smoke";
    size_t idn = scn_len(scn.p->blk_id);
    uint32_t events = 0, again = 0;
    uint64_t deadline;

    SCN_TRUE(sc, "storage", dk_vblk_storage_size(SCN_QSIZE) <= sizeof scn.blk_store, DK_E_INVAL);
    SCN_OK(sc, "vblk-init",
           dk_vblk_init(&scn.blk, scn.be, scn.p->blk_cap, SCN_QSIZE, scn.blk_store,
                        sizeof scn.blk_store, NULL));
    SCN_TRUE(sc, "capacity", scn.blk.capacity == scn.p->disk_sectors, DK_E_RANGE);
    SCN_OK(sc, "irq-bind", scn.be->ops->irq_bind(scn.be->ctx, scn.p->blk_irq));
    /* The completion must come as an interrupt through the backend's wait
     * (on Nexus: irq_bind's endpoint in the waitset), not only by polling. */
    SCN_OK(sc, "get-id-post", scn_blk_post(0, DK_VBLK_T_GET_ID, 0, SCN_ID_OFF, DK_VBLK_ID_BYTES));
    SCN_OK(sc, "irq-wait", scn_wait_irq(&events));
    /* Not acknowledged yet: the same interrupt is not reported again; the
     * wait runs to its deadline (backend.h; on Nexus the endpoint stays
     * ready until irq_complete, and the backend sleeps instead of spinning). */
    deadline = scn_now() + scn.p->short_ns;
    SCN_EXPECT(sc, "irq-reported-once", scn.be->ops->wait(scn.be->ctx, deadline, &again),
               DK_E_TIMED_OUT);
    SCN_TRUE(sc, "irq-reported-once-deadline", scn_now() >= deadline && again == 0, DK_E_STATE);
    SCN_OK(sc, "irq-pump", scn_blk_pump(NULL, events));
    SCN_OK(sc, "get-id", scn_wait_until(&scn.raw_done[0], scn_blk_pump));
    SCN_OK(sc, "get-id-status", scn.raw_status[0]);
    SCN_TRUE(sc, "get-id-bytes",
             idn <= DK_VBLK_ID_BYTES &&
                 scn_same(scn.dma + SCN_ID_OFF, (const uint8_t *)scn.p->blk_id, idn),
             DK_E_DEVICE);
    SCN_OK(sc, "read-sector-0", scn_blk_raw(1, DK_VBLK_T_IN, 0, SCN_SEC0_OFF, SCN_SECTOR));
    SCN_TRUE(sc, "read-used-len", scn.raw_len[1] == SCN_SECTOR + 1u, DK_E_DEVICE);
    SCN_TRUE(sc, "disk-magic",
             scn_same(scn.dma + SCN_SEC0_OFF, (const uint8_t *)DK_SCN_DISK_MAGIC, 8), DK_E_CORRUPT);
    return DK_OK;
}

/* A write and a read-back through DriverKit queue tickets; the completion
 * fence follows the retire watermark; the kernel fence (if any) too. */
static int scn_submit(void)
{
    static const char *const sc = "submit";
    const struct dk_backend_ops *ops = scn.be->ops;
    uint64_t t1 = 0, t2 = 0, value = 0, kf;
    uint32_t cf = 0, i;
    unsigned state = 0;
    int fail = DK_OK;

    SCN_OK(sc, "core-up", scn_core_up(8, &cf));
    for (i = 0; i < SCN_SECTOR; i++) {
        scn.dma[SCN_A_OFF + i] = (uint8_t)DK_SCN_PATTERN[i % 32u];
        scn.dma[SCN_B_OFF + i] = 0;
    }
    SCN_OK(sc, "write-submit",
           scn_blk_ticket(DK_VBLK_T_OUT, DK_SCN_PATTERN_SECTOR, SCN_A_OFF, &t1));
    SCN_OK(sc, "write-kick", dk_virtq_kick(&scn.blk.q, NULL));
    SCN_OK(sc, "write-fence-wait",
           dk_fence_wait(&scn.fences, scn.client, cf, t1, scn_now() + scn.p->timeout_ns,
                         &(struct dk_pump){.fn = scn_blk_pump}, NULL));
    SCN_OK(sc, "read-submit", scn_blk_ticket(DK_VBLK_T_IN, DK_SCN_PATTERN_SECTOR, SCN_B_OFF, &t2));
    SCN_OK(sc, "read-kick", dk_virtq_kick(&scn.blk.q, NULL));
    SCN_OK(sc, "read-fence-wait",
           dk_fence_wait(&scn.fences, scn.client, cf, t2, scn_now() + scn.p->timeout_ns,
                         &(struct dk_pump){.fn = scn_blk_pump}, NULL));
    SCN_TRUE(sc, "readback-compare", scn_same(scn.dma + SCN_A_OFF, scn.dma + SCN_B_OFF, SCN_SECTOR),
             DK_E_CORRUPT);
    SCN_TRUE(sc, "tickets-ok",
             scn.retired == 2 && scn.outcome[t1 & 63u] == DK_OUTCOME_OK &&
                 scn.outcome[t2 & 63u] == DK_OUTCOME_OK,
             DK_E_DEVICE);
    SCN_OK(sc, "ticket-query", dk_queue_query(scn.q, t1, &state, NULL));
    SCN_TRUE(sc, "ticket-retired", state == DK_TICKET_RETIRED && scn.pump_errors == 0, DK_E_STATE);
    SCN_OK(sc, "fence-value", dk_fence_value(&scn.fences, scn.client, cf, &value, &fail));
    SCN_TRUE(sc, "fence-at-watermark",
             value == t2 && value == dk_queue_watermark(scn.q) && fail == DK_OK, DK_E_STATE);
    if (ops->kfence_create != NULL) {
        /* The kernel fence carries the watermark to other tasks. */
        SCN_OK(sc, "kfence-create", ops->kfence_create(scn.be->ctx, &kf));
        SCN_OK(sc, "kfence-signal", ops->kfence_signal(scn.be->ctx, kf, value));
        SCN_OK(sc, "kfence-wait",
               ops->kfence_wait(scn.be->ctx, kf, value, scn_now() + scn.p->timeout_ns));
        SCN_OK(sc, "kfence-destroy", ops->kfence_destroy(scn.be->ctx, kf));
    }
    SCN_OK(sc, "core-down", scn_core_down(cf));
    return DK_OK;
}

/* A queue of capacity SCN_BP_CAP filled with device work, the next reserve
 * refused with DK_E_QUEUE_FULL, then drained: every ticket resolves. */
static int scn_backpressure(void)
{
    static const char *const sc = "backpressure";
    enum dk_reason why = DK_R_NONE;
    uint64_t t = 0, extra = 0;
    unsigned i;

    SCN_OK(sc, "core-up", scn_core_up(SCN_BP_CAP, NULL));
    for (i = 0; i < SCN_BP_CAP; i++)
        SCN_OK(sc, "fill", scn_blk_ticket(DK_VBLK_T_IN, 16u + i, SCN_C_OFF + SCN_SECTOR * i, &t));
    SCN_EXPECT(sc, "refused-when-full",
               dk_queue_reserve(scn.q, scn.client, DK_QOS_NORMAL, 0, &extra, &why),
               DK_E_QUEUE_FULL);
    SCN_TRUE(sc, "refused-reason", why == DK_R_RING_FULL, DK_E_STATE);
    SCN_TRUE(sc, "full-inflight", dk_queue_inflight(scn.q) == SCN_BP_CAP, DK_E_STATE);
    SCN_OK(sc, "kick", dk_virtq_kick(&scn.blk.q, NULL));
    SCN_OK(sc, "drain", scn_wait_until(NULL, scn_blk_pump));
    SCN_TRUE(sc, "all-retired", scn.retired == SCN_BP_CAP && dk_queue_watermark(scn.q) == t,
             DK_E_STATE);
    for (i = 1; i <= SCN_BP_CAP; i++)
        SCN_TRUE(sc, "all-ok", scn.outcome[i] == DK_OUTCOME_OK, DK_E_DEVICE);
    /* Room again: a new ticket is taken, then cancelled before it starts. */
    SCN_OK(sc, "reserve-after-drain",
           dk_queue_reserve(scn.q, scn.client, DK_QOS_NORMAL, 0, &extra, NULL));
    SCN_OK(sc, "cancel", dk_queue_cancel(scn.q, extra, NULL));
    SCN_TRUE(sc, "cancelled", scn.outcome[extra & 63u] == DK_OUTCOME_CANCELLED, DK_E_STATE);
    SCN_TRUE(sc, "no-stray-completions", scn.pump_errors == 0, DK_E_DEVICE);
    SCN_OK(sc, "core-down", scn_core_down(0));
    return DK_OK;
}

/* One wait satisfied by a completion the pump harvests, one that times out at its deadline on the
 * backend clock; likewise on the kernel fence if the backend has one. */
static int scn_fence_wait(void)
{
    static const char *const sc = "fence-wait";
    const struct dk_backend_ops *ops = scn.be->ops;
    uint64_t t = 0, deadline, kf;
    uint32_t cf = 0;

    SCN_OK(sc, "core-up", scn_core_up(8, &cf));
    SCN_OK(sc, "submit", scn_blk_ticket(DK_VBLK_T_IN, 0, SCN_D_OFF, &t));
    SCN_OK(sc, "kick", dk_virtq_kick(&scn.blk.q, NULL));
    SCN_OK(sc, "wait-satisfied",
           dk_fence_wait(&scn.fences, scn.client, cf, t, scn_now() + scn.p->timeout_ns,
                         &(struct dk_pump){.fn = scn_blk_pump}, NULL));
    SCN_TRUE(sc, "read-ok",
             scn.outcome[t & 63u] == DK_OUTCOME_OK &&
                 scn_same(scn.dma + SCN_D_OFF, (const uint8_t *)DK_SCN_DISK_MAGIC, 8),
             DK_E_DEVICE);
    deadline = scn_now() + scn.p->short_ns;
    SCN_EXPECT(sc, "wait-unreachable",
               dk_fence_wait(&scn.fences, scn.client, cf, t + 1u, deadline,
                             &(struct dk_pump){.fn = scn_blk_pump}, NULL),
               DK_E_TIMED_OUT);
    SCN_TRUE(sc, "timed-out-at-deadline", scn_now() >= deadline, DK_E_STATE);
    if (ops->kfence_create != NULL) {
        SCN_OK(sc, "kfence-create", ops->kfence_create(scn.be->ctx, &kf));
        SCN_EXPECT(sc, "kfence-deadline-0", ops->kfence_wait(scn.be->ctx, kf, 1, 0), DK_E_INVAL);
        deadline = scn_now() + scn.p->short_ns;
        SCN_EXPECT(sc, "kfence-timeout", ops->kfence_wait(scn.be->ctx, kf, 1, deadline),
                   DK_E_TIMED_OUT);
        SCN_TRUE(sc, "kfence-timed-out-at-deadline", scn_now() >= deadline, DK_E_STATE);
        SCN_OK(sc, "kfence-signal", ops->kfence_signal(scn.be->ctx, kf, 1));
        SCN_OK(sc, "kfence-satisfied",
               ops->kfence_wait(scn.be->ctx, kf, 1, scn_now() + scn.p->timeout_ns));
        SCN_OK(sc, "kfence-destroy", ops->kfence_destroy(scn.be->ctx, kf));
    }
    SCN_OK(sc, "core-down", scn_core_down(cf));
    return DK_OK;
}

/* virtio-rng answers with at least one byte, not all zero. */
static int scn_rng(void)
{
    static const char *const sc = "rng";
    struct dk_vseg seg = {0, SCN_RNG_LEN, 0};
    uint32_t i, nonzero = 0;

    SCN_TRUE(sc, "storage", dk_vrng_storage_size(SCN_QSIZE) <= sizeof scn.rng_store, DK_E_INVAL);
    SCN_OK(sc, "vrng-init",
           dk_vrng_init(&scn.rng, scn.be, scn.p->rng_cap, SCN_QSIZE, scn.rng_store,
                        sizeof scn.rng_store, NULL));
    SCN_OK(sc, "irq-bind", scn.be->ops->irq_bind(scn.be->ctx, scn.p->rng_irq));
    seg.addr = scn.dma_addr + SCN_RNG_OFF;
    scn.raw_done[2] = 0;
    SCN_OK(sc, "request", dk_vrng_request(&scn.rng, &seg, 2, NULL));
    SCN_OK(sc, "kick", dk_virtq_kick(&scn.rng.q, NULL));
    SCN_OK(sc, "wait", scn_wait_until(&scn.raw_done[2], scn_rng_pump));
    SCN_OK(sc, "complete", scn.raw_status[2]);
    SCN_TRUE(sc, "length", scn.raw_len[2] >= 1 && scn.raw_len[2] <= SCN_RNG_LEN, DK_E_DEVICE);
    for (i = 0; i < scn.raw_len[2]; i++)
        nonzero |= scn.dma[SCN_RNG_OFF + i];
    SCN_TRUE(sc, "not-all-zero", nonzero != 0 || scn.raw_len[2] < 8, DK_E_DEVICE);
    return DK_OK;
}

static int scn_done(void)
{
    static const char *const sc = "done";
    char n[21];

    SCN_TRUE(sc, "no-stray-completions", scn.pump_errors == 0, DK_E_DEVICE);
    SCN_LINE("info: interrupts reported by the backend's wait: ", scn_dec(n, scn.irq_events));
    return DK_OK;
}

int dk_scn_run(const struct dk_scn_platform *p)
{
    static int (*const steps[DK_SCN_MARKERS])(void) = {
        scn_ready,  scn_mmio_map,     scn_mmio_deny,  scn_mmio_trap, scn_blk_smoke,
        scn_submit, scn_backpressure, scn_fence_wait, scn_rng,       scn_done,
    };
    unsigned i;
    int rc;

    if (p == NULL || p->be == NULL || p->print == NULL || p->faults == NULL || p->blk_id == NULL ||
        p->timeout_ns == 0 || p->short_ns == 0)
        return DK_E_INVAL;
    scn_zero(&scn, sizeof scn);
    scn.p = p;
    scn.be = p->be;
    for (i = 0; i < DK_SCN_MARKERS; i++) {
        rc = steps[i]();
        if (rc != DK_OK) {
            SCN_LINE("SELFTEST: FAIL ", scn.fail.scenario, "/", scn.fail.check, " ",
                     dk_status_str(scn.fail.got), scn.fail.want != DK_OK ? " (want " : NULL,
                     scn.fail.want != DK_OK ? dk_status_str(scn.fail.want) : NULL,
                     scn.fail.want != DK_OK ? ")" : NULL);
            return rc;
        }
        SCN_LINE(dk_scn_markers[i]);
    }
    return DK_OK;
}
