/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file service.h
 * @brief A DriverKit device service: clients submit wire frames, the service
 *        runs them on one virtio device (block or the accelerator), harvests
 *        completions, resolves tickets and settles fences from the retire
 *        watermark; deadlines drive an escalation ladder; reset and
 *        per-client kill lose nothing. The same code runs over the host
 *        backend's simulated devices and over real ones.
 *
 * Client identity is the transport's sender id, given to dk_svc_submit()
 * by the caller that received the message; nothing in a frame names a client.
 * DriverKit reports (audit events, dk_svc_guilty()); killing a client is the
 * caller's decision (dk_svc_kill()).
 *
 * Device commands inside frames (docs/service.md has the byte layouts):
 *   block:       0x3001 READ, 0x3002 WRITE {le64 sector, le32 buf_ref, le32 0},
 *                0x3004 GET_ID {le32 buf_ref, le32 0}
 *   accelerator: 0x2001 COPY {le32 src_ref, le32 dst_ref},
 *                0x2002 FILL {le32 dst_ref, le32 value},
 *                0x2003 CSUM {le32 src_ref, le32 0}
 *   any:         0x1000 NOP (no device work)
 * A buf_ref indexes the frame's buffer references; its access bits must fit
 * the command (a device-written buffer needs WRITE, a device-read one READ).
 *
 * Escalation for a submission past its deadline (each step audited):
 *   1. DK_AUDIT_TICKET_TIMEOUT;
 *   2. DK_AUDIT_PROGRESS_PROBE: if the device completed anything since the
 *      last probe, the ticket gets one more deadline period;
 *   3. DK_AUDIT_GUILTY_CLIENT names the ticket's client (dk_svc_guilty());
 *   4. device reset: the expired ticket resolves TIMED_OUT, every other
 *      in-flight ticket RESET, fences fail, pins return, the epoch moves on,
 *      the device is brought up again and work is accepted again.
 */
#ifndef DRIVERKIT_SERVICE_H
#define DRIVERKIT_SERVICE_H

#include <driverkit/buf.h>
#include <driverkit/device.h>
#include <driverkit/fence.h>
#include <driverkit/ledger.h>
#include <driverkit/queue.h>
#include <driverkit/submit.h>
#include <driverkit/virtio.h>
#include <driverkit/wire.h>

/** Device classes a service can drive. */
enum dk_svc_kind { DK_SVC_BLK = 1, DK_SVC_ACCEL = 2 };

/** Opcodes of device commands in frames. */
#define DK_SVC_OP_BLK_READ 0x3001u
#define DK_SVC_OP_BLK_WRITE 0x3002u
#define DK_SVC_OP_BLK_GET_ID 0x3004u
#define DK_SVC_OP_COPY 0x2001u
#define DK_SVC_OP_FILL 0x2002u
#define DK_SVC_OP_CSUM 0x2003u

#define DK_SVC_QUEUE_MAX 64u /**< hard cap on a service's ticket capacity */

/** One device command of a submission, decoded and resolved to DMA addresses. */
struct dk_svc_cmd {
    uint64_t src, dst;     /**< DMA addresses (0 when unused) */
    uint64_t sector;
    uint32_t src_len, dst_len;
    uint32_t value;
    uint16_t op;
    uint8_t src_ref, dst_ref; /**< frame buffer refs behind src/dst, 0xff when unused */
    uint8_t pad[8];
};

/** Service-side state of one ticket. Caller storage (one per queue slot). */
struct dk_svc_req {
    struct dk_submission sub;
    struct dk_svc_cmd cmds[DK_WIRE_CMDS_MAX];
    uint64_t done;         /**< bit i: command i answered (or failed to post) */
    uint64_t deadline;
    uint64_t epoch;
    uint32_t client_id;
    uint32_t result;       /**< last CSUM result */
    uint16_t ncmds;
    uint16_t posted;       /**< commands handed to the device */
    uint16_t pending;      /**< posted and not yet answered */
    uint8_t state;         /**< enum dk_svc_req_state */
    uint8_t outcome;       /**< worst outcome so far */
    uint8_t ladder;        /**< escalation steps taken */
    uint8_t killed;
    uint8_t pad[2];
};

enum dk_svc_req_state { DK_SVC_FREE = 0, DK_SVC_WAITING = 1, DK_SVC_RUNNING = 2 };

/** Counters (all monotonic). */
struct dk_svc_stats {
    uint64_t submitted, resolved, rejected[DK_STATUS_COUNT], outcomes[DK_OUTCOME_COUNT];
    uint64_t device_requests, device_completions, resets, kills, timeouts, probes_extended;
    uint64_t stale, device_faults, fences_signalled, fences_failed;
    uint64_t pins_kept; /**< tickets resolved by a reset the device never finished: pins kept */
};

/** Trace events for a timeline viewer (the demo writes Chrome trace JSON). */
enum dk_svc_trace_kind {
    DK_TRACE_SUBMIT = 1, /**< a: ticket, b: client id, c: qos */
    DK_TRACE_START = 2,  /**< a: ticket */
    DK_TRACE_RESOLVE = 3,/**< a: ticket, b: client id, c: outcome */
    DK_TRACE_REJECT = 4, /**< b: client id, c: status */
    DK_TRACE_DEPTH = 5,  /**< a: tickets in flight */
    DK_TRACE_RESET = 6,  /**< a: new epoch */
    DK_TRACE_KILL = 7,   /**< b: client id */
};

struct dk_svc_trace {
    void (*fn)(void *arg, unsigned kind, uint64_t now, uint64_t a, uint64_t b, uint64_t c);
    void *arg;
};

/** Configuration of dk_svc_init(). The objects are the caller's, initialised. */
struct dk_svc_cfg {
    unsigned kind;                    /**< enum dk_svc_kind */
    const struct dk_backend *be;
    uint64_t cap;                     /**< device-MMIO capability of the device */
    uint32_t irq;
    uint16_t vq_size;                 /**< virtqueue entries, <= DK_VIRTQ_SIZE_MAX */
    uint16_t pad;
    struct dk_ledger *ledger;
    struct dk_fence_table *fences;
    struct dk_buf_table *bufs;
    struct dk_device *device;         /**< state machine of this device */
    uint32_t queue_capacity;          /**< tickets, power of two, <= DK_SVC_QUEUE_MAX */
    uint32_t inflight_cap;
    uint32_t qos_depth[DK_QOS_COUNT];
    uint64_t deadline_ns;             /**< per submission, from its submit time */
    struct dk_audit audit;
    struct dk_svc_trace trace;
};

/** The service. Caller storage (large: it embeds a frame and the device state). */
struct dk_svc {
    struct dk_svc_cfg cfg;
    struct dk_queue queue;
    struct dk_queue_slot qslots[DK_SVC_QUEUE_MAX];
    struct dk_svc_req reqs[DK_SVC_QUEUE_MAX];
    struct dk_submit_ctx ctx;
    struct dk_frame frame;            /**< parse scratch */
    struct dk_svc_cmd cmd_scratch[DK_WIRE_CMDS_MAX]; /**< decode scratch */
    struct dk_slice slice_scratch[DK_WIRE_BUFS_MAX]; /**< the submit's slices, one per ref */
    union {
        struct dk_vblk blk;
        struct dk_vaccel accel;
    } dev;
    uint8_t vq_storage[DK_VIRTQ_SIZE_MAX * (sizeof(struct dk_virtq_head) + 2)];
    uint64_t completions_since_probe;
    uint32_t guilty_client;           /**< last client named guilty, 0 if none */
    struct dk_svc_stats stats;
    uint32_t magic;
};

#define DK_SVC_MAGIC 0x444b5356u /* "DKSV" */

/**
 * @brief Bring the device up (capability must be granted) and the queue.
 * @return DK_OK; DK_E_INVAL (NULL_ARG, BAD_ENUM, OVER_CAP); device bring-up
 *         statuses (dk_vblk_init / dk_vaccel_init).
 */
int dk_svc_init(struct dk_svc *s, const struct dk_svc_cfg *cfg, enum dk_reason *why);

/**
 * @brief Submit one frame received from transport sender @p sender_id.
 *        All or nothing: a refusal changes no state (statistics aside).
 * @param ticket receives the ticket (optional)
 * @return DK_OK; DK_E_NOT_FOUND (BAD_CLIENT: unknown sender); frame parse
 *         refusals (DK_E_MALFORMED); DK_E_UNSUPPORTED (WIRE_OPCODE: a command
 *         this device class does not run); DK_E_INVAL / DK_E_RANGE for
 *         command arguments (bad buf_ref, length, sector range); every
 *         refusal of dk_submit_frame().
 */
int dk_svc_submit(struct dk_svc *s, uint32_t sender_id, const void *bytes, size_t len,
                  uint64_t *ticket, enum dk_reason *why);

/**
 * @brief Make progress: acknowledge the interrupt, harvest and validate
 *        completions, resolve tickets, start submissions whose waits are
 *        satisfied, post queued commands, run the escalation ladder for
 *        expired deadlines, reset the device when it faults. Usable as a
 *        struct dk_pump function (@p arg is the service).
 * @return DK_OK (always: faults are handled, counted and audited here).
 */
int dk_svc_pump(void *arg, uint32_t events);

/**
 * @brief When the service's pump must run next even without a device event:
 *        the earliest deadline of an unresolved ticket (absolute ns), or 0
 *        when nothing is in flight. Usable as a struct dk_pump next_wake
 *        function, so a client's wait lets the escalation ladder advance.
 */
uint64_t dk_svc_next_wake(void *arg);

/**
 * @brief Reset the device now (the caller's policy, or the ladder's last step).
 *        If the device never reads back a finished reset, every ticket still
 *        resolves, but the buffers of work it held stay pinned for good (it may
 *        still write them) and the device is left FAULTED.
 * @return DK_OK; DK_E_INVAL; DK_E_DEVICE (VIRTIO_RESET_TIMEOUT); bring-up
 *         statuses if the device does not come back (it then stays FAULTED
 *         and refuses work).
 */
int dk_svc_reset(struct dk_svc *s, enum dk_reason *why);

/**
 * @brief Kill a client: its tickets resolve KILLED (those on the device once
 *        the device hands their buffers back), its fences fail and are freed,
 *        its buffers are destroyed (pinned ones when their pins drop). Other
 *        clients' work is untouched.
 * @return DK_OK; DK_E_NOT_FOUND (no such client); DK_E_INVAL.
 */
int dk_svc_kill(struct dk_svc *s, uint32_t sender_id);

/** @return The last client id the ladder named guilty (0 if none). */
uint32_t dk_svc_guilty(const struct dk_svc *s);

/** @return Unresolved tickets. */
uint32_t dk_svc_inflight(const struct dk_svc *s);

#endif /* DRIVERKIT_SERVICE_H */
