/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file host_sim.h
 * @brief Simulated virtio-mmio devices for the host backend: virtio-blk on a
 *        RAM disk, virtio-rng from a seeded generator and the copy/fill/
 *        checksum accelerator (docs/virtio-accel.md), in either register
 *        layout (version 2 "modern", version 1 "legacy"), with fault
 *        injection and a record/replay event log.
 *
 * A device is the DEVICE side of the virtio specification and nothing else:
 * it is reached only through the MMIO window it registers with
 * dk_host_window_add() (the driver must still be granted the capability with
 * dk_host_grant()) and through the rings the driver places in host VMOs. It
 * touches driver memory only through dk_host_dma_vmo(), keeping a translation
 * only while dk_host_dma_gen() has not moved, so it never reads or writes
 * outside one live VMO, and it writes only into device-writable descriptors
 * and the used ring.
 *
 * Timing: a request is taken off the available ring when the driver writes
 * QueueNotify (after DRIVER_OK) and completes at now + latency + a seeded
 * jitter in [0, jitter_ns], on the host's virtual clock (dk_host_advance()
 * or the backend's wait). With jitter, completion order may differ from
 * submission order. Each device uses at most one host event slot at a time.
 *
 * Determinism: every choice comes from cfg.seed and the virtual clock. Two
 * runs with the same configuration and the same driver calls produce the
 * same register values, ring contents, interrupts and log.
 *
 * Caller storage only: no allocation. struct dk_sim_dev is large (about
 * 130 KiB: one 512-byte request slot per descriptor head) and is best kept
 * static; it is 64-byte aligned (its request slots are cache lines), which
 * static and automatic storage honour (heap storage: aligned_alloc).
 *
 * Byte order: the simulated machine is little-endian, so the legacy
 * layout's "guest-native" ring and config fields are little-endian too.
 */
#ifndef DRIVERKIT_HOST_SIM_H
#define DRIVERKIT_HOST_SIM_H

#include <driverkit/common.h>
#include <driverkit/host.h>
#include <driverkit/status.h>
#include <driverkit/virtio.h>

#define DK_SIM_MAGIC 0x444b5331u     /* "DKS1" */
#define DK_SIM_LOG_MAGIC 0x444b4c31u /* "DKL1" */
#define DK_SIM_VENDOR_ID 0x554d4551u /**< "QEMU", as QEMU's devices report */
#define DK_SIM_QUEUES 1u             /**< queues per device (blk, rng, accel: one each) */
#define DK_SIM_NIL 0xffffu           /**< end of a request list */

/** Device class of a simulated device (cfg.kind). */
enum dk_sim_kind {
    DK_SIM_BLK = 1,   /**< virtio-blk, device id 2, on cfg.disk */
    DK_SIM_RNG = 2,   /**< virtio-rng, device id 4 */
    DK_SIM_ACCEL = 3, /**< DK accelerator, device id 0x444b */
};

/* virtio-blk constants the simulation implements (virtio 5.2). */
#define DK_SIM_BLK_F_SIZE_MAX 1
#define DK_SIM_BLK_F_SEG_MAX 2
#define DK_SIM_BLK_F_BLK_SIZE 6
#define DK_SIM_BLK_F_FLUSH 9
#define DK_SIM_BLK_T_IN 0u
#define DK_SIM_BLK_T_OUT 1u
#define DK_SIM_BLK_T_FLUSH 4u
#define DK_SIM_BLK_T_FLUSH_OUT 5u /**< legacy spelling of FLUSH (legacy layout only) */
#define DK_SIM_BLK_T_GET_ID 8u
#define DK_SIM_BLK_ID_BYTES 20u
#define DK_SIM_SECTOR 512u
/* blk config fields, offsets from DK_VMMIO_CONFIG. */
#define DK_SIM_BLK_CFG_CAPACITY 0x00u /**< le64, sectors (two 32-bit reads) */
#define DK_SIM_BLK_CFG_SIZE_MAX 0x08u /**< le32 */
#define DK_SIM_BLK_CFG_SEG_MAX 0x0cu  /**< le32 */
#define DK_SIM_BLK_CFG_BLK_SIZE 0x14u /**< le32, always 512 */
#define DK_SIM_BLK_CFG_LEN 0x18u

/* Accelerator constants (docs/virtio-accel.md). */
#define DK_SIM_ACCEL_OP_COPY 1u
#define DK_SIM_ACCEL_OP_FILL 2u
#define DK_SIM_ACCEL_OP_CSUM 3u
#define DK_SIM_ACCEL_OPS_MASK 0xeu /**< config `ops`: bits 1..3 */
#define DK_SIM_ACCEL_MAX_LEN_DEFAULT 65536u
#define DK_SIM_ACCEL_HDR_BYTES 16u
#define DK_SIM_ACCEL_STATUS_BYTES 8u
#define DK_SIM_ACCEL_CFG_MAX_LEN 0x00u /**< le32 */
#define DK_SIM_ACCEL_CFG_OPS 0x04u     /**< le32 */
#define DK_SIM_ACCEL_CFG_LEN 0x08u
#define DK_SIM_FNV_BASIS 0x811c9dc5u /**< FNV-1a 32 of zero bytes */
#define DK_SIM_FNV_PRIME 0x01000193u

/** Request status bytes shared by blk (u8) and the accelerator (le32). */
#define DK_SIM_S_OK 0u
#define DK_SIM_S_IOERR 1u
#define DK_SIM_S_UNSUPP 2u

/**
 * Injectable device faults (dk_sim_inject()). "n" is the after_n argument.
 * Each one writes only the used ring or config space the device owns; the
 * simulation never writes outside posted device-writable buffers.
 */
enum dk_sim_fault {
    /** Disarm. */
    DK_SIM_FAULT_NONE = 0,
    /** After n completions, complete nothing more and take no new requests
     *  until a reset; silent (no status bit, no interrupt). */
    DK_SIM_FAULT_STALL = 1,
    /** Completion n+1 fails and writes no data: blk status IOERR (used len 1),
     *  accel status 1 (used len 8), rng used len 0. */
    DK_SIM_FAULT_ERROR_STATUS = 2,
    /** Completion n+1 reports id = queue size + head. */
    DK_SIM_FAULT_USED_ID_RANGE = 3,
    /** Completion n+1 reports an in-range id that is no outstanding head: the
     *  head completed last if it was not posted again, else the lowest index
     *  that is neither in flight nor in the available ring. */
    DK_SIM_FAULT_USED_ID_NOT_INFLIGHT = 4,
    /** Completion n+1 reports len = the chain's writable bytes + 1. */
    DK_SIM_FAULT_USED_LEN_TOO_BIG = 5,
    /** Completion n+1, then used->idx moves by queue size + 1 in total. */
    DK_SIM_FAULT_USED_IDX_JUMP = 6,
    /** Instead of completion n+1: DEVICE_NEEDS_RESET, a config interrupt,
     *  and the device drops its requests and takes none until reset. */
    DK_SIM_FAULT_NEEDS_RESET = 7,
    /** Right after config-space read n+1, the config changes (blk capacity
     *  toggles by one sector, accel max_len halves or comes back),
     *  ConfigGeneration moves and a config interrupt is raised. */
    DK_SIM_FAULT_CONFIG_TEAR = 8,
};
#define DK_SIM_FAULT_COUNT 9

/** Why the device declared a driver fault (dk_sim_dev.last_driver_fault). */
enum dk_sim_driver_fault {
    DK_SIM_DF_NONE = 0,
    DK_SIM_DF_RING_DMA = 1,   /**< a ring is not inside one live VMO */
    DK_SIM_DF_AVAIL_JUMP = 2, /**< avail->idx moved more than the queue size */
    DK_SIM_DF_HEAD_RANGE = 3, /**< avail ring names a descriptor >= queue size */
    DK_SIM_DF_HEAD_BUSY = 4,  /**< a head that is already outstanding */
    DK_SIM_DF_DESC_RANGE = 5, /**< `next` >= queue size (or past an indirect table) */
    DK_SIM_DF_LOOP = 6,       /**< a chain visits a descriptor twice */
    DK_SIM_DF_CHAIN_LONG = 7, /**< more than DK_VIRTQ_CHAIN_MAX buffers */
    DK_SIM_DF_DESC_DMA = 8,   /**< a buffer is not inside one live VMO */
    DK_SIM_DF_ZERO_LEN = 9,   /**< a buffer of length 0 */
    DK_SIM_DF_ORDER = 10,     /**< a device-readable buffer after a writable one */
    DK_SIM_DF_INDIRECT = 11,  /**< INDIRECT not negotiated, with NEXT, nested, bad length */
    DK_SIM_DF_SHAPE = 12,     /**< no room for the request header or status */
    DK_SIM_DF_BUF_GONE = 13,  /**< a buffer's VMO vanished before completion */
};

/** Kinds of log entries. */
enum dk_sim_log_kind {
    /** QueueNotify of queue `queue`: status 0 taken, 1 ignored; len =
     *  requests taken; extra = avail->idx seen. */
    DK_SIM_LOG_NOTIFY = 1,
    /** A used element: queue, id and len as written; status = the request's
     *  status; extra = its rng seed; lat; req. */
    DK_SIM_LOG_COMPLETE = 2,
    /** An interrupt raised: extra = InterruptStatus after it. */
    DK_SIM_LOG_IRQ = 3,
    /** Status written 0. */
    DK_SIM_LOG_RESET = 4,
    /** An injected fault fired: extra = enum dk_sim_fault; id, len, status of
     *  the used element it wrote, if any. */
    DK_SIM_LOG_FAULT = 5,
    /** A config-space read: id = offset from 0x100, len = width, extra = value. */
    DK_SIM_LOG_CONFIG_READ = 6,
    /** A driver fault: extra = enum dk_sim_driver_fault, id = head or ~0. */
    DK_SIM_LOG_DRIVER_FAULT = 7,
};

/** One log entry. Every field takes part in dk_sim_log_compare(). */
struct dk_sim_log_entry {
    uint64_t time;  /**< virtual time, ns */
    uint64_t extra; /**< kind-specific, see enum dk_sim_log_kind */
    uint64_t lat;   /**< COMPLETE: ns from taking the request to completing it */
    uint32_t req;   /**< COMPLETE: request number (order taken since dk_sim_init) */
    uint32_t id;
    uint32_t len;
    uint16_t kind; /**< enum dk_sim_log_kind */
    uint8_t queue;
    uint8_t status;
};

/**
 * A bounded event log over caller storage. Owned by the caller; written only
 * by the device it is given to as cfg.log (record: entries are appended;
 * when full, further entries are counted in @c dropped). A log given as
 * cfg.replay is only read.
 */
struct dk_sim_log {
    struct dk_sim_log_entry *entries;
    uint32_t cap;
    uint32_t count;
    uint32_t dropped;
    uint32_t magic;
};

/** Device counters (dk_sim_stats()). */
struct dk_sim_stats {
    uint64_t requests;            /**< chains taken off the available ring */
    uint64_t completions;         /**< used elements written */
    uint64_t irqs;                /**< interrupts raised (vring and config) */
    uint64_t resets;              /**< Status written 0 */
    uint64_t driver_faults;       /**< NEEDS_RESET for a driver error (see last_driver_fault) */
    uint64_t protocol_violations; /**< register misuse the device ignored */
    uint64_t faults_injected;     /**< injected faults that fired */
    uint64_t notifies;            /**< QueueNotify writes */
    uint64_t notifies_ignored;    /**< ... before DRIVER_OK, stalled, queue not live */
    uint64_t config_reads;
    uint64_t replay_hits;    /**< requests whose timing/bytes came from cfg.replay */
    uint64_t replay_misses;  /**< replay had no entry: the seeded generator was used */
    uint64_t sched_failures; /**< dk_host_schedule refused (host event table full) */
};

/** Configuration of dk_sim_init(). Zeroed fields take the stated defaults. */
struct dk_sim_cfg {
    unsigned kind;                   /**< enum dk_sim_kind */
    uint32_t version;                /**< 1 legacy (QueuePFN) or 2 modern */
    uint64_t cap;                    /**< capability naming the MMIO window (dk_host_grant) */
    uint64_t phys;                   /**< physical address reported by mmio_query */
    uint32_t irq;                    /**< host interrupt line, < DK_HOST_IRQS */
    uint16_t queue_num_max;          /**< QueueNumMax: power of two <= DK_VIRTQ_SIZE_MAX; 0 = max */
    uint64_t extra_features;         /**< subset of INDIRECT_DESC, EVENT_IDX; blk also SIZE_MAX,
                                          SEG_MAX, BLK_SIZE, FLUSH. VERSION_1 is added for version 2 */
    uint64_t seed;                   /**< seeds jitter and rng bytes */
    uint64_t latency_ns;             /**< base completion latency, <= 2^40 */
    uint64_t jitter_ns;              /**< extra latency drawn from [0, jitter_ns], <= 2^40 */
    uint8_t *disk;                   /**< blk: RAM disk, caller storage */
    uint64_t disk_bytes;             /**< blk: multiple of 512, > 0 */
    uint32_t seg_max;                /**< blk: config seg_max (SEG_MAX: >= 1) */
    uint32_t size_max;               /**< blk: config size_max (SIZE_MAX: >= 1) */
    uint32_t accel_max_len;          /**< accel: config max_len; 0 = 65536 */
    struct dk_sim_log *log;          /**< optional: record into this (initialised) log */
    const struct dk_sim_log *replay; /**< optional: take latency and rng seeds from here */
};

/** One device-side buffer of a taken request, as translated at take time.
 *  It is device-writable if its index is the request's nread or more
 *  (readable buffers come first). */
struct dk_sim_seg {
    uint64_t addr; /**< DMA address */
    uint32_t len;
    uint32_t pad; /**< not written */
    uint8_t *ptr; /**< its host memory, valid while the request's gen is current */
};

/**
 * A request the device took and has not completed, stored at the index of
 * its head descriptor (a head is outstanding at most once). Written only by
 * the device. Pending requests form a list ordered by (due, req).
 *
 * Layout: a slot is 512 bytes and starts a cache line (the queue's request
 * table is 64-byte aligned), and what a take writes and a completion reads
 * for a chain of up to three buffers (every field up to seg[2]) fills the
 * slot's first two lines; rng_seed, which only rng requests and logging
 * runs use, is after the segments.
 */
struct dk_sim_req {
    uint64_t due;      /**< completion time */
    uint64_t gen;      /**< dk_host_dma_gen() when seg[].ptr were translated */
    uint64_t readable; /**< device-readable bytes */
    uint64_t writable; /**< device-writable bytes */
    uint64_t start;    /**< time taken */
    uint32_t req;      /**< request number */
    uint16_t next;     /**< the next pending request, DK_SIM_NIL after the last */
    uint8_t nseg;      /**< segments, readable ones first */
    uint8_t nread;
    uint8_t live;
    uint8_t pad[7];
    struct dk_sim_seg seg[DK_VIRTQ_CHAIN_MAX];
    /** Per-request generator seed (rng bytes and length); set at take time
     *  only where something reads it (sim_vq.c, dk_sim_timing). */
    uint64_t rng_seed;
    /** To 512 bytes in all: a request slot is found on every take and
     *  completion, and a power-of-two stride makes that a shift. */
    uint8_t pad_slot[512u - 56u - 8u - sizeof(struct dk_sim_seg) * DK_VIRTQ_CHAIN_MAX];
};

/**
 * Device state of one virtqueue. Registers are written by the driver through
 * MMIO; the ring indices and the request table only by the device.
 */
struct dk_sim_queue {
    uint64_t desc;        /**< descriptor table DMA address */
    uint64_t driver;      /**< available ring DMA address */
    uint64_t device;      /**< used ring DMA address */
    uint32_t num;         /**< QueueNum (defaults to QueueNumMax) */
    uint32_t pfn;         /**< legacy QueuePFN (0: queue not in use) */
    uint32_t align;       /**< legacy QueueAlign (default 4096) */
    uint16_t last_avail;  /**< next avail slot the device takes */
    uint16_t used_idx;    /**< device's copy of used->idx */
    uint16_t first, last; /**< pending requests, by due time */
    uint16_t pending;     /**< requests taken and not completed */
    uint16_t last_done;   /**< head of the latest completion */
    uint8_t have_done;
    uint8_t ready;  /**< modern QueueReady, legacy pfn != 0 */
    uint8_t broken; /**< a driver fault stopped this queue until reset */
    uint8_t pad[3];
    /** Translation cache of the three ring areas: valid while gen is the
     *  host's DMA generation and desc/driver/device/num are the ones below. */
    struct {
        uint64_t gen, desc, driver, device;
        uint32_t num, pad;
        uint8_t *desc_p, *avail_p, *used_p;
    } rings;
    /** Each slot starts a cache line: see struct dk_sim_req. */
    _Alignas(64) struct dk_sim_req req[DK_VIRTQ_SIZE_MAX];
};

/**
 * A simulated device. Caller storage, set up by dk_sim_init(); every field
 * is the device's and may be read (not written) by tests.
 * Status/InterruptStatus/features follow the virtio-mmio register semantics;
 * a reset (Status 0) clears them and all queue state, but keeps the config,
 * the legacy GuestPageSize (a transport setting, as in QEMU), the statistics
 * and an armed fault that has not fired yet.
 */
struct dk_sim_dev {
    uint32_t magic;
    uint32_t kind;
    uint32_t version;
    uint32_t device_id;
    struct dk_host *host;
    uint64_t cap;
    uint32_t irq;
    uint32_t num_max;
    uint64_t offered;         /**< device features */
    uint64_t driver_features; /**< as written by the driver (only offered bits kept) */
    uint32_t dev_sel, drv_sel;
    uint32_t status;
    uint32_t isr;        /**< InterruptStatus */
    uint32_t generation; /**< ConfigGeneration */
    uint32_t page_size;  /**< legacy GuestPageSize (0: not written) */
    uint32_t queue_sel;
    uint32_t seg_max, size_max;
    uint64_t capacity; /**< blk: config capacity in sectors (<= disk_sectors) */
    uint64_t disk_sectors;
    uint8_t *disk;
    uint32_t accel_max_len; /**< accel: current config max_len */
    uint32_t accel_max_cfg;
    /** splitmix64 state; drawn from only by a device whose draws something
     *  reads (jitter, rng, a log or a replay): else it stays cfg.seed. */
    uint64_t prng;
    uint64_t latency, jitter;
    uint32_t req_seq; /**< next request number */
    uint32_t ev_id;   /**< host event id of the pending completion event, 0: none */
    uint64_t ev_at;
    uint32_t fault;       /**< armed enum dk_sim_fault */
    uint32_t fault_after; /**< completions (config reads) left before it fires */
    uint8_t stalled;
    uint8_t pad[3];
    uint32_t last_driver_fault; /**< enum dk_sim_driver_fault of the latest driver fault */
    struct dk_sim_log *log;
    const struct dk_sim_log *replay;
    uint32_t replay_hint; /**< where the last replay lookup matched */
    uint32_t tlb_next;    /**< the tlb entry the next miss replaces */
    uint64_t tlb_gen;     /**< host DMA generation the tlb entries belong to */
    /** Translation cache (an IOTLB): whole VMOs dk_host_dma_vmo() found,
     *  valid while tlb_gen is the host's DMA generation (len 0: empty). */
    struct dk_sim_tlb {
        uint64_t dma, len;
        uint8_t *ptr;
    } tlb[2];
    struct dk_sim_stats stats;
    struct dk_sim_queue q[DK_SIM_QUEUES];
};

/**
 * @brief Create a simulated device and register its MMIO window
 *        (DK_VMMIO_WINDOW bytes at cfg->phys, capability cfg->cap, line
 *        cfg->irq) with @p h. The driver side still needs dk_host_grant().
 * @param d caller storage (overwritten)
 * @param h an initialised host backend; must outlive @p d's use
 * @param cfg configuration, copied
 * @return DK_OK; DK_E_INVAL (NULL, bad kind/version/queue_num_max, a feature
 *         outside the allowed set, blk without a disk or with a size not a
 *         multiple of 512, latency or jitter over 2^40, an uninitialised
 *         log); DK_E_EXISTS (cfg->cap already registered); DK_E_NO_SPACE
 *         (host window table full).
 */
int dk_sim_init(struct dk_sim_dev *d, struct dk_host *h, const struct dk_sim_cfg *cfg);

/**
 * @brief Stop the device: its pending completion event is cancelled, its
 *        window is unregistered (dk_host_window_remove(): later register
 *        accesses fault, and the capability may be registered again) and the
 *        struct is zeroed. Safe twice and on a zeroed struct.
 * @return DK_OK.
 */
int dk_sim_fini(struct dk_sim_dev *d);

/**
 * @brief Arm one fault (replacing any armed one); see enum dk_sim_fault for
 *        what @p after_n counts. DK_SIM_FAULT_NONE disarms (and does not
 *        end a stall already in force: only a reset does).
 * @return DK_OK; DK_E_INVAL (bad device or fault number).
 */
int dk_sim_inject(struct dk_sim_dev *d, enum dk_sim_fault f, uint32_t after_n);

/**
 * @brief Change a blk device's capacity as a real resize would: the config
 *        changes, ConfigGeneration moves and a config interrupt is raised.
 * @return DK_OK; DK_E_INVAL (not a blk device); DK_E_RANGE (more sectors
 *         than the RAM disk holds).
 */
int dk_sim_set_capacity(struct dk_sim_dev *d, uint64_t sectors);

/** @return Requests taken and not completed on queue 0 (0 for a bad device). */
uint32_t dk_sim_pending(const struct dk_sim_dev *d);

/** @brief Copy the counters. @return DK_OK; DK_E_INVAL. */
int dk_sim_stats(const struct dk_sim_dev *d, struct dk_sim_stats *out);

/**
 * @brief Initialise an empty log over @p storage.
 * @return DK_OK; DK_E_INVAL (NULL log or storage, cap 0).
 */
int dk_sim_log_init(struct dk_sim_log *log, struct dk_sim_log_entry *storage, uint32_t cap);

/** @brief Forget the log's storage. Safe twice and on a zeroed struct. @return DK_OK. */
int dk_sim_log_fini(struct dk_sim_log *log);

/** Value of *first_diff when two logs are identical. */
#define DK_SIM_LOG_SAME 0xffffffffu

/**
 * @brief Compare two logs entry by entry.
 * @param first_diff receives the index of the first entry that differs (the
 *        shorter count if one log is a prefix of the other, or if only the
 *        dropped counts differ), or DK_SIM_LOG_SAME
 * @return DK_OK (whether or not they differ); DK_E_INVAL (NULL or
 *         uninitialised log, a count over its cap, NULL first_diff).
 */
int dk_sim_log_compare(const struct dk_sim_log *a, const struct dk_sim_log *b,
                       uint32_t *first_diff);

#endif /* DRIVERKIT_HOST_SIM_H */
