/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file host.h
 * @brief The deterministic host backend: a virtual clock, VMOs from a
 *        bounded arena with stable fake DMA addresses, MMIO windows that
 *        simulated devices register, capability checks and interrupts.
 *
 * Nothing here reads the wall clock or depends on thread scheduling. Time
 * moves only through dk_host_advance() or the backend's wait op, which jumps
 * the clock to the next scheduled event or to the deadline. Events at the
 * same instant fire in the order they were scheduled.
 *
 * VMO lengths round up to 64 bytes (vmo_query reports the rounded length);
 * DriverKit buffers still bound every slice by the size they were created
 * with.
 *
 * Capabilities: a device-MMIO window is mapped only if it was granted with
 * dk_host_grant(); otherwise the map is denied with the status the Nexus
 * kernel's EPERM translates to (errmap.h), DK_E_PERM.
 */
#ifndef DRIVERKIT_HOST_H
#define DRIVERKIT_HOST_H

#include <driverkit/backend.h>
#include <driverkit/common.h>
#include <driverkit/status.h>

#define DK_HOST_VMOS_MAX 256u   /**< live VMOs at once (slot numbers fit a uint8_t) */
#define DK_HOST_EVENTS_MAX 64u  /**< scheduled events at once */
#define DK_HOST_WINDOWS_MAX 16u /**< registered MMIO windows */
#define DK_HOST_IRQS 32u        /**< interrupt lines 0..31 */
#define DK_HOST_WINDOW_LEN_MAX (1u << 20) /**< bytes per MMIO window */
#define DK_HOST_DMA_BASE 0x80000000ull    /**< fake DMA address of arena offset 0 */

struct dk_host;

/** Register-file callbacks of a simulated MMIO device. */
struct dk_host_mmio_ops {
    uint32_t (*read)(void *dev, uint64_t off, unsigned width);
    void (*write)(void *dev, uint64_t off, unsigned width, uint32_t value);
};

/** A scheduled event's callback. It may schedule more events. */
typedef void (*dk_host_event_fn)(void *arg, struct dk_host *host);

struct dk_host_vmo {
    uint64_t off;  /**< offset in the arena */
    uint64_t len;
    uint32_t maps;
    uint8_t live;
    uint8_t pad[3];
};

struct dk_host_event {
    uint64_t at;
    uint64_t seq;
    dk_host_event_fn fn;
    void *arg;
    uint8_t live;
    uint8_t pad[7];
};

struct dk_host_window {
    uint64_t cap;
    uint64_t phys;
    uint64_t len;
    const struct dk_host_mmio_ops *ops;
    void *dev;
    uint32_t irq;
    uint64_t map_off;  /**< mapped sub-range of the window */
    uint64_t map_len;
    uint8_t used;
    uint8_t granted;
    uint8_t mapped;
    uint8_t pad;
};

/** Counters a test can assert on. */
struct dk_host_stats {
    uint64_t waits;
    uint64_t timeouts;
    uint64_t events_fired;
    uint64_t maps_denied;
    uint64_t mmio_faults; /**< register accesses outside a mapped window */
    uint64_t irqs_raised;
};

/** Host backend state. Caller storage; embeds the generic backend. */
struct dk_host {
    struct dk_backend base;
    uint64_t now;
    uint8_t *arena;
    uint64_t arena_size;
    uint64_t seq;
    uint32_t irq_pending;
    uint32_t irq_bound;
    uint32_t irq_delivered; /**< reported by wait, not yet acknowledged */
    uint8_t dma_hint[4];    /**< VMO slots dk_host_dma_ptr tries first, latest hit first */
    uint32_t vmo_top;       /**< one past the highest live VMO slot: lookups stop there */
    uint64_t dma_gen;       /**< moves whenever DMA access is taken away (dk_host_dma_gen) */
    uint32_t event_top;     /**< one past the highest live event slot: scans stop there */
    uint32_t pad_ev;
    struct dk_host_stats stats;
    struct dk_host_vmo vmos[DK_HOST_VMOS_MAX];
    struct dk_host_event events[DK_HOST_EVENTS_MAX];
    struct dk_host_window windows[DK_HOST_WINDOWS_MAX];
    uint32_t magic;
};

#define DK_HOST_MAGIC 0x444b4831u /* "DKH1" */

/**
 * @brief Initialise a host backend with a VMO arena of caller memory.
 * @param start_ns initial virtual time
 * @return DK_OK; DK_E_INVAL (NULL or zero-length arena); DK_E_CORRUPT if
 *         the host's own vtable fails dk_backend_init() (a build defect).
 */
int dk_host_init(struct dk_host *h, void *arena, size_t arena_size, uint64_t start_ns);

/** @brief Finalise (drops everything). Safe twice. @return DK_OK. */
int dk_host_fini(struct dk_host *h);

/** @return The generic backend of @p h (NULL if @p h is NULL). */
const struct dk_backend *dk_host_backend(const struct dk_host *h);

/** @return The host behind a backend made by dk_host_init(), or NULL. */
struct dk_host *dk_host_from_backend(const struct dk_backend *be);

/** @return Current virtual time in ns. */
uint64_t dk_host_now(const struct dk_host *h);

/** Most events one dk_host_advance() fires (a runaway simulation stops). */
#define DK_HOST_FIRE_MAX 1000000u

/**
 * @brief Move the clock forward by @p ns, firing every event due on the way,
 *        in time order.
 * @return DK_OK; DK_E_INVAL; DK_E_RANGE if the clock would overflow;
 *         DK_E_BUSY if DK_HOST_FIRE_MAX events fired and more were due
 *         (an event that keeps rescheduling itself): the clock then stays
 *         at the last event fired.
 */
int dk_host_advance(struct dk_host *h, uint64_t ns);

/**
 * @brief Schedule @p fn at absolute time @p at_ns (not in the past).
 * @param id optional; receives an id for dk_host_cancel()
 * @return DK_OK; DK_E_INVAL (NULL_ARG, or at_ns < now); DK_E_NO_SPACE.
 */
int dk_host_schedule(struct dk_host *h, uint64_t at_ns, dk_host_event_fn fn, void *arg,
                     uint32_t *id);

/** @brief Cancel a scheduled event. @return DK_OK; DK_E_NOT_FOUND; DK_E_INVAL. */
int dk_host_cancel(struct dk_host *h, uint32_t id);

/**
 * @brief Register a simulated device's MMIO window under capability @p cap.
 * @param len 4..DK_HOST_WINDOW_LEN_MAX; irq 0..DK_HOST_IRQS-1
 * @return DK_OK; DK_E_INVAL; DK_E_EXISTS (cap in use); DK_E_NO_SPACE.
 */
int dk_host_window_add(struct dk_host *h, uint64_t cap, uint64_t phys, uint64_t len, uint32_t irq,
                       const struct dk_host_mmio_ops *ops, void *dev);

/**
 * @brief Unregister the window of capability @p cap (a simulated device is
 *        going away); its register addresses fault from now on.
 * @return DK_OK; DK_E_NOT_FOUND; DK_E_INVAL.
 */
int dk_host_window_remove(struct dk_host *h, uint64_t cap);

/** @brief Grant the driver capability @p cap. @return DK_OK; DK_E_NOT_FOUND; DK_E_INVAL. */
int dk_host_grant(struct dk_host *h, uint64_t cap);

/** @brief Revoke capability @p cap (unmaps it). @return DK_OK; DK_E_NOT_FOUND; DK_E_INVAL. */
int dk_host_revoke(struct dk_host *h, uint64_t cap);

/**
 * @brief Raise interrupt @p irq (device side). Like the kernel's IRQ
 *        message, a raised line is reported by one wait and not again until
 *        irq_ack re-arms it; raising it again before then coalesces.
 * @return DK_OK; DK_E_INVAL.
 */
int dk_host_raise_irq(struct dk_host *h, uint32_t irq);

/**
 * @brief Device-side DMA: the host memory behind [dma, dma + len), or NULL if
 *        that range is not entirely inside one live VMO.
 */
void *dk_host_dma_ptr(struct dk_host *h, uint64_t dma, uint64_t len);

/**
 * @brief dk_host_dma_ptr(), also reporting the live VMO the range lies in:
 *        its first DMA address (@p vmo_dma) and its length (@p vmo_len).
 *        A device may translate other addresses inside that VMO itself, for
 *        as long as dk_host_dma_gen() does not move.
 */
void *dk_host_dma_vmo(struct dk_host *h, uint64_t dma, uint64_t len, uint64_t *vmo_dma,
                      uint64_t *vmo_len);

/**
 * @brief The DMA generation: a number that changes whenever a VMO is
 *        destroyed, i.e. whenever an address dk_host_dma_ptr() accepted may
 *        stop being accepted. A simulated device may keep the pointers it
 *        translated (a translation cache, as an IOTLB does) while the
 *        generation it translated them under is still current, and must
 *        translate again once it moved. Never 0 after dk_host_init().
 */
static inline uint64_t dk_host_dma_gen(const struct dk_host *h)
{
    return h->dma_gen;
}

/** @brief Copy the counters. @return DK_OK; DK_E_INVAL. */
int dk_host_stats(const struct dk_host *h, struct dk_host_stats *out);

#endif /* DRIVERKIT_HOST_H */
