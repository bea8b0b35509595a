/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file status.h
 * @brief The one status vocabulary of libdriverkit, its reason codes, and
 *        the outcome of a ticket.
 *
 * Every public function returns an `int` holding an `enum dk_status`. The
 * numbers are ABI: they never change within major version 1 (docs/status.md,
 * pinned by tests/test_status.c). New codes are only appended.
 *
 * A status says what kind of answer this is. Where one status can come from
 * several checks, the function also takes an optional `enum dk_reason *why`
 * (NULL allowed) and writes the reason code of the check that failed, or
 * DK_R_NONE on success. Reason numbers are ABI too, grouped by hundreds.
 *
 * Expected answers (DK_E_WOULD_BLOCK, DK_E_QUEUE_FULL, DK_E_TIMED_OUT) are
 * part of normal flow, not errors to log.
 */
#ifndef DRIVERKIT_STATUS_H
#define DRIVERKIT_STATUS_H

#include <driverkit/common.h>

/** Status codes. Stable numbers; append only. */
enum dk_status {
    DK_OK = 0,              /**< Done. */
    DK_E_INVAL = 1,         /**< An argument is malformed (NULL, out of range, bad enum). */
    DK_E_WOULD_BLOCK = 2,   /**< Not ready yet; poll again or wait. */
    DK_E_TIMED_OUT = 3,     /**< The deadline passed before the condition held. */
    DK_E_QUEUE_FULL = 4,    /**< Backpressure: the queue cannot take more work now. */
    DK_E_QUOTA = 5,         /**< The client's own quota would be exceeded. */
    DK_E_NO_SPACE = 6,      /**< A bounded table or global budget is full. */
    DK_E_NOT_FOUND = 7,     /**< No such object for this caller. */
    DK_E_STALE = 8,         /**< The handle's generation is old: the object is gone. */
    DK_E_BUSY = 9,          /**< The object is in use (pinned, has waiters). */
    DK_E_DENIED = 10,       /**< The caller lacks the right for this operation. */
    DK_E_ROLLBACK = 11,     /**< A timeline value did not strictly increase. */
    DK_E_TOO_FAR = 12,      /**< A timeline value runs too far ahead of the current one. */
    DK_E_SEALED = 13,       /**< The buffer is sealed read-only. */
    DK_E_RANGE = 14,        /**< Offset/length outside the object (overflow included). */
    DK_E_STATE = 15,        /**< Not legal in the object's current state. */
    DK_E_RESETTING = 16,    /**< The device is resetting; retry after the reset. */
    DK_E_FAULTED = 17,      /**< The device is faulted and takes no work. */
    DK_E_DEVICE = 18,       /**< The device reported an error for this work. */
    DK_E_RESET = 19,        /**< The work was lost to a device reset. */
    DK_E_KILLED = 20,       /**< The work was dropped because its client was killed. */
    DK_E_CANCELLED = 21,    /**< The work was cancelled before it started. */
    DK_E_NO_MEMORY = 22,    /**< The backend could not allocate memory. */
    DK_E_PERM = 23,         /**< The OS denied a capability (kernel EPERM). */
    DK_E_UNSUPPORTED = 24,  /**< The backend does not implement this optional operation. */
    DK_E_VERSION = 25,      /**< ABI version or struct size not understood. */
    DK_E_MALFORMED = 26,    /**< Bytes from a peer failed validation (see reason). */
    DK_E_EXISTS = 27,       /**< The object already exists. */
    DK_E_TOO_BIG = 28,      /**< A size is over its compile-time or configured cap. */
    DK_E_BACKEND = 29,      /**< The OS returned an error with no mapping (fail closed). */
    DK_E_CORRUPT = 30,      /**< An internal invariant check failed. */
};

/** One past the highest status number defined in this version. */
#define DK_STATUS_COUNT 31

/**
 * Reason codes: which check produced a rejection. Each reason belongs to one
 * status (dk_reason_status()). Stable numbers; append only.
 */
enum dk_reason {
    DK_R_NONE = 0,

    /* 1xx: argument checks common to all objects */
    DK_R_NULL_ARG = 100,        /**< A required pointer is NULL. */
    DK_R_BAD_ENUM = 101,        /**< An enum/flag value is not defined. */
    DK_R_ZERO_LEN = 102,        /**< A length or count is zero. */
    DK_R_NOT_POW2 = 103,        /**< A capacity is not a power of two. */
    DK_R_OVER_CAP = 104,        /**< A size/count is over its hard cap. */
    DK_R_STORAGE_SMALL = 105,   /**< Caller storage is smaller than required. */
    DK_R_BAD_HANDLE = 106,      /**< A handle does not name a slot. */
    DK_R_STALE_HANDLE = 107,    /**< A handle's generation is old. */
    DK_R_NOT_OWNER = 108,       /**< The object belongs to another client. */
    DK_R_BAD_CLIENT = 109,      /**< The client slot is not registered. */
    DK_R_NOT_INIT = 110,        /**< The object was not initialised (or was finalised). */
    DK_R_OUT_SMALL = 111,       /**< The caller's output buffer is too small (DK_E_NO_SPACE). */

    /* 2xx: submit queue */
    DK_R_RING_FULL = 200,       /**< The ticket window (capacity) is full. */
    DK_R_INFLIGHT_CAP = 201,    /**< The queue's in-flight cap is reached. */
    DK_R_QOS_DEPTH = 202,       /**< The QoS class's depth limit is reached. */
    DK_R_TICKET_UNKNOWN = 203,  /**< The ticket was never issued or is retired. */
    DK_R_ALREADY_RESOLVED = 204,/**< The ticket already has its outcome. */
    DK_R_ALREADY_STARTED = 205, /**< The ticket was handed to the device. */

    /* 3xx: timeline fences and waitsets */
    DK_R_VALUE_ROLLBACK = 300,  /**< Signal value <= current value. */
    DK_R_SIGNAL_TOO_FAR = 301,  /**< Signal value - current > max jump. */
    DK_R_WAIT_TOO_FAR = 302,    /**< Wait target - current > max jump. */
    DK_R_NO_DEADLINE = 303,     /**< A wait was given deadline 0 (no deadline). */
    DK_R_DEADLINE_TOO_FAR = 304,/**< Deadline beyond now + max wait. */
    DK_R_NO_WAIT_RIGHT = 305,   /**< The holder may not wait on this fence. */
    DK_R_NO_SIGNAL_RIGHT = 306, /**< The holder may not signal this fence. */
    DK_R_FENCE_FAILED = 307,    /**< The fence is failed; it takes no more signals. */
    DK_R_WAITERS_FULL = 308,    /**< The fence's waiter list is full. */
    DK_R_WAITSET_FULL = 309,    /**< The waitset has its maximum members. */
    DK_R_GRANTS_FULL = 310,     /**< The fence's grant table is full. */
    DK_R_HAS_WAITERS = 311,     /**< The fence still has waiters. */
    DK_R_RIGHTS_ESCALATION = 312, /**< A grant asks for rights the grantor lacks. */

    /* 4xx: buffers */
    DK_R_BUF_TOO_BIG = 400,     /**< Buffer size over the table's size cap. */
    DK_R_SLICE_OOB = 401,       /**< offset + length beyond the buffer, or overflowing. */
    DK_R_NO_READ_RIGHT = 402,
    DK_R_NO_WRITE_RIGHT = 403,
    DK_R_NO_MAP_RIGHT = 404,
    DK_R_BUF_SEALED = 405,      /**< Write access asked of a sealed buffer. */
    DK_R_BUF_PINNED = 406,      /**< Destroy of a pinned buffer: deferred. */
    DK_R_PIN_OVERFLOW = 407,    /**< Pin count at its cap. */
    DK_R_NOT_PINNED = 408,      /**< Unpin of a buffer with no pins. */
    DK_R_TABLE_FULL = 409,      /**< No free slot in the table. */
    DK_R_BUF_MAPPED = 410,      /**< Mapped already (with other rights), or seal while mapped writable. */
    DK_R_NOT_MAPPED = 411,      /**< Unmap of a buffer that is not mapped. */

    /* 5xx: ledger (budgets and quotas) */
    DK_R_CLIENT_BYTES = 500,    /**< The client's byte quota. */
    DK_R_CLIENT_BUFFERS = 501,
    DK_R_CLIENT_INFLIGHT_Q = 502,
    DK_R_CLIENT_FENCES = 503,
    DK_R_CLIENT_WAITERS = 504,
    DK_R_GLOBAL_BYTES = 505,    /**< The global byte budget. */
    DK_R_GLOBAL_BUFFERS = 506,
    DK_R_GLOBAL_INFLIGHT = 507,
    DK_R_GLOBAL_FENCES = 508,
    DK_R_GLOBAL_WAITERS = 509,
    DK_R_CLIENT_EXISTS = 510,
    DK_R_CLIENTS_FULL = 511,
    DK_R_CLIENT_IN_USE = 512,   /**< Remove of a client that still holds resources. */

    /* 6xx: device state machine */
    DK_R_DEV_RESETTING = 600,
    DK_R_DEV_FAULTED = 601,
    DK_R_DEV_OFFLINE = 602,
    DK_R_BAD_TRANSITION = 603,

    /* 7xx: backend */
    DK_R_OPS_VERSION = 700,     /**< Backend ops ABI version unknown. */
    DK_R_OPS_SIZE = 701,        /**< Backend ops struct smaller than required. */
    DK_R_OPS_MISSING = 702,     /**< A mandatory backend op is NULL. */
    DK_R_OPTIONAL_OP = 703,     /**< An optional backend op is NULL. */
    DK_R_OS_ERROR = 704,        /**< The OS refused; comes with the backend's own status. */
    DK_R_CAP_NOT_GRANTED = 705, /**< MMIO capability not held. */
    DK_R_CAP_WINDOW = 706,      /**< Request outside the capability's window. */

    /* 8xx: virtio (device or transport answers); see include/driverkit/virtio.h */
    DK_R_VIRTIO_MAGIC = 800,         /**< MagicValue is not "virt" (DK_E_NOT_FOUND). */
    DK_R_VIRTIO_VERSION = 801,       /**< Version is neither 1 nor 2 (DK_E_UNSUPPORTED). */
    DK_R_VIRTIO_NO_DEVICE = 802,     /**< DeviceID 0: an empty slot (DK_E_NOT_FOUND). */
    DK_R_VIRTIO_WRONG_DEVICE = 803,  /**< Not the device class asked for (DK_E_NOT_FOUND). */
    DK_R_VIRTIO_RESET_TIMEOUT = 804, /**< Status did not read 0 after reset (DK_E_DEVICE). */
    DK_R_VIRTIO_NO_VERSION_1 = 805,  /**< Modern device without VERSION_1 (DK_E_DEVICE). */
    DK_R_VIRTIO_FEATURES_REFUSED = 806, /**< FEATURES_OK did not stick (DK_E_DEVICE). */
    DK_R_VIRTIO_NO_QUEUE = 807,      /**< QueueNumMax 0 or queue already live (DK_E_DEVICE). */
    DK_R_VIRTIO_CONFIG_UNSTABLE = 808, /**< Config kept changing across reads (DK_E_DEVICE). */
    DK_R_VIRTIO_USED_IDX = 809,      /**< used->idx advanced by more than the queue size (DK_E_DEVICE). */
    DK_R_VIRTIO_USED_ID = 810,       /**< A used id >= queue size (DK_E_DEVICE). */
    DK_R_VIRTIO_USED_STALE = 811,    /**< A used id that is not an outstanding head (DK_E_DEVICE). */
    DK_R_VIRTIO_USED_LEN = 812,      /**< A used length over the posted writable bytes (DK_E_DEVICE). */
    DK_R_VIRTIO_NEEDS_RESET = 813,   /**< The device set DEVICE_NEEDS_RESET (DK_E_DEVICE). */
    DK_R_VIRTIO_RING_FULL = 814,     /**< Not enough free descriptors (DK_E_QUEUE_FULL). */
    DK_R_VIRTIO_FAULTED = 815,       /**< The queue was faulted; reset it first (DK_E_FAULTED). */
    DK_R_VIRTIO_BLK_RANGE = 816,     /**< Sectors past the device's capacity (DK_E_RANGE). */
    DK_R_VIRTIO_BLK_ALIGN = 817,     /**< Data not a multiple of 512 bytes, or a bad GET_ID/FLUSH shape (DK_E_INVAL). */
    DK_R_VIRTIO_BLK_SEGS = 818,      /**< More segments than seg_max, or one over size_max (DK_E_INVAL). */
    DK_R_VIRTIO_READ_ONLY = 819,     /**< A write to a read-only device (DK_E_DENIED). */

    /* 9xx: device service (include/driverkit/service.h) */
    DK_R_SVC_OPCODE = 900,   /**< A command this device class does not run (DK_E_UNSUPPORTED). */
    DK_R_SVC_PAYLOAD = 901,  /**< A command payload of the wrong size or with reserved bits (DK_E_MALFORMED). */
    DK_R_SVC_BUF_REF = 902,  /**< A buf_ref past the frame's buffer refs (DK_E_INVAL). */
    DK_R_SVC_ACCESS = 903,   /**< A buffer ref whose access does not fit the command (DK_E_DENIED). */
    DK_R_SVC_LENGTH = 904,   /**< Lengths that do not fit the command or device (DK_E_INVAL). */

    /* 10xx: wire frames (docs/wire.md); all reported with DK_E_MALFORMED */
    DK_R_WIRE_TRUNCATED = 1000,    /**< Fewer bytes than the header or total_len needs. */
    DK_R_WIRE_BAD_MAGIC = 1001,
    DK_R_WIRE_MAJOR = 1002,        /**< Major version is not 1. */
    DK_R_WIRE_FLAGS = 1003,        /**< Flags this library does not know (any minor). */
    DK_R_WIRE_HEADER_SIZE = 1004,  /**< header_size is not DK_WIRE_HEADER_SIZE. */
    DK_R_WIRE_LENGTH = 1005,       /**< Sections do not add up to total_len (wrap included). */
    DK_R_WIRE_FRAME_CAP = 1006,    /**< total_len over DK_WIRE_FRAME_MAX. */
    DK_R_WIRE_WAITS_CAP = 1007,
    DK_R_WIRE_SIGNALS_CAP = 1008,
    DK_R_WIRE_BUFS_CAP = 1009,
    DK_R_WIRE_CMDS_CAP = 1010,
    DK_R_WIRE_RESERVED = 1011,     /**< A reserved field is not zero. */
    DK_R_WIRE_OPCODE = 1012,       /**< Unknown opcode class. */
    DK_R_WIRE_BUF_OVERFLOW = 1013, /**< A buffer ref's offset + length overflows u64. */
    DK_R_WIRE_DUP_SIGNAL = 1014,   /**< The same fence is signalled twice. */
    DK_R_WIRE_SELF_WAIT = 1015,    /**< Waits on a value the frame itself signals, or later. */
    DK_R_WIRE_SIGNAL_JUMP = 1016,  /**< A signal runs further ahead than the fence bound. */
    DK_R_WIRE_QOS = 1017,          /**< QoS class is not a Nexus QosClass value. */
    DK_R_WIRE_CMD_LEN = 1018,      /**< A command's payload overruns its section or cap. */
    DK_R_WIRE_ACCESS = 1019,       /**< A buffer ref's access bits are 0 or unknown. */
    DK_R_WIRE_BUF_EMPTY = 1020,    /**< A buffer ref of length 0. */
    DK_R_WIRE_HANDLE = 1021,       /**< A fence id or buffer handle of 0. */
    DK_R_WIRE_SIGNAL_ZERO = 1022,  /**< A signal to value 0 (never above any value). */
};

/** Outcome of a ticket. Stable numbers. */
enum dk_outcome {
    DK_OUTCOME_OK = 0,
    DK_OUTCOME_DEVICE_ERROR = 1,
    DK_OUTCOME_RESET = 2,
    DK_OUTCOME_KILLED = 3,
    DK_OUTCOME_CANCELLED = 4,
    DK_OUTCOME_TIMED_OUT = 5,
};
#define DK_OUTCOME_COUNT 6

/**
 * @brief Name of a status, e.g. "DK_E_QUEUE_FULL".
 * @return A static string; "DK_E_?" for a number this version does not define.
 */
const char *dk_status_str(int status);

/**
 * @brief Name of a reason code, e.g. "DK_R_RING_FULL".
 * @return A static string; "DK_R_?" for an undefined number.
 */
const char *dk_reason_str(int reason);

/**
 * @brief The status that a reason code is reported with.
 * @return The status, or DK_E_INVAL for an undefined reason (DK_OK for DK_R_NONE).
 */
int dk_reason_status(int reason);

/**
 * @brief The status a waiter sees for a ticket outcome.
 * @return DK_OK, DK_E_DEVICE, DK_E_RESET, DK_E_KILLED, DK_E_CANCELLED,
 *         DK_E_TIMED_OUT; DK_E_INVAL for an undefined outcome.
 */
int dk_outcome_status(int outcome);

/**
 * @brief Name of an outcome: "ok", "device_error", "reset", "killed",
 *        "cancelled", "timed_out"; "?" if undefined.
 */
const char *dk_outcome_str(int outcome);

/** @internal Used by DriverKit's inline paths. Write a reason if the caller asked for one, and return @p status. */
DK_INLINE int dk_reject(enum dk_reason *why, enum dk_reason reason, int status)
{
    if (why)
        *why = reason;
    return status;
}

#endif /* DRIVERKIT_STATUS_H */
