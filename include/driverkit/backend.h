/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file backend.h
 * @brief The backend vtable: the only way DriverKit reaches an OS or a
 *        simulated machine.
 *
 * A backend fills one `const struct dk_backend_ops` with designated
 * initialisers, starting with `abi_version = DK_BACKEND_ABI_VERSION` and
 * `size = sizeof(struct dk_backend_ops)`, and pairs it with its private
 * context in a `struct dk_backend`. dk_backend_init() checks the vtable once;
 * callers then use it without re-checking.
 *
 * Every op returns an `enum dk_status` (OS error numbers are translated at the
 * backend edge, in one table: errmap.h). Both backends answer as the Nexus
 * kernel does: a bad or wrong-kind capability is DK_E_PERM (EPERM), a range
 * outside an object is DK_E_INVAL (EINVAL). Calling context for every op: the
 * driver's single service thread unless the backend documents more; ops do
 * not call back into DriverKit objects except through the pump of a wait.
 */
#ifndef DRIVERKIT_BACKEND_H
#define DRIVERKIT_BACKEND_H

#include <driverkit/common.h>
#include <driverkit/status.h>

/** Version of struct dk_backend_ops. Bumped only with a new major. */
#define DK_BACKEND_ABI_VERSION 1u

/** Protection bits for dk_backend_ops.vmo_map. */
enum dk_map_prot { DK_MAP_READ = 1u, DK_MAP_WRITE = 2u };

/** Barrier kinds for dk_backend_ops.barrier (virtio ordering points). */
enum dk_barrier {
    DK_BARRIER_FULL = 0,        /**< all prior accesses before all later ones */
    DK_BARRIER_WRITE = 1,       /**< prior memory stores before later memory stores */
    DK_BARRIER_READ = 2,        /**< prior memory loads before later memory loads */
    DK_BARRIER_WRITE_MMIO = 3,  /**< prior memory stores before a later MMIO store (notify) */
    DK_BARRIER_MMIO_READ = 4,   /**< a prior MMIO load before later memory loads */
};

/** Answer of dk_backend_ops.vmo_query and cap queries. */
struct dk_vmo_info {
    uint64_t dma_addr; /**< address a device uses (physical on Nexus/virt) */
    uint64_t len;      /**< length in bytes */
};

/** Bits reported by dk_backend_ops.wait in @p events. */
#define DK_EVENT_IRQ 1u    /**< at least one interrupt is pending */
#define DK_EVENT_TIMER 2u  /**< a scheduled event fired (host simulation) */

/**
 * The backend operations. "Mandatory" slots must be non-NULL or
 * dk_backend_init() refuses the vtable with DK_E_INVAL / DK_R_OPS_MISSING.
 * An optional NULL slot makes the DriverKit call that needs it return
 * DK_E_UNSUPPORTED with DK_R_OPTIONAL_OP.
 */
struct dk_backend_ops {
    uint32_t abi_version; /**< DK_BACKEND_ABI_VERSION */
    uint32_t size;        /**< sizeof(struct dk_backend_ops) as compiled by the backend */
    const char *name;     /**< short backend name for diagnostics ("host", "nexus") */

    /** Mandatory. Monotonic time in ns on the backend's clock. Never fails. */
    uint64_t (*now_ns)(void *ctx);

    /**
     * Mandatory. Block until an event may have changed DriverKit state, or
     * until now_ns() >= @p deadline_ns. Must never block past the deadline,
     * and must not report the same event again until it is acknowledged
     * (an interrupt until irq_ack): a waiter relies on each DK_OK meaning
     * something new happened or time moved.
     * @param events receives DK_EVENT_* bits (0 on timeout)
     * @return DK_OK (an event happened, possibly spurious: callers re-check);
     *         DK_E_TIMED_OUT (the clock reached the deadline); DK_E_INVAL
     *         (deadline 0 is refused: DriverKit has no unbounded waits).
     */
    int (*wait)(void *ctx, uint64_t deadline_ns, uint32_t *events);

    /**
     * Mandatory. Create a VMO of @p len bytes (zero-filled).
     * @return DK_OK with *vmo set; DK_E_INVAL (len 0); DK_E_NO_MEMORY;
     *         DK_E_PERM; DK_E_BACKEND.
     */
    int (*vmo_create)(void *ctx, uint64_t len, uint64_t *vmo);

    /**
     * Mandatory. Destroy a VMO.
     * @return DK_OK; DK_E_PERM (not a VMO capability: kernel EPERM);
     *         DK_E_BUSY (still mapped).
     */
    int (*vmo_destroy)(void *ctx, uint64_t vmo);

    /**
     * Mandatory. Map [off, off+len) of a VMO into the caller's address space.
     * @param prot DK_MAP_* bits
     * @return DK_OK with *va set; DK_E_PERM (not a VMO capability);
     *         DK_E_INVAL (range outside the VMO: kernel EINVAL); DK_E_NO_MEMORY.
     */
    int (*vmo_map)(void *ctx, uint64_t vmo, uint64_t off, uint64_t len, uint32_t prot, void **va);

    /**
     * Optional. Unmap what vmo_map returned. NULL: mappings live until
     * vmo_destroy. @return DK_OK; DK_E_NOT_FOUND (nothing mapped there:
     * kernel ENOENT); DK_E_INVAL.
     */
    int (*vmo_unmap)(void *ctx, void *va, uint64_t len);

    /**
     * Mandatory. DMA address and length of a VMO (the length may be rounded
     * up to the backend's granule). @return DK_OK; DK_E_PERM (not a VMO cap).
     */
    int (*vmo_query)(void *ctx, uint64_t vmo, struct dk_vmo_info *info);

    /**
     * Optional. Map [off, off+len) of a device-MMIO capability's window.
     * NULL: this backend drives no MMIO devices.
     * @param addr receives an opaque register address for the mmio_* ops
     * @return DK_OK; DK_E_PERM (capability not held or wrong kind: kernel
     *         EPERM); DK_E_INVAL (outside the window: kernel EINVAL).
     */
    int (*mmio_map)(void *ctx, uint64_t cap, uint64_t off, uint64_t len, uintptr_t *addr);

    /** Optional (mandatory with mmio_map). Query a device-MMIO cap's physical window. */
    int (*mmio_query)(void *ctx, uint64_t cap, struct dk_vmo_info *info);

    /**
     * Optional (mandatory with mmio_map). Aligned little-endian register
     * access of 1, 2 or 4 bytes at an address inside a mapped window.
     * MMIO: these never touch anything outside the range mmio_map returned;
     * an access outside it (or misaligned) is a fault the backend contains
     * (the host counts it and reads all ones; Nexus traps it).
     */
    uint32_t (*mmio_read)(void *ctx, uintptr_t addr, unsigned width);
    void (*mmio_write)(void *ctx, uintptr_t addr, unsigned width, uint32_t value);

    /** Optional (mandatory with mmio_map). A memory/MMIO ordering point. */
    void (*barrier)(void *ctx, enum dk_barrier kind);

    /**
     * Optional. Route interrupt @p irq to this backend's wait.
     * @return DK_OK; DK_E_PERM (not permitted); DK_E_INVAL (no such line).
     */
    int (*irq_bind)(void *ctx, uint32_t irq);

    /** Optional. Acknowledge and re-arm interrupt @p irq. @return DK_OK; DK_E_NOT_FOUND. */
    int (*irq_ack)(void *ctx, uint32_t irq);

    /** Optional kernel timeline fence. NULL: DriverKit fences are library-only. */
    int (*kfence_create)(void *ctx, uint64_t *kfence);
    /** Optional. Raise a kernel fence to max(current, value). */
    int (*kfence_signal)(void *ctx, uint64_t kfence, uint64_t value);
    /** Optional. Wait until value >= target or the deadline (never 0). @return DK_OK; DK_E_TIMED_OUT. */
    int (*kfence_wait)(void *ctx, uint64_t kfence, uint64_t target, uint64_t deadline_ns);
    /** Optional. Close a kernel fence capability. */
    int (*kfence_destroy)(void *ctx, uint64_t kfence);
};

/** A backend instance: its vtable and its private context. */
struct dk_backend {
    const struct dk_backend_ops *ops;
    void *ctx;
};

/**
 * @brief Check a vtable once and bind it to a context.
 * @return DK_OK; DK_E_INVAL (NULL_ARG, OPS_MISSING); DK_E_VERSION
 *         (OPS_VERSION, OPS_SIZE).
 */
int dk_backend_init(struct dk_backend *be, const struct dk_backend_ops *ops, void *ctx,
                    enum dk_reason *why);

/** @brief The backend clock. @return ns, or 0 if @p be is NULL or unbound. */
uint64_t dk_backend_now(const struct dk_backend *be);

#endif /* DRIVERKIT_BACKEND_H */
