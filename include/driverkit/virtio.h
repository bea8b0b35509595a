/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file virtio.h
 * @brief virtio-mmio transport and split virtqueues, driver side, for both
 *        register layouts (version 2 "modern" and version 1 "legacy").
 *
 * The same code drives the host backend's simulated devices and QEMU's real
 * ones: every register access and every barrier goes through the backend
 * vtable (mmio_read, mmio_write, barrier), and rings live in backend VMOs
 * addressed by their DMA address. Nothing here knows which backend it runs on.
 *
 * SECURITY: the device is hostile. Every used-ring element is copied once
 * and then checked (id below the queue size and in flight, length within
 * the posted writable bytes, used index advancing by at most the queue
 * size); a violation faults the queue with a DK_R_VIRTIO_* reason and is
 * never turned into a completion. Config reads are bracketed by the
 * generation counter (legacy: read twice until equal), with a bounded retry.
 */
#ifndef DRIVERKIT_VIRTIO_H
#define DRIVERKIT_VIRTIO_H

#include <driverkit/backend.h>
#include <driverkit/common.h>
#include <driverkit/status.h>

/* ---- virtio-mmio registers (virtio v1.x section 4.2.2; legacy 4.2.4) ---- */
#define DK_VIRTIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define DK_VMMIO_MAGIC 0x000
#define DK_VMMIO_VERSION 0x004
#define DK_VMMIO_DEVICE_ID 0x008
#define DK_VMMIO_VENDOR_ID 0x00c
#define DK_VMMIO_DEVICE_FEATURES 0x010
#define DK_VMMIO_DEVICE_FEATURES_SEL 0x014
#define DK_VMMIO_DRIVER_FEATURES 0x020
#define DK_VMMIO_DRIVER_FEATURES_SEL 0x024
#define DK_VMMIO_GUEST_PAGE_SIZE 0x028 /* legacy only */
#define DK_VMMIO_QUEUE_SEL 0x030
#define DK_VMMIO_QUEUE_NUM_MAX 0x034
#define DK_VMMIO_QUEUE_NUM 0x038
#define DK_VMMIO_QUEUE_ALIGN 0x03c /* legacy only */
#define DK_VMMIO_QUEUE_PFN 0x040   /* legacy only */
#define DK_VMMIO_QUEUE_READY 0x044 /* modern only */
#define DK_VMMIO_QUEUE_NOTIFY 0x050
#define DK_VMMIO_INTERRUPT_STATUS 0x060
#define DK_VMMIO_INTERRUPT_ACK 0x064
#define DK_VMMIO_STATUS 0x070
#define DK_VMMIO_QUEUE_DESC_LOW 0x080 /* modern only, likewise to 0x0a4 */
#define DK_VMMIO_QUEUE_DESC_HIGH 0x084
#define DK_VMMIO_QUEUE_DRIVER_LOW 0x090
#define DK_VMMIO_QUEUE_DRIVER_HIGH 0x094
#define DK_VMMIO_QUEUE_DEVICE_LOW 0x0a0
#define DK_VMMIO_QUEUE_DEVICE_HIGH 0x0a4
#define DK_VMMIO_CONFIG_GENERATION 0x0fc /* modern only */
#define DK_VMMIO_CONFIG 0x100
#define DK_VMMIO_WINDOW 0x200 /**< bytes of one virtio-mmio window */

/* Device status bits. */
#define DK_VIRTIO_S_ACKNOWLEDGE 1u
#define DK_VIRTIO_S_DRIVER 2u
#define DK_VIRTIO_S_DRIVER_OK 4u
#define DK_VIRTIO_S_FEATURES_OK 8u
#define DK_VIRTIO_S_NEEDS_RESET 64u
#define DK_VIRTIO_S_FAILED 128u

/* InterruptStatus bits. */
#define DK_VIRTIO_INT_VRING 1u
#define DK_VIRTIO_INT_CONFIG 2u

/* Feature bits DriverKit knows. */
#define DK_VIRTIO_F_INDIRECT_DESC 28
#define DK_VIRTIO_F_EVENT_IDX 29
#define DK_VIRTIO_F_VERSION_1 32

/* Device ids. */
#define DK_VIRTIO_ID_BLOCK 2u
#define DK_VIRTIO_ID_RNG 4u
/**
 * The simulated copy/fill/checksum accelerator of the host backend. 0x444b
 * ("DK") is far outside the ids the virtio spec assigns; see
 * docs/virtio-accel.md for its queue protocol.
 */
#define DK_VIRTIO_ID_DK_ACCEL 0x444bu

/* Split virtqueue layout (virtio 2.7). */
#define DK_VRING_DESC_F_NEXT 1u
#define DK_VRING_DESC_F_WRITE 2u
#define DK_VRING_DESC_F_INDIRECT 4u
#define DK_VRING_AVAIL_F_NO_INTERRUPT 1u
#define DK_VRING_USED_F_NO_NOTIFY 1u
#define DK_VIRTQ_SIZE_MAX 256u  /**< hard cap on queue size used by DriverKit */
#define DK_VIRTQ_CHAIN_MAX 16u  /**< descriptors per request (direct or indirect) */
#define DK_VIRTIO_LEGACY_ALIGN 4096u
#define DK_VIRTIO_CONFIG_RETRIES 16u /**< generation-loop bound */
#define DK_VIRTIO_RESET_POLLS 1000u  /**< polls of Status after writing 0 */

/* ---- transport ---------------------------------------------------------- */

/**
 * One virtio-mmio device, driver side. Caller storage. Written only by
 * dk_virtio_* functions; `regs` is the opaque register address the backend's
 * mmio_map returned for the device's capability.
 */
struct dk_virtio_dev {
    const struct dk_backend *be;
    uintptr_t regs;
    uint64_t features; /**< negotiated */
    uint32_t version;  /**< 1 legacy, 2 modern */
    uint32_t device_id;
    uint32_t status;   /**< last status written */
    uint32_t magic;
};

#define DK_VIRTIO_DEV_MAGIC 0x444b5631u /* "DKV1" */

/**
 * @brief Map a device-MMIO capability and identify the device (magic,
 *        version, device id read first, as the spec asks). Touches no other
 *        register when the slot is empty.
 * @return DK_OK; DK_E_INVAL (NULL_ARG); a backend map refusal (DK_E_PERM for
 *         an ungranted capability); DK_E_NOT_FOUND (VIRTIO_MAGIC,
 *         VIRTIO_NO_DEVICE); DK_E_UNSUPPORTED (VIRTIO_VERSION).
 */
int dk_virtio_open(struct dk_virtio_dev *d, const struct dk_backend *be, uint64_t cap,
                   enum dk_reason *why);

/**
 * @brief Reset, ACKNOWLEDGE, DRIVER, negotiate features, FEATURES_OK (read
 *        back; modern only), and for legacy set GuestPageSize. Accepts only
 *        offered bits that are also in @p wanted and that DriverKit knows;
 *        a modern device must offer VERSION_1, which is always accepted.
 *        On failure sets FAILED.
 * @param negotiated receives the accepted bits (optional)
 * @return DK_OK; DK_E_INVAL; DK_E_DEVICE (VIRTIO_RESET_TIMEOUT,
 *         VIRTIO_NO_VERSION_1, VIRTIO_FEATURES_REFUSED).
 */
int dk_virtio_negotiate(struct dk_virtio_dev *d, uint64_t wanted, uint64_t *negotiated,
                        enum dk_reason *why);

/** @brief Set DRIVER_OK (after queue setup). @return DK_OK; DK_E_INVAL. */
int dk_virtio_driver_ok(struct dk_virtio_dev *d);

/**
 * @brief Reset the device: write 0 to Status and poll until it reads 0
 *        (at most DK_VIRTIO_RESET_POLLS reads). Queues must be set up again.
 * @return DK_OK; DK_E_INVAL; DK_E_DEVICE (VIRTIO_RESET_TIMEOUT).
 */
int dk_virtio_reset(struct dk_virtio_dev *d, enum dk_reason *why);

/** @brief Set FAILED (the driver gave up on the device). @return DK_OK; DK_E_INVAL. */
int dk_virtio_fail(struct dk_virtio_dev *d);

/** @return The device's Status register (0 if @p d is not open). */
uint32_t dk_virtio_status(const struct dk_virtio_dev *d);

/**
 * @brief Read one config-space field of 1, 2 or 4 bytes at @p off (from
 *        0x100), inside a ConfigGeneration loop (legacy: until two reads
 *        agree), at most DK_VIRTIO_CONFIG_RETRIES times.
 * @return DK_OK; DK_E_INVAL; DK_E_DEVICE (VIRTIO_CONFIG_UNSTABLE).
 */
int dk_virtio_config_read(struct dk_virtio_dev *d, uint32_t off, unsigned width, uint32_t *value,
                          enum dk_reason *why);

/** @brief A 64-bit config field as two 32-bit reads in one generation. Same returns. */
int dk_virtio_config_read64(struct dk_virtio_dev *d, uint32_t off, uint64_t *value,
                            enum dk_reason *why);

/**
 * @brief Read InterruptStatus, keep only the defined bits, acknowledge them.
 * @param bits receives DK_VIRTIO_INT_* (0 for a spurious interrupt)
 * @return DK_OK; DK_E_INVAL.
 */
int dk_virtio_irq(struct dk_virtio_dev *d, uint32_t *bits);

/* ---- split virtqueue ---------------------------------------------------- */

/** One buffer segment of a request: a DMA address and a length. */
struct dk_vseg {
    uint64_t addr;
    uint32_t len;
    uint32_t pad;
};

/** A validated completion, as dk_virtq_harvest() returns it. */
struct dk_vdone {
    uint64_t cookie;
    uint32_t len;    /**< bytes the device says it wrote, checked against what was posted */
    uint32_t result; /**< device-class result read at harvest (accelerator CSUM), else 0 */
    int32_t status;  /**< device-class status read at harvest (dk_vblk_harvest,
                          dk_vaccel_harvest); DK_OK from plain dk_virtq_harvest */
    uint16_t head;
    uint16_t pad;
};

/** Private per-head record (caller storage; the device never sees it),
 *  indexed by the chain's head descriptor. 16 bytes: harvest reads one per
 *  completion, so four share a cache line. */
struct dk_virtq_head {
    uint64_t cookie;
    uint32_t writable; /**< bytes of device-writable buffers posted */
    uint16_t last;     /**< the chain's last descriptor; free_next links the
                            head to it (descriptors are taken in list order) */
    uint8_t ndesc;     /**< descriptors of the chain (1 when indirect) */
    uint8_t inflight;
};

/**
 * A split virtqueue, driver side (producer of avail, consumer of used).
 * Only the single driver thread may call dk_virtq_*. The rings live in one
 * backend VMO; the free list and per-head records are private (caller
 * storage), so nothing the device writes is trusted for bookkeeping.
 */
struct dk_virtq {
    struct dk_virtio_dev *dev;
    struct dk_virtq_head *heads;
    uint16_t *free_next;       /**< private free list of descriptors */
    void *map_va;              /**< the VMO's mapping */
    uint8_t *ring;             /**< mapped ring memory (descriptor table first) */
    uint64_t ring_dma;
    uint64_t vmo;
    uint64_t vmo_len;
    uint32_t avail_off, used_off, indirect_off; /**< from ring */
    uint16_t size;
    uint16_t index;
    uint16_t free_head;
    uint16_t num_free;
    uint16_t avail_idx;  /**< next avail->idx to publish (shadow) */
    uint16_t last_used;  /**< next used entry to consume */
    uint16_t kicked_idx; /**< avail_idx at the last notify decision */
    uint16_t published;  /**< avail->idx as last stored: avail_idx unless
                              dk_vblk_stage() left chains for dk_virtq_kick() */
    uint8_t event_idx;
    uint8_t use_indirect;
    uint32_t fault;      /**< 0, or the DK_R_VIRTIO_* reason that faulted the queue */
    uint32_t inflight;
    uint32_t magic;
};

#define DK_VIRTQ_MAGIC 0x444b5651u /* "DKVQ" */

/** @return Bytes of caller storage dk_virtq_setup() needs for @p size entries. */
size_t dk_virtq_storage_size(uint16_t size);

/**
 * @brief Set up queue @p index with @p size entries (a power of two, at most
 *        the device's QueueNumMax and DK_VIRTQ_SIZE_MAX), rings in a new
 *        zeroed VMO, in the device's register layout. Call between
 *        dk_virtio_negotiate() and dk_virtio_driver_ok().
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_POW2, OVER_CAP, STORAGE_SMALL);
 *         DK_E_DEVICE (VIRTIO_NO_QUEUE); backend VMO statuses (OS_ERROR).
 */
int dk_virtq_setup(struct dk_virtq *q, struct dk_virtio_dev *d, uint16_t index, uint16_t size,
                   void *storage, size_t storage_size, enum dk_reason *why);

/**
 * @brief Post a request: @p n_out device-readable segments, then @p n_in
 *        device-writable ones (the spec's order). Not visible to the device
 *        until dk_virtq_kick().
 * @return DK_OK; DK_E_INVAL (NULL_ARG, ZERO_LEN, OVER_CAP for more than
 *         DK_VIRTQ_CHAIN_MAX segments or over 4 GiB); DK_E_QUEUE_FULL
 *         (VIRTIO_RING_FULL); DK_E_FAULTED (VIRTIO_FAULTED).
 */
int dk_virtq_add(struct dk_virtq *q, const struct dk_vseg *segs, unsigned n_out, unsigned n_in,
                 uint64_t cookie, uint16_t *head, enum dk_reason *why);

/**
 * @brief Publish posted requests and notify the device if it wants it
 *        (EVENT_IDX rule, or used->flags). Requests dk_vblk_stage() left
 *        unpublished are published here first, all behind one write
 *        barrier. A faulted queue publishes nothing.
 * @param notified receives 1 if QueueNotify was written (optional)
 * @return DK_OK; DK_E_INVAL; DK_E_FAULTED.
 */
int dk_virtq_kick(struct dk_virtq *q, int *notified);

/**
 * @brief Take completions from the used ring, each copied once and then
 *        checked. Stops at the first invalid element: the queue is faulted
 *        (every later call answers DK_E_FAULTED until dk_virtq_setup again),
 *        and the completions validated before it are still returned.
 * @param out   room for @p max completions
 * @param n     receives how many were returned
 * @return DK_OK; DK_E_INVAL; DK_E_FAULTED; DK_E_DEVICE (VIRTIO_USED_IDX,
 *         VIRTIO_USED_ID, VIRTIO_USED_STALE, VIRTIO_USED_LEN) with *n valid
 *         completions returned before the violation.
 */
int dk_virtq_harvest(struct dk_virtq *q, struct dk_vdone *out, unsigned max, unsigned *n,
                     enum dk_reason *why);

/** Callback of dk_virtq_reclaim(): one call per request that was in flight. */
typedef void (*dk_virtq_reclaim_fn)(void *arg, uint64_t cookie);

/**
 * @brief After the device was reset (never before: the device may still be
 *        using the buffers), give back every in-flight request through @p fn
 *        and release the ring VMO. The queue must be set up again to be used.
 * @param count receives how many were in flight (optional)
 * @return DK_OK; DK_E_INVAL; DK_E_STATE if the device status is not 0.
 */
int dk_virtq_reclaim(struct dk_virtq *q, dk_virtq_reclaim_fn fn, void *arg, uint32_t *count);

/** @return Requests posted and not yet completed (0 for NULL). */
uint32_t dk_virtq_inflight(const struct dk_virtq *q);

/* ---- device classes ----------------------------------------------------- */

/** virtio-blk request types DriverKit sends. */
#define DK_VBLK_T_IN 0u
#define DK_VBLK_T_OUT 1u
#define DK_VBLK_T_FLUSH 4u
#define DK_VBLK_T_GET_ID 8u
#define DK_VBLK_SECTOR 512u
#define DK_VBLK_ID_BYTES 20u
/* virtio-blk feature bits DriverKit may accept. */
#define DK_VBLK_F_SIZE_MAX 1
#define DK_VBLK_F_SEG_MAX 2
#define DK_VBLK_F_RO 5
#define DK_VBLK_F_BLK_SIZE 6
#define DK_VBLK_F_FLUSH 9

/** Bytes of a request header (virtio 5.2.6: type, reserved, sector). */
#define DK_VBLK_HDR_BYTES 16u

/**
 * A virtio-blk device: transport, request queue, limits read from config.
 * Each queue entry has a request header and a status byte in one DMA area
 * the shim owns: all the headers, then all the status bytes, so the
 * statuses harvest reads share cache lines. The device can write all of
 * it, so no driver bookkeeping lives there.
 */
struct dk_vblk {
    struct dk_virtio_dev dev;
    struct dk_virtq q;
    uint8_t *hdrs;            /**< mapped: DK_VBLK_HDR_BYTES per queue entry */
    uint8_t *status;          /**< mapped, after the headers: one byte per entry */
    uint64_t reqs_dma;        /**< the area's DMA address (headers first) */
    uint64_t reqs_vmo;
    uint64_t capacity;        /**< sectors */
    uint32_t seg_max;         /**< 0: no limit offered */
    uint32_t size_max;
    uint32_t read_only;
    uint32_t magic;
};

/** @return Caller storage dk_vblk_init() needs for a queue of @p size. */
size_t dk_vblk_storage_size(uint16_t size);

/**
 * @brief Open, negotiate, read capacity and limits, set up queue 0, DRIVER_OK.
 *        Calling it again on an initialised @p b (after dk_virtio_reset and
 *        dk_virtq_reclaim) releases the previous request area first.
 * @return dk_virtio_open / negotiate / setup statuses; DK_E_NOT_FOUND
 *         (VIRTIO_WRONG_DEVICE) if the device is not a block device.
 */
int dk_vblk_init(struct dk_vblk *b, const struct dk_backend *be, uint64_t cap, uint16_t qsize,
                 void *storage, size_t storage_size, enum dk_reason *why);

/**
 * @brief Release the request area (after the device was reset and the queue
 *        reclaimed). dk_vblk_init() may then bring the device up again.
 *        Safe on a zeroed or finalised struct. @return DK_OK.
 */
int dk_vblk_fini(struct dk_vblk *b);

/**
 * @brief Post one request. IN/OUT: @p data (1..seg_max segments, each at most
 *        size_max, total a nonzero multiple of 512) at @p sector, inside the
 *        capacity; FLUSH: sector 0, no data; GET_ID: one 20-byte segment.
 * @return DK_OK; DK_E_INVAL (BAD_ENUM, VIRTIO_BLK_ALIGN, VIRTIO_BLK_SEGS);
 *         DK_E_RANGE (VIRTIO_BLK_RANGE); DK_E_DENIED (VIRTIO_READ_ONLY);
 *         DK_E_UNSUPPORTED (OPTIONAL_OP: FLUSH on a device that did not offer
 *         it); DK_E_FAULTED, DK_E_QUEUE_FULL and other dk_virtq_add statuses.
 */
int dk_vblk_submit(struct dk_vblk *b, unsigned type, uint64_t sector, const struct dk_vseg *data,
                   unsigned nseg, uint64_t cookie, enum dk_reason *why);

/**
 * @brief dk_vblk_submit() without publishing: the same checks, statuses and
 *        reasons for the same input, and the request is written to the ring,
 *        but avail->idx does not move and no barrier is issued; the next
 *        dk_virtq_kick() on the device's queue (or dk_vblk_submit(), which
 *        publishes everything posted before it) makes it visible. Stage the
 *        requests of a batch, then kick once: the device sees them all after
 *        one write barrier (virtio 2.7.13: the driver may publish several
 *        chains with one avail->idx update).
 * @return as dk_vblk_submit().
 */
int dk_vblk_stage(struct dk_vblk *b, unsigned type, uint64_t sector, const struct dk_vseg *data,
                  unsigned nseg, uint64_t cookie, enum dk_reason *why);

/** One request of a dk_vblk_stage_n() batch: dk_vblk_stage()'s arguments
 *  for a request of at most one data segment (@c nseg 0 or 1). */
struct dk_vblk_io {
    uint64_t sector;
    uint64_t cookie;
    struct dk_vseg data; /**< ignored when nseg is 0 */
    uint32_t type;       /**< DK_VBLK_T_* */
    uint32_t nseg;       /**< 0 or 1 */
};

/**
 * @brief dk_vblk_stage() of @p io[0..n) in order, stopping at the first
 *        refusal: *@p staged receives how many were staged. Each request (of
 *        at most one segment: more is refused, see below) gets exactly the
 *        checks, and a refused one exactly the status and reason,
 *        dk_vblk_stage() would give it at that point; what the device and
 *        queue need is checked once per call rather than once per request.
 *        Nothing is published: dk_virtq_kick() does that.
 * @return DK_OK (all @p n staged); DK_E_INVAL (NULL_ARG: @p b, @p staged,
 *         or @p io with n > 0); else the refusal of request *@p staged:
 *         DK_E_INVAL (VIRTIO_BLK_SEGS) for nseg over 1, otherwise what
 *         dk_vblk_stage() returns for it.
 */
int dk_vblk_stage_n(struct dk_vblk *b, const struct dk_vblk_io *io, unsigned n, unsigned *staged,
                    enum dk_reason *why);

/**
 * @brief dk_virtq_harvest() on the device's queue, and each completion's
 *        status (as dk_vblk_complete() gives it) read into done->status at
 *        once, while its request record cannot have been reused yet.
 * @return as dk_virtq_harvest().
 */
int dk_vblk_harvest(struct dk_vblk *b, struct dk_vdone *out, unsigned max, unsigned *n,
                    enum dk_reason *why);

/**
 * @brief The outcome of a harvested request: its status byte. A status the
 *        device left at its preset 0xff, or any value but OK/IOERR/UNSUPP,
 *        counts as an I/O error. The status is the status byte of
 *        the completion's head, which the next dk_vblk_submit() may reuse:
 *        ask before submitting again, or use dk_vblk_harvest().
 * @param done a completion dk_virtq_harvest() returned for this device
 * @return DK_OK; DK_E_DEVICE (device said IOERR, or nonsense);
 *         DK_E_UNSUPPORTED (UNSUPP); DK_E_INVAL (bad arguments).
 */
int dk_vblk_complete(struct dk_vblk *b, const struct dk_vdone *done);

/** A virtio-rng device. */
struct dk_vrng {
    struct dk_virtio_dev dev;
    struct dk_virtq q;
    uint32_t magic;
};

/** @return Caller storage dk_vrng_init() needs for a queue of @p size. */
size_t dk_vrng_storage_size(uint16_t size);

/**
 * @brief Open an entropy device: no feature bits beyond the transport's, no
 *        config space touched, queue 0, DRIVER_OK.
 * @return as dk_vblk_init(); DK_E_NOT_FOUND (VIRTIO_WRONG_DEVICE).
 */
int dk_vrng_init(struct dk_vrng *r, const struct dk_backend *be, uint64_t cap, uint16_t qsize,
                 void *storage, size_t storage_size, enum dk_reason *why);

/**
 * @brief Ask for up to @p buf.len random bytes into a device-writable buffer.
 * @return dk_virtq_add statuses.
 */
int dk_vrng_request(struct dk_vrng *r, const struct dk_vseg *buf, uint64_t cookie,
                    enum dk_reason *why);

/**
 * @brief How many random bytes a harvested request holds. The device must
 *        return at least one byte (harvest already bounded it by the buffer).
 * @param bytes receives the count
 * @return DK_OK; DK_E_DEVICE for a zero-length answer; DK_E_INVAL.
 */
int dk_vrng_complete(const struct dk_vrng *r, const struct dk_vdone *done, uint32_t *bytes);

/** Accelerator operations (docs/virtio-accel.md). */
#define DK_VACCEL_COPY 1u
#define DK_VACCEL_FILL 2u
#define DK_VACCEL_CSUM 3u

/** Per-request header and status, in DMA memory the shim owns. */
struct dk_vaccel_req {
    uint8_t hdr[16];
    uint8_t status[8];
    uint8_t pad[8];
};

/** The simulated copy/fill/checksum accelerator (DK_VIRTIO_ID_DK_ACCEL). */
struct dk_vaccel {
    struct dk_virtio_dev dev;
    struct dk_virtq q;
    struct dk_vaccel_req *reqs;
    uint64_t reqs_dma;
    uint64_t reqs_vmo;
    uint32_t max_len;
    uint32_t ops;
    uint32_t magic;
};

/** @return Caller storage dk_vaccel_init() needs for a queue of @p size. */
size_t dk_vaccel_storage_size(uint16_t size);

/** @brief Open the accelerator, read max_len and ops. @return as dk_vblk_init(). */
int dk_vaccel_init(struct dk_vaccel *a, const struct dk_backend *be, uint64_t cap, uint16_t qsize,
                   void *storage, size_t storage_size, enum dk_reason *why);

/** @brief As dk_vblk_fini(), for the accelerator. @return DK_OK. */
int dk_vaccel_fini(struct dk_vaccel *a);

/**
 * @brief Post one operation over @p len bytes: COPY reads @p src and writes
 *        @p dst; FILL writes @p value's low byte over @p dst; CSUM reads
 *        @p src. Each side's segments must add up to @p len.
 * @return DK_OK; DK_E_INVAL (BAD_ENUM, ZERO_LEN, OVER_CAP for len over
 *         max_len or segments that do not add up); dk_virtq_add statuses.
 */
int dk_vaccel_submit(struct dk_vaccel *a, unsigned op, const struct dk_vseg *src, unsigned nsrc,
                     const struct dk_vseg *dst, unsigned ndst, uint32_t len, uint32_t value,
                     uint64_t cookie, enum dk_reason *why);

/** @brief As dk_vblk_harvest(), for the accelerator (status and CSUM result). */
int dk_vaccel_harvest(struct dk_vaccel *a, struct dk_vdone *out, unsigned max, unsigned *n,
                      enum dk_reason *why);

/**
 * @brief Outcome of a harvested operation; for CSUM, @p result gets the
 *        device's FNV-1a hash. As for dk_vblk_complete(), ask before the next
 *        submit, or use dk_vaccel_harvest().
 * @return DK_OK; DK_E_DEVICE (IOERR or an unset status); DK_E_UNSUPPORTED;
 *         DK_E_INVAL.
 */
int dk_vaccel_complete(struct dk_vaccel *a, const struct dk_vdone *done, uint32_t *result);

#endif /* DRIVERKIT_VIRTIO_H */
