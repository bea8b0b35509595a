/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file nexus.h
 * @brief The Open Nexus OS backend: DriverKit's backend vtable bound to the
 *        `neuron` kernel's system calls (docs: ../shared/nexus-abi.md).
 *
 * Built only for riscv64 (the DK_BACKEND_NEXUS CMake option, preset
 * `nexus-rv64`); this header itself is architecture-neutral.
 *
 * What each op calls (numbers from the Nexus ABI):
 *
 *   now_ns          nsec (1)
 *   wait            waitset_wait (40) on the waitset of bound IRQ endpoints,
 *                   or fence_wait (43) on a private, never-signalled kernel
 *                   fence to sleep to the deadline (see below)
 *   vmo_create      vmo_create (5), slot hint usize::MAX (any slot)
 *   vmo_destroy     vmo_destroy (46); EBUSY while mapped
 *   vmo_map         vm_map (53), flags VALID|USER|READ[|WRITE]
 *   vmo_unmap       vm_unmap (54)
 *   vmo_query       cap_query (28), kind must be VMO (1)
 *   mmio_map        mmio_map_auto (55)
 *   mmio_query      cap_query (28), kind must be device MMIO (2)
 *   mmio_read/write volatile loads/stores at the mapped address
 *   barrier         RISC-V fences
 *   irq_bind        ipc_endpoint_create (19) + irq_bind (36) + waitset_add (39)
 *   irq_ack         irq_complete (37)
 *   kfence_*        fence_create (41), fence_signal (42), fence_wait (43),
 *                   cap_close (20)
 *
 * Every negative syscall result goes through dk_status_from_nx() (errmap.h):
 * EPERM -> DK_E_PERM, EINVAL -> DK_E_INVAL, ETIMEDOUT -> DK_E_TIMED_OUT,
 * and so on; a negative value the table does not know is DK_E_BACKEND,
 * never success.
 *
 * Waiting. Kernel waits take a deadline where 0 means "forever"; DriverKit
 * has no unbounded waits, so this backend refuses deadline 0 with
 * DK_E_INVAL and never passes 0 to the kernel. An IRQ endpoint stays ready
 * until its interrupt is completed (irq_ack), and the kernel's waitset
 * reports the first ready member in the order added. wait() reports each
 * interrupt once (DK_EVENT_IRQ); if the first ready member is one it has
 * already reported and that was not acknowledged yet, wait() sleeps to the
 * deadline instead of spinning, so a driver must acknowledge interrupts in
 * its pump (dk_virtio_irq, then irq_ack) to hear the next one promptly.
 *
 * MMIO: an access outside a window the kernel mapped is not checked here;
 * the kernel traps it (PMP on the QEMU stand-in, page tables on Nexus).
 *
 * Calling context: the driver's single service thread, as for every backend.
 */
#ifndef DRIVERKIT_NEXUS_H
#define DRIVERKIT_NEXUS_H

#include <driverkit/backend.h>
#include <driverkit/common.h>
#include <driverkit/status.h>

/** Interrupt lines one backend instance can bind (the waitset design bound). */
#define DK_NEXUS_IRQS_MAX 16u

/** Endpoint queue depth asked for each IRQ endpoint: one message per line
 *  can be outstanding, because the kernel masks the line until irq_complete. */
#define DK_NEXUS_IRQ_EP_DEPTH 1u

/**
 * Nexus backend state. Caller storage; embeds the generic backend (recover
 * it with dk_nexus_from_backend()). Written only by dk_nexus_* and the ops.
 * Capabilities are slots of the calling task's capability table.
 */
struct dk_nexus {
    struct dk_backend base;
    uint64_t waitset;                    /**< waitset cap holding the IRQ endpoints */
    uint64_t sleeper;                    /**< private kernel fence: sleep to a deadline */
    uint64_t irq_ep[DK_NEXUS_IRQS_MAX];  /**< endpoint cap of member i, in waitset order */
    uint32_t irq_num[DK_NEXUS_IRQS_MAX]; /**< interrupt number of member i */
    uint32_t nirqs;                      /**< bound members */
    uint32_t reported;                   /**< bit i: member i reported by wait, not acked */
    uint64_t last_ns;                    /**< highest nsec seen: now_ns never goes back */
    uint32_t magic;
};

#define DK_NEXUS_MAGIC 0x444b4e31u /* "DKN1" */

/**
 * @brief Create the backend's kernel objects (a waitset and the sleep fence)
 *        and register the vtable.
 * @param nx   caller storage (overwritten)
 * @param why  optional reason
 * @return DK_OK; DK_E_INVAL (NULL_ARG); a kernel refusal mapped by
 *         dk_status_from_nx() with DK_R_OS_ERROR (objects made before it
 *         are closed again).
 */
int dk_nexus_init(struct dk_nexus *nx, enum dk_reason *why);

/**
 * @brief Close the waitset, the IRQ endpoints and the sleep fence. The
 *        kernel has no irq_unbind: a bound line stays bound to a closed
 *        endpoint. Safe twice and on a zeroed struct.
 * @return DK_OK.
 */
int dk_nexus_fini(struct dk_nexus *nx);

/** @return The generic backend of @p nx, or NULL if it is not initialised. */
const struct dk_backend *dk_nexus_backend(const struct dk_nexus *nx);

/** @return The nexus backend behind @p be, or NULL if @p be is not one. */
struct dk_nexus *dk_nexus_from_backend(const struct dk_backend *be);

#endif /* DRIVERKIT_NEXUS_H */
